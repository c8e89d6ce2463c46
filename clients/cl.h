/* The client library shared by parley and parleyctl: a blocking framed
 * connection (TLS to parleyd with both certificates pinned, or the admin
 * Unix socket), client.conf, files, and exit codes. */
#ifndef PARLEY_CL_H
#define PARLEY_CL_H

#include <stddef.h>
#include <stdint.h>

#include "cl_list.h"
#include "frame.h"
#include "parley.pb-c.h"

/* Exit codes of both CLIs (DESIGN.md "Command lines"). */
enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
};

struct cl;

/* What a connection to a list of servers met on its way. */
struct cl_tries {
	size_t used;		/* the index of the address connected to */
	int mismatch;		/* one passed over presented a certificate of no pin */
	char passed[2048];	/* "ADDR: why; ..." for each passed over, or "" */
};

/* Connect to the first of addrs that will do, trying each once, in order,
 * from index start (wrapping round): TLS 1.3 with cert/key as the client
 * certificate, the server's certificate must have one of pins (each
 * address is held to the same pins: none is ever talked to without a
 * match), then Hello/Welcome as agent (NULL: parley's own;
 * PARLEY_CONSOLE_AGENT: a console, which looks but takes no deliveries and
 * so does not count as on duty).  An address that cannot be reached,
 * presents another pin, or whose parleyd refuses this endpoint (a standby,
 * an unregistered certificate) is passed over for the next.  t (if not
 * NULL) says which was used and why others were passed over.  NULL with
 * err: with one address, why it failed; with more, each address with why;
 * a signal stops the round at once ("interrupted"). */
struct cl *cl_connect_list(const struct cl_list *addrs, const struct cl_list *pins,
    const char *cert, const char *key, const char *agent, size_t start, struct cl_tries *t,
    char *err, size_t errlen);
/* The same with hostport a list of addresses and server_pin a list of
 * pins, as client.conf spells them, from the first address. */
struct cl *cl_connect_tls(const char *hostport, const char *cert, const char *key,
    const char *server_pin, const char *agent, char *err, size_t errlen);
/* Connect to the admin socket and exchange Hello/Welcome. */
struct cl *cl_connect_unix(const char *path, char *err, size_t errlen);
/* The first of paths whose parleyd answers, tried as cl_connect_list tries
 * addresses (a standby keeps its sockets closed: the next is tried). */
struct cl *cl_connect_unix_list(const struct cl_list *paths, size_t start,
    struct cl_tries *t, char *err, size_t errlen);
void cl_close(struct cl *c);
/* The longest wait on parleyd for one read or write (default 30 s); the
 * console waits less, so that a stalled daemon does not freeze it. */
void cl_set_timeout(struct cl *c, int ms);

/* What the server said in Welcome (party code, "" on the admin socket). */
const char *cl_party(const struct cl *c);
uint64_t cl_endpoint(const struct cl *c);
/* How many deliveries one Ack may name on this connection (1..FRAME_ACK_MAX:
 * what parleyd's Welcome said; 1 from a parleyd that does not say). */
unsigned cl_ack_max(const struct cl *c);

/* Send a request (its id is assigned here and returned). -1 on failure. */
int64_t cl_send(struct cl *c, Parley__Frame *f, char *err, size_t errlen);

/* Write bytes as they are (tests: malformed frames). */
int cl_write_raw(struct cl *c, const void *buf, size_t len, char *err, size_t errlen);

/* Receive one frame, waiting up to timeout_ms (-1: forever).  0 with *out,
 * 1 on timeout, -1 on error/EOF with err.  Free *out with cl_free(). */
int cl_recv(struct cl *c, int timeout_ms, Parley__Frame **out, char *err, size_t errlen);
void cl_free(struct cl *c, Parley__Frame *f);

/* Send f and wait for the frame answering it.  Deliveries pushed meanwhile
 * go to on_push (if set) and are freed after it returns.  Returns 0 with
 * *reply, -1 with err. */
int cl_call(struct cl *c, Parley__Frame *f, Parley__Frame **reply,
    void (*on_push)(void *arg, const Parley__Frame *push), void *arg, char *err, size_t errlen);

/* The file descriptor, for poll() in watch. */
int cl_fd(const struct cl *c);
/* 1 if decrypted bytes are already buffered (poll would not see them). */
int cl_pending(const struct cl *c);

/* Read a whole file (at most max bytes) into a malloc'd NUL-terminated
 * buffer; NULL with err. */
char *cl_read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen);
/* The same, and "-" reads standard input to its end. */
char *cl_read_input(const char *path, size_t max, size_t *len, char *err, size_t errlen);

/* client.conf: all paths resolved relative to the file's directory. */
struct cl_conf {
	struct cl_list servers;	/* server: every address, in the order tried */
	struct cl_list pins;	/* server_pin: a server's certificate has one */
	char server[300];	/* the first of servers (for tools that take one) */
	char server_pin[65];	/* the first of pins */
	char cert[4096];
	char key[4096];
	char signer_key[4096];
	char mediator_key[4096];
	char dir[4096];
};

/* Read client.conf into c: 0, or -1 with err ("FILE:LINE: what").  server
 * and server_pin are lists (cl_list.h), which may go on over indented
 * lines after a comma; any other key is given once, on one line. */
int cl_conf_load(const char *path, struct cl_conf *c, char *err, size_t errlen);

#endif
