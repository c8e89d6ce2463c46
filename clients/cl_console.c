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
#include <event2/listener.h>
#include <openssl/crypto.h>

#include "cl_console.h"
#include "crypto.h"

#define TOKEN_BYTES 16		/* 128 bits */
#define TOKEN_HEADER "X-Parley-Token"
#define MAX_ARGS 8
#define IDLE_TIMEOUT 10		/* seconds an idle connection is kept */

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

/* The data (/api) answers only a request with the token in its
 * X-Parley-Token header.  The page takes the token from the URL it was
 * opened with, keeps it in sessionStorage (which, unlike a cookie, belongs
 * to this origin, port included) and sends it with each query: no other
 * page can, since a cross-origin request with that header needs a CORS
 * answer the console never gives, and no cookie reaches another port of
 * 127.0.0.1.  The static files hold no data and are served to anyone who
 * names the host right. */
static int
authorised(struct console *con, struct evhttp_request *req)
{
	return console_token_is(con->token,
	    evhttp_find_header(evhttp_request_get_input_headers(req), TOKEN_HEADER));
}

/* Host must name this machine's loopback (127.0.0.1 or localhost), on
 * whatever port: an SSH tunnel's local port differs from the console's.
 * A page from elsewhere that a DNS name rebinds to 127.0.0.1 still names
 * its own host, and is refused. */
static int
right_host(struct evhttp_request *req)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
	size_t n;

	if (h == NULL)
		return 0;
	if (strncmp(h, "127.0.0.1", 9) == 0)
		n = 9;
	else if (strncmp(h, "localhost", 9) == 0)
		n = 9;
	else
		return 0;
	return h[n] == '\0' || (h[n] == ':' && h[n + 1] >= '1' && h[n + 1] <= '9' &&
	    strspn(h + n + 1, "0123456789") == strlen(h + n + 1) && strlen(h + n + 1) <= 5 &&
	    atoi(h + n + 1) <= 65535);
}

/* A query's argument names: a few lowercase letters, digits or '-'. */
static int
arg_name_ok(const char *k)
{
	size_t n = strlen(k);

	return n > 0 && n <= 32 && strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
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
		if (strcmp(kv->key, "verb") == 0)
			continue;
		if (n == MAX_ARGS || !arg_name_ok(kv->key) || strcmp(kv->key, "token") == 0) {
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

	TAILQ_INIT(&q);
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		refuse(req, 405, "Method Not Allowed");
		return;
	}
	if (!right_host(req)) {
		refuse(req, 403, "Forbidden");
		return;
	}
	if (path == NULL || strcmp(path, "/") == 0)
		path = "/index.html";
	if (strcmp(path, "/api") == 0) {
		if (!authorised(con, req)) {
			refuse(req, 403, "Forbidden");
			return;
		}
		if (query != NULL && evhttp_parse_query_str(query, &q) != 0) {
			refuse(req, 400, "Bad Request");
			return;
		}
		api(con, req, &q);
		evhttp_clear_headers(&q);
		return;
	}
	for (a = console_assets; a->path != NULL; a++)
		if (strcmp(a->path, path) == 0) {
			reply(req, 200, "OK", a->type, a->data, a->len);
			return;
		}
	refuse(req, 404, "Not Found");
}

static void
resume_accept(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evconnlistener_enable(arg);
}

/* Out of descriptors, accept fails at once: the listener pauses a second
 * rather than spin (and log) until one is free. */
static void
accept_error(struct evconnlistener *l, void *arg)
{
	struct timeval tv = { 1, 0 };

	(void)arg;
	evconnlistener_disable(l);
	if (event_base_once(evconnlistener_get_base(l), -1, EV_TIMEOUT, resume_accept, l,
	    &tv) != 0)
		evconnlistener_enable(l);
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
	char host[64], extra;
	unsigned port;
	int rc = -1;

	if (sscanf(c->listen, "%63[^:]:%u%c", host, &port, &extra) != 2 || port > 65535 ||
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
	/* a request is a GET of a few hundred bytes: no body, small headers,
	 * an idle connection let go soon */
	evhttp_set_timeout(http, IDLE_TIMEOUT);
	evhttp_set_max_body_size(http, 0);
	evhttp_set_max_headers_size(http, 8192);
	if ((bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", (ev_uint16_t)port)) == NULL) {
		snprintf(err, errlen, "cannot listen on 127.0.0.1:%u", port);
		goto done;
	}
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) != 0) {
		snprintf(err, errlen, "cannot tell the console's port");
		goto done;
	}
	con.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(bs), accept_error);
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
