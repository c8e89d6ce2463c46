#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "merkle.h"

#define HL MERKLE_HASH_LEN
#define FRONTIER_VERSION 0x01
#define LEAF_STACK_MAX 1024

_Static_assert(MERKLE_HASH_LEN == CRYPTO_SHA256_LEN, "hash length");

int
merkle_leaf_hash(const void *entry, size_t len, uint8_t out[HL])
{
	uint8_t stackbuf[LEAF_STACK_MAX], *buf = stackbuf;
	int rc;

	if ((entry == NULL && len > 0) || len > SIZE_MAX - 1)
		return -1;
	/* crypto_sha256 has no streaming form; journal entries are small, so
	 * the prefixed copy is on the stack but for the rare large one. */
	if (len + 1 > sizeof(stackbuf) && (buf = malloc(len + 1)) == NULL)
		return -1;
	buf[0] = 0x00;
	if (len > 0)
		memcpy(buf + 1, entry, len);
	rc = crypto_sha256(buf, len + 1, out);
	if (buf != stackbuf)
		free(buf);
	return rc;
}

int
merkle_node_hash(const uint8_t left[HL], const uint8_t right[HL], uint8_t out[HL])
{
	uint8_t buf[1 + 2 * HL];

	buf[0] = 0x01;
	memcpy(buf + 1, left, HL);
	memcpy(buf + 1 + HL, right, HL);
	return crypto_sha256(buf, sizeof(buf), out);
}

static bool
bit(uint64_t v, unsigned k)
{
	return (v >> k) & 1;
}

static unsigned
popcount64(uint64_t v)
{
	return (unsigned)__builtin_popcountll(v);
}

/* The largest power of two strictly below n, for n >= 2: RFC 6962's k. */
static uint64_t
split(uint64_t n)
{
	return UINT64_C(1) << (63 - __builtin_clzll(n - 1));
}

/* ---- Frontier ---------------------------------------------------------- */

void
merkle_frontier_init(struct merkle_frontier *f)
{
	memset(f, 0, sizeof(*f));
}

int
merkle_frontier_append(struct merkle_frontier *f, const uint8_t leaf_hash[HL])
{
	uint8_t carry[HL];
	unsigned k;

	if (f->size == UINT64_MAX)
		return -1;
	/* Like incrementing a binary counter: each full level merges with the
	 * carry.  f is written only once every hash has succeeded; the slots
	 * below k fall out of use because their bits clear. */
	memcpy(carry, leaf_hash, HL);
	for (k = 0; bit(f->size, k); k++)
		if (merkle_node_hash(f->hash[k], carry, carry) == -1)
			return -1;
	memcpy(f->hash[k], carry, HL);
	f->size++;
	return 0;
}

int
merkle_frontier_root(const struct merkle_frontier *f, uint8_t out[HL])
{
	uint8_t r[HL];
	unsigned k;

	if (f->size == 0)
		return crypto_sha256(NULL, 0, out);
	/* MTH splits off the largest perfect subtree on the left, so the root
	 * folds the subtrees from the smallest (rightmost) upwards. */
	k = (unsigned)__builtin_ctzll(f->size);
	memcpy(r, f->hash[k], HL);
	for (k++; k < MERKLE_FRONTIER_LEVELS; k++)
		if (bit(f->size, k) && merkle_node_hash(f->hash[k], r, r) == -1)
			return -1;
	memcpy(out, r, HL);
	return 0;
}

size_t
merkle_frontier_encoded_len(const struct merkle_frontier *f)
{
	return 1 + 8 + (size_t)popcount64(f->size) * HL + HL;
}

int
merkle_frontier_encode(const struct merkle_frontier *f, uint8_t *out,
    size_t outlen, size_t *written)
{
	size_t need = merkle_frontier_encoded_len(f), off = 0;
	unsigned k, i;

	if (out == NULL || outlen < need)
		return -1;
	out[off++] = FRONTIER_VERSION;
	for (i = 0; i < 8; i++)
		out[off++] = (uint8_t)(f->size >> (56 - 8 * i));
	for (k = MERKLE_FRONTIER_LEVELS; k-- > 0; )
		if (bit(f->size, k)) {
			memcpy(out + off, f->hash[k], HL);
			off += HL;
		}
	if (crypto_sha256(out, off, out + off) == -1)
		return -1;
	off += HL;
	if (written != NULL)
		*written = off;
	return 0;
}

int
merkle_frontier_decode(const uint8_t *buf, size_t len, struct merkle_frontier *f)
{
	struct merkle_frontier t;
	uint8_t sum[HL];
	size_t off;
	unsigned k, i;

	if (buf == NULL || len < 1 + 8 + HL || buf[0] != FRONTIER_VERSION)
		return -1;
	merkle_frontier_init(&t);
	for (i = 0; i < 8; i++)
		t.size = (t.size << 8) | buf[1 + i];
	if (len != merkle_frontier_encoded_len(&t))
		return -1;
	if (crypto_sha256(buf, len - HL, sum) == -1 ||
	    memcmp(sum, buf + len - HL, HL) != 0)
		return -1;
	off = 1 + 8;
	for (k = MERKLE_FRONTIER_LEVELS; k-- > 0; )
		if (bit(t.size, k)) {
			memcpy(t.hash[k], buf + off, HL);
			off += HL;
		}
	*f = t;
	return 0;
}

/* ---- Proof generation -------------------------------------------------- */

/* MTH(D[lo : lo+count]), from the leaves: O(count) time, O(log count)
 * memory.  Positions in the big tree do not matter: MTH is a function of
 * the list of leaves alone. */
static int
leaves_hash(uint64_t lo, uint64_t count, merkle_leaf_fn leaf_fn, void *arg,
    uint8_t out[HL])
{
	struct merkle_frontier f;
	uint8_t leaf[HL];
	uint64_t i;

	merkle_frontier_init(&f);
	for (i = 0; i < count; i++)
		if (leaf_fn(arg, lo + i, leaf) != 0 ||
		    merkle_frontier_append(&f, leaf) == -1)
			return -1;
	return merkle_frontier_root(&f, out);
}

/* With a node cache: an aligned perfect subtree is one lookup; anything
 * else splits as MTH does, so every piece it asks for is aligned too. */
static int
subtree_hash_cached(uint64_t lo, uint64_t count, merkle_leaf_fn leaf_fn,
    merkle_node_fn node_fn, void *arg, uint8_t out[HL])
{
	uint8_t left[HL], right[HL];
	uint64_t k;
	unsigned level = 0;
	int rc;

	if (count == 1)
		return leaf_fn(arg, lo, out) == 0 ? 0 : -1;
	if ((count & (count - 1)) == 0 && lo % count == 0) {
		while (((uint64_t)1 << level) < count)
			level++;
		if ((rc = node_fn(arg, level, lo / count, out)) <= 0)
			return rc;
	}
	k = split(count);
	if (subtree_hash_cached(lo, k, leaf_fn, node_fn, arg, left) != 0 ||
	    subtree_hash_cached(lo + k, count - k, leaf_fn, node_fn, arg, right) != 0)
		return -1;
	return merkle_node_hash(left, right, out);
}

static int
subtree_hash(uint64_t lo, uint64_t count, merkle_leaf_fn leaf_fn, merkle_node_fn node_fn,
    void *arg, uint8_t out[HL])
{
	if (node_fn != NULL && count > 0)
		return subtree_hash_cached(lo, count, leaf_fn, node_fn, arg, out);
	return leaves_hash(lo, count, leaf_fn, arg, out);
}

int
merkle_root(uint64_t n, merkle_leaf_fn leaf_fn, void *arg, uint8_t out[HL])
{
	if (leaf_fn == NULL)
		return -1;
	return subtree_hash(0, n, leaf_fn, NULL, arg, out);
}

/* The proofs are collected from the root down, the order in which the
 * recursive definitions descend, and then reversed: RFC 6962 lists the
 * hash nearest the leaves first. */
static void
reverse(uint8_t *hashes, size_t count)
{
	uint8_t tmp[HL];
	size_t i;

	for (i = 0; i < count / 2; i++) {
		memcpy(tmp, hashes + i * HL, HL);
		memcpy(hashes + i * HL, hashes + (count - 1 - i) * HL, HL);
		memcpy(hashes + (count - 1 - i) * HL, tmp, HL);
	}
}

int
merkle_inclusion_proof(uint64_t n, uint64_t index, merkle_leaf_fn leaf_fn,
    void *arg, uint8_t *out_path, size_t *path_len)
{
	return merkle_inclusion_proof_cached(n, index, leaf_fn, NULL, arg, out_path, path_len);
}

int
merkle_inclusion_proof_cached(uint64_t n, uint64_t index, merkle_leaf_fn leaf_fn,
    merkle_node_fn node_fn, void *arg, uint8_t *out_path, size_t *path_len)
{
	uint64_t lo = 0, size = n, k;
	size_t count = 0;

	if (path_len != NULL)
		*path_len = 0;
	if (leaf_fn == NULL || out_path == NULL || path_len == NULL || index >= n)
		return -1;
	/* PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])        if m < k
	 *               = PATH(m - k, D[k:n]) : MTH(D[0:k])    if m >= k */
	while (size > 1) {
		if (count == MERKLE_MAX_PATH)
			return -1;
		k = split(size);
		if (index - lo < k) {
			if (subtree_hash(lo + k, size - k, leaf_fn, node_fn, arg,
			    out_path + count * HL) == -1)
				return -1;
			size = k;
		} else {
			if (subtree_hash(lo, k, leaf_fn, node_fn, arg,
			    out_path + count * HL) == -1)
				return -1;
			lo += k;
			size -= k;
		}
		count++;
	}
	reverse(out_path, count);
	*path_len = count;
	return 0;
}

static int
consistency_proof(uint64_t m, uint64_t n, merkle_leaf_fn leaf_fn, merkle_node_fn node_fn,
    void *arg, uint8_t *out_proof, size_t *proof_len)
{
	uint64_t lo = 0, size = n, k;
	size_t count = 0;
	bool whole = true;	/* SUBPROOF's b: still on the path of MTH(D[m]) */

	if (proof_len != NULL)
		*proof_len = 0;
	if (leaf_fn == NULL || out_proof == NULL || proof_len == NULL ||
	    m == 0 || m > n)
		return -1;
	/* SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])   m <= k
	 *                      = SUBPROOF(m-k, D[k:n], false) : MTH(D[0:k]) m > k
	 * SUBPROOF(m, D[m], true) = {}, SUBPROOF(m, D[m], false) = {MTH(D[m])} */
	while (m != size) {
		if (count == MERKLE_MAX_PATH)
			return -1;
		k = split(size);
		if (m <= k) {
			if (subtree_hash(lo + k, size - k, leaf_fn, node_fn, arg,
			    out_proof + count * HL) == -1)
				return -1;
			size = k;
		} else {
			if (subtree_hash(lo, k, leaf_fn, node_fn, arg,
			    out_proof + count * HL) == -1)
				return -1;
			lo += k;
			m -= k;
			size -= k;
			whole = false;
		}
		count++;
	}
	if (!whole) {
		if (count == MERKLE_MAX_PATH)
			return -1;
		if (subtree_hash(lo, m, leaf_fn, node_fn, arg, out_proof + count * HL) == -1)
			return -1;
		count++;
	}
	reverse(out_proof, count);
	*proof_len = count;
	return 0;
}

int
merkle_consistency_proof(uint64_t m, uint64_t n, merkle_leaf_fn leaf_fn,
    void *arg, uint8_t *out_proof, size_t *proof_len)
{
	return consistency_proof(m, n, leaf_fn, NULL, arg, out_proof, proof_len);
}

int
merkle_consistency_proof_cached(uint64_t m, uint64_t n, merkle_leaf_fn leaf_fn,
    merkle_node_fn node_fn, void *arg, uint8_t *out_proof, size_t *proof_len)
{
	if (node_fn == NULL) {
		if (proof_len != NULL)
			*proof_len = 0;
		return -1;
	}
	return consistency_proof(m, n, leaf_fn, node_fn, arg, out_proof, proof_len);
}

/* ---- Verification ------------------------------------------------------ */

int
merkle_verify_inclusion(uint64_t index, uint64_t n, const uint8_t leaf_hash[HL],
    const uint8_t *path, size_t path_len, const uint8_t root[HL])
{
	uint64_t fn, sn;
	uint8_t r[HL];
	size_t i;

	if (leaf_hash == NULL || root == NULL || (path == NULL && path_len > 0) ||
	    path_len > MERKLE_MAX_PATH || index >= n)
		return -1;
	/* RFC 9162 section 2.1.3.2, step by step. */
	fn = index;
	sn = n - 1;
	memcpy(r, leaf_hash, HL);
	for (i = 0; i < path_len; i++) {
		const uint8_t *p = path + i * HL;

		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			if (merkle_node_hash(p, r, r) == -1)
				return -1;
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else if (merkle_node_hash(r, p, r) == -1)
			return -1;
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, HL) == 0 ? 0 : -1;
}

int
merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t root_m[HL],
    const uint8_t root_n[HL], const uint8_t *proof, size_t proof_len)
{
	uint8_t fr[HL], sr[HL];
	uint64_t fn, sn;
	size_t i;

	if (root_m == NULL || root_n == NULL || (proof == NULL && proof_len > 0) ||
	    proof_len > MERKLE_MAX_PATH || m == 0 || m > n)
		return -1;
	if (m == n)
		return proof_len == 0 && memcmp(root_m, root_n, HL) == 0 ? 0 : -1;
	/* RFC 9162 section 2.1.4.2, step by step. */
	if (proof_len == 0)
		return -1;
	/* Step 2: a power-of-two m is a perfect subtree the proof leaves out;
	 * prepend root_m.  Without copying: start from it, read from 0. */
	if ((m & (m - 1)) == 0) {
		memcpy(fr, root_m, HL);
		i = 0;
	} else {
		memcpy(fr, proof, HL);
		i = 1;
	}
	memcpy(sr, fr, HL);
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < proof_len; i++) {
		const uint8_t *c = proof + i * HL;

		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			if (merkle_node_hash(c, fr, fr) == -1 ||
			    merkle_node_hash(c, sr, sr) == -1)
				return -1;
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else if (merkle_node_hash(sr, c, sr) == -1)
			return -1;
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(fr, root_m, HL) == 0 &&
	    memcmp(sr, root_n, HL) == 0 ? 0 : -1;
}
