#include <stdlib.h>
#include <time.h>

#include "clock.h"

struct clock {
	int is_virtual;
	int64_t now;
};

struct clock *
clock_new(int is_virtual, int64_t start)
{
	struct clock *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->is_virtual = is_virtual;
	c->now = start;
	return c;
}

void
clock_free(struct clock *c)
{
	free(c);
}

int64_t
clock_now(const struct clock *c)
{
	struct timespec ts;

	if (c->is_virtual)
		return c->now;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

uint64_t
clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
clock_is_virtual(const struct clock *c)
{
	return c->is_virtual;
}

int
clock_set(struct clock *c, int64_t t)
{
	if (!c->is_virtual || t < c->now)
		return -1;
	c->now = t;
	return 0;
}

int
clock_reset(struct clock *c, int64_t t)
{
	if (!c->is_virtual)
		return -1;
	c->now = t;
	return 0;
}
