/* The throwaway root of `husk job`: an overlayfs whose lower layer is a
 * read-only tree and whose upper layer is a scratch tmpfs (or a directory
 * the caller keeps).  Unlike the rest of rootfs/ this runs in husk, in the
 * private mount namespace husk job made for itself, before the clone: the
 * container's mount namespace starts as a copy of it, and the host never
 * sees either mount. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "internal.h"

#define SCRATCH "scratch"
#define MERGED "rootfs"

static int
make_dir_at (int dirfd, const char *name, mode_t mode, husk_err **err)
{
  if (mkdirat (dirfd, name, mode) < 0 && errno != EEXIST)
    return husk_error (err, errno, "overlay: create %s", name);
  return 0;
}

/* O_PATH fd of dirfd/name, a directory (no symlink followed). */
static int
open_dir_at (int dirfd, const char *name, husk_err **err)
{
  int fd = openat (dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return husk_error (err, errno, "overlay: open %s", name);
  return fd;
}

/* The directory that will hold upper/ and work/: a new tmpfs attached at
 * dirfd/scratch, or keep_dir. */
static int
upper_base (int dirfd, const char *keep_dir, husk_err **err)
{
  static const char *mode[] = { "mode=0700", NULL };
  const struct mnt_opts mo = { .data = mode };
  cleanup_close int mnt = -1, dest = -1;

  if (keep_dir)
    {
      if (mkdir (keep_dir, 0700) < 0 && errno != EEXIST)
        return husk_error (err, errno, "--keep-changes %s", keep_dir);
      int fd = open (keep_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        return husk_error (err, errno, "--keep-changes %s", keep_dir);
      return fd;
    }
  if (make_dir_at (dirfd, SCRATCH, 0700, err) < 0
      || (dest = open_dir_at (dirfd, SCRATCH, err)) < 0)
    return -1;
  mnt = mnt_new_fs ("tmpfs", "husk-scratch", &mo, err);
  if (mnt < 0 || mnt_attach (mnt, dest, err) < 0)
    return husk_err_wrap (err, "overlay: the scratch tmpfs");
  /* the attached mount, which overlayfs can take as a layer */
  return steal_fd (&mnt);
}

int
rootfs_overlay_mount (int dirfd, const char *lower, const char *keep_dir,
                      husk_err **err)
{
  cleanup_close int lowerfd = -1, base = -1, baseref = -1, mnt = -1,
                    dest = -1;
  char lowerdir[64], upperdir[64], workdir[64];
  const char *data[] = { lowerdir, upperdir, workdir, NULL };
  const struct mnt_opts mo = { .data = data };

  lowerfd = open (lower, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (lowerfd < 0)
    return husk_error (err, errno, "overlay: the lower layer %s", lower);
  base = upper_base (dirfd, keep_dir, err);
  if (base < 0)
    return -1;
  /* an fd that mkdirat can use (base may be O_PATH) */
  baseref = openat (base, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (baseref < 0 || make_dir_at (baseref, "upper", 0755, err) < 0
      || make_dir_at (baseref, "work", 0700, err) < 0)
    return baseref < 0 ? husk_error (err, errno, "overlay: open the upper "
                                     "layer's directory") : -1;
  /* paths through our own fds: nothing in them needs escaping for the
   * options string, whatever the caller's paths hold */
  snprintf (lowerdir, sizeof lowerdir, "lowerdir=/proc/self/fd/%d", lowerfd);
  snprintf (upperdir, sizeof upperdir, "upperdir=/proc/self/fd/%d/upper", base);
  snprintf (workdir, sizeof workdir, "workdir=/proc/self/fd/%d/work", base);
  if (make_dir_at (dirfd, MERGED, 0755, err) < 0
      || (dest = open_dir_at (dirfd, MERGED, err)) < 0)
    return -1;
  mnt = mnt_new_fs ("overlay", "husk-job", &mo, err);
  if (mnt < 0 || mnt_attach (mnt, dest, err) < 0)
    return husk_err_wrap (err, "overlay");
  return 0;
}

void
rootfs_overlay_unmount (int dirfd)
{
  /* through the state dir's fd: /proc/self/fd/N/name */
  char path[64];

  snprintf (path, sizeof path, "/proc/self/fd/%d/" MERGED, dirfd);
  umount2 (path, MNT_DETACH | UMOUNT_NOFOLLOW);
  snprintf (path, sizeof path, "/proc/self/fd/%d/" SCRATCH, dirfd);
  umount2 (path, MNT_DETACH | UMOUNT_NOFOLLOW);
}
