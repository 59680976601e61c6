/* runtime-spec linux.netDevices: host links moved into the container and
 * given back under their own names on delete.
 *
 * When a network namespace dies, the kernel destroys the virtual links in it
 * and sends physical ones to the initial namespace under their container
 * names: neither is giving them back.  So the namespace is pinned by a bind
 * mount on <state>/<id>/netns until delete has moved the links out. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "../lib/cleanup.h"
#include "internal.h"

int
netdev_parse (const struct oci_linux *l, struct husk_net *n, husk_err **err)
{
  if (l == NULL || l->n_net_devices == 0)
    return 0;
  n->devs = calloc (l->n_net_devices, sizeof *n->devs);
  if (n->devs == NULL)
    return husk_error (err, ENOMEM, "linux.netDevices");
  for (size_t i = 0; i < l->n_net_devices; i++)
    {
      const struct oci_net_device *d = &l->net_devices[i];
      const char *name = d->name ? d->name : d->host_name;
      if (!ifname_valid (d->host_name ? d->host_name : ""))
        return husk_error (err, 0,
                           "config.json: linux.netDevices: \"%s\" is not a "
                           "valid interface name",
                           d->host_name ? d->host_name : "");
      if (!ifname_valid (name))
        return husk_error (err, 0,
                           "config.json: linux.netDevices.%s.name: \"%s\" is "
                           "not a valid interface name", d->host_name, name);
      for (size_t j = 0; j < n->n_devs; j++)
        if (strcmp (n->devs[j].name, name) == 0)
          return husk_error (err, 0,
                             "config.json: linux.netDevices.%s.name: \"%s\" "
                             "is already the name of linux.netDevices.%s",
                             d->host_name, name, n->devs[j].host_name);
      strcpy (n->devs[n->n_devs].host_name, d->host_name);
      strcpy (n->devs[n->n_devs++].name, name);
    }
  return 0;
}

static char *
pin_path (const char *dir)
{
  char *p = NULL;
  return asprintf (&p, "%s/netns", dir) < 0 ? NULL : p;
}

int
netdev_pin (const char *dir, pid_t pid, husk_err **err)
{
  cleanup_free char *path = pin_path (dir);
  char src[64];
  int fd;

  if (path == NULL)
    return husk_error (err, ENOMEM, "pin netns");
  fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return husk_error (err, errno, "pin netns: create %s", path);
  close (fd);
  snprintf (src, sizeof src, "/proc/%d/ns/net", (int) pid);
  if (mount (src, path, NULL, MS_BIND, NULL) < 0)
    return husk_error (err, errno, "pin netns: bind %s on %s", src, path);
  return 0;
}

int
netdev_unpin (const char *dir, husk_err **err)
{
  cleanup_free char *path = pin_path (dir);

  if (path == NULL)
    return husk_error (err, ENOMEM, "unpin netns");
  if (umount2 (path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL
      && errno != ENOENT)
    return husk_error (err, errno, "unpin netns: umount %s", path);
  if (unlink (path) < 0 && errno != ENOENT)
    return husk_error (err, errno, "unpin netns: remove %s", path);
  return 0;
}

/* Moves `from` (found through sk) into nsfd, renamed `to` on the way. */
static int
move_link (struct nl_sock *sk, const char *from, const char *to, int nsfd,
           husk_err **err)
{
  struct rtnl_link *l = NULL, *change = rtnl_link_alloc ();
  int r = change ? rtnl_link_get_kernel (sk, 0, from, &l) : -NLE_NOMEM;

  if (r == 0)
    {
      rtnl_link_set_ns_fd (change, nsfd);
      rtnl_link_set_name (change, to);
      r = rtnl_link_change (sk, l, change, 0);
    }
  if (l)
    rtnl_link_put (l);
  if (change)
    rtnl_link_put (change);
  if (r < 0)
    return nl_fail (err, r, "move link %s as %s", from, to);
  return 0;
}

int
netdev_move_in (struct nl_sock *host, const struct husk_net_dev *d, int nsfd,
                husk_err **err)
{
  if (move_link (host, d->host_name, d->name, nsfd, err) < 0)
    return husk_err_wrap (err, "linux.netDevices.%s", d->host_name);
  return 0;
}

int
netdev_give_back (const char *dir, const char *name, const char *host_name,
                  husk_err **err)
{
  cleanup_free char *path = pin_path (dir);
  cleanup_close int nsfd = -1, hostfd = -1;
  cleanup_nl struct nl_sock *sk = NULL;
  cleanup_err husk_err *open_err = NULL;
  struct rtnl_link *l = NULL;
  int r;

  if (path == NULL)
    return husk_error (err, ENOMEM, "give back %s", host_name);
  nsfd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (nsfd < 0)
    return errno == ENOENT ? 0
                           : husk_error (err, errno, "give back %s: open %s",
                                         host_name, path);
  hostfd = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (hostfd < 0)
    return husk_error (err, errno, "give back %s: own netns", host_name);
  /* An unpinned file (a crash between create and bind) is no namespace. */
  if (nl_open (nsfd, &sk, &open_err) < 0)
    {
      if (open_err->errnum == EINVAL)
        return 0;
      return husk_error (err, 0, "give back %s: %s", host_name,
                         open_err->msg);
    }
  r = rtnl_link_get_kernel (sk, 0, name, &l);
  if (l)
    rtnl_link_put (l);
  if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV)
    return 0;
  return move_link (sk, name, host_name, hostfd, err);
}
