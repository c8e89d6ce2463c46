/* The timer runner (daemon/timers.h) on the virtual clock, on a real store
 * (engine_fixture.h): timers fire in (due, id) order, each once, through
 * the module that owns its kind; the clock steps to each one's due time as
 * it fires; one not yet due waits and is what timers_next_due names; an
 * unknown kind is logged and spent; the duty watch's alerts interleave with
 * the timers in time order; a store failure fails the run and leaves the
 * timer to run again (DESIGN.md: timers are rows, firing and its effects
 * one transaction; "one clock"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/duty.h"
#include "daemon/incident.h"
#include "daemon/timers.h"
#include "engine_fixture.h"
#include "store_trip.h"

/* Two agreements in force between baku and yerevan: their "effect" timers
 * each leave an "in-effect" event stamped with the clock as it fires. */
struct world {
	struct engine_fixture fx;
	struct ef_party *baku, *yerevan;
	struct duty *duty;
	int64_t t0;		/* the clock once both are in force */
};

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return -1;
	*state = w;
	return engine_fixture_open(&w->fx, "test_timers");
}

static int
teardown(void **state)
{
	struct world *w = *state;
	int rc;

	if (w->fx.st != NULL)
		trip_disarm(w->fx.st);
	rc = engine_fixture_close(&w->fx);
	duty_free(w->duty);
	free(w);
	return rc;
}

static struct world *
world(void **state)
{
	struct world *w = *state;
	int64_t id;

	w->baku = ef_party_add(&w->fx, "baku", 0, 1);
	w->yerevan = ef_party_add(&w->fx, "yerevan", 0, 1);
	for (id = 1; id <= 2; id++) {
		assert_int_equal(ef_agreement(&w->fx, "baku,yerevan", NULL, NULL, 0, 0), id);
		ef_sign_ok(&w->fx, w->baku, id, 1, EF_TEXT, "", "accepted");
		ef_sign_ok(&w->fx, w->yerevan, id, 1, EF_TEXT, "", "is released");
	}
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM agreement WHERE state = 'in_force'"),
	    2);
	/* Releasing on release leaves no timer behind: the test's are all. */
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM timer"), 0);
	w->t0 = clock_now(w->fx.jf.clk);
	return w;
}

/* Add a timer of kind to agreement (or incident) at t0 + at: its id. */
static int64_t
timer(struct world *w, int64_t agreement, int64_t incident, const char *kind, int64_t at)
{
	assert_int_equal(store_batch_begin(w->fx.st), 0);
	assert_int_equal(ag_timer_add(w->fx.e, agreement, incident, kind, w->t0 + at,
	    w->t0 + at, 0), 0);
	assert_int_equal(store_batch_commit(w->fx.st), 0);
	return ef_int(&w->fx, "SELECT max(id) FROM timer");
}

/* timers_run up to t0 + upto in a transaction of its own, committed. */
static int
run(struct world *w, int64_t upto)
{
	int n;

	assert_int_equal(store_batch_begin(w->fx.st), 0);
	n = timers_run(w->fx.e, w->t0 + upto);
	assert_int_equal(store_batch_commit(w->fx.st), 0);
	return n;
}

/* The "in-effect" events in the order they were written, each as
 * "agreement@seconds after t0" (the clock when its timer fired). */
static void
assert_fired(struct world *w, const char *want)
{
	char sql[300], got[200] = "";
	sqlite3_stmt *s;

	snprintf(sql, sizeof(sql), "SELECT coalesce(group_concat(e, ','), '') FROM (SELECT"
	    " agreement_id || '@' || (created_at - %lld) AS e FROM ag_event"
	    " WHERE kind = 'in-effect' ORDER BY id)", (long long)w->t0);
	assert_int_equal(sqlite3_prepare_v2(store_db(w->fx.st), sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(got, sizeof(got), "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	assert_string_equal(got, want);
}

static int64_t
unfired(struct world *w)
{
	return ef_int(&w->fx, "SELECT count(*) FROM timer WHERE fired_at IS NULL");
}

/* Order is (due, id), not insertion: two timers due at once fire in id
 * order; each fires once and is marked fired at its own due time, the
 * virtual clock stepping to each in turn; a later one waits, named by
 * timers_next_due, until its time. */
static void
test_order_once_and_clock(void **state)
{
	struct world *w = world(state);
	int64_t due;

	timer(w, 1, 0, "effect", 300);
	timer(w, 1, 0, "effect", 100);
	timer(w, 2, 0, "effect", 200);
	timer(w, 2, 0, "effect", 100);
	timer(w, 1, 0, "effect", 1000);

	assert_int_equal(timers_next_due(w->fx.e, &due), 0);
	assert_int_equal(due, w->t0 + 100);
	assert_int_equal(run(w, 500), 4);
	assert_fired(w, "1@100,2@100,2@200,1@300");
	/* The clock went to each due time, and stopped at the last fired. */
	assert_int_equal(clock_now(w->fx.jf.clk), w->t0 + 300);
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM timer WHERE fired_at = due_at"), 4);
	assert_int_equal(unfired(w), 1);

	/* Once: a second run fires nothing. */
	assert_int_equal(run(w, 500), 0);
	assert_fired(w, "1@100,2@100,2@200,1@300");

	/* Not yet due: waits, and is the next due. */
	assert_int_equal(timers_next_due(w->fx.e, &due), 0);
	assert_int_equal(due, w->t0 + 1000);
	assert_int_equal(run(w, 999), 0);
	assert_int_equal(unfired(w), 1);
	assert_int_equal(run(w, 1000), 1);
	assert_fired(w, "1@100,2@100,2@200,1@300,1@1000");
	assert_int_equal(clock_now(w->fx.jf.clk), w->t0 + 1000);
	assert_int_equal(unfired(w), 0);
	assert_int_equal(timers_next_due(w->fx.e, &due), 1);
}

/* A kind nobody owns is logged, does nothing, and is spent (marked fired),
 * so that it is not found again on every run. */
static void
test_unknown_kind(void **state)
{
	struct world *w = world(state);
	char path[160], log[4096];
	int fd, saved;
	ssize_t n;
	int64_t events = ef_int(&w->fx, "SELECT count(*) FROM ag_event");

	timer(w, 1, 0, "no-such-kind", 50);
	snprintf(path, sizeof(path), "%s/stderr", w->fx.jf.dir);
	assert_true((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) >= 0);
	fflush(stderr);
	assert_true((saved = dup(2)) >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	n = run(w, 100);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	assert_int_equal(n, 1);
	assert_true((n = pread(fd, log, sizeof(log) - 1, 0)) > 0);
	close(fd);
	log[n] = '\0';
	assert_non_null(strstr(log, "timer of unknown kind \"no-such-kind\" ignored"));
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM timer WHERE kind = 'no-such-kind'"
	    " AND fired_at IS NOT NULL"), 1);
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM ag_event"), events);
	assert_int_equal(run(w, 100), 0);
}

/* A party that never connects raises its duty alert when its grace runs
 * out, in time order between the timers before and after it: recorded
 * once in duty_alert and in the record, never again on later runs. */
static void
test_duty_interleaves(void **state)
{
	struct world *w = world(state);
	int64_t due;
	char sql[200];

	assert_non_null(w->duty = duty_new(w->fx.jf.clk, 900));
	ag_set_duty(w->fx.e, w->duty);
	assert_int_equal(duty_watch(w->duty, w->baku->who.party.id, "baku"), 0);
	timer(w, 1, 0, "effect", 600);
	timer(w, 2, 0, "effect", 1200);

	assert_int_equal(timers_next_due(w->fx.e, &due), 0);
	assert_int_equal(due, w->t0 + 600);
	assert_int_equal(run(w, 700), 1);
	/* The alert is due before the next timer now. */
	assert_int_equal(timers_next_due(w->fx.e, &due), 0);
	assert_int_equal(due, w->t0 + 900);

	assert_int_equal(run(w, 2000), 2);
	assert_fired(w, "1@600,2@1200");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM duty_alert WHERE party_id = %lld"
	    " AND gap_since = %lld AND alerted_at = %lld AND cleared_at IS NULL",
	    (long long)w->baku->who.party.id, (long long)w->t0, (long long)(w->t0 + 900));
	assert_int_equal(ef_int(&w->fx, sql), 1);
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM duty_alert"), 1);
	assert_int_equal(duty_alerts(w->duty), 1);
	/* In the record, between the two timers' entries. */
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM journal WHERE kind = 'duty-alert'"
	    " AND party = 'baku'"), 1);
	assert_int_equal(ef_int(&w->fx, "SELECT (SELECT seq FROM journal WHERE kind ="
	    " 'duty-alert') BETWEEN (SELECT min(seq) FROM journal WHERE kind = 'in-effect')"
	    " AND (SELECT max(seq) FROM journal WHERE kind = 'in-effect')"), 1);

	/* Once: the gap has raised its alert. */
	assert_int_equal(run(w, 5000), 0);
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM duty_alert"), 1);
	assert_int_equal(timers_next_due(w->fx.e, &due), 1);
	ag_set_duty(w->fx.e, NULL);
}

/* A timer of an incident goes to incident_fire (timeline_fire would find
 * no agreement 0 and fail the run): the report is overdue at the end of
 * the response window. */
static void
test_incident_timer(void **state)
{
	struct world *w = world(state);
	Parley__IncidentFile m = PARLEY__INCIDENT_FILE__INIT;
	char when[PTIME_BUFLEN], sql[200];
	Parley__Frame *f;
	struct req r;
	int64_t id;

	ag_set_incidents(w->fx.e, 6 * 3600, 7 * 3600);
	ptime_format_utc(w->t0 - 600, when);
	m.against = "yerevan";
	m.place = "Aghdam";
	m.time = when;
	m.nature = "artillery fire";
	m.consequences = "none reported";
	ef_begin(&w->fx, &w->baku->who, 0, &r);
	f = ef_end(&w->fx, incident_file(w->fx.e, &r, &m));
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_OK);
	id = (int64_t)f->ok->id;
	parley__frame__free_unpacked(f, NULL);
	/* Its window is a timer of the incident's, due in 6 h. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM timer WHERE incident_id = %lld"
	    " AND agreement_id IS NULL AND kind = 'incident-overdue' AND due_at = %lld",
	    (long long)id, (long long)(w->t0 + 6 * 3600));
	assert_int_equal(ef_int(&w->fx, sql), 1);
	/* And one of another kind, which incident_fire passes over. */
	timer(w, 0, id, "incident-other", 3600);

	assert_int_equal(run(w, 6 * 3600 - 1), 1);
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM incident WHERE state = 'open'"), 1);
	assert_int_equal(run(w, 6 * 3600), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM incident WHERE id = %lld AND"
	    " state = 'overdue' AND overdue_at = %lld", (long long)id,
	    (long long)(w->t0 + 6 * 3600));
	assert_int_equal(ef_int(&w->fx, sql), 1);
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM journal WHERE"
	    " kind = 'incident-overdue'"), 1);
	assert_int_equal(unfired(w), 0);
}

/* A store failure while firing (the timer's agreement cannot be read)
 * fails the run with -1 before the timer is marked fired; the caller
 * rolls back and the timer runs again, whole, the next time. */
static void
test_store_failure(void **state)
{
	struct world *w = world(state);
	struct trip t;
	int rc;

	timer(w, 1, 0, "effect", 100);

	assert_int_equal(store_batch_begin(w->fx.st), 0);
	trip_arm(w->fx.st, &t, "FROM agreement WHERE id = ?", 0);
	rc = timers_run(w->fx.e, w->t0 + 100);
	trip_disarm(w->fx.st);
	assert_int_equal(t.tripped, 1);
	assert_int_equal(rc, -1);
	assert_int_equal(unfired(w), 1);
	assert_fired(w, "");
	store_batch_rollback(w->fx.st);

	/* The runner's own read of the next timer fails the same way. */
	assert_int_equal(store_batch_begin(w->fx.st), 0);
	trip_arm(w->fx.st, &t, "FROM timer WHERE fired_at IS NULL AND due_at <= ?", 0);
	rc = timers_run(w->fx.e, w->t0 + 100);
	trip_disarm(w->fx.st);
	assert_int_equal(t.tripped, 1);
	assert_int_equal(rc, -1);
	assert_int_equal(unfired(w), 1);
	store_batch_rollback(w->fx.st);

	assert_int_equal(run(w, 100), 1);
	assert_fired(w, "1@100");
	assert_int_equal(unfired(w), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_once_and_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duty_interleaves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incident_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_failure, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
