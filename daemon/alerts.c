/* The alert program; see alerts.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alerts.h"
#include "log.h"

#define RETRY_MAX 600		/* seconds */
#define RUN_MAX 60		/* a program that has not exited by then is killed */

extern char **environ;

struct alerts {
	struct event_base *base;
	struct store *st;
	struct turn *turn;
	struct journal *j;
	struct metrics *m;
	char program[4096];	/* "": none */
	int64_t next;		/* the next entry to tell; -1: not loaded */
	pid_t child;		/* 0: none running; else also its process group */
	int64_t telling;	/* the entry the child is telling */
	unsigned gen, child_gen;	/* configurations: the child's may be an older one */
	int retry;		/* seconds before the next try after a failure */
	int retry_first;	/* [alerts] retry */
	struct event *sigchld, *timer, *deadline;
};

static void tell_next(struct alerts *a);

static void
arm(struct event *ev, int seconds)
{
	struct timeval tv = { seconds, 0 };

	evtimer_add(ev, &tv);
}

/* Save where the program is (inside a turn of its own). */
static int
save_cursor(struct alerts *a)
{
	static const char sql[] =
	    "INSERT INTO alert_cursor(id, program, next) VALUES(1, ?1, ?2) "
	    "ON CONFLICT(id) DO UPDATE SET program = ?1, next = ?2";
	sqlite3_stmt *s;
	int rc = -1;

	if (turn_request_begin(a->turn) != 0)
		return -1;
	if ((s = store_stmt(a->st, sql)) != NULL) {
		sqlite3_bind_text(s, 1, a->program, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, a->next);
		rc = store_step_done(a->st, s);
	}
	turn_request_end(a->turn, rc == 0);
	/* Committed now: the after-commit hook (alerts_kick) then tells the
	 * next event. */
	turn_flush(a->turn);
	return rc;
}

static void
sigchld_cb(evutil_socket_t fd, short what, void *arg)
{
	struct alerts *a = arg;
	int status;
	pid_t p;

	(void)fd;
	(void)what;
	if (a->child == 0 || (p = waitpid(a->child, &status, WNOHANG)) <= 0)
		return;
	a->child = 0;
	event_del(a->deadline);
	/* a program replaced while it ran: the new one keeps its own place */
	if (a->child_gen != a->gen) {
		tell_next(a);
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		a->m->alerts_told++;
		a->retry = a->retry_first;
		a->next = a->telling + 1;
		if (save_cursor(a) != 0)
			log_warnx("alerts: cannot save that event %lld was told",
			    (long long)a->telling);
		/* the commit that saves it kicks the next (alerts_kick) */
		return;
	}
	a->m->alerts_failed++;
	if (WIFEXITED(status))
		log_warnx("alerts: %s exited with status %d on event %lld; trying again in %d s",
		    a->program, WEXITSTATUS(status), (long long)a->telling, a->retry);
	else
		log_warnx("alerts: %s was ended by signal %d on event %lld; trying again in %d s",
		    a->program, WTERMSIG(status), (long long)a->telling, a->retry);
	arm(a->timer, a->retry);
	a->retry = a->retry * 2 > RETRY_MAX ? RETRY_MAX : a->retry * 2;
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tell_next(arg);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct alerts *a = arg;

	(void)fd;
	(void)what;
	if (a->child != 0) {
		log_warnx("alerts: %s has run %d s on event %lld: killed, with what it started",
		    a->program, RUN_MAX, (long long)a->telling);
		kill(-a->child, SIGKILL);
	}
}

/* Run the program on event seq (its entry's JSON in json): 0 started. */
static int
spawn(struct alerts *a, const char *json, size_t len)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char *argv[] = { a->program, NULL };
	int fds[2], rc;
	ssize_t w;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	/* a process group of its own: a program that hangs is killed with
	 * whatever it started, and so is one running when parleyd stops */
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
	/* nothing of parleyd's (its sockets, its store) past the standard three */
	posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	rc = posix_spawn(&a->child, a->program, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	a->child_gen = a->gen;
	close(fds[0]);
	if (rc != 0) {
		a->child = 0;
		close(fds[1]);
		errno = rc;
		return -1;
	}
	/* One event is well under a pipe's buffer: this never waits.  A
	 * program that exits without reading is its own failure or success. */
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	w = write(fds[1], json, len);
	(void)w;
	close(fds[1]);
	arm(a->deadline, RUN_MAX);
	return 0;
}

/* Tell the next event, if there is one and nothing is running or waiting. */
static void
tell_next(struct alerts *a)
{
	char *entry = NULL, *json = NULL;
	size_t len, jl = 0;
	int64_t size;
	FILE *f;

	if (*a->program == '\0' || a->child != 0 || a->next < 0 ||
	    evtimer_pending(a->timer, NULL) || a->j == NULL ||
	    (size = journal_committed(a->j)) <= a->next)
		return;
	if (journal_entry(a->j, (uint64_t)a->next, &entry, &len) != 0) {
		log_warnx("alerts: cannot read event %lld of the record", (long long)a->next);
		arm(a->timer, a->retry);
		return;
	}
	if ((f = open_memstream(&json, &jl)) == NULL ||
	    journal_event(entry, len, f, NULL) != 0 || fclose(f) != 0) {
		log_warnx("alerts: out of memory telling event %lld", (long long)a->next);
		free(json);
		free(entry);
		arm(a->timer, a->retry);
		return;
	}
	free(entry);
	a->telling = a->next;
	if (spawn(a, json, jl) != 0) {
		a->m->alerts_failed++;
		log_warnx("alerts: cannot run %s: %s; trying again in %d s", a->program,
		    strerror(errno), a->retry);
		arm(a->timer, a->retry);
		a->retry = a->retry * 2 > RETRY_MAX ? RETRY_MAX : a->retry * 2;
	}
	free(json);
}

struct alerts *
alerts_new(struct event_base *base, struct store *st, struct turn *turn, struct journal *j,
    struct metrics *m)
{
	struct alerts *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->base = base;
	a->st = st;
	a->turn = turn;
	a->j = j;
	a->m = m;
	a->next = -1;
	a->retry = a->retry_first = 5;
	if ((a->sigchld = evsignal_new(base, SIGCHLD, sigchld_cb, a)) == NULL ||
	    (a->timer = evtimer_new(base, retry_cb, a)) == NULL ||
	    (a->deadline = evtimer_new(base, deadline_cb, a)) == NULL ||
	    event_add(a->sigchld, NULL) != 0) {
		alerts_free(a);
		return NULL;
	}
	return a;
}

void
alerts_free(struct alerts *a)
{
	int status;

	if (a == NULL)
		return;
	if (a->child != 0) {
		/* What it was telling is told again after the restart; parleyd's
		 * stop does not wait on a program that will not end. */
		kill(-a->child, SIGKILL);
		waitpid(a->child, &status, 0);
	}
	if (a->sigchld != NULL)
		event_free(a->sigchld);
	if (a->timer != NULL)
		event_free(a->timer);
	if (a->deadline != NULL)
		event_free(a->deadline);
	free(a);
}

void
alerts_configure(struct alerts *a, const char *program, int backlog, int retry)
{
	static const char sql[] = "SELECT program, next FROM alert_cursor WHERE id = 1";
	char stored[sizeof(a->program)] = "";
	int64_t next = -1, size;
	sqlite3_stmt *s;
	int rc;

	snprintf(a->program, sizeof(a->program), "%s", program);
	a->retry = a->retry_first = retry;
	a->gen++;
	if (*program == '\0' || a->j == NULL) {
		a->next = -1;
		return;
	}
	if ((s = store_stmt(a->st, sql)) == NULL)
		return;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(stored, sizeof(stored), "%s", store_col_str(s, 0));
		next = sqlite3_column_int64(s, 1);
	}
	if (store_rows_end(a->st, s, rc, "the alert cursor") != 0)
		return;
	size = journal_committed(a->j);
	/* The same program goes on where it was; a new one starts now (or,
	 * asked to, at the beginning of the record). */
	if (next < 0 || strcmp(stored, program) != 0) {
		a->next = backlog ? 0 : size;
		if (save_cursor(a) != 0)
			log_warnx("alerts: cannot save where %s starts", program);
		log_info("alerts: %s is told every event from record entry %lld on", program,
		    (long long)a->next);
	} else {
		a->next = next;
	}
	tell_next(a);
}

void
alerts_kick(struct alerts *a)
{
	if (a != NULL)
		tell_next(a);
}
