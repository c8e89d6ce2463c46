/* fuzz_payload: frame_unpack_payload (proto/frame.h), the decoder a party
 * client runs on the opaque bytes of every Delivery, on arbitrary bytes
 * under a small allocation budget.  Checked: no crash or leak; a refusal
 * has a reason and leaves no budget in use; an accepted payload re-packs
 * to exactly the input bytes (the same canonical promise as frames), and
 * frame_free_payload returns all of its budget. */
#include <string.h>

#include "fuzz.h"
#include "proto/frame.h"

#define FUZZ_BUDGET (64 * 1024)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_budget b;
	Parley__Payload *p;
	char err[256] = "";
	uint8_t *out;
	size_t n, i;

	frame_budget_init(&b, FUZZ_BUDGET);
	p = frame_unpack_payload(data, size, &b, err, sizeof(err));
	if (p == NULL) {
		FUZZ_CHECK(err[0] != '\0', "refused without a reason");
		FUZZ_CHECK(b.used == 0, "%zu bytes of budget still in use after "
		    "a refusal", b.used);
		return 0;
	}
	FUZZ_CHECK(size > 0, "empty payload accepted");
	FUZZ_CHECK(b.used <= b.limit, "budget overrun: %zu of %zu", b.used, b.limit);
	n = parley__payload__get_packed_size(p);
	FUZZ_CHECK(n == size, "accepted payload packs to %zu bytes, not %zu", n, size);
	out = malloc(n);
	FUZZ_CHECK(out != NULL, "out of memory");
	FUZZ_CHECK(parley__payload__pack(p, out) == n, "pack wrote another size");
	for (i = 0; i < n && out[i] == data[i]; i++)
		;
	FUZZ_CHECK(i == n, "accepted payload (case %d) re-packs differently: first "
	    "difference at offset %zu of %zu (0x%02x, re-packed 0x%02x)",
	    (int)p->body_case, i, n, data[i], out[i]);
	free(out);
	frame_free_payload(p, &b);
	FUZZ_CHECK(b.used == 0, "%zu bytes of budget still in use after "
	    "frame_free_payload", b.used);
	return 0;
}
