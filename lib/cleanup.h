/* __attribute__((cleanup)) helpers: every resource has one owner, and the
 * owner's scope ends it.  Hand a resource on by stealing it:
 * `int fd = steal_fd (&tmp);`. */
#ifndef HUSK_LIB_CLEANUP_H
#define HUSK_LIB_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
husk_freep (void *p)
{
  free (*(void **) p);
}

static inline void
husk_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
  *fd = -1;
}

static inline void
husk_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
  *f = NULL;
}

static inline void
husk_closedirp (DIR **d)
{
  if (*d)
    closedir (*d);
  *d = NULL;
}

static inline void
husk_strvfreep (char ***v)
{
  if (*v)
    {
      for (char **p = *v; *p; p++)
        free (*p);
      free (*v);
    }
  *v = NULL;
}

#define cleanup_free __attribute__ ((cleanup (husk_freep)))
#define cleanup_close __attribute__ ((cleanup (husk_closep)))
#define cleanup_file __attribute__ ((cleanup (husk_fclosep)))
#define cleanup_dir __attribute__ ((cleanup (husk_closedirp)))
#define cleanup_strv __attribute__ ((cleanup (husk_strvfreep)))

static inline int
steal_fd (int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}

static inline void *
steal_ptr (void *pp)
{
  void **p = (void **) pp;
  void *r = *p;
  *p = NULL;
  return r;
}

#endif
