/* kill, delete, ps.  The container's processes are those of its cgroup;
 * without one (--cgroup-manager=disabled), those of its own pid namespace,
 * or, when it shares one, its init and the init's descendants. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/log.h"

#define KILL_WAIT_MS 10000

struct pid_list
{
  pid_t *v;
  size_t n, cap;
};

static int
pid_list_add (struct pid_list *l, pid_t p)
{
  if (l->n == l->cap)
    {
      size_t cap = l->cap ? 2 * l->cap : 64;
      pid_t *v = realloc (l->v, cap * sizeof *v);
      if (v == NULL)
        return -1;
      l->v = v;
      l->cap = cap;
    }
  l->v[l->n++] = p;
  return 0;
}

static ino_t
pidns_ino (pid_t pid)
{
  char path[48];
  struct stat st;

  snprintf (path, sizeof path, "/proc/%d/ns/pid", pid);
  return stat (path, &st) == 0 ? st.st_ino : 0;
}

static pid_t
proc_ppid (pid_t pid)
{
  pid_t ppid;
  return rt_proc_stat (pid, NULL, NULL, &ppid) == 0 ? ppid : -1;
}

static int
scan_proc (struct pid_list *all)
{
  cleanup_dir DIR *d = opendir ("/proc");
  struct dirent *de;

  if (d == NULL)
    return -1;
  while ((de = readdir (d)) != NULL)
    {
      char *end;
      long p = strtol (de->d_name, &end, 10);
      if (*end == '\0' && p > 0 && pid_list_add (all, (pid_t) p) < 0)
        return -1;
    }
  return 0;
}

/* The init's descendants, in a shared pid namespace. */
static int
descendants (pid_t init, const struct pid_list *all, struct pid_list *out)
{
  pid_t *ppid = calloc (all->n ? all->n : 1, sizeof *ppid);
  bool grew = true;

  if (ppid == NULL)
    return -1;
  for (size_t i = 0; i < all->n; i++)
    ppid[i] = proc_ppid (all->v[i]);
  if (pid_list_add (out, init) < 0)
    goto fail;
  while (grew)
    {
      grew = false;
      for (size_t i = 0; i < all->n; i++)
        {
          bool in = false, parent_in = false;
          for (size_t j = 0; j < out->n; j++)
            {
              in |= out->v[j] == all->v[i];
              parent_in |= out->v[j] == ppid[i];
            }
          if (!in && parent_in)
            {
              if (pid_list_add (out, all->v[i]) < 0)
                goto fail;
              grew = true;
            }
        }
    }
  free (ppid);
  return 0;
fail:
  free (ppid);
  return -1;
}

static int
cmp_pid (const void *a, const void *b)
{
  pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
  return (x > y) - (x < y);
}

/* The container's processes (host pids); none when it is stopped. */
static int
container_pids (const struct rt_container *c, struct pid_list *out,
                husk_err **err)
{
  struct pid_list all = { 0 };
  ino_t ns;
  int rc = 0;

  memset (out, 0, sizeof *out);
  if (!rt_pid_alive (c->st.pid, c->st.start_time))
    return 0;
  if (c->st.cgroup_path)
    {
      rc = rt_cgroup_pids (&c->st, &out->v, &out->n, err);
      out->cap = out->n;
      return rc;
    }
  if (scan_proc (&all) < 0)
    rc = husk_error (err, errno, "read /proc");
  else if (c->st.new_ns_flags & CLONE_NEWPID)
    {
      ns = pidns_ino (c->st.pid);
      for (size_t i = 0; rc == 0 && ns && i < all.n; i++)
        if (pidns_ino (all.v[i]) == ns && pid_list_add (out, all.v[i]) < 0)
          rc = husk_error (err, ENOMEM, "ps");
    }
  else if (descendants (c->st.pid, &all, out) < 0)
    rc = husk_error (err, ENOMEM, "ps");
  free (all.v);
  if (rc == 0)
    qsort (out->v, out->n, sizeof *out->v, cmp_pid);
  return rc;
}

static int
wait_gone (int pidfd, husk_err **err)
{
  struct pollfd p = { .fd = pidfd, .events = POLLIN };
  int r;

  do
    r = poll (&p, 1, KILL_WAIT_MS);
  while (r < 0 && errno == EINTR);
  if (r == 0)
    return husk_error (err, 0, "the container's init is still there %d s after "
                       "SIGKILL", KILL_WAIT_MS / 1000);
  return r < 0 ? husk_error (err, errno, "poll") : 0;
}

int
rt_kill_all (const struct rt_container *c, int sig, husk_err **err)
{
  cleanup_close int initfd = rt_init_pidfd (&c->st, err);
  struct pid_list l;

  if (initfd < 0 && errno != ESRCH)
    return -1;
  /* the cgroup holds them all, forks racing the kill included */
  if (c->st.cgroup_path)
    {
      if (rt_cgroup_kill (&c->st, sig, err) < 0)
        return -1;
      return sig == SIGKILL && initfd >= 0 ? wait_gone (initfd, err) : 0;
    }
  if (initfd < 0)
    return 0;
  if (container_pids (c, &l, err) < 0)
    return -1;
  /* the init first: with its own pid namespace, SIGKILL to it ends all */
  if (pidfd_send_signal (initfd, sig, NULL, 0) < 0 && errno != ESRCH)
    {
      free (l.v);
      return husk_error (err, errno, "signal the container's init");
    }
  for (size_t i = 0; i < l.n; i++)
    if (l.v[i] != c->st.pid)
      kill (l.v[i], sig);
  free (l.v);
  return sig == SIGKILL ? wait_gone (initfd, err) : 0;
}

int
husk_kill (const struct husk_globals *g, const char *id, int sig, bool all,
           husk_err **err)
{
  struct rt_container c;
  int rc = -1, fd;

  if (rt_container_open (g, id, false, &c, err) < 0)
    return -1;
  if (rt_container_status (&c) == RT_STOPPED)
    husk_error (err, 0, "container \"%s\" is not running", id);
  else if (all)
    rc = rt_kill_all (&c, sig, err) < 0 ? -1 : 0;
  else if ((fd = rt_init_pidfd (&c.st, err)) < 0)
    {
      if (errno == ESRCH)
        husk_error (err, 0, "container \"%s\" is not running", id);
    }
  else
    {
      rc = pidfd_send_signal (fd, sig, NULL, 0);
      if (rc < 0)
        husk_error (err, errno, "kill container \"%s\"", id);
      close (fd);
    }
  rt_container_release (&c);
  return rc;
}

int
rt_destroy (struct rt_container *c, const struct oci_config *cfg,
            husk_err **err)
{
  struct oci_config *own = NULL;

  if (c->st.hooks & RT_HOOK_POSTSTOP)
    {
      cleanup_err husk_err *e = NULL;
      cleanup_free char *json = NULL;
      if (cfg == NULL && rt_load_config (c, &own, &e) == 0)
        cfg = own;
      if (cfg && rt_oci_state_json (c, "stopped", &json, &e) == 0)
        rt_run_hooks_warn (&cfg->hooks->poststop, "poststop", json);
      if (e)
        husk_warn ("poststop hooks: %s", e->msg);
      oci_config_free (own);
    }
  /* what fails stays recorded in the state dir, for delete to retry */
  if (rt_cgroup_remove (&c->st, err) < 0
      || rt_net_teardown (c->rootfd, c->id, err) < 0)
    return husk_err_wrap (err, "delete container %s", c->id);
  return rt_remove_dir (c->rootfd, c->id, err);
}

int
husk_delete (const struct husk_globals *g, const char *id, bool force,
             husk_err **err)
{
  struct rt_container c;
  enum rt_status s;
  int rc = -1;

  if (rt_container_open (g, id, true, &c, err) < 0)
    {
      /* delete --force of a container that is not there succeeds, as
       * runc's does: podman and containerd's shim clean up with it after a
       * failed create and after a delete */
      if (force && *err && (*err)->errnum == ENOENT)
        {
          husk_err_free (*err);
          *err = NULL;
          return 0;
        }
      return -1;
    }
  s = rt_container_status (&c);
  if ((s == RT_RUNNING || s == RT_PAUSED) && !force)
    husk_error (err, 0, "cannot delete container %s that is not stopped: %s",
                id, rt_status_name (s));
  /* a created container (or one whose create was killed) is deleted
   * without --force, as runc does */
  else if (s != RT_STOPPED && rt_kill_all (&c, SIGKILL, err) < 0)
    husk_err_wrap (err, "delete container %s", id);
  else
    rc = rt_destroy (&c, NULL, err);
  rt_container_release (&c);
  rt_sweep_jobs (g);
  return rc;
}

int
husk_ps (const struct husk_globals *g, const char *id, pid_t **pids,
         size_t *n, husk_err **err)
{
  struct rt_container c;
  struct pid_list l = { 0 };
  int rc;

  *pids = NULL;
  *n = 0;
  if (rt_container_open (g, id, false, &c, err) < 0)
    return -1;
  rc = container_pids (&c, &l, err);
  rt_container_release (&c);
  if (rc < 0)
    return -1;
  *pids = l.v;
  *n = l.n;
  return 0;
}
