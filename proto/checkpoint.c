#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "checkpoint.h"
#include "crypto.h"
#include "text.h"

#define EMDASH_SP "\xe2\x80\x94 "	/* U+2014 and a space: 4 bytes */
#define EMDASH_SP_LEN 4
#define SIGBLOB_LEN (CHECKPOINT_KEYID_LEN + CRYPTO_ED25519_SIG_LEN)	/* 68 */

/* Base64 lengths with padding: 4 characters per 3 bytes, rounded up. */
#define B64_LEN(n) (4 * (((n) + 2) / 3))
#define ROOT_B64_LEN B64_LEN(32)		/* 44 */
#define SIG_B64_LEN B64_LEN(SIGBLOB_LEN)	/* 92 */

_Static_assert(ROOT_B64_LEN == 44 && SIG_B64_LEN == 92, "base64 lengths");

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* out holds B64_LEN(n) + 1 bytes; EVP_EncodeBlock NUL-terminates. */
static void
b64_encode(const uint8_t *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/* Decode exactly outlen bytes from the inlen characters at in, accepting
 * only the canonical padded encoding.  EVP_DecodeBlock alone is too
 * lenient: it skips leading and trailing whitespace, decodes '=' as zero
 * bits wherever it stands (and counts it as output), and ignores the unused
 * low bits of the last character.  Re-encoding and comparing closes all of
 * that at once. */
static int
b64_decode_exact(const char *in, size_t inlen, uint8_t *out, size_t outlen)
{
	uint8_t tmp[3 * (SIG_B64_LEN / 4)];
	char again[SIG_B64_LEN + 1];
	int n;

	if (inlen != B64_LEN(outlen) || inlen > SIG_B64_LEN)
		return -1;
	n = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)inlen);
	if (n < 0 || (size_t)n != 3 * (inlen / 4))
		return -1;
	b64_encode(tmp, outlen, again);
	if (memcmp(again, in, inlen) != 0)
		return -1;
	memcpy(out, tmp, outlen);
	return 0;
}

static bool
name_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '+';
}

int
checkpoint_name_valid(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i == CHECKPOINT_NAME_MAX || !name_char((unsigned char)s[i]))
			return 0;
	return 1;
}

int
checkpoint_key_id(const char *name, const uint8_t pub[32],
    uint8_t id[CHECKPOINT_KEYID_LEN])
{
	uint8_t buf[CHECKPOINT_NAME_MAX + 2 + CRYPTO_ED25519_PUB_LEN];
	uint8_t h[CRYPTO_SHA256_LEN];
	size_t n;

	if (!checkpoint_name_valid(name) || pub == NULL)
		return -1;
	n = strlen(name);
	memcpy(buf, name, n);
	buf[n++] = 0x0a;
	buf[n++] = 0x01;	/* signed-note signature type: Ed25519 */
	memcpy(buf + n, pub, CRYPTO_ED25519_PUB_LEN);
	n += CRYPTO_ED25519_PUB_LEN;
	if (crypto_sha256(buf, n, h) == -1)
		return -1;
	memcpy(id, h, CHECKPOINT_KEYID_LEN);
	return 0;
}

/* signed-note: valid UTF-8, no control characters but newline, and the
 * text ends in a newline. */
static bool
note_text_valid(const char *text, size_t len)
{
	size_t i;

	if (text == NULL || len == 0 || text[len - 1] != '\n')
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 && text[i] != '\n')
			return false;
	return text_utf8_valid(text, len);
}

int
checkpoint_sign_note(const char *text, size_t len, EVP_PKEY *key,
    const char *name, char **out)
{
	uint8_t pub[CRYPTO_ED25519_PUB_LEN], blob[SIGBLOB_LEN];
	char b64[SIG_B64_LEN + 1], *s;
	size_t namelen, total, off = 0;

	if (out == NULL)
		return -1;
	*out = NULL;
	if (!note_text_valid(text, len) || !checkpoint_name_valid(name) ||
	    !crypto_is_ed25519(key))
		return -1;
	if (crypto_pubkey_raw(key, pub) == -1 ||
	    checkpoint_key_id(name, pub, blob) == -1 ||
	    crypto_sign(key, (const uint8_t *)text, len,
	    blob + CHECKPOINT_KEYID_LEN) == -1)
		return -1;
	b64_encode(blob, sizeof(blob), b64);

	namelen = strlen(name);
	total = len + 1 + EMDASH_SP_LEN + namelen + 1 + SIG_B64_LEN + 1;
	if ((s = malloc(total + 1)) == NULL)
		return -1;
	memcpy(s + off, text, len);
	off += len;
	s[off++] = '\n';
	memcpy(s + off, EMDASH_SP, EMDASH_SP_LEN);
	off += EMDASH_SP_LEN;
	memcpy(s + off, name, namelen);
	off += namelen;
	s[off++] = ' ';
	memcpy(s + off, b64, SIG_B64_LEN);
	off += SIG_B64_LEN;
	s[off++] = '\n';
	s[off] = '\0';
	*out = s;
	return 0;
}

/* The body for these fields into out (CHECKPOINT_BODY_MAX + 1 bytes);
 * its length, or 0 if origin is invalid. */
static size_t
make_body(const char *origin, uint64_t size, const uint8_t root[32],
    char out[CHECKPOINT_BODY_MAX + 1])
{
	char b64[ROOT_B64_LEN + 1];
	int n;

	if (!checkpoint_name_valid(origin) || root == NULL)
		return 0;
	b64_encode(root, 32, b64);
	n = snprintf(out, CHECKPOINT_BODY_MAX + 1, "%s\n%" PRIu64 "\n%s\n",
	    origin, size, b64);
	if (n < 0 || n > CHECKPOINT_BODY_MAX)
		return 0;
	return (size_t)n;
}

int
checkpoint_format(const char *origin, uint64_t size, const uint8_t root[32],
    EVP_PKEY *key, const char *name, char **out)
{
	char body[CHECKPOINT_BODY_MAX + 1];
	size_t n;

	if (out == NULL)
		return -1;
	*out = NULL;
	if ((n = make_body(origin, size, root, body)) == 0)
		return -1;
	return checkpoint_sign_note(body, n, key, name, out);
}

/* The line starting at buf[*off], without its newline, as (*line, *n);
 * *off moves past the newline.  false if there is no newline. */
static bool
next_line(const char *buf, size_t len, size_t *off, const char **line, size_t *n)
{
	const char *nl;

	if (*off >= len || (nl = memchr(buf + *off, '\n', len - *off)) == NULL)
		return false;
	*line = buf + *off;
	*n = (size_t)(nl - *line);
	*off += *n + 1;
	return true;
}

/* A name of n bytes at s into out (CHECKPOINT_NAME_MAX + 1 bytes). */
static bool
copy_name(const char *s, size_t n, char *out)
{
	if (n == 0 || n > CHECKPOINT_NAME_MAX)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return checkpoint_name_valid(out);
}

/* Decimal, no sign, no leading zero except "0" itself, below 2^64. */
static bool
parse_size(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

int
checkpoint_parse(const char *buf, size_t len, struct checkpoint *out,
    char *err, size_t errlen)
{
	uint8_t blob[SIGBLOB_LEN];
	const char *s, *sp;
	size_t off = 0, n;

	if (buf == NULL || out == NULL) {
		seterr(err, errlen, "no checkpoint");
		return -1;
	}
	if (len > CHECKPOINT_MAX_LEN) {
		seterr(err, errlen, "checkpoint is %zu bytes, more than %d",
		    len, CHECKPOINT_MAX_LEN);
		return -1;
	}
	if (memchr(buf, '\0', len) != NULL) {
		seterr(err, errlen, "checkpoint contains a NUL byte");
		return -1;
	}
	memset(out, 0, sizeof(*out));

	if (!next_line(buf, len, &off, &s, &n) || !copy_name(s, n, out->origin)) {
		seterr(err, errlen, "line 1: origin is not 1-%d printable ASCII "
		    "characters without spaces or '+'", CHECKPOINT_NAME_MAX);
		return -1;
	}
	if (!next_line(buf, len, &off, &s, &n) || !parse_size(s, n, &out->size)) {
		seterr(err, errlen, "line 2: tree size is not a decimal number "
		    "below 2^64 without leading zeros");
		return -1;
	}
	if (!next_line(buf, len, &off, &s, &n) ||
	    b64_decode_exact(s, n, out->root, sizeof(out->root)) == -1) {
		seterr(err, errlen, "line 3: root hash is not the canonical "
		    "base64 of 32 bytes");
		return -1;
	}
	out->body_len = off;
	memcpy(out->body, buf, off);
	out->body[off] = '\0';

	if (off >= len || buf[off] != '\n') {
		seterr(err, errlen, "line 4: expected the blank line before the "
		    "signature (extension lines are not accepted)");
		return -1;
	}
	off++;
	if (!next_line(buf, len, &off, &s, &n)) {
		seterr(err, errlen, "line 5: no signature line ending in a newline");
		return -1;
	}
	if (off != len) {
		seterr(err, errlen, "text after the signature line (exactly one "
		    "signature is accepted)");
		return -1;
	}
	if (n < EMDASH_SP_LEN || memcmp(s, EMDASH_SP, EMDASH_SP_LEN) != 0) {
		seterr(err, errlen, "line 5: signature line does not start with "
		    "an em dash (U+2014) and a space");
		return -1;
	}
	s += EMDASH_SP_LEN;
	n -= EMDASH_SP_LEN;
	if ((sp = memchr(s, ' ', n)) == NULL ||
	    !copy_name(s, (size_t)(sp - s), out->name)) {
		seterr(err, errlen, "line 5: key name is not 1-%d printable ASCII "
		    "characters without spaces or '+', followed by a space",
		    CHECKPOINT_NAME_MAX);
		return -1;
	}
	n -= (size_t)(sp - s) + 1;
	if (b64_decode_exact(sp + 1, n, blob, sizeof(blob)) == -1) {
		seterr(err, errlen, "line 5: signature is not the canonical base64 "
		    "of a 4-byte key id and a 64-byte Ed25519 signature");
		return -1;
	}
	memcpy(out->key_id, blob, CHECKPOINT_KEYID_LEN);
	memcpy(out->sig, blob + CHECKPOINT_KEYID_LEN, sizeof(out->sig));
	return 0;
}

int
checkpoint_verify(const struct checkpoint *cp, const uint8_t pub[32],
    const char *name, char *err, size_t errlen)
{
	char body[CHECKPOINT_BODY_MAX + 1];
	uint8_t id[CHECKPOINT_KEYID_LEN];
	size_t n;

	if (cp == NULL || pub == NULL || !checkpoint_name_valid(name)) {
		seterr(err, errlen, "no checkpoint, key or valid key name");
		return -1;
	}
	/* The fields are what callers use; make sure they are what was
	 * signed, even if someone edited *cp after checkpoint_parse. */
	n = make_body(cp->origin, cp->size, cp->root, body);
	if (n == 0 || n != cp->body_len || cp->body_len > CHECKPOINT_BODY_MAX ||
	    memcmp(body, cp->body, n) != 0) {
		seterr(err, errlen, "checkpoint fields do not match its signed body");
		return -1;
	}
	if (strncmp(cp->name, name, sizeof(cp->name)) != 0) {
		seterr(err, errlen, "checkpoint is signed by key \"%.*s\", not by "
		    "\"%s\"", (int)strnlen(cp->name, CHECKPOINT_NAME_MAX),
		    cp->name, name);
		return -1;
	}
	if (checkpoint_key_id(name, pub, id) == -1) {
		seterr(err, errlen, "cannot compute the key id");
		return -1;
	}
	if (memcmp(id, cp->key_id, sizeof(id)) != 0) {
		seterr(err, errlen, "checkpoint is signed by key id "
		    "%02x%02x%02x%02x, not by the expected key (%02x%02x%02x%02x)",
		    cp->key_id[0], cp->key_id[1], cp->key_id[2], cp->key_id[3],
		    id[0], id[1], id[2], id[3]);
		return -1;
	}
	if (crypto_verify(pub, (const uint8_t *)cp->body, cp->body_len,
	    cp->sig) != 0) {
		seterr(err, errlen, "checkpoint signature does not verify");
		return -1;
	}
	return 0;
}

int
checkpoint_origin(const uint8_t pub[32], char out[64])
{
	uint8_t h[32];
	char hex[17];

	if (crypto_sha256(pub, 32, h) != 0)
		return -1;
	hex_encode(h, 8, hex);
	snprintf(out, 64, "parley/%s", hex);
	return 0;
}
