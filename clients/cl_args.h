/* The command line of parley and parleyctl, from one table per program:
 * verbs (a verb may be a path of words, "incident respond", and the words
 * before the last make a group), their positional arguments and options,
 * and the program's global options.  One parser reads argv against it and
 * the help at every level (program, group, verb) is printed from it.
 *
 * Nothing is allocated: what the parser returns points into argv and into
 * the table, both of which outlive it. */
#ifndef PARLEY_CL_ARGS_H
#define PARLEY_CL_ARGS_H

#include <stddef.h>
#include <stdio.h>

#define CL_ARGS_MAXPOS	65	/* positional arguments of one verb (ID and 64 parties) */
#define CL_ARGS_MAXOPT	128	/* options given on one command line (64 frames...) */

/* Option flags. */
#define CL_ARGS_REQUIRED 0x01	/* must be given (of an alt group: one of it) */
#define CL_ARGS_REPEAT	 0x02	/* may be given more than once */
#define CL_ARGS_ANYWHERE 0x04	/* global option also accepted after the verb */

/* One option.  A table of them ends with a row whose name is NULL. */
struct cl_args_option {
	const char *name;	/* long name, without "--" */
	char short_name;	/* -c; 0 for none (global options only) */
	const char *value;	/* name of its value in help ("FILE"); NULL: a flag */
	unsigned flags;		/* CL_ARGS_* above */
	int alt;		/* nonzero: at most one option of this group */
	int tag;		/* the caller's, the parser ignores it */
	const char *help;	/* one short line */
};

struct cl_args_verb {
	const char *name;	/* "show", "incident respond": words, one space */
	const char *args;	/* positionals in help: "ID DIR", "[PARTY]"; NULL none */
	int minpos, maxpos;	/* arity, maxpos <= CL_ARGS_MAXPOS */
	const struct cl_args_option *opts;	/* NULL: none */
	const char *help;	/* one line */
	int id;			/* the caller dispatches on it */
};

struct cl_args_prog {
	const char *name;	/* "parley" */
	const char *about;	/* printed under the program's usage line */
	const char *footer;	/* printed last in the program's help; NULL none */
	const struct cl_args_option *globals;
	const struct cl_args_verb *verbs;
	size_t nverbs;
};

struct cl_args_val {
	const struct cl_args_option *opt;
	const char *value;	/* "" for a flag */
	int global;
};

enum cl_args_status {
	CL_ARGS_OK = 0,		/* a->verb is to run */
	CL_ARGS_HELP,		/* help was asked for: cl_args_help(), exit 0 */
	CL_ARGS_ERROR,		/* bad usage: cl_args_error(), exit 2 */
};

struct cl_args {
	const struct cl_args_prog *prog;
	const struct cl_args_verb *verb;	/* the verb matched, or NULL */
	char group[64];		/* the group words matched ("" at the top) */
	const char *pos[CL_ARGS_MAXPOS];
	int npos;
	struct cl_args_val opts[CL_ARGS_MAXOPT];	/* in command-line order */
	int nopts;
	int unknown;		/* the error is an unknown command */
	char err[512];		/* the error, one line ("" with no verb at all) */
};

/* Read argv[1..argc) against p into *a.  Global options come before the
 * verb (those marked CL_ARGS_ANYWHERE also after it); after the verb,
 * "--name VALUE", "--name=VALUE", "--flag", "-h", "--help" and "--" (the
 * rest is positional); any other word is positional. */
enum cl_args_status cl_args_parse(const struct cl_args_prog *p, int argc, char **argv,
    struct cl_args *a);

/* The help for where parsing stopped: the verb's, its group's, or the
 * program's. */
void cl_args_help(FILE *f, const struct cl_args *a);
/* The error, as one line: "PROG: unknown command "X"; did you mean "Y"?
 * (PROG --help lists them)" or "PROG: MESSAGE; usage: PROG VERB ...";
 * with no verb at all, the program's help. */
void cl_args_error(FILE *f, const struct cl_args *a);
/* The usage of the verb matched (of the group, of the program), without
 * "usage: ", as "PROG VERB ARGS OPTIONS", into buf. */
void cl_args_usage(const struct cl_args *a, char *buf, size_t len);

/* The value of option name (verb or global; the last one given), NULL if
 * not given; "" for a flag. */
const char *cl_args_opt(const struct cl_args *a, const char *name);
int cl_args_has(const struct cl_args *a, const char *name);
/* How often name was given, and its i-th value (0-based), NULL past the end. */
int cl_args_count(const struct cl_args *a, const char *name);
const char *cl_args_nth(const struct cl_args *a, const char *name, int i);
/* Positional i (0-based), NULL past the end. */
const char *cl_args_pos(const struct cl_args *a, int i);

/* The edit distance (insertions, deletions, substitutions and swaps of two
 * neighbours) between s and t, exported for the tests. */
size_t cl_args_distance(const char *s, const char *t);

#endif
