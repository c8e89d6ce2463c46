/* daemon/paced: a checkpoint through the paced VFS syncs the database file
 * after every PACED_CHUNK bytes it writes, not once at the end, and what it
 * writes is the database, whole; the store's checkpoint thread uses it.  Underneath it here is a VFS that counts:
 * made the default before paced registers, it is what paced wraps, and it
 * sees every write and sync that reaches the files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "daemon/paced.h"
#include "daemon/store.h"

/* What reached the main database file, in order. */
struct seen {
	sqlite3_int64 written;		/* bytes since the last sync */
	sqlite3_int64 most;		/* the most ever written between two syncs */
	sqlite3_int64 total;		/* bytes written in all */
	int syncs;
};

static struct seen seen;
static sqlite3_vfs count_vfs;
static sqlite3_io_methods count_io;	/* the real file's, two of them ours */
static const sqlite3_io_methods *real_io;

/* A counted file is the real file followed by a flag: a main database. */
static int *
is_main(sqlite3_file *f)
{
	sqlite3_vfs *real = count_vfs.pAppData;

	return (int *)((char *)f + real->szOsFile);
}

static int
count_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	if (*is_main(f)) {
		seen.written += amt;
		seen.total += amt;
		if (seen.written > seen.most)
			seen.most = seen.written;
	}
	return real_io->xWrite(f, buf, amt, off);
}

static int
count_sync(sqlite3_file *f, int flags)
{
	if (*is_main(f)) {
		seen.syncs++;
		seen.written = 0;
	}
	return real_io->xSync(f, flags);
}

static int
count_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f, int flags, int *out)
{
	sqlite3_vfs *real = v->pAppData;
	int rc = real->xOpen(real, name, f, flags, out);

	if (rc != SQLITE_OK || f->pMethods == NULL || !(flags & SQLITE_OPEN_MAIN_DB))
		return rc;	/* only main databases are counted */
	*is_main(f) = 1;
	if (real_io == NULL) {
		real_io = f->pMethods;
		count_io = *real_io;
		count_io.xWrite = count_write;
		count_io.xSync = count_sync;
	}
	assert_ptr_equal(f->pMethods, real_io);	/* one kind of database file */
	f->pMethods = &count_io;
	return SQLITE_OK;
}

static char path[64];

static int
setup(void **state)
{
	sqlite3_vfs *real = sqlite3_vfs_find(NULL);

	(void)state;
	/* Counting, the default: what paced_vfs() will wrap. */
	count_vfs = *real;
	count_vfs.zName = "count";
	count_vfs.szOsFile = real->szOsFile + (int)sizeof(int);
	count_vfs.pAppData = real;
	count_vfs.xOpen = count_open;
	count_vfs.pNext = NULL;
	if (sqlite3_vfs_register(&count_vfs, 1) != SQLITE_OK)
		return -1;
	snprintf(path, sizeof(path), "/tmp/test_paced.%ld.db", (long)getpid());
	return 0;
}

static int
teardown(void **state)
{
	char p[80];

	(void)state;
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	return 0;
}

static void
exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

static sqlite3_int64
one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	sqlite3_int64 v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
test_registers_once_not_default(void **state)
{
	const char *name = paced_vfs();

	(void)state;
	assert_non_null(name);
	assert_string_equal(paced_vfs(), name);
	assert_non_null(sqlite3_vfs_find(name));
	assert_ptr_equal(sqlite3_vfs_find(NULL), &count_vfs);
}

/* About 4 MB in the WAL, none of it in the database file; then one
 * checkpoint on a connection through paced, as parleyd's thread makes. */
static void
test_checkpoint_synced_in_chunks(void **state)
{
	sqlite3 *w, *ck;
	sqlite3_int64 total;
	int nlog = 0, nckpt = 0;
	char wal[80];

	(void)state;
	assert_int_equal(sqlite3_open(path, &w), SQLITE_OK);
	exec_ok(w, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "PRAGMA wal_autocheckpoint=0;"
	    "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)"
	    "  INSERT INTO t(v) SELECT randomblob(4000) FROM n;");
	assert_int_equal(sqlite3_open_v2(path, &ck, SQLITE_OPEN_READWRITE, paced_vfs()),
	    SQLITE_OK);
	exec_ok(ck, "SELECT count(*) FROM sqlite_master");
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(sqlite3_wal_checkpoint_v2(ck, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog,
	    &nckpt), SQLITE_OK);
	assert_true(nlog > 900);
	assert_int_equal(nckpt, nlog);		/* all of it copied */
	/* Never more than a chunk and a page between two syncs, the last
	 * write of the checkpoint synced too; and no sync per page. */
	assert_true(seen.total >= 1000 * 4000);	/* every row's page, at least */
	assert_true(seen.most <= PACED_CHUNK + 4096);
	assert_int_equal(seen.written, 0);
	assert_true(seen.syncs >= seen.total / (PACED_CHUNK + 4096));
	assert_true(seen.syncs <= seen.total / PACED_CHUNK + 2);
	/* Closing copies nothing more: the database file is what the
	 * checkpoint wrote. */
	total = seen.total;
	sqlite3_close(ck);
	sqlite3_close(w);
	assert_int_equal(seen.total, total);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	assert_int_equal(access(wal, F_OK), -1);
	assert_int_equal(sqlite3_open(path, &w), SQLITE_OK);
	assert_int_equal(one_int(w, "SELECT count(*) FROM t WHERE length(v) = 4000"), 1000);
	assert_int_equal(one_int(w, "SELECT count(*) FROM pragma_integrity_check"
	    " WHERE integrity_check = 'ok'"), 1);
	sqlite3_close(w);
}

/* parleyd's own checkpoint thread goes through paced: a commit of about
 * 6 MB on a store, and the thread's checkpoint of it, reach the database
 * file in chunks. */
static void
test_store_checkpoints_paced(void **state)
{
	struct store *st;
	char err[256];
	int i;

	(void)state;
	assert_int_equal(store_open(path, &st, err, sizeof(err)), 0);
	assert_int_equal(store_exec(st, "CREATE TABLE scratch(x)"), 0);
	assert_int_equal(store_batch_begin(st), 0);
	assert_int_equal(store_exec(st, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM n WHERE i < 1500) INSERT INTO scratch SELECT zeroblob(4000) "
	    "FROM n"), 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_batch_commit(st), 0);
	/* readiness, bounded: the thread runs on its own time */
	for (i = 0; i < 2000 && store_wal_checkpoints(st) == 0; i++)
		usleep(5000);
	assert_true(store_wal_checkpoints(st) >= 1);
	assert_true(seen.total >= 1500 * 4000);
	assert_true(seen.most <= PACED_CHUNK + 4096);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registers_once_not_default),
		cmocka_unit_test_setup_teardown(test_checkpoint_synced_in_chunks, NULL, teardown),
		cmocka_unit_test_setup_teardown(test_store_checkpoints_paced, NULL, teardown),
	};

	if (setup(NULL) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
