/* The container's init from clone to exec: the child side of create.c's
 * spawn_init.  Every failure goes back to husk as a message (SYNC_ERROR on
 * the sync socket, or on exec.fifo once `start` holds it) and the child
 * exits; husk prints it and cleans up. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/keyctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/fs.h"
#include "../rootfs/rootfs.h"

/* CVE-2016-9962: nothing in the container may ptrace us until exec.  But
 * /proc/<pid> of a process that is not dumpable belongs to root, and an
 * unprivileged husk (or newuidmap) could then not write its id maps: such
 * a process stays dumpable until it is mapped, alone in namespaces of its
 * own, as in runc's nsexec. */
static int
set_dumpable (bool dumpable, husk_err **err)
{
  if (prctl (PR_SET_DUMPABLE, dumpable ? 1 : 0, 0, 0, 0) < 0)
    return husk_error (err, errno, "prctl PR_SET_DUMPABLE");
  return 0;
}

/* The init dies with husk until it is set up: a husk killed during create
 * leaves no half-made container running.  Cleared just before READY,
 * from when state.json names it, but for a job (die_with_husk), whose
 * whole pid namespace goes with its init when husk dies. */
static int
guard_child (bool dumpable, husk_err **err)
{
  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
    return husk_error (err, errno, "prctl PR_SET_PDEATHSIG");
  return set_dumpable (dumpable, err);
}

/* One clone made the user namespace: husk maps it before GO. */
static bool
mapped_after_clone (const struct rt_init_ctx *c)
{
  return c->unprivileged && !c->two_step
         && (c->ns->new_flags & CLONE_NEWUSER);
}

static int
become_root (husk_err **err)
{
  if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
    return husk_error (err, errno, "become root in the user namespace (is id "
                       "0 mapped?)");
  return 0;
}

/* The two-step spawn, for configs that join a user namespace, or create
 * one and join others: like runc's nsexec, this first child joins the
 * namespaces with a path (user first), creates the user namespace and has
 * husk map it, creates the others, and forks the init as husk's child
 * (CLONE_PARENT).  It returns in the init only. */
static int
stage_one (struct rt_init_ctx *c, husk_err **err)
{
  const struct ns_plan *ns = c->ns;
  struct rt_sync_msg m;
  pid_t pid;

  if (ns_join (ns, ns->join_flags, err) < 0)
    return -1;
  if ((ns->join_flags & CLONE_NEWUSER) && become_root (err) < 0)
    return -1;
  if (ns->new_flags & CLONE_NEWUSER)
    {
      if (unshare (CLONE_NEWUSER) < 0)
        return husk_error (err, errno, "create the user namespace");
      if ((c->unprivileged && set_dumpable (true, err) < 0)
          || rt_sync_send (c->sync_fd, SYNC_USERNS, getpid (), NULL, err) < 0
          || rt_sync_expect (c->sync_fd, SYNC_MAPPED, &m, err) < 0
          || become_root (err) < 0)
        return -1;
    }
  if (unshare (ns->new_flags & ~(CLONE_NEWUSER | CLONE_NEWCGROUP
                                 | CLONE_NEWTIME)) < 0)
    return husk_error (err, errno, "create the namespaces");
  /* /proc/self/timens_offsets too is written while dumpable */
  if ((ns->new_flags & CLONE_NEWTIME)
      && ns_unshare_time (c->cfg->linux_, err) < 0)
    return -1;
  if (set_dumpable (false, err) < 0)
    return -1;
  pid = ns_clone (CLONE_PARENT, err);
  if (pid < 0)
    return -1;
  if (pid == 0)
    return guard_child (false, err);
  if (rt_sync_send (c->sync_fd, SYNC_PID, pid, NULL, err) < 0)
    return -1;
  _exit (0);
}

/* ---------- sysctl ---------- */

static bool
has_prefix (const char *s, const char *p)
{
  return strncmp (s, p, strlen (p)) == 0;
}

/* runc's rule: only namespaced sysctls, each in a namespace of its own. */
static int
check_sysctl (const struct oci_config *cfg, const char *key, husk_err **err)
{
  static const char *const ipc[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
    "kernel.shm_rmid_forced", NULL,
  };
  enum oci_ns_type need = OCI_NS_COUNT;

  for (int i = 0; ipc[i]; i++)
    if (strcmp (key, ipc[i]) == 0)
      need = OCI_NS_IPC;
  if (has_prefix (key, "fs.mqueue."))
    need = OCI_NS_IPC;
  else if (has_prefix (key, "net."))
    need = OCI_NS_NETWORK;
  else if (strcmp (key, "kernel.hostname") == 0
           || strcmp (key, "kernel.domainname") == 0)
    need = OCI_NS_UTS;
  if (need == OCI_NS_COUNT)
    return husk_error (err, 0, "config.json: linux.sysctl: \"%s\" is not a "
                       "namespaced sysctl", key);
  if (oci_find_namespace (cfg, need) == NULL)
    return husk_error (err, 0, "config.json: linux.sysctl: \"%s\" needs the "
                       "container's own %s namespace", key,
                       oci_ns_type_name (need));
  return 0;
}

/* Written through the host's /proc that husk opened (CVE-2025-52881: never
 * a path of the container's), in the container's namespaces (the files
 * show the writer's namespaces), before the container's mounts exist. */
static int
write_sysctls (const struct rt_init_ctx *c, husk_err **err)
{
  const struct oci_linux *l = c->cfg->linux_;

  for (size_t i = 0; l && i < l->n_sysctl; i++)
    {
      cleanup_free char *path = NULL;
      const char *key = l->sysctl[i].key, *v = l->sysctl[i].value;

      if (check_sysctl (c->cfg, key, err) < 0)
        return -1;
      if (asprintf (&path, "sys/%s", key) < 0)
        return husk_error (err, ENOMEM, "linux.sysctl");
      for (char *p = path; *p; p++)
        if (*p == '.')
          *p = '/';
      if (fs_write_proc (c->host_proc_fd, path, v, err) < 0)
        return husk_err_wrap (err, "linux.sysctl: %s", key);
    }
  return 0;
}

/* ---------- the init ---------- */

static bool
has_hooks (const struct oci_config *cfg, size_t off)
{
  return cfg->hooks && ((const struct oci_hook_list *) ((const char *) cfg->hooks + off))->n;
}

/* Waits for start: through exec.fifo for create (the open blocks until
 * `start` opens it for reading), through the sync socket for run.  The
 * fd returned is where errors go from then on. */
static int
wait_for_start (const struct rt_init_ctx *c, husk_err **err)
{
  struct rt_sync_msg m;
  char path[32];
  int fd;

  if (c->fifo_fd < 0)
    return rt_sync_expect (c->sync_fd, SYNC_START, &m, err) < 0 ? -1 : c->sync_fd;
  /* exec.fifo lies outside the container's root: reopen the O_PATH fd
   * through the host's /proc (this works for any uid: it is our own fd) */
  snprintf (path, sizeof path, "self/fd/%d", c->fifo_fd);
  do
    fd = openat (c->host_proc_fd, path, O_WRONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return husk_error (err, errno, "open exec.fifo");
  return fd;
}

struct before_pivot_arg
{
  const struct rt_init_ctx *c;
  const char *state_json;
};

/* Where runc runs them: with the mounts in place, before the masks and
 * pivot_root: prestart and createRuntime in husk (the runtime's
 * namespaces), then createContainer here, in the container's. */
static int
run_hooks_before_pivot (void *arg, husk_err **err)
{
  const struct before_pivot_arg *a = arg;
  const struct rt_init_ctx *c = a->c;
  struct rt_sync_msg m;

  if (c->hooks_in_parent
      && (rt_sync_send (c->sync_fd, SYNC_HOOKS, 0, NULL, err) < 0
          || rt_sync_expect (c->sync_fd, SYNC_HOOKS_DONE, &m, err) < 0))
    return -1;
  if (has_hooks (c->cfg, offsetof (struct oci_hooks, create_container)))
    return rt_run_hooks (&c->cfg->hooks->create_container, "createContainer",
                         a->state_json, err);
  return 0;
}

/* A session keyring of the container's own, unless --no-new-keyring (a
 * kernel without keyrings is not an error, as in runc). */
static int
new_session_keyring (const struct rt_init_ctx *c, husk_err **err)
{
  if (c->no_new_keyring
      || syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) >= 0
      || errno == ENOSYS)
    return 0;
  return husk_error (err, errno, "create a session keyring");
}

static struct rt_proc_opts
proc_opts (const struct rt_init_ctx *c)
{
  const struct oci_linux *l = c->cfg->linux_;
  struct rt_proc_opts po = {
    .p = c->cfg->process, .personality = l ? l->personality : NULL,
    .host_proc_fd = c->host_proc_fd, .preserve_fds = c->preserve_fds,
    .sigmask = &c->sigmask,
    .seccomp = c->seccomp, .listener_sock = c->listener_sock,
    /* runc's order with noNewPrivileges: the filter before the wait for
     * start, loaded while husk attaches the device program; a listener
     * wants the state document, which comes with start */
    .restrict_early = c->cfg->process->no_new_privileges
                      && !husk_seccomp_has_listener (c->seccomp),
  };
  return po;
}

/* Through the host's /proc: the container's may be anything. */
static int
send_ready_with_netns (const struct rt_init_ctx *c, husk_err **err)
{
  cleanup_close int ns = openat (c->host_proc_fd, "self/ns/net",
                                 O_RDONLY | O_CLOEXEC);

  if (ns < 0)
    return husk_error (err, errno, "open the network namespace");
  return rt_sync_send_fd (c->sync_fd, SYNC_READY, ns, err);
}

static int
init_setup (struct rt_init_ctx *c, char **state_json, char **exe,
            husk_err **err)
{
  struct before_pivot_arg bpa = { .c = c };
  const struct oci_config *cfg = c->cfg;
  const struct ns_plan *ns = c->ns;
  struct rt_sync_msg m;
  struct rootfs_opts ro = {
    .config = cfg, .bundle = c->bundle, .no_pivot = c->no_pivot,
    .in_userns = ((ns->new_flags | ns->join_flags) & CLONE_NEWUSER) != 0,
    .console_path = c->pty_slave >= 0 ? c->pty_path : NULL,
    .overlay = c->overlay,
    .before_pivot = run_hooks_before_pivot, .before_pivot_arg = &bpa,
  };
  struct rt_proc_opts po = proc_opts (c);

  if (guard_child (mapped_after_clone (c), err) < 0
      || (c->two_step && stage_one (c, err) < 0))
    return -1;
  m.text[0] = '\0'; /* no GO, no state document */
  if ((c->await_go && rt_sync_expect (c->sync_fd, SYNC_GO, &m, err) < 0)
      || (mapped_after_clone (c) && set_dumpable (false, err) < 0))
    return -1;
  if (m.text[0] && (*state_json = strdup (m.text)) == NULL)
    return husk_error (err, ENOMEM, "init");
  bpa.state_json = *state_json;
  if (!c->two_step)
    {
      /* pid and time were joined by husk around the clone */
      if (ns_join (ns, ns->join_flags & ~(CLONE_NEWPID | CLONE_NEWTIME), err) < 0)
        return -1;
      if ((ns->new_flags & CLONE_NEWUSER) && become_root (err) < 0)
        return -1;
    }
  /* husk has placed us in the container's cgroup before GO: the cgroup
   * namespace made now has it as its root */
  if ((ns->new_flags & CLONE_NEWCGROUP) && unshare (CLONE_NEWCGROUP) < 0)
    return husk_error (err, errno, "create the cgroup namespace");
  if (new_session_keyring (c, err) < 0 || ns_set_names (cfg, err) < 0
      || write_sysctls (c, err) < 0)
    return -1;
  if (c->pty_slave >= 0 && rt_pty_make_stdio (c->pty_slave, err) < 0)
    return -1;
  if (rootfs_setup (&ro, err) < 0)
    return -1;
  if (rt_proc_setup (&po, err) < 0 || rt_find_executable (cfg->process, exe, err) < 0)
    return -1;
  /* set again for a job: the user switch of rt_proc_setup cleared it */
  if (prctl (PR_SET_PDEATHSIG, c->die_with_husk ? SIGKILL : 0, 0, 0, 0) < 0)
    return husk_error (err, errno, "prctl");
  if (po.restrict_early && rt_proc_restrict (&po, err) < 0)
    return -1;
  return c->send_netns ? send_ready_with_netns (c, err)
                       : rt_sync_send (c->sync_fd, SYNC_READY, 0, NULL, err);
}

_Noreturn void
rt_init_main (struct rt_init_ctx *c)
{
  husk_err *err = NULL;
  char *state_json = NULL, *exe = NULL;
  int report_fd = c->sync_fd;
  struct rt_proc_opts po = proc_opts (c);

  if (init_setup (c, &state_json, &exe, &err) == 0)
    {
      po.state_json = state_json;
      int fd = wait_for_start (c, &err);
      if (fd >= 0)
        {
          report_fd = fd;
          if (!has_hooks (c->cfg, offsetof (struct oci_hooks, start_container))
              || rt_run_hooks (&c->cfg->hooks->start_container,
                               "startContainer", state_json, &err) == 0)
            rt_proc_exec (&po, exe, &err);
        }
    }
  husk_err_wrap (&err, "unable to start container process");
  rt_sync_send_error (report_fd, err);
  _exit (1);
}
