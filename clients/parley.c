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
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cl.h"
#include "cl_bundle.h"
#include "cl_record.h"
#include "crypto.h"
#include "errors.h"
#include "json.h"
#include "ptime.h"
#include "sign.h"
#include "text.h"

#define TEXT_FILE_MAX (512 * 1024)

struct ctx {
	const char *conf_path;
	struct cl_conf conf;
	int json;
	int argc;
	char **argv;
	struct cl *c;
	struct jw *j;		/* --json output being built */
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
	char msg[1200];
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
		fprintf(stderr, "parley: %s\n", msg);
	}
	return code;
}

static int
usage_error(struct ctx *x, const char *usage, const char *what)
{
	if (!x->json)
		fprintf(stderr, "parley: %s\nusage: parley %s\n", what, usage);
	else
		out_error(x, EXIT_USAGE, "%s; usage: parley %s", what, usage);
	return EXIT_USAGE;
}

/* Options of one verb: --name VALUE or --flag; positional words in order. */
struct args {
	const char *pos[4];
	int npos;
	const char *val[8];
	const char *names[8];
	int nval;
};

static int
parse_args(struct ctx *x, const char *usage, const char *const *valued,
    const char *const *flags, int maxpos, struct args *a)
{
	int i;
	size_t k;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < x->argc; i++) {
		const char *s = x->argv[i];
		int found = 0;
		if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
			printf("usage: parley %s\n", usage);
			exit(EXIT_OK);
		}
		if (strcmp(s, "--json") == 0) {
			x->json = 1;
			continue;
		}
		if (strncmp(s, "--", 2) == 0) {
			for (k = 0; valued && valued[k]; k++)
				if (strcmp(valued[k], s + 2) == 0) {
					if (i + 1 >= x->argc)
						return usage_error(x, usage, "an option needs a value");
					if (a->nval == 8)
						return usage_error(x, usage, "too many options");
					a->names[a->nval] = valued[k];
					a->val[a->nval++] = x->argv[++i];
					found = 1;
				}
			for (k = 0; flags && flags[k]; k++)
				if (strcmp(flags[k], s + 2) == 0) {
					if (a->nval == 8)
						return usage_error(x, usage, "too many options");
					a->names[a->nval] = flags[k];
					a->val[a->nval++] = "";
					found = 1;
				}
			if (!found) {
				char m[200];
				snprintf(m, sizeof(m), "unknown option %s", s);
				return usage_error(x, usage, m);
			}
			continue;
		}
		if (a->npos == maxpos)
			return usage_error(x, usage, "too many arguments");
		a->pos[a->npos++] = s;
	}
	return 0;
}

static const char *
opt(const struct args *a, const char *name)
{
	int i;

	for (i = 0; i < a->nval; i++)
		if (strcmp(a->names[i], name) == 0)
			return a->val[i];
	return NULL;
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

static int
connect_conf(struct ctx *x)
{
	char err[1200];

	if (cl_conf_load(x->conf_path, &x->conf, err, sizeof(err)) != 0)
		return out_error(x, EXIT_USAGE, "%s", err);
	char summary[200];
	int rc;

	x->c = cl_connect_tls(x->conf.server, x->conf.cert, x->conf.key, x->conf.server_pin,
	    err, sizeof(err));
	if (x->c == NULL)
		return out_error(x, EXIT_UNREACHABLE, "%s", err);
	/* Every connection holds the mediator to its record first. */
	if ((rc = cl_record_check(x->c, &x->conf, summary, sizeof(summary), err,
	    sizeof(err))) != 0)
		return out_error(x, rc > 0 ? EXIT_REFUSED : EXIT_UNREACHABLE, "%s", err);
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

static int
cmd_init(struct ctx *x)
{
	static const char usage[] = "init --dir DIR --server HOST:PORT --server-pin PIN "
	    "--mediator-key MEDIATOR.pub [--name NAME]";
	static const char *const valued[] = { "dir", "server", "server-pin", "mediator-key",
		"name", NULL };
	char path[PATH_MAX], err[1200], pinhex[65], signhex[65], conf[PATH_MAX * 2];
	const char *dir, *server, *pin, *mkey, *name;
	EVP_PKEY *ek = NULL, *sk = NULL, *mk = NULL;
	uint8_t pinraw[32], raw[32];
	X509 *cert = NULL;
	struct args a;
	FILE *f;
	int rc;

	if ((rc = parse_args(x, usage, valued, NULL, 0, &a)) != 0)
		return rc;
	dir = opt(&a, "dir");
	server = opt(&a, "server");
	pin = opt(&a, "server-pin");
	mkey = opt(&a, "mediator-key");
	if (!dir || !server || !pin || !mkey)
		return usage_error(x, usage, "--dir, --server, --server-pin and --mediator-key "
		    "are required");
	if (hex_decode(pin, pinraw, 32) != 0)
		return usage_error(x, usage, "--server-pin must be 64 hex digits");
	if (strchr(server, ':') == NULL)
		return usage_error(x, usage, "--server must be HOST:PORT");
	if ((mk = crypto_read_public_key(mkey, err, sizeof(err))) == NULL)
		return out_error(x, EXIT_USAGE, "%s", err);
	rc = crypto_is_ed25519(mk);
	EVP_PKEY_free(mk);
	if (!rc)
		return out_error(x, EXIT_USAGE, "%s is not an Ed25519 public key", mkey);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return out_error(x, EXIT_REFUSED, "cannot create %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/client.conf", dir);
	if (access(path, F_OK) == 0)
		return out_error(x, EXIT_REFUSED, "%s already exists; this endpoint is set up",
		    path);
	name = opt(&a, "name");
	if (name == NULL) {
		name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
		if (*name == '\0')
			name = "parley-endpoint";
	}
	rc = EXIT_REFUSED;
	if ((ek = crypto_ed25519_generate()) == NULL || (sk = crypto_ed25519_generate()) == NULL ||
	    crypto_selfsigned_cert(ek, name, 3650, &cert) != 0) {
		out_error(x, EXIT_REFUSED, "cannot generate keys");
		goto done;
	}
#define WRITE(fn, file, obj) do { snprintf(path, sizeof(path), "%s/%s", dir, file); \
	if (fn(path, obj, err, sizeof(err)) != 0) { out_error(x, EXIT_REFUSED, "%s", err); \
		goto done; } } while (0)
	WRITE(crypto_write_private_key, "endpoint.key", ek);
	WRITE(crypto_write_cert, "endpoint.crt", cert);
	WRITE(crypto_write_private_key, "signer.key", sk);
	WRITE(crypto_write_public_key, "signer.pub", sk);
#undef WRITE
	snprintf(path, sizeof(path), "%s/mediator.pub", dir);
	if (copy_file(mkey, path, err, sizeof(err)) != 0) {
		out_error(x, EXIT_REFUSED, "%s", err);
		goto done;
	}
	snprintf(conf, sizeof(conf), "%s/client.conf", dir);
	if ((f = fopen(conf, "wx")) == NULL) {
		out_error(x, EXIT_REFUSED, "cannot write %s: %s", conf, strerror(errno));
		goto done;
	}
	fprintf(f, "# parley endpoint configuration (written by parley init)\n[client]\n"
	    "server = %s\nserver_pin = %s\ncert = endpoint.crt\nkey = endpoint.key\n"
	    "signer_key = signer.key\nmediator_key = mediator.pub\n", server, pin);
	if (fclose(f) != 0) {
		out_error(x, EXIT_REFUSED, "cannot write %s", conf);
		goto done;
	}
	crypto_cert_pin(cert, pinraw);
	hex_encode(pinraw, 32, pinhex);
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
	rc = EXIT_OK;
done:
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

/* Print one delivery (text or into x->j); 0 if it may be acked. */
static int
show_delivery(struct ctx *x, const Parley__Delivery *d)
{
	struct frame_budget b;
	Parley__Payload *p;
	char err[300], when[PTIME_BUFLEN], hex[65], dir[PATH_MAX], res[1400];
	int rc = 0;

	frame_budget_init(&b, 64 * 1024 * 1024);
	p = frame_unpack_payload(d->payload.data, d->payload.len, &b, err, sizeof(err));
	ptime_format(d->created_at, when);
	if (p == NULL) {
		fprintf(stderr, "parley: delivery %llu is malformed: %s\n",
		    (unsigned long long)d->delivery_id, err);
		return 0;	/* ack it: it can never become readable */
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
		if (x->j)
			jw_str(x->j, "text", p->notice->text);
		else
			printf(" from the mediator:\n    %s\n", p->notice->text);
		break;
	case PARLEY__PAYLOAD__BODY_CIRCULATED: {
		const Parley__AgreementText *t = p->circulated;
		hex_encode(t->content_hash.len == 32 ? t->content_hash.data : (uint8_t *)
		    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 32, hex);
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
		break;
	}
	case PARLEY__PAYLOAD__BODY_RELEASED: {
		const Parley__Bundle *bd = p->released;
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
		rc = 0;	/* the bundle stays on the daemon; a failed save is reported */
		break;
	}
	case PARLEY__PAYLOAD__BODY_UPDATE:
		if (x->j) {
			jw_uint(x->j, "agreement", p->update->agreement);
			jw_str(x->j, "event", p->update->event);
			jw_str(x->j, "text", p->update->text);
		} else {
			printf(": agreement %llu: %s\n    %s\n",
			    (unsigned long long)p->update->agreement, p->update->event,
			    p->update->text);
		}
		break;
	case PARLEY__PAYLOAD__BODY_AMENDMENT: {
		const Parley__Amendment *am = p->amendment;
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
		break;
	}
	case PARLEY__PAYLOAD__BODY_INCIDENT: {
		const Parley__Incident *in = p->incident;
		int64_t by;
		char left[64] = "";
		/* pushed at once, so the time left counts from the delivery */
		if (ptime_parse(in->respond_by, &by) == 0 && by > d->created_at)
			ptime_format_duration(by - d->created_at, left, sizeof(left));
		if (x->j) {
			jw_uint(x->j, "incident", in->id);
			jw_str(x->j, "event", in->event);
			jw_str(x->j, "filer", in->filer);
			jw_str(x->j, "against", in->against);
			jw_str(x->j, "state", in->state);
			jw_str(x->j, "respond_by", in->respond_by);
			jw_bool(x->j, "agreement_not_in_force", in->agreement_not_in_force);
			jw_str(x->j, "answer", in->answer);
		} else {
			printf(": *** INCIDENT %llu (%s) ***\n    %s reports %s: %s at %s, %s\n"
			    "    consequences: %s\n", (unsigned long long)in->id, in->event, in->filer,
			    in->against, in->nature, in->place, in->time, in->consequences);
			if (strcmp(in->event, "filed") == 0)
				printf("    ANSWER BY %s%s%s%s\n", in->respond_by, *left ? " (" : "",
				    left, *left ? " left)" : "");
			if (*in->answer)
				printf("    answer: %s\n", in->answer);
			if (in->agreement_not_in_force)
				printf("    note: it cites agreement %llu, which is not in force\n",
				    (unsigned long long)in->agreement);
		}
		break;
	}
	default:
		if (!x->j)
			printf(": (a kind this client does not know)\n");
	}
	if (x->j)
		jw_obj_end(x->j);
	fflush(stdout);
	frame_free_payload(p, &b);
	return rc;
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
	static const char usage[] = "inbox";
	struct seen *s = calloc(1, sizeof(*s));
	struct args a;
	int64_t id;
	int rc, count = 0;

	if (s == NULL)
		return out_error(x, EXIT_REFUSED, "out of memory");
	if ((rc = parse_args(x, usage, NULL, NULL, 0, &a)) != 0 || (rc = connect_conf(x)) != 0)
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

static int
cmd_watch(struct ctx *x)
{
	static const char usage[] = "watch [--once]";
	static const char *const flags[] = { "once", NULL };
	struct seen *s = calloc(1, sizeof(*s));
	struct sigaction sa;
	struct args a;
	int rc, count = 0, backoff = 1;
	int64_t id;

	if (s == NULL)
		return out_error(x, EXIT_REFUSED, "out of memory");
	if ((rc = parse_args(x, usage, NULL, flags, 0, &a)) != 0) {
		free(s);
		return rc;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!stop_requested) {
		if ((rc = connect_conf(x)) != 0) {
			if (rc != EXIT_UNREACHABLE || opt(&a, "once"))
				break;
			fprintf(stderr, "parley: reconnecting in %d s\n", backoff);
			sleep((unsigned)backoff);	/* interrupted by a signal */
			backoff = backoff < 60 ? backoff * 2 : 60;
			continue;
		}
		backoff = 1;
		if (!x->json)
			printf("on duty as %s (endpoint %llu); Ctrl-C stops\n", cl_party(x->c),
			    (unsigned long long)cl_endpoint(x->c));
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
		if (opt(&a, "once"))
			break;
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

/* The client computes the hash of what it shows: a party signs what it saw. */
static int
check_hash(const Parley__AgreementText *t, uint8_t out[32])
{
	if (sign_content_hash(t->text, t->effective, t->validity, t->calendar, out) != 0)
		return -1;
	return t->content_hash.len == 32 && memcmp(out, t->content_hash.data, 32) == 0 ? 0 : -1;
}

static int
cmd_show(struct ctx *x)
{
	static const char usage[] = "show ID";
	Parley__Frame *r;
	const Parley__AgreementText *t;
	uint8_t h[32];
	char hex[65];
	struct args a;
	uint64_t id;
	int rc;

	if ((rc = parse_args(x, usage, NULL, NULL, 1, &a)) != 0)
		return rc;
	if (a.npos != 1 || parse_id(a.pos[0], &id) != 0)
		return usage_error(x, usage, "ID must be an agreement number");
	if ((rc = connect_conf(x)) != 0 || (rc = fetch_text(x, id, &r)) != 0)
		return rc;
	t = r->agreement;
	if (check_hash(t, h) != 0) {
		cl_free(x->c, r);
		return out_error(x, EXIT_REFUSED, "the text received does not match its content "
		    "hash: do not rely on it");
	}
	hex_encode(h, 32, hex);
	if (x->json) {
		struct jw *j = jw_new();
		size_t i;
		jw_obj_begin(j, NULL);
		jw_uint(j, "id", t->agreement);
		jw_int(j, "revision", t->revision);
		jw_str(j, "title", t->title);
		jw_str(j, "state", t->state);
		jw_str(j, "effective", t->effective);
		jw_str(j, "validity", t->validity);
		jw_str(j, "content_sha256", hex);
		jw_arr_begin(j, "parties");
		for (i = 0; i < t->n_parties; i++)
			jw_str(j, NULL, t->parties[i]);
		jw_arr_end(j);
		jw_str(j, "text", t->text);
		jw_obj_end(j);
		printf("%s\n", jw_text(j));
		jw_free(j);
	} else {
		printf("agreement %llu revision %u: %s\nstate: %s; effective: %s\n"
		    "content SHA-256: %s\n\n%s", (unsigned long long)t->agreement, t->revision,
		    t->title, t->state, t->effective, hex, t->text);
		if (*t->text && t->text[strlen(t->text) - 1] != '\n')
			printf("\n");
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

static int
cmd_sign(struct ctx *x)
{
	static const char usage[] = "sign ID [--yes] [--text FILE] [--role ROLE] [--key SIGNER.key]";
	static const char *const valued[] = { "text", "role", "key", NULL };
	static const char *const flags[] = { "yes", NULL };
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__SignRequest sr = PARLEY__SIGN_REQUEST__INIT;
	const Parley__AgreementText *t;
	const char *file, *role;
	char err[1200], hex[65], prompt[200], why[160], *own = NULL, *norm = NULL;
	uint8_t h[32], sig[64], pub[32], *payload = NULL;
	size_t plen, len;
	EVP_PKEY *k = NULL;
	struct args a;
	uint64_t id;
	int rc;

	if ((rc = parse_args(x, usage, valued, flags, 1, &a)) != 0)
		return rc;
	if (a.npos != 1 || parse_id(a.pos[0], &id) != 0)
		return usage_error(x, usage, "ID must be an agreement number");
	role = opt(&a, "role") ? opt(&a, "role") : "";
	if (*role && !ident_valid(role))
		return usage_error(x, usage, "ROLE must be a short lowercase name");
	if ((file = opt(&a, "text")) != NULL) {
		if ((own = cl_read_file(file, TEXT_FILE_MAX, &len, err, sizeof(err))) == NULL)
			return out_error(x, EXIT_USAGE, "%s", err);
		if (text_check(own, len, why, sizeof(why)) != 0) {
			free(own);
			return out_error(x, EXIT_USAGE, "%s: %s", file, why);
		}
		if ((norm = text_normalize(own, len, NULL)) == NULL) {
			free(own);
			return out_error(x, EXIT_REFUSED, "out of memory");
		}
		free(own);
	}
	if ((rc = connect_conf(x)) != 0 || (rc = fetch_text(x, id, &r)) != 0) {
		free(norm);
		return rc;
	}
	t = r->agreement;
	rc = EXIT_REFUSED;
	if (check_hash(t, h) != 0) {
		out_error(x, EXIT_REFUSED, "the text received does not match its content hash; "
		    "refusing to sign");
		goto done;
	}
	if (norm != NULL && sign_content_hash(norm, t->effective, t->validity, t->calendar,
	    h) != 0) {
		out_error(x, EXIT_REFUSED, "out of memory");
		goto done;
	}
	hex_encode(h, 32, hex);
	if (!x->json) {
		printf("agreement %llu revision %u: %s\ncontent SHA-256: %s\n",
		    (unsigned long long)t->agreement, t->revision, t->title, hex);
		if (norm != NULL)
			printf("WARNING: you are signing the text of %s, not the text received\n",
			    file);
	}
	snprintf(prompt, sizeof(prompt), "sign this for %s?", cl_party(x->c));
	if (opt(&a, "yes") == NULL && !confirm(prompt)) {
		rc = out_error(x, EXIT_USAGE, "not signed (confirm at the prompt, or pass --yes)");
		goto done;
	}
	if (opt(&a, "key") != NULL)
		snprintf(x->conf.signer_key, sizeof(x->conf.signer_key), "%s", opt(&a, "key"));
	if (!x->conf.signer_key[0] ||
	    (k = crypto_read_private_key(x->conf.signer_key, err, sizeof(err))) == NULL) {
		out_error(x, EXIT_USAGE, "%s", x->conf.signer_key[0] ? err :
		    "client.conf names no signer_key");
		goto done;
	}
	if (!crypto_is_ed25519(k) || crypto_pubkey_raw(k, pub) != 0 ||
	    sign_payload(t->agreement, t->revision, h, cl_party(x->c), role, &payload,
	    &plen) != 0 || crypto_sign(k, payload, plen, sig) != 0) {
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
	f.body_case = PARLEY__FRAME__BODY_SIGN;
	f.sign = &sr;
	rc = request_ok(x, &f, "accepted");
done:
	cl_free(x->c, r);
	EVP_PKEY_free(k);
	free(payload);
	free(norm);
	return rc;
}

static int
cmd_amend(struct ctx *x)
{
	static const char usage[] = "amend ID --text FILE [--note TEXT]";
	static const char *const valued[] = { "text", "note", NULL };
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__AmendRequest ar = PARLEY__AMEND_REQUEST__INIT;
	char err[1200], why[160], *text;
	struct args a;
	size_t len;
	uint64_t id;
	int rc;

	if ((rc = parse_args(x, usage, valued, NULL, 1, &a)) != 0)
		return rc;
	if (a.npos != 1 || parse_id(a.pos[0], &id) != 0 || opt(&a, "text") == NULL)
		return usage_error(x, usage, "ID and --text FILE are required");
	if ((text = cl_read_file(opt(&a, "text"), TEXT_FILE_MAX, &len, err, sizeof(err))) == NULL)
		return out_error(x, EXIT_USAGE, "%s", err);
	if (text_check(text, len, why, sizeof(why)) != 0) {
		free(text);
		return out_error(x, EXIT_USAGE, "%s: %s", opt(&a, "text"), why);
	}
	if ((rc = connect_conf(x)) != 0 || (rc = fetch_text(x, id, &r)) != 0) {
		free(text);
		return rc;
	}
	ar.agreement = id;
	ar.revision = r->agreement->revision;
	ar.text = text;
	ar.note = opt(&a, "note") ? (char *)opt(&a, "note") : "";
	f.body_case = PARLEY__FRAME__BODY_AMEND;
	f.amend = &ar;
	rc = request_ok(x, &f, "proposed");
	cl_free(x->c, r);
	free(text);
	return rc;
}

static int
cmd_amendment(struct ctx *x)
{
	static const char usage[] = "amendment respond AM accept|reject [--note TEXT]";
	static const char *const valued[] = { "note", NULL };
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__AmendmentResponse ar = PARLEY__AMENDMENT_RESPONSE__INIT;
	struct args a;
	uint64_t id;
	int rc;

	if ((rc = parse_args(x, usage, valued, NULL, 3, &a)) != 0)
		return rc;
	if (a.npos != 3 || strcmp(a.pos[0], "respond") != 0 || parse_id(a.pos[1], &id) != 0 ||
	    (strcmp(a.pos[2], "accept") != 0 && strcmp(a.pos[2], "reject") != 0))
		return usage_error(x, usage, "expected: respond AM accept|reject");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	ar.amendment = id;
	ar.accept = strcmp(a.pos[2], "accept") == 0;
	ar.note = opt(&a, "note") ? (char *)opt(&a, "note") : "";
	f.body_case = PARLEY__FRAME__BODY_AMENDMENT_RESPONSE;
	f.amendment_response = &ar;
	rc = request_ok(x, &f, "recorded");
	return rc;
}

static int
cmd_withdraw(struct ctx *x)
{
	static const char usage[] = "withdraw ID";
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__WithdrawRequest wr = PARLEY__WITHDRAW_REQUEST__INIT;
	struct args a;
	uint64_t id;
	int rc;

	if ((rc = parse_args(x, usage, NULL, NULL, 1, &a)) != 0)
		return rc;
	if (a.npos != 1 || parse_id(a.pos[0], &id) != 0)
		return usage_error(x, usage, "ID must be an agreement number");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	wr.agreement = id;
	f.body_case = PARLEY__FRAME__BODY_WITHDRAW;
	f.withdraw = &wr;
	rc = request_ok(x, &f, "withdrawn");
	return rc;
}

static int
cmd_status(struct ctx *x)
{
	static const char usage[] = "status ID";
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__StatusRequest sr = PARLEY__STATUS_REQUEST__INIT;
	struct args a;
	uint64_t id;
	size_t i;
	int rc;

	if ((rc = parse_args(x, usage, NULL, NULL, 1, &a)) != 0)
		return rc;
	if (a.npos != 1 || parse_id(a.pos[0], &id) != 0)
		return usage_error(x, usage, "ID must be an agreement number");
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
		jw_arr_begin(j, "parties");
		for (i = 0; i < r->status_reply->n_parties; i++) {
			jw_obj_begin(j, NULL);
			jw_str(j, "party", r->status_reply->parties[i]->party);
			jw_bool(j, "signed", r->status_reply->parties[i]->signed_);
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
		for (i = 0; i < r->status_reply->n_parties; i++)
			printf("  %-14s %s\n", r->status_reply->parties[i]->party,
			    r->status_reply->parties[i]->signed_ ? "signed" : "not signed");
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

static int
cmd_bundle(struct ctx *x)
{
	static const char usage[] = "bundle ID DIR";
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__BundleRequest br = PARLEY__BUNDLE_REQUEST__INIT;
	char err[1200];
	uint8_t mraw[32];
	struct args a;
	uint64_t id;
	int rc;

	if ((rc = parse_args(x, usage, NULL, NULL, 2, &a)) != 0)
		return rc;
	if (a.npos != 2 || parse_id(a.pos[0], &id) != 0)
		return usage_error(x, usage, "expected an agreement number and a directory");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	br.agreement = id;
	f.body_case = PARLEY__FRAME__BODY_BUNDLE_REQUEST;
	f.bundle_request = &br;
	if ((rc = call(x, &f, &r, PARLEY__FRAME__BODY_BUNDLE)) != 0)
		return rc;
	rc = bundle_write(a.pos[1], r->bundle, err, sizeof(err));
	cl_free(x->c, r);
	if (rc != 0)
		return out_error(x, EXIT_REFUSED, "%s", err);
	if (!x->conf.mediator_key[0])
		return out_error(x, EXIT_REFUSED, "bundle written to %s, but client.conf names no "
		    "mediator_key to verify it", a.pos[1]);
	if ((rc = mediator_raw(x, x->conf.mediator_key, mraw)) != 0)
		return rc;
	return verify_dir(x, a.pos[1], mraw);
}

static int
cmd_verify(struct ctx *x)
{
	static const char usage[] = "verify DIR [--mediator-key MEDIATOR.pub]";
	static const char *const valued[] = { "mediator-key", NULL };
	char err[1200];
	uint8_t mraw[32];
	const char *key;
	struct args a;
	int rc;

	if ((rc = parse_args(x, usage, valued, NULL, 1, &a)) != 0)
		return rc;
	if (a.npos != 1)
		return usage_error(x, usage, "expected a bundle directory");
	if ((key = opt(&a, "mediator-key")) == NULL) {
		if (cl_conf_load(x->conf_path, &x->conf, err, sizeof(err)) != 0 ||
		    !x->conf.mediator_key[0])
			return usage_error(x, usage, "no --mediator-key, and no client.conf with one");
		key = x->conf.mediator_key;
	}
	if ((rc = mediator_raw(x, key, mraw)) != 0)
		return rc;
	return verify_dir(x, a.pos[0], mraw);
}

static int
cmd_confirm(struct ctx *x)
{
	static const char usage[] = "confirm ID MEASURE";
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__ConfirmRequest cr = PARLEY__CONFIRM_REQUEST__INIT;
	struct args a;
	uint64_t id, m;
	int rc;

	if ((rc = parse_args(x, usage, NULL, NULL, 2, &a)) != 0)
		return rc;
	if (a.npos != 2 || parse_id(a.pos[0], &id) != 0 || parse_id(a.pos[1], &m) != 0 ||
	    m > UINT32_MAX)
		return usage_error(x, usage, "expected an agreement and a measure number");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	cr.agreement = id;
	cr.measure = (uint32_t)m;
	f.body_case = PARLEY__FRAME__BODY_CONFIRM;
	f.confirm = &cr;
	rc = request_ok(x, &f, "confirmed");
	return rc;
}

static int
cmd_timeline(struct ctx *x)
{
	static const char usage[] = "timeline ID";
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__TimelineRequest tr = PARLEY__TIMELINE_REQUEST__INIT;
	const Parley__TimelineReply *t;
	struct args a;
	uint64_t id;
	size_t i;
	int rc;

	if ((rc = parse_args(x, usage, NULL, NULL, 1, &a)) != 0)
		return rc;
	if (a.npos != 1 || parse_id(a.pos[0], &id) != 0)
		return usage_error(x, usage, "ID must be an agreement number");
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
		printf("  answered %s: %s\n", in->answered_at, in->answer);
	printf("  %s be made public %s %s\n", in->publishable ? "may" : "may NOT yet",
	    in->publishable ? "since" : "before", in->publishable_at);
	if (*in->inspection)
		printf("  inspection: %s\n", in->inspection);
}

static int
incident_call(struct ctx *x, Parley__Frame *f, const char *what)
{
	int rc;

	if ((rc = connect_conf(x)) != 0)
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

static int
cmd_incident(struct ctx *x)
{
	static const char usage[] =
	    "incident file --against PARTY --place TEXT --time TIME --nature TEXT "
	    "--consequences TEXT [--agreement ID] [--proposal TEXT] | respond N --text TEXT "
	    "[--measures TEXT] | list | show N | meeting N | inspect N | consent N yes|no";
	static const char *const valued[] = { "against", "place", "time", "nature",
		"consequences", "agreement", "proposal", "text", "measures", NULL };
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__IncidentFile fi = PARLEY__INCIDENT_FILE__INIT;
	Parley__IncidentRespond re = PARLEY__INCIDENT_RESPOND__INIT;
	Parley__IncidentAction ac = PARLEY__INCIDENT_ACTION__INIT;
	Parley__IncidentQuery q = PARLEY__INCIDENT_QUERY__INIT;
	struct args a;
	uint64_t id = 0, ag = 0;
	const char *verb;
	int rc;

	if ((rc = parse_args(x, usage, valued, NULL, 3, &a)) != 0)
		return rc;
	if (a.npos < 1)
		return usage_error(x, usage, "which incident verb?");
	verb = a.pos[0];
	if (strcmp(verb, "file") == 0) {
		if (a.npos != 1 || !opt(&a, "against") || !opt(&a, "place") || !opt(&a, "time") ||
		    !opt(&a, "nature") || !opt(&a, "consequences"))
			return usage_error(x, usage, "file needs --against, --place, --time, --nature "
			    "and --consequences");
		if (opt(&a, "agreement") && parse_id(opt(&a, "agreement"), &ag) != 0)
			return usage_error(x, usage, "--agreement takes an agreement number");
		fi.against = (char *)opt(&a, "against");
		fi.place = (char *)opt(&a, "place");
		fi.time = (char *)opt(&a, "time");
		fi.nature = (char *)opt(&a, "nature");
		fi.consequences = (char *)opt(&a, "consequences");
		fi.agreement = ag;
		fi.proposal = opt(&a, "proposal") ? (char *)opt(&a, "proposal") : "";
		f.body_case = PARLEY__FRAME__BODY_INCIDENT_FILE;
		f.incident_file = &fi;
		return incident_call(x, &f, "filed");
	}
	if (strcmp(verb, "list") == 0 && a.npos == 1) {
		id = 0;
	} else if (a.npos < 2 || parse_id(a.pos[1], &id) != 0) {
		return usage_error(x, usage, "an incident number is needed");
	}
	if (strcmp(verb, "respond") == 0) {
		if (!opt(&a, "text"))
			return usage_error(x, usage, "respond needs --text");
		re.incident = id;
		re.text = (char *)opt(&a, "text");
		re.measures = opt(&a, "measures") ? (char *)opt(&a, "measures") : "";
		f.body_case = PARLEY__FRAME__BODY_INCIDENT_RESPOND;
		f.incident_respond = &re;
		return incident_call(x, &f, "answered");
	}
	if (strcmp(verb, "meeting") == 0 || strcmp(verb, "inspect") == 0 ||
	    strcmp(verb, "consent") == 0) {
		if (strcmp(verb, "consent") == 0 && (a.npos != 3 ||
		    (strcmp(a.pos[2], "yes") != 0 && strcmp(a.pos[2], "no") != 0)))
			return usage_error(x, usage, "consent N yes|no");
		ac.incident = id;
		ac.action = strcmp(verb, "consent") != 0 ? (char *)verb :
		    strcmp(a.pos[2], "yes") == 0 ? "consent-yes" : "consent-no";
		ac.text = "";
		f.body_case = PARLEY__FRAME__BODY_INCIDENT_ACTION;
		f.incident_action = &ac;
		return incident_call(x, &f, "recorded");
	}
	if (strcmp(verb, "list") != 0 && strcmp(verb, "show") != 0)
		return usage_error(x, usage, "unknown incident verb");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	q.incident = id;
	f.body_case = PARLEY__FRAME__BODY_INCIDENT_QUERY;
	f.incident_query = &q;
	if (id != 0) {
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
	return incident_list_all(x, &f, &q);
}

static int
cmd_complaint(struct ctx *x)
{
	static const char usage[] = "complaint --incident N --text TEXT";
	static const char *const valued[] = { "incident", "text", NULL };
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__IncidentAction ac = PARLEY__INCIDENT_ACTION__INIT;
	struct args a;
	uint64_t id;
	int rc;

	if ((rc = parse_args(x, usage, valued, NULL, 0, &a)) != 0)
		return rc;
	if (!opt(&a, "incident") || parse_id(opt(&a, "incident"), &id) != 0 || !opt(&a, "text"))
		return usage_error(x, usage, "--incident N and --text are required");
	ac.incident = id;
	ac.action = "complaint";
	ac.text = (char *)opt(&a, "text");
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
	size_t i;

	(void)arg;
	for (i = 0; i < r->journal_entries->n_entries; i++) {
		if (j != NULL)
			jw_str(j, NULL, r->journal_entries->entries[i]);
		else
			printf("%s\n", r->journal_entries->entries[i]);
	}
}

static int
cmd_journal(struct ctx *x)
{
	static const char usage[] = "journal [--agreement ID]";
	static const char *const valued[] = { "agreement", NULL };
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__JournalShow js = PARLEY__JOURNAL_SHOW__INIT;
	struct args a;
	uint64_t id = 0;
	int rc;

	if ((rc = parse_args(x, usage, valued, NULL, 0, &a)) != 0)
		return rc;
	if (opt(&a, "agreement") && parse_id(opt(&a, "agreement"), &id) != 0)
		return usage_error(x, usage, "--agreement takes an agreement number");
	if ((rc = connect_conf(x)) != 0)
		return rc;
	js.agreement = id;
	js.paged = 1;
	f.body_case = PARLEY__FRAME__BODY_JOURNAL_SHOW;
	f.journal_show = &js;
	rc = call_pages(x, &f, &js.from, PARLEY__FRAME__BODY_JOURNAL_ENTRIES, "entries",
	    journal_next, journal_page, NULL);
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

static int
mandate_issue(struct ctx *x)
{
	static const char usage[] = "mandate issue --principal-key FILE --signer-key PUB.pem "
	    "--roles ROLE[,ROLE] [--scope any|agreements:1,2|label:NAME] [--from TIME] "
	    "[--until TIME] [--supersedes M] [--in-place-of NAME]";
	static const char *const valued[] = { "principal-key", "signer-key", "roles", "scope",
	    "from", "until", "supersedes", "in-place-of", NULL };
	Parley__Frame f = PARLEY__FRAME__INIT, *lr = NULL;
	Parley__Mandate pm = PARLEY__MANDATE__INIT;
	struct sign_mandate_fields mf;
	char rolebuf[600], *roles[SIGN_MANDATE_MAX_ROLES], *tok, *save = NULL, err[1200];
	uint8_t pub[32], spub[32], sig[64], *payload = NULL;
	EVP_PKEY *pk = NULL, *sk;
	size_t nroles = 0, plen, i;
	int64_t from = 0, until = 0;
	uint64_t sup = 0;
	struct args a;
	int rc;

	if ((rc = parse_args(x, usage, valued, NULL, 1, &a)) != 0)
		return rc;
	if (opt(&a, "principal-key") == NULL || opt(&a, "signer-key") == NULL ||
	    opt(&a, "roles") == NULL)
		return usage_error(x, usage, "--principal-key, --signer-key and --roles are required");
	snprintf(rolebuf, sizeof(rolebuf), "%s", opt(&a, "roles"));
	for (tok = strtok_r(rolebuf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (nroles == SIGN_MANDATE_MAX_ROLES || !ident_valid(tok))
			return usage_error(x, usage, "--roles takes 1-8 short lowercase names");
		roles[nroles++] = tok;
	}
	if (nroles == 0)
		return usage_error(x, usage, "--roles names no role");
	qsort(roles, nroles, sizeof(roles[0]), cmp_str);
	for (i = 1; i < nroles; i++)
		if (strcmp(roles[i - 1], roles[i]) == 0)
			return usage_error(x, usage, "--roles names a role twice");
	if ((opt(&a, "from") && ptime_parse(opt(&a, "from"), &from) != 0) ||
	    (opt(&a, "until") && ptime_parse(opt(&a, "until"), &until) != 0))
		return usage_error(x, usage, "--from and --until take ISO 8601 times with an offset");
	if (opt(&a, "supersedes") && parse_id(opt(&a, "supersedes"), &sup) != 0)
		return usage_error(x, usage, "--supersedes takes a mandate number");
	if ((sk = crypto_read_public_key(opt(&a, "signer-key"), err, sizeof(err))) == NULL)
		return out_error(x, EXIT_USAGE, "%s", err);
	rc = !crypto_is_ed25519(sk) || crypto_pubkey_raw(sk, spub) != 0;
	EVP_PKEY_free(sk);
	if (rc)
		return out_error(x, EXIT_USAGE, "%s is not an Ed25519 public key",
		    opt(&a, "signer-key"));
	if ((pk = principal_key(x, opt(&a, "principal-key"), pub, &rc)) == NULL)
		return rc;
	if ((rc = connect_conf(x)) != 0 || (rc = mandate_query(x, &lr)) != 0)
		goto done;
	memset(&mf, 0, sizeof(mf));
	mf.party = cl_party(x->c);
	mf.signer_key = spub;
	mf.roles = (const char *const *)roles;
	mf.nroles = nroles;
	mf.scope = opt(&a, "scope") ? opt(&a, "scope") : "any";
	mf.issued_at = lr->mandate_list->now;
	mf.valid_from = opt(&a, "from") ? from : mf.issued_at;
	mf.valid_until = until;
	mf.supersedes = sup;
	mf.in_place_of = opt(&a, "in-place-of") ? opt(&a, "in-place-of") : "";
	if (sign_mandate(&mf, &payload, &plen) != 0 || crypto_sign(pk, payload, plen, sig) != 0) {
		rc = out_error(x, EXIT_USAGE, "cannot sign the mandate");
		goto done;
	}
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
	pm.principal_key.data = pub;
	pm.principal_key.len = 32;
	pm.signature.data = sig;
	pm.signature.len = 64;
	f.body_case = PARLEY__FRAME__BODY_MANDATE_ISSUE;
	f.mandate_issue = &pm;
	rc = request_ok(x, &f, "issued");
done:
	if (lr != NULL)
		cl_free(x->c, lr);
	EVP_PKEY_free(pk);
	free(payload);
	return rc;
}

static int
mandate_revoke(struct ctx *x)
{
	static const char usage[] = "mandate revoke M --principal-key FILE";
	static const char *const valued[] = { "principal-key", NULL };
	Parley__Frame f = PARLEY__FRAME__INIT, *lr = NULL;
	Parley__MandateRevoke mr = PARLEY__MANDATE_REVOKE__INIT;
	const Parley__Mandate *m = NULL;
	uint8_t pub[32], sig[64], *payload = NULL;
	EVP_PKEY *pk;
	size_t plen, i;
	uint64_t id;
	struct args a;
	int rc;

	if ((rc = parse_args(x, usage, valued, NULL, 2, &a)) != 0)
		return rc;
	if (a.npos != 2 || parse_id(a.pos[1], &id) != 0 || opt(&a, "principal-key") == NULL)
		return usage_error(x, usage, "a mandate number and --principal-key are required");
	if ((pk = principal_key(x, opt(&a, "principal-key"), pub, &rc)) == NULL)
		return rc;
	if ((rc = connect_conf(x)) != 0 || (rc = mandate_query(x, &lr)) != 0)
		goto done;
	for (i = 0; i < lr->mandate_list->n_mandates; i++)
		if (lr->mandate_list->mandates[i]->id == id)
			m = lr->mandate_list->mandates[i];
	if (m == NULL || m->signature.len != 64) {
		rc = out_error(x, EXIT_REFUSED, "%s has no mandate %llu", cl_party(x->c),
		    (unsigned long long)id);
		goto done;
	}
	if (sign_revocation(cl_party(x->c), id, m->signature.data, &payload, &plen) != 0 ||
	    crypto_sign(pk, payload, plen, sig) != 0) {
		rc = out_error(x, EXIT_USAGE, "cannot sign the revocation");
		goto done;
	}
	mr.mandate = id;
	mr.principal_key.data = pub;
	mr.principal_key.len = 32;
	mr.signature.data = sig;
	mr.signature.len = 64;
	f.body_case = PARLEY__FRAME__BODY_MANDATE_REVOKE;
	f.mandate_revoke = &mr;
	rc = request_ok(x, &f, "revoked");
done:
	if (lr != NULL)
		cl_free(x->c, lr);
	EVP_PKEY_free(pk);
	free(payload);
	return rc;
}

static int
mandate_list(struct ctx *x)
{
	Parley__Frame *lr;
	char hex[65], from[PTIME_BUFLEN], until[PTIME_BUFLEN];
	struct jw *j = NULL;
	size_t i, k;
	int rc;

	if ((rc = connect_conf(x)) != 0 || (rc = mandate_query(x, &lr)) != 0)
		return rc;
	if (x->json) {
		j = jw_new();
		jw_obj_begin(j, NULL);
		jw_arr_begin(j, "mandates");
	}
	for (i = 0; i < lr->mandate_list->n_mandates; i++) {
		const Parley__Mandate *m = lr->mandate_list->mandates[i];
		if (m->signer_key.len != 32)
			continue;
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
			continue;
		}
		printf("mandate %llu [%s] key %.16s... roles", (unsigned long long)m->id, m->status,
		    hex);
		for (k = 0; k < m->n_roles; k++)
			printf("%s%s", k ? "+" : " ", m->roles[k]);
		printf(" scope %s, %s .. %s%s%s\n", m->scope, from, until,
		    *m->in_place_of ? ", in place of " : "", m->in_place_of);
	}
	if (j != NULL) {
		jw_arr_end(j);
		jw_obj_end(j);
		printf("%s\n", jw_text(j));
		jw_free(j);
	}
	cl_free(x->c, lr);
	return EXIT_OK;
}

static int
cmd_mandate(struct ctx *x)
{
	static const char usage[] = "mandate issue|revoke|list ...";

	if (x->argc < 1)
		return usage_error(x, usage, "expected issue, revoke or list");
	if (strcmp(x->argv[0], "issue") == 0) {
		x->argc--;
		x->argv++;
		return mandate_issue(x);
	}
	if (strcmp(x->argv[0], "revoke") == 0)
		return mandate_revoke(x);
	if (strcmp(x->argv[0], "list") == 0)
		return mandate_list(x);
	return usage_error(x, usage, "expected issue, revoke or list");
}

static const struct {
	const char *name;
	int (*fn)(struct ctx *);
	const char *usage;
	const char *help;
} cmds[] = {
	{ "init", cmd_init, "init --dir DIR --server HOST:PORT --server-pin PIN "
	  "--mediator-key MEDIATOR.pub", "create this endpoint's keys and client.conf" },
	{ "inbox", cmd_inbox, "inbox", "fetch pending deliveries, acknowledge and list them" },
	{ "watch", cmd_watch, "watch [--once]",
	  "stay connected as a duty station; print and acknowledge deliveries as they come" },
	{ "show", cmd_show, "show ID", "the text of an agreement as this party received it" },
	{ "status", cmd_status, "status ID", "this party's signing status of an agreement" },
	{ "sign", cmd_sign, "sign ID [--yes] [--text FILE] [--role ROLE] [--key SIGNER.key]",
	  "show the text's hash and sign it with the signer key" },
	{ "amend", cmd_amend, "amend ID --text FILE [--note TEXT]", "propose an amendment" },
	{ "amendment", cmd_amendment, "amendment respond AM accept|reject [--note TEXT]",
	  "answer an amendment the mediator forwarded" },
	{ "withdraw", cmd_withdraw, "withdraw ID",
	  "withdraw this party's signature before release" },
	{ "timeline", cmd_timeline, "timeline ID", "an agreement's Day-X calendar and status" },
	{ "confirm", cmd_confirm, "confirm ID MEASURE",
	  "confirm that this party carried out a measure" },
	{ "incident", cmd_incident, "incident file|respond|list|show|meeting|inspect|consent ...",
	  "report an incident to the other side, answer one, follow it up" },
	{ "complaint", cmd_complaint, "complaint --incident N --text TEXT",
	  "take an incident this party reported to the mediator" },
	{ "journal", cmd_journal, "journal [--agreement ID]",
	  "the record's chronology of what concerns this party" },
	{ "mandate", cmd_mandate, "mandate issue|revoke|list ...",
	  "issue a mandate signed with the principal key, revoke one, list them" },
	{ "bundle", cmd_bundle, "bundle ID DIR", "fetch a released bundle and verify it" },
	{ "verify", cmd_verify, "verify DIR [--mediator-key MEDIATOR.pub]",
	  "verify a bundle offline" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: parley [-c CLIENT.conf] [--json] VERB ...\n\n"
	    "A party endpoint of parleyd (default -c ./client.conf, or $PARLEY_CONF).\n\nverbs:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %s\n      %s\n", cmds[i].usage, cmds[i].help);
	fprintf(f, "\nexit status: 0 done, 1 refused, 2 bad usage, 3 cannot reach parleyd\n");
}

int
main(int argc, char **argv)
{
	struct ctx x;
	size_t k;
	int i, rc;

	memset(&x, 0, sizeof(x));
	x.conf_path = getenv("PARLEY_CONF") ? getenv("PARLEY_CONF") : "client.conf";
	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			x.json = 1;
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			x.conf_path = argv[++i];
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else {
			fprintf(stderr, "parley: unknown option %s\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		if (strcmp(cmds[k].name, argv[i]) == 0) {
			x.argc = argc - i - 1;
			x.argv = argv + i + 1;
			rc = cmds[k].fn(&x);
			cl_close(x.c);
			return rc;
		}
	}
	fprintf(stderr, "parley: unknown verb \"%s\"\n", argv[i]);
	usage(stderr);
	return EXIT_USAGE;
}
