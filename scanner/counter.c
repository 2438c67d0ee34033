/* scanner: counts per string (counter.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "counter.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* A key for one counter's hash: from the kernel, or (should getrandom fail,
 * as in a sandbox that refuses it) from the clock and this object's address,
 * which a dataset cannot choose either. */
static void draw_seed(uint64_t seed[2])
{
	if (getrandom(seed, 2 * sizeof(*seed), GRND_NONBLOCK) == (ssize_t)(2 * sizeof(*seed)))
		return;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	seed[0] = (uint64_t)t.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)(uintptr_t)seed;
	seed[1] = (uint64_t)t.tv_sec * 0xc2b2ae3d27d4eb4fu ^ (uint64_t)(uintptr_t)&t;
}

void scan_counter_init(scan_counter *c, size_t max_keys)
{
	*c = (scan_counter){.max_keys = max_keys};
	draw_seed(c->seed);
}

void scan_counter_free(scan_counter *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free(c->slots[i].key);
	free(c->slots);
	*c = (scan_counter){.max_keys = c->max_keys, .seed = {c->seed[0], c->seed[1]}};
}

/* SipHash-1-3 (Aumasson and Bernstein; the variant CPython hashes str and
 * bytes with): a keyed hash whose collisions a dataset cannot aim at without
 * the key. Words are read in the host's byte order: the table lives in one
 * process. */
#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                        \
	do {                                                                               \
		v0 += v1, v1 = ROTL(v1, 13), v1 ^= v0, v0 = ROTL(v0, 32);                     \
		v2 += v3, v3 = ROTL(v3, 16), v3 ^= v2;                                        \
		v0 += v3, v3 = ROTL(v3, 21), v3 ^= v0;                                        \
		v2 += v1, v1 = ROTL(v1, 17), v1 ^= v2, v2 = ROTL(v2, 32);                     \
	} while (0)

static uint64_t hash(const uint64_t seed[2], const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint64_t v0 = seed[0] ^ 0x736f6d6570736575u, v1 = seed[1] ^ 0x646f72616e646f6du;
	uint64_t v2 = seed[0] ^ 0x6c7967656e657261u, v3 = seed[1] ^ 0x7465646279746573u;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t m;
		memcpy(&m, p + i, 8);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t last = (uint64_t)n << 56;
	for (size_t k = 0; i + k < n; k++)
		last |= (uint64_t)p[i + k] << (8 * k);
	v3 ^= last;
	SIPROUND;
	v0 ^= last;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The slot of @key, or the empty slot where it goes; *@probes: slots looked at. */
static scan_count *find(const scan_counter *c, scan_count *slots, size_t cap, const char *key,
                        size_t len, size_t *probes)
{
	size_t i = (size_t)hash(c->seed, key, len) & (cap - 1), n = 1;
	while (slots[i].key && (slots[i].len != len || memcmp(slots[i].key, key, len) != 0)) {
		i = (i + 1) & (cap - 1);
		n++;
	}
	*probes = n;
	return &slots[i];
}

static bool grow(scan_counter *c)
{
	size_t cap = c->cap ? c->cap * 2 : 64, probes;
	scan_count *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return false;
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].key)
			*find(c, slots, cap, c->slots[i].key, c->slots[i].len, &probes) = c->slots[i];
	free(c->slots);
	c->slots = slots;
	c->cap = cap;
	return true;
}

bool scan_counter_add(scan_counter *c, const char *key, size_t len, uint64_t n)
{
	if (len > SCAN_COUNTER_KEY_MAX)
		len = SCAN_COUNTER_KEY_MAX; /* memory is bounded in bytes too, not only in keys */
	if ((c->used + 1) * 4 > c->cap * 3 && !grow(c))
		return false;
	size_t probes;
	scan_count *slot = find(c, c->slots, c->cap, key, len, &probes);
	if (probes > c->max_probe)
		c->max_probe = probes;
	if (slot->key) {
		slot->count += n;
		return true;
	}
	if (c->used >= c->max_keys) {
		c->dropped += n;
		return true;
	}
	if (!(slot->key = malloc(len + 1)))
		return false;
	memcpy(slot->key, key, len);
	slot->key[len] = '\0';
	slot->len = len;
	slot->count = n;
	c->used++;
	return true;
}

static int by_count(const void *a, const void *b)
{
	const scan_count *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	size_t n = x->len < y->len ? x->len : y->len;
	int d = memcmp(x->key, y->key, n);
	return d ? d : (x->len > y->len) - (x->len < y->len);
}

scan_count *scan_counter_sorted(const scan_counter *c)
{
	if (!c->used)
		return NULL;
	scan_count *out = malloc(c->used * sizeof(*out));
	if (!out)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].key)
			out[k++] = c->slots[i];
	qsort(out, k, sizeof(*out), by_count);
	return out;
}
