/* Logging to stderr with syslog priority prefixes ("<3>"), which journald
 * reads as priorities.  log_warn and fatal append strerror(errno). */
#ifndef PARLEY_LOG_H
#define PARLEY_LOG_H

#include <stdarg.h>
#include <stdint.h>

/* verbose: 0 info and above, 1 adds debug. */
void log_init(int verbose);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A budget of lines a minute for one kind of line an outsider or a peer
 * can cause (its owner keeps it, zeroed to start). */
struct log_budget {
	int64_t start;		/* this minute's start, monotonic seconds */
	unsigned used;		/* lines logged in it */
	uint64_t dropped;	/* lines over the budget in it */
};
/* 1: log this line, 0: only count it.  *dropped_before is set to the
 * lines dropped in the minute that this call ended (0 if none, or if the
 * minute goes on), for the caller to say so in the line it logs. */
int log_budget_take(struct log_budget *b, unsigned per_minute, uint64_t *dropped_before);

/* Log and exit(1): setup failures and broken invariants only. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
