/* The registry: parties (and observers), their endpoints (certificate pins)
 * and their signer keys.  Rows are never deleted: a removed endpoint keeps
 * its row with removed_at, so the record of who could speak stays whole. */
#ifndef PARLEY_REGISTRY_H
#define PARLEY_REGISTRY_H

#include <stdint.h>

#include "out.h"
#include "store.h"

#define PARTY_CODE_MAX 32

struct party {
	int64_t id;
	char code[PARTY_CODE_MAX + 1];
	int observer;
};

/* Who an authenticated endpoint speaks for. */
struct ident {
	int64_t endpoint_id;
	struct party party;
};

/* Find an active endpoint by its pin: 0 found, 1 unknown, -1 store error. */
int registry_endpoint_by_pin(struct store *st, const uint8_t pin[32], struct ident *out);
/* Find a party by code: 0 found, 1 unknown, -1 store error. */
int registry_party_by_code(struct store *st, const char *code, struct party *out);
/* Party code for an id (into a buffer of PARTY_CODE_MAX+1): 0 found,
 * 1 unknown, -1 store error. */
int registry_party_code(struct store *st, int64_t id, char *code);
/* Find a signer key: 0 found (its id and party), 1 unknown, -1 store error. */
int registry_signer_by_key(struct store *st, const uint8_t pub[32], int64_t *signer_id,
    int64_t *party_id);

/* Admin verbs (inside a transaction); they answer into o. */
int registry_party_add(struct store *st, int64_t now, const char *code, const char *name,
    int observer, struct out *o);
int registry_party_list(struct store *st, struct out *o);
/* The admin client reads the certificate or key file and sends the pin or
 * the raw public key: the daemon never parses PEM from a socket. */
int registry_endpoint_add(struct store *st, int64_t now, const char *code,
    const uint8_t pin[32], struct out *o);
int registry_endpoint_list(struct store *st, const char *code, struct out *o);
int registry_endpoint_remove(struct store *st, int64_t now, int64_t id, struct out *o);
/* A signer key of party code; name and title (NULL: none) are the person
 * who holds it and the office they sign in, shown in release
 * certificates (cert_name_valid each; a title needs a name). */
int registry_signer_add(struct store *st, int64_t now, const char *code,
    const uint8_t pub[32], const char *name, const char *title, struct out *o);
int registry_signer_list(struct store *st, const char *code, struct out *o);

/* Principals: one Ed25519 key per party that signs its mandates (see
 * daemon/mandate.h).  Once registered it stays; a party without one keeps
 * the mediator-registered signer keys. */
int registry_principal_add(struct store *st, int64_t now, const char *code,
    const uint8_t pub[32], struct out *o);
/* The principal key of a party: 0 found (into key), 1 none, -1 store error. */
int registry_principal_of(struct store *st, int64_t party_id, uint8_t key[32]);
/* Register pub as a signer key of party_id unless it is already one of
 * its keys: 0 with *signer_id, 1 if it belongs to another party, -1 store
 * error.  (A mandate's key is vouched for by the principal.) */
int registry_signer_ensure(struct store *st, int64_t now, int64_t party_id,
    const uint8_t pub[32], int64_t *signer_id);

/* Endpoint rows (who may connect) were added or removed in the open batch
 * and are not committed yet: 1 or 0.  A handshake that ends before that
 * commit has it committed first (session.c). */
int registry_endpoints_changed_uncommitted(const struct store *st);
/* The active endpoints of party_id, or -1 on a store failure (logged). */
int64_t registry_endpoint_count(struct store *st, int64_t party_id);

/* Call fn for each party in code order, with its number of active
 * endpoints.  fn returns 0 to go on, anything else to stop: that value is
 * returned.  0 when all were seen, -1 on a store failure (logged; a list
 * cut short by a failure never reads as complete).  fn may not write to
 * the store. */
typedef int (*registry_party_fn)(void *ctx, const struct party *p, int64_t endpoints);
int registry_party_foreach(struct store *st, registry_party_fn fn, void *ctx);
/* The same for every signing party (observers left out), in the order
 * they were registered; endpoints is passed as 0 (not counted). */
int registry_signing_party_foreach(struct store *st, registry_party_fn fn, void *ctx);

#endif
