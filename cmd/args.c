#include "cmd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"

static const struct cmd_opt help_opt = { "help", 'h', NULL, -1,
                                         "show this help and exit" };

static const struct cmd_opt *
find_opt (const struct cmd_opt *opts, const char *name, size_t len)
{
  for (const struct cmd_opt *o = opts; o && o->name; o++)
    {
      if (len == 1 && o->short_name == name[0])
        return o;
      if (strlen (o->name) == len && strncmp (o->name, name, len) == 0)
        return o;
    }
  if ((len == 1 && name[0] == 'h') || (len == 4 && strncmp (name, "help", 4) == 0))
    return &help_opt;
  return NULL;
}

/* Go's strconv.ParseBool, which is what runc takes for `--flag=value`. */
int
cmd_parse_bool (const char *flag, const char *s, bool *out, husk_err **err)
{
  static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
  static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };

  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
    {
      if (strcmp (s, yes[i]) == 0)
        return *out = true, 0;
      if (strcmp (s, no[i]) == 0)
        return *out = false, 0;
    }
  return husk_error (err, 0, "%s: expected true or false, got \"%s\"", flag, s);
}

static int
add_opt (struct cmd_args *a, const struct cmd_opt *opt, const char *value,
         const char *where, husk_err **err)
{
  if (opt->metavar == NULL)
    {
      bool b;
      char flag[128];
      snprintf (flag, sizeof flag, "%s%s--%s", where, *where ? ": " : "",
                opt->name);
      if (cmd_parse_bool (flag, value, &b, err) < 0)
        return -1;
      value = b ? "true" : "false";
    }
  a->opts[a->n_opts].opt = opt;
  a->opts[a->n_opts].value = value;
  a->n_opts++;
  return 0;
}

enum cmd_parse_result
cmd_parse (const struct cmd_opt *opts, int argc, char **argv,
           bool stop_at_arg, const char *where, struct cmd_args *a,
           husk_err **err)
{
  bool only_args = false;

  memset (a, 0, sizeof *a);
  a->opts = calloc ((size_t) argc + 1, sizeof *a->opts);
  a->pos = calloc ((size_t) argc + 1, sizeof *a->pos);
  if (a->opts == NULL || a->pos == NULL)
    return husk_error (err, ENOMEM, "%s: parsing arguments", where);

  for (int i = 0; i < argc; i++)
    {
      char *arg = argv[i];

      if (only_args || arg[0] != '-' || arg[1] == '\0')
        {
          a->pos[a->n_pos++] = arg;
          only_args = only_args || stop_at_arg;
          continue;
        }
      if (strcmp (arg, "--") == 0)
        {
          only_args = true;
          continue;
        }

      const char *name = arg + (arg[1] == '-' ? 2 : 1);
      const char *eq = strchr (name, '=');
      size_t len = eq ? (size_t) (eq - name) : strlen (name);
      const struct cmd_opt *opt = find_opt (opts, name, len);
      if (opt == NULL)
        return husk_error (err, 0, "%s%sunknown flag %.*s (see 'husk %s%s--help')",
                           where, *where ? ": " : "", (int) (name - arg + len),
                           arg, where, *where ? " " : ""),
               CMD_PARSE_ERROR;
      if (opt == &help_opt)
        return CMD_PARSE_HELP;

      const char *value;
      if (eq)
        value = eq + 1;
      else if (opt->metavar == NULL)
        value = "true";
      else if (i + 1 < argc)
        value = argv[++i]; /* taken whatever it is: `--memory-swap -1` */
      else
        return husk_error (err, 0, "%s%sflag --%s needs a value (%s)", where,
                           *where ? ": " : "", opt->name, opt->metavar),
               CMD_PARSE_ERROR;
      if (add_opt (a, opt, value, where, err) < 0)
        return CMD_PARSE_ERROR;
    }
  return CMD_PARSE_OK;
}

void
cmd_args_release (struct cmd_args *a)
{
  free (a->opts);
  free (a->pos);
  memset (a, 0, sizeof *a);
}

/* Prints text from column `indent` (the cursor already there), wrapped
 * before column 80. */
static void
print_wrapped (FILE *out, const char *text, int indent)
{
  int col = indent;

  while (*text)
    {
      size_t word = strcspn (text, " ");
      if (col > indent && col + 1 + (int) word > 79)
        {
          fprintf (out, "\n%*s", indent, "");
          col = indent;
        }
      else if (col > indent)
        {
          fputc (' ', out);
          col++;
        }
      fwrite (text, 1, word, out);
      col += (int) word;
      text += word;
      text += strspn (text, " ");
    }
  fputc ('\n', out);
}

void
cmd_print_opts (FILE *out, const struct cmd_opt *opts)
{
  enum { LEFT = 30 };
  const struct cmd_opt *o = opts;

  for (;; o++)
    {
      if (o->name == NULL)
        o = &help_opt;
      char left[64];
      snprintf (left, sizeof left, "%c%c%c --%s%s%s", o->short_name ? '-' : ' ',
                o->short_name ? o->short_name : ' ', o->short_name ? ',' : ' ',
                o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
      if (strlen (left) > LEFT)
        fprintf (out, "  %s\n  %-*s  ", left, LEFT, "");
      else
        fprintf (out, "  %-*s  ", LEFT, left);
      print_wrapped (out, o->help, LEFT + 4);
      if (o == &help_opt)
        break;
    }
}

void
cmd_print_help (FILE *out, const struct cmd_command *cmd)
{
  fprintf (out, "Usage: husk %s %s\n\n%s\n", cmd->name, cmd->usage,
           cmd->summary);
  if (cmd->description)
    fprintf (out, "\n%s", cmd->description);
  fprintf (out, "\nOptions:\n");
  cmd_print_opts (out, cmd->opts);
}

int
cmd_parse_int (const char *flag, const char *s, int64_t min, int64_t max,
               int64_t *out, husk_err **err)
{
  char *end;
  long long v;

  errno = 0;
  v = strtoll (s, &end, 10);
  if (*s == '\0' || *end != '\0' || errno == ERANGE || v < min || v > max)
    return husk_error (err, 0,
                       "%s: expected an integer from %" PRId64 " to %" PRId64
                       ", got \"%s\"",
                       flag, min, max, s);
  *out = v;
  return 0;
}

int
cmd_strv_push (char ***v, const char *s, husk_err **err)
{
  size_t n = 0;

  while (*v && (*v)[n])
    n++;
  char **nv = realloc (*v, (n + 2) * sizeof *nv);
  if (nv == NULL)
    return husk_error (err, ENOMEM, "allocating an argument list");
  nv[n] = (char *) s;
  nv[n + 1] = NULL;
  *v = nv;
  return 0;
}

int
cmd_abs_path (const char *path, char **out, husk_err **err)
{
  cleanup_free char *cwd = NULL;

  if (path[0] == '/')
    *out = strdup (path);
  else
    {
      cwd = getcwd (NULL, 0);
      if (cwd == NULL)
        return husk_error (err, errno, "%s: getcwd", path);
      if (asprintf (out, "%s/%s", cwd, path) < 0)
        *out = NULL;
    }
  if (*out == NULL)
    return husk_error (err, ENOMEM, "%s", path);
  return 0;
}
