/* The release bundle (doc/bundle.md), built from the store; see bundle.h.
 * Moved out of engine.c unchanged: every byte of every bundle is as it
 * was. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "cert.h"
#include "crypto.h"
#include "journal.h"
#include "lifecycle.h"
#include "log.h"
#include "mandate.h"
#include "merkle.h"
#include "registry.h"
#include "sign.h"
#include "store.h"

/* ---- the text ---- */

int
bundle_text_load(struct ag_ctx *e, const struct ag *a, struct bundle_text *t)
{
	size_t i;
	int version;

	memset(t, 0, sizeof(*t));
	parley__agreement_text__init(&t->msg);
	if (ag_load_revision(e, a->id, a->revision, &t->text, &t->calendar, t->hash,
	    &version) != 0)
		return -1;
	/* The members the certificate names: an observer added after release
	 * receives the bundle as it was released. */
	if (ag_load_members_at_release(e, a->id, 0, &t->parties) != 0 ||
	    ag_load_members_at_release(e, a->id, 1, &t->observers) != 0) {
		free(t->text);
		free(t->calendar);
		return -1;
	}
	for (i = 0; i < t->parties.n; i++)
		t->pp[i] = t->parties.code[i];
	for (i = 0; i < t->observers.n; i++)
		t->op[i] = t->observers.code[i];
	t->msg.agreement = (uint64_t)a->id;
	t->msg.revision = a->revision;
	t->msg.title = (char *)a->title;
	t->msg.text = t->text;
	t->msg.effective = (char *)a->effective;
	t->msg.validity = (char *)a->validity;
	t->msg.calendar = t->calendar;
	t->msg.content_hash.data = t->hash;
	t->msg.content_hash.len = 32;
	t->msg.content_version = (uint32_t)version;
	t->msg.n_parties = t->parties.n;
	t->msg.parties = t->pp;
	t->msg.n_observers = t->observers.n;
	t->msg.observers = t->op;
	t->msg.state = (char *)lifecycle_state_name(a->state);
	if (ag_load_roles(e, a->id, t->roles, 64, &t->msg.n_roles) != 0) {
		bundle_text_release(t);
		return -1;
	}
	for (i = 0; i < t->msg.n_roles; i++)
		t->rp[i] = t->roles[i];
	t->msg.roles = t->rp;
	snprintf(t->zone, sizeof(t->zone), "%s", a->zone);
	t->msg.zone = t->zone;
	t->msg.sign_by = a->sign_by;
	t->msg.extends = (uint64_t)a->extends_id;
	t->msg.reaffirms = (uint64_t)a->reaffirms_id;
	if (ag_load_versions(e, a->id, a->revision, &t->v) != 0) {
		bundle_text_release(t);
		return -1;
	}
	for (i = 0; i < t->v.n; i++) {
		parley__text_version__init(&t->tv[i]);
		t->tv[i].lang = t->v.lang[i];
		t->tv[i].text = t->v.text[i];
		t->tv[i].authentic = t->v.authentic[i] != 0;
		t->tvp[i] = &t->tv[i];
	}
	t->msg.n_versions = t->v.n;
	t->msg.versions = t->tvp;
	if (ag_load_frames(e, a->id, &t->f) != 0) {
		bundle_text_release(t);
		return -1;
	}
	for (i = 0; i < t->f.n; i++) {
		parley__party_frame__init(&t->pf[i]);
		t->pf[i].party = t->f.code[i];
		t->pf[i].frame = t->f.frame[i];
		t->pfp[i] = &t->pf[i];
	}
	bundle_text_for(t, -1);
	return 0;
}

void
bundle_text_for(struct bundle_text *t, int64_t party)
{
	size_t i;

	t->msg.n_frames = 0;
	t->msg.frames = t->pfp;
	if (party < 0) {
		t->msg.n_frames = t->f.n;
		return;
	}
	for (i = 0; i < t->f.n; i++)
		if (t->f.party[i] == party) {
			t->msg.frames = &t->pfp[i];
			t->msg.n_frames = 1;
		}
}

void
bundle_text_release(struct bundle_text *t)
{
	free(t->text);
	free(t->calendar);
	t->text = t->calendar = NULL;
	ag_versions_free(&t->v);
	ag_frames_free(&t->f);
}

/* ---- the bundle ---- */

struct copyrow {
	char party[PARTY_CODE_MAX + 1];
	char role[PARTY_CODE_MAX + 1];
	uint8_t key[32], sig[64], hash[32];
	uint32_t revision;
	int64_t signed_at;
	int64_t mandate;	/* 0: none */
	char in_place_of[CERT_NAME_MAX + 1];
	char signer_name[CERT_NAME_MAX + 1], signer_title[CERT_NAME_MAX + 1];	/* "" none */
	char *reservation;	/* malloc'd; "" none */
	char condition[CERT_CONDITION_MAX + 1];	/* "" none */
};

static void
rows_free(struct copyrow *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].reservation);
		rows[i].reservation = NULL;
	}
}

/* The counted copies of the current revision, in signing-party order. */
static int
load_copies(struct ag_ctx *e, const struct ag *a, struct copyrow *rows, size_t max, size_t *n)
{
	static const char sql[] =
	    "SELECT p.code, c.role, g.pubkey, c.signature, c.content_hash, c.revision,"
	    " c.signed_at, c.mandate_id, coalesce(m.in_place_of, ''),"
	    " coalesce(c.reservation, ''), coalesce(c.condition, ''),"
	    " coalesce(g.name, ''), coalesce(g.title, '') "
	    "FROM agreement_party ap JOIN party p ON p.id = ap.party_id "
	    "JOIN copy c ON c.agreement_id = ap.agreement_id AND c.party_id = ap.party_id "
	    "JOIN signer g ON g.id = c.signer_id LEFT JOIN mandate m ON m.id = c.mandate_id "
	    "WHERE ap.agreement_id = ? AND ap.observer = 0 AND c.revision = ? "
	    "AND c.status = 'valid' ORDER BY ap.rowid, c.role";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc;

	*n = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, a->id);
	sqlite3_bind_int64(s, 2, a->revision);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max) {
		struct copyrow *c = &rows[*n];
		if (sqlite3_column_bytes(s, 2) != 32 || sqlite3_column_bytes(s, 3) != 64 ||
		    sqlite3_column_bytes(s, 4) != 32)
			continue;
		snprintf(c->party, sizeof(c->party), "%s", store_col_str(s, 0));
		snprintf(c->role, sizeof(c->role), "%s", store_col_str(s, 1));
		memcpy(c->key, sqlite3_column_blob(s, 2), 32);
		memcpy(c->sig, sqlite3_column_blob(s, 3), 64);
		memcpy(c->hash, sqlite3_column_blob(s, 4), 32);
		c->revision = (uint32_t)sqlite3_column_int64(s, 5);
		c->signed_at = sqlite3_column_int64(s, 6);
		c->mandate = store_col_time(s, 7);
		snprintf(c->in_place_of, sizeof(c->in_place_of), "%s", store_col_str(s, 8));
		snprintf(c->condition, sizeof(c->condition), "%s", store_col_str(s, 10));
		snprintf(c->signer_name, sizeof(c->signer_name), "%s", store_col_str(s, 11));
		snprintf(c->signer_title, sizeof(c->signer_title), "%s", store_col_str(s, 12));
		if ((c->reservation = strdup(store_col_str(s, 9))) == NULL) {
			sqlite3_reset(s);	/* abandoned: out of memory */
			rows_free(rows, *n);
			*n = 0;
			return -1;
		}
		(*n)++;
	}
	/* A certificate or bundle missing a signature must not be made. */
	if (store_rows_end(e->st, s, rc, "the counted copies") != 0) {
		rows_free(rows, *n);
		*n = 0;
		return -1;
	}
	return 0;
}

/* The release certificate for the copies being counted; caller frees. */
static char *
certificate_text(struct ag_ctx *e, const struct ag *a, const struct bundle_text *t,
    const struct copyrow *rows, size_t n)
{
	struct cert *c = calloc(1, sizeof(*c));
	char *text;
	size_t i;

	if (c == NULL)
		return NULL;
	c->agreement = (uint64_t)a->id;
	snprintf(c->title, sizeof(c->title), "%s", a->title);
	c->revision = a->revision;
	memcpy(c->content_hash, t->hash, 32);
	for (i = 0; i < t->parties.n && i < CERT_MAX_PARTIES; i++)
		snprintf(c->parties[c->nparties++], CERT_CODE_MAX + 1, "%s", t->parties.code[i]);
	for (i = 0; i < t->observers.n && i < CERT_MAX_PARTIES; i++)
		snprintf(c->observers[c->nobservers++], CERT_CODE_MAX + 1, "%s",
		    t->observers.code[i]);
	c->released_at = a->released_at;
	c->effective_at = a->effective_at;
	for (i = 0; i < t->f.n && i < CERT_MAX_PARTIES; i++) {
		snprintf(c->frames[i].party, sizeof(c->frames[i].party), "%s", t->f.code[i]);
		if (crypto_sha256(t->f.frame[i], strlen(t->f.frame[i]), c->frames[i].hash) != 0) {
			free(c);
			return NULL;
		}
		c->nframes++;
	}
	for (i = 0; i < t->parties.n && i < CERT_MAX_PARTIES; i++) {
		struct cert_principal *pr = &c->principals[c->nprincipals];
		int rc = registry_principal_of(e->st, t->parties.id[i], pr->key);
		if (rc < 0) {
			free(c);
			return NULL;
		}
		if (rc == 0) {
			snprintf(pr->party, sizeof(pr->party), "%s", t->parties.code[i]);
			c->nprincipals++;
		}
	}
	for (i = 0; i < n && i < CERT_MAX_COPIES; i++) {
		struct cert_copy *k = &c->copies[c->ncopies++];
		_Static_assert(sizeof(k->party) == sizeof(rows[i].party), "party code size");
		memcpy(k->party, rows[i].party, sizeof(k->party));
		memcpy(k->role, rows[i].role, sizeof(k->role));
		memcpy(k->key, rows[i].key, 32);
		memcpy(k->sig, rows[i].sig, 64);
		k->signed_at = rows[i].signed_at;
		k->mandate = (uint64_t)rows[i].mandate;
		snprintf(k->in_place_of, sizeof(k->in_place_of), "%s", rows[i].in_place_of);
		snprintf(k->condition, sizeof(k->condition), "%s", rows[i].condition);
		snprintf(k->signer_name, sizeof(k->signer_name), "%s", rows[i].signer_name);
		snprintf(k->signer_title, sizeof(k->signer_title), "%s", rows[i].signer_title);
		if (*rows[i].reservation != '\0') {
			k->has_reservation = 1;
			if (crypto_sha256(rows[i].reservation, strlen(rows[i].reservation),
			    k->reservation) != 0) {
				free(c);
				return NULL;
			}
		}
	}
	text = cert_format(c);
	free(c);
	return text;
}

/* A Bundle built for sending; every part is owned by struct bundle. */
struct bundle {
	Parley__Bundle msg;
	struct bundle_text t;
	struct copyrow rows[64];
	size_t ncopies;
	Parley__SignedCopy copies[64], *cp[64];
	uint8_t *cert, *certsig;
	size_t certlen;
	/* inclusion proofs of the release and of each counted copy */
	char *checkpoint;
	Parley__JournalProof proofs[65], *pp[65];
	char *entries[65];
	char labels[65][80];
	uint8_t paths[65][MERKLE_PROOF_MAXLEN];
	size_t nproofs;
	/* the mandates the counted copies rely on, each once */
	struct mandate mrows[64];
	Parley__Mandate mandates[64], *mp[64];
	char *mroles[64][SIGN_MANDATE_MAX_ROLES];
	size_t nmandates;
};

static void bundle_clear(struct bundle *b);

/* Add mandate id (0: none) to the bundle unless it is there already. */
static int
bundle_mandate(struct ag_ctx *e, struct bundle *b, int64_t id)
{
	Parley__Mandate *pm;
	struct mandate *m;
	size_t i;

	if (id == 0)
		return 0;
	for (i = 0; i < b->nmandates; i++)
		if (b->mrows[i].id == id)
			return 0;
	if (b->nmandates == 64)
		return -1;
	m = &b->mrows[b->nmandates];
	if (mandate_load(e, id, m) != 0)
		return -1;
	pm = &b->mandates[b->nmandates];
	parley__mandate__init(pm);
	pm->id = (uint64_t)m->id;
	pm->party = m->party;
	pm->signer_key.data = m->signer_key;
	pm->signer_key.len = 32;
	for (i = 0; i < m->nroles; i++)
		b->mroles[b->nmandates][i] = m->roles[i];
	pm->n_roles = m->nroles;
	pm->roles = b->mroles[b->nmandates];
	pm->scope = m->scope;
	pm->valid_from = m->valid_from;
	pm->valid_until = m->valid_until;
	pm->issued_at = m->issued_at;
	pm->supersedes = (uint64_t)m->supersedes;
	pm->in_place_of = m->in_place_of;
	pm->principal_key.data = m->principal_key;
	pm->principal_key.len = 32;
	pm->signature.data = m->signature;
	pm->signature.len = 64;
	pm->status = "";
	pm->revoked_at = m->revoked_at;
	pm->superseded_by = (uint64_t)m->superseded_by;
	b->mp[b->nmandates++] = pm;
	return 0;
}

/* The latest journal entry of kind for agreement and party that records
 * the hash hex (a copy's signature hash): 0 with *seq, -1 if none. */
static int
find_entry_with(struct ag_ctx *e, const char *kind, int64_t agreement, const char *party,
    const char *hex, uint64_t *seq)
{
	static const char sql[] =
	    "SELECT max(seq) FROM journal WHERE kind = ? AND agreement_id = ? AND party = ? "
	    "AND instr(CAST(entry AS TEXT), ?) > 0";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc = -1, step;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, agreement);
	sqlite3_bind_text(s, 3, party, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, hex, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(s)) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*seq = (uint64_t)sqlite3_column_int64(s, 0);
		rc = 0;
	}
	if (store_rows_end(e->st, s, step, "a journal entry's number") != 0)
		return -1;
	return rc;
}

/* Add the inclusion proof of the latest entry of kind (for party) against
 * a checkpoint of size n. */
static int
add_proof(struct ag_ctx *e, struct bundle *b, const char *label, const char *kind,
    int64_t agreement, const char *party, const char *with, uint64_t n)
{
	Parley__JournalProof *p = &b->proofs[b->nproofs];
	uint64_t seq;
	size_t len, hashes;

	if (b->nproofs == 65 || (with != NULL ?
	    find_entry_with(e, kind, agreement, party, with, &seq) :
	    journal_find(e->j, kind, agreement, party, &seq)) != 0 || seq >= n)
		return -1;
	if (journal_entry(e->j, seq, &b->entries[b->nproofs], &len) != 0)
		return -1;
	if (journal_inclusion(e->j, seq, n, b->paths[b->nproofs], &hashes) != 0) {
		free(b->entries[b->nproofs]);
		b->entries[b->nproofs] = NULL;
		return -1;
	}
	parley__journal_proof__init(p);
	snprintf(b->labels[b->nproofs], sizeof(b->labels[0]), "%s", label);
	p->label = b->labels[b->nproofs];
	p->index = seq;
	p->entry.data = (uint8_t *)b->entries[b->nproofs];
	p->entry.len = len;
	p->path.data = b->paths[b->nproofs];
	p->path.len = hashes * MERKLE_HASH_LEN;
	b->pp[b->nproofs] = p;
	b->nproofs++;
	return 0;
}

/* The record's part of a bundle: the latest checkpoint and the proofs that
 * the release and every counted copy are in the tree it signs. */
static int
bundle_proofs(struct ag_ctx *e, const struct ag *a, struct bundle *b)
{
	char label[80];
	uint64_t n;
	size_t i;

	if (e->j == NULL)
		return 0;
	if (journal_latest(e->j, &b->checkpoint, &n) != 0)
		return -1;
	if (add_proof(e, b, "release", "released", a->id, NULL, NULL, n) != 0)
		return -1;
	for (i = 0; i < b->msg.n_copies; i++) {
		uint8_t h[32];
		char hex[65];
		/* doc/bundle.md section 3: PARTY, or PARTY.ROLE ('.' is in no code). */
		snprintf(label, sizeof(label), "copy-%s%s%s", b->rows[i].party,
		    *b->rows[i].role ? "." : "", b->rows[i].role);
		crypto_sha256(b->rows[i].sig, 64, h);
		hex_encode(h, 32, hex);
		if (add_proof(e, b, label, "copy-accepted", a->id, b->rows[i].party, hex, n) != 0)
			return -1;
	}
	b->msg.checkpoint = b->checkpoint;
	b->msg.n_proofs = b->nproofs;
	b->msg.proofs = b->pp;
	return 0;
}

struct bundle *
bundle_begin(struct ag_ctx *e, const struct ag *a)
{
	struct bundle *b = malloc(sizeof(*b));

	if (b == NULL)
		return NULL;
	/* Not a memset of the whole (its proof paths alone are 130 KB): what
	 * the other steps read is set as they fill it. */
	b->cert = b->certsig = NULL;
	b->checkpoint = NULL;
	b->nproofs = b->nmandates = b->ncopies = 0;
	parley__bundle__init(&b->msg);
	if (bundle_text_load(e, a, &b->t) != 0) {
		free(b);
		return NULL;
	}
	if (load_copies(e, a, b->rows, 64, &b->ncopies) != 0) {
		bundle_text_release(&b->t);
		free(b);
		return NULL;
	}
	return b;
}

char *
bundle_certificate(struct ag_ctx *e, const struct ag *a, const struct bundle *b)
{
	return certificate_text(e, a, &b->t, b->rows, b->ncopies);
}

/* On failure everything b held is released (bundle_free still frees b). */
int
bundle_end(struct ag_ctx *e, const struct ag *a, struct bundle *b)
{
	static const char sql[] =
	    "SELECT certificate, certificate_sig FROM agreement WHERE id = ?";
	size_t n = b->ncopies, i;
	sqlite3_stmt *s;
	int ok = 0, step;

	b->t.msg.state = (char *)lifecycle_state_name(a->state);
	if ((s = store_stmt(e->st, sql)) == NULL) {
		bundle_clear(b);
		return -1;
	}
	sqlite3_bind_int64(s, 1, a->id);
	if ((step = sqlite3_step(s)) == SQLITE_ROW && sqlite3_column_bytes(s, 1) == 64) {
		b->certlen = (size_t)sqlite3_column_bytes(s, 0);
		b->cert = malloc(b->certlen + 1);
		b->certsig = malloc(64);
		if (b->cert != NULL && b->certsig != NULL) {
			memcpy(b->cert, sqlite3_column_blob(s, 0), b->certlen);
			memcpy(b->certsig, sqlite3_column_blob(s, 1), 64);
			ok = 1;
		}
	}
	if (store_rows_end(e->st, s, step, "a certificate") != 0)
		ok = 0;
	if (!ok) {
		bundle_clear(b);
		return -1;
	}
	for (i = 0; i < n; i++) {
		Parley__SignedCopy *c = &b->copies[i];
		parley__signed_copy__init(c);
		c->party = b->rows[i].party;
		c->role = b->rows[i].role;
		c->revision = b->rows[i].revision;
		c->content_hash.data = b->rows[i].hash;
		c->content_hash.len = 32;
		c->signer_key.data = b->rows[i].key;
		c->signer_key.len = 32;
		c->signature.data = b->rows[i].sig;
		c->signature.len = 64;
		c->signed_at = b->rows[i].signed_at;
		c->mandate = (uint64_t)b->rows[i].mandate;
		c->reservation = b->rows[i].reservation;
		c->condition = b->rows[i].condition;
		b->cp[i] = c;
		if (bundle_mandate(e, b, b->rows[i].mandate) != 0) {
			bundle_clear(b);
			return -1;
		}
	}
	b->msg.n_mandates = b->nmandates;
	b->msg.mandates = b->mp;
	b->msg.text = &b->t.msg;
	b->msg.n_copies = n;
	b->msg.copies = b->cp;
	b->msg.certificate.data = b->cert;
	b->msg.certificate.len = b->certlen;
	b->msg.certificate_sig.data = b->certsig;
	b->msg.certificate_sig.len = 64;
	if (bundle_proofs(e, a, b) != 0) {
		log_warnx("agreement %lld: the journal lacks the entries its bundle proves",
		    (long long)a->id);
		bundle_clear(b);
		return -1;
	}
	return 0;
}

/* The text, every counted copy, the certificate, the mandates and the
 * record's proofs of an agreement in force. */
struct bundle *
bundle_load(struct ag_ctx *e, const struct ag *a)
{
	struct bundle *b = bundle_begin(e, a);

	if (b != NULL && bundle_end(e, a, b) != 0) {
		bundle_free(b);
		return NULL;
	}
	return b;
}

Parley__Bundle *
bundle_msg(struct bundle *b)
{
	return &b->msg;
}

const struct bundle_text *
bundle_text(const struct bundle *b)
{
	return &b->t;
}

size_t
bundle_ncopies(const struct bundle *b)
{
	return b->ncopies;
}

/* Release what b holds, leaving it safe to clear again. */
static void
bundle_clear(struct bundle *b)
{
	size_t i;

	bundle_text_release(&b->t);
	rows_free(b->rows, b->ncopies);
	b->ncopies = 0;
	free(b->cert);
	free(b->certsig);
	b->cert = b->certsig = NULL;
	free(b->checkpoint);
	b->checkpoint = NULL;
	for (i = 0; i < b->nproofs; i++)
		free(b->entries[i]);
	b->nproofs = 0;
}

void
bundle_free(struct bundle *b)
{
	if (b == NULL)
		return;
	bundle_clear(b);
	free(b);
}

int
bundle_send_text(struct ag_ctx *e, const struct ag *a, struct bundle_text *t,
    const int64_t *parties, size_t n)
{
	Parley__Payload p = PARLEY__PAYLOAD__INIT;
	char summary[300];

	size_t i;
	int rc = 0;

	p.body_case = PARLEY__PAYLOAD__BODY_CIRCULATED;
	p.circulated = &t->msg;
	snprintf(summary, sizeof(summary), "agreement %lld revision %u: %s", (long long)a->id,
	    a->revision, a->title);
	if (t->f.n == 0)
		return ag_enqueue(e, parties, n, "circulation", a->id, summary, &p);
	/* Each party is sent the frame of its own sheet. */
	for (i = 0; i < n && rc == 0; i++) {
		bundle_text_for(t, parties[i]);
		rc = ag_enqueue(e, &parties[i], 1, "circulation", a->id, summary, &p);
	}
	bundle_text_for(t, -1);
	return rc;
}

int
bundle_send_release(struct ag_ctx *e, const struct ag *a, struct bundle *b,
    const int64_t *parties, size_t n)
{
	Parley__Payload p = PARLEY__PAYLOAD__INIT;
	char summary[300];

	size_t i, off, with = 0;

	p.body_case = PARLEY__PAYLOAD__BODY_RELEASED;
	p.released = bundle_msg(b);
	off = (size_t)snprintf(summary, sizeof(summary), "agreement %lld released: %s",
	    (long long)a->id, a->title);
	/* Every member reads at release what the signers wrote on their copies. */
	for (i = 0; i < b->ncopies && off < sizeof(summary); i++)
		if (*b->rows[i].reservation || *b->rows[i].condition)
			off += (size_t)snprintf(summary + off, sizeof(summary) - off, "%s%s%s%s",
			    with++ ? ", " : "; with reservations or conditions: ", b->rows[i].party,
			    *b->rows[i].role ? "." : "", b->rows[i].role);
	return ag_enqueue(e, parties, n, "release", a->id, summary, &p);
}
