/* libchain: verifying many chains at once, on worker threads.
 *
 * A batch collects items (a served chain and an optional policy each), runs
 * them on a pool of threads, and keeps one result per item, in order. Every
 * item gets exactly what chain_verify() would give it. The bulk scanner puts
 * its caches here (later versions), which may change speed, never a verdict.
 *
 * Threads: a batch belongs to one thread at a time; chain_batch_run() starts
 * and joins its own workers. The one exception is chain_batch_cancel(), which
 * any thread may call while the batch runs. The store, pool and policies it is given must
 * not be modified while it runs.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CHAIN_BATCH_H
#define CHAIN_BATCH_H

#include "cache.h"
#include "common.h"
#include "policy.h"
#include "result.h"
#include "store.h"

CHAIN_BEGIN_DECLS

typedef struct chain_batch chain_batch;

/** Create an empty batch; free it with chain_batch_free(). Returns CHAIN_OK,
 * CHAIN_EINVAL or CHAIN_ENOMEM. Since: 0.1 */
CHAIN_API int chain_batch_new(chain_batch **out);

/** Release a batch and every result not taken with chain_batch_take_result().
 * NULL is a no-op. Since: 0.1 */
CHAIN_API void chain_batch_free(chain_batch *batch);

/** Append an item. @ders, @lens, each ders[i] and @policy (NULL: defaults) are
 * borrowed, not copied: they must stay valid until chain_batch_run() returns.
 * @n may be 0 (the item then fails with CHAIN_EINVAL, as chain_verify()
 * would). Returns CHAIN_OK, CHAIN_EINVAL (batch NULL, or already run) or
 * CHAIN_ENOMEM. Since: 0.1 */
CHAIN_API int chain_batch_add(chain_batch *batch, const unsigned char *const *ders,
                              const size_t *lens, size_t n, const chain_policy *policy);

/** Give item @i (0-based, in the order of chain_batch_add()) the OCSP
 * response its server stapled: @ocsp_len bytes of DER OCSPResponse, borrowed
 * like the item's chain (valid until chain_batch_run() returns); NULL
 * removes it (a non-NULL @ocsp of length 0 is a response, and unusable). The
 * item is then verified as chain_verify_stapled() would
 * (the result's chain_result_ocsp_status() says what the response said, and
 * its whole verdict is neither taken from nor put in the cache). Returns
 * CHAIN_OK, or CHAIN_EINVAL (batch NULL or already run, @i out of range,
 * @ocsp NULL with a length). Since: 0.3 */
CHAIN_API int chain_batch_set_ocsp(chain_batch *batch, size_t i, const unsigned char *ocsp,
                                   size_t ocsp_len);

/** Use @cache (may be NULL: none) for this batch's verifications. The cache
 * is borrowed: it must outlive chain_batch_run(), and may be shared with
 * other batches, before, after and at the same time. Since: 0.1 */
CHAIN_API int chain_batch_set_cache(chain_batch *batch, chain_cache *cache);

/** Verify every item against @store and @pool (may be NULL) on @threads
 * worker threads (0: one per online CPU; never more than items). Runs once
 * per batch. Returns CHAIN_OK when every item was attempted (each item's own
 * outcome is chain_batch_status()), CHAIN_ECANCELED after chain_batch_cancel()
 * (0.2), CHAIN_EINVAL, or CHAIN_ENOMEM / CHAIN_ERROR when workers could not be
 * started. Since: 0.1 */
CHAIN_API int chain_batch_run(chain_batch *batch, const chain_store *store,
                              const chain_pool *pool, unsigned int threads);

/** Ask a running (or not yet started) chain_batch_run() to stop: workers
 * finish the chain each is verifying and start no other, so the call
 * returns within one chain's time per worker. Items not started keep no
 * result; their status is CHAIN_ECANCELED, and chain_batch_run() returns
 * CHAIN_ECANCELED. Thread-safe and async-signal-safe: meant to be called
 * from another thread (or a signal handler) while chain_batch_run() runs;
 * a no-op on NULL. Since: 0.2 */
CHAIN_API void chain_batch_cancel(chain_batch *batch);

/** Number of items. Since: 0.1 */
CHAIN_API size_t chain_batch_count(const chain_batch *batch);

/** What chain_verify() returned for item @i (CHAIN_EINVAL when out of range
 * or not run yet). Since: 0.1 */
CHAIN_API int chain_batch_status(const chain_batch *batch, size_t i);

/** The result of item @i, borrowed (NULL when it has none, e.g. after
 * CHAIN_EINVAL or CHAIN_ENOMEM, or when already taken). Since: 0.1 */
CHAIN_API const chain_result *chain_batch_result(const chain_batch *batch, size_t i);

/** Take ownership of item @i's result (free it with chain_result_free());
 * the batch forgets it. NULL as for chain_batch_result(). Since: 0.1 */
CHAIN_API chain_result *chain_batch_take_result(chain_batch *batch, size_t i);

CHAIN_END_DECLS

#endif /* CHAIN_BATCH_H */
