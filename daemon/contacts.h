/* A duty directory (February 1995, obligation 4: the sides exchanged,
 * through the mediator, the numbers of their duty devices).  Each party's
 * list of duty contacts, one a line:
 *     NAME | ROLE | DEVICE | NUMBER | HOURS
 * (each field 1 to 100 bytes of one line without control characters or
 * "|", at most 20 contacts), set by the party or by the mediator for it;
 * the mediator passes a party's list to others, as a letter with its
 * receipts.  A party sees its own list and those passed to it. */
#ifndef PARLEY_CONTACTS_H
#define PARLEY_CONTACTS_H

#include <stdint.h>

#include "agreement.h"
#include "out.h"

#define CONTACTS_MAX 20
#define CONTACTS_FIELD_MAX 100

/* Party requests. */
enum req_end contacts_set_party(struct ag_ctx *e, const struct req *r,
    const Parley__DutyContactsSet *m);
enum req_end contacts_query(struct ag_ctx *e, const struct req *r);

/* Mediator verbs: set a party's list; pass it to others (to: a comma list,
 * or "all" the other parties); list every party's and where it went. */
int contacts_set_mediator(struct ag_ctx *e, const char *party, const char *text, size_t len,
    struct out *o);
int contacts_pass(struct ag_ctx *e, const char *party, const char *to, struct out *o);
int contacts_list(struct ag_ctx *e, struct out *o);

#endif
