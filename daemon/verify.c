#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "crypto.h"
#include "log.h"
#include "verify.h"

#define VERIFY_MAX_THREADS 4

struct job {
	uint8_t key[32], sig[64];
	uint8_t *msg;
	size_t len;
	int verdict;
	verify_done_fn done;
	void *ctx;
	struct job *next;
};

/* A FIFO of jobs. */
struct jobq {
	struct job *head, *tail;
};

struct verify_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct jobq queued, done;	/* under mu */
	int stop;			/* under mu */
	int efd;			/* workers write, the loop reads */
	struct event *ev;
	pthread_t tid[VERIFY_MAX_THREADS];
	int nthreads;
	size_t pending;			/* loop thread only */
	void (*idle)(void *);		/* loop thread only */
	void *idle_arg;
};

static void
jobq_push(struct jobq *q, struct job *j)
{
	j->next = NULL;
	if (q->tail != NULL)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
}

static struct job *
jobq_pop(struct jobq *q)
{
	struct job *j = q->head;

	if (j != NULL && (q->head = j->next) == NULL)
		q->tail = NULL;
	return j;
}

/* Take the whole queue. */
static struct job *
jobq_take(struct jobq *q)
{
	struct job *j = q->head;

	q->head = q->tail = NULL;
	return j;
}

static void
job_free(struct job *j)
{
	free(j->msg);
	free(j);
}

static void *
worker(void *arg)
{
	struct verify_pool *p = arg;
	const uint64_t one = 1;
	/* This thread's keys (NULL, out of memory: each check builds its own). */
	struct crypto_keycache *kc = crypto_keycache_new();
	struct job *j;
	int wake;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->queued.head == NULL)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop)
			break;
		j = jobq_pop(&p->queued);
		pthread_mutex_unlock(&p->mu);
		switch (crypto_verify_cached(kc, j->key, j->msg, j->len, j->sig)) {
		case 0:
			j->verdict = 1;
			break;
		case -2:
			j->verdict = 2;		/* could not check */
			break;
		default:
			j->verdict = -1;
		}
		pthread_mutex_lock(&p->mu);
		/* Wakes the loop, once for all the verdicts it has not taken
		 * yet (it takes the whole list after reading the counter); a
		 * full counter (never, in practice) is no loss: the loop is
		 * readable already. */
		wake = p->done.head == NULL;
		jobq_push(&p->done, j);
		while (wake && write(p->efd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
	}
	pthread_mutex_unlock(&p->mu);
	crypto_keycache_free(kc);
	return NULL;
}

/* On the loop thread: report every finished check. */
static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct verify_pool *p = arg;
	struct job *j, *next;
	uint64_t n;

	(void)what;
	while (read(fd, &n, sizeof(n)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&p->mu);
	j = jobq_take(&p->done);
	pthread_mutex_unlock(&p->mu);
	for (; j != NULL; j = next) {
		next = j->next;
		p->pending--;
		j->done(j->ctx, j->verdict);
		job_free(j);
	}
	if (p->pending == 0 && p->idle != NULL)
		p->idle(p->idle_arg);
}

void
verify_set_idle(struct verify_pool *p, void (*idle)(void *), void *arg)
{
	p->idle = idle;
	p->idle_arg = arg;
}

int
verify_threads_auto(void)
{
	cpu_set_t set;
	long n;

	/* The CPUs this process may run on (taskset, a cgroup's cpuset), not
	 * all the machine has. */
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	else
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n <= 1)
		return 0;
	return n - 1 > VERIFY_MAX_THREADS ? VERIFY_MAX_THREADS : (int)(n - 1);
}

struct verify_pool *
verify_pool_new(struct event_base *base, int threads)
{
	struct verify_pool *p;
	int i;

	if (threads < 1 || threads > VERIFY_MAX_THREADS ||
	    (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->efd = -1;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return NULL;
	}
	if (pthread_cond_init(&p->cv, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	if ((p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    (p->ev = event_new(base, p->efd, EV_READ | EV_PERSIST, on_done, p)) == NULL ||
	    event_add(p->ev, NULL) != 0)
		goto fail;
	for (i = 0; i < threads; i++) {
		if (pthread_create(&p->tid[i], NULL, worker, p) != 0) {
			log_warnx("verify: cannot start worker %d of %d", i + 1, threads);
			goto fail;
		}
		p->nthreads++;
	}
	return p;
fail:
	verify_pool_free(p);
	return NULL;
}

void
verify_pool_free(struct verify_pool *p)
{
	struct job *j, *next;
	int i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->tid[i], NULL);
	/* Finished or not, nobody waits for these any more. */
	for (j = jobq_take(&p->done); j != NULL; j = next) {
		next = j->next;
		j->done(j->ctx, 0);
		job_free(j);
	}
	for (j = jobq_take(&p->queued); j != NULL; j = next) {
		next = j->next;
		j->done(j->ctx, 0);
		job_free(j);
	}
	if (p->ev != NULL)
		event_free(p->ev);
	if (p->efd >= 0)
		close(p->efd);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

int
verify_submit(struct verify_pool *p, const uint8_t key[32], const uint8_t sig[64],
    uint8_t *msg, size_t len, verify_done_fn done, void *ctx)
{
	struct job *j;

	if ((j = malloc(sizeof(*j))) == NULL) {
		free(msg);
		return -1;
	}
	memcpy(j->key, key, 32);
	memcpy(j->sig, sig, 64);
	j->msg = msg;
	j->len = len;
	j->verdict = 0;
	j->done = done;
	j->ctx = ctx;
	pthread_mutex_lock(&p->mu);
	jobq_push(&p->queued, j);
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	p->pending++;
	return 0;
}

size_t
verify_pending(const struct verify_pool *p)
{
	return p->pending;
}
