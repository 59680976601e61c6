/* The TAP check shared by the unit tests: "ok N - ..." or "not ok N - ...",
 * counted in n_tests and n_failed for main's plan and exit status. */
#ifndef HUSK_TESTS_UNIT_CHECK_H
#define HUSK_TESTS_UNIT_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int n_tests, n_failed;

static void __attribute__ ((format (printf, 2, 3)))
check (bool ok, const char *fmt, ...)
{
  va_list ap;
  n_tests++;
  if (!ok)
    n_failed++;
  printf ("%s %d - ", ok ? "ok" : "not ok", n_tests);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
}

#endif
