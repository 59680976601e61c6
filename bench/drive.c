/* drive: runs the benchmark's commands one after another and measures each.
 *
 * Reads a plan on stdin, one step a line, fields separated by TABs:
 *
 *   run   LABEL  ARG...       spawn ARG..., wait for it; print one result
 *   par   LABEL  [B+]K  ARG...  spawn K copies at once ("{}" in an ARG becomes
 *                             B..B+K-1; B is 0 when not given), wait for
 *                             all; print one result (total wall time,
 *                             largest peak RSS, worst status)
 *   wait  PIDFILE             wait until the process named in PIDFILE ends
 *
 * Leading ARGs of the form @NAME=VALUE are added to the command's
 * environment and @<FILE makes FILE its stdin (default /dev/null): this is
 * how variants of one runtime (env toggles) and CNI's stdin are given.
 *
 * A result line is   LABEL TAB wall_us TAB maxrss_kb TAB status
 * wall_us is CLOCK_MONOTONIC from just before the spawn to the reap.
 * maxrss_kb is wait4's ru_maxrss of the runtime process: the largest RSS of it
 * and of the helpers it reaped itself (not of the container, which it does
 * not reap).  status is the exit code, or 128+N for signal N.
 *
 * drive makes itself a child subreaper, so the containers' inits (orphaned
 * when `create` exits) become its children; it reaps them at once while it
 * waits for anything, so no runtime ever sees a zombie init, and `wait`
 * needs no polling.  Commands' stdout goes to /dev/null and stderr to the
 * file given with -e (default: drive's own stderr). */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_ARGS 256
#define MAX_PAR 4096
#define EXITED_RING 8192

static const char *errlog;

/* Pids of orphans (container inits) reaped while waiting for something
 * else, so that a later `wait` finds them. */
static pid_t exited[EXITED_RING];
static size_t exited_next;

static void note_exited (pid_t pid)
{
  exited[exited_next++ % EXITED_RING] = pid;
}

static bool has_exited (pid_t pid)
{
  for (size_t i = 0; i < EXITED_RING; i++)
    if (exited[i] == pid)
      return true;
  return false;
}

static long long now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void die (const char *what)
{
  perror (what);
  exit (2);
}

static int status_code (int st)
{
  if (WIFEXITED (st))
    return WEXITSTATUS (st);
  if (WIFSIGNALED (st))
    return 128 + WTERMSIG (st);
  return 255;
}

/* Reaps children until `want` (one of `n` pids) ends; returns its index and
 * fills its status and rusage.  Anything else reaped is an orphan. */
static int reap_one_of (const pid_t *want, size_t n, int *st, struct rusage *ru)
{
  for (;;)
    {
      pid_t pid = wait4 (-1, st, 0, ru);
      if (pid < 0)
        {
          if (errno == EINTR)
            continue;
          die ("drive: wait4");
        }
      for (size_t i = 0; i < n; i++)
        if (want[i] == pid)
          return (int) i;
      note_exited (pid);
    }
}

struct command
{
  char *argv[MAX_ARGS];
  char *env[MAX_ARGS];
  size_t nenv;
  const char *in;
};

/* Splits @NAME=VALUE and @<FILE off the front of the args. */
static void parse_command (char **args, size_t nargs, struct command *c)
{
  size_t i = 0, n = 0;

  c->nenv = 0;
  c->in = "/dev/null";
  for (; i < nargs && args[i][0] == '@'; i++)
    {
      if (args[i][1] == '<')
        c->in = args[i] + 2;
      else if (c->nenv < MAX_ARGS - 1)
        c->env[c->nenv++] = args[i] + 1;
    }
  for (; i < nargs && n < MAX_ARGS - 1; i++)
    c->argv[n++] = args[i];
  c->argv[n] = NULL;
  if (n == 0)
    {
      fprintf (stderr, "drive: empty command\n");
      exit (2);
    }
}

/* The command's own NAME=VALUE first (getenv finds the first match, so they
 * win), then drive's environment. */
static char **command_env (const struct command *c)
{
  size_t n = 0;
  while (environ[n])
    n++;
  char **envp = calloc (n + c->nenv + 1, sizeof *envp);
  if (!envp)
    die ("drive: calloc");
  size_t k = 0;
  for (size_t i = 0; i < c->nenv; i++)
    envp[k++] = c->env[i];
  for (size_t i = 0; i < n; i++)
    envp[k++] = environ[i];
  return envp;
}

static pid_t spawn (const struct command *c, char **argv, char **envp)
{
  posix_spawn_file_actions_t fa;
  pid_t pid;
  int rc;

  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_addopen (&fa, 0, c->in, O_RDONLY, 0);
  posix_spawn_file_actions_addopen (&fa, 1, "/dev/null", O_WRONLY, 0);
  if (errlog)
    posix_spawn_file_actions_addopen (&fa, 2, errlog,
                                      O_WRONLY | O_APPEND | O_CREAT, 0644);
  rc = posix_spawnp (&pid, argv[0], &fa, NULL, argv, envp);
  posix_spawn_file_actions_destroy (&fa);
  if (rc != 0)
    {
      errno = rc;
      fprintf (stderr, "drive: spawn %s: %s\n", argv[0], strerror (rc));
      return -1;
    }
  return pid;
}

static void report (const char *label, long long us, long maxrss, int status)
{
  printf ("%s\t%lld\t%ld\t%d\n", label, us, maxrss, status);
  if (status != 0)
    fprintf (stderr, "drive: %s: exit status %d\n", label, status);
}

static void step_run (const char *label, char **args, size_t nargs)
{
  struct command c;
  struct rusage ru;
  int st;

  parse_command (args, nargs, &c);
  char **envp = command_env (&c);
  long long t0 = now_us ();
  pid_t pid = spawn (&c, c.argv, envp);
  if (pid < 0)
    {
      report (label, 0, 0, 127);
      free (envp);
      return;
    }
  reap_one_of (&pid, 1, &st, &ru);
  long long t1 = now_us ();
  free (envp);
  report (label, t1 - t0, ru.ru_maxrss, status_code (st));
}

/* argv with every "{}" replaced by i: one allocation per replaced arg. */
static void instance_argv (char **tmpl, char **out, size_t i)
{
  for (size_t a = 0; tmpl[a]; a++)
    {
      char *brace = strstr (tmpl[a], "{}");
      out[a] = tmpl[a];
      if (brace)
        {
          size_t len = strlen (tmpl[a]) + 24;
          char *s = malloc (len);
          if (!s)
            die ("drive: malloc");
          snprintf (s, len, "%.*s%zu%s", (int) (brace - tmpl[a]), tmpl[a], i,
                    brace + 2);
          out[a] = s;
        }
      out[a + 1] = NULL;
    }
}

static void free_instance_argv (char **tmpl, char **out)
{
  for (size_t a = 0; tmpl[a]; a++)
    if (out[a] != tmpl[a])
      free (out[a]);
}

static void step_par (const char *label, const char *count, char **args,
                      size_t nargs)
{
  static pid_t pids[MAX_PAR];
  struct command c;
  char *argv[MAX_ARGS];
  long maxrss = 0;
  int worst = 0;
  char *end;
  size_t base = 0, k = strtoul (count, &end, 10);

  if (*end == '+')
    {
      base = k;
      k = strtoul (end + 1, &end, 10);
    }
  if (*end != '\0' || k == 0 || k > MAX_PAR)
    {
      fprintf (stderr, "drive: par: bad count %s\n", count);
      exit (2);
    }
  parse_command (args, nargs, &c);
  char **envp = command_env (&c);
  size_t started = 0;
  long long t0 = now_us ();
  for (size_t i = 0; i < k; i++)
    {
      instance_argv (c.argv, argv, base + i);
      pids[i] = spawn (&c, argv, envp);
      free_instance_argv (c.argv, argv);
      if (pids[i] < 0)
        worst = 127;
      else
        started++;
    }
  for (size_t left = started; left > 0; left--)
    {
      struct rusage ru;
      int st;
      int i = reap_one_of (pids, k, &st, &ru);
      pids[i] = 0;
      if (ru.ru_maxrss > maxrss)
        maxrss = ru.ru_maxrss;
      if (status_code (st) > worst)
        worst = status_code (st);
    }
  long long t1 = now_us ();
  free (envp);
  report (label, t1 - t0, maxrss, worst);
}

static void step_wait (const char *pidfile)
{
  FILE *f = fopen (pidfile, "r");
  long pid = 0;

  if (!f)
    {
      fprintf (stderr, "drive: wait: %s: %s\n", pidfile, strerror (errno));
      return;
    }
  if (fscanf (f, "%ld", &pid) != 1 || pid <= 0)
    {
      fprintf (stderr, "drive: wait: %s: no pid\n", pidfile);
      fclose (f);
      return;
    }
  fclose (f);
  pid_t want = (pid_t) pid;
  if (has_exited (want))
    return;
  /* Only a child of ours (an init orphaned to us) can be waited for. */
  siginfo_t si;
  if (waitid (P_PID, (id_t) want, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
    {
      if (errno == ECHILD && kill (want, 0) == 0)
        fprintf (stderr, "drive: wait: pid %ld is not drive's child\n", pid);
      return;
    }
  int st;
  struct rusage ru;
  reap_one_of (&want, 1, &st, &ru);
}

int main (int argc, char **argv)
{
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int opt;

  while ((opt = getopt (argc, argv, "e:")) != -1)
    switch (opt)
      {
      case 'e':
        errlog = optarg;
        break;
      default:
        fprintf (stderr, "usage: drive [-e ERRLOG] < PLAN\n");
        return 2;
      }
  if (prctl (PR_SET_CHILD_SUBREAPER, 1) < 0)
    die ("drive: PR_SET_CHILD_SUBREAPER");
  setvbuf (stdout, NULL, _IOLBF, 0);

  while ((len = getline (&line, &cap, stdin)) > 0)
    {
      char *fields[MAX_ARGS];
      size_t n = 0;

      if (line[len - 1] == '\n')
        line[len - 1] = '\0';
      if (line[0] == '\0' || line[0] == '#')
        continue;
      for (char *s = line, *tok; n < MAX_ARGS && (tok = strsep (&s, "\t"));)
        fields[n++] = tok;

      if (strcmp (fields[0], "run") == 0 && n >= 3)
        step_run (fields[1], fields + 2, n - 2);
      else if (strcmp (fields[0], "par") == 0 && n >= 4)
        step_par (fields[1], fields[2], fields + 3, n - 3);
      else if (strcmp (fields[0], "wait") == 0 && n == 2)
        step_wait (fields[1]);
      else
        {
          fprintf (stderr, "drive: bad plan line: %s\n", fields[0]);
          return 2;
        }
    }
  free (line);

  /* Reap what is left of orphans without blocking on live containers. */
  while (waitpid (-1, NULL, WNOHANG) > 0)
    ;
  return 0;
}
