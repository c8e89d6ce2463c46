/* The frame codec (proto/frame.h): the length prefix, pack/unpack round
 * trips, truncated and corrupted bodies, hand-written garbage, the
 * canonical-encoding and UTF-8 checks, the decode budget, and the schema's
 * acyclicity.
 *
 * Every hand-written byte string below was encoded by hand from the wire
 * format (tag = field number << 3 | wire type) and parley.proto; none of it
 * comes from the code under test.  Buffers handed to the decoder are always
 * exact-size heap copies, so ASan sees any read past their end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
/* A string literal and its length, NULs included. */
#define BYTES(s) s, sizeof(s) - 1

/* ---- helpers ---------------------------------------------------------- */

/* Pack f with frame_pack and return its body, without the prefix, in an
 * exact-size malloc'd buffer. */
static uint8_t *
pack_body(const Parley__Frame *f, size_t *len)
{
	uint8_t *buf, *body;
	size_t n;
	uint32_t blen;

	assert_int_equal(frame_pack(f, FRAME_DEFAULT_MAX, &buf, &n), 0);
	assert_true(n > FRAME_HDR_LEN);
	assert_int_equal(frame_check_len(buf, FRAME_DEFAULT_MAX, &blen), 0);
	assert_int_equal(blen, n - FRAME_HDR_LEN);
	assert_int_equal(blen, parley__frame__get_packed_size(f));
	assert_non_null(body = malloc(blen));
	memcpy(body, buf + FRAME_HDR_LEN, blen);
	free(buf);
	*len = blen;
	return body;
}

/* Decode p[0..n) from an exact-size copy that is freed before returning, so
 * that the result must not point into the input. */
static Parley__Frame *
decode(const void *p, size_t n, struct frame_budget *b, size_t limit, char *err,
    size_t errlen)
{
	uint8_t *copy;
	Parley__Frame *f;

	assert_non_null(copy = malloc(n ? n : 1));
	if (n)
		memcpy(copy, p, n);
	frame_budget_init(b, limit);
	err[0] = '\0';
	f = frame_unpack(copy, n, b, err, errlen);
	free(copy);
	return f;
}

static Parley__Payload *
decode_payload(const void *p, size_t n, struct frame_budget *b, char *err,
    size_t errlen)
{
	uint8_t *copy;
	Parley__Payload *pl;

	assert_non_null(copy = malloc(n ? n : 1));
	if (n)
		memcpy(copy, p, n);
	frame_budget_init(b, FRAME_DEFAULT_BUDGET);
	err[0] = '\0';
	pl = frame_unpack_payload(copy, n, b, err, errlen);
	free(copy);
	return pl;
}

/* The property every decode must have, whatever the input: either a
 * refusal with a reason and nothing left allocated, or a frame that re-packs
 * to exactly the input's length and gives all its memory back when freed. */
static int
decode_is_clean(const uint8_t *p, size_t n)
{
	struct frame_budget b;
	char err[256];
	Parley__Frame *f;
	int ok;

	f = decode(p, n, &b, FRAME_DEFAULT_BUDGET, err, sizeof(err));
	if (f == NULL) {
		if (err[0] == '\0')
			fail_msg("refused %zu bytes without a reason", n);
		if (b.used != 0)
			fail_msg("refusal of %zu bytes leaked %zu budget bytes", n, b.used);
		return 0;
	}
	ok = parley__frame__get_packed_size(f) == n;
	if (!ok)
		fail_msg("accepted %zu bytes that re-pack to %zu", n,
		    parley__frame__get_packed_size(f));
	(void)frame_body_name(f);
	frame_free(f, &b);
	if (b.used != 0)
		fail_msg("freeing a frame of %zu bytes left %zu budget bytes", n, b.used);
	return 1;
}

/* ---- frame_check_len and frame_pack ----------------------------------- */

static const struct {
	uint8_t hdr[FRAME_HDR_LEN];
	size_t max;
	int rc;
	uint32_t len;
} len_cases[] = {
	{ { 0, 0, 0, 0 }, FRAME_DEFAULT_MAX, -1, 0 },		/* zero */
	{ { 0, 0, 0, 0 }, SIZE_MAX, -1, 0 },			/* zero, any max */
	{ { 0, 0, 0, 1 }, FRAME_DEFAULT_MAX, 0, 1 },
	{ { 0, 0, 0, 2 }, FRAME_DEFAULT_MAX, 0, 2 },
	{ { 0, 0, 1, 0 }, FRAME_DEFAULT_MAX, 0, 256 },
	{ { 0, 0, 0x10, 0 }, FRAME_DEFAULT_MAX, 0, 4096 },
	{ { 0, 0x10, 0, 0 }, FRAME_DEFAULT_MAX, 0, 1048576 },	/* exactly max */
	{ { 0, 0x10, 0, 1 }, FRAME_DEFAULT_MAX, -1, 0 },	/* max + 1 */
	{ { 0, 0x0f, 0xff, 0xff }, FRAME_DEFAULT_MAX, 0, 1048575 },
	{ { 0x01, 0, 0, 0 }, FRAME_DEFAULT_MAX, -1, 0 },
	{ { 0xff, 0xff, 0xff, 0xff }, FRAME_DEFAULT_MAX, -1, 0 },
	{ { 0, 0, 0, 5 }, 4, -1, 0 },
	{ { 0, 0, 0, 5 }, 5, 0, 5 },
	{ { 0, 0, 0, 1 }, 1, 0, 1 },
	{ { 0, 0, 0, 1 }, 0, -1, 0 },
	{ { 0x01, 0x02, 0x03, 0x04 }, UINT32_MAX, 0, 0x01020304 },	/* big-endian */
	{ { 0x80, 0, 0, 0 }, SIZE_MAX, 0, 0x80000000u },	/* no sign trouble */
	{ { 0xff, 0xff, 0xff, 0xff }, UINT32_MAX, 0, 0xffffffffu },
	{ { 0xff, 0xff, 0xff, 0xff }, (size_t)UINT32_MAX - 1, -1, 0 },
};

static void
test_check_len(void **state)
{
	size_t i;
	uint32_t len;
	int rc;

	(void)state;
	for (i = 0; i < LEN(len_cases); i++) {
		len = 0xdeadbeef;
		rc = frame_check_len(len_cases[i].hdr, len_cases[i].max, &len);
		if (rc != len_cases[i].rc)
			fail_msg("case %zu: rc %d, expected %d", i, rc, len_cases[i].rc);
		if (rc == 0 && len != len_cases[i].len)
			fail_msg("case %zu: len %u, expected %u", i, len, len_cases[i].len);
	}
}

static void
test_pack_limits(void **state)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__Hello h = PARLEY__HELLO__INIT;
	uint8_t *buf = NULL;
	size_t n, outlen;

	(void)state;
	/* An empty Frame packs to nothing: there is no frame to send. */
	assert_int_equal(frame_pack(&f, FRAME_DEFAULT_MAX, &buf, &outlen), -1);

	h.version = 1;
	h.agent = "parley";
	f.id = 300;
	f.body_case = PARLEY__FRAME__BODY_HELLO;
	f.hello = &h;
	n = parley__frame__get_packed_size(&f);
	assert_int_equal(n, 3 + 2 + 2 + 2 + 6);	/* id(3) hello hdr(2) version(2) agent */
	assert_int_equal(frame_pack(&f, n - 1, &buf, &outlen), -1);
	assert_int_equal(frame_pack(&f, n, &buf, &outlen), 0);
	assert_int_equal(outlen, n + FRAME_HDR_LEN);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 0);
	assert_int_equal(buf[2], 0);
	assert_int_equal(buf[3], n);
	assert_memory_equal(buf + FRAME_HDR_LEN,
	    "\x08\xac\x02" "\x12\x0a" "\x08\x01" "\x12\x06" "parley", n);
	free(buf);
}

/* ---- round trips ------------------------------------------------------ */

static const uint8_t hash32[32] = {
	0x00, 0x01, 0x02, 0x00, 0xff, 0xfe, 0x80, 0x7f, 0x10, 0x20, 0x30, 0x40,
	0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0, 0x00,
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x00,
};
static uint8_t key32[32], sig64[64];
static uint8_t payload_buf[256];

static void
fill_keys(void)
{
	size_t i;

	for (i = 0; i < sizeof(key32); i++)
		key32[i] = (uint8_t)(0xa0 + i);
	for (i = 0; i < sizeof(sig64); i++)
		sig64[i] = (uint8_t)(i * 7);
	sig64[10] = 0;
}

static void
build_hello(Parley__Frame *f)
{
	static Parley__Hello h;

	parley__hello__init(&h);
	h.version = 1;
	h.agent = "parley/0.1 (Հայաստան, Azərbaycan)";
	f->id = 1;
	f->body_case = PARLEY__FRAME__BODY_HELLO;
	f->hello = &h;
}

static void
check_hello(const Parley__Frame *f)
{
	assert_int_equal(f->id, 1);
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_HELLO);
	assert_int_equal(f->hello->version, 1);
	assert_string_equal(f->hello->agent, "parley/0.1 (Հայաստան, Azərbaycan)");
}

static void
build_sign(Parley__Frame *f)
{
	static Parley__SignRequest s;

	fill_keys();
	parley__sign_request__init(&s);
	s.agreement = 12;
	s.revision = 2;
	s.content_hash.data = (uint8_t *)hash32;
	s.content_hash.len = sizeof(hash32);
	s.party = "baku";
	s.role = "minister";
	s.signer_key.data = key32;
	s.signer_key.len = sizeof(key32);
	s.signature.data = sig64;
	s.signature.len = sizeof(sig64);
	f->id = UINT64_MAX;
	f->body_case = PARLEY__FRAME__BODY_SIGN;
	f->sign = &s;
}

static void
check_sign(const Parley__Frame *f)
{
	const Parley__SignRequest *s = f->sign;

	assert_true(f->id == UINT64_MAX);
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_SIGN);
	assert_int_equal(s->agreement, 12);
	assert_int_equal(s->revision, 2);
	assert_int_equal(s->content_hash.len, 32);
	assert_memory_equal(s->content_hash.data, hash32, 32);
	assert_string_equal(s->party, "baku");
	assert_string_equal(s->role, "minister");
	assert_int_equal(s->signer_key.len, 32);
	assert_memory_equal(s->signer_key.data, key32, 32);
	assert_int_equal(s->signature.len, 64);
	assert_memory_equal(s->signature.data, sig64, 64);
	assert_string_equal(s->text, "");
}

static void
build_admin(Parley__Frame *f)
{
	static Parley__AdminRequest r;
	static Parley__AdminArg a[4];
	static Parley__AdminArg *ap[4];
	size_t i;

	parley__admin_request__init(&r);
	for (i = 0; i < LEN(a); i++) {
		parley__admin_arg__init(&a[i]);
		ap[i] = &a[i];
	}
	r.verb = "agreement create";
	a[0].key = "title";
	a[0].value.data = (uint8_t *)"Ceasefire";
	a[0].value.len = 9;
	a[1].key = "parties";
	a[1].value.data = (uint8_t *)"baku,yerevan,stepanakert";
	a[1].value.len = 24;
	a[2].key = "text";	/* bytes: NUL and invalid UTF-8 are fine here */
	a[2].value.data = (uint8_t *)"a\0\xff\xfe";
	a[2].value.len = 4;
	/* a[3]: all defaults, packs as an empty message */
	r.n_args = LEN(a);
	r.args = ap;
	f->id = 7;
	f->body_case = PARLEY__FRAME__BODY_ADMIN;
	f->admin = &r;
}

static void
check_admin(const Parley__Frame *f)
{
	const Parley__AdminRequest *r = f->admin;

	assert_int_equal(f->id, 7);
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_ADMIN);
	assert_string_equal(r->verb, "agreement create");
	assert_int_equal(r->n_args, 4);
	assert_string_equal(r->args[0]->key, "title");
	assert_int_equal(r->args[0]->value.len, 9);
	assert_memory_equal(r->args[0]->value.data, "Ceasefire", 9);
	assert_string_equal(r->args[1]->key, "parties");
	assert_memory_equal(r->args[1]->value.data, "baku,yerevan,stepanakert", 24);
	assert_string_equal(r->args[2]->key, "text");
	assert_int_equal(r->args[2]->value.len, 4);
	assert_memory_equal(r->args[2]->value.data, "a\0\xff\xfe", 4);
	assert_string_equal(r->args[3]->key, "");
	assert_int_equal(r->args[3]->value.len, 0);
}

static size_t payload_len;

static void
build_delivery(Parley__Frame *f)
{
	static Parley__Delivery d;
	static Parley__Payload p;
	static Parley__Notice n;

	parley__notice__init(&n);
	n.text = "the agreement is in force";
	parley__payload__init(&p);
	p.body_case = PARLEY__PAYLOAD__BODY_NOTICE;
	p.notice = &n;
	payload_len = parley__payload__get_packed_size(&p);
	assert_true(payload_len <= sizeof(payload_buf));
	assert_int_equal(parley__payload__pack(&p, payload_buf), payload_len);

	parley__delivery__init(&d);
	d.delivery_id = 42;
	d.created_at = -1;	/* a negative int64 is a 10-byte varint */
	d.payload.data = payload_buf;
	d.payload.len = payload_len;
	f->id = 0;
	f->body_case = PARLEY__FRAME__BODY_DELIVERY;
	f->delivery = &d;
}

static void
check_delivery(const Parley__Frame *f)
{
	const Parley__Delivery *d = f->delivery;
	struct frame_budget b;
	Parley__Payload *p;
	char err[256];

	assert_int_equal(f->id, 0);
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_DELIVERY);
	assert_int_equal(d->delivery_id, 42);
	assert_int_equal(d->created_at, -1);
	assert_int_equal(d->payload.len, payload_len);
	assert_memory_equal(d->payload.data, payload_buf, payload_len);
	p = decode_payload(d->payload.data, d->payload.len, &b, err, sizeof(err));
	if (p == NULL)
		fail_msg("payload refused: %s", err);
	assert_int_equal(p->body_case, PARLEY__PAYLOAD__BODY_NOTICE);
	assert_string_equal(p->notice->text, "the agreement is in force");
	frame_free_payload(p, &b);
	assert_int_equal(b.used, 0);
}

static void
build_bundle(Parley__Frame *f)
{
	static Parley__Bundle bu;
	static Parley__AgreementText t;
	static Parley__SignedCopy c[2];
	static Parley__SignedCopy *cp[2];
	static char *parties[3], *observers[1];
	size_t i;

	fill_keys();
	parties[0] = "baku";	/* reset: the UTF-8 cases change them */
	parties[1] = "yerevan";
	parties[2] = "stepanakert";
	observers[0] = "minsk";
	parley__agreement_text__init(&t);
	t.agreement = 12;
	t.revision = 2;
	t.title = "Ceasefire agreement";
	t.text = "1. Cease fire at 00:01 on May 12, 1994.\n";
	t.effective = "1994-05-12T00:01:00+04:00";
	t.content_hash.data = (uint8_t *)hash32;
	t.content_hash.len = 32;
	t.n_parties = LEN(parties);
	t.parties = parties;
	t.n_observers = LEN(observers);
	t.observers = observers;
	t.state = "in_force";
	for (i = 0; i < LEN(c); i++) {
		parley__signed_copy__init(&c[i]);
		c[i].party = parties[i];
		c[i].revision = 2;
		c[i].content_hash.data = (uint8_t *)hash32;
		c[i].content_hash.len = 32;
		c[i].signer_key.data = key32;
		c[i].signer_key.len = 32;
		c[i].signature.data = sig64;
		c[i].signature.len = 64;
		c[i].signed_at = 768528000 + (int64_t)i;
		cp[i] = &c[i];
	}
	c[1].role = "defence-minister";
	parley__bundle__init(&bu);
	bu.text = &t;
	bu.n_copies = LEN(c);
	bu.copies = cp;
	bu.certificate.data = (uint8_t *)"parley release certificate v1\n";
	bu.certificate.len = 30;
	f->id = 99;
	f->body_case = PARLEY__FRAME__BODY_BUNDLE;
	f->bundle = &bu;
}

static void
check_bundle(const Parley__Frame *f)
{
	const Parley__Bundle *bu = f->bundle;

	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_BUNDLE);
	assert_non_null(bu->text);
	assert_string_equal(bu->text->title, "Ceasefire agreement");
	assert_int_equal(bu->text->n_parties, 3);
	assert_string_equal(bu->text->parties[2], "stepanakert");
	assert_int_equal(bu->text->n_observers, 1);
	assert_string_equal(bu->text->observers[0], "minsk");
	assert_string_equal(bu->text->validity, "");
	assert_int_equal(bu->n_copies, 2);
	assert_string_equal(bu->copies[0]->role, "");
	assert_string_equal(bu->copies[1]->role, "defence-minister");
	assert_int_equal(bu->copies[1]->signed_at, 768528001);
	assert_int_equal(bu->certificate_sig.len, 0);
}

static void
build_status_reply(Parley__Frame *f)
{
	static Parley__StatusReply r;
	static Parley__PartyStatus ps[2];
	static Parley__PartyStatus *pp[2];

	parley__status_reply__init(&r);
	parley__party_status__init(&ps[0]);
	parley__party_status__init(&ps[1]);
	ps[0].party = "yerevan";
	ps[0].signed_ = 1;
	ps[1].party = "baku";
	pp[0] = &ps[0];
	pp[1] = &ps[1];
	r.agreement = 3;
	r.revision = 1;
	r.state = "circulating";
	r.n_parties = 2;
	r.parties = pp;
	f->id = 5;
	f->body_case = PARLEY__FRAME__BODY_STATUS_REPLY;
	f->status_reply = &r;
}

static void
check_status_reply(const Parley__Frame *f)
{
	const Parley__StatusReply *r = f->status_reply;

	assert_int_equal(r->n_parties, 2);
	assert_string_equal(r->parties[0]->party, "yerevan");
	assert_true(r->parties[0]->signed_);
	assert_false(r->parties[1]->signed_);
	assert_string_equal(r->state, "circulating");
}

static void
build_fetch(Parley__Frame *f)
{
	static Parley__Fetch x;

	parley__fetch__init(&x);
	f->id = 2;
	f->body_case = PARLEY__FRAME__BODY_FETCH;
	f->fetch = &x;
}

static void
check_fetch(const Parley__Frame *f)
{
	assert_int_equal(f->id, 2);
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_FETCH);
	assert_non_null(f->fetch);
}

static void
build_error(Parley__Frame *f)
{
	static Parley__Error e;

	parley__error__init(&e);
	e.code = 3;
	e.message = "copy is not identical: line 3 differs";
	f->id = 8;
	f->body_case = PARLEY__FRAME__BODY_ERROR;
	f->error = &e;
}

static void
check_error(const Parley__Frame *f)
{
	assert_int_equal(f->error->code, 3);
	assert_string_equal(f->error->message, "copy is not identical: line 3 differs");
}

static const struct rt_case {
	const char *body_name;
	void (*build)(Parley__Frame *);
	void (*check)(const Parley__Frame *);
} rt_cases[] = {
	{ "hello", build_hello, check_hello },
	{ "sign", build_sign, check_sign },
	{ "admin", build_admin, check_admin },
	{ "delivery", build_delivery, check_delivery },
	{ "bundle", build_bundle, check_bundle },
	{ "status_reply", build_status_reply, check_status_reply },
	{ "fetch", build_fetch, check_fetch },
	{ "error", build_error, check_error },
};

static void
test_round_trip(void **state)
{
	struct frame_budget b;
	char err[256];
	size_t i, n;
	uint8_t *body, *again;
	Parley__Frame f, *d;

	(void)state;
	for (i = 0; i < LEN(rt_cases); i++) {
		parley__frame__init(&f);
		rt_cases[i].build(&f);
		assert_string_equal(frame_body_name(&f), rt_cases[i].body_name);
		body = pack_body(&f, &n);
		d = decode(body, n, &b, FRAME_DEFAULT_BUDGET, err, sizeof(err));
		if (d == NULL)
			fail_msg("%s: refused: %s", rt_cases[i].body_name, err);
		rt_cases[i].check(d);
		assert_string_equal(frame_body_name(d), rt_cases[i].body_name);
		/* and the decoded frame packs to the very same bytes */
		assert_int_equal(parley__frame__get_packed_size(d), n);
		assert_non_null(again = malloc(n));
		assert_int_equal(parley__frame__pack(d, again), n);
		assert_memory_equal(again, body, n);
		free(again);
		assert_true(b.used > 0);
		frame_free(d, &b);
		assert_int_equal(b.used, 0);
		free(body);
	}
	parley__frame__init(&f);
	assert_string_equal(frame_body_name(&f), "empty");
	frame_free(NULL, &b);		/* harmless */
}

/* ---- truncated and corrupted bodies ----------------------------------- */

static void
test_truncated(void **state)
{
	size_t i, k, n, accepted;
	uint8_t *body;
	Parley__Frame f;

	(void)state;
	for (i = 0; i < LEN(rt_cases); i++) {
		parley__frame__init(&f);
		rt_cases[i].build(&f);
		body = pack_body(&f, &n);
		accepted = 0;
		for (k = 0; k < n; k++)
			accepted += (size_t)decode_is_clean(body, k);
		/* The whole frame is accepted; a prefix only where it happens
		 * to end between two complete top-level fields. */
		assert_true(decode_is_clean(body, n));
		assert_true(accepted < n);
		free(body);
	}
}

static void
test_corrupted(void **state)
{
	static const uint8_t flips[] = { 0x01, 0x02, 0x07, 0x40, 0x80, 0xff };
	size_t i, j, k, n;
	uint8_t *body;
	Parley__Frame f;

	(void)state;
	for (i = 0; i < LEN(rt_cases); i++) {
		parley__frame__init(&f);
		rt_cases[i].build(&f);
		body = pack_body(&f, &n);
		for (k = 0; k < n; k++)
			for (j = 0; j < LEN(flips); j++) {
				body[k] ^= flips[j];
				(void)decode_is_clean(body, n);
				body[k] ^= flips[j];
			}
		free(body);
	}
}

/* ---- hand-written garbage --------------------------------------------- */

static const struct byte_case {
	const char *name;
	const char *bytes;
	size_t len;
	int ok;			/* accepted? */
	const char *why;	/* substring of the refusal, or NULL */
} garbage_cases[] = {
	{ "wire type 7", BYTES("\x0f\x01"), 0, "malformed Frame" },
	{ "wire type 6", BYTES("\x0e\x01"), 0, "malformed Frame" },
	{ "wire type 3 (start group)", BYTES("\x0b\x0c"), 0, "malformed Frame" },
	{ "wire type 4 (end group) alone", BYTES("\x0c"), 0, "malformed Frame" },
	{ "field number 0", BYTES("\x00\x01"), 0, "malformed Frame" },
	{ "tag cut short", BYTES("\x80"), 0, "malformed Frame" },
	{ "varint of 11 bytes", BYTES("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),
	    0, "malformed Frame" },
	{ "varint cut short", BYTES("\x08\xff"), 0, "malformed Frame" },
	{ "varint above 64 bits (10th byte 0x02)",
	    BYTES("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"), 0, NULL },
	{ "varint of 10 bytes: UINT64_MAX", BYTES("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),
	    1, NULL },
	{ "length-delimited longer than the buffer", BYTES("\x12\x05\x08\x01"), 0,
	    "malformed Frame" },
	{ "length of 2^32-1", BYTES("\x12\xff\xff\xff\xff\x0f\x08\x01"), 0, "malformed Frame" },
	{ "length cut short", BYTES("\x12"), 0, "malformed Frame" },
	{ "nested string longer than its message", BYTES("\x12\x02\x12\x05" "abcde"), 0,
	    "malformed Frame" },
	{ "fixed64 cut short (unknown field 111)", BYTES("\xf9\x06\x01\x02"), 0,
	    "malformed Frame" },
	{ "fixed32 cut short (unknown field 111)", BYTES("\xfd\x06\x01"), 0, "malformed Frame" },
	{ "oneof Hello as a varint", BYTES("\x10\x01"), 0, "malformed Frame" },
	{ "oneof Hello as a fixed32", BYTES("\x15\x01\x02\x03\x04"), 0, "malformed Frame" },
	{ "oneof Sign as a varint", BYTES("\x08\x01\x60\x0c"), 0, "malformed Frame" },
	{ "id as length-delimited", BYTES("\x0a\x01\x01"), 0, "malformed Frame" },
	{ "id as fixed64", BYTES("\x09\x01\x00\x00\x00\x00\x00\x00\x00"), 0, "malformed Frame" },
	{ "Hello.version as length-delimited", BYTES("\x12\x03\x0a\x01\x01"), 0,
	    "malformed Frame" },
	{ "Hello.agent as a varint", BYTES("\x12\x02\x10\x01"), 0, "malformed Frame" },
	/* protobuf-c keeps unknown fields and packs them again, so a frame
	 * carrying one still re-packs to its own length: frame.h promises
	 * only that, so such frames are accepted (forward compatibility). */
	{ "unknown field 100 (varint)", BYTES("\x08\x01\xa0\x06\x01"), 1, NULL },
	{ "unknown field 100 before a known one", BYTES("\xa0\x06\x01\x08\x01"), 0, "not canonically" },
	{ "fields out of order", BYTES("\x12\x02\x08\x01\x08\x05"), 0, "not canonically" },
	{ "bool encoded as 2", BYTES("\x72\x02\x10\x02"), 0, "not canonically" },
	{ "unknown field 111 (fixed64)", BYTES("\x08\x01\xf9\x06\x01\x02\x03\x04\x05\x06\x07\x08"),
	    1, NULL },
	{ "unknown field 101 inside Hello", BYTES("\x12\x06\x08\x01\xaa\x06\x01\x00"), 1, NULL },
	{ "empty Hello", BYTES("\x12\x00"), 1, NULL },
	{ "id only", BYTES("\x08\x05"), 1, NULL },
};

static void
run_byte_cases(const struct byte_case *cases, size_t ncases)
{
	struct frame_budget b;
	char err[256];
	Parley__Frame *f;
	size_t i;

	for (i = 0; i < ncases; i++) {
		const struct byte_case *c = &cases[i];

		f = decode(c->bytes, c->len, &b, FRAME_DEFAULT_BUDGET, err, sizeof(err));
		if (c->ok && f == NULL)
			fail_msg("%s: refused: %s", c->name, err);
		if (!c->ok && f != NULL)
			fail_msg("%s: accepted", c->name);
		if (f != NULL) {
			assert_int_equal(parley__frame__get_packed_size(f), c->len);
			frame_free(f, &b);
		} else {
			if (err[0] == '\0')
				fail_msg("%s: refused without a reason", c->name);
			if (c->why != NULL && strstr(err, c->why) == NULL)
				fail_msg("%s: reason \"%s\" lacks \"%s\"", c->name, err, c->why);
		}
		if (b.used != 0)
			fail_msg("%s: %zu budget bytes left", c->name, b.used);
	}
}

static void
test_garbage(void **state)
{
	struct frame_budget b;
	char err[256];
	Parley__Frame *f;

	(void)state;
	run_byte_cases(garbage_cases, LEN(garbage_cases));

	/* what the accepted ones decode to */
	f = decode(BYTES("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), &b,
	    FRAME_DEFAULT_BUDGET, err, sizeof(err));
	assert_non_null(f);
	assert_true(f->id == UINT64_MAX);
	assert_string_equal(frame_body_name(f), "empty");
	frame_free(f, &b);
	f = decode(BYTES("\x12\x06\x08\x01\xaa\x06\x01\x00"), &b, FRAME_DEFAULT_BUDGET,
	    err, sizeof(err));
	assert_non_null(f);
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_HELLO);
	assert_int_equal(f->hello->version, 1);
	assert_string_equal(f->hello->agent, "");
	frame_free(f, &b);
	assert_int_equal(b.used, 0);
}

/* ---- non-canonical encodings ------------------------------------------ */

static const struct byte_case noncanon_cases[] = {
	/* Hello{version 1, agent "ab\0cd"}: the string decodes as "ab" */
	{ "Hello.agent with an embedded NUL", BYTES("\x12\x09\x08\x01\x12\x05" "ab\0cd"), 0,
	    "not canonically encoded" },
	{ "Hello.agent of a NUL alone", BYTES("\x12\x03\x12\x01\x00"), 0,
	    "not canonically encoded" },
	/* SignRequest{agreement 12, party "ba\0ku"} */
	{ "SignRequest.party with an embedded NUL", BYTES("\x62\x09\x08\x0c\x22\x05" "ba\0ku"),
	    0, "not canonically encoded" },
	{ "AgreementText.parties[1] with an embedded NUL",
	    BYTES("\x5a\x0b\x4a\x04" "baku" "\x4a\x03" "y\0e"), 0, "not canonically encoded" },
	{ "Frame.id twice", BYTES("\x08\x01\x08\x01\x12\x00"), 0, "not canonically encoded" },
	{ "Frame.id twice, the larger last", BYTES("\x08\x01\x08\xac\x02\x12\x00"), 0,
	    "not canonically encoded" },
	{ "Hello.version twice", BYTES("\x12\x04\x08\x01\x08\x01"), 0, "not canonically encoded" },
	{ "Hello.agent twice", BYTES("\x12\x06\x12\x01" "a" "\x12\x01" "b"), 0,
	    "not canonically encoded" },
	{ "two oneof members (Hello, then Welcome)", BYTES("\x12\x00\x1a\x00"), 0,
	    "not canonically encoded" },
	{ "Frame.id = 0 written out", BYTES("\x08\x00\x12\x00"), 0, "not canonically encoded" },
	{ "Frame.id = 0 alone", BYTES("\x08\x00"), 0, "not canonically encoded" },
	{ "Hello.version = 0 written out", BYTES("\x12\x02\x08\x00"), 0,
	    "not canonically encoded" },
	{ "Hello.agent = \"\" written out", BYTES("\x12\x02\x12\x00"), 0,
	    "not canonically encoded" },
	{ "SignRequest.content_hash empty written out", BYTES("\x62\x02\x1a\x00"), 0,
	    "not canonically encoded" },
	{ "Welcome.observer = false written out", BYTES("\x1a\x02\x20\x00"), 0,
	    "not canonically encoded" },
	{ "Delivery.created_at = 0 written out", BYTES("\x4a\x02\x10\x00"), 0,
	    "not canonically encoded" },
	{ "id 1 as a 2-byte varint", BYTES("\x08\x81\x00\x12\x00"), 0, "not canonically encoded" },
	{ "Hello length 0 as a 2-byte varint", BYTES("\x12\x80\x00"), 0,
	    "not canonically encoded" },
};

static void
test_noncanonical(void **state)
{
	(void)state;
	run_byte_cases(noncanon_cases, LEN(noncanon_cases));
}

/* ---- UTF-8 ------------------------------------------------------------ */

/* Each builder fills f with one invalid string somewhere; protobuf-c packs
 * strings without looking at them, so the encoder is the generated code. */
static char bad_utf8[32];

static void
utf8_hello(Parley__Frame *f)
{
	build_hello(f);
	f->hello->agent = bad_utf8;
}

static void
utf8_sign_party(Parley__Frame *f)
{
	build_sign(f);
	f->sign->party = bad_utf8;
}

static void
utf8_sign_role(Parley__Frame *f)
{
	build_sign(f);
	f->sign->role = bad_utf8;
}

static void
utf8_sign_text(Parley__Frame *f)
{
	build_sign(f);
	f->sign->text = bad_utf8;
}

static void
utf8_admin_key(Parley__Frame *f)
{
	build_admin(f);
	f->admin->args[1]->key = bad_utf8;
}

static void
utf8_admin_verb(Parley__Frame *f)
{
	build_admin(f);
	f->admin->verb = bad_utf8;
}

static void
utf8_bundle_title(Parley__Frame *f)
{
	build_bundle(f);
	f->bundle->text->title = bad_utf8;
}

static void
utf8_bundle_party(Parley__Frame *f)
{
	static char *parties[3];

	build_bundle(f);
	parties[0] = f->bundle->text->parties[0];
	parties[1] = bad_utf8;		/* the second of a repeated string */
	parties[2] = f->bundle->text->parties[2];
	f->bundle->text->parties = parties;
}

static void
utf8_bundle_copy(Parley__Frame *f)
{
	build_bundle(f);
	f->bundle->copies[1]->party = bad_utf8;	/* Frame.bundle.copies[1].party */
}

static void
utf8_admin_reply_bundle(Parley__Frame *f)
{
	static Parley__AdminReply r;
	Parley__Frame inner;

	parley__frame__init(&inner);
	build_bundle(&inner);
	inner.bundle->text->observers[0] = bad_utf8;	/* three levels down */
	parley__admin_reply__init(&r);
	r.text = "exported";
	r.bundle = inner.bundle;
	f->id = 4;
	f->body_case = PARLEY__FRAME__BODY_ADMIN_REPLY;
	f->admin_reply = &r;
}

static void
utf8_error(Parley__Frame *f)
{
	build_error(f);
	f->error->message = bad_utf8;
}

static const struct {
	const char *bad;
	void (*build)(Parley__Frame *);
	const char *field;
} utf8_cases[] = {
	{ "\xc0\xaf", utf8_hello, "Hello.agent" },		/* overlong '/' */
	{ "ok\xed\xa0\x80", utf8_hello, "Hello.agent" },	/* surrogate */
	{ "\xf4\x90\x80\x80", utf8_hello, "Hello.agent" },	/* above U+10FFFF */
	{ "abc\xe2\x82", utf8_hello, "Hello.agent" },		/* cut short */
	{ "\xff", utf8_sign_party, "SignRequest.party" },
	{ "bak\xc3", utf8_sign_party, "SignRequest.party" },
	{ "\x80", utf8_sign_role, "SignRequest.role" },
	{ "text \xfe", utf8_sign_text, "SignRequest.text" },
	{ "\xc3(", utf8_admin_key, "AdminArg.key" },
	{ "agreement \xe0\x80\xaf", utf8_admin_verb, "AdminRequest.verb" },
	{ "Cease\xf5\x80\x80\x80", utf8_bundle_title, "AgreementText.title" },
	{ "yer\xbfvan", utf8_bundle_party, "AgreementText.parties" },
	{ "\xed\xbf\xbf", utf8_bundle_copy, "SignedCopy.party" },
	{ "min\xf0\x9f\x98", utf8_admin_reply_bundle, "AgreementText.observers" },
	{ "\xc1\xbf", utf8_error, "Error.message" },
};

static void
test_utf8(void **state)
{
	struct frame_budget b;
	char err[256];
	size_t i, n;
	uint8_t *body;
	Parley__Frame f, *d;

	(void)state;
	for (i = 0; i < LEN(utf8_cases); i++) {
		snprintf(bad_utf8, sizeof(bad_utf8), "%s", utf8_cases[i].bad);
		parley__frame__init(&f);
		utf8_cases[i].build(&f);
		body = pack_body(&f, &n);
		d = decode(body, n, &b, FRAME_DEFAULT_BUDGET, err, sizeof(err));
		if (d != NULL)
			fail_msg("case %zu (%s): accepted", i, utf8_cases[i].field);
		if (strstr(err, "not valid UTF-8") == NULL ||
		    strstr(err, utf8_cases[i].field) == NULL)
			fail_msg("case %zu: reason \"%s\" should name %s", i, err,
			    utf8_cases[i].field);
		assert_int_equal(b.used, 0);
		free(body);
	}
}

/* ---- the decode budget ------------------------------------------------ */

/* An AdminRequest with nargs empty args: 2 bytes each on the wire, one
 * AdminArg and one pointer each once decoded. */
static uint8_t *
many_args(size_t nargs, size_t *len)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__AdminRequest r = PARLEY__ADMIN_REQUEST__INIT;
	Parley__AdminArg *a, **ap;
	uint8_t *body;
	size_t i;

	assert_non_null(a = calloc(nargs, sizeof(*a)));
	assert_non_null(ap = calloc(nargs, sizeof(*ap)));
	for (i = 0; i < nargs; i++) {
		parley__admin_arg__init(&a[i]);
		ap[i] = &a[i];
	}
	r.verb = "status";
	r.n_args = nargs;
	r.args = ap;
	f.id = 1;
	f.body_case = PARLEY__FRAME__BODY_ADMIN;
	f.admin = &r;
	body = pack_body(&f, len);
	free(a);
	free(ap);
	return body;
}

static void
test_budget(void **state)
{
	struct frame_budget b;
	char err[256];
	size_t n;
	uint8_t *body;
	Parley__Frame *f;

	(void)state;
	body = many_args(1000, &n);
	assert_true(n < 2100);		/* a small frame ... */

	f = decode(body, n, &b, 16384, err, sizeof(err));
	assert_null(f);			/* ... that decodes to far more */
	if (strstr(err, "allowed 16384 bytes") == NULL)
		fail_msg("reason \"%s\" does not name the budget", err);
	assert_true(b.exhausted);
	assert_int_equal(b.used, 0);	/* everything given back */

	f = decode(body, n, &b, FRAME_DEFAULT_BUDGET, err, sizeof(err));
	if (f == NULL)
		fail_msg("refused with the default budget: %s", err);
	assert_int_equal(f->admin->n_args, 1000);
	assert_string_equal(f->admin->args[999]->key, "");
	assert_true(b.used > 16384);
	assert_false(b.exhausted);
	frame_free(f, &b);
	assert_int_equal(b.used, 0);
	free(body);
}

/* Every budget from 0 up to what a frame needs: each refusal must give back
 * everything protobuf-c had allocated before running out, and the frame
 * must decode exactly when the budget covers it. */
static void
test_budget_sweep(void **state)
{
	struct frame_budget b;
	char err[256];
	size_t i, n, need, limit;
	uint8_t *body;
	Parley__Frame fr, *f;

	(void)state;
	for (i = 0; i < LEN(rt_cases); i++) {
		parley__frame__init(&fr);
		rt_cases[i].build(&fr);
		body = pack_body(&fr, &n);
		f = decode(body, n, &b, FRAME_DEFAULT_BUDGET, err, sizeof(err));
		assert_non_null(f);
		need = b.used;
		frame_free(f, &b);
		for (limit = 0; limit <= need; limit++) {
			f = decode(body, n, &b, limit, err, sizeof(err));
			if (limit < need) {
				if (f != NULL)
					fail_msg("%s: decoded within %zu of %zu bytes",
					    rt_cases[i].body_name, limit, need);
				if (strstr(err, "allowed") == NULL)
					fail_msg("%s at %zu: reason \"%s\"",
					    rt_cases[i].body_name, limit, err);
				if (b.used != 0)
					fail_msg("%s: budget %zu: %zu bytes leaked",
					    rt_cases[i].body_name, limit, b.used);
			} else {
				if (f == NULL)
					fail_msg("%s: refused with exactly %zu: %s",
					    rt_cases[i].body_name, need, err);
				frame_free(f, &b);
				assert_int_equal(b.used, 0);
			}
		}
		free(body);
	}
}

/* ---- the schema ------------------------------------------------------- */

#define MAX_DESCRIPTORS 128

static void
walk(const ProtobufCMessageDescriptor *d, const ProtobufCMessageDescriptor **seen,
    size_t *nseen)
{
	size_t i;

	for (i = 0; i < *nseen; i++)
		if (seen[i] == d)
			return;
	assert_true(*nseen < MAX_DESCRIPTORS);
	assert_int_equal(d->magic, PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
	seen[(*nseen)++] = d;
	if (frame_descriptor_is_recursive(d))
		fail_msg("message %s can contain itself", d->name);
	for (i = 0; i < d->n_fields; i++)
		if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE)
			walk(d->fields[i].descriptor, seen, nseen);
}

static int
seen_has(const ProtobufCMessageDescriptor **seen, size_t nseen,
    const ProtobufCMessageDescriptor *d)
{
	size_t i;

	for (i = 0; i < nseen; i++)
		if (seen[i] == d)
			return 1;
	return 0;
}

static void
test_schema_acyclic(void **state)
{
	const ProtobufCMessageDescriptor *seen[MAX_DESCRIPTORS];
	size_t nseen = 0;

	(void)state;
	walk(&parley__frame__descriptor, seen, &nseen);
	walk(&parley__payload__descriptor, seen, &nseen);
	/* all 28 message types of parley.proto are reachable from the two */
	assert_true(nseen >= 28);
	assert_true(seen_has(seen, nseen, &parley__admin_arg__descriptor));
	assert_true(seen_has(seen, nseen, &parley__party_status__descriptor));
	assert_true(seen_has(seen, nseen, &parley__signed_copy__descriptor));
	assert_true(seen_has(seen, nseen, &parley__amendment__descriptor));
	assert_true(seen_has(seen, nseen, &parley__update__descriptor));
}

/* Hand-built descriptors: only the fields frame_descriptor_is_recursive
 * reads (n_fields, fields[].type, fields[].descriptor) matter. */
#define FAKE_FIELD(fname, lbl, typ, desc) \
	{ fname, 1, lbl, typ, 0, 0, desc, NULL, 0, 0, NULL, NULL }
#define FAKE_MSG(mname, nf, f) \
	{ PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, mname, mname, mname, "", 0, nf, f, \
	  NULL, 0, NULL, NULL, NULL, NULL, NULL }

static const ProtobufCMessageDescriptor self_msg, self_rep_msg, ping_msg, pong_msg;
static const ProtobufCMessageDescriptor leaf_msg, mid_msg, top_msg, scalar_msg;

static const ProtobufCFieldDescriptor self_fields[] = {
	FAKE_FIELD("n", PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_UINT32, NULL),
	FAKE_FIELD("self", PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_MESSAGE, &self_msg),
};
static const ProtobufCMessageDescriptor self_msg = FAKE_MSG("Self", 2, self_fields);

static const ProtobufCFieldDescriptor self_rep_fields[] = {
	FAKE_FIELD("children", PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_MESSAGE,
	    &self_rep_msg),
};
static const ProtobufCMessageDescriptor self_rep_msg = FAKE_MSG("Tree", 1, self_rep_fields);

static const ProtobufCFieldDescriptor ping_fields[] = {
	FAKE_FIELD("pong", PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_MESSAGE, &pong_msg),
};
static const ProtobufCMessageDescriptor ping_msg = FAKE_MSG("Ping", 1, ping_fields);
static const ProtobufCFieldDescriptor pong_fields[] = {
	FAKE_FIELD("s", PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_STRING, NULL),
	FAKE_FIELD("ping", PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_MESSAGE, &ping_msg),
};
static const ProtobufCMessageDescriptor pong_msg = FAKE_MSG("Pong", 2, pong_fields);

static const ProtobufCFieldDescriptor scalar_fields[] = {
	FAKE_FIELD("a", PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_UINT64, NULL),
	FAKE_FIELD("b", PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_BYTES, NULL),
};
static const ProtobufCMessageDescriptor scalar_msg = FAKE_MSG("Scalar", 2, scalar_fields);
static const ProtobufCMessageDescriptor leaf_msg = FAKE_MSG("Leaf", 0, NULL);
static const ProtobufCFieldDescriptor mid_fields[] = {
	FAKE_FIELD("leaf", PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_MESSAGE, &leaf_msg),
	FAKE_FIELD("scalar", PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_MESSAGE, &scalar_msg),
};
static const ProtobufCMessageDescriptor mid_msg = FAKE_MSG("Mid", 2, mid_fields);
/* a diamond: Top reaches Leaf twice, and no cycle */
static const ProtobufCFieldDescriptor top_fields[] = {
	FAKE_FIELD("mid", PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_MESSAGE, &mid_msg),
	FAKE_FIELD("leaf", PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_MESSAGE, &leaf_msg),
	FAKE_FIELD("mid2", PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_MESSAGE, &mid_msg),
};
static const ProtobufCMessageDescriptor top_msg = FAKE_MSG("Top", 3, top_fields);

static const struct {
	const ProtobufCMessageDescriptor *d;
	int recursive;
} fake_cases[] = {
	{ &self_msg, 1 },	/* contains itself directly */
	{ &self_rep_msg, 1 },	/* through a repeated field */
	{ &ping_msg, 1 },	/* through another message */
	{ &pong_msg, 1 },
	{ &leaf_msg, 0 },
	{ &scalar_msg, 0 },
	{ &mid_msg, 0 },
	{ &top_msg, 0 },
};

static void
test_recursive_descriptor(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(fake_cases); i++)
		if (frame_descriptor_is_recursive(fake_cases[i].d) != fake_cases[i].recursive)
			fail_msg("%s: expected %d", fake_cases[i].d->name,
			    fake_cases[i].recursive);
}

/* ---- payloads --------------------------------------------------------- */

static void
test_payload(void **state)
{
	struct frame_budget b;
	char err[256];
	uint8_t buf[512];
	size_t n, k;
	Parley__Payload p = PARLEY__PAYLOAD__INIT, *d;
	Parley__AgreementText t = PARLEY__AGREEMENT_TEXT__INIT;
	Parley__Notice no = PARLEY__NOTICE__INIT;
	static char *parties[] = { "baku", "yerevan" };

	(void)state;
	t.agreement = 12;
	t.revision = 1;
	t.title = "Bishkek protocol";
	t.text = "Բիշքեկ\n";
	t.n_parties = 2;
	t.parties = parties;
	p.body_case = PARLEY__PAYLOAD__BODY_CIRCULATED;
	p.circulated = &t;
	n = parley__payload__get_packed_size(&p);
	assert_true(n <= sizeof(buf));
	parley__payload__pack(&p, buf);

	d = decode_payload(buf, n, &b, err, sizeof(err));
	if (d == NULL)
		fail_msg("refused: %s", err);
	assert_int_equal(d->body_case, PARLEY__PAYLOAD__BODY_CIRCULATED);
	assert_string_equal(d->circulated->title, "Bishkek protocol");
	assert_string_equal(d->circulated->text, "Բիշքեկ\n");
	assert_int_equal(d->circulated->n_parties, 2);
	assert_string_equal(d->circulated->parties[1], "yerevan");
	frame_free_payload(d, &b);
	assert_int_equal(b.used, 0);

	/* every prefix: refused, or a shorter valid payload */
	for (k = 0; k < n; k++) {
		d = decode_payload(buf, k, &b, err, sizeof(err));
		if (d != NULL) {
			assert_int_equal(parley__payload__get_packed_size(d), k);
			frame_free_payload(d, &b);
		} else {
			assert_true(err[0] != '\0');
		}
		assert_int_equal(b.used, 0);
	}

	/* empty */
	d = decode_payload("", 0, &b, err, sizeof(err));
	assert_null(d);
	assert_string_equal(err, "empty payload");
	frame_budget_init(&b, FRAME_DEFAULT_BUDGET);
	assert_null(frame_unpack_payload(NULL, 0, &b, err, sizeof(err)));
	assert_int_equal(b.used, 0);

	/* garbage, non-canonical, bad UTF-8 */
	d = decode_payload("\x0f\x01", 2, &b, err, sizeof(err));
	assert_null(d);
	assert_non_null(strstr(err, "malformed Payload"));
	d = decode_payload("\x0a\x02\x0a\x00", 4, &b, err, sizeof(err));	/* text "" */
	assert_null(d);
	assert_non_null(strstr(err, "not canonically encoded"));
	no.text = "\xc0\xaf";
	p.body_case = PARLEY__PAYLOAD__BODY_NOTICE;
	p.notice = &no;
	n = parley__payload__pack(&p, buf);
	d = decode_payload(buf, n, &b, err, sizeof(err));
	assert_null(d);
	assert_non_null(strstr(err, "Notice.text"));
	assert_int_equal(b.used, 0);

	frame_free_payload(NULL, &b);	/* harmless */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_len),
		cmocka_unit_test(test_pack_limits),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupted),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_noncanonical),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_budget_sweep),
		cmocka_unit_test(test_schema_acyclic),
		cmocka_unit_test(test_recursive_descriptor),
		cmocka_unit_test(test_payload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
