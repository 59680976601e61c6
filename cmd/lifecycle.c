/* The lifecycle commands: create, start, run, exec, state, kill, delete,
 * pause, resume. */
#include "cmd.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"

enum
{
  O_BUNDLE,
  O_CONFIG,
  O_CONSOLE_SOCKET,
  O_PID_FILE,
  O_NO_PIVOT,
  O_NO_NEW_KEYRING,
  O_NO_SUBREAPER,
  O_PRESERVE_FDS,
  O_DETACH,
  O_KEEP,
  O_PROCESS,
  O_TTY,
  O_ENV,
  O_CWD,
  O_USER,
  O_ADDITIONAL_GIDS,
  O_CAP,
  O_NO_NEW_PRIVS,
  O_PROCESS_LABEL,
  O_APPARMOR,
  O_CGROUP,
  O_IGNORE_PAUSED,
  O_ALL,
  O_FORCE,
};

#define OPT_BUNDLE                                                             \
  { "bundle", 'b', "DIR", O_BUNDLE,                                            \
    "the bundle directory (default: the current directory)" }
#define OPT_CONFIG                                                             \
  { "config", 0, "FILE", O_CONFIG,                                             \
    "the configuration file, relative to the bundle (default: config.json)" }
#define OPT_CONSOLE_SOCKET                                                     \
  { "console-socket", 0, "SOCKET", O_CONSOLE_SOCKET,                           \
    "AF_UNIX socket that receives the master end of the container's "          \
    "pseudoterminal" }
#define OPT_PID_FILE                                                           \
  { "pid-file", 0, "FILE", O_PID_FILE, "write the process id to FILE" }
#define OPT_NO_PIVOT                                                           \
  { "no-pivot", 0, NULL, O_NO_PIVOT,                                           \
    "enter the rootfs with a move mount and chroot instead of pivot_root "     \
    "(for a rootfs on a ramdisk)" }
#define OPT_NO_NEW_KEYRING                                                     \
  { "no-new-keyring", 0, NULL, O_NO_NEW_KEYRING,                               \
    "keep the caller's session keyring instead of creating a new one" }
#define OPT_NO_SUBREAPER                                                       \
  { "no-subreaper", 0, NULL, O_NO_SUBREAPER,                                   \
    "accepted for runc compatibility (husk does not act as a subreaper)" }
#define OPT_PRESERVE_FDS                                                       \
  { "preserve-fds", 0, "N", O_PRESERVE_FDS,                                    \
    "pass N more file descriptors (3 to 3+N-1) to the container" }
#define OPT_DETACH                                                             \
  { "detach", 'd', NULL, O_DETACH,                                             \
    "return once the process has started instead of waiting for it" }

static const struct cmd_opt create_opts[] = {
  OPT_BUNDLE, OPT_CONFIG, OPT_CONSOLE_SOCKET, OPT_PID_FILE, OPT_NO_PIVOT,
  OPT_NO_NEW_KEYRING, OPT_NO_SUBREAPER, OPT_PRESERVE_FDS, { 0 },
};

static const struct cmd_opt run_opts[] = {
  OPT_BUNDLE, OPT_CONFIG, OPT_CONSOLE_SOCKET, OPT_DETACH,
  { "keep", 0, NULL, O_KEEP, "do not delete the container after it exits" },
  OPT_PID_FILE, OPT_NO_SUBREAPER, OPT_NO_PIVOT, OPT_NO_NEW_KEYRING,
  OPT_PRESERVE_FDS, { 0 },
};

static const struct cmd_opt exec_opts[] = {
  OPT_CONSOLE_SOCKET,
  { "cwd", 0, "DIR", O_CWD, "working directory in the container" },
  { "env", 'e', "KEY=VALUE", O_ENV, "set an environment variable (repeatable)" },
  { "tty", 't', NULL, O_TTY, "allocate a pseudoterminal" },
  { "user", 'u', "UID[:GID]", O_USER, "user and group ids of the process" },
  { "additional-gids", 'g', "GID", O_ADDITIONAL_GIDS,
    "a supplementary group, replacing the config's (repeatable)" },
  { "process", 'p', "FILE", O_PROCESS,
    "read the process (a config.json \"process\" object) from FILE" },
  OPT_DETACH, OPT_PID_FILE,
  { "process-label", 0, "LABEL", O_PROCESS_LABEL,
    "SELinux label of the process, replacing the config's" },
  { "apparmor", 0, "PROFILE", O_APPARMOR,
    "AppArmor profile of the process, replacing the config's" },
  { "no-new-privs", 0, NULL, O_NO_NEW_PRIVS, "set no_new_privs for the process" },
  { "cap", 'c', "CAP", O_CAP, "add a capability to the process (repeatable)" },
  OPT_PRESERVE_FDS,
  { "cgroup", 0, "[CONTROLLER:]PATH", O_CGROUP,
    "run the process in a sub-cgroup of the container (not supported yet)" },
  { "ignore-paused", 0, NULL, O_IGNORE_PAUSED,
    "allow exec in a paused container (not supported yet)" },
  { 0 },
};

static const struct cmd_opt kill_opts[] = {
  { "all", 'a', NULL, O_ALL, "send the signal to every process of the container" },
  { 0 },
};

static const struct cmd_opt delete_opts[] = {
  { "force", 'f', NULL, O_FORCE,
    "kill the container (SIGKILL) first if it is still running" },
  { 0 },
};

static const struct cmd_opt no_opts[] = { { 0 } };

static bool
is_true (const struct cmd_optval *ov)
{
  return strcmp (ov->value, "true") == 0;
}

static int
parse_preserve_fds (const char *where, const char *v, int *out, husk_err **err)
{
  int64_t n;
  char flag[64];

  snprintf (flag, sizeof flag, "%s: --preserve-fds", where);
  if (cmd_parse_int (flag, v, 0, 1 << 20, &n, err) < 0)
    return -1;
  *out = (int) n;
  return 0;
}

/* The paths made absolute for the runtime (runc does so for --pid-file,
 * since it changes into the bundle before writing it). */
struct abs_paths
{
  char *bundle, *pid_file;
};

static void
abs_paths_free (struct abs_paths *p)
{
  free (p->bundle);
  free (p->pid_file);
}

static int
make_abs (const char *where, const char *flag, const char **path, char **buf,
          husk_err **err)
{
  if (*path == NULL)
    return 0;
  if (**path == '\0')
    return husk_error (err, 0, "%s: --%s: expected a path, got \"\"", where, flag);
  if (cmd_abs_path (*path, buf, err) < 0)
    return husk_err_wrap (err, "%s: --%s", where, flag);
  *path = *buf;
  return 0;
}

/* create and run share their flags, except run's --detach and --keep. */
static int
create_opts_from (const struct cmd_command *cmd, const struct cmd_args *a,
                  struct husk_create_opts *o, struct abs_paths *abs,
                  husk_err **err)
{
  memset (o, 0, sizeof *o);
  o->id = a->pos[0];
  for (size_t i = 0; i < a->n_opts; i++)
    {
      const struct cmd_optval *ov = &a->opts[i];
      switch (ov->opt->id)
        {
        case O_BUNDLE: o->bundle = ov->value; break;
        case O_CONFIG: o->config_path = ov->value; break;
        case O_CONSOLE_SOCKET: o->console_socket = ov->value; break;
        case O_PID_FILE: o->pid_file = ov->value; break;
        case O_NO_PIVOT: o->no_pivot = is_true (ov); break;
        case O_NO_NEW_KEYRING: o->no_new_keyring = is_true (ov); break;
        case O_DETACH: o->detach = is_true (ov); break;
        case O_KEEP: o->keep = is_true (ov); break;
        case O_NO_SUBREAPER: break;
        case O_PRESERVE_FDS:
          if (parse_preserve_fds (cmd->name, ov->value, &o->preserve_fds, err) < 0)
            return -1;
          break;
        }
    }
  if (o->config_path && *o->config_path == '\0')
    return husk_error (err, 0, "%s: --config: expected a file, got \"\"", cmd->name);
  if (make_abs (cmd->name, "bundle", &o->bundle, &abs->bundle, err) < 0
      || make_abs (cmd->name, "pid-file", &o->pid_file, &abs->pid_file, err) < 0)
    return -1;
  return 0;
}

static int
do_create (const struct husk_globals *g, const struct cmd_command *cmd,
           const struct cmd_args *a, int *exit_status, husk_err **err)
{
  struct husk_create_opts o;
  struct abs_paths abs = { 0 };
  int rc;

  rc = create_opts_from (cmd, a, &o, &abs, err);
  if (rc == 0)
    rc = husk_create (g, &o, err);
  abs_paths_free (&abs);
  return rc;
}

static int
do_run (const struct husk_globals *g, const struct cmd_command *cmd,
        const struct cmd_args *a, int *exit_status, husk_err **err)
{
  struct husk_create_opts o;
  struct abs_paths abs = { 0 };
  int rc;

  rc = create_opts_from (cmd, a, &o, &abs, err);
  if (rc == 0)
    rc = husk_run (g, &o, exit_status, err);
  abs_paths_free (&abs);
  return rc;
}

static int
do_start (const struct husk_globals *g, const struct cmd_command *cmd,
          const struct cmd_args *a, int *exit_status, husk_err **err)
{
  return husk_start (g, a->pos[0], err);
}

/* What exec's options own. */
struct exec_bufs
{
  char **env, **caps;
  char *pid_file;
  gid_t *gids;
};

static void
exec_bufs_free (struct exec_bufs *l)
{
  free (l->gids);
  free (l->env);
  free (l->caps);
  free (l->pid_file);
}

static int
push_gid (const char *value, struct exec_bufs *l, size_t *n, husk_err **err)
{
  char *end;
  unsigned long v;
  gid_t *gids;

  errno = 0;
  v = strtoul (value, &end, 10);
  if (*value < '0' || *value > '9' || *end || errno || v > UINT32_MAX - 1)
    return husk_error (err, 0, "exec: --additional-gids: expected a group id, "
                       "got \"%s\"", value);
  gids = realloc (l->gids, (*n + 1) * sizeof *gids);
  if (gids == NULL)
    return husk_error (err, ENOMEM, "exec");
  gids[(*n)++] = (gid_t) v;
  l->gids = gids;
  return 0;
}

/* Flags of runc's exec that the runtime API cannot carry yet: refused, not
 * dropped, since each one asks for a restriction or a placement. */
static int
refuse_unsupported_exec_flag (const struct cmd_optval *ov, husk_err **err)
{
  return husk_error (err, 0, "exec: --%s is not supported yet", ov->opt->name);
}

static int
exec_opts_from (const struct cmd_args *a, struct husk_exec_opts *o,
                struct exec_bufs *l, husk_err **err)
{
  memset (o, 0, sizeof *o);
  o->id = a->pos[0];
  for (size_t i = 0; i < a->n_opts; i++)
    {
      const struct cmd_optval *ov = &a->opts[i];
      switch (ov->opt->id)
        {
        case O_CONSOLE_SOCKET: o->console_socket = ov->value; break;
        case O_CWD: o->cwd = ov->value; break;
        case O_TTY: o->tty = is_true (ov); break;
        case O_USER: o->user = ov->value; break;
        case O_PROCESS: o->process_file = ov->value; break;
        case O_DETACH: o->detach = is_true (ov); break;
        case O_PID_FILE: o->pid_file = ov->value; break;
        case O_NO_NEW_PRIVS: o->no_new_privs = is_true (ov); break;
        case O_ENV:
          if (strchr (ov->value, '=') == NULL)
            return husk_error (err, 0, "exec: --env: expected KEY=VALUE, got \"%s\"",
                               ov->value);
          if (cmd_strv_push (&l->env, ov->value, err) < 0)
            return -1;
          break;
        case O_CAP:
          if (cmd_strv_push (&l->caps, ov->value, err) < 0)
            return -1;
          break;
        case O_PRESERVE_FDS:
          if (parse_preserve_fds ("exec", ov->value, &o->preserve_fds, err) < 0)
            return -1;
          break;
        case O_IGNORE_PAUSED:
          if (is_true (ov))
            return refuse_unsupported_exec_flag (ov, err);
          break;
        case O_ADDITIONAL_GIDS:
          if (push_gid (ov->value, l, &o->n_additional_gids, err) < 0)
            return -1;
          break;
        case O_PROCESS_LABEL: o->process_label = ov->value; break;
        case O_APPARMOR: o->apparmor = ov->value; break;
        case O_CGROUP:
          return refuse_unsupported_exec_flag (ov, err);
        }
    }
  o->env = l->env;
  o->caps = l->caps;
  o->additional_gids = l->gids;
  if (make_abs ("exec", "pid-file", &o->pid_file, &l->pid_file, err) < 0)
    return -1;

  /* `husk exec ID -- CMD`: the "--" only ends husk's flags. */
  char **args = a->pos + 1;
  if (args[0] && strcmp (args[0], "--") == 0)
    args++;
  if (o->process_file && args[0])
    return husk_error (err, 0, "exec: give either --process FILE or a command, not both");
  if (o->process_file == NULL && args[0] == NULL)
    return husk_error (err, 0, "exec: no command: give one after the container id, "
                               "or --process FILE");
  o->args = o->process_file ? NULL : args;
  return 0;
}

static int
do_exec (const struct husk_globals *g, const struct cmd_command *cmd,
         const struct cmd_args *a, int *exit_status, husk_err **err)
{
  struct husk_exec_opts o;
  struct exec_bufs l = { 0 };
  int rc;

  rc = exec_opts_from (a, &o, &l, err);
  if (rc == 0)
    rc = husk_exec (g, &o, exit_status, err);
  exec_bufs_free (&l);
  return rc;
}

static int
do_state (const struct husk_globals *g, const struct cmd_command *cmd,
          const struct cmd_args *a, int *exit_status, husk_err **err)
{
  struct oci_state *st = NULL;
  cleanup_free char *json = NULL;
  size_t len = 0;
  int rc;

  if (husk_state (g, a->pos[0], &st, err) < 0)
    return -1;
  rc = oci_state_to_json (st, true, &json, &len, err);
  husk_state_free (st);
  if (rc < 0)
    return -1;
  fwrite (json, 1, len, stdout);
  if (len == 0 || json[len - 1] != '\n')
    putchar ('\n');
  return 0;
}

static int
do_kill (const struct husk_globals *g, const struct cmd_command *cmd,
         const struct cmd_args *a, int *exit_status, husk_err **err)
{
  int sig = SIGTERM;
  bool all = false;

  for (size_t i = 0; i < a->n_opts; i++)
    if (a->opts[i].opt->id == O_ALL)
      all = is_true (&a->opts[i]);
  if (a->n_pos > 1 && cmd_parse_signal (a->pos[1], &sig, err) < 0)
    return husk_err_wrap (err, "kill");
  return husk_kill (g, a->pos[0], sig, all, err);
}

static int
do_delete (const struct husk_globals *g, const struct cmd_command *cmd,
           const struct cmd_args *a, int *exit_status, husk_err **err)
{
  bool force = false;

  for (size_t i = 0; i < a->n_opts; i++)
    if (a->opts[i].opt->id == O_FORCE)
      force = is_true (&a->opts[i]);
  return husk_delete (g, a->pos[0], force, err);
}

static int
do_pause (const struct husk_globals *g, const struct cmd_command *cmd,
          const struct cmd_args *a, int *exit_status, husk_err **err)
{
  return husk_pause (g, a->pos[0], err);
}

static int
do_resume (const struct husk_globals *g, const struct cmd_command *cmd,
           const struct cmd_args *a, int *exit_status, husk_err **err)
{
  return husk_resume (g, a->pos[0], err);
}

const struct cmd_command cmd_create = {
  .name = "create",
  .usage = "[OPTIONS] ID",
  .summary = "create a container; its process waits for 'husk start'",
  .description =
      "Sets the container up from the bundle's config.json and leaves its\n"
      "process waiting; 'husk start ID' runs the configured program.  The\n"
      "caller's stdin, stdout and stderr become the container's (or the\n"
      "pseudoterminal, sent to --console-socket, when process.terminal is\n"
      "true).\n",
  .opts = create_opts,
  .min_args = 1,
  .max_args = 1,
  .run = do_create,
};

const struct cmd_command cmd_start = {
  .name = "start",
  .usage = "ID",
  .summary = "run the program of a created container",
  .opts = no_opts,
  .min_args = 1,
  .max_args = 1,
  .run = do_start,
};

const struct cmd_command cmd_run = {
  .name = "run",
  .usage = "[OPTIONS] ID",
  .summary = "create and start a container",
  .description =
      "create + start.  In the foreground husk forwards signals to the\n"
      "container and exits with its status (128+N when killed by signal N),\n"
      "then deletes it unless --keep is given.  With --detach it returns\n"
      "once the container has started.\n",
  .opts = run_opts,
  .min_args = 1,
  .max_args = 1,
  .run = do_run,
};

const struct cmd_command cmd_exec = {
  .name = "exec",
  .usage = "[OPTIONS] ID [--] COMMAND [ARGS...]",
  .summary = "run a new process inside a running container",
  .description =
      "The process is COMMAND, or the \"process\" object read from --process\n"
      "FILE.  Flags must come before ID: what follows ID is the command.\n"
      "husk exits with the process's status unless --detach is given.\n",
  .opts = exec_opts,
  .flags_first = true,
  .min_args = 1,
  .max_args = -1,
  .run = do_exec,
};

const struct cmd_command cmd_state = {
  .name = "state",
  .usage = "ID",
  .summary = "print the state of a container (JSON)",
  .opts = no_opts,
  .min_args = 1,
  .max_args = 1,
  .run = do_state,
};

const struct cmd_command cmd_kill = {
  .name = "kill",
  .usage = "[OPTIONS] ID [SIGNAL]",
  .summary = "send a signal to a container (default SIGTERM)",
  .description =
      "SIGNAL is a number (9) or a name with or without SIG, in any case\n"
      "(KILL, SIGKILL, sigkill; RTMIN+N and RTMAX-N too).\n",
  .opts = kill_opts,
  .min_args = 1,
  .max_args = 2,
  .run = do_kill,
};

const struct cmd_command cmd_delete = {
  .name = "delete",
  .usage = "[OPTIONS] ID",
  .summary = "delete a stopped container and everything it held",
  .opts = delete_opts,
  .min_args = 1,
  .max_args = 1,
  .run = do_delete,
};

const struct cmd_command cmd_pause = {
  .name = "pause",
  .usage = "ID",
  .summary = "freeze every process of a container",
  .opts = no_opts,
  .min_args = 1,
  .max_args = 1,
  .run = do_pause,
};

const struct cmd_command cmd_resume = {
  .name = "resume",
  .usage = "ID",
  .summary = "thaw a paused container",
  .opts = no_opts,
  .min_args = 1,
  .max_args = 1,
  .run = do_resume,
};
