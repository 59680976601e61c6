/* maskedPaths, readonlyPaths and root.readonly.  Paths are resolved inside
 * the rootfs and mounted over through their fd; a path that does not exist
 * is skipped, as runc does. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/fs.h"
#include "internal.h"

/* The fd of path inside the rootfs, or -1 with *missing set when there is
 * nothing to mask there. */
static int
open_target (struct rootfs_ctx *ctx, const char *path, bool *missing,
             husk_err **err)
{
  /* most of the default list is missing on a given kernel: no message is
   * made for those */
  int fd = fs_open_in_root (ctx->rootfd, path, O_PATH, NULL);

  *missing = fd < 0 && (errno == ENOENT || errno == ENOTDIR);
  if (fd < 0 && !*missing)
    return husk_error (err, errno, "open \"%s\" inside the root", path);
  return fd;
}

/* A directory gets an empty read-only tmpfs; anything else the null device.
 * CVE-2025-31133: the null device is cloned from the host's /dev/null that
 * rootfs_open_devnull checked (char 1:3), through its fd: the container's
 * /dev/null, which it could swap for a link to a procfs file, is not used. */
static int
mask_one (struct rootfs_ctx *ctx, int fd, husk_err **err)
{
  struct mnt_opts ro = { .attr_set = MOUNT_ATTR_RDONLY, .sb_set = MS_RDONLY };
  cleanup_close int mfd = -1;
  struct stat st, null;

  if (fstat (fd, &st) < 0)
    return husk_error (err, errno, "stat");
  if (S_ISDIR (st.st_mode))
    mfd = mnt_new_fs ("tmpfs", "tmpfs", &ro, err);
  else
    {
      if (fstat (ctx->devnullfd, &null) < 0 || !S_ISCHR (null.st_mode)
          || major (null.st_rdev) != 1 || minor (null.st_rdev) != 3)
        return husk_error (err, EPERM, "/dev/null is not char 1:3");
      mfd = mnt_clone (ctx->devnullfd, "", false, err);
    }
  if (mfd < 0)
    return -1;
  return mnt_attach (mfd, fd, err);
}

int
rootfs_mask_paths (struct rootfs_ctx *ctx, husk_err **err)
{
  const struct oci_linux *l = ctx->c->linux_;

  for (char **p = l ? l->masked_paths : NULL; p && *p; p++)
    {
      bool missing;
      cleanup_close int fd = open_target (ctx, *p, &missing, err);
      if (fd < 0 && missing)
        continue;
      if (fd < 0 || mask_one (ctx, fd, err) < 0)
        return husk_err_wrap (err, "mask \"%s\"", *p);
    }
  return 0;
}

/* Bound onto itself with everything below it, then made read-only all the
 * way down: the flags it had (nosuid, nodev, noexec) stay as they were. */
static int
readonly_one (int fd, husk_err **err)
{
  struct mnt_opts ro = { .rattr_set = MOUNT_ATTR_RDONLY };
  cleanup_close int mfd = mnt_clone (fd, "", true, err);

  if (mfd < 0)
    return -1;
  if (mnt_set_attrs (mfd, &ro, err) < 0)
    return -1;
  return mnt_attach (mfd, fd, err);
}

int
rootfs_readonly_paths (struct rootfs_ctx *ctx, husk_err **err)
{
  const struct oci_linux *l = ctx->c->linux_;

  for (char **p = l ? l->readonly_paths : NULL; p && *p; p++)
    {
      bool missing;
      cleanup_close int fd = open_target (ctx, *p, &missing, err);
      if (fd < 0 && missing)
        continue;
      if (fd < 0 || readonly_one (fd, err) < 0)
        return husk_err_wrap (err, "make \"%s\" read-only", *p);
    }
  return 0;
}

/* Only the root mount itself, as runc: the mounts on it keep their own. */
int
rootfs_readonly_root (struct rootfs_ctx *ctx, husk_err **err)
{
  struct mnt_opts ro = { .attr_set = MOUNT_ATTR_RDONLY };

  if (!ctx->c->root->readonly)
    return 0;
  if (mnt_set_attrs (ctx->rootfd, &ro, err) < 0)
    return husk_err_wrap (err, "make the root read-only");
  return 0;
}
