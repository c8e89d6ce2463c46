#include "metrics.h"

static const uint64_t bounds[METRICS_COMMIT_BUCKETS] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 1000000, UINT64_MAX,
};

static const char *const refuse_names[REFUSE_NREASONS] = {
	"not_party", "state", "impersonation", "signer", "stale_revision",
	"bad_signature", "non_identical", "malformed",
};

static const char *const unauth_names[UNAUTH_NREASONS] = {
	"tls", "closed", "handshake_timeout", "unregistered_pin", "rate", "per_source",
	"evicted",
};

uint64_t
metrics_commit_bound(int i)
{
	return i >= 0 && i < METRICS_COMMIT_BUCKETS ? bounds[i] : UINT64_MAX;
}

void
metrics_commit(struct metrics *m, int64_t us, int ok)
{
	int i;

	if (!ok) {
		m->commit_failures++;
		return;
	}
	m->commits++;
	m->commit_count++;
	m->commit_sum_us += (uint64_t)(us < 0 ? 0 : us);
	for (i = 0; i < METRICS_COMMIT_BUCKETS; i++)
		if ((uint64_t)us <= bounds[i])
			m->commit_le[i]++;	/* cumulative, as Prometheus wants */
}

const char *
metrics_refuse_name(enum refuse_reason r)
{
	return (unsigned)r < REFUSE_NREASONS ? refuse_names[r] : "unknown";
}

const char *
metrics_unauth_name(enum unauth_reason r)
{
	return (unsigned)r < UNAUTH_NREASONS ? unauth_names[r] : "unknown";
}
