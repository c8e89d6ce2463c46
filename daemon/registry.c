#include <stdio.h>
#include <string.h>

#include "cert.h"
#include "crypto.h"
#include "log.h"
#include "ptime.h"
#include "registry.h"
#include "text.h"

static void
fmt_time(int64_t t, char *buf)
{
	ptime_format(t, buf);
}

int
registry_endpoint_by_pin(struct store *st, const uint8_t pin[32], struct ident *out)
{
	static const char sql[] =
	    "SELECT e.id, p.id, p.code, p.observer FROM endpoint e "
	    "JOIN party p ON p.id = e.party_id WHERE e.pin = ? AND e.removed_at IS NULL";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc, end;

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, pin, 32, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->endpoint_id = sqlite3_column_int64(s, 0);
		out->party.id = sqlite3_column_int64(s, 1);
		snprintf(out->party.code, sizeof(out->party.code), "%s",
		    (const char *)sqlite3_column_text(s, 2));
		out->party.observer = sqlite3_column_int(s, 3);
	}
	end = store_rows_end(st, s, rc, "an endpoint by its pin");
	if (end != 0)
		return -1;
	return rc == SQLITE_ROW ? 0 : 1;
}

int
registry_party_by_code(struct store *st, const char *code, struct party *out)
{
	static const char sql[] = "SELECT id, code, observer FROM party WHERE code = ?";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc, end;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, code, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		snprintf(out->code, sizeof(out->code), "%s",
		    (const char *)sqlite3_column_text(s, 1));
		out->observer = sqlite3_column_int(s, 2);
	}
	end = store_rows_end(st, s, rc, "a party by its code");
	if (end != 0)
		return -1;
	return rc == SQLITE_ROW ? 0 : 1;
}

int
registry_party_code(struct store *st, int64_t id, char *code)
{
	static const char sql[] = "SELECT code FROM party WHERE id = ?";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc, end;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		snprintf(code, PARTY_CODE_MAX + 1, "%s", (const char *)sqlite3_column_text(s, 0));
	end = store_rows_end(st, s, rc, "a party's code");
	if (end != 0)
		return -1;
	return rc == SQLITE_ROW ? 0 : 1;
}

int
registry_signer_by_key(struct store *st, const uint8_t pub[32], int64_t *signer_id,
    int64_t *party_id)
{
	static const char sql[] = "SELECT id, party_id FROM signer WHERE pubkey = ?";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc, end;

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, pub, 32, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*signer_id = sqlite3_column_int64(s, 0);
		*party_id = sqlite3_column_int64(s, 1);
	}
	end = store_rows_end(st, s, rc, "a signer key");
	if (end != 0)
		return -1;
	return rc == SQLITE_ROW ? 0 : 1;
}

static int
lookup_party(struct store *st, const char *code, struct party *p, struct out *o)
{
	int rc = registry_party_by_code(st, code, p);

	if (rc == 1)
		return out_refuse(o, "unknown party \"%s\" (see: parleyctl party list)", code);
	if (rc != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(st));
	return 0;
}

int
registry_party_add(struct store *st, int64_t now, const char *code, const char *name,
    int observer, struct out *o)
{
	static const char sql[] =
	    "INSERT INTO party(code, name, observer, created_at) VALUES(?, ?, ?, ?)";
	struct party p;
	sqlite3_stmt *s;
	int64_t id;
	int rc;

	if (!ident_valid(code))
		return out_usage(o, "party code \"%s\" is not valid: use 1-32 characters "
		    "a-z, 0-9, '-' or '_', starting with a letter or digit", code);
	/* words that name someone else wherever a party code may stand (a
	 * calendar's lane, a letter's recipients) */
	if (strcmp(code, "mediator") == 0 || strcmp(code, "all") == 0)
		return out_usage(o, "\"%s\" cannot be a party code: it stands for %s in calendars "
		    "and letters", code, *code == 'm' ? "the mediator" : "every party");
	if (name == NULL || *name == '\0')
		return out_usage(o, "party add needs --name NAME");
	if (!text_utf8_valid(name, strlen(name)) || strlen(name) > 200)
		return out_usage(o, "the name must be valid UTF-8 of at most 200 bytes");
	rc = registry_party_by_code(st, code, &p);
	if (rc == 0)
		return out_refuse(o, "party \"%s\" already exists", code);
	if (rc < 0)
		return out_refuse(o, "store failure: %s", store_errmsg(st));
	s = store_stmt(st, sql);
	if (s == NULL)
		return out_refuse(o, "store failure: %s", store_errmsg(st));
	sqlite3_bind_text(s, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, observer ? 1 : 0);
	sqlite3_bind_int64(s, 4, now);
	rc = store_step_done(st, s);
	if (rc != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(st));
	id = sqlite3_last_insert_rowid(store_db(st));
	jw_int(o->json, "id", id);
	jw_str(o->json, "party", code);
	jw_bool(o->json, "observer", observer);
	out_text(o, "%s \"%s\" (%s) registered\n", observer ? "observer" : "party", code, name);
	log_info("registry: %s %s added", observer ? "observer" : "party", code);
	return 0;
}

int
registry_party_list(struct store *st, struct out *o)
{
	static const char sql[] =
	    "SELECT p.id, p.code, p.name, p.observer, p.created_at,"
	    " (SELECT count(*) FROM endpoint e WHERE e.party_id = p.id AND e.removed_at IS NULL),"
	    " (SELECT count(*) FROM signer g WHERE g.party_id = p.id) "
	    "FROM party p ORDER BY p.id";
	sqlite3_stmt *s = store_stmt(st, sql);
	char when[PTIME_BUFLEN];
	int rc;

	if (s == NULL)
		return out_refuse(o, "store failure: %s", store_errmsg(st));
	jw_arr_begin(o->json, "parties");
	out_text(o, "%-14s %-9s %9s %7s  %s\n", "PARTY", "KIND", "ENDPOINTS", "SIGNERS", "NAME");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *code = (const char *)sqlite3_column_text(s, 1);
		const char *name = (const char *)sqlite3_column_text(s, 2);
		int obs = sqlite3_column_int(s, 3);
		fmt_time(sqlite3_column_int64(s, 4), when);
		jw_obj_begin(o->json, NULL);
		jw_int(o->json, "id", sqlite3_column_int64(s, 0));
		jw_str(o->json, "party", code);
		jw_str(o->json, "name", name);
		jw_bool(o->json, "observer", obs);
		jw_int(o->json, "endpoints", sqlite3_column_int64(s, 5));
		jw_int(o->json, "signers", sqlite3_column_int64(s, 6));
		jw_str(o->json, "created_at", when);
		jw_obj_end(o->json);
		out_text(o, "%-14s %-9s %9lld %7lld  %s\n", code, obs ? "observer" : "party",
		    (long long)sqlite3_column_int64(s, 5), (long long)sqlite3_column_int64(s, 6),
		    name);
	}
	/* A step that failed is not the end of the list: a list cut short would
	 * look complete.  The refusal replaces what was written so far (the
	 * admin socket answers a refused verb with its reason alone). */
	if (store_rows_end(st, s, rc, "the parties") != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(st));
	jw_arr_end(o->json);
	return 0;
}

/* Insert (party_id, 32-byte blob, now) with sql; the new row id, or -1. */
static int64_t
insert_keyed(struct store *st, const char *sql, int64_t party, const uint8_t blob[32],
    int64_t now)
{
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, party);
	sqlite3_bind_blob(s, 2, blob, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	rc = store_step_done(st, s);
	if (rc != 0)
		return -1;
	return sqlite3_last_insert_rowid(store_db(st));
}

int
registry_endpoint_add(struct store *st, int64_t now, const char *code, const uint8_t pin[32],
    struct out *o)
{
	static const char ins[] =
	    "INSERT INTO endpoint(party_id, pin, created_at) VALUES(?, ?, ?)";
	struct party p;
	struct ident who;
	char hex[65];
	int64_t id;
	int rc;

	if (lookup_party(st, code, &p, o) != 0)
		return -1;
	hex_encode(pin, 32, hex);
	if ((rc = registry_endpoint_by_pin(st, pin, &who)) == 0)
		return out_refuse(o, "pin %s is already endpoint %lld of party \"%s\"", hex,
		    (long long)who.endpoint_id, who.party.code);
	if (rc < 0 || (id = insert_keyed(st, ins, p.id, pin, now)) < 0)
		return out_refuse(o, "store failure: %s", store_errmsg(st));
	store_batch_endpoints_changed(st);
	jw_int(o->json, "id", id);
	jw_str(o->json, "party", code);
	jw_str(o->json, "pin", hex);
	out_text(o, "endpoint %lld of \"%s\" pinned to %s\n", (long long)id, code, hex);
	log_info("registry: endpoint %lld of %s added (pin %s)", (long long)id, code, hex);
	return 0;
}

int
registry_endpoint_list(struct store *st, const char *code, struct out *o)
{
	static const char sql[] =
	    "SELECT e.id, p.code, e.pin, e.created_at, e.removed_at FROM endpoint e "
	    "JOIN party p ON p.id = e.party_id WHERE (?1 IS NULL OR p.code = ?1) "
	    "ORDER BY e.id";
	sqlite3_stmt *s;
	char hex[65], when[PTIME_BUFLEN], gone[PTIME_BUFLEN];
	struct party p;
	int rc;

	if (code != NULL && lookup_party(st, code, &p, o) != 0)
		return -1;
	if ((s = store_stmt(st, sql)) == NULL)
		return out_refuse(o, "store failure: %s", store_errmsg(st));
	if (code != NULL)
		sqlite3_bind_text(s, 1, code, -1, SQLITE_STATIC);
	jw_arr_begin(o->json, "endpoints");
	out_text(o, "%-5s %-14s %-64s %s\n", "ID", "PARTY", "PIN", "STATUS");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int removed = sqlite3_column_type(s, 4) != SQLITE_NULL;
		if (sqlite3_column_bytes(s, 2) != 32)
			continue;
		hex_encode(sqlite3_column_blob(s, 2), 32, hex);
		fmt_time(sqlite3_column_int64(s, 3), when);
		if (removed)
			fmt_time(sqlite3_column_int64(s, 4), gone);
		jw_obj_begin(o->json, NULL);
		jw_int(o->json, "id", sqlite3_column_int64(s, 0));
		jw_str(o->json, "party", (const char *)sqlite3_column_text(s, 1));
		jw_str(o->json, "pin", hex);
		jw_str(o->json, "added_at", when);
		jw_str(o->json, "removed_at", removed ? gone : NULL);
		jw_obj_end(o->json);
		out_text(o, "%-5lld %-14s %s %s%s\n", (long long)sqlite3_column_int64(s, 0),
		    (const char *)sqlite3_column_text(s, 1), hex,
		    removed ? "removed " : "active", removed ? gone : "");
	}
	if (store_rows_end(st, s, rc, "the endpoints") != 0)	/* see registry_party_list */
		return out_refuse(o, "store failure: %s", store_errmsg(st));
	jw_arr_end(o->json);
	return 0;
}

int
registry_endpoint_remove(struct store *st, int64_t now, int64_t id, struct out *o)
{
	static const char sql[] =
	    "UPDATE endpoint SET removed_at = ? WHERE id = ? AND removed_at IS NULL";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return out_refuse(o, "store failure: %s", store_errmsg(st));
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, id);
	store_batch_endpoints_changed(st);
	rc = store_step_done(st, s);
	if (rc != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(st));
	if (sqlite3_changes(store_db(st)) == 0)
		return out_refuse(o, "no active endpoint %lld (see: parleyctl endpoint list)",
		    (long long)id);
	jw_int(o->json, "id", id);
	out_text(o, "endpoint %lld removed; its certificate is refused from now on\n",
	    (long long)id);
	log_info("registry: endpoint %lld removed", (long long)id);
	return 0;
}

int
registry_signer_add(struct store *st, int64_t now, const char *code, const uint8_t pub[32],
    const char *name, const char *title, struct out *o)
{
	static const char named[] = "UPDATE signer SET name = ?, title = ? WHERE id = ?";
	sqlite3_stmt *s;
	static const char ins[] =
	    "INSERT INTO signer(party_id, pubkey, created_at) VALUES(?, ?, ?)";
	struct party p;
	int64_t sid, pid;
	char hex[65], other[PARTY_CODE_MAX + 1];
	int rc;

	if (lookup_party(st, code, &p, o) != 0)
		return -1;
	if (p.observer)
		return out_refuse(o, "\"%s\" is an observer: observers never sign", code);
	if (name != NULL && !cert_shown_name_valid(name))
		return out_usage(o, "--name takes 1-%d bytes of UTF-8 without control characters "
		    "or spaces at either end", CERT_NAME_MAX);
	if (title != NULL && (name == NULL || !cert_shown_name_valid(title)))
		return out_usage(o, name == NULL ? "--title needs --name: whose office?" :
		    "--title takes 1-%d bytes of UTF-8 without control characters or spaces at "
		    "either end", CERT_NAME_MAX);
	hex_encode(pub, 32, hex);
	if ((rc = registry_signer_by_key(st, pub, &sid, &pid)) == 0) {
		if (registry_party_code(st, pid, other) != 0)
			snprintf(other, sizeof(other), "?");
		return out_refuse(o, "signer key %s is already registered for \"%s\"", hex, other);
	}
	if (rc < 0 || (sid = insert_keyed(st, ins, p.id, pub, now)) < 0)
		return out_refuse(o, "store failure: %s", store_errmsg(st));
	if (name != NULL) {
		if ((s = store_stmt(st, named)) == NULL)
			return out_refuse(o, "store failure: %s", store_errmsg(st));
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
		if (title != NULL)
			sqlite3_bind_text(s, 2, title, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, sid);
		if (store_step_done(st, s) != 0)
			return out_refuse(o, "store failure: %s", store_errmsg(st));
	}
	jw_int(o->json, "id", sid);
	jw_str(o->json, "party", code);
	jw_str(o->json, "key", hex);
	jw_str(o->json, "name", name);
	jw_str(o->json, "title", title);
	out_text(o, "signer %lld of \"%s\" registered (Ed25519 %s)%s%s%s%s\n", (long long)sid,
	    code, hex, name ? ": " : "", name ? name : "", title ? ", " : "", title ? title : "");
	log_info("registry: signer %lld of %s added", (long long)sid, code);
	return 0;
}

int
registry_signer_list(struct store *st, const char *code, struct out *o)
{
	static const char sql[] =
	    "SELECT g.id, p.code, g.pubkey, g.created_at, g.name, g.title FROM signer g "
	    "JOIN party p ON p.id = g.party_id WHERE (?1 IS NULL OR p.code = ?1) ORDER BY g.id";
	sqlite3_stmt *s;
	char hex[65], when[PTIME_BUFLEN];
	struct party p;
	int rc;

	if (code != NULL && lookup_party(st, code, &p, o) != 0)
		return -1;
	if ((s = store_stmt(st, sql)) == NULL)
		return out_refuse(o, "store failure: %s", store_errmsg(st));
	if (code != NULL)
		sqlite3_bind_text(s, 1, code, -1, SQLITE_STATIC);
	jw_arr_begin(o->json, "signers");
	out_text(o, "%-5s %-14s %s\n", "ID", "PARTY", "ED25519 KEY");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 2) != 32)
			continue;
		hex_encode(sqlite3_column_blob(s, 2), 32, hex);
		fmt_time(sqlite3_column_int64(s, 3), when);
		jw_obj_begin(o->json, NULL);
		jw_int(o->json, "id", sqlite3_column_int64(s, 0));
		jw_str(o->json, "party", (const char *)sqlite3_column_text(s, 1));
		jw_str(o->json, "key", hex);
		jw_str(o->json, "added_at", when);
		jw_str(o->json, "name", (const char *)sqlite3_column_text(s, 4));
		jw_str(o->json, "title", (const char *)sqlite3_column_text(s, 5));
		jw_obj_end(o->json);
		out_text(o, "%-5lld %-14s %s%s%s%s%s\n", (long long)sqlite3_column_int64(s, 0),
		    (const char *)sqlite3_column_text(s, 1), hex,
		    sqlite3_column_type(s, 4) != SQLITE_NULL ? "  " : "",
		    sqlite3_column_type(s, 4) != SQLITE_NULL ? store_col_str(s, 4) : "",
		    sqlite3_column_type(s, 5) != SQLITE_NULL ? ", " : "",
		    sqlite3_column_type(s, 5) != SQLITE_NULL ? store_col_str(s, 5) : "");
	}
	if (store_rows_end(st, s, rc, "the signer keys") != 0)	/* see registry_party_list */
		return out_refuse(o, "store failure: %s", store_errmsg(st));
	jw_arr_end(o->json);
	return 0;
}

int
registry_principal_of(struct store *st, int64_t party_id, uint8_t key[32])
{
	static const char sql[] = "SELECT pubkey FROM principal WHERE party_id = ?";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc, end, ok = 0;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, party_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32) {
		memcpy(key, sqlite3_column_blob(s, 0), 32);
		ok = 1;
	}
	end = store_rows_end(st, s, rc, "a principal key");
	if (end != 0)
		return -1;
	if (rc == SQLITE_DONE)
		return 1;
	if (!ok) {
		/* Only 32-byte keys are written here: a damaged store. */
		log_warnx("registry: the principal key of party %lld is not 32 bytes",
		    (long long)party_id);
		return -1;
	}
	return 0;
}

int
registry_principal_add(struct store *st, int64_t now, const char *code, const uint8_t pub[32],
    struct out *o)
{
	static const char ins[] =
	    "INSERT INTO principal(party_id, pubkey, created_at) VALUES(?, ?, ?)";
	struct party p;
	uint8_t cur[32];
	sqlite3_stmt *s;
	char hex[65];
	int rc;

	if (lookup_party(st, code, &p, o) != 0)
		return -1;
	if (p.observer)
		return out_refuse(o, "\"%s\" is an observer: observers never sign", code);
	hex_encode(pub, 32, hex);
	if ((rc = registry_principal_of(st, p.id, cur)) < 0)
		return out_refuse(o, "store failure: %s", store_errmsg(st));
	if (rc == 0)
		return out_refuse(o, "\"%s\" already has a principal key", code);
	if ((s = store_stmt(st, ins)) == NULL)
		return out_refuse(o, "store failure: %s", store_errmsg(st));
	sqlite3_bind_int64(s, 1, p.id);
	sqlite3_bind_blob(s, 2, pub, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	rc = store_step_done(st, s);
	if (rc != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(st));
	jw_str(o->json, "party", code);
	jw_str(o->json, "key", hex);
	out_text(o, "principal of \"%s\" registered (Ed25519 %s); from now on its signer keys "
	    "count only under a mandate\n", code, hex);
	log_info("registry: principal of %s added", code);
	return 0;
}

int
registry_signer_ensure(struct store *st, int64_t now, int64_t party_id, const uint8_t pub[32],
    int64_t *signer_id)
{
	static const char ins[] =
	    "INSERT INTO signer(party_id, pubkey, created_at) VALUES(?, ?, ?)";
	sqlite3_stmt *s;
	int64_t pid;
	int rc;

	rc = registry_signer_by_key(st, pub, signer_id, &pid);
	if (rc == 0)
		return pid == party_id ? 0 : 1;
	if (rc < 0)
		return -1;
	s = store_stmt(st, ins);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, party_id);
	sqlite3_bind_blob(s, 2, pub, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	rc = store_step_done(st, s);
	if (rc != 0)
		return -1;
	*signer_id = sqlite3_last_insert_rowid(store_db(st));
	return 0;
}

int
registry_endpoints_changed_uncommitted(const struct store *st)
{
	return store_batch_has_endpoint_changes(st);
}

int64_t
registry_endpoint_count(struct store *st, int64_t party_id)
{
	static const char sql[] =
	    "SELECT count(*) FROM endpoint WHERE party_id = ? AND removed_at IS NULL";
	sqlite3_stmt *s = store_stmt(st, sql);
	int64_t n = -1;
	int step, rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, party_id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	rc = store_rows_end(st, s, step, "a party's endpoints");
	if (rc != 0)
		return -1;
	return n;
}

/* Step s (columns: id, code, observer, endpoints) through fn: see
 * registry_party_foreach. */
static int
party_rows(struct store *st, sqlite3_stmt *s, registry_party_fn fn, void *ctx,
    const char *what)
{
	const unsigned char *code;
	struct party p;
	int step, rc = 0, end;

	while (rc == 0) {
		step = sqlite3_step(s);
		if (step != SQLITE_ROW)
			break;
		memset(&p, 0, sizeof(p));
		p.id = sqlite3_column_int64(s, 0);
		code = sqlite3_column_text(s, 1);
		snprintf(p.code, sizeof(p.code), "%s", code != NULL ? (const char *)code : "");
		p.observer = sqlite3_column_int(s, 2) != 0;
		rc = fn(ctx, &p, sqlite3_column_int64(s, 3));
	}
	end = store_rows_end(st, s, step, what);
	if (end != 0)
		return -1;
	return rc;
}

int
registry_party_foreach(struct store *st, registry_party_fn fn, void *ctx)
{
	static const char sql[] =
	    "SELECT p.id, p.code, p.observer, (SELECT count(*) FROM endpoint e"
	    " WHERE e.party_id = p.id AND e.removed_at IS NULL)"
	    " FROM party p ORDER BY p.code";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return -1;
	return party_rows(st, s, fn, ctx, "the parties");
}

int
registry_signing_party_foreach(struct store *st, registry_party_fn fn, void *ctx)
{
	static const char sql[] =
	    "SELECT id, code, observer, 0 FROM party WHERE observer = 0 ORDER BY id";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return -1;
	return party_rows(st, s, fn, ctx, "the signing parties");
}
