/* config.json: the top of the document (version, root, mounts, hooks,
 * annotations) and the entry points that read and parse files. */
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"

/* ---------- ociVersion ---------- */

static bool
parse_num (const char **s, unsigned long *out)
{
  char *end;
  if (**s < '0' || **s > '9' || (**s == '0' && (*s)[1] >= '0' && (*s)[1] <= '9'))
    return false;
  errno = 0;
  *out = strtoul (*s, &end, 10);
  if (errno)
    return false;
  *s = end;
  return true;
}

/* MAJOR.MINOR.PATCH with an optional -prerelease or +build suffix
 * ("1.0.2-dev", "1.0.0-rc5"); only 1.0 to the newest 1.x that husk knows
 * are taken: a later minor may carry fields husk would silently ignore. */
static int
parse_version (struct jw *w, yajl_val top, char **out)
{
  const char *s;
  unsigned long major, minor, patch;
  size_t saved;
  yajl_val v = jw_field (top, "ociVersion");

  if (v == NULL)
    return jw_missing (w, "ociVersion");
  saved = jw_push_key (w, "ociVersion");
  if (!YAJL_IS_STRING (v))
    return jw_expected (w, "a string", v);
  s = v->u.string;
  if (!parse_num (&s, &major) || *s++ != '.' || !parse_num (&s, &minor)
      || *s++ != '.' || !parse_num (&s, &patch)
      || (*s && *s != '-' && *s != '+'))
    return jw_expected (w, "a version like \"1.2.0\"", v);
  if (major != 1 || minor > 3)
    return jw_expected (w, "a 1.x version from 1.0.0 to 1.3.x (husk supports "
                        "runtime-spec " HUSK_OCI_VERSION ")", v);
  jw_pop (w, saved);
  return jw_string (w, v, out);
}

/* ---------- root, mounts ---------- */

static int
get_nonempty (struct jw *w, yajl_val o, const char *key, char **out)
{
  if (jw_get_string (w, o, key, true, out) < 0)
    return -1;
  if (**out == '\0')
    {
      jw_push_key (w, key);
      return jw_expected (w, "a non-empty path", jw_field (o, key));
    }
  return 0;
}

static int
parse_root (struct jw *w, yajl_val top, struct oci_config *c)
{
  yajl_val o;
  size_t saved;

  if (jw_get_object (w, top, "root", true, &o) < 0)
    return -1;
  c->root = calloc (1, sizeof *c->root);
  if (c->root == NULL)
    return jw_oom (w);
  saved = jw_push_key (w, "root");
  if (get_nonempty (w, o, "path", &c->root->path) < 0
      || jw_get_bool (w, o, "readonly", NULL, &c->root->readonly) < 0)
    return -1;
  jw_pop (w, saved);
  return 0;
}

static int
parse_id_mapping (struct jw *w, yajl_val o, void *elem)
{
  struct oci_id_mapping *m = elem;
  return (jw_get_u32 (w, o, "containerID", true, NULL, &m->container_id) < 0
          || jw_get_u32 (w, o, "hostID", true, NULL, &m->host_id) < 0
          || jw_get_u32 (w, o, "size", true, NULL, &m->size) < 0)
             ? -1 : 0;
}

int
oci_parse_id_mappings (struct jw *w, yajl_val obj, const char *key,
                       struct oci_id_mapping **out, size_t *n)
{
  return jw_get_array_of (w, obj, key, sizeof **out, parse_id_mapping,
                          (void **) out, n);
}

static int
parse_mount (struct jw *w, yajl_val o, void *elem)
{
  struct oci_mount *m = elem;

  if (get_nonempty (w, o, "destination", &m->destination) < 0
      || jw_get_string (w, o, "type", false, &m->type) < 0
      || jw_get_string (w, o, "source", false, &m->source) < 0
      || jw_get_strv (w, o, "options", false, false, &m->options) < 0
      || oci_parse_id_mappings (w, o, "uidMappings", &m->uid_mappings,
                                &m->n_uid_mappings) < 0
      || oci_parse_id_mappings (w, o, "gidMappings", &m->gid_mappings,
                                &m->n_gid_mappings) < 0)
    return -1;
  return 0;
}

/* ---------- hooks ---------- */

static int
parse_hook (struct jw *w, yajl_val o, void *elem)
{
  struct oci_hook *h = elem;
  int64_t timeout;

  if (jw_get_abs_path (w, o, "path", true, &h->path) < 0
      || jw_get_strv (w, o, "args", false, false, &h->args) < 0
      || jw_get_strv (w, o, "env", false, false, &h->env) < 0
      || jw_get_int (w, o, "timeout", 1, INT32_MAX, false, &h->has_timeout,
                     &timeout) < 0)
    return -1;
  if (h->has_timeout)
    h->timeout = (int) timeout;
  return 0;
}

static int
parse_hook_list (struct jw *w, yajl_val o, const char *key,
                 struct oci_hook_list *l)
{
  return jw_get_array_of (w, o, key, sizeof *l->hooks, parse_hook,
                          (void **) &l->hooks, &l->n);
}

static int
parse_hooks (struct jw *w, yajl_val top, struct oci_config *c)
{
  struct oci_hooks *h;
  yajl_val o;
  size_t saved;

  if (jw_get_object (w, top, "hooks", false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  h = c->hooks = calloc (1, sizeof *c->hooks);
  if (h == NULL)
    return jw_oom (w);
  saved = jw_push_key (w, "hooks");
  if (parse_hook_list (w, o, "prestart", &h->prestart) < 0
      || parse_hook_list (w, o, "createRuntime", &h->create_runtime) < 0
      || parse_hook_list (w, o, "createContainer", &h->create_container) < 0
      || parse_hook_list (w, o, "startContainer", &h->start_container) < 0
      || parse_hook_list (w, o, "poststart", &h->poststart) < 0
      || parse_hook_list (w, o, "poststop", &h->poststop) < 0)
    return -1;
  jw_pop (w, saved);
  return 0;
}

/* ---------- sections ---------- */

static int
parse_process_section (struct jw *w, yajl_val top, struct oci_config *c)
{
  yajl_val o;
  size_t saved;

  if (jw_get_object (w, top, "process", false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  c->process = calloc (1, sizeof *c->process);
  if (c->process == NULL)
    return jw_oom (w);
  saved = jw_push_key (w, "process");
  if (oci_parse_process (w, o, c->process) < 0)
    return -1;
  jw_pop (w, saved);
  return 0;
}

static int
parse_linux_section (struct jw *w, yajl_val top, struct oci_config *c)
{
  yajl_val o;
  size_t saved;

  if (jw_get_object (w, top, "linux", false, &o) < 0)
    return -1;
  if (o == NULL)
    return 0;
  c->linux_ = calloc (1, sizeof *c->linux_);
  if (c->linux_ == NULL)
    return jw_oom (w);
  saved = jw_push_key (w, "linux");
  if (oci_parse_linux (w, o, c->linux_) < 0)
    return -1;
  jw_pop (w, saved);
  return 0;
}

static int
parse_document (struct jw *w, yajl_val top, struct oci_config *c)
{
  if (parse_version (w, top, &c->oci_version) < 0
      || parse_root (w, top, c) < 0
      || parse_process_section (w, top, c) < 0
      || jw_get_string (w, top, "hostname", false, &c->hostname) < 0
      || jw_get_string (w, top, "domainname", false, &c->domainname) < 0
      || jw_get_array_of (w, top, "mounts", sizeof *c->mounts, parse_mount,
                          (void **) &c->mounts, &c->n_mounts) < 0
      || parse_hooks (w, top, c) < 0
      || jw_get_kv (w, top, "annotations", &c->annotations,
                    &c->n_annotations) < 0
      || parse_linux_section (w, top, c) < 0)
    return -1;
  return 0;
}

/* The three documents differ only in what their top is. */
typedef int (*top_fn) (struct jw *w, yajl_val top, void *out);
typedef void (*free_fn) (void *out);

static int
parse_top (const char *buf, size_t len, const char *name, size_t size,
           top_fn parse, free_fn release, void **out, husk_err **err)
{
  struct jw w;
  struct jw_tree tree;
  void *doc;
  int r;

  *out = NULL;
  jw_init (&w, name, err);
  if (jw_parse_tree (&w, buf, len, &tree) < 0)
    return -1;
  doc = calloc (1, size);
  r = doc ? parse (&w, tree.top, doc) : jw_oom (&w);
  jw_tree_free (&tree);
  if (r < 0)
    {
      release (doc);
      return -1;
    }
  *out = doc;
  return 0;
}

static int
config_top (struct jw *w, yajl_val top, void *out)
{
  return parse_document (w, top, out);
}

static int
process_top (struct jw *w, yajl_val top, void *out)
{
  return oci_parse_process (w, top, out);
}

static int
resources_top (struct jw *w, yajl_val top, void *out)
{
  return oci_parse_resources (w, top, out);
}

static int
seccomp_top (struct jw *w, yajl_val top, void *out)
{
  return oci_parse_seccomp (w, top, out);
}

static void
config_release (void *p)
{
  oci_config_free (p);
}

static void
process_release (void *p)
{
  oci_process_free (p);
}

static void
resources_release (void *p)
{
  oci_resources_free (p);
}

static void
seccomp_release (void *p)
{
  oci_seccomp_free (p);
}

int
oci_config_parse (const char *buf, size_t len, const char *name,
                  struct oci_config **out, husk_err **err)
{
  return parse_top (buf, len, name, sizeof **out, config_top, config_release,
                    (void **) out, err);
}

int
oci_process_parse (const char *buf, size_t len, const char *name,
                   struct oci_process **out, husk_err **err)
{
  return parse_top (buf, len, name, sizeof **out, process_top,
                    process_release, (void **) out, err);
}

int
oci_resources_parse (const char *buf, size_t len, const char *name,
                     struct oci_resources **out, husk_err **err)
{
  return parse_top (buf, len, name, sizeof **out, resources_top,
                    resources_release, (void **) out, err);
}

int
oci_seccomp_parse (const char *buf, size_t len, const char *name,
                   struct oci_seccomp **out, husk_err **err)
{
  return parse_top (buf, len, name, sizeof **out, seccomp_top,
                    seccomp_release, (void **) out, err);
}

/* ---------- files ---------- */

/* Refuses by size before reading (a config.json of gigabytes must not be
 * slurped into memory), and anything but a regular file. */
int
oci_document_read (int dirfd, const char *path, char **out, size_t *len,
               husk_err **err)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  struct stat st;
  size_t got = 0;

  /* O_NONBLOCK: a FIFO planted as config.json must not hang us in open();
   * it is refused below, and reads of regular files ignore the flag. */
  fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return husk_error (err, errno, "%s: cannot open", path);
  if (fstat (fd, &st) < 0)
    return husk_error (err, errno, "%s: cannot stat", path);
  if (!S_ISREG (st.st_mode))
    return husk_error (err, 0, "%s: not a regular file", path);
  if ((uintmax_t) st.st_size > HUSK_CONFIG_MAX)
    return husk_error (err, 0, "%s: file too large (%jd bytes; the limit is "
                       "%u bytes)", path, (intmax_t) st.st_size,
                       HUSK_CONFIG_MAX);
  buf = malloc ((size_t) st.st_size + 1);
  if (buf == NULL)
    return husk_error (err, ENOMEM, "%s", path);
  /* Read one byte past the size seen: a file that grew meanwhile is
   * refused rather than cut. */
  while (got <= (size_t) st.st_size)
    {
      ssize_t n = read (fd, buf + got, (size_t) st.st_size + 1 - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return husk_error (err, errno, "%s: cannot read", path);
      if (n == 0)
        break;
      got += (size_t) n;
    }
  if (got > (size_t) st.st_size)
    return husk_error (err, 0, "%s: file changed while being read", path);
  *out = steal_ptr (&buf);
  *len = got;
  return 0;
}

static int
load_top (int dirfd, const char *path, size_t size, top_fn parse,
          free_fn release, void **out, husk_err **err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;

  *out = NULL;
  if (oci_document_read (dirfd, path, &buf, &len, err) < 0)
    return -1;
  return parse_top (buf, len, path, size, parse, release, out, err);
}

int
oci_config_load (int dirfd, const char *path, struct oci_config **out,
                 husk_err **err)
{
  return load_top (dirfd, path, sizeof **out, config_top, config_release,
                   (void **) out, err);
}

int
oci_process_load (int dirfd, const char *path, struct oci_process **out,
                  husk_err **err)
{
  return load_top (dirfd, path, sizeof **out, process_top, process_release,
                   (void **) out, err);
}

int
oci_resources_load (int dirfd, const char *path, struct oci_resources **out,
                    husk_err **err)
{
  return load_top (dirfd, path, sizeof **out, resources_top,
                   resources_release, (void **) out, err);
}

int
oci_seccomp_load (int dirfd, const char *path, struct oci_seccomp **out,
                  husk_err **err)
{
  return load_top (dirfd, path, sizeof **out, seccomp_top, seccomp_release,
                   (void **) out, err);
}
