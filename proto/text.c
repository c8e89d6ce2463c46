#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

size_t
text_utf8_len(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp, min;
	size_t len, i;

	if (n == 0)
		return 0;
	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xc2 && u[0] <= 0xdf)	/* C0 and C1 only start overlongs */
		len = 2, min = 0x80, cp = u[0] & 0x1f;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		len = 3, min = 0x800, cp = u[0] & 0x0f;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		len = 4, min = 0x10000, cp = u[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (u[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int
text_utf8_valid(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if (s[i] == '\0' || (k = text_utf8_len(s + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

int
text_check(const char *s, size_t n, char *why, size_t whylen)
{
	size_t i = 0, k;
	int line = 1;

	while (i < n) {
		if (s[i] == '\0') {
			snprintf(why, whylen, "line %d: a NUL byte (what follows it would be shown "
			    "but not signed)", line);
			return -1;
		}
		if ((k = text_utf8_len(s + i, n - i)) == 0) {
			snprintf(why, whylen, "line %d: not valid UTF-8", line);
			return -1;
		}
		if (s[i] == '\n')
			line++;
		i += k;
	}
	return 0;
}

int
text_one_line(const char *s, size_t n)
{
	size_t i;

	if (text_displayable(s, n, NULL, 0) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '\n' || s[i] == '\r' || (i + 2 < n && memcmp(s + i, "\xe2\x80", 2) == 0 &&
		    (s[i + 2] == '\xa8' || s[i + 2] == '\xa9')))
			return 0;
	return 1;
}

int
text_displayable(const char *s, size_t n, char *why, size_t whylen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;
	unsigned cp;
	int line = 1;

	while (i < n) {
		if ((k = text_utf8_len(s + i, n - i)) == 0) {
			snprintf(why, whylen, "line %d: not valid UTF-8", line);
			return -1;
		}
		cp = u[i];
		if (k == 2)
			cp = (u[i] & 0x1fu) << 6 | (u[i + 1] & 0x3fu);
		else if (k == 3)
			cp = (u[i] & 0x0fu) << 12 | (u[i + 1] & 0x3fu) << 6 | (u[i + 2] & 0x3fu);
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7f ||
		    (k == 2 && cp >= 0x80 && cp <= 0x9f) ||
		    (k == 3 && ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)))) {
			snprintf(why, whylen, "line %d: the control character U+%04X, which a "
			    "terminal would not show as it is", line, cp);
			return -1;
		}
		if (s[i] == '\n')
			line++;
		i += k;
	}
	return 0;
}

char *
text_normalize(const char *s, size_t n, size_t *outlen)
{
	char *out;
	size_t i, j = 0;

	if (n == SIZE_MAX || (out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] != '\r')
			out[j++] = s[i];
		else {
			out[j++] = '\n';
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
		}
	}
	out[j] = '\0';
	if (outlen != NULL)
		*outlen = j;
	return out;
}

int
text_first_diff_line(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;
	int line = 1;

	for (i = 0; i < n && a[i] == b[i]; i++)
		if (a[i] == '\n')
			line++;
	return i == n && alen == blen ? 0 : line;
}

int
ident_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i == 32)
			return 0;
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (i > 0 && (s[i] == '-' || s[i] == '_'))
			continue;
		return 0;
	}
	return i > 0;
}

/*
 * Line diff, written from E. W. Myers, "An O(ND) Difference Algorithm and Its
 * Variations", Algorithmica 1 (1986) 251-266, section 4b (linear space).
 *
 * The texts are cut into lines, each with its '\n' if it has one (so a last
 * line without it differs from the same line with it), and every distinct
 * line gets a number through a hash table; lines then compare as numbers.
 *
 * In the edit graph of a (n lines, along x) and b (m lines, along y), a path
 * from (0,0) to (n,m) moves right (a line of a is deleted), down (a line of b
 * is inserted) or, where a[x] == b[y], diagonally (the line is kept).  The
 * shortest edit scripts are the paths with the fewest non-diagonal moves, D.
 * Diagonal k holds the points with x - y == k.  The greedy search finds, for
 * d = 0, 1, 2, ..., the furthest point on each diagonal that a path with d
 * non-diagonal moves reaches from (0,0); run forward from (0,0) and backward
 * from (n,m) at once, the two searches first meet on a diagonal after about
 * D/2 steps each, at a point that cuts a shortest path into two halves of
 * about D/2 edits.  Both halves are solved the same way.  Time is O((n+m)D),
 * memory O(n+m), recursion depth O(log D).
 *
 * Cost cap: one search gives up after DIFF_MAX_STEPS steps each way and cuts
 * its problem at the furthest point the forward search reached instead.  That
 * point lies on a path from the start with DIFF_MAX_STEPS edits, so the diff
 * stays correct, but it may be longer than the shortest.  As a search over a
 * problem of D edits ends after about D/2 steps, this can only happen when
 * the texts need more than 2 * DIFF_MAX_STEPS line edits (deletions plus
 * insertions).  Each search then costs O((n+m) * DIFF_MAX_STEPS) at most.
 */

#define DIFF_CONTEXT 3
#define DIFF_MAX_STEPS 1024

struct dline {
	const char *p;
	size_t len;		/* with the '\n', if there is one */
};

struct dtext {
	struct dline *line;
	size_t *num;		/* number of each line's content */
	char *edit;		/* 1: the line is deleted (a) / inserted (b) */
	ptrdiff_t n;
};

struct dsearch {
	const size_t *a, *b;
	char *del, *ins;
	ptrdiff_t *fwd, *bwd;	/* furthest x by diagonal; na + nb + 1 each */
};

struct dchange {
	ptrdiff_t x, y;		/* first line concerned in a and in b */
	ptrdiff_t del, ins;
};

struct dbuf {
	char *p;
	size_t len, cap;
	int failed;
};

static int
dtext_init(struct dtext *t, const char *s)
{
	const char *p, *e;
	ptrdiff_t i, n = 0;

	for (p = s; *p != '\0'; n++)
		p = (e = strchr(p, '\n')) != NULL ? e + 1 : p + strlen(p);
	t->n = n;
	if ((t->line = calloc((size_t)n + 1, sizeof(*t->line))) == NULL ||
	    (t->num = calloc((size_t)n + 1, sizeof(*t->num))) == NULL ||
	    (t->edit = calloc((size_t)n + 1, 1)) == NULL)
		return -1;
	for (i = 0, p = s; i < n; p += t->line[i++].len) {
		e = strchr(p, '\n');
		t->line[i].p = p;
		t->line[i].len = e != NULL ? (size_t)(e + 1 - p) : strlen(p);
	}
	return 0;
}

static void
dtext_free(struct dtext *t)
{
	free(t->line);
	free(t->num);
	free(t->edit);
}

static uint64_t
dline_hash(const struct dline *l)
{
	uint64_t h = 0xcbf29ce484222325u;	/* FNV-1a, 64 bits */
	size_t i;

	for (i = 0; i < l->len; i++)
		h = (h ^ (unsigned char)l->p[i]) * 0x100000001b3u;
	return h;
}

/* Give equal lines of a and b equal numbers, different lines different ones.
 * -1 on OOM. */
static int
number_lines(struct dtext *ta, struct dtext *tb)
{
	struct dtext *t;
	const struct dline *l, **rep = NULL;
	uint64_t h, *rhash = NULL;
	size_t total = (size_t)ta->n + (size_t)tb->n, size = 16, *slot = NULL;
	size_t i, count = 0;
	ptrdiff_t j;
	int rc = -1;

	while (size < 2 * total)
		if ((size *= 2) > SIZE_MAX / 4)
			return -1;
	/* slot: 0 if free, else 1 + the number of the line kept there;
	 * rep / rhash: the first line given each number, and its hash. */
	if ((slot = calloc(size, sizeof(*slot))) == NULL ||
	    (rep = calloc(total + 1, sizeof(*rep))) == NULL ||
	    (rhash = calloc(total + 1, sizeof(*rhash))) == NULL)
		goto out;
	for (t = ta; t != NULL; t = t == ta ? tb : NULL)
		for (j = 0; j < t->n; j++) {
			l = &t->line[j];
			h = dline_hash(l);
			for (i = (size_t)h & (size - 1); slot[i] != 0; i = (i + 1) & (size - 1))
				if (rhash[slot[i] - 1] == h && rep[slot[i] - 1]->len == l->len &&
				    memcmp(rep[slot[i] - 1]->p, l->p, l->len) == 0)
					break;
			if (slot[i] == 0) {
				rep[count] = l;
				rhash[count] = h;
				slot[i] = ++count;
			}
			t->num[j] = slot[i] - 1;
		}
	rc = 0;
out:
	free(slot);
	free(rep);
	free(rhash);
	return rc;
}

/* The lowest diagonal >= lo, and the highest <= hi, of the same parity. */
static ptrdiff_t
diag_lo(ptrdiff_t lo, ptrdiff_t min)
{
	return lo >= min ? lo : (min - lo) % 2 == 0 ? min : min + 1;
}

static ptrdiff_t
diag_hi(ptrdiff_t hi, ptrdiff_t max)
{
	return hi <= max ? hi : (hi - max) % 2 == 0 ? max : max - 1;
}

/*
 * A point (*cx,*cy) where a shortest path from (0,0) to (n,m) in the edit graph
 * of a[0..n) and b[0..m) can be cut.  Needs n, m >= 1, a[0] != b[0] and
 * a[n-1] != b[m-1], so that D >= 2 and both parts are smaller problems.
 *
 * fw[k] is the furthest x on diagonal k that the forward search has reached,
 * bw[k] the least x the backward search has reached; step d only writes the
 * diagonals of d's parity (forward) or of (n-m+d)'s (backward), reading the
 * other parity from step d-1.  Only diagonals -m..n cross the box; a move that
 * would leave it stops at its edge, which is still no more than d edits away.
 * As the cost of reaching a point from (0,0) only grows along a diagonal and
 * the cost of going on from it to (n,m) only shrinks, when the forward reach
 * on a diagonal passes the backward one, every point between them lies on a
 * path of the d_f + d_b edits spent so far, and as the searches meet as soon
 * as they can, that is D.  D has the parity of n - m: if odd, the searches
 * meet in a forward step, else in a backward one.
 */
static void
split_point(const struct dsearch *s, const size_t *a, ptrdiff_t n,
    const size_t *b, ptrdiff_t m, ptrdiff_t *cx, ptrdiff_t *cy)
{
	ptrdiff_t *fw = s->fwd + m, *bw = s->bwd + m;	/* diagonal -m is [0] */
	ptrdiff_t delta = n - m, flo = 0, fhi = 0, blo = delta, bhi = delta;
	ptrdiff_t d, k, x, y, lo, hi, far;
	int odd = delta % 2 != 0;

	fw[0] = 0;		/* the first lines differ: no snake at d = 0 */
	bw[delta] = n;		/* nor do the last */
	for (d = 1; d <= DIFF_MAX_STEPS; d++) {
		lo = diag_lo(-d, -m), hi = diag_hi(d, n);
		for (k = lo; k <= hi; k += 2) {
			if (k + 1 <= fhi && (k - 1 < flo || fw[k + 1] > fw[k - 1]))
				x = fw[k + 1];		/* down from diagonal k+1 */
			else
				x = fw[k - 1] + 1;	/* right from diagonal k-1 */
			if (x > n)
				x = n;
			if (x - k > m)
				x = m + k;
			for (y = x - k; x < n && y < m && a[x] == b[y]; x++, y++)
				;
			fw[k] = x;
			if (odd && blo <= k && k <= bhi && x >= bw[k]) {
				*cx = x, *cy = y;
				return;
			}
		}
		flo = lo, fhi = hi;

		lo = diag_lo(delta - d, -m), hi = diag_hi(delta + d, n);
		for (k = lo; k <= hi; k += 2) {
			if (k - 1 >= blo && (k + 1 > bhi || bw[k - 1] < bw[k + 1]))
				x = bw[k - 1];		/* up from diagonal k-1 */
			else
				x = bw[k + 1] - 1;	/* left from diagonal k+1 */
			if (x < 0)
				x = 0;
			if (x < k)
				x = k;
			for (y = x - k; x > 0 && y > 0 && a[x - 1] == b[y - 1]; x--, y--)
				;
			bw[k] = x;
			if (!odd && flo <= k && k <= fhi && x <= fw[k]) {
				*cx = x, *cy = y;
				return;
			}
		}
		blo = lo, bhi = hi;
	}

	/* Past the cap: the forward point with the most progress (x + y). */
	for (far = -1, k = flo; k <= fhi; k += 2)
		if (2 * fw[k] - k > far) {
			far = 2 * fw[k] - k;
			*cx = fw[k], *cy = fw[k] - k;
		}
	if (far <= 0 || (*cx == n && *cy == m))
		*cx = n, *cy = 0;	/* cannot happen; replacing all is correct */
}

/* Mark the deletions and insertions of a shortest edit script from
 * a[x0..x1) to b[y0..y1). */
static void
diff_box(const struct dsearch *s, ptrdiff_t x0, ptrdiff_t x1, ptrdiff_t y0,
    ptrdiff_t y1)
{
	ptrdiff_t cx, cy;

	for (;;) {
		while (x0 < x1 && y0 < y1 && s->a[x0] == s->b[y0])
			x0++, y0++;
		while (x0 < x1 && y0 < y1 && s->a[x1 - 1] == s->b[y1 - 1])
			x1--, y1--;
		if (x0 == x1 || y0 == y1)
			break;
		split_point(s, s->a + x0, x1 - x0, s->b + y0, y1 - y0, &cx, &cy);
		/* Recurse into the first part, loop on the second. */
		diff_box(s, x0, x0 + cx, y0, y0 + cy);
		x0 += cx, y0 += cy;
	}
	while (x0 < x1)
		s->del[x0++] = 1;
	while (y0 < y1)
		s->ins[y0++] = 1;
}

static void
dbuf_add(struct dbuf *o, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (o->failed)
		return;
	if (n >= o->cap - o->len) {
		for (cap = o->cap != 0 ? o->cap : 1024; n >= cap - o->len; cap *= 2)
			if (cap > SIZE_MAX / 2) {
				o->failed = 1;
				return;
			}
		if ((p = realloc(o->p, cap)) == NULL) {
			o->failed = 1;
			return;
		}
		o->p = p, o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void
dbuf_str(struct dbuf *o, const char *s)
{
	dbuf_add(o, s, strlen(s));
}

static void
put_line(struct dbuf *o, const char *tag, const struct dline *l)
{
	dbuf_add(o, tag, 1);
	dbuf_add(o, l->p, l->len);
	if (l->p[l->len - 1] != '\n')
		dbuf_str(o, "\n\\ No newline at end of file\n");
}

/* "start,len" of a hunk's side, start counted from 1; a side without lines
 * names the line before it, and a length of 1 is left out. */
static void
put_range(struct dbuf *o, ptrdiff_t first, ptrdiff_t len)
{
	char buf[64];

	if (len == 1)
		snprintf(buf, sizeof(buf), "%td", first + 1);
	else if (len == 0)
		snprintf(buf, sizeof(buf), "%td,0", first);
	else
		snprintf(buf, sizeof(buf), "%td,%td", first + 1, len);
	dbuf_str(o, buf);
}

/* One hunk: the changes c[0..nc) with up to DIFF_CONTEXT unchanged lines
 * before the first and after the last.  Unchanged lines sit at the same
 * distance from a change in both texts. */
static void
put_hunk(struct dbuf *o, const struct dtext *ta, const struct dtext *tb,
    const struct dchange *c, size_t nc)
{
	const struct dchange *z = &c[nc - 1];
	ptrdiff_t before, after, x, y, k;
	size_t i;

	before = c->x < DIFF_CONTEXT ? c->x : DIFF_CONTEXT;
	after = ta->n - (z->x + z->del);
	if (after > DIFF_CONTEXT)
		after = DIFF_CONTEXT;
	x = c->x - before, y = c->y - before;
	dbuf_str(o, "@@ -");
	put_range(o, x, z->x + z->del + after - x);
	dbuf_str(o, " +");
	put_range(o, y, z->y + z->ins + after - y);
	dbuf_str(o, " @@\n");
	for (i = 0; i < nc; i++) {
		for (; x < c[i].x; x++, y++)
			put_line(o, " ", &ta->line[x]);
		for (k = 0; k < c[i].del; k++)
			put_line(o, "-", &ta->line[x++]);
		for (k = 0; k < c[i].ins; k++)
			put_line(o, "+", &tb->line[y++]);
	}
	for (k = 0; k < after; k++)
		put_line(o, " ", &ta->line[x++]);
}

char *
text_diff(const char *a, const char *b, const char *label_a, const char *label_b)
{
	struct dtext ta = { 0 }, tb = { 0 };
	struct dsearch s = { 0 };
	struct dchange *ch = NULL, *c;
	struct dbuf o = { 0 };
	ptrdiff_t x, y;
	size_t nch = 0, i, j;
	char *res = NULL;

	if (strcmp(a, b) == 0)
		return strdup("");
	if (dtext_init(&ta, a) != 0 || dtext_init(&tb, b) != 0 ||
	    number_lines(&ta, &tb) != 0 ||
	    (s.fwd = calloc((size_t)ta.n + tb.n + 1, sizeof(*s.fwd))) == NULL ||
	    (s.bwd = calloc((size_t)ta.n + tb.n + 1, sizeof(*s.bwd))) == NULL)
		goto out;
	s.a = ta.num, s.b = tb.num;
	s.del = ta.edit, s.ins = tb.edit;
	diff_box(&s, 0, ta.n, 0, tb.n);

	/* The changes: runs of edits between lines kept in both.  Kept lines
	 * pair up in order, so there are at most min(na, nb) + 1 runs. */
	if ((ch = calloc((size_t)(ta.n < tb.n ? ta.n : tb.n) + 1,
	    sizeof(*ch))) == NULL)
		goto out;
	for (x = 0, y = 0; x < ta.n || y < tb.n;) {
		if (x < ta.n && y < tb.n && !ta.edit[x] && !tb.edit[y]) {
			x++, y++;
			continue;
		}
		c = &ch[nch++];
		c->x = x, c->y = y;
		while (x < ta.n && ta.edit[x])
			x++;
		while (y < tb.n && tb.edit[y])
			y++;
		c->del = x - c->x, c->ins = y - c->y;
	}

	dbuf_str(&o, "--- ");
	dbuf_str(&o, label_a);
	dbuf_str(&o, "\n+++ ");
	dbuf_str(&o, label_b);
	dbuf_str(&o, "\n");
	/* Changes at most 2 * DIFF_CONTEXT kept lines apart share a hunk. */
	for (i = 0; i < nch; i = j) {
		for (j = i + 1; j < nch; j++)
			if (ch[j].x - (ch[j - 1].x + ch[j - 1].del) > 2 * DIFF_CONTEXT)
				break;
		put_hunk(&o, &ta, &tb, &ch[i], j - i);
	}
	if (!o.failed)
		res = o.p, o.p = NULL;
out:
	dtext_free(&ta);
	dtext_free(&tb);
	free(s.fwd);
	free(s.bwd);
	free(ch);
	free(o.p);
	return res;
}

#define QUOTE_CHARS 60
#define QUOTE_MAX (QUOTE_CHARS * 4 + 4)

/* Up to QUOTE_CHARS characters of p[0..len), then "..." if that is not all;
 * control characters and bytes that are not UTF-8 become '?'. */
static void
quote_line(char q[QUOTE_MAX], const char *p, size_t len)
{
	size_t i = 0, j = 0, nc, k;

	for (nc = 0; i < len && nc < QUOTE_CHARS; nc++) {
		k = text_utf8_len(p + i, len - i);
		if (k > 1) {
			memcpy(q + j, p + i, k);
			j += k, i += k;
		} else {
			q[j++] = k == 0 || (unsigned char)p[i] < 0x20 ||
			    p[i] == 0x7f ? '?' : p[i];
			i++;
		}
	}
	if (i < len)
		memcpy(q + j, "...", 3), j += 3;
	q[j] = '\0';
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; n++)
		if ((s = strchr(s, '\n')) == NULL)
			return n + 1;
		else
			s++;
	return n;
}

int
text_first_difference(const char *a, const char *b, char *out, size_t outlen)
{
	char qa[QUOTE_MAX], qb[QUOTE_MAX];
	size_t line, la, lb, n;

	if (outlen > 0)
		out[0] = '\0';
	if (strcmp(a, b) == 0)
		return 0;
	for (line = 1; *a != '\0' && *b != '\0'; line++) {
		la = strcspn(a, "\n"), lb = strcspn(b, "\n");
		if (la != lb || memcmp(a, b, la) != 0) {
			quote_line(qa, a, la);
			quote_line(qb, b, lb);
			snprintf(out, outlen, "line %zu differs: expected \"%s\" "
			    "but the copy has \"%s\"", line, qa, qb);
			return 1;
		}
		if (a[la] != b[lb]) {	/* one of them ends here without '\n' */
			if (a[la] == '\n' && a[la + 1] != '\0')
				snprintf(out, outlen, "the copy ends after line %zu of %zu",
				    line, line + count_lines(a + la + 1));
			else if (a[la] == '\n')
				snprintf(out, outlen, "line %zu differs: the copy lacks "
				    "the final newline", line);
			else if (b[lb + 1] != '\0') {
				n = count_lines(b + lb + 1);
				snprintf(out, outlen, "the copy has %zu extra line%s "
				    "after line %zu", n, n == 1 ? "" : "s", line);
			} else
				snprintf(out, outlen, "line %zu differs: the copy adds "
				    "a final newline", line);
			return 1;
		}
		a += la + (a[la] == '\n');
		b += lb + (b[lb] == '\n');
	}
	if (*b != '\0') {
		n = count_lines(b);
		snprintf(out, outlen, "the copy has %zu extra line%s after line %zu",
		    n, n == 1 ? "" : "s", line - 1);
	} else
		snprintf(out, outlen, "the copy ends after line %zu of %zu",
		    line - 1, line - 1 + count_lines(a));
	return 1;
}
