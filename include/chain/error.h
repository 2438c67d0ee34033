/* libchain: call errors (the call failed) and reason codes (why a chain is
 * not trusted). The two are never mixed: a verification that ran returns
 * CHAIN_OK even when the chain is rejected, and the verdict lives in the
 * chain_result.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CHAIN_ERROR_H
#define CHAIN_ERROR_H

#include "common.h"

CHAIN_BEGIN_DECLS

/* Return values of every fallible call. Values are ABI: never renumbered. */
typedef enum {
	CHAIN_OK = 0,
	CHAIN_ERROR = -1,    /* unexpected internal failure */
	CHAIN_ENOMEM = -2,   /* out of memory */
	CHAIN_EINVAL = -3,   /* NULL, out-of-range or contradictory argument */
	CHAIN_EPARSE = -4,   /* input is not a certificate (or not readable PEM/DER) */
	CHAIN_ELIMIT = -5,   /* input over a documented size bound */
	CHAIN_EBACKEND = -6, /* GnuTLS failed for a reason other than the input */
	CHAIN_EIO = -7,      /* a file or directory could not be read */
	CHAIN_ENOTFOUND = -8, /* nothing to load (e.g. no system store found) */
	CHAIN_ECANCELED = -9  /* stopped by chain_batch_cancel() (Since: 0.2) */
} chain_error;

/* Why a chain is not trusted. Values are ABI: grouped by decade, never
 * renumbered or reused; a retired value stays as CHAIN_REASON_RESERVED_nn.
 * chain_reason_str() gives the lower-case name used by Python and the CLI.
 * docs/reasons.md describes each code and the version that added it. */
typedef enum {
	CHAIN_REASON_OK = 0, /* "ok": the chain is trusted */

	CHAIN_REASON_EXPIRED = 10,       /* "expired": now > notAfter of a path certificate */
	CHAIN_REASON_NOT_YET_VALID = 11, /* "not_yet_valid": now < notBefore */

	CHAIN_REASON_MISSING_ISSUER = 20,   /* "missing_issuer": no issuer found for a certificate */
	CHAIN_REASON_UNTRUSTED_ROOT = 21,   /* "untrusted_root": a self-signed root not in the store */
	CHAIN_REASON_NOT_CA = 22,           /* "not_ca": an issuer is not a CA (basicConstraints, v1) */
	CHAIN_REASON_PATH_LENGTH = 23,      /* "path_length": pathLenConstraint exceeded */
	CHAIN_REASON_KEY_USAGE = 24,        /* "key_usage": issuer lacks keyCertSign, or leaf lacks a required usage */
	CHAIN_REASON_NAME_CONSTRAINTS = 25, /* "name_constraints": a name violates an issuer's constraints */
	CHAIN_REASON_DISTRUSTED = 26,       /* "distrusted": anchor distrusted for leaves issued after a date */

	CHAIN_REASON_BAD_SIGNATURE = 30,      /* "bad_signature": a signature does not verify */
	CHAIN_REASON_INSECURE_ALGORITHM = 31, /* "insecure_algorithm": weak hash or key under the policy */
	CHAIN_REASON_REVOKED = 32,            /* "revoked": listed on its issuer's CRL (store CRLs) */
	CHAIN_REASON_REVOCATION_UNKNOWN = 33, /* "revocation_unknown": the issuer's CRL is unusable */

	CHAIN_REASON_HOSTNAME_MISMATCH = 40, /* "hostname_mismatch": leaf not valid for the host/IP */
	CHAIN_REASON_PURPOSE_MISMATCH = 41,  /* "purpose_mismatch": EKU does not allow the purpose */

	CHAIN_REASON_DEPTH_EXCEEDED = 50,  /* "depth_exceeded": more intermediates than max_depth */
	CHAIN_REASON_BUDGET_EXCEEDED = 51, /* "budget_exceeded": search gave up (signature/candidate budget) */
	CHAIN_REASON_INPUT_LIMIT = 52,     /* "input_limit": served chain over a size/count bound */

	CHAIN_REASON_MALFORMED = 60,                  /* "malformed": unparsable certificate or extension */
	CHAIN_REASON_UNKNOWN_CRITICAL_EXTENSION = 61, /* "unknown_critical_extension" */
	CHAIN_REASON_NONCONFORMING = 62 /* "nonconforming": breaks an RFC 5280 / CABF structural rule */
} chain_reason;

/** Static English description of a chain_error ("invalid argument").
 * Unknown values give "unknown error". Never NULL; never free it. Thread-safe.
 * Since: 0.1 */
CHAIN_API const char *chain_error_str(int error);

/** The stable lower-case name of a reason ("expired", "missing_issuer").
 * Unknown values give "unknown". Never NULL; never free it. Thread-safe.
 * Since: 0.1 */
CHAIN_API const char *chain_reason_str(chain_reason reason);

/** Look a reason up by its name. Writes it to *out and returns CHAIN_OK, or
 * returns CHAIN_EINVAL (leaving *out alone) when @name is NULL or unknown.
 * Thread-safe. Since: 0.1 */
CHAIN_API int chain_reason_from_str(chain_reason *out, const char *name);

CHAIN_END_DECLS

#endif /* CHAIN_ERROR_H */
