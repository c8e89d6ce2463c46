/* A small streaming JSON writer for the clients' --json output: values go
 * one after another into a growing buffer, commas come by themselves.  Pass
 * a key inside objects and NULL at the top level and inside arrays; the
 * writer does not check that begins and ends match.  After an allocation
 * fails, every call is a no-op and jw_failed() says so. */
#ifndef PARLEY_JSON_H
#define PARLEY_JSON_H

#include <stddef.h>
#include <stdint.h>

struct jw;

/* A new, empty writer, or NULL on OOM.  Free it with jw_free(). */
struct jw *jw_new(void);
/* Frees the writer and its text; NULL is a no-op. */
void jw_free(struct jw *w);

/* Open / close an object or an array. */
void jw_obj_begin(struct jw *w, const char *key);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w, const char *key);
void jw_arr_end(struct jw *w);

/* A string (val NULL writes null; jw_strn takes val[0..n), NULs included).
 * '"', '\\' and control characters are escaped, the latter as \u00XX;
 * bytes that are not well-formed UTF-8 become U+FFFD. */
void jw_str(struct jw *w, const char *key, const char *val);
void jw_strn(struct jw *w, const char *key, const char *val, size_t n);

void jw_int(struct jw *w, const char *key, int64_t v);
void jw_uint(struct jw *w, const char *key, uint64_t v);
/* true if v is nonzero, else false. */
void jw_bool(struct jw *w, const char *key, int v);
void jw_null(struct jw *w, const char *key);
/* An already-encoded JSON value, copied as is (NULL writes null). */
void jw_raw(struct jw *w, const char *key, const char *json);

/* The text written so far, NUL-terminated; owned by w, valid until the next
 * call on w. */
const char *jw_text(struct jw *w);
/* 1 if an allocation failed at any point (the text is then cut short). */
int jw_failed(struct jw *w);
/* At most limit bytes of text (0: no limit): a value that would pass it
 * fails the writer as an allocation would, and jw_over() says why. */
void jw_set_limit(struct jw *w, size_t limit);
int jw_over(struct jw *w);
/* Bytes of text written so far. */
size_t jw_len(struct jw *w);

#endif
