/* process.terminal: a pty whose slave is the container's stdio and whose
 * master goes to --console-socket (runc's protocol: one message carrying
 * the fd in SCM_RIGHTS), or, for `run` in the foreground without a socket,
 * is proxied to husk's own stdio. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/sock.h"

int
rt_pty_open (const struct oci_process *p, struct rt_pty *pty, husk_err **err)
{
  pty->master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  pty->slave = -1;
  if (pty->master < 0)
    return husk_error (err, errno, "open a pty (/dev/ptmx)");
  if (unlockpt (pty->master) < 0
      || ptsname_r (pty->master, pty->slave_path, sizeof pty->slave_path) != 0)
    goto fail;
  /* the peer of this master, without a path lookup */
  pty->slave = ioctl (pty->master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (pty->slave < 0)
    goto fail;
  if (p->has_console_size)
    {
      struct winsize ws = { .ws_row = (unsigned short) p->console_size.height,
                            .ws_col = (unsigned short) p->console_size.width };
      if (ioctl (pty->master, TIOCSWINSZ, &ws) < 0)
        goto fail;
    }
  return 0;
fail:
  husk_error (err, errno, "set up the pty");
  rt_pty_close (pty);
  return -1;
}

void
rt_pty_close (struct rt_pty *pty)
{
  husk_closep (&pty->master);
  husk_closep (&pty->slave);
}

int
rt_console_send (const char *socket_path, int master, husk_err **err)
{
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  static const char name[] = "/dev/ptmx";

  if (strlen (socket_path) >= sizeof addr.sun_path)
    return husk_error (err, ENAMETOOLONG, "console socket %s", socket_path);
  strcpy (addr.sun_path, socket_path);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return husk_error (err, errno, "connect to the console socket %s",
                       socket_path);
  if (sock_send_with_fd (fd, name, sizeof name - 1, master) < 0)
    return husk_error (err, errno, "send the pty to the console socket %s",
                       socket_path);
  return 0;
}

int
rt_pty_make_stdio (int slave, husk_err **err)
{
  if (setsid () < 0)
    return husk_error (err, errno, "setsid");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return husk_error (err, errno, "make the pty the controlling terminal");
  for (int i = 0; i < 3; i++)
    if (dup2 (slave, i) < 0)
      return husk_error (err, errno, "dup2 the pty onto fd %d", i);
  return 0;
}

int
rt_proxy_start (struct rt_proxy *px, int master, husk_err **err)
{
  memset (px, 0, sizeof *px);
  px->master = master;
  px->stdin_open = true;
  if (isatty (0) && tcgetattr (0, &px->saved) == 0)
    {
      struct termios raw = px->saved;
      cfmakeraw (&raw);
      if (tcsetattr (0, TCSANOW, &raw) < 0)
        return husk_error (err, errno, "put the terminal in raw mode");
      px->raw = true;
      rt_proxy_resize (px);
    }
  return 0;
}

static bool
copy (int from, int to)
{
  char buf[16384];
  ssize_t n = read (from, buf, sizeof buf);

  if (n <= 0)
    return n < 0 && (errno == EINTR || errno == EAGAIN);
  for (ssize_t off = 0; off < n;)
    {
      ssize_t w = write (to, buf + off, (size_t) (n - off));
      if (w < 0 && errno != EINTR)
        return true; /* the reader is gone: drop, keep the container going */
      off += w > 0 ? w : 0;
    }
  return true;
}

int
rt_proxy_pump (struct rt_proxy *px, short master_revents, short stdin_revents)
{
  if (px->stdin_open && (stdin_revents & (POLLIN | POLLHUP | POLLERR)))
    px->stdin_open = copy (0, px->master);
  if (master_revents & POLLIN)
    return copy (px->master, 1) ? 1 : 0;
  return (master_revents & (POLLHUP | POLLERR)) ? 0 : 1;
}

void
rt_proxy_drain (struct rt_proxy *px)
{
  char buf[16384];
  ssize_t n;

  fcntl (px->master, F_SETFL, O_NONBLOCK);
  while ((n = read (px->master, buf, sizeof buf)) > 0)
    if (write (1, buf, (size_t) n) < 0)
      break;
}

void
rt_proxy_resize (struct rt_proxy *px)
{
  struct winsize ws;

  if (ioctl (0, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
    ioctl (px->master, TIOCSWINSZ, &ws);
}

void
rt_proxy_end (struct rt_proxy *px)
{
  if (px->raw)
    tcsetattr (0, TCSANOW, &px->saved);
  px->raw = false;
}
