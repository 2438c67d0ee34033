/* Policy checks on one candidate path: one rule per function, each appending
 * problems tied to the depth of the certificate they concern. The path's
 * signatures were checked by the search; this file only reads its verdicts.
 * Anchors get the same structural checks as intermediates (x509-limbo and
 * the CA/B Forum expect an expired or non-CA root to fail), but not the
 * algorithm and key-size rules, which the policy applies to non-anchors. */
#include "internal.h"

#include <string.h>

#define ANY_EKU "2.5.29.37.0"
/* RFC 6962 3.1: the poison extension and the Precertificate Signing purpose. */
#define CT_POISON "1.3.6.1.4.1.11129.2.4.3"
#define CT_PRECERT_SIGNING "1.3.6.1.4.1.11129.2.4.4"

typedef struct {
	chain__problems *out;
	const chain__path *path;
	const chain_policy *policy;
	chain__clock *clock;
	int ret;
} checker;

static const chain__cert *cert_at(const checker *k, size_t i)
{
	return k->path->nodes[i].cert;
}

static bool is_anchor(const checker *k, size_t i)
{
	return k->path->end == CHAIN__END_ANCHOR && i + 1 == k->path->len;
}

#define ADD(k, reason, depth, ...)                                                        \
	do {                                                                              \
		if ((k)->ret == CHAIN_OK)                                                 \
			(k)->ret = chain__problems_add((k)->out, reason, (int)(depth),    \
			                               __VA_ARGS__);                      \
	} while (0)

static void check_validity_period(checker *k, size_t i)
{
	const chain__cert *c = cert_at(k, i);
	/* Messages name the certificate's dates, not the verification time: a
	 * result must read the same at every time its verdict holds for. */
	char when[CHAIN__ISO8601_MAX];
	if (!chain__clock_not_past(k->clock, c->not_after))
		ADD(k, CHAIN_REASON_EXPIRED, i, "certificate expired at %s",
		    chain__iso8601(c->not_after, when));
	if (!chain__clock_reached(k->clock, c->not_before))
		ADD(k, CHAIN_REASON_NOT_YET_VALID, i, "certificate not valid before %s",
		    chain__iso8601(c->not_before, when));
}

static void check_well_formed(checker *k, size_t i)
{
	const chain__cert *c = cert_at(k, i);
	if (c->malformed)
		ADD(k, CHAIN_REASON_MALFORMED, i, "%s", c->malformed);
	if (c->unknown_critical)
		ADD(k, CHAIN_REASON_UNKNOWN_CRITICAL_EXTENSION, i,
		    "unhandled critical extension %s", c->unknown_critical);
	if (CHAIN__CRITICAL(c, CHAIN__EXT_CT_POISON) && !(i == 0 && k->policy->precertificate))
		ADD(k, CHAIN_REASON_UNKNOWN_CRITICAL_EXTENSION, i, "unhandled critical extension %s",
		    CT_POISON);
}

static void check_signature(checker *k, size_t i)
{
	if (i + 1 >= k->path->len)
		return;
	chain__edge e = k->path->edges[i];
	if (e == CHAIN__EDGE_BAD)
		ADD(k, CHAIN_REASON_BAD_SIGNATURE, i, "signature does not verify with the issuer's key");
	else if (e == CHAIN__EDGE_UNSUPPORTED)
		ADD(k, CHAIN_REASON_INSECURE_ALGORITHM, i,
		    "signature algorithm or issuer key not supported");
}

static void check_algorithms(checker *k, size_t i)
{
	const chain__cert *c = cert_at(k, i);
	gnutls_digest_algorithm_t hash = gnutls_sign_get_hash_algorithm(c->sign_algo);
	const chain_policy *p = k->policy;

	if (hash == GNUTLS_DIG_MD5 || hash == GNUTLS_DIG_MD2 ||
	    (hash == GNUTLS_DIG_SHA1 && !p->allow_sha1))
		ADD(k, CHAIN_REASON_INSECURE_ALGORITHM, i, "signature uses %s",
		    gnutls_sign_get_name(c->sign_algo));
	switch (c->pk_algo) {
	case GNUTLS_PK_RSA:
	case GNUTLS_PK_RSA_PSS:
		if (c->pk_bits < p->min_rsa_bits)
			ADD(k, CHAIN_REASON_INSECURE_ALGORITHM, i, "RSA key of %u bits (minimum %u)",
			    c->pk_bits, p->min_rsa_bits);
		break;
	case GNUTLS_PK_ECDSA:
		if (c->pk_bits < 256)
			ADD(k, CHAIN_REASON_INSECURE_ALGORITHM, i, "EC key of %u bits", c->pk_bits);
		break;
	case GNUTLS_PK_EDDSA_ED25519:
	case GNUTLS_PK_EDDSA_ED448:
		break;
	default:
		ADD(k, CHAIN_REASON_INSECURE_ALGORITHM, i, "public key algorithm %s not accepted",
		    gnutls_pk_get_name(c->pk_algo) ? gnutls_pk_get_name(c->pk_algo) : "unknown");
	}
}

static void check_basic_constraints(checker *k, size_t i)
{
	const chain__cert *c = cert_at(k, i);
	if (!c->has_bc || !c->bc_ca)
		ADD(k, CHAIN_REASON_NOT_CA, i, "issuer is not a CA (%s)",
		    c->has_bc ? "basicConstraints cA is false" : "no basicConstraints");
}

static void check_key_cert_sign(checker *k, size_t i)
{
	const chain__cert *c = cert_at(k, i);
	if (c->has_ku && !(c->ku & GNUTLS_KEY_KEY_CERT_SIGN))
		ADD(k, CHAIN_REASON_KEY_USAGE, i, "issuer keyUsage lacks keyCertSign");
}

/* RFC 5280 4.2.1.9: pathLenConstraint counts the non-self-issued
 * intermediates that follow the CA, leaf excluded. */
static void check_path_len(checker *k, size_t i)
{
	const chain__cert *c = cert_at(k, i);
	size_t below = 0;

	if (c->path_len < 0)
		return;
	for (size_t j = 1; j < i; j++)
		below += !cert_at(k, j)->self_issued;
	if (below > (size_t)c->path_len)
		ADD(k, CHAIN_REASON_PATH_LENGTH, i,
		    "pathLenConstraint %d exceeded by %zu intermediate certificates", c->path_len,
		    below);
}

/* RFC 5280 4.2.1.10: the CA's constraints apply to every certificate below
 * it, except self-issued intermediates. */
static void check_name_constraints(checker *k, size_t i)
{
	const chain__cert *ca = cert_at(k, i);

	if (!ca->nc)
		return;
	for (size_t j = 0; j < i; j++) {
		const chain__cert *c = cert_at(k, j);
		if (j > 0 && c->self_issued)
			continue;
		if (!chain__nc_permits(ca->nc, c, j == 0, k->policy->cn_fallback))
			ADD(k, CHAIN_REASON_NAME_CONSTRAINTS, j,
			    "a name is outside the constraints of the CA at depth %zu", i);
	}
}

/* RFC 5280 4.2.1.10: name constraints are used only in CA certificates. */
static void check_ee_name_constraints(checker *k)
{
	const chain__cert *c = cert_at(k, 0);
	if (c->nc && !c->bc_ca && !is_anchor(k, 0))
		ADD(k, CHAIN_REASON_NAME_CONSTRAINTS, 0, "name constraints in an end-entity certificate");
}

static void check_eku(checker *k, size_t i)
{
	const chain__cert *c = cert_at(k, i);
	const char *purpose = k->policy->purpose;

	if (!purpose || !c->has_eku)
		return;
	/* A precertificate's issuer may be a Precertificate Signing Certificate,
	 * whose purpose is exactly that (RFC 6962 3.1). */
	if (i == 1 && k->policy->precertificate && chain__cert_has_eku(c, CT_PRECERT_SIGNING))
		return;
	if (!chain__cert_has_eku(c, purpose) && !chain__cert_has_eku(c, ANY_EKU))
		ADD(k, CHAIN_REASON_PURPOSE_MISMATCH, i, "extended key usage does not allow %s",
		    purpose);
}

static void check_name(checker *k)
{
	const chain_policy *p = k->policy;
	if (chain__check_name(cert_at(k, 0), p) == 1)
		return;
	if (p->hostname)
		ADD(k, CHAIN_REASON_HOSTNAME_MISMATCH, 0, "certificate is not valid for %s",
		    p->hostname);
	else
		ADD(k, CHAIN_REASON_HOSTNAME_MISMATCH, 0, "certificate is not valid for the IP address");
}

static void check_end(checker *k)
{
	size_t top = k->path->len - 1;
	switch (k->path->end) {
	case CHAIN__END_ANCHOR:
		break;
	case CHAIN__END_NO_ISSUER:
		if (cert_at(k, top)->self_issued)
			ADD(k, CHAIN_REASON_UNTRUSTED_ROOT, top, "self-issued certificate not in the trust store");
		else
			ADD(k, CHAIN_REASON_MISSING_ISSUER, top, "no issuer found in the chain, pool or store");
		break;
	case CHAIN__END_DEPTH:
		ADD(k, CHAIN_REASON_DEPTH_EXCEEDED, top,
		    "no anchor within %u intermediate certificates", k->policy->max_depth);
		break;
	case CHAIN__END_BUDGET: /* never evaluated (verify.c): only recorded for explain mode */
		break;
	}
}

int chain__check_path(chain__problems *out, const chain__path *path,
                      const chain_policy *policy, chain__clock *clock)
{
	checker k = {out, path, policy, clock, CHAIN_OK};

	check_end(&k);
	check_ee_name_constraints(&k);
	for (size_t i = 0; i < path->len; i++) {
		check_well_formed(&k, i);
		check_signature(&k, i);
		if (!is_anchor(&k, i))
			check_algorithms(&k, i);
		if (i > 0) {
			check_basic_constraints(&k, i);
			check_key_cert_sign(&k, i);
			check_path_len(&k, i);
			check_name_constraints(&k, i);
		}
		if (!is_anchor(&k, i) || i == 0)
			check_eku(&k, i);
		check_validity_period(&k, i);
	}
	check_name(&k);
	if (k.ret == CHAIN_OK)
		k.ret = chain__check_conformance(out, path, policy);
	return k.ret;
}
