/* The config's mounts: each is built detached, given its flags, and attached
 * onto its destination resolved inside the rootfs (see internal.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/fs.h"
#include "internal.h"

int
mnt_clone (int dirfd, const char *path, bool recursive, husk_err **err)
{
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
                   | (recursive ? AT_RECURSIVE : 0)
                   | (*path ? 0 : AT_EMPTY_PATH);
  int fd = open_tree (dirfd, path, flags);

  if (fd < 0)
    return husk_error (err, errno, "clone the mount tree%s%s%s",
                       *path ? " of \"" : "", path, *path ? "\"" : "");
  return fd;
}

/* The kernel explains fsconfig failures on the fs context fd ("e sysfs:
 * ..."); its last error line is worth more than the bare errno. */
static void
fs_context_reason (int fsfd, char *buf, size_t size)
{
  char line[256];
  ssize_t n;

  buf[0] = '\0';
  while ((n = read (fsfd, line, sizeof line - 1)) > 0)
    {
      line[n] = '\0';
      line[strcspn (line, "\n")] = '\0';
      if (line[0] == 'e' && line[1] == ' ')
        snprintf (buf, size, " (%s)", line + 2);
    }
}

static int
fs_context_fail (husk_err **err, int fsfd, const char *what)
{
  int errnum = errno;
  char reason[512];

  fs_context_reason (fsfd, reason, sizeof reason);
  return husk_error (err, errnum, "%s%s", what, reason);
}

static int
fs_context_set (int fsfd, const char *opt, husk_err **err)
{
  const char *eq = strchr (opt, '=');
  cleanup_free char *key = NULL;
  int r;

  if (eq == NULL)
    r = fsconfig (fsfd, FSCONFIG_SET_FLAG, opt, NULL, 0);
  else
    {
      key = strndup (opt, (size_t) (eq - opt));
      if (key == NULL)
        return husk_error (err, ENOMEM, "option \"%s\"", opt);
      r = fsconfig (fsfd, FSCONFIG_SET_STRING, key, eq + 1, 0);
    }
  if (r < 0)
    {
      cleanup_free char *what = NULL;
      if (asprintf (&what, "option \"%s\"", opt) < 0)
        what = NULL;
      return fs_context_fail (err, fsfd, what ? what : opt);
    }
  return 0;
}

static const struct {
  unsigned long flag;
  const char *name;
} sb_flags[] = {
  { MS_RDONLY, "ro" },         { MS_SYNCHRONOUS, "sync" },
  { MS_DIRSYNC, "dirsync" },   { MS_MANDLOCK, "mand" },
  { MS_LAZYTIME, "lazytime" },
};

static int
fs_context_configure (int fsfd, const struct mnt_opts *mo, husk_err **err)
{
  for (size_t i = 0; i < sizeof sb_flags / sizeof *sb_flags; i++)
    if ((mo->sb_set & sb_flags[i].flag)
        && fs_context_set (fsfd, sb_flags[i].name, err) < 0)
      return -1;
  for (const char **d = mo->data; d && *d; d++)
    if (fs_context_set (fsfd, *d, err) < 0)
      return -1;
  return 0;
}

int
mnt_new_fs (const char *type, const char *source, const struct mnt_opts *mo,
            husk_err **err)
{
  cleanup_close int fsfd = fsopen (type, FSOPEN_CLOEXEC);
  cleanup_close int mfd = -1;

  if (fsfd < 0)
    return husk_error (err, errno, errno == ENODEV
                                       ? "unknown filesystem type \"%s\""
                                       : "open a \"%s\" filesystem context",
                       type);
  if (source && fsconfig (fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0)
    return fs_context_fail (err, fsfd, "source");
  if (fs_context_configure (fsfd, mo, err) < 0)
    return -1;
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return fs_context_fail (err, fsfd, "create the filesystem");
  mfd = fsmount (fsfd, FSMOUNT_CLOEXEC, 0);
  if (mfd < 0)
    return fs_context_fail (err, fsfd, "fsmount");
  if (mnt_set_attrs (mfd, mo, err) < 0)
    return -1;
  return steal_fd (&mfd);
}

static int
setattr (int mfd, unsigned flags, uint64_t set, uint64_t clr,
         uint64_t propagation)
{
  struct mount_attr attr = { .attr_set = set, .attr_clr = clr,
                             .propagation = propagation };
  return mount_setattr (mfd, "", AT_EMPTY_PATH | flags, &attr, sizeof attr);
}

int
mnt_set_attrs (int mfd, const struct mnt_opts *mo, husk_err **err)
{
  if ((mo->attr_set || mo->attr_clr)
      && setattr (mfd, 0, mo->attr_set, mo->attr_clr, 0) < 0)
    return husk_error (err, errno, "set the mount's flags");
  if ((mo->rattr_set || mo->rattr_clr)
      && setattr (mfd, AT_RECURSIVE, mo->rattr_set, mo->rattr_clr, 0) < 0)
    return husk_error (err, errno, "set the mount's recursive flags");
  return 0;
}

int
mnt_set_propagation (int mfd, const struct mnt_opts *mo, husk_err **err)
{
  for (size_t i = 0; i < mo->n_prop; i++)
    if (setattr (mfd, mo->prop[i].recursive ? AT_RECURSIVE : 0, 0, 0,
                 mo->prop[i].type)
        < 0)
      return husk_error (err, errno, "set the mount's propagation");
  return 0;
}

int
mnt_attach (int mfd, int destfd, husk_err **err)
{
  if (move_mount (mfd, "", destfd, "",
                  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)
      < 0)
    return husk_error (err, errno, "move_mount");
  return 0;
}

/* ---------- filesystem types ---------- */

/* "cgroup" means cgroup v2: the only hierarchy husk manages (the unified
 * one on a hybrid host). */
static const char *
fs_type (const char *type)
{
  return strcmp (type, "cgroup") == 0 ? "cgroup2" : type;
}

static bool
is_fs (const char *path, long magic)
{
  struct statfs sfs;
  return statfs (path, &sfs) == 0 && sfs.f_type == magic;
}

/* Where a filesystem that the kernel will not let us create (sysfs without
 * owning the network namespace, cgroup2 in a user namespace) can be bound
 * from instead, as runc does. */
static const char *
fallback_source (const char *type)
{
  if (strcmp (type, "sysfs") == 0)
    return "/sys";
  if (strcmp (type, "cgroup2") == 0)
    {
      if (is_fs ("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC))
        return "/sys/fs/cgroup";
      if (is_fs ("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC))
        return "/sys/fs/cgroup/unified";
    }
  return NULL;
}

/* PROC_CGROUP_INIT_INO (include/linux/proc_ns.h): the initial namespaces'
 * inode numbers are fixed. */
#define INIT_CGROUP_NS_INO 0xEFFFFFFBU

/* In the initial cgroup namespace a new cgroup2 mount is not just a view:
 * the kernel applies its options (nsdelegate, memory_recursiveprot...) to
 * the whole hierarchy, the host's own mounts included, and waits for an RCU
 * grace period to do it (cgroup_get_tree, apply_cgroup_root_flags: 10-15 ms
 * on an idle machine).  runc and crun mount it anyway, and so reset the
 * options systemd gave the host.  There, a bind of the host's mount of the
 * hierarchy's root shows the same tree and changes nothing.  Returns that
 * mount's path, or NULL where a new mount is the way: a container with a
 * cgroup namespace of its own, filesystem options to honour, or no such
 * host mount. */
static const char *
host_cgroup2_root (const struct mnt_opts *mo)
{
  char events[64];
  struct stat st;
  const char *root;

  if ((mo->data && *mo->data) || (mo->sb_set & ~(unsigned long) MS_RDONLY))
    return NULL;
  if (stat ("/proc/self/ns/cgroup", &st) < 0 || st.st_ino != INIT_CGROUP_NS_INO)
    return NULL;
  root = fallback_source ("cgroup2");
  if (root == NULL)
    return NULL;
  /* only the hierarchy's root cgroup has no cgroup.events */
  snprintf (events, sizeof events, "%s/cgroup.events", root);
  if (access (events, F_OK) == 0 || errno != ENOENT)
    return NULL;
  return root;
}

/* A detached bind of source (the whole tree below it when recursive) with
 * the flags of mo. */
static int
bind_with_attrs (const char *source, bool recursive, const struct mnt_opts *mo,
                 husk_err **err)
{
  int mfd = mnt_clone (AT_FDCWD, source, recursive, err);

  if (mfd >= 0 && mnt_set_attrs (mfd, mo, err) < 0)
    {
      close (mfd);
      return -1;
    }
  return mfd;
}

static int
make_mount (struct rootfs_ctx *ctx, const struct oci_mount *m,
            const struct mnt_opts *mo, husk_err **err)
{
  const char *type, *fallback;
  cleanup_err husk_err *first = NULL;
  int mfd;

  if (mo->bind)
    {
      cleanup_free char *joined = NULL;
      const char *source = m->source;
      if (source == NULL)
        return husk_error (err, 0, "a bind mount needs a source");
      /* Relative sources are relative to the bundle; joined as a string,
       * since a user namespace's root may not be allowed in the bundle. */
      if (source[0] != '/')
        {
          if (asprintf (&joined, "%s/%s", ctx->o->bundle, source) < 0)
            return husk_error (err, ENOMEM, "source");
          source = joined;
        }
      return bind_with_attrs (source, mo->recursive, mo, err);
    }

  type = fs_type (m->type);
  if (strcmp (type, "cgroup2") == 0
      && (fallback = host_cgroup2_root (mo)) != NULL)
    {
      /* private, as a new mount is: a clone keeps the host mount's peers
       * and master; a new mount below, should the bind be refused */
      mfd = bind_with_attrs (fallback, false, mo, NULL);
      if (mfd >= 0 && setattr (mfd, 0, 0, 0, MS_PRIVATE) == 0)
        return mfd;
      if (mfd >= 0)
        close (mfd);
    }
  mfd = mnt_new_fs (type, m->source ? m->source : type, mo, &first);
  if (mfd >= 0 || first->errnum != EPERM
      || (fallback = fallback_source (type)) == NULL)
    {
      if (mfd < 0)
        *err = steal_ptr (&first);
      return mfd;
    }
  return bind_with_attrs (fallback, true, mo, err);
}

/* ---------- destinations ---------- */

/* Inside /proc only what runc allows may be mounted over: procfs itself, and
 * the files that lxcfs replaces. */
static const char *const proc_allowed[] = {
  "/proc",          "/proc/cpuinfo", "/proc/diskstats",
  "/proc/meminfo",  "/proc/stat",    "/proc/swaps",
  "/proc/uptime",   "/proc/loadavg", "/proc/slabinfo",
  "/proc/net/dev",  "/proc/sys/kernel/ns_last_pid",
};

/* dest with "//", "/./" and a trailing "/" removed, "/" in front. */
static char *
clean_path (const char *dest)
{
  char *out = malloc (strlen (dest) + 2), *o = out;

  if (out == NULL)
    return NULL;
  for (const char *p = dest; *p;)
    {
      size_t len;
      while (*p == '/')
        p++;
      len = strcspn (p, "/");
      if (len && !(len == 1 && p[0] == '.'))
        {
          *o++ = '/';
          memcpy (o, p, len);
          o += len;
        }
      p += len;
    }
  if (o == out)
    *o++ = '/';
  *o = '\0';
  return out;
}

static int
check_destination (struct rootfs_ctx *ctx, const struct oci_mount *m,
                   int destfd, int mfd, husk_err **err)
{
  struct stat dst, root;
  struct statfs sfs;
  cleanup_free char *clean = NULL;

  if (fstat (destfd, &dst) < 0 || fstat (ctx->rootfd, &root) < 0)
    return husk_error (err, errno, "stat the destination");
  if (dst.st_dev == root.st_dev && dst.st_ino == root.st_ino)
    return husk_error (err, EINVAL, "the destination is the container's "
                                    "root directory");
  if (fstatfs (destfd, &sfs) < 0)
    return husk_error (err, errno, "statfs the destination");
  if (sfs.f_type != PROC_SUPER_MAGIC)
    return 0;
  if (fstatfs (mfd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC)
    return 0;
  clean = clean_path (m->destination);
  if (clean == NULL)
    return husk_error (err, ENOMEM, "destination");
  for (size_t i = 0; i < sizeof proc_allowed / sizeof *proc_allowed; i++)
    if (strcmp (clean, proc_allowed[i]) == 0)
      return 0;
  return husk_error (err, EPERM, "cannot be mounted inside /proc");
}

static int
open_destination (struct rootfs_ctx *ctx, const struct oci_mount *m, int mfd,
                  husk_err **err)
{
  struct stat st;
  enum fs_kind kind = FS_DIR;

  if (fstat (mfd, &st) < 0)
    return husk_error (err, errno, "stat the mount");
  if (!S_ISDIR (st.st_mode))
    kind = FS_FILE;
  return fs_mkpath_in_root (ctx->rootfd, m->destination, kind,
                            kind == FS_DIR ? 0755 : 0644, err);
}

/* tmpcopyup: fill the detached tmpfs from the directory it will cover. */
static int
copy_up (const struct oci_mount *m, const struct mnt_opts *mo, int destfd,
         int mfd, husk_err **err)
{
  struct stat st;

  if (mo->bind || m->type == NULL || strcmp (m->type, "tmpfs") != 0)
    return husk_error (err, EINVAL, "tmpcopyup is only for tmpfs mounts");
  if (fstat (destfd, &st) < 0)
    return husk_error (err, errno, "stat the destination");
  if (!S_ISDIR (st.st_mode))
    return 0;
  return rootfs_copy_tree (destfd, mfd, err);
}

/* "remount": change the flags (and, for a filesystem, its options) of what
 * is already mounted at the destination. */
static int
remount (struct rootfs_ctx *ctx, const struct oci_mount *m,
         const struct mnt_opts *mo, husk_err **err)
{
  cleanup_close int destfd
      = fs_open_in_root (ctx->rootfd, m->destination, O_PATH, err);
  cleanup_close int fsfd = -1;

  if (destfd < 0)
    return -1;
  if (mnt_set_attrs (destfd, mo, err) < 0)
    return -1;
  if (mo->bind || (mo->sb_set == 0 && (mo->data == NULL || !mo->data[0])))
    return mnt_set_propagation (destfd, mo, err);
  fsfd = fspick (destfd, "", FSPICK_EMPTY_PATH | FSPICK_CLOEXEC);
  if (fsfd < 0)
    return husk_error (err, errno, "fspick");
  if (fs_context_configure (fsfd, mo, err) < 0)
    return -1;
  if (fsconfig (fsfd, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0) < 0)
    return fs_context_fail (err, fsfd, "reconfigure the filesystem");
  return mnt_set_propagation (destfd, mo, err);
}

static int
mount_entry (struct rootfs_ctx *ctx, const struct oci_mount *m,
             husk_err **err)
{
  cleanup_mnt_opts struct mnt_opts mo = { 0 };
  cleanup_close int mfd = -1;
  cleanup_close int destfd = -1;

  if (m->n_uid_mappings || m->n_gid_mappings)
    return husk_error (err, EOPNOTSUPP, "idmapped mounts (uidMappings, "
                                        "gidMappings) are not supported");
  if (mnt_opts_parse (m->options, &mo, err) < 0)
    return -1;
  if (m->type && strcmp (m->type, "bind") == 0)
    mo.bind = true;
  if (!mo.bind && m->type == NULL)
    return husk_error (err, EINVAL, "no type, and not a bind mount");
  if (mo.remount)
    return remount (ctx, m, &mo, err);
  /* A read-only /dev is made so after its nodes are (runc does the same). */
  if (!mo.bind && rootfs_is_dev (m->destination)
      && (mo.attr_set & MOUNT_ATTR_RDONLY))
    {
      mo.attr_set &= ~(uint64_t) MOUNT_ATTR_RDONLY;
      mo.sb_set &= ~(unsigned long) MS_RDONLY;
      ctx->dev_ro = true;
    }

  mfd = make_mount (ctx, m, &mo, err);
  if (mfd < 0)
    return -1;
  destfd = open_destination (ctx, m, mfd, err);
  if (destfd < 0)
    return -1;
  if (check_destination (ctx, m, destfd, mfd, err) < 0)
    return -1;
  if (mo.copyup && copy_up (m, &mo, destfd, mfd, err) < 0)
    return -1;
  if (mnt_attach (mfd, destfd, err) < 0)
    return -1;
  return mnt_set_propagation (mfd, &mo, err);
}

int
rootfs_mount_entry (struct rootfs_ctx *ctx, const struct oci_mount *m,
                    husk_err **err)
{
  if (mount_entry (ctx, m, err) < 0)
    return husk_err_wrap (err, "mount \"%s\" on \"%s\"",
                          m->source ? m->source
                                    : (m->type ? m->type : "none"),
                          m->destination);
  return 0;
}

int
rootfs_do_mounts (struct rootfs_ctx *ctx, husk_err **err)
{
  for (size_t i = 0; i < ctx->c->n_mounts; i++)
    if (rootfs_mount_entry (ctx, &ctx->c->mounts[i], err) < 0)
      return -1;
  return 0;
}
