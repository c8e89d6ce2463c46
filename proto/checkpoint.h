/* Signed checkpoints: the mediator's signed statement of the journal's tree
 * head, in the text form of C2SP tlog-checkpoint carried in a C2SP
 * signed-note (c2sp.org/tlog-checkpoint, c2sp.org/signed-note):
 *
 *   <origin>\n                      body: exactly these three lines,
 *   <tree size, decimal>\n          no extension lines
 *   <base64 of the 32-byte root>\n
 *   \n
 *   — <key name> <base64(key id || Ed25519 signature)>\n
 *
 * The signature is Ed25519 over the body bytes (the three lines with their
 * newlines, not the blank line).  "—" is U+2014 (E2 80 94) followed by a
 * space.  The key id is what signed-note recommends for Ed25519:
 *   key id = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]
 * Base64 is RFC 4648 section 4 with padding; only the canonical encoding
 * is accepted.  Sizes are decimal without leading zeros ("0" for empty).
 *
 * Stricter than C2SP, on purpose: one signature line only (a note carrying
 * further signatures, e.g. witness cosignatures, is refused, not filtered),
 * and origins and key names are 1..CHECKPOINT_NAME_MAX printable ASCII
 * characters other than space and '+' (e.g. "parley/3f2a9c01").
 *
 * Functions return 0 or -1.  Those with an err buffer write one readable
 * line there on failure (err may be NULL); the signing functions leave the
 * reason for an OpenSSL failure on its error queue (crypto_errstr). */
#ifndef PARLEY_CHECKPOINT_H
#define PARLEY_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define CHECKPOINT_NAME_MAX 255
#define CHECKPOINT_KEYID_LEN 4
/* Longest body: origin, 20 digits, 44 base64 characters, three newlines. */
#define CHECKPOINT_BODY_MAX (CHECKPOINT_NAME_MAX + 1 + 20 + 1 + 44 + 1)
/* Longest checkpoint text: body, blank line, "— " (4 bytes), key name,
 * space, 92 base64 characters, newline.  checkpoint_parse refuses longer
 * input before looking at it. */
#define CHECKPOINT_MAX_LEN \
	(CHECKPOINT_BODY_MAX + 1 + 4 + CHECKPOINT_NAME_MAX + 1 + 92 + 1)

/* A parsed checkpoint: plain data, nothing to free.  body[0..body_len) is
 * the exact signed text as received (NUL-terminated after it). */
struct checkpoint {
	char origin[CHECKPOINT_NAME_MAX + 1];
	uint64_t size;
	uint8_t root[32];
	char name[CHECKPOINT_NAME_MAX + 1];	/* key name of the signature */
	uint8_t key_id[CHECKPOINT_KEYID_LEN];
	uint8_t sig[64];
	char body[CHECKPOINT_BODY_MAX + 1];
	size_t body_len;
};

/* parley's origin (and key name) for a mediator key: "parley/" and the first
 * 16 hex digits of SHA-256 of the raw public key.  out holds 64 bytes. */
int checkpoint_origin(const uint8_t pub[32], char out[64]);

/* 1 if s may be an origin or key name here (see above), else 0 (NULL too). */
int checkpoint_name_valid(const char *s);

/* The signed-note key id of the Ed25519 public key pub under key name. */
int checkpoint_key_id(const char *name, const uint8_t pub[32],
    uint8_t id[CHECKPOINT_KEYID_LEN]);

/* Sign any note text with Ed25519 private key `key` under key name `name`:
 * *out = text, a blank line and one signature line, NUL-terminated; the
 * caller frees it with free().  text[0..len) must be non-empty UTF-8,
 * end in a newline and hold no control character other than newline (no
 * NUL).  On failure -1 and *out = NULL. */
int checkpoint_sign_note(const char *text, size_t len, EVP_PKEY *key,
    const char *name, char **out);

/* The signed checkpoint of (origin, size, root), signed by Ed25519 private
 * key `key` under key name `name` (C2SP: it should be the origin).  *out is
 * NUL-terminated and the caller's, freed with free().  -1 (*out = NULL) if
 * origin or name is invalid, key is not an Ed25519 private key, or memory
 * runs out. */
int checkpoint_format(const char *origin, uint64_t size, const uint8_t root[32],
    EVP_PKEY *key, const char *name, char **out);

/* Parse a checkpoint from buf[0..len) (no NUL needed; a NUL inside is an
 * error).  Syntax only: the signature is NOT checked; call
 * checkpoint_verify before believing anything in *out.  On failure *out is
 * unspecified. */
int checkpoint_parse(const char *buf, size_t len, struct checkpoint *out,
    char *err, size_t errlen);

/* 0 only if cp's signature line is by key name `name` with the key id of
 * pub, its signature over cp->body verifies under pub, and cp's origin,
 * size and root are exactly what cp->body says (so a struct edited after
 * checkpoint_parse fails). */
int checkpoint_verify(const struct checkpoint *cp, const uint8_t pub[32],
    const char *name, char *err, size_t errlen);

#endif
