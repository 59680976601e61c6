/* tmpcopyup (crun's, used by podman): a tmpfs that starts as a copy of the
 * directory it covers.  The source is the container's rootfs, so nothing in
 * it is followed: every entry is opened with O_NOFOLLOW relative to its
 * parent's fd, and symlinks are copied as links. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "internal.h"

#define COPY_MAX_DEPTH 128

static int copy_dir (int srcfd, int dstfd, int depth, husk_err **err);

/* Owner, then mode: chown clears the set-id bits. */
static int
set_owner_mode (int fd, const struct stat *st, husk_err **err)
{
  if (fchown (fd, st->st_uid, st->st_gid) < 0)
    return husk_error (err, errno, "chown");
  if (fchmod (fd, st->st_mode & 07777) < 0)
    return husk_error (err, errno, "chmod");
  return 0;
}

static int
copy_file (int srcdir, int dstdir, const char *name, const struct stat *st,
           husk_err **err)
{
  cleanup_close int in = openat (srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_close int out = -1;
  off_t left = st->st_size;

  if (in < 0)
    return husk_error (err, errno, "open");
  out = openat (dstdir, name,
                O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0)
    return husk_error (err, errno, "create");
  while (left > 0)
    {
      ssize_t n = sendfile (out, in, NULL, left > 1 << 30 ? 1 << 30 : (size_t) left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return husk_error (err, errno, "copy");
      if (n == 0)
        break; /* the file shrank under us */
      left -= n;
    }
  return set_owner_mode (out, st, err);
}

static int
copy_link (int srcdir, int dstdir, const char *name, const struct stat *st,
           husk_err **err)
{
  char target[PATH_MAX];
  ssize_t n = readlinkat (srcdir, name, target, sizeof target - 1);

  if (n < 0)
    return husk_error (err, errno, "readlink");
  target[n] = '\0';
  if (symlinkat (target, dstdir, name) < 0)
    return husk_error (err, errno, "symlink");
  if (fchownat (dstdir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    return husk_error (err, errno, "chown");
  return 0;
}

static int
copy_subdir (int srcdir, int dstdir, const char *name, const struct stat *st,
             int depth, husk_err **err)
{
  cleanup_close int src = -1;
  cleanup_close int dst = -1;

  if (mkdirat (dstdir, name, 0700) < 0)
    return husk_error (err, errno, "mkdir");
  src = openat (srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  dst = openat (dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (src < 0 || dst < 0)
    return husk_error (err, errno, "open");
  if (copy_dir (src, dst, depth + 1, err) < 0)
    return -1;
  return set_owner_mode (dst, st, err);
}

static int
copy_node (int dstdir, const char *name, const struct stat *st, husk_err **err)
{
  if (mknodat (dstdir, name, st->st_mode & (S_IFMT | 0700), st->st_rdev) < 0)
    return husk_error (err, errno, "mknod");
  if (fchownat (dstdir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    return husk_error (err, errno, "chown");
  if (fchmodat (dstdir, name, st->st_mode & 07777, 0) < 0)
    return husk_error (err, errno, "chmod");
  return 0;
}

static int
copy_entry (int srcdir, int dstdir, const char *name, int depth,
            husk_err **err)
{
  struct stat st;
  int r;

  if (fstatat (srcdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return husk_error (err, errno, "\"%s\": stat", name);
  if (S_ISDIR (st.st_mode))
    r = copy_subdir (srcdir, dstdir, name, &st, depth, err);
  else if (S_ISREG (st.st_mode))
    r = copy_file (srcdir, dstdir, name, &st, err);
  else if (S_ISLNK (st.st_mode))
    r = copy_link (srcdir, dstdir, name, &st, err);
  else
    r = copy_node (dstdir, name, &st, err);
  if (r < 0)
    return husk_err_wrap (err, "\"%s\"", name);
  return 0;
}

static int
copy_dir (int srcfd, int dstfd, int depth, husk_err **err)
{
  cleanup_dir DIR *d = NULL;
  int fd;
  struct dirent *e;

  if (depth > COPY_MAX_DEPTH)
    return husk_error (err, ELOOP, "deeper than %d directories",
                       COPY_MAX_DEPTH);
  fd = openat (srcfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      int errnum = errno;
      if (fd >= 0)
        close (fd);
      return husk_error (err, errnum, "open directory");
    }
  while ((errno = 0, e = readdir (d)) != NULL)
    {
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      if (copy_entry (srcfd, dstfd, e->d_name, depth, err) < 0)
        return -1;
    }
  if (errno)
    return husk_error (err, errno, "readdir");
  return 0;
}

/* The tmpfs's own root keeps the mode its options gave it. */
int
rootfs_copy_tree (int srcfd, int dstfd, husk_err **err)
{
  cleanup_close int dst = openat (dstfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (dst < 0)
    return husk_error (err, errno, "tmpcopyup: open the tmpfs");
  if (copy_dir (srcfd, dst, 0, err) < 0)
    return husk_err_wrap (err, "tmpcopyup");
  return 0;
}
