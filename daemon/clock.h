/* The daemon's one clock.  Every component reads business time here, never
 * time() directly, so that a virtual clock ([testing] virtual_clock = yes)
 * drives deadlines, timers and timestamps in tests.  Times are unix seconds,
 * UTC.  (Network timeouts stay on libevent's monotonic clock: they protect
 * the daemon, not the agreements.) */
#ifndef PARLEY_CLOCK_H
#define PARLEY_CLOCK_H

#include <stdint.h>

struct clock;

/* A real clock, or a virtual one that starts at start and moves only by
 * clock_set().  NULL on allocation failure. */
struct clock *clock_new(int is_virtual, int64_t start);
void clock_free(struct clock *c);

int64_t clock_now(const struct clock *c);
int clock_is_virtual(const struct clock *c);

/* Move a virtual clock to t.  -1 if the clock is real or t is in its past
 * (time never runs backwards: timers already fired stay fired). */
int clock_set(struct clock *c, int64_t t);

/* The monotonic clock in nanoseconds, never virtual: for the daemon's own
 * waits and bounds (how long a commit may wait, a handshake's credit, a
 * lease), not for business time. */
uint64_t clock_mono_ns(void);

/* Put a virtual clock at t, even backwards: only for a store in which
 * nothing time-bound exists yet (the caller checks).  -1 if real. */
int clock_reset(struct clock *c, int64_t t);

#endif
