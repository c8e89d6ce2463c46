/* fuzz_drift: drift_check and drift_glossary_check (proto/drift.h).  The
 * input is split at its NUL bytes: the first part is the glossary (empty:
 * none), the others are the versions' texts, tagged ru, en, hy, az, ... in
 * that order (up to DRIFT_VERSIONS_MAX + 1, so that too many are refused
 * too).  Checked:
 *  - drift_check refuses exactly when there are fewer than two texts, more
 *    than DRIFT_VERSIONS_MAX, a text that is not valid UTF-8, a text with
 *    more than DRIFT_CLAUSES_MAX clauses (which it must have more lines
 *    than), or a glossary that drift_glossary_check refuses, and then its
 *    reason is that of drift_glossary_check behind "glossary ";
 *  - an accepted report is valid UTF-8, "" exactly when there is no
 *    mismatch, and has min(n, DRIFT_REPORT_LINES) lines, plus
 *    "... and N more" with N = n - DRIFT_REPORT_LINES past the cap; no
 *    line is longer than DRIFT_REPORT_LINE_MAX bytes with its LF, nor the
 *    report longer than DRIFT_REPORT_MAX;
 *  - the same input gives the same report and count again;
 *  - each of the first texts compared with itself has no mismatch;
 *  - drift_lang_valid agrees with its rule on the input's first bytes. */
#include <string.h>

#include "fuzz.h"
#include "proto/drift.h"
#include "proto/text.h"

static const char *const tags[DRIFT_VERSIONS_MAX + 1] = {
	"ru", "en", "hy", "az", "ka", "fr", "de", "tr", "fa", "ar", "zh", "es",
	"it", "uk", "be", "kk", "tg",
};

static int
ref_lang_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 2 || n > 8 || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-'))
			return 0;
	return 1;
}

static void
check_report(const char *report, size_t n)
{
	size_t lines = 0, len = strlen(report), want;
	const char *p, *nl, *last = NULL;
	char more[64];

	FUZZ_CHECK(text_utf8_valid(report, len), "report is not valid UTF-8");
	FUZZ_CHECK((n == 0) == (len == 0), "%zu mismatches, report of %zu bytes",
	    n, len);
	FUZZ_CHECK(len <= DRIFT_REPORT_MAX, "a report of %zu bytes", len);
	for (p = report; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		FUZZ_CHECK(nl != NULL, "report line without LF: \"%s\"", p);
		FUZZ_CHECK(nl > p, "empty report line");
		FUZZ_CHECK(nl + 1 - p <= DRIFT_REPORT_LINE_MAX, "a line of %zu "
		    "bytes: \"%.*s\"", (size_t)(nl + 1 - p), (int)(nl - p), p);
		last = p;
		lines++;
	}
	want = n > DRIFT_REPORT_LINES ? DRIFT_REPORT_LINES + 1 : n;
	FUZZ_CHECK(lines == want, "%zu report lines for %zu mismatches", lines, n);
	if (n > DRIFT_REPORT_LINES) {
		snprintf(more, sizeof(more), "... and %zu more\n",
		    n - DRIFT_REPORT_LINES);
		FUZZ_CHECK(strcmp(last, more) == 0, "last line \"%s\"", last);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct drift_version v[DRIFT_VERSIONS_MAX + 1], self[2];
	char *buf, *p, *end, *gl, *report, *again, why[512], gwhy[512], lang[10];
	char many[64];
	const char *t;
	size_t nv = 0, i, n, n2, lines;
	int rc, vbad = 0, grc = 0, toomany;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	end = buf + size;

	n = size < sizeof(lang) - 1 ? size : sizeof(lang) - 1;
	memcpy(lang, buf, n);
	lang[n] = '\0';
	FUZZ_CHECK(drift_lang_valid(lang) == ref_lang_valid(lang),
	    "drift_lang_valid(\"%s\")", lang);

	gl = *buf != '\0' ? buf : NULL;
	for (p = buf + strlen(buf); p < end && nv < DRIFT_VERSIONS_MAX + 1;
	    p += strlen(p)) {
		p++;
		v[nv].lang = tags[nv];
		v[nv].text = p;
		if (!text_utf8_valid(p, strlen(p)))
			vbad = 1;
		nv++;
	}
	if (nv < 2 || nv > DRIFT_VERSIONS_MAX)
		vbad = 1;
	if (gl != NULL) {
		gwhy[0] = '\0';
		grc = drift_glossary_check(gl, gwhy, sizeof(gwhy));
		FUZZ_CHECK(grc == 0 || gwhy[0] != '\0', "glossary refused, no reason");
		FUZZ_CHECK(grc == 0 || text_utf8_valid(gwhy, strlen(gwhy)),
		    "reason not UTF-8");
	}

	why[0] = '\0';
	report = (char *)"unset";
	rc = drift_check(v, nv, gl, &report, &n, why, sizeof(why));
	/* too many clauses: a refusal of the versions, for a text that has
	 * the lines for them */
	toomany = 0;
	if (rc == -1 && !vbad && strstr(why, "more than") != NULL) {
		for (i = 0; i < nv && !toomany; i++) {
			snprintf(many, sizeof(many), "version %zu (%s): more than %d "
			    "clauses", i + 1, v[i].lang, DRIFT_CLAUSES_MAX);
			if (strcmp(why, many) != 0)
				continue;
			for (t = v[i].text, lines = 1; *t != '\0'; t++)
				lines += *t == '\n';
			FUZZ_CHECK(lines > DRIFT_CLAUSES_MAX, "\"%s\" with %zu "
			    "lines", why, lines);
			toomany = 1;
		}
		vbad = toomany;
	}
	FUZZ_CHECK(rc == (vbad || grc == -1 ? -1 : 0), "drift_check is %d (%s), "
	    "with %s versions and %s glossary", rc, why, vbad ? "bad" : "good",
	    grc == -1 ? "a bad" : "a good or no");
	if (rc == -1) {
		FUZZ_CHECK(report == NULL && n == 0 && why[0] != '\0',
		    "refusal without a reason or with a report");
		/* versions are checked first; a glossary's refusal is the
		 * parser's */
		if (!vbad)
			FUZZ_CHECK(strncmp(why, "glossary ", 9) == 0 &&
			    strcmp(why + 9, gwhy) == 0, "\"%s\" but the glossary "
			    "check says \"%s\"", why, gwhy);
	} else {
		FUZZ_CHECK(report != NULL, "no report");
		check_report(report, n);
		rc = drift_check(v, nv, gl, &again, &n2, why, sizeof(why));
		FUZZ_CHECK(rc == 0 && n2 == n && strcmp(again, report) == 0,
		    "a second run gives another report");
		free(again);
		free(report);
	}

	/* a text against itself */
	for (i = 0; i < nv && i < 3; i++) {
		if (!text_utf8_valid(v[i].text, strlen(v[i].text)))
			continue;
		self[0] = (struct drift_version){ "ru", v[i].text };
		self[1] = (struct drift_version){ "en", v[i].text };
		rc = drift_check(self, 2, NULL, &report, &n, why, sizeof(why));
		FUZZ_CHECK(rc == 0 && n == 0 && *report == '\0',
		    "text %zu differs from itself: %d, %zu mismatches", i, rc, n);
		free(report);
	}
	free(buf);
	return 0;
}
