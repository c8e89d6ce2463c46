/* The agreement lifecycle as one table: which event is allowed in which
 * state, what state follows, and why a refused one is refused.  Pure: the
 * engine asks it before every change, and tests walk the whole table. */
#ifndef PARLEY_LIFECYCLE_H
#define PARLEY_LIFECYCLE_H

enum ag_state {
	AG_DRAFT,
	AG_CIRCULATING,
	AG_RELEASED,		/* every copy in; its effective time still ahead */
	AG_IN_FORCE,
	AG_EXPIRED,
	AG_LAPSED,
	AG_WITHDRAWN,
	AG_NSTATES
};

enum ag_event {
	EV_CIRCULATE,		/* mediator sends revision 1 */
	EV_SIGN,		/* a party's copy arrives */
	EV_WITHDRAW_SIGNATURE,	/* a party takes its signature back */
	EV_AMEND,		/* a party proposes a changed text */
	EV_ADOPT,		/* mediator adopts or rejects an amendment */
	EV_RELEASE,		/* every required identical copy is in */
	EV_WITHDRAW,		/* mediator ends the agreement before release */
	EV_DEADLINE,		/* signing deadline passed */
	EV_EXPIRE,		/* validity ran out */
	EV_EFFECT,		/* a released agreement's effective time came */
	EV_NEVENTS
};

const char *lifecycle_state_name(enum ag_state s);
/* Released at some time: released, in force or expired since (every copy
 * is in and the bundle exists). */
int lifecycle_was_released(enum ag_state s);
const char *lifecycle_event_name(enum ag_event e);
/* 0 and *s for a state name; -1 for anything else. */
int lifecycle_state_parse(const char *name, enum ag_state *s);

/* 0 with *next when ev is allowed in s; -1 with a reason ("agreement is
 * lapsed") when it is not. */
int lifecycle_next(enum ag_state s, enum ag_event ev, enum ag_state *next, const char **why);

#endif
