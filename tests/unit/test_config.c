/* Unit tests for daemon/config.c.  Run from the repository root: the golden
 * cases are read from tests/golden/config/ (NAME.conf, and NAME.expected
 * holding "configuration OK" or the exact error, with the path as
 * NAME.conf), and conf/parleyd.conf must equal config_print_doc().
 *
 * `test_config --print-doc` prints config_print_doc(), which is how
 * conf/parleyd.conf is regenerated. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"

#define GOLDEN_DIR	"tests/golden/config"
#define EXAMPLE		"conf/parleyd.conf"

/* A scratch directory for configuration files written by the tests. */
struct fixture {
	char	dir[64];
	char	path[96];
};

static int
fixture_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_config.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/t.conf", fx->dir);
	*state = fx;
	return 0;
}

static int
fixture_teardown(void **state)
{
	struct fixture *fx = *state;

	unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* The whole file at path, NUL-terminated; caller frees. */
static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int ch;

	if (f == NULL)
		return NULL;
	m = open_memstream(&buf, &len);
	assert_non_null(m);
	while ((ch = getc(f)) != EOF)
		putc(ch, m);
	fclose(f);
	fclose(m);
	return buf;
}

static char *
doc_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	config_print_doc(m);
	fclose(m);
	return buf;
}

static int
load_text(struct fixture *fx, const char *text, struct config *c, char *err,
    size_t errlen)
{
	write_file(fx->path, text);
	return config_load(fx->path, c, err, errlen);
}

static void
assert_durations(const struct config_durations *d, size_t n, ...)
{
	va_list ap;

	assert_int_equal(d->n, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(d->s[i], va_arg(ap, int64_t));
	va_end(ap);
}

static void
assert_config_equal(const struct config *a, const struct config *b)
{
	assert_string_equal(a->listen_host, b->listen_host);
	assert_int_equal(a->listen_port, b->listen_port);
	assert_string_equal(a->state_dir, b->state_dir);
	assert_string_equal(a->admin_socket, b->admin_socket);
	assert_string_equal(a->admin_group, b->admin_group);
	assert_string_equal(a->status_socket, b->status_socket);
	assert_int_equal(a->max_frame, b->max_frame);
	assert_string_equal(a->display_tz, b->display_tz);
	assert_int_equal(a->max_connections, b->max_connections);
	assert_int_equal(a->max_per_endpoint, b->max_per_endpoint);
	assert_int_equal(a->handshake_timeout, b->handshake_timeout);
	assert_int_equal(a->frame_timeout, b->frame_timeout);
	assert_int_equal(a->idle_timeout, b->idle_timeout);
	assert_int_equal(a->max_queued_output, b->max_queued_output);
	assert_int_equal(a->decode_budget, b->decode_budget);
	assert_int_equal(a->response_window, b->response_window);
	assert_int_equal(a->disclosure_embargo, b->disclosure_embargo);
	assert_int_equal(a->duty_grace, b->duty_grace);
	assert_int_equal(a->objection_window, b->objection_window);
	assert_int_equal(a->letter_bytes_per_day, b->letter_bytes_per_day);
	assert_memory_equal(&a->sign_reminders, &b->sign_reminders,
	    sizeof(a->sign_reminders));
	assert_memory_equal(&a->expiry_warnings, &b->expiry_warnings,
	    sizeof(a->expiry_warnings));
	assert_int_equal(a->virtual_clock, b->virtual_clock);
}

static void
test_defaults(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.listen_host, "0.0.0.0");
	assert_int_equal(c.listen_port, 7800);
	assert_string_equal(c.state_dir, "/var/lib/parley");
	assert_string_equal(c.admin_socket, "/run/parley/admin.sock");
	assert_string_equal(c.admin_group, "");
	assert_string_equal(c.status_socket, "/run/parley/status.sock");
	assert_int_equal(c.max_frame, 1048576);
	assert_string_equal(c.display_tz, "");
	assert_int_equal(c.max_connections, 4096);
	assert_int_equal(c.max_per_endpoint, 4);
	assert_int_equal(c.handshake_timeout, 10);
	assert_int_equal(c.frame_timeout, 30);
	assert_int_equal(c.idle_timeout, 600);
	assert_int_equal(c.max_queued_output, 4194304);
	assert_int_equal(c.decode_budget, 8388608);
	assert_int_equal(c.response_window, 6 * 3600);
	assert_int_equal(c.disclosure_embargo, 7 * 3600);
	assert_int_equal(c.duty_grace, 15 * 60);
	assert_int_equal(c.objection_window, 24 * 3600);
	assert_int_equal(c.letter_bytes_per_day, 64 * 1024 * 1024);
	assert_durations(&c.sign_reminders, 2, (int64_t)86400, (int64_t)3600);
	assert_durations(&c.expiry_warnings, 2, (int64_t)86400, (int64_t)3600);
	assert_false(c.virtual_clock);
	config_free(&c);
	assert_null(c.listen_host);
	config_free(&c);		/* twice is harmless */
	config_free(NULL);
}

/* good.conf sets every option away from its default: this checks that
 * each table row writes the field it should. */
static void
test_good_values(void **state)
{
	struct config c;
	char err[512];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load(GOLDEN_DIR "/good.conf", &c, err,
	    sizeof(err)), 0);
	assert_string_equal(c.listen_host, "::1");
	assert_int_equal(c.listen_port, 7900);
	assert_string_equal(c.state_dir, "/srv/parley/state");
	assert_string_equal(c.admin_socket, "/srv/parley/admin.sock");
	assert_string_equal(c.admin_group, "parley-admin");
	assert_string_equal(c.status_socket, "/srv/parley/status.sock");
	assert_int_equal(c.max_frame, 2097152);
	assert_string_equal(c.display_tz, "Europe/Moscow");
	assert_int_equal(c.max_connections, 100);
	assert_int_equal(c.max_per_endpoint, 2);
	assert_int_equal(c.handshake_timeout, 5);
	assert_int_equal(c.frame_timeout, 60);
	assert_int_equal(c.idle_timeout, 5400);
	assert_int_equal(c.max_queued_output, 2097152);
	assert_int_equal(c.decode_budget, 1073741824);
	assert_int_equal(c.response_window, 12 * 3600);
	assert_int_equal(c.disclosure_embargo, 86400);
	assert_durations(&c.sign_reminders, 3, (int64_t)7 * 86400,
	    (int64_t)86400, (int64_t)3600);
	assert_durations(&c.expiry_warnings, 0);
	assert_true(c.virtual_clock);
	config_free(&c);
}

/* A failed load leaves *c alone; a successful one starts from the
 * defaults, not from *c's old values. */
static void
test_load_replaces_or_keeps(void **state)
{
	struct config c, d;
	char err[512];
	char *host;

	(void)state;
	config_defaults(&c);
	config_defaults(&d);
	assert_int_equal(config_load(GOLDEN_DIR "/good.conf", &c, err,
	    sizeof(err)), 0);
	host = c.listen_host;
	assert_int_equal(config_load(GOLDEN_DIR "/max-frame-low.conf", &c, err,
	    sizeof(err)), -1);
	assert_string_equal(err, GOLDEN_DIR "/max-frame-low.conf:3: max_frame: "
	    "12 is below the minimum 1048576: the largest delivery, a release "
	    "bundle, must fit in one frame");
	assert_ptr_equal(c.listen_host, host);
	assert_int_equal(c.max_frame, 2097152);
	assert_true(c.virtual_clock);
	assert_int_equal(config_load(GOLDEN_DIR "/good-minimal.conf", &c, err,
	    sizeof(err)), 0);
	assert_config_equal(&c, &d);
	config_free(&c);
	config_free(&d);

	memset(&c, 0, sizeof(c));	/* a zeroed config is accepted too */
	assert_int_equal(config_load(GOLDEN_DIR "/good.conf", &c, err,
	    sizeof(err)), 0);
	config_free(&c);
}

static void
test_open_errors(void **state)
{
	struct config c;
	char err[512];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load("no-such.conf", &c, err, sizeof(err)), -1);
	assert_string_equal(err, "cannot open no-such.conf: No such file or "
	    "directory");
	assert_int_equal(config_load(GOLDEN_DIR, &c, err, sizeof(err)), -1);
	assert_string_equal(err, "cannot read " GOLDEN_DIR ": Is a directory");
	/* A short buffer truncates, never overflows. */
	assert_int_equal(config_load("no-such.conf", &c, err, 8), -1);
	assert_string_equal(err, "cannot ");
	assert_string_equal(c.listen_host, "0.0.0.0");
	config_free(&c);
}

/* One option set to one value: NULL if it must load, else the message
 * after "PATH:2: ". */
static const struct value_case {
	const char *section, *name, *value, *error;
} value_cases[] = {
	{ "server", "listen", "[::1]:7800", NULL },
	{ "server", "listen", "[2001:db8::1]:443", NULL },
	{ "server", "listen", "localhost:1", NULL },
	{ "server", "listen", "parley.example.org:65535", NULL },
	{ "server", "listen", "a..b:1", "listen: bad host name \"a..b\"" },
	{ "server", "listen", "-a:1", "listen: bad host name \"-a\"" },
	{ "server", "listen", "1.2.3:1", "listen: bad IPv4 address \"1.2.3\"" },
	{ "server", "listen", "[127.0.0.1]:1",
	    "listen: bad IPv6 address \"127.0.0.1\"" },
	{ "server", "listen", "[::1]x:1", "listen: expected HOST:PORT" },
	{ "server", "listen", "[]:1", "listen: expected HOST:PORT" },
	{ "server", "listen", "h:+80", "listen: port must be 1..65535, "
	    "got \"+80\"" },
	{ "server", "listen", "h:99999999999999999999",
	    "listen: port must be 1..65535, got \"99999999999999999999\"" },
	{ "server", "state_dir", "relative/state", NULL },
	{ "server", "admin_socket", "/run/p/a.sock", NULL },
	{ "server", "admin_group", "", NULL },
	{ "server", "admin_group", "parley", NULL },
	{ "server", "admin_group", "-x", "admin_group: bad group name \"-x\"" },
	{ "server", "admin_group", "abcdefghijabcdefghijabcdefghijabc",
	    "admin_group: bad group name "
	    "\"abcdefghijabcdefghijabcdefghijabc\"" },
	{ "server", "admin_group", "'parley'",
	    "admin_group: values are not quoted; remove the quotes" },
	/* A delivery (up to CONFIG_DELIVERY_MAX) must fit in one frame, and
	 * beside half a queue of them: the minimums say so, and why. */
	{ "server", "max_frame", "1048576", NULL },
	{ "server", "max_frame", "1048575", "max_frame: 1048575 is below the "
	    "minimum 1048576: the largest delivery, a release bundle, must fit "
	    "in one frame" },
	{ "server", "max_frame", "8192", "max_frame: 8192 is below the minimum "
	    "1048576: the largest delivery, a release bundle, must fit in one "
	    "frame" },
	{ "server", "max_frame", "67108864", NULL },
	{ "server", "max_frame", "0x400",
	    "max_frame: expected an integer, got \"0x400\"" },
	{ "server", "max_frame", "+2048",
	    "max_frame: expected an integer, got \"+2048\"" },
	{ "server", "max_frame", "1 024",
	    "max_frame: expected an integer, got \"1 024\"" },
	{ "server", "max_frame", "-99999999999999999999",
	    "max_frame: -99999999999999999999 is below the minimum 1048576: the "
	    "largest delivery, a release bundle, must fit in one frame" },
	{ "server", "status_group", "", NULL },
	{ "server", "status_group", "adm", NULL },
	{ "server", "status_group", "a b", "status_group: bad group name \"a b\"" },
	{ "server", "status_mode", "0600", NULL },
	{ "server", "status_mode", "0660", NULL },
	{ "server", "status_mode", "0666", NULL },
	{ "server", "status_mode", "660", "status_mode: expected 0600, 0660 or 0666, got \"660\"" },
	{ "server", "status_mode", "0777", "status_mode: expected 0600, 0660 or 0666, got \"0777\"" },
	{ "server", "status_mode", "", "status_mode: expected 0600, 0660 or 0666, got \"\"" },
	{ "tls", "groups", "X25519", NULL },
	{ "tls", "groups", "P-256:X25519:X448:P-384:P-521", NULL },
	{ "tls", "groups", "", "groups: at least one group is required" },
	{ "tls", "groups", "x25519", "groups: unknown group \"x25519\" (known: X25519, P-256, X448, P-384, P-521)" },
	{ "tls", "groups", "X25519:", "groups: unknown group \"\" (known: X25519, P-256, X448, P-384, P-521)" },
	{ "tls", "groups", "X25519:X25519", "groups: X25519 is listed twice" },
	{ "tls", "groups", "X25519:ffdhe8192", "groups: ffdhe8192 is refused: a finite-field handshake costs the server tens of milliseconds of CPU, which any outsider can make it spend" },
	{ "tls", "groups", "secp256r1", "groups: unknown group \"secp256r1\" (known: X25519, P-256, X448, P-384, P-521)" },
	{ "limits", "max_per_source", "0", NULL },
	{ "limits", "max_per_source", "-1", "max_per_source: -1 is below the minimum 0" },
	{ "limits", "handshake_rate", "0", NULL },
	{ "limits", "handshake_rate", "1000001", "handshake_rate: 1000001 is above the maximum 1000000" },
	{ "limits", "max_handshakes", "0", "max_handshakes: 0 is below the minimum 1" },
	{ "server", "display_tz", "UTC", NULL },
	{ "server", "display_tz", "Europe/Moscow", NULL },
	{ "server", "display_tz", "/usr/share/zoneinfo/UTC",
	    "display_tz: unknown time zone \"/usr/share/zoneinfo/UTC\" "
	    "(not in /usr/share/zoneinfo)" },
	{ "server", "display_tz", "Europe/../UTC",
	    "display_tz: unknown time zone \"Europe/../UTC\" "
	    "(not in /usr/share/zoneinfo)" },
	{ "limits", "handshake_timeout", "5m", NULL },
	{ "limits", "handshake_timeout", "1s", NULL },
	{ "limits", "frame_timeout", "1h", NULL },
	{ "limits", "frame_timeout", "59m60s", NULL },
	{ "limits", "idle_timeout", "7d", NULL },
	{ "limits", "idle_timeout", "7d1s",
	    "idle_timeout: 7d1s is above the maximum 7d" },
	{ "limits", "idle_timeout", "h", "idle_timeout: expected a duration "
	    "like 30s, 15m, 6h or 7d, got \"h\"" },
	{ "limits", "idle_timeout", "5M", "idle_timeout: expected a duration "
	    "like 30s, 15m, 6h or 7d, got \"5M\"" },
	{ "limits", "idle_timeout", "-1m", "idle_timeout: expected a duration "
	    "like 30s, 15m, 6h or 7d, got \"-1m\"" },
	{ "limits", "idle_timeout", "1w", "idle_timeout: expected a duration "
	    "like 30s, 15m, 6h or 7d, got \"1w\"" },
	{ "limits", "max_queued_output", "2097152", NULL },
	{ "limits", "max_queued_output", "2097151", "max_queued_output: 2097151 "
	    "is below the minimum 2097152: deliveries are pushed until half is "
	    "queued, each up to 1 MiB" },
	{ "limits", "max_queued_output", "65536", "max_queued_output: 65536 is "
	    "below the minimum 2097152: deliveries are pushed until half is "
	    "queued, each up to 1 MiB" },
	{ "limits", "max_connections", "1000000", NULL },
	{ "limits", "max_connections", "1000001",
	    "max_connections: 1000001 is above the maximum 1000000" },
	{ "limits", "decode_budget", "1073741825",
	    "decode_budget: 1073741825 is above the maximum 1073741824" },
	{ "limits", "decode_budget", "1048576", NULL },
	{ "limits", "decode_budget", "1048575", "decode_budget: 1048575 is "
	    "below the minimum 1048576: a request with the longest text and "
	    "calendar must decode" },
	{ "limits", "decode_budget", "65536", "decode_budget: 65536 is below "
	    "the minimum 1048576: a request with the longest text and calendar "
	    "must decode" },
	{ "incidents", "response_window", "1m", NULL },
	{ "incidents", "response_window", "59s",
	    "response_window: 59s is below the minimum 1m" },
	{ "timelines", "sign_reminders", "", NULL },
	{ "timelines", "sign_reminders", "30d,1m", NULL },
	{ "timelines", "sign_reminders", "1m,2m,3m,4m,5m,6m,7m,8m", NULL },
	{ "timelines", "sign_reminders", "1h, 30d1s",
	    "sign_reminders: 30d1s is above the maximum 30d" },
	{ "timelines", "expiry_warnings", ",", "expiry_warnings: expected "
	    "durations separated by commas, got \",\"" },
	{ "store", "backend", "sqlite", NULL },
	{ "store", "backend", "postgres",
	    "backend: expected sqlite or postgresql, got \"postgres\"" },
	{ "store", "lease", "1s", "lease: 1s is below the minimum 2s" },
	{ "store", "backend", "postgresql", "backend = postgresql needs dsn = ... in [store]" },
	{ "testing", "virtual_clock", "yes", NULL },
	{ "testing", "virtual_clock", "Yes",
	    "virtual_clock: expected yes or no, got \"Yes\"" },
	{ "testing", "virtual_clock", "true",
	    "virtual_clock: expected yes or no, got \"true\"" },
};

static void
test_values(void **state)
{
	struct fixture *fx = *state;
	char text[512], want[512], err[512];
	struct config c;
	int failures = 0;

	config_defaults(&c);
	for (size_t i = 0; i < sizeof(value_cases) / sizeof(value_cases[0]);
	    i++) {
		const struct value_case *v = &value_cases[i];
		int rc;

		snprintf(text, sizeof(text), "[%s]\n%s = %s\n", v->section,
		    v->name, v->value);
		err[0] = '\0';
		rc = load_text(fx, text, &c, err, sizeof(err));
		if (v->error == NULL) {
			if (rc != 0) {
				print_error("%s = %s: unexpected error: %s\n",
				    v->name, v->value, err);
				failures++;
			}
			continue;
		}
		snprintf(want, sizeof(want), "%s:2: %s", fx->path, v->error);
		if (rc != -1 || strcmp(err, want) != 0) {
			print_error("%s = %s:\n  got  \"%s\"\n  want \"%s\"\n",
			    v->name, v->value, rc == 0 ? "(loaded)" : err,
			    want);
			failures++;
		}
	}
	config_free(&c);
	assert_int_equal(failures, 0);
}

/* One changed value per option, and whether SIGHUP may apply it. */
static const struct reload_case {
	const char *section, *name, *value;
	int reloadable;
} reload_cases[] = {
	{ "server", "listen", "0.0.0.0:7801", 0 },
	{ "server", "state_dir", "/srv/parley", 0 },
	{ "server", "admin_socket", "/run/x/admin.sock", 0 },
	{ "server", "admin_group", "parley", 0 },
	{ "server", "status_socket", "/run/x/status.sock", 0 },
	{ "server", "status_group", "adm", 0 },
	{ "server", "status_mode", "0666", 0 },
	{ "tls", "groups", "X25519", 1 },
	{ "limits", "max_per_source", "1", 1 },
	{ "limits", "handshake_rate", "1", 1 },
	{ "limits", "max_handshakes", "1", 1 },
	{ "server", "max_frame", "2097152", 1 },
	{ "server", "display_tz", "UTC", 1 },
	{ "limits", "max_connections", "10", 1 },
	{ "limits", "max_per_endpoint", "1", 1 },
	{ "limits", "handshake_timeout", "1s", 1 },
	{ "limits", "frame_timeout", "1s", 1 },
	{ "limits", "idle_timeout", "1h", 1 },
	{ "limits", "max_queued_output", "2097152", 1 },
	{ "limits", "decode_budget", "2097152", 1 },
	{ "incidents", "response_window", "1h", 1 },
	{ "incidents", "disclosure_embargo", "1h", 1 },
	{ "incidents", "duty_grace", "30m", 1 },
	{ "incidents", "duty_parties", "all", 1 },
	{ "agreements", "objection_window", "1h", 1 },
	{ "limits", "letter_bytes_per_day", "2097152", 1 },
	{ "timelines", "sign_reminders", "1h", 1 },
	{ "timelines", "expiry_warnings", "", 1 },
	{ "alerts", "exec", "/bin/true", 1 },
	{ "alerts", "backlog", "yes", 1 },
	{ "alerts", "retry", "1s", 1 },
	{ "store", "backend", "postgresql\ndsn = host=db1", 0 },
	{ "store", "dsn", "host=db1 dbname=parley", 0 },
	{ "store", "lease", "10s", 0 },
	{ "testing", "virtual_clock", "yes", 0 },
};

static void
test_reload_changes(void **state)
{
	struct fixture *fx = *state;
	struct config old, new;
	char text[256], err[512], want[256];
	const char *name, *section;
	size_t n = sizeof(reload_cases) / sizeof(reload_cases[0]);

	/* The table above covers every option. */
	for (size_t i = 0; (name = config_option_name(i, &section)); i++) {
		size_t j;

		for (j = 0; j < n; j++)
			if (strcmp(reload_cases[j].name, name) == 0 &&
			    strcmp(reload_cases[j].section, section) == 0)
				break;
		if (j == n)
			fail_msg("no reload case for %s", name);
	}

	config_defaults(&old);
	config_defaults(&new);
	assert_int_equal(config_reload_changes(&old, &new, err, sizeof(err)),
	    0);
	for (size_t i = 0; i < n; i++) {
		const struct reload_case *r = &reload_cases[i];

		snprintf(text, sizeof(text), "[%s]\n%s = %s\n", r->section,
		    r->name, r->value);
		assert_int_equal(load_text(fx, text, &new, err, sizeof(err)),
		    0);
		if (r->reloadable) {
			assert_int_equal(config_reload_changes(&old, &new, err,
			    sizeof(err)), 0);
			continue;
		}
		snprintf(want, sizeof(want), "%s cannot change on reload; "
		    "restart parleyd", r->name);
		assert_int_equal(config_reload_changes(&old, &new, err,
		    sizeof(err)), -1);
		assert_string_equal(err, want);
	}

	/* The listen port alone, and the first of several changes. */
	assert_int_equal(load_text(fx, "[server]\nlisten = 0.0.0.0:7801\n"
	    "state_dir = /x\n", &new, err, sizeof(err)), 0);
	assert_int_equal(config_reload_changes(&old, &new, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "listen cannot change on reload; restart "
	    "parleyd");
	config_free(&old);
	config_free(&new);
}

/* The example loads, commented (defaults) and uncommented (the same
 * defaults, written out), and shows every option and section. */
static void
test_doc(void **state)
{
	struct fixture *fx = *state;
	struct config defaults, c;
	char *doc = doc_text(), *open_doc, *line, *next, *dst;
	char err[512], pattern[128];
	const char *name, *section;
	size_t i, uncommented = 0;

	config_defaults(&defaults);
	config_defaults(&c);
	assert_int_equal(load_text(fx, doc, &c, err, sizeof(err)), 0);
	assert_config_equal(&c, &defaults);

	for (i = 0; (name = config_option_name(i, &section)); i++) {
		snprintf(pattern, sizeof(pattern), "\n#%s =", name);
		if (strstr(doc, pattern) == NULL)
			fail_msg("the example lacks %s", name);
		snprintf(pattern, sizeof(pattern), "\n[%s]\n", section);
		if (strstr(doc, pattern) == NULL)
			fail_msg("the example lacks [%s]", section);
	}

	/* Uncomment every "#option =" line. */
	open_doc = malloc(strlen(doc) + 1);
	assert_non_null(open_doc);
	dst = open_doc;
	for (line = doc; *line != '\0'; line = next) {
		size_t len;

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		len = next - line;
		if (len > 80)
			fail_msg("example line longer than 79 characters: %.*s",
			    (int)len, line);
		if (line[0] == '#') {
			const char *o;

			for (size_t k = 0; (o = config_option_name(k, NULL));
			    k++)
				if (strncmp(line + 1, o, strlen(o)) == 0 &&
				    strncmp(line + 1 + strlen(o), " =", 2) == 0)
					break;
			if (o != NULL) {
				line++, len--;
				uncommented++;
			}
		}
		memcpy(dst, line, len);
		dst += len;
	}
	*dst = '\0';
	assert_int_equal(uncommented, i);
	assert_int_equal(load_text(fx, open_doc, &c, err, sizeof(err)), 0);
	assert_config_equal(&c, &defaults);

	free(open_doc);
	free(doc);
	config_free(&c);
	config_free(&defaults);
}

static void
test_example_file_current(void **state)
{
	char *doc = doc_text(), *file = read_file(EXAMPLE);

	(void)state;
	if (file == NULL)
		fail_msg("cannot read " EXAMPLE " (run from the repository "
		    "root)");
	if (strcmp(doc, file) != 0)
		fail_msg(EXAMPLE " differs from config_print_doc(); regenerate "
		    "it: test_config --print-doc > " EXAMPLE);
	free(doc);
	free(file);
}

/* Golden cases: one cmocka test per NAME.conf. */
static void
test_golden(void **state)
{
	const char *name = *state;
	char path[512], conf[300], got[512], err[512];
	char *want;
	struct config c;
	size_t len;
	int cwd, rc;

	snprintf(path, sizeof(path), GOLDEN_DIR "/%s.expected", name);
	if ((want = read_file(path)) == NULL)
		fail_msg("missing %s", path);
	len = strlen(want);
	if (len == 0 || want[len - 1] != '\n' || strchr(want, '\n') !=
	    want + len - 1)
		fail_msg("%s must hold exactly one line", path);
	want[len - 1] = '\0';

	/* Load by the bare name, as an operator would from that directory;
	 * restore the working directory before any assertion can jump. */
	snprintf(conf, sizeof(conf), "%s.conf", name);
	config_defaults(&c);
	cwd = open(".", O_RDONLY | O_DIRECTORY);
	assert_true(cwd >= 0);
	if (chdir(GOLDEN_DIR) == -1) {
		close(cwd);
		fail_msg("cannot chdir to " GOLDEN_DIR);
	}
	rc = config_load(conf, &c, err, sizeof(err));
	assert_int_equal(fchdir(cwd), 0);
	close(cwd);
	config_free(&c);

	snprintf(got, sizeof(got), "%s", rc == 0 ? "configuration OK" : err);
	if (strcmp(got, want) != 0) {
		print_error("%s:\n  got  \"%s\"\n  want \"%s\"\n", conf, got,
		    want);
		free(want);
		fail();
	}
	free(want);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
run_golden(void)
{
	struct CMUnitTest *tests;
	DIR *d = opendir(GOLDEN_DIR);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, len;
	int failed;

	if (d == NULL) {
		fprintf(stderr, "cannot open " GOLDEN_DIR " (run from the "
		    "repository root)\n");
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 5 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		if (names == NULL || (names[n] = strndup(de->d_name,
		    len - 5)) == NULL)
			abort();
		n++;
	}
	closedir(d);
	if (n == 0) {
		fprintf(stderr, "no golden cases in " GOLDEN_DIR "\n");
		return 1;
	}
	qsort(names, n, sizeof(*names), cmp_names);
	if ((tests = calloc(n, sizeof(*tests))) == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		tests[i].name = names[i];
		tests[i].test_func = test_golden;
		tests[i].initial_state = names[i];
	}
	failed = _cmocka_run_group_tests("config_golden", tests, n, NULL,
	    NULL);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(tests);
	return failed;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_load_replaces_or_keeps),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_reload_changes),
		cmocka_unit_test(test_doc),
		cmocka_unit_test(test_example_file_current),
	};
	int failed;

	if (argc == 2 && strcmp(argv[1], "--print-doc") == 0) {
		config_print_doc(stdout);
		return 0;
	}
	failed = cmocka_run_group_tests_name("config", tests, fixture_setup,
	    fixture_teardown);
	failed += run_golden();
	return failed != 0;
}
