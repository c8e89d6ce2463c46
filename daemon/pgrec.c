/* The session extension (Debian's libsqlite3 is built with it). */
#define SQLITE_ENABLE_SESSION 1
#define SQLITE_ENABLE_PREUPDATE_HOOK 1

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <libpq-fe.h>

#include "clock.h"
#include "log.h"
#include "pgrec.h"

#define MAX_TABLES	64
#define MAX_COLS	64

/* Tables of the record that are not the working copy's. */
#define T_SCHEMA	"parley_schema"
#define T_LEASE		"parley_lease"

enum coltype { C_INT, C_TEXT, C_BYTES };

struct table {
	char name[64];
	int ncol;
	char col[MAX_COLS][64];
	enum coltype type[MAX_COLS];
	int pk[MAX_COLS];	/* 1-based position in the primary key, 0: not in it */
	int pkcol[MAX_COLS];	/* the key's columns, in the key's order */
	int npk;
	sqlite3_stmt *row;	/* SELECT * ... WHERE pk = ?: the row as the copy has it */
};

struct batch {
	uint64_t seq;
	struct evbuffer *sql;	/* NULL: nothing to write (a lease proof) */
	struct batch *next;
};

struct pgrec {
	PGconn *conn;		/* the loop's until pgrec_start, then the thread's */
	PGcancel *cancel;	/* to end a commit stuck at stop */
	int sync_cancelled;	/* the thread's: a warning said the wait was cancelled */
	int lease_ms;
	char name[128];
	char dsn_host[128];
	int64_t epoch;
	struct table tables[MAX_TABLES];
	int ntables;
	sqlite3 *db;		/* the working copy (its rows check each change) */

	/* Loop side. */
	struct event *notify_ev;
	int notify[2];
	void (*progress)(void *);
	void (*failed)(void *, const char *);
	void *cb_arg;
	uint64_t submitted;	/* batches shipped */
	int failed_told;

	/* Shared, under mu. */
	pthread_t tid;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch *head, *tail;
	int stop;
	int exited;		/* the thread has returned */
	uint64_t durable;
	uint64_t fresh_until_ns;	/* monotonic */
	char failure[512];		/* "" while committing works */
	struct pgrec_state st;
	uint64_t commit_started_ns;	/* 0: none running */
};

/* SQL text being built: every append is checked once, at the end (an
 * append that ran out of memory must never leave a statement out). */
struct sqlbuf {
	struct evbuffer *b;
	int failed;
};

static void
sb_add(struct sqlbuf *s, const void *p, size_t n)
{
	if (!s->failed && evbuffer_add(s->b, p, n) != 0)
		s->failed = 1;
}

static void __attribute__((format(printf, 2, 3)))
sb_printf(struct sqlbuf *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!s->failed && evbuffer_add_vprintf(s->b, fmt, ap) < 0)
		s->failed = 1;
	va_end(ap);
}

/* Move what src holds to the end of dst. */
static void
sb_move(struct sqlbuf *dst, struct sqlbuf *src)
{
	if (src->failed || dst->failed || evbuffer_add_buffer(dst->b, src->b) != 0)
		dst->failed = 1;
}

/* The text, NUL-terminated; NULL if any append failed. */
static const char *
sb_text(struct sqlbuf *s)
{
	sb_add(s, "", 1);
	return s->failed ? NULL : (const char *)evbuffer_pullup(s->b, -1);
}

/* The first line of libpq's message, without its trailing newline. */
static void
pq_reason(PGconn *c, const PGresult *r, char *out, size_t len)
{
	const char *m = r != NULL ? PQresultErrorMessage(r) : "";

	if (m == NULL || *m == '\0')
		m = PQerrorMessage(c);
	snprintf(out, len, "%s", m && *m ? m : "unknown error");
	out[strcspn(out, "\n")] = '\0';
}

/* Run sql; 0 if it succeeded (rows or not), -1 with err. */
static int
pq_run(PGconn *c, const char *sql, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);
	int ok = r != NULL && (PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK);

	if (!ok)
		pq_reason(c, r, err, errlen);
	PQclear(r);
	return ok ? 0 : -1;
}

/* The first column of the first row of sql, into out ("" for NULL or no
 * row).  0, or -1 with err. */
static int
pq_value(PGconn *c, const char *sql, char *out, size_t outlen, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);

	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
		pq_reason(c, r, err, errlen);
		PQclear(r);
		return -1;
	}
	snprintf(out, outlen, "%s", PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ?
	    PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return 0;
}

static const char sql_setup[] =
    "CREATE TABLE IF NOT EXISTS " T_SCHEMA "(id integer PRIMARY KEY CHECK (id = 1),"
    "  version integer NOT NULL);"
    "CREATE TABLE IF NOT EXISTS " T_LEASE "(id integer PRIMARY KEY CHECK (id = 1),"
    "  epoch bigint NOT NULL, holder text NOT NULL, holder_pid integer NOT NULL,"
    "  holder_started timestamptz, since timestamptz, expires_at timestamptz NOT NULL);"
    "INSERT INTO " T_LEASE "(id, epoch, holder, holder_pid, expires_at)"
    "  VALUES (1, 0, '', 0, '-infinity') ON CONFLICT (id) DO NOTHING;"
    /* Every commit of the serving daemon begins with this: it fails, and
     * the transaction with it, unless this connection still holds the
     * lease it took (its epoch, not expired); it extends the lease. */
    /* The lease is lost only to a daemon that took it (a new epoch): a
     * holder whose commit waited past the expiry (a synchronous standby
     * gone a while) still holds it if nobody did.  The row stays locked
     * to the end of the transaction, so a takeover waits for it. */
    "CREATE OR REPLACE FUNCTION parley_fence(e bigint, ttl_ms integer) RETURNS void"
    "  LANGUAGE plpgsql AS $$ BEGIN"
    "  UPDATE " T_LEASE " SET expires_at = clock_timestamp() + ttl_ms * interval '1 ms'"
    "    WHERE id = 1 AND epoch = e AND holder_pid = pg_backend_pid();"
    "  IF NOT FOUND THEN"
    "    RAISE EXCEPTION 'parley: this daemon no longer holds the lease (epoch %)', e;"
    "  END IF; END $$;";

/* Settings under which PostgreSQL may lose a commit it acknowledged. */
static int
check_settings(PGconn *c, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		const char *ok[3];
		const char *why;
	} need[] = {
		{ "fsync", { "on" }, "a crash of the server's machine may lose commits" },
		{ "full_page_writes", { "on" },
		  "a crash mid-write may leave pages torn beyond repair" },
		{ "synchronous_commit", { "on", "remote_apply" },
		  "a commit is acknowledged before it is on disk (on the standby too)" },
	};
	char sql[128], v[64];

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		int good = 0;

		snprintf(sql, sizeof(sql), "SHOW %s", need[i].name);
		if (pq_value(c, sql, v, sizeof(v), err, errlen) != 0)
			return -1;
		for (size_t k = 0; k < 3 && need[i].ok[k] != NULL; k++)
			good |= strcmp(v, need[i].ok[k]) == 0;
		if (!good) {
			snprintf(err, errlen, "PostgreSQL has %s = %s: %s; parleyd needs %s = %s%s",
			    need[i].name, v, need[i].why, need[i].name, need[i].ok[0],
			    need[i].ok[1] ? " (or remote_apply)" : "");
			return -1;
		}
	}
	return 0;
}

/* A commit whose wait for the synchronous standby was cancelled (by an
 * administrator, or by parleyd's own stop) returns COMMIT with only a
 * warning: it is on this machine alone, and must not count as done. */
static void
on_notice(void *arg, const PGresult *r)
{
	struct pgrec *p = arg;
	const char *m = PQresultErrorMessage(r);

	if (m != NULL && strstr(m, "synchronous replication") != NULL)
		p->sync_cancelled = 1;
	if (m != NULL && *m != '\0')
		log_warnx("record: PostgreSQL says: %.*s", (int)strcspn(m, "\n"), m);
}

struct pgrec *
pgrec_open(const char *dsn, int lease_s, const char *name, char *err, size_t errlen)
{
	struct pgrec *p;
	char e[512], v[64];

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->notify[0] = p->notify[1] = -1;
	p->lease_ms = lease_s * 1000;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->st.since = time(NULL);
	if (pthread_mutex_init(&p->mu, NULL) != 0 || pthread_cond_init(&p->cv, NULL) != 0) {
		snprintf(err, errlen, "cannot create a lock");
		free(p);
		return NULL;
	}
	p->conn = PQconnectdb(dsn);
	if (p->conn == NULL || PQstatus(p->conn) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to PostgreSQL: %s",
		    p->conn ? PQerrorMessage(p->conn) : "out of memory");
		err[strcspn(err, "\n")] = '\0';
		pgrec_free(p);
		return NULL;
	}
	snprintf(p->st.server, sizeof(p->st.server), "%s:%s",
	    PQhost(p->conn) ? PQhost(p->conn) : "?", PQport(p->conn) ? PQport(p->conn) : "?");
	if (pq_run(p->conn, "SET client_min_messages = warning; "
	    "SET standard_conforming_strings = on; SET client_encoding = 'UTF8'; "
	    "SET TIME ZONE 'UTC'", e, sizeof(e)) != 0) {
		snprintf(err, errlen, "PostgreSQL at %s: %s", p->st.server, e);
		pgrec_free(p);
		return NULL;
	}
	if (check_settings(p->conn, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "refusing PostgreSQL at %s: %s", p->st.server, e);
		pgrec_free(p);
		return NULL;
	}
	/* This session's commits wait for the standby whatever a reload of
	 * the server's configuration says later (a session's SET wins). */
	if (pq_value(p->conn, "SHOW synchronous_commit", v, sizeof(v), e, sizeof(e)) != 0 ||
	    pq_run(p->conn, strcmp(v, "remote_apply") == 0 ?
	    "SET synchronous_commit = remote_apply" : "SET synchronous_commit = on", e,
	    sizeof(e)) != 0) {
		snprintf(err, errlen, "PostgreSQL at %s: %s", p->st.server, e);
		pgrec_free(p);
		return NULL;
	}
	PQsetNoticeReceiver(p->conn, on_notice, p);
	if ((p->cancel = PQgetCancel(p->conn)) == NULL) {
		snprintf(err, errlen, "PostgreSQL at %s: out of memory", p->st.server);
		pgrec_free(p);
		return NULL;
	}
	if (pq_run(p->conn, sql_setup, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "PostgreSQL at %s: cannot set up the lease: %s",
		    p->st.server, e);
		pgrec_free(p);
		return NULL;
	}
	pgrec_poll_state(p);
	return p;
}

void
pgrec_free(struct pgrec *p)
{
	struct batch *b;

	if (p == NULL)
		return;
	if (p->started) {
		struct timespec until;
		char e[256];
		int stuck;

		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_cond_signal(&p->cv);
		/* What is queued is committed if the server answers within 10
		 * s; a commit that waits longer (a synchronous standby gone) is
		 * cancelled: its replies were never sent, and a cancelled wait
		 * counts as a failure (on_notice). */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 10;
		while (!p->exited && pthread_cond_timedwait(&p->cv, &p->mu, &until) == 0)
			;
		stuck = !p->exited;
		pthread_mutex_unlock(&p->mu);
		if (stuck && p->cancel != NULL) {
			log_warnx("record: a commit still waits at stop; cancelling it");
			PQcancel(p->cancel, e, sizeof(e));
		}
		pthread_join(p->tid, NULL);
	}
	if (p->cancel != NULL)
		PQfreeCancel(p->cancel);
	for (int i = 0; i < p->ntables; i++)
		sqlite3_finalize(p->tables[i].row);
	while ((b = p->head) != NULL) {
		p->head = b->next;
		if (b->sql != NULL)
			evbuffer_free(b->sql);
		free(b);
	}
	if (p->notify_ev != NULL)
		event_free(p->notify_ev);
	if (p->notify[0] >= 0)
		close(p->notify[0]);
	if (p->notify[1] >= 0)
		close(p->notify[1]);
	PQfinish(p->conn);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

int
pgrec_take_lease(struct pgrec *p, char *holder, size_t hlen, char *err, size_t errlen)
{
	const char *params[2];
	char ttl[32];
	PGresult *r;
	int taken;

	snprintf(ttl, sizeof(ttl), "%d", p->lease_ms);
	params[0] = p->name;
	params[1] = ttl;
	/* Free when it expired, or when the backend of the daemon holding it
	 * is gone (that daemon died: its connection closed). */
	/* A row the serving daemon holds locked (a commit, perhaps waiting
	 * on its synchronous standby; making its working copy) is skipped:
	 * it is alive, and the loop of a standby never waits on it. */
	/* The row is locked only when it is free to take (never while the
	 * serving daemon lives and speaks: its fence must not wait on a
	 * standby), and never waited for. */
	r = PQexecParams(p->conn,
	    "WITH l AS (SELECT id FROM " T_LEASE " s WHERE id = 1 AND (NOT EXISTS"
	    "  (SELECT 1 FROM pg_stat_activity a WHERE a.pid = s.holder_pid"
	    "  AND a.backend_start IS NOT DISTINCT FROM s.holder_started)"
	    /* expired, and its backend idle for a lease: a commit that waited
	     * past the expiry (on a synchronous standby) is not a silence */
	    " OR (s.expires_at < clock_timestamp() AND EXISTS (SELECT 1 FROM pg_stat_activity a"
	    "  WHERE a.pid = s.holder_pid AND a.state = 'idle'"
	    "  AND a.state_change + $2::integer * interval '1 ms' < clock_timestamp())))"
	    "  FOR UPDATE SKIP LOCKED)"
	    " UPDATE " T_LEASE " SET epoch = epoch + 1, holder = $1, holder_pid = pg_backend_pid(),"
	    "  holder_started = (SELECT backend_start FROM pg_stat_activity"
	    "    WHERE pid = pg_backend_pid()),"
	    "  since = clock_timestamp(), expires_at = clock_timestamp() + $2::integer * interval '1 ms'"
	    " FROM l WHERE " T_LEASE ".id = l.id RETURNING epoch",
	    2, NULL, params, NULL, NULL, 0);
	if (r != NULL && PQresultStatus(r) == PGRES_FATAL_ERROR &&
	    strcmp(PQresultErrorField(r, PG_DIAG_SQLSTATE) ? PQresultErrorField(r,
	    PG_DIAG_SQLSTATE) : "", "55P03") == 0) {
		/* The serving daemon holds the row (a commit, or making its
		 * working copy): it is alive; ask again later. */
		PQclear(r);
		snprintf(holder, hlen, "%s", p->st.holder[0] ? p->st.holder : "another daemon");
		return 0;
	}
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
		pq_reason(p->conn, r, err, errlen);
		PQclear(r);
		return -1;
	}
	taken = PQntuples(r) == 1;
	if (taken) {
		p->epoch = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		snprintf(holder, hlen, "%s", p->name);
		pthread_mutex_lock(&p->mu);
		p->st.serving = 1;
		p->st.since = time(NULL);
		p->st.epoch = p->epoch;
		snprintf(p->st.holder, sizeof(p->st.holder), "%s", p->name);
		p->fresh_until_ns = clock_mono_ns() + (uint64_t)p->lease_ms * 1000000u / 2;
		pthread_mutex_unlock(&p->mu);
	}
	PQclear(r);
	if (!taken) {
		char who[128] = "", e[256];

		if (pq_value(p->conn, "SELECT holder || ' (epoch ' || epoch || ')' FROM " T_LEASE,
		    who, sizeof(who), e, sizeof(e)) != 0)
			snprintf(who, sizeof(who), "another daemon");
		snprintf(holder, hlen, "%s", who);
		pthread_mutex_lock(&p->mu);
		snprintf(p->st.holder, sizeof(p->st.holder), "%s", who);
		pthread_mutex_unlock(&p->mu);
	}
	return taken;
}

/* The replication state the server shows (pg_stat_replication needs the
 * pg_monitor role for its state columns). */
static void
read_replication(PGconn *c, char *rep, size_t replen, char *names, size_t nlen)
{
	char e[256];

	if (pq_value(c, "SELECT coalesce(string_agg(coalesce(application_name, '?') || ' ' ||"
	    " coalesce(state, '?') || ' ' || coalesce(sync_state, '?'), ', '"
	    " ORDER BY application_name), 'none') FROM pg_stat_replication",
	    rep, replen, e, sizeof(e)) != 0)
		snprintf(rep, replen, "unknown: %s", e);
	if (pq_value(c, "SHOW synchronous_standby_names", names, nlen, e, sizeof(e)) != 0)
		snprintf(names, nlen, "unknown");
}

void
pgrec_poll_state(struct pgrec *p)
{
	char rep[512], names[256];

	if (p->started)
		return;		/* the thread's connection: it reads them itself */
	read_replication(p->conn, rep, sizeof(rep), names, sizeof(names));
	pthread_mutex_lock(&p->mu);
	snprintf(p->st.replication, sizeof(p->st.replication), "%s", rep);
	snprintf(p->st.sync_names, sizeof(p->st.sync_names), "%s", names);
	pthread_mutex_unlock(&p->mu);
}

/* ---- the working copy's schema, and PostgreSQL's ---- */

static int
read_tables(struct pgrec *p, sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *tl = NULL, *ci = NULL;
	char sql[128];
	int rc = -1, step;

	p->ntables = 0;
	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' "
	    "AND name NOT LIKE 'sqlite_%' ORDER BY name", -1, &tl, NULL) != SQLITE_OK)
		goto sqlerr;
	while ((step = sqlite3_step(tl)) == SQLITE_ROW) {
		struct table *t;
		const char *name = (const char *)sqlite3_column_text(tl, 0);
		int haspk = 0;

		if (p->ntables == MAX_TABLES || strlen(name) >= sizeof(t->name)) {
			snprintf(err, errlen, "too many tables, or a long name (%s)", name);
			goto out;
		}
		t = &p->tables[p->ntables++];
		memset(t, 0, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "%s", name);
		snprintf(sql, sizeof(sql), "PRAGMA table_info(\"%s\")", name);
		if (sqlite3_prepare_v2(db, sql, -1, &ci, NULL) != SQLITE_OK)
			goto sqlerr;
		while ((step = sqlite3_step(ci)) == SQLITE_ROW) {
			const char *cn = (const char *)sqlite3_column_text(ci, 1);
			const char *ty = (const char *)sqlite3_column_text(ci, 2);

			if (t->ncol == MAX_COLS || strlen(cn) >= sizeof(t->col[0])) {
				snprintf(err, errlen, "table %s: too many columns", name);
				goto out;
			}
			snprintf(t->col[t->ncol], sizeof(t->col[0]), "%s", cn);
			t->type[t->ncol] = strstr(ty, "INT") ? C_INT : strstr(ty, "TEXT") ? C_TEXT :
			    C_BYTES;
			t->pk[t->ncol] = sqlite3_column_int(ci, 5);
			haspk |= t->pk[t->ncol] != 0;
			t->ncol++;
		}
		sqlite3_finalize(ci);
		ci = NULL;
		if (step != SQLITE_DONE)
			goto sqlerr;
		for (int k = 1; k <= t->ncol; k++)
			for (int i = 0; i < t->ncol; i++)
				if (t->pk[i] == k)
					t->pkcol[t->npk++] = i;
		if (!haspk) {
			snprintf(err, errlen, "table %s has no primary key: its changes could not "
			    "be named to the record", name);
			goto out;
		}
	}
	if (step != SQLITE_DONE)
		goto sqlerr;
	rc = 0;
	goto out;
sqlerr:
	snprintf(err, errlen, "reading the working copy's schema: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(tl);
	sqlite3_finalize(ci);
	return rc;
}

static struct table *
find_table(struct pgrec *p, const char *name)
{
	for (int i = 0; i < p->ntables; i++)
		if (strcmp(p->tables[i].name, name) == 0)
			return &p->tables[i];
	return NULL;
}

static const char *const pgtype[] = { "bigint", "text", "bytea" };

/* CREATE TABLE for t in PostgreSQL: the columns, typed, and the primary key. */
static void
create_sql(const struct table *t, struct sqlbuf *b)
{
	sb_printf(b, "CREATE TABLE \"%s\"(", t->name);
	for (int i = 0; i < t->ncol; i++)
		sb_printf(b, "\"%s\" %s, ", t->col[i], pgtype[t->type[i]]);
	sb_printf(b, "PRIMARY KEY(");
	for (int k = 0; k < t->npk; k++)
		sb_printf(b, "%s\"%s\"", k ? ", " : "", t->col[t->pkcol[k]]);
	sb_printf(b, "));\n");
}

/* ---- values as SQL literals ---- */

static int
valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		uint32_t cp;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + len > n)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

static void
add_bytea(struct sqlbuf *b, const unsigned char *v, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char chunk[512];
	size_t k = 0;

	sb_add(b, "'\\x", 3);
	for (size_t i = 0; i < n; i++) {
		chunk[k++] = hex[v[i] >> 4];
		chunk[k++] = hex[v[i] & 15];
		if (k == sizeof(chunk)) {
			sb_add(b, chunk, k);
			k = 0;
		}
	}
	sb_add(b, chunk, k);
	sb_add(b, "'::bytea", 8);
}

static void
add_text(struct sqlbuf *b, const char *v, size_t n)
{
	const char *q;

	sb_add(b, "'", 1);
	while (n > 0 && (q = memchr(v, '\'', n)) != NULL) {
		sb_add(b, v, (size_t)(q - v) + 1);
		sb_add(b, "'", 1);
		n -= (size_t)(q - v) + 1;
		v = q + 1;
	}
	sb_add(b, v, n);
	sb_add(b, "'", 1);
}

/* v as a literal for a column of type ty: 0, or -1 with err (a value the
 * record's column cannot hold as it is). */
static int
add_value(struct sqlbuf *b, sqlite3_value *v, enum coltype ty, const char *what,
    char *err, size_t errlen)
{
	const unsigned char *bytes;
	int n, vt = v != NULL ? sqlite3_value_type(v) : SQLITE_NULL;

	if (vt == SQLITE_NULL) {
		sb_add(b, "NULL", 4);
		return 0;
	}
	/* vt is read once, before the text is asked for: SQLite turns a
	 * value it cannot convert for lack of memory into a NULL. */
	switch (vt) {
	case SQLITE_INTEGER:
		if (ty == C_BYTES)
			break;
		sb_printf(b, ty == C_TEXT ? "'%lld'" : "%lld",
		    (long long)sqlite3_value_int64(v));
		return 0;
	case SQLITE_TEXT:
	case SQLITE_BLOB:
		bytes = vt == SQLITE_TEXT ? sqlite3_value_text(v) : sqlite3_value_blob(v);
		n = sqlite3_value_bytes(v);
		/* NULL for a text (or a blob of some length) is SQLite out of
		 * memory: never an empty value in the record. */
		if (bytes == NULL && (vt == SQLITE_TEXT || n > 0 ||
		    sqlite3_value_type(v) != vt)) {
			snprintf(err, errlen, "%s: out of memory reading the value", what);
			return -1;
		}
		if (ty == C_BYTES) {
			add_bytea(b, bytes, (size_t)n);
			return 0;
		}
		if (ty == C_TEXT && valid_utf8(bytes, (size_t)n)) {
			add_text(b, (const char *)bytes, (size_t)n);
			return 0;
		}
		break;
	default:
		break;
	}
	snprintf(err, errlen, "%s: a %s value for a %s column", what,
	    vt == SQLITE_INTEGER ? "number" : vt == SQLITE_TEXT ? "text (not UTF-8, or with NUL)" :
	    vt == SQLITE_BLOB ? "byte string (not UTF-8, or with NUL)" : "real", pgtype[ty]);
	return -1;
}

/* ---- a batch: the changes as SQL ---- */

/* The row the change names, read back from the working copy, must hold
 * the values the change gives it: what goes to the record is what the
 * copy has, whatever went wrong listing it (a cheap indexed read; the
 * record is the product).  0, or -1 with err. */
static int
check_row(struct pgrec *p, struct table *t, sqlite3_changeset_iter *it, int op,
    char *err, size_t errlen)
{
	sqlite3_value *v;
	char sql[4096];
	size_t off;
	int rc = -1, step;

	if (t->row == NULL) {
		off = (size_t)snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"", t->name);
		for (int k = 0; k < t->npk && off < sizeof(sql); k++)
			off += (size_t)snprintf(sql + off, sizeof(sql) - off, " %s \"%s\" = ?%d",
			    k ? "AND" : "WHERE", t->col[t->pkcol[k]], t->pkcol[k] + 1);
		if (off >= sizeof(sql) || sqlite3_prepare_v3(p->db, sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &t->row, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s: cannot read its rows back", t->name);
			t->row = NULL;
			return -1;
		}
	}
	for (int i = 0; i < t->ncol; i++) {
		if (!t->pk[i])
			continue;
		if ((op == SQLITE_INSERT ? sqlite3changeset_new(it, i, &v) :
		    sqlite3changeset_old(it, i, &v)) != SQLITE_OK || v == NULL ||
		    sqlite3_bind_value(t->row, i + 1, v) != SQLITE_OK) {
			snprintf(err, errlen, "%s: a change without its key", t->name);
			goto out;
		}
	}
	step = sqlite3_step(t->row);
	if (step != SQLITE_ROW) {
		snprintf(err, errlen, "%s: a changed row the copy does not have (%s)", t->name,
		    step == SQLITE_DONE ? "gone" : sqlite3_errmsg(p->db));
		goto out;
	}
	for (int i = 0; i < t->ncol; i++) {
		sqlite3_value *c = sqlite3_column_value(t->row, i);
		const void *a, *b;
		int na, nb;

		if (sqlite3changeset_new(it, i, &v) != SQLITE_OK || v == NULL)
			continue;	/* unchanged by an UPDATE */
		if (sqlite3_value_type(v) != sqlite3_value_type(c))
			goto differ;
		if (sqlite3_value_type(v) == SQLITE_INTEGER) {
			if (sqlite3_value_int64(v) != sqlite3_value_int64(c))
				goto differ;
			continue;
		}
		if (sqlite3_value_type(v) == SQLITE_NULL)
			continue;
		a = sqlite3_value_blob(v);
		na = sqlite3_value_bytes(v);
		b = sqlite3_value_blob(c);
		nb = sqlite3_value_bytes(c);
		if (na != nb || (na > 0 && (a == NULL || b == NULL || memcmp(a, b, (size_t)na) != 0)))
			goto differ;
		continue;
differ:
		snprintf(err, errlen, "%s.%s: the change does not hold what the copy has (out of "
		    "memory?)", t->name, t->col[i]);
		goto out;
	}
	rc = 0;
out:
	sqlite3_reset(t->row);
	sqlite3_clear_bindings(t->row);
	return rc;
}

static int
change_sql(struct pgrec *p, sqlite3_changeset_iter *it, struct sqlbuf *out,
    char *err, size_t errlen)
{
	struct table *t;
	const char *tab;
	unsigned char *pkf;
	sqlite3_value *v;
	struct sqlbuf sb = { NULL, 0 }, *b = &sb;
	char what[160];
	int ncol, op, ind, npk, first = 1, rc = -1;

	if (sqlite3changeset_op(it, &tab, &ncol, &op, &ind) != SQLITE_OK ||
	    sqlite3changeset_pk(it, &pkf, &npk) != SQLITE_OK) {
		snprintf(err, errlen, "an unreadable change");
		return -1;
	}
	if ((t = find_table(p, tab)) == NULL || t->ncol != ncol) {
		snprintf(err, errlen, "a change to table %s, unknown to the record", tab);
		return -1;
	}
	if (op != SQLITE_DELETE && check_row(p, t, it, op, err, errlen) != 0)
		return -1;
	if ((sb.b = evbuffer_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	switch (op) {
	case SQLITE_INSERT:
		sb_printf(b, "INSERT INTO \"%s\" VALUES(", tab);
		for (int i = 0; i < ncol; i++) {
			snprintf(what, sizeof(what), "%s.%s", tab, t->col[i]);
			if (i > 0)
				sb_add(b, ", ", 2);
			if (sqlite3changeset_new(it, i, &v) != SQLITE_OK ||
			    add_value(b, v, t->type[i], what, err, errlen) != 0)
				goto out;
		}
		sb_add(b, ");\n", 3);
		goto done;
	case SQLITE_UPDATE:
		sb_printf(b, "UPDATE \"%s\" SET ", tab);
		for (int i = 0; i < ncol; i++) {
			if (sqlite3changeset_new(it, i, &v) != SQLITE_OK || v == NULL)
				continue;	/* unchanged */
			snprintf(what, sizeof(what), "%s.%s", tab, t->col[i]);
			sb_printf(b, "%s\"%s\" = ", first ? "" : ", ", t->col[i]);
			first = 0;
			if (add_value(b, v, t->type[i], what, err, errlen) != 0)
				goto out;
		}
		if (first) {
			rc = 0;		/* nothing changed after all */
			goto out;
		}
		break;
	case SQLITE_DELETE:
		sb_printf(b, "DELETE FROM \"%s\"", tab);
		break;
	default:
		snprintf(err, errlen, "an unknown change to %s", tab);
		goto out;
	}
	/* UPDATE and DELETE name the row by its primary key (old values). */
	first = 1;
	for (int i = 0; i < ncol; i++) {
		if (i >= npk || !pkf[i])
			continue;
		snprintf(what, sizeof(what), "%s.%s", tab, t->col[i]);
		sb_printf(b, " %s \"%s\" = ", first ? "WHERE" : "AND", t->col[i]);
		first = 0;
		if (sqlite3changeset_old(it, i, &v) != SQLITE_OK ||
		    add_value(b, v, t->type[i], what, err, errlen) != 0)
			goto out;
	}
	sb_add(b, ";\n", 2);
done:
	sb_move(out, b);
	rc = 0;
out:
	evbuffer_free(sb.b);
	return rc;
}

static void *
sink_prepare(void *arg, const void *changes, int len, char *err, size_t errlen)
{
	struct pgrec *p = arg;
	sqlite3_changeset_iter *it = NULL;
	struct batch *b;
	struct sqlbuf sb;
	int rc;

	if ((b = calloc(1, sizeof(*b))) == NULL || (b->sql = evbuffer_new()) == NULL) {
		free(b);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sb.b = b->sql;
	sb.failed = 0;
	if (len > 0) {
		if (sqlite3changeset_start(&it, len, (void *)(uintptr_t)changes) != SQLITE_OK) {
			snprintf(err, errlen, "cannot read the changes");
			goto fail;
		}
		while ((rc = sqlite3changeset_next(it)) == SQLITE_ROW)
			if (change_sql(p, it, &sb, err, errlen) != 0)
				goto fail;
		if (sqlite3changeset_finalize(it) != SQLITE_OK || rc != SQLITE_DONE) {
			it = NULL;
			snprintf(err, errlen, "cannot read the changes");
			goto fail;
		}
		it = NULL;
	}
	if (sb.failed) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (evbuffer_get_length(b->sql) == 0) {
		evbuffer_free(b->sql);
		b->sql = NULL;
	}
	return b;
fail:
	if (it != NULL)
		sqlite3changeset_finalize(it);
	evbuffer_free(b->sql);
	free(b);
	return NULL;
}

static void
enqueue(struct pgrec *p, struct batch *b)
{
	b->seq = ++p->submitted;
	pthread_mutex_lock(&p->mu);
	if (p->tail != NULL)
		p->tail->next = b;
	else
		p->head = b;
	p->tail = b;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void
sink_ship(void *arg, void *prepared)
{
	struct pgrec *p = arg;
	struct batch *b = prepared;

	/* A turn that changed nothing needs no transaction of its own: what
	 * it answers waits for the batches before it. */
	if (b->sql == NULL) {
		free(b);
		return;
	}
	enqueue(p, b);
}

static void
sink_drop(void *arg, void *prepared)
{
	struct batch *b = prepared;

	(void)arg;
	if (b->sql != NULL)
		evbuffer_free(b->sql);
	free(b);
}

/* ---- the commit thread ---- */

static void
tell_loop(struct pgrec *p)
{
	char c = 1;
	ssize_t n;

	do
		n = write(p->notify[1], &c, 1);
	while (n == -1 && errno == EINTR);
	/* EAGAIN: the loop has a byte to read already. */
}

/* One transaction: the fence, then the batches' statements.  0, or -1
 * with err. */
static int
commit_batches(struct pgrec *p, struct batch *list, char *err, size_t errlen)
{
	struct sqlbuf q = { evbuffer_new(), 0 };
	const char *text;
	PGresult *r;
	int ok;

	if (q.b == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sb_printf(&q, "BEGIN; SELECT parley_fence(%lld, %d);\n", (long long)p->epoch,
	    p->lease_ms);
	for (struct batch *b = list; b != NULL; b = b->next)
		if (b->sql != NULL && !q.failed && evbuffer_add_buffer(q.b, b->sql) != 0)
			q.failed = 1;
	sb_add(&q, "COMMIT;", 7);
	if ((text = sb_text(&q)) == NULL) {
		snprintf(err, errlen, "out of memory");
		evbuffer_free(q.b);
		return -1;
	}
	p->sync_cancelled = 0;
	r = PQexec(p->conn, text);
	ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK &&
	    strcmp(PQcmdStatus(r), "COMMIT") == 0 && !p->sync_cancelled;
	if (!ok && p->sync_cancelled) {
		snprintf(err, errlen, "the commit's wait for the synchronous standby was "
		    "cancelled: it may be on one machine only");
	} else if (!ok) {
		if (r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK)
			snprintf(err, errlen, "the transaction was rolled back (%s)",
			    PQcmdStatus(r));
		else
			pq_reason(p->conn, r, err, errlen);
	}
	PQclear(r);
	evbuffer_free(q.b);
	return ok ? 0 : -1;
}

/* The server closed the connection, or sent what says so. */
static int
connection_gone(struct pgrec *p)
{
	struct pollfd pfd = { .fd = PQsocket(p->conn), .events = POLLIN };

	if (pfd.fd < 0)
		return 1;
	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	return !PQconsumeInput(p->conn) || PQstatus(p->conn) != CONNECTION_OK;
}

static void *
commit_main(void *arg)
{
	struct pgrec *p = arg;
	struct batch *list, *b;
	uint64_t last, t0, renew_ns = (uint64_t)p->lease_ms * 1000000u / 3;
	char err[512], rep[512], names[256];
	struct timespec until;
	int rc, idle;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		uint64_t renew_at = clock_mono_ns() + renew_ns;

		/* Idle: every 100 ms, look whether the server closed the
		 * connection (a backend terminated, a server restarted): a
		 * standby takes over at once then, so this daemon must stop
		 * answering at once too. */
		rc = 0;
		while (p->head == NULL && !p->stop && clock_mono_ns() < renew_at) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 100000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			rc = pthread_cond_timedwait(&p->cv, &p->mu, &until);
			if (rc == ETIMEDOUT && p->head == NULL && !p->stop && connection_gone(p))
				break;
		}
		if (p->stop && p->head == NULL)
			break;
		/* Every batch queued so far goes in one transaction. */
		list = p->head;
		p->head = p->tail = NULL;
		last = 0;
		for (b = list; b != NULL; b = b->next)
			last = b->seq;
		t0 = clock_mono_ns();
		p->commit_started_ns = t0;
		pthread_mutex_unlock(&p->mu);

		idle = list == NULL;
		rc = commit_batches(p, list, err, sizeof(err));
		/* An idle renewal also reads the replication state, and checks
		 * the server's settings again (a reload may have changed them). */
		if (idle && rc == 0) {
			read_replication(p->conn, rep, sizeof(rep), names, sizeof(names));
			if (check_settings(p->conn, err, sizeof(err)) != 0)
				rc = -1;
		}
		while ((b = list) != NULL) {
			list = b->next;
			if (b->sql != NULL)
				evbuffer_free(b->sql);
			free(b);
		}

		pthread_mutex_lock(&p->mu);
		p->commit_started_ns = 0;
		if (rc != 0) {
			snprintf(p->failure, sizeof(p->failure), "%s", err);
			p->st.serving = 0;
			p->exited = 1;
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
			tell_loop(p);
			return NULL;
		}
		if (last > 0)
			p->durable = last;
		p->fresh_until_ns = t0 + (uint64_t)p->lease_ms * 1000000u / 2;
		p->st.commits++;
		p->st.last_commit_us = (int64_t)((clock_mono_ns() - t0) / 1000u);
		if (idle) {
			snprintf(p->st.replication, sizeof(p->st.replication), "%s", rep);
			snprintf(p->st.sync_names, sizeof(p->st.sync_names), "%s", names);
		}
		if (last > 0) {
			pthread_mutex_unlock(&p->mu);
			tell_loop(p);
			pthread_mutex_lock(&p->mu);
		}
	}
	p->exited = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void
notified(evutil_socket_t fd, short what, void *arg)
{
	struct pgrec *p = arg;
	char buf[64], why[512];

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&p->mu);
	snprintf(why, sizeof(why), "%s", p->failure);
	pthread_mutex_unlock(&p->mu);
	if (why[0] != '\0') {
		if (!p->failed_told) {
			p->failed_told = 1;
			p->failed(p->cb_arg, why);
		}
		return;
	}
	p->progress(p->cb_arg);
}

static int
sink_settled(void *arg)
{
	return pgrec_durable(arg) >= pgrec_submitted(arg);
}

int
pgrec_start(struct pgrec *p, struct event_base *base, struct store *st,
    void (*progress)(void *), void (*failed)(void *, const char *), void *arg)
{
	struct store_sink sink = { sink_prepare, sink_ship, sink_drop, sink_settled, p };
	char err[512];

	if (read_tables(p, store_db(st), err, sizeof(err)) != 0) {
		log_warnx("record: %s", err);
		return -1;
	}
	p->db = store_db(st);
	p->progress = progress;
	p->failed = failed;
	p->cb_arg = arg;
	if (pipe2(p->notify, O_CLOEXEC | O_NONBLOCK) != 0 ||
	    (p->notify_ev = event_new(base, p->notify[0], EV_READ | EV_PERSIST, notified,
	    p)) == NULL || event_add(p->notify_ev, NULL) != 0)
		return -1;
	if (store_set_sink(st, &sink) != 0)
		return -1;
	if (pthread_create(&p->tid, NULL, commit_main, p) != 0)
		return -1;
	p->started = 1;
	return 0;
}

uint64_t
pgrec_submitted(void *arg)
{
	return ((struct pgrec *)arg)->submitted;
}

uint64_t
pgrec_durable(void *arg)
{
	struct pgrec *p = arg;
	uint64_t d;

	pthread_mutex_lock(&p->mu);
	d = p->durable;
	pthread_mutex_unlock(&p->mu);
	return d;
}

int
pgrec_fresh(void *arg)
{
	struct pgrec *p = arg;
	int fresh;

	pthread_mutex_lock(&p->mu);
	fresh = clock_mono_ns() < p->fresh_until_ns && p->failure[0] == '\0';
	pthread_mutex_unlock(&p->mu);
	return fresh;
}

void
pgrec_renew(void *arg)
{
	struct pgrec *p = arg;
	struct batch *b = calloc(1, sizeof(*b));

	if (b == NULL) {
		log_warnx("record: out of memory proving the lease");
		return;
	}
	enqueue(p, b);	/* an empty transaction: the fence alone */
}

void
pgrec_state(struct pgrec *p, struct pgrec_state *out)
{
	uint64_t now = clock_mono_ns();

	pthread_mutex_lock(&p->mu);
	*out = p->st;
	out->waiting = p->commit_started_ns != 0;
	out->waiting_ms = out->waiting ? (int64_t)((now - p->commit_started_ns) / 1000000u) : 0;
	pthread_mutex_unlock(&p->mu);
}

/* ---- loading the working copy, and writing the record whole ---- */

/* Copy every row of the record's table t into the working copy. */
static int
load_table(struct pgrec *p, sqlite3 *db, const struct table *t, char *err, size_t errlen)
{
	struct sqlbuf q = { evbuffer_new(), 0 }, ins = { evbuffer_new(), 0 };
	const char *qtext, *itext;
	sqlite3_stmt *st = NULL;
	PGresult *r = NULL;
	int rc = -1;

	if (q.b == NULL || ins.b == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	sb_printf(&q, "SELECT ");
	sb_printf(&ins, "INSERT INTO \"%s\" VALUES(", t->name);
	for (int i = 0; i < t->ncol; i++) {
		sb_printf(&q, "%s\"%s\"", i ? ", " : "", t->col[i]);
		sb_printf(&ins, "%s?", i ? ", " : "");
	}
	/* In the order of the primary key: rows come back into the copy in
	 * the order they were made (keys grow), as a scan would read them. */
	sb_printf(&q, " FROM \"%s\" ORDER BY ", t->name);
	for (int k = 0; k < t->npk; k++)
		sb_printf(&q, "%s\"%s\"", k ? ", " : "", t->col[t->pkcol[k]]);
	sb_add(&ins, ")", 1);
	if ((qtext = sb_text(&q)) == NULL || (itext = sb_text(&ins)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (sqlite3_prepare_v2(db, itext, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", t->name, sqlite3_errmsg(db));
		goto out;
	}
	/* A row at a time: a big record is never whole in memory. */
	if (!PQsendQueryParams(p->conn, qtext, 0, NULL, NULL,
	    NULL, NULL, 0) || !PQsetSingleRowMode(p->conn)) {
		pq_reason(p->conn, NULL, err, errlen);
		goto out;
	}
	while ((r = PQgetResult(p->conn)) != NULL) {
		ExecStatusType s = PQresultStatus(r);

		if (s == PGRES_SINGLE_TUPLE) {
			for (int i = 0; i < t->ncol; i++) {
				const char *v = PQgetvalue(r, 0, i);

				if (PQgetisnull(r, 0, i)) {
					sqlite3_bind_null(st, i + 1);
				} else if (t->type[i] == C_INT) {
					sqlite3_bind_int64(st, i + 1, strtoll(v, NULL, 10));
				} else if (t->type[i] == C_TEXT) {
					sqlite3_bind_text(st, i + 1, v, PQgetlength(r, 0, i),
					    SQLITE_TRANSIENT);
				} else {
					size_t n;
					unsigned char *bin = PQunescapeBytea((const unsigned char *)v,
					    &n);
					if (bin == NULL) {
						snprintf(err, errlen, "out of memory");
						goto drain;
					}
					sqlite3_bind_blob(st, i + 1, bin, (int)n, SQLITE_TRANSIENT);
					PQfreemem(bin);
				}
			}
			if (sqlite3_step(st) != SQLITE_DONE) {
				snprintf(err, errlen, "%s: %s", t->name, sqlite3_errmsg(db));
				sqlite3_reset(st);
				goto drain;
			}
			sqlite3_reset(st);
		} else if (s != PGRES_TUPLES_OK) {
			pq_reason(p->conn, r, err, errlen);
			goto drain;
		}
		PQclear(r);
	}
	rc = 0;
	goto out;
drain:
	PQclear(r);
	while ((r = PQgetResult(p->conn)) != NULL)
		PQclear(r);
	r = NULL;
out:
	sqlite3_finalize(st);
	if (q.b != NULL)
		evbuffer_free(q.b);
	if (ins.b != NULL)
		evbuffer_free(ins.b);
	return rc;
}

/* The INSERTs that write the working copy's table t whole, 500 rows a
 * statement. */
static int
dump_table(sqlite3 *db, const struct table *t, struct sqlbuf *b, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char sql[128], what[160];
	int step, n = 0;

	snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"", t->name);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", t->name, sqlite3_errmsg(db));
		return -1;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		sb_printf(b, n % 500 == 0 ? "%sINSERT INTO \"%s\" VALUES(" : ",\n(",
		    n > 0 ? ";\n" : "", t->name);
		for (int i = 0; i < t->ncol; i++) {
			snprintf(what, sizeof(what), "%s.%s", t->name, t->col[i]);
			if (i > 0)
				sb_add(b, ", ", 2);
			if (add_value(b, sqlite3_column_value(st, i), t->type[i], what, err,
			    errlen) != 0) {
				sqlite3_finalize(st);
				return -1;
			}
		}
		sb_add(b, ")", 1);
		n++;
	}
	if (n > 0)
		sb_add(b, ";\n", 2);
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", t->name, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

/* Replace the record's tables by the working copy's, whole, at schema
 * version: in one transaction fenced by the lease (a migration, or the
 * first start on an empty database). */
static int
write_whole(struct pgrec *p, sqlite3 *db, int version, char *err, size_t errlen)
{
	struct sqlbuf sb = { evbuffer_new(), 0 }, *b = &sb;
	const char *text;
	PGresult *r;
	int rc = -1;

	if (sb.b == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sb_printf(b, "BEGIN; SELECT parley_fence(%lld, %d);\n", (long long)p->epoch,
	    p->lease_ms);
	/* The tables of an older schema go first. */
	r = PQexec(p->conn, "SELECT string_agg(format('DROP TABLE %I;', tablename), ' ') "
	    "FROM pg_tables WHERE schemaname = current_schema() AND tablename NOT IN ('"
	    T_SCHEMA "', '" T_LEASE "')");
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
		pq_reason(p->conn, r, err, errlen);
		PQclear(r);
		goto out;
	}
	if (!PQgetisnull(r, 0, 0))
		sb_printf(b, "%s\n", PQgetvalue(r, 0, 0));
	PQclear(r);
	for (int i = 0; i < p->ntables; i++) {
		create_sql(&p->tables[i], b);
		if (dump_table(db, &p->tables[i], b, err, errlen) != 0)
			goto out;
	}
	sb_printf(b, "INSERT INTO " T_SCHEMA "(id, version) VALUES(1, %d) "
	    "ON CONFLICT (id) DO UPDATE SET version = excluded.version;\nCOMMIT;", version);
	if ((text = sb_text(b)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r = PQexec(p->conn, text);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK ||
	    strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		pq_reason(p->conn, r, err, errlen);
		PQclear(r);
		PQclear(PQexec(p->conn, "ROLLBACK"));
		goto out;
	}
	PQclear(r);
	rc = 0;
out:
	evbuffer_free(sb.b);
	return rc;
}

int
pgrec_load(struct pgrec *p, const char *path, struct store **out, char *err, size_t errlen)
{
	struct store *st = NULL;
	sqlite3 *db;
	char v[32], e[512] = "", sql[160];
	int version, rc;

	if (pq_value(p->conn, "SELECT version FROM " T_SCHEMA, v, sizeof(v), e, sizeof(e)) != 0) {
		snprintf(err, errlen, "reading the record's schema version: %s", e);
		return -1;
	}
	version = v[0] ? atoi(v) : 0;
	if (version > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "the record's schema version %d is newer than this "
		    "parleyd (%d); refusing to touch it", version, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (store_open_copy(path, version, &st, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "%s", e);
		return -1;
	}
	db = store_db(st);
	if (read_tables(p, db, e, sizeof(e)) != 0)
		goto fail;
	/* A repeatable-read snapshot: every table as of one moment.  The
	 * fence locks the lease row for the whole load (a standby waits),
	 * and the lease is extended from its end: a big record takes longer
	 * to load than a lease lasts. */
	snprintf(sql, sizeof(sql), "BEGIN ISOLATION LEVEL REPEATABLE READ; "
	    "SELECT parley_fence(%lld, %d)", (long long)p->epoch, p->lease_ms);
	if (pq_run(p->conn, sql, e, sizeof(e)) != 0)
		goto fail;
	rc = sqlite3_exec(db, "PRAGMA foreign_keys=OFF; BEGIN", NULL, NULL, NULL);
	for (int i = 0; rc == SQLITE_OK && version > 0 && i < p->ntables; i++)
		if (load_table(p, db, &p->tables[i], e, sizeof(e)) != 0)
			rc = SQLITE_ERROR;
	snprintf(sql, sizeof(sql), "SELECT parley_fence(%lld, %d)", (long long)p->epoch,
	    p->lease_ms);
	if (rc == SQLITE_OK && (pq_run(p->conn, sql, e, sizeof(e)) != 0 ||
	    pq_run(p->conn, "COMMIT", e, sizeof(e)) != 0))
		rc = SQLITE_ERROR;
	if (rc != SQLITE_OK)
		PQclear(PQexec(p->conn, "ROLLBACK"));
	if (rc != SQLITE_OK) {
		if (e[0] == '\0')
			snprintf(e, sizeof(e), "%s", sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	if (sqlite3_exec(db, "COMMIT; PRAGMA foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(e, sizeof(e), "%s", sqlite3_errmsg(db));
		goto fail;
	}
	if (version < STORE_SCHEMA_VERSION) {
		if (store_migrate(st, e, sizeof(e)) != 0 || read_tables(p, db, e, sizeof(e)) != 0 ||
		    write_whole(p, db, STORE_SCHEMA_VERSION, e, sizeof(e)) != 0)
			goto fail;
		log_info("record: schema version %d written to PostgreSQL (was %d)",
		    STORE_SCHEMA_VERSION, version);
	}
	*out = st;
	return 0;
fail:
	snprintf(err, errlen, "making the working copy %s from the record: %s", path, e);
	store_close(st);
	return -1;
}
