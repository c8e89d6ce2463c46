/* A store failure in the middle of a read is not the end of the rows: the
 * decisions and listings that read rows in a loop fail (and the decision
 * is not taken) instead of going on with the rows read so far.
 *
 * The failure is real and deterministic (store_trip.h): the chosen statement
 * is interrupted as it is about to return row k+1, so that sqlite3_step
 * returns SQLITE_INTERRUPT after k rows, where it would have returned one
 * more.  Each case first runs unharmed in a batch that is rolled back, to
 * show what the complete answer is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "errors.h"
#include "frame.h"
#include "daemon/conn.h"
#include "daemon/delivery.h"
#include "daemon/engine.h"
#include "daemon/mandate.h"
#include "daemon/metrics.h"
#include "daemon/out.h"
#include "daemon/registry.h"
#include "daemon/timeline.h"
#include "daemon/timers.h"
#include "daemon/turn.h"
#include "conn_fixture.h"
#include "journal_fixture.h"
#include "store_trip.h"

struct fixture {
	struct journal_fixture jf;
	struct store *st;	/* jf's */
	struct delivery *d;
	struct metrics m;
	struct ag_ctx *e;
	/* party requests answer through a turn, to a connection */
	struct turn *t;
	struct conn_fixture cf;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	*state = fx;
	fx->cf.peer = -1;
	if (journal_fixture_open(&fx->jf, "test_read_failures") != 0 ||
	    (fx->d = delivery_new(fx->jf.st, fx->jf.clk)) == NULL ||
	    (fx->e = ag_new(fx->jf.st, fx->jf.clk, fx->d, fx->jf.key, &fx->m)) == NULL)
		return -1;
	fx->st = fx->jf.st;
	if (conn_fixture_open(&fx->cf) != 0 ||
	    (fx->t = turn_new(fx->cf.base, fx->st, &fx->m, NULL, NULL)) == NULL)
		return -1;
	/* Two parties with an endpoint each, and agreement 1 between them. */
	return store_exec(fx->st,
	    "INSERT INTO party VALUES (1, 'baku', 'Baku', 0, 0), (2, 'yerevan', 'Yerevan', 0, 0);"
	    "INSERT INTO endpoint VALUES (1, 1, x'01', 0, NULL), (2, 2, x'02', 0, NULL);"
	    "INSERT INTO agreement(id, title, state, revision, effective, validity,"
	    " disclose_progress, created_at) VALUES (1, 'T', 'circulating', 1, 'on-release',"
	    " '', 0, 0);"
	    "INSERT INTO agreement_party(agreement_id, party_id, observer) VALUES (1, 1, 0), (1, 2, 0);");
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	int rc;

	if (fx->st != NULL)
		trip_disarm(fx->st);
	turn_free(fx->t);
	conn_fixture_close(&fx->cf);
	ag_free(fx->e);
	delivery_free(fx->d);
	rc = journal_fixture_close(&fx->jf);
	free(fx);
	return rc;
}

static int64_t
count(struct fixture *fx, const char *sql)
{
	return journal_fixture_int(&fx->jf, sql);
}

/* baku signs agreement 1 in role as one request of its own turn (its
 * signature taken as checked): what engine_sign returned, and the reply. */
static int
sign(struct fixture *fx, const char *role, Parley__Frame **reply)
{
	static const struct ident who = { 1, { 1, "baku", 0 } };
	static uint8_t zero[64];
	Parley__SignRequest m = PARLEY__SIGN_REQUEST__INIT;
	struct req r = { fx->t, fx->cf.c, 9, &who, 1 };
	int keep;

	m.agreement = 1;
	m.revision = 1;
	m.party = "baku";
	m.role = (char *)role;
	m.content_hash.data = zero;
	m.content_hash.len = 32;
	m.signer_key.data = zero;
	m.signer_key.len = 32;
	m.signature.data = zero;
	m.signature.len = 64;
	assert_int_equal(turn_request_begin(fx->t), 0);
	keep = engine_sign(fx->e, &r, &m);
	turn_request_end(fx->t, keep);
	turn_flush(fx->t);
	*reply = conn_fixture_next_frame(&fx->cf);
	assert_non_null(*reply);
	assert_int_equal((*reply)->id, 9);
	return keep;
}

/* Decision: a copy in a role the agreement does not require of its party is
 * refused.  A failure reading the required roles must not read as "no role
 * required", which would count the copy in any role. */
static void
test_required_roles(void **state)
{
	struct fixture *fx = *state;
	Parley__Frame *f;
	struct trip t;

	assert_int_equal(store_exec(fx->st,
	    "INSERT INTO signer(id, party_id, pubkey, created_at) VALUES (1, 1, zeroblob(32), 0);"
	    "INSERT INTO revision(agreement_id, number, text, calendar, content_hash,"
	    " created_at) VALUES (1, 1, 'text', '', zeroblob(32), 0);"
	    "INSERT INTO agreement_role VALUES (1, 1, 'military');"), 0);

	/* Unharmed: refused, for the role. */
	assert_int_equal(sign(fx, "political", &f), 0);
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_ERROR);
	assert_int_equal(f->error->code, PARLEY_EREFUSED);
	assert_non_null(strstr(f->error->message, "the roles military"));
	parley__frame__free_unpacked(f, NULL);

	/* The roles cannot be read: refused as a store failure, nothing kept. */
	trip_arm(fx->st, &t, "FROM agreement_role WHERE agreement_id = ? AND party_id = ?", 0);
	assert_int_equal(sign(fx, "political", &f), 0);
	trip_disarm(fx->st);
	assert_int_equal(t.tripped, 1);
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_ERROR);
	assert_int_equal(f->error->code, PARLEY_ESTORE);
	parley__frame__free_unpacked(f, NULL);
	assert_int_equal(count(fx, "SELECT count(*) FROM copy"), 0);

	/* And the required role is still what counts. */
	assert_int_equal(sign(fx, "military", &f), 1);
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_OK);
	parley__frame__free_unpacked(f, NULL);
	assert_int_equal(count(fx, "SELECT count(*) FROM copy WHERE status = 'valid'"), 1);
}

/* Decision: the signatures under a revoked mandate are void.  A failure
 * after the first of two such copies must not void one and keep the other
 * valid (and releasable) as if there were no more. */
static void
test_void_revoked(void **state)
{
	struct fixture *fx = *state;
	struct trip t;
	int rc;

	assert_int_equal(store_exec(fx->st,
	    "INSERT INTO signer(id, party_id, pubkey, created_at) VALUES (1, 1, zeroblob(32), 0);"
	    "INSERT INTO mandate(id, party_id, signer_key, roles, scope, valid_from,"
	    " valid_until, issued_at, supersedes, in_place_of, principal_key, signature,"
	    " created_at, revoked_at) VALUES (1, 1, zeroblob(32), 'military political',"
	    " 'any', 0, 0, 0, 0, '', zeroblob(32), zeroblob(64), 0, 100);"
	    "INSERT INTO copy(id, agreement_id, revision, party_id, endpoint_id, signer_id,"
	    " role, content_hash, signature, status, signed_at, mandate_id) VALUES"
	    " (1, 1, 1, 1, 1, 1, 'military', zeroblob(32), zeroblob(64), 'valid', 50, 1),"
	    " (2, 1, 1, 1, 1, 1, 'political', zeroblob(32), zeroblob(64), 'valid', 60, 1);"),
	    0);

	/* Unharmed: both copies are void. */
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(mandate_void_revoked(fx->e, 1), 2);
	assert_int_equal(count(fx, "SELECT count(*) FROM copy WHERE status = 'void'"), 2);
	store_batch_rollback(fx->st);
	assert_int_equal(count(fx, "SELECT count(*) FROM copy WHERE status = 'valid'"), 2);

	/* The read fails after one copy: a failure, not "one copy to void". */
	assert_int_equal(store_batch_begin(fx->st), 0);
	trip_arm(fx->st, &t, "FROM copy c JOIN mandate m", 1);
	rc = mandate_void_revoked(fx->e, 1);
	trip_disarm(fx->st);
	assert_int_equal(t.tripped, 1);
	assert_int_equal(t.rows, 2);
	assert_int_equal(rc, -1);
	assert_int_equal(count(fx, "SELECT count(*) FROM copy WHERE status = 'void'"), 0);
	store_batch_rollback(fx->st);
}

/* Decision: a measure that needs confirmation falls due.  Its party has
 * confirmed it; a failure reading the confirmations must not read as "not
 * confirmed" and flag it overdue in the record: the timer fails, to run
 * again. */
static void
test_measure_confirmed(void **state)
{
	struct fixture *fx = *state;
	int64_t now = clock_now(fx->jf.clk);
	struct trip t;
	int rc;

	assert_int_equal(store_exec(fx->st,
	    "UPDATE agreement SET state = 'in_force', released_at = 500, effective_at = 500"
	    " WHERE id = 1;"
	    "INSERT INTO measure VALUES (1, 1, 0, 'X', 'baku', 'withdraw', 1, 1000);"
	    "INSERT INTO measure_confirmation(agreement_id, number, party_id, confirmed_at)"
	    " VALUES (1, 1, 1, 900);"
	    "INSERT INTO timer(id, agreement_id, kind, due_at, ref, number)"
	    " VALUES (1, 1, 'measure-due', 1000, 1000, 1);"), 0);

	/* Unharmed: the timer fires and, the measure being confirmed, says
	 * nothing. */
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(timers_run(fx->e, now), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM timer WHERE fired_at IS NOT NULL"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM ag_event WHERE kind = 'overdue'"), 0);
	store_batch_rollback(fx->st);

	assert_int_equal(store_batch_begin(fx->st), 0);
	trip_arm(fx->st, &t, "FROM measure_confirmation c JOIN party p", 0);
	rc = timers_run(fx->e, now);
	trip_disarm(fx->st);
	assert_int_equal(t.tripped, 1);
	assert_int_equal(rc, -1);
	assert_int_equal(count(fx, "SELECT count(*) FROM ag_event WHERE kind = 'overdue'"), 0);
	store_batch_rollback(fx->st);
}

/* A listing that answers with expect among its rows, and refuses with the
 * store's reason, not as if complete, when its read (sql) is cut after the
 * first row. */
static void
listing_refused(struct fixture *fx, int (*list)(struct fixture *, struct out *),
    const char *sql, const char *expect)
{
	struct trip t;
	struct out o;
	int rc;

	assert_int_equal(out_init(&o), 0);
	assert_int_equal(list(fx, &o), 0);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(jw_text(o.json), expect));
	out_release(&o);

	assert_int_equal(out_init(&o), 0);
	trip_arm(fx->st, &t, sql, 1);
	rc = list(fx, &o);
	trip_disarm(fx->st);
	assert_int_equal(t.tripped, 1);
	assert_int_equal(t.rows, 2);
	assert_int_equal(rc, -1);
	assert_int_equal(o.status, 1);
	assert_string_equal(o.error, "store failure: interrupted");
	out_release(&o);
}

static int
party_list(struct fixture *fx, struct out *o)
{
	return registry_party_list(fx->st, o);
}

static int
agreement_list(struct fixture *fx, struct out *o)
{
	return engine_agreement_list(fx->e, -1, o);
}

/* Listing: a party list cut short is refused with the store's reason, not
 * answered as if it were complete. */
static void
test_party_list(void **state)
{
	listing_refused(*state, party_list, "FROM party p ORDER BY p.id", "\"yerevan\"");
}

/* Listing, in the engine: the agreement list likewise. */
static void
test_agreement_list(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(store_exec(fx->st,
	    "INSERT INTO agreement(id, title, state, revision, effective, validity,"
	    " disclose_progress, created_at) VALUES (2, 'U', 'draft', 1, 'on-release',"
	    " '', 0, 0);"), 0);
	listing_refused(fx, agreement_list, "FROM agreement WHERE id >= ? ORDER BY id", "\"U\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_required_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_void_revoked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_measure_confirmed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_party_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agreement_list, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
