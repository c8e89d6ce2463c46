/* Text utilities shared by both ends: UTF-8 checks, line-ending
 * normalisation, identifiers, and line diffs of agreement texts.
 * Functions returning memory return NULL when an allocation fails. */
#ifndef PARLEY_TEXT_H
#define PARLEY_TEXT_H

#include <stddef.h>

/* 1 if s[0..n) is well-formed UTF-8 (no overlong form, surrogate, code point
 * above U+10FFFF or truncated sequence) and contains no NUL byte; else 0. */
int text_utf8_valid(const char *s, size_t n);

/* 0 if s[0..n) is text that hashes as it shows: well-formed UTF-8 with no
 * NUL byte.  Otherwise -1, with why (cut to whylen) naming the first fault
 * and its line, e.g. "line 3: a NUL byte (text after it would be shown but
 * not hashed)" or "line 1: not valid UTF-8". */
int text_check(const char *s, size_t n, char *why, size_t whylen);

/* 0 if a terminal shows s[0..n) (well-formed UTF-8) as it is: no control
 * character but tab, LF and CR (C0, DEL, C1), and none of the bidi
 * embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069) that
 * reorder what is displayed.  A text a party signs must pass: otherwise
 * what it reads is not what it signs ("yes\b\b\bno", an escape that hides
 * a clause).  Otherwise -1 with why naming the character and its line. */
int text_displayable(const char *s, size_t n, char *why, size_t whylen);

/* 1 if s[0..n) is one line shown as it is: displayable (above), with no
 * line break of any kind (LF, CR, U+2028, U+2029), so that no part of it
 * can pass for a line of its own where it is shown among others. */
int text_one_line(const char *s, size_t n);

/* Length (1..4) of the well-formed UTF-8 sequence that starts s[0..n), or 0
 * if there is none (n == 0, malformed, truncated).  A NUL byte counts as 1. */
size_t text_utf8_len(const char *s, size_t n);

/* A NUL-terminated copy of s[0..n) with CRLF and lone CR turned into LF; its
 * length goes to *outlen unless outlen is NULL.  Caller frees. */
char *text_normalize(const char *s, size_t n, size_t *outlen);

/* The 1-based number of the first line on which a[0..alen) and b[0..blen)
 * differ (a line that one of them lacks counts as differing); 0 if equal. */
int text_first_diff_line(const char *a, size_t alen, const char *b, size_t blen);

/* 1 if s is a valid party code or role: 1..32 characters of [a-z0-9], with
 * '-' and '_' also allowed after the first; 0 otherwise (NULL included). */
int ident_valid(const char *s);

/* A correct, minimal unified diff of text a against text b in `diff -u
 * --label label_a --label label_b` format (3 lines of context, hunk headers
 * @@ -l,s +l,s @@, "\ No newline at end of file" after a last line without
 * one); it may choose a different but equally short alignment than GNU diff.
 * "" if the texts are equal.  Past a cost cap (texts needing more than 2048
 * deleted plus inserted lines; see text.c) the diff stays correct but may not
 * be minimal.
 * Memory is linear in the texts' size.  Caller frees. */
char *text_diff(const char *a, const char *b, const char *label_a,
    const char *label_b);

/* Writes to out (cut to outlen) one line saying where the copy b first departs
 * from the expected text a, e.g. `line 3 differs: expected "To ensure..." but
 * the copy has "To extend..."`.  0 (out = "") if equal, 1 if they differ. */
int text_first_difference(const char *a, const char *b, char *out, size_t outlen);

#endif
