#include <pthread.h>
#include <stddef.h>
#include <sqlite3.h>

#include "paced.h"

#define PACED_NAME "parley-paced"

/* An open file: ours in front, the default VFS's right behind it. */
struct paced_file {
	sqlite3_file base;
	sqlite3_file *real;
	int main_db;			/* counted and synced in chunks */
	sqlite3_int64 unsynced;		/* bytes written since the last sync */
};

#define REAL(f) (((struct paced_file *)(f))->real)

static int
paced_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int
paced_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, amt, off);
}

static int
paced_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	struct paced_file *p = (struct paced_file *)f;
	int rc = p->real->pMethods->xWrite(p->real, buf, amt, off);

	if (rc != SQLITE_OK || !p->main_db)
		return rc;
	p->unsynced += amt;
	if (p->unsynced < PACED_CHUNK)
		return SQLITE_OK;
	p->unsynced = 0;
	return p->real->pMethods->xSync(p->real, SQLITE_SYNC_NORMAL);
}

static int
paced_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
paced_sync(sqlite3_file *f, int flags)
{
	struct paced_file *p = (struct paced_file *)f;

	p->unsynced = 0;
	return p->real->pMethods->xSync(p->real, flags);
}

static int
paced_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
paced_lock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int
paced_unlock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int
paced_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
paced_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
paced_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
paced_device_characteristics(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
paced_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, out);
}

static int
paced_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void
paced_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
paced_shm_unmap(sqlite3_file *f, int delete_flag)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

static int
paced_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **out)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, amt, out);
}

static int
paced_unfetch(sqlite3_file *f, sqlite3_int64 off, void *page)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, page);
}

/* Version 3, as the default VFS's files on every platform parleyd runs on:
 * paced_open refuses a file whose methods are older. */
static const sqlite3_io_methods paced_io = {
	3,
	paced_close,
	paced_read,
	paced_write,
	paced_truncate,
	paced_sync,
	paced_file_size,
	paced_lock,
	paced_unlock,
	paced_check_reserved,
	paced_file_control,
	paced_sector_size,
	paced_device_characteristics,
	paced_shm_map,
	paced_shm_lock,
	paced_shm_barrier,
	paced_shm_unmap,
	paced_fetch,
	paced_unfetch,
};

static sqlite3_vfs vfs;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int registered;

static int
paced_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags)
{
	sqlite3_vfs *real_vfs = v->pAppData;
	struct paced_file *p = (struct paced_file *)f;
	int rc;

	p->base.pMethods = NULL;	/* SQLite closes nothing if the open fails */
	p->real = (sqlite3_file *)(p + 1);
	p->main_db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
	p->unsynced = 0;
	rc = real_vfs->xOpen(real_vfs, name, p->real, flags, out_flags);
	if (rc != SQLITE_OK)
		return rc;
	if (p->real->pMethods == NULL)
		return SQLITE_CANTOPEN;
	if (p->real->pMethods->iVersion < 3) {
		p->real->pMethods->xClose(p->real);
		return SQLITE_CANTOPEN;
	}
	p->base.pMethods = &paced_io;
	return SQLITE_OK;
}

/* Everything but opening a file is the default VFS's, called as itself. */
#define RV(v) ((sqlite3_vfs *)(v)->pAppData)

static int
paced_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	return RV(v)->xDelete(RV(v), name, sync_dir);
}

static int
paced_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	return RV(v)->xAccess(RV(v), name, flags, out);
}

static int
paced_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	return RV(v)->xFullPathname(RV(v), name, n, out);
}

static void *
paced_dlopen(sqlite3_vfs *v, const char *name)
{
	return RV(v)->xDlOpen(RV(v), name);
}

static void
paced_dlerror(sqlite3_vfs *v, int n, char *out)
{
	RV(v)->xDlError(RV(v), n, out);
}

static void (*paced_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	return RV(v)->xDlSym(RV(v), h, sym);
}

static void
paced_dlclose(sqlite3_vfs *v, void *h)
{
	RV(v)->xDlClose(RV(v), h);
}

static int
paced_randomness(sqlite3_vfs *v, int n, char *out)
{
	return RV(v)->xRandomness(RV(v), n, out);
}

static int
paced_sleep(sqlite3_vfs *v, int us)
{
	return RV(v)->xSleep(RV(v), us);
}

static int
paced_current_time(sqlite3_vfs *v, double *out)
{
	return RV(v)->xCurrentTime(RV(v), out);
}

static int
paced_last_error(sqlite3_vfs *v, int n, char *out)
{
	return RV(v)->xGetLastError(RV(v), n, out);
}

static int
paced_current_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	return RV(v)->xCurrentTimeInt64(RV(v), out);
}

static void
paced_register(void)
{
	sqlite3_vfs *real_vfs = sqlite3_vfs_find(NULL);

	if (real_vfs == NULL || real_vfs->iVersion < 2)
		return;
	vfs.iVersion = 2;
	vfs.szOsFile = (int)sizeof(struct paced_file) + real_vfs->szOsFile;
	vfs.mxPathname = real_vfs->mxPathname;
	vfs.zName = PACED_NAME;
	vfs.pAppData = real_vfs;
	vfs.xOpen = paced_open;
	vfs.xDelete = paced_delete;
	vfs.xAccess = paced_access;
	vfs.xFullPathname = paced_full_pathname;
	vfs.xDlOpen = paced_dlopen;
	vfs.xDlError = paced_dlerror;
	vfs.xDlSym = paced_dlsym;
	vfs.xDlClose = paced_dlclose;
	vfs.xRandomness = paced_randomness;
	vfs.xSleep = paced_sleep;
	vfs.xCurrentTime = paced_current_time;
	vfs.xGetLastError = paced_last_error;
	vfs.xCurrentTimeInt64 = paced_current_time64;
	registered = sqlite3_vfs_register(&vfs, 0) == SQLITE_OK;
}

const char *
paced_vfs(void)
{
	if (pthread_once(&once, paced_register) != 0 || !registered)
		return NULL;
	return PACED_NAME;
}
