/* The cgroup2 filesystem: the mount, the container's path, creating,
 * opening and removing its cgroup, controllers, pids, signals. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "../lib/cleanup.h"
#include "../lib/log.h"
#include "internal.h"

#define CG_DEFAULT_MOUNT "/sys/fs/cgroup"
#define CG_HYBRID_MOUNT "/sys/fs/cgroup/unified"
/* Under TCG emulation a kill or a freeze takes its time: be generous. */
#define CG_EMPTY_TIMEOUT_MS 10000
#define CG_RMDIR_TIMEOUT_MS 2000

/* ---------- locating ---------- */

static bool
is_cgroup2 (const char *path)
{
  struct statfs st;
  return statfs (path, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

int
husk_cgroup_mount (const char **mountpoint, husk_err **err)
{
  if (is_cgroup2 (CG_DEFAULT_MOUNT))
    *mountpoint = CG_DEFAULT_MOUNT;
  else if (is_cgroup2 (CG_HYBRID_MOUNT))
    *mountpoint = CG_HYBRID_MOUNT;
  else
    return husk_error (err, 0, "cgroup: no cgroup2 filesystem at %s or %s",
                       CG_DEFAULT_MOUNT, CG_HYBRID_MOUNT);
  return 0;
}

/* runc's CleanPath: "." and ".." resolved lexically as if the path were
 * rooted, so that a relative path cannot climb above its base.  Returns
 * "/a/b" (or "" for nothing left). */
static char *
clean_path (const char *in)
{
  size_t len = strlen (in);
  char *out = malloc (len + 2);
  size_t o = 0;
  const char *p = in;

  if (out == NULL)
    return NULL;
  while (*p)
    {
      const char *e = strchrnul (p, '/');
      size_t n = (size_t) (e - p);
      if (n == 0 || (n == 1 && p[0] == '.'))
        ;
      else if (n == 2 && p[0] == '.' && p[1] == '.')
        {
          while (o > 0 && out[o - 1] != '/')
            o--;
          if (o > 0)
            o--;
        }
      else
        {
          out[o++] = '/';
          memcpy (out + o, p, n);
          o += n;
        }
      p = *e ? e + 1 : e;
    }
  out[o] = '\0';
  return out;
}

/* The parent of husk's own cgroup, from the "0::" line of /proc/self/cgroup. */
static int
own_parent (char **out, husk_err **err)
{
  cleanup_file FILE *f = fopen ("/proc/self/cgroup", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;

  if (f == NULL)
    return husk_error (err, errno, "cgroup: open /proc/self/cgroup");
  while (getline (&line, &cap, f) > 0)
    {
      char *slash;
      if (strncmp (line, "0::", 3) != 0)
        continue;
      line[strcspn (line, "\n")] = '\0';
      *out = clean_path (line + 3);
      if (*out == NULL)
        return husk_error (err, ENOMEM, "cgroup: own cgroup");
      slash = strrchr (*out, '/');
      if (slash)
        *slash = '\0';
      return 0;
    }
  return husk_error (err, 0, "cgroup: /proc/self/cgroup has no cgroup v2 (\"0::\") line");
}

static bool
is_systemd_form (const char *p)
{
  const char *c1 = strchr (p, ':');
  return c1 && strchr (c1 + 1, ':') && strchr (p, '/') == NULL;
}

int
husk_cgroup_resolve (const char *cgroups_path, const char *id, char **out,
                     husk_err **err)
{
  const char *mnt, *want = cgroups_path && *cgroups_path ? cgroups_path : id;
  cleanup_free char *clean = NULL, *base = NULL;

  if (husk_cgroup_mount (&mnt, err) < 0)
    return -1;
  if (want == NULL || *want == '\0')
    return husk_error (err, 0, "cgroup: neither linux.cgroupsPath nor an id");
  if (is_systemd_form (want))
    return husk_error (err, 0,
                       "config.json: linux.cgroupsPath: \"%s\" is systemd's "
                       "\"slice:prefix:name\" form, which needs the systemd "
                       "cgroup manager; husk manages cgroupfs only", want);
  clean = clean_path (want);
  if (clean == NULL)
    return husk_error (err, ENOMEM, "cgroup: path");
  if (want[0] != '/' && own_parent (&base, err) < 0)
    return -1;
  if (*clean == '\0')
    return husk_error (err, 0,
                       "config.json: linux.cgroupsPath: \"%s\" names the root "
                       "cgroup, not one for the container", want);
  if (asprintf (out, "%s%s%s", mnt, base ? base : "", clean) < 0)
    return husk_error (err, ENOMEM, "cgroup: path");
  return 0;
}

/* ---------- handles ---------- */

static int
handle_new (const char *path, struct husk_cgroup **out, husk_err **err)
{
  struct husk_cgroup *cg = calloc (1, sizeof *cg);

  if (cg == NULL || (cg->path = strdup (path)) == NULL)
    {
      free (cg);
      return husk_error (err, ENOMEM, "cgroup: %s", path);
    }
  cg->dev_prog = -1;
  cg->dirfd = open (path, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (cg->dirfd < 0)
    {
      int e = errno;
      husk_cgroup_free (cg);
      return husk_error (err, e, "cgroup: open %s", path);
    }
  *out = cg;
  return 0;
}

int
husk_cgroup_open (const char *path, struct husk_cgroup **out, husk_err **err)
{
  const char *mnt;
  size_t ml;

  if (husk_cgroup_mount (&mnt, err) < 0)
    return -1;
  ml = strlen (mnt);
  if (strncmp (path, mnt, ml) != 0 || path[ml] != '/' || strstr (path, "/.."))
    return husk_error (err, 0, "cgroup: %s is not a cgroup under %s", path, mnt);
  return handle_new (path, out, err);
}

void
husk_cgroup_free (struct husk_cgroup *cg)
{
  if (cg == NULL)
    return;
  if (cg->dirfd >= 0)
    close (cg->dirfd);
  if (cg->dev_prog >= 0)
    close (cg->dev_prog);
  free (cg->path);
  free (cg);
}

void
husk_cgroup_freep (struct husk_cgroup **cg)
{
  husk_cgroup_free (*cg);
  *cg = NULL;
}

const char *
husk_cgroup_path (const struct husk_cgroup *cg)
{
  return cg->path;
}

int
husk_cgroup_fd (const struct husk_cgroup *cg)
{
  return cg->dirfd;
}

int
husk_cgroup_add_pid (struct husk_cgroup *cg, pid_t pid, husk_err **err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%d", (int) pid);
  return cg_write (cg, "cgroup.procs", buf, err);
}

/* ---------- creating ---------- */

static bool
word_in (const char *list, const char *word)
{
  size_t n = strlen (word);
  for (const char *p = list; (p = strstr (p, word)) != NULL; p += n)
    if ((p == list || p[-1] == ' ' || p[-1] == '\n')
        && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
      return true;
  return false;
}

/* Enables controllers in dir's subtree_control.  At the mount's root only
 * those the config needs (the host's choice of the rest is left alone);
 * below it, every controller the parent passes down is passed on, as runc
 * and crun do, so that stats work without limits.  Failures matter only for
 * the controllers the config needs. */
static int
enable_controllers (const char *dir, bool is_root, const char **needed,
                    husk_err **err)
{
  struct husk_cgroup at = { .path = (char *) dir };
  cleanup_close int fd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  cleanup_free char *enabled = NULL, *list = NULL;
  char *save = NULL;

  if (fd < 0)
    return husk_error (err, errno, "cgroup: open %s", dir);
  at.dirfd = fd;
  if (cg_read (&at, "cgroup.subtree_control", &enabled, err) < 0)
    return -1;
  if (is_root)
    {
      size_t len = 1;
      for (const char **n = needed; *n; n++)
        len += strlen (*n) + 1;
      list = calloc (1, len);
      if (list == NULL)
        return husk_error (err, ENOMEM, "cgroup: %s", dir);
      for (const char **n = needed; *n; n++)
        strcat (strcat (list, *n), " ");
    }
  else if (cg_read (&at, "cgroup.controllers", &list, err) < 0)
    return -1;
  for (char *c = strtok_r (list, " \n", &save); c; c = strtok_r (NULL, " \n", &save))
    {
      char plus[64];
      int r;
      if (word_in (enabled, c))
        continue;
      snprintf (plus, sizeof plus, "+%s", c);
      r = cg_try_write (&at, "cgroup.subtree_control", plus);
      for (const char **n = needed; r < 0 && *n; n++)
        if (strcmp (*n, c) == 0)
          return husk_error (err, -r, "cgroup: write \"%s\" to %s/cgroup.subtree_control",
                             plus, dir);
    }
  return 0;
}

int
cg_check_available (const char *mnt, const char **needed, husk_err **err)
{
  struct husk_cgroup at = { .path = (char *) mnt };
  cleanup_close int fd = open (mnt, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  cleanup_free char *avail = NULL;

  if (fd < 0)
    return husk_error (err, errno, "cgroup: open %s", mnt);
  at.dirfd = fd;
  if (cg_read (&at, "cgroup.controllers", &avail, err) < 0)
    return -1;
  for (const char **n = needed; *n; n++)
    if (!word_in (avail, *n))
      return husk_error (err, 0, "cgroup v2 controller \"%s\" is not available on this host", *n);
  return 0;
}

/* cgroup v1's default weight: what containerd's ctr asks for unless told
 * otherwise (--cpu-shares defaults to it). */
#define CPU_SHARES_V1_DEFAULT 1024

const struct oci_resources *
cg_host_resources (const char *mnt, const struct oci_resources *r,
                   struct oci_resources *buf)
{
  const struct oci_cpu *c = r ? r->cpu : NULL;
  struct husk_cgroup at = { .path = (char *) mnt };
  cleanup_close int fd = -1;
  cleanup_free char *avail = NULL;
  cleanup_err husk_err *ignored = NULL;

  if (c == NULL || !c->has_shares || c->shares != CPU_SHARES_V1_DEFAULT
      || c->has_quota || c->has_burst || c->has_period || c->has_idle
      || c->has_realtime_runtime || c->has_realtime_period
      || (c->cpus && *c->cpus) || (c->mems && *c->mems))
    return r;
  fd = open (mnt, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  at.dirfd = fd;
  /* unreadable: cg_check_available reports it */
  if (fd < 0 || cg_read (&at, "cgroup.controllers", &avail, &ignored) < 0
      || word_in (avail, "cpu"))
    return r;
  husk_debug ("linux.resources.cpu.shares %d (cgroup v1's default) ignored: "
              "no cgroup v2 cpu controller at %s", CPU_SHARES_V1_DEFAULT, mnt);
  *buf = *r;
  buf->cpu = NULL;
  return buf;
}

/* Undoes the directories create_dirs made, deepest first. */
static void
remove_created (char **created, size_t n)
{
  while (n > 0)
    {
      rmdir (created[--n]);
      free (created[n]);
    }
}

static int
create_dirs (const char *mnt, const char *path, const char **needed, char ***created, size_t *n_created,
             husk_err **err)
{
  size_t ml = strlen (mnt);
  cleanup_free char *cur = strdup (path);
  char *p;

  if (cur == NULL)
    return husk_error (err, ENOMEM, "cgroup: %s", path);
  /* Ancestors from the mount's root down: enable, then descend. */
  p = cur + ml;
  for (;;)
    {
      char saved;
      char *next = strchr (p + 1, '/');
      char **grown;

      saved = *p;
      *p = '\0';
      if (enable_controllers (cur, p == cur + ml, needed, err) < 0)
        return -1;
      *p = saved;
      if (next)
        *next = '\0';
      if (mkdir (cur, 0755) == 0)
        {
          grown = realloc (*created, (*n_created + 1) * sizeof *grown);
          if (grown == NULL || (grown[*n_created] = strdup (cur)) == NULL)
            {
              if (grown)
                *created = grown;
              rmdir (cur);
              return husk_error (err, ENOMEM, "cgroup: %s", cur);
            }
          *created = grown;
          (*n_created)++;
        }
      else if (errno != EEXIST)
        return husk_error (err, errno, "cgroup: mkdir %s", cur);
      if (next == NULL)
        return 0;
      *next = '/';
      p = next;
    }
}

int
husk_cgroup_create (const struct oci_linux *linux_, const char *id,
                    struct husk_cgroup **out, husk_err **err)
{
  const struct oci_resources *r = linux_ ? linux_->resources : NULL;
  struct oci_resources host_r;
  const char *mnt;
  const char **needed = NULL;
  cleanup_free char *path = NULL;
  char **created = NULL;
  size_t n_created = 0;
  struct husk_cgroup *cg = NULL;
  uint64_t populated = 0;

  if (husk_cgroup_mount (&mnt, err) < 0
      || husk_cgroup_resolve (linux_ ? linux_->cgroups_path : NULL, id, &path, err) < 0
      || husk_cgroup_needed (cg_host_resources (mnt, r, &host_r), &needed, err) < 0)
    return -1;
  if (cg_check_available (mnt, needed, err) < 0
      || create_dirs (mnt, path, needed, &created, &n_created, err) < 0
      || handle_new (path, &cg, err) < 0)
    goto fail;
  if (n_created == 0 && (cg_event (cg, "populated", &populated, err) < 0 || populated))
    {
      husk_error (err, EEXIST, "cgroup: %s already exists and has processes", path);
      goto fail;
    }
  free (needed);
  for (size_t i = 0; i < n_created; i++)
    free (created[i]);
  free (created);
  *out = cg;
  return 0;

fail:
  husk_cgroup_free (cg);
  remove_created (created, n_created);
  free (created);
  free (needed);
  return -1;
}

/* ---------- delegation (rootless) ---------- */

/* The deepest of path and its ancestors that exists (the mount's root at
 * worst); path is cut there. */
static void
existing_ancestor (char *path, size_t mount_len)
{
  struct stat st;
  char *slash;

  while (strlen (path) > mount_len && stat (path, &st) < 0
         && (slash = strrchr (path, '/')) != NULL)
    *slash = '\0';
}

static int
check_writable (const char *dir, const char *file, husk_err **err)
{
  cleanup_free char *p = NULL;

  if (asprintf (&p, "%s%s%s", dir, file ? "/" : "", file ? file : "") < 0)
    return husk_error (err, ENOMEM, "cgroup: %s", dir);
  if (faccessat (AT_FDCWD, p, W_OK, AT_EACCESS) < 0)
    return husk_error (err, errno, "cgroup: %s is not delegated to uid %u "
                       "(%s is not writable)", dir, (unsigned) geteuid (), p);
  return 0;
}

int
husk_cgroup_delegated (const struct oci_linux *linux_, const char *id,
                       husk_err **err)
{
  const struct oci_resources *r = linux_ ? linux_->resources : NULL;
  struct husk_cgroup at = { .dirfd = -1, .dev_prog = -1 };
  cleanup_free char *path = NULL, *avail = NULL;
  cleanup_free const char **needed = NULL;
  cleanup_close int fd = -1;
  const char *mnt;

  if (husk_cgroup_mount (&mnt, err) < 0
      || husk_cgroup_resolve (linux_ ? linux_->cgroups_path : NULL, id, &path, err) < 0
      || husk_cgroup_needed (r, &needed, err) < 0)
    return -1;
  existing_ancestor (path, strlen (mnt));
  if (check_writable (path, NULL, err) < 0
      || check_writable (path, "cgroup.procs", err) < 0
      || check_writable (path, "cgroup.subtree_control", err) < 0)
    return -1;
  at.path = path;
  at.dirfd = fd = open (path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return husk_error (err, errno, "cgroup: open %s", path);
  if (cg_read (&at, "cgroup.controllers", &avail, err) < 0)
    return -1;
  for (const char **n = needed; *n; n++)
    if (!word_in (avail, *n))
      return husk_error (err, 0, "cgroup: controller \"%s\" is not delegated "
                         "to uid %u (%s/cgroup.controllers does not offer it)",
                         *n, (unsigned) geteuid (), path);
  return 0;
}

/* ---------- pids, signals, removal ---------- */

struct pidv {
  pid_t *v;
  size_t n, cap;
};

/* Calls fn on each sub-cgroup of the one at dirfd (path names it in
 * messages); one removed meanwhile is skipped. */
typedef int child_fn (int dirfd, int sub, const char *name,
                      const char *subpath, void *arg, husk_err **err);

static int
each_child (int dirfd, const char *path, child_fn *fn, void *arg,
            husk_err **err)
{
  int dfd = openat (dirfd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  cleanup_dir DIR *d = dfd >= 0 ? fdopendir (dfd) : NULL;
  struct dirent *de;

  if (d == NULL)
    {
      if (dfd >= 0)
        close (dfd);
      return husk_error (err, errno, "cgroup: open %s", path);
    }
  while ((de = readdir (d)) != NULL)
    {
      cleanup_close int sub = -1;
      cleanup_free char *subpath = NULL;
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      if (asprintf (&subpath, "%s/%s", path, de->d_name) < 0)
        return husk_error (err, ENOMEM, "cgroup: %s", path);
      sub = openat (dirfd, de->d_name, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (sub < 0)
        {
          if (errno == ENOENT)
            continue;
          return husk_error (err, errno, "cgroup: open %s", subpath);
        }
      if (fn (dirfd, sub, de->d_name, subpath, arg, err) < 0)
        return -1;
    }
  return 0;
}

static child_fn collect_pids_below;

static int
collect_pids (int dirfd, const char *path, struct pidv *pv, husk_err **err)
{
  struct husk_cgroup at = { .path = (char *) path, .dirfd = dirfd };
  cleanup_free char *procs = NULL;

  if (cg_read (&at, "cgroup.procs", &procs, err) < 0)
    return -1;
  for (char *p = procs, *end; *p; p = end)
    {
      long v = strtol (p, &end, 10);
      if (end == p)
        break;
      if (pv->n == pv->cap)
        {
          pid_t *nv = realloc (pv->v, (pv->cap * 2 + 16) * sizeof *nv);
          if (nv == NULL)
            return husk_error (err, ENOMEM, "cgroup: pids");
          pv->v = nv;
          pv->cap = pv->cap * 2 + 16;
        }
      pv->v[pv->n++] = (pid_t) v;
    }
  return each_child (dirfd, path, collect_pids_below, pv, err);
}

static int
collect_pids_below (int dirfd, int sub, const char *name, const char *subpath,
                    void *pv, husk_err **err)
{
  return collect_pids (sub, subpath, pv, err);
}

static int
cmp_pid (const void *a, const void *b)
{
  pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
  return (x > y) - (x < y);
}

int
husk_cgroup_pids (struct husk_cgroup *cg, pid_t **pids, size_t *n,
                  husk_err **err)
{
  struct pidv pv = { 0 };

  if (collect_pids (cg->dirfd, cg->path, &pv, err) < 0)
    {
      free (pv.v);
      return -1;
    }
  if (pv.n > 1)
    qsort (pv.v, pv.n, sizeof *pv.v, cmp_pid);
  *pids = pv.v;
  *n = pv.n;
  return 0;
}

static int
signal_each (struct husk_cgroup *cg, int sig, husk_err **err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n;

  if (husk_cgroup_pids (cg, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      return husk_error (err, errno, "cgroup: kill %d (in %s)", (int) pids[i], cg->path);
  return 0;
}

int
husk_cgroup_kill (struct husk_cgroup *cg, int sig, husk_err **err)
{
  bool was_frozen = true;
  int r;

  if (sig == SIGKILL)
    {
      r = cg_try_write (cg, "cgroup.kill", "1");
      if (r == 0)
        return 0;
      if (r != -ENOENT)
        return husk_error (err, -r, "cgroup: write \"1\" to %s/cgroup.kill", cg->path);
    }
  /* Frozen, the cgroup cannot fork new members between listing and
   * signalling; the signals are delivered on thaw. */
  if (husk_cgroup_frozen (cg, &was_frozen, NULL) < 0 || was_frozen
      || husk_cgroup_freeze (cg, true, NULL) < 0)
    was_frozen = true;
  r = signal_each (cg, sig, err);
  if (!was_frozen && husk_cgroup_freeze (cg, false, r < 0 ? NULL : err) < 0)
    return -1;
  return r;
}

/* rmdir a sub-cgroup and every one below it, deepest first. */
static int
remove_child (int dirfd, int sub, const char *name, const char *subpath,
              void *arg, husk_err **err)
{
  if (each_child (sub, subpath, remove_child, NULL, err) < 0)
    return -1;
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return husk_error (err, errno, "cgroup: rmdir %s", subpath);
  return 0;
}

/* A cgroup just emptied can still answer EBUSY for a moment. */
static int
rmdir_retry (const char *path, husk_err **err)
{
  int64_t deadline = cg_now_ms () + CG_RMDIR_TIMEOUT_MS;
  while (rmdir (path) < 0)
    {
      if (errno == ENOENT)
        return 0;
      if (errno != EBUSY || cg_now_ms () > deadline)
        return husk_error (err, errno, "cgroup: rmdir %s", path);
      usleep (10000);
    }
  return 0;
}

/* True when the error says the cgroup is gone (removed under us). */
static bool
gone (const husk_err *e)
{
  return e && (e->errnum == ENOENT || e->errnum == ENODEV);
}

int
husk_cgroup_destroy (struct husk_cgroup *cg, husk_err **err)
{
  int64_t deadline = cg_now_ms () + CG_EMPTY_TIMEOUT_MS;
  cleanup_err husk_err *e = NULL;
  int r;

  /* Without cgroup.kill a fork can slip between listing and killing:
   * repeat until the cgroup is empty. */
  for (;;)
    {
      if (husk_cgroup_kill (cg, SIGKILL, &e) < 0)
        break;
      r = cg_wait_event (cg, "populated", 0, 200, &e);
      if (r != 0)
        break;
      if (cg_now_ms () > deadline)
        return husk_error (err, EBUSY, "cgroup: %s still has processes after SIGKILL",
                           cg->path);
    }
  if (e == NULL)
    each_child (cg->dirfd, cg->path, remove_child, NULL, &e);
  if (e == NULL)
    rmdir_retry (cg->path, &e);
  if (e == NULL || gone (e))
    return 0;
  if (err && *err == NULL)
    *err = steal_ptr (&e);
  return -1;
}
