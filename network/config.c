/* husk.net.N.* annotations and linux.netDevices into struct husk_net: every
 * value is checked here, before anything is made, and errors name the
 * annotation.  Pure: touches nothing but memory. */
#include <errno.h>
#include <linux/if_link.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "internal.h"

#define PREFIX "husk.net."
#define MAX_IFS 100 /* N in 0..99, so that ethN fits */

enum field {
  F_TYPE, F_NAME, F_BRIDGE, F_LINK, F_MODE, F_ADDRESS, F_POOL, F_GATEWAY,
  F_MTU, F_MAC, F_VXLAN_ID, F_VXLAN_LOCAL, F_VXLAN_REMOTE, F_VXLAN_PORT,
  F_VXLAN_DEV, F_MASQUERADE, F_PORTS, F_COUNT
};

static const char *const field_names[F_COUNT] = {
  "type", "name", "bridge", "link", "mode", "address", "pool", "gateway",
  "mtu", "mac", "vxlan.id", "vxlan.local", "vxlan.remote", "vxlan.port",
  "vxlan.dev", "masquerade", "ports",
};

/* The raw values of one group, before they are checked. */
struct group {
  unsigned index;
  const char *v[F_COUNT];
};

__attribute__ ((format (printf, 4, 5))) static int
bad (husk_err **err, unsigned index, enum field f, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  return husk_error (err, 0, "annotation " PREFIX "%u.%s: %s", index,
                     field_names[f], msg ? msg : "invalid");
}

static int
bad_value (husk_err **err, unsigned index, enum field f, const char *value,
           const char *what)
{
  return bad (err, index, f, "\"%s\" %s", value, what);
}

static int
parse_uint (const char *s, unsigned long min, unsigned long max,
            unsigned long *out)
{
  char *end;

  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  *out = strtoul (s, &end, 10);
  if (errno || *end || *out < min || *out > max)
    return -1;
  return 0;
}

bool
ifname_valid (const char *s)
{
  size_t len = strlen (s);

  if (len == 0 || len >= IF_NAMESIZE || strcmp (s, ".") == 0
      || strcmp (s, "..") == 0)
    return false;
  for (; *s; s++)
    if (*s == '/' || *s == ':' || (unsigned char) *s <= ' ' || *s == 0x7f)
      return false;
  return true;
}

static int
parse_ifname (const struct group *g, enum field f, char out[IF_NAMESIZE],
              husk_err **err)
{
  if (!ifname_valid (g->v[f]))
    return bad_value (err, g->index, f, g->v[f],
                      "is not a valid interface name (1 to 15 characters, "
                      "no '/', ':' or spaces)");
  strcpy (out, g->v[f]);
  return 0;
}

/* Calls item() on each comma-separated item of the value, spaces trimmed. */
static int
each_item (const struct group *g, enum field f,
           int (*item) (const struct group *, enum field, const char *,
                        void *, husk_err **),
           void *data, husk_err **err)
{
  cleanup_free char *copy = strdup (g->v[f]);
  char *rest = copy, *tok;

  if (copy == NULL)
    return husk_error (err, ENOMEM, "annotation " PREFIX "%u.%s", g->index,
                       field_names[f]);
  while ((tok = strsep (&rest, ",")) != NULL)
    {
      char *end;
      tok += strspn (tok, " ");
      for (end = tok + strlen (tok); end > tok && end[-1] == ' '; end--)
        end[-1] = '\0';
      if (*tok == '\0')
        return bad_value (err, g->index, f, g->v[f],
                          strchr (g->v[f], ',') ? "has an empty item"
                                                : "is empty");
      if (item (g, f, tok, data, err) < 0)
        return -1;
    }
  return 0;
}

struct cidr_list {
  struct husk_cidr **v;
  size_t *n;
  bool need_prefix, one_per_family;
};

static int
cidr_item (const struct group *g, enum field f, const char *s, void *data,
           husk_err **err)
{
  struct cidr_list *l = data;
  struct husk_cidr c, *grown;

  if (cidr_parse (s, l->need_prefix, &c) < 0)
    return bad_value (err, g->index, f, s,
                      l->need_prefix ? "is not a valid CIDR"
                                     : "is not a valid IP address");
  if (!l->need_prefix && (c.prefix != (unsigned) cidr_family_len (c.family) * 8
                          || strchr (s, '/')))
    return bad_value (err, g->index, f, s,
                      "is not a valid IP address (no prefix expected)");
  for (size_t i = 0; i < *l->n; i++)
    if (l->one_per_family && (*l->v)[i].family == c.family)
      return bad_value (err, g->index, f, s,
                        "is a second one of its IP version (one IPv4 and "
                        "one IPv6 at most)");
  grown = realloc (*l->v, (*l->n + 1) * sizeof **l->v);
  if (grown == NULL)
    return husk_error (err, ENOMEM, "annotation " PREFIX "%u.%s", g->index,
                       field_names[f]);
  grown[(*l->n)++] = c;
  *l->v = grown;
  return 0;
}

static int
parse_cidrs (const struct group *g, enum field f, bool need_prefix,
             bool one_per_family, struct husk_cidr **v, size_t *n,
             husk_err **err)
{
  struct cidr_list l = { v, n, need_prefix, one_per_family };
  return each_item (g, f, cidr_item, &l, err);
}

static int
port_item (const struct group *g, enum field f, const char *s, void *data,
           husk_err **err)
{
  struct husk_net_if *nif = data;
  char host[8], cont[8], proto[8] = "tcp";
  unsigned long h, c;
  struct husk_port *grown;
  int used = 0;

  if (sscanf (s, "%7[0-9]:%7[0-9]%n", host, cont, &used) != 2
      || (s[used] && (s[used] != '/' || sscanf (s + used, "/%7s", proto) != 1))
      || (strcmp (proto, "tcp") && strcmp (proto, "udp"))
      || parse_uint (host, 1, 65535, &h) < 0
      || parse_uint (cont, 1, 65535, &c) < 0)
    return bad_value (err, g->index, f, s,
                      "is not HOSTPORT:CONTAINERPORT[/tcp|udp] (ports 1 to "
                      "65535)");
  grown = realloc (nif->ports, (nif->n_ports + 1) * sizeof *grown);
  if (grown == NULL)
    return husk_error (err, ENOMEM, "annotation " PREFIX "%u.ports", g->index);
  grown[nif->n_ports++] = (struct husk_port) { (uint16_t) h, (uint16_t) c,
                                               strcmp (proto, "udp") == 0 };
  nif->ports = grown;
  return 0;
}

static int
parse_mac (const struct group *g, struct husk_net_if *nif, husk_err **err)
{
  const char *s = g->v[F_MAC];
  uint8_t *m = nif->mac;
  int used = 0;

  if (strlen (s) != 17
      || sscanf (s, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%n", &m[0], &m[1],
                 &m[2], &m[3], &m[4], &m[5], &used) != 6
      || used != 17)
    return bad_value (err, g->index, F_MAC, s,
                      "is not a MAC address (xx:xx:xx:xx:xx:xx)");
  if (m[0] & 1)
    return bad_value (err, g->index, F_MAC, s,
                      "is a multicast MAC address (the first octet must be "
                      "even)");
  if ((m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0)
    return bad_value (err, g->index, F_MAC, s, "is the zero MAC address");
  nif->has_mac = true;
  return 0;
}

static int
parse_mode (const struct group *g, struct husk_net_if *nif, husk_err **err)
{
  static const struct { const char *name; int mode; bool ipvlan; } modes[] = {
    { "bridge", MACVLAN_MODE_BRIDGE, false },
    { "private", MACVLAN_MODE_PRIVATE, false },
    { "vepa", MACVLAN_MODE_VEPA, false },
    { "passthru", MACVLAN_MODE_PASSTHRU, false },
    { "l2", IPVLAN_MODE_L2, true },
    { "l3", IPVLAN_MODE_L3, true },
    { "l3s", IPVLAN_MODE_L3S, true },
  };
  bool ipvlan = nif->type == HUSK_NET_IPVLAN;

  if (g->v[F_MODE] == NULL)
    {
      nif->mode = ipvlan ? IPVLAN_MODE_L2 : MACVLAN_MODE_BRIDGE;
      return 0;
    }
  for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
    if (modes[i].ipvlan == ipvlan && strcmp (modes[i].name, g->v[F_MODE]) == 0)
      {
        nif->mode = modes[i].mode;
        return 0;
      }
  return bad_value (err, g->index, F_MODE, g->v[F_MODE],
                    ipvlan ? "is not an ipvlan mode (l2, l3 or l3s)"
                           : "is not a macvlan mode (bridge, private, vepa or "
                             "passthru)");
}

static int
parse_vxlan (const struct group *g, struct husk_net_if *nif, husk_err **err)
{
  struct husk_vxlan *vx;
  unsigned long num;
  struct husk_cidr *local = NULL;
  size_t n_local = 0;

  if (!g->v[F_VXLAN_ID])
    return bad (err, g->index, F_VXLAN_ID,
                "missing (needed with the other vxlan.* keys)");
  if (!g->v[F_VXLAN_REMOTE])
    return bad (err, g->index, F_VXLAN_REMOTE,
                "missing (needed with the other vxlan.* keys)");
  if (!nif->bridge[0])
    return bad (err, g->index, F_VXLAN_ID,
                "needs husk.net.%u.bridge: the VXLAN device goes on the "
                "bridge", g->index);
  vx = nif->vxlan = calloc (1, sizeof *vx);
  if (vx == NULL)
    return husk_error (err, ENOMEM, "annotation " PREFIX "%u", g->index);
  if (parse_uint (g->v[F_VXLAN_ID], 0, 0xffffff, &num) < 0)
    return bad_value (err, g->index, F_VXLAN_ID, g->v[F_VXLAN_ID],
                      "is not a VNI (0 to 16777215)");
  vx->id = num;
  vx->port = 4789;
  if (g->v[F_VXLAN_PORT])
    {
      if (parse_uint (g->v[F_VXLAN_PORT], 1, 65535, &num) < 0)
        return bad_value (err, g->index, F_VXLAN_PORT, g->v[F_VXLAN_PORT],
                          "is not a port (1 to 65535)");
      vx->port = num;
    }
  if (g->v[F_VXLAN_LOCAL])
    {
      int r = parse_cidrs (g, F_VXLAN_LOCAL, false, true, &local, &n_local,
                           err);
      if (r == 0 && n_local > 1)
        r = bad_value (err, g->index, F_VXLAN_LOCAL, g->v[F_VXLAN_LOCAL],
                       "is more than one address");
      if (r == 0)
        {
          vx->has_local = true;
          vx->local = local[0];
        }
      free (local);
      if (r < 0)
        return -1;
    }
  if (parse_cidrs (g, F_VXLAN_REMOTE, false, false, &vx->remotes,
                   &vx->n_remotes, err) < 0)
    return -1;
  for (size_t i = 0; i < vx->n_remotes; i++)
    {
      int family = vx->has_local ? vx->local.family : vx->remotes[0].family;
      if (vx->remotes[i].family != family)
        return bad_value (err, g->index, F_VXLAN_REMOTE, g->v[F_VXLAN_REMOTE],
                          "mixes IPv4 and IPv6 (the underlay is one of them, "
                          "like vxlan.local)");
    }
  if (g->v[F_VXLAN_DEV] && parse_ifname (g, F_VXLAN_DEV, vx->dev, err) < 0)
    return -1;
  return 0;
}

/* Each gateway must be reachable on the link: inside one of the interface's
 * subnets of its family. */
static int
check_gateways (const struct group *g, const struct husk_net_if *nif,
                husk_err **err)
{
  for (size_t i = 0; i < nif->n_gateways; i++)
    {
      bool on_link = false;
      char buf[CIDR_STRLEN];
      for (size_t j = 0; j < nif->n_addrs; j++)
        on_link |= cidr_contains (&nif->addrs[j], &nif->gateways[i]);
      for (size_t j = 0; j < nif->n_pools; j++)
        on_link |= cidr_contains (&nif->pools[j], &nif->gateways[i]);
      if (!on_link)
        return bad (err, g->index, F_GATEWAY,
                    "%s is in no subnet of husk.net.%u.address or "
                    "husk.net.%u.pool",
                    cidr_str (&nif->gateways[i], false, buf), g->index,
                    g->index);
    }
  return 0;
}

static int
check_pools (const struct group *g, struct husk_net_if *nif, husk_err **err)
{
  for (size_t i = 0; i < nif->n_pools; i++)
    {
      struct husk_cidr *p = &nif->pools[i];
      char buf[CIDR_STRLEN];
      unsigned max = p->family == AF_INET ? 30 : 126;
      if (p->prefix > max)
        return bad (err, g->index, F_POOL,
                    "%s is too small to allocate from (at most /%u)",
                    cidr_str (p, true, buf), max);
      for (unsigned b = p->prefix; b < 128; b++)
        p->addr[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
    }
  return 0;
}

/* Keys that only some types take. */
static int
check_type_keys (const struct group *g, const struct husk_net_if *nif,
                 husk_err **err)
{
  static const enum field veth_only[] = { F_BRIDGE, F_VXLAN_ID, F_VXLAN_LOCAL,
                                          F_VXLAN_REMOTE, F_VXLAN_PORT,
                                          F_VXLAN_DEV, F_MASQUERADE, F_PORTS };
  bool veth = nif->type == HUSK_NET_VETH;

  if (veth)
    {
      if (g->v[F_LINK])
        return bad (err, g->index, F_LINK, "only for macvlan and ipvlan");
      if (g->v[F_MODE])
        return bad (err, g->index, F_MODE, "only for macvlan and ipvlan");
      return 0;
    }
  for (size_t i = 0; i < sizeof veth_only / sizeof *veth_only; i++)
    if (g->v[veth_only[i]])
      return bad (err, g->index, veth_only[i], "only for veth");
  if (!g->v[F_LINK])
    return bad (err, g->index, F_LINK, "missing: %s needs a parent link",
                g->v[F_TYPE]);
  if (nif->type == HUSK_NET_IPVLAN && g->v[F_MAC])
    return bad (err, g->index, F_MAC,
                "not for ipvlan (it shares the parent's MAC address)");
  return 0;
}

static int
parse_group (const struct group *g, struct husk_net_if *nif, husk_err **err)
{
  unsigned long num;

  nif->index = g->index;
  if (!g->v[F_TYPE])
    return bad (err, g->index, F_TYPE,
                "missing (each husk.net.%u.* group needs a type: veth, "
                "macvlan or ipvlan)", g->index);
  if (strcmp (g->v[F_TYPE], "veth") == 0)
    nif->type = HUSK_NET_VETH;
  else if (strcmp (g->v[F_TYPE], "macvlan") == 0)
    nif->type = HUSK_NET_MACVLAN;
  else if (strcmp (g->v[F_TYPE], "ipvlan") == 0)
    nif->type = HUSK_NET_IPVLAN;
  else
    return bad_value (err, g->index, F_TYPE, g->v[F_TYPE],
                      "is not a network type (veth, macvlan or ipvlan)");
  if (check_type_keys (g, nif, err) < 0)
    return -1;

  if (g->v[F_NAME])
    {
      if (parse_ifname (g, F_NAME, nif->name, err) < 0)
        return -1;
      if (strcmp (nif->name, "lo") == 0)
        return bad_value (err, g->index, F_NAME, "lo",
                          "is the loopback's name");
    }
  else
    snprintf (nif->name, sizeof nif->name, "eth%u", g->index);
  if (g->v[F_BRIDGE] && parse_ifname (g, F_BRIDGE, nif->bridge, err) < 0)
    return -1;
  if (g->v[F_LINK] && parse_ifname (g, F_LINK, nif->link, err) < 0)
    return -1;
  if (nif->type != HUSK_NET_VETH && parse_mode (g, nif, err) < 0)
    return -1;

  if (g->v[F_ADDRESS] && g->v[F_POOL])
    return bad (err, g->index, F_POOL,
                "give husk.net.%u.address or husk.net.%u.pool, not both",
                g->index, g->index);
  if (g->v[F_ADDRESS]
      && parse_cidrs (g, F_ADDRESS, true, false, &nif->addrs, &nif->n_addrs,
                      err) < 0)
    return -1;
  if (g->v[F_POOL]
      && (parse_cidrs (g, F_POOL, true, true, &nif->pools, &nif->n_pools, err)
              < 0
          || check_pools (g, nif, err) < 0))
    return -1;
  if (g->v[F_GATEWAY]
      && (parse_cidrs (g, F_GATEWAY, false, true, &nif->gateways,
                       &nif->n_gateways, err) < 0
          || check_gateways (g, nif, err) < 0))
    return -1;

  if (g->v[F_MTU])
    {
      if (parse_uint (g->v[F_MTU], 68, 65535, &num) < 0)
        return bad_value (err, g->index, F_MTU, g->v[F_MTU],
                          "is not an MTU (68 to 65535)");
      nif->mtu = num;
    }
  if (g->v[F_MAC] && parse_mac (g, nif, err) < 0)
    return -1;
  if ((g->v[F_VXLAN_ID] || g->v[F_VXLAN_LOCAL] || g->v[F_VXLAN_REMOTE]
       || g->v[F_VXLAN_PORT] || g->v[F_VXLAN_DEV])
      && parse_vxlan (g, nif, err) < 0)
    return -1;

  if (g->v[F_MASQUERADE])
    {
      if (strcmp (g->v[F_MASQUERADE], "true") != 0
          && strcmp (g->v[F_MASQUERADE], "false") != 0)
        return bad_value (err, g->index, F_MASQUERADE, g->v[F_MASQUERADE],
                          "is not true or false");
      nif->masquerade = strcmp (g->v[F_MASQUERADE], "true") == 0;
    }
  if (g->v[F_PORTS] && each_item (g, F_PORTS, port_item, nif, err) < 0)
    return -1;
  if ((nif->masquerade || nif->n_ports) && !nif->n_addrs && !nif->n_pools)
    return bad (err, g->index, nif->masquerade ? F_MASQUERADE : F_PORTS,
                "needs husk.net.%u.address or husk.net.%u.pool", g->index,
                g->index);
  return 0;
}

/* "husk.net.N.field" -> N and field; 0 when the key is not ours. */
static int
split_key (const char *key, unsigned *index, enum field *f, husk_err **err)
{
  const char *p = key + strlen (PREFIX), *dot;
  unsigned long n;
  char num[4];

  if (strncmp (key, PREFIX, strlen (PREFIX)) != 0)
    return 0;
  dot = strchr (p, '.');
  if (dot == NULL || dot == p || (size_t) (dot - p) >= sizeof num
      || (dot - p > 1 && *p == '0'))
    return husk_error (err, 0,
                       "annotation %s: expected husk.net.N.KEY with N a "
                       "number from 0 to %d", key, MAX_IFS - 1);
  memcpy (num, p, dot - p);
  num[dot - p] = '\0';
  if (parse_uint (num, 0, MAX_IFS - 1, &n) < 0)
    return husk_error (err, 0,
                       "annotation %s: expected husk.net.N.KEY with N a "
                       "number from 0 to %d", key, MAX_IFS - 1);
  *index = n;
  for (int i = 0; i < F_COUNT; i++)
    if (strcmp (dot + 1, field_names[i]) == 0)
      {
        *f = i;
        return 1;
      }
  return husk_error (err, 0,
                     "annotation %s: unknown key %s (known: type, name, "
                     "bridge, link, mode, address, pool, gateway, mtu, mac, "
                     "vxlan.id, vxlan.local, vxlan.remote, vxlan.port, "
                     "vxlan.dev, masquerade, ports)", key, dot + 1);
}

static int
collect_groups (const struct oci_config *cfg, struct group groups[MAX_IFS],
                bool present[MAX_IFS], husk_err **err)
{
  for (size_t i = 0; i < cfg->n_annotations; i++)
    {
      const struct oci_kv *kv = &cfg->annotations[i];
      unsigned index = 0;
      enum field f = F_TYPE;
      int r = split_key (kv->key, &index, &f, err);
      if (r < 0)
        return -1;
      if (r == 0)
        continue;
      present[index] = true;
      groups[index].index = index;
      groups[index].v[f] = kv->value ? kv->value : "";
    }
  return 0;
}

/* Two interfaces (or netDevices) must not end up with one name inside. */
static int
check_names (const struct husk_net *n, husk_err **err)
{
  for (size_t i = 0; i < n->n_ifs; i++)
    {
      for (size_t j = 0; j < i; j++)
        if (strcmp (n->ifs[i].name, n->ifs[j].name) == 0)
          return husk_error (err, 0,
                             "annotation " PREFIX "%u.name: \"%s\" is "
                             "already the name of interface %u",
                             n->ifs[i].index, n->ifs[i].name, n->ifs[j].index);
      for (size_t j = 0; j < n->n_devs; j++)
        if (strcmp (n->ifs[i].name, n->devs[j].name) == 0)
          return husk_error (err, 0,
                             "annotation " PREFIX "%u.name: \"%s\" is "
                             "already the name of linux.netDevices.%s",
                             n->ifs[i].index, n->ifs[i].name,
                             n->devs[j].host_name);
      for (size_t j = 0; j < i; j++)
        for (size_t k = 0; k < n->ifs[i].n_gateways; k++)
          for (size_t l = 0; l < n->ifs[j].n_gateways; l++)
            if (n->ifs[i].gateways[k].family == n->ifs[j].gateways[l].family)
              return husk_error (err, 0,
                                 "annotation " PREFIX "%u.gateway: the "
                                 "default IPv%c route already goes through "
                                 PREFIX "%u.gateway",
                                 n->ifs[i].index,
                                 n->ifs[i].gateways[k].family == AF_INET
                                     ? '4' : '6',
                                 n->ifs[j].index);
      for (size_t j = 0; j < i; j++)
        for (size_t k = 0; k < n->ifs[i].n_ports; k++)
          for (size_t l = 0; l < n->ifs[j].n_ports; l++)
            if (n->ifs[i].ports[k].host == n->ifs[j].ports[l].host
                && n->ifs[i].ports[k].udp == n->ifs[j].ports[l].udp)
              return husk_error (err, 0,
                                 "annotation " PREFIX "%u.ports: host port "
                                 "%u is already forwarded by interface %u",
                                 n->ifs[i].index, n->ifs[i].ports[k].host,
                                 n->ifs[j].index);
    }
  return 0;
}

static const struct oci_namespace *
find_netns (const struct oci_config *cfg)
{
  if (cfg->linux_ == NULL)
    return NULL;
  for (size_t i = 0; i < cfg->linux_->n_namespaces; i++)
    if (cfg->linux_->namespaces[i].type == OCI_NS_NETWORK)
      return &cfg->linux_->namespaces[i];
  return NULL;
}

static void
free_if (struct husk_net_if *nif)
{
  free (nif->addrs);
  free (nif->pools);
  free (nif->gateways);
  free (nif->ports);
  if (nif->vxlan)
    free (nif->vxlan->remotes);
  free (nif->vxlan);
}

void
network_free (struct husk_net *n)
{
  if (n == NULL)
    return;
  for (size_t i = 0; i < n->n_ifs; i++)
    free_if (&n->ifs[i]);
  free (n->ifs);
  free (n->devs);
  free (n);
}

static void
network_freep (struct husk_net **n)
{
  network_free (*n);
}

int
network_parse (const struct oci_config *cfg, struct husk_net **out,
               husk_err **err)
{
  __attribute__ ((cleanup (network_freep))) struct husk_net *n = NULL;
  static struct group zero;
  struct group groups[MAX_IFS];
  bool present[MAX_IFS] = { false };
  const struct oci_namespace *ns = find_netns (cfg);
  size_t count = 0;

  *out = NULL;
  for (unsigned i = 0; i < MAX_IFS; i++)
    groups[i] = zero;
  if (collect_groups (cfg, groups, present, err) < 0)
    return -1;
  for (unsigned i = 0; i < MAX_IFS; i++)
    count += present[i];
  n = calloc (1, sizeof *n);
  if (n == NULL || (count && !(n->ifs = calloc (count, sizeof *n->ifs))))
    return husk_error (err, ENOMEM, "annotations " PREFIX "*");
  for (unsigned i = 0; i < MAX_IFS; i++)
    if (present[i] && parse_group (&groups[i], &n->ifs[n->n_ifs++], err) < 0)
      return -1;
  if (netdev_parse (cfg->linux_, n, err) < 0 || check_names (n, err) < 0)
    return -1;

  if (ns == NULL && n->n_ifs)
    return husk_error (err, 0,
                       "annotation " PREFIX "%u.type: needs a network "
                       "namespace, and linux.namespaces has no \"network\"",
                       n->ifs[0].index);
  if (ns == NULL && n->n_devs)
    return husk_error (err, 0,
                       "config.json: linux.netDevices: needs a network "
                       "namespace, and linux.namespaces has no \"network\"");
  if (ns && ns->path)
    {
      for (size_t i = 0; i < n->n_ifs; i++)
        free_if (&n->ifs[i]);
      n->n_ifs = 0;
    }
  if (n->n_ifs || n->n_devs)
    *out = steal_ptr (&n);
  return 0;
}

/* What an interface asks the host for, in a refusal's words. */
static const char *
netdev_kind (const struct husk_net_if *nif, char *buf, size_t size)
{
  if (nif->vxlan)
    snprintf (buf, size, "VXLAN (a vxlan device on bridge %s)", nif->bridge);
  else if (nif->type == HUSK_NET_MACVLAN)
    snprintf (buf, size, "MACVLAN (on host link %s)", nif->link);
  else if (nif->type == HUSK_NET_IPVLAN)
    snprintf (buf, size, "IPVLAN (on host link %s)", nif->link);
  else if (nif->bridge[0])
    snprintf (buf, size, "a bridge (veth on host bridge %s)", nif->bridge);
  else
    snprintf (buf, size, "a veth pair with its host end");
  return buf;
}

int
network_check_unprivileged (const struct husk_net *n, husk_err **err)
{
  char kind[64];

  if (n && n->n_ifs)
    return bad (err, n->ifs[0].index, F_TYPE, "%s needs privilege "
                "(CAP_NET_ADMIN in the host's network namespace), which "
                "rootless husk does not have; a rootless container can "
                "share the host's network or have its own network "
                "namespace with only loopback",
                netdev_kind (&n->ifs[0], kind, sizeof kind));
  if (n && n->n_devs)
    return husk_error (err, 0, "config.json: linux.netDevices: moving host "
                       "link %s into the container needs privilege "
                       "(CAP_NET_ADMIN in the host's network namespace), "
                       "which rootless husk does not have",
                       n->devs[0].host_name);
  return 0;
}
