/* What an admin verb answers: a text for a person and one JSON object for
 * scripts, or a refusal with a readable reason. */
#ifndef PARLEY_OUT_H
#define PARLEY_OUT_H

#include <event2/buffer.h>

#include "json.h"

struct out {
	struct evbuffer *text;
	struct jw *json;	/* the verb writes one object's members */
	int status;		/* 0 ok, 1 refused, 2 bad usage */
	int lost;		/* out of memory: some text is missing */
	size_t limit;		/* 0, or the most the text and the JSON may hold together */
	int over;		/* together they passed limit */
	char error[1024];
};

/* 0 or -1 on allocation failure; the JSON object is already opened. */
int out_init(struct out *o);
void out_release(struct out *o);

void out_text(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text and JSON together at most limit bytes: past it the answer is no
 * use, out_full() says so (a list may stop reading then), and neither
 * grows much further (each is held to limit). */
void out_set_limit(struct out *o, size_t limit);
int out_full(struct out *o);
/* Refuse with a reason (status 1); returns -1 for "return out_refuse(...)". */
int out_refuse(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int out_usage(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
