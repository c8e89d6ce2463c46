/* The parties' side of the record: the latest checkpoint with a
 * consistency proof from the one a party last verified, its countersignature
 * (journalled), and the chronology of what concerns it. */
#ifndef PARLEY_RECORD_H
#define PARLEY_RECORD_H

#include "agreement.h"

/* Party requests (answer through r; 1 keep, 0 roll back). */
enum req_end record_request(struct ag_ctx *e, const struct req *r, uint64_t known_size);
enum req_end record_countersign(struct ag_ctx *e, const struct req *r, const Parley__Countersign *m);
/* The entries that concern the party (of one agreement, or all): one page
 * when m->paged, else all of them in one answer or a refusal.  Another
 * party's copy-accepted, copy-refused, signature-withdrawn and
 * signature-void entries only once their agreement is released, or when it
 * discloses progress (invariant 2). */
enum req_end record_show(struct ag_ctx *e, const struct req *r, const Parley__JournalShow *m);

#endif
