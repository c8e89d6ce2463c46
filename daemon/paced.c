#include <pthread.h>
#include <stddef.h>
#include <sqlite3.h>

#include "paced.h"

#define PACED_NAME "parley-paced"

/* An open main database file: ours in front, the default VFS's right
 * behind it.  Any other file (the WAL, a temporary file) is the default
 * VFS's own, with its own methods, in the same space. */
struct shim_file {
	sqlite3_file base;
	sqlite3_file *real;
	sqlite3_int64 unsynced;		/* bytes written since the last sync */
};

#define REAL(f) (((struct shim_file *)(f))->real)

static int
file_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
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

static int
file_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void
file_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
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

static sqlite3_vfs vfs;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int registered;

static int
vfs_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags)
{
	sqlite3_vfs *real_vfs = v->pAppData;
	struct shim_file *p = (struct shim_file *)f;
	int rc;

	if (!(flags & SQLITE_OPEN_MAIN_DB))
		return real_vfs->xOpen(real_vfs, name, f, flags, out_flags);
	p->base.pMethods = NULL;	/* SQLite closes nothing if the open fails */
	p->real = (sqlite3_file *)(p + 1);
	p->unsynced = 0;
	rc = real_vfs->xOpen(real_vfs, name, p->real, flags, out_flags);
	if (rc != SQLITE_OK)
		return rc;
	if (p->real->pMethods == NULL)
		return SQLITE_CANTOPEN;
	if (p->real->pMethods->iVersion < 3 || p->real->pMethods->xShmMap == NULL) {
		p->real->pMethods->xClose(p->real);
		return SQLITE_CANTOPEN;
	}
	p->base.pMethods = &file_io;
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
