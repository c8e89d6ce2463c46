/* The store of record in PostgreSQL ([store] backend = postgresql).
 *
 * parleyd runs every query on a working copy, a SQLite store made from the
 * record when the daemon starts serving (store_open_copy).  Each batch
 * commit hands this module the batch's changes (SQLite's session
 * extension); they become SQL, and a thread of this module commits them
 * in PostgreSQL, in order, each transaction fenced by the lease: a daemon
 * that has lost it cannot commit.  The turn sends nothing a batch tells
 * of before PostgreSQL holds it (turn_set_record), and holds new requests
 * meanwhile (group commit: what comes in while one commit runs joins the
 * next).  The loop never waits on the network for a query.
 *
 * PostgreSQL's schema is the working copy's (the migrations of store.c),
 * with the types mapped (INTEGER: bigint, TEXT: text, BLOB: bytea) and the
 * primary keys kept; SQLite checks every other constraint before COMMIT.
 * The lease is one row: the serving daemon's epoch, its backend's pid, and
 * a time after which a standby may take over without it; a standby also
 * takes over as soon as that backend is gone (the daemon died). */
#ifndef PARLEY_PGREC_H
#define PARLEY_PGREC_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>

#include "store.h"

struct pgrec;

/* Connect to dsn and check that the server cannot lose an acknowledged
 * commit (fsync, synchronous_commit, full_page_writes): NULL with err
 * naming the setting otherwise.  Creates the lease row if missing.  name
 * identifies this daemon to the others (host and pid). */
struct pgrec *pgrec_open(const char *dsn, int lease_s, const char *name, char *err,
    size_t errlen);
void pgrec_free(struct pgrec *p);

/* Try to take the lease: 1 taken, 0 another daemon serves (named in
 * holder), -1 with err (the connection failed). */
int pgrec_take_lease(struct pgrec *p, char *holder, size_t hlen, char *err, size_t errlen);

/* With the lease: make the working copy at path from the record, migrate
 * both to this parleyd's schema, and open it.  -1 with err. */
int pgrec_load(struct pgrec *p, const char *path, struct store **out, char *err,
    size_t errlen);

/* Ship every later commit of st: progress(arg) runs on the loop when the
 * record holds more, failed(arg, why) once when it cannot commit any more
 * (the lease is lost, the server is gone): the daemon must stop serving. */
int pgrec_start(struct pgrec *p, struct event_base *base, struct store *st,
    void (*progress)(void *), void (*failed)(void *, const char *), void *arg);

/* The turn's view (turn_record): arg is the pgrec. */
uint64_t pgrec_submitted(void *arg);
uint64_t pgrec_durable(void *arg);
int pgrec_fresh(void *arg);
void pgrec_renew(void *arg);

/* What /status tells of the record. */
struct pgrec_state {
	int serving;		/* this daemon holds the lease */
	int64_t since;		/* Unix time it began to serve, or to wait */
	int64_t epoch;		/* the lease's epoch (each takeover adds one) */
	char holder[128];	/* who serves (this daemon or another) */
	char server[128];	/* host:port of the PostgreSQL server */
	char replication[512];	/* the standbys the server streams to, or "none" */
	char sync_names[256];	/* synchronous_standby_names */
	int64_t commits;	/* transactions committed in the record */
	int64_t last_commit_us;	/* the last one's round trip */
	int waiting;		/* a commit is running now */
	int64_t waiting_ms;	/* since how long */
};
void pgrec_state(struct pgrec *p, struct pgrec_state *out);
/* While standing by: read the replication state anew (on the loop). */
void pgrec_poll_state(struct pgrec *p);

#endif
