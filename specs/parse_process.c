/* config.json "process" (and exec's lone process documents). */
#include "parse.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* ---------- user ---------- */

static int
parse_gids (struct jw *w, yajl_val obj, struct oci_user *u)
{
  yajl_val v = jw_field (obj, "additionalGids");
  size_t saved, n;

  if (v == NULL)
    return 0;
  saved = jw_push_key (w, "additionalGids");
  if (!YAJL_IS_ARRAY (v))
    return jw_expected (w, "an array of integers", v);
  n = v->u.array.len;
  u->additional_gids = calloc (n ? n : 1, sizeof *u->additional_gids);
  if (u->additional_gids == NULL)
    return jw_oom (w);
  u->n_additional_gids = n;
  for (size_t i = 0; i < n; i++)
    {
      size_t at = jw_push_index (w, i);
      uint64_t gid;
      if (jw_uint (w, v->u.array.values[i], UINT32_MAX, &gid) < 0)
        return -1;
      u->additional_gids[i] = (gid_t) gid;
      jw_pop (w, at);
    }
  jw_pop (w, saved);
  return 0;
}

static int
parse_user (struct jw *w, yajl_val proc, struct oci_user *u)
{
  yajl_val o;
  size_t saved;
  uint64_t umask;

  if (jw_get_object (w, proc, "user", false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  saved = jw_push_key (w, "user");
  if (jw_get_u32 (w, o, "uid", false, NULL, &u->uid) < 0
      || jw_get_u32 (w, o, "gid", false, NULL, &u->gid) < 0
      || jw_get_uint (w, o, "umask", 0777, false, &u->has_umask, &umask) < 0
      || parse_gids (w, o, u) < 0
      || jw_get_string (w, o, "username", false, &u->username) < 0)
    return -1;
  if (u->has_umask)
    u->umask = (mode_t) umask;
  jw_pop (w, saved);
  return 0;
}

/* ---------- env, console, capabilities ---------- */

/* runc refuses entries without '=' or with an empty name when it builds the
 * environment; refusing them here says where they are. */
static int
check_env (struct jw *w, char **env)
{
  for (size_t i = 0; env && env[i]; i++)
    {
      const char *eq = strchr (env[i], '=');
      if (eq == NULL || eq == env[i])
        {
          char quoted[256];
          size_t saved = jw_push_key (w, "env");
          size_t at = jw_push_index (w, i);
          jw_fail (w, "expected \"NAME=value\", got %s",
                   jw_quote (env[i], 40, quoted, sizeof quoted));
          jw_pop (w, at);
          jw_pop (w, saved);
          return -1;
        }
    }
  return 0;
}

static int
parse_console_size (struct jw *w, yajl_val proc, struct oci_process *p)
{
  yajl_val o;
  size_t saved;
  uint64_t h, wd;

  if (jw_get_object (w, proc, "consoleSize", false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  saved = jw_push_key (w, "consoleSize");
  /* struct winsize holds unsigned shorts. */
  if (jw_get_uint (w, o, "height", UINT16_MAX, true, NULL, &h) < 0
      || jw_get_uint (w, o, "width", UINT16_MAX, true, NULL, &wd) < 0)
    return -1;
  jw_pop (w, saved);
  p->has_console_size = true;
  p->console_size.height = (unsigned) h;
  p->console_size.width = (unsigned) wd;
  return 0;
}

static int
parse_capabilities (struct jw *w, yajl_val proc, struct oci_process *p)
{
  struct oci_capabilities *c;
  yajl_val o;
  size_t saved;

  if (jw_get_object (w, proc, "capabilities", false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  c = p->capabilities = calloc (1, sizeof *c);
  if (c == NULL)
    return jw_oom (w);
  saved = jw_push_key (w, "capabilities");
  if (jw_get_strv (w, o, "bounding", false, false, &c->bounding) < 0
      || jw_get_strv (w, o, "effective", false, false, &c->effective) < 0
      || jw_get_strv (w, o, "inheritable", false, false, &c->inheritable) < 0
      || jw_get_strv (w, o, "permitted", false, false, &c->permitted) < 0
      || jw_get_strv (w, o, "ambient", false, false, &c->ambient) < 0)
    return -1;
  jw_pop (w, saved);
  return 0;
}

/* ---------- rlimits ---------- */

static const char *const rlimit_names[] = {
  "RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE",
  "RLIMIT_LOCKS", "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE",
  "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_RSS", "RLIMIT_RTPRIO",
  "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK", NULL
};
static const int rlimit_numbers[] = {
  RLIMIT_AS, RLIMIT_CORE, RLIMIT_CPU, RLIMIT_DATA, RLIMIT_FSIZE,
  RLIMIT_LOCKS, RLIMIT_MEMLOCK, RLIMIT_MSGQUEUE, RLIMIT_NICE,
  RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_RSS, RLIMIT_RTPRIO,
  RLIMIT_RTTIME, RLIMIT_SIGPENDING, RLIMIT_STACK
};

static int
parse_rlimit (struct jw *w, yajl_val o, void *elem)
{
  struct oci_rlimit *r = elem;
  int i = 0;

  if (jw_get_enum (w, o, "type", rlimit_names, true, &r->type, &i) < 0
      || jw_get_u64 (w, o, "hard", true, NULL, &r->hard) < 0
      || jw_get_u64 (w, o, "soft", true, NULL, &r->soft) < 0)
    return -1;
  r->resource = rlimit_numbers[i];
  if (r->soft > r->hard)
    return jw_fail (w, "soft limit %ju is above the hard limit %ju",
                    (uintmax_t) r->soft, (uintmax_t) r->hard);
  return 0;
}

static int
parse_rlimits (struct jw *w, yajl_val proc, struct oci_process *p)
{
  if (jw_get_array_of (w, proc, "rlimits", sizeof *p->rlimits, parse_rlimit,
                       (void **) &p->rlimits, &p->n_rlimits) < 0)
    return -1;
  for (size_t i = 0; i < p->n_rlimits; i++)
    for (size_t j = 0; j < i; j++)
      if (p->rlimits[i].resource == p->rlimits[j].resource)
        {
          size_t saved = jw_push_key (w, "rlimits");
          jw_push_index (w, i);
          jw_fail (w, "duplicate rlimit %s (also rlimits[%zu])",
                   p->rlimits[i].type, j);
          jw_pop (w, saved);
          return -1;
        }
  return 0;
}

/* ---------- ioPriority, scheduler, execCPUAffinity ---------- */

static int
parse_io_priority (struct jw *w, yajl_val proc, struct oci_process *p)
{
  static const char *const classes[] = {
    "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE", NULL
  };
  struct oci_io_priority *io;
  yajl_val o;
  size_t saved;
  int64_t prio = 0;
  int i = 0;

  if (jw_get_object (w, proc, "ioPriority", false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  io = p->io_priority = calloc (1, sizeof *io);
  if (io == NULL)
    return jw_oom (w);
  saved = jw_push_key (w, "ioPriority");
  if (jw_get_enum (w, o, "class", classes, true, &io->class_name, &i) < 0
      || jw_get_int (w, o, "priority", 0, 7, false, NULL, &prio) < 0)
    return -1;
  io->class_ = i + 1; /* IOPRIO_CLASS_RT is 1 */
  io->priority = (int) prio;
  jw_pop (w, saved);
  return 0;
}

static const char *const sched_policies[] = {
  "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO",
  "SCHED_IDLE", "SCHED_DEADLINE", NULL
}; /* index = the kernel's policy number */

static const char *const sched_flags[] = {
  "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN",
  "SCHED_FLAG_KEEP_POLICY", "SCHED_FLAG_KEEP_PARAMS",
  "SCHED_FLAG_UTIL_CLAMP_MIN", "SCHED_FLAG_UTIL_CLAMP_MAX", NULL
};

static int
parse_scheduler (struct jw *w, yajl_val proc, struct oci_process *p)
{
  struct oci_scheduler *s;
  yajl_val o;
  size_t saved;
  int64_t nice = 0, prio = 0;

  if (jw_get_object (w, proc, "scheduler", false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  s = p->scheduler = calloc (1, sizeof *s);
  if (s == NULL)
    return jw_oom (w);
  saved = jw_push_key (w, "scheduler");
  if (jw_get_enum (w, o, "policy", sched_policies, true, &s->policy,
                   &s->policy_num) < 0
      || jw_get_int (w, o, "nice", -20, 19, false, &s->has_nice, &nice) < 0
      || jw_get_int (w, o, "priority", INT32_MIN, INT32_MAX, false,
                     &s->has_priority, &prio) < 0
      || jw_get_enum_strv (w, o, "flags", sched_flags, &s->flags) < 0
      || jw_get_u64 (w, o, "runtime", false, &s->has_runtime, &s->runtime) < 0
      || jw_get_u64 (w, o, "deadline", false, &s->has_deadline,
                     &s->deadline) < 0
      || jw_get_u64 (w, o, "period", false, &s->has_period, &s->period) < 0)
    return -1;
  s->nice = (int) nice;
  s->priority = (int) prio;
  jw_pop (w, saved);
  return 0;
}

/* A CPU list as taskset takes it: "0-3,7". */
static int
get_cpu_list (struct jw *w, yajl_val obj, const char *key, char **out)
{
  yajl_val v = jw_field (obj, key);
  size_t saved;

  if (v == NULL)
    return 0;
  saved = jw_push_key (w, key);
  if (!YAJL_IS_STRING (v) || strspn (v->u.string, "0123456789, -")
                                 != strlen (v->u.string))
    return jw_expected (w, "a CPU list like \"0-3,7\"", v);
  if (jw_string (w, v, out) < 0)
    return -1;
  jw_pop (w, saved);
  return 0;
}

static int
parse_exec_cpu_affinity (struct jw *w, yajl_val proc, struct oci_process *p)
{
  struct oci_exec_cpu_affinity *a;
  yajl_val o;
  size_t saved;

  if (jw_get_object (w, proc, "execCPUAffinity", false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  a = p->exec_cpu_affinity = calloc (1, sizeof *a);
  if (a == NULL)
    return jw_oom (w);
  saved = jw_push_key (w, "execCPUAffinity");
  if (get_cpu_list (w, o, "initial", &a->initial) < 0
      || get_cpu_list (w, o, "final", &a->final) < 0)
    return -1;
  jw_pop (w, saved);
  return 0;
}

/* ---------- the process ---------- */

int
oci_parse_process (struct jw *w, yajl_val o, struct oci_process *p)
{
  int64_t oom;

  if (jw_get_bool (w, o, "terminal", NULL, &p->terminal) < 0
      || parse_console_size (w, o, p) < 0
      || parse_user (w, o, &p->user) < 0
      || jw_get_strv (w, o, "args", true, true, &p->args) < 0
      || jw_get_string (w, o, "commandLine", false, &p->command_line) < 0
      || jw_get_strv (w, o, "env", false, false, &p->env) < 0
      || check_env (w, p->env) < 0
      || jw_get_abs_path (w, o, "cwd", true, &p->cwd) < 0
      || parse_capabilities (w, o, p) < 0
      || parse_rlimits (w, o, p) < 0
      || jw_get_bool (w, o, "noNewPrivileges", NULL, &p->no_new_privileges) < 0
      || jw_get_string (w, o, "apparmorProfile", false,
                        &p->apparmor_profile) < 0
      || jw_get_int (w, o, "oomScoreAdj", -1000, 1000, false,
                     &p->has_oom_score_adj, &oom) < 0
      || jw_get_string (w, o, "selinuxLabel", false, &p->selinux_label) < 0
      || parse_io_priority (w, o, p) < 0
      || parse_scheduler (w, o, p) < 0
      || parse_exec_cpu_affinity (w, o, p) < 0)
    return -1;
  if (p->has_oom_score_adj)
    p->oom_score_adj = (int) oom;
  return 0;
}
