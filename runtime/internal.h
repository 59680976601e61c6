/* runtime/: private declarations shared by the files of this folder.
 *
 * A container is a directory <root>/<id> (mode 0700) holding
 *   state.json  what husk recorded (init pid and start time, bundle, ...);
 *               the status is derived from it, never stored;
 *   config.json the config the container was created from (exec, hooks);
 *   exec.fifo   while the init waits for `start` (create only).
 * Commands on one id are serialised by flock() on the directory. */
#ifndef HUSK_RUNTIME_INTERNAL_H
#define HUSK_RUNTIME_INTERNAL_H

#include <signal.h>
#include <stdint.h>
#include <termios.h>

#include "runtime.h"
#include "../namespaces/namespaces.h"
#include "../seccomp/seccomp.h"

#define RT_STATE_FILE "state.json"
#define RT_CONFIG_FILE "config.json"
#define RT_FIFO_FILE "exec.fifo"

/* ---------- state.c ---------- */

/* Bits of rt_state.hooks: which hook lists of the config are non-empty,
 * so that start and delete read the config only when they need it. */
enum
{
  RT_HOOK_POSTSTART = 1 << 0,
  RT_HOOK_POSTSTOP = 1 << 1,
};

struct rt_state
{
  char *id;
  pid_t pid;               /* the init, as husk's pid namespace sees it */
  uint64_t start_time;     /* field 22 of /proc/<pid>/stat */
  char *bundle;
  char *rootfs;
  char *created;           /* RFC 3339 */
  int ns_flags;            /* CLONE_NEW* of the init's namespaces, made
                              or joined (exec joins these) */
  int new_ns_flags;        /* those made for it (a new pid namespace holds
                              exactly the container's processes) */
  unsigned hooks;          /* RT_HOOK_* */
  bool creating;           /* create has not finished (or was killed) */
  char *cgroup_path;       /* the container's cgroup; NULL without one */
  char *cgroup_pending;    /* where create is about to make it: not yet
                            * known to be this container's own */
  struct oci_kv *annotations;
  size_t n_annotations;
};

enum rt_status
{
  RT_CREATING,
  RT_CREATED,
  RT_RUNNING,
  RT_PAUSED,
  RT_STOPPED,
};

struct rt_container
{
  int rootfd;      /* --root */
  int dirfd;       /* <root>/<id>, flocked when opened with lock */
  char *id;
  bool has_state;  /* state.json was there (absent: create was killed) */
  struct rt_state st;
};

/* Checks id as runc does: ^[\w+-\.]+$, not "." or "..". */
int rt_check_id (const char *id, husk_err **err);

/* The --root directory (husk's default when unset). */
const char *rt_root_path (const struct husk_globals *g);

/* Opens (creating it, mode 0711, when `create`) the --root directory. */
int rt_open_root (const struct husk_globals *g, bool create, husk_err **err);

/* Opens the container id; with `lock`, holds an exclusive flock on its
 * directory until rt_container_release.  "container \"ID\" does not exist"
 * when there is none. */
int rt_container_open (const struct husk_globals *g, const char *id,
                       bool lock, struct rt_container *c, husk_err **err);
void rt_container_release (struct rt_container *c);

enum rt_status rt_container_status (const struct rt_container *c);
const char *rt_status_name (enum rt_status s);

/* Writes state.json atomically (temporary file + rename). */
int rt_state_write (int dirfd, const struct rt_state *s, husk_err **err);
void rt_state_clear (struct rt_state *s);

/* The start time (field 22 of /proc/<pid>/stat), state letter and parent
 * of pid (each out pointer may be NULL); -1 with errno ESRCH when it has
 * gone. */
int rt_proc_stat (pid_t pid, uint64_t *start_time, char *state,
                  pid_t *ppid);

/* Whether pid is still the process that was started at start_time, and
 * not a zombie. */
bool rt_pid_alive (pid_t pid, uint64_t start_time);

/* A pidfd for the container's init, checked against its start time (so
 * that a reused pid is never signalled); -1 with ESRCH when it is gone. */
int rt_init_pidfd (const struct rt_state *s, husk_err **err);

/* The spec's state document of the container, for `state` and hooks. */
int rt_oci_state (const struct rt_container *c, const char *status,
                  struct oci_state **out, husk_err **err);
int rt_oci_state_json (const struct rt_container *c, const char *status,
                       char **json, husk_err **err);

/* Removes dirfd/name and everything below it (no symlink followed); a
 * name already gone is not an error. */
int rt_remove_tree_at (int dirfd, const char *name);

/* Removes the state directory and everything in it. */
int rt_remove_dir (int rootfd, const char *id, husk_err **err);

/* Writes "<pid>" to path atomically (as containerd reads it). */
int rt_write_pid_file (const char *path, pid_t pid, husk_err **err);

/* Refuses a job (its config is not saved: exec and update need it). */
int rt_check_not_job (const struct rt_container *c, husk_err **err);

/* Loads the config the container was created with (its state dir). */
int rt_load_config (const struct rt_container *c, struct oci_config **cfg,
                    husk_err **err);

/* ---------- sync.c: messages between husk and the container's init ---- */

enum rt_sync_type
{
  SYNC_GO = 1,     /* parent: ids mapped, state written: set up (text:
                      the state document, for the hooks run inside) */
  SYNC_USERNS,     /* child: my user namespace needs its id maps */
  SYNC_MAPPED,     /* parent: done */
  SYNC_PID,        /* child (two-step spawn): the init's pid */
  SYNC_HOOKS,      /* child: run prestart and createRuntime hooks now */
  SYNC_HOOKS_DONE, /* parent: done */
  SYNC_READY,      /* child: set up, waiting for start (with its network
                      namespace's fd when send_netns) */
  SYNC_START,      /* parent (run): go */
  SYNC_ERROR,      /* child: failed, with a message */
};

struct rt_sync_msg
{
  int type;
  int errnum;
  pid_t pid;
  char text[32768];
};

/* text may be NULL. */
int rt_sync_send (int fd, int type, pid_t pid, const char *text,
                  husk_err **err);
/* The child's last word: the error, written whole in one message. */
void rt_sync_send_error (int fd, const husk_err *e);
/* A message of type `type` without text, carrying fd (SCM_RIGHTS). */
int rt_sync_send_fd (int sock, int type, int fd, husk_err **err);
/* Receives one message; 0 on EOF (the other side has gone). */
int rt_sync_recv (int fd, struct rt_sync_msg *m, husk_err **err);
/* rt_sync_recv, and *passed the fd the message carried (O_CLOEXEC, the
 * caller's), or -1. */
int rt_sync_recv_fd (int fd, struct rt_sync_msg *m, int *passed,
                     husk_err **err);
/* Waits for a message of type `want`; any other (or EOF) is an error. */
int rt_sync_expect (int fd, int want, struct rt_sync_msg *m, husk_err **err);
/* Turns a received SYNC_ERROR into *err. */
int rt_sync_error (const struct rt_sync_msg *m, husk_err **err);

/* ---------- hooks.c ---------- */

/* Runs the hooks of one phase in order, each with state_json on stdin,
 * killed after its timeout.  The first failure stops and is returned. */
int rt_run_hooks (const struct oci_hook_list *l, const char *phase,
                  const char *state_json, husk_err **err);
/* poststart and poststop: a failure is a warning and the rest still run
 * (runtime-spec). */
void rt_run_hooks_warn (const struct oci_hook_list *l, const char *phase,
                        const char *state_json);

/* ---------- terminal.c ---------- */

struct rt_pty
{
  int master, slave;
  char slave_path[64];
};

/* Opens a pty pair on /dev/ptmx (the host's for create; the container's for
 * exec, whose child opens it in the mount namespace), sized from consoleSize. */
int rt_pty_open (const struct oci_process *p, struct rt_pty *pty,
                 husk_err **err);
void rt_pty_close (struct rt_pty *pty);
/* Sends the master over the AF_UNIX socket at path (SCM_RIGHTS, as runc). */
int rt_console_send (const char *socket_path, int master, husk_err **err);
/* Child: the slave becomes the controlling terminal and fds 0-2. */
int rt_pty_make_stdio (int slave, husk_err **err);
/* run in the foreground without a console socket: copies between husk's
 * stdio and the master until the master hangs up.  Returns the fds the
 * caller polls; see rt_proxy_*. */
struct rt_proxy
{
  int master;
  bool stdin_open;
  bool raw;  /* husk's stdin was put in raw mode (restored at the end) */
  struct termios saved;
};
int rt_proxy_start (struct rt_proxy *px, int master, husk_err **err);
/* Handles what poll reported; returns 1 while the master is open. */
int rt_proxy_pump (struct rt_proxy *px, short master_revents,
                   short stdin_revents);
void rt_proxy_resize (struct rt_proxy *px);
/* What the process wrote last, once it has exited. */
void rt_proxy_drain (struct rt_proxy *px);
void rt_proxy_end (struct rt_proxy *px);

/* ---------- foreground.c ---------- */

/* The signals husk forwards (all but its own faults, SIGKILL, SIGSTOP). */
void rt_forwarded_signals (sigset_t *s);

/* Something to do every period_ms while waiting (husk job's timeout and
 * samples); the first call comes at once; fn may set period_ms to 0: no
 * more calls. */
struct rt_fg_tick
{
  unsigned period_ms;
  void (*fn) (void *arg);
  void *arg;
};

/* Waits for pid (husk's child) with the signals in fwd blocked by the
 * caller: forwards them, proxies master (-1: none) to husk's stdio, calls
 * tick (may be NULL), and sets *wstatus (waitpid's). */
int rt_foreground (pid_t pid, int master, const sigset_t *fwd,
                   const struct rt_fg_tick *tick, int *wstatus,
                   husk_err **err);
/* A wait status as a shell's exit status: 128+N for signal N. */
int rt_exit_status (int wstatus);

/* ---------- process.c: the process attributes (init and exec) ---------- */

struct rt_proc_opts
{
  const struct oci_process *p;
  const struct oci_personality *personality; /* linux.personality */
  int host_proc_fd;   /* the host's /proc, opened before pivot_root */
  int preserve_fds;
  const sigset_t *sigmask; /* restored just before exec */
  const struct husk_seccomp *seccomp; /* NULL: none */
  int listener_sock;       /* connected to listenerPath, or -1 */
  const char *state_json;  /* for the seccomp listener */
  bool restrict_early;     /* rt_proc_restrict ran before the wait for start */
};

/* Finds args[0] in the container (PATH from process.env, as runc does);
 * *path is then what execve gets. */
int rt_find_executable (const struct oci_process *p, char **path,
                        husk_err **err);
/* Everything that needs privileges: rlimits, scheduler, ioprio, the
 * bounding set, user and groups, cwd, the other capability sets, umask.
 * Called in the container's namespaces and root. */
int rt_proc_setup (const struct rt_proc_opts *o, husk_err **err);
/* Compiles (or finds in <root>/.cache) the config's seccomp filter, in husk
 * before the clone; *out is NULL when the config has none. */
int rt_seccomp_prepare (const struct husk_globals *g,
                        const struct oci_config *cfg,
                        struct husk_seccomp **out, husk_err **err);

/* What the process keeps from here to execve and past it: the LSM labels
 * for exec, no_new_privs and the seccomp filter (see seccomp/seccomp.h for
 * when the filter loads).  The init calls it before it reports ready where
 * the filter may come that early (restrict_early); rt_proc_exec otherwise. */
int rt_proc_restrict (const struct rt_proc_opts *o, husk_err **err);
/* The last steps (rt_proc_restrict unless done, personality, fds, signals)
 * and execve.  Returns only on failure. */
int rt_proc_exec (const struct rt_proc_opts *o, const char *path,
                  husk_err **err);
/* Writes /proc/<pid>/oom_score_adj when the process asks for one. */
int rt_set_oom_score_adj (pid_t pid, const struct oci_process *p,
                          husk_err **err);

/* ---------- init.c: the container's init, before exec ---------- */

struct rt_init_ctx
{
  const struct oci_config *cfg;
  const char *bundle;         /* absolute */
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  struct ns_plan *ns;
  bool two_step;              /* see create.c: spawn_init */
  bool unprivileged;          /* husk is not root: see init.c set_dumpable */
  int sync_fd;                /* the child's end */
  int fifo_fd;                /* O_PATH of exec.fifo; -1 for run */
  int host_proc_fd;
  int pty_slave;              /* -1 without a terminal */
  const char *pty_path;
  bool hooks_in_parent;       /* prestart/createRuntime: ask the parent */
  sigset_t sigmask;           /* the caller's, for the user process */
  const struct husk_seccomp *seccomp;
  int listener_sock;
  bool die_with_husk;         /* keep PR_SET_PDEATHSIG after set-up */
  bool send_netns;            /* READY carries the network namespace */
  const struct rootfs_overlay *overlay; /* husk job's root; else NULL */
  bool await_go;              /* SYNC_GO comes before the set-up (create.c) */
};

/* The child side of spawn_init; never returns. */
_Noreturn void rt_init_main (struct rt_init_ctx *c);

/* ---------- create.c: run for husk job ---------- */

struct rt_run_extra
{
  /* the config, in memory (taken over); it is not saved in the state dir,
   * so exec and update refuse the container */
  struct oci_config *cfg;
  bool die_with_husk; /* the init keeps PR_SET_PDEATHSIG SIGKILL */
  /* with the state dir made and locked, before the clone; a failure fails
   * the create */
  int (*prepare) (void *arg, int dirfd, husk_err **err);
  void *arg;
  /* once the init is set up and waiting (created), before it is started,
   * with the init's network namespace: an unprivileged husk cannot open
   * /proc/<init>/ns/net (the init is not dumpable until it execs), so the
   * init sends it.  A failure fails the run (may be NULL). */
  int (*created) (void *arg, int netns_fd, husk_err **err);
  /* the root the init mounts onto root.path in the container's mount
   * namespace (rootfs/overlay.c) */
  const struct rootfs_overlay *overlay;
  const struct rt_fg_tick *tick; /* while the process runs */
  int wstatus;                   /* out: the process's wait status */
};

/* husk_run with extra (NULL: husk_run). */
int rt_run (const struct husk_globals *g, const struct husk_create_opts *o,
            struct rt_run_extra *extra, int *exit_status, husk_err **err);

/* ---------- job.c, job_config.c: husk job ---------- */

/* The annotation that marks a job's config (and state). */
#define RT_JOB_ANNOTATION "husk.job"

/* The config of a job from its flags; root_path is where its root will
 * be mounted; resolv_conf (or NULL) a file bound on its /etc/resolv.conf. */
int rt_job_config (const struct husk_globals *g, const struct husk_job_opts *o,
                   const char *root_path, const char *resolv_conf,
                   struct oci_config **out, husk_err **err);
/* Removes the jobs of the state dir whose husk has died (state, cgroup,
 * networks); failures are warnings. */
void rt_sweep_jobs (const struct husk_globals *g);

/* ---------- start.c ---------- */

/* Releases a created container's init through its exec.fifo and waits
 * until it has exec'd (or reported an error). */
int rt_release_init (struct rt_container *c, husk_err **err);
/* poststart hooks (failures are warnings, as the spec says). */
void rt_poststart (struct rt_container *c, const struct oci_config *cfg);

/* ---------- kill.c ---------- */

/* Kills everything of the container with sig (kill --all), and with
 * SIGKILL waits for the init to be gone. */
int rt_kill_all (const struct rt_container *c, int sig, husk_err **err);
/* delete's work once the container is stopped: poststop hooks, the
 * state directory. */
int rt_destroy (struct rt_container *c, const struct oci_config *cfg,
                husk_err **err);

/* ---------- cgroup.c: the container's cgroup (cgroups/) ---------- */

struct husk_cgroup;
struct husk_net;

/* The cgroup for a new container, recorded in c's state before it is made
 * (cgroup_pending) and once it is known to be the container's own
 * (cgroup_path), so that a husk killed at any point leaves a state from
 * which delete removes it.  *out stays NULL with --cgroup-manager=disabled
 * or, for a config without limits, on a host without cgroup2. */
int rt_cgroup_create (const struct husk_globals *g, const struct oci_config *cfg,
                      struct rt_container *c, struct husk_cgroup **out,
                      husk_err **err);
/* The flags of husk_cgroup_apply that the globals add (rootless: no
 * device program). */
unsigned rt_cgroup_apply_flags (const struct husk_globals *g);
/* ns_clone, born in cg (clone3 CLONE_INTO_CGROUP) when cg is set; where
 * clone3 is refused, the pid is moved into cg right after the clone. */
pid_t rt_cgroup_clone (struct husk_cgroup *cg, int flags, husk_err **err);
/* fork, the child born in cg (*born_in) where clone3 allows it.  Moving a
 * process through cgroup.procs takes the cgroup core's global rwsem for
 * writing, which waits for an RCU grace period (10-20 ms on an idle
 * machine); a birth in the cgroup takes it for reading.  Where clone3 is
 * refused, a plain fork: the child moves itself. */
pid_t rt_cgroup_fork (struct husk_cgroup *cg, bool *born_in);
/* The cgroup that state.json names; *out stays NULL when it names none.
 * A cgroup already gone is an error unless gone_ok (*out NULL then). */
int rt_cgroup_open_state (const struct rt_state *s, bool gone_ok,
                          struct husk_cgroup **out, husk_err **err);
/* Signals every process of the container's cgroup. */
int rt_cgroup_kill (const struct rt_state *s, int sig, husk_err **err);
/* The container's processes, sorted; *pids malloc'd. */
int rt_cgroup_pids (const struct rt_state *s, pid_t **pids, size_t *n,
                    husk_err **err);
bool rt_cgroup_frozen (const struct rt_state *s);
/* delete: kills what is left and removes the cgroup (gone already: 0). */
int rt_cgroup_remove (const struct rt_state *s, husk_err **err);
/* Opens id (locked) and its cgroup; a container without one is an error. */
int rt_open_with_cgroup (const struct husk_globals *g, const char *id,
                         struct rt_container *c, struct husk_cgroup **cg,
                         husk_err **err);

/* ---------- rootless.c ---------- */

/* Rootless (g->rootless): gives a config without a user namespace one that
 * maps the user to root (and its subordinate ids), or checks the maps of
 * one that has its own.  Nothing to do otherwise. */
int rt_rootless_adjust (const struct husk_globals *g, struct oci_config *cfg,
                        husk_err **err);

/* ---------- net.c: the container's networks (network/) ---------- */

/* Parses and checks the network annotations; *out NULL: nothing to do.
 * Rootless, any network to build is refused: it needs privilege. */
int rt_net_prepare (const struct husk_globals *g, const struct oci_config *cfg,
                    struct husk_net **out, husk_err **err);
int rt_net_setup (const struct husk_net *n, pid_t pid, int rootfd,
                  const char *id, husk_err **err);
int rt_net_teardown (int rootfd, const char *id, husk_err **err);
void rt_net_free (struct husk_net *n);

#endif
