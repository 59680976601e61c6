/* Private to cgroups/: shared by its files, never included from outside. */
#ifndef HUSK_CGROUPS_INTERNAL_H
#define HUSK_CGROUPS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"
#include "cgroups.h"

struct husk_cgroup {
  char *path;   /* absolute directory */
  int dirfd;    /* O_DIRECTORY | O_CLOEXEC */
  int dev_prog; /* a device program loaded ahead, not attached yet; -1 */
};

/* Writes value to the cgroup file (no O_CREAT: a missing file is ENOENT).
 * Errors: cgroup: write "VALUE" to DIR/FILE: strerror. */
int cg_write (const struct husk_cgroup *cg, const char *file, const char *value,
              husk_err **err);
/* Same, returning -errno without an error message (for callers that try). */
int cg_try_write (const struct husk_cgroup *cg, const char *file,
                  const char *value);

/* Refuses, by name, the first of `needed` (NULL-terminated) that the
 * cgroup2 mount at mnt does not offer. */
int cg_check_available (const char *mnt, const char **needed, husk_err **err);

/* linux.resources as the cgroup2 mount at mnt can apply them: r itself, or
 * *buf (a shallow copy of r) without linux.resources.cpu where that asks
 * only for cgroup v1's default cpu.shares (1024, which containerd's ctr always
 * sets) and the mount has no cpu controller (a hybrid host), as a runc on
 * cgroup v1 would run it with no cpu setting of its own. */
const struct oci_resources *cg_host_resources (const char *mnt,
                                               const struct oci_resources *r,
                                               struct oci_resources *buf);

/* Reads a whole cgroup file into *out (NUL-terminated, malloc'd).  Returns
 * -1 with *err set; err->errnum tells ENOENT apart. */
int cg_read (const struct husk_cgroup *cg, const char *file, char **out,
             husk_err **err);

/* In a flat keyed file ("key value\n"...), the value of key.  Returns 1 when
 * found, 0 when not, -1 on a malformed value. */
int cg_keyed_value (const char *content, const char *key, uint64_t *out);

/* Parses a single-value file's content: a number or "max" (UINT64_MAX). */
int cg_parse_u64 (const char *s, uint64_t *out);

/* Reads "frozen" or "populated" from cgroup.events. */
int cg_event (const struct husk_cgroup *cg, const char *key, uint64_t *out,
              husk_err **err);

/* Waits until cgroup.events has key == want, at most timeout_ms.  Returns 1
 * when it did, 0 on timeout, -1 on error. */
int cg_wait_event (const struct husk_cgroup *cg, const char *key,
                   uint64_t want, int timeout_ms, husk_err **err);

int64_t cg_now_ms (void); /* CLOCK_MONOTONIC */

/* Installs the device program of `linux_` (devices.c). */
int cg_devices_apply (struct husk_cgroup *cg, const struct oci_linux *linux_,
                      husk_err **err);

#endif
