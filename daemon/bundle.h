/* The release bundle (doc/bundle.md): an agreement's text, its counted
 * copies, the release certificate, the mandates the copies rely on and the
 * record's proofs, built from the store as a Parley__Bundle.  Part of the
 * engine: every function here runs inside the caller's store transaction,
 * reads only, and takes the engine only to load through it (its store and
 * journal, ag_load_revision, ag_load_members, mandate_load). */
#ifndef PARLEY_BUNDLE_H
#define PARLEY_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "agreement.h"
#include "parley.pb-c.h"

/* The AgreementText of a revision (what circulation sends, and the text
 * of a bundle); msg points into the rest.  Release with
 * bundle_text_release(). */
struct bundle_text {
	Parley__AgreementText msg;
	char *text, *calendar;
	uint8_t hash[32];
	struct ag_members parties, observers;
	char *pp[64], *op[64];
	char roles[64][AG_ROLE_MAX], *rp[64];
	char zone[64];
	struct ag_versions v;
	Parley__TextVersion tv[SIGN_MAX_VERSIONS], *tvp[SIGN_MAX_VERSIONS];
	struct ag_frames f;
	Parley__PartyFrame pf[64], *pfp[64];
};

/* Load the current revision of a into t, with every party's frame: 0, or
 * -1 (nothing held). */
int bundle_text_load(struct ag_ctx *e, const struct ag *a, struct bundle_text *t);
/* What party (a member's id; 0 an observer) is sent of t: the frame of
 * its own sheet, no other party's.  bundle_text_for(t, -1) puts every
 * frame back (a release bundle holds them all). */
void bundle_text_for(struct bundle_text *t, int64_t party);
/* Free what t holds; t may be released again. */
void bundle_text_release(struct bundle_text *t);

struct bundle;

/* The whole bundle of an agreement already released (its certificate
 * stored): NULL on a store failure or if the journal lacks an entry the
 * bundle proves.  The caller frees it with bundle_free(). */
struct bundle *bundle_load(struct ag_ctx *e, const struct ag *a);

/* A release in two steps.  bundle_begin loads the text and the counted
 * copies of the current revision (NULL on failure); bundle_certificate
 * formats the release certificate of those copies (caller frees, NULL on
 * failure); the caller signs and stores it and journals the release, then
 * bundle_end adds the stored certificate, the copies, mandates and proofs
 * (-1 on failure).  Whatever happens, the caller frees b with
 * bundle_free(). */
struct bundle *bundle_begin(struct ag_ctx *e, const struct ag *a);
char *bundle_certificate(struct ag_ctx *e, const struct ag *a, const struct bundle *b);
int bundle_end(struct ag_ctx *e, const struct ag *a, struct bundle *b);

/* The message to send or pack, owned by b (valid until bundle_free). */
Parley__Bundle *bundle_msg(struct bundle *b);
/* The bundle's text and the number of its counted copies. */
const struct bundle_text *bundle_text(const struct bundle *b);
size_t bundle_ncopies(const struct bundle *b);

/* Queue to every endpoint of the n parties the circulated text t, or the
 * release bundle b, under the summary every party's inbox shows.  0, or
 * -1. */
int bundle_send_text(struct ag_ctx *e, const struct ag *a, struct bundle_text *t,
    const int64_t *parties, size_t n);
int bundle_send_release(struct ag_ctx *e, const struct ag *a, struct bundle *b,
    const int64_t *parties, size_t n);

/* Free b and all it holds; bundle_free(NULL) is a no-op. */
void bundle_free(struct bundle *b);

#endif
