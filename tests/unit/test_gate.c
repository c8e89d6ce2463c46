/* daemon/gate: per-source connection caps and handshake rates (a token
 * bucket on a clock the test moves), IPv6 counted by /64, handshakes in
 * progress, and the failures of unauthenticated connections counted by
 * reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/gate.h"
#include "daemon/metrics.h"

#define MS 1000000ull

static uint64_t fake_ns = 1000 * MS;

static uint64_t
fake_now(void)
{
	return fake_ns;
}

struct fixture {
	struct metrics m;
	struct gate *g;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || (fx->g = gate_new(NULL, &fx->m)) == NULL)
		return -1;
	gate_set_clock(fx->g, fake_now);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	gate_free(fx->g);
	free(fx);
	return 0;
}

static struct sockaddr_storage
v4(const char *a, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET, a, &in->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage
v6(const char *a, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *in = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	in->sin6_family = AF_INET6;
	in->sin6_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET6, a, &in->sin6_addr), 1);
	return ss;
}

static int
admit(struct fixture *fx, struct sockaddr_storage ss, struct gate_source *src)
{
	return gate_admit(fx->g, (struct sockaddr *)&ss, src);
}

/* max_per_source: the n+1-th connection of a source is refused, another
 * source is not, and a connection leaving makes room. */
static void
test_per_source(void **state)
{
	struct fixture *fx = *state;
	struct gate_source s[4], x;
	int i;

	gate_set_limits(fx->g, 3, 0, 10);
	for (i = 0; i < 3; i++)
		assert_int_equal(admit(fx, v4("192.0.2.1", 1000 + i), &s[i]), 0);
	assert_int_equal(admit(fx, v4("192.0.2.1", 2000), &x), UNAUTH_PER_SOURCE);
	assert_int_equal(fx->m.unauth_failures[UNAUTH_PER_SOURCE], 1);
	assert_int_equal(admit(fx, v4("192.0.2.2", 2000), &s[3]), 0);
	gate_leave(fx->g, &s[0]);
	assert_int_equal(admit(fx, v4("192.0.2.1", 2001), &s[0]), 0);
	/* A v4-mapped IPv6 address is the same source. */
	assert_int_equal(admit(fx, v6("::ffff:192.0.2.1", 2002), &x), UNAUTH_PER_SOURCE);
	assert_int_equal(fx->m.unauth_failures[UNAUTH_PER_SOURCE], 2);
}

/* An IPv6 source is its /64: the holder of a prefix cannot spread a flood
 * over its addresses; another /64 is another source. */
static void
test_ipv6_prefix(void **state)
{
	struct fixture *fx = *state;
	struct gate_source a, b, c;

	gate_set_limits(fx->g, 2, 0, 10);
	assert_int_equal(admit(fx, v6("2001:db8:1:2::1", 1), &a), 0);
	assert_int_equal(admit(fx, v6("2001:db8:1:2:ffff:1:2:3", 1), &b), 0);
	assert_int_equal(admit(fx, v6("2001:db8:1:2:abcd::9", 1), &c), UNAUTH_PER_SOURCE);
	assert_int_equal(admit(fx, v6("2001:db8:1:3::1", 1), &c), 0);
}

/* handshake_rate: a burst of one second's worth, then one per 1/rate as
 * time passes; never more credit than the burst. */
static void
test_rate(void **state)
{
	struct fixture *fx = *state;
	struct gate_source s;
	int i, ok = 0;

	gate_set_limits(fx->g, 0, 10, 10);
	for (i = 0; i < 25; i++)
		if (admit(fx, v4("198.51.100.7", i), &s) == 0)
			ok++, gate_leave(fx->g, &s);
	assert_int_equal(ok, 10);
	assert_int_equal(fx->m.unauth_failures[UNAUTH_RATE], 15);
	/* 250 ms: two and a half more; the half stays for later. */
	fake_ns += 250 * MS;
	for (ok = 0, i = 0; i < 5; i++)
		if (admit(fx, v4("198.51.100.7", i), &s) == 0)
			ok++, gate_leave(fx->g, &s);
	assert_int_equal(ok, 2);
	fake_ns += 50 * MS;
	assert_int_equal(admit(fx, v4("198.51.100.7", 1), &s), 0);
	gate_leave(fx->g, &s);
	/* An hour idle: the burst again, not 36,000. */
	fake_ns += 3600ull * 1000 * MS;
	for (ok = 0, i = 0; i < 30; i++)
		if (admit(fx, v4("198.51.100.7", i), &s) == 0)
			ok++, gate_leave(fx->g, &s);
	assert_int_equal(ok, 10);
	/* Another source has its own bucket. */
	assert_int_equal(admit(fx, v4("198.51.100.8", 1), &s), 0);
}

/* Zero limits: nothing is tracked or refused. */
static void
test_no_limits(void **state)
{
	struct fixture *fx = *state;
	struct gate_source s;
	int i;

	gate_set_limits(fx->g, 0, 0, 10);
	for (i = 0; i < 10000; i++)
		assert_int_equal(admit(fx, v4("203.0.113.9", i), &s), 0);
	assert_int_equal(gate_sources(fx->g), 0);
}

/* A connection admitted while the limits were off was never counted:
 * when it leaves after a reload turned them on, it frees no one's place. */
static void
test_reload_on(void **state)
{
	struct fixture *fx = *state;
	struct gate_source old, s[2], x;

	gate_set_limits(fx->g, 0, 0, 10);
	assert_int_equal(admit(fx, v4("192.0.2.9", 1), &old), 0);
	gate_set_limits(fx->g, 2, 0, 10);
	assert_int_equal(admit(fx, v4("192.0.2.9", 2), &s[0]), 0);
	assert_int_equal(admit(fx, v4("192.0.2.9", 3), &s[1]), 0);
	gate_leave(fx->g, &old);
	assert_int_equal(admit(fx, v4("192.0.2.9", 4), &x), UNAUTH_PER_SOURCE);
	gate_leave(fx->g, &s[0]);
	assert_int_equal(admit(fx, v4("192.0.2.9", 5), &x), 0);
}

/* Sources with no connection and a full bucket are forgotten, so that
 * many sources passing by leave no memory behind. */
static void
test_sweep(void **state)
{
	struct fixture *fx = *state;
	struct gate_source s;
	char a[32];
	int i;

	gate_set_limits(fx->g, 4, 100, 10);
	for (i = 0; i < 5000; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.1", i / 256, i % 256);
		assert_int_equal(admit(fx, v4(a, 1), &s), 0);
		gate_leave(fx->g, &s);
		fake_ns += 2 * MS;
	}
	/* Each is forgotten once its bucket is full again (10 ms at 100/s). */
	assert_true(gate_sources(fx->g) < 2100);
	/* One that holds a connection is kept through every sweep. */
	assert_int_equal(admit(fx, v4("10.200.0.1", 1), &s), 0);
	for (i = 0; i < 5000; i++) {
		struct gate_source t;

		snprintf(a, sizeof(a), "10.%d.%d.2", i / 256, i % 256);
		assert_int_equal(admit(fx, v4(a, 1), &t), 0);
		gate_leave(fx->g, &t);
		fake_ns += 20 * MS;
	}
	gate_set_limits(fx->g, 1, 0, 10);
	assert_int_equal(admit(fx, v4("10.200.0.1", 2), &s), UNAUTH_PER_SOURCE);
}

static void
test_handshakes(void **state)
{
	struct fixture *fx = *state;
	struct gate_source a, b, c;

	gate_set_limits(fx->g, 10, 0, 3);
	assert_int_equal(admit(fx, v4("192.0.2.1", 1), &a), 0);
	assert_int_equal(admit(fx, v4("192.0.2.1", 2), &b), 0);
	assert_int_equal(admit(fx, v4("192.0.2.2", 1), &c), 0);
	assert_false(gate_handshakes_full(fx->g));
	gate_handshake_begin(fx->g, &a);
	gate_handshake_begin(fx->g, &b);
	assert_false(gate_handshakes_full(fx->g));
	gate_handshake_begin(fx->g, &c);
	assert_true(gate_handshakes_full(fx->g));
	/* Per source: the one to shed from is the heavier. */
	assert_int_equal(gate_source_handshakes(fx->g, &a), 2);
	assert_int_equal(gate_source_handshakes(fx->g, &c), 1);
	gate_handshake_end(fx->g, &a);
	assert_false(gate_handshakes_full(fx->g));
	assert_int_equal(gate_source_handshakes(fx->g, &b), 1);
	gate_handshake_end(fx->g, &b);
	gate_handshake_end(fx->g, &c);
	gate_handshake_end(fx->g, &c);	/* never below zero */
	assert_int_equal(gate_source_handshakes(fx->g, &c), 0);
	gate_handshake_begin(fx->g, &a);
	assert_false(gate_handshakes_full(fx->g));
	/* Untracked sources (limits off) count in all only. */
	gate_set_limits(fx->g, 0, 0, 3);
	assert_int_equal(admit(fx, v4("192.0.2.3", 1), &c), 0);
	gate_handshake_begin(fx->g, &c);
	assert_int_equal(gate_source_handshakes(fx->g, &c), 0);
}

/* Every failure is counted; the log gets the first of each reason whole
 * and one summary line for the rest, however many there were. */
static void
test_failures_counted(void **state)
{
	struct fixture *fx = *state;
	FILE *tmp = tmpfile();
	int i, saved, lines = 0, c;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0 && dup2(fileno(tmp), 2) == 2);
	for (i = 0; i < 1000; i++) {
		gate_fail(fx->g, UNAUTH_TLS, "192.0.2.1:1", "TLS error: x");
		gate_fail(fx->g, UNAUTH_CLOSED, "192.0.2.1:1", "closed");
	}
	gate_fail(fx->g, UNAUTH_TIMEOUT, "192.0.2.1:1", "handshake timeout");
	gate_fail(fx->g, UNAUTH_NREASONS, "192.0.2.1:1", "out of range: ignored");
	gate_summarise(fx->g);
	gate_summarise(fx->g);	/* nothing left: no line */
	gate_fail(fx->g, UNAUTH_TLS, "192.0.2.1:1", "TLS error: y");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	while ((c = fgetc(tmp)) != EOF)
		lines += c == '\n';
	fclose(tmp);
	/* tls, closed, timeout whole; one summary; tls whole again. */
	assert_int_equal(lines, 5);
	assert_int_equal(fx->m.unauth_failures[UNAUTH_TLS], 1001);
	assert_int_equal(fx->m.unauth_failures[UNAUTH_CLOSED], 1000);
	assert_int_equal(fx->m.unauth_failures[UNAUTH_TIMEOUT], 1);
	assert_string_equal(metrics_unauth_name(UNAUTH_TIMEOUT), "handshake_timeout");
	assert_string_equal(metrics_unauth_name(UNAUTH_NREASONS), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_per_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshakes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_counted, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
