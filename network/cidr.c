/* Addresses with a prefix (struct husk_cidr): parse, print, compare. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int
cidr_family_len (int family)
{
  return family == AF_INET ? 4 : 16;
}

/* 0 to max, digits only, no sign, no leading zeros but "0". */
static int
parse_prefix (const char *s, unsigned max, unsigned *out)
{
  size_t len = strlen (s);

  if (len == 0 || len > 3 || strspn (s, "0123456789") != len
      || (len > 1 && s[0] == '0'))
    return -1;
  *out = (unsigned) atoi (s);
  return *out <= max ? 0 : -1;
}

int
cidr_parse (const char *s, bool need_prefix, struct husk_cidr *out)
{
  char buf[CIDR_STRLEN];
  const char *slash = strchr (s, '/');
  size_t len = slash ? (size_t) (slash - s) : strlen (s);
  unsigned prefix;

  if (len == 0 || len >= INET6_ADDRSTRLEN || (need_prefix && !slash))
    return -1;
  memcpy (buf, s, len);
  buf[len] = '\0';
  memset (out, 0, sizeof *out);
  if (inet_pton (AF_INET, buf, out->addr) == 1)
    out->family = AF_INET;
  else if (inet_pton (AF_INET6, buf, out->addr) == 1)
    out->family = AF_INET6;
  else
    return -1;
  out->prefix = cidr_family_len (out->family) * 8;
  if (slash)
    {
      if (parse_prefix (slash + 1, out->prefix, &prefix) < 0)
        return -1;
      out->prefix = prefix;
    }
  return 0;
}

const char *
cidr_str (const struct husk_cidr *c, bool with_prefix, char buf[CIDR_STRLEN])
{
  size_t len;

  if (inet_ntop (c->family, c->addr, buf, INET6_ADDRSTRLEN) == NULL)
    strcpy (buf, "?");
  len = strlen (buf);
  if (with_prefix)
    snprintf (buf + len, CIDR_STRLEN - len, "/%u", c->prefix);
  return buf;
}

bool
cidr_contains (const struct husk_cidr *net, const struct husk_cidr *a)
{
  unsigned bits = net->prefix;

  if (net->family != a->family)
    return false;
  for (unsigned i = 0; bits > 0; i++, bits = bits > 8 ? bits - 8 : 0)
    {
      uint8_t mask = bits >= 8 ? 0xff : (uint8_t) (0xff << (8 - bits));
      if ((net->addr[i] & mask) != (a->addr[i] & mask))
        return false;
    }
  return true;
}

