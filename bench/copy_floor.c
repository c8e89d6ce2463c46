/* copy-floor: the least CPU an accepted signed copy costs with parleyd's
 * dependencies and its durability, measured; or (--latency) the least
 * release latency.
 *
 *   copy-floor --dir DIR [--copy-bytes B] [--inflight K] [--parties N]
 *              [--endpoints M] [--connections C] [--bundle-bytes S]
 *              [--seconds D] [--verify-rate R] [--latency S]
 *
 * Two threads in one process, each with its own libevent loop, over C TCP
 * connections on 127.0.0.1 (the kernel picks the port; nothing else is ever
 * connected to): mutual TLS 1.3 with Ed25519 certificates made in memory at
 * start, a bufferevent_openssl at both ends.  The client sends copies as
 * length-prefixed frames of B bytes, each signed with Ed25519 (a key per
 * party) before the clock starts, K agreements of N copies in flight, and
 * expects a 16-byte answer per copy.  The server, per copy, on its loop:
 * reads the frame, verifies its signature (EVP_DigestVerify on a context
 * made once per party key), appends to SQLite (WAL, synchronous=FULL, in
 * DIR) one copy row and one journal row chained to the one before by
 * SHA-256, in one transaction per loop turn, committed by an event of lower
 * priority made active at the turn's first copy, and answers after the
 * commit.  The N-th copy of an agreement releases it: one Ed25519 signature
 * over the N copies' signatures, one message row with an S-byte bundle, N x
 * M delivery rows.
 *
 * Four phases of D seconds, each with a fresh server, database and
 * connections: TLS only (answers, nothing else), + verification, +
 * durable append, + release.  The server's CPU per copy = the process's
 * CPU time minus the client thread's, from when every connection is up to
 * the last answer, over the copies answered.  One JSON object on stdout.
 *
 * With --latency S, instead, the release latency of such a server: one
 * connection per endpoint, one agreement at a time, S samples from the
 * last copy sent until every endpoint's ack of the bundle pushed to it is
 * answered; the server pushes each bundle after the release's commit,
 * records each ack durably (delivery row and journal row) and waits up to
 * 1 ms for the acks of what it just pushed, as parleyd does; its WAL
 * checkpoints run on a thread of their own, as parleyd's.
 *
 * Bounded: each phase by D plus a grace, the whole by an alarm; it starts
 * no process and removes its database files. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sqlite3.h>

#include "daemon/paced.h"

#define HDR 4			/* the frame's big-endian length */
#define ANSWER 16		/* length 12 | u64 seq | u32 status */
#define SIG 64
/* A copy: HDR | u64 seq | u64 agreement | u32 party | filler | signature;
 * the signature covers agreement to the end of the filler. */
#define OFF_SEQ HDR
#define OFF_SIGNED (HDR + 8)
#define MIN_COPY (OFF_SIGNED + 8 + 4 + SIG)
#define MAX_COPY 65536
#define MAX_PARTIES 64
#define MAX_CONNS 256
#define GRACE 20		/* seconds a phase may run past D */
#define VERIFY_RUNS 4000	/* verifications timed before the phases */
/* The latency phase's frames: an ack (client to server) HDR | u64 seq |
 * u64 delivery; a bundle pushed (server to client) HDR | u64 delivery |
 * S bytes; an ack's answer carries ACK_BIT | delivery as its seq. */
#define ACK_LEN (HDR + 16)
#define ACK_BIT (1ULL << 62)
#define ACK_HOLD_S 0.001	/* parleyd's DELIVERY_ACK_WAIT_NS */
#define CKPT_PAGES 1000		/* parleyd's CHECKPOINT_PAGES */
#define LATENCY_BOUND 120	/* seconds the latency phase may take */
#define MAX_LATENCY 10000	/* samples: 2-3 ms each here, 12 ms within the bound */

/* The CPU phases, then (--latency, alone) the release latency's. */
enum mode { M_TLS, M_VERIFY, M_STORE, M_ALL, M_COUNT, M_LATENCY = M_COUNT };
static const char *const mode_name[M_COUNT] = { "tls", "tls_verify", "tls_verify_store", "all" };

struct opts {
	const char *dir;
	size_t copy_bytes, bundle_bytes;
	int inflight, parties, endpoints, conns, seconds;
	double verify_rate;
	int latency;		/* samples of the latency phase; 0: the CPU phases */
};

/* What both threads read, made before they start and never changed. */
struct setup {
	const struct opts *o;
	SSL_CTX *sctx, *cctx;
	EVP_PKEY *signer[MAX_PARTIES];	/* the parties' keys */
	EVP_PKEY *mediator;		/* signs releases */
	uint8_t *pool;			/* pool_ag x N copies, signed */
	size_t pool_ag;
	struct sockaddr_in addr;	/* 127.0.0.1, the server's port */
};

struct result {
	uint64_t copies, bad, commits, releases, verified, acks, checkpoints;
	double server_cpu_s, client_cpu_s, wall_s;
	double verify_s;	/* wall time inside EVP_DigestVerify (vDSO clock) */
	char error[256];
};

/* ---- time, bytes ---- */

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void
set_error(struct result *r, const char *what)
{
	unsigned long e = ERR_get_error();

	if (r->error[0] != '\0')
		return;
	if (e != 0)
		snprintf(r->error, sizeof(r->error), "%s: %s", what, ERR_reason_error_string(e));
	else
		snprintf(r->error, sizeof(r->error), "%s", what);
}

/* ---- keys, certificates, contexts ---- */

static int
accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;	/* parleyd pins the certificate after the handshake */
}

/* A self-signed Ed25519 certificate for key, valid for a day. */
static X509 *
self_signed(EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *name;

	if (x == NULL)
		return NULL;
	if (X509_set_version(x, 2) != 1 || ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -60) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL ||
	    (name = X509_get_subject_name(x)) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key) != 1 ||
	    X509_sign(x, key, NULL) == 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* A TLS 1.3 context with a fresh Ed25519 key and certificate, with
 * parleyd's server options (daemon/tls.c) or as a client. */
static SSL_CTX *
make_ctx(int server)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *cert = key != NULL ? self_signed(key, server ? "copy-floor server" : "copy-floor client") : NULL;
	SSL_CTX *ctx = cert != NULL ? SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()) : NULL;

	if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
	    SSL_CTX_set1_groups_list(ctx, "X25519") != 1 ||
	    SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
		SSL_CTX_free(ctx);
		ctx = NULL;
	} else if (server) {
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
		    SSL_OP_CIPHER_SERVER_PREFERENCE);
		SSL_CTX_set_num_tickets(ctx, 0);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
	}
	X509_free(cert);	/* the context holds its own references */
	EVP_PKEY_free(key);
	return ctx;
}

/* A signing or verifying context for key, made once and used for every
 * message (as openssl speed does: Ed25519 keeps no state between calls). */
static EVP_MD_CTX *
key_ctx(EVP_PKEY *key, int sign)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (c != NULL && (sign ? EVP_DigestSignInit(c, NULL, NULL, NULL, key) :
	    EVP_DigestVerifyInit(c, NULL, NULL, NULL, key)) != 1) {
		EVP_MD_CTX_free(c);
		c = NULL;
	}
	return c;
}

static uint8_t *
copy_at(const struct setup *st, size_t ag, int party)
{
	return st->pool + (ag * (size_t)st->o->parties + (size_t)party) * st->o->copy_bytes;
}

/* Every copy of the pool, signed by its party (before any clock starts). */
static int
sign_pool(struct setup *st)
{
	const struct opts *o = st->o;
	size_t a, k, signed_len = o->copy_bytes - OFF_SIGNED - SIG, siglen;
	EVP_MD_CTX *sc[MAX_PARTIES] = { NULL };
	int p, rc = -1;

	if ((st->pool = malloc(st->pool_ag * (size_t)o->parties * o->copy_bytes)) == NULL)
		return -1;
	for (p = 0; p < o->parties; p++)
		if ((sc[p] = key_ctx(st->signer[p], 1)) == NULL)
			goto done;
	for (a = 0; a < st->pool_ag; a++) {
		for (p = 0; p < o->parties; p++) {
			uint8_t *c = copy_at(st, a, p);

			put32(c, (uint32_t)(o->copy_bytes - HDR));
			put64(c + OFF_SEQ, 0);
			put64(c + OFF_SIGNED, a + 1);
			put32(c + OFF_SIGNED + 8, (uint32_t)p);
			for (k = OFF_SIGNED + 12; k < o->copy_bytes - SIG; k++)
				c[k] = (uint8_t)('a' + (k + a) % 26);
			siglen = SIG;
			if (EVP_DigestSign(sc[p], c + o->copy_bytes - SIG, &siglen, c + OFF_SIGNED,
			    signed_len) != 1 || siglen != SIG)
				goto done;
		}
	}
	rc = 0;
done:
	for (p = 0; p < o->parties; p++)
		EVP_MD_CTX_free(sc[p]);
	return rc;
}

/* ---- the server ---- */

struct sconn {
	struct bufferevent *bev;	/* NULL once closed */
	struct server *srv;
};

struct pending {
	struct sconn *c;
	uint64_t seq;
	uint32_t status;
};

/* An agreement's copies so far (its id indexes the table). */
struct agr {
	int count;
	uint64_t signed_by;	/* the parties whose copy is in (MAX_PARTIES bits) */
	uint8_t sigs[MAX_PARTIES][SIG];
};

struct server {
	const struct setup *st;
	enum mode mode;
	struct event_base *base;
	struct evconnlistener *lis;
	struct event *commit_ev, *bound_ev;
	struct sconn conns[MAX_CONNS];
	int nconns, closed;
	EVP_MD_CTX *vctx[MAX_PARTIES], *mctx, *hctx;
	EVP_MD *sha256;
	char path[4096];
	sqlite3 *db;
	sqlite3_stmt *begin, *commit, *ins_copy, *ins_journal, *ins_msg, *ins_delivery, *upd_delivery;
	int in_txn;
	/* The latency phase: the bundles to push after the commit (the
	 * deliveries first .. first + npush - 1, one per connection), and the
	 * acks the commit waits for, up to ACK_HOLD_S after the push. */
	sqlite3_int64 push_first;
	int npush, awaiting;
	double pushed_at;
	struct ckpt *ck;
	struct pending *pend;
	size_t npend, cap;
	uint8_t prev[32];
	uint64_t jseq;
	struct agr *agr;		/* pool_ag + 1 */
	uint8_t *bundle;
	struct result *res;
	/* The verification timed before the phases (first phase only). */
	double *verify_us, *verify_init_us, *sign_us;
};

/* A failure: what the turn wrote is rolled back, every connection closes
 * (the client stops at once instead of at its bound) and the loop ends. */
static void
server_stop(struct server *s)
{
	int i;

	if (s->in_txn) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->in_txn = 0;
	}
	s->npend = 0;
	s->npush = 0;
	s->awaiting = 0;
	for (i = 0; i < s->nconns; i++)
		if (s->conns[i].bev != NULL) {
			bufferevent_free(s->conns[i].bev);
			s->conns[i].bev = NULL;
		}
	event_base_loopexit(s->base, NULL);
}

static void
server_fail(struct server *s, const char *what)
{
	set_error(s->res, what);
	server_stop(s);
}

static void
answer(struct sconn *c, uint64_t seq, uint32_t status)
{
	uint8_t a[ANSWER];

	if (c->bev == NULL)
		return;
	put32(a, ANSWER - HDR);
	put64(a + 4, seq);
	put32(a + 12, status);
	bufferevent_write(c->bev, a, sizeof(a));
}

static int
step(struct server *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		snprintf(s->res->error, sizeof(s->res->error), "sqlite: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

/* One journal entry, chained to the one before. */
static int
journal(struct server *s, const char *text)
{
	uint8_t seq[8], h[32];
	unsigned int hl = 0;

	put64(seq, ++s->jseq);
	if (EVP_DigestInit_ex(s->hctx, s->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(s->hctx, s->prev, sizeof(s->prev)) != 1 ||
	    EVP_DigestUpdate(s->hctx, seq, sizeof(seq)) != 1 ||
	    EVP_DigestUpdate(s->hctx, text, strlen(text)) != 1 ||
	    EVP_DigestFinal_ex(s->hctx, h, &hl) != 1 || hl != sizeof(h)) {
		set_error(s->res, "SHA-256");
		return -1;
	}
	memcpy(s->prev, h, sizeof(h));
	sqlite3_bind_int64(s->ins_journal, 1, (sqlite3_int64)s->jseq);
	sqlite3_bind_blob(s->ins_journal, 2, h, sizeof(h), SQLITE_TRANSIENT);
	sqlite3_bind_text(s->ins_journal, 3, text, -1, SQLITE_TRANSIENT);
	return step(s, s->ins_journal);
}

/* The last copy of agreement ag is in: sign the release, store the bundle
 * and one delivery per endpoint of every party. */
static int
release(struct server *s, uint64_t ag, struct agr *a)
{
	const struct opts *o = s->st->o;
	uint8_t cert[SIG];
	size_t siglen = SIG, body = (size_t)o->parties * SIG;
	sqlite3_int64 msg;
	int p, j;

	if (EVP_DigestSign(s->mctx, cert, &siglen, &a->sigs[0][0], body) != 1 || siglen != SIG) {
		set_error(s->res, "signing a release");
		return -1;
	}
	/* The bundle: the certificate, the copies' signatures, then the rest
	 * (the text and its metadata) as filler. */
	memcpy(s->bundle, cert, SIG);
	if (SIG + body <= o->bundle_bytes)
		memcpy(s->bundle + SIG, a->sigs, body);
	sqlite3_bind_int64(s->ins_msg, 1, (sqlite3_int64)ag);
	sqlite3_bind_blob(s->ins_msg, 2, s->bundle, (int)o->bundle_bytes, SQLITE_STATIC);
	if (step(s, s->ins_msg) != 0)
		return -1;
	msg = sqlite3_last_insert_rowid(s->db);
	for (p = 0; p < o->parties; p++) {
		for (j = 0; j < o->endpoints; j++) {
			sqlite3_bind_int64(s->ins_delivery, 1, msg);
			sqlite3_bind_int(s->ins_delivery, 2, p * o->endpoints + j + 1);
			if (step(s, s->ins_delivery) != 0)
				return -1;
			if (p == 0 && j == 0)
				s->push_first = sqlite3_last_insert_rowid(s->db);
		}
	}
	/* Pushed after the commit, one per connection (each an endpoint). */
	if (s->mode == M_LATENCY)
		s->npush = o->parties * o->endpoints < s->nconns ? o->parties * o->endpoints : s->nconns;
	s->res->releases++;
	return 0;
}

/* The turn's transaction, begun at its first write; the commit runs after
 * every read of the turn (a lower priority). */
static int
begin_turn(struct server *s)
{
	if (s->in_txn)
		return 0;
	if (step(s, s->begin) != 0)
		return -1;
	s->in_txn = 1;
	event_active(s->commit_ev, EV_TIMEOUT, 0);
	return 0;
}

static int
answer_after_commit(struct server *s, struct sconn *c, uint64_t seq)
{
	if (s->npend == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		struct pending *p = realloc(s->pend, cap * sizeof(*p));

		if (p == NULL) {
			set_error(s->res, "out of memory");
			return -1;
		}
		s->pend = p;
		s->cap = cap;
	}
	s->pend[s->npend].c = c;
	s->pend[s->npend].seq = seq;
	s->pend[s->npend].status = 0;
	s->npend++;
	return 0;
}

/* One copy read: check, keep, and answer (now, or after the commit). */
static int
take_copy(struct server *s, struct sconn *c, const uint8_t *f)
{
	const struct opts *o = s->st->o;
	uint64_t seq = get64(f + OFF_SEQ), ag = get64(f + OFF_SIGNED);
	uint32_t party = get32(f + OFF_SIGNED + 8), status = 0;
	const uint8_t *sig = f + o->copy_bytes - SIG;
	char text[96];

	if (party >= (uint32_t)o->parties || ag == 0 || ag > s->st->pool_ag) {
		set_error(s->res, "a copy out of range");
		return -1;
	}
	if (s->mode >= M_VERIFY) {
		/* Timed with the monotonic clock (vDSO, tens of ns), not the
		 * thread's CPU clock (a system call): where a copy's time goes. */
		double t0 = clock_s(CLOCK_MONOTONIC);
		int ok = EVP_DigestVerify(s->vctx[party], sig, SIG, f + OFF_SIGNED,
		    o->copy_bytes - OFF_SIGNED - SIG) == 1;

		s->res->verify_s += clock_s(CLOCK_MONOTONIC) - t0;
		s->res->verified++;
		if (!ok) {
			ERR_clear_error();
			status = 1;
			s->res->bad++;
		}
	}
	/* A party's second copy of the agreement is refused. */
	if (status == 0 && s->mode >= M_ALL && (s->agr[ag].signed_by >> party & 1))
		status = 2;
	if (s->mode < M_STORE || status != 0) {
		if (s->mode < M_STORE)
			s->res->copies++;
		answer(c, seq, status);
		return 0;
	}
	if (begin_turn(s) != 0)
		return -1;
	sqlite3_bind_int64(s->ins_copy, 1, (sqlite3_int64)ag);
	sqlite3_bind_int(s->ins_copy, 2, (int)party);
	sqlite3_bind_blob(s->ins_copy, 3, sig, SIG, SQLITE_STATIC);
	if (step(s, s->ins_copy) != 0)
		return -1;
	snprintf(text, sizeof(text), "copy agreement=%llu party=%u", (unsigned long long)ag, party);
	if (journal(s, text) != 0)
		return -1;
	if (s->mode >= M_ALL) {
		struct agr *a = &s->agr[ag];

		memcpy(a->sigs[party], sig, SIG);
		a->signed_by |= UINT64_C(1) << party;
		if (++a->count == o->parties) {
			a->count = 0;
			a->signed_by = 0;
			if (release(s, ag, a) != 0)
				return -1;
		}
	}
	return answer_after_commit(s, c, seq);
}

/* An ack of a pushed bundle: recorded (the delivery row and a journal
 * entry) in the turn's transaction and answered after its commit; the
 * last of the acks awaited commits at once. */
static int
take_ack(struct server *s, struct sconn *c, const uint8_t *f)
{
	uint64_t seq = get64(f + HDR), did = get64(f + HDR + 8);
	char text[64];

	if (begin_turn(s) != 0)
		return -1;
	sqlite3_bind_double(s->upd_delivery, 1, clock_s(CLOCK_REALTIME));
	sqlite3_bind_int64(s->upd_delivery, 2, (sqlite3_int64)did);
	/* Only the endpoint it was pushed to (conns[k] got endpoint k + 1's). */
	sqlite3_bind_int(s->upd_delivery, 3, (int)(c - s->conns) + 1);
	if (step(s, s->upd_delivery) != 0)
		return -1;
	if (sqlite3_changes(s->db) != 1) {
		set_error(s->res, "an ack of a delivery not pending for its endpoint");
		return -1;
	}
	snprintf(text, sizeof(text), "ack delivery=%llu", (unsigned long long)did);
	if (journal(s, text) != 0)
		return -1;
	s->res->acks++;
	if (s->awaiting > 0 && --s->awaiting == 0)
		event_active(s->commit_ev, EV_TIMEOUT, 0);
	return answer_after_commit(s, c, seq);
}

/* A committed release's bundle to every connection (an endpoint each). */
static void
push_bundles(struct server *s)
{
	const struct opts *o = s->st->o;
	uint8_t h[HDR + 8];
	int k;

	put32(h, (uint32_t)(8 + o->bundle_bytes));
	for (k = 0; k < s->npush; k++) {
		if (s->conns[k].bev == NULL)
			continue;
		put64(h + HDR, (uint64_t)(s->push_first + k));
		bufferevent_write(s->conns[k].bev, h, sizeof(h));
		bufferevent_write(s->conns[k].bev, s->bundle, o->bundle_bytes);
	}
	s->awaiting = s->npush;
	s->pushed_at = clock_s(CLOCK_MONOTONIC);
	s->npush = 0;
}

/* The end of a loop turn: everything read in it is committed, then
 * answered. */
static void
commit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	size_t i;

	(void)fd;
	(void)what;
	if (!s->in_txn)
		return;
	/* As parleyd's idle commit: while the acks of bundles just pushed are
	 * on their way, it waits for them (up to ACK_HOLD_S). */
	if (s->awaiting > 0) {
		double left = ACK_HOLD_S - (clock_s(CLOCK_MONOTONIC) - s->pushed_at);

		if (left > 0) {
			struct timeval tv = { 0, (suseconds_t)(left * 1e6) + 1 };

			event_add(s->commit_ev, &tv);
			return;
		}
		s->awaiting = 0;
	}
	if (step(s, s->commit) != 0) {
		server_stop(s);
		return;
	}
	s->in_txn = 0;
	s->res->commits++;
	for (i = 0; i < s->npend; i++)
		answer(s->pend[i].c, s->pend[i].seq, s->pend[i].status);
	if (s->mode != M_LATENCY)
		s->res->copies += s->npend;
	s->npend = 0;
	if (s->npush > 0)
		push_bundles(s);
}

static void
srv_read(struct bufferevent *bev, void *arg)
{
	struct sconn *c = arg;
	struct server *s = c->srv;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t copy = s->st->o->copy_bytes, len;
	uint8_t hdr[HDR];
	unsigned char *f;
	int rc;

	while (evbuffer_get_length(in) >= HDR) {
		evbuffer_copyout(in, hdr, HDR);
		len = (size_t)get32(hdr) + HDR;
		if (len != copy && (s->mode != M_LATENCY || len != ACK_LEN)) {
			server_fail(s, "a frame of the wrong length");
			return;
		}
		if (evbuffer_get_length(in) < len)
			return;
		if ((f = evbuffer_pullup(in, (ev_ssize_t)len)) == NULL) {
			server_fail(s, "out of memory");
			return;
		}
		rc = len == copy ? take_copy(s, c, f) : take_ack(s, c, f);
		if (rc != 0) {
			server_stop(s);
			return;
		}
		evbuffer_drain(in, len);
	}
}

static void
srv_event(struct bufferevent *bev, short what, void *arg)
{
	struct sconn *c = arg;
	struct server *s = c->srv;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	bufferevent_free(bev);
	c->bev = NULL;
	if (++s->closed == s->st->o->conns)
		event_base_loopexit(s->base, NULL);
}

static void
srv_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct server *s = arg;
	struct sconn *c;
	SSL *ssl;
	int one = 1;

	(void)l;
	(void)sa;
	(void)salen;
	if (s->nconns == s->st->o->conns) {
		evutil_closesocket(fd);
		return;
	}
	c = &s->conns[s->nconns];
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((ssl = SSL_new(s->st->sctx)) == NULL ||
	    (c->bev = bufferevent_openssl_socket_new(s->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		server_fail(s, "cannot accept a connection");
		return;
	}
	s->nconns++;
	c->srv = s;
	bufferevent_priority_set(c->bev, 0);
	bufferevent_setcb(c->bev, srv_read, NULL, srv_event, c);
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
bound_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	server_fail(arg, "the phase ran past its bound");
}

/* The database of a phase that stores: WAL, FULL, SQLite's default
 * autocheckpoint (on this thread, so its CPU is counted). */
static int
open_db(struct server *s)
{
	static const char *const schema =
	    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "CREATE TABLE copy(id INTEGER PRIMARY KEY, agreement INTEGER NOT NULL,"
	    " party INTEGER NOT NULL, signature BLOB NOT NULL);"
	    "CREATE TABLE journal(seq INTEGER PRIMARY KEY, hash BLOB NOT NULL, entry TEXT NOT NULL);"
	    "CREATE TABLE message(id INTEGER PRIMARY KEY, agreement INTEGER NOT NULL, body BLOB NOT NULL);"
	    "CREATE TABLE delivery(id INTEGER PRIMARY KEY, message INTEGER NOT NULL, endpoint INTEGER NOT NULL,"
	    " acked_at REAL);";
	char *err = NULL;

	/* Through parleyd's own VFS, as its store: a commit's WAL writes are
	 * gathered until its sync (daemon/paced.h). */
	if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    paced_vfs()) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, &err) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "BEGIN", -1, &s->begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "COMMIT", -1, &s->commit, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT INTO copy(agreement, party, signature) VALUES(?, ?, ?)",
	    -1, &s->ins_copy, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT INTO journal(seq, hash, entry) VALUES(?, ?, ?)",
	    -1, &s->ins_journal, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT INTO message(agreement, body) VALUES(?, ?)",
	    -1, &s->ins_msg, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT INTO delivery(message, endpoint) VALUES(?, ?)",
	    -1, &s->ins_delivery, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "UPDATE delivery SET acked_at = ? WHERE id = ? AND endpoint = ? AND acked_at IS NULL",
	    -1, &s->upd_delivery, NULL) != SQLITE_OK) {
		snprintf(s->res->error, sizeof(s->res->error), "%s: %s", s->path,
		    err != NULL ? err : s->db != NULL ? sqlite3_errmsg(s->db) : "cannot open");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static void
remove_db(const char *path)
{
	char p[4200];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/* The latency phase's WAL checkpoints, as parleyd makes them: on a thread
 * and a connection of their own (PASSIVE), asked for after any commit
 * that leaves CKPT_PAGES or more in the WAL; SQLite's automatic one, inside
 * the COMMIT, would stall the loop.  The connection syncs the database
 * file in chunks through parleyd's own VFS (daemon/paced.c, the one piece
 * of parleyd linked in, which the server's own connection goes through
 * too), so that a commit never waits for a whole checkpoint's sync. */
struct ckpt {
	sqlite3 *db;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int want, stop;		/* under mu */
	uint64_t runs;		/* under mu */
};

static void *
ckpt_main(void *arg)
{
	struct ckpt *ck = arg;

	pthread_mutex_lock(&ck->mu);
	for (;;) {
		while (!ck->want && !ck->stop)
			pthread_cond_wait(&ck->cv, &ck->mu);
		if (ck->stop)
			break;
		ck->want = 0;
		pthread_mutex_unlock(&ck->mu);
		sqlite3_wal_checkpoint_v2(ck->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&ck->mu);
		ck->runs++;
	}
	pthread_mutex_unlock(&ck->mu);
	return NULL;
}

static int
ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct ckpt *ck = arg;

	(void)db;
	(void)name;
	if (pages >= CKPT_PAGES) {
		pthread_mutex_lock(&ck->mu);
		ck->want = 1;
		pthread_cond_signal(&ck->cv);
		pthread_mutex_unlock(&ck->mu);
	}
	return SQLITE_OK;
}

static int
ckpt_start(struct server *s)
{
	struct ckpt *ck = calloc(1, sizeof(*ck));

	if (ck == NULL)
		return -1;
	if (sqlite3_open_v2(s->path, &ck->db, SQLITE_OPEN_READWRITE, paced_vfs()) != SQLITE_OK ||
	    sqlite3_exec(ck->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK ||
	    pthread_mutex_init(&ck->mu, NULL) != 0) {
		sqlite3_close(ck->db);
		free(ck);
		return -1;
	}
	if (pthread_cond_init(&ck->cv, NULL) != 0 || pthread_create(&ck->tid, NULL, ckpt_main, ck) != 0) {
		pthread_mutex_destroy(&ck->mu);
		sqlite3_close(ck->db);
		free(ck);
		return -1;
	}
	s->ck = ck;
	sqlite3_wal_hook(s->db, ckpt_hook, ck);
	return 0;
}

static void
ckpt_stop(struct server *s)
{
	struct ckpt *ck = s->ck;

	if (ck == NULL)
		return;
	sqlite3_wal_hook(s->db, NULL, NULL);
	pthread_mutex_lock(&ck->mu);
	ck->stop = 1;
	pthread_cond_signal(&ck->cv);
	pthread_mutex_unlock(&ck->mu);
	pthread_join(ck->tid, NULL);
	s->res->checkpoints = ck->runs;
	pthread_cond_destroy(&ck->cv);
	pthread_mutex_destroy(&ck->mu);
	sqlite3_close(ck->db);
	free(ck);
	s->ck = NULL;
}

static void
server_free(struct server *s)
{
	int i;

	if (s->lis != NULL)
		evconnlistener_free(s->lis);
	for (i = 0; i < s->nconns; i++)
		if (s->conns[i].bev != NULL)
			bufferevent_free(s->conns[i].bev);
	if (s->commit_ev != NULL)
		event_free(s->commit_ev);
	if (s->bound_ev != NULL)
		event_free(s->bound_ev);
	if (s->base != NULL)
		event_base_free(s->base);
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->ins_copy);
	sqlite3_finalize(s->ins_journal);
	sqlite3_finalize(s->ins_msg);
	sqlite3_finalize(s->ins_delivery);
	sqlite3_finalize(s->upd_delivery);
	ckpt_stop(s);
	if (s->db != NULL) {
		sqlite3_close(s->db);
		remove_db(s->path);
	}
	for (i = 0; i < MAX_PARTIES; i++)
		EVP_MD_CTX_free(s->vctx[i]);
	EVP_MD_CTX_free(s->mctx);
	EVP_MD_CTX_free(s->hctx);
	EVP_MD_free(s->sha256);
	free(s->pend);
	free(s->agr);
	free(s->bundle);
}

/* Everything the server needs before its thread starts; the listener is
 * bound, so st->addr holds its port. */
static int
server_init(struct server *s, struct setup *st, enum mode mode, struct result *res, int phase)
{
	const struct opts *o = st->o;
	struct event_config *cfg = event_config_new();
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct timeval bound = { (mode == M_LATENCY ? LATENCY_BOUND : o->seconds) + GRACE, 0 };
	int p;

	memset(s, 0, sizeof(*s));
	s->st = st;
	s->mode = mode;
	s->res = res;
	/* As parleyd's loop: epoll with the change list; priorities, so that
	 * the commit runs after every read of the turn. */
	if (cfg == NULL || event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) != 0 ||
	    (s->base = event_base_new_with_config(cfg)) == NULL ||
	    event_base_priority_init(s->base, 2) != 0) {
		event_config_free(cfg);
		set_error(res, "cannot make the server's loop");
		return -1;
	}
	event_config_free(cfg);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s->lis = evconnlistener_new_bind(s->base, srv_accept, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64, (struct sockaddr *)&sin, sizeof(sin))) == NULL ||
	    getsockname(evconnlistener_get_fd(s->lis), (struct sockaddr *)&st->addr, &sl) != 0) {
		set_error(res, "cannot listen on 127.0.0.1");
		return -1;
	}
	if ((s->commit_ev = event_new(s->base, -1, 0, commit_cb, s)) == NULL ||
	    event_priority_set(s->commit_ev, 1) != 0 ||
	    (s->bound_ev = evtimer_new(s->base, bound_cb, s)) == NULL ||
	    event_add(s->bound_ev, &bound) != 0) {
		set_error(res, "cannot make the server's events");
		return -1;
	}
	for (p = 0; p < o->parties; p++)
		if ((s->vctx[p] = key_ctx(st->signer[p], 0)) == NULL) {
			set_error(res, "a verifying context");
			return -1;
		}
	if ((s->mctx = key_ctx(st->mediator, 1)) == NULL || (s->hctx = EVP_MD_CTX_new()) == NULL ||
	    (s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		set_error(res, "the mediator's context");
		return -1;
	}
	if ((s->agr = calloc(st->pool_ag + 1, sizeof(*s->agr))) == NULL ||
	    (s->bundle = malloc(o->bundle_bytes)) == NULL) {
		set_error(res, "out of memory");
		return -1;
	}
	memset(s->bundle, 't', o->bundle_bytes);
	snprintf(s->path, sizeof(s->path), "%s/copy-floor-%ld-%d.db", o->dir, (long)getpid(), phase);
	if (mode >= M_STORE) {
		remove_db(s->path);
		if (open_db(s) != 0)
			return -1;
		if (mode == M_LATENCY && ckpt_start(s) != 0) {
			set_error(res, "cannot start the checkpoint thread");
			return -1;
		}
	}
	return 0;
}

/* Verification (and the release's signature) timed on this thread, on a
 * copy of the pool: with the context made once, as the phases use it, and
 * with a context made per call from the cached key. */
static int
time_crypto(struct server *s)
{
	const struct opts *o = s->st->o;
	const uint8_t *c = copy_at(s->st, 0, 0);
	size_t n = o->copy_bytes - OFF_SIGNED - SIG, siglen;
	uint8_t sig[SIG], msg[MAX_PARTIES * SIG];
	double t0;
	int i, ok = 1;

	t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < VERIFY_RUNS; i++)
		ok &= EVP_DigestVerify(s->vctx[0], c + o->copy_bytes - SIG, SIG, c + OFF_SIGNED, n) == 1;
	*s->verify_us = (clock_s(CLOCK_THREAD_CPUTIME_ID) - t0) * 1e6 / VERIFY_RUNS;
	t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < VERIFY_RUNS / 4; i++) {
		EVP_MD_CTX *v = key_ctx(s->st->signer[0], 0);

		ok &= v != NULL && EVP_DigestVerify(v, c + o->copy_bytes - SIG, SIG, c + OFF_SIGNED, n) == 1;
		EVP_MD_CTX_free(v);
	}
	*s->verify_init_us = (clock_s(CLOCK_THREAD_CPUTIME_ID) - t0) * 1e6 / (VERIFY_RUNS / 4);
	memset(msg, 's', sizeof(msg));
	t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < VERIFY_RUNS / 4; i++) {
		siglen = SIG;
		ok &= EVP_DigestSign(s->mctx, sig, &siglen, msg, (size_t)o->parties * SIG) == 1;
	}
	*s->sign_us = (clock_s(CLOCK_THREAD_CPUTIME_ID) - t0) * 1e6 / (VERIFY_RUNS / 4);
	/* A context used many times still refuses a wrong signature. */
	memcpy(sig, c + o->copy_bytes - SIG, SIG);
	sig[7] ^= 1;
	if (!ok || EVP_DigestVerify(s->vctx[0], sig, SIG, c + OFF_SIGNED, n) == 1) {
		set_error(s->res, "the verification does not verify");
		return -1;
	}
	ERR_clear_error();
	return 0;
}

static void *
server_main(void *arg)
{
	struct server *s = arg;

	if (s->verify_us != NULL && time_crypto(s) != 0) {
		/* Refuse the client's connections: it fails at once. */
		evconnlistener_free(s->lis);
		s->lis = NULL;
		return NULL;
	}
	event_base_dispatch(s->base);
	s->awaiting = 0;
	s->npush = 0;
	if (s->in_txn)
		commit_cb(-1, 0, s);
	return NULL;
}

/* ---- the client ---- */

struct cconn {
	struct bufferevent *bev;
	struct client *cl;
};

struct client {
	const struct setup *st;
	struct event_base *base;
	struct event *stop_ev, *bound_ev;
	struct cconn conns[MAX_CONNS];
	int connected, running, inflight, finished;
	uint64_t launched;
	int *count;		/* answers of launch l at l % pool_ag; 0 when free */
	uint64_t *launch;	/* which launch holds the slot */
	uint64_t sent, answered;
	double p0, t0, w0;
	struct result *res;
	/* The latency phase: one agreement at a time. */
	double *lat, *lat_ok;	/* o->latency samples each, in seconds */
	int nlat, step, answers, acks;
	double ts0, tok;
};

static void
client_done(struct client *cl)
{
	if (cl->finished++)
		return;
	cl->res->server_cpu_s = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cl->p0 -
	    (clock_s(CLOCK_THREAD_CPUTIME_ID) - cl->t0);
	cl->res->client_cpu_s = clock_s(CLOCK_THREAD_CPUTIME_ID) - cl->t0;
	cl->res->wall_s = clock_s(CLOCK_MONOTONIC) - cl->w0;
	event_base_loopexit(cl->base, NULL);
}

static void
client_fail(struct client *cl, const char *what)
{
	set_error(cl->res, what);
	event_base_loopexit(cl->base, NULL);
}

/* Launch agreements while fewer than K are in flight: every party's copy,
 * each on its party's connection (party p's endpoints in turn, as loadgen
 * sign sends them). */
static void
launch(struct client *cl)
{
	const struct opts *o = cl->st->o;
	int p;

	while (cl->running && cl->inflight < o->inflight) {
		uint64_t l = cl->launched;
		size_t slot = (size_t)(l % cl->st->pool_ag);

		if (cl->count[slot] != 0)
			return;		/* the pool's agreement is still out */
		cl->count[slot] = -1;
		cl->launch[slot] = l;
		cl->launched++;
		cl->inflight++;
		for (p = 0; p < o->parties; p++) {
			uint8_t *c = copy_at(cl->st, slot, p);
			int k = (p * o->endpoints + (int)(l % (uint64_t)o->endpoints)) % o->conns;

			put64(c + OFF_SEQ, l * (uint64_t)o->parties + (uint64_t)p);
			if (bufferevent_write(cl->conns[k].bev, c, o->copy_bytes) != 0) {
				client_fail(cl, "cannot send a copy");
				return;
			}
			cl->sent++;
		}
	}
}

static void
cli_read(struct bufferevent *bev, void *arg)
{
	struct cconn *cc = arg;
	struct client *cl = cc->cl;
	const struct opts *o = cl->st->o;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t a[ANSWER];

	while (evbuffer_get_length(in) >= ANSWER) {
		uint64_t seq, l;
		size_t slot;

		evbuffer_remove(in, a, ANSWER);
		seq = get64(a + 4);
		l = seq / (uint64_t)o->parties;
		slot = (size_t)(l % cl->st->pool_ag);
		if (get32(a) != ANSWER - HDR || get32(a + 12) != 0 || cl->launch[slot] != l ||
		    cl->count[slot] == 0) {
			client_fail(cl, get32(a + 12) != 0 ? "a copy was refused" : "an answer to nothing sent");
			return;
		}
		cl->answered++;
		if (cl->count[slot] < 0)
			cl->count[slot] = 0;
		if (++cl->count[slot] == o->parties) {
			cl->count[slot] = 0;
			cl->inflight--;
		}
	}
	if (cl->running)
		launch(cl);
	else if (cl->inflight == 0)
		client_done(cl);
}

/* A latency sample: every party but the last signs (one copy each, on its
 * first endpoint's connection); when all are answered the clock starts
 * and the last copy goes; it stops when every connection's bundle has been
 * acked and the ack answered, as loadgen latency's. */
static void
lat_send(struct client *cl, int party)
{
	const struct opts *o = cl->st->o;
	size_t slot = (size_t)cl->nlat % cl->st->pool_ag;
	uint8_t *c = copy_at(cl->st, slot, party);

	put64(c + OFF_SEQ, (uint64_t)cl->nlat * (uint64_t)o->parties + (uint64_t)party);
	if (bufferevent_write(cl->conns[party * o->endpoints % o->conns].bev, c, o->copy_bytes) != 0)
		client_fail(cl, "cannot send a copy");
}

static void
lat_next(struct client *cl)
{
	const struct opts *o = cl->st->o;
	int p;

	if (cl->nlat == o->latency) {
		client_done(cl);
		return;
	}
	cl->answers = cl->acks = 0;
	cl->step = 1;
	for (p = 0; p + 1 < o->parties; p++)
		lat_send(cl, p);
	if (o->parties == 1) {
		cl->step = 2;
		cl->ts0 = clock_s(CLOCK_MONOTONIC);
		lat_send(cl, 0);
	}
}

static void
lat_answer(struct client *cl, const uint8_t *a)
{
	const struct opts *o = cl->st->o;
	uint64_t seq = get64(a + 4);

	if (get32(a + 12) != 0) {
		client_fail(cl, seq & ACK_BIT ? "an ack was refused" : "a copy was refused");
		return;
	}
	if (seq & ACK_BIT) {
		cl->acks++;
	} else if (seq / (uint64_t)o->parties != (uint64_t)cl->nlat) {
		client_fail(cl, "an answer to nothing sent");
		return;
	} else if (++cl->answers == o->parties - 1 && cl->step == 1) {
		cl->step = 2;
		cl->ts0 = clock_s(CLOCK_MONOTONIC);
		lat_send(cl, o->parties - 1);
	} else if (cl->answers == o->parties) {
		cl->tok = clock_s(CLOCK_MONOTONIC);
	}
	if (cl->step == 2 && cl->answers == o->parties && cl->acks == o->conns) {
		cl->lat[cl->nlat] = clock_s(CLOCK_MONOTONIC) - cl->ts0;
		cl->lat_ok[cl->nlat] = cl->tok - cl->ts0;
		cl->nlat++;
		lat_next(cl);
	}
}

static void
cli_read_lat(struct bufferevent *bev, void *arg)
{
	struct cconn *cc = arg;
	struct client *cl = cc->cl;
	const struct opts *o = cl->st->o;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t h[ACK_LEN];
	uint64_t did;
	size_t len;

	while (!cl->finished && evbuffer_get_length(in) >= HDR) {
		evbuffer_copyout(in, h, HDR);
		len = (size_t)get32(h) + HDR;
		if (len != ANSWER && len != HDR + 8 + o->bundle_bytes) {
			client_fail(cl, "a frame of the wrong length");
			return;
		}
		if (evbuffer_get_length(in) < len)
			return;
		evbuffer_remove(in, h, len == ANSWER ? ANSWER : HDR + 8);
		if (len == ANSWER) {
			lat_answer(cl, h);
			continue;
		}
		/* A bundle: acked at once (seq ACK_BIT | delivery, delivery). */
		evbuffer_drain(in, o->bundle_bytes);
		did = get64(h + HDR);
		put32(h, ACK_LEN - HDR);
		put64(h + HDR, ACK_BIT | did);
		put64(h + HDR + 8, did);
		if (bufferevent_write(bev, h, ACK_LEN) != 0)
			client_fail(cl, "cannot send an ack");
	}
}

static void
cli_event(struct bufferevent *bev, short what, void *arg)
{
	struct cconn *cc = arg;
	struct client *cl = cc->cl;
	int one = 1;

	if (what & BEV_EVENT_CONNECTED) {
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (++cl->connected == cl->st->o->conns) {
			/* Every connection is up: the clock starts. */
			struct timeval d = { cl->st->o->seconds, 0 };

			cl->p0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
			cl->t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
			cl->w0 = clock_s(CLOCK_MONOTONIC);
			cl->running = 1;
			if (cl->st->o->latency > 0) {
				lat_next(cl);
				return;
			}
			evtimer_add(cl->stop_ev, &d);
			launch(cl);
		}
		return;
	}
	client_fail(cl, what & BEV_EVENT_EOF ? "the server closed a connection" : "a connection failed");
}

static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client *cl = arg;

	(void)fd;
	(void)what;
	cl->running = 0;	/* no agreement starts now; the last ones finish */
	if (cl->inflight == 0)
		client_done(cl);
}

static void
cbound_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	client_fail(arg, "copies unanswered at the phase's bound");
}

static void *
client_main(void *arg)
{
	struct client *cl = arg;
	const struct opts *o = cl->st->o;
	struct timeval bound = { (o->latency > 0 ? LATENCY_BOUND : o->seconds) + GRACE, 0 };
	int i;

	if ((cl->base = event_base_new()) == NULL ||
	    (cl->stop_ev = evtimer_new(cl->base, stop_cb, cl)) == NULL ||
	    (cl->bound_ev = evtimer_new(cl->base, cbound_cb, cl)) == NULL ||
	    event_add(cl->bound_ev, &bound) != 0) {
		set_error(cl->res, "cannot make the client's loop");
		goto done;
	}
	for (i = 0; i < o->conns; i++) {
		struct cconn *cc = &cl->conns[i];
		SSL *ssl = SSL_new(cl->st->cctx);

		cc->cl = cl;
		if (ssl == NULL || (cc->bev = bufferevent_openssl_socket_new(cl->base, -1, ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
			SSL_free(ssl);
			set_error(cl->res, "cannot make a client connection");
			goto done;
		}
		bufferevent_setcb(cc->bev, o->latency > 0 ? cli_read_lat : cli_read, NULL, cli_event, cc);
		bufferevent_openssl_set_allow_dirty_shutdown(cc->bev, 1);
		bufferevent_enable(cc->bev, EV_READ | EV_WRITE);
		if (bufferevent_socket_connect(cc->bev, (const struct sockaddr *)&cl->st->addr,
		    sizeof(cl->st->addr)) != 0) {
			set_error(cl->res, "cannot connect to 127.0.0.1");
			goto done;
		}
	}
	event_base_dispatch(cl->base);
done:
	for (i = 0; i < o->conns; i++)
		if (cl->conns[i].bev != NULL)
			bufferevent_free(cl->conns[i].bev);	/* the server sees them go */
	if (cl->stop_ev != NULL)
		event_free(cl->stop_ev);
	if (cl->bound_ev != NULL)
		event_free(cl->bound_ev);
	if (cl->base != NULL)
		event_base_free(cl->base);
	return NULL;
}

/* ---- phases ---- */

/* lat, lat_ok: the latency phase's samples (st->o->latency each), or NULL. */
static int
run_phase(struct setup *st, enum mode mode, int phase, struct result *res,
    double *verify_us, double *verify_init_us, double *sign_us, double *lat, double *lat_ok)
{
	struct server *s = calloc(1, sizeof(*s));
	struct client *cl = calloc(1, sizeof(*cl));
	struct result cres;	/* the client thread's; res is the server's */
	pthread_t ts, tc;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&cres, 0, sizeof(cres));
	if (s == NULL || cl == NULL || (cl->count = calloc(st->pool_ag, sizeof(*cl->count))) == NULL ||
	    (cl->launch = calloc(st->pool_ag, sizeof(*cl->launch))) == NULL) {
		set_error(res, "out of memory");
		goto done;
	}
	if (server_init(s, st, mode, res, phase) != 0)
		goto done;
	s->verify_us = verify_us;
	s->verify_init_us = verify_init_us;
	s->sign_us = sign_us;
	if (pthread_create(&ts, NULL, server_main, s) != 0) {
		set_error(res, "cannot start the server thread");
		goto done;
	}
	cl->st = st;
	cl->res = &cres;
	cl->lat = lat;
	cl->lat_ok = lat_ok;
	if (pthread_create(&tc, NULL, client_main, cl) != 0) {
		set_error(res, "cannot start the client thread");
		/* The server stops at its bound: no connection will come. */
	} else {
		pthread_join(tc, NULL);
	}
	pthread_join(ts, NULL);
	/* The server's error first: a failure there closes every connection,
	 * which is what the client then reports. */
	if (res->error[0] == '\0' && cres.error[0] != '\0')
		memcpy(res->error, cres.error, sizeof(res->error));
	res->server_cpu_s = cres.server_cpu_s;
	res->client_cpu_s = cres.client_cpu_s;
	res->wall_s = cres.wall_s;
	if (lat != NULL && cl->nlat != st->o->latency && res->error[0] == '\0')
		set_error(res, "the latency samples did not all finish");
	rc = res->error[0] == '\0' ? 0 : -1;
done:
	if (s != NULL)
		server_free(s);
	if (cl != NULL) {
		free(cl->count);
		free(cl->launch);
	}
	free(s);
	free(cl);
	return rc;
}

/* The database files to remove when the overall alarm or a signal to
 * stop (timeout(1) sends SIGTERM) ends the run: the one global, because a
 * signal handler takes no argument.  Filled before the handlers are set,
 * so that they only unlink (async-signal-safe). */
static char alarm_files[M_COUNT * 3][4200];

static void
on_signal(int sig)
{
	static const char late[] = "copy-floor: the overall time bound passed\n";
	static const char stop[] = "copy-floor: stopped by a signal\n";
	const char *msg = sig == SIGALRM ? late : stop;
	size_t len = sig == SIGALRM ? sizeof(late) - 1 : sizeof(stop) - 1, i;

	for (i = 0; i < sizeof(alarm_files) / sizeof(alarm_files[0]); i++)
		if (alarm_files[i][0] != '\0')
			unlink(alarm_files[i]);
	if (write(2, msg, len) < 0)
		_exit(3);
	_exit(3);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: copy-floor --dir DIR [--copy-bytes B (1400)] [--inflight K (64)] [--parties N (8)]\n"
	    "                  [--endpoints M (2)] [--connections C (N x M)] [--bundle-bytes S (5300)]\n"
	    "                  [--seconds D (3)] [--verify-rate R (openssl speed's verify/s, 0: none)]\n"
	    "                  [--latency SAMPLES (1-10000; instead of the CPU phases: the release latency)]\n");
}

static int
num(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static void
print_phase(const char *name, const struct result *r, int last)
{
	printf("\"%s\":{\"copies\":%llu,\"copies_per_s\":%.1f,\"cpu_us_per_copy\":%.2f,"
	    "\"server_cpu_s\":%.4f,\"client_cpu_s\":%.4f,\"wall_s\":%.4f,\"commits\":%llu,"
	    "\"copies_per_commit\":%.1f,\"releases\":%llu,\"bad_signatures\":%llu,"
	    "\"verify_wall_us\":%.2f}%s",
	    name, (unsigned long long)r->copies, r->wall_s > 0 ? (double)r->copies / r->wall_s : 0.0,
	    r->copies ? r->server_cpu_s * 1e6 / (double)r->copies : 0.0, r->server_cpu_s,
	    r->client_cpu_s, r->wall_s, (unsigned long long)r->commits,
	    r->commits ? (double)r->copies / (double)r->commits : 0.0,
	    (unsigned long long)r->releases, (unsigned long long)r->bad,
	    r->verified ? r->verify_s * 1e6 / (double)r->verified : 0.0, last ? "" : ",");
}

static int
by_value(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* Nearest rank (permille) of sorted v, as loadgen's. */
static double
pct_ms(const double *v, int n, int permille)
{
	int k = (permille * n + 999) / 1000;

	return n ? v[k ? k - 1 : 0] * 1e3 : 0.0;
}

static int
latency_phase(struct setup *st)
{
	const struct opts *o = st->o;
	double *lat = calloc((size_t)o->latency, sizeof(*lat)), sum = 0;
	double *lat_ok = calloc((size_t)o->latency, sizeof(*lat_ok));
	struct result r;
	int i, rc = 1;

	if (lat == NULL || lat_ok == NULL) {
		fprintf(stderr, "copy-floor: out of memory\n");
		goto done;
	}
	if (run_phase(st, M_LATENCY, 0, &r, NULL, NULL, NULL, lat, lat_ok) != 0) {
		fprintf(stderr, "copy-floor: phase latency: %s\n", r.error);
		goto done;
	}
	for (i = 0; i < o->latency; i++)
		sum += lat[i];
	qsort(lat, (size_t)o->latency, sizeof(*lat), by_value);
	qsort(lat_ok, (size_t)o->latency, sizeof(*lat_ok), by_value);
	printf("{\"mode\":\"latency\",\"parties\":%d,\"endpoints_per_party\":%d,\"connections\":%d,"
	    "\"copy_bytes\":%zu,\"bundle_bytes\":%zu,\"samples\":%d,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
	    "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"mean_ms\":%.3f,\"last_copy_ok_p50_ms\":%.3f,"
	    "\"last_copy_ok_p99_ms\":%.3f,\"commits\":%llu,\"commits_per_sample\":%.2f,"
	    "\"acks\":%llu,\"releases\":%llu,\"wal_checkpoints\":%llu,",
	    o->parties, o->endpoints, o->conns, o->copy_bytes, o->bundle_bytes, o->latency,
	    pct_ms(lat, o->latency, 500), pct_ms(lat, o->latency, 900), pct_ms(lat, o->latency, 990),
	    lat[o->latency - 1] * 1e3, sum * 1e3 / o->latency, pct_ms(lat_ok, o->latency, 500),
	    pct_ms(lat_ok, o->latency, 990), (unsigned long long)r.commits,
	    (double)r.commits / o->latency, (unsigned long long)r.acks,
	    (unsigned long long)r.releases, (unsigned long long)r.checkpoints);
	printf("\"how\":\"two threads, a libevent loop each, %d TCP connections over 127.0.0.1 "
	    "(one per endpoint: %d parties x %d), mutual TLS 1.3 as in the CPU phases; one agreement "
	    "at a time: every party but the last sends its copy (%zu bytes, Ed25519-signed) on its "
	    "first endpoint's connection; when all are answered the clock starts and the last copy "
	    "goes; the server verifies it, appends the copy row and a chained journal row, signs the "
	    "release, stores a %zu-byte bundle and a delivery row per endpoint, commits (SQLite WAL, "
	    "synchronous=FULL), answers, and pushes the bundle on every connection; each client "
	    "connection acks it at once; the server records each ack (the delivery row and a journal "
	    "row), its idle commit waiting up to 1 ms for the acks of bundles just pushed (as "
	    "parleyd's), commits and answers; the clock stops when every ack is answered. WAL "
	    "checkpoints PASSIVE on a thread and a connection of their own, asked for after a commit "
	    "that leaves %d or more pages in the WAL (as parleyd's). p50/p90/p99: nearest rank\"}\n",
	    o->conns, o->parties, o->endpoints, o->copy_bytes, o->bundle_bytes, CKPT_PAGES);
	rc = 0;
done:
	free(lat);
	free(lat_ok);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "copy-bytes", required_argument, NULL, 'b' },
		{ "inflight", required_argument, NULL, 'k' },
		{ "parties", required_argument, NULL, 'n' },
		{ "endpoints", required_argument, NULL, 'm' },
		{ "connections", required_argument, NULL, 'c' },
		{ "bundle-bytes", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "verify-rate", required_argument, NULL, 'r' },
		{ "latency", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { NULL, 1400, 5300, 64, 8, 2, 0, 3, 0, 0 };
	struct setup st;
	struct result res[M_COUNT];
	double verify_us = 0, verify_init_us = 0, sign_us = 0, cpu[M_COUNT], rv, vin;
	long v;
	int ch, i, p, rc = 1;
	char *end;

	memset(&st, 0, sizeof(st));
	while ((ch = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (ch) {
		case 'd': o.dir = optarg; break;
		case 'b': if (num(optarg, MIN_COPY, MAX_COPY, &v) != 0) goto bad; o.copy_bytes = (size_t)v; break;
		case 'k': if (num(optarg, 1, 4096, &v) != 0) goto bad; o.inflight = (int)v; break;
		case 'n': if (num(optarg, 1, MAX_PARTIES, &v) != 0) goto bad; o.parties = (int)v; break;
		case 'm': if (num(optarg, 1, 64, &v) != 0) goto bad; o.endpoints = (int)v; break;
		case 'c': if (num(optarg, 1, MAX_CONNS, &v) != 0) goto bad; o.conns = (int)v; break;
		case 's': if (num(optarg, SIG, 1 << 24, &v) != 0) goto bad; o.bundle_bytes = (size_t)v; break;
		case 't': if (num(optarg, 1, 600, &v) != 0) goto bad; o.seconds = (int)v; break;
		case 'l': if (num(optarg, 1, MAX_LATENCY, &v) != 0) goto bad; o.latency = (int)v; break;
		case 'r':
			rv = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || !(rv >= 0))
				goto bad;
			o.verify_rate = rv;
			break;
		case 'h': usage(); return 0;
		default: goto bad;
		}
	}
	if (optind != argc || o.dir == NULL)
		goto bad;
	if (o.conns == 0)
		o.conns = o.parties * o.endpoints > MAX_CONNS ? MAX_CONNS : o.parties * o.endpoints;
	if (o.latency > 0 && o.conns != o.parties * o.endpoints) {
		fprintf(stderr, "copy-floor: --latency needs a connection per endpoint (N x M, at most %d)\n",
		    MAX_CONNS);
		return 2;
	}
	if (strlen(o.dir) > 4000) {
		fprintf(stderr, "copy-floor: --dir is too long\n");
		return 2;
	}
	for (i = 0; i < M_COUNT * 3; i++)
		snprintf(alarm_files[i], sizeof(alarm_files[0]), "%s/copy-floor-%ld-%d.db%s",
		    o.dir, (long)getpid(), i / 3, i % 3 == 0 ? "" : i % 3 == 1 ? "-wal" : "-shm");
	if (access(o.dir, W_OK) != 0) {
		fprintf(stderr, "copy-floor: cannot write in %s\n", o.dir);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	alarm((unsigned)(o.latency > 0 ? LATENCY_BOUND + GRACE + 60 :
	    M_COUNT * (o.seconds + GRACE + 10) + 60));

	st.o = &o;
	st.pool_ag = (size_t)o.inflight * 4;
	if ((st.sctx = make_ctx(1)) == NULL || (st.cctx = make_ctx(0)) == NULL ||
	    (st.mediator = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL) {
		fprintf(stderr, "copy-floor: cannot make keys and TLS contexts\n");
		ERR_print_errors_fp(stderr);
		goto out;
	}
	for (p = 0; p < o.parties; p++)
		if ((st.signer[p] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL) {
			fprintf(stderr, "copy-floor: cannot make the parties' keys\n");
			goto out;
		}
	if (sign_pool(&st) != 0) {
		fprintf(stderr, "copy-floor: cannot sign the copies\n");
		ERR_print_errors_fp(stderr);
		goto out;
	}
	if (o.latency > 0) {
		rc = latency_phase(&st);
		goto out;
	}
	for (i = 0; i < M_COUNT; i++) {
		if (run_phase(&st, (enum mode)i, i, &res[i], i == 0 ? &verify_us : NULL,
		    i == 0 ? &verify_init_us : NULL, i == 0 ? &sign_us : NULL, NULL, NULL) != 0) {
			fprintf(stderr, "copy-floor: phase %s: %s\n", mode_name[i], res[i].error);
			goto out;
		}
		cpu[i] = res[i].copies ? res[i].server_cpu_s * 1e6 / (double)res[i].copies : 0;
	}

	printf("{\"copy_bytes\":%zu,\"signed_bytes\":%zu,\"answer_bytes\":%d,\"inflight\":%d,"
	    "\"parties\":%d,\"endpoints_per_party\":%d,\"connections\":%d,\"bundle_bytes\":%zu,"
	    "\"seconds\":%d,\"pool_agreements\":%zu,",
	    o.copy_bytes, o.copy_bytes - OFF_SIGNED - SIG, ANSWER, o.inflight, o.parties,
	    o.endpoints, o.conns, o.bundle_bytes, o.seconds, st.pool_ag);
	printf("\"verify_us\":%.2f,\"verify_with_init_us\":%.2f,\"release_sign_us\":%.2f,",
	    verify_us, verify_init_us, sign_us);
	if (o.verify_rate > 0)
		printf("\"openssl_speed_verify_per_s\":%.1f,\"openssl_speed_verify_us\":%.2f,",
		    o.verify_rate, 1e6 / o.verify_rate);
	/* The split at the acceptance rate: the verification is the time
	 * inside EVP_DigestVerify in the phase that verifies, TLS and the loop
	 * the rest of that phase; the TLS-only phase runs far faster, with
	 * larger reads, and shows TLS at full speed. */
	vin = res[M_VERIFY].verified ? res[M_VERIFY].verify_s * 1e6 / (double)res[M_VERIFY].verified : 0;
	printf("\"cpu_us_per_copy\":%.2f,\"split_us\":{\"tls\":%.2f,\"verify\":%.2f,"
	    "\"durable_append\":%.2f,\"release\":%.2f},\"tls_at_full_speed_us\":%.2f,",
	    cpu[M_ALL], cpu[M_VERIFY] - vin, vin, cpu[M_STORE] - cpu[M_VERIFY],
	    cpu[M_ALL] - cpu[M_STORE], cpu[M_TLS]);
	printf("\"ratio_to_verify_in_process\":%.4f,", verify_us > 0 ? cpu[M_ALL] / verify_us : 0.0);
	if (o.verify_rate > 0)
		printf("\"ratio_to_openssl_speed_verify\":%.4f,", cpu[M_ALL] * o.verify_rate / 1e6);
	printf("\"phases\":{");
	for (i = 0; i < M_COUNT; i++)
		print_phase(mode_name[i], &res[i], i == M_COUNT - 1);
	printf("},\"how\":\"two threads, a libevent loop each, %d TCP connections over 127.0.0.1, "
	    "mutual TLS 1.3 (Ed25519 certificates made in memory, X25519, parleyd's server options), "
	    "bufferevent_openssl at both ends; the client keeps %d agreements of %d copies in flight, "
	    "copies of %zu bytes (length prefix included) signed with Ed25519 by a key per party before "
	    "the clock starts (a pool of %zu agreements, reused in turn), one %d-byte answer each. "
	    "The server, on one thread: verifies with EVP_DigestVerify on a context made once per "
	    "party key; appends in SQLite (WAL, synchronous=FULL, default autocheckpoint, no index "
	    "but the row ids) a copy row (agreement, party, signature) and a journal row "
	    "(seq, SHA-256 chained to the previous entry, a short text) in one transaction per loop "
	    "turn, committed by a lower-priority event made active at the turn's first copy, and "
	    "answers after the commit; the %d-th copy of an agreement signs a release (Ed25519, the "
	    "copies' signatures) and stores a %zu-byte bundle and %d delivery rows. Phases of %d s, "
	    "fresh each: tls (answers only), tls_verify, tls_verify_store, all. CPU per copy = "
	    "process CPU (CLOCK_PROCESS_CPUTIME_ID: utime + stime of all threads) minus the client "
	    "thread's (CLOCK_THREAD_CPUTIME_ID), from all connections up to the last answer, over "
	    "the copies answered; split_us: verify = the time inside EVP_DigestVerify in the tls_verify "
	    "phase (monotonic clock: on a busy machine it counts preemption too), tls = the rest of "
	    "that phase's CPU per copy, durable_append and release = the differences to the next "
	    "phases (they add up to cpu_us_per_copy); tls_at_full_speed_us = the tls phase's; "
	    "verify_us: %d verifications of one copy on the first server thread before it serves\"}\n",
	    o.conns, o.inflight, o.parties, o.copy_bytes, st.pool_ag, ANSWER, o.parties,
	    o.bundle_bytes, o.parties * o.endpoints, o.seconds, VERIFY_RUNS);
	rc = 0;
	goto out;
bad:
	usage();
	return 2;
out:
	alarm(0);
	for (p = 0; p < MAX_PARTIES; p++)
		EVP_PKEY_free(st.signer[p]);
	EVP_PKEY_free(st.mediator);
	SSL_CTX_free(st.sctx);
	SSL_CTX_free(st.cctx);
	free(st.pool);
	return rc;
}
