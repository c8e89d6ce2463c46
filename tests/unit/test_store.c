/* The store (daemon/store.h): opening and migrating, refusing what it must
 * not touch, the meta table, batches and savepoints, the statement cache.
 *
 * Each test gets a fresh directory from mkdtemp.  What a batch committed is
 * checked through a second, independent SQLite connection, never through
 * the store under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon/store.h"
#include "schema_undo.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

struct fixture {
	char dir[64];
	char path[128];
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/parley-test-store-XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/parley.db", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	struct dirent *de;
	char p[512];
	DIR *d;

	if ((d = opendir(fx->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", fx->dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* ---- a second connection ---------------------------------------------- */

static sqlite3 *
other(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fail_msg("second connection to %s: %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
	return db;
}

/* The first column of the first row as an int; -999 when there is no row. */
static int
q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int v = -999;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* 1 and the text into out when there is a row, else 0. */
static int
q_text(sqlite3 *db, const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

/* The value of meta key as another connection sees it, or NULL. */
static const char *
meta_seen(const char *path, const char *key)
{
	static char val[256];
	sqlite3 *db = other(path);
	sqlite3_stmt *st;
	const char *r = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1,
	    &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(val, sizeof(val), "%s", (const char *)sqlite3_column_text(st, 0));
		r = val;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}

/* Another connection sees meta key with value want (NULL: not at all). */
static void
assert_meta_seen(const char *path, const char *key, const char *want)
{
	const char *got = meta_seen(path, key);

	if (want == NULL ? got != NULL : got == NULL || strcmp(got, want) != 0)
		fail_msg("meta %s: seen \"%s\", expected \"%s\"", key,
		    got ? got : "(none)", want ? want : "(none)");
}

static struct store *
open_ok(const char *path)
{
	struct store *s = NULL;
	char err[512] = "";

	if (store_open(path, &s, err, sizeof(err)) != 0)
		fail_msg("store_open %s: %s", path, err);
	assert_non_null(s);
	return s;
}

/* 1 if every byte of s is printable ASCII (a reason a person can read). */
static int
printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

/* ---- opening ---------------------------------------------------------- */

static const char *const tables[] = {
	"meta", "party", "endpoint", "signer", "message", "delivery", "agreement",
	"agreement_party", "revision", "copy", "amendment", "amendment_response",
	"measure", "measure_confirmation", "timer", "ag_event", "incident", "duty_alert", "journal", "journal_state", "checkpoint",
	"countersignature", "journal_node", "principal", "mandate", "agreement_role", "payload", "decline",
};

static void
check_schema(sqlite3 *db)
{
	char sql[160];
	size_t i;

	assert_int_equal(q_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	for (i = 0; i < LEN(tables); i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master "
		    "WHERE type = 'table' AND name = '%s'", tables[i]);
		if (q_int(db, sql) != 1)
			fail_msg("table %s is missing", tables[i]);
	}
}

static void
test_open_fresh(void **state)
{
	struct fixture *fx = *state;
	struct store *s;
	char mode[32];
	sqlite3 *db;

	assert_int_equal(access(fx->path, F_OK), -1);
	s = open_ok(fx->path);
	assert_int_equal(store_user_version(s), STORE_SCHEMA_VERSION);
	assert_int_equal(STORE_SCHEMA_VERSION, 23);
	assert_int_equal(q_text(store_db(s), "PRAGMA journal_mode", mode, sizeof(mode)), 1);
	assert_string_equal(mode, "wal");
	assert_int_equal(q_int(store_db(s), "PRAGMA synchronous"), 2);	/* FULL */
	check_schema(store_db(s));
	assert_false(store_in_batch(s));
	assert_int_equal(store_last_commit_us(s), 0);

	/* the file itself says so, to anyone who opens it */
	db = other(fx->path);
	check_schema(db);
	assert_int_equal(q_text(db, "PRAGMA journal_mode", mode, sizeof(mode)), 1);
	assert_string_equal(mode, "wal");
	sqlite3_close(db);
	store_close(s);
}

static void
test_reopen_idempotent(void **state)
{
	struct fixture *fx = *state;
	struct store *s;
	char v[64];
	int objects, i;

	s = open_ok(fx->path);
	objects = q_int(store_db(s), "SELECT count(*) FROM sqlite_master");
	assert_true(objects >= (int)LEN(tables));
	assert_int_equal(store_meta_set(s, "mediator", "Kazimirov"), 0);
	store_close(s);

	for (i = 0; i < 3; i++) {
		s = open_ok(fx->path);
		assert_int_equal(store_user_version(s), STORE_SCHEMA_VERSION);
		check_schema(store_db(s));
		assert_int_equal(q_int(store_db(s), "SELECT count(*) FROM sqlite_master"),
		    objects);
		assert_int_equal(store_meta_get(s, "mediator", v, sizeof(v)), 0);
		assert_string_equal(v, "Kazimirov");
		store_close(s);
	}
	store_close(NULL);	/* harmless */
}

static void
make_db(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static const struct {
	int version;
	const char *says;
} newer_cases[] = {
	{ STORE_SCHEMA_VERSION + 1, "version 24 is newer" },
	{ 1000, "version 1000 is newer" },
};

static void
test_newer_version_refused(void **state)
{
	struct fixture *fx = *state;
	struct store *s;
	char err[512], sql[128];
	size_t i;
	sqlite3 *db;

	for (i = 0; i < LEN(newer_cases); i++) {
		unlink(fx->path);
		snprintf(sql, sizeof(sql), "CREATE TABLE future(x); PRAGMA user_version = %d",
		    newer_cases[i].version);
		make_db(fx->path, sql);
		s = NULL;
		err[0] = '\0';
		assert_int_equal(store_open(fx->path, &s, err, sizeof(err)), -1);
		if (strstr(err, newer_cases[i].says) == NULL || strstr(err, "refus") == NULL)
			fail_msg("reason \"%s\" should say \"%s\" and refuse", err,
			    newer_cases[i].says);
		assert_true(printable(err));
		/* nothing migrated, version left alone */
		db = other(fx->path);
		assert_int_equal(q_int(db, "PRAGMA user_version"), newer_cases[i].version);
		assert_int_equal(q_int(db, "SELECT count(*) FROM sqlite_master "
		    "WHERE name = 'party'"), 0);
		sqlite3_close(db);
	}
}

/* 11 -> 12: an agreement released with its effect still ahead (the effect
 * timer not fired) becomes "released"; one already in effect, or in effect
 * at release, stays in force.  16 -> 17: a revision made before keeps
 * content version 1 (its copies were signed over that hash).  17 -> 18:
 * an agreement made before keeps letting one signer sign several roles. */
static void
test_released_migrated(void **state)
{
	struct fixture *fx = *state;
	struct store *s;
	sqlite3 *db;

	s = open_ok(fx->path);
	assert_int_equal(store_exec(s,
	    "INSERT INTO agreement(id, title, state, revision, effective, validity,"
	    " disclose_progress, created_at) VALUES"
	    " (1, 'ahead', 'in_force', 1, 'on-release', '', 0, 0),"
	    " (2, 'come', 'in_force', 1, 'on-release', '', 0, 0),"
	    " (3, 'at release', 'in_force', 1, 'on-release', '', 0, 0),"
	    " (4, 'circulating', 'circulating', 1, 'on-release', '', 0, 0);"
	    "INSERT INTO timer(agreement_id, kind, due_at, ref) VALUES"
	    " (1, 'effect', 100, 100), (2, 'effect', 50, 50), (4, 'effect', 100, 100);"
	    "UPDATE timer SET fired_at = 50 WHERE agreement_id = 2;"
	    "INSERT INTO revision(agreement_id, number, text, calendar, content_hash,"
	    " created_at) VALUES (4, 1, 'text', '', zeroblob(32), 0);"), 0);
	store_close(s);
	db = other(fx->path);
	/* schema 11's layout: nothing 12 -> 13 to 21 -> 22 add */
	assert_int_equal(sqlite3_exec(db, SCHEMA_UNDO_TO_12
	    "PRAGMA user_version = 11", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	s = open_ok(fx->path);
	assert_int_equal(store_user_version(s), STORE_SCHEMA_VERSION);
	store_close(s);
	db = other(fx->path);
	assert_int_equal(q_int(db, "SELECT count(*) FROM agreement WHERE id = 1 AND "
	    "state = 'released'"), 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM agreement WHERE id IN (2, 3) AND "
	    "state = 'in_force'"), 2);
	assert_int_equal(q_int(db, "SELECT count(*) FROM agreement WHERE id = 4 AND "
	    "state = 'circulating'"), 1);
	assert_int_equal(q_int(db, "SELECT content_version FROM revision WHERE "
	    "agreement_id = 4"), 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM agreement WHERE same_signer_ok = 1"), 4);
	sqlite3_close(db);
}

/* A failing migration is rolled back whole: here an old file at version 0
 * already has a table the migration creates. */
static void
test_failed_migration_rolled_back(void **state)
{
	struct fixture *fx = *state;
	struct store *s = NULL;
	char err[512] = "";
	sqlite3 *db;

	make_db(fx->path, "CREATE TABLE delivery(x)");
	assert_int_equal(store_open(fx->path, &s, err, sizeof(err)), -1);
	if (strstr(err, "migration to schema version 1 failed") == NULL ||
	    strstr(err, "delivery") == NULL)
		fail_msg("reason \"%s\"", err);
	db = other(fx->path);
	assert_int_equal(q_int(db, "PRAGMA user_version"), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM sqlite_master "
	    "WHERE name IN ('meta', 'party', 'endpoint')"), 0);
	sqlite3_close(db);
}

static void
test_not_a_database(void **state)
{
	struct fixture *fx = *state;
	struct store *s = NULL;
	char err[512] = "", path[256];
	FILE *f;
	int i;

	assert_non_null(f = fopen(fx->path, "w"));
	for (i = 0; i < 200; i++)
		fputs("This agreement will come into force immediately after the "
		    "Mediator notifies ...\n", f);
	fclose(f);
	assert_int_equal(store_open(fx->path, &s, err, sizeof(err)), -1);
	if (strstr(err, "not a database") == NULL || strstr(err, fx->path) == NULL)
		fail_msg("reason \"%s\" should name the file and say it is not a database",
		    err);
	/* A readable reason: no uninitialised bytes in it (store.c printed
	 * its journal_mode buffer even when it could not read the mode). */
	if (!printable(err))
		fail_msg("reason has unprintable bytes: \"%s\"", err);

	/* a directory that does not exist */
	snprintf(path, sizeof(path), "%s/no/such/dir/parley.db", fx->dir);
	err[0] = '\0';
	assert_int_equal(store_open(path, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open store"));
	assert_non_null(strstr(err, path));
	assert_true(printable(err));
}

/* ---- meta ------------------------------------------------------------- */

static const struct {
	const char *key, *value;
} meta_cases[] = {
	{ "mediator", "Vladimir Kazimirov" },
	{ "empty", "" },
	{ "utf-8", "Բիշքեկ, Bişkek, Бишкек" },
	{ "quote", "it's \"quoted\"; DROP TABLE meta; --" },
	{ "mediator", "overwritten" },		/* set twice: the last wins */
};

static void
test_meta(void **state)
{
	struct fixture *fx = *state;
	struct store *s = open_ok(fx->path);
	char v[128];
	size_t i, j;

	assert_int_equal(store_meta_get(s, "mediator", v, sizeof(v)), -1);
	for (i = 0; i < LEN(meta_cases); i++) {
		assert_int_equal(store_meta_set(s, meta_cases[i].key, meta_cases[i].value), 0);
		strcpy(v, "junk");
		assert_int_equal(store_meta_get(s, meta_cases[i].key, v, sizeof(v)), 0);
		assert_string_equal(v, meta_cases[i].value);
	}
	/* every key holds its last value, for the store and for others */
	for (i = 0; i < LEN(meta_cases); i++) {
		const char *want = meta_cases[i].value;

		for (j = i + 1; j < LEN(meta_cases); j++)
			if (strcmp(meta_cases[j].key, meta_cases[i].key) == 0)
				want = meta_cases[j].value;
		assert_int_equal(store_meta_get(s, meta_cases[i].key, v, sizeof(v)), 0);
		assert_string_equal(v, want);
		assert_meta_seen(fx->path, meta_cases[i].key, want);
	}
	assert_int_equal(q_int(store_db(s), "SELECT count(*) FROM meta"), 4);
	assert_int_equal(store_meta_get(s, "missing", v, sizeof(v)), -1);
	assert_int_equal(store_meta_get(s, "", v, sizeof(v)), -1);
	store_close(s);
}

/* ---- batches and savepoints ------------------------------------------- */

static void
test_batch_savepoints(void **state)
{
	struct fixture *fx = *state;
	struct store *s = open_ok(fx->path);
	char v[64];

	/* outside a batch these do nothing */
	assert_int_equal(store_batch_commit(s), 0);
	store_batch_rollback(s);
	store_savepoint_release(s);
	store_savepoint_rollback(s);
	assert_false(store_in_batch(s));

	assert_int_equal(store_batch_begin(s), 0);
	assert_true(store_in_batch(s));
	assert_int_equal(store_batch_begin(s), 0);	/* no-op inside a batch */
	assert_true(store_in_batch(s));

	/* a refused request */
	assert_int_equal(store_savepoint(s), 0);
	assert_int_equal(store_meta_set(s, "refused", "yes"), 0);
	assert_int_equal(store_meta_get(s, "refused", v, sizeof(v)), 0);
	store_savepoint_rollback(s);
	assert_int_equal(store_meta_get(s, "refused", v, sizeof(v)), -1);
	assert_true(store_in_batch(s));

	/* an accepted one */
	assert_int_equal(store_savepoint(s), 0);
	assert_int_equal(store_meta_set(s, "accepted", "yes"), 0);
	store_savepoint_release(s);

	/* nested: the inner one refused, the outer one accepted */
	assert_int_equal(store_savepoint(s), 0);
	assert_int_equal(store_meta_set(s, "outer", "kept"), 0);
	assert_int_equal(store_savepoint(s), 0);
	assert_int_equal(store_meta_set(s, "inner", "dropped"), 0);
	assert_int_equal(store_meta_set(s, "outer", "changed by inner"), 0);
	store_savepoint_rollback(s);
	assert_int_equal(store_meta_get(s, "outer", v, sizeof(v)), 0);
	assert_string_equal(v, "kept");
	store_savepoint_release(s);

	/* nobody else sees anything before COMMIT */
	assert_meta_seen(fx->path, "accepted", NULL);
	assert_meta_seen(fx->path, "outer", NULL);

	assert_int_equal(store_batch_commit(s), 0);
	assert_false(store_in_batch(s));
	assert_true(store_last_commit_us(s) >= 0);

	assert_meta_seen(fx->path, "refused", NULL);
	assert_meta_seen(fx->path, "inner", NULL);
	assert_meta_seen(fx->path, "accepted", "yes");
	assert_meta_seen(fx->path, "outer", "kept");

	/* a batch rolled back whole, released savepoint and all */
	assert_int_equal(store_batch_begin(s), 0);
	assert_int_equal(store_savepoint(s), 0);
	assert_int_equal(store_meta_set(s, "lost", "yes"), 0);
	store_savepoint_release(s);
	assert_int_equal(store_meta_set(s, "accepted", "changed"), 0);
	store_batch_rollback(s);
	assert_false(store_in_batch(s));
	assert_int_equal(store_meta_get(s, "lost", v, sizeof(v)), -1);
	assert_meta_seen(fx->path, "lost", NULL);
	assert_meta_seen(fx->path, "accepted", "yes");

	/* a batch rolled back with a savepoint still open */
	assert_int_equal(store_batch_begin(s), 0);
	assert_int_equal(store_savepoint(s), 0);
	assert_int_equal(store_meta_set(s, "open", "yes"), 0);
	store_batch_rollback(s);
	assert_meta_seen(fx->path, "open", NULL);
	store_savepoint_release(s);	/* nothing left to release */
	store_savepoint_rollback(s);

	/* and the store still works after all that */
	assert_int_equal(store_batch_begin(s), 0);
	assert_int_equal(store_savepoint(s), 0);
	assert_int_equal(store_meta_set(s, "after", "yes"), 0);
	store_savepoint_release(s);
	assert_int_equal(store_batch_commit(s), 0);
	assert_meta_seen(fx->path, "after", "yes");
	store_close(s);

	/* committed is durable across a reopen */
	s = open_ok(fx->path);
	assert_int_equal(store_meta_get(s, "accepted", v, sizeof(v)), 0);
	assert_string_equal(v, "yes");
	assert_int_equal(store_meta_get(s, "refused", v, sizeof(v)), -1);
	store_close(s);
}

/* ---- the statement cache ---------------------------------------------- */

static const char sql_count[] = "SELECT count(*) FROM meta";
static const char sql_count_again[] = "SELECT count(*) FROM meta";	/* same text */
static const char sql_param[] = "SELECT ?1";
static const char sql_rows[] = "SELECT key FROM meta ORDER BY key";
static const char sql_bad[] = "SELEC nonsense FROM nowhere";
static char sql_many[100][48];

static void
test_stmt_cache(void **state)
{
	struct fixture *fx = *state;
	struct store *s = open_ok(fx->path);
	sqlite3_stmt *a, *b, *many[LEN(sql_many)];
	size_t i;

	a = store_stmt(s, sql_count);
	assert_non_null(a);
	b = store_stmt(s, sql_count);
	assert_ptr_equal(a, b);
	b = store_stmt(s, sql_count_again);	/* cached by address, not text */
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_ptr_equal(store_stmt(s, sql_count_again), b);

	/* handed back reset and unbound */
	a = store_stmt(s, sql_param);
	assert_int_equal(sqlite3_bind_int(a, 1, 1994), SQLITE_OK);
	assert_int_equal(sqlite3_step(a), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(a, 0), 1994);
	assert_ptr_equal(store_stmt(s, sql_param), a);
	assert_int_equal(sqlite3_step(a), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(a, 0), SQLITE_NULL);
	sqlite3_reset(a);

	assert_int_equal(store_meta_set(s, "a", "1"), 0);
	assert_int_equal(store_meta_set(s, "b", "2"), 0);
	a = store_stmt(s, sql_rows);
	assert_int_equal(sqlite3_step(a), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(a, 0), "a");
	assert_ptr_equal(store_stmt(s, sql_rows), a);	/* mid-way: starts over */
	assert_int_equal(sqlite3_step(a), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(a, 0), "a");
	sqlite3_reset(a);

	/* bad SQL: NULL (and a log line), and the store goes on */
	assert_null(store_stmt(s, sql_bad));
	assert_null(store_stmt(s, sql_bad));
	assert_ptr_equal(store_stmt(s, sql_count), store_stmt(s, sql_count));

	/* more statements than the first allocation holds */
	for (i = 0; i < LEN(sql_many); i++) {
		snprintf(sql_many[i], sizeof(sql_many[i]), "SELECT %zu", i);
		many[i] = store_stmt(s, sql_many[i]);
		assert_non_null(many[i]);
	}
	for (i = 0; i < LEN(sql_many); i++) {
		assert_ptr_equal(store_stmt(s, sql_many[i]), many[i]);
		assert_int_equal(sqlite3_step(many[i]), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(many[i], 0), (int)i);
		sqlite3_reset(many[i]);
	}
	store_close(s);		/* finalizes them all (LeakSanitizer checks) */
}

static void
test_exec(void **state)
{
	struct fixture *fx = *state;
	struct store *s = open_ok(fx->path);

	assert_int_equal(store_exec(s, "CREATE TABLE scratch(x); INSERT INTO scratch "
	    "VALUES(1), (2)"), 0);
	assert_int_equal(q_int(store_db(s), "SELECT sum(x) FROM scratch"), 3);
	assert_int_equal(store_exec(s, "INSERT INTO no_such_table VALUES(1)"), -1);
	assert_non_null(strstr(store_errmsg(s), "no_such_table"));
	/* foreign keys are enforced: a delivery for a message that does not exist */
	assert_int_equal(store_exec(s, "INSERT INTO delivery(message_id, endpoint_id) "
	    "VALUES(12345, 1)"), -1);
	store_close(s);
}

/* A commit that leaves 1,000 WAL pages or more wakes the checkpoint thread,
 * which copies them into the database file; the commit itself does not. */
static void
test_wal_checkpoint_thread(void **state)
{
	struct fixture *fx = *state;
	struct store *s = open_ok(fx->path);
	struct stat sb;
	int i;

	assert_int_equal(store_wal_checkpoints(s), 0);
	assert_int_equal(store_exec(s, "CREATE TABLE scratch(x)"), 0);
	assert_int_equal(store_batch_begin(s), 0);
	assert_int_equal(store_exec(s, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM n WHERE i < 1500) INSERT INTO scratch SELECT zeroblob(4000) "
	    "FROM n"), 0);
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_true(sb.st_size < 1000 * 4096);
	assert_int_equal(store_batch_commit(s), 0);
	/* readiness, bounded: the thread runs on its own time */
	for (i = 0; i < 2000 && store_wal_checkpoints(s) == 0; i++)
		usleep(5000);
	assert_true(store_wal_checkpoints(s) >= 1);
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_true(sb.st_size >= 1500 * 4000);
	assert_int_equal(q_int(store_db(s), "SELECT count(*) FROM scratch"), 1500);
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_version_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_migration_rolled_back, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_savepoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stmt_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_released_migrated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_checkpoint_thread, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
