/* The agreement engine as parleyd runs it, for the unit tests that drive
 * the engine (test_engine) and the timer runner (test_timers): a real store
 * with its journal (journal_fixture.h), the delivery outbox, the agreement
 * core, and a turn that answers party requests to a real connection
 * (conn_fixture.h), whose replies the test reads back.  Parties, endpoints
 * and signer keys are registered, and agreements created, circulated and
 * amended, through the mediator's own verbs, each one request of a turn as
 * the admin socket runs it.  Copies are made as the party client makes them
 * (clients/parley.c cmd_sign): the content hash of the text the party was
 * sent, the signing payload, a real Ed25519 signature by its key.
 * Header only; include it after cmocka.h, once per test. */
#ifndef PARLEY_TEST_ENGINE_FIXTURE_H
#define PARLEY_TEST_ENGINE_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "errors.h"
#include "sign.h"
#include "daemon/agreement.h"
#include "daemon/delivery.h"
#include "daemon/engine.h"
#include "daemon/metrics.h"
#include "daemon/out.h"
#include "daemon/registry.h"
#include "daemon/turn.h"
#include "conn_fixture.h"
#include "journal_fixture.h"

#define EF_PARTIES_MAX 8
/* The text every fixture agreement is created with (normalised already),
 * and its terms: what the client hashes. */
#define EF_TEXT "Article 1. The sides cease fire at 00:01 on 12 May 1994.\n"
#define EF_EFFECTIVE "on-release"
#define EF_VALIDITY ""

/* A registered party: who its first endpoint speaks for, and its signer
 * key (observers have none). */
struct ef_party {
	struct ident who;
	EVP_PKEY *key;
	uint8_t pub[32];
	int nendpoints;
};

struct engine_fixture {
	struct journal_fixture jf;
	struct store *st;	/* jf's */
	struct delivery *d;
	struct metrics m;
	struct ag_ctx *e;
	struct turn *t;
	struct conn_fixture cf;
	struct ef_party p[EF_PARTIES_MAX];
	size_t np;
	uint64_t next_id;	/* of the next party request */
};

/* A signed copy as the client sends it; m points into the rest, so build it
 * in place (ef_copy_make) and never copy the struct. */
struct ef_copy {
	Parley__SignRequest m;
	char party[PARTY_CODE_MAX + 1], role[64];
	uint8_t hash[32], pub[32], sig[64];
};

/* 0, or -1 with what is open left for engine_fixture_close. */
static inline int
engine_fixture_open(struct engine_fixture *fx, const char *name)
{
	memset(fx, 0, sizeof(*fx));
	fx->cf.peer = -1;
	fx->next_id = 100;
	if (journal_fixture_open(&fx->jf, name) != 0 ||
	    (fx->d = delivery_new(fx->jf.st, fx->jf.clk)) == NULL ||
	    (fx->e = ag_new(fx->jf.st, fx->jf.clk, fx->d, fx->jf.key, &fx->m)) == NULL)
		return -1;
	fx->st = fx->jf.st;
	ag_set_journal(fx->e, fx->jf.j);
	if (conn_fixture_open(&fx->cf) != 0 ||
	    (fx->t = turn_new(fx->cf.base, fx->st, &fx->m, NULL, NULL)) == NULL)
		return -1;
	return 0;
}

static inline int
engine_fixture_close(struct engine_fixture *fx)
{
	size_t i;

	for (i = 0; i < fx->np; i++)
		EVP_PKEY_free(fx->p[i].key);
	turn_free(fx->t);
	conn_fixture_close(&fx->cf);
	ag_free(fx->e);
	delivery_free(fx->d);
	return journal_fixture_close(&fx->jf);
}

/* The first column of sql's first row as an integer (-1: none). */
static inline int64_t
ef_int(struct engine_fixture *fx, const char *sql)
{
	return journal_fixture_int(&fx->jf, sql);
}

/* A mediator verb runs as one request of a turn, as the admin socket runs
 * it: begin, then the verb, then ef_verb_end with what it returned. */
static inline void
ef_verb_begin(struct engine_fixture *fx, struct out *o)
{
	assert_int_equal(out_init(o), 0);
	assert_int_equal(turn_request_begin(fx->t), 0);
}

/* The verb must have succeeded: its changes are kept and committed. */
static inline void
ef_verb_end(struct engine_fixture *fx, int rc, struct out *o)
{
	if (rc != 0 || o->status != 0)
		print_error("mediator verb refused: %s\n", o->error);
	assert_int_equal(rc, 0);
	assert_int_equal(o->status, 0);
	turn_request_end(fx->t, 1);
	turn_flush(fx->t);
	out_release(o);
}

/* Register party code (an observer if observer) with nendpoints endpoints
 * (pins derived from the code) and, for a signing party, a new signer key. */
static inline struct ef_party *
ef_party_add(struct engine_fixture *fx, const char *code, int observer, int nendpoints)
{
	struct ef_party *p = &fx->p[fx->np];
	int64_t now = clock_now(fx->jf.clk);
	uint8_t pin[32], first[32];
	char seed[64];
	struct out o;
	int i, rc;

	assert_true(fx->np < EF_PARTIES_MAX);
	ef_verb_begin(fx, &o);
	rc = registry_party_add(fx->st, now, code, code, observer, &o);
	for (i = 0; rc == 0 && i < nendpoints; i++) {
		snprintf(seed, sizeof(seed), "%s endpoint %d", code, i);
		assert_int_equal(crypto_sha256(seed, strlen(seed), pin), 0);
		if (i == 0)
			memcpy(first, pin, 32);
		rc = registry_endpoint_add(fx->st, now, code, pin, &o);
	}
	if (rc == 0 && !observer) {
		assert_non_null(p->key = crypto_ed25519_generate());
		assert_int_equal(crypto_pubkey_raw(p->key, p->pub), 0);
		rc = registry_signer_add(fx->st, now, code, p->pub, NULL, NULL, &o);
	}
	ef_verb_end(fx, rc, &o);
	assert_int_equal(registry_endpoint_by_pin(fx->st, first, &p->who), 0);
	assert_string_equal(p->who.party.code, code);
	p->nendpoints = nendpoints;
	fx->np++;
	return p;
}

/* Create an agreement of EF_TEXT between parties (a comma list), with
 * observers (or NULL), signatories (or NULL) and a signing deadline (0:
 * none), and circulate it unless draft: its id. */
static inline int64_t
ef_agreement(struct engine_fixture *fx, const char *parties, const char *observers,
    const char *signatories, int64_t sign_by, int draft)
{
	struct agreement_terms t = { .title = "Ceasefire", .text = EF_TEXT,
	    .text_len = strlen(EF_TEXT), .parties = parties, .observers = observers,
	    .signatories = signatories };
	char by[PTIME_BUFLEN];
	struct out o;
	int64_t id;

	if (sign_by != 0) {
		ptime_format_utc(sign_by, by);
		t.sign_by = by;
	}
	ef_verb_begin(fx, &o);
	ef_verb_end(fx, engine_create(fx->e, &t, &o), &o);
	id = ef_int(fx, "SELECT max(id) FROM agreement");
	assert_true(id > 0);
	if (!draft) {
		ef_verb_begin(fx, &o);
		ef_verb_end(fx, engine_circulate(fx->e, id, NULL, &o), &o);
	}
	return id;
}

/* A party request from who: open its savepoint and fill r (sig_verdict:
 * a worker's verdict on a copy's signature, 0 none), then call the
 * handler, then ef_end with what it returned. */
static inline void
ef_begin(struct engine_fixture *fx, const struct ident *who, int sig_verdict, struct req *r)
{
	memset(r, 0, sizeof(*r));
	r->turn = fx->t;
	r->reply_to = fx->cf.c;
	r->id = ++fx->next_id;
	r->who = who;
	r->sig_verdict = sig_verdict;
	assert_int_equal(turn_request_begin(fx->t), 0);
}

/* End the request as the handler said, commit, and read its one answer
 * (the caller frees it with parley__frame__free_unpacked). */
static inline Parley__Frame *
ef_end(struct engine_fixture *fx, enum req_end keep)
{
	Parley__Frame *f;

	turn_request_end(fx->t, keep);
	turn_flush(fx->t);
	f = conn_fixture_next_frame(&fx->cf);
	assert_non_null(f);
	assert_int_equal(f->id, fx->next_id);
	return f;
}

/* Sign the payload of c's current fields with key, as the client does. */
static inline void
ef_copy_sign(struct ef_copy *c, EVP_PKEY *key)
{
	uint8_t *payload;
	size_t plen;

	assert_int_equal(sign_payload(c->m.agreement, c->m.revision, c->hash, c->party,
	    c->role, &payload, &plen), 0);
	assert_int_equal(crypto_pubkey_raw(key, c->pub), 0);
	assert_int_equal(crypto_sign(key, payload, plen, c->sig), 0);
	free(payload);
}

/* The content hash a party computes of text under agreement's terms (as
 * the daemon states them); zeros for an agreement that does not exist. */
static inline void
ef_hash(struct engine_fixture *fx, int64_t agreement, const char *text, uint8_t out[32])
{
	struct ag a;

	memset(out, 0, 32);
	if (ag_load(fx->e, agreement, &a) != 0)
		return;
	assert_int_equal(ag_content_hash(fx->e, &a, SIGN_CONTENT_V2, text, NULL, "", out), 0);
}

/* p's copy of revision rev of agreement, whose text is text (the terms are
 * the agreement's), in role, signed with key. */
static inline void
ef_copy_make(struct engine_fixture *fx, struct ef_copy *c, const char *party, EVP_PKEY *key,
    int64_t agreement, uint32_t rev, const char *text, const char *role)
{
	Parley__SignRequest init = PARLEY__SIGN_REQUEST__INIT;

	memset(c, 0, sizeof(*c));
	c->m = init;
	snprintf(c->party, sizeof(c->party), "%s", party);
	snprintf(c->role, sizeof(c->role), "%s", role);
	ef_hash(fx, agreement, text, c->hash);
	c->m.agreement = (uint64_t)agreement;
	c->m.revision = rev;
	c->m.party = c->party;
	c->m.role = c->role;
	c->m.content_hash.data = c->hash;
	c->m.content_hash.len = 32;
	c->m.signer_key.data = c->pub;
	c->m.signer_key.len = 32;
	c->m.signature.data = c->sig;
	c->m.signature.len = 64;
	c->m.text = "";
	ef_copy_sign(c, key);
}

/* Send c from who: what engine_sign returned in *keep, and the answer. */
static inline Parley__Frame *
ef_sign(struct engine_fixture *fx, const struct ident *who, int sig_verdict,
    const struct ef_copy *c, enum req_end *keep)
{
	struct req r;

	ef_begin(fx, who, sig_verdict, &r);
	*keep = engine_sign(fx->e, &r, &c->m);
	return ef_end(fx, *keep);
}

/* p signs revision rev (text) of agreement and it is accepted: the Ok's
 * message must contain expect. */
static inline void
ef_sign_ok(struct engine_fixture *fx, const struct ef_party *p, int64_t agreement,
    uint32_t rev, const char *text, const char *role, const char *expect)
{
	struct ef_copy c;
	enum req_end keep;
	Parley__Frame *f;

	ef_copy_make(fx, &c, p->who.party.code, p->key, agreement, rev, text, role);
	f = ef_sign(fx, &p->who, 0, &c, &keep);
	if (f->body_case == PARLEY__FRAME__BODY_ERROR)
		print_error("copy of %s refused: %s\n", p->who.party.code, f->error->message);
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_OK);
	assert_int_equal(keep, REQ_KEEP);
	assert_non_null(strstr(f->ok->message, expect));
	parley__frame__free_unpacked(f, NULL);
}

/* p proposes text as an amendment to revision rev of agreement and the
 * mediator adopts it: the agreement's revision becomes rev + 1. */
static inline void
ef_amend_adopt(struct engine_fixture *fx, const struct ef_party *p, int64_t agreement,
    uint32_t rev, const char *text)
{
	Parley__AmendRequest m = PARLEY__AMEND_REQUEST__INIT;
	Parley__Frame *f;
	struct req r;
	struct out o;
	int64_t am;

	m.agreement = (uint64_t)agreement;
	m.revision = rev;
	m.text = (char *)text;
	ef_begin(fx, &p->who, 0, &r);
	f = ef_end(fx, engine_amend(fx->e, &r, &m));
	assert_int_equal(f->body_case, PARLEY__FRAME__BODY_OK);
	am = (int64_t)f->ok->id;
	parley__frame__free_unpacked(f, NULL);
	ef_verb_begin(fx, &o);
	ef_verb_end(fx, engine_amendment_adopt(fx->e, am, NULL, 0, &o), &o);
}

#endif
