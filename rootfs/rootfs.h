/* rootfs: the container's filesystem view.  Runs inside the container's
 * new mount namespace (in the child that will exec the user's process),
 * before capabilities are dropped. */
#ifndef HUSK_ROOTFS_H
#define HUSK_ROOTFS_H

#include <stdbool.h>

#include "../lib/error.h"
#include "../specs/specs.h"

struct rootfs_opts {
  const struct oci_config *config;
  const char *bundle;       /* absolute; root.path is relative to it */
  bool no_pivot;            /* move mount + chroot instead of pivot_root */
  bool in_userns;           /* devices are bind-mounted, not mknod'ed */
  const char *console_path; /* pty slave to bind on /dev/console, or NULL */
  /* Optional: called once the mounts and /dev are in place, before the
   * masks and the move into the rootfs; where runc runs the createContainer
   * hooks.  A failure stops the setup with its error. */
  int (*before_pivot) (void *arg, husk_err **err);
  void *before_pivot_arg;
};

/* Does, in this order: root propagation (rootfsPropagation, default rslave
 * as runc), the rootfs bind, config mounts in order (destinations resolved
 * inside the rootfs: no symlink can lead out), /dev (default devices,
 * symlinks, linux.devices, /dev/console), before_pivot, maskedPaths,
 * readonlyPaths, root.readonly (these three through fds of the rootfs, so
 * before the move), pivot_root (or move + chroot), rootfsPropagation.  On
 * return the process's root and cwd are the container's "/". */
int rootfs_setup (const struct rootfs_opts *o, husk_err **err);

/* husk job's root, mounted in husk (in a mount namespace of its own, before
 * the clone; see overlay.c): an overlayfs at dirfd/rootfs of the read-only
 * tree `lower` and an upper layer in a new tmpfs at dirfd/scratch, or in
 * keep_dir/upper (made when missing) when keep_dir is set. */
int rootfs_overlay_mount (int dirfd, const char *lower, const char *keep_dir,
                          husk_err **err);
/* Detaches both mounts from husk's namespace (the container keeps its
 * copies); for the state dir to be removable. */
void rootfs_overlay_unmount (int dirfd);

#endif
