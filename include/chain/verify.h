/* libchain: building and validating a path.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CHAIN_VERIFY_H
#define CHAIN_VERIFY_H

#include "cache.h"
#include "common.h"
#include "policy.h"
#include "result.h"
#include "store.h"

CHAIN_BEGIN_DECLS

/** Verify a served chain.
 *
 * @ders/@lens hold @n DER certificates: ders[0] is the leaf, the rest are
 * untrusted certificates in any order (extras, duplicates and gaps are
 * fine). libchain builds a path from the leaf to an anchor of @store using
 * the served certificates, @pool (may be NULL) and the store itself,
 * backtracking when a candidate path fails, and checks it against @policy
 * (NULL: the defaults of chain_policy_new()). The inputs are not kept: the
 * result holds its own copies.
 *
 * On CHAIN_OK, *out is a result (trusted or not: see chain_result_ok()).
 * On CHAIN_EPARSE (a certificate does not parse) and CHAIN_ELIMIT (the chain
 * is over a CHAIN_LIMIT_* input bound), *out is also a result, whose primary
 * reason is "malformed" or "input_limit" and whose chain_result_error_index()
 * and chain_result_error_message() say which certificate and why, so that a
 * bulk caller can record the row and go on. On other errors (CHAIN_EINVAL:
 * out, store, ders or lens NULL, n == 0, a NULL ders[i]; CHAIN_ENOMEM;
 * CHAIN_EBACKEND) *out is NULL. The caller owns *out and frees it with
 * chain_result_free(), which accepts NULL.
 *
 * Threads: safe to call from any number of threads at once with the same
 * store, pool and policy, provided none of them is being modified.
 * Since: 0.1 */
CHAIN_API int chain_verify(chain_result **out, const chain_store *store,
                           const chain_policy *policy,
                           const unsigned char *const *ders, const size_t *lens,
                           size_t n, const chain_pool *pool);

/** chain_verify() through @cache (NULL: none, which is chain_verify()):
 * parsed CA certificates, signature edges and whole verdicts already in the
 * cache are reused, and what this call computes is added (chain_cache_new()).
 * The result is the one chain_verify() gives, field for field; arguments,
 * returns and ownership are chain_verify()'s. For callers verifying one chain
 * at a time against the same store (a batch, chain_batch_set_cache(), does
 * the same for many). Threads: as chain_verify(); the cache may be used by
 * any number of calls at once. Since: 0.2 */
CHAIN_API int chain_verify_cached(chain_result **out, const chain_store *store,
                                  const chain_policy *policy,
                                  const unsigned char *const *ders, const size_t *lens,
                                  size_t n, const chain_pool *pool, chain_cache *cache);

/** chain_verify_cached() with the OCSP response the server stapled in the
 * handshake (@ocsp, @ocsp_len bytes of DER OCSPResponse; NULL: none, which is
 * chain_verify_cached()). On the reported path, the response must be about
 * the leaf (serial and issuer), signed by the leaf's issuer or by a responder
 * that issuer certified for OCSP signing (valid at the verification time),
 * and current at the verification time (thisUpdate, nextUpdate; without
 * nextUpdate, at most 7 days old). "revoked" (at or before the verification
 * time) makes the result untrusted with CHAIN_REASON_REVOKED, its message
 * giving the date and reason; "good" is reported; a response that does not
 * check out is reported (CHAIN_OCSP_UNUSABLE, chain_result_ocsp_message()
 * says why) and otherwise ignored, as browsers do: whoever could forge it
 * could strip it. The response is bounded by the policy's
 * CHAIN_LIMIT_CHAIN_BYTES (CHAIN_ELIMIT over it). A stapled verification does
 * not use or fill the cache's whole verdicts. Arguments, returns, ownership
 * and threads: chain_verify_cached()'s. Since: 0.3 */
CHAIN_API int chain_verify_stapled(chain_result **out, const chain_store *store,
                                   const chain_policy *policy,
                                   const unsigned char *const *ders, const size_t *lens,
                                   size_t n, const chain_pool *pool, chain_cache *cache,
                                   const unsigned char *ocsp, size_t ocsp_len);

/** Verify a served chain given as PEM text: the CERTIFICATE blocks of @pem
 * (@len bytes, need not be NUL-terminated), leaf first, are passed to
 * chain_verify() with everything else as documented there. Text outside the
 * blocks is ignored. A block whose base64 does not decode is an unparsable
 * certificate (CHAIN_EPARSE, with its index); no block at all is CHAIN_EPARSE
 * with index -1. Work is bounded by the policy's CHAIN_LIMIT_CHAIN_BYTES:
 * decoding stops at the block that passes it, and a text longer than twice
 * that limit plus 64 KiB is refused unread; both give CHAIN_ELIMIT with an
 * "input_limit" result. Since: 0.1 */
CHAIN_API int chain_verify_pem(chain_result **out, const chain_store *store,
                               const chain_policy *policy, const char *pem, size_t len,
                               const chain_pool *pool);

CHAIN_END_DECLS

#endif /* CHAIN_VERIFY_H */
