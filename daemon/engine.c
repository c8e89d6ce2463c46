#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "cert.h"
#include "checkpoint.h"
#include "crypto.h"
#include "engine.h"
#include "agreement.h"
#include "errors.h"
#include "fault.h"
#include "journal.h"
#include "merkle.h"
#include "lifecycle.h"
#include "log.h"
#include "mandate.h"
#include "ptime.h"
#include "sign.h"
#include "text.h"
#include "texts.h"
#include "timeline.h"

#define TEXT_MAX TEXTS_MAX
#define NOTE_MAX 4096

/*
 * How long a delivery can be.  Every delivery must fit in one frame, or it
 * can never be sent and blocks its endpoint (config.h, CONFIG_DELIVERY_MAX,
 * which every valid max_frame and max_queued_output can carry).  The
 * longest one the engine makes is a release bundle (Payload.released); each
 * of its parts is bounded below by the limits on what goes into it, in
 * protobuf bytes: a field is at most a 1-byte tag (every field number here
 * is below 16), a length of at most 5 bytes, and the bytes; an integer at
 * most a tag and 10 bytes.  The static assertion after them proves that an
 * agreement at every limit at once (a TEXT_MAX text, a full calendar, 64
 * parties with 64 copies, each under its own mandate, with a signer's
 * name and office, and a condition, and 65 journal proofs of the longest
 * path) has a release bundle that fits the 1 MiB; circulation
 * (release_fits) checks each revision's actual text and calendar against
 * it, and each copy with a reservation (reservations_fit) the reservations
 * the release would carry, so that a release, which must not fail
 * half-way, never meets an oversized bundle.
 */
#define PB_LEN(n)	((n) + 1 + 5)
#define PB_INT		(1 + 10)
#define MEMBERS_MAX	64	/* struct ag_members: signing parties, and observers */
#define STATE_MAX	16	/* lifecycle_state_name */
/* The canonical calendar (timeline.c): at most 200 lines (MEASURES_MAX) of
 * "OFFSET | PARTY | DESCRIPTION | confirm\n", the offset under 32 bytes,
 * the party a code or "mediator", the description at most 300 (DESC_MAX). */
#define CALENDAR_MAX	(200 * (31 + 3 + PARTY_CODE_MAX + 3 + 300 + 3 + 7 + 1))
/* The texts: one, or up to 16 versions with their tags, and frames for 64
 * parties, together at most TEXT_MAX bytes (texts_take): each but the
 * first costs at most a message's tag and length, a tag field, a flag
 * and its own tag and length over its bytes. */
#define TEXTS_MSG_MAX	(PB_LEN(TEXT_MAX) + \
	SIGN_MAX_VERSIONS * PB_LEN(PB_LEN(AG_LANG_MAX) + PB_INT + 6) + \
	64 * PB_LEN(PB_LEN(PARTY_CODE_MAX) + 6))
#define AGTEXT_MSG_MAX	(2 * PB_INT + PB_LEN(TITLE_MAX) + TEXTS_MSG_MAX + \
	PB_LEN(PTIME_BUFLEN) + PB_LEN(64) + PB_LEN(CALENDAR_MAX) + PB_LEN(32) + \
	2 * MEMBERS_MAX * PB_LEN(PARTY_CODE_MAX) + PB_LEN(STATE_MAX) + \
	3 * PB_INT + PB_LEN(64) + 64 * PB_LEN(2 * PARTY_CODE_MAX + 1))
/* A SignedCopy but its reservation, which has no fixed bound here: the
 * reservations a release carries are checked copy by copy as they come
 * (reservations_fit). */
#define COPY_MSG_MAX	(2 * PB_LEN(PARTY_CODE_MAX) + 3 * PB_INT + 2 * PB_LEN(32) + \
	PB_LEN(64) + PB_LEN(CERT_CONDITION_MAX))
/* cert_format: the fixed lines with their longest numbers (under 512
 * bytes) and the title and two times; the parties and observers lines;
 * a principal line per party; a copy line per copy, each with its
 * mandate, and its signer, signer-title, in-place-of, reservation and
 * subject-to lines. */
#define CERT_TEXT_MAX	(512 + CERT_TITLE_MAX + 2 * PTIME_BUFLEN + \
	2 * CERT_MAX_PARTIES * (1 + CERT_CODE_MAX) + \
	CERT_MAX_PARTIES * (11 + CERT_CODE_MAX + 1 + 64 + 1) + \
	CERT_MAX_COPIES * (6 + 2 * (CERT_CODE_MAX + 1) + 65 + 129 + PTIME_BUFLEN + \
	9 + 20 + 1 + 13 + CERT_NAME_MAX + 1 + 8 + CERT_NAME_MAX + 1 + \
	14 + CERT_NAME_MAX + 1 + 13 + 64 + 1 + 12 + CERT_CONDITION_MAX + 1))
/* A journal entry a bundle proves ("released", "copy-accepted"): its
 * header lines, two sha256 lines and a note of at most 599 bytes (the
 * buffer of ag_journal). */
#define JOURNAL_ENTRY_MAX	(24 + 5 + 20 + 1 + 6 + PTIME_BUFLEN + 1 + 6 + 32 + 1 + \
	11 + 20 + 1 + 7 + PARTY_CODE_MAX + 1 + 2 * (8 + 64 + 1) + 6 + 599 + 1)
#define PROOF_MSG_MAX	(PB_LEN(79) + PB_INT + PB_LEN(JOURNAL_ENTRY_MAX) + \
	PB_LEN(MERKLE_PROOF_MAXLEN))
#define MANDATE_MSG_MAX	(7 * PB_INT + PB_LEN(PARTY_CODE_MAX) + 2 * PB_LEN(32) + \
	PB_LEN(64) + SIGN_MANDATE_MAX_ROLES * PB_LEN(PARTY_CODE_MAX) + \
	PB_LEN(MANDATE_SCOPE_MAX) + PB_LEN(CERT_NAME_MAX) + PB_LEN(STATE_MAX))
/* A bundle but its text (struct bundle, bundle.c): 64 copies and as many mandates,
 * the proofs of the release and of each copy, the certificate, its
 * signature and the checkpoint the proofs refer to. */
#define BUNDLE_REST_MAX	(CERT_MAX_COPIES * PB_LEN(COPY_MSG_MAX) + \
	CERT_MAX_COPIES * PB_LEN(MANDATE_MSG_MAX) + \
	(CERT_MAX_COPIES + 1) * PB_LEN(PROOF_MSG_MAX) + PB_LEN(CERT_TEXT_MAX) + \
	PB_LEN(64) + PB_LEN(CHECKPOINT_MAX_LEN))
/* The release Payload of an agreement whose AgreementText packs to n. */
#define RELEASE_PAYLOAD_MAX(n)	PB_LEN(PB_LEN(n) + BUNDLE_REST_MAX)
_Static_assert(RELEASE_PAYLOAD_MAX(AGTEXT_MSG_MAX) + DELIVERY_FRAME_OVERHEAD <=
    CONFIG_DELIVERY_MAX, "the release bundle of an agreement at the limits (TEXT_MAX, "
    "64 parties...) must fit in a delivery: lower a limit or raise CONFIG_DELIVERY_MAX");
/* Coming in, the longest request (an agreement at the limits, or a party's
 * amendment of one) must decode within the least decode_budget: decoded,
 * a string or bytes field is its bytes, a NUL and a pointer, and each
 * message its struct; well under 64 KiB more for its ~140 fields. */
_Static_assert(AGTEXT_MSG_MAX + 64 * 1024 <= CONFIG_DECODE_BUDGET_MIN,
    "an agreement at the limits must decode within the least decode_budget");

/* Whether the release bundle of the revision in t can never be longer than
 * a delivery may be: its text as it is, everything else at its limits. */
static int
release_fits(const struct bundle_text *t, size_t *bound)
{
	size_t n = parley__agreement_text__get_packed_size(&t->msg) + STATE_MAX;

	*bound = delivery_frame_len(RELEASE_PAYLOAD_MAX(n));
	return *bound <= CONFIG_DELIVERY_MAX;
}

/* Circulate the current revision to every signing party.  0, -1 on a
 * store failure, or -2 with the reason in why (nothing queued) when its
 * release bundle could be too long to deliver: refused now, before anyone
 * signs, as the release itself must never fail. */
static int
circulate_text(struct ag_ctx *e, const struct ag *a, char *why, size_t whylen)
{
	struct bundle_text t;
	size_t bound;
	int rc = 0;

	if (bundle_text_load(e, a, &t) != 0)
		return -1;
	if (!release_fits(&t, &bound)) {
		size_t i, texts = strlen(t.text), frames = 0;
		for (i = 0; i < t.v.n; i++)
			texts += strlen(t.v.text[i]);
		for (i = 0; i < t.f.n; i++)
			frames += strlen(t.f.frame[i]);
		snprintf(why, whylen, "its release bundle could reach %zu bytes, more than the "
		    "%d a delivery may be (%zu bytes of text, %zu of frames, %zu of calendar); "
		    "shorten them", bound, CONFIG_DELIVERY_MAX, texts, frames, strlen(t.calendar));
		bundle_text_release(&t);
		return -2;
	}
	rc = bundle_send_text(e, a, &t, t.parties.id, t.parties.n);
	bundle_text_release(&t);
	return rc;
}

/* ---- party requests ---- */

enum req_end
engine_show(struct ag_ctx *e, const struct req *r, uint64_t id)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	struct bundle_text t;
	struct ag a;
	int member;

	/* An observer reads the text and terms in circulation as the parties
	 * do (a newcomer admitted then is sent them); signatures reach it
	 * with the release, as they reach the parties. */
	if (ag_for_party(e, r, id, &a, &member) != 0)
		return REQ_ROLLBACK;
	(void)member;
	if (bundle_text_load(e, &a, &t) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	bundle_text_for(&t, r->who->party.id);
	f.body_case = PARLEY__FRAME__BODY_AGREEMENT;
	f.agreement = &t.msg;
	req_reply(r, &f);
	bundle_text_release(&t);
	return REQ_ROLLBACK;
}

/* The agreements this party is a member of, circulated or later (a draft
 * is the mediator's alone), newest last, at most 500. */
enum req_end
engine_party_agreements(struct ag_ctx *e, const struct req *r)
{
	static const char sql[] =
	    "SELECT a.id, a.title, a.state, a.revision, ap.observer FROM agreement a JOIN "
	    "agreement_party ap ON ap.agreement_id = a.id WHERE ap.party_id = ? AND "
	    "a.circulated_at IS NOT NULL ORDER BY a.id DESC LIMIT 500";
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__AgreementList l = PARLEY__AGREEMENT_LIST__INIT;
	Parley__AgreementSummary *sum = NULL, **sp = NULL;
	char (*title)[TITLE_MAX + 1] = NULL, (*state)[16] = NULL;
	sqlite3_stmt *s = store_stmt(e->st, sql);
	size_t n = 0, k;
	int rc;

	if (s == NULL || (sum = calloc(500, sizeof(*sum))) == NULL ||
	    (sp = calloc(500, sizeof(*sp))) == NULL || (title = calloc(500, sizeof(*title))) == NULL ||
	    (state = calloc(500, sizeof(*state))) == NULL) {
		free(sum);
		free(sp);
		free(title);
		return req_refuse(r, PARLEY_ESTORE, "out of memory");
	}
	sqlite3_bind_int64(s, 1, r->who->party.id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < 500) {
		parley__agreement_summary__init(&sum[n]);
		sum[n].id = (uint64_t)sqlite3_column_int64(s, 0);
		snprintf(title[n], sizeof(title[0]), "%s", store_col_str(s, 1));
		snprintf(state[n], sizeof(state[0]), "%s", store_col_str(s, 2));
		sum[n].title = title[n];
		sum[n].state = state[n];
		sum[n].revision = (uint32_t)sqlite3_column_int64(s, 3);
		sum[n].observer = sqlite3_column_int(s, 4) != 0;
		n++;
	}
	if (store_rows_end(e->st, s, rc, "a party's agreements") != 0) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		goto done;
	}
	/* oldest first */
	for (k = 0; k < n; k++)
		sp[k] = &sum[n - 1 - k];
	l.n_agreements = n;
	l.agreements = sp;
	f.body_case = PARLEY__FRAME__BODY_AGREEMENT_LIST;
	f.agreement_list = &l;
	req_reply(r, &f);
done:
	free(sum);
	free(sp);
	free(title);
	free(state);
	return REQ_ROLLBACK;
}

enum req_end
engine_status(struct ag_ctx *e, const struct req *r, uint64_t id)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__StatusReply sr = PARLEY__STATUS_REPLY__INIT;
	Parley__PartyStatus ps[64], *pp[64];
	struct ag_members m;
	struct ag_decline dcl;
	struct ag a;
	size_t i;
	int64_t t;
	int member, all, rc;

	if (ag_for_party(e, r, id, &a, &member) != 0)
		return REQ_ROLLBACK;
	if (ag_load_members(e, a.id, 0, &m) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	/* Embargo: before release a party learns only its own status, unless
	 * the mediator chose to disclose who has signed (never signatures). */
	all = a.disclose || lifecycle_was_released(a.state);
	sr.agreement = (uint64_t)a.id;
	sr.revision = a.revision;
	sr.state = (char *)lifecycle_state_name(a.state);
	sr.zone = a.zone;
	/* its validity, for the party's picture of it (none of it signing) */
	sr.effective_at = a.effective_at;
	sr.expires_at = a.expires_at;
	sr.extends = a.extends_id > 0 ? (uint64_t)a.extends_id : 0;
	sr.reaffirms = a.reaffirms_id > 0 ? (uint64_t)a.reaffirms_id : 0;
	for (i = 0; i < m.n; i++) {
		if (!all && m.id[i] != r->who->party.id)
			continue;
		if (ag_valid_copy(e, a.id, m.id[i], a.revision, &t) != 0)
			return req_refuse(r, PARLEY_ESTORE, "store failure");
		parley__party_status__init(&ps[sr.n_parties]);
		ps[sr.n_parties].party = m.code[i];
		ps[sr.n_parties].signed_ = t != 0 || lifecycle_was_released(a.state);
		/* Its own decline, to the party alone: another's is the
		 * mediator's to see (a decline is a signing entry). */
		if (m.id[i] == r->who->party.id && t == 0 && !lifecycle_was_released(a.state)) {
			rc = ag_decline_open(e, a.id, m.id[i], a.revision, &dcl);
			if (rc < 0)
				return req_refuse(r, PARLEY_ESTORE, "store failure");
			if (rc > 0) {
				ps[sr.n_parties].declined_reason = dcl.reason;
				ps[sr.n_parties].declined_at = dcl.at;
			}
		}
		pp[sr.n_parties] = &ps[sr.n_parties];
		sr.n_parties++;
	}
	sr.parties = pp;
	f.body_case = PARLEY__FRAME__BODY_STATUS_REPLY;
	f.status_reply = &sr;
	req_reply(r, &f);
	return REQ_ROLLBACK;
}

static int release(struct ag_ctx *e, struct ag *a);

static int
insert_copy(struct ag_ctx *e, const struct req *r, const struct ag *a, int64_t signer,
    const Parley__SignRequest *m, const char *text, const char *status, const char *reason,
    int64_t mandate, int64_t *id)
{
	struct ag_copy c = {
		.agreement = a->id, .party = r->who->party.id, .endpoint = r->who->endpoint_id,
		.signer = signer, .mandate = mandate, .revision = m->revision, .role = m->role,
		.text = text, .status = status, .reason = reason, .hash = m->content_hash.data,
		.signature = m->signature.data, .reservation = m->reservation,
		.condition = m->condition,
	};

	return ag_copy_insert(e, &c, id);
}

/* A copy whose content differs from the revision: kept as evidence, never
 * counted, refused to the party with the first difference. */
static enum req_end
non_identical(struct ag_ctx *e, const struct req *r, const struct ag *a, int64_t signer,
    const Parley__SignRequest *m)
{
	char *rev_text = NULL, *rev_cal = NULL, *norm = NULL, diff[512], reason[700];
	uint8_t rev_hash[32], hash[32];
	size_t nlen;
	int64_t cid;
	int version;

	if (ag_load_revision(e, a->id, a->revision, &rev_text, &rev_cal, rev_hash, &version) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	/* The client hashes the text it signed with the terms and the calendar
	 * it was sent: the revision's.  A re-worded copy of a revision with a
	 * calendar is evidence too, not a hash mismatch. */
	/* A revision in several languages is not one text: its copy is kept
	 * with its hash alone. */
	if (m->text != NULL && *m->text != '\0' && version != SIGN_CONTENT_V3) {
		norm = text_normalize(m->text, strlen(m->text), &nlen);
		if (norm == NULL || ag_content_hash(e, a, version, norm, NULL, rev_cal, hash) != 0 ||
		    memcmp(hash, m->content_hash.data, 32) != 0) {
			free(rev_text);
			free(rev_cal);
			free(norm);
			return req_refuse(r, PARLEY_EUSAGE, "the text sent with the copy does not "
			    "match the content hash it was signed over");
		}
		if (text_first_difference(rev_text, norm, diff, sizeof(diff)) == 0)
			snprintf(diff, sizeof(diff), "the terms differ from revision %u's",
			    a->revision);
	} else {
		snprintf(diff, sizeof(diff), "its content hash differs from revision %u's%s",
		    a->revision, version == SIGN_CONTENT_V3 ? "" : " and no text came with it");
	}
	snprintf(reason, sizeof(reason), "not identical to revision %u: %s", a->revision, diff);
	if (insert_copy(e, r, a, signer, m, norm, "non-identical", reason, 0, &cid) != 0) {
		free(rev_text);
		free(rev_cal);
		free(norm);
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	}
	{
		uint8_t h[2][32];
		memcpy(h[0], m->content_hash.data, 32);
		crypto_sha256(m->signature.data, 64, h[1]);
		if (ag_journal(e, "copy-refused", a->id, r->who->party.code,
		    (const uint8_t (*)[32])h, 2, "%s", reason) != 0) {
			free(rev_text);
			free(rev_cal);
			free(norm);
			return req_refuse(r, PARLEY_ESTORE, "store failure");
		}
	}
	log_warnx("agreement %lld: non-identical copy %lld from %s stored and not counted: %s",
	    (long long)a->id, (long long)cid, r->who->party.code, diff);
	free(rev_text);
	free(rev_cal);
	free(norm);
	req_refuse(r, PARLEY_EREFUSED,
	    "copy refused: %s; it is recorded, not counted, and the mediator is told "
	    "(agreement %lld)", reason, (long long)a->id);
	return REQ_KEEP;	/* the evidence */
}

/* Does every signing party have a valid copy of the current revision: 1
 * yes, 0 no, -1 store failure. */
static int
all_signed(struct ag_ctx *e, const struct ag *a)
{
	/* A party with required roles: each role has a valid copy; without: any.
	 * NOT EXISTS stops at the first party still missing (every copy but
	 * the last has one): a count went through all of them. */
	static const char sql[] =
	    "SELECT NOT EXISTS (SELECT 1 FROM agreement_party ap WHERE ap.agreement_id = ?1 "
	    "AND ap.observer = 0 AND (CASE WHEN EXISTS (SELECT 1 FROM agreement_role r"
	    "  WHERE r.agreement_id = ?1 AND r.party_id = ap.party_id) "
	    " THEN EXISTS (SELECT 1 FROM agreement_role r WHERE r.agreement_id = ?1"
	    "  AND r.party_id = ap.party_id AND NOT EXISTS (SELECT 1 FROM copy c"
	    "  WHERE c.agreement_id = ?1 AND c.party_id = ap.party_id AND c.revision = ?2"
	    "  AND c.status = 'valid' AND c.role = r.role)) "
	    " ELSE NOT EXISTS (SELECT 1 FROM copy c WHERE c.agreement_id = ?1"
	    "  AND c.party_id = ap.party_id AND c.revision = ?2 AND c.status = 'valid') END))";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int all = -1, rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, a->id);
	sqlite3_bind_int64(s, 2, a->revision);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		all = sqlite3_column_int(s, 0);
	if (store_rows_end(e->st, s, rc, "who has signed") != 0 || all < 0)
		return -1;
	return all != 0;
}

/* The roles agreement requires of party: their number (0: none, any role
 * counts), and in need the list ("a, b") when role is not among them, else
 * "".  -1 on a store failure. */
static int
required_roles(struct ag_ctx *e, int64_t agreement, int64_t party, const char *role,
    char *need, size_t needlen)
{
	static const char sql[] =
	    "SELECT role FROM agreement_role WHERE agreement_id = ? AND party_id = ? "
	    "ORDER BY role";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int n = 0, found = 0, rc;
	size_t off = 0;

	need[0] = '\0';
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int64(s, 2, party);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (strcmp(store_col_str(s, 0), role) == 0)
			found = 1;
		if (off < needlen)
			off += (size_t)snprintf(need + off, needlen - off, "%s%s", n ? ", " : "",
			    store_col_str(s, 0));
		n++;
	}
	/* Cut short, the list would read as fewer roles, or none: any role. */
	if (store_rows_end(e->st, s, rc, "the roles an agreement requires") != 0)
		return -1;
	if (found || n == 0)
		need[0] = '\0';
	return n;
}

/* Has party a valid copy of rev in role: 1 yes, 0 no, -1 store failure. */
static int
role_signed(struct ag_ctx *e, int64_t agreement, int64_t party, uint32_t rev, const char *role)
{
	static const char sql[] =
	    "SELECT 1 FROM copy WHERE agreement_id = ? AND party_id = ? AND revision = ? "
	    "AND role = ? AND status = 'valid'";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int64(s, 2, party);
	sqlite3_bind_int64(s, 3, rev);
	sqlite3_bind_text(s, 4, role, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (store_rows_end(e->st, s, rc, "a party's copy in a role") != 0)
		return -1;
	return rc == SQLITE_ROW;
}

/* Count a refused copy and answer with its reason: -1. */
static int
refuse_copy(struct ag_ctx *e, const struct req *r, enum refuse_reason why, int code,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
refuse_copy(struct ag_ctx *e, const struct req *r, enum refuse_reason why, int code,
    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->m->copies_refused[why]++;
	req_refuse(r, code, "%s", msg);
	return -1;
}

/* The reason a stranded extension (ag_stranded) is refused: 1 with why, 0
 * not stranded, -1 store failure. */
static int
stranded(struct ag_ctx *e, const struct ag *a, char *why, size_t whylen)
{
	char when[PTIME_BUFLEN];
	int64_t ended;
	int rc;

	if ((rc = ag_stranded(e, a, &ended)) <= 0)
		return rc;
	ptime_format_in(ended, a->zone, when);
	snprintf(why, whylen, "agreement %lld expired at %s before this extension was "
	    "released: it can no longer extend it (the mediator may create it again as a new "
	    "agreement)", (long long)a->extends_id, when);
	return 1;
}

/* A copy being signed: what the checks found, for the steps after them. */
struct signing {
	struct ag a;
	int64_t signer;
	int has_principal;	/* the party has a principal key: mandates apply */
	struct mandate md;	/* the mandate covering the copy (md.id 0: none) */
	int nroles;		/* roles the agreement requires of the party */
	char hex[65];		/* the signer key, for messages */
};

/* Step 1: the copy's form: a member that signs, an agreement that takes
 * copies, the endpoint's own party, a valid role and whole fields.  0, or
 * -1 answered. */
static int
sign_check_form(struct ag_ctx *e, const struct req *r, const Parley__SignRequest *m,
    struct signing *sg)
{
	enum ag_state next;
	const char *why;
	char reason[300];
	int64_t until;
	int member, rc;

	if (ag_for_party(e, r, m->agreement, &sg->a, &member) != 0) {
		e->m->copies_refused[REFUSE_NOT_PARTY]++;
		return -1;
	}
	if (member == 2)
		return refuse_copy(e, r, REFUSE_NOT_PARTY, PARLEY_EREFUSED, "%s is an observer "
		    "of agreement %lld: observers never sign", r->who->party.code,
		    (long long)sg->a.id);
	if (lifecycle_next(sg->a.state, EV_SIGN, &next, &why) != 0)
		return refuse_copy(e, r, REFUSE_STATE, PARLEY_EREFUSED, "copy refused: %s", why);
	until = ag_term_until(sg->a.validity);
	if (until && until <= clock_now(e->clk)) {
		char when[PTIME_BUFLEN];
		ptime_format_in(until, sg->a.zone, when);
		return refuse_copy(e, r, REFUSE_STATE, PARLEY_EREFUSED, "copy refused: the "
		    "agreement's validity ended at %s before it was released; it can never be "
		    "released", when);
	}
	rc = stranded(e, &sg->a, reason, sizeof(reason));
	if (rc < 0) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return -1;
	}
	if (rc > 0)
		return refuse_copy(e, r, REFUSE_STATE, PARLEY_EREFUSED, "copy refused: %s",
		    reason);
	if (strcmp(m->party, r->who->party.code) != 0) {
		if (req_log_ok(r))
			log_warnx("agreement %lld: endpoint %lld of %s sent a copy naming party "
			    "\"%s\"", (long long)sg->a.id, (long long)r->who->endpoint_id,
			    r->who->party.code, m->party);
		return refuse_copy(e, r, REFUSE_IMPERSONATION, PARLEY_EAUTH, "this endpoint "
		    "speaks for %s; it cannot sign as \"%s\"", r->who->party.code, m->party);
	}
	if (*m->role != '\0' && !ident_valid(m->role))
		return refuse_copy(e, r, REFUSE_MALFORMED, PARLEY_EUSAGE, "role \"%s\" is not a "
		    "valid name", m->role);
	if (m->content_hash.len != 32 || m->signature.len != 64 || m->signer_key.len != 32)
		return refuse_copy(e, r, REFUSE_MALFORMED, PARLEY_EUSAGE, "a copy needs a 32-byte "
		    "content hash, a 32-byte signer key and a 64-byte signature");
	return 0;
}

/* Step 1b: a reservation and a condition as doc/bundle.md 4.11 and 4.1 have
 * them (what the bundle could not carry is refused here), and only where
 * the agreement takes them.  0, or -1 answered. */
static int
sign_check_reservation(struct ag_ctx *e, const struct req *r, const Parley__SignRequest *m,
    const struct signing *sg)
{
	size_t n = strlen(m->reservation);
	char why[160];

	if (n == 0 && *m->condition == '\0')
		return 0;
	if (sg->a.no_reservations)
		return refuse_copy(e, r, REFUSE_STATE, PARLEY_EREFUSED, "copy refused: agreement "
		    "%lld was created with --no-reservations: sign it without a reservation or a "
		    "condition, or decline it with your reason (parley decline)",
		    (long long)sg->a.id);
	if (n > SIGN_RESERVATION_MAX)
		return refuse_copy(e, r, REFUSE_MALFORMED, PARLEY_EUSAGE, "the reservation is "
		    "longer than %d bytes", SIGN_RESERVATION_MAX);
	if (n > 0 && (text_check(m->reservation, n, why, sizeof(why)) != 0 ||
	    text_displayable(m->reservation, n, why, sizeof(why)) != 0))
		return refuse_copy(e, r, REFUSE_MALFORMED, PARLEY_EUSAGE, "the reservation, %s",
		    why);
	if (n > 0 && strspn(m->reservation, " \t\n") == n)
		return refuse_copy(e, r, REFUSE_MALFORMED, PARLEY_EUSAGE, "the reservation is "
		    "blank");
	if (memchr(m->reservation, '\r', n) != NULL)
		return refuse_copy(e, r, REFUSE_MALFORMED, PARLEY_EUSAGE, "the reservation has a "
		    "CR: its line endings must be LF (parley writes them so)");
	if (*m->condition != '\0' && !cert_condition_valid(m->condition))
		return refuse_copy(e, r, REFUSE_MALFORMED, PARLEY_EUSAGE, "the condition must be "
		    "one line of 1-%d bytes of UTF-8 without control characters or spaces at "
		    "either end", CERT_CONDITION_MAX);
	return 0;
}

/* Step 1c: the sheet: a party whose sheet the mediator framed signs it in
 * that frame (the signing payload covers it), and no other party signs a
 * frame at all.  0, or -1 answered. */
static int
sign_check_frame(struct ag_ctx *e, const struct req *r, const Parley__SignRequest *m,
    const struct signing *sg)
{
	int same = ag_frame_is(e, sg->a.id, r->who->party.id, m->frame);

	if (same < 0) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return -1;
	}
	if (!same)
		return refuse_copy(e, r, REFUSE_MALFORMED, PARLEY_EREFUSED, "copy refused: %s",
		    *m->frame ? "the address and signature blocks it was signed in are not those "
		    "the mediator set for your sheet (parley show prints your sheet)" :
		    "your sheet has address and signature blocks: sign the whole sheet (parley "
		    "show prints it)");
	return 0;
}

/* Step 2: the signer: a key registered to the party, the current revision,
 * a signature that verifies over it.  0, or -1 answered. */
static int
sign_check_signer(struct ag_ctx *e, const struct req *r, const Parley__SignRequest *m,
    struct signing *sg)
{
	uint8_t *payload = NULL, pk[32];
	int64_t signer_party;
	size_t plen;
	int rc, prc;

	hex_encode(m->signer_key.data, 32, sg->hex);
	if ((prc = registry_principal_of(e->st, r->who->party.id, pk)) < 0) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return -1;
	}
	sg->has_principal = prc == 0;
	rc = registry_signer_by_key(e->st, m->signer_key.data, &sg->signer, &signer_party);
	if (rc < 0) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return -1;
	}
	if ((rc == 1 || signer_party != r->who->party.id) && sg->has_principal)
		return refuse_copy(e, r, REFUSE_SIGNER, PARLEY_EAUTH, "copy refused: no mandate: "
		    "no mandate of %s authorises signer key %s", r->who->party.code, sg->hex);
	if (rc == 1 || signer_party != r->who->party.id)
		return refuse_copy(e, r, REFUSE_SIGNER, PARLEY_EAUTH, "signer key %s is not "
		    "registered for %s", sg->hex, r->who->party.code);
	if (m->revision < sg->a.revision)
		return refuse_copy(e, r, REFUSE_STALE, PARLEY_EREFUSED, "revision %u superseded "
		    "by %u", m->revision, sg->a.revision);
	if (m->revision > sg->a.revision)
		return refuse_copy(e, r, REFUSE_MALFORMED, PARLEY_EUSAGE, "agreement %lld has no "
		    "revision %u (current: %u)", (long long)sg->a.id, m->revision, sg->a.revision);
	if (r->sig_verdict == 1 || r->sig_verdict == -1) {
		rc = r->sig_verdict > 0 ? 0 : -1;
	} else {
		if (sign_payload_with((uint64_t)sg->a.id, m->revision, m->content_hash.data,
		    m->party, m->role, m->reservation, m->condition, m->frame, &payload, &plen) != 0) {
			req_refuse(r, PARLEY_ESTORE, "out of memory");
			return -1;
		}
		rc = crypto_verify_cached(e->keys, m->signer_key.data, payload, plen,
		    m->signature.data);
		free(payload);
	}
	if (rc == -2) {
		req_refuse(r, PARLEY_ESTORE, "out of memory checking the signature; nothing was "
		    "saved, try again");
		return -1;
	}
	if (rc != 0) {
		if (req_log_ok(r))
			log_warnx("agreement %lld: bad signature from %s (key %s)",
			    (long long)sg->a.id, r->who->party.code, sg->hex);
		return refuse_copy(e, r, REFUSE_BAD_SIGNATURE, PARLEY_EREFUSED, "the signature "
		    "does not verify with key %s over this agreement, revision, content and "
		    "party", sg->hex);
	}
	return 0;
}

/* Step 3: authority: a mandate covering key, role and agreement now (with
 * a principal), and a role this agreement requires of the party.  0, or
 * -1 answered. */
static int
sign_check_authority(struct ag_ctx *e, const struct req *r, const Parley__SignRequest *m,
    struct signing *sg)
{
	char why[400], need[400];
	int rc;

	sg->md.id = 0;
	if (sg->has_principal) {
		rc = mandate_find_cover(e, r->who->party.id, m->signer_key.data, m->role,
		    sg->a.id, sg->a.label, clock_now(e->clk), &sg->md, why, sizeof(why));
		if (rc < 0) {
			req_refuse(r, PARLEY_ESTORE, "store failure");
			return -1;
		}
		if (rc > 0) {
			if (req_log_ok(r))
				log_warnx("agreement %lld: copy from %s refused: %s",
				    (long long)sg->a.id, r->who->party.code, why);
			return refuse_copy(e, r, REFUSE_SIGNER, PARLEY_EREFUSED, "copy refused: %s",
			    why);
		}
	}
	sg->nroles = required_roles(e, sg->a.id, r->who->party.id, m->role, need, sizeof(need));
	if (sg->nroles < 0) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return -1;
	}
	if (sg->nroles > 0 && *need != '\0')
		return refuse_copy(e, r, REFUSE_SIGNER, PARLEY_EREFUSED, "copy refused: agreement "
		    "%lld requires of %s the roles %s; \"%s\" is not one of them",
		    (long long)sg->a.id, r->who->party.code, need, m->role);
	return 0;
}

/* A copy the party has already given: 1 answered (nothing to keep), 0 not
 * given yet, -1 answered with a store failure. */
static int
sign_already(struct ag_ctx *e, const struct req *r, const Parley__SignRequest *m,
    const struct signing *sg)
{
	int64_t t;
	int rc;

	if (ag_valid_copy(e, sg->a.id, r->who->party.id, sg->a.revision, &t) != 0) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return -1;
	}
	if (t != 0) {
		req_ok(r, 0, "%s has already signed revision %u of agreement %lld",
		    r->who->party.code, sg->a.revision, (long long)sg->a.id);
		return 1;
	}
	if (sg->nroles == 0)
		return 0;
	rc = role_signed(e, sg->a.id, r->who->party.id, sg->a.revision, m->role);
	if (rc < 0) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return -1;
	}
	if (rc > 0)
		req_ok(r, 0, "%s has already signed revision %u of agreement %lld in role %s",
		    r->who->party.code, sg->a.revision, (long long)sg->a.id, m->role);
	return rc;
}

/* Whether the reservation m carries fits its copy's share of what the
 * release of a's current revision may carry beside its text (the one bound
 * release_fits leaves open): the room a delivery has left is shared
 * equally among the signatures the agreement requires, so that whether a
 * reservation fits never depends on what another party wrote (nor tells
 * whether it has signed).  0, or -1 answered. */
static int
reservations_fit(struct ag_ctx *e, const struct req *r, const struct ag *a,
    const Parley__SignRequest *m)
{
	static const char sql[] =
	    "SELECT (SELECT count(*) FROM agreement_role WHERE agreement_id = ?1) + "
	    "(SELECT count(*) FROM agreement_party ap WHERE ap.agreement_id = ?1 AND "
	    "ap.observer = 0 AND NOT EXISTS (SELECT 1 FROM agreement_role x WHERE "
	    "x.agreement_id = ?1 AND x.party_id = ap.party_id))";
	struct bundle_text t;
	sqlite3_stmt *s;
	size_t n, base, share, room, mine = strlen(m->reservation);
	int64_t nsig = 1;
	int rc;

	if (mine == 0)
		return 0;
	if ((s = store_stmt(e->st, sql)) == NULL) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return -1;
	}
	sqlite3_bind_int64(s, 1, a->id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		nsig = sqlite3_column_int64(s, 0);
	if (store_rows_end(e->st, s, rc, "an agreement's signatures") != 0 ||
	    bundle_text_load(e, a, &t) != 0) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return -1;
	}
	n = parley__agreement_text__get_packed_size(&t.msg) + STATE_MAX;
	bundle_text_release(&t);
	base = delivery_frame_len(RELEASE_PAYLOAD_MAX(n));
	/* Each reservation costs its bytes and a field's tag and length; the
	 * lengths that enclose them may each grow by a few bytes. */
	room = base + 64 < CONFIG_DELIVERY_MAX ? CONFIG_DELIVERY_MAX - base - 64 : 0;
	share = room / (size_t)(nsig > 0 ? nsig : 1);
	share = share > 6 ? share - 6 : 0;
	if (mine <= share)
		return 0;
	refuse_copy(e, r, REFUSE_MALFORMED, PARLEY_EUSAGE, "copy refused: a reservation on "
	    "agreement %lld may be at most %zu bytes (the %lld signatures it requires share "
	    "equally what its release can carry beside the text); this one is %zu",
	    (long long)a->id, share, (long long)nsig, mine);
	return -1;
}

/* Step 3b: two roles, two signers.  A party's roles are signed by
 * different signer keys, and under mandates by different mandates, unless
 * the agreement was created --same-signer-ok: one person signing twice
 * would pass for the two the roles stand for.  0, or -1 answered. */
static int
sign_check_distinct(struct ag_ctx *e, const struct req *r, const Parley__SignRequest *m,
    const struct signing *sg)
{
	static const char sql[] =
	    "SELECT role, signer_id = ?5 FROM copy WHERE agreement_id = ?1 AND party_id = ?2"
	    " AND revision = ?3 AND status = 'valid' AND role != ?4 AND (signer_id = ?5"
	    " OR (?6 != 0 AND mandate_id = ?6)) ORDER BY id LIMIT 1";
	char role[PARTY_CODE_MAX + 1] = "";
	sqlite3_stmt *s;
	int rc, same_key = 0;

	if (sg->nroles < 2 || sg->a.same_signer_ok)
		return 0;
	if ((s = store_stmt(e->st, sql)) == NULL) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return -1;
	}
	sqlite3_bind_int64(s, 1, sg->a.id);
	sqlite3_bind_int64(s, 2, r->who->party.id);
	sqlite3_bind_int64(s, 3, sg->a.revision);
	sqlite3_bind_text(s, 4, m->role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, sg->signer);
	sqlite3_bind_int64(s, 6, sg->md.id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(role, sizeof(role), "%s", store_col_str(s, 0));
		same_key = sqlite3_column_int(s, 1);
	}
	if (store_rows_end(e->st, s, rc, "the signers of a party's roles") != 0) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return -1;
	}
	if (*role == '\0')
		return 0;
	return refuse_copy(e, r, REFUSE_SIGNER, PARLEY_EREFUSED, "copy refused: %s %s signed "
	    "role %s of agreement %lld already; each role of %s needs its own signer (the "
	    "agreement was not created with --same-signer-ok)", same_key ? "signer key" :
	    "the mandate of signer key", sg->hex, role, (long long)sg->a.id, r->who->party.code);
}

/* Step 4: keep the copy and journal it. */
static int
sign_keep(struct ag_ctx *e, const struct req *r, const Parley__SignRequest *m,
    struct signing *sg)
{
	uint8_t h[2][32];
	char under[40] = "";
	int64_t cid;
	int ended;

	if (insert_copy(e, r, &sg->a, sg->signer, m, NULL, "valid", NULL, sg->md.id, &cid) != 0)
		return -1;
	memcpy(h[0], m->content_hash.data, 32);
	crypto_sha256(m->signature.data, 64, h[1]);
	if (sg->md.id)
		snprintf(under, sizeof(under), ", mandate %lld", (long long)sg->md.id);
	/* The copy is named by its signature's hash, not by its row id: the
	 * party reads this entry, and the gap between its copies' ids would
	 * count the others' (invariant 2). */
	/* Nothing of a reservation or a condition goes into the entry: after
	 * release every member reads the signing entries, those of withdrawn
	 * and superseded copies too, and (--disclose-progress) before it;
	 * what a copy carried is told with the release, for counted copies
	 * only.  The signature's hash binds it all the same. */
	if (ag_journal(e, "copy-accepted", sg->a.id, r->who->party.code,
	    (const uint8_t (*)[32])h, 2, "revision %u%s%s%s", sg->a.revision,
	    *m->role ? ", role " : "", m->role, under) != 0)
		return -1;
	/* A valid copy supersedes the party's decline: it changed its mind.
	 * The entry is one of its signing entries (hidden from the others
	 * before release) and carries its signature's hash, as they do. */
	if ((ended = ag_declines_end(e, sg->a.id, r->who->party.id, clock_now(e->clk))) < 0)
		return -1;
	if (ended > 0 && ag_event_party(e, sg->a.id, r->who->party.code, h[1],
	    "decline-withdrawn", "%s signed revision %u: its decline is withdrawn",
	    r->who->party.code, sg->a.revision) != 0)
		return -1;
	e->m->copies_accepted++;
	fault_point("copy-accepted");
	log_info("agreement %lld: %s signed revision %u (copy %lld)%s%s", (long long)sg->a.id,
	    r->who->party.code, sg->a.revision, (long long)cid,
	    *m->reservation ? " with a reservation" : "",
	    *m->condition ? " subject to a condition" : "");
	return 0;
}

/* Step 5: with the copy kept, release if every party has signed.  The
 * answer, and REQ_KEEP, or REQ_ROLLBACK with a store failure: past this
 * point a failure must not keep the copy and skip the release check, as
 * nobody could sign again to trigger it. */
static enum req_end
sign_settle(struct ag_ctx *e, const struct req *r, const Parley__SignRequest *m,
    struct signing *sg)
{
	int64_t t = 0;
	int rc;

	/* At release, authority again: signatures under a mandate revoked
	 * since are void, and the agreement waits for new ones. */
	if (mandate_void_revoked(e, sg->a.id) < 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	if (sg->nroles > 0 && ag_valid_copy(e, sg->a.id, r->who->party.id, sg->a.revision,
	    &t) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure; the copy was not saved");
	/* The answers carry no copy id: ids run in one sequence over every
	 * party's copies, and two of one party's would count the others'. */
	if (sg->nroles > 0 && t == 0)
		return req_ok(r, 0, "signed copy of revision %u accepted in role %s; %s's copy "
		    "counts when every role it must sign in has signed", sg->a.revision, m->role,
		    r->who->party.code);
	if ((rc = all_signed(e, &sg->a)) < 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure; the copy was not saved");
	if (rc == 0)
		return req_ok(r, 0, "signed copy of revision %u accepted; the agreement is "
		    "released when every party has signed", sg->a.revision);
	if (release(e, &sg->a) != 0)
		return req_refuse(r, PARLEY_ESTORE, "release failed; the copy was not saved");
	return req_ok(r, 0, "signed copy of revision %u accepted; every party has signed: "
	    "agreement %lld is released", sg->a.revision, (long long)sg->a.id);
}

/* A party's signed copy: the checks in their order, then either evidence
 * of a non-identical copy, an answer that it was already given, or the
 * copy kept and the release checked. */
enum req_end
engine_sign(struct ag_ctx *e, const struct req *r, const Parley__SignRequest *m)
{
	struct signing sg;
	uint8_t rev_hash[32];

	memset(&sg, 0, sizeof(sg));
	if (sign_check_form(e, r, m, &sg) != 0 || sign_check_reservation(e, r, m, &sg) != 0 ||
	    sign_check_frame(e, r, m, &sg) != 0 || sign_check_signer(e, r, m, &sg) != 0)
		return REQ_ROLLBACK;
	if (ag_load_revision(e, sg.a.id, sg.a.revision, NULL, NULL, rev_hash, NULL) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	if (sign_check_authority(e, r, m, &sg) != 0)
		return REQ_ROLLBACK;
	if (memcmp(rev_hash, m->content_hash.data, 32) != 0) {
		e->m->copies_refused[REFUSE_NON_IDENTICAL]++;
		return non_identical(e, r, &sg.a, sg.signer, m);
	}
	if (sign_already(e, r, m, &sg) != 0)
		return REQ_ROLLBACK;	/* answered: nothing to keep */
	if (sign_check_distinct(e, r, m, &sg) != 0 || reservations_fit(e, r, &sg.a, m) != 0)
		return REQ_ROLLBACK;
	if (sign_keep(e, r, m, &sg) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	return sign_settle(e, r, m, &sg);
}

enum req_end
engine_withdraw(struct ag_ctx *e, const struct req *r, uint64_t id)
{
	static const char sigs[] =
	    "SELECT signature FROM copy WHERE agreement_id = ? AND party_id = ? "
	    "AND revision = ? AND status = 'valid' ORDER BY id LIMIT 64";
	uint8_t h[64][32];
	size_t nh = 0;
	enum ag_state next;
	const char *why;
	sqlite3_stmt *s;
	struct ag a;
	int member, rc;

	if (ag_for_party(e, r, id, &a, &member) != 0)
		return REQ_ROLLBACK;
	if (member == 2)
		return req_refuse(r, PARLEY_EREFUSED, "observers never sign");
	if (lifecycle_next(a.state, EV_WITHDRAW_SIGNATURE, &next, &why) != 0)
		return req_refuse(r, PARLEY_EREFUSED, "a signature cannot be withdrawn: %s", why);
	/* The entry names what is withdrawn by the signatures' hashes.  They
	 * also make it one no other party can guess: under the embargo its
	 * bytes are hidden, but a consistency proof may show its leaf hash,
	 * and "revision N" at a time near now could be tried against it. */
	if ((s = store_stmt(e->st, sigs)) == NULL)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	sqlite3_bind_int64(s, 1, a.id);
	sqlite3_bind_int64(s, 2, r->who->party.id);
	sqlite3_bind_int64(s, 3, a.revision);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (sqlite3_column_bytes(s, 0) == 64)
			crypto_sha256(sqlite3_column_blob(s, 0), 64, h[nh++]);
	if (store_rows_end(e->st, s, rc, "the signatures to withdraw") != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	rc = ag_copies_end(e, a.id, r->who->party.id, a.revision, "withdrawn", clock_now(e->clk));
	if (rc < 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	if (rc == 0)
		return req_refuse(r, PARLEY_EREFUSED, "%s has no signature on revision %u to withdraw",
		    r->who->party.code, a.revision);
	if (ag_journal(e, "signature-withdrawn", a.id, r->who->party.code,
	    (const uint8_t (*)[32])h, nh, "revision %u", a.revision) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	log_info("agreement %lld: %s withdrew its signature", (long long)a.id,
	    r->who->party.code);
	req_ok(r, 0, "signature on revision %u of agreement %lld withdrawn (recorded)",
	    a.revision, (long long)a.id);
	return REQ_KEEP;
}

/* A party's recorded refusal to sign the current revision.  It changes
 * no state; the mediator sees it (agreement show, the log), and under the
 * embargo the other parties do not: its journal entry is one of this
 * party's signing entries (record.c), with a hash no one else can compute
 * (of a random salt and the reason). */
enum req_end
engine_decline(struct ag_ctx *e, const struct req *r, const Parley__DeclineRequest *m)
{
	uint8_t salt[32], h[32], buf[32 + REASON_MAX];
	char why[100];
	size_t len;
	struct ag a;
	int64_t t, did;
	int member, rc;

	if (ag_for_party(e, r, m->agreement, &a, &member) != 0)
		return REQ_ROLLBACK;
	if (member == 2)
		return req_refuse(r, PARLEY_EREFUSED, "observers never sign, so they cannot "
		    "decline");
	if (a.state != AG_CIRCULATING)
		return req_refuse(r, PARLEY_EREFUSED, "agreement %lld is %s: only a circulating "
		    "agreement can be declined", (long long)a.id, lifecycle_state_name(a.state));
	len = strlen(m->reason);
	if (ag_reason_check(m->reason, len, why, sizeof(why)) != 0)
		return req_refuse(r, PARLEY_EUSAGE, "%s", why);
	if (ag_valid_copy(e, a.id, r->who->party.id, a.revision, &t) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	if (t != 0)
		return req_refuse(r, PARLEY_EREFUSED, "%s has signed revision %u of agreement "
		    "%lld; withdraw the signature first (parley withdraw)", r->who->party.code,
		    a.revision, (long long)a.id);
	if ((rc = ag_decline_open(e, a.id, r->who->party.id, a.revision, NULL)) < 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	if (rc > 0)
		return req_refuse(r, PARLEY_EREFUSED, "%s has already declined revision %u of "
		    "agreement %lld", r->who->party.code, a.revision, (long long)a.id);
	if (crypto_random(salt, sizeof(salt)) != 0)
		return req_refuse(r, PARLEY_ESTORE, "no random bytes; nothing was saved, try "
		    "again");
	memcpy(buf, salt, 32);
	memcpy(buf + 32, m->reason, len);
	if (crypto_sha256(buf, 32 + len, h) != 0 ||
	    ag_decline_insert(e, a.id, r->who->party.id, r->who->endpoint_id, a.revision,
	    m->reason, salt, &did) != 0 ||
	    ag_event_party(e, a.id, r->who->party.code, h, "declined", "%s declined revision "
	    "%u: %s", r->who->party.code, a.revision, m->reason) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	/* No decline id in the answer: ids run over every party's declines. */
	return req_ok(r, 0, "%s declined revision %u of agreement %lld (recorded; the mediator "
	    "sees the reason; signing it later withdraws the decline)", r->who->party.code,
	    a.revision, (long long)a.id);
}

enum req_end
engine_amend(struct ag_ctx *e, const struct req *r, const Parley__AmendRequest *m)
{
	static const char sql[] =
	    "INSERT INTO amendment(agreement_id, revision, proposer_id, text, note, state,"
	    " created_at) VALUES(?, ?, ?, ?, ?, 'proposed', ?)";
	enum ag_state next;
	const char *why;
	char *norm, *cur = NULL, whybuf[128];
	uint8_t hash[32];
	sqlite3_stmt *s;
	struct ag a;
	int member, rc, same, version;
	int64_t id;
	int oom;

	if (ag_for_party(e, r, m->agreement, &a, &member) != 0)
		return REQ_ROLLBACK;
	if (member == 2)
		return req_refuse(r, PARLEY_EREFUSED, "observers cannot propose amendments");
	if (lifecycle_next(a.state, EV_AMEND, &next, &why) != 0)
		return req_refuse(r, PARLEY_EREFUSED, "amendment refused: %s", why);
	if (m->revision != a.revision)
		return req_refuse(r, PARLEY_EREFUSED, "revision %u superseded by %u", m->revision,
		    a.revision);
	if (strlen(m->note) > NOTE_MAX)
		return req_refuse(r, PARLEY_EUSAGE, "the note is longer than %d bytes", NOTE_MAX);
	if ((norm = texts_check(m->text, strlen(m->text), whybuf, sizeof(whybuf), &oom)) == NULL)
		return req_refuse(r, oom ? PARLEY_ESTORE : PARLEY_EUSAGE, "amendment refused: %s",
		    whybuf);
	if ((rc = texts_fit(e, a.id, strlen(norm), whybuf, sizeof(whybuf))) != 0) {
		free(norm);
		return req_refuse(r, rc < 0 ? PARLEY_ESTORE : PARLEY_EUSAGE, "amendment refused: "
		    "%s", rc < 0 ? "store failure" : whybuf);
	}
	if (ag_load_revision(e, a.id, a.revision, &cur, NULL, hash, &version) != 0) {
		free(norm);
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	}
	if (version == SIGN_CONTENT_V3) {
		free(cur);
		free(norm);
		return req_refuse(r, PARLEY_EREFUSED, "agreement %lld is in several languages: an "
		    "amendment of one text cannot change them all; ask the mediator for a new "
		    "draft", (long long)a.id);
	}
	same = strcmp(cur, norm) == 0;
	free(cur);
	if (same) {
		free(norm);
		return req_refuse(r, PARLEY_EREFUSED, "the proposed text is identical to revision %u",
		    a.revision);
	}
	if ((s = store_stmt(e->st, sql)) == NULL) {
		free(norm);
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	}
	sqlite3_bind_int64(s, 1, a.id);
	sqlite3_bind_int64(s, 2, a.revision);
	sqlite3_bind_int64(s, 3, r->who->party.id);
	sqlite3_bind_text(s, 4, norm, -1, free);
	sqlite3_bind_text(s, 5, m->note, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, clock_now(e->clk));
	rc = store_step_done(e->st, s);
	if (rc != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	id = sqlite3_last_insert_rowid(store_db(e->st));
	if (ag_journal(e, "amendment-proposed", a.id, r->who->party.code, NULL, 0,
	    "amendment %lld to revision %u", (long long)id, a.revision) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	log_info("agreement %lld: %s proposed amendment %lld to revision %u", (long long)a.id,
	    r->who->party.code, (long long)id, a.revision);
	req_ok(r, (uint64_t)id, "amendment %lld to revision %u proposed; the mediator decides "
	    "whether to forward, adopt or reject it", (long long)id, a.revision);
	return REQ_KEEP;
}

/* One amendment row. */
struct amend {
	int64_t id, agreement, proposer;
	uint32_t revision;
	char state[16];
};

static int
load_amend(struct ag_ctx *e, int64_t id, struct amend *am)
{
	static const char sql[] =
	    "SELECT id, agreement_id, proposer_id, revision, state FROM amendment WHERE id = ?";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		am->id = sqlite3_column_int64(s, 0);
		am->agreement = sqlite3_column_int64(s, 1);
		am->proposer = sqlite3_column_int64(s, 2);
		am->revision = (uint32_t)sqlite3_column_int64(s, 3);
		snprintf(am->state, sizeof(am->state), "%s", store_col_str(s, 4));
	}
	if (store_rows_end(e->st, s, rc, "an amendment") != 0)
		return -1;
	return rc == SQLITE_ROW ? 0 : 1;
}

enum req_end
engine_amendment_response(struct ag_ctx *e, const struct req *r,
    const Parley__AmendmentResponse *m)
{
	static const char sql[] =
	    "INSERT INTO amendment_response(amendment_id, party_id, accept, note, created_at) "
	    "VALUES(?, ?, ?, ?, ?) ON CONFLICT(amendment_id, party_id) DO UPDATE SET "
	    "accept = excluded.accept, note = excluded.note, created_at = excluded.created_at";
	struct amend am;
	sqlite3_stmt *s;
	int rc;

	rc = load_amend(e, (int64_t)m->amendment, &am);
	if (rc < 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	if (rc == 1 || ag_membership(e, am.agreement, r->who->party.id) != 1 ||
	    (strcmp(am.state, "forwarded") != 0 && am.proposer != r->who->party.id))
		return req_refuse(r, PARLEY_ENOTFOUND, "no amendment %llu was forwarded to %s",
		    (unsigned long long)m->amendment, r->who->party.code);
	if (am.proposer == r->who->party.id)
		return req_refuse(r, PARLEY_EREFUSED, "%s proposed amendment %lld; only the other "
		    "parties answer it", r->who->party.code, (long long)am.id);
	if (strcmp(am.state, "forwarded") != 0)
		return req_refuse(r, PARLEY_EREFUSED, "amendment %lld is %s", (long long)am.id,
		    am.state);
	if (strlen(m->note) > NOTE_MAX)
		return req_refuse(r, PARLEY_EUSAGE, "the note is longer than %d bytes", NOTE_MAX);
	if ((s = store_stmt(e->st, sql)) == NULL)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	sqlite3_bind_int64(s, 1, am.id);
	sqlite3_bind_int64(s, 2, r->who->party.id);
	sqlite3_bind_int(s, 3, m->accept ? 1 : 0);
	sqlite3_bind_text(s, 4, m->note, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, clock_now(e->clk));
	rc = store_step_done(e->st, s);
	if (rc != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	if (ag_journal(e, "amendment-answered", am.agreement, r->who->party.code, NULL, 0,
	    "amendment %lld: %s", (long long)am.id, m->accept ? "accept" : "reject") != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	log_info("amendment %lld: %s %s it", (long long)am.id, r->who->party.code,
	    m->accept ? "accepts" : "rejects");
	req_ok(r, (uint64_t)am.id, "your answer to amendment %lld (%s) is recorded",
	    (long long)am.id, m->accept ? "accept" : "reject");
	return REQ_KEEP;
}

/* ---- release ---- */

/* In the caller's transaction: mark in force, write the certificate, and
 * queue the bundle to every endpoint of every party and observer. */
static int
release(struct ag_ctx *e, struct ag *a)
{
	const struct bundle_text *t;
	struct bundle *b;
	enum ag_state next;
	const char *why;
	uint8_t sig[64], hashes[2][32];
	uint64_t cpsize;
	char *cert;
	int64_t eff;
	size_t n;
	int rc = -1;

	if (lifecycle_next(a->state, EV_RELEASE, &next, &why) != 0)
		return -1;
	a->released_at = clock_now(e->clk);
	a->effective_at = a->released_at;
	if ((eff = ag_term_effective(a->effective)) > a->released_at)
		a->effective_at = eff;
	/* Released; in force at once unless its effective time is ahead (the
	 * effect timer moves it then). */
	if (a->effective_at <= a->released_at &&
	    lifecycle_next(next, EV_EFFECT, &next, &why) != 0)
		return -1;
	/* The text and copies the certificate is made of are the bundle's. */
	if ((b = bundle_begin(e, a)) == NULL)
		return -1;
	t = bundle_text(b);
	n = bundle_ncopies(b);
	if ((cert = bundle_certificate(e, a, b)) == NULL)
		goto fail;
	memcpy(hashes[0], t->hash, 32);
	if (crypto_sha256(cert, strlen(cert), hashes[1]) != 0 ||
	    crypto_sign(e->mkey, (const uint8_t *)cert, strlen(cert), sig) != 0) {
		free(cert);
		goto fail;
	}
	/* Exactly once: a second release changes nothing (1). */
	a->state = next;
	rc = ag_set_released(e, a, cert, sig);
	free(cert);
	if (rc != 0)
		goto fail;
	if (timeline_on_release(e, a) != 0)
		goto fail;
	/* In the record, and under a signed checkpoint the bundle can cite. */
	if (ag_journal(e, "released", a->id, NULL, (const uint8_t (*)[32])hashes, 2,
	    "revision %u, %zu copies", a->revision, n) != 0 ||
	    (e->j != NULL && journal_checkpoint(e->j, &cpsize) != 0))
		goto fail;
	fault_point("release-written");
	if (bundle_end(e, a, b) != 0)
		goto fail;
	/* One bundle, the same for every signing party and observer. */
	rc = bundle_send_release(e, a, b, t->parties.id, t->parties.n);
	if (rc == 0)
		rc = bundle_send_release(e, a, b, t->observers.id, t->observers.n);
	bundle_free(b);
	if (rc == 0)
		e->m->releases++;
	if (rc == 0)
		log_info("agreement %lld released: revision %u, %zu copies", (long long)a->id,
		    a->revision, n);
	return rc;
fail:
	bundle_free(b);
	return -1;
}

enum req_end
engine_bundle(struct ag_ctx *e, const struct req *r, uint64_t id)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	struct bundle *b;
	struct ag a;
	int member;

	if (ag_for_party(e, r, id, &a, &member) != 0)
		return REQ_ROLLBACK;
	if (a.released_at == 0)
		return req_refuse(r, PARLEY_EREFUSED, "agreement %lld is not released: signed copies "
		    "are sealed until every party has signed", (long long)a.id);
	if ((b = bundle_load(e, &a)) == NULL)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	f.body_case = PARLEY__FRAME__BODY_BUNDLE;
	f.bundle = bundle_msg(b);
	req_reply(r, &f);
	bundle_free(b);
	return REQ_ROLLBACK;
}

/* ---- mediator verbs ---- */

static int
parse_list(const char *list, char codes[][PARTY_CODE_MAX + 1], size_t max, size_t *n,
    struct out *o, const char *what)
{
	const char *p = list, *q;
	size_t len, i;

	*n = 0;
	if (list != NULL && *list != '\0' && list[strlen(list) - 1] == ',')
		return out_usage(o, "%s: \"%s\" is not a list of party codes", what, list);
	while (p != NULL && *p != '\0') {
		q = strchr(p, ',');
		len = q ? (size_t)(q - p) : strlen(p);
		if (len == 0 || len > PARTY_CODE_MAX)
			return out_usage(o, "%s: \"%s\" is not a list of party codes", what, list);
		if (*n == max)
			return out_usage(o, "%s: at most %zu parties", what, max);
		memcpy(codes[*n], p, len);
		codes[*n][len] = '\0';
		if (!ident_valid(codes[*n]))
			return out_usage(o, "%s: \"%s\" is not a valid party code", what, codes[*n]);
		for (i = 0; i < *n; i++)
			if (strcmp(codes[i], codes[*n]) == 0)
				return out_usage(o, "%s: %s is named twice", what, codes[*n]);
		(*n)++;
		p = q ? q + 1 : NULL;
	}
	return 0;
}

/* The certificate carries the title: the one rule is cert.h's. */
static int
title_ok(const char *t)
{
	_Static_assert(TITLE_MAX == CERT_TITLE_MAX, "a title fits the certificate");
	return cert_title_valid(t) && cert_shown_valid(t, TITLE_MAX);
}

/* Walk "party=role+role,party=role": for each role, fn(party, role, arg);
 * a nonzero return stops the walk and is returned. */
static int
signatories_walk(const char *spec, int (*fn)(const char *, const char *, void *), void *arg)
{
	char *buf, *ent, *next, *eq, *role, *rnext;
	int rc = 0;

	/* Every piece named: "baku=", "baku=a++b" and ",," are not lists. */
	if ((buf = strdup(spec)) == NULL)
		return -3;
	for (ent = buf; ent != NULL && rc == 0; ent = next) {
		if ((next = strchr(ent, ',')) != NULL)
			*next++ = '\0';
		if ((eq = strchr(ent, '=')) == NULL || eq == ent) {
			rc = -2;
			break;
		}
		*eq = '\0';
		for (role = eq + 1; role != NULL && rc == 0; role = rnext) {
			if ((rnext = strchr(role, '+')) != NULL)
				*rnext++ = '\0';
			rc = *role == '\0' ? -2 : fn(ent, role, arg);
		}
	}
	free(buf);
	return rc;
}

struct sig_check {
	char (*parties)[PARTY_CODE_MAX + 1];
	size_t np;
	char seen[64][2 * PARTY_CODE_MAX + 2];
	size_t nseen;
	struct out *o;
};

static int
sig_check_one(const char *party, const char *role, void *arg)
{
	struct sig_check *c = arg;
	char key[2 * PARTY_CODE_MAX + 2];
	size_t i;

	for (i = 0; i < c->np && strcmp(c->parties[i], party) != 0; i++)
		;
	if (i == c->np)
		return out_usage(c->o, "--signatories: %s is not one of --parties", party);
	if (!ident_valid(role))
		return out_usage(c->o, "--signatories: \"%s\" is not a valid role name", role);
	snprintf(key, sizeof(key), "%s=%s", party, role);
	for (i = 0; i < c->nseen; i++)
		if (strcmp(c->seen[i], key) == 0)
			return out_usage(c->o, "--signatories: %s is named twice", key);
	if (c->nseen == 64)
		return out_usage(c->o, "--signatories: at most 64 roles");
	snprintf(c->seen[c->nseen++], sizeof(c->seen[0]), "%s", key);
	return 0;
}

static int
signatories_check(const char *spec, char parties[][PARTY_CODE_MAX + 1], size_t np,
    struct out *o)
{
	struct sig_check *c;
	size_t i, k, len = 0, sigs = 0;
	int rc, with;

	if (spec == NULL)
		return 0;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return out_refuse(o, "out of memory");
	c->parties = parties;
	c->np = np;
	c->o = o;
	rc = signatories_walk(spec, sig_check_one, c);
	/* The term the content hash covers is one line of the bundle's
	 * terms.txt: every party, and each role once more with one byte.  The
	 * certificate has a copy line for each signature required: a party's
	 * roles, or one for a party without. */
	for (i = 0; i < np; i++) {
		len += strlen(parties[i]) + 1;
		for (k = 0, with = 0; k < c->nseen && !with; k++)
			with = strncmp(c->seen[k], parties[i], strlen(parties[i])) == 0 &&
			    c->seen[k][strlen(parties[i])] == '=';
		sigs += with ? 0 : 1;
	}
	for (i = 0; i < c->nseen; i++)
		len += strlen(strchr(c->seen[i], '=') + 1) + 1;
	sigs += c->nseen;
	free(c);
	if (rc == -3)
		return out_refuse(o, "out of memory");
	if (rc == -2)
		return out_usage(o, "--signatories takes party=role+role,party=role");
	if (rc != 0)
		return -1;
	if (sigs > CERT_MAX_COPIES)
		return out_usage(o, "--parties and --signatories require %zu signatures; a release "
		    "certificate holds at most %d", sigs, CERT_MAX_COPIES);
	if (len > SIGN_SIGNATORIES_MAX)
		return out_usage(o, "--parties and --signatories together take %zu bytes "
		    "written out; at most %d fit the record", len, SIGN_SIGNATORIES_MAX);
	return 0;
}

struct sig_store {
	struct ag_ctx *e;
	int64_t agreement;
	char (*parties)[PARTY_CODE_MAX + 1];
	const struct party *pr;
	size_t np;
};

static int
sig_store_one(const char *party, const char *role, void *arg)
{
	struct sig_store *c = arg;
	size_t i;

	for (i = 0; i < c->np && strcmp(c->parties[i], party) != 0; i++)
		;
	if (i == c->np)
		return -1;
	return ag_add_role(c->e, c->agreement, c->pr[i].id, role);
}

static int
signatories_store(struct ag_ctx *e, int64_t agreement, const char *spec,
    char parties[][PARTY_CODE_MAX + 1], const struct party *pr, size_t np)
{
	struct sig_store c = { e, agreement, parties, pr, np };

	if (spec == NULL)
		return 0;
	return signatories_walk(spec, sig_store_one, &c) == 0 ? 0 : -1;
}

/* A new agreement's terms, checked: what engine_create stores. */
struct draft {
	struct ag a;		/* title, effective, validity, sign_by, relations, label */
	char parties[64][PARTY_CODE_MAX + 1], observers[16][PARTY_CODE_MAX + 1];
	struct party pr[64], ob[16];
	size_t np, no;
};

/* The agreements a draft extends or reaffirms: 0, or -1 refused in o. */
static int
create_relations(struct ag_ctx *e, const struct agreement_terms *t, struct draft *d,
    struct out *o)
{
	static const char *const relname[2] = { "--extends", "--reaffirms" };
	int64_t rel[2] = { 0, 0 };
	struct ag other;
	char *end;
	size_t r;
	int rc;

	for (r = 0; r < 2; r++) {
		const char *v = r == 0 ? t->extends : t->reaffirms;
		if (v == NULL)
			continue;
		rel[r] = strtoll(v, &end, 10);
		if (*v == '\0' || *end != '\0' || rel[r] <= 0)
			return out_usage(o, "%s takes an agreement id", relname[r]);
		if ((rc = ag_load(e, rel[r], &other)) != 0)
			return out_refuse(o, rc < 0 ? "store failure" : "%s: no agreement %lld",
			    relname[r], (long long)rel[r]);
		if (other.state == AG_WITHDRAWN || other.state == AG_LAPSED)
			return out_refuse(o, "%s: agreement %lld is %s", relname[r],
			    (long long)rel[r], lifecycle_state_name(other.state));
		if (r == 0 && other.state == AG_EXPIRED)
			return out_refuse(o, "--extends: agreement %lld has expired: it can no "
			    "longer be extended; create a new agreement", (long long)rel[r]);
		if (r == 0 && other.validity[0] == '\0')
			return out_refuse(o, "agreement %lld is open-ended: it cannot be extended; "
			    "record a reaffirmation with --reaffirms %lld", (long long)rel[r],
			    (long long)rel[r]);
	}
	d->a.extends_id = rel[0];
	d->a.reaffirms_id = rel[1];
	return 0;
}

/* The parties and observers a draft names: registered, each in its place,
 * none twice.  0, or -1 refused in o. */
static int
create_members(struct ag_ctx *e, struct draft *d, struct out *o)
{
	size_t i, j;
	int rc;

	for (i = 0; i < d->np; i++) {
		if ((rc = registry_party_by_code(e->st, d->parties[i], &d->pr[i])) != 0)
			return rc < 0 ? out_refuse(o, "store failure") :
			    out_refuse(o, "unknown party \"%s\"", d->parties[i]);
		if (d->pr[i].observer)
			return out_refuse(o, "\"%s\" is an observer; name it with --observers",
			    d->parties[i]);
	}
	for (i = 0; i < d->no; i++) {
		if ((rc = registry_party_by_code(e->st, d->observers[i], &d->ob[i])) != 0)
			return rc < 0 ? out_refuse(o, "store failure") :
			    out_refuse(o, "unknown observer \"%s\"", d->observers[i]);
		if (!d->ob[i].observer)
			return out_refuse(o, "\"%s\" is a party, not an observer", d->observers[i]);
		for (j = 0; j < d->np; j++)
			if (d->ob[i].id == d->pr[j].id)
				return out_refuse(o, "%s is both party and observer", d->observers[i]);
	}
	return 0;
}

/* Terms that contradict each other or the clock, refused with the reason:
 * an effect already past, a validity that ends before the effect or has
 * ended, a deadline after the effect (unless the mediator says so) or after
 * the end, an extension that would leave a gap or end no later than what
 * it extends.  0, or -1 refused in o. */
static int
create_sane(struct ag_ctx *e, const struct agreement_terms *t, const struct draft *d,
    struct out *o)
{
	char a1[PTIME_BUFLEN], a2[PTIME_BUFLEN];
	int64_t now = clock_now(e->clk), eff, until, other_until;
	struct ag other;

	eff = ag_term_effective(d->a.effective);
	until = ag_term_until(d->a.validity);
	ptime_format_in(now, d->a.zone, a2);
	if (eff && eff < now) {
		ptime_format_in(eff, d->a.zone, a1);
		return out_usage(o, "--effective %s is already past (the clock says %s)", a1, a2);
	}
	if (until && until <= now) {
		ptime_format_in(until, d->a.zone, a1);
		return out_usage(o, "--valid-until %s is already past (the clock says %s)", a1, a2);
	}
	if (eff && until && until <= eff) {
		ptime_format_in(until, d->a.zone, a1);
		ptime_format_in(eff, d->a.zone, a2);
		return out_usage(o, "the validity ends (%s) before the agreement takes effect (%s)",
		    a1, a2);
	}
	if (eff && d->a.sign_by > eff && !t->sign_after_effect) {
		ptime_format_in(d->a.sign_by, d->a.zone, a1);
		ptime_format_in(eff, d->a.zone, a2);
		return out_usage(o, "--sign-by %s is after --effective %s: the parties could sign "
		    "after it was meant to take effect (say --sign-after-effect if that is meant)",
		    a1, a2);
	}
	if (until && d->a.sign_by >= until) {
		ptime_format_in(d->a.sign_by, d->a.zone, a1);
		ptime_format_in(until, d->a.zone, a2);
		return out_usage(o, "--sign-by %s is not before the validity ends (%s)", a1, a2);
	}
	if (d->a.extends_id == 0 || ag_load(e, d->a.extends_id, &other) != 0)
		return 0;
	other_until = other.expires_at ? other.expires_at : ag_term_until(other.validity);
	if (eff && other_until && eff > other_until) {
		ptime_format_in(eff, d->a.zone, a1);
		ptime_format_in(other_until, d->a.zone, a2);
		return out_usage(o, "--effective %s is after agreement %lld ends (%s): the "
		    "extension would leave a gap", a1, (long long)other.id, a2);
	}
	if (until && other_until && until <= other_until) {
		ptime_format_in(until, d->a.zone, a1);
		ptime_format_in(other_until, d->a.zone, a2);
		return out_usage(o, "--valid-until %s is not later than agreement %lld's end (%s): "
		    "it would not extend it", a1, (long long)other.id, a2);
	}
	return 0;
}

/* The agreement's zone: --zone, or the daemon's (display_tz, else the TZ
 * it started with), else UTC.  0, or -1 refused in o. */
static int
create_zone(const struct agreement_terms *t, struct draft *d, struct out *o)
{
	const char *tz = getenv("TZ");

	if (t->zone != NULL) {
		if (!ptime_zone_valid(t->zone))
			return out_usage(o, "--zone takes a time zone name such as Europe/Moscow "
			    "or UTC, not \"%s\"", t->zone);
		snprintf(d->a.zone, sizeof(d->a.zone), "%s", t->zone);
	} else if (tz != NULL && *tz == ':' && ptime_zone_valid(tz + 1)) {
		snprintf(d->a.zone, sizeof(d->a.zone), "%s", tz + 1);
	} else if (tz != NULL && ptime_zone_valid(tz)) {
		snprintf(d->a.zone, sizeof(d->a.zone), "%s", tz);
	} else {
		snprintf(d->a.zone, sizeof(d->a.zone), "UTC");
	}
	return 0;
}

/* Check the mediator's terms into d: 0, or -1 refused in o. */
static int
create_check(struct ag_ctx *e, const struct agreement_terms *t, struct draft *d, struct out *o)
{
	char why[128];
	int64_t eff;

	if (!title_ok(t->title))
		return out_usage(o, "the title must be one line of 1-%d bytes of UTF-8", TITLE_MAX);
	snprintf(d->a.title, sizeof(d->a.title), "%s", t->title);
	if (parse_list(t->parties, d->parties, 64, &d->np, o, "--parties") != 0 ||
	    parse_list(t->observers, d->observers, 16, &d->no, o, "--observers") != 0)
		return -1;
	if (d->np == 0)
		return out_usage(o, "--parties names no party");
	if (t->effective == NULL || strcmp(t->effective, "on-release") == 0) {
		snprintf(d->a.effective, sizeof(d->a.effective), "on-release");
	} else if (ptime_parse(t->effective, &eff) == 0) {
		ptime_format_utc(eff, d->a.effective);
	} else {
		return out_usage(o, "--effective takes on-release or an ISO 8601 time with an "
		    "offset, e.g. 1994-05-12T00:01:00+04:00");
	}
	if (create_zone(t, d, o) != 0)
		return -1;
	/* A date alone: the end of that day in the agreement's zone. */
	if (t->sign_by != NULL && (ptime_parse_in(t->sign_by, d->a.zone, &d->a.sign_by) != 0 ||
	    d->a.sign_by <= clock_now(e->clk)))
		return out_usage(o, "--sign-by takes a future ISO 8601 time with an offset, or a "
		    "date (the end of that day in the agreement's zone)");
	if (timeline_validity_term(t->valid_for, t->valid_until, d->a.zone, d->a.validity,
	    sizeof(d->a.validity), why, sizeof(why)) != 0)
		return out_usage(o, "%s", why);
	if (create_relations(e, t, d, o) != 0 || create_members(e, d, o) != 0)
		return -1;
	if (t->label != NULL && !ident_valid(t->label))
		return out_usage(o, "--label must be a short lowercase name, not \"%s\"", t->label);
	snprintf(d->a.label, sizeof(d->a.label), "%s", t->label ? t->label : "");
	d->a.disclose = t->disclose_progress ? 1 : 0;
	d->a.same_signer_ok = t->same_signer_ok ? 1 : 0;
	d->a.no_reservations = t->no_reservations ? 1 : 0;
	d->a.created_at = clock_now(e->clk);
	if (create_sane(e, t, d, o) != 0)
		return -1;
	return signatories_check(t->signatories, d->parties, d->np, o);
}

/* Store a checked draft with its first revision: 0 with *id, or -1. */
static int
create_store(struct ag_ctx *e, const struct agreement_terms *t, struct draft *d,
    const char *text, const struct ag_versions *v, char *const *frames, uint8_t hash[32],
    int64_t *id)
{
	size_t i;

	if (ag_insert(e, &d->a, id) != 0)
		return -1;
	d->a.id = *id;
	for (i = 0; i < d->np + d->no; i++)
		if (ag_add_member(e, *id, i < d->np ? d->pr[i].id : d->ob[i - d->np].id,
		    i >= d->np) != 0)
			return -1;
	if (signatories_store(e, *id, t->signatories, d->parties, d->pr, d->np) != 0)
		return -1;
	for (i = 0; i < d->np; i++)
		if (frames[i] != NULL && ag_frame_set(e, *id, d->pr[i].id, frames[i]) != 0)
			return -1;
	return ag_revision_add(e, &d->a, 1, text, v, "", 0, hash);
}

int
engine_create(struct ag_ctx *e, const struct agreement_terms *t, struct out *o)
{
	struct draft *d;
	char why[128], hex[65], *norm = NULL, *frames[64] = { NULL };
	struct ag_versions v = { 0 };
	uint8_t hash[32];
	size_t i, nframes = 0;
	int64_t id;
	int oom, rc = -1;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return out_refuse(o, "out of memory");
	if (create_check(e, t, d, o) != 0)
		goto done;
	if ((t->text == NULL) == (t->given.nv == 0)) {
		rc = out_usage(o, t->text == NULL ? "missing --text FILE (or --text LANG=FILE "
		    "for each language version)" : "give one text (--text FILE) or language "
		    "versions (--text LANG=FILE ...), not both");
		goto done;
	}
	if (t->text != NULL &&
	    (norm = texts_check(t->text, t->text_len, why, sizeof(why), &oom)) == NULL) {
		rc = oom ? out_refuse(o, "%s", why) : out_usage(o, "%s", why);
		goto done;
	}
	if (texts_take(&t->given, norm ? strlen(norm) : 0, (const char (*)[PARTY_CODE_MAX + 1])
	    d->parties, d->np, &v, frames, o) != 0)
		goto done;
	for (i = 0; i < d->np; i++)
		nframes += frames[i] != NULL;
	if (create_store(e, t, d, norm ? norm : "", &v, frames, hash, &id) != 0) {
		rc = out_refuse(o, "store failure: %s", store_errmsg(e->st));
		goto done;
	}
	if (ag_journal(e, "draft", id, NULL, (const uint8_t (*)[32])hash, 1,
	    "revision 1: %s%s%s", t->title, t->same_signer_ok ? " (one signer may sign "
	    "several roles of a party)" : "", v.n ? " (in several languages)" : "") != 0) {
		rc = out_refuse(o, "store failure: journal");
		goto done;
	}
	hex_encode(hash, 32, hex);
	jw_int(o->json, "id", id);
	jw_str(o->json, "state", "draft");
	jw_int(o->json, "revision", 1);
	jw_str(o->json, "content_sha256", hex);
	jw_int(o->json, "content_version", v.n ? SIGN_CONTENT_V3 : SIGN_CONTENT_V2);
	jw_arr_begin(o->json, "languages");
	for (i = 0; i < v.n; i++)
		jw_str(o->json, NULL, v.lang[i]);
	jw_arr_end(o->json);
	jw_int(o->json, "frames", (int64_t)nframes);
	out_text(o, "agreement %lld created (draft, revision 1, content SHA-256 %s)\n",
	    (long long)id, hex);
	if (v.n > 1)
		out_text(o, "  %zu language versions: check them with parleyctl agreement check "
		    "%lld [--glossary FILE] before circulating\n", v.n, (long long)id);
	log_info("agreement %lld created: %s", (long long)id, t->title);
	rc = 0;
done:
	for (i = 0; i < d->np; i++)
		free(frames[i]);
	ag_versions_free(&v);
	free(norm);
	free(d);
	return rc;
}

int
engine_circulate(struct ag_ctx *e, int64_t id, const char *override, struct out *o)
{
	enum ag_state next;
	const char *why;
	char toolong[320];
	struct ag a;
	int rc;

	if (ag_for_mediator(e, id, &a, o) != 0)
		return -1;
	if (lifecycle_next(a.state, EV_CIRCULATE, &next, &why) != 0)
		return out_refuse(o, "cannot circulate agreement %lld: %s", (long long)id, why);
	if (a.sign_by && a.sign_by <= clock_now(e->clk))
		return out_refuse(o, "cannot circulate agreement %lld: its signing deadline has "
		    "passed", (long long)id);
	if ((rc = stranded(e, &a, toolong, sizeof(toolong))) != 0)
		return rc < 0 ? out_refuse(o, "store failure") :
		    out_refuse(o, "cannot circulate agreement %lld: %s", (long long)id, toolong);
	if (texts_gate(e, &a, override, o) != 0)
		return -1;
	if (ag_set_circulated(e, id, clock_now(e->clk)) != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	a.state = next;
	rc = circulate_text(e, &a, toolong, sizeof(toolong));
	if (rc == -1 || (rc == 0 && timeline_on_circulate(e, &a) != 0))
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	if (rc == -2)
		return out_refuse(o, "cannot circulate agreement %lld: %s", (long long)id, toolong);
	if (ag_journal(e, "circulated", id, NULL, NULL, 0, "revision %u", a.revision) != 0)
		return out_refuse(o, "store failure: journal");
	jw_int(o->json, "id", id);
	jw_str(o->json, "state", "circulating");
	jw_int(o->json, "revision", a.revision);
	out_text(o, "agreement %lld revision %u circulated to every endpoint of every party\n",
	    (long long)id, a.revision);
	log_info("agreement %lld circulated (revision %u)", (long long)id, a.revision);
	return 0;
}

int
engine_withdraw_agreement(struct ag_ctx *e, int64_t id, const char *reason, struct out *o)
{
	char msg[100 + REASON_MAX], why[100];
	enum ag_state next;
	const char *err;
	struct ag a;

	if (reason != NULL && ag_reason_check(reason, strlen(reason), why, sizeof(why)) != 0)
		return out_usage(o, "--reason: %s", why);
	if (ag_for_mediator(e, id, &a, o) != 0)
		return -1;
	if (lifecycle_next(a.state, EV_WITHDRAW, &next, &err) != 0)
		return out_refuse(o, "cannot withdraw agreement %lld: %s", (long long)id, err);
	if (ag_set_state(e, id, AG_WITHDRAWN, clock_now(e->clk)) != 0 ||
	    (reason != NULL && ag_set_withdraw_reason(e, id, reason) != 0))
		return out_refuse(o, "store failure");
	snprintf(msg, sizeof(msg), "the mediator has withdrawn this agreement; it will not be "
	    "released%s%s", reason ? ". The reason: " : "", reason ? reason : "");
	/* a draft was never seen by anyone */
	if (a.state == AG_CIRCULATING && ag_tell(e, id, 0, 0, "withdrawn", msg) != 0)
		return out_refuse(o, "store failure");
	if (ag_journal(e, "withdrawn", id, NULL, NULL, 0, "by the mediator%s%s",
	    reason ? ": " : "", reason ? reason : "") != 0)
		return out_refuse(o, "store failure: journal");
	jw_int(o->json, "id", id);
	jw_str(o->json, "state", "withdrawn");
	jw_str(o->json, "reason", reason);
	out_text(o, "agreement %lld withdrawn%s\n", (long long)id,
	    a.state == AG_CIRCULATING ? "; the parties are told" : "");
	return 0;
}

/* When party acked the release bundle, first endpoint; 0 if not yet.  -1
 * (o refused) on a store failure. */
static int
receipts(struct ag_ctx *e, const struct ag *a, int64_t party, struct out *o, int64_t *first)
{
	static const char sql[] =
	    "SELECT d.endpoint_id, d.acked_at FROM message m JOIN delivery d "
	    "ON d.message_id = m.id WHERE m.agreement_id = ? AND m.party_id = ? "
	    "AND m.kind = 'release' ORDER BY d.endpoint_id";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	char when[PTIME_BUFLEN];
	int rc;

	*first = 0;
	if (s == NULL)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	jw_arr_begin(o->json, "endpoints");
	sqlite3_bind_int64(s, 1, a->id);
	sqlite3_bind_int64(s, 2, party);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t t = store_col_time(s, 1);
		jw_obj_begin(o->json, NULL);
		jw_int(o->json, "endpoint", sqlite3_column_int64(s, 0));
		if (t) {
			ptime_format_in(t, a->zone, when);
			jw_str(o->json, "acked_at", when);
			if (*first == 0 || t < *first)
				*first = t;
		} else {
			jw_null(o->json, "acked_at");
		}
		jw_obj_end(o->json);
		if (a->released_at)
			out_text(o, "      endpoint %lld: %s\n",
			    (long long)sqlite3_column_int64(s, 0), t ? when : "not yet acked");
	}
	/* A receipt missing would read as "not yet acked". */
	if (store_rows_end(e->st, s, rc, "receipts") != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	jw_arr_end(o->json);
	return 0;
}

/* A time of agreement a as JSON, in its zone; null when 0. */
/* agreement show: the reservations and conditions party's valid copies of
 * the current revision carry (the mediator reads them at once).  0, or -1
 * refused in o. */
static int
show_reservations(struct ag_ctx *e, const struct ag *a, int64_t party, struct out *o)
{
	static const char sql[] =
	    "SELECT c.role, coalesce(c.reservation, ''), coalesce(c.condition, ''),"
	    " coalesce(l.lifted_at, 0), coalesce(d.due_at, 0) FROM copy c"
	    " LEFT JOIN condition_lift l ON l.copy_id = c.id"
	    " LEFT JOIN condition_due d ON d.copy_id = c.id "
	    "WHERE c.agreement_id = ? AND c.party_id = ? AND c.revision = ? AND c.status = 'valid' "
	    "AND (c.reservation IS NOT NULL OR c.condition IS NOT NULL) ORDER BY c.role";
	char lifted[PTIME_BUFLEN], due[PTIME_BUFLEN];
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc;

	if (s == NULL)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	sqlite3_bind_int64(s, 1, a->id);
	sqlite3_bind_int64(s, 2, party);
	sqlite3_bind_int64(s, 3, a->revision);
	jw_arr_begin(o->json, "reservations");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *role = store_col_str(s, 0), *resv = store_col_str(s, 1);
		const char *cond = store_col_str(s, 2);
		jw_obj_begin(o->json, NULL);
		jw_str(o->json, "role", role);
		jw_str(o->json, "reservation", *resv ? resv : NULL);
		jw_str(o->json, "condition", *cond ? cond : NULL);
		lifted[0] = due[0] = '\0';
		if (sqlite3_column_int64(s, 3))
			ptime_format_in(sqlite3_column_int64(s, 3), a->zone, lifted);
		if (sqlite3_column_int64(s, 4))
			ptime_format_in(sqlite3_column_int64(s, 4), a->zone, due);
		jw_str(o->json, "condition_state", !*cond ? NULL : *lifted ? "lifted" : "open");
		jw_str(o->json, "condition_lifted_at", *lifted ? lifted : NULL);
		jw_str(o->json, "condition_due", *due ? due : NULL);
		jw_obj_end(o->json);
		if (*cond && *lifted)
			out_text(o, "      %s%ssubject to: %s (lifted at %s)\n", role,
			    *role ? ": " : "", cond, lifted);
		else if (*cond)
			out_text(o, "      %s%ssubject to: %s (open%s%s)\n", role, *role ? ": " : "",
			    cond, *due ? ", due by " : "", due);
		if (*resv) {
			/* its first line; the whole is in --json */
			size_t first = strcspn(resv, "\n");
			int more = resv[first] != '\0' && resv[first + 1] != '\0';
			out_text(o, "      %s%sreservation:\n        %.*s%s\n", role, *role ? ": " : "",
			    (int)first, resv, more ? " [...]" : "");
		}
	}
	if (store_rows_end(e->st, s, rc, "reservations") != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	jw_arr_end(o->json);
	return 0;
}

static void
opt_time(struct out *o, const struct ag *a, const char *key, int64_t t)
{
	char buf[PTIME_BUFLEN];

	if (t == 0) {
		jw_null(o->json, key);
		return;
	}
	ptime_format_in(t, a->zone, buf);
	jw_str(o->json, key, buf);
}

/* secs as a person says it: "10 days", "1 day 12 hours", "90 seconds". */
static void
duration_words(unsigned long long secs, char *out, size_t n)
{
	static const struct { unsigned long long s; const char *name; } u[] = {
		{ 86400, "day" }, { 3600, "hour" }, { 60, "minute" }, { 1, "second" } };
	size_t i, off = 0;
	unsigned long long q;

	out[0] = '\0';
	for (i = 0; i < 4 && secs > 0 && off < n; i++) {
		if ((q = secs / u[i].s) == 0)
			continue;
		secs %= u[i].s;
		off += (size_t)snprintf(out + off, n - off, "%s%llu %s%s", off ? " " : "", q,
		    u[i].name, q == 1 ? "" : "s");
	}
}

/* agreement show: the terms, in text. */
static void
show_terms(const struct ag *a, const char *hex, struct out *o)
{
	char when[PTIME_BUFLEN], dur[64];
	unsigned long long secs;
	int64_t t;

	out_text(o, "agreement %lld: %s\n  state: %s, revision %u, content SHA-256 %s\n",
	    (long long)a->id, a->title, lifecycle_state_name(a->state), a->revision, hex);
	if (*a->zone)
		out_text(o, "  zone: %s (times below in it)\n", a->zone);
	if ((t = ag_term_effective(a->effective)) != 0) {
		ptime_format_in(t, a->zone, when);
		out_text(o, "  effective: %s", when);
	} else {
		out_text(o, "  effective: %s", a->effective);
	}
	if (a->effective_at) {
		ptime_format_in(a->effective_at, a->zone, when);
		out_text(o, " (in effect from %s)", when);
	}
	if (a->released_at) {
		ptime_format_in(a->released_at, a->zone, when);
		out_text(o, "\n  released: %s", when);
	}
	if (a->state == AG_WITHDRAWN && *a->withdraw_reason)
		out_text(o, "\n  withdrawn by the mediator: %s", a->withdraw_reason);
	/* "for 864000s" as a person says it: "for 10 days" */
	dur[0] = '\0';
	if (sscanf(a->validity, "for %llus", &secs) == 1)
		duration_words(secs, dur, sizeof(dur));
	if (a->expires_at) {
		ptime_format_in(a->expires_at, a->zone, when);
		out_text(o, "\n  validity: %s%s; expires %s", *dur ? "for " : a->validity, dur,
		    when);
	} else if ((t = ag_term_until(a->validity)) != 0) {
		ptime_format_in(t, a->zone, when);
		out_text(o, "\n  validity: until %s", when);
	} else {
		out_text(o, "\n  validity: %s%s", *dur ? "for " : *a->validity ? a->validity :
		    "open-ended", dur);
	}
	out_text(o, "\n");
}

/* agreement show: the signing parties (when each signed) and observers,
 * with their first receipts.  0, or -1 refused in o. */
/* The signatures a party owes the current revision, as JSON: one per role
 * required of it (or one, in whatever role, when none is), each with the
 * time its valid copy was signed (null: not yet). */
static int
show_signatures(struct ag_ctx *e, const struct ag *a, int64_t party, struct out *o)
{
	static const char sql[] =
	    "SELECT r.role, (SELECT max(c.signed_at) FROM copy c WHERE c.agreement_id = ?1 AND "
	    "c.party_id = ?2 AND c.revision = ?3 AND c.status = 'valid' AND c.role = r.role) "
	    "FROM agreement_role r WHERE r.agreement_id = ?1 AND r.party_id = ?2 UNION ALL "
	    "SELECT (SELECT c.role FROM copy c WHERE c.agreement_id = ?1 AND c.party_id = ?2 AND "
	    "c.revision = ?3 AND c.status = 'valid' ORDER BY c.id LIMIT 1), (SELECT "
	    "max(c.signed_at) FROM copy c WHERE c.agreement_id = ?1 AND c.party_id = ?2 AND "
	    "c.revision = ?3 AND c.status = 'valid') WHERE NOT EXISTS (SELECT 1 FROM "
	    "agreement_role r WHERE r.agreement_id = ?1 AND r.party_id = ?2) ORDER BY 1";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc;

	if (s == NULL)
		return out_refuse(o, "store failure");
	sqlite3_bind_int64(s, 1, a->id);
	sqlite3_bind_int64(s, 2, party);
	sqlite3_bind_int64(s, 3, a->revision);
	jw_arr_begin(o->json, "signatures");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		jw_obj_begin(o->json, NULL);
		jw_str(o->json, "role", sqlite3_column_type(s, 0) == SQLITE_NULL ||
		    !*store_col_str(s, 0) ? NULL : store_col_str(s, 0));
		opt_time(o, a, "signed_at", sqlite3_column_type(s, 1) == SQLITE_NULL ? 0 :
		    sqlite3_column_int64(s, 1));
		jw_obj_end(o->json);
	}
	jw_arr_end(o->json);
	return store_rows_end(e->st, s, rc, "a party's signatures") == 0 ? 0 :
	    out_refuse(o, "store failure");
}

static int
show_members(struct ag_ctx *e, const struct ag *a, const struct ag_members *m,
    const struct ag_members *ob, struct out *o)
{
	char when[PTIME_BUFLEN];
	int64_t signed_at, first;
	size_t i;

	jw_arr_begin(o->json, "parties");
	for (i = 0; i < m->n; i++) {
		if (ag_valid_copy(e, a->id, m->id[i], a->revision, &signed_at) != 0)
			return out_refuse(o, "store failure: %s", store_errmsg(e->st));
		jw_obj_begin(o->json, NULL);
		jw_str(o->json, "party", m->code[i]);
		jw_bool(o->json, "signed", signed_at != 0);
		opt_time(o, a, "signed_at", signed_at);
		if (signed_at)
			ptime_format_in(signed_at, a->zone, when);
		out_text(o, "    %-14s %s\n", m->code[i], signed_at ? when : "not signed");
		if (show_reservations(e, a, m->id[i], o) != 0 ||
		    show_signatures(e, a, m->id[i], o) != 0 ||
		    receipts(e, a, m->id[i], o, &first) != 0)
			return -1;
		opt_time(o, a, "receipt", first);
		jw_obj_end(o->json);
	}
	jw_arr_end(o->json);
	jw_arr_begin(o->json, "observers");
	if (ob->n)
		out_text(o, "  observers:\n");
	for (i = 0; i < ob->n; i++) {
		jw_obj_begin(o->json, NULL);
		jw_str(o->json, "party", ob->code[i]);
		out_text(o, "    %s\n", ob->code[i]);
		if (receipts(e, a, ob->id[i], o, &first) != 0)
			return -1;
		opt_time(o, a, "receipt", first);
		jw_obj_end(o->json);
	}
	jw_arr_end(o->json);
	return 0;
}

/* agreement show: the non-identical copies (one left out of the list would
 * hide what a party sent).  0, or -1 refused in o. */
static int
show_noncopies(struct ag_ctx *e, const struct ag *a, struct out *o)
{
	static const char noncopies[] =
	    "SELECT p.code, c.revision, c.signed_at, c.reason, c.text IS NOT NULL FROM copy c "
	    "JOIN party p ON p.id = c.party_id WHERE c.agreement_id = ? "
	    "AND c.status = 'non-identical' ORDER BY c.id";
	char when[PTIME_BUFLEN];
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(e->st, noncopies)) == NULL)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	jw_arr_begin(o->json, "non_identical");
	sqlite3_bind_int64(s, 1, a->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ptime_format_in(store_col_time(s, 2), a->zone, when);
		jw_obj_begin(o->json, NULL);
		jw_str(o->json, "party", store_col_str(s, 0));
		jw_int(o->json, "revision", sqlite3_column_int64(s, 1));
		jw_str(o->json, "signed_at", when);
		jw_str(o->json, "reason", store_col_str(s, 3));
		jw_bool(o->json, "has_text", sqlite3_column_int(s, 4));
		jw_obj_end(o->json);
		out_text(o, "  NON-IDENTICAL copy from %s at %s: %s%s\n", store_col_str(s, 0), when,
		    store_col_str(s, 3), sqlite3_column_int(s, 4) ?
		    " (see: parleyctl agreement diff)" : "");
	}
	if (store_rows_end(e->st, s, rc, "non-identical copies") != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	jw_arr_end(o->json);
	return 0;
}

/* agreement show: the parties' declines, open or withdrawn by a later
 * copy.  0, or -1 refused in o. */
static int
show_declines(struct ag_ctx *e, const struct ag *a, struct out *o)
{
	static const char sql[] =
	    "SELECT p.code, d.revision, d.reason, d.created_at, d.withdrawn_at FROM decline d "
	    "JOIN party p ON p.id = d.party_id WHERE d.agreement_id = ? ORDER BY d.id";
	char when[PTIME_BUFLEN], ended[PTIME_BUFLEN];
	const char *state;
	sqlite3_stmt *s;
	int64_t w;
	int rc;

	if ((s = store_stmt(e->st, sql)) == NULL)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	jw_arr_begin(o->json, "declines");
	sqlite3_bind_int64(s, 1, a->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ptime_format_in(store_col_time(s, 3), a->zone, when);
		w = store_col_time(s, 4);
		state = w ? "withdrawn" : (uint32_t)sqlite3_column_int64(s, 1) == a->revision ?
		    "open" : "earlier-revision";
		jw_obj_begin(o->json, NULL);
		jw_str(o->json, "party", store_col_str(s, 0));
		jw_int(o->json, "revision", sqlite3_column_int64(s, 1));
		jw_str(o->json, "reason", store_col_str(s, 2));
		jw_str(o->json, "declined_at", when);
		jw_str(o->json, "state", state);
		if (w) {
			ptime_format_in(w, a->zone, ended);
			jw_str(o->json, "withdrawn_at", ended);
		} else {
			jw_null(o->json, "withdrawn_at");
		}
		jw_obj_end(o->json);
		out_text(o, "  DECLINED by %s (revision %lld) at %s: %s", store_col_str(s, 0),
		    (long long)sqlite3_column_int64(s, 1), when, store_col_str(s, 2));
		if (w)
			out_text(o, " [withdrawn: it signed at %s]", ended);
		else if (strcmp(state, "open") != 0)
			out_text(o, " [of an earlier revision]");
		out_text(o, "\n");
	}
	if (store_rows_end(e->st, s, rc, "declines") != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	jw_arr_end(o->json);
	return 0;
}

/* The languages of t's text and the parties whose sheets have a frame. */
static void
show_texts(const struct bundle_text *t, struct out *o)
{
	size_t i;

	jw_arr_begin(o->json, "languages");
	for (i = 0; i < t->v.n; i++) {
		jw_obj_begin(o->json, NULL);
		jw_str(o->json, "lang", t->v.lang[i]);
		jw_bool(o->json, "authentic", t->v.authentic[i]);
		jw_obj_end(o->json);
	}
	jw_arr_end(o->json);
	jw_arr_begin(o->json, "frames");
	for (i = 0; i < t->f.n; i++)
		jw_str(o->json, NULL, t->f.code[i]);
	jw_arr_end(o->json);
	if (t->v.n > 0) {
		out_text(o, "languages:");
		for (i = 0; i < t->v.n; i++)
			out_text(o, " %s%s", t->v.lang[i], t->v.authentic[i] ? " (authentic)" : "");
		out_text(o, "\n");
	}
	if (t->f.n > 0) {
		out_text(o, "frames (address and signature blocks) for:");
		for (i = 0; i < t->f.n; i++)
			out_text(o, " %s", t->f.code[i]);
		out_text(o, "\n");
	}
}

int
engine_agreement_show(struct ag_ctx *e, int64_t id, struct out *o)
{
	struct ag_members m, ob;
	struct bundle_text t;
	char hex[65];
	struct ag a;

	if (ag_for_mediator(e, id, &a, o) != 0)
		return -1;
	if (bundle_text_load(e, &a, &t) != 0)
		return out_refuse(o, "store failure");
	hex_encode(t.hash, 32, hex);
	if (ag_load_members(e, id, 0, &m) != 0 || ag_load_members(e, id, 1, &ob) != 0) {
		bundle_text_release(&t);
		return out_refuse(o, "store failure");
	}
	jw_int(o->json, "id", id);
	jw_str(o->json, "title", a.title);
	jw_str(o->json, "state", lifecycle_state_name(a.state));
	jw_int(o->json, "revision", a.revision);
	jw_str(o->json, "content_sha256", hex);
	jw_str(o->json, "effective", a.effective);
	opt_time(o, &a, "effective_at", a.effective_at);
	opt_time(o, &a, "expires_at", a.expires_at);
	opt_time(o, &a, "released_at", a.released_at);
	opt_time(o, &a, "circulated_at", a.circulated_at);
	jw_bool(o->json, "disclose_progress", a.disclose);
	jw_bool(o->json, "same_signer_ok", a.same_signer_ok);
	jw_bool(o->json, "no_reservations", a.no_reservations);
	jw_str(o->json, "zone", a.zone);
	jw_str(o->json, "withdraw_reason", a.state == AG_WITHDRAWN && *a.withdraw_reason ?
	    a.withdraw_reason : NULL);
	/* the header first: what it is, its terms, then its record */
	show_terms(&a, hex, o);
	timeline_show_record(e, &a, o);
	if (o->status != 0) {	/* it refused o: a store failure */
		bundle_text_release(&t);
		return -1;
	}
	show_texts(&t, o);
	bundle_text_release(&t);
	out_text(o, "  parties:\n");
	if (show_members(e, &a, &m, &ob, o) != 0 || show_declines(e, &a, o) != 0)
		return -1;
	return show_noncopies(e, &a, o);
}


/* Where the newest last rows of a list start: the id that sql (ids newest
 * first, ?1 the kind or NULL, ?2 how many to pass over, and for a list
 * filtered so, ?3 the agreement or 0, ?4 the party or NULL) gives; 0 for
 * all (last <= 0, or no more than last rows). */
static int
newest_from_filtered(struct ag_ctx *e, const char *sql, const char *kind, int64_t last,
    int64_t agreement, const char *party, int64_t *from)
{
	sqlite3_stmt *s;
	int rc;

	*from = 0;
	if (last <= 0)
		return 0;
	if ((s = store_stmt(e->st, sql)) == NULL)
		return -1;
	if (kind != NULL)
		sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, last - 1);
	if (sqlite3_bind_parameter_count(s) >= 4) {
		sqlite3_bind_int64(s, 3, agreement);
		if (party != NULL)
			sqlite3_bind_text(s, 4, party, -1, SQLITE_STATIC);
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*from = sqlite3_column_int64(s, 0);
	return store_rows_end(e->st, s, rc, "where a list starts");
}

static int
newest_from(struct ag_ctx *e, const char *sql, const char *kind, int64_t last, int64_t *from)
{
	return newest_from_filtered(e, sql, kind, last, 0, NULL, from);
}

int
engine_agreement_list(struct ag_ctx *e, int64_t last, struct out *o)
{
	static const char sql[] =
	    "SELECT id, state, revision, title, created_at, zone FROM agreement WHERE id >= ? "
	    "ORDER BY id";
	static const char newest[] =
	    "SELECT id FROM agreement WHERE ?1 IS NULL ORDER BY id DESC LIMIT 1 OFFSET ?2";
	sqlite3_stmt *s;
	char when[PTIME_BUFLEN];
	int64_t from;
	int rc = SQLITE_DONE;

	if (newest_from(e, newest, NULL, last, &from) != 0 || (s = store_stmt(e->st, sql)) == NULL)
		return out_refuse(o, "store failure");
	sqlite3_bind_int64(s, 1, from);
	jw_arr_begin(o->json, "agreements");
	out_text(o, "%-5s %-12s %-4s %s\n", "ID", "STATE", "REV", "TITLE");
	while (!out_full(o) && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		/* each agreement's time in its own zone */
		ptime_format_in(store_col_time(s, 4), store_col_str(s, 5), when);
		jw_obj_begin(o->json, NULL);
		jw_int(o->json, "id", sqlite3_column_int64(s, 0));
		jw_str(o->json, "state", store_col_str(s, 1));
		jw_int(o->json, "revision", sqlite3_column_int64(s, 2));
		jw_str(o->json, "title", store_col_str(s, 3));
		jw_str(o->json, "created_at", when);
		jw_obj_end(o->json);
		out_text(o, "%-5lld %-12s %-4lld %s\n", (long long)sqlite3_column_int64(s, 0),
		    store_col_str(s, 1), (long long)sqlite3_column_int64(s, 2), store_col_str(s, 3));
	}
	if (store_rows_end(e->st, s, rc, "the agreements") != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	jw_arr_end(o->json);
	return 0;
}

int
engine_diff(struct ag_ctx *e, int64_t id, const char *party, struct out *o)
{
	static const char sql[] =
	    "SELECT c.revision, c.text FROM copy c WHERE c.agreement_id = ? AND c.party_id = ? "
	    "AND c.status = 'non-identical' AND c.text IS NOT NULL ORDER BY c.id DESC LIMIT 1";
	char *copy = NULL, *rev = NULL, *diff, la[64], lb[96];
	uint8_t hash[32];
	struct party p;
	sqlite3_stmt *s;
	uint32_t revno = 0;
	struct ag a;
	int rc;

	if (ag_for_mediator(e, id, &a, o) != 0)
		return -1;
	if (registry_party_by_code(e->st, party, &p) != 0 || ag_membership(e, id, p.id) == 0)
		return out_refuse(o, "\"%s\" is not a party of agreement %lld", party, (long long)id);
	if ((s = store_stmt(e->st, sql)) == NULL)
		return out_refuse(o, "store failure");
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, p.id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		revno = (uint32_t)sqlite3_column_int64(s, 0);
		copy = strdup(store_col_str(s, 1));
	}
	if (store_rows_end(e->st, s, rc, "a non-identical copy") != 0) {
		free(copy);
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	}
	if (rc == SQLITE_ROW && copy == NULL)
		return out_refuse(o, "out of memory");
	if (copy == NULL)
		return out_refuse(o, "%s has sent no non-identical copy with a text for "
		    "agreement %lld", party, (long long)id);
	if (ag_load_revision(e, id, revno, &rev, NULL, hash, NULL) != 0) {
		free(copy);
		return out_refuse(o, "store failure");
	}
	snprintf(la, sizeof(la), "revision %u", revno);
	snprintf(lb, sizeof(lb), "copy from %s", party);
	diff = text_diff(rev, copy, la, lb);
	free(rev);
	free(copy);
	if (diff == NULL)
		return out_refuse(o, "out of memory");
	jw_int(o->json, "id", id);
	jw_str(o->json, "party", party);
	jw_int(o->json, "revision", revno);
	jw_str(o->json, "diff", diff);
	out_text(o, "%s", diff);
	free(diff);
	return 0;
}

/* Deep copy for the admin reply, which outlives the statement buffers. */
int
engine_export(struct ag_ctx *e, int64_t id, Parley__Bundle **out_bundle, struct out *o)
{
	struct bundle *b;
	struct ag a;
	uint8_t *buf;
	size_t len;

	if (ag_for_mediator(e, id, &a, o) != 0)
		return -1;
	if (a.released_at == 0)
		return out_refuse(o, "agreement %lld is not released; there is no bundle yet",
		    (long long)id);
	if ((b = bundle_load(e, &a)) == NULL)
		return out_refuse(o, "store failure");
	len = parley__bundle__get_packed_size(bundle_msg(b));
	if ((buf = malloc(len)) == NULL) {
		bundle_free(b);
		return out_refuse(o, "out of memory");
	}
	parley__bundle__pack(bundle_msg(b), buf);
	bundle_free(b);
	*out_bundle = parley__bundle__unpack(NULL, len, buf);
	free(buf);
	if (*out_bundle == NULL)
		return out_refuse(o, "out of memory");
	jw_int(o->json, "id", id);
	out_text(o, "bundle of agreement %lld\n", (long long)id);
	return 0;
}

void
engine_bundle_free(Parley__Bundle *b)
{
	if (b != NULL)
		parley__bundle__free_unpacked(b, NULL);
}


static int
set_amend_state(struct ag_ctx *e, int64_t id, const char *state, const char *reason)
{
	/* forwarded_at: from then on the other parties may read it */
	static const char sql[] =
	    "UPDATE amendment SET state = ?1, reason = ?2, decided_at = ?3, forwarded_at = "
	    "CASE ?1 WHEN 'forwarded' THEN ?3 ELSE forwarded_at END WHERE id = ?4";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC);
	if (reason != NULL)
		sqlite3_bind_text(s, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, clock_now(e->clk));
	sqlite3_bind_int64(s, 4, id);
	return store_step_done(e->st, s);
}

/* An open amendment against the current revision of a circulating agreement. */
static int
open_amend(struct ag_ctx *e, int64_t id, struct amend *am, struct ag *a, struct out *o)
{
	enum ag_state next;
	const char *why;
	int rc = load_amend(e, id, am);

	if (rc < 0)
		return out_refuse(o, "store failure");
	if (rc == 1)
		return out_refuse(o, "no amendment %lld", (long long)id);
	if (ag_for_mediator(e, am->agreement, a, o) != 0)
		return -1;
	if (strcmp(am->state, "proposed") != 0 && strcmp(am->state, "forwarded") != 0)
		return out_refuse(o, "amendment %lld is already %s", (long long)id, am->state);
	if (lifecycle_next(a->state, EV_ADOPT, &next, &why) != 0)
		return out_refuse(o, "amendment %lld: %s", (long long)id, why);
	if (am->revision != a->revision)
		return out_refuse(o, "amendment %lld amends revision %u, superseded by %u",
		    (long long)id, am->revision, a->revision);
	return 0;
}

int
engine_amendment_forward(struct ag_ctx *e, int64_t id, struct out *o)
{
	static const char sql[] =
	    "SELECT a.text, a.note, p.code FROM amendment a JOIN party p "
	    "ON p.id = a.proposer_id WHERE a.id = ?";
	Parley__Payload p = PARLEY__PAYLOAD__INIT;
	Parley__Amendment am_msg = PARLEY__AMENDMENT__INIT;
	char *text = NULL, *note = NULL, proposer[PARTY_CODE_MAX + 1] = "";
	char summary[160];
	struct ag_members m;
	struct amend am;
	sqlite3_stmt *s;
	struct ag a;
	int64_t to[64];
	size_t i, n = 0;
	int rc = 0, step;

	if (open_amend(e, id, &am, &a, o) != 0)
		return -1;
	if (strcmp(am.state, "forwarded") == 0)
		return out_refuse(o, "amendment %lld was already forwarded", (long long)id);
	if ((s = store_stmt(e->st, sql)) == NULL)
		return out_refuse(o, "store failure");
	sqlite3_bind_int64(s, 1, id);
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		text = strdup(store_col_str(s, 0));
		note = strdup(store_col_str(s, 1));
		snprintf(proposer, sizeof(proposer), "%s", store_col_str(s, 2));
	}
	if (store_rows_end(e->st, s, step, "an amendment") != 0 || text == NULL || note == NULL || ag_load_members(e, a.id, 0, &m) != 0 ||
	    set_amend_state(e, id, "forwarded", NULL) != 0) {
		free(text);
		free(note);
		return out_refuse(o, "store failure");
	}
	am_msg.id = (uint64_t)id;
	am_msg.agreement = (uint64_t)a.id;
	am_msg.revision = am.revision;
	am_msg.proposer = proposer;
	am_msg.text = text;
	am_msg.note = note;
	am_msg.state = "forwarded";
	p.body_case = PARLEY__PAYLOAD__BODY_AMENDMENT;
	p.amendment = &am_msg;
	snprintf(summary, sizeof(summary), "amendment %lld by %s to agreement %lld",
	    (long long)id, proposer, (long long)a.id);
	for (i = 0; i < m.n; i++)
		if (m.id[i] != am.proposer)
			to[n++] = m.id[i];
	rc = ag_enqueue(e, to, n, "amendment", a.id, summary, &p);
	free(text);
	free(note);
	if (rc != 0)
		return out_refuse(o, "store failure");
	if (ag_journal(e, "amendment-forwarded", a.id, NULL, NULL, 0, "amendment %lld",
	    (long long)id) != 0)
		return out_refuse(o, "store failure: journal");
	jw_int(o->json, "id", id);
	jw_str(o->json, "state", "forwarded");
	out_text(o, "amendment %lld forwarded to %zu part%s\n", (long long)id, n,
	    n == 1 ? "y" : "ies");
	return 0;
}

/* The text an amendment is adopted with: the mediator's edit, or the
 * proposed text.  Malloc'd, or NULL refused in o. */
static char *
adopt_text(struct ag_ctx *e, int64_t id, const char *edited, size_t len, struct out *o)
{
	static const char get[] = "SELECT text FROM amendment WHERE id = ?";
	char why[128], *norm = NULL;
	sqlite3_stmt *s;
	int oom, rc;

	if (edited != NULL) {
		if ((norm = texts_check(edited, len, why, sizeof(why), &oom)) == NULL) {
			if (oom)
				out_refuse(o, "%s", why);
			else
				out_usage(o, "--text: %s", why);
		}
		return norm;
	}
	if ((s = store_stmt(e->st, get)) == NULL) {
		out_refuse(o, "store failure");
		return NULL;
	}
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		norm = strdup(store_col_str(s, 0));
	if (store_rows_end(e->st, s, rc, "an amendment's text") != 0 || norm == NULL) {
		free(norm);
		out_refuse(o, "store failure");
		return NULL;
	}
	return norm;
}

/* Amendment id's text norm becomes the agreement's next revision (a is
 * updated to it, hash its content hash): the calendar carries over, every
 * valid signature is superseded (their parties in had), the other open
 * amendments too, and the new revision circulates.  0, -1 store failure,
 * -2 with why: too long to circulate. */
static int
adopt_revision(struct ag_ctx *e, int64_t id, const char *norm, struct ag *a,
    uint8_t hash[32], struct ag_members *had, char *why, size_t whylen)
{
	static const char others[] =
	    "UPDATE amendment SET state = 'superseded', decided_at = ? WHERE agreement_id = ? "
	    "AND id != ? AND state IN ('proposed', 'forwarded')";
	char *prevtext = NULL, *calendar = NULL;
	sqlite3_stmt *s;
	int rc = -1;

	/* The calendar signed with the text carries over to the new revision. */
	if (ag_load_revision(e, a->id, a->revision, &prevtext, &calendar, hash, NULL) != 0)
		goto done;
	a->revision++;
	/* Who must sign again: every party holding a valid earlier signature
	 * (one left out would never be told to sign again). */
	if (ag_revision_add(e, a, a->revision, norm, NULL, calendar, id, hash) != 0 ||
	    ag_signed_parties(e, a->id, had) != 0 ||
	    ag_copies_end(e, a->id, 0, 0, "superseded", clock_now(e->clk)) < 0 ||
	    ag_set_revision(e, a->id, a->revision) != 0 ||
	    set_amend_state(e, id, "adopted", NULL) != 0 ||
	    (s = store_stmt(e->st, others)) == NULL)
		goto done;
	sqlite3_bind_int64(s, 1, clock_now(e->clk));
	sqlite3_bind_int64(s, 2, a->id);
	sqlite3_bind_int64(s, 3, id);
	if (store_step_done(e->st, s) != 0)
		goto done;
	rc = circulate_text(e, a, why, whylen);
done:
	free(prevtext);
	free(calendar);
	return rc;
}

/* Every signing party is told, each of its own signature: were only those
 * who had signed told, the delivery ids (one sequence for all) of a
 * party's circulation and update would count the others who had
 * (invariant 2). */
static int
adopt_tell(struct ag_ctx *e, int64_t id, const struct ag *a, const struct ag_members *had)
{
	struct ag_members mem;
	char msg[200];
	size_t i, k;

	if (ag_load_members(e, a->id, 0, &mem) != 0)
		return -1;
	for (i = 0; i < mem.n; i++) {
		for (k = 0; k < had->n && had->id[k] != mem.id[i]; k++)
			;
		if (k < had->n)
			snprintf(msg, sizeof(msg), "amendment %lld was adopted as revision %u; your "
			    "signature on revision %u is superseded: sign revision %u", (long long)id,
			    a->revision, a->revision - 1, a->revision);
		else
			snprintf(msg, sizeof(msg), "amendment %lld was adopted as revision %u: sign "
			    "revision %u", (long long)id, a->revision, a->revision);
		if (ag_send_update(e, mem.id[i], a->id, (uint64_t)id, k < had->n ? "sign-again" :
		    "adopted", msg) != 0)
			return -1;
	}
	return 0;
}

int
engine_amendment_adopt(struct ag_ctx *e, int64_t id, const char *edited, size_t len,
    struct out *o)
{
	struct ag_members had;
	char *norm, hex[65], toolong[256];
	uint8_t hash[32];
	struct amend am;
	struct ag a;
	int rc;

	if (open_amend(e, id, &am, &a, o) != 0)
		return -1;
	if ((norm = adopt_text(e, id, edited, len, o)) == NULL)
		return -1;
	if ((rc = texts_fit(e, a.id, strlen(norm), toolong, sizeof(toolong))) != 0) {
		free(norm);
		return rc < 0 ? out_refuse(o, "store failure") :
		    out_refuse(o, "cannot adopt amendment %lld: %s", (long long)id, toolong);
	}
	rc = adopt_revision(e, id, norm, &a, hash, &had, toolong, sizeof(toolong));
	free(norm);
	if (rc == -2)
		return out_refuse(o, "cannot adopt amendment %lld as revision %u: %s",
		    (long long)id, a.revision, toolong);
	if (rc != 0 || adopt_tell(e, id, &a, &had) != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	if (ag_journal(e, "amendment-adopted", a.id, NULL, (const uint8_t (*)[32])hash, 1,
	    "amendment %lld adopted as revision %u", (long long)id, a.revision) != 0)
		return out_refuse(o, "store failure: journal");
	hex_encode(hash, 32, hex);
	jw_int(o->json, "id", a.id);
	jw_int(o->json, "amendment", id);
	jw_int(o->json, "revision", a.revision);
	jw_str(o->json, "content_sha256", hex);
	jw_int(o->json, "superseded_signatures", (int64_t)had.n);
	out_text(o, "amendment %lld adopted: agreement %lld revision %u circulated; "
	    "%zu earlier signature%s superseded\n", (long long)id, (long long)a.id, a.revision,
	    had.n, had.n == 1 ? "" : "s");
	fault_point("amendment-adopted");
	log_info("agreement %lld: amendment %lld adopted as revision %u", (long long)a.id,
	    (long long)id, a.revision);
	return 0;
}

int
engine_amendment_reject(struct ag_ctx *e, int64_t id, const char *reason, struct out *o)
{
	char msg[NOTE_MAX + 100], who[PARTY_CODE_MAX + 1];
	struct amend am;
	struct ag a;

	if (open_amend(e, id, &am, &a, o) != 0)
		return -1;
	if (reason == NULL || *reason == '\0')
		reason = "no reason given";
	if (strlen(reason) > NOTE_MAX)
		return out_usage(o, "the reason is longer than %d bytes", NOTE_MAX);
	snprintf(msg, sizeof(msg), "amendment %lld was rejected by the mediator: %s",
	    (long long)id, reason);
	if (set_amend_state(e, id, "rejected", reason) != 0 ||
	    ag_send_update(e, am.proposer, a.id, (uint64_t)id, "amendment-rejected", msg) != 0)
		return out_refuse(o, "store failure");
	if (registry_party_code(e->st, am.proposer, who) != 0 ||
	    ag_journal(e, "amendment-rejected", a.id, who, NULL, 0, "amendment %lld: %s",
	    (long long)id, reason) != 0)
		return out_refuse(o, "store failure: journal");
	jw_int(o->json, "id", id);
	jw_str(o->json, "state", "rejected");
	out_text(o, "amendment %lld rejected; the proposer is told why\n", (long long)id);
	return 0;
}

int
engine_notice(struct ag_ctx *e, const char *to, const char *text, struct out *o)
{
	static const char all[] = "SELECT id FROM party ORDER BY id";
	Parley__Payload p = PARLEY__PAYLOAD__INIT;
	Parley__Notice n = PARLEY__NOTICE__INIT;
	struct party target;
	char summary[100];
	int64_t *owned = NULL, *mids = NULL;
	const int64_t *ids = &target.id;
	sqlite3_stmt *s;
	char code[PARTY_CODE_MAX + 1];
	uint8_t h[32];
	size_t cnt = 0, i, len;
	char why[200], *norm;
	int rc = -1, oom;

	if ((norm = texts_check(text, strlen(text), why, sizeof(why), &oom)) == NULL)
		return oom ? out_refuse(o, "%s", why) : out_usage(o, "--text: %s", why);
	text = norm;
	len = strlen(text);
	n.text = (char *)text;
	p.body_case = PARLEY__PAYLOAD__BODY_NOTICE;
	p.notice = &n;
	snprintf(summary, sizeof(summary), "%.60s%s", text, len > 60 ? "..." : "");
	for (i = 0; summary[i]; i++)
		if (summary[i] == '\n')
			summary[i] = ' ';
	if (strcmp(to, "all") == 0) {
		/* Every party: not a notice to some of "all". */
		if ((s = store_stmt(e->st, all)) == NULL ||
		    store_ids(e->st, s, "the parties", &owned, &cnt) != 0) {
			rc = out_refuse(o, "store failure reading the parties");
			goto done;
		}
		if (cnt == 0) {
			rc = out_refuse(o, "no party is registered");
			goto done;
		}
		ids = owned;
	} else {
		rc = registry_party_by_code(e->st, to, &target);
		if (rc != 0) {
			rc = out_refuse(o, rc < 0 ? "store failure" : "unknown party \"%s\"", to);
			goto done;
		}
		cnt = 1;
	}
	if ((mids = malloc(cnt * sizeof(*mids))) == NULL) {
		rc = out_refuse(o, "out of memory");
		goto done;
	}
	if (delivery_enqueue(e->dlv, ids, cnt, "notice", 0, summary, &p, mids) != 0) {
		rc = out_refuse(o, "store failure");
		goto done;
	}
	crypto_sha256(text, len, h);
	jw_arr_begin(o->json, "messages");
	for (i = 0; i < cnt; i++) {
		if (registry_party_code(e->st, ids[i], code) != 0 ||
		    ag_journal(e, "notice", 0, code, (const uint8_t (*)[32])h, 1,
		    "message %lld", (long long)mids[i]) != 0) {
			rc = out_refuse(o, "store failure: journal");
			goto done;
		}
		jw_int(o->json, NULL, mids[i]);
		if (i == 0) {
			jw_arr_end(o->json);
			jw_int(o->json, "id", mids[0]);
			jw_arr_begin(o->json, "more");
		}
	}
	jw_arr_end(o->json);
	out_text(o, "notice queued for %zu part%s\n", cnt, cnt == 1 ? "y" : "ies");
	rc = 0;
done:
	free(owned);
	free(mids);
	free(norm);
	return rc;
}


int
engine_message_list(struct ag_ctx *e, const char *kind, int64_t last, int64_t agreement,
    const char *party, struct out *o)
{
	static const char sql[] =
	    "SELECT m.id, m.kind, p.code, m.summary, m.created_at, d.id, d.endpoint_id,"
	    " d.acked_at, ifnull((SELECT g.zone FROM agreement g WHERE g.id = m.agreement_id), ''),"
	    /* a circulation the party signed after has reached it, acked or not */
	    " m.kind = 'circulation' AND EXISTS (SELECT 1 FROM copy c WHERE c.agreement_id ="
	    " m.agreement_id AND c.party_id = m.party_id AND c.signed_at >= m.created_at)"
	    " FROM message m JOIN party p ON p.id = m.party_id "
	    "LEFT JOIN delivery d ON d.message_id = m.id "
	    "WHERE (?1 IS NULL OR m.kind = ?1) AND m.id >= ?2 AND (?3 = 0 OR m.agreement_id = ?3)"
	    " AND (?4 IS NULL OR p.code = ?4) ORDER BY m.id, d.endpoint_id";
	/* the newest last messages of what is filtered */
	static const char newest[] =
	    "SELECT m.id FROM message m JOIN party p ON p.id = m.party_id WHERE (?1 IS NULL OR "
	    "m.kind = ?1) AND (?3 = 0 OR m.agreement_id = ?3) AND (?4 IS NULL OR p.code = ?4) "
	    "ORDER BY m.id DESC LIMIT 1 OFFSET ?2";
	sqlite3_stmt *s;
	char when[PTIME_BUFLEN];
	int64_t cur = -1, from;
	int rc = SQLITE_DONE;

	if (newest_from_filtered(e, newest, kind, last, agreement, party, &from) != 0 ||
	    (s = store_stmt(e->st, sql)) == NULL)
		return out_refuse(o, "store failure");
	if (kind != NULL)
		sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, from);
	sqlite3_bind_int64(s, 3, agreement);
	if (party != NULL)
		sqlite3_bind_text(s, 4, party, -1, SQLITE_STATIC);
	jw_arr_begin(o->json, "messages");
	while (!out_full(o) && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t mid = sqlite3_column_int64(s, 0);
		if (mid != cur) {
			if (cur != -1) {
				jw_arr_end(o->json);
				jw_obj_end(o->json);
			}
			cur = mid;
			/* an agreement's message in its zone */
			ptime_format_in(store_col_time(s, 4), store_col_str(s, 8), when);
			jw_obj_begin(o->json, NULL);
			jw_int(o->json, "id", mid);
			jw_str(o->json, "kind", store_col_str(s, 1));
			jw_str(o->json, "party", store_col_str(s, 2));
			jw_str(o->json, "summary", store_col_str(s, 3));
			jw_str(o->json, "created_at", when);
			jw_arr_begin(o->json, "deliveries");
			out_text(o, "message %lld (%s) to %s at %s: %s\n", (long long)mid,
			    store_col_str(s, 1), store_col_str(s, 2), when, store_col_str(s, 3));
		}
		if (sqlite3_column_type(s, 5) == SQLITE_NULL) {
			out_text(o, "    (no endpoint registered)\n");
			continue;
		}
		jw_obj_begin(o->json, NULL);
		jw_int(o->json, "delivery", sqlite3_column_int64(s, 5));
		jw_int(o->json, "endpoint", sqlite3_column_int64(s, 6));
		if (sqlite3_column_type(s, 7) != SQLITE_NULL) {
			ptime_format_in(store_col_time(s, 7), store_col_str(s, 8), when);
			jw_str(o->json, "acked_at", when);
			out_text(o, "    endpoint %lld: acked %s\n",
			    (long long)sqlite3_column_int64(s, 6), when);
		} else {
			jw_null(o->json, "acked_at");
			out_text(o, "    endpoint %lld: %s\n", (long long)sqlite3_column_int64(s, 6),
			    sqlite3_column_int(s, 9) ? "not acked, but the party has signed it "
			    "since (received)" : "pending");
		}
		jw_bool(o->json, "received_by_signing", sqlite3_column_int(s, 9));
		jw_obj_end(o->json);
	}
	if (store_rows_end(e->st, s, rc, "messages") != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	if (cur != -1) {
		jw_arr_end(o->json);
		jw_obj_end(o->json);
	}
	jw_arr_end(o->json);
	return 0;
}

/* One screen: agreements by state (those there are, by name) and the
 * deliveries not acked yet. */
int
engine_counts(struct ag_ctx *e, struct out *o)
{
	int64_t n[AG_NSTATES] = { 0 }, other = 0, pending, oldest;
	size_t order[AG_NSTATES], i, k, x;
	char when[PTIME_BUFLEN];

	if (ag_count_states(e, n, &other) != 0 ||
	    delivery_pending(e->dlv, &pending, &oldest) != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	for (i = 0; i < AG_NSTATES; i++) {
		for (k = i; k > 0 && strcmp(lifecycle_state_name((enum ag_state)order[k - 1]),
		    lifecycle_state_name((enum ag_state)i)) > 0; k--)
			order[k] = order[k - 1];
		order[k] = i;
	}
	out_text(o, "agreements:");
	jw_obj_begin(o->json, "agreements");
	for (i = 0; i < AG_NSTATES; i++) {
		x = order[i];
		if (n[x] == 0)
			continue;
		jw_int(o->json, lifecycle_state_name((enum ag_state)x), n[x]);
		out_text(o, " %s %lld", lifecycle_state_name((enum ag_state)x), (long long)n[x]);
	}
	jw_obj_end(o->json);
	out_text(o, "\n");
	jw_int(o->json, "deliveries_pending", pending);
	if (oldest >= 0) {
		ptime_format(oldest, when);
		jw_str(o->json, "oldest_pending", when);
		out_text(o, "deliveries pending: %lld (oldest from %s)\n", (long long)pending,
		    when);
	} else {
		jw_null(o->json, "oldest_pending");
		out_text(o, "deliveries pending: 0\n");
	}
	return 0;
}

int64_t
engine_amendments_open(struct ag_ctx *e)
{
	static const char sql[] =
	    "SELECT count(*) FROM amendment am JOIN agreement a ON a.id = am.agreement_id"
	    " WHERE am.state IN ('proposed', 'forwarded') AND a.state = 'circulating'"
	    " AND am.revision = a.revision";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int64_t n = -1;
	int rc;

	if (s == NULL)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	if (store_rows_end(e->st, s, rc, "the open amendments") != 0)
		return -1;
	return n;
}
