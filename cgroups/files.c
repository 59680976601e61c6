/* Reading and writing cgroup files, and waiting on cgroup.events. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "internal.h"

static int
open_file (const struct husk_cgroup *cg, const char *file, int flags)
{
  return openat (cg->dirfd, file, flags | O_CLOEXEC | O_NOFOLLOW);
}

int
cg_try_write (const struct husk_cgroup *cg, const char *file, const char *value)
{
  cleanup_close int fd = open_file (cg, file, O_WRONLY);
  size_t len = strlen (value);
  ssize_t w;

  if (fd < 0)
    return -errno;
  w = write (fd, value, len);
  if (w < 0)
    return -errno;
  return (size_t) w == len ? 0 : -EIO;
}

int
cg_write (const struct husk_cgroup *cg, const char *file, const char *value,
          husk_err **err)
{
  int r = cg_try_write (cg, file, value);
  if (r < 0)
    return husk_error (err, -r, "cgroup: write \"%s\" to %s/%s", value,
                       cg->path, file);
  return 0;
}

int
cg_read (const struct husk_cgroup *cg, const char *file, char **out,
         husk_err **err)
{
  cleanup_close int fd = open_file (cg, file, O_RDONLY);
  cleanup_free char *buf = NULL;
  size_t len = 0, cap = 0;

  if (fd < 0)
    return husk_error (err, errno, "cgroup: open %s/%s", cg->path, file);
  for (;;)
    {
      ssize_t r;
      if (cap - len < 4096)
        {
          char *nb = realloc (buf, cap + 8192);
          if (nb == NULL)
            return husk_error (err, ENOMEM, "cgroup: read %s/%s", cg->path, file);
          buf = nb;
          cap += 8192;
        }
      r = read (fd, buf + len, cap - len - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return husk_error (err, errno, "cgroup: read %s/%s", cg->path, file);
      if (r == 0)
        break;
      len += (size_t) r;
    }
  buf[len] = '\0';
  *out = steal_ptr (&buf);
  return 0;
}

int
cg_parse_u64 (const char *s, uint64_t *out)
{
  char *end;
  unsigned long long v;

  if (strncmp (s, "max", 3) == 0 && (s[3] == '\0' || s[3] == '\n' || s[3] == ' '))
    {
      *out = UINT64_MAX;
      return 0;
    }
  errno = 0;
  v = strtoull (s, &end, 10);
  if (errno || end == s || (*end && *end != '\n' && *end != ' '))
    return -1;
  *out = v;
  return 0;
}

int
cg_keyed_value (const char *content, const char *key, uint64_t *out)
{
  size_t klen = strlen (key);
  const char *p = content;

  while (p && *p)
    {
      if (strncmp (p, key, klen) == 0 && p[klen] == ' ')
        return cg_parse_u64 (p + klen + 1, out) == 0 ? 1 : -1;
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  return 0;
}

int
cg_event (const struct husk_cgroup *cg, const char *key, uint64_t *out,
          husk_err **err)
{
  cleanup_free char *ev = NULL;
  if (cg_read (cg, "cgroup.events", &ev, err) < 0)
    return -1;
  if (cg_keyed_value (ev, key, out) != 1)
    return husk_error (err, 0, "cgroup: %s/cgroup.events: no \"%s\" line",
                       cg->path, key);
  return 0;
}

int64_t
cg_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* cgroup.events signals changes with POLLPRI; the poll is also bounded to
 * 50 ms so that a missed notification only costs that. */
int
cg_wait_event (const struct husk_cgroup *cg, const char *key, uint64_t want,
               int timeout_ms, husk_err **err)
{
  cleanup_close int fd = open_file (cg, "cgroup.events", O_RDONLY);
  int64_t deadline = cg_now_ms () + timeout_ms;
  char buf[512];

  if (fd < 0)
    return husk_error (err, errno, "cgroup: open %s/cgroup.events", cg->path);
  for (;;)
    {
      ssize_t r = pread (fd, buf, sizeof buf - 1, 0);
      uint64_t v;
      struct pollfd pfd = { .fd = fd, .events = POLLPRI };
      int64_t left;

      if (r < 0)
        return husk_error (err, errno, "cgroup: read %s/cgroup.events", cg->path);
      buf[r] = '\0';
      if (cg_keyed_value (buf, key, &v) == 1 && v == want)
        return 1;
      left = deadline - cg_now_ms ();
      if (left <= 0)
        return 0;
      if (poll (&pfd, 1, left < 50 ? (int) left : 50) < 0 && errno != EINTR)
        return husk_error (err, errno, "cgroup: poll %s/cgroup.events", cg->path);
    }
}
