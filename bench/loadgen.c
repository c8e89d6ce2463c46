/* loadgen: the load generator of `make bench` (see bench/README.md).
 *
 * One process, one libevent loop, many non-blocking TLS connections
 * (bufferevent_openssl), only to loopback addresses.  Each run does one
 * measurement and prints one JSON object on stdout (a readable line goes to
 * stderr); bench/run.sh strings the runs together.
 *
 *   loadgen sign      signed copies accepted per second (no fetching)
 *   loadgen latency   release latency: last copy sent -> every endpoint has
 *                     acked the release bundle (all endpoints fetching)
 *   loadgen drain     durable deliveries acked per second (pre-queued backlog)
 *   loadgen handshake mutual-TLS handshakes (to Welcome) per server CPU-second
 *   loadgen idle      server RSS per idle connection at given counts
 *   loadgen mqtt-idle / mqtt-rate   the same against an MQTT broker (QoS 1)
 *   loadgen commit    latency of single-row synchronous=FULL SQLite commits
 *   loadgen pinned    one party's connect (TCP + mutual TLS + Hello/Welcome)
 *                     and sign one copy, then close: sequential samples
 *                     (bench/flood.sh measures them with and without a flood)
 *   loadgen admin     the admin socket's answer time (connect, Hello,
 *                     "status"), one request at a time, every --interval-ms
 *   loadgen rtt       a loopback round trip as loadgen's connections see it:
 *                     two threads, one TCP connection, libevent on both ends
 *   loadgen create    agreements created and circulated over the admin
 *                     socket, many requests in flight on one connection
 *   loadgen presign   read agreements (Show) and write one endpoint's signed
 *                     copies of them to a file, for first-copy
 *   loadgen first-copy  poll-connect until parleyd listens, then send one
 *                     prepared copy: the time from parleyd's exec to Ok
 *   loadgen connect   a party's connect as parley makes it: TCP, mutual TLS,
 *                     Hello, the record's consistency proof from the
 *                     checkpoint it holds, its countersignature; one at a time
 *
 * Every run is bounded by --max-seconds; every count it prints adds up
 * (sent = accepted + refused + duplicate + unanswered, ...), which is all
 * the smoke test (tests/integration/t_bench_smoke.sh) checks. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <sqlite3.h>

#include "checkpoint.h"
#include "cl.h"
#include "crypto.h"
#include "errors.h"
#include "frame.h"
#include "merkle.h"
#include "parley.pb-c.h"
#include "sign.h"

/* Request ids: a signed copy's id names its (agreement, party) slot, so
 * no table is needed to match replies; the rest live far above. */
#define ID_HELLO	(1ULL << 50)
#define ID_FETCH	(ID_HELLO + 1)
#define ID_JOURNAL	(ID_HELLO + 2)	/* connect: the record's proof */
#define ID_CSIGN	(ID_HELLO + 3)	/* connect: the countersignature */
#define ID_SHOW		(1ULL << 51)	/* + agreement index */
#define ID_ACK		(1ULL << 52)	/* + sequence << 9 | deliveries named */

#define MAX_PARTIES 64
#define SHOW_WINDOW 64
#define MAX_COUNTS 8
#define RECV_MAX (16u * 1024 * 1024)

enum mode {
	M_SIGN, M_LATENCY, M_DRAIN, M_HANDSHAKE, M_IDLE, M_MQTT_IDLE, M_MQTT_RATE, M_COMMIT,
	M_PINNED, M_ADMIN, M_RTT, M_CREATE, M_PRESIGN, M_FIRST_COPY, M_CONNECT
};

enum lc_state { LC_TCP, LC_TLS, LC_HELLO, LC_READY, LC_DEAD };

struct lg;

/* An endpoint identity: a client certificate (and a signer key). */
struct ep {
	int party;
	SSL_CTX *ctx;
	EVP_PKEY *signer;
	uint8_t signer_pub[32];
	uint8_t mediator_pub[32];	/* connect: the checkpoints' key */
	int has_mediator;
	char pin[65];
	char path[4096];
	char dir[4096];		/* the endpoint's directory (its kept checkpoint) */
};

/* One connection. */
struct lc {
	struct lg *g;
	struct ep *ep;		/* NULL for MQTT */
	struct bufferevent *bev;
	int fd;
	struct event *conn_ev;
	enum lc_state state;
	size_t slot;
	uint64_t serial;	/* unique in this run (MQTT client ids) */
	int fetch_done;
	/* latency */
	int got, acked;
	uint64_t bundle_did, bundle_ack;	/* the bundle, the Ack naming it */
	uint64_t *ackq;		/* deliveries read, not yet acked */
	size_t nackq, ack_max;	/* at most ack_max in one Ack */
	/* MQTT */
	int sub;		/* subscriber index, -1: publisher */
	uint16_t pid;
	int clean;
};

struct party {
	char code[64];
	size_t nconns;
	struct lc **conns;
};

struct agr {
	uint64_t id;
	uint32_t revision;
	uint8_t hash[32];
	int shown;
	uint16_t replies, accepted;
};

struct opts {
	enum mode mode;
	const char *endpoints, *agreements, *mqtt, *cert, *key, *dir, *admin;
	const char *parties, *text, *out, *frames, *since, *checkpoint, *title;
	int conns_per_ep, inflight, concurrency, settle_ms, subs, window, payload, samples;
	int live, ack_batch, interval_ms, admin_interval_ms, poll_ms, count, index;
	double seconds, max_seconds, grace, sample_timeout;
	long expect, messages;
	long counts[MAX_COUNTS];
	int ncounts;
	pid_t server_pid;
};

struct lg {
	struct opts o;
	struct event_base *base;
	struct event *tick, *deadline;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int finished, timed_out, exit_code;

	struct ep *eps;
	size_t neps;
	struct party parties[MAX_PARTIES];
	size_t nparties;
	SSL_CTX *mqtt_ctx;

	struct lc **conns;	/* every live or fixed connection */
	size_t nconns, capconns;
	size_t nready, ndead, next_ep;

	struct agr *ag;
	size_t nag, next_ag, inflight_ag, shows_pending, next_show;
	uint8_t **frames;	/* packed SignRequests, nag * nparties */
	size_t *flen;
	int phase;
	int running;
	uint64_t t_begin, t0, t_last, t_end, t_stop, t_quiet, t_first_ok, t_last_done;
	uint64_t released_copies;
	uint64_t ack_seq, serial;

	/* counters */
	uint64_t sent, accepted, refused, dup, outstanding, releases, done_ag;
	uint64_t deliveries_at_first_ok;
	uint64_t deliveries, acks_sent, acks_ok, acks_refused, delivery_bytes;
	uint64_t hs_started, hs_done, hs_refused, hs_failed, active;
	uint64_t errors_by_code[16];
	char first_error[256];
	uint64_t push_errors;

	/* latency samples */
	uint64_t *lat, *lat_ok;
	size_t nlat, sample;
	uint64_t s_t0, s_tok;
	int s_step;

	/* server resources */
	long rss0, rss[MAX_COUNTS];
	int count_idx;
	double cpu0, cpu1;

	/* MQTT */
	uint64_t published, puback, mq_received, mq_acked_sent;
	uint64_t t_pub0, t_pub1;
	struct lc *pub;
	int mq_step;
	char mq_prefix[64];

	/* pinned: the sample in flight, when the next may start */
	struct lc *cur;
	struct event *next_ev, *sig_term, *sig_int;
	uint64_t p_started, p_failed, p_timeouts;

	/* admin socket samples (mode admin, or pinned with --admin) */
	struct bufferevent *adm, *adm_old;
	struct event *adm_ev;
	uint64_t adm_t0, adm_failed, adm_timeouts;
	uint64_t *adm_lat;
	size_t nadm, capadm;
	int adm_on, stopped;

	/* create: requests in flight on the admin connection */
	char *c_text;
	size_t c_text_len, c_next, c_inflight;
	int64_t *c_ids;		/* by request: the agreement created, 0 none */
	uint8_t *c_done;	/* by request: circulated */
	uint64_t c_created, c_circulated, c_refused;
	uint64_t t_created_last;

	/* first-copy: the prepared copy; when things happened */
	uint8_t *fc_frame;
	size_t fc_len;
	uint64_t fc_attempts, fc_refused_conn, fc_lost, t_listen, t_welcome, t_ok;
	uint64_t mono0;		/* now_ns() at the start ... */
	int64_t real0;		/* ... and CLOCK_REALTIME then (ns) */

	/* connect: the checkpoint the party holds, what the record showed */
	struct checkpoint *known, *seen;
	uint64_t *lat_reply;	/* journal reply in, per sample */
	uint64_t tree_size, proof_hashes;
	double c_cpu0, c_cpu1;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double
secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static void
die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "loadgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static void
note_error(struct lg *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note_error(struct lg *g, const char *fmt, ...)
{
	va_list ap;

	if (g->first_error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(g->first_error, sizeof(g->first_error), fmt, ap);
	va_end(ap);
	fprintf(stderr, "loadgen: %s\n", g->first_error);
}

/* ---- the server process, from /proc ---- */

static long
proc_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

/* utime + stime in seconds, or -1. */
static double
proc_cpu_s(pid_t pid)
{
	char path[64], buf[2048], *p;
	unsigned long long ut, st;
	size_t n;
	FILE *f;
	int i;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	p++;
	/* p is before field 3; utime is field 14, stime 15. */
	for (i = 3; i < 14 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- set-up ---- */

static void
raise_nofile(size_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want) {
		struct rlimit r2 = { want, want };
		if (setrlimit(RLIMIT_NOFILE, &r2) == 0)
			return;
	}
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/* host:port, loopback only. */
static void
parse_loopback(struct lg *g, const char *hostport)
{
	char host[300], *port;
	struct addrinfo hints, *res;
	int rc;

	snprintf(host, sizeof(host), "%s", hostport);
	if (host[0] == '[') {
		char *e = strchr(host, ']');
		if (e == NULL || e[1] != ':')
			die("bad address %s", hostport);
		*e = '\0';
		port = e + 2;
		memmove(host, host + 1, strlen(host));
	} else {
		if ((port = strrchr(host, ':')) == NULL)
			die("address %s has no port", hostport);
		*port++ = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		die("cannot resolve %s: %s", hostport, gai_strerror(rc));
	if (res->ai_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)res->ai_addr;
		if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127)
			die("%s is not a loopback address: the bench runs on loopback only", hostport);
	} else if (res->ai_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)res->ai_addr;
		if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			die("%s is not a loopback address: the bench runs on loopback only", hostport);
	} else {
		die("%s: unsupported address family", hostport);
	}
	memcpy(&g->addr, res->ai_addr, res->ai_addrlen);
	g->addrlen = (socklen_t)res->ai_addrlen;
	freeaddrinfo(res);
}

static int
accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;	/* parleyd's certificate is checked by pin after the handshake */
}

static SSL_CTX *
client_ctx(const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	char e[256];

	if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION))
		die("cannot make a TLS context");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		crypto_errstr(e, sizeof(e));
		die("%s / %s: %s", cert, key, e);
	}
	return ctx;
}

/* --endpoints FILE: lines "PARTY CLIENT.CONF"; parties in order of first
 * appearance. */
static void
load_endpoints(struct lg *g)
{
	char line[8192], code[64], path[4096], err[1200];
	struct cl_conf cf;
	size_t cap = 0, i;
	FILE *f;

	if ((f = fopen(g->o.endpoints, "r")) == NULL)
		die("cannot read %s: %s", g->o.endpoints, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		struct ep *e;
		if (sscanf(line, "%63s %4095s", code, path) != 2 || code[0] == '#')
			continue;
		if (cl_conf_load(path, &cf, err, sizeof(err)) != 0)
			die("%s", err);
		if (g->neps == 0)
			parse_loopback(g, cf.server);
		if (g->neps == cap) {
			cap = cap ? cap * 2 : 16;
			if ((g->eps = realloc(g->eps, cap * sizeof(*g->eps))) == NULL)
				die("out of memory");
		}
		e = &g->eps[g->neps++];
		memset(e, 0, sizeof(*e));
		for (i = 0; i < g->nparties; i++)
			if (strcmp(g->parties[i].code, code) == 0)
				break;
		if (i == g->nparties) {
			if (g->nparties == MAX_PARTIES)
				die("more than %d parties", MAX_PARTIES);
			snprintf(g->parties[g->nparties++].code, sizeof(g->parties[0].code), "%s",
			    code);
		}
		e->party = (int)i;
		snprintf(e->pin, sizeof(e->pin), "%s", cf.server_pin);
		snprintf(e->path, sizeof(e->path), "%s", path);
		snprintf(e->dir, sizeof(e->dir), "%s", cf.dir);
		e->ctx = client_ctx(cf.cert, cf.key);
		if (cf.signer_key[0] && (g->o.mode == M_SIGN || g->o.mode == M_LATENCY ||
		    g->o.mode == M_PINNED || g->o.mode == M_PRESIGN || g->o.mode == M_CONNECT)) {
			if ((e->signer = crypto_read_private_key(cf.signer_key, err,
			    sizeof(err))) == NULL || crypto_pubkey_raw(e->signer, e->signer_pub) != 0)
				die("%s: %s", cf.signer_key, err);
		}
		if (g->o.mode == M_CONNECT) {
			EVP_PKEY *mk;
			if (!cf.mediator_key[0])
				die("%s names no mediator_key", path);
			if ((mk = crypto_read_public_key(cf.mediator_key, err, sizeof(err))) == NULL ||
			    crypto_pubkey_raw(mk, e->mediator_pub) != 0)
				die("%s: %s", cf.mediator_key, mk ? "not an Ed25519 key" : err);
			EVP_PKEY_free(mk);
			e->has_mediator = 1;
		}
	}
	fclose(f);
	if (g->neps == 0)
		die("%s names no endpoint", g->o.endpoints);
}

static void
load_agreements(struct lg *g)
{
	char line[256];
	size_t cap = 0;
	FILE *f;

	if ((f = fopen(g->o.agreements, "r")) == NULL)
		die("cannot read %s: %s", g->o.agreements, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *end;
		unsigned long long id = strtoull(line, &end, 10);
		if (end == line || id == 0)
			continue;
		if (g->nag == cap) {
			cap = cap ? cap * 2 : 256;
			if ((g->ag = realloc(g->ag, cap * sizeof(*g->ag))) == NULL)
				die("out of memory");
		}
		memset(&g->ag[g->nag], 0, sizeof(g->ag[0]));
		g->ag[g->nag++].id = id;
	}
	fclose(f);
	if (g->nag == 0)
		die("%s names no agreement", g->o.agreements);
}

/* ---- connections ---- */

static void finish(struct lg *g);
static void on_ready(struct lc *c);
static void on_frame(struct lc *c, const Parley__Frame *f, size_t wire_len);
static void on_mqtt(struct lc *c, uint8_t type, uint8_t flags, const uint8_t *p, size_t n);
static void on_dead(struct lc *c, const char *why);
static int too_many_failures(struct lg *g);
static void send_acks(struct lc *c);
static void pinned_begin(struct lg *g);
static void pinned_reply(struct lg *g, struct lc *c, const Parley__Frame *f);
static void pinned_welcome(struct lg *g, struct lc *c);
static void pinned_schedule(struct lg *g);
static void presign_write(struct lg *g);
static void fc_welcome(struct lg *g, struct lc *c);
static void fc_reply(struct lg *g, struct lc *c, const Parley__Frame *f);
static void fc_lost(struct lg *g, const char *why);
static void cn_welcome(struct lg *g, struct lc *c);
static void cn_reply(struct lg *g, struct lc *c, const Parley__Frame *f);

static void
lc_free(struct lc *c)
{
	/* A connection still up says goodbye (close_notify), as parley does,
	 * so that parleyd logs an orderly end, not a TLS error. */
	if (c->bev != NULL && c->state != LC_DEAD && c->state != LC_TCP) {
		SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
		if (ssl != NULL && SSL_is_init_finished(ssl))
			SSL_shutdown(ssl);
	}
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	else if (c->fd >= 0)
		close(c->fd);
	if (c->conn_ev != NULL)
		event_free(c->conn_ev);
	free(c->ackq);
	free(c);
}

/* Close a connection and tell the mode (once).  The socket is shut down
 * now, so the server sees the end at once; the bufferevent is freed later
 * by reap(), never inside its own callbacks. */
static void
lc_kill(struct lc *c, const char *why)
{
	if (c->state == LC_DEAD)
		return;
	if (c->state == LC_READY && c->g->nready > 0)
		c->g->nready--;
	c->state = LC_DEAD;
	c->g->ndead++;
	if (c->bev != NULL) {
		bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		shutdown(bufferevent_getfd(c->bev), SHUT_RDWR);
	} else if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->conn_ev != NULL) {
		event_free(c->conn_ev);
		c->conn_ev = NULL;
	}
	on_dead(c, why);
}

static int
send_frame(struct lc *c, const Parley__Frame *f)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (c->state == LC_DEAD || c->bev == NULL)
		return -1;
	if (frame_pack(f, RECV_MAX, &buf, &len) != 0)
		return -1;
	rc = bufferevent_write(c->bev, buf, len);
	free(buf);
	return rc;
}

static void
send_hello(struct lc *c)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__Hello h = PARLEY__HELLO__INIT;

	h.version = PARLEY_PROTOCOL_VERSION;
	h.agent = "parley-loadgen/1";
	f.id = ID_HELLO;
	f.body_case = PARLEY__FRAME__BODY_HELLO;
	f.hello = &h;
	send_frame(c, &f);
}

/* MQTT 3.1.1, just what the bench needs. */
static size_t
mq_varint(uint8_t *p, size_t n)
{
	size_t i = 0;

	do {
		uint8_t b = n % 128;
		n /= 128;
		p[i++] = (uint8_t)(b | (n ? 0x80 : 0));
	} while (n);
	return i;
}

static void
mq_send(struct lc *c, uint8_t first, const uint8_t *body, size_t n)
{
	uint8_t hdr[5];
	size_t h;

	if (c->state == LC_DEAD || c->bev == NULL)
		return;
	hdr[0] = first;
	h = 1 + mq_varint(hdr + 1, n);
	bufferevent_write(c->bev, hdr, h);
	if (n)
		bufferevent_write(c->bev, body, n);
}

static size_t
mq_str(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	p[0] = (uint8_t)(n >> 8);
	p[1] = (uint8_t)n;
	memcpy(p + 2, s, n);
	return n + 2;
}

static void
mq_connect(struct lc *c, const char *client_id, int clean)
{
	uint8_t b[256];
	size_t n = 0;

	n += mq_str(b + n, "MQTT");
	b[n++] = 4;			/* 3.1.1 */
	b[n++] = clean ? 0x02 : 0x00;
	b[n++] = 0;			/* keep alive: none (idle connections stay) */
	b[n++] = 0;
	n += mq_str(b + n, client_id);
	mq_send(c, 0x10, b, n);
}

static void
mq_subscribe(struct lc *c, const char *topic)
{
	uint8_t b[300];
	size_t n = 0;

	b[n++] = 0;
	b[n++] = 1;			/* packet id */
	n += mq_str(b + n, topic);
	b[n++] = 1;			/* QoS 1 */
	mq_send(c, 0x82, b, n);
}

static void
mq_publish(struct lc *c, const char *topic, uint16_t pid, const uint8_t *payload, size_t plen)
{
	uint8_t hdr[300 + 5], first = 0x32;	/* PUBLISH, QoS 1 */
	size_t n = 0, h;
	uint8_t b[300];

	n += mq_str(b + n, topic);
	b[n++] = (uint8_t)(pid >> 8);
	b[n++] = (uint8_t)pid;
	hdr[0] = first;
	h = 1 + mq_varint(hdr + 1, n + plen);
	memcpy(hdr + h, b, n);
	bufferevent_write(c->bev, hdr, h + n);
	bufferevent_write(c->bev, payload, plen);
}

static void
mq_puback(struct lc *c, uint16_t pid)
{
	uint8_t b[2] = { (uint8_t)(pid >> 8), (uint8_t)pid };

	mq_send(c, 0x40, b, 2);
}

static void
read_parley(struct lc *c, struct evbuffer *in)
{
	struct lg *g = c->g;

	while (c->state != LC_DEAD) {
		size_t avail = evbuffer_get_length(in);
		uint8_t hdr[4], *body;
		uint32_t len;
		Parley__Frame *f;

		if (avail < 4)
			return;
		evbuffer_copyout(in, hdr, 4);
		if (frame_check_len(hdr, RECV_MAX, &len) != 0) {
			lc_kill(c, "the server sent a frame of impossible length");
			return;
		}
		if (avail < 4 + (size_t)len)
			return;
		body = evbuffer_pullup(in, 4 + (ssize_t)len) + 4;
		f = parley__frame__unpack(NULL, len, body);
		if (f == NULL) {
			lc_kill(c, "the server sent an undecodable frame");
			evbuffer_drain(in, 4 + len);
			return;
		}
		on_frame(c, f, 4 + (size_t)len);
		parley__frame__free_unpacked(f, NULL);
		/* on_frame may have killed c (its buffer is gone with it) */
		if (c->state == LC_DEAD)
			return;
		evbuffer_drain(in, 4 + len);
		(void)g;
	}
}

static void
read_mqtt(struct lc *c, struct evbuffer *in)
{
	while (c->state != LC_DEAD) {
		size_t avail = evbuffer_get_length(in), rem = 0, i, mul = 1;
		uint8_t hdr[5], *p;

		if (avail < 2)
			return;
		evbuffer_copyout(in, hdr, avail < 5 ? avail : 5);
		for (i = 1; i < 5 && i < avail; i++) {
			rem += (size_t)(hdr[i] & 0x7f) * mul;
			mul *= 128;
			if (!(hdr[i] & 0x80))
				break;
		}
		if (i == 5) {
			lc_kill(c, "bad MQTT length");
			return;
		}
		if (i >= avail || avail < i + 1 + rem)
			return;
		p = evbuffer_pullup(in, (ssize_t)(i + 1 + rem));
		on_mqtt(c, p[0] >> 4, p[0] & 0x0f, p + i + 1, rem);
		if (c->state == LC_DEAD)
			return;
		evbuffer_drain(in, i + 1 + rem);
	}
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct lc *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (c->ep != NULL) {
		read_parley(c, in);
		if (c->state != LC_DEAD)
			send_acks(c);
	} else
		read_mqtt(c, in);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct lc *c = arg;
	char why[300];
	unsigned long e;

	if (what & BEV_EVENT_CONNECTED) {
		if (c->ep != NULL) {
			X509 *peer = SSL_get1_peer_certificate(bufferevent_openssl_get_ssl(bev));
			uint8_t pin[32];
			char hex[65];
			int rc = peer ? crypto_cert_pin(peer, pin) : -1;
			X509_free(peer);
			if (rc == 0)
				hex_encode(pin, 32, hex);
			if (rc != 0 || strcasecmp(hex, c->ep->pin) != 0) {
				lc_kill(c, "the server's certificate does not have the pinned pin");
				return;
			}
			c->state = LC_HELLO;
			send_hello(c);
		} else {
			c->state = LC_HELLO;
			on_ready(c);	/* MQTT: the mode sends CONNECT */
		}
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
		e = bufferevent_get_openssl_error(bev);
		if (e != 0)
			ERR_error_string_n(e, why, sizeof(why));
		else if (what & BEV_EVENT_EOF)
			snprintf(why, sizeof(why), "connection closed by the server");
		else
			snprintf(why, sizeof(why), "connection error: %s",
			    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		lc_kill(c, why);
	}
}

/* The TCP connect finished: start TLS on the socket. */
static void
tcp_done(evutil_socket_t fd, short what, void *arg)
{
	struct lc *c = arg;
	struct lg *g = c->g;
	int err = 0;
	socklen_t elen = sizeof(err);
	SSL *ssl;

	(void)what;
	event_free(c->conn_ev);
	c->conn_ev = NULL;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0) {
		char why[200];
		snprintf(why, sizeof(why), "connect: %s", strerror(err ? err : errno));
		lc_kill(c, why);
		return;
	}
	if (g->o.mode == M_FIRST_COPY && g->t_listen == 0)
		g->t_listen = now_ns();
	if ((ssl = SSL_new(c->ep ? c->ep->ctx : g->mqtt_ctx)) == NULL) {
		lc_kill(c, "SSL_new failed");
		return;
	}
	c->bev = bufferevent_openssl_socket_new(g->base, fd, ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		SSL_free(ssl);
		lc_kill(c, "cannot make a bufferevent");
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	c->state = LC_TLS;
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
track(struct lg *g, struct lc *c)
{
	if (g->nconns == g->capconns) {
		g->capconns = g->capconns ? g->capconns * 2 : 64;
		if ((g->conns = realloc(g->conns, g->capconns * sizeof(*g->conns))) == NULL)
			die("out of memory");
	}
	c->slot = g->nconns;
	g->conns[g->nconns++] = c;
}

/* Start a connection (TCP, then TLS, then Hello or the MQTT CONNECT). */
static struct lc *
lc_new(struct lg *g, struct ep *ep)
{
	struct lc *c = calloc(1, sizeof(*c));
	int one = 1, fd;

	if (c == NULL)
		die("out of memory");
	c->g = g;
	c->ep = ep;
	c->fd = -1;
	c->sub = -1;
	c->serial = ++g->serial;
	c->state = LC_TCP;
	track(g, c);
	fd = socket(g->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		char why[200];
		snprintf(why, sizeof(why), "socket: %s", strerror(errno));
		lc_kill(c, why);
		return c;
	}
	c->fd = fd;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&g->addr, g->addrlen) != 0 && errno != EINPROGRESS) {
		char why[200];
		snprintf(why, sizeof(why), "connect: %s", strerror(errno));
		lc_kill(c, why);
		return c;
	}
	c->conn_ev = event_new(g->base, fd, EV_WRITE, tcp_done, c);
	if (c->conn_ev == NULL || event_add(c->conn_ev, NULL) != 0)
		lc_kill(c, "event_add failed");
	return c;
}

/* Forget dead connections (handshake/idle modes churn through many). */
static void
reap(struct lg *g)
{
	size_t i, j = 0;

	for (i = 0; i < g->nconns; i++) {
		if (g->conns[i]->state == LC_DEAD) {
			lc_free(g->conns[i]);
			continue;
		}
		g->conns[i]->slot = j;
		g->conns[j++] = g->conns[i];
	}
	g->nconns = j;
	g->ndead = 0;
}

/* ---- requests ---- */

static void
send_fetch(struct lc *c)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__Fetch fe = PARLEY__FETCH__INIT;

	f.id = ID_FETCH;
	f.body_case = PARLEY__FRAME__BODY_FETCH;
	f.fetch = &fe;
	send_frame(c, &f);
}

static void
send_show(struct lc *c, size_t a)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__ShowRequest s = PARLEY__SHOW_REQUEST__INIT;

	s.agreement = c->g->ag[a].id;
	f.id = ID_SHOW + a;
	f.body_case = PARLEY__FRAME__BODY_SHOW;
	f.show = &s;
	send_frame(c, &f);
}

/* One Ack for the deliveries read since the last (at most ack_batch). */
static void
send_acks(struct lc *c)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__Ack a = PARLEY__ACK__INIT;
	struct lg *g = c->g;
	size_t i, n = c->nackq;

	if (n == 0)
		return;
	c->nackq = 0;
	a.delivery_id = c->ackq[0];
	a.n_more = n - 1;
	a.more = c->ackq + 1;
	f.id = ID_ACK + (++g->ack_seq << 9) + n;
	f.body_case = PARLEY__FRAME__BODY_ACK;
	f.ack = &a;
	if (c->got && c->bundle_ack == 0)
		for (i = 0; i < n; i++)
			if (c->ackq[i] == c->bundle_did)
				c->bundle_ack = f.id;
	if (send_frame(c, &f) == 0) {
		g->acks_sent += n;
		g->outstanding += n;
	}
}

/* Queue an ack for delivery did: sent when the batch is full or at the
 * end of the read that brought it. */
static void
queue_ack(struct lc *c, uint64_t did)
{
	if (c->ackq == NULL &&
	    (c->ackq = malloc((size_t)c->g->o.ack_batch * sizeof(*c->ackq))) == NULL)
		die("out of memory");
	c->ackq[c->nackq++] = did;
	if (c->nackq >= c->ack_max)
		send_acks(c);
}

/* The connection that signs agreement a for party p. */
static struct lc *
signer_conn(struct lg *g, size_t a, size_t p)
{
	struct party *pt = &g->parties[p];

	return pt->conns[a % pt->nconns];
}

/* Sign every (agreement, party) copy now, so that the timed part only
 * sends bytes: the load generator must not be what limits the rate. */
static void
presign(struct lg *g)
{
	size_t a, p, n = g->nag * g->nparties;

	if ((g->frames = calloc(n, sizeof(*g->frames))) == NULL ||
	    (g->flen = calloc(n, sizeof(*g->flen))) == NULL)
		die("out of memory");
	for (a = 0; a < g->nag; a++) {
		for (p = 0; p < g->nparties; p++) {
			struct lc *c = signer_conn(g, a, p);
			Parley__Frame f = PARLEY__FRAME__INIT;
			Parley__SignRequest sr = PARLEY__SIGN_REQUEST__INIT;
			uint8_t *payload, sig[64];
			size_t plen;

			if (c->ep->signer == NULL)
				die("%s has no signer key", c->ep->path);
			if (sign_payload(g->ag[a].id, g->ag[a].revision, g->ag[a].hash,
			    g->parties[p].code, "", &payload, &plen) != 0 ||
			    crypto_sign(c->ep->signer, payload, plen, sig) != 0)
				die("cannot sign");
			free(payload);
			sr.agreement = g->ag[a].id;
			sr.revision = g->ag[a].revision;
			sr.content_hash.data = g->ag[a].hash;
			sr.content_hash.len = 32;
			sr.party = g->parties[p].code;
			sr.role = "";
			sr.signer_key.data = c->ep->signer_pub;
			sr.signer_key.len = 32;
			sr.signature.data = sig;
			sr.signature.len = 64;
			sr.text = "";
			f.id = 1 + a * g->nparties + p;
			f.body_case = PARLEY__FRAME__BODY_SIGN;
			f.sign = &sr;
			if (frame_pack(&f, RECV_MAX, &g->frames[a * g->nparties + p],
			    &g->flen[a * g->nparties + p]) != 0)
				die("cannot pack a sign request");
		}
	}
}

static void
send_sign(struct lg *g, size_t a, size_t p)
{
	struct lc *c = signer_conn(g, a, p);
	size_t k = a * g->nparties + p;

	if (c->state == LC_DEAD || bufferevent_write(c->bev, g->frames[k], g->flen[k]) != 0) {
		note_error(g, "cannot send a signed copy: connection lost");
		return;
	}
	g->sent++;
	g->outstanding++;
}

/* ---- modes ---- */

enum { P_CONNECT, P_FETCH, P_RUN, P_DONE };

static void
sign_launch(struct lg *g)
{
	size_t p;

	while (g->running && g->next_ag < g->nag && g->inflight_ag < (size_t)g->o.inflight) {
		size_t a = g->next_ag++;
		g->inflight_ag++;
		for (p = 0; p < g->nparties; p++)
			send_sign(g, a, p);
	}
}

static void
sign_check_done(struct lg *g)
{
	if (g->outstanding == 0 && (!g->running || g->next_ag == g->nag))
		finish(g);
}

/* Latency: one agreement at a time; first every party but the last signs,
 * then the last copy goes in and the clock runs until every connection has
 * acked the bundle. */
static void
latency_next(struct lg *g)
{
	size_t p, i;

	if (!g->running || g->sample >= g->nag || g->nlat >= (size_t)g->o.samples) {
		finish(g);
		return;
	}
	for (i = 0; i < g->nconns; i++) {
		g->conns[i]->got = g->conns[i]->acked = 0;
		g->conns[i]->bundle_did = g->conns[i]->bundle_ack = 0;
	}
	g->s_step = 1;
	g->ag[g->sample].replies = 0;
	for (p = 0; p + 1 < g->nparties; p++)
		send_sign(g, g->sample, p);
	if (g->nparties == 1) {
		g->s_step = 2;
		g->s_t0 = now_ns();
		g->s_tok = 0;
		send_sign(g, g->sample, 0);
	}
}

static void
latency_check(struct lg *g)
{
	size_t i;

	if (g->s_step != 2 || g->s_tok == 0)
		return;
	for (i = 0; i < g->nconns; i++)
		if (!g->conns[i]->acked)
			return;
	g->lat[g->nlat] = now_ns() - g->s_t0;
	g->lat_ok[g->nlat] = g->s_tok - g->s_t0;
	g->nlat++;
	g->sample++;
	latency_next(g);
}

static void
sign_reply(struct lg *g, struct lc *c, const Parley__Frame *f)
{
	size_t a = (size_t)((f->id - 1) / g->nparties), p = (size_t)((f->id - 1) % g->nparties);
	struct agr *ag;

	if (g->o.mode == M_PINNED) {
		pinned_reply(g, c, f);
		return;
	}
	if (g->o.mode == M_FIRST_COPY) {
		fc_reply(g, c, f);
		return;
	}
	(void)p;
	if (a >= g->nag) {
		note_error(g, "reply to an unknown request %llu", (unsigned long long)f->id);
		return;
	}
	ag = &g->ag[a];
	if (g->outstanding > 0)
		g->outstanding--;
	g->t_last = now_ns();
	if (f->body_case == PARLEY__FRAME__BODY_OK) {
		/* An accepted copy's answer carries no id (a copy id would count
		 * the other parties' copies: invariant 2); a duplicate's says
		 * "has already signed". */
		if (strstr(f->ok->message, "has already signed") == NULL) {
			g->accepted++;
			ag->accepted++;
		} else {
			g->dup++;
		}
	} else {
		g->refused++;
		if (f->body_case == PARLEY__FRAME__BODY_ERROR) {
			g->errors_by_code[f->error->code < 16 ? f->error->code : 15]++;
			note_error(g, "copy of agreement %llu refused: %s",
			    (unsigned long long)ag->id, f->error->message);
		}
	}
	ag->replies++;
	if (g->o.mode == M_SIGN) {
		if (ag->replies == g->nparties) {
			g->inflight_ag--;
			g->done_ag++;
			g->t_last_done = g->t_last;
			if (ag->accepted == g->nparties) {
				g->releases++;
				g->released_copies += g->nparties;
			}
			sign_launch(g);
		}
		sign_check_done(g);
		return;
	}
	/* latency */
	if (g->s_step == 1 && ag->replies == g->nparties - 1) {
		g->s_step = 2;
		g->s_tok = 0;
		g->s_t0 = now_ns();
		send_sign(g, g->sample, g->nparties - 1);
	} else if (g->s_step == 2 && ag->replies == g->nparties) {
		g->s_tok = now_ns();
		if (ag->accepted == g->nparties)
			g->releases++;
		else {
			note_error(g, "agreement %llu was not released", (unsigned long long)ag->id);
			g->running = 0;
			finish(g);
			return;
		}
		latency_check(g);
	}
}

static void
all_shown(struct lg *g)
{
	uint64_t t = now_ns();
	size_t i;

	presign(g);
	fprintf(stderr, "loadgen: %zu agreements x %zu parties signed in %.2f s\n", g->nag,
	    g->nparties, secs(now_ns() - t));
	g->phase = P_RUN;
	g->running = 1;
	/* The server's CPU over the timed part only: not the reading of the
	 * agreements before it. */
	if (g->o.mode == M_SIGN)
		g->cpu0 = proc_cpu_s(g->o.server_pid);
	g->t0 = g->t_last = now_ns();
	g->t_stop = g->t0 + (uint64_t)(g->o.seconds * 1e9);
	if (g->o.mode == M_SIGN) {
		sign_launch(g);
	} else {
		for (i = 0; i < g->nconns; i++)
			g->conns[i]->got = 0;
		latency_next(g);
	}
}

static void
on_delivery(struct lg *g, struct lc *c, const Parley__Frame *f, size_t wire_len)
{
	g->deliveries++;
	g->delivery_bytes += wire_len;
	g->t_quiet = now_ns();
	if (g->o.mode == M_LATENCY && g->phase == P_RUN && g->s_step >= 1) {
		Parley__Payload *p = parley__payload__unpack(NULL, f->delivery->payload.len,
		    f->delivery->payload.data);
		if (p != NULL && p->body_case == PARLEY__PAYLOAD__BODY_RELEASED &&
		    p->released->text != NULL &&
		    p->released->text->agreement == g->ag[g->sample].id) {
			c->got = 1;
			c->bundle_did = f->delivery->delivery_id;
		}
		if (p != NULL)
			parley__payload__free_unpacked(p, NULL);
	}
	queue_ack(c, f->delivery->delivery_id);
}

static void
ack_reply(struct lg *g, struct lc *c, const Parley__Frame *f)
{
	uint64_t n = (f->id - ID_ACK) & (2 * FRAME_ACK_MAX - 1);	/* deliveries it named */

	g->outstanding -= n < g->outstanding ? n : g->outstanding;
	if (f->body_case == PARLEY__FRAME__BODY_OK) {
		g->acks_ok += n;
		g->t_last = now_ns();
		if (g->t_first_ok == 0) {
			g->t_first_ok = g->t_last;
			g->deliveries_at_first_ok = g->deliveries;
		}
		if (g->o.mode == M_LATENCY && c->got && f->id == c->bundle_ack) {
			c->acked = 1;
			latency_check(g);
		}
	} else {
		g->acks_refused += n;
		if (f->body_case == PARLEY__FRAME__BODY_ERROR)
			note_error(g, "ack refused: %s", f->error->message);
	}
	if (g->o.mode == M_DRAIN && g->o.expect > 0 && g->acks_ok >= (uint64_t)g->o.expect)
		finish(g);
}

static void
start_handshake(struct lg *g)
{
	struct ep *e = &g->eps[g->next_ep++ % g->neps];

	g->hs_started++;
	g->active++;
	lc_new(g, e);
}

static void
idle_fill(struct lg *g)
{
	long target;

	if (g->count_idx >= g->o.ncounts)
		return;
	target = g->o.counts[g->count_idx];
	while ((long)(g->hs_started - g->hs_failed - g->hs_refused) < target &&
	    (long)(g->hs_started - g->hs_done - g->hs_failed - g->hs_refused) < g->o.concurrency) {
		g->hs_started++;
		if (g->o.mode == M_IDLE)
			lc_new(g, &g->eps[g->next_ep++ % g->neps]);
		else
			lc_new(g, NULL);
	}
}

static void
on_ready(struct lc *c)
{
	struct lg *g = c->g;
	char id[96];

	if (g->o.mode == M_PINNED && g->phase == P_RUN) {
		pinned_welcome(g, c);
		return;
	}
	if (g->o.mode == M_FIRST_COPY) {
		fc_welcome(g, c);
		return;
	}
	if (g->o.mode == M_CONNECT) {
		cn_welcome(g, c);
		return;
	}
	switch (g->o.mode) {
	case M_PINNED:	/* the connection that reads the texts first */
	case M_PRESIGN:
	case M_SIGN:
	case M_LATENCY:
	case M_DRAIN:
		c->state = LC_READY;
		g->nready++;
		if (g->nready < g->nconns)
			return;
		fprintf(stderr, "loadgen: %zu connections ready\n", g->nconns);
		if (g->o.mode == M_DRAIN) {
			size_t i;
			g->phase = P_RUN;
			g->running = 1;
			g->t0 = g->t_last = g->t_quiet = now_ns();
			g->t_stop = g->t0 + (uint64_t)(g->o.seconds * 1e9);
			for (i = 0; i < g->nconns; i++)
				send_fetch(g->conns[i]);
			return;
		}
		if (g->o.mode == M_LATENCY) {
			size_t i;
			g->phase = P_FETCH;
			g->t_quiet = now_ns();
			for (i = 0; i < g->nconns; i++)
				send_fetch(g->conns[i]);
		}
		/* A window of reads, not all at once: the daemon drops a peer
		 * whose queued replies pass max_queued_output. */
		g->shows_pending = g->nag;
		while (g->next_show < g->nag && g->next_show < SHOW_WINDOW)
			send_show(g->parties[0].conns[0], g->next_show++);
		return;
	case M_HANDSHAKE:
		g->hs_done++;
		g->active--;
		lc_kill(c, NULL);
		if (g->running)
			start_handshake(g);
		else if (g->active == 0)
			finish(g);
		return;
	case M_IDLE:
		c->state = LC_READY;
		g->nready++;
		g->hs_done++;
		send_fetch(c);	/* an endpoint on duty: attached for pushes */
		idle_fill(g);
		return;
	case M_MQTT_IDLE:
		if (c->state == LC_HELLO) {
			snprintf(id, sizeof(id), "%s-i%llu", g->mq_prefix,
			    (unsigned long long)c->serial);
			c->state = LC_TLS;	/* reused: CONNECT sent, awaiting CONNACK */
			mq_connect(c, id, 1);
			return;
		}
		c->state = LC_READY;
		g->nready++;
		g->hs_done++;
		idle_fill(g);
		return;
	case M_MQTT_RATE:
		if (c->state == LC_HELLO) {
			if (c->sub >= 0)
				snprintf(id, sizeof(id), "%s-s%d", g->mq_prefix, c->sub);
			else
				snprintf(id, sizeof(id), "%s-pub", g->mq_prefix);
			c->state = LC_TLS;
			mq_connect(c, id, c->clean);
		}
		return;
	case M_COMMIT:
	case M_ADMIN:
	case M_RTT:
	case M_CREATE:
	case M_FIRST_COPY:
	case M_CONNECT:
		return;
	}
}

static void
on_frame(struct lc *c, const Parley__Frame *f, size_t wire_len)
{
	struct lg *g = c->g;

	if (f->id == ID_HELLO) {
		if (f->body_case == PARLEY__FRAME__BODY_WELCOME) {
			/* At most what the daemon takes (1 if it does not say). */
			c->ack_max = (size_t)g->o.ack_batch;
			if (f->welcome->ack_max < c->ack_max)
				c->ack_max = f->welcome->ack_max ? f->welcome->ack_max : 1;
			on_ready(c);
			return;
		}
		note_error(g, "hello refused: %s", f->body_case == PARLEY__FRAME__BODY_ERROR ?
		    f->error->message : "unexpected answer");
		if (g->o.mode == M_HANDSHAKE) {
			g->hs_refused++;
			g->active--;
			lc_kill(c, NULL);
			if (too_many_failures(g))
				return;
			if (g->running)
				start_handshake(g);
			else if (g->active == 0)
				finish(g);
		} else if (g->o.mode == M_IDLE) {
			g->hs_refused++;
			lc_kill(c, NULL);
			if (!too_many_failures(g))
				idle_fill(g);
		} else {
			lc_kill(c, "hello refused");
		}
		return;
	}
	switch (f->body_case) {
	case PARLEY__FRAME__BODY_DELIVERY:
		on_delivery(g, c, f, wire_len);
		return;
	case PARLEY__FRAME__BODY_FETCH_DONE:
		c->fetch_done = 1;
		return;
	default:
		break;
	}
	if (f->id == ID_JOURNAL || f->id == ID_CSIGN) {
		cn_reply(g, c, f);
		return;
	}
	if (f->id >= ID_ACK) {
		ack_reply(g, c, f);
		return;
	}
	if (f->id >= ID_SHOW) {
		size_t a = (size_t)(f->id - ID_SHOW);
		if (a >= g->nag || f->body_case != PARLEY__FRAME__BODY_AGREEMENT ||
		    f->agreement->content_hash.len != 32) {
			note_error(g, "show of agreement %llu failed: %s",
			    a < g->nag ? (unsigned long long)g->ag[a].id : 0ULL,
			    f->body_case == PARLEY__FRAME__BODY_ERROR ? f->error->message :
			    "unexpected answer");
			g->exit_code = 1;
			finish(g);
			return;
		}
		g->ag[a].revision = f->agreement->revision;
		memcpy(g->ag[a].hash, f->agreement->content_hash.data, 32);
		if (!g->ag[a].shown) {
			g->ag[a].shown = 1;
			g->shows_pending--;
			if (g->next_show < g->nag)
				send_show(c, g->next_show++);
		}
		if (g->shows_pending == 0 && g->o.mode == M_SIGN)
			all_shown(g);
		else if (g->shows_pending == 0 && g->o.mode == M_PINNED && g->phase != P_RUN)
			pinned_begin(g);
		else if (g->shows_pending == 0 && g->o.mode == M_PRESIGN)
			presign_write(g);
		return;
	}
	if (f->id >= 1 && f->id < ID_HELLO) {
		sign_reply(g, c, f);
		return;
	}
	if (f->body_case == PARLEY__FRAME__BODY_ERROR) {
		g->push_errors++;
		note_error(g, "the server said: %s", f->error->message);
		return;
	}
}

static void
on_mqtt(struct lc *c, uint8_t type, uint8_t flags, const uint8_t *p, size_t n)
{
	struct lg *g = c->g;

	switch (type) {
	case 2:	/* CONNACK */
		if (n < 2 || p[1] != 0) {
			note_error(g, "MQTT CONNACK refused (%d)", n >= 2 ? p[1] : -1);
			if (g->o.mode == M_MQTT_IDLE)
				g->hs_refused++;
			lc_kill(c, NULL);
			return;
		}
		if (g->o.mode == M_MQTT_IDLE || c->sub >= 0) {
			char topic[96];
			if (c->sub >= 0)
				snprintf(topic, sizeof(topic), "%s/%d", g->mq_prefix, c->sub);
			else
				snprintf(topic, sizeof(topic), "%s/idle/%llu", g->mq_prefix,
				    (unsigned long long)c->serial);
			if (g->o.mode == M_MQTT_RATE && g->mq_step == 3) {
				/* reconnected to a kept session: messages flow now */
				if (g->t0 == 0)
					g->t0 = now_ns();
				c->state = LC_READY;
				return;
			}
			mq_subscribe(c, topic);
			return;
		}
		/* the publisher */
		c->state = LC_READY;
		g->pub = c;
		g->t_pub0 = now_ns();
		{
			int w;
			for (w = 0; w < g->o.window && g->published < (uint64_t)g->o.messages; w++) {
				char topic[96];
				static uint8_t payload[65536];
				snprintf(topic, sizeof(topic), "%s/%d", g->mq_prefix,
				    (int)(g->published % (uint64_t)g->o.subs));
				mq_publish(c, topic, (uint16_t)(g->published % 65535 + 1), payload,
				    (size_t)g->o.payload);
				g->published++;
			}
			if (g->o.live && g->t0 == 0)
				g->t0 = g->t_pub0;
		}
		return;
	case 9:	/* SUBACK */
		if (g->o.mode == M_MQTT_IDLE) {
			on_ready(c);
			return;
		}
		c->state = LC_READY;
		g->nready++;
		return;
	case 4:	/* PUBACK */
		g->puback++;
		if (g->published < (uint64_t)g->o.messages) {
			char topic[96];
			static uint8_t payload[65536];
			snprintf(topic, sizeof(topic), "%s/%d", g->mq_prefix,
			    (int)(g->published % (uint64_t)g->o.subs));
			mq_publish(c, topic, (uint16_t)(g->published % 65535 + 1), payload,
			    (size_t)g->o.payload);
			g->published++;
		}
		if (g->puback == (uint64_t)g->o.messages)
			g->t_pub1 = now_ns();
		return;
	case 3: {	/* PUBLISH */
		size_t tl;
		uint16_t pid;
		int qos = (flags >> 1) & 3;
		if (n < 2 || (tl = ((size_t)p[0] << 8) | p[1]) + 2 > n)
			return;
		g->mq_received++;
		g->delivery_bytes += n;
		g->t_last = now_ns();
		if (qos > 0 && tl + 4 <= n) {
			pid = (uint16_t)((p[tl + 2] << 8) | p[tl + 3]);
			mq_puback(c, pid);
			g->mq_acked_sent++;
		}
		return;
	}
	default:
		return;
	}
}

/* A server that refuses everything must not make the run spin. */
static int
too_many_failures(struct lg *g)
{
	if (g->hs_failed + g->hs_refused < 100 + g->hs_done)
		return 0;
	if (!g->finished) {
		note_error(g, "giving up: %llu connections failed",
		    (unsigned long long)(g->hs_failed + g->hs_refused));
		g->exit_code = 1;
		g->running = 0;
		finish(g);
	}
	return 1;
}

static void
on_dead(struct lc *c, const char *why)
{
	struct lg *g = c->g;

	switch (g->o.mode) {
	case M_HANDSHAKE:
		if (why != NULL) {
			g->hs_failed++;
			g->active--;
			note_error(g, "handshake failed: %s", why);
			if (too_many_failures(g))
				return;
			if (g->running)
				start_handshake(g);
			else if (g->active == 0)
				finish(g);
		}
		return;
	case M_IDLE:
	case M_MQTT_IDLE:
		if (why != NULL) {
			g->hs_failed++;
			note_error(g, "connection failed: %s", why);
			if (too_many_failures(g))
				return;
			if (!g->finished)
				idle_fill(g);
		}
		return;
	case M_PINNED:
		if (g->phase != P_RUN)
			break;
		/* A sample that failed: counted, and the next one follows. */
		if (why != NULL && !g->finished) {
			g->p_failed++;
			note_error(g, "sample %llu failed: %s", (unsigned long long)g->p_started, why);
			pinned_schedule(g);
		}
		return;
	case M_FIRST_COPY:
		/* not listening yet (or gone): try again in --poll-ms */
		if (why != NULL && !g->finished)
			fc_lost(g, why);
		return;
	case M_CONNECT:
		if (why != NULL && !g->finished) {
			g->p_failed++;
			note_error(g, "connect %llu failed: %s", (unsigned long long)g->p_started, why);
			pinned_schedule(g);
		}
		return;
	case M_MQTT_RATE:
		if (why != NULL && !g->finished && g->mq_step != 1) {
			note_error(g, "MQTT connection lost: %s", why);
			g->exit_code = 1;
			finish(g);
		}
		return;
	default:
		break;
	}
	if (why != NULL && !g->finished) {
		note_error(g, "connection lost: %s", why);
		g->exit_code = 1;
		finish(g);
	}
}

/* ---- pinned: one party connects and signs, one sample at a time ---- */

/* Close a sample's connection as parley does: close_notify, then the
 * socket (lc_kill; the bufferevent goes in reap()). */
static void
lc_goodbye(struct lc *c)
{
	SSL *ssl = c->bev != NULL ? bufferevent_openssl_get_ssl(c->bev) : NULL;

	if (ssl != NULL && SSL_is_init_finished(ssl))
		SSL_shutdown(ssl);
	lc_kill(c, NULL);
}

static void
pinned_next(struct lg *g)
{
	struct lc *c;

	if (g->finished)
		return;
	if (g->nlat >= (size_t)g->o.samples || g->sample >= g->nag || now_ns() >= g->t_stop) {
		finish(g);
		return;
	}
	g->s_t0 = now_ns();
	g->p_started++;
	c = lc_new(g, &g->eps[0]);
	/* A connection that failed at once was counted by on_dead, which
	 * scheduled the next sample already. */
	if (c->state != LC_DEAD)
		g->cur = c;
}

static void cn_next(struct lg *g);
static void fc_try(struct lg *g);

static void
pinned_next_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lg *g = arg;

	(void)fd;
	(void)what;
	if (g->o.mode == M_CONNECT)
		cn_next(g);
	else if (g->o.mode == M_FIRST_COPY)
		fc_try(g);
	else
		pinned_next(g);
}

/* The next sample starts --interval-ms after this one started, or at once
 * if that is past: a party that connects at a steady pace stays below
 * what [limits] handshake_rate allows one address. */
static void
pinned_schedule(struct lg *g)
{
	uint64_t t = now_ns(), at = g->s_t0 + (uint64_t)g->o.interval_ms * 1000000ULL;
	struct timeval tv = { 0, 0 };

	g->cur = NULL;
	if (at > t) {
		tv.tv_sec = (time_t)((at - t) / 1000000000ULL);
		tv.tv_usec = (suseconds_t)((at - t) % 1000000000ULL / 1000);
	}
	evtimer_add(g->next_ev, &tv);
}

/* Welcome: the sample's copy goes out (each sample signs another
 * agreement, so that every copy is new). */
static void
pinned_welcome(struct lg *g, struct lc *c)
{
	size_t k = g->sample;

	if (c != g->cur) {
		lc_kill(c, NULL);
		return;
	}
	c->state = LC_READY;
	g->lat_ok[g->nlat] = now_ns() - g->s_t0;
	g->sample++;
	if (bufferevent_write(c->bev, g->frames[k], g->flen[k]) != 0) {
		lc_kill(c, "cannot send the signed copy");
		return;
	}
	g->sent++;
}

/* The answer to one prepared copy (pinned, first-copy): counted as
 * accepted, already given or refused; 1 if it was an Ok. */
static int
copy_answer(struct lg *g, const Parley__Frame *f)
{
	if (f->body_case == PARLEY__FRAME__BODY_OK) {
		if (strstr(f->ok->message, "has already signed") == NULL)
			g->accepted++;
		else
			g->dup++;
		return 1;
	}
	g->refused++;
	note_error(g, "copy refused: %s", f->body_case == PARLEY__FRAME__BODY_ERROR ?
	    f->error->message : "unexpected answer");
	return 0;
}

static void
pinned_reply(struct lg *g, struct lc *c, const Parley__Frame *f)
{
	if (c != g->cur)
		return;
	g->t_last = now_ns();
	if (copy_answer(g, f))
		g->lat[g->nlat++] = g->t_last - g->s_t0;
	lc_goodbye(c);
	pinned_schedule(g);
}

static void adm_start(struct lg *g);

/* Every text read: sign them all now (the timed part only sends bytes),
 * let the reading connection go, and start sampling. */
static void
pinned_begin(struct lg *g)
{
	presign(g);
	lc_goodbye(g->parties[0].conns[0]);
	g->phase = P_RUN;
	g->running = 1;
	g->t0 = g->t_last = now_ns();
	g->t_stop = g->t0 + (uint64_t)(g->o.seconds * 1e9);
	if (g->o.admin != NULL) {
		g->adm_on = 1;
		adm_start(g);
	}
	pinned_next(g);
}

/* ---- the admin socket's answer time ---- */

static void
adm_next_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	adm_start(arg);
}

/* A sample ended (answered when ok; why says what failed, NULL for a
 * timeout, counted by the caller).  The next starts --interval-ms after
 * this one started, never two at once. */
static void
adm_done(struct lg *g, int ok, const char *why)
{
	uint64_t t = now_ns(), at = g->adm_t0 + (uint64_t)g->o.admin_interval_ms * 1000000ULL;
	struct timeval tv = { 0, 0 };
	struct bufferevent *b = g->adm;

	if (b == NULL)
		return;
	g->adm = NULL;
	/* freed at the next start: never inside its own callbacks */
	bufferevent_setcb(b, NULL, NULL, NULL, NULL);
	bufferevent_disable(b, EV_READ | EV_WRITE);
	g->adm_old = b;
	if (ok) {
		if (g->nadm == g->capadm) {
			g->capadm = g->capadm ? g->capadm * 2 : 256;
			if ((g->adm_lat = realloc(g->adm_lat, g->capadm * sizeof(*g->adm_lat))) == NULL)
				die("out of memory");
		}
		g->adm_lat[g->nadm++] = t - g->adm_t0;
	} else if (why != NULL) {
		g->adm_failed++;
		note_error(g, "admin socket: %s", why);
	}
	if (at > t) {
		tv.tv_sec = (time_t)((at - t) / 1000000000ULL);
		tv.tv_usec = (suseconds_t)((at - t) % 1000000000ULL / 1000);
	}
	if (g->adm_on)
		evtimer_add(g->adm_ev, &tv);
}

static void
adm_send(struct lg *g, Parley__Frame *f)
{
	uint8_t *buf;
	size_t len;

	if (frame_pack(f, RECV_MAX, &buf, &len) != 0) {
		adm_done(g, 0, "cannot pack a frame");
		return;
	}
	if (bufferevent_write(g->adm, buf, len) != 0)
		adm_done(g, 0, "cannot write");
	free(buf);
}

static void
adm_read(struct bufferevent *bev, void *arg)
{
	struct lg *g = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (g->adm == bev && evbuffer_get_length(in) >= 4) {
		uint8_t hdr[4], *body;
		uint32_t len;
		Parley__Frame *f;

		evbuffer_copyout(in, hdr, 4);
		if (frame_check_len(hdr, RECV_MAX, &len) != 0) {
			adm_done(g, 0, "a frame of impossible length");
			return;
		}
		if (evbuffer_get_length(in) < 4 + (size_t)len)
			return;
		body = evbuffer_pullup(in, 4 + (ssize_t)len) + 4;
		if ((f = parley__frame__unpack(NULL, len, body)) == NULL) {
			adm_done(g, 0, "an undecodable frame");
			return;
		}
		evbuffer_drain(in, 4 + len);
		if (f->id == 1 && f->body_case == PARLEY__FRAME__BODY_WELCOME) {
			Parley__Frame r = PARLEY__FRAME__INIT;
			Parley__AdminRequest a = PARLEY__ADMIN_REQUEST__INIT;

			a.verb = "status";
			r.id = 2;
			r.body_case = PARLEY__FRAME__BODY_ADMIN;
			r.admin = &a;
			adm_send(g, &r);
		} else if (f->id == 2 && f->body_case == PARLEY__FRAME__BODY_ADMIN_REPLY &&
		    f->admin_reply->status == 0) {
			adm_done(g, 1, NULL);
		} else {
			adm_done(g, 0, f->body_case == PARLEY__FRAME__BODY_ERROR ?
			    f->error->message : "unexpected answer");
		}
		parley__frame__free_unpacked(f, NULL);
	}
}

static void
adm_event(struct bufferevent *bev, short what, void *arg)
{
	struct lg *g = arg;

	if (g->adm != bev)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		Parley__Frame f = PARLEY__FRAME__INIT;
		Parley__Hello h = PARLEY__HELLO__INIT;

		h.version = PARLEY_PROTOCOL_VERSION;
		h.agent = "parley-loadgen/1";
		f.id = 1;
		f.body_case = PARLEY__FRAME__BODY_HELLO;
		f.hello = &h;
		adm_send(g, &f);
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF))
		adm_done(g, 0, what & BEV_EVENT_EOF ? "closed by parleyd" :
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/* One sample: connect, Hello, "status", answer; a fresh connection each
 * time, as parleyctl makes. */
static void
adm_start(struct lg *g)
{
	struct sockaddr_un sun;
	struct bufferevent *b;

	if (g->adm_old != NULL) {
		bufferevent_free(g->adm_old);
		g->adm_old = NULL;
	}
	if (g->finished || !g->adm_on)
		return;
	if (g->o.mode == M_ADMIN && now_ns() >= g->t_stop) {
		finish(g);
		return;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(g->o.admin) >= sizeof(sun.sun_path))
		die("admin socket path too long: %s", g->o.admin);
	memcpy(sun.sun_path, g->o.admin, strlen(g->o.admin));
	g->adm_t0 = now_ns();
	if ((b = bufferevent_socket_new(g->base, -1, BEV_OPT_CLOSE_ON_FREE)) == NULL)
		die("cannot make a bufferevent");
	g->adm = b;
	bufferevent_setcb(b, adm_read, NULL, adm_event, g);
	bufferevent_enable(b, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(b, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		char why[300];
		snprintf(why, sizeof(why), "cannot connect to %s: %s", g->o.admin,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		adm_done(g, 0, why);
	}
}

/* SIGTERM/SIGINT (pinned, admin): stop and report what was measured. */
static void
sig_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lg *g = arg;

	(void)fd;
	(void)what;
	g->stopped = 1;
	finish(g);
}

/* ---- presign: one endpoint's signed copies, to a file ---- */

/* Every text read and signed (presign): the packed SignRequests, one per
 * agreement in the order of --agreements, into --out.  Each is a whole
 * frame (length and body), as first-copy sends it. */
static void
presign_write(struct lg *g)
{
	size_t i, n;
	FILE *f;

	presign(g);
	lc_goodbye(g->parties[0].conns[0]);
	n = g->nag * g->nparties;
	if ((f = fopen(g->o.out, "w")) == NULL) {
		note_error(g, "cannot write %s: %s", g->o.out, strerror(errno));
		g->exit_code = 1;
		finish(g);
		return;
	}
	for (i = 0; i < n; i++)
		if (fwrite(g->frames[i], 1, g->flen[i], f) != g->flen[i])
			break;
	if (fclose(f) != 0 || i < n) {
		note_error(g, "cannot write %s: %s", g->o.out, strerror(errno));
		g->exit_code = 1;
	}
	g->t_end = now_ns();
	finish(g);
}

/* ---- first-copy: from parleyd's exec to its first accepted copy ---- */

static int64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + (int64_t)ts.tv_nsec;
}

/* --since FILE: a wall-clock time as bash's $EPOCHREALTIME writes it
 * ("1733551234.123456"), in nanoseconds; -1 if there is none. */
static int64_t
read_since(const char *path)
{
	char buf[64], *dot, *end;
	long long sec;
	int64_t ns = 0, scale = 100000000;
	size_t n;
	FILE *f;

	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	sec = strtoll(buf, &end, 10);
	if (end == buf || sec <= 0)
		return -1;
	if ((dot = end)[0] == '.' || dot[0] == ',')
		for (dot++; *dot >= '0' && *dot <= '9' && scale > 0; dot++, scale /= 10)
			ns += (int64_t)(*dot - '0') * scale;
	return (int64_t)sec * 1000000000LL + ns;
}

/* One connect attempt to a parleyd that may not listen yet. */
static void
fc_try(struct lg *g)
{
	struct lc *c;

	if (g->finished)
		return;
	g->cur = NULL;
	if (now_ns() >= g->t_stop) {
		note_error(g, "no copy accepted within %.0f s (%llu connects tried)", g->o.seconds,
		    (unsigned long long)g->fc_attempts);
		g->exit_code = 1;
		finish(g);
		return;
	}
	g->fc_attempts++;
	c = lc_new(g, &g->eps[0]);
	if (c->state != LC_DEAD)
		g->cur = c;
}

/* An attempt that ended before an answer: refused (nothing listens yet)
 * or lost; the next one in --poll-ms. */
static void
fc_lost(struct lg *g, const char *why)
{
	struct timeval tv;

	if (strncmp(why, "connect:", 8) == 0)
		g->fc_refused_conn++;
	else {
		g->fc_lost++;
		note_error(g, "attempt %llu lost: %s", (unsigned long long)g->fc_attempts, why);
	}
	g->cur = NULL;
	tv.tv_sec = g->o.poll_ms / 1000;
	tv.tv_usec = (suseconds_t)(g->o.poll_ms % 1000) * 1000;
	evtimer_add(g->next_ev, &tv);
}

static void
fc_welcome(struct lg *g, struct lc *c)
{
	if (c != g->cur) {
		lc_kill(c, NULL);
		return;
	}
	c->state = LC_READY;
	g->t_welcome = now_ns();
	if (bufferevent_write(c->bev, g->fc_frame, g->fc_len) != 0) {
		lc_kill(c, "cannot send the signed copy");
		return;
	}
	g->sent++;
}

static void
fc_reply(struct lg *g, struct lc *c, const Parley__Frame *f)
{
	if (c != g->cur)
		return;
	g->t_ok = now_ns();
	if (!copy_answer(g, f))
		g->exit_code = 1;
	lc_goodbye(c);
	g->cur = NULL;
	finish(g);
}

/* --frames FILE: the --index'th frame presign wrote. */
static void
fc_load(struct lg *g)
{
	char err[300];
	size_t len, off = 0;
	uint8_t *buf;
	uint32_t n;
	int k = 0;

	if ((buf = (uint8_t *)cl_read_file(g->o.frames, 64u * 1024 * 1024, &len, err,
	    sizeof(err))) == NULL)
		die("%s", err);
	while (off + 4 <= len) {
		if (frame_check_len(buf + off, RECV_MAX, &n) != 0 || off + 4 + n > len)
			die("%s: not a file of frames", g->o.frames);
		if (k == g->o.index) {
			if ((g->fc_frame = malloc(4 + (size_t)n)) == NULL)
				die("out of memory");
			memcpy(g->fc_frame, buf + off, 4 + (size_t)n);
			g->fc_len = 4 + (size_t)n;
			break;
		}
		off += 4 + (size_t)n;
		k++;
	}
	free(buf);
	if (g->fc_frame == NULL)
		die("%s holds no frame %d", g->o.frames, g->o.index);
}

/* ---- connect: a party's connect, the record held to what it knew ---- */

static void
cn_next(struct lg *g)
{
	struct lc *c;

	if (g->finished)
		return;
	g->cur = NULL;
	if (g->nlat >= (size_t)g->o.samples || now_ns() >= g->t_stop) {
		finish(g);
		return;
	}
	g->s_t0 = now_ns();
	g->p_started++;
	c = lc_new(g, &g->eps[0]);
	if (c->state != LC_DEAD)
		g->cur = c;
}

/* Welcome: ask for the record's latest checkpoint and the proof that it
 * extends the one this party holds (known_size 0: none held). */
static void
cn_welcome(struct lg *g, struct lc *c)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__JournalRequest jr = PARLEY__JOURNAL_REQUEST__INIT;

	if (c != g->cur) {
		lc_kill(c, NULL);
		return;
	}
	c->state = LC_READY;
	g->lat_ok[g->nlat] = now_ns() - g->s_t0;
	jr.known_size = g->known != NULL ? g->known->size : 0;
	f.id = ID_JOURNAL;
	f.body_case = PARLEY__FRAME__BODY_JOURNAL_REQUEST;
	f.journal_request = &jr;
	if (send_frame(c, &f) != 0)
		lc_kill(c, "cannot send the journal request");
}

/* The sample ends (ok or not); the next one follows. */
static void
cn_end(struct lg *g, struct lc *c, int ok, const char *why)
{
	if (ok)
		g->lat[g->nlat++] = now_ns() - g->s_t0;
	else {
		g->refused++;
		note_error(g, "connect %llu: %s", (unsigned long long)g->p_started, why);
	}
	lc_goodbye(c);
	pinned_schedule(g);
}

/* The journal reply, checked as parley checks it (clients/cl_record.c:
 * the checkpoint's signature, the proof from the one held), then the
 * countersignature of the new checkpoint; or the countersignature's Ok. */
static void
cn_reply(struct lg *g, struct lc *c, const Parley__Frame *f)
{
	Parley__Frame r = PARLEY__FRAME__INIT;
	Parley__Countersign cs = PARLEY__COUNTERSIGN__INIT;
	const Parley__JournalReply *jr;
	struct ep *e = c->ep;
	char origin[64], why[300];
	uint8_t sig[64];

	if (c != g->cur)
		return;
	if (f->id == ID_CSIGN) {
		if (f->body_case == PARLEY__FRAME__BODY_OK)
			g->accepted++;
		cn_end(g, c, f->body_case == PARLEY__FRAME__BODY_OK,
		    f->body_case == PARLEY__FRAME__BODY_ERROR ? f->error->message :
		    "unexpected answer to the countersignature");
		return;
	}
	if (f->body_case != PARLEY__FRAME__BODY_JOURNAL_REPLY) {
		cn_end(g, c, 0, f->body_case == PARLEY__FRAME__BODY_ERROR ? f->error->message :
		    "unexpected answer to the journal request");
		return;
	}
	g->lat_reply[g->nlat] = now_ns() - g->s_t0;
	jr = f->journal_reply;
	if (*jr->checkpoint == '\0') {
		cn_end(g, c, 0, "the record has no checkpoint");
		return;
	}
	if (checkpoint_origin(e->mediator_pub, origin) != 0 ||
	    checkpoint_parse(jr->checkpoint, strlen(jr->checkpoint), g->seen, why,
	    sizeof(why)) != 0 ||
	    checkpoint_verify(g->seen, e->mediator_pub, origin, why, sizeof(why)) != 0) {
		cn_end(g, c, 0, "the checkpoint does not verify");
		return;
	}
	if (g->known != NULL && (g->seen->size < g->known->size ||
	    jr->proof.len % MERKLE_HASH_LEN != 0 ||
	    merkle_verify_consistency(g->known->size, g->seen->size, g->known->root,
	    g->seen->root, jr->proof.data, jr->proof.len / MERKLE_HASH_LEN) != 0)) {
		cn_end(g, c, 0, "the record is not consistent with the checkpoint held");
		return;
	}
	g->tree_size = g->seen->size;
	g->proof_hashes = jr->proof.len / MERKLE_HASH_LEN;
	if (e->signer == NULL || crypto_sign(e->signer, (const uint8_t *)g->seen->body,
	    g->seen->body_len, sig) != 0) {
		cn_end(g, c, 0, "cannot countersign (no signer key)");
		return;
	}
	cs.size = g->seen->size;
	cs.signer_key.data = e->signer_pub;
	cs.signer_key.len = 32;
	cs.signature.data = sig;
	cs.signature.len = 64;
	r.id = ID_CSIGN;
	r.body_case = PARLEY__FRAME__BODY_COUNTERSIGN;
	r.countersign = &cs;
	if (send_frame(c, &r) != 0)
		cn_end(g, c, 0, "cannot send the countersignature");
}

/* The checkpoint the party holds: --checkpoint FILE, or the one parley
 * keeps in the endpoint's directory; none (known_size 0) if neither. */
static void
cn_load(struct lg *g)
{
	char path[4200], err[300], origin[64];
	struct ep *e = &g->eps[0];
	const char *p = g->o.checkpoint;
	struct stat sb;
	char *text;
	size_t len;

	if ((g->seen = calloc(1, sizeof(*g->seen))) == NULL)
		die("out of memory");
	if (p == NULL) {
		snprintf(path, sizeof(path), "%s/checkpoint", e->dir);
		if (stat(path, &sb) != 0)
			return;
		p = path;
	}
	if ((text = cl_read_file(p, CHECKPOINT_MAX_LEN, &len, err, sizeof(err))) == NULL)
		die("%s", err);
	if ((g->known = calloc(1, sizeof(*g->known))) == NULL)
		die("out of memory");
	if (checkpoint_origin(e->mediator_pub, origin) != 0 ||
	    checkpoint_parse(text, len, g->known, err, sizeof(err)) != 0 ||
	    checkpoint_verify(g->known, e->mediator_pub, origin, err, sizeof(err)) != 0)
		die("%s: not a checkpoint of this mediator: %s", p, err);
	free(text);
}

/* ---- create: agreements created and circulated over the admin socket ---- */

#define TITLE_MAX 200	/* daemon/agreement.h */

#define ID_CREATE	(1ULL << 53)	/* + request index */
#define ID_CIRC		(1ULL << 54)	/* + request index */

static void
cr_send(struct lg *g, uint64_t id, const char *verb, Parley__AdminArg **args, size_t n)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__AdminRequest a = PARLEY__ADMIN_REQUEST__INIT;
	uint8_t *buf;
	size_t len;

	a.verb = (char *)verb;
	a.n_args = n;
	a.args = args;
	f.id = id;
	f.body_case = PARLEY__FRAME__BODY_ADMIN;
	f.admin = &a;
	if (frame_pack(&f, RECV_MAX, &buf, &len) != 0)
		die("cannot pack an admin request");
	if (bufferevent_write(g->adm, buf, len) != 0) {
		note_error(g, "cannot write to the admin socket");
		g->exit_code = 1;
		finish(g);
	}
	free(buf);
}

/* As many agreements in progress (created, or circulating) as --window. */
static void
cr_pump(struct lg *g)
{
	while (!g->finished && g->c_next < (size_t)g->o.count &&
	    g->c_inflight < (size_t)g->o.window) {
		Parley__AdminArg at = PARLEY__ADMIN_ARG__INIT, ax = PARLEY__ADMIN_ARG__INIT;
		Parley__AdminArg ap = PARLEY__ADMIN_ARG__INIT, *args[3] = { &at, &ax, &ap };
		size_t i = g->c_next++;
		char title[TITLE_MAX + 1];

		snprintf(title, sizeof(title), "%.*s %zu", TITLE_MAX - 12, g->o.title, i + 1);
		at.key = "title";
		at.value.data = (uint8_t *)title;
		at.value.len = strlen(title);
		ax.key = "text";
		ax.value.data = (uint8_t *)g->c_text;
		ax.value.len = g->c_text_len;
		ap.key = "parties";
		ap.value.data = (uint8_t *)g->o.parties;
		ap.value.len = strlen(g->o.parties);
		g->c_inflight++;
		cr_send(g, ID_CREATE + i, "agreement create", args, 3);
	}
	if (!g->finished && g->c_inflight == 0 && g->c_next == (size_t)g->o.count)
		finish(g);
}

static void
cr_answer(struct lg *g, const Parley__Frame *f)
{
	const Parley__AdminReply *ar = f->body_case == PARLEY__FRAME__BODY_ADMIN_REPLY ?
	    f->admin_reply : NULL;
	int ok = ar != NULL && ar->status == 0;
	const char *why = ar != NULL ? ar->text : f->body_case == PARLEY__FRAME__BODY_ERROR ?
	    f->error->message : "unexpected answer";

	if (f->id >= ID_CIRC && f->id - ID_CIRC < (uint64_t)g->o.count) {
		size_t i = (size_t)(f->id - ID_CIRC);
		g->c_inflight--;
		if (ok) {
			g->c_circulated++;
			g->c_done[i] = 1;
			g->t_last = now_ns();
		} else {
			g->c_refused++;
			note_error(g, "circulate %lld refused: %s", (long long)g->c_ids[i], why);
		}
	} else if (f->id >= ID_CREATE && f->id - ID_CREATE < (uint64_t)g->o.count) {
		size_t i = (size_t)(f->id - ID_CREATE);
		const char *p = ok && ar->json != NULL ? strstr(ar->json, "\"id\":") : NULL;
		long long id = p != NULL ? strtoll(p + 5, NULL, 10) : 0;
		if (id > 0) {
			Parley__AdminArg a1 = PARLEY__ADMIN_ARG__INIT, *args[1] = { &a1 };
			char num[32];
			g->c_created++;
			g->t_created_last = now_ns();
			g->c_ids[i] = id;
			snprintf(num, sizeof(num), "%lld", id);
			a1.key = "1";
			a1.value.data = (uint8_t *)num;
			a1.value.len = strlen(num);
			cr_send(g, ID_CIRC + i, "agreement circulate", args, 1);
			return;
		}
		g->c_inflight--;
		g->c_refused++;
		note_error(g, "agreement create refused: %s", why);
	} else {
		note_error(g, "admin socket: %s", why);
		g->exit_code = 1;
		finish(g);
		return;
	}
	cr_pump(g);
}

static void
cr_read(struct bufferevent *bev, void *arg)
{
	struct lg *g = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (!g->finished && evbuffer_get_length(in) >= 4) {
		uint8_t hdr[4], *body;
		uint32_t len;
		Parley__Frame *f;

		evbuffer_copyout(in, hdr, 4);
		if (frame_check_len(hdr, RECV_MAX, &len) != 0)
			die("the admin socket sent a frame of impossible length");
		if (evbuffer_get_length(in) < 4 + (size_t)len)
			return;
		body = evbuffer_pullup(in, 4 + (ssize_t)len) + 4;
		if ((f = parley__frame__unpack(NULL, len, body)) == NULL)
			die("the admin socket sent an undecodable frame");
		evbuffer_drain(in, 4 + len);
		if (f->id == 1) {
			if (f->body_case != PARLEY__FRAME__BODY_WELCOME) {
				note_error(g, "admin socket: hello refused");
				g->exit_code = 1;
				finish(g);
			} else {
				g->running = 1;
				g->t0 = g->t_last = now_ns();
				cr_pump(g);
			}
		} else {
			cr_answer(g, f);
		}
		parley__frame__free_unpacked(f, NULL);
	}
}

static void
cr_event(struct bufferevent *bev, short what, void *arg)
{
	struct lg *g = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		Parley__Frame f = PARLEY__FRAME__INIT;
		Parley__Hello h = PARLEY__HELLO__INIT;
		uint8_t *buf;
		size_t len;

		h.version = PARLEY_PROTOCOL_VERSION;
		h.agent = "parley-loadgen/1";
		f.id = 1;
		f.body_case = PARLEY__FRAME__BODY_HELLO;
		f.hello = &h;
		if (frame_pack(&f, RECV_MAX, &buf, &len) != 0)
			die("cannot pack a hello");
		bufferevent_write(g->adm, buf, len);
		free(buf);
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
		note_error(g, "admin socket: %s", what & BEV_EVENT_EOF ? "closed by parleyd" :
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		g->exit_code = 1;
		finish(g);
	}
}

static void
cr_start(struct lg *g)
{
	struct sockaddr_un sun;
	char err[300];

	if (g->o.admin == NULL || g->o.parties == NULL || g->o.text == NULL ||
	    g->o.out == NULL || g->o.count <= 0)
		die("create needs --admin, --parties, --text, --count and --out");
	if ((g->c_text = cl_read_file(g->o.text, 512 * 1024, &g->c_text_len, err,
	    sizeof(err))) == NULL)
		die("%s", err);
	if ((g->c_ids = calloc((size_t)g->o.count, sizeof(*g->c_ids))) == NULL ||
	    (g->c_done = calloc((size_t)g->o.count, 1)) == NULL)
		die("out of memory");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(g->o.admin) >= sizeof(sun.sun_path))
		die("admin socket path too long: %s", g->o.admin);
	memcpy(sun.sun_path, g->o.admin, strlen(g->o.admin));
	if ((g->adm = bufferevent_socket_new(g->base, -1, BEV_OPT_CLOSE_ON_FREE)) == NULL)
		die("cannot make a bufferevent");
	bufferevent_setcb(g->adm, cr_read, NULL, cr_event, g);
	bufferevent_enable(g->adm, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(g->adm, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		die("cannot connect to %s: %s", g->o.admin,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/* The agreements created and circulated, one id a line, in request order. */
static void
cr_write(struct lg *g)
{
	size_t i;
	FILE *f;

	if ((f = fopen(g->o.out, "w")) == NULL)
		die("cannot write %s: %s", g->o.out, strerror(errno));
	for (i = 0; i < g->c_next; i++)
		if (g->c_done[i])
			fprintf(f, "%lld\n", (long long)g->c_ids[i]);
	if (fclose(f) != 0)
		die("cannot write %s: %s", g->o.out, strerror(errno));
}

/* ---- MQTT rate ---- */

static void
mq_subs_connect(struct lg *g, int clean)
{
	int i;

	g->nready = 0;
	for (i = 0; i < g->o.subs; i++) {
		struct lc *c = lc_new(g, NULL);
		c->sub = i;
		c->clean = clean;
	}
}

static void
mq_tick(struct lg *g)
{
	size_t i;
	uint64_t t = now_ns();

	switch (g->mq_step) {
	case 0:	/* subscribing */
		if (g->nready < (size_t)g->o.subs)
			return;
		if (g->o.live) {
			struct lc *c;
			g->mq_step = 2;
			c = lc_new(g, NULL);
			c->clean = 1;
			return;
		}
		/* drain: leave with the sessions kept, then queue messages */
		for (i = 0; i < g->nconns; i++)
			if (g->conns[i]->state != LC_DEAD)
				lc_kill(g->conns[i], NULL);
		g->mq_step = 1;
		g->t_quiet = t;
		return;
	case 1:
		if (t - g->t_quiet < 300000000ULL)
			return;
		reap(g);
		g->mq_step = 2;
		{
			struct lc *c = lc_new(g, NULL);
			c->clean = 1;
		}
		return;
	case 2:	/* publishing */
		if (g->o.live) {
			if (g->mq_received >= (uint64_t)g->o.messages &&
			    g->puback >= (uint64_t)g->o.messages)
				finish(g);
			return;
		}
		if (g->puback < (uint64_t)g->o.messages)
			return;
		fprintf(stderr, "loadgen: %ld messages queued for %d offline subscribers\n",
		    g->o.messages, g->o.subs);
		g->mq_step = 3;
		g->t0 = 0;
		mq_subs_connect(g, 0);
		return;
	case 3:	/* draining the kept sessions */
		if (g->mq_received >= (uint64_t)g->o.messages)
			finish(g);
		return;
	}
}

/* ---- the clock ---- */

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lg *g = arg;
	uint64_t t = now_ns();

	(void)fd;
	(void)what;
	if (g->finished)
		return;
	switch (g->o.mode) {
	case M_SIGN:
		if (g->phase == P_RUN && g->running && t >= g->t_stop) {
			g->running = 0;
			sign_check_done(g);
		} else if (g->phase == P_RUN && !g->running &&
		    t >= g->t_stop + (uint64_t)(g->o.grace * 1e9)) {
			finish(g);	/* what is still unanswered is counted so */
		}
		break;
	case M_LATENCY:
		if (g->phase == P_FETCH) {
			size_t i, n = 0;
			for (i = 0; i < g->nconns; i++)
				n += g->conns[i]->fetch_done;
			if (n == g->nconns && g->outstanding == 0 && g->shows_pending == 0 &&
			    t - g->t_quiet > 200000000ULL) {
				g->deliveries = g->acks_sent = g->acks_ok = 0;
				g->delivery_bytes = 0;
				all_shown(g);
			}
		} else if (g->phase == P_RUN && g->running && t >= g->t_stop) {
			g->running = 0;	/* the sample in flight may finish first */
		} else if (g->phase == P_RUN && !g->running &&
		    t >= g->t_stop + (uint64_t)(g->o.grace * 1e9)) {
			finish(g);	/* ... within the grace */
		}
		break;
	case M_DRAIN: {
		size_t i, n = 0;
		if (g->phase != P_RUN)
			break;
		for (i = 0; i < g->nconns; i++)
			n += g->conns[i]->fetch_done;
		if (t >= g->t_stop) {
			g->running = 0;
			finish(g);
		} else if (g->o.expect <= 0 && n == g->nconns && g->outstanding == 0 &&
		    t - g->t_quiet > 300000000ULL) {
			finish(g);
		}
		break;
	}
	case M_HANDSHAKE:
		if (g->running && t >= g->t_stop) {
			g->running = 0;
			if (g->active == 0)
				finish(g);
		}
		if (g->ndead > 0)
			reap(g);
		break;
	case M_IDLE:
	case M_MQTT_IDLE:
		if (g->count_idx < g->o.ncounts &&
		    (long)g->nready >= g->o.counts[g->count_idx]) {
			if (g->t_quiet == 0) {
				g->t_quiet = t;
			} else if (t - g->t_quiet >= (uint64_t)g->o.settle_ms * 1000000ULL) {
				g->rss[g->count_idx] = proc_rss_kb(g->o.server_pid);
				fprintf(stderr, "loadgen: %ld connections: server RSS %ld kB\n",
				    g->o.counts[g->count_idx], g->rss[g->count_idx]);
				g->count_idx++;
				g->t_quiet = 0;
				if (g->count_idx == g->o.ncounts)
					finish(g);
				else
					idle_fill(g);
			}
		}
		if (g->ndead > 0)
			reap(g);
		break;
	case M_MQTT_RATE:
		mq_tick(g);
		break;
	case M_PINNED:
		if (g->phase == P_RUN && g->cur != NULL &&
		    t - g->s_t0 >= (uint64_t)(g->o.sample_timeout * 1e9)) {
			g->p_timeouts++;
			note_error(g, "sample %llu: no answer within %.0f s",
			    (unsigned long long)g->p_started, g->o.sample_timeout);
			lc_kill(g->cur, NULL);
			pinned_schedule(g);
		}
		if (g->ndead > 0)
			reap(g);
		break;
	case M_CONNECT:
		if (g->cur != NULL && t - g->s_t0 >= (uint64_t)(g->o.sample_timeout * 1e9)) {
			g->p_timeouts++;
			note_error(g, "connect %llu: no answer within %.0f s",
			    (unsigned long long)g->p_started, g->o.sample_timeout);
			lc_kill(g->cur, NULL);
			pinned_schedule(g);
		}
		if (g->ndead > 0)
			reap(g);
		break;
	case M_FIRST_COPY:
		if (t >= g->t_stop + (uint64_t)(g->o.sample_timeout * 1e9)) {
			note_error(g, "no copy accepted within %.0f s", g->o.seconds +
			    g->o.sample_timeout);
			g->exit_code = 1;
			finish(g);
		}
		if (g->ndead > 0)
			reap(g);
		break;
	case M_ADMIN:
	case M_COMMIT:
	case M_RTT:
	case M_CREATE:
	case M_PRESIGN:
		break;
	}
	if (g->o.mode != M_CREATE && g->adm != NULL &&
	    t - g->adm_t0 >= (uint64_t)(g->o.sample_timeout * 1e9)) {
		g->adm_timeouts++;
		note_error(g, "admin socket: no answer within %.0f s", g->o.sample_timeout);
		adm_done(g, 0, NULL);
	}
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lg *g = arg;

	(void)fd;
	(void)what;
	note_error(g, "time limit of %.0f s reached", g->o.max_seconds);
	g->timed_out = 1;
	g->exit_code = 1;
	finish(g);
}

static void
finish(struct lg *g)
{
	if (g->finished)
		return;
	g->finished = 1;
	g->t_end = now_ns();
	event_base_loopbreak(g->base);
}

/* ---- output ---- */

static void
json_str(FILE *f, const char *key, const char *s)
{
	fprintf(f, "\"%s\":\"", key);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile (permille) of sorted v. */
static uint64_t
pct(const uint64_t *v, size_t n, unsigned permille)
{
	size_t k;

	if (n == 0)
		return 0;
	k = (permille * n + 999) / 1000;
	return v[k ? k - 1 : 0];
}

static double
mean_ms(const uint64_t *v, size_t n)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += (double)v[i];
	return n ? sum / (double)n / 1e6 : 0.0;
}

static void
report_admin(struct lg *g, FILE *o)
{
	qsort(g->adm_lat, g->nadm, sizeof(*g->adm_lat), cmp_u64);
	fprintf(o, "\"interval_ms\":%d,\"samples\":%zu,\"failed\":%llu,\"timeouts\":%llu,"
	    "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"mean_ms\":%.3f",
	    g->o.admin_interval_ms, g->nadm, (unsigned long long)g->adm_failed,
	    (unsigned long long)g->adm_timeouts, pct(g->adm_lat, g->nadm, 500) / 1e6,
	    pct(g->adm_lat, g->nadm, 990) / 1e6, g->nadm ? g->adm_lat[g->nadm - 1] / 1e6 : 0.0,
	    mean_ms(g->adm_lat, g->nadm));
}

static void
report(struct lg *g)
{
	double el = secs((g->t_last > g->t0 ? g->t_last : g->t_end) - g->t0);
	FILE *o = stdout;
	size_t i;

	fprintf(o, "{");
	switch (g->o.mode) {
	case M_SIGN:
		/* unanswered copies at the end: the daemon had until now */
		el = secs((g->outstanding ? g->t_end : g->t_last) - g->t0);
		fprintf(o, "\"mode\":\"sign\",\"parties\":%zu,\"connections\":%zu,"
		    "\"inflight\":%d,\"agreements\":%zu,\"agreements_started\":%zu,"
		    "\"agreements_done\":%llu,\"copies_sent\":%llu,\"accepted\":%llu,"
		    "\"refused\":%llu,\"duplicate\":%llu,\"unanswered\":%llu,\"releases\":%llu,"
		    "\"elapsed_s\":%.4f,\"copies_per_s\":%.1f,\"released_copies\":%llu,"
		    "\"to_last_release_s\":%.4f,\"released_copies_per_s\":%.1f",
		    g->nparties, g->nconns, g->o.inflight, g->nag, g->next_ag,
		    (unsigned long long)g->done_ag, (unsigned long long)g->sent,
		    (unsigned long long)g->accepted, (unsigned long long)g->refused,
		    (unsigned long long)g->dup, (unsigned long long)g->outstanding,
		    (unsigned long long)g->releases, el,
		    el > 0 ? (double)g->accepted / el : 0.0,
		    (unsigned long long)g->released_copies,
		    g->t_last_done ? secs(g->t_last_done - g->t0) : 0.0,
		    g->t_last_done > g->t0 ? (double)g->released_copies /
		    secs(g->t_last_done - g->t0) : 0.0);
		/* --server-pid: its utime + stime from the clock's start to the
		 * end, all threads, over the copies accepted meanwhile */
		if (g->o.server_pid > 0 && g->cpu0 >= 0 && g->cpu1 >= g->cpu0 && g->accepted > 0)
			fprintf(o, ",\"server_cpu_s\":%.3f,\"server_cpu_s_per_copy\":%.9f",
			    g->cpu1 - g->cpu0, (g->cpu1 - g->cpu0) / (double)g->accepted);
		break;
	case M_LATENCY:
		qsort(g->lat, g->nlat, sizeof(*g->lat), cmp_u64);
		qsort(g->lat_ok, g->nlat, sizeof(*g->lat_ok), cmp_u64);
		fprintf(o, "\"mode\":\"latency\",\"parties\":%zu,\"connections\":%zu,"
		    "\"samples\":%zu,\"copies_sent\":%llu,\"accepted\":%llu,\"refused\":%llu,"
		    "\"duplicate\":%llu,\"releases\":%llu,\"deliveries\":%llu,\"acks_sent\":%llu,"
		    "\"acks_ok\":%llu,\"acks_refused\":%llu,\"unanswered\":%llu,"
		    "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
		    "\"last_copy_ok_p50_ms\":%.3f,\"last_copy_ok_p99_ms\":%.3f",
		    g->nparties, g->nconns, g->nlat, (unsigned long long)g->sent,
		    (unsigned long long)g->accepted, (unsigned long long)g->refused,
		    (unsigned long long)g->dup, (unsigned long long)g->releases,
		    (unsigned long long)g->deliveries, (unsigned long long)g->acks_sent,
		    (unsigned long long)g->acks_ok, (unsigned long long)g->acks_refused,
		    (unsigned long long)g->outstanding,
		    pct(g->lat, g->nlat, 500) / 1e6, pct(g->lat, g->nlat, 990) / 1e6,
		    g->nlat ? g->lat[g->nlat - 1] / 1e6 : 0.0,
		    pct(g->lat_ok, g->nlat, 500) / 1e6, pct(g->lat_ok, g->nlat, 990) / 1e6);
		break;
	case M_DRAIN:
		el = secs(g->t_last - g->t0);
		fprintf(o, "\"mode\":\"drain\",\"connections\":%zu,\"expect\":%ld,\"ack_batch\":%d,"
		    "\"deliveries\":%llu,\"acks_sent\":%llu,\"acks_ok\":%llu,\"acks_refused\":%llu,"
		    "\"unanswered\":%llu,\"avg_delivery_bytes\":%.0f,\"elapsed_s\":%.4f,"
		    "\"acks_per_s\":%.1f,\"first_ack_ok_s\":%.4f,\"deliveries_before_first_ok\":%llu",
		    g->nconns, g->o.expect, g->o.ack_batch, (unsigned long long)g->deliveries,
		    (unsigned long long)g->acks_sent, (unsigned long long)g->acks_ok,
		    (unsigned long long)g->acks_refused, (unsigned long long)g->outstanding,
		    g->deliveries ? (double)g->delivery_bytes / (double)g->deliveries : 0.0, el,
		    el > 0 ? (double)g->acks_ok / el : 0.0,
		    g->t_first_ok ? secs(g->t_first_ok - g->t0) : -1.0,
		    (unsigned long long)g->deliveries_at_first_ok);
		break;
	case M_HANDSHAKE: {
		double cpu = g->cpu1 - g->cpu0;
		el = secs(g->t_end - g->t0);
		fprintf(o, "\"mode\":\"handshake\",\"concurrency\":%d,\"started\":%llu,"
		    "\"completed\":%llu,\"refused\":%llu,\"failed\":%llu,\"elapsed_s\":%.4f,"
		    "\"per_s\":%.1f,\"server_cpu_s\":%.3f,\"per_server_cpu_s\":%.1f",
		    g->o.concurrency, (unsigned long long)g->hs_started,
		    (unsigned long long)g->hs_done, (unsigned long long)g->hs_refused,
		    (unsigned long long)g->hs_failed, el, el > 0 ? g->hs_done / el : 0.0,
		    cpu, cpu > 0 ? g->hs_done / cpu : 0.0);
		break;
	}
	case M_IDLE:
	case M_MQTT_IDLE:
		fprintf(o, "\"mode\":\"%s\",\"started\":%llu,\"completed\":%llu,"
		    "\"refused\":%llu,\"failed\":%llu,\"rss0_kb\":%ld,\"points\":[",
		    g->o.mode == M_IDLE ? "idle" : "mqtt-idle", (unsigned long long)g->hs_started,
		    (unsigned long long)g->hs_done, (unsigned long long)g->hs_refused,
		    (unsigned long long)g->hs_failed, g->rss0);
		for (i = 0; i < (size_t)g->count_idx; i++)
			fprintf(o, "%s{\"connections\":%ld,\"rss_kb\":%ld,\"bytes_per_conn\":%.0f}",
			    i ? "," : "", g->o.counts[i], g->rss[i],
			    g->rss[i] > 0 && g->rss0 > 0 ?
			    (double)(g->rss[i] - g->rss0) * 1024.0 / (double)g->o.counts[i] : 0.0);
		fprintf(o, "]");
		break;
	case M_MQTT_RATE:
		el = secs(g->t_last - g->t0);
		fprintf(o, "\"mode\":\"mqtt-rate\",\"style\":\"%s\",\"subscribers\":%d,"
		    "\"payload_bytes\":%d,\"window\":%d,\"published\":%llu,\"puback\":%llu,"
		    "\"received\":%llu,\"puback_sent\":%llu,\"elapsed_s\":%.4f,\"msgs_per_s\":%.1f,"
		    "\"publish_per_s\":%.1f",
		    g->o.live ? "live" : "drain", g->o.subs, g->o.payload, g->o.window,
		    (unsigned long long)g->published, (unsigned long long)g->puback,
		    (unsigned long long)g->mq_received, (unsigned long long)g->mq_acked_sent, el,
		    el > 0 ? (double)g->mq_received / el : 0.0,
		    g->t_pub1 > g->t_pub0 ? (double)g->puback / secs(g->t_pub1 - g->t_pub0) : 0.0);
		break;
	case M_PINNED:
		qsort(g->lat, g->nlat, sizeof(*g->lat), cmp_u64);
		qsort(g->lat_ok, g->nlat, sizeof(*g->lat_ok), cmp_u64);
		el = secs(g->t_end - g->t0);
		fprintf(o, "\"mode\":\"pinned\",\"interval_ms\":%d,\"agreements\":%zu,"
		    "\"started\":%llu,\"samples\":%zu,\"accepted\":%llu,\"duplicate\":%llu,"
		    "\"refused\":%llu,\"failed\":%llu,\"timeouts\":%llu,\"elapsed_s\":%.4f,"
		    "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"mean_ms\":%.3f,"
		    "\"welcome_p50_ms\":%.3f,\"welcome_p99_ms\":%.3f,\"welcome_max_ms\":%.3f",
		    g->o.interval_ms, g->nag, (unsigned long long)g->p_started, g->nlat,
		    (unsigned long long)g->accepted, (unsigned long long)g->dup,
		    (unsigned long long)g->refused, (unsigned long long)g->p_failed,
		    (unsigned long long)g->p_timeouts, el,
		    pct(g->lat, g->nlat, 500) / 1e6, pct(g->lat, g->nlat, 990) / 1e6,
		    g->nlat ? g->lat[g->nlat - 1] / 1e6 : 0.0, mean_ms(g->lat, g->nlat),
		    pct(g->lat_ok, g->nlat, 500) / 1e6, pct(g->lat_ok, g->nlat, 990) / 1e6,
		    g->nlat ? g->lat_ok[g->nlat - 1] / 1e6 : 0.0);
		if (g->o.admin != NULL) {
			fprintf(o, ",\"admin\":{");
			report_admin(g, o);
			fprintf(o, "}");
		}
		break;
	case M_ADMIN:
		el = secs(g->t_end - g->t0);
		fprintf(o, "\"mode\":\"admin\",\"elapsed_s\":%.4f,", el);
		report_admin(g, o);
		break;
	case M_CREATE:
		cr_write(g);
		el = secs(g->t_last - g->t0);
		fprintf(o, "\"mode\":\"create\",\"requested\":%d,\"window\":%d,\"started\":%zu,"
		    "\"created\":%llu,\"circulated\":%llu,\"refused\":%llu,\"in_progress_at_end\":%zu,"
		    "\"elapsed_s\":%.4f,\"circulated_per_s\":%.1f,",
		    g->o.count, g->o.window, g->c_next, (unsigned long long)g->c_created,
		    (unsigned long long)g->c_circulated, (unsigned long long)g->c_refused,
		    g->c_inflight, el, el > 0 ? (double)g->c_circulated / el : 0.0);
		json_str(o, "out", g->o.out);
		break;
	case M_PRESIGN:
		fprintf(o, "\"mode\":\"presign\",\"agreements\":%zu,\"parties\":%zu,"
		    "\"frames\":%zu,", g->nag, g->nparties, g->frames ? g->nag * g->nparties : 0);
		json_str(o, "out", g->o.out);
		break;
	case M_FIRST_COPY: {
		int64_t since = read_since(g->o.since);
		/* wall-clock ms from --since (or from this run's start) */
#define FC_MS(t) ((t) == 0 ? -1.0 : (double)(g->real0 + (int64_t)((t) - g->mono0) - \
		    (since > 0 ? since : g->real0)) / 1e6)
		fprintf(o, "\"mode\":\"first-copy\",\"index\":%d,\"poll_ms\":%d,"
		    "\"connects_tried\":%llu,\"connects_refused\":%llu,\"attempts_lost\":%llu,"
		    "\"in_progress_at_end\":%d,\"copies_sent\":%llu,\"accepted\":%llu,"
		    "\"duplicate\":%llu,\"refused\":%llu,\"from\":\"%s\",\"listening_ms\":%.3f,\"welcome_ms\":%.3f,\"ok_ms\":%.3f",
		    g->o.index, g->o.poll_ms, (unsigned long long)g->fc_attempts,
		    (unsigned long long)g->fc_refused_conn, (unsigned long long)g->fc_lost,
		    g->cur != NULL, (unsigned long long)g->sent, (unsigned long long)g->accepted,
		    (unsigned long long)g->dup, (unsigned long long)g->refused,
		    since > 0 ? "--since" : "start of this run", FC_MS(g->t_listen),
		    FC_MS(g->t_welcome), FC_MS(g->t_ok));
#undef FC_MS
		break;
	}
	case M_CONNECT: {
		double cpu = g->c_cpu1 - g->c_cpu0;
		qsort(g->lat, g->nlat, sizeof(*g->lat), cmp_u64);
		qsort(g->lat_ok, g->nlat, sizeof(*g->lat_ok), cmp_u64);
		qsort(g->lat_reply, g->nlat, sizeof(*g->lat_reply), cmp_u64);
		el = secs(g->t_end - g->t0);
		fprintf(o, "\"mode\":\"connect\",\"interval_ms\":%d,\"known_size\":%llu,"
		    "\"tree_size\":%llu,\"proof_hashes\":%llu,\"started\":%llu,\"samples\":%zu,"
		    "\"countersigned\":%llu,\"refused\":%llu,\"failed\":%llu,\"timeouts\":%llu,"
		    "\"in_progress_at_end\":%d,"
		    "\"elapsed_s\":%.4f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
		    "\"mean_ms\":%.3f,\"welcome_p50_ms\":%.3f,\"proof_in_p50_ms\":%.3f,"
		    "\"proof_in_p99_ms\":%.3f,\"server_cpu_ms_per_connect\":",
		    g->o.interval_ms, g->known ? (unsigned long long)g->known->size : 0ULL,
		    (unsigned long long)g->tree_size, (unsigned long long)g->proof_hashes,
		    (unsigned long long)g->p_started, g->nlat, (unsigned long long)g->accepted,
		    (unsigned long long)g->refused, (unsigned long long)g->p_failed,
		    (unsigned long long)g->p_timeouts, g->cur != NULL, el,
		    pct(g->lat, g->nlat, 500) / 1e6, pct(g->lat, g->nlat, 990) / 1e6,
		    g->nlat ? g->lat[g->nlat - 1] / 1e6 : 0.0, mean_ms(g->lat, g->nlat),
		    pct(g->lat_ok, g->nlat, 500) / 1e6, pct(g->lat_reply, g->nlat, 500) / 1e6,
		    pct(g->lat_reply, g->nlat, 990) / 1e6);
		if (g->o.server_pid > 0 && g->nlat > 0 && g->c_cpu0 >= 0 && g->c_cpu1 >= 0)
			fprintf(o, "%.3f", cpu * 1000.0 / (double)g->p_started);
		else
			fprintf(o, "null");
		break;
	}
	case M_COMMIT:
	case M_RTT:
		break;
	}
	if (g->o.mode == M_PINNED || g->o.mode == M_ADMIN)
		fprintf(o, ",\"stopped_by_signal\":%s", g->stopped ? "true" : "false");
	fprintf(o, ",\"timed_out\":%s,", g->timed_out ? "true" : "false");
	json_str(o, "error", g->first_error);
	fprintf(o, "}\n");
	fflush(o);
}

/* ---- rtt: a loopback round trip, as loadgen's connections see it ---- */

/* Two threads, each its own libevent loop (as loadgen's side and
 * parleyd's are), one TCP connection over 127.0.0.1 with TCP_NODELAY: one
 * side writes --payload bytes, the other writes them back, and a sample
 * is the time from the write to the whole echo read.  No TLS: the floor
 * is the network's part of a round trip, not the work either end does. */
struct rtt {
	struct event_base *base;
	size_t payload, warm, n, cap;
	uint8_t *msg;
	uint64_t *v, t0, stop;
};

static void
rtt_echo_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_write_buffer(bev, bufferevent_get_input(bev));
}

static void
rtt_echo_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		event_base_loopbreak(arg);
}

static void *
rtt_echo(void *arg)
{
	event_base_dispatch(arg);
	return NULL;
}

static void
rtt_read(struct bufferevent *bev, void *arg)
{
	struct rtt *r = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint64_t t;

	if (evbuffer_get_length(in) < r->payload)
		return;
	t = now_ns();
	evbuffer_drain(in, r->payload);
	if (r->warm > 0)
		r->warm--;
	else
		r->v[r->n++] = t - r->t0;
	if (r->n >= r->cap || t >= r->stop) {
		event_base_loopbreak(r->base);
		return;
	}
	r->t0 = now_ns();
	bufferevent_write(bev, r->msg, r->payload);
}

static void
rtt_event(struct bufferevent *bev, short what, void *arg)
{
	struct rtt *r = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		die("rtt: the connection failed");
	(void)r;
}

static int
run_rtt(const struct opts *o)
{
	struct sockaddr_in sa;
	socklen_t slen = sizeof(sa);
	struct event_base *eb;
	struct bufferevent *cb, *eb_bev;
	struct rtt r;
	pthread_t th;
	int one = 1, lfd, cfd, afd;
	double sum = 0;
	size_t i;

	memset(&r, 0, sizeof(r));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 1) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &slen) != 0)
		die("rtt: cannot listen on 127.0.0.1: %s", strerror(errno));
	if ((cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(cfd, (struct sockaddr *)&sa, slen) != 0 ||
	    (afd = accept(lfd, NULL, NULL)) < 0)
		die("rtt: cannot connect over 127.0.0.1: %s", strerror(errno));
	close(lfd);
	setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(afd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	evutil_make_socket_nonblocking(cfd);
	evutil_make_socket_nonblocking(afd);
	r.payload = (size_t)o->payload;
	r.cap = (size_t)o->samples;
	r.warm = r.cap / 10 < 1000 ? r.cap / 10 : 1000;	/* caches, the scheduler */
	if ((r.msg = calloc(1, r.payload)) == NULL || (r.v = calloc(r.cap, sizeof(*r.v))) == NULL)
		die("out of memory");
	memset(r.msg, 0x5a, r.payload);
	if ((eb = event_base_new()) == NULL || (r.base = event_base_new()) == NULL ||
	    (eb_bev = bufferevent_socket_new(eb, afd, BEV_OPT_CLOSE_ON_FREE)) == NULL ||
	    (cb = bufferevent_socket_new(r.base, cfd, BEV_OPT_CLOSE_ON_FREE)) == NULL)
		die("rtt: cannot make the event loops");
	bufferevent_setcb(eb_bev, rtt_echo_read, NULL, rtt_echo_event, eb);
	bufferevent_enable(eb_bev, EV_READ | EV_WRITE);
	bufferevent_setcb(cb, rtt_read, NULL, rtt_event, &r);
	bufferevent_enable(cb, EV_READ | EV_WRITE);
	if (pthread_create(&th, NULL, rtt_echo, eb) != 0)
		die("rtt: cannot start the echo thread");
	r.stop = now_ns() + (uint64_t)(o->seconds * 1e9);
	r.t0 = now_ns();
	bufferevent_write(cb, r.msg, r.payload);
	event_base_dispatch(r.base);
	shutdown(cfd, SHUT_RDWR);	/* the echo side sees the end and stops */
	pthread_join(th, NULL);
	bufferevent_free(cb);
	bufferevent_free(eb_bev);
	event_base_free(eb);
	event_base_free(r.base);
	if (r.n == 0)
		die("rtt: no sample");
	for (i = 0; i < r.n; i++)
		sum += (double)r.v[i];
	qsort(r.v, r.n, sizeof(*r.v), cmp_u64);
	printf("{\"mode\":\"rtt\",\"transport\":\"tcp 127.0.0.1, TCP_NODELAY, libevent on both "
	    "ends, two threads\",\"payload_bytes\":%zu,\"samples\":%zu,\"p50_ms\":%.4f,"
	    "\"p90_ms\":%.4f,\"p99_ms\":%.4f,\"max_ms\":%.4f,\"mean_ms\":%.4f}\n", r.payload, r.n,
	    pct(r.v, r.n, 500) / 1e6, pct(r.v, r.n, 900) / 1e6, pct(r.v, r.n, 990) / 1e6,
	    r.v[r.n - 1] / 1e6, sum / (double)r.n / 1e6);
	fprintf(stderr, "loadgen: rtt: %zu round trips of %zu bytes, p50 %.1f us, p99 %.1f us\n",
	    r.n, r.payload, pct(r.v, r.n, 500) / 1e3, pct(r.v, r.n, 990) / 1e3);
	free(r.msg);
	free(r.v);
	return 0;
}

/* ---- the SQLite commit baseline ---- */

static int
run_commit(const struct opts *o)
{
	char path[4200], *msg = NULL;
	uint64_t *v, t0, stop, sum = 0;
	size_t n = 0, cap = 1 << 20;
	sqlite3_stmt *st;
	sqlite3 *db;
	uint8_t blob[100];

	if (o->dir == NULL)
		die("commit needs --dir");
	snprintf(path, sizeof(path), "%s/loadgen-commit.db", o->dir);
	unlink(path);
	if ((v = malloc(cap * sizeof(*v))) == NULL)
		die("out of memory");
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB NOT NULL)", NULL, NULL, &msg) != SQLITE_OK)
		die("%s: %s", path, msg ? msg : sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, "INSERT INTO t(v) VALUES(?)", -1, &st, NULL) != SQLITE_OK)
		die("%s", sqlite3_errmsg(db));
	memset(blob, 0x5a, sizeof(blob));
	t0 = now_ns();
	stop = t0 + (uint64_t)(o->seconds * 1e9);
	while (n < cap && (n < 20 || now_ns() < stop)) {
		uint64_t a = now_ns();
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			die("%s", sqlite3_errmsg(db));
		sqlite3_bind_blob(st, 1, blob, sizeof(blob), SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("%s", sqlite3_errmsg(db));
		sqlite3_reset(st);
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			die("%s", sqlite3_errmsg(db));
		v[n] = now_ns() - a;
		sum += v[n];
		n++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	unlink(path);
	snprintf(path, sizeof(path), "%s/loadgen-commit.db-wal", o->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/loadgen-commit.db-shm", o->dir);
	unlink(path);
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("{\"mode\":\"commit\",\"journal_mode\":\"wal\",\"synchronous\":\"full\","
	    "\"commits\":%zu,\"commits_per_s\":%.1f,\"mean_ms\":%.3f,\"p50_ms\":%.3f,"
	    "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"dir\":\"%s\"}\n",
	    n, (double)n / secs(now_ns() - t0), (double)sum / (double)n / 1e6,
	    pct(v, n, 500) / 1e6, pct(v, n, 990) / 1e6, v[n - 1] / 1e6, o->dir);
	free(v);
	return 0;
}

/* ---- main ---- */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: loadgen MODE [options]   (only loopback addresses; one JSON object out)\n"
	    "\n"
	    "  sign      --endpoints F --agreements F [--inflight K] [--conns-per-endpoint C]\n"
	    "            [--seconds D] [--grace G] [--server-pid P]  signed copies accepted/s\n"
	    "            (endpoints not fetching); after D s no new agreement starts, after\n"
	    "            D + G s the run ends and what is unanswered is counted so; with\n"
	    "            P, the server's CPU time over the timed part per copy accepted\n"
	    "  latency   --endpoints F --agreements F [--samples N] [--seconds D] [--grace G]\n"
	    "            release latency: last copy sent -> every endpoint acked the bundle\n"
	    "  drain     --endpoints F [--expect N] [--seconds D]\n"
	    "            acks/s of the pre-queued deliveries, all endpoints fetching\n"
	    "  handshake --endpoints F --server-pid P [--concurrency C] [--seconds D]\n"
	    "            TLS handshake + Hello/Welcome per server CPU-second\n"
	    "  idle      --endpoints F --server-pid P --counts N[,N...] [--settle-ms MS]\n"
	    "            server RSS per idle connection (Hello, Fetch, then nothing)\n"
	    "  mqtt-idle --mqtt HOST:PORT --cert C --key K --server-pid P --counts N[,N...]\n"
	    "  mqtt-rate --mqtt HOST:PORT --cert C --key K [--subs S] [--messages N]\n"
	    "            [--payload BYTES] [--window W] [--live]   QoS 1 messages/s\n"
	    "  commit    --dir DIR [--seconds D]   single-row synchronous=FULL commits\n"
	    "  pinned    --endpoints F --agreements F [--samples N] [--interval-ms MS]\n"
	    "            [--seconds D] [--admin SOCKET]   one endpoint (F names one), one\n"
	    "            sample at a time: TCP + mutual TLS + Hello/Welcome + one signed\n"
	    "            copy answered Ok, then close; each sample another agreement; a\n"
	    "            sample starts MS after the last started (default 0); none after\n"
	    "            D s; with --admin, admin samples run beside it, one every\n"
	    "            --admin-interval-ms (100)\n"
	    "  admin     --admin SOCKET [--interval-ms MS] [--seconds D]   the admin\n"
	    "            socket's answer time (connect, Hello, \"status\"), one at a time,\n"
	    "            every MS (default 100); pinned and admin stop on SIGTERM and\n"
	    "            report what they measured\n"
	    "  rtt       [--samples N] [--payload BYTES] [--seconds D]   a loopback round\n"
	    "            trip: two threads, one TCP connection (TCP_NODELAY), libevent on\n"
	    "            both ends; BYTES one way and back (default 64, 20000 samples)\n"
	    "  create    --admin SOCKET --parties A,B --text FILE --count N --out FILE\n"
	    "            [--window W] [--title T]   N agreements (\"T 1\", \"T 2\" ...) created\n"
	    "            and circulated over one admin connection, W in progress at once\n"
	    "            (default 256); their ids to FILE, one a line\n"
	    "  presign   --endpoints F --agreements F --out FILE   read each agreement\n"
	    "            (F names one endpoint) and write its signed copy, a frame each\n"
	    "  first-copy --endpoints F --frames FILE [--index I] [--since FILE]\n"
	    "            [--poll-ms MS] [--seconds D]   connect every MS (default 2) until\n"
	    "            parleyd listens, then TLS, Hello and the I'th copy (default 0) of\n"
	    "            FILE (presign's), until it is answered; times in ms from the\n"
	    "            wall-clock time in --since FILE (bash's $EPOCHREALTIME)\n"
	    "  connect   --endpoints F [--checkpoint FILE] [--samples N] [--interval-ms MS]\n"
	    "            [--server-pid P] [--seconds D]   one party's connect, one at a\n"
	    "            time: TCP + mutual TLS + Hello/Welcome + JournalRequest from the\n"
	    "            checkpoint held (FILE, else the one parley keeps in the endpoint's\n"
	    "            directory) + its proof and signature checked + Countersign answered\n"
	    "            Ok, then close (default 100 samples)\n"
	    "\n"
	    "  --endpoints F      lines \"PARTY CLIENT.CONF\" (from parley init)\n"
	    "  --agreements F     agreement ids, one a line (created and circulated)\n"
	    "  --ack-batch N      deliveries one Ack names, at most (1-256, default 256):\n"
	    "                     what one read brought in is acked with one frame\n"
	    "  --sample-timeout S pinned, admin: a sample unanswered for S s fails (30)\n"
	    "  --max-seconds T    hard bound on the whole run (default: seconds + 60)\n");
}

static enum mode
parse_mode(const char *s)
{
	static const struct { const char *n; enum mode m; } t[] = {
		{ "sign", M_SIGN }, { "latency", M_LATENCY }, { "drain", M_DRAIN },
		{ "handshake", M_HANDSHAKE }, { "idle", M_IDLE }, { "mqtt-idle", M_MQTT_IDLE },
		{ "mqtt-rate", M_MQTT_RATE }, { "commit", M_COMMIT }, { "pinned", M_PINNED },
		{ "admin", M_ADMIN }, { "rtt", M_RTT }, { "create", M_CREATE },
		{ "presign", M_PRESIGN }, { "first-copy", M_FIRST_COPY }, { "connect", M_CONNECT },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].n, s) == 0)
			return t[i].m;
	usage(stderr);
	exit(2);
}

static long
num(const char *opt, const char *v, long lo, long hi)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < lo || n > hi)
		die("%s wants a number %ld..%ld, not \"%s\"", opt, lo, hi, v);
	return n;
}

static double
dnum(const char *opt, const char *v)
{
	char *end;
	double d = strtod(v, &end);

	if (*end || !(d > 0) || d > 86400)
		die("%s wants a positive number of seconds, not \"%s\"", opt, v);
	return d;
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->conns_per_ep = 1;
	o->inflight = 64;
	o->concurrency = 32;
	o->settle_ms = 1000;
	o->subs = 16;
	o->window = -1;
	o->payload = -1;
	o->messages = 100000;
	o->samples = -1;
	o->poll_ms = 2;
	o->ack_batch = FRAME_ACK_MAX;
	o->seconds = 10;
	o->interval_ms = -1;
	o->admin_interval_ms = -1;
	o->sample_timeout = 30;
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		exit(argc < 2 ? 2 : 0);
	}
	o->mode = parse_mode(argv[1]);
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int flag = strcmp(a, "--live") == 0;
		if (flag) {
			o->live = 1;
			continue;
		}
		if (v == NULL)
			die("%s needs a value", a);
		i++;
		if (strcmp(a, "--endpoints") == 0)
			o->endpoints = v;
		else if (strcmp(a, "--agreements") == 0)
			o->agreements = v;
		else if (strcmp(a, "--mqtt") == 0)
			o->mqtt = v;
		else if (strcmp(a, "--cert") == 0)
			o->cert = v;
		else if (strcmp(a, "--key") == 0)
			o->key = v;
		else if (strcmp(a, "--dir") == 0)
			o->dir = v;
		else if (strcmp(a, "--admin") == 0)
			o->admin = v;
		else if (strcmp(a, "--parties") == 0)
			o->parties = v;
		else if (strcmp(a, "--text") == 0)
			o->text = v;
		else if (strcmp(a, "--title") == 0)
			o->title = v;
		else if (strcmp(a, "--out") == 0)
			o->out = v;
		else if (strcmp(a, "--frames") == 0)
			o->frames = v;
		else if (strcmp(a, "--since") == 0)
			o->since = v;
		else if (strcmp(a, "--checkpoint") == 0)
			o->checkpoint = v;
		else if (strcmp(a, "--count") == 0)
			o->count = (int)num(a, v, 1, 10000000);
		else if (strcmp(a, "--index") == 0)
			o->index = (int)num(a, v, 0, 10000000);
		else if (strcmp(a, "--poll-ms") == 0)
			o->poll_ms = (int)num(a, v, 1, 10000);
		else if (strcmp(a, "--interval-ms") == 0)
			o->interval_ms = (int)num(a, v, 0, 600000);
		else if (strcmp(a, "--admin-interval-ms") == 0)
			o->admin_interval_ms = (int)num(a, v, 0, 600000);
		else if (strcmp(a, "--sample-timeout") == 0)
			o->sample_timeout = dnum(a, v);
		else if (strcmp(a, "--conns-per-endpoint") == 0)
			o->conns_per_ep = (int)num(a, v, 1, 1000);
		else if (strcmp(a, "--inflight") == 0)
			o->inflight = (int)num(a, v, 1, 100000);
		else if (strcmp(a, "--concurrency") == 0)
			o->concurrency = (int)num(a, v, 1, 10000);
		else if (strcmp(a, "--settle-ms") == 0)
			o->settle_ms = (int)num(a, v, 0, 60000);
		else if (strcmp(a, "--subs") == 0)
			o->subs = (int)num(a, v, 1, 10000);
		else if (strcmp(a, "--window") == 0)
			o->window = (int)num(a, v, 1, 60000);
		else if (strcmp(a, "--payload") == 0)
			o->payload = (int)num(a, v, 1, 65536);
		else if (strcmp(a, "--messages") == 0)
			o->messages = num(a, v, 1, 100000000);
		else if (strcmp(a, "--samples") == 0)
			o->samples = (int)num(a, v, 1, 1000000);
		else if (strcmp(a, "--ack-batch") == 0)
			o->ack_batch = (int)num(a, v, 1, FRAME_ACK_MAX);
		else if (strcmp(a, "--expect") == 0)
			o->expect = num(a, v, 0, 1000000000);
		else if (strcmp(a, "--server-pid") == 0)
			o->server_pid = (pid_t)num(a, v, 1, 1 << 30);
		else if (strcmp(a, "--seconds") == 0)
			o->seconds = dnum(a, v);
		else if (strcmp(a, "--max-seconds") == 0)
			o->max_seconds = dnum(a, v);
		else if (strcmp(a, "--grace") == 0)
			o->grace = dnum(a, v);
		else if (strcmp(a, "--counts") == 0) {
			char buf[256], *tok, *save = NULL;
			snprintf(buf, sizeof(buf), "%s", v);
			for (tok = strtok_r(buf, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save)) {
				if (o->ncounts == MAX_COUNTS)
					die("at most %d counts", MAX_COUNTS);
				o->counts[o->ncounts] = num(a, tok, 1, 1000000);
				if (o->ncounts > 0 && o->counts[o->ncounts] <= o->counts[o->ncounts - 1])
					die("--counts must rise");
				o->ncounts++;
			}
		} else
			die("unknown option %s (see loadgen --help)", a);
	}
	if (o->samples < 0)
		o->samples = o->mode == M_RTT ? 20000 : o->mode == M_CONNECT ? 100 : 200;
	if (o->payload < 0)
		o->payload = o->mode == M_RTT ? 64 : 512;
	if (o->title == NULL)
		o->title = "bench";
	if (o->window < 0)
		o->window = o->mode == M_CREATE ? 256 : 64;
	if (o->mode == M_ADMIN && o->admin_interval_ms < 0)
		o->admin_interval_ms = o->interval_ms;
	if (o->interval_ms < 0)
		o->interval_ms = 0;
	if (o->admin_interval_ms < 0)
		o->admin_interval_ms = 100;
	if (o->grace == 0)
		o->grace = o->mode == M_PINNED || o->mode == M_ADMIN ? o->sample_timeout : o->seconds;
	if (o->max_seconds == 0)
		o->max_seconds = o->seconds + o->grace + 60;
}

int
main(int argc, char **argv)
{
	struct lg g;
	struct timeval tv;
	size_t i, j;
	int rc;

	memset(&g, 0, sizeof(g));
	parse_opts(argc, argv, &g.o);
	signal(SIGPIPE, SIG_IGN);
	if (g.o.mode == M_COMMIT)
		return run_commit(&g.o);
	if (g.o.mode == M_RTT)
		return run_rtt(&g.o);
	snprintf(g.mq_prefix, sizeof(g.mq_prefix), "lg%d", (int)getpid());
	if (g.o.mode == M_MQTT_IDLE || g.o.mode == M_MQTT_RATE) {
		if (g.o.mqtt == NULL || g.o.cert == NULL || g.o.key == NULL)
			die("%s needs --mqtt, --cert and --key", argv[1]);
		parse_loopback(&g, g.o.mqtt);
		g.mqtt_ctx = client_ctx(g.o.cert, g.o.key);
	} else if (g.o.mode == M_ADMIN) {
		if (g.o.admin == NULL)
			die("admin needs --admin SOCKET");
	} else if (g.o.mode == M_CREATE) {
		if (g.o.admin == NULL)
			die("create needs --admin SOCKET");
	} else {
		if (g.o.endpoints == NULL)
			die("%s needs --endpoints", argv[1]);
		load_endpoints(&g);
	}
	if ((g.o.mode == M_PINNED || g.o.mode == M_PRESIGN || g.o.mode == M_FIRST_COPY ||
	    g.o.mode == M_CONNECT) && g.neps != 1)
		die("%s needs --endpoints naming one endpoint, not %zu", argv[1], g.neps);
	if (g.o.mode == M_PRESIGN && g.o.out == NULL)
		die("presign needs --out FILE");
	if (g.o.mode == M_FIRST_COPY) {
		if (g.o.frames == NULL)
			die("first-copy needs --frames FILE");
		fc_load(&g);
	}
	if (g.o.mode == M_CONNECT)
		cn_load(&g);
	if (g.o.mode == M_SIGN || g.o.mode == M_LATENCY || g.o.mode == M_PINNED ||
	    g.o.mode == M_PRESIGN) {
		if (g.o.agreements == NULL)
			die("%s needs --agreements", argv[1]);
		load_agreements(&g);
	}
	if ((g.o.mode == M_IDLE || g.o.mode == M_MQTT_IDLE) && g.o.ncounts == 0)
		die("%s needs --counts", argv[1]);
	if ((g.o.mode == M_IDLE || g.o.mode == M_MQTT_IDLE || g.o.mode == M_HANDSHAKE) &&
	    g.o.server_pid == 0)
		die("%s needs --server-pid", argv[1]);
	if (g.o.mode == M_LATENCY || g.o.mode == M_PINNED || g.o.mode == M_CONNECT) {
		g.o.conns_per_ep = 1;	/* each endpoint's bundle goes to one connection */
		if ((g.lat = calloc((size_t)g.o.samples, sizeof(*g.lat))) == NULL ||
		    (g.lat_ok = calloc((size_t)g.o.samples, sizeof(*g.lat_ok))) == NULL ||
		    (g.lat_reply = calloc((size_t)g.o.samples, sizeof(*g.lat_reply))) == NULL)
			die("out of memory");
	}
	if (g.o.mode == M_PRESIGN || g.o.mode == M_FIRST_COPY)
		g.o.conns_per_ep = 1;
	raise_nofile((size_t)(g.o.ncounts ? g.o.counts[g.o.ncounts - 1] : 0) +
	    (size_t)g.o.concurrency + g.neps * (size_t)g.o.conns_per_ep + 256);
	g.t_begin = now_ns();
	if ((g.base = event_base_new()) == NULL)
		die("cannot make an event loop");
	g.tick = event_new(g.base, -1, EV_PERSIST, tick_cb, &g);
	g.deadline = evtimer_new(g.base, deadline_cb, &g);
	tv.tv_sec = 0;
	tv.tv_usec = 10000;
	event_add(g.tick, &tv);
	tv.tv_sec = (time_t)g.o.max_seconds;
	tv.tv_usec = (suseconds_t)((g.o.max_seconds - (double)tv.tv_sec) * 1e6);
	event_add(g.deadline, &tv);
	if (g.o.mode == M_PINNED || g.o.mode == M_ADMIN || g.o.mode == M_CONNECT ||
	    g.o.mode == M_FIRST_COPY) {
		g.next_ev = evtimer_new(g.base, pinned_next_cb, &g);
		g.adm_ev = evtimer_new(g.base, adm_next_cb, &g);
		g.sig_term = evsignal_new(g.base, SIGTERM, sig_cb, &g);
		g.sig_int = evsignal_new(g.base, SIGINT, sig_cb, &g);
		if (g.next_ev == NULL || g.adm_ev == NULL || g.sig_term == NULL ||
		    g.sig_int == NULL || event_add(g.sig_term, NULL) != 0 ||
		    event_add(g.sig_int, NULL) != 0)
			die("cannot make events");
	}

	switch (g.o.mode) {
	case M_PINNED:
	case M_PRESIGN:
	case M_SIGN:
	case M_LATENCY:
	case M_DRAIN:
		for (i = 0; i < g.neps; i++)
			for (j = 0; j < (size_t)g.o.conns_per_ep; j++) {
				struct lc *c = lc_new(&g, &g.eps[i]);
				struct party *pt = &g.parties[g.eps[i].party];
				if ((pt->conns = realloc(pt->conns, (pt->nconns + 1) *
				    sizeof(*pt->conns))) == NULL)
					die("out of memory");
				pt->conns[pt->nconns++] = c;
			}
		break;
	case M_HANDSHAKE:
		g.cpu0 = proc_cpu_s(g.o.server_pid);
		g.running = 1;
		g.t0 = now_ns();
		g.t_stop = g.t0 + (uint64_t)(g.o.seconds * 1e9);
		for (i = 0; i < (size_t)g.o.concurrency; i++)
			start_handshake(&g);
		break;
	case M_IDLE:
	case M_MQTT_IDLE:
		g.rss0 = proc_rss_kb(g.o.server_pid);
		g.t0 = now_ns();
		idle_fill(&g);
		break;
	case M_MQTT_RATE:
		mq_subs_connect(&g, !g.o.live ? 0 : 1);
		break;
	case M_ADMIN:
		g.running = 1;
		g.t0 = now_ns();
		g.t_stop = g.t0 + (uint64_t)(g.o.seconds * 1e9);
		g.adm_on = 1;
		adm_start(&g);
		break;
	case M_CREATE:
		cr_start(&g);
		break;
	case M_FIRST_COPY:
		g.mono0 = now_ns();
		g.real0 = realtime_ns();
		g.t0 = g.mono0;
		g.t_stop = g.t0 + (uint64_t)(g.o.seconds * 1e9);
		fc_try(&g);
		break;
	case M_CONNECT:
		g.running = 1;
		g.c_cpu0 = g.o.server_pid > 0 ? proc_cpu_s(g.o.server_pid) : -1;
		g.t0 = now_ns();
		g.t_stop = g.t0 + (uint64_t)(g.o.seconds * 1e9);
		cn_next(&g);
		break;
	case M_COMMIT:
	case M_RTT:
		break;
	}
	if (!g.finished)
		event_base_dispatch(g.base);
	if (g.t_end == 0)
		g.t_end = now_ns();
	if (g.o.mode == M_HANDSHAKE || g.o.mode == M_SIGN)
		g.cpu1 = proc_cpu_s(g.o.server_pid);
	if (g.o.mode == M_CONNECT)
		g.c_cpu1 = g.o.server_pid > 0 ? proc_cpu_s(g.o.server_pid) : -1;
	report(&g);
	fprintf(stderr, "loadgen: %s done in %.2f s%s\n", argv[1], secs(g.t_end - g.t_begin),
	    g.timed_out ? " (time limit)" : "");
	rc = g.exit_code;

	for (i = 0; i < g.nconns; i++)
		lc_free(g.conns[i]);
	free(g.conns);
	for (i = 0; i < g.nparties; i++)
		free(g.parties[i].conns);
	for (i = 0; i < g.neps; i++) {
		SSL_CTX_free(g.eps[i].ctx);
		EVP_PKEY_free(g.eps[i].signer);
	}
	free(g.eps);
	if (g.frames != NULL)
		for (i = 0; i < g.nag * g.nparties; i++)
			free(g.frames[i]);
	free(g.frames);
	free(g.flen);
	free(g.ag);
	free(g.lat);
	free(g.lat_ok);
	free(g.lat_reply);
	free(g.known);
	free(g.seen);
	free(g.fc_frame);
	free(g.c_text);
	free(g.c_ids);
	free(g.c_done);
	SSL_CTX_free(g.mqtt_ctx);
	if (g.adm != NULL)
		bufferevent_free(g.adm);
	if (g.adm_old != NULL)
		bufferevent_free(g.adm_old);
	free(g.adm_lat);
	if (g.next_ev != NULL)
		event_free(g.next_ev);
	if (g.adm_ev != NULL)
		event_free(g.adm_ev);
	if (g.sig_term != NULL)
		event_free(g.sig_term);
	if (g.sig_int != NULL)
		event_free(g.sig_int);
	event_free(g.tick);
	event_free(g.deadline);
	event_base_free(g.base);
	return rc;
}
