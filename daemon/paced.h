/* An SQLite VFS for the connection that runs WAL checkpoints: the default
 * VFS, except that a main database file is synced after every PACED_CHUNK
 * bytes written to it, not only once at the end of the checkpoint.  Every
 * other file is the default VFS's own.
 *
 * Why: a sync makes the disk persist everything written before it, by
 * anyone.  A checkpoint that copies a few megabytes into the database file
 * and syncs once holds the disk for a millisecond or more, and a commit
 * that syncs the WAL meanwhile (a release's, on the loop) waits for all of
 * it.  Synced in chunks, a commit waits for at most one chunk.  Syncing
 * more often never weakens durability: the WAL keeps every page until the
 * checkpoint is done. */
#ifndef PARLEY_PACED_H
#define PARLEY_PACED_H

/* Bytes a checkpoint writes to the database file between two syncs: on
 * this project's virtual disks, a sync of 256 KB takes about 0.2 ms, of
 * 2 MB 0.6 ms (bench/README.md). */
#define PACED_CHUNK (256 * 1024)

/* Register the VFS (once; it is never the default) and return its name
 * for sqlite3_open_v2, or NULL if SQLite has no default VFS to wrap or
 * the registration failed. */
const char *paced_vfs(void);

#endif
