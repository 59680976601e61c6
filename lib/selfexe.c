/* See selfexe.h. */
#include "selfexe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#ifndef MFD_EXEC /* Linux 6.3: asked for where vm.memfd_noexec is set */
#define MFD_EXEC 0x0010U
#endif

extern char **environ;

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
  if (fcntl (fd, F_ADD_SEALS, SELFEXE_SEALS) < 0)
    return husk_error (err, errno, "seal the memfd");
  return steal_fd (&fd);
}

static int
make_copy (int self, bool memfd_only, husk_err **err)
{
  int fd;

  if (!memfd_only)
    {
      const char *failed;

      fd = selfexe_overlay_fd (&failed);
      if (fd >= 0)
        return fd;
      husk_debug ("no overlayfs for husk's binary (%s: %s): a memfd copy",
                  failed, strerror (-fd));
    }
  fd = memfd_copy (self, err);
  if (fd >= 0 && selfexe_protected_kind (fd) == NULL)
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
  if (selfexe_early_found)
    {
      husk_debug ("husk runs from %s of its binary", selfexe_early_found);
      return 0;
    }
  self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return husk_error (err, errno, "open /proc/self/exe");
  kind = selfexe_protected_kind (self);
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
  return husk_error (err, errno, "re-exec husk from %s", selfexe_protected_kind (copy));
}
