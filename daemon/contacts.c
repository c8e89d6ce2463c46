/* The duty directory; see contacts.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "contacts.h"
#include "crypto.h"
#include "errors.h"
#include "letter.h"
#include "log.h"
#include "ptime.h"
#include "text.h"

/* text as a list of contacts, in its one spelling (fields trimmed, joined
 * by " | ", each line ended by LF) into a malloc'd *out.  0, or -1 with
 * the reason in why (*out NULL). */
static int
canonical(const char *text, size_t len, char **out, char *why, size_t whylen)
{
	char *buf = NULL, line[5 * (CONTACTS_FIELD_MAX + 8)], *f[5], *p;
	const char *s = text, *end = text + len, *nl;
	size_t blen = 0, n = 0, k, l;
	FILE *m;

	*out = NULL;
	if (len == 0 || !text_utf8_valid(text, len) || memchr(text, '\0', len) != NULL) {
		snprintf(why, whylen, "the list must be UTF-8 text, not empty");
		return -1;
	}
	if ((m = open_memstream(&buf, &blen)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	for (; s < end; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		l = (size_t)(nl - s);
		if (l > 0 && s[l - 1] == '\r')
			l--;
		if (strspn(s, " \t") >= l)
			continue;	/* a blank line */
		if (++n > CONTACTS_MAX || l >= sizeof(line)) {
			if (n > CONTACTS_MAX)
				snprintf(why, whylen, "at most %d contacts", CONTACTS_MAX);
			else
				snprintf(why, whylen, "line %zu is too long", n);
			goto bad;
		}
		memcpy(line, s, l);
		line[l] = '\0';
		/* exactly five fields: four "|" (an empty field is refused below) */
		for (k = 0, p = line; k < 5; k++) {
			f[k] = p;
			if ((p = strchr(p, '|')) == NULL)
				break;
			*p++ = '\0';
		}
		if (k != 4 || p != NULL) {
			snprintf(why, whylen, "line %zu: expected NAME | ROLE | DEVICE | NUMBER | "
			    "HOURS", n);
			goto bad;
		}
		for (k = 0; k < 5; k++) {
			size_t fl;
			f[k] += strspn(f[k], " \t");
			fl = strlen(f[k]);
			while (fl > 0 && (f[k][fl - 1] == ' ' || f[k][fl - 1] == '\t'))
				f[k][--fl] = '\0';
			if (fl == 0 || fl > CONTACTS_FIELD_MAX || !cert_shown_valid(f[k],
			    CONTACTS_FIELD_MAX)) {
				snprintf(why, whylen, "line %zu, field %zu: 1 to %d bytes without "
				    "control characters", n, k + 1, CONTACTS_FIELD_MAX);
				goto bad;
			}
		}
		fprintf(m, "%s | %s | %s | %s | %s\n", f[0], f[1], f[2], f[3], f[4]);
	}
	if (n == 0) {
		snprintf(why, whylen, "the list names no contact");
		goto bad;
	}
	if (fclose(m) != 0) {
		free(buf);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	*out = buf;
	return 0;
bad:
	fclose(m);
	free(buf);
	return -1;
}

/* Store party's list (canonical) and journal it. */
static int
store_list(struct ag_ctx *e, const struct party *p, const char *list, int by_mediator)
{
	static const char sql[] =
	    "INSERT INTO duty_contact(party_id, text, set_at, by_mediator) VALUES(?1, ?2, ?3, ?4) "
	    "ON CONFLICT(party_id) DO UPDATE SET text = ?2, set_at = ?3, by_mediator = ?4";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	uint8_t h[32];

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, p->id);
	sqlite3_bind_text(s, 2, list, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, clock_now(e->clk));
	sqlite3_bind_int(s, 4, by_mediator);
	if (store_step_done(e->st, s) != 0)
		return -1;
	crypto_sha256(list, strlen(list), h);
	return ag_journal(e, "duty-contacts", 0, p->code, (const uint8_t (*)[32])h, 1,
	    "the duty contacts of %s, set by %s", p->code, by_mediator ? "the mediator" :
	    "the party");
}

enum req_end
contacts_set_party(struct ag_ctx *e, const struct req *r, const Parley__DutyContactsSet *m)
{
	char why[200], *list;

	if (canonical(m->text, strlen(m->text), &list, why, sizeof(why)) != 0)
		return req_refuse(r, PARLEY_EUSAGE, "duty contacts refused: %s", why);
	if (store_list(e, &r->who->party, list, 0) != 0) {
		free(list);
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	}
	free(list);
	log_info("duty contacts of %s set by the party", r->who->party.code);
	req_ok(r, 0, "the duty contacts of %s are recorded; the mediator passes them to the "
	    "other sides", r->who->party.code);
	return REQ_KEEP;
}

int
contacts_set_mediator(struct ag_ctx *e, const char *party, const char *text, size_t len,
    struct out *o)
{
	char why[200], *list;
	struct party p;
	int rc;

	if ((rc = registry_party_by_code(e->st, party, &p)) != 0)
		return rc < 0 ? out_refuse(o, "store failure") :
		    out_refuse(o, "unknown party \"%s\"", party);
	if (canonical(text, len, &list, why, sizeof(why)) != 0)
		return out_usage(o, "%s", why);
	rc = store_list(e, &p, list, 1);
	free(list);
	if (rc != 0)
		return out_refuse(o, "store failure");
	jw_str(o->json, "party", p.code);
	out_text(o, "the duty contacts of %s are recorded\n", p.code);
	return 0;
}

int
contacts_pass(struct ag_ctx *e, const char *party, const char *to, struct out *o)
{
	static const char get[] = "SELECT text FROM duty_contact WHERE party_id = ?";
	static const char ins[] =
	    "INSERT INTO duty_contact_passed(party_id, to_party_id, text, letter_id, passed_at)"
	    " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(party_id, to_party_id) DO UPDATE SET"
	    " text = ?3, letter_id = ?4, passed_at = ?5";
	static const char others[] =
	    "SELECT code FROM party WHERE id != ? AND observer = 0 ORDER BY id";
	char subject[100], *list = NULL, *text = NULL, *names = NULL, *p, *save = NULL;
	size_t tl = 0, nl = 0;
	struct party from, dst;
	sqlite3_stmt *s;
	int64_t letter = 0;
	FILE *f;
	int rc;

	if ((rc = registry_party_by_code(e->st, party, &from)) != 0)
		return rc < 0 ? out_refuse(o, "store failure") :
		    out_refuse(o, "unknown party \"%s\"", party);
	if ((s = store_stmt(e->st, get)) == NULL)
		return out_refuse(o, "store failure");
	sqlite3_bind_int64(s, 1, from.id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		list = strdup(store_col_str(s, 0));
	if (store_rows_end(e->st, s, rc, "duty contacts") != 0 || (rc == SQLITE_ROW && !list)) {
		free(list);
		return out_refuse(o, "store failure");
	}
	if (list == NULL)
		return out_refuse(o, "%s has recorded no duty contacts (parley duty contacts set, "
		    "or parleyctl duty contacts set)", from.code);
	/* "all": every other party */
	if (strcmp(to, "all") == 0) {
		if ((f = open_memstream(&names, &nl)) == NULL || (s = store_stmt(e->st, others)) ==
		    NULL) {
			if (f != NULL)
				fclose(f);
			free(names);
			free(list);
			return out_refuse(o, "store failure");
		}
		sqlite3_bind_int64(s, 1, from.id);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			fprintf(f, "%s%s", ftell(f) ? "," : "", store_col_str(s, 0));
		(void)store_rows_end(e->st, s, rc, "the parties");
		if (fclose(f) != 0 || *names == '\0') {
			free(names);
			free(list);
			return out_refuse(o, "no other party to pass them to");
		}
		to = names;
	}
	if ((f = open_memstream(&text, &tl)) == NULL) {
		free(names);
		free(list);
		return out_refuse(o, "out of memory");
	}
	fprintf(f, "The duty contacts of %s (NAME | ROLE | DEVICE | NUMBER | HOURS):\n\n%s",
	    from.code, list);
	if (fclose(f) != 0) {
		free(names);
		free(list);
		free(text);
		return out_refuse(o, "out of memory");
	}
	snprintf(subject, sizeof(subject), "duty contacts of %s", from.code);
	if (letter_send_mediator(e, to, NULL, subject, text, tl, 0, &letter, o) != 0)
		goto done;
	/* Each addressee: what it was passed, by which letter. */
	{
		char *buf = strdup(to);
		if (buf == NULL) {
			rc = out_refuse(o, "out of memory");
			goto done;
		}
		for (p = strtok_r(buf, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
			if (registry_party_by_code(e->st, p, &dst) != 0 || dst.id == from.id ||
			    (s = store_stmt(e->st, ins)) == NULL) {
				rc = out_usage(o, "--to: %s is not another party", p);
				free(buf);
				goto done;
			}
			sqlite3_bind_int64(s, 1, from.id);
			sqlite3_bind_int64(s, 2, dst.id);
			sqlite3_bind_text(s, 3, list, -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 4, letter);
			sqlite3_bind_int64(s, 5, clock_now(e->clk));
			if (store_step_done(e->st, s) != 0) {
				rc = out_refuse(o, "store failure");
				free(buf);
				goto done;
			}
		}
		free(buf);
	}
	log_info("duty contacts of %s passed to %s (letter %lld)", from.code, to,
	    (long long)letter);
	jw_int(o->json, "letter", letter);
	rc = 0;
done:
	free(names);
	free(list);
	free(text);
	return rc;
}

int
contacts_list(struct ag_ctx *e, struct out *o)
{
	static const char sql[] =
	    "SELECT p.code, c.text, c.set_at, c.by_mediator, (SELECT group_concat(q.code, ',') "
	    "FROM duty_contact_passed x JOIN party q ON q.id = x.to_party_id WHERE x.party_id = "
	    "c.party_id AND x.text = c.text), (SELECT group_concat(q.code, ',') "
	    "FROM duty_contact_passed x JOIN party q ON q.id = x.to_party_id WHERE x.party_id = "
	    "c.party_id AND x.text != c.text) FROM duty_contact c JOIN party p ON p.id = "
	    "c.party_id ORDER BY p.id";
	char when[PTIME_BUFLEN];
	sqlite3_stmt *s = store_stmt(e->st, sql);
	int rc, n = 0;

	if (s == NULL)
		return out_refuse(o, "store failure");
	jw_arr_begin(o->json, "contacts");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ptime_format_in(store_col_time(s, 2), "", when);
		jw_obj_begin(o->json, NULL);
		jw_str(o->json, "party", store_col_str(s, 0));
		jw_str(o->json, "text", store_col_str(s, 1));
		jw_str(o->json, "set_at", when);
		jw_bool(o->json, "set_by_mediator", sqlite3_column_int(s, 3));
		jw_str(o->json, "passed_to", sqlite3_column_type(s, 4) == SQLITE_NULL ? "" :
		    store_col_str(s, 4));
		/* who holds an earlier list, not this one: to pass it again */
		jw_str(o->json, "earlier_list_with", sqlite3_column_type(s, 5) == SQLITE_NULL ? "" :
		    store_col_str(s, 5));
		jw_obj_end(o->json);
		out_text(o, "%s (set %s%s; passed to %s%s%s):\n%s", store_col_str(s, 0), when,
		    sqlite3_column_int(s, 3) ? " by the mediator" : "",
		    sqlite3_column_type(s, 4) == SQLITE_NULL ? "nobody yet" : store_col_str(s, 4),
		    sqlite3_column_type(s, 5) == SQLITE_NULL ? "" : "; an earlier list is with ",
		    sqlite3_column_type(s, 5) == SQLITE_NULL ? "" : store_col_str(s, 5),
		    store_col_str(s, 1));
		n++;
	}
	jw_arr_end(o->json);
	if (store_rows_end(e->st, s, rc, "duty contacts") != 0)
		return out_refuse(o, "store failure");
	if (n == 0)
		out_text(o, "no party has recorded duty contacts\n");
	return 0;
}

enum req_end
contacts_query(struct ag_ctx *e, const struct req *r)
{
	static const char sql[] =
	    "SELECT p.code, c.text, c.set_at, 0 FROM duty_contact c JOIN party p ON p.id = "
	    "c.party_id WHERE c.party_id = ?1 UNION ALL "
	    "SELECT p.code, x.text, 0, x.passed_at FROM duty_contact_passed x JOIN party p ON "
	    "p.id = x.party_id WHERE x.to_party_id = ?1 ORDER BY 4, 1";
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__DutyContactsList l = PARLEY__DUTY_CONTACTS_LIST__INIT;
	Parley__DutyContacts c[1 + 64], *cp[1 + 64];
	char *text[1 + 64], code[1 + 64][PARTY_CODE_MAX + 1];
	char t1[1 + 64][PTIME_BUFLEN], t2[1 + 64][PTIME_BUFLEN];
	sqlite3_stmt *s = store_stmt(e->st, sql);
	size_t n = 0, i;
	int rc, oom = 0;

	if (s == NULL)
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	sqlite3_bind_int64(s, 1, r->who->party.id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < 1 + 64) {
		parley__duty_contacts__init(&c[n]);
		snprintf(code[n], sizeof(code[0]), "%s", store_col_str(s, 0));
		if ((text[n] = strdup(store_col_str(s, 1))) == NULL)
			oom = 1;
		t1[n][0] = t2[n][0] = '\0';
		if (sqlite3_column_int64(s, 2))
			ptime_format_in(store_col_time(s, 2), "", t1[n]);
		if (sqlite3_column_int64(s, 3))
			ptime_format_in(store_col_time(s, 3), "", t2[n]);
		c[n].party = code[n];
		c[n].text = text[n] ? text[n] : "";
		c[n].set_at = t1[n];
		c[n].passed_at = t2[n];
		cp[n] = &c[n];
		n++;
	}
	if (store_rows_end(e->st, s, rc, "duty contacts") != 0 || oom) {
		for (i = 0; i < n; i++)
			free(text[i]);
		return req_refuse(r, PARLEY_ESTORE, "store failure");
	}
	l.n_contacts = n;
	l.contacts = cp;
	f.body_case = PARLEY__FRAME__BODY_DUTY_CONTACTS_LIST;
	f.duty_contacts_list = &l;
	req_reply(r, &f);
	for (i = 0; i < n; i++)
		free(text[i]);
	return REQ_ROLLBACK;
}
