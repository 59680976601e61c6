/* The container's networks: how the lifecycle drives network/ (see
 * network/network.h for the order).  network/ takes the state root as a
 * path: husk hands it the --root directory it holds open. */
#include "internal.h"

#include <stdio.h>

#include "../network/network.h"

static void
root_path (int rootfd, char buf[32])
{
  snprintf (buf, 32, "/proc/self/fd/%d", rootfd);
}

int
rt_net_prepare (const struct husk_globals *g, const struct oci_config *cfg,
                struct husk_net **out, husk_err **err)
{
  if (network_parse (cfg, out, err) < 0)
    return -1;
  if (g->rootless && network_check_unprivileged (*out, err) < 0)
    return -1;
  return network_check_host (*out, err);
}

int
rt_net_setup (const struct husk_net *n, pid_t pid, int rootfd, const char *id,
              husk_err **err)
{
  char root[32];

  if (n == NULL)
    return 0;
  root_path (rootfd, root);
  return network_setup (n, pid, root, id, err);
}

int
rt_net_teardown (int rootfd, const char *id, husk_err **err)
{
  char root[32];

  root_path (rootfd, root);
  return network_teardown (root, id, err);
}

void
rt_net_free (struct husk_net *n)
{
  network_free (n);
}
