/* tls-mem: what OpenSSL holds for one idle parleyd connection, counted,
 * and the floor of any libevent + bufferevent_openssl server.
 *
 *   tls-mem STATE_DIR CLIENT_CERT CLIENT_KEY [N]
 *
 * Builds parleyd's own server context (daemon/tls: STATE_DIR/server.crt and
 * server.key, its options) and a client context with the given Ed25519
 * certificate, then opens N (default 200) connections over socket pairs in
 * this process: TLS 1.3 handshake with the client certificate, one byte of
 * application data each way, client side freed (its socket left open, as a
 * peer that says nothing), server side kept, as an idle endpoint's
 * connection is.  Every allocation OpenSSL makes goes through counting
 * functions (CRYPTO_set_mem_functions); the bytes still held by the server
 * sides, per connection, are printed as one JSON object, with the
 * allocation sites that hold at least 128 bytes a connection.  The first
 * 10 connections are not counted (contexts warm up).
 *
 * Then the floor: every kept SSL is handed to a bufferevent_openssl on one
 * event loop, opened as parleyd's sessions are once TLS is done (the same
 * options, watermarks and events as daemon/session.c and daemon/conn.c;
 * the warm connections first, so that the loop's own arrays exist), and
 * what glibc's malloc holds more for them (mallinfo2's uordblks: chunk
 * sizes, so headers included) is added to OpenSSL's bytes as chunks.
 * Nothing leaves the process: no network, no files written.  Built by
 * `make bench`.
 *
 * The counters are file-level statics: OpenSSL's memory hooks take no
 * context argument, and they are set once, before OpenSSL allocates. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "daemon/tls.h"

#define WARM 10		/* connections opened before counting starts */
#define MAX_SITES 512
#define MAX_LIVE (1 << 20)
/* glibc's chunk for an allocation on x86-64 (not mmapped): its usable size
 * (malloc_usable_size) plus one size word. */
#define CHUNK_HDR 8
/* What daemon/conn.c sets on a party connection with the default limits:
 * the input high watermark (max_frame + the length prefix) and the output
 * low watermark (daemon/session.c: half of the smaller of half of
 * max_queued_output, 4 MiB, and DELIVERY_PUSH_WINDOW_MAX, 1 MiB). */
#define READ_HIGH (1048576 + 4)
#define WRITE_LOW (1048576 / 2)

struct site {
	const char *file;
	int line;
	long bytes, allocs;
};

/* One live allocation made while counting: where it was made. */
struct live {
	void *p;
	size_t size;
	int site;
};

static struct {
	int counting;
	long bytes, allocs;
	struct site sites[MAX_SITES];
	int nsites;
	struct live *live;	/* open-addressed by pointer */
	size_t nlive;
	int overflow;		/* a table filled: the figures are incomplete */
	/* libevent's allocations while the counted connections are wrapped:
	 * net usable bytes and net count (frees subtract what they free). */
	int ev_counting;
	long ev_bytes, ev_allocs;
} ct;

static size_t
slot_of(const void *p)
{
	size_t h = (size_t)p >> 4;

	return (h * 0x9e3779b97f4a7c15ULL) & (MAX_LIVE - 1);
}

static void
note_alloc(void *p, const char *file, int line)
{
	size_t u = malloc_usable_size(p), i;
	int s;

	if (!ct.counting)
		return;
	for (s = 0; s < ct.nsites; s++)
		if (ct.sites[s].line == line && ct.sites[s].file == file)
			break;
	if (s == ct.nsites) {
		if (ct.nsites == MAX_SITES) {
			ct.overflow = 1;
			return;
		}
		ct.sites[s].file = file;
		ct.sites[s].line = line;
		ct.nsites++;
	}
	if (ct.nlive >= MAX_LIVE / 2) {
		ct.overflow = 1;
		return;
	}
	for (i = slot_of(p); ct.live[i].p != NULL; i = (i + 1) & (MAX_LIVE - 1))
		;
	ct.live[i].p = p;
	ct.live[i].size = u;
	ct.live[i].site = s;
	ct.nlive++;
	ct.sites[s].bytes += (long)u;
	ct.sites[s].allocs++;
	ct.bytes += (long)u;
	ct.allocs++;
}

/* Forget p if it was counted; linear probing, so later entries of its run
 * are moved back into the hole. */
static void
note_free(void *p)
{
	size_t i, j, k;

	if (p == NULL || ct.live == NULL)
		return;
	for (i = slot_of(p); ct.live[i].p != NULL && ct.live[i].p != p;
	    i = (i + 1) & (MAX_LIVE - 1))
		;
	if (ct.live[i].p == NULL)
		return;
	ct.sites[ct.live[i].site].bytes -= (long)ct.live[i].size;
	ct.sites[ct.live[i].site].allocs--;
	ct.bytes -= (long)ct.live[i].size;
	ct.allocs--;
	ct.live[i].p = NULL;
	ct.nlive--;
	for (j = (i + 1) & (MAX_LIVE - 1); ct.live[j].p != NULL; j = (j + 1) & (MAX_LIVE - 1)) {
		k = slot_of(ct.live[j].p);
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		ct.live[i] = ct.live[j];
		ct.live[j].p = NULL;
		i = j;
	}
}

static void *
count_malloc(size_t n, const char *file, int line)
{
	void *p = malloc(n);

	if (p != NULL)
		note_alloc(p, file, line);
	return p;
}

static void *
count_realloc(void *p, size_t n, const char *file, int line)
{
	void *q;

	if (p == NULL)
		return count_malloc(n, file, line);
	note_free(p);
	if ((q = realloc(p, n)) != NULL)
		note_alloc(q, file, line);
	return q;
}

static void
count_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	note_free(p);
	free(p);
}

/* libevent's memory functions (event_set_mem_functions): as malloc, with
 * the net bytes counted while ct.ev_counting is set. */
static void *
ev_malloc(size_t n)
{
	void *p = malloc(n);

	if (p != NULL && ct.ev_counting) {
		ct.ev_bytes += (long)malloc_usable_size(p);
		ct.ev_allocs++;
	}
	return p;
}

static void
ev_free(void *p)
{
	if (p != NULL && ct.ev_counting) {
		ct.ev_bytes -= (long)malloc_usable_size(p);
		ct.ev_allocs--;
	}
	free(p);
}

static void *
ev_realloc(void *p, size_t n)
{
	long before = p != NULL ? (long)malloc_usable_size(p) : 0;
	void *q = realloc(p, n);

	if (q != NULL && ct.ev_counting) {
		ct.ev_bytes += (long)malloc_usable_size(q) - before;
		if (p == NULL)
			ct.ev_allocs++;
	}
	return q;
}

static int
accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

/* Drive both ends until the handshake and a byte each way are done. */
static int
converse(SSL *srv, SSL *cli)
{
	int sdone = 0, cdone = 0, i;
	char b;

	for (i = 0; i < 1000 && !(sdone && cdone); i++) {
		if (!cdone && SSL_do_handshake(cli) == 1)
			cdone = 1;
		if (!sdone && SSL_do_handshake(srv) == 1)
			sdone = 1;
	}
	if (!(sdone && cdone) || SSL_write(cli, "x", 1) != 1)
		return -1;
	for (i = 0; i < 1000 && SSL_read(srv, &b, 1) != 1; i++)
		;
	if (i == 1000 || SSL_write(srv, "y", 1) != 1)
		return -1;
	for (i = 0; i < 1000 && SSL_read(cli, &b, 1) != 1; i++)
		;
	return i == 1000 ? -1 : 0;
}

static int
by_bytes(const void *x, const void *y)
{
	const struct site *a = x, *b = y;

	return a->bytes < b->bytes ? 1 : a->bytes > b->bytes ? -1 : 0;
}

/* VmRSS of this process in bytes, or -1. */
static long
rss_bytes(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/* An idle connection's callbacks: nothing arrives, so nothing to do; an
 * event (the peer gone) would mean the figure is not of idle connections. */
static void
idle_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
}

static void
idle_event(struct bufferevent *bev, short what, void *arg)
{
	int *events = arg;

	(void)bev;
	(void)what;
	(*events)++;
}

/* Hand ssl (its handshake done, on fd) to a bufferevent_openssl as
 * parleyd's session and conn modules do: BEV_OPT_CLOSE_ON_FREE, parleyd's
 * watermarks, reading and writing enabled, dirty shutdowns allowed.  The
 * bufferevent owns fd and ssl from then on; NULL if it could not be made
 * (then neither is freed). */
static struct bufferevent *
wrap(struct event_base *base, int fd, SSL *ssl, int *events)
{
	struct bufferevent *bev;

	if ((bev = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_OPEN,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return NULL;
	bufferevent_setcb(bev, idle_read, NULL, idle_event, events);
	bufferevent_setwatermark(bev, EV_READ, 0, READ_HIGH);
	bufferevent_setwatermark(bev, EV_WRITE, WRITE_LOW, 0);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* Let the loop apply every change (parleyd's loop batches epoll_ctl calls
 * per turn) and run whatever became active, without waiting. */
static void
settle(struct event_base *base)
{
	int i;

	for (i = 0; i < 4; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

int
main(int argc, char **argv)
{
	struct tls *t = NULL;
	SSL_CTX *cctx = NULL;
	SSL **kept = NULL;
	struct bufferevent **bevs = NULL;
	struct event_config *ecfg = NULL;
	struct event_base *base = NULL;
	struct mallinfo2 m0, m1, m2;
	int *fds = NULL;
	char err[512];
	long n = 200, i, counted, rss0, rss1, rss2;
	double ossl, bev_bytes, floor;
	int rc = 1, s, events = 0;

	if (argc < 4 || argc > 5 || (argc == 5 && (n = strtol(argv[4], NULL, 10)) <= WARM)) {
		fprintf(stderr, "usage: tls-mem STATE_DIR CLIENT_CERT CLIENT_KEY [N > %d]\n", WARM);
		return 2;
	}
	if (!CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free)) {
		fprintf(stderr, "tls-mem: OpenSSL allocated before its memory functions were set\n");
		return 1;
	}
	event_set_mem_functions(ev_malloc, ev_realloc, ev_free);
	if ((ct.live = calloc(MAX_LIVE, sizeof(*ct.live))) == NULL ||
	    (kept = calloc((size_t)n, sizeof(*kept))) == NULL ||
	    (bevs = calloc((size_t)n, sizeof(*bevs))) == NULL ||
	    (fds = malloc(2 * (size_t)n * sizeof(*fds))) == NULL) {
		fprintf(stderr, "tls-mem: out of memory\n");
		goto done;
	}
	/* The table is written at random places while counting: in RSS now,
	 * so that it does not grow the RSS cross-check below (a store through
	 * a volatile pointer, which the compiler cannot drop as it may a
	 * memset of calloc'd memory). */
	for (i = 0; i < (long)(MAX_LIVE * sizeof(*ct.live)); i += 4096)
		((volatile char *)ct.live)[i] = 0;
	for (i = 0; i < 2 * n; i++)
		fds[i] = -1;
	if ((t = tls_new(argv[1], "X25519:P-256", err, sizeof(err))) == NULL) {
		fprintf(stderr, "tls-mem: %s\n", err);
		goto done;
	}
	if ((cctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION) ||
	    SSL_CTX_use_certificate_file(cctx, argv[2], SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(cctx, argv[3], SSL_FILETYPE_PEM) != 1) {
		fprintf(stderr, "tls-mem: cannot use %s and %s as the client's\n", argv[2], argv[3]);
		goto done;
	}
	SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, accept_any);	/* pinned by parley, not here */
	/* parleyd's loop (daemon/main.c): epoll with the change list. */
	if ((ecfg = event_config_new()) == NULL ||
	    event_config_set_flag(ecfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) != 0 ||
	    (base = event_base_new_with_config(ecfg)) == NULL) {
		fprintf(stderr, "tls-mem: cannot create an event loop\n");
		goto done;
	}
	rss0 = rss1 = 0;
	memset(&m0, 0, sizeof(m0));
	memset(&m1, 0, sizeof(m1));
	for (i = 0; i < n; i++) {
		SSL *cli;

		if (i == WARM) {
			rss0 = rss_bytes();
			m0 = mallinfo2();
			ct.counting = 1;
		}
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds + 2 * i) != 0) {
			perror("tls-mem: socketpair");
			goto done;
		}
		if ((kept[i] = tls_ssl_new(t)) == NULL || (cli = SSL_new(cctx)) == NULL) {
			fprintf(stderr, "tls-mem: SSL_new failed\n");
			goto done;
		}
		SSL_set_fd(kept[i], fds[2 * i]);
		SSL_set_accept_state(kept[i]);
		SSL_set_fd(cli, fds[2 * i + 1]);
		SSL_set_connect_state(cli);
		s = converse(kept[i], cli);
		SSL_free(cli);
		if (s != 0) {
			fprintf(stderr, "tls-mem: connection %ld did not complete\n", i);
			ERR_print_errors_fp(stderr);
			goto done;
		}
	}
	ct.counting = 0;
	counted = n - WARM;

	/* The floor.  The warm connections' bufferevents first (the loop's
	 * arrays, the first of each size of libevent's objects), then what the
	 * counted ones add, as malloc holds it. */
	for (i = 0; i < n; i++) {
		if (i == WARM) {
			settle(base);
			rss1 = rss_bytes();
			m1 = mallinfo2();
			ct.ev_counting = 1;
		}
		if ((bevs[i] = wrap(base, fds[2 * i], kept[i], &events)) == NULL) {
			fprintf(stderr, "tls-mem: cannot make a bufferevent for connection %ld\n", i);
			goto done;
		}
		kept[i] = NULL;		/* the bufferevent's now, and the descriptor */
		fds[2 * i] = -1;
	}
	settle(base);
	ct.ev_counting = 0;
	rss2 = rss_bytes();
	m2 = mallinfo2();
	if (events != 0) {
		fprintf(stderr, "tls-mem: %d connections were not idle\n", events);
		goto done;
	}
	/* OpenSSL's bytes as glibc's chunks: usable size plus the size word. */
	ossl = (double)(ct.bytes + CHUNK_HDR * ct.allocs) / (double)counted;
	bev_bytes = ((double)m2.uordblks - (double)m1.uordblks) / (double)counted;
	floor = ossl + bev_bytes;

	qsort(ct.sites, (size_t)ct.nsites, sizeof(ct.sites[0]), by_bytes);
	printf("{\"connections\":%ld,\"bytes_per_conn\":%.0f,\"allocs_per_conn\":%.1f,"
	    "\"complete\":%s,\"sites\":[", counted, (double)ct.bytes / (double)counted,
	    (double)ct.allocs / (double)counted, ct.overflow ? "false" : "true");
	for (s = 0; s < ct.nsites && ct.sites[s].bytes / counted >= 128; s++)
		printf("%s{\"site\":\"%s:%d\",\"bytes\":%.0f,\"allocs\":%.1f}", s ? "," : "",
		    ct.sites[s].file != NULL ? ct.sites[s].file : "?", ct.sites[s].line, (double)ct.sites[s].bytes / (double)counted,
		    (double)ct.sites[s].allocs / (double)counted);
	printf("],\"openssl_chunk_bytes_per_conn\":%.0f,\"bufferevent_bytes_per_conn\":%.0f,"
	    "\"floor_bytes_per_conn\":%.0f,\"floor_ratio\":%.4f,\"floor_checked\":%s,"
	    "\"libevent_bytes_per_conn\":%.0f,\"libevent_allocs_per_conn\":%.2f,"
	    "\"bufferevent_rss_per_conn\":%.0f,"
	    "\"malloc_bytes_per_conn\":%.0f,\"rss_bytes_per_conn\":%.0f,"
	    "\"floor_how\":\"%s\"}\n", ossl, bev_bytes, floor,
	    ct.bytes > 0 ? floor * (double)counted / (double)ct.bytes : 0.0,
	    /* malloc's count covers at least libevent's own (not so under a
	     * sanitizer's allocator, which mallinfo2 does not see) */
	    m2.uordblks - m1.uordblks >= (size_t)(ct.ev_bytes + CHUNK_HDR * ct.ev_allocs) ? "true" : "false",
	    (double)ct.ev_bytes / (double)counted, (double)ct.ev_allocs / (double)counted,
	    rss1 > 0 && rss2 > 0 ? (double)(rss2 - rss1) / (double)counted : -1.0,
	    ((double)m2.uordblks - (double)m0.uordblks) / (double)counted,
	    rss0 > 0 && rss2 > 0 ? (double)(rss2 - rss0) / (double)counted : -1.0,
	    "floor = OpenSSL's live bytes of a server connection as glibc chunks (usable size + "
	    "8 bytes each) + what malloc holds more (mallinfo2 uordblks, chunk headers included) once "
	    "each kept SSL is in a bufferevent_openssl (BUFFEREVENT_SSL_OPEN, BEV_OPT_CLOSE_ON_FREE, "
	    "parleyd's watermarks, EV_READ|EV_WRITE enabled, dirty shutdown allowed) on an epoll "
	    "loop with the change list, the warm connections wrapped first; floor_ratio = floor / "
	    "bytes_per_conn. Cross-checks over the counted connections, handshake to bufferevent: "
	    "malloc_bytes_per_conn (uordblks, all of it, freed chunks in glibc's per-thread cache "
	    "included) and rss_bytes_per_conn (VmRSS); bufferevent_rss_per_conn: VmRSS over the "
	    "wrapping alone; libevent_bytes_per_conn and libevent_allocs_per_conn: libevent's own "
	    "net allocations over the wrapping (usable sizes, event_set_mem_functions)");
	rc = 0;
done:
	for (i = 0; bevs != NULL && i < n; i++)
		if (bevs[i] != NULL)
			bufferevent_free(bevs[i]);
	for (i = 0; kept != NULL && i < n; i++)
		SSL_free(kept[i]);
	for (i = 0; fds != NULL && i < 2 * n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (base != NULL)
		event_base_free(base);
	if (ecfg != NULL)
		event_config_free(ecfg);
	SSL_CTX_free(cctx);
	tls_free(t);
	free(bevs);
	free(kept);
	free(fds);
	free(ct.live);
	ct.live = NULL;
	return rc;
}
