/* Logging to stderr with syslog priority prefixes ("<3>"), which journald
 * reads as priorities.  log_warn and fatal append strerror(errno). */
#ifndef PARLEY_LOG_H
#define PARLEY_LOG_H

#include <stdarg.h>

/* verbose: 0 info and above, 1 adds debug. */
void log_init(int verbose);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log and exit(1): setup failures and broken invariants only. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
