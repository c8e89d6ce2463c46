#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "sheet.h"
#include "sign.h"
#include "text.h"

#define PH_LEN (sizeof(SHEET_PLACEHOLDER) - 1)

int
sheet_frame_check(const char *frame, size_t len, char *why, size_t whylen)
{
	const char *p, *q;

	if (len < SHEET_FRAME_MIN || len > SHEET_FRAME_MAX) {
		snprintf(why, whylen, "a frame is %d to %d bytes, this one %zu", SHEET_FRAME_MIN,
		    SHEET_FRAME_MAX, len);
		return -1;
	}
	if (memchr(frame, '\0', len) != NULL || memchr(frame, '\r', len) != NULL) {
		snprintf(why, whylen, "a frame holds no NUL and no CR");
		return -1;
	}
	if (text_displayable(frame, len, why, whylen) != 0)
		return -1;
	if ((p = memmem(frame, len, SHEET_PLACEHOLDER, PH_LEN)) == NULL) {
		snprintf(why, whylen, "a frame has a line \"%s\" where the agreed text goes",
		    SHEET_PLACEHOLDER);
		return -1;
	}
	q = p + PH_LEN;
	if (memmem(q, len - (size_t)(q - frame), SHEET_PLACEHOLDER, PH_LEN) != NULL) {
		snprintf(why, whylen, "\"%s\" may appear only once in a frame", SHEET_PLACEHOLDER);
		return -1;
	}
	if ((p != frame && p[-1] != '\n') || (q != frame + len && *q != '\n')) {
		snprintf(why, whylen, "\"%s\" must stand alone on its line", SHEET_PLACEHOLDER);
		return -1;
	}
	return 0;
}

char *
sheet_core(const char *text, const struct sheet_version *v, size_t nv)
{
	char *buf = NULL;
	size_t len = 0, i, n;
	FILE *f;

	if (nv == 0)
		return strdup(text);
	if ((f = open_memstream(&buf, &len)) == NULL)
		return NULL;
	for (i = 0; i < nv; i++) {
		n = strlen(v[i].text);
		fprintf(f, "%s--- %s%s ---\n%s%s", i ? "\n" : "", v[i].lang,
		    v[i].authentic ? " (authentic)" : "", v[i].text,
		    n > 0 && v[i].text[n - 1] == '\n' ? "" : "\n");
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *
sheet_render(const char *frame, const char *core)
{
	const char *p = strstr(frame, SHEET_PLACEHOLDER);
	size_t head, clen, tail;
	char *out;

	if (p == NULL)
		return NULL;
	head = (size_t)(p - frame);
	clen = strlen(core);
	tail = strlen(p + PH_LEN);
	if ((out = malloc(head + clen + tail + 1)) == NULL)
		return NULL;
	memcpy(out, frame, head);
	memcpy(out + head, core, clen);
	memcpy(out + head + clen, p + PH_LEN, tail + 1);
	return out;
}

int
sheet_terms(const struct sheet_version *v, size_t nv, char **languages, char **authentic)
{
	char *lb = NULL, *ab = NULL;
	size_t ll = 0, al = 0, i, na = 0;
	FILE *lf, *af;
	int bad = nv == 0 || nv > SIGN_MAX_VERSIONS;

	*languages = *authentic = NULL;
	for (i = 0; i < nv && !bad; i++)
		bad = !drift_lang_valid(v[i].lang) ||
		    (i > 0 && strcmp(v[i - 1].lang, v[i].lang) >= 0);
	if (bad)
		return -1;
	if ((lf = open_memstream(&lb, &ll)) == NULL)
		return -1;
	if ((af = open_memstream(&ab, &al)) == NULL) {
		fclose(lf);
		free(lb);
		return -1;
	}
	for (i = 0; i < nv; i++) {
		fprintf(lf, "%s%s", i ? " " : "", v[i].lang);
		if (v[i].authentic)
			fprintf(af, "%s%s", na++ ? " " : "", v[i].lang);
	}
	bad = fclose(lf) != 0;
	bad |= fclose(af) != 0;
	if (bad || na == 0) {
		free(lb);
		free(ab);
		return -1;
	}
	*languages = lb;
	*authentic = ab;
	return 0;
}
