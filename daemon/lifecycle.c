#include <string.h>

#include "lifecycle.h"

static const char *const state_names[AG_NSTATES] = {
	"draft", "circulating", "released", "in_force", "expired", "lapsed", "withdrawn",
};

static const char *const event_names[EV_NEVENTS] = {
	"circulate", "sign", "withdraw-signature", "amend", "adopt", "release",
	"withdraw", "deadline", "expire", "effect",
};

/* next state, or -1: refused with the state's reason */
static const signed char table[AG_NSTATES][EV_NEVENTS] = {
	/*               circ  sign  wsig  amend adopt rel   wdraw dead  exp   eff */
	[AG_DRAFT] =       { 1,   -1,   -1,   -1,   -1,   -1,   6,    -1,   -1,   -1 },
	[AG_CIRCULATING] = { -1,  1,    1,    1,    1,    2,    6,    5,    -1,   -1 },
	[AG_RELEASED] =    { -1,  -1,   -1,   -1,   -1,   -1,   -1,   -1,   4,    3 },
	[AG_IN_FORCE] =    { -1,  -1,   -1,   -1,   -1,   -1,   -1,   -1,   4,    -1 },
	[AG_EXPIRED] =     { -1,  -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1 },
	[AG_LAPSED] =      { -1,  -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1 },
	[AG_WITHDRAWN] =   { -1,  -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1 },
};
_Static_assert(AG_CIRCULATING == 1 && AG_RELEASED == 2 && AG_IN_FORCE == 3 &&
    AG_EXPIRED == 4 && AG_LAPSED == 5 && AG_WITHDRAWN == 6, "the table's numbers");

static const char *const refusal[AG_NSTATES] = {
	"the agreement is a draft: it has not been circulated",
	"the agreement is already circulating",
	"the agreement is already released; it takes effect at its effective time",
	"the agreement is already released and in force",
	"the agreement has expired",
	"the agreement lapsed: its signing deadline passed",
	"the agreement was withdrawn by the mediator",
};

const char *
lifecycle_state_name(enum ag_state s)
{
	return (unsigned)s < AG_NSTATES ? state_names[s] : "unknown";
}

int
lifecycle_was_released(enum ag_state s)
{
	return s == AG_RELEASED || s == AG_IN_FORCE || s == AG_EXPIRED;
}

const char *
lifecycle_event_name(enum ag_event e)
{
	return (unsigned)e < EV_NEVENTS ? event_names[e] : "unknown";
}

int
lifecycle_state_parse(const char *name, enum ag_state *s)
{
	int i;

	for (i = 0; i < AG_NSTATES; i++)
		if (strcmp(name, state_names[i]) == 0) {
			*s = (enum ag_state)i;
			return 0;
		}
	return -1;
}

int
lifecycle_next(enum ag_state s, enum ag_event ev, enum ag_state *next, const char **why)
{
	if ((unsigned)s >= AG_NSTATES || (unsigned)ev >= EV_NEVENTS) {
		*why = "unknown state or event";
		return -1;
	}
	if (table[s][ev] < 0) {
		/* Circulating refuses only what does not apply while circulating. */
		if (s == AG_CIRCULATING && ev == EV_EXPIRE)
			*why = "the agreement is not in force";
		else if (s == AG_CIRCULATING && ev == EV_EFFECT)
			*why = "the agreement is not released";
		else if (s == AG_IN_FORCE && ev == EV_EFFECT)
			*why = "the agreement is already in force";
		else
			*why = refusal[s];
		return -1;
	}
	*next = (enum ag_state)table[s][ev];
	return 0;
}
