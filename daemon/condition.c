/* Conditions on signatures: lifting, the mediator's deadline; see
 * condition.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "condition.h"
#include "crypto.h"
#include "errors.h"
#include "log.h"
#include "mandate.h"
#include "sign.h"
#include "text.h"

#define DUE_KIND "condition-due"

/* A conditional copy: the valid copy of the current revision of a party
 * in a role whose signature is subject to a condition. */
struct ccopy {
	int64_t id;
	uint8_t sig[64];
	char condition[CERT_CONDITION_MAX + 1];
	int64_t lifted_at, due_at;
};

/* 0 found, 1 none, -1 store failure. */
static int
load_ccopy(struct ag_ctx *e, const struct ag *a, int64_t party, const char *role,
    struct ccopy *c)
{
	static const char sql[] =
	    "SELECT c.id, c.signature, c.condition, coalesce(l.lifted_at, 0),"
	    " coalesce(d.due_at, 0) FROM copy c LEFT JOIN condition_lift l ON l.copy_id = c.id"
	    " LEFT JOIN condition_due d ON d.copy_id = c.id WHERE c.agreement_id = ?"
	    " AND c.party_id = ? AND c.revision = ? AND c.role = ? AND c.status = 'valid'"
	    " AND c.condition IS NOT NULL";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc, found = 0;

	memset(c, 0, sizeof(*c));
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, a->id);
	sqlite3_bind_int64(s, 2, party);
	sqlite3_bind_int64(s, 3, a->revision);
	sqlite3_bind_text(s, 4, role, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW && sqlite3_column_bytes(s, 1) == 64) {
		found = 1;
		c->id = sqlite3_column_int64(s, 0);
		memcpy(c->sig, sqlite3_column_blob(s, 1), 64);
		snprintf(c->condition, sizeof(c->condition), "%s", store_col_str(s, 2));
		c->lifted_at = sqlite3_column_int64(s, 3);
		c->due_at = sqlite3_column_int64(s, 4);
	}
	if (store_rows_end(e->st, s, rc, "a conditional copy") != 0)
		return -1;
	return found ? 0 : 1;
}

/* The signer may speak for the party: a key registered to it, and under a
 * principal a mandate covering the role and the agreement now.  0, or -1
 * answered. */
static int
lift_signer(struct ag_ctx *e, const struct req *r, const struct ag *a,
    const Parley__LiftRequest *m, int64_t *signer)
{
	struct mandate md;
	uint8_t pk[32];
	char hex[65], why[300];
	int64_t owner;
	int rc, prc;

	hex_encode(m->signer_key.data, 32, hex);
	if ((rc = registry_signer_by_key(e->st, m->signer_key.data, signer, &owner)) < 0 ||
	    (prc = registry_principal_of(e->st, r->who->party.id, pk)) < 0) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return -1;
	}
	if (rc == 1 || owner != r->who->party.id) {
		req_refuse(r, PARLEY_EAUTH, "signer key %s is not registered for %s", hex,
		    r->who->party.code);
		return -1;
	}
	if (prc != 0)
		return 0;
	rc = mandate_find_cover(e, r->who->party.id, m->signer_key.data, m->role, a->id,
	    a->label, clock_now(e->clk), &md, why, sizeof(why));
	if (rc < 0) {
		req_refuse(r, PARLEY_ESTORE, "store failure");
		return -1;
	}
	if (rc > 0) {
		req_refuse(r, PARLEY_EREFUSED, "the condition stays: %s", why);
		return -1;
	}
	return 0;
}

/* The signature over the lifting layout of copy c.  0, or -1 answered. */
static int
lift_verify(struct ag_ctx *e, const struct req *r, const struct ag *a,
    const Parley__LiftRequest *m, const struct ccopy *c)
{
	uint8_t h[32], *payload;
	size_t plen;
	int rc;

	if (crypto_sha256(c->sig, 64, h) != 0 ||
	    sign_lift((uint64_t)a->id, a->revision, r->who->party.code, m->role, c->condition,
	    h, &payload, &plen) != 0) {
		req_refuse(r, PARLEY_ESTORE, "out of memory; nothing was saved, try again");
		return -1;
	}
	rc = crypto_verify_cached(e->keys, m->signer_key.data, payload, plen, m->signature.data);
	free(payload);
	if (rc == -2) {
		req_refuse(r, PARLEY_ESTORE, "out of memory; nothing was saved, try again");
		return -1;
	}
	if (rc != 0) {
		req_refuse(r, PARLEY_EREFUSED, "the signature does not verify over the lifting of "
		    "%s's condition on agreement %lld revision %u", r->who->party.code,
		    (long long)a->id, a->revision);
		return -1;
	}
	return 0;
}

static int
lift_store(struct ag_ctx *e, const struct ccopy *c, int64_t signer, const uint8_t sig[64])
{
	static const char sql[] =
	    "INSERT INTO condition_lift(copy_id, signer_id, signature, lifted_at) "
	    "VALUES(?, ?, ?, ?)";
	sqlite3_stmt *s = store_stmt(e->st, sql);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, c->id);
	sqlite3_bind_int64(s, 2, signer);
	sqlite3_bind_blob(s, 3, sig, 64, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, clock_now(e->clk));
	return store_step_done(e->st, s);
}

enum req_end
condition_lift(struct ag_ctx *e, const struct req *r, const Parley__LiftRequest *m)
{
	struct ccopy c;
	struct ag a;
	uint8_t h[32];
	char text[600], told[900], when[PTIME_BUFLEN], keyhex[65], sighex[129];
	int64_t signer;
	int member, rc;

	if (ag_for_party(e, r, m->agreement, &a, &member) != 0)
		return REQ_ROLLBACK;
	if (member == 2)
		return req_refuse(r, PARLEY_EREFUSED, "observers never sign, so they lift no "
		    "condition");
	if (*m->role != '\0' && !ident_valid(m->role))
		return req_refuse(r, PARLEY_EUSAGE, "role \"%s\" is not a valid name", m->role);
	if (m->signer_key.len != 32 || m->signature.len != 64)
		return req_refuse(r, PARLEY_EUSAGE, "a lifting needs a 32-byte signer key and a "
		    "64-byte signature");
	if (!lifecycle_was_released(a.state))
		return req_refuse(r, PARLEY_EREFUSED, "agreement %lld is %s: before release a "
		    "condition is not lifted but dropped: withdraw the copy and sign it again "
		    "without it", (long long)a.id, lifecycle_state_name(a.state));
	if ((rc = load_ccopy(e, &a, r->who->party.id, m->role, &c)) < 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	if (rc == 1)
		return req_refuse(r, PARLEY_EREFUSED, "no copy of %s%s%s on agreement %lld is "
		    "subject to a condition", r->who->party.code, *m->role ? " in role " : "",
		    m->role, (long long)a.id);
	if (c.lifted_at != 0) {
		ptime_format_in(c.lifted_at, a.zone, when);
		req_ok(r, 0, "%s lifted its condition on agreement %lld at %s already",
		    r->who->party.code, (long long)a.id, when);
		return REQ_ROLLBACK;	/* nothing new */
	}
	if (lift_signer(e, r, &a, m, &signer) != 0 || lift_verify(e, r, &a, m, &c) != 0)
		return REQ_ROLLBACK;
	snprintf(text, sizeof(text), "%s%s%s lifted the condition of its signature of agreement "
	    "%lld (%s): the signature is final", r->who->party.code, *m->role ? " as " : "",
	    m->role, (long long)a.id, c.condition);
	/* The record keeps the lifting signature's hash: with the signature,
	 * which every member is sent, it proves the party lifted it. */
	hex_encode(m->signer_key.data, 32, keyhex);
	hex_encode(m->signature.data, 64, sighex);
	snprintf(told, sizeof(told), "%s; signed by key %s: %s", text, keyhex, sighex);
	if (crypto_sha256(m->signature.data, 64, h) != 0 ||
	    lift_store(e, &c, signer, m->signature.data) != 0 ||
	    ag_event_party(e, a.id, r->who->party.code, h, "condition-lifted", "%s", text) != 0 ||
	    ag_tell(e, a.id, 1, 0, "condition-lifted", told) != 0)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	log_info("agreement %lld: %s", (long long)a.id, text);
	req_ok(r, 0, "%s", text);
	return REQ_KEEP;
}

int
condition_deadline(struct ag_ctx *e, int64_t agreement, const char *party, const char *role,
    const char *when, struct out *o)
{
	static const char sql[] =
	    "INSERT INTO condition_due(copy_id, due_at, told_at) VALUES(?1, ?2, NULL) "
	    "ON CONFLICT(copy_id) DO UPDATE SET due_at = ?2, told_at = NULL";
	struct ag_members m;
	struct ccopy c;
	struct ag a;
	sqlite3_stmt *s;
	char at[PTIME_BUFLEN], text[600];
	int64_t due;
	size_t i;
	int rc;

	if (ag_for_mediator(e, agreement, &a, o) != 0)
		return -1;
	/* Before release a condition is a party's signing, which the others
	 * may not learn of (invariant 2); it is a deadline's subject only
	 * once the release has shown it to every member. */
	if (!lifecycle_was_released(a.state))
		return out_refuse(o, "agreement %lld is %s: its conditions are known to the "
		    "members only once it is released", (long long)a.id,
		    lifecycle_state_name(a.state));
	if (*role != '\0' && !ident_valid(role))
		return out_usage(o, "--role takes a short lowercase name, not \"%s\"", role);
	if (ptime_parse_in(when, a.zone, &due) != 0)
		return out_usage(o, "TIME takes an ISO 8601 time with an offset, or a date (the "
		    "end of that day in the agreement's zone)");
	if (due <= clock_now(e->clk))
		return out_usage(o, "the deadline must be in the future");
	if (ag_load_members(e, a.id, 0, &m) != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	for (i = 0; i < m.n && strcmp(m.code[i], party) != 0; i++)
		;
	if (i == m.n)
		return out_refuse(o, "\"%s\" is not a signing party of agreement %lld", party,
		    (long long)a.id);
	if ((rc = load_ccopy(e, &a, m.id[i], role, &c)) < 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	if (rc == 1)
		return out_refuse(o, "no copy of %s%s%s on agreement %lld is subject to a condition",
		    party, *role ? " in role " : "", role, (long long)a.id);
	if (c.lifted_at != 0)
		return out_refuse(o, "%s lifted its condition on agreement %lld already", party,
		    (long long)a.id);
	ptime_format_in(due, a.zone, at);
	snprintf(text, sizeof(text), "the mediator expects %s%s%s to lift its condition on "
	    "agreement %lld (%s) by %s", party, *role ? " as " : "", role, (long long)a.id,
	    c.condition, at);
	if ((s = store_stmt(e->st, sql)) == NULL)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	sqlite3_bind_int64(s, 1, c.id);
	sqlite3_bind_int64(s, 2, due);
	if (store_step_done(e->st, s) != 0 ||
	    ag_timer_add(e, a.id, 0, DUE_KIND, due, c.id, 0) != 0 ||
	    ag_event(e, a.id, "condition-deadline", "%s", text) != 0 ||
	    ag_tell(e, a.id, 1, 0, "condition-deadline", text) != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(e->st));
	jw_int(o->json, "id", a.id);
	jw_str(o->json, "party", party);
	jw_str(o->json, "role", role);
	jw_str(o->json, "condition", c.condition);
	jw_str(o->json, "due", at);
	out_text(o, "%s\n", text);
	return 0;
}

int
condition_count_open(struct ag_ctx *e, int64_t *n)
{
	static const char sql[] =
	    "SELECT count(*) FROM copy c JOIN agreement a ON a.id = c.agreement_id"
	    " AND a.revision = c.revision WHERE c.condition IS NOT NULL AND c.status = 'valid'"
	    " AND a.released_at IS NOT NULL"
	    " AND NOT EXISTS (SELECT 1 FROM condition_lift l WHERE l.copy_id = c.id)";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc;

	*n = 0;
	if (s == NULL)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	return store_rows_end(e->st, s, rc, "the open conditions");
}

int
condition_fire(struct ag_ctx *e, const struct ag_timer *t)
{
	static const char sql[] =
	    "SELECT p.code, c.role, c.condition, d.due_at, d.told_at IS NOT NULL,"
	    " EXISTS (SELECT 1 FROM condition_lift l WHERE l.copy_id = c.id), c.status = 'valid'"
	    " FROM copy c JOIN party p ON p.id = c.party_id"
	    " JOIN condition_due d ON d.copy_id = c.id WHERE c.id = ?";
	static const char told[] = "UPDATE condition_due SET told_at = ? WHERE copy_id = ?";
	char party[PARTY_CODE_MAX + 1] = "", role[PARTY_CODE_MAX + 1] = "";
	char cond[CERT_CONDITION_MAX + 1] = "", at[PTIME_BUFLEN], text[600];
	sqlite3_stmt *s;
	struct ag a;
	int rc, live = 0;

	if (strcmp(t->kind, DUE_KIND) != 0) {
		log_warnx("agreement %lld: unknown timer kind %s", (long long)t->agreement,
		    t->kind);
		return 0;
	}
	if ((s = store_stmt(e->st, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, t->ref);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(party, sizeof(party), "%s", store_col_str(s, 0));
		snprintf(role, sizeof(role), "%s", store_col_str(s, 1));
		snprintf(cond, sizeof(cond), "%s", store_col_str(s, 2));
		/* a deadline moved since (its own timer is the live one), told,
		 * lifted, or a copy no longer valid: nothing to say */
		live = sqlite3_column_int64(s, 3) == t->due && !sqlite3_column_int(s, 4) &&
		    !sqlite3_column_int(s, 5) && sqlite3_column_int(s, 6);
	}
	if (store_rows_end(e->st, s, rc, "a condition's deadline") != 0)
		return -1;
	if (!live)
		return 0;
	if ((rc = ag_load(e, t->agreement, &a)) != 0)
		return rc < 0 ? -1 : 0;
	ptime_format_in(t->due, a.zone, at);
	snprintf(text, sizeof(text), "%s%s%s has not lifted its condition on agreement %lld "
	    "(%s); the mediator expected it by %s", party, *role ? " as " : "", role,
	    (long long)a.id, cond, at);
	if ((s = store_stmt(e->st, told)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, clock_now(e->clk));
	sqlite3_bind_int64(s, 2, t->ref);
	if (store_step_done(e->st, s) != 0 ||
	    ag_event(e, a.id, "condition-overdue", "%s", text) != 0 ||
	    ag_tell(e, a.id, 1, 0, "condition-overdue", text) != 0)
		return -1;
	log_warnx("agreement %lld: %s", (long long)a.id, text);
	return 0;
}
