/* cgroups: a container's cgroup v2, managed directly through cgroupfs.
 *
 * A leaf module: it reads the config structs of specs/ and never calls up.
 * Every call returns 0 (or a count) on success and -1 with *err set.  Errors
 * name the file and the value: cgroup: write "max 100000" to
 * /sys/fs/cgroup/x/cpu.max: Invalid argument.
 *
 * Where the cgroup lives.  The cgroup2 mount is /sys/fs/cgroup when that is
 * cgroup2, else /sys/fs/cgroup/unified (a hybrid host).  linux.cgroupsPath is
 *   - absolute: under the mount's root ("/a/b" -> /sys/fs/cgroup/a/b);
 *   - relative: under the PARENT of husk's own cgroup (the "0::" line of
 *     /proc/self/cgroup), as runc's cgroupfs driver does: husk's own cgroup
 *     usually holds processes, so no controller could be enabled for its
 *     children;
 *   - absent: "<id>" relative in the same way.  With husk in the root
 *     cgroup (the usual case) this is /<id>, the same as runc's and crun's.
 * runc's systemd form "slice:prefix:name" is refused.  ".." cannot climb
 * out of the mount (paths are cleaned as runc's CleanPath does).
 *
 * How runtime/ calls this module (the order matters):
 *
 *   create:  husk_cgroup_create (linux, id, &cg)     before the init exists.
 *            It refuses a config that needs a controller the host lacks
 *            (`cgroup v2 controller "memory" is not available on this
 *            host`) before creating anything.
 *            Clone the init with clone3 (CLONE_INTO_CGROUP, .cgroup =
 *            husk_cgroup_fd (cg)): it is born in the cgroup.  Where clone3
 *            is refused (ENOSYS, E2BIG, EPERM from a seccomp filter), clone
 *            as usual and call husk_cgroup_add_pid (cg, pid) before the
 *            child goes past its first sync with the parent.
 *            When the init reports its rootfs ready (after mknod of
 *            linux.devices, before it waits for `start`), call
 *            husk_cgroup_apply (cg, linux, 0): limits and the device program
 *            come after the set-up, as runc applies them, so that set-up is
 *            not held to the container's limits.  (`run` with nothing of
 *            husk's due before the exec and no limits but the device rules
 *            attaches the device program while the init sets up, so that
 *            the init need not wait at READY.)  Save husk_cgroup_path (cg)
 *            in the state; on any failure call husk_cgroup_destroy (cg).
 *   exec:    husk_cgroup_open (state path) then husk_cgroup_fd for clone3
 *            CLONE_INTO_CGROUP, or husk_cgroup_add_pid for the exec'd pid
 *            before it execs.  Exec into a paused container is the caller's
 *            call (runc refuses it).
 *   kill --all ID SIG:  husk_cgroup_kill (cg, SIG).
 *   ps:      husk_cgroup_pids (cg, &pids, &n).
 *   pause / resume:  husk_cgroup_freeze (cg, true / false); state "paused"
 *            is husk_cgroup_frozen ().
 *   update:  merge the new resources into the saved config, then
 *            husk_cgroup_apply (cg, merged linux, HUSK_CGROUP_UPDATE).
 *   events:  husk_cgroup_stats + husk_cgroup_stats_json for --stats and each
 *            interval; OOM events: poll husk_cgroup_events_fd () for
 *            readability and report {"type":"oom"} whenever
 *            stats.memory.oom_kill (memory.events) grew.
 *   delete:  husk_cgroup_destroy (cg): kills what is left, waits until the
 *            cgroup is empty and removes it with every sub-cgroup.  A
 *            cgroup that is already gone is not an error.
 *   --cgroup-manager=disabled: call nothing here. */
#ifndef HUSK_CGROUPS_H
#define HUSK_CGROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"
#include "../specs/specs.h"

struct husk_cgroup; /* a container's cgroup: its path and an open dirfd */

/* The cgroup2 mount point ("/sys/fs/cgroup" or "/sys/fs/cgroup/unified"). */
int husk_cgroup_mount (const char **mountpoint, husk_err **err);

/* The absolute directory the container's cgroup would have for this
 * linux.cgroupsPath (NULL: absent) and id.  *out is malloc'd. */
int husk_cgroup_resolve (const char *cgroups_path, const char *id, char **out,
                         husk_err **err);

/* Creates the cgroup (see above) with the controllers it needs enabled in
 * every ancestor's cgroup.subtree_control (all the host has, as runc and
 * crun enable them, so that stats work without limits).  An existing cgroup
 * is reused only when empty.  `linux` may be NULL.  Nothing is left behind
 * on failure. */
int husk_cgroup_create (const struct oci_linux *linux_, const char *id,
                        struct husk_cgroup **out, husk_err **err);

/* Rootless: whether this unprivileged user can make the cgroup that
 * husk_cgroup_create would, with the controllers `linux` needs.  The
 * nearest existing ancestor of that cgroup (the parent of husk's own, by
 * default) must have been delegated to the user, as systemd's Delegate=yes
 * or a chown by root does: the directory, its cgroup.procs and
 * cgroup.subtree_control writable, and the controllers in its
 * cgroup.controllers.  0 when it is; -1 with *err saying what is missing.
 * (Rootless containers get no device program: loading one takes
 * CAP_SYS_ADMIN, and a user namespace has only the host's nodes, bound.) */
int husk_cgroup_delegated (const struct oci_linux *linux_, const char *id,
                           husk_err **err);

/* Opens an existing cgroup by its absolute path (the one the state saved). */
int husk_cgroup_open (const char *path, struct husk_cgroup **out,
                      husk_err **err);

void husk_cgroup_free (struct husk_cgroup *cg);
void husk_cgroup_freep (struct husk_cgroup **cg);
#define cleanup_cgroup __attribute__ ((cleanup (husk_cgroup_freep)))

const char *husk_cgroup_path (const struct husk_cgroup *cg);
/* An O_DIRECTORY fd of the cgroup, for clone3's CLONE_INTO_CGROUP; owned by
 * cg (and O_CLOEXEC). */
int husk_cgroup_fd (const struct husk_cgroup *cg);

int husk_cgroup_add_pid (struct husk_cgroup *cg, pid_t pid, husk_err **err);

/* Writes linux.resources and installs the device program (replacing the
 * one husk installed before).  With HUSK_CGROUP_UPDATE, memory.checkBeforeUpdate
 * refuses a limit at or below the current usage, as runc does. */
#define HUSK_CGROUP_UPDATE 1u
/* Without the device program (rootless: see husk_cgroup_delegated). */
#define HUSK_CGROUP_NO_DEVICES 2u
int husk_cgroup_apply (struct husk_cgroup *cg, const struct oci_linux *linux_,
                       unsigned flags, husk_err **err);

/* Builds and loads the device program of linux_ ahead, for the next
 * husk_cgroup_apply to attach: create calls it while the init sets up its
 * rootfs, so that the verifier's work overlaps it.  A failure is left for
 * husk_cgroup_apply to meet again and report. */
void husk_cgroup_load_devices (struct husk_cgroup *cg,
                               const struct oci_linux *linux_);

/* cgroup.freeze, then waits (bounded) until cgroup.events says so; a freeze
 * that does not complete is undone and reported. */
int husk_cgroup_freeze (struct husk_cgroup *cg, bool frozen, husk_err **err);
int husk_cgroup_frozen (struct husk_cgroup *cg, bool *frozen, husk_err **err);

/* Sends sig to every process of the cgroup and its sub-cgroups (SIGKILL
 * through cgroup.kill where the kernel has it). */
int husk_cgroup_kill (struct husk_cgroup *cg, int sig, husk_err **err);

/* Every pid of the cgroup and its sub-cgroups (cgroup.procs), sorted. */
int husk_cgroup_pids (struct husk_cgroup *cg, pid_t **pids, size_t *n,
                      husk_err **err);

/* Kills, waits until empty, removes sub-cgroups and the cgroup.  Frees
 * nothing: call husk_cgroup_free afterwards. */
int husk_cgroup_destroy (struct husk_cgroup *cg, husk_err **err);

/* An fd (inotify, O_CLOEXEC, owned by the caller) that becomes readable
 * when memory.events or cgroup.events change. */
int husk_cgroup_events_fd (struct husk_cgroup *cg, int *fd, husk_err **err);

/* ---------- stats (runc's `events` types; values in runc's units) ---------- */

struct husk_cgroup_kv {
  char *key;
  uint64_t value;
};

struct husk_cgroup_blkio_entry {
  uint64_t major, minor;
  const char *op; /* "Read" | "Write" (static) */
  uint64_t value;
};

struct husk_cgroup_hugetlb {
  char *pagesize; /* "2MB" */
  uint64_t usage, max, failcnt;
};

struct husk_cgroup_stats {
  struct {
    uint64_t total, user, kernel;                        /* ns */
    uint64_t periods, throttled_periods, throttled_time; /* throttled_time: ns */
  } cpu;
  struct {
    uint64_t usage, limit, max, failcnt; /* limit UINT64_MAX: "max" */
    uint64_t swap_usage, swap_limit;     /* memory + swap, as runc reports */
    uint64_t cache;
    uint64_t oom, oom_kill;              /* memory.events */
    struct husk_cgroup_kv *raw; size_t n_raw; /* memory.stat */
  } memory;
  struct {
    uint64_t current, limit; /* limit 0: "max" */
  } pids;
  struct husk_cgroup_blkio_entry *io_service_bytes; size_t n_io_service_bytes;
  struct husk_cgroup_blkio_entry *io_serviced; size_t n_io_serviced;
  struct husk_cgroup_hugetlb *hugetlb; size_t n_hugetlb;
};

/* Reads what the cgroup has; a controller that is not enabled leaves its
 * part zero. */
int husk_cgroup_stats (struct husk_cgroup *cg, struct husk_cgroup_stats *out,
                       husk_err **err);
void husk_cgroup_stats_clear (struct husk_cgroup_stats *s);

/* One figure of the cgroup: the number in `file` (key NULL) or the value of
 * key in that flat keyed file ("memory.events", "oom_kill").  Returns 1
 * with *v set, 0 when the file (its controller not enabled) or the key is
 * absent, -1 on error. */
int husk_cgroup_read_value (struct husk_cgroup *cg, const char *file,
                            const char *key, uint64_t *v, husk_err **err);

/* One line of runc's `events` output:
 * {"type":"stats","id":ID,"data":{"cpu":..,"memory":..,"pids":..,"blkio":..,
 * "hugetlb":..}}, with runc's field names and omitempty rules.  *out is
 * malloc'd, NUL-terminated, without a newline. */
int husk_cgroup_stats_json (const char *id, const struct husk_cgroup_stats *s,
                            char **out, husk_err **err);

/* ---------- the pure translations (table-tested) ---------- */

/* One file write: value written to file, in order. */
struct husk_cgroup_write {
  char *file;
  char *value;
};

/* Facts of the host that change what runc writes. */
struct husk_cgroup_host {
  bool bfq;            /* io.bfq.weight exists (BFQ scheduler) */
  bool bfq_per_device; /* ... and takes "MAJ:MIN weight" (kernel >= 5.4) */
};

/* linux.resources -> the files runc 1.1 (fs2) writes and their values, in
 * its order: pids, memory, io, cpu, cpuset, hugetlb, rdma, unified.  cpu.idle
 * and cpu.max.burst follow runc 1.2.  `r` may be NULL. */
int husk_cgroup_translate (const struct oci_resources *r,
                           const struct husk_cgroup_host *host,
                           struct husk_cgroup_write **out, size_t *n,
                           husk_err **err);
void husk_cgroup_writes_free (struct husk_cgroup_write *w, size_t n);

/* The controllers `r` needs ("cpu", "memory", ...), NULL-terminated; the
 * strings are static. */
int husk_cgroup_needed (const struct oci_resources *r, const char ***out,
                        husk_err **err);

/* The BPF_PROG_TYPE_CGROUP_DEVICE program for linux.resources.devices
 * followed by runc's default rules (those whose path is in linux.devices
 * dropped, as runc does).  For each access asked for (m, r, w) the last
 * matching rule that names it decides; no match denies.  *insns
 * holds *n struct bpf_insn (8 bytes each); malloc'd. */
int husk_cgroup_device_program (const struct oci_linux *linux_, void **insns,
                                size_t *n, husk_err **err);

#endif
