/* Links through libnl-route-3: netlink sockets bound to a namespace, veth
 * pairs, bridges, macvlan/ipvlan sublinks, VXLAN devices and their FDB. */
#include <errno.h>
#include <linux/neighbour.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/ipvlan.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/neighbour.h>

#include "../lib/cleanup.h"
#include "internal.h"

static void
link_putp (struct rtnl_link **l)
{
  if (*l)
    rtnl_link_put (*l);
}
#define cleanup_link __attribute__ ((cleanup (link_putp)))

static void
addr_putp (struct nl_addr **a)
{
  if (*a)
    nl_addr_put (*a);
}
#define cleanup_nladdr __attribute__ ((cleanup (addr_putp)))

void
nl_closep (struct nl_sock **sk)
{
  if (*sk)
    nl_socket_free (*sk);
  *sk = NULL;
}

int
nl_errno (int nlerr)
{
  static const struct { int nle, errnum; } map[] = {
    { NLE_EXIST, EEXIST },       { NLE_OBJ_NOTFOUND, ENODEV },
    { NLE_NODEV, ENODEV },       { NLE_OPNOTSUPP, EOPNOTSUPP },
    { NLE_PERM, EPERM },         { NLE_NOACCESS, EACCES },
    { NLE_BUSY, EBUSY },         { NLE_INVAL, EINVAL },
    { NLE_RANGE, ERANGE },       { NLE_NOMEM, ENOMEM },
    { NLE_AGAIN, EAGAIN },       { NLE_AF_NOSUPPORT, EAFNOSUPPORT },
    { NLE_MSGSIZE, EMSGSIZE },   { NLE_BAD_SOCK, EBADF },
  };
  if (nlerr < 0)
    nlerr = -nlerr;
  for (size_t i = 0; i < sizeof map / sizeof *map; i++)
    if (map[i].nle == nlerr)
      return map[i].errnum;
  return 0;
}

int
nl_fail (husk_err **err, int nlerr, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  int errnum = nl_errno (nlerr);
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (errnum)
    return husk_error (err, errnum, "%s", msg ? msg : "netlink");
  return husk_error (err, 0, "%s: %s", msg ? msg : "netlink",
                     nl_geterror (nlerr));
}

struct open_args {
  int nsfd;
  struct nl_sock *sk;
  int nlerr, errnum;
};

/* A netlink socket talks to the namespace it was made in, for its whole
 * life: make it in a short-lived thread that entered the container's
 * namespace, and this thread stays where it was. */
static void *
open_in_ns (void *data)
{
  struct open_args *a = data;

  if (a->nsfd >= 0 && setns (a->nsfd, CLONE_NEWNET) < 0)
    {
      a->errnum = errno;
      return NULL;
    }
  a->sk = nl_socket_alloc ();
  if (a->sk == NULL)
    {
      a->errnum = ENOMEM;
      return NULL;
    }
  a->nlerr = nl_connect (a->sk, NETLINK_ROUTE);
  if (a->nlerr < 0)
    nl_closep (&a->sk);
  return NULL;
}

int
nl_open (int nsfd, struct nl_sock **out, husk_err **err)
{
  struct open_args a = { nsfd, NULL, 0, 0 };
  pthread_t t;
  int r;

  if (nsfd < 0)
    open_in_ns (&a);
  else
    {
      r = pthread_create (&t, NULL, open_in_ns, &a);
      if (r != 0)
        return husk_error (err, r, "netlink: start a thread");
      pthread_join (t, NULL);
    }
  if (a.errnum)
    return husk_error (err, a.errnum, "netlink: enter the container's "
                                      "network namespace");
  if (a.nlerr < 0)
    return nl_fail (err, a.nlerr, "netlink: connect");
  *out = a.sk;
  return 0;
}

void
veth_host_name (const char *id, unsigned index, char out[IF_NAMESIZE])
{
  uint32_t h = 2166136261u; /* FNV-1a */

  for (const char *p = id; *p; p++)
    h = (h ^ (uint8_t) *p) * 16777619u;
  snprintf (out, IF_NAMESIZE, "hk%08x-%u", h, index);
}

int
link_index (struct nl_sock *sk, const char *name, int *index, husk_err **err)
{
  cleanup_link struct rtnl_link *l = NULL;
  int r = rtnl_link_get_kernel (sk, 0, name, &l);

  if (r < 0)
    return nl_fail (err, r, "link %s", name);
  *index = rtnl_link_get_ifindex (l);
  return 0;
}

static int
set_mtu_mac (struct rtnl_link *l, const struct husk_net_if *nif)
{
  cleanup_nladdr struct nl_addr *mac = NULL;

  if (nif->mtu)
    rtnl_link_set_mtu (l, nif->mtu);
  if (nif->has_mac)
    {
      mac = nl_addr_build (AF_LLC, nif->mac, 6);
      if (mac == NULL)
        return -NLE_NOMEM;
      rtnl_link_set_addr (l, mac);
    }
  return 0;
}

/* The prefix of the interface's subnet that holds the gateway g. */
static unsigned
gateway_prefix (const struct husk_net_if *nif, const struct husk_cidr *g)
{
  for (size_t i = 0; i < nif->n_addrs; i++)
    if (cidr_contains (&nif->addrs[i], g))
      return nif->addrs[i].prefix;
  for (size_t i = 0; i < nif->n_pools; i++)
    if (cidr_contains (&nif->pools[i], g))
      return nif->pools[i].prefix;
  return g->prefix;
}

/* Creates the bridge when missing (two containers may race for it: the
 * loser finds it made), gives it the gateway addresses and brings it up. */
int
link_ensure_bridge (struct nl_sock *sk, const struct husk_net_if *nif,
                    husk_err **err)
{
  cleanup_link struct rtnl_link *br = rtnl_link_bridge_alloc ();
  int index, r;

  if (br == NULL)
    return husk_error (err, ENOMEM, "bridge %s", nif->bridge);
  rtnl_link_set_name (br, nif->bridge);
  r = rtnl_link_add (sk, br, NLM_F_CREATE | NLM_F_EXCL);
  if (r < 0 && r != -NLE_EXIST)
    return nl_fail (err, r, "create bridge %s", nif->bridge);
  if (link_index (sk, nif->bridge, &index, err) < 0)
    return -1;
  for (size_t i = 0; i < nif->n_gateways; i++)
    {
      struct husk_cidr gw = nif->gateways[i];
      gw.prefix = gateway_prefix (nif, &gw);
      if (addr_add (sk, index, &gw, err) < 0)
        return husk_err_wrap (err, "bridge %s", nif->bridge);
    }
  return link_attach_up (sk, nif->bridge, NULL, err);
}

static int
fdb_append (struct nl_sock *sk, int index, const struct husk_cidr *remote,
            husk_err **err)
{
  static const uint8_t zero_mac[6];
  struct rtnl_neigh *n = rtnl_neigh_alloc ();
  cleanup_nladdr struct nl_addr *mac = nl_addr_build (AF_LLC, zero_mac, 6);
  cleanup_nladdr struct nl_addr *dst
      = nl_addr_build (remote->family, remote->addr,
                       cidr_family_len (remote->family));
  char buf[CIDR_STRLEN];
  int r;

  if (n == NULL || mac == NULL || dst == NULL)
    {
      if (n)
        rtnl_neigh_put (n);
      return husk_error (err, ENOMEM, "fdb entry");
    }
  /* bridge fdb append 00:00:00:00:00:00 dev VXLAN dst REMOTE: flood
   * broadcast and unknown unicast to every peer host. */
  rtnl_neigh_set_ifindex (n, index);
  rtnl_neigh_set_lladdr (n, mac);
  /* libnl refuses a dst of another family than the entry's: family last. */
  rtnl_neigh_set_dst (n, dst);
  rtnl_neigh_set_family (n, AF_BRIDGE);
  rtnl_neigh_set_state (n, NUD_NOARP | NUD_PERMANENT);
  rtnl_neigh_set_flags (n, NTF_SELF);
  r = rtnl_neigh_add (sk, n, NLM_F_CREATE | NLM_F_APPEND);
  rtnl_neigh_put (n);
  if (r < 0 && r != -NLE_EXIST)
    return nl_fail (err, r, "fdb entry for peer %s",
                    cidr_str (remote, false, buf));
  return 0;
}

/* husk-vx<VNI> on the bridge, learning off, with an FDB entry per peer. */
int
link_ensure_vxlan (struct nl_sock *sk, const struct husk_net_if *nif,
                   husk_err **err)
{
  const struct husk_vxlan *vx = nif->vxlan;
  cleanup_link struct rtnl_link *l = rtnl_link_vxlan_alloc ();
  cleanup_nladdr struct nl_addr *local = NULL;
  char name[IF_NAMESIZE];
  int index, r;

  snprintf (name, sizeof name, "husk-vx%u", vx->id);
  if (l == NULL)
    return husk_error (err, ENOMEM, "vxlan %s", name);
  rtnl_link_set_name (l, name);
  rtnl_link_vxlan_set_id (l, vx->id);
  rtnl_link_vxlan_set_port (l, vx->port);
  rtnl_link_vxlan_set_learning (l, 0);
  if (vx->has_local)
    {
      local = nl_addr_build (vx->local.family, vx->local.addr,
                             cidr_family_len (vx->local.family));
      if (local == NULL)
        return husk_error (err, ENOMEM, "vxlan %s", name);
      rtnl_link_vxlan_set_local (l, local);
    }
  if (vx->dev[0])
    {
      if (link_index (sk, vx->dev, &index, err) < 0)
        return husk_err_wrap (err, "vxlan %s: underlay", name);
      rtnl_link_vxlan_set_link (l, index);
    }
  r = rtnl_link_add (sk, l, NLM_F_CREATE | NLM_F_EXCL);
  if (r < 0 && r != -NLE_EXIST)
    return nl_fail (err, r, "create vxlan %s (VNI %u, port %u)", name, vx->id,
                    vx->port);
  if (link_index (sk, name, &index, err) < 0)
    return -1;
  for (size_t i = 0; i < vx->n_remotes; i++)
    if (fdb_append (sk, index, &vx->remotes[i], err) < 0)
      return husk_err_wrap (err, "vxlan %s", name);
  return link_attach_up (sk, name, nif->bridge, err);
}

/* The pair is made with its container end already in the container's
 * namespace under its final name: it never exists in the host's. */
int
link_add_veth (struct nl_sock *sk, const struct husk_net_if *nif,
               const char *host_name, int nsfd, husk_err **err)
{
  cleanup_link struct rtnl_link *l = rtnl_link_veth_alloc ();
  cleanup_link struct rtnl_link *peer = NULL;
  int r;

  if (l == NULL)
    return husk_error (err, ENOMEM, "veth %s", host_name);
  peer = rtnl_link_veth_get_peer (l);
  rtnl_link_set_name (l, host_name);
  if (nif->mtu)
    rtnl_link_set_mtu (l, nif->mtu);
  rtnl_link_set_name (peer, nif->name);
  rtnl_link_set_ns_fd (peer, nsfd);
  r = set_mtu_mac (peer, nif);
  if (r == 0)
    r = rtnl_link_add (sk, l, NLM_F_CREATE | NLM_F_EXCL);
  if (r < 0)
    return nl_fail (err, r, "create veth pair %s (host) and %s (container)",
                    host_name, nif->name);
  return 0;
}

static const char *
type_name (enum husk_net_type t)
{
  return t == HUSK_NET_MACVLAN ? "macvlan" : t == HUSK_NET_IPVLAN ? "ipvlan"
                                                                  : "veth";
}

/* macvlan or ipvlan on the parent link, made in the container's namespace. */
int
link_add_sublink (struct nl_sock *sk, const struct husk_net_if *nif, int nsfd,
                  husk_err **err)
{
  bool ipvlan = nif->type == HUSK_NET_IPVLAN;
  cleanup_link struct rtnl_link *l = ipvlan ? rtnl_link_ipvlan_alloc ()
                                            : rtnl_link_macvlan_alloc ();
  int parent, r;

  if (l == NULL)
    return husk_error (err, ENOMEM, "%s %s", type_name (nif->type), nif->name);
  if (link_index (sk, nif->link, &parent, err) < 0)
    return husk_err_wrap (err, "%s %s: parent", type_name (nif->type),
                          nif->name);
  rtnl_link_set_name (l, nif->name);
  rtnl_link_set_link (l, parent);
  rtnl_link_set_ns_fd (l, nsfd);
  r = ipvlan ? rtnl_link_ipvlan_set_mode (l, nif->mode)
             : rtnl_link_macvlan_set_mode (l, nif->mode);
  if (r == 0)
    r = set_mtu_mac (l, nif);
  if (r == 0)
    r = rtnl_link_add (sk, l, NLM_F_CREATE | NLM_F_EXCL);
  if (r == -NLE_OPNOTSUPP)
    return husk_error (err, EOPNOTSUPP,
                       "%s is not supported by this kernel (RTM_NEWLINK "
                       "for %s on %s)", type_name (nif->type), nif->name,
                       nif->link);
  if (r < 0)
    return nl_fail (err, r, "create %s %s on %s", type_name (nif->type),
                    nif->name, nif->link);
  return 0;
}

/* Puts the link on the bridge (when given) and brings it up. */
int
link_attach_up (struct nl_sock *sk, const char *name, const char *bridge,
                husk_err **err)
{
  cleanup_link struct rtnl_link *l = NULL;
  cleanup_link struct rtnl_link *change = rtnl_link_alloc ();
  int r, master;

  if (change == NULL)
    return husk_error (err, ENOMEM, "link %s", name);
  r = rtnl_link_get_kernel (sk, 0, name, &l);
  if (r < 0)
    return nl_fail (err, r, "link %s", name);
  if (bridge)
    {
      if (link_index (sk, bridge, &master, err) < 0)
        return -1;
      rtnl_link_set_master (change, master);
    }
  rtnl_link_set_flags (change, IFF_UP);
  r = rtnl_link_change (sk, l, change, 0);
  if (r < 0)
    return nl_fail (err, r, bridge ? "put %s on bridge %s and up" : "%s up",
                    name, bridge);
  return 0;
}

int
link_delete (struct nl_sock *sk, const char *name, husk_err **err)
{
  cleanup_link struct rtnl_link *l = rtnl_link_alloc ();
  int r;

  if (l == NULL)
    return husk_error (err, ENOMEM, "link %s", name);
  rtnl_link_set_name (l, name);
  r = rtnl_link_delete (sk, l);
  if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV)
    return nl_fail (err, r, "delete link %s", name);
  return 0;
}
