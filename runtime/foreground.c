/* A process in the foreground (run, exec without --detach): husk forwards
 * the signals it gets to the process, proxies its pty when it has one and
 * no console socket, and returns its exit status (128+N for signal N). */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"

void
rt_forwarded_signals (sigset_t *s)
{
  sigfillset (s);
  sigdelset (s, SIGKILL);
  sigdelset (s, SIGSTOP);
  /* faults are husk's own */
  sigdelset (s, SIGSEGV);
  sigdelset (s, SIGBUS);
  sigdelset (s, SIGILL);
  sigdelset (s, SIGFPE);
  sigdelset (s, SIGABRT);
  sigdelset (s, SIGTRAP);
  sigdelset (s, SIGSYS);
}

int
rt_exit_status (int wstatus)
{
  return WIFSIGNALED (wstatus) ? 128 + WTERMSIG (wstatus)
                               : WEXITSTATUS (wstatus);
}

/* Returns 1 once pid has exited. */
static int
handle_signal (pid_t pid, struct rt_proxy *px, int sfd, int *wstatus)
{
  struct signalfd_siginfo si;
  int status;
  pid_t p;

  if (read (sfd, &si, sizeof si) != sizeof si)
    return 0;
  if (si.ssi_signo == SIGCHLD)
    {
      while ((p = waitpid (-1, &status, WNOHANG)) > 0)
        if (p == pid)
          {
            *wstatus = status;
            return 1;
          }
      return 0;
    }
  if (si.ssi_signo == SIGWINCH && px)
    rt_proxy_resize (px);
  else
    kill (pid, (int) si.ssi_signo);
  return 0;
}

/* The poll timeout until the next tick is due (-1: no tick). */
static int
until_tick (const struct rt_fg_tick *tick, struct timespec *next)
{
  struct timespec now;
  int64_t ms;

  if (tick == NULL || tick->period_ms == 0)
    return -1;
  clock_gettime (CLOCK_MONOTONIC, &now);
  ms = (next->tv_sec - now.tv_sec) * 1000
       + (next->tv_nsec - now.tv_nsec) / 1000000;
  if (ms > 0)
    return (int) ms;
  tick->fn (tick->arg);
  if (tick->period_ms == 0)
    return -1;
  *next = now;
  next->tv_nsec += (long) (tick->period_ms % 1000) * 1000000;
  next->tv_sec += tick->period_ms / 1000 + next->tv_nsec / 1000000000;
  next->tv_nsec %= 1000000000;
  return (int) tick->period_ms;
}

int
rt_foreground (pid_t pid, int master, const sigset_t *fwd,
               const struct rt_fg_tick *tick, int *wstatus, husk_err **err)
{
  cleanup_close int sfd = signalfd (-1, fwd, SFD_CLOEXEC);
  struct rt_proxy px;
  struct timespec next_tick = { 0, 0 };
  bool proxy = master >= 0, done = false;

  if (sfd < 0)
    return husk_error (err, errno, "signalfd");
  if (proxy && rt_proxy_start (&px, master, err) < 0)
    return -1;
  while (!done)
    {
      struct pollfd p[3] = {
        { .fd = sfd, .events = POLLIN },
        { .fd = proxy ? master : -1, .events = POLLIN },
        { .fd = proxy && px.stdin_open ? 0 : -1, .events = POLLIN },
      };
      if (poll (p, 3, until_tick (tick, &next_tick)) < 0)
        {
          if (errno == EINTR)
            continue;
          husk_error (err, errno, "poll");
          break;
        }
      if (p[0].revents & POLLIN)
        done = handle_signal (pid, master >= 0 ? &px : NULL, sfd,
                              wstatus) == 1;
      if (proxy && (p[1].revents || p[2].revents)
          && rt_proxy_pump (&px, p[1].revents, p[2].revents) == 0)
        proxy = false;
    }
  if (master >= 0)
    {
      if (proxy)
        rt_proxy_drain (&px);
      rt_proxy_end (&px);
    }
  return done ? 0 : -1;
}
