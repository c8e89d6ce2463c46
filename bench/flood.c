/* flood: an unauthenticated connection flood against parleyd, on loopback
 * only, bounded in time (issue 18; bench/README.md, "Under flood").
 *
 *   flood --port N --seconds S [--mode hello|idle|handshake] [--conns C]
 *         [--sources N] [--host ADDR] [--wait-ms MS]
 *
 * hello      replays one ClientHello, made once at the start by an OpenSSL
 *            client over memory BIOs (TLS 1.3, groups X25519:P-256), so that
 *            every connection costs the server a key generation, a key
 *            derivation and a signature; reads the server's first flight
 *            (to its Finished record), closes and reconnects at once.
 * idle       holds C TCP connections without a byte and reopens each one
 *            the server closes.
 * handshake  full TLS 1.3 handshakes with a throwaway self-signed Ed25519
 *            certificate (a pin nobody registered), then closes.
 *
 * Connections leave from 127.0.0.2 ... 127.0.0.(1+N), round-robin, never
 * from 127.0.0.1 (the pinned clients' address); with --host ::1 from ::1.
 * They are closed with a reset (SO_LINGER 0), as a flooder would: no
 * TIME_WAIT, so the ephemeral ports of one source last for any rate.
 * One thread, non-blocking sockets and poll(2).  Stops when --seconds are
 * up or on SIGTERM/SIGINT, closes everything and prints one JSON line:
 *
 *   attempts = connects + errors + connecting_at_end
 *   connects = answered + refused + hrr + alerts + partial + timeouts + open_at_end
 *
 * refused: closed or reset by the server before it sent a byte; answered:
 * the server's flight arrived (hello) or the handshake completed
 * (handshake); hrr: a HelloRetryRequest came instead; alerts: an alert
 * came instead; partial: closed mid-flight; timeouts: nothing complete
 * within --wait-ms.  Exit 0, or 2 on bad usage or set-up failure. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define MAX_CONNS	10000
#define MAX_SOURCES	254		/* 127.0.0.2 ... 127.0.0.255 */
#define MAX_SECONDS	600
#define RX_MAX		(5 + 16384 + 2048)	/* one whole TLS record */
#define QUIET_MS	200		/* see hello_quiet() */
#define BACKOFF_MS	10

enum mode { F_HELLO, F_IDLE, F_HANDSHAKE };

enum slot_state {
	S_FREE,		/* no socket; may open one after not_before */
	S_CONNECTING,	/* TCP connect in progress */
	S_SENDING,	/* hello: writing the ClientHello */
	S_READING,	/* hello: reading the first flight */
	S_TLS,		/* handshake: SSL_connect in progress */
	S_HOLD,		/* idle: connected, silent */
};

/* How one connection ended (the counters of the report). */
enum outcome { O_ANSWERED, O_REFUSED, O_HRR, O_ALERT, O_PARTIAL, O_TIMEOUT, O_NOUTCOMES };

struct slot {
	int fd;
	enum slot_state state;
	uint64_t t_start, t_last_rx, not_before;
	size_t sent;			/* hello: ClientHello bytes written */
	uint8_t *rx;			/* hello: unparsed server bytes */
	size_t rxlen;
	uint64_t rxtotal;		/* bytes the server sent */
	int seen_sh, nenc;		/* ServerHello seen; encrypted records */
	size_t fin_len;			/* record length of the server Finished */
	SSL *ssl;			/* handshake */
	short want;			/* handshake: POLLIN or POLLOUT */
};

struct flood {
	enum mode mode;
	int conns, sources, wait_ms;
	double seconds;
	struct sockaddr_storage dst;
	socklen_t dstlen;
	char host[INET6_ADDRSTRLEN];
	int port;

	uint8_t *hello;			/* the ClientHello records */
	size_t hello_len;
	SSL_CTX *ctx;			/* handshake */

	struct slot *slots;
	uint8_t *rxbufs;		/* hello: the slots' rx, RX_MAX each */
	struct pollfd *pfd;
	int *pslot;
	unsigned next_source;

	uint64_t t0, t_end;
	uint64_t attempts, connects, errors, out[O_NOUTCOMES];
	uint64_t open_now, held_max;
	uint64_t answer_ns;		/* sum over answered: connect -> answer */
	char first_error[256];
};

static volatile sig_atomic_t stop_signal;

static const char *const outcome_names[O_NOUTCOMES] = {
	"answered", "refused", "hrr", "alerts", "partial", "timeouts",
};

/* SHA-256("HelloRetryRequest"): a ServerHello with this random is an HRR
 * (RFC 8446, 4.1.3). */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65,
	0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2,
	0xc8, 0xa8, 0x33, 0x9c,
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "flood: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static void
die_ssl(const char *what)
{
	char e[256] = "unknown error";
	unsigned long code = ERR_get_error();

	if (code != 0)
		ERR_error_string_n(code, e, sizeof(e));
	die("%s: %s", what, e);
}

static void
note_error(struct flood *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note_error(struct flood *f, const char *fmt, ...)
{
	va_list ap;

	if (f->first_error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(f->first_error, sizeof(f->first_error), fmt, ap);
	va_end(ap);
	fprintf(stderr, "flood: %s\n", f->first_error);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop_signal = 1;
}

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: flood --port N --seconds S [options]   (loopback only; one JSON line out)\n"
	    "\n"
	    "  --port N          parleyd's port on --host (required)\n"
	    "  --host ADDR       127.0.0.0/8 or ::1 (default 127.0.0.1); anything else is refused\n"
	    "  --seconds S       how long to flood, 1..%d (required)\n"
	    "  --mode M          hello (default): replay one ClientHello, read the server's\n"
	    "                    first flight, close, reconnect; idle: hold TCP connections\n"
	    "                    without a byte, reopen those the server closes; handshake:\n"
	    "                    full TLS 1.3 handshakes with a throwaway Ed25519 certificate\n"
	    "  --conns C         connections at once, 1..%d (default 8)\n"
	    "  --sources N       source addresses 127.0.0.2 ... 127.0.0.(1+N), round-robin,\n"
	    "                    1..%d (default 1); with --host ::1 the source is ::1\n"
	    "  --wait-ms MS      give up on an answer after MS ms (hello, handshake;\n"
	    "                    default 10000)\n"
	    "\n"
	    "Stops after --seconds or on SIGTERM/SIGINT and prints counts as JSON:\n"
	    "attempts = connects + errors + connecting_at_end, connects = answered +\n"
	    "refused + hrr + alerts +\n"
	    "partial + timeouts + open_at_end.\n",
	    MAX_SECONDS, MAX_CONNS, MAX_SOURCES);
}

static long
num(const char *opt, const char *v, long lo, long hi)
{
	char *end;
	long n;

	errno = 0;
	n = v != NULL ? strtol(v, &end, 10) : 0;
	if (v == NULL || errno || end == v || *end || n < lo || n > hi)
		die("%s wants a number %ld..%ld, not \"%s\"", opt, lo, hi, v ? v : "");
	return n;
}

/* --host: a loopback address, nothing else. */
static void
set_destination(struct flood *f, const char *host)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&f->dst;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&f->dst;

	memset(&f->dst, 0, sizeof(f->dst));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127)
			die("%s is not a loopback address: flood targets 127.0.0.0/8 and ::1 only",
			    host);
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)f->port);
		f->dstlen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			die("%s is not a loopback address: flood targets 127.0.0.0/8 and ::1 only",
			    host);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)f->port);
		f->dstlen = sizeof(*s6);
	} else {
		die("%s is not a numeric address: flood targets 127.0.0.0/8 and ::1 only", host);
	}
	snprintf(f->host, sizeof(f->host), "%s", host);
}

static void
parse_opts(struct flood *f, int argc, char **argv)
{
	const char *host = "127.0.0.1";
	int i, have_sources = 0;

	f->mode = F_HELLO;
	f->conns = 8;
	f->sources = 1;
	f->wait_ms = 10000;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		}
		if (v == NULL) {
			usage(stderr);
			die("%s needs a value", a);
		}
		i++;
		if (strcmp(a, "--port") == 0)
			f->port = (int)num(a, v, 1, 65535);
		else if (strcmp(a, "--host") == 0)
			host = v;
		else if (strcmp(a, "--seconds") == 0)
			f->seconds = (double)num(a, v, 1, MAX_SECONDS);
		else if (strcmp(a, "--conns") == 0)
			f->conns = (int)num(a, v, 1, MAX_CONNS);
		else if (strcmp(a, "--sources") == 0) {
			f->sources = (int)num(a, v, 1, MAX_SOURCES);
			have_sources = 1;
		} else if (strcmp(a, "--wait-ms") == 0)
			f->wait_ms = (int)num(a, v, 1, MAX_SECONDS * 1000);
		else if (strcmp(a, "--mode") == 0) {
			if (strcmp(v, "hello") == 0)
				f->mode = F_HELLO;
			else if (strcmp(v, "idle") == 0)
				f->mode = F_IDLE;
			else if (strcmp(v, "handshake") == 0)
				f->mode = F_HANDSHAKE;
			else
				die("--mode is hello, idle or handshake, not \"%s\"", v);
		} else {
			usage(stderr);
			die("unknown option %s", a);
		}
	}
	if (f->port == 0 || f->seconds == 0) {
		usage(stderr);
		die("--port and --seconds are required");
	}
	set_destination(f, host);
	if (f->dst.ss_family == AF_INET6 && have_sources && f->sources != 1)
		die("--host ::1 has one source address (::1): --sources must be 1");
}

/* ---- what the connections send ---- */

static SSL_CTX *
client_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set1_groups_list(ctx, "X25519:P-256"))
		die_ssl("cannot make a TLS 1.3 client context");
	/* The server is not checked: no pin, nothing to protect. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	return ctx;
}

/* One ClientHello, made by a real OpenSSL client writing into a memory
 * BIO: a valid offer (X25519 key share first, P-256 supported), which the
 * server answers in full.  TLS 1.3 has no replay defence outside 0-RTT, so
 * the same bytes serve every connection. */
static void
capture_hello(struct flood *f)
{
	SSL_CTX *ctx = client_ctx();
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	SSL *ssl = SSL_new(ctx);
	char *data;
	long n;
	int rc;

	if (rb == NULL || wb == NULL || ssl == NULL)
		die_ssl("cannot make a TLS client");
	SSL_set_bio(ssl, rb, wb);	/* ssl owns both now */
	SSL_set_connect_state(ssl);
	rc = SSL_do_handshake(ssl);
	if (rc == 1 || SSL_get_error(ssl, rc) != SSL_ERROR_WANT_READ)
		die_ssl("cannot make a ClientHello");
	if ((n = BIO_get_mem_data(wb, &data)) <= 5 || (uint8_t)data[0] != 22)
		die("the ClientHello came out as %ld bytes", n);
	if ((f->hello = malloc((size_t)n)) == NULL)
		die("out of memory");
	memcpy(f->hello, data, (size_t)n);
	f->hello_len = (size_t)n;
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}

/* A throwaway identity: a fresh Ed25519 key and a self-signed certificate
 * for it, which no one has registered. */
static void
make_identity(struct flood *f)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *x = X509_new();
	X509_NAME *name;

	if (key == NULL || x == NULL)
		die_ssl("cannot make an Ed25519 key");
	if (!X509_set_version(x, 2) || !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -86400) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365) == NULL ||
	    !X509_set_pubkey(x, key) || (name = X509_get_subject_name(x)) == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"flood", -1, -1, 0) || !X509_set_issuer_name(x, name) ||
	    X509_sign(x, key, NULL) == 0)
		die_ssl("cannot make a certificate");
	f->ctx = client_ctx();
	if (SSL_CTX_use_certificate(f->ctx, x) != 1 || SSL_CTX_use_PrivateKey(f->ctx, key) != 1)
		die_ssl("cannot use the certificate");
	X509_free(x);
	EVP_PKEY_free(key);
}

/* ---- connections ---- */

static void
slot_close(struct flood *f, struct slot *s)
{
	struct linger lg = { 1, 0 };

	if (s->ssl != NULL) {
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->fd >= 0) {
		/* A reset, not a FIN: no TIME_WAIT for the ports of one source. */
		setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(s->fd);
		s->fd = -1;
		f->open_now--;
	}
	s->state = S_FREE;
	s->rxlen = 0;
}

static void
slot_end(struct flood *f, struct slot *s, enum outcome o)
{
	f->out[o]++;
	if (o == O_ANSWERED)
		f->answer_ns += now_ns() - s->t_start;
	slot_close(f, s);
}

/* A connection that could not be made: counted, and the slot rests a
 * moment so that a refusing port does not make the loop spin. */
static void
slot_error(struct flood *f, struct slot *s, const char *what, int err)
{
	f->errors++;
	note_error(f, "%s: %s", what, strerror(err));
	slot_close(f, s);
	s->not_before = now_ns() + (uint64_t)BACKOFF_MS * 1000000ULL;
}

static void
bind_source(struct flood *f, int fd)
{
	struct sockaddr_in src;
	int one = 1;

	if (f->dst.ss_family != AF_INET)
		return;		/* ::1 is the only IPv6 loopback address */
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(0x7f000002u + f->next_source++ % (unsigned)f->sources);
	/* The port is chosen at connect, by the whole 4-tuple. */
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0)
		die("cannot bind to %s: %s", inet_ntoa(src.sin_addr), strerror(errno));
}

static void slot_connected(struct flood *f, struct slot *s);

static void
slot_open(struct flood *f, struct slot *s)
{
	int fd, one = 1;

	f->attempts++;
	fd = socket(f->dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		slot_error(f, s, "socket", errno);
		return;
	}
	s->fd = fd;
	f->open_now++;
	if (f->open_now > f->held_max)
		f->held_max = f->open_now;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	bind_source(f, fd);
	s->t_start = s->t_last_rx = now_ns();
	s->sent = 0;
	s->rxlen = 0;
	s->rxtotal = 0;
	s->seen_sh = s->nenc = 0;
	s->fin_len = 0;
	if (connect(fd, (struct sockaddr *)&f->dst, f->dstlen) == 0) {
		slot_connected(f, s);
		return;
	}
	if (errno != EINPROGRESS) {
		slot_error(f, s, "connect", errno);
		return;
	}
	s->state = S_CONNECTING;
}

static void hello_send(struct flood *f, struct slot *s);
static void tls_step(struct flood *f, struct slot *s);

static void
slot_connected(struct flood *f, struct slot *s)
{
	f->connects++;
	switch (f->mode) {
	case F_HELLO:
		s->state = S_SENDING;
		hello_send(f, s);
		return;
	case F_IDLE:
		s->state = S_HOLD;
		return;
	case F_HANDSHAKE:
		if ((s->ssl = SSL_new(f->ctx)) == NULL || SSL_set_fd(s->ssl, s->fd) != 1) {
			note_error(f, "SSL_new failed");
			slot_end(f, s, O_PARTIAL);
			return;
		}
		s->state = S_TLS;
		tls_step(f, s);
		return;
	}
}

/* The connection ended by the server (EOF, reset), before it was done. */
static void
slot_lost(struct flood *f, struct slot *s)
{
	slot_end(f, s, s->rxtotal == 0 ? O_REFUSED : O_PARTIAL);
}

/* ---- hello ---- */

static void
hello_send(struct flood *f, struct slot *s)
{
	while (s->sent < f->hello_len) {
		ssize_t n = send(s->fd, f->hello + s->sent, f->hello_len - s->sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			slot_lost(f, s);
			return;
		}
		s->sent += (size_t)n;
	}
	s->state = S_READING;
}

/* One whole record of the server's first flight; returns the outcome
 * once the flight is decided, -1 while it goes on.  The records are
 * ServerHello (plaintext), perhaps ChangeCipherSpec, then encrypted
 * records; the flight ends with the Finished, whose record length follows
 * from the cipher suite the ServerHello names. */
static int
hello_record(struct slot *s, uint8_t type, const uint8_t *b, size_t len)
{
	if (type == 21)
		return O_ALERT;
	if (!s->seen_sh) {
		size_t off;
		unsigned suite;

		/* handshake(22): type 2, length(3), version(2), random(32), sid */
		if (type != 22 || len < 39 || b[0] != 2)
			return O_PARTIAL;
		if (memcmp(b + 6, hrr_random, 32) == 0)
			return O_HRR;
		off = 39 + (size_t)b[38];
		if (len < off + 2)
			return O_PARTIAL;
		suite = ((unsigned)b[off] << 8) | b[off + 1];
		/* Finished: header(4) + hash, inner type(1), AEAD tag. */
		s->fin_len = 4 + (suite == 0x1302 ? 48 : 32) + 1 + (suite == 0x1305 ? 8 : 16);
		s->seen_sh = 1;
		return -1;
	}
	if (type == 23) {
		s->nenc++;
		if (len == s->fin_len)
			return O_ANSWERED;
	}
	return -1;
}

static void
hello_read(struct flood *f, struct slot *s)
{
	for (;;) {
		ssize_t n = recv(s->fd, s->rx + s->rxlen, RX_MAX - s->rxlen, 0);
		size_t used = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			slot_lost(f, s);
			return;
		}
		s->rxlen += (size_t)n;
		s->rxtotal += (uint64_t)n;
		s->t_last_rx = now_ns();
		while (s->rxlen - used >= 5) {
			const uint8_t *h = s->rx + used;
			size_t len = ((size_t)h[3] << 8) | h[4];
			int o;

			if (5 + len > RX_MAX) {
				note_error(f, "a TLS record of %zu bytes", len);
				slot_end(f, s, O_PARTIAL);
				return;
			}
			if (s->rxlen - used < 5 + len)
				break;
			o = hello_record(s, h[0], h + 5, len);
			used += 5 + len;
			if (o >= 0) {
				slot_end(f, s, (enum outcome)o);
				return;
			}
		}
		memmove(s->rx, s->rx + used, s->rxlen - used);
		s->rxlen -= used;
	}
}

/* A server that puts its whole encrypted flight in one record has no
 * Finished record of its own: after encrypted records and QUIET_MS
 * without a byte, the flight is taken as complete. */
static int
hello_quiet(const struct slot *s, uint64_t t)
{
	return s->state == S_READING && s->seen_sh && s->nenc > 0 && t > s->t_last_rx &&
	    t - s->t_last_rx >= (uint64_t)QUIET_MS * 1000000ULL;
}

/* ---- handshake ---- */

static void
tls_step(struct flood *f, struct slot *s)
{
	unsigned long e;
	int rc, err;

	ERR_clear_error();
	rc = SSL_connect(s->ssl);
	if (rc == 1) {
		/* close_notify goes out ahead of the reset: the server reads
		 * the client's Finished (and checks its signature) first. */
		SSL_shutdown(s->ssl);
		slot_end(f, s, O_ANSWERED);
		return;
	}
	err = SSL_get_error(s->ssl, rc);
	if (err == SSL_ERROR_WANT_READ) {
		s->want = POLLIN;
		return;
	}
	if (err == SSL_ERROR_WANT_WRITE) {
		s->want = POLLOUT;
		return;
	}
	e = ERR_peek_error();
	if (BIO_number_read(SSL_get_rbio(s->ssl)) == 0) {
		slot_end(f, s, O_REFUSED);
	} else if (e != 0 && ERR_GET_REASON(e) >= SSL_AD_REASON_OFFSET) {
		slot_end(f, s, O_ALERT);
	} else {
		if (e != 0) {
			char b[200];
			ERR_error_string_n(e, b, sizeof(b));
			note_error(f, "handshake: %s", b);
		}
		slot_end(f, s, O_PARTIAL);
	}
	ERR_clear_error();
}

/* ---- the loop ---- */

static void
on_event(struct flood *f, struct slot *s, short re)
{
	int err = 0;
	socklen_t elen = sizeof(err);

	switch (s->state) {
	case S_CONNECTING:
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
			err = errno;
		if (err != 0) {
			slot_error(f, s, "connect", err);
			return;
		}
		slot_connected(f, s);
		return;
	case S_SENDING:
		hello_send(f, s);
		if (s->state == S_READING && (re & (POLLIN | POLLHUP | POLLERR)))
			hello_read(f, s);
		return;
	case S_READING:
		hello_read(f, s);
		return;
	case S_TLS:
		tls_step(f, s);
		return;
	case S_HOLD: {
		char b[256];
		ssize_t n = recv(s->fd, b, sizeof(b), 0);
		if (n > 0) {
			s->rxtotal += (uint64_t)n;	/* not expected; counted */
			return;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		slot_lost(f, s);
		return;
	}
	case S_FREE:
		return;
	}
}

static short
want_events(const struct flood *f, const struct slot *s)
{
	(void)f;
	switch (s->state) {
	case S_CONNECTING:
	case S_SENDING:
		return POLLOUT;
	case S_READING:
	case S_HOLD:
		return POLLIN;
	case S_TLS:
		return s->want;
	case S_FREE:
		break;
	}
	return 0;
}

static void
run(struct flood *f)
{
	uint64_t stop_at, t;
	int i;

	f->t0 = now_ns();
	stop_at = f->t0 + (uint64_t)(f->seconds * 1e9);
	while (!stop_signal && (t = now_ns()) < stop_at) {
		int n = 0, timeout = 100, rc;

		for (i = 0; i < f->conns; i++) {
			struct slot *s = &f->slots[i];

			if (s->state == S_FREE && t >= s->not_before)
				slot_open(f, s);
			if (s->state == S_FREE) {
				timeout = BACKOFF_MS;
				continue;
			}
			if (f->mode != F_IDLE && t > s->t_start &&
			    t - s->t_start >= (uint64_t)f->wait_ms * 1000000ULL) {
				slot_end(f, s, O_TIMEOUT);
				timeout = 0;
				continue;
			}
			if (hello_quiet(s, t)) {
				slot_end(f, s, O_ANSWERED);
				timeout = 0;
				continue;
			}
			f->pfd[n].fd = s->fd;
			f->pfd[n].events = want_events(f, s);
			f->pfd[n].revents = 0;
			f->pslot[n++] = i;
		}
		rc = poll(f->pfd, (nfds_t)n, timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		for (i = 0; i < n && rc > 0; i++)
			if (f->pfd[i].revents != 0)
				on_event(f, &f->slots[f->pslot[i]], f->pfd[i].revents);
	}
	f->t_end = now_ns();
}

static void
report(const struct flood *f, FILE *out)
{
	static const char *const modes[] = { "hello", "idle", "handshake" };
	double el = (double)(f->t_end - f->t0) / 1e9;
	uint64_t open_at_end = 0, connecting_at_end = 0;
	const char *p;
	int i;

	/* A connect still in progress when time is up is neither a connect
	 * nor an error. */
	for (i = 0; i < f->conns; i++) {
		connecting_at_end += f->slots[i].fd >= 0 && f->slots[i].state == S_CONNECTING;
		open_at_end += f->slots[i].fd >= 0 && f->slots[i].state != S_CONNECTING;
	}
	fprintf(out, "{\"mode\":\"%s\",\"host\":\"%s\",\"port\":%d,\"conns\":%d,"
	    "\"sources\":%d,\"seconds\":%.0f,\"elapsed_s\":%.3f,\"stopped_by\":\"%s\","
	    "\"attempts\":%llu,\"connects\":%llu,\"errors\":%llu,",
	    modes[f->mode], f->host, f->port, f->conns,
	    f->dst.ss_family == AF_INET ? f->sources : 1, f->seconds, el,
	    stop_signal ? "signal" : "time", (unsigned long long)f->attempts,
	    (unsigned long long)f->connects, (unsigned long long)f->errors);
	for (i = 0; i < O_NOUTCOMES; i++)
		fprintf(out, "\"%s\":%llu,", outcome_names[i], (unsigned long long)f->out[i]);
	fprintf(out, "\"connecting_at_end\":%llu,", (unsigned long long)connecting_at_end);
	fprintf(out, "\"open_at_end\":%llu,\"held_max\":%llu,\"connects_per_s\":%.1f,"
	    "\"answered_per_s\":%.1f,\"answer_mean_ms\":%.3f,\"first_error\":\"",
	    (unsigned long long)open_at_end, (unsigned long long)f->held_max,
	    el > 0 ? (double)f->connects / el : 0.0,
	    el > 0 ? (double)f->out[O_ANSWERED] / el : 0.0,
	    f->out[O_ANSWERED] ? (double)f->answer_ns / (double)f->out[O_ANSWERED] / 1e6 : 0.0);
	for (p = f->first_error; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fprintf(out, "\"}\n");
	fflush(out);
}

static void
raise_nofile(size_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want)
		die("--conns needs %zu descriptors; the limit is %llu", want,
		    (unsigned long long)rl.rlim_cur);
}

int
main(int argc, char **argv)
{
	struct flood f;
	struct sigaction sa;
	int i;

	memset(&f, 0, sizeof(f));
	parse_opts(&f, argc, argv);
	raise_nofile((size_t)f.conns + 64);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll returns at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (f.mode == F_HELLO)
		capture_hello(&f);
	else if (f.mode == F_HANDSHAKE)
		make_identity(&f);
	if ((f.slots = calloc((size_t)f.conns, sizeof(*f.slots))) == NULL ||
	    (f.pfd = calloc((size_t)f.conns, sizeof(*f.pfd))) == NULL ||
	    (f.pslot = calloc((size_t)f.conns, sizeof(*f.pslot))) == NULL)
		die("out of memory");
	if (f.mode == F_HELLO && (f.rxbufs = calloc((size_t)f.conns, RX_MAX)) == NULL)
		die("out of memory");
	for (i = 0; i < f.conns; i++) {
		f.slots[i].fd = -1;
		f.slots[i].rx = f.rxbufs != NULL ? f.rxbufs + (size_t)i * RX_MAX : NULL;
	}
	fprintf(stderr, "flood: %s flood of %s port %d, %d connections from %d source%s, %.0f s\n",
	    f.mode == F_HELLO ? "ClientHello" : f.mode == F_IDLE ? "idle" : "handshake",
	    f.host, f.port, f.conns, f.dst.ss_family == AF_INET ? f.sources : 1,
	    f.sources == 1 ? "" : "s", f.seconds);

	run(&f);
	report(&f, stdout);

	/* open ones are counted as open_at_end: close them unchanged */
	for (i = 0; i < f.conns; i++)
		if (f.slots[i].fd >= 0)
			slot_close(&f, &f.slots[i]);
	free(f.rxbufs);
	free(f.slots);
	free(f.pfd);
	free(f.pslot);
	free(f.hello);
	SSL_CTX_free(f.ctx);
	return 0;
}
