/* fuzz_messages: protobuf_c_message_unpack for every message type of the
 * schema, through the decode budget (struct frame_budget, proto/frame.h)
 * as frame_unpack uses it.  The first input byte picks the type from the
 * list of every descriptor declared in proto/parley.pb-c.h
 * (parley-descriptors.inc, generated from that header by mk/fuzz.mk, so a
 * new message type is fuzzed without editing this file); the rest is the
 * encoded message.  Checked: no crash or leak; the budget is never
 * overrun and is all returned after a free or a refusal; an unpacked
 * message passes protobuf_c_message_check and packs to the size it
 * claims; and when it packs to the input's length (the rule frame_unpack
 * applies before accepting anything), packing is a fixed point:
 * unpack(pack(m)) succeeds and packs to the same bytes.  Without that
 * rule the fixed point does not hold in protobuf-c 1.4.1: it reads an
 * overlong tag such as 81 00 as field 0, keeps it as an unknown field and
 * writes it back as 01, which it then refuses (see the README).
 *
 * protobuf-c itself comes from Debian and is not instrumented (see
 * tests/fuzz/README.md): coverage guides the fuzzer through our generated
 * tables and allocator, not through protobuf-c's own branches. */
#include <string.h>

#include "fuzz.h"
#include "proto/frame.h"

#define FUZZ_BUDGET (64 * 1024)

static const ProtobufCMessageDescriptor *const descriptors[] = {
#include "parley-descriptors.inc"
};
#define NDESC (sizeof(descriptors) / sizeof(descriptors[0]))

static uint8_t *
pack(const ProtobufCMessage *m, size_t *n)
{
	uint8_t *out;

	*n = protobuf_c_message_get_packed_size(m);
	out = malloc(*n ? *n : 1);
	FUZZ_CHECK(out != NULL, "out of memory");
	FUZZ_CHECK(protobuf_c_message_pack(m, out) == *n, "%s: pack wrote another "
	    "size than get_packed_size", m->descriptor->name);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const ProtobufCMessageDescriptor *d;
	struct frame_budget b, b2;
	ProtobufCMessage *m, *m2;
	uint8_t *p1, *p2;
	size_t n1, n2;

	if (size < 1)
		return 0;
	d = descriptors[data[0] % NDESC];
	FUZZ_CHECK(d->magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "bad descriptor");

	frame_budget_init(&b, FUZZ_BUDGET);
	m = protobuf_c_message_unpack(d, &b.alloc, size - 1, data + 1);
	if (m == NULL) {
		FUZZ_CHECK(b.used == 0, "%s: %zu bytes of budget still in use after "
		    "a refusal", d->name, b.used);
		return 0;
	}
	FUZZ_CHECK(b.used <= b.limit, "%s: budget overrun: %zu of %zu", d->name,
	    b.used, b.limit);
	FUZZ_CHECK(m->descriptor == d, "unpacked as another type");
	FUZZ_CHECK(protobuf_c_message_check(m), "%s: unpacked message fails "
	    "protobuf_c_message_check", d->name);

	p1 = pack(m, &n1);
	if (n1 != size - 1) {	/* frame_unpack would refuse it */
		free(p1);
		protobuf_c_message_free_unpacked(m, &b.alloc);
		FUZZ_CHECK(b.used == 0, "%s: %zu bytes of budget still in use "
		    "after free", d->name, b.used);
		return 0;
	}
	frame_budget_init(&b2, FRAME_DEFAULT_BUDGET);
	m2 = protobuf_c_message_unpack(d, &b2.alloc, n1, p1);
	FUZZ_CHECK(m2 != NULL, "%s: its own packing (%zu bytes) does not unpack",
	    d->name, n1);
	p2 = pack(m2, &n2);
	FUZZ_CHECK(n1 == n2 && memcmp(p1, p2, n1) == 0, "%s: packing is not a "
	    "fixed point (%zu then %zu bytes)", d->name, n1, n2);
	free(p1);
	free(p2);

	protobuf_c_message_free_unpacked(m2, &b2.alloc);
	protobuf_c_message_free_unpacked(m, &b.alloc);
	FUZZ_CHECK(b.used == 0 && b2.used == 0, "%s: %zu + %zu bytes of budget "
	    "still in use after free", d->name, b.used, b2.used);
	return 0;
}
