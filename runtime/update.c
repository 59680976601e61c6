/* update: new linux.resources for a running container.  The update is
 * merged into the container's saved config.json (objects key by key,
 * anything else replaced, as runc overwrites only the fields given), the
 * whole merged set is applied to the cgroup, and the merged config is
 * saved so that the next update and `exec` start from it. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "../cgroups/cgroups.h"
#include "../lib/cleanup.h"
#include "../lib/fs.h"

static yajl_gen_status
gen_key (yajl_gen g, const char *k)
{
  return yajl_gen_string (g, (const unsigned char *) k, strlen (k));
}

static yajl_gen_status gen_merged (yajl_gen g, yajl_val base, yajl_val upd);

static yajl_gen_status
gen_value (yajl_gen g, yajl_val v)
{
  yajl_gen_status st = yajl_gen_status_ok;

  if (YAJL_IS_STRING (v))
    return gen_key (g, YAJL_GET_STRING (v));
  if (YAJL_IS_NUMBER (v))
    return yajl_gen_number (g, YAJL_GET_NUMBER (v), strlen (YAJL_GET_NUMBER (v)));
  if (YAJL_IS_TRUE (v) || YAJL_IS_FALSE (v))
    return yajl_gen_bool (g, YAJL_IS_TRUE (v));
  if (YAJL_IS_NULL (v))
    return yajl_gen_null (g);
  if (YAJL_IS_OBJECT (v))
    return gen_merged (g, v, NULL);
  st = yajl_gen_array_open (g);
  for (size_t i = 0; st == yajl_gen_status_ok && i < YAJL_GET_ARRAY (v)->len; i++)
    st = gen_value (g, YAJL_GET_ARRAY (v)->values[i]);
  return st == yajl_gen_status_ok ? yajl_gen_array_close (g) : st;
}

static yajl_val
member (yajl_val obj, const char *key)
{
  for (size_t i = 0; obj && i < YAJL_GET_OBJECT (obj)->len; i++)
    if (strcmp (YAJL_GET_OBJECT (obj)->keys[i], key) == 0)
      return YAJL_GET_OBJECT (obj)->values[i];
  return NULL;
}

/* The object base with upd's members over it (upd may be NULL); a member
 * that is an object on both sides is merged the same way. */
static yajl_gen_status
gen_merged (yajl_gen g, yajl_val base, yajl_val upd)
{
  yajl_gen_status st = yajl_gen_map_open (g);
  size_t nb = YAJL_GET_OBJECT (base)->len, nu = upd ? YAJL_GET_OBJECT (upd)->len : 0;

  for (size_t i = 0; st == yajl_gen_status_ok && i < nb; i++)
    {
      const char *k = YAJL_GET_OBJECT (base)->keys[i];
      yajl_val b = YAJL_GET_OBJECT (base)->values[i], u = member (upd, k);
      st = gen_key (g, k);
      if (st != yajl_gen_status_ok)
        break;
      if (u && YAJL_IS_OBJECT (u) && YAJL_IS_OBJECT (b))
        st = gen_merged (g, b, u);
      else
        st = gen_value (g, u ? u : b);
    }
  for (size_t i = 0; st == yajl_gen_status_ok && i < nu; i++)
    {
      const char *k = YAJL_GET_OBJECT (upd)->keys[i];
      if (member (base, k))
        continue;
      st = gen_key (g, k);
      if (st == yajl_gen_status_ok)
        st = gen_value (g, YAJL_GET_OBJECT (upd)->values[i]);
    }
  return st == yajl_gen_status_ok ? yajl_gen_map_close (g) : st;
}

static void
tree_freep (yajl_val *v)
{
  yajl_tree_free (*v);
}

/* The saved config with linux.resources updated by `resources`. */
static int
merge_resources (int dirfd, const char *resources, size_t len, char **out,
                 husk_err **err)
{
  __attribute__ ((cleanup (tree_freep))) yajl_val base = NULL, upd = NULL;
  cleanup_free char *cfg = NULL, *wrapped = NULL;
  const unsigned char *buf;
  size_t blen;
  char msg[256];
  yajl_gen g;
  int rc = -1;

  if (fs_read_file_at (dirfd, RT_CONFIG_FILE, HUSK_CONFIG_MAX, &cfg, NULL, err) < 0)
    return husk_err_wrap (err, "update: the saved config");
  if (asprintf (&wrapped, "{\"linux\":{\"resources\":%.*s}}", (int) len,
                resources) < 0)
    return husk_error (err, ENOMEM, "update");
  base = yajl_tree_parse (cfg, msg, sizeof msg);
  if (base == NULL || !YAJL_IS_OBJECT (base))
    return husk_error (err, 0, "update: the saved config: %s", msg);
  upd = yajl_tree_parse (wrapped, msg, sizeof msg);
  if (upd == NULL)
    return husk_error (err, 0, "update: resources: %s", msg);
  g = yajl_gen_alloc (NULL);
  if (g == NULL)
    return husk_error (err, ENOMEM, "update");
  if (gen_merged (g, base, upd) != yajl_gen_status_ok
      || yajl_gen_get_buf (g, &buf, &blen) != yajl_gen_status_ok)
    husk_error (err, 0, "update: cannot encode the merged config");
  else if ((*out = strndup ((const char *) buf, blen)) == NULL)
    husk_error (err, ENOMEM, "update");
  else
    rc = 0;
  yajl_gen_free (g);
  return rc;
}

static int
save_config (int dirfd, const char *buf, husk_err **err)
{
  if (fs_write_file_at (dirfd, RT_CONFIG_FILE ".tmp", buf, strlen (buf),
                        O_CREAT | O_TRUNC, err) < 0)
    return husk_err_wrap (err, "update: save the config");
  if (renameat (dirfd, RT_CONFIG_FILE ".tmp", dirfd, RT_CONFIG_FILE) < 0)
    return husk_error (err, errno, "update: save the config");
  return 0;
}

int
husk_update (const struct husk_globals *g, const char *id,
             const char *resources, size_t len, husk_err **err)
{
  struct husk_cgroup *cg cleanup_cgroup = NULL;
  struct oci_resources *r = NULL;
  struct oci_config *cfg = NULL;
  cleanup_free char *merged = NULL;
  struct rt_container c;
  enum rt_status s;
  int rc = -1;

  /* checked whole before anything is touched */
  if (oci_resources_parse (resources, len, "resources", &r, err) < 0)
    return -1;
  oci_resources_free (r);
  if (rt_open_with_cgroup (g, id, &c, &cg, err) < 0)
    return -1;
  s = rt_container_status (&c);
  if (s == RT_STOPPED || s == RT_CREATING)
    husk_error (err, 0, "cannot update container \"%s\": it is %s", id,
                rt_status_name (s));
  else if (rt_check_not_job (&c, err) == 0
           && merge_resources (c.dirfd, resources, len, &merged, err) == 0
           && oci_config_parse (merged, strlen (merged), RT_CONFIG_FILE, &cfg,
                                err) == 0
           && husk_cgroup_apply (cg, cfg->linux_, HUSK_CGROUP_UPDATE
                                                     | rt_cgroup_apply_flags (g),
                                err) == 0)
    rc = save_config (c.dirfd, merged, err);
  oci_config_free (cfg);
  rt_container_release (&c);
  return rc;
}
