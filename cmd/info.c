/* The commands that report or generate documents: list, ps, spec,
 * features; and those known but not supported (checkpoint, restore). */
#include "cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "../lib/cleanup.h"
#include "../specs/specs.h"

enum
{
  O_FORMAT,
  O_QUIET,
  O_BUNDLE,
  O_ROOTLESS,
};

static const struct cmd_opt list_opts[] = {
  { "format", 'f', "FORMAT", O_FORMAT, "table (default) or json" },
  { "quiet", 'q', NULL, O_QUIET, "print only the container ids" },
  { 0 },
};

static const struct cmd_opt ps_opts[] = {
  { "format", 'f', "FORMAT", O_FORMAT, "table (default) or json" },
  { 0 },
};

static const struct cmd_opt spec_opts[] = {
  { "bundle", 'b', "DIR", O_BUNDLE,
    "write config.json into DIR (default: the current directory)" },
  { "rootless", 0, NULL, O_ROOTLESS,
    "a configuration for an unprivileged user (user namespace mapping the "
    "current ids, no network namespace, /sys bound from the host)" },
  { 0 },
};

static const struct cmd_opt no_opts[] = { { 0 } };

enum output_format { FORMAT_TABLE, FORMAT_JSON };

static int
parse_format (const char *where, const struct cmd_args *a,
              enum output_format *f, husk_err **err)
{
  *f = FORMAT_TABLE;
  for (size_t i = 0; i < a->n_opts; i++)
    {
      const char *v = a->opts[i].value;
      if (a->opts[i].opt->id != O_FORMAT)
        continue;
      if (strcmp (v, "table") == 0)
        *f = FORMAT_TABLE;
      else if (strcmp (v, "json") == 0)
        *f = FORMAT_JSON;
      else
        return husk_error (err, 0, "%s: --format: expected table or json, got \"%s\"",
                           where, v);
    }
  return 0;
}

static void
gen_freep (yajl_gen *g)
{
  if (*g)
    yajl_gen_free (*g);
}

static void
gen_str (yajl_gen g, const char *s)
{
  s = s ? s : "";
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static void
gen_kv (yajl_gen g, const char *k, const char *v)
{
  gen_str (g, k);
  gen_str (g, v);
}

/* Writes the generator's document and a newline, as Go's json.Encoder
 * does for runc. */
static int
gen_print (yajl_gen g, const char *where, husk_err **err)
{
  const unsigned char *buf;
  size_t len;

  if (yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    return husk_error (err, 0, "%s: generating JSON", where);
  fwrite (buf, 1, len, stdout);
  putchar ('\n');
  return 0;
}

static void
gen_list_entry (yajl_gen g, const struct husk_list_entry *e)
{
  const struct oci_state *s = e->state;

  yajl_gen_map_open (g);
  gen_kv (g, "ociVersion", s->oci_version);
  gen_kv (g, "id", s->id);
  gen_str (g, "pid");
  yajl_gen_integer (g, s->pid);
  gen_kv (g, "status", s->status);
  gen_kv (g, "bundle", s->bundle);
  gen_kv (g, "created", e->created);
  if (s->n_annotations)
    {
      gen_str (g, "annotations");
      yajl_gen_map_open (g);
      for (size_t i = 0; i < s->n_annotations; i++)
        gen_kv (g, s->annotations[i].key, s->annotations[i].value);
      yajl_gen_map_close (g);
    }
  gen_kv (g, "owner", e->owner);
  yajl_gen_map_close (g);
}

/* runc's JSON list: an array of states, null when there is none. */
static int
print_list_json (const struct husk_list_entry *l, size_t n, husk_err **err)
{
  __attribute__ ((cleanup (gen_freep))) yajl_gen g = yajl_gen_alloc (NULL);

  if (g == NULL)
    return husk_error (err, ENOMEM, "list");
  if (n == 0)
    yajl_gen_null (g);
  else
    {
      yajl_gen_array_open (g);
      for (size_t i = 0; i < n; i++)
        gen_list_entry (g, &l[i]);
      yajl_gen_array_close (g);
    }
  return gen_print (g, "list", err);
}

enum { LIST_COLS = 6 };

static void
list_row (const struct husk_list_entry *e, char *pid, size_t pid_size,
          const char **cell)
{
  snprintf (pid, pid_size, "%d", (int) e->state->pid);
  cell[0] = e->state->id;
  cell[1] = pid;
  cell[2] = e->state->status;
  cell[3] = e->state->bundle;
  cell[4] = e->created;
  cell[5] = e->owner;
  for (int c = 0; c < LIST_COLS; c++)
    cell[c] = cell[c] ? cell[c] : "";
}

/* Columns as runc's tabwriter lays them out: at least 12 wide, 3 apart. */
static void
print_list_table (const struct husk_list_entry *l, size_t n)
{
  static const char *const head[LIST_COLS]
      = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
  const char *cell[LIST_COLS];
  size_t width[LIST_COLS];
  char pid[24];

  for (int c = 0; c < LIST_COLS; c++)
    width[c] = strlen (head[c]);
  for (size_t i = 0; i < n; i++)
    {
      list_row (&l[i], pid, sizeof pid, cell);
      for (int c = 0; c < LIST_COLS; c++)
        if (strlen (cell[c]) > width[c])
          width[c] = strlen (cell[c]);
    }
  for (int c = 0; c < LIST_COLS; c++)
    width[c] = width[c] + 3 < 12 ? 12 : width[c] + 3;

  for (size_t i = 0; i <= n; i++)
    {
      if (i == 0)
        memcpy (cell, head, sizeof cell);
      else
        list_row (&l[i - 1], pid, sizeof pid, cell);
      for (int c = 0; c < LIST_COLS - 1; c++)
        printf ("%-*s", (int) width[c], cell[c]);
      printf ("%s\n", cell[LIST_COLS - 1]);
    }
}

static int
do_list (const struct husk_globals *g, const struct cmd_command *cmd,
         const struct cmd_args *a, int *exit_status, husk_err **err)
{
  struct husk_list_entry *l = NULL;
  enum output_format format;
  bool quiet = false;
  size_t n = 0;
  int rc = 0;

  if (parse_format ("list", a, &format, err) < 0)
    return -1;
  for (size_t i = 0; i < a->n_opts; i++)
    if (a->opts[i].opt->id == O_QUIET)
      quiet = strcmp (a->opts[i].value, "true") == 0;
  if (husk_list (g, &l, &n, err) < 0)
    return -1;
  if (quiet)
    for (size_t i = 0; i < n; i++)
      printf ("%s\n", l[i].state->id);
  else if (format == FORMAT_JSON)
    rc = print_list_json (l, n, err);
  else
    print_list_table (l, n);
  husk_list_free (l, n);
  return rc;
}

/* Runs ps(1) with args and returns its whole output (stdout and stderr). */
static int
run_ps (char **ps_args, char **out, husk_err **err)
{
  int fds[2];
  pid_t pid;
  int status;
  char *buf = NULL;
  size_t len = 0;
  FILE *mem;

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return husk_error (err, errno, "ps: pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (fds[0]);
      close (fds[1]);
      return husk_error (err, errno, "ps: fork");
    }
  if (pid == 0)
    {
      dup2 (fds[1], STDOUT_FILENO);
      dup2 (fds[1], STDERR_FILENO);
      execvp ("ps", ps_args);
      dprintf (STDERR_FILENO, "exec ps: %s\n", strerror (errno));
      _exit (127);
    }
  close (fds[1]);
  mem = open_memstream (&buf, &len);
  if (mem)
    {
      char chunk[4096];
      ssize_t r;
      while ((r = read (fds[0], chunk, sizeof chunk)) > 0
             || (r < 0 && errno == EINTR))
        if (r > 0)
          fwrite (chunk, 1, (size_t) r, mem);
      fclose (mem);
    }
  close (fds[0]);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (mem == NULL || buf == NULL)
    {
      free (buf);
      return husk_error (err, ENOMEM, "ps: reading its output");
    }
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      husk_error (err, 0, "ps failed: %s", buf);
      free (buf);
      return -1;
    }
  *out = buf;
  return 0;
}

static int
find_pid_column (const char *header, size_t *col)
{
  cleanup_free char *copy = strdup (header);
  char *save = NULL;
  size_t i = 0;

  if (copy == NULL)
    return -1;
  for (char *f = strtok_r (copy, " \t", &save); f; f = strtok_r (NULL, " \t", &save), i++)
    if (strcmp (f, "PID") == 0)
      return *col = i, 0;
  return -1;
}

static bool
line_pid (const char *line, size_t col, pid_t *pid)
{
  cleanup_free char *copy = strdup (line);
  char *save = NULL, *end;
  size_t i = 0;

  if (copy == NULL)
    return false;
  for (char *f = strtok_r (copy, " \t", &save); f; f = strtok_r (NULL, " \t", &save), i++)
    if (i == col)
      {
        long v = strtol (f, &end, 10);
        *pid = (pid_t) v;
        return *end == '\0' && end != f;
      }
  return false;
}

/* The lines of `ps ARGS` (default -ef) whose PID is the container's, as
 * runc prints them. */
static int
print_ps_table (char **ps_argv, const pid_t *pids, size_t n, husk_err **err)
{
  cleanup_free char *out = NULL;
  char *save = NULL;
  size_t col;

  if (run_ps (ps_argv, &out, err) < 0)
    return -1;
  char *header = strtok_r (out, "\n", &save);
  if (header == NULL || find_pid_column (header, &col) < 0)
    return husk_error (err, 0, "ps: no PID column in the output of ps");
  printf ("%s\n", header);
  for (char *line = strtok_r (NULL, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    {
      pid_t pid;
      if (!line_pid (line, col, &pid))
        return husk_error (err, 0, "ps: cannot read the pid of \"%s\"", line);
      for (size_t i = 0; i < n; i++)
        if (pids[i] == pid)
          {
            printf ("%s\n", line);
            break;
          }
    }
  return 0;
}

static int
print_ps_json (const pid_t *pids, size_t n, husk_err **err)
{
  __attribute__ ((cleanup (gen_freep))) yajl_gen g = yajl_gen_alloc (NULL);

  if (g == NULL)
    return husk_error (err, ENOMEM, "ps");
  if (n == 0)
    yajl_gen_null (g);
  else
    {
      yajl_gen_array_open (g);
      for (size_t i = 0; i < n; i++)
        yajl_gen_integer (g, pids[i]);
      yajl_gen_array_close (g);
    }
  return gen_print (g, "ps", err);
}

static int
do_ps (const struct husk_globals *g, const struct cmd_command *cmd,
       const struct cmd_args *a, int *exit_status, husk_err **err)
{
  cleanup_free pid_t *pids = NULL;
  cleanup_free char **ps_argv = NULL;
  enum output_format format;
  size_t n = 0, n_ps_args = a->n_pos - 1;
  char **ps_args = a->pos + 1;

  if (parse_format ("ps", a, &format, err) < 0)
    return -1;
  if (n_ps_args && strcmp (ps_args[0], "--") == 0)
    ps_args++, n_ps_args--;
  if (format == FORMAT_JSON && n_ps_args)
    return husk_error (err, 0, "ps: ps arguments cannot be used with --format json");
  if (husk_ps (g, a->pos[0], &pids, &n, err) < 0)
    return -1;
  if (format == FORMAT_JSON)
    return print_ps_json (pids, n, err);

  ps_argv = calloc (n_ps_args + 3, sizeof *ps_argv);
  if (ps_argv == NULL)
    return husk_error (err, ENOMEM, "ps");
  ps_argv[0] = (char *) "ps";
  if (n_ps_args == 0)
    ps_argv[1] = (char *) "-ef";
  else
    memcpy (ps_argv + 1, ps_args, n_ps_args * sizeof *ps_argv);
  return print_ps_table (ps_argv, pids, n, err);
}

static int
write_all (int fd, const char *s, size_t n)
{
  while (n > 0)
    {
      ssize_t w = write (fd, s, n);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return -1;
      s += w;
      n -= (size_t) w;
    }
  return 0;
}

/* config.json is created, never replaced (as runc does), and removed again
 * if it cannot be written whole. */
static int
do_spec (const struct husk_globals *g, const struct cmd_command *cmd,
         const struct cmd_args *a, int *exit_status, husk_err **err)
{
  const char *dir = ".";
  bool rootless = false;
  cleanup_free char *json = NULL;
  cleanup_close int dirfd = -1;
  cleanup_close int fd = -1;
  size_t len = 0;

  for (size_t i = 0; i < a->n_opts; i++)
    {
      if (a->opts[i].opt->id == O_BUNDLE)
        dir = a->opts[i].value;
      else if (a->opts[i].opt->id == O_ROOTLESS)
        rootless = strcmp (a->opts[i].value, "true") == 0;
    }
  if (*dir == '\0')
    return husk_error (err, 0, "spec: --bundle: expected a directory, got \"\"");
  if (oci_default_config_json (rootless, &json, &len, err) < 0)
    return husk_err_wrap (err, "spec");

  dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return husk_error (err, errno, "spec: %s", dir);
  fd = openat (dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
               0666);
  if (fd < 0 && errno == EEXIST)
    return husk_error (err, 0, "spec: File %s/config.json exists. Remove it first", dir);
  if (fd < 0)
    return husk_error (err, errno, "spec: creating %s/config.json", dir);
  bool newline = len == 0 || json[len - 1] != '\n';
  if (write_all (fd, json, len) < 0 || (newline && write_all (fd, "\n", 1) < 0)
      || close (fd) < 0)
    {
      int e = errno;
      fd = -1;
      unlinkat (dirfd, "config.json", 0);
      return husk_error (err, e, "spec: writing %s/config.json", dir);
    }
  fd = -1;
  return 0;
}

static int
do_features (const struct husk_globals *g, const struct cmd_command *cmd,
             const struct cmd_args *a, int *exit_status, husk_err **err)
{
  cleanup_free char *json = NULL;
  size_t len = 0;

  if (oci_features_json (&json, &len, err) < 0)
    return husk_err_wrap (err, "features");
  fwrite (json, 1, len, stdout);
  if (len == 0 || json[len - 1] != '\n')
    putchar ('\n');
  return 0;
}

static int
do_unsupported (const struct husk_globals *g, const struct cmd_command *cmd,
                const struct cmd_args *a, int *exit_status, husk_err **err)
{
  return husk_error (err, 0, "%s: not supported: husk has no checkpoint/restore (CRIU) support",
                     cmd->name);
}

const struct cmd_command cmd_list = {
  .name = "list",
  .usage = "[OPTIONS]",
  .summary = "list the containers under the state directory (--root)",
  .opts = list_opts,
  .min_args = 0,
  .max_args = 0,
  .run = do_list,
};

const struct cmd_command cmd_ps = {
  .name = "ps",
  .usage = "[OPTIONS] ID [PS ARGS...]",
  .summary = "show the processes of a container",
  .description =
      "In the table format husk runs ps(1) with PS ARGS (default -ef) and\n"
      "prints the lines of the container's processes; --format json prints\n"
      "the array of their host pids.  Flags must come before ID.\n",
  .opts = ps_opts,
  .flags_first = true,
  .min_args = 1,
  .max_args = -1,
  .run = do_ps,
};

const struct cmd_command cmd_spec = {
  .name = "spec",
  .usage = "[OPTIONS]",
  .summary = "write a default config.json",
  .description =
      "Writes a config.json like runc's default: 'sh' on a terminal, the\n"
      "rootfs in ./rootfs read-only, new pid, network, ipc, uts and mount\n"
      "namespaces.  An existing config.json is never replaced.\n",
  .opts = spec_opts,
  .min_args = 0,
  .max_args = 0,
  .run = do_spec,
};

const struct cmd_command cmd_features = {
  .name = "features",
  .usage = "",
  .summary = "print the features husk supports (runtime-spec features.json)",
  .opts = no_opts,
  .min_args = 0,
  .max_args = 0,
  .run = do_features,
};

const struct cmd_command cmd_checkpoint = {
  .name = "checkpoint",
  .usage = "[OPTIONS] ID",
  .summary = "checkpoint a container (not supported: no CRIU support)",
  .opts = no_opts,
  .unsupported = true,
  .run = do_unsupported,
};

const struct cmd_command cmd_restore = {
  .name = "restore",
  .usage = "[OPTIONS] ID",
  .summary = "restore a container from a checkpoint (not supported: no CRIU support)",
  .opts = no_opts,
  .unsupported = true,
  .run = do_unsupported,
};
