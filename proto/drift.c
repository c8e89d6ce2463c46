/* The drift check (drift.h): clauses, numbers and glossary terms compared
 * across the language versions of one text.
 *
 * Each version is parsed once into clauses, the numbers of each clause
 * (sorted, so that two clauses compare as multisets by one merge) and a
 * folded copy of its text (ASCII lower case, blank runs as one space), the
 * clauses being consecutive ranges of it.  The glossary's alternatives of a
 * version's language, folded the same way and without repeats, are found in
 * that copy all at once, by an Aho-Corasick automaton restarted at each
 * clause: one pass over the text, whatever the number of alternatives,
 * leaving a bit per clause and alternative.  The clauses are then compared in
 * the reference's order, each entry asking its alternatives' bits. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "text.h"

#define NONE		SIZE_MAX
#define NOPAT		UINT32_MAX
#define LIST_MAX	20	/* numbers listed on either side of a line */
#define LIST_BYTES	150	/* and at most so many bytes of them */
#define WINDOW		5	/* clause numbers shown either side of a place */
#define DIGITS_SHOWN	24	/* a longer number is shown cut */
#define QUOTE_MAX	40	/* bytes of a bad token quoted in a refusal */
#define ALTS_SHOWN	3	/* alternatives quoted in a report line */
#define ALT_SHOWN	60	/* bytes of an alternative quoted in one */

/* The longest line of each kind is within DRIFT_REPORT_LINE_MAX, counted
 * from the longest parts: a language tag of 8 bytes, a clause's label of 49
 * ("clause ", a number of DRIFT_CLAUSE_NUMBER_MAX, " (10000th)"), a party
 * code of 32, a count of 20 digits, a quoted alternative of ALT_SHOWN + 5, a
 * list of clause numbers of LIST_BYTES + 8 ("..." and ", ..."), a list of
 * numbers of LIST_BYTES + 39 (" and N other numbers"; its first item, shown
 * whatever its length, is shorter than LIST_BYTES).  put_eol would cut a
 * longer line all the same. */
#define TAG_	8
#define LABEL_	(7 + DRIFT_CLAUSE_NUMBER_MAX + 10)
#define QUOTED_	(ALT_SHOWN + 5)
#if LABEL_ + 2 + TAG_ + 8 + 18 + 32 + 2 + ALTS_SHOWN * QUOTED_ + \
    (ALTS_SHOWN - 1) * 2 + 4 + 20 + 19 + 2 + TAG_ + 5 + QUOTED_ + 7 + 1 > \
    DRIFT_REPORT_LINE_MAX
#error the line of a missing term can be too long
#endif
#if LABEL_ + 2 + TAG_ + 22 + TAG_ + 2 + 2 * (6 + LIST_BYTES + 39) + 6 + \
    TAG_ + 6 + 1 > DRIFT_REPORT_LINE_MAX
#error the line of differing numbers can be too long
#endif
#if TAG_ + 23 + LIST_BYTES + 8 + 7 + TAG_ + 5 + LIST_BYTES + 8 + 1 > \
    DRIFT_REPORT_LINE_MAX || TAG_ + 2 + LABEL_ + 13 + TAG_ + 13 + LIST_BYTES + \
    8 + 2 > DRIFT_REPORT_LINE_MAX
#error a line about the structure can be too long
#endif

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
	uint64_t *bits;		/* per clause, w words: the patterns it has */
	size_t w;
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

/* The distinct folded alternatives ("patterns") of one language as an
 * Aho-Corasick automaton: a trie of the patterns, each node standing for the
 * string on its path, with a failure link to the node of the string's
 * longest proper suffix in the trie and an output link to that of its
 * longest proper suffix that is a pattern.  Node 0 is the root: a failure
 * link to 0 goes to the root, but 0 as an edge's target or an output link
 * means "none" (no edge leads to the root, which spells no pattern). */
struct ac {
	size_t nn;		/* nodes */
	uint32_t *first;	/* nn + 1: node u's edges, [first[u], first[u + 1]) */
	unsigned char *lab;	/* an edge's byte, ascending among a node's */
	uint32_t *to;		/* an edge's node */
	uint32_t *fail, *out;
	uint32_t *pat;		/* the pattern a node spells, or NOPAT */
	uint32_t root[256];	/* the root's edges by byte (0: none) */
};

/* A pattern while they are sorted. */
struct pref {
	const char *s;
	size_t n;
	size_t alt;
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
	uint32_t *pid;		/* per alternative: its pattern in its language */
	size_t *slot0, *slot;	/* per entry: versions with a rendering, */
				/* slot[slot0[e], slot0[e + 1]) */
	uint32_t *has;		/* per entry, versions: for the current clause */
	size_t *miss;		/* per version, ne: the entries it lacks there */
	size_t nmiss[DRIFT_VERSIONS_MAX];
	char *out;
	size_t len, cap;
	size_t line;		/* where the line being written starts */
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
		if (te - s > DRIFT_ALT_BYTES_MAX)
			return grefuse(g, line, "an alternative for %s is longer than "
			    "%d bytes", g->lang[l], DRIFT_ALT_BYTES_MAX);
		if (rd->n == DRIFT_RENDERING_ALTS_MAX)
			return grefuse(g, line, "more than %d alternatives for %s",
			    DRIFT_RENDERING_ALTS_MAX, g->lang[l]);
		if (g->na == DRIFT_GLOSSARY_ALTS_MAX)
			return grefuse(g, line, "more than %d alternatives in the "
			    "glossary", DRIFT_GLOSSARY_ALTS_MAX);
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
	free(v->bits);
}

/* Clauses, their numbers, the folded text and the clauses' keys: 0, or -1
 * out of memory, or -2 more than DRIFT_CLAUSES_MAX clauses. */
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
			if (v->ncl - 1 == DRIFT_CLAUSES_MAX)
				return -2;
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

/* ---- finding the alternatives --------------------------------------- */

static int
pref_cmp(const void *a, const void *b)
{
	const struct pref *x = a, *y = b;
	int c;

	if ((c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n)) != 0)
		return c;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return x->alt < y->alt ? -1 : x->alt > y->alt;
}

static void
ac_free(struct ac *a)
{
	free(a->first);
	free(a->lab);
	free(a->to);
	free(a->fail);
	free(a->out);
	free(a->pat);
	memset(a, 0, sizeof(*a));
}

/* The node after node s and byte b: s's edge for b, else that of the first
 * node on its failure chain that has one, else the root's (or the root). */
static uint32_t
ac_step(const struct ac *a, uint32_t s, unsigned char b)
{
	uint32_t lo, hi, mid;

	while (s != 0) {
		lo = a->first[s];
		hi = a->first[s + 1];
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (a->lab[mid] < b)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < a->first[s + 1] && a->lab[lo] == b)
			return a->to[lo];
		s = a->fail[s];
	}
	return a->root[b];
}

/* a: the automaton of the np patterns p, sorted and distinct, none longer
 * than DRIFT_ALT_BYTES_MAX.  0, or -1 out of memory (a freed). */
static int
ac_build(struct ac *a, const struct pref *p, size_t np)
{
	uint32_t path[DRIFT_ALT_BYTES_MAX + 1], *par, *pos, *q, u, v, t, k;
	unsigned char *in;
	size_t total = 1, i, d, lcp, qh = 0, qt = 0;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < np; i++)
		total += p[i].n;
	par = malloc(total * sizeof(*par));
	in = malloc(total);
	a->first = calloc(total + 1, sizeof(*a->first));
	a->lab = malloc(total);
	a->to = malloc(total * sizeof(*a->to));
	a->fail = malloc(total * sizeof(*a->fail));
	a->out = malloc(total * sizeof(*a->out));
	a->pat = malloc(total * sizeof(*a->pat));
	if (par == NULL || in == NULL || a->first == NULL || a->lab == NULL ||
	    a->to == NULL || a->fail == NULL || a->out == NULL || a->pat == NULL) {
		free(par);
		free(in);
		ac_free(a);
		return -1;
	}

	/* The trie.  A pattern follows its predecessor's path as far as their
	 * common prefix goes; in sorted order no pattern is a prefix of the one
	 * before it, and the nodes of one parent are made in ascending order
	 * of their bytes. */
	a->nn = 1;
	a->pat[0] = NOPAT;
	path[0] = 0;
	for (i = 0; i < np; i++) {
		lcp = 0;
		if (i > 0)
			while (lcp < p[i - 1].n && lcp < p[i].n &&
			    p[i - 1].s[lcp] == p[i].s[lcp])
				lcp++;
		for (d = lcp; d < p[i].n; d++) {
			v = (uint32_t)a->nn++;
			par[v] = path[d];
			in[v] = (unsigned char)p[i].s[d];
			a->pat[v] = NOPAT;
			path[d + 1] = v;
		}
		a->pat[path[p[i].n]] = (uint32_t)i;
	}

	/* each node's edges together, in the order they were made */
	for (v = 1; v < a->nn; v++)
		a->first[par[v] + 1]++;
	for (u = 0; u < a->nn; u++)
		a->first[u + 1] += a->first[u];
	pos = a->fail;		/* for now */
	memcpy(pos, a->first, a->nn * sizeof(*pos));
	for (v = 1; v < a->nn; v++) {
		k = pos[par[v]]++;
		a->lab[k] = in[v];
		a->to[k] = v;
	}
	free(in);
	memset(a->root, 0, sizeof(a->root));
	for (k = a->first[0]; k < a->first[1]; k++)
		a->root[a->lab[k]] = a->to[k];

	/* Failure and output links, breadth first: a node's failure link is
	 * found from its parent's, whose chain holds only shallower nodes,
	 * linked already. */
	q = par;
	a->fail[0] = a->out[0] = 0;
	for (k = a->first[0]; k < a->first[1]; k++) {
		v = a->to[k];
		a->fail[v] = a->out[v] = 0;
		q[qt++] = v;
	}
	while (qh < qt) {
		u = q[qh++];
		for (k = a->first[u]; k < a->first[u + 1]; k++) {
			v = a->to[k];
			t = ac_step(a, a->fail[u], a->lab[k]);
			a->fail[v] = t;
			a->out[v] = a->pat[t] != NOPAT ? t : a->out[t];
			q[qt++] = v;
		}
	}
	free(par);
	return 0;
}

/* Sets in v->bits the patterns of a that each of v's clauses contains.  The
 * automaton starts afresh at each clause, so that what it finds lies within
 * it.  mark[p] is 1 + the last clause where pattern p was found (0 at
 * first); an output chain is followed only as far as a pattern found before
 * in the same clause, since the rest of the chain was found with it: the
 * work is the text's length plus the patterns found, once per clause. */
static void
ac_scan(const struct ac *a, struct ver *v, size_t *mark)
{
	const unsigned char *f = (const unsigned char *)v->fold;
	uint64_t *row;
	size_t ci, i;
	uint32_t s, d, id;

	for (ci = 0; ci < v->ncl; ci++) {
		row = v->bits + ci * v->w;
		s = 0;
		for (i = v->cl[ci].fs; i < v->cl[ci].fe; i++) {
			s = ac_step(a, s, f[i]);
			for (d = a->pat[s] != NOPAT ? s : a->out[s]; d != 0;
			    d = a->out[d]) {
				id = a->pat[d];
				if (mark[id] == ci + 1)
					break;
				mark[id] = ci + 1;
				row[id / 64] |= UINT64_C(1) << (id % 64);
			}
		}
	}
}

/* The patterns of v's language (c->pid of its alternatives), found in v's
 * clauses (v->bits).  0, or -1 out of memory. */
static int
terms_find(struct ctx *c, struct ver *v)
{
	const struct glossary *g = &c->g;
	const struct rendering *rd;
	const struct alt *al;
	struct pref *p, x;
	struct ac a;
	size_t *mark = NULL, np = 0, n = 0, e, k;
	int rc = -1;

	if ((p = malloc(g->na * sizeof(*p))) == NULL)
		return -1;
	for (e = 0; e < g->ne; e++) {
		rd = &g->r[e * g->nlang + (size_t)v->glang];
		for (k = 0; k < rd->n; k++) {
			al = &g->a[rd->first + k];
			p[np++] = (struct pref){ g->fold + al->off, al->flen,
			    rd->first + k };
		}
	}
	if (np == 0) {
		free(p);
		return 0;
	}
	qsort(p, np, sizeof(*p), pref_cmp);
	for (k = 0; k < np; k++) {
		x = p[k];
		if (n == 0 || x.n != p[n - 1].n || memcmp(x.s, p[n - 1].s, x.n) != 0)
			p[n++] = x;
		c->pid[x.alt] = (uint32_t)(n - 1);
	}
	v->w = (n + 63) / 64;
	if ((v->bits = calloc(v->ncl * v->w, sizeof(*v->bits))) == NULL ||
	    (mark = calloc(n, sizeof(*mark))) == NULL ||
	    ac_build(&a, p, n) == -1)
		goto done;
	ac_scan(&a, v, mark);
	ac_free(&a);
	rc = 0;
done:
	free(mark);
	free(p);
	return rc;
}

/* For each entry, the versions with a rendering of it. */
static int
slots_make(struct ctx *c)
{
	const struct glossary *g = &c->g;
	size_t e, k, n = 0;

	if ((c->slot0 = malloc((g->ne + 1) * sizeof(*c->slot0))) == NULL ||
	    (c->slot = malloc(g->ne * c->nv * sizeof(*c->slot))) == NULL)
		return -1;
	for (e = 0; e < g->ne; e++) {
		c->slot0[e] = n;
		for (k = 0; k < c->nv; k++)
			if (c->v[k].glang >= 0 &&
			    g->r[e * g->nlang + (size_t)c->v[k].glang].n > 0)
				c->slot[n++] = k;
	}
	c->slot0[g->ne] = n;
	return 0;
}

/* The first of rd's alternatives in v's clause i, or NONE. */
static size_t
rendering_in(const struct ctx *c, const struct ver *v, size_t i,
    const struct rendering *rd)
{
	const uint64_t *row = v->bits + i * v->w;
	size_t k;
	uint32_t id;

	for (k = 0; k < rd->n; k++) {
		id = c->pid[rd->first + k];
		if (row[id / 64] >> (id % 64) & 1)
			return rd->first + k;
	}
	return NONE;
}

/* For the reference's clause ri: which versions have each entry (c->has),
 * and for each version, the entries it lacks where another has them
 * (c->miss, c->nmiss), in the glossary's order. */
static void
terms_scan(struct ctx *c, size_t ri)
{
	const struct glossary *g = &c->g;
	const struct ver *v;
	size_t at[DRIFT_VERSIONS_MAX], e, j, k, w;
	uint32_t has, need, some = 0;

	for (k = 0; k < c->nv; k++) {
		c->nmiss[k] = 0;
		v = &c->v[k];
		at[k] = k == 0 ? ri : v->map[ri];
		if (at[k] == NONE || v->bits == NULL)
			continue;
		for (w = 0; w < v->w; w++)
			if (v->bits[at[k] * v->w + w] != 0) {
				some |= UINT32_C(1) << k;
				break;
			}
	}
	if (some == 0)
		return;		/* no version has any term there */
	for (e = 0; e < g->ne; e++) {
		has = need = 0;
		for (j = c->slot0[e]; j < c->slot0[e + 1]; j++) {
			k = c->slot[j];
			v = &c->v[k];
			if (at[k] == NONE)
				continue;
			if ((some & UINT32_C(1) << k) && rendering_in(c, v, at[k],
			    &g->r[e * g->nlang + (size_t)v->glang]) != NONE)
				has |= UINT32_C(1) << k;
			else
				need |= UINT32_C(1) << k;
		}
		c->has[e] = has;
		if (has == 0)
			continue;
		for (k = 0; need != 0; k++, need >>= 1)
			if (need & 1)
				c->miss[k * g->ne + c->nmiss[k]++] = e;
	}
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

/* Ends the line being written, cut with "..." should it be longer than
 * DRIFT_REPORT_LINE_MAX bytes with its LF (which the #if above rules out). */
static void
put_eol(struct ctx *c)
{
	size_t n;

	if (c->oom)
		return;
	if (c->len - c->line + 1 > DRIFT_REPORT_LINE_MAX) {
		n = (size_t)cut(c->out + c->line, c->len - c->line,
		    DRIFT_REPORT_LINE_MAX - 4);
		c->len = c->line + n;
		put(c, "...");
	}
	put(c, "\n");
	c->line = c->len;
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
 * NULL) around place at < n: up to WINDOW either side, as many as fit in
 * LIST_BYTES. */
static void
put_list(struct ctx *c, const struct ver *v, const size_t *idx, size_t n,
    size_t at)
{
#define NUMBER(k) (v->numbuf + v->cl[idx != NULL ? idx[k] : (k) + 1].num)
	size_t lo = at, hi = at + 1, used = strlen(NUMBER(at)), k;
	int more = 1;

	while (more) {
		more = 0;
		if (hi < n && hi - at <= WINDOW &&
		    used + 2 + strlen(NUMBER(hi)) <= LIST_BYTES) {
			used += 2 + strlen(NUMBER(hi));
			hi++;
			more = 1;
		}
		if (lo > 0 && at - lo < WINDOW &&
		    used + 2 + strlen(NUMBER(lo - 1)) <= LIST_BYTES) {
			lo--;
			used += 2 + strlen(NUMBER(lo));
			more = 1;
		}
	}
	if (lo > 0)
		put(c, "...");
	for (k = lo; k < hi; k++)
		put(c, "%s%s", k > 0 ? ", " : "", NUMBER(k));
	if (hi < n)
		put(c, ", ...");
#undef NUMBER
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
		put(c, ")");
		put_eol(c);
	}
	for (i = 1; i < v->ncl; i++) {
		if (v->back[i] != NONE)
			continue;
		c->n++;
		if (!listed(c))
			continue;
		put(c, "%s: has ", v->lang);
		put_clause(c, v, i);
		put(c, " that %s lacks", r->lang);
		put_eol(c);
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
	put_eol(c);
done:
	free(sr);
	free(so);
}

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	return x->n->seq < y->n->seq ? -1 : x->n->seq > y->n->seq;
}

/* A number as listed, "24" or "1 (ru: 2, en: 1)", into buf[ITEM_MAX]. */
#define ITEM_MAX	128
static size_t
item_fmt(char *buf, const struct item *it, const char *la, const char *lb)
{
	const struct num *n = it->n;
	int k;

	if (n->len <= DIGITS_SHOWN)
		k = snprintf(buf, ITEM_MAX, "%.*s", (int)n->len, n->p);
	else
		k = snprintf(buf, ITEM_MAX, "%.*s... (%zu digits)", DIGITS_SHOWN - 4,
		    n->p, n->len);
	if (k >= 0 && k < ITEM_MAX && (it->ca > 1 || it->cb > 1))
		snprintf(buf + k, ITEM_MAX - (size_t)k, " (%s: %zu, %s: %zu)", la,
		    it->ca, lb, it->cb);
	return strlen(buf);
}

/* it[0..n): at most LIST_MAX of them, in at most LIST_BYTES. */
static void
put_items(struct ctx *c, const struct item *it, size_t n, const char *la,
    const char *lb)
{
	char buf[ITEM_MAX];
	size_t i, k, used = 0;

	for (i = 0; i < n && i < LIST_MAX; i++) {
		k = item_fmt(buf, &it[i], la, lb);
		if (i > 0 && used + 2 + k > LIST_BYTES)
			break;
		put(c, "%s%s", i > 0 ? ", " : "", buf);
		used += (i > 0 ? 2 : 0) + k;
	}
	if (i < n)
		put(c, " and %zu other number%s", n - i, n - i == 1 ? "" : "s");
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
	put_eol(c);
done:
	free(lack);
	free(has);
}

/* An alternative as written, quoted, cut after ALT_SHOWN bytes. */
static void
put_alt(struct ctx *c, size_t ai)
{
	const struct alt *a = &c->g.a[ai];
	int n = cut(c->g.text + a->off, a->len, ALT_SHOWN);

	put(c, "\"%.*s%s\"", n, c->g.text + a->off, (size_t)n < a->len ? "..." : "");
}

/* v (version k) lacks entry e in the reference's clause ri. */
static void
report_term(struct ctx *c, size_t ri, size_t k, size_t e)
{
	const struct glossary *g = &c->g;
	const struct ver *v = &c->v[k], *src;
	const struct rendering *rd = &g->r[e * g->nlang + (size_t)v->glang];
	size_t s, i, ai, shown = rd->n < ALTS_SHOWN ? rd->n : ALTS_SHOWN;

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
	for (i = 0; i < shown; i++) {
		if (i > 0)
			put(c, i + 1 < rd->n ? ", " : " or ");
		put_alt(c, rd->first + i);
	}
	if (rd->n > shown)
		put(c, " or %zu other alternative%s", rd->n - shown,
		    rd->n - shown == 1 ? "" : "s");
	put(c, " (%s has ", src->lang);
	if (ai != NONE)
		put_alt(c, ai);
	put(c, " there)");
	put_eol(c);
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
	size_t i, k, j;
	int rc = -1, parsed;

	*report = NULL;
	*nmismatch = 0;
	if (versions_check(v, nv, why, whylen) == -1)
		return -1;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		refuse(why, whylen, "out of memory");
		return -1;
	}
	c->nv = nv;
	for (i = 0; i < nv; i++) {
		c->v[i].lang = v[i].lang;
		c->v[i].text = v[i].text;
		c->v[i].glang = -1;
		if ((parsed = ver_parse(&c->v[i])) == -2) {
			refuse(why, whylen, "version %zu (%s): more than %d clauses",
			    i + 1, v[i].lang, DRIFT_CLAUSES_MAX);
			goto out;
		}
		if (parsed == -1)
			goto oom;
	}
	if (glossary != NULL &&
	    gloss_parse(&c->g, glossary, "glossary ", why, whylen) == -1)
		goto out;
	for (i = 0; i < nv; i++)
		for (k = 0; k < c->g.nlang; k++)
			if (strcmp(c->g.lang[k], v[i].lang) == 0)
				c->v[i].glang = (int)k;
	for (i = 1; i < nv; i++)
		if (ver_match(&c->v[i], &c->v[0]) == -1)
			goto oom;
	if (c->g.ne > 0) {
		if ((c->pid = calloc(c->g.na, sizeof(*c->pid))) == NULL ||
		    (c->has = calloc(c->g.ne, sizeof(*c->has))) == NULL ||
		    (c->miss = calloc(c->g.ne * nv, sizeof(*c->miss))) == NULL ||
		    slots_make(c) == -1)
			goto oom;
		for (i = 0; i < nv; i++)
			if (c->v[i].glang >= 0 && terms_find(c, &c->v[i]) == -1)
				goto oom;
	}
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
			for (j = 0; j < c->nmiss[k]; j++)
				report_term(c, i, k, c->miss[k * c->g.ne + j]);
		}
	}
	if (c->n > DRIFT_REPORT_LINES) {
		put(c, "... and %zu more", c->n - DRIFT_REPORT_LINES);
		put_eol(c);
	}
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
	free(c->pid);
	free(c->slot0);
	free(c->slot);
	free(c->has);
	free(c->miss);
	free(c->out);
	free(c);
	return rc;
}
