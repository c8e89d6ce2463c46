/* daemon/paced: a checkpoint through the paced VFS syncs the database file
 * after every PACED_CHUNK bytes it writes, not once at the end; what it
 * writes is the database, whole; a failed sync fails the checkpoint, which
 * the next one does again; locks are SQLite's as through the default VFS;
 * and the store's checkpoint thread uses it (a working copy's syncs
 * nothing), as does the store's own connection.
 *
 * A WAL's writes are gathered under the write lock until the commit's
 * sync, and nothing of that is ever seen: every byte is written before
 * the sync and before the commit is published; a failed write fails the
 * transaction and every call until the lock is released; a rollback's
 * frames are written before another connection can take the lock; and in
 * exclusive locking mode nothing is gathered.
 *
 * Underneath it is a VFS that counts: made the default before paced
 * registers, it is what paced wraps, and it sees every write and sync that
 * reaches a main database file or a WAL, can fail a sync or a write, and
 * can have another connection commit the moment the write lock goes. */
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

/* What reached main database files, in order. */
struct seen {
	sqlite3_int64 written;		/* bytes since the last sync */
	sqlite3_int64 most;		/* the most ever written between two syncs */
	sqlite3_int64 total;		/* bytes written in all */
	int syncs;
	int fail_sync;			/* > 0: the sync with this number fails */
};

/* What reached WAL files. */
struct wal_seen {
	int writes, syncs;
	sqlite3_int64 bytes, at_sync;	/* in all; as of the last sync, */
	sqlite3_int64 at_barrier;	/* and of the last shared-memory barrier */
	int fail_write;			/* > 0: the write with this number fails, */
	int fail_rc;			/* with this */
};

static struct seen seen;
static struct wal_seen wseen;
static sqlite3_vfs count_vfs;
static sqlite3_io_methods count_io;	/* the real file's, two of them ours */
static const sqlite3_io_methods *real_io;
static sqlite3_io_methods count_wal_io;	/* the same for WAL files */
static const sqlite3_io_methods *real_wal_io;

static int
count_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	seen.written += amt;
	seen.total += amt;
	if (seen.written > seen.most)
		seen.most = seen.written;
	return real_io->xWrite(f, buf, amt, off);
}

static int
count_sync(sqlite3_file *f, int flags)
{
	if (++seen.syncs == seen.fail_sync)
		return SQLITE_IOERR_FSYNC;
	seen.written = 0;
	return real_io->xSync(f, flags);
}

static int
count_wal_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	if (++wseen.writes == wseen.fail_write)
		return wseen.fail_rc;
	wseen.bytes += amt;
	return real_wal_io->xWrite(f, buf, amt, off);
}

static int
count_wal_sync(sqlite3_file *f, int flags)
{
	wseen.syncs++;
	wseen.at_sync = wseen.bytes;
	return real_wal_io->xSync(f, flags);
}

/* Another connection that commits the moment a connection releases the
 * WAL's write lock, as another process waiting for it would. */
static sqlite3 *racer;
static const char *racer_sql;

static int
count_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	int rc = real_io->xShmLock(f, offset, n, flags);
	const char *sql = racer_sql;

	if (sql != NULL && offset == 0 && flags == (SQLITE_SHM_UNLOCK | SQLITE_SHM_EXCLUSIVE)) {
		racer_sql = NULL;
		assert_int_equal(sqlite3_exec(racer, sql, NULL, NULL, NULL), SQLITE_OK);
	}
	return rc;
}

static void
count_shm_barrier(sqlite3_file *f)
{
	wseen.at_barrier = wseen.bytes;
	real_io->xShmBarrier(f);
}

/* Main database files and WALs are counted, in the real file's own space. */
static int
count_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f, int flags, int *out)
{
	sqlite3_vfs *real = v->pAppData;
	int rc = real->xOpen(real, name, f, flags, out);

	if (rc == SQLITE_OK && f->pMethods != NULL && (flags & SQLITE_OPEN_WAL)) {
		if (real_wal_io == NULL) {
			real_wal_io = f->pMethods;
			count_wal_io = *real_wal_io;
			count_wal_io.xWrite = count_wal_write;
			count_wal_io.xSync = count_wal_sync;
		}
		assert_ptr_equal(f->pMethods, real_wal_io);
		f->pMethods = &count_wal_io;
		return SQLITE_OK;
	}
	if (rc != SQLITE_OK || f->pMethods == NULL || !(flags & SQLITE_OPEN_MAIN_DB))
		return rc;
	if (real_io == NULL) {
		real_io = f->pMethods;
		count_io = *real_io;
		count_io.xWrite = count_write;
		count_io.xSync = count_sync;
		count_io.xShmLock = count_shm_lock;
		count_io.xShmBarrier = count_shm_barrier;
	}
	assert_ptr_equal(f->pMethods, real_io);	/* one kind of database file */
	f->pMethods = &count_io;
	return SQLITE_OK;
}

static char path[64];

static int
count_register(void)
{
	sqlite3_vfs *real = sqlite3_vfs_find(NULL);

	count_vfs = *real;
	count_vfs.zName = "count";
	count_vfs.pAppData = real;
	count_vfs.xOpen = count_open;
	count_vfs.pNext = NULL;
	if (sqlite3_vfs_register(&count_vfs, 1) != SQLITE_OK)
		return -1;
	snprintf(path, sizeof(path), "/tmp/test_paced.%ld.db", (long)getpid());
	return 0;
}

static void
unlink_all(void)
{
	char p[80];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static int
setup(void **state)
{
	(void)state;
	unlink_all();
	memset(&seen, 0, sizeof(seen));
	memset(&wseen, 0, sizeof(wseen));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink_all();
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

static int
wal_exists(void)
{
	char p[80];

	snprintf(p, sizeof(p), "%s-wal", path);
	return access(p, F_OK) == 0;
}

/* The rows the tests write, each 4,000 bytes, and the whole file sound. */
static void
check_rows(sqlite3 *db, int rows)
{
	assert_int_equal(one_int(db, "SELECT count(*) FROM t WHERE length(v) = 4000"), rows);
	assert_int_equal(one_int(db, "SELECT count(*) FROM pragma_integrity_check"
	    " WHERE integrity_check = 'ok'"), 1);
}

/* The WAL pages left after the writer's last commit (its WAL hook). */
static int wal_pages;

static int
note_wal(void *arg, sqlite3 *db, const char *name, int pages)
{
	(void)arg;
	(void)db;
	(void)name;
	wal_pages = pages;
	return SQLITE_OK;
}

/* A writer on the default VFS with rows 4,000-byte rows in the WAL, none
 * in the database file (as parleyd's loop, checkpoints left to others). */
static sqlite3 *
writer(int rows)
{
	sqlite3 *w;
	char sql[256];

	assert_int_equal(sqlite3_open(path, &w), SQLITE_OK);
	exec_ok(w, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "PRAGMA wal_autocheckpoint=0; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
	sqlite3_wal_hook(w, note_wal, NULL);
	snprintf(sql, sizeof(sql), "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
	    "FROM n WHERE i < %d) INSERT INTO t(v) SELECT randomblob(4000) FROM n", rows);
	exec_ok(w, sql);
	return w;
}

/* The checkpoint's connection, as parleyd's thread opens it. */
static sqlite3 *
checkpointer(void)
{
	sqlite3 *ck;

	assert_int_equal(sqlite3_open_v2(path, &ck, SQLITE_OPEN_READWRITE, paced_vfs()),
	    SQLITE_OK);
	exec_ok(ck, "SELECT count(*) FROM sqlite_master");
	return ck;
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

/* About 4 MB in the WAL; one checkpoint, as parleyd's thread makes. */
static void
test_checkpoint_synced_in_chunks(void **state)
{
	sqlite3 *w = writer(1000), *ck = checkpointer();
	sqlite3_int64 total;
	int nlog = 0, nckpt = 0;

	(void)state;
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
	assert_false(wal_exists());
	assert_int_equal(sqlite3_open(path, &w), SQLITE_OK);
	check_rows(w, 1000);
	sqlite3_close(w);
}

/* A sync that fails in the middle fails the checkpoint; the WAL keeps
 * everything, and the next checkpoint copies it all again. */
static void
test_failed_sync_fails_checkpoint(void **state)
{
	sqlite3 *w = writer(1000), *ck = checkpointer();
	int nlog = 0, nckpt = 0;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	seen.fail_sync = 3;		/* two chunks in */
	assert_int_not_equal(sqlite3_wal_checkpoint_v2(ck, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    &nlog, &nckpt), SQLITE_OK);
	assert_int_equal(seen.syncs, 3);
	seen.fail_sync = 0;
	assert_int_equal(sqlite3_wal_checkpoint_v2(ck, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog,
	    &nckpt), SQLITE_OK);
	assert_true(nlog > 900);
	assert_int_equal(nckpt, nlog);
	check_rows(w, 1000);
	sqlite3_close(ck);
	sqlite3_close(w);
	assert_int_equal(sqlite3_open(path, &w), SQLITE_OK);
	check_rows(w, 1000);
	sqlite3_close(w);
}

/* Locks go through: a checkpoint stops at a reader's snapshot, and the
 * writer closing while the checkpoint's connection is open leaves the WAL
 * to it, as through the default VFS. */
static void
test_locks_forwarded(void **state)
{
	sqlite3 *w = writer(300), *r, *ck = checkpointer();
	int at_read, nlog = 0, nckpt = 0;

	(void)state;
	assert_int_equal(sqlite3_open(path, &r), SQLITE_OK);
	exec_ok(r, "BEGIN");
	assert_int_equal(one_int(r, "SELECT count(*) FROM t"), 300);	/* snapshot */
	at_read = wal_pages;
	exec_ok(w, "INSERT INTO t(v) SELECT randomblob(4000) FROM t");
	assert_true(wal_pages > at_read);
	assert_int_equal(sqlite3_wal_checkpoint_v2(ck, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog,
	    &nckpt), SQLITE_OK);
	assert_int_equal(nlog, wal_pages);
	assert_int_equal(nckpt, at_read);	/* not past the reader */
	exec_ok(r, "COMMIT");
	sqlite3_close(r);
	sqlite3_close(w);
	assert_true(wal_exists());		/* the checkpoint's connection is open */
	check_rows(ck, 600);
	sqlite3_close(ck);
	assert_false(wal_exists());
	assert_int_equal(sqlite3_open(path, &w), SQLITE_OK);
	check_rows(w, 600);
	sqlite3_close(w);
}

/* About 6 MB committed on st in one batch, counted from the commit on,
 * and its checkpoint run by the store's own thread. */
static void
store_commit_checkpointed(struct store *st)
{
	int i;

	assert_int_equal(store_exec(st, "CREATE TABLE scratch(x)"), 0);
	assert_int_equal(store_batch_begin(st), 0);
	assert_int_equal(store_exec(st, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM n WHERE i < 1500) INSERT INTO scratch SELECT zeroblob(4000) "
	    "FROM n"), 0);
	memset(&seen, 0, sizeof(seen));
	memset(&wseen, 0, sizeof(wseen));
	assert_int_equal(store_batch_commit(st), 0);
	/* readiness, bounded: the thread runs on its own time */
	for (i = 0; i < 2000 && store_wal_checkpoints(st) == 0; i++)
		usleep(5000);
	assert_true(store_wal_checkpoints(st) >= 1);
	assert_true(seen.total >= 1500 * 4000);
	assert_int_equal(one_int(store_db(st), "SELECT count(*) FROM scratch"), 1500);
}

/* parleyd's own checkpoint thread goes through paced: the commit, and the
 * thread's checkpoint of it, reach the database file in chunks. */
static void
test_store_checkpoints_paced(void **state)
{
	struct store *st;
	char err[256];

	(void)state;
	assert_int_equal(store_open(path, &st, err, sizeof(err)), 0);
	store_commit_checkpointed(st);
	assert_true(seen.most <= PACED_CHUNK + 4096);
	/* and the store's own connection gathers the commit's WAL writes */
	assert_true(wseen.bytes >= 1500 * 4096);
	assert_true(wseen.writes <= wseen.bytes / PACED_WAL_GATHER + 2);
	assert_int_equal(one_int(store_db(st), "SELECT count(*) FROM pragma_integrity_check"
	    " WHERE integrity_check = 'ok'"), 1);
	store_close(st);
}

/* A writer through paced, as the store's own connection. */
static sqlite3 *
gatherer(void)
{
	sqlite3 *w;

	assert_int_equal(sqlite3_open_v2(path, &w, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    paced_vfs()), SQLITE_OK);
	exec_ok(w, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "PRAGMA wal_autocheckpoint=0; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
	return w;
}

static void
reopen_check_rows(int rows)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	check_rows(db, rows);
	sqlite3_close(db);
}

/* Both connections closed, and the file as a new opener finds it. */
static void
close_and_check(sqlite3 *a, sqlite3 *b, int rows)
{
	sqlite3_close(a);
	sqlite3_close(b);
	reopen_check_rows(rows);
}

#define INSERT_ROWS(n) "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 " \
	"FROM n WHERE i < " #n ") INSERT INTO t(v) SELECT randomblob(4000) FROM n"

/* A commit's frames reach the WAL in a write per PACED_WAL_GATHER bytes,
 * not two per page, all of them before its one sync: another connection,
 * on the default VFS and its own file descriptor, reads them at once. */
static void
test_wal_gathered_until_sync(void **state)
{
	sqlite3 *w = gatherer(), *r;
	sqlite3_int64 bytes;
	int writes, syncs, i;

	(void)state;
	assert_int_equal(sqlite3_open(path, &r), SQLITE_OK);
	assert_int_equal(one_int(r, "SELECT count(*) FROM t"), 0);
	writes = wseen.writes;
	syncs = wseen.syncs;
	bytes = wseen.bytes;
	exec_ok(w, INSERT_ROWS(100));
	bytes = wseen.bytes - bytes;
	assert_true(bytes >= 100 * 4096);
	assert_true(wseen.writes - writes <= bytes / PACED_WAL_GATHER + 2);
	assert_int_equal(wseen.syncs - syncs, 1);
	check_rows(r, 100);
	/* Small commits, one after another, each whole when it returns. */
	for (i = 0; i < 20; i++) {
		exec_ok(w, "INSERT INTO t(v) VALUES (randomblob(4000))");
		assert_int_equal(one_int(r, "SELECT count(*) FROM t"), 101 + i);
	}
	close_and_check(r, w, 120);
}

/* A transaction larger than its cache spills frames before its commit
 * and reads them back, writes the same pages again, and another rolls
 * back: what is read is what was written, and what is committed whole. */
static void
test_wal_spill_and_rewrite(void **state)
{
	sqlite3 *w = gatherer();

	(void)state;
	exec_ok(w, "PRAGMA cache_size=10; BEGIN;" INSERT_ROWS(300));
	check_rows(w, 300);	/* read back inside the transaction: spilled pages */
	exec_ok(w, "UPDATE t SET v = randomblob(4000) WHERE id % 3 = 0;"
	    "UPDATE t SET v = zeroblob(4000) WHERE id % 5 = 0;");
	check_rows(w, 300);
	exec_ok(w, "COMMIT");
	check_rows(w, 300);
	assert_int_equal(one_int(w, "SELECT count(*) FROM t WHERE v = zeroblob(4000)"), 60);
	exec_ok(w, "BEGIN;" INSERT_ROWS(200) "; ROLLBACK");
	exec_ok(w, "INSERT INTO t(v) VALUES (zeroblob(4000))");
	check_rows(w, 301);
	sqlite3_close(w);
	reopen_check_rows(301);
}

/* A gathered write that fails at the commit fails the commit: nothing of
 * it is seen, and the next commit goes through whole. */
static void
test_wal_failed_write_fails_commit(void **state)
{
	sqlite3 *w = gatherer(), *r;

	(void)state;
	exec_ok(w, "INSERT INTO t(v) VALUES (randomblob(4000))");
	wseen.fail_write = wseen.writes + 2;	/* the commit's second write */
	wseen.fail_rc = SQLITE_FULL;
	assert_int_equal(sqlite3_exec(w, INSERT_ROWS(100), NULL, NULL, NULL), SQLITE_FULL);
	assert_true(wseen.writes >= wseen.fail_write);
	wseen.fail_write = 0;
	assert_int_equal(sqlite3_open(path, &r), SQLITE_OK);
	check_rows(r, 1);
	exec_ok(w, "INSERT INTO t(v) VALUES (randomblob(4000))");
	check_rows(r, 2);
	close_and_check(r, w, 2);
}

/* The disk fills while a transaction's spilled frames are gathered, and
 * the write that fails is the one a read makes first.  Through the
 * default VFS the spill itself would have failed and doomed the
 * transaction; here the read fails as an I/O error, which rolls back the
 * whole transaction, not only the statement (SQLITE_FULL would): so no
 * commit follows with frames missing under it. */
static void
test_wal_failed_flush_in_read_dooms_transaction(void **state)
{
	sqlite3 *w = gatherer();
	char *msg = NULL;

	(void)state;
	exec_ok(w, "PRAGMA cache_size=10; BEGIN;" INSERT_ROWS(300));
	wseen.fail_write = wseen.writes + 1;	/* the next write of all */
	wseen.fail_rc = SQLITE_FULL;
	/* A statement with a statement journal, reading spilled pages. */
	assert_int_not_equal(sqlite3_exec(w, "INSERT INTO t(v) SELECT v FROM t WHERE id <= 50",
	    NULL, NULL, &msg), SQLITE_OK);
	sqlite3_free(msg);
	assert_int_equal(wseen.writes, wseen.fail_write);
	wseen.fail_write = 0;
	assert_int_equal(sqlite3_extended_errcode(w), SQLITE_IOERR_WRITE);
	assert_true(sqlite3_get_autocommit(w));	/* the transaction is gone */
	assert_int_not_equal(sqlite3_exec(w, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	check_rows(w, 0);
	exec_ok(w, "INSERT INTO t(v) VALUES (randomblob(4000))");
	sqlite3_close(w);
	reopen_check_rows(1);
}

/* A rollback leaves gathered frames (the WAL was empty, so undoing it
 * reads nothing back from the WAL); another connection then commits
 * frames at the same offsets.  The rollback's frames were written while
 * its write lock was held, as the default VFS writes them, so nothing of
 * them lands on the other's afterwards. */
static void
test_wal_rollback_leaves_nothing_behind(void **state)
{
	sqlite3 *w = gatherer(), *r;

	(void)state;
	exec_ok(w, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA cache_size=10;"
	    "BEGIN;" INSERT_ROWS(200) "; ROLLBACK");
	assert_int_equal(sqlite3_open(path, &r), SQLITE_OK);
	/* More than the rollback wrote: over every offset it wrote at. */
	exec_ok(r, INSERT_ROWS(300));
	check_rows(w, 300);	/* the first read of w's WAL since the rollback */
	exec_ok(w, "INSERT INTO t(v) VALUES (randomblob(4000))");
	check_rows(r, 301);
	close_and_check(r, w, 301);
}

/* Every byte of a commit reaches the WAL before its sync, the last call
 * of the commit on the file. */
static void
test_wal_nothing_written_after_sync(void **state)
{
	sqlite3 *w = gatherer();
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		exec_ok(w, i % 2 ? INSERT_ROWS(20) : "INSERT INTO t(v) VALUES (randomblob(4000))");
		assert_true(wseen.bytes > 0);
		assert_int_equal(wseen.bytes, wseen.at_sync);
	}
	sqlite3_close(w);
}

/* A connection with less than synchronous=FULL (paced.h asks for FULL):
 * its commits do not sync, yet their frames are written before SQLite
 * publishes them in the wal-index, behind the barrier it calls first. */
static void
test_wal_written_before_published(void **state)
{
	sqlite3 *w = gatherer();
	int i;

	(void)state;
	exec_ok(w, "PRAGMA synchronous=NORMAL");
	for (i = 0; i < 3; i++) {
		exec_ok(w, INSERT_ROWS(20));
		assert_true(wseen.bytes > 0);
		assert_int_equal(wseen.bytes, wseen.at_barrier);
	}
	sqlite3_close(w);
	reopen_check_rows(60);
}

/* Another connection takes the write lock the moment a rollback releases
 * it, and commits over the offsets the rollback wrote at: the rollback's
 * frames were written before the release, not after. */
static void
test_wal_written_before_the_lock_is_released(void **state)
{
	sqlite3 *w = gatherer();

	(void)state;
	exec_ok(w, "PRAGMA wal_checkpoint(TRUNCATE)");
	assert_int_equal(sqlite3_open(path, &racer), SQLITE_OK);
	racer_sql = INSERT_ROWS(300);
	exec_ok(w, "PRAGMA cache_size=10; BEGIN;" INSERT_ROWS(200) "; ROLLBACK");
	assert_null(racer_sql);		/* it ran, inside the release */
	check_rows(w, 300);
	check_rows(racer, 300);
	close_and_check(racer, w, 300);
}

/* In exclusive locking mode SQLite holds the write lock without telling
 * the VFS: nothing is gathered, and a rollback's frames are on disk when
 * the connection goes back to normal locking and another commits. */
static void
test_wal_exclusive_mode_not_gathered(void **state)
{
	sqlite3 *w = gatherer(), *r;
	int writes;

	(void)state;
	exec_ok(w, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA locking_mode=EXCLUSIVE;"
	    "INSERT INTO t(v) VALUES (randomblob(4000))");
	writes = wseen.writes;
	exec_ok(w, INSERT_ROWS(20));
	assert_true(wseen.writes - writes >= 2 * 20);	/* two writes a frame */
	exec_ok(w, "PRAGMA cache_size=10; BEGIN;" INSERT_ROWS(200) "; ROLLBACK;"
	    "PRAGMA locking_mode=NORMAL; SELECT count(*) FROM sqlite_master");
	assert_int_equal(sqlite3_open(path, &r), SQLITE_OK);
	exec_ok(r, INSERT_ROWS(300));
	check_rows(w, 321);
	check_rows(r, 321);
	close_and_check(r, w, 321);
}

/* Once writing what was gathered fails, every call on the WAL fails until
 * the write lock is released, whatever SQLite does in between; after it,
 * commits go through again. */
static void
test_wal_failure_sticks_until_released(void **state)
{
	sqlite3 *w = gatherer();
	sqlite3_file *wal = NULL;
	sqlite3_int64 size;
	char buf[512], back[512];

	(void)state;
	exec_ok(w, "INSERT INTO t(v) VALUES (randomblob(4000)); BEGIN IMMEDIATE");
	assert_int_equal(sqlite3_file_control(w, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal),
	    SQLITE_OK);
	assert_non_null(wal);
	memset(buf, 'x', sizeof(buf));
	/* Past every frame, under the write lock, as a spill would be. */
	assert_int_equal(wal->pMethods->xWrite(wal, buf, sizeof(buf), 1 << 20), SQLITE_OK);
	wseen.fail_write = wseen.writes + 1;
	wseen.fail_rc = SQLITE_FULL;
	assert_int_equal(wal->pMethods->xFileSize(wal, &size), SQLITE_IOERR_WRITE);
	wseen.fail_write = 0;			/* the disk has room again */
	assert_int_equal(wal->pMethods->xWrite(wal, buf, sizeof(buf), 1 << 20),
	    SQLITE_IOERR_WRITE);
	assert_int_equal(wal->pMethods->xRead(wal, back, sizeof(back), 32), SQLITE_IOERR_WRITE);
	assert_int_equal(wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL), SQLITE_IOERR_WRITE);
	exec_ok(w, "ROLLBACK");
	exec_ok(w, "INSERT INTO t(v) VALUES (randomblob(4000))");
	check_rows(w, 2);
	sqlite3_close(w);
	reopen_check_rows(2);
}

/* A working copy (the record in PostgreSQL) is never trusted across a
 * restart: its checkpoint thread copies the WAL into the file and syncs
 * nothing. */
static void
test_copy_checkpoints_unsynced(void **state)
{
	struct store *st;
	char err[256];

	(void)state;
	assert_int_equal(store_open_copy(path, 0, &st, err, sizeof(err)), 0);
	store_commit_checkpointed(st);
	assert_int_equal(seen.syncs, 0);
	assert_true(wseen.writes >= 2 * 1500);	/* no gathering without syncs */
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registers_once_not_default),
		cmocka_unit_test_setup_teardown(test_checkpoint_synced_in_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_sync_fails_checkpoint, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_locks_forwarded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_checkpoints_paced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_checkpoints_unsynced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_gathered_until_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_spill_and_rewrite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_failed_write_fails_commit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wal_failed_flush_in_read_dooms_transaction,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_rollback_leaves_nothing_behind, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wal_nothing_written_after_sync, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wal_written_before_published, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wal_written_before_the_lock_is_released,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_exclusive_mode_not_gathered, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wal_failure_sticks_until_released, setup,
		    teardown),
	};

	if (count_register() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
