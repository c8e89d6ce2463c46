/* The admin Unix socket: the mediator's parleyctl.  The socket file is
 * created mode 0600 (0660 with admin_group), and each connecting peer's
 * credentials are checked as well.  Same framing as party connections:
 * Hello, then AdminRequest -> AdminReply, one verb from a table each. */
#ifndef PARLEY_ADMIN_H
#define PARLEY_ADMIN_H

#include "server.h"

int admin_listen(struct server *srv, char *err, size_t errlen);
void admin_close(struct server *srv);
/* Shutdown: close every admin connection, once its output is written if
 * flush (the stop's drain), or now. */
void admin_close_conns(struct server *srv, int flush);

/* After a commit: answer every parleyd watch waiting for what it added to
 * the record. */
void admin_watch_wake(struct server *srv);

#endif
