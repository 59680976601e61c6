/* network_setup and network_teardown: builds what struct husk_net asks for
 * and records each thing as it is made in <root>/<id>/network, one line a
 * thing, which teardown undoes last first:
 *   pin                      the netns is pinned on <root>/<id>/netns
 *   netdev NAME HOSTNAME     a netDevice, NAME inside
 *   ipam KEY                 pool addresses of id in <root>/.ipam/KEY
 *   link NAME                a host link (a veth's host end)
 *   nat                      the nftables table of id */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "../lib/cleanup.h"
#include "internal.h"

#define RECORD "network"

static int
check_link (struct nl_sock *sk, const char *name, const char *bridge_of,
            husk_err **err)
{
  struct rtnl_link *l = NULL;
  int r = rtnl_link_get_kernel (sk, 0, name, &l);
  const char *type;

  if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV)
    return bridge_of ? 0
                     : husk_error (err, 0, "no link \"%s\" in the host's "
                                           "network namespace", name);
  if (r < 0)
    return nl_fail (err, r, "link \"%s\"", name);
  type = rtnl_link_get_type (l);
  if (bridge_of && (type == NULL || strcmp (type, "bridge") != 0))
    husk_error (err, 0, "\"%s\" exists and is a %s link, not a bridge", name,
                type ? type : "plain");
  rtnl_link_put (l);
  return err && *err ? -1 : 0;
}

int
network_check_host (const struct husk_net *n, husk_err **err)
{
  cleanup_nl struct nl_sock *sk = NULL;

  if (n == NULL)
    return 0;
  if (nl_open (-1, &sk, err) < 0)
    return -1;
  for (size_t i = 0; i < n->n_ifs; i++)
    {
      const struct husk_net_if *nif = &n->ifs[i];
      if (nif->link[0] && check_link (sk, nif->link, NULL, err) < 0)
        return husk_err_wrap (err, "annotation husk.net.%u.link", nif->index);
      if (nif->bridge[0] && check_link (sk, nif->bridge, "", err) < 0)
        return husk_err_wrap (err, "annotation husk.net.%u.bridge",
                              nif->index);
      if (nif->vxlan && nif->vxlan->dev[0]
          && check_link (sk, nif->vxlan->dev, NULL, err) < 0)
        return husk_err_wrap (err, "annotation husk.net.%u.vxlan.dev",
                              nif->index);
    }
  for (size_t i = 0; i < n->n_devs; i++)
    if (check_link (sk, n->devs[i].host_name, NULL, err) < 0)
      return husk_err_wrap (err, "config.json: linux.netDevices.%s",
                            n->devs[i].host_name);
  return 0;
}

struct ctx {
  const char *state_root, *id;
  char *dir;
  int record, nsfd;
  struct nl_sock *host, *inside;
};

__attribute__ ((format (printf, 3, 4))) static int
note (struct ctx *c, husk_err **err, const char *fmt, ...)
{
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vdprintf (c->record, fmt, ap);
  va_end (ap);
  if (r < 0)
    return husk_error (err, errno, "network: write %s/" RECORD, c->dir);
  return 0;
}

/* Static addresses, then one from each pool. */
static int
gather_addrs (struct ctx *c, const struct husk_net_if *nif,
              struct husk_cidr **out, husk_err **err)
{
  struct husk_cidr *v = calloc (nif->n_addrs + nif->n_pools + 1, sizeof *v);

  if (v == NULL)
    return husk_error (err, ENOMEM, "network");
  if (nif->n_addrs)
    memcpy (v, nif->addrs, nif->n_addrs * sizeof *v);
  *out = v;
  for (size_t i = 0; i < nif->n_pools; i++)
    {
      cleanup_free char *key = NULL;
      if (ipam_allocate (c->state_root, &nif->pools[i], nif, c->id,
                         &v[nif->n_addrs + i], &key, err) < 0
          || note (c, err, "ipam %s\n", key) < 0)
        return -1;
    }
  return 0;
}

/* A routed veth (no bridge) carries the gateway addresses on its host end,
 * which makes the container reachable from the host. */
static int
setup_veth (struct ctx *c, const struct husk_net_if *nif,
            const struct husk_cidr *addrs, size_t n_addrs, husk_err **err)
{
  char host[IF_NAMESIZE];
  int index;

  if (nif->bridge[0] && link_ensure_bridge (c->host, nif, err) < 0)
    return -1;
  if (nif->vxlan && link_ensure_vxlan (c->host, nif, err) < 0)
    return -1;
  veth_host_name (c->id, nif->index, host);
  if (link_add_veth (c->host, nif, host, c->nsfd, err) < 0
      || note (c, err, "link %s\n", host) < 0
      || link_attach_up (c->host, host, nif->bridge[0] ? nif->bridge : NULL,
                         err) < 0)
    return -1;
  if (!nif->bridge[0] && nif->n_gateways)
    {
      if (link_index (c->host, host, &index, err) < 0)
        return -1;
      for (size_t i = 0; i < nif->n_gateways; i++)
        {
          struct husk_cidr gw = nif->gateways[i];
          for (size_t j = 0; j < n_addrs; j++)
            if (cidr_contains (&addrs[j], &gw))
              gw.prefix = addrs[j].prefix;
          if (addr_add (c->host, index, &gw, err) < 0)
            return husk_err_wrap (err, "%s", host);
        }
    }
  if (nif->masquerade || nif->n_ports)
    return nat_prepare (err) < 0 || note (c, err, "nat\n") < 0
               ? -1
               : nat_add (c->id, nif, addrs, n_addrs, err);
  return 0;
}

static int
setup_if (struct ctx *c, const struct husk_net_if *nif, husk_err **err)
{
  cleanup_free struct husk_cidr *addrs = NULL;
  size_t n_addrs = nif->n_addrs + nif->n_pools;
  int r;

  if (gather_addrs (c, nif, &addrs, err) < 0)
    return -1;
  r = nif->type == HUSK_NET_VETH
          ? setup_veth (c, nif, addrs, n_addrs, err)
          : link_add_sublink (c->host, nif, c->nsfd, err);
  if (r == 0)
    r = addr_configure_inside (c->inside, nif, addrs, n_addrs, err);
  if (r < 0)
    return husk_err_wrap (err, "network husk.net.%u (%s)", nif->index,
                          nif->name);
  return 0;
}

static int
setup_devices (struct ctx *c, const struct husk_net *n, pid_t pid,
               husk_err **err)
{
  if (n->n_devs == 0)
    return 0;
  if (note (c, err, "pin\n") < 0 || netdev_pin (c->dir, pid, err) < 0)
    return -1;
  for (size_t i = 0; i < n->n_devs; i++)
    if (note (c, err, "netdev %s %s\n", n->devs[i].name,
              n->devs[i].host_name) < 0
        || netdev_move_in (c->host, &n->devs[i], c->nsfd, err) < 0)
      return -1;
  return 0;
}

static int
setup_all (struct ctx *c, const struct husk_net *n, pid_t pid, husk_err **err)
{
  char path[64];

  snprintf (path, sizeof path, "/proc/%d/ns/net", (int) pid);
  c->nsfd = open (path, O_RDONLY | O_CLOEXEC);
  if (c->nsfd < 0)
    return husk_error (err, errno, "network: open %s", path);
  if (nl_open (-1, &c->host, err) < 0 || nl_open (c->nsfd, &c->inside, err) < 0)
    return -1;
  if (setup_devices (c, n, pid, err) < 0)
    return -1;
  if (n->n_ifs && addr_loopback_up (c->inside, err) < 0)
    return husk_err_wrap (err, "network");
  for (size_t i = 0; i < n->n_ifs; i++)
    if (setup_if (c, &n->ifs[i], err) < 0)
      return -1;
  return 0;
}

int
network_setup (const struct husk_net *n, pid_t pid, const char *state_root,
               const char *id, husk_err **err)
{
  cleanup_free char *dir = NULL, *path = NULL;
  struct ctx c = { state_root, id, NULL, -1, -1, NULL, NULL };
  int r;

  if (n == NULL)
    return 0;
  if (network_check_host (n, err) < 0)
    return -1;
  if (asprintf (&dir, "%s/%s", state_root, id) < 0
      || asprintf (&path, "%s/" RECORD, dir) < 0)
    return husk_error (err, ENOMEM, "network");
  c.dir = dir;
  c.record = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC
                             | O_NOFOLLOW, 0600);
  if (c.record < 0)
    return husk_error (err, errno, "network: create %s", path);
  r = setup_all (&c, n, pid, err);
  close (c.record);
  if (c.nsfd >= 0)
    close (c.nsfd);
  nl_closep (&c.host);
  nl_closep (&c.inside);
  if (r < 0)
    {
      cleanup_err husk_err *undo = NULL;
      network_teardown (state_root, id, &undo);
    }
  return r;
}

/* ---- teardown ---- */

static int
undo_line (struct nl_sock *host, const char *root, const char *id,
           const char *dir, char *line, husk_err **err)
{
  char *arg = strchr (line, ' '), *arg2;

  if (arg)
    *arg++ = '\0';
  if (strcmp (line, "link") == 0 && arg)
    return link_delete (host, arg, err);
  if (strcmp (line, "ipam") == 0 && arg)
    return ipam_release (root, arg, id, err);
  if (strcmp (line, "nat") == 0)
    return nat_remove (id, err);
  if (strcmp (line, "pin") == 0)
    return netdev_unpin (dir, err);
  if (strcmp (line, "netdev") == 0 && arg && (arg2 = strchr (arg, ' ')))
    {
      *arg2++ = '\0';
      return netdev_give_back (dir, arg, arg2, err);
    }
  return 0; /* a line from a newer husk: not ours to guess */
}

int
network_teardown (const char *state_root, const char *id, husk_err **err)
{
  cleanup_free char *dir = NULL, *path = NULL, *text = NULL;
  cleanup_nl struct nl_sock *host = NULL;
  cleanup_file FILE *f = NULL;
  char *lines[256];
  size_t n = 0, len = 0;
  int r = 0;

  if (asprintf (&dir, "%s/%s", state_root, id) < 0
      || asprintf (&path, "%s/" RECORD, dir) < 0)
    return husk_error (err, ENOMEM, "network teardown");
  f = fopen (path, "re");
  if (f == NULL)
    return errno == ENOENT ? 0 : husk_error (err, errno, "network: %s", path);
  if (getdelim (&text, &len, '\0', f) < 0)
    {
      if (ferror (f) || text == NULL)
        return husk_error (err, errno, "network: read %s", path);
      *text = '\0'; /* an empty record */
    }
  if (nl_open (-1, &host, err) < 0)
    return husk_err_wrap (err, "network teardown");
  for (char *p = text, *line; p && (line = strsep (&p, "\n"));)
    if (*line && n < sizeof lines / sizeof *lines)
      lines[n++] = line;
  while (n-- > 0)
    {
      cleanup_err husk_err *step = NULL;
      if (undo_line (host, state_root, id, dir, lines[n], &step) < 0)
        {
          r = -1;
          if (err && *err == NULL)
            *err = steal_ptr (&step);
        }
    }
  if (r < 0)
    return husk_err_wrap (err, "network teardown (kept %s to retry)", path);
  if (unlink (path) < 0 && errno != ENOENT)
    return husk_error (err, errno, "network: remove %s", path);
  return 0;
}
