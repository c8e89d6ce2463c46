/* The store: one SQLite file in WAL mode with synchronous=FULL, its schema
 * versioned by PRAGMA user_version and migrated forward at open.
 *
 * Writes happen inside a batch (one transaction per event-loop turn, see
 * turn.h); each request inside the batch runs under its own savepoint so a
 * refused request changes nothing while its neighbours commit. */
#ifndef PARLEY_STORE_H
#define PARLEY_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

struct store;

#define STORE_SCHEMA_VERSION 23

/* Once, before the process opens any store: SQLite keeps no statistics of
 * its memory (it takes a process-wide mutex on every allocation to keep
 * them, and nothing here reads them).  -1 if SQLite was already in use. */
int store_tune_library(void);

/* Open (creating if needed) and migrate the database at path.  Refuses a
 * database that cannot be put in WAL mode with synchronous=FULL.  -1 with a
 * reason in err. */
int store_open(const char *path, struct store **out, char *err, size_t errlen);
void store_close(struct store *s);

/* A working copy at path ([store] backend = postgresql): whatever was at
 * path is removed, the copy is made anew with the schema of version
 * (migrations 0..version), without fsync (the record is elsewhere), for
 * the rows of the record to be put in; store_migrate then takes it to
 * this parleyd's schema. */
int store_open_copy(const char *path, int version, struct store **out, char *err,
    size_t errlen);
int store_migrate(struct store *s, char *err, size_t errlen);

/* The store of record behind a working copy.  From store_set_sink on,
 * every batch commit hands the sink the changes made since the last
 * commit (a SQLite changeset, possibly empty, also holding writes made
 * outside a batch): prepare, before the local COMMIT, returns a handle,
 * or NULL with err to fail the commit; then ship (after COMMIT) or drop
 * (the COMMIT failed) takes the handle. */
struct store_sink {
	void *(*prepare)(void *arg, const void *changes, int len, char *err, size_t errlen);
	void (*ship)(void *arg, void *prepared);
	void (*drop)(void *arg, void *prepared);
	int (*settled)(void *arg);	/* everything shipped is in the record */
	void *arg;
};
int store_set_sink(struct store *s, const struct store_sink *sink);
/* What the store shows is what the record holds: no batch is open, and
 * (with a sink) every batch shipped is in the record.  Until then nothing
 * read from it may leave the daemon (a delivery push). */
int store_settled(struct store *s);

/* A prepared statement for sql, cached by the address of the sql string (pass
 * string literals), reset and unbound.  NULL if it cannot be prepared (logged). */
sqlite3_stmt *store_stmt(struct store *s, const char *sql);

/* Run SQL without results; 0 or -1 (logged). */
int store_exec(struct store *s, const char *sql);

/* Batches and savepoints.  store_batch_begin is a no-op inside a batch. */
int store_batch_begin(struct store *s);
int store_batch_commit(struct store *s);
void store_batch_rollback(struct store *s);
int store_in_batch(const struct store *s);
/* The open batch's number (batches begun since the store was opened). */
uint64_t store_batch_number(const struct store *s);
/* Endpoint rows (who may connect) were written in the open batch: a
 * handshake that ends before its commit commits it first. */
void store_batch_endpoints_changed(struct store *s);
int store_batch_has_endpoint_changes(const struct store *s);
/* 1 if SQLite rolled the batch's transaction back by itself (out of memory,
 * disk full, I/O error): store_savepoint then refuses and the commit fails. */
int store_batch_lost(struct store *s);
int store_savepoint(struct store *s);
void store_savepoint_release(struct store *s);
void store_savepoint_rollback(struct store *s);

/* WAL checkpoints the store's own thread has run (it runs one whenever a
 * commit leaves the WAL at 1,000 pages or more). */
uint64_t store_wal_checkpoints(struct store *s);

/* Microseconds the last COMMIT took. */
int64_t store_last_commit_us(const struct store *s);

sqlite3 *store_db(struct store *s);
int store_user_version(struct store *s);
const char *store_errmsg(struct store *s);

/* Small key/value settings kept in the store (meta table).  store_meta_get:
 * 0 with the value in out, -1 if the key has none or the store failed (a
 * failure is logged). */
int store_meta_get(struct store *s, const char *key, char *out, size_t outlen);
int store_meta_set(struct store *s, const char *key, const char *value);

/* A column's text ("" for NULL) and time (0 for NULL). */
const char *store_col_str(sqlite3_stmt *s, int i);
int64_t store_col_time(sqlite3_stmt *s, int i);

/* Step a statement that changes rows (INSERT, UPDATE, DELETE) once and
 * reset it: 0 if it ran to its end, -1 if not (the error stays readable
 * with store_errmsg). */
int store_step_done(struct store *st, sqlite3_stmt *s);
/* store_step_done for an INSERT: 0 with the new row's id in *id. */
int store_step_insert(struct store *st, sqlite3_stmt *s, int64_t *id);

/* Reset s after its last sqlite3_step returned rc: 0 if the rows ran out
 * (SQLITE_DONE) or the caller stopped at a row of its choosing (SQLITE_ROW);
 * -1, logged with what was being read, if the store failed on the way.  A
 * failure (out of memory, I/O, busy, corrupt) must never read as the end of
 * the rows: a list of required roles or counted copies cut short is a wrong
 * decision, and a list shown cut short looks complete. */
int store_rows_end(struct store *st, sqlite3_stmt *s, int rc, const char *what);

/* Step s (bound) to its end and keep every row's first column: 0 with
 * *ids (malloc'd, the caller frees; NULL when none) and *n, or -1, logged
 * with what was being read, and nothing kept.  All of them, or none. */
int store_ids(struct store *st, sqlite3_stmt *s, const char *what, int64_t **ids, size_t *n);

#endif
