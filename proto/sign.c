#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "sign.h"
#include "text.h"

static_assert(sizeof(SIGN_CONTENT_TAG) == SIGN_CONTENT_TAG_LEN, "content tag");
static_assert(sizeof(SIGN_CONTENT_TAG_V2) == SIGN_CONTENT_TAG_LEN, "content tag v2");
static_assert(sizeof(SIGN_PAYLOAD_TAG) == SIGN_PAYLOAD_TAG_LEN, "payload tag");
static_assert(sizeof(SIGN_CONTENT_TAG_V3) == SIGN_CONTENT_TAG_LEN, "content tag v3");
static_assert(sizeof(SIGN_PAYLOAD_TAG_V2) == SIGN_PAYLOAD_TAG_LEN, "payload tag v2");
static_assert(sizeof(SIGN_PAYLOAD_TAG_V3) == SIGN_PAYLOAD_TAG_LEN, "payload tag v3");
static_assert(sizeof(SIGN_MANDATE_TAG) == SIGN_MANDATE_TAG_LEN, "mandate tag");
static_assert(sizeof(SIGN_REVOKE_TAG) == SIGN_REVOKE_TAG_LEN, "revoke tag");
static_assert(sizeof(SIGN_LIFT_TAG) == SIGN_LIFT_TAG_LEN, "lift tag");

/* Each layout is written by one function called twice: with out == NULL to
 * measure, then into a buffer of that size, so size and bytes cannot differ. */
static size_t
put(uint8_t *out, size_t off, const void *src, size_t n)
{
	if (out != NULL && n > 0)
		memcpy(out + off, src, n);
	return off + n;
}

static size_t
put_u32(uint8_t *out, size_t off, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	return put(out, off, b, sizeof(b));
}

/* Callers have checked that strlen(s) fits in a u32. */
static size_t
put_field(uint8_t *out, size_t off, const char *s)
{
	size_t n = strlen(s);

	off = put_u32(out, off, (uint32_t)n);
	return put(out, off, s, n);
}

static int
fits_u32(const char *s)
{
	return (uint64_t)strlen(s) <= UINT32_MAX;
}

/* The most fields of a content layout: version 3's languages, authentic,
 * SIGN_MAX_VERSIONS texts and the seven terms after the text. */
#define CONTENT_FIELDS_MAX (2 + SIGN_MAX_VERSIONS + 7)

/* The fields of a content layout, in order; their number, 0 when c is not
 * well formed. */
static size_t
content_fields(const struct sign_content *c, const char *f[CONTENT_FIELDS_MAX],
    char ext[2][24])
{
	uint64_t v[2] = { c->extends, c->reaffirms };
	size_t i, n = 0;

	if (c->version == SIGN_CONTENT_V3) {
		if (c->ntexts == 0 || c->ntexts > SIGN_MAX_VERSIONS || c->texts == NULL)
			return 0;
		f[n++] = c->languages;
		f[n++] = c->authentic;
		for (i = 0; i < c->ntexts; i++)
			f[n++] = c->texts[i];
	} else {
		f[n++] = c->text;
	}
	f[n++] = c->effective;
	f[n++] = c->validity;
	f[n++] = c->calendar;
	if (c->version == SIGN_CONTENT_V1)
		return n;
	f[n++] = c->zone;
	f[n++] = c->signatories;
	for (i = 0; i < 2; i++) {
		ext[i][0] = '\0';
		if (v[i] != 0)
			snprintf(ext[i], sizeof(ext[i]), "%" PRIu64, v[i]);
		f[n++] = ext[i];
	}
	return n;
}

static size_t
content_layout(uint8_t *out, int version, const char *const *f, size_t n)
{
	static const char *const tag[] = { SIGN_CONTENT_TAG, SIGN_CONTENT_TAG_V2,
	    SIGN_CONTENT_TAG_V3 };
	size_t off, i;

	off = put(out, 0, tag[version - 1], SIGN_CONTENT_TAG_LEN);
	for (i = 0; i < n; i++)
		off = put_field(out, off, f[i]);
	return off;
}

int
sign_content_hash(const struct sign_content *c, uint8_t out[32])
{
	const char *f[CONTENT_FIELDS_MAX];
	char ext[2][24];
	uint8_t *buf;
	size_t n, nf, i;
	int rc;

	if (c->version < SIGN_CONTENT_V1 || c->version > SIGN_CONTENT_V3)
		return -1;
	if ((nf = content_fields(c, f, ext)) == 0)
		return -1;
	for (i = 0; i < nf; i++) {
		if (f[i] == NULL)
			f[i] = "";
		if (!fits_u32(f[i]))
			return -1;
	}
	n = content_layout(NULL, c->version, f, nf);
	if ((buf = malloc(n)) == NULL)
		return -1;
	content_layout(buf, c->version, f, nf);
	rc = crypto_sha256(buf, n, out);
	free(buf);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The roles of party among roles ("party=role"), sorted, into v (at most
 * max): their number, or -1 when there are more or one is named twice. */
static int
roles_of(const char *party, const char *const *roles, size_t nr, const char **v, size_t max)
{
	size_t i, n = 0, len = strlen(party);

	for (i = 0; i < nr; i++) {
		if (strncmp(roles[i], party, len) != 0 || roles[i][len] != '=')
			continue;
		if (n == max)
			return -1;
		v[n++] = roles[i] + len + 1;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	for (i = 1; i < n; i++)
		if (strcmp(v[i - 1], v[i]) == 0)
			return -1;
	return (int)n;
}

char *
sign_signatories(const char *const *parties, size_t np, const char *const *roles, size_t nr)
{
	const char *v[SIGN_MAX_SIGNATURES];
	char *buf = NULL;
	size_t len = 0, i, used = 0;
	FILE *f;
	int n, k, bad = np == 0 || np > SIGN_MAX_SIGNATURES || nr > SIGN_MAX_SIGNATURES;

	if (bad || (f = open_memstream(&buf, &len)) == NULL)
		return NULL;
	for (i = 0; i < np && !bad; i++) {
		for (k = 0; (size_t)k < i; k++)
			bad |= strcmp(parties[k], parties[i]) == 0;
		if (bad || !ident_valid(parties[i]) || (n = roles_of(parties[i], roles, nr, v,
		    SIGN_MAX_SIGNATURES)) < 0) {
			bad = 1;
			break;
		}
		fprintf(f, "%s%s", i ? " " : "", parties[i]);
		for (k = 0; k < n; k++) {
			bad |= !ident_valid(v[k]);
			fprintf(f, "%c%s", k ? '+' : '=', v[k]);
		}
		used += (size_t)n;
	}
	/* Every role belongs to a listed party. */
	if (fclose(f) != 0 || bad || used != nr) {
		free(buf);
		return NULL;
	}
	return buf;
}

static size_t
payload_layout(uint8_t *out, const char *id, uint32_t revision,
    const uint8_t hash[32], const char *party, const char *role, const char *reservation,
    const char *condition, const char *frame)
{
	int v3 = *frame != '\0', v2 = v3 || *reservation != '\0' || *condition != '\0';
	size_t off = put(out, 0, v3 ? SIGN_PAYLOAD_TAG_V3 : v2 ? SIGN_PAYLOAD_TAG_V2 :
	    SIGN_PAYLOAD_TAG, SIGN_PAYLOAD_TAG_LEN);

	off = put_field(out, off, id);
	off = put_u32(out, off, revision);
	off = put(out, off, hash, SIGN_HASH_LEN);
	off = put_field(out, off, party);
	off = put_field(out, off, role);
	if (v2) {
		off = put_field(out, off, reservation);
		off = put_field(out, off, condition);
	}
	if (v3)
		off = put_field(out, off, frame);
	return off;
}

int
sign_payload_with(uint64_t agreement, uint32_t revision, const uint8_t content_hash[32],
    const char *party, const char *role, const char *reservation, const char *condition,
    const char *frame, uint8_t **out, size_t *outlen)
{
	char id[21];	/* UINT64_MAX has 20 digits */
	uint8_t *buf;
	size_t n;

	*out = NULL;
	*outlen = 0;
	if (reservation == NULL)
		reservation = "";
	if (condition == NULL)
		condition = "";
	if (frame == NULL)
		frame = "";
	if (content_hash == NULL || party == NULL || role == NULL ||
	    !fits_u32(party) || !fits_u32(role) || !fits_u32(reservation) ||
	    !fits_u32(condition) || !fits_u32(frame))
		return -1;
	snprintf(id, sizeof(id), "%" PRIu64, agreement);
	n = payload_layout(NULL, id, revision, content_hash, party, role, reservation,
	    condition, frame);
	if ((buf = malloc(n)) == NULL)
		return -1;
	payload_layout(buf, id, revision, content_hash, party, role, reservation, condition,
	    frame);
	*out = buf;
	*outlen = n;
	return 0;
}

int
sign_payload(uint64_t agreement, uint32_t revision,
    const uint8_t content_hash[32], const char *party, const char *role,
    uint8_t **out, size_t *outlen)
{
	return sign_payload_with(agreement, revision, content_hash, party, role, NULL, NULL,
	    NULL, out, outlen);
}

static size_t
lift_layout(uint8_t *out, const char *id, uint32_t revision, const char *party,
    const char *role, const char *condition, const uint8_t h[32])
{
	size_t off = put(out, 0, SIGN_LIFT_TAG, SIGN_LIFT_TAG_LEN);

	off = put_field(out, off, id);
	off = put_u32(out, off, revision);
	off = put_field(out, off, party);
	off = put_field(out, off, role);
	off = put_field(out, off, condition);
	return put(out, off, h, SIGN_HASH_LEN);
}

int
sign_lift(uint64_t agreement, uint32_t revision, const char *party, const char *role,
    const char *condition, const uint8_t copy_sig_hash[32], uint8_t **out, size_t *outlen)
{
	char id[21];
	size_t n;

	*out = NULL;
	*outlen = 0;
	if (party == NULL || role == NULL || condition == NULL || copy_sig_hash == NULL ||
	    !fits_u32(party) || !fits_u32(role) || !fits_u32(condition))
		return -1;
	snprintf(id, sizeof(id), "%" PRIu64, agreement);
	n = lift_layout(NULL, id, revision, party, role, condition, copy_sig_hash);
	if ((*out = malloc(n)) == NULL)
		return -1;
	lift_layout(*out, id, revision, party, role, condition, copy_sig_hash);
	*outlen = n;
	return 0;
}

static size_t
put_u64(uint8_t *out, size_t off, uint64_t v)
{
	off = put_u32(out, off, (uint32_t)(v >> 32));
	return put_u32(out, off, (uint32_t)v);
}

static size_t
mandate_layout(uint8_t *out, const struct sign_mandate_fields *m)
{
	size_t off = put(out, 0, SIGN_MANDATE_TAG, SIGN_MANDATE_TAG_LEN), i;

	off = put_field(out, off, m->party);
	off = put(out, off, m->signer_key, 32);
	off = put_u32(out, off, (uint32_t)m->nroles);
	for (i = 0; i < m->nroles; i++)
		off = put_field(out, off, m->roles[i]);
	off = put_field(out, off, m->scope);
	off = put_u64(out, off, (uint64_t)m->valid_from);
	off = put_u64(out, off, (uint64_t)m->valid_until);
	off = put_u64(out, off, (uint64_t)m->issued_at);
	off = put_u64(out, off, m->supersedes);
	return put_field(out, off, m->in_place_of);
}

int
sign_mandate(const struct sign_mandate_fields *m, uint8_t **out, size_t *outlen)
{
	uint8_t *buf;
	size_t n, i;

	*out = NULL;
	*outlen = 0;
	if (m == NULL || m->party == NULL || m->signer_key == NULL || m->roles == NULL ||
	    m->scope == NULL || m->in_place_of == NULL || m->nroles == 0 ||
	    m->nroles > SIGN_MANDATE_MAX_ROLES || !fits_u32(m->party) || !fits_u32(m->scope) ||
	    !fits_u32(m->in_place_of))
		return -1;
	for (i = 0; i < m->nroles; i++)
		if (m->roles[i] == NULL || !fits_u32(m->roles[i]) ||
		    (i > 0 && strcmp(m->roles[i - 1], m->roles[i]) >= 0))
			return -1;
	n = mandate_layout(NULL, m);
	if ((buf = malloc(n)) == NULL)
		return -1;
	mandate_layout(buf, m);
	*out = buf;
	*outlen = n;
	return 0;
}

static size_t
revoke_layout(uint8_t *out, const char *party, uint64_t id, const uint8_t msig[64])
{
	size_t off = put(out, 0, SIGN_REVOKE_TAG, SIGN_REVOKE_TAG_LEN);

	off = put_field(out, off, party);
	off = put_u64(out, off, id);
	return put(out, off, msig, 64);
}

int
sign_revocation(const char *party, uint64_t mandate_id, const uint8_t msig[64], uint8_t **out,
    size_t *outlen)
{
	uint8_t *buf;
	size_t n;

	*out = NULL;
	*outlen = 0;
	if (party == NULL || msig == NULL || !fits_u32(party))
		return -1;
	n = revoke_layout(NULL, party, mandate_id, msig);
	if ((buf = malloc(n)) == NULL)
		return -1;
	revoke_layout(buf, party, mandate_id, msig);
	*out = buf;
	*outlen = n;
	return 0;
}
