/* Messages between husk and the container's init over a SOCK_SEQPACKET
 * socketpair: one message a datagram, EOF when the other side is gone
 * (the init's end is close-on-exec, so EOF also means "exec'd"). */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "../lib/cleanup.h"
#include "../lib/sock.h"

/* A message is 32 KB: only its header and the bytes used are written, never
 * the whole (zeroing it cost 8 page faults a message on each side). */
static size_t
header_size (void)
{
  return offsetof (struct rt_sync_msg, text);
}

int
rt_sync_send (int fd, int type, pid_t pid, const char *text, husk_err **err)
{
  struct rt_sync_msg m;
  size_t len = text ? strlen (text) + 1 : 0;
  ssize_t n;

  if (len > sizeof m.text)
    return husk_error (err, E2BIG, "sync with the container's init: the state "
                       "document is over %zu bytes", sizeof m.text);
  m.type = type;
  m.errnum = 0;
  m.pid = pid;
  if (len)
    memcpy (m.text, text, len);
  do
    n = send (fd, &m, header_size () + len, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return husk_error (err, errno, "sync with the container's init");
  return 0;
}

void
rt_sync_send_error (int fd, const husk_err *e)
{
  struct rt_sync_msg m;
  int len;

  m.type = SYNC_ERROR;
  m.errnum = e ? e->errnum : 0;
  m.pid = 0;
  len = snprintf (m.text, sizeof m.text, "%s",
                  e && e->msg ? e->msg : "unknown error");
  if (len < 0 || (size_t) len >= sizeof m.text)
    len = (int) sizeof m.text - 1;
  /* a stream (exec.fifo) takes it whole too: it is below PIPE_BUF */
  if (write (fd, &m, header_size () + (size_t) len + 1) < 0)
    return;
}

int
rt_sync_send_fd (int sock, int type, int fd, husk_err **err)
{
  struct rt_sync_msg m = { .type = type };

  if (sock_send_with_fd (sock, &m, header_size (), fd) < 0)
    return husk_error (err, errno, "sync with the container's init");
  return 0;
}

int
rt_sync_recv_fd (int fd, struct rt_sync_msg *m, int *passed, husk_err **err)
{
  int unused;
  ssize_t n = sock_recv_with_fd (fd, m, sizeof *m - 1,
                                 passed ? passed : &unused);

  /* An init that failed before reading what husk sent it (run's early
   * START) leaves with data unread: the kernel then sets ECONNRESET on
   * husk's end, and reports it ahead of the messages still queued there.
   * Reading it clears it; the init's error comes next. */
  if (n < 0 && errno == ECONNRESET)
    n = sock_recv_with_fd (fd, m, sizeof *m - 1, passed ? passed : &unused);
  if (!passed)
    husk_closep (&unused);
  if (n < 0)
    return husk_error (err, errno, "sync with the container's init");
  if (n == 0)
    return 0;
  if ((size_t) n < header_size ())
    return husk_error (err, 0, "sync with the container's init: short message");
  ((char *) m)[n] = '\0'; /* ends text, which a sender may leave empty */
  return 1;
}

int
rt_sync_recv (int fd, struct rt_sync_msg *m, husk_err **err)
{
  return rt_sync_recv_fd (fd, m, NULL, err);
}

int
rt_sync_error (const struct rt_sync_msg *m, husk_err **err)
{
  /* the child's message already ends with its strerror */
  husk_error (err, 0, "%s", m->text);
  if (err && *err)
    (*err)->errnum = m->errnum;
  return -1;
}

int
rt_sync_expect (int fd, int want, struct rt_sync_msg *m, husk_err **err)
{
  int r = rt_sync_recv (fd, m, err);

  if (r < 0)
    return -1;
  if (r == 0)
    return husk_error (err, 0, "the container's init exited during setup");
  if (m->type == SYNC_ERROR)
    return rt_sync_error (m, err);
  if (m->type != want)
    return husk_error (err, 0, "sync with the container's init: got message "
                       "%d, expected %d", m->type, want);
  return 0;
}
