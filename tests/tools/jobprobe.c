/* Escape attempts for tests/job.bats, built static so that it runs in any
 * rootfs.  Each prints what happened and exits 0 when the attempt FAILED
 * (the job is contained), 1 when it worked.
 *   jobprobe ids           setuid(0) after exec (of a setuid-root copy)
 *   jobprobe ptrace PID    PTRACE_ATTACH
 *   jobprobe kexec         kexec_load
 *   jobprobe userns        unshare(CLONE_NEWUSER) */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

static int
verdict (const char *what, long r)
{
  if (r < 0)
    {
      printf ("%s: failed: %s\n", what, strerror (errno));
      return 0;
    }
  printf ("%s: worked\n", what);
  return 1;
}

int
main (int argc, char **argv)
{
  if (argc == 2 && strcmp (argv[1], "ids") == 0)
    {
      printf ("uid=%d euid=%d\n", (int) getuid (), (int) geteuid ());
      return verdict ("setuid(0)", setuid (0)) || geteuid () == 0;
    }
  if (argc == 3 && strcmp (argv[1], "ptrace") == 0)
    return verdict ("ptrace", ptrace (PTRACE_ATTACH, atoi (argv[2]), 0, 0));
  if (argc == 2 && strcmp (argv[1], "kexec") == 0)
    return verdict ("kexec_load", syscall (SYS_kexec_load, 0, 0, NULL, 0));
  if (argc == 2 && strcmp (argv[1], "userns") == 0)
    return verdict ("unshare(CLONE_NEWUSER)", unshare (CLONE_NEWUSER));
  fprintf (stderr, "usage: jobprobe ids|ptrace PID|kexec|userns\n");
  return 2;
}
