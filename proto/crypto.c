#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "crypto.h"

enum pem_kind { PEM_PRIVATE, PEM_PUBLIC, PEM_CERT };

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	ERR_clear_error();
	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const char *
pem_what(enum pem_kind kind)
{
	switch (kind) {
	case PEM_PRIVATE: return "private key";
	case PEM_PUBLIC: return "public key";
	case PEM_CERT: return "certificate";
	}
	return "object";
}

/* Without a callback OpenSSL would prompt on the terminal for the
 * passphrase of an encrypted key; a daemon must fail instead. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* O_EXCL: never follow a planted symlink, never clobber an existing key. */
static int
write_pem(const char *path, mode_t mode, enum pem_kind kind, void *obj,
    char *err, size_t errlen)
{
	char ssl[256];
	FILE *fp;
	int fd, ok = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) == -1) {
		if (errno == EEXIST)
			seterr(err, errlen, "%s already exists; not overwriting it",
			    path);
		else
			seterr(err, errlen, "cannot create %s: %s", path,
			    strerror(errno));
		return -1;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		seterr(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	switch (kind) {
	case PEM_PRIVATE:
		ok = PEM_write_PKCS8PrivateKey(fp, obj, NULL, NULL, 0, NULL, NULL) > 0;
		break;
	case PEM_PUBLIC:
		ok = PEM_write_PUBKEY(fp, obj) > 0;
		break;
	case PEM_CERT:
		ok = PEM_write_X509(fp, obj) > 0;
		break;
	}
	if (!ok) {
		crypto_errstr(ssl, sizeof(ssl));
		seterr(err, errlen, "cannot write %s %s: %s", pem_what(kind), path,
		    ssl);
	} else if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
		seterr(err, errlen, "cannot write %s: %s", path, strerror(errno));
		ok = 0;
	}
	if (fclose(fp) != 0 && ok) {
		seterr(err, errlen, "cannot write %s: %s", path, strerror(errno));
		ok = 0;
	}
	if (!ok) {
		unlink(path);
		return -1;
	}
	return 0;
}

static void *
read_pem(const char *path, enum pem_kind kind, char *err, size_t errlen)
{
	void *obj = NULL;
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL) {
		seterr(err, errlen, "cannot read %s %s: %s", pem_what(kind), path,
		    strerror(errno));
		return NULL;
	}
	switch (kind) {
	case PEM_PRIVATE:
		obj = PEM_read_PrivateKey(fp, NULL, no_passphrase, NULL);
		break;
	case PEM_PUBLIC:
		obj = PEM_read_PUBKEY(fp, NULL, no_passphrase, NULL);
		break;
	case PEM_CERT:
		obj = PEM_read_X509(fp, NULL, no_passphrase, NULL);
		break;
	}
	if (obj == NULL && ferror(fp))
		seterr(err, errlen, "cannot read %s %s: %s", pem_what(kind), path,
		    strerror(errno));
	else if (obj == NULL)
		seterr(err, errlen, "%s is not a PEM %s%s", path, pem_what(kind),
		    kind == PEM_PRIVATE ? " (or it is encrypted)" : "");
	fclose(fp);
	return obj;
}

/* SHA-256 fetched from the provider once per process: EVP_sha256() makes
 * every EVP_Digest look the implementation up again (under a lock), which
 * was a third of the cost of hashing a journal entry.  Process-wide by
 * nature, read-only once set, kept until exit. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int
crypto_sha256(const void *data, size_t len, uint8_t out[32])
{
	if (data == NULL && len > 0)
		return -1;
	if (pthread_once(&sha256_once, sha256_fetch) != 0 || sha256_md == NULL)
		return -1;
	return EVP_Digest(data, len, out, NULL, sha256_md, NULL) == 1 ? 0 : -1;
}

int
crypto_random(void *buf, size_t n)
{
	return n <= INT32_MAX && RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

void
hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static int
nibble(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;	/* only 'A'-'F' land on 'a'-'f' */
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
hex_decode(const char *in, uint8_t *out, size_t outlen)
{
	size_t i;
	int hi, lo;

	if (in == NULL || strnlen(in, 2 * outlen + 1) != 2 * outlen)
		return -1;
	for (i = 0; i < outlen; i++) {
		if ((hi = nibble((unsigned char)in[2 * i])) < 0 ||
		    (lo = nibble((unsigned char)in[2 * i + 1])) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
crypto_cert_pin(X509 *cert, uint8_t pin[32])
{
	X509_PUBKEY *pk;
	unsigned char *der = NULL;
	int n, rc;

	if (cert == NULL || (pk = X509_get_X509_PUBKEY(cert)) == NULL ||
	    (n = i2d_X509_PUBKEY(pk, &der)) <= 0)
		return -1;
	rc = crypto_sha256(der, (size_t)n, pin);
	OPENSSL_free(der);
	return rc;
}

int
crypto_pin_file(const char *cert_path, char hex[65], char *err, size_t errlen)
{
	uint8_t pin[CRYPTO_SHA256_LEN];
	char ssl[256];
	X509 *x;

	if ((x = crypto_read_cert(cert_path, err, errlen)) == NULL)
		return -1;
	if (crypto_cert_pin(x, pin) == -1) {
		crypto_errstr(ssl, sizeof(ssl));
		seterr(err, errlen, "cannot compute the pin of %s: %s", cert_path, ssl);
		X509_free(x);
		return -1;
	}
	X509_free(x);
	hex_encode(pin, sizeof(pin), hex);
	return 0;
}

EVP_PKEY *
crypto_ed25519_generate(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
}

int
crypto_write_private_key(const char *path, EVP_PKEY *k, char *err, size_t errlen)
{
	return write_pem(path, 0600, PEM_PRIVATE, k, err, errlen);
}

int
crypto_write_public_key(const char *path, EVP_PKEY *k, char *err, size_t errlen)
{
	return write_pem(path, 0644, PEM_PUBLIC, k, err, errlen);
}

EVP_PKEY *
crypto_read_private_key(const char *path, char *err, size_t errlen)
{
	return read_pem(path, PEM_PRIVATE, err, errlen);
}

EVP_PKEY *
crypto_read_public_key(const char *path, char *err, size_t errlen)
{
	return read_pem(path, PEM_PUBLIC, err, errlen);
}

int
crypto_is_ed25519(EVP_PKEY *k)
{
	return k != NULL && EVP_PKEY_is_a(k, "ED25519");
}

int
crypto_pubkey_raw(EVP_PKEY *k, uint8_t out[32])
{
	size_t len = CRYPTO_ED25519_PUB_LEN;

	if (!crypto_is_ed25519(k) || EVP_PKEY_get_raw_public_key(k, out, &len) != 1 ||
	    len != CRYPTO_ED25519_PUB_LEN)
		return -1;
	return 0;
}

EVP_PKEY *
crypto_pubkey_from_raw(const uint8_t raw[32])
{
	return EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, raw,
	    CRYPTO_ED25519_PUB_LEN);
}

int
crypto_sign(EVP_PKEY *k, const uint8_t *msg, size_t n, uint8_t sig[64])
{
	EVP_MD_CTX *ctx;
	size_t siglen = CRYPTO_ED25519_SIG_LEN;
	int rc = -1;

	if (msg == NULL && n > 0)
		return -1;
	if (msg == NULL)
		msg = (const uint8_t *)"";
	if (!crypto_is_ed25519(k) || (ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, msg, n) == 1 &&
	    siglen == CRYPTO_ED25519_SIG_LEN)
		rc = 0;
	EVP_MD_CTX_free(ctx);
	return rc;
}

#define KEYCACHE_SLOTS 64

struct crypto_keycache {
	struct {
		uint8_t pub[CRYPTO_ED25519_PUB_LEN];
		EVP_PKEY *k;
	} slot[KEYCACHE_SLOTS];
};

struct crypto_keycache *
crypto_keycache_new(void)
{
	return calloc(1, sizeof(struct crypto_keycache));
}

void
crypto_keycache_free(struct crypto_keycache *kc)
{
	size_t i;

	if (kc == NULL)
		return;
	for (i = 0; i < KEYCACHE_SLOTS; i++)
		EVP_PKEY_free(kc->slot[i].k);
	free(kc);
}

/* The key for pub: from kc (NULL: a new one, *owned set), or NULL. */
static EVP_PKEY *
key_for(struct crypto_keycache *kc, const uint8_t pub[32], int *owned)
{
	size_t i;
	EVP_PKEY *k;

	*owned = kc == NULL;
	if (kc == NULL)
		return crypto_pubkey_from_raw(pub);
	/* Keys are uniformly distributed bytes: two of them index well. */
	i = ((size_t)pub[0] | (size_t)pub[1] << 8) % KEYCACHE_SLOTS;
	if (kc->slot[i].k != NULL && memcmp(kc->slot[i].pub, pub, CRYPTO_ED25519_PUB_LEN) == 0)
		return kc->slot[i].k;
	if ((k = crypto_pubkey_from_raw(pub)) == NULL)
		return NULL;
	EVP_PKEY_free(kc->slot[i].k);
	kc->slot[i].k = k;
	memcpy(kc->slot[i].pub, pub, CRYPTO_ED25519_PUB_LEN);
	return k;
}

/* One verification: 1 valid, 0 not, -1 could not be checked. */
static int
verify_once(struct crypto_keycache *kc, const uint8_t pub[32], const uint8_t *msg, size_t n,
    const uint8_t sig[64])
{
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY *k;
	int rc, owned;

	/* Neither step depends on the signature: failing, they are out of memory. */
	if ((k = key_for(kc, pub, &owned)) == NULL || (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) != 1)
		rc = -1;
	else
		rc = EVP_DigestVerify(ctx, sig, CRYPTO_ED25519_SIG_LEN, msg, n) == 1;
	EVP_MD_CTX_free(ctx);
	if (owned)
		EVP_PKEY_free(k);
	return rc;
}

int
crypto_verify_cached(struct crypto_keycache *kc, const uint8_t pub[32], const uint8_t *msg,
    size_t n, const uint8_t sig[64])
{
	int rc;

	if (msg == NULL && n > 0)
		return -1;
	if (msg == NULL)
		msg = (const uint8_t *)"";
	ERR_set_mark();
	/* OpenSSL 3.0 answers "no" when an allocation inside the verification
	 * fails, as it does for a bad signature, and says nothing else: a "no" is
	 * asked again, and only a repeated one is taken for an answer. */
	if ((rc = verify_once(kc, pub, msg, n, sig)) == 0)
		rc = verify_once(kc, pub, msg, n, sig) == 0 ? 0 : -1;
	ERR_pop_to_mark();
	return rc == 1 ? 0 : rc == 0 ? -1 : -2;
}

int
crypto_verify(const uint8_t pub[32], const uint8_t *msg, size_t n,
    const uint8_t sig[64])
{
	return crypto_verify_cached(NULL, pub, msg, n, sig);
}

int
crypto_selfsigned_cert(EVP_PKEY *k, const char *cn, int days, X509 **out)
{
	/* Ed25519 signs the message itself: X509_sign wants no digest. */
	const EVP_MD *md = crypto_is_ed25519(k) ? NULL : EVP_sha256();
	time_t now = time(NULL);
	uint8_t serial[16];
	X509_NAME *name;
	BIGNUM *bn = NULL;
	X509 *x = NULL;
	int rc = -1;

	*out = NULL;
	if (k == NULL || cn == NULL || days <= 0)
		return -1;
	if ((x = X509_new()) == NULL || X509_set_version(x, X509_VERSION_3) != 1 ||
	    RAND_bytes(serial, sizeof(serial)) != 1 ||
	    (bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    (name = X509_get_subject_name(x)) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &now) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), days, 0, &now) == NULL ||
	    X509_set_pubkey(x, k) != 1 || X509_sign(x, k, md) <= 0)
		goto done;
	*out = x;
	x = NULL;
	rc = 0;
done:
	BN_free(bn);
	X509_free(x);
	return rc;
}

int
crypto_write_cert(const char *path, X509 *x, char *err, size_t errlen)
{
	return write_pem(path, 0644, PEM_CERT, x, err, errlen);
}

X509 *
crypto_read_cert(const char *path, char *err, size_t errlen)
{
	return read_pem(path, PEM_CERT, err, errlen);
}

void
crypto_errstr(char *buf, size_t len)
{
	unsigned long e, last = 0;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (len == 0)
		return;
	if (last == 0)
		snprintf(buf, len, "unknown OpenSSL error");
	else
		ERR_error_string_n(last, buf, len);
}
