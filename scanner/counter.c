/* scanner: counts per string (counter.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "counter.h"

#include <stdlib.h>
#include <string.h>

void scan_counter_init(scan_counter *c, size_t max_keys)
{
	*c = (scan_counter){.max_keys = max_keys};
}

void scan_counter_free(scan_counter *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free(c->slots[i].key);
	free(c->slots);
	*c = (scan_counter){.max_keys = c->max_keys};
}

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603u; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return h;
}

static scan_count *find(scan_count *slots, size_t cap, const char *key, size_t len)
{
	size_t i = (size_t)hash(key, len) & (cap - 1);
	while (slots[i].key && (slots[i].len != len || memcmp(slots[i].key, key, len) != 0))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static bool grow(scan_counter *c)
{
	size_t cap = c->cap ? c->cap * 2 : 64;
	scan_count *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return false;
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].key)
			*find(slots, cap, c->slots[i].key, c->slots[i].len) = c->slots[i];
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
	scan_count *slot = find(c->slots, c->cap, key, len);
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
