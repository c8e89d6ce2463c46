/* Reading amendments: the mediator's list and view of an agreement's
 * amendments, and a party's view of one it proposed or was forwarded, each
 * with a unified diff against the revision it amends and the parties'
 * answers with their notes (a party sees its own answer only). */
#ifndef PARLEY_AMENDMENT_H
#define PARLEY_AMENDMENT_H

#include <stdint.h>

#include "agreement.h"
#include "out.h"

int amendment_list(struct ag_ctx *e, int64_t agreement, struct out *o);
int amendment_show(struct ag_ctx *e, int64_t am, struct out *o);
enum req_end amendment_show_party(struct ag_ctx *e, const struct req *r, uint64_t am);
/* A party's list of an agreement's amendments it may read (those it
 * proposed, those forwarded), texts left out; at most AMENDMENT_LIST_MAX. */
#define AMENDMENT_LIST_MAX 500
enum req_end amendment_list_party(struct ag_ctx *e, const struct req *r, uint64_t agreement);

#endif
