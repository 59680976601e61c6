/* Outbound masquerade and host port forwarding (CNI portmap's job) with
 * nftables.  Each container gets a table of its own, inet husk_<hash of
 * id>, with NAT chains on the hooks: removing the table removes every rule
 * of the container at once, and no other table is touched.
 *
 * The rules go to `nft -f -` (Debian's nftables), the way the CNI plugins
 * drive iptables: husk is one static binary (Makefile), and libnftables
 * with the five libraries it pulls in cannot be loaded into one without a
 * second libc; only networks with masquerade or ports pay for the exec. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/fs.h"
#include "internal.h"

static void
table_name (const char *id, char out[32])
{
  uint64_t h = 14695981039346656037ull; /* FNV-1a 64 */

  for (const char *p = id; *p; p++)
    h = (h ^ (uint8_t) *p) * 1099511628211ull;
  snprintf (out, 32, "husk_%016llx", (unsigned long long) h);
}

/* nft in PATH, then in /usr/sbin and /sbin: a runtime started by a shim or
 * a service may have a PATH without them. */
static int
nft_path (char **path, husk_err **err)
{
  if (fs_find_program ("nft", "/usr/sbin:/sbin", path) == 0)
    return 0;
  return husk_error (err, errno, "nat: masquerade and ports need nft "
                     "(Debian's nftables), in PATH or /usr/sbin");
}

int
nat_prepare (husk_err **err)
{
  cleanup_free char *path = NULL;

  return nft_path (&path, err);
}

static _Noreturn void
nft_child (const char *path, int in, int out)
{
  char *argv[] = { "nft", "-f", "-", NULL };
  char *envp[] = { NULL };
  sigset_t none;

  sigemptyset (&none);
  if (dup2 (in, 0) == 0 && dup2 (out, 1) == 1 && dup2 (out, 2) == 2
      && sigprocmask (SIG_SETMASK, &none, NULL) == 0)
    execve (path, argv, envp);
  _exit (127);
}

/* nft's first line of output, for an error. */
static void
read_first_line (int fd, char *buf, size_t size)
{
  size_t len = 0;
  char sink[512];

  /* read to the end: nft must never block on a full pipe */
  for (;;)
    {
      bool room = len + 1 < size;
      ssize_t n = read (fd, room ? buf + len : sink,
                        room ? size - 1 - len : sizeof sink);
      if (n == 0 || (n < 0 && errno != EINTR))
        break;
      if (n > 0 && room)
        len += (size_t) n;
    }
  buf[len] = '\0';
  buf[strcspn (buf, "\n")] = '\0';
}

static int
nft_run (const char *cmds, const char *what, husk_err **err)
{
  cleanup_free char *path = NULL;
  char msg[512];
  cleanup_close int in = -1, rd = -1, wr = -1;
  int pipefd[2], status;
  pid_t pid;

  if (nft_path (&path, err) < 0)
    return -1;
  in = fs_memfd_text ("husk-nft", cmds, err);
  if (in < 0)
    return -1;
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return husk_error (err, errno, "nat: pipe");
  rd = pipefd[0];
  wr = pipefd[1];
  pid = fork ();
  if (pid < 0)
    return husk_error (err, errno, "nat: fork");
  if (pid == 0)
    nft_child (path, in, wr);
  husk_closep (&wr);
  read_first_line (rd, msg, sizeof msg);
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return husk_error (err, errno, "nat: wait for nft");
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  return husk_error (err, 0, "nftables: %s: %s", what,
                     msg[0] ? msg : "nft failed");
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
