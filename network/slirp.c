/* slirp4netns: outbound access for a network namespace without privilege,
 * as podman gives its rootless containers.  slirp4netns (a program of its
 * own, Debian's package of that name) joins a network namespace and the
 * user namespace that owns it, makes tap0 there with 10.0.2.100/24, gateway
 * 10.0.2.2 and DNS 10.0.2.3, and relays what the namespace sends through
 * sockets it opens in its own network namespace (the caller's): a TCP/IP
 * stack in user space, which needs neither privilege nor a change to the
 * host's network.
 *
 * Options as podman's defaults: --disable-host-loopback (10.0.2.2 does
 * not lead to the host's 127.0.0.1), --enable-sandbox (it keeps only
 * CAP_NET_BIND_SERVICE and sees only the host's /etc and /run) and
 * --enable-seccomp: it parses every packet the namespace sends.
 *
 * The network namespace is handed to it as an inherited fd
 * (--netns-type=path on /proc/self/fd/N): the caller has its fd, where a
 * path under /proc/<pid>/ns would take ptrace rights over a process that
 * may not be dumpable.  It runs in the user namespace that owns it, as
 * podman runs it in its rootless one: unprivileged, slirp4netns's sandbox
 * would otherwise take root there through a /proc/<pid> path only.  Its
 * sockets stay in husk's network namespace, and it is outside the pid
 * namespace of what it serves.
 *
 * It ends when the pipe of its --exit-fd hangs up: husk closes its end, or
 * dies.  PR_SET_PDEATHSIG SIGKILL covers a husk killed before slirp4netns
 * polls that pipe. */
#include "network.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/fs.h"

#define SLIRP "slirp4netns"
/* how long slirp4netns may take to bring tap0 up (a TCG guest is slow) */
#define SLIRP_READY_MS 30000
/* how long it may take to exit once its exit fd hung up, before SIGKILL */
#define SLIRP_STOP_MS 1000

struct husk_slirp
{
  pid_t pid;   /* 0 once reaped */
  int pidfd;
  int exit_fd; /* husk's end of the --exit-fd pipe */
};

int
network_slirp_find (char **path, husk_err **err)
{
  if (fs_find_program (SLIRP, NULL, path) == 0)
    return 0;
  return husk_error (err, 0, SLIRP " not found in PATH (Debian package "
                     SLIRP ")");
}

void
network_slirp_stop (struct husk_slirp *s)
{
  struct pollfd p;

  if (s == NULL)
    return;
  husk_closep (&s->exit_fd);
  p = (struct pollfd){ .fd = s->pidfd, .events = POLLIN };
  /* without a pidfd (pidfd_open failed right after the fork), nothing
   * else has waited for it yet: its pid is still its own */
  if (s->pid > 0 && s->pidfd < 0)
    kill (s->pid, SIGKILL);
  else if (s->pid > 0 && poll (&p, 1, SLIRP_STOP_MS) == 0)
    pidfd_send_signal (s->pidfd, SIGKILL, NULL, 0);
  /* ECHILD: run's wait for the job reaped it (it had died) */
  while (s->pid > 0 && waitpid (s->pid, NULL, 0) < 0 && errno == EINTR)
    ;
  husk_closep (&s->pidfd);
  free (s);
}

static void
slirp_freep (struct husk_slirp **s)
{
  network_slirp_stop (steal_ptr (s));
}

/* The child's fds: 0 and 1 /dev/null (slirp4netns's stdout is chatter),
 * 2 the log, then these, and nothing else of husk's (CVE-2024-21626).
 * All are moved above them first, so that no dup2 clobbers one still to
 * be placed. */
#define FD_READY 3
#define FD_EXIT 4
#define FD_NETNS 5
#define N_FDS 6
#define STR(n) STR_ (n)
#define STR_(n) #n
#define FD_PATH(n) "/proc/self/fd/" STR (n)

static int
place_fds (const int from[N_FDS])
{
  int high[N_FDS];

  for (int i = 0; i < N_FDS; i++)
    if ((high[i] = fcntl (from[i], F_DUPFD, N_FDS)) < 0)
      return -1;
  for (int i = 0; i < N_FDS; i++)
    if (dup2 (high[i], i) < 0)
      return -1;
  return close_range (N_FDS, ~0U, 0);
}

/* EINVAL: it is husk's own (root's job has none of its own) */
static int
join_userns (int fd)
{
  return setns (fd, CLONE_NEWUSER) < 0 && errno != EINVAL ? -1 : 0;
}

static _Noreturn void
slirp_child (const char *path, char *const argv[], const int fds[N_FDS],
             int userns, pid_t parent)
{
  sigset_t none;

  sigemptyset (&none);
  /* husk blocks the signals it forwards; slirp4netns is not to inherit
   * that */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid () != parent
      || join_userns (userns) < 0 || place_fds (fds) < 0
      || sigprocmask (SIG_SETMASK, &none, NULL) < 0)
    _exit (127);
  execv (path, argv);
  dprintf (2, "husk: exec %s: %s\n", path, strerror (errno));
  _exit (127);
}

/* What slirp4netns wrote to stderr (its errors, the cause first), its
 * lines joined with "; ", into out. */
static const char *
log_text (int log_fd, char *out, size_t size)
{
  char buf[512];
  ssize_t n = pread (log_fd, buf, sizeof buf - 1, 0);
  size_t o = 0;

  while (n > 0 && buf[n - 1] == '\n')
    n--;
  for (ssize_t i = 0; i < n && o + 3 < size; i++)
    if (buf[i] != '\n')
      out[o++] = buf[i];
    else
      {
        out[o++] = ';';
        out[o++] = ' ';
      }
  out[o] = '\0';
  return out;
}

/* slirp4netns hung up without saying tap0 was up: it is exiting (killed
 * in case it is not); its status and why. */
static int
died (struct husk_slirp *s, int log_fd, husk_err **err)
{
  char buf[600];
  int status = 0;

  pidfd_send_signal (s->pidfd, SIGKILL, NULL, 0);
  while (waitpid (s->pid, &status, 0) < 0 && errno == EINTR)
    ;
  s->pid = 0;
  if (WIFSIGNALED (status))
    return husk_error (err, 0, SLIRP " was killed by signal %d before tap0 "
                       "was up: %s", WTERMSIG (status),
                       log_text (log_fd, buf, sizeof buf));
  return husk_error (err, 0, SLIRP " exited with status %d before tap0 was "
                     "up: %s", WEXITSTATUS (status),
                     log_text (log_fd, buf, sizeof buf));
}

/* slirp4netns writes "1" to its --ready-fd once tap0 is configured. */
static int
await_ready (struct husk_slirp *s, int ready_fd, int log_fd, husk_err **err)
{
  struct pollfd p = { .fd = ready_fd, .events = POLLIN };
  char c = 0;
  int r;

  do
    r = poll (&p, 1, SLIRP_READY_MS);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return husk_error (err, errno, "poll");
  if (r == 0)
    return husk_error (err, 0, SLIRP " did not bring tap0 up within %d s",
                       SLIRP_READY_MS / 1000);
  if (read (ready_fd, &c, 1) != 1 || c != '1')
    return died (s, log_fd, err);
  return 0;
}

static int
pipe_pair (int *r, int *w, husk_err **err)
{
  int fds[2];

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return husk_error (err, errno, "pipe");
  *r = fds[0];
  *w = fds[1];
  return 0;
}

int
network_slirp_start (const char *path, int netns_fd, int log_fd,
                     struct husk_slirp **out, husk_err **err)
{
  __attribute__ ((cleanup (slirp_freep))) struct husk_slirp *s = NULL;
  cleanup_close int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  cleanup_close int userns = ioctl (netns_fd, NS_GET_USERNS);
  cleanup_close int ready_r = -1, ready_w = -1, exit_r = -1;
  char *argv[] = { SLIRP, "--configure", "--mtu=65520",
                   "--disable-host-loopback", "--enable-sandbox",
                   "--enable-seccomp", "--ready-fd=" STR (FD_READY),
                   "--exit-fd=" STR (FD_EXIT), "--netns-type=path",
                   FD_PATH (FD_NETNS), "tap0", NULL };
  pid_t parent = getpid ();

  if ((s = calloc (1, sizeof *s)) == NULL)
    return husk_error (err, ENOMEM, SLIRP);
  s->pidfd = s->exit_fd = -1;
  if (null < 0)
    return husk_error (err, errno, "open /dev/null");
  if (userns < 0)
    return husk_error (err, errno, "the user namespace of the network "
                       "namespace");
  if (pipe_pair (&ready_r, &ready_w, err) < 0
      || pipe_pair (&exit_r, &s->exit_fd, err) < 0)
    return -1;
  s->pid = fork ();
  if (s->pid == 0)
    slirp_child (path, argv,
                 (const int[N_FDS]){ null, null, log_fd, ready_w, exit_r,
                                     netns_fd },
                 userns, parent);
  if (s->pid < 0)
    {
      s->pid = 0;
      return husk_error (err, errno, "fork");
    }
  if ((s->pidfd = pidfd_open (s->pid, 0)) < 0)
    return husk_error (err, errno, "pidfd_open");
  /* its ends only: the ready pipe reads EOF once it is gone */
  husk_closep (&ready_w);
  husk_closep (&exit_r);
  if (await_ready (s, ready_r, log_fd, err) < 0)
    return -1;
  *out = steal_ptr (&s);
  return 0;
}
