/* The frame codec: a 4-byte big-endian length, then one packed Frame.
 *
 * Decoding is bounded twice: the length prefix is checked against the
 * configured maximum before anything is allocated, and unpacking allocates
 * through a budget so that a small frame cannot make protobuf-c allocate
 * many times its size.  A decoded frame is accepted only if it re-packs to
 * exactly its own bytes (canonical encoding: fields in order, none repeated,
 * no explicit default values, booleans 0 or 1, no string cut short by an
 * embedded NUL) and every string field in it is well-formed UTF-8. */
#ifndef PARLEY_FRAME_H
#define PARLEY_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "parley.pb-c.h"

#define FRAME_HDR_LEN 4
#define FRAME_DEFAULT_MAX (1024 * 1024)
#define FRAME_DEFAULT_BUDGET (8 * 1024 * 1024)
/* Deliveries one Ack may name (delivery_id and up to 255 more). */
#define FRAME_ACK_MAX 256

struct frame_budget {
	ProtobufCAllocator alloc;
	size_t used;
	size_t limit;
	int exhausted;
	int oom;		/* an allocation failed: not the frame's fault */
	/* frame_unpack refused a well-formed frame only for a string that is
	 * not UTF-8: its request id, to answer it with an Error */
	int bad_text;
	uint64_t id;
};

/* Read a length prefix; -1 if it is 0 or above max (nothing to allocate). */
int frame_check_len(const uint8_t hdr[FRAME_HDR_LEN], size_t max, uint32_t *len);

/* Pack f behind its length prefix into a malloc'd buffer the caller frees.
 * -1 if the packed frame would be larger than max. */
int frame_pack(const Parley__Frame *f, size_t max, uint8_t **out, size_t *outlen);

/* Prepare a budget allowing limit bytes of allocation for one decode. */
void frame_budget_init(struct frame_budget *b, size_t limit);

/* Unpack and validate a frame body (without its prefix).  NULL on failure
 * with a readable reason in err; b->oom is set if the reason is that memory
 * ran out, not that the frame is bad.  Free the result with frame_free() and the
 * same budget, which must outlive it. */
Parley__Frame *frame_unpack(const uint8_t *body, size_t len, struct frame_budget *b,
    char *err, size_t errlen);
void frame_free(Parley__Frame *f, struct frame_budget *b);

/* Unpack a Payload (the opaque bytes of a Delivery) the same way. */
Parley__Payload *frame_unpack_payload(const uint8_t *buf, size_t len,
    struct frame_budget *b, char *err, size_t errlen);
void frame_free_payload(Parley__Payload *p, struct frame_budget *b);

/* 1 if a message of type d can contain a message type that contains itself
 * (d's own cycle included), directly or through others; 0 for an acyclic
 * closure.  Exponential in the worst case: meant for small schemas. */
int frame_descriptor_is_recursive(const ProtobufCMessageDescriptor *d);

/* Name of the frame's body case, for logs and errors ("sign", "ack" ...). */
const char *frame_body_name(const Parley__Frame *f);

#endif
