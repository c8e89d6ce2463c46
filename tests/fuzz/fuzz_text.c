/* fuzz_text: the text path of proto/text.h on two texts, the input's two
 * halves (a = first half, b = second).  Checked against independent
 * reference code in this file:
 *  - text_utf8_len at every offset of a and b, and text_utf8_valid on
 *    both, agree with the table of well-formed sequences in the Unicode
 *    standard (ch. 3, table 3-7), NUL excluded; whatever text_one_line
 *    takes has no line break of any spelling;
 *  - text_normalize leaves no CR, turns CRLF and lone CR into LF, and is
 *    idempotent; ident_valid agrees with its rule;
 *  - text_diff(a', b') of the normalised texts (up to a NUL) is "" exactly
 *    when they are equal, and otherwise is a unified diff whose hunks,
 *    applied to a', give exactly b' (hunk headers included);
 *  - text_first_difference says "" and 0 exactly when they are equal, and
 *    its output cut to a small buffer is a prefix of the full one. */
#include <string.h>

#include "fuzz.h"
#include "proto/text.h"

/* Length of the well-formed sequence at s[0..n), per Unicode table 3-7. */
static size_t
ref_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] <= 0x7f)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static void
check_utf8(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k, want;
	int valid = 1;

	for (i = 0; i < n; i++) {
		want = ref_utf8_len(u + i, n - i);
		k = text_utf8_len(s + i, n - i);
		FUZZ_CHECK(k == want, "text_utf8_len at offset %zu (0x%02x) is %zu, "
		    "not %zu", i, u[i], k, want);
	}
	for (i = 0; i < n; i += k)
		if (u[i] == 0 || (k = ref_utf8_len(u + i, n - i)) == 0) {
			valid = 0;
			break;
		}
	FUZZ_CHECK(text_utf8_valid(s, n) == valid, "text_utf8_valid of %zu bytes "
	    "is %d, not %d", n, !valid, valid);
	/* one line: displayable, and no line break of any spelling */
	if (text_one_line(s, n))
		FUZZ_CHECK(text_displayable(s, n, NULL, 0) == 0 && memchr(s, '\n', n) == NULL &&
		    memchr(s, '\r', n) == NULL && memmem(s, n, "\xe2\x80\xa8", 3) == NULL &&
		    memmem(s, n, "\xe2\x80\xa9", 3) == NULL, "text_one_line took %zu bytes with a "
		    "line break or a control character", n);
}

static int
ref_ident_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 32)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    (i > 0 && (s[i] == '-' || s[i] == '_'))))
			return 0;
	return 1;
}

/* text_normalize(s), checked; the result is NUL-terminated, caller frees. */
static char *
normalize(const char *s, size_t n, size_t *outlen)
{
	char *t, *t2;
	size_t i, j = 0, n2;

	t = text_normalize(s, n, outlen);
	FUZZ_CHECK(t != NULL, "text_normalize failed on %zu bytes", n);
	FUZZ_CHECK(t[*outlen] == '\0', "not NUL-terminated");
	for (i = 0; i < n; i++, j++) {
		FUZZ_CHECK(j < *outlen, "normalised text too short");
		if (s[i] == '\r') {
			FUZZ_CHECK(t[j] == '\n', "CR at %zu not turned into LF", i);
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
		} else
			FUZZ_CHECK(t[j] == s[i], "byte %zu changed", i);
	}
	FUZZ_CHECK(j == *outlen, "normalised text is %zu bytes, not %zu", *outlen, j);
	t2 = text_normalize(t, *outlen, &n2);
	FUZZ_CHECK(t2 != NULL && n2 == *outlen && memcmp(t, t2, n2) == 0,
	    "text_normalize is not idempotent");
	free(t2);
	return t;
}

/* The next line of a diff: its start and length without its LF. */
static const char *
diff_line(const char **p, size_t *len)
{
	const char *s = *p, *nl;

	if (*s == '\0')
		return NULL;
	nl = strchr(s, '\n');
	FUZZ_CHECK(nl != NULL, "diff line without LF: \"%s\"", s);
	*len = (size_t)(nl - s);
	*p = nl + 1;
	return s;
}

static void
parse_range(const char **q, long *start, long *len)
{
	char *end;

	*start = strtol(*q, &end, 10);
	*len = 1;
	if (*end == ',')
		*len = strtol(end + 1, &end, 10);
	*q = end;
}

/* Apply the unified diff d to the text a; the result must be exactly b. */
static void
check_patch(const char *d, const char *a, const char *b)
{
	const char *p = d, *l, *ap = a, *line, *q;
	size_t n, alen = strlen(a), blen = strlen(b), cap = alen + blen + 1, olen = 0;
	long os, ol, ns, nl, aline = 0, oline = 0, seen_o, seen_n;
	char *out = malloc(cap), tag;

	FUZZ_CHECK(out != NULL, "out of memory");
	FUZZ_CHECK((l = diff_line(&p, &n)) && n == 5 && !memcmp(l, "--- a", 5),
	    "bad first diff line");
	FUZZ_CHECK((l = diff_line(&p, &n)) && n == 5 && !memcmp(l, "+++ b", 5),
	    "bad second diff line");
	FUZZ_CHECK(*p != '\0', "a diff of different texts has no hunk");
	while ((l = diff_line(&p, &n)) != NULL) {
		FUZZ_CHECK(n > 4 && !memcmp(l, "@@ -", 4), "expected a hunk header, "
		    "got \"%.*s\"", (int)n, l);
		q = l + 4;
		parse_range(&q, &os, &ol);
		FUZZ_CHECK(!memcmp(q, " +", 2), "bad hunk header");
		q += 2;
		parse_range(&q, &ns, &nl);
		FUZZ_CHECK(!memcmp(q, " @@\n", 4), "bad hunk header end");
		os = ol == 0 ? os : os - 1;
		ns = nl == 0 ? ns : ns - 1;
		FUZZ_CHECK(os >= aline, "hunks overlap or go backwards");
		for (; aline < os; aline++, oline++) {	/* unchanged lines */
			FUZZ_CHECK(*ap != '\0', "hunk starts past the end of a");
			n = strcspn(ap, "\n") + (ap[strcspn(ap, "\n")] == '\n');
			FUZZ_CHECK(olen + n < cap, "patched text too long");
			memcpy(out + olen, ap, n), olen += n, ap += n;
		}
		FUZZ_CHECK(oline == ns, "hunk says new line %ld, it is %ld", ns + 1,
		    oline + 1);
		seen_o = seen_n = 0;
		while (*p == ' ' || *p == '-' || *p == '+') {
			line = diff_line(&p, &n);
			tag = line[0], line++, n--;
			if (*p == '\\') {		/* "\ No newline at end of file" */
				FUZZ_CHECK(!strncmp(p, "\\ No newline at end of file\n", 28),
				    "bad no-newline marker");
				p += 28;
			} else
				n++;			/* the line's own LF */
			if (tag != '+') {
				FUZZ_CHECK(n > 0 && strlen(ap) >= n && !memcmp(ap, line, n) &&
				    (line[n - 1] == '\n' || ap[n] == '\0'),
				    "diff line %c\"%.*s\" is not line %ld of a", tag,
				    (int)n, line, aline + 1);
				ap += n, aline++, seen_o++;
			}
			if (tag != '-') {
				FUZZ_CHECK(olen + n < cap, "patched text too long");
				memcpy(out + olen, line, n), olen += n;
				oline++, seen_n++;
			}
		}
		FUZZ_CHECK(seen_o == ol && seen_n == nl, "hunk header says -%ld +%ld, "
		    "hunk has -%ld +%ld", ol, nl, seen_o, seen_n);
	}
	n = strlen(ap);
	FUZZ_CHECK(olen + n < cap, "patched text too long");
	memcpy(out + olen, ap, n), olen += n;
	FUZZ_CHECK(olen == blen && memcmp(out, b, blen) == 0,
	    "the diff applied to a does not give b");
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *a = (const char *)data, *b = a + size / 2;
	size_t na = size / 2, nb = size - size / 2, la, lb;
	char *ta, *tb, *d, full[512], small[12];
	int eq, rc;

	check_utf8(a, na);
	check_utf8(b, nb);
	ta = normalize(a, na, &la);
	tb = normalize(b, nb, &lb);
	FUZZ_CHECK(ident_valid(ta) == ref_ident_valid(ta), "ident_valid(\"%s\") "
	    "is wrong", ta);

	eq = strcmp(ta, tb) == 0;
	d = text_diff(ta, tb, "a", "b");
	FUZZ_CHECK(d != NULL, "text_diff failed");
	if (eq)
		FUZZ_CHECK(*d == '\0', "diff of equal texts is not empty");
	else
		check_patch(d, ta, tb);
	free(d);

	rc = text_first_difference(ta, tb, full, sizeof(full));
	FUZZ_CHECK(rc == !eq && (full[0] == '\0') == eq, "text_first_difference "
	    "is %d (\"%s\") for %s texts", rc, full, eq ? "equal" : "different");
	rc = text_first_difference(ta, tb, small, sizeof(small));
	FUZZ_CHECK(rc == !eq && strncmp(full, small, strlen(small)) == 0 &&
	    strlen(small) == (strlen(full) < sizeof(small) ? strlen(full) :
	    sizeof(small) - 1), "cut output \"%s\" is not a prefix of \"%s\"",
	    small, full);
	free(ta);
	free(tb);
	return 0;
}
