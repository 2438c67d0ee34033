/* libchain: the outcome of one verification.
 *
 * A result holds the verdict, one primary reason, every problem found (each
 * tied to the certificate it concerns), and the path: leaf first, anchor
 * last; when no path is trusted, the most plausible failing path (one that
 * reaches an anchor with the fewest problems, else the longest one built).
 *
 * Every accessor takes a result that may be NULL and indices that may be out
 * of range: it then returns 0, -1 or NULL as documented, never crashes.
 * Strings and DER returned are borrowed from the result and live until
 * chain_result_free().
 *
 * Threads: a result belongs to one thread at a time; it refers to no store,
 * pool or policy, which may be freed before it.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CHAIN_RESULT_H
#define CHAIN_RESULT_H

#include "common.h"
#include "error.h"
#include "policy.h"

CHAIN_BEGIN_DECLS

typedef struct chain_result chain_result;

/* Where a path certificate came from. Values are ABI. */
typedef enum {
	CHAIN_SOURCE_SERVED = 0, /* the served chain (see chain_result_cert_input_index()) */
	CHAIN_SOURCE_POOL = 1,   /* the intermediate pool */
	CHAIN_SOURCE_STORE = 2   /* the trust store */
} chain_source;

/** Release a result. NULL is a no-op. Since: 0.1 */
CHAIN_API void chain_result_free(chain_result *result);

/** 1 when the chain is trusted under the policy, else 0. Since: 0.1 */
CHAIN_API int chain_result_ok(const chain_result *result);

/** The primary reason: CHAIN_REASON_OK when trusted, else the most
 * significant problem (input and search failures first, then path
 * construction, signatures, CA constraints, validity, purpose, hostname;
 * docs/reasons.md gives the order). NULL gives CHAIN_REASON_MALFORMED.
 * Since: 0.1 */
CHAIN_API chain_reason chain_result_reason(const chain_result *result);

/** The time the verification used (unix seconds). Since: 0.1 */
CHAIN_API int64_t chain_result_time(const chain_result *result);

/** Number of problems found (0 when trusted). Since: 0.1 */
CHAIN_API size_t chain_result_problem_count(const chain_result *result);

/** Problem @i: its reason code (CHAIN_REASON_OK when out of range). */
CHAIN_API chain_reason chain_result_problem_reason(const chain_result *result, size_t i);
/** Problem @i: depth of the certificate it concerns in the reported path
 * (0 = leaf), or -1 when it concerns no single certificate or i is out of
 * range. Since: 0.1 */
CHAIN_API int chain_result_problem_depth(const chain_result *result, size_t i);
/** Problem @i: index of that certificate in the served chain, or -1 when it
 * came from the pool or store, or concerns none. Since: 0.1 */
CHAIN_API int chain_result_problem_input_index(const chain_result *result, size_t i);
/** Problem @i: an English sentence with the details. NULL when out of range.
 * Since: 0.1 */
CHAIN_API const char *chain_result_problem_message(const chain_result *result, size_t i);

/** For results of CHAIN_EPARSE / CHAIN_ELIMIT: index of the offending served
 * certificate (-1 when the whole chain is concerned, or for other results).
 * Since: 0.1 */
CHAIN_API int chain_result_error_index(const chain_result *result);
/** For results of CHAIN_EPARSE / CHAIN_ELIMIT: what was wrong; NULL otherwise.
 * Since: 0.1 */
CHAIN_API const char *chain_result_error_message(const chain_result *result);

/** A result for a served chain that could not be read at all, made by a
 * caller whose own decoding failed (a bulk reader's row, a language
 * binding's item): not trusted, primary reason @reason (CHAIN_REASON_MALFORMED
 * or CHAIN_REASON_INPUT_LIMIT) with @message as its problem,
 * chain_result_error_index() @index (-1: the whole chain),
 * chain_result_error_message() @message (copied), chain_result_time() the
 * time @policy would verify at (its time, else the clock; NULL: the
 * defaults). It reads like the results chain_verify() gives for CHAIN_EPARSE
 * and CHAIN_ELIMIT. The caller owns *out (chain_result_free()). Returns
 * CHAIN_OK, CHAIN_EINVAL (@out or @message NULL, another reason) or
 * CHAIN_ENOMEM. Thread-safe. Since: 0.2 */
CHAIN_API int chain_result_new_input_error(chain_result **out, const chain_policy *policy,
                                           chain_reason reason, int index, const char *message);

/** Number of certificates in the reported path (leaf first, anchor last when
 * one was reached). 0 for CHAIN_EPARSE / CHAIN_ELIMIT results. Since: 0.1 */
CHAIN_API size_t chain_result_cert_count(const chain_result *result);

/** 1 when leaf detection (chain_policy_set_repair_order()) took another
 * served certificate than the first as the leaf. Since: 0.1 */
CHAIN_API int chain_result_order_repaired(const chain_result *result);

/** 1 when the reported path ends at a trust anchor. Since: 0.1 */
CHAIN_API int chain_result_anchored(const chain_result *result);

/** Path certificate @i (0 = leaf): its DER; the length goes to *len (may be
 * NULL). NULL when out of range. Since: 0.1 */
CHAIN_API const unsigned char *chain_result_cert_der(const chain_result *result, size_t i,
                                                     size_t *len);
/** Subject and issuer as RFC 4514 strings ("CN=example.com,O=Example"). */
CHAIN_API const char *chain_result_cert_subject(const chain_result *result, size_t i);
CHAIN_API const char *chain_result_cert_issuer(const chain_result *result, size_t i);
/** Serial number as lower-case hex, without leading zero bytes ("0a1b"). */
CHAIN_API const char *chain_result_cert_serial(const chain_result *result, size_t i);
/** SHA-256 of the DER as 64 lower-case hex digits. */
CHAIN_API const char *chain_result_cert_fingerprint(const chain_result *result, size_t i);
/** notBefore / notAfter in unix seconds (0 when out of range). */
CHAIN_API int64_t chain_result_cert_not_before(const chain_result *result, size_t i);
CHAIN_API int64_t chain_result_cert_not_after(const chain_result *result, size_t i);
/** Where the certificate came from; CHAIN_SOURCE_SERVED when out of range. */
CHAIN_API chain_source chain_result_cert_source(const chain_result *result, size_t i);
/** Index in the served chain of a CHAIN_SOURCE_SERVED certificate, else -1. */
CHAIN_API int chain_result_cert_input_index(const chain_result *result, size_t i);

CHAIN_END_DECLS

#endif /* CHAIN_RESULT_H */
