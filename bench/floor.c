/* floor: the part of starting a container that no runtime can avoid.
 *
 *   floor NAMESPACES ROOTFS PROG [ARG...]
 *
 * NAMESPACES is the config's list (comma-separated OCI names: pid, network,
 * ipc, uts, mount, cgroup, time).  floor clones a child into new namespaces
 * of those kinds, which makes the mounts private, bind-mounts ROOTFS onto
 * itself, pivot_roots into it, detaches the old root and execs PROG; the
 * parent waits for it and exits with its status.  Nothing else: no config
 * parsing, no state, no /proc or /dev, no cgroup, no sync with a parent. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static unsigned long ns_flag (const char *name)
{
  static const struct { const char *name; unsigned long flag; } kinds[] = {
    { "pid", CLONE_NEWPID },     { "network", CLONE_NEWNET },
    { "ipc", CLONE_NEWIPC },     { "uts", CLONE_NEWUTS },
    { "mount", CLONE_NEWNS },    { "cgroup", CLONE_NEWCGROUP },
    { "time", CLONE_NEWTIME },
  };
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp (kinds[i].name, name) == 0)
      return kinds[i].flag;
  fprintf (stderr, "floor: unsupported namespace %s\n", name);
  exit (2);
}

static void fail (const char *what)
{
  fprintf (stderr, "floor: %s: %s\n", what, strerror (errno));
  _exit (127);
}

static void enter_rootfs (const char *rootfs)
{
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    fail ("make / private");
  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    fail ("bind the rootfs");
  if (chdir (rootfs) < 0)
    fail ("chdir to the rootfs");
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    fail ("pivot_root");
  if (umount2 (".", MNT_DETACH) < 0)
    fail ("detach the old root");
  if (chdir ("/") < 0)
    fail ("chdir /");
}

int main (int argc, char **argv)
{
  unsigned long flags = 0;
  int st;

  if (argc < 4)
    {
      fprintf (stderr, "usage: floor NAMESPACES ROOTFS PROG [ARG...]\n");
      return 2;
    }
  for (char *list = argv[1], *name; (name = strsep (&list, ","));)
    if (*name)
      flags |= ns_flag (name);

  /* A fork-like raw clone: the child only makes syscalls and execs. */
  pid_t pid = (pid_t) syscall (SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0)
    {
      perror ("floor: clone");
      return 127;
    }
  if (pid == 0)
    {
      if (flags & CLONE_NEWNS)
        enter_rootfs (argv[2]);
      else if (chroot (argv[2]) < 0 || chdir ("/") < 0)
        fail ("chroot");
      execv (argv[3], argv + 3);
      fail (argv[3]);
    }
  if (waitpid (pid, &st, 0) < 0)
    {
      perror ("floor: waitpid");
      return 127;
    }
  if (WIFSIGNALED (st))
    return 128 + WTERMSIG (st);
  return WEXITSTATUS (st);
}
