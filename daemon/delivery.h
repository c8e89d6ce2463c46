/* Durable store-and-forward delivery.  A message for a party is stored once
 * (payload table), with a message per party (message table) and one
 * delivery row per registered endpoint of that party, in the caller's transaction.  Connected endpoints that asked for
 * their deliveries (sinks) get them pushed after the commit, in order;
 * the others get them when they next connect.  A delivery stays pending
 * until its endpoint acks it; the ack time is the proof of receipt. */
#ifndef PARLEY_DELIVERY_H
#define PARLEY_DELIVERY_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "config.h"
#include "journal.h"
#include "parley.pb-c.h"
#include "store.h"

struct delivery;

/* One connected endpoint that takes pushes.  Owned by its session. */
struct sink {
	int64_t endpoint_id;
	uint64_t last_pushed;	/* highest delivery id pushed on this connection */
	int want;		/* new deliveries or room since the last push */
	size_t awaiting;	/* pushed on this connection, not acked on it yet */
	uint64_t window;	/* the ack window awaiting counts in */
	/* Send one frame: 0 sent, -1 stop for now (no room, or closed), 1 this
	 * delivery can never go on this connection (it does not fit in a
	 * frame): it is passed over and stays pending, and the pushes go on
	 * with the next one, so that it blocks nothing behind it. */
	int (*push)(void *ctx, const Parley__Frame *f);
	void *ctx;
	struct sink *next, *prev;
};

struct delivery *delivery_new(struct store *st, struct clock *clk);
void delivery_free(struct delivery *d);

/* The length on the wire (prefix included) of the longest Delivery frame
 * carrying a payload of payload_len bytes: the delivery id and time at
 * their longest (exact unless the payload is empty).  Pure. */
size_t delivery_frame_len(size_t payload_len);
/* An upper bound of delivery_frame_len(n) - n, for compile-time checks:
 * prefix 4, frame id 11, delivery tag and length 6, delivery id and time
 * 22, payload tag and length 6. */
#define DELIVERY_FRAME_OVERHEAD 49

/* Store p once, and a message for each of the n parties with a delivery
 * for every current endpoint of it (inside a transaction).  kind and
 * summary are what the mediator's listing shows.  message_ids, when not
 * NULL, receives the n message ids.  0, -1 on a store failure, or -2
 * (logged, nothing stored) when p's Delivery frame would be longer than
 * CONFIG_DELIVERY_MAX: no valid configuration could ever send it, and
 * stored it would wait for ever.  The engine bounds what it makes so that
 * -2 never happens (engine.c); this is the last line. */
int delivery_enqueue(struct delivery *d, const int64_t *parties, size_t n,
    const char *kind, int64_t agreement_id, const char *summary,
    const Parley__Payload *p, int64_t *message_ids);

void delivery_attach(struct delivery *d, struct sink *s);
void delivery_detach(struct delivery *d, struct sink *s);
/* How much pushed output a sink's connection may queue now, at most cap:
 * DELIVERY_PUSH_WINDOW_MAX while few are attached, less as more are, so
 * that all of them together hold at most 256 MB (but never under 64 KB
 * each).  A sink's push resumes when its output has fallen to half. */
#define DELIVERY_PUSH_WINDOW_MAX (1024 * 1024)
size_t delivery_push_window(const struct delivery *d, size_t cap);

/* Push committed, unacked deliveries not yet pushed on this connection.
 * Returns how many were pushed, or -1 if the store could not be read (some
 * may have been pushed; the rest go on the next push).  Inside a transaction
 * nothing is pushed (0): the sink waits for delivery_flush after the commit. */
int delivery_push(struct delivery *d, struct sink *s);

/* After a commit: push to every sink that wants. */
void delivery_flush(struct delivery *d);

/* A sink's push found delivery id too long to send to endpoint_id.  1 the
 * first time since parleyd started (tell the endpoint), 0 when it was
 * noted already: told on every connection, a client that stops at an error
 * would never get past it to the deliveries after it.  Remembers the last
 * DELIVERY_UNSENDABLE_MAX pairs. */
#define DELIVERY_UNSENDABLE_MAX 64
int delivery_unsendable(struct delivery *d, int64_t endpoint_id, uint64_t id);

/* Take an ack by an endpoint of party for the n deliveries at ids, all or
 * none (inside a transaction).  Returns how many were pending (a delivery
 * acked in an earlier transaction is a harmless repeat; one acked again in
 * this one counts again); -1 with a reason when one of them was never sent
 * to this endpoint, -2 with a reason when the ack cannot be taken now (out
 * of memory, store failure).  The store and the record get the acks just
 * before the commit (delivery_record_acks), so within the transaction the
 * deliveries still read as pending. */
int delivery_ack(struct delivery *d, int64_t endpoint_id, const char *party,
    const uint64_t *ids, size_t n, char *err, size_t errlen);

/* n of the deliveries pushed to s were just acked on its connection (what
 * delivery_ack returned): they are no longer awaited (at most what was
 * awaited of them). */
void delivery_sink_acked(struct delivery *d, struct sink *s, size_t n);

/* Acks of release bundles pushed right after the release's commit
 * (everyone's to see at the same time: no other delivery counts, nor a
 * bundle pushed again later, so that the commit's wait tells no party
 * whether another is online or acks anything else), expected back within
 * DELIVERY_ACK_WAIT_NS of the push (a round trip on loopback or a LAN),
 * are worth a commit's wait: how much longer, in nanoseconds, 0 if none
 * is awaited or the time has passed.  What is awaited is counted in
 * windows: a push DELIVERY_ACK_WAIT_NS or more after the current window
 * began begins a new one, and what was pushed in an earlier window (acked
 * on another connection of the endpoint, or never) is no longer awaited. */
#define DELIVERY_ACK_WAIT_NS (1000 * 1000)
uint64_t delivery_ack_wait(const struct delivery *d);
/* Tests: the monotonic clock (nanoseconds) of the pushes and that wait. */
void delivery_set_clock(struct delivery *d, uint64_t (*now_ns)(void));

/* Just before each commit: the acks this transaction took go in the record,
 * one "ack" entry per endpoint listing its deliveries (a receipt costs an
 * entry per turn, not per ack), and in the store, each delivery's ack time
 * and receipt (the entry) written at once.  -1
 * fails the commit.  Either way the transaction's list of acks is done. */
int delivery_record_acks(struct delivery *d, struct journal *j);
/* The transaction was rolled back: its acks and the releases it queued
 * are gone. */
void delivery_rolled_back(struct delivery *d);
/* The transaction was committed: delivery_flush, in which the bundles of
 * the releases it queued are awaited (delivery_ack_wait). */
void delivery_after_commit(struct delivery *d);

/* Deliveries not acked yet to endpoints that are not removed (a delivery
 * to a removed endpoint can never be acked): 0 with their number in *count
 * and the oldest one's message time in *oldest (-1 when none), or -1 on a
 * store failure (logged).  Reads what the open transaction wrote too. */
int delivery_pending(struct delivery *d, int64_t *count, int64_t *oldest);

#endif
