/* journal-fill: grow a copy of parleyd's store to a given number of journal
 * entries, for the big-store acceptance run of `make bench`.
 *
 *   journal-fill STATE_DIR TOTAL [PARTY]
 *
 * The entries are written by the daemon's own journal module (the same
 * canonical text, leaf hashes and stored frontier), in transactions of
 * 10,000, and a checkpoint signed with STATE_DIR/mediator.key closes the
 * fill, so the store stays one that parleyd starts on and `parleyctl
 * journal verify` accepts.  Each entry is of kind "bench-filler", and
 * concerns PARTY (a party code) if given: a record larger than one reply
 * for tests/integration/t_journal.sh.  Only for
 * a copy of a store, with parleyd stopped: it is built by `make bench`, not
 * by `make all`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "daemon/clock.h"
#include "daemon/journal.h"
#include "daemon/log.h"
#include "daemon/store.h"

#define BATCH 10000

static int64_t
count_entries(struct store *st)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT count(*) FROM journal");
	int64_t n = -1;

	if (s != NULL && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	if (s != NULL)
		sqlite3_reset(s);
	return n;
}

int
main(int argc, char **argv)
{
	char path[4200], err[1024], *end;
	struct store *st = NULL;
	struct clock *clk;
	struct journal *j;
	EVP_PKEY *mkey;
	long long total, have, i;
	uint64_t size;
	struct timespec t0, t1;

	if ((argc != 3 && argc != 4) || (total = strtoll(argv[2], &end, 10)) < 0 ||
	    *end != '\0') {
		fprintf(stderr, "usage: journal-fill STATE_DIR TOTAL [PARTY]\n");
		return 2;
	}
	log_init(0);
	snprintf(path, sizeof(path), "%s/mediator.key", argv[1]);
	if ((mkey = crypto_read_private_key(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "journal-fill: %s\n", err);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/parley.db", argv[1]);
	if (store_open(path, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "journal-fill: %s\n", err);
		EVP_PKEY_free(mkey);
		return 1;
	}
	clk = clock_new(0, (int64_t)time(NULL));
	if (clk == NULL || (j = journal_new(st, clk, mkey)) == NULL) {
		fprintf(stderr, "journal-fill: out of memory\n");
		return 1;
	}
	if ((have = count_entries(st)) < 0) {
		fprintf(stderr, "journal-fill: this store has no journal\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = have; i < total;) {
		long long k;
		if (store_batch_begin(st) != 0)
			goto fail;
		for (k = 0; k < BATCH && i < total; k++, i++)
			if (journal_append(j, "bench-filler", 0, argc == 4 ? argv[3] : NULL, NULL, 0,
			    "synthetic entry written by bench/journal_fill") != 0)
				goto fail;
		if (store_batch_commit(st) != 0)
			goto fail;
	}
	if (store_batch_begin(st) != 0 || journal_checkpoint(j, &size) != 0 ||
	    store_batch_commit(st) != 0)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("{\"entries_before\":%lld,\"entries\":%lld,\"checkpoint_size\":%llu,\"fill_s\":%.3f}\n",
	    have, (long long)count_entries(st), (unsigned long long)size,
	    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	journal_free(j);
	clock_free(clk);
	store_close(st);
	EVP_PKEY_free(mkey);
	return 0;
fail:
	fprintf(stderr, "journal-fill: store failure: %s\n", store_errmsg(st));
	store_batch_rollback(st);
	return 1;
}
