/* Hashes, hex, pins, Ed25519 keys and signatures, self-signed certificates:
 * the only OpenSSL use outside the TLS code, shared by daemon and clients.
 *
 * Functions return 0 on success and -1 on failure unless stated otherwise.
 * Those with an err buffer write a readable message there on failure and
 * leave the OpenSSL error queue empty; the others leave the queue for
 * crypto_errstr(). */
#ifndef PARLEY_CRYPTO_H
#define PARLEY_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define CRYPTO_SHA256_LEN 32
#define CRYPTO_ED25519_PUB_LEN 32
#define CRYPTO_ED25519_SIG_LEN 64
#define CRYPTO_PIN_HEX_LEN 64

/* SHA-256 of len bytes at data (data may be NULL when len is 0). */
int crypto_sha256(const void *data, size_t len, uint8_t out[32]);

/* n bytes from the CSPRNG into buf: 0, or -1. */
int crypto_random(void *buf, size_t n);

/* Write n bytes as 2n lowercase hex digits and a NUL: out holds 2n+1 bytes. */
void hex_encode(const uint8_t *in, size_t n, char *out);

/* Decode exactly 2*outlen hex digits (either case) and nothing else.
 * -1 on a wrong length or a non-hex character; out is then unspecified. */
int hex_decode(const char *in, uint8_t *out, size_t outlen);

/* The certificate's pin: SHA-256 of its DER SubjectPublicKeyInfo. */
int crypto_cert_pin(X509 *cert, uint8_t pin[32]);

/* Read the PEM certificate at cert_path and write its pin as 64 lowercase
 * hex digits and a NUL. */
int crypto_pin_file(const char *cert_path, char hex[65], char *err, size_t errlen);

/* A new Ed25519 key pair, or NULL; caller frees with EVP_PKEY_free. */
EVP_PKEY *crypto_ed25519_generate(void);

/* Write k's private key as unencrypted PKCS#8 PEM to a new file of mode 0600.
 * Refuses if path exists; removes the file again if writing fails. */
int crypto_write_private_key(const char *path, EVP_PKEY *k, char *err, size_t errlen);

/* Write k's public key as SubjectPublicKeyInfo PEM to a new file of mode
 * 0644 (less the umask).  Refuses if path exists. */
int crypto_write_public_key(const char *path, EVP_PKEY *k, char *err, size_t errlen);

/* Read an unencrypted PEM private key of any type (never prompts for a
 * passphrase), or NULL; caller frees with EVP_PKEY_free. */
EVP_PKEY *crypto_read_private_key(const char *path, char *err, size_t errlen);

/* Read a PEM SubjectPublicKeyInfo of any type, or NULL; caller frees with
 * EVP_PKEY_free. */
EVP_PKEY *crypto_read_public_key(const char *path, char *err, size_t errlen);

/* 1 if k is an Ed25519 key (public or private), else 0 (also for NULL). */
int crypto_is_ed25519(EVP_PKEY *k);

/* The 32-byte raw public key of an Ed25519 key (public or private). */
int crypto_pubkey_raw(EVP_PKEY *k, uint8_t out[32]);

/* An Ed25519 public key from its raw form, or NULL; caller frees with
 * EVP_PKEY_free. */
EVP_PKEY *crypto_pubkey_from_raw(const uint8_t raw[32]);

/* Ed25519 signature by private key k over n bytes at msg (msg may be NULL
 * when n is 0).  -1 if k is not an Ed25519 private key. */
int crypto_sign(EVP_PKEY *k, const uint8_t *msg, size_t n, uint8_t sig[64]);

/* 0 only if sig is a valid Ed25519 signature by pub over msg, -1 if it is
 * not, -2 if it could not be checked (out of memory): never take -2 for a bad
 * signature.  Leaves nothing on the OpenSSL error queue: a bad signature is
 * not an error of ours. */
int crypto_verify(const uint8_t pub[32], const uint8_t *msg, size_t n,
    const uint8_t sig[64]);

/* Public keys made ready for verification, for one thread at a time:
 * without, every check builds an EVP_PKEY from the raw key (4% of parleyd's
 * loop per accepted copy on one core), though signers are few.  A small
 * direct-mapped table; a key found in it is used as is. */
struct crypto_keycache;
struct crypto_keycache *crypto_keycache_new(void);
void crypto_keycache_free(struct crypto_keycache *kc);
/* crypto_verify, taking the key from kc (or putting it there). */
int crypto_verify_cached(struct crypto_keycache *kc, const uint8_t pub[32],
    const uint8_t *msg, size_t n, const uint8_t sig[64]);

/* A self-signed X.509v3 certificate for k: subject = issuer = CN=cn, random
 * 128-bit serial, valid from now (the system clock) for days (> 0) days, no
 * extensions.  *out is the caller's, freed with X509_free. */
int crypto_selfsigned_cert(EVP_PKEY *k, const char *cn, int days, X509 **out);

/* Write x as PEM to a new file of mode 0644 (less the umask); refuses if
 * path exists. */
int crypto_write_cert(const char *path, X509 *x, char *err, size_t errlen);

/* Read the first PEM certificate in path, or NULL; caller frees with
 * X509_free. */
X509 *crypto_read_cert(const char *path, char *err, size_t errlen);

/* The most recent OpenSSL error as text ("unknown OpenSSL error" if there is
 * none) into buf of len bytes; empties the error queue. */
void crypto_errstr(char *buf, size_t len);

#endif
