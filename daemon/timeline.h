/* Time in the lifecycle: signing deadlines and reminders, effect, validity
 * and expiry, extensions, and Day-X calendars of measures.
 *
 * Every future event is a row in the timer table (ag_timer_add), written in
 * the same transaction as the fact that makes it due; timers.c fires them. */
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
int timeline_validity_term(const char *valid_for, const char *valid_until, const char *zone,
    char *term, size_t termlen, char *why, size_t whylen);

/* A calendar offset, "X", "X-5", "X-5d", "X+6h", "X-90m", "X+1d12h" (units
 * s m h d w; a bare number alone is days), into seconds from X, with its
 * canonical spelling in canon: as written, but "X-5" is "X-5d".  0, or -1
 * if s is no offset or canon is too short.  Pure. */
int timeline_parse_offset(const char *s, int64_t *out, char *canon, size_t canonlen);

/* Fire one timer of an agreement (timers.c runs them): reminders, the
 * signing deadline, effect, expiry warnings and expiry, measures due. */
int timeline_fire(struct ag_ctx *e, const struct ag_timer *t);

/* Mediator verbs. */
int timeline_set(struct ag_ctx *e, int64_t id, const char *text, size_t len, struct out *o);
int timeline_show(struct ag_ctx *e, int64_t id, struct out *o);
int timeline_dayx(struct ag_ctx *e, int64_t id, const char *when, struct out *o);
/* Move the signing deadline of a circulating agreement to when (ISO 8601,
 * or a date: the end of that day): its timers rescheduled, every signing
 * party told. */
int timeline_deadline(struct ag_ctx *e, int64_t id, const char *when, struct out *o);
/* A signing reminder now to the n signing parties named (n = 0: all), each
 * of its own copy only. */
int timeline_remind(struct ag_ctx *e, int64_t id, const char *const *parties, size_t n,
    struct out *o);
/* The mediator marks one of its own measures (party "mediator") done, with
 * a note ("" none); journalled, and every signing party is told.  A second
 * confirmation changes nothing. */
int timeline_mediator_confirm(struct ag_ctx *e, int64_t id, int number, const char *note,
    struct out *o);
/* The chronology and the extension chain, appended to agreement show. */
void timeline_show_record(struct ag_ctx *e, const struct ag *a, struct out *o);

/* Party requests (answer through r; 1 keep, 0 roll back). */
/* A party confirms a measure of its own or of all, with a note ("" none):
 * journalled (the note not), and the parties the measure concerns are told,
 * with the note. */
enum req_end timeline_confirm(struct ag_ctx *e, const struct req *r, uint64_t agreement,
    uint32_t measure, const char *note);
enum req_end timeline_party_show(struct ag_ctx *e, const struct req *r, uint64_t agreement);

#endif
