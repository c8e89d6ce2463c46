#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "crypto.h"
#include "ptime.h"
#include "text.h"

char *
cert_format(const struct cert *c)
{
	char *buf = NULL, hex[129], when[PTIME_BUFLEN];
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	fprintf(f, "parley release certificate v1\n");
	fprintf(f, "agreement: %llu\n", (unsigned long long)c->agreement);
	fprintf(f, "title: %s\n", c->title);
	fprintf(f, "revision: %u\n", c->revision);
	hex_encode(c->content_hash, 32, hex);
	fprintf(f, "content-sha256: %s\n", hex);
	fprintf(f, "parties:");
	for (i = 0; i < c->nparties; i++)
		fprintf(f, " %s", c->parties[i]);
	fprintf(f, "\nobservers:");
	for (i = 0; i < c->nobservers; i++)
		fprintf(f, " %s", c->observers[i]);
	ptime_format_utc(c->released_at, when);
	fprintf(f, "\nreleased-at: %s\n", when);
	ptime_format_utc(c->effective_at, when);
	fprintf(f, "effective-at: %s\n", when);
	for (i = 0; i < c->nprincipals; i++) {
		hex_encode(c->principals[i].key, 32, hex);
		fprintf(f, "principal: %s %s\n", c->principals[i].party, hex);
	}
	for (i = 0; i < c->nframes; i++) {
		hex_encode(c->frames[i].hash, 32, hex);
		fprintf(f, "frame: %s %s\n", c->frames[i].party, hex);
	}
	for (i = 0; i < c->ncopies; i++) {
		const struct cert_copy *k = &c->copies[i];
		fprintf(f, "copy: %s %s", k->party, *k->role ? k->role : "-");
		hex_encode(k->key, 32, hex);
		fprintf(f, " %s", hex);
		hex_encode(k->sig, 64, hex);
		ptime_format_utc(k->signed_at, when);
		fprintf(f, " %s %s", hex, when);
		if (k->mandate != 0)
			fprintf(f, " mandate %llu", (unsigned long long)k->mandate);
		fprintf(f, "\n");
		if (*k->signer_name)
			fprintf(f, "signer: %s\n", k->signer_name);
		if (*k->signer_title)
			fprintf(f, "signer-title: %s\n", k->signer_title);
		if (*k->in_place_of)
			fprintf(f, "in-place-of: %s\n", k->in_place_of);
		if (k->has_reservation) {
			hex_encode(k->reservation, 32, hex);
			fprintf(f, "reservation: %s\n", hex);
		}
		if (*k->condition)
			fprintf(f, "subject-to: %s\n", k->condition);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

struct lines {
	const char *p, *end;
	int no;
	char line[4096];
};

/* Next line without its LF; -1 at the end or for a line that is too long,
 * lacks its LF, or holds a NUL. */
static int
next_line(struct lines *l)
{
	const char *nl;
	size_t n;

	if (l->p >= l->end)
		return -1;
	nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	if (nl == NULL)
		return -1;
	n = (size_t)(nl - l->p);
	if (n >= sizeof(l->line) || memchr(l->p, '\0', n) != NULL)
		return -1;
	memcpy(l->line, l->p, n);
	l->line[n] = '\0';
	l->p = nl + 1;
	l->no++;
	return 0;
}

static const char *
field(struct lines *l, const char *name, char *err, size_t errlen)
{
	size_t n = strlen(name);

	if (next_line(l) != 0) {
		snprintf(err, errlen, "certificate ends before \"%s\"", name);
		return NULL;
	}
	if (strncmp(l->line, name, n) != 0 || l->line[n] != ':' ||
	    (l->line[n + 1] != ' ' && l->line[n + 1] != '\0')) {
		snprintf(err, errlen, "certificate line %d: expected \"%s:\"", l->no, name);
		return NULL;
	}
	return l->line[n + 1] ? l->line + n + 2 : l->line + n + 1;
}

static int
parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_codes(char *s, char out[][CERT_CODE_MAX + 1], size_t *n)
{
	char *tok, *save = NULL;
	size_t i;

	*n = 0;
	for (tok = strtok_r(s, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (*n == CERT_MAX_PARTIES || !ident_valid(tok))
			return -1;
		for (i = 0; i < *n; i++)
			if (strcmp(out[i], tok) == 0)
				return -1;
		snprintf(out[(*n)++], CERT_CODE_MAX + 1, "%s", tok);
	}
	return 0;
}

/* The rule bundles made before shown-as-is still follow: no byte below
 * 0x20 and no 0x7F. */
static int
no_ctl_bytes(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int
cert_title_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= CERT_TITLE_MAX && text_utf8_valid(s, n) && no_ctl_bytes(s, n);
}

int
cert_shown_valid(const char *s, size_t max)
{
	char why[8];
	size_t n = strlen(s);

	/* text_displayable refuses what is not UTF-8 */
	return n <= max && text_displayable(s, n, why, sizeof(why)) == 0 &&
	    strpbrk(s, "\t\n\r") == NULL;
}

int
cert_name_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= CERT_NAME_MAX && text_utf8_valid(s, n) && no_ctl_bytes(s, n) &&
	    s[0] != ' ' && s[n - 1] != ' ';
}

/* 1..max bytes of shown text, no space at either end. */
static int
shown_phrase(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && cert_shown_valid(s, max) && s[0] != ' ' && s[n - 1] != ' ';
}

int
cert_shown_name_valid(const char *s)
{
	return shown_phrase(s, CERT_NAME_MAX);
}

int
cert_condition_valid(const char *s)
{
	return shown_phrase(s, CERT_CONDITION_MAX);
}

const uint8_t *
cert_frame_hash(const struct cert *c, const char *party)
{
	size_t i;

	for (i = 0; i < c->nframes; i++)
		if (strcmp(c->frames[i].party, party) == 0)
			return c->frames[i].hash;
	return NULL;
}

const uint8_t *
cert_principal_key(const struct cert *c, const char *party)
{
	size_t i;

	for (i = 0; i < c->nprincipals; i++)
		if (strcmp(c->principals[i].party, party) == 0)
			return c->principals[i].key;
	return NULL;
}

static int
party_index(const struct cert *c, const char *party)
{
	size_t i;

	for (i = 0; i < c->nparties; i++)
		if (strcmp(c->parties[i], party) == 0)
			return (int)i;
	return -1;
}

/* Does the next line start with "name:"? */
static int
peek(const struct lines *l, const char *name)
{
	size_t n = strlen(name);

	return l->p < l->end && (size_t)(l->end - l->p) > n && strncmp(l->p, name, n) == 0 &&
	    l->p[n] == ':';
}

int
cert_parse(const char *buf, size_t len, struct cert *c, char *err, size_t errlen)
{
	struct lines l = { buf, buf + len, 0, "" };
	const char *v;
	char tmp[4096], *tok[8], *save = NULL, *again;
	uint64_t u;
	size_t k;
	int last = -1;

	memset(c, 0, sizeof(*c));
#define FIELD(name) if ((v = field(&l, name, err, errlen)) == NULL) return -1
#define BAD(what) do { snprintf(err, errlen, "certificate line %d: bad %s", l.no, what); \
		return -1; } while (0)
	if (next_line(&l) != 0 || strcmp(l.line, "parley release certificate v1") != 0) {
		snprintf(err, errlen, "not a parley release certificate (v1)");
		return -1;
	}
	FIELD("agreement");
	if (parse_uint(v, UINT64_MAX, &c->agreement) != 0 || c->agreement == 0)
		BAD("agreement id");
	FIELD("title");
	if (!cert_title_valid(v))
		BAD("title");
	snprintf(c->title, sizeof(c->title), "%s", v);
	FIELD("revision");
	if (parse_uint(v, UINT32_MAX, &u) != 0 || u == 0)
		BAD("revision");
	c->revision = (uint32_t)u;
	FIELD("content-sha256");
	if (hex_decode(v, c->content_hash, 32) != 0)
		BAD("content hash");
	FIELD("parties");
	snprintf(tmp, sizeof(tmp), "%s", v);
	if (parse_codes(tmp, c->parties, &c->nparties) != 0 || c->nparties == 0)
		BAD("parties");
	FIELD("observers");
	snprintf(tmp, sizeof(tmp), "%s", v);
	if (parse_codes(tmp, c->observers, &c->nobservers) != 0)
		BAD("observers");
	for (k = 0; k < c->nobservers; k++)
		if (party_index(c, c->observers[k]) >= 0)
			BAD("observers: a party is an observer too");
	FIELD("released-at");
	if (ptime_parse(v, &c->released_at) != 0)
		BAD("release time");
	FIELD("effective-at");
	if (ptime_parse(v, &c->effective_at) != 0)
		BAD("effective time");
	while (peek(&l, "principal")) {
		struct cert_principal *pr = &c->principals[c->nprincipals];
		int at;
		FIELD("principal");
		snprintf(tmp, sizeof(tmp), "%s", v);
		save = NULL;
		for (k = 0; k < 3; k++)
			tok[k] = strtok_r(k ? NULL : tmp, " ", &save);
		if (tok[1] == NULL || tok[2] != NULL || c->nprincipals == CERT_MAX_PARTIES)
			BAD("principal line");
		if ((at = party_index(c, tok[0])) < 0 || at < last)
			BAD("principal line: parties out of order");
		if (at == last)
			BAD("principal line: a party twice");
		last = at;
		snprintf(pr->party, sizeof(pr->party), "%s", tok[0]);
		if (hex_decode(tok[1], pr->key, 32) != 0)
			BAD("principal key");
		c->nprincipals++;
	}
	last = -1;
	while (peek(&l, "frame")) {
		struct cert_frame *fr = &c->frames[c->nframes];
		int at;
		FIELD("frame");
		snprintf(tmp, sizeof(tmp), "%s", v);
		save = NULL;
		for (k = 0; k < 3; k++)
			tok[k] = strtok_r(k ? NULL : tmp, " ", &save);
		if (tok[1] == NULL || tok[2] != NULL || c->nframes == CERT_MAX_PARTIES)
			BAD("frame line");
		if ((at = party_index(c, tok[0])) < 0 || at < last)
			BAD("frame line: parties out of order");
		if (at == last)
			BAD("frame line: a party twice");
		last = at;
		snprintf(fr->party, sizeof(fr->party), "%s", tok[0]);
		if (hex_decode(tok[1], fr->hash, 32) != 0)
			BAD("frame hash");
		c->nframes++;
	}
	last = -1;
	while (c->ncopies == 0 || peek(&l, "copy")) {
		struct cert_copy *cp = &c->copies[c->ncopies];
		int at;
		FIELD("copy");
		snprintf(tmp, sizeof(tmp), "%s", v);
		save = NULL;
		for (k = 0; k < 8; k++)
			tok[k] = strtok_r(k ? NULL : tmp, " ", &save);
		if (tok[4] == NULL || (tok[5] != NULL && (tok[6] == NULL || tok[7] != NULL ||
		    strcmp(tok[5], "mandate") != 0)))
			BAD("copy line");
		if (c->ncopies == CERT_MAX_COPIES)
			BAD("copy line: too many copies");
		if ((at = party_index(c, tok[0])) < 0 || at < last || at > last + 1)
			BAD("copy line: parties out of order");
		last = at;
		snprintf(cp->party, sizeof(cp->party), "%s", tok[0]);
		if (strcmp(tok[1], "-") != 0) {
			if (!ident_valid(tok[1]))
				BAD("role");
			snprintf(cp->role, sizeof(cp->role), "%s", tok[1]);
		}
		for (k = 0; k < c->ncopies; k++)
			if (strcmp(c->copies[k].party, cp->party) == 0 &&
			    strcmp(c->copies[k].role, cp->role) == 0)
				BAD("copy line: a party and role twice");
		/* One order, one spelling: a party's copies by role, ascending. */
		if (c->ncopies > 0 && strcmp(c->copies[c->ncopies - 1].party, cp->party) == 0 &&
		    strcmp(c->copies[c->ncopies - 1].role, cp->role) >= 0)
			BAD("copy line: a party's roles out of order");
		if (hex_decode(tok[2], cp->key, 32) != 0)
			BAD("signer key");
		if (hex_decode(tok[3], cp->sig, 64) != 0)
			BAD("signature");
		if (ptime_parse(tok[4], &cp->signed_at) != 0)
			BAD("signing time");
		if (tok[5] != NULL && (parse_uint(tok[6], UINT64_MAX, &cp->mandate) != 0 ||
		    cp->mandate == 0))
			BAD("mandate id");
		c->ncopies++;
		if (peek(&l, "signer")) {
			FIELD("signer");
			if (!cert_shown_name_valid(v))
				BAD("signer name");
			snprintf(cp->signer_name, sizeof(cp->signer_name), "%s", v);
		}
		if (peek(&l, "signer-title")) {
			FIELD("signer-title");
			if (*cp->signer_name == '\0' || !cert_shown_name_valid(v))
				BAD("signer title");
			snprintf(cp->signer_title, sizeof(cp->signer_title), "%s", v);
		}
		if (peek(&l, "in-place-of")) {
			FIELD("in-place-of");
			if (cp->mandate == 0 || !cert_name_valid(v))
				BAD("in-place-of name");
			snprintf(cp->in_place_of, sizeof(cp->in_place_of), "%s", v);
		}
		if (peek(&l, "reservation")) {
			FIELD("reservation");
			if (hex_decode(v, cp->reservation, 32) != 0)
				BAD("reservation hash");
			cp->has_reservation = 1;
		}
		if (peek(&l, "subject-to")) {
			FIELD("subject-to");
			if (!cert_condition_valid(v))
				BAD("condition");
			snprintf(cp->condition, sizeof(cp->condition), "%s", v);
		}
	}
	if (last != (int)c->nparties - 1) {
		snprintf(err, errlen, "certificate line %d: bad copy line: parties out of order "
		    "(a party has no copy)", l.no);
		return -1;
	}
	if (l.p != l.end) {
		snprintf(err, errlen, "certificate has extra bytes after line %d", l.no);
		return -1;
	}
	/* Strict: one certificate, one byte form (upper-case hex, other time
	 * spellings and extra spaces parse above but are not the signed form). */
	if ((again = cert_format(c)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (strlen(again) != len || memcmp(again, buf, len) != 0) {
		snprintf(err, errlen, "certificate line %d: not in its canonical form",
		    text_first_diff_line(again, strlen(again), buf, len));
		free(again);
		return -1;
	}
	free(again);
#undef FIELD
#undef BAD
	return 0;
}
