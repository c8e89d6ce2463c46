/* An SQLite VFS for the store's connections, all synchronous=FULL (or, the
 * checkpoint thread's, never writing the WAL): the default VFS, except that
 *
 * - a main database file is synced after every PACED_CHUNK bytes written
 *   to it, not only once at the end of a checkpoint.  A sync makes the
 *   disk persist everything written before it, by anyone: a checkpoint
 *   that copies a few megabytes into the database file and syncs once
 *   holds the disk for a millisecond or more, and a commit that syncs the
 *   WAL meanwhile (a release's, on the loop) waits for all of it.  Synced
 *   in chunks, a commit waits for at most one chunk.  Syncing more often
 *   never weakens durability: the WAL keeps every page until the
 *   checkpoint is done.
 *
 * - a WAL's writes are gathered while its connection holds the WAL's
 *   write lock (not in exclusive locking mode, where SQLite does not say
 *   when it does), and written together, at most PACED_WAL_GATHER bytes
 *   at a time, at the commit's sync, before anything else touches the
 *   file, and before the lock is released: SQLite writes each frame in
 *   two calls, its header and its page, so a release's commit of 43 pages
 *   was 86 writes.  With synchronous=FULL the sync comes after every byte
 *   of the commit and before SQLite publishes it, and a failed write fails
 *   the commit.  With less, the frames are written at the barrier SQLite
 *   calls before publishing them, but a failure there cannot stop the
 *   publication: a connection that writes through this VFS must be FULL.
 *
 * Every other file (a journal, a temporary file) is the default VFS's own. */
#ifndef PARLEY_PACED_H
#define PARLEY_PACED_H

/* The unix VFS takes at most 128 KB - 1 in one write (os_unix.c,
 * seekAndWriteFd). */
#define PACED_WAL_GATHER (120 * 1024)

/* Bytes a checkpoint writes to the database file between two syncs: on
 * this project's virtual disks, a sync of 256 KB takes about 0.2 ms, of
 * 2 MB 0.6 ms (bench/README.md). */
#define PACED_CHUNK (256 * 1024)

/* Register the VFS (once; it is never the default) and return its name
 * for sqlite3_open_v2, or NULL if SQLite has no default VFS to wrap or
 * the registration failed. */
const char *paced_vfs(void);

#endif
