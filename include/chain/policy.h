/* libchain: what a chain must satisfy, besides reaching a trusted anchor.
 *
 * A policy is an opaque handle with one setter per field, so new fields never
 * break the ABI. Defaults (chain_policy_new()):
 *   time            the wall clock at the moment chain_verify() runs
 *   hostname / IP   none (no name check)
 *   purpose         any (no EKU check); Python's default is "server"
 *   max depth       8 intermediates between leaf and anchor
 *   partial chain   off: a path must end at a self-issued store certificate
 *   CN fallback     off: only SAN dNSNames are matched
 *   algorithms      MD5 and SHA-1 signatures refused, RSA keys under 2048
 *                   bits, EC keys under 256 bits and DSA keys refused, on
 *                   every certificate except the anchor
 *   limits          see chain_limit
 *
 * Threads: setters need exclusive access. A policy that is no longer being
 * changed may be used by any number of concurrent chain_verify() calls.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CHAIN_POLICY_H
#define CHAIN_POLICY_H

#include "common.h"

CHAIN_BEGIN_DECLS

typedef struct chain_policy chain_policy;

/* Extended key usage OIDs for chain_policy_set_purpose(). */
#define CHAIN_PURPOSE_TLS_SERVER "1.3.6.1.5.5.7.3.1"
#define CHAIN_PURPOSE_TLS_CLIENT "1.3.6.1.5.5.7.3.2"

/* Bounds on the work and input of one verification. Hitting one gives a
 * reason code (input_limit, depth_exceeded or budget_exceeded), never a
 * crash or a silent truncation. Values are ABI. */
typedef enum {
	CHAIN_LIMIT_CHAIN_BYTES = 1, /* total DER bytes of a served chain; default 1 MiB */
	CHAIN_LIMIT_CERT_BYTES = 2,  /* DER bytes of one certificate; default 64 KiB */
	CHAIN_LIMIT_CERTS = 3,       /* distinct certificates in a served chain; default 32 */
	CHAIN_LIMIT_SIG_CHECKS = 4,  /* signature checks per verification, CRL checks
	                              * included (chain_store_add_crl()); default 100 */
	CHAIN_LIMIT_CANDIDATES = 5   /* issuer candidates considered; default 2000 */
} chain_limit;

/** Create a policy with the defaults above. The caller owns *out and frees it
 * with chain_policy_free(). Returns CHAIN_OK, CHAIN_EINVAL or CHAIN_ENOMEM.
 * Since: 0.1 */
CHAIN_API int chain_policy_new(chain_policy **out);

/** Release a policy. NULL is a no-op. Since: 0.1 */
CHAIN_API void chain_policy_free(chain_policy *policy);

/** Copy a policy (to change a field without touching one that other threads
 * use). The caller owns *out. Since: 0.1 */
CHAIN_API int chain_policy_copy(chain_policy **out, const chain_policy *policy);

/** Verify at @unix_seconds (any value: 0 is 1970-01-01, negative is before).
 * A certificate is valid from notBefore to notAfter, both inclusive.
 * Since: 0.1 */
CHAIN_API int chain_policy_set_time(chain_policy *policy, int64_t unix_seconds);

/** Forget a time given with chain_policy_set_time(): verify at the wall clock
 * again. Since: 0.1 */
CHAIN_API int chain_policy_clear_time(chain_policy *policy);

/** The name the leaf must be valid for; @dns_or_ip is copied. A DNS name is
 * matched case-insensitively against SAN dNSNames; a wildcard matches only as
 * the whole leftmost label of a name with at least three labels ("*.a.b",
 * never "*.com" or "f*.a.b"). An IPv4 or IPv6 literal is matched as an
 * address against SAN iPAddresses only. A trailing dot is ignored. NULL
 * clears the name. Returns CHAIN_EINVAL for an empty or over-long name (253
 * characters) or one with characters outside letters, digits, '-', '_',
 * '.' and a leading '*'-free label set; internationalised names must be
 * given as A-labels ("xn--..."). A name whose last label is a number (URL
 * parsers' IPv4 forms: "127.1", "0x7f.0.0.1") is refused too, except a
 * dotted-quad address with a trailing dot ("192.0.2.1."), which is that
 * address. Since: 0.1 */
CHAIN_API int chain_policy_set_hostname(chain_policy *policy, const char *dns_or_ip);

/** The address the leaf must be valid for, as text ("192.0.2.1", "2001:db8::1").
 * Returns CHAIN_EINVAL when @ip is not an IP literal. NULL clears it. Replaces
 * any hostname. Since: 0.1 */
CHAIN_API int chain_policy_set_ip(chain_policy *policy, const char *ip);

/** The extended key usage the leaf (and every intermediate that has an EKU
 * extension) must allow, as a dotted OID such as CHAIN_PURPOSE_TLS_SERVER; NULL
 * means any purpose. anyExtendedKeyUsage satisfies any purpose. Returns
 * CHAIN_EINVAL for a string that is not a dotted OID. Since: 0.1 */
CHAIN_API int chain_policy_set_purpose(chain_policy *policy, const char *oid);

/** Maximum number of intermediates between leaf and anchor (0: the leaf must
 * be issued by an anchor), as x509-limbo's max_chain_depth and OpenSSL's
 * -verify_depth. Default 8; at most 64 (CHAIN_EINVAL above). Since: 0.1 */
CHAIN_API int chain_policy_set_max_depth(chain_policy *policy, unsigned int intermediates);

/** Accept any store certificate as an anchor, not only self-issued ones
 * (OpenSSL's X509_V_FLAG_PARTIAL_CHAIN). Default off. Since: 0.1 */
CHAIN_API int chain_policy_set_partial_chain(chain_policy *policy, int enabled);

/** Match the hostname against the subject's common names when the leaf has no
 * SAN dNSName or iPAddress at all (legacy; browsers do not). Default off.
 * Since: 0.1 */
CHAIN_API int chain_policy_set_cn_fallback(chain_policy *policy, int enabled);

/** Strict structural checks (default on): every path certificate must meet
 * RFC 5280's MUSTs for its structure (key identifiers, critical
 * basicConstraints in CAs, serial numbers, empty subjects, empty EKU, ...),
 * anchors included, and with the TLS server purpose, the leaf and root must
 * follow the CA/Browser Forum Baseline Requirements' profiles (an EKU without
 * anyExtendedKeyUsage, the CN a copy of a SAN entry, no CA leaf, a root
 * without EKU). Violations are reason "nonconforming" (62). Key rules on
 * anchors (RSA under the minimum, EC under 256 bits, DSA) and RSA sizes that
 * are not whole octets also apply. Off: only the path rules. Since: 0.1 */
CHAIN_API int chain_policy_set_strict(chain_policy *policy, int enabled);

/** Leaf detection for chains not in served order (scans, CT dumps): the leaf
 * is taken to be the one served certificate that issues none of the others
 * and is not a CA; when there is none or several, the first stays the leaf.
 * chain_result_order_repaired() tells when the order was changed; input
 * indices in the result stay those of the caller's array. Default off: the
 * first certificate is the leaf. Since: 0.1 */
CHAIN_API int chain_policy_set_repair_order(chain_policy *policy, int enabled);

/** Verify the leaf as a Certificate Transparency precertificate (RFC 6962
 * 3.1), as a CT log does: its critical poison extension
 * (1.3.6.1.4.1.11129.2.4.3) is accepted on the leaf (anywhere else, and on
 * the leaf without this setting, it is an unknown critical extension), and
 * an issuer directly above the leaf whose extKeyUsage is the Precertificate
 * Signing Certificate purpose (1.3.6.1.4.1.11129.2.4.4) is not held to the
 * policy's purpose. Default off. Since: 0.1 */
CHAIN_API int chain_policy_set_precertificate(chain_policy *policy, int enabled);

/** The number of attempts explain mode keeps by default. */
#define CHAIN_EXPLAIN_DEFAULT 64

/** Explain mode: the result records every path the builder tried (each
 * certificate and where it came from, each signature checked and whether the
 * cache answered, and why the attempt ended), up to @max_attempts of them
 * (CHAIN_EXPLAIN_DEFAULT is a good bound; chain_result_attempts_dropped()
 * counts the rest); read them with chain_result_attempt_*(). 0 turns it off,
 * the default: off, it costs nothing. An explained verification does not use
 * or fill a cache's verdicts (certificates and signature checks still come
 * from the cache). Returns CHAIN_OK, or CHAIN_EINVAL when @policy is NULL.
 * Since: 0.3 */
CHAIN_API int chain_policy_set_explain(chain_policy *policy, size_t max_attempts);

/** Accept SHA-1 signatures on non-anchor certificates. MD5 and MD2 are never
 * accepted. Default off. Since: 0.1 */
CHAIN_API int chain_policy_set_allow_sha1(chain_policy *policy, int enabled);

/** Smallest RSA modulus, in bits, accepted on non-anchor certificates.
 * Default 2048; 0 accepts any size. Since: 0.1 */
CHAIN_API int chain_policy_set_min_rsa_bits(chain_policy *policy, unsigned int bits);

/** Set one of the chain_limit bounds; 0 is refused (CHAIN_EINVAL), as is an
 * unknown @which. Since: 0.1 */
CHAIN_API int chain_policy_set_limit(chain_policy *policy, chain_limit which, uint64_t value);

/** Read a bound; unknown @which or NULL policy gives 0. Since: 0.1 */
CHAIN_API uint64_t chain_policy_get_limit(const chain_policy *policy, chain_limit which);

CHAIN_END_DECLS

#endif /* CHAIN_POLICY_H */
