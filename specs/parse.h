/* specs/ private: walking a yajl tree while keeping the JSON path of the
 * value at hand, so that every error names the file, the path and what was
 * expected:
 *   config.json: mounts[2].destination: expected a string, got 42
 * Conventions of the jw_get_* helpers: `obj` is the object that holds the
 * field `key`; an absent field and a JSON null are the same (as for Go's
 * encoding/json, which most config writers use); `required` turns absence
 * into an error; `has` (may be NULL) tells whether the field was there.
 * Each returns 0 or -1 with *w->err set.  Whatever they allocate is stored
 * into the caller's struct at once, so that freeing the whole document
 * frees a half-parsed one too. */
#ifndef HUSK_SPECS_PARSE_H
#define HUSK_SPECS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "specs.h"

/* Documents nested deeper than this are refused (no OCI document needs more
 * than ~8; the walkers recurse). */
#define JW_MAX_DEPTH 64
/* And with more values than this (a busy config has a few thousand). */
#define JW_MAX_VALUES 1000000

struct jw {
  const char *name; /* the document, as errors call it */
  husk_err **err;
  size_t len;       /* of path */
  char path[512];   /* "linux.resources.memory.limit" */
};

void jw_init (struct jw *w, const char *name, husk_err **err);

/* A document's tree: yajl_tree's nodes, in blocks of their own (json.c). */
struct jw_block;
struct jw_tree {
  yajl_val top;
  struct jw_block *blocks;
};

/* Checks the text (syntax, depth, NUL characters in strings) and builds the
 * tree in one pass; the top value must be an object.  Numbers keep only
 * their text (u.number.r). */
int jw_parse_tree (struct jw *w, const char *buf, size_t len,
                   struct jw_tree *out);
void jw_tree_free (struct jw_tree *t);

/* Path building: each returns the length to give back to jw_pop(). */
size_t jw_push_key (struct jw *w, const char *key);
size_t jw_push_index (struct jw *w, size_t i);
size_t jw_push_map_key (struct jw *w, const char *key); /* ["key"] */
void jw_pop (struct jw *w, size_t len);

/* "name: path: <message>". */
int jw_fail (struct jw *w, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
/* "name: path: expected <what>, got <value>". */
int jw_expected (struct jw *w, const char *what, yajl_val got);
int jw_missing (struct jw *w, const char *key);
/* s as a JSON string in buf, cut after max bytes ("..."), control
 * characters escaped: error messages stay one line. */
const char *jw_quote (const char *s, size_t max, char *buf, size_t size);
int jw_oom (struct jw *w);

/* The field's value, NULL when absent or null (the last one wins when a key
 * is repeated, as with Go's encoding/json). */
yajl_val jw_field (yajl_val obj, const char *key);
static inline bool
jw_is_null (yajl_val v)
{
  return v == NULL || YAJL_IS_NULL (v);
}

/* Value-level checks: v is the value at the current path. */
int jw_need_object (struct jw *w, yajl_val v);
int jw_string (struct jw *w, yajl_val v, char **out);
int jw_uint (struct jw *w, yajl_val v, uint64_t max, uint64_t *out);

/* Field-level helpers. */
int jw_get_object (struct jw *w, yajl_val obj, const char *key, bool required,
                   yajl_val *out);
int jw_get_string (struct jw *w, yajl_val obj, const char *key, bool required,
                   char **out);
/* A string that must be an absolute path. */
int jw_get_abs_path (struct jw *w, yajl_val obj, const char *key,
                     bool required, char **out);
int jw_get_bool (struct jw *w, yajl_val obj, const char *key, bool *has,
                 bool *out);
int jw_get_uint (struct jw *w, yajl_val obj, const char *key, uint64_t max,
                 bool required, bool *has, uint64_t *out);
int jw_get_int (struct jw *w, yajl_val obj, const char *key, int64_t min,
                int64_t max, bool required, bool *has, int64_t *out);
int jw_get_u32 (struct jw *w, yajl_val obj, const char *key, bool required,
                bool *has, uint32_t *out);
int jw_get_u16 (struct jw *w, yajl_val obj, const char *key, bool *has,
                uint16_t *out);
int jw_get_i64 (struct jw *w, yajl_val obj, const char *key, bool required,
                bool *has, int64_t *out);
int jw_get_u64 (struct jw *w, yajl_val obj, const char *key, bool required,
                bool *has, uint64_t *out);
/* A string that must be one of names[]; *out (may be NULL) gets a copy,
 * *index (may be NULL) its position. */
int jw_get_enum (struct jw *w, yajl_val obj, const char *key,
                 const char *const *names, bool required, char **out,
                 int *index);
/* A NULL-terminated copy of an array of strings; `nonempty` refuses []. */
int jw_get_strv (struct jw *w, yajl_val obj, const char *key, bool required,
                 bool nonempty, char ***out);
/* Same, each element one of names[]. */
int jw_get_enum_strv (struct jw *w, yajl_val obj, const char *key,
                      const char *const *names, char ***out);
/* An object of strings, as key/value pairs in document order. */
int jw_get_kv (struct jw *w, yajl_val obj, const char *key,
               struct oci_kv **out, size_t *n);

/* An array of objects: allocates *n zeroed elements of `size` bytes into
 * *out, then calls fn on each (with the path at the element). */
typedef int (*jw_item_fn) (struct jw *w, yajl_val item, void *elem);
int jw_get_array_of (struct jw *w, yajl_val obj, const char *key,
                     size_t size, jw_item_fn fn, void **out, size_t *n);

/* "pid", "network", ... in enum oci_ns_type order, NULL-terminated. */
extern const char *const oci_ns_names[];

/* An array of {containerID, hostID, size}. */
int oci_parse_id_mappings (struct jw *w, yajl_val obj, const char *key,
                           struct oci_id_mapping **out, size_t *n);

/* The sections, one file each. */
int oci_parse_process (struct jw *w, yajl_val obj, struct oci_process *p);
int oci_parse_linux (struct jw *w, yajl_val obj, struct oci_linux *l);
int oci_parse_resources (struct jw *w, yajl_val obj, struct oci_resources *r);
int oci_parse_seccomp (struct jw *w, yajl_val obj, struct oci_seccomp *s);

#endif
