/* Revocation by CRL: CRLs are part of a trust store; each certificate on a
 * path is checked against the CRLs its issuer signed, at the policy time.
 * A CRL that names the issuer but cannot be relied on (malformed, not signed
 * with the issuer's key... is skipped; signed but by an issuer not allowed to
 * sign CRLs, or not current) makes the status unknown, which fails the path:
 * when the caller supplied revocation data, silence is not a pass. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define OID_CRL_NUMBER "2.5.29.20"
#define OID_AKI "2.5.29.35"

struct chain__crl {
	gnutls_x509_crl_t crl;
	unsigned char *issuer; /* raw issuer DN */
	size_t issuer_len;
	int64_t this_update, next_update; /* next_update -1 when absent */
	char *problem;                    /* why the CRL itself is unusable, or NULL */
};

void chain__crl_free(chain__crl *c)
{
	if (!c)
		return;
	gnutls_x509_crl_deinit(c->crl);
	free(c->issuer);
	free(c->problem);
	free(c);
}

/* RFC 5280 5.2: cRLNumber MUST be present and non-critical; a critical
 * extension libchain does not process makes the CRL unusable. */
static const char *extension_problem(gnutls_x509_crl_t crl)
{
	bool has_number = false;
	for (unsigned int i = 0;; i++) {
		char oid[128];
		size_t size = sizeof(oid);
		unsigned int critical = 0;
		int ret = gnutls_x509_crl_get_extension_info(crl, i, oid, &size, &critical);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (ret < 0)
			return "unreadable CRL extensions";
		if (strcmp(oid, OID_CRL_NUMBER) == 0) {
			if (critical)
				return "cRLNumber is critical (RFC 5280 5.2.3)";
			has_number = true;
		} else if (critical && strcmp(oid, OID_AKI) != 0) {
			return "CRL has an unsupported critical extension";
		}
	}
	return has_number ? NULL : "CRL without cRLNumber (RFC 5280 5.2.3)";
}

int chain__crl_parse(chain__crl **out, const unsigned char *der, size_t len)
{
	chain__crl *c = calloc(1, sizeof(*c));
	gnutls_datum_t d = {(unsigned char *)der, (unsigned int)len}, dn = {NULL, 0};
	int ret = CHAIN_EPARSE;

	if (!c)
		return CHAIN_ENOMEM;
	if (len > UINT_MAX || gnutls_x509_crl_init(&c->crl) < 0) {
		ret = len > UINT_MAX ? CHAIN_EPARSE : CHAIN_ENOMEM;
		goto fail;
	}
	if (gnutls_x509_crl_import(c->crl, &d, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_crl_get_raw_issuer_dn(c->crl, &dn) < 0)
		goto fail;
	if (!(c->issuer = malloc(dn.size ? dn.size : 1))) {
		ret = CHAIN_ENOMEM;
		goto fail;
	}
	memcpy(c->issuer, dn.data, dn.size);
	c->issuer_len = dn.size;
	c->this_update = (int64_t)gnutls_x509_crl_get_this_update(c->crl);
	c->next_update = (int64_t)gnutls_x509_crl_get_next_update(c->crl);
	const char *problem = extension_problem(c->crl);
	if (problem && !(c->problem = strdup(problem))) {
		ret = CHAIN_ENOMEM;
		goto fail;
	}
	gnutls_free(dn.data);
	*out = c;
	return CHAIN_OK;
fail:
	gnutls_free(dn.data);
	chain__crl_free(c);
	return ret;
}

/* The serialNumber content without leading zero octets. */
static chain__slice serial_value(const unsigned char *p, size_t len)
{
	while (len > 1 && *p == 0) {
		p++;
		len--;
	}
	return (chain__slice){p, len};
}

static bool lists(const chain__crl *crl, const chain__cert *cert, chain__clock *clock)
{
	chain__slice s = chain__der_value(cert->parts.serial);
	chain__slice mine = serial_value(s.p, s.len);
	int n = gnutls_x509_crl_get_crt_count(crl->crl);

	for (int i = 0; i < n; i++) {
		unsigned char serial[64];
		size_t size = sizeof(serial);
		time_t when = 0;
		if (gnutls_x509_crl_get_crt_serial(crl->crl, i, serial, &size, &when) < 0)
			continue;
		chain__slice theirs = serial_value(serial, size);
		if (chain__same_slice(mine, theirs) && chain__clock_reached(clock, (int64_t)when))
			return true;
	}
	return false;
}

/* Status of a CRL whose issuer has no GnuTLS certificate object (out of
 * memory): the CRL cannot be checked, which must not read as "not this
 * issuer's CRL". Not a GNUTLS_CERT_* bit. */
#define ISSUER_UNREADABLE (1u << 31)

/* Did @issuer sign @crl? Time-related status bits are GnuTLS reading its own
 * clock: they are masked, and currency is checked at the policy time. */
static unsigned int crl_signature_status(const chain__crl *crl, const chain__cert *issuer)
{
	unsigned int status = 0;
	gnutls_x509_crt_t ca = chain__cert_crt(issuer);
	const unsigned int flags = GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 | GNUTLS_VERIFY_ALLOW_BROKEN;
	if (!ca)
		return ISSUER_UNREADABLE;
	if (gnutls_x509_crl_verify(crl->crl, &ca, 1, flags, &status) < 0)
		return GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNATURE_FAILURE;
	status &= ~(unsigned int)(GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |
	                          GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE);
	/* GnuTLS adds INVALID to any other bit, time bits included. */
	return status == GNUTLS_CERT_INVALID ? 0 : status;
}

int chain__check_revocation(chain__problems *out, const chain__path *path,
                            chain__clock *clock, const chain__set *store)
{
	int ret = CHAIN_OK;

	for (size_t i = 0; i + 1 < path->len && ret == CHAIN_OK; i++) {
		const chain__cert *cert = path->nodes[i].cert, *issuer = path->nodes[i + 1].cert;
		for (size_t k = 0; k < store->n_crls && ret == CHAIN_OK; k++) {
			const chain__crl *crl = store->crls[k];
			if (crl->issuer_len != cert->parts.issuer.len ||
			    memcmp(crl->issuer, cert->parts.issuer.p, crl->issuer_len) != 0)
				continue;
			unsigned int status = crl_signature_status(crl, issuer);
			if (status == ISSUER_UNREADABLE) {
				ret = chain__problems_add(out, CHAIN_REASON_REVOCATION_UNKNOWN, (int)i,
				                          "the CRL could not be checked against its issuer");
				continue;
			}
			if (status & GNUTLS_CERT_SIGNATURE_FAILURE)
				continue; /* another key's CRL under the same name: not this issuer's */
			if (status & GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE)
				ret = chain__problems_add(out, CHAIN_REASON_REVOCATION_UNKNOWN, (int)i,
				                          "the CRL's issuer may not sign CRLs (keyUsage without "
				                          "cRLSign, RFC 5280 4.2.1.3)");
			else if (status || crl->problem)
				ret = chain__problems_add(out, CHAIN_REASON_REVOCATION_UNKNOWN, (int)i,
				                          "unusable CRL: %s",
				                          crl->problem ? crl->problem : "rejected by its issuer");
			else if (!chain__clock_reached(clock, crl->this_update) ||
			         (crl->next_update >= 0 && !chain__clock_not_past(clock, crl->next_update)))
				ret = chain__problems_add(out, CHAIN_REASON_REVOCATION_UNKNOWN, (int)i,
				                          "the issuer's CRL is not current at the verification time");
			else if (lists(crl, cert, clock))
				ret = chain__problems_add(out, CHAIN_REASON_REVOKED, (int)i,
				                          "certificate revoked by its issuer's CRL");
		}
	}
	return ret;
}
