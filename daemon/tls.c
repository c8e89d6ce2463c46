#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "crypto.h"
#include "log.h"
#include "tls.h"

struct tls {
	char *state_dir;
	char *groups;
	SSL_CTX *ctx;
	char pin[65];
};

static void
path(char *buf, size_t n, const char *dir, const char *file)
{
	snprintf(buf, n, "%s/%s", dir, file);
}

int
tls_init_state(const char *state_dir, int *created, char *err, size_t errlen)
{
	char kp[4096], cp[4096], mk[4096], mp[4096];
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	int rc = -1;

	*created = 0;
	path(kp, sizeof(kp), state_dir, "server.key");
	path(cp, sizeof(cp), state_dir, "server.crt");
	path(mk, sizeof(mk), state_dir, "mediator.key");
	path(mp, sizeof(mp), state_dir, "mediator.pub");
	if (access(kp, F_OK) != 0) {
		if ((k = crypto_ed25519_generate()) == NULL ||
		    crypto_write_private_key(kp, k, err, errlen) != 0)
			goto done;
		(*created)++;
		unlink(cp);	/* a certificate for another key is useless */
	} else if ((k = crypto_read_private_key(kp, err, errlen)) == NULL) {
		goto done;
	}
	if (access(cp, F_OK) != 0) {
		if (crypto_selfsigned_cert(k, "parleyd", 3650, &x) != 0) {
			snprintf(err, errlen, "cannot make the server certificate");
			goto done;
		}
		if (crypto_write_cert(cp, x, err, errlen) != 0)
			goto done;
		(*created)++;
	}
	EVP_PKEY_free(k);
	k = NULL;
	if (access(mk, F_OK) != 0) {
		if ((k = crypto_ed25519_generate()) == NULL ||
		    crypto_write_private_key(mk, k, err, errlen) != 0)
			goto done;
		(*created)++;
		unlink(mp);
	} else if ((k = crypto_read_private_key(mk, err, errlen)) == NULL) {
		goto done;
	}
	if (access(mp, F_OK) != 0) {
		if (crypto_write_public_key(mp, k, err, errlen) != 0)
			goto done;
		(*created)++;
	}
	rc = 0;
done:
	EVP_PKEY_free(k);
	X509_free(x);
	return rc;
}

static int
accept_any(int ok, X509_STORE_CTX *ctx)
{
	/* Trust is by pin, checked after the handshake against the registry
	 * (an unregistered pin gets an error frame naming it).  Validity dates
	 * and issuers are deliberately ignored: a pin names a key, and the
	 * mediator revokes it by removing the endpoint. */
	(void)ok;
	(void)ctx;
	return 1;
}

static SSL_CTX *
build_ctx(const char *state_dir, const char *groups, char pin[65], char *err, size_t errlen)
{
	char kp[4096], cp[4096], e[256];
	SSL_CTX *ctx;
	X509 *x;
	uint8_t raw[32];

	path(kp, sizeof(kp), state_dir, "server.key");
	path(cp, sizeof(cp), state_dir, "server.crt");
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		goto fail;
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION))
		goto fail;
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_max_early_data(ctx, 0);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
	/* Only the groups named: a client offering nothing else (ffdhe, say)
	 * fails the handshake before the server does any key exchange. */
	if (SSL_CTX_set1_groups_list(ctx, groups) != 1) {
		crypto_errstr(e, sizeof(e));
		snprintf(err, errlen, "[tls] groups = %s: %s", groups, e);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cp) != 1) {
		crypto_errstr(e, sizeof(e));
		snprintf(err, errlen, "cannot load %s: %s", cp, e);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, kp, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		crypto_errstr(e, sizeof(e));
		snprintf(err, errlen, "cannot load %s (or it does not match %s): %s", kp, cp, e);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if ((x = SSL_CTX_get0_certificate(ctx)) == NULL || crypto_cert_pin(x, raw) != 0)
		goto fail;
	hex_encode(raw, 32, pin);
	return ctx;
fail:
	crypto_errstr(e, sizeof(e));
	snprintf(err, errlen, "cannot build the TLS context: %s", e);
	SSL_CTX_free(ctx);
	return NULL;
}

struct tls *
tls_new(const char *state_dir, const char *groups, char *err, size_t errlen)
{
	struct tls *t = calloc(1, sizeof(*t));

	if (t == NULL || (t->state_dir = strdup(state_dir)) == NULL ||
	    (t->groups = strdup(groups)) == NULL) {
		snprintf(err, errlen, "out of memory");
		tls_free(t);
		return NULL;
	}
	if ((t->ctx = build_ctx(state_dir, groups, t->pin, err, errlen)) == NULL) {
		tls_free(t);
		return NULL;
	}
	return t;
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t->state_dir);
	free(t->groups);
	free(t);
}

int
tls_reload(struct tls *t, const char *groups, char *err, size_t errlen)
{
	char pin[65], *g;
	SSL_CTX *ctx = build_ctx(t->state_dir, groups, pin, err, errlen);

	if (ctx == NULL)
		return -1;
	if ((g = strdup(groups)) == NULL) {
		SSL_CTX_free(ctx);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(t->groups);
	t->groups = g;
	/* Open connections hold their own reference to the old context. */
	SSL_CTX_free(t->ctx);
	t->ctx = ctx;
	memcpy(t->pin, pin, sizeof(pin));
	return 0;
}

SSL *
tls_ssl_new(struct tls *t)
{
	return SSL_new(t->ctx);
}

int
tls_peer_pin(SSL *ssl, uint8_t pin[32])
{
	X509 *x = SSL_get1_peer_certificate(ssl);
	int rc;

	if (x == NULL)
		return -1;
	rc = crypto_cert_pin(x, pin);
	X509_free(x);
	return rc;
}

const char *
tls_server_pin(const struct tls *t)
{
	return t->pin;
}

EVP_PKEY *
tls_mediator_key(const char *state_dir, char *err, size_t errlen)
{
	char mk[4096];
	EVP_PKEY *k;

	path(mk, sizeof(mk), state_dir, "mediator.key");
	if ((k = crypto_read_private_key(mk, err, errlen)) == NULL)
		return NULL;
	if (!crypto_is_ed25519(k)) {
		snprintf(err, errlen, "%s is not an Ed25519 key", mk);
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}
