#include <stdlib.h>

#include "log.h"
#include "ticker.h"
#include "timers.h"

/* Wake at least this often, in case the wall clock jumps. */
#define TICKER_MAX_SLEEP 3600

struct ticker {
	struct event *ev;
	struct turn *turn;
	struct ag_ctx *ag;
	struct clock *clk;
};

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct ticker *tk = arg;
	int n;

	(void)fd;
	(void)what;
	/* The store of record is behind: once it is level, after_commit
	 * rearms the timers and this runs again. */
	if (turn_busy(tk->turn))
		return;
	if (turn_request_begin(tk->turn) != 0) {
		log_warnx("timers: store unavailable; retrying later");
		return;
	}
	n = timers_run(tk->ag, clock_now(tk->clk));
	turn_request_end(tk->turn, n >= 0);
	if (n < 0)
		log_warnx("timers: store failure; they will run again");
	/* the turn's commit calls ticker_rearm */
}

struct ticker *
ticker_new(struct event_base *base, struct turn *t, struct ag_ctx *e, struct clock *clk)
{
	struct ticker *tk = calloc(1, sizeof(*tk));

	if (tk == NULL)
		return NULL;
	tk->turn = t;
	tk->ag = e;
	tk->clk = clk;
	if ((tk->ev = evtimer_new(base, tick, tk)) == NULL) {
		free(tk);
		return NULL;
	}
	return tk;
}

void
ticker_free(struct ticker *tk)
{
	if (tk == NULL)
		return;
	event_free(tk->ev);
	free(tk);
}

void
ticker_rearm(struct ticker *tk)
{
	struct timeval tv = { 0, 0 };
	int64_t due, now;

	if (clock_is_virtual(tk->clk))
		return;
	if (timers_next_due(tk->ag, &due) != 0) {
		event_del(tk->ev);
		return;
	}
	now = clock_now(tk->clk);
	tv.tv_sec = due > now ? (time_t)(due - now) : 0;
	if (tv.tv_sec > TICKER_MAX_SLEEP)
		tv.tv_sec = TICKER_MAX_SLEEP;
	event_add(tk->ev, &tv);
}
