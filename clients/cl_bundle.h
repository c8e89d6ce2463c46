/* Release bundles as files, and their offline verification.
 *
 * The format is specified in doc/bundle.md (release bundle version 2):
 * certificate.txt and .sig, text.txt, terms.txt, calendar.txt, and per
 * copy copy-N.txt, mandate-N.txt (under a mandate), journal-copy-N.entry
 * and .proof, with checkpoint.txt and journal-release.entry/.proof; N is
 * the party code, or "PARTY.ROLE" for a copy with a role.  Every byte is
 * bound to a signature and every value has one spelling; the verifier
 * refuses anything else with "FILE:LINE: reason".
 *
 * Verification needs nothing but these files and the mediator public key. */
#ifndef PARLEY_CL_BUNDLE_H
#define PARLEY_CL_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "parley.pb-c.h"

/* Most files a bundle has: 24 (16 language versions) + 5 per copy, 64
 * copies, and a frame and a sheet for each of 64 parties. */
#define BUNDLE_MAX_FILES (24 + 7 * 64)
/* Largest file a verifier reads (no valid bundle has one near it). */
#define BUNDLE_FILE_MAX (8 * 1024 * 1024)
#define BUNDLE_NAME_MAX 96

/* A bundle's files in memory: name and bytes, each owned by the set. */
struct bundle_file {
	char name[BUNDLE_NAME_MAX];
	uint8_t *data;
	size_t len;
};

struct bundle_files {
	struct bundle_file v[BUNDLE_MAX_FILES];
	size_t n;
};

/* Free what the set holds and empty it (the struct itself is the caller's). */
void bundle_files_clear(struct bundle_files *f);

/* Add a copy of data[0..len) as name; -1 if the set is full, the name is too
 * long or memory runs out.  Names are not checked here (bundle_check does). */
int bundle_files_add(struct bundle_files *f, const char *name, const void *data, size_t len);

/* The language versions of t into v[0..max): their number, or -1 for more.
 * The strings are t's. */
struct sheet_version;
int bundle_versions(const Parley__AgreementText *t, struct sheet_version *v, size_t max);
/* The frame of party's sheet in t, "" when none. */
const char *bundle_frame_of(const Parley__AgreementText *t, const char *party);
/* The core of every sheet of t (proto/sheet.h), malloc'd; NULL. */
char *bundle_core(const Parley__AgreementText *t);

/* The content hash (proto/sign.h) of t as received, in t's content
 * version, or of text in t's place when text is not NULL: what a party
 * computes from what it was shown.  0, or -1 (an unknown version, a party
 * or role list that is not well formed, out of memory). */
int bundle_content_hash(const Parley__AgreementText *t, const char *text, uint8_t out[32]);

/* The files of b as doc/bundle.md lays them out, into an empty set.  0, or
 * -1 with err (a malformed bundle from the daemon, or out of memory). */
int bundle_render(const Parley__Bundle *b, struct bundle_files *out, char *err, size_t errlen);

/* Write b into dir (created if missing).  A file of the bundle already there
 * is replaced; dir holding anything else is refused, as a verifier would
 * refuse the result.  0, or -1 with err. */
int bundle_write(const char *dir, const Parley__Bundle *b, char *err, size_t errlen);

/* Read every entry of dir into an empty set: -1 with err ("NAME:0: ...") for
 * one that is not a regular file (links are not followed), too many files, a
 * file over BUNDLE_FILE_MAX, or a read error. */
int bundle_load(const char *dir, struct bundle_files *out, char *err, size_t errlen);

/* Verify a set of files against the mediator's raw Ed25519 public key, as
 * doc/bundle.md section 7 says.  0 when all holds (summary describes the
 * agreement), -1 with err as "FILE:LINE: reason".  Pure: reads only f. */
int bundle_check(const struct bundle_files *f, const uint8_t mediator[32], char *summary,
    size_t sumlen, char *err, size_t errlen);

/* bundle_load and bundle_check of dir. */
int bundle_verify(const char *dir, const uint8_t mediator[32], char *summary,
    size_t sumlen, char *err, size_t errlen);

#endif
