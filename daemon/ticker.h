/* The real clock's side of the timeline: a libevent timer armed for the
 * earliest pending timer row, which runs the due timers in a turn of their
 * own.  With a virtual clock it stays idle: `parleyctl clock` runs timers. */
#ifndef PARLEY_TICKER_H
#define PARLEY_TICKER_H

#include <event2/event.h>

#include "agreement.h"
#include "clock.h"
#include "turn.h"

struct ticker;

struct ticker *ticker_new(struct event_base *base, struct turn *t, struct ag_ctx *e,
    struct clock *clk);
void ticker_free(struct ticker *tk);

/* Re-arm for the earliest pending timer (call after every commit). */
void ticker_rearm(struct ticker *tk);

#endif
