/* RFC 6962 Merkle trees over SHA-256, as the journal uses them: leaf and
 * node hashing, an incremental frontier (compact range) that yields the
 * root of size n without keeping the tree, proof generation from leaf
 * hashes, and the offline verifiers of RFC 9162 sections 2.1.3.2 and
 * 2.1.4.2.
 *
 *   leaf hash  = SHA-256(0x00 || entry)
 *   node hash  = SHA-256(0x01 || left || right)
 *   MTH({})    = SHA-256("")
 *   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two
 *                below n (RFC 6962 section 2.1)
 *
 * Leaves are numbered from 0.  Proofs are flat arrays of 32-byte hashes,
 * leaf end first, exactly as RFC 6962 PATH and PROOF list them.  Nothing
 * here returns memory to free; functions return 0 or -1. */
#ifndef PARLEY_MERKLE_H
#define PARLEY_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN 32
/* Most hashes in a proof this module makes or accepts. */
#define MERKLE_MAX_PATH 64
#define MERKLE_PROOF_MAXLEN (MERKLE_MAX_PATH * MERKLE_HASH_LEN)
/* Subtree slots of a frontier: enough for any size below 2^64. */
#define MERKLE_FRONTIER_LEVELS 64

/* SHA-256(0x00 || entry[0..len)).  entry may be NULL when len is 0.
 * Entries over 1 KiB are copied to the heap for hashing: -1 if that fails. */
int merkle_leaf_hash(const void *entry, size_t len, uint8_t out[MERKLE_HASH_LEN]);

/* SHA-256(0x01 || left || right).  out may alias left or right. */
int merkle_node_hash(const uint8_t left[MERKLE_HASH_LEN],
    const uint8_t right[MERKLE_HASH_LEN], uint8_t out[MERKLE_HASH_LEN]);

/* ---- Frontier ----------------------------------------------------------
 *
 * The roots of the perfect subtrees that make up a tree of `size` leaves:
 * hash[k] is the root of a subtree of 2^k leaves, valid exactly when bit k
 * of size is set (other slots are unspecified and never read).  Appending
 * is O(log n) node hashes; the root is O(log n).  Plain data: copy it,
 * zero it (= the empty tree), nothing to free. */
struct merkle_frontier {
	uint64_t size;
	uint8_t hash[MERKLE_FRONTIER_LEVELS][MERKLE_HASH_LEN];
};

/* The empty tree. */
void merkle_frontier_init(struct merkle_frontier *f);

/* Append the leaf whose leaf hash (not its entry) is leaf_hash.  -1, with f
 * unchanged, if f already holds 2^64 - 1 leaves or hashing fails. */
int merkle_frontier_append(struct merkle_frontier *f,
    const uint8_t leaf_hash[MERKLE_HASH_LEN]);

/* MTH of the f->size leaves appended so far (SHA-256("") for none). */
int merkle_frontier_root(const struct merkle_frontier *f,
    uint8_t out[MERKLE_HASH_LEN]);

/* Serialised frontier, for a row in the store:
 *   0x01 (version) || size (u64 big-endian)
 *   || popcount(size) subtree hashes, largest (leftmost) first
 *   || SHA-256 of all the preceding bytes (a checksum against damage).
 * The checksum catches corruption, not forgery: whoever loads a frontier
 * must still compare merkle_frontier_root() with the root of the last
 * signed checkpoint before appending to it. */
#define MERKLE_FRONTIER_MAXLEN \
	(1 + 8 + MERKLE_FRONTIER_LEVELS * MERKLE_HASH_LEN + MERKLE_HASH_LEN)

/* Bytes merkle_frontier_encode writes for f (at most MERKLE_FRONTIER_MAXLEN). */
size_t merkle_frontier_encoded_len(const struct merkle_frontier *f);

/* Write f into out (outlen bytes); the length written goes to *written
 * unless written is NULL.  -1 if outlen < merkle_frontier_encoded_len(f)
 * or hashing fails. */
int merkle_frontier_encode(const struct merkle_frontier *f, uint8_t *out,
    size_t outlen, size_t *written);

/* Read a frontier written by merkle_frontier_encode.  -1, with *f
 * untouched, unless buf[0..len) is exactly one: known version, length
 * matching the size, checksum correct. */
int merkle_frontier_decode(const uint8_t *buf, size_t len,
    struct merkle_frontier *f);

/* ---- Proof generation --------------------------------------------------
 *
 * The caller supplies leaf hashes by index through a callback that writes
 * the leaf hash of leaf `index` (0-based) to out and returns 0, or returns
 * -1, which aborts the proof with -1.
 *
 * Cost: every subtree hash in the proof is recomputed from its leaves, so a
 * proof over n leaves reads each of at most n leaves once and computes
 * fewer than n node hashes: O(n) time and leaf reads, O(log n) memory and
 * stack (no recursion).  Fine for a journal of thousands of entries; past
 * that, cache the hashes of perfect subtrees. */
typedef int (*merkle_leaf_fn)(void *arg, uint64_t index,
    uint8_t out[MERKLE_HASH_LEN]);

/* MTH over leaves [0, n) read through leaf_fn (SHA-256("") if n is 0). */
int merkle_root(uint64_t n, merkle_leaf_fn leaf_fn, void *arg,
    uint8_t out[MERKLE_HASH_LEN]);

/* RFC 6962 PATH(index, D[n]): the inclusion proof of leaf `index` in the
 * tree of size n.  out_path holds MERKLE_PROOF_MAXLEN bytes; *path_len gets
 * the number of hashes (0 when n is 1).  -1 if index >= n or leaf_fn
 * fails. */
int merkle_inclusion_proof(uint64_t n, uint64_t index, merkle_leaf_fn leaf_fn,
    void *arg, uint8_t *out_path, size_t *path_len);

/* A cache of perfect subtree hashes: write the hash of leaves
 * [index * 2^level, (index + 1) * 2^level) (level >= 1) to out and return 0,
 * 1 if it is not cached, -1 to abort. */
typedef int (*merkle_node_fn)(void *arg, unsigned level, uint64_t index,
    uint8_t out[MERKLE_HASH_LEN]);

/* merkle_inclusion_proof with a node cache: O(log^2 n) lookups instead of
 * O(n) leaf reads when the cache holds the tree's perfect subtrees.  The
 * cache is trusted: the proof is only as right as its nodes. */
int merkle_inclusion_proof_cached(uint64_t n, uint64_t index, merkle_leaf_fn leaf_fn,
    merkle_node_fn node_fn, void *arg, uint8_t *out_path, size_t *path_len);

/* RFC 6962 PROOF(m, D[n]): the consistency proof from size m to size n,
 * 0 < m <= n (empty when m == n).  out_proof holds MERKLE_PROOF_MAXLEN bytes;
 * *proof_len gets the number of hashes.  -1 if m == 0, m > n, leaf_fn
 * fails, or the proof would exceed MERKLE_MAX_PATH hashes (possible only
 * for n > 2^63). */
int merkle_consistency_proof(uint64_t m, uint64_t n, merkle_leaf_fn leaf_fn,
    void *arg, uint8_t *out_proof, size_t *proof_len);

/* The same, with the hashes of perfect subtrees taken from node_fn where it
 * has them (as merkle_inclusion_proof_cached): the proof is identical. */
int merkle_consistency_proof_cached(uint64_t m, uint64_t n, merkle_leaf_fn leaf_fn,
    merkle_node_fn node_fn, void *arg, uint8_t *out_proof, size_t *proof_len);

/* ---- Verification (what clients run offline) ---------------------------
 *
 * Both return 0 only if the proof is valid and -1 otherwise, for every
 * input: they never read past path_len/proof_len hashes and refuse more
 * than MERKLE_MAX_PATH.
 *
 * Hazard: a tree size is bound by its root, not by the proof.  The same
 * hashes often verify against the same root for a neighbouring size too
 * (leaf 177's proof under the root of 226 leaves also "verifies" for 225),
 * as in every RFC 9162 verifier.  Take each (size, root) pair from one
 * verified checkpoint, never a size from one place and a root from
 * another. */

/* RFC 9162 section 2.1.3.2: leaf_hash is leaf `index` of the tree of size
 * n whose root is `root`, by the inclusion proof path (path_len hashes).
 * -1 if index >= n. */
int merkle_verify_inclusion(uint64_t index, uint64_t n,
    const uint8_t leaf_hash[MERKLE_HASH_LEN], const uint8_t *path,
    size_t path_len, const uint8_t root[MERKLE_HASH_LEN]);

/* RFC 9162 section 2.1.4.2: the tree of size n with root root_n extends the
 * tree of size m with root root_m, by proof (proof_len hashes).  As RFC
 * 9162 requires 0 < m < n for a proof, m == 0 and m > n are refused; m == n
 * is accepted only with an empty proof and root_m equal to root_n. */
int merkle_verify_consistency(uint64_t m, uint64_t n,
    const uint8_t root_m[MERKLE_HASH_LEN], const uint8_t root_n[MERKLE_HASH_LEN],
    const uint8_t *proof, size_t proof_len);

#endif
