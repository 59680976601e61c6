/* Login names from /etc/passwd, read directly as runc's own user package
 * does: husk is one static binary, and glibc's getpwuid would load NSS
 * modules (and with them a second libc) into it. */
#ifndef HUSK_LIB_PASSWD_H
#define HUSK_LIB_PASSWD_H

#include <sys/types.h>

/* The name of uid's first entry in /etc/passwd, malloc'd; NULL with errno
 * (ENOENT: no entry) otherwise. */
char *passwd_name (uid_t uid);

#endif
