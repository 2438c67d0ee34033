/* scanner: counts per string (counter.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "counter.h"

#include <stdlib.h>
#include <string.h>

#include "siphash.h"

void scan_counter_init(scan_counter *c, size_t max_keys)
{
	*c = (scan_counter){.max_keys = max_keys};
	chainval_siphash_key(c->seed);
}

void scan_counter_free(scan_counter *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free(c->slots[i].key);
	free(c->slots);
	*c = (scan_counter){.max_keys = c->max_keys, .seed = {c->seed[0], c->seed[1]}};
}

/* The slot of @key, or the empty slot where it goes; *@probes: slots looked at. */
static scan_count *find(const scan_counter *c, scan_count *slots, size_t cap, const char *key,
                        size_t len, size_t *probes)
{
	size_t i = (size_t)chainval_siphash13(c->seed, key, len) & (cap - 1), n = 1;
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
