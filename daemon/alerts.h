/* Alerts outside the terminal: [alerts] exec names a program that is run
 * once for each event of the record (the entries parleyctl watch shows),
 * with the event as one JSON object on its standard input.  Exit status 0
 * means the event was told; anything else (or no exit within a minute)
 * is a failure, logged, counted in /metrics, and retried after [alerts]
 * retry, then twice as long each time up to 10 minutes; the events after it wait, so
 * each is told at least once and in order.  The next event to tell is
 * kept in the store: a restart repeats at most the one being told.  One
 * program runs at a time and the event loop never waits for it. */
#ifndef PARLEY_ALERTS_H
#define PARLEY_ALERTS_H

#include <stdint.h>
#include <event2/event.h>

#include "journal.h"
#include "metrics.h"
#include "store.h"
#include "turn.h"

struct alerts;

struct alerts *alerts_new(struct event_base *base, struct store *st, struct turn *turn,
    struct journal *j, struct metrics *m);
void alerts_free(struct alerts *a);
/* At start and at each reload: program ("" none); backlog: a program new to
 * the store is told the whole record, else only what comes next; retry:
 * seconds after a first failure. */
void alerts_configure(struct alerts *a, const char *program, int backlog, int retry);
/* After a commit: tell the program what the record gained. */
void alerts_kick(struct alerts *a);

#endif
