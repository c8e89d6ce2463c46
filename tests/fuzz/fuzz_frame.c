/* fuzz_frame: the frame decoder (proto/frame.h) on arbitrary bytes.
 *
 * The input is a frame as it arrives on a connection: a 4-byte length
 * prefix, then the body.  Checked:
 *  - frame_check_len accepts exactly the lengths 1..max (for two maxima)
 *    and reports the prefix's value;
 *  - frame_unpack on the body (whatever the prefix says, so that the fuzzer
 *    need not keep the two in step), under a small allocation budget, never
 *    crashes, leaks or leaves budget in use, and explains every refusal;
 *  - a frame it accepts re-packs with frame_pack to exactly the input
 *    body behind a correct prefix (the decoder promises canonical frames).
 * An empty body is not unpacked: frame_check_len refuses length 0, so no
 * caller ever decodes one. */
#include <string.h>

#include "fuzz.h"
#include "proto/frame.h"

#define FUZZ_FRAME_MAX (64 * 1024)
#define FUZZ_BUDGET (64 * 1024)

static void
check_len(const uint8_t hdr[FRAME_HDR_LEN], size_t max)
{
	uint32_t want = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	uint32_t got = 0xdeadbeef;
	int rc = frame_check_len(hdr, max, &got);

	if (want == 0 || want > max)
		FUZZ_CHECK(rc == -1, "length %u accepted with max %zu", want, max);
	else
		FUZZ_CHECK(rc == 0 && got == want, "length %u (max %zu) gave rc %d, "
		    "len %u", want, max, rc, got);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_budget b;
	const uint8_t *body = data + FRAME_HDR_LEN;
	size_t len = size - FRAME_HDR_LEN, outlen = 0, i;
	uint8_t *out = NULL;
	char err[256] = "";
	Parley__Frame *f;

	if (size < FRAME_HDR_LEN)
		return 0;
	check_len(data, FUZZ_FRAME_MAX);
	check_len(data, FRAME_DEFAULT_MAX);
	if (len == 0)
		return 0;

	frame_budget_init(&b, FUZZ_BUDGET);
	f = frame_unpack(body, len, &b, err, sizeof(err));
	if (f == NULL) {
		FUZZ_CHECK(err[0] != '\0', "refused without a reason");
		FUZZ_CHECK(b.used == 0, "%zu bytes of budget still in use after "
		    "a refusal", b.used);
		return 0;
	}
	FUZZ_CHECK(b.used <= b.limit, "budget overrun: %zu of %zu", b.used, b.limit);
	FUZZ_CHECK(frame_body_name(f) != NULL, "no body name");

	FUZZ_CHECK(frame_pack(f, FUZZ_FRAME_MAX, &out, &outlen) == 0,
	    "accepted %zu-byte frame does not re-pack", len);
	FUZZ_CHECK(outlen == len + FRAME_HDR_LEN, "re-packed to %zu bytes, "
	    "not %zu + %d", outlen, len, FRAME_HDR_LEN);
	FUZZ_CHECK(out[0] == (uint8_t)(len >> 24) && out[1] == (uint8_t)(len >> 16) &&
	    out[2] == (uint8_t)(len >> 8) && out[3] == (uint8_t)len,
	    "wrong length prefix %02x%02x%02x%02x for %zu", out[0], out[1],
	    out[2], out[3], len);
	for (i = 0; i < len && out[FRAME_HDR_LEN + i] == body[i]; i++)
		;
	FUZZ_CHECK(i == len, "accepted frame (body %s) re-packs differently: "
	    "first difference at body offset %zu of %zu (0x%02x, re-packed 0x%02x)",
	    frame_body_name(f), i, len, body[i], out[FRAME_HDR_LEN + i]);
	free(out);
	frame_free(f, &b);
	FUZZ_CHECK(b.used == 0, "%zu bytes of budget still in use after "
	    "frame_free", b.used);
	return 0;
}
