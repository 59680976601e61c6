/* See selfexe.h. */
#include "selfexe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#ifndef MFD_EXEC /* Linux 6.3: asked for where vm.memfd_noexec is set */
#define MFD_EXEC 0x0010U
#endif

#define COPY_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

/* fd (of /proc/self/exe or of a copy just made) is one of the two
 * protected kinds: a memfd with our seals, or a file of a read-only
 * overlayfs (a lower-only overlayfs is read-only whatever its mount flags:
 * it has no upper layer to write to). */
static const char *
protected_kind (int fd)
{
  struct statfs sfs;
  int seals = fcntl (fd, F_GET_SEALS);

  if (seals >= 0 && (seals & COPY_SEALS) == COPY_SEALS)
    return "a sealed memfd copy";
  if (fstatfs (fd, &sfs) == 0 && sfs.f_type == OVERLAYFS_SUPER_MAGIC
      && (sfs.f_flags & ST_RDONLY))
    return "a read-only overlayfs";
  return NULL;
}

/* "DIR:/dev" for overlayfs, which splits lowerdir at ':' (and the pre-6.5
 * option string at ','), with '\' as the escape. */
static char *
lowerdir_option (const char *dir)
{
  char *out = malloc (2 * strlen (dir) + sizeof ":/dev"), *o = out;

  if (out == NULL)
    return NULL;
  for (; *dir; dir++)
    {
      if (*dir == ':' || *dir == ',' || *dir == '\\')
        *o++ = '\\';
      *o++ = *dir;
    }
  strcpy (o, ":/dev");
  return out;
}

/* The binary's directory as the top layer of an overlayfs that is never
 * attached to any mount tree (it goes away with the last process running
 * from it).  overlayfs wants two lower layers to run without an upper one,
 * and refuses layers of one filesystem where one holds the other: /dev, a
 * devtmpfs, is the second, never looked at.  Returns an O_PATH fd of the
 * binary in it. */
static int
overlay_copy (husk_err **err)
{
  char path[PATH_MAX];
  cleanup_free char *lower = NULL, *dir = NULL;
  cleanup_close int fsfd = -1, mfd = -1;
  ssize_t n = readlink ("/proc/self/exe", path, sizeof path - 1);
  const char *base;
  int fd;

  if (n < 0)
    return husk_error (err, errno, "readlink /proc/self/exe");
  path[n] = '\0';
  base = strrchr (path, '/');
  if (path[0] != '/' || base == path || strstr (path, " (deleted)"))
    return husk_error (err, EINVAL, "\"%s\" is not a directory's binary", path);
  dir = strndup (path, (size_t) (base - path));
  if (dir == NULL || (lower = lowerdir_option (dir)) == NULL)
    return husk_error (err, ENOMEM, "overlayfs");
  fsfd = fsopen ("overlay", FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return husk_error (err, errno, "fsopen overlay");
  if (fsconfig (fsfd, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0)
    return husk_error (err, errno, "overlayfs lowerdir %s", lower);
  /* only to spare dmesg a line when the layers' filesystems differ */
  fsconfig (fsfd, FSCONFIG_SET_STRING, "xino", "off", 0);
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return husk_error (err, errno, "overlayfs on %s", dir);
  mfd = fsmount (fsfd, FSMOUNT_CLOEXEC,
                 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
  if (mfd < 0)
    return husk_error (err, errno, "fsmount overlayfs");
  fd = openat (mfd, base + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return husk_error (err, errno, "open %s in the overlayfs", base + 1);
  return fd;
}

static int
memfd_copy (int self, husk_err **err)
{
  cleanup_close int fd = -1;
  struct stat st;
  off_t off = 0;

  if (fstat (self, &st) < 0)
    return husk_error (err, errno, "stat /proc/self/exe");
  fd = memfd_create ("husk", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create ("husk", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return husk_error (err, errno, "memfd_create");
  while (off < st.st_size)
    {
      ssize_t n = sendfile (fd, self, &off, (size_t) (st.st_size - off));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return husk_error (err, n < 0 ? errno : EIO, "copy /proc/self/exe");
    }
  if (fcntl (fd, F_ADD_SEALS, COPY_SEALS) < 0)
    return husk_error (err, errno, "seal the memfd");
  return steal_fd (&fd);
}

static int
make_copy (int self, bool memfd_only, husk_err **err)
{
  cleanup_err husk_err *why = NULL;
  int fd = -1;

  if (!memfd_only)
    {
      fd = overlay_copy (&why);
      if (fd >= 0 && protected_kind (fd) == NULL)
        {
          close (fd);
          fd = husk_error (&why, 0, "not a read-only overlayfs");
        }
      if (fd >= 0)
        return fd;
      husk_debug ("no overlayfs for husk's binary (%s): a memfd copy",
                  why->msg);
    }
  fd = memfd_copy (self, err);
  if (fd >= 0 && protected_kind (fd) == NULL)
    {
      close (fd);
      return husk_error (err, 0, "the memfd copy is not sealed");
    }
  return fd;
}

int
selfexe_protect (char **argv, husk_err **err)
{
  const char *method = getenv ("HUSK_EXE_COPY"), *kind;
  cleanup_close int self = -1, copy = -1;

  if (method && *method && strcmp (method, "memfd") != 0)
    return husk_error (err, 0, "HUSK_EXE_COPY: expected memfd or nothing, "
                       "got \"%s\"", method);
  self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return husk_error (err, errno, "open /proc/self/exe");
  kind = protected_kind (self);
  if (kind)
    {
      husk_debug ("husk runs from %s of its binary", kind);
      return 0;
    }
  copy = make_copy (self, method && *method, err);
  if (copy < 0)
    return husk_err_wrap (err, "protect husk's binary from the container "
                          "(CVE-2019-5736)");
  execveat (copy, "", argv, environ, AT_EMPTY_PATH);
  return husk_error (err, errno, "re-exec husk from %s", protected_kind (copy));
}
