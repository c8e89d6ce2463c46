/* proto/crypto: hex, hashes, pins (checked against the openssl CLI), key and
 * certificate files, Ed25519 (RFC 8032 known answers). */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "crypto.h"

/* Each file test gets its own temporary directory, removed afterwards. */
struct tmp {
	char dir[64];
	char path[256];
};

static int
tmp_setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/test_crypto.XXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
tmp_teardown(void **state)
{
	struct tmp *t = *state;
	int rc = nftw(t->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);

	free(t);
	return rc;
}

/* t->path = dir/name; valid until the next call. */
static const char *
tmp_path(struct tmp *t, const char *name)
{
	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
	return t->path;
}

static void
run(const char *cmd)
{
	assert_int_equal(system(cmd), 0);
}

/* The pin as the DESIGN.md pipeline computes it. */
static void
cli_pin(const char *cert, char out[65])
{
	char cmd[512], line[128];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "openssl x509 -in '%s' -pubkey -noout | "
	    "openssl pkey -pubin -outform DER | sha256sum", cert);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(pclose(p), 0);
	assert_true(strlen(line) > 64 && line[64] == ' ');
	memcpy(out, line, 64);
	out[64] = '\0';
}

static void
test_sha256_kat(void **state)
{
	static const struct {
		const char *in, *sha256;
	} cases[] = {	/* FIPS 180-2 examples */
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	uint8_t got[32];
	char hex[65];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(crypto_sha256(cases[i].in, strlen(cases[i].in), got), 0);
		hex_encode(got, sizeof(got), hex);
		assert_string_equal(hex, cases[i].sha256);
	}
	assert_int_equal(crypto_sha256(NULL, 0, got), 0);
	hex_encode(got, sizeof(got), hex);
	assert_string_equal(hex, cases[0].sha256);
	assert_int_equal(crypto_sha256(NULL, 1, got), -1);
}

static void
test_hex_encode(void **state)
{
	const uint8_t in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char out[2 * sizeof(in) + 1];

	(void)state;
	memset(out, 'x', sizeof(out));
	hex_encode(in, sizeof(in), out);
	assert_string_equal(out, "00017f80abff");
	hex_encode(in, 0, out);
	assert_string_equal(out, "");
}

static void
test_hex_decode(void **state)
{
	static const struct {
		const char *in;
		size_t outlen;
		int rc;
		uint8_t want[4];
	} cases[] = {
		{ "", 0, 0, { 0 } },
		{ "00ff", 2, 0, { 0x00, 0xff } },
		{ "DeadBEEF", 4, 0, { 0xde, 0xad, 0xbe, 0xef } },
		{ "0a1B", 2, 0, { 0x0a, 0x1b } },
		{ "abc", 2, -1, { 0 } },	/* odd length */
		{ "abc", 1, -1, { 0 } },
		{ "abcd", 1, -1, { 0 } },	/* too long */
		{ "ab", 2, -1, { 0 } },		/* too short */
		{ "", 1, -1, { 0 } },
		{ "zz", 1, -1, { 0 } },		/* not hex */
		{ "0g", 1, -1, { 0 } },
		{ "g0", 1, -1, { 0 } },
		{ "0x", 1, -1, { 0 } },
		{ " a", 1, -1, { 0 } },
		{ "a ", 1, -1, { 0 } },
		{ "+1", 1, -1, { 0 } },
		{ "-1", 1, -1, { 0 } },
		{ "@a", 1, -1, { 0 } },		/* '@' | 0x20 == '`', just below 'a' */
		{ "G1", 1, -1, { 0 } },		/* 'G' | 0x20 == 'g', just above 'f' */
		{ "\xc1\xc1", 1, -1, { 0 } },	/* high bytes: 'A' | 0x80 */
	};
	uint8_t out[4];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("hex_decode(\"%s\", %zu)\n", cases[i].in, cases[i].outlen);
		assert_int_equal(hex_decode(cases[i].in, out, cases[i].outlen), cases[i].rc);
		if (cases[i].rc == 0)
			assert_memory_equal(out, cases[i].want, cases[i].outlen);
	}
	assert_int_equal(hex_decode(NULL, out, 0), -1);
}

static void
test_hex_roundtrip(void **state)
{
	uint8_t in[256], out[256];
	char hex[513];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	hex_encode(in, sizeof(in), hex);
	assert_int_equal(strlen(hex), 512);
	assert_int_equal(hex_decode(hex, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	for (i = 0; hex[i] != '\0'; i++)
		if (hex[i] >= 'a')
			hex[i] -= 'a' - 'A';
	memset(out, 0, sizeof(out));
	assert_int_equal(hex_decode(hex, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
}

/* Our pin equals the CLI pipeline's, for our own Ed25519 certificate and for
 * an EC and an RSA certificate made by the CLI. */
static void
test_pin_matches_cli(void **state)
{
	static const char *const cli_keys[] = {
		"-newkey ec -pkeyopt ec_paramgen_curve:P-256",
		"-newkey rsa:2048",
	};
	struct tmp *t = *state;
	uint8_t pin[32];
	char err[256], got[65], want[65], path[256], cmd[768];
	EVP_PKEY *k;
	X509 *x;
	size_t i;

	assert_non_null(k = crypto_ed25519_generate());
	assert_int_equal(crypto_selfsigned_cert(k, "endpoint", 30, &x), 0);
	assert_int_equal(crypto_write_cert(tmp_path(t, "ed.crt"), x, err, sizeof(err)), 0);
	assert_int_equal(crypto_pin_file(t->path, got, err, sizeof(err)), 0);
	cli_pin(t->path, want);
	assert_string_equal(got, want);
	assert_int_equal(crypto_cert_pin(x, pin), 0);
	hex_encode(pin, sizeof(pin), got);
	assert_string_equal(got, want);
	X509_free(x);
	EVP_PKEY_free(k);

	for (i = 0; i < sizeof(cli_keys) / sizeof(cli_keys[0]); i++) {
		snprintf(path, sizeof(path), "%s/cli%zu.crt", t->dir, i);
		snprintf(cmd, sizeof(cmd), "openssl req -x509 %s -nodes -subj /CN=cli "
		    "-days 1 -keyout '%s/cli%zu.key' -out '%s' 2>/dev/null",
		    cli_keys[i], t->dir, i, path);
		run(cmd);
		assert_int_equal(crypto_pin_file(path, got, err, sizeof(err)), 0);
		cli_pin(path, want);
		assert_string_equal(got, want);
	}
}

static void
test_pin_file_errors(void **state)
{
	struct tmp *t = *state;
	char err[512], want[512], hex[65];
	EVP_PKEY *k;
	FILE *fp;

	snprintf(want, sizeof(want), "cannot read certificate %s/missing.crt: "
	    "No such file or directory", t->dir);
	assert_int_equal(crypto_pin_file(tmp_path(t, "missing.crt"), hex, err,
	    sizeof(err)), -1);
	assert_string_equal(err, want);

	snprintf(want, sizeof(want), "cannot read certificate %s: Is a directory",
	    t->dir);
	assert_int_equal(crypto_pin_file(t->dir, hex, err, sizeof(err)), -1);
	assert_string_equal(err, want);

	assert_non_null(fp = fopen(tmp_path(t, "junk.crt"), "w"));
	fputs("this is not a certificate\n", fp);
	fclose(fp);
	snprintf(want, sizeof(want), "%s is not a PEM certificate", t->path);
	assert_int_equal(crypto_pin_file(t->path, hex, err, sizeof(err)), -1);
	assert_string_equal(err, want);

	/* A public key is PEM, but not a certificate. */
	assert_non_null(k = crypto_ed25519_generate());
	assert_int_equal(crypto_write_public_key(tmp_path(t, "k.pub"), k, err,
	    sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s is not a PEM certificate", t->path);
	assert_int_equal(crypto_pin_file(t->path, hex, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	EVP_PKEY_free(k);
	assert_int_equal(ERR_peek_error(), 0);
}

static void
test_key_files(void **state)
{
	struct tmp *t = *state;
	char err[512], priv[128], pub[128], cmd[1024];
	uint8_t raw1[32], raw2[32], sig[64];
	const uint8_t msg[] = "key round trip";
	EVP_PKEY *k, *k2, *p2;
	struct stat st;
	mode_t mask = umask(022);

	umask(mask);
	snprintf(priv, sizeof(priv), "%s/signer.key", t->dir);
	snprintf(pub, sizeof(pub), "%s/signer.pub", t->dir);
	assert_non_null(k = crypto_ed25519_generate());
	assert_int_equal(crypto_write_private_key(priv, k, err, sizeof(err)), 0);
	assert_int_equal(crypto_write_public_key(pub, k, err, sizeof(err)), 0);
	assert_int_equal(stat(priv, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(pub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644 & ~mask);

	assert_non_null(k2 = crypto_read_private_key(priv, err, sizeof(err)));
	assert_non_null(p2 = crypto_read_public_key(pub, err, sizeof(err)));
	assert_int_equal(EVP_PKEY_eq(k, k2), 1);
	assert_int_equal(EVP_PKEY_eq(k, p2), 1);
	assert_true(crypto_is_ed25519(k2) && crypto_is_ed25519(p2));
	assert_int_equal(crypto_pubkey_raw(k, raw1), 0);
	assert_int_equal(crypto_pubkey_raw(p2, raw2), 0);
	assert_memory_equal(raw1, raw2, sizeof(raw1));
	assert_int_equal(crypto_sign(k2, msg, sizeof(msg), sig), 0);
	assert_int_equal(crypto_verify(raw2, msg, sizeof(msg), sig), 0);

	/* The PEM forms are the standard ones (PKCS#8, SPKI) the CLI reads. */
	snprintf(cmd, sizeof(cmd), "grep -q 'BEGIN PRIVATE KEY' '%s' && "
	    "grep -q 'BEGIN PUBLIC KEY' '%s' && "
	    "openssl pkey -in '%s' -pubout | cmp -s - '%s'", priv, pub, priv, pub);
	run(cmd);

	/* O_EXCL: an existing file is never overwritten. */
	EVP_PKEY_free(k2);
	assert_non_null(k2 = crypto_ed25519_generate());
	assert_int_equal(crypto_write_private_key(priv, k2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already exists"));
	assert_non_null(strstr(err, priv));
	assert_int_equal(crypto_write_public_key(pub, k2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already exists"));
	EVP_PKEY_free(k2);
	assert_non_null(k2 = crypto_read_private_key(priv, err, sizeof(err)));
	assert_int_equal(EVP_PKEY_eq(k, k2), 1);	/* still the first key */

	/* Wrong kinds of file. */
	assert_null(crypto_read_private_key(pub, err, sizeof(err)));
	assert_non_null(strstr(err, "is not a PEM private key"));
	assert_null(crypto_read_public_key(tmp_path(t, "none.pub"), err, sizeof(err)));
	assert_non_null(strstr(err, "cannot read public key"));
	assert_non_null(strstr(err, "No such file or directory"));
	/* Writing into a missing directory leaves nothing behind. */
	assert_int_equal(crypto_write_private_key(tmp_path(t, "no/such.key"), k,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot create"));
	/* A public key cannot be written as a private one; no file remains. */
	assert_int_equal(crypto_write_private_key(tmp_path(t, "pubonly.key"), p2,
	    err, sizeof(err)), -1);
	assert_int_equal(access(t->path, F_OK), -1);
	assert_int_equal(ERR_peek_error(), 0);

	EVP_PKEY_free(k2);
	EVP_PKEY_free(p2);
	EVP_PKEY_free(k);
}

/* An encrypted key is refused, without prompting for a passphrase. */
static void
test_encrypted_key_refused(void **state)
{
	struct tmp *t = *state;
	char cmd[512], err[512];

	snprintf(cmd, sizeof(cmd), "openssl genpkey -algorithm ed25519 -aes-256-cbc "
	    "-pass pass:secret -out '%s' </dev/null", tmp_path(t, "enc.key"));
	run(cmd);
	assert_null(crypto_read_private_key(t->path, err, sizeof(err)));
	assert_non_null(strstr(err, "encrypted"));
	assert_int_equal(ERR_peek_error(), 0);
}

static void
test_key_types(void **state)
{
	uint8_t raw[32], sig[64];
	EVP_PKEY *ec, *ed, *pub;

	(void)state;
	assert_non_null(ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	assert_non_null(ed = crypto_ed25519_generate());
	assert_int_equal(crypto_is_ed25519(ec), 0);
	assert_int_equal(crypto_is_ed25519(NULL), 0);
	assert_int_equal(crypto_is_ed25519(ed), 1);
	assert_int_equal(crypto_pubkey_raw(ec, raw), -1);
	assert_int_equal(crypto_sign(ec, raw, sizeof(raw), sig), -1);
	assert_int_equal(crypto_pubkey_raw(ed, raw), 0);
	assert_non_null(pub = crypto_pubkey_from_raw(raw));
	assert_int_equal(crypto_is_ed25519(pub), 1);
	assert_int_equal(EVP_PKEY_eq(ed, pub), 1);
	assert_int_equal(crypto_sign(pub, raw, sizeof(raw), sig), -1);	/* no private half */
	EVP_PKEY_free(pub);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(ec);
	ERR_clear_error();
}

static void
test_sign_verify_tamper(void **state)
{
	enum { MSG, SIG, KEY };
	static const struct {
		int what;
		size_t bit;
	} cases[] = {
		{ MSG, 0 }, { MSG, 7 }, { MSG, 8 * 50 + 3 }, { MSG, 8 * 99 + 7 },
		{ SIG, 0 }, { SIG, 8 * 31 + 7 }, { SIG, 8 * 32 }, { SIG, 8 * 63 + 6 },
		{ KEY, 0 }, { KEY, 8 * 16 + 1 }, { KEY, 8 * 31 + 7 },
	};
	uint8_t msg[100], sig[64], pub[32], m[100], s[64], p[32];
	EVP_PKEY *k;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7);
	assert_non_null(k = crypto_ed25519_generate());
	assert_int_equal(crypto_pubkey_raw(k, pub), 0);
	assert_int_equal(crypto_sign(k, msg, sizeof(msg), sig), 0);
	assert_int_equal(crypto_verify(pub, msg, sizeof(msg), sig), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *b = cases[i].what == MSG ? m : cases[i].what == SIG ? s : p;

		memcpy(m, msg, sizeof(m));
		memcpy(s, sig, sizeof(s));
		memcpy(p, pub, sizeof(p));
		b[cases[i].bit / 8] ^= (uint8_t)(1u << (cases[i].bit % 8));
		print_message("flip %s bit %zu\n", cases[i].what == MSG ? "msg" :
		    cases[i].what == SIG ? "sig" : "key", cases[i].bit);
		assert_int_equal(crypto_verify(p, m, sizeof(m), s), -1);
		assert_int_equal(ERR_peek_error(), 0);
	}
	/* Shorter message, and the empty message. */
	assert_int_equal(crypto_verify(pub, msg, sizeof(msg) - 1, sig), -1);
	assert_int_equal(crypto_sign(k, NULL, 0, sig), 0);
	assert_int_equal(crypto_verify(pub, NULL, 0, sig), 0);
	assert_int_equal(crypto_verify(pub, msg, 1, sig), -1);
	EVP_PKEY_free(k);
}

/* The key cache gives the same answers as building each key: 100 signers
 * (more than its slots, so slots are shared and keys replaced), each of
 * their signatures good under its own key only, asked in turns. */
static void
test_keycache(void **state)
{
	enum { NKEYS = 100 };
	static uint8_t pub[NKEYS][32], sig[NKEYS][64];
	uint8_t msg[40] = "the same text, signed by every party";
	struct crypto_keycache *kc;
	EVP_PKEY *k;
	size_t i, round;

	(void)state;
	for (i = 0; i < NKEYS; i++) {
		assert_non_null(k = crypto_ed25519_generate());
		assert_int_equal(crypto_pubkey_raw(k, pub[i]), 0);
		assert_int_equal(crypto_sign(k, msg, sizeof(msg), sig[i]), 0);
		EVP_PKEY_free(k);
	}
	assert_non_null(kc = crypto_keycache_new());
	for (round = 0; round < 3; round++) {
		for (i = 0; i < NKEYS; i++) {
			size_t other = (i + 1 + round) % NKEYS;

			assert_int_equal(crypto_verify_cached(kc, pub[i], msg, sizeof(msg), sig[i]), 0);
			assert_int_equal(crypto_verify_cached(kc, pub[other], msg, sizeof(msg),
			    sig[i]), -1);
			assert_int_equal(crypto_verify_cached(kc, pub[i], msg, sizeof(msg) - 1,
			    sig[i]), -1);
		}
	}
	assert_int_equal(ERR_peek_error(), 0);
	/* Without a cache, the same. */
	assert_int_equal(crypto_verify_cached(NULL, pub[3], msg, sizeof(msg), sig[3]), 0);
	assert_int_equal(crypto_verify_cached(NULL, pub[4], msg, sizeof(msg), sig[3]), -1);
	crypto_keycache_free(kc);
	crypto_keycache_free(NULL);
}

/* RFC 8032 section 7.1, TEST 1 and TEST 2. */
static void
test_rfc8032(void **state)
{
	static const struct {
		const char *secret, *public, *msg, *sig;
	} cases[] = {
		{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		  "",
		  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
		  "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
		{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
		  "72",
		  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
		  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	};
	uint8_t secret[32], pub[32], want_sig[64], msg[1], raw[32], sig[64];
	size_t i, n;
	EVP_PKEY *k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("RFC 8032 TEST %zu\n", i + 1);
		n = strlen(cases[i].msg) / 2;
		assert_int_equal(hex_decode(cases[i].secret, secret, 32), 0);
		assert_int_equal(hex_decode(cases[i].public, pub, 32), 0);
		assert_int_equal(hex_decode(cases[i].msg, msg, n), 0);
		assert_int_equal(hex_decode(cases[i].sig, want_sig, 64), 0);
		assert_non_null(k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519,
		    NULL, secret, sizeof(secret)));
		assert_int_equal(crypto_pubkey_raw(k, raw), 0);
		assert_memory_equal(raw, pub, 32);
		assert_int_equal(crypto_sign(k, msg, n, sig), 0);
		assert_memory_equal(sig, want_sig, 64);
		assert_int_equal(crypto_verify(pub, msg, n, want_sig), 0);
		EVP_PKEY_free(k);
	}
}

static void
test_selfsigned_cert(void **state)
{
	struct tmp *t = *state;
	const ASN1_INTEGER *s1, *s2;
	char err[512], cn[64], cmd[768];
	EVP_PKEY *k;
	X509 *x, *y, *r;
	int day, sec;

	assert_non_null(k = crypto_ed25519_generate());
	assert_int_equal(crypto_selfsigned_cert(k, "Yerevan duty", 825, &x), 0);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, cn, sizeof(cn)), (int)strlen("Yerevan duty"));
	assert_string_equal(cn, "Yerevan duty");
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x),
	    X509_get_issuer_name(x)), 0);
	assert_int_equal(X509_verify(x, k), 1);
	assert_int_equal(ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)), 1);
	assert_int_equal(day, 825);
	assert_int_equal(sec, 0);
	assert_true(X509_cmp_current_time(X509_get0_notBefore(x)) <= 0);
	assert_true(X509_cmp_current_time(X509_get0_notAfter(x)) > 0);

	/* Serials are random and positive. */
	assert_int_equal(crypto_selfsigned_cert(k, "Yerevan duty", 825, &y), 0);
	s1 = X509_get0_serialNumber(x);
	s2 = X509_get0_serialNumber(y);
	assert_int_not_equal(ASN1_INTEGER_cmp(s1, s2), 0);
	assert_int_equal(ASN1_STRING_type(s1), V_ASN1_INTEGER);
	assert_true(ASN1_STRING_length(s1) <= 16 && ASN1_STRING_length(s1) >= 8);
	X509_free(y);

	/* File round trip, O_EXCL. */
	assert_int_equal(crypto_write_cert(tmp_path(t, "endpoint.crt"), x, err,
	    sizeof(err)), 0);
	assert_non_null(r = crypto_read_cert(t->path, err, sizeof(err)));
	assert_int_equal(X509_cmp(x, r), 0);
	X509_free(r);
	assert_int_equal(crypto_write_cert(t->path, x, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already exists"));

	/* The CLI accepts it as a valid self-signed certificate. */
	snprintf(cmd, sizeof(cmd), "openssl verify -CAfile '%s' '%s' >/dev/null 2>&1",
	    t->path, t->path);
	run(cmd);

	assert_int_equal(crypto_selfsigned_cert(k, "x", 0, &y), -1);
	assert_null(y);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_errstr(void **state)
{
	char buf[256];
	BIO *b;

	(void)state;
	ERR_clear_error();
	crypto_errstr(buf, sizeof(buf));
	assert_string_equal(buf, "unknown OpenSSL error");

	assert_non_null(b = BIO_new_mem_buf("junk", -1));
	assert_null(PEM_read_bio_X509(b, NULL, NULL, NULL));
	BIO_free(b);
	assert_int_not_equal(ERR_peek_error(), 0);
	crypto_errstr(buf, sizeof(buf));
	assert_non_null(strstr(buf, "no start line"));
	assert_int_equal(ERR_peek_error(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_kat),
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_hex_decode),
		cmocka_unit_test(test_hex_roundtrip),
		cmocka_unit_test_setup_teardown(test_pin_matches_cli, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_pin_file_errors, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_key_files, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_encrypted_key_refused, tmp_setup,
		    tmp_teardown),
		cmocka_unit_test(test_key_types),
		cmocka_unit_test(test_sign_verify_tamper),
		cmocka_unit_test(test_keycache),
		cmocka_unit_test(test_rfc8032),
		cmocka_unit_test_setup_teardown(test_selfsigned_cert, tmp_setup, tmp_teardown),
		cmocka_unit_test(test_errstr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
