/* config.json "linux.seccomp". */
#include "parse.h"

#include <stdlib.h>
#include <string.h>

static const char *const actions[] = {
  "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",
  "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", NULL
};

static const char *const architectures[] = {
  "SCMP_ARCH_NATIVE", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",
  "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
  "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
  "SCMP_ARCH_SH", "SCMP_ARCH_SHEB", NULL
};

static const char *const filter_flags[] = {
  "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
  "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
  NULL
};

static const char *const operators[] = {
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
  "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL
}; /* in enum oci_seccomp_op order */

/* The errno of SCMP_ACT_ERRNO travels in the 16 data bits of the filter's
 * return value. */
#define ERRNO_MAX 0xffff

/* Only SCMP_ACT_ERRNO and SCMP_ACT_TRACE carry a value; the spec wants an
 * error for a value given with any other action. */
static int
check_errno_action (struct jw *w, const char *action, bool has_errno,
                    const char *errno_key)
{
  if (has_errno && strcmp (action, "SCMP_ACT_ERRNO")
      && strcmp (action, "SCMP_ACT_TRACE"))
    return jw_fail (w, "%s is only valid with SCMP_ACT_ERRNO or "
                    "SCMP_ACT_TRACE, not with %s", errno_key, action);
  return 0;
}

static int
get_errno (struct jw *w, yajl_val o, const char *key, bool *has,
           uint32_t *out)
{
  uint64_t x;
  if (jw_get_uint (w, o, key, ERRNO_MAX, false, has, &x) < 0)
    return -1;
  if (*has)
    *out = (uint32_t) x;
  return 0;
}

static int
parse_arg (struct jw *w, yajl_val o, void *elem)
{
  struct oci_seccomp_arg *a = elem;
  uint64_t index = 0;
  int op = 0;

  /* a syscall has six arguments */
  if (jw_get_uint (w, o, "index", 5, true, NULL, &index) < 0
      || jw_get_u64 (w, o, "value", true, NULL, &a->value) < 0
      || jw_get_u64 (w, o, "valueTwo", false, &a->has_value_two,
                     &a->value_two) < 0
      || jw_get_enum (w, o, "op", operators, true, NULL, &op) < 0)
    return -1;
  a->index = (unsigned) index;
  a->op = (enum oci_seccomp_op) op;
  return 0;
}

static int
parse_syscall (struct jw *w, yajl_val o, void *elem)
{
  struct oci_seccomp_syscall *s = elem;

  if (jw_get_strv (w, o, "names", true, true, &s->names) < 0
      || jw_get_enum (w, o, "action", actions, true, &s->action, NULL) < 0
      || get_errno (w, o, "errnoRet", &s->has_errno_ret, &s->errno_ret) < 0
      || check_errno_action (w, s->action, s->has_errno_ret, "errnoRet") < 0
      || jw_get_array_of (w, o, "args", sizeof *s->args, parse_arg,
                          (void **) &s->args, &s->n_args) < 0)
    return -1;
  for (size_t i = 0; s->names[i]; i++)
    if (s->names[i][0] == '\0')
      {
        jw_push_key (w, "names");
        jw_push_index (w, i);
        return jw_fail (w, "expected a syscall name, got \"\"");
      }
  return 0;
}

int
oci_parse_seccomp (struct jw *w, yajl_val o, struct oci_seccomp *s)
{
  if (jw_get_enum (w, o, "defaultAction", actions, true, &s->default_action,
                   NULL) < 0
      || get_errno (w, o, "defaultErrnoRet", &s->has_default_errno_ret,
                    &s->default_errno_ret) < 0
      || check_errno_action (w, s->default_action, s->has_default_errno_ret,
                             "defaultErrnoRet") < 0
      || jw_get_enum_strv (w, o, "architectures", architectures,
                           &s->architectures) < 0
      || jw_get_enum_strv (w, o, "flags", filter_flags, &s->flags) < 0
      || jw_get_string (w, o, "listenerPath", false, &s->listener_path) < 0
      || jw_get_string (w, o, "listenerMetadata", false,
                        &s->listener_metadata) < 0
      || jw_get_array_of (w, o, "syscalls", sizeof *s->syscalls,
                          parse_syscall, (void **) &s->syscalls,
                          &s->n_syscalls) < 0)
    return -1;
  if (s->listener_metadata && s->listener_path == NULL)
    return jw_fail (w, "listenerMetadata is set but listenerPath is not");
  return 0;
}
