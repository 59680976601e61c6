/* The state document of runtime-spec runtime.md ("state" output, state
 * given to hooks on stdin). */
#include "parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

static yajl_gen_status
put_string (yajl_gen g, const char *s)
{
  return yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static yajl_gen_status
put_field (yajl_gen g, const char *key, const char *value)
{
  yajl_gen_status st = put_string (g, key);
  return st == yajl_gen_status_ok ? put_string (g, value ? value : "") : st;
}

static yajl_gen_status
put_state (yajl_gen g, const struct oci_state *s)
{
  yajl_gen_status st = yajl_gen_map_open (g);

#define PUT(call) \
  if (st == yajl_gen_status_ok) \
    st = (call)
  PUT (put_field (g, "ociVersion",
                  s->oci_version ? s->oci_version : HUSK_OCI_VERSION));
  PUT (put_field (g, "id", s->id));
  PUT (put_field (g, "status", s->status));
  /* runc prints pid 0 for a stopped container rather than leaving it out */
  PUT (put_string (g, "pid"));
  PUT (yajl_gen_integer (g, s->pid));
  PUT (put_field (g, "bundle", s->bundle));
  if (s->n_annotations)
    {
      PUT (put_string (g, "annotations"));
      PUT (yajl_gen_map_open (g));
      for (size_t i = 0; i < s->n_annotations; i++)
        PUT (put_field (g, s->annotations[i].key, s->annotations[i].value));
      PUT (yajl_gen_map_close (g));
    }
  PUT (yajl_gen_map_close (g));
#undef PUT
  return st;
}

int
oci_state_to_json (const struct oci_state *s, bool pretty, char **out,
                   size_t *len, husk_err **err)
{
  const unsigned char *buf;
  yajl_gen_status st;
  size_t n;
  yajl_gen g = yajl_gen_alloc (NULL);

  *out = NULL;
  if (g == NULL)
    return husk_error (err, ENOMEM, "state of %s", s->id);
  yajl_gen_config (g, yajl_gen_beautify, pretty ? 1 : 0);
  yajl_gen_config (g, yajl_gen_indent_string, "  ");
  /* a bundle path that is not UTF-8 would make a document no JSON reader
   * takes: refuse it here rather than write it */
  yajl_gen_config (g, yajl_gen_validate_utf8, 1);
  st = put_state (g, s);
  if (st == yajl_gen_status_ok)
    st = yajl_gen_get_buf (g, &buf, &n);
  if (st != yajl_gen_status_ok)
    {
      yajl_gen_free (g);
      if (st == yajl_gen_invalid_string)
        return husk_error (err, 0, "state of %s: a field is not valid UTF-8",
                           s->id);
      return husk_error (err, 0, "state of %s: cannot write JSON (yajl "
                         "status %d)", s->id, (int) st);
    }
  *out = strndup ((const char *) buf, n);
  yajl_gen_free (g);
  if (*out == NULL)
    return husk_error (err, ENOMEM, "state of %s", s->id);
  if (len)
    *len = n;
  return 0;
}
