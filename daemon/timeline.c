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

static void
lead_text(int64_t secs, char *buf, size_t n)
{
	ptime_format_duration(secs, buf, n);
}

int
timeline_on_circulate(struct ag_ctx *e, const struct ag *a)
{
	int64_t now = clock_now(e->clk);
	size_t i;

	if (a->sign_by == 0)
		return 0;
	for (i = 0; i < e->sign_leads.n; i++) {
		int64_t t = a->sign_by - e->sign_leads.s[i];
		if (t > now && ag_timer_add(e, a->id, 0, "sign-reminder", t, a->sign_by, 0) != 0)
			return -1;
	}
	return ag_timer_add(e, a->id, 0, "deadline", a->sign_by, a->sign_by, 0);
}

int
timeline_validity_term(const char *valid_for, const char *valid_until, char *term,
    size_t termlen, char *why, size_t whylen)
{
	char utc[PTIME_BUFLEN];
	int64_t d, t;
	int y, m, dd;
	char extra;

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
	if (ptime_parse(valid_until, &t) != 0) {
		struct tm tm;
		/* A date alone means the end of that day, as "inclusive" did. */
		if (sscanf(valid_until, "%4d-%2d-%2d%c", &y, &m, &dd, &extra) != 3 ||
		    strlen(valid_until) != 10 || m < 1 || m > 12 || dd < 1 || dd > 31) {
			snprintf(why, whylen, "--valid-until takes an ISO 8601 time with an offset, "
			    "or a date (the end of that day)");
			return -1;
		}
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y - 1900;
		tm.tm_mon = m - 1;
		tm.tm_mday = dd + 1;
		tm.tm_isdst = -1;
		t = (int64_t)mktime(&tm);
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
	int64_t t;

	if (sscanf(a->validity, "for %llds", &secs) == 1)
		return a->effective_at + secs;
	if (strncmp(a->validity, "until ", 6) == 0 && ptime_parse(a->validity + 6, &t) == 0)
		return t;
	return 0;
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

/* Tell every party (and observer, with all) of an agreement. */
static int
tell(struct ag_ctx *e, int64_t agreement, int observers, const char *event, const char *text)
{
	struct ag_members m;
	size_t i;
	int pass;

	for (pass = 0; pass <= observers; pass++) {
		if (ag_load_members(e, agreement, pass, &m) != 0)
			return -1;
		for (i = 0; i < m.n; i++)
			if (ag_send_update(e, m.id[i], agreement, 0, event, text) != 0)
				return -1;
	}
	return 0;
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
		ptime_format(a->expires_at, until);
	else
		snprintf(until, sizeof(until), "open-ended");
	while (oid != 0 && hops++ < 64) {
		if (ag_load(e, oid, &o) != 0)
			return -1;
		if (o.state != AG_IN_FORCE) {
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
		if (tell(e, oid, 1, "extended", msg) != 0)
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
		ptime_format(a->released_at, when);
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

/* Has every responsible party confirmed?  (Mediator measures never are.)
 * 1 yes, 0 no, -1 store failure. */
static int
complete(struct ag_ctx *e, int64_t agreement, const struct measure *m)
{
	static const char one[] =
	    "SELECT count(*) FROM measure_confirmation c JOIN party p ON p.id = c.party_id "
	    "WHERE c.agreement_id = ? AND c.number = ? AND p.code = ?";
	static const char all[] =
	    "SELECT (SELECT count(*) FROM measure_confirmation WHERE agreement_id = ?1 "
	    "AND number = ?2) >= (SELECT count(*) FROM agreement_party WHERE "
	    "agreement_id = ?1 AND observer = 0)";
	sqlite3_stmt *s;
	int rc, done = 0;

	if (strcmp(m->party, "mediator") == 0)
		return 0;
	if ((s = store_stmt(e->st, strcmp(m->party, "all") == 0 ? all : one)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, agreement);
	sqlite3_bind_int(s, 2, m->number);
	if (strcmp(m->party, "all") != 0)
		sqlite3_bind_text(s, 3, m->party, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		done = sqlite3_column_int(s, 0) > 0;
	/* An error is not "unconfirmed": that would flag a measure overdue. */
	if (store_rows_end(e->st, s, rc, "measure confirmations") != 0)
		return -1;
	return done;
}

/* A measure's status, or NULL on a store failure. */
static const char *
measure_status(struct ag_ctx *e, const struct ag *a, const struct measure *m)
{
	int done;

	if (m->due_at == 0)
		return "conditional";
	if (m->needs_confirm && (done = complete(e, a->id, m)) != 0)
		return done < 0 ? NULL : "confirmed";
	if (m->due_at <= clock_now(e->clk))
		return m->needs_confirm ? "overdue" : "due";
	return "pending";
}

/* Tell the parties a measure concerns (the mediator reads the log). */
static int
tell_responsible(struct ag_ctx *e, const struct ag *a, const struct measure *m,
    const char *event, const char *text)
{
	struct party p;

	if (strcmp(m->party, "mediator") == 0) {
		log_info("agreement %lld: measure %d (mediator): %s", (long long)a->id, m->number,
		    text);
		return 0;
	}
	if (strcmp(m->party, "all") == 0)
		return tell(e, a->id, 0, event, text);
	if (registry_party_by_code(e->st, m->party, &p) != 0)
		return -1;
	return ag_send_update(e, p.id, a->id, 0, event, text);
}

/* ---- timers ---- */

/* A reminder of the signing deadline, to every signing party. */
static int
fire_sign_reminder(struct ag_ctx *e, const struct ag *a, const struct ag_timer *t)
{
	char msg[600], when[PTIME_BUFLEN], lead[64];
	struct ag_members m;
	size_t i;

	if (a->state != AG_CIRCULATING || a->sign_by != t->ref)
		return 0;
	ptime_format(a->sign_by, when);
	lead_text(a->sign_by - t->due, lead, sizeof(lead));
	if (ag_load_members(e, a->id, 0, &m) != 0)
		return -1;
	/* Every signing party hears of the deadline, each of its own
	 * copy only: were only those who have not signed told, the
	 * delivery ids (one sequence for all) of a party's reminders
	 * would count the others who have (invariant 2). */
	for (i = 0; i < m.n; i++) {
		int pending = ag_valid_copy_time(e, a->id, m.id[i], a->revision) == 0;

		snprintf(msg, sizeof(msg), "%sagreement %lld \"%s\" must be signed by %s "
		    "(in %s); %s revision %u", pending ? "reminder: " : "", (long long)a->id,
		    a->title, when, lead, pending ? "you have not signed" :
		    "your signed copy is in for", a->revision);
		if (ag_send_update(e, m.id[i], a->id, 0, pending ? "sign-reminder" :
		    "sign-deadline", msg) != 0)
			return -1;
	}
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
	ptime_format(t->due, when);
	snprintf(msg, sizeof(msg), "agreement %lld \"%s\" lapsed: its signing deadline %s "
	    "passed before every party had signed; it can never be released",
	    (long long)a->id, a->title, when);
	if (ag_set_state(e, a->id, next, t->due) != 0 ||
	    ag_event(e, a->id, "lapsed", "signing deadline %s passed", when) != 0)
		return -1;
	return tell(e, a->id, 0, "lapsed", msg);
}

/* The agreement takes effect. */
static int
fire_effect(struct ag_ctx *e, const struct ag *a, const struct ag_timer *t)
{
	char msg[600], when[PTIME_BUFLEN];

	if (a->state != AG_IN_FORCE)
		return 0;
	ptime_format(t->due, when);
	snprintf(msg, sizeof(msg), "agreement %lld \"%s\" is in effect from %s",
	    (long long)a->id, a->title, when);
	if (ag_event(e, a->id, "in-effect", "in effect from %s", when) != 0)
		return -1;
	return tell(e, a->id, 1, "in-effect", msg);
}

/* A warning before expiry. */
static int
fire_expiry_warning(struct ag_ctx *e, const struct ag *a, const struct ag_timer *t)
{
	char msg[600], when[PTIME_BUFLEN], lead[64];

	if (a->state != AG_IN_FORCE || a->expires_at != t->ref)
		return 0;
	ptime_format(t->ref, when);
	lead_text(t->ref - t->due, lead, sizeof(lead));
	snprintf(msg, sizeof(msg), "agreement %lld \"%s\" expires at %s (in %s) unless an "
	    "extension is released before then", (long long)a->id, a->title, when, lead);
	return tell(e, a->id, 1, "expiry-warning", msg);
}

/* The agreement expires. */
static int
fire_expiry(struct ag_ctx *e, const struct ag *a, const struct ag_timer *t)
{
	char msg[600], when[PTIME_BUFLEN];
	enum ag_state next;
	const char *why;

	if (a->expires_at != t->ref || lifecycle_next(a->state, EV_EXPIRE, &next, &why) != 0)
		return 0;
	ptime_format(t->due, when);
	snprintf(msg, sizeof(msg), "agreement %lld \"%s\" expired at %s", (long long)a->id,
	    a->title, when);
	if (ag_set_state(e, a->id, next, t->due) != 0 ||
	    ag_event(e, a->id, "expired", "expired at %s", when) != 0)
		return -1;
	return tell(e, a->id, 1, "expired", msg);
}

/* A measure's reminder, or its t->due time (overdue when it needs confirming). */
static int
fire_measure(struct ag_ctx *e, const struct ag *a, const struct ag_timer *t)
{
	char msg[600], when[PTIME_BUFLEN], lead[64];
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
	if (ms.needs_confirm && (rc = complete(e, a->id, &ms)) != 0)
		return rc < 0 ? -1 : 0;
	ptime_format(ms.due_at, when);
	if (strcmp(t->kind, "measure-reminder") == 0) {
		lead_text(ms.due_at - t->due, lead, sizeof(lead));
		snprintf(msg, sizeof(msg), "agreement %lld measure %d (%s) is due at %s "
		    "(in %s): %s", (long long)a->id, ms.number, ms.offset, when, lead, ms.desc);
		return tell_responsible(e, a, &ms, "measure-reminder", msg);
	}
	if (!ms.needs_confirm) {
		snprintf(msg, sizeof(msg), "agreement %lld measure %d (%s) is due now: %s",
		    (long long)a->id, ms.number, ms.offset, ms.desc);
		return tell_responsible(e, a, &ms, "measure-due", msg);
	}
	snprintf(msg, sizeof(msg), "agreement %lld measure %d (%s) is OVERDUE since %s and "
	    "not confirmed by %s: %s", (long long)a->id, ms.number, ms.offset, when,
	    ms.party, ms.desc);
	log_warnx("%s", msg);	/* the mediator's flag; also in timeline show */
	if (ag_event(e, a->id, "overdue", "measure %d (%s) overdue: %s", ms.number,
	    ms.offset, ms.desc) != 0)
		return -1;
	return tell_responsible(e, a, &ms, "overdue", msg);
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
	char *line, *save = NULL, *f[5], *q;
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
		for (q = f[2]; *q; q++)
			if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
				return out_usage(o, "line %d: a control character in the description",
				    lineno);
		snprintf(m->desc, sizeof(m->desc), "%s", f[2]);
		if (strcmp(f[3], "confirm") == 0)
			m->needs_confirm = 1;
		else if (strcmp(f[3], "-") != 0)
			return out_usage(o, "line %d: the last field is confirm or -", lineno);
		if (m->needs_confirm && strcmp(m->party, "mediator") == 0)
			return out_usage(o, "line %d: the mediator's measures are not confirmed",
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
	if (ag_load_revision(e, id, a.revision, &rtext, &rcal, hash) != 0)
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
		if (sign_content_hash(rtext, a.effective, a.validity, cal, hash) != 0 ||
		    ag_revision_set_calendar(e, id, a.revision, cal, hash) != 0)
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
		ptime_format(x, buf);
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
		ptime_format(x, t);
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
		const char *st;
		if ((rc = load_measure(e, id, nums[i], &m)) == 1)
			continue;
		if (rc < 0 || (st = measure_status(e, &a, &m)) == NULL)
			return out_refuse(o, "store failure: %s", store_errmsg(e->st));
		if (m.due_at)
			ptime_format(m.due_at, due);
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
		jw_obj_end(o->json);
		out_text(o, "%-3d %-8s %-25s %-12s %-11s %s\n", m.number, m.offset, due, m.party, st,
		    m.desc);
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
		ptime_format(a->sign_by, when);
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
		ptime_format(sqlite3_column_int64(s, 2), when);
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

/* ---- party requests ---- */

enum req_end
timeline_confirm(struct ag_ctx *e, const struct req *r, uint64_t agreement, uint32_t number)
{
	static const char ins[] =
	    "INSERT OR IGNORE INTO measure_confirmation(agreement_id, number, party_id,"
	    " confirmed_at) VALUES(?, ?, ?, ?)";
	char msg[400];
	struct measure m;
	sqlite3_stmt *s;
	struct ag a;
	int rc;

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
			    "confirm it", number);
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
	if ((s = store_stmt(e->st, ins)) == NULL)
		return req_refuse(r, PARLEY_ESTORE, "%s", "store failure");
	sqlite3_bind_int64(s, 1, a.id);
	sqlite3_bind_int(s, 2, (int)number);
	sqlite3_bind_int64(s, 3, r->who->party.id);
	sqlite3_bind_int64(s, 4, clock_now(e->clk));
	rc = store_step_done(e->st, s);
	if (rc != 0)
		return req_refuse(r, PARLEY_ESTORE, "%s", "store failure");
	if (sqlite3_changes(store_db(e->st)) > 0)
		ag_event(e, a.id, "confirmed", "measure %u (%s) confirmed by %s", number, m.offset,
		    r->who->party.code);
	return req_ok(r, 0, "measure %u of agreement %lld confirmed by %s", number,
	    (long long)a.id, r->who->party.code);
}

enum req_end
timeline_party_show(struct ag_ctx *e, const struct req *r, uint64_t agreement)
{
	static const char sql[] = MEASURE_ORDER;
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__TimelineReply tr = PARLEY__TIMELINE_REPLY__INIT;
	Parley__Measure *ms = NULL, **mp = NULL;
	struct measure *rows = NULL;
	char (*due)[PTIME_BUFLEN] = NULL, xbuf[PTIME_BUFLEN], msg[200];
	int nums[MEASURES_MAX];
	sqlite3_stmt *s;
	struct ag a;
	size_t n = 0, i;
	int rc;

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
	if (n > 0 && ((ms = calloc(n, sizeof(*ms))) == NULL || (mp = calloc(n, sizeof(*mp))) == NULL ||
	    (rows = calloc(n, sizeof(*rows))) == NULL || (due = calloc(n, sizeof(*due))) == NULL)) {
		free(ms);
		free(mp);
		free(rows);
		return req_refuse(r, PARLEY_ESTORE, "%s", "out of memory");
	}
	for (i = 0; i < n; i++) {
		parley__measure__init(&ms[i]);
		/* Not skipped: a measure left out would leave a NULL in the reply
		 * (the numbers were read in this transaction, so it is there). */
		if (load_measure(e, a.id, nums[i], &rows[i]) != 0 ||
		    (ms[i].status = (char *)measure_status(e, &a, &rows[i])) == NULL) {
			free(ms);
			free(mp);
			free(rows);
			free(due);
			return req_refuse(r, PARLEY_ESTORE, "%s", "store failure");
		}
		if (rows[i].due_at)
			ptime_format(rows[i].due_at, due[i]);
		ms[i].number = (uint32_t)rows[i].number;
		ms[i].offset = rows[i].offset;
		ms[i].party = rows[i].party;
		ms[i].description = rows[i].desc;
		ms[i].needs_confirmation = rows[i].needs_confirm;
		ms[i].due = due[i];
		mp[i] = &ms[i];
	}
	x_text(&a, xbuf, sizeof(xbuf));
	tr.agreement = (uint64_t)a.id;
	tr.x = xbuf;
	tr.n_measures = n;
	tr.measures = mp;
	f.body_case = PARLEY__FRAME__BODY_TIMELINE_REPLY;
	f.timeline_reply = &tr;
	req_reply(r, &f);
	free(ms);
	free(mp);
	free(rows);
	free(due);
	return REQ_ROLLBACK;
}
