#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "errors.h"
#include "fault.h"
#include "frame.h"
#include "log.h"
#include "prio.h"
#include "turn.h"

struct reply {
	struct conn *conn;	/* referenced */
	uint64_t id;
	uint8_t *buf;
	size_t len;
	void (*fn)(struct conn *, void *, uint64_t);
	void *arg;
};

struct turn {
	struct store *st;
	struct turn_record rec;	/* rec.submitted NULL: the local store is the record */
	struct reply *parked;	/* replies waiting for the record to be level, in order */
	size_t nparked, capparked;
	struct conn **waiting;	/* referenced; resumed once nothing waits */
	size_t nwaiting, capwaiting;
	struct metrics *m;
	struct event *flush_ev;
	struct event *hold_ev;	/* ends a hold at its time bound */
	struct event *deadline_ev;	/* commits at TURN_MAX_DELAY, whatever else runs */
	void (*after_commit)(void *);
	void *arg;
	int (*before_commit)(void *);
	void (*rolled_back)(void *);
	void *hook_arg;
	uint64_t (*hold)(void *);
	void *hold_arg;
	int held;		/* the idle flush waited for hold */
	uint64_t opened_ns;	/* when the open transaction began (monotonic) */
	uint64_t (*now_ns)(void);
	struct reply *q;
	size_t n, cap;
	uint64_t commits;
	int scheduled;
	size_t requests;	/* in the open transaction (weighted) */
	size_t reply_bytes;	/* of the replies it holds */
	int reply_lost;		/* a reply of this request could not be queued */
	int savepoint;		/* the open request has one */
};

/* A busy loop turn commits every this many requests, so that acks are not
 * held back until every connection's input is drained: about 15 ms of work
 * at the benchmark drain's rate (TURN_MAX_DELAY bounds it where the loop
 * is slower).  A commit costs the loop about 1 ms (the fsync, a receipt
 * entry per endpoint, the checkpoint's signature), so fewer per turn cost
 * throughput: 256 held the drain at 55k acks/s, 1024 let it reach 64k on
 * the same machine.  Since the drain reached 115-120k, 1024 was 8 ms of
 * work; 2048: +3% batched, +7% one delivery per Ack, with less CPU (three
 * runs each on one snapshot of the bench's backlog). */
#define TURN_MAX_REQUESTS 2048

/* While signature checks are in flight, the idle flush waits for them (their
 * copies join this turn) until the turn holds this many requests, and for at
 * most TURN_HOLD_NS after its transaction began, so that a steady trickle of
 * checks cannot hold a commit back for long.  Without it the loop, idle
 * between two verdicts, committed every ~17 copies on two cores (each commit
 * an fsync, a checkpoint signature, receipts): 4.5k copies/s.  Held, ~75 a
 * commit and 6.5k/s; 50 ms instead of 10 gains only 3% more. */
#define TURN_HOLD_MAX 256
#define TURN_HOLD_NS (10 * 1000 * 1000)

/* The idle commit runs once the loop has nothing more urgent to do, which
 * a stream of events could put off for ever: whatever else is pending, a
 * turn's work is committed and answered within this delay of its first
 * request (twice the hold, so that the hold keeps its effect). */
#define TURN_MAX_DELAY_US 20000

/* The deadline's timer cannot run while one callback reads a connection's
 * every buffered frame, nor does a count of requests bound what their
 * replies hold until the commit (a member asking 2048 times for a large
 * text held 0.8 GB, and everyone's replies 0.4 s: found by review).  So a
 * request also commits the turn first once it is TURN_MAX_DELAY old or
 * holds this many bytes of replies. */
#define TURN_MAX_REPLY_BYTES (16 * 1024 * 1024)

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct turn *t = arg;
	uint64_t age, wait;

	(void)fd;
	(void)what;
	age = t->now_ns() - t->opened_ns;
	if (t->hold != NULL && store_in_batch(t->st) && t->requests < TURN_HOLD_MAX &&
	    age < TURN_HOLD_NS && (wait = t->hold(t->hold_arg)) > 0) {
		struct timeval tv;
		uint64_t left = TURN_HOLD_NS - age < wait ? TURN_HOLD_NS - age : wait;

		/* turn_resume, the next request or, at the latest, the bound
		 * runs it again (checks whose verdicts begin no request, as a
		 * connection closed meanwhile, must not keep it waiting). */
		t->scheduled = 0;
		t->held = 1;
		tv.tv_sec = (time_t)(left / 1000000000u);
		tv.tv_usec = (suseconds_t)(left % 1000000000u / 1000u + 1);
		evtimer_add(t->hold_ev, &tv);
		return;
	}
	turn_flush(t);
}

static void
hold_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	turn_resume(arg);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	turn_flush(arg);
}

struct turn *
turn_new(struct event_base *base, struct store *st, struct metrics *m,
    void (*after_commit)(void *), void *arg)
{
	struct turn *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->st = st;
	t->m = m;
	t->after_commit = after_commit;
	t->arg = arg;
	t->now_ns = clock_mono_ns;
	if ((t->flush_ev = event_new(base, -1, 0, flush_cb, t)) == NULL) {
		free(t);
		return NULL;
	}
	if ((t->hold_ev = evtimer_new(base, hold_cb, t)) == NULL) {
		event_free(t->flush_ev);
		free(t);
		return NULL;
	}
	if ((t->deadline_ev = evtimer_new(base, deadline_cb, t)) == NULL) {
		event_free(t->flush_ev);
		event_free(t->hold_ev);
		free(t);
		return NULL;
	}
	/* Runs once no authenticated I/O of this turn is left to handle (and
	 * before any handshake); the deadline runs before anything. */
	event_priority_set(t->flush_ev, PRIO_IDLE);
	event_priority_set(t->deadline_ev, PRIO_URGENT);
	return t;
}

void
turn_set_commit_hooks(struct turn *t, int (*before)(void *), void (*rolled_back)(void *),
    void *arg)
{
	t->before_commit = before;
	t->rolled_back = rolled_back;
	t->hook_arg = arg;
}

void
turn_free(struct turn *t)
{
	if (t == NULL)
		return;
	turn_flush(t);
	event_free(t->flush_ev);
	event_free(t->hold_ev);
	event_free(t->deadline_ev);
	free(t->q);
	/* Whatever still waits for the record is not answered: the peers ask
	 * again, of whichever daemon serves then. */
	for (size_t i = 0; i < t->nparked; i++) {
		free(t->parked[i].buf);
		conn_unref(t->parked[i].conn);
	}
	free(t->parked);
	for (size_t i = 0; i < t->nwaiting; i++)
		conn_unref(t->waiting[i]);
	free(t->waiting);
	free(t);
}

static void
schedule(struct turn *t)
{
	if (!evtimer_pending(t->deadline_ev, NULL)) {
		struct timeval tv = { 0, TURN_MAX_DELAY_US };

		evtimer_add(t->deadline_ev, &tv);
	}
	if (!t->scheduled) {
		t->scheduled = 1;
		event_active(t->flush_ev, EV_TIMEOUT, 0);
	}
}

void
turn_set_hold(struct turn *t, uint64_t (*hold)(void *), void *arg)
{
	t->hold = hold;
	t->hold_arg = arg;
}

void
turn_set_clock(struct turn *t, uint64_t (*now_ns)(void))
{
	t->now_ns = now_ns;
}

int
turn_hold_expiry(const struct turn *t, struct timeval *tv)
{
	return t->held && evtimer_pending(t->hold_ev, tv) ? 0 : -1;
}

void
turn_resume(struct turn *t)
{
	if (t->held) {
		t->held = 0;
		schedule(t);
	}
}

void
turn_request_arrived(struct turn *t, const char *verb)
{
	if (fault_alloc_begin(verb))
		schedule(t);	/* the flush disarms it, whatever the request does */
}

static int
request_begin(struct turn *t, int savepoint, size_t weight)
{
	if (t->requests > 0 && (t->requests + weight > TURN_MAX_REQUESTS ||
	    t->reply_bytes >= TURN_MAX_REPLY_BYTES ||
	    t->now_ns() - t->opened_ns >= (uint64_t)TURN_MAX_DELAY_US * 1000))
		turn_flush(t);
	t->requests += weight;
	t->reply_lost = 0;
	t->savepoint = 0;
	schedule(t);
	if (!store_in_batch(t->st))
		t->opened_ns = t->now_ns();
	if (store_batch_begin(t->st) != 0)
		return -1;
	if (savepoint && store_savepoint(t->st) != 0)
		return -1;
	t->savepoint = savepoint;
	return 0;
}

int
turn_request_begin(struct turn *t)
{
	return request_begin(t, 1, 1);
}

int
turn_request_begin_single(struct turn *t, size_t weight)
{
	return request_begin(t, 0, weight);
}

void
turn_request_end(struct turn *t, int keep)
{
	if (!t->savepoint) {
		t->reply_lost = 0;
		return;
	}
	t->savepoint = 0;
	/* Its connection was dropped unanswered: the request must not count. */
	if (keep && t->reply_lost) {
		log_warnx("turn: a request's reply was lost; the request is rolled back");
		keep = 0;
	}
	t->reply_lost = 0;
	if (keep)
		store_savepoint_release(t->st);
	else
		store_savepoint_rollback(t->st);
}

static struct reply *
push(struct turn *t, struct conn *c)
{
	struct reply *r;

	schedule(t);
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 32;
		if ((r = realloc(t->q, ncap * sizeof(*r))) == NULL) {
			log_warnx("turn: out of memory queueing a reply");
			conn_close(c, 0);
			t->reply_lost = 1;
			return NULL;
		}
		t->q = r;
		t->cap = ncap;
	}
	r = &t->q[t->n];
	r->buf = NULL;
	r->len = 0;
	r->fn = NULL;
	r->conn = c;
	return r;
}

static void
commit_entry(struct turn *t, struct conn *c)
{
	conn_ref(c);
	conn_owe(c);
	t->reply_bytes += t->q[t->n].len;
	t->n++;
}

void
turn_call(struct turn *t, struct conn *c, uint64_t id,
    void (*fn)(struct conn *, void *, uint64_t), void *arg)
{
	struct reply *r = push(t, c);

	if (r == NULL)
		return;
	r->fn = fn;
	r->arg = arg;
	r->id = id;
	commit_entry(t, c);
}

void
turn_reply(struct turn *t, struct conn *c, const Parley__Frame *f)
{
	struct reply *r = push(t, c);
	size_t len;

	if (r == NULL)
		return;
	if (frame_pack(f, SIZE_MAX, &r->buf, &r->len) != 0) {
		log_warnx("turn: cannot pack a %s reply", frame_body_name(f));
		conn_close(c, 0);
		t->reply_lost = 1;
		return;
	}
	/* An answer longer than the connection may ever hold queued could
	 * only be dropped with the connection, the peer none the wiser: it is
	 * refused instead (in this slot, not yet taken), and the request kept
	 * from counting (lost). */
	if ((len = r->len) > conn_max_output(c)) {
		free(r->buf);
		r->buf = NULL;
		t->reply_lost = 1;
		turn_error(t, c, f->id, PARLEY_EREFUSED, "the answer is %zu bytes, more than this "
		    "connection may carry (%zu); nothing was changed: ask for less, or raise "
		    "max_queued_output", len, conn_max_output(c));
		return;
	}
	r->id = f->id;
	commit_entry(t, c);
}

void
turn_error(struct turn *t, struct conn *c, uint64_t id, int code, const char *fmt, ...)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__Error e = PARLEY__ERROR__INIT;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Every refusal is logged, who asked for what it may not have, up to
	 * a bound per connection a minute (conn_log_ok). */
	if (conn_log_ok(c))
		log_info("%s: refused (%s): %s", conn_peer(c), parley_strerror(code), msg);
	e.code = (uint32_t)code;
	e.message = msg;
	f.id = id;
	f.body_case = PARLEY__FRAME__BODY_ERROR;
	f.error = &e;
	turn_reply(t, c, &f);
}

static void
send_replies(struct reply *q, size_t n, int failed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct reply *r = &q[i];
		if (r->fn != NULL && !failed) {
			if (conn_is_open(r->conn))
				r->fn(r->conn, r->arg, r->id);
			conn_pay(r->conn, NULL, 0);
		} else if (failed) {
			conn_pay_error(r->conn, r->id, PARLEY_ESTORE,
			    "the store could not commit; nothing was saved, try again");
		} else {
			conn_pay(r->conn, r->buf, r->len);
		}
		free(r->buf);
		conn_unref(r->conn);
	}
}

void
turn_set_record(struct turn *t, const struct turn_record *rec)
{
	t->rec = *rec;
}

int
turn_busy(const struct turn *t)
{
	return t->rec.submitted != NULL &&
	    (t->nparked > 0 || t->rec.durable(t->rec.arg) < t->rec.submitted(t->rec.arg));
}

void
turn_wait(struct turn *t, struct conn *c)
{
	struct conn **w;

	for (size_t i = 0; i < t->nwaiting; i++)
		if (t->waiting[i] == c)
			return;
	if (t->nwaiting == t->capwaiting) {
		size_t ncap = t->capwaiting ? 2 * t->capwaiting : 16;
		if ((w = realloc(t->waiting, ncap * sizeof(*w))) == NULL) {
			log_warnx("turn: out of memory; a connection is dropped");
			conn_close(c, 0);
			return;
		}
		t->waiting = w;
		t->capwaiting = ncap;
	}
	conn_ref(c);
	t->waiting[t->nwaiting++] = c;
}

/* The flush's replies wait, after those parked before, until the record
 * holds every batch shipped. */
static int
park(struct turn *t)
{
	struct reply *r;

	if (t->nparked + t->n > t->capparked) {
		size_t ncap = t->capparked ? t->capparked : 32;
		while (ncap < t->nparked + t->n)
			ncap *= 2;
		if ((r = realloc(t->parked, ncap * sizeof(*r))) == NULL)
			return -1;
		t->parked = r;
		t->capparked = ncap;
	}
	memcpy(t->parked + t->nparked, t->q, t->n * sizeof(*t->q));
	t->nparked += t->n;
	t->n = 0;
	return 0;
}

void
turn_record_progress(struct turn *t)
{
	struct conn **w;
	struct reply *r;
	size_t i, n;

	if (t->rec.submitted == NULL)
		return;
	/* Only once the record holds every batch shipped: a reply's call
	 * (pushing deliveries) reads the store, which must then show only
	 * what the record holds.  Batches shipped meanwhile come from work
	 * that is not held (a timer, the alerts' cursor), so this is soon. */
	if (t->rec.durable(t->rec.arg) < t->rec.submitted(t->rec.arg))
		return;
	/* Taken off the turn first: a reply's call may queue more. */
	r = t->parked;
	n = t->nparked;
	t->parked = NULL;
	t->nparked = t->capparked = 0;
	send_replies(r, n, 0);
	free(r);
	if (t->after_commit != NULL)
		t->after_commit(t->arg);
	/* Requests held while the record was behind run now, in one turn. */
	w = t->waiting;
	n = t->nwaiting;
	t->waiting = NULL;
	t->nwaiting = t->capwaiting = 0;
	for (i = 0; i < n; i++) {
		conn_resume(w[i]);
		conn_unref(w[i]);
	}
	free(w);
}

void
turn_flush(struct turn *t)
{
	int failed = 0, shipped;
	uint64_t before = 0;
	size_t n;

	t->scheduled = 0;
	t->held = 0;
	event_del(t->hold_ev);
	event_del(t->deadline_ev);
	t->requests = 0;
	t->reply_bytes = 0;
	if (t->rec.submitted != NULL)
		before = t->rec.submitted(t->rec.arg);
	if (store_in_batch(t->st)) {
		int lost = store_batch_lost(t->st);

		fault_point("before-commit");
		if (lost ||
		    (t->before_commit != NULL && t->before_commit(t->hook_arg) != 0) ||
		    store_batch_commit(t->st) != 0) {
			log_warnx("store commit failed: %s; %zu replies turned into errors",
			    lost ? "the transaction was rolled back by the store" :
			    store_errmsg(t->st), t->n);
			store_batch_rollback(t->st);
			if (t->rolled_back != NULL)
				t->rolled_back(t->hook_arg);
			failed = 1;
		} else {
			t->commits++;
		}
		metrics_commit(t->m, store_last_commit_us(t->st), !failed);
		fault_point("after-commit");
	}
	if (!failed && t->rec.submitted != NULL) {
		/* Nothing leaves before the record holds what it tells of: the
		 * replies wait for the batches shipped so far (after_commit
		 * runs once the record is level).  A turn that wrote nothing
		 * (its batch changed no row) still answers from the copy only
		 * under a fresh lease. */
		shipped = t->rec.submitted(t->rec.arg) > before;
		if (!shipped && t->n > 0 && !t->rec.fresh(t->rec.arg))
			t->rec.renew(t->rec.arg);
		if (turn_busy(t)) {
			if (t->n > 0 && park(t) != 0) {
				/* The batch is on its way to the record: neither
				 * "done" nor "not done" may be said.  The peers are
				 * dropped unanswered, and find out when they ask. */
				log_warnx("turn: out of memory; %zu connections dropped unanswered",
				    t->n);
				for (n = 0; n < t->n; n++) {
					conn_close(t->q[n].conn, 0);
					conn_pay(t->q[n].conn, NULL, 0);
					free(t->q[n].buf);
					conn_unref(t->q[n].conn);
				}
				t->n = 0;
			}
			fault_alloc_end();
			return;
		}
	}
	n = t->n;
	send_replies(t->q, n, failed);
	t->n = 0;
	if (n > 0)
		fault_point("after-replies");
	if (!failed && t->after_commit != NULL)
		t->after_commit(t->arg);
	fault_alloc_end();
}

uint64_t
turn_commits(const struct turn *t)
{
	return t->commits;
}
