/* Ed25519 signature checks on worker threads, so that a second core takes
 * the most expensive step of accepting a signed copy.  A check is a pure
 * function of the request's bytes (key, signature, signed payload): the
 * loop thread submits it, a worker verifies, and the verdict comes back on
 * the loop thread through an eventfd, in no particular order.  Nothing here
 * touches the store or any state of the loop. */
#ifndef PARLEY_VERIFY_H
#define PARLEY_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>

struct verify_pool;

/* verdict: 1 the signature verifies, -1 it does not, 2 it could not be
 * checked (out of memory: the caller may check again itself), 0 the pool
 * was freed before the check ran (the caller only releases what it holds). */
typedef void (*verify_done_fn)(void *ctx, int verdict);

/* How many workers suit this process: one fewer than the CPUs it may run
 * on (the loop keeps one), at most 4; 0 on one CPU (check on the loop). */
int verify_threads_auto(void);

/* threads >= 1.  NULL on failure. */
struct verify_pool *verify_pool_new(struct event_base *base, int threads);
/* Stop and join the workers; checks not yet reported get verdict 0. */
void verify_pool_free(struct verify_pool *p);

/* Check sig by key over msg (taken: freed by the pool).  done(ctx, verdict)
 * runs later on the loop thread, never from inside this call.  -1 (msg
 * freed, done never called) if the check cannot be queued. */
int verify_submit(struct verify_pool *p, const uint8_t key[32], const uint8_t sig[64],
    uint8_t *msg, size_t len, verify_done_fn done, void *ctx);

/* Checks submitted and not yet reported. */
size_t verify_pending(const struct verify_pool *p);
/* idle(arg) runs on the loop thread each time the last pending check has
 * been reported (after its done). */
void verify_set_idle(struct verify_pool *p, void (*idle)(void *), void *arg);

#endif
