/* proto/checkpoint: known answers (a checkpoint made with the openssl and
 * base64 tools, and the Go signed-note test vectors), round trips, every
 * single-byte change refused, wrong keys refused, a table of malformed
 * texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "proto/checkpoint.h"
#include "proto/crypto.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define EMDASH "\xe2\x80\x94"

/* ---- Known answer: our own format, computed with independent tools ------
 *
 * Key: RFC 8032 section 7.1 TEST 1, secret 9d61b1...7f60, public
 * d75a98...511a.  Origin and key name "parley/example"; the root is the
 * RFC 6962 root of the 8-leaf reference tree (see test_merkle.c) and, for
 * size 0, SHA-256 of nothing.  Computed once with OpenSSL 3.0 and
 * coreutils, none of our code involved:
 *
 *   printf 302e020100300506032b657004220420%s $SEED | xxd -r -p > key.der
 *   openssl pkey -inform DER -in key.der -out key.pem
 *   ROOT=$(printf %s $ROOTHEX | xxd -r -p | base64 -w0)
 *   printf 'parley/example\n8\n%s\n' $ROOT > body.txt
 *   { printf 'parley/example\n\001'; printf %s $PUB | xxd -r -p; } |
 *       openssl dgst -sha256 -binary | head -c 4 > keyid     # 9b3a6850
 *   openssl pkeyutl -sign -rawin -inkey key.pem -in body.txt -out sig.bin
 *   SIG=$(cat keyid sig.bin | base64 -w0)
 *   { cat body.txt; printf '\n\342\200\224 parley/example %s\n' $SIG; }
 *
 * and the signature checked with `openssl pkeyutl -verify -rawin`. */

static const char rfc8032_seed[] =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char rfc8032_pub[] =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

#define KAT_BODY8 "parley/example\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
#define KAT_SIG8 EMDASH " parley/example mzpoUDp0k3Opr5tCtOiNLhz7scvP8Iw7teoJb/" \
	"nd60fbxbjzr0zWg0vYCiukZNfArxvBuiPdqBzBrYaAvM9JctQhlw8=\n"
static const char kat_cp8[] = KAT_BODY8 "\n" KAT_SIG8;
static const char kat_root8[] =
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328";

static const char kat_cp0[] =
    "parley/example\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n"
    EMDASH " parley/example mzpoUJxJGZwgouwWmf9MB/VXcw3Dw0nZNiSlMDiahnZMu5Tc"
    "bt8XzSaucNKCDV1BbqUyQEmrpS01t7IUe2emnuJO+AU=\n";
static const char kat_root0[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* ---- Known answer: the signed-note format itself ------------------------
 *
 * golang/mod, sumdb/note/note_test.go (commit
 * 02c991387e35f9e4c0a9b7ce137717055f8d716d): TestSign, TestOpen,
 * TestVerifierList.  Keys are "name+keyid+base64(0x01 || key)". */

static const char go_text[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
static const char go_peter_note[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    EMDASH " PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1"
    "FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char go_peter_skey[] = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char go_peter_vkey[] = "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const uint8_t go_peter_id[4] = { 0xc7, 0x4f, 0x20, 0xa3 };
static const char go_enoch_vkey[] = "ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
static const uint8_t go_enoch_id[4] = { 0xaf, 0x0c, 0xfe, 0x78 };
static const char go_enoch_sig[] = "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=";

/* ---- Helpers ----------------------------------------------------------- */

static EVP_PKEY *
kat_key(void)
{
	uint8_t seed[32];
	EVP_PKEY *k;

	assert_int_equal(hex_decode(rfc8032_seed, seed, sizeof(seed)), 0);
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
	assert_non_null(k);
	return k;
}

static void
kat_pub(uint8_t pub[32])
{
	assert_int_equal(hex_decode(rfc8032_pub, pub, 32), 0);
}

/* Decode base64 with the tool the test trusts independently of ours; n is
 * the expected byte count (EVP_DecodeBlock also counts '=' as bytes). */
static void
b64(const char *s, uint8_t *out, size_t n)
{
	uint8_t buf[128];
	int got = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)strlen(s));

	assert_true(got >= (int)n && (size_t)got <= n + 2);
	memcpy(out, buf, n);
}

static int
parse_verify(const char *buf, size_t len, const uint8_t pub[32], const char *name)
{
	struct checkpoint cp;
	char err[256];

	if (checkpoint_parse(buf, len, &cp, err, sizeof(err)) != 0)
		return -1;
	return checkpoint_verify(&cp, pub, name, err, sizeof(err));
}

/* ---- Tests ------------------------------------------------------------- */

static void
test_kat_checkpoint(void **state)
{
	static const struct {
		const char *text, *root;
		uint64_t size;
	} kat[] = {
		{ kat_cp8, kat_root8, 8 },
		{ kat_cp0, kat_root0, 0 },
	};
	uint8_t pub[32], root[32], id[4];
	struct checkpoint cp;
	EVP_PKEY *k = kat_key();
	char *out, err[256];
	size_t i;

	(void)state;
	kat_pub(pub);
	assert_int_equal(crypto_pubkey_raw(k, root), 0);
	assert_memory_equal(root, pub, 32);	/* the RFC's public key */
	assert_int_equal(checkpoint_key_id("parley/example", pub, id), 0);
	assert_memory_equal(id, "\x9b\x3a\x68\x50", 4);

	for (i = 0; i < LEN(kat); i++) {
		assert_int_equal(hex_decode(kat[i].root, root, 32), 0);
		assert_int_equal(checkpoint_format("parley/example", kat[i].size,
		    root, k, "parley/example", &out), 0);
		assert_string_equal(out, kat[i].text);
		free(out);

		assert_int_equal(checkpoint_parse(kat[i].text, strlen(kat[i].text),
		    &cp, err, sizeof(err)), 0);
		assert_string_equal(cp.origin, "parley/example");
		assert_int_equal(cp.size, kat[i].size);
		assert_memory_equal(cp.root, root, 32);
		assert_string_equal(cp.name, "parley/example");
		assert_memory_equal(cp.key_id, "\x9b\x3a\x68\x50", 4);
		assert_int_equal(cp.body_len, strchr(kat[i].text, '=') + 2 -
		    kat[i].text);
		assert_memory_equal(cp.body, kat[i].text, cp.body_len);
		assert_int_equal(checkpoint_verify(&cp, pub, "parley/example",
		    err, sizeof(err)), 0);
	}
	EVP_PKEY_free(k);
}

static void
test_go_signed_note(void **state)
{
	uint8_t peter[33], peter_seed[33], enoch[33], id[4], blob[68];
	EVP_PKEY *k;
	char *out;

	(void)state;
	b64(go_peter_vkey, peter, 33);
	b64(go_peter_skey, peter_seed, 33);
	b64(go_enoch_vkey, enoch, 33);
	assert_int_equal(peter[0], 0x01);	/* signature type Ed25519 */
	assert_int_equal(peter_seed[0], 0x01);
	assert_int_equal(enoch[0], 0x01);

	/* The key id rule. */
	assert_int_equal(checkpoint_key_id("PeterNeumann", peter + 1, id), 0);
	assert_memory_equal(id, go_peter_id, 4);
	assert_int_equal(checkpoint_key_id("EnochRoot", enoch + 1, id), 0);
	assert_memory_equal(id, go_enoch_id, 4);

	/* Signing reproduces Go's note byte for byte (Ed25519 is
	 * deterministic). */
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, peter_seed + 1, 32);
	assert_non_null(k);
	assert_int_equal(checkpoint_sign_note(go_text, strlen(go_text), k,
	    "PeterNeumann", &out), 0);
	assert_string_equal(out, go_peter_note);
	free(out);
	EVP_PKEY_free(k);

	/* Enoch's signature line: key id, then a signature over the text. */
	b64(go_enoch_sig, blob, sizeof(blob));
	assert_memory_equal(blob, go_enoch_id, 4);
	assert_int_equal(crypto_verify(enoch + 1, (const uint8_t *)go_text,
	    strlen(go_text), blob + 4), 0);
}

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void
test_round_trip(void **state)
{
	static const char chars[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "!\"#$%&'()*,-./:;<=>?@[\\]^_`{|}~";
	uint8_t pub[32], root[32];
	char origin[CHECKPOINT_NAME_MAX + 1], name[CHECKPOINT_NAME_MAX + 1];
	char *out, err[256];
	struct checkpoint cp;
	uint64_t seed = 42, size;
	EVP_PKEY *k = crypto_ed25519_generate();
	size_t t, i, n;

	(void)state;
	assert_non_null(k);
	assert_int_equal(crypto_pubkey_raw(k, pub), 0);
	for (t = 0; t < 200; t++) {
		n = 1 + rnd(&seed) % (t < 5 ? CHECKPOINT_NAME_MAX : 40);
		if (t == 0)
			n = CHECKPOINT_NAME_MAX;
		for (i = 0; i < n; i++)
			origin[i] = chars[rnd(&seed) % (sizeof(chars) - 1)];
		origin[n] = '\0';
		snprintf(name, sizeof(name), "%s", t % 2 ? origin : "parley/k");
		switch (t % 4) {
		case 0: size = rnd(&seed); break;
		case 1: size = rnd(&seed) % 1000; break;
		case 2: size = UINT64_MAX - t; break;
		default: size = t; break;
		}
		for (i = 0; i < 32; i++)
			root[i] = (uint8_t)rnd(&seed);

		assert_int_equal(checkpoint_format(origin, size, root, k, name,
		    &out), 0);
		assert_true(strlen(out) <= CHECKPOINT_MAX_LEN);
		if (checkpoint_parse(out, strlen(out), &cp, err, sizeof(err)) != 0)
			fail_msg("%s\n%s", err, out);
		assert_string_equal(cp.origin, origin);
		assert_int_equal(cp.size, size);
		assert_memory_equal(cp.root, root, 32);
		assert_string_equal(cp.name, name);
		assert_int_equal(checkpoint_verify(&cp, pub, name, err,
		    sizeof(err)), 0);
		free(out);
	}
	EVP_PKEY_free(k);
}

/* Every byte of the KAT checkpoint replaced by each of the 255 other
 * values, deleted, or preceded by an inserted byte: parse or verify fails,
 * every time. */
static void
test_single_byte_changes(void **state)
{
	static const char inserts[] = { 'A', 'a', '0', '/', '+', '=', ' ', '\n',
	    '\r', '\0', (char)0x80 };
	char buf[sizeof(kat_cp8) + 1];
	size_t len = strlen(kat_cp8), i, j;
	uint8_t pub[32];
	int v;

	(void)state;
	kat_pub(pub);
	assert_int_equal(parse_verify(kat_cp8, len, pub, "parley/example"), 0);
	for (i = 0; i < len; i++) {
		for (v = 0; v < 256; v++) {
			if ((char)v == kat_cp8[i])
				continue;
			memcpy(buf, kat_cp8, len);
			buf[i] = (char)v;
			if (parse_verify(buf, len, pub, "parley/example") == 0)
				fail_msg("byte %zu changed to 0x%02x: accepted", i, v);
		}
		/* Deleted. */
		memcpy(buf, kat_cp8, i);
		memcpy(buf + i, kat_cp8 + i + 1, len - i - 1);
		if (parse_verify(buf, len - 1, pub, "parley/example") == 0)
			fail_msg("byte %zu deleted: accepted", i);
		/* Inserted before it. */
		for (j = 0; j < LEN(inserts); j++) {
			memcpy(buf, kat_cp8, i);
			buf[i] = inserts[j];
			memcpy(buf + i + 1, kat_cp8 + i, len - i);
			if (parse_verify(buf, len + 1, pub, "parley/example") == 0)
				fail_msg("0x%02x inserted at %zu: accepted",
				    (unsigned char)inserts[j], i);
		}
	}
	/* Appended. */
	for (j = 0; j < LEN(inserts); j++) {
		memcpy(buf, kat_cp8, len);
		buf[len] = inserts[j];
		assert_int_equal(parse_verify(buf, len + 1, pub, "parley/example"),
		    -1);
	}
}

static void
test_wrong_key(void **state)
{
	uint8_t pub[32], other_pub[32], root[32];
	EVP_PKEY *k = kat_key(), *other = crypto_ed25519_generate();
	struct checkpoint cp, t;
	char *out, err[256] = "";

	(void)state;
	assert_non_null(other);
	kat_pub(pub);
	assert_int_equal(crypto_pubkey_raw(other, other_pub), 0);
	assert_int_equal(checkpoint_parse(kat_cp8, strlen(kat_cp8), &cp, err,
	    sizeof(err)), 0);

	/* Another public key under the right name: its key id differs. */
	assert_int_equal(checkpoint_verify(&cp, other_pub, "parley/example", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "key id"));
	/* The right key under another name. */
	assert_int_equal(checkpoint_verify(&cp, pub, "parley/other", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "parley/other"));
	assert_int_equal(checkpoint_verify(&cp, pub, "", err, sizeof(err)), -1);
	assert_int_equal(checkpoint_verify(&cp, pub, NULL, err, sizeof(err)), -1);
	assert_int_equal(checkpoint_verify(&cp, NULL, "parley/example", err,
	    sizeof(err)), -1);
	assert_int_equal(checkpoint_verify(NULL, pub, "parley/example", err,
	    sizeof(err)), -1);

	/* Signed by another key, claiming our name: the key id gives it away;
	 * with the key id forged to ours, the signature does. */
	assert_int_equal(hex_decode(kat_root8, root, 32), 0);
	assert_int_equal(checkpoint_format("parley/example", 8, root, other,
	    "parley/example", &out), 0);
	assert_int_equal(checkpoint_parse(out, strlen(out), &t, err,
	    sizeof(err)), 0);
	free(out);
	assert_int_equal(checkpoint_verify(&t, pub, "parley/example", err,
	    sizeof(err)), -1);
	memcpy(t.key_id, cp.key_id, 4);
	assert_int_equal(checkpoint_verify(&t, pub, "parley/example", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "does not verify"));
	assert_int_equal(checkpoint_verify(&t, other_pub, "parley/example", err,
	    sizeof(err)), -1);

	/* Fields edited after parsing no longer match the signed body. */
	t = cp;
	t.size++;
	assert_int_equal(checkpoint_verify(&t, pub, "parley/example", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "do not match"));
	t = cp;
	t.root[31] ^= 1;
	assert_int_equal(checkpoint_verify(&t, pub, "parley/example", err,
	    sizeof(err)), -1);
	t = cp;
	t.origin[0] = 'P';
	assert_int_equal(checkpoint_verify(&t, pub, "parley/example", err,
	    sizeof(err)), -1);
	t = cp;
	t.sig[0] ^= 1;
	assert_int_equal(checkpoint_verify(&t, pub, "parley/example", err,
	    sizeof(err)), -1);
	t = cp;
	memset(t.origin, 'a', sizeof(t.origin));	/* unterminated */
	assert_int_equal(checkpoint_verify(&t, pub, "parley/example", err,
	    sizeof(err)), -1);

	assert_int_equal(checkpoint_verify(&cp, pub, "parley/example", err,
	    sizeof(err)), 0);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

#define B "parley/example\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
#define S KAT_SIG8
#define SIGB64 "mzpoUDp0k3Opr5tCtOiNLhz7scvP8Iw7teoJb/nd60fbxbjzr0zWg0vYCiukZNf" \
	"ArxvBuiPdqBzBrYaAvM9JctQhlw8="

static const struct {
	const char *text;
	const char *why;
} malformed[] = {
	{ "", "empty" },
	{ B, "no signature" },
	{ B "\n", "blank line, no signature" },
	{ B "\n" EMDASH " parley/example " SIGB64, "no final newline" },
	{ B "\n" S "\n", "blank line after the signature" },
	{ B "\n" S S, "two signatures" },
	{ B "\n" S "junk\n", "a line after the signature" },
	{ B "ext\n\n" S, "extension line" },
	{ B S, "no blank line" },
	{ B "\n\n" S, "two blank lines" },
	{ "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n" S, "no origin" },
	{ "parley example\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n" S,
	  "space in origin" },
	{ "parley+example\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n" S,
	  "plus in origin" },
	{ "parley\texample\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n" S,
	  "tab in origin" },
	{ "parl\xc3\xa9y\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n" S,
	  "non-ASCII origin" },
	{ "parley/example\r\n8\r\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\r\n"
	  "\r\n" S, "CRLF" },
	{ "parley/example\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n" S,
	  "leading zero" },
	{ "parley/example\n00\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n" S,
	  "zero written twice" },
	{ "parley/example\n+8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n" S,
	  "plus sign" },
	{ "parley/example\n-8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n" S,
	  "minus sign" },
	{ "parley/example\n 8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n" S,
	  "space before size" },
	{ "parley/example\n8 \nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n" S,
	  "space after size" },
	{ "parley/example\n0x8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n" S,
	  "hex size" },
	{ "parley/example\n\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n" S,
	  "empty size" },
	{ "parley/example\n18446744073709551616\n"
	  "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n" S, "size 2^64" },
	{ "parley/example\n99999999999999999999\n"
	  "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n" S, "size > 2^64" },
	{ "parley/example\n100000000000000000000\n"
	  "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n" S, "21 digits" },
	{ "parley/example\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n\n" S,
	  "root: non-canonical last character (unused bits set)" },
	{ "parley/example\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg\n\n" S,
	  "root: no padding" },
	{ "parley/example\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg==\n\n" S,
	  "root: too much padding" },
	{ "parley/example\n8\n XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQy=\n\n" S,
	  "root: leading space" },
	{ "parley/example\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg= \n\n" S,
	  "root: trailing space" },
	{ "parley/example\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz-Nw7_RgQyg=\n\n" S,
	  "root: base64url" },
	{ "parley/example\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQ=yg\n\n" S,
	  "root: padding in the middle" },
	{ "parley/example\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=AAAA\n\n" S,
	  "root: 35 bytes" },
	{ "parley/example\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/Rg\n\n" S,
	  "root: 30 bytes" },
	{ "parley/example\n8\n5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328\n\n" S,
	  "root: hex" },
	{ B "\n-- parley/example " SIGB64 "\n", "two hyphens for the em dash" },
	{ B "\n" EMDASH "parley/example " SIGB64 "\n", "no space after the dash" },
	{ B "\n" EMDASH "  parley/example " SIGB64 "\n", "two spaces after it" },
	{ B "\n\xe2\x80\x93 parley/example " SIGB64 "\n", "en dash" },
	{ B "\n" EMDASH " parley+example " SIGB64 "\n", "plus in key name" },
	{ B "\n" EMDASH "  " SIGB64 "\n", "empty key name" },
	{ B "\n" EMDASH " parley/example  " SIGB64 "\n", "two spaces before sig" },
	{ B "\n" EMDASH " parley/example\n", "no signature after the name" },
	{ B "\n" EMDASH " parley/example " "mzpoUDp0k3Opr5tCtOiNLhz7scvP8Iw7teoJb/"
	  "nd60fbxbjzr0zWg0vYCiukZNfArxvBuiPdqBzBrYaAvM9JctQhlw9=\n",
	  "signature: non-canonical last character" },
	{ B "\n" EMDASH " parley/example " "mzpoUDp0k3Opr5tCtOiNLhz7scvP8Iw7teoJb/"
	  "nd60fbxbjzr0zWg0vYCiukZNfArxvBuiPdqBzBrYaAvM9JctQhlw8\n",
	  "signature: no padding" },
	{ B "\n" EMDASH " parley/example " "mzpoUA==\n", "signature: too short" },
	{ B "\n" EMDASH " parley/example " SIGB64 "AAAA\n", "signature: too long" },
	{ B "\n" EMDASH " parley/example " SIGB64 " \n", "space after signature" },
};

static void
test_malformed(void **state)
{
	struct checkpoint cp;
	char err[256], *big;
	size_t i;

	(void)state;
	for (i = 0; i < LEN(malformed); i++) {
		err[0] = '\0';
		if (checkpoint_parse(malformed[i].text, strlen(malformed[i].text),
		    &cp, err, sizeof(err)) == 0)
			fail_msg("accepted: %s", malformed[i].why);
		if (err[0] == '\0')
			fail_msg("refused without a reason: %s", malformed[i].why);
	}

	/* A NUL byte, which strlen would hide. */
	{
		char buf[sizeof(kat_cp8)];

		memcpy(buf, kat_cp8, sizeof(buf));
		buf[3] = '\0';
		assert_int_equal(checkpoint_parse(buf, sizeof(buf) - 1, &cp, err,
		    sizeof(err)), -1);
		memcpy(buf, kat_cp8, sizeof(buf));
		assert_int_equal(checkpoint_parse(buf, sizeof(buf), &cp, err,
		    sizeof(err)), -1);	/* the terminating NUL counted in */
	}
	/* Longer than any checkpoint can be: refused before parsing. */
	big = malloc(CHECKPOINT_MAX_LEN + 2);
	assert_non_null(big);
	memset(big, 'a', CHECKPOINT_MAX_LEN + 1);
	assert_int_equal(checkpoint_parse(big, CHECKPOINT_MAX_LEN + 1, &cp, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "more than"));
	free(big);
	assert_int_equal(checkpoint_parse(NULL, 0, &cp, err, sizeof(err)), -1);
	assert_int_equal(checkpoint_parse(kat_cp8, strlen(kat_cp8), NULL, err,
	    sizeof(err)), -1);
	/* err may be NULL. */
	assert_int_equal(checkpoint_parse("x", 1, &cp, NULL, 0), -1);
	/* Intact, it parses. */
	assert_int_equal(checkpoint_parse(kat_cp8, strlen(kat_cp8), &cp, err,
	    sizeof(err)), 0);
}

static void
test_limits(void **state)
{
	char origin[CHECKPOINT_NAME_MAX + 2], *out, err[256];
	uint8_t root[32] = { 0 }, pub[32];
	EVP_PKEY *k = kat_key(), *pubonly;
	struct checkpoint cp;

	(void)state;
	kat_pub(pub);
	memset(origin, 'o', sizeof(origin));
	origin[CHECKPOINT_NAME_MAX] = '\0';
	assert_int_equal(checkpoint_name_valid(origin), 1);
	assert_int_equal(checkpoint_format(origin, UINT64_MAX, root, k, origin,
	    &out), 0);
	assert_int_equal(strlen(out), CHECKPOINT_MAX_LEN);	/* the bound is tight */
	assert_int_equal(checkpoint_parse(out, strlen(out), &cp, err,
	    sizeof(err)), 0);
	assert_int_equal(cp.size, UINT64_MAX);
	assert_int_equal(cp.body_len, CHECKPOINT_BODY_MAX);
	assert_int_equal(checkpoint_verify(&cp, pub, origin, err, sizeof(err)), 0);
	free(out);

	origin[CHECKPOINT_NAME_MAX] = 'o';
	origin[CHECKPOINT_NAME_MAX + 1] = '\0';
	assert_int_equal(checkpoint_name_valid(origin), 0);
	out = (char *)1;
	assert_int_equal(checkpoint_format(origin, 1, root, k, "n", &out), -1);
	assert_null(out);
	assert_int_equal(checkpoint_format("o", 1, root, k, origin, &out), -1);

	/* Bad arguments to checkpoint_format. */
	assert_int_equal(checkpoint_format("", 1, root, k, "n", &out), -1);
	assert_int_equal(checkpoint_format(NULL, 1, root, k, "n", &out), -1);
	assert_int_equal(checkpoint_format("a b", 1, root, k, "n", &out), -1);
	assert_int_equal(checkpoint_format("o", 1, root, k, "a+b", &out), -1);
	assert_int_equal(checkpoint_format("o", 1, root, k, NULL, &out), -1);
	assert_int_equal(checkpoint_format("o", 1, NULL, k, "n", &out), -1);
	assert_int_equal(checkpoint_format("o", 1, root, NULL, "n", &out), -1);
	assert_null(out);
	assert_int_equal(checkpoint_format("o", 1, root, k, "n", NULL), -1);
	pubonly = crypto_pubkey_from_raw(pub);
	assert_non_null(pubonly);
	assert_int_equal(checkpoint_format("o", 1, root, pubonly, "n", &out), -1);
	assert_null(out);
	EVP_PKEY_free(pubonly);

	/* Note texts the signed-note format cannot carry. */
	assert_int_equal(checkpoint_sign_note("no newline", 10, k, "n", &out), -1);
	assert_int_equal(checkpoint_sign_note("", 0, k, "n", &out), -1);
	assert_int_equal(checkpoint_sign_note("tab\there\n", 10, k, "n", &out), -1);
	assert_int_equal(checkpoint_sign_note("nul\0x\n", 6, k, "n", &out), -1);
	assert_int_equal(checkpoint_sign_note("bad \xff utf-8\n", 13, k, "n",
	    &out), -1);
	assert_int_equal(checkpoint_sign_note("ok\n", 3, k, "n", &out), 0);
	free(out);

	/* Names. */
	assert_int_equal(checkpoint_name_valid("parley/3f2a9c01"), 1);
	assert_int_equal(checkpoint_name_valid("~!\"#$%&'()*,-./:;<=>?@[\\]^_`{|}"), 1);
	assert_int_equal(checkpoint_name_valid(""), 0);
	assert_int_equal(checkpoint_name_valid(NULL), 0);
	assert_int_equal(checkpoint_name_valid("a b"), 0);
	assert_int_equal(checkpoint_name_valid("a+b"), 0);
	assert_int_equal(checkpoint_name_valid("a\x7f"), 0);
	assert_int_equal(checkpoint_name_valid("caf\xc3\xa9"), 0);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat_checkpoint),
		cmocka_unit_test(test_go_signed_note),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_single_byte_changes),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
