/* The release certificate: the mediator's signed statement that an
 * agreement was released, in a canonical line-oriented text form:
 *
 *   parley release certificate v1
 *   agreement: 12
 *   title: Ceasefire agreement
 *   revision: 2
 *   content-sha256: <64 hex>
 *   parties: baku yerevan stepanakert
 *   observers: minsk
 *   released-at: 1994-05-11T14:00:00Z
 *   effective-at: 1994-05-11T20:01:00Z
 *   principal: <party> <principal key, 64 hex>      (zero or more)
 *   frame: <party> <SHA-256 of its frame, 64 hex>   (zero or more)
 *   copy: <party> <role or -> <signer key, 64 hex> <signature, 128 hex> <signed-at>
 *         [mandate <id>]
 *   signer: <name>                                  (optional, after its copy)
 *   signer-title: <title>                           (optional, after signer)
 *   in-place-of: <name>                             (optional, then)
 *   reservation: <SHA-256 of its text, 64 hex>      (optional, then)
 *   subject-to: <condition>                         (optional, last)
 *   ...
 *
 * Every line ends with LF; the fields come in this order.  principal lines
 * name the parties whose signers need a mandate, in the order of the parties
 * line.  Copy lines follow in the order of the parties line, at least one
 * per party (one per required role, by role ascending; a party and role never
 * twice); a copy
 * signed under a mandate names it, and when the mandate says the signer
 * acts in someone's place, an in-place-of line follows ("signed by the key
 * of this copy in place of NAME").  The mediator key signs exactly these
 * bytes.  cert_format and cert_parse are inverses. */
#ifndef PARLEY_CERT_H
#define PARLEY_CERT_H

#include <stddef.h>
#include <stdint.h>

#define CERT_MAX_PARTIES 64
#define CERT_CODE_MAX 32
#define CERT_TITLE_MAX 200
#define CERT_TIME_MAX 32
#define CERT_MAX_COPIES 64
#define CERT_NAME_MAX 100	/* an in-place-of name: printable UTF-8 */
#define CERT_CONDITION_MAX 300	/* a condition a signature is subject to */

struct cert_copy {
	char party[CERT_CODE_MAX + 1];
	char role[CERT_CODE_MAX + 1];	/* "" when none */
	uint8_t key[32];
	uint8_t sig[64];
	int64_t signed_at;
	uint64_t mandate;			/* 0: signed without a mandate */
	char signer_name[CERT_NAME_MAX + 1];	/* "" when the mediator named none */
	char signer_title[CERT_NAME_MAX + 1];	/* "" when none (never without a name) */
	char in_place_of[CERT_NAME_MAX + 1];	/* "" when nobody's place */
	int has_reservation;			/* the signer wrote a reservation: */
	uint8_t reservation[32];		/* its text's SHA-256 */
	char condition[CERT_CONDITION_MAX + 1];	/* "" when not subject to one */
};

struct cert_principal {
	char party[CERT_CODE_MAX + 1];
	uint8_t key[32];
};

/* A party whose sheet has a frame (proto/sheet.h), and the frame's hash. */
struct cert_frame {
	char party[CERT_CODE_MAX + 1];
	uint8_t hash[32];
};

struct cert {
	uint64_t agreement;
	char title[CERT_TITLE_MAX + 1];
	uint32_t revision;
	uint8_t content_hash[32];
	size_t nparties, nobservers, ncopies, nprincipals, nframes;
	char parties[CERT_MAX_PARTIES][CERT_CODE_MAX + 1];
	char observers[CERT_MAX_PARTIES][CERT_CODE_MAX + 1];
	int64_t released_at, effective_at;
	struct cert_principal principals[CERT_MAX_PARTIES];
	struct cert_frame frames[CERT_MAX_PARTIES];	/* in the parties' order */
	struct cert_copy copies[CERT_MAX_COPIES];
};

/* 1 if s may be a certificate's title: 1..CERT_TITLE_MAX bytes of UTF-8
 * without a byte below 0x20 or 0x7F (the rule of every bundle made, old
 * ones included; parleyd asks cert_shown_valid too of a new title). */
int cert_title_valid(const char *s);

/* 1 if s may be an in-place-of name: 1..CERT_NAME_MAX bytes of UTF-8 as
 * cert_title_valid, no leading or trailing space (parleyd asks
 * cert_shown_name_valid of a new one). */
int cert_name_valid(const char *s);

/* 1 if s may be a signer's name or office, or a new in-place-of name:
 * 1..CERT_NAME_MAX bytes of shown text, no space at either end. */
int cert_shown_name_valid(const char *s);

/* 1 if s is at most max bytes of UTF-8 a screen shows as it is (no control
 * character, tab included, and no bidi control: doc/bundle.md section 2). */
int cert_shown_valid(const char *s, size_t max);

/* 1 if s may be a condition: 1..CERT_CONDITION_MAX bytes of shown text
 * (cert_shown_valid), no space at either end. */
int cert_condition_valid(const char *s);

/* The principal key of party in c, or NULL when it has none. */
const uint8_t *cert_principal_key(const struct cert *c, const char *party);

/* The hash of party's frame in c, or NULL when its sheet has none. */
const uint8_t *cert_frame_hash(const struct cert *c, const char *party);

/* The canonical text of c into a malloc'd NUL-terminated buffer the caller
 * frees; NULL on allocation failure. */
char *cert_format(const struct cert *c);

/* Parse a certificate's bytes (strict: the exact form cert_format writes).
 * 0, or -1 with a reason naming the line. */
int cert_parse(const char *buf, size_t len, struct cert *c, char *err, size_t errlen);

#endif
