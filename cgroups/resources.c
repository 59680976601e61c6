/* linux.resources -> cgroup v2 files, as runc's fs2 driver writes them.
 * The translation is a pure function (table-tested); applying it writes the
 * files in order and adds what depends on the live cgroup. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "../lib/log.h"
#include "internal.h"

#define CPU_PERIOD_DEFAULT 100000

struct wlist {
  struct husk_cgroup_write *v;
  size_t n, cap;
};

static int
push (struct wlist *l, husk_err **err, const char *file, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static int
push (struct wlist *l, husk_err **err, const char *file, const char *fmt, ...)
{
  struct husk_cgroup_write *w;
  va_list ap;
  int r;

  if (l->n == l->cap)
    {
      struct husk_cgroup_write *nv = realloc (l->v, (l->cap * 2 + 8) * sizeof *nv);
      if (nv == NULL)
        return husk_error (err, ENOMEM, "cgroup: %s", file);
      l->v = nv;
      l->cap = l->cap * 2 + 8;
    }
  w = &l->v[l->n];
  w->file = strdup (file);
  va_start (ap, fmt);
  r = vasprintf (&w->value, fmt, ap);
  va_end (ap);
  if (w->file == NULL || r < 0)
    {
      free (w->file);
      return husk_error (err, ENOMEM, "cgroup: %s", file);
    }
  l->n++;
  return 0;
}

/* runc's numToStr for .max/.low files: 0 is "unset", -1 is "max". */
static int
push_limit (struct wlist *l, husk_err **err, const char *file, int64_t v)
{
  if (v == 0)
    return 0;
  if (v == -1)
    return push (l, err, file, "max");
  return push (l, err, file, "%" PRId64, v);
}

/* ---------- what is set ---------- */

static bool
memory_set (const struct oci_memory *m)
{
  return m && ((m->has_limit && m->limit) || (m->has_reservation && m->reservation)
               || (m->has_swap && m->swap));
}

static bool
io_set (const struct oci_block_io *b)
{
  return b && ((b->has_weight && b->weight) || b->n_weight_device
               || b->n_throttle_read_bps_device || b->n_throttle_write_bps_device
               || b->n_throttle_read_iops_device || b->n_throttle_write_iops_device);
}

static bool
cpu_set (const struct oci_cpu *c)
{
  return c && ((c->has_shares && c->shares) || (c->has_quota && c->quota)
               || (c->has_period && c->period) || c->has_burst || c->has_idle);
}

static bool
cpuset_set (const struct oci_cpu *c)
{
  return c && ((c->cpus && *c->cpus) || (c->mems && *c->mems));
}

static const char *const known_controllers[] = {
  "cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc", NULL
};

static int
add_needed (const char **v, size_t *n, const char *c)
{
  for (size_t i = 0; i < *n; i++)
    if (strcmp (v[i], c) == 0)
      return 0;
  v[(*n)++] = c;
  return 0;
}

/* The controller a unified key belongs to; NULL for cgroup core files. */
static int
unified_controller (const char *key, const char **out, husk_err **err)
{
  const char *dot = strchr (key, '.');

  if (strchr (key, '/') || dot == NULL || dot == key)
    return husk_error (err, 0,
                       "config.json: linux.resources.unified: \"%s\": expected a "
                       "file name of the form CONTROLLER.PARAMETER", key);
  *out = NULL;
  if (strncmp (key, "cgroup.", 7) == 0)
    return 0;
  for (const char *const *c = known_controllers; *c; c++)
    if (strlen (*c) == (size_t) (dot - key) && strncmp (key, *c, (size_t) (dot - key)) == 0)
      {
        *out = *c;
        return 0;
      }
  return husk_error (err, 0,
                     "config.json: linux.resources.unified: \"%s\" names no file "
                     "of a cgroup v2 controller", key);
}

int
husk_cgroup_needed (const struct oci_resources *r, const char ***out,
                    husk_err **err)
{
  size_t n = 0, cap = 8 + (r ? r->n_unified : 0);
  const char **v = calloc (cap + 1, sizeof *v);

  if (v == NULL)
    return husk_error (err, ENOMEM, "cgroup: controllers");
  if (r && r->pids && r->pids->has_limit && r->pids->limit)
    add_needed (v, &n, "pids");
  if (r && memory_set (r->memory))
    add_needed (v, &n, "memory");
  if (r && io_set (r->block_io))
    add_needed (v, &n, "io");
  if (r && cpu_set (r->cpu))
    add_needed (v, &n, "cpu");
  if (r && cpuset_set (r->cpu))
    add_needed (v, &n, "cpuset");
  if (r && r->n_hugepage_limits)
    add_needed (v, &n, "hugetlb");
  if (r && r->n_rdma)
    add_needed (v, &n, "rdma");
  for (size_t i = 0; r && i < r->n_unified; i++)
    {
      const char *c;
      if (unified_controller (r->unified[i].key, &c, err) < 0)
        {
          free (v);
          return -1;
        }
      if (c)
        add_needed (v, &n, c);
    }
  *out = v;
  return 0;
}

/* ---------- the translation ---------- */

/* runc's ConvertMemorySwapToCgroupV2Value: OCI's swap is memory+swap, v2's
 * memory.swap.max is swap alone. */
static int
swap_v2 (int64_t swap, int64_t limit, int64_t *out, husk_err **err)
{
  if (limit == -1 && swap == 0)
    *out = -1;
  else if (swap == -1 || swap == 0)
    *out = swap;
  else if (limit == 0 || limit == -1)
    return husk_error (err, 0, "config.json: linux.resources.memory.swap: a swap "
                       "limit needs a memory limit");
  else if (limit < 0)
    return husk_error (err, 0, "config.json: linux.resources.memory.limit: "
                       "invalid value %" PRId64, limit);
  else if (swap < limit)
    return husk_error (err, 0, "config.json: linux.resources.memory.swap: "
                       "memory+swap limit (%" PRId64 ") must be >= memory limit "
                       "(%" PRId64 ")", swap, limit);
  else
    *out = swap - limit;
  return 0;
}

static int
translate_memory (const struct oci_memory *m, struct wlist *l, husk_err **err)
{
  int64_t limit, swap, res, sw = 0;

  if (!memory_set (m))
    return 0;
  limit = m->has_limit ? m->limit : 0;
  swap = m->has_swap ? m->swap : 0;
  res = m->has_reservation ? m->reservation : 0;
  if (swap_v2 (swap, limit, &sw, err) < 0)
    return -1;
  /* memory == swap: no swap at all, written as "0" (not "unset"). */
  if (sw == 0 && swap > 0 && push (l, err, "memory.swap.max", "0") < 0)
    return -1;
  if (push_limit (l, err, "memory.swap.max", sw) < 0
      || push_limit (l, err, "memory.max", limit) < 0
      || push_limit (l, err, "memory.low", res) < 0)
    return -1;
  return 0;
}

static int
push_throttle (struct wlist *l, husk_err **err, const char *key,
               const struct oci_throttle_device *t, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (t[i].rate
        && push (l, err, "io.max", "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t[i].major,
                 t[i].minor, key, t[i].rate) < 0)
      return -1;
  return 0;
}

static int
translate_io (const struct oci_block_io *b, const struct husk_cgroup_host *h,
              struct wlist *l, husk_err **err)
{
  if (!io_set (b))
    return 0;
  if (b->has_weight && b->weight)
    {
      if (h->bfq)
        {
          if (push (l, err, "io.bfq.weight", "%u", (unsigned) b->weight) < 0)
            return -1;
        }
      else if (b->weight < 10 || b->weight > 1000)
        return husk_error (err, 0, "config.json: linux.resources.blockIO.weight: "
                           "expected 10 to 1000, got %u", (unsigned) b->weight);
      /* runc's ConvertBlkIOToIOWeightValue: [10, 1000] -> [1, 10000]. */
      else if (push (l, err, "io.weight", "%u",
                     1 + ((unsigned) b->weight - 10) * 9999 / 990) < 0)
        return -1;
    }
  /* Only BFQ has per-device weights; without it runc drops them. */
  for (size_t i = 0; h->bfq_per_device && i < b->n_weight_device; i++)
    {
      const struct oci_weight_device *w = &b->weight_device[i];
      if (w->has_weight
          && push (l, err, "io.bfq.weight", "%" PRId64 ":%" PRId64 " %u", w->major,
                   w->minor, (unsigned) w->weight) < 0)
        return -1;
    }
  if (push_throttle (l, err, "rbps", b->throttle_read_bps_device, b->n_throttle_read_bps_device) < 0
      || push_throttle (l, err, "wbps", b->throttle_write_bps_device, b->n_throttle_write_bps_device) < 0
      || push_throttle (l, err, "riops", b->throttle_read_iops_device, b->n_throttle_read_iops_device) < 0
      || push_throttle (l, err, "wiops", b->throttle_write_iops_device, b->n_throttle_write_iops_device) < 0)
    return -1;
  return 0;
}

static int
translate_cpu (const struct oci_cpu *c, struct wlist *l, husk_err **err)
{
  int64_t quota;
  uint64_t period;

  if (!cpu_set (c))
    return 0;
  if (c->has_idle && push (l, err, "cpu.idle", "%" PRId64, c->idle) < 0)
    return -1;
  if (c->has_shares && c->shares)
    {
      /* runc's ConvertCPUSharesToCgroupV2Value: [2, 262144] -> [1, 10000]. */
      if (c->shares < 2)
        return husk_error (err, 0, "config.json: linux.resources.cpu.shares: "
                           "expected at least 2, got %" PRIu64, c->shares);
      if (push (l, err, "cpu.weight", "%" PRIu64, 1 + ((c->shares - 2) * 9999) / 262142) < 0)
        return -1;
    }
  quota = c->has_quota ? c->quota : 0;
  period = c->has_period ? c->period : 0;
  if (quota || period)
    {
      if (period == 0)
        period = CPU_PERIOD_DEFAULT;
      if (quota > 0 ? push (l, err, "cpu.max", "%" PRId64 " %" PRIu64, quota, period)
                    : push (l, err, "cpu.max", "max %" PRIu64, period))
        return -1;
    }
  /* After cpu.max: the kernel refuses a burst above the quota in force. */
  if (c->has_burst && push (l, err, "cpu.max.burst", "%" PRIu64, c->burst) < 0)
    return -1;
  return 0;
}

static int
translate_rest (const struct oci_resources *r, struct wlist *l, husk_err **err)
{
  if (cpuset_set (r->cpu))
    {
      if (r->cpu->cpus && *r->cpu->cpus && push (l, err, "cpuset.cpus", "%s", r->cpu->cpus) < 0)
        return -1;
      if (r->cpu->mems && *r->cpu->mems && push (l, err, "cpuset.mems", "%s", r->cpu->mems) < 0)
        return -1;
    }
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    {
      const struct oci_hugepage_limit *h = &r->hugepage_limits[i];
      cleanup_free char *file = NULL;
      if (h->page_size == NULL || strchr (h->page_size, '/') || *h->page_size == '\0')
        return husk_error (err, 0, "config.json: linux.resources.hugepageLimits[%zu]."
                           "pageSize: expected a size such as \"2MB\"", i);
      if (asprintf (&file, "hugetlb.%s.max", h->page_size) < 0)
        return husk_error (err, ENOMEM, "cgroup: hugetlb");
      if (push (l, err, file, "%" PRIu64, h->limit) < 0)
        return -1;
    }
  for (size_t i = 0; i < r->n_rdma; i++)
    {
      const struct oci_rdma_limit *d = &r->rdma[i];
      char handles[32] = "", objects[32] = "";
      if (d->has_hca_handles)
        snprintf (handles, sizeof handles, " hca_handle=%" PRIu32, d->hca_handles);
      if (d->has_hca_objects)
        snprintf (objects, sizeof objects, " hca_object=%" PRIu32, d->hca_objects);
      if (push (l, err, "rdma.max", "%s%s%s", d->device, handles, objects) < 0)
        return -1;
    }
  for (size_t i = 0; i < r->n_unified; i++)
    {
      const char *c;
      if (unified_controller (r->unified[i].key, &c, err) < 0
          || push (l, err, r->unified[i].key, "%s", r->unified[i].value) < 0)
        return -1;
    }
  return 0;
}

int
husk_cgroup_translate (const struct oci_resources *r,
                       const struct husk_cgroup_host *host,
                       struct husk_cgroup_write **out, size_t *n,
                       husk_err **err)
{
  static const struct husk_cgroup_host no_bfq = { 0 };
  struct wlist l = { 0 };

  if (host == NULL)
    host = &no_bfq;
  if (r && ((r->pids && r->pids->has_limit && push_limit (&l, err, "pids.max", r->pids->limit) < 0)
            || translate_memory (r->memory, &l, err) < 0
            || translate_io (r->block_io, host, &l, err) < 0
            || translate_cpu (r->cpu, &l, err) < 0
            || translate_rest (r, &l, err) < 0))
    {
      husk_cgroup_writes_free (l.v, l.n);
      return -1;
    }
  *out = l.v;
  *n = l.n;
  return 0;
}

void
husk_cgroup_writes_free (struct husk_cgroup_write *w, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (w[i].file);
      free (w[i].value);
    }
  free (w);
}

/* ---------- applying ---------- */

/* io.bfq.weight reads "default 100" (plus per-device lines) on kernels that
 * take per-device weights, a bare number before. */
static void
probe_host (struct husk_cgroup *cg, struct husk_cgroup_host *h)
{
  cleanup_free char *bfq = NULL;
  uint64_t v;

  h->bfq = cg_read (cg, "io.bfq.weight", &bfq, NULL) == 0;
  h->bfq_per_device = h->bfq && cg_parse_u64 (bfq, &v) < 0;
}

/* runc's CheckMemoryUsage: with memory.checkBeforeUpdate, refuse a limit at
 * or below what the cgroup already uses. */
static int
check_memory_usage (struct husk_cgroup *cg, const struct oci_memory *m,
                    husk_err **err)
{
  cleanup_free char *cur = NULL;
  uint64_t usage;

  if (!m || !m->has_check_before_update || !m->check_before_update)
    return 0;
  if (!(m->has_limit && m->limit > 0) && !(m->has_swap && m->swap > 0))
    return 0;
  if (cg_read (cg, "memory.current", &cur, err) < 0)
    return -1;
  if (cg_parse_u64 (cur, &usage) < 0)
    return husk_error (err, 0, "cgroup: %s/memory.current: not a number", cg->path);
  if (m->has_swap && m->swap > 0 && (uint64_t) m->swap <= usage)
    return husk_error (err, 0, "cgroup: rejecting memory+swap limit %" PRId64
                       " <= usage %" PRIu64, m->swap, usage);
  if (m->has_limit && m->limit > 0 && (uint64_t) m->limit <= usage)
    return husk_error (err, 0, "cgroup: rejecting memory limit %" PRId64
                       " <= usage %" PRIu64, m->limit, usage);
  return 0;
}

/* Fields cgroup v2 has no file for: ignored, as runc ignores them. */
static void
warn_ignored (const struct oci_resources *r)
{
  const struct oci_memory *m = r->memory;
  const struct oci_cpu *c = r->cpu;

  if (m && (m->has_kernel || m->has_kernel_tcp))
    husk_warn ("linux.resources.memory.kernel and kernelTCP are ignored on cgroup v2");
  if (m && (m->has_swappiness || m->has_disable_oom_killer))
    husk_warn ("linux.resources.memory.swappiness and disableOOMKiller are ignored on cgroup v2");
  if (c && (c->has_realtime_runtime || c->has_realtime_period))
    husk_warn ("linux.resources.cpu.realtimeRuntime and realtimePeriod are ignored on cgroup v2");
  if (r->network)
    husk_warn ("linux.resources.network is ignored on cgroup v2");
}

/* update's limits may need a controller create did not: refuse one the
 * host lacks by name, as create does, rather than by ENOENT on its file. */
static int
check_controllers (const char *mnt, const struct oci_resources *r, husk_err **err)
{
  const char **needed = NULL;
  int rc;

  if (husk_cgroup_needed (r, &needed, err) < 0)
    return -1;
  rc = cg_check_available (mnt, needed, err);
  free (needed);
  return rc;
}

int
husk_cgroup_apply (struct husk_cgroup *cg, const struct oci_linux *linux_,
                   unsigned flags, husk_err **err)
{
  const struct oci_resources *r = linux_ ? linux_->resources : NULL;
  struct oci_resources host_r;
  struct husk_cgroup_host host = { 0 };
  struct husk_cgroup_write *w = NULL;
  const char *mnt;
  size_t n = 0;
  int ret = 0;

  if (husk_cgroup_mount (&mnt, err) < 0)
    return -1;
  r = cg_host_resources (mnt, r, &host_r);
  if (r && r->block_io)
    probe_host (cg, &host);
  if (r && (flags & HUSK_CGROUP_UPDATE)
      && (check_controllers (mnt, r, err) < 0 || check_memory_usage (cg, r->memory, err) < 0))
    return -1;
  if (r)
    warn_ignored (r);
  if (husk_cgroup_translate (r, &host, &w, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n && ret == 0; i++)
    ret = cg_write (cg, w[i].file, w[i].value, err);
  husk_cgroup_writes_free (w, n);
  if (ret < 0 || (flags & HUSK_CGROUP_NO_DEVICES))
    return ret;
  return cg_devices_apply (cg, linux_, err);
}
