/* Addresses, routes and the loopback, through libnl-route-3. */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "internal.h"

static struct nl_addr *
nl_addr_of (const struct husk_cidr *c, unsigned prefix)
{
  struct nl_addr *a = nl_addr_build (c->family, c->addr,
                                     cidr_family_len (c->family));
  if (a)
    nl_addr_set_prefixlen (a, prefix);
  return a;
}

/* IPv6 addresses skip duplicate address detection, as CNI's do: husk
 * assigned them, and a tentative address would fail the first seconds of
 * traffic. */
int
addr_add (struct nl_sock *sk, int ifindex, const struct husk_cidr *a,
          husk_err **err)
{
  struct rtnl_addr *ra = rtnl_addr_alloc ();
  struct nl_addr *local = nl_addr_of (a, a->prefix);
  char buf[CIDR_STRLEN];
  int r = -NLE_NOMEM;

  if (ra && local)
    {
      rtnl_addr_set_ifindex (ra, ifindex);
      r = rtnl_addr_set_local (ra, local);
      if (a->family == AF_INET6)
        rtnl_addr_set_flags (ra, IFA_F_NODAD);
      if (r == 0)
        r = rtnl_addr_add (sk, ra, 0);
    }
  if (local)
    nl_addr_put (local);
  if (ra)
    rtnl_addr_put (ra);
  if (r < 0 && r != -NLE_EXIST)
    return nl_fail (err, r, "add address %s", cidr_str (a, true, buf));
  return 0;
}

static int
set_up (struct nl_sock *sk, const char *name, husk_err **err)
{
  return link_attach_up (sk, name, NULL, err);
}

int
addr_loopback_up (struct nl_sock *sk, husk_err **err)
{
  return set_up (sk, "lo", err);
}

static int
default_route (struct nl_sock *sk, int ifindex, const struct husk_cidr *gw,
               husk_err **err)
{
  static const struct husk_cidr any;
  struct rtnl_route *rt = rtnl_route_alloc ();
  struct rtnl_nexthop *nh = rtnl_route_nh_alloc ();
  struct husk_cidr zero = any;
  struct nl_addr *dst, *via;
  char buf[CIDR_STRLEN];
  int r = -NLE_NOMEM;

  zero.family = gw->family;
  dst = nl_addr_of (&zero, 0);
  via = nl_addr_of (gw, gw->prefix);
  if (rt && nh && dst && via)
    {
      rtnl_route_set_family (rt, gw->family);
      rtnl_route_set_table (rt, RT_TABLE_MAIN);
      rtnl_route_set_protocol (rt, RTPROT_BOOT);
      rtnl_route_set_scope (rt, RT_SCOPE_UNIVERSE);
      rtnl_route_set_type (rt, RTN_UNICAST);
      r = rtnl_route_set_dst (rt, dst);
      rtnl_route_nh_set_ifindex (nh, ifindex);
      rtnl_route_nh_set_gateway (nh, via);
      rtnl_route_add_nexthop (rt, nh); /* the route owns nh now */
      nh = NULL;
      if (r == 0)
        r = rtnl_route_add (sk, rt, NLM_F_CREATE | NLM_F_EXCL);
    }
  if (nh)
    rtnl_route_nh_free (nh);
  if (rt)
    rtnl_route_put (rt);
  if (dst)
    nl_addr_put (dst);
  if (via)
    nl_addr_put (via);
  if (r < 0)
    return nl_fail (err, r, "default route via %s",
                    cidr_str (gw, false, buf));
  return 0;
}

int
addr_configure_inside (struct nl_sock *sk, const struct husk_net_if *nif,
                       const struct husk_cidr *addrs, size_t n_addrs,
                       husk_err **err)
{
  int index;

  if (link_index (sk, nif->name, &index, err) < 0)
    return -1;
  for (size_t i = 0; i < n_addrs; i++)
    if (addr_add (sk, index, &addrs[i], err) < 0)
      return husk_err_wrap (err, "%s", nif->name);
  /* The link must be up before a route can go through it. */
  if (set_up (sk, nif->name, err) < 0)
    return -1;
  for (size_t i = 0; i < nif->n_gateways; i++)
    if (default_route (sk, index, &nif->gateways[i], err) < 0)
      return husk_err_wrap (err, "%s", nif->name);
  return 0;
}
