#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery.h"
#include "frame.h"
#include "log.h"
#include "registry.h"

/* An ack of the open transaction, written to the store and the record
 * just before its commit. */
struct acked {
	int64_t endpoint, id, at;
	char party[PARTY_CODE_MAX + 1];
};

struct delivery {
	struct store *st;
	struct clock *clk;
	struct sink *sinks;
	size_t nsinks;
	struct acked *acked;	/* the open transaction's acks, in arrival order */
	size_t nacked, acked_cap;
	size_t awaiting;	/* the sinks' awaiting, summed */
	uint64_t pushed_ns;	/* the last push (now_ns) */
	uint64_t window, window_ns;	/* the ack window: its number, its start */
	/* The release messages the open transaction queued (ids lo..hi; hi 0:
	 * none), and, during the pushes right after its commit, those of the
	 * transaction just committed: only their pushes are awaited. */
	int64_t rel_lo, rel_hi, fresh_lo, fresh_hi;
	uint64_t (*now_ns)(void);	/* monotonic */
	/* deliveries an endpoint was told it cannot get (a ring) */
	struct { int64_t endpoint; uint64_t id; } unsendable[DELIVERY_UNSENDABLE_MAX];
	size_t nunsendable;	/* how many were ever noted */
};

struct delivery *
delivery_new(struct store *st, struct clock *clk)
{
	struct delivery *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->st = st;
	d->clk = clk;
	d->now_ns = clock_mono_ns;
	return d;
}

void
delivery_free(struct delivery *d)
{
	if (d == NULL)
		return;
	free(d->acked);
	free(d);
}

static int
cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The messages of the n parties for stored payload pid, and a delivery for
 * every current endpoint of each: two statements, however many parties. */
static int
enqueue_parties(struct delivery *d, int64_t pid, const int64_t *parties, size_t n,
    const char *kind, int64_t agreement_id, const char *summary, int64_t *message_ids)
{
	static const char ins_msg[] =
	    "INSERT INTO message(kind, party_id, agreement_id, summary, payload_id, created_at) "
	    "SELECT ?1, value, ?2, ?3, ?4, ?5 FROM json_each(?6) ORDER BY key "
	    "RETURNING id, party_id";
	static const char ins_del[] =
	    "INSERT INTO delivery(message_id, endpoint_id) "
	    "SELECT m.id, e.id FROM message m JOIN endpoint e ON e.party_id = m.party_id "
	    "WHERE m.id BETWEEN ?1 AND ?2 AND e.removed_at IS NULL ORDER BY m.id, e.id "
	    "RETURNING endpoint_id";
	int64_t lo = INT64_MAX, hi = 0, *eps;
	size_t i, k, got = 0, off = 0, cap = n * 21 + 3, neps;
	sqlite3_stmt *st;
	struct sink *s;
	char *list;
	int rc, end;

	list = malloc(cap);
	if (list == NULL)
		return -1;
	list[off++] = '[';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(list + off, cap - off, "%s%lld", i ? "," : "",
		    (long long)parties[i]);
	list[off++] = ']';
	list[off] = '\0';
	st = store_stmt(d->st, ins_msg);
	if (st == NULL) {
		free(list);
		return -1;
	}
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	if (agreement_id > 0)
		sqlite3_bind_int64(st, 2, agreement_id);
	sqlite3_bind_text(st, 3, summary, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, pid);
	sqlite3_bind_int64(st, 5, clock_now(d->clk));
	/* The list stays ours: bound static, unbound before it is freed. */
	sqlite3_bind_text(st, 6, list, (int)off, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t mid = sqlite3_column_int64(st, 0), party = sqlite3_column_int64(st, 1);
		lo = mid < lo ? mid : lo;
		hi = mid > hi ? mid : hi;
		/* Rows come back in the list's order (ORDER BY key), so the row's
		 * own slot matches; a search only if SQLite ever changes that. */
		if (message_ids != NULL && got < n && parties[got] == party)
			message_ids[got] = mid;
		else
			for (k = 0; message_ids != NULL && k < n; k++)
				if (parties[k] == party)
					message_ids[k] = mid;
		got++;
	}
	end = store_rows_end(d->st, st, rc, "the messages stored");
	sqlite3_clear_bindings(st);
	free(list);
	if (end != 0 || got != n) {
		log_warnx("delivery: cannot store messages: %s", store_errmsg(d->st));
		return -1;
	}
	if (strcmp(kind, "release") == 0) {
		if (d->rel_hi == 0 || lo < d->rel_lo)
			d->rel_lo = lo;
		if (hi > d->rel_hi)
			d->rel_hi = hi;
	}
	st = store_stmt(d->st, ins_del);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	/* The endpoints that now have something, sorted, then one pass over
	 * the connected sinks: not every sink for every delivery. */
	rc = store_ids(d->st, st, "the deliveries queued", &eps, &neps);
	if (rc != 0)
		return -1;
	if (neps > 1)
		qsort(eps, neps, sizeof(*eps), cmp_id);
	for (s = d->sinks; s != NULL; s = s->next)
		if (neps > 0 && bsearch(&s->endpoint_id, eps, neps, sizeof(*eps), cmp_id) != NULL)
			s->want = 1;
	free(eps);
	return 0;
}

/* config.h's promise: every valid max_frame carries a delivery's frame,
 * and every valid max_queued_output two of them (a push may find half of
 * it queued). */
_Static_assert(CONFIG_MAX_FRAME_MIN + FRAME_HDR_LEN >= CONFIG_DELIVERY_MAX,
    "max_frame's minimum must carry the longest delivery");
_Static_assert(CONFIG_MAX_QUEUED_OUTPUT_MIN >= 2 * CONFIG_DELIVERY_MAX,
    "max_queued_output's minimum must hold two of the longest deliveries");

static size_t
varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

size_t
delivery_frame_len(size_t payload_len)
{
	/* Delivery: delivery_id (tag, varint up to 10 bytes), created_at (an
	 * int64: a negative one takes 10), payload (tag, length, bytes). */
	size_t body = 1 + 10 + 1 + 10 + 1 + varint_len(payload_len) + payload_len;

	/* Frame: id (0 for a push, but counted), the delivery (tag, length,
	 * body); then the 4-byte length prefix. */
	return FRAME_HDR_LEN + 1 + 10 + 1 + varint_len(body) + body;
}

int
delivery_enqueue(struct delivery *d, const int64_t *parties, size_t n, const char *kind,
    int64_t agreement_id, const char *summary, const Parley__Payload *p,
    int64_t *message_ids)
{
	static const char ins_payload[] = "INSERT INTO payload(body) VALUES(?)";
	sqlite3_stmt *st;
	uint8_t *buf;
	size_t len;
	int64_t pid;
	int rc;

	if (n == 0)
		return 0;
	len = parley__payload__get_packed_size(p);
	if (delivery_frame_len(len) > CONFIG_DELIVERY_MAX) {
		log_warnx("delivery: not queued: a %s (%s) of %zu bytes would be a %zu-byte "
		    "delivery frame, longer than the %d bytes every configuration can send",
		    kind, summary, len, delivery_frame_len(len), CONFIG_DELIVERY_MAX);
		return -2;
	}
	buf = malloc(len ? len : 1);
	if (buf == NULL)
		return -1;
	parley__payload__pack(p, buf);
	st = store_stmt(d->st, ins_payload);
	if (st == NULL) {
		free(buf);
		return -1;
	}
	sqlite3_bind_blob(st, 1, buf, (int)len, free);
	rc = store_step_done(d->st, st);
	if (rc != 0) {
		log_warnx("delivery: cannot store payload: %s", store_errmsg(d->st));
		return -1;
	}
	pid = sqlite3_last_insert_rowid(store_db(d->st));
	return enqueue_parties(d, pid, parties, n, kind, agreement_id, summary, message_ids);
}

void
delivery_attach(struct delivery *d, struct sink *s)
{
	s->prev = NULL;
	s->next = d->sinks;
	if (d->sinks != NULL)
		d->sinks->prev = s;
	d->sinks = s;
	s->want = 1;
	s->awaiting = 0;
	s->window = 0;
	d->nsinks++;
}

void
delivery_detach(struct delivery *d, struct sink *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else if (d->sinks == s)
		d->sinks = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
	d->nsinks--;
	if (s->window == d->window)
		d->awaiting -= s->awaiting;
	s->awaiting = 0;
}

void
delivery_sink_acked(struct delivery *d, struct sink *s, size_t n)
{
	/* An ack of what another connection of the endpoint was sent counts
	 * on the connection it came by; what a connection was sent and is
	 * acked elsewhere, or never, stops counting with its window. */
	if (s->window != d->window)
		return;	/* counted in a window gone by: no longer in d */
	if (n > s->awaiting)
		n = s->awaiting;
	s->awaiting -= n;
	d->awaiting -= n;
}

void
delivery_set_clock(struct delivery *d, uint64_t (*now_ns)(void))
{
	d->now_ns = now_ns;
}

uint64_t
delivery_ack_wait(const struct delivery *d)
{
	uint64_t since;

	if (d->awaiting == 0)
		return 0;
	since = d->now_ns() - d->pushed_ns;
	return since < DELIVERY_ACK_WAIT_NS ? DELIVERY_ACK_WAIT_NS - since : 0;
}

/* What every connection catching up may hold in pushed, unsent output
 * together, and the least one gets of it.  Pushes go out after each commit
 * only, so a window must last a busy turn: 256 KB ran dry (a 192k-delivery
 * drain at 65-70k acks/s), DELIVERY_PUSH_WINDOW_MAX does not (74-78k). */
#define PUSH_BUDGET (256 * 1024 * 1024)
#define PUSH_WINDOW_MIN (64 * 1024)

size_t
delivery_push_window(const struct delivery *d, size_t cap)
{
	size_t w = PUSH_BUDGET / (d->nsinks ? d->nsinks : 1);

	if (w < PUSH_WINDOW_MIN)
		w = PUSH_WINDOW_MIN;
	if (w > DELIVERY_PUSH_WINDOW_MAX)
		w = DELIVERY_PUSH_WINDOW_MAX;
	return w < cap ? w : cap;
}

#define PUSH_BATCH 64

/* Acks are awaited for what was pushed in the current window only (a new
 * one begins DELIVERY_ACK_WAIT_NS after the last began): what a connection
 * never acks, or acks on another, stops counting with its window.  Only
 * the pushes of a release just committed open or join one. */
static void
await_window(struct delivery *d, struct sink *s)
{
	uint64_t now = d->now_ns();

	if (d->window == 0 || now - d->window_ns >= DELIVERY_ACK_WAIT_NS) {
		d->window++;
		d->window_ns = now;
		d->awaiting = 0;
	}
	if (s->window != d->window) {
		s->window = d->window;
		s->awaiting = 0;
	}
}

int
delivery_push(struct delivery *d, struct sink *s)
{
	static const char sql[] =
	    "SELECT d.id, m.created_at, b.body, m.kind = 'release' AND m.id BETWEEN ?3 AND ?4 "
	    "FROM delivery d "
	    "JOIN message m ON m.id = d.message_id JOIN payload b ON b.id = m.payload_id "
	    "WHERE d.endpoint_id = ?1 AND d.acked_at IS NULL AND d.id > ?2 "
	    "ORDER BY d.id LIMIT " "64";
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__Delivery dv = PARLEY__DELIVERY__INIT;
	sqlite3_stmt *st;
	int pushed = 0, awaited = 0, got, stop = 0, sent, rc = SQLITE_DONE, end;

	/* Inside a transaction the store shows what is not committed yet (a
	 * release the commit may still lose), and with the record in
	 * PostgreSQL what is committed here may not be there yet: push only
	 * after it.  A drained output can call this between a request and
	 * the turn's commit. */
	if (!store_settled(d->st)) {
		s->want = 1;
		return 0;
	}
	s->want = 0;
	do {
		st = store_stmt(d->st, sql);
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, s->endpoint_id);
		sqlite3_bind_int64(st, 2, (int64_t)s->last_pushed);
		/* Settled with releases queued: their commit is done and
		 * its replies are going out (a Fetch answered in that turn
		 * pushes here, before delivery_after_commit). */
		sqlite3_bind_int64(st, 3, d->fresh_hi ? d->fresh_lo : d->rel_lo);
		sqlite3_bind_int64(st, 4, d->fresh_hi ? d->fresh_hi : d->rel_hi);
		got = 0;
		while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			got++;
			dv.delivery_id = (uint64_t)sqlite3_column_int64(st, 0);
			dv.created_at = sqlite3_column_int64(st, 1);
			dv.payload.data = (uint8_t *)sqlite3_column_blob(st, 2);
			dv.payload.len = (size_t)sqlite3_column_bytes(st, 2);
			f.body_case = PARLEY__FRAME__BODY_DELIVERY;
			f.delivery = &dv;
			sent = s->push(s->ctx, &f);
			if (sent < 0) {
				stop = 1;	/* resumes on the drained callback */
				break;
			}
			/* Sent, or passed over (1): either way the next one. */
			s->last_pushed = dv.delivery_id;
			pushed += sent == 0;
			/* Only the bundles of a release just committed,
			 * pushed right after its commit, are worth a wait: how
			 * long the commit waits is seen by every party whose
			 * replies it carries, so whether another party is
			 * online, fetches or acks anything else (a notice
			 * before a release, a bundle it missed, on a later
			 * connection) must not show in it. */
			if (sent == 0 && sqlite3_column_int(st, 3)) {
				if (awaited++ == 0)
					await_window(d, s);
				s->awaiting++;
				d->awaiting++;
			}
		}
		/* Stopped at a row (no room) or at the end; else a failure. */
		end = store_rows_end(d->st, st, rc, "the deliveries to push");
		if (end != 0)
			return -1;
	} while (!stop && got == PUSH_BATCH);
	if (awaited > 0)
		d->pushed_ns = d->now_ns();
	return pushed;
}

int
delivery_unsendable(struct delivery *d, int64_t endpoint_id, uint64_t id)
{
	size_t i, n = d->nunsendable < DELIVERY_UNSENDABLE_MAX ? d->nunsendable :
	    DELIVERY_UNSENDABLE_MAX;

	for (i = 0; i < n; i++)
		if (d->unsendable[i].endpoint == endpoint_id && d->unsendable[i].id == id)
			return 0;
	i = d->nunsendable++ % DELIVERY_UNSENDABLE_MAX;
	d->unsendable[i].endpoint = endpoint_id;
	d->unsendable[i].id = id;
	return 1;
}

void
delivery_flush(struct delivery *d)
{
	struct sink *s, *next;

	for (s = d->sinks; s != NULL; s = next) {
		next = s->next;
		if (s->want)
			delivery_push(d, s);
	}
}

int
delivery_ack(struct delivery *d, int64_t endpoint_id, const char *party,
    const uint64_t *ids, size_t n, char *err, size_t errlen)
{
	static const char chk[] =
	    "SELECT acked_at IS NULL FROM delivery WHERE id = ? AND endpoint_id = ?";
	size_t mark = d->nacked, i;
	sqlite3_stmt *st;
	struct acked *a;
	int64_t now = clock_now(d->clk);
	int rc, pending, end;

	if (d->acked_cap - d->nacked < n) {
		size_t ncap = d->acked_cap ? d->acked_cap : 64;
		while (ncap - d->nacked < n)
			ncap *= 2;
		a = realloc(d->acked, ncap * sizeof(*a));
		if (a == NULL) {
			snprintf(err, errlen, "out of memory");
			return -2;
		}
		d->acked = a;
		d->acked_cap = ncap;
	}
	st = store_stmt(d->st, chk);
	if (st == NULL)
		goto storefail;
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, (int64_t)ids[i]);
		sqlite3_bind_int64(st, 2, endpoint_id);
		rc = sqlite3_step(st);
		pending = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
		end = store_rows_end(d->st, st, rc, "a delivery acked");
		if (end != 0)
			goto storefail;
		if (rc == SQLITE_DONE) {
			d->nacked = mark;	/* none of them */
			snprintf(err, errlen, "delivery %llu was never sent to this endpoint",
			    (unsigned long long)ids[i]);
			return -1;
		}
		if (!pending)
			continue;	/* a repeated ack is harmless */
		a = &d->acked[d->nacked++];
		a->endpoint = endpoint_id;
		a->id = (int64_t)ids[i];
		a->at = now;
		snprintf(a->party, sizeof(a->party), "%s", party);
	}
	return (int)(d->nacked - mark);
storefail:
	d->nacked = mark;
	snprintf(err, errlen, "store failure: %s", store_errmsg(d->st));
	return -2;
}

/* Entries stay one line of reasonable length: at most this many deliveries
 * each (an endpoint acking more in one turn gets several entries). */
#define RECEIPT_MAX 64

static int
by_endpoint(const void *x, const void *y)
{
	const struct acked *a = x, *b = y;

	if (a->endpoint != b->endpoint)
		return a->endpoint < b->endpoint ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return a->at < b->at ? -1 : a->at > b->at;	/* the first ack's time stays */
}

/* One entry for the n acks at a (one endpoint's), and the deliveries acked
 * with their receipts: each row is written once. */
static int
record_endpoint(struct delivery *d, struct journal *j, const struct acked *a, size_t n)
{
	static const char upd[] =
	    "UPDATE delivery SET acked_at = ?, receipt = ? WHERE id = ? AND acked_at IS NULL";
	char note[48 + RECEIPT_MAX * 21];
	sqlite3_stmt *st;
	size_t i, off;
	int64_t seq;
	int rc;

	off = (size_t)snprintf(note, sizeof(note), "endpoint %lld: deliver%s",
	    (long long)a->endpoint, n == 1 ? "y" : "ies");
	for (i = 0; i < n && off < sizeof(note); i++)
		off += (size_t)snprintf(note + off, sizeof(note) - off, " %lld", (long long)a[i].id);
	seq = journal_size(j);
	if (seq < 0)
		return -1;
	rc = journal_append(j, "ack", 0, a->party, NULL, 0, note);
	if (rc != 0)
		return -1;
	for (i = 0; i < n; i++) {
		st = store_stmt(d->st, upd);
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, a[i].at);
		sqlite3_bind_int64(st, 2, seq);
		sqlite3_bind_int64(st, 3, a[i].id);
		rc = store_step_done(d->st, st);
		if (rc != 0)
			return -1;
		if (sqlite3_changes(store_db(d->st)) != 1) {
			log_warnx("delivery: delivery %lld was no longer pending at the commit",
			    (long long)a[i].id);
			return -1;
		}
	}
	return 0;
}

int
delivery_record_acks(struct delivery *d, struct journal *j)
{
	size_t i, n;
	int rc = 0;

	if (d->nacked == 0)
		return 0;	/* (and no list to sort yet) */
	qsort(d->acked, d->nacked, sizeof(*d->acked), by_endpoint);
	/* A delivery acked twice in the transaction is listed once. */
	for (i = n = 1; i < d->nacked; i++)
		if (d->acked[i].id != d->acked[n - 1].id ||
		    d->acked[i].endpoint != d->acked[n - 1].endpoint)
			d->acked[n++] = d->acked[i];
	d->nacked = n;
	for (i = 0; rc == 0 && i < d->nacked; i += n) {
		for (n = 1; i + n < d->nacked && n < RECEIPT_MAX &&
		    d->acked[i + n].endpoint == d->acked[i].endpoint; n++)
			;
		rc = record_endpoint(d, j, &d->acked[i], n);
	}
	/* Recorded, or the commit fails and takes the acks with it. */
	d->nacked = 0;
	return rc;
}

void
delivery_after_commit(struct delivery *d)
{
	d->fresh_lo = d->rel_lo;
	d->fresh_hi = d->rel_hi;
	d->rel_lo = d->rel_hi = 0;
	delivery_flush(d);
	d->fresh_lo = d->fresh_hi = 0;
}

void
delivery_rolled_back(struct delivery *d)
{
	d->nacked = 0;
	d->rel_lo = d->rel_hi = 0;
}

int
delivery_pending(struct delivery *d, int64_t *count, int64_t *oldest)
{
	static const char sql[] =
	    "SELECT count(*), min(m.created_at) FROM delivery d"
	    " JOIN message m ON m.id = d.message_id"
	    " JOIN endpoint e ON e.id = d.endpoint_id"
	    " WHERE d.acked_at IS NULL AND e.removed_at IS NULL";
	sqlite3_stmt *st = store_stmt(d->st, sql);
	int step, rc;

	if (st == NULL)
		return -1;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		*oldest = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 1);
	}
	rc = store_rows_end(d->st, st, step, "the pending deliveries");
	/* An aggregate always has its one row: none is a failure too. */
	if (rc != 0 || step != SQLITE_ROW)
		return -1;
	return 0;
}
