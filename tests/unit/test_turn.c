/* daemon/turn on a real store and a real connection (a socketpair): when
 * the turn's transaction is lost before its commit, every queued reply and
 * every queued call is answered with an Error (none is left waiting), the
 * rolled_back hook runs and after_commit does not; a good commit runs the
 * calls and after_commit; an answer too long for the connection is refused
 * and its request rolled back; the idle flush waits for checks in flight,
 * within bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <event2/event.h>

#include "errors.h"
#include "frame.h"
#include "daemon/conn.h"
#include "daemon/metrics.h"
#include "daemon/store.h"
#include "daemon/turn.h"
#include "conn_fixture.h"
#include "journal_fixture.h"

struct fixture {
	struct journal_fixture jf;	/* its journal is not used */
	struct store *st;		/* jf's */
	struct event_base *base;
	struct metrics m;
	struct turn *t;
	struct conn_fixture cf;
	int called, committed, rolled_back;
	uint64_t in_flight;	/* what the hold says */
};

/* The turn's monotonic clock, moved by hand. */
static uint64_t fake_ns;
static uint64_t fake_now(void) { return fake_ns; }
static uint64_t in_flight(void *arg) { return ((struct fixture *)arg)->in_flight; }

static void after_commit(void *arg) { ((struct fixture *)arg)->committed++; }
static void rolled_back(void *arg) { ((struct fixture *)arg)->rolled_back++; }
static int before_commit(void *arg) { (void)arg; return 0; }

static void
call(struct conn *c, void *arg, uint64_t id)
{
	(void)c;
	assert_int_equal(id, 7);
	((struct fixture *)arg)->called++;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	*state = fx;
	if (journal_fixture_open(&fx->jf, "test_turn") != 0)
		return -1;
	fx->st = fx->jf.st;
	if (conn_fixture_open(&fx->cf) != 0 ||
	    (fx->t = turn_new(fx->cf.base, fx->st, &fx->m, after_commit, fx)) == NULL)
		return -1;
	turn_set_commit_hooks(fx->t, before_commit, rolled_back, fx);
	/* time stands still unless a test moves it: the turn's age bound
	 * does not depend on how fast the test runs */
	turn_set_clock(fx->t, fake_now);
	fake_ns = 1000000000;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	int rc;

	turn_free(fx->t);
	conn_fixture_close(&fx->cf);
	rc = journal_fixture_close(&fx->jf);
	free(fx);
	return rc;
}

static void
queue_two(struct fixture *fx)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__Ok ok = PARLEY__OK__INIT;

	assert_int_equal(turn_request_begin_single(fx->t, 1), 0);
	ok.id = 5;
	f.id = 5;
	f.body_case = PARLEY__FRAME__BODY_OK;
	f.ok = &ok;
	turn_reply(fx->t, fx->cf.c, &f);
	turn_call(fx->t, fx->cf.c, 7, call, fx);
	turn_request_end(fx->t, 1);
}

static void
test_lost_transaction_answers_everything(void **state)
{
	struct fixture *fx = *state;
	Parley__Frame *f;

	queue_two(fx);
	/* The transaction is gone before the commit (as SQLite does on a full
	 * disk or out of memory). */
	assert_int_equal(sqlite3_exec(store_db(fx->st), "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	turn_flush(fx->t);
	assert_int_equal(fx->rolled_back, 1);
	assert_int_equal(fx->committed, 0);
	assert_int_equal(fx->called, 0);
	assert_false(store_in_batch(fx->st));
	/* Both the reply and the call are answered with an Error. */
	f = conn_fixture_next_frame(&fx->cf);
	assert_int_equal(f->id, 5);
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_ERROR);
	assert_int_equal(f->error->code, PARLEY_ESTORE);
	parley__frame__free_unpacked(f, NULL);
	f = conn_fixture_next_frame(&fx->cf);
	assert_int_equal(f->id, 7);
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_ERROR);
	assert_int_equal(f->error->code, PARLEY_ESTORE);
	parley__frame__free_unpacked(f, NULL);
}

static void
test_commit_runs_calls(void **state)
{
	struct fixture *fx = *state;
	Parley__Frame *f;

	queue_two(fx);
	turn_flush(fx->t);
	assert_int_equal(fx->committed, 1);
	assert_int_equal(fx->rolled_back, 0);
	assert_int_equal(fx->called, 1);
	f = conn_fixture_next_frame(&fx->cf);
	assert_int_equal(f->id, 5);
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_OK);
	parley__frame__free_unpacked(f, NULL);
}

/* An answer longer than the connection may ever hold queued (1 MiB here)
 * is refused with the reason instead of dropping the connection, and its
 * request is rolled back. */
static void
test_answer_too_long(void **state)
{
	struct fixture *fx = *state;
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__Ok ok = PARLEY__OK__INIT;
	sqlite3 *db = store_db(fx->st);
	sqlite3_stmt *s;
	char *big = malloc(1100000);

	assert_non_null(big);
	memset(big, 'x', 1099999);
	big[1099999] = '\0';
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(turn_request_begin(fx->t), 0);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO t VALUES (1)", NULL, NULL, NULL), SQLITE_OK);
	ok.message = big;
	f.id = 9;
	f.body_case = PARLEY__FRAME__BODY_OK;
	f.ok = &ok;
	turn_reply(fx->t, fx->cf.c, &f);
	turn_request_end(fx->t, 1);
	free(big);
	turn_flush(fx->t);
	assert_int_equal(fx->committed, 1);
	r = conn_fixture_next_frame(&fx->cf);
	assert_int_equal(r->id, 9);
	assert_int_equal(r->body_case, PARLEY__FRAME__BODY_ERROR);
	assert_int_equal(r->error->code, PARLEY_EREFUSED);
	assert_non_null(strstr(r->error->message, "more than this connection may carry (1048576)"));
	parley__frame__free_unpacked(r, NULL);
	/* the request's change was not kept */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 0);
	sqlite3_finalize(s);
}

/* A turn commits before it would hold more than 2048 requests; an Ack of n
 * deliveries counts n, one of more than 2048 gets a turn of its own. */
static void
test_request_weight(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(turn_request_begin_single(fx->t, 2000), 0);
	turn_request_end(fx->t, 1);
	assert_int_equal(turn_request_begin_single(fx->t, 48), 0);	/* 2048: fits */
	turn_request_end(fx->t, 1);
	assert_int_equal(fx->committed, 0);
	assert_int_equal(turn_request_begin(fx->t), 0);		/* 2049: commits first */
	assert_int_equal(fx->committed, 1);
	assert_true(store_in_batch(fx->st));
	turn_request_end(fx->t, 1);
	assert_int_equal(turn_request_begin_single(fx->t, 3000), 0);	/* commits first */
	assert_int_equal(fx->committed, 2);
	turn_request_end(fx->t, 1);
	assert_int_equal(turn_request_begin_single(fx->t, 1), 0);	/* after 3000: commits */
	assert_int_equal(fx->committed, 3);
	turn_request_end(fx->t, 1);
	turn_flush(fx->t);
	assert_int_equal(fx->committed, 4);
	assert_int_equal(turn_commits(fx->t), 4);
}

/* Within one read of many frames no timer runs: a request commits the turn
 * first once it is 20 ms old (TURN_MAX_DELAY), or holds 16 MiB of replies,
 * whatever the count (found by review: 2048 asks for a large text held
 * 0.8 GB and everyone's replies 0.4 s). */
static void
test_turn_age_and_bytes(void **state)
{
	struct fixture *fx = *state;
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__Ok ok = PARLEY__OK__INIT;
	char *big = malloc(1000000);
	int i;

	assert_non_null(big);
	/* age */
	assert_int_equal(turn_request_begin_single(fx->t, 1), 0);
	turn_request_end(fx->t, 1);
	fake_ns += 19 * 1000 * 1000;
	assert_int_equal(turn_request_begin_single(fx->t, 1), 0);	/* 19 ms: joins */
	turn_request_end(fx->t, 1);
	assert_int_equal(fx->committed, 0);
	fake_ns += 1000 * 1000;
	assert_int_equal(turn_request_begin_single(fx->t, 1), 0);	/* 20 ms: commits first */
	assert_int_equal(fx->committed, 1);
	assert_true(store_in_batch(fx->st));
	turn_request_end(fx->t, 1);
	turn_flush(fx->t);
	assert_int_equal(fx->committed, 2);

	/* bytes: 17 replies of 1 MB fill the turn (16 do not), the 18th
	 * request commits first (the connection, which may queue only 1 MiB, is then dropped
	 * as not reading: what counts here is the commit) */
	memset(big, 'x', 999999);
	big[999999] = '\0';
	ok.message = big;
	f.body_case = PARLEY__FRAME__BODY_OK;
	f.ok = &ok;
	for (i = 0; i < 17; i++) {
		assert_int_equal(turn_request_begin_single(fx->t, 1), 0);
		f.id = (uint64_t)i + 1;
		turn_reply(fx->t, fx->cf.c, &f);
		turn_request_end(fx->t, 1);
	}
	assert_int_equal(fx->committed, 2);
	assert_int_equal(turn_request_begin_single(fx->t, 1), 0);
	assert_int_equal(fx->committed, 3);
	turn_request_end(fx->t, 1);
	free(big);
}

/* The flag a finished handshake looks at: set by endpoint changes, only
 * while their batch is open. */
static void
test_endpoint_changes_flag(void **state)
{
	struct fixture *fx = *state;

	assert_false(store_batch_has_endpoint_changes(fx->st));
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_false(store_batch_has_endpoint_changes(fx->st));
	store_batch_endpoints_changed(fx->st);
	assert_true(store_batch_has_endpoint_changes(fx->st));
	assert_int_equal(store_batch_commit(fx->st), 0);
	assert_false(store_batch_has_endpoint_changes(fx->st));
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_false(store_batch_has_endpoint_changes(fx->st));
	store_batch_rollback(fx->st);
}

/* The flush that runs once the loop is idle waits while checks are in
 * flight, until they land (turn_resume), the turn holds 256 requests, or
 * 10 ms have passed since its transaction began; a direct flush (timers,
 * shutdown) never waits. */
static void
test_hold(void **state)
{
	struct fixture *fx = *state;
	struct timeval expiry, now;
	long long left_us;
	Parley__Frame *f;

	turn_set_hold(fx->t, in_flight, fx);
	turn_set_clock(fx->t, fake_now);
	fake_ns = 1000000000;
	fx->in_flight = TURN_HOLD_RESUMED;

	/* held, then the checks land */
	queue_two(fx);
	event_base_loop(fx->cf.base, EVLOOP_NONBLOCK);
	assert_int_equal(fx->committed, 0);
	assert_true(store_in_batch(fx->st));
	event_base_loop(fx->cf.base, EVLOOP_NONBLOCK);	/* nothing wakes it */
	assert_int_equal(fx->committed, 0);
	fx->in_flight = 0;
	turn_resume(fx->t);
	f = conn_fixture_next_frame(&fx->cf);
	assert_int_equal(fx->committed, 1);
	assert_int_equal(f->id, 5);
	parley__frame__free_unpacked(f, NULL);
	assert_int_equal(fx->called, 1);

	/* held until 10 ms after the transaction began: a later request
	 * does not extend it */
	fx->in_flight = TURN_HOLD_RESUMED;
	assert_int_equal(turn_request_begin(fx->t), 0);
	turn_request_end(fx->t, 1);
	event_base_loop(fx->cf.base, EVLOOP_NONBLOCK);
	assert_int_equal(fx->committed, 1);
	fake_ns += 9 * 1000 * 1000;
	assert_int_equal(turn_request_begin(fx->t), 0);
	turn_request_end(fx->t, 1);
	event_base_loop(fx->cf.base, EVLOOP_NONBLOCK);
	assert_int_equal(fx->committed, 1);
	fake_ns += 1000 * 1000;
	assert_int_equal(turn_request_begin(fx->t), 0);
	turn_request_end(fx->t, 1);
	event_base_loop(fx->cf.base, EVLOOP_NONBLOCK);
	assert_int_equal(fx->committed, 2);

	/* held until the turn holds 256 requests */
	assert_int_equal(turn_request_begin_single(fx->t, 255), 0);
	turn_request_end(fx->t, 1);
	event_base_loop(fx->cf.base, EVLOOP_NONBLOCK);
	assert_int_equal(fx->committed, 2);
	assert_int_equal(turn_request_begin_single(fx->t, 1), 0);
	turn_request_end(fx->t, 1);
	event_base_loop(fx->cf.base, EVLOOP_NONBLOCK);
	assert_int_equal(fx->committed, 3);

	/* a direct flush does not wait */
	assert_int_equal(turn_request_begin(fx->t), 0);
	turn_request_end(fx->t, 1);
	event_base_loop(fx->cf.base, EVLOOP_NONBLOCK);
	assert_int_equal(fx->committed, 3);
	turn_flush(fx->t);
	assert_int_equal(fx->committed, 4);
	/* and a resume with nothing held does nothing */
	turn_resume(fx->t);
	event_base_loop(fx->cf.base, EVLOOP_NONBLOCK);
	assert_int_equal(fx->committed, 4);

	/* A hold for a while (acks of what was just pushed): held, its timer
	 * set for that while, not for the turn's 10 ms, and once it says
	 * there is nothing more to wait for, the next request's flush
	 * commits. */
	fx->in_flight = 500 * 1000;
	assert_int_equal(turn_request_begin(fx->t), 0);
	turn_request_end(fx->t, 1);
	event_base_loop(fx->cf.base, EVLOOP_NONBLOCK);
	assert_int_equal(fx->committed, 4);
	assert_int_equal(turn_hold_expiry(fx->t, &expiry), 0);
	gettimeofday(&now, NULL);
	/* (read after the timer was set: the time left only looks shorter;
	 * libevent maps its monotonic expiry to wall time with an offset
	 * taken when the loop was made, so allow the wall clock's slew, far
	 * under the turn's 10 ms) */
	left_us = (expiry.tv_sec - now.tv_sec) * 1000000 + (expiry.tv_usec - now.tv_usec);
	assert_true(left_us <= 500 + 1000);
	fx->in_flight = 0;
	assert_int_equal(turn_request_begin_single(fx->t, 1), 0);
	turn_request_end(fx->t, 1);
	event_base_loop(fx->cf.base, EVLOOP_NONBLOCK);
	assert_int_equal(fx->committed, 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lost_transaction_answers_everything, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_commit_runs_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endpoint_changes_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_weight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_turn_age_and_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
