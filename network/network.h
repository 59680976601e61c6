/* network: container networks built in-process through netlink (libnl-route-3)
 * and nftables (libnftables), the way LXC and the CNI plugins build them.
 *
 * The networks are described by annotations of config.json, one numbered
 * group of keys per interface (husk.net.N.*, see network_parse), plus
 * runtime-spec linux.netDevices (host links moved into the container).
 *
 * How runtime/ drives it:
 *
 *   create:  network_parse (cfg)            right after the config is loaded,
 *                                           before anything is made: every
 *                                           bad annotation fails here;
 *            network_check_host (n)         in the host's network namespace,
 *                                           still before anything is made
 *                                           (parent links, underlay and
 *                                           netDevices exist);
 *            ... clone the container's init (new network namespace) ...
 *            network_setup (n, pid, root, id)  in the parent, in the host's
 *                                           namespace, after the child's
 *                                           network namespace exists and
 *                                           before the child is released to
 *                                           run anything (before the
 *                                           createRuntime hooks, so they see
 *                                           the network).  The state dir
 *                                           <root>/<id> must exist.
 *   failed create, and delete (after the container's processes are gone):
 *            network_teardown (root, id)    before <root>/<id> is removed.
 *
 * network_setup cleans up after itself when it fails, and network_teardown is
 * idempotent, so calling it on every failed create is always right.
 *
 * Everything it makes is recorded as it is made in <root>/<id>/network, so
 * teardown works from a later husk process, even after a crash.  Addresses
 * taken from pools are recorded in <root>/.ipam/ (a dot entry: `list` must
 * skip entries of the state root that start with a dot).
 *
 * state_root is a path; runtime/ may pass "/proc/self/fd/<rootfd>" for the
 * --root directory it holds open.
 *
 * An ipvlan mode belongs to the parent link, not to one ipvlan link: the
 * kernel applies the last container's mode to every ipvlan on that parent.
 *
 * What outlives a container, as in LXC: bridges (with their gateway address)
 * and the VXLAN device on them (husk-vx<VNI>, with its FDB entries for the
 * peer hosts): they belong to the network, not to one container. */
#ifndef HUSK_NETWORK_H
#define HUSK_NETWORK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"
#include "../specs/specs.h"

enum husk_net_type { HUSK_NET_VETH, HUSK_NET_MACVLAN, HUSK_NET_IPVLAN };

/* An address with a prefix length; for a gateway or a VXLAN peer the prefix
 * is the full length (32 or 128). */
struct husk_cidr {
  int family; /* AF_INET or AF_INET6 */
  uint8_t addr[16];
  unsigned prefix;
};

struct husk_port {
  uint16_t host, container;
  bool udp; /* else tcp */
};

struct husk_vxlan {
  uint32_t id;            /* VNI */
  bool has_local;
  struct husk_cidr local;
  struct husk_cidr *remotes; size_t n_remotes;
  uint16_t port;          /* default 4789 */
  char dev[IF_NAMESIZE];  /* underlay link, "" when not given */
};

/* One husk.net.N.* group. */
struct husk_net_if {
  unsigned index;          /* N */
  enum husk_net_type type;
  char name[IF_NAMESIZE];  /* inside the container; default ethN */
  char bridge[IF_NAMESIZE];/* veth: host bridge; "" = routed */
  char link[IF_NAMESIZE];  /* macvlan/ipvlan: parent link */
  int mode;                /* MACVLAN_MODE_* / IPVLAN_MODE_* */
  struct husk_cidr *addrs; size_t n_addrs;  /* static addresses */
  struct husk_cidr *pools; size_t n_pools;  /* at most one per family */
  struct husk_cidr *gateways; size_t n_gateways; /* at most one per family */
  unsigned mtu;            /* 0: kernel default */
  bool has_mac;
  uint8_t mac[6];
  struct husk_vxlan *vxlan; /* NULL when no husk.net.N.vxlan.* */
  bool masquerade;
  struct husk_port *ports; size_t n_ports;
};

struct husk_net_dev {
  char host_name[IF_NAMESIZE]; /* linux.netDevices key */
  char name[IF_NAMESIZE];      /* name inside (host_name when not renamed) */
};

struct husk_net {
  struct husk_net_if *ifs; size_t n_ifs;
  struct husk_net_dev *devs; size_t n_devs;
};

/* Reads the husk.net.N.* annotations and linux.netDevices of cfg and checks
 * every value, without touching the system.  *out is NULL when there is
 * nothing to do: no annotations and no netDevices, or annotations only and a
 * network namespace with a path (CNI or whoever made it owns that network;
 * netDevices still go into it, as the runtime-spec asks).  Errors name the
 * annotation:
 *   annotation husk.net.0.address: "10.0.0.300/24" is not a valid CIDR
 * Asking for networks without a network namespace is an error. */
int network_parse (const struct oci_config *cfg, struct husk_net **out,
                   husk_err **err);
void network_free (struct husk_net *n);

/* Rootless: refuses, naming what it asks for, any network to build (n
 * non-NULL): every kind needs CAP_NET_ADMIN in the host's network
 * namespace.  n may be NULL. */
int network_check_unprivileged (const struct husk_net *n, husk_err **err);

/* Checks what must already exist in the caller's (host's) network namespace:
 * the parent links of macvlan/ipvlan, the VXLAN underlay devices, the
 * netDevices, and that a named bridge that exists is a bridge.  n may be
 * NULL. */
int network_check_host (const struct husk_net *n, husk_err **err);

/* Builds the networks of n for the container whose init is `pid` (its
 * network namespace is the one configured).  Runs network_check_host first.
 * On failure everything it made is undone.  n may be NULL (nothing to do). */
int network_setup (const struct husk_net *n, pid_t pid, const char *state_root,
                   const char *id, husk_err **err);

/* Undoes what network_setup recorded for id: host ends of veths, NAT rules,
 * pool addresses, netDevices given back to the host under their own names.
 * Idempotent; 0 when there is nothing recorded.  Keeps going past a failed
 * step, and then keeps the record so that a later call can retry. */
int network_teardown (const char *state_root, const char *id, husk_err **err);

/* ---------- slirp4netns (slirp.c): husk job --net slirp4netns ----------
 * Outbound access for the network namespace of a process without
 * privilege, through the slirp4netns program as podman uses it: tap0 with
 * 10.0.2.100/24, gateway 10.0.2.2 (not the host's loopback), DNS
 * NETWORK_SLIRP_DNS.  It lives as long as the caller holds it. */
#define NETWORK_SLIRP_DNS "10.0.2.3"

struct husk_slirp;

/* The slirp4netns that PATH names (*path malloc'd); "slirp4netns not
 * found in PATH (Debian package slirp4netns)" when none. */
int network_slirp_find (char **path, husk_err **err);

/* Starts slirp4netns (path from network_slirp_find) on the network
 * namespace netns_fd, in the user namespace that owns it, its stderr
 * appended to log_fd (opened for reading too: a failure quotes it), and
 * returns once tap0 is up.  On failure nothing of it is left. */
int network_slirp_start (const char *path, int netns_fd, int log_fd,
                         struct husk_slirp **out, husk_err **err);

/* Ends slirp4netns (SIGKILL when it does not exit at once) and reaps it.
 * s may be NULL. */
void network_slirp_stop (struct husk_slirp *s);

#endif
