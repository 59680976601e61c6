/* Private to network/: what its files share.  Not for other modules. */
#ifndef HUSK_NETWORK_INTERNAL_H
#define HUSK_NETWORK_INTERNAL_H

#include <arpa/inet.h>
#include <stdio.h>

#include "network.h"

struct nl_sock;

/* "10.0.0.2/24" or, without the prefix, "10.0.0.2". */
#define CIDR_STRLEN (INET6_ADDRSTRLEN + 5)
const char *cidr_str (const struct husk_cidr *c, bool with_prefix,
                      char buf[CIDR_STRLEN]);
bool cidr_contains (const struct husk_cidr *net, const struct husk_cidr *a);
int cidr_parse (const char *s, bool need_prefix, struct husk_cidr *out);
int cidr_family_len (int family); /* bytes */

/* 1 to 15 characters, none of them '/', ':' or white space. */
bool ifname_valid (const char *s);

/* ---- netlink (links.c) ---- */

/* A route socket bound to the network namespace nsfd (-1: the caller's). */
int nl_open (int nsfd, struct nl_sock **out, husk_err **err);
void nl_closep (struct nl_sock **sk);
#define cleanup_nl __attribute__ ((cleanup (nl_closep)))
/* Fills *err with "<context>: <libnl's words>" and the errno behind it. */
int nl_fail (husk_err **err, int nlerr, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
int nl_errno (int nlerr);

/* The host end of interface N of container id: "hk" + hash + "-" + N. */
void veth_host_name (const char *id, unsigned index, char out[IF_NAMESIZE]);

int link_ensure_bridge (struct nl_sock *sk, const struct husk_net_if *nif,
                        husk_err **err);
int link_ensure_vxlan (struct nl_sock *sk, const struct husk_net_if *nif,
                       husk_err **err);
int link_add_veth (struct nl_sock *sk, const struct husk_net_if *nif,
                   const char *host_name, int nsfd, husk_err **err);
int link_add_sublink (struct nl_sock *sk, const struct husk_net_if *nif,
                      int nsfd, husk_err **err);
int link_attach_up (struct nl_sock *sk, const char *name, const char *bridge,
                    husk_err **err);
/* 0 when gone already. */
int link_delete (struct nl_sock *sk, const char *name, husk_err **err);
int link_index (struct nl_sock *sk, const char *name, int *index,
                husk_err **err);

/* ---- addresses and routes (addr.c) ---- */

int addr_add (struct nl_sock *sk, int ifindex, const struct husk_cidr *a,
              husk_err **err);
/* Inside the container: lo up, the interface's addresses, MTU, up, default
 * routes via the gateways. */
int addr_configure_inside (struct nl_sock *sk, const struct husk_net_if *nif,
                           const struct husk_cidr *addrs, size_t n_addrs,
                           husk_err **err);
int addr_loopback_up (struct nl_sock *sk, husk_err **err);

/* ---- IPAM (ipam.c) ---- */

/* Takes a free address of pool for id, never one another container holds,
 * never the pool's gateway, network or broadcast address.  *key names the
 * record (for ipam_release); the caller frees it. */
int ipam_allocate (const char *state_root, const struct husk_cidr *pool,
                   const struct husk_net_if *nif, const char *id,
                   struct husk_cidr *out, char **key, husk_err **err);
/* Releases every address id holds in the record key; 0 when none. */
int ipam_release (const char *state_root, const char *key, const char *id,
                  husk_err **err);

/* ---- NAT (nat.c) ---- */

/* Finds nft: a host without it fails here, before any rule is noted for
 * teardown. */
int nat_prepare (husk_err **err);
int nat_add (const char *id, const struct husk_net_if *nif,
             const struct husk_cidr *addrs, size_t n_addrs, husk_err **err);
/* 0 when there are no rules of id. */
int nat_remove (const char *id, husk_err **err);

/* ---- linux.netDevices (netdevices.c) ---- */

/* linux.netDevices into n->devs, checked (pure, like config.c). */
int netdev_parse (const struct oci_linux *l, struct husk_net *n,
                  husk_err **err);
/* Keeps the container's network namespace alive past its processes, bound
 * on <dir>/netns, so that moved devices can be given back on delete. */
int netdev_pin (const char *dir, pid_t pid, husk_err **err);
int netdev_unpin (const char *dir, husk_err **err);
int netdev_move_in (struct nl_sock *host, const struct husk_net_dev *d,
                    int nsfd, husk_err **err);
/* Moves the device named `name` in the pinned namespace of dir back into the
 * caller's namespace as host_name; 0 when it is not there. */
int netdev_give_back (const char *dir, const char *name, const char *host_name,
                      husk_err **err);

#endif
