/* fuzz_ocsp: chain_verify_stapled() with a fuzzed stapled OCSP response (and
 * fuzzed certificates), so that GnuTLS's OCSP parser and libchain's checks of
 * a response (ocsp.c) meet hostile bytes.
 *
 * Input: three certificates, each a big-endian u16 length and that many
 * bytes: the root (alone in a new store), the intermediate and the leaf
 * (served leaf first); then the OCSP response (the rest). make-corpus.py's
 * seeds are chains made with chainval.testing and responses made with pyca:
 * good, revoked, delegated, stale, for another certificate.
 *
 * Checks, abort() on any failure: the result has the documented shape
 * (fuzz_check_result()); chain_result_ocsp_status() is one of the enum's
 * values, with a message exactly when it is not CHAIN_OCSP_NONE; "revoked"
 * means not trusted, with CHAIN_REASON_REVOKED on the leaf among the problems
 * (the primary reason may be a more significant one); a response the leaf's issuer
 * was not found for is never "good" or "revoked"; the same call without the
 * response differs from it only by the revocation (trusted without it when
 * trusted with it), or by a response over the size limit. Deterministic: the time is fixed (2030-01-01). */
#include "fuzz_common.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define T INT64_C(1893456000)

static const uint8_t *take(const uint8_t **p, size_t *left, size_t *len)
{
	if (*left < 2)
		return NULL;
	size_t n = ((size_t)(*p)[0] << 8) | (*p)[1];
	*p += 2;
	*left -= 2;
	if (n > *left)
		n = *left;
	const uint8_t *out = *p;
	*p += n;
	*left -= n;
	*len = n;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *certs[3];
	size_t left = size, lens[3];
	for (int i = 0; i < 3; i++)
		if (!(certs[i] = take(&p, &left, &lens[i])) || lens[i] == 0)
			return 0;
	chain_store *store = NULL;
	chain_policy *policy = NULL;
	if (chain_store_new(&store) != CHAIN_OK || chain_policy_new(&policy) != CHAIN_OK)
		fuzz_die("out of memory");
	chain_store_add_der(store, certs[0], lens[0], 0);
	chain_policy_set_time(policy, T);
	const unsigned char *ders[2] = {certs[2], certs[1]};
	size_t der_lens[2] = {lens[2], lens[1]};
	chain_result *with = NULL, *without = NULL;
	int rw = chain_verify_stapled(&with, store, policy, ders, der_lens, 2, NULL, NULL,
	                              left ? p : (const unsigned char *)"", left);
	int ro = chain_verify(&without, store, policy, ders, der_lens, 2, NULL);
	fuzz_check_result(rw, with, ders, der_lens, 2, T);
	chain_ocsp_status s = chain_result_ocsp_status(with);
	const char *msg = chain_result_ocsp_message(with);
	if (s > CHAIN_OCSP_UNUSABLE || (s == CHAIN_OCSP_NONE) != (msg == NULL))
		fuzz_die("OCSP status %d with message %s", (int)s, msg ? msg : "(null)");
	bool listed = false; /* the primary reason may be another, more significant one */
	for (size_t i = 0; i < chain_result_problem_count(with); i++)
		listed |= chain_result_problem_reason(with, i) == CHAIN_REASON_REVOKED &&
		          chain_result_problem_depth(with, i) == 0;
	if (s == CHAIN_OCSP_REVOKED && (chain_result_ok(with) || !listed))
		fuzz_die("revoked but ok=%d, revoked at depth 0 listed %d", chain_result_ok(with),
		         (int)listed);
	if ((s == CHAIN_OCSP_GOOD || s == CHAIN_OCSP_REVOKED) && chain_result_cert_count(with) < 2)
		fuzz_die("an OCSP verdict without the leaf's issuer");
	if (rw == CHAIN_OK && ro == CHAIN_OK && chain_result_ok(with) && !chain_result_ok(without))
		fuzz_die("trusted with the response, not without it");
	if (rw == CHAIN_OK && ro == CHAIN_OK && s != CHAIN_OCSP_REVOKED &&
	    chain_result_reason(with) != CHAIN_REASON_INPUT_LIMIT &&
	    chain_result_ok(with) != chain_result_ok(without))
		fuzz_die("the response changed the verdict without revoking");
	chain_result_free(with);
	chain_result_free(without);
	chain_policy_free(policy);
	chain_store_free(store);
	return 0;
}
