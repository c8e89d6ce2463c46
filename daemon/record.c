#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "crypto.h"
#include "agreement.h"
#include "errors.h"
#include "journal.h"
#include "log.h"
#include "merkle.h"
#include "record.h"

enum req_end
record_request(struct ag_ctx *e, const struct req *r, uint64_t known)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__JournalReply jr = PARLEY__JOURNAL_REPLY__INIT;
	uint8_t proof[MERKLE_PROOF_MAXLEN];
	char *text = NULL, msg[200];
	uint64_t n = 0;
	size_t len = 0;
	int rc;

	if (e->j == NULL)
		return req_refuse(r, PARLEY_EREFUSED, "%s", "this parleyd keeps no journal");
	rc = journal_latest(e->j, &text, &n);
	if (rc < 0)
		return req_refuse(r, PARLEY_ESTORE, "%s", "store failure");
	if (rc == 0 && known > n) {
		/* The party saw a larger tree than the mediator now shows: that is
		 * the inconsistency the party must hear about, loudly. */
		log_warnx("record: endpoint %lld of %s knows a tree of %llu entries; ours has %llu",
		    (long long)r->who->endpoint_id, r->who->party.code, (unsigned long long)known,
		    (unsigned long long)n);
	} else if (rc == 0 && known > 0 &&
	    journal_consistency(e->j, known, n, proof, &len) != 0) {
		free(text);
		snprintf(msg, sizeof(msg), "cannot prove consistency from %llu to %llu entries",
		    (unsigned long long)known, (unsigned long long)n);
		return req_refuse(r, PARLEY_ESTORE, "%s", msg);
	}
	jr.checkpoint = text ? text : "";
	jr.proof.data = proof;
	jr.proof.len = len * MERKLE_HASH_LEN;
	f.body_case = PARLEY__FRAME__BODY_JOURNAL_REPLY;
	f.journal_reply = &jr;
	req_reply(r, &f);
	free(text);
	return REQ_ROLLBACK;
}

enum req_end
record_countersign(struct ag_ctx *e, const struct req *r, const Parley__Countersign *m)
{
	static const char get[] = "SELECT text FROM checkpoint WHERE size = ?";
	static const char ins[] =
	    "INSERT INTO countersignature(size, party_id, endpoint_id, signer_key, signature,"
	    " created_at) VALUES(?, ?, ?, ?, ?, ?)";
	struct checkpoint *cp;
	sqlite3_stmt *s;
	int64_t signer, party;
	uint8_t h[2][32];
	char *text = NULL, msg[200];
	int rc;

	if (e->j == NULL)
		return req_refuse(r, PARLEY_EREFUSED, "%s", "this parleyd keeps no journal");
	if (m->signer_key.len != 32 || m->signature.len != 64)
		return req_refuse(r, PARLEY_EUSAGE, "%s", "a countersignature needs a 32-byte key and a "
		    "64-byte signature");
	rc = registry_signer_by_key(e->st, m->signer_key.data, &signer, &party);
	if (rc < 0)
		return req_refuse(r, PARLEY_ESTORE, "%s", "store failure");
	if (rc != 0 || party != r->who->party.id)
		return req_refuse(r, PARLEY_EAUTH, "%s", "the countersigning key is not registered for "
		    "this party");
	if ((s = store_stmt(e->st, get)) == NULL)
		return req_refuse(r, PARLEY_ESTORE, "%s", "store failure");
	sqlite3_bind_int64(s, 1, (int64_t)m->size);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		text = strdup((const char *)sqlite3_column_text(s, 0));
	if (store_rows_end(e->st, s, rc, "a checkpoint") != 0) {
		free(text);
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	}
	if (rc == SQLITE_DONE)
		return req_refuse(r, PARLEY_ENOTFOUND, "%s", "no checkpoint of that size");
	if (text == NULL || (cp = malloc(sizeof(*cp))) == NULL) {
		free(text);
		return req_refuse(r, PARLEY_ESTORE, "%s", "store failure (out of memory)");
	}
	if (checkpoint_parse(text, strlen(text), cp, msg, sizeof(msg)) != 0)
		rc = -1;
	else
		rc = crypto_verify(m->signer_key.data, (const uint8_t *)cp->body, cp->body_len,
		    m->signature.data);
	free(cp);
	free(text);
	if (rc == -2)
		return req_refuse(r, PARLEY_ESTORE, "%s", "out of memory checking the signature; "
		    "nothing was saved, try again");
	if (rc != 0)
		return req_refuse(r, PARLEY_EREFUSED, "%s", "the countersignature does not verify over "
		    "the checkpoint's body");
	if ((s = store_stmt(e->st, ins)) == NULL)
		return req_refuse(r, PARLEY_ESTORE, "%s", "store failure");
	sqlite3_bind_int64(s, 1, (int64_t)m->size);
	sqlite3_bind_int64(s, 2, r->who->party.id);
	sqlite3_bind_int64(s, 3, r->who->endpoint_id);
	sqlite3_bind_blob(s, 4, m->signer_key.data, 32, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, m->signature.data, 64, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, clock_now(e->clk));
	rc = store_step_done(e->st, s);
	memcpy(h[0], m->signer_key.data, 32);
	crypto_sha256(m->signature.data, 64, h[1]);
	if (rc != 0 || ag_journal(e, "countersigned", 0, r->who->party.code,
	    (const uint8_t (*)[32])h, 2, "checkpoint of %llu entries, endpoint %lld",
	    (unsigned long long)m->size, (long long)r->who->endpoint_id) != 0)
		return req_refuse(r, PARLEY_ESTORE, "%s", "store failure");
	return req_ok(r, 0, "checkpoint of %llu entries countersigned",
	    (unsigned long long)m->size);
}

/* A journal entry copied out of its row.  The list of them owns the text;
 * the reply's array only points into it. */
struct shown {
	struct shown *next;
	char text[];
};

/* The bytes of entries in one page: a few hundred bytes each, so about a
 * thousand, answered without holding the loop for long. */
#define RECORD_PAGE_BYTES (256 * 1024)

static void
shown_free(struct shown *last)
{
	struct shown *x;

	while ((x = last) != NULL) {
		last = x->next;
		free(x);
	}
}

enum req_end
record_show(struct ag_ctx *e, const struct req *r, const Parley__JournalShow *m)
{
	/* What concerns the party: its own entries, and those of its
	 * agreements.  The embargo (invariant 2): another party's signing
	 * entries (a copy accepted or refused, a signature withdrawn or void,
	 * a decline or its withdrawal, a reminder the mediator sent it) of an
	 * agreement not yet released stay out unless the agreement discloses
	 * progress.  Correspondence stays with those it is between: another
	 * party's amendment before the mediator forwards it, its answer, a
	 * rejection (told to the proposer alone), and every step of an incident
	 * (its sides receive each step; the record lists a party's own) never
	 * reach the agreement's other members.  Filtered here, not after the
	 * read, so that a page and its "next" are of what the party may see. */
	static const char sql[] =
	    "SELECT j.seq, j.entry FROM journal j WHERE j.seq >= ?4 "
	    "AND (?1 = 0 OR j.agreement_id = ?1) "
	    "AND (j.party = ?2 OR (j.agreement_id IN (SELECT agreement_id FROM agreement_party "
	    "WHERE party_id = ?3) AND j.kind NOT LIKE 'incident-%' AND j.kind NOT IN "
	    "('amendment-proposed', 'amendment-answered', 'amendment-rejected') "
	    "AND (j.kind NOT IN ('copy-accepted', 'copy-refused', "
	    "'signature-withdrawn', 'signature-void', 'sign-reminded', 'declined', "
	    "'decline-withdrawn') OR EXISTS (SELECT 1 FROM agreement a "
	    "WHERE a.id = j.agreement_id AND (a.released_at IS NOT NULL "
	    "OR a.disclose_progress != 0))))) ORDER BY j.seq";
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__JournalEntries je = PARLEY__JOURNAL_ENTRIES__INIT;
	struct shown *last = NULL, *x;
	char **v = NULL;
	/* The reply must fit beside what a push may have queued (half the
	 * connection's output cap): larger, it would be dropped as "not
	 * reading".  A page is smaller still. */
	size_t n = 0, i, bytes = 0, budget = req_max_output(r) / 2;
	int64_t seq = 0;
	sqlite3_stmt *s;
	int step, full = 0;

	if (e->j == NULL)
		return req_refuse(r, PARLEY_EREFUSED, "%s", "this parleyd keeps no journal");
	if (m->paged && budget > RECORD_PAGE_BYTES)
		budget = RECORD_PAGE_BYTES;
	if ((s = store_stmt(e->st, sql)) == NULL)
		return req_refuse(r, PARLEY_ESTORE, "%s", "store failure");
	sqlite3_bind_int64(s, 1, m->agreement > INT64_MAX ? -1 : (int64_t)m->agreement);
	sqlite3_bind_text(s, 2, r->who->party.code, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, r->who->party.id);
	sqlite3_bind_int64(s, 4, m->from > INT64_MAX ? INT64_MAX : (int64_t)m->from);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *entry = sqlite3_column_blob(s, 1);
		size_t len;

		/* An entry is never empty: no blob is out of memory. */
		if (entry == NULL) {
			step = SQLITE_NOMEM;
			break;
		}
		len = strnlen(entry, (size_t)sqlite3_column_bytes(s, 1));
		if (bytes + len + 4 > budget) {	/* the field's tag and length */
			full = 1;
			break;
		}
		if ((x = malloc(sizeof(*x) + len + 1)) == NULL) {
			step = SQLITE_NOMEM;
			break;
		}
		memcpy(x->text, entry, len);
		x->text[len] = '\0';
		x->next = last;		/* newest first */
		last = x;
		n++;
		bytes += len + 4;
		seq = sqlite3_column_int64(s, 0);
	}
	/* Part of the record is not the record: refuse rather than send less,
	 * unless the client pages through it and n entries make a page. */
	if (store_rows_end(e->st, s, step, "the record") != 0 ||
	    (n > 0 && (v = malloc(n * sizeof(*v))) == NULL)) {
		shown_free(last);
		return req_refuse(r, PARLEY_ESTORE, "%s", "store failure reading the record");
	}
	if (full && (!m->paged || n == 0)) {
		free(v);
		shown_free(last);
		if (!m->paged)
			return req_refuse(r, PARLEY_EREFUSED, "the record that concerns %s is more "
			    "than one reply may carry (%zu bytes); ask for one agreement at a "
			    "time (parley journal --agreement ID), or use a parley client that "
			    "pages", r->who->party.code, budget);
		return req_refuse(r, PARLEY_EREFUSED, "a journal entry is longer than one "
		    "page (%zu bytes)", budget);
	}
	for (i = n, x = last; i > 0; i--, x = x->next)
		v[i - 1] = x->text;
	je.n_entries = n;
	je.entries = v;
	je.next = full ? (uint64_t)seq + 1 : 0;	/* the first not sent */
	f.body_case = PARLEY__FRAME__BODY_JOURNAL_ENTRIES;
	f.journal_entries = &je;
	req_reply(r, &f);
	free(v);
	shown_free(last);
	return REQ_ROLLBACK;
}
