#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
husk_verror (husk_err **err, int errnum, const char *fmt, va_list ap)
{
  char *base = NULL, *full = NULL;
  husk_err *e;

  if (err == NULL || *err != NULL)
    return -1;
  if (vasprintf (&base, fmt, ap) < 0)
    base = NULL;
  if (base && errnum)
    {
      if (asprintf (&full, "%s: %s", base, strerror (errnum)) < 0)
        full = NULL;
      free (base);
    }
  else
    full = base;

  e = calloc (1, sizeof *e);
  if (e == NULL)
    {
      free (full);
      return -1;
    }
  e->errnum = errnum;
  e->msg = full ? full : strdup ("out of memory while reporting an error");
  *err = e;
  return -1;
}

int
husk_error (husk_err **err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  husk_verror (err, errnum, fmt, ap);
  va_end (ap);
  return -1;
}

int
husk_err_wrap (husk_err **err, const char *fmt, ...)
{
  char *prefix = NULL, *joined = NULL;
  va_list ap;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&prefix, fmt, ap) < 0)
    prefix = NULL;
  va_end (ap);
  if (prefix == NULL)
    return -1;
  if (asprintf (&joined, "%s: %s", prefix, (*err)->msg) >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = joined;
    }
  free (prefix);
  return -1;
}

void
husk_err_free (husk_err *err)
{
  if (err == NULL)
    return;
  free (err->msg);
  free (err);
}

void
husk_err_freep (husk_err **err)
{
  husk_err_free (*err);
  *err = NULL;
}
