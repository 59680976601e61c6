/* husk's one error type: an errno and a message chain, returned up and
 * printed once at the top (cmd/).  Functions that can fail return a negative
 * value and fill *err; callers add context with husk_err_wrap(). */
#ifndef HUSK_LIB_ERROR_H
#define HUSK_LIB_ERROR_H

#include <stdarg.h>

typedef struct husk_err {
  int errnum;  /* 0 when the failure has no errno behind it */
  char *msg;   /* "outer context: inner context: cause[: strerror]" */
} husk_err;

/* Sets *err (if err is non-NULL and *err is NULL) and returns -1.  errnum is
 * appended as ": strerror(errnum)" when non-zero. */
int husk_error (husk_err **err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
int husk_verror (husk_err **err, int errnum, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 3, 0)));

/* Prefixes "context: " to an existing error; returns -1 so that callers can
 * write `return husk_err_wrap (err, "mount %s", dst);`. */
int husk_err_wrap (husk_err **err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

void husk_err_free (husk_err *err);

/* For __attribute__((cleanup)). */
void husk_err_freep (husk_err **err);
#define cleanup_err __attribute__ ((cleanup (husk_err_freep)))

#endif
