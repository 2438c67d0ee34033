/* Keys that share one slot under FNV-1a, the unkeyed hash libchain's index
 * (subject names) and the scanner's counters (issuer names) used before
 * SipHash: what a hostile pool or dataset could have chosen. For
 * test_index.c and test_scan_counter.c.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CHAIN_TEST_FNV_COLLIDE_H
#define CHAIN_TEST_FNV_COLLIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* FNV-1a's offset basis as libchain's index had it, and as the scanner's
 * counters had it (a digit short of the standard one: any basis served). */
#define FNV_OFFSET_INDEX 0xcbf29ce484222325u
#define FNV_OFFSET_COUNTER 1469598103934665603u
#define FNV_PRIME 1099511628211u
#define COLLIDE_BITS 20 /* every table of up to 2^20 slots */

static inline uint64_t fnv1a(uint64_t offset, const unsigned char *p, size_t n)
{
	uint64_t h = offset;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * FNV_PRIME;
	return h;
}

/* The inverse of an odd number modulo 2^64 (Newton's iteration). */
static inline uint64_t inverse(uint64_t a)
{
	uint64_t x = a;
	for (int i = 0; i < 6; i++)
		x *= 2 - a * x;
	return x;
}

/* A key "CN=flood <i>" and three bytes chosen so that its FNV-1a hash ends
 * in @target's low COLLIDE_BITS bits (the low bits of FNV-1a depend only on
 * the low bits of its state, so the last byte is solved for); its length,
 * or 0 when no two bytes before the last lead there. @offset: FNV-1a's
 * basis. */
static inline size_t colliding_key(uint64_t offset, unsigned i, uint64_t target,
                                   unsigned char key[64])
{
	const uint64_t mask = (UINT64_C(1) << COLLIDE_BITS) - 1;
	int n = snprintf((char *)key, 64, "CN=flood %u ", i);
	uint64_t h0 = fnv1a(offset, key, (size_t)n);
	uint64_t want = (target * inverse(FNV_PRIME)) & mask; /* the state before the last multiply */
	for (unsigned b1 = 0; b1 < 256; b1++)
		for (unsigned b2 = 0; b2 < 256; b2++) {
			uint64_t h = (((h0 ^ b1) * FNV_PRIME) ^ b2) * FNV_PRIME;
			uint64_t b3 = (h ^ want) & mask;
			if (b3 < 256) {
				key[n] = (unsigned char)b1;
				key[n + 1] = (unsigned char)b2;
				key[n + 2] = (unsigned char)b3;
				return (size_t)n + 3;
			}
		}
	return 0;
}

/* @n keys of colliding_key(), numbered from 0 on (skipping numbers with no
 * key); returns whether each one's FNV-1a hash does end in @target's low
 * COLLIDE_BITS bits. */
static inline bool colliding_keys(uint64_t offset, uint64_t target, size_t n,
                                  unsigned char (*keys)[64], size_t *lens)
{
	const uint64_t mask = (UINT64_C(1) << COLLIDE_BITS) - 1;
	size_t made = 0;
	for (unsigned i = 0; made < n; i++)
		if ((lens[made] = colliding_key(offset, i, target, keys[made])))
			made++;
	bool all = true;
	for (size_t i = 0; i < n; i++)
		all = all && (fnv1a(offset, keys[i], lens[i]) & mask) == target;
	return all;
}

#endif
