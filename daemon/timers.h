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
/* The earliest pending timer or duty alert: 0 with *due, 1 if none. */
int timers_next_due(struct ag_ctx *e, int64_t *due);

#endif
