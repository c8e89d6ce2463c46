/* The lists a client tries in order (clients/cl_list.c): client.conf's
 * server and server_pin, parleyctl's admin sockets; and client.conf's
 * spelling of them, over several lines (cl_conf_load). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clients/cl.h"
#include "clients/cl_list.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

#define P1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define P2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define P3 "00000000000000000000000000000000000000000000000000000000000000aa"
#define P1_UPPER "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"

enum kind { ADDRS, PINS, SOCKETS };

struct list_case {
	enum kind kind;
	const char *in;
	const char *want;	/* the list joined ("a, b"), or NULL: refused */
	const char *err;	/* then a part of the error */
};

static const struct list_case cases[] = {
	/* addresses: one, several, white space, IPv6, the port's spelling */
	{ ADDRS, "127.0.0.1:7800", "127.0.0.1:7800", NULL },
	{ ADDRS, " a.example:1 ,b:2,\t[::1]:7800 ", "a.example:1, b:2, [::1]:7800", NULL },
	{ ADDRS, "host:07800", "host:7800", NULL },
	{ ADDRS, "[fe80::1%eth0]:7800", "[fe80::1%eth0]:7800", NULL },
	{ ADDRS, "[::ffff:127.0.0.1]:65535", "[::ffff:127.0.0.1]:65535", NULL },
	{ ADDRS, "a:1,b:1,c:1,d:1,e:1,f:1,g:1,h:1", "a:1, b:1, c:1, d:1, e:1, f:1, g:1, h:1",
	  NULL },
	{ ADDRS, "", NULL, "server is empty" },
	{ ADDRS, " \t ", NULL, "server is empty" },
	{ ADDRS, "a:1,", NULL, "server: address 2 is empty (a comma too many?)" },
	{ ADDRS, "a:1, ", NULL, "address 2 is empty" },
	{ ADDRS, ",a:1", NULL, "address 1 is empty" },
	{ ADDRS, "a:1,,b:2", NULL, "address 2 is empty" },
	{ ADDRS, "a:1,b:1,c:1,d:1,e:1,f:1,g:1,h:1,i:1", NULL, "server: more than 8 addresses" },
	{ ADDRS, "a", NULL, "\"a\" has no port (HOST:PORT)" },
	{ ADDRS, "a:", NULL, "\"a:\": the port must be a number from 1 to 65535" },
	{ ADDRS, "a:0", NULL, "the port must be" },
	{ ADDRS, "a:65536", NULL, "the port must be" },
	{ ADDRS, "a:99999999999999999999", NULL, "the port must be" },
	{ ADDRS, "a:12x", NULL, "the port must be" },
	{ ADDRS, "a:-1", NULL, "the port must be" },
	{ ADDRS, "a:+1", NULL, "the port must be" },
	{ ADDRS, ":7800", NULL, "\":7800\" has no host" },
	{ ADDRS, "::1:7800", NULL, "write an IPv6 address in brackets, as [::1]:7800" },
	{ ADDRS, "[::1]7800", NULL, "is not [IPv6]:PORT" },
	{ ADDRS, "[::1:7800", NULL, "is not [IPv6]:PORT" },
	{ ADDRS, "[]:1", NULL, "between the brackets goes an IPv6 address" },
	{ ADDRS, "[1.2.3.4]:1", NULL, "between the brackets goes an IPv6 address" },
	{ ADDRS, "[::1%]:1", NULL, "between the brackets goes an IPv6 address" },
	{ ADDRS, "a b:1", NULL, "\"a b:1\" holds white space" },
	{ ADDRS, "a:1 b:2", NULL, "holds white space (a comma goes between addresses)" },
	{ ADDRS, "a;b:1", NULL, "the host holds ';'" },
	{ ADDRS, "a:1, a:01", NULL, "server: a:1 is listed twice" },
	/* pins: 64 hex digits, kept in lower case; any number up to 8 */
	{ PINS, P1, P1, NULL },
	{ PINS, P1_UPPER, P1, NULL },
	{ PINS, " " P1 " ,\t" P2, P1 ", " P2, NULL },
	{ PINS, "", NULL, "server_pin is empty" },
	{ PINS, "abc", NULL, "server_pin: \"abc\" is not a pin (64 hex digits)" },
	{ PINS, P1 "0", NULL, "is not a pin" },
	{ PINS, "123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL,
	  "is not a pin" },
	{ PINS, "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL,
	  "is not a pin" },
	{ PINS, P1 ",", NULL, "server_pin: pin 2 is empty" },
	{ PINS, P1 ", " P1_UPPER, NULL, "is listed twice" },
	{ PINS, P1 " " P2, NULL, "is not a pin" },
	{ PINS, P1 "," P2 "," P3 "," P1 "," P2 "," P3 "," P1 "," P2 "," P3, NULL, "listed twice" },
	/* sockets: paths up to sun_path's length */
	{ SOCKETS, "/run/parley/admin.sock", "/run/parley/admin.sock", NULL },
	{ SOCKETS, "/a.sock , /b c.sock", "/a.sock, /b c.sock", NULL },
	{ SOCKETS, "/a.sock, ,/b.sock", NULL, "-s: socket 2 is empty" },
	{ SOCKETS, "/a.sock,/a.sock", NULL, "/a.sock is listed twice" },
	{ SOCKETS, "/a,/b,/c,/d,/e,/f,/g,/h,/i", NULL, "more than 8 sockets" },
};

static int
parse(const struct list_case *c, struct cl_list *l, char *err, size_t errlen)
{
	switch (c->kind) {
	case ADDRS:
		return cl_list_addrs("server", c->in, l, err, errlen);
	case PINS:
		return cl_list_pins("server_pin", c->in, l, err, errlen);
	default:
		return cl_list_sockets("-s", c->in, l, err, errlen);
	}
}

static void
test_lists(void **state)
{
	struct cl_list l;
	char err[600], joined[CL_LIST_MAX * (CL_LIST_ITEM + 2)];
	size_t i;

	(void)state;
	for (i = 0; i < LEN(cases); i++) {
		err[0] = '\0';
		int rc = parse(&cases[i], &l, err, sizeof(err));
		if (cases[i].want != NULL) {
			if (rc != 0)
				fail_msg("case %zu \"%s\": refused: %s", i, cases[i].in, err);
			cl_list_join(&l, joined, sizeof(joined));
			if (strcmp(joined, cases[i].want) != 0)
				fail_msg("case %zu \"%s\": got \"%s\"", i, cases[i].in, joined);
		} else {
			if (rc == 0)
				fail_msg("case %zu \"%s\": accepted", i, cases[i].in);
			if (strstr(err, cases[i].err) == NULL)
				fail_msg("case %zu \"%s\": error \"%s\" lacks \"%s\"", i, cases[i].in,
				    err, cases[i].err);
		}
	}
}

static void
test_bounds(void **state)
{
	char in[4096], err[600];
	struct cl_list l;

	(void)state;
	/* a host of 253 bytes is a host; one more is refused */
	memset(in, 'h', 253);
	snprintf(in + 253, sizeof(in) - 253, ":1");
	assert_int_equal(cl_list_addrs("server", in, &l, err, sizeof(err)), 0);
	assert_int_equal(strlen(l.item[0]), 255);
	memset(in, 'h', 254);
	snprintf(in + 254, sizeof(in) - 254, ":1");
	assert_int_equal(cl_list_addrs("server", in, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than 253 bytes"));
	/* an item longer than any item may be */
	memset(in, 'h', 600);
	in[600] = '\0';
	assert_int_equal(cl_list_addrs("server", in, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is too long"));
	/* a socket path of 107 bytes fits sun_path, 108 does not */
	memset(in, 's', 107);
	in[0] = '/';
	in[107] = '\0';
	assert_int_equal(cl_list_sockets("-s", in, &l, err, sizeof(err)), 0);
	in[107] = 's';
	in[108] = '\0';
	assert_int_equal(cl_list_sockets("-s", in, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than 107 bytes"));
	/* nine pins, each its own: one too many */
	in[0] = '\0';
	for (int i = 0; i < 9; i++)
		snprintf(in + strlen(in), sizeof(in) - strlen(in), "%s%063x%d", i ? ", " : "", 0, i);
	assert_int_equal(cl_list_pins("server_pin", in, &l, err, sizeof(err)), -1);
	assert_string_equal(err, "server_pin: more than 8 pins");
	in[strlen(in) - 66] = '\0';
	assert_int_equal(cl_list_pins("server_pin", in, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 8);
	/* NULL is empty */
	assert_int_equal(cl_list_sockets("-s", NULL, &l, err, sizeof(err)), -1);
	assert_string_equal(err, "-s is empty");
}

static void
test_has_join(void **state)
{
	struct cl_list l;
	char err[300], out[16];

	(void)state;
	assert_int_equal(cl_list_pins("server_pin", P1 "," P2, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 2);
	assert_true(cl_list_has(&l, P2));
	assert_false(cl_list_has(&l, P3));
	/* a pin is kept in lower case, as hex_encode writes one */
	assert_int_equal(cl_list_pins("server_pin", P1_UPPER, &l, err, sizeof(err)), 0);
	assert_true(cl_list_has(&l, P1));
	/* join cuts, and ends its output, at the buffer's end */
	assert_int_equal(cl_list_addrs("server", "abcdef:1, ghijkl:2", &l, err, sizeof(err)), 0);
	cl_list_join(&l, out, sizeof(out));
	assert_string_equal(out, "abcdef:1, ghijk");
}

/* client.conf cases: the file's text, then what it gives or the error. */
struct conf_case {
	const char *text;
	size_t nservers, npins;	/* when accepted */
	const char *err;	/* NULL: accepted; else a part of the error */
};

#define HEAD "[client]\ncert = endpoint.crt\nkey = endpoint.key\n"

static const struct conf_case conf_cases[] = {
	{ HEAD "server = 127.0.0.1:7800\nserver_pin = " P1 "\n", 1, 1, NULL },
	{ HEAD "server = 127.0.0.1:7800, [::1]:7801\nserver_pin = " P1 ", " P2 "\n", 2, 2, NULL },
	/* a list goes on over indented lines, after a comma; comments may
	 * stand between them */
	{ HEAD "server = a:1,\n    b:2,\n\tc:3\nserver_pin = " P1 ",\n  " P2 ",\n  ; spare\n  "
	  P3 "\n", 3, 3, NULL },
	/* an indented key right after the section line is a key */
	{ "[client]\n  server = a:1\nserver_pin = " P1 "\ncert = c\nkey = k\n", 1, 1, NULL },
	{ HEAD "server = a:1\n  b:2\nserver_pin = " P1 "\n", 0, 0,
	  ":5: server goes on over this line, but the line before does not end with a comma" },
	{ HEAD "server = a:1,\nserver_pin = " P1 "\n", 0, 0, ":4: server: address 2 is empty" },
	{ HEAD "server = a:1\nserver = b:2\nserver_pin = " P1 "\n", 0, 0,
	  ":5: server is given twice" },
	{ HEAD "server = a:1\nserver_pin = " P1 "\nserver_pin = " P2 "\n", 0, 0,
	  ":6: server_pin is given twice" },
	{ HEAD "  more.crt\nserver = a:1\nserver_pin = " P1 "\n", 0, 0,
	  ":4: key does not go on over another line" },
	{ HEAD "server = a:1\nserver_pin = " P1 ", " P2 ", " P3 "\n", 0, 0,
	  ":5: the line is longer than 198 characters" },
	{ HEAD "server = a:1\nserver_pin = 1234\n", 0, 0,
	  ":5: server_pin: \"1234\" is not a pin (64 hex digits)" },
	{ HEAD "server = a:1:2\nserver_pin = " P1 "\n", 0, 0, ":4: server: \"a:1:2\": write an IPv6" },
	{ HEAD "server = a:1\n", 0, 0, "must set server, server_pin, cert and key" },
	{ HEAD "server =\nserver_pin = " P1 "\n", 0, 0, ":4: server is empty" },
	{ HEAD "server = a:1\nserver_pin = " P1 "\nport = 1\n", 0, 0, ":6: unknown option \"port\"" },
	{ "[server]\nlisten = x\n", 0, 0, ":2: unknown section [server]" },
};

static void
test_conf(void **state)
{
	char dir[] = "/tmp/test_cl_list.XXXXXX", path[256], err[1200];
	struct cl_conf *conf;
	size_t i;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/client.conf", dir);
	assert_non_null(conf = malloc(sizeof(*conf)));
	for (i = 0; i < LEN(conf_cases); i++) {
		const struct conf_case *c = &conf_cases[i];
		assert_non_null(f = fopen(path, "w"));
		fputs(c->text, f);
		fclose(f);
		err[0] = '\0';
		int rc = cl_conf_load(path, conf, err, sizeof(err));
		if (c->err == NULL) {
			if (rc != 0)
				fail_msg("conf case %zu: refused: %s", i, err);
			assert_int_equal(conf->servers.n, c->nservers);
			assert_int_equal(conf->pins.n, c->npins);
			/* the first of each, for the tools that take one */
			assert_string_equal(conf->server, conf->servers.item[0]);
			assert_string_equal(conf->server_pin, conf->pins.item[0]);
		} else {
			if (rc == 0)
				fail_msg("conf case %zu: accepted", i);
			if (strstr(err, c->err) == NULL)
				fail_msg("conf case %zu: error \"%s\" lacks \"%s\"", i, err, c->err);
		}
	}
	/* what the lines of case 2 give, in order; paths from the file's dir */
	assert_non_null(f = fopen(path, "w"));
	fputs(conf_cases[2].text, f);
	fclose(f);
	assert_int_equal(cl_conf_load(path, conf, err, sizeof(err)), 0);
	assert_string_equal(conf->servers.item[0], "a:1");
	assert_string_equal(conf->servers.item[2], "c:3");
	assert_string_equal(conf->pins.item[2], P3);
	snprintf(path, sizeof(path), "%s/endpoint.crt", dir);
	assert_string_equal(conf->cert, path);
	free(conf);
	snprintf(path, sizeof(path), "%s/client.conf", dir);
	unlink(path);
	rmdir(dir);
}

/* The example shipped in conf/ reads, with its lists (run from the
 * tree's top, as tests/run-unit.sh does). */
static void
test_example(void **state)
{
	struct cl_conf *conf;
	char err[1200];

	(void)state;
	assert_non_null(conf = malloc(sizeof(*conf)));
	if (cl_conf_load("conf/client.conf", conf, err, sizeof(err)) != 0)
		fail_msg("conf/client.conf: %s", err);
	assert_int_equal(conf->servers.n, 3);
	assert_string_equal(conf->servers.item[2], "[2001:db8::7]:7800");
	assert_int_equal(conf->pins.n, 2);
	assert_string_equal(conf->cert, "conf/endpoint.crt");
	free(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_has_join),
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_example),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
