/* Incidents: the February 1995 mechanism that kept the ceasefire alive.  A
 * party reports an incident to the other side (copy to the mediator); the
 * other side answers within the response window or the incident is overdue;
 * the report may be made public at the answer, or after the disclosure
 * embargo; the mediator takes up only complaints first raised with the other
 * side; a side may ask for an urgent meeting, and for an inspection that
 * needs the other side's consent. */
#ifndef PARLEY_INCIDENT_H
#define PARLEY_INCIDENT_H

#include <stdint.h>

#include "engine.h"
#include "engine_internal.h"

/* Party requests (answer through r; 1 keep, 0 roll back). */
int incident_file(struct engine *e, const struct req *r, const Parley__IncidentFile *m);
int incident_respond(struct engine *e, const struct req *r, const Parley__IncidentRespond *m);
int incident_action(struct engine *e, const struct req *r, const Parley__IncidentAction *m);
/* One incident (m->incident), or those the party filed or is accused in:
 * one page when m->paged, else all in one answer or a refusal. */
int incident_query(struct engine *e, const struct req *r, const Parley__IncidentQuery *m);

/* A timer of an incident fired (the response window ended). */
int incident_fire(struct engine *e, int64_t incident, const char *kind, int64_t due);

/* Mediator verbs. */
int incident_list(struct engine *e, struct out *o);
int incident_show(struct engine *e, int64_t id, struct out *o);
int incident_close(struct engine *e, int64_t id, struct out *o);

/* Open and overdue incidents (status socket). */
int incident_counts(struct engine *e, int64_t *open, int64_t *overdue);

#endif
