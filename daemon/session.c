#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <event2/bufferevent_ssl.h>

#include "condition.h"
#include "contacts.h"
#include "crypto.h"
#include "errors.h"
#include "fault.h"
#include "gate.h"
#include "frame.h"
#include "log.h"
#include "mandate.h"
#include "observer.h"
#include "prio.h"
#include "ptime.h"
#include "registry.h"
#include "session.h"
#include "incident.h"
#include "amendment.h"
#include "journal.h"
#include "letter.h"
#include "record.h"
#include "sign.h"
#include "timeline.h"
#include "verify.h"

enum session_state {
	S_HANDSHAKE,	/* TLS in progress */
	S_HELLO,	/* pinned; waiting for Hello */
	S_READY,	/* requests flow */
	S_GONE,		/* refused or closing */
};

struct session {
	enum session_state state;
	struct server *srv;
	struct conn *conn;
	struct ident who;
	struct sink sink;
	int attached;
	int counted;		/* authenticated (its disconnection is logged) */
	int on_duty;		/* counted online by the duty watch */
	/* A SignRequest held while a worker checks its signature: the
	 * session outlives its conn until the check comes back. */
	int verifying;
	int closed;		/* conn gone: free when the check comes back */
	int close_after;	/* stopping: close once the held copy has run */
	int verdict;		/* for the held frame once back: 1 good, -1 bad,
				 * 2 not checked (the engine checks it) */
	int verdict_parked;	/* held with its verdict until the record is level */
	int handshaking;	/* counted in the gate's handshakes, listed in
				 * srv->hs_oldest..hs_newest (oldest first) */
	struct session *hs_next, *hs_prev;
	struct gate_source src;	/* counted against its source address */
	uint64_t verdict_id;
	uint8_t verdict_sig[64];
	struct session *next, *prev;
};

static void handshake_over(struct session *s);

static void
unlink_session(struct session *s)
{
	struct server *srv = s->srv;

	if (s->prev)
		s->prev->next = s->next;
	else if (srv->sessions == s)
		srv->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

static int
sink_push(void *ctx, const Parley__Frame *f)
{
	struct session *s = ctx;
	size_t w = delivery_push_window(s->srv->dlv, conn_max_output(s->conn) / 2);
	size_t len = parley__frame__get_packed_size(f) + FRAME_HDR_LEN;
	uint64_t id = f->delivery->delivery_id;

	if (!conn_is_open(s->conn))
		return -1;
	/* A delivery no frame can carry (config.c's minimums and
	 * delivery_enqueue keep them out: this is the last line).  Dropping
	 * the peer would only make it fetch this one first again, for ever,
	 * with every later delivery behind it: pass it over, pending, and tell
	 * the endpoint once. */
	if (len - FRAME_HDR_LEN > conn_max_frame(s->conn) || len > conn_max_output(s->conn)) {
		/* Logged and told once per endpoint and delivery, not at every
		 * push that passes it over. */
		if (!delivery_unsendable(s->srv->dlv, s->who.endpoint_id, id))
			return 1;
		log_warnx("%s: delivery %llu for endpoint %lld of %s is a %zu-byte frame, more than "
		    "max_frame (%zu) or max_queued_output (%zu) allows: passed over, it stays "
		    "pending", conn_peer(s->conn), (unsigned long long)id,
		    (long long)s->who.endpoint_id, s->who.party.code, len,
		    conn_max_frame(s->conn), conn_max_output(s->conn));
		conn_error(s->conn, 0, PARLEY_EREFUSED, "delivery %llu (%zu bytes) is too large "
		    "for this server to send; it stays pending (the mediator sees it "
		    "unacknowledged); fetch again for the deliveries after it",
		    (unsigned long long)id, len);
		return 1;
	}
	/* Over the window, or not fitting beside what is queued (which
	 * conn_send would take for a peer not reading): wait for the drain. */
	if (conn_output_len(s->conn) > w || conn_output_len(s->conn) + len > conn_max_output(s->conn))
		return -1;	/* resumes when the output drains */
	if (conn_send(s->conn, f) != 0) {
		/* Out of memory: no drain would resume it; the peer fetches again. */
		conn_close(s->conn, 0);
		return -1;
	}
	return 0;
}

static void
fetch_done(struct conn *c, void *arg, uint64_t id)
{
	struct session *s = arg;
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__FetchDone fd = PARLEY__FETCH_DONE__INIT;
	int n;

	(void)c;
	if ((n = delivery_push(s->srv->dlv, &s->sink)) < 0) {
		/* "That is all" would be a lie: the peer may fetch again. */
		conn_error(s->conn, id, PARLEY_ESTORE, "the store could not be read; try again");
		return;
	}
	fd.count = (uint32_t)n;
	f.id = id;
	f.body_case = PARLEY__FRAME__BODY_FETCH_DONE;
	f.fetch_done = &fd;
	/* Unanswered, the peer would wait for ever: drop it instead. */
	if (conn_is_open(s->conn) && conn_send(s->conn, &f) != 0)
		conn_close(s->conn, 0);
}

static int
count_endpoint(struct server *srv, int64_t endpoint_id)
{
	struct session *s;
	int n = 0;

	for (s = srv->sessions; s != NULL; s = s->next)
		if (s->state == S_READY || s->state == S_HELLO)
			n += s->who.endpoint_id == endpoint_id;
	return n;
}

/* An endpoint came back after a duty alert: record it cleared. */
static void
duty_cleared(struct server *srv, int64_t party)
{
	int rc;

	rc = turn_request_begin(srv->turn);
	if (rc != 0)
		return;
	rc = duty_alert_clear(srv->st, party, clock_now(srv->clk));
	turn_request_end(srv->turn, rc == 0);
	log_info("duty: party %lld has an endpoint online again; alert cleared", (long long)party);
}

static void
session_ready(void *ctx)
{
	struct session *s = ctx;
	struct server *srv = s->srv;
	uint8_t pin[32];
	char hex[65], why[200];
	int rc;

	handshake_over(s);
	if (tls_peer_pin(conn_ssl(s->conn), pin) != 0) {
		/* SSL_VERIFY_FAIL_IF_NO_PEER_CERT makes this unreachable. */
		log_warnx("%s: no client certificate", conn_peer(s->conn));
		conn_fail(s->conn, 0, PARLEY_EAUTH, "a client certificate is required");
		s->state = S_GONE;
		return;
	}
	hex_encode(pin, 32, hex);
	/* A handshake can end between a request and its turn's commit: if
	 * that turn added or removed endpoints, commit it first, so the pin is
	 * looked up in what is saved (not in a registration the commit may
	 * still lose).  Other turns are left alone: a handshake must not force
	 * a commit. */
	if (registry_endpoints_changed_uncommitted(srv->st))
		turn_flush(srv->turn);
	rc = registry_endpoint_by_pin(srv->st, pin, &s->who);
	if (rc != 0) {
		if (rc < 0) {
			log_warnx("%s: store failure looking up pin %s", conn_peer(s->conn), hex);
		} else {
			snprintf(why, sizeof(why), "refused certificate with unregistered pin %s", hex);
			gate_fail(srv->gate, UNAUTH_UNREGISTERED, conn_peer(s->conn), why);
		}
		srv->metrics.tls_refused++;
		conn_fail(s->conn, 0, PARLEY_EAUTH, rc < 0 ? "store failure" :
		    "certificate pin %s is not registered to any endpoint "
		    "(the mediator adds it with: parleyctl endpoint add PARTY --cert FILE)", hex);
		s->state = S_GONE;
		return;
	}
	if (count_endpoint(srv, s->who.endpoint_id) >= srv->cfg.max_per_endpoint) {
		log_warnx("%s: endpoint %lld of %s already has %lld connections", conn_peer(s->conn),
		    (long long)s->who.endpoint_id, s->who.party.code,
		    (long long)srv->cfg.max_per_endpoint);
		conn_fail(s->conn, 0, PARLEY_EREFUSED, "too many connections for this endpoint");
		s->state = S_GONE;
		return;
	}
	s->sink.endpoint_id = s->who.endpoint_id;
	s->state = S_HELLO;
	/* Authenticated: its work comes before any handshake's. */
	conn_set_priority(s->conn, PRIO_NORMAL);
	s->counted = 1;
	log_info("%s: endpoint %lld of %s connected", conn_peer(s->conn),
	    (long long)s->who.endpoint_id, s->who.party.code);
}

static void
welcome(struct session *s, const Parley__Frame *f)
{
	Parley__Frame r = PARLEY__FRAME__INIT;
	Parley__Welcome w = PARLEY__WELCOME__INIT;
	char now[PTIME_BUFLEN];

	if (f->body_case != PARLEY__FRAME__BODY_HELLO) {
		log_warnx("%s: first frame must be hello, got %s", conn_peer(s->conn),
		    frame_body_name(f));
		conn_fail(s->conn, f->id, PARLEY_EPROTO, "the first frame must be hello");
		s->state = S_GONE;
		return;
	}
	if (f->hello->version != PARLEY_PROTOCOL_VERSION) {
		log_warnx("%s: protocol version %u refused", conn_peer(s->conn), f->hello->version);
		conn_error(s->conn, f->id, PARLEY_EVERSION,
		    "protocol version %u is not supported; this parleyd speaks version %d",
		    f->hello->version, PARLEY_PROTOCOL_VERSION);
		conn_close(s->conn, 1);
		s->state = S_GONE;
		return;
	}
	ptime_format(clock_now(s->srv->clk), now);
	w.version = PARLEY_PROTOCOL_VERSION;
	w.party = s->who.party.code;
	w.endpoint = (uint64_t)s->who.endpoint_id;
	w.observer = s->who.party.observer;
	w.server_time = now;
	w.ack_max = FRAME_ACK_MAX;
	r.id = f->id;
	r.body_case = PARLEY__FRAME__BODY_WELCOME;
	r.welcome = &w;
	turn_reply(s->srv->turn, s->conn, &r);
	conn_established(s->conn);
	s->state = S_READY;
	/* On duty: a client that takes deliveries.  A console only looks
	 * (parley console says so in its Hello): its open page must not hide
	 * that nobody receives what is sent. */
	if (strcmp(f->hello->agent, PARLEY_CONSOLE_AGENT) != 0) {
		s->on_duty = 1;
		if (duty_connected(s->srv->duty, s->who.party.id))
			duty_cleared(s->srv, s->who.party.id);
	}
}

static void
ack(struct session *s, const Parley__Frame *f)
{
	struct server *srv = s->srv;
	Parley__Frame r = PARLEY__FRAME__INIT;
	Parley__Ok ok = PARLEY__OK__INIT;
	uint64_t ids[FRAME_ACK_MAX];
	size_t n = 1 + f->ack->n_more;
	char err[256];
	int rc;

	if (n > FRAME_ACK_MAX) {
		turn_error(srv->turn, s->conn, f->id, PARLEY_EUSAGE,
		    "an ack names at most %d deliveries, this one %zu", FRAME_ACK_MAX, n);
		return;
	}
	ids[0] = f->ack->delivery_id;
	if (n > 1)
		memcpy(ids + 1, f->ack->more, (n - 1) * sizeof(ids[0]));
	/* The acks are written just before the commit: no savepoint needed
	 * (the benchmark's drain: 5% of the loop's time was the ack's).  A
	 * turn holds about as many acks as it holds requests. */
	if (turn_request_begin_single(srv->turn, n) != 0) {
		turn_error(srv->turn, s->conn, f->id, PARLEY_ESTORE, "store unavailable");
		return;
	}
	/* The record gets the receipts with the commit (delivery_record_acks). */
	if ((rc = delivery_ack(srv->dlv, s->who.endpoint_id, s->who.party.code,
	    ids, n, err, sizeof(err))) < 0) {
		turn_request_end(srv->turn, 0);
		/* turn_error logs it, within the connection's budget. */
		/* Never sent: refused for good; otherwise worth a retry. */
		turn_error(srv->turn, s->conn, f->id, rc == -1 ? PARLEY_EREFUSED : PARLEY_ESTORE,
		    "%s%s", err, rc == -1 ? "" : "; try again");
		return;
	}
	delivery_sink_acked(srv->dlv, &s->sink, (size_t)rc);
	ok.id = f->ack->delivery_id;
	r.id = f->id;
	r.body_case = PARLEY__FRAME__BODY_OK;
	r.ok = &ok;
	turn_reply(srv->turn, s->conn, &r);
	turn_request_end(srv->turn, 1);
	fault_point("delivery-acked");
	srv->metrics.acks += n;
	srv->metrics.ack_frames++;
}

/* Run one engine request under its own savepoint. */
#define ENGINE_REQ(call) ENGINE_REQ_V(call, 0)
#define ENGINE_REQ_V(call, verdict)                                          \
	do {                                                                 \
		struct req rq = { srv->turn, s->conn, f->id, &s->who,        \
		    (verdict) };                                             \
		if (turn_request_begin(srv->turn) != 0) {                    \
			turn_error(srv->turn, s->conn, f->id, PARLEY_ESTORE, \
			    "store unavailable");                            \
			return;                                              \
		}                                                            \
		turn_request_end(srv->turn, (call));                         \
		(void)rq;                                                    \
	} while (0)

/* The worker's verdict on this SignRequest, once: it is for the held frame
 * only, which comes first when the conn resumes. */
static int
take_verdict(struct session *s, const Parley__Frame *f)
{
	const Parley__SignRequest *m = f->sign;
	int v = s->verdict;

	s->verdict = 0;
	if (v == 0 || f->id != s->verdict_id || m->signature.len != 64 ||
	    memcmp(m->signature.data, s->verdict_sig, 64) != 0)
		return 0;
	return v;
}

static void
verified(void *ctx, int verdict)
{
	struct session *s = ctx;

	s->verifying = 0;
	if (s->closed) {
		free(s);
		return;
	}
	if (verdict == 0)
		return;		/* shutting down */
	s->verdict = verdict;
	conn_resume(s->conn);
	if (!s->verdict_parked)
		s->verdict = 0;
	if (s->close_after && !s->verifying) {
		/* The stop waited for this copy: answered, now closing. */
		conn_close(s->conn, 1);
		s->state = S_GONE;
	}
}

/* Check a copy's signature on a worker before the request runs: 1 to hold
 * the frame until the verdict is in; 0 to go on now (no workers, the
 * verdict for this very frame is in, or a malformed copy that the engine
 * refuses anyway).  The check is a pure function of the frame's bytes; the
 * engine still does every other check, in its order, when the frame runs. */
static int
check_signature_async(struct session *s, const Parley__Frame *f)
{
	const Parley__SignRequest *m = f->sign;
	uint8_t *payload;
	size_t plen;

	if (s->srv->verify == NULL || s->verdict != 0)
		return 0;
	if (m->content_hash.len != 32 || m->signature.len != 64 || m->signer_key.len != 32)
		return 0;
	if (sign_payload_with(m->agreement, m->revision, m->content_hash.data, m->party,
	    m->role, m->reservation, m->condition, m->frame, &payload, &plen) != 0)
		return 0;
	if (verify_submit(s->srv->verify, m->signer_key.data, m->signature.data, payload, plen,
	    verified, s) != 0)
		return 0;
	fault_point("signature-check-out");
	s->verifying = 1;
	s->verdict_id = f->id;
	memcpy(s->verdict_sig, m->signature.data, 64);
	return 1;
}

static void
dispatch(struct session *s, const Parley__Frame *f)
{
	struct server *srv = s->srv;
	struct ag_ctx *e = srv->ag;

	switch (f->body_case) {
	case PARLEY__FRAME__BODY_FETCH:
		if (!s->attached) {
			s->attached = 1;
			delivery_attach(srv->dlv, &s->sink);
		}
		turn_call(srv->turn, s->conn, f->id, fetch_done, s);
		break;
	case PARLEY__FRAME__BODY_ACK:
		ack(s, f);
		break;
	case PARLEY__FRAME__BODY_SHOW:
		ENGINE_REQ(engine_show(e, &rq, f->show->agreement));
		break;
	case PARLEY__FRAME__BODY_AGREEMENT_QUERY:
		ENGINE_REQ(engine_party_agreements(e, &rq));
		break;
	case PARLEY__FRAME__BODY_STATUS:
		ENGINE_REQ(engine_status(e, &rq, f->status->agreement));
		break;
	case PARLEY__FRAME__BODY_SIGN:
		ENGINE_REQ_V(engine_sign(e, &rq, f->sign), take_verdict(s, f));
		break;
	case PARLEY__FRAME__BODY_AMEND:
		ENGINE_REQ(engine_amend(e, &rq, f->amend));
		break;
	case PARLEY__FRAME__BODY_AMENDMENT_RESPONSE:
		ENGINE_REQ(engine_amendment_response(e, &rq, f->amendment_response));
		break;
	case PARLEY__FRAME__BODY_WITHDRAW:
		ENGINE_REQ(engine_withdraw(e, &rq, f->withdraw->agreement));
		break;
	case PARLEY__FRAME__BODY_DECLINE:
		ENGINE_REQ(engine_decline(e, &rq, f->decline));
		break;
	case PARLEY__FRAME__BODY_CONFIRM:
		ENGINE_REQ(timeline_confirm(e, &rq, f->confirm->agreement, f->confirm->measure,
		    f->confirm->note));
		break;
	case PARLEY__FRAME__BODY_TIMELINE:
		ENGINE_REQ(timeline_party_show(e, &rq, f->timeline->agreement));
		break;
	case PARLEY__FRAME__BODY_INCIDENT_FILE:
		ENGINE_REQ(incident_file(e, &rq, f->incident_file));
		break;
	case PARLEY__FRAME__BODY_INCIDENT_RESPOND:
		ENGINE_REQ(incident_respond(e, &rq, f->incident_respond));
		break;
	case PARLEY__FRAME__BODY_INCIDENT_ACTION:
		ENGINE_REQ(incident_action(e, &rq, f->incident_action));
		break;
	case PARLEY__FRAME__BODY_INCIDENT_QUERY:
		ENGINE_REQ(incident_query(e, &rq, f->incident_query));
		break;
	case PARLEY__FRAME__BODY_JOURNAL_REQUEST:
		ENGINE_REQ(record_request(e, &rq, f->journal_request->known_size));
		break;
	case PARLEY__FRAME__BODY_COUNTERSIGN:
		ENGINE_REQ(record_countersign(e, &rq, f->countersign));
		break;
	case PARLEY__FRAME__BODY_JOURNAL_SHOW:
		ENGINE_REQ(record_show(e, &rq, f->journal_show));
		break;
	case PARLEY__FRAME__BODY_BUNDLE_REQUEST:
		ENGINE_REQ(engine_bundle(e, &rq, f->bundle_request->agreement));
		break;
	case PARLEY__FRAME__BODY_MANDATE_ISSUE:
		ENGINE_REQ(mandate_issue(e, &rq, f->mandate_issue));
		break;
	case PARLEY__FRAME__BODY_MANDATE_REVOKE:
		ENGINE_REQ(mandate_revoke(e, &rq, f->mandate_revoke));
		break;
	case PARLEY__FRAME__BODY_MANDATE_QUERY:
		ENGINE_REQ(mandate_query(e, &rq));
		break;
	case PARLEY__FRAME__BODY_OBSERVER_REQUEST:
		ENGINE_REQ(observer_request(e, &rq, f->observer_request));
		break;
	case PARLEY__FRAME__BODY_OBSERVER_ANSWER:
		ENGINE_REQ(observer_answer(e, &rq, f->observer_answer));
		break;
	case PARLEY__FRAME__BODY_OBSERVER_QUERY:
		ENGINE_REQ(observer_query(e, &rq, f->observer_query));
		break;
	case PARLEY__FRAME__BODY_CONDITION_LIFT:
		ENGINE_REQ(condition_lift(e, &rq, f->condition_lift));
		break;
	case PARLEY__FRAME__BODY_AMENDMENT_QUERY:
		ENGINE_REQ(amendment_show_party(e, &rq, f->amendment_query->amendment));
		break;
	case PARLEY__FRAME__BODY_AMENDMENT_LIST_QUERY:
		ENGINE_REQ(amendment_list_party(e, &rq, f->amendment_list_query->agreement));
		break;
	case PARLEY__FRAME__BODY_DUTY_CONTACTS_SET:
		ENGINE_REQ(contacts_set_party(e, &rq, f->duty_contacts_set));
		break;
	case PARLEY__FRAME__BODY_DUTY_CONTACTS_QUERY:
		ENGINE_REQ(contacts_query(e, &rq));
		break;
	case PARLEY__FRAME__BODY_LETTER_SEND:
		ENGINE_REQ(letter_send_party(e, &rq, f->letter_send));
		break;
	default:
		log_warnx("%s: %s sent an unexpected %s frame", conn_peer(s->conn),
		    s->who.party.code, frame_body_name(f));
		conn_fail(s->conn, f->id, PARLEY_EPROTO, "unexpected %s frame",
		    frame_body_name(f));
		s->state = S_GONE;
	}
}

static int
session_frame(void *ctx, const Parley__Frame *f)
{
	struct session *s = ctx;

	/* The store of record is behind: the request runs once it is level
	 * (a copy's verdict, if in hand, is kept for then). */
	if ((s->state == S_HELLO || s->state == S_READY) && turn_busy(s->srv->turn)) {
		s->verdict_parked = s->verdict != 0;
		turn_wait(s->srv->turn, s->conn);
		return 1;
	}
	s->verdict_parked = 0;
	switch (s->state) {
	case S_HELLO:
		turn_request_arrived(s->srv->turn, frame_body_name(f));
		welcome(s, f);
		break;
	case S_READY:
		if (f->body_case == PARLEY__FRAME__BODY_SIGN && check_signature_async(s, f))
			return 1;	/* it arrives when it runs, verdict in hand */
		turn_request_arrived(s->srv->turn, frame_body_name(f));
		dispatch(s, f);
		break;
	case S_HANDSHAKE:
	case S_GONE:
		break;
	}
	return 0;
}

static void
session_drained(void *ctx)
{
	struct session *s = ctx;

	if (s->attached && s->state == S_READY)
		delivery_push(s->srv->dlv, &s->sink);
}

/* Accepting pauses while the connections, or the handshakes, are at
 * their caps, and after an accept error: new connections wait in the
 * kernel's backlog. */
/* Accepting pauses while the connections are at max_connections, and
 * after an accept error: new connections wait in the kernel's backlog.
 * The pause is logged once a minute at most (connections that come and go
 * at the cap would otherwise log two lines each). */
static void
pause_accept(struct server *srv, int loud)
{
	uint64_t dropped;

	if (srv->accept_paused)
		return;
	srv->accept_paused = 1;
	event_del(srv->listen_ev);
	if (loud && log_budget_take(&srv->pause_log, 1, &dropped)) {
		srv->accept_paused = 2;
		log_warnx("%zu connections: not accepting more until one closes", srv->nconns);
	}
}

static void
resume_accept(struct server *srv)
{
	if (srv->accept_paused && !srv->stopping &&
	    srv->nconns < (size_t)srv->cfg.max_connections &&
	    !evtimer_pending(srv->accept_retry, NULL)) {
		if (srv->accept_paused == 2)
			log_info("accepting connections again");
		srv->accept_paused = 0;
		event_add(srv->listen_ev, NULL);
	}
}

static void
handshake_begin(struct session *s)
{
	struct server *srv = s->srv;

	s->handshaking = 1;
	s->hs_prev = srv->hs_newest;
	s->hs_next = NULL;
	if (srv->hs_newest != NULL)
		srv->hs_newest->hs_next = s;
	else
		srv->hs_oldest = s;
	srv->hs_newest = s;
	gate_handshake_begin(srv->gate, &s->src);
}

/* TLS is done or the connection is gone: one fewer handshake. */
static void
handshake_over(struct session *s)
{
	struct server *srv = s->srv;

	if (!s->handshaking)
		return;
	s->handshaking = 0;
	if (s->hs_prev != NULL)
		s->hs_prev->hs_next = s->hs_next;
	else
		srv->hs_oldest = s->hs_next;
	if (s->hs_next != NULL)
		s->hs_next->hs_prev = s->hs_prev;
	else
		srv->hs_newest = s->hs_prev;
	s->hs_next = s->hs_prev = NULL;
	gate_handshake_end(srv->gate, &s->src);
}

/* max_handshakes are in progress: shed one for a new connection from src.
 * Pausing instead would let silent peers fill the kernel's backlog, where a
 * party's SYN would wait behind them.  The one shed is the oldest of the
 * source with the most handshakes in progress (the newcomer's counting one
 * more): a flood from a few addresses sheds its own, and a party's
 * handshake, one from its address, goes only when every source has as few
 * and every one of them has sent something. */
static void
evict_one(struct server *srv, const struct gate_source *src)
{
	struct session *s, *victim = NULL;
	unsigned n, most = 0;
	int silent, victim_silent = 0;

	/* Oldest first, so that among equals the older one stays chosen; a
	 * peer that has sent nothing yet goes before one of the same count
	 * that has (a party's handshake has sent its ClientHello). */
	for (s = srv->hs_oldest; s != NULL; s = s->hs_next) {
		n = gate_source_handshakes(srv->gate, &s->src);
		if (memcmp(s->src.addr, src->addr, sizeof(src->addr)) == 0)
			n++;
		silent = !conn_heard(s->conn);
		if (victim == NULL || n > most || (n == most && silent && !victim_silent)) {
			victim = s;
			most = n;
			victim_silent = silent;
		}
	}
	if (victim == NULL)
		return;
	handshake_over(victim);
	victim->state = S_GONE;
	gate_fail(srv->gate, UNAUTH_EVICTED, conn_peer(victim->conn),
	    "a handshake shed at max_handshakes for a new connection (the oldest of the "
	    "source with the most in progress)");
	conn_close(victim->conn, 0);
}

/* A connection that never got through TLS: counted and summed up, never
 * a log line each (gate.h). */
static void
handshake_failed(struct session *s)
{
	const char *detail;

	switch (conn_end(s->conn, &detail)) {
	case CONN_END_TLS:
		gate_fail(s->srv->gate, UNAUTH_TLS, conn_peer(s->conn), detail);
		break;
	case CONN_END_TIMEOUT:
		gate_fail(s->srv->gate, UNAUTH_TIMEOUT, conn_peer(s->conn), detail);
		break;
	case CONN_END_PEER:
		gate_fail(s->srv->gate, UNAUTH_CLOSED, conn_peer(s->conn),
		    "closed during the TLS handshake");
		break;
	case CONN_END_LOCAL:
		break;	/* parleyd is stopping */
	}
}

static void
session_closed(void *ctx)
{
	struct session *s = ctx;
	struct server *srv = s->srv;

	if (s->counted) {
		log_info("%s: endpoint %lld of %s disconnected", conn_peer(s->conn),
		    (long long)s->who.endpoint_id, s->who.party.code);
		if (s->on_duty)
			duty_disconnected(srv->duty, s->who.party.id);
	}
	if (s->state == S_HANDSHAKE)
		handshake_failed(s);
	handshake_over(s);
	gate_leave(srv->gate, &s->src);
	if (s->attached)
		delivery_detach(srv->dlv, &s->sink);
	unlink_session(s);
	srv->nconns--;
	resume_accept(srv);
	if (srv->stopping && srv->sessions == NULL && srv->admin_conns == NULL)
		event_base_loopbreak(srv->base);	/* every reply is out */
	if (s->verifying) {
		log_debug("%s: closed while a signature check is out", conn_peer(s->conn));
		s->closed = 1;	/* freed when the check comes back */
	}
	else
		free(s);
}

static const struct conn_ops session_ops = {
	.ready = session_ready,
	.frame = session_frame,
	.drained = session_drained,
	.closed = session_closed,
};

/* One accepted connection: admitted by its source's limits, then a TLS
 * handshake at the lowest priority. */
static void
accept_one(struct server *srv, evutil_socket_t fd, struct sockaddr *sa)
{
	struct conn_limits lim = { 0 };
	struct bufferevent *bev;
	struct gate_source src;
	struct session *s;
	char host[INET6_ADDRSTRLEN], peer[96];
	int one = 1;
	SSL *ssl = NULL;
	BIO *bio;

	srv->metrics.tls_accepted++;
	/* Refused before any TLS work: the cheapest answer there is. */
	if (gate_admit(srv->gate, sa, &src) != 0) {
		evutil_closesocket(fd);
		return;
	}
	if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof(host));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, host, sizeof(host));
	snprintf(peer, sizeof(peer), "%s:%u", host, ntohs(sa->sa_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)sa)->sin6_port : ((struct sockaddr_in *)sa)->sin_port));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* The SSL reads through a socket BIO of ours, so that conn can see
	 * ciphertext arrive (its frame deadline); libevent uses it as is. */
	if ((s = calloc(1, sizeof(*s))) == NULL || (ssl = tls_ssl_new(srv->tls)) == NULL ||
	    (bio = BIO_new_socket((int)fd, BIO_NOCLOSE)) == NULL)
		goto fail;
	SSL_set_bio(ssl, bio, bio);
	if ((bev = bufferevent_openssl_socket_new(srv->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		goto fail;
	/* Until TLS is done, its work waits for everything else. */
	bufferevent_priority_set(bev, PRIO_UNAUTH);
	lim.max_frame = (size_t)srv->cfg.max_frame;
	lim.decode_budget = (size_t)srv->cfg.decode_budget;
	lim.max_output = (size_t)srv->cfg.max_queued_output;
	/* Half the largest push window: the drained callback pushes more. */
	lim.drained_at = (lim.max_output / 2 < DELIVERY_PUSH_WINDOW_MAX ?
	    lim.max_output / 2 : DELIVERY_PUSH_WINDOW_MAX) / 2;
	lim.handshake_timeout = (int)srv->cfg.handshake_timeout;
	lim.frame_timeout = (int)srv->cfg.frame_timeout;
	lim.idle_timeout = (int)srv->cfg.idle_timeout;
	lim.bad_frames = &srv->metrics.frames_bad;
	s->srv = srv;
	s->state = S_HANDSHAKE;
	s->src = src;
	s->sink.push = sink_push;
	s->sink.ctx = s;
	if ((s->conn = conn_new(bev, 1, &lim, &session_ops, s, peer)) == NULL) {
		bufferevent_free(bev);	/* closes fd, frees ssl */
		free(s);
		gate_leave(srv->gate, &src);
		return;
	}
	/* At max_handshakes, one makes room for this one (now that it is
	 * sure to start). */
	if (gate_handshakes_full(srv->gate))
		evict_one(srv, &src);
	s->next = srv->sessions;
	if (srv->sessions)
		srv->sessions->prev = s;
	srv->sessions = s;
	srv->nconns++;
	handshake_begin(s);
	if (srv->nconns >= (size_t)srv->cfg.max_connections)
		pause_accept(srv, 1);
	return;
fail:
	log_warnx("%s: out of memory, connection dropped", peer);
	SSL_free(ssl);
	free(s);
	gate_leave(srv->gate, &src);
	evutil_closesocket(fd);
}

/* How long the listener rests after an accept error. */
#define ACCEPT_RETRY_MS 500
/* Accepts per listener callback: the rest wait for the next loop turn, so
 * that a full backlog cannot hold the loop. */
#define ACCEPT_BATCH 16

static void
accept_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	resume_accept(arg);
}

static void
listen_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct server *srv = arg;
	struct timeval tv = { 0, ACCEPT_RETRY_MS * 1000 };
	struct sockaddr_storage ss;
	socklen_t sslen;
	int i, fd;

	(void)what;
	for (i = 0; i < ACCEPT_BATCH && !srv->accept_paused; i++) {
		sslen = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			accept_one(srv, fd, (struct sockaddr *)&ss);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
		    errno == ECONNABORTED || errno == EPROTO)
			return;
		/* Out of descriptors or memory: pause instead of spinning, and
		 * try again soon; a session closing may not come (duty stations
		 * stay). */
		log_warn("accept");
		pause_accept(srv, 0);
		evtimer_add(srv->accept_retry, &tv);
		return;
	}
}

int
session_listen(struct server *srv, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss), one = 1;
	char addr[300];
	evutil_socket_t fd;

	if (strchr(srv->cfg.listen_host, ':') != NULL)
		snprintf(addr, sizeof(addr), "[%s]:%u", srv->cfg.listen_host, srv->cfg.listen_port);
	else
		snprintf(addr, sizeof(addr), "%s:%u", srv->cfg.listen_host, srv->cfg.listen_port);
	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sslen) != 0) {
		snprintf(err, errlen, "listen = %s: not a numeric address", addr);
		return -1;
	}
	/* A plain event rather than an evconnlistener: it takes a priority
	 * (prio.h) and accepts a bounded batch per loop turn. */
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&ss, (socklen_t)sslen) != 0 || listen(fd, 512) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", addr, strerror(errno));
		if (fd >= 0)
			evutil_closesocket(fd);
		return -1;
	}
	srv->listen_fd = fd;
	if ((srv->listen_ev = event_new(srv->base, fd, EV_READ | EV_PERSIST, listen_cb, srv)) == NULL ||
	    event_priority_set(srv->listen_ev, PRIO_UNAUTH) != 0 ||
	    event_add(srv->listen_ev, NULL) != 0 ||
	    (srv->accept_retry = evtimer_new(srv->base, accept_retry_cb, srv)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	log_info("listening on %s (TLS 1.3, pinned client certificates, groups %s)", addr,
	    srv->cfg.tls_groups);
	return 0;
}

void
session_listen_stop(struct server *srv)
{
	if (srv->listen_ev != NULL)
		event_del(srv->listen_ev);
	srv->accept_paused = 1;
}

void
session_listen_close(struct server *srv)
{
	if (srv->listen_ev != NULL)
		event_free(srv->listen_ev);
	if (srv->accept_retry != NULL)
		event_free(srv->accept_retry);
	if (srv->listen_ev != NULL)
		evutil_closesocket(srv->listen_fd);
	srv->listen_ev = srv->accept_retry = NULL;
}

void
session_kick_endpoint(struct server *srv, int64_t endpoint_id)
{
	struct session *s;

	for (s = srv->sessions; s != NULL; s = s->next) {
		if ((s->state == S_READY || s->state == S_HELLO) &&
		    s->who.endpoint_id == endpoint_id) {
			conn_fail(s->conn, 0, PARLEY_EAUTH, "this endpoint was removed");
			s->state = S_GONE;
		}
	}
}

void
session_foreach(struct server *srv, void (*fn)(void *arg, const struct ident *who), void *arg)
{
	struct session *s;

	for (s = srv->sessions; s != NULL; s = s->next)
		if (s->state == S_READY)
			fn(arg, &s->who);
}

void
session_close_all(struct server *srv, int flush)
{
	struct session *s;

	for (s = srv->sessions; s != NULL; s = s->next) {
		/* A copy held for its signature check runs first, and is
		 * answered, when the verdict comes back during the drain. */
		if (flush && s->verifying && conn_is_open(s->conn)) {
			log_info("%s: stopping once its copy's signature check is back",
			    conn_peer(s->conn));
			s->close_after = 1;
			continue;
		}
		conn_close(s->conn, flush);
		s->state = S_GONE;
	}
}
