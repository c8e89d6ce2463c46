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

struct conf_parse {
	struct cl_conf *c;
	char err[512];
};

static int
set_path(char *dst, size_t n, const char *dir, const char *v)
{
	if (v[0] == '/')
		return snprintf(dst, n, "%s", v) < (int)n;
	return snprintf(dst, n, "%s/%s", dir, v) < (int)n;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct conf_parse *p = user;
	struct cl_conf *c = p->c;
	int ok = 1;

	if (p->err[0])
		return 0;
	if (strcmp(section, "client") != 0) {
		snprintf(p->err, sizeof(p->err), "unknown section [%s]", section);
		return 0;
	}
	if (strcmp(name, "server") == 0)
		ok = snprintf(c->server, sizeof(c->server), "%s", value) < (int)sizeof(c->server);
	else if (strcmp(name, "server_pin") == 0)
		ok = strlen(value) == 64 &&
		    snprintf(c->server_pin, sizeof(c->server_pin), "%s", value) == 64;
	else if (strcmp(name, "cert") == 0)
		ok = set_path(c->cert, sizeof(c->cert), c->dir, value);
	else if (strcmp(name, "key") == 0)
		ok = set_path(c->key, sizeof(c->key), c->dir, value);
	else if (strcmp(name, "signer_key") == 0)
		ok = set_path(c->signer_key, sizeof(c->signer_key), c->dir, value);
	else if (strcmp(name, "mediator_key") == 0)
		ok = set_path(c->mediator_key, sizeof(c->mediator_key), c->dir, value);
	else {
		snprintf(p->err, sizeof(p->err), "unknown option \"%s\"", name);
		return 0;
	}
	if (!ok) {
		snprintf(p->err, sizeof(p->err), "bad value for %s", name);
		return 0;
	}
	return 1;
}

int
cl_conf_load(const char *path, struct cl_conf *c, char *err, size_t errlen)
{
	struct conf_parse p;
	char tmp[4096];
	int rc;

	memset(c, 0, sizeof(*c));
	memset(&p, 0, sizeof(p));
	p.c = c;
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(c->dir, sizeof(c->dir), "%s", dirname(tmp));
	rc = ini_parse(path, handler, &p);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read %s: %s (create it with: parley init)", path,
		    strerror(errno));
		return -1;
	}
	if (rc > 0) {
		snprintf(err, errlen, "%s:%d: %s", path, rc, p.err[0] ? p.err : "syntax error");
		return -1;
	}
	if (!c->server[0] || !c->server_pin[0] || !c->cert[0] || !c->key[0]) {
		snprintf(err, errlen, "%s must set server, server_pin, cert and key", path);
		return -1;
	}
	return 0;
}
