/* The scanner's counters (scanner/counter.c): what the summary counts per
 * code, flag, failing issuer and anchor. Counts and order; the bounds on keys
 * and key length; and keys a dataset chose to collide: issuer names that all
 * fall on one slot under FNV-1a (the counters' hash before SipHash), which
 * made every addition walk every name already held.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"
#include "fnv_collide.h"
#include "siphash.h"
#include "tap.h"

#define FLOOD_KEYS 30000

static uint64_t count_of(const scan_counter *c, const char *key)
{
	scan_count *sorted = scan_counter_sorted(c);
	uint64_t n = 0;
	for (size_t i = 0; sorted && i < c->used; i++)
		if (sorted[i].len == strlen(key) && !memcmp(sorted[i].key, key, sorted[i].len))
			n = sorted[i].count;
	free(sorted);
	return n;
}

static void counts_and_order(void)
{
	scan_counter c;
	scan_counter_init(&c, 100);
	bool added = true;
	for (int i = 0; i < 1000; i++) {
		char key[32];
		snprintf(key, sizeof(key), "key %d", i % 37);
		added = added && scan_counter_add(&c, key, strlen(key), 1);
	}
	added = added && scan_counter_add(&c, "key 5", 5, 1000);
	CHECK(added && c.used == 37, "37 distinct keys held (%zu)", c.used);
	CHECK(count_of(&c, "key 0") == 28 && count_of(&c, "key 36") == 27,
	      "each key counted (%llu, %llu)", (unsigned long long)count_of(&c, "key 0"),
	      (unsigned long long)count_of(&c, "key 36"));
	scan_count *sorted = scan_counter_sorted(&c);
	bool order = sorted && sorted[0].count == 1027 && !memcmp(sorted[0].key, "key 5", 5);
	for (size_t i = 1; sorted && i < c.used; i++)
		order = order && (sorted[i - 1].count > sorted[i].count ||
		                  (sorted[i - 1].count == sorted[i].count &&
		                   strcmp(sorted[i - 1].key, sorted[i].key) < 0));
	CHECK(order, "sorted by count, then by key");
	free(sorted);
	scan_counter_free(&c);

	scan_counter_init(&c, 3);
	for (int i = 0; i < 5; i++)
		scan_counter_add(&c, (const char[]){(char)('a' + i)}, 1, 2);
	CHECK(c.used == 3 && c.dropped == 4, "past max_keys, additions go to dropped (%zu, %llu)",
	      c.used, (unsigned long long)c.dropped);
	scan_counter_free(&c);

	scan_counter_init(&c, 10);
	char *big = malloc(SCAN_COUNTER_KEY_MAX + 500);
	memset(big, 'x', SCAN_COUNTER_KEY_MAX + 500);
	scan_counter_add(&c, big, SCAN_COUNTER_KEY_MAX + 500, 1);
	scan_counter_add(&c, big, SCAN_COUNTER_KEY_MAX + 1, 1);
	scan_count *held = scan_counter_sorted(&c);
	CHECK(c.used == 1 && held && held[0].len == SCAN_COUNTER_KEY_MAX && held[0].count == 2,
	      "a long key is cut at SCAN_COUNTER_KEY_MAX bytes: the two are one key");
	free(held);
	free(big);
	scan_counter_free(&c);
}

static void chosen_collisions(void)
{
	static unsigned char keys[FLOOD_KEYS][64];
	static size_t lens[FLOOD_KEYS];
	const uint64_t target = 0x5a5a5; /* any slot */
	const size_t made = FLOOD_KEYS;
	CHECK(colliding_keys(FNV_OFFSET_COUNTER, target, made, keys, lens), "%zu distinct keys, one FNV-1a slot in any table up to 2^%d slots", made,
	      COLLIDE_BITS);

	scan_counter c;
	scan_counter_init(&c, FLOOD_KEYS);
	bool added = true;
	for (size_t i = 0; i < made; i++)
		added = added && scan_counter_add(&c, (const char *)keys[i], lens[i], 1);
	/* Under a hash the keys cannot aim at, linear probing at load <= 3/4
	 * looks at 100-150 slots at most here; under FNV-1a the last key looked
	 * at all 30,000. */
	CHECK(added && c.used == made, "every key held (%zu)", c.used);
	CHECK(c.max_probe < 1000, "the longest probe: %zu slots", c.max_probe);
	scan_counter_free(&c);

	/* Two counters, two keys: what collides in one does not in the other. */
	scan_counter a, b;
	scan_counter_init(&a, 10);
	scan_counter_init(&b, 10);
	CHECK(a.seed[0] != b.seed[0] || a.seed[1] != b.seed[1], "each counter draws its own key");
	scan_counter_free(&a);
	scan_counter_free(&b);
}

/* common/siphash.h against CPython's SipHash-1-3: with PYTHONHASHSEED=0 its
 * key is zero, and hash(b"abc") is siphash13(0, "abc") (as a signed value). */
static void siphash_known_answers(void)
{
	static const struct {
		const char *in;
		int64_t want;
	} kat[] = {
	    {"a", 4644417185603328019},
	    {"abc", -4594863902769663758},
	    {"abcdefgh", 4574395652268504554},
	    {"abcdefghi", -532774252720507163},
	    {"CN=Bench Int R1-A RSA-2048,O=chainval bench", -812176156909147496},
	};
	const uint64_t zero[2] = {0, 0};
	bool all = true;
	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++)
		all = all && (int64_t)chainval_siphash13(zero, kat[i].in, strlen(kat[i].in)) == kat[i].want;
	CHECK(all, "SipHash-1-3 gives CPython's hash() of bytes under the zero key");
}

int main(void)
{
	siphash_known_answers();
	counts_and_order();
	chosen_collisions();
	return tap_done();
}
