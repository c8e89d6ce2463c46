/* Letters between the parties and the mediator; see letter.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "crypto.h"
#include "errors.h"
#include "letter.h"
#include "log.h"
#include "ptime.h"
#include "text.h"
#include "texts.h"

#define MEDIATOR "mediator"

struct rcpt {
	int64_t party;			/* 0: the mediator */
	char code[PARTY_CODE_MAX + 1];	/* or "mediator" */
	int cc;
};

/* A letter checked and ready to post. */
struct draft {
	int64_t sender;			/* 0: the mediator */
	char sender_code[PARTY_CODE_MAX + 1];
	struct rcpt r[LETTER_RECIPIENTS_MAX + 1];	/* and the mediator's copy */
	size_t n;
	const char *subject;
	char *text;			/* normalised, owned */
	int urgent;
	int64_t quota_used;		/* a party's letters of the last 24 h */
};

/* Add name (a party code, "mediator", or for the mediator's "to" "all")
 * to d.  0, or -1 with the reason in why (rc 1: refused, -1: the store). */
static int
add_name(struct ag_ctx *e, struct draft *d, const char *name, int cc, char *why, size_t whylen,
    int *rc)
{
	static const char all[] = "SELECT id FROM party ORDER BY id";
	struct party p;
	int64_t *ids = NULL;
	size_t n = 0, i;
	sqlite3_stmt *s;
	int found;

	*rc = 1;
	if (d->sender == 0 && !cc && strcmp(name, "all") == 0) {
		if ((s = store_stmt(e->st, all)) == NULL ||
		    store_ids(e->st, s, "the parties", &ids, &n) != 0) {
			*rc = -1;
			return -1;
		}
		for (i = 0; i < n; i++) {
			char code[PARTY_CODE_MAX + 1];
			if (registry_party_code(e->st, ids[i], code) != 0) {
				free(ids);
				*rc = -1;
				return -1;
			}
			/* its refusal (named twice, too many) is the letter's */
			if (add_name(e, d, code, 0, why, whylen, rc) != 0) {
				free(ids);
				return -1;
			}
		}
		free(ids);
		if (n == 0) {
			snprintf(why, whylen, "no party is registered");
			return -1;
		}
		return 0;
	}
	if (strcmp(name, MEDIATOR) == 0) {
		p.id = 0;
		snprintf(p.code, sizeof(p.code), "%s", MEDIATOR);
	} else if (!ident_valid(name)) {
		snprintf(why, whylen, "\"%.40s\" is not a party code (nor \"mediator\")", name);
		return -1;
	} else if ((found = registry_party_by_code(e->st, name, &p)) != 0) {
		if (found < 0)
			*rc = -1;
		snprintf(why, whylen, "unknown party \"%s\"", name);
		return -1;
	}
	if (p.id == d->sender) {
		snprintf(why, whylen, "%s cannot write to itself", d->sender_code);
		return -1;
	}
	for (i = 0; i < d->n; i++)
		if (d->r[i].party == p.id) {
			snprintf(why, whylen, "%s is named twice (an addressee or a copy, once)",
			    p.code);
			return -1;
		}
	if (d->n == LETTER_RECIPIENTS_MAX) {
		snprintf(why, whylen, "at most %d addressees and copies", LETTER_RECIPIENTS_MAX);
		return -1;
	}
	d->r[d->n].party = p.id;
	snprintf(d->r[d->n].code, sizeof(d->r[0].code), "%s", p.code);
	d->r[d->n++].cc = cc;
	return 0;
}

/* The subject and text of d, checked; the text normalised into d->text. */
static int
check_body(struct draft *d, const char *subject, const char *text, size_t len, char *why,
    size_t whylen, int *oom)
{
	*oom = 0;
	if (!cert_shown_valid(subject, LETTER_SUBJECT_MAX)) {
		snprintf(why, whylen, "the subject must be one line of at most %d bytes of UTF-8, "
		    "without control characters (tab included)", LETTER_SUBJECT_MAX);
		return -1;
	}
	d->subject = subject;
	if ((d->text = texts_check(text, len, why, whylen, oom)) == NULL)
		return -1;
	return 0;
}

/* "a, b" of the recipients that are (not) copies. */
static void
names(const struct draft *d, int cc, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < d->n && off < len; i++)
		if (d->r[i].cc == cc)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
			    d->r[i].code);
}

/* Store, deliver and journal d: 0 with *id, or -1 (the store). */
static int
post(struct ag_ctx *e, struct draft *d, int64_t *id)
{
	static const char ins[] = "INSERT INTO letter(sender_id, subject, text, urgent, created_at)"
	    " VALUES(?, ?, ?, ?, ?)";
	static const char rin[] = "INSERT INTO letter_recipient(letter_id, party_id, cc, "
	    "message_id) VALUES(?, ?, ?, ?)";
	Parley__Payload p = PARLEY__PAYLOAD__INIT;
	Parley__Letter l = PARLEY__LETTER__INIT;
	char *to[LETTER_RECIPIENTS_MAX + 1], *cc[LETTER_RECIPIENTS_MAX + 1];
	char summary[300], tos[600], ccs[600];
	int64_t now = clock_now(e->clk), mid;
	sqlite3_stmt *s;
	uint8_t h[32];
	size_t i;

	if ((s = store_stmt(e->st, ins)) == NULL)
		return -1;
	if (d->sender)
		sqlite3_bind_int64(s, 1, d->sender);
	sqlite3_bind_text(s, 2, d->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, d->text, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, d->urgent);
	sqlite3_bind_int64(s, 5, now);
	if (store_step_insert(e->st, s, id) != 0)
		return -1;
	l.id = (uint64_t)*id;
	l.sender = d->sender_code;
	for (i = 0; i < d->n; i++) {
		if (d->r[i].cc)
			cc[l.n_cc++] = d->r[i].code;
		else
			to[l.n_to++] = d->r[i].code;
	}
	l.to = to;
	l.cc = cc;
	l.subject = (char *)d->subject;
	l.text = d->text;
	l.urgent = d->urgent != 0;
	l.sent_at = now;
	p.body_case = PARLEY__PAYLOAD__BODY_LETTER;
	p.letter = &l;
	snprintf(summary, sizeof(summary), "%sletter %lld from %s: %.200s", d->urgent ?
	    "URGENT " : "", (long long)*id, d->sender_code, *d->subject ? d->subject :
	    "(no subject)");
	names(d, 0, tos, sizeof(tos));
	names(d, 1, ccs, sizeof(ccs));
	crypto_sha256(d->text, strlen(d->text), h);
	for (i = 0; i < d->n; i++) {
		mid = 0;
		if (d->r[i].party != 0 && delivery_enqueue(e->dlv, &d->r[i].party, 1, "letter", 0,
		    summary, &p, &mid) != 0)
			return -1;
		if ((s = store_stmt(e->st, rin)) == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, *id);
		if (d->r[i].party != 0)
			sqlite3_bind_int64(s, 2, d->r[i].party);
		sqlite3_bind_int(s, 3, d->r[i].cc);
		if (mid != 0)
			sqlite3_bind_int64(s, 4, mid);
		if (store_step_done(e->st, s) != 0)
			return -1;
		/* Each party it reaches finds it in its own record. */
		if (d->r[i].party != 0 && ag_journal(e, "letter", 0, d->r[i].code,
		    (const uint8_t (*)[32])h, 1, "letter %lld from %s to %.200s%s%.200s%s",
		    (long long)*id, d->sender_code, tos, *ccs ? "; cc " : "", ccs,
		    d->urgent ? " (urgent)" : "") != 0)
			return -1;
	}
	if (d->sender != 0 && ag_journal(e, "letter", 0, d->sender_code,
	    (const uint8_t (*)[32])h, 1, "letter %lld sent by %s to %.200s%s%.200s%s",
	    (long long)*id, d->sender_code, tos, *ccs ? "; cc " : "", ccs,
	    d->urgent ? " (urgent)" : "") != 0)
		return -1;
	if (d->urgent)
		log_warnx("urgent letter %lld from %s to %s%s%s: %s", (long long)*id,
		    d->sender_code, tos, *ccs ? "; cc " : "", ccs, d->subject);
	else
		log_info("letter %lld from %s to %s%s%s: %s", (long long)*id, d->sender_code, tos,
		    *ccs ? "; cc " : "", ccs, d->subject);
	return 0;
}

/* What a letter stores for each recipient besides its text and subject:
 * its message, delivery and recipient rows, the payload naming every
 * addressee, a journal entry.  Counted so that many tiny letters cost what
 * they store. */
#define LETTER_OVERHEAD 1024

static int64_t
letter_cost(size_t subject, size_t text, size_t recipients)
{
	return (int64_t)((subject + text + LETTER_OVERHEAD) * recipients);
}

/* A party's letters are stored once for each recipient: in any 24 hours,
 * at most [limits] letter_bytes_per_day of them, this one included, so
 * that no party can fill the mediator's disk.  0 within, 1 over (the
 * bytes already used in d->quota_used), -1 store failure. */
static int
within_quota(struct ag_ctx *e, struct draft *d)
{
	static const char sql[] =
	    "SELECT coalesce(sum((length(CAST(l.text AS BLOB)) + length(CAST(l.subject AS BLOB))"
	    " + ?3) * (SELECT count(*) FROM letter_recipient r WHERE r.letter_id = l.id)), 0) "
	    "FROM letter l WHERE l.sender_id = ?1 AND l.created_at > ?2";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, d->sender);
	sqlite3_bind_int64(s, 2, clock_now(e->clk) - 24 * 3600);
	sqlite3_bind_int64(s, 3, LETTER_OVERHEAD);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		d->quota_used = sqlite3_column_int64(s, 0);
	if (store_rows_end(e->st, s, rc, "a party's letters") != 0)
		return -1;
	return d->quota_used + letter_cost(strlen(d->subject), strlen(d->text), d->n) >
	    e->letter_bytes_per_day;
}

enum req_end
letter_send_party(struct ag_ctx *e, const struct req *r, const Parley__LetterSend *m)
{
	struct draft *d;
	char why[200] = "", tos[600], ccs[600];
	int64_t id;
	size_t i;
	int rc = 0, oom;
	enum req_end end;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return req_refuse(r, PARLEY_ESTORE, "out of memory");
	d->sender = r->who->party.id;
	snprintf(d->sender_code, sizeof(d->sender_code), "%s", r->who->party.code);
	d->urgent = m->urgent;
	if (m->n_to == 0) {
		end = req_refuse(r, PARLEY_EUSAGE, "a letter needs an addressee (--to)");
		goto done;
	}
	for (i = 0; i < m->n_to + m->n_cc; i++)
		if (add_name(e, d, i < m->n_to ? m->to[i] : m->cc[i - m->n_to], i >= m->n_to, why,
		    sizeof(why), &rc) != 0)
			break;
	if (i < m->n_to + m->n_cc) {
		end = req_refuse(r, rc < 0 ? PARLEY_ESTORE : PARLEY_EUSAGE, "letter refused: %s",
		    rc < 0 ? "store failure" : why);
		goto done;
	}
	/* The mediator holds a copy of every letter between parties. */
	for (i = 0; i < d->n && d->r[i].party != 0; i++)
		;
	if (i == d->n) {
		d->r[d->n].party = 0;
		snprintf(d->r[d->n].code, sizeof(d->r[0].code), "%s", MEDIATOR);
		d->r[d->n++].cc = 1;
	}
	if (check_body(d, m->subject, m->text, strlen(m->text), why, sizeof(why), &oom) != 0) {
		end = req_refuse(r, oom ? PARLEY_ESTORE : PARLEY_EUSAGE, "letter refused: %s", why);
		goto done;
	}
	if ((rc = within_quota(e, d)) != 0) {
		end = rc < 0 ? req_refuse(r, PARLEY_ESTORE, "store failure") :
		    req_refuse(r, PARLEY_EREFUSED, "letter refused: %s has sent %lld bytes of "
		    "letters in the last 24 hours (each counted once for each addressee and "
		    "copy, with 1 KiB for what each copy stores besides its text), and this one "
		    "would pass the limit of %lld; send it later, to fewer, or ask the mediator", d->sender_code, (long long)d->quota_used,
		    (long long)e->letter_bytes_per_day);
		goto done;
	}
	if (post(e, d, &id) != 0) {
		end = req_refuse(r, PARLEY_ESTORE, "store failure");
		goto done;
	}
	names(d, 0, tos, sizeof(tos));
	names(d, 1, ccs, sizeof(ccs));
	end = req_ok(r, (uint64_t)id, "letter %lld sent to %s%s%s", (long long)id, tos,
	    *ccs ? "; copies to " : "", ccs);
done:
	free(d->text);
	free(d);
	return end;
}

/* Each name of the comma list into d.  0, or -1 refused in o. */
static int
add_list(struct ag_ctx *e, struct draft *d, const char *list, int cc, struct out *o)
{
	char name[PARTY_CODE_MAX + 2], why[200];
	const char *p = list, *q;
	size_t n;
	int rc;

	for (;;) {
		q = strchr(p, ',');
		n = q ? (size_t)(q - p) : strlen(p);
		if (n == 0 || n >= sizeof(name))
			return out_usage(o, "--%s takes party codes (or mediator%s) separated by "
			    "commas", cc ? "cc" : "to", cc ? "" : ", or all");
		memcpy(name, p, n);
		name[n] = '\0';
		if (add_name(e, d, name, cc, why, sizeof(why), &rc) != 0)
			return rc < 0 ? out_refuse(o, "store failure") : out_usage(o, "%s", why);
		if (q == NULL)
			return 0;
		p = q + 1;
	}
}

int
letter_send_mediator(struct ag_ctx *e, const char *to, const char *cc, const char *subject,
    const char *text, size_t len, int urgent, int64_t *sent, struct out *o)
{
	struct draft *d;
	char why[200], tos[600], ccs[600];
	int64_t id;
	int rc = -1, oom;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return out_refuse(o, "out of memory");
	snprintf(d->sender_code, sizeof(d->sender_code), "%s", MEDIATOR);
	d->urgent = urgent;
	if (add_list(e, d, to, 0, o) != 0 || (cc != NULL && add_list(e, d, cc, 1, o) != 0))
		goto done;
	if (check_body(d, subject ? subject : "", text, len, why, sizeof(why), &oom) != 0) {
		rc = oom ? out_refuse(o, "%s", why) : out_usage(o, "%s", why);
		goto done;
	}
	if (post(e, d, &id) != 0) {
		rc = out_refuse(o, "store failure: %s", store_errmsg(e->st));
		goto done;
	}
	names(d, 0, tos, sizeof(tos));
	names(d, 1, ccs, sizeof(ccs));
	jw_int(o->json, "id", id);
	out_text(o, "letter %lld sent to %s%s%s\n", (long long)id, tos, *ccs ? "; copies to " : "",
	    ccs);
	if (sent != NULL)
		*sent = id;
	rc = 0;
done:
	free(d->text);
	free(d);
	return rc;
}

/* The recipients of letter id as JSON arrays "to" and "cc" and text
 * lines; with receipts (each endpoint's acknowledgement) when full. */
static int
show_recipients(struct ag_ctx *e, int64_t id, int full, struct out *o)
{
	static const char sql[] =
	    "SELECT ifnull(p.code, 'mediator'), r.cc, r.message_id, d.endpoint_id, d.acked_at "
	    "FROM letter_recipient r LEFT JOIN party p ON p.id = r.party_id "
	    "LEFT JOIN delivery d ON d.message_id = r.message_id "
	    "WHERE r.letter_id = ? AND r.cc = ? ORDER BY r.rowid, d.endpoint_id";
	char when[PTIME_BUFLEN], last[PARTY_CODE_MAX + 1];
	sqlite3_stmt *s;
	int cc, rc = SQLITE_DONE, open;

	for (cc = 0; cc < 2; cc++) {
		if ((s = store_stmt(e->st, sql)) == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int(s, 2, cc);
		jw_arr_begin(o->json, cc ? "cc" : "to");
		last[0] = '\0';
		open = 0;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			const char *code = store_col_str(s, 0);
			if (strcmp(code, last) != 0) {
				if (open) {
					jw_arr_end(o->json);
					jw_obj_end(o->json);
				}
				snprintf(last, sizeof(last), "%s", code);
				jw_obj_begin(o->json, NULL);
				jw_str(o->json, "party", code);
				jw_arr_begin(o->json, "receipts");
				open = 1;
				out_text(o, full ? "  %s %s\n" : " %s %s", cc ? "cc" : "to", code);
			}
			if (sqlite3_column_type(s, 3) == SQLITE_NULL)
				continue;
			jw_obj_begin(o->json, NULL);
			jw_int(o->json, "endpoint", sqlite3_column_int64(s, 3));
			if (sqlite3_column_type(s, 4) != SQLITE_NULL) {
				ptime_format_in(store_col_time(s, 4), "", when);
				jw_str(o->json, "acked_at", when);
			} else {
				jw_null(o->json, "acked_at");
			}
			jw_obj_end(o->json);
			if (full)
				out_text(o, "      endpoint %lld: %s%s\n",
				    (long long)sqlite3_column_int64(s, 3),
				    sqlite3_column_type(s, 4) != SQLITE_NULL ? "acked " : "pending",
				    sqlite3_column_type(s, 4) != SQLITE_NULL ? when : "");
		}
		if (open) {
			jw_arr_end(o->json);
			jw_obj_end(o->json);
		}
		jw_arr_end(o->json);
		if (store_rows_end(e->st, s, rc, "a letter's recipients") != 0)
			return -1;
	}
	return 0;
}

int
letter_list(struct ag_ctx *e, int64_t last, const char *party, struct out *o)
{
	static const char sql[] =
	    "SELECT l.id, ifnull(p.code, 'mediator'), l.subject, l.urgent, l.created_at "
	    "FROM letter l LEFT JOIN party p ON p.id = l.sender_id "
	    "WHERE (?1 IS NULL OR ifnull(p.code, 'mediator') = ?1 OR EXISTS (SELECT 1 FROM "
	    "letter_recipient r LEFT JOIN party q ON q.id = r.party_id WHERE r.letter_id = l.id "
	    "AND ifnull(q.code, 'mediator') = ?1)) ORDER BY l.id DESC LIMIT ?2";
	char when[PTIME_BUFLEN];
	sqlite3_stmt *s;
	int rc = SQLITE_DONE;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0, i;

	if ((s = store_stmt(e->st, sql)) == NULL)
		return out_refuse(o, "store failure");
	if (party != NULL)
		sqlite3_bind_text(s, 1, party, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, last > 0 ? last : -1);
	/* Newest first from the store, shown oldest first. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			int64_t *nv = realloc(ids, (cap = cap ? 2 * cap : 64) * sizeof(*ids));
			if (nv == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			ids = nv;
		}
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	if (store_rows_end(e->st, s, rc, "the letters") != 0) {
		free(ids);
		return out_refuse(o, "store failure");
	}
	jw_arr_begin(o->json, "letters");
	for (i = n; i-- > 0 && !out_full(o);) {
		static const char one[] =
		    "SELECT ifnull(p.code, 'mediator'), l.subject, l.urgent, l.created_at "
		    "FROM letter l LEFT JOIN party p ON p.id = l.sender_id WHERE l.id = ?";
		if ((s = store_stmt(e->st, one)) == NULL)
			break;
		sqlite3_bind_int64(s, 1, ids[i]);
		if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
			(void)store_rows_end(e->st, s, rc, "a letter");
			break;
		}
		ptime_format_in(store_col_time(s, 3), "", when);
		jw_obj_begin(o->json, NULL);
		jw_int(o->json, "id", ids[i]);
		jw_str(o->json, "from", store_col_str(s, 0));
		jw_str(o->json, "subject", store_col_str(s, 1));
		jw_bool(o->json, "urgent", sqlite3_column_int(s, 2));
		jw_str(o->json, "sent_at", when);
		out_text(o, "letter %lld %s from %s%s: %s\n   ", (long long)ids[i], when,
		    store_col_str(s, 0), sqlite3_column_int(s, 2) ? " (URGENT)" : "",
		    *store_col_str(s, 1) ? store_col_str(s, 1) : "(no subject)");
		(void)store_rows_end(e->st, s, SQLITE_DONE, "a letter");
		if (show_recipients(e, ids[i], 0, o) != 0) {
			free(ids);
			return out_refuse(o, "store failure");
		}
		out_text(o, "\n");
		jw_obj_end(o->json);
	}
	jw_arr_end(o->json);
	free(ids);
	return 0;
}

int
letter_show(struct ag_ctx *e, int64_t id, struct out *o)
{
	static const char sql[] =
	    "SELECT ifnull(p.code, 'mediator'), l.subject, l.urgent, l.created_at, l.text "
	    "FROM letter l LEFT JOIN party p ON p.id = l.sender_id WHERE l.id = ?";
	char when[PTIME_BUFLEN];
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(e->st, sql)) == NULL)
		return out_refuse(o, "store failure");
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		if (store_rows_end(e->st, s, rc, "a letter") != 0)
			return out_refuse(o, "store failure");
		return out_refuse(o, "no letter %lld", (long long)id);
	}
	ptime_format_in(store_col_time(s, 3), "", when);
	jw_int(o->json, "id", id);
	jw_str(o->json, "from", store_col_str(s, 0));
	jw_str(o->json, "subject", store_col_str(s, 1));
	jw_bool(o->json, "urgent", sqlite3_column_int(s, 2));
	jw_str(o->json, "sent_at", when);
	jw_str(o->json, "text", store_col_str(s, 4));
	out_text(o, "letter %lld from %s, %s%s\nsubject: %s\n", (long long)id, store_col_str(s, 0),
	    when, sqlite3_column_int(s, 2) ? " (URGENT)" : "",
	    *store_col_str(s, 1) ? store_col_str(s, 1) : "(none)");
	out_text(o, "\n%s%s\n", store_col_str(s, 4),
	    store_col_str(s, 4)[strlen(store_col_str(s, 4)) - 1] == '\n' ? "" : "\n");
	(void)store_rows_end(e->st, s, SQLITE_DONE, "a letter");
	out_text(o, "addressees and copies, with each endpoint's receipt:\n");
	if (show_recipients(e, id, 1, o) != 0)
		return out_refuse(o, "store failure");
	return 0;
}
