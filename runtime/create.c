/* create and run: the parent side.  husk clones the container's init with
 * the new namespaces (one clone in the common case), maps its ids, records
 * it in state.json, runs the runtime-namespace hooks when the init asks,
 * and returns once the init is set up and waiting for start. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../cgroups/cgroups.h"
#include "../lib/cleanup.h"
#include "../lib/fs.h"
#include "../lib/log.h"

struct create_ctx
{
  const struct husk_globals *g;
  const struct husk_create_opts *o;
  bool run;                /* release over the sync socket, not exec.fifo */
  bool proxy_tty;          /* run in the foreground without a socket */
  struct oci_config *cfg;
  char *bundle;
  struct ns_plan ns;
  bool ns_ready;
  struct rt_container c;   /* rootfd, dirfd (locked), id, st */
  bool dir_made;
  struct rt_pty pty;
  int sync_fd;             /* husk's end */
  int fifo_fd;
  int host_proc_fd;
  pid_t pid, stage_one;
  bool hooks_ran;
  struct husk_cgroup *cg;  /* NULL: --cgroup-manager=disabled */
  struct husk_net *net;    /* NULL: no network to build */
  sigset_t child_mask;     /* the mask the container's process gets */
  struct husk_seccomp *seccomp;
  int listener_sock;       /* to listenerPath; the init's copy sends */
  struct rt_run_extra *extra; /* husk job; NULL otherwise */
  int netns_fd;            /* the init's, for extra->created */
};

static void
ctx_init (struct create_ctx *x, const struct husk_globals *g,
          const struct husk_create_opts *o, bool run,
          struct rt_run_extra *extra)
{
  memset (x, 0, sizeof *x);
  x->g = g;
  x->o = o;
  x->run = run;
  x->extra = extra;
  x->c.rootfd = x->c.dirfd = -1;
  x->pty.master = x->pty.slave = -1;
  x->sync_fd = x->fifo_fd = x->host_proc_fd = x->listener_sock = -1;
  x->netns_fd = -1;
  sigprocmask (SIG_SETMASK, NULL, &x->child_mask);
}

/* Frees what the ctx holds; the container itself stays. */
static void
ctx_release (struct create_ctx *x)
{
  if (x->ns_ready)
    ns_plan_release (&x->ns);
  rt_pty_close (&x->pty);
  husk_closep (&x->sync_fd);
  husk_closep (&x->fifo_fd);
  husk_closep (&x->host_proc_fd);
  husk_closep (&x->listener_sock);
  husk_closep (&x->netns_fd);
  husk_seccomp_free (x->seccomp);
  x->seccomp = NULL;
  rt_container_release (&x->c);
  husk_cgroup_freep (&x->cg);
  rt_net_free (x->net);
  x->net = NULL;
  oci_config_free (x->cfg);
  x->cfg = NULL;
  free (x->bundle);
  x->bundle = NULL;
}

static void
reap (pid_t pid, int *status)
{
  while (waitpid (pid, status, 0) < 0 && errno == EINTR)
    ;
}

/* A failed create leaves nothing: the init killed, the state dir gone. */
static void
ctx_abort (struct create_ctx *x)
{
  if (x->stage_one > 0)
    {
      kill (x->stage_one, SIGKILL);
      reap (x->stage_one, NULL);
    }
  if (x->pid > 0)
    {
      kill (x->pid, SIGKILL);
      reap (x->pid, NULL);
    }
  if (x->hooks_ran && x->cfg->hooks && x->cfg->hooks->poststop.n)
    {
      cleanup_err husk_err *e = NULL;
      cleanup_free char *json = NULL;
      if (rt_oci_state_json (&x->c, "stopped", &json, &e) == 0)
        rt_run_hooks_warn (&x->cfg->hooks->poststop, "poststop", json);
      if (e)
        husk_warn ("%s", e->msg);
    }
  if (x->dir_made)
    {
      cleanup_err husk_err *e = NULL;
      if (rt_net_teardown (x->c.rootfd, x->c.id, &e) < 0
          || (x->cg && husk_cgroup_destroy (x->cg, &e) < 0)
          || rt_remove_dir (x->c.rootfd, x->c.id, &e) < 0)
        husk_warn ("%s", e->msg);
    }
  ctx_release (x);
}

/* ---------- before the clone ---------- */

static int
load_config (struct create_ctx *x, char **buf, size_t *len, husk_err **err)
{
  const char *name = x->o->config_path ? x->o->config_path : "config.json";
  cleanup_close int bfd = -1;

  if (x->extra && x->extra->cfg)
    {
      x->cfg = steal_ptr (&x->extra->cfg);
      x->bundle = realpath (".", NULL);
      if (x->bundle == NULL)
        return husk_error (err, errno, "the current directory");
      return 0;
    }
  x->bundle = realpath (x->o->bundle ? x->o->bundle : ".", NULL);
  if (x->bundle == NULL)
    return husk_error (err, errno, "bundle %s", x->o->bundle ? x->o->bundle : ".");
  bfd = open (x->bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (bfd < 0)
    return husk_error (err, errno, "bundle %s", x->bundle);
  if (oci_document_read (bfd, name, buf, len, err) < 0)
    return -1;
  if (oci_config_parse (*buf, *len, name, &x->cfg, err) < 0)
    return -1;
  if (x->cfg->process == NULL)
    return husk_error (err, 0, "%s: process: required to create a container",
                       name);
  return 0;
}

static int
check_terminal (struct create_ctx *x, husk_err **err)
{
  bool tty = x->cfg->process->terminal;
  bool detach = !x->run || x->o->detach;

  if (tty && detach && x->o->console_socket == NULL)
    return husk_error (err, 0, "cannot allocate tty if husk will detach "
                       "without setting console socket");
  if (!tty && x->o->console_socket)
    return husk_error (err, 0, "cannot use console socket if husk will not "
                       "detach or allocate tty");
  x->proxy_tty = tty && !detach && x->o->console_socket == NULL;
  return 0;
}

static int
fill_state (struct create_ctx *x, husk_err **err)
{
  struct rt_state *s = &x->c.st;
  const struct oci_config *cfg = x->cfg;
  const char *rp = cfg->root ? cfg->root->path : "";
  char now[HUSK_RFC3339_LEN];

  husk_rfc3339_now (now);
  s->id = strdup (x->o->id);
  s->bundle = strdup (x->bundle);
  if (rp[0] == '/')
    s->rootfs = strdup (rp);
  else if (asprintf (&s->rootfs, "%s/%s", x->bundle, rp) < 0)
    s->rootfs = NULL;
  s->created = strdup (now);
  s->ns_flags = x->ns.new_flags | x->ns.join_flags;
  s->new_ns_flags = x->ns.new_flags;
  if (cfg->hooks && cfg->hooks->poststart.n)
    s->hooks |= RT_HOOK_POSTSTART;
  if (cfg->hooks && cfg->hooks->poststop.n)
    s->hooks |= RT_HOOK_POSTSTOP;
  s->creating = true;
  if (cfg->n_annotations)
    {
      s->annotations = calloc (cfg->n_annotations, sizeof *s->annotations);
      if (s->annotations == NULL)
        return husk_error (err, ENOMEM, "create");
      for (size_t i = 0; i < cfg->n_annotations; i++, s->n_annotations++)
        {
          s->annotations[i].key = strdup (cfg->annotations[i].key);
          s->annotations[i].value = strdup (cfg->annotations[i].value);
          if (!s->annotations[i].key || !s->annotations[i].value)
            return husk_error (err, ENOMEM, "create");
        }
    }
  if (!s->id || !s->bundle || !s->rootfs || !s->created)
    return husk_error (err, ENOMEM, "create");
  return 0;
}

/* The state directory, made and locked: an existing id is refused. */
static int
make_state_dir (struct create_ctx *x, const char *config_buf, size_t len,
                husk_err **err)
{
  struct rt_container *c = &x->c;
  struct stat st;

  c->id = strdup (x->o->id);
  c->rootfd = rt_open_root (x->g, true, err);
  if (c->rootfd < 0)
    return -1;
  if (mkdirat (c->rootfd, x->o->id, 0700) < 0)
    {
      if (errno == EEXIST)
        return husk_error (err, 0, "container \"%s\" already exists", x->o->id);
      return husk_error (err, errno, "create the state of container \"%s\"",
                         x->o->id);
    }
  x->dir_made = true;
  c->dirfd = openat (c->rootfd, x->o->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC
                                               | O_NOFOLLOW);
  if (c->dirfd < 0 || flock (c->dirfd, LOCK_EX) < 0)
    return husk_error (err, errno, "lock container \"%s\"", x->o->id);
  /* a delete --force that won the lock between mkdir and flock */
  if (fstat (c->dirfd, &st) == 0 && st.st_nlink == 0)
    {
      x->dir_made = false;
      return husk_error (err, 0, "container \"%s\" was deleted while being "
                         "created", x->o->id);
    }
  if (config_buf && fs_write_file_at (c->dirfd, RT_CONFIG_FILE, config_buf,
                                      len, O_CREAT | O_EXCL, err) < 0)
    return husk_err_wrap (err, "save the config");
  if (x->run)
    return 0;
  if (mkfifoat (c->dirfd, RT_FIFO_FILE, 0600) < 0
      /* any uid the process ends up as may open it for writing */
      || fchmodat (c->dirfd, RT_FIFO_FILE, 0622, 0) < 0)
    return husk_error (err, errno, "create exec.fifo");
  x->fifo_fd = openat (c->dirfd, RT_FIFO_FILE, O_PATH | O_CLOEXEC);
  if (x->fifo_fd < 0)
    return husk_error (err, errno, "open exec.fifo");
  return 0;
}

static int
prepare (struct create_ctx *x, husk_err **err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  int sv[2];

  if (rt_check_id (x->o->id, err) < 0 || load_config (x, &buf, &len, err) < 0
      || check_terminal (x, err) < 0)
    return -1;
  if (rt_rootless_adjust (x->g, x->cfg, err) < 0
      || rt_net_prepare (x->g, x->cfg, &x->net, err) < 0
      || ns_plan_init (x->cfg, &x->ns, err) < 0)
    return -1;
  x->ns_ready = true;
  if (fill_state (x, err) < 0 || make_state_dir (x, buf, len, err) < 0)
    return -1;
  if (x->extra && x->extra->prepare
      && x->extra->prepare (x->extra->arg, x->c.dirfd, err) < 0)
    return -1;
  if (rt_seccomp_prepare (x->g, x->cfg, &x->seccomp, err) < 0)
    return -1;
  if (husk_seccomp_has_listener (x->seccomp))
    {
      x->listener_sock = husk_seccomp_connect_listener (x->seccomp, err);
      if (x->listener_sock < 0)
        return -1;
    }
  if (x->cfg->process->terminal)
    {
      if (rt_pty_open (x->cfg->process, &x->pty, err) < 0)
        return -1;
      if (x->o->console_socket
          && rt_console_send (x->o->console_socket, x->pty.master, err) < 0)
        return -1;
      if (!x->proxy_tty)
        husk_closep (&x->pty.master);
    }
  x->host_proc_fd = fs_open_procfs (err);
  if (x->host_proc_fd < 0)
    return -1;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return husk_error (err, errno, "socketpair");
  x->sync_fd = sv[0];
  return sv[1];
}

/* ---------- the clone ---------- */

/* The two-step spawn (see init.c: stage_one) is needed when a user
 * namespace is joined, or created while others are joined (they must be
 * joined before it exists, with the host's privileges), or created by an
 * unprivileged husk with a time namespace (which takes privilege in the
 * user namespace that owns it: stage_one makes it after the user's). */
static bool
needs_two_steps (const struct ns_plan *ns)
{
  int other_joins = ns->join_flags & ~(CLONE_NEWPID | CLONE_NEWTIME);
  bool new_user = ns->new_flags & CLONE_NEWUSER;
  return (ns->join_flags & CLONE_NEWUSER) || (new_user && other_joins)
         || (new_user && (ns->new_flags & CLONE_NEWTIME) && geteuid () != 0);
}

/* pid and time namespaces apply to children only: husk joins or creates
 * them for the clone and goes back to its own right after. */
static int
enter_child_namespaces (struct create_ctx *x, int saved[2], husk_err **err)
{
  const struct ns_plan *ns = &x->ns;
  bool pid = ns->join_fd[OCI_NS_PID] >= 0;
  bool time = ns->join_fd[OCI_NS_TIME] >= 0 || (ns->new_flags & CLONE_NEWTIME);

  if (pid && (saved[0] = open ("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0)
    return husk_error (err, errno, "open /proc/self/ns/pid");
  if (time && (saved[1] = open ("/proc/self/ns/time", O_RDONLY | O_CLOEXEC)) < 0)
    return husk_error (err, errno, "open /proc/self/ns/time");
  if (ns_join (ns, ns->join_flags & (CLONE_NEWPID | CLONE_NEWTIME), err) < 0)
    return -1;
  if ((ns->new_flags & CLONE_NEWTIME) && ns_unshare_time (x->cfg->linux_, err) < 0)
    return -1;
  return 0;
}

static void
leave_child_namespaces (int saved[2])
{
  if (saved[0] >= 0 && setns (saved[0], CLONE_NEWPID) < 0)
    husk_warn ("return to husk's pid namespace: %s", strerror (errno));
  if (saved[1] >= 0 && setns (saved[1], CLONE_NEWTIME) < 0)
    husk_warn ("return to husk's time namespace: %s", strerror (errno));
  husk_closep (&saved[0]);
  husk_closep (&saved[1]);
}

/* Whether husk has work the init must wait for before its set-up (GO):
 * a user namespace to map, a first child to follow, a network to build, a
 * state document for hooks or a seccomp listener.  Otherwise the init goes
 * on at once, while husk records it (record_init). */
static bool
init_awaits_go (const struct create_ctx *x)
{
  const struct oci_hooks *h = x->cfg->hooks;

  return needs_two_steps (&x->ns) || (x->ns.new_flags & CLONE_NEWUSER)
         || x->net != NULL || husk_seccomp_has_listener (x->seccomp)
         || (h && (h->create_container.n || h->start_container.n));
}

/* Limits other than the device rules (which allow the set-up's mknod and
 * opens whatever the config says: runc's defaults come last). */
static bool
asks_limits (const struct oci_config *cfg)
{
  const struct oci_resources *r = cfg->linux_ ? cfg->linux_->resources : NULL;

  return r && (r->memory || r->cpu || r->pids || r->block_io
               || r->n_hugepage_limits || r->network || r->n_rdma
               || r->n_unified);
}

/* run with nothing of husk's due between the init's set-up and its exec (no
 * hooks, no user namespace to map, no network, no listener, not a job, no
 * pid file) and no limits to hold the set-up to: the device program is
 * attached, and start sent, while the init still sets up, so that the init
 * goes from READY to its exec without waiting for husk. */
static bool
starts_early (const struct create_ctx *x)
{
  const struct oci_hooks *h = x->cfg->hooks;

  return x->run && x->extra == NULL && x->o->pid_file == NULL
         && !init_awaits_go (x) && !asks_limits (x->cfg)
         && !(h && (h->prestart.n || h->create_runtime.n));
}

static int
apply_cgroup (struct create_ctx *x, husk_err **err)
{
  return x->cg ? husk_cgroup_apply (x->cg, x->cfg->linux_,
                                    rt_cgroup_apply_flags (x->g), err)
               : 0;
}

/* An init that failed has left (EPIPE): what it said is read after. */
static int
send_start_early (struct create_ctx *x, husk_err **err)
{
  cleanup_err husk_err *e = NULL;

  if (rt_sync_send (x->sync_fd, SYNC_START, 0, NULL, &e) == 0 || e->errnum == EPIPE)
    return 0;
  *err = steal_ptr (&e);
  return -1;
}

static int
clone_init (struct create_ctx *x, int child_fd, husk_err **err)
{
  struct rt_init_ctx ic = {
    .cfg = x->cfg, .bundle = x->bundle, .no_pivot = x->o->no_pivot,
    .no_new_keyring = x->o->no_new_keyring,
    .preserve_fds = x->o->preserve_fds, .ns = &x->ns,
    .two_step = needs_two_steps (&x->ns), .unprivileged = geteuid () != 0,
    .sync_fd = child_fd,
    .fifo_fd = x->fifo_fd, .host_proc_fd = x->host_proc_fd,
    .pty_slave = x->pty.slave, .pty_path = x->pty.slave_path,
    .hooks_in_parent = x->cfg->hooks && (x->cfg->hooks->prestart.n
                                         || x->cfg->hooks->create_runtime.n),
    .sigmask = x->child_mask,
    .seccomp = x->seccomp, .listener_sock = x->listener_sock,
    .die_with_husk = x->extra && x->extra->die_with_husk,
    .overlay = x->extra ? x->extra->overlay : NULL,
    .await_go = init_awaits_go (x),
    .send_netns = x->extra && x->extra->created,
  };
  int saved[2] = { -1, -1 }, flags = 0;
  pid_t pid;

  if (!ic.two_step)
    {
      flags = x->ns.new_flags & ~(CLONE_NEWCGROUP | CLONE_NEWTIME);
      if (enter_child_namespaces (x, saved, err) < 0)
        {
          leave_child_namespaces (saved);
          return -1;
        }
    }
  pid = rt_cgroup_clone (x->cg, flags, err);
  if (pid == 0)
    {
      /* the locked state dir above all: start must be able to take it */
      close (x->sync_fd);
      close (x->c.dirfd);
      close (x->c.rootfd);
      if (x->cg)
        close (husk_cgroup_fd (x->cg));
      if (x->pty.master >= 0)
        close (x->pty.master);
      rt_init_main (&ic);
    }
  if (!ic.two_step)
    leave_child_namespaces (saved);
  if (pid < 0)
    return -1;
  if (ic.two_step)
    x->stage_one = pid;
  else
    x->pid = pid;
  return 0;
}

/* Two-step spawn: map the first child's user namespace, learn the init's
 * pid. */
static int
await_init_pid (struct create_ctx *x, husk_err **err)
{
  struct rt_sync_msg m;

  if (rt_sync_recv (x->sync_fd, &m, err) < 0)
    return -1;
  if (m.type == SYNC_USERNS)
    {
      if (ns_write_id_maps (m.pid, x->cfg->linux_, err) < 0
          || rt_sync_send (x->sync_fd, SYNC_MAPPED, 0, NULL, err) < 0
          || rt_sync_expect (x->sync_fd, SYNC_PID, &m, err) < 0)
        return -1;
    }
  else if (m.type == SYNC_ERROR)
    return rt_sync_error (&m, err);
  else if (m.type != SYNC_PID)
    return husk_error (err, 0, "the container's init exited during setup");
  x->pid = m.pid;
  reap (x->stage_one, NULL);
  x->stage_one = 0;
  return 0;
}

static int
state_json_for_init (struct create_ctx *x, char **json, husk_err **err)
{
  const struct oci_hooks *h = x->cfg->hooks;

  *json = NULL;
  if (!husk_seccomp_has_listener (x->seccomp)
      && (h == NULL || (h->create_container.n == 0 && h->start_container.n == 0)))
    return 0;
  return rt_oci_state_json (&x->c, "creating", json, err);
}

static int
run_runtime_hooks (struct create_ctx *x, husk_err **err)
{
  cleanup_free char *json = NULL;
  const struct oci_hooks *h = x->cfg->hooks;

  x->hooks_ran = true;
  if (rt_oci_state_json (&x->c, "creating", &json, err) < 0
      || rt_run_hooks (&h->prestart, "prestart", json, err) < 0
      || rt_run_hooks (&h->create_runtime, "createRuntime", json, err) < 0)
    return -1;
  return rt_sync_send (x->sync_fd, SYNC_HOOKS_DONE, 0, NULL, err);
}

static int
init_failed (struct create_ctx *x, husk_err **err)
{
  int status = 0;

  reap (x->pid, &status);
  x->pid = 0;
  if (WIFSIGNALED (status))
    return husk_error (err, 0, "the container's init was killed by signal %d "
                       "during setup", WTERMSIG (status));
  return husk_error (err, 0, "the container's init exited during setup "
                     "(status %d)", WEXITSTATUS (status));
}

/* What the parent does while the init sets up its rootfs (after GO, before
 * READY): the state names the init, its oom_score_adj, and the device
 * program loaded for husk_cgroup_apply to attach.  Before GO they would
 * hold the init back; the init dies with husk (PDEATHSIG) until READY. */
static int
record_init (struct create_ctx *x, husk_err **err)
{
  if (rt_proc_stat (x->pid, &x->c.st.start_time, NULL, NULL) < 0)
    return husk_error (err, errno, "read the start time of the init");
  x->c.has_state = true;
  if (rt_state_write (x->c.dirfd, &x->c.st, err) < 0
      || rt_set_oom_score_adj (x->pid, x->cfg->process, err) < 0)
    return -1;
  if (x->cg && !(rt_cgroup_apply_flags (x->g) & HUSK_CGROUP_NO_DEVICES))
    husk_cgroup_load_devices (x->cg, x->cfg->linux_);
  return 0;
}

static int
spawn_init (struct create_ctx *x, int child_fd, husk_err **err)
{
  cleanup_free char *json = NULL;
  struct rt_sync_msg m;
  int r;

  /* the cgroup comes first: the init is born in it */
  r = rt_cgroup_create (x->g, x->cfg, &x->c, &x->cg, err);
  if (r == 0)
    r = clone_init (x, child_fd, err);
  close (child_fd);
  husk_closep (&x->listener_sock); /* the init has its own */
  if (r < 0 || (x->stage_one && await_init_pid (x, err) < 0))
    return -1;
  if (!needs_two_steps (&x->ns) && (x->ns.new_flags & CLONE_NEWUSER)
      && ns_write_id_maps (x->pid, x->cfg->linux_, err) < 0)
    return -1;
  x->c.st.pid = x->pid;
  /* the network before GO (createRuntime hooks see it); the init is in
   * its cgroup since the clone, but a two-step init forked by a first
   * child that husk moved there after its clone may have been quicker */
  if (rt_net_setup (x->net, x->pid, x->c.rootfd, x->c.id, err) < 0
      || (x->cg && needs_two_steps (&x->ns)
          && husk_cgroup_add_pid (x->cg, x->pid, err) < 0))
    return -1;
  if (init_awaits_go (x)
      && (state_json_for_init (x, &json, err) < 0
          || rt_sync_send (x->sync_fd, SYNC_GO, 0, json, err) < 0))
    return -1;
  if (record_init (x, err) < 0)
    return -1;
  if (starts_early (x) && (apply_cgroup (x, err) < 0 || send_start_early (x, err) < 0))
    return -1;
  for (;;)
    {
      husk_closep (&x->netns_fd);
      r = rt_sync_recv_fd (x->sync_fd, &m, &x->netns_fd, err);
      if (r < 0)
        return -1;
      if (r == 0)
        return init_failed (x, err);
      /* limits and the device program hold from here, not during set-up
       * (but where it starts early) */
      if (m.type == SYNC_READY)
        return starts_early (x) ? 0 : apply_cgroup (x, err);
      if (m.type == SYNC_ERROR)
        return rt_sync_error (&m, err);
      if (m.type != SYNC_HOOKS)
        return husk_error (err, 0, "sync with the container's init: "
                           "unexpected message %d", m.type);
      if (run_runtime_hooks (x, err) < 0)
        return -1;
    }
}

/* create's whole work; on failure the caller aborts the ctx. */
static int
create_container (struct create_ctx *x, husk_err **err)
{
  int child_fd = prepare (x, err);

  if (child_fd < 0)
    return -1;
  if (spawn_init (x, child_fd, err) < 0)
    return -1;
  x->c.st.creating = false;
  if (rt_state_write (x->c.dirfd, &x->c.st, err) < 0)
    return -1;
  if (x->o->pid_file && rt_write_pid_file (x->o->pid_file, x->pid, err) < 0)
    return -1;
  return 0;
}

int
husk_create (const struct husk_globals *g, const struct husk_create_opts *o,
             husk_err **err)
{
  struct create_ctx x;

  ctx_init (&x, g, o, false, NULL);
  if (create_container (&x, err) < 0)
    {
      ctx_abort (&x);
      return -1;
    }
  ctx_release (&x);
  return 0;
}

/* ---------- run ---------- */

/* Releases the init (run: over the sync socket) and waits until it has
 * exec'd: EOF means exec, a message an error. */
static int
start_init (struct create_ctx *x, husk_err **err)
{
  struct rt_sync_msg m;
  int r;

  if (!starts_early (x) && rt_sync_send (x->sync_fd, SYNC_START, 0, NULL, err) < 0)
    return -1;
  r = rt_sync_recv (x->sync_fd, &m, err);
  if (r < 0)
    return -1;
  if (r > 0)
    return m.type == SYNC_ERROR ? rt_sync_error (&m, err)
                                : husk_error (err, 0, "unexpected message");
  husk_closep (&x->sync_fd);
  return 0;
}

/* run's end: the container is stopped; delete it as `delete` would. */
static int
delete_after_run (struct create_ctx *x, husk_err **err)
{
  struct stat st;

  if (flock (x->c.dirfd, LOCK_EX) < 0)
    return husk_error (err, errno, "lock container \"%s\"", x->c.id);
  if (fstat (x->c.dirfd, &st) == 0 && st.st_nlink == 0)
    return 0; /* deleted meanwhile */
  return rt_destroy (&x->c, x->cfg, err);
}

int
rt_run (const struct husk_globals *g, const struct husk_create_opts *o,
        struct rt_run_extra *extra, int *exit_status, husk_err **err)
{
  struct create_ctx x;
  sigset_t fwd;
  int rc = 0, wstatus = 0;

  *exit_status = 0;
  ctx_init (&x, g, o, true, extra);
  rt_forwarded_signals (&fwd);
  if (!o->detach)
    sigprocmask (SIG_BLOCK, &fwd, NULL);
  if (create_container (&x, err) < 0
      || (extra && extra->created
          && extra->created (extra->arg, x.netns_fd, err) < 0)
      || start_init (&x, err) < 0)
    {
      ctx_abort (&x);
      if (!o->detach)
        sigprocmask (SIG_SETMASK, &x.child_mask, NULL);
      return -1;
    }
  rt_poststart (&x.c, x.cfg);
  if (!o->detach)
    {
      /* exec, kill and delete may lock the container while it runs */
      flock (x.c.dirfd, LOCK_UN);
      rc = rt_foreground (x.pid, x.proxy_tty ? x.pty.master : -1, &fwd,
                          extra ? extra->tick : NULL, &wstatus, err);
      *exit_status = rt_exit_status (wstatus);
      if (extra)
        extra->wstatus = wstatus;
      x.pid = 0;
      if (rc == 0 && !o->keep)
        rc = delete_after_run (&x, err);
      sigprocmask (SIG_SETMASK, &x.child_mask, NULL);
    }
  ctx_release (&x);
  return rc;
}

int
husk_run (const struct husk_globals *g, const struct husk_create_opts *o,
          int *exit_status, husk_err **err)
{
  return rt_run (g, o, NULL, exit_status, err);
}
