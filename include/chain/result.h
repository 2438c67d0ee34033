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

/* What a stapled OCSP response (chain_verify_stapled()) said of the leaf.
 * Values are ABI. */
typedef enum {
	CHAIN_OCSP_NONE = 0,    /* no response was given (or the chain could not be read) */
	CHAIN_OCSP_GOOD = 1,    /* good at the verification time */
	CHAIN_OCSP_REVOKED = 2, /* revoked: the result is not trusted, reason CHAIN_REASON_REVOKED */
	CHAIN_OCSP_UNUSABLE = 3 /* not checked out (unparsable, unsigned by the issuer or its
	                         * responder, about another certificate, out of date, status
	                         * unknown): reported, and otherwise ignored */
} chain_ocsp_status;

/** The stapled OCSP response's verdict on the leaf. Since: 0.3 */
CHAIN_API chain_ocsp_status chain_result_ocsp_status(const chain_result *result);
/** An English sentence on it (the revocation date and reason, or why it was
 * unusable); NULL for CHAIN_OCSP_NONE. Since: 0.3 */
CHAIN_API const char *chain_result_ocsp_message(const chain_result *result);

/* ---- Explain mode (chain_policy_set_explain()) ----------------------------
 *
 * Every path the builder tried, in the order it tried them: an attempt is a
 * list of certificates from the leaf (0) upwards, the signature edge between
 * each certificate and the next (edge j: certificate j checked with
 * certificate j+1's key), and how it ended. Without explain mode, or for an
 * input error, there are none. Indices out of range give 0, -1 or NULL, as
 * for the path accessors above; strings are borrowed from the result. */

/* How an attempt ended. Values are ABI. */
typedef enum {
	CHAIN_ATTEMPT_TRUSTED = 0,     /* reached an anchor and every rule held: the result's path */
	CHAIN_ATTEMPT_RULE_FAILED = 1, /* reached an anchor, but a rule failed (see its reasons) */
	CHAIN_ATTEMPT_NO_ISSUER = 2,   /* no certificate could issue the last one */
	CHAIN_ATTEMPT_LOOP = 3,        /* every issuer of the last one was already on the path */
	CHAIN_ATTEMPT_DEPTH = 4,       /* the next issuer would exceed the policy's depth */
	CHAIN_ATTEMPT_BUDGET = 5       /* the search budget ran out on this path */
} chain_attempt_end;

/* The outcome of one signature edge. Values are ABI. */
typedef enum {
	CHAIN_EDGE_GOOD = 0,          /* the signature verifies with the issuer's key */
	CHAIN_EDGE_BAD_SIGNATURE = 1, /* it does not */
	CHAIN_EDGE_UNSUPPORTED = 2,   /* the algorithm or key cannot be used */
	CHAIN_EDGE_NOT_CHECKED = 3    /* not checked (the search stopped first) */
} chain_edge_result;

/** 1 when the result was made in explain mode (it may still hold no
 * attempt: a chain that could not be read), else 0. Since: 0.3 */
CHAIN_API int chain_result_explained(const chain_result *result);
/** Number of attempts kept. Since: 0.3 */
CHAIN_API size_t chain_result_attempt_count(const chain_result *result);
/** Attempts tried but not kept (over the policy's bound). Since: 0.3 */
CHAIN_API size_t chain_result_attempts_dropped(const chain_result *result);
/** How attempt @a ended; CHAIN_ATTEMPT_NO_ISSUER when out of range. Since: 0.3 */
CHAIN_API chain_attempt_end chain_result_attempt_end(const chain_result *result, size_t a);
/** Number of certificates on attempt @a (0 when out of range). Since: 0.3 */
CHAIN_API size_t chain_result_attempt_length(const chain_result *result, size_t a);
/** Certificate @j of attempt @a: subject and issuer (RFC 4514), SHA-256
 * fingerprint (64 lower-case hex digits); NULL when out of range. Since: 0.3 */
CHAIN_API const char *chain_result_attempt_cert_subject(const chain_result *result, size_t a,
                                                        size_t j);
CHAIN_API const char *chain_result_attempt_cert_issuer(const chain_result *result, size_t a,
                                                       size_t j);
CHAIN_API const char *chain_result_attempt_cert_fingerprint(const chain_result *result, size_t a,
                                                            size_t j);
/** Where certificate @j of attempt @a came from; CHAIN_SOURCE_SERVED when out
 * of range. Since: 0.3 */
CHAIN_API chain_source chain_result_attempt_cert_source(const chain_result *result, size_t a,
                                                        size_t j);
/** Its index in the served chain (CHAIN_SOURCE_SERVED), else -1. Since: 0.3 */
CHAIN_API int chain_result_attempt_cert_input_index(const chain_result *result, size_t a,
                                                    size_t j);
/** Edge @j of attempt @a (certificate j under certificate j+1's key):
 * the signature's outcome; CHAIN_EDGE_NOT_CHECKED when out of range.
 * Since: 0.3 */
CHAIN_API chain_edge_result chain_result_attempt_edge(const chain_result *result, size_t a,
                                                      size_t j);
/** Edge @j of attempt @a: 1 when certificate j's authority key identifier
 * matches certificate j+1's subject key identifier, 0 when they differ, -1
 * when one is absent (or out of range). The names always match: issuers are
 * found by name. Since: 0.3 */
CHAIN_API int chain_result_attempt_edge_key_id(const chain_result *result, size_t a, size_t j);
/** Edge @j of attempt @a: 1 when the cache answered its signature check
 * (chain_verify_cached(), chain_batch), else 0. Since: 0.3 */
CHAIN_API int chain_result_attempt_edge_cached(const chain_result *result, size_t a, size_t j);
/** Number of reasons attempt @a failed for (0 for CHAIN_ATTEMPT_TRUSTED).
 * Since: 0.3 */
CHAIN_API size_t chain_result_attempt_reason_count(const chain_result *result, size_t a);
/** Reason @k of attempt @a: its code (CHAIN_REASON_OK when out of range),
 * the depth of the certificate it concerns on that attempt (-1: none) and an
 * English sentence (NULL when out of range). Since: 0.3 */
CHAIN_API chain_reason chain_result_attempt_reason(const chain_result *result, size_t a, size_t k);
CHAIN_API int chain_result_attempt_reason_depth(const chain_result *result, size_t a, size_t k);
CHAIN_API const char *chain_result_attempt_reason_message(const chain_result *result, size_t a,
                                                          size_t k);

CHAIN_END_DECLS

#endif /* CHAIN_RESULT_H */
