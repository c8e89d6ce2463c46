/* Letters: the correspondence of a mediation.  A party writes to other
 * parties and to the mediator, with copies (cc) to others; the mediator
 * writes to any list.  Addressees and copies are distinguished in the
 * delivery, in the lists and in JSON; each party's copy is a message with
 * per-endpoint receipts; every letter is journalled, for its sender and for
 * each party it reaches.  A letter between parties is always held by the
 * mediator as well (a copy to "mediator" is added when the sender named
 * none).  A letter carries only its own text: never an agreement's
 * signatures, and nothing of another party's signing. */
#ifndef PARLEY_LETTER_H
#define PARLEY_LETTER_H

#include <stdint.h>

#include "agreement.h"
#include "out.h"

#define LETTER_SUBJECT_MAX 200
#define LETTER_RECIPIENTS_MAX 64	/* addressees and copies together */

/* A party's letter (parley letter send). */
enum req_end letter_send_party(struct ag_ctx *e, const struct req *r,
    const Parley__LetterSend *m);

/* The mediator's letter: to and cc are comma lists ("all" in to: every
 * party; cc may be NULL); its number into *sent (NULL: not wanted). */
int letter_send_mediator(struct ag_ctx *e, const char *to, const char *cc,
    const char *subject, const char *text, size_t len, int urgent, int64_t *sent,
    struct out *o);

/* parleyctl letter list [--last N] [--party P] and letter show N. */
int letter_list(struct ag_ctx *e, int64_t last, const char *party, struct out *o);
int letter_show(struct ag_ctx *e, int64_t id, struct out *o);

#endif
