/* SCMP_ACT_NOTIFY: the listener fd and the container process state go to
 * listenerPath (runtime-spec config-linux.md, "seccomp"). */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <yajl/yajl_gen.h>

#include "../lib/cleanup.h"

static void
gen_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

/* {"ociVersion", "fds": ["seccompFd"], "pid", "metadata", "state"}.  The
 * state document is the runtime's own JSON, spliced in as it is. */
static int
process_state (const struct husk_seccomp *sc, pid_t pid,
               const char *state_json, char **out, husk_err **err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t n;
  int rc = 0;

  if (g == NULL)
    return husk_error (err, ENOMEM, "seccomp listener");
  yajl_gen_map_open (g);
  gen_str (g, "ociVersion");
  gen_str (g, HUSK_OCI_VERSION);
  gen_str (g, "fds");
  yajl_gen_array_open (g);
  gen_str (g, "seccompFd");
  yajl_gen_array_close (g);
  gen_str (g, "pid");
  yajl_gen_integer (g, pid);
  if (sc->listener_metadata)
    {
      gen_str (g, "metadata");
      gen_str (g, sc->listener_metadata);
    }
  if (yajl_gen_get_buf (g, &buf, &n) != yajl_gen_status_ok
      || asprintf (out, "%.*s,\"state\":%s}", (int) n, (const char *) buf,
                   state_json) < 0)
    rc = husk_error (err, ENOMEM, "seccomp listener");
  yajl_gen_free (g);
  return rc;
}

int
husk_seccomp_connect_listener (const struct husk_seccomp *sc, husk_err **err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1;
  const char *path = sc ? sc->listener_path : NULL;

  if (path == NULL)
    return husk_error (err, EINVAL, "seccomp listener: no listenerPath");
  if (strlen (path) >= sizeof sa.sun_path)
    return husk_error (err, ENAMETOOLONG, "linux.seccomp.listenerPath %s",
                       path);
  strcpy (sa.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return husk_error (err, errno, "seccomp listener: socket");
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return husk_error (err, errno, "connect to the seccomp listener %s", path);
  return steal_fd (&fd);
}

/* The fd rides on the first byte; a short send goes on without it. */
static int
send_with_fd (int sock, const char *msg, size_t len, int fd)
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
      ssize_t more = send (sock, msg + w, len - (size_t) w, MSG_NOSIGNAL);
      if (more < 0 && errno == EINTR)
        continue;
      if (more <= 0)
        return -1;
      w += more;
    }
  return w < 0 ? -1 : 0;
}

int
husk_seccomp_send_listener (const struct husk_seccomp *sc, int sock,
                            int notify_fd, pid_t pid, const char *state_json,
                            husk_err **err)
{
  cleanup_free char *msg = NULL;
  cleanup_close int own = -1;

  if (sc == NULL || sc->listener_path == NULL)
    return husk_error (err, EINVAL, "seccomp listener: no listenerPath");
  if (state_json == NULL || notify_fd < 0)
    return husk_error (err, EINVAL, "seccomp listener: no state or fd");
  if (process_state (sc, pid, state_json, &msg, err) < 0)
    return -1;
  if (sock < 0)
    {
      sock = own = husk_seccomp_connect_listener (sc, err);
      if (sock < 0)
        return -1;
    }
  if (send_with_fd (sock, msg, strlen (msg), notify_fd) < 0)
    return husk_error (err, errno, "send to the seccomp listener %s",
                       sc->listener_path);
  return 0;
}
