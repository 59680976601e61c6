/* namespaces: creating, joining and configuring a container's namespaces.
 * runtime/ decides which process does what (see runtime/create.c); these
 * are the primitives it uses. */
#ifndef HUSK_NAMESPACES_H
#define HUSK_NAMESPACES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"
#include "../specs/specs.h"

/* The CLONE_NEW* flag of a namespace type. */
int ns_clone_flag (enum oci_ns_type t);

/* What the config asks for: the namespaces to create and those to join,
 * with the files of the latter already open. */
struct ns_plan
{
  int new_flags;             /* CLONE_NEW* of the namespaces to create */
  int join_flags;            /* CLONE_NEW* of those joined by path */
  int join_fd[OCI_NS_COUNT]; /* open namespace files, -1 where none */
};

/* Checks the namespace section against the rest of the config (mappings
 * need a new user namespace, time offsets a new time namespace, a hostname
 * a new UTS namespace...) and opens the paths to join.  On error nothing
 * stays open. */
int ns_plan_init (const struct oci_config *c, struct ns_plan *p,
                  husk_err **err);
void ns_plan_release (struct ns_plan *p);

/* Joins (setns) the planned namespaces whose flag is in `flags`, in
 * runc's order: user first (so that the others are joined with the
 * privileges of the target user namespace), then ipc, uts, net, pid,
 * mnt, cgroup, time.  pid and time apply to children only. */
int ns_join (const struct ns_plan *p, int flags, husk_err **err);

/* A fork that may create namespaces: clone(2) without a new stack, so it
 * returns twice like fork().  `flags` must not hold CLONE_NEWTIME (see
 * ns_unshare_time). */
pid_t ns_clone (int flags, husk_err **err);

/* Writes the uid_map and gid_map of pid's user namespace from the
 * config's linux.uidMappings / gidMappings (idmap.c).  As root directly;
 * unprivileged, a map of the caller's own id alone directly too (gid_map
 * after "deny" to setgroups, so setgroups(2) is refused inside), any other
 * through newuidmap/newgidmap.  pid must be dumpable until then: /proc/<pid>
 * of a process that is not belongs to root. */
int ns_write_id_maps (pid_t pid, const struct oci_linux *l, husk_err **err);

/* Rootless: the maps for a config that has no user namespace of its own
 * (replacing l's): the caller's euid and egid as 0, then, from 1 on, the
 * subordinate ranges /etc/subuid and /etc/subgid give the user, when
 * newuidmap/newgidmap are installed (a warning says so when they are not). */
int ns_rootless_mappings (struct oci_linux *l, husk_err **err);

/* Rootless: checks that l's maps hold only the caller's own ids and its
 * subordinate ranges, and that newuidmap/newgidmap are installed when
 * needed; the error names the range and what is missing. */
int ns_check_unprivileged_maps (const struct oci_linux *l, husk_err **err);

/* Whether a map of n ranges gives container id `id` a host id. */
bool ns_id_mapped (const struct oci_id_mapping *m, size_t n, uint32_t id);

/* Creates the time namespace that the caller's next children enter and
 * sets its offsets (linux.timeOffsets): offsets can only be written
 * before a process is in it. */
int ns_unshare_time (const struct oci_linux *l, husk_err **err);

/* Sets hostname and domainname (in the new UTS namespace). */
int ns_set_names (const struct oci_config *c, husk_err **err);

/* exec: joins the namespaces `flags` of the process behind pidfd in one
 * setns(2) (kernel >= 5.8), which the kernel orders itself. */
int ns_join_pidfd (int pidfd, int flags, husk_err **err);

#endif
