/* tls-mem: what OpenSSL holds for one idle parleyd connection, counted.
 *
 *   tls-mem STATE_DIR CLIENT_CERT CLIENT_KEY [N]
 *
 * Builds parleyd's own server context (daemon/tls: STATE_DIR/server.crt and
 * server.key, its options) and a client context with the given Ed25519
 * certificate, then opens N (default 200) connections over socket pairs in
 * this process: TLS 1.3 handshake with the client certificate, one byte of
 * application data each way, client side freed, server side kept, as an
 * idle endpoint's connection is.  Every allocation OpenSSL makes goes
 * through counting functions (CRYPTO_set_mem_functions); the bytes still
 * held by the server sides, per connection, are printed as one JSON object,
 * with the allocation sites that hold at least 128 bytes a connection.
 * The first 10 connections are not counted (contexts warm up).  Nothing
 * leaves the process: no network, no files written.  Built by `make bench`.
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

#include "daemon/tls.h"

#define WARM 10		/* connections opened before counting starts */
#define MAX_SITES 512
#define MAX_LIVE (1 << 20)

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

int
main(int argc, char **argv)
{
	struct tls *t = NULL;
	SSL_CTX *cctx = NULL;
	SSL **kept = NULL;
	int *fds = NULL;
	char err[512];
	long n = 200, i, counted;
	int rc = 1, s;

	if (argc < 4 || argc > 5 || (argc == 5 && (n = strtol(argv[4], NULL, 10)) <= WARM)) {
		fprintf(stderr, "usage: tls-mem STATE_DIR CLIENT_CERT CLIENT_KEY [N > %d]\n", WARM);
		return 2;
	}
	if (!CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free)) {
		fprintf(stderr, "tls-mem: OpenSSL allocated before its memory functions were set\n");
		return 1;
	}
	if ((ct.live = calloc(MAX_LIVE, sizeof(*ct.live))) == NULL ||
	    (kept = calloc((size_t)n, sizeof(*kept))) == NULL ||
	    (fds = malloc(2 * (size_t)n * sizeof(*fds))) == NULL) {
		fprintf(stderr, "tls-mem: out of memory\n");
		goto done;
	}
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
	for (i = 0; i < n; i++) {
		SSL *cli;

		if (i == WARM)
			ct.counting = 1;
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
		close(fds[2 * i + 1]);
		fds[2 * i + 1] = -1;
		if (s != 0) {
			fprintf(stderr, "tls-mem: connection %ld did not complete\n", i);
			ERR_print_errors_fp(stderr);
			goto done;
		}
	}
	ct.counting = 0;
	counted = n - WARM;
	qsort(ct.sites, (size_t)ct.nsites, sizeof(ct.sites[0]), by_bytes);
	printf("{\"connections\":%ld,\"bytes_per_conn\":%.0f,\"allocs_per_conn\":%.1f,"
	    "\"complete\":%s,\"sites\":[", counted, (double)ct.bytes / (double)counted,
	    (double)ct.allocs / (double)counted, ct.overflow ? "false" : "true");
	for (s = 0; s < ct.nsites && ct.sites[s].bytes / counted >= 128; s++)
		printf("%s{\"site\":\"%s:%d\",\"bytes\":%.0f,\"allocs\":%.1f}", s ? "," : "",
		    ct.sites[s].file != NULL ? ct.sites[s].file : "?", ct.sites[s].line, (double)ct.sites[s].bytes / (double)counted,
		    (double)ct.sites[s].allocs / (double)counted);
	printf("]}\n");
	rc = 0;
done:
	for (i = 0; kept != NULL && i < n; i++)
		SSL_free(kept[i]);
	for (i = 0; fds != NULL && i < 2 * n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	SSL_CTX_free(cctx);
	tls_free(t);
	free(kept);
	free(fds);
	free(ct.live);
	ct.live = NULL;
	return rc;
}
