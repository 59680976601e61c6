/* runc's `events` stats line, written with yajl.  Field order, names and
 * omitempty follow runc's types/events.go as Go's encoder writes it: empty
 * structs still appear, maps come out with sorted keys. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "internal.h"

static void
str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static void
u64 (yajl_gen g, const char *key, uint64_t v, bool omitempty)
{
  char buf[24];
  int n;

  if (omitempty && v == 0)
    return;
  str (g, key);
  n = snprintf (buf, sizeof buf, "%" PRIu64, v);
  yajl_gen_number (g, buf, (size_t) n);
}

static void
memory_entry (yajl_gen g, const char *key, uint64_t limit, uint64_t usage,
              uint64_t max, uint64_t failcnt)
{
  str (g, key);
  yajl_gen_map_open (g);
  u64 (g, "limit", limit, false);
  u64 (g, "usage", usage, true);
  u64 (g, "max", max, true);
  u64 (g, "failcnt", failcnt, false);
  yajl_gen_map_close (g);
}

static int
cmp_kv (const void *a, const void *b)
{
  return strcmp (((const struct husk_cgroup_kv *) a)->key,
                 ((const struct husk_cgroup_kv *) b)->key);
}

static void
gen_cpu (yajl_gen g, const struct husk_cgroup_stats *s)
{
  str (g, "cpu");
  yajl_gen_map_open (g);
  str (g, "usage");
  yajl_gen_map_open (g);
  u64 (g, "total", s->cpu.total, true);
  u64 (g, "kernel", s->cpu.kernel, false);
  u64 (g, "user", s->cpu.user, false);
  yajl_gen_map_close (g);
  str (g, "throttling");
  yajl_gen_map_open (g);
  u64 (g, "periods", s->cpu.periods, true);
  u64 (g, "throttledPeriods", s->cpu.throttled_periods, true);
  u64 (g, "throttledTime", s->cpu.throttled_time, true);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);

  /* v2 has no cpuset statistics: runc writes the zero struct. */
  str (g, "cpuset");
  yajl_gen_map_open (g);
  static const char *const zeros[] = {
    "cpu_exclusive", "mem_hardwall", "mem_exclusive", "memory_migrate",
    "memory_spread_page", "memory_spread_slab", "memory_pressure",
    "sched_load_balance", "sched_relax_domain_level", NULL
  };
  for (const char *const *z = zeros; *z; z++)
    u64 (g, *z, 0, false);
  yajl_gen_map_close (g);
}

static int
gen_memory (yajl_gen g, const struct husk_cgroup_stats *s)
{
  struct husk_cgroup_kv *raw = NULL;

  str (g, "memory");
  yajl_gen_map_open (g);
  u64 (g, "cache", s->memory.cache, true);
  memory_entry (g, "usage", s->memory.limit, s->memory.usage, s->memory.max, s->memory.failcnt);
  memory_entry (g, "swap", s->memory.swap_limit, s->memory.swap_usage, 0, 0);
  memory_entry (g, "kernel", 0, 0, 0, 0);
  memory_entry (g, "kernelTCP", 0, 0, 0, 0);
  if (s->memory.n_raw)
    {
      raw = malloc (s->memory.n_raw * sizeof *raw);
      if (raw == NULL)
        return -1;
      memcpy (raw, s->memory.raw, s->memory.n_raw * sizeof *raw);
      qsort (raw, s->memory.n_raw, sizeof *raw, cmp_kv);
      str (g, "raw");
      yajl_gen_map_open (g);
      for (size_t i = 0; i < s->memory.n_raw; i++)
        u64 (g, raw[i].key, raw[i].value, false);
      yajl_gen_map_close (g);
      free (raw);
    }
  yajl_gen_map_close (g);
  return 0;
}

static void
blkio_list (yajl_gen g, const char *key, const struct husk_cgroup_blkio_entry *e,
            size_t n)
{
  if (n == 0)
    return;
  str (g, key);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    {
      yajl_gen_map_open (g);
      u64 (g, "major", e[i].major, true);
      u64 (g, "minor", e[i].minor, true);
      str (g, "op");
      str (g, e[i].op);
      u64 (g, "value", e[i].value, true);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
}

static int
cmp_hugetlb (const void *a, const void *b)
{
  return strcmp (((const struct husk_cgroup_hugetlb *) a)->pagesize,
                 ((const struct husk_cgroup_hugetlb *) b)->pagesize);
}

static int
gen_rest (yajl_gen g, const struct husk_cgroup_stats *s)
{
  struct husk_cgroup_hugetlb *h = NULL;

  str (g, "pids");
  yajl_gen_map_open (g);
  u64 (g, "current", s->pids.current, true);
  u64 (g, "limit", s->pids.limit, true);
  yajl_gen_map_close (g);

  str (g, "blkio");
  yajl_gen_map_open (g);
  blkio_list (g, "ioServiceBytesRecursive", s->io_service_bytes, s->n_io_service_bytes);
  blkio_list (g, "ioServicedRecursive", s->io_serviced, s->n_io_serviced);
  yajl_gen_map_close (g);

  str (g, "hugetlb");
  yajl_gen_map_open (g);
  if (s->n_hugetlb)
    {
      h = malloc (s->n_hugetlb * sizeof *h);
      if (h == NULL)
        return -1;
      memcpy (h, s->hugetlb, s->n_hugetlb * sizeof *h);
      qsort (h, s->n_hugetlb, sizeof *h, cmp_hugetlb);
    }
  for (size_t i = 0; i < s->n_hugetlb; i++)
    {
      str (g, h[i].pagesize);
      yajl_gen_map_open (g);
      u64 (g, "usage", h[i].usage, true);
      u64 (g, "max", h[i].max, true);
      u64 (g, "failcnt", h[i].failcnt, false);
      yajl_gen_map_close (g);
    }
  free (h);
  yajl_gen_map_close (g);

  str (g, "intel_rdt");
  yajl_gen_map_open (g);
  yajl_gen_map_close (g);
  str (g, "network_interfaces");
  yajl_gen_null (g);
  return 0;
}

int
husk_cgroup_stats_json (const char *id, const struct husk_cgroup_stats *s,
                        char **out, husk_err **err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  int ok;

  if (g == NULL)
    return husk_error (err, ENOMEM, "cgroup: stats JSON");
  yajl_gen_map_open (g);
  str (g, "type");
  str (g, "stats");
  str (g, "id");
  str (g, id);
  str (g, "data");
  yajl_gen_map_open (g);
  gen_cpu (g, s);
  ok = gen_memory (g, s) == 0 && gen_rest (g, s) == 0;
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  if (!ok || yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok
      || (*out = strndup ((const char *) buf, len)) == NULL)
    {
      yajl_gen_free (g);
      return husk_error (err, ENOMEM, "cgroup: stats JSON");
    }
  yajl_gen_free (g);
  return 0;
}
