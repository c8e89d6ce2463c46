/* fuzz_cert: cert_parse (proto/cert.h), the release certificate parser a
 * party client runs on a released bundle, on arbitrary bytes.  Checked:
 * no crash or leak; a refusal has a reason; and, since the header promises
 * that cert_parse accepts only the exact form cert_format writes (the two
 * are inverses), an accepted certificate formats back to exactly the
 * input bytes. */
#include <string.h>

#include "fuzz.h"
#include "proto/cert.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cert *c = malloc(sizeof(*c));
	char err[256] = "", *txt;
	size_t n, i;

	FUZZ_CHECK(c != NULL, "out of memory");
	if (cert_parse((const char *)data, size, c, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0] != '\0', "refused without a reason");
		free(c);
		return 0;
	}
	FUZZ_CHECK(c->nparties >= 1 && c->nparties <= CERT_MAX_PARTIES &&
	    c->ncopies == c->nparties && c->nobservers <= CERT_MAX_PARTIES,
	    "counts out of range: %zu parties, %zu copies, %zu observers",
	    c->nparties, c->ncopies, c->nobservers);
	txt = cert_format(c);
	FUZZ_CHECK(txt != NULL, "cert_format failed");
	n = strlen(txt);
	for (i = 0; i < n && i < size && (uint8_t)txt[i] == data[i]; i++)
		;
	FUZZ_CHECK(i == n && n == size, "accepted certificate formats back "
	    "differently: first difference at byte %zu (input %zu bytes, "
	    "formatted %zu)\n--- input:\n%.*s\n--- formatted:\n%s", i, size, n,
	    (int)size, (const char *)data, txt);
	free(txt);
	free(c);
	return 0;
}
