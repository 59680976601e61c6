/* husk job: one command in a container made from flags (job_config.c),
 * run, waited for, measured and removed through the same create/run/delete
 * path as a bundle.  What is the job's own:
 *   - its root, an overlay of the read-only --rootfs (or "/") on a
 *     scratch tmpfs, is mounted by the init in the job's own mount
 *     namespace (rootfs/overlay.c): the host never sees it, it goes with
 *     the job, and rootless (the job in a user namespace, as any rootless
 *     container) takes the same path;
 *   - the init keeps PR_SET_PDEATHSIG SIGKILL: a husk that is killed takes
 *     the job's pid namespace, so every process of the job, with it;
 *   - <id>/job.lock, flocked by the husk that runs the job, marks a job
 *     and tells whether its husk lives: the next husk job, list or delete
 *     removes what a dead one left (rt_sweep_jobs);
 *   - a timeout (SIGTERM to every process, SIGKILL after JOB_GRACE_MS) and
 *     the figures of --report;
 *   - with --net slirp4netns, the slirp4netns process (network/slirp.c),
 *     started on the created init and ended after the job, and a
 *     resolv.conf naming its DNS, bound from the state dir. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "../cgroups/cgroups.h"
#include "../lib/cleanup.h"
#include "../lib/fs.h"
#include "../lib/json_gen.h"
#include "../lib/log.h"
#include "../network/network.h"
#include "../rootfs/rootfs.h"

#define JOB_LOCK "job.lock"
#define JOB_ROOT "rootfs"
#define JOB_RESOLV "resolv.conf"
#define JOB_SLIRP_LOG "slirp4netns.log"
#define JOB_GRACE_MS 2000
/* how often pids.current is sampled where the kernel keeps no pids.peak,
 * and the timeout's resolution */
#define JOB_TICK_MS 20

/* a figure of the report: known or null */
struct figure
{
  bool known;
  uint64_t v;
};

struct job
{
  const struct husk_globals *g;
  const struct husk_job_opts *o;
  char id[64];
  int lockfd;
  /* --net slirp4netns */
  char *slirp_path;
  int slirp_log;
  struct husk_slirp *slirp;
  struct rt_fg_tick tick;
  struct timespec start;
  /* while it runs (the tick) */
  bool opened;
  struct rt_container c;
  struct husk_cgroup *cg;
  bool sample_pids;
  bool term_sent, kill_sent, timed_out;
  /* the report */
  struct figure peak_pids, peak_mem, oom_kills;
  double wall_s;
  struct rusage ru;
};

static int64_t
elapsed_ms (const struct timespec *since)
{
  struct timespec now;

  clock_gettime (CLOCK_MONOTONIC, &now);
  return (now.tv_sec - since->tv_sec) * 1000
         + (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* ---------- dead jobs ---------- */

/* Whether id is a job whose husk is dead (job.lock is then ours: *lockfd
 * holds it); false for a live job and for any other container. */
static bool
job_is_dead (int rootfd, const char *id, int *lockfd)
{
  char path[300];

  snprintf (path, sizeof path, "%s/" JOB_LOCK, id);
  *lockfd = openat (rootfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (*lockfd < 0)
    return false;
  if (flock (*lockfd, LOCK_EX | LOCK_NB) == 0)
    return true;
  husk_closep (lockfd);
  return false;
}

static void
sweep_one (const struct husk_globals *g, const char *id)
{
  cleanup_err husk_err *e = NULL;
  struct rt_container c;

  if (rt_container_open (g, id, true, &c, &e) < 0)
    return;
  husk_debug ("job %s: its husk is gone: removing it", id);
  if ((rt_container_status (&c) == RT_STOPPED || rt_kill_all (&c, SIGKILL, &e) == 0)
      && rt_destroy (&c, NULL, &e) == 0)
    husk_debug ("job %s: removed", id);
  if (e)
    husk_warn ("remove the dead job %s: %s", id, e->msg);
  rt_container_release (&c);
}

void
rt_sweep_jobs (const struct husk_globals *g)
{
  cleanup_close int rootfd = open (rt_root_path (g), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (rootfd < 0 || (d = fdopendir (dup (rootfd))) == NULL)
    return;
  while ((de = readdir (d)) != NULL)
    {
      cleanup_close int lockfd = -1;
      if (de->d_type == DT_DIR && rt_check_id (de->d_name, NULL) == 0
          && job_is_dead (rootfd, de->d_name, &lockfd))
        sweep_one (g, de->d_name);
    }
}

/* ---------- set-up, in husk ---------- */

/* job.lock is made locked (under a temporary name, then renamed): a
 * sweeper never sees it unlocked while this husk lives. */
static int
take_job_lock (struct job *j, int dirfd, husk_err **err)
{
  j->lockfd = openat (dirfd, JOB_LOCK ".new",
                      O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (j->lockfd < 0 || flock (j->lockfd, LOCK_EX) < 0
      || renameat (dirfd, JOB_LOCK ".new", dirfd, JOB_LOCK) < 0)
    return husk_error (err, errno, "job: create %s", JOB_LOCK);
  return 0;
}

/* slirp4netns's DNS as the job's resolver, and the log of its output */
static int
prepare_slirp (struct job *j, int dirfd, husk_err **err)
{
  static const char resolv[] = "nameserver " NETWORK_SLIRP_DNS "\n";

  if (fs_write_file_at (dirfd, JOB_RESOLV, resolv, sizeof resolv - 1,
                        O_CREAT | O_EXCL | O_NOFOLLOW, err) < 0)
    return husk_err_wrap (err, "job");
  j->slirp_log = openat (dirfd, JOB_SLIRP_LOG,
                         O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW
                             | O_CLOEXEC,
                         0600);
  if (j->slirp_log < 0)
    return husk_error (err, errno, "job: create %s", JOB_SLIRP_LOG);
  return 0;
}

/* the lock, and root.path: the directory the init covers with the
 * overlay */
static int
job_prepare (void *arg, int dirfd, husk_err **err)
{
  struct job *j = arg;

  if (take_job_lock (j, dirfd, err) < 0)
    return -1;
  if (mkdirat (dirfd, JOB_ROOT, 0700) < 0)
    return husk_error (err, errno, "job: create %s", JOB_ROOT);
  return j->slirp_path ? prepare_slirp (j, dirfd, err) : 0;
}

/* tap0 is up before the job's process runs */
static int
job_created (void *arg, int netns_fd, husk_err **err)
{
  struct job *j = arg;

  if (network_slirp_start (j->slirp_path, netns_fd, j->slirp_log, &j->slirp,
                           err) < 0)
    return husk_err_wrap (err, "--net slirp4netns");
  return 0;
}

static int
job_id (struct job *j, husk_err **err)
{
  uint64_t r;

  if (j->o->name)
    {
      if (strlen (j->o->name) >= sizeof j->id)
        return husk_error (err, 0, "--name: at most %zu characters, got "
                           "\"%s\"", sizeof j->id - 1, j->o->name);
      snprintf (j->id, sizeof j->id, "%s", j->o->name);
      return rt_check_id (j->id, err) < 0 ? husk_err_wrap (err, "--name") : 0;
    }
  if (getrandom (&r, sizeof r, 0) != sizeof r)
    return husk_error (err, errno, "job: a unique id");
  snprintf (j->id, sizeof j->id, "job-%016" PRIx64, r);
  return 0;
}

/* ---------- while it runs ---------- */

static void
signal_all (struct job *j, int sig)
{
  cleanup_err husk_err *e = NULL;

  if (rt_kill_all (&j->c, sig, &e) < 0)
    husk_warn ("job %s: timeout: %s", j->id, e->msg);
}

static void
open_running (struct job *j)
{
  cleanup_err husk_err *e = NULL;
  uint64_t v;

  j->opened = true;
  if (rt_container_open (j->g, j->id, false, &j->c, &e) < 0
      || rt_cgroup_open_state (&j->c.st, true, &j->cg, &e) < 0)
    {
      husk_warn ("job %s: %s", j->id, e->msg);
      return;
    }
  j->sample_pids = j->cg
                   && husk_cgroup_read_value (j->cg, "pids.peak", NULL, &v, NULL) == 0
                   && husk_cgroup_read_value (j->cg, "pids.current", NULL, &v, NULL) == 1;
}

static void
job_tick (void *arg)
{
  struct job *j = arg;
  int64_t ms = elapsed_ms (&j->start);
  uint64_t v;

  if (!j->opened)
    {
      open_running (j);
      /* nothing to sample, no timeout: no more ticks */
      if (!j->sample_pids && j->o->timeout_ms == 0)
        j->tick.period_ms = 0;
    }
  if (j->sample_pids
      && husk_cgroup_read_value (j->cg, "pids.current", NULL, &v, NULL) == 1
      && (!j->peak_pids.known || v > j->peak_pids.v))
    j->peak_pids = (struct figure){ true, v };
  if (j->o->timeout_ms == 0 || j->c.id == NULL)
    return;
  if (!j->term_sent && ms >= (int64_t) j->o->timeout_ms)
    {
      j->term_sent = j->timed_out = true;
      signal_all (j, SIGTERM);
    }
  else if (j->term_sent && !j->kill_sent
           && ms >= (int64_t) j->o->timeout_ms + JOB_GRACE_MS)
    {
      j->kill_sent = true;
      signal_all (j, SIGKILL);
    }
}

/* ---------- after it ran ---------- */

static void
read_figure (struct husk_cgroup *cg, const char *file, const char *key,
             struct figure *f)
{
  if (cg && husk_cgroup_read_value (cg, file, key, &f->v, NULL) == 1)
    f->known = true;
}

static void
collect (struct job *j)
{
  j->wall_s = (double) elapsed_ms (&j->start) / 1000.0;
  /* the init and, through it, every process of the job that was reaped
   * in the job's pid namespace */
  getrusage (RUSAGE_CHILDREN, &j->ru);
  if (j->cg == NULL)
    return;
  read_figure (j->cg, "memory.peak", NULL, &j->peak_mem);
  read_figure (j->cg, "memory.events", "oom_kill", &j->oom_kills);
  /* the kernel's peak where it keeps one, else the samples' */
  read_figure (j->cg, "pids.peak", NULL, &j->peak_pids);
}

static int
remove_job (struct job *j, husk_err **err)
{
  struct rt_container c;
  int rc;

  if (rt_container_open (j->g, j->id, true, &c, err) < 0)
    return -1;
  rc = rt_destroy (&c, NULL, err);
  rt_container_release (&c);
  return rc;
}

/* overlayfs's work directory is its own scratch, not the job's changes.
 * It leaves work/work mode 0, which only root may enter regardless: an
 * unprivileged owner opens it first. */
static void
drop_work_dir (const char *keep_dir)
{
  cleanup_close int fd = open (keep_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd >= 0)
    fchmodat (fd, "work/work", 0700, AT_SYMLINK_NOFOLLOW);
  if (fd >= 0 && rt_remove_tree_at (fd, "work") < 0)
    husk_warn ("--keep-changes: remove %s/work: %s", keep_dir,
               strerror (errno));
}

static void
gen_figure (yajl_gen g, const char *key, const struct figure *f)
{
  gen_str (g, key);
  if (f->known)
    yajl_gen_integer (g, (long long) f->v);
  else
    yajl_gen_null (g);
}

static void
gen_seconds (yajl_gen g, const char *key, double s)
{
  char buf[32];

  gen_str (g, key);
  snprintf (buf, sizeof buf, "%.3f", s);
  yajl_gen_number (g, buf, strlen (buf));
}

static double
tv_seconds (const struct timeval *tv)
{
  return (double) tv->tv_sec + (double) tv->tv_usec / 1e6;
}

static int
write_report (const struct job *j, int wstatus, int exit_status,
              husk_err **err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  int rc;

  if (g == NULL)
    return husk_error (err, ENOMEM, "--report");
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_map_open (g);
  gen_str (g, "id");
  gen_str (g, j->id);
  gen_str (g, "exit_status");
  yajl_gen_integer (g, exit_status);
  gen_str (g, "exit_code");
  if (WIFEXITED (wstatus))
    yajl_gen_integer (g, WEXITSTATUS (wstatus));
  else
    yajl_gen_null (g);
  gen_str (g, "signal");
  if (WIFSIGNALED (wstatus))
    yajl_gen_integer (g, WTERMSIG (wstatus));
  else
    yajl_gen_null (g);
  gen_str (g, "timed_out");
  yajl_gen_bool (g, j->timed_out);
  gen_str (g, "oom_killed");
  if (j->oom_kills.known)
    yajl_gen_bool (g, j->oom_kills.v > 0);
  else
    yajl_gen_null (g);
  gen_seconds (g, "wall_time_s", j->wall_s);
  gen_seconds (g, "user_cpu_s", tv_seconds (&j->ru.ru_utime));
  gen_seconds (g, "system_cpu_s", tv_seconds (&j->ru.ru_stime));
  gen_figure (g, "peak_memory_bytes", &j->peak_mem);
  gen_figure (g, "peak_pids", &j->peak_pids);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  rc = fs_write_file_at (AT_FDCWD, j->o->report, buf, len,
                         O_CREAT | O_TRUNC, err);
  yajl_gen_free (g);
  return rc < 0 ? husk_err_wrap (err, "--report") : 0;
}

/* ---------- the whole job ---------- */

static int
run_job (struct job *j, int *exit_status, husk_err **err)
{
  cleanup_free char *root_path = NULL, *resolv = NULL;
  const struct husk_create_opts co = { .id = j->id, .keep = true };
  const struct rootfs_overlay ov = {
    .lower = j->o->rootfs ? j->o->rootfs : "/",
    .keep_dir = j->o->keep_changes,
  };
  struct rt_run_extra x = {
    .die_with_husk = true, .prepare = job_prepare, .arg = j,
    .overlay = &ov, .tick = &j->tick,
  };
  int rc;

  j->tick = (struct rt_fg_tick){ JOB_TICK_MS, job_tick, j };
  if (j->slirp_path)
    x.created = job_created;
  if (asprintf (&root_path, "%s/%s/" JOB_ROOT, rt_root_path (j->g), j->id) < 0
      || (j->slirp_path
          && asprintf (&resolv, "%s/%s/" JOB_RESOLV, rt_root_path (j->g),
                       j->id) < 0))
    return husk_error (err, ENOMEM, "job");
  if (rt_job_config (j->g, j->o, root_path, resolv, &x.cfg, err) < 0)
    return -1;
  clock_gettime (CLOCK_MONOTONIC, &j->start);
  rc = rt_run (j->g, &co, &x, exit_status, err);
  oci_config_free (x.cfg); /* when the run did not take it */
  if (rc < 0)
    return -1;
  collect (j);
  if (j->timed_out)
    *exit_status = 124;
  husk_cgroup_freep (&j->cg);
  rt_container_release (&j->c);
  if (remove_job (j, err) < 0)
    return -1;
  if (j->o->keep_changes)
    drop_work_dir (j->o->keep_changes);
  if (j->o->report && write_report (j, x.wstatus, *exit_status, err) < 0)
    return -1;
  return 0;
}

/* What the flags ask that this husk cannot give, before anything is
 * made. */
static int
check_job (const struct husk_globals *g, const struct husk_job_opts *o,
           husk_err **err)
{
  /* the root filesystem alone, without what is mounted on it, is what
   * the overlay takes of "/": a user namespace may not uncover what those
   * mounts hide (the kernel refuses) */
  if (g->rootless && o->rootfs == NULL)
    return husk_error (err, 0, "--rootfs: required rootless (a user "
                       "namespace cannot take the host's / without the "
                       "mounts on it as the overlay's lower layer)");
  if (g->rootless && o->net == HUSK_JOB_NET_BRIDGE)
    return husk_error (err, 0, "--net bridge: a veth on husk's job bridge "
                       "needs privilege (CAP_NET_ADMIN in the host's network "
                       "namespace), which rootless husk does not have; "
                       "--net slirp4netns gives a rootless job outbound "
                       "access");
  return 0;
}

int
husk_job (const struct husk_globals *g, const struct husk_job_opts *o,
          int *exit_status, husk_err **err)
{
  struct job j = { .g = g, .o = o, .lockfd = -1, .slirp_log = -1 };
  int rc;

  j.c.rootfd = j.c.dirfd = -1;
  *exit_status = 0;
  if (check_job (g, o, err) < 0)
    return -1;
  if (o->net == HUSK_JOB_NET_SLIRP4NETNS
      && network_slirp_find (&j.slirp_path, err) < 0)
    return husk_err_wrap (err, "--net slirp4netns");
  rt_sweep_jobs (g);
  rc = job_id (&j, err);
  if (rc == 0)
    rc = run_job (&j, exit_status, err);
  /* after the report's figures: once reaped, its CPU time would count in
   * RUSAGE_CHILDREN */
  network_slirp_stop (j.slirp);
  husk_cgroup_freep (&j.cg);
  rt_container_release (&j.c);
  husk_closep (&j.lockfd);
  husk_closep (&j.slirp_log);
  free (j.slirp_path);
  return rc;
}
