#include "cmd.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/selfexe.h"
#include "../specs/specs.h"
#include "version.h" /* generated: HUSK_VERSION, HUSK_COMMIT */

enum
{
  G_ROOT,
  G_CGROUP_MANAGER,
  G_LOG,
  G_LOG_FORMAT,
  G_DEBUG,
  G_SYSTEMD_CGROUP,
  G_ROOTLESS,
  G_CRIU,
  G_VERSION,
};

static const struct cmd_opt global_opts[] = {
  { "root", 0, "DIR", G_ROOT,
    "state directory, on a tmpfs (default /run/husk; for a non-root user "
    "$XDG_RUNTIME_DIR/husk, or /tmp/husk-UID when that is unset)" },
  { "cgroup-manager", 0, "MANAGER", G_CGROUP_MANAGER,
    "cgroupfs (default), systemd (not supported yet) or disabled" },
  { "log", 0, "FILE", G_LOG, "append log lines and errors to FILE (default: stderr)" },
  { "log-format", 0, "FORMAT", G_LOG_FORMAT,
    "text (default) or json (runc's lines, which containerd reads)" },
  { "debug", 0, NULL, G_DEBUG, "write debug lines to the log" },
  { "systemd-cgroup", 0, NULL, G_SYSTEMD_CGROUP,
    "use the systemd cgroup driver (not supported yet)" },
  { "rootless", 0, "VALUE", G_ROOTLESS,
    "true, false or auto (default: auto, true when not run as root)" },
  { "criu", 0, "PATH", G_CRIU, "accepted for runc compatibility; husk has no checkpoint support" },
  { "version", 'v', NULL, G_VERSION, "print the version and exit" },
  { 0 },
};

static const struct cmd_command *const commands[] = {
  &cmd_create, &cmd_start, &cmd_run,    &cmd_exec,     &cmd_state,
  &cmd_kill,   &cmd_delete, &cmd_list,  &cmd_ps,       &cmd_pause,
  &cmd_resume, &cmd_update, &cmd_events, &cmd_spec,    &cmd_features,
  &cmd_checkpoint, &cmd_restore, &cmd_job,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

struct global_flags
{
  struct husk_globals g;
  const char *log_path;
  enum husk_log_format log_format;
  bool version;
  char *root_buf;
};

static const struct cmd_command *
find_command (const char *name)
{
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (strcmp (commands[i]->name, name) == 0)
      return commands[i];
  return NULL;
}

static void
print_main_help (FILE *out)
{
  fprintf (out,
           "Usage: husk [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS...]\n\n"
           "husk runs containers from OCI bundles (a directory holding config.json\n"
           "and a root filesystem), with runc's command line.\n\n"
           "Commands:\n");
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf (out, "  %-12s%s\n", commands[i]->name, commands[i]->summary);
  fprintf (out, "  %-12s%s\n", "help", "show the help of a command");
  fprintf (out, "\nGlobal options:\n");
  cmd_print_opts (out, global_opts);
  fprintf (out, "\nRun 'husk COMMAND --help' for the options of a command; "
                "see also husk(1).\n");
}

/* Compiled-in features, as crun prints them. */
static void
print_version (void)
{
  const struct scmp_version *sv = seccomp_version ();

  printf ("husk version %s\ncommit: %s\nspec: %s\n", HUSK_VERSION,
          HUSK_COMMIT, HUSK_OCI_VERSION);
  if (sv)
    printf ("libseccomp: %u.%u.%u\n", sv->major, sv->minor, sv->micro);
  printf ("+CAP +NETLINK +YAJL +SECCOMP -SYSTEMD -SELINUX -APPARMOR\n");
}

static int
set_root (struct global_flags *f, const char *dir, husk_err **err)
{
  if (*dir == '\0')
    return husk_error (err, 0, "--root: expected a directory, got \"\"");
  free (f->root_buf);
  f->root_buf = NULL;
  if (cmd_abs_path (dir, &f->root_buf, err) < 0)
    return husk_err_wrap (err, "--root");
  f->g.root = f->root_buf;
  return 0;
}

static int
default_root (struct global_flags *f, husk_err **err)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");

  if (f->g.root)
    return 0;
  if (geteuid () == 0)
    {
      f->g.root = "/run/husk";
      return 0;
    }
  if (xdg && *xdg == '/' ? asprintf (&f->root_buf, "%s/husk", xdg) < 0
                         : asprintf (&f->root_buf, "/tmp/husk-%u",
                                     (unsigned) geteuid ()) < 0)
    return husk_error (err, ENOMEM, "--root");
  f->g.root = f->root_buf;
  f->g.root_private = true;
  return 0;
}

static const char *const systemd_refusal
    = "the systemd cgroup driver is not supported yet; use "
      "--cgroup-manager=cgroupfs";

static int
apply_global (struct global_flags *f, const struct cmd_optval *ov,
              husk_err **err)
{
  const char *v = ov->value;

  switch (ov->opt->id)
    {
    case G_ROOT:
      return set_root (f, v, err);
    case G_CGROUP_MANAGER:
      if (strcmp (v, "cgroupfs") == 0)
        f->g.cgroup_manager = HUSK_CGROUP_CGROUPFS;
      else if (strcmp (v, "disabled") == 0)
        f->g.cgroup_manager = HUSK_CGROUP_DISABLED;
      else if (strcmp (v, "systemd") == 0)
        return husk_error (err, 0, "--cgroup-manager=systemd: %s", systemd_refusal);
      else
        return husk_error (err, 0,
                           "--cgroup-manager: expected cgroupfs, systemd or "
                           "disabled, got \"%s\"", v);
      return 0;
    case G_LOG:
      if (*v == '\0')
        return husk_error (err, 0, "--log: expected a file, got \"\"");
      f->log_path = v;
      return 0;
    case G_LOG_FORMAT:
      if (strcmp (v, "text") == 0)
        f->log_format = HUSK_LOG_TEXT;
      else if (strcmp (v, "json") == 0)
        f->log_format = HUSK_LOG_JSON;
      else
        return husk_error (err, 0, "--log-format: expected text or json, got \"%s\"", v);
      return 0;
    case G_DEBUG:
      f->g.debug = strcmp (v, "true") == 0;
      return 0;
    case G_SYSTEMD_CGROUP:
      if (strcmp (v, "true") == 0)
        return husk_error (err, 0, "--systemd-cgroup: %s", systemd_refusal);
      return 0;
    case G_ROOTLESS:
      if (strcmp (v, "auto") == 0)
        f->g.rootless = geteuid () != 0;
      else if (cmd_parse_bool ("--rootless", v, &f->g.rootless, NULL) < 0)
        return husk_error (err, 0, "--rootless: expected true, false or auto, got \"%s\"", v);
      return 0;
    case G_CRIU:
      return 0;
    case G_VERSION:
      f->version = strcmp (v, "true") == 0;
      return 0;
    }
  return 0;
}

/* Global flags come before the command, as with runc.  The log settings
 * are taken even when a later flag is bad, so that the error of a bad flag
 * goes where the caller reads errors. */
static enum cmd_parse_result
parse_globals (int argc, char **argv, struct global_flags *f,
               struct cmd_args *a, husk_err **err)
{
  enum cmd_parse_result r = cmd_parse (global_opts, argc, argv, true, "", a, err);
  int rc = 0;

  f->g.rootless = geteuid () != 0;
  for (size_t i = 0; i < a->n_opts; i++)
    {
      const struct cmd_optval *ov = &a->opts[i];
      if (ov->opt->id == G_LOG || ov->opt->id == G_LOG_FORMAT)
        apply_global (f, ov, NULL);
    }
  if (r != CMD_PARSE_OK)
    return r;
  for (size_t i = 0; i < a->n_opts && rc == 0; i++)
    rc = apply_global (f, &a->opts[i], err);
  if (rc == 0)
    rc = default_root (f, err);
  return rc < 0 ? CMD_PARSE_ERROR : CMD_PARSE_OK;
}

/* Errors are printed once, here.  containerd and conmon read the last
 * error line of the --log file; a person reads stderr: with a log file
 * both get it, as runc does. */
static void
report_error (const husk_err *e)
{
  const char *msg = e && e->msg ? e->msg : "unknown error";

  husk_log (HUSK_LOG_ERROR, "%s", msg);
  if (husk_log_fd () >= 0)
    fprintf (stderr, "husk: %s\n", msg);
}

static int
run_help_command (struct cmd_args *a, husk_err **err)
{
  if (a->n_pos < 2)
    {
      print_main_help (stdout);
      return 0;
    }
  const struct cmd_command *cmd = find_command (a->pos[1]);
  if (cmd == NULL)
    return husk_error (err, 0, "help: unknown command \"%s\"", a->pos[1]);
  cmd_print_help (stdout, cmd);
  return 0;
}

static int
check_arg_count (const struct cmd_command *cmd, const struct cmd_args *a,
                 husk_err **err)
{
  int n = (int) a->n_pos;

  if (n >= cmd->min_args && (cmd->max_args < 0 || n <= cmd->max_args))
    return 0;
  if (cmd->max_args == 0)
    return husk_error (err, 0, "%s: takes no arguments, got \"%s\" (see 'husk %s --help')",
                       cmd->name, a->pos[0], cmd->name);
  return husk_error (err, 0, "%s: expected %s, got %d argument%s (see 'husk %s --help')",
                     cmd->name, cmd->usage, n, n == 1 ? "" : "s", cmd->name);
}

static int
run_command (const struct husk_globals *g, const struct cmd_command *cmd,
             int argc, char **argv, int *exit_status, husk_err **err)
{
  struct cmd_args a;
  enum cmd_parse_result r;
  int rc;

  if (cmd->unsupported)
    {
      for (int i = 0; i < argc; i++)
        if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
          {
            cmd_print_help (stdout, cmd);
            return 0;
          }
      return cmd->run (g, cmd, NULL, exit_status, err);
    }
  r = cmd_parse (cmd->opts, argc, argv, cmd->flags_first, cmd->name, &a, err);
  if (r == CMD_PARSE_HELP)
    cmd_print_help (stdout, cmd);
  if (r != CMD_PARSE_OK)
    {
      cmd_args_release (&a);
      return r == CMD_PARSE_HELP ? 0 : -1;
    }
  rc = check_arg_count (cmd, &a, err);
  if (rc == 0)
    rc = cmd->run (g, cmd, &a, exit_status, err);
  cmd_args_release (&a);
  return rc;
}

int
main (int argc, char **argv)
{
  struct global_flags f = { .log_format = HUSK_LOG_TEXT };
  struct cmd_args a;
  cleanup_err husk_err *err = NULL;
  int exit_status = 0;
  enum cmd_parse_result r;
  int rc = 0;

  r = parse_globals (argc - 1, argv + 1, &f, &a, &err);
  if (husk_log_init (f.log_path, f.log_format, f.g.debug) < 0)
    {
      fprintf (stderr, "husk: --log %s: %s\n", f.log_path, strerror (errno));
      cmd_args_release (&a);
      free (f.root_buf);
      return 1;
    }

  if (r == CMD_PARSE_HELP)
    print_main_help (stdout);
  else if (r == CMD_PARSE_ERROR)
    rc = -1;
  else if (f.version)
    print_version ();
  else if (a.n_pos == 0)
    print_main_help (stdout);
  else if (strcmp (a.pos[0], "help") == 0 || strcmp (a.pos[0], "h") == 0)
    rc = run_help_command (&a, &err);
  else
    {
      const struct cmd_command *cmd = find_command (a.pos[0]);
      if (cmd == NULL)
        rc = husk_error (&err, 0, "unknown command \"%s\" (see 'husk --help')", a.pos[0]);
      else if (selfexe_wanted_by (cmd->name) && selfexe_protect (argv, &err) < 0)
        rc = -1;
      else
        {
          husk_debug ("%s: root %s", cmd->name, f.g.root);
          rc = run_command (&f.g, cmd, (int) a.n_pos - 1, a.pos + 1,
                            &exit_status, &err);
        }
    }

  if (rc < 0)
    {
      report_error (err);
      exit_status = 1;
    }
  if (fflush (stdout) != 0 && exit_status == 0)
    {
      fprintf (stderr, "husk: writing to stdout: %s\n", strerror (errno));
      exit_status = 1;
    }
  cmd_args_release (&a);
  free (f.root_buf);
  return exit_status;
}
