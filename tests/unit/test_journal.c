/* daemon/journal: the frontier kept in memory between appends must follow
 * the store through rolled-back requests and commits, inclusion proofs
 * (through the cache of committed nodes, and from the stored nodes) must
 * verify against the signed checkpoint's root, also after a store of
 * schema 10 is migrated; a read of the record that fails part way refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "merkle.h"
#include "daemon/clock.h"
#include "daemon/journal.h"
#include "daemon/out.h"
#include "daemon/store.h"
#include "journal_fixture.h"
#include "schema_undo.h"

static int
setup(void **state)
{
	struct journal_fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	*state = fx;
	return journal_fixture_open(fx, "test_journal");
}

static int
teardown(void **state)
{
	struct journal_fixture *fx = *state;
	int rc = journal_fixture_close(fx);

	free(fx);
	return rc;
}

static void
append(struct journal_fixture *fx, const char *note)
{
	assert_int_equal(journal_append(fx->j, "test", 0, NULL, NULL, 0, note), 0);
}

/* A request under its own savepoint, kept or rolled back. */
static void
request(struct journal_fixture *fx, const char *const *notes, int keep)
{
	assert_int_equal(store_savepoint(fx->st), 0);
	for (; *notes != NULL; notes++)
		append(fx, *notes);
	if (keep)
		store_savepoint_release(fx->st);
	else
		store_savepoint_rollback(fx->st);
}

static void
commit(struct journal_fixture *fx, uint64_t expect_size)
{
	uint64_t size;

	assert_int_equal(journal_checkpoint(fx->j, &size), 0);
	assert_int_equal(size, expect_size);
	assert_int_equal(store_batch_commit(fx->st), 0);
}

/* How many entries' inclusion proofs in the tree of all n entries do not
 * verify against the root computed here from the entries themselves. */
static uint64_t
proofs_failing(struct journal_fixture *fx, uint64_t n)
{
	uint8_t path[MERKLE_PROOF_MAXLEN], leaf[32], root[32];
	struct merkle_frontier f;
	size_t len, plen;
	uint64_t i, failing = 0;
	char *e;

	merkle_frontier_init(&f);
	for (i = 0; i < n; i++) {
		assert_int_equal(journal_entry(fx->j, i, &e, &len), 0);
		assert_int_equal(merkle_leaf_hash(e, len, leaf), 0);
		assert_int_equal(merkle_frontier_append(&f, leaf), 0);
		free(e);
	}
	assert_int_equal(merkle_frontier_root(&f, root), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(journal_entry(fx->j, i, &e, &len), 0);
		assert_int_equal(merkle_leaf_hash(e, len, leaf), 0);
		free(e);
		assert_int_equal(journal_inclusion(fx->j, i, n, path, &plen), 0);
		if (merkle_verify_inclusion(i, n, leaf, path, plen, root) != 0)
			failing++;
	}
	return failing;
}

static void
proofs_verify(struct journal_fixture *fx, uint64_t n)
{
	uint64_t failing = proofs_failing(fx, n);

	if (failing != 0)
		fail_msg("%llu of %llu proofs do not verify", (unsigned long long)failing,
		    (unsigned long long)n);
}

/* Every stored node is the hash of the perfect subtree its key names:
 * (last_leaf, level) covers the 2^level leaves that end with last_leaf. */
static void
nodes_match_entries(struct journal_fixture *fx, uint64_t n)
{
	uint8_t (*leaf)[32] = calloc(n, 32), root[32];
	struct merkle_frontier f;
	sqlite3_stmt *st;
	uint64_t i, last, first, count = 0;
	size_t len;
	int level;
	char *e;

	assert_non_null(leaf);
	for (i = 0; i < n; i++) {
		assert_int_equal(journal_entry(fx->j, i, &e, &len), 0);
		assert_int_equal(merkle_leaf_hash(e, len, leaf[i]), 0);
		free(e);
	}
	assert_int_equal(sqlite3_prepare_v2(store_db(fx->st),
	    "SELECT last_leaf, level, hash FROM journal_node", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		last = (uint64_t)sqlite3_column_int64(st, 0);
		level = sqlite3_column_int(st, 1);
		assert_true(level >= 1 && level < 20 && last < n);
		assert_true(last + 1 >= (UINT64_C(1) << level));
		first = last + 1 - (UINT64_C(1) << level);
		merkle_frontier_init(&f);
		for (i = first; i <= last; i++)
			assert_int_equal(merkle_frontier_append(&f, leaf[i]), 0);
		assert_int_equal(merkle_frontier_root(&f, root), 0);
		assert_int_equal(sqlite3_column_bytes(st, 2), 32);
		if (memcmp(sqlite3_column_blob(st, 2), root, 32) != 0)
			fail_msg("node (%llu, %d) is not the hash of leaves %llu..%llu",
			    (unsigned long long)last, level, (unsigned long long)first,
			    (unsigned long long)last);
		count++;
	}
	sqlite3_finalize(st);
	free(leaf);
	assert_true(count >= n - 16);	/* n - popcount(n) perfect subtrees */
}

static void
verify_ok(struct journal_fixture *fx, const char *expect)
{
	struct out o;
	char *text;
	size_t len;

	assert_int_equal(out_init(&o), 0);
	assert_int_equal(journal_verify(fx->j, &o), 0);
	len = evbuffer_get_length(o.text);
	assert_non_null(text = calloc(1, len + 1));
	evbuffer_copyout(o.text, text, len);
	if (strstr(text, expect) == NULL)
		fail_msg("journal verify said \"%s\", not \"%s\"", text, expect);
	free(text);
	out_release(&o);
}

/* The entry at seq carries note. */
static void
entry_is(struct journal_fixture *fx, uint64_t seq, const char *note)
{
	char *e, want[128];
	size_t len;

	assert_int_equal(journal_entry(fx->j, seq, &e, &len), 0);
	snprintf(want, sizeof(want), "seq: %llu\n", (unsigned long long)seq);
	assert_non_null(strstr(e, want));
	snprintf(want, sizeof(want), "note: %s\n", note);
	if (strstr(e, want) == NULL)
		fail_msg("entry %llu is \"%s\", expected note %s", (unsigned long long)seq, e, note);
	free(e);
}

static void
test_rollbacks_followed(void **state)
{
	static const char *const a[] = { "a", NULL }, *const bc[] = { "b", "c", NULL },
	    *const d[] = { "d", NULL }, *const e[] = { "e", "f", "g", NULL };
	struct journal_fixture *fx = *state;

	/* turn 1: a kept, b c rolled back, d kept */
	assert_int_equal(store_batch_begin(fx->st), 0);
	request(fx, a, 1);
	request(fx, bc, 0);
	request(fx, d, 1);
	commit(fx, 2);
	entry_is(fx, 0, "a");
	entry_is(fx, 1, "d");
	verify_ok(fx, "2 entries");

	/* turn 2 rolled back whole (a failed commit does the same), after its
	 * entries' hashes were used for proofs */
	assert_int_equal(store_batch_begin(fx->st), 0);
	request(fx, e, 1);
	proofs_verify(fx, 5);
	store_batch_rollback(fx->st);

	/* turn 3: the frontier is back at 2, and no hash of e f g is used */
	assert_int_equal(store_batch_begin(fx->st), 0);
	request(fx, d, 1);
	request(fx, a, 1);
	request(fx, bc, 1);
	commit(fx, 6);
	entry_is(fx, 2, "d");
	entry_is(fx, 4, "b");
	verify_ok(fx, "6 entries");
	proofs_verify(fx, 6);

	/* a request rolled back inside a turn, after proofs that used it */
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(store_savepoint(fx->st), 0);
	append(fx, "x");
	append(fx, "y");
	proofs_verify(fx, 8);
	store_savepoint_rollback(fx->st);
	request(fx, e, 1);
	commit(fx, 9);
	entry_is(fx, 6, "e");
	proofs_verify(fx, 9);
	verify_ok(fx, "9 entries");
}

/* Every inclusion proof, fresh and then from the cache, against the root
 * of the tree the latest checkpoint signs. */
static void
test_inclusion_proofs_verify(void **state)
{
	struct journal_fixture *fx = *state;
	char note[32];
	uint64_t i, n = 300;

	assert_int_equal(store_batch_begin(fx->st), 0);
	for (i = 0; i < n; i++) {
		snprintf(note, sizeof(note), "entry %llu", (unsigned long long)i);
		append(fx, note);
	}
	proofs_verify(fx, n);		/* before the commit */
	commit(fx, n);
	proofs_verify(fx, n);		/* after it, from the cache */
	proofs_verify(fx, n / 2 + 1);	/* in an older, smaller tree */
}

/* Leaf i's hash read from the store, for the proofs made here from the
 * entries alone. */
static int
entry_leaf(void *arg, uint64_t index, uint8_t out[32])
{
	struct journal_fixture *fx = arg;
	size_t len;
	char *e;
	int rc;

	if (journal_entry(fx->j, index, &e, &len) != 0)
		return -1;
	rc = merkle_leaf_hash(e, len, out);
	free(e);
	return rc;
}

/* journal_consistency (from the tree it keeps) gives byte for byte the
 * RFC 6962 proof computed from the entries, over sizes around the blocks
 * it keeps (256 entries and up); and after another connection changed an
 * entry, the proof over the entries as they are now. */
static void
consistency_matches(struct journal_fixture *fx, uint64_t n)
{
	static const uint64_t ms[] = { 1, 2, 3, 255, 256, 257, 511, 512, 513, 1023, 1024,
	    1025, 1500, 2047, 2048, 2049, 2600 };
	uint8_t a[MERKLE_PROOF_MAXLEN], b[MERKLE_PROOF_MAXLEN];
	size_t la, lb, i;

	for (i = 0; i < sizeof(ms) / sizeof(ms[0]) && ms[i] <= n; i++) {
		assert_int_equal(journal_consistency(fx->j, ms[i], n, a, &la), 0);
		assert_int_equal(merkle_consistency_proof(ms[i], n, entry_leaf, fx, b, &lb), 0);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la * MERKLE_HASH_LEN);
	}
}

static void
test_consistency_from_the_tree(void **state)
{
	struct journal_fixture *fx = *state;
	uint64_t i, n = 2600, sizes[] = { 300, 1100, 2049, 2600 };
	size_t k = 0;
	char note[32], *err = NULL;
	sqlite3 *other;

	assert_int_equal(store_batch_begin(fx->st), 0);
	for (i = 0; i < n; i++) {
		snprintf(note, sizeof(note), "entry %llu", (unsigned long long)i);
		append(fx, note);
		if (i + 1 == sizes[k]) {	/* the tree grows between proofs */
			commit(fx, sizes[k]);
			journal_committed_now(fx->j);
			consistency_matches(fx, sizes[k]);
			if (++k < sizeof(sizes) / sizeof(sizes[0]))
				assert_int_equal(store_batch_begin(fx->st), 0);
		}
	}
	/* read ahead and scrubbed: nothing changed */
	while (journal_prefill(fx->j, 500) > 0)
		;
	for (i = 0; i < 12; i++) {
		int rc = journal_scrub(fx->j, 256);

		/* a pass ends at the last whole block, then starts again */
		assert_int_equal(rc, (i + 1) % (n / 256) == 0 ? 2 : 0);
	}
	consistency_matches(fx, n);
	/* another connection rewrites entry 5: the proofs follow the entries */
	assert_int_equal(sqlite3_open(fx->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "UPDATE journal SET entry = CAST('rewritten' AS "
	    "BLOB) WHERE seq = 5", NULL, NULL, &err), SQLITE_OK);
	sqlite3_close(other);
	consistency_matches(fx, n);
}

/* The committed size as the record's late notices read it, in PostgreSQL
 * mode, where after a commit the next batch is usually open already: the
 * entries committed, never the open batch's, and never held back at an
 * older commit's for as long as batches keep opening. */
static void
test_committed_with_a_batch_open(void **state)
{
	struct journal_fixture *fx = *state;
	int i;

	assert_int_equal(store_batch_begin(fx->st), 0);
	for (i = 0; i < 10; i++)
		append(fx, "first");
	commit(fx, 10);
	assert_int_equal(store_batch_begin(fx->st), 0);
	journal_committed_now(fx->j);		/* nothing of this batch yet */
	assert_int_equal(journal_committed(fx->j), 10);
	append(fx, "second");
	journal_committed_now(fx->j);
	assert_int_equal(journal_committed(fx->j), 10);
	for (i = 0; i < 4; i++)
		append(fx, "second");
	commit(fx, 15);
	/* no notice at this commit: the next comes with a batch open */
	assert_int_equal(store_batch_begin(fx->st), 0);
	append(fx, "third");
	journal_committed_now(fx->j);
	assert_int_equal(journal_committed(fx->j), 15);
	store_batch_rollback(fx->st);
	journal_committed_now(fx->j);
	assert_int_equal(journal_committed(fx->j), 15);
	/* a request rolled back to its savepoint takes nothing before it */
	assert_int_equal(store_batch_begin(fx->st), 0);
	assert_int_equal(store_savepoint(fx->st), 0);
	append(fx, "fourth");
	store_savepoint_rollback(fx->st);
	append(fx, "fourth");
	journal_committed_now(fx->j);
	assert_int_equal(journal_committed(fx->j), 15);
	commit(fx, 16);
	journal_committed_now(fx->j);
	assert_int_equal(journal_committed(fx->j), 16);
}

/* A proof to the checkpoint of a turn whose commit then fails: the tree
 * keeps no hash of the entries taken back, it is read while a batch is
 * open (the committed entries only: on a busy daemon a batch is always
 * open), and the scrub does not take the rollback for a change behind
 * SQLite's back. */
static void
test_tree_after_a_failed_commit(void **state)
{
	struct journal_fixture *fx = *state;
	uint64_t i, size;
	char note[32];

	assert_int_equal(store_batch_begin(fx->st), 0);
	for (i = 0; i < 300; i++) {
		snprintf(note, sizeof(note), "kept %llu", (unsigned long long)i);
		append(fx, note);
	}
	commit(fx, 300);
	journal_committed_now(fx->j);
	assert_int_equal(store_batch_begin(fx->st), 0);
	for (i = 0; i < 600; i++) {
		snprintf(note, sizeof(note), "taken back %llu", (unsigned long long)i);
		append(fx, note);
	}
	/* Told of a commit while this batch is open (the record's late
	 * notice): the committed size does not take the open batch in. */
	journal_committed_now(fx->j);
	assert_int_equal(journal_committed(fx->j), 300);
	/* All 300 committed read with the batch open, none of the 600. */
	assert_int_equal(journal_prefill(fx->j, 500), 0);
	assert_int_equal(journal_checkpoint(fx->j, &size), 0);
	assert_int_equal(size, 900);
	consistency_matches(fx, 900);
	store_batch_rollback(fx->st);
	while (journal_prefill(fx->j, 500) > 0)
		;
	for (i = 0; i < 4; i++)
		assert_int_equal(journal_scrub(fx->j, 256), 2);	/* one block: each a pass */
	consistency_matches(fx, 300);
}

/* Close the journal and the store and open both again: proofs then come
 * from the stored nodes, not from the cache. */
static void
reopen(struct journal_fixture *fx)
{
	char err[256];

	journal_free(fx->j);
	fx->j = NULL;
	store_close(fx->st);
	fx->st = NULL;
	if (store_open(fx->path, &fx->st, err, sizeof(err)) != 0)
		fail_msg("reopen: %s", err);
	assert_non_null(fx->j = journal_new(fx->st, fx->clk, fx->key));
	assert_int_equal(journal_check_start(fx->j, err, sizeof(err)), 0);
}

/* A store of schema 10 (nodes keyed by level and index) is migrated to
 * nodes keyed by the leaf that completes them, and every proof still
 * verifies from the stored nodes. */
static void
test_nodes_migrated(void **state)
{
	struct journal_fixture *fx = *state;
	char note[32];
	uint64_t i, n = 300;
	int64_t nodes;

	assert_int_equal(store_batch_begin(fx->st), 0);
	for (i = 0; i < n; i++) {
		snprintf(note, sizeof(note), "entry %llu", (unsigned long long)i);
		append(fx, note);
	}
	commit(fx, n);
	reopen(fx);
	proofs_verify(fx, n);
	nodes_match_entries(fx, n);
	nodes = journal_fixture_int(fx, "SELECT count(*) FROM journal_node");

	/* Back to schema 10's layout, as an older parleyd left it. */
	assert_int_equal(store_exec(fx->st,
	    "CREATE TABLE journal_node_10("
	    "  level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,"
	    "  PRIMARY KEY(level, idx)) WITHOUT ROWID;"
	    "INSERT INTO journal_node_10 SELECT level, ((last_leaf + 1) >> level) - 1, hash"
	    "  FROM journal_node;"
	    "DROP TABLE journal_node;"
	    "ALTER TABLE journal_node_10 RENAME TO journal_node;"
	    /* and without what 12 -> 13 to 21 -> 22 added */
	    SCHEMA_UNDO_TO_12
	    "PRAGMA user_version = 10;"), 0);
	reopen(fx);
	assert_int_equal(store_user_version(fx->st), STORE_SCHEMA_VERSION);
	assert_int_equal(journal_fixture_int(fx, "SELECT count(*) FROM journal_node"), nodes);
	nodes_match_entries(fx, n);
	proofs_verify(fx, n);
	proofs_verify(fx, n / 2 + 1);
	verify_ok(fx, "300 entries");

	/* The proofs are made of the stored nodes: the subtree of leaves 0..15
	 * is a sibling in the proofs of leaves 16..31, and a wrong hash there
	 * breaks them (a node not found would be computed from the leaves). */
	assert_int_equal(store_exec(fx->st, "UPDATE journal_node SET hash = zeroblob(32)"
	    " WHERE last_leaf = 15 AND level = 4"), 0);
	reopen(fx);
	assert_int_equal(proofs_failing(fx, n), 16);
}

/* SQLite's progress handler interrupts the statement running after `left`
 * more callbacks: a real store error (SQLITE_INTERRUPT) at a chosen point
 * of a read.  left < 0 only counts. */
struct cut {
	long left, calls;
};

static int
cut_cb(void *arg)
{
	struct cut *c = arg;

	c->calls++;
	return c->left >= 0 && c->left-- == 0;
}

/* journal_verify or journal_show under a cut after `at` callbacks (-1: no
 * cut): its result, with the status and error it left in o. */
static int
run_cut(struct journal_fixture *fx, int show, long at, struct cut *c, struct out *o)
{
	int rc;

	c->left = at;
	c->calls = 0;
	assert_int_equal(out_init(o), 0);
	sqlite3_progress_handler(store_db(fx->st), 1, cut_cb, c);
	rc = show ? journal_show(fx->j, 0, NULL, 1, o) : journal_verify(fx->j, o);
	sqlite3_progress_handler(store_db(fx->st), 0, NULL, NULL);
	return rc;
}

/* A read that fails part way is a store failure, never a shorter record
 * that looks whole: cut at every tenth of the way through journal verify
 * and journal show, each must refuse and say so. */
static void
test_store_errors_refuse(void **state)
{
	struct journal_fixture *fx = *state;
	struct cut c;
	struct out o;
	char note[32];
	uint64_t i, n = 200;
	long total, at;
	int show;

	assert_int_equal(store_batch_begin(fx->st), 0);
	for (i = 0; i < n; i++) {
		snprintf(note, sizeof(note), "entry %llu", (unsigned long long)i);
		append(fx, note);
		if (i % 50 == 49)
			commit(fx, i + 1);	/* four checkpoints to check */
		if (i % 50 == 49 && i + 1 < n)
			assert_int_equal(store_batch_begin(fx->st), 0);
	}
	for (show = 0; show <= 1; show++) {
		assert_int_equal(run_cut(fx, show, -1, &c, &o), 0);
		assert_int_equal(o.status, 0);
		out_release(&o);
		total = c.calls;
		assert_true(total > 100);
		for (at = 0; at < total; at += total / 10) {
			assert_int_equal(run_cut(fx, show, at, &c, &o), -1);
			assert_int_equal(o.status, 1);
			if (strstr(o.error, "store failure") == NULL)
				fail_msg("journal %s cut after %ld of %ld steps said \"%s\"",
				    show ? "show" : "verify", at, total, o.error);
			out_release(&o);
		}
	}
	verify_ok(fx, "200 entries");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rollbacks_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inclusion_proofs_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consistency_from_the_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_after_a_failed_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_committed_with_a_batch_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nodes_migrated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_errors_refuse, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
