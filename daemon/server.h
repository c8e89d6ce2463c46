/* The daemon's wiring: one struct that main() fills and hands to the
 * session, admin and listener code.  Only main.c creates or frees it. */
#ifndef PARLEY_SERVER_H
#define PARLEY_SERVER_H

#include <stddef.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/evp.h>

#include "clock.h"
#include "config.h"
#include "delivery.h"
#include "duty.h"
#include "engine.h"
#include "gate.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "tls.h"
#include "turn.h"

struct session;
struct admin_conn;
struct ticker;
struct journal;
struct pgrec;

struct server {
	struct config cfg;
	const char *config_path;
	char *start_tz;			/* TZ at start, or NULL: display_tz "" */
	struct event_base *base;
	struct clock *clk;
	struct store *st;
	struct turn *turn;
	struct delivery *dlv;
	struct ag_ctx *ag;		/* the agreement core (agreement.h) */
	struct tls *tls;
	EVP_PKEY *mediator_key;
	struct event *listen_ev;	/* the party listener (session.c) */
	evutil_socket_t listen_fd;
	struct gate *gate;		/* admission, unauthenticated failures */
	struct evconnlistener *admin_listener;
	struct event *admin_retry;	/* after an accept error there */
	struct admin_conn *admin_conns;	/* open admin connections, linked */
	unsigned admin_refused_open;	/* of them, refused peers (admin.c) */
	struct log_budget admin_refusals;	/* a line a minute (admin.c) */
	struct session *sessions;	/* party connections, linked */
	size_t nconns;			/* party connections incl. handshaking */
	int accept_paused;		/* listen_ev is not added (2: logged) */
	struct log_budget pause_log;	/* the max_connections pause, a line a minute */
	struct session *hs_oldest, *hs_newest;	/* handshakes in progress */
	struct event *accept_retry;	/* after an accept error */
	int stopping;			/* draining replies before exit */
	int64_t started_at;
	struct metrics metrics;
	struct ticker *ticker;
	struct duty *duty;
	struct journal *journal;
	struct event *tree_tick_ev;	/* reads the record's tree, then scrubs it: */
	struct event *tree_step_ev;	/* a step a tick, then the steps that follow */
	int prefill_failing;		/* its last tick failed (logged once) */
	int scrub_blocks;		/* the scrub's blocks this tick */
	struct alerts *alerts;		/* [alerts] exec */
	struct verify_pool *verify;	/* NULL: signatures checked on the loop */
	struct pgrec *rec;		/* NULL: the store is the record (sqlite) */
};

#endif
