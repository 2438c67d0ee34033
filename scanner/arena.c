/* scanner: a bump allocator for one batch of records (arena.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_BYTES (1u << 20)

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
		if (!(b = malloc(sizeof(*b) + cap)))
			return a->failed = true, NULL;
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
	/* Keep the oldest block (the last in the list) for the next batch. */
	scan_arena_block *b = a->head, *keep = NULL;
	while (b) {
		scan_arena_block *next = b->next;
		if (!next && b->cap == BLOCK_BYTES)
			keep = b;
		else
			free(b);
		b = next;
	}
	if (keep) {
		keep->used = 0;
		keep->next = NULL;
	}
	a->head = keep;
	a->failed = false;
}

void scan_arena_free(scan_arena *a)
{
	scan_arena_reset(a);
	free(a->head);
	a->head = NULL;
}
