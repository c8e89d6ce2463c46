/* A real, deterministic store failure in the middle of a read, for the unit
 * tests that prove a failure is not taken for "no more rows".  SQLite's
 * trace hook sees one chosen statement start and make its rows, and its
 * progress handler (called as a step returns, too) interrupts that
 * statement as it is about to return row after+1, so that sqlite3_step
 * returns SQLITE_INTERRUPT after `after` rows where it would have returned
 * one more.  Header only: each test includes it once. */
#ifndef PARLEY_TEST_STORE_TRIP_H
#define PARLEY_TEST_STORE_TRIP_H

#include <string.h>
#include <sqlite3.h>

#include "daemon/store.h"

/* Interrupt the statement whose text contains sql once it has returned
 * `after` rows, as it makes the next one. */
struct trip {
	const char *sql;
	int after;
	int on;		/* that statement is the one running */
	int rows;	/* rows it has made, the interrupted one included */
	int tripped;	/* times the progress handler interrupted it */
};

static inline int
trip_trace(unsigned type, void *ctx, void *p, void *x)
{
	struct trip *t = ctx;
	const char *sql;

	(void)x;
	if (type == SQLITE_TRACE_STMT) {
		sql = sqlite3_sql(p);
		t->on = sql != NULL && strstr(sql, t->sql) != NULL;
	} else if (type == SQLITE_TRACE_ROW && t->on) {
		t->rows++;
	}
	return 0;
}

static inline int
trip_progress(void *ctx)
{
	struct trip *t = ctx;

	if (!t->on || t->rows <= t->after)
		return 0;
	t->tripped++;
	return 1;
}

static inline void
trip_arm(struct store *st, struct trip *t, const char *sql, int after)
{
	memset(t, 0, sizeof(*t));
	t->sql = sql;
	t->after = after;
	sqlite3_trace_v2(store_db(st), SQLITE_TRACE_STMT | SQLITE_TRACE_ROW, trip_trace, t);
	sqlite3_progress_handler(store_db(st), 1, trip_progress, t);
}

static inline void
trip_disarm(struct store *st)
{
	sqlite3_progress_handler(store_db(st), 0, NULL, NULL);
	sqlite3_trace_v2(store_db(st), 0, NULL, NULL);
}

#endif
