/* A party request being answered, and the one way to answer it.  A handler
 * of a party request (engine, timeline, incident, mandate, record) queues
 * exactly one answer through req_reply, req_ok or req_refuse and returns
 * what the request's savepoint becomes: REQ_KEEP its changes, or
 * REQ_ROLLBACK them.  The answers go out only after the turn's commit
 * (turn.h).  The handlers name no connection: reply_to is the session's
 * handle, given back to the turn as it is. */
#ifndef PARLEY_REQ_H
#define PARLEY_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "parley.pb-c.h"
#include "registry.h"

struct turn;

/* How a request ends: the value turn_request_end takes. */
enum req_end {
	REQ_ROLLBACK = 0,
	REQ_KEEP = 1,
};

struct req {
	struct turn *turn;
	void *reply_to;		/* opaque: the connection the answer goes to */
	uint64_t id;
	const struct ident *who;
	/* A SignRequest's signature already checked (on a worker): 1 good,
	 * -1 bad; anything else: check it here. */
	int sig_verdict;
};

/* Answer with f (its id set to the request's). */
void req_reply(const struct req *r, Parley__Frame *f);
/* Answer with Ok (id: what the request created, or 0): REQ_KEEP. */
enum req_end req_ok(const struct req *r, uint64_t id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Answer with an Error of code: REQ_ROLLBACK.  A handler that must keep
 * what it wrote although it refuses (evidence of a refused copy) says so
 * by returning REQ_KEEP after it. */
enum req_end req_refuse(const struct req *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Whether a warning about this request may be logged (the connection's log
 * budget, conn.h). */
int req_log_ok(const struct req *r);
/* How many bytes one answer to this request may take. */
size_t req_max_output(const struct req *r);

#endif
