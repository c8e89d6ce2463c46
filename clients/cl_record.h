/* Holding the mediator to the record: on every connection parley asks for
 * the latest signed checkpoint and a consistency proof from the one it last
 * verified (kept in the endpoint's directory as "checkpoint"), verifies
 * both with the mediator's public key alone, keeps the new one, and
 * countersigns it with the party's signer key. */
#ifndef PARLEY_CL_RECORD_H
#define PARLEY_CL_RECORD_H

#include <stddef.h>

#include "cl.h"

/* 0 when the record is consistent (or empty), 1 when the mediator's record
 * contradicts what this endpoint verified before (err says so loudly), -1
 * on any other failure (err). */
int cl_record_check(struct cl *c, const struct cl_conf *conf, char *summary, size_t sumlen,
    char *err, size_t errlen);

#endif
