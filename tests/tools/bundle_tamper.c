/* bundle_tamper DIR MEDIATOR.pub: every single-byte tampering of a valid
 * release bundle, and every truncation, extension, emptying and deletion of
 * its files, and two added files, each checked in this process by
 * bundle_check (clients/cl_bundle.h).  The enumeration is the one
 * tests/interop/tamper.py makes for the independent verifier, so the two
 * counts must be equal:
 *
 *   files in byte-wise order of name; for each file and each byte offset,
 *   (a) XOR 0x01, (b) XOR 0x20, (c) a space (a tab where it is a space),
 *   (d) NUL, (e) CR, each skipped where it leaves the byte as it was; then
 *   for each file (f) drop its last byte, (g) keep its first half (len/2
 *   bytes, if len >= 2), (h) append LF, (i) append 'x', (j) empty it (if
 *   not empty), (k) delete it; then (l) add manifest.txt "x\n", (m) add an
 *   empty extra.txt.
 *
 * Prints "FILE: N cases, N accepted" per file and "tamper: N cases, N
 * accepted"; exits 1 if any case was accepted or the bundle itself does not
 * verify, 2 on bad usage.
 *
 * bundle_tamper --seed DIR MEDIATOR.pub OUT writes the bundle (which must
 * verify) as one input of tests/fuzz/fuzz_bundle.c instead: the 32-byte
 * key, then per file its name, a NUL, a u32 big-endian length, the bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_bundle.h"
#include "crypto.h"

#include <openssl/evp.h>

struct run {
	const uint8_t *key;
	struct bundle_files *f;
	unsigned long cases, accepted, file_cases, file_accepted;
};

static void
one(struct run *r, const char *what, size_t off)
{
	char summary[1024], err[1024];

	r->cases++;
	r->file_cases++;
	if (bundle_check(r->f, r->key, summary, sizeof(summary), err, sizeof(err)) == 0) {
		r->accepted++;
		r->file_accepted++;
		if (r->accepted <= 10)
			printf("ACCEPTED: %s at offset %zu\n", what, off);
	}
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct bundle_file *)a)->name, ((const struct bundle_file *)b)->name);
}

/* Replace file i's bytes by data[0..len) for one check, then restore. */
static void
with_bytes(struct run *r, size_t i, const uint8_t *data, size_t len, const char *what)
{
	struct bundle_file *x = &r->f->v[i];
	uint8_t *keep = x->data;
	size_t klen = x->len;
	uint8_t *tmp = malloc(len + 1);

	if (tmp == NULL) {
		fprintf(stderr, "bundle_tamper: out of memory\n");
		exit(2);
	}
	if (len > 0)
		memcpy(tmp, data, len);
	tmp[len] = '\0';
	x->data = tmp;
	x->len = len;
	one(r, what, 0);
	x->data = keep;
	x->len = klen;
	free(tmp);
}

/* One file added to the bundle. */
static void
added(struct run *r, const char *name, const char *content)
{
	char what[160];

	r->file_cases = r->file_accepted = 0;
	if (bundle_files_add(r->f, name, content, strlen(content)) != 0) {
		fprintf(stderr, "bundle_tamper: out of memory\n");
		exit(2);
	}
	snprintf(what, sizeof(what), "%s added", name);
	one(r, what, 0);
	free(r->f->v[--r->f->n].data);
	printf("%s: %lu cases, %lu accepted\n", name, r->file_cases, r->file_accepted);
}

static int
write_seed(const struct bundle_files *f, const uint8_t key[32], const char *path)
{
	FILE *o = fopen(path, "wb");
	size_t i;

	if (o == NULL)
		return -1;
	fwrite(key, 1, 32, o);
	for (i = 0; i < f->n; i++) {
		uint8_t n[4] = { (uint8_t)(f->v[i].len >> 24), (uint8_t)(f->v[i].len >> 16),
		    (uint8_t)(f->v[i].len >> 8), (uint8_t)f->v[i].len };
		fwrite(f->v[i].name, 1, strlen(f->v[i].name) + 1, o);
		fwrite(n, 1, 4, o);
		fwrite(f->v[i].data, 1, f->v[i].len, o);
	}
	return fclose(o);
}

int
main(int argc, char **argv)
{
	static const uint8_t subst[5] = { 0x01, 0x20, ' ', 0x00, '\r' };
	struct bundle_files *f = calloc(1, sizeof(*f));
	struct run r = { 0 };
	char err[1024], summary[1024], what[160];
	uint8_t key[32], *buf;
	EVP_PKEY *k;
	size_t i, off, m, n;

	const char *seed = NULL;

	if (argc == 5 && strcmp(argv[1], "--seed") == 0) {
		seed = argv[4];
		argv++;
		argc = 3;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: bundle_tamper [--seed] DIR MEDIATOR.pub [OUT]\n");
		return 2;
	}
	if (f == NULL || (k = crypto_read_public_key(argv[2], err, sizeof(err))) == NULL ||
	    crypto_pubkey_raw(k, key) != 0) {
		fprintf(stderr, "bundle_tamper: %s\n", f ? err : "out of memory");
		return 2;
	}
	EVP_PKEY_free(k);
	if (bundle_load(argv[1], f, err, sizeof(err)) != 0 ||
	    bundle_check(f, key, summary, sizeof(summary), err, sizeof(err)) != 0) {
		printf("bundle_tamper: the untampered bundle does not verify: %s\n", err);
		return 1;
	}
	qsort(f->v, f->n, sizeof(f->v[0]), by_name);
	if (seed != NULL) {
		if (write_seed(f, key, seed) != 0) {
			fprintf(stderr, "bundle_tamper: cannot write %s\n", seed);
			return 2;
		}
		bundle_files_clear(f);
		free(f);
		return 0;
	}
	r.key = key;
	r.f = f;
	n = f->n;
	for (i = 0; i < n; i++) {
		struct bundle_file *x = &f->v[i];
		r.file_cases = r.file_accepted = 0;
		for (off = 0; off < x->len; off++) {
			uint8_t was = x->data[off];
			for (m = 0; m < 5; m++) {
				uint8_t now = m == 0 ? was ^ 0x01 : m == 1 ? was ^ 0x20 :
				    m == 2 && was == ' ' ? '\t' : subst[m];
				if (now == was)
					continue;
				x->data[off] = now;
				snprintf(what, sizeof(what), "%s mutation %c", x->name, (int)('a' + m));
				one(&r, what, off);
				x->data[off] = was;
			}
		}
		if ((buf = malloc(x->len + 1)) == NULL)
			return 2;
		if (x->len > 0)
			memcpy(buf, x->data, x->len);
		if (x->len > 0) {
			snprintf(what, sizeof(what), "%s truncated by one byte", x->name);
			with_bytes(&r, i, buf, x->len - 1, what);
		}
		if (x->len >= 2) {
			snprintf(what, sizeof(what), "%s cut to its first half", x->name);
			with_bytes(&r, i, buf, x->len / 2, what);
		}
		buf[x->len] = '\n';
		snprintf(what, sizeof(what), "%s with a LF appended", x->name);
		with_bytes(&r, i, buf, x->len + 1, what);
		buf[x->len] = 'x';
		snprintf(what, sizeof(what), "%s with 'x' appended", x->name);
		with_bytes(&r, i, buf, x->len + 1, what);
		if (x->len > 0) {
			snprintf(what, sizeof(what), "%s emptied", x->name);
			with_bytes(&r, i, buf, 0, what);
		}
		free(buf);
		/* deleted: swap it with the last file and shrink the set */
		{
			struct bundle_file keep = f->v[i];
			f->v[i] = f->v[n - 1];
			f->v[n - 1] = keep;
			f->n = n - 1;
			snprintf(what, sizeof(what), "%s deleted", keep.name);
			one(&r, what, 0);
			f->n = n;
			f->v[n - 1] = f->v[i];
			f->v[i] = keep;
		}
		printf("%s: %lu cases, %lu accepted\n", f->v[i].name, r.file_cases, r.file_accepted);
	}
	added(&r, "manifest.txt", "x\n");
	added(&r, "extra.txt", "");
	printf("tamper: %lu cases, %lu accepted\n", r.cases, r.accepted);
	bundle_files_clear(f);
	free(f);
	return r.accepted == 0 ? 0 : 1;
}
