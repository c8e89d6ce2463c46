/* The agreement core, below every feature: the context all agreement work
 * runs in (struct ag_ctx), an agreement's row and members, loading them,
 * state changes, the chronology (ag_event), the journal, queueing updates
 * to parties, copies that count, and the one insert into the timer table.
 * It owns the tables agreement, agreement_party, agreement_role, revision,
 * ag_event and timer.  The lifecycle (engine.c) and the features
 * (timeline.c, incident.c, mandate.c, record.c, bundle.c) build on it; it
 * calls none of them.  Every function runs inside the caller's store
 * transaction. */
#ifndef PARLEY_AGREEMENT_H
#define PARLEY_AGREEMENT_H

#include <stdint.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "clock.h"
#include "delivery.h"
#include "duty.h"
#include "journal.h"
#include "lifecycle.h"
#include "metrics.h"
#include "out.h"
#include "parley.pb-c.h"
#include "ptime.h"
#include "registry.h"
#include "req.h"
#include "sign.h"
#include "store.h"

#define TITLE_MAX 200
/* A reason: why the mediator withdrew an agreement or closed an incident,
 * why a party declines to sign.  It fits a journal entry's note. */
#define REASON_MAX 500

/* Lead times of reminders and warnings, longest first. */
struct ag_leads {
	size_t n;
	int64_t s[8];
};

/* The context of all agreement work: borrowed handles and settings. */
struct ag_ctx {
	struct store *st;
	struct clock *clk;
	struct delivery *dlv;
	EVP_PKEY *mkey;
	struct metrics *m;
	struct ag_leads sign_leads, expiry_leads;
	int64_t response_window, disclosure_embargo;
	int64_t objection_window;	/* to a request to add an observer */
	int64_t letter_bytes_per_day;	/* [limits]: a party's letters in 24 h */
	struct duty *duty;	/* borrowed; NULL: no duty watch */
	char duty_parties[1024];	/* [incidents] duty_parties */
	struct journal *j;	/* borrowed; NULL: no journal */
	struct crypto_keycache *keys;	/* signers' keys checked on the loop; may be NULL */
};

/* One agreement row. */
struct ag {
	int64_t id;
	char title[TITLE_MAX + 1];
	enum ag_state state;
	uint32_t revision;
	char effective[PTIME_BUFLEN];	/* term: "on-release" or UTC ISO time */
	char validity[64];
	int disclose;
	int same_signer_ok;	/* one signer key (or mandate) may sign several roles */
	int no_reservations;	/* copies with a reservation or a condition refused */
	int64_t created_at, circulated_at, released_at, effective_at, expires_at, ended_at;
	int64_t sign_by, extends_id, reaffirms_id, dayx_at;
	char dayx_mode[16];	/* "", "time", "on-release", "on-effect" */
	char label[PARTY_CODE_MAX + 1];	/* "" or the name mandates scope to */
	char zone[64];	/* tz name its dates are read and shown in; "": the daemon's */
	char withdraw_reason[REASON_MAX + 1];	/* "" none given (or not withdrawn) */
};

/* Members' party ids and codes, signing parties or observers. */
struct ag_members {
	size_t n;
	int64_t id[64];
	char code[64][PARTY_CODE_MAX + 1];
};

/* mediator_key and metrics are borrowed and must outlive the context. */
struct ag_ctx *ag_new(struct store *st, struct clock *clk, struct delivery *dlv,
    EVP_PKEY *mediator_key, struct metrics *metrics);
void ag_free(struct ag_ctx *e);
/* Lead times (seconds, longest first) of reminders before a signing
 * deadline or a measure, and of warnings before expiry. */
void ag_set_leads(struct ag_ctx *e, const int64_t *sign, size_t nsign,
    const int64_t *expiry, size_t nexpiry);
/* The incident windows ([incidents] in the configuration). */
void ag_set_incidents(struct ag_ctx *e, int64_t response_window, int64_t embargo);
/* [agreements] objection_window: how long a request to add an observer
 * waits for objections. */
void ag_set_objection_window(struct ag_ctx *e, int64_t window);
/* [limits] letter_bytes_per_day. */
void ag_set_letter_quota(struct ag_ctx *e, int64_t bytes);
/* [incidents] duty_parties: the parties alerted for whatever their
 * agreements ("all", codes, or ""). */
void ag_set_duty_parties(struct ag_ctx *e, const char *parties);
/* The duty watch whose alerts the timers raise (borrowed). */
void ag_set_duty(struct ag_ctx *e, struct duty *d);
/* The journal every state change is appended to (borrowed). */
void ag_set_journal(struct ag_ctx *e, struct journal *j);

/* Agreements by state (counts[AG_NSTATES], *other: in a state lifecycle.c
 * does not know), added to what the arrays hold; 0, or -1. */
int ag_count_states(struct ag_ctx *e, int64_t counts[AG_NSTATES], int64_t *other);

/* A reason is text like every other: 1..REASON_MAX bytes of UTF-8, no
 * NUL, not blank.  0, or -1 with why. */
int ag_reason_check(const char *s, size_t len, char *why, size_t whylen);
/* A text one party writes and others read (reasons, notes): at most max
 * bytes of UTF-8, no NUL and no control byte but tab and newline, and when
 * required not empty or blank.  0, or -1 with why naming what. */
int ag_text_check(const char *s, size_t len, size_t max, int required, const char *what,
    char *why, size_t whylen);

/* The end a validity term states ("until T"): T; else 0 (open-ended, or
 * counted from the effect). */
int64_t ag_term_until(const char *validity);
/* The effective time a term states (not "on-release"): it; else 0. */
int64_t ag_term_effective(const char *effective);

/* An extension whose target expired before it was released can no longer
 * extend it (it is stranded): 1 with *expired_at the target's end, 0 not
 * so, -1 store failure. */
int ag_stranded(struct ag_ctx *e, const struct ag *a, int64_t *expired_at);

/* 0 found, 1 unknown, -1 store failure. */
int ag_load(struct ag_ctx *e, int64_t id, struct ag *a);
/* Signing parties (observers = 0) or observers (1) of an agreement. */
int ag_load_members(struct ag_ctx *e, int64_t agreement, int observers, struct ag_members *m);
/* The same, without the members added after release: those the release
 * certificate names (before release: every member). */
int ag_load_members_at_release(struct ag_ctx *e, int64_t agreement, int observers,
    struct ag_members *m);
/* 0 not a member, 1 signing party, 2 observer. */
int ag_membership(struct ag_ctx *e, int64_t agreement, int64_t party);
/* When party's copy of revision rev came to count (every required role
 * signed, or one valid copy when no roles are required), or 0. */
int64_t ag_valid_copy_time(struct ag_ctx *e, int64_t agreement, int64_t party, uint32_t rev);
/* Queue an Update to every signing party of agreement, and with observers
 * to its observers too, but except (0: none). */
int ag_tell(struct ag_ctx *e, int64_t agreement, int observers, int64_t except,
    const char *event, const char *text);
/* Queue an Update to every endpoint of party. */
int ag_send_update(struct ag_ctx *e, int64_t party, int64_t agreement, uint64_t amendment,
    const char *event, const char *text);
/* The same, with the message's id in *message (NULL: not wanted). */
int ag_send_update_id(struct ag_ctx *e, int64_t party, int64_t agreement,
    uint64_t amendment, const char *event, const char *text, int64_t *message);
/* Queue p to every endpoint of the n parties (stored once). */
int ag_enqueue(struct ag_ctx *e, const int64_t *parties, size_t n, const char *kind,
    int64_t agreement, const char *summary, const Parley__Payload *p);
/* A revision's text and calendar (malloc'd for the caller; either may be
 * NULL, not to be read), hash and content version (version may be NULL). */
int ag_load_revision(struct ag_ctx *e, int64_t agreement, uint32_t rev, char **text,
    char **calendar, uint8_t hash[32], int *version);
/* Move an agreement to state st (lifecycle checked by the caller). */
int ag_set_state(struct ag_ctx *e, int64_t id, enum ag_state st, int64_t ended_at);
/* Record an event in the agreement's chronology. */
int ag_event(struct ag_ctx *e, int64_t agreement, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Record an event in the chronology whose journal entry names party and
 * carries hash (NULL: none): record.c keeps the kinds that concern one
 * party's signing from the other parties until release. */
int ag_event_party(struct ag_ctx *e, int64_t agreement, const char *party,
    const uint8_t hash[32], const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Append to the journal (a no-op without one); hashes may be NULL. */
int ag_journal(struct ag_ctx *e, const char *kind, int64_t agreement, const char *party,
    const uint8_t (*hashes)[32], size_t nh, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* The agreement a party request names, if the party is a member and it
 * was circulated: 0 with *a and *member (1 signing party, 2 observer);
 * otherwise -1, the request answered (a non-member is not told whether
 * the agreement exists). */
int ag_for_party(struct ag_ctx *e, const struct req *r, uint64_t id, struct ag *a,
    int *member);
/* The agreement a mediator verb names: 0 with *a; -1 refused in o. */
int ag_for_mediator(struct ag_ctx *e, int64_t id, struct ag *a, struct out *o);
/* The agreements that extend target (--extends), oldest first, with their
 * states: up to max in ids/states, how many in *n.  0, or -1. */
int ag_extensions(struct ag_ctx *e, int64_t target, int64_t *ids, enum ag_state *states,
    size_t max, size_t *n);

/* The roles the agreement requires, "party=role" ordered by party code
 * and role: up to max in roles, how many in *n.  0, or -1. */
#define AG_ROLE_MAX (2 * PARTY_CODE_MAX + 2)
int ag_load_roles(struct ag_ctx *e, int64_t agreement, char (*roles)[AG_ROLE_MAX], size_t max,
    size_t *n);

/* The parties holding a valid copy of any revision of agreement. */
int ag_signed_parties(struct ag_ctx *e, int64_t agreement, struct ag_members *m);
/* Has party a valid copy of revision rev: 0 with *t its signed_at (0: no
 * copy counts yet), -1 on a store failure. */
int ag_valid_copy(struct ag_ctx *e, int64_t agreement, int64_t party, uint32_t rev,
    int64_t *t);
/* The one insert into the timer table: a timer of an agreement
 * (agreement > 0) or of an incident (incident > 0); number 0: none. */
int ag_timer_add(struct ag_ctx *e, int64_t agreement, int64_t incident, const char *kind,
    int64_t due, int64_t ref, int number);

/* Cancel an agreement's pending timers of the given kinds (a NULL-ended
 * list). */
int ag_timer_cancel(struct ag_ctx *e, int64_t agreement, const char *const *kinds);
/* Cancel an incident's pending timers of one kind. */
int ag_timer_cancel_incident(struct ag_ctx *e, int64_t incident, const char *kind);

/* The writes of the agreement tables: every INSERT, UPDATE and DELETE of
 * agreement, agreement_party, agreement_role, revision and copy is one of
 * these.  0 done, -1 store failure. */
/* A new draft (revision 1) with a's title, terms, deadline, relations and
 * label: *id. */
int ag_insert(struct ag_ctx *e, const struct ag *a, int64_t *id);
/* A member added once the agreement is released is marked as such
 * (ag_load_members_at_release leaves it out). */
int ag_add_member(struct ag_ctx *e, int64_t agreement, int64_t party, int observer);
int ag_add_role(struct ag_ctx *e, int64_t agreement, int64_t party, const char *role);
/* A revision's text in several languages (content version 3), in
 * ascending order of tag. */
#define AG_LANG_MAX 8
struct ag_versions {
	size_t n;			/* 0: the revision has one text */
	char lang[SIGN_MAX_VERSIONS][AG_LANG_MAX + 1];
	char *text[SIGN_MAX_VERSIONS];	/* owned: ag_versions_free */
	int authentic[SIGN_MAX_VERSIONS];
};
/* The versions of revision rev into v (n 0 when it has none): 0, or -1
 * (nothing held). */
int ag_load_versions(struct ag_ctx *e, int64_t agreement, uint32_t rev, struct ag_versions *v);
void ag_versions_free(struct ag_versions *v);

/* The content hash (proto/sign.h) of text (or, in content version 3, of
 * the versions v) and calendar under a's terms, parties and roles, in
 * content version version.  0, or -1. */
int ag_content_hash(struct ag_ctx *e, const struct ag *a, int version, const char *text,
    const struct ag_versions *v, const char *calendar, uint8_t out[32]);
/* Revision number of agreement a (amendment: the one it adopts, 0 none),
 * in content version 2 with text, or 3 with the versions v (v NULL or
 * empty: none; text is then ""), its members and roles stored: hash is its
 * content hash. */
int ag_revision_add(struct ag_ctx *e, const struct ag *a, uint32_t number, const char *text,
    const struct ag_versions *v, const char *calendar, int64_t amendment, uint8_t hash[32]);
/* A calendar loaded into a's current revision before circulation: the
 * revision (whose text is text) is hashed again, in its content version
 * 2 or 3 (nothing of it is signed yet). */
int ag_revision_set_calendar(struct ag_ctx *e, const struct ag *a, const char *text,
    const char *calendar, uint8_t hash[32]);
int ag_set_revision(struct ag_ctx *e, int64_t id, uint32_t revision);
int ag_set_circulated(struct ag_ctx *e, int64_t id, int64_t t);
/* a released (a->state: released, or in force when it takes effect at
 * once): released_at, effective_at, the certificate and its signature.  1
 * if it was not circulating (released already). */
int ag_set_released(struct ag_ctx *e, const struct ag *a, const char *cert,
    const uint8_t sig[64]);
int ag_set_expiry(struct ag_ctx *e, int64_t id, int64_t expires_at);
/* Why the mediator withdrew the agreement. */
int ag_set_withdraw_reason(struct ag_ctx *e, int64_t id, const char *reason);
/* The signing deadline (0: none). */
int ag_set_sign_by(struct ag_ctx *e, int64_t id, int64_t sign_by);
int ag_set_dayx(struct ag_ctx *e, int64_t id, const char *mode, int64_t t);

/* A party's signed copy (text: of a non-identical copy, or NULL; reason,
 * mandate: 0 none): *id. */
struct ag_copy {
	int64_t agreement, party, endpoint, signer, mandate;
	uint32_t revision;
	const char *role, *text, *status, *reason;
	const char *reservation, *condition;	/* NULL or "": none */
	const uint8_t *hash, *signature;	/* 32 and 64 bytes */
};
int ag_copy_insert(struct ag_ctx *e, const struct ag_copy *c, int64_t *id);
/* End the valid copies of agreement (of party, of revision: 0 any) with
 * status at t: how many, or -1. */
int ag_copies_end(struct ag_ctx *e, int64_t agreement, int64_t party, uint32_t revision,
    const char *status, int64_t t);
/* Void one copy with a reason. */
int ag_copy_void(struct ag_ctx *e, int64_t copy, const char *reason, int64_t t);

/* A party's decline of revision rev (reason checked, salt 32 random
 * bytes hashed with it for the journal): *id.  The decline table is
 * written only here. */
int ag_decline_insert(struct ag_ctx *e, int64_t agreement, int64_t party, int64_t endpoint,
    uint32_t rev, const char *reason, const uint8_t salt[32], int64_t *id);
/* A party's decline: why and when. */
struct ag_decline {
	char reason[REASON_MAX + 1];
	int64_t at;
};
/* Has party an open decline (not superseded) of revision rev: 1 yes (the
 * latest in *d, when d is not NULL), 0 no, -1 store failure. */
int ag_decline_open(struct ag_ctx *e, int64_t agreement, int64_t party, uint32_t rev,
    struct ag_decline *d);
/* End party's open declines of agreement at t (a valid copy superseded
 * them): how many, or -1. */
int ag_declines_end(struct ag_ctx *e, int64_t agreement, int64_t party, int64_t t);

/* A pending timer, as ag_timer_next returns it (timers.c runs them). */
struct ag_timer {
	int64_t id, agreement, incident, due, ref;
	char kind[32];
	int number;
};
/* The earliest timer not yet fired and due at or before upto: 0 with *t,
 * 1 if none, -1 on a store failure. */
int ag_timer_next(struct ag_ctx *e, int64_t upto, struct ag_timer *t);
/* Mark timer id fired at t. */
int ag_timer_fired(struct ag_ctx *e, int64_t id, int64_t t);
/* When the earliest pending timer is due: 0 with *due, 1 if none (a store
 * failure, logged, reads as none: the next commit rearms the timers). */
int ag_timer_earliest(struct ag_ctx *e, int64_t *due);

/* The frames of an agreement's parties (address and signature blocks
 * around the core, proto/sheet.h), in the order of its members. */
struct ag_frames {
	size_t n;
	char code[64][PARTY_CODE_MAX + 1];
	int64_t party[64];
	char *frame[64];		/* owned: ag_frames_free */
};
int ag_frame_set(struct ag_ctx *e, int64_t agreement, int64_t party, const char *frame);
int ag_load_frames(struct ag_ctx *e, int64_t agreement, struct ag_frames *f);
void ag_frames_free(struct ag_frames *f);
/* Whether party's frame of agreement (one of its members') is frame, ""
 * meaning none: 1 yes, 0 no, -1 on a store failure. */
int ag_frame_is(struct ag_ctx *e, int64_t agreement, int64_t party, const char *frame);

#endif
