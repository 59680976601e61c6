/* network_parse: husk.net.N.* annotations and linux.netDevices, good and
 * bad, as a table.  Built with ASan/UBSan (make unit). */
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../network/network.h"

#define MAX_KV 16

struct tcase {
  const char *name;
  const char *kv[MAX_KV * 2]; /* key, value, ..., NULL */
  const char *error;          /* expected message (exact), NULL: success */
  const char *netns_path;     /* "none": no network namespace */
};

static const struct tcase cases[] = {
  { "no annotations", { NULL }, NULL, NULL },
  { "other annotations only", { "org.example", "x", NULL }, NULL, NULL },
  { "veth on a bridge",
    { "husk.net.0.type", "veth", "husk.net.0.bridge", "husk0",
      "husk.net.0.address", "10.199.0.2/24, fd00::2/64",
      "husk.net.0.gateway", "10.199.0.1,fd00::1", "husk.net.0.mtu", "1400",
      "husk.net.0.mac", "02:42:ac:11:00:02", NULL }, NULL, NULL },
  { "bad CIDR",
    { "husk.net.0.type", "veth", "husk.net.0.address", "10.0.0.300/24", NULL },
    "annotation husk.net.0.address: \"10.0.0.300/24\" is not a valid CIDR",
    NULL },
  { "address without prefix",
    { "husk.net.0.type", "veth", "husk.net.0.address", "10.0.0.3", NULL },
    "annotation husk.net.0.address: \"10.0.0.3\" is not a valid CIDR", NULL },
  { "prefix too long",
    { "husk.net.0.type", "veth", "husk.net.0.address", "10.0.0.3/33", NULL },
    "annotation husk.net.0.address: \"10.0.0.3/33\" is not a valid CIDR",
    NULL },
  { "second bad item",
    { "husk.net.2.type", "veth", "husk.net.2.address", "10.0.0.3/24,fd00::zz/64",
      NULL },
    "annotation husk.net.2.address: \"fd00::zz/64\" is not a valid CIDR",
    NULL },
  { "empty item",
    { "husk.net.0.type", "veth", "husk.net.0.address", "10.0.0.3/24,,", NULL },
    "annotation husk.net.0.address: \"10.0.0.3/24,,\" has an empty item",
    NULL },
  { "unknown type",
    { "husk.net.0.type", "tap", NULL },
    "annotation husk.net.0.type: \"tap\" is not a network type (veth, "
    "macvlan or ipvlan)", NULL },
  { "missing type",
    { "husk.net.1.name", "x", NULL },
    "annotation husk.net.1.type: missing (each husk.net.1.* group needs a "
    "type: veth, macvlan or ipvlan)", NULL },
  { "unknown key",
    { "husk.net.0.type", "veth", "husk.net.0.adress", "10.0.0.2/24", NULL },
    "annotation husk.net.0.adress: unknown key adress (known: type, name, "
    "bridge, link, mode, address, pool, gateway, mtu, mac, vxlan.id, "
    "vxlan.local, vxlan.remote, vxlan.port, vxlan.dev, masquerade, ports)",
    NULL },
  { "bad index",
    { "husk.net.x.type", "veth", NULL },
    "annotation husk.net.x.type: expected husk.net.N.KEY with N a number "
    "from 0 to 99", NULL },
  { "leading zero index",
    { "husk.net.01.type", "veth", NULL },
    "annotation husk.net.01.type: expected husk.net.N.KEY with N a number "
    "from 0 to 99", NULL },
  { "macvlan without link",
    { "husk.net.0.type", "macvlan", NULL },
    "annotation husk.net.0.link: missing: macvlan needs a parent link",
    NULL },
  { "macvlan bad mode",
    { "husk.net.0.type", "macvlan", "husk.net.0.link", "dummy0",
      "husk.net.0.mode", "l3", NULL },
    "annotation husk.net.0.mode: \"l3\" is not a macvlan mode (bridge, "
    "private, vepa or passthru)", NULL },
  { "ipvlan l3s",
    { "husk.net.0.type", "ipvlan", "husk.net.0.link", "dummy0",
      "husk.net.0.mode", "l3s", "husk.net.0.address", "10.199.1.2/24", NULL },
    NULL, NULL },
  { "ipvlan with mac",
    { "husk.net.0.type", "ipvlan", "husk.net.0.link", "dummy0",
      "husk.net.0.mac", "02:00:00:00:00:01", NULL },
    "annotation husk.net.0.mac: not for ipvlan (it shares the parent's MAC "
    "address)", NULL },
  { "bridge on macvlan",
    { "husk.net.0.type", "macvlan", "husk.net.0.link", "d0",
      "husk.net.0.bridge", "br0", NULL },
    "annotation husk.net.0.bridge: only for veth", NULL },
  { "link on veth",
    { "husk.net.0.type", "veth", "husk.net.0.link", "d0", NULL },
    "annotation husk.net.0.link: only for macvlan and ipvlan", NULL },
  { "duplicate name",
    { "husk.net.0.type", "veth", "husk.net.1.type", "veth",
      "husk.net.1.name", "eth0", NULL },
    "annotation husk.net.1.name: \"eth0\" is already the name of interface 0",
    NULL },
  { "name too long",
    { "husk.net.0.type", "veth", "husk.net.0.name", "a234567890123456", NULL },
    "annotation husk.net.0.name: \"a234567890123456\" is not a valid interface "
    "name (1 to 15 characters, no '/', ':' or spaces)", NULL },
  { "name lo",
    { "husk.net.0.type", "veth", "husk.net.0.name", "lo", NULL },
    "annotation husk.net.0.name: \"lo\" is the loopback's name", NULL },
  { "two default routes",
    { "husk.net.0.type", "veth", "husk.net.0.address", "10.0.0.2/24",
      "husk.net.0.gateway", "10.0.0.1", "husk.net.1.type", "veth",
      "husk.net.1.address", "10.0.1.2/24,fd00::2/64",
      "husk.net.1.gateway", "fd00::1,10.0.1.1", NULL },
    "annotation husk.net.1.gateway: the default IPv4 route already goes "
    "through husk.net.0.gateway", NULL },
  { "name with slash",
    { "husk.net.0.type", "veth", "husk.net.0.name", "a/b", NULL },
    "annotation husk.net.0.name: \"a/b\" is not a valid interface name (1 to "
    "15 characters, no '/', ':' or spaces)", NULL },
  { "address and pool",
    { "husk.net.0.type", "veth", "husk.net.0.address", "10.0.0.2/24",
      "husk.net.0.pool", "10.0.0.0/24", NULL },
    "annotation husk.net.0.pool: give husk.net.0.address or husk.net.0.pool, "
    "not both", NULL },
  { "two v4 pools",
    { "husk.net.0.type", "veth", "husk.net.0.pool", "10.0.0.0/24,10.1.0.0/24",
      NULL },
    "annotation husk.net.0.pool: \"10.1.0.0/24\" is a second one of its IP "
    "version (one IPv4 and one IPv6 at most)", NULL },
  { "pool too small",
    { "husk.net.0.type", "veth", "husk.net.0.pool", "10.0.0.0/31", NULL },
    "annotation husk.net.0.pool: 10.0.0.0/31 is too small to allocate from "
    "(at most /30)", NULL },
  { "gateway off link",
    { "husk.net.0.type", "veth", "husk.net.0.address", "10.0.0.2/24",
      "husk.net.0.gateway", "10.0.1.1", NULL },
    "annotation husk.net.0.gateway: 10.0.1.1 is in no subnet of "
    "husk.net.0.address or husk.net.0.pool", NULL },
  { "gateway with prefix",
    { "husk.net.0.type", "veth", "husk.net.0.address", "10.0.0.2/24",
      "husk.net.0.gateway", "10.0.0.1/24", NULL },
    "annotation husk.net.0.gateway: \"10.0.0.1/24\" is not a valid IP address "
    "(no prefix expected)", NULL },
  { "bad mtu",
    { "husk.net.0.type", "veth", "husk.net.0.mtu", "9x", NULL },
    "annotation husk.net.0.mtu: \"9x\" is not an MTU (68 to 65535)", NULL },
  { "mtu too small",
    { "husk.net.0.type", "veth", "husk.net.0.mtu", "67", NULL },
    "annotation husk.net.0.mtu: \"67\" is not an MTU (68 to 65535)", NULL },
  { "bad mac",
    { "husk.net.0.type", "veth", "husk.net.0.mac", "02:00:00:00:00", NULL },
    "annotation husk.net.0.mac: \"02:00:00:00:00\" is not a MAC address "
    "(xx:xx:xx:xx:xx:xx)", NULL },
  { "multicast mac",
    { "husk.net.0.type", "veth", "husk.net.0.mac", "01:00:5e:00:00:01", NULL },
    "annotation husk.net.0.mac: \"01:00:5e:00:00:01\" is a multicast MAC "
    "address (the first octet must be even)", NULL },
  { "vxlan",
    { "husk.net.0.type", "veth", "husk.net.0.bridge", "br0",
      "husk.net.0.vxlan.id", "42", "husk.net.0.vxlan.local", "192.168.99.1",
      "husk.net.0.vxlan.remote", "192.168.99.2, 192.168.99.3",
      "husk.net.0.vxlan.dev", "under0", "husk.net.0.vxlan.port", "8472", NULL },
    NULL, NULL },
  { "vxlan without bridge",
    { "husk.net.0.type", "veth", "husk.net.0.vxlan.id", "42",
      "husk.net.0.vxlan.remote", "192.168.99.2", NULL },
    "annotation husk.net.0.vxlan.id: needs husk.net.0.bridge: the VXLAN "
    "device goes on the bridge", NULL },
  { "vxlan without id",
    { "husk.net.0.type", "veth", "husk.net.0.bridge", "br0",
      "husk.net.0.vxlan.remote", "192.168.99.2", NULL },
    "annotation husk.net.0.vxlan.id: missing (needed with the other vxlan.* "
    "keys)", NULL },
  { "vxlan bad vni",
    { "husk.net.0.type", "veth", "husk.net.0.bridge", "br0",
      "husk.net.0.vxlan.id", "16777216", "husk.net.0.vxlan.remote", "10.0.0.1",
      NULL },
    "annotation husk.net.0.vxlan.id: \"16777216\" is not a VNI (0 to "
    "16777215)", NULL },
  { "vxlan mixed families",
    { "husk.net.0.type", "veth", "husk.net.0.bridge", "br0",
      "husk.net.0.vxlan.id", "1", "husk.net.0.vxlan.remote", "10.0.0.1,fd00::1",
      NULL },
    "annotation husk.net.0.vxlan.remote: \"10.0.0.1,fd00::1\" mixes IPv4 and "
    "IPv6 (the underlay is one of them, like vxlan.local)", NULL },
  { "masquerade and ports",
    { "husk.net.0.type", "veth", "husk.net.0.bridge", "br0",
      "husk.net.0.pool", "10.199.0.0/24", "husk.net.0.gateway", "10.199.0.1",
      "husk.net.0.masquerade", "true", "husk.net.0.ports", "8080:80,53:53/udp",
      NULL }, NULL, NULL },
  { "bad port",
    { "husk.net.0.type", "veth", "husk.net.0.address", "10.0.0.2/24",
      "husk.net.0.ports", "8080:0", NULL },
    "annotation husk.net.0.ports: \"8080:0\" is not "
    "HOSTPORT:CONTAINERPORT[/tcp|udp] (ports 1 to 65535)", NULL },
  { "bad proto",
    { "husk.net.0.type", "veth", "husk.net.0.address", "10.0.0.2/24",
      "husk.net.0.ports", "8080:80/sctp", NULL },
    "annotation husk.net.0.ports: \"8080:80/sctp\" is not "
    "HOSTPORT:CONTAINERPORT[/tcp|udp] (ports 1 to 65535)", NULL },
  { "duplicate host port",
    { "husk.net.0.type", "veth", "husk.net.0.address", "10.0.0.2/24",
      "husk.net.0.ports", "8080:80", "husk.net.1.type", "veth",
      "husk.net.1.address", "10.0.1.2/24", "husk.net.1.ports", "8080:81",
      NULL },
    "annotation husk.net.1.ports: host port 8080 is already forwarded by "
    "interface 0", NULL },
  { "masquerade without address",
    { "husk.net.0.type", "veth", "husk.net.0.masquerade", "true", NULL },
    "annotation husk.net.0.masquerade: needs husk.net.0.address or "
    "husk.net.0.pool", NULL },
  { "masquerade not a bool",
    { "husk.net.0.type", "veth", "husk.net.0.masquerade", "yes", NULL },
    "annotation husk.net.0.masquerade: \"yes\" is not true or false", NULL },
  { "no network namespace",
    { "husk.net.0.type", "veth", NULL },
    "annotation husk.net.0.type: needs a network namespace, and "
    "linux.namespaces has no \"network\"", "none" },
  { "netns with a path: nothing to do",
    { "husk.net.0.type", "veth", NULL }, NULL, "/var/run/netns/cni-1" },
  { "netns with a path: still validated",
    { "husk.net.0.type", "veth", "husk.net.0.mtu", "0", NULL },
    "annotation husk.net.0.mtu: \"0\" is not an MTU (68 to 65535)",
    "/var/run/netns/cni-1" },
};

static struct oci_config *
make_config (const struct tcase *t, struct oci_kv *kvs,
             struct oci_namespace *ns, struct oci_linux *lx)
{
  static struct oci_config cfg;
  size_t n = 0;

  memset (&cfg, 0, sizeof cfg);
  memset (lx, 0, sizeof *lx);
  for (; t->kv[2 * n]; n++)
    kvs[n] = (struct oci_kv) { (char *) t->kv[2 * n],
                               (char *) t->kv[2 * n + 1] };
  cfg.annotations = kvs;
  cfg.n_annotations = n;
  ns->type = OCI_NS_NETWORK;
  ns->path = t->netns_path && strcmp (t->netns_path, "none")
                 ? (char *) t->netns_path : NULL;
  lx->namespaces = ns;
  lx->n_namespaces = t->netns_path && strcmp (t->netns_path, "none") == 0
                         ? 0 : 1;
  cfg.linux_ = lx;
  return &cfg;
}

static int failures;

#define CHECK(cond)                                                          \
  do                                                                         \
    if (!(cond))                                                             \
      {                                                                      \
        fprintf (stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);     \
        failures++;                                                          \
      }                                                                      \
  while (0)

static void
run_case (const struct tcase *t)
{
  struct oci_kv kvs[MAX_KV];
  struct oci_namespace ns;
  struct oci_linux lx;
  struct husk_net *n = NULL;
  husk_err *err = NULL;
  int r = network_parse (make_config (t, kvs, &ns, &lx), &n, &err);

  if (t->error)
    {
      if (r == 0 || err == NULL || strcmp (err->msg, t->error) != 0)
        {
          fprintf (stderr, "FAIL %s:\n  want: %s\n  got:  %s\n", t->name,
                   t->error, r == 0 ? "(success)" : err ? err->msg : "(none)");
          failures++;
        }
      else if (n != NULL)
        {
          fprintf (stderr, "FAIL %s: output set on error\n", t->name);
          failures++;
        }
    }
  else if (r != 0)
    {
      fprintf (stderr, "FAIL %s: %s\n", t->name, err ? err->msg : "?");
      failures++;
    }
  husk_err_free (err);
  network_free (n);
}

static struct husk_net *
parse_ok (const struct tcase *t)
{
  struct oci_kv kvs[MAX_KV];
  struct oci_namespace ns;
  struct oci_linux lx;
  struct husk_net *n = NULL;
  husk_err *err = NULL;

  if (network_parse (make_config (t, kvs, &ns, &lx), &n, &err) < 0)
    {
      fprintf (stderr, "FAIL %s: %s\n", t->name, err->msg);
      husk_err_free (err);
      failures++;
    }
  return n;
}

/* The values parsed, not just the absence of an error. */
static void
check_values (void)
{
  struct husk_net *n = parse_ok (&cases[2]);
  uint8_t v4[4], v6[16];

  CHECK (n && n->n_ifs == 1);
  if (n && n->n_ifs == 1)
    {
      const struct husk_net_if *i = &n->ifs[0];
      inet_pton (AF_INET, "10.199.0.2", v4);
      inet_pton (AF_INET6, "fd00::1", v6);
      CHECK (i->type == HUSK_NET_VETH);
      CHECK (strcmp (i->name, "eth0") == 0);
      CHECK (strcmp (i->bridge, "husk0") == 0);
      CHECK (i->n_addrs == 2 && i->addrs[0].family == AF_INET
             && i->addrs[0].prefix == 24 && memcmp (i->addrs[0].addr, v4, 4) == 0
             && i->addrs[1].family == AF_INET6 && i->addrs[1].prefix == 64);
      CHECK (i->n_gateways == 2 && i->gateways[1].family == AF_INET6
             && memcmp (i->gateways[1].addr, v6, 16) == 0);
      CHECK (i->mtu == 1400);
      CHECK (i->has_mac && i->mac[0] == 0x02 && i->mac[5] == 0x02);
    }
  network_free (n);

  n = parse_ok (&cases[15]);
  CHECK (n && n->ifs[0].type == HUSK_NET_IPVLAN
         && n->ifs[0].mode == IPVLAN_MODE_L3S
         && strcmp (n->ifs[0].link, "dummy0") == 0);
  network_free (n);

  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
    if (strcmp (cases[c].name, "vxlan") == 0)
      {
        n = parse_ok (&cases[c]);
        CHECK (n && n->ifs[0].vxlan && n->ifs[0].vxlan->id == 42
               && n->ifs[0].vxlan->port == 8472
               && n->ifs[0].vxlan->has_local
               && n->ifs[0].vxlan->n_remotes == 2
               && strcmp (n->ifs[0].vxlan->dev, "under0") == 0);
        network_free (n);
      }
    else if (strcmp (cases[c].name, "masquerade and ports") == 0)
      {
        n = parse_ok (&cases[c]);
        CHECK (n && n->ifs[0].masquerade && n->ifs[0].n_pools == 1
               && n->ifs[0].n_ports == 2 && n->ifs[0].ports[0].host == 8080
               && n->ifs[0].ports[0].container == 80 && !n->ifs[0].ports[0].udp
               && n->ifs[0].ports[1].udp);
        network_free (n);
      }
    else if (strncmp (cases[c].name, "no annotations", 14) == 0
             || strncmp (cases[c].name, "other annotations", 17) == 0
             || strcmp (cases[c].name, "netns with a path: nothing to do") == 0)
      CHECK (parse_ok (&cases[c]) == NULL);
}

static void
check_net_devices (void)
{
  struct oci_net_device devs[2] = { { (char *) "dummy5", (char *) "eth9" },
                                    { (char *) "dummy6", NULL } };
  const struct tcase t = { "netdevices",
                           { "husk.net.0.type", "veth", "husk.net.0.name",
                             "eth9", NULL }, NULL, NULL };
  struct oci_kv kvs[MAX_KV];
  struct oci_namespace ns;
  struct oci_linux lx;
  struct oci_config *cfg = make_config (&t, kvs, &ns, &lx);
  struct husk_net *n = NULL;
  husk_err *err = NULL;

  lx.net_devices = devs;
  lx.n_net_devices = 2;
  CHECK (network_parse (cfg, &n, &err) < 0 && err
         && strcmp (err->msg, "annotation husk.net.0.name: \"eth9\" is already "
                              "the name of linux.netDevices.dummy5") == 0);
  husk_err_free (err);
  err = NULL;

  cfg->n_annotations = 0;
  CHECK (network_parse (cfg, &n, &err) == 0 && n && n->n_devs == 2
         && strcmp (n->devs[0].name, "eth9") == 0
         && strcmp (n->devs[1].name, "dummy6") == 0);
  network_free (n);
  n = NULL;

  devs[1].name = (char *) "eth9";
  CHECK (network_parse (cfg, &n, &err) < 0 && err
         && strcmp (err->msg, "config.json: linux.netDevices.dummy6.name: "
                              "\"eth9\" is already the name of "
                              "linux.netDevices.dummy5") == 0);
  husk_err_free (err);
}

/* Rootless: every kind of network is refused, by name. */
static void
check_unprivileged (void)
{
  static const struct
  {
    struct tcase t;
    const char *kind;
  } kinds[] = {
    { { "veth", { "husk.net.0.type", "veth", NULL }, NULL, NULL },
      "a veth pair with its host end" },
    { { "bridge", { "husk.net.0.type", "veth", "husk.net.0.bridge", "br9",
                    NULL }, NULL, NULL },
      "a bridge (veth on host bridge br9)" },
    { { "macvlan", { "husk.net.0.type", "macvlan", "husk.net.0.link", "d0",
                     NULL }, NULL, NULL },
      "MACVLAN (on host link d0)" },
    { { "ipvlan", { "husk.net.0.type", "ipvlan", "husk.net.0.link", "d0",
                    NULL }, NULL, NULL },
      "IPVLAN (on host link d0)" },
    { { "vxlan", { "husk.net.0.type", "veth", "husk.net.0.bridge", "br9",
                   "husk.net.0.vxlan.id", "42", "husk.net.0.vxlan.remote",
                   "192.0.2.1", NULL }, NULL, NULL },
      "VXLAN (a vxlan device on bridge br9)" },
  };
  struct oci_net_device dev = { (char *) "dummy5", NULL };
  const struct tcase none = { "netdevices", { NULL }, NULL, NULL };
  struct oci_kv kvs[MAX_KV];
  struct oci_namespace ns;
  struct oci_linux lx;
  struct oci_config *cfg;
  struct husk_net *n;
  husk_err *err = NULL;
  char want[512];

  CHECK (network_check_unprivileged (NULL, &err) == 0 && err == NULL);
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
    {
      n = parse_ok (&kinds[i].t);
      snprintf (want, sizeof want, "annotation husk.net.0.type: %s needs "
                "privilege (CAP_NET_ADMIN in the host's network namespace), "
                "which rootless husk does not have; a rootless container can "
                "share the host's network or have its own network namespace "
                "with only loopback", kinds[i].kind);
      CHECK (n && network_check_unprivileged (n, &err) < 0 && err
             && strcmp (err->msg, want) == 0);
      if (err && strcmp (err->msg, want) != 0)
        fprintf (stderr, "  want: %s\n  got:  %s\n", want, err->msg);
      husk_err_free (err);
      err = NULL;
      network_free (n);
    }
  cfg = make_config (&none, kvs, &ns, &lx);
  lx.net_devices = &dev;
  lx.n_net_devices = 1;
  n = NULL;
  CHECK (network_parse (cfg, &n, &err) == 0 && n
         && network_check_unprivileged (n, &err) < 0 && err
         && strcmp (err->msg, "config.json: linux.netDevices: moving host "
                              "link dummy5 into the container needs privilege "
                              "(CAP_NET_ADMIN in the host's network "
                              "namespace), which rootless husk does not "
                              "have") == 0);
  husk_err_free (err);
  network_free (n);
}

int
main (void)
{
  size_t n = sizeof cases / sizeof *cases;

  for (size_t i = 0; i < n; i++)
    run_case (&cases[i]);
  check_values ();
  check_net_devices ();
  check_unprivileged ();
  printf ("network_test: %zu cases, %d failures\n", n, failures);
  return failures ? 1 : 0;
}
