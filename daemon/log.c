#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* The only process-wide state in the daemon: logging has one destination. */
static int log_verbose;

void
log_init(int verbose)
{
	log_verbose = verbose;
}

static void
vlog(int pri, int with_errno, const char *fmt, va_list ap)
{
	int saved = errno;
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno)
		fprintf(stderr, "<%d>%s: %s\n", pri, msg, strerror(saved));
	else
		fprintf(stderr, "<%d>%s\n", pri, msg);
	fflush(stderr);
	errno = saved;
}

#define LOGFN(name, pri, errflag)               \
	void name(const char *fmt, ...)          \
	{                                        \
		va_list ap;                      \
		va_start(ap, fmt);               \
		vlog(pri, errflag, fmt, ap);     \
		va_end(ap);                      \
	}

LOGFN(log_warn, 4, 1)
LOGFN(log_warnx, 4, 0)
LOGFN(log_info, 6, 0)

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(7, 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(2, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(2, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

int
log_budget_take(struct log_budget *b, unsigned per_minute, uint64_t *dropped_before)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	*dropped_before = 0;
	if (b->used == 0 || ts.tv_sec - b->start >= 60) {
		*dropped_before = b->dropped;
		b->start = ts.tv_sec;
		b->used = 0;
		b->dropped = 0;
	}
	if (b->used < per_minute) {
		b->used++;
		return 1;
	}
	b->dropped++;
	return 0;
}
