/* The texts of an agreement, its language versions and frames, and the
 * check of the versions; see texts.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "crypto.h"
#include "drift.h"
#include "log.h"
#include "sheet.h"
#include "text.h"
#include "texts.h"

#define REPORT_SHOWN 3	/* mismatches named in a refusal */

char *
texts_check(const char *text, size_t len, char *why, size_t whylen, int *oom)
{
	char *norm, line[160];
	size_t n, i;

	*oom = 0;
	if (text == NULL || len == 0) {
		snprintf(why, whylen, "the text is empty");
		return NULL;
	}
	if (len > TEXTS_MAX) {
		snprintf(why, whylen, "the text is longer than %d bytes", TEXTS_MAX);
		return NULL;
	}
	if (text_check(text, len, line, sizeof(line)) != 0 ||
	    text_displayable(text, len, line, sizeof(line)) != 0) {
		snprintf(why, whylen, "the text, %s", line);
		return NULL;
	}
	if ((norm = text_normalize(text, len, &n)) == NULL) {
		snprintf(why, whylen, "out of memory; nothing was saved, try again");
		*oom = 1;
		return NULL;
	}
	for (i = 0; i < n && (norm[i] == '\n' || norm[i] == ' ' || norm[i] == '\t'); i++)
		;
	if (i == n) {
		free(norm);
		snprintf(why, whylen, "the text is blank");
		return NULL;
	}
	return norm;
}

/* Is lang named in the comma list (NULL: every language is)? */
static int
listed(const char *list, const char *lang)
{
	size_t n = strlen(lang);
	const char *p = list;

	if (list == NULL)
		return 1;
	while ((p = strstr(p, lang)) != NULL) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

/* --authentic: a comma list of languages given with --text.  0, or -1
 * refused in o. */
static int
authentic_check(const struct texts_given *g, struct out *o)
{
	const char *p = g->authentic, *q;
	char tag[AG_LANG_MAX + 2];
	size_t i, n;

	if (p == NULL)
		return 0;
	if (g->nv == 0)
		return out_usage(o, "--authentic names language versions; give them with "
		    "--text LANG=FILE");
	for (;;) {
		q = strchr(p, ',');
		n = q ? (size_t)(q - p) : strlen(p);
		if (n == 0 || n > AG_LANG_MAX)
			return out_usage(o, "--authentic takes languages given with --text, "
			    "separated by commas (--authentic ru or ru,en)");
		memcpy(tag, p, n);
		tag[n] = '\0';
		for (i = 0; i < g->nv && strcmp(g->lang[i], tag) != 0; i++)
			;
		if (i == g->nv)
			return out_usage(o, "--authentic %s: no version in that language was given "
			    "with --text", tag);
		if (q != NULL && listed(q + 1, tag))
			return out_usage(o, "--authentic names %s twice", tag);
		if (q == NULL)
			return 0;
		p = q + 1;
	}
}

static void
versions_sort(struct ag_versions *v)
{
	struct ag_versions t;
	size_t i, j;

	for (i = 1; i < v->n; i++)
		for (j = i; j > 0 && strcmp(v->lang[j - 1], v->lang[j]) > 0; j--) {
			memcpy(t.lang[0], v->lang[j], sizeof(t.lang[0]));
			t.text[0] = v->text[j];
			t.authentic[0] = v->authentic[j];
			memcpy(v->lang[j], v->lang[j - 1], sizeof(t.lang[0]));
			v->text[j] = v->text[j - 1];
			v->authentic[j] = v->authentic[j - 1];
			memcpy(v->lang[j - 1], t.lang[0], sizeof(t.lang[0]));
			v->text[j - 1] = t.text[0];
			v->authentic[j - 1] = t.authentic[0];
		}
}

static int
take_versions(const struct texts_given *g, struct ag_versions *v, size_t *total,
    struct out *o)
{
	char why[200];
	size_t i, j;
	int oom;

	memset(v, 0, sizeof(*v));
	if (g->nv > SIGN_MAX_VERSIONS)
		return out_usage(o, "at most %d language versions", SIGN_MAX_VERSIONS);
	if (authentic_check(g, o) != 0)
		return -1;
	for (i = 0; i < g->nv; i++) {
		if (!drift_lang_valid(g->lang[i]))
			return out_usage(o, "--text %s=FILE: a language is a tag of 2 to %d lowercase "
			    "letters, digits and '-', beginning with a letter (ru, en, hy)",
			    g->lang[i], AG_LANG_MAX);
		for (j = 0; j < i; j++)
			if (strcmp(g->lang[j], g->lang[i]) == 0)
				return out_usage(o, "--text %s= is given twice", g->lang[i]);
	}
	for (i = 0; i < g->nv; i++) {
		snprintf(v->lang[i], sizeof(v->lang[0]), "%s", g->lang[i]);
		v->authentic[i] = listed(g->authentic, g->lang[i]);
		v->n = i + 1;
		if ((v->text[i] = texts_check(g->text[i], g->len[i], why, sizeof(why),
		    &oom)) == NULL) {
			ag_versions_free(v);
			return oom ? out_refuse(o, "%s", why) :
			    out_usage(o, "the %s version: %s", g->lang[i], why);
		}
		*total += strlen(v->text[i]);
	}
	versions_sort(v);
	return 0;
}

static void
frames_free(char **frames, size_t np)
{
	size_t i;

	for (i = 0; i < np; i++) {
		free(frames[i]);
		frames[i] = NULL;
	}
}

static int
take_frames(const struct texts_given *g, const char (*parties)[PARTY_CODE_MAX + 1], size_t np,
    char **frames, size_t *total, struct out *o)
{
	char why[200];
	size_t i, j, n;

	for (i = 0; i < np; i++)
		frames[i] = NULL;
	for (i = 0; i < g->nf; i++) {
		for (j = 0; j < np && strcmp(parties[j], g->party[i]) != 0; j++)
			;
		if (j == np) {
			frames_free(frames, np);
			return out_usage(o, "--frame %s=FILE: %s is not one of --parties",
			    g->party[i], g->party[i]);
		}
		if (frames[j] != NULL) {
			frames_free(frames, np);
			return out_usage(o, "--frame %s= is given twice", g->party[i]);
		}
		if (text_check(g->frame[i], g->flen[i], why, sizeof(why)) != 0 ||
		    (frames[j] = text_normalize(g->frame[i], g->flen[i], &n)) == NULL) {
			frames_free(frames, np);
			return frames[j] == NULL && why[0] == '\0' ? out_refuse(o, "out of memory") :
			    out_usage(o, "the frame of %s: %s", g->party[i], why);
		}
		if (sheet_frame_check(frames[j], n, why, sizeof(why)) != 0) {
			frames_free(frames, np);
			return out_usage(o, "the frame of %s: %s", g->party[i], why);
		}
		*total += n;
	}
	return 0;
}

int
texts_take(const struct texts_given *g, size_t textlen, const char (*parties)[PARTY_CODE_MAX + 1],
    size_t np, struct ag_versions *v, char **frames, struct out *o)
{
	size_t total = textlen;

	if (take_versions(g, v, &total, o) != 0)
		return -1;
	if (take_frames(g, parties, np, frames, &total, o) != 0) {
		ag_versions_free(v);
		return -1;
	}
	if (total > TEXTS_MAX) {
		ag_versions_free(v);
		frames_free(frames, np);
		return out_usage(o, "the texts and frames together are %zu bytes, more than the %d "
		    "an agreement may hold", total, TEXTS_MAX);
	}
	return 0;
}

int
texts_fit(struct ag_ctx *e, int64_t agreement, size_t textlen, char *why, size_t whylen)
{
	struct ag_frames *f = malloc(sizeof(*f));
	size_t i, total = textlen;

	if (f == NULL || ag_load_frames(e, agreement, f) != 0) {
		free(f);
		return -1;
	}
	for (i = 0; i < f->n; i++)
		total += strlen(f->frame[i]);
	ag_frames_free(f);
	free(f);
	if (total <= TEXTS_MAX)
		return 0;
	snprintf(why, whylen, "with the parties' frames the text would be %zu bytes, more than "
	    "the %d an agreement may hold", total, TEXTS_MAX);
	return 1;
}

/* ---- the check of the versions ---- */

static int
glossary_store(struct ag_ctx *e, int64_t id, const char *glossary)
{
	static const char sql[] =
	    "INSERT INTO agreement_glossary(agreement_id, glossary, set_at) VALUES(?1, ?2, ?3) "
	    "ON CONFLICT(agreement_id) DO UPDATE SET glossary = ?2, set_at = ?3";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, glossary, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, clock_now(e->clk));
	return store_step_done(e->st, s);
}

/* The stored glossary, malloc'd, or NULL with *rc 0 (none) or -1. */
static char *
glossary_load(struct ag_ctx *e, int64_t id, int *rc)
{
	static const char sql[] = "SELECT glossary FROM agreement_glossary WHERE agreement_id = ?";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	char *g = NULL;
	int step;

	*rc = -1;
	if (s == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	if ((step = sqlite3_step(s)) == SQLITE_ROW && (g = strdup(store_col_str(s, 0))) == NULL)
		step = SQLITE_NOMEM;
	if (store_rows_end(e->st, s, step, "a glossary") != 0) {
		free(g);
		return NULL;
	}
	*rc = 0;
	return g;
}

/* How many language versions a's current revision has (-1: the store). */
static int
versions_count(struct ag_ctx *e, const struct ag *a)
{
	struct ag_versions v;
	int n;

	if (ag_load_versions(e, a->id, a->revision, &v) != 0)
		return -1;
	n = (int)v.n;
	ag_versions_free(&v);
	return n;
}

/* Whether the glossary's "languages:" line names at least two of a's
 * languages (otherwise it compares nothing). */
static int
glossary_covers(const char *glossary, struct ag_ctx *e, const struct ag *a)
{
	struct ag_versions v;
	const char *p = glossary, *line = NULL, *end;
	char tag[AG_LANG_MAX + 2];
	size_t i, n, hits = 0;

	/* the first line that is neither blank nor a comment */
	while (*p != '\0') {
		const char *q = p + strspn(p, " \t");
		if (*q != '\n' && *q != '#' && *q != '\0') {
			line = q;
			break;
		}
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}
	if (line == NULL || strncmp(line, "languages:", 10) != 0 ||
	    ag_load_versions(e, a->id, a->revision, &v) != 0)
		return 0;
	end = strchr(line, '\n');
	if (end == NULL)
		end = line + strlen(line);
	for (p = line + 10; p < end;) {
		p += strspn(p, " \t");
		n = strcspn(p, " \t\n");
		if (n > 0 && n <= AG_LANG_MAX) {
			memcpy(tag, p, n);
			tag[n] = '\0';
			for (i = 0; i < v.n; i++)
				hits += strcmp(v.lang[i], tag) == 0;
		}
		p += n > 0 ? n : 1;
	}
	ag_versions_free(&v);
	return hits >= 2;
}

/* Compare the versions of a's current revision: 0 with *report (malloc'd)
 * and *n, 1 when it has fewer than two versions, -1 refused in o. */
/* ... 2 when the check cannot be run on these versions (the reason in
 * a_why), o untouched. */
static int
run_check(struct ag_ctx *e, const struct ag *a, char **report, size_t *n, int *glossed,
    char *a_why, size_t a_whylen, struct out *o)
{
	struct drift_version dv[SIGN_MAX_VERSIONS];
	struct ag_versions v;
	char why[300], *glossary;
	size_t i, k = 0;
	int rc;

	*report = NULL;
	*n = 0;
	if (ag_load_versions(e, a->id, a->revision, &v) != 0)
		return out_refuse(o, "store failure");
	if (v.n < 2) {
		ag_versions_free(&v);
		return 1;
	}
	glossary = glossary_load(e, a->id, &rc);
	*glossed = glossary != NULL;
	if (rc != 0) {
		ag_versions_free(&v);
		return out_refuse(o, "store failure");
	}
	/* The first authentic version is the one the others are read against. */
	for (i = 0; i < v.n; i++)
		if (v.authentic[i] && k == 0) {
			dv[k].lang = v.lang[i];
			dv[k++].text = v.text[i];
		}
	for (i = 0; i < v.n; i++)
		if (k == 0 || dv[0].lang != v.lang[i]) {
			dv[k].lang = v.lang[i];
			dv[k++].text = v.text[i];
		}
	rc = drift_check(dv, k, glossary, report, n, why, sizeof(why));
	free(glossary);
	ag_versions_free(&v);
	if (rc != 0) {
		/* the check itself refused (a version of too many clauses) */
		snprintf(a_why, a_whylen, "%s", why);
		return 2;
	}
	return 0;
}

int
texts_check_versions(struct ag_ctx *e, int64_t id, const char *glossary, size_t len,
    struct out *o)
{
	char why[300], hex[65], *report;
	uint8_t h[32];
	struct ag a;
	size_t n;
	int rc, glossed = 0;

	if (ag_for_mediator(e, id, &a, o) != 0)
		return -1;
	if (glossary != NULL) {
		if (versions_count(e, &a) < 2)
			return out_refuse(o, "agreement %lld has no language versions to compare: a "
			    "glossary is for an agreement in several languages", (long long)id);
		if (len > TEXTS_GLOSSARY_MAX)
			return out_usage(o, "the glossary is longer than %d bytes", TEXTS_GLOSSARY_MAX);
		if (text_check(glossary, len, why, sizeof(why)) != 0 ||
		    drift_glossary_check(glossary, why, sizeof(why)) != 0)
			return out_usage(o, "the glossary: %s", why);
		if (a.state != AG_DRAFT)
			return out_refuse(o, "agreement %lld is %s: the glossary is set before "
			    "circulation", (long long)id, lifecycle_state_name(a.state));
		crypto_sha256(glossary, len, h);
		if (glossary_store(e, id, glossary) != 0 ||
		    ag_journal(e, "glossary", id, NULL, (const uint8_t (*)[32])h, 1,
		    "the mediator's glossary for the check of the language versions") != 0)
			return out_refuse(o, "store failure: %s", store_errmsg(e->st));
		hex_encode(h, 32, hex);
		jw_str(o->json, "glossary_sha256", hex);
	}
	if ((rc = run_check(e, &a, &report, &n, &glossed, why, sizeof(why), o)) < 0)
		return -1;
	if (rc == 2)
		return out_refuse(o, "cannot check agreement %lld: %s", (long long)id, why);
	if (rc == 0 && glossary != NULL && !glossary_covers(glossary, e, &a)) {
		free(report);
		return out_usage(o, "the glossary's languages line names fewer than two of the "
		    "languages of agreement %lld: none of its entries could be compared",
		    (long long)id);
	}
	jw_int(o->json, "id", id);
	jw_int(o->json, "revision", a.revision);
	if (rc == 1) {
		jw_int(o->json, "mismatches", 0);
		jw_str(o->json, "report", "");
		out_text(o, "agreement %lld has one text: there are no language versions to "
		    "compare\n", (long long)id);
		return 0;
	}
	jw_int(o->json, "mismatches", (int64_t)n);
	jw_str(o->json, "report", report);
	if (n == 0)
		out_text(o, "agreement %lld revision %u: the language versions agree (clauses, "
		    "numbers%s)\n", (long long)id, a.revision,
		    glossed ? " and the glossary's terms" : "; no glossary is set");
	else
		out_text(o, "agreement %lld revision %u: %zu mismatch%s between the language "
		    "versions:\n%s", (long long)id, a.revision, n, n == 1 ? "" : "es", report);
	free(report);
	return 0;
}

int
texts_gate(struct ag_ctx *e, const struct ag *a, const char *override, struct out *o)
{
	char *report, first[700];
	size_t n, i, len = 0;
	const char *p;
	int rc, glossed;

	if ((rc = run_check(e, a, &report, &n, &glossed, first, sizeof(first), o)) < 0)
		return -1;
	if (rc == 2) {
		/* the versions cannot be compared: only the mediator's word */
		if (override == NULL)
			return out_refuse(o, "cannot circulate agreement %lld: its language versions "
			    "cannot be checked (%s); --override NOTE circulates it unchecked",
			    (long long)a->id, first);
		if (!cert_shown_valid(override, 600) || strspn(override, " ") == strlen(override))
			return out_usage(o, "--override takes a note of 1 to 600 bytes, one line "
			    "without control characters, saying why the versions go out as they are");
		if (ag_journal(e, "check-override", a->id, NULL, NULL, 0, "revision %u circulated "
		    "with its language versions unchecked (%s): %s", a->revision, first,
		    override) != 0)
			return out_refuse(o, "store failure: journal");
		return 0;
	}
	if (rc == 1 || n == 0) {
		free(report);
		if (override != NULL)
			return out_usage(o, "--override: %s, there is nothing to override",
			    rc == 1 ? "the agreement has no language versions" :
			    "the language versions agree");
		return 0;
	}
	if (override != NULL) {
		free(report);
		if (!cert_shown_valid(override, 600) || strspn(override, " ") == strlen(override))
			return out_usage(o, "--override takes a note of 1 to 600 bytes, one line "
			    "without control characters, saying why the versions go out as they are");
		if (ag_journal(e, "check-override", a->id, NULL, NULL, 0, "revision %u circulated "
		    "with %zu mismatch%s between its language versions: %s", a->revision, n,
		    n == 1 ? "" : "es", override) != 0)
			return out_refuse(o, "store failure: journal");
		log_info("agreement %lld: circulated over %zu mismatch%s of its versions: %s",
		    (long long)a->id, n, n == 1 ? "" : "es", override);
		return 0;
	}
	/* The first few, whole lines: the rest is parleyctl agreement check's. */
	for (i = 0, p = report; i < REPORT_SHOWN && *p != '\0'; i++) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p), room = sizeof(first) / REPORT_SHOWN;
		/* each line whole, or cut where a UTF-8 character begins */
		if (l + 1 > room) {
			l = room - 5;
			while (l > 0 && ((unsigned char)p[l] & 0xc0) == 0x80)
				l--;
			len += (size_t)snprintf(first + len, sizeof(first) - len, "%.*s...\n", (int)l, p);
		} else {
			len += (size_t)snprintf(first + len, sizeof(first) - len, "%.*s\n", (int)l, p);
		}
		p = nl ? nl + 1 : p + strlen(p);
	}
	free(report);
	return out_refuse(o, "cannot circulate agreement %lld: %zu mismatch%s between its "
	    "language versions (parleyctl agreement check %lld lists them; --override NOTE "
	    "circulates it as it is):\n%s", (long long)a->id, n, n == 1 ? "" : "es",
	    (long long)a->id, first);
}
