/* libchain: caches shared by many verifications (bulk scanning).
 *
 * A chain_cache remembers three kinds of things:
 *  - parsed CA certificates, keyed by the SHA-256 of their DER: intermediates
 *    and roots repeat in almost every row of a scan, and with the cache each
 *    is parsed once. Leaves are never cached this way (they rarely repeat and
 *    a parsed certificate costs ~25 KB);
 *  - verified signature edges, keyed by the issuer's key and the subject
 *    certificate's SHA-256: each signature is checked once;
 *  - whole verdicts, keyed by the served chain (the SHA-256 of every served
 *    certificate, in order), the store's and pool's contents, and every
 *    policy setting but the time, together with the interval of times over
 *    which the verdict holds (every time comparison the verification made
 *    comes out the same anywhere in it). A row already seen, at a time in
 *    that interval, costs a hash of its certificates and a copy of the
 *    result.
 * A cache changes speed, never a result: the search counts a cached edge
 * against its signature budget as if it had been checked, and a cached
 * verdict is the result the verification would give, field for field (its
 * time is the new call's). Adding certificates, CRLs or distrust dates to a
 * store or pool changes its contents and so the key: cached verdicts of the
 * old contents are not used again.
 *
 * Memory is bounded by the size given at creation, in two generations: when
 * the newer one is full the older one is dropped, and an entry used from
 * the older one moves to the newer. What keeps being used stays; a long
 * scan of unique chains runs at a flat ceiling.
 *
 * Threads: a cache may be used by any number of concurrent verifications
 * (it locks internally, in shards). Free it only when none is running;
 * chain_cache_set_kinds() also needs exclusive access.
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
	CHAIN_CACHE_ENTRIES = 6,     /* certificates + edges + verdicts held */
	CHAIN_CACHE_VERDICT_HITS = 7,   /* verifications answered by a cached verdict */
	CHAIN_CACHE_VERDICT_MISSES = 8, /* verifications that ran (with a cache) */
	CHAIN_CACHE_EVICTIONS = 9       /* entries dropped with an old generation */
} chain_cache_stat_kind;

/* What a cache holds, for chain_cache_set_kinds(). Values are ABI. */
typedef enum {
	CHAIN_CACHE_CERTS = 1,    /* parsed CA certificates */
	CHAIN_CACHE_EDGES = 2,    /* verified signature edges */
	CHAIN_CACHE_VERDICTS = 4, /* whole results of chains already seen */
	CHAIN_CACHE_ALL = 7       /* the default */
} chain_cache_kind;

/** Create a cache bounded to about @max_bytes (0: 256 MiB), holding every
 * kind (CHAIN_CACHE_ALL). The caller owns *out and frees it with
 * chain_cache_free(). Returns CHAIN_OK, CHAIN_EINVAL or CHAIN_ENOMEM.
 * Since: 0.1 */
CHAIN_API int chain_cache_new(chain_cache **out, size_t max_bytes);

/** Choose what @cache holds: an OR of chain_cache_kind values (0: nothing).
 * Entries of kinds turned off stay until they age out but are no longer
 * used. Needs exclusive access: not while a verification uses the cache.
 * Returns CHAIN_OK, or CHAIN_EINVAL for a NULL cache or unknown bits.
 * Since: 0.1 */
CHAIN_API int chain_cache_set_kinds(chain_cache *cache, unsigned int kinds);

/** Release a cache and everything it holds. NULL is a no-op. Results made
 * with it stay valid. Since: 0.1 */
CHAIN_API void chain_cache_free(chain_cache *cache);

/** Read a counter (0 for NULL or an unknown @kind). Thread-safe. Since: 0.1 */
CHAIN_API uint64_t chain_cache_stat(const chain_cache *cache, chain_cache_stat_kind kind);

CHAIN_END_DECLS

#endif /* CHAIN_CACHE_H */
