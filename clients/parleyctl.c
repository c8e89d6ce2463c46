/* parleyctl: the mediator's command line, over the admin socket.  A table
 * of verbs maps the command line to one AdminRequest; files named on the
 * command line are read here, so the daemon never opens a caller's path. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "cl.h"
#include "cl_args.h"
#include "text.h"
#include "cl_bundle.h"
#include "cl_console.h"
#include "crypto.h"
#include "drift.h"
#include "json.h"

#define ARG_MAX_FILE (512 * 1024)

/* How an option's value goes to the daemon (struct cl_args_option.tag). */
enum optkind { O_VALUE, O_FILE, O_CERTPIN, O_PUBKEY, O_LANGFILE, O_PARTYFILE, O_SET };

/* What a verb needs besides its request (struct cl_args_verb.id). */
enum { V_PLAIN, V_FILE2 /* positional 2 names a file to send */, V_EXPORT,
	V_WATCH /* a loop of requests, across reconnections */, V_CONSOLE };

#define OPTS(...) ((const struct cl_args_option[]){ __VA_ARGS__, { NULL } })
#define REQ CL_ARGS_REQUIRED
#define LAST { .name = "last", .value = "N", .help = "only the N newest" }
#define KEY(h) { .name = "key", .value = "PUB.pem", .flags = REQ, .tag = O_PUBKEY, .help = h }

static const struct cl_args_option globals[] = {
	{ .name = "socket", .short_name = 's', .value = "ADMIN_SOCKET[,...]",
	  .help = "parleyd's admin socket; several are tried in order" },
	{ .name = "json", .flags = CL_ARGS_ANYWHERE,
	  .help = "print one JSON object (also after the verb)" },
	{ NULL }
};

static const struct cl_args_verb verbs[] = {
	{ "init", NULL, 0, 0, NULL,
	  "create missing keys in the state directory; print the server pin and mediator key" },
	{ "party add", "CODE", 1, 1, OPTS(
	    { .name = "name", .value = "NAME", .flags = REQ, .help = "the party's full name" },
	    { .name = "observer", .help = "an observer: receives copies, never signs" }),
	  "register a party (or an observer, which receives copies and never signs)" },
	{ "party list", NULL, 0, 0, NULL, "list parties and observers" },
	{ "endpoint add", "PARTY", 1, 1, OPTS(
	    { .name = "cert", .value = "CERT.pem", .flags = REQ, .alt = 1, .tag = O_CERTPIN,
	      .help = "the endpoint's certificate (its pin is sent)" },
	    { .name = "pin", .value = "HEX", .flags = REQ, .alt = 1,
	      .help = "the certificate's pin, 64 hex digits" }),
	  "pin an endpoint's TLS certificate to a party" },
	{ "endpoint list", "[PARTY]", 0, 1, NULL, "list endpoints" },
	{ "endpoint remove", "ID", 1, 1, NULL,
	  "remove an endpoint: its certificate is refused from now on" },
	{ "signer add", "PARTY", 1, 1, OPTS(KEY("the signer's Ed25519 public key"),
	    { .name = "name", .value = "NAME", .help = "who holds the key (in certificates)" },
	    { .name = "title", .value = "TITLE", .help = "the office they sign in" }),
	  "register a party's Ed25519 signer key" },
	{ "signer list", "[PARTY]", 0, 1, NULL, "list signer keys" },
	{ "principal add", "PARTY", 1, 1, OPTS(KEY("the principal's Ed25519 public key")),
	  "register a party's principal key: from then on its signers need a mandate" },
	{ "mandate list", "[PARTY]", 0, 1, NULL,
	  "mandates with their status (active, superseded, revoked, expired, not-yet-valid)" },
	{ "observer add", "ID PARTY", 2, 2, OPTS(
	    { .name = "note", .value = "TEXT", .help = "why, for the parties" }),
	  "propose an observer for a circulating or released agreement; every signing party "
	  "is asked and may object within [agreements] objection_window" },
	{ "observer list", "[ID]", 0, 1, NULL,
	  "requests to add observers, with the parties' answers and outcomes" },
	{ "condition deadline", "ID PARTY TIME|DATE", 3, 3, OPTS(
	    { .name = "role", .value = "ROLE", .help = "the conditional copy's role" }),
	  "by when a party should lift the condition of its signature; past it every member "
	  "and the log are told" },
	{ "notice send", "PARTY|all", 1, 1, OPTS(
	    { .name = "text", .value = "FILE|-", .flags = REQ, .tag = O_FILE,
	      .help = "the notice (- reads standard input)" }),
	  "send a mediator's circular" },
	{ "letter send", NULL, 0, 0, OPTS(
	    { .name = "to", .value = "PARTY,...|all", .flags = REQ, .help = "the addressees" },
	    { .name = "cc", .value = "PARTY,...", .help = "copies to" },
	    { .name = "text", .value = "FILE|-", .flags = REQ, .alt = 1, .tag = O_FILE,
	      .help = "the letter (UTF-8, - reads standard input)" },
	    { .name = "template", .value = "NAME", .flags = REQ, .alt = 1,
	      .help = "the letter: a template filled with --set" },
	    { .name = "set", .value = "KEY=VALUE", .flags = CL_ARGS_REPEAT, .tag = O_SET,
	      .help = "a template's placeholder {{KEY}}" },
	    { .name = "subject", .value = "S", .help = "one line" },
	    { .name = "urgent", .help = "mark it urgent" }),
	  "a letter to parties, with copies to others; receipts per endpoint" },
	{ "template add", "NAME", 1, 1, OPTS(
	    { .name = "text", .value = "FILE|-", .flags = REQ, .tag = O_FILE,
	      .help = "the text, with placeholders {{name}}" }),
	  "record a template (replacing one of that name) for agreements and letters" },
	{ "template list", NULL, 0, 0, NULL, "the templates" },
	{ "template show", "NAME", 1, 1, NULL, "a template's text" },
	{ "letter list", NULL, 0, 0, OPTS(LAST,
	    { .name = "party", .value = "P", .help = "only letters from or to P (or mediator)" }),
	  "letters with their addressees and copies" },
	{ "letter show", "N", 1, 1, NULL,
	  "a letter, its text, and each addressee's and copy's receipts per endpoint" },
	{ "notice list", NULL, 0, 0, OPTS(LAST,
	    { .name = "party", .value = "P", .help = "only those to party P" }),
	  "notices (or the N newest) with, per endpoint, when each was acknowledged" },
	{ "delivery list", NULL, 0, 0, OPTS(LAST,
	    { .name = "agreement", .value = "ID", .help = "only those of agreement ID" },
	    { .name = "party", .value = "P", .help = "only those to party P" }),
	  "every message (or the N newest) with its per-endpoint acknowledgements" },
	{ "agreement create", NULL, 0, 0, OPTS(
	    { .name = "title", .value = "T", .flags = REQ, .help = "one line" },
	    { .name = "text", .value = "[LANG=]FILE", .flags = REQ | CL_ARGS_REPEAT, .alt = 3,
	      .tag = O_LANGFILE, .help = "the text (UTF-8, sent as read); LANG=FILE once per "
	      "language version (ru=ru.txt)" },
	    { .name = "template", .value = "NAME", .flags = REQ, .alt = 3,
	      .help = "the text: a template filled with --set" },
	    { .name = "set", .value = "KEY=VALUE", .flags = CL_ARGS_REPEAT, .tag = O_SET,
	      .help = "a template's placeholder {{KEY}}" },
	    { .name = "authentic", .value = "LANG,...",
	      .help = "the authentic language versions (default: every one)" },
	    { .name = "frame", .value = "PARTY=FILE", .flags = CL_ARGS_REPEAT, .tag = O_PARTYFILE,
	      .help = "a party's address and signature blocks, around a line {{core}}" },
	    { .name = "parties", .value = "A,B,...", .flags = REQ,
	      .help = "the parties that sign, by code" },
	    { .name = "observers", .value = "X,...", .help = "observers that receive copies" },
	    { .name = "effective", .value = "on-release|TIME",
	      .help = "when it takes effect (default on-release)" },
	    { .name = "disclose-progress", .help = "tell the parties who has signed" },
	    { .name = "sign-by", .value = "TIME|DATE", .help = "it lapses unless released by then" },
	    { .name = "sign-after-effect",
	      .help = "allow a --sign-by later than --effective" },
	    { .name = "valid-for", .value = "DURATION", .alt = 1,
	      .help = "it expires this long after taking effect" },
	    { .name = "valid-until", .value = "TIME|DATE", .alt = 1, .help = "it expires then" },
	    { .name = "extends", .value = "ID", .alt = 2,
	      .help = "it extends agreement ID's validity" },
	    { .name = "reaffirms", .value = "ID", .alt = 2,
	      .help = "it reaffirms agreement ID (open-ended)" },
	    { .name = "label", .value = "NAME", .help = "a label mandates may be scoped to" },
	    { .name = "zone", .value = "ZONE",
	      .help = "its time zone (default: the daemon's display_tz)" },
	    { .name = "signatories", .value = "PARTY=ROLE+ROLE,...",
	      .help = "the roles each party signs in" },
	    { .name = "same-signer-ok",
	      .help = "one signer key (or mandate) may sign several roles of a party" },
	    { .name = "no-reservations",
	      .help = "refuse copies that carry a reservation or a condition" }),
	  "create a draft agreement (revision 1)" },
	{ "agreement circulate", "ID", 1, 1, OPTS(
	    { .name = "override", .value = "NOTE",
	      .help = "circulate language versions that the check finds mismatches in; "
	      "the note is recorded" }),
	  "send the current revision to every endpoint of every party" },
	{ "agreement check", "ID", 1, 1, OPTS(
	    { .name = "glossary", .value = "FILE", .tag = O_FILE,
	      .help = "key terms and their required renderings, kept for this agreement" }),
	  "compare an agreement's language versions: clauses, numbers, glossary terms" },
	{ "agreement show", "ID", 1, 1, NULL,
	  "state, signatures, receipts and non-identical copies" },
	{ "agreement list", NULL, 0, 0, OPTS(LAST), "list agreements (or the N newest)" },
	{ "agreement withdraw", "ID", 1, 1, OPTS(
	    { .name = "reason", .value = "TEXT", .help = "why: told to the parties, recorded" }),
	  "end an agreement before release; the parties are told" },
	{ "agreement deadline", "ID TIME|DATE", 2, 2, NULL,
	  "move the signing deadline of a circulating agreement (a DATE: the end of that "
	  "day); every signing party is told" },
	{ "agreement remind", "ID [PARTY...]", 1, 65, NULL,
	  "a signing reminder now to the parties named (default: every signing party), "
	  "each of its own copy" },
	{ "agreement diff", "ID PARTY", 2, 2, NULL,
	  "a party's non-identical copy against the revision, as a unified diff" },
	{ "agreement export", "ID DIR", 2, 2, NULL, "write the release bundle into DIR",
	  V_EXPORT },
	{ "amendment list", "ID", 1, 1, NULL, "amendments of an agreement" },
	{ "amendment show", "AM", 1, 1, NULL,
	  "an amendment: its diff against the revision it amends, and the answers with "
	  "their notes" },
	{ "amendment forward", "AM", 1, 1, NULL,
	  "send a proposed amendment to the other parties" },
	{ "amendment adopt", "AM", 1, 1, OPTS(
	    { .name = "text", .value = "FILE", .tag = O_FILE,
	      .help = "an edited text instead of the amendment's" }),
	  "make the amendment (or an edited text) the next revision; all must sign again" },
	{ "amendment reject", "AM", 1, 1, OPTS(
	    { .name = "reason", .value = "TEXT", .help = "told to the proposer" }),
	  "reject an amendment; the proposer is told why" },
	{ "timeline set", "ID FILE", 2, 2, NULL,
	  "load a Day-X calendar: lines of OFFSET | PARTY|all|mediator | description | "
	  "confirm|-", V_FILE2 },
	{ "timeline show", "ID", 1, 1, NULL,
	  "the calendar with due times and status, ordered by offset" },
	{ "timeline confirm", "ID MEASURE", 2, 2, OPTS(
	    { .name = "note", .value = "TEXT", .help = "a note for the parties" }),
	  "confirm that the mediator carried out one of its own measures; the parties are "
	  "told" },
	{ "dayx set", "ID TIME|on-release|on-effect", 2, 2, NULL,
	  "bind X; measures then get their due times" },
	{ "incident list", NULL, 0, 0, NULL,
	  "every incident with its state, answer deadline and complaints" },
	{ "incident show", "N", 1, 1, NULL,
	  "an incident with its answer, publication time, meeting and inspection requests" },
	{ "incident recommend", "N", 1, 1, OPTS(
	    { .name = "text", .value = "FILE|-", .flags = REQ, .tag = O_FILE,
	      .help = "the recommendation" }),
	  "a recommendation to both sides of an incident" },
	{ "incident meeting", "N", 1, 1, OPTS(
	    { .name = "time", .value = "TIME", .flags = REQ, .help = "when (ISO 8601)" },
	    { .name = "place", .value = "P", .flags = REQ, .help = "where" },
	    { .name = "participants", .value = "LIST", .flags = REQ, .help = "who meets" }),
	  "schedule a meeting on an incident; each side accepts or proposes another time" },
	{ "incident escalate", "N", 1, 1, OPTS(
	    { .name = "to", .value = "PARTY,...", .flags = REQ,
	      .help = "observers or other parties" }),
	  "bring an incident to observers or other parties; both sides are told" },
	{ "incident forward", "N", 1, 1, NULL,
	  "forward the accused side's counter-protest to the side that reported the incident" },
	{ "incident close", "N", 1, 1, OPTS(
	    { .name = "reason", .value = "TEXT", .help = "why: told to both sides, recorded" }),
	  "close an incident; both sides are told" },
	{ "journal verify", NULL, 0, 0, NULL,
	  "recompute every hash of the record and check every signed checkpoint" },
	{ "journal show", NULL, 0, 0, OPTS(
	    { .name = "agreement", .value = "ID", .help = "only what concerns agreement ID" },
	    { .name = "party", .value = "P", .help = "only what concerns party P" },
	    { .name = "countersignatures",
	      .help = "show the parties' countersignatures of checkpoints too" }),
	  "the record in order" },
	{ "duty contacts set", "PARTY FILE", 2, 2, NULL,
	  "record a party's duty contacts: lines of NAME | ROLE | DEVICE | NUMBER | HOURS",
	  V_FILE2 },
	{ "duty contacts pass", "PARTY", 1, 1, OPTS(
	    { .name = "to", .value = "PARTY,...|all", .flags = REQ,
	      .help = "the parties to pass them to (all: every other party)" }),
	  "pass a party's duty contacts to others, as a letter with receipts" },
	{ "duty contacts list", NULL, 0, 0, NULL,
	  "every party's duty contacts, and whom they were passed to" },
	{ "duty", NULL, 0, 0, NULL,
	  "each party's endpoints, online now, last seen, longest gap in 24 h, alerts" },
	{ "clock set", "TIME", 1, 1, NULL, "set the virtual clock (test configurations)" },
	{ "clock advance", "DURATION", 1, 1, NULL,
	  "advance the virtual clock (test configurations)" },
	{ "status", NULL, 0, 0, NULL, "parties online, agreements by state, pending deliveries" },
	{ "console", NULL, 0, 0, OPTS(
	    { .name = "listen", .value = "127.0.0.1:PORT",
	      .help = "where to listen (default: a free port)" }),
	  "a read-only console in the browser: prints its URL with a one-time token",
	  V_CONSOLE },
	{ "agenda", NULL, 0, 0, NULL,
	  "what needs the mediator now: signatures awaited, amendments, incident clocks, "
	  "overdue measures, open conditions, duty alerts, observer requests" },
	{ "watch", NULL, 0, 0, OPTS(
	    { .name = "from", .value = "SEQ",
	      .help = "start at this record entry (default: what comes next)" },
	    { .name = "count", .value = "N", .help = "stop after N events" }),
	  "print events as they are committed (a JSON object a line with --json), "
	  "resuming after a lost connection where it stopped (at the next socket first)",
	  V_WATCH },
};

static const struct cl_args_prog prog = {
	"parleyctl",
	"The mediator's control of parleyd, over its admin socket\n"
	"(default /run/parley/admin.sock, or $PARLEY_ADMIN_SOCKET; a list,\n"
	"PATH,PATH, is tried in order: a standby's sockets are closed).",
	"exit status: 0 done, 1 refused, 2 bad usage, 3 cannot reach parleyd",
	globals, verbs, sizeof(verbs) / sizeof(verbs[0]),
};

/* A file sent as text: refused here, naming the file and line, when the
 * daemon would refuse it (a NUL byte, bad UTF-8). */
static int
file_text(const char *path, const char *buf, size_t len, char *err, size_t errlen)
{
	char why[160];

	if (text_check(buf, len, why, sizeof(why)) == 0)
		return 0;
	snprintf(err, errlen, "%s: %s", path, why);
	return -1;
}

/* Arguments of one request: 16 language versions, 64 frames and the rest
 * (each file's key is owned too). */
#define REQUEST_ARGS 256
/* What an agreement's texts and frames may hold together (the daemon's
 * TEXTS_MAX): more is refused here, before a request too long to send. */
#define TEXTS_TOTAL_MAX (512 * 1024)

struct request {
	Parley__AdminRequest req;
	Parley__AdminArg args[REQUEST_ARGS], *argp[REQUEST_ARGS];
	char *owned[REQUEST_ARGS];
	size_t nowned;
	char posname[CL_ARGS_MAXPOS][12];
};

static int
add_arg(struct request *r, const char *key, const void *val, size_t len)
{
	Parley__AdminArg *a;

	if (r->req.n_args == REQUEST_ARGS)
		return -1;
	a = &r->args[r->req.n_args];
	parley__admin_arg__init(a);
	a->key = (char *)key;
	a->value.data = (uint8_t *)val;
	a->value.len = len;
	r->argp[r->req.n_args++] = a;
	return 0;
}

/* The request owns p from now on (NULL if p is NULL or no slot is left). */
static char *
own(struct request *r, char *p)
{
	if (p != NULL && r->nowned == REQUEST_ARGS) {
		free(p);
		return NULL;
	}
	if (p != NULL)
		r->owned[r->nowned++] = p;
	return p;
}

static void
request_free(struct request *r)
{
	size_t k;

	for (k = 0; k < r->nowned; k++)
		free(r->owned[k]);
	r->nowned = 0;
}

static int
json_error(int json, const char *msg, int code)
{
	if (json) {
		struct jw *j = jw_new();
		jw_obj_begin(j, NULL);
		jw_str(j, "error", msg);
		jw_obj_end(j);
		printf("%s\n", jw_text(j));
		jw_free(j);
	} else {
		fprintf(stderr, "parleyctl: %s\n", msg);
	}
	return code;
}

/* A file named on the command line, read into the request as text. */
static int
add_file(struct request *r, const char *key, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;

	if ((buf = own(r, cl_read_input(path, ARG_MAX_FILE, &len, err, errlen))) == NULL ||
	    file_text(path, buf, len, err, errlen) != 0)
		return -1;
	return add_arg(r, key, buf, len);
}

/* A public key file, sent as its 64 hex digits. */
static int
add_pubkey(struct request *r, const char *key, const char *path, char *err, size_t errlen)
{
	char hex[65], *buf;
	uint8_t raw[32];
	EVP_PKEY *k;

	if ((k = crypto_read_public_key(path, err, errlen)) == NULL)
		return -1;
	if (!crypto_is_ed25519(k) || crypto_pubkey_raw(k, raw) != 0) {
		EVP_PKEY_free(k);
		snprintf(err, errlen, "%s is not an Ed25519 public key", path);
		return -1;
	}
	EVP_PKEY_free(k);
	hex_encode(raw, 32, hex);
	if ((buf = own(r, strdup(hex))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return add_arg(r, key, buf, 64);
}

/* "KEY=FILE" (a language version, a party's frame) into the request as
 * the argument "PREFIX.KEY" with the file's text.  A --text value without
 * "=" is the one text. */
static int
add_keyed_file(struct request *r, const char *prefix, const char *value, char *err,
    size_t errlen)
{
	const char *eq = strchr(value, '=');
	char *key, tag[16];

	/* --text FILE, unless what comes before an "=" is a language tag:
	 * a path such as /srv/a=b/text.txt is a file (./ru=x.txt too). */
	if (eq != NULL && strcmp(prefix, "text") == 0) {
		snprintf(tag, sizeof(tag), "%.*s", (int)(eq - value < 15 ? eq - value : 15), value);
		if (eq - value > 8 || !drift_lang_valid(tag))
			eq = NULL;
	}
	if (eq == NULL && strcmp(prefix, "text") == 0)
		return add_file(r, "text", value, err, errlen);
	if (eq == NULL || eq == value || eq[1] == '\0') {
		snprintf(err, errlen, "--%s takes %s=FILE, not \"%s\"", prefix,
		    strcmp(prefix, "text") == 0 ? "LANG" : "PARTY", value);
		return -1;
	}
	if ((key = own(r, malloc(strlen(prefix) + 1 + (size_t)(eq - value) + 1))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sprintf(key, "%s.%.*s", prefix, (int)(eq - value), value);
	return add_file(r, key, eq + 1, err, errlen);
}

/* One option into the request, its file read if it names one. */
static int
add_option(struct request *r, const struct cl_args_val *v, char *err, size_t errlen)
{
	char hex[65], *buf;

	if (v->opt->value == NULL)
		return add_arg(r, v->opt->name, "", 0);
	switch (v->opt->tag) {
	case O_FILE:
		return add_file(r, v->opt->name, v->value, err, errlen);
	case O_CERTPIN:
		if (crypto_pin_file(v->value, hex, err, errlen) != 0)
			return -1;
		if ((buf = own(r, strdup(hex))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return add_arg(r, "pin", buf, 64);
	case O_PUBKEY:
		return add_pubkey(r, v->opt->name, v->value, err, errlen);
	case O_LANGFILE:
	case O_PARTYFILE:
		return add_keyed_file(r, v->opt->name, v->value, err, errlen);
	case O_SET: {
		const char *eq = strchr(v->value, '=');
		char *key;
		if (eq == NULL || eq == v->value) {
			snprintf(err, errlen, "--set takes KEY=VALUE, not \"%s\"", v->value);
			return -1;
		}
		if ((key = own(r, malloc((size_t)(eq - v->value) + 5))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		sprintf(key, "set.%.*s", (int)(eq - v->value), v->value);
		return add_arg(r, key, eq + 1, strlen(eq + 1));
	}
	default:
		return add_arg(r, v->opt->name, v->value, strlen(v->value));
	}
}

/* The AdminRequest of the command line: positionals as "1", "2" ...,
 * options by name.  -1 with err if a file named in it will not do. */
static int
build_request(const struct cl_args *a, struct request *r, char *err, size_t errlen)
{
	int i;

	err[0] = '\0';
	memset(r, 0, sizeof(*r));
	parley__admin_request__init(&r->req);
	r->req.verb = (char *)a->verb->name;
	r->req.args = r->argp;
	for (i = 0; i < a->npos; i++) {
		snprintf(r->posname[i], sizeof(r->posname[0]), "%d", i + 1);
		if (a->verb->id == V_FILE2 && i == 1) {
			if (add_file(r, r->posname[i], a->pos[i], err, errlen) != 0)
				return -1;
		} else if (add_arg(r, r->posname[i], a->pos[i], strlen(a->pos[i])) != 0) {
			goto full;
		}
	}
	for (i = 0; i < a->nopts; i++)
		if (!a->opts[i].global && add_option(r, &a->opts[i], err, errlen) != 0)
			goto full;
	if (strcmp(a->verb->name, "agreement create") == 0) {
		size_t k, total = 0;
		for (k = 0; k < r->req.n_args; k++)
			if (strncmp(r->args[k].key, "text", 4) == 0 ||
			    strncmp(r->args[k].key, "frame.", 6) == 0)
				total += r->args[k].value.len;
		if (total > TEXTS_TOTAL_MAX) {
			snprintf(err, errlen, "the texts and frames together are %zu bytes, more "
			    "than the %d an agreement may hold", total, TEXTS_TOTAL_MAX);
			return -1;
		}
	}
	return 0;
full:
	if (err[0] == '\0')
		snprintf(err, errlen, "too many arguments");
	return -1;
}

/* What parleyd answered, printed; the exit status. */
static int
print_reply(const struct cl_args *a, const Parley__AdminReply *ar, int json)
{
	char err[1024];
	int rc = ar->status == 0 ? EXIT_OK : ar->status == 2 ? EXIT_USAGE : EXIT_REFUSED;

	if (rc == EXIT_OK && a->verb->id == V_EXPORT) {
		if (ar->bundle == NULL ||
		    bundle_write(a->pos[1], ar->bundle, err, sizeof(err)) != 0)
			return json_error(json, ar->bundle ? err : "no bundle in the answer",
			    EXIT_REFUSED);
		if (!json)
			printf("bundle of agreement %s written to %s\n", a->pos[0], a->pos[1]);
	}
	if (json)
		printf("%s\n", ar->json);
	else if (rc != EXIT_OK)
		fprintf(stderr, "parleyctl: %s\n", ar->text);
	else if (a->verb->id != V_EXPORT)
		fputs(ar->text, stdout);
	return rc;
}

/* Send the request over the admin socket and print the answer. */
static int
send_request(const struct cl_args *a, const struct cl_list *socks, struct request *r, int json)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *reply = NULL;
	char err[4096];
	struct cl *c;
	int rc;

	/* Only the connection is tried again elsewhere: a request that was
	 * sent is never sent twice. */
	if ((c = cl_connect_unix_list(socks, 0, NULL, err, sizeof(err))) == NULL)
		return json_error(json, err, EXIT_UNREACHABLE);
	f.body_case = PARLEY__FRAME__BODY_ADMIN;
	f.admin = &r->req;
	if (cl_call(c, &f, &reply, NULL, NULL, err, sizeof(err)) != 0)
		rc = json_error(json, err, EXIT_UNREACHABLE);
	else if (reply->body_case == PARLEY__FRAME__BODY_ERROR)
		rc = json_error(json, reply->error->message, EXIT_REFUSED);
	else if (reply->body_case != PARLEY__FRAME__BODY_ADMIN_REPLY)
		rc = json_error(json, "unexpected answer from parleyd", EXIT_UNREACHABLE);
	else
		rc = print_reply(a, reply->admin_reply, json);
	if (reply != NULL)
		cl_free(c, reply);
	cl_close(c);
	return rc;
}

/* parleyctl watch: ask for the record's entries from next on, print them
 * as events, and ask again; a lost connection is resumed where it stopped,
 * so nothing is missed: at once at the next admin socket of the list (then
 * the others in turn), and when a whole round fails, again from the first
 * 1, 2, 4 ... 30 seconds apart.  Runs until --count events were printed,
 * or a signal ends it. */
static int
watch(const struct cl_args *a, const struct cl_list *socks, int json)
{
	const char *o;
	Parley__AdminRequest req = PARLEY__ADMIN_REQUEST__INIT;
	Parley__AdminArg arg = PARLEY__ADMIN_ARG__INIT, *argp[1] = { &arg };
	Parley__Frame f = PARLEY__FRAME__INIT, *reply;
	long long next = -1, count = -1, n, seen = 0;
	char err[4096], from[24], *end, *last;
	unsigned backoff = 1;
	struct cl *c = NULL;
	struct cl_tries t;
	size_t at = 0, first = 0;

	if ((o = cl_args_opt(a, "from")) != NULL &&
	    ((next = strtoll(o, &end, 10)) < 0 || *end != '\0' || *o == '\0'))
		return json_error(json, "--from takes a record entry number", EXIT_USAGE);
	if ((o = cl_args_opt(a, "count")) != NULL &&
	    ((count = strtoll(o, &end, 10)) < 1 || *end != '\0'))
		return json_error(json, "--count takes a positive number", EXIT_USAGE);
	req.verb = "watch";
	arg.key = "from";
	f.body_case = PARLEY__FRAME__BODY_ADMIN;
	f.admin = &req;
	while (count < 0 || seen < count) {
		if (c == NULL) {
			if ((c = cl_connect_unix_list(socks, first, &t, err, sizeof(err))) == NULL) {
				fprintf(stderr, "parleyctl: watch: %s; trying again in %u s\n", err,
				    backoff);
				sleep(backoff);
				backoff = backoff < 16 ? backoff * 2 : 30;
				first = 0;
				continue;
			}
			/* with several sockets, say which one (and why not the others) */
			at = t.used;
			if (socks->n > 1)
				fprintf(stderr, "parleyctl: watch: %s%sconnected to %s\n", t.passed,
				    t.passed[0] ? "; " : "", socks->item[at]);
		}
		req.n_args = next >= 0;
		req.args = argp;
		snprintf(from, sizeof(from), "%lld", next);
		arg.value.data = (uint8_t *)from;
		arg.value.len = strlen(from);
		reply = NULL;
		if (cl_call(c, &f, &reply, NULL, NULL, err, sizeof(err)) != 0) {
			fprintf(stderr, "parleyctl: watch: %s; reconnecting\n", err);
			cl_close(c);
			c = NULL;
			first = at + 1;
			continue;
		}
		backoff = 1;
		if (reply->body_case != PARLEY__FRAME__BODY_ADMIN_REPLY ||
		    (last = strrchr(reply->admin_reply->json, '{')) == NULL ||
		    sscanf(last, "{\"next\":%lld}", &n) != 1) {
			int rc = json_error(json, reply->body_case == PARLEY__FRAME__BODY_ERROR ?
			    reply->error->message : "unexpected answer from parleyd", EXIT_REFUSED);
			cl_free(c, reply);
			cl_close(c);
			return rc;
		}
		/* One event a line: print as many as --count still allows. */
		{
			const char *p = json ? reply->admin_reply->json : reply->admin_reply->text;
			const char *stop = json ? last : p + strlen(p);
			while (p < stop && (count < 0 || seen < count)) {
				const char *nl = memchr(p, '\n', (size_t)(stop - p));
				size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(stop - p);
				fwrite(p, 1, len, stdout);
				p += len;
				seen++;
			}
		}
		fflush(stdout);
		/* from "now": where that is, once known (a reconnect asks from there) */
		if (next < 0)
			fprintf(stderr, "parleyctl: watch: from record entry %lld\n", n);
		next = n;
		cl_free(c, reply);
	}
	if (c != NULL)
		cl_close(c);
	return EXIT_OK;
}

/* The console's read-only verbs, and how it asks them. */
static const char *const console_verbs[] = {
	"agreement list", "agreement show", "timeline show", "incident list", "incident show",
	"duty", "agenda", "amendment list", "amendment show", "letter list", "status",
	"duty contacts list", "journal verify", NULL
};

static int
console_query(void *arg, const char *verb, const struct console_arg *args, size_t n,
    char **json, char *err, size_t errlen)
{
	const struct cl_list *socks = arg;
	Parley__AdminRequest req = PARLEY__ADMIN_REQUEST__INIT;
	Parley__AdminArg a[8], *ap[8];
	Parley__Frame f = PARLEY__FRAME__INIT, *reply = NULL;
	struct cl *c;
	size_t i;
	int rc = -1;

	if (n > 8) {
		snprintf(err, errlen, "too many arguments");
		return -1;
	}
	for (i = 0; i < n; i++) {
		parley__admin_arg__init(&a[i]);
		a[i].key = (char *)args[i].key;
		a[i].value.data = (uint8_t *)args[i].value;
		a[i].value.len = strlen(args[i].value);
		ap[i] = &a[i];
	}
	req.verb = (char *)verb;
	req.n_args = n;
	req.args = ap;
	f.body_case = PARLEY__FRAME__BODY_ADMIN;
	f.admin = &req;
	if ((c = cl_connect_unix_list(socks, 0, NULL, err, errlen)) == NULL)
		return -1;
	cl_set_timeout(c, CONSOLE_WAIT_MS);
	if (cl_call(c, &f, &reply, NULL, NULL, err, errlen) != 0) {
		cl_close(c);
		return -1;
	}
	if (reply->body_case == PARLEY__FRAME__BODY_ADMIN_REPLY && reply->admin_reply->status == 0) {
		if ((*json = strdup(reply->admin_reply->json)) != NULL)
			rc = 0;
		else
			snprintf(err, errlen, "out of memory");
	} else {
		snprintf(err, errlen, "%s", reply->body_case == PARLEY__FRAME__BODY_ADMIN_REPLY ?
		    reply->admin_reply->text : reply->body_case == PARLEY__FRAME__BODY_ERROR ?
		    reply->error->message : "unexpected answer from parleyd");
	}
	cl_free(c, reply);
	cl_close(c);
	return rc;
}

static int
console(const struct cl_args *a, const struct cl_list *socks, int json)
{
	const char *listen = cl_args_opt(a, "listen");
	struct console_config cc = { 0 };
	char err[1024];

	cc.listen = listen ? listen : "127.0.0.1:0";
	cc.title = "parleyctl console";
	cc.verbs = console_verbs;
	cc.query = console_query;
	cc.arg = (void *)socks;
	cc.announce = stdout;
	if (console_run(&cc, err, sizeof(err)) != 0)
		return json_error(json, err, EXIT_USAGE);
	return EXIT_OK;
}

/* The admin sockets to try, in order: -s, else $PARLEY_ADMIN_SOCKET (unless
 * empty), else the default.  0, or -1 with err. */
static int
admin_sockets(const struct cl_args *a, struct cl_list *socks, char *err, size_t errlen)
{
	const char *s = cl_args_opt(a, "socket"), *what = "-s", *env;

	if (s == NULL) {
		if ((env = getenv("PARLEY_ADMIN_SOCKET")) != NULL && *env != '\0') {
			s = env;
			what = "PARLEY_ADMIN_SOCKET";
		} else {
			s = "/run/parley/admin.sock";
		}
	}
	return cl_list_sockets(what, s, socks, err, errlen);
}

/* Bad usage: with --json, one JSON object; else one line on stderr. */
static int
usage_error(const struct cl_args *a)
{
	char usage[1024], msg[1600];

	if (a->verb == NULL || !cl_args_has(a, "json") || a->err[0] == '\0') {
		cl_args_error(stderr, a);
		return EXIT_USAGE;
	}
	cl_args_usage(a, usage, sizeof(usage));
	snprintf(msg, sizeof(msg), "%s; usage: %s", a->err, usage);
	return json_error(1, msg, EXIT_USAGE);
}

int
main(int argc, char **argv)
{
	struct cl_args a;
	struct cl_list socks;
	struct request r;
	char err[1024];
	int rc, json;

	/* A daemon that dies mid-request is "unreachable" (3), not a SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	switch (cl_args_parse(&prog, argc, argv, &a)) {
	case CL_ARGS_HELP:
		cl_args_help(stdout, &a);
		return EXIT_OK;
	case CL_ARGS_ERROR:
		return usage_error(&a);
	case CL_ARGS_OK:
		break;
	}
	json = cl_args_has(&a, "json");
	if (admin_sockets(&a, &socks, err, sizeof(err)) != 0)
		return json_error(json, err, EXIT_USAGE);
	if (a.verb->id == V_WATCH)
		return watch(&a, &socks, json);
	if (a.verb->id == V_CONSOLE)
		return console(&a, &socks, json);
	if (build_request(&a, &r, err, sizeof(err)) != 0)
		rc = json_error(json, err, EXIT_USAGE);
	else
		rc = send_request(&a, &socks, &r, json);
	request_free(&r);
	return rc;
}
