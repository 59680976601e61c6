/* config.json "linux", but for resources and seccomp (their own files). */
#include "parse.h"

#include <stdlib.h>
#include <string.h>

/* ---------- namespaces ---------- */

static int
parse_namespace (struct jw *w, yajl_val o, void *elem)
{
  struct oci_namespace *ns = elem;
  int type = 0;

  if (jw_get_enum (w, o, "type", oci_ns_names, true, NULL, &type) < 0)
    return -1;
  ns->type = (enum oci_ns_type) type;
  return jw_get_abs_path (w, o, "path", false, &ns->path);
}

static int
parse_namespaces (struct jw *w, yajl_val obj, struct oci_linux *l)
{
  if (jw_get_array_of (w, obj, "namespaces", sizeof *l->namespaces,
                       parse_namespace, (void **) &l->namespaces,
                       &l->n_namespaces) < 0)
    return -1;
  for (size_t i = 0; i < l->n_namespaces; i++)
    for (size_t j = 0; j < i; j++)
      if (l->namespaces[i].type == l->namespaces[j].type)
        {
          size_t saved = jw_push_key (w, "namespaces");
          jw_push_index (w, i);
          jw_fail (w, "duplicate namespace type %s (also namespaces[%zu])",
                   oci_ns_names[l->namespaces[i].type], j);
          jw_pop (w, saved);
          return -1;
        }
  return 0;
}

/* ---------- timeOffsets ---------- */

static int
parse_time_offsets (struct jw *w, yajl_val obj, struct oci_linux *l)
{
  yajl_val o;
  size_t saved;

  if (jw_get_object (w, obj, "timeOffsets", false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  saved = jw_push_key (w, "timeOffsets");
  for (size_t i = 0; i < o->u.object.len; i++)
    {
      const char *key = o->u.object.keys[i];
      yajl_val v = o->u.object.values[i];
      struct oci_time_offset *t = NULL;
      size_t at = jw_push_key (w, key);
      uint64_t ns = 0;

      if (strcmp (key, "monotonic") == 0)
        t = &l->time_monotonic;
      else if (strcmp (key, "boottime") == 0)
        t = &l->time_boottime;
      else
        return jw_fail (w, "unknown clock: expected monotonic or boottime");
      if (jw_need_object (w, v) < 0
          || jw_get_i64 (w, v, "secs", false, NULL, &t->secs) < 0
          /* the kernel takes nanoseconds below one second only */
          || jw_get_uint (w, v, "nanosecs", 999999999, false, NULL, &ns) < 0)
        return -1;
      t->nanosecs = (uint32_t) ns;
      t->present = true;
      jw_pop (w, at);
    }
  jw_pop (w, saved);
  return 0;
}

/* ---------- devices ---------- */

static int
parse_device (struct jw *w, yajl_val o, void *elem)
{
  static const char *const types[] = { "c", "b", "u", "p", NULL };
  struct oci_device *d = elem;
  bool fifo;

  if (jw_get_enum (w, o, "type", types, true, &d->type, NULL) < 0
      || jw_get_abs_path (w, o, "path", true, &d->path) < 0)
    return -1;
  fifo = strcmp (d->type, "p") == 0;
  if (jw_get_int (w, o, "major", 0, INT64_MAX, !fifo, &d->has_major,
                  &d->major) < 0
      || jw_get_int (w, o, "minor", 0, INT64_MAX, !fifo, &d->has_minor,
                     &d->minor) < 0
      || jw_get_u32 (w, o, "fileMode", false, &d->has_file_mode,
                     &d->file_mode) < 0
      || jw_get_u32 (w, o, "uid", false, &d->has_uid, &d->uid) < 0
      || jw_get_u32 (w, o, "gid", false, &d->has_gid, &d->gid) < 0)
    return -1;
  return 0;
}

/* ---------- small sections ---------- */

static int
get_abs_paths (struct jw *w, yajl_val obj, const char *key, char ***out)
{
  if (jw_get_strv (w, obj, key, false, false, out) < 0)
    return -1;
  for (size_t i = 0; *out && (*out)[i]; i++)
    if ((*out)[i][0] != '/')
      {
        char quoted[256];
        size_t saved = jw_push_key (w, key);
        jw_push_index (w, i);
        jw_fail (w, "expected an absolute path, got %s",
                 jw_quote ((*out)[i], 40, quoted, sizeof quoted));
        jw_pop (w, saved);
        return -1;
      }
  return 0;
}

static int
parse_personality (struct jw *w, yajl_val obj, struct oci_linux *l)
{
  static const char *const domains[] = { "LINUX", "LINUX32", NULL };
  yajl_val o;
  size_t saved;

  if (jw_get_object (w, obj, "personality", false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  l->personality = calloc (1, sizeof *l->personality);
  if (l->personality == NULL)
    return jw_oom (w);
  saved = jw_push_key (w, "personality");
  if (jw_get_enum (w, o, "domain", domains, true, &l->personality->domain,
                   NULL) < 0
      || jw_get_strv (w, o, "flags", false, false, &l->personality->flags) < 0)
    return -1;
  jw_pop (w, saved);
  return 0;
}

/* A name the kernel takes for a link: 1 to 15 bytes, no '/', ':' or
 * blank, not "." or "..". */
static bool
valid_ifname (const char *s)
{
  size_t n = strlen (s);
  return n > 0 && n < 16 && strcmp (s, ".") && strcmp (s, "..")
         && strpbrk (s, "/: \t\n\r") == NULL;
}

static int
parse_net_devices (struct jw *w, yajl_val obj, struct oci_linux *l)
{
  yajl_val o;
  size_t saved, n;

  if (jw_get_object (w, obj, "netDevices", false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  n = o->u.object.len;
  l->net_devices = calloc (n ? n : 1, sizeof *l->net_devices);
  if (l->net_devices == NULL)
    return jw_oom (w);
  l->n_net_devices = n;
  saved = jw_push_key (w, "netDevices");
  for (size_t i = 0; i < n; i++)
    {
      struct oci_net_device *d = &l->net_devices[i];
      const char *host = o->u.object.keys[i];
      yajl_val v = o->u.object.values[i];
      size_t at = jw_push_map_key (w, host);

      if (!valid_ifname (host))
        return jw_fail (w, "expected a network interface name (1 to 15 "
                        "characters, no '/', ':' or spaces) as the key");
      d->host_name = strdup (host);
      if (d->host_name == NULL)
        return jw_oom (w);
      if (jw_need_object (w, v) < 0
          || jw_get_string (w, v, "name", false, &d->name) < 0)
        return -1;
      if (d->name && !valid_ifname (d->name))
        {
          jw_push_key (w, "name");
          return jw_expected (w, "a network interface name (1 to 15 "
                              "characters, no '/', ':' or spaces)",
                              jw_field (v, "name"));
        }
      jw_pop (w, at);
    }
  jw_pop (w, saved);
  return 0;
}

static int
parse_memory_policy (struct jw *w, yajl_val obj, struct oci_linux *l)
{
  static const char *const modes[] = {
    "MPOL_DEFAULT", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
    "MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_LOCAL", NULL
  };
  static const char *const flags[] = {
    "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES",
    NULL
  };
  struct oci_memory_policy *m;
  yajl_val o;
  size_t saved;

  if (jw_get_object (w, obj, "memoryPolicy", false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  m = l->memory_policy = calloc (1, sizeof *m);
  if (m == NULL)
    return jw_oom (w);
  saved = jw_push_key (w, "memoryPolicy");
  if (jw_get_enum (w, o, "mode", modes, true, &m->mode, NULL) < 0
      || jw_get_string (w, o, "nodes", false, &m->nodes) < 0
      || jw_get_enum_strv (w, o, "flags", flags, &m->flags) < 0)
    return -1;
  jw_pop (w, saved);
  return 0;
}

/* schemata is a string in 1.2 and a list of lines in later drafts: both
 * are taken, the list joined with newlines. */
static int
get_schemata (struct jw *w, yajl_val obj, char **out)
{
  yajl_val v = jw_field (obj, "schemata");
  char **lines = NULL;
  size_t len = 0;

  if (v == NULL || YAJL_IS_STRING (v))
    return jw_get_string (w, obj, "schemata", false, out);
  if (jw_get_strv (w, obj, "schemata", false, false, &lines) < 0)
    {
      oci_strv_free (lines);
      return -1;
    }
  for (size_t i = 0; lines[i]; i++)
    len += strlen (lines[i]) + 1;
  *out = calloc (1, len + 1);
  for (size_t i = 0; *out && lines[i]; i++)
    {
      strcat (*out, lines[i]);
      if (lines[i + 1])
        strcat (*out, "\n");
    }
  oci_strv_free (lines);
  return *out ? 0 : jw_oom (w);
}

static int
parse_intel_rdt (struct jw *w, yajl_val obj, struct oci_linux *l)
{
  struct oci_intel_rdt *r;
  yajl_val o;
  size_t saved;

  if (jw_get_object (w, obj, "intelRdt", false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  r = l->intel_rdt = calloc (1, sizeof *r);
  if (r == NULL)
    return jw_oom (w);
  saved = jw_push_key (w, "intelRdt");
  if (jw_get_string (w, o, "closID", false, &r->clos_id) < 0
      || jw_get_string (w, o, "l3CacheSchema", false, &r->l3_cache_schema) < 0
      || jw_get_string (w, o, "memBwSchema", false, &r->mem_bw_schema) < 0
      || get_schemata (w, o, &r->schemata) < 0
      || jw_get_bool (w, o, "enableCMT", &r->has_enable_cmt,
                      &r->enable_cmt) < 0
      || jw_get_bool (w, o, "enableMBM", &r->has_enable_mbm,
                      &r->enable_mbm) < 0
      || jw_get_bool (w, o, "enableMonitoring", &r->has_enable_monitoring,
                      &r->enable_monitoring) < 0)
    return -1;
  jw_pop (w, saved);
  return 0;
}

static int
parse_resources_section (struct jw *w, yajl_val obj, struct oci_linux *l)
{
  yajl_val o;
  size_t saved;

  if (jw_get_object (w, obj, "resources", false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  l->resources = calloc (1, sizeof *l->resources);
  if (l->resources == NULL)
    return jw_oom (w);
  saved = jw_push_key (w, "resources");
  if (oci_parse_resources (w, o, l->resources) < 0)
    return -1;
  jw_pop (w, saved);
  return 0;
}

static int
parse_seccomp_section (struct jw *w, yajl_val obj, struct oci_linux *l)
{
  yajl_val o;
  size_t saved;

  if (jw_get_object (w, obj, "seccomp", false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  l->seccomp = calloc (1, sizeof *l->seccomp);
  if (l->seccomp == NULL)
    return jw_oom (w);
  saved = jw_push_key (w, "seccomp");
  if (oci_parse_seccomp (w, o, l->seccomp) < 0)
    return -1;
  jw_pop (w, saved);
  return 0;
}

static const char *const propagations[] = {
  "shared", "slave", "private", "unbindable",
  "rshared", "rslave", "rprivate", "runbindable", NULL
}; /* runc takes the recursive spellings too */

int
oci_parse_linux (struct jw *w, yajl_val o, struct oci_linux *l)
{
  if (parse_namespaces (w, o, l) < 0
      || oci_parse_id_mappings (w, o, "uidMappings", &l->uid_mappings,
                                &l->n_uid_mappings) < 0
      || oci_parse_id_mappings (w, o, "gidMappings", &l->gid_mappings,
                                &l->n_gid_mappings) < 0
      || parse_time_offsets (w, o, l) < 0
      || jw_get_array_of (w, o, "devices", sizeof *l->devices, parse_device,
                          (void **) &l->devices, &l->n_devices) < 0
      || jw_get_string (w, o, "cgroupsPath", false, &l->cgroups_path) < 0
      || parse_resources_section (w, o, l) < 0
      || parse_intel_rdt (w, o, l) < 0
      || jw_get_kv (w, o, "sysctl", &l->sysctl, &l->n_sysctl) < 0
      || parse_seccomp_section (w, o, l) < 0
      || jw_get_enum (w, o, "rootfsPropagation", propagations, false,
                      &l->rootfs_propagation, NULL) < 0
      || get_abs_paths (w, o, "maskedPaths", &l->masked_paths) < 0
      || get_abs_paths (w, o, "readonlyPaths", &l->readonly_paths) < 0
      || jw_get_string (w, o, "mountLabel", false, &l->mount_label) < 0
      || parse_personality (w, o, l) < 0
      || parse_net_devices (w, o, l) < 0
      || parse_memory_policy (w, o, l) < 0)
    return -1;
  return 0;
}
