/* The mediator's templates; see template.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "ptime.h"
#include "template.h"
#include "text.h"
#include "texts.h"

/* The placeholder starting at p ("{{name}}"): its name's length, or 0. */
static size_t
placeholder(const char *p)
{
	size_t n;

	if (strncmp(p, "{{", 2) != 0)
		return 0;
	n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789_");
	if (n == 0 || n > TEMPLATE_NAME_MAX || strncmp(p + 2 + n, "}}", 2) != 0)
		return 0;
	return n;
}

static int
name_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= TEMPLATE_NAME_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

int
template_add(struct ag_ctx *e, const char *name, const char *text, size_t len, struct out *o)
{
	static const char sql[] =
	    "INSERT INTO template(name, text, created_at) VALUES(?1, ?2, ?3) "
	    "ON CONFLICT(name) DO UPDATE SET text = ?2, created_at = ?3";
	char why[200], *norm;
	const char *p;
	size_t n = 0;
	sqlite3_stmt *s;
	uint8_t h[32];
	int oom, rc;

	if (!name_valid(name))
		return out_usage(o, "a template's name is 1 to %d of a-z, 0-9, _ and -",
		    TEMPLATE_NAME_MAX);
	if ((norm = texts_check(text, len, why, sizeof(why), &oom)) == NULL)
		return oom ? out_refuse(o, "%s", why) : out_usage(o, "--text: %s", why);
	/* every "{{" begins a placeholder: a misspelt one ({{Side}}, {{ side }})
	 * would otherwise pass into a signed text unfilled */
	for (p = norm; (p = strstr(p, "{{")) != NULL; p += 2) {
		if (placeholder(p) == 0) {
			int show = (int)strcspn(p, "\n");
			out_usage(o, "--text: \"%.*s\" does not begin a placeholder: write {{name}} "
			    "with a name of 1 to %d of a-z, 0-9 and _", show > 40 ? 40 : show, p,
			    TEMPLATE_NAME_MAX);
			free(norm);
			return -1;
		}
		n++;
	}
	if ((s = store_stmt(e->st, sql)) == NULL) {
		free(norm);
		return out_refuse(o, "store failure");
	}
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, norm, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, clock_now(e->clk));
	rc = store_step_done(e->st, s);
	crypto_sha256(norm, strlen(norm), h);
	free(norm);
	if (rc != 0 || ag_journal(e, "template", 0, NULL, (const uint8_t (*)[32])h, 1,
	    "template %s", name) != 0)
		return out_refuse(o, "store failure");
	jw_str(o->json, "name", name);
	jw_int(o->json, "placeholders", (int64_t)n);
	out_text(o, "template %s recorded (%zu placeholder%s)\n", name, n, n == 1 ? "" : "s");
	return 0;
}

int
template_list(struct ag_ctx *e, struct out *o)
{
	static const char sql[] = "SELECT name, created_at, length(text) FROM template ORDER BY name";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	char when[PTIME_BUFLEN];
	int rc;

	if (s == NULL)
		return out_refuse(o, "store failure");
	jw_arr_begin(o->json, "templates");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ptime_format_in(store_col_time(s, 1), "", when);
		jw_obj_begin(o->json, NULL);
		jw_str(o->json, "name", store_col_str(s, 0));
		jw_str(o->json, "created_at", when);
		jw_obj_end(o->json);
		out_text(o, "%-24s %s %lld bytes\n", store_col_str(s, 0), when,
		    (long long)sqlite3_column_int64(s, 2));
	}
	jw_arr_end(o->json);
	return store_rows_end(e->st, s, rc, "templates") == 0 ? 0 : out_refuse(o, "store failure");
}

/* The text of template name, malloc'd; NULL refused in o. */
static char *
load(struct ag_ctx *e, const char *name, struct out *o)
{
	static const char sql[] = "SELECT text FROM template WHERE name = ?";
	sqlite3_stmt *s = store_stmt(e->st, sql);
	char *t = NULL;
	int rc;

	if (s == NULL) {
		out_refuse(o, "store failure");
		return NULL;
	}
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW && (t = strdup(store_col_str(s, 0))) == NULL)
		rc = SQLITE_NOMEM;
	if (store_rows_end(e->st, s, rc, "a template") != 0) {
		free(t);
		out_refuse(o, "store failure");
		return NULL;
	}
	if (t == NULL)
		out_refuse(o, "no template \"%s\" (parleyctl template list)", name);
	return t;
}

int
template_show(struct ag_ctx *e, const char *name, struct out *o)
{
	char *t = load(e, name, o);

	if (t == NULL)
		return -1;
	jw_str(o->json, "name", name);
	jw_str(o->json, "text", t);
	out_text(o, "%s", t);
	free(t);
	return 0;
}

int
template_fill(struct ag_ctx *e, const char *name, const struct template_values *v,
    char **out, struct out *o)
{
	char *t, *buf = NULL, used[TEMPLATE_VALUES_MAX] = { 0 };
	const char *p, *q;
	size_t len = 0, k, n;
	FILE *f;

	*out = NULL;
	for (k = 0; k < v->n; k++) {
		if (!name_valid(v->name[k]) || strchr(v->name[k], '-') != NULL)
			return out_usage(o, "--set %s=: a placeholder's name is 1 to %d of a-z, 0-9 "
			    "and _", v->name[k], TEMPLATE_NAME_MAX);
		for (n = 0; n < k; n++)
			if (strcmp(v->name[n], v->name[k]) == 0)
				return out_usage(o, "--set %s= is given twice", v->name[k]);
	}
	if ((t = load(e, name, o)) == NULL)
		return -1;
	if ((f = open_memstream(&buf, &len)) == NULL) {
		free(t);
		return out_refuse(o, "out of memory");
	}
	for (p = t; (q = strstr(p, "{{")) != NULL; p = q) {
		fwrite(p, 1, (size_t)(q - p), f);
		if ((n = placeholder(q)) == 0) {
			fputs("{{", f);
			q += 2;
			continue;
		}
		for (k = 0; k < v->n; k++)
			if (strlen(v->name[k]) == n && strncmp(v->name[k], q + 2, n) == 0)
				break;
		if (k == v->n) {
			fclose(f);
			free(buf);
			free(t);
			return out_usage(o, "template %s has the placeholder {{%.*s}}: give it with "
			    "--set %.*s=VALUE", name, (int)n, q + 2, (int)n, q + 2);
		}
		used[k] = 1;
		fputs(v->value[k], f);
		q += n + 4;
	}
	fputs(p, f);
	free(t);
	if (fclose(f) != 0) {
		free(buf);
		return out_refuse(o, "out of memory");
	}
	for (k = 0; k < v->n; k++)
		if (!used[k]) {
			free(buf);
			return out_usage(o, "template %s has no placeholder {{%s}} (--set %s=)", name,
			    v->name[k], v->name[k]);
		}
	*out = buf;
	return 0;
}
