#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "log.h"

/* Process-wide by nature: a crash point is a property of this process. */
static char fault_name[64];
static long fault_left;

void
fault_init(int testing)
{
	const char *v = getenv("PARLEYD_CRASH_AT");
	const char *colon;
	size_t n;

	fault_name[0] = '\0';
	if (v == NULL || *v == '\0')
		return;
	if (!testing) {
		log_warnx("PARLEYD_CRASH_AT ignored: faults need a test configuration");
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
	log_warnx("fault injection armed: crash at %s (hit %ld)", fault_name, fault_left);
}

void
fault_point(const char *name)
{
	if (fault_name[0] == '\0' || strcmp(name, fault_name) != 0)
		return;
	if (--fault_left > 0)
		return;
	log_warnx("fault injection: crashing at %s", name);
	kill(getpid(), SIGKILL);
	_exit(137);
}
