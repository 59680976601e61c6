/* OCI hooks: each hook is exec'd with the state document on stdin, its
 * args and env exactly as given, and killed when its timeout passes. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/fs.h"
#include "../lib/log.h"

static _Noreturn void
hook_child (const struct oci_hook *h, int stdin_fd, int errpipe)
{
  char *default_argv[] = { h->path, NULL };
  char *empty_env[] = { NULL };
  int e;

  /* the hook gets its stdin and husk's stdout and stderr, nothing more */
  if (dup2 (stdin_fd, 0) < 0
      || close_range (3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    e = errno;
  else
    {
      execve (h->path, h->args ? h->args : default_argv,
              h->env ? h->env : empty_env);
      e = errno;
    }
  if (write (errpipe, &e, sizeof e) < 0)
    _exit (127);
  _exit (127);
}

/* Waits for the hook, SIGKILLing it when the timeout (seconds, 0: none)
 * passes.  Returns 0 with *status, or 1 when it timed out. */
static int
wait_hook (pid_t pid, int timeout, int *status, husk_err **err)
{
  cleanup_close int pidfd = timeout > 0 ? pidfd_open (pid, 0) : -1;
  int timed_out = 0;

  if (pidfd >= 0)
    {
      struct pollfd p = { .fd = pidfd, .events = POLLIN };
      int r;
      do
        r = poll (&p, 1, timeout * 1000);
      while (r < 0 && errno == EINTR);
      if (r == 0)
        {
          pidfd_send_signal (pidfd, SIGKILL, NULL, 0);
          timed_out = 1;
        }
    }
  while (waitpid (pid, status, 0) < 0)
    if (errno != EINTR)
      return husk_error (err, errno, "wait for the hook");
  return timed_out;
}

static int
run_hook (const struct oci_hook *h, const char *phase, size_t i,
          const char *state_json, husk_err **err)
{
  cleanup_close int stdin_fd = -1;
  int pipefd[2], e = 0, status, r;
  pid_t pid;

  stdin_fd = fs_memfd_text ("husk-hook-state", state_json, err);
  if (stdin_fd < 0)
    return husk_err_wrap (err, "%s hook #%zu (%s)", phase, i, h->path);
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return husk_error (err, errno, "%s hook #%zu (%s): pipe", phase, i, h->path);
  pid = fork ();
  if (pid == 0)
    hook_child (h, stdin_fd, pipefd[1]);
  close (pipefd[1]);
  if (pid < 0)
    {
      close (pipefd[0]);
      return husk_error (err, errno, "%s hook #%zu (%s): fork", phase, i, h->path);
    }
  r = (int) read (pipefd[0], &e, sizeof e);
  close (pipefd[0]);
  if (r == (int) sizeof e)
    {
      waitpid (pid, NULL, 0);
      return husk_error (err, e, "%s hook #%zu: exec %s", phase, i, h->path);
    }
  r = wait_hook (pid, h->has_timeout ? h->timeout : 0, &status, err);
  if (r < 0)
    return -1;
  if (r == 1)
    return husk_error (err, 0, "%s hook #%zu (%s): timed out after %d s",
                       phase, i, h->path, h->timeout);
  if (WIFSIGNALED (status))
    return husk_error (err, 0, "%s hook #%zu (%s): killed by signal %d",
                       phase, i, h->path, WTERMSIG (status));
  if (WEXITSTATUS (status) != 0)
    return husk_error (err, 0, "%s hook #%zu (%s): exited with status %d",
                       phase, i, h->path, WEXITSTATUS (status));
  return 0;
}

int
rt_run_hooks (const struct oci_hook_list *l, const char *phase,
              const char *state_json, husk_err **err)
{
  for (size_t i = 0; i < l->n; i++)
    if (run_hook (&l->hooks[i], phase, i, state_json, err) < 0)
      return -1;
  return 0;
}

void
rt_run_hooks_warn (const struct oci_hook_list *l, const char *phase,
                   const char *state_json)
{
  for (size_t i = 0; i < l->n; i++)
    {
      cleanup_err husk_err *e = NULL;
      if (run_hook (&l->hooks[i], phase, i, state_json, &e) < 0)
        husk_warn ("%s", e->msg);
    }
}
