/* AF_UNIX helpers shared by the console socket (runtime/) and the seccomp
 * listener (seccomp/). */
#ifndef HUSK_LIB_SOCK_H
#define HUSK_LIB_SOCK_H

#include <stddef.h>
#include <sys/types.h>

/* Sends len bytes of msg on sock with fd passed (SCM_RIGHTS) on the first
 * byte; a short send goes on without it.  EINTR is retried.  Returns 0, or
 * -1 with errno set. */
int sock_send_with_fd (int sock, const void *msg, size_t len, int fd);

/* Receives one message of at most len bytes into buf, and *fd the fd it
 * carries (SCM_RIGHTS, made O_CLOEXEC; -1 when none, and on EOF or an
 * error).  EINTR is retried.  Returns recvmsg's count (0: EOF), or -1 with
 * errno set. */
ssize_t sock_recv_with_fd (int sock, void *buf, size_t len, int *fd);

/* Receives one message on sock and the fd it carries (SCM_RIGHTS, made
 * O_CLOEXEC).  EINTR is retried.  Returns the fd, or -1 with errno set
 * (EBADMSG: the message carried none; ECONNRESET: the peer closed first). */
int sock_recv_fd (int sock);

#endif
