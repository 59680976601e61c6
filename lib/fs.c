#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"

/* Same limit as the kernel's: a symlink loop is ELOOP, never a hang. */
#define FS_MAX_SYMLINKS 40
/* Bounds the retries when a component changes under us (a racing rename). */
#define FS_MAX_RETRIES 64

/* Fills *err and leaves errno as errnum: callers test errno (ENOENT...). */
static int __attribute__ ((format (printf, 3, 4)))
fs_fail (husk_err **err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  husk_verror (err, errnum, fmt, ap);
  va_end (ap);
  errno = errnum;
  return -1;
}

/* ---------- the component walk ---------- */

struct walk {
  int rootfd;
  int *dirs;     /* fds of the directories below the root, outermost first */
  size_t depth, cap;
  int nlinks;
  int retries;
  bool create;
  enum fs_kind kind;
  mode_t mode;
};

static int
walk_top (const struct walk *w)
{
  return w->depth ? w->dirs[w->depth - 1] : w->rootfd;
}

static void
walk_pop (struct walk *w)
{
  if (w->depth)
    close (w->dirs[--w->depth]);
}

static void
walk_reset (struct walk *w)
{
  while (w->depth)
    walk_pop (w);
}

static int
walk_push (struct walk *w, int fd)
{
  if (w->depth == w->cap)
    {
      size_t cap = w->cap ? w->cap * 2 : 16;
      int *d = realloc (w->dirs, cap * sizeof *d);
      if (d == NULL)
        {
          close (fd);
          errno = ENOMEM;
          return -1;
        }
      w->dirs = d;
      w->cap = cap;
    }
  w->dirs[w->depth++] = fd;
  return 0;
}

/* Symlinks that live on procfs and point to absolute paths are magic links
 * (fd/N, exe, cwd, root, map_files): refused, as RESOLVE_NO_MAGICLINKS
 * does.  procfs's ordinary links (self, mounts, net) are relative. */
static bool
is_magic_link (int dirfd, const char *target)
{
  struct statfs sfs;
  if (target[0] != '/')
    return false;
  return fstatfs (dirfd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* Replaces the rest of the path with target + "/" + rest. */
static int
walk_follow (struct walk *w, const char *name, const char *rest,
             char **path, char **p)
{
  char target[PATH_MAX];
  char *joined = NULL;
  ssize_t n;

  if (++w->nlinks > FS_MAX_SYMLINKS)
    return errno = ELOOP, -1;
  n = readlinkat (walk_top (w), name, target, sizeof target - 1);
  if (n < 0)
    return -1;
  if ((size_t) n == sizeof target - 1)
    return errno = ENAMETOOLONG, -1;
  target[n] = '\0';
  if (is_magic_link (walk_top (w), target))
    return errno = ELOOP, -1;
  if (asprintf (&joined, "%s%s%s", target, *rest ? "/" : "", rest) < 0)
    return errno = ENOMEM, -1;
  if (target[0] == '/')
    walk_reset (w);
  free (*path);
  *path = *p = joined;
  return 0;
}

static int
walk_create (struct walk *w, const char *name, bool last, bool want_dir)
{
  int top = walk_top (w);
  bool mine = last && (w->kind == FS_DIR || !want_dir);

  if (mine && w->kind == FS_FILE)
    {
      int fd = openat (top, name,
                       O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                       w->mode);
      if (fd < 0)
        return errno == EEXIST ? 0 : -1;
      close (fd);
      return 0;
    }
  if (mkdirat (top, name, mine ? w->mode : 0755) < 0 && errno != EEXIST)
    return -1;
  return 0;
}

/* Resolves path below w->rootfd one component at a time, each opened with
 * O_NOFOLLOW relative to its parent's fd; ".." pops the stack and so never
 * climbs above the root.  Returns an fd of the last component opened with
 * flags. */
static int
walk_resolve (struct walk *w, const char *path_in, int flags)
{
  cleanup_free char *path = strdup (path_in);
  char *p = path;

  if (path == NULL)
    return errno = ENOMEM, -1;
  for (;;)
    {
      struct stat st;
      char *name, *rest;
      bool last, want_dir;
      int fd;

      while (*p == '/')
        p++;
      if (*p == '\0')
        return openat (walk_top (w), ".", flags | O_CLOEXEC);
      name = p;
      rest = strchrnul (p, '/');
      want_dir = *rest == '/';
      if (*rest)
        *rest++ = '\0';
      while (*rest == '/')
        rest++;
      last = *rest == '\0';
      p = rest;

      if (strcmp (name, ".") == 0)
        continue;
      if (strcmp (name, "..") == 0)
        {
          walk_pop (w);
          continue;
        }
      if (fstatat (walk_top (w), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          if (errno != ENOENT || !w->create)
            return -1;
          if (walk_create (w, name, last, want_dir) < 0)
            return -1;
          goto retry;
        }
      if (S_ISLNK (st.st_mode))
        {
          if (walk_follow (w, name, rest, &path, &p) < 0)
            return -1;
          continue;
        }
      if (last && want_dir && !S_ISDIR (st.st_mode))
        return errno = ENOTDIR, -1;
      if (last)
        {
          fd = openat (walk_top (w), name,
                       flags | O_NOFOLLOW | O_CLOEXEC
                           | (want_dir ? O_DIRECTORY : 0));
          if (fd >= 0 && fstat (fd, &st) == 0 && !S_ISLNK (st.st_mode))
            return fd;
          if (fd >= 0)
            close (fd);
          else if (errno != ELOOP && errno != ENOTDIR)
            return -1;
          goto retry; /* swapped for a symlink since the fstatat */
        }
      if (!S_ISDIR (st.st_mode))
        return errno = ENOTDIR, -1;
      fd = openat (walk_top (w), name,
                   O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        {
          if (errno != ENOTDIR && errno != ELOOP)
            return -1;
          goto retry;
        }
      if (walk_push (w, fd) < 0)
        return -1;
      continue;

    retry:
      /* Look at the same component again: put its name back in front. */
      if (++w->retries > FS_MAX_RETRIES)
        return errno = EAGAIN, -1;
      {
        char *again = NULL;
        if (asprintf (&again, "%s%s%s", name, want_dir || !last ? "/" : "",
                      rest)
            < 0)
          return errno = ENOMEM, -1;
        free (path);
        path = p = again;
      }
    }
}

static int
walk_path (int rootfd, const char *path, bool create, enum fs_kind kind,
           mode_t mode, int flags)
{
  struct walk w = { .rootfd = rootfd, .create = create, .kind = kind,
                    .mode = mode };
  int fd = walk_resolve (&w, path, flags);
  int saved = errno;

  walk_reset (&w);
  free (w.dirs);
  errno = saved;
  return fd;
}

/* ---------- openat2, with the walk as fallback ---------- */

static bool no_openat2;

/* openat2, tried again while a rename races with the resolution (EAGAIN);
 * -1 with errno ENOSYS where the kernel has no openat2. */
static int
openat2_retry (int dirfd, const char *path, int flags, unsigned long long resolve)
{
  struct open_how how = {
    .flags = (unsigned) flags | O_CLOEXEC,
    .resolve = resolve,
  };

  errno = ENOSYS;
  for (int i = 0; !no_openat2 && i < FS_MAX_RETRIES; i++)
    {
      long fd = syscall (SYS_openat2, dirfd, path, &how, sizeof how);
      if (fd >= 0)
        return (int) fd;
      if (errno == ENOSYS)
        no_openat2 = true;
      else if (errno != EAGAIN)
        return -1;
    }
  return -1;
}

static int
open_in_root (int rootfd, const char *path, int flags)
{
  int fd = openat2_retry (rootfd, path, flags,
                          RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);

  if (fd >= 0 || (errno != ENOSYS && errno != EAGAIN))
    return fd;
  return walk_path (rootfd, path, false, FS_DIR, 0, flags);
}

int
fs_open_in_root (int rootfd, const char *path, int flags, husk_err **err)
{
  int fd;

  if (flags & (O_CREAT | O_TMPFILE))
    return fs_fail (err, EINVAL, "open \"%s\" inside the root: O_CREAT is "
                    "not allowed here", path);
  fd = open_in_root (rootfd, path, flags);
  if (fd < 0)
    return fs_fail (err, errno, "open \"%s\" inside the root", path);
  return fd;
}

int
fs_mkpath_in_root (int rootfd, const char *path, enum fs_kind kind,
                   mode_t mode, husk_err **err)
{
  int fd = open_in_root (rootfd, path, O_PATH);

  if (fd >= 0)
    return fd;
  if (errno != ENOENT)
    return fs_fail (err, errno, "open \"%s\" inside the root", path);
  fd = walk_path (rootfd, path, true, kind, mode, O_PATH);
  if (fd < 0)
    return fs_fail (err, errno, "create \"%s\" inside the root", path);
  return fd;
}

/* ---------- small files ---------- */

int
fs_read_fd (int fd, size_t max, char **out, size_t *len, husk_err **err)
{
  cleanup_free char *buf = NULL;
  size_t size = 0, cap = 0;

  for (;;)
    {
      ssize_t n;
      if (cap - size < 2)
        {
          size_t ncap = cap ? cap * 2 : 4096;
          char *nbuf;
          if (ncap > max + 2)
            ncap = max + 2;
          if (ncap <= cap)
            return fs_fail (err, EFBIG, "file larger than %zu bytes", max);
          nbuf = realloc (buf, ncap);
          if (nbuf == NULL)
            return fs_fail (err, ENOMEM, "read");
          buf = nbuf;
          cap = ncap;
        }
      n = read (fd, buf + size, cap - size - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return fs_fail (err, errno, "read");
      if (n == 0)
        break;
      size += (size_t) n;
      if (size > max)
        return fs_fail (err, EFBIG, "file larger than %zu bytes", max);
    }
  buf[size] = '\0';
  if (len)
    *len = size;
  *out = steal_ptr (&buf);
  return 0;
}

int
fs_read_file_at (int dirfd, const char *path, size_t max, char **out,
                 size_t *len, husk_err **err)
{
  cleanup_close int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return fs_fail (err, errno, "open \"%s\"", path);
  if (fs_read_fd (fd, max, out, len, err) < 0)
    {
      int saved = errno;
      husk_err_wrap (err, "\"%s\"", path);
      errno = saved;
      return -1;
    }
  return 0;
}

static int
write_all (int fd, const char *path, const void *buf, size_t len,
           husk_err **err)
{
  ssize_t n;

  do
    n = write (fd, buf, len);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return fs_fail (err, errno, "write \"%s\"", path);
  if ((size_t) n != len)
    return fs_fail (err, EIO, "write \"%s\": short write (%zd of %zu bytes)",
                    path, n, len);
  return 0;
}

int
fs_write_file_at (int dirfd, const char *path, const void *buf, size_t len,
                  int flags, husk_err **err)
{
  cleanup_close int fd
      = openat (dirfd, path, O_WRONLY | O_CLOEXEC | flags, 0644);

  if (fd < 0)
    return fs_fail (err, errno, "open \"%s\"", path);
  if (write_all (fd, path, buf, len, err) < 0)
    return -1;
  if (close (steal_fd (&fd)) < 0)
    return fs_fail (err, errno, "close \"%s\"", path);
  return 0;
}

/* ---------- procfs ---------- */

static bool
on_procfs (int fd)
{
  struct statfs sfs;
  return fstatfs (fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

int
fs_open_procfs (husk_err **err)
{
  cleanup_close int fd = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct statx stx;

  if (fd < 0)
    return fs_fail (err, errno, "open /proc");
  if (!on_procfs (fd))
    return fs_fail (err, EXDEV, "/proc is not a procfs");
  if (statx (fd, "", AT_EMPTY_PATH, 0, &stx) == 0
      && (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
      && !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
    return fs_fail (err, EXDEV, "/proc is not the root of a procfs mount");
  return steal_fd (&fd);
}

int
fs_write_proc (int procfd, const char *path, const char *value,
               husk_err **err)
{
  cleanup_close int fd
      = openat2_retry (procfd, path, O_WRONLY | O_NOCTTY,
                       RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);

  if (fd < 0 && errno == ENOSYS)
    fd = openat (procfd, path, O_WRONLY | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return fs_fail (err, errno, "open /proc/%s", path);
  if (!on_procfs (fd))
    return fs_fail (err, EXDEV, "/proc/%s is not on procfs", path);
  return write_all (fd, path, value, strlen (value), err);
}

int
fs_memfd_text (const char *name, const char *text, husk_err **err)
{
  size_t len = strlen (text), off = 0;
  cleanup_close int fd = memfd_create (name, MFD_CLOEXEC);

  if (fd < 0)
    return husk_error (err, errno, "memfd_create");
  while (off < len)
    {
      ssize_t n = write (fd, text + off, len - off);
      if (n < 0 && errno != EINTR)
        return husk_error (err, errno, "write %s", name);
      off += n > 0 ? (size_t) n : 0;
    }
  if (lseek (fd, 0, SEEK_SET) < 0)
    return husk_error (err, errno, "lseek %s", name);
  return steal_fd (&fd);
}

int
fs_find_program (const char *name, const char *also, char **path)
{
  const char *env = getenv ("PATH");
  cleanup_free char *dirs = NULL;
  char *save = NULL;
  struct stat st;

  if (asprintf (&dirs, "%s:%s", env && *env ? env : "/usr/local/bin:/usr/bin:/bin",
                also ? also : "") < 0)
    return -1;
  for (char *d = strtok_r (dirs, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *cand = NULL;
      if (d[0] != '/' || asprintf (&cand, "%s/%s", d, name) < 0)
        continue;
      if (stat (cand, &st) == 0 && S_ISREG (st.st_mode) && access (cand, X_OK) == 0)
        {
          *path = steal_ptr (&cand);
          return 0;
        }
    }
  errno = ENOENT;
  return -1;
}
