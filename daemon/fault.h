/* Test-only fault injection: crash the daemon at a named commit point, as a
 * kill -9 would, to prove that nothing acknowledged is lost and nothing is
 * done twice.  Armed only in a test configuration ([testing]
 * virtual_clock = yes) by the environment variable
 *     PARLEYD_CRASH_AT=NAME[:N]     crash at the Nth time NAME is reached (1)
 * Names: copy-accepted, amendment-adopted, release-written, delivery-acked,
 * timer-fired, before-commit, after-commit, after-replies. */
#ifndef PARLEY_FAULT_H
#define PARLEY_FAULT_H

/* Read the environment; testing: the configuration allows faults. */
void fault_init(int testing);

/* Crash here (SIGKILL to ourselves) if this is the armed point and hit. */
void fault_point(const char *name);

#endif
