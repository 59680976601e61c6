/* husk job's flags as an OCI config: husk spec's default config, parsed
 * (oci_default_config), with the job's process, mounts, limits, network
 * and seccomp profile put into its structs.  The run then takes the same
 * path as a bundle's config. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>

#include "../lib/cleanup.h"

/* The network of --net bridge (README "Networks"): one bridge for every
 * job, addresses from a pool, NAT to the host's other links. */
static const struct oci_kv bridge_net[] = {
  { "husk.net.0.type", "veth" },
  { "husk.net.0.bridge", "huskjob0" },
  { "husk.net.0.pool", "10.89.0.0/16" },
  { "husk.net.0.gateway", "10.89.0.1" },
  { "husk.net.0.masquerade", "true" },
};

static int
oom (husk_err **err)
{
  return husk_error (err, ENOMEM, "job: building the config");
}

/* Appends a copy of s to the NULL-terminated list *v. */
static int
strv_add (char ***v, const char *s, husk_err **err)
{
  size_t n = 0;
  char **nv;

  while (*v && (*v)[n])
    n++;
  nv = realloc (*v, (n + 2) * sizeof *nv);
  if (nv == NULL)
    return oom (err);
  *v = nv;
  nv[n + 1] = NULL;
  if ((nv[n] = strdup (s)) == NULL)
    return oom (err);
  return 0;
}

static bool
strv_has (char **v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp (*v, s) == 0)
      return true;
  return false;
}

/* K=V replaces the default's K. */
static int
set_env (struct oci_process *p, const char *kv, husk_err **err)
{
  size_t klen = strcspn (kv, "=") + 1;

  for (char **e = p->env; e && *e; e++)
    if (strncmp (*e, kv, klen) == 0)
      {
        char *nv = strdup (kv);
        if (nv == NULL)
          return oom (err);
        free (*e);
        *e = nv;
        return 0;
      }
  return strv_add (&p->env, kv, err);
}

static int
add_annotation (struct oci_config *c, const char *k, const char *v,
                husk_err **err)
{
  struct oci_kv *na = realloc (c->annotations,
                               (c->n_annotations + 1) * sizeof *na);
  if (na == NULL)
    return oom (err);
  c->annotations = na;
  na[c->n_annotations] = (struct oci_kv){ strdup (k), strdup (v) };
  c->n_annotations++;
  if (!na[c->n_annotations - 1].key || !na[c->n_annotations - 1].value)
    return oom (err);
  return 0;
}

/* A mount at the end of the list; options NULL-terminated. */
static int
add_mount (struct oci_config *c, const char *dst, const char *type,
           const char *src, const char *const *options, husk_err **err)
{
  struct oci_mount *nm = realloc (c->mounts, (c->n_mounts + 1) * sizeof *nm);
  struct oci_mount *m;

  if (nm == NULL)
    return oom (err);
  c->mounts = nm;
  m = &nm[c->n_mounts++];
  memset (m, 0, sizeof *m);
  m->destination = strdup (dst);
  m->type = strdup (type);
  m->source = strdup (src);
  if (!m->destination || !m->type || !m->source)
    return oom (err);
  for (; *options; options++)
    if (strv_add (&m->options, *options, err) < 0)
      return -1;
  return 0;
}

static int
check_dst (const char *flag, const char *dst, husk_err **err)
{
  if (dst[0] != '/')
    return husk_error (err, 0, "%s: the destination must be an absolute "
                       "path, got \"%s\"", flag, dst);
  return 0;
}

/* resolv_conf (NULL: none) on /etc/resolv.conf before the flags' mounts,
 * which may cover it.  Read-only: the file is in husk's state dir, whose
 * filesystem (/run for root) the job is not to fill. */
static int
job_mounts (struct oci_config *c, const struct husk_job_opts *o,
            const char *resolv_conf, husk_err **err)
{
  if (add_mount (c, "/tmp", "tmpfs", "tmpfs",
                 (const char *const[]){ "nosuid", "nodev", "mode=1777", NULL },
                 err) < 0)
    return -1;
  if (resolv_conf
      && add_mount (c, "/etc/resolv.conf", "bind", resolv_conf,
                    (const char *const[]){ "bind", "ro", "nosuid", "nodev",
                                           "noexec", NULL },
                    err) < 0)
    return -1;
  for (size_t i = 0; i < o->n_tmpfs; i++)
    {
      cleanup_free char *size = NULL;
      const struct husk_job_tmpfs *t = &o->tmpfs[i];
      if (check_dst ("--tmpfs", t->dst, err) < 0)
        return -1;
      if (t->size && asprintf (&size, "size=%s", t->size) < 0)
        return oom (err);
      if (add_mount (c, t->dst, "tmpfs", "tmpfs",
                     (const char *const[]){ "nosuid", "nodev", "mode=1777",
                                            size, NULL },
                     err) < 0)
        return -1;
    }
  for (size_t i = 0; i < o->n_binds; i++)
    {
      const struct husk_job_bind *b = &o->binds[i];
      if (check_dst ("--bind", b->dst, err) < 0)
        return -1;
      /* rro: what is mounted below the source is read-only too */
      if (add_mount (c, b->dst, "bind", b->src,
                     (const char *const[]){ "rbind", "nosuid", "nodev",
                                            b->ro ? "rro" : NULL, NULL },
                     err) < 0)
        return -1;
    }
  return 0;
}

/* "net_admin", "NET_ADMIN" or "CAP_NET_ADMIN" -> "CAP_NET_ADMIN". */
static int
cap_name (const char *s, char **out, husk_err **err)
{
  cap_value_t v;

  if (asprintf (out, "%s%s", strncasecmp (s, "CAP_", 4) == 0 ? "" : "CAP_",
                s) < 0)
    return oom (err);
  for (char *p = *out; *p; p++)
    *p = (char) (*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
  if (cap_from_name (*out, &v) < 0)
    return husk_error (err, 0, "--cap-add: unknown capability \"%s\"", s);
  return 0;
}

static int
add_caps (struct oci_process *p, char **caps, husk_err **err)
{
  struct oci_capabilities *c = p->capabilities;
  char ***sets[] = { &c->bounding, &c->effective, &c->permitted,
                     &c->ambient };

  for (; caps && *caps; caps++)
    {
      cleanup_free char *name = NULL;
      if (cap_name (*caps, &name, err) < 0)
        return -1;
      for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        if (!strv_has (*sets[i], name) && strv_add (sets[i], name, err) < 0)
          return -1;
    }
  return 0;
}

static int
job_process (struct oci_config *c, const struct husk_job_opts *o,
             husk_err **err)
{
  struct oci_process *p = c->process;

  p->terminal = false;
  oci_strv_free (p->args);
  p->args = NULL;
  for (char **a = o->args; *a; a++)
    if (strv_add (&p->args, *a, err) < 0)
      return -1;
  for (char **e = o->env; e && *e; e++)
    if (set_env (p, *e, err) < 0)
      return -1;
  if (o->workdir)
    {
      if (o->workdir[0] != '/')
        return husk_error (err, 0, "--workdir: expected an absolute path, "
                           "got \"%s\"", o->workdir);
      free (p->cwd);
      if ((p->cwd = strdup (o->workdir)) == NULL)
        return oom (err);
    }
  if (o->has_user)
    {
      p->user.uid = o->uid;
      p->user.gid = o->gid;
    }
  return add_caps (p, o->cap_add, err);
}

static int
job_resources (struct oci_linux *l, const struct husk_job_opts *o,
               husk_err **err)
{
  struct oci_resources *r = l->resources;

  if (r == NULL && (r = l->resources = calloc (1, sizeof *r)) == NULL)
    return oom (err);
  if (o->memory)
    {
      if ((r->memory = calloc (1, sizeof *r->memory)) == NULL)
        return oom (err);
      r->memory->has_limit = true;
      r->memory->limit = o->memory;
    }
  if (o->pids)
    {
      if ((r->pids = calloc (1, sizeof *r->pids)) == NULL)
        return oom (err);
      r->pids->has_limit = true;
      r->pids->limit = o->pids;
    }
  if (o->cpu_quota)
    {
      if ((r->cpu = calloc (1, sizeof *r->cpu)) == NULL)
        return oom (err);
      r->cpu->has_quota = r->cpu->has_period = true;
      r->cpu->quota = o->cpu_quota;
      r->cpu->period = 100000;
    }
  return 0;
}

static int
add_namespace (struct oci_linux *l, enum oci_ns_type type, husk_err **err)
{
  struct oci_namespace *nn;

  for (size_t i = 0; i < l->n_namespaces; i++)
    if (l->namespaces[i].type == type)
      return 0;
  nn = realloc (l->namespaces, (l->n_namespaces + 1) * sizeof *nn);
  if (nn == NULL)
    return oom (err);
  l->namespaces = nn;
  nn[l->n_namespaces++] = (struct oci_namespace){ .type = type };
  return 0;
}

static void
drop_namespace (struct oci_linux *l, enum oci_ns_type type)
{
  for (size_t i = 0; i < l->n_namespaces; i++)
    if (l->namespaces[i].type == type)
      {
        free (l->namespaces[i].path);
        l->namespaces[i] = l->namespaces[--l->n_namespaces];
        return;
      }
}

static int
job_network (struct oci_config *c, enum husk_job_net net, husk_err **err)
{
  if (net == HUSK_JOB_NET_HOST)
    drop_namespace (c->linux_, OCI_NS_NETWORK);
  if (net != HUSK_JOB_NET_BRIDGE)
    return 0;
  for (size_t i = 0; i < sizeof bridge_net / sizeof *bridge_net; i++)
    if (add_annotation (c, bridge_net[i].key, bridge_net[i].value, err) < 0)
      return -1;
  return 0;
}

/* default: husk spec's profile (the config's own), made again for the
 * job's bounding set when --cap-add changed it (Docker's profile opens
 * syscalls for some capabilities). */
static int
job_seccomp (struct oci_config *c, const char *which, bool caps_added,
             husk_err **err)
{
  struct oci_linux *l = c->linux_;

  if (which && strcmp (which, "unconfined") == 0)
    {
      oci_seccomp_free (l->seccomp);
      l->seccomp = NULL;
      return 0;
    }
  if (which == NULL || strcmp (which, "default") == 0)
    {
      struct oci_seccomp *s;
      if (!caps_added)
        return 0;
      if (oci_default_seccomp ((const char *const *) c->process->capabilities
                                   ->bounding,
                               &s, err) < 0)
        return -1;
      oci_seccomp_free (l->seccomp);
      l->seccomp = s;
      return 0;
    }
  oci_seccomp_free (l->seccomp);
  l->seccomp = NULL;
  if (oci_seccomp_load (AT_FDCWD, which, &l->seccomp, err) < 0)
    return husk_err_wrap (err, "--seccomp");
  return 0;
}

int
rt_job_config (const struct husk_globals *g, const struct husk_job_opts *o,
               const char *root_path, const char *resolv_conf,
               struct oci_config **out, husk_err **err)
{
  struct oci_config *c = NULL;

  *out = NULL;
  /* husk spec's config; rootless, its host-network form (the host's /sys
   * bound, as sysfs cannot be mounted without a network namespace of the
   * user's) only where the job shares the host's network */
  if (oci_default_config (g->rootless && o->net == HUSK_JOB_NET_HOST, &c, err) < 0)
    return -1;
  /* rootless, rt_rootless_adjust gives the job its user namespace, with
   * the user's subordinate ids where it has some */
  drop_namespace (c->linux_, OCI_NS_USER);
  free (c->root->path);
  c->root->path = strdup (root_path);
  /* the overlay is what the job writes to; its lower layer is never
   * written */
  c->root->readonly = false;
  if (c->root->path == NULL)
    {
      oci_config_free (c);
      return oom (err);
    }
  if (o->hostname)
    {
      free (c->hostname);
      if ((c->hostname = strdup (o->hostname)) == NULL)
        {
          oci_config_free (c);
          return oom (err);
        }
    }
  if (job_process (c, o, err) < 0 || job_mounts (c, o, resolv_conf, err) < 0
      || job_resources (c->linux_, o, err) < 0
      || add_namespace (c->linux_, OCI_NS_TIME, err) < 0
      || job_network (c, o->net, err) < 0
      || job_seccomp (c, o->seccomp, o->cap_add != NULL, err) < 0
      || add_annotation (c, RT_JOB_ANNOTATION, "true", err) < 0)
    {
      oci_config_free (c);
      return -1;
    }
  *out = c;
  return 0;
}
