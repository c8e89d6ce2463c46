/* Counters the status socket exports (Prometheus text and JSON).  Gauges
 * that the store already knows (agreements by state, pending deliveries)
 * are read from it at scrape time instead; these are the events that leave
 * no row behind.  One struct, owned by main, borrowed by every module. */
#ifndef PARLEY_METRICS_H
#define PARLEY_METRICS_H

#include <stdint.h>

/* Why a signed copy was refused (label "reason"). */
enum refuse_reason {
	REFUSE_NOT_PARTY,	/* observer or not a party of the agreement */
	REFUSE_STATE,		/* draft/lapsed/withdrawn/in force... */
	REFUSE_IMPERSONATION,	/* payload names another party */
	REFUSE_SIGNER,		/* key not registered for the party */
	REFUSE_STALE,		/* superseded revision */
	REFUSE_BAD_SIGNATURE,
	REFUSE_NON_IDENTICAL,	/* stored as evidence, never counted */
	REFUSE_MALFORMED,
	REFUSE_NREASONS
};

/* Why a connection that never authenticated failed (label "reason" of
 * parley_unauthenticated_failures_total).  Logged as a summary, once a
 * minute at most (gate.h), never one line each. */
enum unauth_reason {
	UNAUTH_TLS,		/* the TLS handshake failed (no certificate,
				 * TLS 1.2, no common group, garbage) */
	UNAUTH_CLOSED,		/* the peer left during the handshake */
	UNAUTH_TIMEOUT,		/* handshake_timeout: TLS and Hello not done */
	UNAUTH_UNREGISTERED,	/* a certificate whose pin is no endpoint's */
	UNAUTH_RATE,		/* over handshake_rate for its source */
	UNAUTH_PER_SOURCE,	/* over max_per_source for its source */
	UNAUTH_EVICTED,		/* the oldest handshake, shed at max_handshakes */
	UNAUTH_NREASONS
};

#define METRICS_COMMIT_BUCKETS 12

struct metrics {
	uint64_t copies_accepted;
	uint64_t copies_refused[REFUSE_NREASONS];
	uint64_t releases;
	uint64_t acks;			/* deliveries acked */
	uint64_t ack_frames;		/* Ack frames that named them */
	uint64_t tls_accepted;		/* TCP connections accepted */
	uint64_t tls_refused;		/* unregistered pin, version, ... */
	uint64_t frames_bad;		/* malformed or oversized frames */
	uint64_t unauth_failures[UNAUTH_NREASONS];
	uint64_t commits;
	uint64_t commit_failures;
	/* commit latency histogram, upper bounds in microseconds */
	uint64_t commit_le[METRICS_COMMIT_BUCKETS];
	uint64_t commit_count;
	uint64_t commit_sum_us;
	uint64_t alerts_told;		/* events the alert program took */
	uint64_t alerts_failed;		/* its runs that failed */
};

/* Upper bound of bucket i in microseconds (last one is +Inf: UINT64_MAX). */
uint64_t metrics_commit_bound(int i);
void metrics_commit(struct metrics *m, int64_t us, int ok);
const char *metrics_refuse_name(enum refuse_reason r);
/* "tls", "closed", "handshake_timeout", "unregistered_pin", "rate",
 * "per_source", "evicted". */
const char *metrics_unauth_name(enum unauth_reason r);

#endif
