/* The daemon's OpenSSL: the server context (TLS 1.3 only, client
 * certificate required and pinned after the handshake, no tickets, no
 * resumption, no early data, only the configured key-exchange groups), its
 * reload, and the key material parleyd
 * keeps in its state directory. */
#ifndef PARLEY_TLS_H
#define PARLEY_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>

struct tls;

/* Create in state_dir whatever is missing of server.key, server.crt,
 * mediator.key and mediator.pub.  *created counts the files written. */
int tls_init_state(const char *state_dir, int *created, char *err, size_t errlen);

/* Build a server context from state_dir/server.{crt,key}, accepting the
 * key-exchange groups named (OpenSSL's list syntax, "X25519:P-256").  NULL
 * with err. */
struct tls *tls_new(const char *state_dir, const char *groups, char *err, size_t errlen);
void tls_free(struct tls *t);

/* Rebuild the context from the files; swap it in only if it is valid.
 * Connections already open keep the context they were made with. */
int tls_reload(struct tls *t, const char *groups, char *err, size_t errlen);

/* A new SSL for an accepted connection (caller frees, or hands it to a
 * bufferevent that frees it). */
SSL *tls_ssl_new(struct tls *t);

/* The SPKI SHA-256 pin of the peer's certificate: 0, or -1 if none. */
int tls_peer_pin(SSL *ssl, uint8_t pin[32]);

/* The server certificate's pin, as 64 hex digits. */
const char *tls_server_pin(const struct tls *t);

/* Load the mediator signing key (caller frees with EVP_PKEY_free). */
EVP_PKEY *tls_mediator_key(const char *state_dir, char *err, size_t errlen);

#endif
