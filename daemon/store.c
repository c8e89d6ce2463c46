/* The session extension (Debian's libsqlite3 is built with it). */
#define SQLITE_ENABLE_SESSION 1
#define SQLITE_ENABLE_PREUPDATE_HOOK 1

#include <pthread.h>
#include <unistd.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "paced.h"
#include "store.h"

struct cached_stmt {
	const char *sql;
	sqlite3_stmt *stmt;
};

/* WAL checkpoints run on a thread of their own, on a connection of their
 * own, so that copying pages into the database file and syncing it never
 * stalls the loop (SQLite's automatic checkpoint runs inside the COMMIT
 * that crosses the threshold: a latency spike for whoever waits on that
 * commit).  The loop's connection only says when the WAL has grown.  The
 * checkpoint's connection syncs the database file in chunks (paced.h), so
 * that a commit on the loop never waits for a whole checkpoint's sync. */
#define CHECKPOINT_PAGES 1000

struct checkpointer {
	sqlite3 *db;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started;
	int want, stop;		/* under mu */
	uint64_t runs;		/* under mu */
};

struct store {
	sqlite3 *db;
	int in_batch;
	uint64_t batches;	/* batches begun: the open one's number */
	int committing;		/* our own COMMIT of the batch is running */
	int savepoint_depth;
	int endpoints_changed;	/* the open batch wrote endpoint rows */
	int64_t last_commit_us;
	struct cached_stmt *cache;
	size_t ncache, capcache;
	struct checkpointer ck;
	int cache_mode;		/* a working copy: the record is elsewhere */
	struct store_sink sink;	/* sink.prepare NULL: none */
	sqlite3_session *sess;	/* the changes since the last commit */
};

static void *
checkpointer_main(void *arg)
{
	struct checkpointer *ck = arg;
	int rc, nlog, nckpt;

	pthread_mutex_lock(&ck->mu);
	for (;;) {
		while (!ck->want && !ck->stop)
			pthread_cond_wait(&ck->cv, &ck->mu);
		if (ck->stop)
			break;
		ck->want = 0;
		pthread_mutex_unlock(&ck->mu);
		/* PASSIVE: never waits for the loop's transaction; what it
		 * cannot copy now is copied next time.  It also leaves the
		 * loop's PRAGMA data_version alone (a TRUNCATE would not), by
		 * which the journal tells another program's writes: see struct
		 * vtree in journal.c. */
		rc = sqlite3_wal_checkpoint_v2(ck->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog,
		    &nckpt);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_warnx("store: WAL checkpoint: %s", sqlite3_errmsg(ck->db));
		pthread_mutex_lock(&ck->mu);
		ck->runs++;
	}
	pthread_mutex_unlock(&ck->mu);
	return NULL;
}

/* After each commit on the loop's connection (SQLite's WAL hook). */
static int
wal_grown(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct checkpointer *ck = arg;

	(void)db;
	(void)name;
	if (pages >= CHECKPOINT_PAGES) {
		pthread_mutex_lock(&ck->mu);
		ck->want = 1;
		pthread_cond_signal(&ck->cv);
		pthread_mutex_unlock(&ck->mu);
	}
	return SQLITE_OK;
}

/* Without the thread SQLite's own automatic checkpoint stays on.  A
 * working copy (cache) is never trusted across a restart: its checkpoints
 * sync nothing, as its commits do not. */
static void
checkpointer_start(struct store *s, const char *path, int cache)
{
	struct checkpointer *ck = &s->ck;
	const char *vfs = cache ? NULL : paced_vfs();

	if (!cache && vfs == NULL)
		log_warnx("store: checkpoints sync the database file once each, not in "
		    "chunks: no VFS to pace them");
	/* A connection reads the file only when first used: until then it
	 * does not know it is in WAL mode and would checkpoint nothing. */
	if (sqlite3_open_v2(path, &ck->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	    vfs) != SQLITE_OK ||
	    (cache && sqlite3_exec(ck->db, "PRAGMA synchronous=OFF", NULL, NULL, NULL) !=
	    SQLITE_OK) ||
	    sqlite3_exec(ck->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) !=
	    SQLITE_OK)
		goto fail;
	if (pthread_mutex_init(&ck->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&ck->cv, NULL) != 0) {
		pthread_mutex_destroy(&ck->mu);
		goto fail;
	}
	if (pthread_create(&ck->tid, NULL, checkpointer_main, ck) != 0) {
		pthread_cond_destroy(&ck->cv);
		pthread_mutex_destroy(&ck->mu);
		goto fail;
	}
	ck->started = 1;
	sqlite3_wal_hook(s->db, wal_grown, ck);	/* replaces the automatic one */
	return;
fail:
	log_warnx("store: no checkpoint thread; checkpoints run at commit");
	sqlite3_close(ck->db);
	ck->db = NULL;
}

static void
checkpointer_stop(struct store *s)
{
	struct checkpointer *ck = &s->ck;

	if (ck->started) {
		sqlite3_wal_hook(s->db, NULL, NULL);
		pthread_mutex_lock(&ck->mu);
		ck->stop = 1;
		pthread_cond_signal(&ck->cv);
		pthread_mutex_unlock(&ck->mu);
		pthread_join(ck->tid, NULL);
		pthread_cond_destroy(&ck->cv);
		pthread_mutex_destroy(&ck->mu);
		ck->started = 0;
	}
	/* The loop's connection closes last: it checkpoints and removes the WAL. */
	sqlite3_close(ck->db);
	ck->db = NULL;
}

/* Migration i takes user_version i to i+1.  Never edit a shipped one. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE party("
	"  id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
	"  observer INTEGER NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE TABLE endpoint("
	"  id INTEGER PRIMARY KEY, party_id INTEGER NOT NULL REFERENCES party(id),"
	"  pin BLOB NOT NULL, created_at INTEGER NOT NULL, removed_at INTEGER);"
	"CREATE UNIQUE INDEX endpoint_pin ON endpoint(pin) WHERE removed_at IS NULL;"
	"CREATE TABLE signer("
	"  id INTEGER PRIMARY KEY, party_id INTEGER NOT NULL REFERENCES party(id),"
	"  pubkey BLOB NOT NULL UNIQUE, created_at INTEGER NOT NULL);"
	"CREATE TABLE message("
	"  id INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
	"  party_id INTEGER NOT NULL REFERENCES party(id),"
	"  agreement_id INTEGER, summary TEXT NOT NULL, payload BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE delivery("
	"  id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL REFERENCES message(id),"
	"  endpoint_id INTEGER NOT NULL REFERENCES endpoint(id), acked_at INTEGER);"
	"CREATE INDEX delivery_pending ON delivery(endpoint_id, id) WHERE acked_at IS NULL;"
	"CREATE INDEX delivery_message ON delivery(message_id);"
	"CREATE TABLE agreement("
	"  id INTEGER PRIMARY KEY, title TEXT NOT NULL, state TEXT NOT NULL,"
	"  revision INTEGER NOT NULL, effective TEXT NOT NULL, validity TEXT NOT NULL,"
	"  disclose_progress INTEGER NOT NULL, created_at INTEGER NOT NULL,"
	"  circulated_at INTEGER, released_at INTEGER, effective_at INTEGER,"
	"  expires_at INTEGER, ended_at INTEGER,"
	"  certificate BLOB, certificate_sig BLOB);"
	"CREATE TABLE agreement_party("
	"  agreement_id INTEGER NOT NULL REFERENCES agreement(id),"
	"  party_id INTEGER NOT NULL REFERENCES party(id), observer INTEGER NOT NULL,"
	"  PRIMARY KEY(agreement_id, party_id));"
	"CREATE TABLE revision("
	"  agreement_id INTEGER NOT NULL REFERENCES agreement(id), number INTEGER NOT NULL,"
	"  text TEXT NOT NULL, calendar TEXT NOT NULL, content_hash BLOB NOT NULL,"
	"  amendment_id INTEGER, created_at INTEGER NOT NULL,"
	"  PRIMARY KEY(agreement_id, number));"
	"CREATE TABLE copy("
	"  id INTEGER PRIMARY KEY, agreement_id INTEGER NOT NULL REFERENCES agreement(id),"
	"  revision INTEGER NOT NULL, party_id INTEGER NOT NULL REFERENCES party(id),"
	"  endpoint_id INTEGER NOT NULL, signer_id INTEGER NOT NULL REFERENCES signer(id),"
	"  role TEXT NOT NULL, content_hash BLOB NOT NULL, signature BLOB NOT NULL,"
	"  text TEXT, status TEXT NOT NULL, reason TEXT,"
	"  signed_at INTEGER NOT NULL, ended_at INTEGER);"
	"CREATE INDEX copy_agreement ON copy(agreement_id, party_id);"
	"CREATE TABLE amendment("
	"  id INTEGER PRIMARY KEY, agreement_id INTEGER NOT NULL REFERENCES agreement(id),"
	"  revision INTEGER NOT NULL, proposer_id INTEGER NOT NULL REFERENCES party(id),"
	"  text TEXT NOT NULL, note TEXT NOT NULL, state TEXT NOT NULL, reason TEXT,"
	"  created_at INTEGER NOT NULL, decided_at INTEGER);"
	"CREATE TABLE amendment_response("
	"  amendment_id INTEGER NOT NULL REFERENCES amendment(id),"
	"  party_id INTEGER NOT NULL REFERENCES party(id), accept INTEGER NOT NULL,"
	"  note TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  PRIMARY KEY(amendment_id, party_id));",
	/* 1 -> 2: timelines (signing deadlines, validity, extensions, Day-X) */
	"ALTER TABLE agreement ADD COLUMN sign_by INTEGER;"
	"ALTER TABLE agreement ADD COLUMN extends_id INTEGER REFERENCES agreement(id);"
	"ALTER TABLE agreement ADD COLUMN reaffirms_id INTEGER REFERENCES agreement(id);"
	"ALTER TABLE agreement ADD COLUMN dayx_mode TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE agreement ADD COLUMN dayx_at INTEGER;"
	"CREATE TABLE measure("
	"  agreement_id INTEGER NOT NULL REFERENCES agreement(id), number INTEGER NOT NULL,"
	"  offset_s INTEGER NOT NULL, offset TEXT NOT NULL, party TEXT NOT NULL,"
	"  description TEXT NOT NULL, needs_confirm INTEGER NOT NULL, due_at INTEGER,"
	"  PRIMARY KEY(agreement_id, number));"
	"CREATE TABLE measure_confirmation("
	"  agreement_id INTEGER NOT NULL, number INTEGER NOT NULL,"
	"  party_id INTEGER NOT NULL REFERENCES party(id), confirmed_at INTEGER NOT NULL,"
	"  PRIMARY KEY(agreement_id, number, party_id));"
	"CREATE TABLE timer("
	"  id INTEGER PRIMARY KEY, agreement_id INTEGER NOT NULL REFERENCES agreement(id),"
	"  kind TEXT NOT NULL, due_at INTEGER NOT NULL, ref INTEGER, number INTEGER,"
	"  fired_at INTEGER);"
	"CREATE INDEX timer_due ON timer(due_at, id) WHERE fired_at IS NULL;"
	"CREATE TABLE ag_event("
	"  id INTEGER PRIMARY KEY, agreement_id INTEGER NOT NULL REFERENCES agreement(id),"
	"  kind TEXT NOT NULL, text TEXT NOT NULL, created_at INTEGER NOT NULL);",
	/* 2 -> 3: incidents and duty; timers may belong to an incident */
	"CREATE TABLE incident("
	"  id INTEGER PRIMARY KEY, filer_id INTEGER NOT NULL REFERENCES party(id),"
	"  against_id INTEGER NOT NULL REFERENCES party(id), place TEXT NOT NULL,"
	"  happened_at INTEGER NOT NULL, nature TEXT NOT NULL, consequences TEXT NOT NULL,"
	"  agreement_id INTEGER REFERENCES agreement(id), not_in_force INTEGER NOT NULL,"
	"  proposal TEXT NOT NULL, filed_at INTEGER NOT NULL, respond_by INTEGER NOT NULL,"
	"  publishable_at INTEGER NOT NULL, state TEXT NOT NULL, answer TEXT, measures TEXT,"
	"  answered_at INTEGER, overdue_at INTEGER, meeting_by INTEGER, meeting_at INTEGER,"
	"  inspection TEXT NOT NULL DEFAULT '', inspection_by INTEGER, inspection_at INTEGER,"
	"  consent_at INTEGER, complaint TEXT, complaint_at INTEGER, closed_at INTEGER);"
	"CREATE TABLE duty_alert("
	"  id INTEGER PRIMARY KEY, party_id INTEGER NOT NULL REFERENCES party(id),"
	"  gap_since INTEGER NOT NULL, alerted_at INTEGER NOT NULL, cleared_at INTEGER);"
	"CREATE TABLE timer_new("
	"  id INTEGER PRIMARY KEY, agreement_id INTEGER REFERENCES agreement(id),"
	"  incident_id INTEGER REFERENCES incident(id), kind TEXT NOT NULL,"
	"  due_at INTEGER NOT NULL, ref INTEGER, number INTEGER, fired_at INTEGER);"
	"INSERT INTO timer_new(id, agreement_id, kind, due_at, ref, number, fired_at)"
	"  SELECT id, agreement_id, kind, due_at, ref, number, fired_at FROM timer;"
	"DROP TABLE timer;"
	"ALTER TABLE timer_new RENAME TO timer;"
	"CREATE INDEX timer_due ON timer(due_at, id) WHERE fired_at IS NULL;",
	/* 3 -> 4: the journal (a Merkle tree) and its signed checkpoints */
	"CREATE TABLE journal("
	"  seq INTEGER PRIMARY KEY, entry BLOB NOT NULL, kind TEXT NOT NULL,"
	"  agreement_id INTEGER, party TEXT NOT NULL);"
	"CREATE INDEX journal_agreement ON journal(agreement_id);"
	"CREATE TABLE journal_state(id INTEGER PRIMARY KEY CHECK (id = 1), frontier BLOB NOT NULL);"
	"CREATE TABLE checkpoint("
	"  size INTEGER PRIMARY KEY, root BLOB NOT NULL, text TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE countersignature("
	"  id INTEGER PRIMARY KEY, size INTEGER NOT NULL, party_id INTEGER NOT NULL,"
	"  endpoint_id INTEGER NOT NULL, signer_key BLOB NOT NULL, signature BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL);",
	/* 4 -> 5: principals, mandates, signatory roles, agreement labels */
	"ALTER TABLE agreement ADD COLUMN label TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE principal("
	"  id INTEGER PRIMARY KEY, party_id INTEGER NOT NULL UNIQUE REFERENCES party(id),"
	"  pubkey BLOB NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE TABLE mandate("
	"  id INTEGER PRIMARY KEY, party_id INTEGER NOT NULL REFERENCES party(id),"
	"  signer_key BLOB NOT NULL, roles TEXT NOT NULL, scope TEXT NOT NULL,"
	"  valid_from INTEGER NOT NULL, valid_until INTEGER NOT NULL,"
	"  issued_at INTEGER NOT NULL, supersedes INTEGER NOT NULL,"
	"  in_place_of TEXT NOT NULL, principal_key BLOB NOT NULL, signature BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL, superseded_by INTEGER, superseded_at INTEGER,"
	"  revoked_at INTEGER, revocation_sig BLOB);"
	"CREATE INDEX mandate_signer ON mandate(party_id, signer_key);"
	"CREATE TABLE agreement_role("
	"  agreement_id INTEGER NOT NULL REFERENCES agreement(id),"
	"  party_id INTEGER NOT NULL REFERENCES party(id), role TEXT NOT NULL,"
	"  PRIMARY KEY(agreement_id, party_id, role));"
	"ALTER TABLE copy ADD COLUMN mandate_id INTEGER REFERENCES mandate(id);",
	/* 5 -> 6: the journal's perfect subtree hashes, for O(log n) proofs */
	"CREATE TABLE journal_node("
	"  level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,"
	"  PRIMARY KEY(level, idx)) WITHOUT ROWID;",
	/* 6 -> 7: indexes the signing path needs as the store grows */
	"CREATE INDEX copy_mandate ON copy(mandate_id) WHERE mandate_id IS NOT NULL;"
	"CREATE INDEX endpoint_party ON endpoint(party_id);",
	/* 7 -> 8: a payload sent to several parties (a release bundle, a
	 * circulated text) is stored once, not once per party */
	"CREATE TABLE payload(id INTEGER PRIMARY KEY, body BLOB NOT NULL);"
	"INSERT INTO payload(id, body) SELECT id, payload FROM message;"
	"ALTER TABLE message ADD COLUMN payload_id INTEGER REFERENCES payload(id);"
	"UPDATE message SET payload_id = id;"
	"ALTER TABLE message DROP COLUMN payload;",
	/* 8 -> 9: acks are written to the record once per endpoint and turn,
	 * just before the commit; receipt is the entry's seq (-1: recorded one
	 * by one before this version) */
	"ALTER TABLE delivery ADD COLUMN receipt INTEGER;"
	"UPDATE delivery SET receipt = -1 WHERE acked_at IS NOT NULL;"
	"CREATE INDEX delivery_unrecorded ON delivery(endpoint_id, id)"
	"  WHERE acked_at IS NOT NULL AND receipt IS NULL;",
	/* 9 -> 10: the turn's acks are listed in memory until the commit
	 * records them; the index cost every ack two more index writes */
	"DROP INDEX delivery_unrecorded;",
	/* 10 -> 11: journal nodes keyed by the leaf that completes them: the
	 * nodes a commit adds go to the end of one b-tree, not to the end of
	 * each level's range (11 of the 65 pages a busy commit of the
	 * benchmark wrote, now 3) */
	"CREATE TABLE journal_node_11("
	"  last_leaf INTEGER NOT NULL, level INTEGER NOT NULL, hash BLOB NOT NULL,"
	"  PRIMARY KEY(last_leaf, level)) WITHOUT ROWID;"
	"INSERT INTO journal_node_11(last_leaf, level, hash)"
	"  SELECT ((idx + 1) << level) - 1, level, hash FROM journal_node;"
	"DROP TABLE journal_node;"
	"ALTER TABLE journal_node_11 RENAME TO journal_node;",
	/* 11 -> 12: released and in force are two states: an agreement whose
	 * effect is still ahead (its effect timer not fired) is released */
	"UPDATE agreement SET state = 'released' WHERE state = 'in_force' AND EXISTS"
	"  (SELECT 1 FROM timer t WHERE t.agreement_id = agreement.id AND t.kind = 'effect'"
	"  AND t.fired_at IS NULL);",
	/* 12 -> 13: an agreement carries its time zone ("": made before
	 * agreements had one, read and shown in the daemon's) */
	"ALTER TABLE agreement ADD COLUMN zone TEXT NOT NULL DEFAULT '';",
	/* 13 -> 14: corrections in flight: why the mediator withdrew an
	 * agreement or closed an incident, and a party's recorded refusal to
	 * sign (a decline; withdrawn_at: a later valid copy superseded it) */
	"ALTER TABLE agreement ADD COLUMN withdraw_reason TEXT;"
	"ALTER TABLE incident ADD COLUMN close_reason TEXT;"
	"CREATE TABLE decline("
	"  id INTEGER PRIMARY KEY, agreement_id INTEGER NOT NULL REFERENCES agreement(id),"
	"  party_id INTEGER NOT NULL REFERENCES party(id), revision INTEGER NOT NULL,"
	"  endpoint_id INTEGER NOT NULL, reason TEXT NOT NULL, salt BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL, withdrawn_at INTEGER);"
	"CREATE INDEX decline_agreement ON decline(agreement_id, party_id);",
	/* 14 -> 15: a confirmation carries a note, and the mediator confirms
	 * its own measures (party_id NULL: a party id stays a reference);
	 * one confirmation per measure and confirmer, the mediator's too */
	"CREATE TABLE measure_confirmation_12("
	"  agreement_id INTEGER NOT NULL, number INTEGER NOT NULL,"
	"  party_id INTEGER REFERENCES party(id), confirmed_at INTEGER NOT NULL,"
	"  note TEXT NOT NULL DEFAULT '');"
	"INSERT INTO measure_confirmation_12(agreement_id, number, party_id, confirmed_at)"
	"  SELECT agreement_id, number, party_id, confirmed_at FROM measure_confirmation;"
	"DROP TABLE measure_confirmation;"
	"ALTER TABLE measure_confirmation_12 RENAME TO measure_confirmation;"
	"CREATE UNIQUE INDEX measure_confirmation_by"
	"  ON measure_confirmation(agreement_id, number, ifnull(party_id, 0));",
	/* 15 -> 16: a copy to a newcomer: requests to add an observer, the
	 * other parties' answers, and members added after release (whom the
	 * certificate, signed at release, does not name) */
	"ALTER TABLE agreement_party ADD COLUMN added_after_release INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE observer_request("
	"  id INTEGER PRIMARY KEY, agreement_id INTEGER NOT NULL REFERENCES agreement(id),"
	"  party_id INTEGER NOT NULL REFERENCES party(id),"
	"  requester_id INTEGER REFERENCES party(id), note TEXT NOT NULL,"
	"  state TEXT NOT NULL, asked_at INTEGER NOT NULL, window_ends INTEGER NOT NULL,"
	"  decided_at INTEGER);"
	"CREATE INDEX observer_request_agreement ON observer_request(agreement_id);"
	"CREATE TABLE observer_answer("
	"  request_id INTEGER NOT NULL REFERENCES observer_request(id),"
	"  party_id INTEGER NOT NULL REFERENCES party(id), object INTEGER NOT NULL,"
	"  reason TEXT NOT NULL, answered_at INTEGER NOT NULL,"
	"  PRIMARY KEY(request_id, party_id));",
	/* 16 -> 17: content hash version 2 also covers the zone, the parties
	 * with their required roles, and extends/reaffirms; a revision made
	 * before keeps version 1, which its signed copies were made over */
	"ALTER TABLE revision ADD COLUMN content_version INTEGER NOT NULL DEFAULT 1;",
	/* 17 -> 18: two roles of one party need two signers unless the
	 * agreement says otherwise; those made before keep the rule they were
	 * made under (one key could sign every role) */
	"ALTER TABLE agreement ADD COLUMN same_signer_ok INTEGER NOT NULL DEFAULT 0;"
	"UPDATE agreement SET same_signer_ok = 1;",
	/* 18 -> 19: a copy carries the reservation and the condition its
	 * signer wrote on it (NULL: none); an agreement may refuse them */
	"ALTER TABLE copy ADD COLUMN reservation TEXT;"
	"ALTER TABLE copy ADD COLUMN condition TEXT;"
	"ALTER TABLE agreement ADD COLUMN no_reservations INTEGER NOT NULL DEFAULT 0;"
	/* a condition lifted by its party's signed statement, and the time
	 * by which the mediator expects it lifted */
	"CREATE TABLE condition_lift("
	"  copy_id INTEGER PRIMARY KEY REFERENCES copy(id),"
	"  signer_id INTEGER NOT NULL REFERENCES signer(id), signature BLOB NOT NULL,"
	"  lifted_at INTEGER NOT NULL);"
	"CREATE TABLE condition_due("
	"  copy_id INTEGER PRIMARY KEY REFERENCES copy(id), due_at INTEGER NOT NULL,"
	"  told_at INTEGER);",
	/* 19 -> 20: a signer key names the person who holds it and the office
	 * they sign in (NULL: not given), shown in the certificate */
	"ALTER TABLE signer ADD COLUMN name TEXT;"
	"ALTER TABLE signer ADD COLUMN title TEXT;",
	/* 20 -> 21: a revision's text in several languages (content version
	 * 3; revision.text is then ""), a party's frame around the core, and
	 * the mediator's glossary for the check of the versions */
	"CREATE TABLE revision_text("
	"  agreement_id INTEGER NOT NULL REFERENCES agreement(id), number INTEGER NOT NULL,"
	"  lang TEXT NOT NULL, authentic INTEGER NOT NULL, text TEXT NOT NULL,"
	"  PRIMARY KEY(agreement_id, number, lang));"
	"CREATE TABLE agreement_frame("
	"  agreement_id INTEGER NOT NULL REFERENCES agreement(id),"
	"  party_id INTEGER NOT NULL REFERENCES party(id), frame TEXT NOT NULL,"
	"  PRIMARY KEY(agreement_id, party_id));"
	"CREATE TABLE agreement_glossary("
	"  agreement_id INTEGER PRIMARY KEY REFERENCES agreement(id),"
	"  glossary TEXT NOT NULL, set_at INTEGER NOT NULL);",
	/* 21 -> 22: letters, from a party or the mediator (sender NULL), to
	 * addressees and copies (a recipient NULL: the mediator), each party's
	 * copy a message with its receipts */
	"CREATE TABLE letter("
	"  id INTEGER PRIMARY KEY, sender_id INTEGER REFERENCES party(id),"
	"  subject TEXT NOT NULL, text TEXT NOT NULL, urgent INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE letter_recipient("
	"  letter_id INTEGER NOT NULL REFERENCES letter(id), party_id INTEGER REFERENCES party(id),"
	"  cc INTEGER NOT NULL, message_id INTEGER REFERENCES message(id));"
	"CREATE INDEX letter_recipient_letter ON letter_recipient(letter_id);"
	/* when an amendment was forwarded to the other parties (NULL: never),
	 * who may then read it; those forwarded before are the ones answered
	 * or still forwarded */
	"ALTER TABLE amendment ADD COLUMN forwarded_at INTEGER;"
	"UPDATE amendment SET forwarded_at = created_at WHERE state = 'forwarded' OR EXISTS "
	"(SELECT 1 FROM amendment_response r WHERE r.amendment_id = amendment.id);"
	/* the mediator's recommendation to both sides of an incident, a
	 * meeting it schedules (time, place, participants) with each side's
	 * answer, and the parties or observers it brings the case to */
	"ALTER TABLE incident ADD COLUMN recommendation TEXT;"
	"ALTER TABLE incident ADD COLUMN recommended_at INTEGER;"
	"ALTER TABLE incident ADD COLUMN meeting_time INTEGER;"
	"ALTER TABLE incident ADD COLUMN meeting_place TEXT;"
	"ALTER TABLE incident ADD COLUMN meeting_participants TEXT;"
	"ALTER TABLE incident ADD COLUMN escalated_to TEXT;"
	"ALTER TABLE incident ADD COLUMN escalated_at INTEGER;"
	"ALTER TABLE incident ADD COLUMN counter_protest TEXT;"
	"ALTER TABLE incident ADD COLUMN counter_at INTEGER;"
	"ALTER TABLE incident ADD COLUMN counter_forwarded_at INTEGER;"
	"CREATE TABLE incident_meeting_answer("
	"  incident_id INTEGER NOT NULL REFERENCES incident(id),"
	"  party_id INTEGER NOT NULL REFERENCES party(id), accept INTEGER NOT NULL,"
	"  proposed_time INTEGER, created_at INTEGER NOT NULL,"
	"  PRIMARY KEY(incident_id, party_id));"
	/* the next entry of the record to tell the alert program, and which
	 * program it is ([alerts] exec) */
	"CREATE TABLE alert_cursor(id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  program TEXT NOT NULL, next INTEGER NOT NULL);"
	/* duty contacts: each party's list, and what the mediator passed to
	 * whom (the list as passed, by a letter with its receipts) */
	"CREATE TABLE duty_contact("
	"  party_id INTEGER PRIMARY KEY REFERENCES party(id), text TEXT NOT NULL,"
	"  set_at INTEGER NOT NULL, by_mediator INTEGER NOT NULL);"
	"CREATE TABLE duty_contact_passed("
	"  party_id INTEGER NOT NULL REFERENCES party(id),"
	"  to_party_id INTEGER NOT NULL REFERENCES party(id), text TEXT NOT NULL,"
	"  letter_id INTEGER NOT NULL REFERENCES letter(id), passed_at INTEGER NOT NULL,"
	"  PRIMARY KEY(party_id, to_party_id));"
	/* the mediator's templates, with {{name}} placeholders */
	"CREATE TABLE template(name TEXT PRIMARY KEY, text TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);",
	/* 22 -> 23: every table has a primary key, so that each change of a
	 * turn can be named to the store of record ([store] backend =
	 * postgresql: SQLite's session extension skips tables without one) */
	"CREATE TABLE letter_recipient_23("
	"  id INTEGER PRIMARY KEY, letter_id INTEGER NOT NULL REFERENCES letter(id),"
	"  party_id INTEGER REFERENCES party(id), cc INTEGER NOT NULL,"
	"  message_id INTEGER REFERENCES message(id));"
	"INSERT INTO letter_recipient_23(letter_id, party_id, cc, message_id)"
	"  SELECT letter_id, party_id, cc, message_id FROM letter_recipient ORDER BY rowid;"
	"DROP TABLE letter_recipient;"
	"ALTER TABLE letter_recipient_23 RENAME TO letter_recipient;"
	"CREATE INDEX letter_recipient_letter ON letter_recipient(letter_id);"
	"CREATE TABLE measure_confirmation_23("
	"  id INTEGER PRIMARY KEY, agreement_id INTEGER NOT NULL, number INTEGER NOT NULL,"
	"  party_id INTEGER REFERENCES party(id), confirmed_at INTEGER NOT NULL,"
	"  note TEXT NOT NULL DEFAULT '');"
	"INSERT INTO measure_confirmation_23(agreement_id, number, party_id, confirmed_at, note)"
	"  SELECT agreement_id, number, party_id, confirmed_at, note FROM measure_confirmation"
	"  ORDER BY rowid;"
	"DROP TABLE measure_confirmation;"
	"ALTER TABLE measure_confirmation_23 RENAME TO measure_confirmation;"
	"CREATE UNIQUE INDEX measure_confirmation_by"
	"  ON measure_confirmation(agreement_id, number, ifnull(party_id, 0));"
	/* the order rows were added in is read back (ORDER BY rowid): it
	 * becomes the primary key, so that the record keeps it too */
	"CREATE TABLE agreement_party_23("
	"  id INTEGER PRIMARY KEY, agreement_id INTEGER NOT NULL REFERENCES agreement(id),"
	"  party_id INTEGER NOT NULL REFERENCES party(id), observer INTEGER NOT NULL,"
	"  added_after_release INTEGER NOT NULL DEFAULT 0, UNIQUE(agreement_id, party_id));"
	"INSERT INTO agreement_party_23(agreement_id, party_id, observer, added_after_release)"
	"  SELECT agreement_id, party_id, observer, added_after_release FROM agreement_party"
	"  ORDER BY rowid;"
	"DROP TABLE agreement_party;"
	"ALTER TABLE agreement_party_23 RENAME TO agreement_party;"
	"CREATE TABLE amendment_response_23("
	"  id INTEGER PRIMARY KEY, amendment_id INTEGER NOT NULL REFERENCES amendment(id),"
	"  party_id INTEGER NOT NULL REFERENCES party(id), accept INTEGER NOT NULL,"
	"  note TEXT NOT NULL, created_at INTEGER NOT NULL, UNIQUE(amendment_id, party_id));"
	"INSERT INTO amendment_response_23(amendment_id, party_id, accept, note, created_at)"
	"  SELECT amendment_id, party_id, accept, note, created_at FROM amendment_response"
	"  ORDER BY rowid;"
	"DROP TABLE amendment_response;"
	"ALTER TABLE amendment_response_23 RENAME TO amendment_response;"
	"CREATE TABLE incident_meeting_answer_23("
	"  id INTEGER PRIMARY KEY, incident_id INTEGER NOT NULL REFERENCES incident(id),"
	"  party_id INTEGER NOT NULL REFERENCES party(id), accept INTEGER NOT NULL,"
	"  proposed_time INTEGER, created_at INTEGER NOT NULL, UNIQUE(incident_id, party_id));"
	"INSERT INTO incident_meeting_answer_23(incident_id, party_id, accept, proposed_time,"
	"  created_at) SELECT incident_id, party_id, accept, proposed_time, created_at"
	"  FROM incident_meeting_answer ORDER BY rowid;"
	"DROP TABLE incident_meeting_answer;"
	"ALTER TABLE incident_meeting_answer_23 RENAME TO incident_meeting_answer;",
};

#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

static int
pragma_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
pragma_text(sqlite3 *db, const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
migrate(struct store *s, int upto, char *err, size_t errlen)
{
	int version;
	char *msg = NULL;
	char sql[64];

	if (pragma_int(s->db, "PRAGMA user_version", &version) != 0) {
		snprintf(err, errlen, "cannot read schema version: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	if (version > (int)NMIGRATIONS) {
		snprintf(err, errlen, "store schema version %d is newer than this parleyd "
		    "(%zu); refusing to touch it", version, NMIGRATIONS);
		return -1;
	}
	for (; version < upto; version++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
		if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(s->db, migrations[version], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "migration to schema version %d failed: %s",
			    version + 1, msg ? msg : sqlite3_errmsg(s->db));
			sqlite3_free(msg);
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		log_info("store migrated to schema version %d", version + 1);
	}
	return 0;
}

/* Inside a batch only the batch's own COMMIT may commit.  When SQLite has
 * rolled the batch back by itself (out of memory, disk full), the statements
 * the request goes on with would each commit on their own: this turns those
 * commits into rollbacks, and the statements fail. */
static int
commit_hook(void *arg)
{
	struct store *s = arg;

	if (s->in_batch && !s->committing) {
		log_warnx("store: a statement would commit outside the batch; rolled back");
		return 1;
	}
	/* With a store of record, every change goes in a batch: one that
	 * committed on its own would reach the record only with the next
	 * batch, and be lost if a rollback came first. */
	if (!s->in_batch && s->sink.prepare != NULL) {
		log_warnx("store: a statement would commit outside a batch; rolled back");
		return 1;
	}
	return 0;
}

/* cache: a working copy, made anew (the record is elsewhere): no fsync,
 * migrated up to upto only. */
static int
open_store(const char *path, int cache, int upto, struct store **out, char *err,
    size_t errlen)
{
	struct store *s;
	char mode[32] = "unknown", side[4200];
	int sync = -1, version = -1;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->cache_mode = cache;
	if (cache) {
		/* Nothing of an earlier working copy is kept: it is made from
		 * the record each time this daemon starts serving. */
		const char *const ext[] = { "", "-wal", "-shm", "-journal" };
		for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
			snprintf(side, sizeof(side), "%s%s", path, ext[i]);
			if (unlink(side) != 0 && errno != ENOENT) {
				snprintf(err, errlen, "cannot remove %s: %s", side, strerror(errno));
				goto fail;
			}
		}
	}
	/* The store's own connection gathers a commit's WAL writes until its
	 * sync (paced.h), which needs synchronous=FULL, checked below; a
	 * working copy syncs nothing and is the default VFS's. */
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, cache ? NULL : paced_vfs()) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open store %s: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	/* Read before changing anything: not a database, or one from the future. */
	if (pragma_int(s->db, "PRAGMA user_version", &version) != 0) {
		snprintf(err, errlen, "cannot use store %s: %s", path, sqlite3_errmsg(s->db));
		goto fail;
	}
	if (version > (int)NMIGRATIONS) {
		snprintf(err, errlen, "store schema version %d is newer than this parleyd "
		    "(%zu); refusing to touch it", version, NMIGRATIONS);
		goto fail;
	}
	sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	sqlite3_exec(s->db, cache ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=FULL", NULL,
	    NULL, NULL);
	sqlite3_exec(s->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
	/* A turn's transaction (release bundles, journal nodes) outgrows the
	 * 2 MB default page cache, which then spills dirty pages to the WAL
	 * mid-transaction and re-reads what it evicted: 32 MB keeps a busy
	 * turn and the hot indexes in memory. */
	sqlite3_exec(s->db, "PRAGMA cache_size=-32768", NULL, NULL, NULL);
	sqlite3_exec(s->db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
	/* Durability is the product: refuse to run without it. */
	pragma_text(s->db, "PRAGMA journal_mode", mode, sizeof(mode));
	pragma_int(s->db, "PRAGMA synchronous", &sync);
	if (strcmp(mode, "wal") != 0 || (!cache && sync != 2)) {
		snprintf(err, errlen, "store %s is not in WAL mode with synchronous=FULL "
		    "(journal_mode=%s, synchronous=%d); is its directory writable?", path, mode,
		    sync);
		goto fail;
	}
	if (migrate(s, upto, err, errlen) != 0)
		goto fail;
	sqlite3_commit_hook(s->db, commit_hook, s);
	checkpointer_start(s, path, cache);
	*out = s;
	return 0;
fail:
	store_close(s);
	return -1;
}

int
store_tune_library(void)
{
	return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK ? 0 : -1;
}

int
store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	return open_store(path, 0, (int)NMIGRATIONS, out, err, errlen);
}

int
store_open_copy(const char *path, int version, struct store **out, char *err, size_t errlen)
{
	if (version < 0 || version > (int)NMIGRATIONS) {
		snprintf(err, errlen, "schema version %d is newer than this parleyd (%zu); "
		    "refusing to touch it", version, NMIGRATIONS);
		return -1;
	}
	return open_store(path, 1, version, out, err, errlen);
}

int
store_migrate(struct store *s, char *err, size_t errlen)
{
	return migrate(s, (int)NMIGRATIONS, err, errlen);
}

/* A fresh session: it records every change from now to the next commit
 * (or rollback) in every table; a table without a primary key would be
 * skipped, and the schema has none (migration 22 -> 23). */
static int
session_renew(struct store *s)
{
	if (s->sess != NULL)
		sqlite3session_delete(s->sess);
	s->sess = NULL;
	if (sqlite3session_create(s->db, "main", &s->sess) != SQLITE_OK ||
	    sqlite3session_attach(s->sess, NULL) != SQLITE_OK) {
		log_warnx("store: cannot record the changes: %s", sqlite3_errmsg(s->db));
		if (s->sess != NULL)
			sqlite3session_delete(s->sess);
		s->sess = NULL;
		return -1;
	}
	return 0;
}

int
store_settled(struct store *s)
{
	if (s->in_batch)
		return 0;
	return s->sink.settled == NULL || s->sink.settled(s->sink.arg);
}

int
store_set_sink(struct store *s, const struct store_sink *sink)
{
	s->sink = *sink;
	return session_renew(s);
}

/* The changes since the session began, for the sink.  NULL (and -1) when
 * they cannot be had: the commit must then fail. */
static void *
sink_prepare(struct store *s, int *failed)
{
	void *prepared, *cs = NULL;
	char err[512] = "";
	int n = 0;

	*failed = 0;
	if (s->sess == NULL) {
		/* Writes since the last commit were not recorded: they must
		 * not commit (store_batch_begin refuses to begin then). */
		log_warnx("store: the turn's changes were not recorded");
		*failed = 1;
		return NULL;
	}
	if (sqlite3session_changeset(s->sess, &n, &cs) != SQLITE_OK) {
		log_warnx("store: cannot list the turn's changes: %s", sqlite3_errmsg(s->db));
		*failed = 1;
		return NULL;
	}
	prepared = s->sink.prepare(s->sink.arg, cs, n, err, sizeof(err));
	sqlite3_free(cs);
	if (prepared == NULL) {
		log_warnx("store: the store of record cannot take this turn: %s", err);
		*failed = 1;
	}
	return prepared;
}

void
store_close(struct store *s)
{
	size_t i;

	if (s == NULL)
		return;
	checkpointer_stop(s);
	if (s->sess != NULL)
		sqlite3session_delete(s->sess);
	for (i = 0; i < s->ncache; i++)
		sqlite3_finalize(s->cache[i].stmt);
	free(s->cache);
	sqlite3_close(s->db);
	free(s);
}

uint64_t
store_wal_checkpoints(struct store *s)
{
	uint64_t n;

	if (!s->ck.started)
		return 0;
	pthread_mutex_lock(&s->ck.mu);
	n = s->ck.runs;
	pthread_mutex_unlock(&s->ck.mu);
	return n;
}

sqlite3_stmt *
store_stmt(struct store *s, const char *sql)
{
	struct cached_stmt *c;
	sqlite3_stmt *st;
	size_t i;

	for (i = 0; i < s->ncache; i++) {
		if (s->cache[i].sql == sql) {
			st = s->cache[i].stmt;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    NULL) != SQLITE_OK) {
		log_warnx("store: cannot prepare \"%s\": %s", sql, sqlite3_errmsg(s->db));
		return NULL;
	}
	if (s->ncache == s->capcache) {
		size_t ncap = s->capcache ? s->capcache * 2 : 64;
		if ((c = realloc(s->cache, ncap * sizeof(*c))) == NULL) {
			sqlite3_finalize(st);
			return NULL;
		}
		s->cache = c;
		s->capcache = ncap;
	}
	s->cache[s->ncache].sql = sql;
	s->cache[s->ncache].stmt = st;
	s->ncache++;
	return st;
}

int
store_exec(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql, msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
store_batch_begin(struct store *s)
{
	if (s->in_batch)
		return 0;
	/* Every change of the batch must be recorded for the sink. */
	if (s->sink.prepare != NULL && s->sess == NULL && session_renew(s) != 0)
		return -1;
	if (store_exec(s, "BEGIN IMMEDIATE") != 0)
		return -1;
	s->in_batch = 1;
	s->batches++;
	s->endpoints_changed = 0;
	return 0;
}

int
store_batch_commit(struct store *s)
{
	struct timespec a, b;
	void *prepared = NULL;
	int rc, failed;

	if (!s->in_batch)
		return 0;
	if (store_batch_lost(s)) {
		log_warnx("store: the transaction was rolled back before COMMIT");
		store_batch_rollback(s);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (s->sink.prepare != NULL) {
		prepared = sink_prepare(s, &failed);
		if (failed) {
			store_batch_rollback(s);	/* renews the session */
			return -1;
		}
	}
	s->committing = 1;
	rc = store_exec(s, "COMMIT");
	s->committing = 0;
	clock_gettime(CLOCK_MONOTONIC, &b);
	s->last_commit_us = (b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000;
	if (rc != 0) {
		if (prepared != NULL)
			s->sink.drop(s->sink.arg, prepared);
		store_batch_rollback(s);
		return -1;
	}
	s->in_batch = 0;
	if (s->sink.prepare != NULL) {
		s->sink.ship(s->sink.arg, prepared);
		session_renew(s);	/* on failure the next commit tries again */
	}
	return 0;
}

void
store_batch_rollback(struct store *s)
{
	if (!s->in_batch)
		return;
	if (sqlite3_get_autocommit(s->db) == 0)
		store_exec(s, "ROLLBACK");
	s->in_batch = 0;
	s->savepoint_depth = 0;
	/* A session that ran out of memory recording a change stays broken;
	 * the batch is undone, so a fresh one misses nothing. */
	if (s->sink.prepare != NULL)
		session_renew(s);
}

int
store_in_batch(const struct store *s)
{
	return s->in_batch;
}

uint64_t
store_batch_number(const struct store *s)
{
	return s->batches;
}

void
store_batch_endpoints_changed(struct store *s)
{
	s->endpoints_changed = 1;
}

int
store_batch_has_endpoint_changes(const struct store *s)
{
	return s->in_batch && s->endpoints_changed;
}

/* Savepoints run once per request: prepared once, like every statement. */
static int
step_once(struct store *s, const char *sql)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	int rc;

	if (st == NULL)
		return -1;
	rc = store_step_done(s, st);
	if (rc != 0) {
		log_warnx("store: %s: %s", sql, sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

static const char sql_savepoint[] = "SAVEPOINT req";
static const char sql_release[] = "RELEASE req";
static const char sql_rollback_to[] = "ROLLBACK TO req";

/* SQLite rolls the whole transaction back by itself on some errors (out of
 * memory, disk full, I/O error).  A batch whose transaction is gone must not
 * run more requests: outside a transaction each would commit on its own. */
int
store_batch_lost(struct store *s)
{
	return s->in_batch && sqlite3_get_autocommit(s->db);
}

int
store_savepoint(struct store *s)
{
	if (store_batch_lost(s)) {
		log_warnx("store: the transaction was rolled back; no more requests in it");
		return -1;
	}
	if (step_once(s, sql_savepoint) != 0)
		return -1;
	s->savepoint_depth++;
	return 0;
}

void
store_savepoint_release(struct store *s)
{
	if (s->savepoint_depth == 0)
		return;
	if (!store_batch_lost(s))
		step_once(s, sql_release);
	s->savepoint_depth--;
}

void
store_savepoint_rollback(struct store *s)
{
	if (s->savepoint_depth == 0)
		return;
	if (!store_batch_lost(s)) {
		step_once(s, sql_rollback_to);
		step_once(s, sql_release);
	}
	s->savepoint_depth--;
}

int64_t
store_last_commit_us(const struct store *s)
{
	return s->last_commit_us;
}

sqlite3 *
store_db(struct store *s)
{
	return s->db;
}

int
store_user_version(struct store *s)
{
	int v = -1;

	pragma_int(s->db, "PRAGMA user_version", &v);
	return v;
}

const char *
store_errmsg(struct store *s)
{
	return sqlite3_errmsg(s->db);
}

int
store_meta_get(struct store *s, const char *key, char *out, size_t outlen)
{
	static const char sql[] = "SELECT value FROM meta WHERE key = ?";
	sqlite3_stmt *st = store_stmt(s, sql);
	int rc = -1, step, end;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
		rc = 0;
	}
	/* No such key is -1 as well (store.h); a failure is logged. */
	end = store_rows_end(s, st, step, "a setting");
	if (end != 0)
		return -1;
	return rc;
}

int
store_meta_set(struct store *s, const char *key, const char *value)
{
	static const char sql[] =
	    "INSERT INTO meta(key, value) VALUES(?, ?) "
	    "ON CONFLICT(key) DO UPDATE SET value = excluded.value";
	sqlite3_stmt *st = store_stmt(s, sql);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = store_step_done(s, st);
	return rc;
}

int
store_step_done(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	(void)st;
	sqlite3_reset(s);	/* keeps the step's error for store_errmsg */
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_step_insert(struct store *st, sqlite3_stmt *s, int64_t *id)
{
	if (store_step_done(st, s) != 0)
		return -1;
	*id = sqlite3_last_insert_rowid(store_db(st));
	return 0;
}

int
store_rows_end(struct store *st, sqlite3_stmt *s, int rc, const char *what)
{
	sqlite3_reset(s);	/* keeps the step's error for store_errmsg */
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	log_warnx("store failure reading %s: %s", what, store_errmsg(st));
	return -1;
}

int
store_ids(struct store *st, sqlite3_stmt *s, const char *what, int64_t **ids, size_t *n)
{
	size_t cap = 0;
	int64_t *v;
	int rc, end, oom = 0;

	*ids = NULL;
	*n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			v = realloc(*ids, cap * sizeof(*v));
			if (v == NULL) {
				log_warnx("out of memory reading %s", what);
				oom = 1;
				break;
			}
			*ids = v;
		}
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	/* Stopped at a row only when out of memory: not all of them. */
	end = store_rows_end(st, s, rc, what);
	if (oom || end != 0) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int64_t
store_col_time(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, i);
}

const char *
store_col_str(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);
	return v ? v : "";
}
