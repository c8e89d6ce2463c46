#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "text.h"

struct jw {
	char *buf;
	size_t len, cap;
	size_t limit;	/* 0, or the most the text may hold */
	int comma;	/* a value precedes at this level: the next needs a ',' */
	int failed;
	int over;	/* failed because the text reached limit */
};

struct jw *
jw_new(void)
{
	return calloc(1, sizeof(struct jw));
}

void
jw_free(struct jw *w)
{
	if (w == NULL)
		return;
	free(w->buf);
	free(w);
}

static void
put(struct jw *w, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (w->failed)
		return;
	if (w->limit != 0 && (w->len > w->limit || n > w->limit - w->len)) {
		w->failed = w->over = 1;
		return;
	}
	if (w->cap - w->len <= n) {
		for (cap = w->cap ? w->cap : 256; cap - w->len <= n; cap *= 2)
			if (cap > SIZE_MAX / 2) {
				w->failed = 1;
				return;
			}
		if ((p = realloc(w->buf, cap)) == NULL) {
			w->failed = 1;
			return;
		}
		w->buf = p;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void
quote(struct jw *w, const char *s, size_t n)
{
	char esc[8];
	size_t i = 0, run, k;

	put(w, "\"", 1);
	while (i < n) {
		/* Copy the longest stretch that needs no escaping in one go. */
		for (run = i; run < n; run += k) {
			unsigned char c = (unsigned char)s[run];
			if (c < 0x20 || c == '"' || c == '\\' ||
			    (k = text_utf8_len(s + run, n - run)) == 0)
				break;
		}
		put(w, s + i, run - i);
		if ((i = run) == n)
			break;
		if (s[i] == '"' || s[i] == '\\') {
			esc[0] = '\\', esc[1] = s[i];
			put(w, esc, 2);
		} else if ((unsigned char)s[i] < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char)s[i]);
			put(w, esc, 6);
		} else
			put(w, "\xef\xbf\xbd", 3);	/* U+FFFD */
		i++;
	}
	put(w, "\"", 1);
}

/* The comma and key that go before any value. */
static void
prefix(struct jw *w, const char *key)
{
	if (w->comma)
		put(w, ",", 1);
	w->comma = 1;
	if (key != NULL) {
		quote(w, key, strlen(key));
		put(w, ":", 1);
	}
}

static void
scalar(struct jw *w, const char *key, const char *text)
{
	prefix(w, key);
	put(w, text, strlen(text));
}

void
jw_obj_begin(struct jw *w, const char *key)
{
	scalar(w, key, "{");
	w->comma = 0;
}

void
jw_obj_end(struct jw *w)
{
	put(w, "}", 1);
	w->comma = 1;
}

void
jw_arr_begin(struct jw *w, const char *key)
{
	scalar(w, key, "[");
	w->comma = 0;
}

void
jw_arr_end(struct jw *w)
{
	put(w, "]", 1);
	w->comma = 1;
}

void
jw_str(struct jw *w, const char *key, const char *val)
{
	jw_strn(w, key, val, val != NULL ? strlen(val) : 0);
}

void
jw_strn(struct jw *w, const char *key, const char *val, size_t n)
{
	if (val == NULL) {
		jw_null(w, key);
		return;
	}
	prefix(w, key);
	quote(w, val, n);
}

void
jw_int(struct jw *w, const char *key, int64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64, v);
	scalar(w, key, num);
}

void
jw_uint(struct jw *w, const char *key, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	scalar(w, key, num);
}

void
jw_bool(struct jw *w, const char *key, int v)
{
	scalar(w, key, v ? "true" : "false");
}

void
jw_null(struct jw *w, const char *key)
{
	scalar(w, key, "null");
}

void
jw_raw(struct jw *w, const char *key, const char *json)
{
	scalar(w, key, json != NULL ? json : "null");
}

const char *
jw_text(struct jw *w)
{
	return w->buf != NULL ? w->buf : "";
}

int
jw_failed(struct jw *w)
{
	return w->failed;
}

void
jw_set_limit(struct jw *w, size_t limit)
{
	w->limit = limit;
}

int
jw_over(struct jw *w)
{
	return w->over;
}

size_t
jw_len(struct jw *w)
{
	return w->len;
}
