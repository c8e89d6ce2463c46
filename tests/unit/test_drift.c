#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/drift.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A short ceasefire in the three languages; ru is the reference. */
static const char RU[] =
    "Республика Армения и Азербайджанская Республика, желая прекратить "
    "огонь, договорились о нижеследующем.\n"
    "\n"
    "1. Стороны прекращают огонь с 24:00 12 мая 1994 года.\n"
    "2. Крупные воинские подразделения отводятся не менее чем на 5 км от "
    "линии соприкосновения.\n"
    "3. Наблюдатели размещаются в течение 10 дней.\n"
    "4. Пленные обмениваются по принципу «всех на всех».\n"
    "5. Соглашение вступает в силу с момента подписания.\n";

static const char EN[] =
    "The Republic of Armenia and the Republic of Azerbaijan, wishing to "
    "cease fire, have agreed as follows.\n"
    "\n"
    "1. The Parties shall cease fire from 24:00 on 12 May 1994.\n"
    "2. Major military units shall withdraw at least 5 km from the line "
    "of contact.\n"
    "3. Observers shall be deployed within 10 days.\n"
    "4. Prisoners shall be exchanged on the principle of \"all for all\".\n"
    "5. This Agreement enters into force upon signature.\n";

static const char HY[] =
    "Հայաստանի Հանրապետությունը և Ադրբեջանի Հանրապետությունը, ցանկանալով "
    "դադարեցնել կրակը, համաձայնեցին հետևյալի շուրջ։\n"
    "\n"
    "1. Կողմերը դադարեցնում են կրակը 1994 թվականի մայիսի 12-ի ժամը 24:00-ից։\n"
    "2. Խոշոր զորամիավորումները հետ են քաշվում շփման գծից առնվազն 5 կմ։\n"
    "3. Դիտորդները տեղակայվում են 10 օրվա ընթացքում։\n"
    "4. Գերիները փոխանակվում են «բոլորը բոլորի դիմաց» սկզբունքով։\n"
    "5. Համաձայնագիրը ուժի մեջ է մտնում ստորագրման պահից։\n";

/* No Unicode case folding: capitalised forms are listed. */
static const char GLOSSARY[] =
    "# Ceasefire glossary: stems for the inflected languages\n"
    "languages: en ru hy\n"
    "\n"
    "major = крупн|Крупн = խոշոր|Խոշոր\n"
    "observer = наблюдател|Наблюдател = դիտորդ|Դիտորդ\n"
    "party arm: Armenia = Армени = Հայաստան\n"
    "party aze: Azerbaijan = Азербайджан = Ադրբեջան\n";

/* s with the first "from" replaced by "to"; caller frees. */
static char *
replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	size_t n = strlen(s) - strlen(from) + strlen(to) + 1, k;
	char *out;

	assert_non_null(p);
	out = malloc(n);
	assert_non_null(out);
	k = (size_t)(p - s);
	memcpy(out, s, k);
	strcpy(out + k, to);
	strcat(out, p + strlen(from));
	return out;
}

/* drift_check of ru, en, hy (en or hy may be NULL: left out) succeeds with
 * want_n mismatches and, unless want is NULL, exactly that report. */
static void
expect(const char *ru, const char *en, const char *hy, const char *gl,
    size_t want_n, const char *want)
{
	struct drift_version v[3];
	size_t nv = 0, n = 99;
	char *report = NULL, why[256] = "";

	v[nv++] = (struct drift_version){ "ru", ru };
	if (en != NULL)
		v[nv++] = (struct drift_version){ "en", en };
	if (hy != NULL)
		v[nv++] = (struct drift_version){ "hy", hy };
	if (drift_check(v, nv, gl, &report, &n, why, sizeof(why)) != 0)
		fail_msg("drift_check refused: %s", why);
	assert_non_null(report);
	if (want != NULL && strcmp(report, want) != 0)
		fail_msg("report:\n%s\nwant:\n%s", report, want);
	if (n != want_n)
		fail_msg("%zu mismatches, want %zu; report:\n%s", n, want_n, report);
	free(report);
}

static void
test_identical(void **state)
{
	(void)state;
	expect(RU, EN, HY, NULL, 0, "");
	expect(RU, EN, HY, GLOSSARY, 0, "");
	/* a version against itself, under any tag */
	expect(EN, EN, EN, NULL, 0, "");
	expect("", "", NULL, NULL, 0, "");
}

static void
test_numbers(void **state)
{
	char *en, *hy;

	(void)state;
	en = replace(EN, "24:00", "23:00");
	expect(RU, en, HY, GLOSSARY, 1,
	    "clause 1, en: numbers differ from ru: lacks 24; has 23 that ru lacks\n");
	free(en);

	/* leading zeros do not count, the order inside a clause does not */
	en = replace(EN, "on 12 May 1994", "on 1994-05-12");
	expect(RU, en, HY, NULL, 1,
	    "clause 1, en: numbers differ from ru: has 5 that ru lacks\n");
	free(en);
	en = replace(EN, "24:00 on 12 May 1994", "12.05.1994, 24:00");
	hy = replace(HY, "5 կմ", "0005 կմ");
	expect(RU, en, hy, NULL, 1,
	    "clause 1, en: numbers differ from ru: has 5 that ru lacks\n");
	free(en);
	free(hy);

	/* counts are shown when a number occurs more than once */
	en = replace(EN, "within 10 days", "within 10 days, 10 at a time");
	expect(RU, en, NULL, NULL, 1,
	    "clause 3, en: numbers differ from ru: has 10 (ru: 1, en: 2) that ru "
	    "lacks\n");
	free(en);
	en = replace(EN, "cease fire from", "cease fire (clause 9) from");
	hy = replace(HY, "24:00-ից", "-ից");
	expect(RU, en, hy, NULL, 2,
	    "clause 1, en: numbers differ from ru: has 9 that ru lacks\n"
	    "clause 1, hy: numbers differ from ru: lacks 24, 0\n");
	free(en);
	free(hy);

	/* a very long number is shown cut, compared whole */
	expect("1. x 123456789012345678901234567890\n",
	    "1. x 123456789012345678901234567891\n", NULL, NULL, 1,
	    "clause 1, en: numbers differ from ru: lacks 12345678901234567890... "
	    "(30 digits); has 12345678901234567890... (30 digits) that ru lacks\n");
}

static void
test_structure(void **state)
{
	char *hy, *en;

	(void)state;
	hy = replace(HY, "4. Գերիները փոխանակվում են «բոլորը բոլորի դիմաց» "
	    "սկզբունքով։\n", "");
	expect(RU, EN, hy, GLOSSARY, 1,
	    "hy: clause 4 is missing (ru has clauses 1, 2, 3, 4, 5)\n");
	free(hy);

	en = replace(EN, "5. This", "5. This Agreement is done in three languages.\n"
	    "6. This");
	expect(RU, en, HY, NULL, 1, "en: has clause 6 that ru lacks\n");
	free(en);

	/* 3 and 4 swapped: reported once; their contents are still compared
	 * by number */
	en = replace(EN, "3. Observers shall be deployed within 10 days.\n"
	    "4. Prisoners shall be exchanged on the principle of \"all for all\".\n",
	    "4. Prisoners shall be exchanged on the principle of \"all for all\".\n"
	    "3. Observers shall be deployed within 10 days.\n");
	expect(RU, en, HY, GLOSSARY, 1,
	    "en: clauses are numbered 1, 2, 4, 3, 5 where ru has 1, 2, 3, 4, 5\n");
	free(en);

	/* the canonical number: zeros, ')' and blanks before it */
	expect("1. a\n2. b\n3.1. c\n", " 01) a\n\t2) b\n03.01) c\n", NULL, NULL, 0, "");
	/* not clause numbers: no end mark, a decimal, a heading; a clause
	 * number ends the line or is followed by a blank */
	expect("1. a\n", "1. a\n1 b\n1.5 litres\nArticle 2\n2.\n", NULL, NULL, 2,
	    "en: has clause 2 that ru lacks\n"
	    "clause 1, en: numbers differ from ru: has 1 (ru: 0, en: 2), 5, 2 "
	    "that ru lacks\n");
	/* a number used twice: the k-th with a number matches the k-th */
	expect("1. a\n1) x\n2) y\n2. b\n", "1. a\n1) x\n2. b\n", NULL, NULL, 1,
	    "en: clause 2 (2nd) is missing (ru has clauses 1, 1, 2, 2)\n");
	/* long lists are shown around the place */
	expect("1.\n2.\n3.\n4.\n5.\n6.\n7.\n8.\n9.\n10.\n11.\n12.\n13.\n14.\n",
	    "1.\n2.\n3.\n4.\n5.\n6.\n7.\n8.\n10.\n11.\n12.\n13.\n14.\n", NULL, NULL, 1,
	    "en: clause 9 is missing (ru has clauses ..., 4, 5, 6, 7, 8, 9, 10, "
	    "11, 12, 13, 14)\n");
	/* a number longer than DRIFT_CLAUSE_NUMBER_MAX starts no clause */
	expect("1. a\n", "1. a\n123456789.123456789.123456789.1234. b\n", NULL, NULL, 1,
	    NULL);
}

static void
test_preamble(void **state)
{
	char *en;

	(void)state;
	/* numbers before clause 1 are the preamble's */
	en = replace(EN, "have agreed", "have agreed on 11 May");
	expect(RU, en, HY, NULL, 1,
	    "preamble, en: numbers differ from ru: has 11 that ru lacks\n");
	free(en);
	/* a text with no clause is all preamble */
	expect("Прекращение огня с 24:00.\n", "Ceasefire from 23:00.\n", NULL, NULL, 1,
	    "preamble, en: numbers differ from ru: lacks 24; has 23 that ru lacks\n");
	/* a preamble in one version only is still the preamble */
	expect("1. a 1\n", "Agreed:\n1. a 1\n", NULL, NULL, 0, "");
	/* the preamble's terms */
	en = replace(EN, "the Republic of Azerbaijan", "the other Party");
	expect(RU, en, HY, GLOSSARY, 1,
	    "preamble, en: lacks the party name of aze, \"Azerbaijan\" (ru has "
	    "\"Азербайджан\" there)\n");
	free(en);
}

static void
test_glossary_terms(void **state)
{
	char *en, *ru, *hy;

	(void)state;
	en = replace(EN, "Major military", "Important military");
	expect(RU, en, HY, GLOSSARY, 1,
	    "clause 2, en: lacks the glossary term \"major\" (ru has \"Крупн\" "
	    "there)\n");
	free(en);
	en = replace(EN, "Major military", "Important and major military");
	expect(RU, en, HY, GLOSSARY, 0, "");
	free(en);

	/* the reference can be the one that lacks it; alternatives listed;
	 * the version cited is the first that has it */
	ru = replace(RU, "Наблюдатели", "Миссия");
	expect(ru, EN, HY, GLOSSARY, 1,
	    "clause 3, ru: lacks the glossary term \"наблюдател\" or "
	    "\"Наблюдател\" (en has \"observer\" there)\n");
	free(ru);

	/* two versions lack it, in version order; numbers come first */
	en = replace(EN, "Observers shall be deployed within 10", "Monitors "
	    "shall be deployed within 11");
	hy = replace(HY, "Դիտորդները", "Առաքելությունը");
	expect(RU, en, hy, GLOSSARY, 3,
	    "clause 3, en: numbers differ from ru: lacks 10; has 11 that ru lacks\n"
	    "clause 3, en: lacks the glossary term \"observer\" (ru has "
	    "\"Наблюдател\" there)\n"
	    "clause 3, hy: lacks the glossary term \"դիտորդ\" or \"Դիտորդ\" (ru "
	    "has \"Наблюдател\" there)\n");
	free(en);
	free(hy);

	/* no version has it: nothing required */
	ru = replace(RU, "Крупные", "Все");
	en = replace(EN, "Major", "All");
	hy = replace(HY, "Խոշոր", "Բոլոր");
	expect(ru, en, hy, GLOSSARY, 0, "");
	free(ru);
	free(en);
	free(hy);

	/* "-": nothing required in that language, nor counted from it */
	expect("1. Крупные силы\n", "1. Forces\n", NULL,
	    "languages: ru en hy\nкрупн|Крупн = - = խոշոր\n", 0, "");
	expect("1. Крупные силы\n", "1. Forces\n", "1. Ուժեր\n",
	    "languages: ru en hy\nкрупн|Крупн = - = խոշոր\n", 1,
	    "clause 1, hy: lacks the glossary term \"խոշոր\" (ru has \"Крупн\" "
	    "there)\n");
	/* a language the glossary does not declare is neither required nor
	 * counted; a declared language with no version is ignored */
	expect("1. Крупные силы\n", "1. Forces\n", NULL,
	    "languages: ru fr\nкрупн|Крупн = majeur\n", 0, "");

	/* a clause one version lacks is not compared for terms */
	expect("1. a\n2. Крупные силы\n", "1. a\n", NULL,
	    "languages: ru en\nКрупн = major\n", 1,
	    "en: clause 2 is missing (ru has clauses 1, 2)\n");
}

static void
test_party(void **state)
{
	char *hy;

	(void)state;
	hy = replace(HY, "Հայաստանի Հանրապետությունը", "Մեր Հանրապետությունը");
	expect(RU, EN, hy, GLOSSARY, 1,
	    "preamble, hy: lacks the party name of arm, \"Հայաստան\" (ru has "
	    "\"Армени\" there)\n");
	free(hy);
	/* "party" opening a term with no ':' before '=' is a term */
	expect("1. сторона конфликта\n", "1. party\n", NULL,
	    "languages: en ru\nparty to the conflict = сторона конфликта\n", 1,
	    "clause 1, en: lacks the glossary term \"party to the conflict\" (ru "
	    "has \"сторона конфликта\" there)\n");
}

static void
test_case_and_blanks(void **state)
{
	(void)state;
	/* ASCII letters compare without case, on both sides */
	expect("1. Крупные силы\n", "1. MAJOR forces\n", NULL,
	    "languages: en ru\nmAjOr = Крупн\n", 0, "");
	/* no Unicode case folding */
	expect("1. Крупные силы\n", "1. Major forces\n", NULL,
	    "languages: en ru\nmajor = КРУПН\n", 1,
	    "clause 1, ru: lacks the glossary term \"КРУПН\" (en has \"major\" "
	    "there)\n");
	/* a term wrapped onto the next line, or with two spaces, matches */
	expect("1. линия  соприкосновения\n", "1. the line of\n   contact here\n",
	    NULL, "languages: en ru\nline of contact = линия соприкосновения\n", 0, "");
	/* but not across clauses */
	expect("1. линия соприкосновения\n2.\n", "1. the line of\n2. contact\n",
	    NULL, "languages: en ru\nline of contact = линия соприкосновения\n", 1,
	    "clause 1, en: lacks the glossary term \"line of contact\" (ru has "
	    "\"линия соприкосновения\" there)\n");
}

/* 250 clauses of which the first ndiff differ by a number; the lines of
 * the report are checked. */
static void
cap_case(size_t ndiff, const char *last_want)
{
	char *a, *b, *report = NULL, why[128];
	struct drift_version v[2];
	size_t i, n = 0, lines = 0, want_lines;
	const char *p, *last = NULL;

	a = malloc(250 * 16);
	b = malloc(250 * 16);
	assert_non_null(a);
	assert_non_null(b);
	a[0] = b[0] = '\0';
	for (i = 1; i <= 250; i++) {
		sprintf(a + strlen(a), "%zu. x %zu\n", i, i);
		sprintf(b + strlen(b), "%zu. x %zu\n", i, i <= ndiff ? i + 1000 : i);
	}
	v[0] = (struct drift_version){ "ru", a };
	v[1] = (struct drift_version){ "en", b };
	assert_int_equal(drift_check(v, 2, NULL, &report, &n, why, sizeof(why)), 0);
	assert_int_equal(n, ndiff);
	for (p = report; *p != '\0'; p = strchr(p, '\n') + 1) {
		last = p;
		lines++;
	}
	want_lines = ndiff > DRIFT_REPORT_LINES ? DRIFT_REPORT_LINES + 1 : ndiff;
	assert_int_equal(lines, want_lines);
	assert_non_null(last);
	assert_string_equal(last, last_want);
	free(report);
	free(a);
	free(b);
}

static void
test_cap(void **state)
{
	(void)state;
	cap_case(250, "... and 50 more\n");
	cap_case(201, "... and 1 more\n");
	cap_case(200, "clause 200, en: numbers differ from ru: lacks 200; has 1200 "
	    "that ru lacks\n");
	cap_case(1, "clause 1, en: numbers differ from ru: lacks 1; has 1001 that "
	    "ru lacks\n");
}

static const struct {
	const char *gl;
	const char *why;	/* "" = accepted */
} glossary_cases[] = {
	{ "languages: en ru\n", "" },
	{ "languages:\ten  ru\t\n# c\n  \n  major|main = крупн|главн  \n", "" },
	{ "languages: en ru hy\nparty baku: Baku = - = Բաքու\n", "" },
	{ "languages: en ru\nparty to the conflict = сторона\n", "" },
	{ "languages: en ru\nmajor = крупн", "" },	/* no final LF */
	{ "", "line 1: the glossary ends before its \"languages: TAG TAG ...\" line" },
	{ "# only a comment\n\n", "line 2: the glossary ends before its" },
	{ "major = крупн\nlanguages: en ru\n",
	  "line 1: expected \"languages: TAG TAG ...\" before any entry" },
	{ "# glossary\nlanguages: en ru hy\nmajor = крупн\n",
	  "line 3: 2 renderings for 3 languages (en ru hy)" },
	{ "languages: en ru\nmajor = крупн = խոշոր\n",
	  "line 2: 3 renderings for 2 languages (en ru)" },
	{ "languages: en ru\n\n# c\nmajor = крупн| \n",
	  "line 4: an empty alternative in the rendering for ru" },
	{ "languages: en ru\nmajor||main = крупн\n",
	  "line 2: an empty alternative in the rendering for en" },
	{ "languages: en ru\nmajor = \n",
	  "line 2: the rendering for ru is empty (\"-\" means none)" },
	{ "languages: en ru\nmajor = крупн|-\n",
	  "line 2: \"-\" among the alternatives for ru (alone, it means none)" },
	{ "languages: en ru\nmajor = -\n",
	  "line 2: renderings in fewer than two languages (nothing to compare)" },
	{ "languages: en RU\n", "line 1: \"RU\" is not a language tag" },
	{ "languages: en r\n", "line 1: \"r\" is not a language tag" },
	{ "languages: en 1ru\n", "line 1: \"1ru\" is not a language tag" },
	{ "languages: en az-latn-xx\n", "line 1: \"az-latn-xx\" is not a language tag" },
	{ "languages: en ru en\n", "line 1: \"en\" is declared twice" },
	{ "languages: en\n", "line 1: fewer than two languages" },
	{ "languages: a1 a2 a3 a4 a5 a6 a7 a8 a9 b1 b2 b3 b4 b5 b6 b7 b8\n",
	  "line 1: more than 16 languages" },
	{ "languages: en ru\nlanguages: en hy\n", "line 2: a second languages line" },
	{ "languages: en ru\r\nmajor = крупн\r\n",
	  "line 1: a carriage return (lines end with LF alone)" },
	{ "languages: en ru\nma\x01jor = крупн\n", "line 2: the control character 0x01" },
	{ "languages: en ru\nmajor = \xd0\n", "line 2: not valid UTF-8" },
	{ "languages: en ru\nmajor = \xed\xa0\x80\n", "line 2: not valid UTF-8" },
	{ "languages: en ru\nparty Baku: Baku = Баку\n",
	  "line 2: \"Baku\" is not a party code" },
	{ "languages: en ru\nparty : Baku = Баку\n",
	  "line 2: \"\" is not a party code" },
	/* DRIFT_RENDERING_ALTS_MAX alternatives, not more */
	{ "languages: en ru\nmajor = a|b|c|d|e|f|g|h\n", "" },
	{ "languages: en ru\n# c\nmajor = a|b|c|d|e|f|g|h|i\n",
	  "line 3: more than 8 alternatives for ru" },
	{ "languages: en ru hy\na|a|a|a|a|a|a|a|a = - = b\n",
	  "line 2: more than 8 alternatives for en" },
};

static void
test_glossary_refused(void **state)
{
	char why[256], *gl, *report, *p;
	size_t i, n, len;
	struct drift_version v[2] = { { "ru", "1. x\n" }, { "en", "1. x\n" } };

	(void)state;
	for (i = 0; i < LEN(glossary_cases); i++) {
		int want = glossary_cases[i].why[0] == '\0' ? 0 : -1;

		why[0] = '\0';
		if (drift_glossary_check(glossary_cases[i].gl, why, sizeof(why)) != want)
			fail_msg("case %zu: rc, why \"%s\"", i, why);
		if (want == -1 && strncmp(why, glossary_cases[i].why,
		    strlen(glossary_cases[i].why)) != 0)
			fail_msg("case %zu: \"%s\", want \"%s...\"", i, why,
			    glossary_cases[i].why);
	}

	/* through drift_check: "glossary line N", nothing returned */
	report = (char *)"x";
	n = 7;
	assert_int_equal(drift_check(v, 2, "languages: en ru\nmajor\n", &report, &n,
	    why, sizeof(why)), -1);
	assert_null(report);
	assert_int_equal(n, 0);
	assert_string_equal(why, "glossary line 2: 1 rendering for 2 languages (en ru)");

	/* a line of 4096 bytes is accepted, 4097 refused (a comment: an
	 * alternative is shorter) */
	len = strlen("languages: en ru\n") + 4097 + 2;
	gl = malloc(len);
	assert_non_null(gl);
	strcpy(gl, "languages: en ru\n");
	memset(gl + strlen(gl), ' ', 4096 - 4);
	strcpy(gl + strlen("languages: en ru\n") + 4092, "## b\n");
	assert_int_equal(drift_glossary_check(gl, why, sizeof(why)), 0);
	strcpy(gl + strlen("languages: en ru\n") + 4092, "### b\n");
	assert_int_equal(drift_glossary_check(gl, why, sizeof(why)), -1);
	assert_string_equal(why, "line 2: longer than 4096 bytes");
	free(gl);

	/* 1000 entries, not 1001 */
	gl = malloc(20 + 1001 * 8);
	assert_non_null(gl);
	strcpy(gl, "languages: en ru\n");
	for (i = 0; i < 1000; i++)
		strcat(gl, "a = b\n");
	assert_int_equal(drift_glossary_check(gl, why, sizeof(why)), 0);
	strcat(gl, "a = b\n");
	assert_int_equal(drift_glossary_check(gl, why, sizeof(why)), -1);
	assert_string_equal(why, "line 1002: more than 1000 entries");
	free(gl);

	/* an alternative of DRIFT_ALT_BYTES_MAX bytes (as written, trimmed),
	 * not more */
	gl = malloc(64 + 4 * DRIFT_ALT_BYTES_MAX);
	assert_non_null(gl);
	strcpy(gl, "languages: en ru\nmajor = x|");
	for (i = 0; i < DRIFT_ALT_BYTES_MAX / 2; i++)
		strcat(gl, "ж");
	strcat(gl, "  \n");
	assert_int_equal(drift_glossary_check(gl, why, sizeof(why)), 0);
	strcpy(gl + strlen(gl) - 3, "ж\n");
	assert_int_equal(drift_glossary_check(gl, why, sizeof(why)), -1);
	assert_string_equal(why, "line 2: an alternative for ru is longer than "
	    "200 bytes");
	strcpy(gl, "languages: en ru\n");
	memset(gl + strlen(gl), 'a', DRIFT_ALT_BYTES_MAX + 1);
	strcpy(gl + strlen("languages: en ru\n") + DRIFT_ALT_BYTES_MAX + 1, "|b = c\n");
	assert_int_equal(drift_glossary_check(gl, why, sizeof(why)), -1);
	assert_string_equal(why, "line 2: an alternative for en is longer than "
	    "200 bytes");
	free(gl);

	/* DRIFT_GLOSSARY_ALTS_MAX alternatives in all, not more: 250 entries
	 * of 8; the next entry's line is named */
	gl = malloc(64 + 252 * 40);
	assert_non_null(gl);
	strcpy(gl, "languages: en ru hy\n");
	for (i = 0; i < DRIFT_GLOSSARY_ALTS_MAX / 8; i++)
		strcat(gl, "a|b|c|d = - = e|f|g|h\n");
	assert_int_equal(drift_glossary_check(gl, why, sizeof(why)), 0);
	strcat(gl, "\n# one more\nx = y = -\n");
	assert_int_equal(drift_glossary_check(gl, why, sizeof(why)), -1);
	assert_string_equal(why, "line 254: more than 2000 alternatives in the "
	    "glossary");
	/* drift_check refuses it the same */
	report = (char *)"x";
	assert_int_equal(drift_check(v, 2, gl, &report, &n, why, sizeof(why)), -1);
	assert_null(report);
	assert_string_equal(why, "glossary line 254: more than 2000 alternatives "
	    "in the glossary");
	free(gl);

	/* the glossary of the review: 64 lines of 2040 alternatives each */
	gl = malloc(32 + 64 * (2040 * 2 + 4));
	assert_non_null(gl);
	strcpy(gl, "languages: en ru\n");
	p = gl + strlen(gl);
	for (i = 0; i < 64; i++) {
		for (len = 0; len < 2040; len++)
			p += sprintf(p, len > 0 ? "|q" : "q");
		p += sprintf(p, "= w\n");
	}
	assert_int_equal(drift_glossary_check(gl, why, sizeof(why)), -1);
	assert_string_equal(why, "line 2: more than 8 alternatives for en");
	free(gl);

	assert_int_equal(drift_glossary_check(NULL, why, sizeof(why)), -1);
	/* why may be NULL or short */
	assert_int_equal(drift_glossary_check("", NULL, 0), -1);
	assert_int_equal(drift_glossary_check("", why, 8), -1);
	assert_string_equal(why, "line 1:");
}

static void
test_versions_refused(void **state)
{
	static const struct {
		struct drift_version v[3];
		size_t nv;
		const char *why;
	} cases[] = {
		{ { { "ru", "a" } }, 1, "2 to 16 versions are compared, not 1" },
		{ { { "ru", "a" }, { "ru", "a" } }, 2, "versions 1 and 2 are both \"ru\"" },
		{ { { "ru", "a" }, { "EN", "a" } }, 2,
		  "version 2: \"EN\" is not a language tag" },
		{ { { "ru", "a" }, { NULL, "a" } }, 2, "version 2: no language tag" },
		{ { { "ru", "a" }, { "en", NULL } }, 2, "version 2: no text" },
		{ { { "ru", "a" }, { "en", "a" }, { "hy", "1.\n2. \xd5\n" } }, 3,
		  "version 3 (hy): line 2: not valid UTF-8" },
	};
	struct drift_version many[DRIFT_VERSIONS_MAX + 1];
	char why[256], tags[DRIFT_VERSIONS_MAX + 1][4], *report;
	size_t i, n;

	(void)state;
	for (i = 0; i < LEN(cases); i++) {
		report = NULL;
		if (drift_check(cases[i].v, cases[i].nv, NULL, &report, &n, why,
		    sizeof(why)) != -1 || report != NULL)
			fail_msg("case %zu accepted", i);
		if (strncmp(why, cases[i].why, strlen(cases[i].why)) != 0)
			fail_msg("case %zu: \"%s\", want \"%s...\"", i, why, cases[i].why);
	}
	for (i = 0; i < LEN(many); i++) {
		snprintf(tags[i], sizeof(tags[i]), "l%zu", i);
		many[i] = (struct drift_version){ tags[i], "1. x\n" };
	}
	assert_int_equal(drift_check(many, DRIFT_VERSIONS_MAX, NULL, &report, &n, why,
	    sizeof(why)), 0);
	assert_int_equal(n, 0);
	free(report);
	assert_int_equal(drift_check(many, DRIFT_VERSIONS_MAX + 1, NULL, &report, &n,
	    why, sizeof(why)), -1);
}

/* n clauses "1. x\n" */
static char *
clauses(size_t n)
{
	char *s = malloc(n * 5 + 1);
	size_t i;

	assert_non_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * 5, "1. x\n", 5);
	s[n * 5] = '\0';
	return s;
}

static void
test_clauses_max(void **state)
{
	struct drift_version v[2];
	char why[256], *report, *many, *more;
	size_t n;

	(void)state;
	many = clauses(DRIFT_CLAUSES_MAX);
	more = clauses(DRIFT_CLAUSES_MAX + 1);
	v[0] = (struct drift_version){ "ru", many };
	v[1] = (struct drift_version){ "en", many };
	assert_int_equal(drift_check(v, 2, "languages: ru en\nx = x\n", &report, &n,
	    why, sizeof(why)), 0);
	assert_int_equal(n, 0);
	free(report);
	/* one more, in either version, with or without a glossary; the
	 * versions are checked before the glossary */
	v[1].text = more;
	assert_int_equal(drift_check(v, 2, NULL, &report, &n, why, sizeof(why)), -1);
	assert_null(report);
	assert_string_equal(why, "version 2 (en): more than 10000 clauses");
	v[0].text = more;
	assert_int_equal(drift_check(v, 2, "bad", &report, &n, why, sizeof(why)), -1);
	assert_string_equal(why, "version 1 (ru): more than 10000 clauses");
	/* the preamble is no clause */
	v[0] = (struct drift_version){ "ru", many };
	v[1] = (struct drift_version){ "en", more + 5 };
	assert_int_equal(drift_check(v, 2, NULL, &report, &n, why, sizeof(why)), 0);
	free(report);
	free(many);
	free(more);
}

/* The longest line report_bounded saw. */
static size_t longest;

/* Every line of report ends with LF, is at most DRIFT_REPORT_LINE_MAX bytes
 * and was not cut by the report's writer; the report is at most
 * DRIFT_REPORT_MAX bytes.  Returns the number of lines. */
static size_t
report_bounded(const char *report)
{
	const char *p, *nl;
	size_t lines = 0;

	assert_true(strlen(report) <= DRIFT_REPORT_MAX);
	for (p = report; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		if ((size_t)(nl + 1 - p) > DRIFT_REPORT_LINE_MAX)
			fail_msg("a line of %zu bytes: %.*s", (size_t)(nl + 1 - p),
			    (int)(nl - p), p);
		/* no line needs the writer's last resort, a cut at its end */
		if (nl + 1 - p > DRIFT_REPORT_LINE_MAX - 8 &&
		    memcmp(nl - 3, "...", 3) == 0)
			fail_msg("a line cut: %.*s", (int)(nl - p), p);
		if ((size_t)(nl + 1 - p) > longest)
			longest = (size_t)(nl + 1 - p);
		lines++;
	}
	return lines;
}

static void
test_report_line_cut(void **state)
{
	char gl[2048], why[256], *report, *p, alt[DRIFT_ALT_BYTES_MAX + 1];
	struct drift_version v[2];
	size_t i, n;

	(void)state;
	/* a quoted alternative is cut after 60 bytes, not inside a
	 * character; at most 3 of a rendering are quoted */
	memset(alt, 'a', DRIFT_ALT_BYTES_MAX);
	alt[DRIFT_ALT_BYTES_MAX] = '\0';
	p = gl + sprintf(gl, "languages: ru en\n%s = x", alt);
	for (i = 0; i < 7; i++)
		p += sprintf(p, "|%cЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖ",
		    (int)('b' + i));
	strcpy(p, "\n");
	v[0] = (struct drift_version){ "ru", NULL };
	v[1] = (struct drift_version){ "en", "1. y\n" };
	p = malloc(16 + DRIFT_ALT_BYTES_MAX);
	assert_non_null(p);
	sprintf(p, "1. %s\n", alt);
	v[0].text = p;
	assert_int_equal(drift_check(v, 2, gl, &report, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(report, "clause 1, en: lacks the glossary term "
	    "\"x\", \"bЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖ...\", "
	    "\"cЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖ...\" or 5 other alternatives "
	    "(ru has \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" "
	    "there)\n");
	report_bounded(report);
	free(report);
	/* 4 alternatives: "or 1 other alternative"; the one found is quoted
	 * whole when it is short */
	assert_int_equal(drift_check(v, 2, "languages: ru en\n"
	    "a|b|c|aaaa = xx|yy|zz|ww\n", &report, &n, why, sizeof(why)), 0);
	assert_string_equal(report, "clause 1, en: lacks the glossary term "
	    "\"xx\", \"yy\", \"zz\" or 1 other alternative (ru has \"a\" there)\n");
	free(report);
	free(p);
}

/* A report of more mismatches than it lists, each of its lines as long as
 * the parts allow: clause numbers of DRIFT_CLAUSE_NUMBER_MAX bytes, party
 * codes of 32, alternatives of DRIFT_ALT_BYTES_MAX, numbers of 30 digits
 * repeated. */
static void
test_report_max(void **state)
{
	enum { NE = 40, NC = 300 };
	char *gl, *ru, *en, *p, *q, why[256], *report, alt[DRIFT_ALT_BYTES_MAX + 1];
	struct drift_version v[2];
	size_t i, j, k, n, lines, len;

	(void)state;
	gl = malloc(NE * 4096);
	ru = malloc(NC * 1024);
	en = malloc(NC * 2048);
	assert_non_null(gl);
	assert_non_null(ru);
	assert_non_null(en);
	/* party lines of 8 alternatives a rendering, each a different 200
	 * bytes; the clauses have the last */
	alt[DRIFT_ALT_BYTES_MAX] = '\0';
	p = gl + sprintf(gl, "languages: ru en\n");
	for (i = 0; i < NE; i++) {
		p += sprintf(p, "party p%031zu:", i);
		for (j = 0; j < 2; j++)
			for (k = 0; k < 8; k++) {
				memset(alt, j == 0 ? 'r' : 'e', DRIFT_ALT_BYTES_MAX);
				alt[sprintf(alt, "%zu.%zu.", i, k)] = 'x';
				p += sprintf(p, "%s%s", k > 0 ? "|" : j > 0 ? " = " : " ",
				    alt);
			}
		*p++ = '\n';
	}
	*p = '\0';
	/* clause numbers of 32 bytes; in ru an alternative and six numbers
	 * of 30 digits, twice each; in en six others, three times each */
	p = ru;
	q = en;
	for (i = 0; i < NC; i++) {
		len = (size_t)sprintf(p, "9999999999.9999999999.9999.%zu. ", 10000 + i);
		memcpy(q, p, len);
		p += len;
		q += len;
		memset(alt, 'r', DRIFT_ALT_BYTES_MAX);
		alt[sprintf(alt, "%zu.%d.", i % NE, 7)] = 'x';
		p += sprintf(p, "%s", alt);
		for (k = 0; k < 12; k++) {
			p += sprintf(p, " 9%029zu", k / 2 + i);
			q += sprintf(q, " 8%029zu 8%029zu 8%029zu", k / 2, k / 2, k / 2);
		}
		*p++ = '\n';
		*q++ = '\n';
	}
	*p = '\0';
	*q = '\0';
	/* en lacks the first clause */
	v[0] = (struct drift_version){ "ru", ru };
	v[1] = (struct drift_version){ "en", strchr(en, '\n') + 1 };
	assert_int_equal(drift_check(v, 2, gl, &report, &n, why, sizeof(why)), 0);
	/* that, then the numbers and the party name in each other clause */
	assert_int_equal(n, 1 + (NC - 1) * 2);
	lines = report_bounded(report);
	assert_int_equal(lines, DRIFT_REPORT_LINES + 1);
	if (getenv("DRIFT_SHOW") != NULL)
		printf("%zu bytes:\n%.1600s\n", strlen(report), report);
	free(report);

	/* the clauses' order differs: both lists of long numbers */
	p = ru;
	q = en;
	for (i = 0; i < NC; i++) {
		p += sprintf(p, "9999999999.9999999999.9999.%zu.\n", 10000 + i);
		q += sprintf(q, "9999999999.9999999999.9999.%zu.\n", 10000 +
		    (i == 7 ? 8 : i == 8 ? 7 : i));
	}
	v[0].text = ru;
	v[1].text = en;
	assert_int_equal(drift_check(v, 2, NULL, &report, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 1);
	report_bounded(report);
	if (getenv("DRIFT_SHOW") != NULL)
		printf("%zu bytes:\n%s\nlongest line: %zu bytes\n", strlen(report),
		    report, longest);
	/* as many as fit in LIST_BYTES around the place where they part */
	assert_string_equal(report, "en: clauses are numbered ..., "
	    "9999999999.9999999999.9999.10006, 9999999999.9999999999.9999.10008, "
	    "9999999999.9999999999.9999.10007, 9999999999.9999999999.9999.10009, "
	    "... where ru has ..., "
	    "9999999999.9999999999.9999.10006, 9999999999.9999999999.9999.10007, "
	    "9999999999.9999999999.9999.10008, 9999999999.9999999999.9999.10009, "
	    "...\n");
	free(report);
	free(gl);
	free(ru);
	free(en);
}

/* ---- the glossary's terms against a plain search ---------------------- */

static unsigned long rnd_state = 1;

static size_t
rnd(size_t n)
{
	rnd_state = rnd_state * 6364136223846793005UL + 1442695040888963407UL;
	return (size_t)(rnd_state >> 33) % n;
}

/* s folded as drift.h says: ASCII lower case, a blank run as one space. */
static void
fold_into(char *dst, const char *s)
{
	int space = 0;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n') {
			if (!space)
				*dst++ = ' ';
			space = 1;
			continue;
		}
		space = 0;
		*dst++ = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
	}
	*dst = '\0';
}

enum { RV = 3, RC = 6, RE = 6, RA = 4 };

struct rcase {
	size_t nv, nc, ne;
	char clause[RV][RC][40];	/* what follows "k." */
	size_t na[RE][RV];		/* 0: "-" */
	char alt[RE][RV][RA][8];
};

/* The first alternative of entry e for version k in clause c, or -1. */
static int
rfind(const struct rcase *r, size_t k, size_t c, size_t e)
{
	char f[64], a[16];
	size_t i;

	fold_into(f, r->clause[k][c]);
	for (i = 0; i < r->na[e][k]; i++) {
		fold_into(a, r->alt[e][k][i]);
		if (strstr(f, a) != NULL)
			return (int)i;
	}
	return -1;
}

/* Random small versions and glossaries over a, b, A, B and blanks, where
 * terms overlap, repeat and nest; drift_check's report must be what a plain
 * substring search per clause and alternative gives. */
static void
test_terms_random(void **state)
{
	static const char *const lang[RV] = { "ru", "en", "hy" };
	static const char text_chars[] = "abAB  \t\n";
	struct drift_version v[RV];
	struct rcase r;
	char text[RV][RC * 48], gl[2048], want[8192], why[256], *p, *report;
	size_t it, k, c, e, i, j, len, n, want_n, real;
	int has, need, f, src;

	(void)state;
	for (it = 0; it < 3000; it++) {
		memset(&r, 0, sizeof(r));
		r.nv = 2 + rnd(2);
		r.nc = 1 + rnd(RC);
		r.ne = 1 + rnd(RE);
		for (k = 0; k < r.nv; k++) {
			p = text[k];
			for (c = 0; c < r.nc; c++) {
				len = rnd(30);
				r.clause[k][c][0] = ' ';
				for (i = 1; i <= len; i++)
					r.clause[k][c][i] = text_chars[rnd(sizeof(text_chars) - 1)];
				r.clause[k][c][i++] = '\n';
				r.clause[k][c][i] = '\0';
				p += sprintf(p, "%zu.%s", c + 1, r.clause[k][c]);
			}
		}
		p = gl + sprintf(gl, "languages: ru en hy\n");
		for (e = 0; e < r.ne; e++) {
			do {
				for (k = 0, real = 0; k < RV; k++) {
					r.na[e][k] = rnd(4) == 0 ? 0 : 1 + rnd(RA);
					real += r.na[e][k] > 0;
				}
			} while (real < 2);
			for (k = 0; k < RV; k++) {
				p += sprintf(p, "%s", k > 0 ? " = " : "");
				if (r.na[e][k] == 0)
					p += sprintf(p, "-");
				for (i = 0; i < r.na[e][k]; i++) {
					len = 1 + rnd(5);
					for (j = 0; j < len; j++)
						r.alt[e][k][i][j] = j > 0 && j + 1 < len &&
						    rnd(4) == 0 ? ' ' : "abAB"[rnd(4)];
					r.alt[e][k][i][j] = '\0';
					p += sprintf(p, "%s%s", i > 0 ? "|" : "",
					    r.alt[e][k][i]);
				}
			}
			*p++ = '\n';
		}
		*p = '\0';

		/* the report: by clause, version, entry */
		p = want;
		want_n = 0;
		for (c = 0; c < r.nc; c++)
			for (k = 0; k < r.nv; k++)
				for (e = 0; e < r.ne; e++) {
					has = need = 0;
					src = -1;
					for (j = 0; j < r.nv; j++) {
						if (r.na[e][j] == 0)
							continue;
						if (rfind(&r, j, c, e) >= 0) {
							has = 1;
							if (src < 0)
								src = (int)j;
						} else if (j == k)
							need = 1;
					}
					if (!has || !need)
						continue;
					want_n++;
					p += sprintf(p, "clause %zu, %s: lacks the glossary term ",
					    c + 1, lang[k]);
					for (i = 0; i < r.na[e][k] && i < 3; i++)
						p += sprintf(p, "%s\"%s\"", i == 0 ? "" :
						    i + 1 < r.na[e][k] ? ", " : " or ",
						    r.alt[e][k][i]);
					if (r.na[e][k] > 3)
						p += sprintf(p, " or 1 other alternative");
					f = rfind(&r, (size_t)src, c, e);
					p += sprintf(p, " (%s has \"%s\" there)\n", lang[src],
					    r.alt[e][src][f]);
				}
		*p = '\0';
		for (k = 0; k < r.nv; k++)
			v[k] = (struct drift_version){ lang[k], text[k] };
		if (drift_check(v, r.nv, gl, &report, &n, why, sizeof(why)) != 0)
			fail_msg("case %zu refused: %s\n%s", it, why, gl);
		if (n != want_n || strcmp(report, want) != 0) {
			for (k = 0; k < r.nv; k++)
				printf("%s:\n%s", lang[k], text[k]);
			fail_msg("case %zu: %zu mismatches, want %zu; glossary:\n%s"
			    "report:\n%swant:\n%s", it, n, want_n, gl, report, want);
		}
		free(report);
	}
}

static void
test_lang_valid(void **state)
{
	static const struct {
		const char *s;
		int valid;
	} cases[] = {
		{ "ru", 1 }, { "hy", 1 }, { "az-latn", 1 }, { "abcdefgh", 1 },
		{ "x1", 1 }, { "a-", 1 },
		{ "r", 0 }, { "", 0 }, { NULL, 0 }, { "abcdefghi", 0 }, { "RU", 0 },
		{ "1ru", 0 }, { "-ru", 0 }, { "ru_RU", 0 }, { "ru ", 0 },
		{ "\xd5\xa1\xd5\xa1", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < LEN(cases); i++)
		if (drift_lang_valid(cases[i].s) != cases[i].valid)
			fail_msg("case %zu (%s)", i, cases[i].s ? cases[i].s : "NULL");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_preamble),
		cmocka_unit_test(test_glossary_terms),
		cmocka_unit_test(test_party),
		cmocka_unit_test(test_case_and_blanks),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_clauses_max),
		cmocka_unit_test(test_report_line_cut),
		cmocka_unit_test(test_report_max),
		cmocka_unit_test(test_terms_random),
		cmocka_unit_test(test_glossary_refused),
		cmocka_unit_test(test_versions_refused),
		cmocka_unit_test(test_lang_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
