/* The seccomp profile of `husk spec`: Docker's and containerd's default
 * (moby profiles/seccomp/default.json): everything denied with EPERM but an
 * allowlist of syscalls, some only with arguments that cannot create
 * namespaces or switch personalities, plus what the native architecture
 * and the config's capabilities need.  The rules are the profile's, the
 * evaluation of its "includes"/"excludes" is done here, for the default
 * capability set of the config being written.  Its minKernel 4.8 rule
 * (ptrace) is always included: husk needs a far newer kernel. */
#include "specs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "gen.h"

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* The Go GOARCH names the profile uses in its "arches" conditions. */
#if defined(__x86_64__) && defined(__ILP32__)
#define NATIVE "x32"
#elif defined(__x86_64__)
#define NATIVE "amd64"
#elif defined(__i386__)
#define NATIVE "386"
#elif defined(__aarch64__)
#define NATIVE "arm64"
#elif defined(__arm__)
#define NATIVE "arm"
#elif defined(__s390x__)
#define NATIVE "s390x"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE "ppc64le"
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE "riscv64"
#else
#define NATIVE ""
#endif

/* The profile's archMap: the native architecture and its compat ones. */
static const struct
{
  const char *native;
  const char *const *archs;
} arch_map[] = {
  { "amd64", NAMES ("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32") },
  { "x32", NAMES ("SCMP_ARCH_X32", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86") },
  { "386", NAMES ("SCMP_ARCH_X86") },
  { "arm64", NAMES ("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM") },
  { "arm", NAMES ("SCMP_ARCH_ARM") },
  { "s390x", NAMES ("SCMP_ARCH_S390X", "SCMP_ARCH_S390") },
  { "ppc64le", NAMES ("SCMP_ARCH_PPC64LE") },
  { "riscv64", NAMES ("SCMP_ARCH_RISCV64") },
};

static const char *const allowed[] = {
  "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk",
  "capget", "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime",
  "clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime",
  "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close",
  "close_range", "connect", "copy_file_range", "creat", "dup", "dup2",
  "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
  "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd",
  "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
  "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark",
  "fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl",
  "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork",
  "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
  "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_time64",
  "futex_waitv", "futimesat", "getcpu", "getcwd", "getdents", "getdents64",
  "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32",
  "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid",
  "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
  "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list",
  "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area",
  "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
  "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
  "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents",
  "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup",
  "io_submit", "io_uring_enter", "io_uring_register", "io_uring_setup",
  "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
  "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link",
  "linkat", "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr",
  "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "membarrier",
  "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod",
  "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect",
  "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
  "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
  "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync",
  "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep",
  "newfstatat", "_newselect", "open", "openat", "openat2", "pause",
  "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc",
  "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
  "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
  "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read",
  "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom",
  "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages",
  "removexattr", "rename", "renameat", "renameat2", "restart_syscall",
  "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
  "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
  "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity",
  "sched_getattr", "sched_getparam", "sched_get_priority_max",
  "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
  "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
  "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
  "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
  "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid",
  "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
  "setgroups32", "setitimer", "setpgid", "setpriority", "setregid",
  "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32",
  "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
  "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32",
  "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown",
  "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn",
  "socketcall", "socketpair", "splice", "stat", "stat64", "statfs",
  "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
  "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
  "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
  "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
  "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times",
  "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname",
  "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes",
  "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",

  NULL
};

struct arg
{
  unsigned index;
  uint64_t value;
  const char *op;
};

struct rule
{
  const char *const *names;
  const char *action;          /* NULL: SCMP_ACT_ALLOW */
  int errno_ret;               /* with SCMP_ACT_ERRNO */
  struct arg arg;              /* op NULL: none */
  const char *const *arches;   /* included only on these */
  const char *const *not_arches;
  const char *cap;             /* included only with this capability */
  const char *not_cap;         /* included only without it */
};

/* CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID
 * | CLONE_NEWNET | CLONE_NEWCGROUP: clone may create no namespace */
#define CLONE_NS_MASK 2114060288

static const struct rule rules[] = {
  { .names = allowed },
  { .names = NAMES ("process_vm_readv", "process_vm_writev", "ptrace") },
  /* no AF_VSOCK sockets: they reach the host */
  { .names = NAMES ("socket"), .arg = { 0, 40, "SCMP_CMP_NE" } },
  /* PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the query */
  { .names = NAMES ("personality"), .arg = { 0, 0, "SCMP_CMP_EQ" } },
  { .names = NAMES ("personality"), .arg = { 0, 8, "SCMP_CMP_EQ" } },
  { .names = NAMES ("personality"), .arg = { 0, 131072, "SCMP_CMP_EQ" } },
  { .names = NAMES ("personality"), .arg = { 0, 131080, "SCMP_CMP_EQ" } },
  { .names = NAMES ("personality"), .arg = { 0, 4294967295u, "SCMP_CMP_EQ" } },
  { .names = NAMES ("sync_file_range2", "swapcontext"),
    .arches = NAMES ("ppc64le") },
  { .names = NAMES ("arm_fadvise64_64", "arm_sync_file_range",
                    "sync_file_range2", "breakpoint", "cacheflush", "set_tls"),
    .arches = NAMES ("arm", "arm64") },
  { .names = NAMES ("arch_prctl"), .arches = NAMES ("amd64", "x32") },
  { .names = NAMES ("modify_ldt"), .arches = NAMES ("amd64", "x32", "386") },
  { .names = NAMES ("s390_pci_mmio_read", "s390_pci_mmio_write",
                    "s390_runtime_instr"), .arches = NAMES ("s390", "s390x") },
  { .names = NAMES ("riscv_flush_icache"), .arches = NAMES ("riscv64") },
  { .names = NAMES ("open_by_handle_at"), .cap = "CAP_DAC_READ_SEARCH" },
  { .names = NAMES ("bpf", "clone", "clone3", "fanotify_init", "fsconfig",
                    "fsmount", "fsopen", "fspick", "lookup_dcookie", "mount",
                    "mount_setattr", "move_mount", "open_tree",
                    "perf_event_open", "quotactl", "quotactl_fd",
                    "setdomainname", "sethostname", "setns", "syslog",
                    "umount", "umount2", "unshare"),
    .cap = "CAP_SYS_ADMIN" },
  { .names = NAMES ("clone"), .arg = { 0, CLONE_NS_MASK, "SCMP_CMP_MASKED_EQ" },
    .not_cap = "CAP_SYS_ADMIN", .not_arches = NAMES ("s390", "s390x") },
  /* s390 passes clone's flags second */
  { .names = NAMES ("clone"), .arg = { 1, CLONE_NS_MASK, "SCMP_CMP_MASKED_EQ" },
    .not_cap = "CAP_SYS_ADMIN", .arches = NAMES ("s390", "s390x") },
  /* clone3's flags are behind a pointer, out of seccomp's reach: ENOSYS
   * makes the C library fall back to clone */
  { .names = NAMES ("clone3"), .action = "SCMP_ACT_ERRNO",
    .errno_ret = ENOSYS, .not_cap = "CAP_SYS_ADMIN" },
  { .names = NAMES ("reboot"), .cap = "CAP_SYS_BOOT" },
  { .names = NAMES ("chroot"), .cap = "CAP_SYS_CHROOT" },
  { .names = NAMES ("delete_module", "init_module", "finit_module"),
    .cap = "CAP_SYS_MODULE" },
  { .names = NAMES ("acct"), .cap = "CAP_SYS_PACCT" },
  { .names = NAMES ("kcmp", "pidfd_getfd", "process_madvise",
                    "process_vm_readv", "process_vm_writev", "ptrace"),
    .cap = "CAP_SYS_PTRACE" },
  { .names = NAMES ("iopl", "ioperm"), .cap = "CAP_SYS_RAWIO" },
  { .names = NAMES ("settimeofday", "stime", "clock_settime",
                    "clock_settime64"), .cap = "CAP_SYS_TIME" },
  { .names = NAMES ("vhangup"), .cap = "CAP_SYS_TTY_CONFIG" },
  { .names = NAMES ("get_mempolicy", "mbind", "set_mempolicy",
                    "set_mempolicy_home_node"), .cap = "CAP_SYS_NICE" },
  { .names = NAMES ("syslog"), .cap = "CAP_SYSLOG" },
  { .names = NAMES ("bpf"), .cap = "CAP_BPF" },
  { .names = NAMES ("perf_event_open"), .cap = "CAP_PERFMON" },
};

static bool
in (const char *const *v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp (*v, s) == 0)
      return true;
  return false;
}

static bool
applies (const struct rule *r, const char *const *caps)
{
  return (r->arches == NULL || in (r->arches, NATIVE))
         && !in (r->not_arches, NATIVE)
         && (r->cap == NULL || in (caps, r->cap))
         && (r->not_cap == NULL || !in (caps, r->not_cap));
}

static void
gen_rule (yajl_gen g, const struct rule *r)
{
  yajl_gen_map_open (g);
  gen_str (g, "names");
  yajl_gen_array_open (g);
  for (const char *const *n = r->names; *n; n++)
    gen_str (g, *n);
  yajl_gen_array_close (g);
  gen_str (g, "action");
  gen_str (g, r->action ? r->action : "SCMP_ACT_ALLOW");
  if (r->errno_ret)
    {
      gen_str (g, "errnoRet");
      yajl_gen_integer (g, r->errno_ret);
    }
  if (r->arg.op)
    {
      gen_str (g, "args");
      yajl_gen_array_open (g);
      yajl_gen_map_open (g);
      gen_str (g, "index");
      yajl_gen_integer (g, r->arg.index);
      gen_str (g, "value");
      yajl_gen_integer (g, (long long) r->arg.value);
      gen_str (g, "op");
      gen_str (g, r->arg.op);
      yajl_gen_map_close (g);
      yajl_gen_array_close (g);
    }
  yajl_gen_map_close (g);
}

void
oci_gen_default_seccomp (yajl_gen g, const char *const *caps)
{
  yajl_gen_map_open (g);
  gen_str (g, "defaultAction");
  gen_str (g, "SCMP_ACT_ERRNO");
  gen_str (g, "defaultErrnoRet");
  yajl_gen_integer (g, EPERM);
  for (size_t i = 0; i < sizeof arch_map / sizeof *arch_map; i++)
    if (strcmp (arch_map[i].native, NATIVE) == 0)
      {
        gen_str (g, "architectures");
        yajl_gen_array_open (g);
        for (const char *const *a = arch_map[i].archs; *a; a++)
          gen_str (g, *a);
        yajl_gen_array_close (g);
      }
  gen_str (g, "syscalls");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
    if (applies (&rules[i], caps))
      gen_rule (g, &rules[i]);
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
}

int
oci_default_seccomp (const char *const *caps, struct oci_seccomp **out,
                     husk_err **err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t n;
  int rc;

  if (g == NULL)
    return husk_error (err, ENOMEM, "generating the default seccomp profile");
  oci_gen_default_seccomp (g, caps);
  if (yajl_gen_get_buf (g, &buf, &n) != yajl_gen_status_ok)
    rc = husk_error (err, 0, "generating the default seccomp profile: "
                     "unbalanced document");
  else
    rc = oci_seccomp_parse ((const char *) buf, n, "the default seccomp "
                            "profile", out, err);
  yajl_gen_free (g);
  return rc;
}
