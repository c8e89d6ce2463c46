/* Admission of party connections before any TLS work, and the one account
 * of what unauthenticated connections cost.
 *
 * - Per source address (an IPv4 address, or an IPv6 address's /64, since
 *   one holder of a /64 has all of it): connections open at once
 *   (max_per_source) and new connections a second (handshake_rate, a token
 *   bucket holding up to one second's worth).  A connection over either is
 *   closed by the caller before it costs a handshake.
 * - Handshakes in progress at once (max_handshakes): the caller pauses
 *   accepting while gate_handshakes_full().
 * - Failures of connections that never authenticated (TLS errors, peers
 *   leaving mid-handshake, handshake timeouts, unregistered pins, the two
 *   refusals above) are counted by reason in struct metrics and logged as a
 *   summary: the first failure of each reason in a minute is logged whole
 *   (so a mediator setting up an endpoint sees why it failed), the rest
 *   only as counts in one line at the end of that minute.  An outsider can
 *   thus make parleyd write at most about seven lines a minute.
 *
 * Time is the monotonic clock (gate_set_clock for tests); the summary runs
 * on a libevent timer.  Zero limits mean none. */
#ifndef PARLEY_GATE_H
#define PARLEY_GATE_H

#include <stdint.h>
#include <sys/socket.h>
#include <event2/event.h>

#include "metrics.h"

struct gate;

/* A source, as the gate counts it: kept by the connection it admitted and
 * handed back to gate_leave. */
struct gate_source {
	uint8_t addr[16];	/* IPv4 mapped into IPv6; IPv6 cut to /64 */
	int counted;		/* counted against its source (gate_leave undoes it) */
};

/* base may be NULL (tests): failures are then summarised only when
 * gate_summarise is called. */
struct gate *gate_new(struct event_base *base, struct metrics *m);
void gate_free(struct gate *g);

/* Apply the limits (at start and on reload; connections already admitted
 * stay). */
void gate_set_limits(struct gate *g, int64_t max_per_source, int64_t handshake_rate,
    int64_t max_handshakes);

/* A new connection from sa.  0: admitted, *src filled, counted against its
 * source until gate_leave(src).  Otherwise the reason it is refused
 * (UNAUTH_PER_SOURCE or UNAUTH_RATE), already counted as a failure: the
 * caller closes it. */
int gate_admit(struct gate *g, const struct sockaddr *sa, struct gate_source *src);
void gate_leave(struct gate *g, const struct gate_source *src);

/* Handshakes in progress, in all and per source: begin when accepted, end
 * when TLS is done or the connection is gone, whichever comes first (once
 * per begin).  When they are full the caller sheds one (UNAUTH_EVICTED)
 * rather than stop accepting, a paused listener letting silent connections
 * fill the kernel's backlog, where a party's SYN would wait behind them: the
 * oldest of those of the source with the most handshakes in progress
 * (gate_source_handshakes), so that a flood from a few addresses sheds its
 * own, not a party's. */
void gate_handshake_begin(struct gate *g, const struct gate_source *src);
void gate_handshake_end(struct gate *g, const struct gate_source *src);
int gate_handshakes_full(const struct gate *g);
/* Handshakes in progress from src's source (0 when sources are not
 * tracked: both per-source limits off). */
unsigned gate_source_handshakes(struct gate *g, const struct gate_source *src);

/* An unauthenticated connection failed: counted, and logged as above.
 * peer names it ("ADDR:PORT"), detail says what happened. */
void gate_fail(struct gate *g, enum unauth_reason r, const char *peer, const char *detail);

/* Log the summary of what was left unlogged, if anything, and start a new
 * minute (the timer calls this; so do tests). */
void gate_summarise(struct gate *g);

/* Tests: the monotonic clock in nanoseconds; sources tracked. */
void gate_set_clock(struct gate *g, uint64_t (*now_ns)(void));
size_t gate_sources(const struct gate *g);

#endif
