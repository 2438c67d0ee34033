/* scanner: counts per string (codes, flags, issuers, anchors, reasons of
 * malformed rows), for the scan's summary.
 *
 * An open-addressing hash table that owns copies of its keys. The number of
 * distinct keys is bounded by what a scan meets (reason codes, CA names);
 * scan_counter_add refuses a key once @max_keys are held and counts it in
 * `dropped` instead, and cuts a key at SCAN_COUNTER_KEY_MAX bytes (a hostile
 * issuer DN can be 200 KB), so hostile input cannot grow it without bound.
 * Its keys hash with SipHash-1-3 (common/siphash.h) under a key drawn at
 * random for each counter: issuer names are the dataset's, and with an
 * unkeyed hash (FNV-1a before) a dataset could choose 100,000 names that
 * share one slot, making every addition walk all of them.
 * Threads: one thread at a time.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef SCANNER_COUNTER_H
#define SCANNER_COUNTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SCAN_COUNTER_KEY_MAX 1024

typedef struct {
	char *key;
	size_t len;
	uint64_t count;
} scan_count;

typedef struct {
	scan_count *slots; /* cap slots, key NULL when empty */
	size_t cap, used, max_keys;
	uint64_t dropped;   /* additions refused because max_keys were held */
	uint64_t seed[2];   /* the hash's key (scan_counter_init) */
	size_t max_probe;   /* the most slots one addition has looked at */
} scan_counter;

void scan_counter_init(scan_counter *c, size_t max_keys);
void scan_counter_free(scan_counter *c);
/* Add @n to the count of @key (@len bytes). False only when out of memory. */
bool scan_counter_add(scan_counter *c, const char *key, size_t len, uint64_t n);
/* The entries, sorted by count descending then key ascending, into a new
 * array of @c->used borrowed entries (free() it); NULL when out of memory
 * or empty. */
scan_count *scan_counter_sorted(const scan_counter *c);

#ifdef __cplusplus
}
#endif

#endif /* SCANNER_COUNTER_H */
