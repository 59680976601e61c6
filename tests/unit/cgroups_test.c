/* Unit tests of cgroups/ (built with ASan/UBSan): TAP on stdout.
 *
 *   - the linux.resources -> cgroup v2 file translation, case by case, with
 *     the exact files and values runc 1.1's fs2 driver writes;
 *   - the controllers a config needs;
 *   - the device program, run through a small eBPF interpreter on device
 *     accesses (type, major, minor, access) -> allowed or denied;
 *   - cgroupsPath resolution;
 *   - the stats line of `events`. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>

#include "../../cgroups/cgroups.h"
#include "../../lib/cleanup.h"
#include "../../specs/specs.h"
#include "check.h"

/* A config.json around a linux section given as JSON text. */
static struct oci_config *
config_with (const char *linux_json)
{
  cleanup_free char *doc = NULL;
  cleanup_err husk_err *err = NULL;
  struct oci_config *c = NULL;

  if (asprintf (&doc, "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
                "\"linux\":%s}", linux_json) < 0)
    abort ();
  if (oci_config_parse (doc, strlen (doc), "config.json", &c, &err) < 0)
    {
      printf ("# config did not parse: %s\n#   %s\n", err->msg, linux_json);
      return NULL;
    }
  return c;
}

/* ---------- translation ---------- */

struct tcase {
  const char *name;
  const char *resources; /* linux.resources */
  bool bfq, bfq_per_device;
  const char *want;      /* "file=value;file=value" or NULL */
  const char *want_err;  /* a substring of the error, or NULL */
};

static const struct tcase tcases[] = {
  { "no resources", "{}", 0, 0, "", NULL },
  { "pids.limit 64", "{\"pids\":{\"limit\":64}}", 0, 0, "pids.max=64", NULL },
  { "pids.limit -1 is max", "{\"pids\":{\"limit\":-1}}", 0, 0, "pids.max=max", NULL },
  { "pids.limit 0 is unset", "{\"pids\":{\"limit\":0}}", 0, 0, "", NULL },
  { "memory.limit", "{\"memory\":{\"limit\":33554432}}", 0, 0, "memory.max=33554432", NULL },
  { "memory.limit -1 sets swap max too", "{\"memory\":{\"limit\":-1}}", 0, 0,
    "memory.swap.max=max;memory.max=max", NULL },
  { "memory swap is memory+swap", "{\"memory\":{\"limit\":33554432,\"swap\":67108864}}", 0, 0,
    "memory.swap.max=33554432;memory.max=33554432", NULL },
  { "memory swap == limit: no swap", "{\"memory\":{\"limit\":33554432,\"swap\":33554432}}", 0, 0,
    "memory.swap.max=0;memory.max=33554432", NULL },
  { "memory swap -1", "{\"memory\":{\"limit\":33554432,\"swap\":-1}}", 0, 0,
    "memory.swap.max=max;memory.max=33554432", NULL },
  { "memory reservation -> memory.low", "{\"memory\":{\"reservation\":16777216}}", 0, 0,
    "memory.low=16777216", NULL },
  { "memory all three",
    "{\"memory\":{\"limit\":100000000,\"reservation\":50000000,\"swap\":150000000}}", 0, 0,
    "memory.swap.max=50000000;memory.max=100000000;memory.low=50000000", NULL },
  { "swap without limit refused", "{\"memory\":{\"swap\":67108864}}", 0, 0, NULL,
    "linux.resources.memory.swap: a swap limit needs a memory limit" },
  { "swap below limit refused", "{\"memory\":{\"limit\":67108864,\"swap\":33554432}}", 0, 0,
    NULL, "must be >= memory limit" },
  { "kernel memory ignored", "{\"memory\":{\"kernel\":1000000,\"kernelTCP\":1000000}}", 0, 0, "", NULL },
  { "cpu.shares 1024 -> weight 39", "{\"cpu\":{\"shares\":1024}}", 0, 0, "cpu.weight=39", NULL },
  { "cpu.shares 2 -> weight 1", "{\"cpu\":{\"shares\":2}}", 0, 0, "cpu.weight=1", NULL },
  { "cpu.shares 262144 -> weight 10000", "{\"cpu\":{\"shares\":262144}}", 0, 0, "cpu.weight=10000", NULL },
  { "cpu.shares 1 refused", "{\"cpu\":{\"shares\":1}}", 0, 0, NULL,
    "linux.resources.cpu.shares: expected at least 2, got 1" },
  { "cpu quota+period", "{\"cpu\":{\"quota\":50000,\"period\":100000}}", 0, 0,
    "cpu.max=50000 100000", NULL },
  { "cpu quota alone: default period", "{\"cpu\":{\"quota\":20000}}", 0, 0, "cpu.max=20000 100000", NULL },
  { "cpu quota -1", "{\"cpu\":{\"quota\":-1,\"period\":100000}}", 0, 0, "cpu.max=max 100000", NULL },
  { "cpu period alone", "{\"cpu\":{\"period\":50000}}", 0, 0, "cpu.max=max 50000", NULL },
  { "cpu idle, shares, quota, burst in runc's order",
    "{\"cpu\":{\"idle\":1,\"shares\":512,\"quota\":30000,\"period\":60000,\"burst\":10000}}", 0, 0,
    "cpu.idle=1;cpu.weight=20;cpu.max=30000 60000;cpu.max.burst=10000", NULL },
  { "cpu realtime ignored", "{\"cpu\":{\"realtimeRuntime\":950000,\"realtimePeriod\":1000000}}", 0, 0, "", NULL },
  { "cpuset", "{\"cpu\":{\"cpus\":\"0-1\",\"mems\":\"0\"}}", 0, 0, "cpuset.cpus=0-1;cpuset.mems=0", NULL },
  { "blkio weight without BFQ -> io.weight", "{\"blockIO\":{\"weight\":500}}", 0, 0, "io.weight=4950", NULL },
  { "blkio weight 10 -> 1", "{\"blockIO\":{\"weight\":10}}", 0, 0, "io.weight=1", NULL },
  { "blkio weight 1000 -> 10000", "{\"blockIO\":{\"weight\":1000}}", 0, 0, "io.weight=10000", NULL },
  { "blkio weight with BFQ -> io.bfq.weight", "{\"blockIO\":{\"weight\":500}}", 1, 0, "io.bfq.weight=500", NULL },
  { "blkio weightDevice needs per-device BFQ",
    "{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":300}]}}", 1, 0, "", NULL },
  { "blkio weightDevice with per-device BFQ",
    "{\"blockIO\":{\"weight\":200,\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":300}]}}", 1, 1,
    "io.bfq.weight=200;io.bfq.weight=8:0 300", NULL },
  { "blkio throttles -> io.max",
    "{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576}],"
    "\"throttleWriteBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":2097152}],"
    "\"throttleReadIOPSDevice\":[{\"major\":254,\"minor\":1,\"rate\":100}],"
    "\"throttleWriteIOPSDevice\":[{\"major\":254,\"minor\":1,\"rate\":0}]}}", 0, 0,
    "io.max=8:0 rbps=1048576;io.max=8:0 wbps=2097152;io.max=254:1 riops=100", NULL },
  { "hugepageLimits", "{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304},"
    "{\"pageSize\":\"1GB\",\"limit\":0}]}", 0, 0, "hugetlb.2MB.max=4194304;hugetlb.1GB.max=0", NULL },
  { "rdma", "{\"rdma\":{\"mlx5_1\":{\"hcaHandles\":3,\"hcaObjects\":10000}}}", 0, 0,
    "rdma.max=mlx5_1 hca_handle=3 hca_object=10000", NULL },
  { "unified written as given", "{\"unified\":{\"memory.high\":\"50000000\",\"io.weight\":\"default 200\"}}",
    0, 0, "memory.high=50000000;io.weight=default 200", NULL },
  { "unified key with a slash refused", "{\"unified\":{\"../memory.max\":\"1\"}}", 0, 0, NULL,
    "linux.resources.unified: \"../memory.max\": expected a file name" },
  { "unified key of no controller refused", "{\"unified\":{\"foo.bar\":\"1\"}}", 0, 0, NULL,
    "\"foo.bar\" names no file of a cgroup v2 controller" },
  { "everything in runc's order",
    "{\"unified\":{\"pids.max\":\"100\"},\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":2097152}],"
    "\"cpu\":{\"shares\":1024,\"cpus\":\"0\"},\"blockIO\":{\"weight\":100},"
    "\"memory\":{\"limit\":1048576},\"pids\":{\"limit\":10}}", 0, 0,
    "pids.max=10;memory.max=1048576;io.weight=910;cpu.weight=39;cpuset.cpus=0;"
    "hugetlb.2MB.max=2097152;pids.max=100", NULL },
};

static void
test_translate (void)
{
  for (size_t i = 0; i < sizeof tcases / sizeof tcases[0]; i++)
    {
      const struct tcase *t = &tcases[i];
      cleanup_free char *lx = NULL;
      struct oci_config *c;
      struct husk_cgroup_host host = { t->bfq, t->bfq_per_device };
      struct husk_cgroup_write *w = NULL;
      cleanup_err husk_err *err = NULL;
      size_t n = 0;
      char got[1024] = "";

      if (asprintf (&lx, "{\"resources\":%s}", t->resources) < 0)
        abort ();
      c = config_with (lx);
      if (c == NULL)
        {
          check (false, "translate: %s: config parses", t->name);
          continue;
        }
      if (husk_cgroup_translate (c->linux_->resources, &host, &w, &n, &err) < 0)
        check (t->want_err && strstr (err->msg, t->want_err),
               "translate: %s: error \"%s\"", t->name, err->msg);
      else
        {
          for (size_t k = 0; k < n; k++)
            snprintf (got + strlen (got), sizeof got - strlen (got), "%s%s=%s",
                      k ? ";" : "", w[k].file, w[k].value);
          check (t->want && strcmp (got, t->want) == 0, "translate: %s: \"%s\"%s%s",
                 t->name, got, t->want && strcmp (got, t->want) ? " want " : "",
                 t->want && strcmp (got, t->want) ? t->want : "");
          husk_cgroup_writes_free (w, n);
        }
      oci_config_free (c);
    }
}

/* ---------- controllers needed ---------- */

static void
test_needed (void)
{
  static const struct { const char *res, *want; } cases[] = {
    { "{}", "" },
    { "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}", "" },
    { "{\"memory\":{\"limit\":1048576},\"pids\":{\"limit\":5}}", "pids memory" },
    { "{\"cpu\":{\"shares\":2,\"cpus\":\"0\"}}", "cpu cpuset" },
    { "{\"cpu\":{\"cpus\":\"0\"}}", "cpuset" },
    { "{\"blockIO\":{\"weight\":100},\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0}]}", "io hugetlb" },
    { "{\"unified\":{\"memory.high\":\"1\",\"cgroup.max.depth\":\"3\",\"misc.max\":\"x 1\"}}", "memory misc" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      cleanup_free char *lx = NULL;
      cleanup_err husk_err *err = NULL;
      const char **v = NULL;
      char got[256] = "";
      struct oci_config *c;

      if (asprintf (&lx, "{\"resources\":%s}", cases[i].res) < 0)
        abort ();
      c = config_with (lx);
      if (c == NULL || husk_cgroup_needed (c->linux_->resources, &v, &err) < 0)
        {
          check (false, "needed: %s: %s", cases[i].res, err ? err->msg : "no config");
          oci_config_free (c);
          continue;
        }
      for (const char **p = v; *p; p++)
        snprintf (got + strlen (got), sizeof got - strlen (got), "%s%s", p == v ? "" : " ", *p);
      check (strcmp (got, cases[i].want) == 0, "needed: %s -> \"%s\"", cases[i].res, got);
      free (v);
      oci_config_free (c);
    }
}

/* ---------- the device program ---------- */

/* Runs a program of the instructions husk emits; -1 on anything else. */
static int
run_bpf (const struct bpf_insn *p, size_t n, uint32_t ctx[3])
{
  uint64_t r[11] = { 0 };
  for (size_t pc = 0; pc < n; pc++)
    {
      const struct bpf_insn *i = &p[pc];
      uint64_t src = BPF_SRC (i->code) == BPF_X ? r[i->src_reg] : (uint64_t) (int64_t) i->imm;
      switch (i->code)
        {
        case BPF_LDX | BPF_W | BPF_MEM:
          if (i->src_reg != BPF_REG_1 || i->off < 0 || i->off > 8 || i->off % 4)
            return -1;
          r[i->dst_reg] = ctx[i->off / 4];
          break;
        case BPF_ALU | BPF_AND | BPF_K:
          r[i->dst_reg] = (uint32_t) (r[i->dst_reg] & (uint32_t) i->imm);
          break;
        case BPF_ALU | BPF_RSH | BPF_K:
          r[i->dst_reg] = (uint32_t) r[i->dst_reg] >> i->imm;
          break;
        case BPF_ALU | BPF_MOV | BPF_X:
          r[i->dst_reg] = (uint32_t) r[i->src_reg];
          break;
        case BPF_ALU64 | BPF_MOV | BPF_K:
          r[i->dst_reg] = (uint64_t) (int64_t) i->imm;
          break;
        case BPF_JMP | BPF_JNE | BPF_K:
        case BPF_JMP | BPF_JEQ | BPF_K:
          /* the imm sign-extended to 64 bits, as the kernel does */
          if ((r[i->dst_reg] != src) == (BPF_OP (i->code) == BPF_JNE))
            pc += i->off;
          break;
        case BPF_JMP32 | BPF_JEQ | BPF_K:
          if ((uint32_t) r[i->dst_reg] == (uint32_t) src)
            pc += i->off;
          break;
        case BPF_JMP | BPF_JA:
          pc += i->off;
          break;
        case BPF_JMP | BPF_EXIT:
          return (int) r[0];
        default:
          return -1;
        }
      if (pc + 1 > n)
        return -1;
    }
  return -1; /* fell off the end */
}

struct access {
  char type;
  uint32_t major, minor;
  const char *acc;
  int want; /* 1 allowed, 0 denied */
};

static int
ask (const struct bpf_insn *p, size_t n, const struct access *a)
{
  uint32_t acc = 0, ctx[3];
  for (const char *c = a->acc; *c; c++)
    acc |= *c == 'm' ? BPF_DEVCG_ACC_MKNOD : *c == 'r' ? BPF_DEVCG_ACC_READ : BPF_DEVCG_ACC_WRITE;
  ctx[0] = (acc << 16) | (a->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
  ctx[1] = a->major;
  ctx[2] = a->minor;
  return run_bpf (p, n, ctx);
}

#define END { 0, 0, 0, NULL, 0 }
struct dcase {
  const char *name, *linux_json;
  struct access q[12];
};

static const struct dcase dcases[] = {
  { "no rules: runc's defaults only", "{}",
    { { 'c', 1, 3, "rw", 1 }, { 'c', 1, 9, "r", 1 }, { 'c', 5, 2, "rw", 1 }, { 'c', 136, 7, "rw", 1 },
      { 'c', 10, 200, "rw", 1 }, { 'c', 4, 1, "rw", 0 }, { 'c', 4, 1, "m", 1 }, { 'b', 8, 0, "r", 0 },
      { 'b', 8, 0, "m", 1 }, { 'c', 1, 3, "rwm", 1 }, END } },
  { "runc spec's deny-all", "{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}}",
    { { 'c', 1, 5, "r", 1 }, { 'c', 4, 1, "w", 0 }, { 'b', 7, 0, "rw", 0 }, { 'b', 7, 0, "m", 1 }, END } },
  { "privileged allow-all", "{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwm\"}]}}",
    { { 'c', 4, 1, "rw", 1 }, { 'b', 8, 0, "rwm", 1 }, { 'c', 999, 999, "w", 1 }, END } },
  { "deny all, allow c 4:1 rw",
    "{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
    "{\"allow\":true,\"type\":\"c\",\"major\":4,\"minor\":1,\"access\":\"rw\"}]}}",
    { { 'c', 4, 1, "r", 1 }, { 'c', 4, 1, "rw", 1 }, { 'c', 4, 2, "r", 0 }, { 'b', 4, 1, "r", 0 }, END } },
  { "allow all, then deny b 8:0 (last wins)",
    "{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwm\"},"
    "{\"allow\":false,\"type\":\"b\",\"major\":8,\"minor\":0,\"access\":\"rwm\"}]}}",
    { { 'b', 8, 0, "r", 0 }, { 'b', 8, 0, "w", 0 }, { 'b', 8, 1, "r", 1 }, { 'c', 8, 0, "r", 1 },
      { 'b', 8, 0, "m", 1 }, END } },
  { "deny write only: O_RDWR is denied, O_RDONLY allowed",
    "{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwm\"},"
    "{\"allow\":false,\"type\":\"c\",\"major\":4,\"minor\":1,\"access\":\"w\"}]}}",
    { { 'c', 4, 1, "r", 1 }, { 'c', 4, 1, "w", 0 }, { 'c', 4, 1, "rw", 0 }, END } },
  { "split allows combine (r, then w)",
    "{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
    "{\"allow\":true,\"type\":\"c\",\"major\":4,\"minor\":1,\"access\":\"r\"},"
    "{\"allow\":true,\"type\":\"c\",\"major\":4,\"minor\":1,\"access\":\"w\"}]}}",
    { { 'c', 4, 1, "rw", 1 }, { 'c', 4, 1, "r", 1 }, END } },
  { "major wildcard, type a",
    "{\"resources\":{\"devices\":[{\"allow\":true,\"major\":7,\"access\":\"r\"}]}}",
    { { 'b', 7, 3, "r", 1 }, { 'c', 7, 9, "r", 1 }, { 'b', 7, 3, "w", 0 }, { 'b', 6, 3, "r", 0 }, END } },
  { "a deny of /dev/null loses to runc's defaults appended after it",
    "{\"resources\":{\"devices\":[{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"}]}}",
    { { 'c', 1, 3, "rw", 1 }, END } }, /* runc appends its defaults after: they win */
  { "majors and minors of 2^31 and more",
    "{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
    "{\"allow\":true,\"type\":\"c\",\"major\":3000000000,\"minor\":4294967295,\"access\":\"rw\"}]}}",
    { { 'c', 3000000000u, 4294967295u, "rw", 1 }, { 'c', 3000000000u, 1, "r", 0 },
      { 'c', 1, 4294967295u, "r", 0 }, END } },
  { "linux.devices /dev/null drops runc's /dev/null rule",
    "{\"devices\":[{\"path\":\"/dev/null\",\"type\":\"c\",\"major\":1,\"minor\":3}]}",
    { { 'c', 1, 3, "rw", 0 }, { 'c', 1, 5, "rw", 1 }, END } },
};

static void
test_devices (void)
{
  for (size_t i = 0; i < sizeof dcases / sizeof dcases[0]; i++)
    {
      const struct dcase *d = &dcases[i];
      struct oci_config *c = config_with (d->linux_json);
      cleanup_err husk_err *err = NULL;
      cleanup_free void *insns = NULL;
      size_t n = 0;

      if (c == NULL || husk_cgroup_device_program (c->linux_, &insns, &n, &err) < 0)
        {
          check (false, "devices: %s: %s", d->name, err ? err->msg : "no config");
          oci_config_free (c);
          continue;
        }
      for (const struct access *a = d->q; a->acc; a++)
        {
          int got = ask (insns, n, a);
          check (got == a->want, "devices: %s: %c %u:%u %s -> %s", d->name, a->type, a->major,
                 a->minor, a->acc, got == 1 ? "allowed" : got == 0 ? "denied" : "BAD PROGRAM");
        }
      oci_config_free (c);
    }
}

/* ---------- paths ---------- */

static void
test_resolve (void)
{
  static const struct { const char *in, *want, *want_err; } cases[] = {
    { "/a/b", "/a/b", NULL },
    { "/a/../../b/./c//", "/b/c", NULL },
    { "system.slice:docker:abc", NULL, "systemd's \"slice:prefix:name\" form" },
    { "/", NULL, "names the root cgroup" },
    { "/..", NULL, "names the root cgroup" },
  };
  const char *mnt;
  cleanup_err husk_err *merr = NULL;

  if (husk_cgroup_mount (&mnt, &merr) < 0)
    {
      printf ("ok %d - resolve # SKIP %s\n", ++n_tests, merr->msg);
      return;
    }
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      cleanup_free char *out = NULL;
      cleanup_err husk_err *err = NULL;
      if (husk_cgroup_resolve (cases[i].in, "id", &out, &err) < 0)
        check (cases[i].want_err && strstr (err->msg, cases[i].want_err),
               "resolve \"%s\": %s", cases[i].in, err->msg);
      else
        check (cases[i].want && strncmp (out, mnt, strlen (mnt)) == 0
               && strcmp (out + strlen (mnt), cases[i].want) == 0,
               "resolve \"%s\" -> %s", cases[i].in, out);
    }
  {
    cleanup_free char *a = NULL, *b = NULL;
    cleanup_err husk_err *err = NULL;
    /* relative and absent resolve beside husk's own cgroup */
    bool ok = husk_cgroup_resolve ("x/../y", "id", &a, &err) == 0
              && husk_cgroup_resolve (NULL, "id", &b, &err) == 0;
    check (ok && strlen (a) > 2 && strcmp (a + strlen (a) - 2, "/y") == 0
           && strlen (b) > 3 && strcmp (b + strlen (b) - 3, "/id") == 0
           && strncmp (a, b, strlen (a) - 1) == 0,
           "resolve relative \"x/../y\" -> %s, absent -> %s", a ? a : "?", b ? b : "?");
  }
}

/* ---------- events JSON ---------- */

static void
test_json (void)
{
  struct husk_cgroup_kv raw[] = { { (char *) "file", 4096 }, { (char *) "anon", 8192 } };
  struct husk_cgroup_blkio_entry io[] = { { 254, 0, "Read", 512 } };
  struct husk_cgroup_hugetlb h[] = { { (char *) "2MB", 0, 0, 3 } };
  struct husk_cgroup_stats s = { 0 };
  cleanup_free char *out = NULL;
  cleanup_err husk_err *err = NULL;
  const char *want =
      "{\"type\":\"stats\",\"id\":\"c1\",\"data\":{\"cpu\":{\"usage\":{\"total\":3000,\"kernel\":1000,"
      "\"user\":2000},\"throttling\":{\"periods\":10,\"throttledPeriods\":4,\"throttledTime\":5000}},"
      "\"cpuset\":{\"cpu_exclusive\":0,\"mem_hardwall\":0,\"mem_exclusive\":0,\"memory_migrate\":0,"
      "\"memory_spread_page\":0,\"memory_spread_slab\":0,\"memory_pressure\":0,\"sched_load_balance\":0,"
      "\"sched_relax_domain_level\":0},\"memory\":{\"cache\":4096,\"usage\":{\"limit\":18446744073709551615,"
      "\"usage\":12288,\"max\":20000,\"failcnt\":1},\"swap\":{\"limit\":18446744073709551615,\"usage\":12288,"
      "\"failcnt\":0},\"kernel\":{\"limit\":0,\"failcnt\":0},\"kernelTCP\":{\"limit\":0,\"failcnt\":0},"
      "\"raw\":{\"anon\":8192,\"file\":4096}},\"pids\":{\"current\":2},\"blkio\":{\"ioServiceBytesRecursive\":"
      "[{\"major\":254,\"op\":\"Read\",\"value\":512}]},\"hugetlb\":{\"2MB\":{\"failcnt\":3}},"
      "\"intel_rdt\":{},\"network_interfaces\":null}}";

  s.cpu.total = 3000, s.cpu.kernel = 1000, s.cpu.user = 2000;
  s.cpu.periods = 10, s.cpu.throttled_periods = 4, s.cpu.throttled_time = 5000;
  s.memory.cache = 4096, s.memory.usage = 12288, s.memory.limit = UINT64_MAX;
  s.memory.max = 20000, s.memory.failcnt = 1;
  s.memory.swap_usage = 12288, s.memory.swap_limit = UINT64_MAX;
  s.memory.raw = raw, s.memory.n_raw = 2;
  s.pids.current = 2;
  s.io_service_bytes = io, s.n_io_service_bytes = 1;
  s.hugetlb = h, s.n_hugetlb = 1;
  if (husk_cgroup_stats_json ("c1", &s, &out, &err) < 0)
    check (false, "stats json: %s", err->msg);
  else
    check (strcmp (out, want) == 0, "stats json as runc writes it%s%s", strcmp (out, want) ? ": " : "",
           strcmp (out, want) ? out : "");
}

int
main (void)
{
  test_translate ();
  test_needed ();
  test_devices ();
  test_resolve ();
  test_json ();
  printf ("1..%d\n", n_tests);
  if (n_failed)
    printf ("# %d of %d failed\n", n_failed, n_tests);
  return n_failed ? 1 : 0;
}
