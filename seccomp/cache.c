/* The cache of compiled programs: <cache_dir>/seccomp/<hash>.bpf.  See
 * seccomp.h for what the key covers and why the file repeats it. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/log.h"
#include "version.h" /* generated: HUSK_VERSION, HUSK_COMMIT */

/* Bump when the translation in compile.c changes the program made for a
 * profile. */
#define KEY_FORMAT 3
#define FILE_MAGIC "HUSKBPF1"

struct file_header
{
  char magic[8];
  uint64_t hash;
  uint32_t key_len;
  uint32_t n_insns;
  uint64_t insns_hash;
};

static uint64_t
fnv1a (uint64_t h, const void *data, size_t len)
{
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++)
    {
      h ^= p[i];
      h *= 0x100000001b3ULL;
    }
  return h;
}

#define FNV_OFFSET 0xcbf29ce484222325ULL

/* ---------- the canonical serialisation ---------- */

struct kbuf
{
  FILE *f;
  char *text;
  size_t len;
};

static void
put (struct kbuf *b, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vfprintf (b->f, fmt, ap);
  va_end (ap);
}

/* Strings are length-prefixed: any byte may appear in them. */
static void
put_str (struct kbuf *b, const char *s)
{
  if (s == NULL)
    put (b, "-;");
  else
    put (b, "%zu:%s;", strlen (s), s);
}

static void
put_strv (struct kbuf *b, char **v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  put (b, "[%zu]", n);
  for (size_t i = 0; i < n; i++)
    put_str (b, v[i]);
}

/* Flags and the listener are left out: they are passed to the load, not
 * compiled into the program. */
static void
serialise (struct kbuf *b, const struct oci_seccomp *s)
{
  const struct scmp_version *v = seccomp_version ();

  put (b, "husk-seccomp-key %d\nhusk %s %s\nlibseccomp %u.%u.%u\n"
       "native %" PRIu32 "\n", KEY_FORMAT, HUSK_VERSION, HUSK_COMMIT,
       v->major, v->minor, v->micro, seccomp_arch_native ());
  put (b, "default ");
  put_str (b, s->default_action);
  put (b, " %d %" PRIu32 "\narch ", s->has_default_errno_ret,
       s->default_errno_ret);
  put_strv (b, s->architectures);
  put (b, "\n");
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      const struct oci_seccomp_syscall *sys = &s->syscalls[i];
      put (b, "sys ");
      put_str (b, sys->action);
      put (b, " %d %" PRIu32 " ", sys->has_errno_ret, sys->errno_ret);
      put_strv (b, sys->names);
      for (size_t j = 0; j < sys->n_args; j++)
        {
          const struct oci_seccomp_arg *a = &sys->args[j];
          put (b, " (%u %d %" PRIu64 " %d %" PRIu64 ")", a->index, (int) a->op,
               a->value, a->has_value_two, a->value_two);
        }
      put (b, "\n");
    }
}

int
sc_key_make (const struct oci_seccomp *s, struct sc_key *k, husk_err **err)
{
  struct kbuf b = { 0 };

  b.f = open_memstream (&b.text, &b.len);
  if (b.f == NULL)
    return husk_error (err, errno, "seccomp: cache key");
  serialise (&b, s);
  if (ferror (b.f) | fclose (b.f))
    {
      free (b.text);
      return husk_error (err, ENOMEM, "seccomp: cache key");
    }
  k->text = b.text;
  k->len = b.len;
  k->hash = fnv1a (FNV_OFFSET, b.text, b.len);
  return 0;
}

void
sc_key_clear (struct sc_key *k)
{
  free (k->text);
  k->text = NULL;
}

/* ---------- the files ---------- */

static void
file_name (char *buf, size_t size, uint64_t hash)
{
  snprintf (buf, size, "%016" PRIx64 ".bpf", hash);
}

/* <cache_dir>/seccomp, created (0700) when asked. */
static int
open_dir (const char *cache_dir, bool create)
{
  cleanup_close int top = -1;

  if (create && mkdir (cache_dir, 0700) < 0 && errno != EEXIST)
    return -1;
  top = open (cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (top < 0)
    return -1;
  if (create && mkdirat (top, "seccomp", 0700) < 0 && errno != EEXIST)
    return -1;
  return openat (top, "seccomp", O_RDONLY | O_DIRECTORY | O_CLOEXEC
                                     | O_NOFOLLOW);
}

/* Only a file husk's user wrote and nobody else can change is trusted. */
static bool
trusted (const struct stat *st)
{
  return S_ISREG (st->st_mode) && st->st_uid == geteuid ()
         && (st->st_mode & 022) == 0;
}

static bool
valid (const char *data, size_t size, const struct sc_key *k)
{
  struct file_header h;
  size_t insns_size;

  if (size < sizeof h)
    return false;
  memcpy (&h, data, sizeof h);
  insns_size = (size_t) h.n_insns * sizeof (struct sock_filter);
  return memcmp (h.magic, FILE_MAGIC, sizeof h.magic) == 0
         && h.hash == k->hash && h.key_len == k->len
         && h.n_insns > 0 && h.n_insns <= BPF_MAXINSNS
         && size == sizeof h + k->len + insns_size
         && memcmp (data + sizeof h, k->text, k->len) == 0
         && fnv1a (FNV_OFFSET, data + sizeof h + k->len, insns_size)
                == h.insns_hash;
}

int
sc_cache_read (const char *cache_dir, const struct sc_key *k,
               struct sock_filter **insns, unsigned short *n)
{
  cleanup_close int dir = open_dir (cache_dir, false), fd = -1;
  cleanup_free char *data = NULL;
  char name[32];
  struct stat st;
  struct file_header h;
  size_t size;

  if (dir < 0)
    return 0;
  file_name (name, sizeof name, k->hash);
  fd = openat (dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 || fstat (fd, &st) < 0 || !trusted (&st)
      || st.st_size > (off_t) (sizeof h + k->len
                               + BPF_MAXINSNS * sizeof (struct sock_filter)))
    return 0;
  size = (size_t) st.st_size;
  data = malloc (size ? size : 1);
  if (data == NULL || pread (fd, data, size, 0) != (ssize_t) size
      || !valid (data, size, k))
    {
      husk_debug ("seccomp: cache file %s unusable: ignored", name);
      return 0;
    }
  memcpy (&h, data, sizeof h);
  *insns = malloc (h.n_insns * sizeof **insns);
  if (*insns == NULL)
    return 0;
  memcpy (*insns, data + sizeof h + k->len, h.n_insns * sizeof **insns);
  *n = (unsigned short) h.n_insns;
  return 1;
}

static int
write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return -1;
      p += w;
      len -= (size_t) w;
    }
  return 0;
}

void
sc_cache_write (const char *cache_dir, const struct sc_key *k,
                const struct sock_filter *insns, unsigned short n)
{
  cleanup_close int dir = open_dir (cache_dir, true), fd = -1;
  size_t insns_size = n * sizeof *insns;
  struct file_header h = {
    .hash = k->hash, .key_len = (uint32_t) k->len, .n_insns = n,
    .insns_hash = fnv1a (FNV_OFFSET, insns, insns_size),
  };
  char name[32], tmp[64];

  memcpy (h.magic, FILE_MAGIC, sizeof h.magic);
  file_name (name, sizeof name, k->hash);
  /* the pid makes the name unique among concurrent writers */
  snprintf (tmp, sizeof tmp, ".%s.%ld.tmp", name, (long) getpid ());
  if (dir >= 0)
    fd = openat (dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || write_all (fd, &h, sizeof h) < 0
      || write_all (fd, k->text, k->len) < 0
      || write_all (fd, insns, insns_size) < 0
      || renameat (dir, tmp, dir, name) < 0)
    {
      husk_debug ("seccomp: cannot cache the filter in %s/seccomp: %s",
                  cache_dir, strerror (errno));
      if (fd >= 0)
        unlinkat (dir, tmp, 0);
      return;
    }
  husk_debug ("seccomp: filter cached as %s/seccomp/%s", cache_dir, name);
}
