/* Outbound masquerade and host port forwarding (CNI portmap's job) with
 * nftables through libnftables.  Each container gets a table of its own,
 * inet husk_<hash of id>, with NAT chains on the hooks: removing the table
 * removes every rule of the container at once, and no other table is
 * touched.
 *
 * libnftables is opened with dlopen here, on the first NAT rule, not
 * linked: it and the five libraries it pulls in (libnftnl, libmnl,
 * libxtables, libjansson, libgmp) cost every husk command ~80 page faults
 * and a fifth of a `husk run` on a machine where faults are dear, though
 * only networks with masquerade or ports use it.  The header still gives
 * the types, so a changed signature fails the build. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "../lib/cleanup.h"
#include "internal.h"

static void
table_name (const char *id, char out[32])
{
  uint64_t h = 14695981039346656037ull; /* FNV-1a 64 */

  for (const char *p = id; *p; p++)
    h = (h ^ (uint8_t) *p) * 1099511628211ull;
  snprintf (out, 32, "husk_%016llx", (unsigned long long) h);
}

#define NFT_LIB "libnftables.so.1"

struct nft_api
{
  typeof (nft_ctx_new) *ctx_new;
  typeof (nft_ctx_free) *ctx_free;
  typeof (nft_ctx_buffer_output) *buffer_output;
  typeof (nft_ctx_buffer_error) *buffer_error;
  typeof (nft_ctx_get_error_buffer) *get_error_buffer;
  typeof (nft_run_cmd_from_buffer) *run_cmd_from_buffer;
};

/* The library stays loaded for the rest of the (short) process. */
static const struct nft_api *
nft_load (husk_err **err)
{
  static struct nft_api api;
  static const struct
  {
    const char *name;
    void **slot;
  } syms[] = {
    { "nft_ctx_new", (void **) &api.ctx_new },
    { "nft_ctx_free", (void **) &api.ctx_free },
    { "nft_ctx_buffer_output", (void **) &api.buffer_output },
    { "nft_ctx_buffer_error", (void **) &api.buffer_error },
    { "nft_ctx_get_error_buffer", (void **) &api.get_error_buffer },
    { "nft_run_cmd_from_buffer", (void **) &api.run_cmd_from_buffer },
  };
  static void *lib;
  const char *e;

  if (lib != NULL)
    return &api;
  lib = dlopen (NFT_LIB, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL)
    {
      e = dlerror ();
      husk_error (err, 0,
                  "nat: masquerade and ports need " NFT_LIB
                  " (Debian's libnftables1): %s",
                  e ? e : "cannot load it");
      return NULL;
    }
  for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++)
    if ((*syms[i].slot = dlsym (lib, syms[i].name)) == NULL)
      {
        e = dlerror ();
        husk_error (err, 0, "nat: " NFT_LIB ": %s",
                    e ? e : syms[i].name);
        dlclose (lib);
        lib = NULL;
        return NULL;
      }
  return &api;
}

int
nat_prepare (husk_err **err)
{
  return nft_load (err) ? 0 : -1;
}

static int
nft_run (const char *cmds, const char *what, husk_err **err)
{
  const struct nft_api *nft = nft_load (err);
  struct nft_ctx *ctx;
  int r;

  if (nft == NULL)
    return -1;
  ctx = nft->ctx_new (NFT_CTX_DEFAULT);
  if (ctx == NULL)
    return husk_error (err, ENOMEM, "nftables: %s", what);
  nft->buffer_output (ctx);
  nft->buffer_error (ctx);
  r = nft->run_cmd_from_buffer (ctx, cmds);
  if (r != 0)
    {
      const char *e = nft->get_error_buffer (ctx);
      size_t len = e ? strcspn (e, "\n") : 0;
      husk_error (err, 0, "nftables: %s: %.*s", what, (int) len,
                  len ? e : "failed");
    }
  nft->ctx_free (ctx);
  return r != 0 ? -1 : 0;
}

/* Forwarding between the host's links is what both need. */
static int
enable_forwarding (int family, husk_err **err)
{
  const char *path = family == AF_INET
                         ? "/proc/sys/net/ipv4/ip_forward"
                         : "/proc/sys/net/ipv6/conf/all/forwarding";
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);

  if (fd < 0 || write (fd, "1", 1) != 1)
    return husk_error (err, errno, "nat: enable forwarding: %s", path);
  return 0;
}

static void
put_rules (FILE *f, const char *t, const struct husk_net_if *nif,
           const struct husk_cidr *a, const char *out_link)
{
  const char *ip = a->family == AF_INET ? "ip" : "ip6";
  const char *nfproto = a->family == AF_INET ? "ipv4" : "ipv6";
  char addr[CIDR_STRLEN], net[CIDR_STRLEN];
  struct husk_cidr subnet = *a;

  cidr_str (a, false, addr);
  for (unsigned b = subnet.prefix; b < 128; b++)
    subnet.addr[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
  cidr_str (&subnet, true, net);
  if (nif->masquerade)
    fprintf (f,
             "add rule inet %s post %s saddr %s %s daddr != %s "
             "oifname != \"%s\" masquerade\n",
             t, ip, addr, ip, net, out_link);
  for (size_t i = 0; i < nif->n_ports; i++)
    {
      const struct husk_port *p = &nif->ports[i];
      const char *proto = p->udp ? "udp" : "tcp";
      bool v6 = a->family == AF_INET6;
      /* pre: from other hosts; out: from this one. */
      for (int chain = 0; chain < 2; chain++)
        fprintf (f,
                 "add rule inet %s %s meta nfproto %s fib daddr type local "
                 "%s dport %u dnat %s to %s%s%s:%u\n",
                 t, chain ? "out" : "pre", nfproto, proto, p->host, ip,
                 v6 ? "[" : "", addr, v6 ? "]" : "", p->container);
    }
}

int
nat_add (const char *id, const struct husk_net_if *nif,
         const struct husk_cidr *addrs, size_t n_addrs, husk_err **err)
{
  cleanup_free char *cmds = NULL;
  cleanup_file FILE *f = NULL;
  char table[32], host[IF_NAMESIZE];
  size_t len = 0;
  bool family_done[2] = { false, false };

  for (size_t i = 0; i < n_addrs; i++)
    {
      bool v6 = addrs[i].family == AF_INET6;
      if (!family_done[v6] && enable_forwarding (addrs[i].family, err) < 0)
        return -1;
      family_done[v6] = true;
    }
  table_name (id, table);
  veth_host_name (id, nif->index, host);
  f = open_memstream (&cmds, &len);
  if (f == NULL)
    return husk_error (err, ENOMEM, "nat");
  fprintf (f,
           "add table inet %1$s\n"
           "add chain inet %1$s post { type nat hook postrouting priority "
           "srcnat; }\n"
           "add chain inet %1$s pre { type nat hook prerouting priority "
           "dstnat; }\n"
           "add chain inet %1$s out { type nat hook output priority -100; }\n",
           table);
  for (size_t i = 0; i < n_addrs; i++)
    put_rules (f, table, nif, &addrs[i], nif->bridge[0] ? nif->bridge : host);
  if (fclose (steal_ptr (&f)) != 0)
    return husk_error (err, ENOMEM, "nat");
  return nft_run (cmds, "add masquerade and port forwarding rules", err);
}

int
nat_remove (const char *id, husk_err **err)
{
  char table[32], cmds[128];

  table_name (id, table);
  /* Adding first makes the delete succeed when the table is gone already. */
  snprintf (cmds, sizeof cmds, "add table inet %s\ndelete table inet %s\n",
            table, table);
  return nft_run (cmds, "remove the rules", err);
}
