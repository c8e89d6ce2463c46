/* Shared by the fuzz harnesses (tests/fuzz/fuzz_*.c): the libFuzzer entry
 * point's prototype and FUZZ_CHECK, which reports a broken property and
 * aborts, so that libFuzzer saves the input as a crash and the replay
 * driver (replay.c) exits non-zero.  Harnesses keep no state between calls
 * and free everything they allocate: LeakSanitizer runs in both builds. */
#ifndef PARLEY_FUZZ_H
#define PARLEY_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: property violated: %s\n  ",	\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

#endif
