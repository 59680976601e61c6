/* Lookups on a parsed config. */
#include "parse.h"

#include <string.h>

const char *const oci_ns_names[] = {
  "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time", NULL
};

const char *
oci_ns_type_name (enum oci_ns_type type)
{
  return (unsigned) type < OCI_NS_COUNT ? oci_ns_names[type] : "unknown";
}

/* The last of repeated keys wins, as in the parsers of other runtimes. */
const char *
oci_annotation (const struct oci_config *c, const char *key)
{
  const char *value = NULL;
  for (size_t i = 0; i < c->n_annotations; i++)
    if (strcmp (c->annotations[i].key, key) == 0)
      value = c->annotations[i].value;
  return value;
}

const struct oci_namespace *
oci_find_namespace (const struct oci_config *c, enum oci_ns_type type)
{
  if (c->linux_ == NULL)
    return NULL;
  for (size_t i = 0; i < c->linux_->n_namespaces; i++)
    if (c->linux_->namespaces[i].type == type)
      return &c->linux_->namespaces[i];
  return NULL;
}
