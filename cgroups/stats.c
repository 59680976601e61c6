/* Statistics of a container's cgroup, in the shape and units of runc's
 * `events` types (libcontainer/cgroups/fs2 fills them the same way). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "internal.h"

/* Reads a file that may be absent (its controller not enabled): returns 1
 * with *out set, 0 when absent, -1 on error. */
static int
read_optional (struct husk_cgroup *cg, const char *file, char **out, husk_err **err)
{
  cleanup_err husk_err *e = NULL;

  if (cg_read (cg, file, out, &e) == 0)
    return 1;
  if (e->errnum == ENOENT)
    return 0;
  if (err && *err == NULL)
    *err = steal_ptr (&e);
  return -1;
}

static int
read_u64 (struct husk_cgroup *cg, const char *file, uint64_t *v, husk_err **err)
{
  cleanup_free char *s = NULL;
  int r = read_optional (cg, file, &s, err);

  if (r <= 0)
    return r;
  if (cg_parse_u64 (s, v) < 0)
    return husk_error (err, 0, "cgroup: %s/%s: expected a number, got \"%s\"",
                       cg->path, file, s);
  return 1;
}

int
husk_cgroup_read_value (struct husk_cgroup *cg, const char *file,
                        const char *key, uint64_t *v, husk_err **err)
{
  cleanup_free char *s = NULL;
  int r;

  if (key == NULL)
    return read_u64 (cg, file, v, err);
  r = read_optional (cg, file, &s, err);
  if (r <= 0)
    return r;
  r = cg_keyed_value (s, key, v);
  if (r < 0)
    return husk_error (err, 0, "cgroup: %s/%s: %s: expected a number",
                       cg->path, file, key);
  return r;
}

static int
stat_cpu (struct husk_cgroup *cg, struct husk_cgroup_stats *st, husk_err **err)
{
  static const struct { const char *key; size_t off; uint64_t mul; } keys[] = {
    { "usage_usec", offsetof (struct husk_cgroup_stats, cpu.total), 1000 },
    { "user_usec", offsetof (struct husk_cgroup_stats, cpu.user), 1000 },
    { "system_usec", offsetof (struct husk_cgroup_stats, cpu.kernel), 1000 },
    { "nr_periods", offsetof (struct husk_cgroup_stats, cpu.periods), 1 },
    { "nr_throttled", offsetof (struct husk_cgroup_stats, cpu.throttled_periods), 1 },
    { "throttled_usec", offsetof (struct husk_cgroup_stats, cpu.throttled_time), 1000 },
  };
  cleanup_free char *s = NULL;
  int r = read_optional (cg, "cpu.stat", &s, err);

  if (r <= 0)
    return r;
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    {
      uint64_t v;
      if (cg_keyed_value (s, keys[i].key, &v) == 1)
        *(uint64_t *) ((char *) st + keys[i].off) = v * keys[i].mul;
    }
  return 0;
}

static int
parse_raw (const char *s, struct husk_cgroup_kv **out, size_t *n, husk_err **err)
{
  size_t lines = 0;

  for (const char *p = s; *p; p++)
    lines += *p == '\n';
  *out = calloc (lines + 1, sizeof **out);
  if (*out == NULL)
    return husk_error (err, ENOMEM, "cgroup: memory.stat");
  for (const char *p = s; *p;)
    {
      const char *sp = strchr (p, ' '), *nl = strchrnul (p, '\n');
      uint64_t v;
      if (sp && sp < nl && cg_parse_u64 (sp + 1, &v) == 0)
        {
          struct husk_cgroup_kv *kv = &(*out)[*n];
          kv->key = strndup (p, (size_t) (sp - p));
          if (kv->key == NULL)
            return husk_error (err, ENOMEM, "cgroup: memory.stat");
          kv->value = v;
          (*n)++;
        }
      p = *nl ? nl + 1 : nl;
    }
  return 0;
}

static int
stat_memory (struct husk_cgroup *cg, struct husk_cgroup_stats *st, husk_err **err)
{
  cleanup_free char *raw = NULL, *events = NULL;
  uint64_t swap = 0, swap_limit = 0;
  int r = read_optional (cg, "memory.stat", &raw, err);

  if (r <= 0)
    return r;
  if (parse_raw (raw, &st->memory.raw, &st->memory.n_raw, err) < 0)
    return -1;
  for (size_t i = 0; i < st->memory.n_raw; i++)
    if (strcmp (st->memory.raw[i].key, "file") == 0)
      st->memory.cache = st->memory.raw[i].value;
  if (read_u64 (cg, "memory.current", &st->memory.usage, err) < 0
      || read_u64 (cg, "memory.max", &st->memory.limit, err) < 0
      || read_u64 (cg, "memory.peak", &st->memory.max, err) < 0
      || read_u64 (cg, "memory.swap.current", &swap, err) < 0
      || read_u64 (cg, "memory.swap.max", &swap_limit, err) < 0
      || read_optional (cg, "memory.events", &events, err) < 0)
    return -1;
  /* v1 reported memory+swap; runc keeps that for v2. */
  st->memory.swap_usage = swap + st->memory.usage;
  st->memory.swap_limit = swap_limit == UINT64_MAX ? UINT64_MAX
                                                   : swap_limit + st->memory.limit;
  if (events)
    {
      cg_keyed_value (events, "max", &st->memory.failcnt);
      cg_keyed_value (events, "oom", &st->memory.oom);
      cg_keyed_value (events, "oom_kill", &st->memory.oom_kill);
    }
  return 0;
}

static int
stat_pids (struct husk_cgroup *cg, struct husk_cgroup_stats *st, husk_err **err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n;
  int r = read_u64 (cg, "pids.current", &st->pids.current, err);

  if (r < 0)
    return -1;
  if (r == 1)
    {
      if (read_u64 (cg, "pids.max", &st->pids.limit, err) < 0)
        return -1;
      if (st->pids.limit == UINT64_MAX)
        st->pids.limit = 0;
      return 0;
    }
  /* No pids controller: count the members, as runc does. */
  if (husk_cgroup_pids (cg, &pids, &n, err) < 0)
    return -1;
  st->pids.current = n;
  return 0;
}

static int
push_blkio (struct husk_cgroup_blkio_entry **v, size_t *n, uint64_t maj,
            uint64_t min, const char *op, uint64_t value)
{
  struct husk_cgroup_blkio_entry *nv = realloc (*v, (*n + 1) * sizeof *nv);
  if (nv == NULL)
    return -1;
  nv[*n] = (struct husk_cgroup_blkio_entry) { maj, min, op, value };
  *v = nv;
  (*n)++;
  return 0;
}

/* io.stat lines: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N". */
static int
stat_io (struct husk_cgroup *cg, struct husk_cgroup_stats *st, husk_err **err)
{
  cleanup_free char *s = NULL;
  char *save = NULL;
  int r = read_optional (cg, "io.stat", &s, err);

  if (r <= 0)
    return r;
  for (char *line = strtok_r (s, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long maj, min, v;
      char *save2 = NULL, *tok = strtok_r (line, " ", &save2);
      if (tok == NULL || sscanf (tok, "%llu:%llu", &maj, &min) != 2)
        continue;
      while ((tok = strtok_r (NULL, " ", &save2)) != NULL)
        {
          int ok = 0;
          if (sscanf (tok, "rbytes=%llu", &v) == 1)
            ok = push_blkio (&st->io_service_bytes, &st->n_io_service_bytes, maj, min, "Read", v);
          else if (sscanf (tok, "wbytes=%llu", &v) == 1)
            ok = push_blkio (&st->io_service_bytes, &st->n_io_service_bytes, maj, min, "Write", v);
          else if (sscanf (tok, "rios=%llu", &v) == 1)
            ok = push_blkio (&st->io_serviced, &st->n_io_serviced, maj, min, "Read", v);
          else if (sscanf (tok, "wios=%llu", &v) == 1)
            ok = push_blkio (&st->io_serviced, &st->n_io_serviced, maj, min, "Write", v);
          if (ok < 0)
            return husk_error (err, ENOMEM, "cgroup: io.stat");
        }
    }
  return 0;
}

/* "hugepages-2048kB" -> "2MB", as runc names page sizes. */
static void
pagesize_name (const char *dir, char *out, size_t len)
{
  static const char *const units[] = { "B", "KB", "MB", "GB", "TB", "PB" };
  double size = strtod (dir + strlen ("hugepages-"), NULL) * 1024;
  size_t u = 0;

  while (size >= 1024 && u < 5)
    {
      size /= 1024;
      u++;
    }
  snprintf (out, len, "%g%s", size, units[u]);
}

static int
stat_hugetlb (struct husk_cgroup *cg, struct husk_cgroup_stats *st, husk_err **err)
{
  cleanup_dir DIR *d = opendir ("/sys/kernel/mm/hugepages");
  struct dirent *de;

  while (d && (de = readdir (d)) != NULL)
    {
      struct husk_cgroup_hugetlb h = { 0 }, *nv;
      char ps[32], file[64];
      cleanup_free char *events = NULL;
      int r;

      if (strncmp (de->d_name, "hugepages-", 10) != 0)
        continue;
      pagesize_name (de->d_name, ps, sizeof ps);
      snprintf (file, sizeof file, "hugetlb.%s.current", ps);
      r = read_u64 (cg, file, &h.usage, err);
      if (r < 0)
        return -1;
      if (r == 0)
        continue;
      snprintf (file, sizeof file, "hugetlb.%s.events", ps);
      if (read_optional (cg, file, &events, err) < 0)
        return -1;
      if (events)
        cg_keyed_value (events, "max", &h.failcnt);
      nv = realloc (st->hugetlb, (st->n_hugetlb + 1) * sizeof *nv);
      if (nv == NULL || (h.pagesize = strdup (ps)) == NULL)
        {
          if (nv)
            st->hugetlb = nv;
          return husk_error (err, ENOMEM, "cgroup: hugetlb");
        }
      st->hugetlb = nv;
      st->hugetlb[st->n_hugetlb++] = h;
    }
  return 0;
}

int
husk_cgroup_stats (struct husk_cgroup *cg, struct husk_cgroup_stats *out,
                   husk_err **err)
{
  memset (out, 0, sizeof *out);
  if (stat_cpu (cg, out, err) < 0 || stat_memory (cg, out, err) < 0
      || stat_pids (cg, out, err) < 0 || stat_io (cg, out, err) < 0
      || stat_hugetlb (cg, out, err) < 0)
    {
      husk_cgroup_stats_clear (out);
      return -1;
    }
  return 0;
}

void
husk_cgroup_stats_clear (struct husk_cgroup_stats *s)
{
  for (size_t i = 0; i < s->memory.n_raw; i++)
    free (s->memory.raw[i].key);
  free (s->memory.raw);
  free (s->io_service_bytes);
  free (s->io_serviced);
  for (size_t i = 0; i < s->n_hugetlb; i++)
    free (s->hugetlb[i].pagesize);
  free (s->hugetlb);
  memset (s, 0, sizeof *s);
}

/* OOM kills show as memory.events changes; cgroup.events tells when the
 * cgroup emptied.  Both files raise IN_MODIFY. */
int
husk_cgroup_events_fd (struct husk_cgroup *cg, int *fd, husk_err **err)
{
  cleanup_close int in = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  cleanup_free char *mem = NULL, *events = NULL;

  if (in < 0)
    return husk_error (err, errno, "cgroup: inotify");
  if (asprintf (&mem, "%s/memory.events", cg->path) < 0
      || asprintf (&events, "%s/cgroup.events", cg->path) < 0)
    return husk_error (err, ENOMEM, "cgroup: events");
  if (inotify_add_watch (in, mem, IN_MODIFY) < 0 && errno != ENOENT)
    return husk_error (err, errno, "cgroup: watch %s", mem);
  if (inotify_add_watch (in, events, IN_MODIFY) < 0)
    return husk_error (err, errno, "cgroup: watch %s", events);
  *fd = steal_fd (&in);
  return 0;
}
