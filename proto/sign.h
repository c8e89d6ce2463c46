/* The canonical bytes a party signs (never a protobuf: its encodings are not
 * canonical).  Both layouts are versioned by their domain tag; a change of
 * layout is a new tag, and tests/unit/test_sign.c holds known answers.
 *
 * field(s) = u32 big-endian byte length of s || the bytes of s (no NUL).
 * A tag is written with its terminating NUL.
 *
 * Content hash (what "identical copies" compares):
 *   SHA-256( "parley-content-v1\0" (18 bytes)
 *            || field(text) || field(effective) || field(validity)
 *            || field(calendar) )
 *
 * Signing payload (what an Ed25519 signer key signs):
 *   "parley-sign-v1\0" (15 bytes)
 *   || field(agreement id in decimal, no leading zeros: "12")
 *   || u32 big-endian revision
 *   || content hash (32 bytes)
 *   || field(party) || field(role)
 */
#ifndef PARLEY_SIGN_H
#define PARLEY_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define SIGN_CONTENT_TAG "parley-content-v1"
#define SIGN_CONTENT_TAG_LEN 18		/* sizeof(SIGN_CONTENT_TAG), with NUL */
#define SIGN_PAYLOAD_TAG "parley-sign-v1"
#define SIGN_PAYLOAD_TAG_LEN 15		/* sizeof(SIGN_PAYLOAD_TAG), with NUL */
#define SIGN_HASH_LEN 32

/* The content hash of a revision.  text must already be normalised (UTF-8,
 * LF line endings); NULL stands for "" in every argument but out.  -1 if a
 * field is 4 GiB or longer or memory runs out. */
int sign_content_hash(const char *text, const char *effective,
    const char *validity, const char *calendar, uint8_t out[32]);

/* Build the signing payload into a malloc'd buffer; the caller frees *out
 * with free().  party and role must not be NULL (may be "").  On failure -1,
 * *out = NULL and *outlen = 0. */
int sign_payload(uint64_t agreement, uint32_t revision,
    const uint8_t content_hash[32], const char *party, const char *role,
    uint8_t **out, size_t *outlen);

#endif
