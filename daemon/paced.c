#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sqlite3.h>

#include "paced.h"

#define PACED_NAME "parley-paced"

/* An open main database file or WAL: ours in front, the default VFS's
 * right behind it.  Any other file (a journal, a temporary file) is the
 * default VFS's own, with its own methods, in the same space. */
struct shim_file {
	sqlite3_file base;
	sqlite3_file *real;
	sqlite3_int64 unsynced;		/* main: bytes written since the last sync */
	struct shim_file *wal;		/* main: its WAL, open through us */
	struct shim_file *db;		/* WAL: its main database file */
	/* WAL: the writes gathered since the last flush, len bytes at off;
	 * gather 0: every write goes straight through, as when locked is 0
	 * (the write lock not seen taken).  failed: a flush failed, and every
	 * call fails until the write lock is released. */
	int gather, locked, failed;
	unsigned char *buf;
	size_t len;
	sqlite3_int64 off;
};

#define REAL(f) (((struct shim_file *)(f))->real)

static int wal_flush(struct shim_file *);
static void wal_released(struct shim_file *);

static int
file_close(sqlite3_file *f)
{
	struct shim_file *p = (struct shim_file *)f;

	if (p->wal != NULL)
		p->wal->db = NULL;
	return p->real->pMethods->xClose(p->real);
}

static int
file_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, amt, off);
}

static int
file_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	struct shim_file *p = (struct shim_file *)f;
	int rc = p->real->pMethods->xWrite(p->real, buf, amt, off);

	if (rc != SQLITE_OK)
		return rc;
	p->unsynced += amt;
	if (p->unsynced < PACED_CHUNK)
		return SQLITE_OK;
	p->unsynced = 0;
	return p->real->pMethods->xSync(p->real, SQLITE_SYNC_NORMAL);
}

static int
file_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
file_sync(sqlite3_file *f, int flags)
{
	struct shim_file *p = (struct shim_file *)f;

	p->unsynced = 0;
	return p->real->pMethods->xSync(p->real, flags);
}

static int
file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
file_lock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int
file_unlock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int
file_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
file_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
file_device_characteristics(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
file_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, out);
}

/* The WAL's write lock is the first of the shared-memory locks (wal.c,
 * WAL_WRITE_LOCK).  The WAL gathers only once it has seen it taken here:
 * in exclusive locking mode SQLite takes it without telling the VFS, and
 * then nothing is gathered.  Its release ends a write transaction, and
 * what the WAL gathered is written while the lock is still held. */
static int
file_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	struct shim_file *p = (struct shim_file *)f;
	int write_lock = p->wal != NULL && offset == 0 && n >= 1, rc;

	if (write_lock && flags == (SQLITE_SHM_UNLOCK | SQLITE_SHM_EXCLUSIVE))
		wal_released(p->wal);
	rc = p->real->pMethods->xShmLock(p->real, offset, n, flags);
	if (write_lock && rc == SQLITE_OK && flags == (SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE))
		p->wal->locked = 1;
	return rc;
}

/* SQLite calls the barrier before it publishes a commit in the wal-index
 * (walIndexWriteHdr).  With synchronous=FULL the commit's sync has
 * written everything by then; should a connection run with less, its
 * frames are written here, before anyone can be told of them. */
static void
file_shm_barrier(sqlite3_file *f)
{
	struct shim_file *p = (struct shim_file *)f;

	if (p->wal != NULL)
		(void)wal_flush(p->wal);	/* a failure fails the WAL's next call */
	p->real->pMethods->xShmBarrier(p->real);
}

static int
file_shm_unmap(sqlite3_file *f, int delete_flag)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

static int
file_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **out)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, amt, out);
}

static int
file_unfetch(sqlite3_file *f, sqlite3_int64 off, void *page)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, page);
}

/* Version 3, as the default VFS's database files on every platform
 * parleyd runs on: vfs_open refuses one whose methods are older or have
 * no shared memory (no WAL without it). */
static const sqlite3_io_methods file_io = {
	3,
	file_close,
	file_read,
	file_write,
	file_truncate,
	file_sync,
	file_size,
	file_lock,
	file_unlock,
	file_check_reserved,
	file_control,
	file_sector_size,
	file_device_characteristics,
	file_shm_map,
	file_shm_lock,
	file_shm_barrier,
	file_shm_unmap,
	file_fetch,
	file_unfetch,
};

/* ---- the WAL: a commit's writes gathered until its sync ----
 *
 * SQLite writes each WAL frame in two calls (its 24-byte header, then the
 * page), so a commit of 43 pages is 86 system calls; gathered, it is two.
 * What the file holds when anyone else could read it is exactly what the
 * default VFS would have written:
 *
 * - gathered bytes exist only while this connection holds the WAL's write
 *   lock (seen taken in xShmLock), so no other connection writes the WAL
 *   meanwhile, and none reads the frames: SQLite publishes a commit's
 *   frames in the wal-index only after its sync (synchronous=FULL, which
 *   paced.h requires), which writes them first, and after the barrier,
 *   which writes them too.  When the lock is released (a rollback), what
 *   is left is written before the release, as the default VFS would have;
 * - any other call on the file (a read, its size, a truncation, a file
 *   control, its close) writes them first;
 * - once writing them fails, every later call on the file fails, as an
 *   I/O error, until the write lock is released: SQLite rolls back the
 *   whole transaction on an I/O error, so nothing the failed write held
 *   can be read back, committed on top of, or lost under a commit that
 *   succeeds.  (SQLITE_FULL on a read would roll back one statement.) */

static int
wal_flush(struct shim_file *p)
{
	size_t len = p->len;
	int rc;

	if (p->failed)
		return SQLITE_IOERR_WRITE;
	if (len == 0)
		return SQLITE_OK;
	p->len = 0;
	rc = p->real->pMethods->xWrite(p->real, p->buf, (int)len, p->off);
	if (rc != SQLITE_OK)
		p->failed = 1;
	return rc;
}

/* Before a call that is not a write: the gathered writes, or an I/O error. */
static int
wal_flushed(sqlite3_file *f)
{
	return wal_flush((struct shim_file *)f) == SQLITE_OK ? SQLITE_OK : SQLITE_IOERR_WRITE;
}

/* The write lock is about to be released.  What is left is a rolled-back
 * transaction's (a commit's were written at its sync): written as the
 * default VFS would have, and a failure to is no one's, since no commit
 * points at these frames. */
static void
wal_released(struct shim_file *p)
{
	(void)wal_flush(p);	/* leaves nothing gathered, written or failed */
	p->failed = 0;
	p->locked = 0;
}

static int
wal_close(sqlite3_file *f)
{
	struct shim_file *p = (struct shim_file *)f;
	int rc = wal_flushed(f), rc2 = p->real->pMethods->xClose(p->real);

	if (p->db != NULL)
		p->db->wal = NULL;
	sqlite3_free(p->buf);
	p->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
wal_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	int rc = wal_flushed(f);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xRead(REAL(f), buf, amt, off);
}

static int
wal_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	struct shim_file *p = (struct shim_file *)f;
	sqlite3_int64 end = p->off + (sqlite3_int64)p->len;
	int rc;

	if (!p->gather || !p->locked || amt < 0) {
		if ((rc = wal_flush(p)) != SQLITE_OK)
			return rc;
		return p->real->pMethods->xWrite(p->real, buf, amt, off);
	}
	/* Inside what is gathered (a frame written again in its
	 * transaction): in place.  Right after it, with room: appended. */
	if (p->len > 0 && off >= p->off && off + amt <= end) {
		memcpy(p->buf + (off - p->off), buf, (size_t)amt);
		return SQLITE_OK;
	}
	if (p->len > 0 && off == end && p->len + (size_t)amt <= PACED_WAL_GATHER) {
		memcpy(p->buf + p->len, buf, (size_t)amt);
		p->len += (size_t)amt;
		return SQLITE_OK;
	}
	if ((rc = wal_flush(p)) != SQLITE_OK)
		return rc;
	if (p->buf == NULL)
		p->buf = sqlite3_malloc(PACED_WAL_GATHER);
	if (p->buf == NULL || (size_t)amt > PACED_WAL_GATHER)
		return p->real->pMethods->xWrite(p->real, buf, amt, off);
	memcpy(p->buf, buf, (size_t)amt);
	p->len = (size_t)amt;
	p->off = off;
	return SQLITE_OK;
}

static int
wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	int rc = wal_flushed(f);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xTruncate(REAL(f), size);
}

/* The commit's sync: its frames, then the real sync.  A failed write here
 * reports the default VFS's own error (SQLITE_FULL for a full disk). */
static int
wal_sync(sqlite3_file *f, int flags)
{
	int rc = wal_flush((struct shim_file *)f);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
wal_size(sqlite3_file *f, sqlite3_int64 *size)
{
	int rc = wal_flushed(f);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
wal_control(sqlite3_file *f, int op, void *arg)
{
	int rc = wal_flushed(f);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
wal_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **out)
{
	int rc = wal_flushed(f);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xFetch(REAL(f), off, amt, out);
}

/* A WAL has no shared memory of its own: its database file's is used. */
static const sqlite3_io_methods wal_io = {
	3,
	wal_close,
	wal_read,
	wal_write,
	wal_truncate,
	wal_sync,
	wal_size,
	file_lock,
	file_unlock,
	file_check_reserved,
	wal_control,
	file_sector_size,
	file_device_characteristics,
	NULL,
	NULL,
	NULL,
	NULL,
	wal_fetch,
	file_unfetch,
};

static sqlite3_vfs vfs;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int registered;

/* A WAL is gathered only when its database file is ours (whose write
 * lock it must see taken and released) and it is not padded to a sector
 * at each commit, with syncs in the middle: the database file says it may
 * be overwritten safely (SQLITE_IOCAP_POWERSAFE_OVERWRITE, as SQLite asks
 * it in sqlite3WalOpen).  name is the one SQLite gave xOpen: this VFS is
 * the one SQLite opens through, never one stacked under another. */
static void
wal_pair(struct shim_file *p, sqlite3_filename name)
{
	struct shim_file *db = (struct shim_file *)sqlite3_database_file_object(name);

	if (db == NULL || db->base.pMethods != &file_io || db->wal != NULL)
		return;
	if (!(db->real->pMethods->xDeviceCharacteristics(db->real) &
	    SQLITE_IOCAP_POWERSAFE_OVERWRITE))
		return;
	db->wal = p;
	p->db = db;
	p->gather = 1;
}

static int
vfs_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags)
{
	sqlite3_vfs *real_vfs = v->pAppData;
	struct shim_file *p = (struct shim_file *)f;
	int rc;

	if (!(flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)))
		return real_vfs->xOpen(real_vfs, name, f, flags, out_flags);
	memset(p, 0, sizeof(*p));	/* pMethods NULL: SQLite closes nothing if the open fails */
	p->real = (sqlite3_file *)(p + 1);
	rc = real_vfs->xOpen(real_vfs, name, p->real, flags, out_flags);
	if (rc != SQLITE_OK)
		return rc;
	if (p->real->pMethods == NULL)
		return SQLITE_CANTOPEN;
	if (p->real->pMethods->iVersion < 3 ||
	    ((flags & SQLITE_OPEN_MAIN_DB) && p->real->pMethods->xShmMap == NULL)) {
		p->real->pMethods->xClose(p->real);
		return SQLITE_CANTOPEN;
	}
	if (flags & SQLITE_OPEN_MAIN_DB) {
		p->base.pMethods = &file_io;
		return SQLITE_OK;
	}
	p->base.pMethods = &wal_io;
	wal_pair(p, name);
	return SQLITE_OK;
}

/* Everything but opening a file is the default VFS's, called as itself. */
#define RV(v) ((sqlite3_vfs *)(v)->pAppData)

static int
vfs_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	return RV(v)->xDelete(RV(v), name, sync_dir);
}

static int
vfs_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	return RV(v)->xAccess(RV(v), name, flags, out);
}

static int
vfs_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	return RV(v)->xFullPathname(RV(v), name, n, out);
}

static void *
vfs_dlopen(sqlite3_vfs *v, const char *name)
{
	return RV(v)->xDlOpen(RV(v), name);
}

static void
vfs_dlerror(sqlite3_vfs *v, int n, char *out)
{
	RV(v)->xDlError(RV(v), n, out);
}

static void (*vfs_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	return RV(v)->xDlSym(RV(v), h, sym);
}

static void
vfs_dlclose(sqlite3_vfs *v, void *h)
{
	RV(v)->xDlClose(RV(v), h);
}

static int
vfs_randomness(sqlite3_vfs *v, int n, char *out)
{
	return RV(v)->xRandomness(RV(v), n, out);
}

static int
vfs_sleep(sqlite3_vfs *v, int us)
{
	return RV(v)->xSleep(RV(v), us);
}

static int
vfs_current_time(sqlite3_vfs *v, double *out)
{
	return RV(v)->xCurrentTime(RV(v), out);
}

static int
vfs_last_error(sqlite3_vfs *v, int n, char *out)
{
	return RV(v)->xGetLastError(RV(v), n, out);
}

static int
vfs_current_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	return RV(v)->xCurrentTimeInt64(RV(v), out);
}

static void
register_once(void)
{
	sqlite3_vfs *real_vfs = sqlite3_vfs_find(NULL);

	if (real_vfs == NULL || real_vfs->iVersion < 2)
		return;
	vfs.iVersion = 2;
	vfs.szOsFile = (int)sizeof(struct shim_file) + real_vfs->szOsFile;
	vfs.mxPathname = real_vfs->mxPathname;
	vfs.zName = PACED_NAME;
	vfs.pAppData = real_vfs;
	vfs.xOpen = vfs_open;
	vfs.xDelete = vfs_delete;
	vfs.xAccess = vfs_access;
	vfs.xFullPathname = vfs_full_pathname;
	vfs.xDlOpen = vfs_dlopen;
	vfs.xDlError = vfs_dlerror;
	vfs.xDlSym = vfs_dlsym;
	vfs.xDlClose = vfs_dlclose;
	vfs.xRandomness = vfs_randomness;
	vfs.xSleep = vfs_sleep;
	vfs.xCurrentTime = vfs_current_time;
	vfs.xGetLastError = vfs_last_error;
	vfs.xCurrentTimeInt64 = vfs_current_time64;
	registered = sqlite3_vfs_register(&vfs, 0) == SQLITE_OK;
}

const char *
paced_vfs(void)
{
	if (pthread_once(&once, register_once) != 0 || !registered)
		return NULL;
	return PACED_NAME;
}
