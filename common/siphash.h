/* SipHash-1-3 (Aumasson and Bernstein; the variant CPython hashes str and
 * bytes with), shared by libchain (index.c: stores, pools and the verdict
 * cache indexed by subject name and by SHA-256) and the scanner (counter.c:
 * the summary's counters).
 *
 * Both hash keys that input chooses (a pool's subjects, a dataset's issuer
 * names, digests of certificates tried until they collide) into
 * open-addressing tables. Under an unkeyed hash (FNV-1a before)
 * input could choose names that share one slot, and every addition or
 * lookup walked all of them; under a random key it cannot aim.
 *
 * Header-only, static inline, as common/utf8.h and for the same reason:
 * libchain exports only chain_* symbols. Words are read little-endian, as
 * the algorithm defines them, on any host.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CHAINVAL_COMMON_SIPHASH_H
#define CHAINVAL_COMMON_SIPHASH_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>
#include <time.h>

#define CHAINVAL_SIP_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define CHAINVAL_SIPROUND(v0, v1, v2, v3)                                                  \
	do {                                                                               \
		v0 += v1, v1 = CHAINVAL_SIP_ROTL(v1, 13), v1 ^= v0, v0 = CHAINVAL_SIP_ROTL(v0, 32); \
		v2 += v3, v3 = CHAINVAL_SIP_ROTL(v3, 16), v3 ^= v2;                        \
		v0 += v3, v3 = CHAINVAL_SIP_ROTL(v3, 21), v3 ^= v0;                        \
		v2 += v1, v1 = CHAINVAL_SIP_ROTL(v1, 17), v1 ^= v2, v2 = CHAINVAL_SIP_ROTL(v2, 32); \
	} while (0)

/* The hash of @n bytes at @p under the 128-bit @key. */
static inline uint64_t chainval_siphash13(const uint64_t key[2], const void *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	uint64_t v0 = key[0] ^ 0x736f6d6570736575u, v1 = key[1] ^ 0x646f72616e646f6du;
	uint64_t v2 = key[0] ^ 0x6c7967656e657261u, v3 = key[1] ^ 0x7465646279746573u;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t m;
		memcpy(&m, s + i, 8);
		m = le64toh(m);
		v3 ^= m;
		CHAINVAL_SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	uint64_t last = (uint64_t)n << 56;
	for (size_t k = 0; i + k < n; k++)
		last |= (uint64_t)s[i + k] << (8 * k);
	v3 ^= last;
	CHAINVAL_SIPROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	CHAINVAL_SIPROUND(v0, v1, v2, v3);
	CHAINVAL_SIPROUND(v0, v1, v2, v3);
	CHAINVAL_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* A random key: from the kernel, or (should getrandom fail, as in a sandbox
 * that refuses it) from the clock and stack addresses, which input cannot
 * choose either. */
static inline void chainval_siphash_key(uint64_t key[2])
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	/* The fuzz targets (tests/fuzz): one input must take the same paths
	 * every time it runs, or libFuzzer sees its coverage as unstable. */
	key[0] = 0x0123456789abcdefu;
	key[1] = 0xfedcba9876543210u;
#else
	if (getrandom(key, 2 * sizeof(*key), GRND_NONBLOCK) == (ssize_t)(2 * sizeof(*key)))
		return;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	key[0] = (uint64_t)t.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)(uintptr_t)key;
	key[1] = (uint64_t)t.tv_sec * 0xc2b2ae3d27d4eb4fu ^ (uint64_t)(uintptr_t)&t;
#endif
}

#endif
