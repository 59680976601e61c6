/* rootfs: the container's filesystem view.  Runs inside the container's
 * new mount namespace (in the child that will exec the user's process),
 * before capabilities are dropped. */
#ifndef HUSK_ROOTFS_H
#define HUSK_ROOTFS_H

#include <stdbool.h>

#include "../lib/error.h"
#include "../specs/specs.h"

/* husk job's throwaway root (overlay.c): root.path is first covered with
 * an overlayfs of the read-only tree `lower` and an upper layer in a new
 * tmpfs, or in keep_dir/upper (made when missing) when keep_dir is set. */
struct rootfs_overlay {
  const char *lower;    /* absolute */
  const char *keep_dir; /* absolute, or NULL */
};

struct rootfs_opts {
  const struct oci_config *config;
  const char *bundle;       /* absolute; root.path is relative to it */
  bool no_pivot;            /* move mount + chroot instead of pivot_root */
  bool in_userns;           /* devices are bind-mounted, not mknod'ed */
  const char *console_path; /* pty slave to bind on /dev/console, or NULL */
  const struct rootfs_overlay *overlay; /* husk job; NULL otherwise */
  /* Optional: called once the mounts and /dev are in place, before the
   * masks and the move into the rootfs; where runc runs the createContainer
   * hooks.  A failure stops the setup with its error. */
  int (*before_pivot) (void *arg, husk_err **err);
  void *before_pivot_arg;
};

/* Does, in this order: root propagation (rootfsPropagation, default rslave
 * as runc), the overlay onto root.path (husk job), the rootfs bind, config mounts in order (destinations resolved
 * inside the rootfs: no symlink can lead out), /dev (default devices,
 * symlinks, linux.devices, /dev/console), before_pivot, maskedPaths,
 * readonlyPaths, root.readonly (these three through fds of the rootfs, so
 * before the move), pivot_root (or move + chroot), rootfsPropagation.  On
 * return the process's root and cwd are the container's "/". */
int rootfs_setup (const struct rootfs_opts *o, husk_err **err);

#endif
