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
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cl.h"
#include "crypto.h"
#include "errors.h"

#define CL_MAX_FRAME (16 * 1024 * 1024)
#define CL_BUDGET (256 * 1024 * 1024)
#define CL_TIMEOUT_MS 30000

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

struct cl *
cl_connect_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct cl *c;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return NULL;
	}
	if ((c = cl_alloc()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		snprintf(err, errlen, "cannot reach parleyd at %s: %s", path, strerror(errno));
		cl_close(c);
		return NULL;
	}
	if (hello(c, NULL, err, errlen) != 0) {
		cl_close(c);
		return NULL;
	}
	return c;
}

static int
tcp_connect(const char *hostport, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	char host[256], *port;
	int fd = -1, one = 1, rc;

	snprintf(host, sizeof(host), "%s", hostport);
	if (host[0] == '[') {
		char *close = strchr(host, ']');
		if (close == NULL || close[1] != ':') {
			snprintf(err, errlen, "bad server address %s", hostport);
			return -1;
		}
		*close = '\0';
		port = close + 2;
		memmove(host, host + 1, strlen(host));
	} else {
		if ((port = strrchr(host, ':')) == NULL) {
			snprintf(err, errlen, "server address %s has no port", hostport);
			return -1;
		}
		*port++ = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", hostport, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0)) < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		snprintf(err, errlen, "cannot reach parleyd at %s: %s", hostport, strerror(errno));
	freeaddrinfo(res);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int
accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;	/* the server is checked by pin after the handshake */
}

struct cl *
cl_connect_tls(const char *hostport, const char *cert, const char *key, const char *server_pin,
    const char *agent, char *err, size_t errlen)
{
	struct cl *c;
	X509 *peer;
	uint8_t pin[32];
	char hex[65];
	int rc;

	if ((c = cl_alloc()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((c->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(c->ctx, TLS1_3_VERSION)) {
		ssl_err(err, errlen, "TLS");
		goto fail;
	}
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, accept_any);
	SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate_file(c->ctx, cert, SSL_FILETYPE_PEM) != 1) {
		ssl_err(err, errlen, cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(c->ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(c->ctx) != 1) {
		ssl_err(err, errlen, key);
		goto fail;
	}
	if ((c->fd = tcp_connect(hostport, err, errlen)) < 0)
		goto fail;
	c->rxlog = rxlog_open();
	if ((c->ssl = SSL_new(c->ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		ssl_err(err, errlen, "TLS");
		goto fail;
	}
	ERR_clear_error();
	if ((rc = SSL_connect(c->ssl)) != 1) {
		if (SSL_get_error(c->ssl, rc) == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
			snprintf(err, errlen, "TLS handshake with %s failed: connection closed",
			    hostport);
		else
			ssl_err(err, errlen, "TLS handshake failed");
		goto fail;
	}
	if ((peer = SSL_get1_peer_certificate(c->ssl)) == NULL) {
		snprintf(err, errlen, "the server sent no certificate");
		goto fail;
	}
	rc = crypto_cert_pin(peer, pin);
	X509_free(peer);
	hex_encode(pin, 32, hex);
	if (rc != 0 || strcasecmp(hex, server_pin) != 0) {
		snprintf(err, errlen, "the server's certificate pin %s is not the pinned %s: "
		    "refusing to talk to it", hex, server_pin);
		goto fail;
	}
	if (hello(c, agent, err, errlen) != 0)
		goto fail;
	return c;
fail:
	cl_close(c);
	return NULL;
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
