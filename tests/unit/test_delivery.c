/* daemon/delivery on a real store: nothing is pushed from inside an open
 * transaction (a release the commit may still lose), and acks are listed
 * until the commit writes them once, with their receipt entry, or forgotten
 * when the transaction is rolled back.  A delivery too long for any frame
 * is never stored, and one a sink cannot send is passed over, blocking
 * nothing behind it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "frame.h"
#include "daemon/clock.h"
#include "daemon/delivery.h"
#include "daemon/journal.h"
#include "daemon/store.h"
#include "journal_fixture.h"

struct fixture {
	struct journal_fixture jf;
	struct store *st;	/* jf's */
	struct journal *j;	/* jf's */
	struct delivery *d;
	struct sink sink;
	uint64_t pushed[16];
	size_t npushed;
	uint64_t pass_over;	/* push answers 1 ("cannot send") for this id */
	size_t npassed;
};

static int
push(void *ctx, const Parley__Frame *f)
{
	struct fixture *fx = ctx;

	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_DELIVERY);
	if (f->delivery->delivery_id == fx->pass_over) {
		fx->npassed++;
		return 1;
	}
	assert_true(fx->npushed < 16);
	fx->pushed[fx->npushed++] = f->delivery->delivery_id;
	return 0;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	*state = fx;
	if (journal_fixture_open(&fx->jf, "test_delivery") != 0 ||
	    (fx->d = delivery_new(fx->jf.st, fx->jf.clk)) == NULL)
		return -1;
	fx->st = fx->jf.st;
	fx->j = fx->jf.j;
	/* Party 1 (arm) with endpoint 1, party 2 (aze) with endpoint 2. */
	if (store_exec(fx->st,
	    "INSERT INTO party VALUES (1, 'arm', 'Armenia', 0, 0), (2, 'aze', 'Azerbaijan', 0, 0);"
	    "INSERT INTO endpoint VALUES (1, 1, x'01', 0, NULL), (2, 2, x'02', 0, NULL);") != 0)
		return -1;
	fx->sink.endpoint_id = 1;
	fx->sink.push = push;
	fx->sink.ctx = fx;
	delivery_attach(fx->d, &fx->sink);
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	int rc;

	if (fx->d != NULL)
		delivery_detach(fx->d, &fx->sink);
	delivery_free(fx->d);
	rc = journal_fixture_close(&fx->jf);
	free(fx);
	return rc;
}

/* A payload of kind for both parties, in a transaction left open. */
static void
enqueue_kind(struct fixture *fx, const char *kind)
{
	static const int64_t parties[] = { 1, 2 };
	Parley__Payload p = PARLEY__PAYLOAD__INIT;
	Parley__Notice n = PARLEY__NOTICE__INIT;

	n.text = "the text is circulated";
	p.body_case = PARLEY__PAYLOAD__BODY_NOTICE;
	p.notice = &n;
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(delivery_enqueue(fx->d, parties, 2, kind, 0, "test", &p, NULL), 0);
}

/* A notice for both parties, in a transaction left open. */
static void
enqueue(struct fixture *fx)
{
	enqueue_kind(fx, "notice");
}

/* A release bundle queued and committed, and pushed: npushed pushed in
 * all. */
static void
push_new(struct fixture *fx, size_t npushed)
{
	enqueue_kind(fx, "release");
	assert_int_equal(store_batch_commit(fx->st), 0);
	delivery_after_commit(fx->d);
	assert_int_equal(fx->npushed, npushed);
}

static int
ack1(struct fixture *fx, int64_t endpoint, const char *party, int64_t id, char *err, size_t len)
{
	uint64_t one = (uint64_t)id;

	return delivery_ack(fx->d, endpoint, party, &one, 1, err, len);
}

static void
test_no_push_before_commit(void **state)
{
	struct fixture *fx = *state;

	enqueue(fx);
	/* A drained output calls this between a request and the commit. */
	assert_int_equal(delivery_push(fx->d, &fx->sink), 0);
	assert_int_equal(fx->npushed, 0);
	assert_int_equal(store_batch_commit(fx->st), 0);
	delivery_flush(fx->d);
	assert_int_equal(fx->npushed, 1);
	assert_int_equal(fx->sink.last_pushed, fx->pushed[0]);

	/* Rolled back: never pushed, not even later. */
	enqueue(fx);
	assert_int_equal(delivery_push(fx->d, &fx->sink), 0);
	store_batch_rollback(fx->st);
	delivery_flush(fx->d);
	assert_int_equal(fx->npushed, 1);
}

static void
test_acks_written_at_commit(void **state)
{
	struct fixture *fx = *state;
	char err[128];
	int64_t id, entries;

	/* No acks yet: nothing to record (nor to sort). */
	enqueue(fx);
	assert_int_equal(delivery_record_acks(fx->d, fx->j), 0);
	assert_int_equal(store_batch_commit(fx->st), 0);
	delivery_flush(fx->d);
	id = (int64_t)fx->pushed[0];
	entries = journal_size(fx->j);

	/* Taken, then rolled back with its transaction: nothing stays. */
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(ack1(fx, 1, "arm", id, err, sizeof(err)), 1);
	store_batch_rollback(fx->st);
	delivery_rolled_back(fx->d);
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(delivery_record_acks(fx->d, fx->j), 0);
	assert_int_equal(store_batch_commit(fx->st), 0);
	assert_int_equal(journal_size(fx->j), entries);

	/* Taken twice in one transaction, refused for another endpoint. */
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(ack1(fx, 1, "arm", id, err, sizeof(err)), 1);
	assert_int_equal(journal_fixture_int(&fx->jf, "SELECT count(*) FROM delivery WHERE acked_at IS NOT NULL"), 0);
	assert_int_equal(ack1(fx, 1, "arm", id, err, sizeof(err)), 1);
	assert_int_equal(ack1(fx, 2, "aze", id, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "never sent"));
	assert_int_equal(delivery_record_acks(fx->d, fx->j), 0);
	assert_int_equal(store_batch_commit(fx->st), 0);

	/* One entry, and the row names it. */
	assert_int_equal(journal_size(fx->j), entries + 1);
	assert_int_equal(journal_fixture_int(&fx->jf, "SELECT count(*) FROM delivery WHERE acked_at IS NOT NULL"), 1);
	assert_int_equal(journal_fixture_int(&fx->jf, "SELECT d.receipt FROM delivery d WHERE d.acked_at IS NOT NULL"),
	    entries);
	assert_int_equal(journal_fixture_int(&fx->jf, "SELECT count(*) FROM journal WHERE kind = 'ack'"), 1);

	/* Acked before: harmless, and nothing more in the record. */
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(ack1(fx, 1, "arm", id, err, sizeof(err)), 0);
	assert_int_equal(delivery_record_acks(fx->d, fx->j), 0);
	assert_int_equal(store_batch_commit(fx->st), 0);
	assert_int_equal(journal_size(fx->j), entries + 1);
}

/* An ack naming several deliveries takes all of them or none. */
static void
test_ack_all_or_none(void **state)
{
	struct fixture *fx = *state;
	uint64_t ids[4];
	char err[128];

	enqueue(fx);
	enqueue(fx);	/* nested begin: the same transaction */
	enqueue(fx);
	assert_int_equal(delivery_record_acks(fx->d, fx->j), 0);
	assert_int_equal(store_batch_commit(fx->st), 0);
	delivery_flush(fx->d);
	assert_int_equal(fx->npushed, 3);
	memcpy(ids, fx->pushed, 3 * sizeof(ids[0]));
	ids[3] = ids[2] + 1000;	/* never sent */

	/* One unknown id refuses them all, naming it. */
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(delivery_ack(fx->d, 1, "arm", ids, 4, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "never sent"));
	assert_int_equal(delivery_record_acks(fx->d, fx->j), 0);
	assert_int_equal(store_batch_commit(fx->st), 0);
	assert_int_equal(journal_fixture_int(&fx->jf, "SELECT count(*) FROM delivery WHERE acked_at IS NOT NULL"), 0);

	/* The first two, then all three (one again: counted, written once). */
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(delivery_ack(fx->d, 1, "arm", ids, 2, err, sizeof(err)), 2);
	assert_int_equal(delivery_ack(fx->d, 1, "arm", ids + 1, 2, err, sizeof(err)), 2);
	assert_int_equal(delivery_record_acks(fx->d, fx->j), 0);
	assert_int_equal(store_batch_commit(fx->st), 0);
	assert_int_equal(journal_fixture_int(&fx->jf, "SELECT count(*) FROM delivery WHERE acked_at IS NOT NULL"), 3);
	assert_int_equal(journal_fixture_int(&fx->jf, "SELECT count(*) FROM journal WHERE kind = 'ack'"), 1);

	/* All acked before: nothing pending. */
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(delivery_ack(fx->d, 1, "arm", ids, 3, err, sizeof(err)), 0);
	assert_int_equal(delivery_record_acks(fx->d, fx->j), 0);
	assert_int_equal(store_batch_commit(fx->st), 0);
}

/* The push window shrinks as more endpoints are attached, within bounds. */
static void
test_push_window(void **state)
{
	struct fixture *fx = *state;
	static struct sink more[5000];
	size_t i;

	assert_int_equal(delivery_push_window(fx->d, SIZE_MAX), 1024 * 1024);	/* one sink */
	for (i = 0; i < 511; i++)
		delivery_attach(fx->d, &more[i]);
	assert_int_equal(delivery_push_window(fx->d, SIZE_MAX), 256 * 1024 * 1024 / 512);
	for (; i < 5000; i++)
		delivery_attach(fx->d, &more[i]);
	assert_int_equal(delivery_push_window(fx->d, SIZE_MAX), 64 * 1024);
	for (i = 0; i < 5000; i++)
		delivery_detach(fx->d, &more[i]);
	assert_int_equal(delivery_push_window(fx->d, SIZE_MAX), 1024 * 1024);
}

/* delivery_frame_len is exact for the longest frame (id, delivery id and
 * time at their longest) of a non-empty payload, and within
 * DELIVERY_FRAME_OVERHEAD, around every length where a varint grows. */
static void
test_frame_len(void **state)
{
	static const size_t lens[] = { 0, 1, 100, 127, 128, 16383, 16384, 16500,
	    2097151, 2097152, 2097300 };
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__Delivery dv = PARLEY__DELIVERY__INIT;
	uint8_t *buf = calloc(1, 2097300);
	size_t i;

	(void)state;
	assert_non_null(buf);
	f.id = UINT64_MAX;
	f.body_case = PARLEY__FRAME__BODY_DELIVERY;
	f.delivery = &dv;
	dv.delivery_id = UINT64_MAX;
	dv.created_at = INT64_MIN;
	dv.payload.data = buf;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		dv.payload.len = lens[i];
		size_t real = FRAME_HDR_LEN + parley__frame__get_packed_size(&f);

		/* An empty payload is left out of the frame: 2 bytes less. */
		assert_int_equal(delivery_frame_len(lens[i]), real + (lens[i] == 0) * 2);
		assert_true(delivery_frame_len(lens[i]) <= lens[i] + DELIVERY_FRAME_OVERHEAD);
	}
	free(buf);
}

/* A notice whose text is n bytes. */
static size_t
notice_len(size_t n, char *text, Parley__Payload *p, Parley__Notice *no)
{
	memset(text, 'x', n);
	text[n] = '\0';
	parley__payload__init(p);
	parley__notice__init(no);
	no->text = text;
	p->body_case = PARLEY__PAYLOAD__BODY_NOTICE;
	p->notice = no;
	return parley__payload__get_packed_size(p);
}

/* The longest delivery every configuration can send is stored; one byte
 * more is refused (-2) and leaves nothing behind. */
static void
test_enqueue_too_long(void **state)
{
	struct fixture *fx = *state;
	static const int64_t parties[] = { 1, 2 };
	Parley__Payload p;
	Parley__Notice no;
	char *text = malloc(CONFIG_DELIVERY_MAX + 1);
	size_t n = CONFIG_DELIVERY_MAX;
	int64_t mids[2];

	assert_non_null(text);
	while (delivery_frame_len(notice_len(n, text, &p, &no)) > CONFIG_DELIVERY_MAX)
		n--;
	assert_true(n > CONFIG_DELIVERY_MAX - 64);

	assert_int_equal(store_batch_begin(fx->st), 0);
	notice_len(n + 1, text, &p, &no);
	assert_int_equal(delivery_enqueue(fx->d, parties, 2, "notice", 0, "long", &p, mids), -2);
	assert_int_equal(journal_fixture_int(&fx->jf, "SELECT count(*) FROM payload"), 0);
	assert_int_equal(journal_fixture_int(&fx->jf, "SELECT count(*) FROM message"), 0);
	assert_int_equal(journal_fixture_int(&fx->jf, "SELECT count(*) FROM delivery"), 0);

	notice_len(n, text, &p, &no);
	assert_int_equal(delivery_enqueue(fx->d, parties, 2, "notice", 0, "longest", &p, mids), 0);
	assert_int_equal(store_batch_commit(fx->st), 0);
	assert_int_equal(journal_fixture_int(&fx->jf, "SELECT count(*) FROM delivery"), 2);
	assert_int_equal(journal_fixture_int(&fx->jf, "SELECT max(length(body)) FROM payload"),
	    (int64_t)parley__payload__get_packed_size(&p));
	free(text);
}

/* A delivery the sink cannot send is passed over: the ones after it are
 * pushed, it is not counted, it stays pending, and the next connection
 * (last_pushed back to 0) meets it again. */
static void
test_push_passes_over(void **state)
{
	struct fixture *fx = *state;

	enqueue(fx);
	enqueue(fx);
	enqueue(fx);
	assert_int_equal(store_batch_commit(fx->st), 0);
	fx->pass_over = (uint64_t)journal_fixture_int(&fx->jf,
	    "SELECT min(id) FROM delivery WHERE endpoint_id = 1");
	assert_int_equal(delivery_push(fx->d, &fx->sink), 2);
	assert_int_equal(fx->npassed, 1);
	assert_int_equal(fx->npushed, 2);
	assert_true(fx->pushed[0] > fx->pass_over);
	assert_int_equal(fx->sink.last_pushed, fx->pushed[1]);
	assert_int_equal(journal_fixture_int(&fx->jf,
	    "SELECT count(*) FROM delivery WHERE endpoint_id = 1 AND acked_at IS NULL"), 3);

	fx->sink.last_pushed = 0;	/* a new connection */
	fx->npushed = 0;
	assert_int_equal(delivery_push(fx->d, &fx->sink), 2);
	assert_int_equal(fx->npassed, 2);
}

/* An endpoint is told once per delivery it cannot get; other endpoints and
 * deliveries are told too; the memory is a bounded ring. */
static void
test_unsendable_once(void **state)
{
	struct fixture *fx = *state;
	uint64_t i;

	assert_int_equal(delivery_unsendable(fx->d, 1, 7), 1);
	assert_int_equal(delivery_unsendable(fx->d, 1, 7), 0);
	assert_int_equal(delivery_unsendable(fx->d, 2, 7), 1);
	assert_int_equal(delivery_unsendable(fx->d, 1, 8), 1);
	assert_int_equal(delivery_unsendable(fx->d, 1, 7), 0);
	for (i = 0; i < DELIVERY_UNSENDABLE_MAX; i++)
		assert_int_equal(delivery_unsendable(fx->d, 3, 100 + i), 1);
	/* Forgotten: told again (once more), never more than the ring holds. */
	assert_int_equal(delivery_unsendable(fx->d, 1, 7), 1);
	assert_int_equal(delivery_unsendable(fx->d, 1, 7), 0);
}

/* What the status socket shows as pending: unacked deliveries to endpoints
 * that are not removed, and the oldest one's time. */
/* The delivery module's monotonic clock, moved by hand. */
static uint64_t fake_ns;
static uint64_t fake_now(void) { return fake_ns; }

/* Acks of deliveries just pushed are worth a commit's wait for
 * DELIVERY_ACK_WAIT_NS after the push, while any is awaited: not once the
 * acks came, nor once their connection is gone, nor after the time. */
static void
test_ack_wait(void **state)
{
	struct fixture *fx = *state;
	char err[128];

	delivery_set_clock(fx->d, fake_now);
	fake_ns = 5000000000u;
	assert_int_equal(delivery_ack_wait(fx->d), 0);	/* nothing pushed */

	/* Anything but a release bundle is never awaited: whether another
	 * party is online and acks must not show in how long a commit
	 * waits before a release. */
	enqueue(fx);
	enqueue_kind(fx, "update");
	assert_int_equal(store_batch_commit(fx->st), 0);
	delivery_after_commit(fx->d);
	assert_int_equal(fx->npushed, 2);
	assert_int_equal(fx->sink.awaiting, 0);
	assert_int_equal(delivery_ack_wait(fx->d), 0);
	fx->npushed = 0;

	/* Two bundles pushed: awaited for the whole time, less what has
	 * passed. */
	enqueue_kind(fx, "release");
	enqueue_kind(fx, "release");
	assert_int_equal(store_batch_commit(fx->st), 0);
	delivery_after_commit(fx->d);
	assert_int_equal(fx->npushed, 2);
	assert_int_equal(fx->sink.awaiting, 2);
	assert_int_equal(delivery_ack_wait(fx->d), DELIVERY_ACK_WAIT_NS);
	fake_ns += 400000;
	assert_int_equal(delivery_ack_wait(fx->d), DELIVERY_ACK_WAIT_NS - 400000);

	/* One acked: the other is still awaited; both: nothing is. */
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(ack1(fx, 1, "arm", (int64_t)fx->pushed[0], err, sizeof(err)), 1);
	delivery_sink_acked(fx->d, &fx->sink, 1);
	assert_int_equal(delivery_ack_wait(fx->d), DELIVERY_ACK_WAIT_NS - 400000);
	/* more than it was sent (acks of another connection's): none left */
	delivery_sink_acked(fx->d, &fx->sink, 5);
	assert_int_equal(fx->sink.awaiting, 0);
	assert_int_equal(delivery_ack_wait(fx->d), 0);
	assert_int_equal(delivery_record_acks(fx->d, fx->j), 0);
	assert_int_equal(store_batch_commit(fx->st), 0);

	/* Pushed, then the time passes: no longer worth waiting for. */
	push_new(fx, 3);
	assert_true(delivery_ack_wait(fx->d) > 0);
	fake_ns += DELIVERY_ACK_WAIT_NS;
	assert_int_equal(delivery_ack_wait(fx->d), 0);

	/* Pushed, then the connection goes: not awaited. */
	push_new(fx, 4);
	assert_true(delivery_ack_wait(fx->d) > 0);
	delivery_detach(fx->d, &fx->sink);
	assert_int_equal(delivery_ack_wait(fx->d), 0);
	delivery_attach(fx->d, &fx->sink);	/* for the teardown */
	assert_int_equal(fx->sink.awaiting, 0);
	assert_int_equal(delivery_ack_wait(fx->d), 0);
}

/* A release bundle pushed again later (a party's new connection fetching
 * one it missed) is not awaited: the commit's wait would show every party
 * when that party comes online (found by review). */
static void
test_ack_wait_fresh_only(void **state)
{
	struct fixture *fx = *state;

	delivery_set_clock(fx->d, fake_now);
	fake_ns = 5000000000u;
	/* Released while the endpoint is away: nothing pushed. */
	delivery_detach(fx->d, &fx->sink);
	enqueue_kind(fx, "release");
	assert_int_equal(store_batch_commit(fx->st), 0);
	delivery_after_commit(fx->d);
	assert_int_equal(fx->npushed, 0);
	/* It connects and fetches: the bundle goes, nothing is awaited. */
	fake_ns += 100000;
	delivery_attach(fx->d, &fx->sink);
	assert_int_equal(delivery_push(fx->d, &fx->sink), 1);
	assert_int_equal(fx->npushed, 1);
	assert_int_equal(fx->sink.awaiting, 0);
	assert_int_equal(delivery_ack_wait(fx->d), 0);

	/* A release committed while the endpoint is connected: awaited. */
	push_new(fx, 2);
	assert_int_equal(fx->sink.awaiting, 1);
	assert_true(delivery_ack_wait(fx->d) > 0);
}

/* A Fetch answered in the release's own turn pushes the bundle as the
 * turn's replies go out, before delivery_after_commit: awaited like the
 * others, so that whether an endpoint fetched then does not show in the
 * wait (found by review). */
static void
test_ack_wait_fetch_in_release_turn(void **state)
{
	struct fixture *fx = *state;

	delivery_set_clock(fx->d, fake_now);
	fake_ns = 5000000000u;
	enqueue_kind(fx, "release");
	assert_int_equal(store_batch_commit(fx->st), 0);
	assert_int_equal(delivery_push(fx->d, &fx->sink), 1);	/* the Fetch's reply */
	assert_int_equal(fx->sink.awaiting, 1);
	delivery_after_commit(fx->d);
	assert_int_equal(fx->npushed, 1);
	assert_int_equal(delivery_ack_wait(fx->d), DELIVERY_ACK_WAIT_NS);
}

/* Two connections of one endpoint (two `parley watch`, or an old one not
 * yet timed out) are each pushed the same delivery, and the endpoint acks
 * it once: the other connection's count never comes down by an ack.  It
 * stops counting with its window, so that a later delivery, pushed and
 * acked on both at once, is not awaited for ever after. */
static void
test_ack_wait_two_connections(void **state)
{
	struct fixture *fx = *state;
	struct sink b = { 0 };
	char err[128];
	uint64_t x;

	b.endpoint_id = 1;
	b.push = push;
	b.ctx = fx;
	delivery_attach(fx->d, &b);
	delivery_set_clock(fx->d, fake_now);
	fake_ns = 5000000000u;

	push_new(fx, 2);	/* the same delivery, once on each */
	x = fx->pushed[0];
	assert_int_equal(fx->pushed[1], x);
	assert_true(delivery_ack_wait(fx->d) > 0);

	/* Acked on the fixture's connection, then again on b in a later
	 * transaction: nothing newly acked there. */
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(ack1(fx, 1, "arm", (int64_t)x, err, sizeof(err)), 1);
	delivery_sink_acked(fx->d, &fx->sink, 1);
	assert_int_equal(delivery_record_acks(fx->d, fx->j), 0);
	assert_int_equal(store_batch_commit(fx->st), 0);
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(ack1(fx, 1, "arm", (int64_t)x, err, sizeof(err)), 0);
	delivery_sink_acked(fx->d, &b, 0);
	assert_int_equal(store_batch_commit(fx->st), 0);
	assert_int_equal(b.awaiting, 1);	/* b still counts it */

	/* A minute on, a new delivery, pushed to both and acked on both:
	 * nothing is awaited. */
	fake_ns += 60ull * 1000000000u;
	assert_int_equal(delivery_ack_wait(fx->d), 0);
	push_new(fx, 4);
	assert_true(delivery_ack_wait(fx->d) > 0);
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(ack1(fx, 1, "arm", (int64_t)fx->pushed[2], err, sizeof(err)), 1);
	delivery_sink_acked(fx->d, &fx->sink, 1);
	assert_true(delivery_ack_wait(fx->d) > 0);	/* b's copy still awaited */
	assert_int_equal(ack1(fx, 1, "arm", (int64_t)fx->pushed[3], err, sizeof(err)), 1);
	delivery_sink_acked(fx->d, &b, 1);
	assert_int_equal(delivery_ack_wait(fx->d), 0);
	assert_int_equal(delivery_record_acks(fx->d, fx->j), 0);
	assert_int_equal(store_batch_commit(fx->st), 0);

	/* b goes with nothing awaited: nothing changes. */
	delivery_detach(fx->d, &b);
	assert_int_equal(delivery_ack_wait(fx->d), 0);
}

static void
test_pending(void **state)
{
	struct fixture *fx = *state;
	int64_t n = 99, oldest = 99;
	char err[128];

	assert_int_equal(delivery_pending(fx->d, &n, &oldest), 0);
	assert_int_equal(n, 0);
	assert_int_equal(oldest, -1);
	/* Read inside the transaction that queued them, too. */
	enqueue(fx);
	assert_int_equal(delivery_pending(fx->d, &n, &oldest), 0);
	assert_int_equal(n, 2);
	assert_int_equal(oldest, clock_now(fx->jf.clk));
	assert_int_equal(store_batch_commit(fx->st), 0);
	delivery_flush(fx->d);

	/* Acked: no longer pending once the commit writes the ack. */
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(ack1(fx, 1, "arm", (int64_t)fx->pushed[0], err, sizeof(err)), 1);
	assert_int_equal(delivery_record_acks(fx->d, fx->j), 0);
	assert_int_equal(store_batch_commit(fx->st), 0);
	assert_int_equal(delivery_pending(fx->d, &n, &oldest), 0);
	assert_int_equal(n, 1);

	/* To a removed endpoint it can never be acked: not pending. */
	assert_int_equal(store_exec(fx->st, "UPDATE endpoint SET removed_at = 1 WHERE id = 2"), 0);
	assert_int_equal(delivery_pending(fx->d, &n, &oldest), 0);
	assert_int_equal(n, 0);
	assert_int_equal(oldest, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_push_before_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acks_written_at_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_all_or_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_wait_two_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_wait_fresh_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_wait_fetch_in_release_turn, setup, teardown),
		cmocka_unit_test(test_frame_len),
		cmocka_unit_test_setup_teardown(test_enqueue_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_passes_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsendable_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
