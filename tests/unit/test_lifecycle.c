/* The agreement lifecycle (daemon/lifecycle.h): every (state, event) pair.
 *
 * The expected table is written here from DESIGN.md's lifecycle diagram,
 * not copied from lifecycle.c:
 *
 *   draft --circulate--> circulating --all identical copies--> released
 *     --effective time--> in_force --> expired (released with its effect
 *     already come is in_force at once; released may also expire)
 *     |                     |  amendment adopted: revision+1 (stays circulating)
 *     |                     +--deadline passed--> lapsed
 *     +------------------------withdraw (mediator)--> withdrawn
 *
 * While circulating, signing, withdrawing a signature, proposing and
 * adopting an amendment keep the agreement circulating; the mediator may
 * withdraw it before release (from draft or circulating).  expired, lapsed
 * and withdrawn are final. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "daemon/lifecycle.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NO (-1)		/* refused */

static const struct {
	enum ag_state from;
	enum ag_event ev;
	int to;		/* next state, or NO */
} cases[] = {
	/* draft: only circulation, or the mediator withdrawing it */
	{ AG_DRAFT, EV_CIRCULATE, AG_CIRCULATING },
	{ AG_DRAFT, EV_SIGN, NO },
	{ AG_DRAFT, EV_WITHDRAW_SIGNATURE, NO },
	{ AG_DRAFT, EV_AMEND, NO },
	{ AG_DRAFT, EV_ADOPT, NO },
	{ AG_DRAFT, EV_RELEASE, NO },
	{ AG_DRAFT, EV_WITHDRAW, AG_WITHDRAWN },
	{ AG_DRAFT, EV_DEADLINE, NO },
	{ AG_DRAFT, EV_EXPIRE, NO },
	{ AG_DRAFT, EV_EFFECT, NO },
	/* circulating: the signing round */
	{ AG_CIRCULATING, EV_CIRCULATE, NO },
	{ AG_CIRCULATING, EV_SIGN, AG_CIRCULATING },
	{ AG_CIRCULATING, EV_WITHDRAW_SIGNATURE, AG_CIRCULATING },
	{ AG_CIRCULATING, EV_AMEND, AG_CIRCULATING },
	{ AG_CIRCULATING, EV_ADOPT, AG_CIRCULATING },
	{ AG_CIRCULATING, EV_RELEASE, AG_RELEASED },
	{ AG_CIRCULATING, EV_WITHDRAW, AG_WITHDRAWN },
	{ AG_CIRCULATING, EV_DEADLINE, AG_LAPSED },
	{ AG_CIRCULATING, EV_EXPIRE, NO },
	{ AG_CIRCULATING, EV_EFFECT, NO },
	/* released, its effect ahead: only the effect, or its validity running
	 * out */
	{ AG_RELEASED, EV_CIRCULATE, NO },
	{ AG_RELEASED, EV_SIGN, NO },
	{ AG_RELEASED, EV_WITHDRAW_SIGNATURE, NO },
	{ AG_RELEASED, EV_AMEND, NO },
	{ AG_RELEASED, EV_ADOPT, NO },
	{ AG_RELEASED, EV_RELEASE, NO },
	{ AG_RELEASED, EV_WITHDRAW, NO },
	{ AG_RELEASED, EV_DEADLINE, NO },
	{ AG_RELEASED, EV_EXPIRE, AG_EXPIRED },
	{ AG_RELEASED, EV_EFFECT, AG_IN_FORCE },
	/* in force: only its validity running out */
	{ AG_IN_FORCE, EV_CIRCULATE, NO },
	{ AG_IN_FORCE, EV_SIGN, NO },
	{ AG_IN_FORCE, EV_WITHDRAW_SIGNATURE, NO },
	{ AG_IN_FORCE, EV_AMEND, NO },
	{ AG_IN_FORCE, EV_ADOPT, NO },
	{ AG_IN_FORCE, EV_RELEASE, NO },
	{ AG_IN_FORCE, EV_WITHDRAW, NO },
	{ AG_IN_FORCE, EV_DEADLINE, NO },
	{ AG_IN_FORCE, EV_EXPIRE, AG_EXPIRED },
	{ AG_IN_FORCE, EV_EFFECT, NO },
	/* the three final states */
	{ AG_EXPIRED, EV_CIRCULATE, NO },
	{ AG_EXPIRED, EV_SIGN, NO },
	{ AG_EXPIRED, EV_WITHDRAW_SIGNATURE, NO },
	{ AG_EXPIRED, EV_AMEND, NO },
	{ AG_EXPIRED, EV_ADOPT, NO },
	{ AG_EXPIRED, EV_RELEASE, NO },
	{ AG_EXPIRED, EV_WITHDRAW, NO },
	{ AG_EXPIRED, EV_DEADLINE, NO },
	{ AG_EXPIRED, EV_EXPIRE, NO },
	{ AG_EXPIRED, EV_EFFECT, NO },
	{ AG_LAPSED, EV_CIRCULATE, NO },
	{ AG_LAPSED, EV_SIGN, NO },
	{ AG_LAPSED, EV_WITHDRAW_SIGNATURE, NO },
	{ AG_LAPSED, EV_AMEND, NO },
	{ AG_LAPSED, EV_ADOPT, NO },
	{ AG_LAPSED, EV_RELEASE, NO },
	{ AG_LAPSED, EV_WITHDRAW, NO },
	{ AG_LAPSED, EV_DEADLINE, NO },
	{ AG_LAPSED, EV_EXPIRE, NO },
	{ AG_LAPSED, EV_EFFECT, NO },
	{ AG_WITHDRAWN, EV_CIRCULATE, NO },
	{ AG_WITHDRAWN, EV_SIGN, NO },
	{ AG_WITHDRAWN, EV_WITHDRAW_SIGNATURE, NO },
	{ AG_WITHDRAWN, EV_AMEND, NO },
	{ AG_WITHDRAWN, EV_ADOPT, NO },
	{ AG_WITHDRAWN, EV_RELEASE, NO },
	{ AG_WITHDRAWN, EV_WITHDRAW, NO },
	{ AG_WITHDRAWN, EV_DEADLINE, NO },
	{ AG_WITHDRAWN, EV_EXPIRE, NO },
	{ AG_WITHDRAWN, EV_EFFECT, NO },
};

/* A word each state's refusal must contain, so that a person reading the
 * error learns why (the state, in the words DESIGN.md uses for it). */
static const char *const state_word[AG_NSTATES] = {
	[AG_DRAFT] = "draft",
	[AG_CIRCULATING] = "circulat",
	[AG_RELEASED] = "released",
	[AG_IN_FORCE] = "in force",
	[AG_EXPIRED] = "expired",
	[AG_LAPSED] = "lapsed",
	[AG_WITHDRAWN] = "withdrawn",
};

static void
test_table_is_complete(void **state)
{
	int seen[AG_NSTATES][EV_NEVENTS] = { { 0 } };
	size_t i;
	int s, e;

	(void)state;
	assert_int_equal(AG_NSTATES, 7);
	assert_int_equal(EV_NEVENTS, 10);
	assert_int_equal(LEN(cases), AG_NSTATES * EV_NEVENTS);
	for (i = 0; i < LEN(cases); i++) {
		if (seen[cases[i].from][cases[i].ev]++)
			fail_msg("case %zu: pair listed twice", i);
	}
	for (s = 0; s < AG_NSTATES; s++)
		for (e = 0; e < EV_NEVENTS; e++)
			assert_int_equal(seen[s][e], 1);
}

static void
test_every_pair(void **state)
{
	enum ag_state next;
	const char *why;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < LEN(cases); i++) {
		const char *sn = lifecycle_state_name(cases[i].from);
		const char *en = lifecycle_event_name(cases[i].ev);

		next = (enum ag_state)-1;
		why = NULL;
		rc = lifecycle_next(cases[i].from, cases[i].ev, &next, &why);
		if (cases[i].to == NO) {
			if (rc != -1)
				fail_msg("%s + %s: allowed (-> %s), expected refused", sn, en,
				    lifecycle_state_name(next));
			if (why == NULL || why[0] == '\0')
				fail_msg("%s + %s: refused without a reason", sn, en);
			/* a refusal names the state, except where the event
			 * only applies later (circulating + expire, effect) */
			if (!(cases[i].from == AG_CIRCULATING && (cases[i].ev == EV_EXPIRE ||
			    cases[i].ev == EV_EFFECT)) &&
			    strstr(why, state_word[cases[i].from]) == NULL)
				fail_msg("%s + %s: reason \"%s\" lacks \"%s\"", sn, en, why,
				    state_word[cases[i].from]);
		} else {
			if (rc != 0)
				fail_msg("%s + %s: refused (%s), expected -> %s", sn, en,
				    why ? why : "(null)", lifecycle_state_name(cases[i].to));
			if ((int)next != cases[i].to)
				fail_msg("%s + %s: -> %s, expected -> %s", sn, en,
				    lifecycle_state_name(next),
				    lifecycle_state_name(cases[i].to));
		}
	}
}

/* The reasons of the final states, checked one by one as the brief of the
 * module states them. */
static void
test_refusal_reasons(void **state)
{
	enum ag_state next;
	const char *why;
	int e;

	(void)state;
	for (e = 0; e < EV_NEVENTS; e++) {
		why = NULL;
		assert_int_equal(lifecycle_next(AG_LAPSED, e, &next, &why), -1);
		assert_non_null(strstr(why, "lapsed"));
		why = NULL;
		assert_int_equal(lifecycle_next(AG_WITHDRAWN, e, &next, &why), -1);
		assert_non_null(strstr(why, "withdrawn"));
		why = NULL;
		assert_int_equal(lifecycle_next(AG_EXPIRED, e, &next, &why), -1);
		assert_non_null(strstr(why, "expired"));
	}
	/* expiring something that is not yet in force says so */
	assert_int_equal(lifecycle_next(AG_CIRCULATING, EV_EXPIRE, &next, &why), -1);
	assert_non_null(strstr(why, "not in force"));
	assert_int_equal(lifecycle_next(AG_DRAFT, EV_SIGN, &next, &why), -1);
	assert_non_null(strstr(why, "not been circulated"));
}

/* Out-of-range values are refused, never read past the table. */
static void
test_out_of_range(void **state)
{
	enum ag_state next = AG_DRAFT;
	const char *why = NULL;

	(void)state;
	assert_int_equal(lifecycle_next(AG_NSTATES, EV_SIGN, &next, &why), -1);
	assert_non_null(why);
	assert_true(why[0] != '\0');
	why = NULL;
	assert_int_equal(lifecycle_next(AG_DRAFT, EV_NEVENTS, &next, &why), -1);
	assert_non_null(why);
	why = NULL;
	assert_int_equal(lifecycle_next((enum ag_state)-1, EV_SIGN, &next, &why), -1);
	assert_non_null(why);
	why = NULL;
	assert_int_equal(lifecycle_next(AG_CIRCULATING, (enum ag_event)-1, &next, &why), -1);
	assert_non_null(why);
	assert_string_equal(lifecycle_state_name(AG_NSTATES), "unknown");
	assert_string_equal(lifecycle_state_name((enum ag_state)-1), "unknown");
	assert_string_equal(lifecycle_event_name(EV_NEVENTS), "unknown");
}

/* The state names are a contract (DESIGN.md: `agreement show --json`). */
static const struct {
	enum ag_state s;
	const char *name;
} names[] = {
	{ AG_DRAFT, "draft" },
	{ AG_CIRCULATING, "circulating" },
	{ AG_RELEASED, "released" },
	{ AG_IN_FORCE, "in_force" },
	{ AG_EXPIRED, "expired" },
	{ AG_LAPSED, "lapsed" },
	{ AG_WITHDRAWN, "withdrawn" },
};

static const char *const bad_names[] = {
	"", "Draft", "DRAFT", "draft ", " draft", "in-force", "in force", "inforce",
	"circulate", "withdraw", "expire", "lapse", "release", "Released", "unknown", "drafts",
	"draf", "in_force\n", "lapsed\xc3\xa9",
};

static void
test_state_names(void **state)
{
	enum ag_state s;
	size_t i;

	(void)state;
	assert_int_equal(LEN(names), AG_NSTATES);
	for (i = 0; i < LEN(names); i++) {
		assert_string_equal(lifecycle_state_name(names[i].s), names[i].name);
		s = (enum ag_state)-1;
		assert_int_equal(lifecycle_state_parse(names[i].name, &s), 0);
		assert_int_equal(s, names[i].s);
		/* round trip from the name the module gives */
		assert_int_equal(lifecycle_state_parse(lifecycle_state_name(names[i].s), &s), 0);
		assert_int_equal(s, names[i].s);
	}
	for (i = 0; i < LEN(bad_names); i++) {
		s = AG_LAPSED;
		if (lifecycle_state_parse(bad_names[i], &s) != -1)
			fail_msg("\"%s\" parsed as a state", bad_names[i]);
	}
}

static const struct {
	enum ag_event e;
	const char *name;
} event_names[] = {
	{ EV_CIRCULATE, "circulate" },
	{ EV_SIGN, "sign" },
	{ EV_WITHDRAW_SIGNATURE, "withdraw-signature" },
	{ EV_AMEND, "amend" },
	{ EV_ADOPT, "adopt" },
	{ EV_RELEASE, "release" },
	{ EV_WITHDRAW, "withdraw" },
	{ EV_DEADLINE, "deadline" },
	{ EV_EXPIRE, "expire" },
	{ EV_EFFECT, "effect" },
};

static void
test_event_names(void **state)
{
	size_t i, j;

	(void)state;
	assert_int_equal(LEN(event_names), EV_NEVENTS);
	for (i = 0; i < LEN(event_names); i++) {
		assert_string_equal(lifecycle_event_name(event_names[i].e), event_names[i].name);
		for (j = 0; j < i; j++)
			assert_string_not_equal(event_names[i].name, event_names[j].name);
	}
}

/* Walks: the histories DESIGN.md describes end where it says they do. */
static const struct {
	const char *name;
	enum ag_event evs[10];
	size_t n;
	enum ag_state end;
} walks[] = {
	{ "May 1994: three signatures, release, effect at 00:01, expiry",
	    { EV_CIRCULATE, EV_SIGN, EV_SIGN, EV_SIGN, EV_RELEASE, EV_EFFECT, EV_EXPIRE }, 7,
	    AG_EXPIRED },
	{ "amendment adopted, everyone signs again",
	    { EV_CIRCULATE, EV_SIGN, EV_AMEND, EV_ADOPT, EV_SIGN, EV_SIGN, EV_RELEASE }, 7,
	    AG_RELEASED },
	{ "February 1995: confirmed on the 4th, in effect on the 6th",
	    { EV_CIRCULATE, EV_SIGN, EV_SIGN, EV_RELEASE, EV_EFFECT }, 5, AG_IN_FORCE },
	{ "released, expired before its effect", { EV_CIRCULATE, EV_SIGN, EV_RELEASE,
	    EV_EXPIRE }, 4, AG_EXPIRED },
	{ "signature withdrawn, deadline passes",
	    { EV_CIRCULATE, EV_SIGN, EV_WITHDRAW_SIGNATURE, EV_DEADLINE }, 4, AG_LAPSED },
	{ "mediator withdraws a draft", { EV_WITHDRAW }, 1, AG_WITHDRAWN },
	{ "mediator withdraws while circulating", { EV_CIRCULATE, EV_SIGN, EV_WITHDRAW }, 3,
	    AG_WITHDRAWN },
};

static void
test_walks(void **state)
{
	enum ag_state s, next;
	const char *why;
	size_t i, j;

	(void)state;
	for (i = 0; i < LEN(walks); i++) {
		s = AG_DRAFT;
		for (j = 0; j < walks[i].n; j++) {
			if (lifecycle_next(s, walks[i].evs[j], &next, &why) != 0)
				fail_msg("%s: step %zu refused: %s", walks[i].name, j, why);
			s = next;
		}
		if (s != walks[i].end)
			fail_msg("%s: ends %s", walks[i].name, lifecycle_state_name(s));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_complete),
		cmocka_unit_test(test_every_pair),
		cmocka_unit_test(test_refusal_reasons),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_event_names),
		cmocka_unit_test(test_walks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
