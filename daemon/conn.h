/* A framed connection over a bufferevent (TLS for party endpoints, plain for
 * the admin socket): reads length-prefixed frames within the limits, writes
 * frames with a cap on queued output, and enforces three deadlines on
 * libevent timers that no byte can reset: the handshake deadline (TLS and the
 * Hello that must follow, until conn_established, however slowly the
 * ClientHello trickles), a per-frame deadline armed by a frame's first byte
 * (for TLS, the first byte of ciphertext of its first record, seen by a
 * callback on the SSL's read BIO) and stopped only once nothing of a frame
 * is left, decrypted or not, and an idle timeout reset only by a complete
 * frame.
 *
 * Lifetime: a conn is reference counted.  Its own I/O holds one reference;
 * conn_close() tears the I/O down after the current callback chain returns
 * and then calls ops->closed, after which the owner must not use it except to
 * drop references it took with conn_ref().  The I/O's reference goes only in
 * that teardown, so a conn is alive throughout each of its callbacks. */
#ifndef PARLEY_CONN_H
#define PARLEY_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <event2/bufferevent.h>
#include <openssl/ssl.h>

#include "parley.pb-c.h"

struct conn;

/* Why a conn closed, as its owner's closed callback may ask (conn_end). */
enum conn_end {
	CONN_END_LOCAL,		/* closed by this side (or not closed yet) */
	CONN_END_PEER,		/* the peer went away (EOF, reset) */
	CONN_END_TLS,		/* a TLS error */
	CONN_END_TIMEOUT,	/* one of the three deadlines */
};

struct conn_limits {
	size_t max_frame;
	size_t decode_budget;
	size_t max_output;
	size_t drained_at;	/* the drained callback's level (0: max_output / 2) */
	int handshake_timeout;	/* seconds; 0: none (plain sockets) */
	int frame_timeout;
	int idle_timeout;
	uint64_t *bad_frames;	/* counter to bump on a refused frame, or NULL */
};

struct conn_ops {
	void (*ready)(void *ctx);	/* handshake done: the peer can be checked */
	/* A frame, freed after return.  0: done with it.  1: hold it; it is
	 * passed again, decoded anew, after conn_resume (nothing else is read
	 * meanwhile). */
	int (*frame)(void *ctx, const Parley__Frame *f);
	void (*drained)(void *ctx);	/* queued output fell below half the cap */
	void (*closed)(void *ctx);	/* gone: drop every pointer to it */
};

/* Take ownership of bev (freed with the conn).  is_tls: bev is an OpenSSL
 * bufferevent still accepting.  peer names the connection in logs. */
struct conn *conn_new(struct bufferevent *bev, int is_tls, const struct conn_limits *lim,
    const struct conn_ops *ops, void *ctx, const char *peer);

void conn_ref(struct conn *c);
void conn_unref(struct conn *c);

/* Queue a frame.  -1 if the conn is closed, the frame cannot be packed, or
 * the output cap is exceeded (the peer is not reading: it is dropped). */
int conn_send(struct conn *c, const Parley__Frame *f);
/* Queue an already packed frame (length prefix included). */
int conn_send_packed(struct conn *c, const uint8_t *buf, size_t len);
/* Send an Error frame answering request id. */
void conn_error(struct conn *c, uint64_t id, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Send an Error frame answering id and close once the output is written:
 * after the replies still owed, if any (so that the requests before the one
 * that failed get their answers first). */
void conn_fail(struct conn *c, uint64_t id, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Replies promised for later (the turn's, sent after its commit): a conn
 * closed with flush waits for them before it closes, and may write them
 * while closing.  conn_owe promises one; conn_pay writes it (buf NULL: no
 * reply after all) and settles the promise, whatever the conn's state;
 * conn_pay_error pays with an Error frame. */
void conn_owe(struct conn *c);
int conn_pay(struct conn *c, const uint8_t *buf, size_t len);
int conn_pay_error(struct conn *c, uint64_t id, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The peer said Hello and was welcomed: the handshake deadline, which
 * covers the TLS handshake and the Hello, stops. */
void conn_established(struct conn *c);

/* Go on reading after a frame callback asked to hold: the held frame comes
 * first.  Nothing if not held or closed. */
void conn_resume(struct conn *c);

/* Close now, or once queued output is written when flush is set. */
void conn_close(struct conn *c, int flush);

/* Why it closed, and a line saying what happened.  Before TLS is done,
 * conn logs these only at debug level: the owner reports them (a peer
 * that never authenticated must not be able to fill the log). */
enum conn_end conn_end(const struct conn *c, const char **detail);
/* A byte has come in from the peer (TLS only: seen on the read BIO). */
int conn_heard(const struct conn *c);
/* The TLS handshake is still in progress. */
int conn_handshaking(const struct conn *c);
/* May a line about this connection's requests (a refusal) be logged?  At
 * most 60 a minute: an authenticated peer cannot fill the disk with them;
 * the rest are counted, and the count is logged when the minute is over
 * (at its next line) or the connection closes. */
int conn_log_ok(struct conn *c);
/* The event priority of its I/O (prio.h). */
void conn_set_priority(struct conn *c, int priority);

int conn_is_open(const struct conn *c);
size_t conn_output_len(const struct conn *c);
size_t conn_max_output(const struct conn *c);
size_t conn_max_frame(const struct conn *c);
SSL *conn_ssl(const struct conn *c);
const char *conn_peer(const struct conn *c);
int conn_fd(const struct conn *c);

#endif
