/* The status socket: read-only HTTP (libevent evhttp) on the Unix socket
 * cfg.status_socket for monitoring.  GET /metrics answers in the Prometheus
 * text format, GET /status with the same picture as one JSON object; any
 * other path is 404 and any method but GET or HEAD is 405.  Nothing it does
 * writes to the store or to the server's state: it reads counters, runs
 * SELECTs and walks the session list. */
#ifndef PARLEY_STATUS_H
#define PARLEY_STATUS_H

#include <stddef.h>

#include "server.h"

struct status;

/* Status connections open at once.  When this many are open the listener
 * stops accepting for evhttp; further connections are accepted and closed
 * at once, counted (parley_status_connections_refused_total) and logged
 * once a minute at most.  A connection that sends nothing is closed after
 * STATUS_TIMEOUT (status.c), so a slot comes back by itself. */
#define STATUS_MAX_CONNECTIONS	32

/* Bind cfg.status_socket with mode cfg.status_mode (0600, 0660 or 0666)
 * and group cfg.status_group ("": the group it is created with; a group
 * that does not exist is an error naming the option).  The socket is
 * never wider than that mode, not even between bind and chmod.  A stale
 * socket file is replaced, any other file is refused.  Serve it on
 * srv->base.  0 with *out (free with status_close), or -1 with err.  srv
 * must outlive the result. */
int status_listen(struct server *srv, struct status **out, char *err, size_t errlen);

/* Stop listening and unlink the socket file; connections already open are
 * still served until status_close.  NULL is a no-op. */
void status_stop(struct status *s);
/* Stop, close any open status connection and free all, after the event
 * loop's last run (a retry after an accept error may be pending on the
 * listener until then).  A connection's buffers are finalized by libevent
 * later (at event_base_free at the latest); the last of them frees what
 * is left of s then, so the base must be freed after this.  NULL is a
 * no-op. */
void status_close(struct status *s);

#endif
