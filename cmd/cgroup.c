/* The commands of a container's cgroup that report or change it: update
 * and events (pause and resume live with the lifecycle). */
#include "cmd.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "../lib/cleanup.h"
#include "../lib/fs.h"
#include "../specs/specs.h"

enum
{
  O_STATS,
  O_INTERVAL,
  O_RESOURCES,
  O_UPDATE_VALUE, /* every runc update flag with a value */
};

static const struct cmd_opt events_opts[] = {
  { "interval", 0, "DURATION", O_INTERVAL, "stats collection interval (default 5s)" },
  { "stats", 0, NULL, O_STATS, "print the container's stats once and exit" },
  { 0 },
};

static const struct cmd_opt update_opts[] = {
  { "resources", 'r', "FILE", O_RESOURCES,
    "read the linux.resources JSON from FILE ('-' for stdin); the other "
    "flags are then ignored" },
  { "blkio-weight", 0, "N", O_UPDATE_VALUE, "block IO weight, 10 to 1000" },
  { "cpu-period", 0, "USECS", O_UPDATE_VALUE, "CPU CFS period" },
  { "cpu-quota", 0, "USECS", O_UPDATE_VALUE, "CPU CFS quota per period" },
  { "cpu-share", 0, "N", O_UPDATE_VALUE, "CPU shares (relative weight)" },
  { "cpu-rt-period", 0, "USECS", O_UPDATE_VALUE, "CPU realtime period" },
  { "cpu-rt-runtime", 0, "USECS", O_UPDATE_VALUE, "CPU realtime runtime per period" },
  { "cpuset-cpus", 0, "CPUS", O_UPDATE_VALUE, "CPUs to use (0-3,5)" },
  { "cpuset-mems", 0, "NODES", O_UPDATE_VALUE, "memory nodes to use" },
  { "memory", 0, "BYTES", O_UPDATE_VALUE, "memory limit" },
  { "memory-reservation", 0, "BYTES", O_UPDATE_VALUE, "memory soft limit" },
  { "memory-swap", 0, "BYTES", O_UPDATE_VALUE,
    "memory + swap limit; -1 for unlimited swap" },
  { "kernel-memory", 0, "BYTES", O_UPDATE_VALUE, "kernel memory limit (cgroup v1 only)" },
  { "kernel-memory-tcp", 0, "BYTES", O_UPDATE_VALUE,
    "kernel TCP memory limit (cgroup v1 only)" },
  { "pids-limit", 0, "N", O_UPDATE_VALUE, "maximum number of pids" },
  { "l3-cache-schema", 0, "SCHEMA", O_UPDATE_VALUE, "Intel RDT/CAT L3 cache schema" },
  { "mem-bw-schema", 0, "SCHEMA", O_UPDATE_VALUE, "Intel RDT/MBA memory bandwidth schema" },
  { 0 },
};

/* ---------- update ---------- */

enum value_kind { V_INT, V_BYTES, V_STRING };

/* runc's update flags and the linux.resources fields they set. */
static const struct
{
  const char *flag, *section, *key;
  enum value_kind kind;
} update_fields[] = {
  { "memory", "memory", "limit", V_BYTES },
  { "memory-reservation", "memory", "reservation", V_BYTES },
  { "memory-swap", "memory", "swap", V_BYTES },
  { "kernel-memory", "memory", "kernel", V_BYTES },
  { "kernel-memory-tcp", "memory", "kernelTCP", V_BYTES },
  { "cpu-share", "cpu", "shares", V_INT },
  { "cpu-quota", "cpu", "quota", V_INT },
  { "cpu-period", "cpu", "period", V_INT },
  { "cpu-rt-runtime", "cpu", "realtimeRuntime", V_INT },
  { "cpu-rt-period", "cpu", "realtimePeriod", V_INT },
  { "cpuset-cpus", "cpu", "cpus", V_STRING },
  { "cpuset-mems", "cpu", "mems", V_STRING },
  { "blkio-weight", "blockIO", "weight", V_INT },
  { "pids-limit", "pids", "limit", V_INT },
};

/* A size as runc takes it (go-units RAMInBytes: 512, 64k, 1.5g, 2MiB are
 * binary multiples), or -1. */
static int
parse_bytes (const char *flag, const char *s, int64_t *out, husk_err **err)
{
  static const char units[] = "bkmgtp";
  char *end;
  double v;
  const char *u;

  if (strcmp (s, "-1") == 0)
    return *out = -1, 0;
  errno = 0;
  v = strtod (s, &end);
  if (end == s || v < 0 || errno)
    goto bad;
  u = *end ? strchr (units, tolower ((unsigned char) *end)) : units;
  if (u == NULL)
    goto bad;
  if (*end)
    end++;
  if (u > units && (*end == 'b' || *end == 'B'))
    end++;
  else if (u > units && *end == 'i' && (end[1] == 'b' || end[1] == 'B'))
    end += 2;
  if (*end)
    goto bad;
  for (; u > units; u--)
    v *= 1024;
  if (v >= 9.2e18)
    goto bad;
  *out = (int64_t) v;
  return 0;
bad:
  return husk_error (err, 0, "update: --%s: expected a size in bytes (512, "
                     "64k, 1g) or -1, got \"%s\"", flag, s);
}

static const char *
last_value (const struct cmd_args *a, const char *flag)
{
  const char *v = NULL;
  for (size_t i = 0; i < a->n_opts; i++)
    if (strcmp (a->opts[i].opt->name, flag) == 0)
      v = a->opts[i].value;
  return v;
}

static int
gen_field (yajl_gen g, size_t i, const char *v, husk_err **err)
{
  const char *key = update_fields[i].key, *flag = update_fields[i].flag;
  int64_t n;

  yajl_gen_string (g, (const unsigned char *) key, strlen (key));
  if (update_fields[i].kind == V_STRING)
    return yajl_gen_string (g, (const unsigned char *) v, strlen (v)), 0;
  if (update_fields[i].kind == V_BYTES ? parse_bytes (flag, v, &n, err) < 0
      : cmd_parse_int (flag, v, INT64_MIN, INT64_MAX, &n, err) < 0)
    return -1;
  yajl_gen_integer (g, n);
  return 0;
}

/* The flags as a linux.resources document. */
static int
flags_to_json (const struct cmd_args *a, char **out, size_t *len,
               husk_err **err)
{
  static const char *const sections[] = { "memory", "cpu", "blockIO", "pids" };
  const size_t n_fields = sizeof update_fields / sizeof *update_fields;
  const unsigned char *buf;
  yajl_gen g;
  int rc = 0;

  if (last_value (a, "l3-cache-schema") || last_value (a, "mem-bw-schema"))
    return husk_error (err, 0, "update: Intel RDT is not supported");
  g = yajl_gen_alloc (NULL);
  if (g == NULL)
    return husk_error (err, ENOMEM, "update");
  yajl_gen_map_open (g);
  for (size_t s = 0; rc == 0 && s < sizeof sections / sizeof *sections; s++)
    {
      bool open = false;
      for (size_t i = 0; rc == 0 && i < n_fields; i++)
        {
          const char *v = last_value (a, update_fields[i].flag);
          if (v == NULL || strcmp (update_fields[i].section, sections[s]) != 0)
            continue;
          if (!open)
            {
              yajl_gen_string (g, (const unsigned char *) sections[s],
                               strlen (sections[s]));
              yajl_gen_map_open (g);
              open = true;
            }
          rc = gen_field (g, i, v, err);
        }
      if (open && rc == 0)
        yajl_gen_map_close (g);
    }
  if (rc == 0)
    {
      yajl_gen_map_close (g);
      yajl_gen_get_buf (g, &buf, len);
      if ((*out = strndup ((const char *) buf, *len)) == NULL)
        rc = husk_error (err, ENOMEM, "update");
    }
  yajl_gen_free (g);
  return rc;
}

static int
do_update (const struct husk_globals *g, const struct cmd_command *cmd,
           const struct cmd_args *a, int *exit_status, husk_err **err)
{
  const char *file = last_value (a, "resources");
  cleanup_free char *buf = NULL;
  size_t len = 0;

  if (file && strcmp (file, "-") == 0)
    {
      if (fs_read_fd (0, HUSK_CONFIG_MAX, &buf, &len, err) < 0)
        return husk_err_wrap (err, "update: read the resources from stdin");
    }
  else if (file)
    {
      if (fs_read_file_at (AT_FDCWD, file, HUSK_CONFIG_MAX, &buf, &len, err) < 0)
        return husk_err_wrap (err, "update: --resources");
    }
  else if (flags_to_json (a, &buf, &len, err) < 0)
    return -1;
  return husk_update (g, a->pos[0], buf, len, err);
}

/* ---------- events ---------- */

/* A Go duration as runc takes it: "5s", "1.5s", "100ms", "1m30s". */
static int
parse_duration (const char *s, unsigned *ms, husk_err **err)
{
  static const struct { const char *unit; double ms; } units[] = {
    { "ns", 1e-6 }, { "us", 1e-3 }, { "µs", 1e-3 }, { "ms", 1 },
    { "s", 1e3 }, { "m", 6e4 }, { "h", 3.6e6 },
  };
  const char *p = s;
  double total = 0;

  while (*p)
    {
      char *end;
      double v = strtod (p, &end);
      size_t k, best = 0, n = sizeof units / sizeof *units;
      bool found = false;
      if (end == p || v < 0)
        goto bad;
      /* the longest unit that matches ("ms" before "m") */
      for (k = 0; k < n; k++)
        if (strncmp (end, units[k].unit, strlen (units[k].unit)) == 0
            && (!found || strlen (units[k].unit) > strlen (units[best].unit)))
          best = k, found = true;
      if (!found)
        goto bad;
      total += v * units[best].ms;
      p = end + strlen (units[best].unit);
    }
  if (p == s || total < 1 || total > 86400e3)
    goto bad;
  *ms = (unsigned) total;
  return 0;
bad:
  return husk_error (err, 0, "events: --interval: expected a duration from "
                     "1ms to 24h (5s, 100ms, 1m), got \"%s\"", s);
}

static int
print_line (const char *line, void *arg, husk_err **err)
{
  if (printf ("%s\n", line) < 0 || fflush (stdout) != 0)
    return husk_error (err, errno, "events: write");
  return 0;
}

static int
do_events (const struct husk_globals *g, const struct cmd_command *cmd,
           const struct cmd_args *a, int *exit_status, husk_err **err)
{
  const char *interval = last_value (a, "interval");
  bool stats = false;
  unsigned ms = 0;

  for (size_t i = 0; i < a->n_opts; i++)
    if (a->opts[i].opt->id == O_STATS
        && cmd_parse_bool ("--stats", a->opts[i].value, &stats, err) < 0)
      return -1;
  if (interval && parse_duration (interval, &ms, err) < 0)
    return -1;
  return husk_events (g, a->pos[0], stats, ms, print_line, NULL, err);
}

const struct cmd_command cmd_update = {
  .name = "update",
  .usage = "[OPTIONS] ID",
  .summary = "change the resource limits of a running container",
  .description =
      "The fields given (--resources FILE, a linux.resources object, or\n"
      "runc's flags) replace the container's own; the whole set is then\n"
      "written to its cgroup and kept for the next update.\n",
  .opts = update_opts,
  .min_args = 1,
  .max_args = 1,
  .run = do_update,
};

const struct cmd_command cmd_events = {
  .name = "events",
  .usage = "[OPTIONS] ID",
  .summary = "print a container's events and stats as JSON",
  .description =
      "One JSON object a line, as runc prints them: {\"type\":\"stats\",...}\n"
      "every --interval and {\"type\":\"oom\",...} when a process of the\n"
      "container is OOM-killed, until the container stops.  --stats prints\n"
      "the stats once.\n",
  .opts = events_opts,
  .min_args = 1,
  .max_args = 1,
  .run = do_events,
};
