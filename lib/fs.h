/* Safe paths: opening and creating paths inside a directory tree that may be
 * hostile (a container's rootfs) without ever leaving it, and small-file I/O.
 *
 * "Inside a root" means: the path is resolved as if rootfd were "/".  Absolute
 * symlinks restart at rootfd, ".." stops at it, and magic links
 * (/proc/self/fd/N and the like) are refused.  openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) does the work where the kernel has it; elsewhere a
 * component walk with O_NOFOLLOW does the same.
 *
 * Every function returns a non-negative value on success, or -1 with errno
 * set and, when err is non-NULL, *err filled. */
#ifndef HUSK_LIB_FS_H
#define HUSK_LIB_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Opens path inside rootfd with open(2) flags (O_CLOEXEC is implied; O_CREAT
 * is refused: use fs_mkpath_in_root).  Returns the new fd; err may be NULL
 * where errno alone is wanted. */
int fs_open_in_root (int rootfd, const char *path, int flags, husk_err **err);

enum fs_kind { FS_DIR, FS_FILE };

/* mkdir -p inside rootfd: every missing component is created as a directory
 * (mode 0755) with mkdirat relative to its parent's fd, the last one as
 * `kind` (a directory, or an empty regular file) with `mode`.  Symlinks met
 * on the way are followed inside the root.  An existing last component is
 * accepted whatever its type (callers check what they need).  Returns an
 * O_PATH fd of the last component. */
int fs_mkpath_in_root (int rootfd, const char *path, enum fs_kind kind,
                       mode_t mode, husk_err **err);

/* Reads the whole file dirfd/path (dirfd may be AT_FDCWD), at most max
 * bytes (EFBIG past that), NUL-terminated.  *len (if non-NULL) gets the
 * size without the NUL.  This follows symlinks: for paths a container
 * controls, open with fs_open_in_root and use fs_read_fd. */
int fs_read_file_at (int dirfd, const char *path, size_t max, char **out,
                     size_t *len, husk_err **err);
int fs_read_fd (int fd, size_t max, char **out, size_t *len, husk_err **err);

/* Writes buf to dirfd/path in one write(2) (as /proc and cgroup files want).
 * flags adds to O_WRONLY | O_CLOEXEC (e.g. O_CREAT | O_TRUNC, mode 0644). */
int fs_write_file_at (int dirfd, const char *path, const void *buf,
                      size_t len, int flags, husk_err **err);

/* The first executable regular file named name in the absolute
 * directories of $PATH (unset or empty: /usr/local/bin:/usr/bin:/bin),
 * then of also (':'-separated, or NULL): a relative entry would run what
 * the current directory holds.  *path is malloc'd.  Returns -1 with errno
 * ENOENT when there is none, without a message: the caller names what is
 * missing and where it comes from. */
int fs_find_program (const char *name, const char *also, char **path);

/* A memfd (close-on-exec) holding text, its offset at 0: stdin for a
 * program that husk runs (hooks, nft).  name is memfd_create's. */
int fs_memfd_text (const char *name, const char *text, husk_err **err);

/* CVE-2025-52881: /proc files that husk writes (sysctls, LSM labels) are
 * opened from a procfs handle of its own, never through a path that a
 * container's mounts or rootfs could redirect.  fs_open_procfs opens the
 * host's /proc (call it before entering any of the container's mount
 * namespace) as an O_PATH fd, checked to be a procfs mount's root;
 * fs_write_proc writes value to procfd/path, resolved without crossing a
 * mount, a magic link or "..", and checked to be on procfs. */
int fs_open_procfs (husk_err **err);
int fs_write_proc (int procfd, const char *path, const char *value,
                   husk_err **err);

#endif
