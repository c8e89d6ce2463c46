#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define ZONEINFO	"/usr/share/zoneinfo"
#define MINUTE		60
#define HOUR		(60 * MINUTE)
#define DAY		(24 * HOUR)
#define MIB		(1024 * 1024)
#define ALNUM		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
			"0123456789"

enum type {
	T_PATH,		/* non-empty */
	T_SOCKET,	/* a path that fits in sockaddr_un */
	T_GROUP,	/* a group name, or empty */
	T_TZ,		/* a zone in ZONEINFO, or empty */
	T_BOOL,		/* yes or no */
	T_INT,		/* int64_t, min..max */
	T_DURATION,	/* int64_t seconds, min..max */
	T_DURATIONS,	/* struct config_durations, each min..max, or empty */
	T_LISTEN,	/* HOST:PORT into char * at off, uint16_t at off2 */
	T_MODE,		/* a socket's mode: 0600, 0660 or 0666, into int64_t */
	T_CURVES,	/* key-exchange groups, colon-separated, from curves[] */
	T_PROGRAM,	/* an executable file's absolute path, or empty */
	T_CODES,	/* "all", or party codes separated by commas, or empty */
	T_BACKEND,	/* sqlite or postgresql */
	T_DSN,		/* a libpq connection string, or empty */
};

/* The key-exchange groups [tls] groups may name, in OpenSSL's spelling.
 * The finite-field groups (ffdhe2048..8192) are left out on purpose: one
 * ffdhe8192 handshake costs the server about 150 ms of CPU, which any
 * outsider can make it spend with a replayed ClientHello. */
static const char *const curves[] = { "X25519", "P-256", "X448", "P-384", "P-521" };
#define NCURVES		(sizeof(curves) / sizeof(curves[0]))

struct option {
	const char	*section;
	const char	*name;
	enum type	 type;
	const char	*def;		/* in config-file syntax */
	int64_t		 min, max;
	bool		 reloadable;
	const char	*help;
	size_t		 off, off2;
	const char	*why_min;	/* NULL, or why min is what it is */
};

#define F(field)	offsetof(struct config, field)

static const struct { const char *name, *help; } sections[] = {
	{ "server", "Listeners, sockets and files." },
	{ "tls", "The party listener's TLS 1.3 (mutual, pinned certificates)." },
	{ "limits", "Bounds on every connection; all of them take effect on "
	    "reload." },
	{ "incidents", "The incident mechanism (DESIGN.md, Incidents)." },
	{ "agreements", "Agreements once circulated." },
	{ "timelines", "Reminders before deadlines." },
	{ "alerts", "Events told to a program of the mediator's (mail, a messenger)." },
	{ "store", "Where the record is kept (DESIGN.md, The store of record)." },
	{ "testing", "Never enable these in production." },
};

static const struct option options[] = {
	{ "server", "listen", T_LISTEN, "0.0.0.0:7800", 0, 0, false,
	    "TLS listener for party endpoints: HOST:PORT, IPv6 as [::1]:7800.",
	    F(listen_host), F(listen_port) },
	{ "server", "state_dir", T_PATH, "/var/lib/parley", 0, 0, false,
	    "parley.db, the mediator key, the server TLS key and certificate.",
	    F(state_dir), 0 },
	{ "server", "admin_socket", T_SOCKET, "/run/parley/admin.sock", 0, 0,
	    false, "Unix socket for parleyctl.", F(admin_socket), 0 },
	{ "server", "admin_group", T_GROUP, "", 0, 0, false,
	    "Empty: the admin socket is mode 0600; a group: 0660, that group.",
	    F(admin_group), 0 },
	{ "server", "status_socket", T_SOCKET, "/run/parley/status.sock", 0, 0,
	    false, "Unix socket serving GET /metrics and GET /status.",
	    F(status_socket), 0 },
	{ "server", "max_frame", T_INT, "1048576", CONFIG_MAX_FRAME_MIN,
	    64 * MIB, true, "Largest frame accepted, in bytes; a larger one "
	    "closes the connection.", F(max_frame), 0,
	    "the largest delivery, a release bundle, must fit in one frame" },
	{ "server", "display_tz", T_TZ, "", 0, 0, true,
	    "Zone for times shown to people (e.g. Europe/Moscow); empty: the "
	    "process TZ.", F(display_tz), 0 },

	{ "server", "status_group", T_GROUP, "", 0, 0, false,
	    "Group of the status socket; empty: parleyd's own group.",
	    F(status_group), 0 },
	{ "server", "status_mode", T_MODE, "0660", 0, 0, false,
	    "Mode of the status socket: 0600, 0660 (its group may read the "
	    "counters) or 0666 (every local user may).", F(status_mode), 0 },

	{ "tls", "groups", T_CURVES, "X25519:P-256", 0, 0, true,
	    "Key-exchange groups the listener accepts, in the server's order "
	    "of preference: from X25519, P-256, X448, P-384, P-521, colon-"
	    "separated.  The finite-field groups (ffdhe*) are refused: each "
	    "handshake would cost the server tens of milliseconds.",
	    F(tls_groups), 0 },

	{ "limits", "max_connections", T_INT, "4096", 1, 1000000, true,
	    "Party connections open at once; beyond it accepting pauses.",
	    F(max_connections), 0 },
	{ "limits", "max_per_source", T_INT, "64", 0, 1000000, true,
	    "Party connections open at once from one source address (an IPv6 "
	    "address counts by its /64), authenticated or not, loopback "
	    "included; 0: no limit.  Beyond it a new connection is closed at "
	    "once.", F(max_per_source), 0 },
	{ "limits", "handshake_rate", T_INT, "20", 0, 1000000, true,
	    "New connections a second from one source address (a burst of as "
	    "many is allowed); 0: no limit.  Beyond it a new connection is "
	    "closed before any TLS work.", F(handshake_rate), 0 },
	{ "limits", "max_handshakes", T_INT, "128", 1, 100000, true,
	    "TLS handshakes in progress at once, less than max_connections; "
	    "beyond it a new connection sheds the oldest handshake of the source "
	    "with the most in progress.", F(max_handshakes), 0 },
	{ "limits", "max_per_endpoint", T_INT, "4", 1, 1000, true,
	    "Connections open at once from one endpoint certificate.",
	    F(max_per_endpoint), 0 },
	{ "limits", "handshake_timeout", T_DURATION, "10s", 1, 5 * MINUTE,
	    true, "Time allowed for the TLS handshake and Hello.",
	    F(handshake_timeout), 0 },
	{ "limits", "frame_timeout", T_DURATION, "30s", 1, HOUR, true,
	    "Time allowed for a whole frame to arrive, however slowly its "
	    "bytes trickle.", F(frame_timeout), 0 },
	{ "limits", "idle_timeout", T_DURATION, "10m", 10, 7 * DAY, true,
	    "A connection with no frame for this long is closed.",
	    F(idle_timeout), 0 },
	{ "limits", "max_queued_output", T_INT, "4194304",
	    CONFIG_MAX_QUEUED_OUTPUT_MIN, 1024 * MIB, true,
	    "Bytes queued for one connection; a peer leaving more unread is dropped.",
	    F(max_queued_output), 0,
	    "deliveries are pushed until half is queued, each up to 1 MiB" },
	{ "limits", "decode_budget", T_INT, "8388608", CONFIG_DECODE_BUDGET_MIN,
	    1024 * MIB, true, "Bytes the decoding of one frame may allocate.",
	    F(decode_budget), 0,
	    "a request with the longest text and calendar must decode" },

	{ "incidents", "response_window", T_DURATION, "6h", MINUTE, 30 * DAY,
	    true, "Time the accused party has to answer an incident report.",
	    F(response_window), 0 },
	{ "incidents", "disclosure_embargo", T_DURATION, "7h", MINUTE, 30 * DAY,
	    true, "An unanswered report may be made public after this long.",
	    F(disclosure_embargo), 0 },
	{ "incidents", "duty_grace", T_DURATION, "15m", MINUTE, DAY,
	    true, "Alert the mediator when a party has had no endpoint online this long.",
	    F(duty_grace), 0 },

	{ "incidents", "duty_parties", T_CODES, "", 0, 0, true,
	    "Parties whose duty watch raises alerts whatever their agreements: "
	    "party codes separated by commas, or all.  Any other party raises "
	    "them only while it signs an agreement that is circulating, released "
	    "or in force.", F(duty_parties), 0 },

	{ "limits", "letter_bytes_per_day", T_INT, "67108864", 1048576, 1099511627776LL, true,
	    "Bytes of letters one party may have stored in a day: a letter's text and "
	    "subject, and 1 KiB for what else each copy stores, count once for each "
	    "addressee and copy; more is refused until the day's oldest fall out of "
	    "the window.", F(letter_bytes_per_day), 0 },

	{ "agreements", "objection_window", T_DURATION, "24h", MINUTE, 30 * DAY,
	    true, "Time the other parties have to object to a request to add an "
	    "observer; with no objection it is added when the window ends.",
	    F(objection_window), 0 },

	{ "timelines", "sign_reminders", T_DURATIONS, "24h,1h", MINUTE,
	    30 * DAY, true,
	    "Remind the parties this long before a signing deadline.",
	    F(sign_reminders), 0 },
	{ "timelines", "expiry_warnings", T_DURATIONS, "24h,1h", MINUTE,
	    30 * DAY, true, "Warn the parties this long before an agreement "
	    "expires.", F(expiry_warnings), 0 },

	{ "alerts", "exec", T_PROGRAM, "", 0, 0, true,
	    "A program run once for each event of the record (parleyctl watch), "
	    "with the event as one JSON object on its standard input; exit "
	    "status 0 means told.  An event is told at least once and in order: "
	    "a failure is logged, counted in /metrics and retried (retry), and "
	    "later events wait their turn.  Empty: none.",
	    F(alert_exec), 0 },
	{ "alerts", "retry", T_DURATION, "5s", 1, 10 * MINUTE, true,
	    "After the program fails, wait this long before trying again; each "
	    "further failure doubles it, up to 10 minutes.", F(alert_retry), 0 },
	{ "alerts", "backlog", T_BOOL, "no", 0, 0, true,
	    "yes: the first time a program is set, tell it the whole record; "
	    "no: only the events from then on.", F(alert_backlog), 0 },

	{ "store", "backend", T_BACKEND, "sqlite", 0, 0, false,
	    "sqlite: the record is state_dir/parley.db on this machine.  "
	    "postgresql: the record is in the PostgreSQL database named by dsn "
	    "(with a synchronous standby, an ack means on two machines), "
	    "state_dir/parley-copy.db is this daemon's working copy of it, and "
	    "several parleyd may share the database: one serves, the others "
	    "wait for the lease.", F(store_backend), 0 },
	{ "store", "dsn", T_DSN, "", 0, 0, false,
	    "The PostgreSQL connection string (libpq), e.g. host=db1 "
	    "dbname=parley user=parley; required with backend = postgresql.",
	    F(store_dsn), 0 },
	{ "store", "lease", T_DURATION, "5s", 2, 60, false,
	    "With backend = postgresql: how long the serving daemon's lease "
	    "lasts without renewal.  A standby takes over at once when the "
	    "serving daemon's connection is gone, and after this long when it "
	    "stops renewing (paused, cut off).", F(store_lease), 0 },

	{ "testing", "virtual_clock", T_BOOL, "no", 0, 0, false,
	    "yes: time moves only by `parleyctl clock`.", F(virtual_clock), 0 },
};

#define NOPTIONS	(sizeof(options) / sizeof(options[0]))
#define NSECTIONS	(sizeof(sections) / sizeof(sections[0]))

/* Every string a struct config holds is a copy on its strings list, the
 * one owner of them all: config_free releases the list, and a value that
 * set_option replaces stays on it until then (each option is set at most
 * twice: its default, then the file). */
struct config_string {
	struct config_string *next;
	char s[];
};

/* A copy of s owned by c.  One policy for running out of memory here: the
 * daemon cannot go on. */
static char *
keep_string(struct config *c, const char *s)
{
	size_t n = strlen(s) + 1;
	struct config_string *k = malloc(sizeof(*k) + n);

	if (k == NULL) {
		fputs("parleyd: out of memory\n", stderr);
		abort();
	}
	memcpy(k->s, s, n);
	k->next = c->strings;
	c->strings = k;
	return k->s;
}

#define FIELD(c, off, T)	((T *)(void *)((char *)(c) + (off)))
#define CFIELD(c, off, T)	\
	((const T *)(const void *)((const char *)(c) + (off)))

static bool
known_section(const char *name)
{
	for (size_t i = 0; i < NSECTIONS; i++)
		if (strcmp(sections[i].name, name) == 0)
			return true;
	return false;
}

static const struct option *
find_option(const char *section, const char *name)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (strcmp(options[i].name, name) == 0 && (section == NULL ||
		    strcmp(options[i].section, section) == 0))
			return &options[i];
	return NULL;
}

/* Durations: one or more NUMBER UNIT ("90s", "1h30m").  0 ok (INT64_MAX if
 * too large, for the range check to refuse), -1 not a duration. */
static int
parse_duration(const char *s, int64_t *out)
{
	int64_t total = 0;
	bool big = false;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		int64_t n = 0, unit;

		if (!isdigit((unsigned char)*s))
			return -1;
		for (; isdigit((unsigned char)*s); s++) {
			if (n > (INT64_MAX - (*s - '0')) / 10)
				big = true;
			else
				n = n * 10 + (*s - '0');
		}
		switch (*s++) {
		case 's': unit = 1; break;
		case 'm': unit = MINUTE; break;
		case 'h': unit = HOUR; break;
		case 'd': unit = DAY; break;
		default: return -1;
		}
		if (n > (INT64_MAX - total) / unit)
			big = true;
		else
			total += n * unit;
	}
	*out = big ? INT64_MAX : total;
	return 0;
}

static void
format_duration(int64_t v, char *buf, size_t len)
{
	static const struct { int64_t s; char u; } units[] = {
		{ DAY, 'd' }, { HOUR, 'h' }, { MINUTE, 'm' }, { 1, 's' },
	};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && used < len;
	    i++) {
		if (v >= units[i].s || (used == 0 && units[i].s == 1)) {
			used += snprintf(buf + used, len - used, "%lld%c",
			    (long long)(v / units[i].s), units[i].u);
			v %= units[i].s;
		}
	}
}

static void
format_bound(const struct option *o, int64_t v, char *buf, size_t len)
{
	if (o->type == T_INT)
		snprintf(buf, len, "%lld", (long long)v);
	else
		format_duration(v, buf, len);
}

/* A number (T_INT) or duration within o's bounds; text is for messages. */
static int
parse_bounded(const struct option *o, const char *text, int64_t *out,
    char *msg, size_t len)
{
	char bound[32];
	int64_t v = 0;

	if (o->type == T_INT) {
		char *end;

		/* Out of range, strtoll gives INT64_MIN or INT64_MAX: both
		 * fail the bounds check below. */
		v = strtoll(text, &end, 10);
		if (end == text || *end != '\0' || isspace((unsigned char)*text)
		    || *text == '+') {
			snprintf(msg, len, "%s: expected an integer, "
			    "got \"%s\"", o->name, text);
			return -1;
		}
	} else if (parse_duration(text, &v) == -1) {
		snprintf(msg, len, "%s: expected a duration like 30s, 15m, "
		    "6h or 7d, got \"%s\"", o->name, text);
		return -1;
	}
	if (v < o->min) {
		format_bound(o, o->min, bound, sizeof(bound));
		snprintf(msg, len, "%s: %s is below the minimum %s%s%s", o->name,
		    text, bound, o->why_min ? ": " : "",
		    o->why_min ? o->why_min : "");
		return -1;
	}
	if (v > o->max) {
		format_bound(o, o->max, bound, sizeof(bound));
		snprintf(msg, len, "%s: %s is above the maximum %s", o->name,
		    text, bound);
		return -1;
	}
	*out = v;
	return 0;
}

static int
cmp_desc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x < y) - (x > y);
}

static int
parse_durations(const struct option *o, const char *text,
    struct config_durations *out, char *msg, size_t len)
{
	struct config_durations d = { 0 };
	const char *p, *comma = NULL;
	char item[128];
	size_t n;

	for (p = text; *text != '\0'; p = comma + 1) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		while (n > 0 && isspace((unsigned char)*p))
			p++, n--;
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		if (n == 0 || n >= sizeof(item)) {
			snprintf(msg, len, "%s: expected durations separated "
			    "by commas, got \"%s\"", o->name, text);
			return -1;
		}
		if (d.n == CONFIG_MAX_DURATIONS) {
			snprintf(msg, len, "%s: more than %d durations",
			    o->name, CONFIG_MAX_DURATIONS);
			return -1;
		}
		snprintf(item, sizeof(item), "%.*s", (int)n, p);
		if (parse_bounded(o, item, &d.s[d.n], msg, len) == -1)
			return -1;
		for (size_t i = 0; i < d.n; i++)
			if (d.s[i] == d.s[d.n]) {
				snprintf(msg, len, "%s: %s is listed twice",
				    o->name, item);
				return -1;
			}
		d.n++;
		if (comma == NULL)
			break;
	}
	qsort(d.s, d.n, sizeof(d.s[0]), cmp_desc);
	*out = d;
	return 0;
}

static bool
valid_hostname(const char *h)
{
	size_t label = 0, total = 0;

	for (; *h != '\0'; h++, total++) {
		if (*h == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum((unsigned char)*h) ||
		    (*h == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else
			return false;
	}
	return label > 0 && total <= 253;
}

#define HOST_MAX	256

/* HOST:PORT, [IPV6]:PORT.  host gets the host without brackets. */
static int
parse_listen(const struct option *o, const char *text, char host[HOST_MAX],
    uint16_t *port, char *msg, size_t len)
{
	const char *colon, *h = text, *p;
	size_t hlen;
	char buf[HOST_MAX];
	unsigned char addr[16];
	unsigned long n;
	char *end;

	if (*text == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL) {
			snprintf(msg, len, "%s: missing \"]\" after the IPv6 "
			    "address in \"%s\"", o->name, text);
			return -1;
		}
		h = text + 1;
		hlen = close - h;
		colon = close + 1;
		if (*colon != ':')
			goto usage;
	} else {
		if ((colon = strrchr(text, ':')) == NULL)
			goto usage;
		hlen = colon - text;
		if (memchr(text, ':', hlen) != NULL) {
			snprintf(msg, len, "%s: write an IPv6 address in "
			    "brackets, as [::1]:7800", o->name);
			return -1;
		}
	}
	if (hlen == 0 || hlen >= sizeof(buf))
		goto usage;
	memcpy(buf, h, hlen);
	buf[hlen] = '\0';
	if (*text == '[') {
		if (inet_pton(AF_INET6, buf, addr) != 1) {
			snprintf(msg, len, "%s: bad IPv6 address \"%s\"",
			    o->name, buf);
			return -1;
		}
	} else if (strspn(buf, "0123456789.") == hlen) {
		if (inet_pton(AF_INET, buf, addr) != 1) {
			snprintf(msg, len, "%s: bad IPv4 address \"%s\"",
			    o->name, buf);
			return -1;
		}
	} else if (!valid_hostname(buf)) {
		snprintf(msg, len, "%s: bad host name \"%s\"", o->name, buf);
		return -1;
	}
	p = colon + 1;
	errno = 0;
	n = strtoul(p, &end, 10);
	if (!isdigit((unsigned char)*p) || *end != '\0' || errno != 0 ||
	    n < 1 || n > 65535) {
		snprintf(msg, len, "%s: port must be 1..65535, got \"%s\"",
		    o->name, p);
		return -1;
	}
	memcpy(host, buf, hlen + 1);
	*port = (uint16_t)n;
	return 0;
usage:
	snprintf(msg, len, "%s: expected HOST:PORT", o->name);
	return -1;
}

/* NAME[:NAME...], each from curves[], none twice. */
static int
check_curves(const struct option *o, const char *v, char *msg, size_t len)
{
	const char *p = v;
	bool seen[NCURVES] = { false };

	if (*v == '\0') {
		snprintf(msg, len, "%s: at least one group is required", o->name);
		return -1;
	}
	for (;;) {
		size_t n = strcspn(p, ":"), i;

		for (i = 0; i < NCURVES; i++)
			if (strlen(curves[i]) == n && strncmp(curves[i], p, n) == 0)
				break;
		if (i == NCURVES) {
			if (strncmp(p, "ffdhe", 5) == 0 || strncmp(p, "FFDHE", 5) == 0)
				snprintf(msg, len, "%s: %.*s is refused: a finite-field "
				    "handshake costs the server tens of milliseconds of "
				    "CPU, which any outsider can make it spend", o->name,
				    (int)n, p);
			else
				snprintf(msg, len, "%s: unknown group \"%.*s\" (known: "
				    "X25519, P-256, X448, P-384, P-521)", o->name,
				    (int)(n > 32 ? 32 : n), p);
			return -1;
		}
		if (seen[i]) {
			snprintf(msg, len, "%s: %s is listed twice", o->name, curves[i]);
			return -1;
		}
		seen[i] = true;
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
}

static int
check_value(const struct option *o, const char *v, char *msg, size_t len)
{
	struct stat st;
	char path[PATH_MAX];
	size_t n = strlen(v);

	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		snprintf(msg, len, "%s: values are not quoted; remove the "
		    "quotes", o->name);
		return -1;
	}
	switch (o->type) {
	case T_PATH:
	case T_SOCKET:
		if (n == 0) {
			snprintf(msg, len, "%s: a path is required", o->name);
			return -1;
		}
		if (o->type == T_SOCKET &&
		    n >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			snprintf(msg, len, "%s: a socket path must be shorter "
			    "than %zu bytes", o->name,
			    sizeof(((struct sockaddr_un *)0)->sun_path));
			return -1;
		}
		return 0;
	case T_GROUP:
		if (n > 32 || v[0] == '-' || strspn(v, ALNUM "_.-") != n) {
			snprintf(msg, len, "%s: bad group name \"%s\"", o->name,
			    v);
			return -1;
		}
		return 0;
	case T_TZ:
		/* The name becomes a path: refuse anything that could leave
		 * the zoneinfo directory. */
		if (n > 0 && (v[0] == '/' || v[0] == '.' || strstr(v, "/.") ||
		    strspn(v, ALNUM "_+-/") != n ||
		    snprintf(path, sizeof(path), ZONEINFO "/%s", v) >=
		    (int)sizeof(path) ||
		    stat(path, &st) == -1 || !S_ISREG(st.st_mode))) {
			snprintf(msg, len, "%s: unknown time zone \"%s\" "
			    "(not in " ZONEINFO ")", o->name, v);
			return -1;
		}
		return 0;
	case T_MODE:
		if (strcmp(v, "0600") != 0 && strcmp(v, "0660") != 0 &&
		    strcmp(v, "0666") != 0) {
			snprintf(msg, len, "%s: expected 0600, 0660 or 0666, "
			    "got \"%s\"", o->name, v);
			return -1;
		}
		return 0;
	case T_CURVES:
		return check_curves(o, v, msg, len);
	case T_CODES:
		if (n > 0 && strcmp(v, "all") != 0) {
			const char *p = v;
			size_t k;
			while (*p != '\0') {
				k = strcspn(p, ",");
				if (k == 0 || k > 32 || strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_-")
				    != k || *p == '-' || *p == '_') {
					snprintf(msg, len, "%s: expected all, or party codes separated "
					    "by commas, got \"%s\"", o->name, v);
					return -1;
				}
				p += k + (p[k] == ',');
				if (p[-1] == ',' && *p == '\0') {
					snprintf(msg, len, "%s: a comma ends \"%s\"", o->name, v);
					return -1;
				}
			}
		}
		return 0;
	case T_BACKEND:
		if (strcmp(v, "sqlite") != 0 && strcmp(v, "postgresql") != 0) {
			snprintf(msg, len, "%s: expected sqlite or postgresql, got \"%s\"",
			    o->name, v);
			return -1;
		}
		return 0;
	case T_DSN:
		for (size_t k = 0; k < n; k++)
			if ((unsigned char)v[k] < 0x20 || v[k] == 0x7f) {
				snprintf(msg, len, "%s: a control character in the value",
				    o->name);
				return -1;
			}
		if (n > 1024) {
			snprintf(msg, len, "%s: longer than 1024 bytes", o->name);
			return -1;
		}
		return 0;
	case T_PROGRAM:
		if (n > 0 && (v[0] != '/' || stat(v, &st) != 0 || !S_ISREG(st.st_mode) ||
		    access(v, X_OK) != 0)) {
			snprintf(msg, len, "%s: \"%s\" is not an executable file's absolute "
			    "path", o->name, v);
			return -1;
		}
		return 0;
	case T_BOOL:
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
			snprintf(msg, len, "%s: expected yes or no, got \"%s\"",
			    o->name, v);
			return -1;
		}
		return 0;
	default:
		if (n == 0 && o->type != T_DURATIONS) {
			snprintf(msg, len, "%s: a value is required", o->name);
			return -1;
		}
		return 0;
	}
}

/* Parse v for option o and store it in c.  0, or -1 with msg set
 * ("name: problem") and c unchanged. */
static int
set_option(const struct option *o, struct config *c, const char *v,
    char *msg, size_t len)
{
	char host[HOST_MAX];
	uint16_t port;
	int64_t i;
	struct config_durations d;

	if (check_value(o, v, msg, len) == -1)
		return -1;
	switch (o->type) {
	case T_PATH:
	case T_SOCKET:
	case T_GROUP:
	case T_TZ:
	case T_CURVES:
	case T_PROGRAM:
	case T_CODES:
	case T_BACKEND:
	case T_DSN:
		*FIELD(c, o->off, char *) = keep_string(c, v);
		break;
	case T_MODE:
		*FIELD(c, o->off, int64_t) = strtoll(v, NULL, 8);
		break;
	case T_BOOL:
		*FIELD(c, o->off, bool) = strcmp(v, "yes") == 0;
		break;
	case T_INT:
	case T_DURATION:
		if (parse_bounded(o, v, &i, msg, len) == -1)
			return -1;
		*FIELD(c, o->off, int64_t) = i;
		break;
	case T_DURATIONS:
		if (parse_durations(o, v, &d, msg, len) == -1)
			return -1;
		*FIELD(c, o->off, struct config_durations) = d;
		break;
	case T_LISTEN:
		if (parse_listen(o, v, host, &port, msg, len) == -1)
			return -1;
		*FIELD(c, o->off, char *) = keep_string(c, host);
		*FIELD(c, o->off2, uint16_t) = port;
		break;
	}
	return 0;
}

void
config_defaults(struct config *c)
{
	char msg[256];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NOPTIONS; i++)
		if (set_option(&options[i], c, options[i].def, msg,
		    sizeof(msg)) == -1) {
			/* Our bug, which the unit test catches. */
			fprintf(stderr, "parleyd: bad default: %s\n", msg);
			abort();
		}
}

void
config_free(struct config *c)
{
	struct config_string *k;

	if (c == NULL)
		return;
	while ((k = c->strings) != NULL) {
		c->strings = k->next;
		free(k);
	}
	memset(c, 0, sizeof(*c));
}

/*
 * Loading.  inih does not pass line numbers to the handler in this build
 * (INI_HANDLER_LINENO is 0), so we feed it through our own reader, which
 * counts lines and hands inih one whole line per call: the handler runs
 * while that line is current.  The reader also strips leading whitespace
 * (an indented line would otherwise continue the previous value, inih's
 * multi-line mode) and comments, and checks section headers itself, so an
 * unknown section is reported on its own line even when it is empty.
 */
struct parse {
	const char	*path;
	FILE		*fp;
	char		*line;		/* getline's buffer */
	size_t		 linesz;
	int		 lineno;
	int		 set_on[NOPTIONS];	/* line set on, 0: unset */
	struct config	*c;
	char		*err;
	size_t		 errlen;
	int		 err_line;	/* 0: no error yet */
};

static void fail(struct parse *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Keep the first error only; line 0 means a message without a position. */
static void
fail(struct parse *p, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (p->err_line != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->path, line, msg);
	else
		snprintf(p->err, p->errlen, "%s", msg);
	p->err_line = line > 0 ? line : p->lineno + 1;
}

static char *
reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	ssize_t n;
	char *s, *e;

	if (p->err_line != 0)
		return NULL;		/* stop at the first error */
	errno = 0;
	if ((n = getline(&p->line, &p->linesz, p->fp)) == -1) {
		if (ferror(p->fp))
			fail(p, 0, "cannot read %s: %s", p->path,
			    strerror(errno ? errno : EIO));
		return NULL;
	}
	p->lineno++;
	s = p->line;
	if ((size_t)n != strlen(s)) {
		fail(p, p->lineno, "line contains a NUL byte");
		return NULL;
	}
	if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '#' || *s == ';')
		*s = '\0';
	for (e = s; *e != '\0'; e++)
		if ((*e == '#' || *e == ';') && isspace((unsigned char)e[-1])) {
			*e = '\0';
			break;
		}
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';

	if (*s == '[') {
		char *close = strchr(s, ']');

		if (close == NULL) {
			fail(p, p->lineno, "missing \"]\" in section header");
			return NULL;
		}
		if (close[1] != '\0') {
			fail(p, p->lineno, "unexpected text after [section]");
			return NULL;
		}
		*close = '\0';
		if (!known_section(s + 1)) {
			fail(p, p->lineno, "unknown section [%s]", s + 1);
			return NULL;
		}
		*close = ']';
	} else if (*s != '\0' && *(s + strcspn(s, "=:")) != '=') {
		/* inih would also split "name: value", and "listen 1.2.3.4:5"
		 * at its colon; only "=" separates here. */
		fail(p, p->lineno, "expected NAME = VALUE");
		return NULL;
	}
	if (e - s >= num) {
		fail(p, p->lineno, "line too long (over %d characters)",
		    num - 1);
		return NULL;
	}
	memcpy(str, s, e - s + 1);
	return str;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	const struct option *o;
	char msg[400];
	size_t i;

	if (p->err_line != 0)
		return 0;
	if (*name == '\0') {
		fail(p, p->lineno, "expected NAME = VALUE");
		return 0;
	}
	if (!known_section(section)) {
		o = find_option(NULL, name);
		if (*section == '\0' && o != NULL)
			fail(p, p->lineno, "%s must be in [%s]", name,
			    o->section);
		else if (*section == '\0')
			fail(p, p->lineno, "option \"%s\" outside any "
			    "[section]", name);
		else
			fail(p, p->lineno, "unknown section [%s]", section);
		return 0;
	}
	if ((o = find_option(section, name)) == NULL) {
		const struct option *elsewhere = find_option(NULL, name);

		if (elsewhere != NULL)
			fail(p, p->lineno, "unknown option \"%s\" in [%s] (it "
			    "belongs in [%s])", name, section,
			    elsewhere->section);
		else
			fail(p, p->lineno, "unknown option \"%s\" in [%s]",
			    name, section);
		return 0;
	}
	i = o - options;
	if (p->set_on[i] != 0) {
		fail(p, p->lineno, "%s set twice (first on line %d)", name,
		    p->set_on[i]);
		return 0;
	}
	p->set_on[i] = p->lineno;
	if (set_option(o, p->c, value, msg, sizeof(msg)) == -1) {
		fail(p, p->lineno, "%s", msg);
		return 0;
	}
	return 1;
}

int
config_load(const char *path, struct config *c, char *err, size_t errlen)
{
	struct parse p = { .path = path, .err = err, .errlen = errlen };
	struct config tmp;
	int rc;

	if ((p.fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	config_defaults(&tmp);
	p.c = &tmp;
	rc = ini_parse_stream(reader, &p, handler, &p);
	/* inih reports lines it could not parse; our reader should have
	 * caught them first, but take whichever error came first. */
	if (rc > 0 && (p.err_line == 0 || rc < p.err_line)) {
		p.err_line = 0;
		fail(&p, rc, "syntax error");
	} else if (rc < 0 && p.err_line == 0)
		fail(&p, 0, "cannot read %s: %s", path, strerror(ENOMEM));
	fclose(p.fp);
	free(p.line);
	if (p.err_line == 0 && strcmp(tmp.store_backend, "postgresql") == 0 &&
	    tmp.store_dsn[0] == '\0')
		fail(&p, p.set_on[find_option("store", "backend") - options],
		    "backend = postgresql needs dsn = ... in [store]");
	if (p.err_line != 0) {
		config_free(&tmp);
		return -1;
	}
	config_free(c);
	*c = tmp;
	return 0;
}

static bool
same_value(const struct option *o, const struct config *a,
    const struct config *b)
{
	switch (o->type) {
	case T_PATH:
	case T_SOCKET:
	case T_GROUP:
	case T_TZ:
	case T_CURVES:
	case T_PROGRAM:
	case T_CODES:
	case T_BACKEND:
	case T_DSN:
		return strcmp(*CFIELD(a, o->off, char *),
		    *CFIELD(b, o->off, char *)) == 0;
	case T_LISTEN:
		return strcmp(*CFIELD(a, o->off, char *),
		    *CFIELD(b, o->off, char *)) == 0 &&
		    *CFIELD(a, o->off2, uint16_t) ==
		    *CFIELD(b, o->off2, uint16_t);
	case T_BOOL:
		return *CFIELD(a, o->off, bool) == *CFIELD(b, o->off, bool);
	case T_INT:
	case T_DURATION:
	case T_MODE:
		return *CFIELD(a, o->off, int64_t) ==
		    *CFIELD(b, o->off, int64_t);
	case T_DURATIONS: {
		const struct config_durations *x = CFIELD(a, o->off,
		    struct config_durations), *y = CFIELD(b, o->off,
		    struct config_durations);

		return x->n == y->n &&
		    memcmp(x->s, y->s, x->n * sizeof(x->s[0])) == 0;
	}
	}
	return false;
}

int
config_reload_changes(const struct config *old, const struct config *new,
    char *err, size_t errlen)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (!options[i].reloadable &&
		    !same_value(&options[i], old, new)) {
			snprintf(err, errlen, "%s cannot change on reload; "
			    "restart parleyd", options[i].name);
			return -1;
		}
	return 0;
}

static void
print_kind(FILE *f, const struct option *o)
{
	char lo[32], hi[32];

	format_bound(o, o->min, lo, sizeof(lo));
	format_bound(o, o->max, hi, sizeof(hi));
	switch (o->type) {
	case T_PATH:
	case T_SOCKET: fputs("# A path", f); break;
	case T_GROUP: fputs("# A group name, or empty", f); break;
	case T_TZ: fputs("# A name in " ZONEINFO ", or empty", f); break;
	case T_BOOL: fputs("# yes or no", f); break;
	case T_LISTEN: fputs("# HOST:PORT", f); break;
	case T_MODE: fputs("# 0600, 0660 or 0666", f); break;
	case T_CURVES: fputs("# Group names, colon-separated", f); break;
	case T_PROGRAM: fputs("# An executable's absolute path, or empty", f); break;
	case T_CODES: fputs("# all, party codes separated by commas, or empty", f); break;
	case T_BACKEND: fputs("# sqlite or postgresql", f); break;
	case T_DSN: fputs("# A libpq connection string, or empty", f); break;
	case T_INT: fprintf(f, "# An integer, %s..%s", lo, hi); break;
	case T_DURATION: fprintf(f, "# A duration, %s..%s", lo, hi); break;
	case T_DURATIONS:
		fprintf(f, "# Up to %d durations, comma-separated, each "
		    "%s..%s, or empty", CONFIG_MAX_DURATIONS, lo, hi);
		break;
	}
	fprintf(f, "; %s.\n", o->reloadable ? "reloadable" :
	    "restart to change");
}

/* text as comment lines of at most 79 characters, broken at spaces. */
static void
print_wrapped(FILE *f, const char *text)
{
	const char *p = text;

	while (*p != '\0') {
		size_t n = strlen(p), cut = n;

		if (n > 77) {
			for (cut = 77; cut > 0 && p[cut] != ' '; cut--)
				;
			if (cut == 0)
				cut = strcspn(p, " ");
		}
		{
			size_t w = cut;

			while (w > 0 && p[w - 1] == ' ')
				w--;
			fprintf(f, "# %.*s\n", (int)w, p);
		}
		p += cut;
		while (*p == ' ')
			p++;
	}
}

void
config_print_doc(FILE *f)
{
	fputs("# parleyd.conf: the configuration of parleyd.\n"
	    "#\n"
	    "# Every option is shown commented out with its default; "
	    "uncomment a line\n"
	    "# to change it.  Lines starting with # or ; are comments, and so "
	    "is the rest\n"
	    "# of a line after whitespace and # or ;.  Values are not quoted.  "
	    "Durations\n"
	    "# are a number and a unit s, m, h or d, or several: 1h30m.  "
	    "Check a file\n"
	    "# with `parleyd -n -c FILE`.\n"
	    "#\n"
	    "# Generated from the option table in daemon/config.c "
	    "(config_print_doc);\n"
	    "# change the table, not this file.\n", f);
	for (size_t s = 0; s < NSECTIONS; s++) {
		fprintf(f, "\n# %s\n[%s]\n", sections[s].help,
		    sections[s].name);
		for (size_t i = 0; i < NOPTIONS; i++) {
			const struct option *o = &options[i];

			if (strcmp(o->section, sections[s].name) != 0)
				continue;
			fputc('\n', f);
			print_wrapped(f, o->help);
			if (o->why_min != NULL)
				fprintf(f, "# The minimum: %s.\n", o->why_min);
			print_kind(f, o);
			fprintf(f, "#%s =%s%s\n", o->name, *o->def ? " " : "",
			    o->def);
		}
	}
}

const char *
config_option_name(size_t i, const char **section)
{
	if (i >= NOPTIONS)
		return NULL;
	if (section != NULL)
		*section = options[i].section;
	return options[i].name;
}
