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
#include "../lib/json_gen.h"
#include "../lib/sock.h"

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
  if (sock_send_with_fd (sock, msg, strlen (msg), notify_fd) < 0)
    return husk_error (err, errno, "send to the seccomp listener %s",
                       sc->listener_path);
  return 0;
}
