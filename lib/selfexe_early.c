/* The half of selfexe that can run before libc has started (see
 * selfexe.h): the protected-copy check, the overlayfs copy, and husk's ELF
 * entry point, which re-execs from that copy before libc starts.
 *
 * Why before: every exec of a static glibc program pays libc's start-up
 * (its relocations, TLS, the libraries' constructors) in page faults, and on
 * a virtualised host a fault costs 20-50 us: that start-up is more than
 * half of an exec here (bench/README.md).  The image that only re-execs has
 * no use for it.
 *
 * So nothing here may need what that start-up makes: no libc call (on
 * x86_64 the system calls are made directly), no TLS (so no errno and no
 * stack protector), no data with pointers to relocate, no sanitizer; the
 * Makefile builds this file freestanding, and scripts/check-early.sh checks
 * its object for all of that. */
#include "selfexe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define HAVE_EARLY_ENTRY 1

/* -errno on failure, as the kernel returns it */
static inline long
sys5 (long nr, long a, long b, long c, long d, long e)
{
  register long r10 __asm__ ("r10") = d;
  register long r8 __asm__ ("r8") = e;
  long ret;

  __asm__ volatile ("syscall"
                    : "=a" (ret)
                    : "a" (nr), "D" (a), "S" (b), "d" (c), "r" (r10), "r" (r8)
                    : "rcx", "r11", "memory");
  return ret;
}
#else
/* No early entry elsewhere: these run after libc's start-up. */
#include <unistd.h>

static inline long
sys5 (long nr, long a, long b, long c, long d, long e)
{
  long ret = syscall (nr, a, b, c, d, e);
  return ret < 0 ? -errno : ret;
}
#endif

#define sys1(nr, a) sys5 (nr, (long) (a), 0, 0, 0, 0)
#define sys2(nr, a, b) sys5 (nr, (long) (a), (long) (b), 0, 0, 0)
#define sys3(nr, a, b, c) sys5 (nr, (long) (a), (long) (b), (long) (c), 0, 0)
#define sys4(nr, a, b, c, d) \
  sys5 (nr, (long) (a), (long) (b), (long) (c), (long) (d), 0)

static bool
same (const char *a, const char *b)
{
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}

bool
selfexe_wanted_by (const char *command)
{
  for (const char *c = SELFEXE_COMMANDS; *c; )
    {
      if (same (c, command))
        return true;
      while (*c++)
        ;
    }
  return false;
}

/* A memfd with our seals, or a file of a read-only overlayfs (a lower-only
 * overlayfs is read-only whatever its mount flags: it has no upper layer to
 * write to). */
const char *
selfexe_protected_kind (int fd)
{
  struct statfs sfs;
  long seals = sys2 (SYS_fcntl, fd, F_GET_SEALS);

  if (seals >= 0 && (seals & SELFEXE_SEALS) == SELFEXE_SEALS)
    return "a sealed memfd copy";
  if (sys2 (SYS_fstatfs, fd, &sfs) == 0
      && sfs.f_type == OVERLAYFS_SUPER_MAGIC && (sfs.f_flags & ST_RDONLY))
    return "a read-only overlayfs";
  return NULL;
}

static long
failed_at (const char **failed, const char *step, long ret)
{
  *failed = step;
  return ret;
}

/* "DIR:/dev" for overlayfs, which splits lowerdir at ':' (and the pre-6.5
 * option string at ','), with '\' as the escape; out holds 2 * len + 5. */
static void
lowerdir_option (const char *dir, size_t len, char *out)
{
  for (size_t i = 0; i < len; i++)
    {
      if (dir[i] == ':' || dir[i] == ',' || dir[i] == '\\')
        *out++ = '\\';
      *out++ = dir[i];
    }
  for (const char *s = ":/dev"; (*out++ = *s); s++)
    ;
}

/* The binary's path from /proc/self/exe into path (PATH_MAX); returns the
 * offset of its last '/', or -errno. */
static long
own_path (char *path)
{
  static const char deleted[] = " (deleted)";
  long n = sys4 (SYS_readlinkat, AT_FDCWD, "/proc/self/exe", path,
                 PATH_MAX - 1);
  long slash = -1;

  if (n < 0)
    return n;
  path[n] = '\0';
  for (long i = 0; i < n; i++)
    if (path[i] == '/')
      slash = i;
  if (path[0] != '/' || slash <= 0
      || (n >= (long) sizeof deleted - 1
          && same (path + n - (sizeof deleted - 1), deleted)))
    return -EINVAL;
  return slash;
}

static long
overlay_configure (long fsfd, const char *path, long slash,
                   const char **failed)
{
  char lower[2 * PATH_MAX + sizeof ":/dev"];
  long ret;

  lowerdir_option (path, (size_t) slash, lower);
  ret = sys5 (SYS_fsconfig, fsfd, FSCONFIG_SET_STRING, (long) "lowerdir",
              (long) lower, 0);
  if (ret < 0)
    return failed_at (failed, "overlayfs lowerdir", ret);
  /* only to spare dmesg a line when the layers' filesystems differ */
  sys5 (SYS_fsconfig, fsfd, FSCONFIG_SET_STRING, (long) "xino", (long) "off",
        0);
  ret = sys5 (SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, 0, 0, 0);
  if (ret < 0)
    return failed_at (failed, "overlayfs on the binary's directory", ret);
  return 0;
}

/* The binary's directory as the top layer of an overlayfs that is never
 * attached to any mount tree (it goes away with the last process running
 * from it).  overlayfs wants two lower layers to run without an upper one,
 * and refuses layers of one filesystem where one holds the other: /dev, a
 * devtmpfs, is the second, never looked at.  Returns the mount's fd. */
static long
overlay_mount (const char *path, long slash, const char **failed)
{
  long fsfd = sys2 (SYS_fsopen, "overlay", FSOPEN_CLOEXEC), ret;

  if (fsfd < 0)
    return failed_at (failed, "fsopen overlay", fsfd);
  ret = overlay_configure (fsfd, path, slash, failed);
  if (ret == 0)
    {
      ret = sys3 (SYS_fsmount, fsfd, FSMOUNT_CLOEXEC,
                  MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
      if (ret < 0)
        failed_at (failed, "fsmount overlayfs", ret);
    }
  sys1 (SYS_close, fsfd);
  return ret;
}

int
selfexe_overlay_fd (const char **failed)
{
  char path[PATH_MAX];
  long slash = own_path (path), mfd, fd;

  if (slash < 0)
    return (int) failed_at (failed, "/proc/self/exe: not a directory's binary",
                            slash);
  mfd = overlay_mount (path, slash, failed);
  if (mfd < 0)
    return (int) mfd;
  fd = sys4 (SYS_openat, mfd, path + slash + 1,
             O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
  sys1 (SYS_close, mfd);
  if (fd < 0)
    return (int) failed_at (failed, "open the binary in the overlayfs", fd);
  if (selfexe_protected_kind ((int) fd) == NULL)
    {
      sys1 (SYS_close, fd);
      return (int) failed_at (failed, "not a read-only overlayfs", -EROFS);
    }
  return (int) fd;
}

/* What the entry point found protecting the binary (NULL: it did not look
 * or found nothing), so that main's selfexe_protect need not look again.
 * Written before libc's start-up: a pointer computed at run time, in .bss,
 * which that start-up leaves alone. */
const char *selfexe_early_found;

#ifdef HAVE_EARLY_ENTRY

static bool
names_an_entering_command (char **argv)
{
  for (char **a = argv + 1; *a; a++)
    if (selfexe_wanted_by (*a))
      return true;
  return false;
}

/* HUSK_EXE_COPY set: main's selfexe_protect does what it asks (or says
 * why not). */
static bool
copy_method_asked (char **envp)
{
  static const char name[] = "HUSK_EXE_COPY=";

  for (char **e = envp; *e; e++)
    {
      size_t i = 0;
      while (name[i] && (*e)[i] == name[i])
        i++;
      if (name[i] == '\0')
        return (*e)[i] != '\0';
    }
  return false;
}

/* Called by husk_entry with the initial stack (argc, argv, NULL, envp,
 * NULL, auxv); returns to libc's start unless it re-execs.  Whatever fails
 * here is left to main's selfexe_protect, which tries again and says why
 * when it cannot. */
__attribute__ ((visibility ("hidden"), used)) void
selfexe_early (long *sp)
{
  char **argv = (char **) (sp + 1), **envp = argv + sp[0] + 1;
  const char *failed;
  long self, fd;

  if (!names_an_entering_command (argv) || copy_method_asked (envp))
    return;
  self = sys2 (SYS_open, "/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return;
  selfexe_early_found = selfexe_protected_kind ((int) self);
  sys1 (SYS_close, self);
  if (selfexe_early_found != NULL)
    return;
  fd = selfexe_overlay_fd (&failed);
  if (fd < 0)
    return;
  sys5 (SYS_execveat, fd, (long) "", (long) argv, (long) envp, AT_EMPTY_PATH);
  sys1 (SYS_close, fd);
}

/* The ELF entry point (the Makefile links with -e husk_entry): the stack
 * and %rdx (the dynamic loader's finaliser, 0 in a static binary) are
 * handed to libc's _start as the kernel or the loader left them. */
__asm__ (".pushsection .text\n"
         ".globl husk_entry\n"
         ".type husk_entry, @function\n"
         "husk_entry:\n"
         "  endbr64\n"
         "  .cfi_startproc\n"
         "  .cfi_undefined rip\n"
         "  mov %rsp, %rbx\n"
         "  mov %rdx, %r12\n"
         "  mov %rsp, %rdi\n"
         "  and $-16, %rsp\n"
         "  call selfexe_early\n"
         "  mov %rbx, %rsp\n"
         "  mov %r12, %rdx\n"
         "  jmp _start\n"
         "  .cfi_endproc\n"
         ".size husk_entry, . - husk_entry\n"
         ".popsection\n");

#endif
