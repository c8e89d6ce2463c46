/* Duty watch: each party should have an endpoint online at all times
 * (February 1995: "each side keeps two devices with someone on duty around
 * the clock").  Who is connected is live state, kept here in memory; a
 * party with no endpoint online for longer than the grace raises one alert,
 * cleared when an endpoint returns.  The alerts' record, the duty_alert
 * table, is this module's too (duty_alert_*): the caller runs those inside
 * its store transaction.
 * After a restart every watched party starts a gap at the start time. */
#ifndef PARLEY_DUTY_H
#define PARLEY_DUTY_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "store.h"

struct duty;

struct duty_info {
	int64_t party_id;
	char code[33];
	int online;			/* endpoints connected now */
	int64_t gap_since;		/* 0 while online */
	int alerted;			/* the current gap raised its alert */
	int64_t last_seen;		/* last moment an endpoint was online (0: never) */
	int64_t longest_gap_24h;	/* seconds without any endpoint, last 24 h */
};

struct duty *duty_new(struct clock *clk, int64_t grace);
void duty_free(struct duty *d);
void duty_set_grace(struct duty *d, int64_t grace);

/* Watch a party (signing parties only); idempotent. */
int duty_watch(struct duty *d, int64_t party_id, const char *code);

/* Stop watching a party (it is not in the store: its registration was
 * rolled back after the watch began). */
void duty_unwatch(struct duty *d, int64_t party_id);

/* An endpoint of party came or went.  duty_connected returns 1 when this
 * ends a gap that had raised an alert (the caller records it cleared). */
int duty_connected(struct duty *d, int64_t party_id);
void duty_disconnected(struct duty *d, int64_t party_id);

/* The earliest moment a gap's grace runs out: 0 with *due, 1 if none. */
int duty_next_due(const struct duty *d, int64_t *due);
/* Take the earliest gap whose grace ran out by upto and mark it alerted:
 * 0 with its party and start, 1 if none. */
int duty_take_due(struct duty *d, int64_t upto, int64_t *party_id, int64_t *gap_since,
    int64_t *due);

/* The virtual clock was put back (a fresh test store): gaps start at t. */
void duty_rebase(struct duty *d, int64_t t);

/* How many parties are watched. */
size_t duty_watched(const struct duty *d);
/* Copy out the picture, one entry per watched party; returns the count. */
size_t duty_snapshot(const struct duty *d, struct duty_info *out, size_t max);
/* Watched parties without an endpoint online now, and alerts raised. */
size_t duty_offline(const struct duty *d);
uint64_t duty_alerts(const struct duty *d);

/* The duty_alert table.  Record that party's gap since gap_since raised an
 * alert at alerted_at; record the open alerts of party cleared at t; count
 * party's open alerts (-1: store failure).  0 done, -1 store failure. */
int duty_alert_record(struct store *st, int64_t party_id, int64_t gap_since,
    int64_t alerted_at);
int duty_alert_clear(struct store *st, int64_t party_id, int64_t t);
int64_t duty_alert_open(struct store *st, int64_t party_id);

#endif
