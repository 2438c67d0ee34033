/* A stapled OCSP response (chain_verify_stapled()): is the leaf of the
 * reported path revoked, at the verification time, according to a response
 * its issuer signed (or a responder the issuer delegated to, RFC 6960 4.2.2.2)?
 *
 * GnuTLS parses the response and checks signatures; every time is checked
 * here against the policy's clock (GnuTLS would use the wall clock). What a
 * response that does not check out means is a choice, documented in
 * docs/api.md: it is reported (CHAIN_OCSP_UNUSABLE and why) and otherwise
 * ignored, as browsers ignore such a staple: an attacker able to forge one
 * can as well strip it. Only "revoked" changes the verdict. */
#include "internal.h"

#include <gnutls/ocsp.h>
#include <stdio.h>
#include <string.h>

#define OCSP_SIGNING "1.3.6.1.5.5.7.3.9"
#define MAX_RESPONSES 64      /* single responses looked at for the leaf */
#define MAX_RESPONDERS 8      /* certificates of a response tried as its signer */
#define NO_NEXT_UPDATE_DAYS 7 /* how old a response without nextUpdate may be */

static const char *const reasons[] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
	"cessationOfOperation", "certificateHold", "(unused)", "removeFromCRL",
	"privilegeWithdrawn", "aACompromise",
};

static int unusable(chain__ocsp *o, const char *why)
{
	o->status = CHAIN_OCSP_UNUSABLE;
	snprintf(o->message, sizeof(o->message), "stapled OCSP response not used: %s", why);
	return CHAIN_OK;
}

static bool has_ocsp_signing(gnutls_x509_crt_t crt)
{
	for (unsigned int i = 0; i < 32; i++) {
		char oid[128];
		size_t size = sizeof(oid);
		int ret = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &size, NULL);
		if (ret < 0)
			return false;
		if (strcmp(oid, OCSP_SIGNING) == 0)
			return true;
	}
	return false;
}

/* A certificate of the response that the issuer certified for OCSP signing,
 * valid at the verification time, and whose key verifies the response. */
static bool delegated(gnutls_ocsp_resp_t resp, gnutls_x509_crt_t issuer, chain__clock *clock)
{
	gnutls_x509_crt_t *certs = NULL;
	size_t n = 0;
	bool ok = false;
	if (gnutls_ocsp_resp_get_certs(resp, &certs, &n) < 0)
		return false;
	for (size_t i = 0; i < n && i < MAX_RESPONDERS && !ok; i++) {
		unsigned int v = 1;
		ok = gnutls_x509_crt_check_issuer(certs[i], issuer) &&
		     gnutls_x509_crt_verify(certs[i], &issuer, 1,
		                            GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
		                                GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS,
		                            &v) >= 0 &&
		     v == 0 && has_ocsp_signing(certs[i]) &&
		     chain__clock_reached(clock, (int64_t)gnutls_x509_crt_get_activation_time(certs[i])) &&
		     chain__clock_not_past(clock, (int64_t)gnutls_x509_crt_get_expiration_time(certs[i]));
		v = 1;
		ok = ok && gnutls_ocsp_resp_verify_direct(resp, certs[i], &v, 0) >= 0 && v == 0;
	}
	for (size_t i = 0; i < n; i++)
		gnutls_x509_crt_deinit(certs[i]);
	gnutls_free(certs);
	return ok;
}

/* The single response for @leaf, or -1. */
static int find_single(gnutls_ocsp_resp_t resp, gnutls_x509_crt_t leaf)
{
	for (unsigned int i = 0; i < MAX_RESPONSES; i++) {
		int ret = gnutls_ocsp_resp_check_crt(resp, i, leaf);
		if (ret == 0)
			return (int)i;
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
	}
	return -1;
}

static int judge(chain__ocsp *o, chain__problems *ps, gnutls_ocsp_resp_t resp,
                 gnutls_x509_crt_t leaf, gnutls_x509_crt_t issuer, chain__clock *clock)
{
	char when[CHAIN__ISO8601_MAX];
	int status = gnutls_ocsp_resp_get_status(resp);
	if (status != GNUTLS_OCSP_RESP_SUCCESSFUL) {
		char why[64];
		snprintf(why, sizeof(why), "the responder answered with status %d", status);
		return unusable(o, why);
	}
	int idx = find_single(resp, leaf);
	if (idx < 0)
		return unusable(o, "it is not about this certificate (serial and issuer)");
	unsigned int v = 1;
	bool signed_ok = gnutls_ocsp_resp_verify_direct(resp, issuer, &v, 0) >= 0 && v == 0;
	if (!signed_ok && !delegated(resp, issuer, clock))
		return unusable(o, "its signature is neither the issuer's nor a responder's the "
		                   "issuer certified for OCSP signing");
	unsigned int cert_status = 0, reason = 0;
	time_t this_update = 0, next_update = -1, revoked_at = -1;
	if (gnutls_ocsp_resp_get_single(resp, (unsigned)idx, NULL, NULL, NULL, NULL, &cert_status,
	                                &this_update, &next_update, &revoked_at, &reason) < 0)
		return unusable(o, "its response for this certificate cannot be read");
	if (!chain__clock_reached(clock, (int64_t)this_update))
		return unusable(o, "it was produced after the verification time (thisUpdate)");
	if (next_update != (time_t)-1 ? !chain__clock_not_past(clock, (int64_t)next_update)
	                              : !chain__clock_not_past(clock, (int64_t)this_update +
	                                                                  NO_NEXT_UPDATE_DAYS * 86400))
		return unusable(o, "it is out of date at the verification time (nextUpdate)");
	switch (cert_status) {
	case GNUTLS_OCSP_CERT_GOOD:
		o->status = CHAIN_OCSP_GOOD;
		snprintf(o->message, sizeof(o->message), "good at %s per the stapled OCSP response",
		         chain__iso8601(clock->now, when));
		return CHAIN_OK;
	case GNUTLS_OCSP_CERT_REVOKED:
		if (revoked_at != (time_t)-1 && !chain__clock_reached(clock, (int64_t)revoked_at)) {
			o->status = CHAIN_OCSP_GOOD; /* revoked later than the verification time */
			snprintf(o->message, sizeof(o->message), "not yet revoked at the verification "
			         "time per the stapled OCSP response (revoked %s)",
			         chain__iso8601((int64_t)revoked_at, when));
			return CHAIN_OK;
		}
		o->status = CHAIN_OCSP_REVOKED;
		snprintf(o->message, sizeof(o->message),
		         "revoked %s (reason %s) per the stapled OCSP response",
		         revoked_at != (time_t)-1 ? chain__iso8601((int64_t)revoked_at, when) : "",
		         reason < sizeof(reasons) / sizeof(reasons[0]) ? reasons[reason] : "unknown");
		return chain__problems_add(ps, CHAIN_REASON_REVOKED, 0, "%s", o->message);
	default:
		return unusable(o, "the responder does not know the certificate (status unknown)");
	}
}

int chain__check_ocsp(chain__ocsp *o, chain__problems *ps, const chain__path *path,
                      chain__clock *clock, const unsigned char *der, size_t len)
{
	memset(o, 0, sizeof(*o));
	if (!der)
		return CHAIN_OK;
	if (!path || path->len < 2)
		return unusable(o, "the leaf's issuer was not found, so it cannot be checked");
	gnutls_ocsp_resp_t resp = NULL;
	gnutls_datum_t d = {(unsigned char *)der, (unsigned int)len};
	if ((size_t)d.size != len || gnutls_ocsp_resp_init(&resp) < 0)
		return CHAIN_ENOMEM;
	int ret;
	if (gnutls_ocsp_resp_import(resp, &d) < 0) {
		ret = unusable(o, "it cannot be parsed (DER OCSPResponse)");
	} else {
		const chain__cert *leaf = path->nodes[0].cert, *issuer = path->nodes[1].cert;
		gnutls_x509_crt_t leaf_crt = NULL, issuer_crt = NULL;
		chain__cert_crt_acquire(leaf, issuer, &leaf_crt, &issuer_crt);
		ret = leaf_crt && issuer_crt ? judge(o, ps, resp, leaf_crt, issuer_crt, clock)
		                             : unusable(o, "GnuTLS cannot read the leaf or its issuer");
		chain__cert_crt_release(leaf, issuer);
	}
	gnutls_ocsp_resp_deinit(resp);
	return ret;
}
