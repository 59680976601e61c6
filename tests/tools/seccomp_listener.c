/* A seccomp notify listener for tests/seccomp.bats.
 *
 *   seccomp_listener SOCKET STATE_OUT LOG_OUT ERRNO
 *
 * Listens on the unix socket SOCKET, accepts one runtime connection and
 * reads the containerProcessState document with its SCM_RIGHTS fd (the
 * seccomp listener fd) until the runtime closes the connection; the document
 * goes to STATE_OUT and the number of fds received to LOG_OUT ("fds N").
 * Each notification is answered with -ERRNO (ERRNO 0: the syscall goes on,
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE) and logged as "syscall NR" to LOG_OUT.
 * Exits 0 once every process of the filter is gone; 2 on any error. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static void
die (const char *what)
{
  fprintf (stderr, "seccomp_listener: %s: %s\n", what, strerror (errno));
  exit (2);
}

static int
listen_on (const char *path)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0 || strlen (path) + 4 >= sizeof sa.sun_path)
    die ("socket");
  /* bound and listening under a temporary name, then renamed: the test
   * that waits for the path never connects before listen */
  snprintf (sa.sun_path, sizeof sa.sun_path, "%s.tmp", path);
  unlink (sa.sun_path);
  if (bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0 || listen (fd, 1) < 0
      || rename (sa.sun_path, path) < 0)
    die ("bind");
  return fd;
}

/* Appends what arrives to *doc; keeps the first fd passed. */
static ssize_t
receive (int sock, char **doc, size_t *len, int *nfd, int *n_fds)
{
  char buf[65536];
  union
  {
    char b[CMSG_SPACE (4 * sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = u.b, .msg_controllen = sizeof u.b };
  ssize_t r = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);

  if (r < 0)
    die ("recvmsg");
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&mh); c; c = CMSG_NXTHDR (&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        size_t n = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
        int fds[4];
        memcpy (fds, CMSG_DATA (c), n * sizeof (int));
        for (size_t i = 0; i < n; i++)
          if (*nfd < 0)
            *nfd = fds[i];
          else
            close (fds[i]);
        *n_fds += (int) n;
      }
  *doc = realloc (*doc, *len + (size_t) r + 1);
  if (*doc == NULL)
    die ("realloc");
  memcpy (*doc + *len, buf, (size_t) r);
  *len += (size_t) r;
  (*doc)[*len] = '\0';
  return r;
}

static void
answer (int nfd, int err, FILE *log)
{
  struct seccomp_notif_sizes sz;
  struct seccomp_notif *req;
  struct seccomp_notif_resp *resp;

  if (syscall (SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
    die ("SECCOMP_GET_NOTIF_SIZES");
  req = calloc (1, sz.seccomp_notif > sizeof *req ? sz.seccomp_notif : sizeof *req);
  resp = calloc (1, sz.seccomp_notif_resp > sizeof *resp ? sz.seccomp_notif_resp
                                                         : sizeof *resp);
  if (req == NULL || resp == NULL)
    die ("calloc");
  if (ioctl (nfd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
    {
      /* the process died between poll and recv */
      if (errno != ENOENT && errno != EINTR)
        die ("SECCOMP_IOCTL_NOTIF_RECV");
      goto out;
    }
  fprintf (log, "syscall %d\n", req->data.nr);
  fflush (log);
  resp->id = req->id;
  if (err == 0)
    resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  else
    resp->error = -err;
  if (ioctl (nfd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
    die ("SECCOMP_IOCTL_NOTIF_SEND");
out:
  free (req);
  free (resp);
}

int
main (int argc, char **argv)
{
  int lsock, sock, nfd = -1, n_fds = 0, err;
  char *doc = NULL;
  size_t len = 0;
  FILE *log;

  if (argc != 5)
    {
      fprintf (stderr, "usage: seccomp_listener SOCKET STATE_OUT LOG_OUT ERRNO\n");
      return 2;
    }
  err = atoi (argv[4]);
  log = fopen (argv[3], "w");
  if (log == NULL)
    die (argv[3]);
  lsock = listen_on (argv[1]);
  sock = accept4 (lsock, NULL, NULL, SOCK_CLOEXEC);
  if (sock < 0)
    die ("accept");
  close (lsock);
  for (;;)
    {
      struct pollfd p[2] = { { .fd = sock, .events = POLLIN },
                             { .fd = nfd, .events = POLLIN } };
      if (sock < 0 && nfd < 0)
        break;
      if (poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          die ("poll");
        }
      if (sock >= 0 && (p[0].revents & (POLLIN | POLLHUP))
          && receive (sock, &doc, &len, &nfd, &n_fds) == 0)
        {
          FILE *f = fopen (argv[2], "w");
          if (f == NULL || fputs (doc ? doc : "", f) < 0 || fclose (f) != 0)
            die (argv[2]);
          fprintf (log, "fds %d\n", n_fds);
          fflush (log);
          close (sock);
          sock = -1;
        }
      if (nfd >= 0 && (p[1].revents & POLLIN))
        answer (nfd, err, log);
      else if (nfd >= 0 && (p[1].revents & (POLLHUP | POLLERR)))
        {
          close (nfd);
          nfd = -1;
        }
    }
  fclose (log);
  return n_fds == 1 ? 0 : 2;
}
