#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/cl_args.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A small program with every shape of the real tables: plain verbs, a
 * group of sub-verbs, a verb that is also a group, required and optional
 * options, an alt group, a repeatable option, global options. */
enum { V_SIGN, V_SHOW, V_FILE, V_RESPOND, V_LIST, V_JOURNAL, V_JOURNAL_SHOW, V_TAG };

static const struct cl_args_option globals[] = {
	{ .name = "conf", .short_name = 'c', .value = "FILE", .help = "the configuration" },
	{ .name = "json", .flags = CL_ARGS_ANYWHERE, .help = "JSON out" },
	{ NULL }
};

static const struct cl_args_option sign_opts[] = {
	{ .name = "yes", .help = "do not ask" },
	{ .name = "text", .value = "FILE", .help = "another text" },
	{ NULL }
};

static const struct cl_args_option file_opts[] = {
	{ .name = "against", .value = "PARTY", .flags = CL_ARGS_REQUIRED, .help = "whom" },
	{ .name = "valid-for", .value = "D", .alt = 1, .help = "a duration" },
	{ .name = "valid-until", .value = "T", .alt = 1, .help = "a time" },
	{ .name = "cert", .value = "PEM", .flags = CL_ARGS_REQUIRED, .alt = 2, .help = "a cert" },
	{ .name = "pin", .value = "HEX", .flags = CL_ARGS_REQUIRED, .alt = 2, .help = "a pin" },
	{ NULL }
};

static const struct cl_args_option tag_opts[] = {
	{ .name = "tag", .value = "T", .flags = CL_ARGS_REPEAT, .help = "a tag, again and again" },
	{ .name = "a-very-long-option-name", .value = "VALUE", .help = "wraps" },
	{ NULL }
};

static const struct cl_args_verb verbs[] = {
	{ "sign", "ID", 1, 1, sign_opts, "sign an agreement", V_SIGN },
	{ "show", "ID [PARTY]", 1, 2, NULL, "show an agreement", V_SHOW },
	{ "incident file", NULL, 0, 0, file_opts, "report an incident", V_FILE },
	{ "incident respond", "N", 1, 1, NULL, "answer an incident", V_RESPOND },
	{ "incident list", NULL, 0, 0, NULL, "list incidents", V_LIST },
	{ "journal", NULL, 0, 0, NULL, "the record", V_JOURNAL },
	{ "journal show", "ID", 1, 1, NULL, "one entry", V_JOURNAL_SHOW },
	{ "tag", NULL, 0, 0, tag_opts, "tags", V_TAG },
};

static const struct cl_args_prog prog = {
	"prog", "A test program.", "exit status: 0 or 2", globals, verbs, LEN(verbs),
};

/* argv from a string of words separated by single spaces. */
struct line {
	char buf[512];
	char *argv[32];
	int argc;
};

static enum cl_args_status
parse(struct line *l, const char *words, struct cl_args *a)
{
	char *save = NULL, *w;

	snprintf(l->buf, sizeof(l->buf), "%s", words);
	l->argc = 0;
	l->argv[l->argc++] = "prog";
	for (w = strtok_r(l->buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		l->argv[l->argc++] = w;
	l->argv[l->argc] = NULL;
	return cl_args_parse(&prog, l->argc, l->argv, a);
}

/* What f() prints on a stream, as a malloc'd string. */
static char *
capture(void (*f)(FILE *, const struct cl_args *), const struct cl_args *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	f(m, a);
	assert_int_equal(fclose(m), 0);
	return buf;
}

static void
test_match(void **state)
{
	static const struct {
		const char *line;
		int id;
		int npos;
		const char *pos0;
	} cases[] = {
		{ "sign 3", V_SIGN, 1, "3" },
		{ "show 3 baku", V_SHOW, 2, "3" },
		{ "incident respond 7", V_RESPOND, 1, "7" },
		{ "incident list", V_LIST, 0, NULL },
		{ "journal", V_JOURNAL, 0, NULL },		/* a verb and a group */
		{ "journal show 4", V_JOURNAL_SHOW, 1, "4" },
		{ "--json incident --json list", V_LIST, 0, NULL },
		{ "-c x.conf sign -- --5", V_SIGN, 1, "--5" },
		{ "show -1", V_SHOW, 1, "-1" },		/* one dash: a word */
	};
	struct cl_args a;
	struct line l;
	size_t i;

	(void)state;
	for (i = 0; i < LEN(cases); i++) {
		assert_int_equal(parse(&l, cases[i].line, &a), CL_ARGS_OK);
		assert_non_null(a.verb);
		assert_int_equal(a.verb->id, cases[i].id);
		assert_int_equal(a.npos, cases[i].npos);
		if (cases[i].pos0)
			assert_string_equal(cl_args_pos(&a, 0), cases[i].pos0);
		else
			assert_null(cl_args_pos(&a, 0));
		assert_null(cl_args_pos(&a, cases[i].npos));
	}
	assert_int_equal(parse(&l, "--json incident --json list", &a), CL_ARGS_OK);
	assert_int_equal(cl_args_count(&a, "json"), 2);
	assert_int_equal(parse(&l, "-c x.conf sign 1", &a), CL_ARGS_OK);
	assert_string_equal(cl_args_opt(&a, "conf"), "x.conf");
}

static void
test_options(void **state)
{
	struct cl_args a;
	struct line l;

	(void)state;
	/* options before, between and after positionals; flags are "" */
	assert_int_equal(parse(&l, "sign --yes 3 --text t.txt --json", &a), CL_ARGS_OK);
	assert_string_equal(cl_args_pos(&a, 0), "3");
	assert_true(cl_args_has(&a, "yes"));
	assert_string_equal(cl_args_opt(&a, "yes"), "");
	assert_string_equal(cl_args_opt(&a, "text"), "t.txt");
	assert_true(cl_args_has(&a, "json"));
	assert_false(cl_args_has(&a, "conf"));
	assert_null(cl_args_opt(&a, "conf"));
	assert_int_equal(a.nopts, 3);
	assert_ptr_equal(a.opts[0].opt, &sign_opts[0]);
	assert_int_equal(a.opts[2].global, 1);

	/* --name=value, and a value that looks like an option */
	assert_int_equal(parse(&l, "sign 3 --text=a=b", &a), CL_ARGS_OK);
	assert_string_equal(cl_args_opt(&a, "text"), "a=b");
	assert_int_equal(parse(&l, "sign 3 --text --yes", &a), CL_ARGS_OK);
	assert_string_equal(cl_args_opt(&a, "text"), "--yes");
	assert_false(cl_args_has(&a, "yes"));

	/* a repeatable option keeps every value, in order */
	assert_int_equal(parse(&l, "tag --tag a --tag b --tag c", &a), CL_ARGS_OK);
	assert_int_equal(cl_args_count(&a, "tag"), 3);
	assert_string_equal(cl_args_nth(&a, "tag", 0), "a");
	assert_string_equal(cl_args_nth(&a, "tag", 2), "c");
	assert_null(cl_args_nth(&a, "tag", 3));
	assert_string_equal(cl_args_opt(&a, "tag"), "c");

	/* required options, and alt groups: one of, at most one */
	assert_int_equal(parse(&l, "incident file --against x --pin 00", &a), CL_ARGS_OK);
	assert_int_equal(parse(&l, "incident file --against x --cert c --valid-for 1d", &a),
	    CL_ARGS_OK);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *line;
		const char *err;
	} cases[] = {
		{ "sign", "missing arguments" },
		{ "sign 1 2", "unexpected argument \"2\"" },
		{ "show 1 2 3", "unexpected argument \"3\"" },
		{ "sign 1 --bogus", "unknown option --bogus" },
		{ "sign 1 --text", "--text needs a value" },
		{ "sign 1 --yes=no", "--yes takes no value" },
		{ "sign 1 --text a --text b", "--text given twice" },
		{ "sign 1 -c x", "unexpected argument \"-c\"" },	/* -c: before the verb */
		{ "-x sign 1", "unknown option -x" },
		{ "-c", "-c needs a value" },
		{ "--conf x sign 1", "unknown option --conf" },	/* spelt -c only */
		{ "incident file --pin 0", "missing --against" },
		{ "incident file --against x", "missing --cert or --pin" },
		{ "incident file --against x --cert c --pin 0",
		  "--cert and --pin exclude each other" },
		{ "incident file --against x --pin 0 --valid-until t --valid-for d",
		  "--valid-for and --valid-until exclude each other" },
		{ "incident", "\"incident\" needs one of: file, respond, list" },
		{ "incident --yes", "unknown option --yes" },
	};
	struct cl_args a;
	struct line l;
	size_t i;

	(void)state;
	for (i = 0; i < LEN(cases); i++) {
		assert_int_equal(parse(&l, cases[i].line, &a), CL_ARGS_ERROR);
		assert_string_equal(a.err, cases[i].err);
		assert_int_equal(a.unknown, 0);
	}
	/* no verb at all: no message, the caller prints the help */
	assert_int_equal(parse(&l, "--json", &a), CL_ARGS_ERROR);
	assert_string_equal(a.err, "");
}

static void
test_error_lines(void **state)
{
	struct cl_args a;
	struct line l;
	char *out, buf[256];

	(void)state;
	assert_int_equal(parse(&l, "sign 1 --bogus", &a), CL_ARGS_ERROR);
	out = capture(cl_args_error, &a);
	assert_string_equal(out, "prog: unknown option --bogus; usage: prog sign ID [--yes] "
	    "[--text FILE]\n");
	free(out);
	cl_args_usage(&a, buf, sizeof(buf));
	assert_string_equal(buf, "prog sign ID [--yes] [--text FILE]");

	assert_int_equal(parse(&l, "incident file", &a), CL_ARGS_ERROR);
	cl_args_usage(&a, buf, sizeof(buf));
	assert_string_equal(buf, "prog incident file --against PARTY [--valid-for D | "
	    "--valid-until T] --cert PEM | --pin HEX");
	/* a usage cut short stays terminated */
	cl_args_usage(&a, buf, 12);
	assert_string_equal(buf, "prog incide");

	assert_int_equal(parse(&l, "tag", &a), CL_ARGS_OK);
	cl_args_usage(&a, buf, sizeof(buf));
	assert_string_equal(buf, "prog tag [--tag T]... [--a-very-long-option-name VALUE]");
}

static void
test_unknown(void **state)
{
	static const struct {
		const char *line;
		const char *err;
	} cases[] = {
		{ "sgin 1", "unknown command \"sgin\"; did you mean \"sign\"? "
		  "(prog --help lists them)" },
		{ "shwo", "unknown command \"shwo\"; did you mean \"show\"? "
		  "(prog --help lists them)" },
		{ "jornal", "unknown command \"jornal\"; did you mean \"journal\"? "
		  "(prog --help lists them)" },
		{ "incdent list", "unknown command \"incdent\"; did you mean \"incident\"? "
		  "(prog --help lists them)" },
		{ "inc", "unknown command \"inc\"; did you mean \"incident\"? "
		  "(prog --help lists them)" },		/* the one word it begins */
		{ "incident fle", "unknown command \"incident fle\"; did you mean "
		  "\"incident file\"? (prog incident --help lists them)" },
		{ "incident rspond 1", "unknown command \"incident rspond\"; did you mean "
		  "\"incident respond\"? (prog incident --help lists them)" },
		{ "xyzzy", "unknown command \"xyzzy\" (prog --help lists them)" },
		{ "s", "unknown command \"s\" (prog --help lists them)" },
		{ "incident zzz", "unknown command \"incident zzz\" "
		  "(prog incident --help lists them)" },
	};
	struct cl_args a;
	struct line l;
	char *out, want[600];
	size_t i;

	(void)state;
	for (i = 0; i < LEN(cases); i++) {
		assert_int_equal(parse(&l, cases[i].line, &a), CL_ARGS_ERROR);
		assert_int_equal(a.unknown, 1);
		assert_null(a.verb);
		assert_string_equal(a.err, cases[i].err);
		/* printed as exactly one line */
		out = capture(cl_args_error, &a);
		snprintf(want, sizeof(want), "prog: %s\n", cases[i].err);
		assert_string_equal(out, want);
		free(out);
	}
}

static void
test_distance(void **state)
{
	(void)state;
	assert_int_equal(cl_args_distance("", ""), 0);
	assert_int_equal(cl_args_distance("sign", "sign"), 0);
	assert_int_equal(cl_args_distance("sgin", "sign"), 1);	/* a swap */
	assert_int_equal(cl_args_distance("sig", "sign"), 1);
	assert_int_equal(cl_args_distance("signs", "sign"), 1);
	assert_int_equal(cl_args_distance("sing", "sign"), 1);
	assert_int_equal(cl_args_distance("kitten", "sitting"), 3);
	assert_int_equal(cl_args_distance("", "abc"), 3);
}

static void
test_help(void **state)
{
	struct cl_args a;
	struct line l;
	char *out;

	(void)state;
	/* the program: usage from the globals, options, every verb, footer */
	assert_int_equal(parse(&l, "--help", &a), CL_ARGS_HELP);
	assert_null(a.verb);
	out = capture(cl_args_help, &a);
	assert_non_null(strstr(out, "usage: prog [-c FILE] [--json] VERB ...\n\n"
	    "A test program.\n\noptions:\n  -c FILE                 the configuration\n"));
	assert_non_null(strstr(out, "\nverbs:\n  sign ID [--yes] [--text FILE]\n"
	    "      sign an agreement\n  show ID [PARTY]\n"));
	assert_non_null(strstr(out, "  incident respond N\n      answer an incident\n"));
	assert_non_null(strstr(out, "      tags\n\nexit status: 0 or 2\n"));
	free(out);
	assert_int_equal(parse(&l, "-c x -h", &a), CL_ARGS_HELP);

	/* a group: its verbs only */
	assert_int_equal(parse(&l, "incident --help", &a), CL_ARGS_HELP);
	assert_null(a.verb);
	assert_string_equal(a.group, "incident");
	out = capture(cl_args_help, &a);
	assert_string_equal(out, "usage: prog incident VERB ...\n\nverbs:\n"
	    "  incident file --against PARTY [--valid-for D | --valid-until T] "
	    "--cert PEM | --pin HEX\n      report an incident\n"
	    "  incident respond N\n      answer an incident\n"
	    "  incident list\n      list incidents\n");
	free(out);

	/* a verb: usage, help, options (a long one wraps) */
	assert_int_equal(parse(&l, "sign 1 --bogus-not-seen -h", &a), CL_ARGS_ERROR);
	assert_int_equal(parse(&l, "sign -h", &a), CL_ARGS_HELP);
	out = capture(cl_args_help, &a);
	assert_string_equal(out, "usage: prog sign ID [--yes] [--text FILE]\n"
	    "  sign an agreement\n\noptions:\n"
	    "  --yes                   do not ask\n"
	    "  --text FILE             another text\n");
	free(out);
	assert_int_equal(parse(&l, "incident respond --help", &a), CL_ARGS_HELP);
	out = capture(cl_args_help, &a);
	assert_string_equal(out, "usage: prog incident respond N\n  answer an incident\n");
	free(out);
	assert_int_equal(parse(&l, "tag --help", &a), CL_ARGS_HELP);
	out = capture(cl_args_help, &a);
	assert_non_null(strstr(out, "  --a-very-long-option-name VALUE\n"
	    "                          wraps\n"));
	free(out);
	/* after "--" it is a word */
	assert_int_equal(parse(&l, "sign -- --help", &a), CL_ARGS_OK);
	assert_string_equal(cl_args_pos(&a, 0), "--help");
	/* no verb: the error is the program's help */
	assert_int_equal(parse(&l, "", &a), CL_ARGS_ERROR);
	out = capture(cl_args_error, &a);
	assert_true(strncmp(out, "usage: prog [-c FILE] [--json] VERB ...\n", 40) == 0);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_lines),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
