/* A copy to a newcomer, with consent (issue 20, item 2; July 1994): a
 * signing party or the mediator asks that a registered observer be added
 * to a circulating or released agreement; every other signing party is
 * asked and may object within [agreements] objection_window.  No
 * objection (or every other party's consent) adds the observer, who then
 * receives the text, or the release bundle at once if it was released; an
 * objection refuses it.  Requests, answers and outcomes are journalled and
 * told to every signing party; they say nothing of anyone's signing
 * (invariant 2).  It owns the tables observer_request and observer_answer;
 * the window is a timer row of kind "observer-window" (ref: the request),
 * which timers.c runs through observer_fire.  Every function runs inside
 * the caller's store transaction. */
#ifndef PARLEY_OBSERVER_H
#define PARLEY_OBSERVER_H

#include "agreement.h"

/* The timer kinds of this module all start with this. */
#define OBSERVER_TIMER_PREFIX	"observer-"

/* Party requests (req.h): propose a newcomer, answer a request (object or
 * consent), list the requests of the party's agreements. */
enum req_end observer_request(struct ag_ctx *e, const struct req *r,
    const Parley__ObserverRequest *m);
enum req_end observer_answer(struct ag_ctx *e, const struct req *r,
    const Parley__ObserverAnswer *m);
enum req_end observer_query(struct ag_ctx *e, const struct req *r,
    const Parley__ObserverQuery *m);

/* Mediator verbs: propose party as an observer of agreement (every
 * signing party is asked); list the requests (agreement 0: all). */
int observer_add(struct ag_ctx *e, int64_t agreement, const char *party, const char *note,
    struct out *o);
int observer_list(struct ag_ctx *e, int64_t agreement, struct out *o);

/* A timer of this module came due: 0, or -1 on a store failure. */
int observer_fire(struct ag_ctx *e, const struct ag_timer *t);

#endif
