/* A yajl_gen helper for the modules that write JSON (state.json, the
 * seccomp listener's process state, the generated specs). */
#ifndef HUSK_LIB_JSON_GEN_H
#define HUSK_LIB_JSON_GEN_H

#include <string.h>
#include <yajl/yajl_gen.h>

static inline yajl_gen_status
gen_str (yajl_gen g, const char *s)
{
  return yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

#endif
