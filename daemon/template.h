/* The mediator's templates: texts repeated with a few names changed (the
 * extensions of 1993, the reply form of February 1995), with placeholders
 * written {{name}} (name: 1 to 32 of a-z, 0-9 and _).  A template is
 * filled with a value for each of its placeholders, no more and no fewer:
 * a placeholder left without a value, or a value for a name the template
 * does not have, is refused. */
#ifndef PARLEY_TEMPLATE_H
#define PARLEY_TEMPLATE_H

#include <stddef.h>

#include "agreement.h"
#include "out.h"

#define TEMPLATE_NAME_MAX 32
#define TEMPLATE_VALUES_MAX 32

/* The values to fill a template with. */
struct template_values {
	size_t n;
	const char *name[TEMPLATE_VALUES_MAX], *value[TEMPLATE_VALUES_MAX];
};

/* parleyctl template add NAME --text FILE (replacing one of that name),
 * template list, template show NAME. */
int template_add(struct ag_ctx *e, const char *name, const char *text, size_t len,
    struct out *o);
int template_list(struct ag_ctx *e, struct out *o);
int template_show(struct ag_ctx *e, const char *name, struct out *o);

/* Template name filled with v into a malloc'd *out.  0, or -1 refused in o. */
int template_fill(struct ag_ctx *e, const char *name, const struct template_values *v,
    char **out, struct out *o);

#endif
