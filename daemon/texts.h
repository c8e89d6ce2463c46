/* The texts of an agreement as the mediator gives them: one text, or
 * several language versions of it (content version 3), and the frames of
 * the parties' sheets (proto/sheet.h); and the check of the versions
 * against each other before circulation (proto/drift.h), with the
 * mediator's glossary and its override. */
#ifndef PARLEY_TEXTS_H
#define PARLEY_TEXTS_H

#include <stddef.h>

#include "agreement.h"
#include "out.h"

/* The longest text, and the longest sum of an agreement's versions and
 * frames. */
#define TEXTS_MAX (512 * 1024)
#define TEXTS_GLOSSARY_MAX (256 * 1024)

/* A text given (by the mediator or in a party's amendment) checked and
 * normalised: a malloc'd copy with LF line endings, or NULL with the
 * reason in why; *oom is set when the reason is out of memory, not the
 * text. */
char *texts_check(const char *text, size_t len, char *why, size_t whylen, int *oom);

/* Versions and frames as given (--text LANG=FILE, --authentic, --frame
 * PARTY=FILE); the strings are the caller's. */
struct texts_given {
	size_t nv;
	const char *lang[SIGN_MAX_VERSIONS], *text[SIGN_MAX_VERSIONS];
	size_t len[SIGN_MAX_VERSIONS];
	const char *authentic;		/* "ru,en"; NULL: every version */
	size_t nf;
	const char *party[64], *frame[64];
	size_t flen[64];
};

/* The versions of g checked and normalised into v (sorted by tag), and
 * its frames into frames[i] for parties[i] (malloc'd, NULL for a party
 * without one); text is the single text's length (0 with versions).  0,
 * or -1 refused in o with nothing held. */
int texts_take(const struct texts_given *g, size_t textlen, const char (*parties)[PARTY_CODE_MAX + 1],
    size_t np, struct ag_versions *v, char **frames, struct out *o);

/* Whether a text of textlen bytes fits agreement's limit beside its
 * parties' frames (an amendment): 0, 1 with the reason in why, -1 the
 * store. */
int texts_fit(struct ag_ctx *e, int64_t agreement, size_t textlen, char *why, size_t whylen);

/* parleyctl agreement check ID [--glossary FILE]: glossary (NULL: keep the
 * one stored) is stored first, then the versions of the current revision
 * are compared; the mismatches are the answer (status 0 either way). */
int texts_check_versions(struct ag_ctx *e, int64_t id, const char *glossary, size_t len,
    struct out *o);

/* Before a's current revision circulates: 0 when it has no versions, or
 * they agree, or override (the mediator's note, NULL none) is given, which
 * is journalled with the mismatches' count; -1 refused in o, naming the
 * first mismatches. */
int texts_gate(struct ag_ctx *e, const struct ag *a, const char *override, struct out *o);

#endif
