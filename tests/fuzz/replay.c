/* The replay driver: a main() that feeds each file named on the command
 * line to LLVMFuzzerTestOneInput once, so that a harness can be built with
 * the ordinary compiler (gcc, -fsanitize=address,undefined) and no
 * libFuzzer.  `make fuzz-replay` runs every corpus and crasher file through
 * every harness this way.  Each input is copied into a buffer of exactly
 * its size, as libFuzzer does, so that reading past it is caught.  Exits 0
 * after the last file; a failing check or a sanitizer report aborts. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL, *p;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((p = realloc(buf, cap)) == NULL)
				goto fail;
			buf = p;
		}
		if ((r = fread(buf + n, 1, cap - n, f)) == 0)
			break;
		n += r;
	}
	if (ferror(f))
		goto fail;
	fclose(f);
	/* exactly n bytes, so that an over-read hits the redzone */
	if ((p = malloc(n ? n : 1)) == NULL) {
		free(buf);
		return NULL;
	}
	memcpy(p, buf, n);
	free(buf);
	*len = n;
	return p;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

int
main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		size_t len = 0;
		uint8_t *data = slurp(argv[i], &len);

		if (data == NULL) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 2;
		}
		fprintf(stderr, "replay: %s (%zu bytes)\n", argv[i], len);
		LLVMFuzzerTestOneInput(data, len);
		free(data);
	}
	return 0;
}
