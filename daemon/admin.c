#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "admin.h"
#include "agenda.h"
#include "amendment.h"
#include "crypto.h"
#include "errors.h"
#include "frame.h"
#include "log.h"
#include "pgrec.h"
#include "ptime.h"
#include "session.h"
#include "text.h"
#include "condition.h"
#include "contacts.h"
#include "incident.h"
#include "journal.h"
#include "letter.h"
#include "mandate.h"
#include "observer.h"
#include "template.h"
#include "texts.h"
#include "timeline.h"
#include "timers.h"

/* Refused peers held at once to be told why (admin_accept). */
#define ADMIN_REFUSED_MAX 8

struct admin_conn {
	struct server *srv;
	struct conn *conn;
	int ready;
	char *refused;		/* not allowed: why, told in answer to its first frame */
	struct admin_conn *prev, *next;	/* srv->admin_conns */
	/* parleyctl watch: a request waiting for the record to grow */
	int watching;
	uint64_t watch_id;	/* its frame id */
	int64_t watch_from;	/* the first entry it waits for */
	struct event *watch_ev;	/* answers it empty when nothing came */
};

/* parleyctl watch: entries in one answer, and the longest wait for one. */
#define WATCH_BATCH 500
#define WATCH_WAIT_MAX 60

/* The request's arguments, NUL-terminated copies. */
/* An agreement has at most 64 parties; a verb may name each (agreement
 * remind ID PARTY...) besides its options. */
#define ADMIN_MAX_ARGS 128

struct args {
	size_t n;
	const char *key[ADMIN_MAX_ARGS];
	char *val[ADMIN_MAX_ARGS];
	size_t len[ADMIN_MAX_ARGS];
};

static const char *
arg(const struct args *a, const char *key)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->key[i], key) == 0)
			return a->val[i];
	return NULL;
}

static const char *
arg_n(const struct args *a, const char *key, size_t *len)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->key[i], key) == 0) {
			*len = a->len[i];
			return a->val[i];
		}
	return NULL;
}

/* A required argument; refuses with the usage when it is missing. */
static const char *
need(const struct args *a, const char *key, const char *what, struct out *o)
{
	const char *v = arg(a, key);

	if (v == NULL || *v == '\0')
		out_usage(o, "missing %s", what);
	return v && *v ? v : NULL;
}

static int
need_id(const struct args *a, const char *key, const char *what, int64_t *id, struct out *o)
{
	const char *v = need(a, key, what, o);
	char *end;
	long long n;

	if (v == NULL)
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0)
		return out_usage(o, "%s must be a positive number, not \"%s\"", what, v);
	*id = n;
	return 0;
}

static int
need_hex32(const struct args *a, const char *key, const char *what, uint8_t out[32],
    struct out *o)
{
	const char *v = need(a, key, what, o);

	if (v == NULL)
		return -1;
	if (hex_decode(v, out, 32) != 0)
		return out_usage(o, "%s must be 64 hex digits", what);
	return 0;
}

/* Registrations go into the journal with what they register. */
static int
record(struct server *srv, struct out *o, const char *kind, const char *party,
    const uint8_t *hash, const char *note)
{
	if (journal_append(srv->journal, kind, 0, party, (const uint8_t (*)[32])hash, hash ? 1 : 0,
	    note) != 0)
		return out_refuse(o, "store failure: journal");
	return 0;
}

struct verb {
	const char *name;
	int (*fn)(struct server *, const struct args *, struct out *, Parley__AdminReply *);
};

static int
v_init(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	char path[4096], err[512];
	FILE *f;
	char pem[1024];
	size_t n;
	int created;

	(void)a;
	(void)r;
	if (tls_init_state(srv->cfg.state_dir, &created, err, sizeof(err)) != 0)
		return out_refuse(o, "%s", err);
	snprintf(path, sizeof(path), "%s/mediator.pub", srv->cfg.state_dir);
	if ((f = fopen(path, "r")) == NULL)
		return out_refuse(o, "cannot read %s: %s", path, strerror(errno));
	n = fread(pem, 1, sizeof(pem) - 1, f);
	pem[n] = '\0';
	fclose(f);
	jw_str(o->json, "state_dir", srv->cfg.state_dir);
	jw_str(o->json, "server_pin", tls_server_pin(srv->tls));
	jw_str(o->json, "mediator_key_file", path);
	jw_str(o->json, "mediator_key", pem);
	out_text(o, "state directory: %s%s\nserver certificate pin: %s\n"
	    "mediator public key (%s):\n%s", srv->cfg.state_dir,
	    created ? " (missing files created)" : "", tls_server_pin(srv->tls), path, pem);
	return 0;
}

static int
v_party_add(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	const char *code = need(a, "1", "party CODE", o), *name;

	struct party p;

	(void)r;
	if (code == NULL)
		return -1;
	if ((name = need(a, "name", "--name NAME", o)) == NULL)
		return -1;
	if (registry_party_add(srv->st, clock_now(srv->clk), code, name,
	    arg(a, "observer") != NULL, o) != 0 ||
	    record(srv, o, arg(a, "observer") ? "observer-registered" : "party-registered", code,
	    NULL, name) != 0)
		return -1;
	/* A new signing party is on duty watch from now on. */
	if (arg(a, "observer") == NULL && registry_party_by_code(srv->st, code, &p) == 0 &&
	    duty_watch(srv->duty, p.id, code) != 0)
		return out_refuse(o, "out of memory");
	return 0;
}

static int
v_party_list(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	(void)a;
	(void)r;
	return registry_party_list(srv->st, o);
}

static int
v_endpoint_add(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	const char *code = need(a, "1", "PARTY", o);
	uint8_t pin[32];

	(void)r;
	if (code == NULL || need_hex32(a, "pin", "the certificate pin", pin, o) != 0)
		return -1;
	if (registry_endpoint_add(srv->st, clock_now(srv->clk), code, pin, o) != 0)
		return -1;
	return record(srv, o, "endpoint-added", code, pin, "certificate pin");
}

static int
v_endpoint_list(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	(void)r;
	return registry_endpoint_list(srv->st, arg(a, "1"), o);
}

static int
v_endpoint_remove(struct server *srv, const struct args *a, struct out *o,
    Parley__AdminReply *r)
{
	int64_t id;

	(void)r;
	if (need_id(a, "1", "endpoint ID", &id, o) != 0)
		return -1;
	char note[64];

	if (registry_endpoint_remove(srv->st, clock_now(srv->clk), id, o) != 0)
		return -1;
	snprintf(note, sizeof(note), "endpoint %lld", (long long)id);
	if (record(srv, o, "endpoint-removed", NULL, NULL, note) != 0)
		return -1;
	session_kick_endpoint(srv, id);
	return 0;
}

static int
v_signer_add(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	const char *code = need(a, "1", "PARTY", o);
	uint8_t pub[32];

	(void)r;
	if (code == NULL || need_hex32(a, "key", "the Ed25519 public key", pub, o) != 0)
		return -1;
	if (registry_signer_add(srv->st, clock_now(srv->clk), code, pub, arg(a, "name"),
	    arg(a, "title"), o) != 0)
		return -1;
	if (arg(a, "name") != NULL) {
		char note[2 * CERT_NAME_MAX + 40];
		snprintf(note, sizeof(note), "Ed25519 key of %s%s%s", arg(a, "name"),
		    arg(a, "title") ? ", " : "", arg(a, "title") ? arg(a, "title") : "");
		return record(srv, o, "signer-added", code, pub, note);
	}
	return record(srv, o, "signer-added", code, pub, "Ed25519 key");
}

static int
v_signer_list(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	(void)r;
	return registry_signer_list(srv->st, arg(a, "1"), o);
}

static int
v_principal_add(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	const char *code = need(a, "1", "PARTY", o);
	uint8_t pub[32];

	(void)r;
	if (code == NULL || need_hex32(a, "key", "the Ed25519 public key", pub, o) != 0)
		return -1;
	if (registry_principal_add(srv->st, clock_now(srv->clk), code, pub, o) != 0)
		return -1;
	return record(srv, o, "principal-added", code, pub, "Ed25519 key");
}

static int
v_mandate_list(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	(void)r;
	return mandate_list(srv->ag, arg(a, "1"), o);
}

static int
v_observer_add(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	const char *party;
	int64_t id;

	(void)r;
	if (need_id(a, "1", "ID", &id, o) != 0 || (party = need(a, "2", "PARTY", o)) == NULL)
		return -1;
	return observer_add(srv->ag, id, party, arg(a, "note"), o);
}

/* condition deadline ID PARTY TIME [--role ROLE] */
static int
v_condition_deadline(struct server *srv, const struct args *a, struct out *o,
    Parley__AdminReply *r)
{
	const char *party, *when;
	int64_t id;

	(void)r;
	if (need_id(a, "1", "ID", &id, o) != 0 || (party = need(a, "2", "PARTY", o)) == NULL ||
	    (when = need(a, "3", "TIME", o)) == NULL)
		return -1;
	if (!ident_valid(party))
		return out_usage(o, "PARTY must be a party code, not \"%s\"", party);
	return condition_deadline(srv->ag, id, party, arg(a, "role") ? arg(a, "role") : "",
	    when, o);
}

static int
v_observer_list(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	int64_t id = 0;

	(void)r;
	if (arg(a, "1") != NULL && need_id(a, "1", "ID", &id, o) != 0)
		return -1;
	return observer_list(srv->ag, id, o);
}

static int
v_notice_send(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	const char *to = need(a, "1", "PARTY or all", o), *text;

	(void)r;
	if (to == NULL || (text = need(a, "text", "--text FILE", o)) == NULL)
		return -1;
	return engine_notice(srv->ag, to, text, o);
}

/* --set KEY=VALUE arguments ("set.KEY") into v.  0, or -1 refused in o. */
static int
given_values(const struct args *a, struct template_values *v)
{
	size_t i;

	v->n = 0;
	for (i = 0; i < a->n; i++)
		if (strncmp(a->key[i], "set.", 4) == 0) {
			if (v->n == TEMPLATE_VALUES_MAX)
				return -1;
			v->name[v->n] = a->key[i] + 4;
			v->value[v->n++] = a->val[i];
		}
	return 0;
}

/* --template NAME with its --set values, filled into *text (malloc'd, the
 * caller frees); *text NULL when no template is named.  0, or -1 in o. */
static int
from_template(struct server *srv, const struct args *a, char **text, struct out *o)
{
	struct template_values v;
	const char *name = arg(a, "template");

	*text = NULL;
	if (given_values(a, &v) != 0)
		return out_usage(o, "at most %d --set values", TEMPLATE_VALUES_MAX);
	if (name == NULL)
		return v.n ? out_usage(o, "--set fills a template: name it with --template") : 0;
	if (arg(a, "text") != NULL)
		return out_usage(o, "give --text FILE or --template NAME, not both");
	return template_fill(srv->ag, name, &v, text, o);
}

static int
v_letter_send(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	const char *to = need(a, "to", "--to PARTY,...", o), *text;
	char *filled = NULL;
	size_t len = 0;
	int rc;

	(void)r;
	if (to == NULL || from_template(srv, a, &filled, o) != 0)
		return -1;
	if (filled != NULL) {
		text = filled;
		len = strlen(filled);
	} else if ((text = arg_n(a, "text", &len)) == NULL) {
		return out_usage(o, "missing --text FILE (or --template NAME)");
	}
	rc = letter_send_mediator(srv->ag, to, arg(a, "cc"), arg(a, "subject"), text, len,
	    arg(a, "urgent") != NULL, NULL, o);
	free(filled);
	return rc;
}

/* --last N: only the N newest of a list; *last is -1 without it. */
static int
opt_last(const struct args *a, int64_t *last, struct out *o)
{
	*last = -1;
	if (arg(a, "last") == NULL)
		return 0;
	return need_id(a, "last", "--last", last, o);
}

/* --agreement ID: 0 without it. */
static int
opt_agreement(const struct args *a, int64_t *ag, struct out *o)
{
	*ag = 0;
	if (arg(a, "agreement") == NULL)
		return 0;
	return need_id(a, "agreement", "--agreement ID", ag, o);
}

static int
v_notice_list(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	int64_t last, ag;

	(void)r;
	if (opt_last(a, &last, o) != 0 || opt_agreement(a, &ag, o) != 0)
		return -1;
	return engine_message_list(srv->ag, "notice", last, ag, arg(a, "party"), o);
}

static int
v_letter_list(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	int64_t last;

	(void)r;
	if (opt_last(a, &last, o) != 0)
		return -1;
	return letter_list(srv->ag, last, arg(a, "party"), o);
}

static int
v_delivery_list(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	int64_t last, ag;

	(void)r;
	if (opt_last(a, &last, o) != 0 || opt_agreement(a, &ag, o) != 0)
		return -1;
	return engine_message_list(srv->ag, NULL, last, ag, arg(a, "party"), o);
}

/* The arguments "text.LANG" (a language version) and "frame.PARTY" (a
 * party's frame) into g.  0, or -1 refused in o. */
static int
given_texts(const struct args *a, struct texts_given *g, struct out *o)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (strncmp(a->key[i], "text.", 5) == 0) {
			if (g->nv == SIGN_MAX_VERSIONS)
				return out_usage(o, "at most %d language versions", SIGN_MAX_VERSIONS);
			g->lang[g->nv] = a->key[i] + 5;
			g->text[g->nv] = a->val[i];
			g->len[g->nv++] = a->len[i];
		} else if (strncmp(a->key[i], "frame.", 6) == 0) {
			if (g->nf == 64)
				return out_usage(o, "at most 64 frames");
			g->party[g->nf] = a->key[i] + 6;
			g->frame[g->nf] = a->val[i];
			g->flen[g->nf++] = a->len[i];
		}
	}
	g->authentic = arg(a, "authentic");
	return 0;
}

static int
v_template_add(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	const char *name = need(a, "1", "NAME", o), *text;
	size_t len = 0;

	(void)r;
	if (name == NULL || (text = arg_n(a, "text", &len)) == NULL)
		return o->status ? -1 : out_usage(o, "missing --text FILE");
	return template_add(srv->ag, name, text, len, o);
}

static int
v_template_list(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	(void)a;
	(void)r;
	return template_list(srv->ag, o);
}

static int
v_template_show(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	const char *name = need(a, "1", "NAME", o);

	(void)r;
	return name == NULL ? -1 : template_show(srv->ag, name, o);
}

static int
v_agreement_create(struct server *srv, const struct args *a, struct out *o,
    Parley__AdminReply *r)
{
	struct agreement_terms t;
	char *filled = NULL;
	int rc;

	(void)r;
	memset(&t, 0, sizeof(t));
	if ((t.title = need(a, "title", "--title TITLE", o)) == NULL ||
	    (t.parties = need(a, "parties", "--parties A,B,...", o)) == NULL ||
	    given_texts(a, &t.given, o) != 0)
		return -1;
	t.text = arg_n(a, "text", &t.text_len);
	if (from_template(srv, a, &filled, o) != 0)
		return -1;
	if (filled != NULL) {
		t.text = filled;
		t.text_len = strlen(filled);
	}
	t.observers = arg(a, "observers");
	t.effective = arg(a, "effective");
	t.disclose_progress = arg(a, "disclose-progress") != NULL;
	t.same_signer_ok = arg(a, "same-signer-ok") != NULL;
	t.no_reservations = arg(a, "no-reservations") != NULL;
	t.sign_by = arg(a, "sign-by");
	t.sign_after_effect = arg(a, "sign-after-effect") != NULL;
	t.valid_for = arg(a, "valid-for");
	t.valid_until = arg(a, "valid-until");
	t.extends = arg(a, "extends");
	t.reaffirms = arg(a, "reaffirms");
	t.label = arg(a, "label");
	t.zone = arg(a, "zone");
	t.signatories = arg(a, "signatories");
	rc = engine_create(srv->ag, &t, o);
	free(filled);
	return rc;
}

#define ID_VERB(fname, call)                                                  \
	static int                                                            \
	fname(struct server *srv, const struct args *a, struct out *o,        \
	    Parley__AdminReply *r)                                            \
	{                                                                     \
		int64_t id;                                                   \
		(void)r;                                                      \
		if (need_id(a, "1", "ID", &id, o) != 0)                       \
			return -1;                                            \
		return call;                                                  \
	}

ID_VERB(v_agreement_circulate, engine_circulate(srv->ag, id, arg(a, "override"), o))
static int
v_agreement_check(struct server *srv, const struct args *a, struct out *o,
    Parley__AdminReply *r)
{
	const char *g;
	size_t len = 0;
	int64_t id;

	(void)r;
	if (need_id(a, "1", "ID", &id, o) != 0)
		return -1;
	g = arg_n(a, "glossary", &len);
	return texts_check_versions(srv->ag, id, g, len, o);
}

ID_VERB(v_letter_show, letter_show(srv->ag, id, o))
ID_VERB(v_agreement_show, engine_agreement_show(srv->ag, id, o))
ID_VERB(v_agreement_withdraw, engine_withdraw_agreement(srv->ag, id, arg(a, "reason"), o))
ID_VERB(v_amendment_list, amendment_list(srv->ag, id, o))
ID_VERB(v_amendment_show, amendment_show(srv->ag, id, o))
ID_VERB(v_amendment_forward, engine_amendment_forward(srv->ag, id, o))
ID_VERB(v_amendment_reject, engine_amendment_reject(srv->ag, id, arg(a, "reason"), o))

ID_VERB(v_timeline_show, timeline_show(srv->ag, id, o))

static int
v_incident_recommend(struct server *srv, const struct args *a, struct out *o,
    Parley__AdminReply *r)
{
	const char *text;
	size_t len = 0;
	int64_t id;

	(void)r;
	if (need_id(a, "1", "N", &id, o) != 0)
		return -1;
	if ((text = arg_n(a, "text", &len)) == NULL)
		return out_usage(o, "missing --text FILE");
	return incident_recommend(srv->ag, id, text, len, o);
}

static int
v_incident_meeting(struct server *srv, const struct args *a, struct out *o,
    Parley__AdminReply *r)
{
	const char *t, *place, *who;
	int64_t id;

	(void)r;
	if (need_id(a, "1", "N", &id, o) != 0 ||
	    (t = need(a, "time", "--time TIME", o)) == NULL ||
	    (place = need(a, "place", "--place P", o)) == NULL ||
	    (who = need(a, "participants", "--participants LIST", o)) == NULL)
		return -1;
	return incident_meeting_set(srv->ag, id, t, place, who, o);
}

static int
v_incident_escalate(struct server *srv, const struct args *a, struct out *o,
    Parley__AdminReply *r)
{
	const char *to;
	int64_t id;

	(void)r;
	if (need_id(a, "1", "N", &id, o) != 0 || (to = need(a, "to", "--to LIST", o)) == NULL)
		return -1;
	return incident_escalate(srv->ag, id, to, o);
}

static int
v_journal_verify(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	(void)a;
	(void)r;
	return journal_verify(srv->journal, o);
}

static int
v_journal_show(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	const char *ag = arg(a, "agreement");
	int64_t id = 0;

	(void)r;
	if (ag != NULL && need_id(a, "agreement", "--agreement ID", &id, o) != 0)
		return -1;
	return journal_show(srv->journal, id, arg(a, "party"), arg(a, "countersignatures") != NULL,
	    o);
}
ID_VERB(v_incident_show, incident_show(srv->ag, id, o))
ID_VERB(v_incident_forward, incident_forward(srv->ag, id, o))
ID_VERB(v_incident_close, incident_close(srv->ag, id, arg(a, "reason"), o))

static int
v_contacts_set(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	const char *party = need(a, "1", "PARTY", o), *text;
	size_t len = 0;

	(void)r;
	if (party == NULL || (text = arg_n(a, "2", &len)) == NULL)
		return o->status ? -1 : out_usage(o, "missing FILE");
	return contacts_set_mediator(srv->ag, party, text, len, o);
}

static int
v_contacts_pass(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	const char *party = need(a, "1", "PARTY", o), *to;

	(void)r;
	if (party == NULL || (to = need(a, "to", "--to PARTY,...|all", o)) == NULL)
		return -1;
	return contacts_pass(srv->ag, party, to, o);
}

static int
v_contacts_list(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	(void)a;
	(void)r;
	return contacts_list(srv->ag, o);
}

static int
v_agenda(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	(void)a;
	(void)r;
	return agenda_show(srv->ag, o);
}

static int
v_incident_list(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	(void)a;
	(void)r;
	return incident_list(srv->ag, o);
}

/* Endpoints per party from the registry, open alerts from their record,
 * presence from the duty watch. */
static int
v_duty(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	struct duty_info *info;
	char seen[PTIME_BUFLEN], since[PTIME_BUFLEN], gap[64];
	size_t n, i;
	int64_t nep, open;

	(void)a;
	(void)r;
	/* Every watched party: the first 256 were once shown as all. */
	n = duty_watched(srv->duty);
	if ((info = calloc(n ? n : 1, sizeof(*info))) == NULL)
		return out_refuse(o, "out of memory");
	n = duty_snapshot(srv->duty, info, n);
	jw_arr_begin(o->json, "parties");
	out_text(o, "%-14s %-9s %-6s %-25s %-14s %s\n", "PARTY", "ENDPOINTS", "ONLINE",
	    "LAST SEEN", "LONGEST GAP", "ALERT");
	for (i = 0; i < n; i++) {
		nep = registry_endpoint_count(srv->st, info[i].party_id);
		open = -1;
		if (nep >= 0)
			open = duty_alert_open(srv->st, info[i].party_id);
		if (open < 0) {
			free(info);
			return out_refuse(o, "store failure reading the duty watch");
		}
		if (info[i].last_seen)
			ptime_format(info[i].last_seen, seen);
		else
			snprintf(seen, sizeof(seen), "never");
		ptime_format_duration(info[i].longest_gap_24h, gap, sizeof(gap));
		jw_obj_begin(o->json, NULL);
		jw_str(o->json, "party", info[i].code);
		jw_int(o->json, "endpoints", nep);
		jw_int(o->json, "online", info[i].online);
		jw_str(o->json, "last_seen", info[i].last_seen ? seen : NULL);
		if (info[i].gap_since) {
			ptime_format(info[i].gap_since, since);
			jw_str(o->json, "offline_since", since);
		} else {
			jw_null(o->json, "offline_since");
		}
		jw_int(o->json, "longest_gap_24h_seconds", info[i].longest_gap_24h);
		jw_bool(o->json, "alert", open > 0);
		jw_obj_end(o->json);
		out_text(o, "%-14s %-9lld %-6d %-25s %-14s %s\n", info[i].code, (long long)nep,
		    info[i].online, seen, gap, open > 0 ? "ALERT: no endpoint on duty" : "-");
	}
	free(info);
	jw_arr_end(o->json);
	jw_int(o->json, "alerts_raised", (int64_t)duty_alerts(srv->duty));
	return 0;
}

static int
v_timeline_set(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	const char *text;
	size_t len = 0;
	int64_t id;

	(void)r;
	if (need_id(a, "1", "ID", &id, o) != 0)
		return -1;
	if ((text = arg_n(a, "2", &len)) == NULL)
		return out_usage(o, "missing the calendar FILE");
	return timeline_set(srv->ag, id, text, len, o);
}

static int
v_timeline_confirm(struct server *srv, const struct args *a, struct out *o,
    Parley__AdminReply *r)
{
	const char *note = arg(a, "note");
	int64_t id, number;

	(void)r;
	if (need_id(a, "1", "ID", &id, o) != 0 || need_id(a, "2", "MEASURE", &number, o) != 0)
		return -1;
	if (number > INT32_MAX)
		return out_usage(o, "MEASURE must be a measure's number");
	return timeline_mediator_confirm(srv->ag, id, (int)number, note ? note : "", o);
}

static int
v_dayx_set(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	const char *when;
	int64_t id;

	(void)r;
	if (need_id(a, "1", "ID", &id, o) != 0 || (when = need(a, "2", "TIME|on-release|on-effect",
	    o)) == NULL)
		return -1;
	return timeline_dayx(srv->ag, id, when, o);
}

static int
v_agreement_deadline(struct server *srv, const struct args *a, struct out *o,
    Parley__AdminReply *r)
{
	const char *when;
	int64_t id;

	(void)r;
	if (need_id(a, "1", "ID", &id, o) != 0 || (when = need(a, "2", "TIME", o)) == NULL)
		return -1;
	return timeline_deadline(srv->ag, id, when, o);
}

/* agreement remind ID [PARTY...]: the parties are positionals 2, 3, ... */
static int
v_agreement_remind(struct server *srv, const struct args *a, struct out *o,
    Parley__AdminReply *r)
{
	const char *parties[64];
	char key[12];
	size_t n = 0;
	int64_t id;

	(void)r;
	if (need_id(a, "1", "ID", &id, o) != 0)
		return -1;
	for (;;) {
		snprintf(key, sizeof(key), "%zu", n + 2);
		if (arg(a, key) == NULL)
			break;
		if (n == sizeof(parties) / sizeof(parties[0]))
			return out_usage(o, "at most %zu parties", n);
		parties[n] = arg(a, key);
		if (!ident_valid(parties[n]))
			return out_usage(o, "PARTY must be a party code, not \"%s\"", parties[n]);
		n++;
	}
	return timeline_remind(srv->ag, id, parties, n, o);
}

static int
v_agreement_list(struct server *srv, const struct args *a, struct out *o,
    Parley__AdminReply *r)
{
	int64_t last;

	(void)r;
	if (opt_last(a, &last, o) != 0)
		return -1;
	return engine_agreement_list(srv->ag, last, o);
}

static int
v_agreement_diff(struct server *srv, const struct args *a, struct out *o,
    Parley__AdminReply *r)
{
	const char *party;
	int64_t id;

	(void)r;
	if (need_id(a, "1", "ID", &id, o) != 0 || (party = need(a, "2", "PARTY", o)) == NULL)
		return -1;
	return engine_diff(srv->ag, id, party, o);
}

static int
v_agreement_export(struct server *srv, const struct args *a, struct out *o,
    Parley__AdminReply *r)
{
	int64_t id;

	if (need_id(a, "1", "ID", &id, o) != 0)
		return -1;
	return engine_export(srv->ag, id, &r->bundle, o);
}

static int
v_amendment_adopt(struct server *srv, const struct args *a, struct out *o,
    Parley__AdminReply *r)
{
	const char *text;
	size_t len = 0;
	int64_t id;

	(void)r;
	if (need_id(a, "1", "amendment ID", &id, o) != 0)
		return -1;
	text = arg_n(a, "text", &len);
	return engine_amendment_adopt(srv->ag, id, text, len, o);
}

struct online {
	struct server *srv;
	struct out *o;
};

static void
count_online(void *arg, const struct ident *who)
{
	struct online *on = arg;

	jw_obj_begin(on->o->json, NULL);
	jw_str(on->o->json, "party", who->party.code);
	jw_int(on->o->json, "endpoint", who->endpoint_id);
	jw_obj_end(on->o->json);
	out_text(on->o, "  %-14s endpoint %lld\n", who->party.code, (long long)who->endpoint_id);
}

static int
v_status(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	struct online on = { srv, o };
	char now[PTIME_BUFLEN], up[64];

	(void)a;
	(void)r;
	ptime_format(clock_now(srv->clk), now);
	ptime_format_duration(clock_now(srv->clk) - srv->started_at, up, sizeof(up));
	jw_str(o->json, "time", now);
	jw_bool(o->json, "virtual_clock", clock_is_virtual(srv->clk));
	jw_int(o->json, "connections", (int64_t)srv->nconns);
	out_text(o, "parleyd: %s%s, %zu connection(s)\n", now,
	    clock_is_virtual(srv->clk) ? " (virtual clock)" : "", srv->nconns);
	/* A daemon that answers here serves (a standby's socket is closed). */
	jw_str(o->json, "role", "serving");
	if (srv->rec != NULL) {
		struct pgrec_state rs;
		char since[PTIME_BUFLEN];

		pgrec_state(srv->rec, &rs);
		ptime_format(rs.since, since);
		jw_str(o->json, "role_since", since);
		jw_obj_begin(o->json, "store");
		jw_str(o->json, "backend", "postgresql");
		jw_str(o->json, "server", rs.server);
		jw_int(o->json, "lease_epoch", rs.epoch);
		jw_str(o->json, "replication", rs.replication);
		jw_int(o->json, "commit_waiting_ms", rs.waiting_ms);
		jw_obj_end(o->json);
		out_text(o, "role: serving since %s, the record in PostgreSQL at %s (lease epoch "
		    "%lld); replication: %s%s\n", since, rs.server, (long long)rs.epoch,
		    rs.replication, rs.waiting ? "; a commit is waiting" : "");
	} else {
		jw_obj_begin(o->json, "store");
		jw_str(o->json, "backend", "sqlite");
		jw_obj_end(o->json);
		out_text(o, "role: serving, the record in SQLite\n");
	}
	out_text(o, "endpoints online:\n");
	jw_arr_begin(o->json, "online");
	session_foreach(srv, count_online, &on);
	jw_arr_end(o->json);
	(void)up;
	return engine_counts(srv->ag, o);
}

/* Nothing time-bound yet: a fresh test store may start at any date. */
static int
store_is_timeless(struct server *srv)
{
	int64_t n[AG_NSTATES] = { 0 }, other = 0, all;
	size_t i;

	/* A failure reads as "not timeless": the clock stays where it is. */
	if (ag_count_states(srv->ag, n, &other) != 0)
		return 0;
	for (all = other, i = 0; i < AG_NSTATES; i++)
		all += n[i];
	return all == 0;
}

static int
clock_moved(struct server *srv, int64_t t, struct out *o)
{
	char buf[PTIME_BUFLEN], v[32];
	struct timers_log log = { 0 };
	int fired = 0;
	size_t i;

	/* Timers fire as the clock passes them, in order, each at its time. */
	if (t > clock_now(srv->clk) && (fired = timers_run_logged(srv->ag, t, &log)) < 0)
		return out_refuse(o, "store failure while running timers");
	if (clock_set(srv->clk, t) != 0) {
		if (!store_is_timeless(srv) || clock_reset(srv->clk, t) != 0)
			return out_refuse(o, "the clock cannot run backwards once an agreement "
			    "exists");
		duty_rebase(srv->duty, t);
	}
	snprintf(v, sizeof(v), "%lld", (long long)t);
	if (store_meta_set(srv->st, "virtual_now", v) != 0)
		return out_refuse(o, "store failure: %s", store_errmsg(srv->st));
	ptime_format(t, buf);
	jw_str(o->json, "time", buf);
	jw_int(o->json, "timers_fired", fired);
	jw_arr_begin(o->json, "fired");
	for (i = 0; i < log.n; i++)
		jw_str(o->json, NULL, log.line[i]);
	jw_arr_end(o->json);
	out_text(o, "virtual clock: %s\n", buf);
	if (fired)
		out_text(o, "%d timer%s fired:\n", fired, fired == 1 ? "" : "s");
	for (i = 0; i < log.n; i++)
		out_text(o, "  %s\n", log.line[i]);
	if ((size_t)fired > log.n)
		out_text(o, "  ... and %zu more\n", (size_t)fired - log.n);
	return 0;
}

static int
v_clock_set(struct server *srv, const struct args *a, struct out *o, Parley__AdminReply *r)
{
	const char *v = need(a, "1", "TIME", o);
	int64_t t;

	(void)r;
	if (v == NULL)
		return -1;
	if (!clock_is_virtual(srv->clk))
		return out_refuse(o, "the clock is real; set [testing] virtual_clock = yes");
	if (ptime_parse(v, &t) != 0)
		return out_usage(o, "TIME must be ISO 8601 with an offset, e.g. "
		    "1994-05-09T12:00:00+04:00");
	return clock_moved(srv, t, o);
}

static int
v_clock_advance(struct server *srv, const struct args *a, struct out *o,
    Parley__AdminReply *r)
{
	const char *v = need(a, "1", "DURATION", o);
	int64_t d;

	(void)r;
	if (v == NULL)
		return -1;
	if (!clock_is_virtual(srv->clk))
		return out_refuse(o, "the clock is real; set [testing] virtual_clock = yes");
	if (ptime_parse_duration(v, &d) != 0)
		return out_usage(o, "DURATION must look like 90m, 6h, 10d or 1d12h");
	return clock_moved(srv, clock_now(srv->clk) + d, o);
}

static const struct verb verbs[] = {
	{ "init", v_init },
	{ "party add", v_party_add },
	{ "party list", v_party_list },
	{ "endpoint add", v_endpoint_add },
	{ "endpoint list", v_endpoint_list },
	{ "endpoint remove", v_endpoint_remove },
	{ "signer add", v_signer_add },
	{ "signer list", v_signer_list },
	{ "principal add", v_principal_add },
	{ "mandate list", v_mandate_list },
	{ "observer add", v_observer_add },
	{ "condition deadline", v_condition_deadline },
	{ "observer list", v_observer_list },
	{ "notice send", v_notice_send },
	{ "notice list", v_notice_list },
	{ "letter send", v_letter_send },
	{ "template add", v_template_add },
	{ "template list", v_template_list },
	{ "template show", v_template_show },
	{ "letter list", v_letter_list },
	{ "letter show", v_letter_show },
	{ "delivery list", v_delivery_list },
	{ "agreement create", v_agreement_create },
	{ "agreement circulate", v_agreement_circulate },
	{ "agreement check", v_agreement_check },
	{ "agreement show", v_agreement_show },
	{ "agreement list", v_agreement_list },
	{ "agreement withdraw", v_agreement_withdraw },
	{ "agreement deadline", v_agreement_deadline },
	{ "agreement remind", v_agreement_remind },
	{ "agreement diff", v_agreement_diff },
	{ "agreement export", v_agreement_export },
	{ "amendment list", v_amendment_list },
	{ "amendment show", v_amendment_show },
	{ "amendment forward", v_amendment_forward },
	{ "amendment adopt", v_amendment_adopt },
	{ "amendment reject", v_amendment_reject },
	{ "timeline set", v_timeline_set },
	{ "timeline show", v_timeline_show },
	{ "timeline confirm", v_timeline_confirm },
	{ "dayx set", v_dayx_set },
	{ "incident list", v_incident_list },
	{ "incident show", v_incident_show },
	{ "incident recommend", v_incident_recommend },
	{ "incident meeting", v_incident_meeting },
	{ "incident escalate", v_incident_escalate },
	{ "incident forward", v_incident_forward },
	{ "incident close", v_incident_close },
	{ "duty", v_duty },
	{ "duty contacts set", v_contacts_set },
	{ "duty contacts pass", v_contacts_pass },
	{ "duty contacts list", v_contacts_list },
	{ "journal verify", v_journal_verify },
	{ "journal show", v_journal_show },
	{ "clock set", v_clock_set },
	{ "clock advance", v_clock_advance },
	{ "status", v_status },
	{ "agenda", v_agenda },
};

static void
args_free(struct args *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->val[i]);
	a->n = 0;
}

/* An argument's name as the command line spells it. */
static const char *
arg_name(const char *key)
{
	static const struct { const char *key, *name; } pos[] = {
		{ "1", "the first argument" }, { "2", "the second argument" },
		{ "3", "the third argument" },
	};
	size_t i;

	for (i = 0; i < sizeof(pos) / sizeof(pos[0]); i++)
		if (strcmp(key, pos[i].key) == 0)
			return pos[i].name;
	return key;
}

static int
args_load(const Parley__AdminRequest *m, struct args *a, struct out *o)
{
	size_t i;

	a->n = 0;
	if (m->n_args > sizeof(a->key) / sizeof(a->key[0]))
		return out_usage(o, "too many arguments");
	for (i = 0; i < m->n_args; i++) {
		const ProtobufCBinaryData *v = &m->args[i]->value;
		/* Every argument is text, read as a C string: a NUL would cut
		 * off what follows it unseen (a title stored short, a text whose
		 * tail is shown but never hashed). */
		if (v->len > 0 && memchr(v->data, '\0', v->len) != NULL) {
			args_free(a);
			return out_usage(o, "argument %s holds a NUL byte", m->args[i]->key);
		}
		/* and text is UTF-8: what is refused is never echoed raw into
		 * an answer that must be UTF-8 itself */
		if (!text_utf8_valid((const char *)v->data, v->len)) {
			args_free(a);
			return out_usage(o, "%s is not valid UTF-8", arg_name(m->args[i]->key));
		}
		if ((a->val[i] = malloc(v->len + 1)) == NULL) {
			args_free(a);
			return out_refuse(o, "out of memory");
		}
		if (v->len > 0)
			memcpy(a->val[i], v->data, v->len);
		a->val[i][v->len] = '\0';
		a->len[i] = v->len;
		a->key[i] = m->args[i]->key;
		a->n++;
	}
	return 0;
}

static void
admin_request(struct admin_conn *ac, const Parley__Frame *f)
{
	struct server *srv = ac->srv;
	Parley__Frame rf = PARLEY__FRAME__INIT;
	Parley__AdminReply rep = PARLEY__ADMIN_REPLY__INIT;
	const Parley__AdminRequest *m = f->admin;
	const struct verb *v = NULL;
	struct jw *ej = NULL;
	struct args a = { 0 };
	struct out o;
	size_t i, len;
	char *text = NULL;
	int keep = 0, begun = 0;

	if (out_init(&o) != 0) {
		conn_error(ac->conn, f->id, PARLEY_EREFUSED, "out of memory");
		return;
	}
	/* The reply carries both: together they must fit what the connection
	 * may hold queued.  Past that the answer stops growing and is refused
	 * (turn_reply refuses what is still too long with the frame's own
	 * bytes). */
	out_set_limit(&o, conn_max_output(ac->conn));
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i].name, m->verb) == 0)
			v = &verbs[i];
	if (v == NULL) {
		out_usage(&o, "unknown verb \"%s\"", m->verb);
	} else if (args_load(m, &a, &o) == 0) {
		if (turn_request_begin(srv->turn) != 0) {
			out_refuse(&o, "store unavailable: %s", store_errmsg(srv->st));
		} else {
			begun = 1;
			keep = v->fn(srv, &a, &o, &rep) == 0 && o.status == 0;
		}
	}
	args_free(&a);
	jw_obj_end(o.json);
	if (o.status == 0 && out_full(&o)) {
		keep = 0;
		out_refuse(&o, "the answer would be more than the %zu bytes this connection may "
		    "carry; nothing was changed: ask for less (parleyctl(8) says how, verb "
		    "by verb)", conn_max_output(ac->conn));
	}
	if (o.status == 0) {
		len = evbuffer_get_length(o.text);
		if ((text = malloc(len + 1)) != NULL) {
			evbuffer_copyout(o.text, text, len);
			text[len] = '\0';
		}
		/* An answer cut short is no answer: refuse, and keep nothing. */
		if (text == NULL || o.lost || jw_failed(o.json)) {
			keep = 0;
			out_refuse(&o, "out of memory writing the answer; nothing was saved, "
			    "try again");
		}
	}
	rep.status = (uint32_t)o.status;
	if (o.status != 0) {
		if ((ej = jw_new()) != NULL) {
			jw_obj_begin(ej, NULL);
			jw_str(ej, "error", o.error);
			jw_obj_end(ej);
		}
		rep.json = ej != NULL && !jw_failed(ej) ? (char *)jw_text(ej) :
		    "{\"error\":\"out of memory\"}";
		rep.text = o.error;
		log_info("admin: %s: refused: %s", m->verb, o.error);
	} else {
		rep.text = text;
		rep.json = (char *)jw_text(o.json);
		/* what changed something, not every look (a console asks its
		 * pages' verbs every 2 s) */
		if (v != NULL && strstr(v->name, "list") == NULL && strcmp(v->name, "status") &&
		    strstr(v->name, "show") == NULL && strcmp(v->name, "agenda") &&
		    strcmp(v->name, "duty") && strcmp(v->name, "journal verify"))
			log_info("admin: %s done", m->verb);
	}
	rf.id = f->id;
	rf.body_case = PARLEY__FRAME__BODY_ADMIN_REPLY;
	rf.admin_reply = &rep;
	turn_reply(srv->turn, ac->conn, &rf);
	/* After the reply is queued: one that cannot be rolls the request back. */
	if (begun)
		turn_request_end(srv->turn, keep);
	engine_bundle_free(rep.bundle);
	free(text);
	jw_free(ej);
	out_release(&o);
}

/* The record's entries from seq ac->watch_from on (at most WATCH_BATCH,
 * and what the connection may carry) as the answer to the parked watch: a
 * line for a person each in text, a JSON object a line in json, which ends
 * with the line {"next":N}, the entry to ask from next.  Sent now, outside
 * any turn: it reads what is committed and changes nothing. */
static void
watch_answer(struct admin_conn *ac)
{
	/* committed entries only: a batch still open may roll back */
	static const char sql[] = "SELECT seq, entry FROM journal WHERE seq >= ? AND seq < ? "
	    "ORDER BY seq LIMIT ?";
	struct server *srv = ac->srv;
	Parley__Frame rf = PARLEY__FRAME__INIT;
	Parley__AdminReply rep = PARLEY__ADMIN_REPLY__INIT;
	int64_t next = ac->watch_from;
	size_t budget = conn_max_output(ac->conn) / 2, jl = 0, tl = 0;
	sqlite3_stmt *s = store_stmt(srv->st, sql);
	char *jb = NULL, *tb = NULL;
	FILE *js = open_memstream(&jb, &jl), *tx = open_memstream(&tb, &tl);
	int step = SQLITE_DONE, bad = s == NULL || js == NULL || tx == NULL;

	ac->watching = 0;
	event_del(ac->watch_ev);
	if (!bad) {
		sqlite3_bind_int64(s, 1, ac->watch_from);
		sqlite3_bind_int64(s, 2, journal_committed(srv->journal));
		sqlite3_bind_int(s, 3, WATCH_BATCH);
		while ((step = sqlite3_step(s)) == SQLITE_ROW) {
			const char *e = sqlite3_column_blob(s, 1);
			size_t len = (size_t)sqlite3_column_bytes(s, 1);
			/* an entry shown twice over, with room to spare */
			if (ftell(js) + ftell(tx) + 3 * (long)len + 256 > (long)budget &&
			    next > ac->watch_from)
				break;
			if (e == NULL || journal_event(e, len, js, tx) != 0) {
				bad = 1;
				break;
			}
			next = sqlite3_column_int64(s, 0) + 1;
		}
		if (store_rows_end(srv->st, s, step == SQLITE_ROW ? SQLITE_DONE : step,
		    "the journal") != 0)
			bad = 1;
		fprintf(js, "{\"next\":%lld}\n", (long long)next);
	}
	if (js != NULL && fclose(js) != 0)
		bad = 1;
	if (tx != NULL && fclose(tx) != 0)
		bad = 1;
	if (bad) {
		conn_error(ac->conn, ac->watch_id, PARLEY_ESTORE, "store failure reading the "
		    "journal");
	} else {
		rep.status = 0;
		rep.text = tb;
		rep.json = jb;
		rf.id = ac->watch_id;
		rf.body_case = PARLEY__FRAME__BODY_ADMIN_REPLY;
		rf.admin_reply = &rep;
		if (conn_send(ac->conn, &rf) != 0)
			conn_close(ac->conn, 0);
	}
	free(jb);
	free(tb);
}

static void
watch_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	watch_answer(arg);
}

void
admin_watch_wake(struct server *srv)
{
	struct admin_conn *ac, *next;
	int64_t size = srv->journal ? journal_committed(srv->journal) : 0;

	for (ac = srv->admin_conns; ac != NULL; ac = next) {
		next = ac->next;
		if (ac->watching && size > ac->watch_from)
			watch_answer(ac);
	}
}

/* parleyctl watch: the record's entries from --from on, answered as soon
 * as there is one, or empty after --wait seconds; without --from, an empty
 * answer at once that says where the record stands. */
static void
admin_watch(struct admin_conn *ac, const Parley__Frame *f)
{
	const Parley__AdminRequest *m = f->admin;
	int64_t from = -1, wait = 20, size;
	struct timeval tv;
	char *end;
	size_t i;

	if (ac->srv->journal == NULL) {
		conn_error(ac->conn, f->id, PARLEY_EREFUSED, "this parleyd keeps no journal");
		return;
	}
	if (ac->watching) {
		conn_error(ac->conn, f->id, PARLEY_EUSAGE, "a watch is already waiting on this "
		    "connection");
		return;
	}
	for (i = 0; i < m->n_args; i++) {
		const ProtobufCBinaryData *v = &m->args[i]->value;
		char buf[24];
		int64_t *dst = strcmp(m->args[i]->key, "from") == 0 ? &from :
		    strcmp(m->args[i]->key, "wait") == 0 ? &wait : NULL;
		if (dst == NULL || v->len == 0 || v->len >= sizeof(buf)) {
			conn_error(ac->conn, f->id, PARLEY_EUSAGE, "watch takes --from SEQ and "
			    "--wait SECONDS");
			return;
		}
		memcpy(buf, v->data, v->len);
		buf[v->len] = '\0';
		*dst = strtoll(buf, &end, 10);
		if (*end != '\0' || *dst < 0 || (dst == &wait && (*dst < 1 ||
		    *dst > WATCH_WAIT_MAX))) {
			conn_error(ac->conn, f->id, PARLEY_EUSAGE, "watch: --from takes a record "
			    "entry number, --wait 1 to %d seconds", WATCH_WAIT_MAX);
			return;
		}
	}
	size = journal_committed(ac->srv->journal);
	ac->watch_id = f->id;
	ac->watch_from = from < 0 ? size : from;
	ac->watching = 1;
	if (ac->watch_ev == NULL &&
	    (ac->watch_ev = evtimer_new(ac->srv->base, watch_timeout, ac)) == NULL) {
		ac->watching = 0;
		conn_error(ac->conn, f->id, PARLEY_EREFUSED, "out of memory");
		return;
	}
	/* Asked from "now": where now is, at once, so that a watch whose
	 * connection drops before the next event asks from there again and
	 * misses nothing. */
	if (size > ac->watch_from || from < 0) {
		watch_answer(ac);
		return;
	}
	tv.tv_sec = wait;
	tv.tv_usec = 0;
	evtimer_add(ac->watch_ev, &tv);
}

static int
admin_frame(void *ctx, const Parley__Frame *f)
{
	struct admin_conn *ac = ctx;
	Parley__Frame r = PARLEY__FRAME__INIT;
	Parley__Welcome w = PARLEY__WELCOME__INIT;

	if (ac->refused != NULL) {
		conn_fail(ac->conn, f->id, PARLEY_EAUTH, "admin socket: %s", ac->refused);
		return 0;
	}
	/* The store of record is behind: the request runs once it is level. */
	if (turn_busy(ac->srv->turn)) {
		turn_wait(ac->srv->turn, ac->conn);
		return 1;
	}
	turn_request_arrived(ac->srv->turn, ac->ready && f->body_case == PARLEY__FRAME__BODY_ADMIN ?
	    f->admin->verb : frame_body_name(f));
	if (!ac->ready) {
		if (f->body_case != PARLEY__FRAME__BODY_HELLO ||
		    f->hello->version != PARLEY_PROTOCOL_VERSION) {
			conn_fail(ac->conn, f->id, PARLEY_EVERSION,
			    "expected hello with protocol version %d", PARLEY_PROTOCOL_VERSION);
			return 0;
		}
		ac->ready = 1;
		conn_established(ac->conn);
		w.version = PARLEY_PROTOCOL_VERSION;
		r.id = f->id;
		r.body_case = PARLEY__FRAME__BODY_WELCOME;
		r.welcome = &w;
		turn_reply(ac->srv->turn, ac->conn, &r);
		return 0;
	}
	if (f->body_case != PARLEY__FRAME__BODY_ADMIN) {
		conn_fail(ac->conn, f->id, PARLEY_EPROTO, "unexpected %s frame on the admin socket",
		    frame_body_name(f));
		return 0;
	}
	if (strcmp(f->admin->verb, "watch") == 0)
		admin_watch(ac, f);
	else
		admin_request(ac, f);
	return 0;
}

static void
admin_closed(void *ctx)
{
	struct admin_conn *ac = ctx;

	if (ac->prev != NULL)
		ac->prev->next = ac->next;
	else
		ac->srv->admin_conns = ac->next;
	if (ac->next != NULL)
		ac->next->prev = ac->prev;
	if (ac->srv->stopping && ac->srv->admin_conns == NULL && ac->srv->sessions == NULL)
		event_base_loopbreak(ac->srv->base);	/* every reply is out */
	if (ac->refused != NULL)
		ac->srv->admin_refused_open--;
	if (ac->watch_ev != NULL)
		event_free(ac->watch_ev);
	free(ac->refused);
	free(ac);
}

static void
admin_noop(void *ctx)
{
	(void)ctx;
}

static const struct conn_ops admin_ops = {
	.ready = admin_noop,
	.frame = admin_frame,
	.drained = NULL,
	.closed = admin_closed,
};

/* The peer's groups: its primary one from SO_PEERCRED, its supplementary
 * ones from SO_PEERGROUPS (Linux 4.13), so that a user added to admin_group
 * with usermod -aG is let in as one whose primary group it is. */
static int
peer_in_group(int fd, gid_t primary, gid_t want)
{
	gid_t small[64], *groups = small;
	socklen_t len = sizeof(small);
	size_t i, n;
	int in = 0;

	if (primary == want)
		return 1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0) {
		if (errno != ERANGE || (groups = malloc(len)) == NULL)
			return 0;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0) {
			free(groups);
			return 0;
		}
	}
	n = len / sizeof(gid_t);
	for (i = 0; i < n && !in; i++)
		in = groups[i] == want;
	if (groups != small)
		free(groups);
	return in;
}

/* 1: root, parleyd's own user, or a member of admin_group.  0 with why. */
static int
peer_allowed(struct server *srv, int fd, char *why, size_t whylen)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct group *g = NULL;
	uint64_t dropped;
	int grouped = srv->cfg.admin_group != NULL && *srv->cfg.admin_group != '\0';

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		snprintf(why, whylen, "the peer's credentials cannot be read");
		return 0;
	}
	if (cred.uid == 0 || cred.uid == geteuid())
		return 1;
	if (grouped && (g = getgrnam(srv->cfg.admin_group)) != NULL &&
	    peer_in_group(fd, cred.gid, g->gr_gid))
		return 1;
	snprintf(why, whylen, "uid %u is not root, not parleyd's user%s%s%s", (unsigned)cred.uid,
	    grouped ? " and not in admin_group " : "", grouped ? srv->cfg.admin_group : "",
	    grouped ? "" : " (no admin_group is set)");
	/* A line a minute at most: a local user who reaches the socket (its
	 * mode widened by hand) must not fill the log. */
	if (log_budget_take(&srv->admin_refusals, 1, &dropped))
		log_warnx("admin: refused peer uid %u gid %u: %s%s", (unsigned)cred.uid,
		    (unsigned)cred.gid, why, dropped > 0 ?
		    " (and more refusals since the last such line)" : "");
	return 0;
}

static void
admin_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct server *srv = arg;
	struct conn_limits lim = { 0 };
	struct bufferevent *bev;
	struct admin_conn *ac;
	char why[200];
	int allowed;

	(void)l;
	(void)sa;
	(void)salen;
	allowed = peer_allowed(srv, fd, why, sizeof(why));
	/* Refused peers waiting to be told why: a few at once, the rest are
	 * closed unanswered (they cannot hold parleyd's descriptors). */
	if (!allowed && srv->admin_refused_open >= ADMIN_REFUSED_MAX) {
		evutil_closesocket(fd);
		return;
	}
	if ((ac = calloc(1, sizeof(*ac))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	if ((bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(ac);
		evutil_closesocket(fd);
		return;
	}
	lim.max_frame = (size_t)srv->cfg.max_frame;
	lim.decode_budget = (size_t)srv->cfg.decode_budget;
	lim.max_output = (size_t)srv->cfg.max_queued_output + (size_t)srv->cfg.max_frame;
	lim.handshake_timeout = (int)srv->cfg.handshake_timeout;
	lim.frame_timeout = (int)srv->cfg.frame_timeout;
	lim.idle_timeout = (int)srv->cfg.idle_timeout;
	lim.bad_frames = &srv->metrics.frames_bad;
	ac->srv = srv;
	if ((ac->conn = conn_new(bev, 0, &lim, &admin_ops, ac, "admin")) == NULL) {
		bufferevent_free(bev);
		free(ac);
		return;
	}
	if ((ac->next = srv->admin_conns) != NULL)
		ac->next->prev = ac;
	srv->admin_conns = ac;
	/* Refused with the reason, in answer to its first frame (the Hello),
	 * rather than a close the client would report as a broken pipe; the
	 * handshake deadline bounds how long it may take to send one. */
	if (!allowed && (ac->refused = strdup(why)) == NULL)
		conn_close(ac->conn, 0);
	else if (!allowed)
		srv->admin_refused_open++;
}

static void
admin_relisten(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	if (srv->admin_listener != NULL)
		evconnlistener_enable(srv->admin_listener);
}

/* Out of descriptors or memory: accept() would fail at once every time the
 * socket is readable.  Rest instead of spinning, and listen again soon. */
static void
admin_accept_error(struct evconnlistener *l, void *arg)
{
	struct server *srv = arg;
	struct timeval tv = { 1, 0 };

	log_warn("admin socket: accept");
	evconnlistener_disable(l);
	evtimer_add(srv->admin_retry, &tv);
}

int
admin_listen(struct server *srv, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	const char *p = srv->cfg.admin_socket;
	struct group *g = NULL;
	mode_t old;
	int grouped = srv->cfg.admin_group && *srv->cfg.admin_group;

	if (strlen(p) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "admin_socket path is too long: %s", p);
		return -1;
	}
	if (grouped && (g = getgrnam(srv->cfg.admin_group)) == NULL) {
		snprintf(err, errlen, "admin_group %s does not exist", srv->cfg.admin_group);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, p, strlen(p));
	unlink(p);	/* a stale socket from an earlier run */
	old = umask(grouped ? 0117 : 0177);
	srv->admin_listener = evconnlistener_new_bind(srv->base, admin_accept, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (srv->admin_listener == NULL) {
		snprintf(err, errlen, "cannot bind admin socket %s: %s", p, strerror(errno));
		return -1;
	}
	if (grouped && (chown(p, (uid_t)-1, g->gr_gid) != 0 || chmod(p, 0660) != 0)) {
		snprintf(err, errlen, "cannot give %s to group %s: %s", p, srv->cfg.admin_group,
		    strerror(errno));
		return -1;
	}
	if ((srv->admin_retry = evtimer_new(srv->base, admin_relisten, srv)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	evconnlistener_set_error_cb(srv->admin_listener, admin_accept_error);
	log_info("admin socket %s (mode %s)", p, grouped ? "0660" : "0600");
	return 0;
}

void
admin_close_conns(struct server *srv, int flush)
{
	struct admin_conn *ac;

	for (ac = srv->admin_conns; ac != NULL; ac = ac->next)
		conn_close(ac->conn, flush);
}

void
admin_close(struct server *srv)
{
	if (srv->admin_retry != NULL) {
		event_free(srv->admin_retry);
		srv->admin_retry = NULL;
	}
	if (srv->admin_listener != NULL) {
		evconnlistener_free(srv->admin_listener);
		srv->admin_listener = NULL;
		unlink(srv->cfg.admin_socket);
	}
}
