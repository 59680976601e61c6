/* prepare (in husk) and load (in the container's process). */
#include "internal.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../lib/log.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

static long
sys_seccomp (unsigned op, unsigned long flags, void *arg)
{
  return syscall (SYS_seccomp, op, flags, arg);
}

/* The kernel checks the flags before it reads the program: a flag it knows
 * gets EFAULT for a NULL program, one it does not EINVAL. */
static bool
kernel_has_flags (unsigned long flags)
{
  return sys_seccomp (SECCOMP_SET_MODE_FILTER, flags, NULL) < 0
         && errno == EFAULT;
}

static int
load_flags (const struct oci_seccomp *s, bool notify, unsigned *out,
            husk_err **err)
{
  static const struct
  {
    const char *name;
    unsigned long flag;
  } known[] = {
    { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
    { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
    { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
      SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
  };
  unsigned long flags = notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;

  for (size_t i = 0; s->flags && s->flags[i]; i++)
    {
      const char *name = s->flags[i];
      size_t k, n = sizeof known / sizeof *known;

      /* the process that loads the filter has one thread */
      if (strcmp (name, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
        continue;
      for (k = 0; k < n && strcmp (name, known[k].name) != 0; k++)
        ;
      if (k == n)
        return husk_error (err, 0, "linux.seccomp.flags[%zu]: unknown flag "
                           "\"%s\"", i, name);
      /* it changes only how a listener's wait behaves */
      if (known[k].flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !notify)
        {
          husk_debug ("seccomp: %s ignored: no SCMP_ACT_NOTIFY rule", name);
          continue;
        }
      if (!kernel_has_flags (known[k].flag | (notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0)))
        return husk_error (err, 0, "linux.seccomp.flags[%zu]: %s is not "
                           "supported by this kernel", i, name);
      flags |= known[k].flag;
    }
  if (notify && !kernel_has_flags (SECCOMP_FILTER_FLAG_NEW_LISTENER))
    return husk_error (err, 0, "linux.seccomp: SCMP_ACT_NOTIFY needs a "
                       "kernel with seccomp user notification (5.0)");
  *out = (unsigned) flags;
  return 0;
}

/* The child hands the listener fd to husk with sendmsg (or write): if
 * those were sent to the listener, nobody would ever answer. */
static int
check_notify (const struct oci_seccomp *s, bool *notify, husk_err **err)
{
  *notify = false;
  if (strcmp (s->default_action, "SCMP_ACT_NOTIFY") == 0)
    return husk_error (err, 0, "linux.seccomp.defaultAction: "
                       "SCMP_ACT_NOTIFY cannot be the default action");
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      const struct oci_seccomp_syscall *sys = &s->syscalls[i];
      if (strcmp (sys->action, "SCMP_ACT_NOTIFY") != 0)
        continue;
      *notify = true;
      for (size_t j = 0; sys->names && sys->names[j]; j++)
        if (strcmp (sys->names[j], "write") == 0
            || strcmp (sys->names[j], "sendmsg") == 0)
          return husk_error (err, 0, "linux.seccomp.syscalls[%zu]: "
                             "SCMP_ACT_NOTIFY cannot be used for \"%s\": "
                             "husk needs it to hand the listener its fd", i,
                             sys->names[j]);
    }
  if (*notify && (s->listener_path == NULL || *s->listener_path == '\0'))
    return husk_error (err, 0, "linux.seccomp.listenerPath: required with "
                       "SCMP_ACT_NOTIFY");
  return 0;
}

static long
usec_since (const struct timespec *t0)
{
  struct timespec t1;
  clock_gettime (CLOCK_MONOTONIC, &t1);
  return (t1.tv_sec - t0->tv_sec) * 1000000L + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

static int
build (const struct oci_seccomp *s, const char *cache_dir,
       struct husk_seccomp *sc, husk_err **err)
{
  struct sc_key key = { 0 };
  struct timespec t0;
  unsigned short n_libseccomp = 0;
  int rc = 0;

  clock_gettime (CLOCK_MONOTONIC, &t0);
  if (check_notify (s, &sc->notify, err) < 0
      || load_flags (s, sc->notify, &sc->flags, err) < 0)
    return -1;
  if ((s->listener_path && (sc->listener_path = strdup (s->listener_path)) == NULL)
      || (s->listener_metadata
          && (sc->listener_metadata = strdup (s->listener_metadata)) == NULL))
    return husk_error (err, ENOMEM, "seccomp");
  if (cache_dir && sc_key_make (s, &key, err) < 0)
    return -1;
  if (cache_dir && sc_cache_read (cache_dir, &key, &sc->insns, &sc->n_insns) == 1)
    sc->cached = true;
  else
    {
      rc = sc_compile (s, &sc->insns, &sc->n_insns, err);
      n_libseccomp = sc->n_insns;
      if (rc == 0)
        sc_optimise (&sc->insns, &sc->n_insns);
      if (rc == 0 && cache_dir)
        sc_cache_write (cache_dir, &key, sc->insns, sc->n_insns);
    }
  sc_key_clear (&key);
  if (rc == 0 && sc->cached)
    husk_debug ("seccomp: %u BPF instructions read from the cache in %ld us",
                sc->n_insns, usec_since (&t0));
  else if (rc == 0)
    husk_debug ("seccomp: %u BPF instructions (libseccomp's %u) compiled in "
                "%ld us", sc->n_insns, n_libseccomp, usec_since (&t0));
  return rc;
}

int
husk_seccomp_prepare (const struct oci_seccomp *s, const char *cache_dir,
                      struct husk_seccomp **out, husk_err **err)
{
  struct husk_seccomp *sc;

  *out = NULL;
  if (s == NULL)
    return 0;
  sc = calloc (1, sizeof *sc);
  if (sc == NULL)
    return husk_error (err, ENOMEM, "seccomp");
  if (build (s, cache_dir, sc, err) < 0)
    {
      husk_seccomp_free (sc);
      return -1;
    }
  *out = sc;
  return 0;
}

bool
husk_seccomp_cached (const struct husk_seccomp *sc)
{
  return sc && sc->cached;
}

bool
husk_seccomp_loads_early (const struct husk_seccomp *sc, bool no_new_privs)
{
  return sc && !no_new_privs;
}

bool
husk_seccomp_has_listener (const struct husk_seccomp *sc)
{
  return sc && sc->notify;
}

int
husk_seccomp_load (const struct husk_seccomp *sc, int *notify_fd_out,
                   husk_err **err)
{
  struct sock_fprog prog;
  long r;

  *notify_fd_out = -1;
  if (sc == NULL)
    return 0;
  prog.len = sc->n_insns;
  prog.filter = sc->insns;
  r = sys_seccomp (SECCOMP_SET_MODE_FILTER, sc->flags, &prog);
  if (r < 0)
    return husk_error (err, errno, "load the seccomp filter%s",
                       errno == EACCES ? " (without noNewPrivileges it needs "
                                         "CAP_SYS_ADMIN)" : "");
  if (sc->notify)
    *notify_fd_out = (int) r;
  return 0;
}

void
husk_seccomp_free (struct husk_seccomp *sc)
{
  if (sc == NULL)
    return;
  free (sc->insns);
  free (sc->listener_path);
  free (sc->listener_metadata);
  free (sc);
}
