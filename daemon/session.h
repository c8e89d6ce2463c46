/* Party endpoint connections: the TCP listener, the TLS handshake, the pin
 * check that binds a connection to one endpoint of one party, and the
 * dispatch of that party's requests. */
#ifndef PARLEY_SESSION_H
#define PARLEY_SESSION_H

#include <stdint.h>

#include "server.h"

/* Bind and listen on cfg.listen_host:listen_port.  -1 with err.  New
 * connections go through srv->gate (gate.h) before any TLS work, and are
 * accepted and handshaken at PRIO_UNAUTH (prio.h). */
int session_listen(struct server *srv, char *err, size_t errlen);
/* Shutdown: accept no more.  Then, after the loop's last run, close. */
void session_listen_stop(struct server *srv);
void session_listen_close(struct server *srv);

/* Close every connection of endpoint id (it was removed). */
void session_kick_endpoint(struct server *srv, int64_t endpoint_id);

/* Connections online per party: calls fn for each ready session. */
void session_foreach(struct server *srv, void (*fn)(void *arg, const struct ident *who),
    void *arg);

/* Shutdown: stop reading from every party connection; each closes once
 * what it has queued is written (within its frame timeout) if flush, or
 * now.  While srv->stopping, the last connection closed (admin ones too)
 * breaks the event loop. */
void session_close_all(struct server *srv, int flush);

#endif
