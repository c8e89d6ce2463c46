/* proto/merkle: RFC 6962 hashing against published known answers, the
 * generators against a recursive reference written from the RFC text,
 * seeded property tests of the RFC 9162 verifiers (every proof verifies,
 * every single change fails), and the frontier and its serialisation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/crypto.h"
#include "proto/merkle.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define HL MERKLE_HASH_LEN

/* ---- Known answers -------------------------------------------------------
 *
 * The reference tree of eight leaves from the certificate-transparency
 * project, computed there by its own reference implementation and copied
 * here as data:
 *
 *   google/certificate-transparency, cpp/merkletree/merkle_tree_test.cc
 *     (commit 0e901cacd1388fa16f78b184612f6cd16e5ceec1): kInputs,
 *     kSHA256Roots, kSHA256Paths, kSHA256Proofs;
 *   transparency-dev/merkle, proof/verify_test.go
 *     (commit 02194e9afb6c1d95b5381350007963aa70fff472): the same vectors
 *     plus the consistency proof 6 -> 7;
 *   transparency-dev/merkle, testonly/constants.go
 *     (commit 582a6ad190b6848f1d26f8bf08ddef29955d9db1): NodeHashes, every
 *     perfect subtree of the 8-leaf tree (level 0 = the leaf hashes).
 *
 * Both sources number leaves from 1 in their path vectors ({1, 8, ...} is
 * the first leaf); the tables below use our 0-based indices. */

static const char *const kat_inputs[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

static const char *const kat_empty_root =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* kat_roots[i] is the root of the first i + 1 leaves. */
static const char *const kat_roots[8] = {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* NodeHashes: level 0 (8 leaf hashes), 1 (4), 2 (2), 3 (the root). */
static const char *const kat_nodes0[8] = {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
	"07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
	"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	"4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
	"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	"46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
};
static const char *const kat_nodes1[4] = {
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
};
static const char *const kat_nodes2[2] = {
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
};
static const char *const kat_nodes3 =
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328";

static const struct {
	uint64_t index, size;
	const char *path[3];
	size_t len;
} kat_inclusion[] = {
	{ 0, 1, { NULL }, 0 },
	{ 0, 8, {
	    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" }, 3 },
	{ 5, 8, {
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" }, 3 },
	{ 2, 3, {
	    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" }, 1 },
	{ 1, 5, {
	    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" }, 3 },
};

static const struct {
	uint64_t m, n;
	const char *proof[3];
	size_t len;
} kat_consistency[] = {
	{ 1, 1, { NULL }, 0 },
	{ 1, 8, {
	    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" }, 3 },
	{ 6, 8, {
	    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" }, 3 },
	{ 2, 5, {
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" }, 2 },
	{ 6, 7, {
	    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" }, 3 },
};

static void
hx(const char *hex, uint8_t out[HL])
{
	assert_int_equal(hex_decode(hex, out, HL), 0);
}

static void
assert_hash(const uint8_t got[HL], const char *want_hex, const char *what)
{
	char got_hex[2 * HL + 1];

	hex_encode(got, HL, got_hex);
	if (strcmp(got_hex, want_hex) != 0)
		fail_msg("%s: got %s, want %s", what, got_hex, want_hex);
}

/* ---- Leaves behind the callback --------------------------------------- */

struct leaves {
	uint8_t (*h)[HL];
	uint64_t n;
	uint64_t fail_at;	/* leaf_fn refuses this index (UINT64_MAX: none) */
	uint64_t reads;
};

static int
leaf_fn(void *arg, uint64_t index, uint8_t out[HL])
{
	struct leaves *l = arg;

	l->reads++;
	if (index >= l->n || index == l->fail_at)
		return -1;
	memcpy(out, l->h[index], HL);
	return 0;
}

static void
kat_leaves(struct leaves *l, uint8_t h[8][HL])
{
	uint8_t entry[16];
	size_t i, n;

	for (i = 0; i < 8; i++) {
		n = strlen(kat_inputs[i]) / 2;
		assert_int_equal(hex_decode(kat_inputs[i], entry, n), 0);
		assert_int_equal(merkle_leaf_hash(n ? entry : NULL, n, h[i]), 0);
	}
	l->h = h;
	l->n = 8;
	l->fail_at = UINT64_MAX;
	l->reads = 0;
}

/* ---- A reference written straight from RFC 6962 section 2.1 ------------
 * Recursive, as the RFC states it; merkle.c's generators are iterative.
 * Only merkle_node_hash is shared, and that is pinned by the known answers
 * above. */

static uint64_t
ref_split(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

static void
ref_mth(uint8_t (*d)[HL], uint64_t n, uint8_t out[HL])
{
	uint8_t l[HL], r[HL];
	uint64_t k;

	if (n == 0) {
		assert_int_equal(crypto_sha256(NULL, 0, out), 0);
		return;
	}
	if (n == 1) {
		memcpy(out, d[0], HL);
		return;
	}
	k = ref_split(n);
	ref_mth(d, k, l);
	ref_mth(d + k, n - k, r);
	assert_int_equal(merkle_node_hash(l, r, out), 0);
}

/* PATH(m, D[n]) appended to out at *len. */
static void
ref_path(uint64_t m, uint8_t (*d)[HL], uint64_t n, uint8_t *out, size_t *len)
{
	uint64_t k;

	if (n <= 1)
		return;
	k = ref_split(n);
	if (m < k) {
		ref_path(m, d, k, out, len);
		ref_mth(d + k, n - k, out + (*len)++ * HL);
	} else {
		ref_path(m - k, d + k, n - k, out, len);
		ref_mth(d, k, out + (*len)++ * HL);
	}
}

/* SUBPROOF(m, D[n], b) appended to out at *len. */
static void
ref_subproof(uint64_t m, uint8_t (*d)[HL], uint64_t n, bool b, uint8_t *out,
    size_t *len)
{
	uint64_t k;

	if (m == n) {
		if (!b)
			ref_mth(d, m, out + (*len)++ * HL);
		return;
	}
	k = ref_split(n);
	if (m <= k) {
		ref_subproof(m, d, k, b, out, len);
		ref_mth(d + k, n - k, out + (*len)++ * HL);
	} else {
		ref_subproof(m - k, d + k, n - k, false, out, len);
		ref_mth(d, k, out + (*len)++ * HL);
	}
}

/* Verification by the same recursions: evaluate the root(s) a proof
 * implies, consuming its hashes in the order PATH and SUBPROOF produce
 * them.  Independent of the iterative RFC 9162 algorithms in merkle.c;
 * the property tests demand that both always agree. */
static bool
ref_incl_eval(uint64_t m, uint64_t n, const uint8_t leaf[HL],
    const uint8_t *path, size_t len, size_t *used, uint8_t out[HL])
{
	uint8_t sub[HL];
	uint64_t k;
	size_t j;

	if (n == 1) {
		memcpy(out, leaf, HL);
		return true;
	}
	k = ref_split(n);
	if (m < k ? !ref_incl_eval(m, k, leaf, path, len, used, sub) :
	    !ref_incl_eval(m - k, n - k, leaf, path, len, used, sub))
		return false;
	if ((j = (*used)++) >= len)
		return false;
	if (m < k)
		assert_int_equal(merkle_node_hash(sub, path + j * HL, out), 0);
	else
		assert_int_equal(merkle_node_hash(path + j * HL, sub, out), 0);
	return true;
}

static int
ref_verify_inclusion(uint64_t i, uint64_t n, const uint8_t leaf[HL],
    const uint8_t *path, size_t len, const uint8_t root[HL])
{
	uint8_t r[HL];
	size_t used = 0;

	if (i >= n || !ref_incl_eval(i, n, leaf, path, len, &used, r))
		return -1;
	return used == len && memcmp(r, root, HL) == 0 ? 0 : -1;
}

/* old = MTH(D[0:m]) and new = MTH(D[0:n]) of the current subtree. */
static bool
ref_cons_eval(uint64_t m, uint64_t n, bool b, const uint8_t rm[HL],
    const uint8_t *proof, size_t len, size_t *used, uint8_t old[HL],
    uint8_t new[HL])
{
	uint8_t o[HL], nw[HL];
	uint64_t k;
	size_t j;

	if (m == n) {
		if (b) {		/* this subtree is the old tree itself */
			memcpy(old, rm, HL);
			memcpy(new, rm, HL);
			return true;
		}
		if ((j = (*used)++) >= len)
			return false;
		memcpy(old, proof + j * HL, HL);
		memcpy(new, proof + j * HL, HL);
		return true;
	}
	k = ref_split(n);
	if (m <= k) {
		if (!ref_cons_eval(m, k, b, rm, proof, len, used, o, nw) ||
		    (j = (*used)++) >= len)
			return false;
		memcpy(old, o, HL);
		assert_int_equal(merkle_node_hash(nw, proof + j * HL, new), 0);
	} else {
		if (!ref_cons_eval(m - k, n - k, false, rm, proof, len, used,
		    o, nw) || (j = (*used)++) >= len)
			return false;
		assert_int_equal(merkle_node_hash(proof + j * HL, o, old), 0);
		assert_int_equal(merkle_node_hash(proof + j * HL, nw, new), 0);
	}
	return true;
}

static int
ref_verify_consistency(uint64_t m, uint64_t n, const uint8_t rm[HL],
    const uint8_t rn[HL], const uint8_t *proof, size_t len)
{
	uint8_t old[HL], new[HL];
	size_t used = 0;

	if (m == 0 || m > n ||
	    !ref_cons_eval(m, n, true, rm, proof, len, &used, old, new))
		return -1;
	return used == len && memcmp(old, rm, HL) == 0 &&
	    memcmp(new, rn, HL) == 0 ? 0 : -1;
}

/* ---- Seeded PRNG (splitmix64) ----------------------------------------- */

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static uint64_t
rnd_range(uint64_t *s, uint64_t lo, uint64_t hi)
{
	return lo + rnd(s) % (hi - lo + 1);
}

#define MAXLEAVES 300

/* Leaf hashes of MAXLEAVES distinct random entries of 8..40 bytes (the
 * first 8 are the index, so that no two leaves are equal). */
static void
random_leaves(uint64_t *s, struct leaves *l, uint8_t (*h)[HL])
{
	uint8_t entry[40];
	size_t i, j, n;

	for (i = 0; i < MAXLEAVES; i++) {
		n = (size_t)rnd_range(s, 8, sizeof(entry));
		for (j = 0; j < 8; j++)
			entry[j] = (uint8_t)(i >> (8 * j));
		for (; j < n; j++)
			entry[j] = (uint8_t)rnd(s);
		assert_int_equal(merkle_leaf_hash(entry, n, h[i]), 0);
	}
	l->h = h;
	l->n = MAXLEAVES;
	l->fail_at = UINT64_MAX;
	l->reads = 0;
}

/* ---- Tests: known answers ---------------------------------------------- */

static void
test_kat_hashes(void **state)
{
	uint8_t h[8][HL], n1[4][HL], n2[2][HL], n3[HL];
	struct leaves l;
	size_t i;

	(void)state;
	kat_leaves(&l, h);
	for (i = 0; i < 8; i++)
		assert_hash(h[i], kat_nodes0[i], "leaf hash");
	for (i = 0; i < 4; i++) {
		assert_int_equal(merkle_node_hash(h[2 * i], h[2 * i + 1], n1[i]), 0);
		assert_hash(n1[i], kat_nodes1[i], "level 1 node");
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(merkle_node_hash(n1[2 * i], n1[2 * i + 1], n2[i]), 0);
		assert_hash(n2[i], kat_nodes2[i], "level 2 node");
	}
	assert_int_equal(merkle_node_hash(n2[0], n2[1], n3), 0);
	assert_hash(n3, kat_nodes3, "level 3 node");
}

/* Entries on both sides of merkle.c's 1 KiB stack buffer, against
 * `{ printf '\0'; head -c N /dev/zero | tr '\0' a; } | sha256sum`. */
static void
test_large_leaves(void **state)
{
	static const struct {
		size_t n;
		const char *hash;
	} cases[] = {
		{ 1023, "ca084ddb72cd5db9f71c5734e7bbc4ff4ec5d1fb490689e2cc395bafec2bbc25" },
		{ 1024, "e57e1cdbf524ce1c957cbec5bf11edbd8fa75311abc3e8b0b00d5da5ab0a9e31" },
		{ 5000, "a3c696bc17b460beb48e6e7df12625ed65e6880e55cab2f7ea560c9ffe7df978" },
	};
	uint8_t out[HL];
	char *entry;
	size_t i;

	(void)state;
	for (i = 0; i < LEN(cases); i++) {
		entry = malloc(cases[i].n);
		assert_non_null(entry);
		memset(entry, 'a', cases[i].n);
		assert_int_equal(merkle_leaf_hash(entry, cases[i].n, out), 0);
		assert_hash(out, cases[i].hash, "large leaf");
		free(entry);
	}
	assert_int_equal(merkle_leaf_hash(NULL, 1, out), -1);
}

static void
test_kat_roots(void **state)
{
	struct merkle_frontier f;
	uint8_t h[8][HL], root[HL];
	struct leaves l;
	size_t i;

	(void)state;
	kat_leaves(&l, h);
	merkle_frontier_init(&f);
	assert_int_equal(merkle_frontier_root(&f, root), 0);
	assert_hash(root, kat_empty_root, "empty frontier");
	assert_int_equal(merkle_root(0, leaf_fn, &l, root), 0);
	assert_hash(root, kat_empty_root, "empty merkle_root");
	for (i = 0; i < 8; i++) {
		assert_int_equal(merkle_frontier_append(&f, h[i]), 0);
		assert_int_equal(f.size, i + 1);
		assert_int_equal(merkle_frontier_root(&f, root), 0);
		assert_hash(root, kat_roots[i], "frontier root");
		assert_int_equal(merkle_root(i + 1, leaf_fn, &l, root), 0);
		assert_hash(root, kat_roots[i], "merkle_root");
	}
}

static void
test_kat_inclusion(void **state)
{
	uint8_t h[8][HL], path[MERKLE_PROOF_MAXLEN], want[3][HL], root[HL];
	struct leaves l;
	size_t i, j, len;

	(void)state;
	kat_leaves(&l, h);
	for (i = 0; i < LEN(kat_inclusion); i++) {
		uint64_t idx = kat_inclusion[i].index, n = kat_inclusion[i].size;

		assert_int_equal(merkle_inclusion_proof(n, idx, leaf_fn, &l,
		    path, &len), 0);
		assert_int_equal(len, kat_inclusion[i].len);
		for (j = 0; j < len; j++)
			assert_hash(path + j * HL, kat_inclusion[i].path[j],
			    "inclusion path");
		for (j = 0; j < len; j++)
			hx(kat_inclusion[i].path[j], want[j]);
		hx(kat_roots[n - 1], root);
		assert_int_equal(merkle_verify_inclusion(idx, n, h[idx],
		    (const uint8_t *)want, len, root), 0);
	}
}

/* Every leaf of the full 8-leaf tree, with the path read off the published
 * NodeHashes: the siblings of the leaf, of its parent and of its
 * grandparent. */
static void
test_kat_inclusion_full_tree(void **state)
{
	uint8_t h[8][HL], path[MERKLE_PROOF_MAXLEN], root[HL];
	struct leaves l;
	uint64_t i;
	size_t len;

	(void)state;
	kat_leaves(&l, h);
	hx(kat_nodes3, root);
	for (i = 0; i < 8; i++) {
		assert_int_equal(merkle_inclusion_proof(8, i, leaf_fn, &l, path,
		    &len), 0);
		assert_int_equal(len, 3);
		assert_hash(path, kat_nodes0[i ^ 1], "sibling leaf");
		assert_hash(path + HL, kat_nodes1[(i >> 1) ^ 1], "sibling pair");
		assert_hash(path + 2 * HL, kat_nodes2[(i >> 2) ^ 1], "sibling half");
		assert_int_equal(merkle_verify_inclusion(i, 8, h[i], path, len,
		    root), 0);
	}
}

static void
test_kat_consistency(void **state)
{
	uint8_t h[8][HL], proof[MERKLE_PROOF_MAXLEN], want[3][HL], r1[HL], r2[HL];
	struct leaves l;
	size_t i, j, len;

	(void)state;
	kat_leaves(&l, h);
	for (i = 0; i < LEN(kat_consistency); i++) {
		uint64_t m = kat_consistency[i].m, n = kat_consistency[i].n;

		assert_int_equal(merkle_consistency_proof(m, n, leaf_fn, &l,
		    proof, &len), 0);
		assert_int_equal(len, kat_consistency[i].len);
		for (j = 0; j < len; j++)
			assert_hash(proof + j * HL, kat_consistency[i].proof[j],
			    "consistency proof");
		for (j = 0; j < len; j++)
			hx(kat_consistency[i].proof[j], want[j]);
		hx(kat_roots[m - 1], r1);
		hx(kat_roots[n - 1], r2);
		assert_int_equal(merkle_verify_consistency(m, n, r1, r2,
		    (const uint8_t *)want, len), 0);
	}
}

/* ---- Tests: edges ---------------------------------------------------- */

/* The probes of transparency-dev/merkle TestVerifyInclusion and
 * TestVerifyConsistency that apply to fixed-size hashes, and the bounds. */
static void
test_verify_edges(void **state)
{
	uint8_t h[8][HL], empty[HL], some[HL], r1[HL], r8[HL];
	uint8_t big[(MERKLE_MAX_PATH + 1) * HL];
	struct leaves l;

	(void)state;
	kat_leaves(&l, h);
	hx(kat_empty_root, empty);
	memset(some, 0xab, HL);
	hx(kat_roots[0], r1);
	hx(kat_roots[7], r8);
	memset(big, 0, sizeof(big));

	/* Inclusion: index must be below a non-zero size. */
	assert_int_equal(merkle_verify_inclusion(0, 0, some, NULL, 0, empty), -1);
	assert_int_equal(merkle_verify_inclusion(1, 0, some, NULL, 0, empty), -1);
	assert_int_equal(merkle_verify_inclusion(2, 1, some, NULL, 0, some), -1);
	assert_int_equal(merkle_verify_inclusion(1, 1, some, NULL, 0, some), -1);
	assert_int_equal(merkle_verify_inclusion(0, 1, some, NULL, 0, empty), -1);
	assert_int_equal(merkle_verify_inclusion(0, 1, some, NULL, 0, some), 0);
	assert_int_equal(merkle_verify_inclusion(0, 1, h[0], NULL, 0, r1), 0);
	/* A proof for size 1 has no hashes; one more is refused. */
	assert_int_equal(merkle_verify_inclusion(0, 1, h[0], r1, 1, r1), -1);
	assert_int_equal(merkle_verify_inclusion(0, 1, h[0], NULL, 1, r1), -1);
	assert_int_equal(merkle_verify_inclusion(0, 8, h[0], NULL, 0, r8), -1);
	assert_int_equal(merkle_verify_inclusion(0, 8, h[0], big,
	    MERKLE_MAX_PATH + 1, r8), -1);
	assert_int_equal(merkle_verify_inclusion(UINT64_MAX - 1, UINT64_MAX,
	    h[0], big, MERKLE_MAX_PATH, r8), -1);
	assert_int_equal(merkle_verify_inclusion(0, 1, NULL, NULL, 0, r1), -1);
	assert_int_equal(merkle_verify_inclusion(0, 1, h[0], NULL, 0, NULL), -1);

	/* Consistency: RFC 9162 wants 0 < m < n; m == n only as identity. */
	assert_int_equal(merkle_verify_consistency(0, 0, empty, empty, NULL, 0), -1);
	assert_int_equal(merkle_verify_consistency(0, 1, empty, r1, NULL, 0), -1);
	assert_int_equal(merkle_verify_consistency(0, 8, empty, r8, NULL, 0), -1);
	assert_int_equal(merkle_verify_consistency(1, 0, r1, empty, NULL, 0), -1);
	assert_int_equal(merkle_verify_consistency(2, 1, r1, r1, NULL, 0), -1);
	assert_int_equal(merkle_verify_consistency(8, 1, r8, r1, NULL, 0), -1);
	assert_int_equal(merkle_verify_consistency(1, 1, r1, r1, NULL, 0), 0);
	assert_int_equal(merkle_verify_consistency(8, 8, r8, r8, NULL, 0), 0);
	assert_int_equal(merkle_verify_consistency(1, 1, r1, r8, NULL, 0), -1);
	assert_int_equal(merkle_verify_consistency(1, 1, r1, r1, empty, 1), -1);
	assert_int_equal(merkle_verify_consistency(1, 2, r1, r8, NULL, 0), -1);
	assert_int_equal(merkle_verify_consistency(1, 8, r1, r8, NULL, 3), -1);
	assert_int_equal(merkle_verify_consistency(3, 8, r1, r8, NULL, 0), -1);
	assert_int_equal(merkle_verify_consistency(1, 8, r1, r8, big,
	    MERKLE_MAX_PATH + 1), -1);
	assert_int_equal(merkle_verify_consistency(1, 8, NULL, r8, big, 3), -1);
	assert_int_equal(merkle_verify_consistency(1, 8, r1, NULL, big, 3), -1);
}

static void
test_generator_edges(void **state)
{
	uint8_t h[8][HL], out[MERKLE_PROOF_MAXLEN];
	struct leaves l;
	size_t len;

	(void)state;
	kat_leaves(&l, h);
	len = 99;
	assert_int_equal(merkle_inclusion_proof(0, 0, leaf_fn, &l, out, &len), -1);
	assert_int_equal(len, 0);
	assert_int_equal(merkle_inclusion_proof(8, 8, leaf_fn, &l, out, &len), -1);
	assert_int_equal(merkle_inclusion_proof(8, 0, NULL, &l, out, &len), -1);
	assert_int_equal(merkle_inclusion_proof(8, 0, leaf_fn, &l, NULL, &len), -1);
	assert_int_equal(merkle_inclusion_proof(8, 0, leaf_fn, &l, out, NULL), -1);
	assert_int_equal(merkle_consistency_proof(0, 8, leaf_fn, &l, out, &len), -1);
	assert_int_equal(merkle_consistency_proof(0, 0, leaf_fn, &l, out, &len), -1);
	assert_int_equal(merkle_consistency_proof(9, 8, leaf_fn, &l, out, &len), -1);
	assert_int_equal(merkle_consistency_proof(3, 8, NULL, &l, out, &len), -1);
	assert_int_equal(merkle_root(8, NULL, &l, out), -1);

	/* A failing callback fails the proof, wherever it fails; an inclusion
	 * proof never reads its own leaf. */
	for (l.fail_at = 0; l.fail_at < 8; l.fail_at++) {
		assert_int_equal(merkle_inclusion_proof(8, 3, leaf_fn, &l, out,
		    &len), l.fail_at == 3 ? 0 : -1);
		assert_int_equal(len, l.fail_at == 3 ? 3 : 0);
		assert_int_equal(merkle_consistency_proof(3, 8, leaf_fn, &l, out,
		    &len), -1);
		assert_int_equal(merkle_root(8, leaf_fn, &l, out), -1);
	}
	/* Sizes beyond what the callback holds: it refuses, we fail. */
	l.fail_at = UINT64_MAX;
	assert_int_equal(merkle_inclusion_proof(9, 0, leaf_fn, &l, out, &len), -1);

	/* O(n) reads per proof, as the header promises. */
	l.reads = 0;
	assert_int_equal(merkle_inclusion_proof(8, 5, leaf_fn, &l, out, &len), 0);
	assert_true(l.reads <= 8);
	l.reads = 0;
	assert_int_equal(merkle_consistency_proof(3, 8, leaf_fn, &l, out, &len), 0);
	assert_true(l.reads <= 8);
}

/* ---- Tests: generators against the reference ------------------------- */

/* ---- Tests: properties ------------------------------------------------ */

#define TRIALS 400
#define FULL_FLIP_TRIALS 40	/* trials that flip every bit, not one per hash */

static void
flip(uint8_t *p, size_t bitno)
{
	p[bitno / 8] ^= (uint8_t)(1u << (bitno % 8));
}

/* The bits of one 32-byte hash to flip: all 256, or one at random. */
static size_t
nflips(bool all)
{
	return all ? 8 * HL : 1;
}

static size_t
pick_bit(uint64_t *s, bool all, size_t k)
{
	return all ? k : (size_t)rnd_range(s, 0, 8 * HL - 1);
}

/* A change that must make the proof fail, by both verifiers. */
static void
incl_must_fail(uint64_t i, uint64_t n, const uint8_t leaf[HL],
    const uint8_t *path, size_t len, const uint8_t root[HL], const char *what)
{
	if (merkle_verify_inclusion(i, n, leaf, path, len, root) == 0 ||
	    ref_verify_inclusion(i, n, leaf, path, len, root) == 0)
		fail_msg("inclusion of %llu in %llu verified after: %s",
		    (unsigned long long)i, (unsigned long long)n, what);
}

static void
cons_must_fail(uint64_t m, uint64_t n, const uint8_t rm[HL], const uint8_t rn[HL],
    const uint8_t *proof, size_t len, const char *what)
{
	if (merkle_verify_consistency(m, n, rm, rn, proof, len) == 0 ||
	    ref_verify_consistency(m, n, rm, rn, proof, len) == 0)
		fail_msg("consistency %llu -> %llu verified after: %s",
		    (unsigned long long)m, (unsigned long long)n, what);
}

/* A change of tree size.  The sizes are bound by the root (both come from
 * one signed checkpoint), not by the proof: where the proof has the same
 * shape for the other size, the same hashes reach the same root and any
 * correct verifier accepts (e.g. leaf 177 under the root of 226 leaves
 * verifies as size 225 too).  So the requirement is agreement with the
 * recursive reference; *accepted counts those cases. */
static void
incl_must_agree(uint64_t i, uint64_t n, const uint8_t leaf[HL],
    const uint8_t *path, size_t len, const uint8_t root[HL], const char *what,
    unsigned *accepted)
{
	int ours = merkle_verify_inclusion(i, n, leaf, path, len, root);
	int ref = ref_verify_inclusion(i, n, leaf, path, len, root);

	if (ours != ref)
		fail_msg("inclusion of %llu in %llu after %s: %d, reference %d",
		    (unsigned long long)i, (unsigned long long)n, what, ours, ref);
	*accepted += ours == 0;
}

static void
cons_must_agree(uint64_t m, uint64_t n, const uint8_t rm[HL],
    const uint8_t rn[HL], const uint8_t *proof, size_t len, const char *what,
    unsigned *accepted)
{
	int ours = merkle_verify_consistency(m, n, rm, rn, proof, len);
	int ref = ref_verify_consistency(m, n, rm, rn, proof, len);

	if (ours != ref)
		fail_msg("consistency %llu -> %llu after %s: %d, reference %d",
		    (unsigned long long)m, (unsigned long long)n, what, ours, ref);
	*accepted += ours == 0;
}

/* Every index and every m for every n up to 70: our proofs equal the
 * RFC's recursive definitions and verify; moved by one leaf they fail;
 * under a size changed by one both verifiers agree. */
static void
test_generators_exhaustive(void **state)
{
	static uint8_t h[MAXLEAVES][HL];
	uint8_t got[MERKLE_PROOF_MAXLEN], want[MERKLE_PROOF_MAXLEN];
	uint8_t root_m[HL], root_n[HL];
	uint64_t seed = 1, n, i;
	unsigned accepted = 0;
	struct leaves l;
	size_t glen, wlen;

	(void)state;
	random_leaves(&seed, &l, h);
	for (n = 1; n <= 70; n++) {
		ref_mth(h, n, root_n);
		for (i = 0; i < n; i++) {
			assert_int_equal(merkle_inclusion_proof(n, i, leaf_fn, &l,
			    got, &glen), 0);
			wlen = 0;
			ref_path(i, h, n, want, &wlen);
			assert_int_equal(glen, wlen);
			assert_memory_equal(got, want, glen * HL);
			if (merkle_verify_inclusion(i, n, h[i], got, glen, root_n))
				fail_msg("inclusion %llu of %llu does not verify",
				    (unsigned long long)i, (unsigned long long)n);
			if (i > 0)
				incl_must_fail(i - 1, n, h[i], got, glen, root_n,
				    "index - 1");
			incl_must_fail(i + 1, n, h[i], got, glen, root_n,
			    "index + 1");
			incl_must_agree(i, n - 1, h[i], got, glen, root_n,
			    "size - 1", &accepted);
			incl_must_agree(i, n + 1, h[i], got, glen, root_n,
			    "size + 1", &accepted);
		}
		for (i = 1; i <= n; i++) {
			assert_int_equal(merkle_consistency_proof(i, n, leaf_fn, &l,
			    got, &glen), 0);
			wlen = 0;
			ref_subproof(i, h, n, true, want, &wlen);
			assert_int_equal(glen, wlen);
			assert_memory_equal(got, want, glen * HL);
			ref_mth(h, i, root_m);
			if (merkle_verify_consistency(i, n, root_m, root_n, got, glen))
				fail_msg("consistency %llu -> %llu does not verify",
				    (unsigned long long)i, (unsigned long long)n);
			if (i == n)
				continue;
			cons_must_fail(i - 1, n, root_m, root_n, got, glen, "m - 1");
			cons_must_fail(i + 1, n, root_m, root_n, got, glen, "m + 1");
			cons_must_agree(i, n - 1, root_m, root_n, got, glen, "n - 1",
			    &accepted);
			cons_must_agree(i, n + 1, root_m, root_n, got, glen, "n + 1",
			    &accepted);
		}
	}
	print_message("sizes 1..70: %u size +-1 variants verify, as the "
	    "reference does\n", accepted);
}

static void
test_inclusion_property(void **state)
{
	static uint8_t h[MAXLEAVES][HL];
	uint8_t path[MERKLE_PROOF_MAXLEN + HL], root[HL], leaf[HL], fr[HL];
	uint64_t seed = 0x1994051200000001, n, i, t;
	struct merkle_frontier f;
	unsigned same_shape = 0;
	struct leaves l;
	size_t len, j, k;

	(void)state;
	random_leaves(&seed, &l, h);
	for (t = 0; t < TRIALS; t++) {
		bool all = t < FULL_FLIP_TRIALS;

		n = rnd_range(&seed, 1, MAXLEAVES);
		i = rnd_range(&seed, 0, n - 1);
		assert_int_equal(merkle_inclusion_proof(n, i, leaf_fn, &l, path,
		    &len), 0);
		ref_mth(h, n, root);
		merkle_frontier_init(&f);
		for (j = 0; j < n; j++)
			assert_int_equal(merkle_frontier_append(&f, h[j]), 0);
		assert_int_equal(merkle_frontier_root(&f, fr), 0);
		assert_memory_equal(fr, root, HL);
		memcpy(leaf, h[i], HL);
		if (merkle_verify_inclusion(i, n, leaf, path, len, root) != 0)
			fail_msg("inclusion of %llu in %llu does not verify",
			    (unsigned long long)i, (unsigned long long)n);

		for (j = 0; j < len; j++)
			for (k = 0; k < nflips(all); k++) {
				size_t b = j * 8 * HL + pick_bit(&seed, all, k);

				flip(path, b);
				incl_must_fail(i, n, leaf, path, len, root,
				    "a bit flipped in the path");
				flip(path, b);
			}
		for (k = 0; k < nflips(all); k++) {
			size_t b = pick_bit(&seed, all, k);

			flip(root, b);
			incl_must_fail(i, n, leaf, path, len, root, "root bit");
			flip(root, b);
			flip(leaf, b);
			incl_must_fail(i, n, leaf, path, len, root, "leaf bit");
			flip(leaf, b);
		}
		if (ref_verify_inclusion(i, n, leaf, path, len, root) != 0)
			fail_msg("the reference refuses inclusion of %llu in %llu",
			    (unsigned long long)i, (unsigned long long)n);
		if (i > 0)
			incl_must_fail(i - 1, n, leaf, path, len, root, "index - 1");
		incl_must_fail(i + 1, n, leaf, path, len, root, "index + 1");
		incl_must_agree(i, n - 1, leaf, path, len, root, "size - 1",
		    &same_shape);
		incl_must_agree(i, n + 1, leaf, path, len, root, "size + 1",
		    &same_shape);
		incl_must_fail(i, 2 * n, leaf, path, len, root, "size * 2");
		if (len > 0)
			incl_must_fail(i, n, leaf, path, len - 1, root, "last hash cut");
		if (len > 0)
			incl_must_fail(i, n, leaf, path + HL, len - 1, root,
			    "first hash cut");
		memcpy(path + len * HL, root, HL);
		incl_must_fail(i, n, leaf, path, len + 1, root, "root appended");
		if (i + 1 < n)
			incl_must_fail(i, n, h[i + 1], path, len, root,
			    "the next leaf");
	}
	print_message("inclusion: %u of %d size +-1 variants share the proof's "
	    "shape and verify, as they must\n", same_shape, 2 * TRIALS);
}

static void
test_consistency_property(void **state)
{
	static uint8_t h[MAXLEAVES][HL];
	uint8_t proof[MERKLE_PROOF_MAXLEN + HL], rm[HL], rn[HL];
	uint64_t seed = 0x1994051200000002, m, n, t;
	unsigned same_n = 0;
	struct leaves l;
	size_t len, j, k;

	(void)state;
	random_leaves(&seed, &l, h);
	for (t = 0; t < TRIALS; t++) {
		bool all = t < FULL_FLIP_TRIALS;

		n = rnd_range(&seed, 2, MAXLEAVES);
		/* Mostly proper pairs; now and then m == n. */
		m = t % 10 == 9 ? n : rnd_range(&seed, 1, n - 1);
		assert_int_equal(merkle_consistency_proof(m, n, leaf_fn, &l,
		    proof, &len), 0);
		ref_mth(h, m, rm);
		ref_mth(h, n, rn);
		if (merkle_verify_consistency(m, n, rm, rn, proof, len) != 0)
			fail_msg("consistency %llu -> %llu does not verify",
			    (unsigned long long)m, (unsigned long long)n);
		if (m == n) {
			assert_int_equal(len, 0);
			rm[0] ^= 1;
			cons_must_fail(m, n, rm, rn, proof, 0, "m == n, roots differ");
			continue;
		}
		assert_true(len > 0);

		for (j = 0; j < len; j++)
			for (k = 0; k < nflips(all); k++) {
				size_t b = j * 8 * HL + pick_bit(&seed, all, k);

				flip(proof, b);
				cons_must_fail(m, n, rm, rn, proof, len,
				    "a bit flipped in the proof");
				flip(proof, b);
			}
		for (k = 0; k < nflips(all); k++) {
			size_t b = pick_bit(&seed, all, k);

			flip(rm, b);
			cons_must_fail(m, n, rm, rn, proof, len, "root_m bit");
			flip(rm, b);
			flip(rn, b);
			cons_must_fail(m, n, rm, rn, proof, len, "root_n bit");
			flip(rn, b);
		}
		if (ref_verify_consistency(m, n, rm, rn, proof, len) != 0)
			fail_msg("the reference refuses consistency %llu -> %llu",
			    (unsigned long long)m, (unsigned long long)n);
		cons_must_fail(m - 1, n, rm, rn, proof, len, "m - 1");
		cons_must_fail(m + 1, n, rm, rn, proof, len, "m + 1");
		cons_must_agree(m, n - 1, rm, rn, proof, len, "n - 1", &same_n);
		cons_must_agree(m, n + 1, rm, rn, proof, len, "n + 1", &same_n);
		cons_must_fail(m, 2 * n, rm, rn, proof, len, "n * 2");
		cons_must_fail(m, n, rn, rm, proof, len, "roots swapped");
		cons_must_fail(m, n, rm, rn, proof, 0, "empty proof");
		cons_must_fail(m, n, rm, rn, proof, len - 1, "last hash cut");
		cons_must_fail(m, n, rm, rn, proof + HL, len - 1, "first hash cut");
		memcpy(proof + len * HL, rn, HL);
		cons_must_fail(m, n, rm, rn, proof, len + 1, "root_n appended");
	}
	print_message("consistency: %u of %d n +-1 variants share the proof's "
	    "shape and verify, as they must\n", same_n, 2 * TRIALS);
}

/* ---- Tests: frontier ------------------------------------------------- */

static void
test_frontier_all_sizes(void **state)
{
	static uint8_t h[MAXLEAVES][HL];
	uint8_t want[HL], got[HL], got2[HL], buf[MERKLE_FRONTIER_MAXLEN];
	struct merkle_frontier f, g;
	uint64_t seed = 7, n;
	struct leaves l;
	size_t len;

	(void)state;
	random_leaves(&seed, &l, h);
	merkle_frontier_init(&f);
	for (n = 1; n <= MAXLEAVES; n++) {
		assert_int_equal(merkle_frontier_append(&f, h[n - 1]), 0);
		assert_int_equal(f.size, n);
		ref_mth(h, n, want);
		assert_int_equal(merkle_frontier_root(&f, got), 0);
		if (memcmp(got, want, HL) != 0)
			fail_msg("frontier root of size %llu differs from MTH",
			    (unsigned long long)n);
		assert_int_equal(merkle_root(n, leaf_fn, &l, got), 0);
		assert_memory_equal(got, want, HL);

		/* Round trip, and the decoded copy keeps growing in step. */
		assert_int_equal(merkle_frontier_encode(&f, buf, sizeof(buf),
		    &len), 0);
		assert_int_equal(len, merkle_frontier_encoded_len(&f));
		assert_int_equal(len, 1 + 8 + HL * (size_t)__builtin_popcountll(n) + HL);
		memset(&g, 0x5a, sizeof(g));
		assert_int_equal(merkle_frontier_decode(buf, len, &g), 0);
		assert_int_equal(g.size, n);
		assert_int_equal(merkle_frontier_root(&g, got), 0);
		assert_memory_equal(got, want, HL);
		if (n < MAXLEAVES) {
			assert_int_equal(merkle_frontier_append(&g, h[n]), 0);
			ref_mth(h, n + 1, want);
			assert_int_equal(merkle_frontier_root(&g, got2), 0);
			assert_memory_equal(got2, want, HL);
		}
	}
}

static void
test_frontier_encoding(void **state)
{
	static uint8_t h[MAXLEAVES][HL];
	uint8_t buf[MERKLE_FRONTIER_MAXLEN + 1], bad[MERKLE_FRONTIER_MAXLEN + 1];
	static const uint64_t sizes[] = { 0, 1, 2, 3, 7, 8, 100, 255, 300 };
	struct merkle_frontier f, g, untouched;
	uint64_t seed = 8, n;
	struct leaves l;
	size_t len, i, j, b;

	(void)state;
	random_leaves(&seed, &l, h);
	for (i = 0; i < LEN(sizes); i++) {
		merkle_frontier_init(&f);
		for (n = 0; n < sizes[i]; n++)
			assert_int_equal(merkle_frontier_append(&f, h[n]), 0);
		assert_int_equal(merkle_frontier_encode(&f, buf, sizeof(buf),
		    &len), 0);
		/* Too small a buffer. */
		assert_int_equal(merkle_frontier_encode(&f, bad, len - 1, NULL), -1);
		assert_int_equal(merkle_frontier_encode(&f, NULL, len, NULL), -1);
		assert_int_equal(buf[0], 0x01);
		memset(&untouched, 0xa5, sizeof(untouched));

		/* Every single bit flipped: refused, *g untouched. */
		for (b = 0; b < 8 * len; b++) {
			memcpy(bad, buf, len);
			flip(bad, b);
			g = untouched;
			if (merkle_frontier_decode(bad, len, &g) == 0)
				fail_msg("size %llu: bit %zu flipped, accepted",
				    (unsigned long long)sizes[i], b);
			assert_memory_equal(&g, &untouched, sizeof(g));
		}
		/* Every truncation, and one byte more. */
		for (j = 0; j < len; j++)
			assert_int_equal(merkle_frontier_decode(buf, j, &g), -1);
		memcpy(bad, buf, len);
		bad[len] = 0;
		assert_int_equal(merkle_frontier_decode(bad, len + 1, &g), -1);
		assert_int_equal(merkle_frontier_decode(NULL, len, &g), -1);
		/* Intact: accepted. */
		assert_int_equal(merkle_frontier_decode(buf, len, &g), 0);
		assert_int_equal(g.size, sizes[i]);
	}

	/* A size whose hashes are missing, even with a right checksum. */
	memset(bad, 0, sizeof(bad));
	bad[0] = 0x01;
	bad[8] = 3;		/* size 3 needs two hashes */
	assert_int_equal(crypto_sha256(bad, 9, bad + 9), 0);
	assert_int_equal(merkle_frontier_decode(bad, 9 + HL, &g), -1);
	/* An unknown version, with a right checksum. */
	memset(bad, 0, sizeof(bad));
	bad[0] = 0x02;
	assert_int_equal(crypto_sha256(bad, 9, bad + 9), 0);
	assert_int_equal(merkle_frontier_decode(bad, 9 + HL, &g), -1);
	bad[0] = 0x01;
	assert_int_equal(crypto_sha256(bad, 9, bad + 9), 0);
	assert_int_equal(merkle_frontier_decode(bad, 9 + HL, &g), 0);
	assert_int_equal(g.size, 0);
}

static void
test_frontier_full(void **state)
{
	struct merkle_frontier f, before;
	uint8_t leaf[HL], buf[MERKLE_FRONTIER_MAXLEN], root[HL];
	size_t len;

	(void)state;
	/* 2^64 - 1 leaves: every slot in use; the encoding is at its largest;
	 * appending one more is refused without changing anything. */
	memset(&f, 0x11, sizeof(f));
	f.size = UINT64_MAX;
	memset(leaf, 0x22, HL);
	before = f;
	assert_int_equal(merkle_frontier_append(&f, leaf), -1);
	assert_memory_equal(&f, &before, sizeof(f));
	assert_int_equal(merkle_frontier_root(&f, root), 0);
	assert_int_equal(merkle_frontier_encoded_len(&f), MERKLE_FRONTIER_MAXLEN);
	assert_int_equal(merkle_frontier_encode(&f, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, MERKLE_FRONTIER_MAXLEN);
	memset(&before, 0, sizeof(before));
	assert_int_equal(merkle_frontier_decode(buf, len, &before), 0);
	assert_memory_equal(&before, &f, sizeof(f));

	/* 2^64 - 2 leaves: one append fills the last slot. */
	f.size = UINT64_MAX - 1;
	assert_int_equal(merkle_frontier_append(&f, leaf), 0);
	assert_int_equal(f.size, UINT64_MAX);
	assert_memory_equal(f.hash[0], leaf, HL);
}

/* ---- node-cached proofs -------------------------------------------------- */

/* Leaves i -> SHA-256(0x00 || i as one byte); the cache answers only nodes
 * of even index, computed from the leaves, so both the hit and the miss
 * paths of merkle_inclusion_proof_cached run. */
static int
cache_leaf(void *arg, uint64_t index, uint8_t out[32])
{
	uint8_t b = (uint8_t)index;

	(void)arg;
	return merkle_leaf_hash(&b, 1, out);
}

struct shifted {
	uint64_t base;
};

static int
shifted_leaf(void *arg, uint64_t index, uint8_t out[32])
{
	return cache_leaf(NULL, ((struct shifted *)arg)->base + index, out);
}

static int
cache_node(void *arg, unsigned level, uint64_t index, uint8_t out[32])
{
	struct shifted sh;

	(void)arg;
	if (index % 2 == 1)
		return 1;
	sh.base = index << level;
	return merkle_root((uint64_t)1 << level, shifted_leaf, &sh, out);
}

static void
test_cached_inclusion_matches(void **state)
{
	uint8_t a[MERKLE_PROOF_MAXLEN], b[MERKLE_PROOF_MAXLEN], root[32], leaf[32];
	size_t la, lb;
	uint64_t n, i;

	(void)state;
	for (n = 1; n <= 96; n++) {
		assert_int_equal(merkle_root(n, cache_leaf, NULL, root), 0);
		for (i = 0; i < n; i++) {
			assert_int_equal(merkle_inclusion_proof(n, i, cache_leaf, NULL, a, &la), 0);
			assert_int_equal(merkle_inclusion_proof_cached(n, i, cache_leaf, cache_node,
			    NULL, b, &lb), 0);
			assert_int_equal(la, lb);
			assert_memory_equal(a, b, la * 32);
			cache_leaf(NULL, i, leaf);
			assert_int_equal(merkle_verify_inclusion(i, n, leaf, b, lb, root), 0);
		}
	}
}

/* The consistency proofs with the same half-filled cache: identical to the
 * proofs from the leaves, and each verifies between the two roots. */
static void
test_cached_consistency_matches(void **state)
{
	uint8_t a[MERKLE_PROOF_MAXLEN], b[MERKLE_PROOF_MAXLEN], rm[32], rn[32];
	size_t la, lb;
	uint64_t n, m;

	(void)state;
	assert_int_equal(merkle_consistency_proof_cached(1, 2, cache_leaf, NULL, NULL, a, &la),
	    -1);
	for (n = 1; n <= 96; n++) {
		assert_int_equal(merkle_root(n, cache_leaf, NULL, rn), 0);
		for (m = 1; m <= n; m++) {
			assert_int_equal(merkle_consistency_proof(m, n, cache_leaf, NULL, a, &la), 0);
			assert_int_equal(merkle_consistency_proof_cached(m, n, cache_leaf, cache_node,
			    NULL, b, &lb), 0);
			assert_int_equal(la, lb);
			assert_memory_equal(a, b, la * 32);
			assert_int_equal(merkle_root(m, cache_leaf, NULL, rm), 0);
			assert_int_equal(merkle_verify_consistency(m, n, rm, rn, b, lb), 0);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat_hashes),
		cmocka_unit_test(test_large_leaves),
		cmocka_unit_test(test_kat_roots),
		cmocka_unit_test(test_kat_inclusion),
		cmocka_unit_test(test_kat_inclusion_full_tree),
		cmocka_unit_test(test_kat_consistency),
		cmocka_unit_test(test_verify_edges),
		cmocka_unit_test(test_generator_edges),
		cmocka_unit_test(test_generators_exhaustive),
		cmocka_unit_test(test_inclusion_property),
		cmocka_unit_test(test_consistency_property),
		cmocka_unit_test(test_frontier_all_sizes),
		cmocka_unit_test(test_frontier_encoding),
		cmocka_unit_test(test_frontier_full),
		cmocka_unit_test(test_cached_inclusion_matches),
		cmocka_unit_test(test_cached_consistency_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
