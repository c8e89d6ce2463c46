#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/text.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- UTF-8 ---------------------------------------------------------- */

static const struct {
	const char *s;
	size_t n;	/* 0: strlen(s) */
	int valid;
} utf8_cases[] = {
	{ "", 0, 1 },
	{ "plain ASCII, 1994", 0, 1 },
	{ "Հայաստան", 0, 1 },			/* Armenian, 2 bytes each */
	{ "Azərbaycan, Qarabağ, Şuşa", 0, 1 },	/* ə ğ Ş */
	{ "Россия, Бишкекский протокол", 0, 1 },
	{ "\xe2\x82\xac", 0, 1 },		/* U+20AC, 3 bytes */
	{ "\xed\x9f\xbf", 0, 1 },		/* U+D7FF, just below surrogates */
	{ "\xee\x80\x80", 0, 1 },		/* U+E000, just above */
	{ "\xef\xbf\xbf", 0, 1 },		/* U+FFFF */
	{ "\xf0\x9f\x98\x80", 0, 1 },		/* U+1F600, 4 bytes */
	{ "\xf4\x8f\xbf\xbf", 0, 1 },		/* U+10FFFF, the last */
	{ "\xc2\x80", 0, 1 },			/* U+0080, shortest 2-byte */
	{ "\xc0\xaf", 0, 0 },			/* overlong '/' */
	{ "\xc1\xbf", 0, 0 },			/* overlong U+007F */
	{ "\xe0\x80\xaf", 0, 0 },		/* overlong '/' in 3 bytes */
	{ "\xe0\x9f\xbf", 0, 0 },		/* overlong U+07FF */
	{ "\xf0\x8f\xbf\xbf", 0, 0 },		/* overlong U+FFFF */
	{ "\xed\xa0\x80", 0, 0 },		/* surrogate U+D800 */
	{ "\xed\xbf\xbf", 0, 0 },		/* surrogate U+DFFF */
	{ "\xf4\x90\x80\x80", 0, 0 },		/* U+110000 */
	{ "\xf5\x80\x80\x80", 0, 0 },
	{ "\x80", 0, 0 },			/* lone continuation */
	{ "ok\xbfok", 0, 0 },
	{ "\xfe", 0, 0 },
	{ "\xff", 0, 0 },
	{ "abc\xe2\x82", 0, 0 },		/* truncated at the end */
	{ "\xd5", 0, 0 },
	{ "\xf0\x9f\x98", 0, 0 },
	{ "\xe2\x82x", 0, 0 },			/* cut short by ASCII */
	{ "\xd5\xd5\xa1", 0, 0 },
	{ "a\0b", 3, 0 },			/* embedded NUL */
	{ "\0", 1, 0 },
	{ "abc\xe2\x82\xac", 5, 0 },		/* n cuts the sequence */
};

static void
test_utf8_valid(void **state)
{
	size_t i, n;

	(void)state;
	for (i = 0; i < LEN(utf8_cases); i++) {
		n = utf8_cases[i].n ? utf8_cases[i].n : strlen(utf8_cases[i].s);
		if (text_utf8_valid(utf8_cases[i].s, n) != utf8_cases[i].valid)
			fail_msg("case %zu: expected %d", i, utf8_cases[i].valid);
	}
	assert_int_equal(text_utf8_len("\xd5\xa1x", 3), 2);
	assert_int_equal(text_utf8_len("\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(text_utf8_len("\0", 1), 1);
	assert_int_equal(text_utf8_len("a", 0), 0);
	assert_int_equal(text_utf8_len("\xe2\x82\xac", 2), 0);
}

/* ---- normalisation and identifiers ---------------------------------- */

static const struct {
	const char *in;
	size_t n;
	const char *out;
	size_t outlen;
} norm_cases[] = {
	{ "", 0, "", 0 },
	{ "a\nb\n", 4, "a\nb\n", 4 },
	{ "a\r\nb\r\n", 6, "a\nb\n", 4 },
	{ "a\rb\r", 4, "a\nb\n", 4 },
	{ "\r\r\n", 3, "\n\n", 2 },
	{ "a\n\rb", 4, "a\n\nb", 4 },
	{ "\r\n\r\n\r", 5, "\n\n\n", 3 },
	{ "x\r", 1, "x", 1 },			/* only n bytes are read */
	{ "a\0\r\nb", 5, "a\0\nb", 4 },		/* NUL bytes are kept */
};

/* text_check names the first fault and its line; text_first_diff_line. */
static void
test_check(void **state)
{
	static const struct {
		const char *s;
		size_t n;
		int rc;
		const char *why;
	} cases[] = {
		{ "", 0, 0, "" },
		{ "a\tb\n\xd0\x9c\xd0\xb8\xd1\x80\n", 10, 0, "" },
		{ "a\0b", 3, -1, "line 1: a NUL byte" },
		{ "one\ntwo\nthr\0ee\n", 16, -1, "line 3: a NUL byte" },
		{ "one\n\xc0\xaf\n", 7, -1, "line 2: not valid UTF-8" },
		{ "\n\n\xed\xa0\x80", 5, -1, "line 3: not valid UTF-8" },
	};
	char why[160];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		assert_int_equal(text_check(cases[i].s, cases[i].n, why, sizeof(why)), cases[i].rc);
		if (cases[i].rc != 0 && strncmp(why, cases[i].why, strlen(cases[i].why)) != 0)
			fail_msg("case %zu: \"%s\", want \"%s...\"", i, why, cases[i].why);
	}
	assert_int_equal(text_first_diff_line("a\nb\nc\n", 6, "a\nb\nc\n", 6), 0);
	assert_int_equal(text_first_diff_line("a\nb\nc\n", 6, "a\nB\nc\n", 6), 2);
	assert_int_equal(text_first_diff_line("a\nb\n", 4, "a\nb\nc\n", 6), 3);
	assert_int_equal(text_first_diff_line("", 0, "x", 1), 1);
}

static void
test_normalize(void **state)
{
	size_t i, len;
	char *s;

	(void)state;
	for (i = 0; i < LEN(norm_cases); i++) {
		s = text_normalize(norm_cases[i].in, norm_cases[i].n, &len);
		assert_non_null(s);
		assert_int_equal(len, norm_cases[i].outlen);
		assert_memory_equal(s, norm_cases[i].out, len + 1);
		free(s);
	}
	s = text_normalize("a\r\n", 3, NULL);
	assert_string_equal(s, "a\n");
	free(s);
}

static const struct {
	const char *s;
	int valid;
} ident_cases[] = {
	{ "am", 1 }, { "az", 1 }, { "nk", 1 }, { "a", 1 }, { "7", 1 },
	{ "signer-2", 1 }, { "duty_station", 1 }, { "a-_-b", 1 },
	{ "abcdefghijklmnopqrstuvwxyz012345", 1 },	/* 32 */
	{ "abcdefghijklmnopqrstuvwxyz0123456", 0 },	/* 33 */
	{ "", 0 }, { NULL, 0 }, { "-am", 0 }, { "_am", 0 }, { "AM", 0 },
	{ "a m", 0 }, { "a.m", 0 }, { "a/b", 0 }, { "am\n", 0 },
	{ "\xd5\xa1", 0 }, { "ru\xc3\xa9", 0 },
};

static void
test_ident(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(ident_cases); i++)
		if (ident_valid(ident_cases[i].s) != ident_cases[i].valid)
			fail_msg("ident case %zu (%s)", i,
			    ident_cases[i].s ? ident_cases[i].s : "NULL");
}

/* ---- diff ----------------------------------------------------------- */

/*
 * text_diff() may pick any shortest alignment, so apart from a few cases
 * whose shortest diff is unique, its output is checked for properties that
 * hold whatever the alignment: the real `patch` turns a into b with it, it
 * has as many '-' and '+' lines as the edit distance of the texts, and its
 * hunk headers agree with their bodies and with the texts.
 */

#define TEN "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"
#define SIXTEEN TEN "11\n12\n13\n14\n15\n16\n"

/* Cases with a single shortest diff, which must come out byte for byte. */
static const struct {
	const char *a, *b, *diff;
} diff_cases[] = {
	{ TEN, TEN, "" },
	{ "", "", "" },
	{ "x", "x", "" },
	/* one line changed in the middle */
	{ TEN, "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n",
	  "--- old\n+++ new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n" },
	/* a line added at the end, one deleted at the start */
	{ TEN, TEN "11\n", "--- old\n+++ new\n@@ -8,3 +8,4 @@\n 8\n 9\n 10\n+11\n" },
	{ TEN, "2\n3\n4\n5\n6\n7\n8\n9\n10\n",
	  "--- old\n+++ new\n@@ -1,4 +1,3 @@\n-1\n 2\n 3\n 4\n" },
	{ "b\nc\n", "a\nb\nc\n", "--- old\n+++ new\n@@ -1,2 +1,3 @@\n+a\n b\n c\n" },
	/* a last line without '\n' differs from the same line with one, and
	 * is marked as diff -u marks it */
	{ "a\nb\nc\n", "a\nb\nc",
	  "--- old\n+++ new\n@@ -1,3 +1,3 @@\n a\n b\n-c\n+c\n"
	  "\\ No newline at end of file\n" },
	{ "a\nb\nc\n", "a\nb",
	  "--- old\n+++ new\n@@ -1,3 +1,2 @@\n a\n-b\n-c\n+b\n"
	  "\\ No newline at end of file\n" },
	{ "x", "x\n", "--- old\n+++ new\n@@ -1 +1 @@\n-x\n"
	  "\\ No newline at end of file\n+x\n" },
	{ "1\n2\n3\n4\n5", "1\nX\n3\n4\n5",
	  "--- old\n+++ new\n@@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n 4\n 5\n"
	  "\\ No newline at end of file\n" },
	{ "", "one\n", "--- old\n+++ new\n@@ -0,0 +1 @@\n+one\n" },
	{ "one\n", "", "--- old\n+++ new\n@@ -1 +0,0 @@\n-one\n" },
	{ "", "one", "--- old\n+++ new\n@@ -0,0 +1 @@\n+one\n"
	  "\\ No newline at end of file\n" },
	/* changes 6 lines apart share a hunk, 7 apart do not */
	{ SIXTEEN, "1\nX\n3\n4\n5\n6\n7\n8\nY\n10\n11\n12\n13\n14\n15\n16\n",
	  "--- old\n+++ new\n@@ -1,12 +1,12 @@\n 1\n-2\n+X\n 3\n 4\n 5\n 6\n 7\n"
	  " 8\n-9\n+Y\n 10\n 11\n 12\n" },
	{ SIXTEEN, "1\nX\n3\n4\n5\n6\n7\n8\n9\nY\n11\n12\n13\n14\n15\n16\n",
	  "--- old\n+++ new\n@@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n 4\n 5\n"
	  "@@ -7,7 +7,7 @@\n 7\n 8\n 9\n-10\n+Y\n 11\n 12\n 13\n" },
	/* December 1993: a re-worded letter instead of the agreed text */
	{ "Прекращение огня\n\nСтороны прекращают огонь с 00:01 12 мая 1994 г.\n"
	  "Соглашение вступает в силу немедленно.\n",
	  "Прекращение огня\n\nСтороны стремятся прекратить огонь.\n"
	  "Соглашение вступает в силу немедленно.\n",
	  "--- old\n+++ new\n@@ -1,4 +1,4 @@\n Прекращение огня\n \n"
	  "-Стороны прекращают огонь с 00:01 12 мая 1994 г.\n"
	  "+Стороны стремятся прекратить огонь.\n"
	  " Соглашение вступает в силу немедленно.\n" },
};

struct tlines {
	const char **p;
	size_t *len;	/* with the '\n', if any */
	size_t n;
};

static void
tlines_split(struct tlines *t, const char *s)
{
	const char *e;
	size_t cap = 16;

	t->n = 0;
	assert_non_null(t->p = malloc(cap * sizeof(*t->p)));
	assert_non_null(t->len = malloc(cap * sizeof(*t->len)));
	for (; *s != '\0'; t->n++, s = e) {
		if (t->n == cap) {
			cap *= 2;
			assert_non_null(t->p = realloc(t->p, cap * sizeof(*t->p)));
			assert_non_null(t->len = realloc(t->len, cap * sizeof(*t->len)));
		}
		e = strchr(s, '\n');
		e = e != NULL ? e + 1 : s + strlen(s);
		t->p[t->n] = s;
		t->len[t->n] = (size_t)(e - s);
	}
}

static void
tlines_free(struct tlines *t)
{
	free(t->p);
	free(t->len);
}

static int
tline_eq(const struct tlines *x, size_t i, const struct tlines *y, size_t j)
{
	return x->len[i] == y->len[j] && memcmp(x->p[i], y->p[j], x->len[i]) == 0;
}

/* Insertions plus deletions of a shortest edit script, by the textbook
 * O(n*m) longest-common-subsequence table (two rows of it). */
static size_t
edit_distance(const char *a, const char *b)
{
	struct tlines x, y;
	size_t *prev, *cur, *tmp, i, j, d;

	tlines_split(&x, a);
	tlines_split(&y, b);
	assert_non_null(prev = calloc(y.n + 1, sizeof(*prev)));
	assert_non_null(cur = calloc(y.n + 1, sizeof(*cur)));
	for (i = 1; i <= x.n; i++) {
		for (j = 1; j <= y.n; j++)
			if (tline_eq(&x, i - 1, &y, j - 1))
				cur[j] = prev[j - 1] + 1;
			else
				cur[j] = prev[j] > cur[j - 1] ? prev[j] : cur[j - 1];
		tmp = prev, prev = cur, cur = tmp;
	}
	d = x.n + y.n - 2 * prev[y.n];
	free(prev);
	free(cur);
	tlines_free(&x);
	tlines_free(&y);
	return d;
}

/* The '-' and '+' lines of a diff, its two header lines left out. */
static size_t
count_edits(const char *diff)
{
	const char *p;
	size_t n = 0;

	if (*diff == '\0')
		return 0;
	assert_non_null(p = strchr(diff, '\n'));
	assert_non_null(p = strchr(p + 1, '\n'));
	for (p++; *p != '\0'; p = strchr(p, '\n') + 1)
		n += *p == '-' || *p == '+';
	return n;
}

static void
write_file(const char *dir, const char *name, const char *s)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(s, 1, strlen(s), f), strlen(s));
	assert_int_equal(fclose(f), 0);
}

static char *
read_file(const char *dir, const char *name, size_t *len)
{
	char path[256], *s;
	size_t cap = 4096, k;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(s = malloc(cap));
	for (*len = 0; (k = fread(s + *len, 1, cap - *len - 1, f)) > 0;)
		if ((*len += k) + 1 == cap)
			assert_non_null(s = realloc(s, cap *= 2));
	s[*len] = '\0';
	fclose(f);
	return s;
}

/* Property 1: the real patch(1), allowed neither fuzz nor offsets, turns a
 * file holding a into one holding exactly b. */
static void
check_patch(const char *a, const char *b, const char *diff)
{
	char dir[] = "/tmp/test_text_XXXXXX", cmd[512], msg[4096], *got;
	size_t len, n;
	FILE *p;
	int st;

	assert_non_null(mkdtemp(dir));
	write_file(dir, "a.txt", a);
	write_file(dir, "p.diff", diff);
	snprintf(cmd, sizeof(cmd), "cd '%s' && patch -f -F 0 -r - "
	    "--no-backup-if-mismatch -o b.txt a.txt p.diff 2>&1", dir);
	assert_non_null(p = popen(cmd, "r"));
	n = fread(msg, 1, sizeof(msg) - 1, p);
	msg[n] = '\0';
	st = pclose(p);
	if (st != 0 || strstr(msg, "offset") != NULL || strstr(msg, "fuzz") != NULL)
		fail_msg("patch (status %d) says: %s\ndiff:\n%s", st, msg, diff);
	got = read_file(dir, "b.txt", &len);
	if (len != strlen(b) || memcmp(got, b, len) != 0)
		fail_msg("patch made\n%s\ninstead of\n%s\nfrom diff\n%s", got, b, diff);
	free(got);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Reads a hunk header's "l,s" or "l"; *first is 0-based. */
static const char *
parse_range(const char *p, size_t *first, size_t *len)
{
	char *e;
	unsigned long l, s = 1;

	l = strtoul(p, &e, 10);
	assert_true(e != p);
	if (*e == ',') {
		p = e + 1;
		s = strtoul(p, &e, 10);
		assert_true(e != p);
	}
	/* a side without lines names the line before it */
	*first = s == 0 ? l : l - 1;
	assert_true(s == 0 || l >= 1);
	*len = s;
	return e;
}

/* Property 3: hunk headers agree with their bodies, the lines given as the
 * old and the new side are those texts' lines at those places, the lines
 * left out before, between and after hunks are the same in both texts,
 * hunks come in order with at least one line left out between them, and
 * each has 3 lines of context at either end unless a text ends there. */
static void
check_hunks(const char *a, const char *b, const char *diff)
{
	struct tlines x, y;
	const char *p = diff, *e;
	size_t fa, la, fb, lb, ia = 0, ib = 0, ctx, lead, k;
	int nonl;
	char tag;

	if (*diff == '\0') {
		assert_string_equal(a, b);
		return;
	}
	assert_memory_equal(p, "--- old\n+++ new\n", 16);
	p += 16;
	assert_true(*p == '@');
	tlines_split(&x, a);
	tlines_split(&y, b);
	while (*p != '\0') {
		assert_memory_equal(p, "@@ -", 4);
		p = parse_range(p + 4, &fa, &la);
		assert_memory_equal(p, " +", 2);
		p = parse_range(p + 2, &fb, &lb);
		assert_memory_equal(p, " @@\n", 4);
		p += 4;
		assert_true(fa + la <= x.n && fb + lb <= y.n);
		assert_true(ia == 0 || fa > ia);
		assert_int_equal(fa - ia, fb - ib);
		for (k = 0; k < fa - ia; k++)
			assert_true(tline_eq(&x, ia + k, &y, ib + k));
		ia = fa, ib = fb, ctx = 0, lead = (size_t)-1;
		while (*p != '\0' && *p != '@') {
			tag = *p++;
			assert_true(tag == ' ' || tag == '-' || tag == '+');
			assert_non_null(e = strchr(p, '\n'));
			e++;
			nonl = strncmp(e, "\\ No newline at end of file\n", 28) == 0;
			if (tag != '+') {
				assert_true(ia < fa + la);
				assert_int_equal(x.len[ia], (size_t)(e - p) - nonl);
				assert_memory_equal(x.p[ia], p, x.len[ia]);
				ia++;
			}
			if (tag != '-') {
				assert_true(ib < fb + lb);
				assert_int_equal(y.len[ib], (size_t)(e - p) - nonl);
				assert_memory_equal(y.p[ib], p, y.len[ib]);
				ib++;
			}
			if (tag == ' ')
				ctx++;
			else {
				if (lead == (size_t)-1)
					lead = ctx;
				assert_true(ctx <= 6);	/* else a new hunk */
				ctx = 0;
			}
			p = e + (nonl ? 28 : 0);
		}
		assert_int_equal(ia, fa + la);
		assert_int_equal(ib, fb + lb);
		assert_true(lead != (size_t)-1);	/* some change in every hunk */
		assert_true(lead == 3 || (lead < 3 && fa == 0 && fb == 0));
		assert_true(ctx == 3 || (ctx < 3 && ia == x.n && ib == y.n));
	}
	assert_int_equal(x.n - ia, y.n - ib);
	for (k = 0; ia + k < x.n; k++)
		assert_true(tline_eq(&x, ia + k, &y, ib + k));
	tlines_free(&x);
	tlines_free(&y);
}

/* text_diff(a, b) checked for properties 1-3 (2 only if minimal != 0);
 * the caller frees the diff. */
static char *
check_diff(const char *a, const char *b, int minimal)
{
	char *got = text_diff(a, b, "old", "new");

	assert_non_null(got);
	if (strcmp(a, b) == 0) {
		assert_string_equal(got, "");
		return got;
	}
	check_hunks(a, b, got);
	check_patch(a, b, got);
	if (minimal && count_edits(got) != edit_distance(a, b))
		fail_msg("%zu edits where %zu do:\n%s", count_edits(got),
		    edit_distance(a, b), got);
	return got;
}

static void
test_diff_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(diff_cases); i++) {
		char *got = check_diff(diff_cases[i].a, diff_cases[i].b, 1);

		if (strcmp(got, diff_cases[i].diff) != 0)
			fail_msg("case %zu:\n%s\nexpected:\n%s", i, got,
			    diff_cases[i].diff);
		free(got);
	}
	/* the labels head the diff as given */
	{
		char *got = text_diff("a\n", "b\n", "revision 3", "copy from am");

		assert_non_null(got);
		assert_string_equal(got, "--- revision 3\n+++ copy from am\n"
		    "@@ -1 +1 @@\n-a\n+b\n");
		free(got);
	}
}

static uint32_t
prng(uint32_t *s)	/* xorshift32: the same numbers on every libc */
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* n lines drawn from the first alpha of a few, so that shortest edit
 * scripts tie a lot. */
static char *
gen_text(size_t n, unsigned alpha, uint32_t *seed)
{
	static const char *w[] = { "a", "b", "", "}", "to cease fire", "\t{",
		"Day X", "b ", "x" };
	char *s = malloc(n * 16 + 1), *p = s;
	size_t i;

	assert_non_null(s);
	for (*p = '\0', i = 0; i < n; i++)
		p += sprintf(p, "%s\n", w[prng(seed) % alpha]);
	return s;
}

static void
test_diff_random(void **state)
{
	uint32_t seed = 0x1994a5e1;
	unsigned it;
	char *a, *b;

	(void)state;
	for (it = 0; it < 400; it++) {
		unsigned alpha = 2 + it % 5;

		a = gen_text(prng(&seed) % (it < 300 ? 13 : 41), alpha, &seed);
		if (it % 7 == 3) {	/* b a one-byte edit of a */
			assert_non_null(b = strdup(a));
			if (*b != '\0')
				b[prng(&seed) % strlen(b)] = 'x';
		} else
			b = gen_text(prng(&seed) % (it < 300 ? 13 : 41), alpha, &seed);
		if (it % 5 == 0 && *a != '\0')
			a[strlen(a) - 1] = '\0';
		if (it % 6 == 1 && *b != '\0')
			b[strlen(b) - 1] = '\0';
		free(check_diff(a, b, 1));
		free(check_diff(b, a, 1));
		free(a);
		free(b);
	}
	/* a few longer ones, still against the quadratic table */
	for (it = 0; it < 10; it++) {
		a = gen_text(200 + prng(&seed) % 200, 3, &seed);
		b = gen_text(200 + prng(&seed) % 200, 3, &seed);
		free(check_diff(a, b, 1));
		free(a);
		free(b);
	}
}

static void
test_diff_large(void **state)
{
	uint32_t seed = 1994;
	char *a, *b, *p, *got;
	size_t i, edits = 0, r;

	(void)state;
	/* 5000 lines, half of them alike, with edits about every 60 lines:
	 * a diff no longer than those edits, that patch applies */
	assert_non_null(a = malloc(5000 * 24));
	assert_non_null(b = malloc(5000 * 48));
	for (i = 0, p = a; i < 5000; i++)
		p += i % 2 ? sprintf(p, "Article %zu.\n", i) :
		    sprintf(p, "%s\n", i % 4 ? "}" : "");
	{
		struct tlines x;

		tlines_split(&x, a);
		for (i = 0, p = b; i < x.n; i++) {
			r = prng(&seed) % 60;
			if (r == 0)	/* deleted */
				edits++;
			else if (r == 1) {	/* changed */
				p += sprintf(p, "Article %zu, amended.\n", i);
				edits += 2;
			} else {
				if (r == 2) {	/* a line inserted before */
					p += sprintf(p, "%s\n", i % 3 ? "" : "New line.");
					edits++;
				}
				memcpy(p, x.p[i], x.len[i]);
				p += x.len[i];
			}
		}
		*p = '\0';
		tlines_free(&x);
	}
	got = check_diff(a, b, 0);
	assert_true(count_edits(got) <= edits);
	free(got);
	free(a);
	free(b);

	/* Two unrelated 4000-line texts: D = 8000, past the cost cap, yet
	 * the diff must still be right (and is minimal, as nothing is kept). */
	assert_non_null(a = malloc(4000 * 8));
	assert_non_null(b = malloc(4000 * 8));
	for (i = 0, p = a; i < 4000; i++)
		p += sprintf(p, "a%zu\n", i);
	for (i = 0, p = b; i < 4000; i++)
		p += sprintf(p, "b%zu\n", i);
	got = check_diff(a, b, 0);
	assert_int_equal(count_edits(got), 8000);
	free(got);
	free(a);
	free(b);

	/* Two random 3000-line texts over 6 lines: thousands of edits amid
	 * many kept lines, past the cap as well. */
	a = gen_text(3000, 6, &seed);
	b = gen_text(3000, 6, &seed);
	free(check_diff(a, b, 0));
	free(a);
	free(b);
}

/* ---- first difference ----------------------------------------------- */

#define CEASEFIRE \
	"The sides cease fire at 00:01 on May 12, 1994.\n" \
	"\n" \
	"To ensure a complete ceasefire, the sides will meet in Moscow by May 20.\n" \
	"This agreement comes into force when the Mediator notifies receipt.\n"

#define ZH10 "ЖЖЖЖЖЖЖЖЖЖ"

static const struct {
	const char *a, *b;
	int rc;
	const char *msg;
} first_cases[] = {
	{ CEASEFIRE, CEASEFIRE, 0, "" },
	{ "", "", 0, "" },
	{ CEASEFIRE,
	  "The sides cease fire at 00:01 on May 12, 1994.\n\n"
	  "To extend the ceasefire, the sides will meet.\n"
	  "This agreement comes into force when the Mediator notifies receipt.\n",
	  1, "line 3 differs: expected \"To ensure a complete ceasefire, the sides "
	  "will meet in Mosco...\" but the copy has \"To extend the ceasefire, "
	  "the sides will meet.\"" },
	{ "a\nb\nc\n", "a\nb\nc\nd\ne\n", 1, "the copy has 2 extra lines after line 3" },
	{ "a\nb\nc\n", "a\nb\nc\nd", 1, "the copy has 1 extra line after line 3" },
	{ "a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nd\n", 1, "the copy ends after line 4 of 7" },
	{ "a\nb\nc\n", "a\nb", 1, "the copy ends after line 2 of 3" },
	{ "a\nb\n", "", 1, "the copy ends after line 0 of 2" },
	{ "", "a\n", 1, "the copy has 1 extra line after line 0" },
	{ "a\nb\n", "a\nb", 1, "line 2 differs: the copy lacks the final newline" },
	{ "a\nb", "a\nb\n", 1, "line 2 differs: the copy adds a final newline" },
	{ "a\n\tb\n", "a\n\tc\n", 1, "line 2 differs: expected \"?b\" but the copy has \"?c\"" },
	/* cut after 60 characters, not 60 bytes, and never inside one */
	{ ZH10 ZH10 ZH10 ZH10 ZH10 ZH10 "Ж\n", "Ж\n", 1,
	  "line 1 differs: expected \"" ZH10 ZH10 ZH10 ZH10 ZH10 ZH10
	  "...\" but the copy has \"Ж\"" },
};

static void
test_first_difference(void **state)
{
	char out[512];
	size_t i;

	(void)state;
	for (i = 0; i < LEN(first_cases); i++) {
		memset(out, 'x', sizeof(out));
		assert_int_equal(text_first_difference(first_cases[i].a,
		    first_cases[i].b, out, sizeof(out)), first_cases[i].rc);
		assert_string_equal(out, first_cases[i].msg);
	}
	/* A small buffer gets a cut, terminated message. */
	assert_int_equal(text_first_difference("a\n", "b\n", out, 8), 1);
	assert_string_equal(out, "line 1 ");
	assert_int_equal(text_first_difference("a\n", "b\n", NULL, 0), 1);
}

/* One line shown as it is: no line break of any spelling, nothing a
 * terminal would not show. */
static void
test_one_line(void **state)
{
	static const struct { const char *s; int ok; } t[] = {
		{ "sector 4, 08:30", 1 },
		{ "Прекращение огня, Հրադադար", 1 },
		{ "tab\tinside", 1 },
		{ "", 1 },
		{ "a\nb", 0 }, { "a\rb", 0 }, { "trailing\n", 0 },
		{ "a\xe2\x80\xa8" "b", 0 },	/* U+2028 */
		{ "a\xe2\x80\xa9", 0 },	/* U+2029 at the end */
		{ "a\xe2\x80\xa6" "b", 1 },	/* U+2026, an ellipsis */
		{ "a\x1b[2Jb", 0 },
		{ "a\xe2\x80\xae" "b", 0 },	/* U+202E, bidi override */
		{ "\xe2\x80", 0 },		/* truncated */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(text_one_line(t[i].s, strlen(t[i].s)), t[i].ok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_ident),
		cmocka_unit_test(test_diff_table),
		cmocka_unit_test(test_diff_random),
		cmocka_unit_test(test_diff_large),
		cmocka_unit_test(test_first_difference),
		cmocka_unit_test(test_one_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
