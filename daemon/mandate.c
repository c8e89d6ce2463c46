#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "agreement.h"
#include "errors.h"
#include "log.h"
#include "mandate.h"
#include "ptime.h"
#include "text.h"

/* ---- pure ---- */

int
mandate_scope_covers(const char *scope, int64_t agreement, const char *label)
{
	const char *p;
	char *end;
	long long v;

	if (strcmp(scope, "any") == 0)
		return 1;
	if (strncmp(scope, "label:", 6) == 0)
		return label != NULL && *label != '\0' && strcmp(scope + 6, label) == 0;
	if (strncmp(scope, "agreements:", 11) != 0)
		return 0;
	for (p = scope + 11; *p != '\0'; p = *end ? end + 1 : end) {
		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno != 0 || end == p)
			return 0;
		if (v == agreement)
			return 1;
	}
	return 0;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

int
mandate_scope_canon(const char *in, char *out, size_t outlen)
{
	long long ids[64];
	size_t n = 0, i, off;
	const char *p;
	char *end;

	if (in == NULL)
		return -1;
	if (strcmp(in, "any") == 0) {
		if ((size_t)snprintf(out, outlen, "any") >= outlen)
			return -1;
		return 0;
	}
	if (strncmp(in, "label:", 6) == 0) {
		if (!ident_valid(in + 6) || (size_t)snprintf(out, outlen, "%s", in) >= outlen)
			return -1;
		return 0;
	}
	if (strncmp(in, "agreements:", 11) != 0 || in[11] == '\0')
		return -1;
	for (p = in + 11; ; p = end + 1) {
		if (*p < '1' || *p > '9' || n == 64)
			return -1;
		errno = 0;
		ids[n] = strtoll(p, &end, 10);
		if (errno != 0 || (*end != ',' && *end != '\0'))
			return -1;
		for (i = 0; i < n; i++)
			if (ids[i] == ids[n])
				return -1;
		n++;
		if (*end == '\0')
			break;
	}
	qsort(ids, n, sizeof(ids[0]), cmp_ll);
	if ((off = (size_t)snprintf(out, outlen, "agreements:")) >= outlen)
		return -1;
	for (i = 0; i < n; i++) {
		off += (size_t)snprintf(out + off, outlen - off, "%s%lld", i ? "," : "", ids[i]);
		if (off >= outlen)
			return -1;
	}
	return 0;
}

enum mandate_verdict
mandate_check(const struct mandate *m, const uint8_t key[32], const char *role,
    int64_t agreement, const char *label, int64_t at)
{
	size_t i;

	if (memcmp(m->signer_key, key, 32) != 0)
		return MANDATE_OTHER_KEY;
	if (m->revoked_at != 0 && m->revoked_at <= at)
		return MANDATE_REVOKED;
	if (m->superseded_at != 0 && m->superseded_at <= at)
		return MANDATE_SUPERSEDED;
	if (at < m->valid_from)
		return MANDATE_NOT_YET_VALID;
	if (m->valid_until != 0 && at >= m->valid_until)
		return MANDATE_EXPIRED;
	if (!mandate_scope_covers(m->scope, agreement, label))
		return MANDATE_OUTSIDE_SCOPE;
	for (i = 0; i < m->nroles; i++)
		if (strcmp(m->roles[i], role) == 0)
			return MANDATE_COVERS;
	return MANDATE_ROLE_NOT_COVERED;
}

const char *
mandate_verdict_text(enum mandate_verdict v)
{
	switch (v) {
	case MANDATE_COVERS:
		return "covers it";
	case MANDATE_OTHER_KEY:
		return "authorises another key";
	case MANDATE_REVOKED:
		return "revoked";
	case MANDATE_SUPERSEDED:
		return "superseded";
	case MANDATE_NOT_YET_VALID:
		return "not yet valid";
	case MANDATE_EXPIRED:
		return "expired";
	case MANDATE_OUTSIDE_SCOPE:
		return "outside scope";
	case MANDATE_ROLE_NOT_COVERED:
		return "role not covered";
	}
	return "unknown";
}

const char *
mandate_status(const struct mandate *m, int64_t now)
{
	if (m->revoked_at != 0 && m->revoked_at <= now)
		return "revoked";
	if (m->superseded_at != 0 && m->superseded_at <= now)
		return "superseded";
	if (now < m->valid_from)
		return "not-yet-valid";
	if (m->valid_until != 0 && now >= m->valid_until)
		return "expired";
	return "active";
}

void
mandate_fields(const struct mandate *m, struct sign_mandate_fields *f,
    const char *rolev[SIGN_MANDATE_MAX_ROLES])
{
	size_t i;

	for (i = 0; i < m->nroles && i < SIGN_MANDATE_MAX_ROLES; i++)
		rolev[i] = m->roles[i];
	memset(f, 0, sizeof(*f));
	f->party = m->party;
	f->signer_key = m->signer_key;
	f->roles = rolev;
	f->nroles = m->nroles;
	f->scope = m->scope;
	f->valid_from = m->valid_from;
	f->valid_until = m->valid_until;
	f->issued_at = m->issued_at;
	f->supersedes = (uint64_t)m->supersedes;
	f->in_place_of = m->in_place_of;
}

/* ---- in the engine's transaction ---- */

#define MANDATE_COLS \
	"m.id, p.code, m.signer_key, m.roles, m.scope, m.valid_from, m.valid_until," \
	" m.issued_at, m.supersedes, m.in_place_of, m.principal_key, m.signature," \
	" m.superseded_by, m.superseded_at, m.revoked_at "

/* One row of MANDATE_COLS into m; -1 if it is malformed. */
static int
mandate_row(sqlite3_stmt *s, struct mandate *m)
{
	char roles[SIGN_MANDATE_MAX_ROLES * (PARTY_CODE_MAX + 1) + 1], *tok, *save = NULL;

	memset(m, 0, sizeof(*m));
	if (sqlite3_column_bytes(s, 2) != 32 || sqlite3_column_bytes(s, 10) != 32 ||
	    sqlite3_column_bytes(s, 11) != 64)
		return -1;
	m->id = sqlite3_column_int64(s, 0);
	snprintf(m->party, sizeof(m->party), "%s", store_col_str(s, 1));
	memcpy(m->signer_key, sqlite3_column_blob(s, 2), 32);
	snprintf(roles, sizeof(roles), "%s", store_col_str(s, 3));
	for (tok = strtok_r(roles, " ", &save); tok && m->nroles < SIGN_MANDATE_MAX_ROLES;
	    tok = strtok_r(NULL, " ", &save))
		snprintf(m->roles[m->nroles++], PARTY_CODE_MAX + 1, "%s", tok);
	snprintf(m->scope, sizeof(m->scope), "%s", store_col_str(s, 4));
	m->valid_from = sqlite3_column_int64(s, 5);
	m->valid_until = sqlite3_column_int64(s, 6);
	m->issued_at = sqlite3_column_int64(s, 7);
	m->supersedes = sqlite3_column_int64(s, 8);
	snprintf(m->in_place_of, sizeof(m->in_place_of), "%s", store_col_str(s, 9));
	memcpy(m->principal_key, sqlite3_column_blob(s, 10), 32);
	memcpy(m->signature, sqlite3_column_blob(s, 11), 64);
	m->superseded_by = store_col_time(s, 12);
	m->superseded_at = store_col_time(s, 13);
	m->revoked_at = store_col_time(s, 14);
	return 0;
}

int
mandate_load(struct ag_ctx *e, int64_t id, struct mandate *m)
{
	static const char sql[] =
	    "SELECT " MANDATE_COLS "FROM mandate m JOIN party p ON p.id = m.party_id "
	    "WHERE m.id = ?";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && mandate_row(s, m) != 0)
		rc = SQLITE_ERROR;
	if (store_rows_end(e->st, s, rc, "a mandate") != 0)
		return -1;
	return rc == SQLITE_ROW ? 0 : 1;
}

int
mandate_find_cover(struct ag_ctx *e, int64_t party, const uint8_t key[32], const char *role,
    int64_t agreement, const char *label, int64_t at, struct mandate *m, char *why,
    size_t whylen)
{
	static const char sql[] =
	    "SELECT " MANDATE_COLS "FROM mandate m JOIN party p ON p.id = m.party_id "
	    "WHERE m.party_id = ? AND m.signer_key = ? ORDER BY m.id DESC";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	struct mandate cand;
	enum mandate_verdict v, first = MANDATE_COVERS;
	int64_t first_id = 0;
	char hex[65];
	int found = 0, rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, party);
	sqlite3_bind_blob(s, 2, key, 32, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (mandate_row(s, &cand) != 0)
			continue;
		v = mandate_check(&cand, key, role, agreement, label, at);
		if (v == MANDATE_COVERS) {
			*m = cand;
			found = 1;
			break;
		}
		if (first_id == 0) {
			first_id = cand.id;
			first = v;
		}
	}
	if (store_rows_end(e->st, s, rc, "a key's mandates") != 0)
		return -1;
	if (found)
		return 0;
	hex_encode(key, 32, hex);
	if (first_id == 0)
		snprintf(why, whylen, "no mandate: no mandate of this party authorises signer "
		    "key %s", hex);
	else
		snprintf(why, whylen, "mandate %lld does not cover this signature: %s%s%s",
		    (long long)first_id, mandate_verdict_text(first),
		    first == MANDATE_ROLE_NOT_COVERED ? " (role \"" : "",
		    first == MANDATE_ROLE_NOT_COVERED ? role : "");
	if (first_id != 0 && first == MANDATE_ROLE_NOT_COVERED)
		snprintf(why + strlen(why), whylen - strlen(why), "\")");
	return 1;
}

/* mandate_void_revoked, and in *own the number voided of party's copies. */
static int
void_revoked(struct ag_ctx *e, int64_t agreement, int64_t party, int *own)
{
	/* Two texts, so that each gets its own plan: one agreement's copies
	 * (by the copy_agreement index, on every signature) or the copies
	 * under revoked mandates (from the few revoked mandates, by
	 * copy_mandate), never a scan of all copies. */
#define VOID_COLS "SELECT c.id, c.agreement_id, c.party_id, p.code, c.role, c.mandate_id, " \
	    "m.revoked_at, c.signature "
#define VOID_COND "c.status = 'valid' AND a.state = 'circulating' AND " \
	    "m.revoked_at IS NOT NULL AND m.revoked_at <= ?1 "
	static const char find_one[] = VOID_COLS
	    "FROM copy c JOIN mandate m ON m.id = c.mandate_id JOIN agreement a "
	    "ON a.id = c.agreement_id JOIN party p ON p.id = c.party_id "
	    "WHERE c.agreement_id = ?2 AND " VOID_COND "ORDER BY c.id";
	static const char find_all[] = VOID_COLS
	    "FROM mandate m CROSS JOIN copy c ON c.mandate_id = m.id JOIN agreement a "
	    "ON a.id = c.agreement_id JOIN party p ON p.id = c.party_id "
	    "WHERE " VOID_COND "ORDER BY c.id";
#undef VOID_COLS
#undef VOID_COND
	struct voided {
		int64_t copy, agreement, party, mandate, revoked_at;
		char code[PARTY_CODE_MAX + 1], role[PARTY_CODE_MAX + 1];
		uint8_t sighash[32];
	} *v = NULL, *nv;
	size_t n = 0, cap = 0, i;
	char reason[300], when[PTIME_BUFLEN];
	int64_t now = clock_now(e->clk);
	sqlite3_stmt *s;
	int rc = -1, step;

	if ((s = store_stmt(e->st, agreement ? find_one : find_all)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	if (agreement)
		sqlite3_bind_int64(s, 2, agreement);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				sqlite3_reset(s);
				free(v);
				return -1;
			}
			v = nv;
		}
		v[n].copy = sqlite3_column_int64(s, 0);
		v[n].agreement = sqlite3_column_int64(s, 1);
		v[n].party = sqlite3_column_int64(s, 2);
		snprintf(v[n].code, sizeof(v[n].code), "%s", store_col_str(s, 3));
		snprintf(v[n].role, sizeof(v[n].role), "%s", store_col_str(s, 4));
		v[n].mandate = sqlite3_column_int64(s, 5);
		v[n].revoked_at = sqlite3_column_int64(s, 6);
		memset(v[n].sighash, 0, 32);
		if (sqlite3_column_bytes(s, 7) == 64)
			crypto_sha256(sqlite3_column_blob(s, 7), 64, v[n].sighash);
		n++;
	}
	/* Cut short, the copies not read would stay valid under a revoked
	 * mandate and could be released. */
	if (store_rows_end(e->st, s, step, "copies under revoked mandates") != 0) {
		free(v);
		return -1;
	}
	for (i = 0; i < n; i++) {
		ptime_format(v[i].revoked_at, when);
		snprintf(reason, sizeof(reason), "mandate %lld was revoked at %s, before release",
		    (long long)v[i].mandate, when);
		if (ag_copy_void(e, v[i].copy, reason, now) != 0)
			goto done;
		/* The copy is named by its signature's hash, not its row id (a
		 * count of every party's copies) nor anything another party
		 * could guess and try against the leaf hash a consistency proof
		 * may show: the entry is under the embargo (invariant 2). */
		if (ag_journal(e, "signature-void", v[i].agreement, v[i].code,
		    (const uint8_t (*)[32])v[i].sighash, 1, "role %s: %s",
		    *v[i].role ? v[i].role : "-", reason) != 0)
			goto done;
		snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason),
		    ": your signature (role %s) is void; the agreement waits for a new one",
		    *v[i].role ? v[i].role : "-");
		if (ag_send_update(e, v[i].party, v[i].agreement, 0, "signature-void", reason) != 0)
			goto done;
		log_info("agreement %lld: copy %lld of %s void (mandate %lld revoked)",
		    (long long)v[i].agreement, (long long)v[i].copy, v[i].code,
		    (long long)v[i].mandate);
		*own += v[i].party == party;
	}
	rc = (int)n;
done:
	free(v);
	return rc;
}

int
mandate_void_revoked(struct ag_ctx *e, int64_t agreement)
{
	int own = 0;

	return void_revoked(e, agreement, 0, &own);
}

/* ---- party requests and mediator verbs ---- */

#define ROLES_TEXT_MAX	(SIGN_MANDATE_MAX_ROLES * (PARTY_CODE_MAX + 1) + 1)

/* A submitted mandate's form, into m and roles (space-separated): a party
 * with a principal key issuing for itself, whole fields, sorted distinct
 * roles, a canonical scope, a period that ends after it begins.  0, or -1
 * answered. */
static int
issue_check(struct ag_ctx *e, const struct req *r, const Parley__Mandate *pm,
    struct mandate *m, char roles[ROLES_TEXT_MAX])
{
	char canon[MANDATE_SCOPE_MAX + 1];
	size_t i;
	int rc;

	if (r->who->party.observer) {
		req_refuse(r, PARLEY_EREFUSED, "observers never sign, and have no "
		    "mandates");
		return -1;
	}
	if ((rc = registry_principal_of(e->st, r->who->party.id, m->principal_key)) < 0) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return -1;
	}
	if (rc == 1) {
		req_refuse(r, PARLEY_EREFUSED, "%s has no principal key: the mediator "
		    "registers one (parleyctl principal add) before mandates can be issued",
		    r->who->party.code);
		return -1;
	}
	if (strcmp(pm->party, r->who->party.code) != 0) {
		req_refuse(r, PARLEY_EAUTH, "this endpoint speaks for %s; it cannot issue a "
		    "mandate for \"%s\"", r->who->party.code, pm->party);
		return -1;
	}
	if (pm->principal_key.len != 0 && (pm->principal_key.len != 32 ||
	    memcmp(pm->principal_key.data, m->principal_key, 32) != 0)) {
		req_refuse(r, PARLEY_EAUTH, "the mandate is not signed with the principal "
		    "key registered for %s", r->who->party.code);
		return -1;
	}
	if (pm->signer_key.len != 32 || pm->signature.len != 64) {
		req_refuse(r, PARLEY_EUSAGE, "a mandate needs a 32-byte signer key and a "
		    "64-byte signature");
		return -1;
	}
	if (pm->n_roles == 0 || pm->n_roles > SIGN_MANDATE_MAX_ROLES) {
		req_refuse(r, PARLEY_EUSAGE, "a mandate names 1-%d roles",
		    SIGN_MANDATE_MAX_ROLES);
		return -1;
	}
	memset(&m->party, 0, sizeof(m->party));
	snprintf(m->party, sizeof(m->party), "%s", r->who->party.code);
	memcpy(m->signer_key, pm->signer_key.data, 32);
	memcpy(m->signature, pm->signature.data, 64);
	m->nroles = pm->n_roles;
	roles[0] = '\0';
	for (i = 0; i < pm->n_roles; i++) {
		if (!ident_valid(pm->roles[i]) || (i > 0 && strcmp(pm->roles[i - 1],
		    pm->roles[i]) >= 0)) {
			req_refuse(r, PARLEY_EUSAGE, "roles must be valid names, sorted and "
			    "distinct");
			return -1;
		}
		snprintf(m->roles[i], sizeof(m->roles[i]), "%s", pm->roles[i]);
		snprintf(roles + strlen(roles), ROLES_TEXT_MAX - strlen(roles), "%s%s",
		    i ? " " : "", pm->roles[i]);
	}
	if (mandate_scope_canon(pm->scope, canon, sizeof(canon)) != 0 ||
	    strcmp(canon, pm->scope) != 0) {
		req_refuse(r, PARLEY_EUSAGE, "scope \"%s\" is not any, agreements:1,2,... "
		    "(ascending) or label:NAME", pm->scope);
		return -1;
	}
	snprintf(m->scope, sizeof(m->scope), "%s", canon);
	if (pm->valid_until != 0 && pm->valid_until <= pm->valid_from) {
		req_refuse(r, PARLEY_EUSAGE, "the mandate ends before it begins");
		return -1;
	}
	if (*pm->in_place_of && !cert_shown_name_valid(pm->in_place_of)) {
		req_refuse(r, PARLEY_EUSAGE, "in-place-of must be a name of 1-%d printable "
		    "bytes", CERT_NAME_MAX);
		return -1;
	}
	snprintf(m->in_place_of, sizeof(m->in_place_of), "%s", pm->in_place_of);
	m->valid_from = pm->valid_from;
	m->valid_until = pm->valid_until;
	m->issued_at = pm->issued_at;
	m->supersedes = (int64_t)pm->supersedes;
	return 0;
}

/* The principal's signature over m, and the mandate it supersedes (the
 * party's own, still in force).  0, or -1 answered. */
static int
issue_verify(struct ag_ctx *e, const struct req *r, const struct mandate *m)
{
	const char *rolev[SIGN_MANDATE_MAX_ROLES];
	struct sign_mandate_fields f;
	uint8_t *payload = NULL;
	struct mandate old;
	size_t plen;
	int rc;

	mandate_fields(m, &f, rolev);
	if (sign_mandate(&f, &payload, &plen) != 0) {
		req_refuse(r, PARLEY_ESTORE, "out of memory");
		return -1;
	}
	rc = crypto_verify(m->principal_key, payload, plen, m->signature);
	free(payload);
	if (rc == -2) {
		req_refuse(r, PARLEY_ESTORE, "out of memory checking the signature; "
		    "nothing was saved, try again");
		return -1;
	}
	if (rc != 0) {
		req_refuse(r, PARLEY_EAUTH, "the mandate's signature does not verify with "
		    "the principal key of %s", r->who->party.code);
		return -1;
	}
	if (m->supersedes == 0)
		return 0;
	rc = mandate_load(e, m->supersedes, &old);
	if (rc < 0) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return -1;
	}
	if (rc == 1 || strcmp(old.party, m->party) != 0) {
		req_refuse(r, PARLEY_EREFUSED, "%s has no mandate %lld to supersede",
		    m->party, (long long)m->supersedes);
		return -1;
	}
	if (old.revoked_at != 0 || old.superseded_by != 0) {
		req_refuse(r, PARLEY_EREFUSED, "mandate %lld is already %s",
		    (long long)old.id, old.revoked_at ? "revoked" : "superseded");
		return -1;
	}
	return 0;
}

/* Store m (and mark the one it supersedes): 0 with *id, -1 store failure. */
static int
issue_store(struct ag_ctx *e, int64_t party, const struct mandate *m, const char *roles,
    int64_t now, int64_t *id)
{
	static const char ins[] =
	    "INSERT INTO mandate(party_id, signer_key, roles, scope, valid_from, valid_until,"
	    " issued_at, supersedes, in_place_of, principal_key, signature, created_at)"
	    " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	static const char sup[] =
	    "UPDATE mandate SET superseded_by = ?, superseded_at = ? WHERE id = ?";
	sqlite3_stmt *s;

	if ((s = store_stmt(e->st, ins)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, party);
	sqlite3_bind_blob(s, 2, m->signer_key, 32, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, roles, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, m->scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, m->valid_from);
	sqlite3_bind_int64(s, 6, m->valid_until);
	sqlite3_bind_int64(s, 7, m->issued_at);
	sqlite3_bind_int64(s, 8, m->supersedes);
	sqlite3_bind_text(s, 9, m->in_place_of, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 10, m->principal_key, 32, SQLITE_STATIC);
	sqlite3_bind_blob(s, 11, m->signature, 64, SQLITE_STATIC);
	sqlite3_bind_int64(s, 12, now);
	if (store_step_done(e->st, s) != 0)
		return -1;
	*id = sqlite3_last_insert_rowid(store_db(e->st));
	if (m->supersedes == 0)
		return 0;
	if ((s = store_stmt(e->st, sup)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, *id);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, m->supersedes);
	return store_step_done(e->st, s);
}

enum req_end
mandate_issue(struct ag_ctx *e, const struct req *r, const Parley__Mandate *pm)
{
	char roles[ROLES_TEXT_MAX], hex[65];
	int64_t now = clock_now(e->clk), signer, id;
	struct mandate m;
	uint8_t h[32];
	int rc;

	if (issue_check(e, r, pm, &m, roles) != 0 || issue_verify(e, r, &m) != 0)
		return REQ_ROLLBACK;
	hex_encode(m.signer_key, 32, hex);
	rc = registry_signer_ensure(e->st, now, r->who->party.id, m.signer_key, &signer);
	if (rc < 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	if (rc == 1)
		return req_refuse(r, PARLEY_EREFUSED, "signer key %s is registered for another "
		    "party", hex);
	if (issue_store(e, r->who->party.id, &m, roles, now, &id) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	crypto_sha256(m.signature, 64, h);
	if (ag_journal(e, "mandate-issued", 0, m.party, (const uint8_t (*)[32])h, 1,
	    "mandate %lld: key %.16s..., roles %s, scope %s%s%s%s", (long long)id, hex, roles,
	    m.scope, m.supersedes ? ", supersedes " : "", m.supersedes ? "earlier" : "",
	    *m.in_place_of ? ", in place of a named person" : "") != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure: journal");
	log_info("mandate %lld of %s stored (roles %s, scope %s)", (long long)id, m.party, roles,
	    m.scope);
	return req_ok(r, (uint64_t)id, "mandate %lld of %s stored: signer key %.16s..., roles %s, "
	    "scope %s%s", (long long)id, m.party, hex, roles, m.scope,
	    m.supersedes ? " (supersedes an earlier mandate)" : "");
}

enum req_end
mandate_revoke(struct ag_ctx *e, const struct req *r, const Parley__MandateRevoke *pm)
{
	static const char upd[] =
	    "UPDATE mandate SET revoked_at = ?, revocation_sig = ? WHERE id = ? "
	    "AND revoked_at IS NULL";
	uint8_t pk[32], *payload = NULL, h[32];
	struct mandate m;
	char msg[300];
	size_t plen;
	sqlite3_stmt *s;
	int64_t now = clock_now(e->clk);
	int rc, voided = 0;

	if ((rc = registry_principal_of(e->st, r->who->party.id, pk)) < 0 ||
	    (rc == 0 && (rc = mandate_load(e, (int64_t)pm->mandate, &m)) < 0))
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	if (rc == 1 || strcmp(m.party, r->who->party.code) != 0)
		return req_refuse(r, PARLEY_ENOTFOUND, "%s has no mandate %llu", r->who->party.code,
		    (unsigned long long)pm->mandate);
	if (m.revoked_at != 0)
		return req_refuse(r, PARLEY_EREFUSED, "mandate %lld is already revoked",
		    (long long)m.id);
	if (pm->signature.len != 64 || (pm->principal_key.len != 0 &&
	    (pm->principal_key.len != 32 || memcmp(pm->principal_key.data, pk, 32) != 0)))
		return req_refuse(r, PARLEY_EAUTH, "a revocation must be signed with the principal "
		    "key of %s", m.party);
	if (sign_revocation(m.party, (uint64_t)m.id, m.signature, &payload, &plen) != 0)
		return req_refuse(r, PARLEY_ESTORE, "out of memory");
	rc = crypto_verify(pk, payload, plen, pm->signature.data);
	free(payload);
	if (rc == -2)
		return req_refuse(r, PARLEY_ESTORE, "out of memory checking the signature; "
		    "nothing was saved, try again");
	if (rc != 0)
		return req_refuse(r, PARLEY_EAUTH, "the revocation's signature does not verify with the "
		    "principal key of %s", m.party);
	if ((s = store_stmt(e->st, upd)) == NULL)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_blob(s, 2, pm->signature.data, 64, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, m.id);
	rc = store_step_done(e->st, s);
	if (rc != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	crypto_sha256(pm->signature.data, 64, h);
	if (ag_journal(e, "mandate-revoked", 0, m.party, (const uint8_t (*)[32])h, 1,
	    "mandate %lld", (long long)m.id) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure: journal");
	/* The answer counts this party's signatures only: were another's
	 * copy void under a mandate revoked earlier, it would read it here. */
	if (void_revoked(e, 0, r->who->party.id, &voided) < 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	log_info("mandate %lld of %s revoked; %d unreleased signature%s void", (long long)m.id,
	    m.party, voided, voided == 1 ? "" : "s");
	snprintf(msg, sizeof(msg), "mandate %lld revoked (recorded); %d signature%s it covered "
	    "on unreleased agreements %s void", (long long)m.id, voided, voided == 1 ? "" : "s",
	    voided == 1 ? "is" : "are");
	req_ok(r, (uint64_t)m.id, "%s", msg);
	return REQ_KEEP;
}

/* Every mandate of party (0: all), oldest first; *out malloc'd. */
static int
load_all(struct ag_ctx *e, int64_t party, struct mandate **out, size_t *n)
{
	static const char sql[] =
	    "SELECT " MANDATE_COLS "FROM mandate m JOIN party p ON p.id = m.party_id "
	    "WHERE ?1 = 0 OR m.party_id = ?1 ORDER BY m.id";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	struct mandate *v = NULL, *nv;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, party);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				sqlite3_reset(s);
				free(v);
				*n = 0;
				return -1;
			}
			v = nv;
		}
		if (mandate_row(s, &v[*n]) == 0)
			(*n)++;
	}
	/* A list cut short would look complete, to the party and the mediator. */
	if (store_rows_end(e->st, s, rc, "mandates") != 0) {
		free(v);
		*n = 0;
		return -1;
	}
	*out = v;
	return 0;
}

enum req_end
mandate_query(struct ag_ctx *e, const struct req *r)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__MandateList ml = PARLEY__MANDATE_LIST__INIT;
	Parley__Mandate *msg = NULL, **mp = NULL;
	char *(*rp)[SIGN_MANDATE_MAX_ROLES] = NULL;
	struct mandate *v;
	int64_t now = clock_now(e->clk);
	size_t n, i, k;

	if (load_all(e, r->who->party.id, &v, &n) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	if (n > 0 && ((msg = calloc(n, sizeof(*msg))) == NULL ||
	    (mp = calloc(n, sizeof(*mp))) == NULL || (rp = calloc(n, sizeof(*rp))) == NULL)) {
		free(msg);
		free(mp);
		free(v);
		return req_refuse(r, PARLEY_ESTORE, "out of memory");
	}
	for (i = 0; i < n; i++) {
		parley__mandate__init(&msg[i]);
		msg[i].id = (uint64_t)v[i].id;
		msg[i].party = v[i].party;
		msg[i].signer_key.data = v[i].signer_key;
		msg[i].signer_key.len = 32;
		for (k = 0; k < v[i].nroles; k++)
			rp[i][k] = v[i].roles[k];
		msg[i].n_roles = v[i].nroles;
		msg[i].roles = rp[i];
		msg[i].scope = v[i].scope;
		msg[i].valid_from = v[i].valid_from;
		msg[i].valid_until = v[i].valid_until;
		msg[i].issued_at = v[i].issued_at;
		msg[i].supersedes = (uint64_t)v[i].supersedes;
		msg[i].in_place_of = v[i].in_place_of;
		msg[i].principal_key.data = v[i].principal_key;
		msg[i].principal_key.len = 32;
		msg[i].signature.data = v[i].signature;
		msg[i].signature.len = 64;
		msg[i].status = (char *)mandate_status(&v[i], now);
		msg[i].revoked_at = v[i].revoked_at;
		msg[i].superseded_by = (uint64_t)v[i].superseded_by;
		mp[i] = &msg[i];
	}
	ml.n_mandates = n;
	ml.mandates = mp;
	ml.now = now;
	f.body_case = PARLEY__FRAME__BODY_MANDATE_LIST;
	f.mandate_list = &ml;
	req_reply(r, &f);
	free(msg);
	free(mp);
	free(rp);
	free(v);
	return REQ_ROLLBACK;
}

int
mandate_list(struct ag_ctx *e, const char *code, struct out *o)
{
	struct mandate *v;
	struct party p;
	char hex[65], from[PTIME_BUFLEN], until[PTIME_BUFLEN], roles[300], rev[PTIME_BUFLEN];
	int64_t now = clock_now(e->clk);
	size_t n, i, k;
	int rc;

	p.id = 0;
	if (code != NULL && (rc = registry_party_by_code(e->st, code, &p)) != 0)
		return out_refuse(o, rc < 0 ? "store failure" : "unknown party \"%s\"", code);
	if (load_all(e, p.id, &v, &n) != 0)
		return out_refuse(o, "store failure");
	jw_arr_begin(o->json, "mandates");
	out_text(o, "%-4s %-14s %-14s %-18s %-20s %s\n", "ID", "PARTY", "STATUS", "ROLES", "SCOPE",
	    "VALIDITY");
	for (i = 0; i < n; i++) {
		const struct mandate *m = &v[i];
		hex_encode(m->signer_key, 32, hex);
		ptime_format(m->valid_from, from);
		if (m->valid_until)
			ptime_format(m->valid_until, until);
		else
			snprintf(until, sizeof(until), "open-ended");
		roles[0] = '\0';
		jw_obj_begin(o->json, NULL);
		jw_int(o->json, "id", m->id);
		jw_str(o->json, "party", m->party);
		jw_str(o->json, "status", mandate_status(m, now));
		jw_str(o->json, "signer_key", hex);
		jw_arr_begin(o->json, "roles");
		for (k = 0; k < m->nroles; k++) {
			jw_str(o->json, NULL, m->roles[k]);
			snprintf(roles + strlen(roles), sizeof(roles) - strlen(roles), "%s%s",
			    k ? "+" : "", m->roles[k]);
		}
		jw_arr_end(o->json);
		jw_str(o->json, "scope", m->scope);
		jw_str(o->json, "valid_from", from);
		jw_str(o->json, "valid_until", m->valid_until ? until : NULL);
		jw_int(o->json, "supersedes", m->supersedes);
		jw_int(o->json, "superseded_by", m->superseded_by);
		jw_str(o->json, "in_place_of", m->in_place_of);
		if (m->revoked_at) {
			ptime_format(m->revoked_at, rev);
			jw_str(o->json, "revoked_at", rev);
		} else {
			jw_null(o->json, "revoked_at");
		}
		jw_obj_end(o->json);
		out_text(o, "%-4lld %-14s %-14s %-18s %-20s %s .. %s%s%s\n", (long long)m->id,
		    m->party, mandate_status(m, now), roles, m->scope, from,
		    m->valid_until ? until : "open-ended", *m->in_place_of ? "; in place of " : "",
		    m->in_place_of);
	}
	jw_arr_end(o->json);
	free(v);
	return 0;
}
