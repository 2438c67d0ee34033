/* libchain's index (libchain/index.c), which finds a store's or a pool's
 * certificates by subject name: names chosen to share one slot under FNV-1a
 * (its hash before SipHash) made every addition and lookup walk all of them;
 * a pool of 30,000 such names took quadratic time to load; the same for
 * SHA-256 digests whose first bytes were the key. Also: every value added is
 * found under its hash, and only there, in the order added.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "fnv_collide.h"
#include "internal.h"
#include "tap.h"

#define FLOOD_KEYS 30000

int main(void)
{
	static unsigned char keys[FLOOD_KEYS][64];
	static size_t lens[FLOOD_KEYS];
	const uint64_t target = 0x3c3c3;
	const size_t made = FLOOD_KEYS;
	CHECK(colliding_keys(FNV_OFFSET_INDEX, target, made, keys, lens), "%zu subject names, one FNV-1a slot in any index up to 2^%d slots", made,
	      COLLIDE_BITS);

	chain__index idx = {0};
	bool added = true;
	for (size_t i = 0; i < made; i++)
		added = added && chain__index_add(&idx, chain__hash_bytes(keys[i], lens[i]),
		                                  (uint32_t)i) == CHAIN_OK;
	CHECK(added && idx.n == made, "every name indexed (%zu)", idx.n);
	/* At load <= 1/2 under a hash the names cannot aim at, a probe looks at
	 * a few dozen slots at most; under FNV-1a the last looked at 30,000. */
	CHECK(idx.max_probe < 1000, "the longest probe: %zu slots", idx.max_probe);

	bool found = true;
	for (size_t i = 0; i < made; i += 97) {
		size_t pos = SIZE_MAX, hits = 0;
		uint32_t val;
		bool mine = false;
		while (chain__index_next(&idx, chain__hash_bytes(keys[i], lens[i]), &pos, &val)) {
			hits++;
			mine = mine || val == i;
		}
		found = found && mine && hits == 1;
	}
	CHECK(found, "each name found under its hash, alone");
	CHECK(chain__hash_bytes(keys[0], lens[0]) == chain__hash_bytes(keys[0], lens[0]) &&
	          chain__hash_bytes(keys[0], lens[0]) != chain__hash_bytes(keys[1], lens[1]),
	      "the hash is a function of the bytes, within the process");
	chain__index_free(&idx);

	/* Digests (stores' and pools' certificates, the cache's certificates,
	 * edges and verdicts are indexed by SHA-256) whose first 8 bytes share
	 * their low 20 bits: what trying ~2^16 certificates each would give.
	 * They chose the slot before (the prefix was the key). */
	chain__index digests = {0};
	added = true;
	for (uint32_t i = 0; i < FLOOD_KEYS; i++) {
		unsigned char sha[32] = {0};
		uint64_t prefix = target | ((uint64_t)i << COLLIDE_BITS);
		for (int b = 0; b < 8; b++)
			sha[b] = (unsigned char)(prefix >> (8 * b));
		added = added && chain__index_add(&digests, chain__hash_digest(sha), i) == CHAIN_OK;
	}
	CHECK(added && digests.max_probe < 1000, "30,000 digests of one low-bit pattern: the longest "
	      "probe %zu slots", digests.max_probe);
	chain__index_free(&digests);

	/* Values under one hash come back in the order they were added, also
	 * when their run of slots wrapped past the table's end before it grew
	 * (the order issuers are tried in: under a signature budget it decides
	 * verdicts, so it must not depend on where the hash's key put the run). */
	for (uint64_t h = 0; h < 64; h += 9) {
		chain__index wrap = {0};
		bool in_order = true;
		for (uint32_t v = 0; v < 500; v++) {
			in_order = in_order && chain__index_add(&wrap, 63 - h, v) == CHAIN_OK;
			if (v % 3 == 0)
				in_order = in_order && chain__index_add(&wrap, 1000 + v, v) == CHAIN_OK;
		}
		size_t pos = SIZE_MAX;
		uint32_t val, want = 0;
		while (chain__index_next(&wrap, 63 - h, &pos, &val))
			in_order = in_order && val == want++;
		CHECK(in_order && want == 500, "500 values under hash %llu, in the order added (%u)",
		      (unsigned long long)(63 - h), want);
		chain__index_free(&wrap);
	}
	return tap_done();
}
