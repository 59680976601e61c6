/* cmd/: husk's command line, private to this folder.  Flags are parsed the
 * way runc's (Go flag package) are: `--name value`, `--name=value`, the same
 * with one dash, and the short aliases runc has (-b, -d, -t ...). */
#ifndef HUSK_CMD_H
#define HUSK_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../lib/error.h"
#include "../runtime/runtime.h"

/* One flag of a command.  A flag takes a value when metavar is set. */
struct cmd_opt
{
  const char *name;
  char short_name; /* 0: none */
  const char *metavar;
  int id;
  const char *help;
};

struct cmd_optval
{
  const struct cmd_opt *opt;
  const char *value; /* "true"/"false" for boolean flags */
};

struct cmd_args
{
  struct cmd_optval *opts; /* in command-line order */
  size_t n_opts;
  char **pos; /* positional arguments (point into argv) */
  size_t n_pos;
};

struct cmd_command;
typedef int (*cmd_fn) (const struct husk_globals *g,
                       const struct cmd_command *cmd,
                       const struct cmd_args *a, int *exit_status,
                       husk_err **err);

struct cmd_command
{
  const char *name;
  const char *usage;   /* what follows "husk NAME" */
  const char *summary; /* one line, for `husk --help` */
  const char *description;
  const struct cmd_opt *opts; /* ends with a zeroed entry */
  /* exec and ps: flags end at the first argument, the rest belongs to
   * the process (as runc's SkipArgReorder); elsewhere flags may follow
   * arguments. */
  bool flags_first;
  /* checkpoint, restore: known but not supported; no flags parsed. */
  bool unsupported;
  int min_args, max_args; /* max -1: no limit */
  cmd_fn run;
};

/* args.c */
enum cmd_parse_result
{
  CMD_PARSE_ERROR = -1,
  CMD_PARSE_OK = 0,
  CMD_PARSE_HELP = 1,
};
/* Parses argv[0..argc) against opts.  `stop_at_arg`: the first argument
 * and everything after it are positional.  `where` names the command in
 * errors ("" for the global flags).  --help/-h is recognised everywhere.
 * Release a with cmd_args_release() whatever the result. */
enum cmd_parse_result cmd_parse (const struct cmd_opt *opts, int argc,
                                 char **argv, bool stop_at_arg,
                                 const char *where, struct cmd_args *a,
                                 husk_err **err);
void cmd_args_release (struct cmd_args *a);
void cmd_print_opts (FILE *out, const struct cmd_opt *opts);
void cmd_print_help (FILE *out, const struct cmd_command *cmd);

int cmd_parse_bool (const char *flag, const char *s, bool *out,
                    husk_err **err);
int cmd_parse_int (const char *flag, const char *s, int64_t min, int64_t max,
                   int64_t *out, husk_err **err);
/* path made absolute against the current directory, as runc does for
 * --root and --pid-file: the runtime may change directory before using
 * them. */
int cmd_abs_path (const char *path, char **out, husk_err **err);
/* Appends s to a NULL-terminated list (the strings are not copied). */
int cmd_strv_push (char ***v, const char *s, husk_err **err);

/* signal.c: "TERM", "SIGTERM", "sigterm", "15", "RTMIN+2". */
int cmd_parse_signal (const char *s, int *sig, husk_err **err);

/* The commands, each in the file of its kind. */
extern const struct cmd_command cmd_create, cmd_start, cmd_run, cmd_exec,
    cmd_state, cmd_kill, cmd_delete, cmd_pause, cmd_resume;
extern const struct cmd_command cmd_list, cmd_ps, cmd_update, cmd_events,
    cmd_spec, cmd_features, cmd_checkpoint, cmd_restore, cmd_job;

#endif
