/* daemon/verify: signature checks on worker threads, verdicts back on the
 * loop thread, idle reported once the last is back; what a freed pool
 * reports for checks it never ran. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <event2/event.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "daemon/verify.h"

#define NCHECKS 200

struct result {
	int verdict;		/* as reported; 99: never reported */
	int reports;
	pthread_t thread;	/* who reported it */
};

struct fixture {
	struct event_base *base;
	uint8_t pub[32];
	EVP_PKEY *key;
	struct result r[NCHECKS];
	int reported;
	struct verify_pool *p;
	int idle_calls, idle_early;	/* idle reports, those with checks out */
};

static void
done(void *ctx, int verdict)
{
	struct result *r = ctx;

	r->verdict = verdict;
	r->reports++;
	r->thread = pthread_self();
}

static void
idle(void *arg)
{
	struct fixture *fx = arg;

	fx->idle_calls++;
	if (verify_pending(fx->p) != 0)
		fx->idle_early++;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	int i;

	if (fx == NULL || (fx->base = event_base_new()) == NULL ||
	    (fx->key = crypto_ed25519_generate()) == NULL ||
	    crypto_pubkey_raw(fx->key, fx->pub) != 0)
		return -1;
	for (i = 0; i < NCHECKS; i++)
		fx->r[i].verdict = 99;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	EVP_PKEY_free(fx->key);
	event_base_free(fx->base);
	free(fx);
	return 0;
}

/* Message i, signed; every third one's signature spoiled. */
static void
submit(struct fixture *fx, struct verify_pool *p, int i)
{
	uint8_t sig[64], *msg;
	size_t len = 40 + (size_t)i;

	assert_non_null(msg = malloc(len));
	memset(msg, 'a' + i % 26, len);
	assert_int_equal(crypto_sign(fx->key, msg, len, sig), 0);
	if (i % 3 == 0)
		sig[i % 64] ^= 0x01;
	assert_int_equal(verify_submit(p, fx->pub, sig, msg, len, done, &fx->r[i]), 0);
}

static int
all_reported(struct fixture *fx)
{
	int i;

	for (i = 0; i < NCHECKS; i++)
		if (fx->r[i].reports == 0)
			return 0;
	return 1;
}

static void
test_verdicts_on_loop_thread(void **state)
{
	struct fixture *fx = *state;
	struct verify_pool *p;
	int i, rounds = 0;

	assert_non_null(p = fx->p = verify_pool_new(fx->base, 3));
	verify_set_idle(p, idle, fx);
	for (i = 0; i < NCHECKS; i++)
		submit(fx, p, i);
	/* never reported from inside verify_submit */
	for (i = 0; i < NCHECKS; i++)
		assert_int_equal(fx->r[i].reports, 0);
	assert_int_equal(verify_pending(p), NCHECKS);
	while (!all_reported(fx)) {
		assert_true(++rounds < 100000);
		event_base_loop(fx->base, EVLOOP_ONCE);
	}
	for (i = 0; i < NCHECKS; i++) {
		assert_int_equal(fx->r[i].reports, 1);
		assert_int_equal(fx->r[i].verdict, i % 3 == 0 ? -1 : 1);
		assert_true(pthread_equal(fx->r[i].thread, pthread_self()));
	}
	assert_int_equal(verify_pending(p), 0);
	/* idle once, when the last of them was reported */
	assert_int_equal(fx->idle_calls, 1);
	assert_int_equal(fx->idle_early, 0);
	verify_pool_free(p);
	for (i = 0; i < NCHECKS; i++)
		assert_int_equal(fx->r[i].reports, 1);
}

/* Freed with checks out: each is reported once, with 0 if its verdict never
 * reached the loop (nothing leaks; ASan's build checks that). */
static void
test_free_reports_pending(void **state)
{
	struct fixture *fx = *state;
	struct verify_pool *p;
	int i;

	assert_non_null(p = verify_pool_new(fx->base, 1));
	for (i = 0; i < NCHECKS; i++)
		submit(fx, p, i);
	verify_pool_free(p);
	for (i = 0; i < NCHECKS; i++) {
		assert_int_equal(fx->r[i].reports, 1);
		assert_int_equal(fx->r[i].verdict, 0);
	}
}

static void
test_bad_sizes_refused(void **state)
{
	struct fixture *fx = *state;

	assert_null(verify_pool_new(fx->base, 0));
	assert_null(verify_pool_new(fx->base, 5));
	assert_true(verify_threads_auto() >= 0 && verify_threads_auto() <= 4);
	verify_pool_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_verdicts_on_loop_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_reports_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_sizes_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
