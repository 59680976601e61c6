#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Until cmd/ says otherwise: text on stderr, no debug lines. */
static struct
{
  int fd; /* the --log file, or -1 for stderr */
  enum husk_log_format format;
  bool debug;
} log_conf = { -1, HUSK_LOG_TEXT, false };

static const char *const level_names[] = {
  [HUSK_LOG_DEBUG] = "debug",
  [HUSK_LOG_INFO] = "info",
  [HUSK_LOG_WARN] = "warning",
  [HUSK_LOG_ERROR] = "error",
};

int
husk_log_init (const char *path, enum husk_log_format format, bool debug)
{
  if (path)
    {
      /* O_CLOEXEC: the log must never leak into a container. */
      int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
      if (fd < 0)
        return -1;
      if (log_conf.fd >= 0)
        close (log_conf.fd);
      log_conf.fd = fd;
    }
  log_conf.format = format;
  log_conf.debug = debug;
  return 0;
}

int
husk_log_fd (void)
{
  return log_conf.fd;
}

/* A growing output buffer; on allocation failure it stays marked failed
 * and the line is dropped rather than written half. */
struct buf
{
  char *data;
  size_t len, cap;
  bool failed;
};

static void
buf_add (struct buf *b, const char *s, size_t n)
{
  if (b->failed)
    return;
  if (b->len + n + 1 > b->cap)
    {
      size_t cap = b->cap ? b->cap : 256;
      while (cap < b->len + n + 1)
        cap *= 2;
      char *d = realloc (b->data, cap);
      if (d == NULL)
        {
          b->failed = true;
          return;
        }
      b->data = d;
      b->cap = cap;
    }
  memcpy (b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

static void
buf_puts (struct buf *b, const char *s)
{
  buf_add (b, s, strlen (s));
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when the
 * bytes there are not one (overlong forms and surrogates included). */
static size_t
utf8_seq_len (const unsigned char *s, size_t n)
{
  size_t len;
  unsigned min;
  unsigned cp;

  if (s[0] < 0x80)
    return 1;
  if ((s[0] & 0xe0) == 0xc0)
    len = 2, min = 0x80, cp = s[0] & 0x1f;
  else if ((s[0] & 0xf0) == 0xe0)
    len = 3, min = 0x800, cp = s[0] & 0x0f;
  else if ((s[0] & 0xf8) == 0xf0)
    len = 4, min = 0x10000, cp = s[0] & 0x07;
  else
    return 0;
  if (len > n)
    return 0;
  for (size_t i = 1; i < len; i++)
    {
      if ((s[i] & 0xc0) != 0x80)
        return 0;
      cp = (cp << 6) | (s[i] & 0x3f);
    }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

/* Appends s as the inside of a JSON string: quotes, backslashes and control
 * characters escaped, valid UTF-8 passed through, invalid bytes replaced by
 * U+FFFD (as Go's encoder does) so that every line stays valid JSON. */
static void
buf_add_json_escaped (struct buf *b, const char *str)
{
  const unsigned char *s = (const unsigned char *) str;
  size_t n = strlen (str);

  for (size_t i = 0; i < n;)
    {
      unsigned char c = s[i];
      char esc[8];

      if (c == '"' || c == '\\')
        {
          esc[0] = '\\';
          esc[1] = (char) c;
          buf_add (b, esc, 2);
          i++;
        }
      else if (c < 0x20)
        {
          switch (c)
            {
            case '\n': buf_add (b, "\\n", 2); break;
            case '\r': buf_add (b, "\\r", 2); break;
            case '\t': buf_add (b, "\\t", 2); break;
            case '\b': buf_add (b, "\\b", 2); break;
            case '\f': buf_add (b, "\\f", 2); break;
            default:
              snprintf (esc, sizeof esc, "\\u%04x", c);
              buf_add (b, esc, 6);
            }
          i++;
        }
      else
        {
          size_t len = utf8_seq_len (s + i, n - i);
          if (len == 0)
            {
              buf_puts (b, "\\ufffd");
              i++;
            }
          else
            {
              buf_add (b, str + i, len);
              i += len;
            }
        }
    }
}

/* The civil date of a day count from 1970-01-01 (the proleptic Gregorian
 * calendar; H. Hinnant's algorithm).  Not gmtime_r: glibc's reads the local
 * time zone's file first, for a conversion that needs none. */
static void
civil_from_days (int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned) (z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;

  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t) yoe + era * 400 + (*m <= 2);
}

void
husk_rfc3339_now (char out[HUSK_RFC3339_LEN])
{
  struct timespec ts;
  int64_t days, secs, y;
  unsigned m, d;

  clock_gettime (CLOCK_REALTIME, &ts);
  days = ts.tv_sec / 86400;
  secs = ts.tv_sec % 86400;
  if (secs < 0)
    secs += 86400, days--;
  civil_from_days (days, &y, &m, &d);
  snprintf (out, HUSK_RFC3339_LEN, "%04d-%02u-%02uT%02d:%02d:%02d.%09ldZ",
            (int) y, m, d, (int) (secs / 3600), (int) (secs / 60 % 60),
            (int) (secs % 60), ts.tv_nsec);
}

static void
buf_add_time (struct buf *b)
{
  char out[HUSK_RFC3339_LEN];

  husk_rfc3339_now (out);
  buf_puts (b, out);
}

static void
format_json (struct buf *b, enum husk_log_level level, const char *msg)
{
  buf_puts (b, "{\"level\":\"");
  buf_puts (b, level_names[level]);
  buf_puts (b, "\",\"msg\":\"");
  buf_add_json_escaped (b, msg);
  buf_puts (b, "\",\"time\":\"");
  buf_add_time (b);
  buf_puts (b, "\"}\n");
}

/* In a file, lines as logrus writes them (time, level, quoted msg); on a
 * terminal, what a person reads: "husk: warning: ...". */
static void
format_text (struct buf *b, enum husk_log_level level, const char *msg,
             bool to_file)
{
  if (to_file)
    {
      buf_puts (b, "time=\"");
      buf_add_time (b);
      buf_puts (b, "\" level=");
      buf_puts (b, level_names[level]);
      buf_puts (b, " msg=\"");
      buf_add_json_escaped (b, msg);
      buf_puts (b, "\"\n");
      return;
    }
  buf_puts (b, "husk: ");
  if (level != HUSK_LOG_ERROR && level != HUSK_LOG_INFO)
    {
      buf_puts (b, level_names[level]);
      buf_puts (b, ": ");
    }
  buf_puts (b, msg);
  buf_puts (b, "\n");
}

/* One write() per line, so that lines of concurrent husk processes sharing
 * an O_APPEND log never interleave. */
static void
write_all (int fd, const char *s, size_t n)
{
  while (n > 0)
    {
      ssize_t w = write (fd, s, n);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return;
      s += w;
      n -= (size_t) w;
    }
}

void
husk_log (enum husk_log_level level, const char *fmt, ...)
{
  struct buf b = { 0 };
  char *msg = NULL;
  va_list ap;
  int saved_errno = errno;

  if (level == HUSK_LOG_DEBUG && !log_conf.debug)
    return;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg == NULL)
    goto out;

  if (log_conf.format == HUSK_LOG_JSON)
    format_json (&b, level, msg);
  else
    format_text (&b, level, msg, log_conf.fd >= 0);
  if (!b.failed)
    write_all (log_conf.fd >= 0 ? log_conf.fd : STDERR_FILENO, b.data, b.len);

out:
  free (msg);
  free (b.data);
  errno = saved_errno;
}
