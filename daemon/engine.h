/* The agreement engine: the rules of the lifecycle (DESIGN.md "Agreement
 * lifecycle").  Every function here runs inside the caller's store
 * transaction (a turn request); party requests answer through struct req,
 * whose replies go out only after the commit.  The engine never writes to a
 * socket and keeps no state outside the store. */
#ifndef PARLEY_ENGINE_H
#define PARLEY_ENGINE_H

#include <stdint.h>
#include <openssl/evp.h>

#include "clock.h"
#include "conn.h"
#include "delivery.h"
#include "metrics.h"
#include "out.h"
#include "parley.pb-c.h"
#include "registry.h"
#include "store.h"
#include "turn.h"

struct engine;

/* A party request being answered. */
struct req {
	struct turn *turn;
	struct conn *conn;
	uint64_t id;
	const struct ident *who;
	/* A SignRequest's signature already checked (on a worker): 1 good,
	 * -1 bad; anything else: check it here. */
	int sig_verdict;
};

/* mediator_key and metrics are borrowed and must outlive the engine. */
struct engine *engine_new(struct store *st, struct clock *clk, struct delivery *dlv,
    EVP_PKEY *mediator_key, struct metrics *metrics);
void engine_free(struct engine *e);

/* Party requests.  Each returns 1 to keep its changes, 0 to roll them back;
 * each has answered the request by then. */
int engine_show(struct engine *e, const struct req *r, uint64_t agreement);
int engine_status(struct engine *e, const struct req *r, uint64_t agreement);
int engine_sign(struct engine *e, const struct req *r, const Parley__SignRequest *m);
int engine_amend(struct engine *e, const struct req *r, const Parley__AmendRequest *m);
int engine_amendment_response(struct engine *e, const struct req *r,
    const Parley__AmendmentResponse *m);
int engine_withdraw(struct engine *e, const struct req *r, uint64_t agreement);
int engine_bundle(struct engine *e, const struct req *r, uint64_t agreement);
/* Mandates (daemon/mandate.h): a party submits one signed by its principal
 * key, revokes one with a signed revocation, or lists its own (with the
 * daemon's time, which the client uses for issue times). */
int engine_mandate_issue(struct engine *e, const struct req *r, const Parley__Mandate *m);
int engine_mandate_revoke(struct engine *e, const struct req *r,
    const Parley__MandateRevoke *m);
int engine_mandate_query(struct engine *e, const struct req *r);

/* Mediator verbs (admin socket): 0 done, -1 refused (reason in o). */
struct agreement_terms {
	const char *title;
	const char *text;
	size_t text_len;
	const char *parties;	/* comma list */
	const char *observers;	/* comma list or NULL */
	const char *effective;	/* "on-release" (NULL) or ISO 8601 */
	int disclose_progress;
	const char *sign_by;	/* ISO 8601 or NULL */
	const char *valid_for;	/* duration from effect, or NULL */
	const char *valid_until;	/* ISO 8601, or a date: the end of that day */
	const char *extends;	/* agreement id or NULL */
	const char *reaffirms;	/* agreement id or NULL */
	const char *label;	/* a name mandates can scope to, or NULL */
	const char *signatories;	/* "party=role+role,party=role" or NULL: the roles
				 * that must each sign for a party; a party not
				 * named needs one signature of any role */
};
int engine_create(struct engine *e, const struct agreement_terms *t, struct out *o);
int engine_circulate(struct engine *e, int64_t id, struct out *o);
int engine_withdraw_agreement(struct engine *e, int64_t id, struct out *o);
int engine_agreement_show(struct engine *e, int64_t id, struct out *o);
/* last > 0: only the newest last agreements (or messages); -1: all. */
int engine_agreement_list(struct engine *e, int64_t last, struct out *o);
int engine_diff(struct engine *e, int64_t id, const char *party, struct out *o);
/* The release bundle for export; *bundle is allocated for the caller, who
 * frees it with engine_bundle_free. */
int engine_export(struct engine *e, int64_t id, Parley__Bundle **bundle, struct out *o);
void engine_bundle_free(Parley__Bundle *b);
int engine_amendment_list(struct engine *e, int64_t agreement, struct out *o);
int engine_amendment_forward(struct engine *e, int64_t am, struct out *o);
int engine_amendment_adopt(struct engine *e, int64_t am, const char *text, size_t len,
    struct out *o);
int engine_amendment_reject(struct engine *e, int64_t am, const char *reason, struct out *o);
/* Lead times (seconds, longest first) of reminders before a signing
 * deadline or a measure, and of warnings before expiry. */
void engine_set_leads(struct engine *e, const int64_t *sign, size_t nsign,
    const int64_t *expiry, size_t nexpiry);

/* The incident windows ([incidents] in the configuration). */
void engine_set_incidents(struct engine *e, int64_t response_window, int64_t embargo);
/* The duty watch whose alerts the timers raise (borrowed). */
struct duty;
void engine_set_duty(struct engine *e, struct duty *d);

/* The journal every state change is appended to (borrowed). */
struct journal;
void engine_set_journal(struct engine *e, struct journal *j);

/* A mediator's circular to one party or to all ("all"). */
int engine_notice(struct engine *e, const char *to, const char *text, struct out *o);
int engine_message_list(struct engine *e, const char *kind, int64_t last, struct out *o);
/* One screen: parties online (online[] per party id is the caller's), agreements by state. */
int engine_counts(struct engine *e, struct out *o);
/* Every mandate (of one party, or all when party is NULL) with its status. */
int engine_mandate_list(struct engine *e, const char *party, struct out *o);

#endif
