/* The release certificate (proto/cert.h): a known text written by hand,
 * format/parse round trips, the parse failures from a table of mutated
 * texts, and the strictness cert.h promises (cert_parse accepts exactly
 * what cert_format writes: the two are inverses).
 *
 * The expected text below was written by hand from the layout comment in
 * cert.h; its times were converted with `date -u -d TIME +%s`; the keys and
 * signatures are RFC 8032 section 7.1 TEST 1 and TEST 2 (used as data only,
 * nothing is verified here). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

#define HASH_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY1_HEX "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define SIG1_HEX "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155" \
		 "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
#define KEY2_HEX "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
#define SIG2_HEX "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da" \
		 "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
#define KEY3_HEX "3333333333333333333333333333333333333333333333333333333333333333"
#define SIG3_HEX "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc" \
		 "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

/* The May 1994 ceasefire, as parleyd would certify it. */
static const char may1994[] =
	"parley release certificate v1\n"
	"agreement: 12\n"
	"title: Ceasefire agreement\n"
	"revision: 2\n"
	"content-sha256: " HASH_HEX "\n"
	"parties: baku yerevan stepanakert\n"
	"observers: minsk\n"
	"released-at: 1994-05-11T14:00:00Z\n"
	"effective-at: 1994-05-11T20:01:00Z\n"
	"copy: baku - " KEY1_HEX " " SIG1_HEX " 1994-05-09T10:00:00Z\n"
	"copy: yerevan minister " KEY2_HEX " " SIG2_HEX " 1994-05-10T11:30:00Z\n"
	"copy: stepanakert - " KEY3_HEX " " SIG3_HEX " 1994-05-11T09:15:00Z\n";

/* ---- helpers ---------------------------------------------------------- */

static int
nib(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	fail_msg("bad hex digit in the test itself: %c", c);
	return -1;
}

/* The test's own hex decoder, so expectations do not lean on crypto.c. */
static void
unhex(const char *hex, uint8_t *out, size_t n)
{
	size_t i;

	assert_int_equal(strlen(hex), 2 * n);
	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(nib(hex[2 * i]) << 4 | nib(hex[2 * i + 1]));
}

static void
add_copy(struct cert *c, const char *party, const char *role, const char *key_hex,
    const char *sig_hex, int64_t at)
{
	struct cert_copy *k = &c->copies[c->ncopies++];

	snprintf(k->party, sizeof(k->party), "%s", party);
	snprintf(k->role, sizeof(k->role), "%s", role);
	unhex(key_hex, k->key, sizeof(k->key));
	unhex(sig_hex, k->sig, sizeof(k->sig));
	k->signed_at = at;
}

static void
make_may1994(struct cert *c)
{
	memset(c, 0, sizeof(*c));
	c->agreement = 12;
	strcpy(c->title, "Ceasefire agreement");
	c->revision = 2;
	unhex(HASH_HEX, c->content_hash, 32);
	c->nparties = 3;
	strcpy(c->parties[0], "baku");
	strcpy(c->parties[1], "yerevan");
	strcpy(c->parties[2], "stepanakert");
	c->nobservers = 1;
	strcpy(c->observers[0], "minsk");
	c->released_at = 768664800;	/* 1994-05-11T14:00:00Z */
	c->effective_at = 768686460;	/* 1994-05-11T20:01:00Z */
	add_copy(c, "baku", "", KEY1_HEX, SIG1_HEX, 768477600);
	add_copy(c, "yerevan", "minister", KEY2_HEX, SIG2_HEX, 768569400);
	add_copy(c, "stepanakert", "", KEY3_HEX, SIG3_HEX, 768647700);
}

static void
make_one_party(struct cert *c)
{
	memset(c, 0, sizeof(*c));
	c->agreement = 1;
	strcpy(c->title, "Protocol");
	c->revision = 1;
	memset(c->content_hash, 0xff, 32);
	c->nparties = 1;
	strcpy(c->parties[0], "a");
	c->released_at = 0;		/* 1970-01-01T00:00:00Z */
	c->effective_at = -1;		/* 1969-12-31T23:59:59Z */
	add_copy(c, "a", "chair", KEY3_HEX, SIG3_HEX, 0);
}

static void
make_five(struct cert *c)
{
	static const char *const p[5] = {
		"baku", "yerevan", "stepanakert", "moscow", "x-2_b",
	};
	static const char *const r[5] = {
		"president", "-", "0", "deputy_minister", "abcdefghijklmnopqrstuvwxyz012345",
	};
	size_t i;

	memset(c, 0, sizeof(*c));
	c->agreement = UINT64_MAX;
	/* UTF-8, colons, a leading space and exactly CERT_TITLE_MAX bytes */
	snprintf(c->title, sizeof(c->title), "%s", " Բիշքեկյան արձանագրություն: "
	    "Bişkek protokolu: Бишкекский протокол, 5 May 1994");
	while (strlen(c->title) < CERT_TITLE_MAX)
		strcat(c->title, ".");
	c->revision = UINT32_MAX;
	unhex(HASH_HEX, c->content_hash, 32);
	c->nparties = 5;
	for (i = 0; i < 5; i++)
		strcpy(c->parties[i], p[i]);
	c->nobservers = 3;
	strcpy(c->observers[0], "minsk");
	strcpy(c->observers[1], "csce");
	strcpy(c->observers[2], "abcdefghijklmnopqrstuvwxyz012345");	/* 32 */
	c->released_at = 1709251199;	/* 2024-02-29T23:59:59Z */
	c->effective_at = 1709251199;
	for (i = 0; i < 5; i++)
		add_copy(c, p[i], strcmp(r[i], "-") == 0 ? "" : r[i],
		    i % 2 ? KEY1_HEX : KEY2_HEX, i % 2 ? SIG2_HEX : SIG1_HEX,
		    768477600 + (int64_t)i * 3600);
}

static void
make_no_roles(struct cert *c)
{
	memset(c, 0, sizeof(*c));
	c->agreement = 100;
	strcpy(c->title, "t");
	c->revision = 10;
	unhex(HASH_HEX, c->content_hash, 32);
	c->nparties = 2;
	strcpy(c->parties[0], "yerevan");
	strcpy(c->parties[1], "baku");		/* not sorted: the given order counts */
	c->released_at = 768664800;
	c->effective_at = 768686460;
	add_copy(c, "yerevan", "", KEY2_HEX, SIG2_HEX, 768569400);
	add_copy(c, "baku", "", KEY1_HEX, SIG1_HEX, 768477600);
}

/* The limits cert.h declares: CERT_MAX_PARTIES parties and observers, each
 * code CERT_CODE_MAX characters long. */
static void
make_limits(struct cert *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->agreement = 7;
	strcpy(c->title, "Many parties");
	c->revision = 3;
	unhex(HASH_HEX, c->content_hash, 32);
	c->nparties = CERT_MAX_PARTIES;
	c->nobservers = CERT_MAX_PARTIES;
	for (i = 0; i < CERT_MAX_PARTIES; i++) {
		snprintf(c->parties[i], sizeof(c->parties[i]),
		    "party-%02zu-abcdefghijklmnopqrstuvw", i);
		snprintf(c->observers[i], sizeof(c->observers[i]),
		    "observer-%02zu-abcdefghijklmnopqrst", i);
		assert_int_equal(strlen(c->parties[i]), CERT_CODE_MAX);
		assert_int_equal(strlen(c->observers[i]), CERT_CODE_MAX);
	}
	c->released_at = 768664800;
	c->effective_at = 768686460;
	for (i = 0; i < CERT_MAX_PARTIES; i++)
		add_copy(c, c->parties[i], "abcdefghijklmnopqrstuvwxyz012345", KEY1_HEX,
		    SIG1_HEX, 768477600);
}

/* December 1993: baku and stepanakert need a political and a military
 * signature under mandates; Guliev signs in Dzhalilov's place; yerevan has
 * no principal. */
static void
make_mandated(struct cert *c)
{
	memset(c, 0, sizeof(*c));
	c->agreement = 4;
	snprintf(c->title, sizeof(c->title), "Ceasefire, December 1993");
	c->revision = 1;
	unhex(HASH_HEX, c->content_hash, 32);
	c->nparties = 3;
	snprintf(c->parties[0], sizeof(c->parties[0]), "baku");
	snprintf(c->parties[1], sizeof(c->parties[1]), "yerevan");
	snprintf(c->parties[2], sizeof(c->parties[2]), "stepanakert");
	c->released_at = 756000000;
	c->effective_at = 756000000;
	c->nprincipals = 2;
	snprintf(c->principals[0].party, sizeof(c->principals[0].party), "baku");
	unhex(KEY3_HEX, c->principals[0].key, 32);
	snprintf(c->principals[1].party, sizeof(c->principals[1].party), "stepanakert");
	unhex(KEY2_HEX, c->principals[1].key, 32);
	/* a party's copies by role, ascending */
	add_copy(c, "baku", "military", KEY2_HEX, SIG2_HEX, 755900100);
	c->copies[0].mandate = 18446744073709551615ULL;
	add_copy(c, "baku", "political", KEY1_HEX, SIG1_HEX, 755900000);
	c->copies[1].mandate = 3;
	snprintf(c->copies[1].in_place_of, sizeof(c->copies[1].in_place_of),
	    "A. Dzhalilov (Азербайджан)");
	add_copy(c, "yerevan", "", KEY1_HEX, SIG1_HEX, 755900200);
	add_copy(c, "stepanakert", "military", KEY3_HEX, SIG3_HEX, 755900300);
	c->copies[3].mandate = 9;
	add_copy(c, "stepanakert", "political", KEY1_HEX, SIG2_HEX, 755900400);
	c->copies[4].mandate = 10;
}

static void
assert_cert_equal(const struct cert *a, const struct cert *b)
{
	size_t i;

	assert_true(a->agreement == b->agreement);
	assert_string_equal(a->title, b->title);
	assert_int_equal(a->revision, b->revision);
	assert_memory_equal(a->content_hash, b->content_hash, 32);
	assert_int_equal(a->nparties, b->nparties);
	assert_int_equal(a->nobservers, b->nobservers);
	assert_int_equal(a->ncopies, b->ncopies);
	for (i = 0; i < a->nparties; i++)
		assert_string_equal(a->parties[i], b->parties[i]);
	for (i = 0; i < a->nobservers; i++)
		assert_string_equal(a->observers[i], b->observers[i]);
	assert_int_equal(a->released_at, b->released_at);
	assert_int_equal(a->effective_at, b->effective_at);
	for (i = 0; i < a->ncopies; i++) {
		assert_string_equal(a->copies[i].party, b->copies[i].party);
		assert_string_equal(a->copies[i].role, b->copies[i].role);
		assert_memory_equal(a->copies[i].key, b->copies[i].key, 32);
		assert_memory_equal(a->copies[i].sig, b->copies[i].sig, 64);
		assert_int_equal(a->copies[i].signed_at, b->copies[i].signed_at);
		assert_true(a->copies[i].mandate == b->copies[i].mandate);
		assert_string_equal(a->copies[i].in_place_of, b->copies[i].in_place_of);
		assert_int_equal(a->copies[i].has_reservation, b->copies[i].has_reservation);
		assert_memory_equal(a->copies[i].reservation, b->copies[i].reservation, 32);
		assert_string_equal(a->copies[i].condition, b->copies[i].condition);
	}
	assert_int_equal(a->nprincipals, b->nprincipals);
	for (i = 0; i < a->nprincipals; i++) {
		assert_string_equal(a->principals[i].party, b->principals[i].party);
		assert_memory_equal(a->principals[i].key, b->principals[i].key, 32);
	}
}

/* Parse from an exact-size heap copy (no NUL after it), so that a read past
 * len shows under ASan. */
static int
parse(const char *buf, size_t len, struct cert *c, char *err, size_t errlen)
{
	char *copy;
	int rc;

	assert_non_null(copy = malloc(len ? len : 1));
	memcpy(copy, buf, len);
	err[0] = '\0';
	rc = cert_parse(copy, len, c, err, errlen);
	free(copy);
	return rc;
}

/* ---- the known text --------------------------------------------------- */

static void
test_known_text(void **state)
{
	struct cert c, back;
	char *text, err[256];

	(void)state;
	make_may1994(&c);
	assert_non_null(text = cert_format(&c));
	if (strcmp(text, may1994) != 0)
		fail_msg("cert_format wrote:\n%s\nexpected:\n%s", text, may1994);
	free(text);

	if (parse(may1994, sizeof(may1994) - 1, &back, err, sizeof(err)) != 0)
		fail_msg("the known text is refused: %s", err);
	assert_cert_equal(&back, &c);
	assert_string_equal(back.copies[0].role, "");	/* "-" reads as none */
	assert_string_equal(back.copies[1].role, "minister");
}

/* ---- round trips ------------------------------------------------------ */

/* Bishkek, May 1994: baku's copy in Dzhalilov's place with a reservation
 * and subject to ratification; yerevan's subject to a condition alone. */
static void
make_bishkek(struct cert *c)
{
	make_mandated(c);
	c->copies[1].has_reservation = 1;
	unhex(HASH_HEX, c->copies[1].reservation, 32);
	snprintf(c->copies[1].condition, sizeof(c->copies[1].condition),
	    "ratification by the Milli Meclis");
	snprintf(c->copies[2].condition, sizeof(c->copies[2].condition),
	    "վավերացում Ազգային ժողովի կողմից");
}

static const struct {
	const char *name;
	void (*make)(struct cert *);
} rt_cases[] = {
	{ "May 1994: 3 parties, 1 observer, roles - and named", make_may1994 },
	{ "1 party, no observers, epoch times", make_one_party },
	{ "5 parties, 3 observers, every role named, limits of the numbers", make_five },
	{ "2 parties, no roles, unsorted parties", make_no_roles },
	{ "December 1993: principals, two roles a party, a substitute", make_mandated },
	{ "Bishkek: a reservation and conditions after in-place-of", make_bishkek },
};

static void
round_trip(const char *name, void (*make)(struct cert *))
{
	struct cert c, back;
	char *text, *again, err[256];

	make(&c);
	assert_non_null(text = cert_format(&c));
	if (parse(text, strlen(text), &back, err, sizeof(err)) != 0) {
		free(text);
		fail_msg("%s: its own text is refused: %s", name, err);
	}
	assert_cert_equal(&back, &c);
	assert_non_null(again = cert_format(&back));
	if (strcmp(again, text) != 0)
		fail_msg("%s: formats differently after a round trip:\n%s\n%s", name,
		    text, again);
	free(again);
	free(text);
}

static void
test_round_trip(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(rt_cases); i++)
		round_trip(rt_cases[i].name, rt_cases[i].make);
}

/* cert.h allows 64 parties of 32 characters each, and promises that
 * cert_format and cert_parse are inverses; such a parties line is about
 * 2,100 bytes. */
static void
test_round_trip_limits(void **state)
{
	(void)state;
	round_trip("64 parties and 64 observers of 32 characters", make_limits);
}

/* ---- parse failures --------------------------------------------------- */

/* A mutation of may1994: replace the first occurrence of find (or, with
 * find NULL, append) by the replacement bytes. */
struct mutation {
	const char *name;
	const char *find;
	const char *repl;
	size_t repl_len;
	const char *why;	/* substring of the reason */
};

#define R(s) s, sizeof(s) - 1
#define COPY1 "copy: baku - " KEY1_HEX " " SIG1_HEX " 1994-05-09T10:00:00Z\n"
#define COPY2 "copy: yerevan minister " KEY2_HEX " " SIG2_HEX " 1994-05-10T11:30:00Z\n"
#define COPY3 "copy: stepanakert - " KEY3_HEX " " SIG3_HEX " 1994-05-11T09:15:00Z\n"

static const struct mutation bad_cases[] = {
	/* the header */
	{ "wrong header line", "certificate v1\n", R("certificate v2\n"),
	    "not a parley release certificate" },
	{ "header in capitals", "parley release", R("Parley release"),
	    "not a parley release certificate" },
	{ "header with CRLF", "v1\n", R("v1\r\n"), "not a parley release certificate" },
	{ "empty", may1994, R(""), "not a parley release certificate" },
	/* missing fields and order */
	{ "missing revision", "revision: 2\n", R(""), "line 4: expected \"revision:\"" },
	{ "missing observers", "observers: minsk\n", R(""), "expected \"observers:\"" },
	{ "missing effective-at", "effective-at: 1994-05-11T20:01:00Z\n", R(""),
	    "expected \"effective-at:\"" },
	{ "title before agreement", "agreement: 12\ntitle: Ceasefire agreement\n",
	    R("title: Ceasefire agreement\nagreement: 12\n"),
	    "line 2: expected \"agreement:\"" },
	{ "effective-at before released-at",
	    "released-at: 1994-05-11T14:00:00Z\neffective-at: 1994-05-11T20:01:00Z\n",
	    R("effective-at: 1994-05-11T20:01:00Z\nreleased-at: 1994-05-11T14:00:00Z\n"),
	    "line 8: expected \"released-at:\"" },
	{ "field name without its space", "agreement: 12", R("agreement:12"),
	    "expected \"agreement:\"" },
	{ "field name in capitals", "revision: 2", R("Revision: 2"), "expected \"revision:\"" },
	{ "field name with a suffix", "parties: ", R("partiesx: "), "expected \"parties:\"" },
	/* numbers */
	{ "revision 0", "revision: 2", R("revision: 0"), "line 4: bad revision" },
	{ "revision with a leading zero", "revision: 2", R("revision: 02"), "bad revision" },
	{ "revision above 32 bits", "revision: 2", R("revision: 4294967296"), "bad revision" },
	{ "revision negative", "revision: 2", R("revision: -1"), "bad revision" },
	{ "revision with a plus", "revision: 2", R("revision: +2"), "bad revision" },
	{ "revision empty", "revision: 2", R("revision:"), "bad revision" },
	{ "agreement 012", "agreement: 12", R("agreement: 012"), "line 2: bad agreement id" },
	{ "agreement 0", "agreement: 12", R("agreement: 0"), "bad agreement id" },
	{ "agreement above 64 bits", "agreement: 12", R("agreement: 18446744073709551616"),
	    "bad agreement id" },
	{ "agreement with two spaces", "agreement: 12", R("agreement:  12"),
	    "bad agreement id" },
	{ "agreement in hex", "agreement: 12", R("agreement: 0xc"), "bad agreement id" },
	{ "agreement with trailing text", "agreement: 12", R("agreement: 12a"),
	    "bad agreement id" },
	/* hex */
	{ "content hash with a non-hex digit", "0001020304", R("000102030g"),
	    "line 5: bad content hash" },
	{ "content hash one digit short", HASH_HEX, R("00102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f"), "bad content hash" },
	{ "content hash one byte long", HASH_HEX "\n", R(HASH_HEX "20\n"), "bad content hash" },
	{ "signer key with a non-hex digit", "d75a9801", R("d75a98z1"),
	    "line 10: bad signer key" },
	{ "signer key one byte short", KEY2_HEX " ", R("3d4017c3e843895a92b70aa74d1b7ebc"
	    "9c982ccf2ec4968cc0cd55f12af466 "), "line 11: bad signer key" },
	{ "signature with a non-hex digit", "e5564300c3", R("e5564300c-"),
	    "line 10: bad signature" },
	{ "signature one byte short", "6e828a84877f1eb8e5d974d873e06522490155",
	    R("6e828a84877f1eb8e5d974d873e065224901"), "bad signature" },
	/* copies */
	{ "copy lines out of order", COPY1 COPY2, R(COPY2 COPY1),
	    "line 10: bad copy line: parties out of order" },
	{ "copy of a party not on the parties line", "copy: baku ", R("copy: minsk "),
	    "parties out of order" },
	{ "missing copy line", COPY3, R(""), "a party has no copy" },
	{ "copy line without its time", " 1994-05-10T11:30:00Z\n", R("\n"), "bad copy line" },
	{ "copy line with a sixth field", " 1994-05-10T11:30:00Z\n",
	    R(" 1994-05-10T11:30:00Z extra\n"), "bad copy line" },
	{ "copy with a bad role", "yerevan minister", R("yerevan Minister"),
	    "line 11: bad role" },
	{ "copy with an empty-looking role", "yerevan minister", R("yerevan --"),
	    "bad role" },
	{ "copy with a bad signing time", "1994-05-10T11:30:00Z", R("1994-05-10"),
	    "line 11: bad signing time" },
	{ "copy signed on February 30", "1994-05-10T11:30:00Z", R("1994-02-30T11:30:00Z"),
	    "bad signing time" },
	/* trailing bytes and the final LF */
	{ "an extra trailing line", NULL, R("signed-by: mediator\n"), "extra bytes after line 12" },
	{ "an extra empty line", NULL, R("\n"), "extra bytes" },
	{ "an extra copy line", NULL, R(COPY3), "a party and role twice" },
	/* principals, mandates, in-place-of */
	{ "principal of a party not on the parties line", COPY1,
	    R("principal: minsk " KEY1_HEX "\n" COPY1), "principal line: parties out of order" },
	{ "principals out of order", COPY1, R("principal: yerevan " KEY1_HEX "\nprincipal: baku "
	    KEY2_HEX "\n" COPY1), "principal line: parties out of order" },
	{ "a principal twice", COPY1, R("principal: baku " KEY1_HEX "\nprincipal: baku "
	    KEY2_HEX "\n" COPY1), "principal line: a party twice" },
	{ "principal with a short key", COPY1, R("principal: baku 00\n" COPY1),
	    "bad principal key" },
	{ "principal line with an extra field", COPY1,
	    R("principal: baku " KEY1_HEX " x\n" COPY1), "bad principal line" },
	{ "principal after the copies", NULL, R("principal: baku " KEY1_HEX "\n"),
	    "extra bytes" },
	{ "mandate 0", " 1994-05-09T10:00:00Z\n", R(" 1994-05-09T10:00:00Z mandate 0\n"),
	    "bad mandate id" },
	{ "mandate not a number", " 1994-05-09T10:00:00Z\n",
	    R(" 1994-05-09T10:00:00Z mandate x\n"), "bad mandate id" },
	{ "mandate with a leading zero", " 1994-05-09T10:00:00Z\n",
	    R(" 1994-05-09T10:00:00Z mandate 07\n"), "bad mandate id" },
	{ "another word than mandate", " 1994-05-09T10:00:00Z\n",
	    R(" 1994-05-09T10:00:00Z warrant 7\n"), "bad copy line" },
	{ "in-place-of without a mandate", COPY2, R(COPY2 "in-place-of: Dzhalilov\n"),
	    "bad in-place-of name" },
	{ "in-place-of with an empty name", " 1994-05-09T10:00:00Z\n",
	    R(" 1994-05-09T10:00:00Z mandate 7\nin-place-of: \n"), "bad in-place-of name" },
	{ "in-place-of with a trailing space", " 1994-05-09T10:00:00Z\n",
	    R(" 1994-05-09T10:00:00Z mandate 7\nin-place-of: Guliev \n"),
	    "bad in-place-of name" },
	{ "in-place-of with a tab", " 1994-05-09T10:00:00Z\n",
	    R(" 1994-05-09T10:00:00Z mandate 7\nin-place-of: A\tB\n"), "bad in-place-of name" },
	{ "in-place-of before its copy", COPY1, R("in-place-of: Guliev\n" COPY1),
	    "expected \"copy:\"" },
	{ "bytes without LF at the end", NULL, R("x"), "extra bytes" },
	{ "missing final LF", " 1994-05-11T09:15:00Z\n", R(" 1994-05-11T09:15:00Z"),
	    "copy" },
	/* NUL and UTF-8 */
	{ "NUL in the title", "Ceasefire", R("Cease\0fire"), "title" },
	{ "NUL at the end of the header", "certificate v1\n", R("certificate v1\0\n"),
	    "not a parley release certificate" },
	{ "NUL in a copy line", " 1994-05-09T10:00:00Z", R(" 1994-05-09T10:00:00Z\0"),
	    "copy" },
	{ "invalid UTF-8 title", "Ceasefire", R("Cease\xff" "fire"), "line 3: bad title" },
	{ "overlong UTF-8 title", "Ceasefire", R("Cease\xc0\xaf" "fire"), "bad title" },
	{ "surrogate in the title", "Ceasefire", R("Cease\xed\xa0\x80" "fire"), "bad title" },
	{ "empty title", "title: Ceasefire agreement", R("title: "), "bad title" },
	{ "title without a value", "title: Ceasefire agreement", R("title:"), "bad title" },
	/* party codes */
	{ "party code in capitals", "parties: baku", R("parties: Baku"), "line 6: bad parties" },
	{ "party code starting with '-'", "parties: baku", R("parties: -baku"),
	    "bad parties" },
	{ "party code with a dot", "parties: baku", R("parties: ba.ku"), "bad parties" },
	{ "party code of 33 characters", "parties: baku",
	    R("parties: abcdefghijklmnopqrstuvwxyz0123456"), "bad parties" },
	{ "party code in Cyrillic", "parties: baku", R("parties: \xd0\xb1\xd0\xb0\xd0\xba\xd1\x83"),
	    "bad parties" },
	{ "no parties", "parties: baku yerevan stepanakert", R("parties:"), "bad parties" },
	{ "observer code invalid", "observers: minsk", R("observers: Minsk"),
	    "line 7: bad observers" },
	/* times */
	{ "release time out of range", "released-at: 1994-05-11T14:00:00Z",
	    R("released-at: 1994-13-11T14:00:00Z"), "line 8: bad release time" },
	{ "release time without a zone", "released-at: 1994-05-11T14:00:00Z",
	    R("released-at: 1994-05-11T14:00:00"), "bad release time" },
	{ "effective time garbage", "effective-at: 1994-05-11T20:01:00Z",
	    R("effective-at: on-release"), "line 9: bad effective time" },
};

static void
apply(const struct mutation *m, char **out, size_t *outlen)
{
	const size_t blen = sizeof(may1994) - 1;
	const char *at;
	size_t pre, flen;
	char *buf;

	if (m->find == NULL) {
		at = may1994 + blen;
		flen = 0;
	} else {
		at = strstr(may1994, m->find);
		if (at == NULL)
			fail_msg("%s: the test's find string is not in the text", m->name);
		flen = strlen(m->find);
	}
	pre = (size_t)(at - may1994);
	*outlen = blen - flen + m->repl_len;
	assert_non_null(buf = malloc(*outlen + 1));
	memcpy(buf, may1994, pre);
	memcpy(buf + pre, m->repl, m->repl_len);
	memcpy(buf + pre + m->repl_len, at + flen, blen - pre - flen);
	*out = buf;
}

static void
test_parse_failures(void **state)
{
	struct cert c;
	char *text, err[256];
	size_t i, n;

	(void)state;
	for (i = 0; i < LEN(bad_cases); i++) {
		apply(&bad_cases[i], &text, &n);
		if (parse(text, n, &c, err, sizeof(err)) != -1)
			fail_msg("%s: accepted", bad_cases[i].name);
		if (strstr(err, bad_cases[i].why) == NULL)
			fail_msg("%s: reason \"%s\" lacks \"%s\"", bad_cases[i].name, err,
			    bad_cases[i].why);
		free(text);
	}
}

/* Every prefix of a valid certificate is refused (it always ends before a
 * line or in the middle of one), without reading past its end. */
static void
test_prefixes(void **state)
{
	struct cert c;
	char err[256];
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(may1994) - 1; n++)
		if (parse(may1994, n, &c, err, sizeof(err)) != -1)
			fail_msg("prefix of %zu bytes accepted", n);
		else if (err[0] == '\0')
			fail_msg("prefix of %zu bytes refused without a reason", n);
}

/* ---- strictness ------------------------------------------------------- */

/* Texts that say the same thing as may1994 in another spelling.  cert.h:
 * "Parse a certificate's bytes (strict: the exact form cert_format writes)"
 * and "cert_format and cert_parse are inverses": each must be refused, or
 * else format back to exactly itself, which none of these can. */
static const struct mutation respelled[] = {
	{ "content hash in capitals", "0a0b0c0d0e0f", R("0A0B0C0D0E0F"), NULL },
	{ "signer key in capitals", "d75a9801", R("D75A9801"), NULL },
	{ "signature in capitals", "e5564300c3", R("E5564300C3"), NULL },
	{ "release time with +00:00", "14:00:00Z", R("14:00:00+00:00"), NULL },
	{ "release time with +0400", "released-at: 1994-05-11T14:00:00Z",
	    R("released-at: 1994-05-11T18:00:00+0400"), NULL },
	{ "release time without seconds", "14:00:00Z", R("14:00Z"), NULL },
	{ "release time with a space for the T", "1994-05-11T14:00:00Z",
	    R("1994-05-11 14:00:00Z"), NULL },
	{ "signing time with an offset", "1994-05-09T10:00:00Z",
	    R("1994-05-09T14:00:00+04:00"), NULL },
	{ "two spaces between parties", "baku yerevan", R("baku  yerevan"), NULL },
	{ "trailing space after observers", "observers: minsk\n", R("observers: minsk \n"),
	    NULL },
	{ "two spaces in a copy line", "copy: baku - ", R("copy: baku  - "), NULL },
	{ "trailing space in a copy line", " 1994-05-09T10:00:00Z\n",
	    R(" 1994-05-09T10:00:00Z \n"), NULL },
};

static void
test_parse_is_strict(void **state)
{
	struct cert c;
	char *text, *again, err[256];
	size_t i, n, accepted = 0;
	char names[2048] = "";

	(void)state;
	for (i = 0; i < LEN(respelled); i++) {
		apply(&respelled[i], &text, &n);
		if (parse(text, n, &c, err, sizeof(err)) == 0) {
			assert_non_null(again = cert_format(&c));
			if (strlen(again) != n || memcmp(again, text, n) != 0) {
				accepted++;
				strncat(names, "\n  ", sizeof(names) - strlen(names) - 1);
				strncat(names, respelled[i].name,
				    sizeof(names) - strlen(names) - 1);
			}
			free(again);
		}
		free(text);
	}
	if (accepted)
		fail_msg("cert_parse accepted %zu spellings that cert_format never "
		    "writes:%s", accepted, names);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_text),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_limits),
		cmocka_unit_test(test_parse_failures),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_parse_is_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
