/* Calendar offsets (daemon/timeline.h timeline_parse_offset): every form
 * accepted before keeps its value and its spelling (calendars signed with
 * it hash the same); a bare number is days and is spelt with its "d"; the
 * rest is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "daemon/timeline.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define D 86400

static const struct {
	const char *in;
	int64_t secs;
	const char *canon;	/* NULL: refused */
} cases[] = {
	/* the forms accepted before, as written */
	{ "X", 0, "X" },
	{ "X-5d", -5 * D, "X-5d" },
	{ "X+3d", 3 * D, "X+3d" },
	{ "X+0h", 0, "X+0h" },
	{ "X-90m", -90 * 60, "X-90m" },
	{ "X+1d12h", D + 12 * 3600, "X+1d12h" },
	{ "X+22h59m", 22 * 3600 + 59 * 60, "X+22h59m" },
	{ "X+2w", 14 * D, "X+2w" },
	{ "X+30s", 30, "X+30s" },
	{ "X+6h", 6 * 3600, "X+6h" },
	/* a bare number is days */
	{ "X-5", -5 * D, "X-5d" },
	{ "X+10", 10 * D, "X+10d" },
	{ "X+0", 0, "X+0d" },
	{ "X-2", -2 * D, "X-2d" },
	/* refused */
	{ "", 0, NULL },
	{ "Y+1d", 0, NULL },
	{ "X+", 0, NULL },
	{ "X-", 0, NULL },
	{ "X5", 0, NULL },
	{ "X+1d12", 0, NULL },		/* days or hours? */
	{ "X+5x", 0, NULL },
	{ "X+d", 0, NULL },
	{ "X +5", 0, NULL },
	{ "X+5 ", 0, NULL },
	{ "X+1234567", 0, NULL },
	{ "X+100001d", 0, NULL },
	{ "X++5", 0, NULL },
	{ "x+5", 0, NULL },
};

static void
test_offsets(void **state)
{
	char canon[32];
	int64_t secs;
	size_t i;

	(void)state;
	for (i = 0; i < LEN(cases); i++) {
		int rc = timeline_parse_offset(cases[i].in, &secs, canon, sizeof(canon));
		if (cases[i].canon == NULL) {
			if (rc != -1)
				fail_msg("\"%s\" accepted", cases[i].in);
			continue;
		}
		if (rc != 0)
			fail_msg("\"%s\" refused", cases[i].in);
		assert_int_equal(secs, cases[i].secs);
		assert_string_equal(canon, cases[i].canon);
	}
}

/* A spelling that does not fit the column is refused, not cut. */
static void
test_canon_too_long(void **state)
{
	char canon[5];
	int64_t secs;

	(void)state;
	assert_int_equal(timeline_parse_offset("X-5d", &secs, canon, sizeof(canon)), 0);
	assert_int_equal(timeline_parse_offset("X-10", &secs, canon, sizeof(canon)), -1);
	assert_int_equal(timeline_parse_offset("X+1d12h", &secs, canon, sizeof(canon)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_canon_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
