/* A connection over a socketpair on an event loop of its own (three
 * priorities, as parleyd's), for the unit tests whose requests are answered
 * through a turn: the test reads, at the other end, what parleyd would send.
 * Header only; include it after cmocka.h, once per test. */
#ifndef PARLEY_TEST_CONN_FIXTURE_H
#define PARLEY_TEST_CONN_FIXTURE_H

#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "frame.h"
#include "daemon/conn.h"

struct conn_fixture {
	struct event_base *base;
	struct conn *c;
	int peer;		/* the other end of the connection */
};

static int conn_fixture_frame(void *ctx, const Parley__Frame *f) { (void)ctx; (void)f; return 0; }
static void conn_fixture_closed(void *ctx) { (void)ctx; }
static const struct conn_ops conn_fixture_ops = {
	.frame = conn_fixture_frame, .closed = conn_fixture_closed,
};

/* 0, or -1 with what is open left for conn_fixture_close. */
static int
conn_fixture_open(struct conn_fixture *cf)
{
	struct conn_limits lim = { .max_frame = 65536, .decode_budget = 1 << 20,
	    .max_output = 1 << 20 };
	struct event_config *cfg;
	struct bufferevent *bev;
	int sv[2];

	cf->peer = -1;
	cf->base = NULL;
	/* the daemon's precise clock: on the coarse one (4 ms ticks) a
	 * timer's expiry read back is off by up to a tick */
	if ((cfg = event_config_new()) == NULL)
		return -1;
	if (event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER) == 0)
		cf->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (cf->base == NULL || event_base_priority_init(cf->base, 3) != 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	cf->peer = sv[1];
	if ((bev = bufferevent_socket_new(cf->base, sv[0], BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return -1;
	if ((cf->c = conn_new(bev, 0, &lim, &conn_fixture_ops, NULL, "test")) == NULL) {
		bufferevent_free(bev);
		return -1;
	}
	return 0;
}

/* After every user of the loop (a turn) is freed. */
static void
conn_fixture_close(struct conn_fixture *cf)
{
	if (cf->c != NULL)
		conn_close(cf->c, 0);
	if (cf->base != NULL) {
		event_base_loop(cf->base, EVLOOP_NONBLOCK);
		event_base_free(cf->base);
	}
	if (cf->peer != -1)
		close(cf->peer);
}

/* The next frame the peer reads (the loop runs until it is written: nothing
 * else is running, so it is written at once or never). */
static Parley__Frame *
conn_fixture_next_frame(struct conn_fixture *cf)
{
	uint8_t hdr[FRAME_HDR_LEN], body[4096];
	struct pollfd p = { .fd = cf->peer, .events = POLLIN };
	uint32_t len;

	event_base_loop(cf->base, EVLOOP_NONBLOCK);
	assert_int_equal(poll(&p, 1, 1000), 1);
	assert_int_equal(read(cf->peer, hdr, sizeof(hdr)), FRAME_HDR_LEN);
	assert_int_equal(frame_check_len(hdr, sizeof(body), &len), 0);
	assert_int_equal(read(cf->peer, body, len), (ssize_t)len);
	return parley__frame__unpack(NULL, len, body);
}

#endif
