/* The container's cgroup: how the lifecycle drives cgroups/ (see
 * cgroups/cgroups.h for the order), and the commands that only the cgroup
 * can answer: pause, resume, update, events. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/sched.h>

#include "../cgroups/cgroups.h"
#include "../lib/cleanup.h"
#include "../lib/log.h"

/* ---------- create ---------- */

static bool
asks_for_limits (const struct oci_config *cfg)
{
  return cfg->linux_ && cfg->linux_->resources;
}

/* Rootless, limits are those that need a cgroup: the device rules alone
 * (runc's default config) do not, as there is no device program then. */
static int
rootless_limits (const struct oci_config *cfg, char **names, husk_err **err)
{
  const struct oci_resources *r = cfg->linux_ ? cfg->linux_->resources : NULL;
  cleanup_free const char **needed = NULL;
  size_t len = 1;

  *names = NULL;
  if (husk_cgroup_needed (r, &needed, err) < 0)
    return -1;
  for (const char **n = needed; *n; n++)
    len += strlen (*n) + 2;
  if (needed[0] == NULL && !(r && r->n_unified))
    return 0;
  if ((*names = calloc (1, len)) == NULL)
    return husk_error (err, ENOMEM, "cgroup");
  for (const char **n = needed; *n; n++)
    strcat (strcat (*names, (*names)[0] ? ", " : ""), *n);
  if (*needed == NULL)
    strcpy (*names, "unified");
  return 1;
}

/* Rootless: a cgroup only where one is delegated to the user; without one,
 * containers that ask for no limits run without a cgroup.  1: make one. */
static int
rootless_wants_cgroup (const struct oci_config *cfg, const char *id,
                       husk_err **err)
{
  cleanup_err husk_err *e = NULL;
  cleanup_free char *limits = NULL;
  int asked = rootless_limits (cfg, &limits, err);

  if (asked < 0)
    return -1;
  if (husk_cgroup_delegated (cfg->linux_, id, &e) == 0)
    return 1;
  if (!asked)
    {
      husk_debug ("rootless: no cgroup for %s: %s", id, e->msg);
      return 0;
    }
  return husk_error (err, 0, "rootless: linux.resources asks for limits (%s), "
                     "which need a cgroup v2 subtree delegated to uid %u, and "
                     "there is none: %s.  Run husk in a delegated cgroup "
                     "(systemd-run --user --scope -p Delegate=yes husk ...), "
                     "or have root make one (mkdir a cgroup, enable the "
                     "controllers in its parent's cgroup.subtree_control, "
                     "chown -R %u it) and move your shell into a cgroup "
                     "below it", limits, (unsigned) geteuid (), e->msg,
                     (unsigned) geteuid ());
}

/* Whether the container gets a cgroup: 1 yes, 0 no, -1 refused. */
static int
wants_cgroup (const struct husk_globals *g, const struct oci_config *cfg,
              const char *id, husk_err **err)
{
  const char *mnt;
  cleanup_err husk_err *e = NULL;

  if (g->cgroup_manager == HUSK_CGROUP_DISABLED)
    return 0;
  if (g->rootless)
    return rootless_wants_cgroup (cfg, id, err);
  /* a host without cgroup2 still runs containers that ask for no limits */
  if (!asks_for_limits (cfg) && husk_cgroup_mount (&mnt, &e) < 0)
    {
      husk_debug ("no cgroup for %s: %s", id, e->msg);
      return 0;
    }
  return 1;
}

int
rt_cgroup_create (const struct husk_globals *g, const struct oci_config *cfg,
                  struct rt_container *c, struct husk_cgroup **out,
                  husk_err **err)
{
  const struct oci_linux *l = cfg->linux_;
  struct rt_state *s = &c->st;
  int wanted = wants_cgroup (g, cfg, c->id, err);

  *out = NULL;
  if (wanted <= 0)
    return wanted;
  if (husk_cgroup_resolve (l ? l->cgroups_path : NULL, c->id,
                           &s->cgroup_pending, err) < 0
      || rt_state_write (c->dirfd, s, err) < 0
      || husk_cgroup_create (l, c->id, out, err) < 0)
    return -1;
  s->cgroup_path = steal_ptr (&s->cgroup_pending);
  return rt_state_write (c->dirfd, s, err);
}

unsigned
rt_cgroup_apply_flags (const struct husk_globals *g)
{
  return g->rootless ? HUSK_CGROUP_NO_DEVICES : 0;
}

/* clone3 as a fork: no new stack, so it returns twice. */
static pid_t
clone3_into (int flags, int cgroup_fd)
{
  struct clone_args args = {
    .flags = (uint64_t) flags | CLONE_INTO_CGROUP,
    .exit_signal = SIGCHLD,
    .cgroup = (uint64_t) cgroup_fd,
  };
  return (pid_t) syscall (SYS_clone3, &args, sizeof args);
}

pid_t
rt_cgroup_clone (struct husk_cgroup *cg, int flags, husk_err **err)
{
  pid_t pid;

  if (cg == NULL)
    return ns_clone (flags, err);
  pid = clone3_into (flags, husk_cgroup_fd (cg));
  if (pid >= 0)
    return pid;
  if (errno != ENOSYS && errno != E2BIG && errno != EPERM)
    return husk_error (err, errno, "clone3 into %s", husk_cgroup_path (cg));
  /* the child waits for husk before it runs anything of its own */
  pid = ns_clone (flags, err);
  if (pid > 0 && husk_cgroup_add_pid (cg, pid, err) < 0)
    {
      kill (pid, SIGKILL);
      return -1;
    }
  return pid;
}

pid_t
rt_cgroup_fork (struct husk_cgroup *cg, bool *born_in)
{
  pid_t pid = clone3_into (0, husk_cgroup_fd (cg));

  *born_in = pid >= 0;
  if (pid >= 0 || (errno != ENOSYS && errno != E2BIG && errno != EPERM))
    return pid;
  return fork ();
}

/* ---------- a created container's cgroup ---------- */

int
rt_cgroup_open_state (const struct rt_state *s, bool gone_ok,
                      struct husk_cgroup **out, husk_err **err)
{
  cleanup_err husk_err *e = NULL;

  *out = NULL;
  if (s->cgroup_path == NULL)
    return 0;
  if (husk_cgroup_open (s->cgroup_path, out, &e) == 0)
    return 0;
  if (gone_ok && e->errnum == ENOENT)
    return 0;
  *err = steal_ptr (&e);
  return -1;
}

int
rt_cgroup_kill (const struct rt_state *s, int sig, husk_err **err)
{
  struct husk_cgroup *cg cleanup_cgroup = NULL;

  if (rt_cgroup_open_state (s, true, &cg, err) < 0)
    return -1;
  return cg ? husk_cgroup_kill (cg, sig, err) : 0;
}

int
rt_cgroup_pids (const struct rt_state *s, pid_t **pids, size_t *n,
                husk_err **err)
{
  struct husk_cgroup *cg cleanup_cgroup = NULL;

  *pids = NULL;
  *n = 0;
  if (rt_cgroup_open_state (s, true, &cg, err) < 0)
    return -1;
  return cg ? husk_cgroup_pids (cg, pids, n, err) : 0;
}

bool
rt_cgroup_frozen (const struct rt_state *s)
{
  struct husk_cgroup *cg cleanup_cgroup = NULL;
  cleanup_err husk_err *e = NULL;
  bool frozen = false;

  if (rt_cgroup_open_state (s, true, &cg, &e) < 0 || cg == NULL
      || husk_cgroup_frozen (cg, &frozen, &e) < 0)
    return false;
  return frozen;
}

int
rt_cgroup_remove (const struct rt_state *s, husk_err **err)
{
  struct husk_cgroup *cg cleanup_cgroup = NULL;

  /* a create killed before it knew the cgroup for its own: no process was
   * ever placed in it, so an empty one is removed and a busy one (another
   * container's of the same id) is left alone */
  if (s->cgroup_pending && rmdir (s->cgroup_pending) < 0 && errno != ENOENT
      && errno != EBUSY)
    return husk_error (err, errno, "cgroup: rmdir %s", s->cgroup_pending);
  if (rt_cgroup_open_state (s, true, &cg, err) < 0)
    return -1;
  return cg ? husk_cgroup_destroy (cg, err) : 0;
}

/* ---------- pause, resume ---------- */

static void
no_cgroup (const char *id, husk_err **err)
{
  husk_error (err, 0, "container \"%s\" has no cgroup (created with "
              "--cgroup-manager=disabled, or rootless where no cgroup is "
              "delegated to the user)", id);
}

int
rt_open_with_cgroup (const struct husk_globals *g, const char *id,
                  struct rt_container *c, struct husk_cgroup **cg,
                  husk_err **err)
{
  if (rt_container_open (g, id, true, c, err) < 0)
    return -1;
  if (rt_cgroup_open_state (&c->st, false, cg, err) == 0 && *cg == NULL)
    no_cgroup (id, err);
  if (*cg)
    return 0;
  rt_container_release (c);
  return -1;
}

static int
set_frozen (const struct husk_globals *g, const char *id, bool frozen,
            husk_err **err)
{
  struct husk_cgroup *cg cleanup_cgroup = NULL;
  struct rt_container c;
  enum rt_status s;
  int rc = -1;

  if (rt_open_with_cgroup (g, id, &c, &cg, err) < 0)
    return -1;
  s = rt_container_status (&c);
  if (frozen && s != RT_RUNNING && s != RT_CREATED)
    husk_error (err, 0, "container \"%s\" is not running: %s", id,
                rt_status_name (s));
  else if (!frozen && s != RT_PAUSED)
    husk_error (err, 0, "container \"%s\" is not paused", id);
  else
    rc = husk_cgroup_freeze (cg, frozen, err);
  rt_container_release (&c);
  return rc;
}

int
husk_pause (const struct husk_globals *g, const char *id, husk_err **err)
{
  return set_frozen (g, id, true, err);
}

int
husk_resume (const struct husk_globals *g, const char *id, husk_err **err)
{
  return set_frozen (g, id, false, err);
}

/* ---------- events ---------- */

static int
emit_stats (struct husk_cgroup *cg, const char *id, husk_event_fn emit,
            void *arg, husk_err **err)
{
  struct husk_cgroup_stats st = { 0 };
  cleanup_free char *json = NULL;
  int rc = -1;

  if (husk_cgroup_stats (cg, &st, err) == 0
      && husk_cgroup_stats_json (id, &st, &json, err) == 0)
    rc = emit (json, arg, err);
  husk_cgroup_stats_clear (&st);
  return rc;
}

/* memory.events changed: an "oom" event when oom_kill grew. */
static int
check_oom (struct husk_cgroup *cg, const char *id, uint64_t *seen,
           husk_event_fn emit, void *arg, husk_err **err)
{
  struct husk_cgroup_stats st = { 0 };
  cleanup_free char *line = NULL;
  int rc = 0;

  if (husk_cgroup_stats (cg, &st, err) < 0)
    return -1;
  if (st.memory.oom_kill > *seen)
    {
      *seen = st.memory.oom_kill;
      if (asprintf (&line, "{\"type\":\"oom\",\"id\":\"%s\"}", id) < 0)
        rc = husk_error (err, ENOMEM, "events");
      else
        rc = emit (line, arg, err);
    }
  husk_cgroup_stats_clear (&st);
  return rc;
}

static void
drain (int fd)
{
  char buf[4096];
  while (read (fd, buf, sizeof buf) > 0)
    ;
}

/* runc's loop: a stats event each interval and an oom event as it
 * happens, until the container stops. */
static int
events_loop (struct rt_container *c, struct husk_cgroup *cg,
             unsigned interval_ms, husk_event_fn emit, void *arg,
             husk_err **err)
{
  cleanup_close int initfd = rt_init_pidfd (&c->st, err);
  cleanup_close int evfd = -1;
  struct husk_cgroup_stats st = { 0 };
  uint64_t seen;
  int64_t left = interval_ms;

  if (initfd < 0)
    return errno == ESRCH ? 0 : -1;
  if (husk_cgroup_events_fd (cg, &evfd, err) < 0
      || husk_cgroup_stats (cg, &st, err) < 0)
    return -1;
  seen = st.memory.oom_kill;
  husk_cgroup_stats_clear (&st);
  fcntl (evfd, F_SETFL, O_NONBLOCK);
  for (;;)
    {
      struct pollfd p[2] = { { .fd = initfd, .events = POLLIN },
                             { .fd = evfd, .events = POLLIN } };
      struct timespec t0, t1;
      int r;

      clock_gettime (CLOCK_MONOTONIC, &t0);
      r = poll (p, 2, (int) left);
      clock_gettime (CLOCK_MONOTONIC, &t1);
      if (r < 0 && errno != EINTR)
        return husk_error (err, errno, "events: poll");
      if (p[1].revents & POLLIN)
        {
          drain (evfd);
          if (check_oom (cg, c->id, &seen, emit, arg, err) < 0)
            return -1;
        }
      if (p[0].revents & POLLIN)
        return 0; /* the init is gone */
      left -= (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
      if (left <= 0)
        {
          if (emit_stats (cg, c->id, emit, arg, err) < 0)
            return -1;
          left = interval_ms;
        }
    }
}

int
husk_events (const struct husk_globals *g, const char *id, bool stats_once,
             unsigned interval_ms, husk_event_fn emit, void *arg,
             husk_err **err)
{
  struct husk_cgroup *cg cleanup_cgroup = NULL;
  struct rt_container c;
  enum rt_status s;
  int rc = -1;

  if (rt_container_open (g, id, false, &c, err) < 0)
    return -1;
  s = rt_container_status (&c);
  if (s == RT_STOPPED || s == RT_CREATING)
    husk_error (err, 0, "container \"%s\" is not running", id);
  else if (rt_cgroup_open_state (&c.st, false, &cg, err) < 0)
    ;
  else if (cg == NULL)
    no_cgroup (id, err);
  else if (stats_once)
    rc = emit_stats (cg, id, emit, arg, err);
  else
    {
      /* the container is not held while it is watched */
      husk_closep (&c.dirfd);
      rc = events_loop (&c, cg, interval_ms ? interval_ms : 5000, emit, arg,
                        err);
    }
  rt_container_release (&c);
  return rc;
}
