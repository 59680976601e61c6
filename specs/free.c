/* Freeing the parsed documents; each free takes a half-parsed struct too
 * (the parsers store what they allocate at once). */
#include "parse.h"

#include <stdlib.h>

void
oci_strv_free (char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    free (v[i]);
  free (v);
}

static void
oci_kv_free (struct oci_kv *kv, size_t n)
{
  for (size_t i = 0; kv && i < n; i++)
    {
      free (kv[i].key);
      free (kv[i].value);
    }
  free (kv);
}

/* ---------- process ---------- */

static void
capabilities_free (struct oci_capabilities *c)
{
  if (c == NULL)
    return;
  oci_strv_free (c->bounding);
  oci_strv_free (c->effective);
  oci_strv_free (c->inheritable);
  oci_strv_free (c->permitted);
  oci_strv_free (c->ambient);
  free (c);
}

static void
oci_process_clear (struct oci_process *p)
{
  free (p->user.additional_gids);
  free (p->user.username);
  oci_strv_free (p->args);
  free (p->command_line);
  oci_strv_free (p->env);
  free (p->cwd);
  capabilities_free (p->capabilities);
  for (size_t i = 0; p->rlimits && i < p->n_rlimits; i++)
    free (p->rlimits[i].type);
  free (p->rlimits);
  free (p->apparmor_profile);
  free (p->selinux_label);
  if (p->io_priority)
    free (p->io_priority->class_name);
  free (p->io_priority);
  if (p->scheduler)
    {
      free (p->scheduler->policy);
      oci_strv_free (p->scheduler->flags);
    }
  free (p->scheduler);
  if (p->exec_cpu_affinity)
    {
      free (p->exec_cpu_affinity->initial);
      free (p->exec_cpu_affinity->final);
    }
  free (p->exec_cpu_affinity);
}

void
oci_process_free (struct oci_process *p)
{
  if (p == NULL)
    return;
  oci_process_clear (p);
  free (p);
}

/* ---------- resources ---------- */

static void
block_io_free (struct oci_block_io *b)
{
  if (b == NULL)
    return;
  free (b->weight_device);
  free (b->throttle_read_bps_device);
  free (b->throttle_write_bps_device);
  free (b->throttle_read_iops_device);
  free (b->throttle_write_iops_device);
  free (b);
}

void
oci_resources_free (struct oci_resources *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; r->devices && i < r->n_devices; i++)
    {
      free (r->devices[i].type);
      free (r->devices[i].access);
    }
  free (r->devices);
  free (r->memory);
  if (r->cpu)
    {
      free (r->cpu->cpus);
      free (r->cpu->mems);
    }
  free (r->cpu);
  free (r->pids);
  block_io_free (r->block_io);
  for (size_t i = 0; r->hugepage_limits && i < r->n_hugepage_limits; i++)
    free (r->hugepage_limits[i].page_size);
  free (r->hugepage_limits);
  if (r->network)
    {
      for (size_t i = 0; r->network->priorities && i < r->network->n_priorities;
           i++)
        free (r->network->priorities[i].name);
      free (r->network->priorities);
    }
  free (r->network);
  for (size_t i = 0; r->rdma && i < r->n_rdma; i++)
    free (r->rdma[i].device);
  free (r->rdma);
  oci_kv_free (r->unified, r->n_unified);
  free (r);
}

/* ---------- seccomp, linux ---------- */

void
oci_seccomp_free (struct oci_seccomp *s)
{
  if (s == NULL)
    return;
  free (s->default_action);
  oci_strv_free (s->architectures);
  oci_strv_free (s->flags);
  free (s->listener_path);
  free (s->listener_metadata);
  for (size_t i = 0; s->syscalls && i < s->n_syscalls; i++)
    {
      oci_strv_free (s->syscalls[i].names);
      free (s->syscalls[i].action);
      free (s->syscalls[i].args);
    }
  free (s->syscalls);
  free (s);
}

static void
oci_linux_free (struct oci_linux *l)
{
  if (l == NULL)
    return;
  for (size_t i = 0; l->namespaces && i < l->n_namespaces; i++)
    free (l->namespaces[i].path);
  free (l->namespaces);
  free (l->uid_mappings);
  free (l->gid_mappings);
  for (size_t i = 0; l->devices && i < l->n_devices; i++)
    {
      free (l->devices[i].type);
      free (l->devices[i].path);
    }
  free (l->devices);
  free (l->cgroups_path);
  oci_resources_free (l->resources);
  oci_kv_free (l->sysctl, l->n_sysctl);
  oci_seccomp_free (l->seccomp);
  free (l->rootfs_propagation);
  oci_strv_free (l->masked_paths);
  oci_strv_free (l->readonly_paths);
  free (l->mount_label);
  if (l->personality)
    {
      free (l->personality->domain);
      oci_strv_free (l->personality->flags);
    }
  free (l->personality);
  for (size_t i = 0; l->net_devices && i < l->n_net_devices; i++)
    {
      free (l->net_devices[i].host_name);
      free (l->net_devices[i].name);
    }
  free (l->net_devices);
  if (l->intel_rdt)
    {
      free (l->intel_rdt->clos_id);
      free (l->intel_rdt->l3_cache_schema);
      free (l->intel_rdt->mem_bw_schema);
      free (l->intel_rdt->schemata);
    }
  free (l->intel_rdt);
  if (l->memory_policy)
    {
      free (l->memory_policy->mode);
      free (l->memory_policy->nodes);
      oci_strv_free (l->memory_policy->flags);
    }
  free (l->memory_policy);
  free (l);
}

/* ---------- the document ---------- */

static void
hook_list_free (struct oci_hook_list *l)
{
  for (size_t i = 0; l->hooks && i < l->n; i++)
    {
      free (l->hooks[i].path);
      oci_strv_free (l->hooks[i].args);
      oci_strv_free (l->hooks[i].env);
    }
  free (l->hooks);
}

static void
hooks_free (struct oci_hooks *h)
{
  if (h == NULL)
    return;
  hook_list_free (&h->prestart);
  hook_list_free (&h->create_runtime);
  hook_list_free (&h->create_container);
  hook_list_free (&h->start_container);
  hook_list_free (&h->poststart);
  hook_list_free (&h->poststop);
  free (h);
}

void
oci_config_free (struct oci_config *c)
{
  if (c == NULL)
    return;
  free (c->oci_version);
  oci_process_free (c->process);
  if (c->root)
    free (c->root->path);
  free (c->root);
  free (c->hostname);
  free (c->domainname);
  for (size_t i = 0; c->mounts && i < c->n_mounts; i++)
    {
      struct oci_mount *m = &c->mounts[i];
      free (m->destination);
      free (m->type);
      free (m->source);
      oci_strv_free (m->options);
      free (m->uid_mappings);
      free (m->gid_mappings);
    }
  free (c->mounts);
  hooks_free (c->hooks);
  oci_kv_free (c->annotations, c->n_annotations);
  oci_linux_free (c->linux_);
  free (c);
}
