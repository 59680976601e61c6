/* Logging in the format the caller asked for: text (stderr or --log FILE) or
 * runc's JSON lines ({"level":"error","msg":"...","time":"..."}) that
 * containerd and conmon read back.  cmd/ configures it once; any module may
 * log warnings and debug lines.  Errors are not logged below cmd/: they are
 * returned as husk_err and printed once by cmd/. */
#ifndef HUSK_LIB_LOG_H
#define HUSK_LIB_LOG_H

#include <stdbool.h>

enum husk_log_level { HUSK_LOG_DEBUG, HUSK_LOG_INFO, HUSK_LOG_WARN, HUSK_LOG_ERROR };
enum husk_log_format { HUSK_LOG_TEXT, HUSK_LOG_JSON };

/* path NULL: stderr.  Returns -1 with errno set when the file cannot be
 * opened. */
int husk_log_init (const char *path, enum husk_log_format format, bool debug);

void husk_log (enum husk_log_level level, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

#define husk_debug(...) husk_log (HUSK_LOG_DEBUG, __VA_ARGS__)
#define husk_warn(...) husk_log (HUSK_LOG_WARN, __VA_ARGS__)

/* The current time as RFC 3339 in UTC with nanoseconds, what Go's
 * time.Time reads back ("2026-12-06T07:20:15.123456789Z"), into out. */
#define HUSK_RFC3339_LEN 64 /* 31 used; room for what the compiler counts */
void husk_rfc3339_now (char out[HUSK_RFC3339_LEN]);

/* The log's fd, so that a forked child can keep it open (or -1). */
int husk_log_fd (void);

#endif
