#include <stdarg.h>
#include <stdio.h>

#include "out.h"

int
out_init(struct out *o)
{
	o->status = 0;
	o->lost = 0;
	o->limit = 0;
	o->over = 0;
	o->error[0] = '\0';
	o->text = evbuffer_new();
	o->json = jw_new();
	if (o->text == NULL || o->json == NULL) {
		out_release(o);
		return -1;
	}
	jw_obj_begin(o->json, NULL);
	return 0;
}

void
out_release(struct out *o)
{
	if (o->text)
		evbuffer_free(o->text);
	jw_free(o->json);
	o->text = NULL;
	o->json = NULL;
}

void
out_text(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->over)
		return;
	va_start(ap, fmt);
	if (evbuffer_add_vprintf(o->text, fmt, ap) < 0)
		o->lost = 1;
	va_end(ap);
	if (out_full(o))
		evbuffer_drain(o->text, evbuffer_get_length(o->text));
}

void
out_set_limit(struct out *o, size_t limit)
{
	o->limit = limit;
	jw_set_limit(o->json, limit);
}

int
out_full(struct out *o)
{
	if (!o->over && o->limit != 0 && (jw_over(o->json) ||
	    evbuffer_get_length(o->text) + jw_len(o->json) > o->limit))
		o->over = 1;
	return o->over;
}

static int
fail(struct out *o, int status, const char *fmt, va_list ap)
{
	o->status = status;
	vsnprintf(o->error, sizeof(o->error), fmt, ap);
	return -1;
}

int
out_refuse(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = fail(o, 1, fmt, ap);
	va_end(ap);
	return rc;
}

int
out_usage(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = fail(o, 2, fmt, ap);
	va_end(ap);
	return rc;
}
