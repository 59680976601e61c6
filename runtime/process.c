/* The attributes of the container's process (config.json "process"), set
 * in the container's namespaces and root by the init and by exec:
 * rlimits, scheduler, I/O priority, capabilities (libcap), user and
 * groups, cwd, umask, oom_score_adj, personality, no_new_privs, fds. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/fs.h"
#include "../lib/log.h"

/* ---------- finding the executable ---------- */

static const char *
env_path (char **env)
{
  for (char **e = env; e && *e; e++)
    if (strncmp (*e, "PATH=", 5) == 0)
      return *e + 5;
  return NULL;
}

/* Go's exec.LookPath test (which runc uses): a file, not a directory,
 * with an execute bit. */
static int
check_executable (const char *path)
{
  struct stat st;

  if (stat (path, &st) < 0)
    return -errno;
  if (S_ISDIR (st.st_mode) || !(st.st_mode & 0111))
    return -EACCES;
  return 0;
}

int
rt_find_executable (const struct oci_process *p, char **path, husk_err **err)
{
  const char *name = p->args[0];
  const char *dirs = env_path (p->env);
  int r;

  if (strchr (name, '/'))
    {
      r = check_executable (name);
      if (r == -ENOENT)
        return husk_error (err, 0, "exec: \"%s\": stat %s: no such file or "
                           "directory", name, name);
      if (r < 0)
        return husk_error (err, -r, "exec: \"%s\"", name);
      *path = strdup (name);
      return *path ? 0 : husk_error (err, ENOMEM, "exec");
    }
  for (const char *d = dirs; d && *d;)
    {
      const char *end = strchrnul (d, ':');
      cleanup_free char *cand = NULL;

      /* an empty entry is the current directory, as in POSIX */
      if (asprintf (&cand, "%.*s/%s", end == d ? 1 : (int) (end - d),
                    end == d ? "." : d, name) < 0)
        return husk_error (err, ENOMEM, "exec");
      if (check_executable (cand) == 0)
        {
          *path = steal_ptr (&cand);
          return 0;
        }
      d = *end ? end + 1 : end;
    }
  return husk_error (err, 0, "exec: \"%s\": executable file not found in $PATH",
                     name);
}

/* ---------- rlimits, scheduler, I/O priority ---------- */

static int
set_rlimits (const struct oci_process *p, husk_err **err)
{
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
      const struct oci_rlimit *r = &p->rlimits[i];
      struct rlimit lim = { .rlim_cur = r->soft, .rlim_max = r->hard };
      struct rlimit cur;

      if (setrlimit (r->resource, &lim) == 0)
        continue;
      if (errno == EPERM && getrlimit (r->resource, &cur) == 0
          && r->hard > cur.rlim_max)
        return husk_error (err, EPERM, "process.rlimits: %s (soft %llu, hard "
                           "%llu): raising the hard limit above %llu needs "
                           "CAP_SYS_RESOURCE, which husk does not have here",
                           r->type, (unsigned long long) r->soft,
                           (unsigned long long) r->hard,
                           (unsigned long long) cur.rlim_max);
      return husk_error (err, errno, "process.rlimits: %s (soft %llu, hard %llu)",
                         r->type, (unsigned long long) r->soft,
                         (unsigned long long) r->hard);
    }
  return 0;
}

struct sched_attr_v1
{
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
};

static const struct
{
  const char *name;
  uint64_t flag;
} sched_flag_names[] = {
  { "SCHED_FLAG_RESET_ON_FORK", SCHED_FLAG_RESET_ON_FORK },
  { "SCHED_FLAG_RECLAIM", SCHED_FLAG_RECLAIM },
  { "SCHED_FLAG_DL_OVERRUN", SCHED_FLAG_DL_OVERRUN },
  { "SCHED_FLAG_KEEP_POLICY", SCHED_FLAG_KEEP_POLICY },
  { "SCHED_FLAG_KEEP_PARAMS", SCHED_FLAG_KEEP_PARAMS },
  { "SCHED_FLAG_UTIL_CLAMP_MIN", SCHED_FLAG_UTIL_CLAMP_MIN },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", SCHED_FLAG_UTIL_CLAMP_MAX },
};

static int
set_scheduler (const struct oci_scheduler *s, husk_err **err)
{
  struct sched_attr_v1 a = { .size = sizeof a };

  if (s == NULL)
    return 0;
  a.sched_policy = (uint32_t) s->policy_num;
  a.sched_nice = s->has_nice ? s->nice : 0;
  a.sched_priority = s->has_priority ? (uint32_t) s->priority : 0;
  a.sched_runtime = s->has_runtime ? s->runtime : 0;
  a.sched_deadline = s->has_deadline ? s->deadline : 0;
  a.sched_period = s->has_period ? s->period : 0;
  for (char **f = s->flags; f && *f; f++)
    {
      size_t i;
      for (i = 0; i < sizeof sched_flag_names / sizeof *sched_flag_names; i++)
        if (strcmp (*f, sched_flag_names[i].name) == 0)
          break;
      if (i == sizeof sched_flag_names / sizeof *sched_flag_names)
        return husk_error (err, 0, "process.scheduler.flags: unknown flag \"%s\"",
                           *f);
      a.sched_flags |= sched_flag_names[i].flag;
    }
  if (syscall (SYS_sched_setattr, 0, &a, 0) < 0)
    return husk_error (err, errno, "process.scheduler: sched_setattr %s",
                       s->policy);
  return 0;
}

static int
set_io_priority (const struct oci_io_priority *io, husk_err **err)
{
  if (io == NULL)
    return 0;
  /* IOPRIO_PRIO_VALUE (class, data), IOPRIO_WHO_PROCESS, this process */
  if (syscall (SYS_ioprio_set, 1, 0, (io->class_ << 13) | io->priority) < 0)
    return husk_error (err, errno, "process.ioPriority: ioprio_set %s %d",
                       io->class_name, io->priority);
  return 0;
}

/* ---------- capabilities ---------- */

struct cap_list
{
  cap_value_t v[64];
  int n;
};

static int
cap_list_parse (char **names, const char *set, struct cap_list *l,
                husk_err **err)
{
  int max = (int) cap_max_bits ();

  l->n = 0;
  for (char **s = names; s && *s; s++)
    {
      cap_value_t v;
      if (cap_from_name (*s, &v) < 0)
        return husk_error (err, 0, "process.capabilities.%s: unknown "
                           "capability \"%s\"", set, *s);
      if (v >= max)
        {
          husk_warn ("process.capabilities.%s: %s is not known to this "
                     "kernel: skipped", set, *s);
          continue;
        }
      if (l->n < 64)
        l->v[l->n++] = v;
    }
  return 0;
}

static bool
cap_list_has (const struct cap_list *l, cap_value_t v)
{
  for (int i = 0; i < l->n; i++)
    if (l->v[i] == v)
      return true;
  return false;
}

static int
drop_bounding (const struct oci_capabilities *c, husk_err **err)
{
  struct cap_list keep;
  int max = (int) cap_max_bits ();

  if (cap_list_parse (c->bounding, "bounding", &keep, err) < 0)
    return -1;
  for (cap_value_t v = 0; v < max; v++)
    if (!cap_list_has (&keep, v) && cap_drop_bound (v) < 0 && errno != EINVAL)
      return husk_error (err, errno, "process.capabilities.bounding: drop %s",
                         cap_to_name (v));
  return 0;
}

static int
set_caps (const struct oci_capabilities *c, husk_err **err)
{
  struct cap_list eff, perm, inh, amb;
  cap_t caps;
  int rc = 0;

  if (cap_list_parse (c->effective, "effective", &eff, err) < 0
      || cap_list_parse (c->permitted, "permitted", &perm, err) < 0
      || cap_list_parse (c->inheritable, "inheritable", &inh, err) < 0
      || cap_list_parse (c->ambient, "ambient", &amb, err) < 0)
    return -1;
  caps = cap_init ();
  if (caps == NULL)
    return husk_error (err, errno, "cap_init");
  if ((eff.n && cap_set_flag (caps, CAP_EFFECTIVE, eff.n, eff.v, CAP_SET) < 0)
      || (perm.n && cap_set_flag (caps, CAP_PERMITTED, perm.n, perm.v, CAP_SET) < 0)
      || (inh.n && cap_set_flag (caps, CAP_INHERITABLE, inh.n, inh.v, CAP_SET) < 0))
    rc = husk_error (err, errno, "process.capabilities");
  else if (cap_set_proc (caps) < 0)
    rc = husk_error (err, errno, "process.capabilities: set the effective, "
                     "permitted and inheritable sets");
  cap_free (caps);
  /* as runc: an ambient capability that is not also permitted and
   * inheritable cannot be raised, which is not an error (runc's default
   * config asks for that) */
  for (int i = 0; rc == 0 && i < amb.n; i++)
    if (cap_set_ambient (amb.v[i], CAP_SET) < 0)
      husk_debug ("process.capabilities.ambient: cannot raise %s: %s",
                  cap_to_name (amb.v[i]), strerror (errno));
  return rc;
}

/* ---------- user ---------- */

/* setgroups(2) failed.  In a user namespace whose gid_map an unprivileged
 * husk wrote itself (no subordinate gids), setgroups is denied for good:
 * the process keeps the groups it has, which is fine when it asks for
 * none. */
static int
set_groups_denied (const struct oci_user *u, int proc_fd, husk_err **err)
{
  int saved = errno;
  cleanup_free char *v = NULL;
  bool denied = saved == EPERM
                && fs_read_file_at (proc_fd, "self/setgroups", 64, &v, NULL,
                                    NULL) == 0
                && strncmp (v, "deny", 4) == 0;

  if (denied && u->n_additional_gids == 0)
    return 0;
  if (denied)
    return husk_error (err, saved, "process.user.additionalGids: setgroups: "
                       "denied in this user namespace, which maps only the "
                       "user's own gid (rootless without subordinate gids in "
                       "/etc/subgid, or newgidmap missing)");
  return husk_error (err, saved, "process.user.additionalGids: setgroups");
}

static int
set_user (const struct oci_process *p, bool keep_caps, int proc_fd,
          husk_err **err)
{
  const struct oci_user *u = &p->user;

  if (keep_caps && prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return husk_error (err, errno, "prctl PR_SET_KEEPCAPS");
  if (setgroups (u->n_additional_gids, u->additional_gids) < 0
      && set_groups_denied (u, proc_fd, err) < 0)
    return -1;
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return husk_error (err, errno, "process.user.gid: setresgid %u",
                       (unsigned) u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return husk_error (err, errno, "process.user.uid: setresuid %u",
                       (unsigned) u->uid);
  if (keep_caps && prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return husk_error (err, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}

/* CVE-2024-21626: a cwd reached through a leaked fd or a symlink must
 * not be outside the container's root; getcwd() then fails or answers
 * "(unreachable)...". */
static int
enter_cwd (const char *cwd, husk_err **err)
{
  char buf[4096];

  if (chdir (cwd) < 0)
    return husk_error (err, errno, "process.cwd: chdir to \"%s\"", cwd);
  if (getcwd (buf, sizeof buf) == NULL || buf[0] != '/')
    return husk_error (err, errno ? errno : EPERM, "process.cwd: \"%s\" is "
                       "outside the container's root", cwd);
  return 0;
}

/* See seccomp/seccomp.h for where and why. */
int
rt_seccomp_prepare (const struct husk_globals *g, const struct oci_config *cfg,
                    struct husk_seccomp **out, husk_err **err)
{
  cleanup_free char *cache = NULL;

  /* A dot entry of the state root, like network's .ipam: never an id. */
  if (asprintf (&cache, "%s/.cache", g->root) < 0)
    return husk_error (err, ENOMEM, "seccomp");
  return husk_seccomp_prepare (cfg->linux_ ? cfg->linux_->seccomp : NULL,
                               cache, out, err);
}

static int
load_seccomp (const struct rt_proc_opts *o, husk_err **err)
{
  cleanup_close int nfd = -1;
  char self[24];
  ssize_t n;

  if (husk_seccomp_load (o->seccomp, &nfd, err) < 0)
    return -1;
  if (nfd < 0)
    return 0;
  /* the host's /proc names our pid as the listener must see it */
  n = readlinkat (o->host_proc_fd, "self", self, sizeof self - 1);
  if (n < 0)
    return husk_error (err, errno, "readlink /proc/self");
  self[n] = '\0';
  return husk_seccomp_send_listener (o->seccomp, o->listener_sock, nfd,
                                     (pid_t) atoi (self), o->state_json, err);
}

int
rt_proc_setup (const struct rt_proc_opts *o, husk_err **err)
{
  const struct oci_process *p = o->p;

  if (husk_seccomp_loads_early (o->seccomp, p->no_new_privileges)
      && load_seccomp (o, err) < 0)
    return -1;

  if (set_rlimits (p, err) < 0 || set_scheduler (p->scheduler, err) < 0
      || set_io_priority (p->io_priority, err) < 0)
    return -1;
  if (p->capabilities && drop_bounding (p->capabilities, err) < 0)
    return -1;
  if (set_user (p, p->capabilities != NULL, o->host_proc_fd, err) < 0)
    return -1;
  /* after the user change: the user must be able to enter it */
  if (enter_cwd (p->cwd, err) < 0)
    return -1;
  if (p->capabilities && set_caps (p->capabilities, err) < 0)
    return -1;
  umask (p->user.has_umask ? p->user.umask : 0022);
  return 0;
}

int
rt_set_oom_score_adj (pid_t pid, const struct oci_process *p, husk_err **err)
{
  char path[48], buf[16];
  int len;

  if (!p->has_oom_score_adj)
    return 0;
  snprintf (path, sizeof path, "/proc/%d/oom_score_adj", pid);
  len = snprintf (buf, sizeof buf, "%d", p->oom_score_adj);
  if (fs_write_file_at (AT_FDCWD, path, buf, (size_t) len, 0, err) < 0)
    {
      if ((*err)->errnum == EACCES || (*err)->errnum == EPERM)
        husk_err_wrap (err, "lowering it needs CAP_SYS_RESOURCE");
      return husk_err_wrap (err, "process.oomScoreAdj %d", p->oom_score_adj);
    }
  return 0;
}

/* ---------- the last steps ---------- */

static const struct
{
  const char *name;
  unsigned long flag;
} personality_flags[] = {
  { "ADDR_COMPAT_LAYOUT", ADDR_COMPAT_LAYOUT },
  { "ADDR_LIMIT_32BIT", ADDR_LIMIT_32BIT },
  { "ADDR_LIMIT_3GB", ADDR_LIMIT_3GB },
  { "ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE },
  { "FDPIC_FUNCPTRS", FDPIC_FUNCPTRS },
  { "MMAP_PAGE_ZERO", MMAP_PAGE_ZERO },
  { "READ_IMPLIES_EXEC", READ_IMPLIES_EXEC },
  { "SHORT_INODE", SHORT_INODE },
  { "STICKY_TIMEOUTS", STICKY_TIMEOUTS },
  { "UNAME26", UNAME26 },
  { "WHOLE_SECONDS", WHOLE_SECONDS },
};

static int
set_personality (const struct oci_personality *pe, husk_err **err)
{
  unsigned long v;

  if (pe == NULL || pe->domain == NULL)
    return 0;
  if (strcmp (pe->domain, "LINUX") == 0)
    v = PER_LINUX;
  else if (strcmp (pe->domain, "LINUX32") == 0)
    v = PER_LINUX32;
  else
    return husk_error (err, 0, "linux.personality.domain: expected LINUX or "
                       "LINUX32, got \"%s\"", pe->domain);
  for (char **f = pe->flags; f && *f; f++)
    {
      size_t i, n = sizeof personality_flags / sizeof *personality_flags;
      for (i = 0; i < n && strcmp (*f, personality_flags[i].name) != 0; i++)
        ;
      if (i == n)
        return husk_error (err, 0, "linux.personality.flags: unknown flag "
                           "\"%s\"", *f);
      v |= personality_flags[i].flag;
    }
  if (personality (v) < 0)
    return husk_error (err, errno, "personality %s", pe->domain);
  return 0;
}

/* AppArmor and SELinux labels apply at execve.  The attr files are opened
 * through the host's /proc that husk opened itself, never a path that the
 * container's mounts could redirect (CVE-2025-52881). */
static int
set_lsm_label (int host_proc_fd, const char *attr, const char *value,
               const char *what, husk_err **err)
{
  cleanup_free char *path = NULL;

  if (value == NULL || *value == '\0')
    return 0;
  if (asprintf (&path, "thread-self/attr/%s", attr) < 0)
    return husk_error (err, ENOMEM, "%s", what);
  if (fs_write_proc (host_proc_fd, path, value, err) < 0)
    return husk_err_wrap (err, "%s (is that security module enabled?)", what);
  return 0;
}

static void
reset_signals (const sigset_t *mask)
{
  struct sigaction dfl = { .sa_handler = SIG_DFL };

  /* execve keeps ignored signals ignored: the container must not inherit
   * what husk's caller ignored */
  for (int s = 1; s < NSIG; s++)
    {
      struct sigaction old;
      if (s != SIGKILL && s != SIGSTOP && sigaction (s, NULL, &old) == 0
          && old.sa_handler == SIG_IGN)
        sigaction (s, &dfl, NULL);
    }
  sigprocmask (SIG_SETMASK, mask, NULL);
}

int
rt_proc_restrict (const struct rt_proc_opts *o, husk_err **err)
{
  const struct oci_process *p = o->p;
  cleanup_free char *aa = NULL;

  if (p->apparmor_profile && asprintf (&aa, "exec %s", p->apparmor_profile) < 0)
    return husk_error (err, ENOMEM, "process.apparmorProfile");
  if (set_lsm_label (o->host_proc_fd, "apparmor/exec", aa,
                     "process.apparmorProfile", err) < 0
      || set_lsm_label (o->host_proc_fd, "exec", p->selinux_label,
                        "process.selinuxLabel", err) < 0)
    return -1;
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return husk_error (err, errno, "process.noNewPrivileges");
  if (!husk_seccomp_loads_early (o->seccomp, p->no_new_privileges)
      && load_seccomp (o, err) < 0)
    return -1;
  return 0;
}

int
rt_proc_exec (const struct rt_proc_opts *o, const char *path, husk_err **err)
{
  const struct oci_process *p = o->p;
  char *empty_env[] = { NULL };

  if (!o->restrict_early && rt_proc_restrict (o, err) < 0)
    return -1;
  /* only stdio and the preserved fds 3..3+N-1 reach the process */
  if (close_range (3 + (unsigned) o->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return husk_error (err, errno, "close_range");
  if (set_personality (o->personality, err) < 0)
    return -1;
  reset_signals (o->sigmask);
  execve (path, p->args, p->env ? p->env : empty_env);
  return husk_error (err, errno, "exec %s", path);
}
