/* Reading amendments; see amendment.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amendment.h"
#include "errors.h"
#include "log.h"
#include "ptime.h"
#include "text.h"

struct amrow {
	int64_t id, agreement, proposer;
	uint32_t revision;
	char proposer_code[PARTY_CODE_MAX + 1];
	char state[16];
	char *text, *note, *reason;	/* owned; reason NULL: none */
	int64_t created_at, forwarded_at;	/* forwarded_at 0: never */
};

static void
amrow_free(struct amrow *a)
{
	free(a->text);
	free(a->note);
	free(a->reason);
	a->text = a->note = a->reason = NULL;
}

/* 0, 1 no such amendment, -1 the store. */
static int
amrow_load(struct ag_ctx *e, int64_t id, struct amrow *a)
{
	static const char sql[] =
	    "SELECT a.agreement_id, a.proposer_id, p.code, a.revision, a.state, a.text, a.note,"
	    " a.reason, a.created_at, coalesce(a.forwarded_at, 0) "
	    "FROM amendment a JOIN party p ON p.id = a.proposer_id WHERE a.id = ?";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc, oom = 0;

	memset(a, 0, sizeof(*a));
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		a->id = id;
		a->agreement = sqlite3_column_int64(s, 0);
		a->proposer = sqlite3_column_int64(s, 1);
		snprintf(a->proposer_code, sizeof(a->proposer_code), "%s", store_col_str(s, 2));
		a->revision = (uint32_t)sqlite3_column_int64(s, 3);
		snprintf(a->state, sizeof(a->state), "%s", store_col_str(s, 4));
		oom |= (a->text = strdup(store_col_str(s, 5))) == NULL;
		oom |= (a->note = strdup(store_col_str(s, 6))) == NULL;
		if (sqlite3_column_type(s, 7) != SQLITE_NULL)
			oom |= (a->reason = strdup(store_col_str(s, 7))) == NULL;
		a->created_at = sqlite3_column_int64(s, 8);
		a->forwarded_at = sqlite3_column_int64(s, 9);
	}
	if (store_rows_end(e->st, s, rc, "an amendment") != 0 || oom) {
		amrow_free(a);
		return -1;
	}
	return rc == SQLITE_ROW ? 0 : 1;
}

/* The unified diff of a against the revision it amends, malloc'd; NULL. */
static char *
amrow_diff(struct ag_ctx *e, const struct amrow *a)
{
	char *rev = NULL, la[48], lb[48], *d;
	uint8_t hash[32];

	if (ag_load_revision(e, a->agreement, a->revision, &rev, NULL, hash, NULL) != 0)
		return NULL;
	snprintf(la, sizeof(la), "revision %u", a->revision);
	snprintf(lb, sizeof(lb), "amendment %lld", (long long)a->id);
	d = text_diff(rev, a->text, la, lb);
	free(rev);
	return d;
}

int
amendment_list(struct ag_ctx *e, int64_t id, struct out *o)
{
	static const char sql[] =
	    "SELECT a.id, a.revision, p.code, a.state, a.note, a.reason, a.created_at, a.text,"
	    " (SELECT group_concat(q.code || '=' || (CASE r.accept WHEN 1 THEN 'accept' "
	    "  ELSE 'reject' END), ' ') FROM amendment_response r JOIN party q "
	    "  ON q.id = r.party_id WHERE r.amendment_id = a.id) "
	    "FROM amendment a JOIN party p ON p.id = a.proposer_id WHERE a.agreement_id = ? "
	    "ORDER BY a.id";
	char when[PTIME_BUFLEN];
	sqlite3_stmt *s;
	struct ag a;
	int rc;

	if (ag_for_mediator(e, id, &a, o) != 0)
		return -1;
	if ((s = store_stmt(e->st, sql)) == NULL)
		return out_refuse(o, "store failure");
	sqlite3_bind_int64(s, 1, id);
	jw_arr_begin(o->json, "amendments");
	out_text(o, "%-5s %-4s %-14s %-10s %s\n", "ID", "REV", "PROPOSER", "STATE", "NOTE");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ptime_format_in(store_col_time(s, 6), a.zone, when);
		jw_obj_begin(o->json, NULL);
		jw_int(o->json, "id", sqlite3_column_int64(s, 0));
		jw_int(o->json, "revision", sqlite3_column_int64(s, 1));
		jw_str(o->json, "proposer", store_col_str(s, 2));
		jw_str(o->json, "state", store_col_str(s, 3));
		jw_str(o->json, "note", store_col_str(s, 4));
		jw_str(o->json, "reason", sqlite3_column_type(s, 5) == SQLITE_NULL ? NULL :
		    store_col_str(s, 5));
		jw_str(o->json, "created_at", when);
		jw_str(o->json, "text", store_col_str(s, 7));
		jw_str(o->json, "responses", store_col_str(s, 8));
		jw_obj_end(o->json);
		out_text(o, "%-5lld %-4lld %-14s %-10s %s%s%s\n",
		    (long long)sqlite3_column_int64(s, 0), (long long)sqlite3_column_int64(s, 1),
		    store_col_str(s, 2), store_col_str(s, 3), store_col_str(s, 4),
		    *store_col_str(s, 8) ? "  answers: " : "", store_col_str(s, 8));
	}
	if (store_rows_end(e->st, s, rc, "amendments") != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	jw_arr_end(o->json);
	out_text(o, "(parleyctl amendment show AM: its diff and the answers with their notes)\n");
	return 0;
}

/* The answers to amendment id, with their notes, as JSON and text. */
static int
show_answers(struct ag_ctx *e, int64_t id, const char *zone, struct out *o)
{
	static const char sql[] =
	    "SELECT p.code, r.accept, r.note, r.created_at FROM amendment_response r "
	    "JOIN party p ON p.id = r.party_id WHERE r.amendment_id = ? ORDER BY r.rowid";
	char when[PTIME_BUFLEN];
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc, n = 0;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	jw_arr_begin(o->json, "answers");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ptime_format_in(store_col_time(s, 3), zone, when);
		jw_obj_begin(o->json, NULL);
		jw_str(o->json, "party", store_col_str(s, 0));
		jw_bool(o->json, "accept", sqlite3_column_int(s, 1));
		jw_str(o->json, "note", store_col_str(s, 2));
		jw_str(o->json, "answered_at", when);
		jw_obj_end(o->json);
		out_text(o, "%s  %s %ss%s%s\n", n++ ? "" : "answers:\n", store_col_str(s, 0),
		    sqlite3_column_int(s, 1) ? "accept" : "reject", *store_col_str(s, 2) ? ": " : "",
		    store_col_str(s, 2));
	}
	jw_arr_end(o->json);
	if (n == 0)
		out_text(o, "answers: none yet\n");
	return store_rows_end(e->st, s, rc, "an amendment's answers");
}

int
amendment_show(struct ag_ctx *e, int64_t id, struct out *o)
{
	char when[PTIME_BUFLEN], *diff;
	struct amrow am;
	struct ag a;
	int rc;

	if ((rc = amrow_load(e, id, &am)) != 0)
		return rc < 0 ? out_refuse(o, "store failure") :
		    out_refuse(o, "no amendment %lld", (long long)id);
	if (ag_load(e, am.agreement, &a) != 0 || (diff = amrow_diff(e, &am)) == NULL) {
		amrow_free(&am);
		return out_refuse(o, "store failure");
	}
	ptime_format_in(am.created_at, a.zone, when);
	jw_int(o->json, "id", id);
	jw_int(o->json, "agreement", am.agreement);
	jw_int(o->json, "revision", am.revision);
	jw_str(o->json, "proposer", am.proposer_code);
	jw_str(o->json, "state", am.state);
	jw_str(o->json, "note", am.note);
	jw_str(o->json, "reason", am.reason);
	jw_str(o->json, "proposed_at", when);
	jw_str(o->json, "text", am.text);
	jw_str(o->json, "diff", diff);
	out_text(o, "amendment %lld to agreement %lld revision %u, proposed by %s at %s: %s\n",
	    (long long)id, (long long)am.agreement, am.revision, am.proposer_code, when,
	    am.state);
	if (am.forwarded_at) {
		ptime_format_in(am.forwarded_at, a.zone, when);
		out_text(o, "forwarded to the other parties at %s\n", when);
	}
	if (*am.note)
		out_text(o, "note: %s\n", am.note);
	if (am.reason)
		out_text(o, "rejected: %s\n", am.reason);
	rc = show_answers(e, id, a.zone, o);
	out_text(o, "\n%s", *diff ? diff : "(the same text as the revision)\n");
	free(diff);
	amrow_free(&am);
	return rc == 0 ? 0 : out_refuse(o, "store failure");
}

enum req_end
amendment_show_party(struct ag_ctx *e, const struct req *r, uint64_t id)
{
	static const char mine[] =
	    "SELECT accept, note FROM amendment_response WHERE amendment_id = ? AND party_id = ?";
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__AmendmentView v = PARLEY__AMENDMENT_VIEW__INIT;
	Parley__Amendment m = PARLEY__AMENDMENT__INIT;
	char *diff, *note = NULL;
	struct amrow am;
	sqlite3_stmt *s;
	int rc;

	rc = id > INT64_MAX ? 1 : amrow_load(e, (int64_t)id, &am);
	if (rc < 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	/* Another party's amendment only once forwarded: a member is not told
	 * of one the mediator kept, nor a non-member that it exists. */
	if (rc == 1 || ag_membership(e, am.agreement, r->who->party.id) != 1 ||
	    (am.proposer != r->who->party.id && am.forwarded_at == 0)) {
		if (rc == 0)
			amrow_free(&am);
		return req_refuse(r, PARLEY_ENOTFOUND, "no amendment %llu was proposed by or "
		    "forwarded to %s", (unsigned long long)id, r->who->party.code);
	}
	if ((diff = amrow_diff(e, &am)) == NULL || (s = store_stmt(e->st, mine)) == NULL) {
		free(diff);
		amrow_free(&am);
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	}
	sqlite3_bind_int64(s, 1, am.id);
	sqlite3_bind_int64(s, 2, r->who->party.id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v.answered = 1;
		v.accept = sqlite3_column_int(s, 0) != 0;
		note = strdup(store_col_str(s, 1));
	}
	if (store_rows_end(e->st, s, rc, "an answer") != 0 || (v.answered && note == NULL)) {
		free(note);
		free(diff);
		amrow_free(&am);
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	}
	m.id = (uint64_t)am.id;
	m.agreement = (uint64_t)am.agreement;
	m.revision = am.revision;
	m.proposer = am.proposer_code;
	m.text = am.text;
	m.note = am.note;
	m.state = am.state;
	v.amendment = &m;
	v.diff = diff;
	v.answer_note = note ? note : "";
	/* the mediator's reason for a rejection is told to the proposer alone */
	v.reason = am.reason && am.proposer == r->who->party.id ? am.reason : "";
	f.body_case = PARLEY__FRAME__BODY_AMENDMENT_VIEW;
	f.amendment_view = &v;
	req_reply(r, &f);
	free(note);
	free(diff);
	amrow_free(&am);
	return REQ_ROLLBACK;
}

enum req_end
amendment_list_party(struct ag_ctx *e, const struct req *r, uint64_t agreement)
{
	/* what amendment_show_party would show: its own, and the forwarded */
	static const char sql[] =
	    "SELECT a.id, a.revision, p.code, a.note, a.state FROM amendment a "
	    "JOIN party p ON p.id = a.proposer_id WHERE a.agreement_id = ?1 AND "
	    "(a.proposer_id = ?2 OR a.forwarded_at IS NOT NULL) ORDER BY a.id LIMIT ?3";
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__AmendmentList l = PARLEY__AMENDMENT_LIST__INIT;
	Parley__Amendment *m = NULL, **mp = NULL;
	char **strs = NULL;
	size_t n = 0, i;
	sqlite3_stmt *s;
	int rc = SQLITE_DONE, refused = 0;

	if (agreement > INT64_MAX ||
	    ag_membership(e, (int64_t)agreement, r->who->party.id) != 1)
		return req_refuse(r, PARLEY_ENOTFOUND, "%s signs no agreement %llu",
		    r->who->party.code, (unsigned long long)agreement);
	if ((s = store_stmt(e->st, sql)) == NULL ||
	    (m = calloc(AMENDMENT_LIST_MAX, sizeof(*m))) == NULL ||
	    (mp = calloc(AMENDMENT_LIST_MAX, sizeof(*mp))) == NULL ||
	    (strs = calloc(3 * AMENDMENT_LIST_MAX, sizeof(*strs))) == NULL) {
		free(m);
		free(mp);
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	}
	sqlite3_bind_int64(s, 1, (int64_t)agreement);
	sqlite3_bind_int64(s, 2, r->who->party.id);
	sqlite3_bind_int(s, 3, AMENDMENT_LIST_MAX + 1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == AMENDMENT_LIST_MAX) {
			refused = 1;
			break;
		}
		parley__amendment__init(&m[n]);
		m[n].id = (uint64_t)sqlite3_column_int64(s, 0);
		m[n].agreement = agreement;
		m[n].revision = (uint32_t)sqlite3_column_int(s, 1);
		strs[3 * n] = strdup(store_col_str(s, 2));
		strs[3 * n + 1] = strdup(store_col_str(s, 3));
		strs[3 * n + 2] = strdup(store_col_str(s, 4));
		m[n].proposer = strs[3 * n];
		m[n].note = strs[3 * n + 1];
		m[n].state = strs[3 * n + 2];
		m[n].text = "";
		mp[n] = &m[n];
		n++;
		if (strs[3 * n - 3] == NULL || strs[3 * n - 2] == NULL || strs[3 * n - 1] == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	if (store_rows_end(e->st, s, rc == SQLITE_ROW ? SQLITE_DONE : rc, "amendments") != 0)
		req_refuse(r, PARLEY_ESTORE, "store failure");
	else if (refused)
		req_refuse(r, PARLEY_EREFUSED, "agreement %llu has more than %d amendments this "
		    "party may read; ask for each (parley amendment show AM)",
		    (unsigned long long)agreement, AMENDMENT_LIST_MAX);
	else {
		l.n_amendments = n;
		l.amendments = mp;
		f.body_case = PARLEY__FRAME__BODY_AMENDMENT_LIST;
		f.amendment_list = &l;
		req_reply(r, &f);
	}
	for (i = 0; i < 3 * n; i++)
		free(strs[i]);
	free(strs);
	free(mp);
	free(m);
	return REQ_ROLLBACK;
}
