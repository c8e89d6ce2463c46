/* Time in the lifecycle: signing deadlines and reminders, effect, validity
 * and expiry, extensions, and Day-X calendars of measures.
 *
 * Every future event is a row in the timer table, written in the same
 * transaction as the fact that makes it due; firing a timer and marking it
 * fired happen in one transaction too, so a restart neither loses a timer nor
 * fires one twice.  Timers fire in (due time, id) order; with a virtual clock
 * the clock steps to each timer's due time as it fires. */
#ifndef PARLEY_TIMELINE_H
#define PARLEY_TIMELINE_H

#include <stdint.h>

#include "agreement.h"

/* The agreement starts circulating: reminders and the deadline. */
int timeline_on_circulate(struct ag_ctx *e, const struct ag *a);
/* The agreement was released (a->released_at, effective_at set): expiry,
 * the effect notice, extension of what it extends, Day-X on release. */
int timeline_on_release(struct ag_ctx *e, struct ag *a);

/* Parse a validity option into the canonical term ("" open-ended,
 * "for <n>s", "until <UTC ISO>").  0, or -1 with a reason. */
int timeline_validity_term(const char *valid_for, const char *valid_until, char *term,
    size_t termlen, char *why, size_t whylen);

/* Fire every timer due at or before upto, in order (inside a transaction).
 * Returns how many fired, or -1 on a store failure. */
int timeline_run(struct ag_ctx *e, int64_t upto);
/* The earliest pending timer: 0 with *due, 1 if none. */
int timeline_next_due(struct ag_ctx *e, int64_t *due);

/* Mediator verbs. */
int timeline_set(struct ag_ctx *e, int64_t id, const char *text, size_t len, struct out *o);
int timeline_show(struct ag_ctx *e, int64_t id, struct out *o);
int timeline_dayx(struct ag_ctx *e, int64_t id, const char *when, struct out *o);
/* The chronology and the extension chain, appended to agreement show. */
void timeline_show_record(struct ag_ctx *e, const struct ag *a, struct out *o);

/* Party requests (answer through r; 1 keep, 0 roll back). */
enum req_end timeline_confirm(struct ag_ctx *e, const struct req *r, uint64_t agreement,
    uint32_t measure);
enum req_end timeline_party_show(struct ag_ctx *e, const struct req *r, uint64_t agreement);

#endif
