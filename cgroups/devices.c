/* Device access control on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program
 * generated from linux.resources.devices (plus runc's default rules),
 * loaded and attached with the raw bpf(2) syscall.
 *
 * The program sees struct bpf_cgroup_dev_ctx { u32 access_type; u32 major;
 * u32 minor; }: the device type in access_type's low 16 bits
 * (BPF_DEVCG_DEV_BLOCK = 1, _CHAR = 2), the access asked for in its high 16
 * bits (BPF_DEVCG_ACC_MKNOD = 1, _READ = 2, _WRITE = 4).  Rules are tested
 * from the last to the first and the first that matches decides, so the
 * last matching rule of the list wins; no match denies. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "../lib/cleanup.h"
#include "../lib/log.h"
#include "internal.h"

#define ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)

struct dev_rule {
  char type;      /* 'a', 'c', 'b' */
  int64_t major;  /* -1: any */
  int64_t minor;  /* -1: any */
  unsigned access;
  bool allow;
  const char *path; /* default rules: the node they are for, or NULL */
};

/* runc's specconv.AllowedDevices, appended after the config's rules. */
static const struct dev_rule default_rules[] = {
  { 'c', -1, -1, BPF_DEVCG_ACC_MKNOD, true, NULL },
  { 'b', -1, -1, BPF_DEVCG_ACC_MKNOD, true, NULL },
  { 'c', 1, 3, ACC_ALL, true, "/dev/null" },
  { 'c', 1, 8, ACC_ALL, true, "/dev/random" },
  { 'c', 1, 7, ACC_ALL, true, "/dev/full" },
  { 'c', 5, 0, ACC_ALL, true, "/dev/tty" },
  { 'c', 1, 5, ACC_ALL, true, "/dev/zero" },
  { 'c', 1, 9, ACC_ALL, true, "/dev/urandom" },
  { 'c', 136, -1, ACC_ALL, true, NULL }, /* /dev/pts/N */
  { 'c', 5, 2, ACC_ALL, true, NULL },    /* /dev/ptmx */
  { 'c', 10, 200, ACC_ALL, true, NULL }, /* /dev/net/tun */
};
#define N_DEFAULT (sizeof default_rules / sizeof default_rules[0])

static int
parse_rule (const struct oci_device_cgroup *d, size_t i, struct dev_rule *out,
            husk_err **err)
{
  const char *t = d->type ? d->type : "a";
  const char *a = d->access ? d->access : "rwm";

  if (strlen (t) != 1 || !strchr ("acb", *t))
    return husk_error (err, 0, "config.json: linux.resources.devices[%zu].type: "
                       "expected \"a\", \"c\" or \"b\", got \"%s\"", i, t);
  out->type = *t;
  out->major = d->has_major ? d->major : -1;
  out->minor = d->has_minor ? d->minor : -1;
  if (out->major < -1 || out->major > UINT32_MAX || out->minor < -1 || out->minor > UINT32_MAX)
    return husk_error (err, 0, "config.json: linux.resources.devices[%zu]: major "
                       "and minor must be 0 to 4294967295", i);
  out->access = 0;
  for (const char *p = a; *p; p++)
    switch (*p)
      {
      case 'r': out->access |= BPF_DEVCG_ACC_READ; break;
      case 'w': out->access |= BPF_DEVCG_ACC_WRITE; break;
      case 'm': out->access |= BPF_DEVCG_ACC_MKNOD; break;
      default:
        return husk_error (err, 0, "config.json: linux.resources.devices[%zu].access: "
                           "expected letters of \"rwm\", got \"%s\"", i, a);
      }
  if (out->access == 0)
    return husk_error (err, 0, "config.json: linux.resources.devices[%zu].access: "
                       "must not be empty", i);
  out->allow = d->allow;
  out->path = NULL;
  return 0;
}

/* runc drops a default rule whose node linux.devices redefines. */
static bool
redefined (const struct oci_linux *lx, const char *path)
{
  for (size_t i = 0; path && lx && i < lx->n_devices; i++)
    if (lx->devices[i].path && strcmp (lx->devices[i].path, path) == 0)
      return true;
  return false;
}

/* ---------- instructions ---------- */

struct prog {
  struct bpf_insn *v;
  size_t n, cap;
};

static int
emit (struct prog *p, struct bpf_insn insn)
{
  if (p->n == p->cap)
    {
      struct bpf_insn *nv = realloc (p->v, (p->cap * 2 + 32) * sizeof *nv);
      if (nv == NULL)
        return -1;
      p->v = nv;
      p->cap = p->cap * 2 + 32;
    }
  p->v[p->n++] = insn;
  return 0;
}

static struct bpf_insn
insn (uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  return (struct bpf_insn) { .code = code, .dst_reg = dst, .src_reg = src,
                             .off = off, .imm = imm };
}

#define LDX_W(dst, src, off) insn (BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm) insn (BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src) insn (BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm) insn (BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) insn (BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define EXIT() insn (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define JEQ_IMM(dst, imm, off) insn (BPF_JMP | BPF_JEQ | BPF_K, dst, 0, off, imm)
/* on the low 32 bits: a 64-bit jump would sign-extend an imm of 2^31 or
 * more, and a major or minor that large would never match (Linux 5.1) */
#define JEQ32_IMM(dst, imm, off) insn (BPF_JMP32 | BPF_JEQ | BPF_K, dst, 0, off, imm)

#define JA(off) insn (BPF_JMP | BPF_JA, 0, 0, off, 0)

/* One rule, r6 holding the access bits asked for that no rule has decided
 * yet: a rule that matches the device and decides some of them denies the
 * access (deny) or marks them allowed (allow), which allows the access once
 * none is left.  Every jump goes forward to the next rule, so that the
 * paths the verifier walks meet again there.
 *
 * And each test jumps when it matches, its fall-through going on to the
 * next rule: the verifier follows a fall-through first and keeps the
 * jump for later, so it walks the path that knows nothing of the device
 * through every rule before any that matched, and a matched path, which
 * knows more (a type, a major, fewer undecided bits), is then pruned at the
 * next rule as a case of it.  The other way round (the match falling
 * through, as before) each rule's matched path was walked first, and the
 * general one after it again: loading runc's default rules took 0.7-0.8 ms
 * of verification, most of a container's start on the other CPU. */
static int
emit_rule (struct prog *p, const struct dev_rule *r)
{
  bool has_type = r->type != 'a';
  bool has_major = r->major >= 0, has_minor = r->minor >= 0;
  /* instructions after each test's ja to the end of the rule */
  int16_t left = (int16_t) (2 * (has_type + has_major + has_minor) + 4
                            + (r->allow ? 4 : 2));
  int ok = 0;

  if (has_type)
    {
      ok |= emit (p, JEQ32_IMM (BPF_REG_2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK
                                                          : BPF_DEVCG_DEV_CHAR, 1));
      ok |= emit (p, JA (left -= 2));
    }
  if (has_major)
    {
      ok |= emit (p, JEQ32_IMM (BPF_REG_4, (int32_t) (uint32_t) r->major, 1));
      ok |= emit (p, JA (left -= 2));
    }
  if (has_minor)
    {
      ok |= emit (p, JEQ32_IMM (BPF_REG_5, (int32_t) (uint32_t) r->minor, 1));
      ok |= emit (p, JA (left -= 2));
    }
  ok |= emit (p, MOV32_REG (BPF_REG_1, BPF_REG_6));
  ok |= emit (p, ALU32_IMM (BPF_AND, BPF_REG_1, (int32_t) r->access));
  ok |= emit (p, JNE_IMM (BPF_REG_1, 0, 1));
  ok |= emit (p, JA (left -= 4));
  if (r->allow)
    {
      ok |= emit (p, ALU32_IMM (BPF_AND, BPF_REG_6, (int32_t) ~r->access));
      ok |= emit (p, JNE_IMM (BPF_REG_6, 0, left -= 2));
      ok |= emit (p, MOV64_IMM (BPF_REG_0, 1));
    }
  else
    ok |= emit (p, MOV64_IMM (BPF_REG_0, 0));
  ok |= emit (p, EXIT ());
  return ok;
}

int
husk_cgroup_device_program (const struct oci_linux *lx, void **insns,
                            size_t *n, husk_err **err)
{
  const struct oci_resources *res = lx ? lx->resources : NULL;
  size_t n_cfg = res ? res->n_devices : 0;
  cleanup_free struct dev_rule *rules = calloc (n_cfg + N_DEFAULT + 1, sizeof *rules);
  struct prog p = { 0 };
  size_t nr = 0;

  if (rules == NULL)
    return husk_error (err, ENOMEM, "cgroup: device rules");
  for (size_t i = 0; i < n_cfg; i++)
    if (parse_rule (&res->devices[i], i, &rules[nr++], err) < 0)
      return -1;
  for (size_t i = 0; i < N_DEFAULT; i++)
    if (!redefined (lx, default_rules[i].path))
      rules[nr++] = default_rules[i];

  /* r2 = type, r3 = access, r4 = major, r5 = minor, r6 = r3. */
  if (emit (&p, LDX_W (BPF_REG_2, BPF_REG_1, 0)) < 0
      || emit (&p, ALU32_IMM (BPF_AND, BPF_REG_2, 0xFFFF)) < 0
      || emit (&p, LDX_W (BPF_REG_3, BPF_REG_1, 0)) < 0
      || emit (&p, ALU32_IMM (BPF_RSH, BPF_REG_3, 16)) < 0
      || emit (&p, LDX_W (BPF_REG_4, BPF_REG_1, 4)) < 0
      || emit (&p, LDX_W (BPF_REG_5, BPF_REG_1, 8)) < 0
      || emit (&p, MOV32_REG (BPF_REG_6, BPF_REG_3)) < 0)
    goto oom;
  /* the last rule of the list first: the last one that decides a bit wins */
  for (size_t i = nr; i-- > 0;)
    if (emit_rule (&p, &rules[i]) < 0)
      goto oom;
  /* no rule decided what is left of it: allowed only when nothing is */
  if (emit (&p, MOV64_IMM (BPF_REG_0, 0)) < 0
      || emit (&p, JNE_IMM (BPF_REG_6, 0, 1)) < 0
      || emit (&p, MOV64_IMM (BPF_REG_0, 1)) < 0 || emit (&p, EXIT ()) < 0)
    goto oom;
  *insns = p.v;
  *n = p.n;
  return 0;

oom:
  free (p.v);
  return husk_error (err, ENOMEM, "cgroup: device program");
}

/* ---------- loading and attaching ---------- */

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (__NR_bpf, cmd, attr, sizeof *attr);
}

static int
load_program (const struct bpf_insn *insns, size_t n, husk_err **err)
{
  static char log[16384];
  union bpf_attr attr;
  int fd;

  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uintptr_t) insns;
  attr.insn_cnt = (uint32_t) n;
  attr.license = (uintptr_t) "GPL";
  fd = sys_bpf (BPF_PROG_LOAD, &attr);
  if (fd < 0 && errno == EPERM)
    {
      /* Before Linux 5.11 programs were charged to RLIMIT_MEMLOCK. */
      struct rlimit rl;
      if (getrlimit (RLIMIT_MEMLOCK, &rl) == 0)
        {
          rl.rlim_cur = rl.rlim_max;
          setrlimit (RLIMIT_MEMLOCK, &rl);
        }
      fd = sys_bpf (BPF_PROG_LOAD, &attr);
    }
  if (fd < 0 && errno != EPERM && errno != ENOSYS)
    {
      int saved = errno;
      log[0] = '\0';
      attr.log_level = 1;
      attr.log_buf = (uintptr_t) log;
      attr.log_size = sizeof log;
      sys_bpf (BPF_PROG_LOAD, &attr);
      errno = saved;
      log[strcspn (log, "\n")] = '\0';
    }
  if (fd < 0)
    return husk_error (err, errno, "cgroup: load the device program (%zu instructions)%s%s",
                       n, log[0] ? ": " : "", log);
  return fd;
}

/* The ids of the device programs attached to the cgroup now. */
static int
attached_ids (struct husk_cgroup *cg, uint32_t *ids, uint32_t *n, husk_err **err)
{
  union bpf_attr attr;

  memset (&attr, 0, sizeof attr);
  attr.query.target_fd = (uint32_t) cg->dirfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uintptr_t) ids;
  attr.query.prog_cnt = *n;
  if (sys_bpf (BPF_PROG_QUERY, &attr) < 0)
    return husk_error (err, errno, "cgroup: query the device programs of %s", cg->path);
  *n = attr.query.prog_cnt;
  return 0;
}

/* Attaches the new program beside the old ones (BPF_F_ALLOW_MULTI: every
 * attached program must allow), then detaches the old ones, so there is no
 * moment without a filter. */
static int
attach_replacing (struct husk_cgroup *cg, int prog_fd, husk_err **err)
{
  uint32_t ids[64], n = 64;
  union bpf_attr attr;

  if (attached_ids (cg, ids, &n, err) < 0)
    return -1;
  memset (&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t) cg->dirfd;
  attr.attach_bpf_fd = (uint32_t) prog_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return husk_error (err, errno, "cgroup: attach the device program to %s", cg->path);
  for (uint32_t i = 0; i < n && i < 64; i++)
    {
      cleanup_close int old = -1;
      memset (&attr, 0, sizeof attr);
      attr.prog_id = ids[i];
      old = sys_bpf (BPF_PROG_GET_FD_BY_ID, &attr);
      if (old < 0)
        {
          if (errno == ENOENT)
            continue;
          return husk_error (err, errno, "cgroup: open device program %u of %s", ids[i], cg->path);
        }
      memset (&attr, 0, sizeof attr);
      attr.target_fd = (uint32_t) cg->dirfd;
      attr.attach_bpf_fd = (uint32_t) old;
      attr.attach_type = BPF_CGROUP_DEVICE;
      if (sys_bpf (BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
        return husk_error (err, errno, "cgroup: detach device program %u of %s", ids[i], cg->path);
    }
  return 0;
}

static bool
in_user_namespace (void)
{
  cleanup_file FILE *f = fopen ("/proc/self/uid_map", "re");
  unsigned long a, b, c;
  return f && (fscanf (f, "%lu %lu %lu", &a, &b, &c) != 3 || a != 0 || b != 0
               || c != 4294967295UL);
}

/* runc's canSkipEBPFError: bpf(2) is usually refused in a user namespace,
 * and a list that only allows, with full access, loses nothing. */
static bool
can_skip (const struct oci_linux *lx)
{
  const struct oci_resources *r = lx ? lx->resources : NULL;
  if (in_user_namespace ())
    return true;
  for (size_t i = 0; r && i < r->n_devices; i++)
    {
      struct dev_rule rule;
      if (parse_rule (&r->devices[i], i, &rule, NULL) < 0 || !rule.allow
          || rule.access != ACC_ALL)
        return false;
    }
  return true;
}

void
husk_cgroup_load_devices (struct husk_cgroup *cg, const struct oci_linux *lx)
{
  cleanup_free void *insns = NULL;
  size_t n;

  if (cg->dev_prog < 0 && husk_cgroup_device_program (lx, &insns, &n, NULL) == 0)
    cg->dev_prog = load_program (insns, n, NULL);
}

int
cg_devices_apply (struct husk_cgroup *cg, const struct oci_linux *lx,
                  husk_err **err)
{
  cleanup_free void *insns = NULL;
  cleanup_close int fd = steal_fd (&cg->dev_prog);
  cleanup_err husk_err *e = NULL;
  size_t n;

  if (fd < 0 && husk_cgroup_device_program (lx, &insns, &n, err) < 0)
    return -1;
  if (fd < 0)
    fd = load_program (insns, n, &e);
  if (fd >= 0)
    attach_replacing (cg, fd, &e);
  if (e == NULL)
    return 0;
  if ((e->errnum == EPERM || e->errnum == ENOSYS) && can_skip (lx))
    {
      husk_debug ("%s (skipped: no bpf(2) here and nothing to deny)", e->msg);
      return 0;
    }
  if (err && *err == NULL)
    *err = steal_ptr (&e);
  return -1;
}
