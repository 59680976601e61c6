/* specs/ private: small helpers for the documents husk generates with
 * yajl_gen (the default config, its seccomp profile, features.json). */
#ifndef HUSK_SPECS_GEN_H
#define HUSK_SPECS_GEN_H

#include <yajl/yajl_gen.h>

#include "../lib/json_gen.h"

/* seccomp_default.c: writes the value of linux.seccomp for a process whose
 * bounding set is caps (NULL-terminated). */
void oci_gen_default_seccomp (yajl_gen g, const char *const *caps);

#endif
