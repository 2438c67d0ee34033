/* libchain: caches shared by many verifications (bulk scanning).
 *
 * A chain_cache remembers parsed CA certificates (keyed by the SHA-256 of
 * their DER) and verified signature edges (keyed by the issuer's key and the
 * subject certificate's SHA-256). Intermediates and roots repeat in almost
 * every row of a scan; with the cache each is parsed once and each of their
 * signatures checked once. Leaves are never cached (they rarely repeat and
 * a parsed certificate costs ~25 KB). A cache changes speed, never a
 * verdict: the search counts a cached edge against its signature budget as
 * if it had been checked.
 *
 * Memory is bounded by the size given at creation: when the estimate of
 * what is held reaches it, new entries are no longer added (what is cached
 * stays; nothing is evicted).
 *
 * Threads: a cache may be used by any number of concurrent verifications
 * (it locks internally, in shards). Free it only when none is running.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CHAIN_CACHE_H
#define CHAIN_CACHE_H

#include "common.h"

CHAIN_BEGIN_DECLS

typedef struct chain_cache chain_cache;

/* Counters of chain_cache_stat(). Values are ABI. */
typedef enum {
	CHAIN_CACHE_CERT_HITS = 1,   /* served certificates found already parsed */
	CHAIN_CACHE_CERT_MISSES = 2, /* served CA certificates parsed (then cached if room) */
	CHAIN_CACHE_EDGE_HITS = 3,   /* signature checks answered by the cache */
	CHAIN_CACHE_EDGE_MISSES = 4, /* signature checks computed */
	CHAIN_CACHE_BYTES = 5,       /* estimated bytes held */
	CHAIN_CACHE_ENTRIES = 6      /* certificates + edges held */
} chain_cache_stat_kind;

/** Create a cache bounded to about @max_bytes (0: 256 MiB). The caller owns
 * *out and frees it with chain_cache_free(). Returns CHAIN_OK, CHAIN_EINVAL
 * or CHAIN_ENOMEM. Since: 0.1 */
CHAIN_API int chain_cache_new(chain_cache **out, size_t max_bytes);

/** Release a cache and everything it holds. NULL is a no-op. Results made
 * with it stay valid. Since: 0.1 */
CHAIN_API void chain_cache_free(chain_cache *cache);

/** Read a counter (0 for NULL or an unknown @kind). Thread-safe. Since: 0.1 */
CHAIN_API uint64_t chain_cache_stat(const chain_cache *cache, chain_cache_stat_kind kind);

CHAIN_END_DECLS

#endif /* CHAIN_CACHE_H */
