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
 * re-exec, so a command pays it once. */
#ifndef HUSK_LIB_SELFEXE_H
#define HUSK_LIB_SELFEXE_H

#include "error.h"

/* Returns 0 when /proc/self/exe is already such a copy; otherwise re-execs
 * argv (with the current environment) from a protected copy and returns -1
 * with *err only when no copy could be made or exec'd.  The environment
 * variable HUSK_EXE_COPY=memfd skips the overlayfs attempt (both methods
 * protect; this picks one, for tests and the benchmark). */
int selfexe_protect (char **argv, husk_err **err);

#endif
