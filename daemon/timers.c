#include <stdio.h>
#include <string.h>

#include "condition.h"
#include "fault.h"
#include "incident.h"
#include "log.h"
#include "observer.h"
#include "timeline.h"
#include "ptime.h"
#include "timers.h"

/* A party's grace ran out with no endpoint online: one alert per gap. */
/* Whether party's silence is an alert: named in [incidents] duty_parties
 * (or all are), or signing an agreement circulating, released or in
 * force.  1, 0, -1 (the store). */
static int
on_duty(struct ag_ctx *e, int64_t party, const char *code)
{
	static const char sql[] =
	    "SELECT EXISTS (SELECT 1 FROM agreement_party ap JOIN agreement a ON a.id = "
	    "ap.agreement_id WHERE ap.party_id = ? AND ap.observer = 0 AND a.state IN "
	    "('circulating', 'released', 'in_force'))";
	const char *p = e->duty_parties;
	size_t n = strlen(code);
	sqlite3_stmt *s;
	int rc, yes = 0;

	if (strcmp(p, "all") == 0)
		return 1;
	for (; (p = strstr(p, code)) != NULL; p += n)
		if ((p == e->duty_parties || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
	if ((s = store_stmt(e->st, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, party);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		yes = sqlite3_column_int(s, 0);
	return store_rows_end(e->st, s, rc, "a party's agreements") == 0 ? yes : -1;
}

static int
duty_alert(struct ag_ctx *e, int64_t party, int64_t since, int64_t due)
{
	char when[PTIME_BUFLEN], code[PARTY_CODE_MAX + 1];
	int rc;

	/* The watch is memory, the party is the store's: a registration that
	 * was rolled back (its commit failed) leaves a watch of nobody. */
	rc = registry_party_code(e->st, party, code);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		log_info("duty: party %lld is not registered; no longer watched",
		    (long long)party);
		duty_unwatch(e->duty, party);
		return 0;
	}
	if ((rc = on_duty(e, party, code)) <= 0)
		return rc;	/* not on duty now: no alert */
	rc = duty_alert_record(e->st, party, since, due);
	ptime_format(since, when);
	log_warnx("DUTY ALERT: %s has had no endpoint online since %s", code, when);
	if (rc != 0)
		return -1;
	return ag_journal(e, "duty-alert", 0, code, NULL, 0, "no endpoint online since %s",
	    when);
}

/* A virtual clock passes through each timer's moment in order. */
static void
step_clock(struct ag_ctx *e, int64_t due)
{
	if (clock_is_virtual(e->clk) && due > clock_now(e->clk))
		clock_set(e->clk, due);
}

/* Raise the duty alert due next, if it comes before the timer t (have:
 * whether there is one): 1 raised, 0 none due first, -1 store failure. */
static void
logged(struct timers_log *log, const char *what, const char *of, int64_t id, int64_t due)
{
	char when[PTIME_BUFLEN];

	if (log == NULL || log->n == TIMERS_LOG_MAX)
		return;
	ptime_format_utc(due, when);
	if (id > 0)
		snprintf(log->line[log->n++], sizeof(log->line[0]), "%s of %s %lld due %s", what,
		    of, (long long)id, when);
	else
		snprintf(log->line[log->n++], sizeof(log->line[0]), "%s due %s", what, when);
}

static int
duty_first(struct ag_ctx *e, int64_t upto, const struct ag_timer *t, int have,
    struct timers_log *log)
{
	int64_t party, since, due;

	if (e->duty == NULL || duty_next_due(e->duty, &due) != 0 || due > upto ||
	    (have && due >= t->due))
		return 0;
	step_clock(e, due);
	if (duty_take_due(e->duty, upto, &party, &since, &due) == 0) {
		if (duty_alert(e, party, since, due) != 0)
			return -1;
		logged(log, "duty-alert", "party", party, due);
	}
	return 1;
}

int
timers_run(struct ag_ctx *e, int64_t upto)
{
	return timers_run_logged(e, upto, NULL);
}

int
timers_run_logged(struct ag_ctx *e, int64_t upto, struct timers_log *log)
{
	struct ag_timer t;
	int n = 0, rc, have;

	for (;;) {
		if ((rc = ag_timer_next(e, upto, &t)) < 0)
			return -1;
		have = rc == 0;
		/* Duty alerts interleave with the timers, in time order. */
		if ((rc = duty_first(e, upto, &t, have, log)) < 0)
			return -1;
		if (rc > 0) {
			n++;
			continue;
		}
		if (!have)
			return n;
		step_clock(e, t.due);
		if (t.incident != 0)
			rc = incident_fire(e, t.incident, t.kind, t.due);
		else if (strncmp(t.kind, OBSERVER_TIMER_PREFIX,
		    strlen(OBSERVER_TIMER_PREFIX)) == 0)
			rc = observer_fire(e, &t);
		else if (strncmp(t.kind, CONDITION_TIMER_PREFIX,
		    strlen(CONDITION_TIMER_PREFIX)) == 0)
			rc = condition_fire(e, &t);
		else
			rc = timeline_fire(e, &t);
		if (rc != 0)
			return -1;
		fault_point("timer-fired");
		if (ag_timer_fired(e, t.id, clock_now(e->clk)) != 0)
			return -1;
		logged(log, t.kind, t.incident ? "incident" : "agreement",
		    t.incident ? t.incident : t.agreement, t.due);
		n++;
	}
}

int
timers_next_due(struct ag_ctx *e, int64_t *due)
{
	int64_t d;
	int rc = ag_timer_earliest(e, due);

	if (e->duty != NULL && duty_next_due(e->duty, &d) == 0 && (rc != 0 || d < *due)) {
		*due = d;
		rc = 0;
	}
	return rc;
}
