/* The default config.json of `husk spec`: runc's, with husk's ociVersion
 * and hostname, plus Docker's default seccomp profile (seccomp_default.c).
 * --rootless converts it the way runc's specconv.ToRootless does. */
#include "specs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "gen.h"

static const char *const default_caps[]
    = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };

static const char *const cap_sets[]
    = { "bounding", "effective", "permitted", "ambient", NULL };

static const char *const default_env[]
    = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "TERM=xterm", NULL };

struct mount_def
{
  const char *destination, *type, *source;
  const char *const *options;
};

#define OPTS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct mount_def default_mounts[] = {
  { "/proc", "proc", "proc", NULL },
  { "/dev", "tmpfs", "tmpfs", OPTS ("nosuid", "strictatime", "mode=755", "size=65536k") },
  { "/dev/pts", "devpts", "devpts",
    OPTS ("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5") },
  { "/dev/shm", "tmpfs", "shm", OPTS ("nosuid", "noexec", "nodev", "mode=1777", "size=65536k") },
  { "/dev/mqueue", "mqueue", "mqueue", OPTS ("nosuid", "noexec", "nodev") },
  { "/sys", "sysfs", "sysfs", OPTS ("nosuid", "noexec", "nodev", "ro") },
  { "/sys/fs/cgroup", "cgroup", "cgroup", OPTS ("nosuid", "noexec", "nodev", "relatime", "ro") },
};

/* A new sysfs cannot be mounted without owning the network namespace;
 * rootless containers keep the host's, so they bind the host's /sys. */
static const struct mount_def rootless_sys
    = { "/sys", "none", "/sys", OPTS ("rbind", "nosuid", "noexec", "nodev", "ro") };

static const char *const masked_paths[]
    = { "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
        "/proc/sched_debug", "/sys/firmware", "/proc/scsi", NULL };

static const char *const readonly_paths[]
    = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL };

static void
gen_key_str (yajl_gen g, const char *k, const char *v)
{
  gen_str (g, k);
  gen_str (g, v);
}

static void
gen_key_int (yajl_gen g, const char *k, long long v)
{
  gen_str (g, k);
  yajl_gen_integer (g, v);
}

static void
gen_key_bool (yajl_gen g, const char *k, bool v)
{
  gen_str (g, k);
  yajl_gen_bool (g, v);
}

/* rootless: uid= and gid= options name ids that are not mapped. */
static void
gen_key_strv (yajl_gen g, const char *k, const char *const *v, bool skip_ids)
{
  gen_str (g, k);
  yajl_gen_array_open (g);
  for (; *v; v++)
    if (!skip_ids || (strncmp (*v, "uid=", 4) != 0 && strncmp (*v, "gid=", 4) != 0))
      gen_str (g, *v);
  yajl_gen_array_close (g);
}

static void
gen_process (yajl_gen g)
{
  gen_str (g, "process");
  yajl_gen_map_open (g);
  gen_key_bool (g, "terminal", true);
  gen_str (g, "user");
  yajl_gen_map_open (g);
  gen_key_int (g, "uid", 0);
  gen_key_int (g, "gid", 0);
  yajl_gen_map_close (g);
  gen_key_strv (g, "args", (const char *const[]){ "sh", NULL }, false);
  gen_key_strv (g, "env", default_env, false);
  gen_key_str (g, "cwd", "/");

  gen_str (g, "capabilities");
  yajl_gen_map_open (g);
  for (const char *const *set = cap_sets; *set; set++)
    gen_key_strv (g, *set, default_caps, false);
  yajl_gen_map_close (g);

  gen_str (g, "rlimits");
  yajl_gen_array_open (g);
  yajl_gen_map_open (g);
  gen_key_str (g, "type", "RLIMIT_NOFILE");
  gen_key_int (g, "hard", 1024);
  gen_key_int (g, "soft", 1024);
  yajl_gen_map_close (g);
  yajl_gen_array_close (g);

  gen_key_bool (g, "noNewPrivileges", true);
  yajl_gen_map_close (g);
}

static void
gen_mounts (yajl_gen g, bool rootless)
{
  gen_str (g, "mounts");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < sizeof default_mounts / sizeof default_mounts[0]; i++)
    {
      const struct mount_def *m = &default_mounts[i];
      if (rootless && strcmp (m->destination, "/sys") == 0)
        m = &rootless_sys;
      yajl_gen_map_open (g);
      gen_key_str (g, "destination", m->destination);
      gen_key_str (g, "type", m->type);
      gen_key_str (g, "source", m->source);
      if (m->options)
        gen_key_strv (g, "options", m->options, rootless);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
}

static void
gen_id_mapping (yajl_gen g, const char *key, unsigned host_id)
{
  gen_str (g, key);
  yajl_gen_array_open (g);
  yajl_gen_map_open (g);
  gen_key_int (g, "containerID", 0);
  gen_key_int (g, "hostID", host_id);
  gen_key_int (g, "size", 1);
  yajl_gen_map_close (g);
  yajl_gen_array_close (g);
}

static bool
cgroup2_unified (void)
{
  struct statfs st;
  return statfs ("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

static void
gen_namespaces (yajl_gen g, bool rootless)
{
  static const char *const types[] = { "pid", "network", "ipc", "uts", "mount", NULL };

  gen_str (g, "namespaces");
  yajl_gen_array_open (g);
  for (const char *const *t = types; *t; t++)
    {
      /* rootless: the network namespace stays the host's, with its links. */
      if (rootless && strcmp (*t, "network") == 0)
        continue;
      yajl_gen_map_open (g);
      gen_key_str (g, "type", *t);
      yajl_gen_map_close (g);
    }
  /* as runc spec does: a cgroup namespace where cgroup v2 is the only
   * hierarchy (not on a hybrid host, whose v1 controllers it would hide) */
  if (cgroup2_unified ())
    {
      yajl_gen_map_open (g);
      gen_key_str (g, "type", "cgroup");
      yajl_gen_map_close (g);
    }
  if (rootless)
    {
      yajl_gen_map_open (g);
      gen_key_str (g, "type", "user");
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
}

static void
gen_linux (yajl_gen g, bool rootless)
{
  gen_str (g, "linux");
  yajl_gen_map_open (g);
  if (rootless)
    {
      gen_id_mapping (g, "uidMappings", geteuid ());
      gen_id_mapping (g, "gidMappings", getegid ());
    }
  else
    {
      /* Rootless containers have no cgroup of their own to restrict. */
      gen_str (g, "resources");
      yajl_gen_map_open (g);
      gen_str (g, "devices");
      yajl_gen_array_open (g);
      yajl_gen_map_open (g);
      gen_key_bool (g, "allow", false);
      gen_key_str (g, "access", "rwm");
      yajl_gen_map_close (g);
      yajl_gen_array_close (g);
      yajl_gen_map_close (g);
    }
  gen_namespaces (g, rootless);
  gen_key_strv (g, "maskedPaths", masked_paths, false);
  gen_key_strv (g, "readonlyPaths", readonly_paths, false);
  gen_str (g, "seccomp");
  oci_gen_default_seccomp (g, default_caps);
  yajl_gen_map_close (g);
}

int
oci_default_config_json (bool rootless, char **out, size_t *len,
                         husk_err **err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t n;
  int rc = 0;

  if (g == NULL)
    return husk_error (err, ENOMEM, "generating config.json");
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_indent_string, "\t");

  yajl_gen_map_open (g);
  gen_key_str (g, "ociVersion", HUSK_OCI_VERSION);
  gen_process (g);
  gen_str (g, "root");
  yajl_gen_map_open (g);
  gen_key_str (g, "path", "rootfs");
  gen_key_bool (g, "readonly", true);
  yajl_gen_map_close (g);
  gen_key_str (g, "hostname", "husk");
  gen_mounts (g, rootless);
  gen_linux (g, rootless);
  yajl_gen_map_close (g);

  if (yajl_gen_get_buf (g, &buf, &n) != yajl_gen_status_ok)
    rc = husk_error (err, 0, "generating config.json: unbalanced document");
  else if ((*out = strndup ((const char *) buf, n)) == NULL)
    rc = husk_error (err, ENOMEM, "generating config.json");
  else
    *len = n;
  yajl_gen_free (g);
  return rc;
}

int
oci_default_config (bool rootless, struct oci_config **out, husk_err **err)
{
  char *buf = NULL;
  size_t len;
  int rc;

  if (oci_default_config_json (rootless, &buf, &len, err) < 0)
    return -1;
  rc = oci_config_parse (buf, len, "husk spec's config", out, err);
  free (buf);
  return rc;
}
