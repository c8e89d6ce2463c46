/* Mandate validation (daemon/mandate.h), table-driven: scope, time window,
 * supersession, revocation, role coverage; the status precedence; scope
 * canonical forms; and the signed layout (proto/sign.h) refusing unsorted
 * roles and changing with every field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/mandate.h"
#include "sign.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t KEY[32] = { 1, 2, 3 };
static const uint8_t OTHER[32] = { 9, 9, 9 };

/* Active from 100 until 200, roles military+political, scope agreements:3,7. */
static void
base(struct mandate *m)
{
	memset(m, 0, sizeof(*m));
	m->id = 5;
	snprintf(m->party, sizeof(m->party), "baku");
	memcpy(m->signer_key, KEY, 32);
	m->nroles = 2;
	snprintf(m->roles[0], sizeof(m->roles[0]), "military");
	snprintf(m->roles[1], sizeof(m->roles[1]), "political");
	snprintf(m->scope, sizeof(m->scope), "agreements:3,7");
	m->valid_from = 100;
	m->valid_until = 200;
	m->issued_at = 90;
}

struct check_case {
	const char *name;
	const char *scope;		/* NULL: base */
	int64_t until;			/* -1: base */
	int64_t superseded_at, revoked_at;
	const uint8_t *key;
	const char *role;
	int64_t agreement;
	const char *label;
	int64_t at;
	enum mandate_verdict want;
};

static const struct check_case check_cases[] = {
	{ "covers", NULL, -1, 0, 0, KEY, "political", 3, "", 150, MANDATE_COVERS },
	{ "covers the second role", NULL, -1, 0, 0, KEY, "military", 7, "", 150, MANDATE_COVERS },
	{ "another key", NULL, -1, 0, 0, OTHER, "political", 3, "", 150, MANDATE_OTHER_KEY },
	/* scope */
	{ "agreement outside the list", NULL, -1, 0, 0, KEY, "political", 4, "", 150,
	    MANDATE_OUTSIDE_SCOPE },
	{ "a prefix is not the id", NULL, -1, 0, 0, KEY, "political", 37, "", 150,
	    MANDATE_OUTSIDE_SCOPE },
	{ "any covers everything", "any", -1, 0, 0, KEY, "political", 999, "", 150,
	    MANDATE_COVERS },
	{ "label matches", "label:ceasefire", -1, 0, 0, KEY, "political", 4, "ceasefire", 150,
	    MANDATE_COVERS },
	{ "label differs", "label:ceasefire", -1, 0, 0, KEY, "political", 4, "meeting", 150,
	    MANDATE_OUTSIDE_SCOPE },
	{ "unlabelled agreement", "label:ceasefire", -1, 0, 0, KEY, "political", 4, "", 150,
	    MANDATE_OUTSIDE_SCOPE },
	/* time window: [valid_from, valid_until) */
	{ "at valid_from", NULL, -1, 0, 0, KEY, "political", 3, "", 100, MANDATE_COVERS },
	{ "before valid_from", NULL, -1, 0, 0, KEY, "political", 3, "", 99,
	    MANDATE_NOT_YET_VALID },
	{ "at valid_until", NULL, -1, 0, 0, KEY, "political", 3, "", 200, MANDATE_EXPIRED },
	{ "after valid_until", NULL, -1, 0, 0, KEY, "political", 3, "", 5000, MANDATE_EXPIRED },
	{ "open-ended", NULL, 0, 0, 0, KEY, "political", 3, "", 99999, MANDATE_COVERS },
	/* supersession */
	{ "superseded later", NULL, -1, 160, 0, KEY, "political", 3, "", 150, MANDATE_COVERS },
	{ "superseded at that time", NULL, -1, 150, 0, KEY, "political", 3, "", 150,
	    MANDATE_SUPERSEDED },
	{ "superseded before", NULL, -1, 120, 0, KEY, "political", 3, "", 150,
	    MANDATE_SUPERSEDED },
	/* revocation, which outranks every other reason */
	{ "revoked later", NULL, -1, 0, 170, KEY, "political", 3, "", 150, MANDATE_COVERS },
	{ "revoked before", NULL, -1, 0, 140, KEY, "political", 3, "", 150, MANDATE_REVOKED },
	{ "revoked and superseded", NULL, -1, 120, 140, KEY, "political", 3, "", 150,
	    MANDATE_REVOKED },
	{ "revoked and expired", NULL, -1, 0, 140, KEY, "political", 3, "", 300,
	    MANDATE_REVOKED },
	/* role coverage */
	{ "role not covered", NULL, -1, 0, 0, KEY, "legal", 3, "", 150,
	    MANDATE_ROLE_NOT_COVERED },
	{ "empty role", NULL, -1, 0, 0, KEY, "", 3, "", 150, MANDATE_ROLE_NOT_COVERED },
	{ "role prefix", NULL, -1, 0, 0, KEY, "polit", 3, "", 150, MANDATE_ROLE_NOT_COVERED },
	/* the first failing reason is reported: expiry before scope and role */
	{ "expired and outside scope", NULL, -1, 0, 0, KEY, "legal", 4, "", 300,
	    MANDATE_EXPIRED },
	{ "outside scope before role", NULL, -1, 0, 0, KEY, "legal", 4, "", 150,
	    MANDATE_OUTSIDE_SCOPE },
};

static void
test_check_table(void **state)
{
	struct mandate m;
	size_t i;

	(void)state;
	for (i = 0; i < LEN(check_cases); i++) {
		const struct check_case *c = &check_cases[i];
		enum mandate_verdict v;
		base(&m);
		if (c->scope != NULL)
			snprintf(m.scope, sizeof(m.scope), "%s", c->scope);
		if (c->until >= 0)
			m.valid_until = c->until;
		m.superseded_at = c->superseded_at;
		m.revoked_at = c->revoked_at;
		v = mandate_check(&m, c->key, c->role, c->agreement, c->label, c->at);
		if (v != c->want)
			fail_msg("%s: got \"%s\", want \"%s\"", c->name, mandate_verdict_text(v),
			    mandate_verdict_text(c->want));
	}
}

struct status_case {
	int64_t superseded_at, revoked_at, now;
	const char *want;
};

static const struct status_case status_cases[] = {
	{ 0, 0, 150, "active" },
	{ 0, 0, 50, "not-yet-valid" },
	{ 0, 0, 200, "expired" },
	{ 120, 0, 150, "superseded" },
	{ 120, 0, 110, "active" },	/* not yet superseded then */
	{ 0, 130, 150, "revoked" },
	{ 120, 130, 300, "revoked" },
	{ 120, 0, 300, "superseded" },	/* history: superseded outranks expired */
};

static void
test_status_table(void **state)
{
	struct mandate m;
	size_t i;

	(void)state;
	for (i = 0; i < LEN(status_cases); i++) {
		base(&m);
		m.superseded_at = status_cases[i].superseded_at;
		m.revoked_at = status_cases[i].revoked_at;
		if (strcmp(mandate_status(&m, status_cases[i].now), status_cases[i].want) != 0)
			fail_msg("case %zu: got %s, want %s", i,
			    mandate_status(&m, status_cases[i].now), status_cases[i].want);
	}
}

struct scope_case {
	const char *in, *want;	/* want NULL: refused */
};

static const struct scope_case scope_cases[] = {
	{ "any", "any" },
	{ "agreements:1", "agreements:1" },
	{ "agreements:7,3,12", "agreements:3,7,12" },
	{ "label:ceasefire", "label:ceasefire" },
	{ "agreements:", NULL },
	{ "agreements:0", NULL },
	{ "agreements:01", NULL },
	{ "agreements:1,1", NULL },
	{ "agreements:1,", NULL },
	{ "agreements:1;2", NULL },
	{ "agreements:-1", NULL },
	{ "label:", NULL },
	{ "label:Bad Name", NULL },
	{ "ANY", NULL },
	{ "", NULL },
	{ "everything", NULL },
};

static void
test_scope_canon(void **state)
{
	char out[64];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < LEN(scope_cases); i++) {
		rc = mandate_scope_canon(scope_cases[i].in, out, sizeof(out));
		if (scope_cases[i].want == NULL) {
			if (rc == 0)
				fail_msg("\"%s\" accepted as \"%s\"", scope_cases[i].in, out);
			continue;
		}
		if (rc != 0 || strcmp(out, scope_cases[i].want) != 0)
			fail_msg("\"%s\": rc %d, \"%s\"", scope_cases[i].in, rc, rc ? "" : out);
	}
	/* too small a buffer is refused, never truncated */
	assert_int_equal(mandate_scope_canon("agreements:1,2,3", out, 12), -1);
}

/* The signed layout: unsorted or duplicate roles are refused, and every
 * field changes the bytes (a tampered mandate cannot keep its signature). */
static void
test_layout(void **state)
{
	struct mandate m, t;
	struct sign_mandate_fields f;
	const char *rolev[SIGN_MANDATE_MAX_ROLES], *bad[2] = { "political", "military" };
	uint8_t *a = NULL, *b = NULL;
	size_t alen, blen, i;

	(void)state;
	base(&m);
	mandate_fields(&m, &f, rolev);
	assert_int_equal(sign_mandate(&f, &a, &alen), 0);
	assert_memory_equal(a, SIGN_MANDATE_TAG, SIGN_MANDATE_TAG_LEN);
	for (i = 0; i < 9; i++) {
		t = m;
		switch (i) {
		case 0: t.party[0] = 'x'; break;
		case 1: t.signer_key[31] ^= 1; break;
		case 2: t.nroles = 1; break;
		case 3: snprintf(t.scope, sizeof(t.scope), "any"); break;
		case 4: t.valid_from++; break;
		case 5: t.valid_until++; break;
		case 6: t.issued_at++; break;
		case 7: t.supersedes = 4; break;
		case 8: snprintf(t.in_place_of, sizeof(t.in_place_of), "Dzhalilov"); break;
		}
		mandate_fields(&t, &f, rolev);
		assert_int_equal(sign_mandate(&f, &b, &blen), 0);
		if (alen == blen && memcmp(a, b, alen) == 0)
			fail_msg("field %zu does not change the signed bytes", i);
		free(b);
		b = NULL;
	}
	mandate_fields(&m, &f, rolev);
	f.roles = bad;
	assert_int_equal(sign_mandate(&f, &b, &blen), -1);
	assert_null(b);
	bad[1] = "political";
	assert_int_equal(sign_mandate(&f, &b, &blen), -1);
	f.nroles = 0;
	assert_int_equal(sign_mandate(&f, &b, &blen), -1);
	free(a);
	/* revocation binds the mandate's signature */
	{
		uint8_t s1[64] = { 0 }, s2[64] = { 1 };
		assert_int_equal(sign_revocation("baku", 5, s1, &a, &alen), 0);
		assert_int_equal(sign_revocation("baku", 5, s2, &b, &blen), 0);
		assert_memory_equal(a, SIGN_REVOKE_TAG, SIGN_REVOKE_TAG_LEN);
		assert_true(alen == blen && memcmp(a, b, alen) != 0);
		free(a);
		free(b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_table),
		cmocka_unit_test(test_status_table),
		cmocka_unit_test(test_scope_canon),
		cmocka_unit_test(test_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
