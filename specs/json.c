/* JSON walking for the specs parsers: syntax check, tree, typed field
 * access with the JSON path kept for error messages. */
#include "parse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "../lib/cleanup.h"

void
jw_init (struct jw *w, const char *name, husk_err **err)
{
  w->name = name;
  w->err = err;
  w->len = 0;
  w->path[0] = '\0';
}

/* ---------- the tree ----------
 *
 * One pass of yajl's event parser checks the text (depth, number of values,
 * NUL characters in strings) and builds the tree.  The nodes are
 * yajl_tree's own struct, so the walkers read them as before, but they
 * live in a few large blocks: yajl_tree_parse, after a first pass to
 * check, spent some 90 KB in 2,000 small allocations on the 14 KB config
 * `husk spec` writes, and every fresh page of heap is a page fault, which
 * on a virtualised host is dear.  Numbers keep only their text (number.r,
 * flags 0): the walkers convert it themselves. */

#define BLOCK_MIN 16384

struct jw_block
{
  struct jw_block *next;
  size_t used, size;
  max_align_t data[];
};

struct build
{
  unsigned depth;
  size_t values;
  bool too_deep, too_many, nul, oom;
  struct jw_block *blocks;
  /* The members of the open containers, innermost last, each with its key
   * (NULL in arrays); open[d] is where the members of depth d begin. */
  yajl_val *vals;
  const char **keys;
  size_t n, cap;
  const char *key;
  yajl_val cont[JW_MAX_DEPTH + 1];
  size_t open[JW_MAX_DEPTH + 1];
  yajl_val top;
};

static void *
arena_alloc (struct build *b, size_t size)
{
  struct jw_block *blk = b->blocks;
  void *p;

  size = (size + 7) & ~(size_t) 7;
  if (blk == NULL || blk->size - blk->used < size)
    {
      size_t want = size > BLOCK_MIN ? size : BLOCK_MIN;
      blk = malloc (sizeof *blk + want);
      if (blk == NULL)
        {
          b->oom = true;
          return NULL;
        }
      blk->next = b->blocks;
      blk->used = 0;
      blk->size = want;
      b->blocks = blk;
    }
  p = (char *) blk->data + blk->used;
  blk->used += size;
  return p;
}

static char *
arena_str (struct build *b, const void *s, size_t len)
{
  char *p = arena_alloc (b, len + 1);

  if (p)
    {
      memcpy (p, s, len);
      p[len] = '\0';
    }
  return p;
}

static yajl_val
node (struct build *b, yajl_type type)
{
  yajl_val v;

  if (++b->values > JW_MAX_VALUES)
    {
      b->too_many = true;
      return NULL;
    }
  v = arena_alloc (b, sizeof *v);
  if (v)
    {
      memset (v, 0, sizeof *v);
      v->type = type;
    }
  return v;
}

/* v becomes a member of the innermost open container (or the top). */
static int
add (struct build *b, yajl_val v)
{
  if (v == NULL)
    return 0;
  if (b->depth == 0)
    {
      b->top = v;
      return 1;
    }
  if (b->n == b->cap)
    {
      size_t cap = b->cap ? 2 * b->cap : 256;
      yajl_val *vals = realloc (b->vals, cap * sizeof *vals);
      if (vals)
        b->vals = vals;
      const char **keys = vals ? realloc (b->keys, cap * sizeof *keys) : NULL;
      if (keys == NULL)
        {
          b->oom = true;
          return 0;
        }
      b->keys = keys;
      b->cap = cap;
    }
  b->keys[b->n] = b->key;
  b->vals[b->n++] = v;
  b->key = NULL;
  return 1;
}

static int
on_null (void *ctx)
{
  struct build *b = ctx;
  return add (b, node (b, yajl_t_null));
}

static int
on_bool (void *ctx, int t)
{
  struct build *b = ctx;
  return add (b, node (b, t ? yajl_t_true : yajl_t_false));
}

static int
on_number (void *ctx, const char *s, size_t len)
{
  struct build *b = ctx;
  yajl_val v = node (b, yajl_t_number);

  if (v && (v->u.number.r = arena_str (b, s, len)) == NULL)
    return 0;
  return add (b, v);
}

/* Strings stay NUL-terminated: an embedded NUL would silently cut a path or
 * an argument short, so such a document is refused. */
static char *
text (struct build *b, const unsigned char *s, size_t len)
{
  if (memchr (s, '\0', len))
    {
      b->nul = true;
      return NULL;
    }
  return arena_str (b, s, len);
}

static int
on_string (void *ctx, const unsigned char *s, size_t len)
{
  struct build *b = ctx;
  yajl_val v = node (b, yajl_t_string);

  if (v && (v->u.string = text (b, s, len)) == NULL)
    return 0;
  return add (b, v);
}

static int
on_key (void *ctx, const unsigned char *s, size_t len)
{
  struct build *b = ctx;
  return (b->key = text (b, s, len)) != NULL;
}

static int
on_open (struct build *b, yajl_type type)
{
  yajl_val v;

  if (b->depth == JW_MAX_DEPTH)
    {
      b->too_deep = true;
      return 0;
    }
  v = node (b, type);
  if (!add (b, v))
    return 0;
  b->depth++;
  b->cont[b->depth] = v;
  b->open[b->depth] = b->n;
  return 1;
}

static int
on_open_map (void *ctx)
{
  return on_open (ctx, yajl_t_object);
}

static int
on_open_array (void *ctx)
{
  return on_open (ctx, yajl_t_array);
}

static int
on_close (void *ctx)
{
  struct build *b = ctx;
  yajl_val v = b->cont[b->depth];
  size_t from = b->open[b->depth], len = b->n - from;
  yajl_val *vals = NULL;

  if (len)
    {
      vals = arena_alloc (b, len * sizeof *vals);
      if (vals == NULL)
        return 0;
      memcpy (vals, b->vals + from, len * sizeof *vals);
    }
  if (v->type == yajl_t_array)
    {
      v->u.array.values = vals;
      v->u.array.len = len;
    }
  else
    {
      const char **keys = NULL;
      if (len && (keys = arena_alloc (b, len * sizeof *keys)) == NULL)
        return 0;
      if (len)
        memcpy (keys, b->keys + from, len * sizeof *keys);
      v->u.object.keys = keys;
      v->u.object.values = vals;
      v->u.object.len = len;
    }
  b->n = from;
  b->depth--;
  return 1;
}

static const yajl_callbacks build_callbacks = {
  .yajl_null = on_null,
  .yajl_boolean = on_bool,
  .yajl_number = on_number,
  .yajl_string = on_string,
  .yajl_map_key = on_key,
  .yajl_start_map = on_open_map,
  .yajl_end_map = on_close,
  .yajl_start_array = on_open_array,
  .yajl_end_array = on_close,
};

static void
line_col (const char *buf, size_t off, size_t *line, size_t *col)
{
  size_t l = 1, start = 0;
  for (size_t i = 0; i < off; i++)
    if (buf[i] == '\n')
      {
        l++;
        start = i + 1;
      }
  *line = l;
  *col = off - start + 1;
}

static int
build_error (struct jw *w, yajl_handle h, const struct build *b,
             const char *buf, size_t len, size_t off)
{
  size_t line, col;

  if (b->oom)
    return jw_oom (w);
  if (off > len)
    off = len;
  line_col (buf, off, &line, &col);
  if (b->too_deep)
    return jw_fail (w, "JSON nested more than %d levels deep at line %zu, "
                    "column %zu", JW_MAX_DEPTH, line, col);
  if (b->too_many)
    return jw_fail (w, "more than %d JSON values, at line %zu, column %zu",
                    JW_MAX_VALUES, line, col);
  if (b->nul)
    return jw_fail (w, "string with a NUL character (\\u0000) at line %zu, "
                    "column %zu", line, col);

  unsigned char *msg = yajl_get_error (h, 0, (const unsigned char *) buf, len);
  const char *reason = msg ? (const char *) msg : "syntax error";
  size_t rlen = strlen (reason);
  while (rlen && (reason[rlen - 1] == '\n' || reason[rlen - 1] == '.'))
    rlen--;
  jw_fail (w, "invalid JSON at line %zu, column %zu: %.*s", line, col,
           (int) rlen, reason);
  if (msg)
    yajl_free_error (h, msg);
  return -1;
}

static bool
blank (const char *buf, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (!strchr (" \t\r\n", buf[i]))
      return false;
  return true;
}

void
jw_tree_free (struct jw_tree *t)
{
  for (struct jw_block *blk = t->blocks, *next; blk; blk = next)
    {
      next = blk->next;
      free (blk);
    }
  t->blocks = NULL;
  t->top = NULL;
}

int
jw_parse_tree (struct jw *w, const char *buf, size_t len, struct jw_tree *out)
{
  struct build b = { 0 };
  yajl_handle h;
  int r = 0;

  out->top = NULL;
  out->blocks = NULL;
  if (blank (buf, len))
    return jw_fail (w, "empty document: expected a JSON object");
  h = yajl_alloc (&build_callbacks, NULL, &b);
  if (h == NULL)
    return jw_oom (w);
  /* yajl counts the offending token as consumed: point at its last byte */
  if (yajl_parse (h, (const unsigned char *) buf, len) != yajl_status_ok)
    {
      size_t consumed = yajl_get_bytes_consumed (h);
      r = build_error (w, h, &b, buf, len, consumed ? consumed - 1 : 0);
    }
  else if (yajl_complete_parse (h) != yajl_status_ok)
    r = build_error (w, h, &b, buf, len, len);
  yajl_free (h);
  free (b.vals);
  free (b.keys);
  out->blocks = b.blocks;
  out->top = b.top;
  if (r == 0 && !YAJL_IS_OBJECT (out->top))
    r = jw_expected (w, "a JSON object", out->top);
  if (r < 0)
    jw_tree_free (out);
  return r;
}

/* ---------- paths and errors ---------- */

static size_t
jw_append (struct jw *w, const char *fmt, ...)
{
  size_t saved = w->len;
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (w->path + w->len, sizeof w->path - w->len, fmt, ap);
  va_end (ap);
  if (n > 0)
    {
      w->len += (size_t) n;
      if (w->len >= sizeof w->path)
        w->len = sizeof w->path - 1; /* truncated: still a useful prefix */
    }
  return saved;
}

size_t
jw_push_key (struct jw *w, const char *key)
{
  return jw_append (w, w->len ? ".%s" : "%s", key);
}

size_t
jw_push_index (struct jw *w, size_t i)
{
  return jw_append (w, "[%zu]", i);
}

size_t
jw_push_map_key (struct jw *w, const char *key)
{
  char quoted[256];
  return jw_append (w, "[%s]", jw_quote (key, 100, quoted, sizeof quoted));
}

void
jw_pop (struct jw *w, size_t len)
{
  w->len = len;
  w->path[len] = '\0';
}

int
jw_fail (struct jw *w, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&msg, fmt, ap);
  va_end (ap);
  if (r < 0)
    return husk_error (w->err, ENOMEM, "%s", w->name);
  if (w->len)
    return husk_error (w->err, 0, "%s: %s: %s", w->name, w->path, msg);
  return husk_error (w->err, 0, "%s: %s", w->name, msg);
}

int
jw_oom (struct jw *w)
{
  return husk_error (w->err, ENOMEM, "%s", w->name);
}

int
jw_missing (struct jw *w, const char *key)
{
  size_t saved = jw_push_key (w, key);
  jw_fail (w, "required field is missing");
  jw_pop (w, saved);
  return -1;
}

const char *
jw_quote (const char *s, size_t max, char *buf, size_t size)
{
  size_t o = 0, i = 0;

  buf[o++] = '"';
  /* past max, only the rest of a UTF-8 sequence: never cut one in two */
  for (; s[i] && (i < max || ((unsigned char) s[i] & 0xc0) == 0x80)
         && o + 12 < size;
       i++)
    {
      unsigned char c = (unsigned char) s[i];
      if (c == '"' || c == '\\')
        o += (size_t) snprintf (buf + o, size - o, "\\%c", c);
      else if (c < 0x20 || c == 0x7f)
        o += (size_t) snprintf (buf + o, size - o, "\\u%04x", c);
      else
        buf[o++] = (char) c;
    }
  while (i > 0 && ((unsigned char) s[i] & 0xc0) == 0x80)
    i--, o--; /* stopped by size inside a sequence */
  snprintf (buf + o, size - o, "%s\"", s[i] ? "..." : "");
  return buf;
}

/* A short rendering of a value for "got ...". */
static void
describe (yajl_val v, char *buf, size_t size)
{
  const size_t max = 40;

  if (v == NULL || YAJL_IS_NULL (v))
    snprintf (buf, size, "null");
  else if (YAJL_IS_TRUE (v))
    snprintf (buf, size, "true");
  else if (YAJL_IS_FALSE (v))
    snprintf (buf, size, "false");
  else if (YAJL_IS_OBJECT (v))
    snprintf (buf, size, "an object");
  else if (YAJL_IS_ARRAY (v))
    snprintf (buf, size, "an array");
  else if (YAJL_IS_NUMBER (v))
    snprintf (buf, size, "%.*s%s", (int) max, v->u.number.r,
              strlen (v->u.number.r) > max ? "..." : "");
  else
    jw_quote (v->u.string, max, buf, size);
}

int
jw_expected (struct jw *w, const char *what, yajl_val got)
{
  char desc[256];
  describe (got, desc, sizeof desc);
  return jw_fail (w, "expected %s, got %s", what, desc);
}

/* ---------- values ---------- */

yajl_val
jw_field (yajl_val obj, const char *key)
{
  yajl_val found = NULL;

  for (size_t i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      found = obj->u.object.values[i];
  return jw_is_null (found) ? NULL : found;
}

int
jw_need_object (struct jw *w, yajl_val v)
{
  if (!YAJL_IS_OBJECT (v))
    return jw_expected (w, "an object", v);
  return 0;
}

int
jw_string (struct jw *w, yajl_val v, char **out)
{
  if (!YAJL_IS_STRING (v))
    return jw_expected (w, "a string", v);
  *out = strdup (v->u.string);
  return *out ? 0 : jw_oom (w);
}

/* JSON numbers with a fraction or an exponent are not integers, even when
 * their value is whole: Go's encoding/json refuses them for integer fields
 * too. */
static bool
integer_text (yajl_val v)
{
  return YAJL_IS_NUMBER (v) && strpbrk (v->u.number.r, ".eE") == NULL;
}

int
jw_uint (struct jw *w, yajl_val v, uint64_t max, uint64_t *out)
{
  char what[80];
  const char *r;
  unsigned long long x;
  char *end;

  if (!integer_text (v))
    return jw_expected (w, "an integer", v);
  snprintf (what, sizeof what, "an integer between 0 and %" PRIu64, max);
  r = v->u.number.r;
  if (r[0] == '-')
    {
      if (strspn (r + 1, "0") != strlen (r + 1))
        return jw_expected (w, what, v);
      *out = 0;
      return 0;
    }
  errno = 0;
  x = strtoull (r, &end, 10);
  if (errno || *end || x > max)
    return jw_expected (w, what, v);
  *out = x;
  return 0;
}

static int
jw_int (struct jw *w, yajl_val v, int64_t min, int64_t max, int64_t *out)
{
  char what[96];
  long long x;
  char *end;

  if (!integer_text (v))
    return jw_expected (w, "an integer", v);
  errno = 0;
  x = strtoll (v->u.number.r, &end, 10);
  if (errno || *end || x < min || x > max)
    {
      snprintf (what, sizeof what, "an integer between %" PRId64 " and %" PRId64,
                min, max);
      return jw_expected (w, what, v);
    }
  *out = x;
  return 0;
}

static int
enum_fail (struct jw *w, const char *const *names, yajl_val v)
{
  char what[1024];
  size_t o = snprintf (what, sizeof what, "one of ");

  for (size_t i = 0; names[i] && o < sizeof what; i++)
    o += snprintf (what + o, sizeof what - o, "%s%s", i ? ", " : "", names[i]);
  return jw_expected (w, what, v);
}

static int
jw_enum (struct jw *w, yajl_val v, const char *const *names, int *index)
{
  if (!YAJL_IS_STRING (v))
    return enum_fail (w, names, v);
  for (int i = 0; names[i]; i++)
    if (strcmp (names[i], v->u.string) == 0)
      {
        *index = i;
        return 0;
      }
  return enum_fail (w, names, v);
}

/* ---------- fields ---------- */

/* Looks up key; 1 when present (path pushed, *saved to pop), 0 when absent
 * (and not required), -1 on a missing required field. */
static int
enter (struct jw *w, yajl_val obj, const char *key, bool required,
       yajl_val *v, size_t *saved)
{
  *v = jw_field (obj, key);
  if (*v == NULL)
    return required ? jw_missing (w, key) : 0;
  *saved = jw_push_key (w, key);
  return 1;
}

#define ENTER(required)                                                     \
  yajl_val v;                                                               \
  size_t saved;                                                             \
  int present = enter (w, obj, key, (required), &v, &saved);                \
  if (present <= 0)                                                         \
    return present

static int
leave (struct jw *w, size_t saved, int r)
{
  if (r == 0)
    jw_pop (w, saved);
  return r;
}

int
jw_get_object (struct jw *w, yajl_val obj, const char *key, bool required,
               yajl_val *out)
{
  *out = NULL;
  ENTER (required);
  if (jw_need_object (w, v) < 0)
    return -1;
  *out = v;
  return leave (w, saved, 0);
}

int
jw_get_string (struct jw *w, yajl_val obj, const char *key, bool required,
               char **out)
{
  ENTER (required);
  return leave (w, saved, jw_string (w, v, out));
}

int
jw_get_abs_path (struct jw *w, yajl_val obj, const char *key, bool required,
                 char **out)
{
  ENTER (required);
  if (!YAJL_IS_STRING (v) || v->u.string[0] != '/')
    return jw_expected (w, "an absolute path", v);
  return leave (w, saved, jw_string (w, v, out));
}

int
jw_get_bool (struct jw *w, yajl_val obj, const char *key, bool *has,
             bool *out)
{
  ENTER (false);
  if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
    return jw_expected (w, "a boolean", v);
  *out = YAJL_IS_TRUE (v);
  if (has)
    *has = true;
  return leave (w, saved, 0);
}

int
jw_get_uint (struct jw *w, yajl_val obj, const char *key, uint64_t max,
             bool required, bool *has, uint64_t *out)
{
  ENTER (required);
  if (jw_uint (w, v, max, out) < 0)
    return -1;
  if (has)
    *has = true;
  return leave (w, saved, 0);
}

int
jw_get_int (struct jw *w, yajl_val obj, const char *key, int64_t min,
            int64_t max, bool required, bool *has, int64_t *out)
{
  ENTER (required);
  if (jw_int (w, v, min, max, out) < 0)
    return -1;
  if (has)
    *has = true;
  return leave (w, saved, 0);
}

int
jw_get_u32 (struct jw *w, yajl_val obj, const char *key, bool required,
            bool *has, uint32_t *out)
{
  uint64_t x;
  bool got = false;
  if (jw_get_uint (w, obj, key, UINT32_MAX, required, &got, &x) < 0)
    return -1;
  if (got)
    *out = (uint32_t) x;
  if (has)
    *has = got;
  return 0;
}

int
jw_get_u16 (struct jw *w, yajl_val obj, const char *key, bool *has,
            uint16_t *out)
{
  uint64_t x;
  bool got = false;
  if (jw_get_uint (w, obj, key, UINT16_MAX, false, &got, &x) < 0)
    return -1;
  if (got)
    *out = (uint16_t) x;
  if (has)
    *has = got;
  return 0;
}

int
jw_get_i64 (struct jw *w, yajl_val obj, const char *key, bool required,
            bool *has, int64_t *out)
{
  return jw_get_int (w, obj, key, INT64_MIN, INT64_MAX, required, has, out);
}

int
jw_get_u64 (struct jw *w, yajl_val obj, const char *key, bool required,
            bool *has, uint64_t *out)
{
  return jw_get_uint (w, obj, key, UINT64_MAX, required, has, out);
}

int
jw_get_enum (struct jw *w, yajl_val obj, const char *key,
             const char *const *names, bool required, char **out, int *index)
{
  int i = 0;
  ENTER (required);
  if (jw_enum (w, v, names, &i) < 0)
    return -1;
  if (index)
    *index = i;
  if (out == NULL)
    return leave (w, saved, 0);
  return leave (w, saved, jw_string (w, v, out));
}

static int
get_strv (struct jw *w, yajl_val obj, const char *key, bool required,
          bool nonempty, const char *const *names, char ***out)
{
  size_t n;
  char **strv;
  ENTER (required);
  if (!YAJL_IS_ARRAY (v))
    return jw_expected (w, names ? "an array" : "an array of strings", v);
  n = v->u.array.len;
  if (nonempty && n == 0)
    return jw_fail (w, "expected at least one element, got []");
  strv = calloc (n + 1, sizeof *strv);
  if (strv == NULL)
    return jw_oom (w);
  *out = strv;
  for (size_t i = 0; i < n; i++)
    {
      yajl_val item = v->u.array.values[i];
      size_t at = jw_push_index (w, i);
      int idx = 0;
      if (names && jw_enum (w, item, names, &idx) < 0)
        return -1;
      if (jw_string (w, item, &strv[i]) < 0)
        return -1;
      jw_pop (w, at);
    }
  return leave (w, saved, 0);
}

int
jw_get_strv (struct jw *w, yajl_val obj, const char *key, bool required,
             bool nonempty, char ***out)
{
  return get_strv (w, obj, key, required, nonempty, NULL, out);
}

int
jw_get_enum_strv (struct jw *w, yajl_val obj, const char *key,
                  const char *const *names, char ***out)
{
  return get_strv (w, obj, key, false, false, names, out);
}

int
jw_get_kv (struct jw *w, yajl_val obj, const char *key, struct oci_kv **out,
           size_t *n)
{
  size_t len;
  ENTER (false);
  if (jw_need_object (w, v) < 0)
    return -1;
  len = v->u.object.len;
  *out = calloc (len ? len : 1, sizeof **out);
  if (*out == NULL)
    return jw_oom (w);
  *n = len;
  for (size_t i = 0; i < len; i++)
    {
      const char *k = v->u.object.keys[i];
      size_t at = jw_push_map_key (w, k);
      if (k[0] == '\0')
        return jw_fail (w, "expected a non-empty key");
      if (jw_string (w, v->u.object.values[i], &(*out)[i].value) < 0)
        return -1;
      (*out)[i].key = strdup (k);
      if ((*out)[i].key == NULL)
        return jw_oom (w);
      jw_pop (w, at);
    }
  return leave (w, saved, 0);
}

int
jw_get_array_of (struct jw *w, yajl_val obj, const char *key, size_t size,
                 jw_item_fn fn, void **out, size_t *n)
{
  size_t len;
  char *elems;
  ENTER (false);
  if (!YAJL_IS_ARRAY (v))
    return jw_expected (w, "an array", v);
  len = v->u.array.len;
  elems = calloc (len ? len : 1, size);
  if (elems == NULL)
    return jw_oom (w);
  *out = elems;
  *n = len;
  for (size_t i = 0; i < len; i++)
    {
      yajl_val item = v->u.array.values[i];
      size_t at = jw_push_index (w, i);
      if (jw_need_object (w, item) < 0 || fn (w, item, elems + i * size) < 0)
        return -1;
      jw_pop (w, at);
    }
  return leave (w, saved, 0);
}
