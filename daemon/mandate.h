/* Mandates: who may sign for a party, in which roles, for what, until when.
 *
 * A party's principal key (registry_principal_add) signs mandates (layout in
 * proto/sign.h); each authorises one signer key.  Once a party has a
 * principal, a signature of its counts only if, at the time of signing, a
 * mandate covers the key, the role and the agreement (mandate_check); at
 * release the engine checks again and a mandate revoked before release voids
 * the signatures it covered.  Mandates are never deleted: a superseded or
 * revoked one keeps its row, so the history of each signer's authority stays
 * visible.
 *
 * The first half is pure (no store, no clock: unit-tested in
 * tests/unit/test_mandate.c); the second runs inside the engine's
 * transaction like every engine function. */
#ifndef PARLEY_MANDATE_H
#define PARLEY_MANDATE_H

#include <stddef.h>
#include <stdint.h>

#include "agreement.h"
#include "cert.h"
#include "registry.h"
#include "sign.h"

#define MANDATE_SCOPE_MAX 300

struct mandate {
	int64_t id;
	char party[PARTY_CODE_MAX + 1];
	uint8_t signer_key[32];
	size_t nroles;
	char roles[SIGN_MANDATE_MAX_ROLES][PARTY_CODE_MAX + 1];	/* sorted, distinct */
	char scope[MANDATE_SCOPE_MAX + 1];	/* canonical (mandate_scope_canon) */
	int64_t valid_from, valid_until;	/* valid_until 0: open-ended */
	int64_t issued_at;
	int64_t supersedes;			/* 0: none */
	char in_place_of[CERT_NAME_MAX + 1];	/* "" when nobody's place */
	uint8_t principal_key[32], signature[64];
	int64_t superseded_by, superseded_at;	/* 0: not superseded */
	int64_t revoked_at;			/* 0: not revoked */
};

/* Why a mandate does or does not cover a signature. */
enum mandate_verdict {
	MANDATE_COVERS = 0,
	MANDATE_OTHER_KEY,		/* it authorises another signer key */
	MANDATE_REVOKED,		/* revoked at or before that time */
	MANDATE_SUPERSEDED,		/* replaced at or before that time */
	MANDATE_NOT_YET_VALID,		/* before valid_from */
	MANDATE_EXPIRED,		/* at or after valid_until */
	MANDATE_OUTSIDE_SCOPE,		/* the agreement is not in its scope */
	MANDATE_ROLE_NOT_COVERED,	/* the role is not one of its roles */
};

/* Does m cover a signature by key, in role, on agreement (whose label is
 * label, "" if none), made at time at?  Pure; checks in the order of the
 * enum, so the first failing reason is the one reported. */
enum mandate_verdict mandate_check(const struct mandate *m, const uint8_t key[32],
    const char *role, int64_t agreement, const char *label, int64_t at);
/* A short phrase for a verdict ("outside scope", "expired", ...). */
const char *mandate_verdict_text(enum mandate_verdict v);

/* The status of m at time now: "revoked", "superseded", "not-yet-valid",
 * "expired" or "active" (in that precedence).  Pure. */
const char *mandate_status(const struct mandate *m, int64_t now);

/* Canonical form of a scope: "any", "agreements:1,2,3" (ascending,
 * distinct, positive ids) or "label:NAME" (NAME an identifier).  0 with out,
 * -1 if in is none of these or does not fit outlen. */
int mandate_scope_canon(const char *in, char *out, size_t outlen);
/* Does canonical scope cover agreement (label: "" if none)?  1 or 0. */
int mandate_scope_covers(const char *scope, int64_t agreement, const char *label);

/* Fill the signing layout's fields from m (borrowing m's strings; roles
 * points into rolev, which must hold SIGN_MANDATE_MAX_ROLES pointers). */
void mandate_fields(const struct mandate *m, struct sign_mandate_fields *f,
    const char *rolev[SIGN_MANDATE_MAX_ROLES]);

/* ---- in the engine's transaction ---- */


/* Load mandate id: 0 found, 1 unknown, -1 store failure. */
int mandate_load(struct ag_ctx *e, int64_t id, struct mandate *m);

/* Find a mandate of party covering key/role/agreement at time at: 0 with
 * *m, 1 if none does (why names the latest mandate of that key and the
 * reason, or says there is no mandate), -1 store failure. */
int mandate_find_cover(struct ag_ctx *e, int64_t party, const uint8_t key[32],
    const char *role, int64_t agreement, const char *label, int64_t at, struct mandate *m,
    char *why, size_t whylen);

/* Void the valid copies of circulating agreements that rely on a mandate
 * revoked at or before now (journalled; each party concerned is told).
 * agreement 0: every agreement.  The number voided, or -1. */
int mandate_void_revoked(struct ag_ctx *e, int64_t agreement);

/* Party requests: a party submits one signed by its principal
 * key, revokes one with a signed revocation, or lists its own (with the
 * daemon's time, which the client uses for issue times). */
enum req_end mandate_issue(struct ag_ctx *e, const struct req *r, const Parley__Mandate *m);
enum req_end mandate_revoke(struct ag_ctx *e, const struct req *r,
    const Parley__MandateRevoke *m);
enum req_end mandate_query(struct ag_ctx *e, const struct req *r);

/* Every mandate (of one party, or all when party is NULL) with its status. */
int mandate_list(struct ag_ctx *e, const char *party, struct out *o);

#endif
