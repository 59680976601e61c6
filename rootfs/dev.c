/* /dev: the default devices, linux.devices, the standard symlinks and
 * /dev/console.  Every node is made relative to an fd of its directory
 * resolved inside the rootfs, with O_NOFOLLOW on the last component, and
 * checked after it is made. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/fs.h"
#include "internal.h"

struct dev_node {
  const char *path;
  char type; /* c, b, u or p */
  unsigned major, minor;
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

static const struct dev_node default_devices[] = {
  { "/dev/null", 'c', 1, 3, 0666, 0, 0 },
  { "/dev/zero", 'c', 1, 5, 0666, 0, 0 },
  { "/dev/full", 'c', 1, 7, 0666, 0, 0 },
  { "/dev/random", 'c', 1, 8, 0666, 0, 0 },
  { "/dev/urandom", 'c', 1, 9, 0666, 0, 0 },
  { "/dev/tty", 'c', 5, 0, 0666, 0, 0 },
};

static const struct {
  const char *target, *name;
} dev_links[] = {
  { "/proc/self/fd", "fd" },
  { "/proc/self/fd/0", "stdin" },
  { "/proc/self/fd/1", "stdout" },
  { "/proc/self/fd/2", "stderr" },
};

/* runc's default /dev when the config mounts nothing there: a tmpfs, so that
 * husk never writes device nodes into the bundle's rootfs on disk. */
static char *dev_tmpfs_options[]
    = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };

bool
rootfs_is_dev (const char *dest)
{
  while (*dest == '/')
    dest++;
  if (strncmp (dest, "dev", 3) != 0)
    return false;
  for (dest += 3; *dest == '/'; dest++)
    ;
  return *dest == '\0';
}

bool
rootfs_config_mounts_dev (const struct oci_config *c, bool *bind)
{
  bool found = false;

  *bind = false;
  for (size_t i = 0; i < c->n_mounts; i++)
    {
      const struct oci_mount *m = &c->mounts[i];
      if (!rootfs_is_dev (m->destination))
        continue;
      found = true;
      *bind = m->type && strcmp (m->type, "bind") == 0;
      for (char **o = m->options; o && *o; o++)
        if (strcmp (*o, "bind") == 0 || strcmp (*o, "rbind") == 0)
          *bind = true;
    }
  return found;
}

static bool
is_null_device (const struct stat *st)
{
  return S_ISCHR (st->st_mode) && major (st->st_rdev) == 1
         && minor (st->st_rdev) == 3;
}

int
rootfs_open_devnull (husk_err **err)
{
  cleanup_close int fd = open ("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0)
    return husk_error (err, errno, "open the host's /dev/null");
  if (!is_null_device (&st))
    return husk_error (err, EPERM, "the host's /dev/null is not the null "
                                   "device (char 1:3)");
  return steal_fd (&fd);
}

/* Splits "/dev/net/tun" into a directory fd (made when missing) and "tun". */
static int
open_parent (struct rootfs_ctx *ctx, const char *path, const char **name,
             husk_err **err)
{
  const char *slash = strrchr (path, '/');
  cleanup_free char *dir = NULL;

  *name = slash ? slash + 1 : path;
  if (**name == '\0' || strcmp (*name, ".") == 0 || strcmp (*name, "..") == 0)
    return husk_error (err, EINVAL, "not a file name");
  dir = strndup (path, slash ? (size_t) (slash - path) : 0);
  if (dir == NULL)
    return husk_error (err, ENOMEM, "path");
  return fs_mkpath_in_root (ctx->rootfd, dir, FS_DIR, 0755, err);
}

/* An empty file (or an existing file or device node, never a symlink) to
 * bind a device over. */
static int
open_bind_target (int dirfd, const char *name, husk_err **err)
{
  int fd = openat (dirfd, name,
                   O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  struct stat st;

  if (fd >= 0 || errno != EEXIST)
    return fd >= 0 ? fd : husk_error (err, errno, "create");
  fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0)
    {
      int errnum = errno;
      if (fd >= 0)
        close (fd);
      return husk_error (err, errnum, "open");
    }
  if (!S_ISREG (st.st_mode) && !S_ISCHR (st.st_mode) && !S_ISBLK (st.st_mode))
    {
      close (fd);
      return husk_error (err, EEXIST, "exists and is not a file or a device");
    }
  return fd;
}

static int
bind_device (int dirfd, const struct dev_node *d, const char *name,
             husk_err **err)
{
  cleanup_close int target = open_bind_target (dirfd, name, err);
  cleanup_close int mfd = -1;
  struct stat st;

  if (target < 0)
    return -1;
  mfd = mnt_clone (AT_FDCWD, d->path, false, err);
  if (mfd < 0)
    return -1;
  if (fstat (mfd, &st) < 0)
    return husk_error (err, errno, "stat the host's \"%s\"", d->path);
  if (!S_ISCHR (st.st_mode) && !S_ISBLK (st.st_mode))
    return husk_error (err, ENODEV, "the host's \"%s\" is not a device",
                       d->path);
  return mnt_attach (mfd, target, err);
}

static mode_t
node_type (char type)
{
  switch (type)
    {
    case 'b':
      return S_IFBLK;
    case 'p':
      return S_IFIFO;
    default:
      return S_IFCHR;
    }
}

static bool
node_matches (int dirfd, const char *name, const struct dev_node *d)
{
  struct stat st;

  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return false;
  if ((st.st_mode & S_IFMT) != node_type (d->type))
    return false;
  return d->type == 'p'
         || (major (st.st_rdev) == d->major && minor (st.st_rdev) == d->minor);
}

static int
mknod_device (int dirfd, const struct dev_node *d, const char *name,
              husk_err **err)
{
  mode_t old = umask (0);
  int r = mknodat (dirfd, name, node_type (d->type) | (d->mode & 07777),
                   makedev (d->major, d->minor));
  int errnum = errno;

  umask (old);
  /* An existing node is kept when it is this device (runc keeps it), and
   * refused otherwise rather than removed from the rootfs. */
  if (r < 0 && errnum != EEXIST)
    return husk_error (err, errnum, "mknod");
  if (!node_matches (dirfd, name, d))
    return husk_error (err, EEXIST, "exists and is not device %c %u:%u",
                       d->type, d->major, d->minor);
  if (r == 0 && fchownat (dirfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW))
    return husk_error (err, errno, "chown");
  return 0;
}

static int
make_device (struct rootfs_ctx *ctx, const struct dev_node *d, husk_err **err)
{
  const char *name;
  cleanup_close int dirfd = open_parent (ctx, d->path, &name, err);
  int r;

  if (dirfd < 0)
    r = -1;
  /* In a user namespace mknod of a device is refused: bind the host's. */
  else if (ctx->o->in_userns && d->type != 'p')
    r = bind_device (dirfd, d, name, err);
  else
    r = mknod_device (dirfd, d, name, err);
  if (r < 0)
    return husk_err_wrap (err, "device \"%s\"", d->path);
  return 0;
}

static int
config_device (const struct oci_device *od, size_t i, struct dev_node *d,
               husk_err **err)
{
  if (od->type == NULL || strlen (od->type) != 1
      || strchr ("cbup", od->type[0]) == NULL)
    return husk_error (err, EINVAL, "linux.devices[%zu]: type: expected "
                                    "\"c\", \"b\", \"u\" or \"p\"", i);
  *d = (struct dev_node){ .path = od->path, .type = od->type[0],
                          .mode = od->has_file_mode ? od->file_mode : 0666,
                          .uid = od->has_uid ? od->uid : 0,
                          .gid = od->has_gid ? od->gid : 0 };
  if (d->type == 'p')
    return 0;
  if (!od->has_major || !od->has_minor)
    return husk_error (err, EINVAL, "linux.devices[%zu]: major and minor "
                                    "are required for type \"%c\"", i, d->type);
  if (od->major < 0 || od->major > 0xfff || od->minor < 0
      || od->minor > 0xfffff)
    return husk_error (err, EINVAL, "linux.devices[%zu]: device number "
                                    "%lld:%lld out of range", i,
                       (long long) od->major, (long long) od->minor);
  d->major = (unsigned) od->major;
  d->minor = (unsigned) od->minor;
  return 0;
}

static bool
in_config (const struct oci_linux *l, const char *path)
{
  for (size_t i = 0; l && i < l->n_devices; i++)
    if (l->devices[i].path && strcmp (l->devices[i].path, path) == 0)
      return true;
  return false;
}

static int
make_devices (struct rootfs_ctx *ctx, husk_err **err)
{
  const struct oci_linux *l = ctx->c->linux_;

  for (size_t i = 0; i < sizeof default_devices / sizeof *default_devices;
       i++)
    if (!in_config (l, default_devices[i].path)
        && make_device (ctx, &default_devices[i], err) < 0)
      return -1;
  for (size_t i = 0; l && i < l->n_devices; i++)
    {
      struct dev_node d;
      if (config_device (&l->devices[i], i, &d, err) < 0
          || make_device (ctx, &d, err) < 0)
        return -1;
    }
  return 0;
}

static int
make_links (int devfd, husk_err **err)
{
  for (size_t i = 0; i < sizeof dev_links / sizeof *dev_links; i++)
    if (symlinkat (dev_links[i].target, devfd, dev_links[i].name) < 0
        && errno != EEXIST)
      return husk_error (err, errno, "symlink \"/dev/%s\"", dev_links[i].name);
  if (access ("/proc/kcore", F_OK) == 0
      && symlinkat ("/proc/kcore", devfd, "core") < 0 && errno != EEXIST)
    return husk_error (err, errno, "symlink \"/dev/core\"");
  /* /dev/ptmx must be the devpts instance's own ptmx. */
  if (unlinkat (devfd, "ptmx", 0) < 0 && errno != ENOENT)
    return husk_error (err, errno, "remove \"/dev/ptmx\"");
  if (symlinkat ("pts/ptmx", devfd, "ptmx") < 0)
    return husk_error (err, errno, "symlink \"/dev/ptmx\"");
  return 0;
}

/* CVE-2025-52565: /dev/console is made here, never followed if it is a
 * symlink, and the pty is mounted through the fd of what was made. */
static int
mount_console (struct rootfs_ctx *ctx, int devfd, husk_err **err)
{
  cleanup_close int target = open_bind_target (devfd, "console", err);
  cleanup_close int mfd = -1;
  struct stat st;

  if (target < 0)
    return -1;
  mfd = mnt_clone (AT_FDCWD, ctx->o->console_path, false, err);
  if (mfd < 0)
    return -1;
  if (fstat (mfd, &st) < 0 || !S_ISCHR (st.st_mode))
    return husk_error (err, ENOTTY, "\"%s\" is not a terminal",
                       ctx->o->console_path);
  return mnt_attach (mfd, target, err);
}

int
rootfs_setup_dev (struct rootfs_ctx *ctx, husk_err **err)
{
  cleanup_close int devfd = -1;
  bool bind = false;

  if (!rootfs_config_mounts_dev (ctx->c, &bind))
    {
      struct oci_mount m = { .destination = "/dev", .type = "tmpfs",
                             .source = "tmpfs",
                             .options = dev_tmpfs_options };
      if (rootfs_mount_entry (ctx, &m, err) < 0)
        return -1;
    }
  devfd = fs_mkpath_in_root (ctx->rootfd, "/dev", FS_DIR, 0755, err);
  if (devfd < 0)
    return husk_err_wrap (err, "/dev");
  /* A bind-mounted /dev is the host's (or the user's): nothing is made in
   * it, as runc does. */
  if (!bind)
    {
      if (make_devices (ctx, err) < 0)
        return -1;
      if (make_links (devfd, err) < 0)
        return husk_err_wrap (err, "/dev");
    }
  if (ctx->o->console_path && mount_console (ctx, devfd, err) < 0)
    return husk_err_wrap (err, "/dev/console");
  if (ctx->dev_ro)
    {
      struct mnt_opts ro = { .attr_set = MOUNT_ATTR_RDONLY };
      if (mnt_set_attrs (devfd, &ro, err) < 0)
        return husk_err_wrap (err, "make /dev read-only");
    }
  return 0;
}
