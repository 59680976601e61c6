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
