#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cl.h"
#include "crypto.h"
#include "errors.h"

#define CL_MAX_FRAME (16 * 1024 * 1024)
#define CL_BUDGET (256 * 1024 * 1024)
#define CL_TIMEOUT_MS 30000
#define CL_CONNECT_MS 10000	/* to connect and shake hands, per address */

struct cl {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	int rxlog;		/* PARLEY_TEST_RXLOG: every byte read, appended */
	uint64_t next_id;
	char party[64];
	uint64_t endpoint;
	unsigned ack_max;	/* deliveries one Ack may name (Welcome) */
	int timeout_ms;		/* the longest wait on parleyd */
	int interrupted;	/* a signal ended a wait */
	/* budgets of frames handed out, one per live frame */
	struct frame_budget *budgets[8];
	Parley__Frame *frames[8];
};

static void
ssl_err(char *err, size_t errlen, const char *what)
{
	char e[256];

	crypto_errstr(e, sizeof(e));
	snprintf(err, errlen, "%s: %s", what, e);
}

/* A signal interrupts the wait (poll fails with EINTR): watch stops on
 * SIGTERM/SIGINT this way; the other commands die of those signals. */
static int
wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { fd, events, 0 };

	return poll(&p, 1, timeout_ms);
}

/* Tests only: the embargo tests search every byte an endpoint received for
 * other parties' signatures, so a client started with PARLEY_TEST_RXLOG=FILE
 * appends to FILE, unframed, every byte it reads from the TLS stream (after
 * decryption).  One write per read, O_APPEND: the file stays whole across
 * processes.  A failed write is ignored (the test then finds bytes missing
 * and fails). */
static int
rxlog_open(void)
{
	const char *path = getenv("PARLEY_TEST_RXLOG");

	if (path == NULL || *path == '\0')
		return -1;
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

static void
rxlog_append(int fd, const void *buf, size_t n)
{
	ssize_t w;

	while (n > 0 && (w = write(fd, buf, n)) > 0) {
		buf = (const char *)buf + w;
		n -= (size_t)w;
	}
}

/* Read or write exactly n bytes; -1 on error, 1 on timeout. */
static int
io_full(struct cl *c, void *buf, size_t n, int writing, int timeout_ms, char *err,
    size_t errlen)
{
	size_t done = 0;
	ssize_t r;
	int rc;

	while (done < n) {
		if (c->ssl != NULL) {
			size_t k = 0;
			ERR_clear_error();
			rc = writing ? SSL_write_ex(c->ssl, (char *)buf + done, n - done, &k) :
			    SSL_read_ex(c->ssl, (char *)buf + done, n - done, &k);
			if (rc == 1) {
				if (!writing && c->rxlog >= 0)
					rxlog_append(c->rxlog, (char *)buf + done, k);
				done += k;
				continue;
			}
			switch (SSL_get_error(c->ssl, rc)) {
			case SSL_ERROR_WANT_READ:
				rc = wait_fd(c->fd, POLLIN, timeout_ms);
				break;
			case SSL_ERROR_WANT_WRITE:
				rc = wait_fd(c->fd, POLLOUT, timeout_ms);
				break;
			case SSL_ERROR_ZERO_RETURN:
				snprintf(err, errlen, "the daemon closed the connection");
				return -1;
			case SSL_ERROR_SYSCALL:
				if (ERR_peek_error() == 0) {
					snprintf(err, errlen, "the daemon closed the connection");
					return -1;
				}
				/* FALLTHROUGH */
			default:
				ssl_err(err, errlen, "TLS");
				return -1;
			}
		} else {
			r = writing ? write(c->fd, (char *)buf + done, n - done) :
			    read(c->fd, (char *)buf + done, n - done);
			if (r > 0) {
				done += (size_t)r;
				continue;
			}
			if (r == 0) {
				snprintf(err, errlen, "the daemon closed the connection");
				return -1;
			}
			if (errno != EAGAIN && errno != EINTR) {
				snprintf(err, errlen, "%s: %s", writing ? "write" : "read",
				    strerror(errno));
				return -1;
			}
			rc = wait_fd(c->fd, writing ? POLLOUT : POLLIN, timeout_ms);
		}
		if (rc == 0) {
			if (done == 0 && !writing)
				return 1;
			snprintf(err, errlen, "timed out talking to the daemon");
			return -1;
		}
		if (rc < 0) {
			c->interrupted = errno == EINTR;
			snprintf(err, errlen, errno == EINTR ? "interrupted" : "poll: %s",
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
cl_write_raw(struct cl *c, const void *buf, size_t len, char *err, size_t errlen)
{
	return io_full(c, (void *)buf, len, 1, c->timeout_ms, err, errlen) == 0 ? 0 : -1;
}

int64_t
cl_send(struct cl *c, Parley__Frame *f, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (f->id == 0)
		f->id = ++c->next_id;
	if (frame_pack(f, CL_MAX_FRAME, &buf, &len) != 0) {
		snprintf(err, errlen, "request too large");
		return -1;
	}
	rc = io_full(c, buf, len, 1, c->timeout_ms, err, errlen);
	free(buf);
	return rc == 0 ? (int64_t)f->id : -1;
}

int
cl_recv(struct cl *c, int timeout_ms, Parley__Frame **out, char *err, size_t errlen)
{
	uint8_t hdr[FRAME_HDR_LEN], *body;
	struct frame_budget *b;
	uint32_t len;
	size_t i;
	int rc;

	rc = io_full(c, hdr, sizeof(hdr), 0, timeout_ms, err, errlen);
	if (rc != 0)
		return rc;
	if (frame_check_len(hdr, CL_MAX_FRAME, &len) != 0) {
		snprintf(err, errlen, "the daemon sent a frame of impossible length");
		return -1;
	}
	if ((body = malloc(len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (io_full(c, body, len, 0, c->timeout_ms, err, errlen) != 0) {
		free(body);
		return -1;
	}
	for (i = 0; i < 8 && c->frames[i] != NULL; i++)
		;
	if (i == 8 || (b = malloc(sizeof(*b))) == NULL) {
		free(body);
		snprintf(err, errlen, "too many frames held");
		return -1;
	}
	frame_budget_init(b, CL_BUDGET);
	*out = frame_unpack(body, len, b, err, errlen);
	free(body);
	if (*out == NULL) {
		free(b);
		return -1;
	}
	c->frames[i] = *out;
	c->budgets[i] = b;
	return 0;
}

void
cl_free(struct cl *c, Parley__Frame *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < 8; i++) {
		if (c->frames[i] == f) {
			frame_free(f, c->budgets[i]);
			free(c->budgets[i]);
			c->frames[i] = NULL;
			c->budgets[i] = NULL;
			return;
		}
	}
}

int
cl_call(struct cl *c, Parley__Frame *f, Parley__Frame **reply,
    void (*on_push)(void *arg, const Parley__Frame *push), void *arg, char *err, size_t errlen)
{
	Parley__Frame *r;
	int64_t id;
	int rc;

	if ((id = cl_send(c, f, err, errlen)) < 0)
		return -1;
	for (;;) {
		rc = cl_recv(c, c->timeout_ms, &r, err, errlen);
		if (rc == 1) {
			snprintf(err, errlen, "no answer from the daemon within %d s",
			    c->timeout_ms / 1000);
			return -1;
		}
		if (rc != 0)
			return -1;
		if (r->id == (uint64_t)id) {
			*reply = r;
			return 0;
		}
		if (r->body_case == PARLEY__FRAME__BODY_ERROR && r->id == 0) {
			snprintf(err, errlen, "%s", r->error->message);
			cl_free(c, r);
			return -1;
		}
		if (on_push != NULL)
			on_push(arg, r);
		cl_free(c, r);
	}
}

/* From here on every wait is a poll, which a signal interrupts. */
static void
set_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl != -1)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int
hello(struct cl *c, const char *agent, char *err, size_t errlen)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__Hello h = PARLEY__HELLO__INIT;

	set_nonblocking(c->fd);
	h.version = PARLEY_PROTOCOL_VERSION;
	h.agent = (char *)(agent != NULL ? agent : "parley-client/1");
	f.body_case = PARLEY__FRAME__BODY_HELLO;
	f.hello = &h;
	if (cl_call(c, &f, &r, NULL, NULL, err, errlen) != 0)
		return -1;
	if (r->body_case == PARLEY__FRAME__BODY_ERROR) {
		snprintf(err, errlen, "%s", r->error->message);
		cl_free(c, r);
		return -1;
	}
	if (r->body_case != PARLEY__FRAME__BODY_WELCOME) {
		snprintf(err, errlen, "unexpected answer to hello");
		cl_free(c, r);
		return -1;
	}
	snprintf(c->party, sizeof(c->party), "%s", r->welcome->party);
	c->endpoint = r->welcome->endpoint;
	/* 0 (a parleyd that does not say) is read as 1 by cl_ack_max. */
	c->ack_max = r->welcome->ack_max < FRAME_ACK_MAX ? r->welcome->ack_max : FRAME_ACK_MAX;
	cl_free(c, r);
	return 0;
}

void
cl_set_timeout(struct cl *c, int ms)
{
	c->timeout_ms = ms;
}

static struct cl *
cl_alloc(void)
{
	struct cl *c = calloc(1, sizeof(*c));

	if (c != NULL) {
		c->fd = c->rxlog = -1;
		c->timeout_ms = CL_TIMEOUT_MS;
	}
	return c;
}

/* How a place tried failed. */
enum try_fail {
	TRY_REFUSED,		/* it answered, and would not do */
	TRY_UNREACHED,		/* nothing answered there */
	TRY_PIN,		/* its certificate has none of the pins */
};

/* One place tried: 0 with *out, -1 with why (the reason alone: the caller
 * names the place) and *how, -2 when a signal interrupted it. */
typedef int (*try_fn)(const char *place, void *arg, struct cl **out, enum try_fail *how,
    char *why, size_t whylen);

/* Try places from start, each once, wrapping round; the first that will
 * do is kept.  what names the places in the messages ("addresses", "admin
 * sockets"). */
static struct cl *
connect_round(const struct cl_list *places, size_t start, const char *what, try_fn try,
    void *arg, struct cl_tries *t, char *err, size_t errlen)
{
	struct cl_tries mine;
	struct cl *c = NULL;
	char why[1200];
	size_t i, k, at = 0;
	enum try_fail how;
	int rc = -1;

	if (t == NULL)
		t = &mine;
	memset(t, 0, sizeof(*t));
	if (places->n == 0) {
		snprintf(err, errlen, "no %s to try", what);
		return NULL;
	}
	err[0] = '\0';
	if (places->n > 1)
		at = (size_t)snprintf(err, errlen, "cannot reach parleyd at any of its %zu %s: ",
		    places->n, what);
	for (k = 0; k < places->n; k++) {
		i = (start + k) % places->n;
		why[0] = '\0';
		how = TRY_REFUSED;
		if ((rc = try(places->item[i], arg, &c, &how, why, sizeof(why))) == 0) {
			t->used = i;
			return c;
		}
		if (how == TRY_PIN)
			t->mismatch = 1;
		if (places->n == 1)
			snprintf(err, errlen, how == TRY_UNREACHED ? "cannot reach parleyd at %s: %s" :
			    "%s: %s", places->item[i], why);
		else if (at < errlen)
			at += (size_t)snprintf(err + at, errlen - at, "%s%s: %s", k ? "; " : "",
			    places->item[i], why);
		snprintf(t->passed + strlen(t->passed), sizeof(t->passed) - strlen(t->passed),
		    "%s%s: %s", k ? "; " : "", places->item[i], why);
		if (rc == -2) {
			snprintf(err, errlen, "interrupted");
			return NULL;
		}
	}
	return NULL;
}

static int
try_unix(const char *path, void *arg, struct cl **out, enum try_fail *how, char *why,
    size_t whylen)
{
	struct sockaddr_un sun;
	struct cl *c;

	(void)arg;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(why, whylen, "the socket path is too long");
		return -1;
	}
	if ((c = cl_alloc()) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;
		cl_close(c);
		snprintf(why, whylen, "%s", strerror(e));
		*how = TRY_UNREACHED;
		return e == EINTR ? -2 : -1;
	}
	if (hello(c, NULL, why, whylen) != 0) {
		int intr = c->interrupted;
		cl_close(c);
		return intr ? -2 : -1;
	}
	*out = c;
	return 0;
}

struct cl *
cl_connect_unix(const char *path, char *err, size_t errlen)
{
	struct cl_list one = { .n = 1 };

	if (strlen(path) >= sizeof(one.item[0])) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return NULL;
	}
	snprintf(one.item[0], sizeof(one.item[0]), "%s", path);
	return connect_round(&one, 0, "admin sockets", try_unix, NULL, NULL, err, errlen);
}

struct cl *
cl_connect_unix_list(const struct cl_list *paths, size_t start, struct cl_tries *t,
    char *err, size_t errlen)
{
	return connect_round(paths, start, "admin sockets", try_unix, NULL, t, err, errlen);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline, at least 0. */
static int
left_ms(int64_t deadline)
{
	int64_t left = deadline - now_ms();

	return left > 0 ? (int)left : 0;
}

/* One TCP connection to hostport (already checked: cl_list_addrs), by the
 * deadline: 0 with *fdp, -1 with why, -2 interrupted. */
static int
tcp_connect(const char *hostport, int64_t deadline, int *fdp, enum try_fail *how, char *why,
    size_t whylen)
{
	struct addrinfo hints, *res, *ai;
	char host[CL_LIST_ITEM], *port;
	int fd = -1, one = 1, rc, e = 0, timed_out = 0;
	socklen_t elen;

	snprintf(host, sizeof(host), "%s", hostport);
	if (host[0] == '[') {
		char *close = strchr(host, ']');
		if (close == NULL || close[1] != ':') {
			snprintf(why, whylen, "not HOST:PORT");
			return -1;
		}
		*close = '\0';
		port = close + 2;
		memmove(host, host + 1, strlen(host));
	} else {
		if ((port = strrchr(host, ':')) == NULL) {
			snprintf(why, whylen, "no port (HOST:PORT)");
			return -1;
		}
		*port++ = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(why, whylen, "cannot resolve it: %s", gai_strerror(rc));
		*how = TRY_UNREACHED;
		return rc == EAI_SYSTEM && errno == EINTR ? -2 : -1;
	}
	/* Non-blocking, so that a host that drops packets costs the deadline,
	 * not the kernel's minutes, before the next address is tried. */
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0)) < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		if (e == EINPROGRESS) {
			rc = wait_fd(fd, POLLOUT, left_ms(deadline));
			e = errno;
			elen = sizeof(e);
			if (rc > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == 0 && e == 0)
				break;
			if (rc == 0)
				timed_out = 1;
			if (rc < 0 && e == EINTR) {
				close(fd);
				freeaddrinfo(res);
				snprintf(why, whylen, "interrupted");
				return -2;
			}
		}
		close(fd);
		fd = -1;
		if (timed_out)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (timed_out)
			snprintf(why, whylen, "no answer within %d s", CL_CONNECT_MS / 1000);
		else
			snprintf(why, whylen, "%s", strerror(e));
		*how = TRY_UNREACHED;
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fdp = fd;
	return 0;
}

/* The pins one handshake holds the server to (SSL_set_app_data), and the
 * pin it met when none matched. */
struct pin_check {
	const struct cl_list *pins;
	char seen[65];
	int refused;
};

/* The server's certificate is held to the pins while the handshake runs,
 * before the client sends anything of its own (in TLS 1.3 its
 * certificate follows the server's Finished): an address with another
 * key never learns which endpoint called.  Only the leaf is pinned; the
 * issuers and dates mean nothing here. */
static int
check_pin(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct pin_check *pc = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	X509 *cert = X509_STORE_CTX_get_current_cert(x);
	uint8_t pin[32];

	(void)ok;
	if (pc == NULL || cert == NULL)
		return 0;
	if (X509_STORE_CTX_get_error_depth(x) != 0)
		return 1;
	if (crypto_cert_pin(cert, pin) != 0) {
		snprintf(pc->seen, sizeof(pc->seen), "(unreadable)");
		pc->refused = 1;
		return 0;
	}
	hex_encode(pin, 32, pc->seen);
	pc->seen[64] = '\0';
	if (!cl_list_has(pc->pins, pc->seen)) {
		pc->refused = 1;
		return 0;
	}
	return 1;
}

/* The client's TLS context, made once for every address tried. */
static SSL_CTX *
tls_ctx(const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION)) {
		ssl_err(err, errlen, "TLS");
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, check_pin);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1) {
		ssl_err(err, errlen, cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ssl_err(err, errlen, key);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* The handshake by the deadline: 0, -1 with why, -2 interrupted. */
static int
handshake(struct cl *c, int64_t deadline, char *why, size_t whylen)
{
	short ev;
	int rc;

	for (;;) {
		ERR_clear_error();
		if ((rc = SSL_connect(c->ssl)) == 1)
			return 0;
		switch (SSL_get_error(c->ssl, rc)) {
		case SSL_ERROR_WANT_READ:
			ev = POLLIN;
			break;
		case SSL_ERROR_WANT_WRITE:
			ev = POLLOUT;
			break;
		case SSL_ERROR_SYSCALL:
			if (ERR_peek_error() == 0) {
				snprintf(why, whylen, "TLS handshake failed: connection closed");
				return -1;
			}
			/* FALLTHROUGH */
		default:
			ssl_err(why, whylen, "TLS handshake failed");
			return -1;
		}
		if ((rc = wait_fd(c->fd, ev, left_ms(deadline))) == 0) {
			snprintf(why, whylen, "no TLS handshake within %d s", CL_CONNECT_MS / 1000);
			return -1;
		}
		if (rc < 0) {
			int e = errno;
			snprintf(why, whylen, e == EINTR ? "interrupted" : "poll: %s", strerror(e));
			return e == EINTR ? -2 : -1;
		}
	}
}

struct tls_try {
	SSL_CTX *ctx;
	const struct cl_list *pins;
	const char *agent;
};

static int
try_tls(const char *hostport, void *arg, struct cl **out, enum try_fail *how, char *why,
    size_t whylen)
{
	const struct tls_try *tt = arg;
	struct pin_check pc = { tt->pins, "", 0 };
	int64_t deadline = now_ms() + CL_CONNECT_MS;
	struct cl *c;
	int rc;

	if ((c = cl_alloc()) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (!SSL_CTX_up_ref(tt->ctx)) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	c->ctx = tt->ctx;
	if ((rc = tcp_connect(hostport, deadline, &c->fd, how, why, whylen)) != 0) {
		cl_close(c);
		return rc;
	}
	c->rxlog = rxlog_open();
	if ((c->ssl = SSL_new(c->ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		ssl_err(why, whylen, "TLS");
		goto fail;
	}
	SSL_set_app_data(c->ssl, &pc);
	rc = handshake(c, deadline, why, whylen);
	SSL_set_app_data(c->ssl, NULL);	/* pc is this call's */
	if (rc != 0 && !pc.refused) {
		cl_close(c);
		return rc;
	}
	/* Every address is held to the pins: no match, no talk (check_pin
	 * ended the handshake before this client said anything). */
	if (pc.refused) {
		if (tt->pins->n == 1)
			snprintf(why, whylen, "the server's certificate pin %s is not the pinned "
			    "%s: refusing to talk to it", pc.seen, tt->pins->item[0]);
		else
			snprintf(why, whylen, "the server's certificate pin %s is none of the %zu "
			    "pinned: refusing to talk to it", pc.seen, tt->pins->n);
		*how = TRY_PIN;
		goto fail;
	}
	if (pc.seen[0] == '\0') {
		snprintf(why, whylen, "the server sent no certificate");
		goto fail;
	}
	/* The Hello too answers within the connect's deadline: a server that
	 * completes TLS and then says nothing does not hold up the next
	 * address for the whole request timeout. */
	c->timeout_ms = (int)(left_ms(deadline) > 1 ? left_ms(deadline) : 1);
	rc = hello(c, tt->agent, why, whylen);
	c->timeout_ms = CL_TIMEOUT_MS;
	if (rc != 0) {
		rc = c->interrupted ? -2 : -1;
		cl_close(c);
		return rc;
	}
	*out = c;
	return 0;
fail:
	cl_close(c);
	return -1;
}

struct cl *
cl_connect_list(const struct cl_list *addrs, const struct cl_list *pins, const char *cert,
    const char *key, const char *agent, size_t start, struct cl_tries *t, char *err,
    size_t errlen)
{
	struct tls_try tt = { NULL, pins, agent };
	struct cl *c;

	if (pins->n == 0) {
		snprintf(err, errlen, "no server pin: no server is talked to without one");
		return NULL;
	}
	if ((tt.ctx = tls_ctx(cert, key, err, errlen)) == NULL)
		return NULL;
	c = connect_round(addrs, start, "addresses", try_tls, &tt, t, err, errlen);
	SSL_CTX_free(tt.ctx);
	return c;
}

struct cl *
cl_connect_tls(const char *hostport, const char *cert, const char *key, const char *server_pin,
    const char *agent, char *err, size_t errlen)
{
	struct cl_list *addrs, *pins;
	struct cl *c = NULL;

	addrs = calloc(1, sizeof(*addrs));
	pins = calloc(1, sizeof(*pins));
	if (addrs == NULL || pins == NULL)
		snprintf(err, errlen, "out of memory");
	else if (cl_list_addrs("server", hostport, addrs, err, errlen) == 0 &&
	    cl_list_pins("server_pin", server_pin, pins, err, errlen) == 0)
		c = cl_connect_list(addrs, pins, cert, key, agent, 0, NULL, err, errlen);
	free(addrs);
	free(pins);
	return c;
}

void
cl_close(struct cl *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < 8; i++)
		if (c->frames[i] != NULL)
			cl_free(c, c->frames[i]);
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	if (c->rxlog >= 0)
		close(c->rxlog);
	free(c);
}

const char *
cl_party(const struct cl *c)
{
	return c->party;
}

uint64_t
cl_endpoint(const struct cl *c)
{
	return c->endpoint;
}

unsigned
cl_ack_max(const struct cl *c)
{
	/* A parleyd that does not say takes one delivery an Ack (and would
	 * ignore the others). */
	return c->ack_max ? c->ack_max : 1;
}

int
cl_fd(const struct cl *c)
{
	return c->fd;
}

int
cl_pending(const struct cl *c)
{
	return c->ssl != NULL && SSL_pending(c->ssl) > 0;
}
