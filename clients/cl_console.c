/* The console's web server; see cl_console.h. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#include "cl_console.h"
#include "crypto.h"

#define TOKEN_BYTES 16		/* 128 bits */
#define COOKIE "parley_console"
#define MAX_ARGS 8

/* No request of any kind leaves the page: scripts, styles and data come
 * from the console itself, nothing from elsewhere, no frames, no forms. */
#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

struct console {
	const struct console_config *c;
	struct event_base *base;
	char token[2 * TOKEN_BYTES + 1];
	unsigned port;
};

int
console_token_is(const char *token, const char *s)
{
	size_t n = strlen(token);

	return s != NULL && strlen(s) == n && CRYPTO_memcmp(token, s, n) == 0;
}

static void
headers(struct evhttp_request *req, const char *type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Content-Security-Policy", CSP);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
}

static void
reply(struct evhttp_request *req, int code, const char *reason, const char *type,
    const void *data, size_t len)
{
	struct evbuffer *b = evhttp_request_get_output_buffer(req);

	headers(req, type);
	evbuffer_add(b, data, len);
	evhttp_send_reply(req, code, reason, NULL);
}

static void
refuse(struct evhttp_request *req, int code, const char *reason)
{
	char body[128];

	snprintf(body, sizeof(body), "%d %s\n", code, reason);
	reply(req, code, reason, "text/plain; charset=utf-8", body, strlen(body));
}

/* The token this request carries: its cookie, else its ?token=. */
static int
authorised(struct console *con, struct evhttp_request *req, struct evkeyvalq *q, int *via_url)
{
	const char *cookie = evhttp_find_header(evhttp_request_get_input_headers(req), "Cookie");
	const char *p;
	char got[2 * TOKEN_BYTES + 1];

	*via_url = 0;
	if (cookie != NULL && (p = strstr(cookie, COOKIE "=")) != NULL &&
	    (p == cookie || p[-1] == ' ' || p[-1] == ';')) {
		p += strlen(COOKIE) + 1;
		snprintf(got, sizeof(got), "%.*s", (int)strcspn(p, "; "), p);
		if (console_token_is(con->token, got))
			return 1;
	}
	if (console_token_is(con->token, evhttp_find_header(q, "token"))) {
		*via_url = 1;
		return 1;
	}
	return 0;
}

/* Host must name this console as 127.0.0.1 or localhost, with its port. */
static int
right_host(struct console *con, struct evhttp_request *req)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
	char a[40], b[40];

	snprintf(a, sizeof(a), "127.0.0.1:%u", con->port);
	snprintf(b, sizeof(b), "localhost:%u", con->port);
	return h != NULL && (strcmp(h, a) == 0 || strcmp(h, b) == 0);
}

static void
api(struct console *con, struct evhttp_request *req, struct evkeyvalq *q)
{
	struct console_arg args[MAX_ARGS];
	const char *verb = evhttp_find_header(q, "verb");
	struct evkeyval *kv;
	char err[1024], *json = NULL, *body;
	size_t n = 0, i;

	/* what this console is, and which verbs it has (its pages) */
	if (verb != NULL && strcmp(verb, "console") == 0) {
		struct evbuffer *b = evbuffer_new();
		if (b == NULL) {
			refuse(req, 500, "Internal Server Error");
			return;
		}
		evbuffer_add_printf(b, "{\"title\":\"%s\",\"verbs\":[", con->c->title);
		for (i = 0; con->c->verbs[i] != NULL; i++)
			evbuffer_add_printf(b, "%s\"%s\"", i ? "," : "", con->c->verbs[i]);
		evbuffer_add_printf(b, "]}");
		headers(req, "application/json");
		evbuffer_add_buffer(evhttp_request_get_output_buffer(req), b);
		evbuffer_free(b);
		evhttp_send_reply(req, 200, "OK", NULL);
		return;
	}
	for (i = 0; verb != NULL && con->c->verbs[i] != NULL; i++)
		if (strcmp(con->c->verbs[i], verb) == 0)
			break;
	if (verb == NULL || con->c->verbs[i] == NULL) {
		refuse(req, 404, "Not Found");
		return;
	}
	TAILQ_FOREACH(kv, q, next) {
		if (strcmp(kv->key, "verb") == 0 || strcmp(kv->key, "token") == 0)
			continue;
		if (n == MAX_ARGS) {
			refuse(req, 400, "Bad Request");
			return;
		}
		args[n].key = kv->key;
		args[n++].value = kv->value;
	}
	if (con->c->query(con->c->arg, verb, args, n, &json, err, sizeof(err)) != 0) {
		size_t len = strlen(err) + 32;
		if ((body = malloc(len)) == NULL) {
			refuse(req, 500, "Internal Server Error");
			return;
		}
		/* err is parleyd's or the client's text: as a JSON string */
		snprintf(body, len, "{\"error\":\"");
		for (i = 0; err[i] != '\0'; i++)
			if (err[i] == '"' || err[i] == '\\' || (unsigned char)err[i] < 0x20)
				err[i] = ' ';
		strcat(body, err);
		strcat(body, "\"}");
		reply(req, 502, "Bad Gateway", "application/json", body, strlen(body));
		free(body);
		return;
	}
	reply(req, 200, "OK", "application/json", json, strlen(json));
	free(json);
}

static void
handle(struct evhttp_request *req, void *arg)
{
	struct console *con = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = evhttp_uri_get_path(uri), *query = evhttp_uri_get_query(uri);
	struct evkeyvalq q;
	const struct console_asset *a;
	char cookie[128];
	int via_url;

	TAILQ_INIT(&q);
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		refuse(req, 405, "Method Not Allowed");
		return;
	}
	if (!right_host(con, req)) {
		refuse(req, 403, "Forbidden");
		return;
	}
	if (query != NULL && evhttp_parse_query_str(query, &q) != 0) {
		refuse(req, 400, "Bad Request");
		return;
	}
	if (!authorised(con, req, &q, &via_url)) {
		evhttp_clear_headers(&q);
		refuse(req, 403, "Forbidden");
		return;
	}
	if (via_url) {
		snprintf(cookie, sizeof(cookie), COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict",
		    con->token);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", cookie);
	}
	if (path == NULL || strcmp(path, "/") == 0)
		path = "/index.html";
	if (strcmp(path, "/api") == 0) {
		api(con, req, &q);
		evhttp_clear_headers(&q);
		return;
	}
	evhttp_clear_headers(&q);
	for (a = console_assets; a->path != NULL; a++)
		if (strcmp(a->path, path) == 0) {
			reply(req, 200, "OK", a->type, a->data, a->len);
			return;
		}
	refuse(req, 404, "Not Found");
}

static void
stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

int
console_run(const struct console_config *c, char *err, size_t errlen)
{
	struct console con = { .c = c };
	struct evhttp_bound_socket *bs;
	struct event *sigint = NULL, *sigterm = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	uint8_t raw[TOKEN_BYTES];
	struct evhttp *http = NULL;
	char host[64];
	unsigned port;
	int rc = -1;

	if (sscanf(c->listen, "%63[^:]:%u", host, &port) != 2 || port > 65535 ||
	    (strcmp(host, "127.0.0.1") != 0 && strcmp(host, "localhost") != 0)) {
		snprintf(err, errlen, "--listen takes 127.0.0.1:PORT (a console is reached from "
		    "elsewhere only through an SSH tunnel), not \"%s\"", c->listen);
		return -1;
	}
	if (crypto_random(raw, sizeof(raw)) != 0) {
		snprintf(err, errlen, "no random bytes for the token");
		return -1;
	}
	hex_encode(raw, sizeof(raw), con.token);
	if ((con.base = event_base_new()) == NULL || (http = evhttp_new(con.base)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(http, handle, &con);
	evhttp_set_timeout(http, 30);
	if ((bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", (ev_uint16_t)port)) == NULL) {
		snprintf(err, errlen, "cannot listen on 127.0.0.1:%u", port);
		goto done;
	}
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) != 0) {
		snprintf(err, errlen, "cannot tell the console's port");
		goto done;
	}
	con.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if ((sigint = evsignal_new(con.base, SIGINT, stop, con.base)) == NULL ||
	    (sigterm = evsignal_new(con.base, SIGTERM, stop, con.base)) == NULL ||
	    event_add(sigint, NULL) != 0 || event_add(sigterm, NULL) != 0) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	fprintf(c->announce, "%s: http://127.0.0.1:%u/?token=%s\n", c->title, con.port, con.token);
	fflush(c->announce);
	event_base_dispatch(con.base);
	rc = 0;
done:
	if (sigint != NULL)
		event_free(sigint);
	if (sigterm != NULL)
		event_free(sigterm);
	if (http != NULL)
		evhttp_free(http);
	if (con.base != NULL)
		event_base_free(con.base);
	return rc;
}
