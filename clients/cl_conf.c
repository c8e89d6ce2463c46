#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cl.h"

char *
cl_read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	struct stat sb;
	FILE *f;
	char *buf;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		fclose(f);
		return NULL;
	}
	if ((size_t)sb.st_size > max) {
		snprintf(err, errlen, "%s is larger than %zu bytes", path, max);
		fclose(f);
		return NULL;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, (size_t)sb.st_size, f);
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

char *
cl_read_input(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	char *buf, *nb;
	size_t n = 0, cap = 65536, got;

	if (strcmp(path, "-") != 0)
		return cl_read_file(path, max, len, err, errlen);
	if ((buf = malloc(cap + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* Read one byte past max to tell "too long" from "exactly max". */
	while ((got = fread(buf + n, 1, cap - n, stdin)) > 0) {
		n += got;
		if (n > max) {
			snprintf(err, errlen, "standard input is longer than %zu bytes", max);
			free(buf);
			return NULL;
		}
		if (n == cap) {
			if ((nb = realloc(buf, (cap *= 2) + 1)) == NULL) {
				snprintf(err, errlen, "out of memory");
				free(buf);
				return NULL;
			}
			buf = nb;
		}
	}
	if (ferror(stdin)) {
		snprintf(err, errlen, "cannot read standard input: %s", strerror(errno));
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

/* inih (Debian's build) reads lines of at most INI_MAX_LINE - 2 characters
 * and passes a continuation line (indented, after a key) to the handler
 * under the key's name, as if the key were given again.  So the file is
 * read here, line by line, to refuse a longer line (inih would cut it in
 * two) and to tell the handler which calls are continuations: a list
 * (server, server_pin) may go on over indented lines after a comma. */
#define CONF_LINE_MAX (INI_MAX_LINE - 2)

enum { K_SERVER, K_PIN, K_LISTS };

struct conf_parse {
	struct cl_conf *c;
	FILE *f;
	int line;		/* the line inih is reading */
	int cont;		/* it continues the key before it */
	int after_key;		/* a key came since the last section line */
	char raw[K_LISTS][CL_LIST_MAX * (CL_LIST_ITEM + 4)];	/* a list as read */
	int raw_line[K_LISTS];	/* where its key is; 0: not given */
	int err_line;
	char err[512];
};

static const char *const list_key[K_LISTS] = { "server", "server_pin" };

static char *
conf_reader(char *str, int num, void *stream)
{
	struct conf_parse *p = stream;
	const char *s;
	int ch;

	if (p->err[0] || fgets(str, num, p->f) == NULL)
		return NULL;
	p->line++;
	if (strchr(str, '\n') == NULL && (ch = getc(p->f)) != EOF) {
		ungetc(ch, p->f);
		p->err_line = p->line;
		snprintf(p->err, sizeof(p->err), "the line is longer than %d characters (a list "
		    "goes on over indented lines, after a comma)", CONF_LINE_MAX);
		return NULL;
	}
	for (s = str; *s == ' ' || *s == '\t'; s++)
		;
	/* what inih takes for a continuation: indented, not blank, not a
	 * comment, after a key of the same section */
	p->cont = s > str && *s != '\0' && *s != '\n' && *s != '\r' && *s != ';' && *s != '#' &&
	    p->after_key;
	if (*s == '[')
		p->after_key = 0;
	return str;
}

static int
set_path(char *dst, size_t n, const char *dir, const char *v)
{
	if (v[0] == '/')
		return snprintf(dst, n, "%s", v) < (int)n;
	return snprintf(dst, n, "%s/%s", dir, v) < (int)n;
}

static int
conf_fail(struct conf_parse *p, const char *fmt, const char *name)
{
	p->err_line = p->line;
	snprintf(p->err, sizeof(p->err), fmt, name);
	return 0;
}

/* A list's value, or one more line of it: kept as read, checked at the
 * end (cl_conf_load). */
static int
list_value(struct conf_parse *p, int k, const char *name, const char *value)
{
	char *raw = p->raw[k];
	size_t len = strlen(raw);

	if (p->cont) {
		if (len == 0 || raw[len - 1] != ',')
			return conf_fail(p, "%s goes on over this line, but the line before does "
			    "not end with a comma", name);
		if (len + 1 + strlen(value) >= sizeof(p->raw[k]))
			return conf_fail(p, "%s is too long", name);
		raw[len] = ' ';
		memcpy(raw + len + 1, value, strlen(value) + 1);
		return 1;
	}
	if (p->raw_line[k] != 0)
		return conf_fail(p, "%s is given twice (a list is one key: "
		    "\"server = HOST:PORT, HOST:PORT\")", name);
	if (strlen(value) >= sizeof(p->raw[k]))
		return conf_fail(p, "%s is too long", name);
	p->raw_line[k] = p->line;
	p->after_key = 1;
	memcpy(raw, value, strlen(value) + 1);
	return 1;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct conf_parse *p = user;
	struct cl_conf *c = p->c;
	int k, ok = 1;

	if (p->err[0])
		return 0;
	if (strcmp(section, "client") != 0) {
		p->err_line = p->line;
		snprintf(p->err, sizeof(p->err), "unknown section [%s]", section);
		return 0;
	}
	for (k = 0; k < K_LISTS && strcmp(name, list_key[k]) != 0; k++)
		;
	if (k < K_LISTS)
		return list_value(p, k, name, value);
	if (p->cont)
		return conf_fail(p, "%s does not go on over another line (only the lists "
		    "server and server_pin do)", name);
	p->after_key = 1;
	if (strcmp(name, "cert") == 0)
		ok = set_path(c->cert, sizeof(c->cert), c->dir, value);
	else if (strcmp(name, "key") == 0)
		ok = set_path(c->key, sizeof(c->key), c->dir, value);
	else if (strcmp(name, "signer_key") == 0)
		ok = set_path(c->signer_key, sizeof(c->signer_key), c->dir, value);
	else if (strcmp(name, "mediator_key") == 0)
		ok = set_path(c->mediator_key, sizeof(c->mediator_key), c->dir, value);
	else
		return conf_fail(p, "unknown option \"%s\"", name);
	if (!ok)
		return conf_fail(p, "bad value for %s", name);
	return 1;
}

int
cl_conf_load(const char *path, struct cl_conf *c, char *err, size_t errlen)
{
	struct conf_parse *p;
	char tmp[4096], why[600];
	int rc, line;

	memset(c, 0, sizeof(*c));
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->c = c;
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(c->dir, sizeof(c->dir), "%s", dirname(tmp));
	if ((p->f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot read %s: %s (create it with: parley init)", path,
		    strerror(errno));
		free(p);
		return -1;
	}
	rc = ini_parse_stream(conf_reader, p, handler, p);
	if (rc == 0 && !p->err[0] && ferror(p->f)) {
		p->err_line = p->line;
		snprintf(p->err, sizeof(p->err), "read error");
	}
	fclose(p->f);
	if (rc != 0 || p->err[0]) {
		snprintf(err, errlen, "%s:%d: %s", path, p->err[0] ? p->err_line : rc,
		    p->err[0] ? p->err : "syntax error");
		free(p);
		return -1;
	}
	/* Each list checked whole, once every line of it is in. */
	if ((line = p->raw_line[K_SERVER]) != 0 &&
	    cl_list_addrs("server", p->raw[K_SERVER], &c->servers, why, sizeof(why)) != 0)
		goto bad;
	if ((line = p->raw_line[K_PIN]) != 0 &&
	    cl_list_pins("server_pin", p->raw[K_PIN], &c->pins, why, sizeof(why)) != 0)
		goto bad;
	free(p);
	if (c->servers.n == 0 || c->pins.n == 0 || !c->cert[0] || !c->key[0]) {
		snprintf(err, errlen, "%s must set server, server_pin, cert and key", path);
		return -1;
	}
	snprintf(c->server, sizeof(c->server), "%s", c->servers.item[0]);
	snprintf(c->server_pin, sizeof(c->server_pin), "%s", c->pins.item[0]);
	return 0;
bad:
	snprintf(err, errlen, "%s:%d: %s", path, line, why);
	free(p);
	return -1;
}
