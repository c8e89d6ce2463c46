#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "crypto.h"
#include "errors.h"
#include "incident.h"
#include "log.h"
#include "ptime.h"
#include "text.h"

#define FIELD_MAX 2000
#define MEETING_LEAD 3600	/* the sides are reminded this long before a meeting */

/* One incident row, with the strings it needs to be sent. */
struct inc {
	int64_t id, filer_id, against_id, agreement_id;
	char filer[PARTY_CODE_MAX + 1], against[PARTY_CODE_MAX + 1];
	char *place, *nature, *consequences, *proposal, *answer, *measures, *complaint;
	char *close_reason;	/* "" none given */
	/* the mediator's steps: "" / 0 none */
	char *recommendation, *meeting_place, *meeting_participants, *escalated_to;
	int64_t recommended_at, meeting_time, escalated_at;
	char *counter;		/* the accused side's counter-protest, "" none */
	int64_t counter_at, counter_forwarded_at;
	char answers[2][PARTY_CODE_MAX + 16 + PTIME_BUFLEN], *answer_p[2];
	size_t nanswers;	/* each side's answer to the meeting */
	int64_t happened_at, filed_at, respond_by, publishable_at, answered_at, overdue_at;
	int64_t meeting_at, inspection_at, consent_at, complaint_at, closed_at;
	int64_t inspection_by;
	int not_in_force;
	char state[16], inspection[16];
	char zone[64];	/* the cited agreement's ("": none cited, the daemon's) */
	/* formatted times for the protobuf view */
	char t_happened[PTIME_BUFLEN], t_filed[PTIME_BUFLEN], t_by[PTIME_BUFLEN];
	char t_answered[PTIME_BUFLEN], t_pub[PTIME_BUFLEN], t_meeting[PTIME_BUFLEN];
	Parley__Incident msg;
};

static void
inc_release(struct inc *i)
{
	free(i->place);
	free(i->nature);
	free(i->consequences);
	free(i->proposal);
	free(i->answer);
	free(i->measures);
	free(i->complaint);
	free(i->close_reason);
	free(i->recommendation);
	free(i->meeting_place);
	free(i->meeting_participants);
	free(i->escalated_to);
	free(i->counter);
	memset(i, 0, sizeof(*i));
}

static char *
dup_col(sqlite3_stmt *s, int c)
{
	return strdup(store_col_str(s, c));
}

/* Each side's answer to the meeting the mediator scheduled, into i. */
static int
meeting_answers(struct ag_ctx *e, struct inc *i)
{
	static const char sql[] =
	    "SELECT p.code, m.accept, m.proposed_time FROM incident_meeting_answer m "
	    "JOIN party p ON p.id = m.party_id WHERE m.incident_id = ? ORDER BY m.rowid";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	char when[PTIME_BUFLEN];
	int rc;

	i->nanswers = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, i->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && i->nanswers < 2) {
		if (sqlite3_column_int(s, 1)) {
			snprintf(i->answers[i->nanswers], sizeof(i->answers[0]), "%s accepts",
			    store_col_str(s, 0));
		} else {
			ptime_format_in(store_col_time(s, 2), i->zone, when);
			snprintf(i->answers[i->nanswers], sizeof(i->answers[0]), "%s proposes %s",
			    store_col_str(s, 0), when);
		}
		i->nanswers++;
	}
	return store_rows_end(e->st, s, rc, "an incident's meeting answers");
}

/* 0 found, 1 unknown, -1 failure.  *out is all zeros unless found; release
 * it with inc_release either way.  The row is read into a local struct and
 * copied out whole once every string is there. */
static int
inc_load(struct ag_ctx *e, int64_t id, struct inc *out)
{
	static const char sql[] =
	    "SELECT i.id, i.filer_id, i.against_id, coalesce(i.agreement_id, 0), f.code, a.code,"
	    " i.place, i.nature, i.consequences, i.proposal, i.answer, i.measures, i.complaint,"
	    " i.happened_at, i.filed_at, i.respond_by, i.publishable_at, i.answered_at,"
	    " i.overdue_at, i.meeting_at, i.inspection_at, i.consent_at, i.complaint_at,"
	    " i.closed_at, coalesce(i.inspection_by, 0), i.not_in_force, i.state, i.inspection,"
	    " i.close_reason, (SELECT g.zone FROM agreement g WHERE g.id = i.agreement_id),"
	    " i.recommendation, i.recommended_at, i.meeting_time, i.meeting_place,"
	    " i.meeting_participants, i.escalated_to, i.escalated_at, i.counter_protest,"
	    " i.counter_at, i.counter_forwarded_at"
	    " FROM incident i JOIN party f ON f.id = i.filer_id JOIN party a ON a.id = i.against_id "
	    "WHERE i.id = ?";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	struct inc row, *i = &row;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return -1;
	memset(i, 0, sizeof(*i));
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		i->id = sqlite3_column_int64(s, 0);
		i->filer_id = sqlite3_column_int64(s, 1);
		i->against_id = sqlite3_column_int64(s, 2);
		i->agreement_id = sqlite3_column_int64(s, 3);
		snprintf(i->filer, sizeof(i->filer), "%s", store_col_str(s, 4));
		snprintf(i->against, sizeof(i->against), "%s", store_col_str(s, 5));
		i->place = dup_col(s, 6);
		i->nature = dup_col(s, 7);
		i->consequences = dup_col(s, 8);
		i->proposal = dup_col(s, 9);
		i->answer = dup_col(s, 10);
		i->measures = dup_col(s, 11);
		i->complaint = dup_col(s, 12);
		i->happened_at = store_col_time(s, 13);
		i->filed_at = store_col_time(s, 14);
		i->respond_by = store_col_time(s, 15);
		i->publishable_at = store_col_time(s, 16);
		i->answered_at = store_col_time(s, 17);
		i->overdue_at = store_col_time(s, 18);
		i->meeting_at = store_col_time(s, 19);
		i->inspection_at = store_col_time(s, 20);
		i->consent_at = store_col_time(s, 21);
		i->complaint_at = store_col_time(s, 22);
		i->closed_at = store_col_time(s, 23);
		i->inspection_by = sqlite3_column_int64(s, 24);
		i->not_in_force = sqlite3_column_int(s, 25);
		snprintf(i->state, sizeof(i->state), "%s", store_col_str(s, 26));
		snprintf(i->inspection, sizeof(i->inspection), "%s", store_col_str(s, 27));
		i->close_reason = dup_col(s, 28);
		snprintf(i->zone, sizeof(i->zone), "%s", store_col_str(s, 29));
		i->recommendation = dup_col(s, 30);
		i->recommended_at = store_col_time(s, 31);
		i->meeting_time = store_col_time(s, 32);
		i->meeting_place = dup_col(s, 33);
		i->meeting_participants = dup_col(s, 34);
		i->escalated_to = dup_col(s, 35);
		i->escalated_at = store_col_time(s, 36);
		i->counter = dup_col(s, 37);
		i->counter_at = store_col_time(s, 38);
		i->counter_forwarded_at = store_col_time(s, 39);
	}
	if (store_rows_end(e->st, s, rc, "an incident") != 0) {
		inc_release(i);
		return -1;
	}
	if (rc != SQLITE_ROW)
		return 1;
	if (!i->place || !i->nature || !i->consequences || !i->proposal || !i->answer ||
	    !i->measures || !i->complaint || !i->close_reason || !i->recommendation ||
	    !i->meeting_place || !i->meeting_participants || !i->escalated_to || !i->counter ||
	    meeting_answers(e, i) != 0) {
		inc_release(i);
		return -1;
	}
	*out = row;
	return 0;
}

/* Fill i->msg for sending; valid while i lives. */
static void
inc_view(struct ag_ctx *e, struct inc *i, const char *event)
{
	Parley__Incident *m = &i->msg;

	parley__incident__init(m);
	ptime_format_in(i->happened_at, i->zone, i->t_happened);
	ptime_format_in(i->filed_at, i->zone, i->t_filed);
	ptime_format_in(i->respond_by, i->zone, i->t_by);
	ptime_format_in(i->publishable_at, i->zone, i->t_pub);
	if (i->answered_at)
		ptime_format_in(i->answered_at, i->zone, i->t_answered);
	m->id = (uint64_t)i->id;
	m->filer = i->filer;
	m->against = i->against;
	m->place = i->place;
	m->time = i->t_happened;
	m->nature = i->nature;
	m->consequences = i->consequences;
	m->agreement = (uint64_t)i->agreement_id;
	m->agreement_not_in_force = i->not_in_force;
	m->proposal = i->proposal;
	m->filed_at = i->t_filed;
	m->respond_by = i->t_by;
	m->state = i->state;
	m->answer = i->answer;
	m->measures = i->measures;
	m->answered_at = i->t_answered;
	m->publishable_at = i->t_pub;
	m->publishable = clock_now(e->clk) >= i->publishable_at;
	m->meeting_requested = i->meeting_at != 0;
	m->inspection = i->inspection;
	m->event = (char *)(event ? event : "");
	m->close_reason = i->close_reason;
	m->answered_late = i->answered_at > i->respond_by;
	m->recommendation = i->recommendation;
	i->t_meeting[0] = '\0';
	if (i->meeting_time)
		ptime_format_in(i->meeting_time, i->zone, i->t_meeting);
	m->meeting_time = i->t_meeting;
	m->meeting_place = i->meeting_place;
	m->meeting_participants = i->meeting_participants;
	/* pointers into i itself: inc_load copies the row whole */
	i->answer_p[0] = i->answers[0];
	i->answer_p[1] = i->answers[1];
	m->n_meeting_answers = i->nanswers;
	m->meeting_answers = i->answer_p;
	m->escalated_to = i->escalated_to;
	m->complaint = i->complaint;
	m->counter_protest = i->counter;
	m->counter_forwarded = i->counter_forwarded_at != 0;
}

/* What party (0: the mediator) may read of i's view: the filer a
 * counter-protest only once the mediator forwarded it, and the accused
 * never the filer's complaint to the mediator. */
static void
inc_for(struct inc *i, int64_t party)
{
	/* the accused side's counter-protest: its own and the mediator's
	 * until the mediator forwards it (to an escalation's observer too) */
	if (party != 0 && party != i->against_id && i->counter_forwarded_at == 0)
		i->msg.counter_protest = "";
	if (party != 0 && party != i->filer_id)
		i->msg.complaint = "";
}

/* Every step of an incident goes into the record. */
static int
inc_journal(struct ag_ctx *e, struct inc *i, const char *what, const char *party)
{
	uint8_t h[32];
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (f == NULL)
		return -1;
	fprintf(f, "%s\n%s\n%s\n%s\n%s\n%s\n%s", i->place, i->nature, i->consequences,
	    i->proposal, i->answer, i->measures, i->complaint);
	/* A closing reason is hashed with the rest once there is one (the
	 * entries written before it had none and keep their form). */
	if (*i->close_reason)
		fprintf(f, "\n%s", i->close_reason);
	/* and so, once there is one, is the mediator's recommendation */
	if (*i->recommendation)
		fprintf(f, "\n%s", i->recommendation);
	if (fclose(f) != 0) {
		free(text);
		return -1;
	}
	rc = crypto_sha256(text, len, h);
	free(text);
	if (rc != 0)
		return -1;
	return ag_journal(e, what, i->agreement_id, party, (const uint8_t (*)[32])h, 1,
	    "incident %lld: %s reports %s%s%s", (long long)i->id, i->filer, i->against,
	    *i->close_reason ? "; closed: " : "", i->close_reason);
}

static int
send_incident(struct ag_ctx *e, int64_t party, struct inc *i, const char *event)
{
	Parley__Payload p = PARLEY__PAYLOAD__INIT;
	char summary[160];

	inc_view(e, i, event);
	inc_for(i, party);
	p.body_case = PARLEY__PAYLOAD__BODY_INCIDENT;
	p.incident = &i->msg;
	snprintf(summary, sizeof(summary), "incident %lld: %s", (long long)i->id, event);
	return ag_enqueue(e, &party, 1, "incident", i->agreement_id, summary, &p);
}

static int
text_ok(const char *s, int required)
{
	size_t n = strlen(s);

	/* one line, shown as it is: none of its lines could pass for one of
	 * incident show's own (a longer text goes by letter); nor the Unicode
	 * line and paragraph separators, which a reader may break lines on */
	return (!required || n > 0) && n <= FIELD_MAX && text_one_line(s, n);
}

enum req_end
incident_file(struct ag_ctx *e, const struct req *r, const Parley__IncidentFile *m)
{
	static const char ins[] =
	    "INSERT INTO incident(filer_id, against_id, place, happened_at, nature, consequences,"
	    " agreement_id, not_in_force, proposal, filed_at, respond_by, publishable_at, state)"
	    " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open')";
	struct party against;
	struct inc i;
	struct ag a;
	sqlite3_stmt *s;
	int64_t happened, now = clock_now(e->clk), id;
	int not_in_force = 0, rc;
	char msg[300], by[PTIME_BUFLEN];

	if (r->who->party.observer)
		return req_refuse(r, PARLEY_EREFUSED, "observers do not file incidents");
	if ((rc = registry_party_by_code(e->st, m->against, &against)) != 0)
		return req_refuse(r, rc < 0 ? PARLEY_ESTORE : PARLEY_ENOTFOUND,
		    "no party \"%s\" to report against", m->against);
	if (against.id == r->who->party.id || against.observer)
		return req_refuse(r, PARLEY_EREFUSED, "an incident is reported against the other side, "
		    "not against %s", against.observer ? "an observer" : "oneself");
	if (!text_ok(m->place, 1) || !text_ok(m->nature, 1) || !text_ok(m->consequences, 1) ||
	    !text_ok(m->proposal, 0))
		return req_refuse(r, PARLEY_EUSAGE, "place, nature and consequences must be 1-%d bytes "
		    "of UTF-8, one line without control characters", FIELD_MAX);
	if (ptime_parse(m->time, &happened) != 0 || happened > now)
		return req_refuse(r, PARLEY_EUSAGE, "the incident's time must be an ISO 8601 time with "
		    "an offset, not in the future");
	if (m->agreement != 0) {
		if ((rc = ag_load(e, (int64_t)m->agreement, &a)) != 0 || a.state == AG_DRAFT ||
		    ag_membership(e, a.id, r->who->party.id) == 0)
			return req_refuse(r, rc < 0 ? PARLEY_ESTORE : PARLEY_ENOTFOUND,
			    "no agreement %llu for party %s", (unsigned long long)m->agreement,
			    r->who->party.code);
		/* December 1993: violation lists under a ceasefire never in effect.
		 * In force when the incident happened: released, in effect by
		 * then, not yet expired. */
		not_in_force = !lifecycle_was_released(a.state) || happened < a.effective_at ||
		    (a.expires_at != 0 && happened >= a.expires_at);
	}
	if ((s = store_stmt(e->st, ins)) == NULL)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	sqlite3_bind_int64(s, 1, r->who->party.id);
	sqlite3_bind_int64(s, 2, against.id);
	sqlite3_bind_text(s, 3, m->place, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, happened);
	sqlite3_bind_text(s, 5, m->nature, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, m->consequences, -1, SQLITE_STATIC);
	if (m->agreement)
		sqlite3_bind_int64(s, 7, (int64_t)m->agreement);
	sqlite3_bind_int(s, 8, not_in_force);
	sqlite3_bind_text(s, 9, m->proposal, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 10, now);
	sqlite3_bind_int64(s, 11, now + e->response_window);
	sqlite3_bind_int64(s, 12, now + e->disclosure_embargo);
	rc = store_step_done(e->st, s);
	if (rc != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	id = sqlite3_last_insert_rowid(store_db(e->st));
	if (ag_timer_add(e, 0, id, "incident-overdue", now + e->response_window,
	    now + e->response_window, 0) != 0 ||
	    inc_load(e, id, &i) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	rc = send_incident(e, against.id, &i, "filed");
	if (rc == 0)
		rc = inc_journal(e, &i, "incident-filed", r->who->party.code);
	ptime_format_in(now + e->response_window, i.zone, by);
	inc_release(&i);
	if (rc != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	log_info("incident %lld: %s reports %s%s (copy to the mediator)", (long long)id,
	    r->who->party.code, against.code, not_in_force ?
	    ", citing an agreement not in force" : "");
	snprintf(msg, sizeof(msg), "incident %lld sent to %s; it must answer by %s%s",
	    (long long)id, against.code, by, not_in_force ?
	    "; NOTE: the agreement it cites is not in force" : "");
	req_ok(r, (uint64_t)id, "%s", msg);
	return REQ_KEEP;
}

/* The incident a party request names, if this party is a side of it: 0,
 * or -1 answered. */
static int
side_inc(struct ag_ctx *e, const struct req *r, uint64_t id, struct inc *i)
{
	int rc = inc_load(e, (int64_t)id, i);

	if (rc < 0) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return -1;
	}
	if (rc == 0 && (i->filer_id == r->who->party.id || i->against_id == r->who->party.id))
		return 0;
	if (rc == 0) {
		log_warnx("incident %llu: %s, not a side of it, asked for it",
		    (unsigned long long)id, r->who->party.code);
		inc_release(i);
	}
	req_refuse(r, PARLEY_ENOTFOUND, "no incident %llu for party %s", (unsigned long long)id,
	    r->who->party.code);
	return -1;
}

enum req_end
incident_respond(struct ag_ctx *e, const struct req *r, const Parley__IncidentRespond *m)
{
	static const char upd[] =
	    "UPDATE incident SET answer = ?, measures = ?, answered_at = ?, state = 'answered',"
	    " publishable_at = min(publishable_at, ?) WHERE id = ?";
	int64_t now = clock_now(e->clk);
	sqlite3_stmt *s;
	struct inc i;
	char msg[300], by[PTIME_BUFLEN];
	int rc;

	if (side_inc(e, r, m->incident, &i) != 0)
		return REQ_ROLLBACK;
	if (i.against_id != r->who->party.id) {
		snprintf(msg, sizeof(msg), "incident %llu is answered by %s, the side it concerns",
		    (unsigned long long)m->incident, i.against);
		inc_release(&i);
		return req_refuse(r, PARLEY_EREFUSED, "%s", msg);
	}
	if (i.answered_at || i.closed_at) {
		snprintf(msg, sizeof(msg), "incident %llu is already %s",
		    (unsigned long long)m->incident, i.closed_at ? "closed" : "answered");
		inc_release(&i);
		return req_refuse(r, PARLEY_EREFUSED, "%s", msg);
	}
	inc_release(&i);
	if (!text_ok(m->text, 1) || !text_ok(m->measures, 0))
		return req_refuse(r, PARLEY_EUSAGE, "the answer must be 1-%d bytes of UTF-8, one line "
		    "without control characters", FIELD_MAX);
	if ((s = store_stmt(e->st, upd)) == NULL)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	sqlite3_bind_text(s, 1, m->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, m->measures, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_int64(s, 5, (int64_t)m->incident);
	rc = store_step_done(e->st, s);
	if (rc != 0 || inc_load(e, (int64_t)m->incident, &i) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	rc = send_incident(e, i.filer_id, &i, "answered");
	if (rc == 0)
		rc = inc_journal(e, &i, "incident-answered", i.against);
	log_info("incident %lld: %s answered%s", (long long)i.id, i.against,
	    now > i.respond_by ? " (late)" : "");
	if (now > i.respond_by) {
		ptime_format_in(i.respond_by, i.zone, by);
		snprintf(msg, sizeof(msg), "answer to incident %llu sent to the other side and the "
		    "mediator; it is LATE: it was due by %s", (unsigned long long)m->incident, by);
	} else {
		snprintf(msg, sizeof(msg), "answer to incident %llu sent to the other side and the "
		    "mediator", (unsigned long long)m->incident);
	}
	inc_release(&i);
	if (rc != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	req_ok(r, m->incident, "%s", msg);
	return REQ_KEEP;
}

static int
set_fields(struct ag_ctx *e, const char *sql, int64_t id, int64_t t, int64_t party,
    const char *text)
{
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, t);
	sqlite3_bind_int64(s, 2, party);
	if (text != NULL)
		sqlite3_bind_text(s, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, id);
	return store_step_done(e->st, s);
}

/* Whether the report of i reached the other side: 1 an endpoint of it
 * acknowledged the delivery, 0 not yet, -1 the store. */
static int
delivered(struct ag_ctx *e, const struct inc *i)
{
	static const char sql[] =
	    "SELECT EXISTS (SELECT 1 FROM message m JOIN delivery d ON d.message_id = m.id "
	    "WHERE m.kind = 'incident' AND m.party_id = ? AND m.summary = ? AND "
	    "d.acked_at IS NOT NULL)";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	char summary[64];
	int rc, yes = 0;

	if (s == NULL)
		return -1;
	/* send_incident's summary of the report */
	snprintf(summary, sizeof(summary), "incident %lld: filed", (long long)i->id);
	sqlite3_bind_int64(s, 1, i->against_id);
	sqlite3_bind_text(s, 2, summary, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		yes = sqlite3_column_int(s, 0);
	if (store_rows_end(e->st, s, rc, "an incident's delivery") != 0)
		return -1;
	return yes;
}

/* A complaint to the mediator, under the raised-first rule: the mediator
 * takes up only complaints about an incident this party first reported to
 * the other side.  0 recorded (msg says so), 1 refused (answered), -1
 * store failure. */
static int
action_complaint(struct ag_ctx *e, const struct req *r, const Parley__IncidentAction *m,
    int64_t now, char *msg, size_t msglen)
{
	static const char complaint[] =
	    "UPDATE incident SET complaint_at = ?1, complaint = ?3 WHERE id = ?4 AND ?2 = ?2";
	struct inc i;
	int rc;

	rc = inc_load(e, (int64_t)m->incident, &i);
	if (rc < 0) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return 1;
	}
	if (rc == 1 || i.filer_id != r->who->party.id) {
		if (rc == 0)
			inc_release(&i);
		req_refuse(r, PARLEY_EREFUSED, "complaint refused: the mediator takes up only "
		    "complaints first raised with the other side; %s has filed no incident %llu "
		    "(file one with: parley incident file --against PARTY ...)",
		    r->who->party.code, (unsigned long long)m->incident);
		return 1;
	}
	if (!text_ok(m->text, 1)) {
		inc_release(&i);
		req_refuse(r, PARLEY_EUSAGE, "the complaint must be 1-%d bytes of UTF-8, one line "
		    "without control characters", FIELD_MAX);
		return 1;
	}
	/* one, kept as made, and none once the incident is closed */
	if (i.closed_at || i.complaint_at) {
		req_refuse(r, PARLEY_EREFUSED, "complaint refused: incident %lld %s; write to the "
		    "mediator instead (parley letter send --to mediator)", (long long)i.id,
		    i.closed_at ? "is closed" : "already carries a complaint");
		inc_release(&i);
		return 1;
	}
	/* received: an endpoint of the other side acknowledged the report,
	 * or the other side has answered it or protested (it read it) */
	if (!i.answered_at && !i.counter_at && (rc = delivered(e, &i)) != 1) {
		if (rc == 0)
			req_refuse(r, PARLEY_EREFUSED, "complaint refused: incident %lld has not yet "
			    "reached %s (no endpoint of it has acknowledged the report); the mediator "
			    "takes up a complaint once the other side has received it",
			    (long long)i.id, i.against);
		else
			req_refuse(r, PARLEY_ESTORE, "store failure");
		inc_release(&i);
		return 1;
	}
	rc = set_fields(e, complaint, i.id, now, 0, m->text);
	log_info("incident %lld: %s complains to the mediator", (long long)i.id, i.filer);
	snprintf(msg, msglen, "complaint about incident %lld recorded for the mediator",
	    (long long)i.id);
	inc_release(&i);
	return rc;
}

/* A side's answer to the meeting the mediator scheduled: it accepts, or
 * proposes another time (text).  Told to the other side.  0 (msg says
 * so), 1 refused (answered), -1 the store. */
static int
meeting_answer(struct ag_ctx *e, const struct req *r, struct inc *i, int accept,
    const char *text, int64_t other, char *msg, size_t msglen)
{
	static const char sql[] =
	    "INSERT INTO incident_meeting_answer(incident_id, party_id, accept, proposed_time,"
	    " created_at) VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(incident_id, party_id) DO UPDATE"
	    " SET accept = ?3, proposed_time = ?4, created_at = ?5";
	int64_t t = 0, now = clock_now(e->clk), id = i->id;
	char when[PTIME_BUFLEN];
	sqlite3_stmt *s;
	int rc;

	if (i->meeting_time == 0) {
		req_refuse(r, PARLEY_EREFUSED, "no meeting on incident %lld was scheduled by the "
		    "mediator (parley incident meeting N asks for one)", (long long)i->id);
		return 1;
	}
	if (!accept && (ptime_parse(text, &t) != 0 || t <= now)) {
		req_refuse(r, PARLEY_EUSAGE, "propose a time: an ISO 8601 time with an offset, in "
		    "the future");
		return 1;
	}
	if ((s = store_stmt(e->st, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, i->id);
	sqlite3_bind_int64(s, 2, r->who->party.id);
	sqlite3_bind_int(s, 3, accept);
	if (!accept)
		sqlite3_bind_int64(s, 4, t);
	sqlite3_bind_int64(s, 5, now);
	if ((rc = store_step_done(e->st, s)) != 0)
		return -1;
	inc_release(i);
	if (inc_load(e, id, i) != 0 || send_incident(e, other, i, accept ? "meeting-accepted" :
	    "meeting-proposed") != 0)
		return -1;
	if (accept) {
		snprintf(msg, msglen, "you accept the meeting on incident %lld at %s; the other "
		    "side and the mediator are told", (long long)id, i->t_meeting);
	} else {
		ptime_format_in(t, i->zone, when);
		snprintf(msg, msglen, "you propose to meet on incident %lld at %s instead; the "
		    "other side and the mediator are told", (long long)id, when);
	}
	log_info("incident %lld: %s %s the meeting", (long long)id, r->who->party.code,
	    accept ? "accepts" : "proposes another time for");
	return 0;
}

enum req_end
incident_action(struct ag_ctx *e, const struct req *r, const Parley__IncidentAction *m)
{
	static const char meeting[] =
	    "UPDATE incident SET meeting_at = ?1, meeting_by = ?2 WHERE id = ?4";
	static const char inspect[] =
	    "UPDATE incident SET inspection_at = ?1, inspection_by = ?2, "
	    "inspection = 'requested' WHERE id = ?4";
	static const char consent[] =
	    "UPDATE incident SET consent_at = ?1, inspection = ?3 WHERE id = ?4 AND ?2 = ?2";
	static const char counter[] =
	    "UPDATE incident SET counter_at = ?1, counter_protest = ?3, counter_forwarded_at = "
	    "NULL WHERE id = ?4 AND ?2 = ?2";
	int64_t now = clock_now(e->clk), other;
	const char *act = m->action;
	struct inc i;
	char msg[300];
	int rc = 0, yes;

	if (strcmp(act, "complaint") == 0) {
		rc = action_complaint(e, r, m, now, msg, sizeof(msg));
		if (rc > 0)
			return REQ_ROLLBACK;
		goto journal;
	}
	if (side_inc(e, r, m->incident, &i) != 0)
		return REQ_ROLLBACK;
	if (i.closed_at) {
		inc_release(&i);
		return req_refuse(r, PARLEY_EREFUSED, "incident %llu is closed; write to the "
		    "mediator instead (parley letter send --to mediator)",
		    (unsigned long long)m->incident);
	}
	other = i.filer_id == r->who->party.id ? i.against_id : i.filer_id;
	if (strcmp(act, "meeting") == 0) {
		rc = set_fields(e, meeting, i.id, now, r->who->party.id, NULL);
		log_info("incident %lld: %s asks the mediator for an urgent meeting", (long long)i.id,
		    r->who->party.code);
		snprintf(msg, sizeof(msg), "request for an urgent meeting on incident %lld sent to "
		    "the mediator", (long long)i.id);
	} else if (strcmp(act, "meeting-accept") == 0 || strcmp(act, "meeting-propose") == 0) {
		rc = meeting_answer(e, r, &i, strcmp(act, "meeting-accept") == 0, m->text, other,
		    msg, sizeof(msg));
		if (rc > 0) {
			inc_release(&i);
			return REQ_ROLLBACK;
		}
	} else if (strcmp(act, "counter-protest") == 0) {
		if (i.against_id != r->who->party.id) {
			inc_release(&i);
			return req_refuse(r, PARLEY_EREFUSED, "a counter-protest is the accused side's: "
			    "%s filed incident %llu", r->who->party.code,
			    (unsigned long long)m->incident);
		}
		if (!text_ok(m->text, 1)) {
			inc_release(&i);
			return req_refuse(r, PARLEY_EUSAGE, "the counter-protest must be 1-%d bytes "
			    "of UTF-8, one line without control characters", FIELD_MAX);
		}
		/* one, kept as sent (and perhaps forwarded): more is a letter */
		if (*i.counter) {
			inc_release(&i);
			return req_refuse(r, PARLEY_EREFUSED, "a counter-protest about incident %llu "
			    "was already sent; write to the mediator instead (parley letter send "
			    "--to mediator)", (unsigned long long)m->incident);
		}
		rc = set_fields(e, counter, i.id, now, 0, m->text);
		log_info("incident %lld: %s sends the mediator a counter-protest", (long long)i.id,
		    r->who->party.code);
		snprintf(msg, sizeof(msg), "counter-protest about incident %lld sent to the "
		    "mediator, who may forward it to %s", (long long)i.id, i.filer);
	} else if (strcmp(act, "inspect") == 0) {
		if (*i.inspection) {
			snprintf(msg, sizeof(msg), "an inspection of incident %lld was already %s",
			    (long long)i.id, i.inspection);
			inc_release(&i);
			return req_refuse(r, PARLEY_EREFUSED, "%s", msg);
		}
		rc = set_fields(e, inspect, i.id, now, r->who->party.id, NULL);
		inc_release(&i);
		if (rc == 0 && inc_load(e, (int64_t)m->incident, &i) == 0)
			rc = send_incident(e, other, &i, "inspection-requested");
		log_info("incident %lld: %s asks for an inspection; it needs the other side's "
		    "consent", (long long)m->incident, r->who->party.code);
		snprintf(msg, sizeof(msg), "inspection of incident %llu requested; it needs the "
		    "other side's consent", (unsigned long long)m->incident);
	} else if (strcmp(act, "consent-yes") == 0 || strcmp(act, "consent-no") == 0) {
		yes = strcmp(act, "consent-yes") == 0;
		if (strcmp(i.inspection, "requested") != 0 || i.inspection_by == r->who->party.id) {
			snprintf(msg, sizeof(msg), strcmp(i.inspection, "requested") ?
			    "no inspection of incident %lld awaits consent" :
			    "the other side must consent to the inspection of incident %lld",
			    (long long)i.id);
			inc_release(&i);
			return req_refuse(r, PARLEY_EREFUSED, "%s", msg);
		}
		rc = set_fields(e, consent, i.id, now, 0, yes ? "accepted" : "refused");
		inc_release(&i);
		if (rc == 0 && inc_load(e, (int64_t)m->incident, &i) == 0)
			rc = send_incident(e, other, &i, yes ? "inspection-accepted" :
			    "inspection-refused");
		log_info("incident %llu: %s %s the inspection", (unsigned long long)m->incident,
		    r->who->party.code, yes ? "accepts" : "refuses");
		snprintf(msg, sizeof(msg), "inspection of incident %llu %s", (unsigned long long)
		    m->incident, yes ? "accepted: inspectors may be sent" : "refused");
	} else {
		inc_release(&i);
		return req_refuse(r, PARLEY_EUSAGE, "unknown incident action \"%s\"", act);
	}
	inc_release(&i);
journal:
	if (rc == 0 && inc_load(e, (int64_t)m->incident, &i) == 0) {
		char kind[48];
		snprintf(kind, sizeof(kind), "incident-%s", act);
		rc = inc_journal(e, &i, kind, r->who->party.code);
		inc_release(&i);
	}
	if (rc != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	req_ok(r, m->incident, "%s", msg);
	return REQ_KEEP;
}

/* Incidents in one answer: all of them unpaged (more are refused, not cut
 * short), or a page. */
#define INCIDENT_LIST_MAX	500
#define INCIDENT_PAGE		100

enum req_end
incident_query(struct ag_ctx *e, const struct req *r, const Parley__IncidentQuery *m)
{
	/* One more than an answer may hold, to know whether more follow. */
	static const char mine[] =
	    "SELECT id FROM incident WHERE (filer_id = ?1 OR against_id = ?1) AND id > ?2 "
	    "ORDER BY id LIMIT ?3";
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__IncidentList l = PARLEY__INCIDENT_LIST__INIT;
	struct inc *incs = NULL;
	Parley__Incident **ptrs = NULL;
	int64_t ids[INCIDENT_LIST_MAX];
	size_t n = 0, k, most = m->paged ? INCIDENT_PAGE : INCIDENT_LIST_MAX;
	/* Half the output cap at most, as a delivery (larger, the connection
	 * would be dropped as not reading). */
	size_t cap = req_max_output(r) / 2;
	uint64_t id = m->incident;
	sqlite3_stmt *s;
	int step, refused = 0, more = 0;

	if (id != 0) {
		ids[n++] = (int64_t)id;
	} else {
		if ((s = store_stmt(e->st, mine)) == NULL)
			return req_refuse(r, PARLEY_ESTORE, "store failure");
		sqlite3_bind_int64(s, 1, r->who->party.id);
		sqlite3_bind_int64(s, 2, m->after > INT64_MAX ? INT64_MAX : (int64_t)m->after);
		sqlite3_bind_int64(s, 3, (int64_t)most + 1);
		while ((step = sqlite3_step(s)) == SQLITE_ROW && n < most)
			ids[n++] = sqlite3_column_int64(s, 0);
		if (store_rows_end(e->st, s, step, "a party's incidents") != 0)
			return req_refuse(r, PARLEY_ESTORE, "store failure");
		more = step == SQLITE_ROW;
		if (more && !m->paged)
			return req_refuse(r, PARLEY_EREFUSED, "more than %d incidents concern %s: "
			    "ask for one at a time (parley incident show N), or use a parley "
			    "client that pages", INCIDENT_LIST_MAX, r->who->party.code);
	}
	if (n > 0 && ((incs = calloc(n, sizeof(*incs))) == NULL ||
	    (ptrs = calloc(n, sizeof(*ptrs))) == NULL)) {
		free(incs);
		return req_refuse(r, PARLEY_ESTORE, "out of memory");
	}
	for (k = 0; k < n; k++) {
		if (id != 0) {
			if (side_inc(e, r, id, &incs[k]) != 0) {
				free(incs);
				free(ptrs);
				return REQ_ROLLBACK;
			}
		} else if (inc_load(e, ids[k], &incs[k]) != 0) {
			/* listed a moment ago in this transaction */
			req_refuse(r, PARLEY_ESTORE, "store failure loading incident %lld",
			    (long long)ids[k]);
			refused = 1;
			break;
		}
		inc_view(e, &incs[k], NULL);
		inc_for(&incs[k], r->who->party.id);
		ptrs[l.n_incidents++] = &incs[k].msg;
	}
	l.incidents = ptrs;
	/* A page too long to send is made shorter; an unpaged list is refused. */
	while (!refused && m->paged && l.n_incidents > 1 &&
	    parley__incident_list__get_packed_size(&l) > cap) {
		l.n_incidents--;
		more = 1;
	}
	if (!refused && parley__incident_list__get_packed_size(&l) > cap) {
		req_refuse(r, PARLEY_EREFUSED, "the incidents that concern %s are more than one "
		    "answer may carry: ask for one at a time (parley incident show N)",
		    r->who->party.code);
		refused = 1;
	}
	if (more && l.n_incidents > 0)
		l.next = (uint64_t)ids[l.n_incidents - 1];
	f.body_case = PARLEY__FRAME__BODY_INCIDENT_LIST;
	f.incident_list = &l;
	if (!refused)
		req_reply(r, &f);
	for (k = 0; k < n; k++)
		inc_release(&incs[k]);
	free(incs);
	free(ptrs);
	return REQ_ROLLBACK;
}

/* An hour before the meeting the mediator scheduled (due: when it was
 * to be then; a meeting moved since has a timer of its own), both sides
 * are reminded of it. */
static int
meeting_due(struct ag_ctx *e, int64_t id, int64_t due)
{
	struct inc i;
	int rc;

	if ((rc = inc_load(e, id, &i)) != 0)
		return rc < 0 ? -1 : 0;
	/* not for a meeting moved since, nor one already past (a reminder
	 * due while parleyd was down) */
	if (i.closed_at || i.meeting_time != due + MEETING_LEAD ||
	    clock_now(e->clk) >= i.meeting_time) {
		inc_release(&i);
		return 0;
	}
	log_info("incident %lld: the meeting at %s is in an hour", (long long)id, i.meeting_place);
	rc = send_incident(e, i.filer_id, &i, "meeting-soon");
	if (rc == 0)
		rc = send_incident(e, i.against_id, &i, "meeting-soon");
	inc_release(&i);
	return rc;
}

int
incident_fire(struct ag_ctx *e, int64_t id, const char *kind, int64_t due)
{
	static const char upd[] =
	    "UPDATE incident SET state = 'overdue', overdue_at = ? WHERE id = ? AND state = 'open'";
	sqlite3_stmt *s;
	struct inc i;
	int rc;

	if (strcmp(kind, "incident-meeting") == 0)
		return meeting_due(e, id, due);
	if (strcmp(kind, "incident-overdue") != 0)
		return 0;
	if ((s = store_stmt(e->st, upd)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, due);
	sqlite3_bind_int64(s, 2, id);
	rc = store_step_done(e->st, s);
	if (rc != 0)
		return -1;
	if (sqlite3_changes(store_db(e->st)) == 0)
		return 0;	/* answered or closed in time */
	if (inc_load(e, id, &i) != 0)
		return -1;
	log_warnx("incident %lld: OVERDUE: %s did not answer %s's report within the response "
	    "window", (long long)id, i.against, i.filer);
	rc = send_incident(e, i.filer_id, &i, "overdue");
	if (rc == 0)
		rc = send_incident(e, i.against_id, &i, "overdue");
	if (rc == 0)
		rc = inc_journal(e, &i, "incident-overdue", i.against);
	inc_release(&i);
	return rc;
}

static void
json_inc(struct ag_ctx *e, struct jw *j, struct inc *i)
{
	char t[PTIME_BUFLEN];

	inc_view(e, i, NULL);
	jw_int(j, "id", i->id);
	jw_str(j, "filer", i->filer);
	jw_str(j, "against", i->against);
	jw_str(j, "place", i->place);
	jw_str(j, "time", i->t_happened);
	jw_str(j, "nature", i->nature);
	jw_str(j, "consequences", i->consequences);
	if (i->agreement_id)
		jw_int(j, "agreement", i->agreement_id);
	else
		jw_null(j, "agreement");
	jw_bool(j, "agreement_not_in_force", i->not_in_force);
	jw_str(j, "proposal", i->proposal);
	jw_str(j, "state", i->state);
	jw_str(j, "filed_at", i->t_filed);
	jw_str(j, "respond_by", i->t_by);
	jw_str(j, "answered_at", i->answered_at ? i->t_answered : NULL);
	jw_str(j, "answer", i->answered_at ? i->answer : NULL);
	jw_str(j, "measures", i->answered_at ? i->measures : NULL);
	jw_str(j, "publishable_at", i->t_pub);
	jw_bool(j, "publishable", i->msg.publishable);
	if (i->meeting_at) {
		ptime_format_in(i->meeting_at, i->zone, t);
		jw_str(j, "meeting_requested_at", t);
	} else {
		jw_null(j, "meeting_requested_at");
	}
	jw_str(j, "inspection", i->inspection);
	jw_str(j, "complaint", i->complaint_at ? i->complaint : NULL);
	jw_str(j, "close_reason", *i->close_reason ? i->close_reason : NULL);
	jw_bool(j, "answered_late", i->msg.answered_late);
	jw_str(j, "recommendation", *i->recommendation ? i->recommendation : NULL);
	if (i->meeting_time) {
		size_t k;
		jw_obj_begin(j, "meeting");
		jw_str(j, "time", i->t_meeting);
		jw_str(j, "place", i->meeting_place);
		jw_str(j, "participants", i->meeting_participants);
		jw_arr_begin(j, "answers");
		for (k = 0; k < i->nanswers; k++)
			jw_str(j, NULL, i->answers[k]);
		jw_arr_end(j);
		jw_obj_end(j);
	} else {
		jw_null(j, "meeting");
	}
	jw_str(j, "escalated_to", *i->escalated_to ? i->escalated_to : NULL);
	jw_str(j, "counter_protest", *i->counter ? i->counter : NULL);
	jw_bool(j, "counter_forwarded", i->counter_forwarded_at != 0);
}

int
incident_list(struct ag_ctx *e, struct out *o)
{
	static const char sql[] = "SELECT id FROM incident ORDER BY id";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int64_t *ids;
	size_t n, k;
	struct inc i;

	/* All of them: the first thousand were once shown as if all. */
	if (s == NULL || store_ids(e->st, s, "the incidents", &ids, &n) != 0)
		return out_refuse(o, "store failure");
	jw_arr_begin(o->json, "incidents");
	out_text(o, "%-4s %-12s %-12s %-9s %-25s %s\n", "ID", "FILER", "AGAINST", "STATE",
	    "ANSWER BY", "NATURE");
	for (k = 0; k < n && !out_full(o); k++) {
		/* Listed a moment ago in this transaction: not found is a failure too. */
		if (inc_load(e, ids[k], &i) != 0) {
			out_refuse(o, "store failure loading incident %lld", (long long)ids[k]);
			free(ids);
			return -1;
		}
		jw_obj_begin(o->json, NULL);
		json_inc(e, o->json, &i);
		jw_obj_end(o->json);
		out_text(o, "%-4lld %-12s %-12s %-9s %-25s %s%s%s\n", (long long)i.id, i.filer,
		    i.against, i.state, i.t_by, i.nature, i.not_in_force ?
		    " [cites an agreement not in force]" : "", i.complaint_at ? " [complaint]" : "");
		inc_release(&i);
	}
	jw_arr_end(o->json);
	free(ids);
	return 0;
}

int
incident_show(struct ag_ctx *e, int64_t id, struct out *o)
{
	struct inc i;
	int rc = inc_load(e, id, &i);

	if (rc != 0)
		return out_refuse(o, rc < 0 ? "store failure" : "no incident %lld", (long long)id);
	json_inc(e, o->json, &i);
	out_text(o, "incident %lld: %s reports %s\n  place: %s\n  time: %s\n  nature: %s\n"
	    "  consequences: %s\n", (long long)i.id, i.filer, i.against, i.place, i.t_happened,
	    i.nature, i.consequences);
	if (i.agreement_id)
		out_text(o, "  cites agreement %lld%s\n", (long long)i.agreement_id,
		    i.not_in_force ? " (NOT in force)" : "");
	if (*i.proposal)
		out_text(o, "  proposal: %s\n", i.proposal);
	out_text(o, "  state: %s; filed %s; answer due by %s\n", i.state, i.t_filed, i.t_by);
	if (i.answered_at)
		out_text(o, "  answered %s%s: %s\n  measures: %s\n", i.t_answered,
		    i.msg.answered_late ? " (LATE)" : "", i.answer, *i.measures ? i.measures : "none");
	out_text(o, "  publishable %s %s\n", i.msg.publishable ? "since" : "from", i.t_pub);
	if (i.meeting_at)
		out_text(o, "  an urgent meeting was requested\n");
	if (*i.inspection)
		out_text(o, "  inspection: %s\n", i.inspection);
	if (i.complaint_at)
		out_text(o, "  complaint to the mediator: %s\n", i.complaint);
	if (*i.recommendation)
		out_text(o, "  the mediator's recommendation: %s\n", i.recommendation);
	if (i.meeting_time) {
		size_t k;
		out_text(o, "  meeting at %s, %s (%s)%s", i.t_meeting, i.meeting_place,
		    i.meeting_participants, i.nanswers ? ":" : "; no side has answered");
		for (k = 0; k < i.nanswers; k++)
			out_text(o, "%s %s", k ? ";" : "", i.answers[k]);
		out_text(o, "\n");
	}
	if (*i.escalated_to)
		out_text(o, "  brought to: %s\n", i.escalated_to);
	if (*i.counter)
		out_text(o, "  counter-protest of %s%s: %s\n", i.against, i.counter_forwarded_at ?
		    " (forwarded)" : " (not forwarded: parleyctl incident forward)", i.counter);
	if (*i.close_reason)
		out_text(o, "  closed by the mediator: %s\n", i.close_reason);
	inc_release(&i);
	return 0;
}

int
incident_close(struct ag_ctx *e, int64_t id, const char *reason, struct out *o)
{
	static const char sql[] =
	    "UPDATE incident SET state = 'closed', closed_at = ?, close_reason = ? "
	    "WHERE id = ? AND state != 'closed'";
	sqlite3_stmt *s;
	struct inc i;
	char why[100];
	int rc;

	if (reason != NULL && ag_reason_check(reason, strlen(reason), why, sizeof(why)) != 0)
		return out_usage(o, "--reason: %s", why);
	if ((s = store_stmt(e->st, sql)) == NULL)
		return out_refuse(o, "store failure");
	sqlite3_bind_int64(s, 1, clock_now(e->clk));
	if (reason != NULL)
		sqlite3_bind_text(s, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, id);
	rc = store_step_done(e->st, s);
	if (rc != 0)
		return out_refuse(o, "store failure");
	if (sqlite3_changes(store_db(e->st)) == 0)
		return out_refuse(o, "no open incident %lld", (long long)id);
	if (inc_load(e, id, &i) != 0)
		return out_refuse(o, "store failure");
	rc = send_incident(e, i.filer_id, &i, "closed");
	if (rc == 0)
		rc = send_incident(e, i.against_id, &i, "closed");
	if (rc == 0)
		rc = inc_journal(e, &i, "incident-closed", NULL);
	inc_release(&i);
	if (rc != 0)
		return out_refuse(o, "store failure");
	jw_int(o->json, "id", id);
	jw_str(o->json, "state", "closed");
	jw_str(o->json, "reason", reason);
	out_text(o, "incident %lld closed; both sides are told%s\n", (long long)id,
	    reason ? ", with the reason" : "");
	return 0;
}

int
incident_counts(struct ag_ctx *e, int64_t *open, int64_t *overdue)
{
	static const char sql[] =
	    "SELECT count(*) FILTER (WHERE state IN ('open', 'overdue')),"
	    " count(*) FILTER (WHERE state = 'overdue') FROM incident";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc = -1, step;

	*open = *overdue = 0;
	if (s == NULL)
		return -1;
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		*open = sqlite3_column_int64(s, 0);
		*overdue = sqlite3_column_int64(s, 1);
		rc = 0;
	}
	if (store_rows_end(e->st, s, step, "incident counts") != 0)
		return -1;
	return rc;
}

/* An open incident for a mediator's step: 0 with *i, or -1 refused in o. */
static int
open_inc(struct ag_ctx *e, int64_t id, struct inc *i, struct out *o)
{
	int rc = inc_load(e, id, i);

	if (rc != 0)
		return out_refuse(o, rc < 0 ? "store failure" : "no incident %lld", (long long)id);
	if (i->closed_at) {
		inc_release(i);
		return out_refuse(o, "incident %lld is closed", (long long)id);
	}
	return 0;
}

/* After a mediator's step on incident id: both sides told (event), the
 * step journalled (kind).  0, or -1 refused in o. */
static int
tell_sides(struct ag_ctx *e, int64_t id, const char *event, const char *kind, struct out *o)
{
	struct inc i;
	int rc;

	if (inc_load(e, id, &i) != 0)
		return out_refuse(o, "store failure");
	rc = send_incident(e, i.filer_id, &i, event);
	if (rc == 0)
		rc = send_incident(e, i.against_id, &i, event);
	if (rc == 0)
		rc = inc_journal(e, &i, kind, NULL);
	inc_release(&i);
	return rc == 0 ? 0 : out_refuse(o, "store failure");
}

int
incident_recommend(struct ag_ctx *e, int64_t id, const char *text, size_t len, struct out *o)
{
	static const char sql[] =
	    "UPDATE incident SET recommendation = ?, recommended_at = ? WHERE id = ?";
	char why[200];
	sqlite3_stmt *s;
	struct inc i;

	if (len == 0 || len > FIELD_MAX || text_check(text, len, why, sizeof(why)) != 0 ||
	    text_displayable(text, len, why, sizeof(why)) != 0 ||
	    strspn(text, " \t\n") == len)
		return out_usage(o, "the recommendation must be 1-%d bytes of UTF-8 text, not blank, "
		    "shown as it is", FIELD_MAX);
	if (open_inc(e, id, &i, o) != 0)
		return -1;
	inc_release(&i);
	if ((s = store_stmt(e->st, sql)) == NULL)
		return out_refuse(o, "store failure");
	sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, clock_now(e->clk));
	sqlite3_bind_int64(s, 3, id);
	if (store_step_done(e->st, s) != 0 ||
	    tell_sides(e, id, "recommendation", "incident-recommendation", o) != 0)
		return o->status ? -1 : out_refuse(o, "store failure");
	log_info("incident %lld: the mediator recommends to both sides", (long long)id);
	jw_int(o->json, "id", id);
	out_text(o, "recommendation on incident %lld sent to both sides\n", (long long)id);
	return 0;
}

int
incident_meeting_set(struct ag_ctx *e, int64_t id, const char *time, const char *place,
    const char *participants, struct out *o)
{
	static const char sql[] =
	    "UPDATE incident SET meeting_time = ?, meeting_place = ?, meeting_participants = ? "
	    "WHERE id = ?";
	static const char clear[] = "DELETE FROM incident_meeting_answer WHERE incident_id = ?";
	char when[PTIME_BUFLEN];
	sqlite3_stmt *s;
	struct inc i;
	int64_t t;

	if (ptime_parse(time, &t) != 0 || t <= clock_now(e->clk))
		return out_usage(o, "--time takes an ISO 8601 time with an offset, in the future");
	if (!cert_shown_valid(place, 300) || *place == '\0' ||
	    !cert_shown_valid(participants, 300) || *participants == '\0')
		return out_usage(o, "--place and --participants take one line of 1-300 bytes "
		    "without control characters");
	if (open_inc(e, id, &i, o) != 0)
		return -1;
	ptime_format_in(t, i.zone, when);
	inc_release(&i);
	/* A new time, place or company: the sides answer again. */
	if ((s = store_stmt(e->st, clear)) == NULL)
		return out_refuse(o, "store failure");
	sqlite3_bind_int64(s, 1, id);
	if (store_step_done(e->st, s) != 0 || (s = store_stmt(e->st, sql)) == NULL)
		return out_refuse(o, "store failure");
	sqlite3_bind_int64(s, 1, t);
	sqlite3_bind_text(s, 2, place, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, participants, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, id);
	/* one reminder, of the meeting as it now stands */
	if (store_step_done(e->st, s) != 0 ||
	    ag_timer_cancel_incident(e, id, "incident-meeting") != 0 ||
	    (t - MEETING_LEAD > clock_now(e->clk) &&
	    ag_timer_add(e, 0, id, "incident-meeting", t - MEETING_LEAD, 0, 0) != 0) ||
	    tell_sides(e, id, "meeting-scheduled", "incident-meeting-scheduled", o) != 0)
		return o->status ? -1 : out_refuse(o, "store failure");
	log_info("incident %lld: the mediator schedules a meeting at %s, %s", (long long)id,
	    when, place);
	jw_int(o->json, "id", id);
	jw_str(o->json, "meeting_time", when);
	out_text(o, "meeting on incident %lld at %s, %s (%s); both sides are asked to accept "
	    "or propose another time\n", (long long)id, when, place, participants);
	return 0;
}

int
incident_escalate(struct ag_ctx *e, int64_t id, const char *to, struct out *o)
{
	static const char sql[] =
	    "UPDATE incident SET escalated_to = ?, escalated_at = ? WHERE id = ?";
	char list[600], *p, *save = NULL;
	int64_t ids[64];
	struct party pt;
	size_t n = 0, k;
	sqlite3_stmt *s;
	struct inc i;
	int rc;

	if (strlen(to) >= sizeof(list) || *to == '\0')
		return out_usage(o, "--to takes party or observer codes separated by commas");
	if (open_inc(e, id, &i, o) != 0)
		return -1;
	snprintf(list, sizeof(list), "%s", to);
	for (p = strtok_r(list, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
		if ((rc = registry_party_by_code(e->st, p, &pt)) != 0) {
			inc_release(&i);
			return rc < 0 ? out_refuse(o, "store failure") :
			    out_usage(o, "unknown party \"%s\"", p);
		}
		if (pt.id == i.filer_id || pt.id == i.against_id) {
			inc_release(&i);
			return out_usage(o, "%s is a side of incident %lld and has it already", p,
			    (long long)id);
		}
		for (k = 0; k < n && ids[k] != pt.id; k++)
			;
		if (k < n || n == 64) {
			inc_release(&i);
			return out_usage(o, "--to names %s twice, or more than 64", p);
		}
		ids[n++] = pt.id;
	}
	inc_release(&i);
	if (n == 0)
		return out_usage(o, "--to takes party or observer codes separated by commas");
	if ((s = store_stmt(e->st, sql)) == NULL)
		return out_refuse(o, "store failure");
	sqlite3_bind_text(s, 1, to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, clock_now(e->clk));
	sqlite3_bind_int64(s, 3, id);
	if (store_step_done(e->st, s) != 0 || inc_load(e, id, &i) != 0)
		return out_refuse(o, "store failure");
	for (k = 0, rc = 0; k < n && rc == 0; k++)
		rc = send_incident(e, ids[k], &i, "escalated");
	inc_release(&i);
	if (rc != 0 || tell_sides(e, id, "escalated", "incident-escalated", o) != 0)
		return o->status ? -1 : out_refuse(o, "store failure");
	log_info("incident %lld: the mediator brings it to %s", (long long)id, to);
	jw_int(o->json, "id", id);
	jw_str(o->json, "escalated_to", to);
	out_text(o, "incident %lld brought to %s; both sides are told\n", (long long)id, to);
	return 0;
}

int
incident_forward(struct ag_ctx *e, int64_t id, struct out *o)
{
	static const char sql[] = "UPDATE incident SET counter_forwarded_at = ? WHERE id = ?";
	sqlite3_stmt *s;
	struct inc i;
	int rc;

	if ((rc = inc_load(e, id, &i)) != 0)
		return out_refuse(o, rc < 0 ? "store failure" : "no incident %lld", (long long)id);
	if (*i.counter == '\0' || i.counter_forwarded_at != 0) {
		rc = out_refuse(o, "incident %lld has no counter-protest %s", (long long)id,
		    *i.counter ? "left to forward (it was forwarded)" : "from its accused side");
		inc_release(&i);
		return rc;
	}
	inc_release(&i);
	if ((s = store_stmt(e->st, sql)) == NULL)
		return out_refuse(o, "store failure");
	sqlite3_bind_int64(s, 1, clock_now(e->clk));
	sqlite3_bind_int64(s, 2, id);
	if (store_step_done(e->st, s) != 0 || inc_load(e, id, &i) != 0)
		return out_refuse(o, "store failure");
	rc = send_incident(e, i.filer_id, &i, "counter-protest");
	if (rc == 0)
		rc = inc_journal(e, &i, "incident-counter-forwarded", NULL);
	jw_int(o->json, "id", id);
	out_text(o, "the counter-protest of %s about incident %lld forwarded to %s\n", i.against,
	    (long long)id, i.filer);
	inc_release(&i);
	return rc == 0 ? 0 : out_refuse(o, "store failure");
}
