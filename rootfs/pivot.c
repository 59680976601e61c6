/* The root: propagation of "/", the rootfs bound onto itself, and the move
 * into it (pivot_root, or move + chroot with --no-pivot), as runc does. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/fs.h"
#include "internal.h"

/* ---------- /proc/self/mountinfo ---------- */

struct mountinfo {
  char *root, *mountpoint, *fstype;
  bool shared;
};

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void
unescape (char *s)
{
  char *o = s;
  for (; *s; s++)
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0'
        && s[2] <= '7' && s[3] >= '0' && s[3] <= '7')
      {
        *o++ = (char) (((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
        s += 3;
      }
    else
      *o++ = *s;
  *o = '\0';
}

/* Splits one line; false when it is not a mountinfo line. */
static bool
parse_mountinfo_line (char *line, struct mountinfo *mi)
{
  char *field[6], *save = NULL, *tok;
  size_t n = 0;

  memset (mi, 0, sizeof *mi);
  for (tok = strtok_r (line, " ", &save); tok && n < 6;
       tok = strtok_r (NULL, " ", &save))
    field[n++] = tok;
  if (n < 6)
    return false;
  /* 0 id, 1 parent, 2 dev, 3 root, 4 mountpoint, 5 options, optional
   * fields up to "-", then fstype. */
  for (; tok && strcmp (tok, "-") != 0; tok = strtok_r (NULL, " ", &save))
    if (strncmp (tok, "shared:", 7) == 0)
      mi->shared = true;
  if (tok == NULL || (mi->fstype = strtok_r (NULL, " ", &save)) == NULL)
    return false;
  mi->root = field[3];
  mi->mountpoint = field[4];
  unescape (mi->root);
  unescape (mi->mountpoint);
  return true;
}

static int
read_mountinfo (char **buf, husk_err **err)
{
  return fs_read_file_at (AT_FDCWD, "/proc/self/mountinfo", 64u << 20, buf,
                          NULL, err);
}

static bool
is_under (const char *path, const char *dir)
{
  size_t n = strlen (dir);
  if (strcmp (dir, "/") == 0)
    return true;
  return strncmp (path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* ---------- before: propagation and the rootfs mount ---------- */

static int
root_propagation (const struct oci_config *c, struct mnt_propagation *p,
                  husk_err **err)
{
  const char *name = c->linux_ ? c->linux_->rootfs_propagation : NULL;

  if (name == NULL)
    return 0;
  if (!mnt_propagation_parse (name, p))
    return husk_error (err, EINVAL, "linux.rootfsPropagation: unknown value "
                                    "\"%s\"", name);
  return 1;
}

/* pivot_root refuses a new root whose parent mount is shared, and a shared
 * parent would carry the rootfs bind to its peers (runc does the same). */
static int
make_parent_private (const char *root, husk_err **err)
{
  cleanup_free char *buf = NULL;
  cleanup_free char *best = NULL;
  bool shared = false;
  char *save = NULL;

  if (read_mountinfo (&buf, err) < 0)
    return -1;
  for (char *line = strtok_r (buf, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    {
      struct mountinfo mi;
      if (!parse_mountinfo_line (line, &mi) || !is_under (root, mi.mountpoint)
          || (best && strlen (best) > strlen (mi.mountpoint)))
        continue;
      free (best);
      best = strdup (mi.mountpoint);
      if (best == NULL)
        return husk_error (err, ENOMEM, "mountinfo");
      shared = mi.shared;
    }
  if (best && shared && mount (NULL, best, NULL, MS_PRIVATE, NULL) < 0)
    return husk_error (err, errno, "make \"%s\" private", best);
  return 0;
}

int
rootfs_prepare_root (struct rootfs_ctx *ctx, husk_err **err)
{
  struct mnt_propagation p = { MS_SLAVE, true };
  cleanup_close int tree = -1;

  if (root_propagation (ctx->c, &p, err) < 0)
    return -1;
  /* An unbindable "/" could not give the rootfs bind: that one is only
   * applied at the end (runc fails here). */
  if (p.type == MS_UNBINDABLE)
    p = (struct mnt_propagation){ MS_SLAVE, true };
  if (mount (NULL, "/", NULL, p.type | (p.recursive ? MS_REC : 0), NULL) < 0)
    return husk_error (err, errno, "set the propagation of \"/\"");
  /* after a recursive slave or private no mount is shared any more: the
   * mount table (thousands of lines on a busy host) need not be read */
  if ((!(p.recursive && p.type != MS_SHARED)
       && make_parent_private (ctx->root_path, err) < 0)
      || (ctx->o->overlay && rootfs_overlay_mount (ctx, err) < 0))
    return -1;
  tree = mnt_clone (AT_FDCWD, ctx->root_path, true, err);
  if (tree < 0
      || move_mount (tree, "", AT_FDCWD, ctx->root_path,
                     MOVE_MOUNT_F_EMPTY_PATH)
             < 0)
    return husk_error (err, errno, "bind the rootfs \"%s\" onto itself",
                       ctx->root_path);
  ctx->rootfd = steal_fd (&tree);
  return 0;
}

/* ---------- the move ---------- */

static int
pivot (husk_err **err)
{
  cleanup_close int oldroot
      = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);

  if (oldroot < 0)
    return husk_error (err, errno, "open the old root");
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return husk_error (err, errno, "pivot_root");
  /* The old root is now stacked on "."; go to it explicitly rather than
   * trust where the kernel leaves the cwd. */
  if (fchdir (oldroot) < 0)
    return husk_error (err, errno, "fchdir to the old root");
  /* Slave, so that the unmount does not reach the host. */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return husk_error (err, errno, "make the old root rslave");
  if (umount2 (".", MNT_DETACH) < 0)
    return husk_error (err, errno, "unmount the old root");
  return 0;
}

/* Without pivot_root the host's mounts stay reachable under the chroot:
 * full procfs and sysfs mounts of the host are taken away first (or covered
 * where they cannot be), as runc's msMoveRoot does. */
static int
hide_host_proc_sys (const char *root, husk_err **err)
{
  cleanup_free char *buf = NULL;
  char *save = NULL;

  if (read_mountinfo (&buf, err) < 0)
    return -1;
  for (char *line = strtok_r (buf, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    {
      struct mountinfo mi;
      const char *mp;
      if (!parse_mountinfo_line (line, &mi) || strcmp (mi.root, "/") != 0
          || (strcmp (mi.fstype, "proc") != 0
              && strcmp (mi.fstype, "sysfs") != 0)
          || is_under (mi.mountpoint, root))
        continue;
      mp = mi.mountpoint;
      if (mount (NULL, mp, NULL, MS_SLAVE | MS_REC, NULL) < 0)
        {
          if (errno == ENOENT)
            continue; /* under something already unmounted */
          return husk_error (err, errno, "make \"%s\" rslave", mp);
        }
      if (umount2 (mp, MNT_DETACH) == 0)
        continue;
      if (errno != EINVAL && errno != EPERM)
        return husk_error (err, errno, "unmount \"%s\"", mp);
      if (mount ("tmpfs", mp, "tmpfs", 0, NULL) < 0)
        return husk_error (err, errno, "cover \"%s\"", mp);
    }
  return 0;
}

static int
move_root (struct rootfs_ctx *ctx, husk_err **err)
{
  if (hide_host_proc_sys (ctx->root_path, err) < 0)
    return -1;
  if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
    return husk_error (err, errno, "move the rootfs onto \"/\"");
  if (chroot (".") < 0)
    return husk_error (err, errno, "chroot");
  return 0;
}

int
rootfs_enter (struct rootfs_ctx *ctx, husk_err **err)
{
  if (fchdir (ctx->rootfd) < 0)
    return husk_error (err, errno, "chdir into the rootfs");
  if ((ctx->o->no_pivot ? move_root (ctx, err) : pivot (err)) < 0)
    return husk_err_wrap (err, "enter the rootfs \"%s\"", ctx->root_path);
  if (chdir ("/") < 0)
    return husk_error (err, errno, "chdir \"/\"");
  return 0;
}

int
rootfs_apply_propagation (struct rootfs_ctx *ctx, husk_err **err)
{
  struct mnt_propagation p;
  int r = root_propagation (ctx->c, &p, err);

  if (r <= 0)
    return r;
  if (mount (NULL, "/", NULL, p.type | (p.recursive ? MS_REC : 0), NULL) < 0)
    return husk_error (err, errno, "apply linux.rootfsPropagation \"%s\"",
                       ctx->c->linux_->rootfs_propagation);
  return 0;
}
