#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>

#include "conn.h"
#include "errors.h"
#include "frame.h"
#include "log.h"

enum conn_state {
	CONN_HANDSHAKE,		/* TLS handshake in progress */
	CONN_OPEN,		/* frames flow */
	CONN_FLUSHING,		/* closing once output is written */
	CONN_CLOSED,		/* I/O gone; struct lives on while referenced */
};

struct conn {
	enum conn_state state;
	int refs;
	int closed_reported;
	struct bufferevent *bev;
	struct event *handshake_ev, *frame_ev, *idle_ev, *reap_ev;
	struct conn_limits lim;
	const struct conn_ops *ops;
	void *ctx;
	char peer[96];
	int fd;
	int in_frame;		/* frame deadline armed */
	int established;	/* Hello done: the handshake deadline is off */
	int held;		/* the first frame waits for conn_resume */
	int is_tls;
	int heard;		/* a byte came in (conn_heard) */
	size_t owed;		/* replies the turn will send (conn_owe) */
	uint8_t *last_words;	/* an Error to send once nothing is owed */
	size_t last_len;
	enum conn_end end;	/* why it closed (conn_end) */
	char end_detail[200];
	struct log_budget log;	/* conn_log_ok */
};

/* Lines a minute a connection may have logged about its requests (its
 * refusals); the rest are counted and summed up. */
#define CONN_LOG_PER_MINUTE 60

static void conn_teardown(struct conn *c);
static void frame_idle_check(struct conn *c);
static void set_end(struct conn *c, enum conn_end end, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The first reason only: what follows from it is not news. */
static void
set_end(struct conn *c, enum conn_end end, const char *fmt, ...)
{
	va_list ap;

	if (c->end != CONN_END_LOCAL)
		return;
	c->end = end;
	va_start(ap, fmt);
	vsnprintf(c->end_detail, sizeof(c->end_detail), fmt, ap);
	va_end(ap);
}
static void send_error(struct conn *c, uint64_t id, int code, const char *fmt, va_list ap);

static void
reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	conn_teardown(c);
}

static void
schedule_reap(struct conn *c)
{
	event_active(c->reap_ev, EV_TIMEOUT, 0);
}

static void
arm(struct event *ev, int secs)
{
	struct timeval tv = { secs, 0 };

	if (secs > 0)
		event_add(ev, &tv);
}

static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	const char *which;

	(void)fd;
	(void)what;
	if (c->state == CONN_HANDSHAKE || !c->established)
		which = "handshake";
	else if (c->in_frame)
		which = "frame";
	else
		which = "idle";
	set_end(c, CONN_END_TIMEOUT, "%s timeout", which);
	/* Before TLS is done the peer is nobody: its owner sums such
	 * failures up instead of a line each. */
	if (c->state == CONN_HANDSHAKE)
		log_debug("%s: %s timeout, closing", c->peer, which);
	else
		log_info("%s: %s timeout, closing", c->peer, which);
	if (c->state == CONN_OPEN) {
		conn_fail(c, 0, PARLEY_EPROTO, "%s timeout", which);
	} else {
		conn_close(c, 0);
	}
}

static void
handle_input(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	uint8_t hdr[FRAME_HDR_LEN], *body;
	struct frame_budget budget;
	Parley__Frame *f;
	uint32_t len;
	char err[200];
	int hold;

	/* A frame callback may close the conn; that only schedules the reap,
	 * and the I/O's own reference, dropped there, keeps c alive until
	 * this callback has returned. */
	while (c->state == CONN_OPEN && !c->held) {
		size_t avail = evbuffer_get_length(in);

		if (avail == 0)
			break;
		if (avail < FRAME_HDR_LEN) {
			if (!c->in_frame) {
				c->in_frame = 1;
				arm(c->frame_ev, c->lim.frame_timeout);
			}
			break;
		}
		evbuffer_copyout(in, hdr, FRAME_HDR_LEN);
		if (frame_check_len(hdr, c->lim.max_frame, &len) != 0) {
			log_warnx("%s: frame length %u refused (maximum %zu)", c->peer,
			    ((unsigned)hdr[0] << 24) | ((unsigned)hdr[1] << 16) |
			    ((unsigned)hdr[2] << 8) | hdr[3], c->lim.max_frame);
			if (c->lim.bad_frames)
				(*c->lim.bad_frames)++;
			conn_fail(c, 0, PARLEY_EPROTO, "frame length must be 1..%zu bytes",
			    c->lim.max_frame);
			break;
		}
		if (avail < FRAME_HDR_LEN + (size_t)len) {
			if (!c->in_frame) {
				c->in_frame = 1;
				arm(c->frame_ev, c->lim.frame_timeout);
			}
			break;
		}
		c->in_frame = 0;
		event_del(c->frame_ev);
		arm(c->idle_ev, c->lim.idle_timeout);
		body = evbuffer_pullup(in, FRAME_HDR_LEN + (ev_ssize_t)len);
		frame_budget_init(&budget, c->lim.decode_budget);
		f = body == NULL ? NULL :
		    frame_unpack(body + FRAME_HDR_LEN, len, &budget, err, sizeof(err));
		if (f == NULL && (body == NULL || budget.oom)) {
			/* Not the peer's fault, but its request is gone: drop it. */
			evbuffer_drain(in, FRAME_HDR_LEN + len);
			log_warnx("%s: %s; dropping the connection", c->peer,
			    body == NULL ? "out of memory reading a frame" : err);
			conn_fail(c, 0, PARLEY_EUNAVAIL, "parleyd is out of memory; try again");
			break;
		}
		if (f == NULL) {
			evbuffer_drain(in, FRAME_HDR_LEN + len);
			log_warnx("%s: bad frame: %s", c->peer, err);
			if (c->lim.bad_frames)
				(*c->lim.bad_frames)++;
			if (budget.bad_text && budget.id != 0) {
				conn_error(c, budget.id, PARLEY_EUSAGE, "refused: %s (texts are "
				    "UTF-8); nothing was done", err);
				continue;
			}
			conn_fail(c, 0, PARLEY_EPROTO, "bad frame: %s", err);
			break;
		}
		hold = c->ops->frame(c->ctx, f);
		frame_free(f, &budget);
		if (hold && c->state == CONN_OPEN) {
			/* The frame stays first in the input, read again on
			 * conn_resume; meanwhile nothing more is read. */
			c->held = 1;
			bufferevent_disable(c->bev, EV_READ);
			break;
		}
		evbuffer_drain(in, FRAME_HDR_LEN + len);
		/* The next frame's bytes may have come with this one's end,
		 * decrypted or still in a record: its deadline starts now. */
		if (c->state == CONN_OPEN && c->is_tls &&
		    evbuffer_get_length(in) == 0 && SSL_has_pending(bufferevent_openssl_get_ssl(c->bev))) {
			c->in_frame = 1;
			arm(c->frame_ev, c->lim.frame_timeout);
		}
	}
	if (c->state == CONN_OPEN && !c->held)
		frame_idle_check(c);
}

void
conn_resume(struct conn *c)
{
	if (!c->held)
		return;
	c->held = 0;
	if (c->state != CONN_OPEN)
		return;
	bufferevent_enable(c->bev, EV_READ);
	handle_input(c);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	handle_input(arg);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->state == CONN_FLUSHING && c->owed == 0 &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		c->state = CONN_CLOSED;
		schedule_reap(c);
		return;
	}
	if (c->state == CONN_OPEN && c->ops->drained != NULL)
		c->ops->drained(c->ctx);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	unsigned long e;

	if (what & BEV_EVENT_CONNECTED) {
		if (c->state != CONN_HANDSHAKE)
			return;
		c->state = CONN_OPEN;
		arm(c->idle_ev, c->lim.idle_timeout);
		c->ops->ready(c->ctx);
		if (c->state == CONN_OPEN)
			handle_input(c);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		e = bufferevent_get_openssl_error(bev);
		if (e != 0) {
			char buf[256];
			ERR_error_string_n(e, buf, sizeof(buf));
			set_end(c, CONN_END_TLS, "TLS error: %s", buf);
			if (c->state == CONN_HANDSHAKE)
				log_debug("%s: TLS error: %s", c->peer, buf);
			else
				log_info("%s: TLS error: %s", c->peer, buf);
		} else if (EVUTIL_SOCKET_ERROR() != 0) {
			set_end(c, CONN_END_PEER, "connection error: %s",
			    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
			log_debug("%s: connection error: %s", c->peer,
			    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		}
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		set_end(c, CONN_END_PEER, "closed by the peer");
		log_debug("%s: connection closed by peer", c->peer);
		conn_close(c, 0);
	}
}

/* Ciphertext came in.  A frame's deadline runs from the first byte of its
 * first TLS record, not from the first decrypted byte: a record trickled a
 * byte at a time decrypts to nothing until its last byte, and would
 * otherwise be bounded only by the idle timeout. */
static long
cipher_cb(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret,
    size_t *processed)
{
	struct conn *c = (struct conn *)BIO_get_callback_arg(b);

	(void)argp;
	(void)len;
	(void)argi;
	(void)argl;
	if (oper != (BIO_CB_READ | BIO_CB_RETURN) || ret <= 0 || processed == NULL ||
	    *processed == 0 || c == NULL)
		return ret;
	c->heard = 1;
	if (c->state == CONN_OPEN && !c->in_frame) {
		c->in_frame = 1;
		arm(c->frame_ev, c->lim.frame_timeout);
	}
	return ret;
}

/* Nothing of a frame is left, decrypted or not: the frame deadline stops.
 * Otherwise it keeps running for the frame begun. */
static void
frame_idle_check(struct conn *c)
{
	SSL *ssl;

	if (!c->in_frame || evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		return;
	if (c->is_tls && (ssl = bufferevent_openssl_get_ssl(c->bev)) != NULL &&
	    SSL_has_pending(ssl))
		return;
	c->in_frame = 0;
	event_del(c->frame_ev);
}

struct conn *
conn_new(struct bufferevent *bev, int is_tls, const struct conn_limits *lim,
    const struct conn_ops *ops, void *ctx, const char *peer)
{
	struct event_base *base = bufferevent_get_base(bev);
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->refs = 1;
	c->bev = bev;
	c->lim = *lim;
	c->ops = ops;
	c->ctx = ctx;
	c->fd = bufferevent_getfd(bev);
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->handshake_ev = evtimer_new(base, timeout_cb, c);
	c->frame_ev = evtimer_new(base, timeout_cb, c);
	c->idle_ev = evtimer_new(base, timeout_cb, c);
	c->reap_ev = event_new(base, -1, 0, reap_cb, c);
	if (!c->handshake_ev || !c->frame_ev || !c->idle_ev || !c->reap_ev) {
		if (c->handshake_ev) event_free(c->handshake_ev);
		if (c->frame_ev) event_free(c->frame_ev);
		if (c->idle_ev) event_free(c->idle_ev);
		if (c->reap_ev) event_free(c->reap_ev);
		free(c);
		return NULL;
	}
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, c);
	/* Never buffer more than one maximal frame of input. */
	bufferevent_setwatermark(bev, EV_READ, 0, lim->max_frame + FRAME_HDR_LEN);
	bufferevent_setwatermark(bev, EV_WRITE,
	    lim->drained_at ? lim->drained_at : lim->max_output / 2, 0);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	/* The handshake deadline runs until the peer's Hello is answered. */
	arm(c->handshake_ev, lim->handshake_timeout);
	if (is_tls) {
		SSL *ssl = bufferevent_openssl_get_ssl(bev);
		BIO *rb = ssl != NULL ? SSL_get_rbio(ssl) : NULL;

		c->is_tls = 1;
		if (rb != NULL) {
			BIO_set_callback_ex(rb, cipher_cb);
			BIO_set_callback_arg(rb, (char *)c);
		}
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
		c->state = CONN_HANDSHAKE;
	} else {
		c->state = CONN_OPEN;
		arm(c->idle_ev, lim->idle_timeout);
	}
	return c;
}

void
conn_ref(struct conn *c)
{
	c->refs++;
}

void
conn_unref(struct conn *c)
{
	if (--c->refs > 0)
		return;
	event_free(c->handshake_ev);
	event_free(c->frame_ev);
	event_free(c->idle_ev);
	event_free(c->reap_ev);
	free(c->last_words);
	free(c);
}

/* Runs from the reap event, never inside the conn's own callbacks. */
static void
conn_teardown(struct conn *c)
{
	if (c->bev == NULL)
		return;
	event_del(c->handshake_ev);
	event_del(c->frame_ev);
	event_del(c->idle_ev);
	if (c->log.dropped > 0)
		log_warnx("%s: %llu more lines about its requests were not logged (at most %d a "
		    "minute)", c->peer, (unsigned long long)c->log.dropped, CONN_LOG_PER_MINUTE);
	if (c->is_tls) {
		SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
		BIO *rb = ssl != NULL ? SSL_get_rbio(ssl) : NULL;

		/* The SSL may outlive this teardown by a shutdown's write. */
		if (rb != NULL)
			BIO_set_callback_arg(rb, NULL);
	}
	bufferevent_free(c->bev);
	c->bev = NULL;
	c->state = CONN_CLOSED;
	if (!c->closed_reported) {
		c->closed_reported = 1;
		c->ops->closed(c->ctx);
	}
	conn_unref(c);		/* the I/O's own reference */
}

void
conn_established(struct conn *c)
{
	c->established = 1;
	event_del(c->handshake_ev);
}

void
conn_close(struct conn *c, int flush)
{
	if (c->state == CONN_CLOSED || c->bev == NULL)
		return;
	bufferevent_disable(c->bev, EV_READ);
	/* Replies the turn owes (to requests it will commit) go out first. */
	if (flush && c->state == CONN_OPEN &&
	    (c->owed > 0 || evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)) {
		c->state = CONN_FLUSHING;
		/* Bound the flush by the frame deadline. */
		arm(c->frame_ev, c->lim.frame_timeout ? c->lim.frame_timeout : 5);
		return;
	}
	if (c->state == CONN_FLUSHING && flush)
		return;
	c->state = CONN_CLOSED;
	schedule_reap(c);
}

/* A TLS record's most plaintext, what libevent adds to a chain's buffer
 * in the same allocation (its header, under 128 bytes; it rounds the sum
 * up to a power of two), and a frame too small to be worth a chain of
 * that size: see conn_send_packed. */
#define OUT_CHAIN 16384
#define OUT_CHAIN_HEADER 128
#define OUT_SMALL 1024

/* Open, or closing with replies still owed: they may be written. */
static int
can_send(const struct conn *c)
{
	return c->state == CONN_OPEN || (c->state == CONN_FLUSHING && c->owed > 0);
}

/* An Error frame answering id, packed. */
static int
pack_error(struct conn *c, uint64_t id, int code, const char *fmt, va_list ap,
    uint8_t **buf, size_t *len)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__Error e = PARLEY__ERROR__INIT;
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	e.code = (uint32_t)code;
	e.message = msg;
	f.id = id;
	f.body_case = PARLEY__FRAME__BODY_ERROR;
	f.error = &e;
	if (frame_pack(&f, c->lim.max_frame, buf, len) != 0) {
		log_warnx("%s: cannot pack an Error frame", c->peer);
		return -1;
	}
	return 0;
}

void
conn_fail(struct conn *c, uint64_t id, int code, const char *fmt, ...)
{
	va_list ap;

	if (c->state != CONN_OPEN)
		return;
	va_start(ap, fmt);
	if (c->owed == 0) {
		send_error(c, id, code, fmt, ap);
	} else {
		/* After the replies to the requests before this one. */
		free(c->last_words);
		if (pack_error(c, id, code, fmt, ap, &c->last_words, &c->last_len) != 0)
			c->last_words = NULL;
	}
	va_end(ap);
	conn_close(c, 1);
}

void
conn_owe(struct conn *c)
{
	c->owed++;
}

int
conn_pay(struct conn *c, const uint8_t *buf, size_t len)
{
	int rc = -1;

	if (buf != NULL && can_send(c))
		rc = conn_send_packed(c, buf, len);
	if (c->owed > 0)
		c->owed--;
	if (c->owed > 0 || c->state != CONN_FLUSHING || c->bev == NULL)
		return rc;
	/* Closing and nothing more owed: the last words, then the close
	 * once the output is written. */
	if (c->last_words != NULL) {
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) + c->last_len <=
		    c->lim.max_output)
			bufferevent_write(c->bev, c->last_words, c->last_len);
		free(c->last_words);
		c->last_words = NULL;
	}
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		c->state = CONN_CLOSED;
		schedule_reap(c);
	}
	return rc;
}

int
conn_pay_error(struct conn *c, uint64_t id, int code, const char *fmt, ...)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	if (!can_send(c) || pack_error(c, id, code, fmt, ap, &buf, &len) != 0)
		buf = NULL;
	va_end(ap);
	rc = conn_pay(c, buf, len);	/* a send that fails closes the conn */
	free(buf);
	return rc;
}

int
conn_send_packed(struct conn *c, const uint8_t *buf, size_t len)
{
	struct evbuffer *out;

	if (!can_send(c))
		return -1;
	out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) + len > c->lim.max_output) {
		log_warnx("%s: peer is not reading (%zu bytes queued), dropping it",
		    c->peer, evbuffer_get_length(out));
		conn_close(c, 0);
		return -1;
	}
	/* A large frame (a delivery) queued behind less than half a chain
	 * (answers, or one delivery) gets a chain of 16 KB, and libevent sizes
	 * the chains after it like the last one: frames are packed into them
	 * end to end, and bufferevent_openssl writes a chain with one
	 * SSL_write, so one record and one write(2) carry two or three
	 * deliveries instead of one or two (left to itself, libevent sizes a
	 * chain after the frame that needs it, rounded up).  The benchmark's
	 * drain: 107k -> 118-128k acks/s, 10% less CPU.  A queue that starts
	 * with small frames (answers, refusals to outsiders) starts with small
	 * chains; every chain goes once written. */
	if (len >= OUT_SMALL && len < OUT_CHAIN && evbuffer_get_length(out) < OUT_CHAIN / 2)
		(void)evbuffer_expand(out, OUT_CHAIN - OUT_CHAIN_HEADER);	/* only a hint */
	if (bufferevent_write(c->bev, buf, len) != 0) {
		/* A peer left waiting for an answer that never comes: drop it. */
		log_warnx("%s: out of memory queueing output, dropping it", c->peer);
		conn_close(c, 0);
		return -1;
	}
	return 0;
}

int
conn_send(struct conn *c, const Parley__Frame *f)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (c->state != CONN_OPEN)
		return -1;
	if (frame_pack(f, c->lim.max_frame, &buf, &len) != 0) {
		log_warnx("%s: cannot pack a %s frame", c->peer, frame_body_name(f));
		return -1;
	}
	rc = conn_send_packed(c, buf, len);
	free(buf);
	return rc;
}

static void
send_error(struct conn *c, uint64_t id, int code, const char *fmt, va_list ap)
{
	uint8_t *buf = NULL;
	size_t len;

	if (c->state != CONN_OPEN)
		return;
	/* Unanswered, the peer would wait for ever: a failed send closes the
	 * conn itself, a frame that cannot be packed closes it here. */
	if (pack_error(c, id, code, fmt, ap, &buf, &len) != 0)
		conn_close(c, 0);
	else
		conn_send_packed(c, buf, len);
	free(buf);
}

void
conn_error(struct conn *c, uint64_t id, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	send_error(c, id, code, fmt, ap);
	va_end(ap);
}

int
conn_is_open(const struct conn *c)
{
	return c->state == CONN_OPEN;
}

size_t
conn_output_len(const struct conn *c)
{
	if (c->bev == NULL)
		return 0;
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

size_t
conn_max_output(const struct conn *c)
{
	return c->lim.max_output;
}

size_t
conn_max_frame(const struct conn *c)
{
	return c->lim.max_frame;
}

SSL *
conn_ssl(const struct conn *c)
{
	return c->bev ? bufferevent_openssl_get_ssl(c->bev) : NULL;
}

const char *
conn_peer(const struct conn *c)
{
	return c->peer;
}

int
conn_fd(const struct conn *c)
{
	return c->fd;
}

enum conn_end
conn_end(const struct conn *c, const char **detail)
{
	if (detail != NULL)
		*detail = c->end_detail;
	return c->end;
}

int
conn_heard(const struct conn *c)
{
	return c->heard;
}

int
conn_handshaking(const struct conn *c)
{
	return c->state == CONN_HANDSHAKE;
}

void
conn_set_priority(struct conn *c, int priority)
{
	if (c->bev != NULL)
		bufferevent_priority_set(c->bev, priority);
}

int
conn_log_ok(struct conn *c)
{
	uint64_t dropped;
	int ok = log_budget_take(&c->log, CONN_LOG_PER_MINUTE, &dropped);

	if (dropped > 0)
		log_warnx("%s: %llu more lines about its requests in the last minute were not "
		    "logged (at most %d a minute)", c->peer, (unsigned long long)dropped,
		    CONN_LOG_PER_MINUTE);
	return ok;
}
