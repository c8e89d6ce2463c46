#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto/json.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define FFFD "\xef\xbf\xbd"

/* ---- string escaping ------------------------------------------------ */

static const struct {
	const char *in;
	size_t n;	/* 0: strlen(in) */
	const char *out;
} str_cases[] = {
	{ "", 0, "\"\"" },
	{ "agreement 1994/05", 0, "\"agreement 1994/05\"" },
	{ "say \"yes\"", 0, "\"say \\\"yes\\\"\"" },
	{ "C:\\parley", 0, "\"C:\\\\parley\"" },
	{ "a\nb\tc\r", 0, "\"a\\u000ab\\u0009c\\u000d\"" },
	{ "\x01\x1f\x7f", 0, "\"\\u0001\\u001f\x7f\"" },
	{ "a\0b", 3, "\"a\\u0000b\"" },
	{ "Հայաստան", 0, "\"Հայաստան\"" },
	{ "Azərbaycan", 0, "\"Azərbaycan\"" },
	{ "Россия", 0, "\"Россия\"" },
	{ "\xe2\x82\xac \xf0\x9f\x98\x80", 0, "\"\xe2\x82\xac \xf0\x9f\x98\x80\"" },
	{ "a\xff" "b", 0, "\"a" FFFD "b\"" },
	{ "\xc0\xaf", 0, "\"" FFFD FFFD "\"" },			/* overlong */
	{ "\xed\xa0\x80", 0, "\"" FFFD FFFD FFFD "\"" },		/* surrogate */
	{ "\xf4\x90\x80\x80", 0, "\"" FFFD FFFD FFFD FFFD "\"" },
	{ "ok\xe2\x82", 0, "\"ok" FFFD FFFD "\"" },		/* truncated */
	{ "\x80\"", 0, "\"" FFFD "\\\"\"" },
	{ "\xd5\xa1\xd5", 0, "\"\xd5\xa1" FFFD "\"" },
};

static void
test_strings(void **state)
{
	struct jw *w;
	size_t i, n;

	(void)state;
	for (i = 0; i < LEN(str_cases); i++) {
		assert_non_null(w = jw_new());
		n = str_cases[i].n ? str_cases[i].n : strlen(str_cases[i].in);
		jw_strn(w, NULL, str_cases[i].in, n);
		assert_string_equal(jw_text(w), str_cases[i].out);
		assert_int_equal(jw_failed(w), 0);
		jw_free(w);
	}
}

/* ---- documents ------------------------------------------------------ */

static void
doc_empty(struct jw *w)
{
	(void)w;
}

static void
doc_show(struct jw *w)
{
	jw_obj_begin(w, NULL);
	jw_str(w, "id", "a1");
	jw_str(w, "state", "in_force");
	jw_uint(w, "revision", 2);
	jw_str(w, "effective_at", "1994-05-12T00:01:00+04:00");
	jw_null(w, "expires_at");
	jw_arr_begin(w, "parties");
	jw_obj_begin(w, NULL);
	jw_str(w, "party", "am");
	jw_bool(w, "signed", 1);
	jw_str(w, "receipt", NULL);
	jw_obj_end(w);
	jw_obj_begin(w, NULL);
	jw_str(w, "party", "az");
	jw_bool(w, "signed", 0);
	jw_str(w, "receipt", "1994-05-12T00:05:00+04:00");
	jw_obj_end(w);
	jw_arr_end(w);
	jw_obj_end(w);
}

static void
doc_nested(struct jw *w)
{
	jw_arr_begin(w, NULL);
	jw_arr_begin(w, NULL);
	jw_arr_end(w);
	jw_obj_begin(w, NULL);
	jw_obj_end(w);
	jw_arr_begin(w, NULL);
	jw_int(w, NULL, 1);
	jw_arr_begin(w, NULL);
	jw_int(w, NULL, 2);
	jw_arr_end(w);
	jw_int(w, NULL, 3);
	jw_arr_end(w);
	jw_null(w, NULL);
	jw_arr_end(w);
}

static void
doc_numbers(struct jw *w)
{
	jw_obj_begin(w, NULL);
	jw_int(w, "zero", 0);
	jw_int(w, "neg", -1);
	jw_int(w, "min", INT64_MIN);
	jw_int(w, "max", INT64_MAX);
	jw_uint(w, "umax", UINT64_MAX);
	jw_bool(w, "t", 42);
	jw_obj_end(w);
}

static void
doc_raw(struct jw *w)
{
	jw_obj_begin(w, NULL);
	jw_raw(w, "bundle", "{\"a\":[1,2]}");
	jw_raw(w, "none", NULL);
	jw_strn(w, "cut", "abcdef", 3);
	jw_strn(w, "nul", NULL, 5);
	jw_str(w, "ke\"y\n", "v");
	jw_obj_end(w);
}

static void
doc_error(struct jw *w)
{
	jw_obj_begin(w, NULL);
	jw_str(w, "error", "the copy of az is not identical: line 3 differs");
	jw_obj_end(w);
}

static const struct {
	void (*build)(struct jw *);
	const char *out;
} doc_cases[] = {
	{ doc_empty, "" },
	{ doc_show, "{\"id\":\"a1\",\"state\":\"in_force\",\"revision\":2,"
	  "\"effective_at\":\"1994-05-12T00:01:00+04:00\",\"expires_at\":null,"
	  "\"parties\":[{\"party\":\"am\",\"signed\":true,\"receipt\":null},"
	  "{\"party\":\"az\",\"signed\":false,"
	  "\"receipt\":\"1994-05-12T00:05:00+04:00\"}]}" },
	{ doc_nested, "[[],{},[1,[2],3],null]" },
	{ doc_numbers, "{\"zero\":0,\"neg\":-1,\"min\":-9223372036854775808,"
	  "\"max\":9223372036854775807,\"umax\":18446744073709551615,\"t\":true}" },
	{ doc_raw, "{\"bundle\":{\"a\":[1,2]},\"none\":null,\"cut\":\"abc\","
	  "\"nul\":null,\"ke\\\"y\\u000a\":\"v\"}" },
	{ doc_error, "{\"error\":\"the copy of az is not identical: line 3 differs\"}" },
};

static void
test_documents(void **state)
{
	struct jw *w;
	size_t i;

	(void)state;
	for (i = 0; i < LEN(doc_cases); i++) {
		assert_non_null(w = jw_new());
		doc_cases[i].build(w);
		assert_string_equal(jw_text(w), doc_cases[i].out);
		assert_int_equal(jw_failed(w), 0);
		jw_free(w);
	}
	jw_free(NULL);
}

/* The buffer grows across many reallocations without losing anything. */
static void
test_long(void **state)
{
	struct jw *w;
	const char *t;
	size_t i;

	(void)state;
	assert_non_null(w = jw_new());
	jw_arr_begin(w, NULL);
	for (i = 0; i < 10000; i++)
		jw_str(w, NULL, "Հ\n");
	jw_arr_end(w);
	assert_int_equal(jw_failed(w), 0);
	t = jw_text(w);
	assert_int_equal(strlen(t), 2 + 10000 * 11 - 1);
	assert_memory_equal(t, "[\"Հ\\u000a\",\"Հ", 15);
	assert_string_equal(t + strlen(t) - 11, "\"Հ\\u000a\"]");
	jw_free(w);
}

/* A limit: what fits is written; the first value that would pass it fails
 * the writer (over, not out of memory), and the text never passes it. */
static void
test_limit(void **state)
{
	struct jw *w;

	(void)state;
	assert_non_null(w = jw_new());
	jw_set_limit(w, 12);
	jw_arr_begin(w, NULL);
	jw_str(w, NULL, "abcdefgh");	/* ["abcdefgh" : 11 bytes */
	assert_int_equal(jw_failed(w), 0);
	assert_string_equal(jw_text(w), "[\"abcdefgh\"");
	jw_int(w, NULL, 42);		/* ,42 would make 14 */
	assert_int_equal(jw_failed(w), 1);
	assert_int_equal(jw_over(w), 1);
	jw_arr_end(w);
	assert_true(strlen(jw_text(w)) <= 12);
	assert_memory_equal(jw_text(w), "[\"abcdefgh\"", 11);
	jw_free(w);
	/* no limit: never over */
	assert_non_null(w = jw_new());
	jw_str(w, NULL, "abcdefgh");
	assert_int_equal(jw_over(w), 0);
	jw_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
