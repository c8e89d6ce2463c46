/* The canonical bytes a party signs (never a protobuf: its encodings are not
 * canonical).  Both layouts are versioned by their domain tag; a change of
 * layout is a new tag, and tests/unit/test_sign.c holds known answers.
 *
 * field(s) = u32 big-endian byte length of s || the bytes of s (no NUL).
 * A tag is written with its terminating NUL.
 *
 * Content hash (what "identical copies" compares), version 2:
 *   SHA-256( "parley-content-v2\0" (18 bytes)
 *            || field(text) || field(effective) || field(validity)
 *            || field(calendar) || field(zone) || field(signatories)
 *            || field(extends) || field(reaffirms) )
 * extends and reaffirms are agreement ids in decimal, "" for none; the
 * signatories term is sign_signatories'.  Version 1 (revisions made before
 * schema 17) is the first four fields under "parley-content-v1\0".
 * Version 3, an agreement in several languages, replaces field(text) of
 * version 2 with
 *   field(languages) || field(authentic) || field(text) for each language
 * under "parley-content-v3\0": languages are the tags in ascending byte
 * order joined by one space ("en hy ru"), authentic those of them declared
 * authentic, the same way, and the texts follow the languages' order.
 *
 * Signing payload (what an Ed25519 signer key signs):
 *   "parley-sign-v1\0" (15 bytes)
 *   || field(agreement id in decimal, no leading zeros: "12")
 *   || u32 big-endian revision
 *   || content hash (32 bytes)
 *   || field(party) || field(role)
 * and for a copy with a reservation or a condition, version 2:
 *   "parley-sign-v2\0" || the same fields || field(reservation)
 *   || field(condition)
 * and for a copy of a party whose sheet has a frame (address and signature
 * blocks around the core), version 3:
 *   "parley-sign-v3\0" || the fields of version 2 || field(frame)
 *
 * Mandate (what a party's principal key signs to authorise a signer key):
 *   "parley-mandate-v1\0" (18 bytes)
 *   || field(party) || signer public key (32 raw bytes)
 *   || u32 big-endian number of roles || field(role) for each, sorted, distinct
 *   || field(scope)            "any", "agreements:1,2,3" (ascending) or "label:NAME"
 *   || u64 valid_from || u64 valid_until (0: open-ended) || u64 issued_at
 *                              (unix seconds as two's complement, big-endian)
 *   || u64 supersedes          (mandate id, 0: none)
 *   || field(in_place_of)      ("" when the signer acts in nobody's place)
 *
 * Lifting a condition (what a party's signer key signs to make final a
 * signature that was subject to a condition):
 *   "parley-lift-v1\0" (15 bytes)
 *   || field(agreement id in decimal) || u32 big-endian revision
 *   || field(party) || field(role) || field(condition)
 *   || SHA-256 of the conditional copy's signature (32 bytes)
 *
 * Revocation (what the principal key signs to revoke mandate M):
 *   "parley-revoke-v1\0" (17 bytes)
 *   || field(party) || u64 mandate id || M's signature (64 bytes)
 */
#ifndef PARLEY_SIGN_H
#define PARLEY_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define SIGN_CONTENT_TAG "parley-content-v1"
#define SIGN_CONTENT_TAG_V2 "parley-content-v2"
#define SIGN_CONTENT_TAG_LEN 18		/* sizeof(SIGN_CONTENT_TAG), with NUL */
#define SIGN_CONTENT_V1 1
#define SIGN_CONTENT_TAG_V3 "parley-content-v3"
#define SIGN_CONTENT_V2 2
#define SIGN_CONTENT_V3 3
#define SIGN_MAX_VERSIONS 16		/* language versions of one text */
#define SIGN_MAX_SIGNATURES 64		/* parties of an agreement; roles of one */
/* The longest signatories term: it is a line of a bundle's terms.txt. */
#define SIGN_SIGNATORIES_MAX 4000
#define SIGN_PAYLOAD_TAG "parley-sign-v1"
#define SIGN_PAYLOAD_TAG_V2 "parley-sign-v2"
#define SIGN_PAYLOAD_TAG_V3 "parley-sign-v3"
#define SIGN_PAYLOAD_TAG_LEN 15		/* sizeof(SIGN_PAYLOAD_TAG), with NUL */
#define SIGN_LIFT_TAG "parley-lift-v1"
#define SIGN_LIFT_TAG_LEN 15		/* with NUL */
#define SIGN_RESERVATION_MAX 65536	/* bytes of a reservation's text */
#define SIGN_CONDITION_MAX 300		/* bytes of a condition */
#define SIGN_HASH_LEN 32
#define SIGN_MANDATE_TAG "parley-mandate-v1"
#define SIGN_MANDATE_TAG_LEN 18		/* with NUL */
#define SIGN_REVOKE_TAG "parley-revoke-v1"
#define SIGN_REVOKE_TAG_LEN 17		/* with NUL */
#define SIGN_MANDATE_MAX_ROLES 8

/* What a content hash covers.  text must already be normalised (UTF-8, LF
 * line endings); a NULL string stands for "".  Version 1 ignores the
 * fields after calendar. */
struct sign_content {
	int version;			/* SIGN_CONTENT_V1, _V2 or _V3 */
	const char *text, *effective, *validity, *calendar;
	const char *zone;		/* the tz name the agreement's dates are read in */
	const char *signatories;	/* sign_signatories() */
	uint64_t extends, reaffirms;	/* agreement ids; 0 none */
	/* version 3 instead of text: the two terms and ntexts texts (1 to
	 * SIGN_MAX_VERSIONS) in the order of languages */
	const char *languages, *authentic;
	const char *const *texts;
	size_t ntexts;
};

/* The content hash of a revision.  -1 for an unknown version, a field of
 * 4 GiB or longer, or out of memory. */
int sign_content_hash(const struct sign_content *c, uint8_t out[32]);

/* The signatories term: every signing party in the agreement's order,
 * separated by one space, each followed, when roles are required of it, by
 * "=" and its roles in ascending byte order joined by "+"
 * ("baku=military+political yerevan stepanakert").  roles are "party=role"
 * strings in any order.  A malloc'd string the caller frees, or NULL: out
 * of memory, no party, more than SIGN_MAX_SIGNATURES of either, a name
 * that is not an identifier, a party or a party's role twice, or a role of
 * no listed party. */
char *sign_signatories(const char *const *parties, size_t np, const char *const *roles,
    size_t nr);

/* Build the signing payload into a malloc'd buffer; the caller frees *out
 * with free().  party and role must not be NULL (may be "").  On failure -1,
 * *out = NULL and *outlen = 0. */
int sign_payload(uint64_t agreement, uint32_t revision,
    const uint8_t content_hash[32], const char *party, const char *role,
    uint8_t **out, size_t *outlen);
/* The same for a copy that may carry a reservation (its text, normalised)
 * and a condition, of a party whose sheet may have a frame (NULL or "":
 * none): version 3 with a frame, else version 2 when a reservation or a
 * condition is given, else exactly sign_payload's. */
int sign_payload_with(uint64_t agreement, uint32_t revision, const uint8_t content_hash[32],
    const char *party, const char *role, const char *reservation, const char *condition,
    const char *frame, uint8_t **out, size_t *outlen);

/* The layout a signer key signs to lift the condition of a copy of
 * agreement/revision by party in role, whose signature's SHA-256 is
 * copy_sig_hash; malloc'd, -1 as sign_payload (NULL strings refused). */
int sign_lift(uint64_t agreement, uint32_t revision, const char *party, const char *role,
    const char *condition, const uint8_t copy_sig_hash[32], uint8_t **out, size_t *outlen);

/* The fields of a mandate as the principal signs them.  Strings are
 * borrowed and must not be NULL (may be ""); roles must already be sorted
 * and distinct (sign_mandate refuses them otherwise). */
struct sign_mandate_fields {
	const char *party;
	const uint8_t *signer_key;	/* 32 bytes */
	const char *const *roles;
	size_t nroles;			/* 1..SIGN_MANDATE_MAX_ROLES */
	const char *scope;
	int64_t valid_from, valid_until, issued_at;
	uint64_t supersedes;
	const char *in_place_of;
};

/* Build the mandate layout into a malloc'd buffer the caller frees.  -1
 * (with *out = NULL, *outlen = 0) on a NULL field, unsorted or duplicate
 * roles, a bad role count or out of memory. */
int sign_mandate(const struct sign_mandate_fields *m, uint8_t **out, size_t *outlen);

/* Build the revocation layout of mandate id (whose signature is msig) into a
 * malloc'd buffer the caller frees; -1 as sign_mandate. */
int sign_revocation(const char *party, uint64_t mandate_id, const uint8_t msig[64],
    uint8_t **out, size_t *outlen);

#endif
