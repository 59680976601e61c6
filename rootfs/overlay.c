/* The throwaway root of `husk job`: an overlayfs whose lower layer is a
 * read-only tree and whose upper layer is a scratch tmpfs (or a directory
 * the caller keeps).  Mounted by the init in the container's own mount
 * namespace, after "/" was made slave: the host never sees either mount,
 * they go with the namespace, and the same code serves root and rootless
 * (the kernel allows overlayfs in a user namespace since 5.11). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "internal.h"

static int
make_dir_at (int dirfd, const char *name, mode_t mode, husk_err **err)
{
  if (mkdirat (dirfd, name, mode) < 0 && errno != EEXIST)
    return husk_error (err, errno, "overlay: create %s", name);
  return 0;
}

/* The directory that will hold upper/ and work/: a new tmpfs attached
 * onto the root's directory (the overlay then covers it), or keep_dir. */
static int
upper_base (int rootdir, const char *keep_dir, husk_err **err)
{
  static const char *mode[] = { "mode=0700", NULL };
  const struct mnt_opts mo = { .data = mode };
  cleanup_close int mnt = -1;
  int fd;

  if (keep_dir)
    {
      if (mkdir (keep_dir, 0700) < 0 && errno != EEXIST)
        return husk_error (err, errno, "--keep-changes %s", keep_dir);
      fd = open (keep_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        return husk_error (err, errno, "--keep-changes %s", keep_dir);
      return fd;
    }
  mnt = mnt_new_fs ("tmpfs", "husk-scratch", &mo, err);
  if (mnt < 0 || mnt_attach (mnt, rootdir, err) < 0)
    return husk_err_wrap (err, "overlay: the scratch tmpfs");
  /* the attached mount, which overlayfs can take as a layer */
  fd = openat (mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return husk_error (err, errno, "overlay: open the scratch tmpfs");
  return fd;
}

int
rootfs_overlay_mount (struct rootfs_ctx *ctx, husk_err **err)
{
  const struct rootfs_overlay *ov = ctx->o->overlay;
  cleanup_close int lowerfd = -1, rootdir = -1, base = -1, mnt = -1,
                    dest = -1;
  char lowerdir[64], upperdir[64], workdir[64];
  /* in a user namespace, overlayfs may not use trusted.* xattrs */
  const char *data[] = { lowerdir, upperdir, workdir,
                         ctx->o->in_userns ? "userxattr" : NULL, NULL };
  const struct mnt_opts mo = { .data = data };

  lowerfd = open (ov->lower, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (lowerfd < 0)
    return husk_error (err, errno, "overlay: the lower layer %s", ov->lower);
  rootdir = open (ctx->root_path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (rootdir < 0)
    return husk_error (err, errno, "overlay: open %s", ctx->root_path);
  base = upper_base (rootdir, ov->keep_dir, err);
  if (base < 0 || make_dir_at (base, "upper", 0755, err) < 0
      || make_dir_at (base, "work", 0700, err) < 0)
    return -1;
  /* paths through our own fds: nothing in them needs escaping for the
   * options string, whatever the caller's paths hold */
  snprintf (lowerdir, sizeof lowerdir, "lowerdir=/proc/self/fd/%d", lowerfd);
  snprintf (upperdir, sizeof upperdir, "upperdir=/proc/self/fd/%d/upper", base);
  snprintf (workdir, sizeof workdir, "workdir=/proc/self/fd/%d/work", base);
  /* the top of root_path now: the scratch tmpfs where there is one */
  dest = open (ctx->root_path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dest < 0)
    return husk_error (err, errno, "overlay: open %s", ctx->root_path);
  mnt = mnt_new_fs ("overlay", "husk-job", &mo, err);
  if (mnt < 0 || mnt_attach (mnt, dest, err) < 0)
    return husk_err_wrap (err, "overlay");
  return 0;
}
