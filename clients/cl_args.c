/* The command-line parser both CLIs share (cl_args.h).  Verbs are matched
 * word by word: a word that names a verb ends the match, a word that names
 * a group goes one level down, anything else is an unknown command and the
 * nearest word of that level is suggested. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cl_args.h"

#define HELP_COLUMN 22		/* option help starts after this many columns */
#define WORD_MAX 64

static enum cl_args_status
fail(struct cl_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static enum cl_args_status
fail(struct cl_args *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->err, sizeof(a->err), fmt, ap);
	va_end(ap);
	return CL_ARGS_ERROR;
}

static int
is_help(const char *s)
{
	return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0;
}

/* The option of table t named s[0..n) ("--" already taken off). */
static const struct cl_args_option *
find_long(const struct cl_args_option *t, const char *s, size_t n)
{
	for (; t != NULL && t->name != NULL; t++)
		if (strlen(t->name) == n && strncmp(t->name, s, n) == 0)
			return t;
	return NULL;
}

static const struct cl_args_option *
find_short(const struct cl_args_option *t, char c)
{
	for (; t != NULL && t->name != NULL; t++)
		if (t->short_name == c)
			return t;
	return NULL;
}

static enum cl_args_status
add_value(struct cl_args *a, const struct cl_args_option *o, const char *value, int global)
{
	int i;

	if (o->value != NULL && !(o->flags & CL_ARGS_REPEAT))
		for (i = 0; i < a->nopts; i++)
			if (a->opts[i].opt == o)
				return fail(a, "--%s given twice", o->name);
	if (a->nopts == CL_ARGS_MAXOPT)
		return fail(a, "too many options");
	a->opts[a->nopts].opt = o;
	a->opts[a->nopts].value = value;
	a->opts[a->nopts].global = global;
	a->nopts++;
	return CL_ARGS_OK;
}

/* The option argv[*i] names, with its value (argv[*i + 1] if it takes one
 * and has no "="): from the verb's table, else from the global options
 * (all of them before the verb, those marked ANYWHERE after it). */
static enum cl_args_status
take_option(struct cl_args *a, const struct cl_args_option *verbopts, int before_verb,
    int argc, char **argv, int *i)
{
	const struct cl_args_option *o = NULL;
	const char *s = argv[*i], *eq = NULL, *value;
	int global = 0;

	if (strncmp(s, "--", 2) == 0) {
		size_t n;
		eq = strchr(s + 2, '=');
		n = eq ? (size_t)(eq - s - 2) : strlen(s + 2);
		o = find_long(verbopts, s + 2, n);
		if (o == NULL && (o = find_long(a->prog->globals, s + 2, n)) != NULL) {
			global = 1;
			/* -c FILE is spelt one way; most globals go before the verb */
			if (o->short_name || (!before_verb && !(o->flags & CL_ARGS_ANYWHERE)))
				o = NULL;
		}
	} else if (before_verb && s[1] != '\0' && s[2] == '\0') {
		o = find_short(a->prog->globals, s[1]);
		global = 1;
	}
	if (o == NULL)
		return fail(a, "unknown option %s", s);
	if (o->value == NULL) {
		if (eq != NULL)
			return fail(a, "--%s takes no value", o->name);
		value = "";
	} else if (eq != NULL) {
		value = eq + 1;
	} else if (*i + 1 < argc) {
		value = argv[++*i];
	} else {
		return fail(a, "%s needs a value", s);
	}
	return add_value(a, o, value, global);
}

/* ---- verbs ---- */

/* The word of v->name after the group (group "" or ending a prefix of
 * it), into w; 0 if v is not in the group. */
static int
next_word(const struct cl_args_verb *v, const char *group, char w[WORD_MAX])
{
	size_t gl = strlen(group), n;
	const char *s = v->name;

	if (gl > 0) {
		if (strncmp(s, group, gl) != 0 || s[gl] != ' ')
			return 0;
		s += gl + 1;
	}
	n = strcspn(s, " ");
	if (n >= WORD_MAX)
		return 0;
	memcpy(w, s, n);
	w[n] = '\0';
	return 1;
}

static const struct cl_args_verb *
find_verb(const struct cl_args_prog *p, const char *name)
{
	size_t k;

	for (k = 0; k < p->nverbs; k++)
		if (strcmp(p->verbs[k].name, name) == 0)
			return &p->verbs[k];
	return NULL;
}

/* Some verb's name goes on after words (words + " " is its prefix). */
static int
is_group(const struct cl_args_prog *p, const char *words)
{
	size_t k, n = strlen(words);

	for (k = 0; k < p->nverbs; k++)
		if (strncmp(p->verbs[k].name, words, n) == 0 && p->verbs[k].name[n] == ' ')
			return 1;
	return 0;
}

size_t
cl_args_distance(const char *s, const char *t)
{
	size_t m = strlen(s), n = strlen(t), i, j, d[WORD_MAX + 1][WORD_MAX + 1];

	if (m > WORD_MAX || n > WORD_MAX)
		return m > n ? m : n;
	for (i = 0; i <= m; i++)
		d[i][0] = i;
	for (j = 0; j <= n; j++)
		d[0][j] = j;
	for (i = 1; i <= m; i++) {
		for (j = 1; j <= n; j++) {
			size_t best = d[i - 1][j - 1] + (s[i - 1] != t[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && s[i - 1] == t[j - 2] && s[i - 2] == t[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[m][n];
}

/* The word of this level nearest to w, into out ("" if none is close: a
 * few edits away, or the one word w begins). */
static void
nearest(const struct cl_args_prog *p, const char *group, const char *w, char out[WORD_MAX])
{
	char cand[WORD_MAX], prefixed[WORD_MAX] = "";
	size_t k, d, best = (size_t)-1, nprefixed = 0;

	out[0] = '\0';
	for (k = 0; k < p->nverbs; k++) {
		if (!next_word(&p->verbs[k], group, cand))
			continue;
		d = cl_args_distance(w, cand);
		if (d < best && d <= 1 + strlen(cand) / 4 && d < strlen(w)) {
			best = d;
			memcpy(out, cand, sizeof(cand));
		}
		if (strlen(w) >= 3 && strncmp(cand, w, strlen(w)) == 0 &&
		    strcmp(cand, prefixed) != 0) {
			memcpy(prefixed, cand, sizeof(cand));
			nprefixed++;
		}
	}
	if (out[0] == '\0' && nprefixed == 1)
		memcpy(out, prefixed, sizeof(prefixed));
}

static enum cl_args_status
unknown(struct cl_args *a, const char *w)
{
	const char *g = a->group, *sp = *g ? " " : "";
	char near[WORD_MAX];

	a->unknown = 1;
	nearest(a->prog, g, w, near);
	if (near[0] != '\0')
		return fail(a, "unknown command \"%s%s%s\"; did you mean \"%s%s%s\"? "
		    "(%s%s%s --help lists them)", g, sp, w, g, sp, near, a->prog->name, sp, g);
	return fail(a, "unknown command \"%s%s%s\" (%s%s%s --help lists them)", g, sp, w,
	    a->prog->name, sp, g);
}

/* The verbs of the group, as "a, b, c". */
static void
group_words(const struct cl_args *a, char *buf, size_t len)
{
	char w[WORD_MAX], last[WORD_MAX] = "";
	size_t k, at = 0;

	buf[0] = '\0';
	for (k = 0; k < a->prog->nverbs; k++) {
		if (!next_word(&a->prog->verbs[k], a->group, w) || strcmp(w, last) == 0)
			continue;
		if (at < len)
			at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? ", " : "", w);
		memcpy(last, w, sizeof(w));
	}
}

/* Match argv[*i ...] against the verbs, word by word. */
static enum cl_args_status
match_verb(struct cl_args *a, int argc, char **argv, int *i)
{
	const struct cl_args_verb *leaf;
	char cand[sizeof(a->group)], next[sizeof(a->group)];
	enum cl_args_status rc;

	for (;;) {
		const char *w = *i < argc ? argv[*i] : NULL;
		if (w != NULL && is_help(w))
			return CL_ARGS_HELP;
		if (w != NULL && strncmp(w, "--", 2) == 0 && *a->group) {
			/* "parley incident --json list": a global between the words */
			if ((rc = take_option(a, NULL, 0, argc, argv, i)) != CL_ARGS_OK)
				return rc;
			(*i)++;
			continue;
		}
		if (w == NULL || w[0] == '-') {
			char words[400];
			group_words(a, words, sizeof(words));
			return fail(a, "\"%s\" needs one of: %s", a->group, words);
		}
		if ((size_t)snprintf(cand, sizeof(cand), "%s%s%s", a->group, *a->group ? " " : "",
		    w) >= sizeof(cand))
			return unknown(a, w);
		leaf = find_verb(a->prog, cand);
		if (is_group(a->prog, cand) && (leaf == NULL || (*i + 1 < argc &&
		    (size_t)snprintf(next, sizeof(next), "%s %s", cand, argv[*i + 1]) <
		    sizeof(next) && (find_verb(a->prog, next) || is_group(a->prog, next))))) {
			memcpy(a->group, cand, sizeof(cand));
			(*i)++;
			continue;
		}
		if (leaf == NULL)
			return unknown(a, w);
		a->verb = leaf;
		(*i)++;
		return CL_ARGS_OK;
	}
}

/* Of o's alt group (o alone if it has none), the first option given. */
static const struct cl_args_option *
alt_given(const struct cl_args *a, const struct cl_args_option *o)
{
	const struct cl_args_option *p;

	for (p = a->verb->opts; p->name != NULL; p++)
		if ((p == o || (o->alt && p->alt == o->alt)) && cl_args_has(a, p->name))
			return p;
	return NULL;
}

/* Required options given, and no two of one alt group. */
static enum cl_args_status
check_options(struct cl_args *a)
{
	const struct cl_args_option *o, *p;
	char names[200];
	size_t at = 0;

	for (o = a->verb->opts; o != NULL && o->name != NULL; o++) {
		if ((p = alt_given(a, o)) != NULL && p != o && cl_args_has(a, o->name))
			return fail(a, "--%s and --%s exclude each other", p->name, o->name);
		if (p != NULL || !(o->flags & CL_ARGS_REQUIRED))
			continue;
		for (p = a->verb->opts; p->name != NULL; p++)
			if ((p == o || (o->alt && p->alt == o->alt)) && at < sizeof(names))
				at += (size_t)snprintf(names + at, sizeof(names) - at, "%s--%s",
				    at ? " or " : "", p->name);
		return fail(a, "missing %s", names);
	}
	return CL_ARGS_OK;
}

/* What follows the verb: its options and positionals, in any order. */
static enum cl_args_status
verb_args(struct cl_args *a, int argc, char **argv, int i)
{
	enum cl_args_status rc;
	int rest = 0;

	for (; i < argc; i++) {
		const char *s = argv[i];
		if (!rest && strcmp(s, "--") == 0) {
			rest = 1;
			continue;
		}
		if (!rest && is_help(s))
			return CL_ARGS_HELP;
		if (!rest && strncmp(s, "--", 2) == 0) {
			if ((rc = take_option(a, a->verb->opts, 0, argc, argv, &i)) != CL_ARGS_OK)
				return rc;
			continue;
		}
		if (a->npos == a->verb->maxpos || a->npos == CL_ARGS_MAXPOS)
			return fail(a, "unexpected argument \"%s\"", s);
		a->pos[a->npos++] = s;
	}
	if (a->npos < a->verb->minpos)
		return fail(a, "missing arguments");
	return check_options(a);
}

enum cl_args_status
cl_args_parse(const struct cl_args_prog *p, int argc, char **argv, struct cl_args *a)
{
	enum cl_args_status rc;
	int i;

	memset(a, 0, sizeof(*a));
	a->prog = p;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (is_help(argv[i]))
			return CL_ARGS_HELP;
		if ((rc = take_option(a, NULL, 1, argc, argv, &i)) != CL_ARGS_OK)
			return rc;
	}
	if (i >= argc)
		return CL_ARGS_ERROR;	/* no verb: err stays "" */
	if ((rc = match_verb(a, argc, argv, &i)) != CL_ARGS_OK)
		return rc;
	return verb_args(a, argc, argv, i);
}

/* ---- results ---- */

int
cl_args_count(const struct cl_args *a, const char *name)
{
	int i, n = 0;

	for (i = 0; i < a->nopts; i++)
		if (strcmp(a->opts[i].opt->name, name) == 0)
			n++;
	return n;
}

const char *
cl_args_nth(const struct cl_args *a, const char *name, int nth)
{
	int i;

	for (i = 0; i < a->nopts; i++)
		if (strcmp(a->opts[i].opt->name, name) == 0 && nth-- == 0)
			return a->opts[i].value;
	return NULL;
}

const char *
cl_args_opt(const struct cl_args *a, const char *name)
{
	int n = cl_args_count(a, name);

	return n ? cl_args_nth(a, name, n - 1) : NULL;
}

int
cl_args_has(const struct cl_args *a, const char *name)
{
	return cl_args_count(a, name) > 0;
}

const char *
cl_args_pos(const struct cl_args *a, int i)
{
	return i >= 0 && i < a->npos ? a->pos[i] : NULL;
}

/* ---- help ---- */

struct sbuf {
	char *p;
	size_t len, at;
};

static void
put(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->at >= b->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->at, b->len - b->at, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->at += (size_t)n;
}

/* "--name VALUE", "-c VALUE" or "--flag". */
static void
option_spelling(const struct cl_args_option *o, struct sbuf *b)
{
	if (o->short_name)
		put(b, "-%c", o->short_name);
	else
		put(b, "--%s", o->name);
	if (o->value != NULL)
		put(b, " %s", o->value);
}

/* The options of a table as usage shows them: "--a A [--b B | --c C]". */
static void
options_usage(const struct cl_args_option *t, struct sbuf *b)
{
	const struct cl_args_option *o;

	for (o = t; o != NULL && o->name != NULL; o++) {
		const struct cl_args_option *g = o, *e = o;
		int req = 0;
		while (o->alt && e[1].name != NULL && e[1].alt == o->alt)
			e++;
		for (; g <= e; g++)
			req |= g->flags & CL_ARGS_REQUIRED;
		put(b, " %s", req ? "" : "[");
		for (g = o; g <= e; g++) {
			if (g != o)
				put(b, " | ");
			option_spelling(g, b);
		}
		put(b, "%s%s", req ? "" : "]", (o->flags & CL_ARGS_REPEAT) ? "..." : "");
		o = e;
	}
}

static void
verb_usage(const struct cl_args_verb *v, struct sbuf *b)
{
	put(b, "%s", v->name);
	if (v->args != NULL)
		put(b, " %s", v->args);
	options_usage(v->opts, b);
}

void
cl_args_usage(const struct cl_args *a, char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0 };

	buf[0] = '\0';
	put(&b, "%s ", a->prog->name);
	if (a->verb != NULL) {
		verb_usage(a->verb, &b);
	} else if (*a->group) {
		put(&b, "%s VERB ...", a->group);
	} else {
		const struct cl_args_option *o;
		for (o = a->prog->globals; o != NULL && o->name != NULL; o++) {
			put(&b, "[");
			option_spelling(o, &b);
			put(&b, "] ");
		}
		put(&b, "VERB ...");
	}
}

/* One option per line: its spelling, then its help. */
static void
options_help(FILE *f, const struct cl_args_option *t)
{
	const struct cl_args_option *o;
	char sp[80];

	for (o = t; o != NULL && o->name != NULL; o++) {
		struct sbuf b = { sp, sizeof(sp), 0 };
		sp[0] = '\0';
		option_spelling(o, &b);
		if (strlen(sp) > HELP_COLUMN)
			fprintf(f, "  %s\n  %-*s  %s\n", sp, HELP_COLUMN, "", o->help);
		else
			fprintf(f, "  %-*s  %s\n", HELP_COLUMN, sp, o->help);
	}
}

/* The verbs of the group ("" for all), usage and help. */
static void
verbs_help(FILE *f, const struct cl_args *a)
{
	char line[1024];
	size_t k, gl = strlen(a->group);

	fprintf(f, "verbs:\n");
	for (k = 0; k < a->prog->nverbs; k++) {
		const struct cl_args_verb *v = &a->prog->verbs[k];
		struct sbuf b = { line, sizeof(line), 0 };
		line[0] = '\0';
		if (gl && (strncmp(v->name, a->group, gl) != 0 || v->name[gl] != ' '))
			continue;
		verb_usage(v, &b);
		fprintf(f, "  %s\n      %s\n", line, v->help);
	}
}

void
cl_args_help(FILE *f, const struct cl_args *a)
{
	char usage[1024];

	cl_args_usage(a, usage, sizeof(usage));
	fprintf(f, "usage: %s\n", usage);
	if (a->verb != NULL) {
		fprintf(f, "  %s\n", a->verb->help);
		if (a->verb->opts != NULL && a->verb->opts->name != NULL) {
			fprintf(f, "\noptions:\n");
			options_help(f, a->verb->opts);
		}
		return;
	}
	if (*a->group == '\0') {
		fprintf(f, "\n%s\n\noptions:\n", a->prog->about);
		options_help(f, a->prog->globals);
		fprintf(f, "  %-*s  %s\n", HELP_COLUMN, "-h, --help",
		    "this help; after a verb, the verb's");
	}
	fprintf(f, "\n");
	verbs_help(f, a);
	if (*a->group == '\0' && a->prog->footer != NULL)
		fprintf(f, "\n%s\n", a->prog->footer);
}

void
cl_args_error(FILE *f, const struct cl_args *a)
{
	char usage[1024];

	if (a->unknown) {
		fprintf(f, "%s: %s\n", a->prog->name, a->err);
	} else if (a->err[0] == '\0') {
		cl_args_help(f, a);
	} else {
		cl_args_usage(a, usage, sizeof(usage));
		fprintf(f, "%s: %s; usage: %s\n", a->prog->name, a->err, usage);
	}
}
