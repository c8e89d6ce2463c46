/* The drift check: a mechanical comparison of the language versions of one
 * agreement text (ru, en, hy, ...) that the mediator runs before
 * circulation.  A program cannot check meaning; it can check that the
 * versions have the same clauses, the same numbers in each clause, and the
 * glossary's terms and party names where another version has them.
 *
 * Texts are UTF-8 with LF line endings (the caller validates and normalises
 * them; drift_check refuses invalid UTF-8 all the same).  The caller bounds
 * their size (in parley, 512 KiB for all the versions together).  The work
 * is linear in the texts and the glossary: each text is scanned once for all
 * the glossary's alternatives of its language together, and then each
 * clause of the reference where some version has a term costs about a step
 * per alternative of the glossary.  Memory is a small multiple of the
 * texts' size, plus, for each version, a bit per clause and alternative of
 * its language (at most DRIFT_CLAUSES_MAX * DRIFT_GLOSSARY_ALTS_MAX bits, 2.5
 * MB) and, while its text is scanned, about 26 bytes per byte of those
 * alternatives (at most 10 MB).
 *
 * CLAUSES.  A clause starts at a line whose first characters, after spaces
 * and tabs only, are a clause number: one or more groups of ASCII digits
 * joined by '.', ending with '.' or ')', then a space, a tab or the end of
 * the line: "1.", "2)", "3.1.", "3.1)"; not "1.5 litres", not "1" alone.
 * Only this numeric rule: a heading such as "Article 3" or "Статья 3" does
 * not start a clause.  The number's canonical form joins its groups with
 * '.', leading zeros removed from each ("03.1." and "3.1)" are both "3.1");
 * a number whose canonical form is longer than DRIFT_CLAUSE_NUMBER_MAX
 * bytes does not start a clause.  A clause runs to the next clause's line;
 * its text is what follows its number.  Text before the first clause is the
 * preamble, which every version has (possibly empty).  A number used twice
 * in a version (a list numbered "1)", "2)" inside a clause) makes two
 * clauses; the k-th clause with a number in one version is matched with the
 * k-th with that number in another, and reports call it "clause 1 (2nd)".
 * A version with more than DRIFT_CLAUSES_MAX clauses (the preamble not
 * counted) is refused.
 *
 * WHAT IS CHECKED.  The first version is the reference (the caller passes
 * the first authentic version first); every other version is compared with
 * it.
 *  1. Structure: the same sequence of clause numbers.  A clause the other
 *     version lacks, a clause the reference lacks, and the clauses both have
 *     standing in another order are each reported.  The checks below are
 *     done for the preamble and for each clause both versions have, matched
 *     by number.
 *  2. Numbers: in each clause (its number excluded) every maximal run of
 *     ASCII digits, leading zeros removed ("0" stays "0"), is a number:
 *     "24:00" gives 24 and 0, "12.05.1994" gives 12, 5 and 1994.  The
 *     numbers of a clause must be the same multiset in both versions.
 *  3. Glossary terms, given the glossary below: in each clause, for each
 *     entry, if some version's clause contains one of the entry's
 *     alternatives for its language, every other version that has the
 *     clause and a rendering (not "-") in the entry for its language must
 *     contain one of that rendering's alternatives in the same clause.  A
 *     version whose language the glossary does not declare is neither
 *     required nor counted.  Party names are checked only this way, through
 *     the glossary's party lines.
 *
 * MATCHING.  An alternative matches a clause when it occurs in the clause's
 * text as a substring of bytes where ASCII letters compare without regard to
 * case and any run of spaces, tabs and line breaks equals any other (a term
 * wrapped onto the next line still matches).  There is no Unicode case
 * folding and no stemming: for an inflected language the mediator writes a
 * stem or the forms, "крупн" or "крупный|крупного".  An alternative may
 * match inside a longer word ("major" in "majority").
 *
 * GLOSSARY FORMAT.  UTF-8 text, lines ended by LF:
 *  - A line is at most DRIFT_GLOSSARY_LINE_MAX bytes (without its LF), valid
 *    UTF-8, and holds no control character but tab (a CR is refused: lines
 *    end with LF alone).
 *  - Blank lines (spaces and tabs only) and lines whose first character
 *    other than a space or tab is '#' are ignored.  Spaces and tabs before
 *    and after a line's content are ignored.
 *  - The first other line is
 *        languages: TAG TAG ...
 *    declaring 2 to DRIFT_GLOSSARY_LANGS_MAX distinct language tags
 *    (drift_lang_valid), separated by spaces or tabs.
 *  - Every later line is an entry, one rendering per declared language, in
 *    the languages line's order, separated by '=' with optional spaces or
 *    tabs around it:
 *        major = крупн = խոշոր
 *        party baku: Baku = Баку = -
 *    A rendering is "-" (nothing required in that language) or 1 to
 *    DRIFT_RENDERING_ALTS_MAX alternatives separated by '|'
 *    ("крупн|значительн"), each non-empty after trimming spaces and tabs
 *    and at most DRIFT_ALT_BYTES_MAX bytes; "-" is no alternative.  At least
 *    two of an entry's renderings are not "-".
 *  - A line that starts with the word "party", a space or tab, and has a
 *    ':' before its first '=' names a party: "party CODE:" then the
 *    renderings, CODE a party code as parley spells them (ident_valid in
 *    text.h: 1 to 32 of a-z, 0-9, '-' and '_', not starting with '-' or '_').
 *    Reports call it "the party name of CODE" rather than a term.
 *  - At most DRIFT_GLOSSARY_ENTRIES_MAX entries (party lines included) and
 *    DRIFT_GLOSSARY_ALTS_MAX alternatives in all.
 * Anything else is refused with the line's number and the reason.  Glossary
 * languages that no version has are ignored.
 *
 * THE REPORT.  One mismatch per line, each line ended by LF:
 *     hy: clause 4 is missing (ru has clauses 1, 2, 3, 4, 5)
 *     en: has clause 6 that ru lacks
 *     en: clauses are numbered 1, 2, 4, 3 where ru has 1, 2, 3, 4
 *     clause 3, en: numbers differ from ru: lacks 24; has 23 that ru lacks
 *     preamble, hy: numbers differ from ru: lacks 5 (ru: 2, hy: 1)
 *     clause 2, en: lacks the glossary term "major" (ru has "крупн" there)
 *     clause 2, hy: lacks the party name of baku, "Բաքու" (ru has "Баку" there)
 * A number is followed by its counts in both versions when either has it
 * more than once.  Lists are cut ("..." or "and N other numbers") to keep a
 * line readable; a line quotes at most 3 alternatives of a rendering (then
 * "or N other alternatives") and at most 60 bytes of each (then "...").  So
 * a line is at most DRIFT_REPORT_LINE_MAX bytes with its LF.  Order:
 * structure first (by version), then by clause in the reference's order,
 * then by version, numbers before terms, terms in the glossary's order.
 * After DRIFT_REPORT_LINES mismatches the report stops listing and ends with
 * "... and N more"; the count stays exact.  The whole report is thus at most
 * DRIFT_REPORT_MAX bytes (without its NUL).  The same input gives the same
 * report byte for byte. */
#ifndef PARLEY_DRIFT_H
#define PARLEY_DRIFT_H

#include <stddef.h>

#define DRIFT_VERSIONS_MAX		16
#define DRIFT_CLAUSE_NUMBER_MAX		32
#define DRIFT_GLOSSARY_LANGS_MAX	16
#define DRIFT_GLOSSARY_ENTRIES_MAX	1000
#define DRIFT_GLOSSARY_LINE_MAX		4096
#define DRIFT_GLOSSARY_ALTS_MAX		2000	/* alternatives in a glossary */
#define DRIFT_RENDERING_ALTS_MAX	8	/* alternatives in a rendering */
#define DRIFT_ALT_BYTES_MAX		200	/* bytes of an alternative */
#define DRIFT_CLAUSES_MAX		10000	/* clauses of a version */
#define DRIFT_REPORT_LINES		200
#define DRIFT_REPORT_LINE_MAX		512	/* bytes, LF included */
#define DRIFT_REPORT_MAX \
	((DRIFT_REPORT_LINES + 1) * DRIFT_REPORT_LINE_MAX)	/* 102912 */

/* One language version: a language tag (drift_lang_valid) and its text. */
struct drift_version {
	const char *lang;
	const char *text;
};

/* Compares the nv versions v[1..nv) with v[0], the reference, and with the
 * glossary (NULL: none) as above.  On success returns 0, with *report a
 * malloc'd text (caller frees), "" when nothing differs, and *nmismatch the
 * exact number of mismatches.  Otherwise -1, *report NULL and *nmismatch 0,
 * with the reason in why (cut to whylen; why may be NULL): fewer than 2 or
 * more than DRIFT_VERSIONS_MAX versions, a bad or repeated language tag, a
 * text that is not valid UTF-8 ("version 2 (en): line 3: not valid UTF-8"),
 * a version with too many clauses ("version 2 (en): more than 10000
 * clauses"), a bad glossary ("glossary line 7: ..."), or out of memory;
 * the versions are checked before the glossary. */
int drift_check(const struct drift_version *v, size_t nv, const char *glossary,
    char **report, size_t *nmismatch, char *why, size_t whylen);

/* Only parses glossary, to refuse a bad file before it is stored: 0 if it
 * follows the format above, otherwise -1 with "line N: reason" in why (or
 * "out of memory"). */
int drift_glossary_check(const char *glossary, char *why, size_t whylen);

/* 1 if s is a language tag: 2 to 8 characters of a-z, 0-9 and '-', the first
 * a letter ("ru", "hy", "az-latn"); 0 otherwise (NULL included). */
int drift_lang_valid(const char *s);

#endif
