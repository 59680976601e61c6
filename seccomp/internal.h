/* seccomp/: what the module's files share. */
#ifndef HUSK_SECCOMP_INTERNAL_H
#define HUSK_SECCOMP_INTERNAL_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "seccomp.h"

struct husk_seccomp
{
  struct sock_filter *insns;
  unsigned short n_insns;
  unsigned int flags;     /* for seccomp(SECCOMP_SET_MODE_FILTER, flags) */
  bool notify;            /* an SCMP_ACT_NOTIFY rule: NEW_LISTENER is set */
  bool cached;
  char *listener_path, *listener_metadata;
};

/* compile.c: the section through libseccomp into classic BPF (malloc'd). */
int sc_compile (const struct oci_seccomp *s, struct sock_filter **insns,
                unsigned short *n, husk_err **err);
/* optimise.c: a smaller program with the same answers in place of
 * *insns, where one can be made and checked; else nothing changes. */
void sc_optimise (struct sock_filter **insns, unsigned short *n);
/* The libseccomp action of an "SCMP_ACT_*" name, with errnoRet. */
int sc_action (const char *name, bool has_ret, uint32_t ret, uint32_t *act);

/* cache.c */
struct sc_key
{
  char *text;   /* the canonical serialisation */
  size_t len;
  uint64_t hash;
};
int sc_key_make (const struct oci_seccomp *s, struct sc_key *k,
                 husk_err **err);
void sc_key_clear (struct sc_key *k);
/* 1 and the program on a hit, 0 on a miss (any unusable file is one). */
int sc_cache_read (const char *cache_dir, const struct sc_key *k,
                   struct sock_filter **insns, unsigned short *n);
/* Best effort: a cache that cannot be written costs only time. */
void sc_cache_write (const char *cache_dir, const struct sc_key *k,
                     const struct sock_filter *insns, unsigned short n);

#endif
