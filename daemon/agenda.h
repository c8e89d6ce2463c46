/* parleyctl agenda: what needs the mediator now, in one view, read from
 * the store: signatures awaited (by party and role, with the deadline),
 * amendments awaiting a decision or answers, incident clocks, overdue
 * measures (the parties' and the mediator's own), open conditions, duty
 * alerts and pending requests to add an observer.  It changes nothing. */
#ifndef PARLEY_AGENDA_H
#define PARLEY_AGENDA_H

#include "agreement.h"
#include "out.h"

int agenda_show(struct ag_ctx *e, struct out *o);

#endif
