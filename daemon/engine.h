/* The agreement engine: the rules of the lifecycle (DESIGN.md "Agreement
 * lifecycle").  Every function here runs inside the caller's store
 * transaction (a turn request); party requests answer through struct req,
 * whose replies go out only after the commit.  The engine never writes to a
 * socket and keeps no state outside the store. */
#ifndef PARLEY_ENGINE_H
#define PARLEY_ENGINE_H

#include <stdint.h>
#include <openssl/evp.h>

#include "agreement.h"
#include "texts.h"
#include "out.h"
#include "parley.pb-c.h"
#include "req.h"

/* Party requests.  Each has answered the request (req.h) by the time it
 * returns whether to keep its changes. */
enum req_end engine_show(struct ag_ctx *e, const struct req *r, uint64_t agreement);
enum req_end engine_status(struct ag_ctx *e, const struct req *r, uint64_t agreement);
enum req_end engine_sign(struct ag_ctx *e, const struct req *r, const Parley__SignRequest *m);
enum req_end engine_amend(struct ag_ctx *e, const struct req *r, const Parley__AmendRequest *m);
enum req_end engine_amendment_response(struct ag_ctx *e, const struct req *r,
    const Parley__AmendmentResponse *m);
enum req_end engine_withdraw(struct ag_ctx *e, const struct req *r, uint64_t agreement);
/* A party declines to sign the current revision, with a reason. */
enum req_end engine_decline(struct ag_ctx *e, const struct req *r,
    const Parley__DeclineRequest *m);
enum req_end engine_bundle(struct ag_ctx *e, const struct req *r, uint64_t agreement);
/* Mediator verbs (admin socket): 0 done, -1 refused (reason in o). */
struct agreement_terms {
	const char *title;
	const char *text;	/* one text, or NULL with versions in given */
	size_t text_len;
	struct texts_given given;	/* language versions and frames */
	const char *parties;	/* comma list */
	const char *observers;	/* comma list or NULL */
	const char *effective;	/* "on-release" (NULL) or ISO 8601 */
	int disclose_progress;
	int same_signer_ok;	/* one signer may sign several roles of a party */
	int no_reservations;	/* copies may carry no reservation or condition */
	const char *sign_by;	/* ISO 8601 or NULL */
	int sign_after_effect;	/* the mediator means a sign_by after the effect */
	const char *valid_for;	/* duration from effect, or NULL */
	const char *valid_until;	/* ISO 8601, or a date: the end of that day */
	const char *extends;	/* agreement id or NULL */
	const char *reaffirms;	/* agreement id or NULL */
	const char *label;	/* a name mandates can scope to, or NULL */
	const char *zone;	/* tz name (Europe/Moscow) or NULL: the daemon's TZ */
	const char *signatories;	/* "party=role+role,party=role" or NULL: the roles
				 * that must each sign for a party; a party not
				 * named needs one signature of any role */
};
int engine_create(struct ag_ctx *e, const struct agreement_terms *t, struct out *o);
/* override: the mediator's note to circulate language versions the check
 * finds mismatches in (NULL none). */
/* A party's agreements (its console), circulated or later. */
enum req_end engine_party_agreements(struct ag_ctx *e, const struct req *r);
int engine_circulate(struct ag_ctx *e, int64_t id, const char *override, struct out *o);
/* reason: NULL none given; told to the parties, shown, journalled. */
int engine_withdraw_agreement(struct ag_ctx *e, int64_t id, const char *reason,
    struct out *o);
int engine_agreement_show(struct ag_ctx *e, int64_t id, struct out *o);
/* last > 0: only the newest last agreements (or messages); -1: all. */
int engine_agreement_list(struct ag_ctx *e, int64_t last, struct out *o);
int engine_diff(struct ag_ctx *e, int64_t id, const char *party, struct out *o);
/* The release bundle for export; *bundle is allocated for the caller, who
 * frees it with engine_bundle_free. */
int engine_export(struct ag_ctx *e, int64_t id, Parley__Bundle **bundle, struct out *o);
void engine_bundle_free(Parley__Bundle *b);
int engine_amendment_forward(struct ag_ctx *e, int64_t am, struct out *o);
int engine_amendment_adopt(struct ag_ctx *e, int64_t am, const char *text, size_t len,
    struct out *o);
int engine_amendment_reject(struct ag_ctx *e, int64_t am, const char *reason, struct out *o);

/* A mediator's circular to one party or to all ("all"). */
int engine_notice(struct ag_ctx *e, const char *to, const char *text, struct out *o);
/* agreement 0: any; party NULL: any. */
int engine_message_list(struct ag_ctx *e, const char *kind, int64_t last, int64_t agreement,
    const char *party, struct out *o);
/* Open amendments: awaiting the mediator, against the current revision of
 * an agreement still circulating.  -1 on a store failure. */
int64_t engine_amendments_open(struct ag_ctx *e);
/* One screen: parties online (online[] per party id is the caller's), agreements by state. */
int engine_counts(struct ag_ctx *e, struct out *o);

#endif
