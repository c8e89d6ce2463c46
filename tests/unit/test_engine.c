/* The engine's rules for a signed copy (daemon/engine.c, engine_sign), on a
 * real store, journal and turn (engine_fixture.h), with real Ed25519
 * signatures made as the party client makes them.
 *
 * A table of every refusal, one row each: what is made wrong, the error
 * code and message the party reads, whether the request's savepoint is
 * kept (only the non-identical copy is: it is evidence), which refusal
 * counter goes up by exactly one (none for a store failure), and that no
 * copy is stored but the non-identical one (Inv 6: bad input changes
 * nothing; Inv 5: a party signs only as itself; Inv 2: a non-member is not
 * told whether an agreement exists).  Then the release (Inv 1, Inv 4): the
 * last identical valid copy of the current revision releases the agreement
 * exactly once, to every member endpoint; a copy after the release, or of
 * a revision an amendment superseded, releases nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "daemon/mandate.h"
#include "daemon/timers.h"
#include "engine_fixture.h"
#include "store_trip.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
/* A text that differs from EF_TEXT in one word. */
#define REWORDED "Article 1. The sides cease fire at 00:01 on 13 May 1994.\n"
#define AMENDED "Article 1. The sides cease fire at 00:01 on 12 May 1994.\n" \
	"Article 2. Observers monitor the line.\n"

struct refusal;

/* The world every row starts from: baku (two endpoints) and yerevan sign
 * agreement 1, circulated, which osce observes; stepanakert is registered
 * and no member of it. */
struct world {
	struct engine_fixture fx;
	struct ef_party *baku, *yerevan, *stepanakert, *osce;
	int64_t ag;
	struct trip trip;
	const struct refusal *row;	/* the row this world runs, if any */
};

/* One attempt: who sends which copy, and the signature's verdict from a
 * worker (0: none, the engine checks it on the loop). */
struct attempt {
	const struct ident *who;
	int verdict;
	struct ef_copy c;
};

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return -1;
	*state = w;
	return engine_fixture_open(&w->fx, "test_engine");
}

static int
teardown(void **state)
{
	struct world *w = *state;
	int rc;

	if (w->fx.st != NULL)
		trip_disarm(w->fx.st);
	rc = engine_fixture_close(&w->fx);
	free(w);
	return rc;
}

static void
world_build(struct world *w)
{
	w->baku = ef_party_add(&w->fx, "baku", 0, 2);
	w->yerevan = ef_party_add(&w->fx, "yerevan", 0, 1);
	w->stepanakert = ef_party_add(&w->fx, "stepanakert", 0, 1);
	w->osce = ef_party_add(&w->fx, "osce", 1, 1);
	w->ag = ef_agreement(&w->fx, "baku,yerevan", "osce", NULL, 0, 0);
	assert_int_equal(w->ag, 1);
}

/* ---- how each row makes the copy wrong ---- */

/* The copy p would send for agreement (revision 1, EF_TEXT, role ""). */
static void
as(struct world *w, struct attempt *a, const struct ef_party *p, EVP_PKEY *key,
    int64_t agreement)
{
	a->who = &p->who;
	ef_copy_make(&w->fx, &a->c, p->who.party.code, key, agreement, 1, EF_TEXT, "");
}

static void
m_not_member(struct world *w, struct attempt *a)
{
	as(w, a, w->stepanakert, w->stepanakert->key, w->ag);
}

static void
m_not_member_unknown(struct world *w, struct attempt *a)
{
	as(w, a, w->stepanakert, w->stepanakert->key, 99);
}

static void
m_unknown(struct world *w, struct attempt *a)
{
	as(w, a, w->baku, w->baku->key, 99);
}

static void
m_observer(struct world *w, struct attempt *a)
{
	EVP_PKEY *k = crypto_ed25519_generate();

	assert_non_null(k);
	as(w, a, w->osce, k, w->ag);
	EVP_PKEY_free(k);
}

static void
m_draft(struct world *w, struct attempt *a)
{
	as(w, a, w->baku, w->baku->key, ef_agreement(&w->fx, "baku,yerevan", NULL, NULL, 0, 1));
}

static void
m_withdrawn(struct world *w, struct attempt *a)
{
	struct out o;

	ef_verb_begin(&w->fx, &o);
	ef_verb_end(&w->fx, engine_withdraw_agreement(w->fx.e, w->ag, NULL, &o), &o);
	(void)a;
}

/* A second agreement with a deadline an hour away; the hour passes and
 * its deadline timer lapses it. */
static void
m_lapsed(struct world *w, struct attempt *a)
{
	int64_t now = clock_now(w->fx.jf.clk), id;

	id = ef_agreement(&w->fx, "baku,yerevan", NULL, NULL, now + 3600, 0);
	assert_int_equal(clock_set(w->fx.jf.clk, now + 3600), 0);
	assert_int_equal(store_batch_begin(w->fx.st), 0);
	assert_int_equal(timers_run(w->fx.e, clock_now(w->fx.jf.clk)), 1);
	assert_int_equal(store_batch_commit(w->fx.st), 0);
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM agreement WHERE id = 2"
	    " AND state = 'lapsed'"), 1);
	as(w, a, w->baku, w->baku->key, id);
}

static void
m_released(struct world *w, struct attempt *a)
{
	ef_sign_ok(&w->fx, w->baku, w->ag, 1, EF_TEXT, "", "accepted");
	ef_sign_ok(&w->fx, w->yerevan, w->ag, 1, EF_TEXT, "", "is released");
	(void)a;
}

static void
m_impersonation(struct world *w, struct attempt *a)
{
	snprintf(a->c.party, sizeof(a->c.party), "yerevan");
	ef_copy_sign(&a->c, w->baku->key);
}

static void
m_bad_role(struct world *w, struct attempt *a)
{
	snprintf(a->c.role, sizeof(a->c.role), "Military");
	ef_copy_sign(&a->c, w->baku->key);
}

static void
m_short_hash(struct world *w, struct attempt *a)
{
	(void)w;
	a->c.m.content_hash.len = 31;
}

static void
m_short_signature(struct world *w, struct attempt *a)
{
	(void)w;
	a->c.m.signature.len = 63;
}

static void
m_long_key(struct world *w, struct attempt *a)
{
	static uint8_t key[33];

	(void)w;
	memcpy(key, a->c.pub, 32);
	a->c.m.signer_key.data = key;
	a->c.m.signer_key.len = 33;
}

static void
m_unregistered_key(struct world *w, struct attempt *a)
{
	EVP_PKEY *k = crypto_ed25519_generate();

	(void)w;
	assert_non_null(k);
	ef_copy_sign(&a->c, k);
	EVP_PKEY_free(k);
}

static void
m_others_key(struct world *w, struct attempt *a)
{
	ef_copy_sign(&a->c, w->yerevan->key);
}

/* baku registers a principal key: from now on only a mandate authorises a
 * signer key of baku's. */
static EVP_PKEY *
principal(struct world *w)
{
	EVP_PKEY *k = crypto_ed25519_generate();
	uint8_t pub[32];
	struct out o;

	assert_non_null(k);
	assert_int_equal(crypto_pubkey_raw(k, pub), 0);
	ef_verb_begin(&w->fx, &o);
	ef_verb_end(&w->fx, registry_principal_add(w->fx.st, clock_now(w->fx.jf.clk), "baku",
	    pub, &o), &o);
	return k;
}

static void
m_principal_unregistered(struct world *w, struct attempt *a)
{
	EVP_PKEY_free(principal(w));
	m_unregistered_key(w, a);
}

static void
m_principal_no_mandate(struct world *w, struct attempt *a)
{
	EVP_PKEY_free(principal(w));
	(void)a;
}

/* baku's principal issues a mandate to baku's signer key for the role
 * political only, signed over the mandate layout; the copy is in role
 * military. */
static void
m_mandate_not_covering(struct world *w, struct attempt *a)
{
	static const char *const roles[] = { "political" };
	Parley__Mandate pm = PARLEY__MANDATE__INIT;
	EVP_PKEY *pk = principal(w);
	struct sign_mandate_fields f = { .party = "baku", .signer_key = w->baku->pub,
	    .roles = roles, .nroles = 1, .scope = "any",
	    .valid_from = clock_now(w->fx.jf.clk) - 60, .valid_until = 0,
	    .issued_at = clock_now(w->fx.jf.clk), .supersedes = 0, .in_place_of = "" };
	uint8_t *payload, sig[64], ppub[32];
	Parley__Frame *fr;
	struct req r;
	size_t plen;

	assert_int_equal(sign_mandate(&f, &payload, &plen), 0);
	assert_int_equal(crypto_sign(pk, payload, plen, sig), 0);
	assert_int_equal(crypto_pubkey_raw(pk, ppub), 0);
	free(payload);
	EVP_PKEY_free(pk);
	pm.party = "baku";
	pm.signer_key.data = w->baku->pub;
	pm.signer_key.len = 32;
	pm.n_roles = 1;
	pm.roles = (char **)roles;
	pm.scope = "any";
	pm.valid_from = f.valid_from;
	pm.issued_at = f.issued_at;
	pm.principal_key.data = ppub;
	pm.principal_key.len = 32;
	pm.signature.data = sig;
	pm.signature.len = 64;
	ef_begin(&w->fx, &w->baku->who, 0, &r);
	fr = ef_end(&w->fx, mandate_issue(w->fx.e, &r, &pm));
	assert_int_equal(fr->body_case, PARLEY__FRAME__BODY_OK);
	parley__frame__free_unpacked(fr, NULL);
	snprintf(a->c.role, sizeof(a->c.role), "military");
	ef_copy_sign(&a->c, w->baku->key);
}

/* yerevan's amendment is adopted as revision 2; the copy is of revision 1. */
static void
m_stale(struct world *w, struct attempt *a)
{
	ef_amend_adopt(&w->fx, w->yerevan, w->ag, 1, AMENDED);
	(void)a;
}

static void
m_future(struct world *w, struct attempt *a)
{
	a->c.m.revision = 2;
	ef_copy_sign(&a->c, w->baku->key);
}

static void
m_bad_verdict(struct world *w, struct attempt *a)
{
	(void)w;
	a->verdict = -1;	/* a worker found it bad: its verdict stands */
}

static void
m_bad_signature(struct world *w, struct attempt *a)
{
	(void)w;
	a->c.sig[17] ^= 0x01;
}

/* Signed in no role, sent in role military: the role is signed too. */
static void
m_other_role_signed(struct world *w, struct attempt *a)
{
	(void)w;
	snprintf(a->c.role, sizeof(a->c.role), "military");
}

static void
m_role_not_required(struct world *w, struct attempt *a)
{
	int64_t id = ef_agreement(&w->fx, "baku,yerevan", NULL, "baku=military", 0, 0);

	as(w, a, w->baku, w->baku->key, id);
	snprintf(a->c.role, sizeof(a->c.role), "political");
	ef_copy_sign(&a->c, w->baku->key);
}

/* Signed over another content hash, no text sent with it. */
static void
m_non_identical(struct world *w, struct attempt *a)
{
	ef_hash(&w->fx, (int64_t)a->c.m.agreement, REWORDED, a->c.hash);
	ef_copy_sign(&a->c, w->baku->key);
}

/* The re-worded text itself sent with it (parley sign --text). */
static void
m_reworded(struct world *w, struct attempt *a)
{
	m_non_identical(w, a);
	a->c.m.text = REWORDED;
}

/* A text sent that is not what the hash was made of. */
static void
m_text_not_hash(struct world *w, struct attempt *a)
{
	m_non_identical(w, a);
	a->c.m.text = AMENDED;
}

static void
m_already(struct world *w, struct attempt *a)
{
	ef_sign_ok(&w->fx, w->baku, w->ag, 1, EF_TEXT, "", "accepted");
	(void)a;
}

static void
m_already_in_role(struct world *w, struct attempt *a)
{
	int64_t id = ef_agreement(&w->fx, "baku,yerevan", NULL, "baku=military+political", 0, 0);

	ef_sign_ok(&w->fx, w->baku, id, 1, EF_TEXT, "military", "accepted in role military");
	as(w, a, w->baku, w->baku->key, id);
	snprintf(a->c.role, sizeof(a->c.role), "military");
	ef_copy_sign(&a->c, w->baku->key);
}

/* The key that signed one role of baku's signs the other (issue 21). */
static void
m_same_signer(struct world *w, struct attempt *a)
{
	int64_t id = ef_agreement(&w->fx, "baku,yerevan", NULL, "baku=military+political", 0, 0);

	ef_sign_ok(&w->fx, w->baku, id, 1, EF_TEXT, "military", "accepted in role military");
	as(w, a, w->baku, w->baku->key, id);
	snprintf(a->c.role, sizeof(a->c.role), "political");
	ef_copy_sign(&a->c, w->baku->key);
}

static void
m_store_signer(struct world *w, struct attempt *a)
{
	(void)a;
	trip_arm(w->fx.st, &w->trip, "SELECT id, party_id FROM signer WHERE pubkey = ?", 0);
}

static void
m_store_revision(struct world *w, struct attempt *a)
{
	(void)a;
	trip_arm(w->fx.st, &w->trip, "FROM revision WHERE agreement_id = ? AND number = ?", 0);
}

/* ---- the table ---- */

#define NONE (-1)	/* no refusal counter: a store failure, or an Ok */

struct refusal {
	const char *name;
	void (*make)(struct world *, struct attempt *);
	int code;		/* PARLEY_E*, or PARLEY_OK: answered Ok */
	const char *msg;	/* in the answer; %lld: the agreement the copy names */
	enum req_end end;
	int counter;		/* REFUSE_* that goes up by one, or NONE */
	int stored;		/* copy rows it adds */
};

static const struct refusal refusals[] = {
	{ "not a member", m_not_member, PARLEY_ENOTFOUND,
	    "no agreement %lld for party stepanakert", REQ_ROLLBACK, REFUSE_NOT_PARTY, 0 },
	{ "not a member, no such agreement: the same answer", m_not_member_unknown,
	    PARLEY_ENOTFOUND, "no agreement %lld for party stepanakert", REQ_ROLLBACK,
	    REFUSE_NOT_PARTY, 0 },
	{ "no such agreement", m_unknown, PARLEY_ENOTFOUND, "no agreement %lld for party baku",
	    REQ_ROLLBACK, REFUSE_NOT_PARTY, 0 },
	{ "observer", m_observer, PARLEY_EREFUSED,
	    "osce is an observer of agreement %lld: observers never sign", REQ_ROLLBACK,
	    REFUSE_NOT_PARTY, 0 },
	{ "draft: not found", m_draft, PARLEY_ENOTFOUND, "no agreement %lld for party baku",
	    REQ_ROLLBACK, REFUSE_NOT_PARTY, 0 },
	{ "withdrawn", m_withdrawn, PARLEY_EREFUSED,
	    "copy refused: the agreement was withdrawn by the mediator", REQ_ROLLBACK,
	    REFUSE_STATE, 0 },
	{ "lapsed", m_lapsed, PARLEY_EREFUSED,
	    "copy refused: the agreement lapsed: its signing deadline passed", REQ_ROLLBACK,
	    REFUSE_STATE, 0 },
	{ "released", m_released, PARLEY_EREFUSED,
	    "copy refused: the agreement is already released and in force", REQ_ROLLBACK,
	    REFUSE_STATE, 0 },
	{ "impersonation", m_impersonation, PARLEY_EAUTH,
	    "this endpoint speaks for baku; it cannot sign as \"yerevan\"", REQ_ROLLBACK,
	    REFUSE_IMPERSONATION, 0 },
	{ "invalid role name", m_bad_role, PARLEY_EUSAGE, "role \"Military\" is not a valid name",
	    REQ_ROLLBACK, REFUSE_MALFORMED, 0 },
	{ "content hash of 31 bytes", m_short_hash, PARLEY_EUSAGE,
	    "a copy needs a 32-byte content hash, a 32-byte signer key and a 64-byte signature",
	    REQ_ROLLBACK, REFUSE_MALFORMED, 0 },
	{ "signature of 63 bytes", m_short_signature, PARLEY_EUSAGE,
	    "a copy needs a 32-byte content hash", REQ_ROLLBACK, REFUSE_MALFORMED, 0 },
	{ "signer key of 33 bytes", m_long_key, PARLEY_EUSAGE,
	    "a copy needs a 32-byte content hash", REQ_ROLLBACK, REFUSE_MALFORMED, 0 },
	{ "unregistered signer key", m_unregistered_key, PARLEY_EAUTH,
	    "is not registered for baku", REQ_ROLLBACK, REFUSE_SIGNER, 0 },
	{ "key of another party", m_others_key, PARLEY_EAUTH, "is not registered for baku",
	    REQ_ROLLBACK, REFUSE_SIGNER, 0 },
	{ "principal, unregistered key: no mandate", m_principal_unregistered, PARLEY_EAUTH,
	    "copy refused: no mandate: no mandate of baku authorises signer key", REQ_ROLLBACK,
	    REFUSE_SIGNER, 0 },
	{ "principal, registered key, no mandate", m_principal_no_mandate, PARLEY_EREFUSED,
	    "copy refused: no mandate: no mandate of this party authorises signer key",
	    REQ_ROLLBACK, REFUSE_SIGNER, 0 },
	{ "mandate not covering the role", m_mandate_not_covering, PARLEY_EREFUSED,
	    "copy refused: mandate 1 does not cover this signature: role not covered "
	    "(role \"military\")", REQ_ROLLBACK, REFUSE_SIGNER, 0 },
	{ "stale revision", m_stale, PARLEY_EREFUSED, "revision 1 superseded by 2",
	    REQ_ROLLBACK, REFUSE_STALE, 0 },
	{ "future revision", m_future, PARLEY_EUSAGE,
	    "agreement %lld has no revision 2 (current: 1)", REQ_ROLLBACK, REFUSE_MALFORMED, 0 },
	{ "bad signature, a worker's verdict", m_bad_verdict, PARLEY_EREFUSED,
	    "the signature does not verify with key", REQ_ROLLBACK, REFUSE_BAD_SIGNATURE, 0 },
	{ "bad signature, checked on the loop", m_bad_signature, PARLEY_EREFUSED,
	    "the signature does not verify with key", REQ_ROLLBACK, REFUSE_BAD_SIGNATURE, 0 },
	{ "signed in another role", m_other_role_signed, PARLEY_EREFUSED,
	    "the signature does not verify with key", REQ_ROLLBACK, REFUSE_BAD_SIGNATURE, 0 },
	{ "role not required", m_role_not_required, PARLEY_EREFUSED,
	    "copy refused: agreement %lld requires of baku the roles military; \"political\" "
	    "is not one of them", REQ_ROLLBACK, REFUSE_SIGNER, 0 },
	{ "non-identical, no text: kept as evidence", m_non_identical, PARLEY_EREFUSED,
	    "copy refused: not identical to revision 1: its content hash differs from "
	    "revision 1's and no text came with it; it is recorded, not counted",
	    REQ_KEEP, REFUSE_NON_IDENTICAL, 1 },
	{ "non-identical, re-worded text: kept as evidence", m_reworded, PARLEY_EREFUSED,
	    "copy refused: not identical to revision 1: ", REQ_KEEP, REFUSE_NON_IDENTICAL, 1 },
	/* Counted as non-identical before the text is found not to be what
	 * was hashed: engine_sign counts, then non_identical refuses. */
	{ "text sent is not what was hashed", m_text_not_hash, PARLEY_EUSAGE,
	    "the text sent with the copy does not match the content hash it was signed over",
	    REQ_ROLLBACK, REFUSE_NON_IDENTICAL, 0 },
	{ "already signed: Ok, nothing new", m_already, PARLEY_OK,
	    "baku has already signed revision 1 of agreement %lld", REQ_ROLLBACK, NONE, 0 },
	{ "already signed in that role: Ok, nothing new", m_already_in_role, PARLEY_OK,
	    "baku has already signed revision 1 of agreement %lld in role military",
	    REQ_ROLLBACK, NONE, 0 },
	{ "a second role by the key of the first", m_same_signer, PARLEY_EREFUSED,
	    "signed role military of agreement %lld already; each role of baku needs its own "
	    "signer", REQ_ROLLBACK, REFUSE_SIGNER, 0 },
	{ "store failure reading the signer", m_store_signer, PARLEY_ESTORE, "store failure",
	    REQ_ROLLBACK, NONE, 0 },
	{ "store failure reading the revision", m_store_revision, PARLEY_ESTORE,
	    "store failure", REQ_ROLLBACK, NONE, 0 },
};

static void
run_refusal(struct world *w, const struct refusal *row)
{
	uint64_t before[REFUSE_NREASONS], accepted, releases;
	int64_t copies, entries;
	struct attempt a;
	enum req_end keep;
	Parley__Frame *f;
	char want[400];
	int i;

	world_build(w);
	memset(&a, 0, sizeof(a));
	as(w, &a, w->baku, w->baku->key, w->ag);
	row->make(w, &a);
	memcpy(before, w->fx.m.copies_refused, sizeof(before));
	accepted = w->fx.m.copies_accepted;
	releases = w->fx.m.releases;
	copies = ef_int(&w->fx, "SELECT count(*) FROM copy");
	entries = ef_int(&w->fx, "SELECT count(*) FROM journal");

	f = ef_sign(&w->fx, a.who, a.verdict, &a.c, &keep);
	trip_disarm(w->fx.st);

	snprintf(want, sizeof(want), row->msg, (long long)a.c.m.agreement);
	if (row->code == PARLEY_OK) {
		assert_int_equal(f->body_case, PARLEY__FRAME__BODY_OK);
		assert_non_null(strstr(f->ok->message, want));
	} else {
		assert_int_equal(f->body_case, PARLEY__FRAME__BODY_ERROR);
		if (strstr(f->error->message, want) == NULL)
			print_error("answer: %s\nwanted: %s\n", f->error->message, want);
		assert_non_null(strstr(f->error->message, want));
		assert_int_equal(f->error->code, row->code);
	}
	parley__frame__free_unpacked(f, NULL);
	assert_int_equal(keep, row->end);
	if (row->code == PARLEY_ESTORE)
		assert_int_equal(w->trip.tripped, 1);
	for (i = 0; i < REFUSE_NREASONS; i++)
		assert_int_equal(w->fx.m.copies_refused[i], before[i] + (i == row->counter));
	assert_int_equal(w->fx.m.copies_accepted, accepted);
	assert_int_equal(w->fx.m.releases, releases);
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM copy"), copies + row->stored);
	if (row->stored) {
		/* Evidence: stored, marked, never counted, and in the record. */
		assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM copy WHERE"
		    " status = 'non-identical' AND reason LIKE 'not identical to revision 1: %'"),
		    1);
		assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM journal WHERE"
		    " kind = 'copy-refused'"), 1);
		assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM journal"), entries + 1);
	} else {
		assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM journal"), entries);
	}
}

/* A row's world: setup with the row as the initial state. */
static int
setup_row(void **state)
{
	const struct refusal *row = *state;
	struct world *w;

	if (setup(state) != 0)
		return -1;
	w = *state;
	w->row = row;
	return 0;
}

/* One row, on a world of its own (each row is a test named by the row). */
static void
test_refusal(void **state)
{
	struct world *w = *state;

	run_refusal(w, w->row);
}

/* Every REFUSE_* reason is some row's counter. */
static void
test_refusals_cover_reasons(void **state)
{
	int seen[REFUSE_NREASONS] = { 0 }, i;
	size_t k;

	(void)state;
	for (k = 0; k < LEN(refusals); k++)
		if (refusals[k].counter != NONE)
			seen[refusals[k].counter]++;
	for (i = 0; i < REFUSE_NREASONS; i++)
		assert_true(seen[i] > 0);
}

/* ---- the release ---- */

/* How many release messages were queued (one per member party). */
static int64_t
release_messages(struct world *w)
{
	return ef_int(&w->fx, "SELECT count(*) FROM message WHERE kind = 'release'");
}

/* Every endpoint of every member of agreement 1 (parties and observers)
 * has exactly one release delivery, and no other endpoint has one. */
static void
assert_released_once(struct world *w, int64_t member_endpoints)
{
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM agreement WHERE id = 1"
	    " AND state = 'in_force' AND certificate IS NOT NULL AND released_at IS NOT NULL"),
	    1);
	assert_int_equal(w->fx.m.releases, 1);
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM journal WHERE kind = 'released'"),
	    1);
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM endpoint e JOIN agreement_party ap"
	    " ON ap.party_id = e.party_id AND ap.agreement_id = 1 WHERE (SELECT count(*)"
	    " FROM delivery d JOIN message m ON m.id = d.message_id WHERE m.kind = 'release'"
	    " AND m.agreement_id = 1 AND d.endpoint_id = e.id) = 1"), member_endpoints);
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM delivery d JOIN message m"
	    " ON m.id = d.message_id WHERE m.kind = 'release'"), member_endpoints);
}

/* Two parties: the first copy does not release, the second (the last
 * identical valid copy) does, once, to baku's two endpoints, yerevan's and
 * the observer's; a copy after it is refused and releases nothing. */
static void
test_release_two(void **state)
{
	struct world *w = *state;
	struct ef_copy c;
	enum req_end keep;
	Parley__Frame *f;
	char want[120];

	world_build(w);
	ef_sign_ok(&w->fx, w->baku, w->ag, 1, EF_TEXT, "",
	    "signed copy of revision 1 accepted; the agreement is released when every party "
	    "has signed");
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM agreement WHERE id = 1"
	    " AND state = 'circulating' AND released_at IS NULL"), 1);
	assert_int_equal(release_messages(w), 0);
	assert_int_equal(w->fx.m.releases, 0);

	snprintf(want, sizeof(want), "every party has signed: agreement %lld is released",
	    (long long)w->ag);
	ef_sign_ok(&w->fx, w->yerevan, w->ag, 1, EF_TEXT, "", want);
	assert_released_once(w, 4);
	assert_int_equal(w->fx.m.copies_accepted, 2);

	/* After the release: refused for the state, nothing changes. */
	ef_copy_make(&w->fx, &c, "yerevan", w->yerevan->key, w->ag, 1, EF_TEXT, "");
	f = ef_sign(&w->fx, &w->yerevan->who, 0, &c, &keep);
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_ERROR);
	assert_non_null(strstr(f->error->message, "already released"));
	parley__frame__free_unpacked(f, NULL);
	assert_int_equal(keep, REQ_ROLLBACK);
	assert_released_once(w, 4);
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM copy"), 2);
}

/* Three parties: two copies release nothing, a repeated one neither; the
 * third releases, once. */
static void
test_release_three(void **state)
{
	struct world *w = *state;
	struct ef_copy c;
	enum req_end keep;
	Parley__Frame *f;

	w->baku = ef_party_add(&w->fx, "baku", 0, 2);
	w->yerevan = ef_party_add(&w->fx, "yerevan", 0, 1);
	w->stepanakert = ef_party_add(&w->fx, "stepanakert", 0, 1);
	w->osce = ef_party_add(&w->fx, "osce", 1, 1);
	w->ag = ef_agreement(&w->fx, "baku,yerevan,stepanakert", "osce", NULL, 0, 0);
	assert_int_equal(w->ag, 1);

	ef_sign_ok(&w->fx, w->baku, w->ag, 1, EF_TEXT, "", "released when every party");
	ef_sign_ok(&w->fx, w->yerevan, w->ag, 1, EF_TEXT, "", "released when every party");
	ef_copy_make(&w->fx, &c, "baku", w->baku->key, w->ag, 1, EF_TEXT, "");
	f = ef_sign(&w->fx, &w->baku->who, 0, &c, &keep);
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_OK);
	assert_non_null(strstr(f->ok->message, "already signed"));
	parley__frame__free_unpacked(f, NULL);
	assert_int_equal(release_messages(w), 0);
	assert_int_equal(w->fx.m.releases, 0);
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM agreement WHERE state = 'in_force'"),
	    0);

	ef_sign_ok(&w->fx, w->stepanakert, w->ag, 1, EF_TEXT, "", "agreement 1 is released");
	assert_released_once(w, 5);
}

/* A copy of revision 1 after revision 2 was adopted is stale: refused, and
 * it does not complete the release that revision 1's copies would have.
 * Revision 2's copies do. */
static void
test_release_after_amendment(void **state)
{
	struct world *w = *state;
	struct ef_copy c;
	enum req_end keep;
	Parley__Frame *f;

	world_build(w);
	ef_sign_ok(&w->fx, w->baku, w->ag, 1, EF_TEXT, "", "released when every party");
	ef_amend_adopt(&w->fx, w->yerevan, w->ag, 1, AMENDED);
	assert_int_equal(ef_int(&w->fx, "SELECT revision FROM agreement WHERE id = 1"), 2);
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM copy WHERE status = 'superseded'"),
	    1);

	ef_copy_make(&w->fx, &c, "yerevan", w->yerevan->key, w->ag, 1, EF_TEXT, "");
	f = ef_sign(&w->fx, &w->yerevan->who, 0, &c, &keep);
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_ERROR);
	assert_int_equal(f->error->code, PARLEY_EREFUSED);
	assert_non_null(strstr(f->error->message, "revision 1 superseded by 2"));
	parley__frame__free_unpacked(f, NULL);
	assert_int_equal(keep, REQ_ROLLBACK);
	assert_int_equal(w->fx.m.copies_refused[REFUSE_STALE], 1);
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM agreement WHERE state = 'in_force'"),
	    0);
	assert_int_equal(release_messages(w), 0);

	/* Revision 2: yerevan's copy alone does not release (baku's was of
	 * revision 1); baku's copy of revision 2 does. */
	ef_sign_ok(&w->fx, w->yerevan, w->ag, 2, AMENDED, "", "released when every party");
	assert_int_equal(release_messages(w), 0);
	ef_sign_ok(&w->fx, w->baku, w->ag, 2, AMENDED, "", "agreement 1 is released");
	assert_released_once(w, 4);
	assert_int_equal(ef_int(&w->fx, "SELECT count(*) FROM copy WHERE status = 'valid'"
	    " AND revision = 2"), 2);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_refusals_cover_reasons),
		cmocka_unit_test_setup_teardown(test_release_two, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_three, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_after_amendment, setup, teardown),
	};
	struct CMUnitTest tests[LEN(fixed) + LEN(refusals)];
	size_t i;

	for (i = 0; i < LEN(fixed); i++)
		tests[i] = fixed[i];
	for (i = 0; i < LEN(refusals); i++) {
		struct CMUnitTest t = { refusals[i].name, test_refusal, setup_row, teardown,
		    (void *)&refusals[i] };

		tests[LEN(fixed) + i] = t;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
