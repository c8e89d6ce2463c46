/* Conditions on signatures (issue 21, item 2): a copy signed "subject to
 * ratification by the Milli Meclis" counts toward release, and the
 * agreement is released; the party's signature stays conditional until the
 * party lifts the condition with a statement its signer key signs
 * (proto/sign.h, the lifting layout), which every party and observer is
 * told of and the record keeps.  The mediator may say by when he expects
 * it lifted; past that time the mediator (the log) and every member are
 * told, once.  It owns the tables condition_lift and condition_due; the
 * deadline is a timer row of kind "condition-due" (ref: the copy), which
 * timers.c runs through condition_fire.  Every function runs inside the
 * caller's store transaction. */
#ifndef PARLEY_CONDITION_H
#define PARLEY_CONDITION_H

#include "agreement.h"

/* The timer kinds of this module all start with this. */
#define CONDITION_TIMER_PREFIX	"condition-"

/* Party request (req.h): lift the condition of the party's copy. */
enum req_end condition_lift(struct ag_ctx *e, const struct req *r,
    const Parley__LiftRequest *m);

/* Mediator verb: by when party's condition on agreement (its copy in
 * role, "" none) should be lifted; when: a time, or a date (the end of
 * that day in the agreement's zone). */
int condition_deadline(struct ag_ctx *e, int64_t agreement, const char *party,
    const char *role, const char *when, struct out *o);

/* Open conditions: on the current revisions' valid copies, not lifted.
 * 0 with *n, or -1. */
int condition_count_open(struct ag_ctx *e, int64_t *n);

/* A timer of this module came due: 0, or -1 on a store failure. */
int condition_fire(struct ag_ctx *e, const struct ag_timer *t);

#endif
