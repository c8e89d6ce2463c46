#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "sign.h"

static_assert(sizeof(SIGN_CONTENT_TAG) == SIGN_CONTENT_TAG_LEN, "content tag");
static_assert(sizeof(SIGN_PAYLOAD_TAG) == SIGN_PAYLOAD_TAG_LEN, "payload tag");
static_assert(sizeof(SIGN_MANDATE_TAG) == SIGN_MANDATE_TAG_LEN, "mandate tag");
static_assert(sizeof(SIGN_REVOKE_TAG) == SIGN_REVOKE_TAG_LEN, "revoke tag");

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

static size_t
content_layout(uint8_t *out, const char *const f[4])
{
	size_t off = put(out, 0, SIGN_CONTENT_TAG, SIGN_CONTENT_TAG_LEN);
	int i;

	for (i = 0; i < 4; i++)
		off = put_field(out, off, f[i]);
	return off;
}

int
sign_content_hash(const char *text, const char *effective,
    const char *validity, const char *calendar, uint8_t out[32])
{
	const char *f[4] = { text, effective, validity, calendar };
	uint8_t *buf;
	size_t n;
	int i, rc;

	for (i = 0; i < 4; i++) {
		if (f[i] == NULL)
			f[i] = "";
		if (!fits_u32(f[i]))
			return -1;
	}
	n = content_layout(NULL, f);
	if ((buf = malloc(n)) == NULL)
		return -1;
	content_layout(buf, f);
	rc = crypto_sha256(buf, n, out);
	free(buf);
	return rc;
}

static size_t
payload_layout(uint8_t *out, const char *id, uint32_t revision,
    const uint8_t hash[32], const char *party, const char *role)
{
	size_t off = put(out, 0, SIGN_PAYLOAD_TAG, SIGN_PAYLOAD_TAG_LEN);

	off = put_field(out, off, id);
	off = put_u32(out, off, revision);
	off = put(out, off, hash, SIGN_HASH_LEN);
	off = put_field(out, off, party);
	return put_field(out, off, role);
}

int
sign_payload(uint64_t agreement, uint32_t revision,
    const uint8_t content_hash[32], const char *party, const char *role,
    uint8_t **out, size_t *outlen)
{
	char id[21];	/* UINT64_MAX has 20 digits */
	uint8_t *buf;
	size_t n;

	*out = NULL;
	*outlen = 0;
	if (content_hash == NULL || party == NULL || role == NULL ||
	    !fits_u32(party) || !fits_u32(role))
		return -1;
	snprintf(id, sizeof(id), "%" PRIu64, agreement);
	n = payload_layout(NULL, id, revision, content_hash, party, role);
	if ((buf = malloc(n)) == NULL)
		return -1;
	payload_layout(buf, id, revision, content_hash, party, role);
	*out = buf;
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
