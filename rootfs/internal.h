/* rootfs/ private interface, shared by its files.
 *
 * Mounts are made with the new mount API: a mount is built detached
 * (open_tree(OPEN_TREE_CLONE) for binds, fsopen/fsmount for filesystems),
 * given its flags with mount_setattr while no one can see it, and attached
 * with move_mount onto an fd of the destination that was resolved inside the
 * rootfs (lib/fs.h).  No path is resolved twice, nothing goes through /proc,
 * and a symlink swapped in by the container cannot redirect a mount. */
#ifndef HUSK_ROOTFS_INTERNAL_H
#define HUSK_ROOTFS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rootfs.h"

struct rootfs_ctx {
  const struct rootfs_opts *o;
  const struct oci_config *c;
  char *root_path; /* canonical path of root.path on the host */
  int rootfd;      /* the rootfs mount, once bound onto itself */
  int devnullfd;   /* the host's /dev/null, verified char 1:3 */
  bool dev_ro;     /* /dev is made read-only once its nodes are made */
};

/* ---------- options.c: a mount's option strings ---------- */

#define MNT_MAX_PROPAGATION 8

struct mnt_propagation {
  unsigned long type; /* MS_SHARED, MS_SLAVE, MS_PRIVATE or MS_UNBINDABLE */
  bool recursive;
};

struct mnt_opts {
  bool bind, recursive; /* bind or rbind */
  bool remount;
  bool copyup; /* tmpcopyup: the tmpfs starts as a copy of what it covers */
  uint64_t attr_set, attr_clr;   /* MOUNT_ATTR_* of the mount itself */
  uint64_t rattr_set, rattr_clr; /* and of every mount below it (rro...) */
  unsigned long sb_set;          /* MS_RDONLY, MS_SYNCHRONOUS...: for new
                                    filesystems */
  struct mnt_propagation prop[MNT_MAX_PROPAGATION];
  size_t n_prop;
  const char **data; /* filesystem options ("mode=755"), NULL-terminated */
};

/* Sorts a mount's options into flags and filesystem data (the strings that
 * are no flag); refuses idmap and ridmap. */
int mnt_opts_parse (char *const *options, struct mnt_opts *out,
                    husk_err **err);
void mnt_opts_free (struct mnt_opts *mo);
#define cleanup_mnt_opts __attribute__ ((cleanup (mnt_opts_free)))

/* Parses a propagation name (shared, rslave, ...) as rootfsPropagation and
 * the propagation options take it.  Returns false when unknown. */
bool mnt_propagation_parse (const char *name, struct mnt_propagation *out);

/* ---------- mounts.c: building and attaching mounts ---------- */

/* A detached copy of the tree at dirfd/path (path "" for dirfd itself). */
int mnt_clone (int dirfd, const char *path, bool recursive, husk_err **err);

/* A detached mount of a new filesystem. */
int mnt_new_fs (const char *type, const char *source,
                const struct mnt_opts *mo, husk_err **err);

/* Sets the flags of mo on the detached or attached mount mfd. */
int mnt_set_attrs (int mfd, const struct mnt_opts *mo, husk_err **err);
int mnt_set_propagation (int mfd, const struct mnt_opts *mo, husk_err **err);

/* Attaches the detached mount mfd onto the destination fd. */
int mnt_attach (int mfd, int destfd, husk_err **err);

/* The config's mounts, in order. */
int rootfs_do_mounts (struct rootfs_ctx *ctx, husk_err **err);

/* Mounts one config mount entry (also used for the implicit /dev). */
int rootfs_mount_entry (struct rootfs_ctx *ctx, const struct oci_mount *m,
                        husk_err **err);

/* ---------- copyup.c ---------- */

/* Copies the tree below the directory srcfd into the directory dstfd (a
 * detached tmpfs): files, directories, symlinks and nodes with their modes
 * and owners, never following a symlink of the source. */
int rootfs_copy_tree (int srcfd, int dstfd, husk_err **err);

/* ---------- dev.c ---------- */

/* Is dest "/dev" (any number of slashes)? */
bool rootfs_is_dev (const char *dest);
/* Does the config mount something on /dev? (and is it a bind?) */
bool rootfs_config_mounts_dev (const struct oci_config *c, bool *bind);
int rootfs_setup_dev (struct rootfs_ctx *ctx, husk_err **err);
/* Opens the host's /dev/null and checks it is the real one. */
int rootfs_open_devnull (husk_err **err);

/* ---------- masks.c ---------- */

int rootfs_mask_paths (struct rootfs_ctx *ctx, husk_err **err);
int rootfs_readonly_paths (struct rootfs_ctx *ctx, husk_err **err);
int rootfs_readonly_root (struct rootfs_ctx *ctx, husk_err **err);

/* ---------- overlay.c ---------- */

/* Covers ctx->root_path with the overlay of ctx->o->overlay. */
int rootfs_overlay_mount (struct rootfs_ctx *ctx, husk_err **err);

/* ---------- pivot.c ---------- */

/* Makes "/" slave (or as rootfsPropagation asks), the rootfs's parent mount
 * private when shared, covers it with the job's overlay (if any), and binds
 * the rootfs onto itself: sets ctx->rootfd. */
int rootfs_prepare_root (struct rootfs_ctx *ctx, husk_err **err);
/* pivot_root (or move + chroot) into ctx->rootfd; cwd "/" after. */
int rootfs_enter (struct rootfs_ctx *ctx, husk_err **err);
/* rootfsPropagation, applied to the new "/". */
int rootfs_apply_propagation (struct rootfs_ctx *ctx, husk_err **err);

#endif
