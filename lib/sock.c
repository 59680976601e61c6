#include "sock.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

int
sock_send_with_fd (int sock, const void *msg, size_t len, int fd)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = (void *) msg, .iov_len = len };
  struct msghdr mh = {
    .msg_iov = &iov, .msg_iovlen = 1,
    .msg_control = u.buf, .msg_controllen = sizeof u.buf,
  };
  struct cmsghdr *c;
  ssize_t w;

  memset (&u, 0, sizeof u);
  c = CMSG_FIRSTHDR (&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof fd);
  do
    w = sendmsg (sock, &mh, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  while (w >= 0 && (size_t) w < len)
    {
      ssize_t more = send (sock, (const char *) msg + w, len - (size_t) w,
                           MSG_NOSIGNAL);
      if (more < 0 && errno == EINTR)
        continue;
      if (more <= 0)
        return -1;
      w += more;
    }
  return w < 0 ? -1 : 0;
}

ssize_t
sock_recv_with_fd (int sock, void *buf, size_t len, int *fd)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = buf, .iov_len = len };
  struct msghdr mh = {
    .msg_iov = &iov, .msg_iovlen = 1,
    .msg_control = u.buf, .msg_controllen = sizeof u.buf,
  };
  struct cmsghdr *c;
  ssize_t r;

  *fd = -1;
  do
    r = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  c = r > 0 ? CMSG_FIRSTHDR (&mh) : NULL;
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS
      && c->cmsg_len == CMSG_LEN (sizeof (int)))
    memcpy (fd, CMSG_DATA (c), sizeof *fd);
  return r;
}

int
sock_recv_fd (int sock)
{
  char byte;
  int fd;
  ssize_t r = sock_recv_with_fd (sock, &byte, sizeof byte, &fd);

  if (r < 0)
    return -1;
  if (fd < 0)
    {
      errno = r == 0 ? ECONNRESET : EBADMSG;
      return -1;
    }
  return fd;
}
