/* husk job: the flags of a one-shot isolated command, checked and turned
 * into husk_job_opts for runtime/job.c. */
#include "cmd.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"

enum
{
  J_ROOTFS,
  J_BIND,
  J_TMPFS,
  J_WORKDIR,
  J_ENV,
  J_USER,
  J_HOSTNAME,
  J_MEMORY,
  J_CPUS,
  J_PIDS,
  J_TIMEOUT,
  J_NET,
  J_CAP_ADD,
  J_SECCOMP,
  J_KEEP_CHANGES,
  J_REPORT,
  J_NAME,
};

static const struct cmd_opt job_opts[] = {
  { "rootfs", 0, "DIR", J_ROOTFS,
    "the job's root, read-only under a throwaway writable layer (default: "
    "the host's /)" },
  { "bind", 0, "SRC:DST[:ro]", J_BIND,
    "bind the host's SRC on DST, read-only with :ro (repeatable)" },
  { "tmpfs", 0, "DST[:SIZE]", J_TMPFS,
    "a new tmpfs on DST, of at most SIZE (repeatable)" },
  { "workdir", 0, "DIR", J_WORKDIR, "working directory (default: /)" },
  { "env", 0, "KEY=VALUE", J_ENV, "set an environment variable (repeatable)" },
  { "user", 0, "UID[:GID]", J_USER, "user and group ids (default: 0:0)" },
  { "hostname", 0, "NAME", J_HOSTNAME, "the job's host name" },
  { "memory", 0, "SIZE", J_MEMORY,
    "memory limit (K, M, G suffixes); the job is OOM-killed past it" },
  { "cpus", 0, "N", J_CPUS, "CPU time limit, in CPUs (1.5: one and a half)" },
  { "pids", 0, "N", J_PIDS, "most processes and threads at once" },
  { "timeout", 0, "DURATION", J_TIMEOUT,
    "SIGTERM to every process after DURATION (500ms, 30s, 5m, 1h; a bare "
    "number is seconds), SIGKILL 2 s later; husk then exits with 124" },
  { "net", 0, "MODE", J_NET,
    "none (default: loopback only), bridge (a veth on husk's job bridge, "
    "NAT outside), host, or slirp4netns (outbound access through the "
    "slirp4netns program, rootless too; DNS 10.0.2.3)" },
  { "cap-add", 0, "CAP", J_CAP_ADD,
    "add a capability to the default set (repeatable)" },
  { "seccomp", 0, "PROFILE", J_SECCOMP,
    "default (husk spec's profile), unconfined, or a file holding a "
    "linux.seccomp object" },
  { "keep-changes", 0, "DIR", J_KEEP_CHANGES,
    "keep what the job wrote outside its binds: DIR/upper is the "
    "overlayfs upper layer" },
  { "report", 0, "FILE", J_REPORT,
    "write a JSON report: exit status, timeout, OOM kill, wall and CPU "
    "time, peak memory and processes" },
  { "name", 0, "NAME", J_NAME, "the job's id (default: a unique one)" },
  { 0 },
};

/* What the opts point into, freed together. */
struct job_bufs
{
  struct husk_job_bind *binds;
  struct husk_job_tmpfs *tmpfs;
  char **env, **cap_add;
  char *rootfs, *keep_changes, *report;
  char **bind_srcs; /* absolute copies */
  size_t n_bind_srcs;
  char *specs; /* writable copies of --bind/--tmpfs values, one block */
};

static void
job_bufs_free (struct job_bufs *b)
{
  for (size_t i = 0; i < b->n_bind_srcs; i++)
    free (b->bind_srcs[i]);
  free (b->bind_srcs);
  free (b->binds);
  free (b->tmpfs);
  free (b->env);
  free (b->cap_add);
  free (b->rootfs);
  free (b->keep_changes);
  free (b->report);
  free (b->specs);
}

/* "64M", "1g", "512k", "1048576". */
static int
parse_size (const char *flag, const char *s, int64_t *out, husk_err **err)
{
  char *end;
  unsigned long long v;
  int shift = 0;

  errno = 0;
  v = strtoull (s, &end, 10);
  switch (*end)
    {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    }
  if (shift && (*end == 'b' || *end == 'B'))
    end++;
  if (end == s || *s == '-' || *end || errno || v == 0
      || v > (unsigned long long) INT64_MAX >> shift)
    return husk_error (err, 0, "%s: expected a size (64M, 1G, bytes), got "
                       "\"%s\"", flag, s);
  *out = (int64_t) (v << shift);
  return 0;
}

/* timeout(1)'s durations, plus ms: "2s", "1.5m", "500ms", "10". */
static int
parse_duration (const char *s, uint64_t *ms, husk_err **err)
{
  char *end;
  double v, unit = 1000;

  errno = 0;
  v = strtod (s, &end);
  if (strcmp (end, "ms") == 0)
    unit = 1;
  else if (strcmp (end, "m") == 0)
    unit = 60e3;
  else if (strcmp (end, "h") == 0)
    unit = 3600e3;
  else if (strcmp (end, "d") == 0)
    unit = 86400e3;
  else if (*end && strcmp (end, "s") != 0)
    end = (char *) s;
  if (end == s || errno || !isfinite (v) || v * unit < 1 || v * unit > 1e15)
    return husk_error (err, 0, "--timeout: expected a duration (500ms, 30s, "
                       "5m, 1h), got \"%s\"", s);
  *ms = (uint64_t) (v * unit);
  return 0;
}

static int
parse_cpus (const char *s, int64_t *quota, husk_err **err)
{
  char *end;
  double v;

  errno = 0;
  v = strtod (s, &end);
  if (end == s || *end || errno || !isfinite (v) || v < 0.01 || v > 1024)
    return husk_error (err, 0, "--cpus: expected a number of CPUs from 0.01 "
                       "to 1024, got \"%s\"", s);
  *quota = (int64_t) (v * 100000);
  return 0;
}

static int
parse_id (const char *s, size_t len, uint32_t *out)
{
  char buf[16], *end;
  unsigned long v;

  if (len == 0 || len >= sizeof buf || s[0] < '0' || s[0] > '9')
    return -1;
  memcpy (buf, s, len);
  buf[len] = '\0';
  errno = 0;
  v = strtoul (buf, &end, 10);
  if (*end || errno || v > UINT32_MAX - 1)
    return -1;
  *out = (uint32_t) v;
  return 0;
}

static int
parse_user (const char *s, struct husk_job_opts *o, husk_err **err)
{
  const char *colon = strchr (s, ':');
  uint32_t uid, gid;

  if (parse_id (s, colon ? (size_t) (colon - s) : strlen (s), &uid) < 0
      || (colon && parse_id (colon + 1, strlen (colon + 1), &gid) < 0))
    return husk_error (err, 0, "--user: expected UID[:GID] (numbers), got "
                       "\"%s\"", s);
  o->has_user = true;
  o->uid = uid;
  o->gid = colon ? gid : uid;
  return 0;
}

/* A writable copy of a flag's value in bufs->specs (strings of the same
 * kind are cut in place). */
static char *
spec_copy (struct job_bufs *b, size_t *used, const char *s)
{
  char *p = b->specs + *used;
  strcpy (p, s);
  *used += strlen (s) + 1;
  return p;
}

/* SRC:DST[:ro]; SRC made absolute against the current directory. */
static int
parse_bind (struct job_bufs *b, size_t *used, const char *v, husk_err **err)
{
  char *s = spec_copy (b, used, v), *dst, *mode;
  struct husk_job_bind *bind = &b->binds[b->n_bind_srcs];

  dst = strchr (s, ':');
  mode = dst ? strchr (dst + 1, ':') : NULL;
  if (dst)
    *dst++ = '\0';
  if (mode)
    *mode++ = '\0';
  if (dst == NULL || *s == '\0' || *dst == '\0'
      || (mode && strcmp (mode, "ro") != 0 && strcmp (mode, "rw") != 0))
    return husk_error (err, 0, "--bind: expected SRC:DST[:ro], got \"%s\"", v);
  if (cmd_abs_path (s, &b->bind_srcs[b->n_bind_srcs], err) < 0)
    return husk_err_wrap (err, "--bind");
  bind->src = b->bind_srcs[b->n_bind_srcs++];
  bind->dst = dst;
  bind->ro = mode && strcmp (mode, "ro") == 0;
  return 0;
}

static int
parse_tmpfs (struct job_bufs *b, size_t *used, struct husk_job_tmpfs *t,
             const char *v, husk_err **err)
{
  char *s = spec_copy (b, used, v), *size = strchr (s, ':');
  int64_t bytes;

  if (size)
    *size++ = '\0';
  if (*s == '\0')
    return husk_error (err, 0, "--tmpfs: expected DST[:SIZE], got \"%s\"", v);
  if (size && parse_size ("--tmpfs", size, &bytes, err) < 0)
    return -1;
  t->dst = s;
  t->size = size;
  return 0;
}

static int
parse_net (const char *v, enum husk_job_net *out, husk_err **err)
{
  static const char *const names[] = { "none", "bridge", "host",
                                       "slirp4netns" };

  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (strcmp (v, names[i]) == 0)
      {
        *out = (enum husk_job_net) i;
        return 0;
      }
  return husk_error (err, 0, "--net: expected none, bridge, host or "
                     "slirp4netns, got \"%s\"", v);
}

static int
abs_flag (const char *flag, const char *v, char **out, husk_err **err)
{
  if (*v == '\0')
    return husk_error (err, 0, "--%s: expected a path, got \"\"", flag);
  free (*out);
  *out = NULL;
  if (cmd_abs_path (v, out, err) < 0)
    return husk_err_wrap (err, "--%s", flag);
  return 0;
}

static int
count_and_size (const struct cmd_args *a, struct job_bufs *b, husk_err **err)
{
  size_t binds = 0, tmpfs = 0, chars = 0;

  for (size_t i = 0; i < a->n_opts; i++)
    {
      int id = a->opts[i].opt->id;
      binds += id == J_BIND;
      tmpfs += id == J_TMPFS;
      if (id == J_BIND || id == J_TMPFS)
        chars += strlen (a->opts[i].value) + 1;
    }
  b->binds = calloc (binds + 1, sizeof *b->binds);
  b->bind_srcs = calloc (binds + 1, sizeof *b->bind_srcs);
  b->tmpfs = calloc (tmpfs + 1, sizeof *b->tmpfs);
  b->specs = malloc (chars + 1);
  if (!b->binds || !b->bind_srcs || !b->tmpfs || !b->specs)
    return husk_error (err, ENOMEM, "job");
  return 0;
}

static int
apply_opt (const struct cmd_optval *ov, struct husk_job_opts *o,
           struct job_bufs *b, size_t *used, husk_err **err)
{
  const char *v = ov->value;

  switch (ov->opt->id)
    {
    case J_ROOTFS:
      if (abs_flag ("rootfs", v, &b->rootfs, err) < 0)
        return -1;
      o->rootfs = b->rootfs;
      return 0;
    case J_BIND:
      if (parse_bind (b, used, v, err) < 0)
        return -1;
      o->n_binds++;
      return 0;
    case J_TMPFS:
      return parse_tmpfs (b, used, &b->tmpfs[o->n_tmpfs++], v, err);
    case J_WORKDIR: o->workdir = v; return 0;
    case J_ENV:
      if (strchr (v, '=') == NULL || *v == '=')
        return husk_error (err, 0, "--env: expected KEY=VALUE, got \"%s\"", v);
      return cmd_strv_push (&b->env, v, err);
    case J_USER: return parse_user (v, o, err);
    case J_HOSTNAME: o->hostname = v; return 0;
    case J_MEMORY: return parse_size ("--memory", v, &o->memory, err);
    case J_CPUS: return parse_cpus (v, &o->cpu_quota, err);
    case J_PIDS:
      return cmd_parse_int ("--pids", v, 1, INT32_MAX, &o->pids, err);
    case J_TIMEOUT: return parse_duration (v, &o->timeout_ms, err);
    case J_NET: return parse_net (v, &o->net, err);
    case J_CAP_ADD: return cmd_strv_push (&b->cap_add, v, err);
    case J_SECCOMP:
      if (*v == '\0')
        return husk_error (err, 0, "--seccomp: expected default, unconfined "
                           "or a file, got \"\"");
      o->seccomp = v;
      return 0;
    case J_KEEP_CHANGES:
      if (abs_flag ("keep-changes", v, &b->keep_changes, err) < 0)
        return -1;
      o->keep_changes = b->keep_changes;
      return 0;
    case J_REPORT:
      if (abs_flag ("report", v, &b->report, err) < 0)
        return -1;
      o->report = b->report;
      return 0;
    case J_NAME: o->name = v; return 0;
    }
  return 0;
}

static int
do_job (const struct husk_globals *g, const struct cmd_command *cmd,
        const struct cmd_args *a, int *exit_status, husk_err **err)
{
  struct job_bufs b __attribute__ ((cleanup (job_bufs_free))) = { 0 };
  struct husk_job_opts o = { 0 };
  size_t used = 0;

  if (count_and_size (a, &b, err) < 0)
    return -1;
  for (size_t i = 0; i < a->n_opts; i++)
    if (apply_opt (&a->opts[i], &o, &b, &used, err) < 0)
      return husk_err_wrap (err, "job");
  o.binds = b.binds;
  o.tmpfs = b.tmpfs;
  o.env = b.env;
  o.cap_add = b.cap_add;
  o.args = a->pos;
  return husk_job (g, &o, exit_status, err);
}

const struct cmd_command cmd_job = {
  .name = "job",
  .usage = "[OPTIONS] [--] COMMAND [ARGS...]",
  .summary = "run one command isolated, with limits, and remove it",
  .description =
      "Runs COMMAND in a container made from the flags (every namespace, no\n"
      "network, husk spec's seccomp profile and capabilities, no_new_privs),\n"
      "on a read-only root under a throwaway writable layer, in the\n"
      "foreground, then removes it.  husk exits with COMMAND's status\n"
      "(128+N for signal N, 124 when --timeout fired).  If husk is killed,\n"
      "the job dies with it, and the next husk job, list or delete removes\n"
      "what it left.\n",
  .opts = job_opts,
  .flags_first = true,
  .min_args = 1,
  .max_args = -1,
  .run = do_job,
};
