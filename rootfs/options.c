/* Mount option strings, as runc and crun take them, sorted into what the
 * new mount API wants: mount attributes (mount_setattr), superblock flags
 * (fsconfig), propagation and the filesystem's own data options. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "internal.h"

enum opt_kind {
  OPT_ATTR,   /* a MOUNT_ATTR_* flag of the mount */
  OPT_RATTR,  /* the same, on every mount of the tree (rro, rnosuid...) */
  OPT_ATIME,  /* one of the MOUNT_ATTR__ATIME values */
  OPT_RATIME,
  OPT_SB,     /* a superblock flag of a new filesystem */
  OPT_RO,     /* ro/rw: the mount and, for a new filesystem, its sb */
  OPT_BIND,
  OPT_REMOUNT,
  OPT_COPYUP, /* tmpcopyup */
  OPT_NOOP,
  OPT_REFUSE,
};

struct opt {
  const char *name;
  enum opt_kind kind;
  bool clear;
  uint64_t value;
};

#define ATTR(n, c, v) { n, OPT_ATTR, c, v }, { "r" n, OPT_RATTR, c, v }
#define ATIME(n, c, v) { n, OPT_ATIME, c, v }, { "r" n, OPT_RATIME, c, v }

static const struct opt opts[] = {
  { "ro", OPT_RO, false, MOUNT_ATTR_RDONLY },
  { "rw", OPT_RO, true, MOUNT_ATTR_RDONLY },
  { "rro", OPT_RATTR, false, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_RATTR, true, MOUNT_ATTR_RDONLY },
  ATTR ("nosuid", false, MOUNT_ATTR_NOSUID),
  ATTR ("suid", true, MOUNT_ATTR_NOSUID),
  ATTR ("nodev", false, MOUNT_ATTR_NODEV),
  ATTR ("dev", true, MOUNT_ATTR_NODEV),
  ATTR ("noexec", false, MOUNT_ATTR_NOEXEC),
  ATTR ("exec", true, MOUNT_ATTR_NOEXEC),
  ATTR ("nodiratime", false, MOUNT_ATTR_NODIRATIME),
  ATTR ("diratime", true, MOUNT_ATTR_NODIRATIME),
  ATTR ("nosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW),
  ATTR ("symfollow", true, MOUNT_ATTR_NOSYMFOLLOW),
  ATIME ("relatime", false, MOUNT_ATTR_RELATIME),
  ATIME ("norelatime", true, MOUNT_ATTR_RELATIME),
  ATIME ("noatime", false, MOUNT_ATTR_NOATIME),
  ATIME ("atime", true, MOUNT_ATTR_NOATIME),
  ATIME ("strictatime", false, MOUNT_ATTR_STRICTATIME),
  ATIME ("nostrictatime", true, MOUNT_ATTR_STRICTATIME),
  { "sync", OPT_SB, false, MS_SYNCHRONOUS },
  { "async", OPT_SB, true, MS_SYNCHRONOUS },
  { "dirsync", OPT_SB, false, MS_DIRSYNC },
  { "mand", OPT_SB, false, MS_MANDLOCK },
  { "nomand", OPT_SB, true, MS_MANDLOCK },
  { "lazytime", OPT_SB, false, MS_LAZYTIME },
  { "nolazytime", OPT_SB, true, MS_LAZYTIME },
  { "bind", OPT_BIND, false, 0 },
  { "rbind", OPT_BIND, false, 1 },
  { "remount", OPT_REMOUNT, false, 0 },
  { "defaults", OPT_NOOP, false, 0 },
  { "loud", OPT_NOOP, false, 0 },
  { "silent", OPT_NOOP, false, 0 },
  { "idmap", OPT_REFUSE, false, 0 },
  { "ridmap", OPT_REFUSE, false, 0 },
  { "tmpcopyup", OPT_COPYUP, false, 0 },
  /* Superblock flags that binds ignore and that the new mount API has no
   * generic name for: accepted, as runc does for binds. */
  { "acl", OPT_NOOP, false, 0 },
  { "noacl", OPT_NOOP, false, 0 },
  { "iversion", OPT_NOOP, false, 0 },
  { "noiversion", OPT_NOOP, false, 0 },
};

static const struct {
  const char *name;
  struct mnt_propagation p;
} propagations[] = {
  { "private", { MS_PRIVATE, false } },
  { "rprivate", { MS_PRIVATE, true } },
  { "shared", { MS_SHARED, false } },
  { "rshared", { MS_SHARED, true } },
  { "slave", { MS_SLAVE, false } },
  { "rslave", { MS_SLAVE, true } },
  { "unbindable", { MS_UNBINDABLE, false } },
  { "runbindable", { MS_UNBINDABLE, true } },
};

bool
mnt_propagation_parse (const char *name, struct mnt_propagation *out)
{
  for (size_t i = 0; i < sizeof propagations / sizeof *propagations; i++)
    if (strcmp (name, propagations[i].name) == 0)
      {
        *out = propagations[i].p;
        return true;
      }
  return false;
}

static const struct opt *
find_opt (const char *name)
{
  for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
    if (strcmp (name, opts[i].name) == 0)
      return &opts[i];
  return NULL;
}

static void
set_flag (uint64_t *set, uint64_t *clr, bool clear, uint64_t v)
{
  if (clear)
    {
      *set &= ~v;
      *clr |= v;
    }
  else
    {
      *set |= v;
      *clr &= ~v;
    }
}

/* atime values are a field, not flags: -1 is "not asked", which leaves a
 * bind's atime as its source's and gives a new filesystem relatime.  The
 * negations (atime, norelatime, nostrictatime) only undo their own. */
static void
set_atime (int *atime, bool clear, uint64_t v)
{
  if (!clear)
    *atime = (int) v;
  else if (*atime == (int) v)
    *atime = -1;
}

static void
apply_atime (int atime, uint64_t *set, uint64_t *clr)
{
  if (atime < 0)
    return;
  *clr |= MOUNT_ATTR__ATIME;
  *set = (*set & ~(uint64_t) MOUNT_ATTR__ATIME) | (uint64_t) atime;
}

int
mnt_opts_parse (char *const *options, struct mnt_opts *mo, husk_err **err)
{
  size_t n = 0, n_data = 0;
  int atime = -1, ratime = -1;

  memset (mo, 0, sizeof *mo);
  for (char *const *o = options; o && *o; o++)
    n++;
  mo->data = calloc (n + 1, sizeof *mo->data);
  if (mo->data == NULL)
    return husk_error (err, ENOMEM, "mount options");

  for (size_t i = 0; i < n; i++)
    {
      const char *name = options[i];
      const struct opt *opt = find_opt (name);
      struct mnt_propagation prop;

      if (mnt_propagation_parse (name, &prop))
        {
          if (mo->n_prop == MNT_MAX_PROPAGATION)
            return husk_error (err, 0, "too many propagation options");
          mo->prop[mo->n_prop++] = prop;
          continue;
        }
      if (opt == NULL)
        {
          mo->data[n_data++] = name;
          continue;
        }
      switch (opt->kind)
        {
        case OPT_RO:
          set_flag (&mo->attr_set, &mo->attr_clr, opt->clear, opt->value);
          if (opt->clear)
            mo->sb_set &= ~(unsigned long) MS_RDONLY;
          else
            mo->sb_set |= MS_RDONLY;
          break;
        case OPT_ATTR:
          set_flag (&mo->attr_set, &mo->attr_clr, opt->clear, opt->value);
          break;
        case OPT_RATTR:
          set_flag (&mo->rattr_set, &mo->rattr_clr, opt->clear, opt->value);
          break;
        case OPT_ATIME:
          set_atime (&atime, opt->clear, opt->value);
          break;
        case OPT_RATIME:
          set_atime (&ratime, opt->clear, opt->value);
          break;
        case OPT_SB:
          if (opt->clear)
            mo->sb_set &= ~(unsigned long) opt->value;
          else
            mo->sb_set |= opt->value;
          break;
        case OPT_BIND:
          mo->bind = true;
          mo->recursive |= opt->value != 0;
          break;
        case OPT_REMOUNT:
          mo->remount = true;
          break;
        case OPT_COPYUP:
          mo->copyup = true;
          break;
        case OPT_NOOP:
          break;
        case OPT_REFUSE:
          return husk_error (err, EOPNOTSUPP,
                             "mount option \"%s\" is not supported", name);
        }
    }
  apply_atime (atime, &mo->attr_set, &mo->attr_clr);
  apply_atime (ratime, &mo->rattr_set, &mo->rattr_clr);
  return 0;
}

void
mnt_opts_free (struct mnt_opts *mo)
{
  free (mo->data);
  mo->data = NULL;
}
