/* seccomp: config.json "linux.seccomp" as a BPF program the container loads.
 *
 * The work is split in two so that nothing slow or fallible happens in the
 * container's process:
 *
 *   husk_seccomp_prepare()  in husk (the parent), BEFORE clone: translates
 *                           the section with libseccomp into a classic BPF
 *                           program, checks the flags against the kernel,
 *                           and caches the program (see below).  Every error
 *                           in the profile surfaces here, before anything
 *                           of the container exists.
 *   husk_seccomp_load()     in the child, once its set-up is done:
 *                           one seccomp(SECCOMP_SET_MODE_FILTER) syscall.
 *
 * Where the runtime calls them
 * ----------------------------
 * prepare: runtime/create.c, once the config is loaded and before the init
 *   is cloned; runtime/exec.c, likewise before the exec'd process is forked
 *   (the exec'd process gets the container's filter: the same section of the
 *   same config.json, a cache hit).  A NULL section (no linux.seccomp) gives
 *   *out == NULL, and load/free accept NULL.
 * load: runtime/process.c rt_proc_restrict(), for the init and exec'd processes
 *   alike, in runc's order (libcontainer/standard_init_linux.go):
 *   - process.noNewPrivileges true: right after prctl(PR_SET_NO_NEW_PRIVS),
 *     once the set-up is done: the init loads it before it reports ready
 *     and waits for start (runc 1.1's order: the kernel's work on the
 *     filter overlaps husk's own after ready), an exec'd process just
 *     before execve, and the init too where a listener must get the state
 *     document that comes with start.  husk's set-up is never filtered;
 *     the syscalls after the load (sendmsg and recvmsg on the sync socket,
 *     open and write of exec.fifo, startContainer hooks, close_range,
 *     personality, rt_sigaction, rt_sigprocmask, execve) must be allowed
 *     by the profile, as under runc.
 *   - noNewPrivileges false: the kernel wants CAP_SYS_ADMIN (in the user
 *     namespace of the process) to load a filter, so the load must come
 *     before the capability sets and the uid are changed: at the start of
 *     rt_proc_setup(), as runc does before finalizeNamespace().  The filter
 *     then also applies to the rest of the set-up; a profile that denies
 *     setuid/capset/... makes the container fail to start, as under runc.
 *   husk_seccomp_loads_early() says which of the two places applies.
 *
 * SCMP_ACT_NOTIFY: the filter is loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER
 *   and husk_seccomp_load() hands back the listener fd, which must reach
 *   listenerPath with the runtime-spec "containerProcessState" document.
 *   The child cannot reach listenerPath itself (a host path; it is past
 *   pivot_root), so husk connects to it before clone, in the host's mount
 *   namespace (husk_seccomp_connect_listener; the socket is O_CLOEXEC), and
 *   the child sends on that socket right after the load
 *   (husk_seccomp_send_listener with the container's state document, the
 *   one husk gave it for the hooks, and its own host pid), then execs.  This
 *   works the same for run, create/start and exec, with no fd passing back
 *   to husk.  (A runtime that passes the fd back to husk instead calls
 *   husk_seccomp_send_listener there with sock -1.)  The notify action is
 *   refused as the default action and on write and sendmsg, which the hand-
 *   over itself needs (runc refuses write for the same reason).
 *
 * The cache: a compiled program is stored as <cache_dir>/seccomp/<hash>.bpf,
 * keyed by a 64-bit FNV-1a hash of a canonical serialisation of everything
 * that shapes the program (the section minus flags and listener, the
 * libseccomp version, the native architecture, husk's version).  The file
 * also holds that serialisation, compared byte for byte on read, so a hash
 * collision (FNV is not collision resistant; configs may be hostile) is a
 * miss, never a wrong filter.  Files are written to a temporary name and
 * renamed; a truncated, corrupt or foreign file is ignored and replaced.
 * The runtime passes cache_dir = "<--root>/.cache" (a dot entry: no
 * container id starts with '.', so `list` and `create` never meet it); NULL
 * disables the cache. */
#ifndef HUSK_SECCOMP_H
#define HUSK_SECCOMP_H

#include <stdbool.h>
#include <sys/types.h>

#include "../lib/error.h"
#include "../specs/specs.h"

struct husk_seccomp;

/* Translates s (may be NULL: *out = NULL) into a loadable filter.  Syscall
 * names unknown to this libseccomp are skipped with a debug line.  Fails on
 * a flag the kernel lacks, an architecture libseccomp lacks, an action the
 * kernel lacks (e.g. SCMP_ACT_NOTIFY before 5.0), a notify action without
 * listenerPath.  Errors name the field ("linux.seccomp.syscalls[3]: ..."). */
int husk_seccomp_prepare (const struct oci_seccomp *s, const char *cache_dir,
                          struct husk_seccomp **out, husk_err **err);

/* True when the program came from the cache (tests and the debug log). */
bool husk_seccomp_cached (const struct husk_seccomp *sc);

/* True when the filter must be loaded before the capabilities are dropped
 * (no_new_privs is not set): see above. */
bool husk_seccomp_loads_early (const struct husk_seccomp *sc,
                               bool no_new_privs);

/* In the child: loads the filter (sc may be NULL: nothing to do).
 * *notify_fd_out gets the listener fd when the profile has SCMP_ACT_NOTIFY,
 * else -1.  Async-signal-safe apart from building the error message. */
int husk_seccomp_load (const struct husk_seccomp *sc, int *notify_fd_out,
                       husk_err **err);

/* True when the profile has SCMP_ACT_NOTIFY: the runtime then connects to
 * the listener before clone and sends the fd after the load. */
bool husk_seccomp_has_listener (const struct husk_seccomp *sc);

/* In husk, before clone: a socket connected to listenerPath (O_CLOEXEC),
 * or -1 with *err set. */
int husk_seccomp_connect_listener (const struct husk_seccomp *sc,
                                   husk_err **err);

/* Sends, in one message on sock (-1: connect to listenerPath now),
 *   {"ociVersion", "fds": ["seccompFd"], "pid", "metadata", "state"}
 * with notify_fd as SCM_RIGHTS.  state_json is the container's state
 * document (oci_state_to_json), spliced in as it is; pid is the process the
 * filter belongs to, as the host sees it.  Does not close sock. */
int husk_seccomp_send_listener (const struct husk_seccomp *sc, int sock,
                                int notify_fd, pid_t pid,
                                const char *state_json, husk_err **err);

void husk_seccomp_free (struct husk_seccomp *sc);

#endif
