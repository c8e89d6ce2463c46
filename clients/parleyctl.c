/* parleyctl: the mediator's command line, over the admin socket.  A table
 * of verbs maps the command line to one AdminRequest; files named on the
 * command line are read here, so the daemon never opens a caller's path. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "cl.h"
#include "text.h"
#include "cl_bundle.h"
#include "crypto.h"
#include "json.h"

#define ARG_MAX_FILE (512 * 1024)

enum optkind { O_FLAG, O_VALUE, O_FILE, O_CERTPIN, O_PUBKEY };

struct optspec {
	const char *name;	/* command-line option, without -- */
	enum optkind kind;
	const char *wire;	/* argument name sent to the daemon */
};

struct cverb {
	const char *name;
	int minpos, maxpos;
	const char *usage;
	const char *help;
	struct optspec opts[14];
	int filepos;		/* this positional (1-based) names a file to send */
};

static const struct cverb verbs[] = {
	{ "init", 0, 0, "init",
	  "create missing keys in the state directory; print the server pin and mediator key",
	  { { NULL } } },
	{ "party add", 1, 1, "party add CODE --name NAME [--observer]",
	  "register a party (or an observer, which receives copies and never signs)",
	  { { "name", O_VALUE, "name" }, { "observer", O_FLAG, "observer" }, { NULL } } },
	{ "party list", 0, 0, "party list", "list parties and observers", { { NULL } } },
	{ "endpoint add", 1, 1, "endpoint add PARTY --cert CERT.pem | --pin HEX",
	  "pin an endpoint's TLS certificate to a party",
	  { { "cert", O_CERTPIN, "pin" }, { "pin", O_VALUE, "pin" }, { NULL } } },
	{ "endpoint list", 0, 1, "endpoint list [PARTY]", "list endpoints", { { NULL } } },
	{ "endpoint remove", 1, 1, "endpoint remove ID",
	  "remove an endpoint: its certificate is refused from now on", { { NULL } } },
	{ "signer add", 1, 1, "signer add PARTY --key PUB.pem",
	  "register a party's Ed25519 signer key", { { "key", O_PUBKEY, "key" }, { NULL } } },
	{ "signer list", 0, 1, "signer list [PARTY]", "list signer keys", { { NULL } } },
	{ "principal add", 1, 1, "principal add PARTY --key PUB.pem",
	  "register a party's principal key: from then on its signers need a mandate",
	  { { "key", O_PUBKEY, "key" }, { NULL } } },
	{ "mandate list", 0, 1, "mandate list [PARTY]",
	  "mandates with their status (active, superseded, revoked, expired, not-yet-valid)",
	  { { NULL } } },
	{ "notice send", 1, 1, "notice send PARTY|all --text TEXT",
	  "send a mediator's circular", { { "text", O_VALUE, "text" }, { NULL } } },
	{ "notice list", 0, 0, "notice list [--last N]",
	  "notices (or the N newest) with, per endpoint, when each was acknowledged",
	  { { "last", O_VALUE, "last" }, { NULL } } },
	{ "delivery list", 0, 0, "delivery list [--last N]",
	  "every message (or the N newest) with its per-endpoint acknowledgements",
	  { { "last", O_VALUE, "last" }, { NULL } } },
	{ "agreement create", 0, 0,
	  "agreement create --title T --text FILE --parties A,B,... [--observers X,...] "
	  "[--effective on-release|TIME] [--disclose-progress] [--sign-by TIME] "
	  "[--valid-for DURATION | --valid-until TIME|DATE] [--extends ID | --reaffirms ID] "
	  "[--label NAME] [--signatories PARTY=ROLE+ROLE,...]",
	  "create a draft agreement (revision 1)",
	  { { "title", O_VALUE, "title" }, { "text", O_FILE, "text" },
	    { "parties", O_VALUE, "parties" }, { "observers", O_VALUE, "observers" },
	    { "effective", O_VALUE, "effective" },
	    { "disclose-progress", O_FLAG, "disclose-progress" },
	    { "sign-by", O_VALUE, "sign-by" }, { "valid-for", O_VALUE, "valid-for" },
	    { "valid-until", O_VALUE, "valid-until" }, { "extends", O_VALUE, "extends" },
	    { "reaffirms", O_VALUE, "reaffirms" }, { "label", O_VALUE, "label" },
	    { "signatories", O_VALUE, "signatories" }, { NULL } } },
	{ "agreement circulate", 1, 1, "agreement circulate ID",
	  "send the current revision to every endpoint of every party", { { NULL } } },
	{ "agreement show", 1, 1, "agreement show ID",
	  "state, signatures, receipts and non-identical copies", { { NULL } } },
	{ "agreement list", 0, 0, "agreement list [--last N]",
	  "list agreements (or the N newest)", { { "last", O_VALUE, "last" }, { NULL } } },
	{ "agreement withdraw", 1, 1, "agreement withdraw ID",
	  "end an agreement before release; the parties are told", { { NULL } } },
	{ "agreement diff", 2, 2, "agreement diff ID PARTY",
	  "a party's non-identical copy against the revision, as a unified diff", { { NULL } } },
	{ "agreement export", 2, 2, "agreement export ID DIR",
	  "write the release bundle into DIR", { { NULL } } },
	{ "amendment list", 1, 1, "amendment list ID", "amendments of an agreement",
	  { { NULL } } },
	{ "amendment forward", 1, 1, "amendment forward AM",
	  "send a proposed amendment to the other parties", { { NULL } } },
	{ "amendment adopt", 1, 1, "amendment adopt AM [--text FILE]",
	  "make the amendment (or an edited text) the next revision; all must sign again",
	  { { "text", O_FILE, "text" }, { NULL } } },
	{ "amendment reject", 1, 1, "amendment reject AM [--reason TEXT]",
	  "reject an amendment; the proposer is told why",
	  { { "reason", O_VALUE, "reason" }, { NULL } } },
	{ "timeline set", 2, 2, "timeline set ID FILE",
	  "load a Day-X calendar: lines of OFFSET | PARTY|all|mediator | description | "
	  "confirm|-", { { NULL } }, 2 },
	{ "timeline show", 1, 1, "timeline show ID",
	  "the calendar with due times and status, ordered by offset", { { NULL } } },
	{ "dayx set", 2, 2, "dayx set ID TIME|on-release|on-effect",
	  "bind X; measures then get their due times", { { NULL } } },
	{ "incident list", 0, 0, "incident list",
	  "every incident with its state, answer deadline and complaints", { { NULL } } },
	{ "incident show", 1, 1, "incident show N",
	  "an incident with its answer, publication time, meeting and inspection requests",
	  { { NULL } } },
	{ "incident close", 1, 1, "incident close N", "close an incident; both sides are told",
	  { { NULL } } },
	{ "journal verify", 0, 0, "journal verify",
	  "recompute every hash of the record and check every signed checkpoint", { { NULL } } },
	{ "journal show", 0, 0, "journal show [--agreement ID] [--party P]",
	  "the record in order", { { "agreement", O_VALUE, "agreement" },
	    { "party", O_VALUE, "party" }, { NULL } } },
	{ "duty", 0, 0, "duty",
	  "each party's endpoints, online now, last seen, longest gap in 24 h, alerts",
	  { { NULL } } },
	{ "clock set", 1, 1, "clock set TIME", "set the virtual clock (test configurations)",
	  { { NULL } } },
	{ "clock advance", 1, 1, "clock advance DURATION",
	  "advance the virtual clock (test configurations)", { { NULL } } },
	{ "status", 0, 0, "status", "parties online, agreements by state, pending deliveries",
	  { { NULL } } },
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

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

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: parleyctl [-s ADMIN_SOCKET] [--json] VERB ...\n\n"
	    "The mediator's control of parleyd, over its admin socket\n"
	    "(default /run/parley/admin.sock, or $PARLEY_ADMIN_SOCKET).\n\nverbs:\n");
	for (i = 0; i < NVERBS; i++)
		fprintf(f, "  %s\n      %s\n", verbs[i].usage, verbs[i].help);
	fprintf(f, "\nexit status: 0 done, 1 refused, 2 bad usage, 3 cannot reach parleyd\n");
}

struct request {
	Parley__AdminRequest req;
	Parley__AdminArg args[32], *argp[32];
	char *owned[32];
	size_t nowned;
	char posname[8][12];
};

static int
add_arg(struct request *r, const char *key, const void *val, size_t len)
{
	Parley__AdminArg *a;

	if (r->req.n_args == 32)
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
	if (p != NULL && r->nowned == 32) {
		free(p);
		return NULL;
	}
	if (p != NULL)
		r->owned[r->nowned++] = p;
	return p;
}

static int
fail_usage(const struct cverb *v, const char *fmt, const char *arg)
{
	fprintf(stderr, "parleyctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: parleyctl %s\n", v->usage);
	return EXIT_USAGE;
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

/* Read an option's file argument into the request. */
static int
option_value(struct request *r, const struct cverb *v, const struct optspec *o,
    const char *val, int json)
{
	char err[600], *buf, hex[65];
	uint8_t raw[32];
	EVP_PKEY *k;
	size_t len;

	switch (o->kind) {
	case O_FLAG:
		return add_arg(r, o->wire, "", 0);
	case O_VALUE:
		return add_arg(r, o->wire, val, strlen(val));
	case O_FILE:
		if ((buf = own(r, cl_read_file(val, ARG_MAX_FILE, &len, err, sizeof(err)))) == NULL ||
		    file_text(val, buf, len, err, sizeof(err)) != 0)
			return json_error(json, err, EXIT_USAGE), -1;
		return add_arg(r, o->wire, buf, len);
	case O_CERTPIN:
		if (crypto_pin_file(val, hex, err, sizeof(err)) != 0)
			return json_error(json, err, EXIT_USAGE), -1;
		if ((buf = own(r, strdup(hex))) == NULL)
			return -1;
		return add_arg(r, o->wire, buf, 64);
	case O_PUBKEY:
		if ((k = crypto_read_public_key(val, err, sizeof(err))) == NULL)
			return json_error(json, err, EXIT_USAGE), -1;
		if (!crypto_is_ed25519(k) || crypto_pubkey_raw(k, raw) != 0) {
			EVP_PKEY_free(k);
			snprintf(err, sizeof(err), "%s is not an Ed25519 public key", val);
			return json_error(json, err, EXIT_USAGE), -1;
		}
		EVP_PKEY_free(k);
		hex_encode(raw, 32, hex);
		if ((buf = own(r, strdup(hex))) == NULL)
			return -1;
		return add_arg(r, o->wire, buf, 64);
	}
	(void)v;
	return -1;
}

int
main(int argc, char **argv)
{
	const char *sock = getenv("PARLEY_ADMIN_SOCKET");
	const struct cverb *v = NULL;
	struct request r;
	Parley__Frame f = PARLEY__FRAME__INIT, *reply = NULL;
	char err[1024], verb[64];
	const char *positional[8];
	int json = 0, npos = 0, i, rc, words;
	struct cl *c;
	size_t k;

	/* A daemon that dies mid-request is "unreachable" (3), not a SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (sock == NULL)
		sock = "/run/parley/admin.sock";
	/* Global options come before the verb. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			sock = argv[++i];
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else {
			fprintf(stderr, "parleyctl: unknown option %s\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (words = 2; words >= 1 && v == NULL; words--) {
		if (i + words > argc)
			continue;
		snprintf(verb, sizeof(verb), "%s%s%s", argv[i], words == 2 ? " " : "",
		    words == 2 ? argv[i + 1] : "");
		for (k = 0; k < NVERBS; k++)
			if (strcmp(verbs[k].name, verb) == 0)
				v = &verbs[k];
		if (v != NULL)
			i += words;
	}
	if (v == NULL) {
		fprintf(stderr, "parleyctl: unknown verb \"%s%s%s\"\n", argv[i],
		    i + 1 < argc ? " " : "", i + 1 < argc ? argv[i + 1] : "");
		usage(stderr);
		return EXIT_USAGE;
	}
	memset(&r, 0, sizeof(r));
	parley__admin_request__init(&r.req);
	r.req.verb = (char *)v->name;
	r.req.args = r.argp;
	rc = EXIT_USAGE;
	for (; i < argc; i++) {
		const char *a = argv[i];
		const struct optspec *o = NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			printf("usage: parleyctl %s\n  %s\n", v->usage, v->help);
			rc = EXIT_OK;
			goto out;
		}
		if (strncmp(a, "--", 2) == 0) {
			if (strcmp(a, "--json") == 0) {
				json = 1;
				continue;
			}
			for (k = 0; v->opts[k].name != NULL; k++)
				if (strcmp(v->opts[k].name, a + 2) == 0)
					o = &v->opts[k];
			if (o == NULL) {
				rc = fail_usage(v, "unknown option %s", a);
				goto out;
			}
			if (o->kind != O_FLAG && i + 1 >= argc) {
				rc = fail_usage(v, "%s needs a value", a);
				goto out;
			}
			if (option_value(&r, v, o, o->kind == O_FLAG ? "" : argv[++i], json) != 0) {
				rc = EXIT_USAGE;
				goto out;
			}
			continue;
		}
		if (npos == v->maxpos) {
			rc = fail_usage(v, "unexpected argument \"%s\"", a);
			goto out;
		}
		snprintf(r.posname[npos], sizeof(r.posname[0]), "%d", npos + 1);
		positional[npos] = a;
		if (v->filepos == npos + 1) {
			char *buf;
			size_t len;
			if ((buf = own(&r, cl_read_file(a, ARG_MAX_FILE, &len, err,
			    sizeof(err)))) == NULL || file_text(a, buf, len, err, sizeof(err)) != 0) {
				rc = json_error(json, err, EXIT_USAGE);
				goto out;
			}
			add_arg(&r, r.posname[npos], buf, len);
		} else {
			add_arg(&r, r.posname[npos], a, strlen(a));
		}
		npos++;
	}
	if (npos < v->minpos) {
		rc = fail_usage(v, "%s", "missing arguments");
		goto out;
	}
	if ((c = cl_connect_unix(sock, err, sizeof(err))) == NULL) {
		rc = json_error(json, err, EXIT_UNREACHABLE);
		goto out;
	}
	f.body_case = PARLEY__FRAME__BODY_ADMIN;
	f.admin = &r.req;
	if (cl_call(c, &f, &reply, NULL, NULL, err, sizeof(err)) != 0) {
		cl_close(c);
		rc = json_error(json, err, EXIT_UNREACHABLE);
		goto out;
	}
	if (reply->body_case == PARLEY__FRAME__BODY_ERROR) {
		rc = json_error(json, reply->error->message, EXIT_REFUSED);
	} else if (reply->body_case != PARLEY__FRAME__BODY_ADMIN_REPLY) {
		rc = json_error(json, "unexpected answer from parleyd", EXIT_UNREACHABLE);
	} else {
		Parley__AdminReply *ar = reply->admin_reply;
		rc = ar->status == 0 ? EXIT_OK : ar->status == 2 ? EXIT_USAGE : EXIT_REFUSED;
		if (rc == EXIT_OK && strcmp(v->name, "agreement export") == 0) {
			if (ar->bundle == NULL ||
			    bundle_write(positional[1], ar->bundle, err, sizeof(err)) != 0) {
				rc = json_error(json, ar->bundle ? err : "no bundle in the answer",
				    EXIT_REFUSED);
				goto close;
			}
			if (!json)
				printf("bundle of agreement %s written to %s\n", positional[0],
				    positional[1]);
		}
		if (json)
			printf("%s\n", ar->json);
		else if (rc != EXIT_OK)
			fprintf(stderr, "parleyctl: %s\n", ar->text);
		else if (strcmp(v->name, "agreement export") != 0)
			fputs(ar->text, stdout);
	}
close:
	cl_free(c, reply);
	cl_close(c);
out:
	for (k = 0; k < r.nowned; k++)
		free(r.owned[k]);
	return rc;
}
