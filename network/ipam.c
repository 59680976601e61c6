/* IPAM: addresses taken from a pool, recorded in <root>/.ipam/<pool> as
 * "ADDRESS ID" lines, under an exclusive flock of <pool>.lock so that
 * parallel creates never get one address twice. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "../lib/cleanup.h"
#include "internal.h"

struct record {
  struct husk_cidr *used;
  size_t n_used;
  char *text; /* the file as read */
};

static void
record_free (struct record *r)
{
  free (r->used);
  free (r->text);
}

static char *
pool_key (const struct husk_cidr *pool)
{
  char buf[CIDR_STRLEN];
  char *key = strdup (cidr_str (pool, true, buf));

  if (key)
    *strchr (key, '/') = '_';
  return key;
}

static int
lock_pool (const char *state_root, const char *key, husk_err **err)
{
  cleanup_free char *dir = NULL, *path = NULL;
  int fd;

  if (asprintf (&dir, "%s/.ipam", state_root) < 0
      || asprintf (&path, "%s/%s.lock", dir, key) < 0)
    return husk_error (err, ENOMEM, "ipam");
  if (mkdir (dir, 0700) < 0 && errno != EEXIST)
    return husk_error (err, errno, "ipam: mkdir %s", dir);
  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return husk_error (err, errno, "ipam: open %s", path);
  if (flock (fd, LOCK_EX) < 0)
    {
      husk_error (err, errno, "ipam: lock %s", path);
      close (fd);
      return -1;
    }
  return fd;
}

static int
read_record (const char *path, struct record *rec, husk_err **err)
{
  cleanup_file FILE *f = fopen (path, "re");
  char line[256];
  size_t len = 0;

  memset (rec, 0, sizeof *rec);
  if (f == NULL)
    return errno == ENOENT ? 0 : husk_error (err, errno, "ipam: %s", path);
  while (fgets (line, sizeof line, f))
    {
      struct husk_cidr c, *grown;
      char *sp = strchr (line, ' '), *t;
      size_t l = strlen (line);
      t = realloc (rec->text, len + l + 1);
      if (t == NULL)
        return husk_error (err, ENOMEM, "ipam: %s", path);
      memcpy (t + len, line, l + 1);
      rec->text = t;
      len += l;
      if (sp == NULL)
        continue;
      *sp = '\0';
      if (cidr_parse (line, false, &c) < 0)
        continue;
      grown = realloc (rec->used, (rec->n_used + 1) * sizeof *grown);
      if (grown == NULL)
        return husk_error (err, ENOMEM, "ipam: %s", path);
      grown[rec->n_used++] = c;
      rec->used = grown;
    }
  return 0;
}

static bool
taken (const struct record *rec, const struct husk_net_if *nif,
       const struct husk_cidr *pool, const struct husk_cidr *a)
{
  bool broadcast = a->family == AF_INET;

  for (unsigned b = pool->prefix; b < 32 && broadcast; b++)
    broadcast = a->addr[b / 8] & (0x80 >> (b % 8));
  if (broadcast)
    return true;
  for (size_t i = 0; i < nif->n_gateways; i++)
    if (nif->gateways[i].family == a->family
        && memcmp (nif->gateways[i].addr, a->addr, 16) == 0)
      return true;
  for (size_t i = 0; i < rec->n_used; i++)
    if (rec->used[i].family == a->family
        && memcmp (rec->used[i].addr, a->addr, 16) == 0)
      return true;
  return false;
}

static void
increment (struct husk_cidr *a)
{
  for (int i = cidr_family_len (a->family) - 1; i >= 0 && ++a->addr[i] == 0;
       i--)
    ;
}

/* Only used addresses, gateways and the broadcast address are ever skipped,
 * so the first free one is near: no walk through a /64. */
static int
first_free (const struct record *rec, const struct husk_net_if *nif,
            const struct husk_cidr *pool, struct husk_cidr *out)
{
  struct husk_cidr a = *pool;

  for (size_t tries = 0; tries < rec->n_used + nif->n_gateways + 2; tries++)
    {
      increment (&a);
      if (!cidr_contains (pool, &a))
        break;
      if (!taken (rec, nif, pool, &a))
        {
          *out = a;
          out->prefix = pool->prefix;
          return 0;
        }
    }
  return -1;
}

int
ipam_allocate (const char *state_root, const struct husk_cidr *pool,
               const struct husk_net_if *nif, const char *id,
               struct husk_cidr *out, char **key, husk_err **err)
{
  cleanup_free char *k = pool_key (pool), *path = NULL;
  cleanup_close int lock = -1;
  cleanup_file FILE *f = NULL;
  struct record rec;
  char buf[CIDR_STRLEN];
  int r;

  if (k == NULL || asprintf (&path, "%s/.ipam/%s", state_root, k) < 0)
    return husk_error (err, ENOMEM, "ipam");
  lock = lock_pool (state_root, k, err);
  if (lock < 0 || read_record (path, &rec, err) < 0)
    return husk_err_wrap (err, "annotation husk.net.%u.pool", nif->index);
  r = first_free (&rec, nif, pool, out);
  record_free (&rec);
  if (r < 0)
    return husk_error (err, 0,
                       "annotation husk.net.%u.pool: no free address left in "
                       "%s", nif->index, cidr_str (pool, true, buf));
  f = fopen (path, "ae");
  if (f == NULL || fprintf (f, "%s %s\n", cidr_str (out, false, buf), id) < 0
      || fflush (f) != 0)
    return husk_error (err, errno, "ipam: write %s", path);
  *key = steal_ptr (&k);
  return 0;
}

/* Rewrites the record without id's lines, through a rename so that a crash
 * never leaves half a record. */
static int
drop_lines (const char *path, const char *text, const char *id, husk_err **err)
{
  cleanup_free char *tmp = NULL;
  cleanup_file FILE *f = NULL;
  size_t idlen = strlen (id), kept = 0;

  if (asprintf (&tmp, "%s.tmp", path) < 0)
    return husk_error (err, ENOMEM, "ipam");
  f = fopen (tmp, "we");
  if (f == NULL)
    return husk_error (err, errno, "ipam: write %s", tmp);
  for (const char *line = text; line && *line;)
    {
      const char *nl = strchrnul (line, '\n'), *sp = memchr (line, ' ', nl - line);
      bool mine = sp && (size_t) (nl - sp - 1) == idlen
                  && memcmp (sp + 1, id, idlen) == 0;
      if (!mine)
        {
          fprintf (f, "%.*s\n", (int) (nl - line), line);
          kept++;
        }
      line = *nl ? nl + 1 : nl;
    }
  if (fflush (f) != 0)
    return husk_error (err, errno, "ipam: write %s", tmp);
  if (kept == 0)
    {
      unlink (tmp);
      if (unlink (path) < 0 && errno != ENOENT)
        return husk_error (err, errno, "ipam: remove %s", path);
      return 0;
    }
  if (rename (tmp, path) < 0)
    return husk_error (err, errno, "ipam: rename %s", tmp);
  return 0;
}

int
ipam_release (const char *state_root, const char *key, const char *id,
              husk_err **err)
{
  cleanup_free char *path = NULL;
  cleanup_close int lock = -1;
  struct record rec;
  int r;

  if (strchr (key, '/') || asprintf (&path, "%s/.ipam/%s", state_root, key) < 0)
    return husk_error (err, EINVAL, "ipam: record %s", key);
  lock = lock_pool (state_root, key, err);
  if (lock < 0 || read_record (path, &rec, err) < 0)
    return -1;
  r = rec.text ? drop_lines (path, rec.text, id, err) : 0;
  record_free (&rec);
  return r;
}
