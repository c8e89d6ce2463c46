/* Internals shared by the engine's modules (engine.c: the lifecycle,
 * timeline.c: calendars and timers, bundle.c: release bundles).  Not for
 * use outside the engine. */
#ifndef PARLEY_ENGINE_INTERNAL_H
#define PARLEY_ENGINE_INTERNAL_H

#include <stdint.h>
#include <sqlite3.h>

#include "duty.h"
#include "engine.h"
#include "lifecycle.h"
#include "ptime.h"

#define TITLE_MAX 200

/* Lead times of reminders and warnings, longest first. */
struct leads {
	size_t n;
	int64_t s[8];
};

struct engine {
	struct store *st;
	struct clock *clk;
	struct delivery *dlv;
	EVP_PKEY *mkey;
	struct metrics *m;
	struct leads sign_leads, expiry_leads;
	int64_t response_window, disclosure_embargo;
	struct duty *duty;	/* borrowed; NULL: no duty watch */
	struct journal *j;	/* borrowed; NULL: no journal */
	struct crypto_keycache *keys;	/* signers' keys checked on the loop; may be NULL */
};

/* One agreement row. */
struct ag {
	int64_t id;
	char title[TITLE_MAX + 1];
	enum ag_state state;
	uint32_t revision;
	char effective[PTIME_BUFLEN];	/* term: "on-release" or UTC ISO time */
	char validity[64];
	int disclose;
	int64_t created_at, circulated_at, released_at, effective_at, expires_at, ended_at;
	int64_t sign_by, extends_id, reaffirms_id, dayx_at;
	char dayx_mode[16];	/* "", "time", "on-release", "on-effect" */
	char label[PARTY_CODE_MAX + 1];	/* "" or the name mandates scope to */
};

/* Members' party ids and codes, signing parties or observers. */
struct members {
	size_t n;
	int64_t id[64];
	char code[64][PARTY_CODE_MAX + 1];
};

/* 0 found, 1 unknown, -1 store failure. */
int eng_load_ag(struct engine *e, int64_t id, struct ag *a);
/* Signing parties (observers = 0) or observers (1) of an agreement. */
int eng_load_members(struct engine *e, int64_t agreement, int observers, struct members *m);
/* 0 not a member, 1 signing party, 2 observer. */
int eng_membership(struct engine *e, int64_t agreement, int64_t party);
/* When party's copy of revision rev came to count (every required role
 * signed, or one valid copy when no roles are required), or 0. */
int64_t eng_valid_copy(struct engine *e, int64_t agreement, int64_t party, uint32_t rev);
/* Queue an Update to every endpoint of party. */
int eng_send_update(struct engine *e, int64_t party, int64_t agreement, uint64_t amendment,
    const char *event, const char *text);
/* Queue p to every endpoint of the n parties (stored once). */
int eng_enqueue(struct engine *e, const int64_t *parties, size_t n, const char *kind,
    int64_t agreement, const char *summary, const Parley__Payload *p);
/* A revision's text and calendar (malloc'd for the caller) and hash. */
int eng_load_revision(struct engine *e, int64_t agreement, uint32_t rev, char **text,
    char **calendar, uint8_t hash[32]);
/* Move an agreement to state st (lifecycle checked by the caller). */
int eng_set_state(struct engine *e, int64_t id, enum ag_state st, int64_t ended_at);
/* Record an event in the agreement's chronology. */
int eng_event(struct engine *e, int64_t agreement, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Append to the journal (a no-op without one); hashes may be NULL. */
int eng_journal(struct engine *e, const char *kind, int64_t agreement, const char *party,
    const uint8_t (*hashes)[32], size_t nh, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* Answer a party request with an error; returns 0 ("roll back"). */
int eng_refuse(const struct req *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Answer a request with f (its id set to the request's). */
void eng_reply(const struct req *r, Parley__Frame *f);
/* The one insert into the timer table: a timer of an agreement
 * (agreement > 0) or of an incident (incident > 0); number 0: none. */
int eng_timer_add(struct engine *e, int64_t agreement, int64_t incident, const char *kind,
    int64_t due, int64_t ref, int number);
/* Answer a party request with Ok (id: what it created, or 0). */
void eng_ok(const struct req *r, uint64_t id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *eng_col_str(sqlite3_stmt *s, int i);
int64_t eng_col_time(sqlite3_stmt *s, int i);

#endif
