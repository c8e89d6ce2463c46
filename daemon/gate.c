#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "gate.h"
#include "log.h"

#define NS		1000000000ull
#define GATE_BUCKETS	4096		/* hash chains */
#define GATE_SWEEP_MIN	1024		/* entries before the first sweep */
#define SUMMARY_SECS	60

/* One source.  credit_ns is the token bucket in time: a connection costs
 * NS / handshake_rate of it, and it refills with elapsed time up to NS (so
 * a burst of one second's worth). */
struct entry {
	struct entry *next;
	struct gate_source key;
	uint32_t conns;
	uint32_t handshakes;
	uint64_t credit_ns;
	uint64_t at_ns;
};

struct gate {
	struct metrics *m;
	struct event *summary_ev;
	struct entry *chains[GATE_BUCKETS];
	size_t nentries;
	size_t sweep_at;		/* sweep when nentries reaches it */
	uint64_t seed;
	int64_t max_per_source, rate, max_handshakes;
	size_t handshakes;
	uint64_t (*now_ns)(void);
	/* This minute's failures: whole-logged reasons and the counts left. */
	int logged[UNAUTH_NREASONS];
	uint64_t unlogged[UNAUTH_NREASONS];
	int minute_open;		/* the summary timer runs */
};

static void
summary_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	gate_summarise(arg);
}

struct gate *
gate_new(struct event_base *base, struct metrics *m)
{
	struct gate *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->m = m;
	g->now_ns = clock_mono_ns;
	g->sweep_at = GATE_SWEEP_MIN;
	/* A keyed hash: sources are chosen by the attacker (a /64 holds many
	 * of them), so the chains must not be predictable. */
	if (getentropy(&g->seed, sizeof(g->seed)) != 0)
		g->seed = clock_mono_ns() ^ (uint64_t)getpid() << 32;
	if (base != NULL && (g->summary_ev = evtimer_new(base, summary_cb, g)) == NULL) {
		free(g);
		return NULL;
	}
	return g;
}

void
gate_free(struct gate *g)
{
	struct entry *e, *next;
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < GATE_BUCKETS; i++)
		for (e = g->chains[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	if (g->summary_ev != NULL)
		event_free(g->summary_ev);
	free(g);
}

void
gate_set_limits(struct gate *g, int64_t max_per_source, int64_t handshake_rate,
    int64_t max_handshakes)
{
	g->max_per_source = max_per_source;
	g->rate = handshake_rate;
	g->max_handshakes = max_handshakes;
}

void
gate_set_clock(struct gate *g, uint64_t (*now_ns)(void))
{
	g->now_ns = now_ns;
}

size_t
gate_sources(const struct gate *g)
{
	return g->nentries;
}

static void
source_of(const struct sockaddr *sa, struct gate_source *src)
{
	memset(src->addr, 0, sizeof(src->addr));
	if (sa->sa_family == AF_INET6) {
		/* The /64: the rest is the holder's to choose. */
		memcpy(src->addr, ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr,
		    8);
		/* A v4-mapped address counts as its IPv4 address. */
		if (IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr))
			memcpy(src->addr, ((const struct sockaddr_in6 *)(const void *)sa)->
			    sin6_addr.s6_addr, 16);
	} else if (sa->sa_family == AF_INET) {
		src->addr[10] = src->addr[11] = 0xff;
		memcpy(src->addr + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	}
}

static size_t
chain_of(const struct gate *g, const struct gate_source *src)
{
	uint64_t h = 0xcbf29ce484222325ull ^ g->seed;
	size_t i;

	for (i = 0; i < sizeof(src->addr); i++) {
		h ^= src->addr[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull ^ g->seed;
	h ^= h >> 32;
	return (size_t)(h % GATE_BUCKETS);
}

static struct entry *
find(struct gate *g, const struct gate_source *src, struct entry ***link)
{
	struct entry **p = &g->chains[chain_of(g, src)];

	for (; *p != NULL; p = &(*p)->next)
		if (memcmp((*p)->key.addr, src->addr, sizeof(src->addr)) == 0)
			break;
	*link = p;
	return *p;
}

/* Bring e's credit up to now. */
static void
refill(const struct gate *g, struct entry *e, uint64_t now)
{
	uint64_t dt = now > e->at_ns ? now - e->at_ns : 0;

	e->credit_ns = dt >= NS - e->credit_ns ? NS : e->credit_ns + dt;
	e->at_ns = now;
	(void)g;
}

/* Forget the sources that hold no connection and whose bucket is full
 * again: they are as if never seen. */
static void
sweep(struct gate *g)
{
	uint64_t now = g->now_ns();
	struct entry **p, *e;
	size_t i;

	for (i = 0; i < GATE_BUCKETS; i++)
		for (p = &g->chains[i]; (e = *p) != NULL;) {
			refill(g, e, now);
			if (e->conns == 0 && e->handshakes == 0 && e->credit_ns == NS) {
				*p = e->next;
				free(e);
				g->nentries--;
			} else {
				p = &e->next;
			}
		}
	g->sweep_at = g->nentries * 2 > GATE_SWEEP_MIN ? g->nentries * 2 : GATE_SWEEP_MIN;
}

static void
format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	struct gate_source s;

	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	source_of(sa, &s);
	if (memcmp(s.addr, mapped, sizeof(mapped)) == 0)
		snprintf(buf, len, "%u.%u.%u.%u", s.addr[12], s.addr[13], s.addr[14], s.addr[15]);
	else
		snprintf(buf, len, "%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", s.addr[0],
		    s.addr[1], s.addr[2], s.addr[3], s.addr[4], s.addr[5], s.addr[6], s.addr[7]);
}

int
gate_admit(struct gate *g, const struct sockaddr *sa, struct gate_source *src)
{
	struct entry *e, **link;
	uint64_t now, cost;
	char who[64], why[160];

	source_of(sa, src);
	src->counted = 0;
	if (g->max_per_source == 0 && g->rate == 0)
		return 0;	/* untracked: gate_leave leaves it */
	if (g->nentries >= g->sweep_at)
		sweep(g);
	now = g->now_ns();
	if ((e = find(g, src, &link)) == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			return 0;	/* admitted untracked rather than refused */
		e->key = *src;
		e->credit_ns = NS;
		e->at_ns = now;
		*link = e;
		g->nentries++;
	}
	if (g->max_per_source > 0 && e->conns >= (uint64_t)g->max_per_source) {
		format_addr(sa, who, sizeof(who));
		snprintf(why, sizeof(why), "%s already has %u connections (max_per_source); closed",
		    who, e->conns);
		gate_fail(g, UNAUTH_PER_SOURCE, who, why);
		return UNAUTH_PER_SOURCE;
	}
	if (g->rate > 0) {
		refill(g, e, now);
		cost = NS / (uint64_t)g->rate;
		if (e->credit_ns < cost) {
			format_addr(sa, who, sizeof(who));
			snprintf(why, sizeof(why), "more than %lld new connections a second from %s "
			    "(handshake_rate); closed", (long long)g->rate, who);
			gate_fail(g, UNAUTH_RATE, who, why);
			return UNAUTH_RATE;
		}
		e->credit_ns -= cost;
	}
	e->conns++;
	src->counted = 1;
	return 0;
}

void
gate_leave(struct gate *g, const struct gate_source *src)
{
	struct entry *e, **link;

	/* One admitted while the limits were off (a reload turned them on)
	 * was never counted: it must not take another's place. */
	if (src->counted && (e = find(g, src, &link)) != NULL && e->conns > 0)
		e->conns--;
}

void
gate_handshake_begin(struct gate *g, const struct gate_source *src)
{
	struct entry *e, **link;

	g->handshakes++;
	if (src->counted && (e = find(g, src, &link)) != NULL)
		e->handshakes++;
}

void
gate_handshake_end(struct gate *g, const struct gate_source *src)
{
	struct entry *e, **link;

	if (g->handshakes > 0)
		g->handshakes--;
	if (src->counted && (e = find(g, src, &link)) != NULL && e->handshakes > 0)
		e->handshakes--;
}

unsigned
gate_source_handshakes(struct gate *g, const struct gate_source *src)
{
	struct entry *e, **link;

	if (!src->counted || (e = find(g, src, &link)) == NULL)
		return 0;
	return e->handshakes;
}

int
gate_handshakes_full(const struct gate *g)
{
	return g->max_handshakes > 0 && g->handshakes >= (uint64_t)g->max_handshakes;
}

void
gate_fail(struct gate *g, enum unauth_reason r, const char *peer, const char *detail)
{
	struct timeval tv = { SUMMARY_SECS, 0 };

	if ((unsigned)r >= UNAUTH_NREASONS)
		return;
	g->m->unauth_failures[r]++;
	if (!g->minute_open) {
		g->minute_open = 1;
		if (g->summary_ev != NULL)
			evtimer_add(g->summary_ev, &tv);
	}
	if (g->logged[r]) {
		g->unlogged[r]++;
		return;
	}
	g->logged[r] = 1;
	if (r == UNAUTH_PER_SOURCE || r == UNAUTH_RATE)
		log_warnx("%s (more such failures of unauthenticated connections are summed up "
		    "once a minute)", detail);
	else
		log_info("%s: %s (more such failures of unauthenticated connections are summed "
		    "up once a minute)", peer, detail);
}

void
gate_summarise(struct gate *g)
{
	char buf[512];
	size_t used = 0;
	uint64_t total = 0;
	int i;

	for (i = 0; i < UNAUTH_NREASONS; i++) {
		if (g->unlogged[i] > 0 && used < sizeof(buf))
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s %llu",
			    total > 0 ? ", " : "", metrics_unauth_name(i),
			    (unsigned long long)g->unlogged[i]);
		total += g->unlogged[i];
		g->unlogged[i] = 0;
		g->logged[i] = 0;
	}
	g->minute_open = 0;
	if (total > 0)
		log_warnx("unauthenticated connections: %llu more failures in the last minute "
		    "(%s); parley_unauthenticated_failures_total in /metrics counts them all",
		    (unsigned long long)total, buf);
}
