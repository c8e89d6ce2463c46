/* Known answers for the signing layouts in proto/sign.h.
 *
 * Every expected layout below was written by hand from the layout comment in
 * sign.h, one field per line; the expected SHA-256 values and the signature
 * were computed once with the command-line tools (xxd -r -p | sha256sum,
 * openssl dgst -sha256, openssl pkeyutl -sign -rawin) and pasted in.  None of
 * them comes from the code under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "crypto.h"
#include "sign.h"

#define CONTENT_TAG_HEX "7061726c65792d636f6e74656e742d763100"	/* parley-content-v1\0 */
#define CONTENT_V2_TAG_HEX "7061726c65792d636f6e74656e742d763200"	/* parley-content-v2\0 */
#define SIG3 "baku=military+political yerevan stepanakert"
#define SIG3_HEX "0000002b" "62616b753d6d696c69746172792b706f6c69746963616c20" \
    "7965726576616e2073746570616e616b657274"
#define PAYLOAD_TAG_HEX "7061726c65792d7369676e2d763100"	/* parley-sign-v1\0 */
#define PAYLOAD_V2_TAG_HEX "7061726c65792d7369676e2d763200"	/* parley-sign-v2\0 */
#define PAYLOAD_V3_TAG_HEX "7061726c65792d7369676e2d763300"	/* parley-sign-v3\0 */
#define CONTENT_V3_TAG_HEX "7061726c65792d636f6e74656e742d763300"	/* parley-content-v3\0 */
static const char *const TEXTS3[] = { "1. A\n", "1. \xd4\xb1\n", "1. \xd0\x90\n" };

/* RFC 8032 section 7.1, TEST 1. */
#define RFC8032_T1_SECRET "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define RFC8032_T1_PUBLIC "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

/* Decode a hex literal into a malloc'd buffer the caller frees. */
static uint8_t *
unhex(const char *hex, size_t *n)
{
	uint8_t *b;

	*n = strlen(hex) / 2;
	assert_non_null(b = malloc(*n + 1));
	assert_int_equal(hex_decode(hex, b, *n), 0);
	return b;
}

static const struct content_case {
	const char *name;
	struct sign_content c;
	const char *layout, *sha256;
} content_cases[] = {
	{ "all empty", { SIGN_CONTENT_V1, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0 },
	    CONTENT_TAG_HEX
	    "00000000"
	    "00000000"
	    "00000000"
	    "00000000",
	    "a54e8b1ce7e9b315fd9cf6024a1a130c585036d1dd1da29855c883dadc032b23" },
	{ "ascii", { SIGN_CONTENT_V1, "A\nB\n", "on-release", "10d", "", NULL, NULL, 0, 0 },
	    CONTENT_TAG_HEX
	    "00000004" "410a420a"			/* "A\nB\n" */
	    "0000000a" "6f6e2d72656c65617365"		/* "on-release" */
	    "00000003" "313064"				/* "10d" */
	    "00000000",					/* "" */
	    "481c429216cd28e0a210814b292eb70da78e22f9810df333bc6375e86dbb6bb6" },
	{ "utf-8 counts bytes", { SIGN_CONTENT_V1, "\xd0\x9c\xd0\xb8\xd1\x80\n", NULL, "",
	    "X+3\n", NULL, NULL, 0, 0 },
	    CONTENT_TAG_HEX
	    "00000007" "d09cd0b8d1800a"			/* "Мир\n" */
	    "00000000"
	    "00000000"
	    "00000004" "582b330a",			/* "X+3\n" */
	    "cd8535121946c5d9349681e588efee4609605ad7fc29315184f8d35b7c43fa07" },
	{ "v2 all empty", { SIGN_CONTENT_V2, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0 },
	    CONTENT_V2_TAG_HEX
	    "00000000" "00000000" "00000000" "00000000"
	    "00000000" "00000000" "00000000" "00000000",
	    "dae91ecc9263c84f5d7aa7bdc11932033eb31659f46459351fbd2e8d2655d7f5" },
	{ "v2 extends 12", { SIGN_CONTENT_V2, "A\nB\n", "on-release", "for 86400s", "",
	    "Europe/Moscow", SIG3, 12, 0 },
	    CONTENT_V2_TAG_HEX
	    "00000004" "410a420a"			/* "A\nB\n" */
	    "0000000a" "6f6e2d72656c65617365"		/* "on-release" */
	    "0000000a" "666f7220383634303073"		/* "for 86400s" */
	    "00000000"					/* calendar "" */
	    "0000000d" "4575726f70652f4d6f73636f77"	/* "Europe/Moscow" */
	    SIG3_HEX
	    "00000002" "3132"				/* extends "12" */
	    "00000000",					/* reaffirms "" */
	    "3aabb17b56843dbeadf502f05b38f042f1da86756b7e0bf294224cbe938416b8" },
	{ "v2 reaffirms 2^64-1", { SIGN_CONTENT_V2, "A\nB\n", "on-release", "for 86400s", "",
	    "Europe/Moscow", SIG3, 0, UINT64_MAX },
	    CONTENT_V2_TAG_HEX
	    "00000004" "410a420a"
	    "0000000a" "6f6e2d72656c65617365"
	    "0000000a" "666f7220383634303073"
	    "00000000"
	    "0000000d" "4575726f70652f4d6f73636f77"
	    SIG3_HEX
	    "00000000"					/* extends "" */
	    "00000014" "3138343436373434303733373039353531363135",	/* "18446744073709551615" */
	    "5b79402c9ba2d1d0502de56572e40979173e67bd88974929646dcde9abc3d66b" },
	{ "v3 three languages", { SIGN_CONTENT_V3, NULL, "on-release", "", "", "UTC", "a b", 0,
	    0, "en hy ru", "ru", TEXTS3, 3 },
	    CONTENT_V3_TAG_HEX
	    "00000008" "656e206879207275"		/* "en hy ru" */
	    "00000002" "7275"				/* authentic "ru" */
	    "00000005" "312e20410a"			/* en "1. A\n" */
	    "00000006" "312e20d4b10a"			/* hy "1. Ա\n" */
	    "00000006" "312e20d0900a"			/* ru "1. А\n" */
	    "0000000a" "6f6e2d72656c65617365"		/* "on-release" */
	    "00000000" "00000000"			/* validity, calendar */
	    "00000003" "555443"				/* "UTC" */
	    "00000003" "612062"				/* "a b" */
	    "00000000" "00000000",			/* extends, reaffirms */
	    "de6a4f297f44c6013273a4223a59342ce52484de7b948d321f8566d3db88b7bf" },
};

static void
test_content_hash_kat(void **state)
{
	uint8_t want[SIGN_HASH_LEN], got[SIGN_HASH_LEN], *layout;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(content_cases) / sizeof(content_cases[0]); i++) {
		const struct content_case *c = &content_cases[i];

		print_message("content: %s\n", c->name);
		assert_int_equal(hex_decode(c->sha256, want, sizeof(want)), 0);
		/* The hand-written layout and the CLI hash agree ... */
		layout = unhex(c->layout, &n);
		assert_int_equal(crypto_sha256(layout, n, got), 0);
		assert_memory_equal(got, want, sizeof(want));
		free(layout);
		/* ... and the code agrees with both. */
		memset(got, 0, sizeof(got));
		assert_int_equal(sign_content_hash(&c->c, got), 0);
		assert_memory_equal(got, want, sizeof(want));
	}
}

/* Length prefixes keep field boundaries: moving bytes between fields, or
 * changing line endings, changes the hash; NULL and "" are the same. */
/* The hash of version v of the four fields of version 1 and zone z. */
static void
hash4(int v, const char *text, const char *eff, const char *val, const char *cal,
    const char *z, uint8_t out[SIGN_HASH_LEN])
{
	struct sign_content c = { v, text, eff, val, cal, z, NULL, 0, 0 };

	assert_int_equal(sign_content_hash(&c, out), 0);
}

/* Length prefixes keep field boundaries: moving bytes between fields, or
 * changing line endings, changes the hash; NULL and "" are the same.  The
 * version is part of it; version 1 ignores the fields it does not have;
 * an unknown version is refused. */
static void
test_content_hash_boundaries(void **state)
{
	struct sign_content bad = { 3, "x", NULL, NULL, NULL, NULL, NULL, 0, 0 };
	uint8_t a[SIGN_HASH_LEN], b[SIGN_HASH_LEN];

	(void)state;
	hash4(1, "ab", "c", NULL, NULL, NULL, a);
	hash4(1, "a", "bc", NULL, NULL, NULL, b);
	assert_memory_not_equal(a, b, sizeof(a));
	hash4(1, "x", NULL, NULL, "", NULL, a);
	hash4(1, "x", "", "", NULL, NULL, b);
	assert_memory_equal(a, b, sizeof(a));
	hash4(1, "A\r\nB\r\n", "on-release", "10d", "", NULL, a);
	hash4(1, "A\nB\n", "on-release", "10d", "", NULL, b);
	assert_memory_not_equal(a, b, sizeof(a));
	hash4(1, "x", NULL, NULL, NULL, "Europe/Moscow", a);
	hash4(1, "x", NULL, NULL, NULL, "Asia/Baku", b);
	assert_memory_equal(a, b, sizeof(a));
	hash4(2, "x", NULL, NULL, NULL, "Europe/Moscow", a);
	hash4(2, "x", NULL, NULL, NULL, "Asia/Baku", b);
	assert_memory_not_equal(a, b, sizeof(a));
	hash4(1, "x", NULL, NULL, NULL, NULL, a);
	hash4(2, "x", NULL, NULL, NULL, NULL, b);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(sign_content_hash(&bad, a), -1);
	bad.version = 0;
	assert_int_equal(sign_content_hash(&bad, a), -1);
}

/* The signatories term: the parties' order kept, roles sorted under
 * their party, and every malformed list refused. */
static void
test_signatories(void **state)
{
	static const char *const p3[] = { "baku", "yerevan", "stepanakert" };
	static const char *const r2[] = { "baku=political", "baku=military" };
	static const char *const dup[] = { "baku", "yerevan", "baku" };
	static const char *const twice[] = { "baku=political", "baku=political" };
	static const char *const stray[] = { "minsk=chair" };
	static const char *const badrole[] = { "baku=Political" };
	static const char *const badparty[] = { "Baku" };
	static const char *const prefix[] = { "bak=x" };
	char *s;

	(void)state;
	assert_non_null(s = sign_signatories(p3, 3, r2, 2));
	assert_string_equal(s, SIG3);
	free(s);
	assert_non_null(s = sign_signatories(p3, 3, NULL, 0));
	assert_string_equal(s, "baku yerevan stepanakert");
	free(s);
	assert_null(sign_signatories(p3, 0, NULL, 0));
	assert_null(sign_signatories(dup, 3, NULL, 0));
	assert_null(sign_signatories(p3, 3, twice, 2));
	assert_null(sign_signatories(p3, 3, stray, 1));
	assert_null(sign_signatories(p3, 3, badrole, 1));
	assert_null(sign_signatories(badparty, 1, NULL, 0));
	assert_null(sign_signatories(p3, 3, prefix, 1));
}

static const struct payload_case {
	const char *name;
	uint64_t agreement;
	uint32_t revision;
	const char *hash, *party, *role, *layout;
	const char *reservation, *condition;	/* version 2 when either is set */
	const char *frame;			/* version 3 when set */
} payload_cases[] = {
	{ "agreement 12", 12, 1,
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	    "AZ", "signer",
	    PAYLOAD_TAG_HEX
	    "00000002" "3132"				/* "12" */
	    "00000001"					/* revision 1 */
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "00000002" "415a"				/* "AZ" */
	    "00000006" "7369676e6572" },		/* "signer" */
	{ "zeros and empty strings", 0, 0,
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "", "",
	    PAYLOAD_TAG_HEX
	    "00000001" "30"				/* "0" */
	    "00000000"
	    "0000000000000000000000000000000000000000000000000000000000000000"
	    "00000000"
	    "00000000" },
	{ "maximum id, byte order", UINT64_MAX, 0x01020304,
	    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	    "ARM", "witness",
	    PAYLOAD_TAG_HEX
	    "00000014" "3138343436373434303733373039353531363135" /* 2^64-1 */
	    "01020304"
	    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
	    "00000003" "41524d"				/* "ARM" */
	    "00000007" "7769746e657373" },		/* "witness" */
	{ "version 2: a reservation and a condition", 12, 1,
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	    "AZ", "signer",
	    PAYLOAD_V2_TAG_HEX
	    "00000002" "3132"				/* "12" */
	    "00000001"
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "00000002" "415a"				/* "AZ" */
	    "00000006" "7369676e6572"			/* "signer" */
	    "00000002" "520a"				/* "R\n" */
	    "0000000c" "7261746966696361" "74696f6e",	/* "ratification" */
	    "R\n", "ratification" },
	{ "version 2: a condition alone", 12, 1,
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	    "AZ", "",
	    PAYLOAD_V2_TAG_HEX
	    "00000002" "3132"
	    "00000001"
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "00000002" "415a"
	    "00000000"					/* role "" */
	    "00000000"					/* no reservation */
	    "00000001" "43",				/* "C" */
	    "", "C" },
	{ "version 3: a frame", 12, 1,
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	    "AZ", "",
	    PAYLOAD_V3_TAG_HEX
	    "00000002" "3132"
	    "00000001"
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "00000002" "415a"
	    "00000000"					/* role "" */
	    "00000000"					/* no reservation */
	    "00000000"					/* no condition */
	    "00000011" "546f3a20410a7b7b636f72657d7d0a420a",	/* "To: A\n{{core}}\nB\n" */
	    "", "", "To: A\n{{core}}\nB\n" },
};

static void
test_payload_kat(void **state)
{
	uint8_t hash[SIGN_HASH_LEN], *want, *got;
	size_t i, n, gotlen;

	(void)state;
	for (i = 0; i < sizeof(payload_cases) / sizeof(payload_cases[0]); i++) {
		const struct payload_case *c = &payload_cases[i];

		print_message("payload: %s\n", c->name);
		assert_int_equal(hex_decode(c->hash, hash, sizeof(hash)), 0);
		want = unhex(c->layout, &n);
		assert_int_equal(sign_payload_with(c->agreement, c->revision, hash,
		    c->party, c->role, c->reservation, c->condition, c->frame, &got, &gotlen), 0);
		assert_int_equal(gotlen, n);
		assert_memory_equal(got, want, n);
		free(want);
		free(got);
	}
}

static void
test_payload_rejects_null(void **state)
{
	uint8_t hash[SIGN_HASH_LEN] = { 0 }, dummy, *out = &dummy;
	size_t outlen = 1;

	(void)state;
	assert_int_equal(sign_payload(1, 1, hash, NULL, "signer", &out, &outlen), -1);
	assert_null(out);
	assert_int_equal(outlen, 0);
	assert_int_equal(sign_payload(1, 1, hash, "AZ", NULL, &out, &outlen), -1);
	assert_int_equal(sign_payload(1, 1, NULL, "AZ", "signer", &out, &outlen), -1);
	assert_null(out);
}

/* The RFC 8032 test-1 key signing the first payload above; the expected
 * signature is from `openssl pkeyutl -sign -rawin` over the hand-written
 * layout bytes. */
static void
test_payload_signature_kat(void **state)
{
	const char *want_hex =
	    "6f95d98f0b0eb231120ae038bac70acfc9fd8acab52c7eb048daef00b2f5f6d3"
	    "14bdc43a17afd9be490acf8156ad705d607652a19456ef87725d38942ec41c0a";
	const struct payload_case *c = &payload_cases[0];
	uint8_t secret[32], pub[32], hash[SIGN_HASH_LEN];
	uint8_t want[CRYPTO_ED25519_SIG_LEN], sig[CRYPTO_ED25519_SIG_LEN], *msg;
	size_t n;
	EVP_PKEY *k;

	(void)state;
	assert_int_equal(hex_decode(RFC8032_T1_SECRET, secret, sizeof(secret)), 0);
	assert_int_equal(hex_decode(RFC8032_T1_PUBLIC, pub, sizeof(pub)), 0);
	assert_int_equal(hex_decode(want_hex, want, sizeof(want)), 0);
	assert_int_equal(hex_decode(c->hash, hash, sizeof(hash)), 0);
	assert_non_null(k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
	    secret, sizeof(secret)));
	assert_int_equal(sign_payload(c->agreement, c->revision, hash, c->party,
	    c->role, &msg, &n), 0);
	assert_int_equal(crypto_sign(k, msg, n, sig), 0);
	assert_memory_equal(sig, want, sizeof(want));
	assert_int_equal(crypto_verify(pub, msg, n, sig), 0);
	msg[n - 1] ^= 1;	/* role "signes" */
	assert_int_equal(crypto_verify(pub, msg, n, sig), -1);
	free(msg);
	EVP_PKEY_free(k);
}

/* The lifting of a condition, written by hand from sign.h. */
static void
test_lift_kat(void **state)
{
	static const char layout[] =
	    "7061726c65792d6c6966742d763100"		/* parley-lift-v1\0 */
	    "00000002" "3132"				/* "12" */
	    "00000003"					/* revision 3 */
	    "00000004" "62616b75"			/* "baku" */
	    "00000000"					/* role "" */
	    "0000000c" "7261746966696361" "74696f6e"	/* "ratification" */
	    "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
	uint8_t h[SIGN_HASH_LEN], *want, *got;
	size_t n, gotlen;

	(void)state;
	assert_int_equal(hex_decode("ffeeddccbbaa99887766554433221100"
	    "ffeeddccbbaa99887766554433221100", h, sizeof(h)), 0);
	want = unhex(layout, &n);
	assert_int_equal(sign_lift(12, 3, "baku", "", "ratification", h, &got, &gotlen), 0);
	assert_int_equal(gotlen, n);
	assert_memory_equal(got, want, n);
	free(want);
	free(got);
	assert_int_equal(sign_lift(12, 3, "baku", NULL, "x", h, &got, &gotlen), -1);
	assert_null(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content_hash_kat),
		cmocka_unit_test(test_content_hash_boundaries),
		cmocka_unit_test(test_signatories),
		cmocka_unit_test(test_payload_kat),
		cmocka_unit_test(test_payload_rejects_null),
		cmocka_unit_test(test_payload_signature_kat),
		cmocka_unit_test(test_lift_kat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
