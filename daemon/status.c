/* The status socket: GET /metrics (Prometheus text format 0.0.4) and
 * GET /status (JSON) over HTTP on a Unix socket.
 *
 * Both answers are rendered from one snapshot taken at request time: the
 * event counters of struct metrics, gauges read from the store with SELECTs
 * only, and the ready sessions (session_foreach).  A scrape that arrives in
 * the middle of an event-loop turn may see that turn's writes before they
 * are committed, as the counters do (the engine bumps them before COMMIT);
 * the next scrape sees the outcome. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "condition.h"
#include "duty.h"
#include "errors.h"
#include "incident.h"
#include "json.h"
#include "pgrec.h"
#include "lifecycle.h"
#include "log.h"
#include "ptime.h"
#include "registry.h"
#include "session.h"
#include "status.h"

#ifndef PARLEY_VERSION
#define PARLEY_VERSION "0.1.0"
#endif

/* Requests are tiny: a request line and a few headers, never a body. */
#define STATUS_MAX_HEADERS	8192
#define STATUS_MAX_BODY		1024	/* a small body still gets its 405 */
#define STATUS_TIMEOUT		10	/* seconds, per connection */
#define STATUS_BACKLOG		16
#define STATUS_MAX_PARTIES	100000	/* bounds the snapshot's allocation */
#define STATUS_REPORT_EVERY	60	/* seconds between refusal log lines */

/* Connections are counted from evhttp's bufferevent callback to libevent's
 * finalizing of that bufferevent (status_bev, status_conn_gone).  At
 * STATUS_MAX_CONNECTIONS the listener is disabled ("full") and refuse_ev
 * accepts and closes whatever else arrives; the first close below the cap
 * turns it back. */
struct status {
	struct server *srv;
	struct evhttp *http;
	struct evconnlistener *lev;	/* the http's, owned by it; NULL once stopped */
	struct event *refuse_ev;	/* EV_READ on the socket while full */
	struct event *refuse_retry;	/* refuse_ev rests after an accept error */
	struct event *report;		/* pending: a refusal was logged this minute */
	char *path;		/* the socket file, unlinked at close */
	struct timespec started;	/* CLOCK_MONOTONIC at listen */
	size_t nconns;		/* status connections open */
	int full;		/* at the cap: lev disabled, refuse_ev added */
	int orphaned;		/* status_close ran: the last connection frees s */
	uint64_t refused;	/* closed at once at the cap, since start */
	uint64_t refused_logged;	/* of those, told in the log */
};

struct party_stat {
	int64_t id;
	char code[PARTY_CODE_MAX + 1];
	int observer;
	int64_t endpoints;	/* registered, not removed */
	int64_t online;		/* distinct endpoints with a ready session */
	int watched;		/* on duty watch (signing parties) */
	int alerted;		/* its current gap raised a duty alert */
	int64_t gap_since;	/* no endpoint online since (0: one is) */
};

struct snapshot {
	int64_t now;			/* business time (clock module) */
	int virtual_clock;
	int64_t uptime;			/* seconds, monotonic */
	size_t connections;
	int64_t agreements[AG_NSTATES];
	int64_t agreements_other;	/* a state lifecycle.c does not know */
	int64_t pending;
	int64_t oldest_pending;		/* created_at, or -1 when none */
	int64_t amendments_open;
	int64_t incidents_open;		/* awaiting an answer, overdue included */
	int64_t incidents_overdue;
	int64_t conditions_open;	/* released signatures still conditional */
	uint64_t duty_alerts;		/* raised since start */
	size_t status_open;		/* status connections, this one included */
	uint64_t status_refused;	/* closed at the cap */
	struct party_stat *parties;
	size_t nparties;
	struct metrics m;
	int standby;			/* waiting for the lease: no store yet */
	int postgresql;			/* [store] backend = postgresql */
	struct pgrec_state rec;		/* then: the record's state */
};

/* The ready sessions, as (endpoint, party) pairs: one endpoint may hold
 * several connections (max_per_endpoint) and counts once. */
struct online {
	struct { int64_t endpoint, party; } *e;
	size_t n, cap;
	int oom;
};

static void
collect_online(void *arg, const struct ident *who)
{
	struct online *on = arg;
	void *ne;

	if (on->oom)
		return;
	if (on->n == on->cap) {
		on->cap = on->cap ? on->cap * 2 : 64;
		if ((ne = realloc(on->e, on->cap * sizeof(*on->e))) == NULL) {
			on->oom = 1;
			return;
		}
		on->e = ne;
	}
	on->e[on->n].endpoint = who->endpoint_id;
	on->e[on->n].party = who->party.id;
	on->n++;
}

static int
by_endpoint(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Duty watch: live state in memory (duty.h), matched to the parties. */
static int
snap_duty(struct status *s, struct snapshot *sn)
{
	struct duty_info *di;
	size_t n, i, k;

	if (s->srv->duty == NULL)
		return 0;
	sn->duty_alerts = duty_alerts(s->srv->duty);
	if (sn->nparties == 0)
		return 0;
	if ((di = calloc(sn->nparties, sizeof(*di))) == NULL)
		return -1;
	n = duty_snapshot(s->srv->duty, di, sn->nparties);
	for (i = 0; i < n; i++)
		for (k = 0; k < sn->nparties; k++)
			if (sn->parties[k].id == di[i].party_id) {
				sn->parties[k].watched = 1;
				sn->parties[k].alerted = di[i].alerted;
				sn->parties[k].gap_since = di[i].gap_since;
				break;
			}
	free(di);
	return 0;
}

/* registry_party_foreach's callback: the parties go into the snapshot,
 * at most STATUS_MAX_PARTIES of them. */
struct party_collect {
	struct snapshot *sn;
	size_t cap;
};

static int
collect_party(void *arg, const struct party *p, int64_t endpoints)
{
	struct party_collect *pc = arg;
	struct snapshot *sn = pc->sn;
	struct party_stat *np;

	if (sn->nparties >= STATUS_MAX_PARTIES)
		return 1;
	if (sn->nparties == pc->cap) {
		pc->cap = pc->cap ? pc->cap * 2 : 16;
		np = realloc(sn->parties, pc->cap * sizeof(*np));
		if (np == NULL)
			return -1;
		sn->parties = np;
	}
	np = &sn->parties[sn->nparties++];
	memset(np, 0, sizeof(*np));
	np->id = p->id;
	snprintf(np->code, sizeof(np->code), "%s", p->code);
	np->observer = p->observer;
	np->endpoints = endpoints;
	return 0;
}

static int
snap_parties(struct status *s, struct snapshot *sn)
{
	struct party_collect pc;
	struct online on;
	size_t i, k;
	int rc;

	pc.sn = sn;
	pc.cap = 0;
	rc = registry_party_foreach(s->srv->st, collect_party, &pc);
	if (rc < 0)
		return -1;
	memset(&on, 0, sizeof(on));
	session_foreach(s->srv, collect_online, &on);
	if (on.oom) {
		free(on.e);
		return -1;
	}
	if (on.n > 0)
		qsort(on.e, on.n, sizeof(*on.e), by_endpoint);
	for (i = 0; i < on.n; i++) {
		if (i > 0 && on.e[i].endpoint == on.e[i - 1].endpoint)
			continue;
		for (k = 0; k < sn->nparties; k++)
			if (sn->parties[k].id == on.e[i].party) {
				sn->parties[k].online++;
				break;
			}
	}
	free(on.e);
	return snap_duty(s, sn);
}

static int
snap_store(struct status *s, struct snapshot *sn)
{
	int rc;

	rc = ag_count_states(s->srv->ag, sn->agreements, &sn->agreements_other);
	if (rc != 0)
		return -1;
	rc = delivery_pending(s->srv->dlv, &sn->pending, &sn->oldest_pending);
	if (rc != 0)
		return -1;
	sn->amendments_open = engine_amendments_open(s->srv->ag);
	if (sn->amendments_open < 0)
		return -1;
	if (condition_count_open(s->srv->ag, &sn->conditions_open) != 0)
		return -1;
	return incident_counts(s->srv->ag, &sn->incidents_open, &sn->incidents_overdue);
}

/* Fill *sn; -1 if the store could not answer (sn->parties freed). */
static int
snapshot_take(struct status *s, struct snapshot *sn)
{
	struct timespec ts;

	memset(sn, 0, sizeof(*sn));
	sn->oldest_pending = -1;
	sn->now = s->srv->clk != NULL ? clock_now(s->srv->clk) : time(NULL);
	sn->virtual_clock = s->srv->clk != NULL && clock_is_virtual(s->srv->clk);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sn->uptime = (int64_t)(ts.tv_sec - s->started.tv_sec) -
	    (ts.tv_nsec < s->started.tv_nsec ? 1 : 0);
	sn->connections = s->srv->nconns;
	sn->status_open = s->nconns;
	sn->status_refused = s->refused;
	sn->m = s->srv->metrics;
	if (s->srv->rec != NULL) {
		sn->postgresql = 1;
		pgrec_state(s->srv->rec, &sn->rec);
	}
	if (s->srv->ag == NULL) {
		sn->standby = 1;	/* nothing of the record is read yet */
		return 0;
	}
	if (snap_store(s, sn) != 0 || snap_parties(s, sn) != 0) {
		free(sn->parties);
		sn->parties = NULL;
		return -1;
	}
	return 0;
}

/* Seconds the party has had no endpoint online, on the daemon's clock. */
static int64_t
gap_seconds(const struct snapshot *sn, const struct party_stat *p)
{
	if (p->gap_since <= 0 || p->gap_since > sn->now)
		return 0;
	return sn->now - p->gap_since;
}

static int64_t
oldest_age(const struct snapshot *sn)
{
	if (sn->oldest_pending < 0 || sn->oldest_pending > sn->now)
		return 0;
	return sn->now - sn->oldest_pending;
}

/* ---- Prometheus text format ---- */

static void
head(struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
one(struct evbuffer *b, const char *name, const char *type, const char *help, uint64_t v)
{
	head(b, name, type, help);
	evbuffer_add_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

/* A label value with \, " and newline escaped, as the format requires. */
static void
label(struct evbuffer *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			evbuffer_add(b, "\\\\", 2);
		else if (*v == '"')
			evbuffer_add(b, "\\\"", 2);
		else if (*v == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, v, 1);
	}
}

/* One sample of a per-party series. */
static void
party_sample(struct evbuffer *b, const char *name, const struct party_stat *p, int64_t v)
{
	evbuffer_add_printf(b, "%s{party=\"", name);
	label(b, p->code);
	evbuffer_add_printf(b, "\"} %lld\n", (long long)v);
}

static void
render_metrics(const struct snapshot *sn, struct evbuffer *b)
{
	const struct metrics *m = &sn->m;
	uint64_t bound;
	size_t k;
	int i;

	head(b, "parley_build_info", "gauge", "Version of parleyd, its protocol and store schema.");
	evbuffer_add_printf(b, "parley_build_info{version=\"%s\",protocol=\"%d\",schema=\"%d\"} 1\n",
	    PARLEY_VERSION, PARLEY_PROTOCOL_VERSION, STORE_SCHEMA_VERSION);
	one(b, "parley_serving", "gauge",
	    "1: this daemon serves; 0: it stands by for the lease (backend postgresql).",
	    (uint64_t)!(sn->postgresql && !sn->rec.serving));
	if (sn->postgresql) {
		one(b, "parley_record_commits_total", "counter",
		    "Transactions committed in the PostgreSQL record.", (uint64_t)sn->rec.commits);
		one(b, "parley_record_commit_waiting_ms", "gauge",
		    "How long the running commit in the record has waited (0: none runs).",
		    (uint64_t)sn->rec.waiting_ms);
		one(b, "parley_record_lease_epoch", "gauge",
		    "The lease's epoch: each takeover adds one.", (uint64_t)sn->rec.epoch);
	}
	one(b, "parley_uptime_seconds", "gauge",
	    "Seconds since parleyd started (monotonic, not the virtual clock).",
	    (uint64_t)sn->uptime);
	head(b, "parley_clock_seconds", "gauge",
	    "parleyd's business time, Unix seconds (the virtual clock when enabled).");
	evbuffer_add_printf(b, "parley_clock_seconds %lld\n", (long long)sn->now);
	one(b, "parley_virtual_clock", "gauge", "1 if time moves only by parleyctl clock.",
	    (uint64_t)sn->virtual_clock);

	one(b, "parley_connections", "gauge",
	    "Party TLS connections open, handshaking ones included.", sn->connections);
	one(b, "parley_connections_accepted_total", "counter",
	    "TCP connections accepted on the party listener.", m->tls_accepted);
	one(b, "parley_tls_refused_total", "counter",
	    "Party connections refused at the TLS handshake or Hello "
	    "(unregistered pin, protocol version).", m->tls_refused);
	head(b, "parley_unauthenticated_failures_total", "counter",
	    "Party connections that failed before authenticating, by reason "
	    "(logged as a summary, not one line each).");
	for (i = 0; i < UNAUTH_NREASONS; i++)
		evbuffer_add_printf(b, "parley_unauthenticated_failures_total{reason=\"%s\"} %llu\n",
		    metrics_unauth_name((enum unauth_reason)i),
		    (unsigned long long)m->unauth_failures[i]);
	head(b, "parley_endpoints", "gauge", "Registered (not removed) endpoints per party.");
	for (k = 0; k < sn->nparties; k++)
		party_sample(b, "parley_endpoints", &sn->parties[k], sn->parties[k].endpoints);
	head(b, "parley_endpoints_online", "gauge",
	    "Endpoints per party with at least one authenticated connection.");
	for (k = 0; k < sn->nparties; k++)
		party_sample(b, "parley_endpoints_online", &sn->parties[k], sn->parties[k].online);

	head(b, "parley_agreements", "gauge", "Agreements by state.");
	for (i = 0; i < AG_NSTATES; i++)
		evbuffer_add_printf(b, "parley_agreements{state=\"%s\"} %lld\n",
		    lifecycle_state_name((enum ag_state)i), (long long)sn->agreements[i]);
	if (sn->agreements_other)
		evbuffer_add_printf(b, "parley_agreements{state=\"unknown\"} %lld\n",
		    (long long)sn->agreements_other);
	one(b, "parley_amendments_open", "gauge",
	    "Amendments awaiting the mediator against the current revision of a "
	    "circulating agreement.", (uint64_t)sn->amendments_open);
	one(b, "parley_releases_total", "counter", "Agreements released (entered into force).",
	    m->releases);
	one(b, "parley_signed_copies_accepted_total", "counter",
	    "Signed copies accepted and counted.", m->copies_accepted);
	head(b, "parley_signed_copies_refused_total", "counter",
	    "Signed copies refused, by reason (non_identical copies are kept as "
	    "evidence, never counted).");
	for (i = 0; i < REFUSE_NREASONS; i++)
		evbuffer_add_printf(b, "parley_signed_copies_refused_total{reason=\"%s\"} %llu\n",
		    metrics_refuse_name((enum refuse_reason)i),
		    (unsigned long long)m->copies_refused[i]);

	one(b, "parley_incidents_open", "gauge",
	    "Incidents awaiting the accused side's answer, overdue ones included.",
	    (uint64_t)sn->incidents_open);
	one(b, "parley_incidents_overdue", "gauge",
	    "Incidents whose response window ended without an answer.",
	    (uint64_t)sn->incidents_overdue);
	one(b, "parley_conditions_open", "gauge",
	    "Signatures of released agreements still subject to a condition not lifted.",
	    (uint64_t)sn->conditions_open);
	head(b, "parley_duty_gap_seconds", "gauge",
	    "Seconds a party on duty watch has had no endpoint online (0 while one is).");
	for (k = 0; k < sn->nparties; k++)
		if (sn->parties[k].watched)
			party_sample(b, "parley_duty_gap_seconds", &sn->parties[k],
			    gap_seconds(sn, &sn->parties[k]));
	head(b, "parley_duty_alert", "gauge",
	    "1 while a party's gap has outlasted duty_grace and raised an alert.");
	for (k = 0; k < sn->nparties; k++)
		if (sn->parties[k].watched)
			party_sample(b, "parley_duty_alert", &sn->parties[k],
			    sn->parties[k].alerted ? 1 : 0);
	one(b, "parley_duty_alerts_total", "counter", "Duty alerts raised.", sn->duty_alerts);
	one(b, "parley_alerts_told_total", "counter",
	    "Events the [alerts] exec program took (exit status 0).", m->alerts_told);
	one(b, "parley_alerts_failed_total", "counter",
	    "Runs of the [alerts] exec program that failed (each retried).", m->alerts_failed);

	one(b, "parley_deliveries_pending", "gauge",
	    "Deliveries not yet acknowledged by their (not removed) endpoint.",
	    (uint64_t)sn->pending);
	one(b, "parley_deliveries_oldest_pending_age_seconds", "gauge",
	    "Age of the oldest unacknowledged delivery on parleyd's clock; 0 when none.",
	    (uint64_t)oldest_age(sn));
	one(b, "parley_delivery_acks_total", "counter", "Delivery acknowledgements received.",
	    m->acks);
	one(b, "parley_ack_frames_total", "counter",
	    "Ack frames that carried them (one may name up to 256 deliveries).", m->ack_frames);
	one(b, "parley_frames_bad_total", "counter",
	    "Malformed or oversized frames (the connection was closed).", m->frames_bad);
	one(b, "parley_status_connections", "gauge",
	    "Connections open on the status socket, this one included.", sn->status_open);
	one(b, "parley_status_connections_refused_total", "counter",
	    "Status socket connections closed at once because "
	    "STATUS_MAX_CONNECTIONS were open.", sn->status_refused);

	head(b, "parley_store_commit_seconds", "histogram",
	    "Time each group commit (one store transaction per event-loop turn) took.");
	for (i = 0; i < METRICS_COMMIT_BUCKETS; i++) {
		bound = metrics_commit_bound(i);
		if (bound == UINT64_MAX)
			evbuffer_add_printf(b, "parley_store_commit_seconds_bucket{le=\"+Inf\"} %llu\n",
			    (unsigned long long)m->commit_le[i]);
		else
			evbuffer_add_printf(b, "parley_store_commit_seconds_bucket{le=\"%g\"} %llu\n",
			    (double)bound / 1e6, (unsigned long long)m->commit_le[i]);
	}
	evbuffer_add_printf(b, "parley_store_commit_seconds_sum %.6f\n",
	    (double)m->commit_sum_us / 1e6);
	evbuffer_add_printf(b, "parley_store_commit_seconds_count %llu\n",
	    (unsigned long long)m->commit_count);
	one(b, "parley_store_commit_failures_total", "counter",
	    "Group commits that failed (every reply of that turn became an error).",
	    m->commit_failures);
}

/* ---- JSON ---- */

/* Which role this daemon holds, since when, and what it sees of the
 * record's replication ([store] backend = postgresql). */
static void
render_role(const struct snapshot *sn, struct jw *w)
{
	char when[PTIME_BUFLEN];
	const struct pgrec_state *r = &sn->rec;

	jw_str(w, "role", sn->postgresql && !r->serving ? "standby" : "serving");
	if (!sn->postgresql) {
		jw_obj_begin(w, "store");
		jw_str(w, "backend", "sqlite");
		jw_obj_end(w);
		return;
	}
	ptime_format(r->since, when);
	jw_str(w, "role_since", when);
	jw_obj_begin(w, "store");
	jw_str(w, "backend", "postgresql");
	jw_str(w, "server", r->server);
	jw_str(w, "serving_daemon", r->holder);
	jw_int(w, "lease_epoch", r->epoch);
	jw_str(w, "replication", r->replication);
	jw_str(w, "synchronous_standby_names", r->sync_names);
	jw_int(w, "commits", r->commits);
	jw_int(w, "last_commit_us", r->last_commit_us);
	jw_int(w, "commit_waiting_ms", r->waiting_ms);
	jw_obj_end(w);
}

static int
render_status(const struct snapshot *sn, struct evbuffer *b)
{
	const struct metrics *m = &sn->m;
	char when[PTIME_BUFLEN];
	struct jw *w;
	uint64_t bound;
	size_t i;
	int rc;

	if ((w = jw_new()) == NULL)
		return -1;
	jw_obj_begin(w, NULL);
	jw_str(w, "version", PARLEY_VERSION);
	jw_int(w, "protocol", PARLEY_PROTOCOL_VERSION);
	jw_int(w, "schema", STORE_SCHEMA_VERSION);
	ptime_format(sn->now, when);
	jw_str(w, "time", when);
	jw_bool(w, "virtual_clock", sn->virtual_clock);
	jw_int(w, "uptime_seconds", sn->uptime);
	render_role(sn, w);
	if (sn->standby)
		goto end;

	jw_int(w, "connections", (int64_t)sn->connections);
	jw_uint(w, "connections_accepted", m->tls_accepted);
	jw_uint(w, "tls_refused", m->tls_refused);
	jw_obj_begin(w, "unauthenticated_failures");
	for (i = 0; i < UNAUTH_NREASONS; i++)
		jw_uint(w, metrics_unauth_name((enum unauth_reason)i), m->unauth_failures[i]);
	jw_obj_end(w);
	jw_obj_begin(w, "status_connections");
	jw_uint(w, "open", sn->status_open);
	jw_uint(w, "refused", sn->status_refused);
	jw_obj_end(w);
	jw_arr_begin(w, "parties");
	for (i = 0; i < sn->nparties; i++) {
		jw_obj_begin(w, NULL);
		jw_str(w, "party", sn->parties[i].code);
		jw_bool(w, "observer", sn->parties[i].observer);
		jw_int(w, "endpoints", sn->parties[i].endpoints);
		jw_int(w, "endpoints_online", sn->parties[i].online);
		if (sn->parties[i].watched) {
			jw_obj_begin(w, "duty");
			if (sn->parties[i].gap_since > 0) {
				ptime_format(sn->parties[i].gap_since, when);
				jw_str(w, "offline_since", when);
			} else {
				jw_null(w, "offline_since");
			}
			jw_int(w, "gap_seconds", gap_seconds(sn, &sn->parties[i]));
			jw_bool(w, "alert", sn->parties[i].alerted);
			jw_obj_end(w);
		}
		jw_obj_end(w);
	}
	jw_arr_end(w);

	jw_obj_begin(w, "agreements");
	for (i = 0; i < AG_NSTATES; i++)
		jw_int(w, lifecycle_state_name((enum ag_state)i), sn->agreements[i]);
	if (sn->agreements_other)
		jw_int(w, "unknown", sn->agreements_other);
	jw_obj_end(w);
	jw_int(w, "amendments_open", sn->amendments_open);
	jw_uint(w, "releases", m->releases);
	jw_obj_begin(w, "incidents");
	jw_int(w, "open", sn->incidents_open);
	jw_int(w, "overdue", sn->incidents_overdue);
	jw_obj_end(w);
	jw_int(w, "conditions_open", sn->conditions_open);
	jw_uint(w, "duty_alerts", sn->duty_alerts);
	jw_obj_begin(w, "alerts");
	jw_uint(w, "told", m->alerts_told);
	jw_uint(w, "failed", m->alerts_failed);
	jw_obj_end(w);
	jw_obj_begin(w, "signed_copies");
	jw_uint(w, "accepted", m->copies_accepted);
	jw_obj_begin(w, "refused");
	for (i = 0; i < REFUSE_NREASONS; i++)
		jw_uint(w, metrics_refuse_name((enum refuse_reason)i), m->copies_refused[i]);
	jw_obj_end(w);
	jw_obj_end(w);

	jw_obj_begin(w, "deliveries");
	jw_int(w, "pending", sn->pending);
	if (sn->oldest_pending >= 0) {
		ptime_format(sn->oldest_pending, when);
		jw_str(w, "oldest_pending", when);
	} else {
		jw_null(w, "oldest_pending");
	}
	jw_int(w, "oldest_pending_age_seconds", oldest_age(sn));
	jw_uint(w, "acks", m->acks);
	jw_uint(w, "ack_frames", m->ack_frames);
	jw_obj_end(w);
	jw_uint(w, "frames_bad", m->frames_bad);

	jw_obj_begin(w, "store_commits");
	jw_uint(w, "count", m->commit_count);
	jw_uint(w, "failures", m->commit_failures);
	jw_uint(w, "sum_us", m->commit_sum_us);
	jw_arr_begin(w, "buckets");
	for (i = 0; i < METRICS_COMMIT_BUCKETS; i++) {
		bound = metrics_commit_bound((int)i);
		jw_obj_begin(w, NULL);
		if (bound == UINT64_MAX)
			jw_null(w, "le_us");	/* +Inf */
		else
			jw_uint(w, "le_us", bound);
		jw_uint(w, "count", m->commit_le[i]);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
end:
	jw_obj_end(w);

	rc = jw_failed(w) ? -1 : evbuffer_add_printf(b, "%s\n", jw_text(w)) < 0 ? -1 : 0;
	jw_free(w);
	return rc;
}

/* ---- HTTP ---- */

static void
reply_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *b = evhttp_request_get_output_buffer(req);

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; charset=utf-8");
	evbuffer_add_printf(b, "%s\n", text);
	evhttp_send_reply(req, code, reason, NULL);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct status *s = arg;
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	struct snapshot sn;
	int is_metrics, rc;

	if (path == NULL || (strcmp(path, "/metrics") != 0 && strcmp(path, "/status") != 0)) {
		reply_text(req, HTTP_NOTFOUND, "Not Found", "not found: try /metrics or /status");
		return;
	}
	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
		evhttp_add_header(h, "Allow", "GET, HEAD");
		reply_text(req, 405, "Method Not Allowed", "read-only: GET or HEAD");
		return;
	}
	is_metrics = strcmp(path, "/metrics") == 0;
	if (snapshot_take(s, &sn) != 0) {
		log_warnx("status: cannot read the store for %s", path);
		reply_text(req, HTTP_SERVUNAVAIL, "Service Unavailable", "store unavailable");
		return;
	}
	if (is_metrics) {
		render_metrics(&sn, evhttp_request_get_output_buffer(req));
		rc = 0;
	} else {
		rc = render_status(&sn, evhttp_request_get_output_buffer(req));
	}
	free(sn.parties);
	if (rc != 0) {
		evbuffer_drain(evhttp_request_get_output_buffer(req),
		    evbuffer_get_length(evhttp_request_get_output_buffer(req)));
		reply_text(req, HTTP_INTERNAL, "Internal Server Error", "out of memory");
		return;
	}
	evhttp_add_header(h, "Content-Type", is_metrics ?
	    "text/plain; version=0.0.4; charset=utf-8" : "application/json");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

/* A socket file left by an earlier run is replaced; anything else at the
 * path is someone else's and is refused. */
static int
clear_stale(const char *p, char *err, size_t errlen)
{
	struct stat sb;

	if (lstat(p, &sb) != 0)
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "status_socket %s: %s", p,
		    strerror(errno)), -1);
	if (!S_ISSOCK(sb.st_mode)) {
		snprintf(err, errlen, "status_socket %s exists and is not a socket", p);
		return -1;
	}
	if (unlink(p) != 0) {
		snprintf(err, errlen, "cannot remove stale status_socket %s: %s", p,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Listen again after a rest, unless status_stop cleared the callback. */
static void
status_relisten(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evconnlistener_enable(arg);
}

/* Out of descriptors or memory: accept() would fail at once every time the
 * socket is readable (libevent, with no error callback, logs each time and
 * spins).  Rest for a second instead.  The error callback only has the
 * listener (its argument is the http's), so the retry is a one-shot event
 * on it; the listener is freed only after the loop's last run.  The
 * listener is enabled only below the cap and nothing is counted in while
 * it rests, so enabling it again cannot pass the cap. */
static void
status_accept_error(struct evconnlistener *lev, void *arg)
{
	struct timeval tv = { 1, 0 };

	(void)arg;
	log_warn("status socket: accept");
	evconnlistener_disable(lev);
	if (event_base_once(evconnlistener_get_base(lev), -1, EV_TIMEOUT, status_relisten, lev,
	    &tv) != 0)
		evconnlistener_enable(lev);
}

/* ---- the cap on connections ---- */

/* A minute after a refusal was logged: tell how many more there were, and
 * keep the minute going while they go on; a quiet minute ends it, and the
 * next refusal is logged at once. */
static void
status_report(evutil_socket_t fd, short what, void *arg)
{
	struct status *s = arg;
	struct timeval tv = { STATUS_REPORT_EVERY, 0 };
	uint64_t n = s->refused - s->refused_logged;

	(void)fd;
	(void)what;
	if (n == 0)
		return;
	log_warnx("status socket: %llu more connection%s refused at the cap of %d in the last "
	    "minute (%llu since start)", (unsigned long long)n, n == 1 ? "" : "s",
	    STATUS_MAX_CONNECTIONS, (unsigned long long)s->refused);
	s->refused_logged = s->refused;
	if (s->lev != NULL)
		evtimer_add(s->report, &tv);
}

static void
status_refused_log(struct status *s)
{
	struct timeval tv = { STATUS_REPORT_EVERY, 0 };

	if (s->refused == s->refused_logged || evtimer_pending(s->report, NULL))
		return;
	log_warnx("status socket: %d connections open, the most it serves: closing new ones "
	    "at once (parley_status_connections_refused_total counts them; logged once a "
	    "minute at most)", STATUS_MAX_CONNECTIONS);
	s->refused_logged = s->refused;
	evtimer_add(s->report, &tv);
}

static void
status_refuse_again(evutil_socket_t fd, short what, void *arg)
{
	struct status *s = arg;

	(void)fd;
	(void)what;
	if (s->full)
		event_add(s->refuse_ev, NULL);
}

/* Full: whatever waits on the socket is accepted and closed, a bounded
 * number per turn, so that a client learns at once and holds no
 * descriptor of ours.  Out of descriptors, this too rests a second. */
static void
status_refuse(evutil_socket_t fd, short what, void *arg)
{
	struct status *s = arg;
	struct timeval tv = { 1, 0 };
	int i, c;

	(void)what;
	for (i = 0; i < STATUS_BACKLOG; i++) {
		if ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
			close(c);
			s->refused++;
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			log_warn("status socket: accept");
			event_del(s->refuse_ev);
			evtimer_add(s->refuse_retry, &tv);
		}
		break;
	}
	status_refused_log(s);
}

/* One counted status connection: the context of its filter. */
struct status_conn {
	struct status *s;
	struct bufferevent *sock;	/* the filter's underlying socket bufferevent */
};

/* The filter is finalized (status_bev): one slot is free. */
static void
status_conn_gone(void *arg)
{
	struct status_conn *c = arg;
	struct status *s = c->s;

	free(c);
	s->nconns--;
	if (s->orphaned) {
		if (s->nconns == 0)
			free(s);
		return;
	}
	if (s->full && s->nconns < STATUS_MAX_CONNECTIONS && s->lev != NULL) {
		s->full = 0;
		event_del(s->refuse_ev);
		event_del(s->refuse_retry);
		evconnlistener_enable(s->lev);
	}
}

/* The filter's output side writes the answer to the socket itself, so
 * that evhttp hears "written" (and may close at once, for Connection:
 * close or HTTP/1.0) only once the bytes are in the kernel.  Moved into
 * the socket bufferevent instead, they would wait for its next turn, and
 * evhttp's close (shutdown, then free) would drop them.  Short of room:
 * the socket bufferevent's write event, with nothing of its own to write,
 * calls the filter again when the socket drains.  Progress counts as
 * BEV_OK, which restarts the write timeout. */
static enum bufferevent_filter_result
status_write(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t lim,
    enum bufferevent_flush_mode mode, void *arg)
{
	struct status_conn *c = arg;
	evutil_socket_t fd = bufferevent_getfd(c->sock);
	size_t before = evbuffer_get_length(src);
	int n;

	(void)dst;
	(void)lim;
	(void)mode;
	while (evbuffer_get_length(src) > 0) {
		if ((n = evbuffer_write(src, fd)) > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			bufferevent_enable(c->sock, EV_WRITE);
			return evbuffer_get_length(src) < before ? BEV_OK : BEV_NEED_MORE;
		}
		/* The peer is gone: the read side tells evhttp. */
		return BEV_ERROR;
	}
	return BEV_OK;
}

/* evhttp queues an answer while its bufferevent's writing is disabled and
 * enables it after; libevent 2.1's filter does not look at its output
 * again on enable, only when the layer below reports room.  So wake the
 * socket bufferevent's write event whenever output is queued: on the next
 * turn it calls the filter, which writes (status_write). */
static void
status_kick(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	(void)b;
	if (info->n_added > 0)
		bufferevent_enable(arg, EV_WRITE);
}

/* evhttp asks here for the bufferevent of each connection it accepts,
 * before it has a request (libevent 2.1 has no per-connection close hook
 * then).  A filter over a socket bufferevent without a descriptor gives
 * one: evhttp's bufferevent_setfd reaches the socket bufferevent (libevent
 * >= 2.1.6); freeing the filter frees it and closes the descriptor
 * (BEV_OPT_CLOSE_ON_FREE on both); and the filter's free_context,
 * status_conn_gone, runs when libevent finalizes it, however evhttp ended
 * the connection.  Input passes through unchanged; output, see
 * status_write.  NULL (out of memory) makes evhttp use a plain
 * bufferevent: that connection is served but not counted. */
static struct bufferevent *
status_bev(struct event_base *base, void *arg)
{
	struct status *s = arg;
	struct timeval tv = { STATUS_TIMEOUT, 0 };
	struct bufferevent *filt;
	struct status_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->s = s;
	/* The timeouts live here, not on the filter (see status_listen). */
	if ((c->sock = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) == NULL ||
	    bufferevent_set_timeouts(c->sock, &tv, &tv) != 0) {
		if (c->sock != NULL)
			bufferevent_free(c->sock);
		free(c);
		return NULL;
	}
	if ((filt = bufferevent_filter_new(c->sock, NULL, status_write, BEV_OPT_CLOSE_ON_FREE,
	    status_conn_gone, c)) == NULL) {
		bufferevent_free(c->sock);
		free(c);
		return NULL;
	}
	/* The filter owns c from here; status_conn_gone counts it out. */
	s->nconns++;
	if (evbuffer_add_cb(bufferevent_get_output(filt), status_kick, c->sock) == NULL) {
		bufferevent_free(filt);
		return NULL;
	}
	/* Disabling the listener from here stops libevent's accept loop. */
	if (s->nconns >= STATUS_MAX_CONNECTIONS && !s->full && s->lev != NULL) {
		s->full = 1;
		evconnlistener_disable(s->lev);
		event_add(s->refuse_ev, NULL);
	}
	return filt;
}

/* ---- the socket ---- */

static int
group_lookup(const char *name, gid_t *gid, char *err, size_t errlen)
{
	struct group *g;

	errno = 0;
	if ((g = getgrnam(name)) != NULL) {
		*gid = g->gr_gid;
		return 0;
	}
	if (errno == 0 || errno == ENOENT || errno == ESRCH || errno == EBADF || errno == EPERM)
		snprintf(err, errlen, "status_group %s: no such group", name);
	else
		snprintf(err, errlen, "status_group %s: cannot look it up: %s", name,
		    strerror(errno));
	return -1;
}

int
status_listen(struct server *srv, struct status **out, char *err, size_t errlen)
{
	const char *p = srv->cfg.status_socket, *gname = srv->cfg.status_group;
	int grouped = gname != NULL && *gname != '\0';
	mode_t mode = (mode_t)srv->cfg.status_mode, old;
	struct evconnlistener *lev = NULL;
	struct sockaddr_un sun;
	struct status *s;
	struct group *g;
	struct stat sb;
	char gbuf[32];
	gid_t gid = 0;
	int fd = -1, bound = 0, rc, e;

	if (strlen(p) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "status_socket path is too long: %s", p);
		return -1;
	}
	if (grouped && group_lookup(gname, &gid, err, errlen) != 0)
		return -1;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->srv = srv;
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	if ((s->path = strdup(p)) == NULL ||
	    (s->refuse_retry = evtimer_new(srv->base, status_refuse_again, s)) == NULL ||
	    (s->report = evtimer_new(srv->base, status_report, s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (clear_stale(p, err, errlen) != 0)
		goto fail;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, p, strlen(p));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "status socket: %s", strerror(errno));
		goto fail;
	}
	/* Connecting needs write permission on the socket file.  It is born
	 * no wider than status_mode, and owner-only until it has its group:
	 * no one outside that group may connect in between. */
	old = umask(0777 & ~(grouped ? mode & 0700 : mode));
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	e = errno;
	umask(old);
	if (rc != 0) {
		snprintf(err, errlen, "cannot bind status socket %s: %s", p, strerror(e));
		goto fail;
	}
	bound = 1;
	if (grouped && lchown(p, (uid_t)-1, gid) != 0) {
		snprintf(err, errlen, "cannot give status socket %s to status_group %s: %s", p,
		    gname, strerror(errno));
		goto fail;
	}
	/* chmod follows a symbolic link: make sure ours is still there. */
	if (lstat(p, &sb) != 0 || !S_ISSOCK(sb.st_mode) || chmod(p, mode) != 0) {
		snprintf(err, errlen, "cannot set mode %04o on status socket %s: %s",
		    (unsigned)mode, p, errno ? strerror(errno) : "not our socket");
		goto fail;
	}
	if ((s->refuse_ev = event_new(srv->base, fd, EV_READ | EV_PERSIST, status_refuse,
	    s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((lev = evconnlistener_new(srv->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_CLOSE_ON_EXEC, STATUS_BACKLOG, fd)) == NULL) {
		snprintf(err, errlen, "cannot listen on status socket %s: %s", p, strerror(errno));
		goto fail;
	}
	fd = -1;	/* lev's */
	if ((s->http = evhttp_new(srv->base)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (evhttp_bind_listener(s->http, lev) == NULL) {
		snprintf(err, errlen, "cannot serve status socket %s", p);
		goto fail;
	}
	/* The http owns lev from here; evhttp_free frees both. */
	s->lev = lev;
	lev = NULL;
	evconnlistener_set_error_cb(s->lev, status_accept_error);
	evhttp_set_bevcb(s->http, status_bev, s);
	evhttp_set_max_headers_size(s->http, STATUS_MAX_HEADERS);
	evhttp_set_max_body_size(s->http, STATUS_MAX_BODY);
	/* No evhttp_set_timeout: it would put the timeouts on the filter, and
	 * libevent 2.1's filter re-arms its write timeout after the write
	 * callback in which evhttp may free it (a timer left on freed memory:
	 * valgrind shows it).  The socket bufferevent under it carries them
	 * instead (status_bev); evhttp hears of them as errors all the same. */
	/* Every method reaches on_request, which answers 405 itself (libevent
	 * would answer a method outside this mask with 501). */
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(s->http, on_request, s);
	if (grouped)
		snprintf(gbuf, sizeof(gbuf), "%s", gname);
	else if ((g = getgrgid(sb.st_gid)) != NULL)
		snprintf(gbuf, sizeof(gbuf), "%s", g->gr_name);
	else
		snprintf(gbuf, sizeof(gbuf), "%u", (unsigned)sb.st_gid);
	log_info("status socket %s (mode %04o, group %s)", p, (unsigned)mode, gbuf);
	*out = s;
	return 0;
fail:
	if (s->http != NULL)
		evhttp_free(s->http);
	if (lev != NULL)
		evconnlistener_free(lev);
	if (fd >= 0)
		close(fd);
	if (bound)
		unlink(p);
	if (s->refuse_ev != NULL)
		event_free(s->refuse_ev);
	if (s->refuse_retry != NULL)
		event_free(s->refuse_retry);
	if (s->report != NULL)
		event_free(s->report);
	free(s->path);
	free(s);
	return -1;
}

void
status_stop(struct status *s)
{
	if (s == NULL || s->lev == NULL)
		return;
	/* No callback: a pending retry's enable does nothing. */
	evconnlistener_disable(s->lev);
	evconnlistener_set_cb(s->lev, NULL, NULL);
	s->lev = NULL;
	s->full = 0;
	event_del(s->refuse_ev);
	event_del(s->refuse_retry);
	event_del(s->report);
	if (s->refused > s->refused_logged)
		log_warnx("status socket: %llu more connection%s refused at the cap of %d "
		    "(%llu since start)", (unsigned long long)(s->refused - s->refused_logged),
		    s->refused - s->refused_logged == 1 ? "" : "s", STATUS_MAX_CONNECTIONS,
		    (unsigned long long)s->refused);
	s->refused_logged = s->refused;
	unlink(s->path);
}

void
status_close(struct status *s)
{
	if (s == NULL)
		return;
	status_stop(s);
	/* Frees every connection; libevent finalizes their bufferevents later
	 * (status_conn_gone), at event_base_free at the latest. */
	evhttp_free(s->http);
	s->http = NULL;
	event_free(s->refuse_ev);
	event_free(s->refuse_retry);
	event_free(s->report);
	s->refuse_ev = s->refuse_retry = s->report = NULL;
	free(s->path);
	s->path = NULL;
	if (s->nconns == 0)
		free(s);
	else
		s->orphaned = 1;
}
