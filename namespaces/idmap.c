/* User namespace id maps, written by husk into a child's
 * /proc/<pid>/{uid,gid}_map.  As root any map is written directly.  The
 * kernel lets an unprivileged husk write a map of its own id alone (for
 * gid_map only after "deny" to /proc/<pid>/setgroups); anything more goes
 * through newuidmap/newgidmap (Debian's uidmap package), setuid helpers
 * that allow the user's own id and the ranges /etc/subuid and /etc/subgid
 * give it, as podman does. */
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/fs.h"
#include "../lib/log.h"
#include "../lib/passwd.h"

extern char **environ;

/* uid or gid: where each comes from and goes to. */
struct id_kind
{
  const char *id;      /* "uid" */
  const char *map;     /* "uid_map" */
  const char *field;   /* "uidMappings" */
  const char *subfile; /* "/etc/subuid" */
  const char *tool;    /* "newuidmap" */
  bool gid;
};

static const struct id_kind uid_kind
    = { "uid", "uid_map", "uidMappings", "/etc/subuid", "newuidmap", false };
static const struct id_kind gid_kind
    = { "gid", "gid_map", "gidMappings", "/etc/subgid", "newgidmap", true };

/* A map: the array and its length. */
struct id_map
{
  struct oci_id_mapping *v;
  size_t n;
};

static void
id_map_freep (struct id_map *m)
{
  free (m->v);
  m->v = NULL;
  m->n = 0;
}

#define cleanup_id_map __attribute__ ((cleanup (id_map_freep)))

static unsigned
own_id (const struct id_kind *k)
{
  return k->gid ? (unsigned) getegid () : (unsigned) geteuid ();
}

static struct id_map
config_map (const struct oci_linux *l, const struct id_kind *k)
{
  struct id_map m = { k->gid ? l->gid_mappings : l->uid_mappings,
                      k->gid ? l->n_gid_mappings : l->n_uid_mappings };
  return m;
}

/* The map the kernel lets anyone write: its own id, once. */
static bool
own_id_only (const struct id_map *m, const struct id_kind *k)
{
  return m->n == 1 && m->v[0].host_id == own_id (k) && m->v[0].size == 1;
}

static int
map_add (struct id_map *m, uint32_t container_id, uint32_t host_id,
         uint32_t size, husk_err **err)
{
  struct oci_id_mapping *v = realloc (m->v, (m->n + 1) * sizeof *v);

  if (v == NULL)
    return husk_error (err, ENOMEM, "id mappings");
  m->v = v;
  m->v[m->n++] = (struct oci_id_mapping){ container_id, host_id, size };
  return 0;
}

/* ---------- /etc/subuid, /etc/subgid ---------- */

/* The ranges "NAME_OR_ID:START:COUNT" of the file give the effective user
 * (host_id START, size COUNT).  A missing file gives none. */
static int
read_subids (const struct id_kind *k, struct id_map *out, husk_err **err)
{
  cleanup_file FILE *f = fopen (k->subfile, "re");
  cleanup_free char *line = NULL;
  cleanup_free char *name = passwd_name (geteuid ());
  char uid[16];
  size_t cap = 0;

  out->v = NULL;
  out->n = 0;
  if (f == NULL)
    return errno == ENOENT ? 0 : husk_error (err, errno, "open %s", k->subfile);
  snprintf (uid, sizeof uid, "%u", (unsigned) geteuid ());
  while (getline (&line, &cap, f) > 0)
    {
      char *who = line, *start, *count, *end;
      unsigned long s, c;

      if ((start = strchr (who, ':')) == NULL
          || (count = strchr (start + 1, ':')) == NULL)
        continue;
      *start++ = '\0';
      *count++ = '\0';
      if (strcmp (who, uid) != 0 && (name == NULL || strcmp (who, name) != 0))
        continue;
      errno = 0;
      s = strtoul (start, &end, 10);
      if (end == start || *end != '\0' || errno)
        continue;
      c = strtoul (count, &end, 10);
      if (end == count || (*end != '\0' && *end != '\n') || errno || c == 0
          || s > UINT32_MAX || c > UINT32_MAX - s)
        continue;
      if (map_add (out, 0, (uint32_t) s, (uint32_t) c, err) < 0)
        return -1;
    }
  return 0;
}

/* Whether the tool (newuidmap, newgidmap) is in PATH, where posix_spawnp
 * will find it. */
static bool
have_tool (const char *tool)
{
  cleanup_free char *path = NULL;

  return fs_find_program (tool, NULL, &path) == 0;
}

/* The effective user's name for a message: out, or "uid N". */
static const char *
user_name (char out[64])
{
  cleanup_free char *name = passwd_name (geteuid ());

  if (name)
    snprintf (out, 64, "%s", name);
  else
    snprintf (out, 64, "uid %u", (unsigned) geteuid ());
  return out;
}

/* ---------- the rootless default ---------- */

static int
rootless_map (const struct id_kind *k, struct id_map *out, husk_err **err)
{
  cleanup_id_map struct id_map sub = { 0 };
  uint64_t next = 1;
  char who[64];

  if (map_add (out, 0, own_id (k), 1, err) < 0 || read_subids (k, &sub, err) < 0)
    return -1;
  if (sub.n == 0)
    {
      husk_debug ("user namespace: %s has no subordinate %ss in %s: mapping "
                  "its own %s %u alone", user_name (who), k->id, k->subfile,
                  k->id, own_id (k));
      return 0;
    }
  if (!have_tool (k->tool))
    {
      husk_warn ("user namespace: %s not found (Debian's uidmap package): "
                 "mapping %s %u alone, not the subordinate %ss of %s",
                 k->tool, k->id, own_id (k), k->id, k->subfile);
      return 0;
    }
  for (size_t i = 0; i < sub.n && next + sub.v[i].size - 1 <= UINT32_MAX; i++)
    {
      if (map_add (out, (uint32_t) next, sub.v[i].host_id, sub.v[i].size, err) < 0)
        return -1;
      next += sub.v[i].size;
    }
  return 0;
}

int
ns_rootless_mappings (struct oci_linux *l, husk_err **err)
{
  cleanup_id_map struct id_map u = { 0 };
  cleanup_id_map struct id_map g = { 0 };

  if (rootless_map (&uid_kind, &u, err) < 0 || rootless_map (&gid_kind, &g, err) < 0)
    return -1;
  free (l->uid_mappings);
  free (l->gid_mappings);
  l->uid_mappings = u.v;
  l->n_uid_mappings = u.n;
  l->gid_mappings = g.v;
  l->n_gid_mappings = g.n;
  u.v = g.v = NULL;
  return 0;
}

bool
ns_id_mapped (const struct oci_id_mapping *m, size_t n, uint32_t id)
{
  for (size_t i = 0; i < n; i++)
    if (id >= m[i].container_id && id - m[i].container_id < m[i].size)
      return true;
  return false;
}

/* ---------- checking a config's maps ---------- */

static bool
within (const struct oci_id_mapping *r, const struct id_map *sub)
{
  for (size_t i = 0; i < sub->n; i++)
    if (r->host_id >= sub->v[i].host_id
        && (uint64_t) r->host_id + r->size
               <= (uint64_t) sub->v[i].host_id + sub->v[i].size)
      return true;
  return false;
}

static int
check_map (const struct oci_linux *l, const struct id_kind *k, husk_err **err)
{
  struct id_map m = config_map (l, k);
  cleanup_id_map struct id_map sub = { 0 };
  char who[64];

  if (own_id_only (&m, k))
    return 0;
  if (read_subids (k, &sub, err) < 0)
    return -1;
  for (size_t i = 0; i < m.n; i++)
    {
      const struct oci_id_mapping *r = &m.v[i];
      if ((r->host_id == own_id (k) && r->size == 1) || within (r, &sub))
        continue;
      return husk_error (err, 0, "config.json: linux.%s: host %ss %" PRIu32
                         "-%" PRIu64 " are not subordinate %ss of user %s "
                         "(%s gives it %s): unprivileged, husk can map %s %u "
                         "and the ranges of %s only",
                         k->field, k->id, r->host_id,
                         (uint64_t) r->host_id + r->size - 1, k->id,
                         user_name (who), k->subfile,
                         sub.n ? "other ranges" : "none", k->id, own_id (k),
                         k->subfile);
    }
  if (!have_tool (k->tool))
    return husk_error (err, 0, "config.json: linux.%s: mapping more than "
                       "%s %u needs %s, which is not installed (Debian's "
                       "uidmap package)", k->field, k->id, own_id (k), k->tool);
  return 0;
}

int
ns_check_unprivileged_maps (const struct oci_linux *l, husk_err **err)
{
  if (geteuid () == 0)
    return 0;
  if (check_map (l, &uid_kind, err) < 0)
    return -1;
  return check_map (l, &gid_kind, err);
}

/* ---------- writing ---------- */

static int
format_map (char *buf, size_t size, const struct id_map *m)
{
  size_t off = 0;
  for (size_t i = 0; i < m->n; i++)
    {
      int w = snprintf (buf + off, size - off, "%" PRIu32 " %" PRIu32
                        " %" PRIu32 "\n", m->v[i].container_id,
                        m->v[i].host_id, m->v[i].size);
      if (w < 0 || (size_t) w >= size - off)
        return -1;
      off += (size_t) w;
    }
  return (int) off;
}

static int
write_map (pid_t pid, const struct id_kind *k, const struct id_map *m,
           husk_err **err)
{
  char path[64], buf[4096];
  int len = format_map (buf, sizeof buf, m);

  if (len < 0)
    return husk_error (err, 0, "config.json: linux.%s: too many mappings for "
                               "the kernel's %zu-byte map", k->field, sizeof buf);
  /* unprivileged, gid_map takes a map only once setgroups is denied */
  if (k->gid && geteuid () != 0)
    {
      snprintf (path, sizeof path, "/proc/%d/setgroups", pid);
      if (fs_write_file_at (AT_FDCWD, path, "deny", 4, 0, err) < 0)
        return husk_err_wrap (err, "write linux.%s", k->field);
    }
  snprintf (path, sizeof path, "/proc/%d/%s", pid, k->map);
  if (fs_write_file_at (AT_FDCWD, path, buf, (size_t) len, 0, err) < 0)
    return husk_err_wrap (err, "write linux.%s", k->field);
  return 0;
}

/* newuidmap PID C H S [C H S...]; its complaint goes into the error. */
static int
run_tool (pid_t pid, const struct id_kind *k, const struct id_map *m,
          husk_err **err)
{
  cleanup_strv char **argv = calloc (3 * m->n + 3, sizeof *argv);
  posix_spawn_file_actions_t fa;
  char out[512];
  ssize_t got = 0, r;
  int fds[2], status, rc;
  pid_t child;

  if (argv == NULL || (argv[0] = strdup (k->tool)) == NULL
      || asprintf (&argv[1], "%d", pid) < 0)
    return husk_error (err, ENOMEM, "%s", k->tool);
  for (size_t i = 0; i < m->n; i++)
    if (asprintf (&argv[2 + 3 * i], "%" PRIu32, m->v[i].container_id) < 0
        || asprintf (&argv[3 + 3 * i], "%" PRIu32, m->v[i].host_id) < 0
        || asprintf (&argv[4 + 3 * i], "%" PRIu32, m->v[i].size) < 0)
      return husk_error (err, ENOMEM, "%s", k->tool);
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return husk_error (err, errno, "%s: pipe", k->tool);
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2 (&fa, fds[1], STDERR_FILENO);
  rc = posix_spawnp (&child, k->tool, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  close (fds[1]);
  if (rc != 0)
    {
      close (fds[0]);
      return husk_error (err, rc, "run %s (Debian's uidmap package)", k->tool);
    }
  while ((r = read (fds[0], out + got, sizeof out - 1 - (size_t) got)) > 0
         || (r < 0 && errno == EINTR))
    got += r > 0 ? r : 0;
  close (fds[0]);
  out[got] = '\0';
  out[strcspn (out, "\n")] = '\0';
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  return husk_error (err, 0, "write linux.%s: %s failed%s%s", k->field,
                     k->tool, *out ? ": " : "", out);
}

static int
map_ids (pid_t pid, const struct oci_linux *l, const struct id_kind *k,
         husk_err **err)
{
  struct id_map m = config_map (l, k);

  if (geteuid () == 0 || own_id_only (&m, k))
    return write_map (pid, k, &m, err);
  return run_tool (pid, k, &m, err);
}

int
ns_write_id_maps (pid_t pid, const struct oci_linux *l, husk_err **err)
{
  if (map_ids (pid, l, &uid_kind, err) < 0)
    return -1;
  return map_ids (pid, l, &gid_kind, err);
}
