#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "errors.h"
#include "fault.h"
#include "log.h"
#include "sign.h"
#include "text.h"
#include "timeline.h"

#define MEASURES_MAX 200
#define DESC_MAX 300
#define NOTE_MAX 500

static void
lead_text(int64_t secs, char *buf, size_t n)
{
	ptime_format_duration(secs, buf, n);
}

/* The timers of a signing deadline: a reminder at each lead time still
 * ahead, and the deadline itself.  The one place they are scheduled, at
 * circulation and when the mediator moves the deadline. */
static int
schedule_signing(struct ag_ctx *e, int64_t agreement, int64_t sign_by)
{
	int64_t now = clock_now(e->clk);
	size_t i;

	for (i = 0; i < e->sign_leads.n; i++) {
		int64_t t = sign_by - e->sign_leads.s[i];
		if (t > now && ag_timer_add(e, agreement, 0, "sign-reminder", t, sign_by, 0) != 0)
			return -1;
	}
	return ag_timer_add(e, agreement, 0, "deadline", sign_by, sign_by, 0);
}

int
timeline_on_circulate(struct ag_ctx *e, const struct ag *a)
{
	if (a->sign_by == 0)
		return 0;
	return schedule_signing(e, a->id, a->sign_by);
}

int
timeline_validity_term(const char *valid_for, const char *valid_until, const char *zone,
    char *term, size_t termlen, char *why, size_t whylen)
{
	char utc[PTIME_BUFLEN];
	int64_t d, t;

	term[0] = '\0';
	if (valid_for != NULL && valid_until != NULL) {
		snprintf(why, whylen, "give --valid-for or --valid-until, not both");
		return -1;
	}
	if (valid_for != NULL) {
		if (ptime_parse_duration(valid_for, &d) != 0) {
			snprintf(why, whylen, "--valid-for takes a duration such as 10d or 72h");
			return -1;
		}
		snprintf(term, termlen, "for %llds", (long long)d);
		return 0;
	}
	if (valid_until == NULL)
		return 0;
	/* A date alone means the end of that day in the agreement's zone, as
	 * "inclusive" did, whatever the daemon's TZ. */
	if (ptime_parse_in(valid_until, zone, &t) != 0) {
		snprintf(why, whylen, "--valid-until takes an ISO 8601 time with an offset, or a "
		    "date (the end of that day in the agreement's zone)");
		return -1;
	}
	ptime_format_utc(t, utc);
	snprintf(term, termlen, "until %s", utc);
	return 0;
}

/* When a released agreement expires under its validity term (0: never). */
static int64_t
expiry_of(const struct ag *a)
{
	long long secs;

	if (sscanf(a->validity, "for %llds", &secs) == 1)
		return a->effective_at + secs;
	return ag_term_until(a->validity);
}

static int
schedule_expiry(struct ag_ctx *e, int64_t agreement, int64_t exp)
{
	int64_t now = clock_now(e->clk);
	size_t i;

	for (i = 0; i < e->expiry_leads.n; i++) {
		int64_t t = exp - e->expiry_leads.s[i];
		if (t > now && ag_timer_add(e, agreement, 0, "expiry-warning", t, exp, 0) != 0)
			return -1;
	}
	return ag_timer_add(e, agreement, 0, "expiry", exp, exp, 0);
}

/* An extension released before its original expires carries the original's
 * validity on to its own end, up the whole chain; one released after does
 * not resurrect it. */
static int
extend_chain(struct ag_ctx *e, const struct ag *a)
{
	char until[PTIME_BUFLEN], msg[300];
	int64_t oid = a->extends_id;
	struct ag o;
	int hops = 0;

	if (a->expires_at)
		ptime_format_in(a->expires_at, a->zone, until);
	else
		snprintf(until, sizeof(until), "open-ended");
	while (oid != 0 && hops++ < 64) {
		if (ag_load(e, oid, &o) != 0)
			return -1;
		if (o.state != AG_RELEASED && o.state != AG_IN_FORCE) {
			ag_event(e, a->id, "not-extended", "released after agreement %lld was %s: "
			    "it did not extend it", (long long)oid, lifecycle_state_name(o.state));
			ag_event(e, oid, "not-extended", "agreement %lld was released after this "
			    "one was %s; it did not extend it", (long long)a->id,
			    lifecycle_state_name(o.state));
			return 0;
		}
		if (ag_set_expiry(e, oid, a->expires_at) != 0 ||
		    (a->expires_at && schedule_expiry(e, oid, a->expires_at) != 0))
			return -1;
		ag_event(e, oid, "extended", "extended by agreement %lld until %s, with no gap",
		    (long long)a->id, until);
		ag_event(e, a->id, "extends", "extends agreement %lld until %s", (long long)oid,
		    until);
		snprintf(msg, sizeof(msg), "agreement %lld is extended by agreement %lld until %s",
		    (long long)oid, (long long)a->id, until);
		if (ag_tell(e, oid, 1, 0, "extended", msg) != 0)
			return -1;
		oid = o.extends_id;
	}
	return 0;
}

static int64_t
resolve_x(const struct ag *a)
{
	if (strcmp(a->dayx_mode, "time") == 0)
		return a->dayx_at;
	if (strcmp(a->dayx_mode, "on-release") == 0)
		return a->released_at;
	if (strcmp(a->dayx_mode, "on-effect") == 0)
		return a->released_at ? a->effective_at : 0;
	return 0;
}

/* X is known: give every measure its due time and its timers. */
static int
bind_measures(struct ag_ctx *e, const struct ag *a, int64_t x)
{
	static const char *const measure_timers[] = { "measure-reminder", "measure-due", NULL };
	static const char list[] = "SELECT number, offset_s FROM measure WHERE agreement_id = ?";
	static const char upd[] =
	    "UPDATE measure SET due_at = ? WHERE agreement_id = ? AND number = ?";
	int64_t now = clock_now(e->clk), nums[MEASURES_MAX], offs[MEASURES_MAX];
	sqlite3_stmt *s;
	size_t n = 0, i, k;
	int rc;

	if (ag_timer_cancel(e, a->id, measure_timers) != 0 ||
	    (s = store_stmt(e->st, list)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, a->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < MEASURES_MAX) {
		nums[n] = sqlite3_column_int64(s, 0);
		offs[n++] = sqlite3_column_int64(s, 1);
	}
	/* A measure not read would keep no due time and never fall due. */
	if (store_rows_end(e->st, s, rc, "measures") != 0)
		return -1;
	for (i = 0; i < n; i++) {
		int64_t due = x + offs[i];
		if ((s = store_stmt(e->st, upd)) == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, due);
		sqlite3_bind_int64(s, 2, a->id);
		sqlite3_bind_int64(s, 3, nums[i]);
		rc = store_step_done(e->st, s);
		if (rc != 0)
			return -1;
		for (k = 0; k < e->sign_leads.n; k++) {
			int64_t t = due - e->sign_leads.s[k];
			if (t > now && ag_timer_add(e, a->id, 0, "measure-reminder", t, due,
			    (int)nums[i]) != 0)
				return -1;
		}
		if (ag_timer_add(e, a->id, 0, "measure-due", due, due, (int)nums[i]) != 0)
			return -1;
	}
	return 0;
}

int
timeline_on_release(struct ag_ctx *e, struct ag *a)
{
	char when[PTIME_BUFLEN];
	int64_t exp = expiry_of(a), x;

	if (exp) {
		if (ag_set_expiry(e, a->id, exp) != 0 || schedule_expiry(e, a->id, exp) != 0)
			return -1;
		a->expires_at = exp;
	}
	if (a->effective_at > a->released_at &&
	    ag_timer_add(e, a->id, 0, "effect", a->effective_at, a->effective_at, 0) != 0)
		return -1;
	if (a->extends_id && extend_chain(e, a) != 0)
		return -1;
	if (a->reaffirms_id) {
		ptime_format_in(a->released_at, a->zone, when);
		if (ag_event(e, a->reaffirms_id, "reaffirmed", "reaffirmed by agreement %lld "
		    "on %s", (long long)a->id, when) != 0)
			return -1;
	}
	if ((x = resolve_x(a)) != 0 && bind_measures(e, a, x) != 0)
		return -1;
	return 0;
}

/* ---- measures ---- */

struct measure {
	int number;
	int64_t offset_s, due_at;
	char offset[32];
	char party[PARTY_CODE_MAX + 1];
	char desc[DESC_MAX + 1];
	int needs_confirm;
};

static int
load_measure(struct ag_ctx *e, int64_t agreement, int number, struct measure *m)
{
	static const char sql[] =
	    "SELECT number, offset_s, offset, party, description, needs_confirm, due_at "
	    "FROM measure WHERE agreement_id = ? AND number = ?";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int(s, 2, number);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		m->number = sqlite3_column_int(s, 0);
		m->offset_s = sqlite3_column_int64(s, 1);
		snprintf(m->offset, sizeof(m->offset), "%s", store_col_str(s, 2));
		snprintf(m->party, sizeof(m->party), "%s", store_col_str(s, 3));
		snprintf(m->desc, sizeof(m->desc), "%s", store_col_str(s, 4));
		m->needs_confirm = sqlite3_column_int(s, 5);
		m->due_at = store_col_time(s, 6);
	}
	if (store_rows_end(e->st, s, rc, "a measure") != 0)
		return -1;
	return rc == SQLITE_ROW ? 0 : 1;
}

/* Has every responsible party confirmed: the party, every signing party
 * (all), or the mediator?  1 yes, 0 no, -1 store failure. */
static int
complete(struct ag_ctx *e, int64_t agreement, const struct measure *m)
{
	static const char one[] =
	    "SELECT count(*) FROM measure_confirmation c JOIN party p ON p.id = c.party_id "
	    "WHERE c.agreement_id = ? AND c.number = ? AND p.code = ?";
	static const char all[] =
	    "SELECT NOT EXISTS (SELECT 1 FROM agreement_party ap WHERE ap.agreement_id = ?1 "
	    "AND ap.observer = 0 AND NOT EXISTS (SELECT 1 FROM measure_confirmation c "
	    "WHERE c.agreement_id = ?1 AND c.number = ?2 AND c.party_id = ap.party_id))";
	static const char med[] =
	    "SELECT count(*) FROM measure_confirmation WHERE agreement_id = ? AND number = ? "
	    "AND party_id IS NULL";
	const char *sql = one;
	sqlite3_stmt *s;
	int rc, done = 0;

	if (strcmp(m->party, "all") == 0)
		sql = all;
	else if (strcmp(m->party, "mediator") == 0)
		sql = med;
	if ((s = store_stmt(e->st, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int(s, 2, m->number);
	if (sql == one)
		sqlite3_bind_text(s, 3, m->party, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		done = sqlite3_column_int(s, 0) > 0;
	/* An error is not "unconfirmed": that would flag a measure overdue. */
	if (store_rows_end(e->st, s, rc, "measure confirmations") != 0)
		return -1;
	return done;
}

/* Has party confirmed measure m?  1 yes, 0 no, -1 store failure. */
static int
confirmed_by(struct ag_ctx *e, int64_t agreement, const struct measure *m, int64_t party)
{
	static const char sql[] =
	    "SELECT count(*) FROM measure_confirmation WHERE agreement_id = ? AND number = ? "
	    "AND party_id = ?";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc, done = 0;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int(s, 2, m->number);
	sqlite3_bind_int64(s, 3, party);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		done = sqlite3_column_int(s, 0) > 0;
	if (store_rows_end(e->st, s, rc, "a party's confirmation") != 0)
		return -1;
	return done;
}

/* One confirmation of a measure, and room for how a party is sent it. */
struct conf {
	int number;
	int64_t at;
	char party[PARTY_CODE_MAX + 1];	/* or "mediator" */
	char note[NOTE_MAX + 1];
	char at_text[PTIME_BUFLEN];
	Parley__MeasureConfirmation msg;
};

/* The confirmations of measure number of an agreement (number 0: of every
 * measure, by number), oldest first, into *out (caller frees) and *n.  0,
 * or -1 on a store failure or out of memory (*out NULL). */
static int
load_confs(struct ag_ctx *e, int64_t agreement, int number, struct conf **out, size_t *n)
{
	static const char count[] =
	    "SELECT count(*) FROM measure_confirmation WHERE agreement_id = ?1 "
	    "AND (?2 = 0 OR number = ?2)";
	static const char sql[] =
	    "SELECT c.number, ifnull(p.code, 'mediator'), c.confirmed_at, c.note,"
	    " (SELECT g.zone FROM agreement g WHERE g.id = c.agreement_id) "
	    "FROM measure_confirmation c LEFT JOIN party p ON p.id = c.party_id "
	    "WHERE c.agreement_id = ?1 AND (?2 = 0 OR c.number = ?2) "
	    "ORDER BY c.number, c.confirmed_at, c.rowid";
	struct conf *c;
	size_t total = 0, k = 0;
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	*n = 0;
	if ((s = store_stmt(e->st, count)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int(s, 2, number);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		total = (size_t)sqlite3_column_int64(s, 0);
	/* A list cut short would show a party as not having confirmed. */
	if (store_rows_end(e->st, s, rc, "a measure's confirmations") != 0)
		return -1;
	if ((c = calloc(total ? total : 1, sizeof(*c))) == NULL)
		return -1;
	if ((s = store_stmt(e->st, sql)) == NULL) {
		free(c);
		return -1;
	}
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int(s, 2, number);
	while (k < total && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		c[k].number = sqlite3_column_int(s, 0);
		snprintf(c[k].party, sizeof(c[k].party), "%s", store_col_str(s, 1));
		c[k].at = sqlite3_column_int64(s, 2);
		snprintf(c[k].note, sizeof(c[k].note), "%s", store_col_str(s, 3));
		ptime_format_in(c[k].at, store_col_str(s, 4), c[k].at_text);
		k++;
	}
	/* The count was read in this transaction: the rows are all there. */
	if (k == total)
		rc = sqlite3_step(s);
	if (store_rows_end(e->st, s, rc, "a measure's confirmations") != 0) {
		free(c);
		return -1;
	}
	*out = c;
	*n = k;
	return 0;
}

/* The parties still to confirm measure m (none for the mediator's, and
 * none once complete).  0, or -1 on a store failure. */
static int
awaiting(struct ag_ctx *e, const struct ag *a, const struct measure *m, struct ag_members *w)
{
	struct ag_members mem;
	size_t i;
	int rc;

	w->n = 0;
	if (!m->needs_confirm || strcmp(m->party, "mediator") == 0)
		return 0;
	if (ag_load_members(e, a->id, 0, &mem) != 0)
		return -1;
	for (i = 0; i < mem.n; i++) {
		if (strcmp(m->party, "all") != 0 && strcmp(m->party, mem.code[i]) != 0)
			continue;
		if ((rc = confirmed_by(e, a->id, m, mem.id[i])) < 0)
			return -1;
		if (rc == 0) {
			w->id[w->n] = mem.id[i];
			snprintf(w->code[w->n], sizeof(w->code[0]), "%s", mem.code[i]);
			w->n++;
		}
	}
	return 0;
}

/* The codes of w, comma-separated, into buf. */
static void
codes_text(const struct ag_members *w, char *buf, size_t n)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < w->n && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "", w->code[i]);
}

/* A measure's status, or NULL on a store failure.  viewer 0 is the
 * mediator (an "all" measure is confirmed once every party has); a party
 * sees an "all" measure as it stands itself: confirmed once it has, and
 * overdue only while its own confirmation is missing. */
static const char *
measure_status(struct ag_ctx *e, const struct ag *a, const struct measure *m, int64_t viewer)
{
	int done;

	if (m->due_at == 0)
		return "conditional";
	if (m->needs_confirm || strcmp(m->party, "mediator") == 0) {
		if (viewer != 0 && strcmp(m->party, "all") == 0)
			done = confirmed_by(e, a->id, m, viewer);
		else
			done = complete(e, a->id, m);
		if (done != 0)
			return done < 0 ? NULL : "confirmed";
	}
	if (m->due_at <= clock_now(e->clk))
		return m->needs_confirm ? "overdue" : "due";
	return "pending";
}

/* Tell the parties a measure concerns (the mediator reads the log): its
 * party, or every signing party for "all" (only those in w when w is not
 * NULL: the ones still to confirm). */
static int
tell_responsible(struct ag_ctx *e, const struct ag *a, const struct measure *m,
    const struct ag_members *w, const char *event, const char *text)
{
	struct party p;
	size_t i;

	if (strcmp(m->party, "mediator") == 0) {
		log_info("agreement %lld: measure %d (mediator): %s", (long long)a->id, m->number,
		    text);
		return 0;
	}
	if (strcmp(m->party, "all") == 0) {
		if (w == NULL)
			return ag_tell(e, a->id, 0, 0, event, text);
		for (i = 0; i < w->n; i++)
			if (ag_send_update(e, w->id[i], a->id, 0, event, text) != 0)
				return -1;
		return 0;
	}
	if (registry_party_by_code(e->st, m->party, &p) != 0)
		return -1;
	return ag_send_update(e, p.id, a->id, 0, event, text);
}

/* ---- timers ---- */

/* One signing party's reminder at time now, of its own copy only:
 * "sign-reminder" if its copy of the current revision is still due, else
 * in_event (its copy is in).  *message: the message's id (NULL: not wanted); *due (NULL: not
 * wanted): whether its copy was due.  0, or -1. */
static int
remind_party(struct ag_ctx *e, const struct ag *a, int64_t now, int64_t party,
    const char *in_event, int64_t *message, int *due)
{
	char msg[600], when[PTIME_BUFLEN], lead[64], term[PTIME_BUFLEN + 100];
	int64_t t;
	int pending;

	if (ag_valid_copy(e, a->id, party, a->revision, &t) != 0)
		return -1;
	pending = t == 0;
	if (due != NULL)
		*due = pending;
	if (a->sign_by) {
		ptime_format_in(a->sign_by, a->zone, when);
		lead_text(a->sign_by - now, lead, sizeof(lead));
		snprintf(term, sizeof(term), " must be signed by %s (in %s)", when, lead);
	} else {
		snprintf(term, sizeof(term), " awaits every party's signature");
	}
	snprintf(msg, sizeof(msg), "%sagreement %lld \"%s\"%s; %s revision %u",
	    pending ? "reminder: " : "", (long long)a->id, a->title, term,
	    pending ? "you have not signed" : "your signed copy is in for", a->revision);
	return ag_send_update_id(e, party, a->id, 0, pending ? "sign-reminder" : in_event, msg,
	    message);
}

/* A reminder of the signing deadline, to every signing party. */
static int
fire_sign_reminder(struct ag_ctx *e, const struct ag *a, const struct ag_timer *t)
{
	struct ag_members m;
	int64_t ended;
	size_t i;
	int rc;

	if (a->state != AG_CIRCULATING || a->sign_by != t->ref)
		return 0;
	/* A stranded extension is signed by nobody, so nobody is reminded. */
	if ((rc = ag_stranded(e, a, &ended)) != 0)
		return rc < 0 ? -1 : 0;
	if (ag_load_members(e, a->id, 0, &m) != 0)
		return -1;
	/* Every signing party hears of the deadline, each of its own
	 * copy only: were only those who have not signed told, the
	 * delivery ids (one sequence for all) of a party's reminders
	 * would count the others who have (invariant 2). */
	for (i = 0; i < m.n; i++)
		if (remind_party(e, a, t->due, m.id[i], "sign-deadline", NULL, NULL) != 0)
			return -1;
	return 0;
}

/* The signing deadline: a circulating agreement lapses. */
static int
fire_deadline(struct ag_ctx *e, const struct ag *a, const struct ag_timer *t)
{
	char msg[600], when[PTIME_BUFLEN];
	enum ag_state next;
	const char *why;

	if (a->sign_by != t->ref || lifecycle_next(a->state, EV_DEADLINE, &next, &why) != 0)
		return 0;
	ptime_format_in(t->due, a->zone, when);
	snprintf(msg, sizeof(msg), "agreement %lld \"%s\" lapsed: its signing deadline %s "
	    "passed before every party had signed; it can never be released",
	    (long long)a->id, a->title, when);
	if (ag_set_state(e, a->id, next, t->due) != 0 ||
	    ag_event(e, a->id, "lapsed", "signing deadline %s passed", when) != 0)
		return -1;
	return ag_tell(e, a->id, 0, 0, "lapsed", msg);
}

/* The agreement takes effect. */
static int
fire_effect(struct ag_ctx *e, const struct ag *a, const struct ag_timer *t)
{
	char msg[600], when[PTIME_BUFLEN];
	enum ag_state next;
	const char *why;

	/* Released with its effect ahead; in force now.  (Before the state
	 * released existed, the agreement was in force from release.) */
	if (a->state != AG_RELEASED && a->state != AG_IN_FORCE)
		return 0;
	if (a->state == AG_RELEASED && (lifecycle_next(a->state, EV_EFFECT, &next, &why) != 0 ||
	    ag_set_state(e, a->id, next, 0) != 0))
		return -1;
	ptime_format_in(t->due, a->zone, when);
	snprintf(msg, sizeof(msg), "agreement %lld \"%s\" is in effect from %s",
	    (long long)a->id, a->title, when);
	if (ag_event(e, a->id, "in-effect", "in effect from %s", when) != 0)
		return -1;
	return ag_tell(e, a->id, 1, 0, "in-effect", msg);
}

#define EXTENSIONS_MAX 16

/* Whether a released extension carries a on (its chain's notices are the
 * newest extension's): 1 yes, 0 no, -1 store failure. */
static int
carried_on(struct ag_ctx *e, const struct ag *a)
{
	int64_t ids[EXTENSIONS_MAX];
	enum ag_state st[EXTENSIONS_MAX];
	size_t n, i;

	if (ag_extensions(e, a->id, ids, st, EXTENSIONS_MAX, &n) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (lifecycle_was_released(st[i]))
			return 1;
	return 0;
}

/* How a notice names a's chain: "agreement 5 \"T\"" and, for an extension,
 * " (extending agreement 3, itself extending agreement 1)". */
static void
chain_name(struct ag_ctx *e, const struct ag *a, char *buf, size_t len)
{
	struct ag o;
	int64_t oid = a->extends_id;
	size_t k;
	int hops = 0;

	snprintf(buf, len, "agreement %lld \"%s\"", (long long)a->id, a->title);
	while (oid != 0 && hops < 8 && ag_load(e, oid, &o) == 0 &&
	    lifecycle_was_released(o.state)) {
		k = strlen(buf);
		snprintf(buf + k, len - k, hops == 0 ? " (extending agreement %lld" :
		    ", itself extending agreement %lld", (long long)oid);
		hops++;
		oid = o.extends_id;
	}
	if (hops) {
		k = strlen(buf);
		snprintf(buf + k, len - k, ")");
	}
}

/* a expired: the extensions of it still circulating (or drafts) can no
 * longer extend it.  Each is marked in its chronology and its parties are
 * told; signing one is refused from now on (engine.c). */
static int
strand_extensions(struct ag_ctx *e, const struct ag *a, const char *when)
{
	int64_t ids[EXTENSIONS_MAX];
	enum ag_state st[EXTENSIONS_MAX];
	char msg[400];
	size_t n, i;

	if (ag_extensions(e, a->id, ids, st, EXTENSIONS_MAX, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (st[i] != AG_CIRCULATING && st[i] != AG_DRAFT)
			continue;
		if (ag_event(e, ids[i], "cannot-extend", "agreement %lld expired at %s before "
		    "this extension was released: it can no longer extend it", (long long)a->id,
		    when) != 0)
			return -1;
		snprintf(msg, sizeof(msg), "agreement %lld can no longer extend agreement %lld, "
		    "which expired at %s: it will not be released as it stands; the mediator may "
		    "create it again as a new agreement", (long long)ids[i], (long long)a->id,
		    when);
		if (st[i] == AG_CIRCULATING && ag_tell(e, ids[i], 1, 0, "cannot-extend", msg) != 0)
			return -1;
	}
	return 0;
}

/* A warning before expiry. */
static int
fire_expiry_warning(struct ag_ctx *e, const struct ag *a, const struct ag_timer *t)
{
	char msg[600], when[PTIME_BUFLEN], lead[64];

	char name[300];
	int rc;

	if ((a->state != AG_RELEASED && a->state != AG_IN_FORCE) || a->expires_at != t->ref)
		return 0;
	/* One warning per chain: the newest extension's, naming the chain. */
	if ((rc = carried_on(e, a)) != 0)
		return rc < 0 ? -1 : 0;
	chain_name(e, a, name, sizeof(name));
	ptime_format_in(t->ref, a->zone, when);
	lead_text(t->ref - t->due, lead, sizeof(lead));
	snprintf(msg, sizeof(msg), "%s expires at %s (in %s) unless an extension is released "
	    "before then", name, when, lead);
	return ag_tell(e, a->id, 1, 0, "expiry-warning", msg);
}

/* The agreement expires. */
static int
fire_expiry(struct ag_ctx *e, const struct ag *a, const struct ag_timer *t)
{
	char msg[600], when[PTIME_BUFLEN];
	enum ag_state next;
	const char *why;

	char name[300];
	int rc;

	if (a->expires_at != t->ref || lifecycle_next(a->state, EV_EXPIRE, &next, &why) != 0)
		return 0;
	ptime_format_in(t->due, a->zone, when);
	if (ag_set_state(e, a->id, next, t->due) != 0 ||
	    ag_event(e, a->id, "expired", "expired at %s", when) != 0 ||
	    strand_extensions(e, a, when) != 0)
		return -1;
	/* One notice per chain: the newest extension's, naming the chain. */
	if ((rc = carried_on(e, a)) != 0)
		return rc < 0 ? -1 : 0;
	chain_name(e, a, name, sizeof(name));
	snprintf(msg, sizeof(msg), "%s expired at %s", name, when);
	return ag_tell(e, a->id, 1, 0, "expired", msg);
}

/* A measure's reminder, or its t->due time (overdue when it needs confirming). */
static int
fire_measure(struct ag_ctx *e, const struct ag *a, const struct ag_timer *t)
{
	char msg[1200], when[PTIME_BUFLEN], lead[64], who[64 * (PARTY_CODE_MAX + 2)];
	struct ag_members w;
	struct measure ms;
	int rc;

	if (a->state == AG_WITHDRAWN || a->state == AG_LAPSED)
		return 0;
	/* A store failure fails the timer, to run again: read as "gone"
	 * or "confirmed" it would be spent without a word. */
	if ((rc = load_measure(e, a->id, t->number, &ms)) < 0)
		return -1;
	if (rc == 1 || ms.due_at != t->ref)
		return 0;	/* rebound since */
	if ((ms.needs_confirm || strcmp(ms.party, "mediator") == 0) &&
	    (rc = complete(e, a->id, &ms)) != 0)
		return rc < 0 ? -1 : 0;
	/* Of an "all" measure, only the parties still to confirm hear of it. */
	if (ms.needs_confirm && awaiting(e, a, &ms, &w) != 0)
		return -1;
	ptime_format_in(ms.due_at, a->zone, when);
	if (strcmp(t->kind, "measure-reminder") == 0) {
		lead_text(ms.due_at - t->due, lead, sizeof(lead));
		snprintf(msg, sizeof(msg), "agreement %lld measure %d (%s) is due at %s "
		    "(in %s): %s", (long long)a->id, ms.number, ms.offset, when, lead, ms.desc);
		return tell_responsible(e, a, &ms, ms.needs_confirm ? &w : NULL,
		    "measure-reminder", msg);
	}
	if (!ms.needs_confirm) {
		snprintf(msg, sizeof(msg), "agreement %lld measure %d (%s) is due now: %s",
		    (long long)a->id, ms.number, ms.offset, ms.desc);
		return tell_responsible(e, a, &ms, NULL, "measure-due", msg);
	}
	if (strcmp(ms.party, "all") == 0)
		codes_text(&w, who, sizeof(who));
	else
		snprintf(who, sizeof(who), "%s", ms.party);
	snprintf(msg, sizeof(msg), "agreement %lld measure %d (%s) is OVERDUE since %s and "
	    "not confirmed by %s: %s", (long long)a->id, ms.number, ms.offset, when,
	    who, ms.desc);
	log_warnx("%s", msg);	/* the mediator's flag; also in timeline show */
	if (ag_event(e, a->id, "overdue", "measure %d (%s) overdue, not confirmed by %s: %s",
	    ms.number, ms.offset, who, ms.desc) != 0)
		return -1;
	return tell_responsible(e, a, &ms, &w, "overdue", msg);
}

/* The timer kinds of an agreement and who fires each. */
static const struct {
	const char *kind;
	int (*fire)(struct ag_ctx *, const struct ag *, const struct ag_timer *);
} fires[] = {
	{ "sign-reminder", fire_sign_reminder },
	{ "deadline", fire_deadline },
	{ "effect", fire_effect },
	{ "expiry-warning", fire_expiry_warning },
	{ "expiry", fire_expiry },
	{ "measure-reminder", fire_measure },
	{ "measure-due", fire_measure },
};

int
timeline_fire(struct ag_ctx *e, const struct ag_timer *t)
{
	struct ag a;
	size_t i;

	if (ag_load(e, t->agreement, &a) != 0)
		return -1;
	for (i = 0; i < sizeof(fires) / sizeof(fires[0]); i++)
		if (strcmp(t->kind, fires[i].kind) == 0)
			return fires[i].fire(e, &a, t);
	log_warnx("timer of unknown kind \"%s\" ignored", t->kind);
	return 0;
}

/* ---- corrections in flight: the deadline moved, a reminder now ---- */

int
timeline_deadline(struct ag_ctx *e, int64_t id, const char *when, struct out *o)
{
	static const char *const signing_timers[] = { "sign-reminder", "deadline", NULL };
	char was[PTIME_BUFLEN], to[PTIME_BUFLEN], msg[600];
	int64_t t, now = clock_now(e->clk);
	struct ag_members m;
	struct ag a;

	if (ag_for_mediator(e, id, &a, o) != 0)
		return -1;
	if (ptime_parse_in(when, a.zone, &t) != 0)
		return out_usage(o, "TIME must be ISO 8601 with an offset, e.g. "
		    "1994-05-11T18:00:00+04:00, or a date (the end of that day)");
	if (a.state != AG_CIRCULATING)
		return out_refuse(o, "cannot change the signing deadline of agreement %lld: it is "
		    "%s", (long long)id, lifecycle_state_name(a.state));
	if (a.sign_by && a.sign_by <= now) {
		ptime_format_in(a.sign_by, a.zone, was);
		return out_refuse(o, "cannot change the signing deadline of agreement %lld: it "
		    "passed at %s", (long long)id, was);
	}
	ptime_format_in(t, a.zone, to);
	if (t <= now)
		return out_refuse(o, "the new signing deadline %s is not in the future", to);
	/* The terms create_sane checks, checked again for the new deadline. */
	if (ag_term_until(a.validity) && t >= ag_term_until(a.validity)) {
		ptime_format_in(ag_term_until(a.validity), a.zone, was);
		return out_refuse(o, "the new signing deadline %s is not before the validity ends "
		    "(%s)", to, was);
	}
	if (ag_term_effective(a.effective) && t > ag_term_effective(a.effective)) {
		ptime_format_in(ag_term_effective(a.effective), a.zone, was);
		return out_refuse(o, "the new signing deadline %s is after the effective time %s: "
		    "the parties could sign after it was meant to take effect", to, was);
	}
	if (t == a.sign_by)
		return out_refuse(o, "agreement %lld must already be signed by %s; nothing "
		    "changed", (long long)id, to);
	if (a.sign_by)
		ptime_format_in(a.sign_by, a.zone, was);
	else
		snprintf(was, sizeof(was), "none");
	/* The old deadline's timers go; the new ones are those circulation
	 * would have scheduled for it (fire_* also ignore a timer whose ref
	 * is not the current deadline). */
	if (ag_set_sign_by(e, id, t) != 0 || ag_timer_cancel(e, id, signing_timers) != 0 ||
	    schedule_signing(e, id, t) != 0 || ag_load_members(e, id, 0, &m) != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	if (ag_event(e, id, "deadline-changed", "signing deadline %s, was %s", to, was) != 0)
		return out_refuse(o, "store failure: journal");
	/* Every signing party, the same words: nothing of anyone's copy. */
	snprintf(msg, sizeof(msg), "the signing deadline of agreement %lld \"%s\" is now %s "
	    "(it was %s); revision %u", (long long)id, a.title, to, was, a.revision);
	if (ag_tell(e, id, 0, 0, "deadline-changed", msg) != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	jw_int(o->json, "id", id);
	jw_str(o->json, "sign_by", to);
	if (a.sign_by)
		jw_str(o->json, "previous_sign_by", was);
	else
		jw_null(o->json, "previous_sign_by");
	jw_int(o->json, "parties_told", (int64_t)m.n);
	out_text(o, "agreement %lld must now be signed by %s (was %s); %zu signing part%s told\n",
	    (long long)id, to, was, m.n, m.n == 1 ? "y" : "ies");
	return 0;
}

/* A journal hash no one can compute: it only makes an entry whose other
 * bytes could be guessed impossible to try against a proof's hashes. */
static int
unguessable(uint8_t h[32])
{
	uint8_t nonce[32];

	if (crypto_random(nonce, sizeof(nonce)) != 0)
		return -1;
	return crypto_sha256(nonce, sizeof(nonce), h);
}

int
timeline_remind(struct ag_ctx *e, int64_t id, const char *const *parties, size_t n,
    struct out *o)
{
	struct ag_members m;
	int64_t now = clock_now(e->clk), mid = 0;
	int pick[64] = { 0 }, due = 0;
	uint8_t h[32];
	size_t i, k, told = 0;
	struct ag a;
	int64_t ended;

	if (ag_for_mediator(e, id, &a, o) != 0)
		return -1;
	if (a.state != AG_CIRCULATING)
		return out_refuse(o, "cannot remind the parties of agreement %lld: it is %s",
		    (long long)id, lifecycle_state_name(a.state));
	if (ag_stranded(e, &a, &ended) != 0)
		return out_refuse(o, "cannot remind the parties of agreement %lld: it can no longer "
		    "extend agreement %lld, which expired before it was released",
		    (long long)id, (long long)a.extends_id);
	if (ag_load_members(e, id, 0, &m) != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	for (k = 0; k < n; k++) {
		for (i = 0; i < m.n && strcmp(m.code[i], parties[k]) != 0; i++)
			;
		if (i == m.n)
			return out_refuse(o, "\"%s\" is not a signing party of agreement %lld",
			    parties[k], (long long)id);
		pick[i] = 1;
	}
	jw_int(o->json, "id", id);
	jw_int(o->json, "revision", a.revision);
	jw_arr_begin(o->json, "reminded");
	for (i = 0; i < m.n; i++) {
		if (n > 0 && !pick[i])
			continue;
		/* Each named party is told of its own copy, signed or not.
		 * Its journal entry names it, and record.c keeps it from the
		 * others until release: whom the mediator reminds says who
		 * has signed. */
		if (remind_party(e, &a, now, m.id[i], "copy-in", &mid, &due) != 0 ||
		    unguessable(h) != 0 || ag_event_party(e, id, m.code[i], h, "sign-reminded",
		    "%s reminded (message %lld), revision %u %s", m.code[i], (long long)mid,
		    a.revision, due ? "not signed" : "signed") != 0)
			return out_refuse(o, "store failure: %s", store_errmsg(e->st));
		jw_obj_begin(o->json, NULL);
		jw_str(o->json, "party", m.code[i]);
		jw_int(o->json, "message", mid);
		jw_bool(o->json, "signed", !due);
		jw_obj_end(o->json);
		out_text(o, "%s: reminded (message %lld; %s)\n", m.code[i], (long long)mid,
		    due ? "not signed" : "signed: told its copy is in");
		told++;
	}
	jw_arr_end(o->json);
	out_text(o, "agreement %lld: %zu reminder%s queued; receipts: parleyctl delivery list\n",
	    (long long)id, told, told == 1 ? "" : "s");
	return 0;
}

/* ---- calendars ---- */

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int
timeline_parse_offset(const char *s, int64_t *out, char *canon, size_t canonlen)
{
	const char *start = s;
	int64_t total = 0, v, unit;
	int sign = 1, digits, parts = 0;

	if (*s++ != 'X')
		return -1;
	if (*s == '\0') {
		*out = 0;
		return snprintf(canon, canonlen, "X") < (int)canonlen ? 0 : -1;
	}
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s++ == '-' ? -1 : 1;
	if (*s == '\0')
		return -1;
	while (*s) {
		if (!isdigit((unsigned char)*s))
			return -1;
		for (v = 0, digits = 0; isdigit((unsigned char)*s); s++) {
			v = v * 10 + (*s - '0');
			if (v > 100000 || ++digits > 6)
				return -1;
		}
		parts++;
		switch (*s) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		case '\0':
			/* A bare number is days, as the calendars of 1994-95
			 * wrote them ("X-5"); only alone, since "X+1d12" reads
			 * as days or hours alike. */
			if (parts != 1)
				return -1;
			*out = sign * v * 86400;
			return snprintf(canon, canonlen, "%sd", start) < (int)canonlen ? 0 : -1;
		default: return -1;
		}
		s++;
		total += v * unit;
	}
	*out = sign * total;
	/* Forms accepted before keep their spelling: calendars signed with
	 * them hash the same. */
	return snprintf(canon, canonlen, "%s", start) < (int)canonlen ? 0 : -1;
}

struct parsed {
	size_t n;
	struct measure m[MEASURES_MAX];
};

static int
parse_calendar(struct ag_ctx *e, const struct ag *a, char *text, struct parsed *p,
    struct out *o)
{
	struct ag_members mem;
	char *line, *save = NULL, *f[5], *q, why[160];
	size_t k, i;
	int lineno = 0;

	p->n = 0;
	if (ag_load_members(e, a->id, 0, &mem) != 0)
		return out_refuse(o, "store failure");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		line = trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		for (k = 0, q = line; k < 5 && q; k++) {
			f[k] = q;
			if ((q = strchr(q, '|')) != NULL)
				*q++ = '\0';
		}
		if (k != 4 || q != NULL)
			return out_usage(o, "line %d: expected OFFSET | PARTY|all|mediator | "
			    "description | confirm|-", lineno);
		for (k = 0; k < 4; k++)
			f[k] = trim(f[k]);
		if (p->n == MEASURES_MAX)
			return out_usage(o, "at most %d measures", MEASURES_MAX);
		struct measure *m = &p->m[p->n];
		memset(m, 0, sizeof(*m));
		if (timeline_parse_offset(f[0], &m->offset_s, m->offset, sizeof(m->offset)) != 0)
			return out_usage(o, "line %d: offset \"%s\" is not like X-5, X-5d, X+6h, "
			    "X+0h or X-90m", lineno, f[0]);
		if (strcmp(f[1], "all") != 0 && strcmp(f[1], "mediator") != 0) {
			for (i = 0; i < mem.n && strcmp(mem.code[i], f[1]) != 0; i++)
				;
			if (i == mem.n)
				return out_usage(o, "line %d: \"%s\" is not a party of agreement %lld "
				    "(nor all, nor mediator)", lineno, f[1], (long long)a->id);
		}
		snprintf(m->party, sizeof(m->party), "%s", f[1]);
		if (*f[2] == '\0' || strlen(f[2]) > DESC_MAX || !text_utf8_valid(f[2], strlen(f[2])))
			return out_usage(o, "line %d: the description must be 1-%d bytes of UTF-8",
			    lineno, DESC_MAX);
		if (text_displayable(f[2], strlen(f[2]), why, sizeof(why)) != 0 ||
		    strpbrk(f[2], "\n\r") != NULL)
			return out_usage(o, "line %d: a control character in the description",
			    lineno);
		snprintf(m->desc, sizeof(m->desc), "%s", f[2]);
		if (strcmp(f[3], "confirm") == 0)
			m->needs_confirm = 1;
		else if (strcmp(f[3], "-") != 0)
			return out_usage(o, "line %d: the last field is confirm or -", lineno);
		/* The mediator marks its own measures done (timeline confirm):
		 * the bundle specification has them "-" in what is signed. */
		if (m->needs_confirm && strcmp(m->party, "mediator") == 0)
			return out_usage(o, "line %d: the mediator's measures are not marked "
			    "confirm (the mediator confirms them with parleyctl timeline confirm)",
			    lineno);
		m->number = (int)++p->n;
	}
	if (p->n == 0)
		return out_usage(o, "the calendar has no measure");
	return 0;
}

/* The canonical text of a calendar, the form the parties sign. */
static char *
calendar_text(const struct parsed *p)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	for (i = 0; i < p->n; i++)
		fprintf(f, "%s | %s | %s | %s\n", p->m[i].offset, p->m[i].party, p->m[i].desc,
		    p->m[i].needs_confirm ? "confirm" : "-");
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Replace an agreement's measures with the parsed calendar's. */
static int
store_measures(struct ag_ctx *e, int64_t id, const struct parsed *p)
{
	static const char del[] = "DELETE FROM measure WHERE agreement_id = ?";
	static const char ins[] =
	    "INSERT INTO measure(agreement_id, number, offset_s, offset, party, description,"
	    " needs_confirm) VALUES(?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *s;
	size_t i;

	if ((s = store_stmt(e->st, del)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (store_step_done(e->st, s) != 0)
		return -1;
	for (i = 0; i < p->n; i++) {
		if ((s = store_stmt(e->st, ins)) == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int(s, 2, p->m[i].number);
		sqlite3_bind_int64(s, 3, p->m[i].offset_s);
		sqlite3_bind_text(s, 4, p->m[i].offset, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, p->m[i].party, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, p->m[i].desc, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 7, p->m[i].needs_confirm);
		if (store_step_done(e->st, s) != 0)
			return -1;
	}
	return 0;
}

int
timeline_set(struct ag_ctx *e, int64_t id, const char *text, size_t len, struct out *o)
{
	static const char confirmed[] =
	    "SELECT count(*) FROM measure_confirmation WHERE agreement_id = ?";
	struct parsed *p = NULL;
	char *copy = NULL, *cal = NULL, *rtext = NULL, *rcal = NULL, hex[65], why[160];
	uint8_t hash[32];
	sqlite3_stmt *s;
	struct ag a;
	int rc = -1, signed_cal, step, nconfirmed = 0;
	int64_t x;

	if (ag_for_mediator(e, id, &a, o) != 0)
		return -1;
	if (a.state == AG_WITHDRAWN || a.state == AG_LAPSED || a.state == AG_EXPIRED)
		return out_refuse(o, "agreement %lld is %s", (long long)id,
		    lifecycle_state_name(a.state));
	if (text == NULL || len == 0)
		return out_usage(o, "the calendar file is empty");
	if (text_check(text, len, why, sizeof(why)) != 0)
		return out_usage(o, "the calendar file, %s", why);
	if (ag_load_revision(e, id, a.revision, &rtext, &rcal, hash, NULL) != 0)
		return out_refuse(o, "store failure");
	signed_cal = *rcal != '\0';
	if (signed_cal && a.state != AG_DRAFT) {
		out_refuse(o, "agreement %lld was circulated with its calendar as part of the "
		    "signed text; it cannot be replaced", (long long)id);
		goto done;
	}
	if ((s = store_stmt(e->st, confirmed)) == NULL)
		goto storefail;
	sqlite3_bind_int64(s, 1, id);
	if ((step = sqlite3_step(s)) == SQLITE_ROW)
		nconfirmed = sqlite3_column_int(s, 0);
	/* An error is not "nothing confirmed": it would replace a calendar
	 * parties have confirmed measures of. */
	if (store_rows_end(e->st, s, step, "measure confirmations") != 0)
		goto storefail;
	if (nconfirmed > 0) {
		out_refuse(o, "measures of agreement %lld are already confirmed; the calendar "
		    "cannot be replaced", (long long)id);
		goto done;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL || (copy = text_normalize(text, len, NULL)) == NULL)
		goto storefail;
	if (parse_calendar(e, &a, copy, p, o) != 0)
		goto done;
	if ((cal = calendar_text(p)) == NULL)
		goto storefail;
	if (store_measures(e, id, p) != 0)
		goto storefail;
	/* Loaded before circulation, the calendar is part of what is signed. */
	if (a.state == AG_DRAFT) {
		if (ag_revision_set_calendar(e, &a, rtext, cal, hash) != 0)
			goto storefail;
	}
	if ((x = resolve_x(&a)) != 0 && bind_measures(e, &a, x) != 0)
		goto storefail;
	if (ag_journal(e, "calendar-loaded", id, NULL, NULL, 0, "%zu measures%s", p->n,
	    a.state == AG_DRAFT ? ", part of the signed content" : "") != 0)
		goto storefail;
	hex_encode(hash, 32, hex);
	jw_int(o->json, "id", id);
	jw_int(o->json, "measures", (int64_t)p->n);
	jw_bool(o->json, "signed_with_text", a.state == AG_DRAFT);
	if (a.state == AG_DRAFT)
		jw_str(o->json, "content_sha256", hex);
	out_text(o, "calendar of agreement %lld: %zu measure%s loaded%s\n", (long long)id, p->n,
	    p->n == 1 ? "" : "s", a.state == AG_DRAFT ?
	    "; it is part of the text the parties sign" : "");
	rc = 0;
	goto done;
storefail:
	rc = out_refuse(o, "store failure: %s", store_errmsg(e->st));
done:
	free(p);
	free(copy);
	free(cal);
	free(rtext);
	free(rcal);
	return rc;
}

int
timeline_dayx(struct ag_ctx *e, int64_t id, const char *when, struct out *o)
{
	char buf[PTIME_BUFLEN];
	struct ag a;
	int64_t t = 0, x;

	if (ag_for_mediator(e, id, &a, o) != 0)
		return -1;
	if (a.state == AG_WITHDRAWN || a.state == AG_LAPSED || a.state == AG_EXPIRED)
		return out_refuse(o, "agreement %lld is %s", (long long)id,
		    lifecycle_state_name(a.state));
	if (strcmp(when, "on-release") == 0 || strcmp(when, "on-effect") == 0) {
		snprintf(a.dayx_mode, sizeof(a.dayx_mode), "%s", when);
	} else if (ptime_parse(when, &t) == 0) {
		snprintf(a.dayx_mode, sizeof(a.dayx_mode), "time");
	} else {
		return out_usage(o, "X is a time (ISO 8601 with an offset), on-release or on-effect");
	}
	a.dayx_at = t;
	if (ag_set_dayx(e, id, a.dayx_mode, t) != 0)
		return out_refuse(o, "store failure");
	x = resolve_x(&a);
	if (x && bind_measures(e, &a, x) != 0)
		return out_refuse(o, "store failure");
	jw_int(o->json, "id", id);
	jw_str(o->json, "dayx", a.dayx_mode);
	if (x) {
		ptime_format_in(x, a.zone, buf);
		jw_str(o->json, "x", buf);
		out_text(o, "agreement %lld: X = %s; every measure has its due time\n",
		    (long long)id, buf);
	} else {
		jw_null(o->json, "x");
		out_text(o, "agreement %lld: X is bound %s; the calendar stays conditional until "
		    "then\n", (long long)id, a.dayx_mode);
	}
	ag_event(e, id, "dayx", "X bound %s%s", strcmp(a.dayx_mode, "time") ? a.dayx_mode :
	    "to ", strcmp(a.dayx_mode, "time") ? "" : when);
	return 0;
}

static void
x_text(const struct ag *a, char *buf, size_t n)
{
	char t[PTIME_BUFLEN];
	int64_t x = resolve_x(a);

	if (x) {
		ptime_format_in(x, a->zone, t);
		snprintf(buf, n, "%s", t);
	} else if (*a->dayx_mode) {
		snprintf(buf, n, "%s", a->dayx_mode);
	} else {
		snprintf(buf, n, "unbound");
	}
}

#define MEASURE_ORDER "SELECT number FROM measure WHERE agreement_id = ? ORDER BY offset_s, number"

int
timeline_show(struct ag_ctx *e, int64_t id, struct out *o)
{
	static const char sql[] = MEASURE_ORDER;
	int nums[MEASURES_MAX];
	char xbuf[PTIME_BUFLEN], due[PTIME_BUFLEN];
	struct measure m;
	sqlite3_stmt *s;
	struct ag a;
	size_t n = 0, i;
	int rc;

	if (ag_for_mediator(e, id, &a, o) != 0)
		return -1;
	if ((s = store_stmt(e->st, sql)) == NULL)
		return out_refuse(o, "store failure");
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < MEASURES_MAX)
		nums[n++] = sqlite3_column_int(s, 0);
	/* A calendar shown cut short would look complete.  The refusals here
	 * replace what was written so far (see engine.c's rows_end). */
	if (store_rows_end(e->st, s, rc, "a calendar") != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	x_text(&a, xbuf, sizeof(xbuf));
	jw_int(o->json, "id", id);
	jw_str(o->json, "x", xbuf);
	jw_arr_begin(o->json, "measures");
	out_text(o, "agreement %lld calendar, X = %s\n", (long long)id, xbuf);
	out_text(o, "%-3s %-8s %-25s %-12s %-11s %s\n", "NO", "OFFSET", "DUE", "PARTY", "STATUS",
	    "MEASURE");
	for (i = 0; i < n; i++) {
		struct ag_members w;
		struct conf *c = NULL;
		size_t nc = 0, k;
		const char *st;
		if ((rc = load_measure(e, id, nums[i], &m)) == 1)
			continue;
		if (rc < 0 || (st = measure_status(e, &a, &m, 0)) == NULL ||
		    awaiting(e, &a, &m, &w) != 0 || load_confs(e, id, m.number, &c, &nc) != 0)
			return out_refuse(o, "store failure: %s", store_errmsg(e->st));
		if (m.due_at)
			ptime_format_in(m.due_at, a.zone, due);
		else
			snprintf(due, sizeof(due), "-");
		jw_obj_begin(o->json, NULL);
		jw_int(o->json, "number", m.number);
		jw_str(o->json, "offset", m.offset);
		jw_str(o->json, "party", m.party);
		jw_str(o->json, "description", m.desc);
		jw_bool(o->json, "confirm", m.needs_confirm);
		jw_str(o->json, "due", m.due_at ? due : NULL);
		jw_str(o->json, "status", st);
		out_text(o, "%-3d %-8s %-25s %-12s %-11s %s\n", m.number, m.offset, due, m.party, st,
		    m.desc);
		jw_arr_begin(o->json, "confirmed_by");
		for (k = 0; k < nc; k++) {
			jw_obj_begin(o->json, NULL);
			jw_str(o->json, "party", c[k].party);
			jw_str(o->json, "at", c[k].at_text);
			jw_str(o->json, "note", *c[k].note ? c[k].note : NULL);
			jw_obj_end(o->json);
			out_text(o, "    confirmed by %s at %s%s%s%s\n", c[k].party, c[k].at_text,
			    *c[k].note ? ", note: \"" : "", c[k].note, *c[k].note ? "\"" : "");
		}
		jw_arr_end(o->json);
		free(c);
		jw_arr_begin(o->json, "awaiting");
		for (k = 0; k < w.n; k++)
			jw_str(o->json, NULL, w.code[k]);
		jw_arr_end(o->json);
		if (m.needs_confirm && strcmp(m.party, "all") == 0 && w.n > 0 && nc > 0) {
			char who[64 * (PARTY_CODE_MAX + 2)];
			codes_text(&w, who, sizeof(who));
			out_text(o, "    awaiting %s\n", who);
		}
		jw_obj_end(o->json);
	}
	jw_arr_end(o->json);
	return 0;
}

/* A store failure refuses o (o->status), for the caller to see: the record
 * or the extensions shown cut short would look complete. */
void
timeline_show_record(struct ag_ctx *e, const struct ag *a, struct out *o)
{
	static const char events[] =
	    "SELECT kind, text, created_at FROM ag_event WHERE agreement_id = ? ORDER BY id";
	static const char by[] =
	    "SELECT id, state, expires_at FROM agreement WHERE extends_id = ? ORDER BY id";
	char when[PTIME_BUFLEN];
	sqlite3_stmt *s;
	int rc;

	if (a->sign_by) {
		ptime_format_in(a->sign_by, a->zone, when);
		jw_str(o->json, "sign_by", when);
		out_text(o, "  sign by: %s\n", when);
	} else {
		jw_null(o->json, "sign_by");
	}
	jw_str(o->json, "validity", a->validity);
	if (a->extends_id) {
		jw_int(o->json, "extends", a->extends_id);
		out_text(o, "  extends agreement %lld\n", (long long)a->extends_id);
	}
	if (a->reaffirms_id) {
		jw_int(o->json, "reaffirms", a->reaffirms_id);
		out_text(o, "  reaffirms agreement %lld\n", (long long)a->reaffirms_id);
	}
	if ((s = store_stmt(e->st, by)) == NULL) {
		out_refuse(o, "store failure: %s", store_errmsg(e->st));
		return;
	}
	jw_arr_begin(o->json, "extended_by");
	sqlite3_bind_int64(s, 1, a->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		jw_obj_begin(o->json, NULL);
		jw_int(o->json, "id", sqlite3_column_int64(s, 0));
		jw_str(o->json, "state", store_col_str(s, 1));
		jw_obj_end(o->json);
		out_text(o, "  extension: agreement %lld (%s)\n",
		    (long long)sqlite3_column_int64(s, 0), store_col_str(s, 1));
	}
	if (store_rows_end(e->st, s, rc, "an agreement's extensions") != 0) {
		out_refuse(o, "store failure: %s", store_errmsg(e->st));
		return;
	}
	jw_arr_end(o->json);
	if ((s = store_stmt(e->st, events)) == NULL) {
		out_refuse(o, "store failure: %s", store_errmsg(e->st));
		return;
	}
	jw_arr_begin(o->json, "record");
	sqlite3_bind_int64(s, 1, a->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ptime_format_in(sqlite3_column_int64(s, 2), a->zone, when);
		jw_obj_begin(o->json, NULL);
		jw_str(o->json, "kind", store_col_str(s, 0));
		jw_str(o->json, "text", store_col_str(s, 1));
		jw_str(o->json, "at", when);
		jw_obj_end(o->json);
		out_text(o, "  %s  %s: %s\n", when, store_col_str(s, 0), store_col_str(s, 1));
	}
	if (store_rows_end(e->st, s, rc, "an agreement's record") != 0) {
		out_refuse(o, "store failure: %s", store_errmsg(e->st));
		return;
	}
	jw_arr_end(o->json);
}

/* ---- confirmations ---- */

static int
note_check(const char *note, char *why, size_t whylen)
{
	return ag_text_check(note, strlen(note), NOTE_MAX, 0, "note", why, whylen);
}

/* Record a confirmation of measure m by party (0: the mediator, who), in
 * the record, and tell the parties it concerns: its party, every signing
 * party for "all" and for the mediator's.  1 recorded, 0 confirmed before
 * (nothing changes), -1 store failure. */
static int
record_confirmation(struct ag_ctx *e, const struct ag *a, const struct measure *m,
    int64_t party, const char *who, const char *note)
{
	static const char ins[] =
	    "INSERT OR IGNORE INTO measure_confirmation(agreement_id, number, party_id,"
	    " confirmed_at, note) VALUES(?, ?, ?, ?, ?)";
	char msg[1200];
	sqlite3_stmt *s;

	if ((s = store_stmt(e->st, ins)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, a->id);
	sqlite3_bind_int(s, 2, m->number);
	if (party != 0)
		sqlite3_bind_int64(s, 3, party);
	else
		sqlite3_bind_null(s, 3);
	sqlite3_bind_int64(s, 4, clock_now(e->clk));
	sqlite3_bind_text(s, 5, note, -1, SQLITE_STATIC);
	if (store_step_done(e->st, s) != 0)
		return -1;
	if (sqlite3_changes(store_db(e->st)) == 0)
		return 0;
	/* The note goes to those the measure concerns, not into the record
	 * every member reads. */
	if (ag_event(e, a->id, "confirmed", "measure %d (%s) confirmed by %s%s", m->number,
	    m->offset, who, *note ? ", with a note" : "") != 0)
		return -1;
	snprintf(msg, sizeof(msg), "agreement %lld measure %d (%s) confirmed by %s: %s%s%s",
	    (long long)a->id, m->number, m->offset, who, m->desc, *note ? "; note: " : "", note);
	if (strcmp(m->party, "mediator") == 0) {
		if (ag_tell(e, a->id, 0, 0, "confirmed", msg) != 0)
			return -1;
	} else if (tell_responsible(e, a, m, NULL, "confirmed", msg) != 0) {
		return -1;
	}
	return 1;
}

enum req_end
timeline_confirm(struct ag_ctx *e, const struct req *r, uint64_t agreement, uint32_t number,
    const char *note)
{
	char msg[400], why[80];
	struct measure m;
	struct ag a;
	int rc;

	if (note_check(note, why, sizeof(why)) != 0)
		return req_refuse(r, PARLEY_EUSAGE, "%s", why);
	rc = ag_load(e, (int64_t)agreement, &a);
	if (rc < 0)
		return req_refuse(r, PARLEY_ESTORE, "%s", "store failure");
	if (rc == 1 || a.state == AG_DRAFT || ag_membership(e, a.id, r->who->party.id) != 1) {
		snprintf(msg, sizeof(msg), "no agreement %llu for party %s",
		    (unsigned long long)agreement, r->who->party.code);
		return req_refuse(r, PARLEY_ENOTFOUND, "%s", msg);
	}
	if ((rc = load_measure(e, a.id, (int)number, &m)) != 0) {
		snprintf(msg, sizeof(msg), "agreement %lld has no measure %u", (long long)a.id,
		    number);
		return req_refuse(r, rc < 0 ? PARLEY_ESTORE : PARLEY_ENOTFOUND, "%s", msg);
	}
	if (strcmp(m.party, "all") != 0 && strcmp(m.party, r->who->party.code) != 0) {
		if (strcmp(m.party, "mediator") == 0)
			snprintf(msg, sizeof(msg), "measure %u is the mediator's; parties do not "
			    "confirm it (the mediator does)", number);
		else
			snprintf(msg, sizeof(msg), "measure %u is %s's to confirm, not %s's", number,
			    m.party, r->who->party.code);
		log_warnx("agreement %lld: %s tried to confirm measure %u of %s", (long long)a.id,
		    r->who->party.code, number, m.party);
		return req_refuse(r, PARLEY_EREFUSED, "%s", msg);
	}
	if (!m.needs_confirm)
		return req_refuse(r, PARLEY_EREFUSED, "%s", "this measure needs no confirmation");
	if (m.due_at == 0)
		return req_refuse(r, PARLEY_EREFUSED, "%s", "X is not bound yet: the calendar is conditional");
	rc = record_confirmation(e, &a, &m, r->who->party.id, r->who->party.code, note);
	if (rc < 0)
		return req_refuse(r, PARLEY_ESTORE, "%s", "store failure");
	if (rc == 0)
		return req_ok(r, 0, "measure %u of agreement %lld was already confirmed by %s",
		    number, (long long)a.id, r->who->party.code);
	return req_ok(r, 0, "measure %u of agreement %lld confirmed by %s", number,
	    (long long)a.id, r->who->party.code);
}

int
timeline_mediator_confirm(struct ag_ctx *e, int64_t id, int number, const char *note,
    struct out *o)
{
	char why[80];
	struct measure m;
	struct ag a;
	int rc;

	if (note_check(note, why, sizeof(why)) != 0)
		return out_usage(o, "%s", why);
	if (ag_for_mediator(e, id, &a, o) != 0)
		return -1;
	if ((rc = load_measure(e, id, number, &m)) != 0)
		return rc < 0 ? out_refuse(o, "store failure: %s", store_errmsg(e->st)) :
		    out_refuse(o, "agreement %lld has no measure %d", (long long)id, number);
	if (strcmp(m.party, "mediator") != 0)
		return out_refuse(o, "measure %d is %s's to confirm; the mediator confirms only its "
		    "own measures", number, strcmp(m.party, "all") == 0 ? "every party" : m.party);
	if (m.due_at == 0)
		return out_refuse(o, "X is not bound yet: the calendar is conditional");
	if ((rc = record_confirmation(e, &a, &m, 0, "mediator", note)) < 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	jw_int(o->json, "id", id);
	jw_int(o->json, "measure", number);
	jw_bool(o->json, "already", rc == 0);
	out_text(o, "measure %d of agreement %lld %s by the mediator\n", number, (long long)id,
	    rc == 0 ? "was already confirmed" : "confirmed");
	return 0;
}

/* Does measure m concern party code: its own, every party's, or the
 * mediator's (the parties are told of those)? */
static int
concerns(const struct measure *m, const char *code)
{
	return strcmp(m->party, code) == 0 || strcmp(m->party, "all") == 0 ||
	    strcmp(m->party, "mediator") == 0;
}

/* What timeline_party_show builds: flat arrays, freed in one place. */
struct party_view {
	Parley__Measure *ms, **mp;
	struct measure *rows;
	char (*due)[PTIME_BUFLEN];
	struct conf *confs;	/* every confirmation of the agreement, by number */
	size_t nconfs;
	Parley__MeasureConfirmation **cmp;	/* nconfs, sliced per measure */
};

static void
party_view_free(struct party_view *v)
{
	free(v->ms);
	free(v->mp);
	free(v->rows);
	free(v->due);
	free(v->confs);
	free(v->cmp);
}

/* Measure i of v for party (id, code): -1 on a store failure. */
static int
party_view_measure(struct ag_ctx *e, const struct ag *a, struct party_view *v, size_t i,
    int num, int64_t party, const char *code)
{
	struct measure *m = &v->rows[i];
	Parley__Measure *pm = &v->ms[i];
	size_t k;
	int rc;

	parley__measure__init(pm);
	/* Not skipped: a measure left out would leave a NULL in the reply
	 * (the numbers were read in this transaction, so it is there). */
	if (load_measure(e, a->id, num, m) != 0 ||
	    (pm->status = (char *)measure_status(e, a, m, party)) == NULL)
		return -1;
	if (m->due_at)
		ptime_format_in(m->due_at, a->zone, v->due[i]);
	pm->number = (uint32_t)m->number;
	pm->offset = m->offset;
	pm->party = m->party;
	pm->description = m->desc;
	pm->needs_confirmation = m->needs_confirm;
	pm->due = v->due[i];
	pm->yours = "";
	if (m->needs_confirm && (strcmp(m->party, code) == 0 || strcmp(m->party, "all") == 0)) {
		if ((rc = confirmed_by(e, a->id, m, party)) < 0)
			return -1;
		pm->yours = rc ? "confirmed" : "awaiting";
	}
	if (!concerns(m, code))
		return 0;
	for (k = 0; k < v->nconfs && v->confs[k].number != m->number; k++)
		;
	if (k < v->nconfs)
		pm->confirmations = &v->cmp[k];
	for (; k < v->nconfs && v->confs[k].number == m->number; k++)
		pm->n_confirmations++;
	return 0;
}

enum req_end
timeline_party_show(struct ag_ctx *e, const struct req *r, uint64_t agreement)
{
	static const char sql[] = MEASURE_ORDER;
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__TimelineReply tr = PARLEY__TIMELINE_REPLY__INIT;
	struct party_view v;
	char xbuf[PTIME_BUFLEN], msg[200];
	int nums[MEASURES_MAX];
	sqlite3_stmt *s;
	struct ag a;
	size_t n = 0, i;
	int rc;

	memset(&v, 0, sizeof(v));
	rc = ag_load(e, (int64_t)agreement, &a);
	if (rc < 0)
		return req_refuse(r, PARLEY_ESTORE, "%s", "store failure");
	if (rc == 1 || a.state == AG_DRAFT || ag_membership(e, a.id, r->who->party.id) == 0) {
		snprintf(msg, sizeof(msg), "no agreement %llu for party %s",
		    (unsigned long long)agreement, r->who->party.code);
		return req_refuse(r, PARLEY_ENOTFOUND, "%s", msg);
	}
	if ((s = store_stmt(e->st, sql)) == NULL)
		return req_refuse(r, PARLEY_ESTORE, "%s", "store failure");
	sqlite3_bind_int64(s, 1, a.id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < MEASURES_MAX)
		nums[n++] = sqlite3_column_int(s, 0);
	if (store_rows_end(e->st, s, rc, "a calendar") != 0)
		return req_refuse(r, PARLEY_ESTORE, "%s", "store failure");
	if (load_confs(e, a.id, 0, &v.confs, &v.nconfs) != 0)
		return req_refuse(r, PARLEY_ESTORE, "%s", "store failure or out of memory");
	v.ms = calloc(n ? n : 1, sizeof(*v.ms));
	v.mp = calloc(n ? n : 1, sizeof(*v.mp));
	v.rows = calloc(n ? n : 1, sizeof(*v.rows));
	v.due = calloc(n ? n : 1, sizeof(*v.due));
	v.cmp = calloc(v.nconfs ? v.nconfs : 1, sizeof(*v.cmp));
	if (v.ms == NULL || v.mp == NULL || v.rows == NULL || v.due == NULL || v.cmp == NULL) {
		party_view_free(&v);
		return req_refuse(r, PARLEY_ESTORE, "%s", "out of memory");
	}
	for (i = 0; i < v.nconfs; i++) {
		parley__measure_confirmation__init(&v.confs[i].msg);
		v.confs[i].msg.party = v.confs[i].party;
		v.confs[i].msg.at = v.confs[i].at_text;
		v.confs[i].msg.note = v.confs[i].note;
		v.cmp[i] = &v.confs[i].msg;
	}
	for (i = 0; i < n; i++) {
		if (party_view_measure(e, &a, &v, i, nums[i], r->who->party.id,
		    r->who->party.code) != 0) {
			party_view_free(&v);
			return req_refuse(r, PARLEY_ESTORE, "%s", "store failure");
		}
		v.mp[i] = &v.ms[i];
	}
	x_text(&a, xbuf, sizeof(xbuf));
	tr.agreement = (uint64_t)a.id;
	tr.x = xbuf;
	tr.n_measures = n;
	tr.measures = v.mp;
	f.body_case = PARLEY__FRAME__BODY_TIMELINE_REPLY;
	f.timeline_reply = &tr;
	req_reply(r, &f);
	party_view_free(&v);
	return REQ_ROLLBACK;
}
