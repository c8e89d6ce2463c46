#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "log.h"

/* Process-wide by nature: a crash point is a property of this process. */
static char fault_name[64];
static long fault_left;
static int fault_sig;		/* SIGKILL: crash; SIGTERM: an orderly stop */

/* The allocation shim's hooks: NULL unless libfailalloc.so is preloaded. */
extern void failalloc_arm(long nth, int rest) __attribute__((weak));
extern long failalloc_disarm(long *failed) __attribute__((weak));

static int alloc_on;		/* PARLEYD_FAIL_ALLOC is set and usable */
static int alloc_rest;		/* fail every allocation from the Nth */
static long alloc_next;		/* N for the next matching request */
static long alloc_step;		/* added to N after each matching request */
static char alloc_verb[64];	/* "" for every request */
static char alloc_armed[64];	/* the armed request's verb, "" if none */
static long alloc_armed_n;

static void
alloc_init(int testing)
{
	const char *v = getenv("PARLEYD_FAIL_ALLOC");
	char *end;

	alloc_on = 0;
	alloc_armed[0] = '\0';
	if (v == NULL || *v == '\0')
		return;
	if (!testing) {
		log_warnx("PARLEYD_FAIL_ALLOC ignored: faults need a test configuration");
		return;
	}
	if (failalloc_arm == NULL || failalloc_disarm == NULL) {
		log_warnx("PARLEYD_FAIL_ALLOC ignored: libfailalloc.so is not preloaded");
		return;
	}
	alloc_next = strtol(v, &end, 10);
	alloc_rest = *end == '+';
	if (alloc_rest)
		end++;
	alloc_step = 1;
	if (*end == '/')
		alloc_step = strtol(end + 1, &end, 10);
	if (alloc_next < 1 || alloc_step < 1 || (*end != '\0' && *end != ':') ||
	    (*end == ':' && strlen(end + 1) >= sizeof(alloc_verb))) {
		log_warnx("PARLEYD_FAIL_ALLOC=%s ignored: expected N[+][/STEP][:VERB]", v);
		return;
	}
	snprintf(alloc_verb, sizeof(alloc_verb), "%s", *end == ':' ? end + 1 : "");
	alloc_on = 1;
	log_warnx("fault injection armed: allocation %ld%s of %s%s fails, %ld later each time",
	    alloc_next, alloc_rest ? " and on" : "", *alloc_verb ? alloc_verb : "every request",
	    *alloc_verb ? " requests" : "", alloc_step);
}

void
fault_init(int testing)
{
	const char *var = "PARLEYD_CRASH_AT", *v = getenv(var);
	const char *colon;
	size_t n;

	alloc_init(testing);
	fault_name[0] = '\0';
	fault_sig = SIGKILL;
	if (v == NULL || *v == '\0') {
		var = "PARLEYD_STOP_AT";
		v = getenv(var);
		fault_sig = SIGTERM;
	}
	if (v == NULL || *v == '\0')
		return;
	if (!testing) {
		log_warnx("%s ignored: faults need a test configuration", var);
		return;
	}
	colon = strchr(v, ':');
	n = colon ? (size_t)(colon - v) : strlen(v);
	if (n >= sizeof(fault_name))
		return;
	memcpy(fault_name, v, n);
	fault_name[n] = '\0';
	fault_left = colon ? strtol(colon + 1, NULL, 10) : 1;
	if (fault_left < 1)
		fault_left = 1;
	log_warnx("fault injection armed: %s at %s (hit %ld)",
	    fault_sig == SIGKILL ? "crash" : "SIGTERM", fault_name, fault_left);
}

void
fault_point(const char *name)
{
	if (fault_name[0] == '\0' || strcmp(name, fault_name) != 0)
		return;
	if (--fault_left > 0)
		return;
	if (fault_sig == SIGTERM) {
		/* Handled by the event loop, as a stop request arriving now. */
		log_warnx("fault injection: SIGTERM at %s", name);
		fault_name[0] = '\0';
		kill(getpid(), SIGTERM);
		return;
	}
	log_warnx("fault injection: crashing at %s", name);
	kill(getpid(), SIGKILL);
	_exit(137);
}

int
fault_alloc_begin(const char *verb)
{
	/* One armed request at a time: the others of its turn count with it. */
	if (!alloc_on || alloc_armed[0] != '\0')
		return alloc_armed[0] != '\0';
	if (alloc_verb[0] != '\0' && strcmp(verb, alloc_verb) != 0)
		return 0;
	snprintf(alloc_armed, sizeof(alloc_armed), "%s", verb);
	alloc_armed_n = alloc_next;
	alloc_next += alloc_step;
	failalloc_arm(alloc_armed_n, alloc_rest);
	return 1;
}

void
fault_alloc_end(void)
{
	long n, failed;

	if (alloc_armed[0] == '\0')
		return;
	n = failalloc_disarm(&failed);
	log_warnx("alloc fault: %s #%ld: %s (%ld allocations)", alloc_armed, alloc_armed_n,
	    failed > 0 ? "failed" : "not reached", n);
	alloc_armed[0] = '\0';
}
