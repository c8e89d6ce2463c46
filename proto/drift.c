/* The drift check (drift.h): clauses, numbers and glossary terms compared
 * across the language versions of one text.
 *
 * Each version is parsed once into clauses, the numbers of each clause
 * (sorted, so that two clauses compare as multisets by one merge) and a
 * folded copy of its text (ASCII lower case, blank runs as one space) in
 * which alternatives are found with memmem.  A cursor per alternative
 * remembers its next occurrence, so that clauses taken in text order scan
 * each version's text about once per alternative, however many clauses it
 * has. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "text.h"

#define NONE		SIZE_MAX
#define LIST_MAX	20	/* numbers listed on either side of a line */
#define WINDOW		5	/* clause numbers shown either side of a place */
#define DIGITS_SHOWN	24	/* a longer number is shown cut */
#define QUOTE_MAX	40	/* bytes of a bad token quoted in a refusal */

/* ---- the glossary --------------------------------------------------- */

struct alt {
	size_t off, len;	/* as written: the glossary's [off, off + len) */
	size_t flen;		/* folded: fold[off, off + flen) */
};

struct rendering {
	size_t first, n;	/* alternatives a[first, first + n); 0: "-" */
};

struct entry {
	size_t party, partylen;	/* the party code in the text; 0: a term */
};

struct glossary {
	const char *text;
	const char *prefix;	/* of refusals: "" or "glossary " */
	char *why;
	size_t whylen;
	char *fold;		/* alternatives folded, at their offsets */
	char lang[DRIFT_GLOSSARY_LANGS_MAX][9];
	size_t nlang;
	struct entry *e;
	size_t ne, ecap;
	struct rendering *r;	/* ne * nlang, entry by entry */
	size_t rcap;
	struct alt *a;
	size_t na, acap;
};

/* ---- versions and the report ---------------------------------------- */

struct clause {
	size_t num;		/* canonical number at numbuf + num; "" preamble */
	size_t occ;		/* 1 for the first clause with its number */
	size_t fs, fe;		/* its text, folded: fold[fs, fe) */
	size_t n0, nn;		/* its numbers: nums[n0, n0 + nn), sorted */
};

struct num {
	const char *p;		/* in the text, leading zeros skipped */
	size_t len;
	size_t seq;		/* place in its clause, for reading order */
};

struct key {
	const char *num;
	size_t occ, idx;
};

struct ver {
	const char *lang, *text;
	int glang;		/* its language in the glossary, or -1 */
	char *fold;
	size_t flen;
	char *numbuf;
	struct clause *cl;	/* cl[0] is the preamble */
	size_t ncl, clcap;
	struct num *nums;
	size_t nnum, numcap;
	struct key *keys;	/* clauses but the preamble, by (number, occ) */
	size_t *map;		/* reference clause -> ours, or NONE */
	size_t *back;		/* our clause -> the reference's, or NONE */
};

struct cursor {
	size_t from;		/* searched from here ... */
	size_t hit;		/* ... and found first here, or NONE */
};

/* A number's place in a comparison of two clauses. */
struct item {
	const struct num *n;
	size_t ca, cb;		/* how often the reference and the other have it */
};

struct ctx {
	struct ver v[DRIFT_VERSIONS_MAX];
	size_t nv;
	struct glossary g;
	struct cursor *cur;	/* one per alternative */
	uint32_t *has, *need;	/* per entry, versions: for the current clause */
	char *out;
	size_t len, cap;
	size_t n;		/* mismatches */
	int oom;
};

static void
refuse(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* p grown to hold need elements of size; NULL (p untouched) if it cannot. */
static void *
grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return p;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			return NULL;
		n *= 2;
	}
	if ((q = realloc(p, n * size)) == NULL)
		return NULL;
	*cap = n;
	return q;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* At most max bytes of s[0..n), not cutting a UTF-8 sequence. */
static int
cut(const char *s, size_t n, size_t max)
{
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return (int)n;
}

static void
trim(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

/* Folds s[0..n) into dst: ASCII lower case, a run of blanks and line breaks
 * as one space (*space says the last byte written was such a space).
 * Returns the bytes written, never more than n. */
static size_t
fold(char *dst, const char *s, size_t n, int *space)
{
	size_t i, o = 0;
	char ch;

	for (i = 0; i < n; i++) {
		ch = s[i];
		if (ch == ' ' || ch == '\t' || ch == '\n') {
			if (!*space)
				dst[o++] = ' ';
			*space = 1;
			continue;
		}
		*space = 0;
		dst[o++] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
	}
	return o;
}

int
drift_lang_valid(const char *s)
{
	size_t i;

	if (s == NULL || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		if (i == 8)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') || is_digit(s[i]) || s[i] == '-'))
			return 0;
	}
	return i >= 2;
}

/* ---- parsing the glossary ------------------------------------------- */

static int
grefuse(struct glossary *g, size_t line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	refuse(g->why, g->whylen, "%sline %zu: %s", g->prefix, line, msg);
	return -1;
}

static int
goom(struct glossary *g)
{
	refuse(g->why, g->whylen, "out of memory");
	return -1;
}

static void
gloss_free(struct glossary *g)
{
	free(g->fold);
	free(g->e);
	free(g->r);
	free(g->a);
	memset(g, 0, sizeof(*g));
}

/* What every line must be, comment or not. */
static int
gline_check(struct glossary *g, const char *s, size_t n, size_t line)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k;

	if (n > DRIFT_GLOSSARY_LINE_MAX)
		return grefuse(g, line, "longer than %d bytes", DRIFT_GLOSSARY_LINE_MAX);
	for (i = 0; i < n; i += k) {
		if (u[i] == '\r')
			return grefuse(g, line, "a carriage return (lines end with "
			    "LF alone)");
		if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f)
			return grefuse(g, line, "the control character 0x%02x", u[i]);
		if ((k = text_utf8_len(s + i, n - i)) == 0)
			return grefuse(g, line, "not valid UTF-8");
	}
	return 0;
}

static int
glangs_parse(struct glossary *g, const char *s, const char *e, size_t line)
{
	static const char kw[] = "languages:";
	const char *t;
	size_t i, n;

	if ((size_t)(e - s) < sizeof(kw) - 1 || memcmp(s, kw, sizeof(kw) - 1) != 0)
		return grefuse(g, line, "expected \"languages: TAG TAG ...\" "
		    "before any entry");
	s += sizeof(kw) - 1;
	for (;;) {
		while (s < e && is_blank(*s))
			s++;
		if (s == e)
			break;
		for (t = s; t < e && !is_blank(*t); t++)
			;
		n = (size_t)(t - s);
		if (g->nlang == DRIFT_GLOSSARY_LANGS_MAX)
			return grefuse(g, line, "more than %d languages",
			    DRIFT_GLOSSARY_LANGS_MAX);
		if (n < sizeof(g->lang[0])) {
			memcpy(g->lang[g->nlang], s, n);
			g->lang[g->nlang][n] = '\0';
		}
		if (n >= sizeof(g->lang[0]) || !drift_lang_valid(g->lang[g->nlang]))
			return grefuse(g, line, "\"%.*s\" is not a language tag (2 to "
			    "8 of a-z, 0-9 and '-', starting with a letter)",
			    cut(s, n, QUOTE_MAX), s);
		for (i = 0; i < g->nlang; i++)
			if (strcmp(g->lang[i], g->lang[g->nlang]) == 0)
				return grefuse(g, line, "\"%s\" is declared twice",
				    g->lang[i]);
		g->nlang++;
		s = t;
	}
	if (g->nlang < 2)
		return grefuse(g, line, "fewer than two languages");
	return 0;
}

/* One rendering, s[0..e) trimmed, for language l of the last entry. */
static int
grendering_parse(struct glossary *g, const char *s, const char *e, size_t l,
    size_t line)
{
	struct rendering *rd = &g->r[g->ne * g->nlang + l];
	const char *as, *ae, *te;
	struct alt *a;
	int space;

	rd->first = g->na;
	rd->n = 0;
	if (s == e)
		return grefuse(g, line, "the rendering for %s is empty (\"-\" means "
		    "none)", g->lang[l]);
	if (e - s == 1 && *s == '-')
		return 0;
	for (as = s;; as = ae + 1) {
		for (ae = as; ae < e && *ae != '|'; ae++)
			;
		s = as;
		te = ae;
		trim(&s, &te);
		if (s == te)
			return grefuse(g, line, "an empty alternative in the "
			    "rendering for %s", g->lang[l]);
		if (te - s == 1 && *s == '-')
			return grefuse(g, line, "\"-\" among the alternatives for %s "
			    "(alone, it means none)", g->lang[l]);
		if ((a = grow(g->a, &g->acap, g->na + 1, sizeof(*g->a))) == NULL)
			return goom(g);
		g->a = a;
		a = &g->a[g->na++];
		a->off = (size_t)(s - g->text);
		a->len = (size_t)(te - s);
		space = 0;
		a->flen = fold(g->fold + a->off, s, a->len, &space);
		rd->n++;
		if (ae == e)
			break;
	}
	return 0;
}

static int
gentry_parse(struct glossary *g, const char *s, const char *e, size_t line)
{
	const char *colon, *eq, *cs, *ce, *fe;
	struct entry *en;
	struct rendering *rd;
	char code[33], list[DRIFT_GLOSSARY_LANGS_MAX * 10];
	size_t i, nf = 1, real = 0, o = 0;
	void *q;

	if (g->ne == DRIFT_GLOSSARY_ENTRIES_MAX)
		return grefuse(g, line, "more than %d entries",
		    DRIFT_GLOSSARY_ENTRIES_MAX);
	if ((q = grow(g->e, &g->ecap, g->ne + 1, sizeof(*g->e))) == NULL)
		return goom(g);
	g->e = q;
	if ((q = grow(g->r, &g->rcap, (g->ne + 1) * g->nlang, sizeof(*g->r))) == NULL)
		return goom(g);
	g->r = q;
	en = &g->e[g->ne];
	en->party = en->partylen = 0;

	/* "party CODE:" only where the ':' comes before any '=', so that a
	 * term such as "party to the conflict = ..." stays a term */
	if (e - s > 5 && memcmp(s, "party", 5) == 0 && is_blank(s[5])) {
		colon = memchr(s, ':', (size_t)(e - s));
		eq = memchr(s, '=', (size_t)(e - s));
		if (colon != NULL && (eq == NULL || colon < eq)) {
			cs = s + 5;
			ce = colon;
			trim(&cs, &ce);
			if (ce - cs >= 1 && ce - cs <= 32) {
				memcpy(code, cs, (size_t)(ce - cs));
				code[ce - cs] = '\0';
			} else
				code[0] = '\0';
			if (!ident_valid(code))
				return grefuse(g, line, "\"%.*s\" is not a party code (1 "
				    "to 32 of a-z, 0-9, '-' and '_', starting with a "
				    "letter or digit)", cut(cs, (size_t)(ce - cs),
				    QUOTE_MAX), cs);
			en->party = (size_t)(cs - g->text);
			en->partylen = (size_t)(ce - cs);
			s = colon + 1;
		}
	}
	for (fe = s; fe < e; fe++)
		nf += *fe == '=';
	if (nf != g->nlang) {
		for (i = 0; i < g->nlang; i++)
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
			    i ? " " : "", g->lang[i]);
		return grefuse(g, line, "%zu rendering%s for %zu languages (%s)", nf,
		    nf == 1 ? "" : "s", g->nlang, list);
	}
	for (i = 0; i < g->nlang; i++, s = fe + 1) {
		for (fe = s; fe < e && *fe != '='; fe++)
			;
		cs = s;
		ce = fe;
		trim(&cs, &ce);
		if (grendering_parse(g, cs, ce, i, line) == -1)
			return -1;
		rd = &g->r[g->ne * g->nlang + i];
		real += rd->n > 0;
	}
	if (real < 2)
		return grefuse(g, line, "renderings in fewer than two languages "
		    "(nothing to compare)");
	g->ne++;
	return 0;
}

/* 0 and g filled, or -1 with the reason; either way gloss_free(g) after. */
static int
gloss_parse(struct glossary *g, const char *text, const char *prefix,
    char *why, size_t whylen)
{
	static const char kw[] = "languages:";
	const char *p = text, *nl, *s, *e;
	size_t line = 0, n;
	int have = 0;

	memset(g, 0, sizeof(*g));
	g->text = text;
	g->prefix = prefix;
	g->why = why;
	g->whylen = whylen;
	if ((g->fold = malloc(strlen(text) + 1)) == NULL)
		return goom(g);
	while (*p != '\0') {
		line++;
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (gline_check(g, p, n, line) == -1)
			return -1;
		s = p;
		e = p + n;
		p = nl != NULL ? nl + 1 : e;
		trim(&s, &e);
		if (s == e || *s == '#')
			continue;
		if (!have) {
			if (glangs_parse(g, s, e, line) == -1)
				return -1;
			have = 1;
		} else if ((size_t)(e - s) >= sizeof(kw) - 1 &&
		    memcmp(s, kw, sizeof(kw) - 1) == 0)
			return grefuse(g, line, "a second languages line");
		else if (gentry_parse(g, s, e, line) == -1)
			return -1;
	}
	if (!have)
		return grefuse(g, line ? line : 1, "the glossary ends before its "
		    "\"languages: TAG TAG ...\" line");
	return 0;
}

int
drift_glossary_check(const char *glossary, char *why, size_t whylen)
{
	struct glossary g;
	int rc;

	if (glossary == NULL) {
		refuse(why, whylen, "no glossary");
		return -1;
	}
	rc = gloss_parse(&g, glossary, "", why, whylen);
	gloss_free(&g);
	return rc;
}

/* ---- parsing a version ---------------------------------------------- */

/* If s[0..n) is a line that starts a clause: the canonical number written to
 * out (room for DRIFT_CLAUSE_NUMBER_MAX + 1 bytes), its length returned and
 * *after the offset past the number's '.' or ')'.  Otherwise 0. */
static size_t
clause_number(const char *s, size_t n, char *out, size_t *after)
{
	size_t i = 0, d, o = 0;

	while (i < n && is_blank(s[i]))
		i++;
	if (i == n || !is_digit(s[i]))
		return 0;
	for (;;) {
		for (d = i; i < n && is_digit(s[i]); i++)
			;
		while (d < i - 1 && s[d] == '0')
			d++;
		if (o + (o > 0) + (i - d) > DRIFT_CLAUSE_NUMBER_MAX)
			return 0;
		if (o > 0)
			out[o++] = '.';
		memcpy(out + o, s + d, i - d);
		o += i - d;
		if (i == n || (s[i] != '.' && s[i] != ')'))
			return 0;
		if (s[i] == '.' && i + 1 < n && is_digit(s[i + 1])) {
			i++;
			continue;
		}
		break;
	}
	i++;
	if (i < n && !is_blank(s[i]) && s[i] != '\n')
		return 0;
	out[o] = '\0';
	*after = i;
	return o;
}

static int
num_cmp(const void *a, const void *b)
{
	const struct num *x = a, *y = b;
	int c;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if ((c = memcmp(x->p, y->p, x->len)) != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c;

	if ((c = strcmp(x->num, y->num)) != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
ver_open_clause(struct ver *v, size_t num)
{
	struct clause *cl;

	if ((cl = grow(v->cl, &v->clcap, v->ncl + 1, sizeof(*v->cl))) == NULL)
		return -1;
	v->cl = cl;
	cl = &v->cl[v->ncl++];
	cl->num = num;
	cl->occ = 1;
	cl->fs = cl->fe = v->flen;
	cl->n0 = v->nnum;
	cl->nn = 0;
	return 0;
}

static void
ver_close_clause(struct ver *v)
{
	struct clause *cl = &v->cl[v->ncl - 1];

	cl->fe = v->flen;
	cl->nn = v->nnum - cl->n0;
}

static void
ver_free(struct ver *v)
{
	free(v->fold);
	free(v->numbuf);
	free(v->cl);
	free(v->nums);
	free(v->keys);
	free(v->map);
	free(v->back);
}

/* Clauses, their numbers, the folded text and the clauses' keys. */
static int
ver_parse(struct ver *v)
{
	const char *t = v->text;
	size_t len = strlen(t), i = 0, j, z, nb = 1, k, after;
	struct num *nm;
	int space = 0;

	/* canonical numbers and their NULs take no more room than the numbers
	 * as written; one more number's worth for clause_number's scratch */
	if ((v->fold = malloc(len + 1)) == NULL ||
	    (v->numbuf = malloc(len + DRIFT_CLAUSE_NUMBER_MAX + 2)) == NULL)
		return -1;
	v->numbuf[0] = '\0';
	/* never NULL, even with no number: clauses point into it */
	if ((v->nums = grow(NULL, &v->numcap, 1, sizeof(*v->nums))) == NULL ||
	    ver_open_clause(v, 0) == -1)
		return -1;
	while (i < len) {
		if ((k = clause_number(t + i, len - i, v->numbuf + nb, &after)) > 0) {
			ver_close_clause(v);
			if (ver_open_clause(v, nb) == -1)
				return -1;
			nb += k + 1;
			space = 0;
			i += after;
		}
		while (i < len) {
			if (is_digit(t[i])) {
				for (j = i; j < len && is_digit(t[j]); j++)
					;
				for (z = i; z < j - 1 && t[z] == '0'; z++)
					;
				if ((nm = grow(v->nums, &v->numcap, v->nnum + 1,
				    sizeof(*v->nums))) == NULL)
					return -1;
				v->nums = nm;
				nm = &v->nums[v->nnum];
				nm->p = t + z;
				nm->len = j - z;
				nm->seq = v->nnum - v->cl[v->ncl - 1].n0;
				v->nnum++;
				v->flen += fold(v->fold + v->flen, t + i, j - i, &space);
				i = j;
				continue;
			}
			v->flen += fold(v->fold + v->flen, t + i, 1, &space);
			if (t[i++] == '\n')
				break;
		}
	}
	ver_close_clause(v);
	for (i = 0; i < v->ncl; i++)
		if (v->cl[i].nn > 1)
			qsort(v->nums + v->cl[i].n0, v->cl[i].nn, sizeof(*v->nums),
			    num_cmp);

	if (v->ncl > 1 && (v->keys = calloc(v->ncl - 1, sizeof(*v->keys))) == NULL)
		return -1;
	for (i = 1; i < v->ncl; i++) {
		v->keys[i - 1].num = v->numbuf + v->cl[i].num;
		v->keys[i - 1].idx = i;
	}
	if (v->ncl > 1)
		qsort(v->keys, v->ncl - 1, sizeof(*v->keys), key_cmp);
	for (i = 0; i + 1 < v->ncl; i++) {
		v->keys[i].occ = 1;
		if (i > 0 && strcmp(v->keys[i].num, v->keys[i - 1].num) == 0)
			v->keys[i].occ = v->keys[i - 1].occ + 1;
		v->cl[v->keys[i].idx].occ = v->keys[i].occ;
	}
	return 0;
}

/* v->map and v->back against the reference r: the k-th clause with a
 * number matches the k-th with the same number. */
static int
ver_match(struct ver *v, const struct ver *r)
{
	size_t i = 0, j = 0, nr = r->ncl - 1, nv = v->ncl - 1;
	int c;

	if ((v->map = malloc(r->ncl * sizeof(*v->map))) == NULL ||
	    (v->back = malloc(v->ncl * sizeof(*v->back))) == NULL)
		return -1;
	for (i = 0; i < r->ncl; i++)
		v->map[i] = NONE;
	for (i = 0; i < v->ncl; i++)
		v->back[i] = NONE;
	v->map[0] = v->back[0] = 0;
	i = 0;
	while (i < nr && j < nv) {
		c = strcmp(r->keys[i].num, v->keys[j].num);
		if (c == 0)
			c = r->keys[i].occ < v->keys[j].occ ? -1 :
			    r->keys[i].occ > v->keys[j].occ;
		if (c < 0)
			i++;
		else if (c > 0)
			j++;
		else {
			v->map[r->keys[i].idx] = v->keys[j].idx;
			v->back[v->keys[j].idx] = r->keys[i].idx;
			i++;
			j++;
		}
	}
	return 0;
}

/* ---- writing the report --------------------------------------------- */

static void
put(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *p;
	int k;

	if (c->oom)
		return;
	va_start(ap, fmt);
	k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0) {
		c->oom = 1;
		return;
	}
	need = c->len + (size_t)k + 1;
	if (need > c->cap) {
		if ((p = grow(c->out, &c->cap, need, 1)) == NULL) {
			c->oom = 1;
			return;
		}
		c->out = p;
	}
	va_start(ap, fmt);
	vsnprintf(c->out + c->len, c->cap - c->len, fmt, ap);
	va_end(ap);
	c->len += (size_t)k;
}

/* Whether the mismatch just counted gets its line in the report. */
static int
listed(const struct ctx *c)
{
	return c->n <= DRIFT_REPORT_LINES;
}

static const char *
ordinal(size_t n)
{
	if (n % 100 >= 11 && n % 100 <= 13)
		return "th";
	switch (n % 10) {
	case 1:
		return "st";
	case 2:
		return "nd";
	case 3:
		return "rd";
	default:
		return "th";
	}
}

/* "preamble", "clause 3" or "clause 1 (2nd)" */
static void
put_clause(struct ctx *c, const struct ver *v, size_t i)
{
	const struct clause *cl = &v->cl[i];

	if (i == 0) {
		put(c, "preamble");
		return;
	}
	put(c, "clause %s", v->numbuf + cl->num);
	if (cl->occ > 1)
		put(c, " (%zu%s)", cl->occ, ordinal(cl->occ));
}

/* The clause numbers of v's clauses idx[0..n) (clauses 1..n when idx is
 * NULL), only those within WINDOW of place at. */
static void
put_list(struct ctx *c, const struct ver *v, const size_t *idx, size_t n,
    size_t at)
{
	size_t lo = at > WINDOW ? at - WINDOW : 0, hi = at + WINDOW + 1, k;

	if (hi > n)
		hi = n;
	if (lo > 0)
		put(c, "...");
	for (k = lo; k < hi; k++)
		put(c, "%s%s", k > 0 ? ", " : "",
		    v->numbuf + v->cl[idx != NULL ? idx[k] : k + 1].num);
	if (hi < n)
		put(c, ", ...");
}

static void
check_structure(struct ctx *c, struct ver *v)
{
	const struct ver *r = &c->v[0];
	size_t i, k, last = 0, d, *sr = NULL, *so = NULL;
	int disorder = 0;

	for (i = 1; i < r->ncl; i++) {
		if (v->map[i] != NONE)
			continue;
		c->n++;
		if (!listed(c))
			continue;
		put(c, "%s: ", v->lang);
		put_clause(c, r, i);
		put(c, " is missing (%s has clauses ", r->lang);
		put_list(c, r, NULL, r->ncl - 1, i - 1);
		put(c, ")\n");
	}
	for (i = 1; i < v->ncl; i++) {
		if (v->back[i] != NONE)
			continue;
		c->n++;
		if (!listed(c))
			continue;
		put(c, "%s: has ", v->lang);
		put_clause(c, v, i);
		put(c, " that %s lacks\n", r->lang);
	}
	for (i = 1; i < v->ncl; i++) {
		if (v->back[i] == NONE)
			continue;
		if (v->back[i] < last)
			disorder = 1;
		last = v->back[i];
	}
	if (!disorder)
		return;
	c->n++;
	if (!listed(c))
		return;

	/* the clauses both have, in either order; shown around the first
	 * place where the orders part */
	if ((sr = malloc(r->ncl * sizeof(*sr))) == NULL ||
	    (so = malloc(v->ncl * sizeof(*so))) == NULL) {
		c->oom = 1;
		goto done;
	}
	for (i = 1, k = 0; i < r->ncl; i++)
		if (v->map[i] != NONE)
			sr[k++] = i;
	for (i = 1, k = 0; i < v->ncl; i++)
		if (v->back[i] != NONE)
			so[k++] = v->back[i];
	for (d = 0; d < k && sr[d] == so[d]; d++)
		;
	put(c, "%s: clauses are numbered ", v->lang);
	put_list(c, r, so, k, d);
	put(c, " where %s has ", r->lang);
	put_list(c, r, sr, k, d);
	put(c, "\n");
done:
	free(sr);
	free(so);
}

static void
put_number(struct ctx *c, const struct num *n)
{
	if (n->len <= DIGITS_SHOWN)
		put(c, "%.*s", (int)n->len, n->p);
	else
		put(c, "%.*s... (%zu digits)", DIGITS_SHOWN - 4, n->p, n->len);
}

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	return x->n->seq < y->n->seq ? -1 : x->n->seq > y->n->seq;
}

static void
put_items(struct ctx *c, const struct item *it, size_t n, const char *la,
    const char *lb)
{
	size_t i;

	for (i = 0; i < n && i < LIST_MAX; i++) {
		put(c, "%s", i > 0 ? ", " : "");
		put_number(c, it[i].n);
		if (it[i].ca > 1 || it[i].cb > 1)
			put(c, " (%s: %zu, %s: %zu)", la, it[i].ca, lb, it[i].cb);
	}
	if (n > LIST_MAX)
		put(c, " and %zu other numbers", n - LIST_MAX);
}

/* The numbers of the reference's clause ri and v's clause vi. */
static void
check_numbers(struct ctx *c, size_t ri, const struct ver *v, size_t vi)
{
	const struct ver *r = &c->v[0];
	const struct num *a = r->nums + r->cl[ri].n0, *b = v->nums + v->cl[vi].n0;
	size_t na = r->cl[ri].nn, nb = v->cl[vi].nn, i = 0, j = 0, ia, ib;
	size_t nlack = 0, nhas = 0;
	struct item *lack = NULL, *has = NULL;
	int cmp;

	if (na == nb) {
		for (i = 0; i < na; i++)
			if (a[i].len != b[i].len || memcmp(a[i].p, b[i].p, a[i].len) != 0)
				break;
		if (i == na)
			return;
	}
	c->n++;
	if (!listed(c))
		return;
	if ((lack = calloc(na + 1, sizeof(*lack))) == NULL ||
	    (has = calloc(nb + 1, sizeof(*has))) == NULL) {
		c->oom = 1;
		goto done;
	}
	i = 0;
	while (i < na || j < nb) {
		if (i == na)
			cmp = 1;
		else if (j == nb)
			cmp = -1;
		else if (a[i].len != b[j].len)
			cmp = a[i].len < b[j].len ? -1 : 1;
		else
			cmp = memcmp(a[i].p, b[j].p, a[i].len);
		ia = i;
		ib = j;
		if (cmp <= 0)
			while (i < na && a[i].len == a[ia].len &&
			    memcmp(a[i].p, a[ia].p, a[ia].len) == 0)
				i++;
		if (cmp >= 0)
			while (j < nb && b[j].len == b[ib].len &&
			    memcmp(b[j].p, b[ib].p, b[ib].len) == 0)
				j++;
		if (i - ia > j - ib)
			lack[nlack++] = (struct item){ &a[ia], i - ia, j - ib };
		else if (j - ib > i - ia)
			has[nhas++] = (struct item){ &b[ib], i - ia, j - ib };
	}
	qsort(lack, nlack, sizeof(*lack), item_cmp);
	qsort(has, nhas, sizeof(*has), item_cmp);
	put_clause(c, r, ri);
	put(c, ", %s: numbers differ from %s: ", v->lang, r->lang);
	if (nlack > 0) {
		put(c, "lacks ");
		put_items(c, lack, nlack, r->lang, v->lang);
	}
	if (nhas > 0) {
		put(c, "%shas ", nlack > 0 ? "; " : "");
		put_items(c, has, nhas, r->lang, v->lang);
		put(c, " that %s lacks", r->lang);
	}
	put(c, "\n");
done:
	free(lack);
	free(has);
}

/* Does v's clause i contain alternative ai?  Its cursor still answers when
 * the clause starts at or after where the last search began and no earlier
 * than what it found: then that is the first occurrence in the clause. */
static int
alt_in(struct ctx *c, const struct ver *v, size_t i, size_t ai)
{
	const struct alt *a = &c->g.a[ai];
	struct cursor *k = &c->cur[ai];
	size_t s = v->cl[i].fs, e = v->cl[i].fe;
	const char *p;

	if (a->flen > e - s)
		return 0;
	if (k->from > s || (k->hit != NONE && k->hit < s)) {
		p = memmem(v->fold + s, v->flen - s, c->g.fold + a->off, a->flen);
		k->from = s;
		k->hit = p != NULL ? (size_t)(p - v->fold) : NONE;
	}
	return k->hit != NONE && k->hit + a->flen <= e;
}

/* The first of rd's alternatives in v's clause i, or NONE. */
static size_t
rendering_in(struct ctx *c, const struct ver *v, size_t i,
    const struct rendering *rd)
{
	size_t k;

	for (k = 0; k < rd->n; k++)
		if (alt_in(c, v, i, rd->first + k))
			return rd->first + k;
	return NONE;
}

/* Which versions have and which lack each entry in the reference's clause
 * ri (and their matches). */
static void
terms_scan(struct ctx *c, size_t ri)
{
	const struct glossary *g = &c->g;
	const struct rendering *rd;
	const struct ver *v;
	size_t e, k, vi;

	for (e = 0; e < g->ne; e++) {
		c->has[e] = c->need[e] = 0;
		for (k = 0; k < c->nv; k++) {
			v = &c->v[k];
			vi = k == 0 ? ri : v->map[ri];
			if (vi == NONE || v->glang < 0)
				continue;
			rd = &g->r[e * g->nlang + (size_t)v->glang];
			if (rd->n == 0)
				continue;
			if (rendering_in(c, v, vi, rd) != NONE)
				c->has[e] |= UINT32_C(1) << k;
			else
				c->need[e] |= UINT32_C(1) << k;
		}
	}
}

static void
put_alt(struct ctx *c, size_t ai)
{
	const struct alt *a = &c->g.a[ai];

	put(c, "\"%.*s\"", (int)a->len, c->g.text + a->off);
}

/* v (version k) lacks entry e in the reference's clause ri. */
static void
report_term(struct ctx *c, size_t ri, size_t k, size_t e)
{
	const struct glossary *g = &c->g;
	const struct ver *v = &c->v[k], *src;
	const struct rendering *rd = &g->r[e * g->nlang + (size_t)v->glang];
	size_t s, i, ai;

	c->n++;
	if (!listed(c))
		return;
	for (s = 0; !(c->has[e] & UINT32_C(1) << s); s++)
		;
	src = &c->v[s];
	i = s == 0 ? ri : src->map[ri];
	ai = rendering_in(c, src, i, &g->r[e * g->nlang + (size_t)src->glang]);
	put_clause(c, &c->v[0], ri);
	put(c, ", %s: lacks ", v->lang);
	if (g->e[e].partylen > 0)
		put(c, "the party name of %.*s, ", (int)g->e[e].partylen,
		    g->text + g->e[e].party);
	else
		put(c, "the glossary term ");
	for (i = 0; i < rd->n; i++) {
		if (i > 0)
			put(c, i + 1 < rd->n ? ", " : " or ");
		put_alt(c, rd->first + i);
	}
	put(c, " (%s has ", src->lang);
	if (ai != NONE)
		put_alt(c, ai);
	put(c, " there)\n");
}

/* ---- the check ------------------------------------------------------ */

static int
versions_check(const struct drift_version *v, size_t nv, char *why,
    size_t whylen)
{
	char msg[128];
	size_t i, j;

	if (v == NULL || nv < 2 || nv > DRIFT_VERSIONS_MAX) {
		refuse(why, whylen, "2 to %d versions are compared, not %zu",
		    DRIFT_VERSIONS_MAX, v == NULL ? 0 : nv);
		return -1;
	}
	for (i = 0; i < nv; i++) {
		if (v[i].lang == NULL || v[i].text == NULL) {
			refuse(why, whylen, "version %zu: no %s", i + 1,
			    v[i].lang == NULL ? "language tag" : "text");
			return -1;
		}
		if (!drift_lang_valid(v[i].lang)) {
			refuse(why, whylen, "version %zu: \"%.*s\" is not a language "
			    "tag (2 to 8 of a-z, 0-9 and '-', starting with a letter)",
			    i + 1, cut(v[i].lang, strlen(v[i].lang), QUOTE_MAX),
			    v[i].lang);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(v[i].lang, v[j].lang) == 0) {
				refuse(why, whylen, "versions %zu and %zu are both "
				    "\"%s\"", j + 1, i + 1, v[i].lang);
				return -1;
			}
		if (text_check(v[i].text, strlen(v[i].text), msg, sizeof(msg)) == -1) {
			refuse(why, whylen, "version %zu (%s): %s", i + 1, v[i].lang,
			    msg);
			return -1;
		}
	}
	return 0;
}

int
drift_check(const struct drift_version *v, size_t nv, const char *glossary,
    char **report, size_t *nmismatch, char *why, size_t whylen)
{
	struct ctx *c;
	size_t i, k, e;
	int rc = -1;

	*report = NULL;
	*nmismatch = 0;
	if (versions_check(v, nv, why, whylen) == -1)
		return -1;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		refuse(why, whylen, "out of memory");
		return -1;
	}
	c->nv = nv;
	if (glossary != NULL &&
	    gloss_parse(&c->g, glossary, "glossary ", why, whylen) == -1)
		goto out;
	for (i = 0; i < nv; i++) {
		c->v[i].lang = v[i].lang;
		c->v[i].text = v[i].text;
		c->v[i].glang = -1;
		for (k = 0; k < c->g.nlang; k++)
			if (strcmp(c->g.lang[k], v[i].lang) == 0)
				c->v[i].glang = (int)k;
		if (ver_parse(&c->v[i]) == -1)
			goto oom;
	}
	for (i = 1; i < nv; i++)
		if (ver_match(&c->v[i], &c->v[0]) == -1)
			goto oom;
	if (c->g.ne > 0 &&
	    ((c->cur = calloc(c->g.na, sizeof(*c->cur))) == NULL ||
	    (c->has = calloc(c->g.ne, sizeof(*c->has))) == NULL ||
	    (c->need = calloc(c->g.ne, sizeof(*c->need))) == NULL))
		goto oom;
	for (i = 0; i < c->g.na; i++)
		c->cur[i].from = NONE;
	if ((c->out = malloc(256)) == NULL)
		goto oom;
	c->cap = 256;
	c->out[0] = '\0';

	for (i = 1; i < nv; i++)
		check_structure(c, &c->v[i]);
	for (i = 0; i < c->v[0].ncl && !c->oom; i++) {
		if (c->g.ne > 0)
			terms_scan(c, i);
		for (k = 0; k < nv; k++) {
			if (k > 0 && c->v[k].map[i] == NONE)
				continue;
			if (k > 0)
				check_numbers(c, i, &c->v[k], c->v[k].map[i]);
			for (e = 0; e < c->g.ne; e++)
				if (c->has[e] != 0 && (c->need[e] & UINT32_C(1) << k))
					report_term(c, i, k, e);
		}
	}
	if (c->n > DRIFT_REPORT_LINES)
		put(c, "... and %zu more\n", c->n - DRIFT_REPORT_LINES);
	if (c->oom)
		goto oom;
	*report = c->out;
	c->out = NULL;
	*nmismatch = c->n;
	rc = 0;
	goto out;
oom:
	refuse(why, whylen, "out of memory");
out:
	for (i = 0; i < nv; i++)
		ver_free(&c->v[i]);
	gloss_free(&c->g);
	free(c->cur);
	free(c->has);
	free(c->need);
	free(c->out);
	free(c);
	return rc;
}
