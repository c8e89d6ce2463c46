/* daemon/duty: gaps, alerts after the grace, and a watch that must follow
 * the store when a registration is rolled back (its id reused, or the party
 * gone). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "daemon/clock.h"
#include "daemon/duty.h"

#define T0 792000000	/* February 1995 */
#define GRACE 600

struct fixture {
	struct clock *clk;
	struct duty *d;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || (fx->clk = clock_new(1, T0)) == NULL ||
	    (fx->d = duty_new(fx->clk, GRACE)) == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	duty_free(fx->d);
	clock_free(fx->clk);
	free(fx);
	return 0;
}

static void
test_alert_after_grace(void **state)
{
	struct fixture *fx = *state;
	int64_t party, since, due;

	assert_int_equal(duty_watch(fx->d, 1, "baku"), 0);
	assert_int_equal(duty_watch(fx->d, 2, "yerevan"), 0);
	assert_int_equal(duty_connected(fx->d, 2), 0);
	assert_int_equal(duty_offline(fx->d), 1);
	assert_int_equal(duty_next_due(fx->d, &due), 0);
	assert_int_equal(due, T0 + GRACE);
	/* not before the grace is over */
	assert_int_equal(duty_take_due(fx->d, T0 + GRACE - 1, &party, &since, &due), 1);
	assert_int_equal(duty_take_due(fx->d, T0 + GRACE, &party, &since, &due), 0);
	assert_int_equal(party, 1);
	assert_int_equal(since, T0);
	/* one alert per gap */
	assert_int_equal(duty_take_due(fx->d, T0 + 10 * GRACE, &party, &since, &due), 1);
	assert_int_equal(duty_alerts(fx->d), 1);
	/* the endpoint's return ends the gap that alerted */
	assert_int_equal(duty_connected(fx->d, 1), 1);
	assert_int_equal(duty_offline(fx->d), 0);
}

static void
test_watch_follows_the_store(void **state)
{
	struct fixture *fx = *state;
	struct duty_info info[4];
	int64_t party, since, due;

	/* a registration rolled back, its id taken by the next party */
	assert_int_equal(duty_watch(fx->d, 3, "stepanakert"), 0);
	assert_int_equal(duty_watch(fx->d, 3, "moscow"), 0);
	assert_int_equal(duty_snapshot(fx->d, info, 4), 1);
	assert_string_equal(info[0].code, "moscow");
	/* a party that is not in the store any more is no longer watched */
	assert_int_equal(duty_watch(fx->d, 4, "ghost"), 0);
	duty_unwatch(fx->d, 3);
	duty_unwatch(fx->d, 99);	/* never watched: nothing */
	assert_int_equal(duty_snapshot(fx->d, info, 4), 1);
	assert_int_equal(info[0].party_id, 4);
	duty_unwatch(fx->d, 4);
	assert_int_equal(duty_snapshot(fx->d, info, 4), 0);
	assert_int_equal(duty_offline(fx->d), 0);
	assert_int_equal(duty_next_due(fx->d, &due), 1);
	assert_int_equal(duty_take_due(fx->d, T0 + 10 * GRACE, &party, &since, &due), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alert_after_grace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_follows_the_store, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
