#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "frame.h"
#include "text.h"

int
frame_check_len(const uint8_t hdr[FRAME_HDR_LEN], size_t max, uint32_t *len)
{
	uint32_t n = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) |
	    ((uint32_t)hdr[2] << 8) | (uint32_t)hdr[3];

	if (n == 0 || n > max)
		return -1;
	*len = n;
	return 0;
}

int
frame_pack(const Parley__Frame *f, size_t max, uint8_t **out, size_t *outlen)
{
	size_t n = parley__frame__get_packed_size(f);
	uint8_t *buf;

	if (n == 0 || n > max || n > UINT32_MAX)
		return -1;
	if ((buf = malloc(n + FRAME_HDR_LEN)) == NULL)
		return -1;
	buf[0] = (uint8_t)(n >> 24);
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	parley__frame__pack(f, buf + FRAME_HDR_LEN);
	*out = buf;
	*outlen = n + FRAME_HDR_LEN;
	return 0;
}

/* Each allocation carries its size in front so that frees return budget. */
struct budget_hdr {
	size_t size;
	max_align_t align;
};

static void *
budget_alloc(void *data, size_t size)
{
	struct frame_budget *b = data;
	struct budget_hdr *h;

	if (size > b->limit - b->used) {
		b->exhausted = 1;
		return NULL;
	}
	if ((h = malloc(sizeof(*h) + size)) == NULL) {
		b->oom = 1;
		return NULL;
	}
	h->size = size;
	b->used += size;
	return h + 1;
}

static void
budget_free(void *data, void *ptr)
{
	struct frame_budget *b = data;
	struct budget_hdr *h;

	if (ptr == NULL)
		return;
	h = (struct budget_hdr *)ptr - 1;
	b->used -= h->size;
	free(h);
}

void
frame_budget_init(struct frame_budget *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->alloc.alloc = budget_alloc;
	b->alloc.free = budget_free;
	b->alloc.allocator_data = b;
	b->limit = limit;
}

/* Walk every string field (the schema is acyclic, so this terminates). */
static int
strings_valid(const ProtobufCMessage *m, char *err, size_t errlen)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	unsigned i;

	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		const char *base = (const char *)m;
		size_t count = 1, j;
		const void *vals;

		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			count = *(const size_t *)(base + fd->quantifier_offset);
			vals = *(void *const *)(base + fd->offset);
		} else {
			if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
				uint32_t c = *(const uint32_t *)(base + fd->quantifier_offset);
				if (c != fd->id)
					continue;
			}
			vals = base + fd->offset;
		}
		for (j = 0; j < count; j++) {
			if (fd->type == PROTOBUF_C_TYPE_STRING) {
				const char *s = ((const char *const *)vals)[j];
				if (s != NULL && !text_utf8_valid(s, strlen(s))) {
					snprintf(err, errlen, "field %s.%s is not valid UTF-8",
					    d->short_name, fd->name);
					return 0;
				}
			} else if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
				const ProtobufCMessage *sub =
				    ((const ProtobufCMessage *const *)vals)[j];
				if (sub != NULL && !strings_valid(sub, err, errlen))
					return 0;
			}
		}
	}
	return 1;
}

/* One message, one encoding: the bytes must be exactly what re-packing the
 * decoded message gives (so signatures, logs and fuzzers see one form). */
static int
canonical(const ProtobufCMessage *m, const uint8_t *buf, size_t len, int *oom)
{
	uint8_t stackbuf[512], *p = stackbuf;
	int same;

	if (protobuf_c_message_get_packed_size(m) != len)
		return 0;
	if (len > sizeof(stackbuf) && (p = malloc(len)) == NULL) {
		*oom = 1;
		return 0;
	}
	protobuf_c_message_pack(m, p);
	same = memcmp(p, buf, len) == 0;
	if (p != stackbuf)
		free(p);
	return same;
}

static ProtobufCMessage *
unpack_checked(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
    struct frame_budget *b, char *err, size_t errlen)
{
	ProtobufCMessage *m;

	m = protobuf_c_message_unpack(d, &b->alloc, len, buf);
	if (m == NULL) {
		if (b->oom)
			snprintf(err, errlen, "out of memory decoding %s", d->short_name);
		else
			snprintf(err, errlen, b->exhausted ?
			    "%s decodes to more than the allowed %zu bytes" :
			    "malformed %s", d->short_name, b->limit);
		return NULL;
	}
	if (!canonical(m, buf, len, &b->oom)) {
		if (b->oom)
			snprintf(err, errlen, "out of memory decoding %s", d->short_name);
		else
			snprintf(err, errlen, "%s is not canonically encoded (fields out of order "
			    "or repeated, explicit defaults, non-0/1 booleans, embedded NUL)",
			    d->short_name);
		protobuf_c_message_free_unpacked(m, &b->alloc);
		return NULL;
	}
	if (!strings_valid(m, err, errlen)) {
		/* A request that says what it is but not in UTF-8 is answered,
		 * not a reason to drop the connection. */
		if (d == &parley__frame__descriptor) {
			b->bad_text = 1;
			b->id = ((Parley__Frame *)m)->id;
		}
		protobuf_c_message_free_unpacked(m, &b->alloc);
		return NULL;
	}
	return m;
}

Parley__Frame *
frame_unpack(const uint8_t *body, size_t len, struct frame_budget *b, char *err,
    size_t errlen)
{
	return (Parley__Frame *)unpack_checked(&parley__frame__descriptor, body, len,
	    b, err, errlen);
}

void
frame_free(Parley__Frame *f, struct frame_budget *b)
{
	if (f != NULL)
		protobuf_c_message_free_unpacked(&f->base, &b->alloc);
}

Parley__Payload *
frame_unpack_payload(const uint8_t *buf, size_t len, struct frame_budget *b,
    char *err, size_t errlen)
{
	if (len == 0) {
		snprintf(err, errlen, "empty payload");
		return NULL;
	}
	return (Parley__Payload *)unpack_checked(&parley__payload__descriptor, buf,
	    len, b, err, errlen);
}

void
frame_free_payload(Parley__Payload *p, struct frame_budget *b)
{
	if (p != NULL)
		protobuf_c_message_free_unpacked(&p->base, &b->alloc);
}

#define MAX_DEPTH 64

static int
reaches(const ProtobufCMessageDescriptor *from, const ProtobufCMessageDescriptor *target,
    int depth)
{
	unsigned i;

	if (depth > MAX_DEPTH)
		return 1;	/* deeper than any sane acyclic schema: treat as a cycle */
	for (i = 0; i < from->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &from->fields[i];
		if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (fd->descriptor == target || reaches(fd->descriptor, target, depth + 1))
			return 1;
	}
	return 0;
}

int
frame_descriptor_is_recursive(const ProtobufCMessageDescriptor *d)
{
	return reaches(d, d, 0);
}

const char *
frame_body_name(const Parley__Frame *f)
{
	const ProtobufCFieldDescriptor *fd;

	if (f->body_case == PARLEY__FRAME__BODY__NOT_SET)
		return "empty";
	fd = protobuf_c_message_descriptor_get_field(&parley__frame__descriptor,
	    (unsigned)f->body_case);
	return fd != NULL ? fd->name : "unknown";
}
