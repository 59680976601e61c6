/* `husk features`: the runtime-spec features.json document.  It must be
 * truthful about this build: a feature is listed as enabled only once husk
 * implements it. */
#include "specs.h"

#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <yajl/yajl_gen.h>

#include "gen.h"
#include "version.h" /* generated: HUSK_VERSION, HUSK_COMMIT */

/* linux.seccomp is applied (seccomp/). */
#define HUSK_SECCOMP_ENABLED true

static const char *const hooks[]
    = { "prestart", "createRuntime", "createContainer", "startContainer",
        "poststart", "poststop", NULL };

static const char *const mount_options[] = {
  "acl", "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync",
  "exec", "iversion", "lazytime", "loud", "mand", "noacl", "noatime", "nodev",
  "nodiratime", "noexec", "noiversion", "nolazytime", "nomand", "norelatime",
  "nostrictatime", "nosuid", "nosymfollow", "private", "ratime", "rbind",
  "rdev", "rdiratime", "relatime", "remount", "rexec", "rnoatime", "rnodev",
  "rnodiratime", "rnoexec", "rnorelatime", "rnostrictatime", "rnosuid",
  "rnosymfollow", "ro", "rprivate", "rrelatime", "rro", "rrw", "rshared",
  "rslave", "rstrictatime", "rsuid", "rsymfollow", "runbindable", "rw",
  "shared", "silent", "slave", "strictatime", "suid", "symfollow", "sync",
  "tmpcopyup", "unbindable", NULL,
};

static const char *const namespaces[]
    = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL };

static const char *const seccomp_actions[]
    = { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
        "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
        "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP", NULL };

static const char *const seccomp_operators[]
    = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE",
        "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL };

/* Filtered through libseccomp below: only those it can resolve. */
static const char *const seccomp_archs[]
    = { "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_LOONGARCH64",
        "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
        "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
        "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
        "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE",
        "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
        "SCMP_ARCH_SH", "SCMP_ARCH_SHEB", "SCMP_ARCH_X32", "SCMP_ARCH_X86",
        "SCMP_ARCH_X86_64", NULL };

static void
gen_key_strv (yajl_gen g, const char *k, const char *const *v)
{
  gen_str (g, k);
  yajl_gen_array_open (g);
  for (; *v; v++)
    gen_str (g, *v);
  yajl_gen_array_close (g);
}

/* {"enabled": v} */
static void
gen_enabled (yajl_gen g, const char *k, bool v)
{
  gen_str (g, k);
  yajl_gen_map_open (g);
  gen_str (g, "enabled");
  yajl_gen_bool (g, v);
  yajl_gen_map_close (g);
}

/* Every capability of the kernel headers husk was built with, named as
 * libcap names them ("cap_chown" -> "CAP_CHOWN"). */
static int
gen_capabilities (yajl_gen g)
{
  gen_str (g, "capabilities");
  yajl_gen_array_open (g);
  for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
    {
      char *name = cap_to_name (c);
      if (name == NULL)
        return -1;
      if (strncmp (name, "cap_", 4) == 0)
        {
          for (char *p = name; *p; p++)
            *p = (char) toupper ((unsigned char) *p);
          gen_str (g, name);
        }
      cap_free (name);
    }
  yajl_gen_array_close (g);
  return 0;
}

static void
gen_cgroup (yajl_gen g)
{
  static const struct
  {
    const char *key;
    bool v;
  } drivers[] = {
    { "v1", false }, { "v2", true }, { "systemd", false },
    { "systemdUser", false }, { "rdma", false },
  };

  gen_str (g, "cgroup");
  yajl_gen_map_open (g);
  for (size_t i = 0; i < sizeof drivers / sizeof drivers[0]; i++)
    {
      gen_str (g, drivers[i].key);
      yajl_gen_bool (g, drivers[i].v);
    }
  yajl_gen_map_close (g);
}

static void
gen_seccomp (yajl_gen g)
{
  gen_str (g, "seccomp");
  yajl_gen_map_open (g);
  gen_str (g, "enabled");
  yajl_gen_bool (g, HUSK_SECCOMP_ENABLED);
  gen_key_strv (g, "actions", seccomp_actions);
  gen_key_strv (g, "operators", seccomp_operators);
  gen_str (g, "archs");
  yajl_gen_array_open (g);
  for (const char *const *a = seccomp_archs; *a; a++)
    {
      char lower[32];
      size_t i = 0;
      for (const char *p = *a + strlen ("SCMP_ARCH_"); *p && i < sizeof lower - 1; p++)
        lower[i++] = (char) tolower ((unsigned char) *p);
      lower[i] = '\0';
      if (seccomp_arch_resolve_name (lower) != 0)
        gen_str (g, *a);
    }
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
}

static int
gen_linux (yajl_gen g)
{
  gen_str (g, "linux");
  yajl_gen_map_open (g);
  gen_key_strv (g, "namespaces", namespaces);
  if (gen_capabilities (g) < 0)
    return -1;
  gen_cgroup (g);
  gen_seccomp (g);
  gen_enabled (g, "apparmor", false);
  gen_enabled (g, "selinux", false);
  gen_enabled (g, "intelRdt", false);
  gen_str (g, "mountExtensions");
  yajl_gen_map_open (g);
  gen_enabled (g, "idmap", false);
  yajl_gen_map_close (g);
  gen_enabled (g, "netDevices", false);
  yajl_gen_map_close (g);
  return 0;
}

static void
gen_annotations (yajl_gen g)
{
  const struct scmp_version *sv = seccomp_version ();
  char seccomp_ver[48] = "";

  if (sv)
    snprintf (seccomp_ver, sizeof seccomp_ver, "%u.%u.%u", sv->major,
              sv->minor, sv->micro);
  gen_str (g, "annotations");
  yajl_gen_map_open (g);
  if (sv)
    {
      gen_str (g, "io.github.seccomp.libseccomp.version");
      gen_str (g, seccomp_ver);
    }
  gen_str (g, "husk.commit");
  gen_str (g, HUSK_COMMIT);
  gen_str (g, "husk.version");
  gen_str (g, HUSK_VERSION);
  yajl_gen_map_close (g);
}

int
oci_features_json (char **out, size_t *len, husk_err **err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t n;
  int rc = 0;

  if (g == NULL)
    return husk_error (err, ENOMEM, "generating features.json");
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_indent_string, "    ");

  yajl_gen_map_open (g);
  gen_str (g, "ociVersionMin");
  gen_str (g, "1.0.0");
  gen_str (g, "ociVersionMax");
  gen_str (g, HUSK_OCI_VERSION);
  gen_key_strv (g, "hooks", hooks);
  gen_key_strv (g, "mountOptions", mount_options);
  if (gen_linux (g) < 0)
    rc = husk_error (err, errno, "generating features.json: capability names");
  else
    {
      gen_annotations (g);
      yajl_gen_map_close (g);
      if (yajl_gen_get_buf (g, &buf, &n) != yajl_gen_status_ok)
        rc = husk_error (err, 0, "generating features.json: unbalanced document");
      else if ((*out = strndup ((const char *) buf, n)) == NULL)
        rc = husk_error (err, ENOMEM, "generating features.json");
      else
        *len = n;
    }
  yajl_gen_free (g);
  return rc;
}
