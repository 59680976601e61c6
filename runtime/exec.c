/* exec: a new process in a running container.  husk enters the init's pid
 * (and time) namespace for its children, forks, and the child joins the
 * rest in one setns() on the init's pidfd, then goes through the same
 * process setup as the init (process.c) and execs. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cgroups/cgroups.h"
#include "../lib/cleanup.h"
#include "../lib/fs.h"
#include "../lib/log.h"
#include "../lib/sock.h"

/* The process to run: the --process file as it is, or the container's
 * own process with runc's overrides.  Only the arrays made here are
 * freed; the strings belong to the config or to the caller. */
struct exec_proc
{
  struct oci_process p;
  struct oci_process *parsed; /* --process */
  struct oci_config *cfg;     /* the container's config */
  char **env;
  struct oci_capabilities caps;
  char **bounding, **effective, **permitted;
};

static void
exec_proc_free (struct exec_proc *e)
{
  oci_process_free (e->parsed);
  oci_config_free (e->cfg);
  free (e->env);
  free (e->bounding);
  free (e->effective);
  free (e->permitted);
}

static size_t
strv_len (char **v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

static char **
strv_concat (char **a, char **b)
{
  size_t na = strv_len (a), nb = strv_len (b);
  char **v = calloc (na + nb + 1, sizeof *v);

  if (v == NULL)
    return NULL;
  if (na)
    memcpy (v, a, na * sizeof *v);
  if (nb)
    memcpy (v + na, b, nb * sizeof *v);
  return v;
}

/* --env K=V replaces K of the container's env, or is added (runc sets
 * each with setenv, so the last one wins). */
static char **
env_merge (char **base, char **add)
{
  char **v = strv_concat (base, NULL);
  size_t n = strv_len (v);

  for (size_t i = 0; v && add[i]; i++)
    {
      size_t klen = strcspn (add[i], "=") + 1, j;
      char **nv;
      for (j = 0; j < n && strncmp (v[j], add[i], klen) != 0; j++)
        ;
      if (j < n)
        {
          v[j] = add[i];
          continue;
        }
      nv = realloc (v, (n + 2) * sizeof *v);
      if (nv == NULL)
        {
          free (v);
          return NULL;
        }
      v = nv;
      v[n++] = add[i];
      v[n] = NULL;
    }
  return v;
}

static int
parse_user (const char *s, struct oci_user *u, husk_err **err)
{
  char *end;
  unsigned long uid = strtoul (s, &end, 10), gid;

  if (end == s || (*end != '\0' && *end != ':') || uid > 0xfffffffeUL)
    return husk_error (err, 0, "exec: --user: expected UID[:GID], got \"%s\"", s);
  u->uid = (uid_t) uid;
  if (*end == ':')
    {
      const char *g = end + 1;
      gid = strtoul (g, &end, 10);
      if (end == g || *end != '\0' || gid > 0xfffffffeUL)
        return husk_error (err, 0, "exec: --user: expected UID[:GID], got \"%s\"", s);
      u->gid = (gid_t) gid;
    }
  return 0;
}

/* runc's exec: --cap adds to bounding, effective and permitted only
 * (never inheritable or ambient: CVE-2022-29162). */
static int
add_caps (struct exec_proc *e, char **caps, husk_err **err)
{
  const struct oci_capabilities *base = e->p.capabilities;
  struct oci_capabilities none = { 0 };

  if (caps == NULL || caps[0] == NULL)
    return 0;
  if (base == NULL)
    base = &none;
  e->caps = *base;
  e->caps.bounding = e->bounding = strv_concat (base->bounding, caps);
  e->caps.effective = e->effective = strv_concat (base->effective, caps);
  e->caps.permitted = e->permitted = strv_concat (base->permitted, caps);
  if (!e->bounding || !e->effective || !e->permitted)
    return husk_error (err, ENOMEM, "exec");
  e->p.capabilities = &e->caps;
  return 0;
}

static int
exec_process (const struct husk_exec_opts *o, const struct rt_container *c,
              struct exec_proc *e, husk_err **err)
{
  /* The container's config also with --process: its seccomp filter and
   * personality apply to every process of the container. */
  if (rt_load_config (c, &e->cfg, err) < 0)
    return -1;
  if (o->process_file)
    {
      if (oci_process_load (AT_FDCWD, o->process_file, &e->parsed, err) < 0)
        return husk_err_wrap (err, "exec: --process");
      e->p = *e->parsed;
      return 0;
    }
  if (e->cfg->process == NULL)
    return husk_error (err, 0, "exec: the container's config has no process");
  e->p = *e->cfg->process;
  e->p.args = o->args;
  e->p.terminal = o->tty;
  if (o->cwd)
    e->p.cwd = (char *) o->cwd;
  if (o->no_new_privs)
    e->p.no_new_privileges = true;
  if (o->env)
    {
      e->env = env_merge (e->p.env, o->env);
      if (e->env == NULL)
        return husk_error (err, ENOMEM, "exec");
      e->p.env = e->env;
    }
  if (o->user && parse_user (o->user, &e->p.user, err) < 0)
    return -1;
  if (o->n_additional_gids)
    {
      e->p.user.additional_gids = (gid_t *) o->additional_gids;
      e->p.user.n_additional_gids = o->n_additional_gids;
    }
  if (o->apparmor)
    e->p.apparmor_profile = (char *) o->apparmor;
  if (o->process_label)
    e->p.selinux_label = (char *) o->process_label;
  return add_caps (e, o->caps, err);
}

/* ---------- the child ---------- */

struct exec_child
{
  const struct oci_process *p;
  const struct oci_personality *personality;
  int pidfd, ns_flags, err_fd, pty_sock, preserve_fds;
  bool fork_inside; /* see join_and_fork */
  sigset_t sigmask;
  struct husk_cgroup *cg; /* NULL: the container has none */
  bool born_in_cg;        /* the child was born in cg */
  const struct husk_seccomp *seccomp;
  int listener_sock;
  const char *state_json;
};

/* A terminal for the process from the container's own devpts (its
 * /dev/ptmx, the child being in its mount namespace), as runc makes it, so
 * that the slave has a name there (ttyname, tty, ps): one from the host's
 * devpts has none.  The master goes to husk over pty_sock. */
static int
container_pty (const struct exec_child *x, husk_err **err)
{
  struct rt_pty pty;
  int rc;

  if (rt_pty_open (x->p, &pty, err) < 0)
    return husk_err_wrap (err, "in the container");
  if (sock_send_with_fd (x->pty_sock, "p", 1, pty.master) < 0)
    {
      husk_error (err, errno, "hand the pty to husk");
      rt_pty_close (&pty);
      return -1;
    }
  rc = rt_pty_make_stdio (pty.slave, err);
  rt_pty_close (&pty);
  return rc;
}

/* Unprivileged, husk cannot join the pid (or time) namespace of a
 * container that has its own user namespace: joining one takes
 * CAP_SYS_ADMIN in the joiner's user namespace too.  This child joins them
 * all in one setns (the kernel joins the user namespace first and checks
 * the others against it), forks the process as husk's child
 * (CLONE_PARENT), sends husk its pid and leaves.  Returns in the
 * process. */
static int
join_and_fork (const struct exec_child *x, husk_err **err)
{
  int gate[2];
  char c;
  pid_t pid;

  if (ns_join_pidfd (x->pidfd, x->ns_flags, err) < 0)
    return -1;
  if (pipe2 (gate, O_CLOEXEC) < 0)
    return husk_error (err, errno, "pipe");
  pid = ns_clone (CLONE_PARENT, err);
  if (pid == 0)
    {
      /* husk hears of the pid before any error of the process's */
      close (gate[1]);
      while (read (gate[0], &c, 1) < 0 && errno == EINTR)
        ;
      close (gate[0]);
      return 0;
    }
  close (gate[0]);
  if (pid > 0 && rt_sync_send (x->err_fd, SYNC_PID, pid, NULL, err) < 0)
    kill (pid, SIGKILL);
  else if (pid > 0)
    _exit (0);
  close (gate[1]);
  return -1;
}

static int
exec_child_setup (const struct exec_child *x, husk_err **err)
{
  cleanup_free char *exe = NULL;
  cleanup_close int host_proc = -1;
  struct rt_proc_opts po = {
    .p = x->p, .personality = x->personality, .preserve_fds = x->preserve_fds,
    .sigmask = &x->sigmask,
    .seccomp = x->seccomp, .listener_sock = x->listener_sock,
    .state_json = x->state_json,
  };

  /* CVE-2016-9962: not dumpable (nor ptraceable from the container) until
   * the exec */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return husk_error (err, errno, "prctl");
  if (rt_set_oom_score_adj (getpid (), x->p, err) < 0)
    return -1;
  host_proc = fs_open_procfs (err);
  if (host_proc < 0)
    return -1;
  po.host_proc_fd = host_proc;
  /* the container's cgroup before its namespaces (its cgroup namespace
   * then shows it as "/"); "0" is the writer itself */
  if (x->cg && !x->born_in_cg && husk_cgroup_add_pid (x->cg, 0, err) < 0)
    return husk_err_wrap (err, "join the container's cgroup");
  if (x->fork_inside ? join_and_fork (x, err) < 0
                     : ns_join_pidfd (x->pidfd, x->ns_flags & ~(CLONE_NEWPID
                                                                | CLONE_NEWTIME),
                                      err) < 0)
    return -1;
  if (x->pty_sock >= 0 && container_pty (x, err) < 0)
    return -1;
  if (rt_proc_setup (&po, err) < 0 || rt_find_executable (x->p, &exe, err) < 0)
    return -1;
  return rt_proc_exec (&po, exe, err);
}

static _Noreturn void
exec_child_main (const struct exec_child *x)
{
  husk_err *err = NULL;

  exec_child_setup (x, &err);
  husk_err_wrap (&err, "exec failed");
  rt_sync_send_error (x->err_fd, err);
  _exit (255);
}

/* ---------- the parent ---------- */

static int
check_status (const struct rt_container *c, husk_err **err)
{
  switch (rt_container_status (c))
    {
    case RT_CREATED:
    case RT_RUNNING:
      return 0;
    case RT_PAUSED:
      return husk_error (err, 0, "cannot exec in a paused container");
    case RT_CREATING:
      return husk_error (err, 0, "cannot exec in a container that is being "
                         "created");
    case RT_STOPPED:
      break;
    }
  return husk_error (err, 0, "cannot exec in a stopped container");
}

/* join_and_fork's child has sent the process's pid (or an error) and
 * left: *pid becomes the process. */
static int
await_forked (int fd, pid_t *pid, husk_err **err)
{
  struct rt_sync_msg m;
  int r = rt_sync_recv (fd, &m, err);

  waitpid (*pid, NULL, 0);
  *pid = -1;
  if (r < 0)
    return -1;
  if (r == 0)
    return husk_error (err, 0, "exec failed: its first child exited early");
  if (m.type != SYNC_PID)
    return m.type == SYNC_ERROR ? rt_sync_error (&m, err)
                                : husk_error (err, 0, "unexpected message");
  *pid = m.pid;
  return 0;
}

/* Returns the child's pid once it has exec'd. */
static pid_t
spawn (struct exec_child *x, int pidfd, husk_err **err)
{
  int for_children = x->ns_flags & (CLONE_NEWPID | CLONE_NEWTIME);
  cleanup_close int own_ns = -1;
  struct rt_sync_msg m;
  int sv[2], r;
  pid_t pid;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return husk_error (err, errno, "socketpair");
  x->fork_inside = for_children && (x->ns_flags & CLONE_NEWUSER)
                   && geteuid () != 0;
  /* pid and time namespaces apply to children: husk joins them for the
   * fork, and goes back to its own (as a pidfd of itself) after */
  if (for_children && !x->fork_inside)
    {
      own_ns = pidfd_open (getpid (), 0);
      if (own_ns < 0 || setns (pidfd, for_children) < 0)
        {
          close (sv[0]);
          close (sv[1]);
          return husk_error (err, errno, "join the container's pid namespace");
        }
    }
  pid = x->cg ? rt_cgroup_fork (x->cg, &x->born_in_cg) : fork ();
  if (pid != 0 && own_ns >= 0 && setns (own_ns, for_children) < 0)
    husk_warn ("return to husk's own namespaces: %s", strerror (errno));
  if (pid == 0)
    {
      struct exec_child cx = *x;
      close (sv[0]);
      cx.err_fd = sv[1];
      exec_child_main (&cx);
    }
  close (sv[1]);
  if (pid < 0)
    {
      close (sv[0]);
      if (x->cg)
        return husk_error (err, errno, "fork into the container's cgroup %s",
                           husk_cgroup_path (x->cg));
      return husk_error (err, errno, "fork");
    }
  if (x->fork_inside && await_forked (sv[0], &pid, err) < 0)
    {
      close (sv[0]);
      return -1;
    }
  r = rt_sync_recv (sv[0], &m, err);
  close (sv[0]);
  if (r != 0)
    {
      waitpid (pid, NULL, 0);
      return r < 0 ? -1 : rt_sync_error (&m, err);
    }
  return pid;
}

static int
check_terminal (const struct husk_exec_opts *o, const struct oci_process *p,
                husk_err **err)
{
  if (p->terminal && o->detach && o->console_socket == NULL)
    return husk_error (err, 0, "cannot allocate tty if husk will detach "
                       "without setting console socket");
  if (!p->terminal && o->console_socket)
    return husk_error (err, 0, "cannot use console socket if husk will not "
                       "detach or allocate tty");
  return 0;
}

/* The socket pair the child hands its pty's master over: *ours, *child. */
static int
pty_pair (int *ours, int *child, husk_err **err)
{
  int sv[2];

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return husk_error (err, errno, "socketpair");
  *ours = sv[0];
  *child = sv[1];
  return 0;
}

/* The master the child sent (it did before its exec): sent on to the
 * console socket (*master stays -1), or kept in *master for the
 * foreground. */
static int
pty_master (int sock, const char *console_socket, int *master, husk_err **err)
{
  cleanup_close int fd = sock_recv_fd (sock);

  if (fd < 0)
    return husk_error (err, errno, "receive the pty of the process");
  if (console_socket)
    return rt_console_send (console_socket, fd, err);
  *master = fd;
  fd = -1;
  return 0;
}

int
husk_exec (const struct husk_globals *g, const struct husk_exec_opts *o,
           int *exit_status, husk_err **err)
{
  struct rt_container c;
  struct exec_proc e = { 0 };
  cleanup_close int pidfd = -1, master = -1, pty_sock = -1;
  struct husk_cgroup *cg cleanup_cgroup = NULL;
  struct exec_child x = { .pty_sock = -1, .listener_sock = -1 };
  struct husk_seccomp *sc = NULL;
  cleanup_free char *sc_state = NULL;
  sigset_t fwd;
  pid_t pid = -1;
  int rc = -1;

  *exit_status = 0;
  if (rt_container_open (g, o->id, true, &c, err) < 0)
    return -1;
  if (check_status (&c, err) < 0 || exec_process (o, &c, &e, err) < 0
      || check_terminal (o, &e.p, err) < 0)
    goto out;
  pidfd = rt_init_pidfd (&c.st, err);
  if (pidfd < 0)
    {
      if (errno == ESRCH)
        husk_error (err, 0, "cannot exec in a stopped container");
      goto out;
    }
  if (e.p.terminal && pty_pair (&pty_sock, &x.pty_sock, err) < 0)
    goto out;
  if (rt_seccomp_prepare (g, e.cfg, &sc, err) < 0)
    goto out;
  if (husk_seccomp_has_listener (sc)
      && ((x.listener_sock = husk_seccomp_connect_listener (sc, err)) < 0
          || rt_oci_state_json (&c, "running", &sc_state, err) < 0))
    goto out;
  x.seccomp = sc;
  x.state_json = sc_state;
  x.p = &e.p;
  x.personality = e.cfg && e.cfg->linux_ ? e.cfg->linux_->personality : NULL;
  x.pidfd = pidfd;
  x.ns_flags = c.st.ns_flags;
  x.preserve_fds = o->preserve_fds;
  if (rt_cgroup_open_state (&c.st, false, &cg, err) < 0)
    goto out;
  x.cg = cg;
  sigprocmask (SIG_SETMASK, NULL, &x.sigmask);
  rt_forwarded_signals (&fwd);
  if (!o->detach)
    sigprocmask (SIG_BLOCK, &fwd, NULL);
  pid = spawn (&x, pidfd, err);
  husk_closep (&x.pty_sock);
  if (pid > 0 && (rc = 0, pty_sock >= 0)
      && (rc = pty_master (pty_sock, o->console_socket, &master, err)) < 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
    }
  if (pid > 0 && rc == 0 && o->pid_file
      && (rc = rt_write_pid_file (o->pid_file, pid, err)) < 0)
    {
      /* nobody would know of it */
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
    }
  /* the container is not held while the process runs */
  rt_container_release (&c);
  if (rc == 0 && !o->detach)
    {
      int wstatus = 0;
      rc = rt_foreground (pid, master, &fwd, NULL, &wstatus, err);
      *exit_status = rt_exit_status (wstatus);
    }
  if (!o->detach)
    sigprocmask (SIG_SETMASK, &x.sigmask, NULL);
  exec_proc_free (&e);
  husk_seccomp_free (sc);
  husk_closep (&x.listener_sock);
  return rc;
out:
  husk_closep (&x.pty_sock);
  exec_proc_free (&e);
  husk_seccomp_free (sc);
  husk_closep (&x.listener_sock);
  rt_container_release (&c);
  return -1;
}
