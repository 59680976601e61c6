/* config.json "linux.resources" (and `update --resources` documents). */
#include "parse.h"

#include <stdlib.h>
#include <string.h>

/* Allocates *out and parses the object `key` of obj into it with fn. */
typedef int (*section_fn) (struct jw *w, yajl_val o, void *out);

static int
get_section (struct jw *w, yajl_val obj, const char *key, size_t size,
             section_fn fn, void **out)
{
  yajl_val o;
  size_t saved;

  if (jw_get_object (w, obj, key, false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  *out = calloc (1, size);
  if (*out == NULL)
    return jw_oom (w);
  saved = jw_push_key (w, key);
  if (fn (w, o, *out) < 0)
    return -1;
  jw_pop (w, saved);
  return 0;
}

/* ---------- devices ---------- */

static int
parse_device_rule (struct jw *w, yajl_val o, void *elem)
{
  static const char *const types[] = { "a", "c", "b", NULL };
  struct oci_device_cgroup *d = elem;
  yajl_val allow = jw_field (o, "allow");

  if (allow == NULL)
    return jw_missing (w, "allow");
  if (jw_get_bool (w, o, "allow", NULL, &d->allow) < 0
      || jw_get_enum (w, o, "type", types, false, &d->type, NULL) < 0
      /* -1 is how some writers spell the wildcard */
      || jw_get_int (w, o, "major", -1, INT64_MAX, false, &d->has_major,
                     &d->major) < 0
      || jw_get_int (w, o, "minor", -1, INT64_MAX, false, &d->has_minor,
                     &d->minor) < 0
      || jw_get_string (w, o, "access", false, &d->access) < 0)
    return -1;
  if (d->access && strspn (d->access, "rwm") != strlen (d->access))
    {
      jw_push_key (w, "access");
      return jw_expected (w, "a combination of r, w and m",
                          jw_field (o, "access"));
    }
  return 0;
}

/* ---------- memory, cpu, pids ---------- */

/* Bytes, or -1 for unlimited. */
static int
get_bytes (struct jw *w, yajl_val o, const char *key, bool *has, int64_t *out)
{
  return jw_get_int (w, o, key, -1, INT64_MAX, false, has, out);
}

static int
parse_memory (struct jw *w, yajl_val o, void *out)
{
  struct oci_memory *m = out;
  return (get_bytes (w, o, "limit", &m->has_limit, &m->limit) < 0
          || get_bytes (w, o, "reservation", &m->has_reservation, &m->reservation) < 0
          || get_bytes (w, o, "swap", &m->has_swap, &m->swap) < 0
          || get_bytes (w, o, "kernel", &m->has_kernel, &m->kernel) < 0
          || get_bytes (w, o, "kernelTCP", &m->has_kernel_tcp, &m->kernel_tcp) < 0
          || jw_get_uint (w, o, "swappiness", 100, false, &m->has_swappiness,
                          &m->swappiness) < 0
          || jw_get_bool (w, o, "disableOOMKiller", &m->has_disable_oom_killer,
                          &m->disable_oom_killer) < 0
          || jw_get_bool (w, o, "useHierarchy", &m->has_use_hierarchy,
                          &m->use_hierarchy) < 0
          || jw_get_bool (w, o, "checkBeforeUpdate",
                          &m->has_check_before_update,
                          &m->check_before_update) < 0)
             ? -1 : 0;
}

static int
parse_cpu (struct jw *w, yajl_val o, void *out)
{
  struct oci_cpu *c = out;
  return (jw_get_u64 (w, o, "shares", false, &c->has_shares, &c->shares) < 0
          || jw_get_i64 (w, o, "quota", false, &c->has_quota, &c->quota) < 0
          || jw_get_u64 (w, o, "burst", false, &c->has_burst, &c->burst) < 0
          || jw_get_u64 (w, o, "period", false, &c->has_period,
                         &c->period) < 0
          || jw_get_i64 (w, o, "realtimeRuntime", false,
                         &c->has_realtime_runtime, &c->realtime_runtime) < 0
          || jw_get_u64 (w, o, "realtimePeriod", false,
                         &c->has_realtime_period, &c->realtime_period) < 0
          || jw_get_string (w, o, "cpus", false, &c->cpus) < 0
          || jw_get_string (w, o, "mems", false, &c->mems) < 0
          || jw_get_i64 (w, o, "idle", false, &c->has_idle, &c->idle) < 0)
             ? -1 : 0;
}

static int
parse_pids (struct jw *w, yajl_val o, void *out)
{
  struct oci_pids *p = out;
  /* 0 and -1 both mean no limit to runc */
  return jw_get_int (w, o, "limit", -1, INT64_MAX, true, &p->has_limit,
                     &p->limit);
}

/* ---------- blockIO ---------- */

static int
parse_block_device (struct jw *w, yajl_val o, int64_t *major, int64_t *minor)
{
  return (jw_get_int (w, o, "major", 0, INT64_MAX, true, NULL, major) < 0
          || jw_get_int (w, o, "minor", 0, INT64_MAX, true, NULL, minor) < 0)
             ? -1 : 0;
}

static int
parse_weight_device (struct jw *w, yajl_val o, void *elem)
{
  struct oci_weight_device *d = elem;
  if (parse_block_device (w, o, &d->major, &d->minor) < 0
      || jw_get_u16 (w, o, "weight", &d->has_weight, &d->weight) < 0
      || jw_get_u16 (w, o, "leafWeight", &d->has_leaf_weight,
                     &d->leaf_weight) < 0)
    return -1;
  if (!d->has_weight && !d->has_leaf_weight)
    return jw_fail (w, "expected weight or leafWeight (or both)");
  return 0;
}

static int
parse_throttle_device (struct jw *w, yajl_val o, void *elem)
{
  struct oci_throttle_device *d = elem;
  return (parse_block_device (w, o, &d->major, &d->minor) < 0
          || jw_get_u64 (w, o, "rate", true, NULL, &d->rate) < 0)
             ? -1 : 0;
}

static int
get_throttle (struct jw *w, yajl_val o, const char *key,
              struct oci_throttle_device **out, size_t *n)
{
  return jw_get_array_of (w, o, key, sizeof **out, parse_throttle_device,
                          (void **) out, n);
}

static int
parse_block_io (struct jw *w, yajl_val o, void *out)
{
  struct oci_block_io *b = out;
  return (jw_get_u16 (w, o, "weight", &b->has_weight, &b->weight) < 0
          || jw_get_u16 (w, o, "leafWeight", &b->has_leaf_weight,
                         &b->leaf_weight) < 0
          || jw_get_array_of (w, o, "weightDevice", sizeof *b->weight_device,
                              parse_weight_device, (void **) &b->weight_device,
                              &b->n_weight_device) < 0
          || get_throttle (w, o, "throttleReadBpsDevice",
                           &b->throttle_read_bps_device,
                           &b->n_throttle_read_bps_device) < 0
          || get_throttle (w, o, "throttleWriteBpsDevice",
                           &b->throttle_write_bps_device,
                           &b->n_throttle_write_bps_device) < 0
          || get_throttle (w, o, "throttleReadIOPSDevice",
                           &b->throttle_read_iops_device,
                           &b->n_throttle_read_iops_device) < 0
          || get_throttle (w, o, "throttleWriteIOPSDevice",
                           &b->throttle_write_iops_device,
                           &b->n_throttle_write_iops_device) < 0)
             ? -1 : 0;
}

/* ---------- hugepages, network, rdma ---------- */

static int
parse_hugepage_limit (struct jw *w, yajl_val o, void *elem)
{
  struct oci_hugepage_limit *h = elem;
  return (jw_get_string (w, o, "pageSize", true, &h->page_size) < 0
          || jw_get_u64 (w, o, "limit", true, NULL, &h->limit) < 0)
             ? -1 : 0;
}

static int
parse_priority (struct jw *w, yajl_val o, void *elem)
{
  struct oci_net_priority *p = elem;
  return (jw_get_string (w, o, "name", true, &p->name) < 0
          || jw_get_u32 (w, o, "priority", true, NULL, &p->priority) < 0)
             ? -1 : 0;
}

static int
parse_network (struct jw *w, yajl_val o, void *out)
{
  struct oci_network_resources *n = out;
  return (jw_get_u32 (w, o, "classID", false, &n->has_class_id,
                      &n->class_id) < 0
          || jw_get_array_of (w, o, "priorities", sizeof *n->priorities,
                              parse_priority, (void **) &n->priorities,
                              &n->n_priorities) < 0)
             ? -1 : 0;
}

static int
parse_rdma (struct jw *w, yajl_val obj, struct oci_resources *r)
{
  yajl_val o;
  size_t saved, n;

  if (jw_get_object (w, obj, "rdma", false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  n = o->u.object.len;
  r->rdma = calloc (n ? n : 1, sizeof *r->rdma);
  if (r->rdma == NULL)
    return jw_oom (w);
  r->n_rdma = n;
  saved = jw_push_key (w, "rdma");
  for (size_t i = 0; i < n; i++)
    {
      struct oci_rdma_limit *d = &r->rdma[i];
      yajl_val v = o->u.object.values[i];
      size_t at = jw_push_map_key (w, o->u.object.keys[i]);

      d->device = strdup (o->u.object.keys[i]);
      if (d->device == NULL)
        return jw_oom (w);
      if (jw_need_object (w, v) < 0
          || jw_get_u32 (w, v, "hcaHandles", false, &d->has_hca_handles,
                         &d->hca_handles) < 0
          || jw_get_u32 (w, v, "hcaObjects", false, &d->has_hca_objects,
                         &d->hca_objects) < 0)
        return -1;
      if (!d->has_hca_handles && !d->has_hca_objects)
        return jw_fail (w, "expected hcaHandles or hcaObjects (or both)");
      jw_pop (w, at);
    }
  jw_pop (w, saved);
  return 0;
}

int
oci_parse_resources (struct jw *w, yajl_val o, struct oci_resources *r)
{
  if (jw_get_array_of (w, o, "devices", sizeof *r->devices, parse_device_rule,
                       (void **) &r->devices, &r->n_devices) < 0
      || get_section (w, o, "memory", sizeof *r->memory, parse_memory,
                      (void **) &r->memory) < 0
      || get_section (w, o, "cpu", sizeof *r->cpu, parse_cpu,
                      (void **) &r->cpu) < 0
      || get_section (w, o, "pids", sizeof *r->pids, parse_pids,
                      (void **) &r->pids) < 0
      || get_section (w, o, "blockIO", sizeof *r->block_io, parse_block_io,
                      (void **) &r->block_io) < 0
      || jw_get_array_of (w, o, "hugepageLimits", sizeof *r->hugepage_limits,
                          parse_hugepage_limit, (void **) &r->hugepage_limits,
                          &r->n_hugepage_limits) < 0
      || get_section (w, o, "network", sizeof *r->network, parse_network,
                      (void **) &r->network) < 0
      || parse_rdma (w, o, r) < 0
      || jw_get_kv (w, o, "unified", &r->unified, &r->n_unified) < 0)
    return -1;
  return 0;
}
