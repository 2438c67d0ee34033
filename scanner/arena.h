/* scanner: a bump allocator for one batch of records.
 *
 * A batch's records point into it (decoded DER, host names, ids, messages);
 * scan_arena_reset() frees everything at once when the batch is done, and
 * keeps its blocks (up to 64 MiB) for the next batch: a block malloc'd and
 * freed per batch came back from the kernel as fresh pages each time (page
 * faults and page clearing were a tenth of --resume's time).
 * Errors: allocation failure returns NULL (and sets failed).
 * Threads: one thread at a time.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef SCANNER_ARENA_H
#define SCANNER_ARENA_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct scan_arena_block scan_arena_block;

typedef struct {
	scan_arena_block *head;
	scan_arena_block *spare; /* blocks kept by reset for the next batch */
	size_t spare_bytes;
	bool failed;
} scan_arena;

void *scan_arena_alloc(scan_arena *a, size_t n); /* aligned for any type */
char *scan_arena_strndup(scan_arena *a, const char *s, size_t n);
void scan_arena_reset(scan_arena *a);
void scan_arena_free(scan_arena *a);

#ifdef __cplusplus
}
#endif

#endif /* SCANNER_ARENA_H */
