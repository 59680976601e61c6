/* specs: the OCI runtime-spec documents as plain C structs.
 *
 * config.json is parsed (yajl) into struct oci_config; every other module
 * reads these structs and never sees JSON.  Conventions:
 *   - strings are NULL when absent;
 *   - optional numbers and booleans carry a has_<field> flag;
 *   - arrays are a pointer plus a count (n_<field>);
 *   - string lists are NULL-terminated char ** (NULL when absent).
 * Everything is owned by the config and freed by oci_config_free(). */
#ifndef HUSK_SPECS_H
#define HUSK_SPECS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"

#define HUSK_OCI_VERSION "1.3.0"

/* ---------- process ---------- */

struct oci_rlimit {
  char *type;  /* "RLIMIT_NOFILE" ... */
  int resource; /* resolved RLIMIT_* number */
  uint64_t hard, soft;
};

struct oci_capabilities {
  /* each NULL when absent, else NULL-terminated list of "CAP_*" names */
  char **bounding, **effective, **inheritable, **permitted, **ambient;
};

struct oci_user {
  uid_t uid;
  gid_t gid;
  bool has_umask;
  mode_t umask;
  gid_t *additional_gids;
  size_t n_additional_gids;
  char *username; /* windows only; kept for completeness */
};

struct oci_console_size {
  unsigned height, width;
};

struct oci_io_priority {
  char *class_name; /* IOPRIO_CLASS_RT | IOPRIO_CLASS_BE | IOPRIO_CLASS_IDLE */
  int class_;       /* IOPRIO_CLASS_* number */
  int priority;
};

struct oci_scheduler {
  char *policy; /* SCHED_OTHER ... */
  int policy_num;
  bool has_nice; int nice;
  bool has_priority; int priority;
  char **flags; /* SCHED_FLAG_* names */
  bool has_runtime; uint64_t runtime;
  bool has_deadline; uint64_t deadline;
  bool has_period; uint64_t period;
};

struct oci_exec_cpu_affinity {
  char *initial, *final;
};

struct oci_process {
  bool terminal;
  bool has_console_size;
  struct oci_console_size console_size;
  struct oci_user user;
  char **args;      /* required, at least one element */
  char *command_line; /* windows */
  char **env;
  char *cwd;        /* required, absolute */
  struct oci_capabilities *capabilities; /* NULL when absent */
  struct oci_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  char *apparmor_profile;
  bool has_oom_score_adj;
  int oom_score_adj;
  char *selinux_label;
  struct oci_io_priority *io_priority;
  struct oci_scheduler *scheduler;
  struct oci_exec_cpu_affinity *exec_cpu_affinity;
};

/* ---------- root, mounts, hooks ---------- */

struct oci_root {
  char *path; /* required */
  bool readonly;
};

struct oci_id_mapping {
  uint32_t container_id, host_id, size;
};

struct oci_mount {
  char *destination; /* required */
  char *type;
  char *source;
  char **options;
  struct oci_id_mapping *uid_mappings, *gid_mappings;
  size_t n_uid_mappings, n_gid_mappings;
};

struct oci_hook {
  char *path; /* required, absolute */
  char **args;
  char **env;
  bool has_timeout;
  int timeout; /* seconds, > 0 */
};

struct oci_hook_list {
  struct oci_hook *hooks;
  size_t n;
};

struct oci_hooks {
  struct oci_hook_list prestart, create_runtime, create_container,
      start_container, poststart, poststop;
};

/* ---------- linux ---------- */

enum oci_ns_type {
  OCI_NS_PID,
  OCI_NS_NETWORK,
  OCI_NS_MOUNT,
  OCI_NS_IPC,
  OCI_NS_UTS,
  OCI_NS_USER,
  OCI_NS_CGROUP,
  OCI_NS_TIME,
  OCI_NS_COUNT
};

struct oci_namespace {
  enum oci_ns_type type;
  char *path; /* NULL: create a new one; else join this one */
};

struct oci_device {
  char *type; /* "c", "b", "u", "p" */
  char *path; /* required */
  bool has_major; int64_t major;
  bool has_minor; int64_t minor;
  bool has_file_mode; mode_t file_mode;
  bool has_uid; uid_t uid;
  bool has_gid; gid_t gid;
};

struct oci_device_cgroup {
  bool allow;
  char *type;   /* "a", "c", "b" or NULL (= all) */
  bool has_major; int64_t major; /* absent = wildcard */
  bool has_minor; int64_t minor;
  char *access; /* subset of "rwm", NULL = "rwm" */
};

struct oci_weight_device {
  int64_t major, minor;
  bool has_weight; uint16_t weight;
  bool has_leaf_weight; uint16_t leaf_weight;
};

struct oci_throttle_device {
  int64_t major, minor;
  uint64_t rate;
};

struct oci_block_io {
  bool has_weight; uint16_t weight;
  bool has_leaf_weight; uint16_t leaf_weight;
  struct oci_weight_device *weight_device; size_t n_weight_device;
  struct oci_throttle_device *throttle_read_bps_device; size_t n_throttle_read_bps_device;
  struct oci_throttle_device *throttle_write_bps_device; size_t n_throttle_write_bps_device;
  struct oci_throttle_device *throttle_read_iops_device; size_t n_throttle_read_iops_device;
  struct oci_throttle_device *throttle_write_iops_device; size_t n_throttle_write_iops_device;
};

struct oci_memory {
  bool has_limit; int64_t limit;
  bool has_reservation; int64_t reservation;
  bool has_swap; int64_t swap;
  bool has_kernel; int64_t kernel;
  bool has_kernel_tcp; int64_t kernel_tcp;
  bool has_swappiness; uint64_t swappiness;
  bool has_disable_oom_killer; bool disable_oom_killer;
  bool has_use_hierarchy; bool use_hierarchy;
  bool has_check_before_update; bool check_before_update;
};

struct oci_cpu {
  bool has_shares; uint64_t shares;
  bool has_quota; int64_t quota;
  bool has_burst; uint64_t burst;
  bool has_period; uint64_t period;
  bool has_realtime_runtime; int64_t realtime_runtime;
  bool has_realtime_period; uint64_t realtime_period;
  char *cpus;
  char *mems;
  bool has_idle; int64_t idle;
};

struct oci_pids {
  bool has_limit; int64_t limit;
};

struct oci_hugepage_limit {
  char *page_size; /* "2MB" */
  uint64_t limit;
};

struct oci_net_priority {
  char *name;
  uint32_t priority;
};

struct oci_network_resources {
  bool has_class_id; uint32_t class_id;
  struct oci_net_priority *priorities; size_t n_priorities;
};

struct oci_rdma_limit {
  char *device;
  bool has_hca_handles; uint32_t hca_handles;
  bool has_hca_objects; uint32_t hca_objects;
};

struct oci_kv {
  char *key, *value;
};

struct oci_resources {
  struct oci_device_cgroup *devices; size_t n_devices;
  struct oci_memory *memory;
  struct oci_cpu *cpu;
  struct oci_pids *pids;
  struct oci_block_io *block_io;
  struct oci_hugepage_limit *hugepage_limits; size_t n_hugepage_limits;
  struct oci_network_resources *network;
  struct oci_rdma_limit *rdma; size_t n_rdma;
  struct oci_kv *unified; size_t n_unified;
};

/* seccomp */
enum oci_seccomp_op {
  OCI_OP_NE, OCI_OP_LT, OCI_OP_LE, OCI_OP_EQ, OCI_OP_GE, OCI_OP_GT,
  OCI_OP_MASKED_EQ
};

struct oci_seccomp_arg {
  unsigned index;
  uint64_t value;
  bool has_value_two; uint64_t value_two;
  enum oci_seccomp_op op;
};

struct oci_seccomp_syscall {
  char **names;        /* required, non-empty */
  char *action;        /* required, "SCMP_ACT_*" */
  bool has_errno_ret; uint32_t errno_ret;
  struct oci_seccomp_arg *args; size_t n_args;
};

struct oci_seccomp {
  char *default_action;   /* required */
  bool has_default_errno_ret; uint32_t default_errno_ret;
  char **architectures;   /* "SCMP_ARCH_*" */
  char **flags;           /* "SECCOMP_FILTER_FLAG_*" */
  char *listener_path;
  char *listener_metadata;
  struct oci_seccomp_syscall *syscalls; size_t n_syscalls;
};

struct oci_time_offset {
  bool present;
  int64_t secs;
  uint32_t nanosecs;
};

struct oci_personality {
  char *domain; /* "LINUX" | "LINUX32" */
  char **flags;
};

struct oci_net_device {
  char *host_name; /* the key of linux.netDevices */
  char *name;      /* optional new name inside */
};

struct oci_intel_rdt {
  char *clos_id, *l3_cache_schema, *mem_bw_schema;
  char *schemata; /* lines joined with '\n' when given as an array */
  bool has_enable_cmt; bool enable_cmt;
  bool has_enable_mbm; bool enable_mbm;
  bool has_enable_monitoring; bool enable_monitoring; /* 1.3 */
};

struct oci_memory_policy {
  char *mode;      /* MPOL_* */
  char *nodes;
  char **flags;
};

struct oci_linux {
  struct oci_namespace *namespaces; size_t n_namespaces;
  struct oci_id_mapping *uid_mappings, *gid_mappings;
  size_t n_uid_mappings, n_gid_mappings;
  struct oci_time_offset time_monotonic, time_boottime;
  struct oci_device *devices; size_t n_devices;
  char *cgroups_path;
  struct oci_resources *resources;
  struct oci_kv *sysctl; size_t n_sysctl;
  struct oci_seccomp *seccomp;
  char *rootfs_propagation; /* "shared" | "slave" | "private" | "unbindable" */
  char **masked_paths;
  char **readonly_paths;
  char *mount_label;
  struct oci_personality *personality;
  struct oci_net_device *net_devices; size_t n_net_devices;
  struct oci_intel_rdt *intel_rdt;
  struct oci_memory_policy *memory_policy;
};

/* ---------- the whole document ---------- */

struct oci_config {
  char *oci_version; /* required */
  struct oci_process *process; /* NULL when absent */
  struct oci_root *root;       /* required on Linux */
  char *hostname;
  char *domainname;
  struct oci_mount *mounts; size_t n_mounts;
  struct oci_hooks *hooks;
  struct oci_kv *annotations; size_t n_annotations;
  struct oci_linux *linux_; /* NULL when absent */
};

/* Parses the config.json document in buf (len bytes).  `name` is what
 * errors call the document ("config.json").  Errors read like
 *   config.json: linux.resources.memory.limit: expected an integer, got "1G"
 * On success *out owns a new config. */
int oci_config_parse (const char *buf, size_t len, const char *name,
                      struct oci_config **out, husk_err **err);

/* Reads and parses the file at dirfd/path (dirfd may be AT_FDCWD).  Files
 * larger than HUSK_CONFIG_MAX are refused before they are read whole. */
#define HUSK_CONFIG_MAX (16u * 1024 * 1024)
int oci_config_load (int dirfd, const char *path, struct oci_config **out,
                     husk_err **err);

/* Reads the whole document dirfd/path into *out (NUL-terminated, *len
 * bytes): a regular file of at most HUSK_CONFIG_MAX bytes, refused by its
 * size before it is read; a FIFO or device is refused without blocking. */
int oci_document_read (int dirfd, const char *path, char **out, size_t *len,
                       husk_err **err);

/* Parses a lone "process" object, as `exec --process FILE` takes it. */
int oci_process_parse (const char *buf, size_t len, const char *name,
                       struct oci_process **out, husk_err **err);

/* Reads and parses a lone "process" object from a file. */
int oci_process_load (int dirfd, const char *path, struct oci_process **out,
                      husk_err **err);

/* A lone linux.resources object, as `update --resources FILE` takes it. */
int oci_resources_parse (const char *buf, size_t len, const char *name,
                         struct oci_resources **out, husk_err **err);
int oci_resources_load (int dirfd, const char *path,
                        struct oci_resources **out, husk_err **err);

/* A lone linux.seccomp object, as `husk job --seccomp FILE` takes it. */
int oci_seccomp_parse (const char *buf, size_t len, const char *name,
                       struct oci_seccomp **out, husk_err **err);
int oci_seccomp_load (int dirfd, const char *path, struct oci_seccomp **out,
                      husk_err **err);

void oci_config_free (struct oci_config *c);
void oci_seccomp_free (struct oci_seccomp *s);
/* Frees a NULL-terminated string list (NULL is fine). */
void oci_strv_free (char **v);
void oci_process_free (struct oci_process *p);
void oci_resources_free (struct oci_resources *r);

/* Annotation lookup; NULL when absent. */
const char *oci_annotation (const struct oci_config *c, const char *key);

/* Finds a namespace entry of the given type; NULL when the config does not
 * ask for that namespace. */
const struct oci_namespace *oci_find_namespace (const struct oci_config *c,
                                                enum oci_ns_type type);
const char *oci_ns_type_name (enum oci_ns_type type);

/* ---------- state (runtime-spec runtime.md "State") ---------- */

struct oci_state {
  char *oci_version;
  char *id;
  char *status; /* creating | created | running | stopped | paused */
  pid_t pid;    /* 0 when stopped */
  char *bundle;
  struct oci_kv *annotations; size_t n_annotations;
};

/* Serialises a state document as JSON (pretty when `pretty`). */
int oci_state_to_json (const struct oci_state *s, bool pretty, char **out,
                       size_t *len, husk_err **err);

/* ---------- generated documents ---------- */

/* The default config.json of `husk spec` (like runc's), rootless or not. */
int oci_default_config_json (bool rootless, char **out, size_t *len,
                             husk_err **err);

/* The same, parsed: the config `husk job` starts from. */
int oci_default_config (bool rootless, struct oci_config **out,
                        husk_err **err);

/* The default seccomp profile of `husk spec` for a process whose bounding
 * set is caps (NULL-terminated "CAP_*" names). */
int oci_default_seccomp (const char *const *caps, struct oci_seccomp **out,
                         husk_err **err);

/* The runtime-spec features.json document for what husk supports. */
int oci_features_json (char **out, size_t *len, husk_err **err);

#endif
