/* The timer runner: fires every timer that is due, in (due time, id)
 * order, each through the module that owns its kind (timeline_fire for an
 * agreement's, incident_fire for an incident's), interleaved in time order
 * with the duty watch's alerts (recorded with duty_alert_record).  Firing
 * a timer and marking it fired happen in the caller's transaction, so a
 * restart neither loses a timer nor fires one twice.  With a virtual clock
 * the clock steps to each timer's due time as it fires. */
#ifndef PARLEY_TIMERS_H
#define PARLEY_TIMERS_H

#include <stdint.h>

#include "agreement.h"

/* Fire every timer and duty alert due at or before upto (inside a
 * transaction).  Returns how many fired, or -1 on a store failure. */
int timers_run(struct ag_ctx *e, int64_t upto);

/* What fired, for the mediator moving the virtual clock: a line each
 * ("sign-reminder of agreement 3 due 1994-05-11T20:00:00Z"), the first
 * TIMERS_LOG_MAX of them. */
#define TIMERS_LOG_MAX 32
struct timers_log {
	size_t n;
	char line[TIMERS_LOG_MAX][96];
};
/* timers_run, writing what fired into log. */
int timers_run_logged(struct ag_ctx *e, int64_t upto, struct timers_log *log);
/* The earliest pending timer or duty alert: 0 with *due, 1 if none. */
int timers_next_due(struct ag_ctx *e, int64_t *due);

#endif
