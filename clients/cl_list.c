#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_list.h"

/* One item, trimmed, checked and written to norm (CL_LIST_ITEM bytes) in
 * its kept spelling; 0, or -1 with why (which names the item). */
typedef int (*check_fn)(const char *item, char *norm, char *why, size_t whylen);

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int
host_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '.' || ch == '-' || ch == '_';
}

/* An IPv6 literal as written between brackets: hex digits, colons and
 * dots (an embedded IPv4), then perhaps %zone. */
static int
ipv6_ok(const char *h, size_t len)
{
	size_t i;
	int colon = 0;

	for (i = 0; i < len && h[i] != '%'; i++) {
		if (h[i] == ':')
			colon = 1;
		else if (!isxdigit((unsigned char)h[i]) && h[i] != '.')
			return 0;
	}
	if (i < len && i + 1 == len)
		return 0;	/* "%" without a zone */
	for (i++; i < len; i++)
		if (!host_char(h[i]))
			return 0;
	return colon;
}

static int
port_ok(const char *p, unsigned *port)
{
	unsigned long v = 0;

	if (*p == '\0')
		return 0;
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return 0;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 65535)
			return 0;
	}
	*port = (unsigned)v;
	return v >= 1;
}

static int
check_addr(const char *item, char *norm, char *why, size_t whylen)
{
	const char *host = item, *colon, *close;
	size_t hlen;
	unsigned port;

	if (strpbrk(item, " \t") != NULL) {
		snprintf(why, whylen, "\"%s\" holds white space (a comma goes between addresses)",
		    item);
		return -1;
	}
	if (item[0] == '[') {
		if ((close = strchr(item, ']')) == NULL || close[1] != ':') {
			snprintf(why, whylen, "\"%s\" is not [IPv6]:PORT", item);
			return -1;
		}
		host = item + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
		if (hlen == 0 || hlen > CL_LIST_HOST || !ipv6_ok(host, hlen)) {
			snprintf(why, whylen, "\"%s\": between the brackets goes an IPv6 address",
			    item);
			return -1;
		}
	} else {
		if ((colon = strchr(item, ':')) == NULL) {
			snprintf(why, whylen, "\"%s\" has no port (HOST:PORT)", item);
			return -1;
		}
		if (strchr(colon + 1, ':') != NULL) {
			snprintf(why, whylen, "\"%s\": write an IPv6 address in brackets, as "
			    "[::1]:7800", item);
			return -1;
		}
		hlen = (size_t)(colon - host);
		if (hlen == 0) {
			snprintf(why, whylen, "\"%s\" has no host (HOST:PORT)", item);
			return -1;
		}
		for (size_t i = 0; i < hlen; i++)
			if (!host_char(host[i])) {
				snprintf(why, whylen, "\"%s\" is not HOST:PORT (the host holds "
				    "'%c')", item, host[i]);
				return -1;
			}
		if (hlen > CL_LIST_HOST) {
			snprintf(why, whylen, "the host of \"%.40s...\" is longer than %d bytes",
			    item, CL_LIST_HOST);
			return -1;
		}
	}
	if (!port_ok(colon + 1, &port)) {
		snprintf(why, whylen, "\"%s\": the port must be a number from 1 to 65535", item);
		return -1;
	}
	/* host ends at the colon (or the bracket), which is kept as spelt */
	snprintf(norm, CL_LIST_ITEM, "%.*s:%u", (int)(colon - item), item, port);
	return 0;
}

static int
check_pin(const char *item, char *norm, char *why, size_t whylen)
{
	size_t i, len = strlen(item);

	for (i = 0; i < len && isxdigit((unsigned char)item[i]); i++)
		;
	if (len != 64 || i != len) {
		snprintf(why, whylen, "\"%.70s%s\" is not a pin (64 hex digits)", item,
		    len > 70 ? "..." : "");
		return -1;
	}
	for (i = 0; i < len; i++)
		norm[i] = (char)tolower((unsigned char)item[i]);
	norm[len] = '\0';
	return 0;
}

static int
check_socket(const char *item, char *norm, char *why, size_t whylen)
{
	if (strlen(item) > CL_LIST_PATH) {
		snprintf(why, whylen, "the socket path %.60s... is longer than %d bytes", item,
		    CL_LIST_PATH);
		return -1;
	}
	snprintf(norm, CL_LIST_ITEM, "%s", item);
	return 0;
}

/* Split s at its commas, trim each item, check it and append it. */
static int
split(const char *what, const char *noun, const char *nouns, const char *s, check_fn check,
    struct cl_list *out, char *err, size_t errlen)
{
	const char *p, *end, *comma;
	char item[CL_LIST_ITEM], why[400];
	size_t len;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		s = "";
	for (p = s; is_blank(*p); p++)
		;
	if (*p == '\0') {
		snprintf(err, errlen, "%s is empty", what);
		return -1;
	}
	for (p = s;; p = comma + 1) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		for (end = comma; end > p && is_blank(end[-1]); end--)
			;
		while (p < end && is_blank(*p))
			p++;
		len = (size_t)(end - p);
		if (len == 0) {
			snprintf(err, errlen, "%s: %s %zu is empty (a comma too many?)", what, noun,
			    out->n + 1);
			return -1;
		}
		if (out->n == CL_LIST_MAX) {
			snprintf(err, errlen, "%s: more than %d %s", what, CL_LIST_MAX, nouns);
			return -1;
		}
		if (len >= sizeof(item)) {
			snprintf(err, errlen, "%s: \"%.40s...\" is too long", what, p);
			return -1;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (check(item, out->item[out->n], why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s: %s", what, why);
			return -1;
		}
		if (cl_list_has(out, out->item[out->n])) {
			snprintf(err, errlen, "%s: %s is listed twice", what, out->item[out->n]);
			return -1;
		}
		out->n++;
		if (*comma == '\0')
			return 0;
	}
}

int
cl_list_addrs(const char *what, const char *s, struct cl_list *out, char *err, size_t errlen)
{
	return split(what, "address", "addresses", s, check_addr, out, err, errlen);
}

int
cl_list_pins(const char *what, const char *s, struct cl_list *out, char *err, size_t errlen)
{
	return split(what, "pin", "pins", s, check_pin, out, err, errlen);
}

int
cl_list_sockets(const char *what, const char *s, struct cl_list *out, char *err,
    size_t errlen)
{
	return split(what, "socket", "sockets", s, check_socket, out, err, errlen);
}

int
cl_list_has(const struct cl_list *l, const char *item)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->item[i], item) == 0)
			return 1;
	return 0;
}

void
cl_list_join(const struct cl_list *l, char *out, size_t n)
{
	size_t i, at = 0;
	int w;

	if (n == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < l->n && at < n; i++) {
		w = snprintf(out + at, n - at, "%s%s", i ? ", " : "", l->item[i]);
		if (w < 0)
			return;
		at += (size_t)w;
	}
}
