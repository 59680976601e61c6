/* runtime: the container lifecycle that cmd/ drives.  It reads the config
 * through specs/ and sets the container up through namespaces/, rootfs/,
 * cgroups/ and network/.  Every call returns 0 or -1 with *err set. */
#ifndef HUSK_RUNTIME_H
#define HUSK_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"
#include "../specs/specs.h"

enum husk_cgroup_manager {
  HUSK_CGROUP_CGROUPFS,
  HUSK_CGROUP_SYSTEMD,
  HUSK_CGROUP_DISABLED
};

/* Global flags, as runc and crun take them. */
struct husk_globals {
  const char *root; /* state dir; default /run/husk */
  bool root_private; /* root is a user's default: made 0700, and refused
                        unless it is the user's own and closed to others */
  enum husk_cgroup_manager cgroup_manager;
  bool debug;
  bool rootless;
};

struct husk_create_opts {
  const char *id;
  const char *bundle;      /* default: cwd */
  const char *config_path; /* default: "config.json", relative to bundle */
  const char *pid_file;
  const char *console_socket;
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  bool detach; /* run only */
  bool keep;   /* run only: do not delete after exit */
};

/* create: set up and leave the init waiting for start. */
int husk_create (const struct husk_globals *g,
                 const struct husk_create_opts *o, husk_err **err);
int husk_start (const struct husk_globals *g, const char *id, husk_err **err);
/* run = create + start; in the foreground *exit_status is the container's
 * (128+N for a signal); with detach it is 0 after start. */
int husk_run (const struct husk_globals *g, const struct husk_create_opts *o,
              int *exit_status, husk_err **err);

struct husk_exec_opts {
  const char *id;
  const char *process_file; /* --process FILE */
  char **args;              /* or these args */
  bool tty;
  bool detach;
  const char *pid_file;
  const char *console_socket;
  char **env;   /* --env K=V, NULL-terminated */
  const char *cwd;
  const char *user; /* "UID[:GID]" */
  char **caps;  /* --cap, NULL-terminated */
  bool no_new_privs;
  int preserve_fds;
  /* runc's --additional-gids (replace the config's), --apparmor and
   * --process-label (override it); unset: the config's */
  const gid_t *additional_gids;
  size_t n_additional_gids;
  const char *apparmor;
  const char *process_label;
};
int husk_exec (const struct husk_globals *g, const struct husk_exec_opts *o,
               int *exit_status, husk_err **err);

int husk_state (const struct husk_globals *g, const char *id,
                struct oci_state **out, husk_err **err);
void husk_state_free (struct oci_state *s);

int husk_kill (const struct husk_globals *g, const char *id, int sig,
               bool all, husk_err **err);
int husk_delete (const struct husk_globals *g, const char *id, bool force,
                 husk_err **err);

struct husk_list_entry {
  struct oci_state *state;
  char *created; /* RFC 3339 */
  char *owner;
};
int husk_list (const struct husk_globals *g, struct husk_list_entry **out,
               size_t *n, husk_err **err);
void husk_list_free (struct husk_list_entry *l, size_t n);

int husk_ps (const struct husk_globals *g, const char *id, pid_t **pids,
             size_t *n, husk_err **err);

int husk_pause (const struct husk_globals *g, const char *id, husk_err **err);
int husk_resume (const struct husk_globals *g, const char *id, husk_err **err);

/* update: `resources` is a linux.resources JSON object (len bytes); the
 * fields it has replace the container's and the whole set is applied. */
int husk_update (const struct husk_globals *g, const char *id,
                 const char *resources, size_t len, husk_err **err);

/* ---------- job: one command isolated, in the spirit of bubblewrap ---------- */

struct husk_job_bind
{
  const char *src, *dst; /* src absolute on the host, dst in the job */
  bool ro;
};

struct husk_job_tmpfs
{
  const char *dst;
  const char *size; /* tmpfs's size= ("16M"); NULL: tmpfs's default */
};

enum husk_job_net
{
  HUSK_JOB_NET_NONE,   /* a network namespace with loopback only */
  HUSK_JOB_NET_BRIDGE, /* a veth on husk's job bridge, NAT outside */
  HUSK_JOB_NET_HOST,   /* the host's network namespace */
  HUSK_JOB_NET_SLIRP4NETNS, /* its own, with slirp4netns's tap0 (rootless
                               too) */
};

/* What `husk job` takes; unset numbers are 0, unset strings NULL. */
struct husk_job_opts
{
  const char *name;   /* the job's id; NULL: a unique one */
  const char *rootfs; /* absolute; NULL: the host's "/" */
  const struct husk_job_bind *binds;
  size_t n_binds;
  const struct husk_job_tmpfs *tmpfs;
  size_t n_tmpfs;
  const char *workdir;
  char **env;         /* K=V, NULL-terminated (may be NULL) */
  bool has_user;
  uid_t uid;
  gid_t gid;
  const char *hostname;
  int64_t memory;     /* bytes */
  int64_t cpu_quota;  /* microseconds of CPU a 100 ms period (--cpus) */
  int64_t pids;
  uint64_t timeout_ms;
  enum husk_job_net net;
  char **cap_add;     /* "CAP_*" or without the prefix, NULL-terminated */
  const char *seccomp; /* "default" (NULL), "unconfined" or a file */
  const char *keep_changes; /* absolute */
  const char *report;       /* absolute */
  char **args;
};

/* Runs the job in the foreground as `run` runs a bundle, then removes it;
 * *exit_status is the command's (128+N for a signal), 124 when the timeout
 * fired.  Dead jobs (their husk killed) found in the state dir are removed
 * first. */
int husk_job (const struct husk_globals *g, const struct husk_job_opts *o,
              int *exit_status, husk_err **err);

/* events: one line of JSON per event, without its newline; returns 0 or
 * -1 with *err set. */
typedef int (*husk_event_fn) (const char *line, void *arg, husk_err **err);
/* With stats_once, one stats event; else a stats event every interval_ms
 * (0: runc's 5 s) and an oom event for each OOM kill, until the container
 * stops. */
int husk_events (const struct husk_globals *g, const char *id,
                 bool stats_once, unsigned interval_ms, husk_event_fn emit,
                 void *arg, husk_err **err);

#endif
