/* parleyd: start-up, signals and wiring. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "admin.h"
#include "alerts.h"
#include "config.h"
#include "fault.h"
#include "log.h"
#include "prio.h"
#include "ptime.h"
#include "registry.h"
#include "server.h"
#include "session.h"
#include "journal.h"
#include "pgrec.h"
#include "status.h"
#include "ticker.h"
#include "verify.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: parleyd [-c FILE] [-n] [-v] [--print-config]\n"
	    "\n"
	    "The parley agreement broker.  Runs in the foreground, logs to stderr.\n"
	    "\n"
	    "  -c FILE           configuration (default /etc/parley/parleyd.conf)\n"
	    "  -n                check the configuration, print \"configuration OK\" or\n"
	    "                    the first error with its line, and exit\n"
	    "  -v                log debug messages too\n"
	    "  --print-config    print an annotated example configuration and exit\n"
	    "  -h, --help        this help\n"
	    "\n"
	    "Signals: SIGTERM/SIGINT stop cleanly, SIGHUP reloads the configuration\n"
	    "and the TLS certificate.  See parleyd(8).\n");
}

static void
on_term(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;

	(void)what;
	log_info("signal %d: stopping", (int)sig);
	sd_notify(0, "STOPPING=1");
	event_base_loopexit(srv->base, NULL);
}

/* Shutdown: the replies of the last turn had their time to go out. */
static void
on_drain_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	log_info("stopping with party connections still writing");
	event_base_loopbreak(arg);
}

/* display_tz, or the TZ parleyd was started with when it is empty (so that
 * clearing it and reloading goes back to that zone). */
static void
apply_display_tz(const char *display_tz, const char *start_tz)
{
	if (*display_tz)
		setenv("TZ", display_tz, 1);
	else if (start_tz != NULL)
		setenv("TZ", start_tz, 1);
	else
		unsetenv("TZ");
	tzset();
}

static int check_config(const struct config *c, char *err, size_t errlen);

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	struct config nc;
	char err[512], now[PTIME_BUFLEN];

	(void)sig;
	(void)what;
	if (srv->ag == NULL) {
		log_info("reload: standing by; the configuration is read when this daemon "
		    "begins to serve");
		return;
	}
	sd_notify(0, "RELOADING=1");
	config_defaults(&nc);
	if (config_load(srv->config_path, &nc, err, sizeof(err)) != 0) {
		log_warnx("reload: %s; keeping the running configuration", err);
		config_free(&nc);	/* the defaults config_load left in place */
		goto done;
	}
	if (config_reload_changes(&srv->cfg, &nc, err, sizeof(err)) != 0 ||
	    check_config(&nc, err, sizeof(err)) != 0) {
		log_warnx("reload: %s; keeping the running configuration", err);
		config_free(&nc);
		goto done;
	}
	if (tls_reload(srv->tls, nc.tls_groups, err, sizeof(err)) != 0) {
		log_warnx("reload: %s; keeping the running TLS certificate", err);
		config_free(&nc);
		goto done;
	}
	config_free(&srv->cfg);
	srv->cfg = nc;
	ag_set_leads(srv->ag, srv->cfg.sign_reminders.s, srv->cfg.sign_reminders.n,
	    srv->cfg.expiry_warnings.s, srv->cfg.expiry_warnings.n);
	ag_set_incidents(srv->ag, srv->cfg.response_window, srv->cfg.disclosure_embargo);
	ag_set_objection_window(srv->ag, srv->cfg.objection_window);
	ag_set_letter_quota(srv->ag, srv->cfg.letter_bytes_per_day);
	duty_set_grace(srv->duty, srv->cfg.duty_grace);
	ag_set_duty_parties(srv->ag, srv->cfg.duty_parties);
	gate_set_limits(srv->gate, srv->cfg.max_per_source, srv->cfg.handshake_rate,
	    srv->cfg.max_handshakes);
	apply_display_tz(srv->cfg.display_tz, srv->start_tz);
	alerts_configure(srv->alerts, srv->cfg.alert_exec, srv->cfg.alert_backlog,
	    (int)srv->cfg.alert_retry);
	ptime_format(clock_now(srv->clk), now);
	log_info("reloaded %s; server certificate pin %s; clock %s", srv->config_path,
	    tls_server_pin(srv->tls), now);
done:
	sd_notify(0, "READY=1");
}

/* systemd's watchdog: WATCHDOG=1 from the event loop, so a stuck loop is
 * noticed.  Runs on libevent's monotonic clock, never the virtual one. */
static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sd_notify(0, "WATCHDOG=1");
}

/* Before each commit: the turn's acks in the record, then a signed
 * checkpoint of the record, if it grew. */
static int
before_commit(void *arg)
{
	struct server *srv = arg;
	uint64_t size;

	if (delivery_record_acks(srv->dlv, srv->journal) != 0)
		return -1;
	return journal_checkpoint(srv->journal, &size);
}

/* The record's tree, for the consistency proofs parties ask for on every
 * connection, read after start and hashed again from the store, against
 * writes that bypassed SQLite, one block of TREE_SLICE entries a step
 * (about 0.14 ms; a slice of 2048 held the loop for 1.1 ms, long enough to
 * show in release latency's tail).  Every SCRUB_EVERY_US a tick takes a
 * step whatever else there is to do, so that the reading and the scrub go
 * on, if slowly, on a daemon that is never idle; the steps that follow it
 * (the rest of the reading, at every loop iteration until it is done; up
 * to SCRUB_BLOCKS blocks of the scrub) run only when nothing else is to be
 * done (PRIO_BACKGROUND).  A pass over 1M entries takes about 100 s on an
 * idle daemon, under 1% of a core, and an idle daemon wakes 5 times a
 * second. */
#define TREE_SLICE 256
#define SCRUB_BLOCKS 8
#define SCRUB_EVERY_US 200000

/* One step; 1 if another should follow, 0 not before the next tick. */
static int
tree_step(struct server *srv)
{
	int rc;

	if ((rc = journal_prefill(srv->journal, TREE_SLICE)) > 0)
		return 1;
	if (rc == 0)
		rc = journal_scrub(srv->journal, TREE_SLICE);
	/* Once per failing spell, not every tick. */
	if (rc < 0 && !srv->prefill_failing)
		log_warnx("journal: could not read the record's tree: %s; the next "
		    "consistency proof reads it", store_errmsg(srv->st));
	srv->prefill_failing = rc < 0;
	if (rc == 1)
		return 1;	/* a change: the tree is read again */
	return rc == 0 && ++srv->scrub_blocks < SCRUB_BLOCKS;
}

static void
tree_follow(struct server *srv, int more)
{
	/* at the loop's next iteration, after the I/O that is ready */
	struct timeval next = { 0, 0 };

	if (more)
		evtimer_add(srv->tree_step_ev, &next);
}

static void
on_tree_step(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tree_follow(arg, tree_step(arg));
}

static void
on_tree_tick(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	srv->scrub_blocks = 0;
	tree_follow(srv, tree_step(srv));
}

/* The turn's idle commit waits for the signature checks in flight (their
 * copies would otherwise each need a commit of their own) and, briefly, for
 * the acks of a release's bundles just pushed: they go to every endpoint at
 * once, and their acks, coming back one by one, would otherwise take a
 * commit for the first and another for the rest. */
static uint64_t
work_in_flight(void *arg)
{
	struct server *srv = arg;

	if (srv->verify != NULL && verify_pending(srv->verify) > 0)
		return TURN_HOLD_RESUMED;
	return delivery_ack_wait(srv->dlv);
}

static void
checks_landed(void *arg)
{
	turn_resume(arg);
}

static void
rolled_back(void *arg)
{
	struct server *srv = arg;

	delivery_rolled_back(srv->dlv);
	/* Sinks that were to be pushed after this commit get what is saved. */
	delivery_flush(srv->dlv);
}

static void
after_commit(void *arg)
{
	struct server *srv = arg;

	delivery_after_commit(srv->dlv);
	ticker_rearm(srv->ticker);
	if (srv->journal != NULL)
		journal_committed_now(srv->journal);
	admin_watch_wake(srv);
	alerts_kick(srv->alerts);
}

/* The record holds more: replies and deliveries that waited go out. */
static void
on_record_progress(void *arg)
{
	struct server *srv = arg;

	if (srv->turn != NULL)
		turn_record_progress(srv->turn);
}

/* The record cannot commit any more: the lease went to another daemon, or
 * the server is gone.  What this daemon holds that the record does not
 * must never be told: it stops at once, unanswered replies and all (the
 * peers ask again, of whichever daemon serves). */
static void
on_record_failed(void *arg, const char *why)
{
	(void)arg;
	log_warnx("record: %s; this daemon stops serving now", why);
	sd_notify(0, "STOPPING=1\nSTATUS=lost the record");
	_exit(75);
}

/* As OpenSSH's StrictModes: what parleyd keeps in state_dir must belong to
 * parleyd's user (or root), and may not be open beyond the bits of allowed:
 * the directory and the public files to reading by the group, the keys and
 * the store to nobody (the status socket's group is meant for monitoring,
 * and must not read embargoed signatures).  0, or -1 with err naming the
 * fix. */
static int
private_enough(const char *what, const char *path, const struct stat *sb, mode_t allowed,
    char *err, size_t errlen)
{
	mode_t m = sb->st_mode & 07777, extra = m & 0077 & ~allowed;

	if (sb->st_uid != geteuid() && sb->st_uid != 0) {
		snprintf(err, errlen, "%s %s belongs to uid %u, not to parleyd's user (uid %u) or "
		    "root: chown it", what, path, (unsigned)sb->st_uid, (unsigned)geteuid());
		return -1;
	}
	if (extra != 0) {
		snprintf(err, errlen, "%s %s is mode %04o: %s; run chmod %s %s", what, path,
		    (unsigned)m, (extra & 0007) ? "others may reach it" : (extra & 0020) ?
		    "its group may write it" : "its group may read it",
		    S_ISDIR(sb->st_mode) ? "700" : "600", path);
		return -1;
	}
	return 0;
}

static int
make_state_dir(const char *dir, char *err, size_t errlen)
{
	struct stat sb;

	if (stat(dir, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode)) {
			snprintf(err, errlen, "state_dir %s is not a directory", dir);
			return -1;
		}
		return private_enough("state_dir", dir, &sb, 0050, err, errlen);
	}
	if (mkdir(dir, 0700) != 0) {
		snprintf(err, errlen, "cannot create state_dir %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* The keys and the store, those of them that exist (the store's WAL and
 * SHM come and go). */
static int
check_state_files(const char *dir, char *err, size_t errlen)
{
	/* The odd ones of the first four are public. */
	static const char *const files[] = {
		"server.key", "server.crt", "mediator.key", "mediator.pub",
		"parley.db", "parley.db-wal", "parley.db-shm",
	};
	char p[4096];
	struct stat sb;
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		if (stat(p, &sb) != 0) {
			if (errno == ENOENT)
				continue;
			snprintf(err, errlen, "%s: %s", p, strerror(errno));
			return -1;
		}
		if (private_enough(strstr(files[i], ".key") ? "key file" : "state file", p, &sb,
		    i % 2 == 1 && i < 4 ? 0040 : 0, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* What the option table cannot check alone.  Both groups parleyd's sockets
 * may be given must exist (-n says so, and start-up stops here rather than
 * half-way), and handshakes in progress must leave room for authenticated
 * connections: otherwise outsiders could hold every connection. */
static int
check_config(const struct config *c, char *err, size_t errlen)
{
	if (c->max_handshakes >= c->max_connections) {
		snprintf(err, errlen, "max_handshakes (%lld) must be less than max_connections "
		    "(%lld): handshakes in progress must leave room for parties already "
		    "connected", (long long)c->max_handshakes, (long long)c->max_connections);
		return -1;
	}
	if (*c->admin_group && getgrnam(c->admin_group) == NULL) {
		snprintf(err, errlen, "admin_group %s: no such group", c->admin_group);
		return -1;
	}
	if (*c->status_group && getgrnam(c->status_group) == NULL) {
		snprintf(err, errlen, "status_group %s: no such group", c->status_group);
		return -1;
	}
	return 0;
}

static int
watch_party(void *arg, const struct party *p, int64_t endpoints)
{
	struct server *srv = arg;

	(void)endpoints;
	return duty_watch(srv->duty, p->id, p->code);
}

/* Every signing party is on duty watch from the start.  A store failure
 * on the way fails the start: a party left out would never be alerted for. */
static int
watch_parties(struct server *srv)
{
	return registry_signing_party_foreach(srv->st, watch_party, srv);
}

static int64_t
initial_time(struct server *srv)
{
	char buf[32];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* A virtual clock continues from where the last run left it. */
	if (srv->cfg.virtual_clock && store_meta_get(srv->st, "virtual_now", buf,
	    sizeof(buf)) == 0)
		return strtoll(buf, NULL, 10);
	return (int64_t)ts.tv_sec;
}

/* What main keeps between start and stop besides struct server. */
struct running {
	struct event *ev_term, *ev_int, *ev_hup, *ev_wd;
	struct status *status;
	char dbpath[4096];
};

/* The command line: -1 to run (srv->config_path set, *check, *verbose), or
 * the exit code (0 after --help or --print-config, 2 on bad usage). */
static int
parse_args(int argc, char **argv, struct server *srv, int *check, int *verbose)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "print-config", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	srv->config_path = "/etc/parley/parleyd.conf";
	while ((ch = getopt_long(argc, argv, "c:nvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			srv->config_path = optarg;
			break;
		case 'n':
			*check = 1;
			break;
		case 'v':
			*verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'P':
			config_print_doc(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* Load and check the configuration.  With check (-n): print the verdict
 * and return the exit code; otherwise -1 to run, or fatal. */
static int
load_config(struct server *srv, int check)
{
	char err[1024];

	config_defaults(&srv->cfg);
	if (config_load(srv->config_path, &srv->cfg, err, sizeof(err)) != 0) {
		if (check) {
			printf("%s\n", err);
			config_free(&srv->cfg);	/* the defaults config_load left */
			return 1;
		}
		fatalx("%s", err);
	}
	if (check_config(&srv->cfg, err, sizeof(err)) != 0) {
		config_free(&srv->cfg);
		if (check) {
			printf("%s: %s\n", srv->config_path, err);
			return 1;
		}
		fatalx("%s: %s", srv->config_path, err);
	}
	if (check) {
		printf("configuration OK\n");
		config_free(&srv->cfg);
		return 0;
	}
	return -1;
}

/* The process: umask, time zone, signals, allocator. */
static void
set_up_process(struct server *srv)
{
	/* Nothing parleyd creates is for other users: the store, its WAL and
	 * SHM, the keys.  The sockets set their own modes. */
	umask(077);
	if ((srv->start_tz = getenv("TZ")) != NULL &&
	    (srv->start_tz = strdup(srv->start_tz)) == NULL)
		fatalx("out of memory");
	apply_display_tz(srv->cfg.display_tz, srv->start_tz);
	signal(SIGPIPE, SIG_IGN);
	/* Output buffers come and go by the megabyte while deliveries drain;
	 * glibc would hand the heap's top back to the kernel each time (at
	 * 128 KB by default) and take page faults to get it again: about a
	 * tenth of the loop's time in a drain.  Keep up to 64 MB.  Setting it
	 * ends glibc's adaptive mmap threshold, so that one is set as well (to
	 * the adaptive one's ceiling): large frames come from the heap too. */
#if defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
#endif
	fault_init(srv->cfg.virtual_clock);
	if (store_tune_library() != 0)
		log_warnx("SQLite was set up before parleyd could tune it");
}

/* The state directory, keys and certificates, the store, TLS. */
static void
open_state(struct server *srv, struct running *run)
{
	char err[1024];
	int created;

	if (make_state_dir(srv->cfg.state_dir, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (tls_init_state(srv->cfg.state_dir, &created, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (created)
		log_info("created %d key/certificate file(s) in %s", created, srv->cfg.state_dir);
	if (check_state_files(srv->cfg.state_dir, err, sizeof(err)) != 0)
		fatalx("%s", err);
	snprintf(run->dbpath, sizeof(run->dbpath), "%s/parley.db", srv->cfg.state_dir);
	if (strcmp(srv->cfg.store_backend, "postgresql") == 0) {
		char host[64] = "?", name[160];
		struct stat sb;

		/* A record kept here is never set aside unnoticed. */
		if (stat(run->dbpath, &sb) == 0)
			fatalx("%s holds a record kept with [store] backend = sqlite; parleyd will "
			    "not serve another record beside it: move it away first", run->dbpath);
		snprintf(run->dbpath, sizeof(run->dbpath), "%s/parley-copy.db",
		    srv->cfg.state_dir);
		gethostname(host, sizeof(host) - 1);
		snprintf(name, sizeof(name), "%s pid %d", host, (int)getpid());
		if ((srv->rec = pgrec_open(srv->cfg.store_dsn, (int)srv->cfg.store_lease, name,
		    err, sizeof(err))) == NULL)
			fatalx("%s", err);
	} else if (store_open(run->dbpath, &srv->st, err, sizeof(err)) != 0) {
		fatalx("%s", err);
	}
	if ((srv->tls = tls_new(srv->cfg.state_dir, srv->cfg.tls_groups, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	if ((srv->mediator_key = tls_mediator_key(srv->cfg.state_dir, err, sizeof(err))) == NULL)
		fatalx("%s", err);
}

/* The loop and every module on it, wired together. */
static void
start_modules(struct server *srv)
{
	const struct timeval now = { 0, 0 }, tick = { 0, SCRUB_EVERY_US };
	char err[1024];
	int nverify;

	if ((srv->gate = gate_new(srv->base, &srv->metrics)) == NULL)
		fatalx("out of memory");
	gate_set_limits(srv->gate, srv->cfg.max_per_source, srv->cfg.handshake_rate,
	    srv->cfg.max_handshakes);
	srv->clk = clock_new(srv->cfg.virtual_clock, initial_time(srv));
	srv->dlv = delivery_new(srv->st, srv->clk);
	srv->turn = turn_new(srv->base, srv->st, &srv->metrics, after_commit, srv);
	if (srv->turn != NULL && srv->rec != NULL) {
		struct turn_record tr = { pgrec_submitted, pgrec_durable, pgrec_fresh,
		    pgrec_renew, srv->rec };
		turn_set_record(srv->turn, &tr);
	}
	srv->ag = ag_new(srv->st, srv->clk, srv->dlv, srv->mediator_key, &srv->metrics);
	srv->ticker = ticker_new(srv->base, srv->turn, srv->ag, srv->clk);
	if (!srv->clk || !srv->dlv || !srv->turn || !srv->ag || !srv->ticker)
		fatalx("out of memory");
	ag_set_leads(srv->ag, srv->cfg.sign_reminders.s, srv->cfg.sign_reminders.n,
	    srv->cfg.expiry_warnings.s, srv->cfg.expiry_warnings.n);
	ag_set_incidents(srv->ag, srv->cfg.response_window, srv->cfg.disclosure_embargo);
	ag_set_objection_window(srv->ag, srv->cfg.objection_window);
	ag_set_letter_quota(srv->ag, srv->cfg.letter_bytes_per_day);
	ag_set_duty_parties(srv->ag, srv->cfg.duty_parties);
	if ((srv->duty = duty_new(srv->clk, srv->cfg.duty_grace)) == NULL ||
	    watch_parties(srv) != 0)
		fatalx("cannot start the duty watch");
	ag_set_duty(srv->ag, srv->duty);
	if ((srv->journal = journal_new(srv->st, srv->clk, srv->mediator_key)) == NULL)
		fatalx("cannot open the journal");
	if (journal_check_start(srv->journal, err, sizeof(err)) != 0)
		fatalx("%s", err);
	journal_committed_now(srv->journal);
	if ((srv->tree_tick_ev = event_new(srv->base, -1, EV_PERSIST, on_tree_tick,
	    srv)) == NULL || (srv->tree_step_ev = evtimer_new(srv->base, on_tree_step,
	    srv)) == NULL || event_priority_set(srv->tree_step_ev, PRIO_BACKGROUND) != 0 ||
	    event_add(srv->tree_tick_ev, &tick) != 0 || event_add(srv->tree_step_ev, &now) != 0)
		fatalx("cannot schedule reading the record's tree");
	ag_set_journal(srv->ag, srv->journal);
	turn_set_commit_hooks(srv->turn, before_commit, rolled_back, srv);
	if ((srv->alerts = alerts_new(srv->base, srv->st, srv->turn, srv->journal,
	    &srv->metrics)) == NULL)
		fatalx("cannot start the alerts");
	alerts_configure(srv->alerts, srv->cfg.alert_exec, srv->cfg.alert_backlog,
	    (int)srv->cfg.alert_retry);
	ticker_rearm(srv->ticker);	/* timers due while parleyd was down run now */
	srv->started_at = clock_now(srv->clk);
	if ((nverify = verify_threads_auto()) > 0 &&
	    (srv->verify = verify_pool_new(srv->base, nverify)) == NULL) {
		log_warnx("no signature-check workers: signatures are checked on the loop");
	} else if (srv->verify != NULL) {
		log_info("signatures are checked on %d worker thread%s", nverify,
		    nverify == 1 ? "" : "s");
		verify_set_idle(srv->verify, checks_landed, srv->turn);
	}
	turn_set_hold(srv->turn, work_in_flight, srv);
}

/* The three sockets, the watchdog and the signals. */
static void
start_listening(struct server *srv, struct running *run)
{
	struct timeval wd_tv;
	uint64_t wd_usec;
	char err[1024];

	if (session_listen(srv, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (admin_listen(srv, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (run->status == NULL && status_listen(srv, &run->status, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (sd_watchdog_enabled(0, &wd_usec) > 0) {
		wd_tv.tv_sec = (time_t)(wd_usec / 2 / 1000000);
		wd_tv.tv_usec = (suseconds_t)(wd_usec / 2 % 1000000);
		if ((run->ev_wd = event_new(srv->base, -1, EV_PERSIST, on_watchdog, NULL)) == NULL ||
		    event_add(run->ev_wd, &wd_tv) != 0)
			fatalx("cannot start the watchdog timer");
	}
}

/* The event loop and the signals, before anything runs on them. */
static void
make_loop(struct server *srv, struct running *run)
{
	struct event_config *cfg = event_config_new();

	/* Changes to a descriptor's events within one loop turn become one
	 * epoll_ctl, or none: a reply queued and written in the same turn
	 * used to cost two.  Safe because no descriptor given to the loop is
	 * ever dup()ed (libevent's caveat: epoll would report a closed one);
	 * alerts.c's child closes everything past stderr. */
	/* Timers on the precise monotonic clock: a commit's hold of 1 ms
	 * lasted up to 5 ms on the coarse one (4 ms ticks here). */
	if (cfg == NULL || event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) != 0 ||
	    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER) != 0 ||
	    (srv->base = event_base_new_with_config(cfg)) == NULL ||
	    event_base_priority_init(srv->base, PRIO_COUNT) != 0)
		fatalx("cannot create the event loop");
	event_config_free(cfg);
	run->ev_term = evsignal_new(srv->base, SIGTERM, on_term, srv);
	run->ev_int = evsignal_new(srv->base, SIGINT, on_term, srv);
	run->ev_hup = evsignal_new(srv->base, SIGHUP, on_hup, srv);
	if (!run->ev_term || !run->ev_int || !run->ev_hup || event_add(run->ev_term, NULL) ||
	    event_add(run->ev_int, NULL) || event_add(run->ev_hup, NULL))
		fatalx("cannot install signal handlers");
}

struct standby {
	struct server *srv;
	struct event *ev;
	char holder[128];	/* the serving daemon last seen */
	int taken;
};

/* Standing by: try for the lease four times a second. */
static void
try_lease(evutil_socket_t fd, short what, void *arg)
{
	struct standby *sb = arg;
	struct timeval tv = { 0, 250000 };
	char holder[128], err[512];
	int rc;

	(void)fd;
	(void)what;
	rc = pgrec_take_lease(sb->srv->rec, holder, sizeof(holder), err, sizeof(err));
	if (rc < 0)
		fatalx("record: %s", err);
	if (rc == 1) {
		sb->taken = 1;
		event_base_loopbreak(sb->srv->base);
		return;
	}
	if (strcmp(holder, sb->holder) != 0) {
		log_info("standing by: %s serves", holder);
		snprintf(sb->holder, sizeof(sb->holder), "%s", holder);
	}
	pgrec_poll_state(sb->srv->rec);
	evtimer_add(sb->ev, &tv);
}

/* [store] backend = postgresql: wait for the lease with every listener
 * closed but the status socket (which says "standby"), then make the
 * working copy from the record and ship every commit to it.  0 once
 * serving, -1 if stopped meanwhile. */
static int
stand_by(struct server *srv, struct running *run)
{
	struct standby sb = { .srv = srv };
	char err[1024];

	if (status_listen(srv, &run->status, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if ((sb.ev = evtimer_new(srv->base, try_lease, &sb)) == NULL)
		fatalx("out of memory");
	sd_notify(0, "READY=1\nSTATUS=standing by");
	try_lease(-1, 0, &sb);
	if (!sb.taken)
		event_base_dispatch(srv->base);
	event_free(sb.ev);
	if (!sb.taken)
		return -1;
	log_info("record: this daemon holds the lease; making the working copy %s",
	    run->dbpath);
	if (pgrec_load(srv->rec, run->dbpath, &srv->st, err, sizeof(err)) != 0)
		fatalx("record: %s", err);
	if (pgrec_start(srv->rec, srv->base, srv->st, on_record_progress, on_record_failed,
	    srv) != 0)
		fatalx("record: cannot start shipping commits");
	return 0;
}

/* The loop may stop with the last turn uncommitted: commit it and queue
 * its replies (and the deliveries it released), then let the party
 * connections write them out before they close. */
static void
drain(struct server *srv, struct running *run)
{
	struct timeval drain_tv = { 2, 0 };
	struct event *ev_drain;

	srv->stopping = 1;
	session_listen_stop(srv);
	admin_close(srv);
	status_stop(run->status);
	turn_flush(srv->turn);
	/* The record takes the last turns before their replies go. */
	if (srv->rec != NULL && turn_busy(srv->turn) &&
	    (ev_drain = evtimer_new(srv->base, on_drain_deadline, srv->base)) != NULL) {
		struct timeval rec_tv = { 10, 0 };

		if (evtimer_add(ev_drain, &rec_tv) == 0)
			while (turn_busy(srv->turn) && event_pending(ev_drain, EV_TIMEOUT, NULL))
				event_base_loop(srv->base, EVLOOP_ONCE);
		event_free(ev_drain);
	}
	session_close_all(srv, 1);
	admin_close_conns(srv, 1);
	if ((srv->sessions != NULL || srv->admin_conns != NULL) &&
	    (ev_drain = evtimer_new(srv->base, on_drain_deadline, srv->base)) != NULL) {
		if (evtimer_add(ev_drain, &drain_tv) == 0)
			event_base_dispatch(srv->base);
		event_free(ev_drain);
	}
	/* Those still writing at the deadline are closed as they are. */
	session_close_all(srv, 0);
	admin_close_conns(srv, 0);
	event_base_loop(srv->base, EVLOOP_NONBLOCK);	/* let closing conns tear down */
}

/* Free everything, in the order the modules use each other. */
static void
tear_down(struct server *srv, struct running *run)
{
	status_close(run->status);	/* the loop has run for the last time */
	verify_pool_free(srv->verify);	/* frees the sessions that waited for it */
	session_listen_close(srv);
	event_free(run->ev_term);
	event_free(run->ev_int);
	event_free(run->ev_hup);
	if (run->ev_wd != NULL)
		event_free(run->ev_wd);
	/* The turn's last flush still uses the journal, deliveries and ticker. */
	alerts_free(srv->alerts);
	srv->alerts = NULL;
	turn_free(srv->turn);
	ticker_free(srv->ticker);
	duty_free(srv->duty);
	if (srv->tree_tick_ev != NULL)
		event_free(srv->tree_tick_ev);
	if (srv->tree_step_ev != NULL)
		event_free(srv->tree_step_ev);
	journal_free(srv->journal);
	ag_free(srv->ag);
	delivery_free(srv->dlv);
	clock_free(srv->clk);
	/* Commits what is queued, then stops; its statements on the working
	 * copy go before the copy closes. */
	pgrec_free(srv->rec);
	store_close(srv->st);
	tls_free(srv->tls);
	EVP_PKEY_free(srv->mediator_key);
	gate_summarise(srv->gate);
	gate_free(srv->gate);
	event_base_free(srv->base);
	config_free(&srv->cfg);
	free(srv->start_tz);
}

/* Stopped while standing by: only the loop, the status socket, the keys
 * and the record's connection were made. */
static void
tear_down_standby(struct server *srv, struct running *run)
{
	status_stop(run->status);
	status_close(run->status);
	event_free(run->ev_term);
	event_free(run->ev_int);
	event_free(run->ev_hup);
	pgrec_free(srv->rec);
	tls_free(srv->tls);
	EVP_PKEY_free(srv->mediator_key);
	event_base_free(srv->base);
	config_free(&srv->cfg);
	free(srv->start_tz);
}

int
main(int argc, char **argv)
{
	struct server srv;
	struct running run;
	char now[PTIME_BUFLEN];
	int check = 0, verbose = 0, rc;

	memset(&srv, 0, sizeof(srv));
	memset(&run, 0, sizeof(run));
	if ((rc = parse_args(argc, argv, &srv, &check, &verbose)) >= 0)
		return rc;
	log_init(verbose);
	if ((rc = load_config(&srv, check)) >= 0)
		return rc;
	set_up_process(&srv);
	open_state(&srv, &run);
	make_loop(&srv, &run);
	if (srv.rec != NULL && stand_by(&srv, &run) != 0) {
		tear_down_standby(&srv, &run);
		log_info("parleyd stopped (standing by)");
		return 0;
	}
	start_modules(&srv);
	start_listening(&srv, &run);
	ptime_format(clock_now(srv.clk), now);
	log_info("parleyd ready: store %s (schema %d), server pin %s, clock %s%s", run.dbpath,
	    store_user_version(srv.st), tls_server_pin(srv.tls), now,
	    srv.cfg.virtual_clock ? " (virtual)" : "");
	sd_notify(0, "READY=1");
	event_base_dispatch(srv.base);
	drain(&srv, &run);
	tear_down(&srv, &run);
	log_info("parleyd stopped");
	return 0;
}
