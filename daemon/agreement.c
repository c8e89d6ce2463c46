#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agreement.h"
#include "crypto.h"
#include "errors.h"
#include "log.h"
#include "sheet.h"
#include "sign.h"
#include "text.h"

struct ag_ctx *
ag_new(struct store *st, struct clock *clk, struct delivery *dlv, EVP_PKEY *mkey,
    struct metrics *m)
{
	struct ag_ctx *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->st = st;
	e->clk = clk;
	e->dlv = dlv;
	e->mkey = mkey;
	e->m = m;
	e->objection_window = 24 * 3600;
	e->letter_bytes_per_day = 64 * 1024 * 1024;
	e->keys = crypto_keycache_new();	/* NULL: each check builds its key */
	return e;
}

void
ag_set_leads(struct ag_ctx *e, const int64_t *sign, size_t nsign, const int64_t *expiry,
    size_t nexpiry)
{
	size_t i;

	e->sign_leads.n = nsign < 8 ? nsign : 8;
	for (i = 0; i < e->sign_leads.n; i++)
		e->sign_leads.s[i] = sign[i];
	e->expiry_leads.n = nexpiry < 8 ? nexpiry : 8;
	for (i = 0; i < e->expiry_leads.n; i++)
		e->expiry_leads.s[i] = expiry[i];
}

void
ag_set_incidents(struct ag_ctx *e, int64_t response_window, int64_t embargo)
{
	e->response_window = response_window;
	e->disclosure_embargo = embargo;
}

void
ag_set_objection_window(struct ag_ctx *e, int64_t window)
{
	e->objection_window = window;
}

void
ag_set_letter_quota(struct ag_ctx *e, int64_t bytes)
{
	e->letter_bytes_per_day = bytes;
}

void
ag_set_duty_parties(struct ag_ctx *e, const char *parties)
{
	snprintf(e->duty_parties, sizeof(e->duty_parties), "%s", parties ? parties : "");
}

void
ag_set_journal(struct ag_ctx *e, struct journal *j)
{
	e->j = j;
}

/* vsnprintf into buf; a text cut short at size ends at a whole UTF-8
 * character, never inside one (the record is UTF-8, and appended to for
 * good).  The journal's size bounds (engine.c) count on size. */
static void
format_utf8(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);
	size_t len, p;

	if (n < 0) {
		buf[0] = '\0';
		return;
	}
	if ((size_t)n < size)
		return;
	len = strlen(buf);
	/* back to the first byte of the last character */
	for (p = len; p > 0 && ((unsigned char)buf[p - 1] & 0xc0) == 0x80; p--)
		;
	if (p > 0) {
		unsigned char c = (unsigned char)buf[p - 1];
		size_t need = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (len - (p - 1) < need)
			buf[p - 1] = '\0';
	}
}

int
ag_journal(struct ag_ctx *e, const char *kind, int64_t agreement, const char *party,
    const uint8_t (*hashes)[32], size_t nh, const char *fmt, ...)
{
	char note[600];
	va_list ap;

	if (e->j == NULL)
		return 0;
	note[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		format_utf8(note, sizeof(note), fmt, ap);
		va_end(ap);
	}
	return journal_append(e->j, kind, agreement, party, hashes, nh, note);
}

void
ag_set_duty(struct ag_ctx *e, struct duty *d)
{
	e->duty = d;
}

void
ag_free(struct ag_ctx *e)
{
	if (e == NULL)
		return;
	crypto_keycache_free(e->keys);
	free(e);
}

int
ag_text_check(const char *s, size_t len, size_t max, int required, const char *what,
    char *why, size_t whylen)
{
	size_t i, blank = 0;

	if (s == NULL || len == 0) {
		if (!required)
			return 0;
		snprintf(why, whylen, "the %s is empty", what);
		return -1;
	}
	if (len > max) {
		snprintf(why, whylen, "the %s is longer than %zu bytes", what, max);
		return -1;
	}
	if (memchr(s, '\0', len) != NULL || !text_utf8_valid(s, len)) {
		snprintf(why, whylen, "the %s must be UTF-8 text with no NUL byte", what);
		return -1;
	}
	/* Another party's terminal shows it: no escape or control bytes. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
			snprintf(why, whylen, "a control character in the %s", what);
			return -1;
		}
		blank += c == ' ' || c == '\t' || c == '\n';
	}
	if (required && blank == len) {
		snprintf(why, whylen, "the %s is blank", what);
		return -1;
	}
	return 0;
}

int
ag_reason_check(const char *s, size_t len, char *why, size_t whylen)
{
	return ag_text_check(s, len, REASON_MAX, 1, "reason", why, whylen);
}

int64_t
ag_term_until(const char *validity)
{
	int64_t t;

	if (strncmp(validity, "until ", 6) == 0 && ptime_parse(validity + 6, &t) == 0)
		return t;
	return 0;
}

int64_t
ag_term_effective(const char *effective)
{
	int64_t t;

	if (strcmp(effective, "on-release") != 0 && ptime_parse(effective, &t) == 0)
		return t;
	return 0;
}

/* 0 found, 1 unknown, -1 store failure. */
int
ag_load(struct ag_ctx *e, int64_t id, struct ag *a)
{
	static const char sql[] =
	    "SELECT id, title, state, revision, effective, validity, disclose_progress,"
	    " created_at, circulated_at, released_at, effective_at, expires_at, ended_at,"
	    " sign_by, extends_id, reaffirms_id, dayx_mode, dayx_at, label, zone,"
	    " coalesce(withdraw_reason, ''), same_signer_ok, no_reservations FROM agreement"
	    " WHERE id = ?";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		a->id = sqlite3_column_int64(s, 0);
		snprintf(a->title, sizeof(a->title), "%s", store_col_str(s, 1));
		if (lifecycle_state_parse(store_col_str(s, 2), &a->state) != 0)
			rc = SQLITE_ERROR;
		a->revision = (uint32_t)sqlite3_column_int64(s, 3);
		snprintf(a->effective, sizeof(a->effective), "%s", store_col_str(s, 4));
		snprintf(a->validity, sizeof(a->validity), "%s", store_col_str(s, 5));
		a->disclose = sqlite3_column_int(s, 6);
		a->created_at = store_col_time(s, 7);
		a->circulated_at = store_col_time(s, 8);
		a->released_at = store_col_time(s, 9);
		a->effective_at = store_col_time(s, 10);
		a->expires_at = store_col_time(s, 11);
		a->ended_at = store_col_time(s, 12);
		a->sign_by = store_col_time(s, 13);
		a->extends_id = store_col_time(s, 14);
		a->reaffirms_id = store_col_time(s, 15);
		snprintf(a->dayx_mode, sizeof(a->dayx_mode), "%s", store_col_str(s, 16));
		a->dayx_at = store_col_time(s, 17);
		snprintf(a->label, sizeof(a->label), "%s", store_col_str(s, 18));
		snprintf(a->zone, sizeof(a->zone), "%s", store_col_str(s, 19));
		snprintf(a->withdraw_reason, sizeof(a->withdraw_reason), "%s",
		    store_col_str(s, 20));
		a->same_signer_ok = sqlite3_column_int(s, 21);
		a->no_reservations = sqlite3_column_int(s, 22);
	}
	if (store_rows_end(e->st, s, rc, "an agreement") != 0)
		return -1;
	return rc == SQLITE_ROW ? 0 : 1;
}

int
ag_set_state(struct ag_ctx *e, int64_t id, enum ag_state st, int64_t ended_at)
{
	static const char sql[] =
	    "UPDATE agreement SET state = ?, ended_at = coalesce(?, ended_at) WHERE id = ?";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, lifecycle_state_name(st), -1, SQLITE_STATIC);
	if (ended_at)
		sqlite3_bind_int64(s, 2, ended_at);
	sqlite3_bind_int64(s, 3, id);
	return store_step_done(e->st, s);
}

/* The chronology row and its journal entry (party NULL: the agreement's,
 * which every member reads). */
static int
event_v(struct ag_ctx *e, int64_t agreement, const char *party, const uint8_t *hash,
    const char *kind, const char *fmt, va_list ap)
{
	static const char sql[] =
	    "INSERT INTO ag_event(agreement_id, kind, text, created_at) VALUES(?, ?, ?, ?)";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	char text[600];
	int rc;

	format_utf8(text, sizeof(text), fmt, ap);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, clock_now(e->clk));
	rc = store_step_done(e->st, s);
	log_info("agreement %lld: %s: %s", (long long)agreement, kind, text);
	if (rc != 0)
		return -1;
	return ag_journal(e, kind, agreement, party, (const uint8_t (*)[32])hash,
	    hash != NULL ? 1 : 0, "%s", text);
}

int
ag_event(struct ag_ctx *e, int64_t agreement, const char *kind, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = event_v(e, agreement, NULL, NULL, kind, fmt, ap);
	va_end(ap);
	return rc;
}

int
ag_event_party(struct ag_ctx *e, int64_t agreement, const char *party, const uint8_t hash[32],
    const char *kind, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = event_v(e, agreement, party, hash, kind, fmt, ap);
	va_end(ap);
	return rc;
}

/* Is party a member of agreement: 0 no, 1 signing party, 2 observer. */
int
ag_membership(struct ag_ctx *e, int64_t agreement, int64_t party)
{
	static const char sql[] =
	    "SELECT observer FROM agreement_party WHERE agreement_id = ? AND party_id = ?";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc, member = 0;

	if (s == NULL)
		return 0;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int64(s, 2, party);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		member = sqlite3_column_int(s, 0) ? 2 : 1;
	/* A store failure (logged) reads as "not a member", which every
	 * caller refuses. */
	(void)store_rows_end(e->st, s, rc, "a membership");
	return member;
}

/* A revision's text, calendar and hash.  *text is malloc'd for the caller. */
int
ag_load_revision(struct ag_ctx *e, int64_t agreement, uint32_t rev, char **text, char **calendar,
    uint8_t hash[32], int *version)
{
	static const char sql[] =
	    "SELECT text, calendar, content_hash, content_version FROM revision "
	    "WHERE agreement_id = ? AND number = ?";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc = -1, step;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int64(s, 2, rev);
	if ((step = sqlite3_step(s)) == SQLITE_ROW && sqlite3_column_bytes(s, 2) == 32) {
		if (text != NULL)
			*text = strdup(store_col_str(s, 0));
		if (calendar != NULL)
			*calendar = strdup(store_col_str(s, 1));
		memcpy(hash, sqlite3_column_blob(s, 2), 32);
		if (version != NULL)
			*version = sqlite3_column_int(s, 3);
		rc = ((text != NULL && *text == NULL) || (calendar != NULL && *calendar == NULL)) ?
		    -1 : 0;
		if (rc != 0) {
			if (text != NULL) {
				free(*text);
				*text = NULL;
			}
			if (calendar != NULL) {
				free(*calendar);
				*calendar = NULL;
			}
		}
	}
	if (store_rows_end(e->st, s, step, "a revision") != 0)
		return -1;
	return rc;
}

static int
load_members(struct ag_ctx *e, int64_t agreement, int observers, int released,
    struct ag_members *m)
{
	static const char sql[] =
	    "SELECT p.id, p.code FROM agreement_party ap JOIN party p ON p.id = ap.party_id "
	    "WHERE ap.agreement_id = ? AND ap.observer = ? AND (? = 0 OR "
	    "ap.added_after_release = 0) ORDER BY ap.rowid";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc;

	m->n = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int(s, 2, observers);
	sqlite3_bind_int(s, 3, released);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && m->n < 64) {
		m->id[m->n] = sqlite3_column_int64(s, 0);
		snprintf(m->code[m->n], sizeof(m->code[0]), "%s", store_col_str(s, 1));
		m->n++;
	}
	return store_rows_end(e->st, s, rc, "an agreement's members");
}

int
ag_load_members(struct ag_ctx *e, int64_t agreement, int observers, struct ag_members *m)
{
	return load_members(e, agreement, observers, 0, m);
}

int
ag_load_members_at_release(struct ag_ctx *e, int64_t agreement, int observers,
    struct ag_members *m)
{
	return load_members(e, agreement, observers, 1, m);
}

int
ag_timer_add(struct ag_ctx *e, int64_t agreement, int64_t incident, const char *kind,
    int64_t due, int64_t ref, int number)
{
	static const char sql[] = "INSERT INTO timer(agreement_id, incident_id, kind, due_at, "
	    "ref, number) VALUES(?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	if (agreement > 0)
		sqlite3_bind_int64(s, 1, agreement);
	if (incident > 0)
		sqlite3_bind_int64(s, 2, incident);
	sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, due);
	sqlite3_bind_int64(s, 5, ref);
	if (number > 0)
		sqlite3_bind_int(s, 6, number);
	return store_step_done(e->st, s);
}

/* Load the agreement a party request names, checking ag_membership. */
int
ag_for_party(struct ag_ctx *e, const struct req *r, uint64_t id, struct ag *a, int *member)
{
	int rc = ag_load(e, (int64_t)id, a);

	if (rc < 0) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return -1;
	}
	*member = rc == 0 ? ag_membership(e, a->id, r->who->party.id) : 0;
	if (*member == 0 || a->state == AG_DRAFT) {
		/* Do not tell a non-member whether an agreement exists. */
		req_refuse(r, PARLEY_ENOTFOUND, "no agreement %llu for party %s",
		    (unsigned long long)id, r->who->party.code);
		return -1;
	}
	return 0;
}

int
ag_enqueue(struct ag_ctx *e, const int64_t *parties, size_t n, const char *kind,
    int64_t agreement, const char *summary, const Parley__Payload *p)
{
	return delivery_enqueue(e->dlv, parties, n, kind, agreement, summary, p, NULL);
}

int
ag_tell(struct ag_ctx *e, int64_t agreement, int observers, int64_t except, const char *event,
    const char *text)
{
	struct ag_members m;
	size_t i;
	int pass;

	for (pass = 0; pass <= (observers ? 1 : 0); pass++) {
		if (ag_load_members(e, agreement, pass, &m) != 0)
			return -1;
		for (i = 0; i < m.n; i++)
			if (m.id[i] != except &&
			    ag_send_update(e, m.id[i], agreement, 0, event, text) != 0)
				return -1;
	}
	return 0;
}

int
ag_send_update(struct ag_ctx *e, int64_t party, int64_t agreement, uint64_t amendment,
    const char *event, const char *text)
{
	return ag_send_update_id(e, party, agreement, amendment, event, text, NULL);
}

int
ag_send_update_id(struct ag_ctx *e, int64_t party, int64_t agreement, uint64_t amendment,
    const char *event, const char *text, int64_t *message)
{
	Parley__Payload p = PARLEY__PAYLOAD__INIT;
	Parley__Update u = PARLEY__UPDATE__INIT;
	char summary[160];

	u.agreement = (uint64_t)agreement;
	u.event = (char *)event;
	u.text = (char *)text;
	u.amendment = amendment;
	p.body_case = PARLEY__PAYLOAD__BODY_UPDATE;
	p.update = &u;
	snprintf(summary, sizeof(summary), "agreement %lld: %s", (long long)agreement, event);
	return delivery_enqueue(e->dlv, &party, 1, "update", agreement, summary, &p, message);
}

/* Has party a valid copy of revision rev: 0 with *t its signed_at (0: no
 * copy counts yet), -1 on a store failure. */
int
ag_valid_copy(struct ag_ctx *e, int64_t agreement, int64_t party, uint32_t rev, int64_t *t)
{
	static const char sql[] =
	    "SELECT CASE WHEN EXISTS (SELECT 1 FROM agreement_role r WHERE r.agreement_id = ?1"
	    "  AND r.party_id = ?2) "
	    "THEN (SELECT CASE WHEN count(*) = (SELECT count(*) FROM agreement_role r"
	    "  WHERE r.agreement_id = ?1 AND r.party_id = ?2) THEN max(t) ELSE NULL END"
	    "  FROM (SELECT min(c.signed_at) AS t FROM copy c JOIN agreement_role r"
	    "   ON r.agreement_id = c.agreement_id AND r.party_id = c.party_id AND r.role = c.role"
	    "   WHERE c.agreement_id = ?1 AND c.party_id = ?2 AND c.revision = ?3"
	    "   AND c.status = 'valid' GROUP BY c.role)) "
	    "ELSE (SELECT min(signed_at) FROM copy WHERE agreement_id = ?1 AND party_id = ?2"
	    "  AND revision = ?3 AND status = 'valid') END";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc;

	*t = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int64(s, 2, party);
	sqlite3_bind_int64(s, 3, rev);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*t = store_col_time(s, 0);
	return store_rows_end(e->st, s, rc, "a party's valid copy");
}

/* For callers that have no way to fail: a store failure (logged) reads as
 * "not signed", which never releases anything. */
int64_t
ag_valid_copy_time(struct ag_ctx *e, int64_t agreement, int64_t party, uint32_t rev)
{
	int64_t t;

	return ag_valid_copy(e, agreement, party, rev, &t) == 0 ? t : 0;
}

int
ag_for_mediator(struct ag_ctx *e, int64_t id, struct ag *a, struct out *o)
{
	int rc = ag_load(e, id, a);

	if (rc < 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	if (rc == 1)
		return out_refuse(o, "no agreement %lld (see: parleyctl agreement list)",
		    (long long)id);
	return 0;
}

int
ag_timer_next(struct ag_ctx *e, int64_t upto, struct ag_timer *t)
{
	static const char sql[] =
	    "SELECT id, coalesce(agreement_id, 0), coalesce(incident_id, 0), kind, due_at,"
	    " coalesce(ref, 0), coalesce(number, 0) "
	    "FROM timer WHERE fired_at IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT 1";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, upto);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		t->id = sqlite3_column_int64(s, 0);
		t->agreement = sqlite3_column_int64(s, 1);
		t->incident = sqlite3_column_int64(s, 2);
		snprintf(t->kind, sizeof(t->kind), "%s", store_col_str(s, 3));
		t->due = sqlite3_column_int64(s, 4);
		t->ref = sqlite3_column_int64(s, 5);
		t->number = sqlite3_column_int(s, 6);
	}
	if (store_rows_end(e->st, s, rc, "the next timer") != 0)
		return -1;
	return rc == SQLITE_ROW ? 0 : 1;
}

int
ag_timer_fired(struct ag_ctx *e, int64_t id, int64_t t)
{
	static const char sql[] = "UPDATE timer SET fired_at = ? WHERE id = ?";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, t);
	sqlite3_bind_int64(s, 2, id);
	return store_step_done(e->st, s);
}

int
ag_timer_earliest(struct ag_ctx *e, int64_t *due)
{
	static const char sql[] = "SELECT min(due_at) FROM timer WHERE fired_at IS NULL";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc = 1, step;

	if (s == NULL)
		return 1;
	if ((step = sqlite3_step(s)) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*due = sqlite3_column_int64(s, 0);
		rc = 0;
	}
	(void)store_rows_end(e->st, s, step, "the next timer");
	return rc;
}

int
ag_timer_cancel(struct ag_ctx *e, int64_t agreement, const char *const *kinds)
{
	static const char sql[] =
	    "DELETE FROM timer WHERE agreement_id = ? AND fired_at IS NULL AND kind = ?";
	sqlite3_stmt *s;

	for (; *kinds != NULL; kinds++) {
		if ((s = store_stmt(e->st, sql)) == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, agreement);
		sqlite3_bind_text(s, 2, *kinds, -1, SQLITE_STATIC);
		if (store_step_done(e->st, s) != 0)
			return -1;
	}
	return 0;
}

int
ag_timer_cancel_incident(struct ag_ctx *e, int64_t incident, const char *kind)
{
	static const char sql[] =
	    "DELETE FROM timer WHERE incident_id = ? AND fired_at IS NULL AND kind = ?";
	sqlite3_stmt *s;

	if ((s = store_stmt(e->st, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, incident);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	return store_step_done(e->st, s);
}

int
ag_insert(struct ag_ctx *e, const struct ag *a, int64_t *id)
{
	static const char sql[] =
	    "INSERT INTO agreement(title, state, revision, effective, validity,"
	    " disclose_progress, created_at, sign_by, extends_id, reaffirms_id, label, zone,"
	    " same_signer_ok, no_reservations) VALUES(?, 'draft', 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
	    " ?)";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, a->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, a->effective, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, a->validity, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, a->disclose ? 1 : 0);
	sqlite3_bind_int64(s, 5, a->created_at);
	if (a->sign_by)
		sqlite3_bind_int64(s, 6, a->sign_by);
	if (a->extends_id)
		sqlite3_bind_int64(s, 7, a->extends_id);
	if (a->reaffirms_id)
		sqlite3_bind_int64(s, 8, a->reaffirms_id);
	sqlite3_bind_text(s, 9, a->label, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, a->zone, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 11, a->same_signer_ok ? 1 : 0);
	sqlite3_bind_int(s, 12, a->no_reservations ? 1 : 0);
	return store_step_insert(e->st, s, id);
}

int
ag_add_member(struct ag_ctx *e, int64_t agreement, int64_t party, int observer)
{
	/* A member added after release (an observer given a copy later) is
	 * marked: the certificate signed at release does not name it. */
	static const char sql[] =
	    "INSERT INTO agreement_party(agreement_id, party_id, observer, added_after_release)"
	    " VALUES(?1, ?2, ?3, (SELECT released_at IS NOT NULL FROM agreement WHERE id = ?1))";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int64(s, 2, party);
	sqlite3_bind_int(s, 3, observer ? 1 : 0);
	return store_step_done(e->st, s);
}

int
ag_add_role(struct ag_ctx *e, int64_t agreement, int64_t party, const char *role)
{
	static const char sql[] =
	    "INSERT INTO agreement_role(agreement_id, party_id, role) VALUES(?, ?, ?)";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int64(s, 2, party);
	sqlite3_bind_text(s, 3, role, -1, SQLITE_STATIC);
	return store_step_done(e->st, s);
}

int
ag_load_versions(struct ag_ctx *e, int64_t agreement, uint32_t rev, struct ag_versions *v)
{
	static const char sql[] =
	    "SELECT lang, authentic, text FROM revision_text WHERE agreement_id = ? AND "
	    "number = ? ORDER BY lang";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc, oom = 0;

	memset(v, 0, sizeof(*v));
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int64(s, 2, rev);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && v->n < SIGN_MAX_VERSIONS) {
		snprintf(v->lang[v->n], sizeof(v->lang[0]), "%s", store_col_str(s, 0));
		v->authentic[v->n] = sqlite3_column_int(s, 1) != 0;
		if ((v->text[v->n] = strdup(store_col_str(s, 2))) == NULL)
			oom = 1;
		v->n++;
	}
	if (store_rows_end(e->st, s, rc, "a revision's versions") != 0 || oom) {
		ag_versions_free(v);
		return -1;
	}
	return 0;
}

void
ag_versions_free(struct ag_versions *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		free(v->text[i]);
		v->text[i] = NULL;
	}
	v->n = 0;
}

/* The languages and authentic terms of v, malloc'd: 0, or -1. */
static int
versions_terms(const struct ag_versions *v, char **languages, char **authentic)
{
	struct sheet_version sv[SIGN_MAX_VERSIONS];
	size_t i;

	for (i = 0; i < v->n; i++) {
		sv[i].lang = v->lang[i];
		sv[i].text = v->text[i];
		sv[i].authentic = v->authentic[i];
	}
	return sheet_terms(sv, v->n, languages, authentic);
}

int
ag_content_hash(struct ag_ctx *e, const struct ag *a, int version, const char *text,
    const struct ag_versions *v, const char *calendar, uint8_t out[32])
{
	struct sign_content c = {
		.version = version, .text = text, .effective = a->effective,
		.validity = a->validity, .calendar = calendar, .zone = a->zone,
		.extends = (uint64_t)a->extends_id, .reaffirms = (uint64_t)a->reaffirms_id,
	};
	struct ag_members *m;
	char (*roles)[AG_ROLE_MAX] = NULL, *sig = NULL, *langs = NULL, *auth = NULL;
	const char *pv[SIGN_MAX_SIGNATURES], *rv[SIGN_MAX_SIGNATURES];
	size_t nr = 0, i;
	int rc = -1;

	if (version == SIGN_CONTENT_V1)
		return sign_content_hash(&c, out);
	if (version == SIGN_CONTENT_V3) {
		if (v == NULL || versions_terms(v, &langs, &auth) != 0)
			return -1;
		c.languages = langs;
		c.authentic = auth;
		c.texts = (const char *const *)v->text;
		c.ntexts = v->n;
	}
	if ((m = malloc(sizeof(*m))) == NULL ||
	    (roles = calloc(SIGN_MAX_SIGNATURES, sizeof(*roles))) == NULL ||
	    ag_load_members(e, a->id, 0, m) != 0 ||
	    ag_load_roles(e, a->id, roles, SIGN_MAX_SIGNATURES, &nr) != 0)
		goto done;
	for (i = 0; i < m->n && i < SIGN_MAX_SIGNATURES; i++)
		pv[i] = m->code[i];
	for (i = 0; i < nr; i++)
		rv[i] = roles[i];
	if ((sig = sign_signatories(pv, m->n, rv, nr)) == NULL)
		goto done;
	c.signatories = sig;
	rc = sign_content_hash(&c, out);
done:
	free(langs);
	free(auth);
	free(sig);
	free(roles);
	free(m);
	return rc;
}

static int
versions_insert(struct ag_ctx *e, int64_t agreement, uint32_t number,
    const struct ag_versions *v)
{
	static const char sql[] =
	    "INSERT INTO revision_text(agreement_id, number, lang, authentic, text) "
	    "VALUES(?, ?, ?, ?, ?)";
	sqlite3_stmt *s;
	size_t i;

	for (i = 0; i < v->n; i++) {
		if ((s = store_stmt(e->st, sql)) == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, agreement);
		sqlite3_bind_int64(s, 2, number);
		sqlite3_bind_text(s, 3, v->lang[i], -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 4, v->authentic[i]);
		sqlite3_bind_text(s, 5, v->text[i], -1, SQLITE_STATIC);
		if (store_step_done(e->st, s) != 0)
			return -1;
	}
	return 0;
}

int
ag_revision_add(struct ag_ctx *e, const struct ag *a, uint32_t number, const char *text,
    const struct ag_versions *v, const char *calendar, int64_t amendment, uint8_t hash[32])
{
	static const char sql[] =
	    "INSERT INTO revision(agreement_id, number, text, calendar, content_hash,"
	    " content_version, amendment_id, created_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?)";
	int version = v != NULL && v->n > 0 ? SIGN_CONTENT_V3 : SIGN_CONTENT_V2;
	sqlite3_stmt *s;

	if (version == SIGN_CONTENT_V3)
		text = "";
	if (ag_content_hash(e, a, version, text, v, calendar, hash) != 0 ||
	    (s = store_stmt(e->st, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, a->id);
	sqlite3_bind_int64(s, 2, number);
	sqlite3_bind_text(s, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, calendar, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, version);
	if (amendment)
		sqlite3_bind_int64(s, 7, amendment);
	sqlite3_bind_int64(s, 8, clock_now(e->clk));
	if (store_step_done(e->st, s) != 0)
		return -1;
	return version == SIGN_CONTENT_V3 ? versions_insert(e, a->id, number, v) : 0;
}

int
ag_revision_set_calendar(struct ag_ctx *e, const struct ag *a, const char *text,
    const char *calendar, uint8_t hash[32])
{
	static const char sql[] =
	    "UPDATE revision SET calendar = ?, content_hash = ?, content_version = ? "
	    "WHERE agreement_id = ? AND number = ?";
	struct ag_versions v;
	sqlite3_stmt *s;
	int version, rc;

	if (ag_load_versions(e, a->id, a->revision, &v) != 0)
		return -1;
	version = v.n > 0 ? SIGN_CONTENT_V3 : SIGN_CONTENT_V2;
	rc = ag_content_hash(e, a, version, text, &v, calendar, hash);
	ag_versions_free(&v);
	if (rc != 0 || (s = store_stmt(e->st, sql)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, calendar, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, version);
	sqlite3_bind_int64(s, 4, a->id);
	sqlite3_bind_int64(s, 5, a->revision);
	return store_step_done(e->st, s);
}

/* ---- frames ---- */

int
ag_frame_set(struct ag_ctx *e, int64_t agreement, int64_t party, const char *frame)
{
	static const char sql[] =
	    "INSERT INTO agreement_frame(agreement_id, party_id, frame) VALUES(?, ?, ?)";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int64(s, 2, party);
	sqlite3_bind_text(s, 3, frame, -1, SQLITE_STATIC);
	return store_step_done(e->st, s);
}

int
ag_load_frames(struct ag_ctx *e, int64_t agreement, struct ag_frames *f)
{
	static const char sql[] =
	    "SELECT p.id, p.code, f.frame FROM agreement_frame f "
	    "JOIN agreement_party ap ON ap.agreement_id = f.agreement_id AND "
	    "ap.party_id = f.party_id JOIN party p ON p.id = f.party_id "
	    "WHERE f.agreement_id = ? ORDER BY ap.rowid";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc, oom = 0;

	memset(f, 0, sizeof(*f));
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && f->n < 64) {
		f->party[f->n] = sqlite3_column_int64(s, 0);
		snprintf(f->code[f->n], sizeof(f->code[0]), "%s", store_col_str(s, 1));
		if ((f->frame[f->n] = strdup(store_col_str(s, 2))) == NULL)
			oom = 1;
		f->n++;
	}
	if (store_rows_end(e->st, s, rc, "an agreement's frames") != 0 || oom) {
		ag_frames_free(f);
		return -1;
	}
	return 0;
}

void
ag_frames_free(struct ag_frames *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->frame[i]);
		f->frame[i] = NULL;
	}
	f->n = 0;
}

int
ag_frame_is(struct ag_ctx *e, int64_t agreement, int64_t party, const char *frame)
{
	static const char sql[] =
	    "SELECT f.frame FROM agreement_frame f JOIN agreement_party ap ON "
	    "ap.agreement_id = f.agreement_id AND ap.party_id = f.party_id "
	    "WHERE f.agreement_id = ? AND f.party_id = ?";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc, same;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int64(s, 2, party);
	rc = sqlite3_step(s);
	same = strcmp(rc == SQLITE_ROW ? store_col_str(s, 0) : "", frame) == 0;
	if (store_rows_end(e->st, s, rc, "a party's frame") != 0)
		return -1;
	return same;
}

/* One UPDATE of an agreement's row with two integers: "SET x = ?1 WHERE
 * id = ?2" shapes (value 0 binds NULL when null0). */
static int
set_int(struct ag_ctx *e, const char *sql, int64_t id, int64_t v, int null0)
{
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	if (v != 0 || !null0)
		sqlite3_bind_int64(s, 1, v);
	sqlite3_bind_int64(s, 2, id);
	return store_step_done(e->st, s);
}

int
ag_set_revision(struct ag_ctx *e, int64_t id, uint32_t revision)
{
	return set_int(e, "UPDATE agreement SET revision = ? WHERE id = ?", id, revision, 0);
}

int
ag_set_circulated(struct ag_ctx *e, int64_t id, int64_t t)
{
	return set_int(e, "UPDATE agreement SET state = 'circulating', circulated_at = ? "
	    "WHERE id = ?", id, t, 0);
}

int
ag_set_expiry(struct ag_ctx *e, int64_t id, int64_t expires_at)
{
	return set_int(e, "UPDATE agreement SET expires_at = ? WHERE id = ?", id, expires_at, 1);
}

int
ag_set_withdraw_reason(struct ag_ctx *e, int64_t id, const char *reason)
{
	static const char sql[] = "UPDATE agreement SET withdraw_reason = ? WHERE id = ?";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, id);
	return store_step_done(e->st, s);
}

int
ag_decline_insert(struct ag_ctx *e, int64_t agreement, int64_t party, int64_t endpoint,
    uint32_t rev, const char *reason, const uint8_t salt[32], int64_t *id)
{
	static const char sql[] =
	    "INSERT INTO decline(agreement_id, party_id, revision, endpoint_id, reason, salt,"
	    " created_at) VALUES(?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int64(s, 2, party);
	sqlite3_bind_int64(s, 3, rev);
	sqlite3_bind_int64(s, 4, endpoint);
	sqlite3_bind_text(s, 5, reason, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, salt, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, clock_now(e->clk));
	return store_step_insert(e->st, s, id);
}

int
ag_decline_open(struct ag_ctx *e, int64_t agreement, int64_t party, uint32_t rev,
    struct ag_decline *d)
{
	static const char sql[] =
	    "SELECT reason, created_at FROM decline WHERE agreement_id = ? AND party_id = ?"
	    " AND revision = ? AND withdrawn_at IS NULL ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc, found = 0;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int64(s, 2, party);
	sqlite3_bind_int64(s, 3, rev);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		found = 1;
		if (d != NULL) {
			snprintf(d->reason, sizeof(d->reason), "%s", store_col_str(s, 0));
			d->at = sqlite3_column_int64(s, 1);
		}
	}
	if (store_rows_end(e->st, s, rc, "a party's declines") != 0)
		return -1;
	return found;
}

int
ag_declines_end(struct ag_ctx *e, int64_t agreement, int64_t party, int64_t t)
{
	static const char sql[] =
	    "UPDATE decline SET withdrawn_at = ? WHERE agreement_id = ? AND party_id = ?"
	    " AND withdrawn_at IS NULL";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, t);
	sqlite3_bind_int64(s, 2, agreement);
	sqlite3_bind_int64(s, 3, party);
	if (store_step_done(e->st, s) != 0)
		return -1;
	return sqlite3_changes(store_db(e->st));
}

int
ag_set_sign_by(struct ag_ctx *e, int64_t id, int64_t sign_by)
{
	return set_int(e, "UPDATE agreement SET sign_by = ? WHERE id = ?", id, sign_by, 1);
}

int
ag_set_dayx(struct ag_ctx *e, int64_t id, const char *mode, int64_t t)
{
	static const char sql[] = "UPDATE agreement SET dayx_mode = ?, dayx_at = ? WHERE id = ?";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, mode, -1, SQLITE_STATIC);
	if (t)
		sqlite3_bind_int64(s, 2, t);
	sqlite3_bind_int64(s, 3, id);
	return store_step_done(e->st, s);
}

int
ag_set_released(struct ag_ctx *e, const struct ag *a, const char *cert, const uint8_t sig[64])
{
	static const char sql[] =
	    "UPDATE agreement SET state = ?6, released_at = ?1, effective_at = ?2,"
	    " certificate = ?3, certificate_sig = ?4 WHERE id = ?5 AND state = 'circulating'";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 6, lifecycle_state_name(a->state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 1, a->released_at);
	sqlite3_bind_int64(s, 2, a->effective_at);
	sqlite3_bind_blob(s, 3, cert, (int)strlen(cert), SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, sig, 64, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, a->id);
	if (store_step_done(e->st, s) != 0)
		return -1;
	/* Exactly once: the state guard makes a second release change nothing. */
	return sqlite3_changes(store_db(e->st)) == 1 ? 0 : 1;
}

int
ag_copy_insert(struct ag_ctx *e, const struct ag_copy *c, int64_t *id)
{
	static const char sql[] =
	    "INSERT INTO copy(agreement_id, revision, party_id, endpoint_id, signer_id, role,"
	    " content_hash, signature, text, status, reason, signed_at, mandate_id,"
	    " reservation, condition) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, c->agreement);
	sqlite3_bind_int64(s, 2, c->revision);
	sqlite3_bind_int64(s, 3, c->party);
	sqlite3_bind_int64(s, 4, c->endpoint);
	sqlite3_bind_int64(s, 5, c->signer);
	sqlite3_bind_text(s, 6, c->role, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 7, c->hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, c->signature, 64, SQLITE_STATIC);
	if (c->text != NULL)
		sqlite3_bind_text(s, 9, c->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, c->status, -1, SQLITE_STATIC);
	if (c->reason != NULL)
		sqlite3_bind_text(s, 11, c->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 12, clock_now(e->clk));
	if (c->mandate != 0)
		sqlite3_bind_int64(s, 13, c->mandate);
	if (c->reservation != NULL && *c->reservation != '\0')
		sqlite3_bind_text(s, 14, c->reservation, -1, SQLITE_STATIC);
	if (c->condition != NULL && *c->condition != '\0')
		sqlite3_bind_text(s, 15, c->condition, -1, SQLITE_STATIC);
	return store_step_insert(e->st, s, id);
}

int
ag_copies_end(struct ag_ctx *e, int64_t agreement, int64_t party, uint32_t revision,
    const char *status, int64_t t)
{
	static const char sql[] =
	    "UPDATE copy SET status = ?1, ended_at = ?2 WHERE agreement_id = ?3 "
	    "AND (?4 = 0 OR party_id = ?4) AND (?5 = 0 OR revision = ?5) AND status = 'valid'";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, t);
	sqlite3_bind_int64(s, 3, agreement);
	sqlite3_bind_int64(s, 4, party);
	sqlite3_bind_int64(s, 5, revision);
	if (store_step_done(e->st, s) != 0)
		return -1;
	return sqlite3_changes(store_db(e->st));
}

int
ag_copy_void(struct ag_ctx *e, int64_t copy, const char *reason, int64_t t)
{
	static const char sql[] =
	    "UPDATE copy SET status = 'void', reason = ?, ended_at = ? WHERE id = ?";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, t);
	sqlite3_bind_int64(s, 3, copy);
	return store_step_done(e->st, s);
}

int
ag_signed_parties(struct ag_ctx *e, int64_t agreement, struct ag_members *m)
{
	static const char sql[] =
	    "SELECT DISTINCT party_id FROM copy WHERE agreement_id = ? AND status = 'valid'";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc;

	m->n = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && m->n < 64) {
		m->id[m->n] = sqlite3_column_int64(s, 0);
		m->code[m->n][0] = '\0';
		m->n++;
	}
	return store_rows_end(e->st, s, rc, "who had signed");
}

int
ag_count_states(struct ag_ctx *e, int64_t counts[AG_NSTATES], int64_t *other)
{
	static const char sql[] = "SELECT state, count(*) FROM agreement GROUP BY state";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	enum ag_state as;
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (lifecycle_state_parse(store_col_str(s, 0), &as) == 0)
			counts[as] += sqlite3_column_int64(s, 1);
		else
			*other += sqlite3_column_int64(s, 1);
	}
	return store_rows_end(e->st, s, rc, "the agreements by state");
}

int
ag_extensions(struct ag_ctx *e, int64_t target, int64_t *ids, enum ag_state *states,
    size_t max, size_t *n)
{
	static const char sql[] =
	    "SELECT id, state FROM agreement WHERE extends_id = ? ORDER BY id";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc;

	*n = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, target);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max) {
		if (lifecycle_state_parse(store_col_str(s, 1), &states[*n]) != 0)
			continue;
		ids[(*n)++] = sqlite3_column_int64(s, 0);
	}
	return store_rows_end(e->st, s, rc, "an agreement's extensions");
}

int
ag_load_roles(struct ag_ctx *e, int64_t agreement, char (*roles)[AG_ROLE_MAX], size_t max,
    size_t *n)
{
	static const char sql[] =
	    "SELECT p.code, r.role FROM agreement_role r JOIN party p ON p.id = r.party_id"
	    " WHERE r.agreement_id = ? ORDER BY p.code, r.role";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc;

	*n = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max) {
		snprintf(roles[*n], AG_ROLE_MAX, "%s=%s", store_col_str(s, 0), store_col_str(s, 1));
		(*n)++;
	}
	return store_rows_end(e->st, s, rc, "an agreement's roles");
}

int
ag_stranded(struct ag_ctx *e, const struct ag *a, int64_t *expired_at)
{
	struct ag o;
	int rc;

	if (a->extends_id == 0)
		return 0;
	if ((rc = ag_load(e, a->extends_id, &o)) != 0)
		return rc < 0 ? -1 : 0;
	if (o.state != AG_EXPIRED)
		return 0;
	*expired_at = o.ended_at;
	return 1;
}
