/* The comparison of two readings of one certificate, shared by
 * tests/c/test_x509.c and tests/fuzz/fuzz_x509.c: libchain's own reader
 * (x509.c) against GnuTLS, field by field, plus names.c's subjectAltName and
 * common-name readers against GnuTLS's getters and dn.c's name text against
 * GnuTLS's. Each function returns NULL when the two agree, else a static
 * description of the first difference. Needs libchain's internal objects
 * (internal.h). */
#ifndef CHAIN_TEST_X509_COMPARE_H
#define CHAIN_TEST_X509_COMPARE_H

#include "internal.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline bool x509_same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static inline bool x509_same_bytes(const void *a, size_t la, const void *b, size_t lb)
{
	return la == lb && (la == 0 || memcmp(a, b, la) == 0);
}

/* Every field the search and the checks read. */
static inline const char *x509_fields_differ(const chain__cert *a, const chain__cert *b)
{
	if (a->version != b->version)
		return "version";
	if (a->not_before != b->not_before || a->not_after != b->not_after)
		return "validity";
	if (a->sign_algo != b->sign_algo)
		return "signature algorithm";
	if (a->pk_algo != b->pk_algo || a->pk_bits != b->pk_bits)
		return "public key algorithm or size";
	if (a->self_issued != b->self_issued)
		return "self_issued";
	if (a->has_bc != b->has_bc || a->bc_ca != b->bc_ca || a->path_len != b->path_len)
		return "basicConstraints";
	if (a->has_ku != b->has_ku || a->ku != b->ku)
		return "keyUsage";
	if (!x509_same_bytes(a->ski, a->ski_len, b->ski, b->ski_len))
		return "subjectKeyIdentifier";
	if (!x509_same_bytes(a->aki, a->aki_len, b->aki, b->aki_len) ||
	    a->aki_has_issuer_serial != b->aki_has_issuer_serial)
		return "authorityKeyIdentifier";
	if (a->has_eku != b->has_eku || a->n_eku != b->n_eku)
		return "extKeyUsage";
	for (size_t i = 0; i < a->n_eku; i++)
		if (strcmp(a->eku[i], b->eku[i]) != 0)
			return "extKeyUsage OID";
	if (a->ext_present != b->ext_present || a->ext_critical != b->ext_critical)
		return "extension presence or criticality";
	for (size_t i = 0; i < CHAIN__EXT_COUNT; i++)
		if (CHAIN__HAS(a, i) &&
		    !x509_same_bytes(a->ext[i].p, a->ext[i].len, b->ext[i].p, b->ext[i].len))
			return "extension value";
	if (!x509_same_str(a->unknown_critical, b->unknown_critical))
		return "unknown critical extension";
	if (!x509_same_str(a->malformed, b->malformed))
		return "malformed";
	if ((a->nc == NULL) != (b->nc == NULL))
		return "nameConstraints";
	return NULL;
}

/* names.c's readers against GnuTLS's getters on @gnutls_crt. */
static inline const char *x509_names_differ(const chain__cert *c, gnutls_x509_crt_t crt)
{
	/* A name list that is not DER: libtasn1 may read it otherwise (it passes
	 * over a directoryName's length), so the certificate must be malformed
	 * and its names are not compared. */
	bool san_der = !CHAIN__HAS(c, CHAIN__EXT_SAN) || chain__san_well_formed(c->ext[CHAIN__EXT_SAN]);
	if (!san_der && !c->malformed)
		return "a subjectAltName that is not DER, yet the certificate is not malformed";
	chain__reader r = chain__san_reader(c);
	for (unsigned int i = 0; san_der; i++) {
		unsigned char buf[4096];
		size_t size = sizeof(buf);
		unsigned int type = 0, mine_type = 0;
		chain__slice mine;
		int ret = gnutls_x509_crt_get_subject_alt_name2(crt, i, buf, &size, &type, NULL);
		bool have = chain__san_next(&r, &mine_type, &mine);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
			if (have)
				return "more subjectAltName entries than GnuTLS";
			break;
		}
		if (!have)
			return "fewer subjectAltName entries than GnuTLS";
		if (ret < 0)
			continue;
		if (type != mine_type)
			return "subjectAltName type";
		if ((type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_IPADDRESS ||
		     type == GNUTLS_SAN_URI || type == GNUTLS_SAN_RFC822NAME) &&
		    !x509_same_bytes(buf, size, mine.p, mine.len))
			return "subjectAltName value";
	}
	for (unsigned int idx = 0;; idx++) {
		char theirs[256], mine[256];
		size_t ts = sizeof(theirs), ms = sizeof(mine);
		int ret = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, idx, 0, theirs,
		                                        &ts);
		int got = chain__cert_cn(c, idx, mine, &ms);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return got == CHAIN__CN_END ? NULL : "common name where GnuTLS has none";
		if (got == CHAIN__CN_END)
			return "no common name where GnuTLS has one";
		if ((ret < 0) != (got == CHAIN__CN_SKIP))
			return "common name readable by one side only";
		if (ret >= 0 && !x509_same_bytes(theirs, ts, mine, ms))
			return "common name value";
	}
}

/* dn.c's text of a name against GnuTLS's. */
static inline const char *x509_dn_differs(chain__slice name)
{
	char *mine = chain__dn_string(name), *theirs = chain__dn_string_gnutls(name);
	bool same = x509_same_str(mine, theirs);
	if (!same && getenv("CHAIN_TEST_DUMP"))
		printf("# dn: mine %s, GnuTLS %s\n", mine ? mine : "(none)", theirs ? theirs : "(none)");
	free(mine);
	free(theirs);
	return same ? NULL : "distinguished name text";
}

#endif
