/* One signature edge: does the issuer's key verify the subject's signature?
 * For every algorithm but RSA-PSS only the mathematical fact is decided here
 * (so the edge cache, keyed by the issuer's key, can hold it); whether the
 * algorithm is acceptable is policy, decided in check.c. */
#include "internal.h"

bool chain__sign_is_rsa_pss(gnutls_sign_algorithm_t algo)
{
	return gnutls_sign_get_pk_algorithm(algo) == GNUTLS_PK_RSA_PSS;
}

/* RSA-PSS parameters live in the issuer's SPKI and the signature's
 * AlgorithmIdentifier; only the full certificate check validates them
 * against each other (GNUTLS-NOTES 2), so PSS edges go through it. */
static chain__edge verify_pss(const chain__cert *issuer, const chain__cert *subject)
{
	const unsigned int flags = GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	                           GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
	                           GNUTLS_VERIFY_DISABLE_CA_SIGN |
	                           GNUTLS_VERIFY_IGNORE_UNKNOWN_CRIT_EXTENSIONS |
	                           GNUTLS_VERIFY_ALLOW_BROKEN | GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1;
	unsigned int status = 0;
	gnutls_x509_crt_t ca, crt;

	chain__cert_crt_acquire(issuer, subject, &ca, &crt);
	int ret = ca && crt ? gnutls_x509_crt_verify(crt, &ca, 1, flags, &status) : -1;
	chain__cert_crt_release(issuer, subject);
	if (ret < 0)
		return CHAIN__EDGE_UNSUPPORTED;
	if (status & GNUTLS_CERT_SIGNATURE_FAILURE)
		return CHAIN__EDGE_BAD;
	return status == 0 ? CHAIN__EDGE_OK : CHAIN__EDGE_UNSUPPORTED;
}

bool chain__edge_cacheable(const chain__cert *subject)
{
	/* GnuTLS's full check (verify_pss) also wants the subject's AKI to match
	 * the issuer's SKI and applies the issuer's name constraints: its answer
	 * depends on the issuer certificate, not only on its key. */
	return !chain__sign_is_rsa_pss(subject->sign_algo);
}

/* GnuTLS's answer as an edge: good, bad, or not checkable. */
static chain__edge edge_of(int ret)
{
	if (ret >= 0)
		return CHAIN__EDGE_OK;
	switch (ret) {
	case GNUTLS_E_INSUFFICIENT_SECURITY:
	case GNUTLS_E_UNKNOWN_PK_ALGORITHM:
	case GNUTLS_E_UNSUPPORTED_SIGNATURE_ALGORITHM:
	case GNUTLS_E_UNKNOWN_HASH_ALGORITHM:
		return CHAIN__EDGE_UNSUPPORTED;
	default:
		return CHAIN__EDGE_BAD; /* includes a key of the wrong type for the signature */
	}
}

/* Weak algorithms are verified too: refusing them is the policy's call. */
#define VERIFY_FLAGS (GNUTLS_VERIFY_ALLOW_BROKEN | GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1)

/* @signed is the data itself, or with @prehashed its digest. */
static chain__edge check_signature(chain__cert *issuer, gnutls_sign_algorithm_t algo,
                                   chain__slice signed_, chain__slice signature, bool prehashed,
                                   int *raw)
{
	gnutls_pubkey_t key = chain__cert_pubkey(issuer);
	int ret = GNUTLS_E_INTERNAL_ERROR;
	if (algo != GNUTLS_SIGN_UNKNOWN && key) {
		gnutls_datum_t data = {(unsigned char *)signed_.p, (unsigned int)signed_.len};
		gnutls_datum_t sig = {(unsigned char *)signature.p, (unsigned int)signature.len};
		ret = prehashed ? gnutls_pubkey_verify_hash2(key, algo, VERIFY_FLAGS, &data, &sig)
		                : gnutls_pubkey_verify_data2(key, algo, VERIFY_FLAGS, &data, &sig);
	}
	if (raw)
		*raw = ret;
	return algo == GNUTLS_SIGN_UNKNOWN || !key ? CHAIN__EDGE_UNSUPPORTED : edge_of(ret);
}

chain__edge chain__signature_verify(chain__cert *issuer, gnutls_sign_algorithm_t algo,
                                    chain__slice signed_data, chain__slice signature, int *raw)
{
	return check_signature(issuer, algo, signed_data, signature, false, raw);
}

chain__edge chain__signature_verify_hash(chain__cert *issuer, gnutls_sign_algorithm_t algo,
                                         chain__slice digest, chain__slice signature, int *raw)
{
	return check_signature(issuer, algo, digest, signature, true, raw);
}

chain__edge chain__edge_verify(chain__cert *issuer, const chain__cert *subject)
{
	if (chain__sign_is_rsa_pss(subject->sign_algo))
		return verify_pss(issuer, subject);
	return chain__signature_verify(issuer, subject->sign_algo, subject->parts.tbs,
	                               subject->parts.signature, NULL);
}
