#include "cmd.h"

#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Names that glibc's sigabbrev_np() does not give (it has one name per
 * number), accepted as runc (Go's unix.SignalNum) does. */
static const struct
{
  const char *name;
  int sig;
} aliases[] = {
  { "IOT", SIGABRT },
  { "CLD", SIGCHLD },
  { "POLL", SIGIO },
};

static int
parse_rt (const char *name, int *sig)
{
  const char *rest;
  int base, dir;

  if (strncasecmp (name, "RTMIN", 5) == 0)
    base = SIGRTMIN, dir = 1, rest = name + 5;
  else if (strncasecmp (name, "RTMAX", 5) == 0)
    base = SIGRTMAX, dir = -1, rest = name + 5;
  else
    return -1;
  if (*rest == '\0')
    return *sig = base, 0;
  if ((dir > 0 && *rest != '+') || (dir < 0 && *rest != '-')
      || !isdigit ((unsigned char) rest[1]))
    return -1;
  char *end;
  long n = strtol (rest + 1, &end, 10);
  if (*end != '\0' || n > SIGRTMAX - SIGRTMIN)
    return -1;
  *sig = base + dir * (int) n;
  return 0;
}

/* Like runc: a number, or a name with or without "SIG" in any case. */
int
cmd_parse_signal (const char *s, int *sig, husk_err **err)
{
  const char *name = s;

  if (isdigit ((unsigned char) *s))
    {
      char *end;
      long n = strtol (s, &end, 10);
      if (*end != '\0' || n < 1 || n > SIGRTMAX)
        return husk_error (err, 0, "invalid signal number \"%s\": expected 1 to %d",
                           s, SIGRTMAX);
      *sig = (int) n;
      return 0;
    }
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;
  if (*name == '\0')
    goto unknown;
  for (int i = 1; i < SIGRTMIN; i++)
    {
      const char *abbrev = sigabbrev_np (i);
      if (abbrev && strcasecmp (abbrev, name) == 0)
        return *sig = i, 0;
    }
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (strcasecmp (aliases[i].name, name) == 0)
      return *sig = aliases[i].sig, 0;
  if (parse_rt (name, sig) == 0)
    return 0;
unknown:
  return husk_error (err, 0, "unknown signal \"%s\"", s);
}
