/* Group commit.  Every request that arrives in one event-loop turn runs in
 * one store transaction, each under its own savepoint; the replies wait in a
 * queue and are written only after COMMIT returns, so nothing is acked before
 * it is durable and one fsync serves the whole turn.  The turn commits once
 * the loop has no authenticated work left (prio.h), unless work whose
 * requests will join it is in flight (turn_set_hold), within bounds, and in
 * any case within 20 ms of its first request.  If COMMIT fails, every
 * queued reply is replaced by an error: nothing of that turn was saved. */
#ifndef PARLEY_TURN_H
#define PARLEY_TURN_H

#include <stdint.h>
#include <event2/event.h>

#include "conn.h"
#include "metrics.h"
#include "parley.pb-c.h"
#include "store.h"

struct turn;

/* after_commit runs after each successful commit (delivery pushes). */
struct turn *turn_new(struct event_base *base, struct store *st, struct metrics *m,
    void (*after_commit)(void *), void *arg);
void turn_free(struct turn *t);

/* A request named verb (a frame's body name or an admin verb) is about to
 * be handled: test builds arm allocation failures here (fault.h) until the
 * end of the turn's flush. */
void turn_request_arrived(struct turn *t, const char *verb);

/* Open the turn's transaction if needed and a savepoint for one request.
 * -1 if the store cannot start a transaction. */
int turn_request_begin(struct turn *t);
/* The same for a request that changes the store by one statement at most,
 * or only just before the commit (an ack): no savepoint, since SQLite undoes
 * a failed statement itself.  Its change stays even if its reply is lost:
 * the peer finds it done when it comes back.  End it with turn_request_end
 * as well.  weight: how many requests it counts as towards the turn's
 * limit (an Ack naming n deliveries counts n). */
int turn_request_begin_single(struct turn *t, size_t weight);
/* keep: release the savepoint; otherwise roll the request back (a single
 * statement request has nothing to undo).  A request
 * whose reply could not be queued (out of memory: its connection is dropped)
 * is rolled back whatever keep says, so queue the reply before this. */
void turn_request_end(struct turn *t, int keep);

/* before(arg) runs inside the turn's transaction just before each COMMIT
 * (the journal signs its checkpoint there); non-zero fails the commit.
 * rolled_back(arg) runs after a turn's transaction was rolled back. */
void turn_set_commit_hooks(struct turn *t, int (*before)(void *),
    void (*rolled_back)(void *), void *arg);

/* hold(arg) non-zero: work is in flight whose requests will join this turn
 * (signature checks, acks of a release's bundles just pushed), and how
 * much longer it is worth waiting for, in nanoseconds (TURN_HOLD_RESUMED:
 * until the owner of that work calls turn_resume, when it has landed); the
 * flush that runs once the loop is idle then waits for it, up to that and a
 * bound on the turn's requests and its age (10 ms).  A direct turn_flush (shutdown,
 * a handshake that must see committed endpoints) does not wait. */
#define TURN_HOLD_RESUMED UINT64_MAX
void turn_set_hold(struct turn *t, uint64_t (*hold)(void *), void *arg);
void turn_resume(struct turn *t);
/* Tests: the monotonic clock (nanoseconds) that bounds a hold. */
void turn_set_clock(struct turn *t, uint64_t (*now_ns)(void));
/* Tests: when the hold's timer runs (gettimeofday's clock, as libevent's
 * event_pending gives it): 0, or -1 if no hold is waiting. */
int turn_hold_expiry(const struct turn *t, struct timeval *tv);

/* Queue a reply to c (packed now, sent after the commit). */
void turn_reply(struct turn *t, struct conn *c, const Parley__Frame *f);
/* Queue an Error reply. */
void turn_error(struct turn *t, struct conn *c, uint64_t id, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Queue a call to fn(c, arg, id) after the commit, in order with the
 * replies (used to push committed deliveries before answering Fetch id).
 * If the commit fails, an Error answers id instead. */
void turn_call(struct turn *t, struct conn *c, uint64_t id,
    void (*fn)(struct conn *, void *, uint64_t), void *arg);

/* Commit and flush now (used at shutdown and by timers). */
void turn_flush(struct turn *t);

/* A store of record behind the local store ([store] backend = postgresql,
 * record.h): each commit ships the batch to it, and a flush's replies and
 * after_commit wait until it holds every batch shipped so far.  submitted:
 * batches shipped; durable: batches it holds; fresh: the lease is fresh
 * (a turn that wrote nothing may answer from the copy); renew: ship an
 * empty batch that proves the lease. */
struct turn_record {
	uint64_t (*submitted)(void *arg);
	uint64_t (*durable)(void *arg);
	int (*fresh)(void *arg);
	void (*renew)(void *arg);
	void *arg;
};
void turn_set_record(struct turn *t, const struct turn_record *rec);
/* The record is behind: a new request would be answered late; hold it and
 * name its conn to turn_wait, which resumes it once the record is level. */
int turn_busy(const struct turn *t);
void turn_wait(struct turn *t, struct conn *c);
/* The record holds more: send the replies that waited for it. */
void turn_record_progress(struct turn *t);

/* Number of commits and commit-failures so far. */
uint64_t turn_commits(const struct turn *t);

#endif
