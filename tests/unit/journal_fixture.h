/* A fresh store in a temporary directory with a journal on it (mediator key
 * generated, virtual clock at 1994-05-11): the fixture of the unit tests
 * that need a real store (the journal is there for those that write the
 * record).  Header only: each test includes it once. */
#ifndef PARLEY_TEST_JOURNAL_FIXTURE_H
#define PARLEY_TEST_JOURNAL_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "daemon/clock.h"
#include "daemon/journal.h"
#include "daemon/store.h"

struct journal_fixture {
	char dir[64], path[128];
	struct store *st;
	struct clock *clk;
	EVP_PKEY *key;
	struct journal *j;
};

/* 0, or -1 with what is open left for journal_fixture_close. */
static int
journal_fixture_open(struct journal_fixture *jf, const char *name)
{
	char err[256];

	snprintf(jf->dir, sizeof(jf->dir), "/tmp/%s.XXXXXX", name);
	if (mkdtemp(jf->dir) == NULL) {
		jf->dir[0] = '\0';
		return -1;
	}
	snprintf(jf->path, sizeof(jf->path), "%s/parley.db", jf->dir);
	if (store_open(jf->path, &jf->st, err, sizeof(err)) != 0 ||
	    (jf->clk = clock_new(1, 768657600)) == NULL ||
	    (jf->key = crypto_ed25519_generate()) == NULL ||
	    (jf->j = journal_new(jf->st, jf->clk, jf->key)) == NULL ||
	    journal_check_start(jf->j, err, sizeof(err)) != 0) {
		fprintf(stderr, "journal fixture: %s\n", err);
		return -1;
	}
	return 0;
}

/* The first column of sql's first row as an integer; -1 if there is none
 * or sql does not prepare. */
static inline int64_t
journal_fixture_int(struct journal_fixture *jf, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(store_db(jf->st), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
journal_fixture_close(struct journal_fixture *jf)
{
	char cmd[160];

	journal_free(jf->j);
	EVP_PKEY_free(jf->key);
	clock_free(jf->clk);
	store_close(jf->st);
	if (jf->dir[0] == '\0')
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", jf->dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
