/* Rootless husk (--rootless, the default when not run as root): the same
 * bundles work for an unprivileged user.  A config without a user
 * namespace of its own gets one, made first (clone creates it before the
 * others, which it then owns): the user is root inside and its subordinate
 * ids the rest (namespaces/idmap.c).  A config with its own maps keeps
 * them, checked against what the user may map.  The cgroup side is in
 * cgroup.c (rt_cgroup_create), the network side in net.c. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/log.h"

static int
add_user_namespace (struct oci_config *cfg, husk_err **err)
{
  struct oci_linux *l = cfg->linux_;
  struct oci_namespace *v;

  if (l == NULL && (l = cfg->linux_ = calloc (1, sizeof *l)) == NULL)
    return husk_error (err, ENOMEM, "rootless");
  v = realloc (l->namespaces, (l->n_namespaces + 1) * sizeof *v);
  if (v == NULL)
    return husk_error (err, ENOMEM, "rootless");
  l->namespaces = v;
  l->namespaces[l->n_namespaces++] = (struct oci_namespace){ .type = OCI_NS_USER };
  return ns_rootless_mappings (l, err);
}

/* uid=N and gid=N options (devpts' gid=5 in runc's default config) that
 * name an id the user namespace does not map make the mount fail: they
 * are dropped, as runc's spec --rootless drops them. */
static bool
unmapped_id_option (const struct oci_linux *l, const char *o)
{
  bool gid = strncmp (o, "gid=", 4) == 0;
  char *end;
  unsigned long id;

  if (!gid && strncmp (o, "uid=", 4) != 0)
    return false;
  id = strtoul (o + 4, &end, 10);
  if (end == o + 4 || *end != '\0' || id > UINT32_MAX)
    return false;
  return gid ? !ns_id_mapped (l->gid_mappings, l->n_gid_mappings, (uint32_t) id)
             : !ns_id_mapped (l->uid_mappings, l->n_uid_mappings, (uint32_t) id);
}

static void
drop_unmapped_id_options (struct oci_config *cfg)
{
  for (size_t i = 0; i < cfg->n_mounts; i++)
    {
      char **o = cfg->mounts[i].options, **keep = o;
      for (; o && *o; o++)
        {
          if (!unmapped_id_option (cfg->linux_, *o))
            {
              *keep++ = *o;
              continue;
            }
          husk_debug ("rootless: mounts[%zu] (%s): dropping %s: not mapped in "
                      "the user namespace", i, cfg->mounts[i].destination, *o);
          free (*o);
        }
      if (keep)
        *keep = NULL;
    }
}

int
rt_rootless_adjust (const struct husk_globals *g, struct oci_config *cfg,
                    husk_err **err)
{
  const struct oci_namespace *user = oci_find_namespace (cfg, OCI_NS_USER);

  if (!g->rootless)
    return 0;
  if (user == NULL)
    {
      if (add_user_namespace (cfg, err) < 0)
        return -1;
      drop_unmapped_id_options (cfg);
      return 0;
    }
  if (user->path && *user->path)
    return 0; /* joined: its maps are someone else's */
  return ns_check_unprivileged_maps (cfg->linux_, err);
}
