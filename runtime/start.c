/* start: releases a created container's init through exec.fifo.  The init
 * blocks opening the fifo for writing until start opens it for reading;
 * its end is close-on-exec, so the hang-up tells start that the user's
 * process runs, and bytes before it carry the init's error. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/log.h"

static int
read_report (int fd, char *buf, size_t size, size_t *len)
{
  for (;;)
    {
      ssize_t n = read (fd, buf + *len, size - *len);
      if (n > 0)
        {
          *len += (size_t) n;
          if (*len == size)
            return 1;
          continue;
        }
      if (n == 0)
        return 1;
      return errno == EAGAIN || errno == EINTR ? 0 : -1;
    }
}

int
rt_release_init (struct rt_container *c, husk_err **err)
{
  cleanup_close int pidfd = -1, rfd = -1;
  struct rt_sync_msg m;
  size_t len = 0;
  int done = 0;

  pidfd = rt_init_pidfd (&c->st, err);
  if (pidfd < 0)
    return errno == ESRCH ? husk_error (err, 0, "cannot start a container that "
                                        "has stopped") : -1;
  rfd = openat (c->dirfd, RT_FIFO_FILE, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (rfd < 0)
    return husk_error (err, errno, "open exec.fifo");
  while (!done)
    {
      struct pollfd p[2] = { { .fd = rfd, .events = POLLIN },
                             { .fd = pidfd, .events = POLLIN } };
      if (poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return husk_error (err, errno, "poll exec.fifo");
        }
      if (p[0].revents)
        done = read_report (rfd, (char *) &m, sizeof m - 1, &len);
      else if (p[1].revents)
        {
          /* gone before opening its end: whatever it wrote is all */
          read_report (rfd, (char *) &m, sizeof m - 1, &len);
          done = 1;
        }
      if (done < 0)
        return husk_error (err, errno, "read exec.fifo");
    }
  ((char *) &m)[len] = '\0'; /* not zeroed first: 8 page faults saved */
  if (unlinkat (c->dirfd, RT_FIFO_FILE, 0) < 0 && errno != ENOENT)
    return husk_error (err, errno, "remove exec.fifo");
  if (len >= offsetof (struct rt_sync_msg, text) && m.type == SYNC_ERROR)
    return rt_sync_error (&m, err);
  return 0;
}

void
rt_poststart (struct rt_container *c, const struct oci_config *cfg)
{
  cleanup_err husk_err *err = NULL;
  cleanup_free char *json = NULL;
  struct oci_config *own = NULL;

  if (!(c->st.hooks & RT_HOOK_POSTSTART))
    return;
  if (cfg == NULL && rt_load_config (c, &own, &err) == 0)
    cfg = own;
  if (cfg && rt_oci_state_json (c, "running", &json, &err) == 0)
    rt_run_hooks_warn (&cfg->hooks->poststart, "poststart", json);
  if (err)
    husk_warn ("poststart hooks: %s", err->msg);
  oci_config_free (own);
}

int
husk_start (const struct husk_globals *g, const char *id, husk_err **err)
{
  struct rt_container c;
  int rc = -1;

  if (rt_container_open (g, id, true, &c, err) < 0)
    return -1;
  switch (rt_container_status (&c))
    {
    case RT_CREATED:
      rc = rt_release_init (&c, err);
      break;
    case RT_STOPPED:
      husk_error (err, 0, "cannot start a container that has stopped");
      break;
    case RT_RUNNING:
      husk_error (err, 0, "cannot start an already running container");
      break;
    case RT_PAUSED:
      husk_error (err, 0, "cannot start a paused container");
      break;
    case RT_CREATING:
      husk_error (err, 0, "cannot start a container that is still being "
                  "created (or whose create was killed: delete it)");
      break;
    }
  if (rc == 0)
    rt_poststart (&c, NULL);
  rt_container_release (&c);
  return rc;
}
