/* See passwd.h. */
#include "passwd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

/* "name:password:uid:..." -> name, when the uid field is uid. */
static char *
entry_name (char *line, uid_t uid)
{
  char *name = strsep (&line, ":"), *uid_field, *end;
  unsigned long u;

  if (line == NULL || strsep (&line, ":") == NULL || line == NULL)
    return NULL;
  uid_field = strsep (&line, ":");
  errno = 0;
  u = strtoul (uid_field, &end, 10);
  if (errno || end == uid_field || *end || u != (unsigned long) uid)
    return NULL;
  return name;
}

char *
passwd_name (uid_t uid)
{
  cleanup_file FILE *f = fopen ("/etc/passwd", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  char *name;

  if (f == NULL)
    return NULL;
  while (getline (&line, &cap, f) > 0)
    if ((name = entry_name (line, uid)) != NULL)
      return strdup (name);
  errno = ENOENT;
  return NULL;
}
