/* daemon/registry's readers for the modules that may not read its tables
 * themselves (issue 19: each table has one owner): the party walks, the
 * endpoint count and the uncommitted-endpoints flag, on a real store.  A
 * walk cut short by a store failure fails; it never reads as all the
 * parties (a party left off the duty watch would never be alerted for).
 *
 * The failure is injected as in test_read_failures.c: SQLite's trace hook
 * spots the walk's statement, and its progress handler interrupts it as it
 * is about to return the row after the first `after`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "daemon/out.h"
#include "daemon/registry.h"
#include "journal_fixture.h"
#include "store_trip.h"

#define SEEN_MAX 8

struct fixture {
	struct journal_fixture jf;
	struct store *st;	/* jf's */
	/* what the walk's callback saw */
	struct party seen[SEEN_MAX];
	int64_t endpoints[SEEN_MAX];
	size_t nseen;
	size_t stop_after;	/* answer 7 ("stop") at this many; 0: never */
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	int rc;

	if (fx == NULL)
		return -1;
	*state = fx;
	rc = journal_fixture_open(&fx->jf, "test_registry");
	if (rc != 0)
		return -1;
	fx->st = fx->jf.st;
	/* Registered in an order that is not the codes' order; an observer
	 * (osce); yerevan has one endpoint removed and one active, baku two
	 * active, stepanakert none. */
	return store_exec(fx->st,
	    "INSERT INTO party VALUES (1, 'yerevan', 'Armenia', 0, 0),"
	    " (2, 'osce', 'OSCE Minsk Group', 1, 0), (3, 'baku', 'Azerbaijan', 0, 0),"
	    " (4, 'stepanakert', 'Nagorno-Karabakh', 0, 0);"
	    "INSERT INTO endpoint VALUES (1, 1, x'01', 0, 5), (2, 1, x'02', 0, NULL),"
	    " (3, 3, x'03', 0, NULL), (4, 3, x'04', 0, NULL), (5, 2, x'05', 0, NULL);");
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	int rc;

	if (fx->st != NULL)
		trip_disarm(fx->st);
	rc = journal_fixture_close(&fx->jf);
	free(fx);
	return rc;
}

static int
see(void *ctx, const struct party *p, int64_t endpoints)
{
	struct fixture *fx = ctx;

	assert_true(fx->nseen < SEEN_MAX);
	fx->seen[fx->nseen] = *p;
	fx->endpoints[fx->nseen] = endpoints;
	fx->nseen++;
	return fx->stop_after != 0 && fx->nseen == fx->stop_after ? 7 : 0;
}

static void
test_party_foreach(void **state)
{
	static const struct {
		const char *code;
		int observer;
		int64_t endpoints;
	} want[] = {
		{ "baku", 0, 2 },
		{ "osce", 1, 1 },
		{ "stepanakert", 0, 0 },
		{ "yerevan", 0, 1 },	/* the removed endpoint does not count */
	};
	struct fixture *fx = *state;
	size_t i;

	assert_int_equal(registry_party_foreach(fx->st, see, fx), 0);
	assert_int_equal(fx->nseen, 4);
	for (i = 0; i < 4; i++) {
		assert_string_equal(fx->seen[i].code, want[i].code);
		assert_int_equal(fx->seen[i].observer, want[i].observer);
		assert_int_equal(fx->endpoints[i], want[i].endpoints);
	}
	assert_int_equal(fx->seen[0].id, 3);

	/* The callback stops the walk: its answer comes back. */
	fx->nseen = 0;
	fx->stop_after = 2;
	assert_int_equal(registry_party_foreach(fx->st, see, fx), 7);
	assert_int_equal(fx->nseen, 2);
}

static void
test_signing_party_foreach(void **state)
{
	static const int64_t want[] = { 1, 3, 4 };
	struct fixture *fx = *state;
	size_t i;

	/* Observers left out, in the order they were registered. */
	assert_int_equal(registry_signing_party_foreach(fx->st, see, fx), 0);
	assert_int_equal(fx->nseen, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(fx->seen[i].id, want[i]);
		assert_int_equal(fx->seen[i].observer, 0);
	}
	assert_string_equal(fx->seen[2].code, "stepanakert");
}

/* Cut short after the first party: a failure, not a list of one. */
static void
test_foreach_failure(void **state)
{
	struct fixture *fx = *state;
	struct trip t;

	trip_arm(fx->st, &t, "FROM party p ORDER BY p.code", 1);
	assert_int_equal(registry_party_foreach(fx->st, see, fx), -1);
	assert_int_equal(fx->nseen, 1);
	trip_disarm(fx->st);

	fx->nseen = 0;
	trip_arm(fx->st, &t, "WHERE observer = 0 ORDER BY id", 2);
	assert_int_equal(registry_signing_party_foreach(fx->st, see, fx), -1);
	assert_int_equal(fx->nseen, 2);
	trip_disarm(fx->st);

	/* And the store reads on afterwards. */
	fx->nseen = 0;
	assert_int_equal(registry_signing_party_foreach(fx->st, see, fx), 0);
	assert_int_equal(fx->nseen, 3);
}

static void
test_endpoint_count(void **state)
{
	struct fixture *fx = *state;
	struct trip t;

	assert_int_equal(registry_endpoint_count(fx->st, 1), 1);
	assert_int_equal(registry_endpoint_count(fx->st, 3), 2);
	assert_int_equal(registry_endpoint_count(fx->st, 4), 0);
	assert_int_equal(registry_endpoint_count(fx->st, 99), 0);
	/* A failed count is -1, never 0 (a party shown with no endpoint). */
	trip_arm(fx->st, &t, "SELECT count(*) FROM endpoint WHERE party_id", 0);
	assert_int_equal(registry_endpoint_count(fx->st, 3), -1);
	trip_disarm(fx->st);
}

static void
test_endpoints_changed(void **state)
{
	static const uint8_t pin[32] = { 0x42 };
	struct fixture *fx = *state;
	struct out o;

	assert_int_equal(registry_endpoints_changed_uncommitted(fx->st), 0);
	assert_int_equal(out_init(&o), 0);
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(registry_endpoints_changed_uncommitted(fx->st), 0);
	assert_int_equal(registry_endpoint_add(fx->st, 0, "stepanakert", pin, &o), 0);
	assert_int_equal(registry_endpoints_changed_uncommitted(fx->st), 1);
	assert_int_equal(registry_endpoint_count(fx->st, 4), 1);
	assert_int_equal(store_batch_commit(fx->st), 0);
	assert_int_equal(registry_endpoints_changed_uncommitted(fx->st), 0);

	/* A removal marks the batch too; rolled back, the flag goes with it. */
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(registry_endpoint_remove(fx->st, 0, 3, &o), 0);
	assert_int_equal(registry_endpoints_changed_uncommitted(fx->st), 1);
	store_batch_rollback(fx->st);
	assert_int_equal(registry_endpoints_changed_uncommitted(fx->st), 0);
	assert_int_equal(registry_endpoint_count(fx->st, 3), 2);
	out_release(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_party_foreach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signing_party_foreach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreach_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endpoint_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endpoints_changed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
