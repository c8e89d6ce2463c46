/* A copy to a newcomer, with consent: see observer.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "errors.h"
#include "log.h"
#include "observer.h"
#include "text.h"

#define NOTE_MAX	500
#define WINDOW_KIND	"observer-window"

/* One request as stored. */
struct oreq {
	int64_t id, agreement, party, requester;	/* requester 0: the mediator */
	char party_code[PARTY_CODE_MAX + 1], requester_code[PARTY_CODE_MAX + 1];
	char note[NOTE_MAX + 1], state[16];
	int64_t asked_at, window_ends, decided_at;
	char zone[64];	/* the agreement's, its times are shown in */
};

#define OREQ_COLS \
	"SELECT r.id, r.agreement_id, r.party_id, coalesce(r.requester_id, 0), p.code," \
	" coalesce(q.code, 'mediator'), r.note, r.state, r.asked_at, r.window_ends," \
	" coalesce(r.decided_at, 0), (SELECT g.zone FROM agreement g WHERE g.id = r.agreement_id)" \
	" FROM observer_request r JOIN party p ON p.id = r.party_id" \
	" LEFT JOIN party q ON q.id = r.requester_id "

static void
oreq_row(sqlite3_stmt *s, struct oreq *q)
{
	q->id = sqlite3_column_int64(s, 0);
	q->agreement = sqlite3_column_int64(s, 1);
	q->party = sqlite3_column_int64(s, 2);
	q->requester = sqlite3_column_int64(s, 3);
	snprintf(q->party_code, sizeof(q->party_code), "%s", store_col_str(s, 4));
	snprintf(q->requester_code, sizeof(q->requester_code), "%s", store_col_str(s, 5));
	snprintf(q->note, sizeof(q->note), "%s", store_col_str(s, 6));
	snprintf(q->state, sizeof(q->state), "%s", store_col_str(s, 7));
	q->asked_at = sqlite3_column_int64(s, 8);
	q->window_ends = sqlite3_column_int64(s, 9);
	q->decided_at = sqlite3_column_int64(s, 10);
	snprintf(q->zone, sizeof(q->zone), "%s", store_col_str(s, 11));
}

/* 0 found, 1 unknown, -1 store failure. */
static int
load_req(struct ag_ctx *e, int64_t id, struct oreq *q)
{
	sqlite3_stmt *s = store_stmt(e->st, OREQ_COLS "WHERE r.id = ?");
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		oreq_row(s, q);
	if (store_rows_end(e->st, s, rc, "an observer request") != 0)
		return -1;
	return rc == SQLITE_ROW ? 0 : 1;
}

/* One integer a query answers (0 when it has no row). */
static int
count(struct ag_ctx *e, const char *sql, int64_t a, int64_t b, int64_t *n)
{
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc;

	*n = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	return store_rows_end(e->st, s, rc, "observer requests");
}

static int
eligible(enum ag_state st)
{
	return st == AG_CIRCULATING || st == AG_RELEASED || st == AG_IN_FORCE;
}

/* Record an outcome: the request's state, the chronology and the journal,
 * and every signing party told. */
static int
decide(struct ag_ctx *e, const struct oreq *q, const char *state, const char *why)
{
	static const char sql[] =
	    "UPDATE observer_request SET state = ?, decided_at = ? WHERE id = ? AND state = 'open'";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	char kind[32], text[700];

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, clock_now(e->clk));
	sqlite3_bind_int64(s, 3, q->id);
	if (store_step_done(e->st, s) != 0)
		return -1;
	snprintf(kind, sizeof(kind), "observer-%s", state);
	snprintf(text, sizeof(text), "request %lld: %s is %s (%s)", (long long)q->id,
	    q->party_code, strcmp(state, "added") == 0 ? "added as an observer" : "not added",
	    why);
	if (ag_event(e, q->agreement, kind, "%s", text) != 0)
		return -1;
	return ag_tell(e, q->agreement, 0, 0, kind, text);
}

/* Send the newcomer what the members hold: the release bundle (as it was
 * released: its certificate names the members at release), or the text
 * in circulation. */
static int
deliver(struct ag_ctx *e, const struct ag *a, int64_t party)
{
	struct bundle_text t;
	struct bundle *b;
	int rc;

	if (a->released_at != 0) {
		if ((b = bundle_load(e, a)) == NULL)
			return -1;
		rc = bundle_send_release(e, a, b, &party, 1);
		bundle_free(b);
		return rc;
	}
	if (bundle_text_load(e, a, &t) != 0)
		return -1;
	rc = bundle_send_text(e, a, &t, &party, 1);
	bundle_text_release(&t);
	return rc;
}

/* No objection: add the newcomer and send it its copy, or, if the
 * agreement can no longer take it, the request lapses. */
static int
add(struct ag_ctx *e, const struct oreq *q, const char *why)
{
	struct ag_members ob;
	struct ag a;
	char text[300];
	int rc;

	if ((rc = ag_load(e, q->agreement, &a)) < 0)
		return -1;
	if (rc == 0 && ag_load_members(e, a.id, 1, &ob) != 0)
		return -1;
	if (rc != 0 || !eligible(a.state) || ob.n >= 64 ||
	    ag_membership(e, a.id, q->party) != 0)
		return decide(e, q, "lapsed", rc != 0 ||
		    !eligible(a.state) ? "the agreement no longer takes observers" :
		    "it cannot be added now");
	if (ag_add_member(e, a.id, q->party, 1) != 0)
		return -1;
	if (decide(e, q, "added", why) != 0)
		return -1;
	snprintf(text, sizeof(text), "you are now an observer of agreement %lld, at the "
	    "request of %s (request %lld)", (long long)a.id, q->requester_code,
	    (long long)q->id);
	if (ag_send_update(e, q->party, a.id, 0, "observer-added", text) != 0)
		return -1;
	return deliver(e, &a, q->party);
}

/* Whether every signing party but the requester has consented: then the
 * newcomer is added without waiting for the window. */
static int
settle(struct ag_ctx *e, const struct oreq *q)
{
	static const char asked[] =
	    "SELECT count(*) FROM agreement_party WHERE agreement_id = ?1 AND observer = 0 "
	    "AND party_id != ?2";
	static const char consented[] =
	    "SELECT count(*) FROM observer_answer w JOIN observer_request r ON r.id = w.request_id "
	    "JOIN agreement_party ap ON ap.agreement_id = r.agreement_id AND ap.party_id = w.party_id "
	    "AND ap.observer = 0 WHERE w.request_id = ?1 AND w.object = 0 AND w.party_id != ?2";
	int64_t n, yes;

	if (count(e, asked, q->agreement, q->requester, &n) != 0 ||
	    count(e, consented, q->id, q->requester, &yes) != 0)
		return -1;
	if (yes < n)
		return 0;
	return add(e, q, n == 0 ? "no other party to ask" : "every other party consented");
}

static int
note_ok(const char *s, const char *what, char *why, size_t whylen)
{
	return ag_text_check(s, strlen(s), NOTE_MAX, 0, what, why, whylen);
}

/* Propose code as an observer of a (requester: the asking party, or NULL
 * for the mediator).  0 with *id; 1 refused with *code and why; -1 store
 * failure. */
static int
propose(struct ag_ctx *e, const struct ag *a, const char *code, const struct party *requester,
    const char *note, int64_t *id, int *ecode, char *why, size_t whylen)
{
	static const char open_sql[] =
	    "SELECT coalesce(max(id), 0) FROM observer_request WHERE agreement_id = ?1 "
	    "AND party_id = ?2 AND state = 'open'";
	static const char ins[] =
	    "INSERT INTO observer_request(agreement_id, party_id, requester_id, note, state,"
	    " asked_at, window_ends) VALUES(?, ?, ?, ?, 'open', ?, ?)";
	struct ag_members ob;
	struct party p;
	struct oreq q;
	char until[PTIME_BUFLEN], text[900];
	int64_t now = clock_now(e->clk), open;
	sqlite3_stmt *s;
	int rc;

	*ecode = PARLEY_EREFUSED;
	if (!eligible(a->state)) {
		snprintf(why, whylen, "agreement %lld is %s: only a circulating, released or "
		    "in-force agreement takes a new observer", (long long)a->id,
		    lifecycle_state_name(a->state));
		return 1;
	}
	if (note_ok(note, "note", why, whylen) != 0) {
		*ecode = PARLEY_EUSAGE;
		return 1;
	}
	if ((rc = registry_party_by_code(e->st, code, &p)) < 0)
		return -1;
	if (rc == 1) {
		*ecode = PARLEY_ENOTFOUND;
		snprintf(why, whylen, "no party \"%s\" is registered", code);
		return 1;
	}
	if (!p.observer) {
		snprintf(why, whylen, "%s is a signing party, not an observer: only a party "
		    "registered with --observer can be given a copy", p.code);
		return 1;
	}
	if (ag_membership(e, a->id, p.id) != 0) {
		snprintf(why, whylen, "%s is already a member of agreement %lld", p.code,
		    (long long)a->id);
		return 1;
	}
	if (count(e, open_sql, a->id, p.id, &open) != 0 || ag_load_members(e, a->id, 1, &ob) != 0)
		return -1;
	if (open != 0) {
		snprintf(why, whylen, "request %lld to add %s to agreement %lld is open already",
		    (long long)open, p.code, (long long)a->id);
		return 1;
	}
	if (ob.n >= 64) {
		snprintf(why, whylen, "agreement %lld has 64 observers, the most it may have",
		    (long long)a->id);
		return 1;
	}
	if ((s = store_stmt(e->st, ins)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, a->id);
	sqlite3_bind_int64(s, 2, p.id);
	if (requester != NULL)
		sqlite3_bind_int64(s, 3, requester->id);
	sqlite3_bind_text(s, 4, note, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, now);
	sqlite3_bind_int64(s, 6, now + e->objection_window);
	if (store_step_done(e->st, s) != 0)
		return -1;
	*id = sqlite3_last_insert_rowid(store_db(e->st));
	if (ag_timer_add(e, a->id, 0, WINDOW_KIND, now + e->objection_window, *id, 0) != 0)
		return -1;
	if (load_req(e, *id, &q) != 0)
		return -1;
	ptime_format_in(q.window_ends, q.zone, until);
	if (ag_event(e, a->id, "observer-requested", "request %lld: %s asks that %s receive a "
	    "copy%s%s; objections until %s", (long long)q.id, q.requester_code, q.party_code,
	    *note ? ": " : "", note, until) != 0)
		return -1;
	snprintf(text, sizeof(text), "request %lld: %s asks that %s receive a copy of "
	    "agreement %lld%s%s.  Object by %s with: parley observer object %lld --reason TEXT; "
	    "or consent now with: parley observer consent %lld", (long long)q.id,
	    q.requester_code, q.party_code, (long long)a->id, *note ? ": " : "", note, until,
	    (long long)q.id, (long long)q.id);
	if (ag_tell(e, a->id, 0, q.requester, "observer-requested", text) != 0)
		return -1;
	return settle(e, &q) != 0 ? -1 : 0;
}

enum req_end
observer_request(struct ag_ctx *e, const struct req *r, const Parley__ObserverRequest *m)
{
	char why[600];
	struct ag a;
	int64_t id;
	int member, code, rc;

	if (m->party == NULL || *m->party == '\0')
		return req_refuse(r, PARLEY_EUSAGE, "name the observer to add");
	if (ag_for_party(e, r, m->agreement, &a, &member) != 0)
		return REQ_ROLLBACK;
	if (member != 1)
		return req_refuse(r, PARLEY_EREFUSED, "only a signing party of agreement %lld may "
		    "ask for a copy to a newcomer", (long long)a.id);
	rc = propose(e, &a, m->party, &r->who->party, m->note != NULL ? m->note : "", &id, &code,
	    why, sizeof(why));
	if (rc < 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	if (rc > 0)
		return req_refuse(r, code, "%s", why);
	return req_ok(r, (uint64_t)id, "request %lld: the other parties are asked", (long long)id);
}

int
observer_add(struct ag_ctx *e, int64_t agreement, const char *party, const char *note,
    struct out *o)
{
	char why[600], until[PTIME_BUFLEN];
	struct oreq q;
	struct ag a;
	int64_t id;
	int code, rc;

	if (ag_for_mediator(e, agreement, &a, o) != 0)
		return -1;
	rc = propose(e, &a, party, NULL, note != NULL ? note : "", &id, &code, why, sizeof(why));
	if (rc < 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	if (rc > 0)
		return out_refuse(o, "%s", why);
	if (load_req(e, id, &q) != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	ptime_format_in(q.window_ends, q.zone, until);
	jw_int(o->json, "id", id);
	jw_int(o->json, "agreement", agreement);
	jw_str(o->json, "party", q.party_code);
	jw_str(o->json, "state", q.state);
	jw_str(o->json, "window_ends", until);
	out_text(o, "request %lld: every signing party of agreement %lld is asked whether %s "
	    "may receive a copy; objections until %s (%s)\n", (long long)id,
	    (long long)agreement, q.party_code, until, q.state);
	return 0;
}

enum req_end
observer_answer(struct ag_ctx *e, const struct req *r, const Parley__ObserverAnswer *m)
{
	static const char answered[] =
	    "SELECT count(*) FROM observer_answer WHERE request_id = ?1 AND party_id = ?2";
	static const char ins[] =
	    "INSERT INTO observer_answer(request_id, party_id, object, reason, answered_at) "
	    "VALUES(?, ?, ?, ?, ?)";
	const char *reason = m->reason != NULL ? m->reason : "";
	int64_t me = r->who->party.id, n;
	char why[600], when[PTIME_BUFLEN], text[800];
	struct oreq q;
	sqlite3_stmt *s;
	int rc;

	rc = m->request > INT64_MAX ? 1 : load_req(e, (int64_t)m->request, &q);
	if (rc < 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	/* Not told to a non-member whether the request exists. */
	if (rc == 1 || ag_membership(e, q.agreement, me) != 1)
		return req_refuse(r, PARLEY_ENOTFOUND, "no observer request %llu for party %s",
		    (unsigned long long)m->request, r->who->party.code);
	if (q.requester == me)
		return req_refuse(r, PARLEY_EREFUSED, "request %lld is %s's own: the other "
		    "parties answer it", (long long)q.id, r->who->party.code);
	if (strcmp(q.state, "open") != 0)
		return req_refuse(r, PARLEY_EREFUSED, "request %lld is decided already: %s",
		    (long long)q.id, q.state);
	if (clock_now(e->clk) >= q.window_ends) {
		ptime_format_in(q.window_ends, q.zone, when);
		return req_refuse(r, PARLEY_EREFUSED, "the objection window of request %lld "
		    "ended at %s", (long long)q.id, when);
	}
	if (count(e, answered, q.id, me, &n) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	if (n != 0)
		return req_refuse(r, PARLEY_EREFUSED, "%s has answered request %lld already",
		    r->who->party.code, (long long)q.id);
	if (m->object && *reason == '\0')
		return req_refuse(r, PARLEY_EUSAGE, "an objection needs a reason (--reason TEXT)");
	if (note_ok(reason, "reason", why, sizeof(why)) != 0)
		return req_refuse(r, PARLEY_EUSAGE, "%s", why);
	if ((s = store_stmt(e->st, ins)) == NULL)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	sqlite3_bind_int64(s, 1, q.id);
	sqlite3_bind_int64(s, 2, me);
	sqlite3_bind_int(s, 3, m->object ? 1 : 0);
	sqlite3_bind_text(s, 4, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, clock_now(e->clk));
	if (store_step_done(e->st, s) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	snprintf(text, sizeof(text), "request %lld: %s %s to a copy for %s%s%s", (long long)q.id,
	    r->who->party.code, m->object ? "objects" : "consents", q.party_code,
	    *reason ? ": " : "", reason);
	if (ag_event(e, q.agreement, m->object ? "observer-objected" : "observer-consented",
	    "%s", text) != 0 ||
	    ag_tell(e, q.agreement, 0, 0, m->object ? "observer-objected" : "observer-consented",
	    text) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	if (m->object)
	{
		snprintf(why, sizeof(why), "%s objected", r->who->party.code);
		rc = decide(e, &q, "refused", why);
	}
	else
		rc = settle(e, &q);
	if (rc != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	if (load_req(e, q.id, &q) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	return req_ok(r, (uint64_t)q.id, "request %lld: %s recorded; the request is %s",
	    (long long)q.id, m->object ? "objection" : "consent", q.state);
}

int
observer_fire(struct ag_ctx *e, const struct ag_timer *t)
{
	struct oreq q;
	int rc;

	if (strcmp(t->kind, WINDOW_KIND) != 0) {
		log_warnx("agreement %lld: unknown timer kind %s", (long long)t->agreement,
		    t->kind);
		return 0;
	}
	if ((rc = load_req(e, t->ref, &q)) < 0)
		return -1;
	if (rc == 1 || strcmp(q.state, "open") != 0)
		return 0;	/* decided before its window ended */
	return add(e, &q, "no objection within the window");
}

/* ---- lists ---- */

struct ovote {
	int64_t request;
	char party[PARTY_CODE_MAX + 1], at[PTIME_BUFLEN];
	char reason[NOTE_MAX + 1];
	int object;
};

struct orow {
	struct oreq q;
	char asked[PTIME_BUFLEN], ends[PTIME_BUFLEN], decided[PTIME_BUFLEN];
	size_t v0, nv;		/* its answers: votes[v0 .. v0 + nv) */
};

/* Two arrays, each one allocation: the requests and all their answers. */
struct olist {
	struct orow *rows;
	size_t n;
	struct ovote *votes;
	size_t nvotes;
};

static void
olist_free(struct olist *l)
{
	free(l->rows);
	free(l->votes);
	l->rows = NULL;
	l->votes = NULL;
	l->n = l->nvotes = 0;
}

/* Which requests a list holds: of agreement ?1 (0: all), of the
 * agreements party ?2 signs (0: any party). */
#define LIST_WHERE \
	"WHERE (?1 = 0 OR r.agreement_id = ?1) AND (?2 = 0 OR EXISTS (SELECT 1 FROM " \
	"agreement_party ap WHERE ap.agreement_id = r.agreement_id AND ap.party_id = ?2 " \
	"AND ap.observer = 0)) "

static int
load_votes(struct ag_ctx *e, int64_t agreement, int64_t party, struct olist *l)
{
	static const char sql[] =
	    "SELECT w.request_id, p.code, w.object, w.reason, w.answered_at,"
	    " (SELECT g.zone FROM agreement g WHERE g.id = r.agreement_id) FROM observer_answer w "
	    "JOIN party p ON p.id = w.party_id JOIN observer_request r ON r.id = w.request_id "
	    LIST_WHERE "ORDER BY w.request_id, w.answered_at, p.code";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	struct ovote *grown, *v;
	size_t i, j;
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int64(s, 2, party);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((grown = reallocarray(l->votes, l->nvotes + 1, sizeof(*grown))) == NULL) {
			sqlite3_reset(s);	/* abandoned on purpose: out of memory */
			return -1;
		}
		l->votes = grown;
		v = &l->votes[l->nvotes++];
		v->request = sqlite3_column_int64(s, 0);
		snprintf(v->party, sizeof(v->party), "%s", store_col_str(s, 1));
		v->object = sqlite3_column_int(s, 2);
		snprintf(v->reason, sizeof(v->reason), "%s", store_col_str(s, 3));
		ptime_format_in(sqlite3_column_int64(s, 4), store_col_str(s, 5), v->at);
	}
	if (store_rows_end(e->st, s, rc, "the answers to observer requests") != 0)
		return -1;
	/* Both in request order: each request's answers are one run. */
	for (i = 0, j = 0; i < l->n; i++) {
		while (j < l->nvotes && l->votes[j].request < l->rows[i].q.id)
			j++;
		l->rows[i].v0 = j;
		while (j < l->nvotes && l->votes[j].request == l->rows[i].q.id)
			j++;
		l->rows[i].nv = j - l->rows[i].v0;
	}
	return 0;
}

/* The requests of agreement (0: all), of the agreements party signs (0:
 * any party), oldest first, with their answers. */
static int
load_list(struct ag_ctx *e, int64_t agreement, int64_t party, struct olist *l)
{
	sqlite3_stmt *s = store_stmt(e->st, OREQ_COLS LIST_WHERE "ORDER BY r.id");
	struct orow *grown, *w;
	int rc;

	memset(l, 0, sizeof(*l));
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int64(s, 2, party);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((grown = reallocarray(l->rows, l->n + 1, sizeof(*grown))) == NULL) {
			sqlite3_reset(s);	/* abandoned on purpose: out of memory */
			olist_free(l);
			return -1;
		}
		l->rows = grown;
		w = &l->rows[l->n++];
		memset(w, 0, sizeof(*w));
		oreq_row(s, &w->q);
		ptime_format_in(w->q.asked_at, w->q.zone, w->asked);
		ptime_format_in(w->q.window_ends, w->q.zone, w->ends);
		if (w->q.decided_at != 0)
			ptime_format_in(w->q.decided_at, w->q.zone, w->decided);
	}
	if (store_rows_end(e->st, s, rc, "observer requests") != 0 ||
	    load_votes(e, agreement, party, l) != 0) {
		olist_free(l);
		return -1;
	}
	return 0;
}

enum req_end
observer_query(struct ag_ctx *e, const struct req *r, const Parley__ObserverQuery *m)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__ObserverList ol = PARLEY__OBSERVER_LIST__INIT;
	Parley__ObserverProposal *pr = NULL, **pp = NULL;
	Parley__ObserverVote *vv = NULL, **vp = NULL;
	struct olist l;
	struct ag a;
	size_t i, j, nv = 0, k = 0;
	int member;

	if (m->agreement != 0) {
		if (ag_for_party(e, r, m->agreement, &a, &member) != 0)
			return REQ_ROLLBACK;
		if (member != 1)
			return req_refuse(r, PARLEY_EREFUSED, "only the signing parties of agreement "
			    "%lld are asked about its observers", (long long)a.id);
	}
	if (load_list(e, (int64_t)m->agreement, r->who->party.id, &l) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	nv = l.nvotes;
	pr = calloc(l.n + 1, sizeof(*pr));
	pp = calloc(l.n + 1, sizeof(*pp));
	vv = calloc(nv + 1, sizeof(*vv));
	vp = calloc(nv + 1, sizeof(*vp));
	if (pr == NULL || pp == NULL || vv == NULL || vp == NULL) {
		free(pr);
		free(pp);
		free(vv);
		free(vp);
		olist_free(&l);
		return req_refuse(r, PARLEY_ESTORE, "out of memory");
	}
	for (i = 0; i < l.n; i++) {
		struct orow *w = &l.rows[i];
		parley__observer_proposal__init(&pr[i]);
		pr[i].id = (uint64_t)w->q.id;
		pr[i].agreement = (uint64_t)w->q.agreement;
		pr[i].party = w->q.party_code;
		pr[i].requester = w->q.requester_code;
		pr[i].note = w->q.note;
		pr[i].state = w->q.state;
		pr[i].asked_at = w->asked;
		pr[i].window_ends = w->ends;
		pr[i].decided_at = w->decided;
		pr[i].answers = &vp[k];
		pr[i].n_answers = w->nv;
		for (j = 0; j < w->nv; j++, k++) {
			parley__observer_vote__init(&vv[k]);
			vv[k].party = l.votes[w->v0 + j].party;
			vv[k].answer = l.votes[w->v0 + j].object ? "object" : "consent";
			vv[k].reason = l.votes[w->v0 + j].reason;
			vv[k].at = l.votes[w->v0 + j].at;
			vp[k] = &vv[k];
		}
		pp[i] = &pr[i];
	}
	ol.n_requests = l.n;
	ol.requests = pp;
	f.body_case = PARLEY__FRAME__BODY_OBSERVER_LIST;
	f.observer_list = &ol;
	if (parley__frame__get_packed_size(&f) + 64 > req_max_output(r) / 2)
		req_refuse(r, PARLEY_EREFUSED, "too many requests for one answer: name an "
		    "agreement (parley observer list ID)");
	else
		req_reply(r, &f);
	free(pr);
	free(pp);
	free(vv);
	free(vp);
	olist_free(&l);
	return REQ_ROLLBACK;
}

int
observer_list(struct ag_ctx *e, int64_t agreement, struct out *o)
{
	struct olist l;
	struct ag a;
	size_t i, j;

	if (agreement != 0 && ag_for_mediator(e, agreement, &a, o) != 0)
		return -1;
	if (load_list(e, agreement, 0, &l) != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	jw_arr_begin(o->json, "requests");
	for (i = 0; i < l.n; i++) {
		struct orow *w = &l.rows[i];
		jw_obj_begin(o->json, NULL);
		jw_int(o->json, "id", w->q.id);
		jw_int(o->json, "agreement", w->q.agreement);
		jw_str(o->json, "party", w->q.party_code);
		jw_str(o->json, "requester", w->q.requester_code);
		jw_str(o->json, "note", w->q.note);
		jw_str(o->json, "state", w->q.state);
		jw_str(o->json, "asked_at", w->asked);
		jw_str(o->json, "window_ends", w->ends);
		jw_str(o->json, "decided_at", w->q.decided_at ? w->decided : NULL);
		jw_arr_begin(o->json, "answers");
		out_text(o, "request %lld  agreement %lld  %s for %s  %s  asked %s  window until "
		    "%s%s%s\n", (long long)w->q.id, (long long)w->q.agreement, w->q.requester_code,
		    w->q.party_code, w->q.state, w->asked, w->ends,
		    w->q.decided_at ? "  decided " : "", w->q.decided_at ? w->decided : "");
		if (*w->q.note)
			out_text(o, "  note: %s\n", w->q.note);
		for (j = 0; j < w->nv; j++) {
			jw_obj_begin(o->json, NULL);
			jw_str(o->json, "party", l.votes[w->v0 + j].party);
			jw_str(o->json, "answer", l.votes[w->v0 + j].object ? "object" : "consent");
			jw_str(o->json, "reason", l.votes[w->v0 + j].reason);
			jw_str(o->json, "at", l.votes[w->v0 + j].at);
			jw_obj_end(o->json);
			out_text(o, "  %s %s at %s%s%s\n", l.votes[w->v0 + j].party, l.votes[w->v0 + j].object ?
			    "objected" : "consented", l.votes[w->v0 + j].at, *l.votes[w->v0 + j].reason ? ": " : "",
			    l.votes[w->v0 + j].reason);
		}
		jw_arr_end(o->json);
		jw_obj_end(o->json);
	}
	jw_arr_end(o->json);
	if (l.n == 0)
		out_text(o, "no observer requests\n");
	olist_free(&l);
	return 0;
}
