/* slowpeer: bounded misbehaving peers for the limits tests (test use only).
 * Every mode stops by itself within the time it is given.
 *
 *   slowpeer tcp HOST:PORT MAX_S [HEX]
 *       TCP only (and the raw bytes HEX, e.g. half a ClientHello); wait for
 *       the server to close.  HOST:PORT may be the path of a Unix socket
 *       (starting with /): an admin client that never says a word.
 *   slowpeer tls CONF MAX_S [--hello] [--trickle MS | --cipher-trickle MS]
 *       TLS 1.3 with CONF's endpoint certificate; with --hello send Hello and
 *       read the Welcome; with --trickle send a Fetch frame one byte every MS
 *       milliseconds (a TLS record per byte); with --cipher-trickle send it
 *       in one TLS record whose ciphertext goes out one byte every MS
 *       milliseconds (nothing of it decrypts before its last byte).  Wait
 *       for the server to close.
 *   slowpeer hello-trickle HOST:PORT MAX_S MS
 *       a real TLS 1.3 ClientHello, sent one byte every MS milliseconds;
 *       wait for the server to close.
 *   slowpeer abort HOST:PORT N
 *       N aborted handshakes, in turn: connect+close, connect+garbage+close,
 *       connect+ClientHello+close, connect+ClientHello+reset.
 *   slowpeer hold CONF N SECS [SECS2]
 *       N connections with Hello each; prints "held H refused R[: error]";
 *       after SECS closes the first one ("closed one"), SECS2 later the rest.
 *   slowpeer slowread CONF N SECS [RCVBUF]
 *       N connections (receive buffer RCVBUF, default 4096) that send Hello,
 *       read the Welcome, send Fetch and never read again; held SECS.
 *
 * tcp and tls print "closed after S.SSs[: error message]" and exit 0 when the
 * server closed within MAX_S, "still open after MAX_S s" and exit 1 if not.
 * Exit 2: usage; 3: could not connect. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
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
#include "frame.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
tcp_open(const char *hostport, int rcvbuf)
{
	struct addrinfo hints, *res, *ai;
	char host[256], *port;
	int fd = -1, one = 1;

	if (hostport[0] == '/') {
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(hostport) >= sizeof(sun.sun_path) ||
		    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		memcpy(sun.sun_path, hostport, strlen(hostport));
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
			close(fd);
			return -1;
		}
		return fd;
	}
	snprintf(host, sizeof(host), "%s", hostport);
	if ((port = strrchr(host, ':')) == NULL)
		return -1;
	*port++ = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0)) < 0)
			continue;
		if (rcvbuf > 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static SSL_CTX *
client_ctx(const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION))
		return NULL;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (cert != NULL && (SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

struct peer {
	int fd;
	SSL *ssl;
	uint8_t in[1 << 16];
	size_t inlen;
	char error[600];	/* the last Error frame's message */
	int welcomed;
};

static int
peer_open(struct peer *p, SSL_CTX *ctx, const char *hostport, int rcvbuf)
{
	memset(p, 0, sizeof(*p));
	if ((p->fd = tcp_open(hostport, rcvbuf)) < 0)
		return -1;
	if ((p->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(p->ssl, p->fd) != 1 ||
	    SSL_connect(p->ssl) != 1) {
		if (p->ssl)
			SSL_free(p->ssl);
		close(p->fd);
		p->ssl = NULL;
		p->fd = -1;
		return -1;
	}
	return 0;
}

static void
peer_close(struct peer *p)
{
	if (p->ssl != NULL)
		SSL_free(p->ssl);
	if (p->fd >= 0)
		close(p->fd);
	p->ssl = NULL;
	p->fd = -1;
}

static int
send_frame(struct peer *p, Parley__Frame *f)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (frame_pack(f, SIZE_MAX, &buf, &len) != 0)
		return -1;
	rc = SSL_write(p->ssl, buf, (int)len) == (int)len ? 0 : -1;
	free(buf);
	return rc;
}

static int
send_hello(struct peer *p)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__Hello h = PARLEY__HELLO__INIT;

	h.version = PARLEY_PROTOCOL_VERSION;
	h.agent = "slowpeer";
	f.id = 1;
	f.body_case = PARLEY__FRAME__BODY_HELLO;
	f.hello = &h;
	return send_frame(p, &f);
}

/* Parse whole frames out of p->in: note Welcome and Error. */
static void
parse_frames(struct peer *p)
{
	struct frame_budget b;
	Parley__Frame *f;
	uint32_t len;
	char err[200];

	while (p->inlen >= FRAME_HDR_LEN) {
		if (frame_check_len(p->in, sizeof(p->in) - FRAME_HDR_LEN, &len) != 0) {
			p->inlen = 0;
			return;
		}
		if (p->inlen < FRAME_HDR_LEN + len)
			return;
		frame_budget_init(&b, 1 << 20);
		f = frame_unpack(p->in + FRAME_HDR_LEN, len, &b, err, sizeof(err));
		if (f != NULL) {
			if (f->body_case == PARLEY__FRAME__BODY_WELCOME)
				p->welcomed = 1;
			else if (f->body_case == PARLEY__FRAME__BODY_ERROR)
				snprintf(p->error, sizeof(p->error), "%s", f->error->message);
			frame_free(f, &b);
		}
		memmove(p->in, p->in + FRAME_HDR_LEN + len, p->inlen - FRAME_HDR_LEN - len);
		p->inlen -= FRAME_HDR_LEN + len;
	}
}

/* Read what is there within ms; 1 if the server closed, 0 if not. */
static int
pump(struct peer *p, int ms)
{
	struct pollfd pf = { p->fd, POLLIN, 0 };
	double end = now_s() + ms / 1000.0;
	int n;

	for (;;) {
		if (SSL_pending(p->ssl) == 0) {
			int left = (int)((end - now_s()) * 1000);
			if (left < 0)
				left = 0;
			if (poll(&pf, 1, left) == 0)
				return 0;
		}
		n = SSL_read(p->ssl, p->in + p->inlen, (int)(sizeof(p->in) - p->inlen));
		if (n > 0) {
			p->inlen += (size_t)n;
			parse_frames(p);
			if (p->inlen == sizeof(p->in))
				p->inlen = 0;
			continue;
		}
		switch (SSL_get_error(p->ssl, n)) {
		case SSL_ERROR_WANT_READ:
		case SSL_ERROR_WANT_WRITE:
			if (now_s() >= end)
				return 0;
			continue;
		default:
			return 1;
		}
	}
}

static void
report_closed(double t0, const struct peer *p)
{
	printf("closed after %.2fs%s%s\n", now_s() - t0, p->error[0] ? ": " : "", p->error);
}

static int
do_tcp(int argc, char **argv)
{
	double max = atof(argv[1]), t0 = now_s();
	uint8_t buf[4096];
	int fd = tcp_open(argv[0], 0);
	struct pollfd pf;

	if (fd < 0)
		return printf("cannot connect to %s\n", argv[0]), 3;
	if (argc > 2) {
		size_t n = strlen(argv[2]) / 2;
		if (n > sizeof(buf) || hex_decode(argv[2], buf, n) != 0)
			return 2;
		if (write(fd, buf, n) != (ssize_t)n)
			return printf("write failed\n"), 3;
	}
	pf.fd = fd;
	pf.events = POLLIN;
	while (now_s() - t0 < max) {
		int left = (int)((max - (now_s() - t0)) * 1000) + 1;
		if (poll(&pf, 1, left) > 0) {
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n <= 0) {
				printf("closed after %.2fs\n", now_s() - t0);
				close(fd);
				return 0;
			}
		}
	}
	printf("still open after %.0f s\n", max);
	close(fd);
	return 1;
}

static int
load_conf(const char *path, struct cl_conf *conf)
{
	char err[1200];

	if (cl_conf_load(path, conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "slowpeer: %s\n", err);
		return -1;
	}
	return 0;
}

/* msg sealed in one TLS record (written to a memory BIO), whose bytes go
 * to the socket one every ms milliseconds until the server closes. */
static int
cipher_trickle(struct peer *p, const uint8_t *msg, size_t len, int ms, double max, double t0)
{
	BIO *mem = BIO_new(BIO_s_mem());
	uint8_t rec[512];
	int n, i;

	if (mem == NULL)
		return 3;
	SSL_set0_wbio(p->ssl, mem);	/* reads stay on the socket */
	if (SSL_write(p->ssl, msg, (int)len) != (int)len ||
	    (n = BIO_read(mem, rec, sizeof(rec))) <= 0) {
		printf("cannot seal the record\n");
		return 3;
	}
	for (i = 0; i < n && now_s() - t0 < max; i++) {
		if (write(p->fd, rec + i, 1) != 1 || pump(p, ms)) {
			printf("(%d of %d bytes of ciphertext trickled) ", i + 1, n);
			report_closed(t0, p);
			return 0;
		}
	}
	while (now_s() - t0 < max)
		if (pump(p, 200)) {
			printf("(all %d bytes of ciphertext trickled) ", n);
			report_closed(t0, p);
			return 0;
		}
	printf("still open after %.0f s\n", max);
	return 1;
}

/* A real ClientHello, trickled a byte every ms milliseconds. */
static int
do_hello_trickle(char **argv)
{
	double max = atof(argv[1]), t0;
	int ms = atoi(argv[2]), fd, n, i;
	SSL_CTX *ctx = client_ctx(NULL, NULL);
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	SSL *ssl = ctx != NULL ? SSL_new(ctx) : NULL;
	uint8_t hello[2048], c;
	struct pollfd pf;

	if (ssl == NULL || rb == NULL || wb == NULL)
		return 2;
	SSL_set_bio(ssl, rb, wb);
	SSL_connect(ssl);	/* wants to read: the ClientHello is in wb */
	if ((n = BIO_read(wb, hello, sizeof(hello))) <= 0)
		return 2;
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if ((fd = tcp_open(argv[0], 0)) < 0)
		return printf("cannot connect to %s\n", argv[0]), 3;
	t0 = now_s();
	pf.fd = fd;
	pf.events = POLLIN;
	for (i = 0; now_s() - t0 < max; ) {
		if (i < n && write(fd, hello + i, 1) == 1)
			i++;
		if (poll(&pf, 1, ms) > 0 && read(fd, &c, 1) <= 0) {
			printf("(%d of %d bytes of a ClientHello trickled) closed after %.2fs\n", i,
			    n, now_s() - t0);
			close(fd);
			return 0;
		}
	}
	printf("still open after %.0f s (%d of %d bytes trickled)\n", max, i, n);
	close(fd);
	return 1;
}

static int
do_tls(int argc, char **argv)
{
	static uint8_t fetch[] = { 0, 0, 0, 4, 0x08, 0x02, 0x32, 0x00 };	/* id 2, Fetch */
	struct cl_conf conf;
	struct peer *p;
	double max = atof(argv[1]), t0;
	int hello = 0, trickle = 0, cipher = 0, i, rc;
	size_t sent = 0;
	SSL_CTX *ctx;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--hello") == 0)
			hello = 1;
		else if (strcmp(argv[i], "--trickle") == 0 && i + 1 < argc)
			trickle = atoi(argv[++i]);
		else if (strcmp(argv[i], "--cipher-trickle") == 0 && i + 1 < argc)
			trickle = atoi(argv[++i]), cipher = 1;
		else
			return 2;
	}
	if (load_conf(argv[0], &conf) != 0 || (ctx = client_ctx(conf.cert, conf.key)) == NULL)
		return 2;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		SSL_CTX_free(ctx);
		return 2;
	}
	if (peer_open(p, ctx, conf.server, 0) != 0) {
		printf("cannot connect to %s\n", conf.server);
		rc = 3;
		goto done;
	}
	t0 = now_s();
	if (hello || trickle) {
		rc = 3;
		if (send_hello(p) != 0) {
			printf("cannot send hello\n");
			goto done;
		}
		while (!p->welcomed && now_s() - t0 < max) {
			if (pump(p, 100)) {
				report_closed(t0, p);
				rc = 0;
				goto done;
			}
		}
		if (!p->welcomed) {
			printf("no welcome\n");
			goto done;
		}
		t0 = now_s();
	}
	rc = 0;
	if (cipher) {
		rc = cipher_trickle(p, fetch, sizeof(fetch), trickle, max, t0);
		goto done;
	}
	while (now_s() - t0 < max) {
		if (trickle && sent < sizeof(fetch)) {
			if (SSL_write(p->ssl, fetch + sent, 1) != 1) {
				report_closed(t0, p);
				goto done;
			}
			sent++;
			if (pump(p, trickle)) {
				printf("(%zu of %zu bytes trickled) ", sent, sizeof(fetch));
				report_closed(t0, p);
				goto done;
			}
			continue;
		}
		if (pump(p, 200)) {
			if (trickle)
				printf("(%zu of %zu bytes trickled) ", sent, sizeof(fetch));
			report_closed(t0, p);
			goto done;
		}
	}
	printf("still open after %.0f s\n", max);
	rc = 1;
done:
	peer_close(p);
	free(p);
	SSL_CTX_free(ctx);
	return rc;
}

static int
do_abort(char **argv)
{
	static const uint8_t garbage[] = "GET / HTTP/1.0\r\n\r\n\x16\x03\x01\xff\xff garbage";
	SSL_CTX *ctx = client_ctx(NULL, NULL);
	long n = atol(argv[1]), i, failed = 0;

	if (ctx == NULL)
		return 2;
	for (i = 0; i < n; i++) {
		int fd = tcp_open(argv[0], 0);
		struct linger lg = { 1, 0 };
		SSL *ssl;

		if (fd < 0) {
			failed++;
			continue;
		}
		switch (i % 4) {
		case 0:
			break;
		case 1:
			if (write(fd, garbage, sizeof(garbage) - 1) < 0)
				failed++;
			break;
		default:	/* a ClientHello, then gone (FIN, or RST) */
			if ((ssl = SSL_new(ctx)) != NULL) {
				/* SSL_connect writes the ClientHello, then gives up
				 * waiting for the answer after a millisecond */
				struct timeval tv = { 0, 1000 };
				setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
				SSL_set_fd(ssl, fd);
				ERR_clear_error();
				(void)SSL_connect(ssl);
				SSL_free(ssl);
			}
			if (i % 4 == 3)
				setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			break;
		}
		close(fd);
	}
	SSL_CTX_free(ctx);
	printf("%ld aborted handshakes (%ld could not connect)\n", n, failed);
	return failed == n ? 3 : 0;
}

static int
do_hold(int argc, char **argv)
{
	struct cl_conf conf;
	long n = atol(argv[1]), i, held = 0, refused = 0;
	double secs = atof(argv[2]), secs2 = argc > 3 ? atof(argv[3]) : 0;
	struct peer *ps;
	char first[600] = "";
	SSL_CTX *ctx;

	if (n < 1 || (ps = calloc((size_t)n, sizeof(*ps))) == NULL || load_conf(argv[0], &conf) != 0 ||
	    (ctx = client_ctx(conf.cert, conf.key)) == NULL)
		return 2;
	for (i = 0; i < n; i++) {
		double t0 = now_s();
		if (peer_open(&ps[i], ctx, conf.server, 0) != 0 || send_hello(&ps[i]) != 0) {
			refused++;
			continue;
		}
		while (!ps[i].welcomed && !ps[i].error[0] && now_s() - t0 < 10)
			if (pump(&ps[i], 100))
				break;
		if (ps[i].welcomed) {
			held++;
		} else {
			refused++;
			if (!first[0])
				snprintf(first, sizeof(first), "%s", ps[i].error[0] ? ps[i].error :
				    "closed without an error frame");
			peer_close(&ps[i]);
		}
	}
	printf("held %ld refused %ld%s%s\n", held, refused, first[0] ? ": " : "", first);
	fflush(stdout);
	usleep((useconds_t)(secs * 1e6));
	for (i = 0; i < n; i++) {
		if (ps[i].ssl != NULL) {
			peer_close(&ps[i]);
			break;
		}
	}
	if (secs2 > 0) {
		printf("closed one\n");
		fflush(stdout);
		usleep((useconds_t)(secs2 * 1e6));
	}
	for (i = 0; i < n; i++)
		peer_close(&ps[i]);
	free(ps);
	SSL_CTX_free(ctx);
	return 0;
}

static int
do_slowread(int argc, char **argv)
{
	static uint8_t fetch[] = { 0, 0, 0, 4, 0x08, 0x02, 0x32, 0x00 };
	struct cl_conf conf;
	long n = atol(argv[1]), i, ok = 0;
	double secs = atof(argv[2]);
	int rcvbuf = argc > 3 ? atoi(argv[3]) : 4096;
	struct peer *ps;
	SSL_CTX *ctx;

	if (n < 1 || (ps = calloc((size_t)n, sizeof(*ps))) == NULL || load_conf(argv[0], &conf) != 0 ||
	    (ctx = client_ctx(conf.cert, conf.key)) == NULL)
		return 2;
	for (i = 0; i < n; i++) {
		double t0 = now_s();
		if (peer_open(&ps[i], ctx, conf.server, rcvbuf) != 0 || send_hello(&ps[i]) != 0)
			continue;
		while (!ps[i].welcomed && !ps[i].error[0] && now_s() - t0 < 10)
			if (pump(&ps[i], 100))
				break;
		if (!ps[i].welcomed || SSL_write(ps[i].ssl, fetch, sizeof(fetch)) != sizeof(fetch)) {
			peer_close(&ps[i]);
			continue;
		}
		ok++;
	}
	printf("slow readers: %ld of %ld connected\n", ok, n);
	fflush(stdout);
	usleep((useconds_t)(secs * 1e6));
	for (i = 0; i < n; i++)
		peer_close(&ps[i]);
	free(ps);
	SSL_CTX_free(ctx);
	return ok > 0 ? 0 : 3;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && strcmp(argv[1], "tcp") == 0)
		return do_tcp(argc - 2, argv + 2);
	if (argc >= 4 && strcmp(argv[1], "tls") == 0)
		return do_tls(argc - 2, argv + 2);
	if (argc == 5 && strcmp(argv[1], "hello-trickle") == 0)
		return do_hello_trickle(argv + 2);
	if (argc == 4 && strcmp(argv[1], "abort") == 0)
		return do_abort(argv + 2);
	if (argc >= 5 && strcmp(argv[1], "hold") == 0)
		return do_hold(argc - 2, argv + 2);
	if (argc >= 5 && strcmp(argv[1], "slowread") == 0)
		return do_slowread(argc - 2, argv + 2);
	fprintf(stderr, "usage: slowpeer tcp|tls|hello-trickle|abort|hold|slowread ...\n");
	return 2;
}
