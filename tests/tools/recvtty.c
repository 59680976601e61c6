/* recvtty SOCKET [INPUT]: the other end of --console-socket for tests.
 * Listens on the AF_UNIX socket SOCKET, takes one pty master (SCM_RIGHTS,
 * runc's protocol), writes INPUT to it when given, then copies what the
 * container writes to stdout until the pty's last slave is closed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int
die (const char *what)
{
  fprintf (stderr, "recvtty: %s: %s\n", what, strerror (errno));
  return 1;
}

int
main (int argc, char **argv)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char data[256], buf[4096];
  struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
  union
  {
    struct cmsghdr h;
    char b[CMSG_SPACE (sizeof (int))];
  } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = u.b, .msg_controllen = sizeof u.b };
  struct cmsghdr *c;
  int lfd, cfd, master;
  ssize_t n;

  if (argc < 2 || strlen (argv[1]) + 4 >= sizeof addr.sun_path)
    {
      fprintf (stderr, "usage: recvtty SOCKET [INPUT]\n");
      return 2;
    }
  /* listening before the path appears: bound under a temporary name */
  snprintf (addr.sun_path, sizeof addr.sun_path, "%s.tmp", argv[1]);
  lfd = socket (AF_UNIX, SOCK_STREAM, 0);
  if (lfd < 0 || bind (lfd, (struct sockaddr *) &addr, sizeof addr) < 0
      || listen (lfd, 1) < 0 || rename (addr.sun_path, argv[1]) < 0)
    return die ("listen");
  cfd = accept (lfd, NULL, NULL);
  if (cfd < 0)
    return die ("accept");
  if (recvmsg (cfd, &msg, 0) < 0)
    return die ("recvmsg");
  c = CMSG_FIRSTHDR (&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS)
    {
      fprintf (stderr, "recvtty: no fd received\n");
      return 1;
    }
  memcpy (&master, CMSG_DATA (c), sizeof master);
  close (cfd);
  close (lfd);
  unlink (argv[1]);
  if (argc > 2 && write (master, argv[2], strlen (argv[2])) < 0)
    return die ("write");
  /* EIO once no slave is open any more */
  while ((n = read (master, buf, sizeof buf)) > 0)
    if (write (1, buf, (size_t) n) < 0)
      return die ("write");
  return 0;
}
