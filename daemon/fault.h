/* Test-only fault injection, armed only in a test configuration ([testing]
 * virtual_clock = yes) by environment variables.
 *
 * Crash points: crash the daemon at a named commit point, as a kill -9
 * would, to prove that nothing acknowledged is lost and nothing is done
 * twice.
 *     PARLEYD_CRASH_AT=NAME[:N]     crash at the Nth time NAME is reached (1)
 * Names: copy-accepted, amendment-adopted, release-written, delivery-acked,
 * timer-fired, before-commit, after-commit, after-replies,
 * signature-check-out (a copy's check was handed to a worker).
 *     PARLEYD_STOP_AT=NAME[:N]      the same, but SIGTERM: an orderly stop
 *                                   requested at that moment (ignored if
 *                                   PARLEYD_CRASH_AT is set)
 *
 * Allocation failure: make one allocation of a request fail, to prove that
 * the request then fails with an error (or its connection is dropped), that
 * nothing is kept or acked that was not committed, and that the daemon
 * serves on.  Needs the LD_PRELOAD shim tests/tools/failalloc.c
 * (build/libfailalloc.so); without it the variable only logs a warning.
 *     PARLEYD_FAIL_ALLOC=N[+][/STEP][:VERB]
 * The first request named VERB (a party frame's body name such as sign, ack,
 * fetch, hello, or an admin verb such as "agreement create"; any request if
 * VERB is left out) fails its Nth allocation, the next one its (N+STEP)th
 * (STEP is 1 if left out), and so on: a test walks the allocations of a
 * request by repeating it until it succeeds.  With "+", every allocation
 * from the Nth on fails instead of the Nth only.  A request's allocations are counted from the start of its
 * handling to the end of the loop turn's commit and flush (engine, store,
 * journal checkpoint, COMMIT, replies and delivery pushes), not the decoding
 * of its frame.  Each armed request logs one line:
 *     alloc fault: VERB #N: failed (M allocations)
 *     alloc fault: VERB #N: not reached (M allocations)  */
#ifndef PARLEY_FAULT_H
#define PARLEY_FAULT_H

/* Read the environment; testing: the configuration allows faults. */
void fault_init(int testing);

/* Crash here (SIGKILL to ourselves) if this is the armed point and hit. */
void fault_point(const char *name);

/* A request named verb starts: arm the allocation shim if it matches; 1 if
 * it is armed (until fault_alloc_end). */
int fault_alloc_begin(const char *verb);
/* The loop turn has committed and flushed: disarm and log the outcome. */
void fault_alloc_end(void);

#endif
