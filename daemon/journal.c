#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "crypto.h"
#include "journal.h"
#include "json.h"
#include "log.h"
#include "merkle.h"
#include "ptime.h"

/* Hashes of subtrees (level 0: leaves), written through as entries are
 * appended: the inclusion proofs of a release bundle are mostly of entries
 * of this very turn, and share their siblings with the next release's.
 * Direct-mapped.  A rollback removes a suffix of the entries; when
 * frontier_now sees one, every hash covering a removed entry goes. */
#define NODE_CACHE 4096

struct node_slot {
	uint64_t idx;
	unsigned level;
	int used;
	uint8_t hash[32];
};

/* The tree consistency proofs are made from: the hashes of its perfect
 * subtrees of 2^VT_LEVEL leaves and more, computed by this process from the
 * entries themselves, read in order once and then as the record grows.  A
 * proof takes its big subtrees from here and hashes the rest from the
 * entries: O(log n) pieces of fewer than 2^VT_LEVEL entries each, not all n
 * entries on every connection.  The hashes come from the entries, not from
 * the stored nodes, so an entry edited in the store is still caught at the
 * next connection: the store's data_version tells when another process
 * wrote the file, and the tree is then read again from the entries (as it
 * is once after every start).  A write to the file that bypassed SQLite
 * moves no data_version: journal_scrub hashes the blocks again from the
 * store, round and round, and throws the tree away at the first that
 * changed.  About 256 bytes per 1,024 entries. */
#define VT_LEVEL 8
#define VT_LEVELS (64 - VT_LEVEL)

struct vtree {
	uint64_t size;			/* entries hashed: [0, size) */
	struct merkle_frontier chunk;	/* the leaves since the last whole chunk */
	uint8_t (*node[VT_LEVELS])[32];	/* [k][i]: level VT_LEVEL + k, index i */
	uint64_t count[VT_LEVELS], cap[VT_LEVELS];
	int64_t data_version;		/* the store's, when read; -1: not read */
	uint64_t scrub;			/* the next block journal_scrub hashes */
};

struct journal {
	struct store *st;
	struct clock *clk;
	EVP_PKEY *mkey;
	uint8_t mpub[32];
	char origin[64];
	/* The frontier between appends.  The journal_state row is written
	 * once per commit (journal_checkpoint runs just before it); before
	 * each use the frontier is checked against the number of entries in
	 * the store, so a rolled-back request or commit (whose entries are
	 * gone) is noticed and the frontier rebuilt from the row and the
	 * entries after it. */
	struct merkle_frontier f;
	int f_valid;
	int f_dirty;		/* newer than the row */
	int64_t committed;	/* entries as of the last commit */
	uint64_t batch;		/* the batch the journal last appended in, */
	int64_t before_batch;	/* and its size before that batch's first entry */
	struct node_slot cache[NODE_CACHE];
	struct vtree vt;
};

static struct node_slot *
slot_of(struct journal *j, unsigned level, uint64_t idx)
{
	uint64_t h = (idx * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)level << 58);

	return &j->cache[(h >> 40) % NODE_CACHE];
}

static int
cache_get(struct journal *j, unsigned level, uint64_t idx, uint8_t out[32])
{
	struct node_slot *sl = slot_of(j, level, idx);

	if (!sl->used || sl->level != level || sl->idx != idx)
		return 1;
	memcpy(out, sl->hash, 32);
	return 0;
}

static void
cache_put(struct journal *j, unsigned level, uint64_t idx, const uint8_t hash[32])
{
	struct node_slot *sl = slot_of(j, level, idx);

	sl->used = 1;
	sl->level = level;
	sl->idx = idx;
	memcpy(sl->hash, hash, 32);
}

/* Entries from n on were rolled back: forget every hash that covers one. */
static void
cache_drop_from(struct journal *j, uint64_t n)
{
	size_t i;

	for (i = 0; i < NODE_CACHE; i++) {
		struct node_slot *sl = &j->cache[i];
		if (sl->used && (sl->level >= 63 || sl->idx >= (UINT64_MAX >> sl->level) ||
		    ((sl->idx + 1) << sl->level) > n))
			sl->used = 0;
	}
}


struct journal *
journal_new(struct store *st, struct clock *clk, EVP_PKEY *mkey)
{
	struct journal *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return NULL;
	j->st = st;
	j->clk = clk;
	j->mkey = mkey;
	j->vt.data_version = -1;
	if (crypto_pubkey_raw(mkey, j->mpub) != 0 || checkpoint_origin(j->mpub, j->origin) != 0) {
		free(j);
		return NULL;
	}
	return j;
}

static void vt_reset(struct vtree *v);

void
journal_free(struct journal *j)
{
	if (j == NULL)
		return;
	vt_reset(&j->vt);
	free(j);
}

const char *
journal_origin(const struct journal *j)
{
	return j->origin;
}

static int
load_frontier(struct journal *j, struct merkle_frontier *f)
{
	static const char sql[] = "SELECT frontier FROM journal_state WHERE id = 1";
	sqlite3_stmt *s = store_stmt(j->st, sql);
	int rc = 0, step;

	merkle_frontier_init(f);
	if (s == NULL)
		return -1;
	/* No row is an empty record; a failed read is not (an empty frontier
	 * would sign the next checkpoint over the wrong tree). */
	if ((step = sqlite3_step(s)) == SQLITE_ROW)
		rc = merkle_frontier_decode(sqlite3_column_blob(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0), f);
	if (store_rows_end(j->st, s, step, "the journal's frontier") != 0)
		rc = -1;
	return rc;
}

static int
save_frontier(struct journal *j, const struct merkle_frontier *f)
{
	static const char sql[] =
	    "INSERT INTO journal_state(id, frontier) VALUES(1, ?) "
	    "ON CONFLICT(id) DO UPDATE SET frontier = excluded.frontier";
	uint8_t buf[MERKLE_FRONTIER_MAXLEN];
	sqlite3_stmt *s;
	size_t len;
	int rc;

	rc = merkle_frontier_encode(f, buf, sizeof(buf), &len);
	if (rc != 0)
		return -1;
	s = store_stmt(j->st, sql);
	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, buf, (int)len, SQLITE_STATIC);
	return store_step_done(j->st, s);
}

static int leaf_of(void *arg, uint64_t index, uint8_t out[32]);

/* Entries in the store: seq runs 0..n-1 without gaps. */
static int
count_entries(struct journal *j, uint64_t *n)
{
	static const char sql[] = "SELECT ifnull(max(seq) + 1, 0) FROM journal";
	sqlite3_stmt *s = store_stmt(j->st, sql);
	int step, end;

	if (s == NULL)
		return -1;
	step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(s, 0);
	end = store_rows_end(j->st, s, step, "the journal's size");
	/* An aggregate always has its one row: none is a failure too. */
	if (end != 0 || step != SQLITE_ROW)
		return -1;
	return 0;
}

/* j->f as of the entries now in the store. */
static int
frontier_now(struct journal *j)
{
	uint8_t leaf[32];
	uint64_t n, seq;

	if (count_entries(j, &n) != 0)
		return -1;
	if (j->f_valid && j->f.size == n)
		return 0;
	if (j->f_valid)
		cache_drop_from(j, n);
	if (j->vt.size > n)
		vt_reset(&j->vt);
	j->f_valid = 0;
	if (load_frontier(j, &j->f) != 0 || j->f.size > n) {
		log_warnx("journal: the stored frontier does not match the entries");
		return -1;
	}
	j->f_dirty = j->f.size != n;
	for (seq = j->f.size; seq < n; seq++)
		if (leaf_of(j, seq, leaf) != 0 || merkle_frontier_append(&j->f, leaf) != 0)
			return -1;
	j->f_valid = 1;
	return 0;
}

/* Write the frontier row if the entries moved past it. */
static int
sync_frontier(struct journal *j)
{
	if (frontier_now(j) != 0)
		return -1;
	if (j->f_dirty && save_frontier(j, &j->f) != 0)
		return -1;
	j->f_dirty = 0;
	return 0;
}

/* The perfect subtrees a new leaf completes, as the frontier merges them:
 * kept so that inclusion proofs cost O(log^2 n) lookups, not O(n) reads. */
static int
save_nodes(struct journal *j, const struct merkle_frontier *before, const uint8_t leaf[32])
{
	static const char ins[] = "INSERT OR REPLACE INTO journal_node(last_leaf, level, hash) "
	    "VALUES(?, ?, ?)";
	uint8_t carry[32];
	unsigned k;
	sqlite3_stmt *s;
	int rc;

	memcpy(carry, leaf, 32);
	for (k = 0; (before->size >> k) & 1; k++) {
		rc = merkle_node_hash(before->hash[k], carry, carry);
		if (rc != 0)
			return -1;
		s = store_stmt(j->st, ins);
		if (s == NULL)
			return -1;
		/* Leaf before->size completes every node it merges. */
		sqlite3_bind_int64(s, 1, (int64_t)before->size);
		sqlite3_bind_int(s, 2, (int)k + 1);
		sqlite3_bind_blob(s, 3, carry, 32, SQLITE_STATIC);
		rc = store_step_done(j->st, s);
		if (rc != 0)
			return -1;
		cache_put(j, k + 1, ((before->size + 1) >> (k + 1)) - 1, carry);
	}
	return 0;
}

int
journal_append(struct journal *j, const char *kind, int64_t agreement, const char *party,
    const uint8_t (*hashes)[32], size_t nh, const char *note)
{
	static const char ins[] =
	    "INSERT INTO journal(seq, entry, kind, agreement_id, party) VALUES(?, ?, ?, ?, ?)";
	struct merkle_frontier *f = &j->f;
	uint8_t leaf[32];
	char *buf = NULL, when[PTIME_BUFLEN], hex[65];
	size_t len = 0, i;
	sqlite3_stmt *s;
	FILE *m;
	int rc;

	if (frontier_now(j) != 0) {
		log_warnx("journal: the stored frontier is unreadable");
		return -1;
	}
	if (store_in_batch(j->st) && j->batch != store_batch_number(j->st)) {
		j->batch = store_batch_number(j->st);
		j->before_batch = (int64_t)f->size;
	}
	if ((m = open_memstream(&buf, &len)) == NULL)
		return -1;
	ptime_format_utc(clock_now(j->clk), when);
	fprintf(m, "parley journal entry v1\nseq: %llu\ntime: %s\nkind: %s\nagreement: %lld\n"
	    "party: %s\n", (unsigned long long)f->size, when, kind, (long long)agreement,
	    party && *party ? party : "-");
	for (i = 0; i < nh; i++) {
		hex_encode(hashes[i], 32, hex);
		fprintf(m, "sha256: %s\n", hex);
	}
	if (note != NULL && *note != '\0') {
		fputs("note: ", m);
		for (; *note; note++)
			fputc(*note == '\n' || *note == '\r' ? ' ' : *note, m);
		fputc('\n', m);
	}
	if (fclose(m) != 0) {
		free(buf);
		return -1;
	}
	rc = merkle_leaf_hash(buf, len, leaf);
	if (rc != 0) {
		free(buf);
		return -1;
	}
	s = store_stmt(j->st, ins);
	if (s == NULL) {
		free(buf);
		return -1;
	}
	sqlite3_bind_int64(s, 1, (int64_t)f->size);
	sqlite3_bind_blob(s, 2, buf, (int)len, free);
	sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
	if (agreement > 0)
		sqlite3_bind_int64(s, 4, agreement);
	sqlite3_bind_text(s, 5, party && *party ? party : "-", -1, SQLITE_STATIC);
	rc = store_step_done(j->st, s);
	/* On failure the entry count tells frontier_now to rebuild. */
	if (rc != 0)
		return -1;
	cache_put(j, 0, f->size, leaf);
	rc = save_nodes(j, f, leaf);
	if (rc != 0)
		return -1;
	rc = merkle_frontier_append(f, leaf);
	if (rc != 0)
		return -1;
	j->f_dirty = 1;
	return 0;
}

static int
last_checkpoint(struct journal *j, uint64_t *size, uint8_t root[32])
{
	static const char sql[] = "SELECT size, root FROM checkpoint ORDER BY size DESC LIMIT 1";
	sqlite3_stmt *s = store_stmt(j->st, sql);
	int rc = 1, step;

	if (s == NULL)
		return -1;
	if ((step = sqlite3_step(s)) == SQLITE_ROW && sqlite3_column_bytes(s, 1) == 32) {
		*size = (uint64_t)sqlite3_column_int64(s, 0);
		memcpy(root, sqlite3_column_blob(s, 1), 32);
		rc = 0;
	}
	if (store_rows_end(j->st, s, step, "the last checkpoint") != 0)
		rc = -1;
	return rc;
}

int
journal_checkpoint(struct journal *j, uint64_t *size)
{
	static const char ins[] =
	    "INSERT INTO checkpoint(size, root, text, created_at) VALUES(?, ?, ?, ?)";
	const struct merkle_frontier *f = &j->f;
	uint8_t root[32], lroot[32];
	uint64_t last = 0;
	sqlite3_stmt *s;
	char *text;
	int rc;

	if (sync_frontier(j) != 0 || (rc = last_checkpoint(j, &last, lroot)) < 0)
		return -1;
	*size = f->size;
	if (f->size == 0 || (rc == 0 && last >= f->size))
		return 0;
	if (merkle_frontier_root(f, root) != 0 ||
	    checkpoint_format(j->origin, f->size, root, j->mkey, j->origin, &text) != 0)
		return -1;
	s = store_stmt(j->st, ins);
	if (s == NULL) {
		free(text);
		return -1;
	}
	sqlite3_bind_int64(s, 1, (int64_t)f->size);
	sqlite3_bind_blob(s, 2, root, 32, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, text, -1, free);
	sqlite3_bind_int64(s, 4, clock_now(j->clk));
	return store_step_done(j->st, s);
}

int
journal_latest(struct journal *j, char **text, uint64_t *size)
{
	static const char sql[] = "SELECT size, text FROM checkpoint ORDER BY size DESC LIMIT 1";
	sqlite3_stmt *s = store_stmt(j->st, sql);
	int rc = 1, step;

	if (s == NULL)
		return -1;
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		*size = (uint64_t)sqlite3_column_int64(s, 0);
		*text = strdup((const char *)sqlite3_column_text(s, 1));
		rc = *text ? 0 : -1;
	}
	if (store_rows_end(j->st, s, step, "the latest checkpoint") != 0)
		rc = -1;
	return rc;
}

/* Leaves come from the entries themselves, so an edited row changes the
 * tree and no longer matches what the mediator signed. */
static int
leaf_of(void *arg, uint64_t index, uint8_t out[32])
{
	static const char sql[] = "SELECT entry FROM journal WHERE seq = ?";
	struct journal *j = arg;
	sqlite3_stmt *s = store_stmt(j->st, sql);
	int rc = -1, step, end;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (int64_t)index);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		rc = merkle_leaf_hash(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0),
		    out);
	/* No such entry is -1 too: the tree is not what was asked for. */
	end = store_rows_end(j->st, s, step, "a journal entry's leaf");
	if (end != 0)
		return -1;
	return rc;
}

/* ---- the tree of consistency proofs (struct vtree) ---- */

static void
vt_reset(struct vtree *v)
{
	int64_t dv = v->data_version;
	unsigned k;

	for (k = 0; k < VT_LEVELS; k++)
		free(v->node[k]);
	memset(v, 0, sizeof(*v));
	v->data_version = dv;
}

/* A perfect subtree of level VT_LEVEL + k, the next at that level; two
 * make one a level up, as a binary counter carries. */
static int
vt_push(struct vtree *v, unsigned k, const uint8_t hash[32])
{
	uint8_t up[32];

	for (; k < VT_LEVELS; k++) {
		if (v->count[k] == v->cap[k]) {
			uint64_t ncap = v->cap[k] ? v->cap[k] * 2 : 16;
			uint8_t (*nn)[32] = realloc(v->node[k], (size_t)ncap * 32);
			if (nn == NULL)
				return -1;
			v->node[k] = nn;
			v->cap[k] = ncap;
		}
		memcpy(v->node[k][v->count[k]++], hash, 32);
		if (v->count[k] % 2 != 0)
			return 0;
		if (merkle_node_hash(v->node[k][v->count[k] - 2], v->node[k][v->count[k] - 1],
		    up) != 0)
			return -1;
		hash = up;
	}
	return 0;
}

static int
vt_add_leaf(struct vtree *v, const uint8_t leaf[32])
{
	uint8_t root[32];

	if (merkle_frontier_append(&v->chunk, leaf) != 0)
		return -1;
	v->size++;
	if (v->chunk.size < (UINT64_C(1) << VT_LEVEL))
		return 0;
	if (merkle_frontier_root(&v->chunk, root) != 0 || vt_push(v, 0, root) != 0)
		return -1;
	merkle_frontier_init(&v->chunk);
	return 0;
}

/* Entries [lo, hi) in order, each one's leaf hash to fn, which may stop
 * the scan by returning nonzero: 0 every one given, 1 a gap in seq (a tree
 * that is not the one asked for), a leaf that could not be hashed or fn
 * stopped, -1 on a store failure. */
static int
leaves_in(struct journal *j, uint64_t lo, uint64_t hi,
    int (*fn)(void *arg, const uint8_t leaf[32]), void *arg)
{
	static const char rows[] =
	    "SELECT seq, entry FROM journal WHERE seq >= ?1 AND seq < ?2 ORDER BY seq";
	uint8_t leaf[32];
	uint64_t seq = lo;
	sqlite3_stmt *s;
	int step;

	if ((s = store_stmt(j->st, rows)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (int64_t)lo);
	sqlite3_bind_int64(s, 2, (int64_t)hi);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if ((uint64_t)sqlite3_column_int64(s, 0) != seq ||
		    merkle_leaf_hash(sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1),
		    leaf) != 0 || fn(arg, leaf) != 0) {
			sqlite3_reset(s);
			return 1;
		}
		seq++;
	}
	if (store_rows_end(j->st, s, step, "the journal's entries") != 0)
		return -1;
	return seq == hi ? 0 : 1;
}

static int
vt_leaf(void *arg, const uint8_t leaf[32])
{
	return vt_add_leaf(arg, leaf);
}

/* The tree as of the store now: thrown away if another connection wrote
 * the store (it is then read again from the entries), or if entries it
 * covers were rolled back (a turn whose commit failed; frontier_now, which
 * every append runs first, does the same).  -1 on a store failure. */
static int
vt_sync(struct journal *j)
{
	static const char dv_sql[] = "PRAGMA data_version";
	struct vtree *v = &j->vt;
	sqlite3_stmt *s;
	uint64_t have;
	int64_t dv = -1;
	int step;

	if ((s = store_stmt(j->st, dv_sql)) == NULL)
		return -1;
	if ((step = sqlite3_step(s)) == SQLITE_ROW)
		dv = sqlite3_column_int64(s, 0);
	if (store_rows_end(j->st, s, step, "the store's data version") != 0 || dv < 0 ||
	    count_entries(j, &have) != 0)
		return -1;
	if (dv != v->data_version || v->size > have) {
		if (v->data_version >= 0 && dv != v->data_version)
			log_info("journal: the store was written by another connection; the "
			    "record's tree is read again from its entries");
		vt_reset(v);
		v->data_version = dv;
	}
	return 0;
}

/* The tree, as vt_sync left it, over at least entries [0, n), extended
 * in one pass. */
static int
vt_extend(struct journal *j, uint64_t n)
{
	struct vtree *v = &j->vt;

	if (v->size >= n)
		return 0;
	if (leaves_in(j, v->size, n, vt_leaf, v) != 0 || v->size != n) {
		vt_reset(v);
		return -1;
	}
	return 0;
}

static int
vt_node(void *arg, unsigned level, uint64_t index, uint8_t out[32])
{
	const struct vtree *v = &((struct journal *)arg)->vt;
	unsigned k;

	if (level < VT_LEVEL)
		return 1;
	k = level - VT_LEVEL;
	if (k >= VT_LEVELS || index >= v->count[k])
		return 1;
	memcpy(out, v->node[k][index], 32);
	return 0;
}

/* journal_scrub's pass: the leaves of whole blocks, each block's hash
 * compared with the tree's as it completes. */
struct scrub {
	const struct vtree *v;
	struct merkle_frontier f;
	uint64_t block;			/* the block being hashed */
};

static int
scrub_leaf(void *arg, const uint8_t leaf[32])
{
	struct scrub *sc = arg;
	uint8_t root[32];

	if (merkle_frontier_append(&sc->f, leaf) != 0)
		return 1;
	if (sc->f.size < (UINT64_C(1) << VT_LEVEL))
		return 0;
	if (merkle_frontier_root(&sc->f, root) != 0 ||
	    memcmp(root, sc->v->node[0][sc->block], 32) != 0)
		return 1;
	sc->block++;
	merkle_frontier_init(&sc->f);
	return 0;
}

int
journal_scrub(struct journal *j, uint64_t max)
{
	const uint64_t bsize = UINT64_C(1) << VT_LEVEL;
	struct vtree *v = &j->vt;
	struct scrub sc;
	uint64_t end;
	int rc;

	/* A rollback or another connection's write is not a change behind
	 * SQLite's back: the tree follows those first. */
	if (vt_sync(j) != 0)
		return -1;
	if (v->count[0] == 0)
		return 2;
	if (v->scrub >= v->count[0])
		v->scrub = 0;
	sc.v = v;
	sc.block = v->scrub;
	merkle_frontier_init(&sc.f);
	end = sc.block + (max / bsize > 0 ? max / bsize : 1);
	if (end > v->count[0])
		end = v->count[0];
	if ((rc = leaves_in(j, sc.block * bsize, end * bsize, scrub_leaf, &sc)) < 0)
		return -1;
	if (rc > 0 || sc.block != end) {
		log_warnx("journal: entries %llu to %llu no longer hash to what they did when "
		    "parleyd read them: the store was changed behind SQLite's back; the record's "
		    "tree is read again from its entries, and parties see the change at their "
		    "next connection", (unsigned long long)(sc.block * bsize),
		    (unsigned long long)((sc.block + 1) * bsize - 1));
		vt_reset(v);
		return 1;
	}
	v->scrub = end;
	return end == v->count[0] ? 2 : 0;
}

int
journal_prefill(struct journal *j, uint64_t max)
{
	uint64_t have, want = j->committed > 0 ? (uint64_t)j->committed : 0;

	/* Only committed entries go into the tree (want): a turn's open batch
	 * appends after them, and its rollback takes back only its own.  So
	 * the reading goes on while batches are open, as on a daemon that is
	 * never idle they always are. */
	if (vt_sync(j) != 0)
		return -1;
	if ((have = j->vt.size) >= want)
		return 0;
	if (vt_extend(j, want - have > max ? have + max : want) != 0)
		return -1;
	return j->vt.size < want;
}

int
journal_consistency(struct journal *j, uint64_t m, uint64_t n, uint8_t *out, size_t *len)
{
	if (m == n) {
		*len = 0;
		return 0;
	}
	/* The tree holds committed entries only: a proof to a checkpoint
	 * written in this turn (release() writes one) hashes the rest from
	 * the entries, which a failed commit may still take back. */
	if (vt_sync(j) != 0 ||
	    vt_extend(j, (int64_t)n < j->committed ? n : (uint64_t)j->committed) != 0)
		return -1;
	return merkle_consistency_proof_cached(m, n, leaf_of, vt_node, j, out, len);
}

static int
node_of(void *arg, unsigned level, uint64_t index, uint8_t out[32])
{
	static const char sql[] = "SELECT hash FROM journal_node WHERE last_leaf = ? AND level = ?";
	struct journal *j = arg;
	sqlite3_stmt *s;
	int rc = 1, step;

	/* Node (level, index) ends with leaf ((index + 1) << level) - 1. */
	if (level >= 63 || index >= (UINT64_C(1) << (63 - level)) - 1)
		return 1;
	if ((s = store_stmt(j->st, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (int64_t)(((index + 1) << level) - 1));
	sqlite3_bind_int(s, 2, (int)level);
	if ((step = sqlite3_step(s)) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32) {
		memcpy(out, sqlite3_column_blob(s, 0), 32);
		rc = 0;
	}
	if (store_rows_end(j->st, s, step, "a journal node") != 0)
		rc = -1;
	return rc;
}

static int
leaf_cached(void *arg, uint64_t index, uint8_t out[32])
{
	struct journal *j = arg;

	if (cache_get(j, 0, index, out) == 0)
		return 0;
	if (leaf_of(j, index, out) != 0)
		return -1;
	cache_put(j, 0, index, out);
	return 0;
}

static int
node_cached(void *arg, unsigned level, uint64_t index, uint8_t out[32])
{
	struct journal *j = arg;
	int rc;

	if (cache_get(j, level, index, out) == 0)
		return 0;
	if ((rc = node_of(j, level, index, out)) == 0)
		cache_put(j, level, index, out);
	return rc;
}

int64_t
journal_size(struct journal *j)
{
	return frontier_now(j) == 0 ? (int64_t)j->f.size : -1;
}

int64_t
journal_committed(const struct journal *j)
{
	return j->committed;
}

void
journal_committed_now(struct journal *j)
{
	int64_t n;

	/* Inside a batch the journal counts what is not committed yet: a
	 * caller out of turn (the record's late notice that a commit is
	 * durable, in PostgreSQL) takes the size before the batch's first
	 * entry, or the size itself if the batch has none yet.  On a busy
	 * daemon a batch is nearly always open: keeping the last known size
	 * instead would hold watches and alerts back for as long. */
	if (store_in_batch(j->st) && j->batch == store_batch_number(j->st))
		n = j->before_batch;
	else
		n = journal_size(j);
	/* a failed read keeps the last known size: less, never more */
	if (n >= 0)
		j->committed = n;
}

/* Bundles' inclusion proofs use the stored nodes (a release stays O(log n)
 * in the journal's size) through the cache of subtree hashes; the
 * consistency proofs parties ask for on every connection are computed from
 * the entries themselves (struct vtree), so that an entry edited in the
 * store is caught at the next connection. */
int
journal_inclusion(struct journal *j, uint64_t index, uint64_t n, uint8_t *out, size_t *len)
{
	if (frontier_now(j) != 0)	/* notices a rollback, and drops its hashes */
		return -1;
	return merkle_inclusion_proof_cached(n, index, leaf_cached, node_cached, j, out, len);
}

int
journal_check_start(struct journal *j, char *err, size_t errlen)
{
	struct merkle_frontier f;
	uint8_t root[32], lroot[32];
	uint64_t last;
	int rc;

	if (load_frontier(j, &f) != 0) {
		snprintf(err, errlen, "the journal's stored frontier is damaged");
		return -1;
	}
	if ((rc = last_checkpoint(j, &last, lroot)) != 0)
		return rc < 0 ? -1 : 0;	/* nothing signed yet */
	if (last > f.size ||
	    (last == f.size ? merkle_frontier_root(&f, root) : merkle_root(last, leaf_of, j, root))
	    != 0 || memcmp(root, lroot, 32) != 0) {
		snprintf(err, errlen, "the journal does not match its last signed checkpoint "
		    "(size %llu); refusing to sign anything inconsistent with it: run parleyctl "
		    "journal verify on a copy of the store", (unsigned long long)last);
		return -1;
	}
	return 0;
}

int
journal_entry(struct journal *j, uint64_t seq, char **entry, size_t *len)
{
	static const char sql[] = "SELECT entry FROM journal WHERE seq = ?";
	sqlite3_stmt *s = store_stmt(j->st, sql);
	int rc = -1, step, end;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (int64_t)seq);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(s, 0);
		*entry = malloc(*len + 1);
		if (*entry != NULL) {
			memcpy(*entry, sqlite3_column_blob(s, 0), *len);
			(*entry)[*len] = '\0';
			rc = 0;
		}
	}
	/* No such entry is -1 as well (the caller asked for one that exists). */
	end = store_rows_end(j->st, s, step, "a journal entry");
	if (end != 0)
		return -1;
	return rc;
}

int
journal_find(struct journal *j, const char *kind, int64_t agreement, const char *party,
    uint64_t *seq)
{
	static const char sql[] =
	    "SELECT max(seq) FROM journal WHERE kind = ?1 AND agreement_id = ?2 "
	    "AND (?3 IS NULL OR party = ?3)";
	sqlite3_stmt *s = store_stmt(j->st, sql);
	int rc = -1, step, end;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, agreement);
	if (party != NULL)
		sqlite3_bind_text(s, 3, party, -1, SQLITE_STATIC);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*seq = (uint64_t)sqlite3_column_int64(s, 0);
		rc = 0;
	}
	/* None is -1 as well: every caller needs the entry. */
	end = store_rows_end(j->st, s, step, "the latest journal entry of a kind");
	if (end != 0)
		rc = -1;
	return rc;
}

/* A signed checkpoint's tree head, as journal_verify collects them. */
struct tree_head {
	uint64_t size;
	uint8_t root[32];
};

/* Check each signed checkpoint's signature and stated tree head; collect
 * the heads (malloc'd *heads, *n).  The number of faults found, the first
 * one refused in o. */
static int
verify_checkpoints(struct journal *j, struct tree_head **heads, uint64_t *n, struct out *o)
{
	static const char cps[] = "SELECT size, root, text FROM checkpoint ORDER BY size";
	struct tree_head *nh, *h;
	struct checkpoint cp;
	char err[300];
	sqlite3_stmt *s;
	int bad = 0, step;

	*heads = NULL;
	*n = 0;
	if ((s = store_stmt(j->st, cps)) == NULL) {
		out_refuse(o, "store failure");
		return 1;
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(s, 2);
		if (text == NULL) {	/* NOT NULL in the schema: out of memory */
			step = SQLITE_NOMEM;
			break;
		}
		if ((nh = realloc(*heads, (*n + 1) * sizeof(**heads))) == NULL) {
			if (!bad++)
				out_refuse(o, "out of memory");
			break;
		}
		*heads = nh;
		h = &nh[*n];
		h->size = (uint64_t)sqlite3_column_int64(s, 0);
		memset(h->root, 0, 32);
		if (sqlite3_column_bytes(s, 1) == 32)
			memcpy(h->root, sqlite3_column_blob(s, 1), 32);
		snprintf(err, sizeof(err), "its size or root differs from the signed text's");
		if (checkpoint_parse(text, strlen(text), &cp, err, sizeof(err)) != 0 ||
		    checkpoint_verify(&cp, j->mpub, j->origin, err, sizeof(err)) != 0 ||
		    cp.size != h->size || memcmp(cp.root, h->root, 32) != 0) {
			if (!bad++)
				out_refuse(o, "checkpoint of size %llu is not a valid signed statement "
				    "of its tree head: %s", (unsigned long long)h->size, err);
		}
		(*n)++;
	}
	/* A read that failed part way has not checked what it did not read. */
	if (store_rows_end(j->st, s, step, "the checkpoints") != 0 && !bad++)
		out_refuse(o, "store failure reading the checkpoints: %s", store_errmsg(j->st));
	return bad;
}

/* Every entry, in order, hashed into the tree f; each checkpoint's root
 * against it (*k: the checkpoints reached).  The number of faults found,
 * the first one refused in o. */
static int
verify_entries(struct journal *j, const struct tree_head *heads, uint64_t nsizes,
    struct merkle_frontier *f, uint64_t *k, struct out *o)
{
	static const char entries[] = "SELECT seq, entry FROM journal ORDER BY seq";
	uint8_t leaf[32], root[32];
	uint64_t expect = 0;
	char head[64];
	sqlite3_stmt *s;
	int bad = 0, step;

	merkle_frontier_init(f);
	*k = 0;
	if ((s = store_stmt(j->st, entries)) == NULL) {
		out_refuse(o, "store failure");
		return 1;
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(s, 0);
		const char *e = sqlite3_column_blob(s, 1);
		size_t len = (size_t)sqlite3_column_bytes(s, 1);
		snprintf(head, sizeof(head), "parley journal entry v1\nseq: %llu\n",
		    (unsigned long long)seq);
		if (seq != expect || len < strlen(head) || memcmp(e, head, strlen(head)) != 0) {
			out_refuse(o, "journal entry %llu is out of sequence or malformed",
			    (unsigned long long)seq);
			bad++;
			break;
		}
		merkle_leaf_hash(e, len, leaf);
		merkle_frontier_append(f, leaf);
		expect++;
		while (*k < nsizes && heads[*k].size == f->size) {
			merkle_frontier_root(f, root);
			if (memcmp(root, heads[*k].root, 32) != 0 && !bad++)
				out_refuse(o, "the journal's first %llu entries do not give the root "
				    "the mediator signed: an entry was altered",
				    (unsigned long long)heads[*k].size);
			(*k)++;
		}
	}
	if (store_rows_end(j->st, s, step, "the journal") != 0 && !bad++)
		out_refuse(o, "store failure reading entry %llu: %s", (unsigned long long)expect,
		    store_errmsg(j->st));
	return bad;
}

/* Each party's latest countersignature: the largest checkpoint it has
 * signed, and when (every signature was checked when it was received). */
static int
countersigned(struct journal *j, struct out *o)
{
	static const char sql[] =
	    "SELECT p.code, max(c.size), max(c.created_at) FROM countersignature c "
	    "JOIN party p ON p.id = c.party_id GROUP BY p.code ORDER BY p.code";
	sqlite3_stmt *s = store_stmt(j->st, sql);
	char when[PTIME_BUFLEN];
	int step;

	if (s == NULL)
		return out_refuse(o, "store failure");
	jw_arr_begin(o->json, "countersigned");
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		ptime_format_utc(sqlite3_column_int64(s, 2), when);
		jw_obj_begin(o->json, NULL);
		jw_str(o->json, "party", (const char *)sqlite3_column_text(s, 0));
		jw_int(o->json, "size", sqlite3_column_int64(s, 1));
		jw_str(o->json, "at", when);
		jw_obj_end(o->json);
		out_text(o, "%s countersigned the checkpoint of %lld entries (latest, %s)\n",
		    (const char *)sqlite3_column_text(s, 0), (long long)sqlite3_column_int64(s, 1), when);
	}
	jw_arr_end(o->json);
	if (store_rows_end(j->st, s, step, "the countersignatures") != 0)
		return out_refuse(o, "store failure reading the countersignatures: %s",
		    store_errmsg(j->st));
	return 0;
}

int
journal_verify(struct journal *j, struct out *o)
{
	struct merkle_frontier f, stored;
	struct tree_head *heads;
	uint8_t root[32];
	uint64_t nsizes, k = 0;
	char hex[65];
	int bad;

	merkle_frontier_init(&stored);
	merkle_frontier_init(&f);
	bad = verify_checkpoints(j, &heads, &nsizes, o);
	if (!bad)
		bad = verify_entries(j, heads, nsizes, &f, &k, o);
	if (!bad && k != nsizes) {
		out_refuse(o, "a checkpoint covers %llu entries; the journal has %llu",
		    (unsigned long long)heads[k].size, (unsigned long long)f.size);
		bad++;
	}
	if (!bad && (sync_frontier(j) != 0 || load_frontier(j, &stored) != 0)) {
		out_refuse(o, "store failure reading the frontier: %s", store_errmsg(j->st));
		bad++;
	}
	if (!bad && stored.size != f.size) {
		out_refuse(o, "the stored frontier does not match the journal");
		bad++;
	}
	free(heads);
	if (bad)
		return -1;
	merkle_frontier_root(&f, root);
	hex_encode(root, 32, hex);
	jw_str(o->json, "origin", j->origin);
	jw_uint(o->json, "entries", f.size);
	jw_uint(o->json, "checkpoints", k);
	jw_str(o->json, "root", hex);
	jw_bool(o->json, "ok", 1);
	out_text(o, "journal %s: %llu entries, %llu signed checkpoints, root %s: every hash "
	    "recomputed and every signature checked\n", j->origin, (unsigned long long)f.size,
	    (unsigned long long)k, hex);
	return countersigned(j, o);
}

int
journal_show(struct journal *j, int64_t agreement, const char *party, int countersigs,
    struct out *o)
{
	static const char sql[] =
	    "SELECT seq, entry FROM journal WHERE (?1 = 0 OR agreement_id = ?1) AND (?2 IS NULL "
	    "OR party = ?2 OR agreement_id IN (SELECT ap.agreement_id FROM agreement_party ap "
	    "JOIN party p ON p.id = ap.party_id WHERE p.code = ?2)) AND (?3 != 0 OR "
	    "kind != 'countersigned') ORDER BY seq";
	sqlite3_stmt *s = store_stmt(j->st, sql);
	int step = SQLITE_DONE;

	if (s == NULL)
		return out_refuse(o, "store failure");
	sqlite3_bind_int64(s, 1, agreement);
	if (party != NULL)
		sqlite3_bind_text(s, 2, party, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, countersigs);
	jw_arr_begin(o->json, "entries");
	/* Until the answer is too long to send (then refused by the caller). */
	while (!out_full(o) && (step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *e = sqlite3_column_blob(s, 1);
		int len = sqlite3_column_bytes(s, 1);
		jw_strn(o->json, NULL, e, (size_t)len);
		out_text(o, "%.*s\n", len, e);
	}
	jw_arr_end(o->json);
	/* Not a shorter record that looks whole. */
	if (store_rows_end(j->st, s, step, "the journal") != 0)
		return out_refuse(o, "store failure reading the journal: %s", store_errmsg(j->st));
	return 0;
}

int
journal_event(const char *entry, size_t len, FILE *js, FILE *tx)
{
	char name[16], val[4][700] = { "", "", "", "" }, note[700] = "";
	static const char *const keys[] = { "seq", "time", "kind", "agreement", "party" };
	const char *p = entry, *end = entry + len, *nl, *colon;
	long long seq = -1, ag = 0;
	struct jw *j;
	size_t k, n;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((colon = memchr(p, ':', (size_t)(nl - p))) == NULL || colon + 1 >= nl ||
		    (size_t)(colon - p) >= sizeof(name))
			continue;
		memcpy(name, p, (size_t)(colon - p));
		name[colon - p] = '\0';
		n = (size_t)(nl - colon - 2);
		if (n >= sizeof(note))
			n = sizeof(note) - 1;
		if (strcmp(name, "note") == 0) {
			memcpy(note, colon + 2, n);
			note[n] = '\0';
		}
		for (k = 0; k < 5; k++)
			if (strcmp(name, keys[k]) == 0) {
				if (k == 0)
					seq = strtoll(colon + 2, NULL, 10);
				else if (k == 3)
					ag = strtoll(colon + 2, NULL, 10);
				else {
					memcpy(val[k - 1], colon + 2, n);
					val[k - 1][n] = '\0';
				}
			}
	}
	if ((j = jw_new()) == NULL)
		return -1;
	jw_obj_begin(j, NULL);
	jw_int(j, "seq", seq);
	jw_str(j, "time", val[0]);
	jw_str(j, "kind", val[1]);
	if (ag > 0)
		jw_int(j, "agreement", ag);
	else
		jw_null(j, "agreement");
	jw_str(j, "party", strcmp(val[3], "-") == 0 ? NULL : val[3]);
	jw_str(j, "note", note);
	jw_obj_end(j);
	fprintf(js, "%s\n", jw_text(j));
	if (tx != NULL) {
		fprintf(tx, "%s #%lld %s", val[0], seq, val[1]);
		if (ag > 0)
			fprintf(tx, " agreement %lld", ag);
		if (strcmp(val[3], "-") != 0)
			fprintf(tx, " %s", val[3]);
		fprintf(tx, "%s%s\n", *note ? ": " : "", note);
	}
	k = jw_failed(j);
	jw_free(j);
	return k ? -1 : 0;
}
