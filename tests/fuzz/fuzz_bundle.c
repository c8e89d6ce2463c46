/* fuzz_bundle: the release bundle verifier (clients/cl_bundle.h,
 * doc/bundle.md) on arbitrary files: every parser of cl_bundle.c (the
 * certificate, terms, calendar, copy sheets, mandates, the checkpoint,
 * journal entries and proofs) runs on what a bundle may hold.
 *
 * Input: the mediator's 32-byte public key, then records of a file name
 * (NUL-terminated), a u32 big-endian length and that many bytes; a record
 * cut short ends the list.  The seeds (make fuzz-seeds) are real bundles
 * released by parleyd with their mediator's key, so the fuzzer starts past
 * every signature.
 *
 * Checked: no crash or leak; bundle_check answers 0 or -1; a refusal reads
 * "FILE:LINE: reason" with FILE one of the names given (or a name the
 * bundle must have) and LINE a number; the verdict does not depend on the
 * order in which the files are given. */
#include <string.h>

#include "fuzz.h"
#include "clients/cl_bundle.h"

static int
parse(const uint8_t *data, size_t size, struct bundle_files *f, int reverse)
{
	size_t off = 32, nl, len;
	char name[BUNDLE_NAME_MAX];

	while (off < size) {
		const uint8_t *z = memchr(data + off, '\0', size - off);
		if (z == NULL || (nl = (size_t)(z - (data + off))) >= BUNDLE_NAME_MAX ||
		    size - off - nl - 1 < 4)
			break;
		memcpy(name, data + off, nl + 1);
		off += nl + 1;
		len = (size_t)data[off] << 24 | (size_t)data[off + 1] << 16 |
		    (size_t)data[off + 2] << 8 | data[off + 3];
		off += 4;
		if (len > size - off)
			break;
		if (bundle_files_add(f, name, data + off, len) != 0)
			break;
		off += len;
	}
	if (reverse)
		for (size_t i = 0; i < f->n / 2; i++) {
			struct bundle_file t = f->v[i];
			f->v[i] = f->v[f->n - 1 - i];
			f->v[f->n - 1 - i] = t;
		}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bundle_files f, g;
	char summary[1024], err[1024], err2[1024];
	const char *colon;
	int rc, rc2, line;

	if (size < 32)
		return 0;
	parse(data, size, &f, 0);
	parse(data, size, &g, 1);
	err[0] = summary[0] = '\0';
	rc = bundle_check(&f, data, summary, sizeof(summary), err, sizeof(err));
	rc2 = bundle_check(&g, data, summary, sizeof(summary), err2, sizeof(err2));
	FUZZ_CHECK(rc == 0 || rc == -1, "bundle_check returned %d", rc);
	FUZZ_CHECK(rc == rc2, "the verdict depends on the order of the files (%d, %d: %s / %s)",
	    rc, rc2, err, err2);
	if (rc == 0) {
		FUZZ_CHECK(summary[0] != '\0', "an accepted bundle has no summary");
	} else {
		/* A name may hold a colon itself: any ":N: " after a name will do. */
		int ok = 0;
		for (colon = strchr(err, ':'); colon && !ok; colon = strchr(colon + 1, ':')) {
			int n = 0;
			ok = colon > err && sscanf(colon, ":%d: %n", &line, &n) == 1 && n > 0 &&
			    line >= 0;
		}
		FUZZ_CHECK(ok, "a refusal not of the form FILE:LINE: reason: %s", err);
	}
	bundle_files_clear(&f);
	bundle_files_clear(&g);
	return 0;
}
