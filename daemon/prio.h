/* The event loop's priorities (libevent runs only the most urgent queue
 * that has active events, then polls again).  main.c sets up PRIO_COUNT
 * queues; an event left at libevent's default gets PRIO_COUNT / 2, which is
 * PRIO_NORMAL.
 *
 * - PRIO_URGENT: the turn's commit deadline.  Whatever else is pending, a
 *   transaction is committed (and its replies sent) within TURN_MAX_DELAY.
 * - PRIO_NORMAL: authenticated work: party connections once TLS is done,
 *   the admin and status sockets, timers.
 * - PRIO_IDLE: the turn's idle commit, once the normal work of a loop turn
 *   is done (one fsync for all of it).
 * - PRIO_UNAUTH: what an outsider can start: accepting party connections
 *   and their TLS handshakes.  It runs only when nothing above is active,
 *   so a flood of handshakes delays authenticated work by at most one
 *   handshake step (and ACCEPT_BATCH accepts) at a time.
 * - PRIO_BACKGROUND, the same queue: work that goes on at every loop
 *   iteration until it is done, a step at a time (the record's tree read
 *   after start, the scrub's blocks after a tick's first), so that it
 *   waits for everything else and nothing waits for more than a step of
 *   it. */
#ifndef PARLEY_PRIO_H
#define PARLEY_PRIO_H

#define PRIO_URGENT	0
#define PRIO_NORMAL	2
#define PRIO_IDLE	3
#define PRIO_UNAUTH	4
#define PRIO_BACKGROUND	PRIO_UNAUTH
#define PRIO_COUNT	5

#endif
