/* The record (the depositary): every state change is appended, in the same
 * transaction, as one entry of a journal whose entries are the leaves of an
 * RFC 6962 Merkle tree; the mediator key signs a checkpoint (C2SP
 * tlog-checkpoint) of the tree head whenever it grew, before the commit.
 *
 * An entry is canonical text, its time and sequence number inside it:
 *
 *   parley journal entry v1
 *   seq: 42
 *   time: 1994-05-11T11:00:00Z
 *   kind: copy-accepted
 *   agreement: 1                 (0: none)
 *   party: baku                  (-: none)
 *   sha256: <64 hex>             (zero or more: hashes of what it concerns)
 *   note: <one line>             (optional)
 *
 * The tree's frontier lives in the store too, so a rolled-back request
 * rolls its entries and the frontier back together. */
#ifndef PARLEY_JOURNAL_H
#define PARLEY_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <openssl/evp.h>

#include "clock.h"
#include "out.h"
#include "store.h"

struct journal;

/* mkey (the mediator's signing key) is borrowed. */
struct journal *journal_new(struct store *st, struct clock *clk, EVP_PKEY *mkey);
void journal_free(struct journal *j);

/* The checkpoints' origin and key name: "parley/<16 hex of the mediator key hash>". */
const char *journal_origin(const struct journal *j);

/* At start: the stored frontier must give the root of the last checkpoint;
 * parleyd never signs a checkpoint inconsistent with an earlier one. */
int journal_check_start(struct journal *j, char *err, size_t errlen);

/* Append an entry (inside a transaction).  hashes: nh 32-byte hashes. */
int journal_append(struct journal *j, const char *kind, int64_t agreement, const char *party,
    const uint8_t (*hashes)[32], size_t nh, const char *note);

/* Entries in the journal now (the next entry's seq); -1 on a store error.
 * Inside a batch this counts entries not yet committed. */
int64_t journal_size(struct journal *j);

/* Entries as of the last commit: what may be shown outside a turn (a
 * watch, an alert), since an open batch may still be rolled back.
 * journal_committed_now records the size; call it after every commit (and
 * once at start), and with the record in PostgreSQL only once the record
 * holds every commit (after_commit does both); with a batch open, the size
 * before the batch, which relies on journal_append being the only writer
 * of journal rows (HACKING.md: one module writes each table). */
int64_t journal_committed(const struct journal *j);
void journal_committed_now(struct journal *j);


/* Sign and store a checkpoint if the tree grew since the last one (inside
 * the transaction, before its commit).  *size: the tree size it covers. */
int journal_checkpoint(struct journal *j, uint64_t *size);

/* The latest checkpoint: its text (malloc'd, the caller frees) and size.
 * 1 if there is none yet. */
int journal_latest(struct journal *j, char **text, uint64_t *size);

/* Proofs against the tree of size n, computed from the stored entries
 * (out holds MERKLE_PROOF_MAXLEN bytes; *len counts hashes). */
int journal_consistency(struct journal *j, uint64_t m, uint64_t n, uint8_t *out, size_t *len);

/* Read up to max more committed entries into the tree the consistency
 * proofs are made from (one is read in full when first asked for, after a
 * start or another process's write to the store).  1 if more remain, 0 if
 * it holds every committed entry, -1 on a store failure. */
int journal_prefill(struct journal *j, uint64_t max);

/* Hash about max more entries of that tree again from the store, where the
 * last call stopped (round and round), and compare: 0 the same, 2 the same
 * and the pass is done (the next call starts it again; also when the tree
 * has no whole block yet), 1 a block changed (logged; the tree is thrown
 * away and read again), -1 on a store failure.  Catches a write to the file
 * that bypassed SQLite, unless the page is in parleyd's own page cache. */
int journal_scrub(struct journal *j, uint64_t max);
int journal_inclusion(struct journal *j, uint64_t index, uint64_t n, uint8_t *out, size_t *len);

/* Entry seq's bytes (malloc'd; the caller frees). */
int journal_entry(struct journal *j, uint64_t seq, char **entry, size_t *len);
/* The seq of the latest entry of kind for agreement (and party, if not NULL). */
int journal_find(struct journal *j, const char *kind, int64_t agreement, const char *party,
    uint64_t *seq);

/* Mediator verbs: recompute every hash and check every checkpoint; print
 * the chronology (of one agreement, or of what concerns one party). */
int journal_verify(struct journal *j, struct out *o);
/* countersigs: the parties' countersignatures of checkpoints too. */
int journal_show(struct journal *j, int64_t agreement, const char *party, int countersigs,
    struct out *o);

/* One entry of the record (its bytes, entry[0..len)) as an event: a JSON
 * object on one line into json (seq, time, kind, agreement, party, note),
 * and a line for a person into text (NULL: none).  0, or -1. */
int journal_event(const char *entry, size_t len, FILE *json, FILE *text);

#endif
