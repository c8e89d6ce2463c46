/* A party's sheet: the agreed text (the core) inside the party's frame,
 * an addressee block above it and a signature block below (doc/bundle.md
 * 4.12 and 4.13).  The identical-copy rule applies to the core, whose
 * content hash every copy signs; each party's signers also sign their own
 * frame (signing payload version 3, proto/sign.h).
 *
 * Also the two terms of an agreement in several languages (content
 * version 3): the language tags, and those of them declared authentic. */
#ifndef PARLEY_SHEET_H
#define PARLEY_SHEET_H

#include <stddef.h>

#define SHEET_PLACEHOLDER "{{core}}"
#define SHEET_FRAME_MIN 9		/* more than the placeholder alone */
#define SHEET_FRAME_MAX 16384

/* Whether frame[0..len) is a frame: UTF-8 shown as it is (text.h), no NUL
 * or CR, SHEET_FRAME_MIN to SHEET_FRAME_MAX bytes, the placeholder exactly
 * once and alone on its line.  0, or -1 with the reason in why. */
int sheet_frame_check(const char *frame, size_t len, char *why, size_t whylen);

/* One language version of a text. */
struct sheet_version {
	const char *lang;	/* a language tag (drift_lang_valid) */
	const char *text;
	int authentic;
};

/* The core of a sheet, malloc'd for the caller: text when nv is 0, else
 * each version of v (in the order given: ascending tags) under its heading
 * line "--- LANG ---" or "--- LANG (authentic) ---", ended with an LF, and
 * an empty line between two.  NULL when out of memory. */
char *sheet_core(const char *text, const struct sheet_version *v, size_t nv);

/* frame with its placeholder replaced by core, malloc'd; NULL when frame
 * has no placeholder or memory runs out. */
char *sheet_render(const char *frame, const char *core);

/* The terms "languages" and "authentic" of versions v[0..nv) (content
 * version 3): the tags, and the authentic ones, joined by one space.  v
 * must be sorted by tag; -1 when it is not, a tag is not valid or given
 * twice, nv is 0 or over SIGN_MAX_VERSIONS, no version is authentic, or
 * memory runs out.  *languages and *authentic are malloc'd for the caller. */
int sheet_terms(const struct sheet_version *v, size_t nv, char **languages,
    char **authentic);

#endif
