/* The state directory: ids, locking, state.json, status derivation, and
 * the read-only commands (state, list). */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "../lib/cleanup.h"
#include "../lib/fs.h"
#include "../lib/json_gen.h"
#include "../lib/passwd.h"

#define DEFAULT_ROOT "/run/husk"
#define STATE_MAX (1u << 20)

int
rt_check_id (const char *id, husk_err **err)
{
  if (id == NULL || *id == '\0')
    return husk_error (err, 0, "container id cannot be empty");
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return husk_error (err, 0, "invalid container id \"%s\"", id);
  /* the state root keeps husk's own records in dot entries (.ipam) */
  if (id[0] == '.')
    return husk_error (err, 0, "invalid container id \"%s\": ids starting "
                       "with '.' are reserved", id);
  for (const char *p = id; *p; p++)
    if (!isalnum ((unsigned char) *p) && !strchr ("_+-.", *p))
      return husk_error (err, 0, "invalid container id \"%s\": only letters, "
                         "digits and _ + - . are allowed", id);
  return 0;
}

const char *
rt_root_path (const struct husk_globals *g)
{
  return g->root && *g->root ? g->root : DEFAULT_ROOT;
}

static int
mkdir_parents (const char *path)
{
  cleanup_free char *p = strdup (path);
  if (p == NULL)
    return -1;
  for (char *s = p + 1; *s; s++)
    if (*s == '/')
      {
        *s = '\0';
        if (mkdir (p, 0755) < 0 && errno != EEXIST)
          return -1;
        *s = '/';
      }
  if (mkdir (p, 0711) < 0 && errno != EEXIST)
    return -1;
  return 0;
}

/* A private root (a user's default, possibly under /tmp, where anyone could
 * have made it first) must be the user's own and closed to others. */
static int
check_private_root (int fd, const char *root, husk_err **err)
{
  struct stat st;

  if (fstat (fd, &st) < 0)
    return husk_error (err, errno, "stat the state directory %s", root);
  if (st.st_uid != geteuid () || (st.st_mode & 077))
    return husk_error (err, 0, "the state directory %s belongs to uid %u "
                       "with mode %04o, not to uid %u with mode 0700: "
                       "remove it, or pass --root", root, (unsigned) st.st_uid,
                       (unsigned) (st.st_mode & 07777), (unsigned) geteuid ());
  return 0;
}

int
rt_open_root (const struct husk_globals *g, bool create, husk_err **err)
{
  const char *root = rt_root_path (g);
  cleanup_close int fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC
                                         | (g->root_private ? O_NOFOLLOW : 0));

  if (fd < 0 && errno == ENOENT && create)
    {
      if (g->root_private ? mkdir (root, 0700) < 0 && errno != EEXIST
                          : mkdir_parents (root) < 0)
        return husk_error (err, errno, "create the state directory %s", root);
      fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC
                           | (g->root_private ? O_NOFOLLOW : 0));
    }
  if (fd < 0)
    return husk_error (err, errno, "open the state directory %s", root);
  if (g->root_private && check_private_root (fd, root, err) < 0)
    return -1;
  return steal_fd (&fd);
}

void
rt_state_clear (struct rt_state *s)
{
  free (s->id);
  free (s->bundle);
  free (s->rootfs);
  free (s->created);
  free (s->cgroup_path);
  free (s->cgroup_pending);
  for (size_t i = 0; i < s->n_annotations; i++)
    {
      free (s->annotations[i].key);
      free (s->annotations[i].value);
    }
  free (s->annotations);
  memset (s, 0, sizeof *s);
}

/* ---------- state.json ---------- */

static yajl_gen_status
gen_kv (yajl_gen g, const char *k, const char *v)
{
  yajl_gen_status st = gen_str (g, k);
  return st ? st : gen_str (g, v ? v : "");
}

static yajl_gen_status
gen_state (yajl_gen g, const struct rt_state *s)
{
  yajl_gen_status st = yajl_gen_map_open (g);
#define PUT(call) if (st == yajl_gen_status_ok) st = (call)
  PUT (gen_kv (g, "id", s->id));
  PUT (gen_str (g, "pid"));
  PUT (yajl_gen_integer (g, s->pid));
  PUT (gen_str (g, "start_time"));
  PUT (yajl_gen_integer (g, (long long) s->start_time));
  PUT (gen_kv (g, "bundle", s->bundle));
  PUT (gen_kv (g, "rootfs", s->rootfs));
  PUT (gen_kv (g, "created", s->created));
  PUT (gen_str (g, "ns_flags"));
  PUT (yajl_gen_integer (g, s->ns_flags));
  PUT (gen_str (g, "new_ns_flags"));
  PUT (yajl_gen_integer (g, s->new_ns_flags));
  PUT (gen_str (g, "hooks"));
  PUT (yajl_gen_integer (g, s->hooks));
  PUT (gen_str (g, "creating"));
  PUT (yajl_gen_bool (g, s->creating));
  if (s->cgroup_path)
    PUT (gen_kv (g, "cgroup_path", s->cgroup_path));
  if (s->cgroup_pending)
    PUT (gen_kv (g, "cgroup_pending", s->cgroup_pending));
  PUT (gen_str (g, "annotations"));
  PUT (yajl_gen_map_open (g));
  for (size_t i = 0; i < s->n_annotations; i++)
    PUT (gen_kv (g, s->annotations[i].key, s->annotations[i].value));
  PUT (yajl_gen_map_close (g));
  PUT (yajl_gen_map_close (g));
#undef PUT
  return st;
}

int
rt_state_write (int dirfd, const struct rt_state *s, husk_err **err)
{
  const unsigned char *buf;
  size_t len;
  yajl_gen g = yajl_gen_alloc (NULL);
  int rc = -1;

  if (g == NULL)
    return husk_error (err, ENOMEM, "write state.json");
  if (gen_state (g, s) != yajl_gen_status_ok
      || yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    husk_error (err, 0, "write state.json: cannot encode the state");
  else if (fs_write_file_at (dirfd, RT_STATE_FILE ".tmp", buf, len,
                             O_CREAT | O_TRUNC, err) < 0)
    husk_err_wrap (err, "write state.json");
  else if (renameat (dirfd, RT_STATE_FILE ".tmp", dirfd, RT_STATE_FILE) < 0)
    husk_error (err, errno, "rename state.json into place");
  else
    rc = 0;
  yajl_gen_free (g);
  return rc;
}

static const char *
get_str (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_string);
  return v ? YAJL_GET_STRING (v) : NULL;
}

static long long
get_int (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_number);
  return v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0;
}

static char *
dup_or_null (const char *s)
{
  return s ? strdup (s) : NULL;
}

static int
parse_annotations (yajl_val root, struct rt_state *s)
{
  const char *path[] = { "annotations", NULL };
  yajl_val a = yajl_tree_get (root, path, yajl_t_object);
  size_t n = a ? YAJL_GET_OBJECT (a)->len : 0;

  if (n == 0)
    return 0;
  s->annotations = calloc (n, sizeof *s->annotations);
  if (s->annotations == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      yajl_val v = YAJL_GET_OBJECT (a)->values[i];
      s->annotations[i].key = strdup (YAJL_GET_OBJECT (a)->keys[i]);
      s->annotations[i].value = strdup (YAJL_IS_STRING (v) ? YAJL_GET_STRING (v) : "");
      s->n_annotations++;
      if (!s->annotations[i].key || !s->annotations[i].value)
        return -1;
    }
  return 0;
}

static int
state_parse (const char *buf, struct rt_state *s, husk_err **err)
{
  char msg[256];
  yajl_val root = yajl_tree_parse (buf, msg, sizeof msg);
  const char *path[] = { "creating", NULL };
  int rc = 0;

  if (root == NULL)
    return husk_error (err, 0, "state.json: %s", msg);
  s->id = dup_or_null (get_str (root, "id"));
  s->pid = (pid_t) get_int (root, "pid");
  s->start_time = (uint64_t) get_int (root, "start_time");
  s->bundle = dup_or_null (get_str (root, "bundle"));
  s->rootfs = dup_or_null (get_str (root, "rootfs"));
  s->created = dup_or_null (get_str (root, "created"));
  s->ns_flags = (int) get_int (root, "ns_flags");
  s->new_ns_flags = (int) get_int (root, "new_ns_flags");
  s->hooks = (unsigned) get_int (root, "hooks");
  s->creating = YAJL_IS_TRUE (yajl_tree_get (root, path, yajl_t_true));
  s->cgroup_path = dup_or_null (get_str (root, "cgroup_path"));
  s->cgroup_pending = dup_or_null (get_str (root, "cgroup_pending"));
  if (parse_annotations (root, s) < 0 || s->id == NULL)
    rc = husk_error (err, s->id ? ENOMEM : 0, "state.json: incomplete");
  yajl_tree_free (root);
  return rc;
}

static int
state_read (int dirfd, struct rt_state *s, husk_err **err)
{
  cleanup_free char *buf = NULL;

  if (fs_read_file_at (dirfd, RT_STATE_FILE, STATE_MAX, &buf, NULL, err) < 0)
    return -1;
  return state_parse (buf, s, err);
}

/* ---------- opening a container ---------- */

/* errnum ENOENT (not in the message) tells callers the container is not
 * there, e.g. for delete --force. */
static int
no_such_container (const char *id, husk_err **err)
{
  husk_error (err, 0, "container \"%s\" does not exist", id);
  if (err && *err)
    (*err)->errnum = ENOENT;
  return -1;
}

int
rt_container_open (const struct husk_globals *g, const char *id, bool lock,
                   struct rt_container *c, husk_err **err)
{
  cleanup_err husk_err *rerr = NULL;
  struct stat st;

  memset (c, 0, sizeof *c);
  c->rootfd = c->dirfd = -1;
  if (rt_check_id (id, err) < 0)
    return -1;
  c->id = strdup (id);
  c->rootfd = open (rt_root_path (g), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (c->rootfd >= 0)
    c->dirfd = openat (c->rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC
                                          | O_NOFOLLOW);
  if (c->dirfd < 0)
    {
      int e = errno;
      rt_container_release (c);
      if (e == ENOENT)
        return no_such_container (id, err);
      return husk_error (err, e, "open the state of container \"%s\"", id);
    }
  if (lock && flock (c->dirfd, LOCK_EX) < 0)
    {
      husk_error (err, errno, "lock container \"%s\"", id);
      rt_container_release (c);
      return -1;
    }
  /* a delete that held the lock before us has removed it */
  if (fstat (c->dirfd, &st) == 0 && st.st_nlink == 0)
    {
      rt_container_release (c);
      return no_such_container (id, err);
    }
  if (state_read (c->dirfd, &c->st, &rerr) == 0)
    c->has_state = true;
  else if (rerr->errnum != ENOENT)
    {
      husk_error (err, 0, "container \"%s\": %s", id, rerr->msg);
      rt_container_release (c);
      return -1;
    }
  if (!c->has_state)
    c->st.id = strdup (id);
  return 0;
}

void
rt_container_release (struct rt_container *c)
{
  husk_closep (&c->dirfd);
  husk_closep (&c->rootfd);
  free (c->id);
  c->id = NULL;
  rt_state_clear (&c->st);
}

/* ---------- processes ---------- */

int
rt_proc_stat (pid_t pid, uint64_t *start_time, char *state, pid_t *ppid)
{
  char path[48], buf[1024];
  const char *p;
  ssize_t n;
  int fd;

  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno = (errno == ENOENT ? ESRCH : errno), -1;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return errno = ESRCH, -1;
  buf[n] = '\0';
  /* comm may hold spaces and parentheses: fields start after the last ')' */
  p = strrchr (buf, ')');
  if (p == NULL || p[1] == '\0')
    return errno = EINVAL, -1;
  p += 2;
  if (state)
    *state = *p;
  /* p is field 3 (state), then the parent's pid; the start time is field 22 */
  if (ppid)
    *ppid = (pid_t) atoi (p + 1);
  for (int field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p == NULL)
    return errno = EINVAL, -1;
  if (start_time)
    *start_time = strtoull (p, NULL, 10);
  return 0;
}

bool
rt_pid_alive (pid_t pid, uint64_t start_time)
{
  uint64_t t;
  char state;

  if (pid <= 0 || rt_proc_stat (pid, &t, &state, NULL) < 0)
    return false;
  return t == start_time && state != 'Z' && state != 'X';
}

int
rt_init_pidfd (const struct rt_state *s, husk_err **err)
{
  int fd;

  if (s->pid <= 0)
    return errno = ESRCH, -1;
  fd = pidfd_open (s->pid, 0);
  if (fd < 0)
    {
      if (errno == ESRCH)
        return -1;
      return husk_error (err, errno, "pidfd_open %d", s->pid);
    }
  /* checked after the pidfd exists: from here on the pid cannot be reused
   * under it */
  if (!rt_pid_alive (s->pid, s->start_time))
    {
      close (fd);
      return errno = ESRCH, -1;
    }
  return fd;
}

/* ---------- status ---------- */

enum rt_status
rt_container_status (const struct rt_container *c)
{
  if (!c->has_state || c->st.creating)
    return c->has_state && !rt_pid_alive (c->st.pid, c->st.start_time)
               ? RT_STOPPED : RT_CREATING;
  if (!rt_pid_alive (c->st.pid, c->st.start_time))
    return RT_STOPPED;
  if (rt_cgroup_frozen (&c->st))
    return RT_PAUSED;
  if (faccessat (c->dirfd, RT_FIFO_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return RT_CREATED;
  return RT_RUNNING;
}

const char *
rt_status_name (enum rt_status s)
{
  static const char *const names[] = {
    [RT_CREATING] = "creating", [RT_CREATED] = "created",
    [RT_RUNNING] = "running",   [RT_PAUSED] = "paused",
    [RT_STOPPED] = "stopped",
  };
  return names[s];
}

/* ---------- the spec's state document ---------- */

void
husk_state_free (struct oci_state *s)
{
  if (s == NULL)
    return;
  free (s->oci_version);
  free (s->id);
  free (s->status);
  free (s->bundle);
  for (size_t i = 0; i < s->n_annotations; i++)
    {
      free (s->annotations[i].key);
      free (s->annotations[i].value);
    }
  free (s->annotations);
  free (s);
}

int
rt_oci_state (const struct rt_container *c, const char *status,
              struct oci_state **out, husk_err **err)
{
  struct oci_state *s = calloc (1, sizeof *s);
  bool ok = s != NULL;

  if (ok)
    {
      s->oci_version = strdup (HUSK_OCI_VERSION);
      s->id = strdup (c->id);
      s->status = strdup (status);
      s->bundle = strdup (c->st.bundle ? c->st.bundle : "");
      s->pid = strcmp (status, "stopped") == 0 ? 0 : c->st.pid;
      ok = s->oci_version && s->id && s->status && s->bundle;
    }
  if (ok && c->st.n_annotations)
    {
      s->annotations = calloc (c->st.n_annotations, sizeof *s->annotations);
      ok = s->annotations != NULL;
      for (size_t i = 0; ok && i < c->st.n_annotations; i++)
        {
          s->annotations[i].key = strdup (c->st.annotations[i].key);
          s->annotations[i].value = strdup (c->st.annotations[i].value);
          s->n_annotations++;
          ok = s->annotations[i].key && s->annotations[i].value;
        }
    }
  if (!ok)
    {
      husk_state_free (s);
      return husk_error (err, ENOMEM, "state of %s", c->id);
    }
  *out = s;
  return 0;
}

int
rt_oci_state_json (const struct rt_container *c, const char *status,
                   char **json, husk_err **err)
{
  struct oci_state *s = NULL;
  size_t len;
  int rc;

  if (rt_oci_state (c, status, &s, err) < 0)
    return -1;
  rc = oci_state_to_json (s, false, json, &len, err);
  husk_state_free (s);
  return rc;
}

int
husk_state (const struct husk_globals *g, const char *id,
            struct oci_state **out, husk_err **err)
{
  struct rt_container c;
  int rc;

  if (rt_container_open (g, id, false, &c, err) < 0)
    return -1;
  rc = rt_oci_state (&c, rt_status_name (rt_container_status (&c)), out, err);
  rt_container_release (&c);
  return rc;
}

/* ---------- list ---------- */

static int
list_one (const struct husk_globals *g, int rootfd, const char *id,
          struct husk_list_entry *e, husk_err **err)
{
  struct rt_container c;
  struct stat st = { .st_uid = (uid_t) -1 };

  if (rt_container_open (g, id, false, &c, err) < 0)
    return -1;
  if (rt_oci_state (&c, rt_status_name (rt_container_status (&c)), &e->state,
                    err) < 0)
    {
      rt_container_release (&c);
      return -1;
    }
  e->created = strdup (c.st.created ? c.st.created : "");
  /* runc's form: the state dir's owner by name, else "#UID" */
  fstat (c.dirfd, &st);
  e->owner = passwd_name (st.st_uid);
  if (e->owner == NULL && asprintf (&e->owner, "#%u", (unsigned) st.st_uid) < 0)
    e->owner = NULL;
  rt_container_release (&c);
  if (e->created == NULL || e->owner == NULL)
    return husk_error (err, ENOMEM, "list");
  return 0;
}

int
husk_list (const struct husk_globals *g, struct husk_list_entry **out,
           size_t *n, husk_err **err)
{
  cleanup_close int rootfd = -1;
  cleanup_dir DIR *d = NULL;
  struct husk_list_entry *l = NULL;
  size_t cap = 0, len = 0;
  struct dirent *de;

  *out = NULL;
  *n = 0;
  rt_sweep_jobs (g);
  rootfd = open (rt_root_path (g), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return errno == ENOENT ? 0 : husk_error (err, errno, "open %s", rt_root_path (g));
  d = fdopendir (dup (rootfd));
  if (d == NULL)
    return husk_error (err, errno, "read %s", rt_root_path (g));
  while ((de = readdir (d)) != NULL)
    {
      cleanup_err husk_err *e1 = NULL;
      /* rt_check_id also skips husk's own dot entries (.ipam) */
      if (de->d_type != DT_DIR || rt_check_id (de->d_name, NULL) < 0)
        continue;
      if (len == cap)
        {
          struct husk_list_entry *nl;
          cap = cap ? 2 * cap : 16;
          nl = realloc (l, cap * sizeof *l);
          if (nl == NULL)
            {
              husk_list_free (l, len);
              return husk_error (err, ENOMEM, "list");
            }
          l = nl;
        }
      memset (&l[len], 0, sizeof l[len]);
      /* one removed under us is not an error */
      if (list_one (g, rootfd, de->d_name, &l[len], &e1) == 0)
        len++;
      else
        {
          husk_state_free (l[len].state);
          free (l[len].created);
          free (l[len].owner);
        }
    }
  *out = l;
  *n = len;
  return 0;
}

void
husk_list_free (struct husk_list_entry *l, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      husk_state_free (l[i].state);
      free (l[i].created);
      free (l[i].owner);
    }
  free (l);
}

/* ---------- files ---------- */

int
rt_remove_tree_at (int dirfd, const char *name)
{
  int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d;
  struct dirent *de;

  if (fd < 0)
    return errno == ENOENT ? 0 : -1;
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return -1;
    }
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (unlinkat (fd, de->d_name, 0) < 0 && errno == EISDIR)
        rt_remove_tree_at (fd, de->d_name);
    }
  closedir (d);
  return unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -1 : 0;
}

int
rt_remove_dir (int rootfd, const char *id, husk_err **err)
{
  if (rt_remove_tree_at (rootfd, id) < 0)
    return husk_error (err, errno, "remove the state of container \"%s\"", id);
  return 0;
}

int
rt_write_pid_file (const char *path, pid_t pid, husk_err **err)
{
  cleanup_free char *tmp = NULL;
  const char *base = strrchr (path, '/');
  char buf[24];
  int len = snprintf (buf, sizeof buf, "%d", pid);

  if (base)
    {
      if (asprintf (&tmp, "%.*s/.%s", (int) (base - path), path, base + 1) < 0)
        tmp = NULL;
    }
  else if (asprintf (&tmp, ".%s", path) < 0)
    tmp = NULL;
  if (tmp == NULL)
    return husk_error (err, ENOMEM, "pid file");
  if (fs_write_file_at (AT_FDCWD, tmp, buf, (size_t) len,
                        O_CREAT | O_TRUNC, err) < 0)
    return husk_err_wrap (err, "write the pid file");
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      return husk_error (err, e, "write the pid file %s", path);
    }
  return 0;
}

int
rt_check_not_job (const struct rt_container *c, husk_err **err)
{
  for (size_t i = 0; i < c->st.n_annotations; i++)
    if (strcmp (c->st.annotations[i].key, RT_JOB_ANNOTATION) == 0)
      return husk_error (err, 0, "container \"%s\" is a job: its config "
                         "lives in its husk only (no exec or update)", c->id);
  return 0;
}

int
rt_load_config (const struct rt_container *c, struct oci_config **cfg,
                husk_err **err)
{
  if (rt_check_not_job (c, err) < 0)
    return -1;
  return oci_config_load (c->dirfd, RT_CONFIG_FILE, cfg, err);
}
