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

#include "agreement.h"

/* Party requests (answer through r; 1 keep, 0 roll back). */
enum req_end incident_file(struct ag_ctx *e, const struct req *r, const Parley__IncidentFile *m);
enum req_end incident_respond(struct ag_ctx *e, const struct req *r, const Parley__IncidentRespond *m);
enum req_end incident_action(struct ag_ctx *e, const struct req *r, const Parley__IncidentAction *m);
/* One incident (m->incident), or those the party filed or is accused in:
 * one page when m->paged, else all in one answer or a refusal. */
enum req_end incident_query(struct ag_ctx *e, const struct req *r, const Parley__IncidentQuery *m);

/* A timer of an incident fired (the response window ended). */
int incident_fire(struct ag_ctx *e, int64_t incident, const char *kind, int64_t due);

/* Mediator verbs. */
int incident_list(struct ag_ctx *e, struct out *o);
int incident_show(struct ag_ctx *e, int64_t id, struct out *o);
/* Close an incident; reason (NULL: none given) is told to both sides. */
int incident_close(struct ag_ctx *e, int64_t id, const char *reason, struct out *o);

/* The mediator's steps, each told to both sides and journalled: a
 * recommendation (text, checked here); a meeting at time (ISO 8601) and
 * place with participants, which each side accepts or answers with
 * another time; bringing the case to other parties or observers (to, a
 * comma list), who receive it whole. */
int incident_recommend(struct ag_ctx *e, int64_t id, const char *text, size_t len,
    struct out *o);
int incident_meeting_set(struct ag_ctx *e, int64_t id, const char *time, const char *place,
    const char *participants, struct out *o);
int incident_escalate(struct ag_ctx *e, int64_t id, const char *to, struct out *o);
/* Forward the accused side's counter-protest to the filer. */
int incident_forward(struct ag_ctx *e, int64_t id, struct out *o);

/* Open and overdue incidents (status socket). */
int incident_counts(struct ag_ctx *e, int64_t *open, int64_t *overdue);

#endif
