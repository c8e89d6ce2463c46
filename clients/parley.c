/* parley: a party endpoint's command line (DESIGN.md "Command lines"). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <libgen.h>
#include <limits.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cl.h"
#include "cl_args.h"
#include "cert.h"
#include "cl_bundle.h"
#include "cl_console.h"
#include "cl_render.h"
#include "sheet.h"
#include "cl_record.h"
#include "crypto.h"
#include "errors.h"
#include "json.h"
#include "ptime.h"
#include "checkpoint.h"
#include "sign.h"
#include "text.h"

#define TEXT_FILE_MAX (512 * 1024)

struct ctx {
	const char *conf_path;
	struct cl_conf conf;
	int json;
	const struct cl_args *args;	/* the command line */
	struct cl *c;
	struct jw *j;		/* --json output being built */
	const char *agent;	/* in Hello: NULL, or the console's */
	size_t server_next;	/* the address of client.conf's server to try first */
	size_t server_at;	/* the one connected to */
	int server_log;		/* say on stderr which addresses were passed over */
	char record[200];	/* what the last check of the record found */
	struct timespec record_at;	/* when (monotonic), for the console */
};

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int
out_error(struct ctx *x, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
out_error(struct ctx *x, int code, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->json) {
		struct jw *j = jw_new();
		jw_obj_begin(j, NULL);
		jw_str(j, "error", msg);
		jw_obj_end(j);
		printf("%s\n", jw_text(j));
		jw_free(j);
	} else {
		/* after what was printed before it (the header it refers to),
		 * also when both go to one pipe */
		fflush(stdout);
		fprintf(stderr, "parley: %s\n", msg);
	}
	return code;
}

/* Bad usage found by a verb: one line naming its usage, exit 2. */
static int
usage_error(struct ctx *x, const char *what)
{
	char usage[1024];

	cl_args_usage(x->args, usage, sizeof(usage));
	return out_error(x, EXIT_USAGE, "%s; usage: %s", what, usage);
}

static const char *
opt(const struct ctx *x, const char *name)
{
	return cl_args_opt(x->args, name);
}

static const char *
pos(const struct ctx *x, int i)
{
	return cl_args_pos(x->args, i);
}

static int
parse_id(const char *s, uint64_t *id)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '1' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*id = v;
	return 0;
}

/* Connect to the first of client.conf's servers that will do, from
 * x->server_next on; every address is held to server_pin.  One passed over
 * for a certificate of another pin is reported (it may be an impostor),
 * also when another address did. */
static int
connect_conf(struct ctx *x)
{
	struct cl_tries t;
	char err[4096];
	int rc;

	if (cl_conf_load(x->conf_path, &x->conf, err, sizeof(err)) != 0)
		return out_error(x, EXIT_USAGE, "%s", err);
	if (x->server_next >= x->conf.servers.n)
		x->server_next = 0;
	x->c = cl_connect_list(&x->conf.servers, &x->conf.pins, x->conf.cert, x->conf.key,
	    x->agent, x->server_next, &t, err, sizeof(err));
	if (x->c == NULL)
		return out_error(x, EXIT_UNREACHABLE, "%s", err);
	x->server_at = t.used;
	if (t.passed[0] && (t.mismatch || x->server_log)) {
		fflush(stdout);
		fprintf(stderr, "parley: %s%s; connected to %s\n", t.mismatch ? "warning: " : "",
		    t.passed, x->conf.servers.item[t.used]);
	}
	/* a console waits on a stalled daemon a few seconds, not a command's 30 */
	if (x->agent != NULL)
		cl_set_timeout(x->c, CONSOLE_WAIT_MS);
	/* Every connection holds the mediator to its record first. */
	if ((rc = cl_record_check(x->c, &x->conf, x->record, sizeof(x->record), err,
	    sizeof(err))) != 0)
		return out_error(x, rc > 0 ? EXIT_REFUSED : EXIT_UNREACHABLE, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &x->record_at);
	return 0;
}

/* Send one request, answer in *reply; an Error frame becomes exit 1. */
static int
call(struct ctx *x, Parley__Frame *f, Parley__Frame **reply, int expect)
{
	char err[1200];

	if (cl_call(x->c, f, reply, NULL, NULL, err, sizeof(err)) != 0)
		return out_error(x, EXIT_UNREACHABLE, "%s", err);
	if ((*reply)->body_case == PARLEY__FRAME__BODY_ERROR) {
		int rc = out_error(x, EXIT_REFUSED, "%s", (*reply)->error->message);
		cl_free(x->c, *reply);
		*reply = NULL;
		return rc;
	}
	if ((int)(*reply)->body_case != expect) {
		cl_free(x->c, *reply);
		*reply = NULL;
		return out_error(x, EXIT_UNREACHABLE, "unexpected answer from parleyd");
	}
	return 0;
}

/* A list parleyd answers in pages: send f again with *at (the request's
 * place in the list, 0 at first) set to each answer's next, handing every
 * answer to each(), until next is 0.  With --json, each() adds to j, the
 * array key of one object printed at the end; else it prints as it goes
 * (j is NULL). */
static int
call_pages(struct ctx *x, Parley__Frame *f, uint64_t *at, int expect, const char *key,
    uint64_t (*next)(const Parley__Frame *r),
    void (*each)(const Parley__Frame *r, struct jw *j, void *arg), void *arg)
{
	struct jw *j = NULL;
	Parley__Frame *r;
	uint64_t n;
	int rc;

	if (x->json) {
		j = jw_new();
		jw_obj_begin(j, NULL);
		jw_arr_begin(j, key);
	}
	for (*at = 0;; *at = n) {
		if ((rc = call(x, f, &r, expect)) != 0)
			break;
		each(r, j, arg);
		n = next(r);
		cl_free(x->c, r);
		if (n == 0) {
			if (j != NULL) {
				jw_arr_end(j);
				jw_obj_end(j);
				printf("%s\n", jw_text(j));
			}
			break;
		}
		if (n <= *at) {
			rc = out_error(x, EXIT_UNREACHABLE, "parleyd's pages went backwards "
			    "(%llu after %llu)", (unsigned long long)n, (unsigned long long)*at);
			break;
		}
	}
	jw_free(j);
	return rc;
}

/* ---- init ---- */

static int
copy_file(const char *from, const char *to, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	FILE *f;

	if ((buf = cl_read_file(from, 65536, &len, err, errlen)) == NULL)
		return -1;
	if ((f = fopen(to, "wx")) == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", to, strerror(errno));
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

/* "key = a, b" on one line, or, if that is longer than a line of
 * client.conf may be, one item a line, each after the first indented. */
static void
write_list(FILE *f, const char *key, const struct cl_list *l)
{
	char line[CL_LIST_MAX * (CL_LIST_ITEM + 2)];
	size_t i;

	cl_list_join(l, line, sizeof(line));
	if (strlen(key) + 3 + strlen(line) <= 120) {
		fprintf(f, "%s = %s\n", key, line);
		return;
	}
	fprintf(f, "%s =", key);
	for (i = 0; i < l->n; i++)
		fprintf(f, "%s%s%s\n", i ? "    " : " ", l->item[i], i + 1 < l->n ? "," : "");
}

/* The new endpoint's keys and client.conf, written into dir: 0, or the
 * exit status after the error is printed. */
static int
init_write(struct ctx *x, const char *dir, EVP_PKEY *ek, X509 *cert, EVP_PKEY *sk)
{
	char path[PATH_MAX], err[1200];
	FILE *f;

#define WRITE(fn, file, obj) do { snprintf(path, sizeof(path), "%s/%s", dir, file); \
	if (fn(path, obj, err, sizeof(err)) != 0) \
		return out_error(x, EXIT_REFUSED, "%s", err); } while (0)
	WRITE(crypto_write_private_key, "endpoint.key", ek);
	WRITE(crypto_write_cert, "endpoint.crt", cert);
	WRITE(crypto_write_private_key, "signer.key", sk);
	WRITE(crypto_write_public_key, "signer.pub", sk);
#undef WRITE
	snprintf(path, sizeof(path), "%s/mediator.pub", dir);
	if (copy_file(opt(x, "mediator-key"), path, err, sizeof(err)) != 0)
		return out_error(x, EXIT_REFUSED, "%s", err);
	snprintf(path, sizeof(path), "%s/client.conf", dir);
	if ((f = fopen(path, "wx")) == NULL)
		return out_error(x, EXIT_REFUSED, "cannot write %s: %s", path, strerror(errno));
	fprintf(f, "# parley endpoint configuration (written by parley init)\n[client]\n");
	write_list(f, "server", &x->conf.servers);
	write_list(f, "server_pin", &x->conf.pins);
	fprintf(f, "cert = endpoint.crt\nkey = endpoint.key\n"
	    "signer_key = signer.key\nmediator_key = mediator.pub\n");
	if (fclose(f) != 0)
		return out_error(x, EXIT_REFUSED, "cannot write %s", path);
	return 0;
}

/* What the mediator needs to register the endpoint. */
static void
init_report(struct ctx *x, const char *dir, X509 *cert, EVP_PKEY *sk)
{
	char pinhex[65], signhex[65];
	uint8_t raw[32];

	crypto_cert_pin(cert, raw);
	hex_encode(raw, 32, pinhex);
	crypto_pubkey_raw(sk, raw);
	hex_encode(raw, 32, signhex);
	if (x->json) {
		struct jw *j = jw_new();
		jw_obj_begin(j, NULL);
		jw_str(j, "dir", dir);
		jw_str(j, "endpoint_pin", pinhex);
		jw_str(j, "signer_key", signhex);
		jw_str(j, "endpoint_cert", "endpoint.crt");
		jw_str(j, "signer_pub", "signer.pub");
		jw_obj_end(j);
		printf("%s\n", jw_text(j));
		jw_free(j);
	} else {
		printf("endpoint set up in %s\n"
		    "  endpoint certificate pin: %s\n"
		    "  signer public key:        %s (%s/signer.pub)\n"
		    "Give the mediator %s/endpoint.crt and %s/signer.pub to register:\n"
		    "  parleyctl endpoint add PARTY --cert endpoint.crt\n"
		    "  parleyctl signer add PARTY --key signer.pub\n",
		    dir, pinhex, signhex, dir, dir, dir);
	}
}

/* The arguments of init checked, and DIR made, before any key exists. */
static int
init_check(struct ctx *x, const char *dir)
{
	char path[PATH_MAX], err[1200];
	EVP_PKEY *mk;
	int ed;

	if (cl_list_addrs("--server", opt(x, "server"), &x->conf.servers, err, sizeof(err)) != 0 ||
	    cl_list_pins("--server-pin", opt(x, "server-pin"), &x->conf.pins, err,
	    sizeof(err)) != 0)
		return usage_error(x, err);
	if ((mk = crypto_read_public_key(opt(x, "mediator-key"), err, sizeof(err))) == NULL)
		return out_error(x, EXIT_USAGE, "%s", err);
	ed = crypto_is_ed25519(mk);
	EVP_PKEY_free(mk);
	if (!ed)
		return out_error(x, EXIT_USAGE, "%s is not an Ed25519 public key",
		    opt(x, "mediator-key"));
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return out_error(x, EXIT_REFUSED, "cannot create %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/client.conf", dir);
	if (access(path, F_OK) == 0)
		return out_error(x, EXIT_REFUSED, "%s already exists; this endpoint is set up",
		    path);
	return 0;
}

static int
cmd_init(struct ctx *x)
{
	const char *dir = opt(x, "dir"), *name = opt(x, "name");
	EVP_PKEY *ek = NULL, *sk = NULL;
	X509 *cert = NULL;
	int rc;

	if ((rc = init_check(x, dir)) != 0)
		return rc;
	if (name == NULL) {
		name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
		if (*name == '\0')
			name = "parley-endpoint";
	}
	if ((ek = crypto_ed25519_generate()) == NULL || (sk = crypto_ed25519_generate()) == NULL ||
	    crypto_selfsigned_cert(ek, name, 3650, &cert) != 0)
		rc = out_error(x, EXIT_REFUSED, "cannot generate keys");
	else if ((rc = init_write(x, dir, ek, cert, sk)) == 0)
		init_report(x, dir, cert, sk);
	EVP_PKEY_free(ek);
	EVP_PKEY_free(sk);
	X509_free(cert);
	return rc;
}

/* ---- deliveries ---- */

struct seen {
	uint64_t ids[4096];
	size_t n;
	uint64_t acks[FRAME_ACK_MAX];	/* read, not yet acked */
	size_t nacks;
};

static const char *
payload_kind(const Parley__Payload *p)
{
	switch (p->body_case) {
	case PARLEY__PAYLOAD__BODY_NOTICE: return "notice";
	case PARLEY__PAYLOAD__BODY_CIRCULATED: return "circulation";
	case PARLEY__PAYLOAD__BODY_RELEASED: return "release";
	case PARLEY__PAYLOAD__BODY_UPDATE: return "update";
	case PARLEY__PAYLOAD__BODY_AMENDMENT: return "amendment";
	case PARLEY__PAYLOAD__BODY_INCIDENT: return "incident";
	case PARLEY__PAYLOAD__BODY_LETTER: return "letter";
	default: return "unknown";
	}
}

/* Save and verify a released bundle under the endpoint's directory. */
static int
keep_bundle(struct ctx *x, const Parley__Bundle *b, char *dir, size_t dirlen, char *result,
    size_t rlen)
{
	char err[1200], summary[600], path[PATH_MAX];
	uint8_t mraw[32];
	EVP_PKEY *mk;

	snprintf(path, sizeof(path), "%s/bundles", x->conf.dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		snprintf(result, rlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(dir, dirlen, "%s/bundles/%llu", x->conf.dir,
	    (unsigned long long)(b->text ? b->text->agreement : 0));
	if (bundle_write(dir, b, err, sizeof(err)) != 0) {
		snprintf(result, rlen, "%s", err);
		return -1;
	}
	if (!x->conf.mediator_key[0] ||
	    (mk = crypto_read_public_key(x->conf.mediator_key, err, sizeof(err))) == NULL) {
		snprintf(result, rlen, "saved; not verified (no mediator key)");
		return 0;
	}
	if (crypto_pubkey_raw(mk, mraw) != 0) {
		EVP_PKEY_free(mk);
		snprintf(result, rlen, "saved; mediator key unusable");
		return -1;
	}
	EVP_PKEY_free(mk);
	if (bundle_verify(dir, mraw, summary, sizeof(summary), err, sizeof(err)) != 0) {
		snprintf(result, rlen, "VERIFICATION FAILED: %s", err);
		return -1;
	}
	snprintf(result, rlen, "verified: %s", summary);
	return 0;
}

static void
print_names(const char *label, char **v, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	printf("    %s:", label);
	for (i = 0; i < n; i++)
		printf("%s%s", i ? ", " : " ", v[i]);
	printf("\n");
}

/* A letter: who wrote it, to whom, the copies, then its text. */
static void
show_letter(struct ctx *x, const Parley__Letter *l)
{
	char when[PTIME_BUFLEN];
	size_t i, n = strlen(l->text);

	ptime_format(l->sent_at, when);
	if (x->j) {
		jw_uint(x->j, "letter", l->id);
		jw_str(x->j, "from", l->sender);
		jw_arr_begin(x->j, "to");
		for (i = 0; i < l->n_to; i++)
			jw_str(x->j, NULL, l->to[i]);
		jw_arr_end(x->j);
		jw_arr_begin(x->j, "cc");
		for (i = 0; i < l->n_cc; i++)
			jw_str(x->j, NULL, l->cc[i]);
		jw_arr_end(x->j);
		jw_str(x->j, "subject", l->subject);
		jw_bool(x->j, "urgent", l->urgent);
		jw_str(x->j, "sent_at", when);
		jw_str(x->j, "text", l->text);
		return;
	}
	printf(": %sletter %llu from %s, %s\n", l->urgent ? "URGENT " : "",
	    (unsigned long long)l->id, l->sender, when);
	print_names("to", l->to, l->n_to);
	print_names("cc", l->cc, l->n_cc);
	if (*l->subject)
		printf("    subject: %s\n", l->subject);
	printf("\n%s%s\n", l->text, n > 0 && l->text[n - 1] == '\n' ? "" : "\n");
}

static void
show_notice(struct ctx *x, const Parley__Notice *n)
{
	if (x->j)
		jw_str(x->j, "text", n->text);
	else
		printf(" from the mediator:\n    %s\n", n->text);
}

static void
show_circulated(struct ctx *x, const Parley__AgreementText *t)
{
	static const uint8_t zero[32];
	char hex[65];

	hex_encode(t->content_hash.len == 32 ? t->content_hash.data : zero, 32, hex);
	if (x->j) {
		jw_uint(x->j, "agreement", t->agreement);
		jw_int(x->j, "revision", t->revision);
		jw_str(x->j, "title", t->title);
		jw_str(x->j, "content_sha256", hex);
	} else {
		printf(": agreement %llu revision %u \"%s\"\n    content SHA-256 %s\n"
		    "    read it with: parley show %llu; sign it with: parley sign %llu\n",
		    (unsigned long long)t->agreement, t->revision, t->title, hex,
		    (unsigned long long)t->agreement, (unsigned long long)t->agreement);
	}
}

/* A released bundle: saved and verified here, the result shown. */
static void
show_released(struct ctx *x, const Parley__Bundle *bd)
{
	char dir[PATH_MAX], res[1400];
	int rc;

	rc = keep_bundle(x, bd, dir, sizeof(dir), res, sizeof(res));
	if (x->j) {
		jw_uint(x->j, "agreement", bd->text ? bd->text->agreement : 0);
		jw_int(x->j, "copies", (int64_t)bd->n_copies);
		jw_str(x->j, "bundle_dir", dir);
		jw_bool(x->j, "verified", rc == 0 && strncmp(res, "verified", 8) == 0);
		jw_str(x->j, "result", res);
	} else {
		printf(": agreement %llu is RELEASED with %zu signed copies\n"
		    "    bundle saved to %s\n    %s\n",
		    (unsigned long long)(bd->text ? bd->text->agreement : 0), bd->n_copies,
		    dir, res);
	}
}

static void
show_update(struct ctx *x, const Parley__Update *u)
{
	if (x->j) {
		jw_uint(x->j, "agreement", u->agreement);
		jw_str(x->j, "event", u->event);
		jw_str(x->j, "text", u->text);
	} else {
		printf(": agreement %llu: %s\n    %s\n", (unsigned long long)u->agreement,
		    u->event, u->text);
	}
}

static void
show_amendment(struct ctx *x, const Parley__Amendment *am)
{
	if (x->j) {
		jw_uint(x->j, "amendment", am->id);
		jw_uint(x->j, "agreement", am->agreement);
		jw_int(x->j, "revision", am->revision);
		jw_str(x->j, "proposer", am->proposer);
		jw_str(x->j, "note", am->note);
		jw_str(x->j, "text", am->text);
	} else {
		printf(": amendment %llu by %s to agreement %llu revision %u\n"
		    "    note: %s\n    answer with: parley amendment respond %llu "
		    "accept|reject\n    proposed text:\n%s\n",
		    (unsigned long long)am->id, am->proposer,
		    (unsigned long long)am->agreement, am->revision, am->note,
		    (unsigned long long)am->id, am->text);
	}
}

/* An incident pushed at once: the time left counts from the delivery. */
/* The parts of an incident both sides see, as JSON members. */
static void
incident_json_more(struct jw *j, const Parley__Incident *in)
{
	size_t i;

	jw_str(j, "proposal", in->proposal);
	jw_str(j, "measures", in->measures);
	jw_bool(j, "answered_late", in->answered_late);
	jw_str(j, "recommendation", *in->recommendation ? in->recommendation : NULL);
	if (*in->meeting_time) {
		jw_obj_begin(j, "meeting");
		jw_str(j, "time", in->meeting_time);
		jw_str(j, "place", in->meeting_place);
		jw_str(j, "participants", in->meeting_participants);
		jw_arr_begin(j, "answers");
		for (i = 0; i < in->n_meeting_answers; i++)
			jw_str(j, NULL, in->meeting_answers[i]);
		jw_arr_end(j);
		jw_obj_end(j);
	} else {
		jw_null(j, "meeting");
	}
	jw_str(j, "escalated_to", *in->escalated_to ? in->escalated_to : NULL);
	jw_str(j, "counter_protest", *in->counter_protest ? in->counter_protest : NULL);
	jw_str(j, "complaint", *in->complaint ? in->complaint : NULL);
}

/* The same as text lines. */
static void
incident_text_more(const Parley__Incident *in)
{
	size_t i;

	if (*in->proposal)
		printf("    proposed measures: %s\n", in->proposal);
	if (*in->answer && *in->measures)
		printf("    measures taken: %s\n", in->measures);
	if (*in->recommendation)
		printf("    the mediator recommends: %s\n", in->recommendation);
	if (*in->meeting_time) {
		printf("    meeting: %s, %s (%s)", in->meeting_time, in->meeting_place,
		    in->meeting_participants);
		for (i = 0; i < in->n_meeting_answers; i++)
			printf("%s %s", i ? ";" : ":", in->meeting_answers[i]);
		printf("\n");
	}
	if (*in->escalated_to)
		printf("    brought by the mediator to: %s\n", in->escalated_to);
	if (*in->counter_protest)
		printf("    counter-protest of %s: %s\n", in->against, in->counter_protest);
}

static void
show_incident(struct ctx *x, const Parley__Incident *in, int64_t created_at)
{
	char left[64] = "";
	int64_t by;

	if (ptime_parse(in->respond_by, &by) == 0 && by > created_at)
		ptime_format_duration(by - created_at, left, sizeof(left));
	if (x->j) {
		jw_uint(x->j, "incident", in->id);
		jw_str(x->j, "event", in->event);
		jw_str(x->j, "filer", in->filer);
		jw_str(x->j, "against", in->against);
		jw_str(x->j, "state", in->state);
		jw_str(x->j, "respond_by", in->respond_by);
		jw_bool(x->j, "agreement_not_in_force", in->agreement_not_in_force);
		jw_str(x->j, "answer", in->answer);
		jw_str(x->j, "close_reason", *in->close_reason ? in->close_reason : NULL);
		incident_json_more(x->j, in);
		return;
	}
	printf(": *** INCIDENT %llu (%s) ***\n    %s reports %s: %s at %s, %s\n"
	    "    consequences: %s\n", (unsigned long long)in->id, in->event, in->filer,
	    in->against, in->nature, in->place, in->time, in->consequences);
	if (strcmp(in->event, "filed") == 0)
		printf("    ANSWER BY %s%s%s%s\n", in->respond_by, *left ? " (" : "",
		    left, *left ? " left)" : "");
	if (*in->answer)
		printf("    answer%s: %s\n", in->answered_late ? " (LATE)" : "", in->answer);
	incident_text_more(in);
	if (in->agreement_not_in_force)
		printf("    note: it cites agreement %llu, which is not in force\n",
		    (unsigned long long)in->agreement);
	if (*in->close_reason)
		printf("    closed by the mediator: %s\n", in->close_reason);
}

/* Print one delivery (text or into x->j).  Every delivery may be acked: a
 * malformed one can never become readable, and a released bundle stays on
 * the daemon (a failed save is reported). */
static void
show_delivery(struct ctx *x, const Parley__Delivery *d)
{
	struct frame_budget b;
	Parley__Payload *p;
	char err[300], when[PTIME_BUFLEN];

	frame_budget_init(&b, 64 * 1024 * 1024);
	p = frame_unpack_payload(d->payload.data, d->payload.len, &b, err, sizeof(err));
	ptime_format(d->created_at, when);
	if (p == NULL) {
		fprintf(stderr, "parley: delivery %llu is malformed: %s\n",
		    (unsigned long long)d->delivery_id, err);
		return;
	}
	if (x->j) {
		jw_obj_begin(x->j, NULL);
		jw_uint(x->j, "delivery", d->delivery_id);
		jw_str(x->j, "created_at", when);
		jw_str(x->j, "kind", payload_kind(p));
	} else {
		printf("[%llu] %s  %s", (unsigned long long)d->delivery_id, when, payload_kind(p));
	}
	switch (p->body_case) {
	case PARLEY__PAYLOAD__BODY_NOTICE:
		show_notice(x, p->notice);
		break;
	case PARLEY__PAYLOAD__BODY_CIRCULATED:
		show_circulated(x, p->circulated);
		break;
	case PARLEY__PAYLOAD__BODY_RELEASED:
		show_released(x, p->released);
		break;
	case PARLEY__PAYLOAD__BODY_UPDATE:
		show_update(x, p->update);
		break;
	case PARLEY__PAYLOAD__BODY_AMENDMENT:
		show_amendment(x, p->amendment);
		break;
	case PARLEY__PAYLOAD__BODY_INCIDENT:
		show_incident(x, p->incident, d->created_at);
		break;
	case PARLEY__PAYLOAD__BODY_LETTER:
		show_letter(x, p->letter);
		break;
	default:
		if (!x->j)
			printf(": (a kind this client does not know)\n");
	}
	if (x->j)
		jw_obj_end(x->j);
	fflush(stdout);
	frame_free_payload(p, &b);
}

/* Ack every delivery read so far with one frame. */
static int
ack_flush(struct ctx *x, struct seen *s)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__Ack a = PARLEY__ACK__INIT;
	char err[1200];

	if (s->nacks == 0)
		return 0;
	a.delivery_id = s->acks[0];
	a.n_more = s->nacks - 1;
	a.more = s->acks + 1;
	f.body_case = PARLEY__FRAME__BODY_ACK;
	f.ack = &a;
	s->nacks = 0;
	if (cl_send(x->c, &f, err, sizeof(err)) < 0)
		return out_error(x, EXIT_UNREACHABLE, "%s", err);
	return 0;
}

/* More of the daemon's output can be read without waiting. */
static int
more_ready(struct ctx *x)
{
	struct pollfd p = { cl_fd(x->c), POLLIN, 0 };

	return cl_pending(x->c) || poll(&p, 1, 0) > 0;
}

/* Ack delivery id: with the others read at once, in one frame, as soon as
 * nothing more is waiting to be read. */
static int
ack(struct ctx *x, struct seen *s, uint64_t id)
{
	s->acks[s->nacks++] = id;
	if (s->nacks < cl_ack_max(x->c) && more_ready(x))
		return 0;
	return ack_flush(x, s);
}

/* Read frames until the answer to request id; deliveries are shown as they
 * come and acked once nothing more is waiting (all sent before returning).
 * Returns 0, or an exit code. */
static int
pump(struct ctx *x, int64_t want, int timeout_ms, int *count, struct seen *s)
{
	Parley__Frame *f;
	char err[1200];
	size_t i;
	int rc;

	for (;;) {
		rc = cl_recv(x->c, timeout_ms, &f, err, sizeof(err));
		if (rc == 1 && want < 0)
			return ack_flush(x, s);
		if (rc == 1)
			return out_error(x, EXIT_UNREACHABLE, "no answer from parleyd");
		if (rc != 0) {
			/* Interrupted (watch stops so): the connection is sound, so
			 * what was shown is acked before leaving. */
			if (stop_requested)
				(void)ack_flush(x, s);
			return out_error(x, EXIT_UNREACHABLE, "%s", err);
		}
		switch (f->body_case) {
		case PARLEY__FRAME__BODY_DELIVERY:
			for (i = 0; i < s->n && s->ids[i] != f->delivery->delivery_id; i++)
				;
			if (i == s->n) {	/* shown once, however often pushed */
				show_delivery(x, f->delivery);
				if (s->n < 4096)
					s->ids[s->n++] = f->delivery->delivery_id;
				(*count)++;
			}
			rc = ack(x, s, f->delivery->delivery_id);
			cl_free(x->c, f);
			if (rc != 0)
				return rc;
			continue;
		case PARLEY__FRAME__BODY_ERROR:
			rc = out_error(x, EXIT_REFUSED, "%s", f->error->message);
			cl_free(x->c, f);
			return rc;
		default:
			break;
		}
		if (want >= 0 && f->id == (uint64_t)want) {
			cl_free(x->c, f);
			return ack_flush(x, s);
		}
		cl_free(x->c, f);	/* an Ok for an ack */
	}
}

static int
send_fetch(struct ctx *x, int64_t *id)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__Fetch fe = PARLEY__FETCH__INIT;
	char err[1200];

	f.body_case = PARLEY__FRAME__BODY_FETCH;
	f.fetch = &fe;
	if ((*id = cl_send(x->c, &f, err, sizeof(err))) < 0)
		return out_error(x, EXIT_UNREACHABLE, "%s", err);
	return 0;
}

/* A Status request answered after every ack sent before it. */
static int
barrier(struct ctx *x, int *count, struct seen *s)
{
	int64_t id;
	int rc;

	if ((rc = send_fetch(x, &id)) != 0)
		return rc;
	return pump(x, id, 30000, count, s);
}

static int
cmd_inbox(struct ctx *x)
{
	struct seen *s = calloc(1, sizeof(*s));
	int64_t id;
	int rc, count = 0;

	if (s == NULL)
		return out_error(x, EXIT_REFUSED, "out of memory");
	if ((rc = connect_conf(x)) != 0)
		goto done;
	if (x->json) {
		x->j = jw_new();
		jw_obj_begin(x->j, NULL);
		jw_str(x->j, "party", cl_party(x->c));
		jw_arr_begin(x->j, "deliveries");
	}
	if ((rc = send_fetch(x, &id)) != 0 || (rc = pump(x, id, 30000, &count, s)) != 0)
		goto done;
	/* A second fetch returns only after every ack above is committed. */
	if ((rc = barrier(x, &count, s)) != 0)
		goto done;
	if (x->j) {
		jw_arr_end(x->j);
		jw_int(x->j, "count", count);
		jw_obj_end(x->j);
		printf("%s\n", jw_text(x->j));
	} else {
		printf("%d deliver%s received and acknowledged by %s (endpoint %llu)\n", count,
		    count == 1 ? "y" : "ies", cl_party(x->c), (unsigned long long)cl_endpoint(x->c));
	}
done:
	jw_free(x->j);
	x->j = NULL;
	free(s);
	return rc;
}

/* Stay connected.  After a loss the next address of client.conf's server
 * is tried first, then the others in turn (the one lost last): a standby
 * taking over is found at once, a restarted parleyd too.  Only when a
 * whole round fails does it wait (1, 2, 4 ... 60 s) before the next round,
 * which starts again from the first address. */
static int
cmd_watch(struct ctx *x)
{
	struct seen *s = calloc(1, sizeof(*s));
	struct sigaction sa;
	int rc = EXIT_OK, count = 0, backoff = 1;
	int64_t id;

	if (s == NULL)
		return out_error(x, EXIT_REFUSED, "out of memory");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	x->server_log = 1;
	while (!stop_requested) {
		if ((rc = connect_conf(x)) != 0) {
			/* a connection made, then refused for the record: not a loss */
			cl_close(x->c);
			x->c = NULL;
			if (rc != EXIT_UNREACHABLE || opt(x, "once") || stop_requested)
				break;
			fprintf(stderr, "parley: reconnecting in %d s\n", backoff);
			sleep((unsigned)backoff);	/* interrupted by a signal */
			backoff = backoff < 60 ? backoff * 2 : 60;
			x->server_next = 0;
			continue;
		}
		backoff = 1;
		if (!x->json)
			printf("on duty as %s (endpoint %llu) at %s; Ctrl-C stops\n", cl_party(x->c),
			    (unsigned long long)cl_endpoint(x->c), x->conf.servers.item[x->server_at]);
		if ((rc = send_fetch(x, &id)) == 0)
			rc = pump(x, id, 30000, &count, s);
		/* Stay connected; a Fetch every minute keeps the idle timer quiet. */
		while (rc == 0 && !stop_requested) {
			rc = pump(x, -1, 60000, &count, s);
			if (rc == 0 && !stop_requested)
				rc = send_fetch(x, &id);
		}
		cl_close(x->c);
		x->c = NULL;
		if (opt(x, "once"))
			break;
		if (!stop_requested && x->conf.servers.n > 1)
			fprintf(stderr, "parley: lost %s; reconnecting, from the next address\n",
			    x->conf.servers.item[x->server_at]);
		x->server_next = x->server_at + 1;
	}
	free(s);
	return stop_requested ? EXIT_OK : rc;
}

/* ---- agreements ---- */

static int
fetch_text(struct ctx *x, uint64_t id, Parley__Frame **reply)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__ShowRequest sr = PARLEY__SHOW_REQUEST__INIT;

	sr.agreement = id;
	f.body_case = PARLEY__FRAME__BODY_SHOW;
	f.show = &sr;
	return call(x, &f, reply, PARLEY__FRAME__BODY_AGREEMENT);
}

/* The client computes the hash of what it shows: a party signs what it saw.
 * Text a terminal would not show as it is (control characters, bidi
 * overrides) is refused too: what is read must be what is signed.  0, or
 * -1 with why ("does not match its content hash", "holds ..."). */
static int
check_hash(const Parley__AgreementText *t, uint8_t out[32], char *why, size_t whylen)
{
	const char *const part[3] = { t->title, t->text, t->calendar };
	static const char *const name[3] = { "title", "text", "calendar" };
	char line[160];
	int i;

	for (i = 0; i < 3; i++)
		if (text_displayable(part[i], strlen(part[i]), line, sizeof(line)) != 0) {
			snprintf(why, whylen, "holds in its %s, %s", name[i], line);
			return -1;
		}
	if (bundle_content_hash(t, NULL, out) != 0 || t->content_hash.len != 32 ||
	    memcmp(out, t->content_hash.data, 32) != 0) {
		snprintf(why, whylen, "does not match its content hash");
		return -1;
	}
	return 0;
}

/* A term's time in the agreement's zone: "on-release" as it is, a UTC
 * time shown in zone. */
static void
term_time(const char *term, const char *zone, char *out, size_t n)
{
	char buf[PTIME_BUFLEN];
	int64_t t;

	if (ptime_parse(term, &t) == 0) {
		ptime_format_in(t, zone, buf);
		snprintf(out, n, "%s", buf);
	} else {
		snprintf(out, n, "%s", *term ? term : "-");
	}
}

/* The validity term in words: open-ended, for a duration, until a time. */
static void
term_validity(const char *v, const char *zone, char *out, size_t n)
{
	char buf[PTIME_BUFLEN];
	long long secs;
	char unit;

	if (*v == '\0') {
		snprintf(out, n, "open-ended");
	} else if (strncmp(v, "until ", 6) == 0) {
		term_time(v + 6, zone, buf, sizeof(buf));
		snprintf(out, n, "until %s", buf);
	} else if (sscanf(v, "for %llds%c", &secs, &unit) == 1) {
		ptime_format_duration((int64_t)secs, buf, sizeof(buf));
		snprintf(out, n, "for %s from the effect", buf);
	} else {
		snprintf(out, n, "%s", v);
	}
}

static void
print_list(const char *label, char **v, size_t n)
{
	size_t i;

	printf("  %s:", label);
	for (i = 0; i < n; i++)
		printf("%s%s", i ? ", " : " ", v[i]);
	printf("%s\n", n ? "" : " none");
}

/* Whether t's content hash covers the zone, the parties with their roles
 * and the relations (content version 2), or only text, effective,
 * validity and calendar (version 1). */
static int
covers_all(const Parley__AgreementText *t)
{
	return t->content_version >= 2;
}

static void
print_relations(const Parley__AgreementText *t)
{
	if (t->extends)
		printf("  extends agreement %llu\n", (unsigned long long)t->extends);
	if (t->reaffirms)
		printf("  reaffirms agreement %llu\n", (unsigned long long)t->reaffirms);
	if (!t->extends && !t->reaffirms)
		printf("  extends or reaffirms: no other agreement\n");
}

static void
print_deadline(const Parley__AgreementText *t)
{
	char buf[PTIME_BUFLEN];

	if (t->sign_by) {
		ptime_format_in(t->sign_by, t->zone, buf);
		printf("  sign by: %s\n", buf);
	} else {
		printf("  sign by: no deadline\n");
	}
}

/* One rendering of an agreement and every term, used by show and by the
 * sign prompt: what the signature covers (the content hash, computed here
 * from what is shown), then what the mediator set and the hash does not
 * cover, times in the agreement's zone. */
/* The text shown: each language version (or only lang's), inside this
 * party's frame when its sheet has one. */
static void
print_body(const Parley__AgreementText *t, const char *party, const char *lang)
{
	const char *frame = bundle_frame_of(t, party);
	char *core = NULL, *sheet = NULL;
	size_t i;

	if (lang != NULL) {
		for (i = 0; i < t->n_versions; i++)
			if (strcmp(t->versions[i]->lang, lang) == 0)
				printf("\n--- %s%s ---\n%s", lang, t->versions[i]->authentic ?
				    " (authentic)" : "", t->versions[i]->text);
	} else if ((core = bundle_core(t)) != NULL) {
		if (*frame)
			sheet = sheet_render(frame, core);
		printf("\n%s", sheet ? sheet : core);
		if (*frame && sheet == NULL)
			printf("\n(your sheet's frame could not be shown: out of memory)\n");
	} else {
		printf("\n(out of memory: the text cannot be shown)\n");
	}
	fflush(stdout);
	free(core);
	free(sheet);
}

static void
render_text(const Parley__AgreementText *t, const char *hex, const char *party,
    const char *lang)
{
	char buf[PTIME_BUFLEN + 64];
	int all = covers_all(t);
	size_t i;

	printf("agreement %llu revision %u: %s\nstate: %s\n", (unsigned long long)t->agreement,
	    t->revision, t->title, t->state);
	printf("your signature covers (content SHA-256 %s):\n", hex);
	if (t->n_versions > 0) {
		printf("  the text in every language%s:", lang ? "" : " below");
		for (i = 0; i < t->n_versions; i++)
			printf(" %s%s", t->versions[i]->lang, t->versions[i]->authentic ?
			    " (authentic)" : "");
		printf("%s\n", lang ? " (only one is shown below: --lang)" : "");
	} else {
		printf("  the text below\n");
	}
	if (*bundle_frame_of(t, party))
		printf("  your sheet: the address and signature blocks around the text, set by "
		    "the mediator for %s%s\n", party, lang ? " (not shown with --lang)" : "");
	term_time(t->effective, t->zone, buf, sizeof(buf));
	printf("  effective: %s\n", buf);
	term_validity(t->validity, t->zone, buf, sizeof(buf));
	printf("  validity: %s\n", buf);
	printf("  calendar: %s\n", *t->calendar ? "the measures below the text" : "none");
	if (all) {
		printf("  zone: %s\n", *t->zone ? t->zone : "not set (the daemon's)");
		print_list("parties", t->parties, t->n_parties);
		print_list("required roles", t->roles, t->n_roles);
		print_relations(t);
	}
	printf("set by the mediator, not covered by the signature:\n");
	print_deadline(t);
	print_list("observers", t->observers, t->n_observers);
	if (!all) {
		printf("  zone: %s\n", *t->zone ? t->zone : "not set");
		print_list("parties", t->parties, t->n_parties);
		print_list("required roles", t->roles, t->n_roles);
		print_relations(t);
	}
	print_body(t, party, lang);
	if (*t->calendar)
		printf("\ncalendar (OFFSET | PARTY | MEASURE):\n%s", t->calendar);
}

static void
json_list(struct jw *j, const char *key, char **v, size_t n)
{
	size_t i;

	jw_arr_begin(j, key);
	for (i = 0; i < n; i++)
		jw_str(j, NULL, v[i]);
	jw_arr_end(j);
}

/* The same as JSON; times as RFC 3339 with the zone's offset. */
static void
render_json(struct jw *j, const Parley__AgreementText *t, const char *hex, const char *party,
    const char *lang)
{
	char buf[PTIME_BUFLEN + 64];
	size_t i;

	jw_obj_begin(j, NULL);
	jw_uint(j, "id", t->agreement);
	jw_int(j, "revision", t->revision);
	jw_str(j, "title", t->title);
	jw_str(j, "state", t->state);
	jw_str(j, "effective", t->effective);
	jw_str(j, "validity", t->validity);
	jw_str(j, "content_sha256", hex);
	jw_int(j, "content_version", t->content_version ? t->content_version : 1);
	jw_arr_begin(j, "covered");
	jw_str(j, NULL, t->n_versions ? "texts" : "text");
	if (t->n_versions)
		jw_str(j, NULL, "authentic");
	jw_str(j, NULL, "effective");
	jw_str(j, NULL, "validity");
	jw_str(j, NULL, "calendar");
	if (covers_all(t)) {
		jw_str(j, NULL, "zone");
		jw_str(j, NULL, "parties");
		jw_str(j, NULL, "roles");
		jw_str(j, NULL, "extends");
		jw_str(j, NULL, "reaffirms");
	}
	jw_arr_end(j);
	if (t->sign_by) {
		ptime_format_in(t->sign_by, t->zone, buf);
		jw_str(j, "sign_by", buf);
	} else {
		jw_null(j, "sign_by");
	}
	jw_str(j, "zone", t->zone);
	json_list(j, "parties", t->parties, t->n_parties);
	json_list(j, "observers", t->observers, t->n_observers);
	json_list(j, "roles", t->roles, t->n_roles);
	if (t->extends)
		jw_uint(j, "extends", t->extends);
	else
		jw_null(j, "extends");
	if (t->reaffirms)
		jw_uint(j, "reaffirms", t->reaffirms);
	else
		jw_null(j, "reaffirms");
	jw_str(j, "calendar", t->calendar);
	jw_str(j, "text", t->text);
	jw_arr_begin(j, "versions");
	for (i = 0; i < t->n_versions; i++) {
		if (lang != NULL && strcmp(lang, t->versions[i]->lang) != 0)
			continue;
		jw_obj_begin(j, NULL);
		jw_str(j, "lang", t->versions[i]->lang);
		jw_bool(j, "authentic", t->versions[i]->authentic);
		jw_str(j, "text", t->versions[i]->text);
		jw_obj_end(j);
	}
	jw_arr_end(j);
	if (*bundle_frame_of(t, party))
		jw_str(j, "frame", bundle_frame_of(t, party));
	else
		jw_null(j, "frame");
	jw_obj_end(j);
}

static int
cmd_show(struct ctx *x)
{
	Parley__Frame *r;
	const Parley__AgreementText *t;
	uint8_t h[32];
	char hex[65], why[200];
	const char *lang = opt(x, "lang");
	uint64_t id;
	size_t i;
	int rc;

	if (x->args->npos != 1 || parse_id(pos(x, 0), &id) != 0)
		return usage_error(x, "ID must be an agreement number");
	if ((rc = connect_conf(x)) != 0 || (rc = fetch_text(x, id, &r)) != 0)
		return rc;
	t = r->agreement;
	if (check_hash(t, h, why, sizeof(why)) != 0) {
		cl_free(x->c, r);
		return out_error(x, EXIT_REFUSED, "the agreement received %s: do not rely on it",
		    why);
	}
	hex_encode(h, 32, hex);
	if (lang != NULL) {
		for (i = 0; i < t->n_versions && strcmp(t->versions[i]->lang, lang) != 0; i++)
			;
		if (i == t->n_versions) {
			rc = out_error(x, EXIT_USAGE, "agreement %llu has no %s version%s",
			    (unsigned long long)id, lang, t->n_versions ? "" :
			    " (it has one text, in no declared language)");
			cl_free(x->c, r);
			return rc;
		}
	}
	if (x->json) {
		struct jw *j = jw_new();
		render_json(j, t, hex, cl_party(x->c), lang);
		printf("%s\n", jw_text(j));
		jw_free(j);
	} else {
		render_text(t, hex, cl_party(x->c), lang);
	}
	cl_free(x->c, r);
	return EXIT_OK;
}

static int
confirm(const char *prompt)
{
	char line[32];

	if (!isatty(STDIN_FILENO))
		return 0;
	printf("%s [y/N] ", prompt);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

static int
ok_reply(struct ctx *x, Parley__Frame *r, const char *what)
{
	if (x->json) {
		struct jw *j = jw_new();
		jw_obj_begin(j, NULL);
		if (r->ok->id)
			jw_uint(j, "id", r->ok->id);
		jw_str(j, "result", what);
		jw_str(j, "message", r->ok->message);
		jw_obj_end(j);
		printf("%s\n", jw_text(j));
		jw_free(j);
	} else {
		printf("%s\n", r->ok->message);
	}
	cl_free(x->c, r);
	return EXIT_OK;
}

/* Send f, expect Ok, print it: the tail of every verb that changes something. */
static int
request_ok(struct ctx *x, Parley__Frame *f, const char *what)
{
	Parley__Frame *r;
	int rc;

	if ((rc = call(x, f, &r, PARLEY__FRAME__BODY_OK)) == 0)
		rc = ok_reply(x, r, what);
	return rc;
}

/* sign --text FILE: the text to sign instead of the one received, as the
 * daemon will store it (*norm, the caller frees it). */
static int
sign_text_file(struct ctx *x, const char *file, size_t max, char **norm)
{
	char err[1200], why[160], *raw;
	size_t len;

	if ((raw = cl_read_file(file, max, &len, err, sizeof(err))) == NULL)
		return out_error(x, EXIT_USAGE, "%s", err);
	if (text_check(raw, len, why, sizeof(why)) != 0 ||
	    text_displayable(raw, len, why, sizeof(why)) != 0) {
		free(raw);
		return out_error(x, EXIT_USAGE, "%s: %s", file, why);
	}
	*norm = text_normalize(raw, len, NULL);
	free(raw);
	if (*norm == NULL)
		return out_error(x, EXIT_REFUSED, "out of memory");
	return 0;
}

/* The signer key: --key, else client.conf's; NULL with the error printed. */
static EVP_PKEY *
signer_key(struct ctx *x)
{
	char err[1200];
	EVP_PKEY *k;

	if (opt(x, "key") != NULL)
		snprintf(x->conf.signer_key, sizeof(x->conf.signer_key), "%s", opt(x, "key"));
	if (!x->conf.signer_key[0] ||
	    (k = crypto_read_private_key(x->conf.signer_key, err, sizeof(err))) == NULL) {
		out_error(x, EXIT_USAGE, "%s", x->conf.signer_key[0] ? err :
		    "client.conf names no signer_key");
		return NULL;
	}
	return k;
}

static int
cmd_sign(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__SignRequest sr = PARLEY__SIGN_REQUEST__INIT;
	const Parley__AgreementText *t;
	const char *file, *role, *cond, *frame;
	char hex[65], prompt[200], why[200], *norm = NULL, *resv = NULL;
	uint8_t h[32], sig[64], pub[32], *payload = NULL;
	size_t plen;
	EVP_PKEY *k = NULL;
	uint64_t id;
	int rc;

	if (x->args->npos != 1 || parse_id(pos(x, 0), &id) != 0)
		return usage_error(x, "ID must be an agreement number");
	role = opt(x, "role") ? opt(x, "role") : "";
	if (*role && !ident_valid(role))
		return usage_error(x, "ROLE must be a short lowercase name");
	cond = opt(x, "subject-to") ? opt(x, "subject-to") : "";
	if (*cond && !cert_condition_valid(cond))
		return out_error(x, EXIT_USAGE, "--subject-to takes one line of 1-%d bytes, no "
		    "control characters, no space at either end", CERT_CONDITION_MAX);
	if (opt(x, "reservation") != NULL) {
		if ((rc = sign_text_file(x, opt(x, "reservation"), SIGN_RESERVATION_MAX + 1,
		    &resv)) != 0)
			return rc;
		if (strspn(resv, " \t\n") == strlen(resv) || strlen(resv) > SIGN_RESERVATION_MAX) {
			free(resv);
			return out_error(x, EXIT_USAGE, "--reservation takes a file of 1-%d "
			    "bytes, not blank", SIGN_RESERVATION_MAX);
		}
	}
	if ((file = opt(x, "text")) != NULL &&
	    (rc = sign_text_file(x, file, TEXT_FILE_MAX, &norm)) != 0) {
		free(resv);
		return rc;
	}
	if ((rc = connect_conf(x)) != 0 || (rc = fetch_text(x, id, &r)) != 0) {
		free(norm);
		free(resv);
		return rc;
	}
	t = r->agreement;
	rc = EXIT_REFUSED;
	if (check_hash(t, h, why, sizeof(why)) != 0) {
		out_error(x, EXIT_REFUSED, "the agreement received %s; refusing to sign", why);
		goto done;
	}
	if (norm != NULL && t->n_versions > 0) {
		rc = out_error(x, EXIT_USAGE, "agreement %llu is in several languages: --text "
		    "cannot stand for them all; sign what you received, or decline it with your "
		    "reason (parley decline)", (unsigned long long)id);
		goto done;
	}
	frame = bundle_frame_of(t, cl_party(x->c));
	if (norm != NULL && bundle_content_hash(t, norm, h) != 0) {
		out_error(x, EXIT_REFUSED, "out of memory");
		goto done;
	}
	hex_encode(h, 32, hex);
	if (!x->json) {
		/* What is signed is shown: with --text, that file's text. */
		Parley__AgreementText shown = *t;

		if (norm != NULL) {
			shown.text = norm;
			printf("WARNING: you are signing the text of %s, shown below, not the text "
			    "received; the copy will be stored as non-identical\n", file);
		}
		render_text(&shown, hex, cl_party(x->c), NULL);
		if (resv != NULL)
			printf("\nyour copy carries this reservation (signed with it; the others "
			    "read it at release):\n%s%s", resv,
			    resv[strlen(resv) - 1] != '\n' ? "\n" : "");
		if (*cond)
			printf("\nyour signature is subject to: %s (until you lift it: parley "
			    "condition lift)\n", cond);
	}
	snprintf(prompt, sizeof(prompt), "sign this for %s?", cl_party(x->c));
	if (opt(x, "yes") == NULL && !confirm(prompt)) {
		rc = out_error(x, EXIT_USAGE, "not signed (confirm at the prompt, or pass --yes)");
		goto done;
	}
	if ((k = signer_key(x)) == NULL)
		goto done;
	if (!crypto_is_ed25519(k) || crypto_pubkey_raw(k, pub) != 0 ||
	    sign_payload_with(t->agreement, t->revision, h, cl_party(x->c), role, resv, cond,
	    frame, &payload, &plen) != 0 || crypto_sign(k, payload, plen, sig) != 0) {
		out_error(x, EXIT_REFUSED, "cannot sign with %s", x->conf.signer_key);
		goto done;
	}
	sr.agreement = t->agreement;
	sr.revision = t->revision;
	sr.content_hash.data = h;
	sr.content_hash.len = 32;
	sr.party = (char *)cl_party(x->c);
	sr.role = (char *)role;
	sr.signer_key.data = pub;
	sr.signer_key.len = 32;
	sr.signature.data = sig;
	sr.signature.len = 64;
	sr.text = norm ? norm : "";
	sr.reservation = resv ? resv : "";
	sr.condition = (char *)cond;
	sr.frame = (char *)frame;
	f.body_case = PARLEY__FRAME__BODY_SIGN;
	f.sign = &sr;
	rc = request_ok(x, &f, "accepted");
done:
	cl_free(x->c, r);
	EVP_PKEY_free(k);
	free(payload);
	free(norm);
	free(resv);
	return rc;
}

static int
cmd_amend(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__AmendRequest ar = PARLEY__AMEND_REQUEST__INIT;
	char err[1200], why[160], *text;
	size_t len;
	uint64_t id;
	int rc;

	if (x->args->npos != 1 || parse_id(pos(x, 0), &id) != 0 || opt(x, "text") == NULL)
		return usage_error(x, "ID and --text FILE are required");
	if ((text = cl_read_file(opt(x, "text"), TEXT_FILE_MAX, &len, err, sizeof(err))) == NULL)
		return out_error(x, EXIT_USAGE, "%s", err);
	if (text_check(text, len, why, sizeof(why)) != 0) {
		free(text);
		return out_error(x, EXIT_USAGE, "%s: %s", opt(x, "text"), why);
	}
	if ((rc = connect_conf(x)) != 0 || (rc = fetch_text(x, id, &r)) != 0) {
		free(text);
		return rc;
	}
	ar.agreement = id;
	ar.revision = r->agreement->revision;
	ar.text = text;
	ar.note = opt(x, "note") ? (char *)opt(x, "note") : "";
	f.body_case = PARLEY__FRAME__BODY_AMEND;
	f.amend = &ar;
	rc = request_ok(x, &f, "proposed");
	cl_free(x->c, r);
	free(text);
	return rc;
}

/* An amendment as the party sees it (its own answer alone), as JSON. */
static void
amendment_view_json(struct jw *j, const Parley__AmendmentView *v)
{
	const Parley__Amendment *m = v->amendment;

	jw_obj_begin(j, NULL);
	jw_uint(j, "id", m->id);
	jw_uint(j, "agreement", m->agreement);
	jw_int(j, "revision", m->revision);
	jw_str(j, "proposer", m->proposer);
	jw_str(j, "state", m->state);
	jw_str(j, "note", m->note);
	jw_str(j, "reason", *v->reason ? v->reason : NULL);
	jw_str(j, "text", m->text);
	jw_str(j, "diff", v->diff);
	if (v->answered) {
		jw_obj_begin(j, "answer");
		jw_bool(j, "accept", v->accept);
		jw_str(j, "note", v->answer_note);
		jw_obj_end(j);
	} else {
		jw_null(j, "answer");
	}
	jw_obj_end(j);
}

/* An agreement's amendments this party may read, as JSON. */
static void
amendment_list_json(struct jw *j, uint64_t id, const Parley__AmendmentList *l)
{
	size_t i;

	jw_obj_begin(j, NULL);
	jw_uint(j, "agreement", id);
	jw_arr_begin(j, "amendments");
	for (i = 0; i < l->n_amendments; i++) {
		const Parley__Amendment *m = l->amendments[i];
		jw_obj_begin(j, NULL);
		jw_uint(j, "id", m->id);
		jw_int(j, "revision", m->revision);
		jw_str(j, "proposer", m->proposer);
		jw_str(j, "state", m->state);
		jw_str(j, "note", m->note);
		jw_obj_end(j);
	}
	jw_arr_end(j);
	jw_obj_end(j);
}

static int
cmd_amendment_list(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__AmendmentListQuery q = PARLEY__AMENDMENT_LIST_QUERY__INIT;
	const Parley__AmendmentList *l;
	uint64_t id;
	size_t i;
	int rc;

	if (parse_id(pos(x, 0), &id) != 0)
		return usage_error(x, "ID must be an agreement number");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	q.agreement = id;
	f.body_case = PARLEY__FRAME__BODY_AMENDMENT_LIST_QUERY;
	f.amendment_list_query = &q;
	if ((rc = call(x, &f, &r, PARLEY__FRAME__BODY_AMENDMENT_LIST)) != 0)
		return rc;
	l = r->amendment_list;
	if (x->json) {
		struct jw *j = jw_new();
		amendment_list_json(j, id, l);
		printf("%s\n", jw_text(j));
		jw_free(j);
	} else if (l->n_amendments == 0) {
		printf("no amendment of agreement %llu that %s may read\n", (unsigned long long)id,
		    cl_party(x->c));
	} else {
		printf("AM    REV  STATE       PROPOSER\n");
		for (i = 0; i < l->n_amendments; i++)
			printf("%-5llu %-4u %-11s %s%s%s\n",
			    (unsigned long long)l->amendments[i]->id, l->amendments[i]->revision,
			    l->amendments[i]->state, l->amendments[i]->proposer,
			    *l->amendments[i]->note ? ": " : "", l->amendments[i]->note);
	}
	cl_free(x->c, r);
	return EXIT_OK;
}

static int
cmd_amendment_show(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__AmendmentQuery q = PARLEY__AMENDMENT_QUERY__INIT;
	const Parley__AmendmentView *v;
	const Parley__Amendment *m;
	uint64_t id;
	int rc;

	if (parse_id(pos(x, 0), &id) != 0)
		return usage_error(x, "AM must be an amendment number");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	q.amendment = id;
	f.body_case = PARLEY__FRAME__BODY_AMENDMENT_QUERY;
	f.amendment_query = &q;
	if ((rc = call(x, &f, &r, PARLEY__FRAME__BODY_AMENDMENT_VIEW)) != 0)
		return rc;
	v = r->amendment_view;
	if ((m = v->amendment) == NULL) {
		cl_free(x->c, r);
		return out_error(x, EXIT_REFUSED, "the daemon sent an empty amendment");
	}
	if (x->json) {
		struct jw *j = jw_new();
		amendment_view_json(j, v);
		printf("%s\n", jw_text(j));
		jw_free(j);
	} else {
		printf("amendment %llu to agreement %llu revision %u, proposed by %s: %s\n",
		    (unsigned long long)m->id, (unsigned long long)m->agreement, m->revision,
		    m->proposer, m->state);
		if (*m->note)
			printf("note: %s\n", m->note);
		if (*v->reason)
			printf("rejected: %s\n", v->reason);
		if (v->answered)
			printf("your answer: %s%s%s\n", v->accept ? "accept" : "reject",
			    *v->answer_note ? ": " : "", v->answer_note);
		printf("\n%s", *v->diff ? v->diff : "(the same text as the revision)\n");
	}
	cl_free(x->c, r);
	return EXIT_OK;
}

static int
cmd_amendment_respond(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__AmendmentResponse ar = PARLEY__AMENDMENT_RESPONSE__INIT;
	uint64_t id;
	int rc;

	if (parse_id(pos(x, 0), &id) != 0 ||
	    (strcmp(pos(x, 1), "accept") != 0 && strcmp(pos(x, 1), "reject") != 0))
		return usage_error(x, "expected: AM accept|reject");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	ar.amendment = id;
	ar.accept = strcmp(pos(x, 1), "accept") == 0;
	ar.note = opt(x, "note") ? (char *)opt(x, "note") : "";
	f.body_case = PARLEY__FRAME__BODY_AMENDMENT_RESPONSE;
	f.amendment_response = &ar;
	rc = request_ok(x, &f, "recorded");
	return rc;
}

static int
cmd_withdraw(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__WithdrawRequest wr = PARLEY__WITHDRAW_REQUEST__INIT;
	uint64_t id;
	int rc;

	if (x->args->npos != 1 || parse_id(pos(x, 0), &id) != 0)
		return usage_error(x, "ID must be an agreement number");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	wr.agreement = id;
	f.body_case = PARLEY__FRAME__BODY_WITHDRAW;
	f.withdraw = &wr;
	rc = request_ok(x, &f, "withdrawn");
	return rc;
}

/* As the daemon's REASON_MAX (daemon/agreement.h): refused here first,
 * as bad usage. */
#define DECLINE_REASON_MAX 500

static int
cmd_decline(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__DeclineRequest dr = PARLEY__DECLINE_REQUEST__INIT;
	const char *reason = opt(x, "reason");
	size_t i, len;
	uint64_t id;
	int rc;

	if (x->args->npos != 1 || parse_id(pos(x, 0), &id) != 0)
		return usage_error(x, "ID must be an agreement number");
	len = reason ? strlen(reason) : 0;
	for (i = 0; i < len && strchr(" \t\r\n", reason[i]) != NULL; i++)
		;
	if (i == len)
		return usage_error(x, "--reason must not be empty or blank");
	if (len > DECLINE_REASON_MAX || !text_utf8_valid(reason, len))
		return usage_error(x, "--reason must be UTF-8 text of at most 500 bytes");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	dr.agreement = id;
	dr.reason = (char *)reason;
	f.body_case = PARLEY__FRAME__BODY_DECLINE;
	f.decline = &dr;
	return request_ok(x, &f, "declined");
}

/* A comma list into v (pointers into buf): their number, or -1. */
static int
split_list(char *buf, char **v, size_t max)
{
	char *p, *save = NULL;
	size_t n = 0;

	if (*buf == '\0' || buf[strlen(buf) - 1] == ',' || *buf == ',' || strstr(buf, ",,"))
		return -1;
	for (p = strtok_r(buf, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
		if (n == max || (!ident_valid(p) && strcmp(p, "mediator") != 0))
			return -1;
		v[n++] = p;
	}
	return (int)n;
}

static int
cmd_letter_send(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__LetterSend ls = PARLEY__LETTER_SEND__INIT;
	char err[1200], why[200], to[2048], cc[2048], *tv[64], *cv[64], *text, *norm;
	const char *subject = opt(x, "subject") ? opt(x, "subject") : "";
	size_t len;
	int nt, nc = 0, rc;

	snprintf(to, sizeof(to), "%s", opt(x, "to"));
	snprintf(cc, sizeof(cc), "%s", opt(x, "cc") ? opt(x, "cc") : "");
	if ((nt = split_list(to, tv, 64)) < 0 || (*cc && (nc = split_list(cc, cv, 64)) < 0))
		return usage_error(x, "--to and --cc take party codes (or mediator) separated by "
		    "commas");
	if (!cert_shown_valid(subject, 200))
		return usage_error(x, "--subject must be one line of at most 200 bytes of UTF-8, "
		    "without control characters (tab included)");
	if ((text = cl_read_input(opt(x, "text"), TEXT_FILE_MAX, &len, err, sizeof(err))) == NULL)
		return out_error(x, EXIT_USAGE, "%s", err);
	if (text_check(text, len, why, sizeof(why)) != 0 ||
	    text_displayable(text, len, why, sizeof(why)) != 0) {
		free(text);
		return out_error(x, EXIT_USAGE, "%s: %s", opt(x, "text"), why);
	}
	norm = text_normalize(text, len, NULL);
	free(text);
	if (norm == NULL)
		return out_error(x, EXIT_REFUSED, "out of memory");
	/* refused here as parleyd would, before anyone is named to it */
	if (norm[strspn(norm, " \t\n")] == '\0') {
		free(norm);
		return out_error(x, EXIT_USAGE, "%s: the text is blank", opt(x, "text"));
	}
	if ((rc = connect_conf(x)) != 0) {
		free(norm);
		return rc;
	}
	ls.n_to = (size_t)nt;
	ls.to = tv;
	ls.n_cc = (size_t)nc;
	ls.cc = cv;
	ls.subject = (char *)subject;
	ls.text = norm;
	ls.urgent = opt(x, "urgent") != NULL;
	f.body_case = PARLEY__FRAME__BODY_LETTER_SEND;
	f.letter_send = &ls;
	rc = request_ok(x, &f, "sent");
	free(norm);
	return rc;
}

static int
cmd_contacts_set(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__DutyContactsSet cs = PARLEY__DUTY_CONTACTS_SET__INIT;
	char err[1200], *text;
	size_t len;
	int rc;

	if ((text = cl_read_input(pos(x, 0), 65536, &len, err, sizeof(err))) == NULL)
		return out_error(x, EXIT_USAGE, "%s", err);
	if (!text_utf8_valid(text, len)) {
		free(text);
		return out_error(x, EXIT_USAGE, "%s is not UTF-8", pos(x, 0));
	}
	if ((rc = connect_conf(x)) != 0) {
		free(text);
		return rc;
	}
	cs.text = text;
	f.body_case = PARLEY__FRAME__BODY_DUTY_CONTACTS_SET;
	f.duty_contacts_set = &cs;
	rc = request_ok(x, &f, "recorded");
	free(text);
	return rc;
}

static int
cmd_contacts(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__DutyContactsQuery q = PARLEY__DUTY_CONTACTS_QUERY__INIT;
	const Parley__DutyContactsList *l;
	struct jw *j = NULL;
	size_t i;
	int rc;

	if ((rc = connect_conf(x)) != 0)
		return rc;
	f.body_case = PARLEY__FRAME__BODY_DUTY_CONTACTS_QUERY;
	f.duty_contacts_query = &q;
	if ((rc = call(x, &f, &r, PARLEY__FRAME__BODY_DUTY_CONTACTS_LIST)) != 0)
		return rc;
	l = r->duty_contacts_list;
	if (x->json) {
		j = jw_new();
		jw_obj_begin(j, NULL);
		jw_arr_begin(j, "contacts");
	}
	for (i = 0; i < l->n_contacts; i++) {
		const Parley__DutyContacts *c = l->contacts[i];
		if (j != NULL) {
			jw_obj_begin(j, NULL);
			jw_str(j, "party", c->party);
			jw_bool(j, "own", *c->passed_at == '\0');
			jw_str(j, "text", c->text);
			jw_str(j, "set_at", *c->set_at ? c->set_at : NULL);
			jw_str(j, "passed_at", *c->passed_at ? c->passed_at : NULL);
			jw_obj_end(j);
		} else {
			printf("%s%s (%s %s):\n%s", i ? "\n" : "", c->party,
			    *c->passed_at ? "passed by the mediator" : "your own, set",
			    *c->passed_at ? c->passed_at : c->set_at, c->text);
		}
	}
	if (j != NULL) {
		jw_arr_end(j);
		jw_obj_end(j);
		printf("%s\n", jw_text(j));
		jw_free(j);
	} else if (l->n_contacts == 0) {
		printf("no duty contacts: set yours with parley duty contacts set FILE\n");
	}
	cl_free(x->c, r);
	return EXIT_OK;
}

/* An agreement's validity from its status, each time in its zone. */
static void
status_validity_json(struct jw *j, const Parley__StatusReply *sr)
{
	char when[PTIME_BUFLEN];

	if (sr->effective_at) {
		ptime_format_in(sr->effective_at, sr->zone, when);
		jw_str(j, "effective_at", when);
	} else {
		jw_null(j, "effective_at");
	}
	if (sr->expires_at) {
		ptime_format_in(sr->expires_at, sr->zone, when);
		jw_str(j, "expires_at", when);
	} else {
		jw_null(j, "expires_at");
	}
	if (sr->extends)
		jw_uint(j, "extends", sr->extends);
	if (sr->reaffirms)
		jw_uint(j, "reaffirms", sr->reaffirms);
}

static int
cmd_status(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__StatusRequest sr = PARLEY__STATUS_REQUEST__INIT;
	char when[PTIME_BUFLEN];
	uint64_t id;
	size_t i;
	int rc;

	if (x->args->npos != 1 || parse_id(pos(x, 0), &id) != 0)
		return usage_error(x, "ID must be an agreement number");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	sr.agreement = id;
	f.body_case = PARLEY__FRAME__BODY_STATUS;
	f.status = &sr;
	if ((rc = call(x, &f, &r, PARLEY__FRAME__BODY_STATUS_REPLY)) != 0)
		return rc;
	if (x->json) {
		struct jw *j = jw_new();
		jw_obj_begin(j, NULL);
		jw_uint(j, "id", r->status_reply->agreement);
		jw_int(j, "revision", r->status_reply->revision);
		jw_str(j, "state", r->status_reply->state);
		status_validity_json(j, r->status_reply);
		jw_arr_begin(j, "parties");
		for (i = 0; i < r->status_reply->n_parties; i++) {
			const Parley__PartyStatus *p = r->status_reply->parties[i];
			jw_obj_begin(j, NULL);
			jw_str(j, "party", p->party);
			jw_bool(j, "signed", p->signed_);
			if (p->declined_at) {
				ptime_format_in(p->declined_at, r->status_reply->zone, when);
				jw_str(j, "declined_at", when);
				jw_str(j, "declined_reason", p->declined_reason);
			}
			jw_obj_end(j);
		}
		jw_arr_end(j);
		jw_obj_end(j);
		printf("%s\n", jw_text(j));
		jw_free(j);
	} else {
		printf("agreement %llu revision %u: %s\n",
		    (unsigned long long)r->status_reply->agreement, r->status_reply->revision,
		    r->status_reply->state);
		if (r->status_reply->effective_at) {
			ptime_format_in(r->status_reply->effective_at, r->status_reply->zone, when);
			printf("  in effect from %s", when);
			if (r->status_reply->expires_at) {
				ptime_format_in(r->status_reply->expires_at, r->status_reply->zone, when);
				printf(" until %s", when);
			}
			printf("\n");
		}
		for (i = 0; i < r->status_reply->n_parties; i++) {
			const Parley__PartyStatus *p = r->status_reply->parties[i];
			printf("  %-14s %s\n", p->party, p->signed_ ? "signed" : "not signed");
			if (p->declined_at) {
				ptime_format_in(p->declined_at, r->status_reply->zone, when);
				printf("  %-14s declined at %s: %s\n", "", when, p->declined_reason);
			}
		}
	}
	cl_free(x->c, r);
	return EXIT_OK;
}

static int
mediator_raw(struct ctx *x, const char *path, uint8_t raw[32])
{
	char err[1200];
	EVP_PKEY *k;

	if ((k = crypto_read_public_key(path, err, sizeof(err))) == NULL)
		return out_error(x, EXIT_USAGE, "%s", err);
	if (!crypto_is_ed25519(k) || crypto_pubkey_raw(k, raw) != 0) {
		EVP_PKEY_free(k);
		return out_error(x, EXIT_USAGE, "%s is not an Ed25519 public key", path);
	}
	EVP_PKEY_free(k);
	return 0;
}

static int
verify_dir(struct ctx *x, const char *dir, const uint8_t mraw[32])
{
	char err[1200], summary[800];

	if (bundle_verify(dir, mraw, summary, sizeof(summary), err, sizeof(err)) != 0)
		return out_error(x, EXIT_REFUSED, "%s does NOT verify: %s", dir, err);
	if (x->json) {
		struct jw *j = jw_new();
		jw_obj_begin(j, NULL);
		jw_str(j, "dir", dir);
		jw_bool(j, "verified", 1);
		jw_str(j, "summary", summary);
		jw_obj_end(j);
		printf("%s\n", jw_text(j));
		jw_free(j);
	} else {
		printf("%s verifies: %s\n", dir, summary);
	}
	return EXIT_OK;
}

/* parley key new FILE / principal new FILE: an Ed25519 key pair, FILE
 * (private, 0600, never overwritten) and FILE.pub, and what the mediator
 * (a signer key) or the party (a principal key) does with the public one.
 * No connection: the key never leaves this machine. */
static int
new_key(struct ctx *x, int principal)
{
	char pubpath[PATH_MAX], err[1200], hex[65];
	const char *file = pos(x, 0);
	struct stat sb;
	uint8_t raw[32];
	EVP_PKEY *k;
	int n;

	n = snprintf(pubpath, sizeof(pubpath), "%s.pub", file);
	if (n < 0 || (size_t)n >= sizeof(pubpath))
		return usage_error(x, "FILE is too long");
	/* lstat: a dangling link is there too, and would fail the write
	 * after the private key was made */
	if (lstat(pubpath, &sb) == 0 || errno != ENOENT)
		return out_error(x, EXIT_USAGE, "%s already exists; not overwriting it", pubpath);
	if ((k = crypto_ed25519_generate()) == NULL || crypto_pubkey_raw(k, raw) != 0) {
		EVP_PKEY_free(k);
		return out_error(x, EXIT_REFUSED, "cannot make an Ed25519 key");
	}
	if (crypto_write_private_key(file, k, err, sizeof(err)) != 0) {
		EVP_PKEY_free(k);
		return out_error(x, EXIT_USAGE, "%s", err);
	}
	if (crypto_write_public_key(pubpath, k, err, sizeof(err)) != 0) {
		unlink(file);	/* one whole pair, or nothing */
		EVP_PKEY_free(k);
		return out_error(x, EXIT_USAGE, "%s", err);
	}
	EVP_PKEY_free(k);
	hex_encode(raw, 32, hex);
	if (x->json) {
		struct jw *j = jw_new();
		jw_obj_begin(j, NULL);
		jw_str(j, "kind", principal ? "principal" : "signer");
		jw_str(j, "private", file);
		jw_str(j, "public", pubpath);
		jw_str(j, "key", hex);
		jw_obj_end(j);
		printf("%s\n", jw_text(j));
		jw_free(j);
	} else if (principal) {
		printf("principal key made: %s (keep it offline), public key %s\n"
		    "  Ed25519 %s\nGive the mediator %s to register it:\n"
		    "  parleyctl principal add PARTY --key %s\n"
		    "From then on each signer needs a mandate: parley mandate issue "
		    "--principal-key %s ...\n", file, pubpath, hex, pubpath, pubpath, file);
	} else {
		printf("signer key made: %s, public key %s\n  Ed25519 %s\n"
		    "Give the mediator %s to register it (with the holder's name and office):\n"
		    "  parleyctl signer add PARTY --key %s --name NAME --title TITLE\n"
		    "Then sign with it: parley sign ID --key %s\n", file, pubpath, hex, pubpath,
		    pubpath, file);
	}
	return EXIT_OK;
}

static int
cmd_key_new(struct ctx *x)
{
	return new_key(x, 0);
}

static int
cmd_principal_new(struct ctx *x)
{
	return new_key(x, 1);
}

/* parley condition lift ID: the party's signer key signs the lifting of
 * the condition its copy carries (read from the release bundle, whose
 * certificate the mediator signed), after confirmation. */
static int
cmd_condition_lift(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *r = NULL;
	Parley__BundleRequest br = PARLEY__BUNDLE_REQUEST__INIT;
	Parley__LiftRequest lr = PARLEY__LIFT_REQUEST__INIT;
	const Parley__SignedCopy *mine = NULL;
	const char *role = opt(x, "role") ? opt(x, "role") : "";
	char prompt[600];
	uint8_t h[32], sig[64], pub[32], *payload = NULL;
	size_t plen, i;
	EVP_PKEY *k = NULL;
	uint64_t id;
	int rc;

	if (x->args->npos != 1 || parse_id(pos(x, 0), &id) != 0)
		return usage_error(x, "ID must be an agreement number");
	if (*role && !ident_valid(role))
		return usage_error(x, "ROLE must be a short lowercase name");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	br.agreement = id;
	f.body_case = PARLEY__FRAME__BODY_BUNDLE_REQUEST;
	f.bundle_request = &br;
	if ((rc = call(x, &f, &r, PARLEY__FRAME__BODY_BUNDLE)) != 0)
		return rc;
	for (i = 0; i < r->bundle->n_copies; i++)
		if (strcmp(r->bundle->copies[i]->party, cl_party(x->c)) == 0 &&
		    strcmp(r->bundle->copies[i]->role, role) == 0)
			mine = r->bundle->copies[i];
	rc = EXIT_REFUSED;
	if (mine == NULL || *mine->condition == '\0' || mine->signature.len != 64) {
		out_error(x, EXIT_REFUSED, "no copy of %s%s%s on agreement %llu is subject to a "
		    "condition", cl_party(x->c), *role ? " in role " : "", role,
		    (unsigned long long)id);
		goto done;
	}
	snprintf(prompt, sizeof(prompt), "lift the condition \"%s\" of %s's signature of "
	    "agreement %llu, making it final?", mine->condition, cl_party(x->c),
	    (unsigned long long)id);
	if (opt(x, "yes") == NULL && !confirm(prompt)) {
		rc = out_error(x, EXIT_USAGE, "not lifted (confirm at the prompt, or pass --yes)");
		goto done;
	}
	if ((k = signer_key(x)) == NULL)
		goto done;
	if (!crypto_is_ed25519(k) || crypto_pubkey_raw(k, pub) != 0 ||
	    crypto_sha256(mine->signature.data, 64, h) != 0 ||
	    sign_lift(id, mine->revision, cl_party(x->c), role, mine->condition, h, &payload,
	    &plen) != 0 || crypto_sign(k, payload, plen, sig) != 0) {
		out_error(x, EXIT_REFUSED, "cannot sign with %s", x->conf.signer_key);
		goto done;
	}
	lr.agreement = id;
	lr.role = (char *)role;
	lr.signer_key.data = pub;
	lr.signer_key.len = 32;
	lr.signature.data = sig;
	lr.signature.len = 64;
	f.body_case = PARLEY__FRAME__BODY_CONDITION_LIFT;
	f.condition_lift = &lr;
	cl_free(x->c, r);
	r = NULL;
	rc = request_ok(x, &f, "lifted");
done:
	if (r != NULL)
		cl_free(x->c, r);
	EVP_PKEY_free(k);
	free(payload);
	return rc;
}

static int
cmd_bundle(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__BundleRequest br = PARLEY__BUNDLE_REQUEST__INIT;
	char err[1200];
	uint8_t mraw[32];
	uint64_t id;
	int rc;

	if (x->args->npos != 2 || parse_id(pos(x, 0), &id) != 0)
		return usage_error(x, "expected an agreement number and a directory");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	br.agreement = id;
	f.body_case = PARLEY__FRAME__BODY_BUNDLE_REQUEST;
	f.bundle_request = &br;
	if ((rc = call(x, &f, &r, PARLEY__FRAME__BODY_BUNDLE)) != 0)
		return rc;
	rc = bundle_write(pos(x, 1), r->bundle, err, sizeof(err));
	cl_free(x->c, r);
	if (rc != 0)
		return out_error(x, EXIT_REFUSED, "%s", err);
	if (!x->conf.mediator_key[0])
		return out_error(x, EXIT_REFUSED, "bundle written to %s, but client.conf names no "
		    "mediator_key to verify it", pos(x, 1));
	if ((rc = mediator_raw(x, x->conf.mediator_key, mraw)) != 0)
		return rc;
	return verify_dir(x, pos(x, 1), mraw);
}

static int
cmd_verify(struct ctx *x)
{
	char err[1200];
	uint8_t mraw[32];
	const char *key;
	int rc;

	if (x->args->npos != 1)
		return usage_error(x, "expected a bundle directory");
	if ((key = opt(x, "mediator-key")) == NULL) {
		if (cl_conf_load(x->conf_path, &x->conf, err, sizeof(err)) != 0 ||
		    !x->conf.mediator_key[0])
			return usage_error(x, "no --mediator-key, and no client.conf with one");
		key = x->conf.mediator_key;
	}
	if ((rc = mediator_raw(x, key, mraw)) != 0)
		return rc;
	return verify_dir(x, pos(x, 0), mraw);
}

/* ---- the delegation's console ---- */

static void print_incident(struct jw *j, const Parley__Incident *in);

/* What a party's console may ask: what the party may already see. */
static const char *const party_console_verbs[] = {
	"agreement list", "agreement show", "timeline show", "incident list", "amendment list",
	"amendment show", "record", NULL
};

/* One request for the console: 0 with *r (of body want), or -1 with err;
 * a lost connection is made again once. */
static int
console_call(struct ctx *x, Parley__Frame *f, Parley__Frame **r, int want, char *err,
    size_t errlen)
{
	int tries;

	for (tries = 0; tries < 2; tries++) {
		if (x->c == NULL && connect_conf(x) != 0) {
			snprintf(err, errlen, "cannot reach parleyd");
			return -1;
		}
		if (cl_call(x->c, f, r, NULL, NULL, err, errlen) != 0) {
			cl_close(x->c);
			x->c = NULL;
			continue;
		}
		if ((int)(*r)->body_case == want)
			return 0;
		snprintf(err, errlen, "%s", (*r)->body_case == PARLEY__FRAME__BODY_ERROR ?
		    (*r)->error->message : "unexpected answer from parleyd");
		cl_free(x->c, *r);
		*r = NULL;
		return -1;
	}
	return -1;
}

static const char *
console_arg_of(const struct console_arg *args, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(args[i].key, key) == 0)
			return args[i].value;
	return NULL;
}

/* agreement show as the party sees it: the text's terms, and the status
 * of the signatures it may know of (its own alone before release, unless
 * the mediator discloses progress). */
static int
console_show(struct ctx *x, uint64_t id, struct jw *j, char *err, size_t errlen)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *r = NULL, *st = NULL;
	Parley__ShowRequest sr = PARLEY__SHOW_REQUEST__INIT;
	Parley__StatusRequest tr = PARLEY__STATUS_REQUEST__INIT;
	const Parley__AgreementText *t;
	uint8_t h[32];
	char hex[65];
	size_t i;

	sr.agreement = id;
	f.body_case = PARLEY__FRAME__BODY_SHOW;
	f.show = &sr;
	if (console_call(x, &f, &r, PARLEY__FRAME__BODY_AGREEMENT, err, errlen) != 0)
		return -1;
	tr.agreement = id;
	f.body_case = PARLEY__FRAME__BODY_STATUS;
	f.status = &tr;
	if (console_call(x, &f, &st, PARLEY__FRAME__BODY_STATUS_REPLY, err, errlen) != 0) {
		cl_free(x->c, r);
		return -1;
	}
	t = r->agreement;
	if (bundle_content_hash(t, NULL, h) != 0)
		memset(h, 0, sizeof(h));
	hex_encode(h, 32, hex);
	jw_obj_begin(j, NULL);
	jw_uint(j, "id", t->agreement);
	jw_str(j, "title", t->title);
	jw_str(j, "state", st->status_reply->state);
	jw_int(j, "revision", t->revision);
	jw_str(j, "zone", t->zone);
	jw_str(j, "effective", t->effective);
	status_validity_json(j, st->status_reply);
	jw_str(j, "content_sha256", hex);
	jw_arr_begin(j, "parties");
	for (i = 0; i < st->status_reply->n_parties; i++) {
		const Parley__PartyStatus *ps = st->status_reply->parties[i];
		jw_obj_begin(j, NULL);
		jw_str(j, "party", ps->party);
		jw_arr_begin(j, "signatures");
		jw_obj_begin(j, NULL);
		jw_null(j, "role");
		jw_str(j, "signed_at", ps->signed_ ? "signed" : NULL);
		jw_obj_end(j);
		jw_arr_end(j);
		jw_null(j, "receipt");
		jw_obj_end(j);
	}
	jw_arr_end(j);
	jw_obj_end(j);
	cl_free(x->c, st);
	cl_free(x->c, r);
	return 0;
}

/* "now": the daemon's clock (a mandate query carries it). */
static int
console_now(struct ctx *x, struct jw *j, char *err, size_t errlen)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *r = NULL;
	Parley__MandateQuery q = PARLEY__MANDATE_QUERY__INIT;
	char when[PTIME_BUFLEN];

	f.body_case = PARLEY__FRAME__BODY_MANDATE_QUERY;
	f.mandate_query = &q;
	if (console_call(x, &f, &r, PARLEY__FRAME__BODY_MANDATE_LIST, err, errlen) != 0)
		return -1;
	ptime_format_utc(r->mandate_list->now, when);
	jw_str(j, "now", when);
	cl_free(x->c, r);
	return 0;
}

/* The record as this endpoint holds the mediator to it: the checkpoint it
 * keeps, and what the last check found.  The check runs on every
 * connection, and again here when the last one is a minute old (each one
 * countersigns a new checkpoint, a journal entry: not on every redraw). */
static int
console_record(struct ctx *x, struct jw *j, char *err, size_t errlen)
{
	struct checkpoint *cp = NULL;
	struct timespec now;
	char path[4200], hex[65], *text = NULL;
	size_t len;
	int rc = -1;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (x->c != NULL && now.tv_sec - x->record_at.tv_sec >= 60) {
		int k = cl_record_check(x->c, &x->conf, x->record, sizeof(x->record), err, errlen);
		if (k > 0)
			return -1;
		if (k < 0) {
			cl_close(x->c);
			x->c = NULL;
		} else {
			x->record_at = now;
		}
	}
	if (x->c == NULL && connect_conf(x) != 0) {
		snprintf(err, errlen, "cannot reach parleyd to check the record");
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(path, sizeof(path), "%s/checkpoint", x->conf.dir);
	jw_obj_begin(j, NULL);
	jw_str(j, "party", cl_party(x->c));
	jw_str(j, "summary", x->record);
	jw_int(j, "checked_seconds_ago", now.tv_sec - x->record_at.tv_sec);
	jw_str(j, "kept_in", path);
	if ((text = cl_read_file(path, CHECKPOINT_MAX_LEN, &len, err, errlen)) == NULL) {
		jw_null(j, "checkpoint");
	} else {
		if ((cp = malloc(sizeof(*cp))) == NULL ||
		    checkpoint_parse(text, len, cp, err, errlen) != 0)
			goto done;
		hex_encode(cp->root, 32, hex);
		jw_obj_begin(j, "checkpoint");
		jw_str(j, "origin", cp->origin);
		jw_uint(j, "size", cp->size);
		jw_str(j, "root", hex);
		jw_obj_end(j);
	}
	jw_obj_end(j);
	rc = 0;
done:
	if (rc != 0 && cp == NULL)
		snprintf(err, errlen, "out of memory");
	free(cp);
	free(text);
	return rc;
}

static int
console_party_query(void *arg, const char *verb, const struct console_arg *args, size_t n,
    char **json, char *err, size_t errlen)
{
	struct ctx *x = arg;
	Parley__Frame f = PARLEY__FRAME__INIT, *r = NULL;
	const char *a1 = console_arg_of(args, n, "1");
	struct jw *j = jw_new();
	uint64_t id = 0;
	size_t i, k;
	int rc = -1;

	if (j == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (a1 != NULL && parse_id(a1, &id) != 0) {
		snprintf(err, errlen, "not an agreement number");
		goto done;
	}
	if (strcmp(verb, "agreement list") == 0) {
		Parley__AgreementQuery aq = PARLEY__AGREEMENT_QUERY__INIT;
		f.body_case = PARLEY__FRAME__BODY_AGREEMENT_QUERY;
		f.agreement_query = &aq;
		if (console_call(x, &f, &r, PARLEY__FRAME__BODY_AGREEMENT_LIST, err, errlen) != 0)
			goto done;
		jw_obj_begin(j, NULL);
		jw_arr_begin(j, "agreements");
		for (i = 0; i < r->agreement_list->n_agreements; i++) {
			const Parley__AgreementSummary *s = r->agreement_list->agreements[i];
			jw_obj_begin(j, NULL);
			jw_uint(j, "id", s->id);
			jw_str(j, "title", s->title);
			jw_str(j, "state", s->state);
			jw_int(j, "revision", s->revision);
			jw_str(j, "created_at", s->observer ? "(observer)" : "");
			jw_obj_end(j);
		}
		jw_arr_end(j);
		jw_obj_end(j);
	} else if (strcmp(verb, "agreement show") == 0) {
		if (console_show(x, id, j, err, errlen) != 0)
			goto done;
	} else if (strcmp(verb, "timeline show") == 0) {
		Parley__TimelineRequest tr = PARLEY__TIMELINE_REQUEST__INIT;
		tr.agreement = id;
		f.body_case = PARLEY__FRAME__BODY_TIMELINE;
		f.timeline = &tr;
		if (console_call(x, &f, &r, PARLEY__FRAME__BODY_TIMELINE_REPLY, err, errlen) != 0)
			goto done;
		jw_obj_begin(j, NULL);
		jw_uint(j, "id", id);
		jw_str(j, "x", r->timeline_reply->x);
		jw_arr_begin(j, "measures");
		for (k = 0; k < r->timeline_reply->n_measures; k++) {
			const Parley__Measure *m = r->timeline_reply->measures[k];
			jw_obj_begin(j, NULL);
			jw_int(j, "number", m->number);
			jw_str(j, "offset", m->offset);
			jw_str(j, "party", m->party);
			jw_str(j, "description", m->description);
			jw_bool(j, "confirm", m->needs_confirmation);
			jw_str(j, "due", *m->due ? m->due : NULL);
			jw_str(j, "status", m->status);
			jw_obj_end(j);
		}
		jw_arr_end(j);
		jw_obj_end(j);
	} else if (strcmp(verb, "incident list") == 0) {
		Parley__IncidentQuery iq = PARLEY__INCIDENT_QUERY__INIT;
		iq.paged = 1;
		f.body_case = PARLEY__FRAME__BODY_INCIDENT_QUERY;
		f.incident_query = &iq;
		if (console_call(x, &f, &r, PARLEY__FRAME__BODY_INCIDENT_LIST, err, errlen) != 0)
			goto done;
		jw_obj_begin(j, NULL);
		jw_arr_begin(j, "incidents");
		for (i = 0; i < r->incident_list->n_incidents; i++)
			print_incident(j, r->incident_list->incidents[i]);
		jw_arr_end(j);
		cl_free(x->c, r);
		r = NULL;
		/* the clocks count on the daemon's clock, not the browser's */
		if (console_now(x, j, err, errlen) != 0)
			goto done;
		jw_obj_end(j);
	} else if (strcmp(verb, "amendment list") == 0) {
		Parley__AmendmentListQuery lq = PARLEY__AMENDMENT_LIST_QUERY__INIT;
		lq.agreement = id;
		f.body_case = PARLEY__FRAME__BODY_AMENDMENT_LIST_QUERY;
		f.amendment_list_query = &lq;
		if (console_call(x, &f, &r, PARLEY__FRAME__BODY_AMENDMENT_LIST, err, errlen) != 0)
			goto done;
		amendment_list_json(j, id, r->amendment_list);
	} else if (strcmp(verb, "amendment show") == 0) {
		Parley__AmendmentQuery aq = PARLEY__AMENDMENT_QUERY__INIT;
		aq.amendment = id;
		f.body_case = PARLEY__FRAME__BODY_AMENDMENT_QUERY;
		f.amendment_query = &aq;
		if (console_call(x, &f, &r, PARLEY__FRAME__BODY_AMENDMENT_VIEW, err, errlen) != 0)
			goto done;
		if (r->amendment_view->amendment == NULL) {
			snprintf(err, errlen, "the daemon sent an empty amendment");
			goto done;
		}
		amendment_view_json(j, r->amendment_view);
	} else if (strcmp(verb, "record") == 0) {
		if (console_record(x, j, err, errlen) != 0)
			goto done;
	} else {
		snprintf(err, errlen, "not a verb of this console");
		goto done;
	}
	if (jw_failed(j) || (*json = strdup(jw_text(j))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	rc = 0;
done:
	if (r != NULL)
		cl_free(x->c, r);
	jw_free(j);
	return rc;
}

static int
cmd_console(struct ctx *x)
{
	struct console_config cc = { 0 };
	char err[1024], title[120];
	int rc;

	x->agent = PARLEY_CONSOLE_AGENT;
	if ((rc = connect_conf(x)) != 0)
		return rc;
	snprintf(title, sizeof(title), "parley console of %s", cl_party(x->c));
	cc.listen = opt(x, "listen") ? opt(x, "listen") : "127.0.0.1:0";
	cc.title = title;
	cc.verbs = party_console_verbs;
	cc.query = console_party_query;
	cc.arg = x;
	cc.announce = stdout;
	if (console_run(&cc, err, sizeof(err)) != 0)
		return out_error(x, EXIT_USAGE, "%s", err);
	return EXIT_OK;
}

/* Does path name a directory ("x/", or one that exists)? */
static int
names_dir(const char *path)
{
	struct stat st;
	size_t n = strlen(path);

	return n == 0 || path[n - 1] == '/' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

/* Would out be written into the bundle's directory dir? */
static int
in_bundle(const char *dir, const char *out)
{
	char *o = strdup(out), *od, rd[PATH_MAX], ro[PATH_MAX];
	int same;

	if (o == NULL)
		return 0;
	od = dirname(o);
	same = realpath(dir, rd) != NULL && realpath(od, ro) != NULL && strcmp(rd, ro) == 0;
	free(o);
	return same;
}

static int
cmd_render(struct ctx *x)
{
	struct bundle_files *f;
	char err[1200];
	uint8_t mraw[32];
	const char *key;
	int rc;

	if ((key = opt(x, "mediator-key")) == NULL) {
		if (cl_conf_load(x->conf_path, &x->conf, err, sizeof(err)) != 0 ||
		    !x->conf.mediator_key[0])
			return usage_error(x, "no --mediator-key, and no client.conf with one");
		key = x->conf.mediator_key;
	}
	if ((rc = mediator_raw(x, key, mraw)) != 0)
		return rc;
	if (names_dir(opt(x, "pdf") ? opt(x, "pdf") : opt(x, "svg")))
		return usage_error(x, "--pdf and --svg take a file's name, not a directory's");
	if (in_bundle(pos(x, 0), opt(x, "pdf") ? opt(x, "pdf") : opt(x, "svg")))
		return usage_error(x, "write the picture outside the bundle's directory: a file "
		    "added there makes the bundle fail to verify");
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return out_error(x, EXIT_REFUSED, "out of memory");
	if (bundle_load(pos(x, 0), f, err, sizeof(err)) != 0 ||
	    (opt(x, "pdf") ? render_pdf(f, mraw, opt(x, "pdf"), err, sizeof(err)) :
	    render_calendar_svg(f, mraw, opt(x, "svg"), err, sizeof(err))) != 0) {
		bundle_files_clear(f);
		free(f);
		return out_error(x, EXIT_REFUSED, "%s: not printed: %s", pos(x, 0), err);
	}
	bundle_files_clear(f);
	free(f);
	if (x->json) {
		struct jw *j = jw_new();
		jw_obj_begin(j, NULL);
		jw_str(j, opt(x, "pdf") ? "pdf" : "svg", opt(x, "pdf") ? opt(x, "pdf") : opt(x, "svg"));
		jw_obj_end(j);
		printf("%s\n", jw_text(j));
		jw_free(j);
	} else {
		printf("%s verifies; its %s %s\n", pos(x, 0), opt(x, "pdf") ?
		    "record is printed to" : "calendar is drawn in", opt(x, "pdf") ? opt(x, "pdf") :
		    opt(x, "svg"));
	}
	return EXIT_OK;
}

static int
cmd_confirm(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__ConfirmRequest cr = PARLEY__CONFIRM_REQUEST__INIT;
	uint64_t id, m;
	int rc;

	if (x->args->npos != 2 || parse_id(pos(x, 0), &id) != 0 || parse_id(pos(x, 1), &m) != 0 ||
	    m > UINT32_MAX)
		return usage_error(x, "expected an agreement and a measure number");
	/* What parleyd would refuse is refused here, before connecting. */
	if (opt(x, "note") != NULL && !text_utf8_valid(opt(x, "note"), strlen(opt(x, "note"))))
		return usage_error(x, "the note is not valid UTF-8");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	cr.agreement = id;
	cr.measure = (uint32_t)m;
	cr.note = opt(x, "note") ? (char *)opt(x, "note") : "";
	f.body_case = PARLEY__FRAME__BODY_CONFIRM;
	f.confirm = &cr;
	rc = request_ok(x, &f, "confirmed");
	return rc;
}

static int
cmd_timeline(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__TimelineRequest tr = PARLEY__TIMELINE_REQUEST__INIT;
	const Parley__TimelineReply *t;
	uint64_t id;
	size_t i, k;
	int rc;

	if (x->args->npos != 1 || parse_id(pos(x, 0), &id) != 0)
		return usage_error(x, "ID must be an agreement number");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	tr.agreement = id;
	f.body_case = PARLEY__FRAME__BODY_TIMELINE;
	f.timeline = &tr;
	if ((rc = call(x, &f, &r, PARLEY__FRAME__BODY_TIMELINE_REPLY)) != 0)
		return rc;
	t = r->timeline_reply;
	if (x->json) {
		struct jw *j = jw_new();
		jw_obj_begin(j, NULL);
		jw_uint(j, "id", t->agreement);
		jw_str(j, "x", t->x);
		jw_arr_begin(j, "measures");
		for (i = 0; i < t->n_measures; i++) {
			const Parley__Measure *m = t->measures[i];
			jw_obj_begin(j, NULL);
			jw_int(j, "number", m->number);
			jw_str(j, "offset", m->offset);
			jw_str(j, "party", m->party);
			jw_str(j, "description", m->description);
			jw_bool(j, "confirm", m->needs_confirmation);
			jw_str(j, "due", *m->due ? m->due : NULL);
			jw_str(j, "status", m->status);
			jw_str(j, "yours", *m->yours ? m->yours : NULL);
			jw_arr_begin(j, "confirmations");
			for (k = 0; k < m->n_confirmations; k++) {
				const Parley__MeasureConfirmation *c = m->confirmations[k];
				jw_obj_begin(j, NULL);
				jw_str(j, "party", c->party);
				jw_str(j, "at", c->at);
				jw_str(j, "note", *c->note ? c->note : NULL);
				jw_obj_end(j);
			}
			jw_arr_end(j);
			jw_obj_end(j);
		}
		jw_arr_end(j);
		jw_obj_end(j);
		printf("%s\n", jw_text(j));
		jw_free(j);
	} else {
		printf("agreement %llu calendar, X = %s\n", (unsigned long long)t->agreement, t->x);
		for (i = 0; i < t->n_measures; i++) {
			const Parley__Measure *m = t->measures[i];
			printf("  %-3u %-8s %-25s %-12s %-11s %s\n", m->number, m->offset,
			    *m->due ? m->due : "-", m->party, m->status, m->description);
			if (*m->yours)
				printf("      %s\n", strcmp(m->yours, "confirmed") == 0 ?
				    "confirmed by you" : "awaiting you");
			for (k = 0; k < m->n_confirmations; k++) {
				const Parley__MeasureConfirmation *c = m->confirmations[k];
				printf("      confirmed by %s at %s%s%s%s\n", c->party, c->at,
				    *c->note ? ", note: \"" : "", c->note, *c->note ? "\"" : "");
			}
		}
	}
	cl_free(x->c, r);
	return EXIT_OK;
}

static void
print_incident(struct jw *j, const Parley__Incident *in)
{
	if (j != NULL) {
		jw_obj_begin(j, NULL);
		jw_uint(j, "id", in->id);
		jw_str(j, "filer", in->filer);
		jw_str(j, "against", in->against);
		jw_str(j, "place", in->place);
		jw_str(j, "time", in->time);
		jw_str(j, "nature", in->nature);
		jw_str(j, "consequences", in->consequences);
		jw_uint(j, "agreement", in->agreement);
		jw_bool(j, "agreement_not_in_force", in->agreement_not_in_force);
		jw_str(j, "state", in->state);
		jw_str(j, "filed_at", in->filed_at);
		jw_str(j, "respond_by", in->respond_by);
		jw_str(j, "answer", in->answer);
		jw_str(j, "answered_at", in->answered_at);
		jw_str(j, "publishable_at", in->publishable_at);
		jw_bool(j, "publishable", in->publishable);
		jw_bool(j, "meeting_requested", in->meeting_requested);
		jw_str(j, "inspection", in->inspection);
		jw_str(j, "close_reason", *in->close_reason ? in->close_reason : NULL);
		incident_json_more(j, in);
		jw_obj_end(j);
		return;
	}
	printf("incident %llu: %s reports %s (%s)\n  %s at %s, %s; consequences: %s\n",
	    (unsigned long long)in->id, in->filer, in->against, in->state, in->nature, in->place,
	    in->time, in->consequences);
	if (in->agreement)
		printf("  cites agreement %llu%s\n", (unsigned long long)in->agreement,
		    in->agreement_not_in_force ? " (not in force)" : "");
	printf("  filed %s; answer due by %s\n", in->filed_at, in->respond_by);
	if (*in->answer)
		printf("  answered %s%s: %s\n", in->answered_at, in->answered_late ? " (LATE)" : "",
		    in->answer);
	incident_text_more(in);
	printf("  %s be made public %s %s\n", in->publishable ? "may" : "may NOT yet",
	    in->publishable ? "since" : "before", in->publishable_at);
	if (*in->inspection)
		printf("  inspection: %s\n", in->inspection);
	if (*in->close_reason)
		printf("  closed by the mediator: %s\n", in->close_reason);
}

/* Every text of an incident request is UTF-8 before it is sent: the
 * daemon could not read the frame otherwise. */
static int
incident_texts_ok(struct ctx *x, const Parley__Frame *f)
{
	const char *v[8] = { NULL };
	size_t i;

	switch (f->body_case) {
	case PARLEY__FRAME__BODY_INCIDENT_FILE:
		v[0] = f->incident_file->against;
		v[1] = f->incident_file->place;
		v[2] = f->incident_file->time;
		v[3] = f->incident_file->nature;
		v[4] = f->incident_file->consequences;
		v[5] = f->incident_file->proposal;
		break;
	case PARLEY__FRAME__BODY_INCIDENT_RESPOND:
		v[0] = f->incident_respond->text;
		v[1] = f->incident_respond->measures;
		break;
	case PARLEY__FRAME__BODY_INCIDENT_ACTION:
		v[0] = f->incident_action->text;
		break;
	default:
		break;
	}
	for (i = 0; i < 8; i++) {
		if (v[i] == NULL)
			continue;
		if (!text_utf8_valid(v[i], strlen(v[i])))
			return usage_error(x, "the incident's texts must be UTF-8; one is not");
		/* one line each, shown as it is: no line of it may pass for
		 * one of the mediator's (a letter carries a longer text) */
		if (!text_one_line(v[i], strlen(v[i])))
			return usage_error(x, "each of the incident's texts is one line without control "
			    "characters (a longer text goes by letter: parley letter send)");
	}
	return 0;
}

static int
incident_call(struct ctx *x, Parley__Frame *f, const char *what)
{
	int rc;

	if ((rc = incident_texts_ok(x, f)) != 0 || (rc = connect_conf(x)) != 0)
		return rc;
	return request_ok(x, f, what);
}

/* Every incident the party filed or is accused in, page by page. */
static uint64_t
incident_next(const Parley__Frame *r)
{
	return r->incident_list->next;
}

static void
incident_page(const Parley__Frame *r, struct jw *j, void *arg)
{
	size_t i, *n = arg;

	for (i = 0; i < r->incident_list->n_incidents; i++)
		print_incident(j, r->incident_list->incidents[i]);
	*n += r->incident_list->n_incidents;
}

static int
incident_list_all(struct ctx *x, Parley__Frame *f, Parley__IncidentQuery *q)
{
	size_t n = 0;
	int rc;

	q->paged = 1;
	if ((rc = call_pages(x, f, &q->after, PARLEY__FRAME__BODY_INCIDENT_LIST, "incidents",
	    incident_next, incident_page, &n)) != 0)
		return rc;
	if (n == 0 && !x->json)
		printf("no incidents\n");
	return EXIT_OK;
}

/* The incident number in positional 0; usage error if it is not one. */
static int
incident_id(struct ctx *x, uint64_t *id)
{
	if (parse_id(pos(x, 0), id) != 0)
		return usage_error(x, "an incident number is needed");
	return 0;
}

static int
cmd_incident_file(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__IncidentFile fi = PARLEY__INCIDENT_FILE__INIT;
	uint64_t ag = 0;

	if (opt(x, "agreement") && parse_id(opt(x, "agreement"), &ag) != 0)
		return usage_error(x, "--agreement takes an agreement number");
	fi.against = (char *)opt(x, "against");
	fi.place = (char *)opt(x, "place");
	fi.time = (char *)opt(x, "time");
	fi.nature = (char *)opt(x, "nature");
	fi.consequences = (char *)opt(x, "consequences");
	fi.agreement = ag;
	fi.proposal = opt(x, "proposal") ? (char *)opt(x, "proposal") : "";
	f.body_case = PARLEY__FRAME__BODY_INCIDENT_FILE;
	f.incident_file = &fi;
	return incident_call(x, &f, "filed");
}

static int
cmd_incident_respond(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__IncidentRespond re = PARLEY__INCIDENT_RESPOND__INIT;
	int rc;

	if ((rc = incident_id(x, &re.incident)) != 0)
		return rc;
	re.text = (char *)opt(x, "text");
	re.measures = opt(x, "measures") ? (char *)opt(x, "measures") : "";
	f.body_case = PARLEY__FRAME__BODY_INCIDENT_RESPOND;
	f.incident_respond = &re;
	return incident_call(x, &f, "answered");
}

/* An action on incident N (meeting, inspect, consent, counter-protest),
 * with its text (NULL: none). */
static int
incident_action(struct ctx *x, const char *action, const char *text)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__IncidentAction ac = PARLEY__INCIDENT_ACTION__INIT;
	int rc;

	if ((rc = incident_id(x, &ac.incident)) != 0)
		return rc;
	ac.action = (char *)action;
	ac.text = (char *)(text != NULL ? text : "");
	f.body_case = PARLEY__FRAME__BODY_INCIDENT_ACTION;
	f.incident_action = &ac;
	return incident_call(x, &f, "recorded");
}

/* incident meeting N: ask for one; N accept: accept the one scheduled;
 * N propose --time T: propose another time. */
static int
cmd_incident_meeting(struct ctx *x)
{
	const char *what = pos(x, 1);

	if (what == NULL)
		return opt(x, "time") ? usage_error(x, "--time goes with propose") :
		    incident_action(x, "meeting", NULL);
	if (strcmp(what, "accept") != 0 && strcmp(what, "propose") != 0)
		return usage_error(x, "incident meeting N [accept|propose --time TIME]");
	if ((strcmp(what, "propose") == 0) != (opt(x, "time") != NULL))
		return usage_error(x, "propose takes --time TIME (and accept none)");
	return incident_action(x, strcmp(what, "accept") == 0 ? "meeting-accept" :
	    "meeting-propose", opt(x, "time"));
}

static int
cmd_incident_counter(struct ctx *x)
{
	return incident_action(x, "counter-protest", opt(x, "text"));
}

static int
cmd_incident_inspect(struct ctx *x)
{
	return incident_action(x, "inspect", NULL);
}

static int
cmd_incident_consent(struct ctx *x)
{
	if (strcmp(pos(x, 1), "yes") != 0 && strcmp(pos(x, 1), "no") != 0)
		return usage_error(x, "consent N yes|no");
	return incident_action(x, strcmp(pos(x, 1), "yes") == 0 ? "consent-yes" : "consent-no",
	    NULL);
}

static int
cmd_incident_list(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__IncidentQuery q = PARLEY__INCIDENT_QUERY__INIT;
	int rc;

	if ((rc = connect_conf(x)) != 0)
		return rc;
	f.body_case = PARLEY__FRAME__BODY_INCIDENT_QUERY;
	f.incident_query = &q;
	return incident_list_all(x, &f, &q);
}

static int
cmd_incident_show(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__IncidentQuery q = PARLEY__INCIDENT_QUERY__INIT;
	int rc;

	if ((rc = incident_id(x, &q.incident)) != 0 || (rc = connect_conf(x)) != 0)
		return rc;
	f.body_case = PARLEY__FRAME__BODY_INCIDENT_QUERY;
	f.incident_query = &q;
	if ((rc = call(x, &f, &r, PARLEY__FRAME__BODY_INCIDENT_LIST)) != 0)
		return rc;
	if (r->incident_list->n_incidents != 1) {
		cl_free(x->c, r);
		return out_error(x, EXIT_UNREACHABLE, "unexpected answer from parleyd");
	}
	if (x->json) {
		struct jw *j = jw_new();
		print_incident(j, r->incident_list->incidents[0]);
		printf("%s\n", jw_text(j));
		jw_free(j);
	} else {
		print_incident(NULL, r->incident_list->incidents[0]);
	}
	cl_free(x->c, r);
	return EXIT_OK;
}

static int
cmd_complaint(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__IncidentAction ac = PARLEY__INCIDENT_ACTION__INIT;
	uint64_t id;

	if (parse_id(opt(x, "incident"), &id) != 0)
		return usage_error(x, "--incident takes an incident number");
	ac.incident = id;
	ac.action = "complaint";
	ac.text = (char *)opt(x, "text");
	f.body_case = PARLEY__FRAME__BODY_INCIDENT_ACTION;
	f.incident_action = &ac;
	return incident_call(x, &f, "recorded");
}

/* The record that concerns the party, page by page. */
static uint64_t
journal_next(const Parley__Frame *r)
{
	return r->journal_entries->next;
}

static void
journal_page(const Parley__Frame *r, struct jw *j, void *arg)
{
	const int *all = arg;
	size_t i;

	for (i = 0; i < r->journal_entries->n_entries; i++) {
		/* countersignatures only when asked: one per connection */
		if (!*all && strstr(r->journal_entries->entries[i], "\nkind: countersigned\n"))
			continue;
		if (j != NULL)
			jw_str(j, NULL, r->journal_entries->entries[i]);
		else
			printf("%s\n", r->journal_entries->entries[i]);
	}
}

static int
cmd_journal(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__JournalShow js = PARLEY__JOURNAL_SHOW__INIT;
	uint64_t id = 0;
	int rc, all;

	if (opt(x, "agreement") && parse_id(opt(x, "agreement"), &id) != 0)
		return usage_error(x, "--agreement takes an agreement number");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	js.agreement = id;
	js.paged = 1;
	f.body_case = PARLEY__FRAME__BODY_JOURNAL_SHOW;
	f.journal_show = &js;
	all = opt(x, "countersignatures") != NULL;
	rc = call_pages(x, &f, &js.from, PARLEY__FRAME__BODY_JOURNAL_ENTRIES, "entries",
	    journal_next, journal_page, &all);
	return rc == 0 ? EXIT_OK : rc;
}

/* ---- mandates ---- */

/* This party's mandates and the daemon's time; *r freed by the caller. */
static int
mandate_query(struct ctx *x, Parley__Frame **r)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__MandateQuery q = PARLEY__MANDATE_QUERY__INIT;

	f.body_case = PARLEY__FRAME__BODY_MANDATE_QUERY;
	f.mandate_query = &q;
	return call(x, &f, r, PARLEY__FRAME__BODY_MANDATE_LIST);
}

static EVP_PKEY *
principal_key(struct ctx *x, const char *path, uint8_t pub[32], int *rc)
{
	char err[1200];
	EVP_PKEY *k;

	if ((k = crypto_read_private_key(path, err, sizeof(err))) == NULL) {
		*rc = out_error(x, EXIT_USAGE, "%s", err);
		return NULL;
	}
	if (!crypto_is_ed25519(k) || crypto_pubkey_raw(k, pub) != 0) {
		EVP_PKEY_free(k);
		*rc = out_error(x, EXIT_USAGE, "%s is not an Ed25519 private key", path);
		return NULL;
	}
	return k;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What issuing, revoking and listing mandates share: the principal key
 * (none for a list), the connection, the party's mandates with the
 * daemon's time, and the bytes the principal signs. */
struct mandate_op {
	EVP_PKEY *pk;
	uint8_t pub[32];
	Parley__Frame *lr;
	uint8_t *payload;
	size_t plen;
	uint8_t sig[64];
};

/* Load the principal key (path NULL: none), connect, list the mandates.
 * Whatever it returns, mandate_end() frees m. */
static int
mandate_begin(struct ctx *x, const char *path, struct mandate_op *m)
{
	int rc = 0;

	memset(m, 0, sizeof(*m));
	if (path != NULL && (m->pk = principal_key(x, path, m->pub, &rc)) == NULL)
		return rc;
	if ((rc = connect_conf(x)) != 0 || (rc = mandate_query(x, &m->lr)) != 0)
		return rc;
	return 0;
}

/* Sign m->payload (made, if made is nonzero) with the principal key. */
static int
mandate_sign(struct ctx *x, struct mandate_op *m, int made, const char *what)
{
	if (!made || crypto_sign(m->pk, m->payload, m->plen, m->sig) != 0)
		return out_error(x, EXIT_USAGE, "cannot sign the %s", what);
	return 0;
}

/* The tail of every mandate verb: send f (if rc is 0 and f is set), free
 * what m holds, return the exit status. */
static int
mandate_end(struct ctx *x, struct mandate_op *m, int rc, Parley__Frame *f, const char *what)
{
	if (rc == 0 && f != NULL)
		rc = request_ok(x, f, what);
	if (m->lr != NULL)
		cl_free(x->c, m->lr);
	EVP_PKEY_free(m->pk);
	free(m->payload);
	return rc;
}

/* --roles split into roles[], sorted, each once; 0 or a usage error. */
static int
mandate_roles(struct ctx *x, char *buf, char **roles, size_t *nroles)
{
	char *tok, *save = NULL;
	size_t i;

	*nroles = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*nroles == SIGN_MANDATE_MAX_ROLES || !ident_valid(tok))
			return usage_error(x, "--roles takes 1-8 short lowercase names");
		roles[(*nroles)++] = tok;
	}
	if (*nroles == 0)
		return usage_error(x, "--roles names no role");
	qsort(roles, *nroles, sizeof(roles[0]), cmp_str);
	for (i = 1; i < *nroles; i++)
		if (strcmp(roles[i - 1], roles[i]) == 0)
			return usage_error(x, "--roles names a role twice");
	return 0;
}

/* The signer's public key of --signer-key, raw. */
static int
mandate_signer(struct ctx *x, uint8_t spub[32])
{
	char err[1200];
	EVP_PKEY *sk;
	int bad;

	if ((sk = crypto_read_public_key(opt(x, "signer-key"), err, sizeof(err))) == NULL)
		return out_error(x, EXIT_USAGE, "%s", err);
	bad = !crypto_is_ed25519(sk) || crypto_pubkey_raw(sk, spub) != 0;
	EVP_PKEY_free(sk);
	if (bad)
		return out_error(x, EXIT_USAGE, "%s is not an Ed25519 public key",
		    opt(x, "signer-key"));
	return 0;
}

static int
cmd_mandate_issue(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__Mandate pm = PARLEY__MANDATE__INIT;
	struct sign_mandate_fields mf;
	struct mandate_op m;
	char rolebuf[600], *roles[SIGN_MANDATE_MAX_ROLES];
	uint8_t spub[32];
	size_t nroles;
	int64_t from = 0, until = 0;
	uint64_t sup = 0;
	int rc;

	snprintf(rolebuf, sizeof(rolebuf), "%s", opt(x, "roles"));
	if ((rc = mandate_roles(x, rolebuf, roles, &nroles)) != 0)
		return rc;
	if ((opt(x, "from") && ptime_parse(opt(x, "from"), &from) != 0) ||
	    (opt(x, "until") && ptime_parse(opt(x, "until"), &until) != 0))
		return usage_error(x, "--from and --until take ISO 8601 times with an offset");
	if (opt(x, "supersedes") && parse_id(opt(x, "supersedes"), &sup) != 0)
		return usage_error(x, "--supersedes takes a mandate number");
	if ((rc = mandate_signer(x, spub)) != 0)
		return rc;
	if ((rc = mandate_begin(x, opt(x, "principal-key"), &m)) != 0)
		return mandate_end(x, &m, rc, NULL, NULL);
	memset(&mf, 0, sizeof(mf));
	mf.party = cl_party(x->c);
	mf.signer_key = spub;
	mf.roles = (const char *const *)roles;
	mf.nroles = nroles;
	mf.scope = opt(x, "scope") ? opt(x, "scope") : "any";
	mf.issued_at = m.lr->mandate_list->now;
	mf.valid_from = opt(x, "from") ? from : mf.issued_at;
	mf.valid_until = until;
	mf.supersedes = sup;
	mf.in_place_of = opt(x, "in-place-of") ? opt(x, "in-place-of") : "";
	if ((rc = mandate_sign(x, &m, sign_mandate(&mf, &m.payload, &m.plen) == 0,
	    "mandate")) != 0)
		return mandate_end(x, &m, rc, NULL, NULL);
	pm.party = (char *)mf.party;
	pm.signer_key.data = spub;
	pm.signer_key.len = 32;
	pm.n_roles = nroles;
	pm.roles = roles;
	pm.scope = (char *)mf.scope;
	pm.valid_from = mf.valid_from;
	pm.valid_until = mf.valid_until;
	pm.issued_at = mf.issued_at;
	pm.supersedes = sup;
	pm.in_place_of = (char *)mf.in_place_of;
	pm.principal_key.data = m.pub;
	pm.principal_key.len = 32;
	pm.signature.data = m.sig;
	pm.signature.len = 64;
	f.body_case = PARLEY__FRAME__BODY_MANDATE_ISSUE;
	f.mandate_issue = &pm;
	return mandate_end(x, &m, 0, &f, "issued");
}

static int
cmd_mandate_revoke(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__MandateRevoke mr = PARLEY__MANDATE_REVOKE__INIT;
	const Parley__Mandate *md = NULL;
	struct mandate_op m;
	uint64_t id;
	size_t i;
	int rc;

	if (parse_id(pos(x, 0), &id) != 0)
		return usage_error(x, "M must be a mandate number");
	if ((rc = mandate_begin(x, opt(x, "principal-key"), &m)) != 0)
		return mandate_end(x, &m, rc, NULL, NULL);
	for (i = 0; i < m.lr->mandate_list->n_mandates; i++)
		if (m.lr->mandate_list->mandates[i]->id == id)
			md = m.lr->mandate_list->mandates[i];
	if (md == NULL || md->signature.len != 64)
		return mandate_end(x, &m, out_error(x, EXIT_REFUSED, "%s has no mandate %llu",
		    cl_party(x->c), (unsigned long long)id), NULL, NULL);
	if ((rc = mandate_sign(x, &m, sign_revocation(cl_party(x->c), id, md->signature.data,
	    &m.payload, &m.plen) == 0, "revocation")) != 0)
		return mandate_end(x, &m, rc, NULL, NULL);
	mr.mandate = id;
	mr.principal_key.data = m.pub;
	mr.principal_key.len = 32;
	mr.signature.data = m.sig;
	mr.signature.len = 64;
	f.body_case = PARLEY__FRAME__BODY_MANDATE_REVOKE;
	f.mandate_revoke = &mr;
	return mandate_end(x, &m, 0, &f, "revoked");
}

/* One mandate, as a line or into j. */
static void
mandate_print(struct jw *j, const Parley__Mandate *m)
{
	char hex[65], from[PTIME_BUFLEN], until[PTIME_BUFLEN];
	size_t k;

	hex_encode(m->signer_key.data, 32, hex);
	ptime_format(m->valid_from, from);
	if (m->valid_until)
		ptime_format(m->valid_until, until);
	else
		snprintf(until, sizeof(until), "open-ended");
	if (j != NULL) {
		jw_obj_begin(j, NULL);
		jw_uint(j, "id", m->id);
		jw_str(j, "status", m->status);
		jw_str(j, "signer_key", hex);
		jw_arr_begin(j, "roles");
		for (k = 0; k < m->n_roles; k++)
			jw_str(j, NULL, m->roles[k]);
		jw_arr_end(j);
		jw_str(j, "scope", m->scope);
		jw_str(j, "valid_from", from);
		jw_str(j, "valid_until", until);
		jw_uint(j, "supersedes", m->supersedes);
		jw_uint(j, "superseded_by", m->superseded_by);
		jw_str(j, "in_place_of", m->in_place_of);
		jw_obj_end(j);
		return;
	}
	printf("mandate %llu [%s] key %.16s... roles", (unsigned long long)m->id, m->status, hex);
	for (k = 0; k < m->n_roles; k++)
		printf("%s%s", k ? "+" : " ", m->roles[k]);
	printf(" scope %s, %s .. %s%s%s\n", m->scope, from, until,
	    *m->in_place_of ? ", in place of " : "", m->in_place_of);
}

static int
cmd_mandate_list(struct ctx *x)
{
	struct mandate_op m;
	struct jw *j = NULL;
	size_t i;
	int rc;

	if ((rc = mandate_begin(x, NULL, &m)) != 0)
		return mandate_end(x, &m, rc, NULL, NULL);
	if (x->json) {
		j = jw_new();
		jw_obj_begin(j, NULL);
		jw_arr_begin(j, "mandates");
	}
	for (i = 0; i < m.lr->mandate_list->n_mandates; i++)
		if (m.lr->mandate_list->mandates[i]->signer_key.len == 32)
			mandate_print(j, m.lr->mandate_list->mandates[i]);
	if (j != NULL) {
		jw_arr_end(j);
		jw_obj_end(j);
		printf("%s\n", jw_text(j));
		jw_free(j);
	}
	return mandate_end(x, &m, EXIT_OK, NULL, NULL);
}

/* ---- a copy to a newcomer ---- */

static int
cmd_observer_request(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__ObserverRequest q = PARLEY__OBSERVER_REQUEST__INIT;
	uint64_t id;
	int rc;

	if (parse_id(pos(x, 0), &id) != 0)
		return usage_error(x, "ID must be an agreement number");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	q.agreement = id;
	q.party = (char *)pos(x, 1);
	q.note = (char *)opt(x, "note");
	f.body_case = PARLEY__FRAME__BODY_OBSERVER_REQUEST;
	f.observer_request = &q;
	return request_ok(x, &f, "requested");
}

static int
observer_answer(struct ctx *x, int object)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__ObserverAnswer an = PARLEY__OBSERVER_ANSWER__INIT;
	uint64_t id;
	int rc;

	if (parse_id(pos(x, 0), &id) != 0)
		return usage_error(x, "REQ must be a request number (parley observer list)");
	if (object && *opt(x, "reason") == '\0')
		return usage_error(x, "an objection needs a reason");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	an.request = id;
	an.object = object;
	an.reason = object ? (char *)opt(x, "reason") : "";
	f.body_case = PARLEY__FRAME__BODY_OBSERVER_ANSWER;
	f.observer_answer = &an;
	return request_ok(x, &f, object ? "objected" : "consented");
}

static int
cmd_observer_object(struct ctx *x)
{
	return observer_answer(x, 1);
}

static int
cmd_observer_consent(struct ctx *x)
{
	return observer_answer(x, 0);
}

static void
print_proposal(struct jw *j, const Parley__ObserverProposal *p)
{
	size_t i;

	if (j != NULL) {
		jw_obj_begin(j, NULL);
		jw_uint(j, "id", p->id);
		jw_uint(j, "agreement", p->agreement);
		jw_str(j, "party", p->party);
		jw_str(j, "requester", p->requester);
		jw_str(j, "note", p->note);
		jw_str(j, "state", p->state);
		jw_str(j, "asked_at", p->asked_at);
		jw_str(j, "window_ends", p->window_ends);
		jw_str(j, "decided_at", *p->decided_at ? p->decided_at : NULL);
		jw_arr_begin(j, "answers");
		for (i = 0; i < p->n_answers; i++) {
			jw_obj_begin(j, NULL);
			jw_str(j, "party", p->answers[i]->party);
			jw_str(j, "answer", p->answers[i]->answer);
			jw_str(j, "reason", p->answers[i]->reason);
			jw_str(j, "at", p->answers[i]->at);
			jw_obj_end(j);
		}
		jw_arr_end(j);
		jw_obj_end(j);
		return;
	}
	printf("request %llu  agreement %llu  %s asks a copy for %s  %s  asked %s  window until "
	    "%s%s%s\n", (unsigned long long)p->id, (unsigned long long)p->agreement,
	    p->requester, p->party, p->state, p->asked_at, p->window_ends,
	    *p->decided_at ? "  decided " : "", p->decided_at);
	if (*p->note)
		printf("  note: %s\n", p->note);
	for (i = 0; i < p->n_answers; i++)
		printf("  %s: %s at %s%s%s\n", p->answers[i]->party, p->answers[i]->answer,
		    p->answers[i]->at, *p->answers[i]->reason ? ": " : "",
		    p->answers[i]->reason);
}

static int
cmd_observer_list(struct ctx *x)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__ObserverQuery q = PARLEY__OBSERVER_QUERY__INIT;
	struct jw *j = NULL;
	uint64_t id = 0;
	size_t i;
	int rc;

	if (pos(x, 0) != NULL && parse_id(pos(x, 0), &id) != 0)
		return usage_error(x, "ID must be an agreement number");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	q.agreement = id;
	f.body_case = PARLEY__FRAME__BODY_OBSERVER_QUERY;
	f.observer_query = &q;
	if ((rc = call(x, &f, &r, PARLEY__FRAME__BODY_OBSERVER_LIST)) != 0)
		return rc;
	if (x->json) {
		j = jw_new();
		jw_obj_begin(j, NULL);
		jw_arr_begin(j, "requests");
	}
	for (i = 0; i < r->observer_list->n_requests; i++)
		print_proposal(j, r->observer_list->requests[i]);
	if (j != NULL) {
		jw_arr_end(j);
		jw_obj_end(j);
		printf("%s\n", jw_text(j));
		jw_free(j);
	} else if (r->observer_list->n_requests == 0) {
		printf("no observer requests\n");
	}
	cl_free(x->c, r);
	return EXIT_OK;
}

/* ---- the command line ---- */

enum {
	C_INIT, C_INBOX, C_WATCH, C_SHOW, C_STATUS, C_SIGN, C_AMEND, C_AMENDMENT_RESPOND,
	C_WITHDRAW, C_TIMELINE, C_CONFIRM, C_INCIDENT_FILE, C_INCIDENT_RESPOND,
	C_INCIDENT_LIST, C_INCIDENT_SHOW, C_INCIDENT_MEETING, C_INCIDENT_INSPECT,
	C_INCIDENT_CONSENT, C_COMPLAINT, C_JOURNAL, C_MANDATE_ISSUE, C_MANDATE_REVOKE,
	C_MANDATE_LIST, C_BUNDLE, C_VERIFY, C_DECLINE, C_OBSERVER_REQUEST, C_OBSERVER_OBJECT,
	C_OBSERVER_CONSENT, C_OBSERVER_LIST, C_CONDITION_LIFT, C_KEY_NEW, C_PRINCIPAL_NEW,
	C_LETTER_SEND, C_AMENDMENT_SHOW, C_CONTACTS, C_CONTACTS_SET, C_INCIDENT_COUNTER,
	C_RENDER, C_CONSOLE, C_AMENDMENT_LIST,
};

static int (*const handlers[])(struct ctx *) = {
	[C_INIT] = cmd_init, [C_INBOX] = cmd_inbox, [C_WATCH] = cmd_watch,
	[C_SHOW] = cmd_show, [C_STATUS] = cmd_status, [C_SIGN] = cmd_sign,
	[C_AMEND] = cmd_amend, [C_AMENDMENT_RESPOND] = cmd_amendment_respond,
	[C_WITHDRAW] = cmd_withdraw, [C_TIMELINE] = cmd_timeline, [C_CONFIRM] = cmd_confirm,
	[C_INCIDENT_FILE] = cmd_incident_file, [C_INCIDENT_RESPOND] = cmd_incident_respond,
	[C_INCIDENT_LIST] = cmd_incident_list, [C_INCIDENT_SHOW] = cmd_incident_show,
	[C_INCIDENT_MEETING] = cmd_incident_meeting, [C_INCIDENT_INSPECT] = cmd_incident_inspect,
	[C_INCIDENT_CONSENT] = cmd_incident_consent, [C_COMPLAINT] = cmd_complaint,
	[C_JOURNAL] = cmd_journal, [C_MANDATE_ISSUE] = cmd_mandate_issue,
	[C_MANDATE_REVOKE] = cmd_mandate_revoke, [C_MANDATE_LIST] = cmd_mandate_list,
	[C_BUNDLE] = cmd_bundle, [C_VERIFY] = cmd_verify, [C_DECLINE] = cmd_decline,
	[C_OBSERVER_REQUEST] = cmd_observer_request, [C_OBSERVER_OBJECT] = cmd_observer_object,
	[C_OBSERVER_CONSENT] = cmd_observer_consent, [C_OBSERVER_LIST] = cmd_observer_list,
	[C_CONDITION_LIFT] = cmd_condition_lift, [C_KEY_NEW] = cmd_key_new,
	[C_PRINCIPAL_NEW] = cmd_principal_new, [C_LETTER_SEND] = cmd_letter_send,
	[C_AMENDMENT_SHOW] = cmd_amendment_show, [C_CONTACTS] = cmd_contacts,
	[C_CONTACTS_SET] = cmd_contacts_set, [C_INCIDENT_COUNTER] = cmd_incident_counter,
	[C_RENDER] = cmd_render, [C_CONSOLE] = cmd_console,
	[C_AMENDMENT_LIST] = cmd_amendment_list,
};

#define OPTS(...) ((const struct cl_args_option[]){ __VA_ARGS__, { NULL } })
#define REQ CL_ARGS_REQUIRED
#define NOTE { .name = "note", .value = "TEXT", .help = "a note for the others" }
#define PRINCIPAL { .name = "principal-key", .value = "FILE", .flags = REQ, \
	.help = "the party's principal private key" }

static const struct cl_args_option globals[] = {
	{ .name = "conf", .short_name = 'c', .value = "CLIENT.conf",
	  .help = "this endpoint's configuration" },
	{ .name = "json", .flags = CL_ARGS_ANYWHERE,
	  .help = "print one JSON object (also after the verb)" },
	{ NULL }
};

static const struct cl_args_verb verbs[] = {
	{ "init", NULL, 0, 0, OPTS(
	    { .name = "dir", .value = "DIR", .flags = REQ, .help = "the endpoint's directory" },
	    { .name = "server", .value = "HOST:PORT[,...]", .flags = REQ,
	      .help = "where parleyd listens; several (at most 8) are tried in order" },
	    { .name = "server-pin", .value = "PIN[,...]", .flags = REQ,
	      .help = "the server certificate's pin (parleyctl init); each server has one" },
	    { .name = "mediator-key", .value = "MEDIATOR.pub", .flags = REQ,
	      .help = "the mediator's public key" },
	    { .name = "name", .value = "NAME",
	      .help = "the certificate's name (default: DIR's last part)" }),
	  "create this endpoint's keys and client.conf", C_INIT },
	{ "inbox", NULL, 0, 0, NULL, "fetch pending deliveries, acknowledge and list them",
	  C_INBOX },
	{ "watch", NULL, 0, 0, OPTS(
	    { .name = "once", .help = "stop when the connection ends" }),
	  "stay connected as a duty station; print and acknowledge deliveries as they come; "
	  "after a loss, try the next server", C_WATCH },
	{ "show", "ID", 1, 1, OPTS(
	    { .name = "lang", .value = "LANG",
	      .help = "only this language version of the text (the others are signed too)" }),
	  "the text of an agreement as this party received it", C_SHOW },
	{ "status", "ID", 1, 1, NULL, "this party's signing status of an agreement", C_STATUS },
	{ "sign", "ID", 1, 1, OPTS(
	    { .name = "yes", .help = "sign without asking" },
	    { .name = "text", .value = "FILE",
	      .help = "sign FILE's text, not the text received" },
	    { .name = "role", .value = "ROLE", .help = "the capacity the signer signs in" },
	    { .name = "key", .value = "SIGNER.key",
	      .help = "another signer key than client.conf's" },
	    { .name = "reservation", .value = "FILE",
	      .help = "a reservation written on this copy (it still counts)" },
	    { .name = "subject-to", .value = "CONDITION",
	      .help = "the signature is subject to a condition, lifted later" }),
	  "show the text's hash and sign it with the signer key", C_SIGN },
	{ "amend", "ID", 1, 1, OPTS(
	    { .name = "text", .value = "FILE", .flags = REQ, .help = "the changed text" },
	    NOTE),
	  "propose an amendment", C_AMEND },
	{ "amendment respond", "AM accept|reject", 2, 2, OPTS(NOTE),
	  "answer an amendment the mediator forwarded", C_AMENDMENT_RESPOND },
	{ "amendment list", "ID", 1, 1, NULL,
	  "the amendments of an agreement this party may read: those it proposed, and those "
	  "the mediator forwarded", C_AMENDMENT_LIST },
	{ "amendment show", "AM", 1, 1, NULL,
	  "an amendment this party proposed or was forwarded, as a diff against the revision "
	  "it amends, with this party's answer", C_AMENDMENT_SHOW },
	{ "withdraw", "ID", 1, 1, NULL, "withdraw this party's signature before release",
	  C_WITHDRAW },
	{ "duty contacts", NULL, 0, 0, NULL,
	  "this party's duty contacts, and those the mediator passed to it", C_CONTACTS },
	{ "duty contacts set", "FILE", 1, 1, NULL,
	  "record this party's duty contacts: lines of NAME | ROLE | DEVICE | NUMBER | HOURS",
	  C_CONTACTS_SET },
	{ "letter send", NULL, 0, 0, OPTS(
	    { .name = "to", .value = "PARTY,...", .flags = REQ,
	      .help = "the addressees: other parties, or mediator" },
	    { .name = "cc", .value = "PARTY,...", .help = "copies to (the mediator always has one)" },
	    { .name = "text", .value = "FILE|-", .flags = REQ,
	      .help = "the letter (UTF-8; - reads standard input)" },
	    { .name = "subject", .value = "S", .help = "one line" },
	    { .name = "urgent", .help = "mark it urgent" }),
	  "write to other parties or the mediator, with copies; the mediator holds a copy",
	  C_LETTER_SEND },
	{ "decline", "ID", 1, 1, OPTS(
	    { .name = "reason", .value = "TEXT", .flags = REQ,
	      .help = "why (the mediator reads it; the other parties do not)" }),
	  "record this party's refusal to sign, with a reason; signing later withdraws it",
	  C_DECLINE },
	{ "timeline", "ID", 1, 1, NULL, "an agreement's Day-X calendar and status",
	  C_TIMELINE },
	{ "confirm", "ID MEASURE", 2, 2, OPTS(
	    { .name = "note", .value = "TEXT",
	      .help = "a note for the mediator and the parties the measure concerns" }),
	  "confirm that this party carried out a measure", C_CONFIRM },
	{ "incident file", NULL, 0, 0, OPTS(
	    { .name = "against", .value = "PARTY", .flags = REQ, .help = "the other side" },
	    { .name = "place", .value = "TEXT", .flags = REQ, .help = "where it happened" },
	    { .name = "time", .value = "TIME", .flags = REQ, .help = "when (ISO 8601)" },
	    { .name = "nature", .value = "TEXT", .flags = REQ, .help = "what happened" },
	    { .name = "consequences", .value = "TEXT", .flags = REQ, .help = "what it caused" },
	    { .name = "agreement", .value = "ID", .help = "the agreement it breaches" },
	    { .name = "proposal", .value = "TEXT", .help = "what this party proposes" }),
	  "report an incident to the other side (with a copy to the mediator)",
	  C_INCIDENT_FILE },
	{ "incident respond", "N", 1, 1, OPTS(
	    { .name = "text", .value = "TEXT", .flags = REQ, .help = "the answer" },
	    { .name = "measures", .value = "TEXT", .help = "the measures taken" }),
	  "answer an incident reported against this party", C_INCIDENT_RESPOND },
	{ "incident list", NULL, 0, 0, NULL, "incidents this party filed or must answer",
	  C_INCIDENT_LIST },
	{ "incident show", "N", 1, 1, NULL,
	  "an incident with its answer, publication time and requests", C_INCIDENT_SHOW },
	{ "incident meeting", "N [accept|propose]", 1, 2, OPTS(
	    { .name = "time", .value = "TIME", .help = "with propose: another time (ISO 8601)" }),
	  "ask for an urgent meeting about an incident; or accept the one the mediator "
	  "scheduled, or propose another time", C_INCIDENT_MEETING },
	{ "incident counter", "N", 1, 1, OPTS(
	    { .name = "text", .value = "TEXT", .flags = REQ, .help = "the counter-protest" }),
	  "send the mediator a counter-protest about an incident reported against this party; "
	  "the mediator may forward it to the other side", C_INCIDENT_COUNTER },
	{ "incident inspect", "N", 1, 1, NULL,
	  "ask for an inspection, which needs the other side's consent", C_INCIDENT_INSPECT },
	{ "incident consent", "N yes|no", 2, 2, NULL, "consent to an inspection, or refuse it",
	  C_INCIDENT_CONSENT },
	{ "complaint", NULL, 0, 0, OPTS(
	    { .name = "incident", .value = "N", .flags = REQ,
	      .help = "an incident this party filed" },
	    { .name = "text", .value = "TEXT", .flags = REQ, .help = "the complaint" }),
	  "take an incident this party reported to the mediator", C_COMPLAINT },
	{ "journal", NULL, 0, 0, OPTS(
	    { .name = "agreement", .value = "ID", .help = "only what concerns agreement ID" },
	    { .name = "countersignatures",
	      .help = "show this party's countersignatures of checkpoints too" }),
	  "the record's chronology of what concerns this party", C_JOURNAL },
	{ "mandate issue", NULL, 0, 0, OPTS(PRINCIPAL,
	    { .name = "signer-key", .value = "PUB.pem", .flags = REQ,
	      .help = "the signer's public key" },
	    { .name = "roles", .value = "ROLE[,ROLE]", .flags = REQ,
	      .help = "the roles it may sign in" },
	    { .name = "scope", .value = "any|agreements:1,2|label:NAME",
	      .help = "the agreements it covers (default any)" },
	    { .name = "from", .value = "TIME", .help = "valid from (default now)" },
	    { .name = "until", .value = "TIME", .help = "valid until (default open-ended)" },
	    { .name = "supersedes", .value = "M", .help = "the mandate it replaces" },
	    { .name = "in-place-of", .value = "NAME", .help = "whom the signer stands in for" }),
	  "issue a mandate signed with the principal key", C_MANDATE_ISSUE },
	{ "mandate revoke", "M", 1, 1, OPTS(PRINCIPAL), "revoke a mandate", C_MANDATE_REVOKE },
	{ "mandate list", NULL, 0, 0, NULL, "this party's mandates with their status",
	  C_MANDATE_LIST },
	{ "observer request", "ID PARTY", 2, 2, OPTS(
	    { .name = "note", .value = "TEXT", .help = "why, for the other parties" }),
	  "ask that an observer receive a copy of agreement ID (the others may object)",
	  C_OBSERVER_REQUEST },
	{ "observer object", "REQ", 1, 1, OPTS(
	    { .name = "reason", .value = "TEXT", .flags = REQ, .help = "the objection's reason" }),
	  "object to a request to add an observer: it is refused", C_OBSERVER_OBJECT },
	{ "observer consent", "REQ", 1, 1, NULL,
	  "consent to a request to add an observer (no objection)", C_OBSERVER_CONSENT },
	{ "observer list", "[ID]", 0, 1, NULL,
	  "requests to add observers to this party's agreements, with answers and outcomes",
	  C_OBSERVER_LIST },
	{ "condition lift", "ID", 1, 1, OPTS(
	    { .name = "role", .value = "ROLE", .help = "the conditional copy's role" },
	    { .name = "key", .value = "SIGNER.key",
	      .help = "another signer key than client.conf's" },
	    { .name = "yes", .help = "lift without asking" }),
	  "make final a signature given subject to a condition: every party is told",
	  C_CONDITION_LIFT },
	{ "key new", "FILE", 1, 1, NULL,
	  "make a signer key: FILE (private) and FILE.pub, for the mediator to register",
	  C_KEY_NEW },
	{ "principal new", "FILE", 1, 1, NULL,
	  "make a principal key: FILE (keep it offline) and FILE.pub, which issues mandates",
	  C_PRINCIPAL_NEW },
	{ "bundle", "ID DIR", 2, 2, NULL, "fetch a released bundle and verify it", C_BUNDLE },
	{ "verify", "DIR", 1, 1, OPTS(
	    { .name = "mediator-key", .value = "MEDIATOR.pub",
	      .help = "the mediator's public key (default: client.conf's)" }),
	  "verify a bundle offline", C_VERIFY },
	{ "console", NULL, 0, 0, OPTS(
	    { .name = "listen", .value = "127.0.0.1:PORT",
	      .help = "where to listen (default: a free port)" }),
	  "a read-only console in the browser of what this party may see: prints its URL "
	  "with a one-time token", C_CONSOLE },
	{ "render", "DIR", 1, 1, OPTS(
	    { .name = "pdf", .value = "FILE", .flags = REQ, .alt = 1, .help = "the PDF to write" },
	    { .name = "svg", .value = "FILE", .flags = REQ, .alt = 1,
	      .help = "the Day-X calendar alone, as an SVG picture" },
	    { .name = "mediator-key", .value = "MEDIATOR.pub",
	      .help = "the mediator's public key (default: client.conf's)" }),
	  "print a released bundle, once it verifies, as a PDF to file", C_RENDER },
};

static const struct cl_args_prog prog = {
	"parley",
	"A party endpoint of parleyd (default -c ./client.conf, or $PARLEY_CONF).",
	"exit status: 0 done, 1 refused, 2 bad usage, 3 cannot reach parleyd",
	globals, verbs, sizeof(verbs) / sizeof(verbs[0]),
};

/* Bad usage: with --json after a verb, one JSON object; else one line (no
 * verb at all: the help) on stderr. */
static int
args_error(const struct cl_args *a)
{
	struct ctx x;

	memset(&x, 0, sizeof(x));
	x.args = a;
	x.json = cl_args_has(a, "json");
	if (a->verb == NULL || !x.json || a->err[0] == '\0') {
		cl_args_error(stderr, a);
		return EXIT_USAGE;
	}
	return usage_error(&x, a->err);
}

int
main(int argc, char **argv)
{
	struct cl_args a;
	struct ctx x;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	switch (cl_args_parse(&prog, argc, argv, &a)) {
	case CL_ARGS_HELP:
		cl_args_help(stdout, &a);
		return EXIT_OK;
	case CL_ARGS_ERROR:
		return args_error(&a);
	case CL_ARGS_OK:
		break;
	}
	memset(&x, 0, sizeof(x));
	x.args = &a;
	x.json = cl_args_has(&a, "json");
	x.conf_path = cl_args_opt(&a, "conf");
	if (x.conf_path == NULL)
		x.conf_path = getenv("PARLEY_CONF") ? getenv("PARLEY_CONF") : "client.conf";
	rc = handlers[a.verb->id](&x);
	cl_close(x.c);
	return rc;
}
