/* scanner: a bump allocator for one batch of records (arena.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_BYTES (1u << 20)
#define SPARE_MAX ((size_t)64 << 20)

struct scan_arena_block {
	scan_arena_block *next;
	size_t used, cap;
	max_align_t data[];
};

void *scan_arena_alloc(scan_arena *a, size_t n)
{
	size_t align = sizeof(max_align_t);
	if (n > SIZE_MAX - align)
		return a->failed = true, NULL;
	n = (n + align - 1) / align * align;
	scan_arena_block *b = a->head;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > BLOCK_BYTES ? n : BLOCK_BYTES;
		if (cap == BLOCK_BYTES && a->spare) {
			b = a->spare;
			a->spare = b->next;
			a->spare_bytes -= BLOCK_BYTES;
		} else if (!(b = malloc(sizeof(*b) + cap))) {
			return a->failed = true, NULL;
		}
		b->used = 0;
		b->cap = cap;
		b->next = a->head;
		a->head = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

char *scan_arena_strndup(scan_arena *a, const char *s, size_t n)
{
	char *p = scan_arena_alloc(a, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void scan_arena_reset(scan_arena *a)
{
	for (scan_arena_block *b = a->head, *next; b; b = next) {
		next = b->next;
		if (b->cap == BLOCK_BYTES && a->spare_bytes < SPARE_MAX) {
			b->next = a->spare;
			a->spare = b;
			a->spare_bytes += BLOCK_BYTES;
		} else {
			free(b); /* an outsized block, or more than the bound */
		}
	}
	a->head = NULL;
	a->failed = false;
}

void scan_arena_free(scan_arena *a)
{
	scan_arena_reset(a);
	for (scan_arena_block *b = a->spare, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	*a = (scan_arena){0};
}
