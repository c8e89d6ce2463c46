/* fuzz_checkpoint: the checkpoint parser (proto/checkpoint.h) and the
 * Merkle proof verifiers (proto/merkle.h) on arbitrary bytes.
 *
 * The whole input goes to checkpoint_parse.  Checked: no crash or leak; a
 * refusal gives a reason; an accepted text is exactly its fields written
 * out (body = origin, size and base64 root; then the blank line and the
 * signature line), so the parser admits one spelling per checkpoint; and
 * checkpoint_verify under the RFC 8032 test key accepts it only if signing
 * those fields with that key gives the same bytes.
 *
 * The same bytes are then read as proof material: index/m and size/n
 * (8 bytes each, big-endian), a leaf hash or first root, a root, and the
 * rest as proof hashes.  Checked: merkle_verify_inclusion and
 * merkle_verify_consistency return 0 or -1 without reading past the proof,
 * whatever the sizes; and on a real tree of up to 200 leaves chosen by the
 * input, the proofs merkle.c generates verify, while the same proofs with
 * one input-chosen bit flipped do not. */
#include <string.h>

#include <openssl/evp.h>

#include "fuzz.h"
#include "proto/checkpoint.h"
#include "proto/crypto.h"
#include "proto/merkle.h"

#define HL MERKLE_HASH_LEN

/* RFC 8032 section 7.1, TEST 1. */
static const uint8_t kat_seed[32] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4,
	0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19,
	0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};
static const uint8_t kat_pub[32] = {
	0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3,
	0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25,
	0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
};

static void
check_checkpoint(const uint8_t *data, size_t size)
{
	char err[256] = "", body[CHECKPOINT_BODY_MAX + 1], b64[128], *again;
	struct checkpoint cp;
	uint8_t blob[68];
	EVP_PKEY *k;
	int n;

	if (checkpoint_parse((const char *)data, size, &cp, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0] != '\0', "refused without a reason");
		return;
	}
	FUZZ_CHECK(cp.body_len <= CHECKPOINT_BODY_MAX && cp.body_len < size,
	    "body of %zu bytes in %zu", cp.body_len, size);
	FUZZ_CHECK(checkpoint_name_valid(cp.origin) && checkpoint_name_valid(cp.name),
	    "accepted an invalid origin or key name");

	/* One spelling: the input is its fields written out. */
	EVP_EncodeBlock((unsigned char *)b64, cp.root, 32);
	n = snprintf(body, sizeof(body), "%s\n%llu\n%s\n", cp.origin,
	    (unsigned long long)cp.size, b64);
	FUZZ_CHECK(n > 0 && (size_t)n == cp.body_len &&
	    memcmp(body, data, cp.body_len) == 0 &&
	    memcmp(body, cp.body, cp.body_len) == 0,
	    "body is not the canonical text of its fields");
	memcpy(blob, cp.key_id, 4);
	memcpy(blob + 4, cp.sig, 64);
	EVP_EncodeBlock((unsigned char *)b64, blob, sizeof(blob));
	FUZZ_CHECK(size == cp.body_len + 1 + 4 + strlen(cp.name) + 1 +
	    strlen(b64) + 1, "signature line is not canonical");
	FUZZ_CHECK(memcmp(data + cp.body_len, "\n\xe2\x80\x94 ", 5) == 0 &&
	    memcmp(data + cp.body_len + 5, cp.name, strlen(cp.name)) == 0 &&
	    data[cp.body_len + 5 + strlen(cp.name)] == ' ' &&
	    memcmp(data + cp.body_len + 6 + strlen(cp.name), b64, strlen(b64)) == 0 &&
	    data[size - 1] == '\n', "signature line is not canonical");

	if (checkpoint_verify(&cp, kat_pub, cp.name, err, sizeof(err)) != 0)
		return;
	/* Ed25519 is deterministic: a verified checkpoint is exactly what we
	 * would sign. */
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, kat_seed, 32);
	FUZZ_CHECK(k != NULL, "out of memory");
	FUZZ_CHECK(checkpoint_format(cp.origin, cp.size, cp.root, k, cp.name,
	    &again) == 0, "cannot re-sign a verified checkpoint");
	FUZZ_CHECK(strlen(again) == size && memcmp(again, data, size) == 0,
	    "a verified checkpoint differs from its re-signed text");
	free(again);
	EVP_PKEY_free(k);
}

static uint64_t
get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The raw verifiers on whatever the input says.  The proof is copied to a
 * buffer of exactly its size so that ASan sees any overread. */
static void
check_raw_proofs(const uint8_t *data, size_t size)
{
	const size_t hdr = 8 + 8 + HL + HL;
	uint64_t a, b;
	uint8_t *proof;
	size_t len;
	int rc;

	if (size < hdr)
		return;
	a = get_u64(data);
	b = get_u64(data + 8);
	len = (size - hdr) / HL;
	proof = malloc(len * HL + 1);
	FUZZ_CHECK(proof != NULL, "out of memory");
	memcpy(proof, data + hdr, len * HL);

	rc = merkle_verify_inclusion(a, b, data + 16, len ? proof : NULL, len,
	    data + 16 + HL);
	FUZZ_CHECK(rc == 0 || rc == -1, "inclusion returned %d", rc);
	FUZZ_CHECK(rc == -1 || (a < b && len <= MERKLE_MAX_PATH),
	    "inclusion %llu of %llu with %zu hashes accepted",
	    (unsigned long long)a, (unsigned long long)b, len);
	rc = merkle_verify_consistency(a, b, data + 16, data + 16 + HL,
	    len ? proof : NULL, len);
	FUZZ_CHECK(rc == 0 || rc == -1, "consistency returned %d", rc);
	FUZZ_CHECK(rc == -1 || (a > 0 && a <= b && len <= MERKLE_MAX_PATH),
	    "consistency %llu -> %llu with %zu hashes accepted",
	    (unsigned long long)a, (unsigned long long)b, len);
	free(proof);
}

#define TREE_MAX 200

struct tree {
	uint8_t h[TREE_MAX][HL];
	uint64_t n;
};

static int
tree_leaf(void *arg, uint64_t index, uint8_t out[HL])
{
	struct tree *t = arg;

	if (index >= t->n)
		return -1;
	memcpy(out, t->h[index], HL);
	return 0;
}

/* A real tree: input bytes 0..5 choose its size, a leaf, an old size and a
 * bit to flip; the leaves are the hashes of their indices. */
static void
check_real_proofs(const uint8_t *data, size_t size)
{
	static struct tree t;
	uint8_t proof[MERKLE_PROOF_MAXLEN], root[HL], old[HL];
	struct merkle_frontier f;
	uint64_t i, m;
	size_t len, bitno;

	if (size < 6)
		return;
	t.n = 1 + data[0] % TREE_MAX;
	i = data[1] % t.n;
	m = 1 + data[2] % t.n;
	merkle_frontier_init(&f);
	for (uint64_t j = 0; j < t.n; j++) {
		uint8_t e[8];

		for (int b = 0; b < 8; b++)
			e[b] = (uint8_t)(j >> (8 * b));
		FUZZ_CHECK(merkle_leaf_hash(e, sizeof(e), t.h[j]) == 0 &&
		    merkle_frontier_append(&f, t.h[j]) == 0, "hashing failed");
		if (j + 1 == m)
			FUZZ_CHECK(merkle_frontier_root(&f, old) == 0, "root");
	}
	FUZZ_CHECK(merkle_frontier_root(&f, root) == 0, "root");

	FUZZ_CHECK(merkle_inclusion_proof(t.n, i, tree_leaf, &t, proof, &len) == 0,
	    "no inclusion proof for %llu of %llu", (unsigned long long)i,
	    (unsigned long long)t.n);
	FUZZ_CHECK(merkle_verify_inclusion(i, t.n, t.h[i], proof, len, root) == 0,
	    "inclusion of %llu in %llu does not verify", (unsigned long long)i,
	    (unsigned long long)t.n);
	if (len > 0) {
		bitno = (size_t)(data[3] << 8 | data[4]) % (len * HL * 8);
		proof[bitno / 8] ^= (uint8_t)(1u << (bitno % 8));
		FUZZ_CHECK(merkle_verify_inclusion(i, t.n, t.h[i], proof, len,
		    root) == -1, "inclusion verified with bit %zu flipped", bitno);
	}

	FUZZ_CHECK(merkle_consistency_proof(m, t.n, tree_leaf, &t, proof,
	    &len) == 0, "no consistency proof");
	FUZZ_CHECK(merkle_verify_consistency(m, t.n, old, root, proof, len) == 0,
	    "consistency %llu -> %llu does not verify", (unsigned long long)m,
	    (unsigned long long)t.n);
	if (len > 0) {
		bitno = (size_t)(data[3] << 8 | data[5]) % (len * HL * 8);
		proof[bitno / 8] ^= (uint8_t)(1u << (bitno % 8));
		FUZZ_CHECK(merkle_verify_consistency(m, t.n, old, root, proof,
		    len) == -1, "consistency verified with bit %zu flipped", bitno);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_checkpoint(data, size);
	check_raw_proofs(data, size);
	check_real_proofs(data, size);
	return 0;
}
