/* CVE-2019-5736: husk's own binary must never be writable from a container.
 *
 * A process that husk clones into a container has husk's binary as its
 * /proc/self/exe until it execs, and a container entrypoint of
 * `#!/proc/self/exe` even runs that binary inside the container, dumpable.
 * So the commands that enter a container (create, run, exec, job) first re-exec
 * husk from a copy that cannot be written: a read-only, lower-only overlayfs
 * mount of husk's directory made with the new mount API and never attached
 * anywhere (runc 1.2's method: no copy, shared page cache), or where that
 * cannot be made (no CAP_SYS_ADMIN, a lower filesystem overlayfs refuses) a
 * sealed memfd copy.  A husk already running from either skips the
 * re-exec, so a command pays it once.
 *
 * On x86_64 husk's entry point makes the overlayfs copy and re-execs from
 * it before libc has started (selfexe_early.c), when its arguments name
 * one of those commands; main's selfexe_protect then finds itself
 * protected, or makes a copy and re-execs the slow way where the early
 * attempt could not. */
#ifndef HUSK_LIB_SELFEXE_H
#define HUSK_LIB_SELFEXE_H

#include <fcntl.h>
#include <stdbool.h>

#include "error.h"

/* The commands that enter a container, each ended by a NUL. */
#define SELFEXE_COMMANDS "create\0run\0exec\0job\0"

/* The seals of a protected memfd copy. */
#define SELFEXE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* Whether command (a command's name) enters a container. */
bool selfexe_wanted_by (const char *command);

/* What protects fd (of /proc/self/exe or of a copy) from being written:
 * "a sealed memfd copy", "a read-only overlayfs", or NULL. */
const char *selfexe_protected_kind (int fd);

/* Set by the entry point (selfexe_early.c) when it found husk running from
 * a protected copy: what protects it, as selfexe_protected_kind says. */
extern const char *selfexe_early_found;

/* An O_PATH fd of husk's binary in a read-only overlayfs copy, or -errno
 * with *failed naming the step that failed. */
int selfexe_overlay_fd (const char **failed);

/* Returns 0 when /proc/self/exe is already such a copy; otherwise re-execs
 * argv (with the current environment) from a protected copy and returns -1
 * with *err only when no copy could be made or exec'd.  The environment
 * variable HUSK_EXE_COPY=memfd skips the overlayfs attempt (both methods
 * protect; this picks one, for tests and the benchmark). */
int selfexe_protect (char **argv, husk_err **err);

#endif
