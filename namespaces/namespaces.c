#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/fs.h"

static const int clone_flags[OCI_NS_COUNT] = {
  [OCI_NS_PID] = CLONE_NEWPID,     [OCI_NS_NETWORK] = CLONE_NEWNET,
  [OCI_NS_MOUNT] = CLONE_NEWNS,    [OCI_NS_IPC] = CLONE_NEWIPC,
  [OCI_NS_UTS] = CLONE_NEWUTS,     [OCI_NS_USER] = CLONE_NEWUSER,
  [OCI_NS_CGROUP] = CLONE_NEWCGROUP, [OCI_NS_TIME] = CLONE_NEWTIME,
};

/* runc's order (orderNamespacePaths): user first. */
static const enum oci_ns_type join_order[OCI_NS_COUNT] = {
  OCI_NS_USER, OCI_NS_IPC, OCI_NS_UTS, OCI_NS_NETWORK,
  OCI_NS_PID,  OCI_NS_MOUNT, OCI_NS_CGROUP, OCI_NS_TIME,
};

int
ns_clone_flag (enum oci_ns_type t)
{
  return (unsigned) t < OCI_NS_COUNT ? clone_flags[t] : 0;
}

void
ns_plan_release (struct ns_plan *p)
{
  for (int i = 0; i < OCI_NS_COUNT; i++)
    husk_closep (&p->join_fd[i]);
}

static bool
has_time_offsets (const struct oci_linux *l)
{
  return l && (l->time_monotonic.present || l->time_boottime.present);
}

/* The checks runc makes (validate.go), with the same meaning. */
static int
check_plan (const struct oci_config *c, const struct ns_plan *p,
            husk_err **err)
{
  const struct oci_linux *l = c->linux_;
  bool maps = l && (l->n_uid_mappings || l->n_gid_mappings);

  if (maps && !(p->new_flags & CLONE_NEWUSER))
    return husk_error (err, 0, "config.json: linux.uidMappings: id mappings "
                               "need a new user namespace (linux.namespaces "
                               "has no \"user\" entry without a path)");
  if ((p->new_flags & CLONE_NEWUSER)
      && !(l && l->n_uid_mappings && l->n_gid_mappings))
    return husk_error (err, 0, "config.json: linux.uidMappings: a new user "
                               "namespace needs uidMappings and gidMappings");
  if (has_time_offsets (l) && !(p->new_flags & CLONE_NEWTIME))
    return husk_error (err, 0, "config.json: linux.timeOffsets: time offsets "
                               "need a new time namespace");
  if (c->hostname && *c->hostname && !(p->new_flags & CLONE_NEWUTS))
    return husk_error (err, 0, "config.json: hostname: setting the hostname "
                               "needs a new UTS namespace");
  if (c->domainname && *c->domainname && !(p->new_flags & CLONE_NEWUTS))
    return husk_error (err, 0, "config.json: domainname: setting the "
                               "domainname needs a new UTS namespace");
  return 0;
}

int
ns_plan_init (const struct oci_config *c, struct ns_plan *p, husk_err **err)
{
  const struct oci_linux *l = c->linux_;

  memset (p, 0, sizeof *p);
  for (int i = 0; i < OCI_NS_COUNT; i++)
    p->join_fd[i] = -1;
  for (size_t i = 0; l && i < l->n_namespaces; i++)
    {
      const struct oci_namespace *ns = &l->namespaces[i];
      int flag = ns_clone_flag (ns->type);

      if (ns->path == NULL || *ns->path == '\0')
        {
          p->new_flags |= flag;
          continue;
        }
      p->join_fd[ns->type] = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (p->join_fd[ns->type] < 0)
        {
          husk_error (err, errno, "config.json: linux.namespaces[%zu].path: "
                      "open %s", i, ns->path);
          ns_plan_release (p);
          return -1;
        }
      p->join_flags |= flag;
    }
  if (check_plan (c, p, err) < 0)
    {
      ns_plan_release (p);
      return -1;
    }
  return 0;
}

int
ns_join (const struct ns_plan *p, int flags, husk_err **err)
{
  for (int i = 0; i < OCI_NS_COUNT; i++)
    {
      enum oci_ns_type t = join_order[i];
      if (p->join_fd[t] < 0 || !(flags & clone_flags[t]))
        continue;
      if (setns (p->join_fd[t], clone_flags[t]) < 0)
        return husk_error (err, errno, "join the %s namespace",
                           oci_ns_type_name (t));
    }
  return 0;
}

pid_t
ns_clone (int flags, husk_err **err)
{
  /* A raw clone without a stack behaves like fork(): husk is
   * single-threaded, so glibc's fork bookkeeping is not needed. */
  pid_t pid = (pid_t) syscall (SYS_clone, (unsigned long) flags | SIGCHLD,
                               NULL, NULL, NULL, NULL);
  if (pid < 0)
    return husk_error (err, errno, "clone");
  return pid;
}

int
ns_unshare_time (const struct oci_linux *l, husk_err **err)
{
  char buf[128];
  int len = 0;

  if (unshare (CLONE_NEWTIME) < 0)
    return husk_error (err, errno, "create the time namespace");
  if (!has_time_offsets (l))
    return 0;
  if (l->time_monotonic.present)
    len += snprintf (buf + len, sizeof buf - len, "monotonic %" PRId64 " %"
                     PRIu32 "\n", l->time_monotonic.secs,
                     l->time_monotonic.nanosecs);
  if (l->time_boottime.present)
    len += snprintf (buf + len, sizeof buf - len, "boottime %" PRId64 " %"
                     PRIu32 "\n", l->time_boottime.secs,
                     l->time_boottime.nanosecs);
  if (fs_write_file_at (AT_FDCWD, "/proc/self/timens_offsets", buf,
                        (size_t) len, 0, err) < 0)
    return husk_err_wrap (err, "write linux.timeOffsets");
  return 0;
}

int
ns_set_names (const struct oci_config *c, husk_err **err)
{
  if (c->hostname && *c->hostname
      && sethostname (c->hostname, strlen (c->hostname)) < 0)
    return husk_error (err, errno, "sethostname \"%s\"", c->hostname);
  if (c->domainname && *c->domainname
      && setdomainname (c->domainname, strlen (c->domainname)) < 0)
    return husk_error (err, errno, "setdomainname \"%s\"", c->domainname);
  return 0;
}

int
ns_join_pidfd (int pidfd, int flags, husk_err **err)
{
  if (flags && setns (pidfd, flags) < 0)
    return husk_error (err, errno, "join the container's namespaces");
  return 0;
}
