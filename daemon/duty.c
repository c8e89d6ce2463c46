#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "duty.h"

#define GAPS 32
#define DAY (24 * 3600)

struct gap {
	int64_t from, to;
};

struct watched {
	int64_t party_id;
	char code[33];
	int online;
	int64_t gap_since;	/* 0 while online */
	int alerted;
	int64_t last_seen;
	struct gap gaps[GAPS];	/* ended gaps, a ring */
	size_t ngaps, next;
};

struct duty {
	struct clock *clk;
	int64_t grace;
	struct watched *w;
	size_t n, cap;
	uint64_t alerts;
};

struct duty *
duty_new(struct clock *clk, int64_t grace)
{
	struct duty *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->clk = clk;
	d->grace = grace;
	return d;
}

void
duty_free(struct duty *d)
{
	if (d == NULL)
		return;
	free(d->w);
	free(d);
}

void
duty_set_grace(struct duty *d, int64_t grace)
{
	d->grace = grace;
}

static struct watched *
find(const struct duty *d, int64_t party_id)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->w[i].party_id == party_id)
			return &d->w[i];
	return NULL;
}

int
duty_watch(struct duty *d, int64_t party_id, const char *code)
{
	struct watched *w;

	if ((w = find(d, party_id)) != NULL) {
		/* The id may be a new party's: one whose registration was
		 * rolled back left its id free. */
		snprintf(w->code, sizeof(w->code), "%s", code);
		return 0;
	}
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		if ((w = realloc(d->w, ncap * sizeof(*w))) == NULL)
			return -1;
		d->w = w;
		d->cap = ncap;
	}
	w = &d->w[d->n++];
	memset(w, 0, sizeof(*w));
	w->party_id = party_id;
	strncpy(w->code, code, sizeof(w->code) - 1);
	w->gap_since = clock_now(d->clk);
	return 0;
}

void
duty_unwatch(struct duty *d, int64_t party_id)
{
	struct watched *w = find(d, party_id);

	if (w == NULL)
		return;
	*w = d->w[--d->n];
}

int
duty_connected(struct duty *d, int64_t party_id)
{
	struct watched *w = find(d, party_id);
	int cleared = 0;

	if (w == NULL)
		return 0;
	if (w->online++ == 0 && w->gap_since != 0) {
		w->gaps[w->next].from = w->gap_since;
		w->gaps[w->next].to = clock_now(d->clk);
		w->next = (w->next + 1) % GAPS;
		if (w->ngaps < GAPS)
			w->ngaps++;
		cleared = w->alerted;
		w->gap_since = 0;
		w->alerted = 0;
	}
	w->last_seen = clock_now(d->clk);
	return cleared;
}

void
duty_disconnected(struct duty *d, int64_t party_id)
{
	struct watched *w = find(d, party_id);

	if (w == NULL || w->online == 0)
		return;
	w->last_seen = clock_now(d->clk);
	if (--w->online == 0)
		w->gap_since = clock_now(d->clk);
}

int
duty_next_due(const struct duty *d, int64_t *due)
{
	size_t i;
	int found = 0;

	for (i = 0; i < d->n; i++) {
		const struct watched *w = &d->w[i];
		if (w->online || w->alerted || w->gap_since == 0)
			continue;
		if (!found || w->gap_since + d->grace < *due)
			*due = w->gap_since + d->grace;
		found = 1;
	}
	return found ? 0 : 1;
}

int
duty_take_due(struct duty *d, int64_t upto, int64_t *party_id, int64_t *gap_since,
    int64_t *due)
{
	struct watched *best = NULL;
	size_t i;

	for (i = 0; i < d->n; i++) {
		struct watched *w = &d->w[i];
		if (w->online || w->alerted || w->gap_since == 0 || w->gap_since + d->grace > upto)
			continue;
		if (best == NULL || w->gap_since < best->gap_since)
			best = w;
	}
	if (best == NULL)
		return 1;
	best->alerted = 1;
	d->alerts++;
	*party_id = best->party_id;
	*gap_since = best->gap_since;
	*due = best->gap_since + d->grace;
	return 0;
}

static int64_t
longest_gap(const struct watched *w, int64_t now)
{
	int64_t best = 0, from, len;
	size_t i;

	for (i = 0; i < w->ngaps; i++) {
		from = w->gaps[i].from > now - DAY ? w->gaps[i].from : now - DAY;
		len = w->gaps[i].to - from;
		if (len > best)
			best = len;
	}
	if (w->gap_since != 0) {
		from = w->gap_since > now - DAY ? w->gap_since : now - DAY;
		if (now - from > best)
			best = now - from;
	}
	return best;
}

void
duty_rebase(struct duty *d, int64_t t)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (d->w[i].gap_since > t)
			d->w[i].gap_since = t;
		if (d->w[i].last_seen > t)
			d->w[i].last_seen = t;
		d->w[i].ngaps = d->w[i].next = 0;
	}
}

size_t
duty_watched(const struct duty *d)
{
	return d->n;
}

size_t
duty_snapshot(const struct duty *d, struct duty_info *out, size_t max)
{
	int64_t now = clock_now(d->clk);
	size_t i;

	for (i = 0; i < d->n && i < max; i++) {
		const struct watched *w = &d->w[i];
		out[i].party_id = w->party_id;
		memcpy(out[i].code, w->code, sizeof(out[i].code));
		out[i].online = w->online;
		out[i].gap_since = w->gap_since;
		out[i].alerted = w->alerted;
		out[i].last_seen = w->online ? now : w->last_seen;
		out[i].longest_gap_24h = longest_gap(w, now);
	}
	return i;
}

size_t
duty_offline(const struct duty *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		n += d->w[i].online == 0;
	return n;
}

uint64_t
duty_alerts(const struct duty *d)
{
	return d->alerts;
}

int
duty_alert_record(struct store *st, int64_t party_id, int64_t gap_since, int64_t alerted_at)
{
	static const char sql[] =
	    "INSERT INTO duty_alert(party_id, gap_since, alerted_at) VALUES(?, ?, ?)";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, party_id);
	sqlite3_bind_int64(s, 2, gap_since);
	sqlite3_bind_int64(s, 3, alerted_at);
	return store_step_done(st, s);
}

int
duty_alert_clear(struct store *st, int64_t party_id, int64_t t)
{
	static const char sql[] =
	    "UPDATE duty_alert SET cleared_at = ? WHERE party_id = ? AND cleared_at IS NULL";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, t);
	sqlite3_bind_int64(s, 2, party_id);
	return store_step_done(st, s);
}

int64_t
duty_alert_open(struct store *st, int64_t party_id)
{
	static const char sql[] =
	    "SELECT count(*) FROM duty_alert WHERE party_id = ? AND cleared_at IS NULL";
	sqlite3_stmt *s = store_stmt(st, sql);
	int64_t n = -1;
	int step;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, party_id);
	if ((step = sqlite3_step(s)) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	return store_rows_end(st, s, step, "open duty alerts") == 0 ? n : -1;
}
