/* The console: a small read-only web server on 127.0.0.1 that shows, as
 * pages with pictures, what the program running it may already see (the
 * mediator's, through the admin socket).  The URL it prints carries a
 * random token (128 bits); the page keeps it for its tab and sends it in
 * an X-Parley-Token header, and a query without it is answered 403.  It
 * answers only GET, only for a Host of 127.0.0.1 or localhost (a page
 * elsewhere cannot reach it through a name that resolves to 127.0.0.1),
 * serves its own files (compiled in: clients/console/) under a strict
 * Content-Security-Policy, and queries through query(), never anything
 * else. */
#ifndef PARLEY_CL_CONSOLE_H
#define PARLEY_CL_CONSOLE_H

#include <stddef.h>
#include <stdio.h>

/* The longest a console waits on parleyd for one answer: a stalled daemon
 * holds the console (one loop) that long at most. */
#define CONSOLE_WAIT_MS 5000

/* A file of the console, compiled in (scripts/embed.sh). */
struct console_asset {
	const char *path;	/* "/app.js" */
	const unsigned char *data;
	size_t len;
	const char *type;
};
extern const struct console_asset console_assets[];

struct console_arg {
	const char *key, *value;
};

struct console_config {
	const char *listen;		/* "127.0.0.1:PORT" (0: any free port) */
	const char *title;		/* shown on the pages */
	const char *const *verbs;	/* the only verbs query() is asked, NULL-ended */
	/* One read-only query, its JSON answer malloc'd into *json: 0, or -1
	 * with err. */
	int (*query)(void *arg, const char *verb, const struct console_arg *args, size_t n,
	    char **json, char *err, size_t errlen);
	void *arg;
	FILE *announce;			/* where the URL is printed */
};

/* Serve until SIGINT or SIGTERM.  0, or -1 with err (cannot listen). */
int console_run(const struct console_config *c, char *err, size_t errlen);

/* Whether s is the token (constant time); exported for the tests. */
int console_token_is(const char *token, const char *s);

#endif
