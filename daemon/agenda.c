/* What needs the mediator now; see agenda.h. */
#include <stdio.h>
#include <string.h>

#include "agenda.h"
#include "ptime.h"

/* One section: sql's rows (each column an item field, in names' order;
 * a column named "*_at" is a time shown in the zone of the last column)
 * into the JSON array key and text lines under heading.  Its count. */
struct section {
	const char *key, *heading;
	const char *sql;
	const char *names[12];
	size_t ncols;
};

static const struct section sections[] = {
	{ "signatures", "signatures awaited",
	  /* a party with required roles: each role not yet signed; without: the party */
	  "SELECT a.id, p.code, r.role, a.sign_by, a.zone FROM agreement a "
	  "JOIN agreement_party ap ON ap.agreement_id = a.id AND ap.observer = 0 "
	  "JOIN party p ON p.id = ap.party_id "
	  "LEFT JOIN agreement_role r ON r.agreement_id = a.id AND r.party_id = ap.party_id "
	  "WHERE a.state = 'circulating' AND NOT EXISTS (SELECT 1 FROM copy c "
	  " WHERE c.agreement_id = a.id AND c.party_id = ap.party_id AND c.revision = a.revision"
	  " AND c.status = 'valid' AND (r.role IS NULL OR c.role = r.role)) "
	  "ORDER BY coalesce(a.sign_by, 9223372036854775807), a.id, ap.rowid, r.role",
	  { "agreement", "party", "role", "sign_by_at" }, 4 },
	{ "amendments", "amendments",
	  "SELECT m.id, m.agreement_id, p.code, m.state, m.created_at, a.zone FROM amendment m "
	  "JOIN party p ON p.id = m.proposer_id JOIN agreement a ON a.id = m.agreement_id "
	  "WHERE m.state IN ('proposed', 'forwarded') AND a.state = 'circulating' "
	  "AND m.revision = a.revision ORDER BY m.id",
	  { "amendment", "agreement", "proposer", "state", "proposed_at" }, 5 },
	{ "incidents", "incidents not closed",
	  /* with what waits on the mediator: a complaint, a meeting asked for,
	   * a counter-protest to forward or not, another time proposed for the
	   * meeting, an inspection awaiting the other side's consent */
	  "SELECT i.id, f.code, g.code, i.state, i.respond_by, i.publishable_at,"
	  " i.complaint_at IS NOT NULL, i.meeting_at IS NOT NULL AND i.meeting_time IS NULL,"
	  " i.counter_at IS NOT NULL AND i.counter_forwarded_at IS NULL,"
	  " EXISTS (SELECT 1 FROM incident_meeting_answer m WHERE m.incident_id = i.id"
	  "  AND m.accept = 0), i.inspection = 'requested',"
	  " (SELECT z.zone FROM agreement z WHERE z.id = i.agreement_id) FROM incident i "
	  "JOIN party f ON f.id = i.filer_id JOIN party g ON g.id = i.against_id "
	  "WHERE i.state != 'closed' ORDER BY i.respond_by, i.id",
	  { "incident", "filer", "against", "state", "respond_by_at", "publishable_at",
	    "complaint", "meeting_requested", "counter_protest_unforwarded",
	    "meeting_time_proposed", "inspection_requested" }, 11 },
	{ "measures", "measures overdue",
	  /* a measure to confirm, due, without every confirmation it needs (all:
	   * one per signing party; the mediator's own: its confirmation) */
	  "SELECT m.agreement_id, m.number, m.party, m.description, m.due_at, a.zone "
	  "FROM measure m JOIN agreement a ON a.id = m.agreement_id "
	  "WHERE m.due_at IS NOT NULL AND m.due_at <= ?1 AND (m.needs_confirm = 1 OR "
	  " m.party = 'mediator') AND a.state NOT IN ('withdrawn', 'lapsed', 'expired') "
	  "AND (SELECT count(*) FROM measure_confirmation c WHERE c.agreement_id = "
	  " m.agreement_id AND c.number = m.number) < CASE m.party WHEN 'all' THEN (SELECT "
	  " count(*) FROM agreement_party ap WHERE ap.agreement_id = m.agreement_id AND "
	  " ap.observer = 0) ELSE 1 END ORDER BY m.due_at",
	  { "agreement", "measure", "party", "description", "due_at" }, 5 },
	{ "conditions", "conditions not lifted",
	  "SELECT c.agreement_id, p.code, c.role, c.condition, d.due_at, a.zone FROM copy c "
	  "JOIN agreement a ON a.id = c.agreement_id AND a.revision = c.revision "
	  "JOIN party p ON p.id = c.party_id LEFT JOIN condition_due d ON d.copy_id = c.id "
	  "WHERE c.condition IS NOT NULL AND c.status = 'valid' AND a.released_at IS NOT NULL "
	  "AND NOT EXISTS (SELECT 1 FROM condition_lift l WHERE l.copy_id = c.id) "
	  "ORDER BY coalesce(d.due_at, 9223372036854775807), c.id",
	  { "agreement", "party", "role", "condition", "due_at" }, 5 },
	{ "duty_alerts", "duty alerts",
	  "SELECT p.code, d.gap_since, '' FROM duty_alert d JOIN party p ON p.id = d.party_id "
	  "WHERE d.cleared_at IS NULL ORDER BY d.gap_since",
	  { "party", "offline_since_at" }, 2 },
	{ "observer_requests", "requests to add an observer",
	  "SELECT r.id, r.agreement_id, p.code, r.window_ends, a.zone FROM observer_request r "
	  "JOIN party p ON p.id = r.party_id JOIN agreement a ON a.id = r.agreement_id "
	  "WHERE r.state = 'open' ORDER BY r.window_ends",
	  { "request", "agreement", "observer", "objections_until_at" }, 4 },
};

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Columns that are yes or no: shown as [name] when yes. */
static int
is_flag(const char *name)
{
	static const char *const flags[] = { "complaint", "meeting_requested",
		"counter_protest_unforwarded", "meeting_time_proposed", "inspection_requested" };
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(name, flags[i]) == 0)
			return 1;
	return 0;
}

/* One section into o: its number of items, or -1. */
static int
section(struct ag_ctx *e, const struct section *sc, struct out *o)
{
	sqlite3_stmt *s = store_stmt(e->st, sc->sql);
	char when[PTIME_BUFLEN], line[1200];
	int rc, n = 0;
	size_t k, off;

	if (s == NULL)
		return -1;
	if (sqlite3_bind_parameter_count(s) > 0)
		sqlite3_bind_int64(s, 1, clock_now(e->clk));
	jw_arr_begin(o->json, sc->key);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && !out_full(o)) {
		const char *zone = store_col_str(s, (int)sc->ncols);
		if (n++ == 0)
			out_text(o, "%s:\n", sc->heading);
		jw_obj_begin(o->json, NULL);
		off = (size_t)snprintf(line, sizeof(line), " ");
		for (k = 0; k < sc->ncols; k++) {
			const char *name = sc->names[k];
			int null = sqlite3_column_type(s, (int)k) == SQLITE_NULL;
			if (ends_with(name, "_at")) {
				char key[48];
				snprintf(key, sizeof(key), "%.*s", (int)(strlen(name) - 3), name);
				if (null || (strcmp(name, "sign_by_at") == 0 &&
				    sqlite3_column_int64(s, (int)k) == 0)) {
					jw_null(o->json, key);
					continue;
				}
				ptime_format_in(store_col_time(s, (int)k), zone, when);
				jw_str(o->json, key, when);
				off += (size_t)snprintf(line + off, off < sizeof(line) ?
				    sizeof(line) - off : 0, " %s %s", key, when);
			} else if (is_flag(name)) {
				jw_bool(o->json, name, sqlite3_column_int(s, (int)k));
				if (sqlite3_column_int(s, (int)k))
					off += (size_t)snprintf(line + off, off < sizeof(line) ?
					    sizeof(line) - off : 0, " [%s]", name);
			} else if (sqlite3_column_type(s, (int)k) == SQLITE_INTEGER) {
				jw_int(o->json, name, sqlite3_column_int64(s, (int)k));
				off += (size_t)snprintf(line + off, off < sizeof(line) ?
				    sizeof(line) - off : 0, " %s %lld", name,
				    (long long)sqlite3_column_int64(s, (int)k));
			} else {
				jw_str(o->json, name, null ? NULL : store_col_str(s, (int)k));
				if (!null && *store_col_str(s, (int)k))
					off += (size_t)snprintf(line + off, off < sizeof(line) ?
					    sizeof(line) - off : 0, " %s %s", name,
					    store_col_str(s, (int)k));
			}
		}
		jw_obj_end(o->json);
		out_text(o, "%s\n", line);
	}
	jw_arr_end(o->json);
	if (store_rows_end(e->st, s, rc == SQLITE_ROW ? SQLITE_DONE : rc, sc->key) != 0)
		return -1;
	return n;
}

int
agenda_show(struct ag_ctx *e, struct out *o)
{
	char now[PTIME_BUFLEN];
	size_t i;
	int n, total = 0;

	ptime_format_in(clock_now(e->clk), "", now);
	jw_str(o->json, "now", now);
	out_text(o, "agenda at %s\n", now);
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if ((n = section(e, &sections[i], o)) < 0)
			return out_refuse(o, "store failure: %s", store_errmsg(e->st));
		total += n;
	}
	jw_int(o->json, "items", total);
	if (total == 0)
		out_text(o, "nothing needs the mediator now\n");
	return 0;
}
