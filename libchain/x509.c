/* libchain's own reader of the common certificate shapes: strict DER, X.509
 * version 3, the signature and key algorithms of the web PKI (RSA PKCS #1
 * v1.5, ECDSA on P-256/P-384/P-521, Ed25519, Ed448), single-valued names of
 * string attributes, and well-formed contents for the extensions libchain
 * reads. It fills the same fields cert.c reads through GnuTLS, without a
 * GnuTLS import (init + import + getters: ~20 us of the ~30 us a bulk scan
 * spends on a row besides the leaf's signature check).
 *
 * Whatever falls outside these shapes returns CHAIN_EPARSE and cert.c reads
 * the certificate with GnuTLS, which then decides it exactly as before:
 * this reader is stricter than GnuTLS everywhere (a shape it is unsure
 * about goes to GnuTLS) and reads each field as GnuTLS's getter would.
 * tests/c/test_x509.c holds it to that on every fixture and on thousands of
 * mutations of them. */
#include "internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define OTHER CHAIN_EPARSE /* a shape this reader leaves to GnuTLS */

#define OID(name, ...) static const unsigned char name[] = {__VA_ARGS__}
OID(oid_rsa, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01);
OID(oid_ec, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01);
OID(oid_ed25519, 0x2b, 0x65, 0x70);
OID(oid_ed448, 0x2b, 0x65, 0x71);
OID(oid_p256, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07);
OID(oid_p384, 0x2b, 0x81, 0x04, 0x00, 0x22);
OID(oid_p521, 0x2b, 0x81, 0x04, 0x00, 0x23);
/* 1.2.840.113549.1.1.x (RSA PKCS #1 v1.5 signatures) and 1.2.840.10045.4.x */
OID(oid_pkcs1, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01);
OID(oid_ecdsa_sha1, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01);
OID(oid_ecdsa_sha2, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03);
OID(oid_ian, 0x55, 0x1d, 0x12); /* issuerAltName: GnuTLS parses it at import */

#define IS(slice, oid) ((slice).len == sizeof(oid) && memcmp((slice).p, oid, sizeof(oid)) == 0)

static bool starts(chain__slice s, const unsigned char *prefix, size_t len)
{
	return s.len == len + 1 && memcmp(s.p, prefix, len) == 0;
}

/* ---- primitives ------------------------------------------------------------- */

static bool minimal_oid(chain__slice oid)
{
	char text[128];
	return chain__oid_text(oid, text, sizeof(text));
}

/* A minimally encoded INTEGER that is not negative; *value when it fits. */
static bool unsigned_int(chain__slice v, bool *fits, unsigned long long *value)
{
	if (v.len == 0 || (v.p[0] & 0x80) || (v.len > 1 && v.p[0] == 0 && !(v.p[1] & 0x80)))
		return false;
	*fits = v.len - (v.p[0] == 0) <= 4;
	*value = 0;
	for (size_t i = 0; *fits && i < v.len; i++)
		*value = (*value << 8) | v.p[i];
	return true;
}

static bool true_boolean(chain__slice v)
{
	return v.len == 1 && v.p[0] == 0xff; /* DER: FALSE is omitted, TRUE is 0xff */
}

/* Name ::= SEQUENCE OF RDN, each RDN one AttributeTypeAndValue whose value
 * is a primitive string type. (Multi-valued RDNs would need DER's SET OF
 * ordering checked: GnuTLS reads those.) */
static bool plain_name(chain__slice name)
{
	chain__slice rdns, rdn, atv, oid, value;
	unsigned char tag;

	if (!chain__der_only(name, 0x30, &rdns))
		return false;
	for (chain__reader r = chain__reader_of(rdns); !chain__reader_done(&r);) {
		if (!chain__reader_tlv(&r, &tag, &rdn) || tag != 0x31 ||
		    !chain__der_only(rdn, 0x30, &atv))
			return false;
		chain__reader a = chain__reader_of(atv);
		if (!chain__reader_tlv(&a, &tag, &oid) || tag != 0x06 || !minimal_oid(oid) ||
		    !chain__reader_tlv(&a, &tag, &value) || !chain__reader_done(&a))
			return false;
		switch (tag) {
		case 0x0c: case 0x12: case 0x13: case 0x14: case 0x16: case 0x1a: case 0x1c: case 0x1e:
			break; /* UTF8, Numeric, Printable, Teletex, IA5, Visible, Universal, BMP */
		default:
			return false;
		}
	}
	return true;
}

/* ---- algorithms ---------------------------------------------------------- */

/* AlgorithmIdentifier content: the OID, and whether parameters are NULL
 * (true), absent (false), or anything else (refused). */
static bool algorithm(chain__slice alg, chain__slice *oid, bool *null_params)
{
	chain__reader r = chain__reader_of(alg);
	chain__slice params;
	unsigned char tag;

	if (!chain__reader_tlv(&r, &tag, oid) || tag != 0x06)
		return false;
	*null_params = false;
	if (chain__reader_done(&r))
		return true;
	*null_params = true;
	return chain__reader_tlv(&r, &tag, &params) && tag == 0x05 && params.len == 0 &&
	       chain__reader_done(&r);
}

/* GnuTLS declares gnutls_oid_to_sign() __attribute__((const)), as if its
 * result depended on the pointer alone: GCC 12 at -O2 then called it before
 * the text was written (valgrind saw it read uninitialised bytes). Through
 * a volatile pointer the call carries no such attribute. */
static gnutls_sign_algorithm_t (*volatile oid_to_sign)(const char *) = gnutls_oid_to_sign;

gnutls_sign_algorithm_t chain__sign_algorithm(chain__slice alg)
{
	chain__slice oid;
	bool null_params;
	char text[64];

	if (!algorithm(alg, &oid, &null_params))
		return GNUTLS_SIGN_UNKNOWN;
	bool pkcs1 = starts(oid, oid_pkcs1, sizeof(oid_pkcs1)) &&
	             (oid.p[8] == 4 || oid.p[8] == 5 || (oid.p[8] >= 11 && oid.p[8] <= 14));
	bool ecdsa = IS(oid, oid_ecdsa_sha1) ||
	             (starts(oid, oid_ecdsa_sha2, sizeof(oid_ecdsa_sha2)) && oid.p[7] >= 1 &&
	              oid.p[7] <= 4);
	bool eddsa = IS(oid, oid_ed25519) || IS(oid, oid_ed448);
	if (!(pkcs1 && null_params) && !((ecdsa || eddsa) && !null_params))
		return GNUTLS_SIGN_UNKNOWN;
	if (!chain__oid_text(oid, text, sizeof(text)))
		return GNUTLS_SIGN_UNKNOWN;
	return oid_to_sign(text);
}

static int read_signature_algorithm(chain__cert *c, chain__slice alg)
{
	c->sign_algo = chain__sign_algorithm(alg);
	return c->sign_algo == GNUTLS_SIGN_UNKNOWN ? OTHER : CHAIN_OK;
}

/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
static bool rsa_bits(chain__slice key, unsigned int *bits)
{
	chain__slice seq, n, e;
	unsigned char tag;
	unsigned long long ignored;
	bool fits;

	if (!chain__der_only(key, 0x30, &seq))
		return false;
	chain__reader r = chain__reader_of(seq);
	if (!chain__reader_tlv(&r, &tag, &n) || tag != 0x02 || !unsigned_int(n, &fits, &ignored) ||
	    !chain__reader_tlv(&r, &tag, &e) || tag != 0x02 || !unsigned_int(e, &fits, &ignored) ||
	    !chain__reader_done(&r))
		return false;
	const unsigned char *p = n.p + (n.p[0] == 0);
	size_t len = n.len - (n.p[0] == 0);
	if (len == 0 || len > 2048)
		return false;
	unsigned int top = 8;
	while (top > 0 && !(p[0] & (1u << (top - 1))))
		top--;
	*bits = (unsigned int)(len - 1) * 8 + top;
	return true;
}

static int read_public_key(chain__cert *c)
{
	chain__slice spki, alg, key, oid, curve;
	unsigned char tag;
	bool null_params = false;

	if (!chain__der_only(c->parts.spki, 0x30, &spki))
		return OTHER;
	chain__reader r = chain__reader_of(spki);
	if (!chain__reader_tlv(&r, &tag, &alg) || tag != 0x30 || !chain__reader_tlv(&r, &tag, &key) ||
	    tag != 0x03 || !chain__reader_done(&r) || key.len < 2 || key.p[0] != 0)
		return OTHER;
	key = (chain__slice){key.p + 1, key.len - 1}; /* whole octets only */

	chain__reader a = chain__reader_of(alg);
	if (!chain__reader_tlv(&a, &tag, &oid) || tag != 0x06)
		return OTHER;
	if (IS(oid, oid_rsa)) {
		if (!algorithm(alg, &oid, &null_params) || !null_params || !rsa_bits(key, &c->pk_bits))
			return OTHER;
		c->pk_algo = GNUTLS_PK_RSA;
		return CHAIN_OK;
	}
	gnutls_ecc_curve_t ecc;
	size_t point; /* octets of the key */
	if (IS(oid, oid_ec)) {
		if (!chain__reader_tlv(&a, &tag, &curve) || tag != 0x06 || !chain__reader_done(&a))
			return OTHER;
		if (IS(curve, oid_p256))
			ecc = GNUTLS_ECC_CURVE_SECP256R1;
		else if (IS(curve, oid_p384))
			ecc = GNUTLS_ECC_CURVE_SECP384R1;
		else if (IS(curve, oid_p521))
			ecc = GNUTLS_ECC_CURVE_SECP521R1;
		else
			return OTHER;
		/* An uncompressed point: 0x04 || X || Y */
		point = 1 + 2 * (size_t)gnutls_ecc_curve_get_size(ecc);
		if (key.len != point || key.p[0] != 0x04)
			return OTHER;
		c->pk_algo = GNUTLS_PK_ECDSA;
	} else if (IS(oid, oid_ed25519) || IS(oid, oid_ed448)) {
		bool ed25519 = IS(oid, oid_ed25519);
		ecc = ed25519 ? GNUTLS_ECC_CURVE_ED25519 : GNUTLS_ECC_CURVE_ED448;
		if (!chain__reader_done(&a) || key.len != (size_t)gnutls_ecc_curve_get_size(ecc))
			return OTHER;
		c->pk_algo = ed25519 ? GNUTLS_PK_EDDSA_ED25519 : GNUTLS_PK_EDDSA_ED448;
	} else {
		return OTHER;
	}
	c->pk_bits = (unsigned int)gnutls_ecc_curve_get_size(ecc) * 8;
	return CHAIN_OK;
}

/* ---- extensions ---------------------------------------------------------- */

/* BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL } */
static bool read_basic_constraints(chain__cert *c, chain__slice value)
{
	chain__slice seq, v;
	unsigned char tag;
	unsigned long long len;
	bool fits;

	if (!chain__der_only(value, 0x30, &seq))
		return false;
	chain__reader r = chain__reader_of(seq);
	c->has_bc = true;
	if (chain__reader_done(&r))
		return true;
	if (!chain__reader_tlv(&r, &tag, &v))
		return false;
	if (tag == 0x01) {
		if (!true_boolean(v))
			return false;
		c->bc_ca = true;
		if (chain__reader_done(&r))
			return true;
		if (!chain__reader_tlv(&r, &tag, &v))
			return false;
	}
	if (tag != 0x02 || !unsigned_int(v, &fits, &len) || !fits || len > INT_MAX ||
	    !chain__reader_done(&r))
		return false;
	if (c->bc_ca)
		c->path_len = (int)len; /* GnuTLS's reading: a pathLen only counts on a CA */
	return true;
}

/* KeyUsage ::= BIT STRING, as GnuTLS reports it: the first octet's bits,
 * and decipherOnly (the ninth bit) as 0x8000. */
static bool read_key_usage(chain__cert *c, chain__slice value)
{
	chain__slice bits;
	if (!chain__der_only(value, 0x03, &bits) || bits.len < 2 || bits.len > 3 || bits.p[0] > 7)
		return false;
	c->has_ku = true;
	c->ku = bits.p[1] | (bits.len > 2 ? (unsigned int)bits.p[2] << 8 : 0);
	return true;
}

/* SubjectKeyIdentifier ::= OCTET STRING; GnuTLS's getter (64-octet buffer in
 * cert.c) gives nothing for one that does not decode or fit. */
/* AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0], authorityCertIssuer
 * [1], authorityCertSerialNumber [2] }, read from the extension's DER in one
 * pass: the key id for issuer lookup, and whether the other two are there
 * for the conformance rules. An AKI without key id is absence, not damage
 * (as GnuTLS's getter, which refuses it, would leave it). */
void chain__read_aki(chain__cert *c, chain__slice value)
{
	size_t n = 0;
	chain__slice kids[4];

	if (chain__der_children(value.p, value.len, kids, 4, &n) < 0)
		return;
	for (size_t i = 0; i < n && i < 4; i++) {
		const unsigned char *p = kids[i].p;
		chain__slice tlv, id;
		unsigned char tag;
		if (p[0] == 0xa1 || p[0] == 0x82)
			c->aki_has_issuer_serial = true;
		else if (p[0] == 0x80 && chain__der_read(&p, kids[i].p + kids[i].len, &tag, &tlv, &id) &&
		         id.len <= sizeof(c->aki)) {
			memcpy(c->aki, id.p, id.len);
			c->aki_len = id.len;
		}
	}
}

static void read_ski(chain__cert *c, chain__slice value)
{
	chain__slice id;
	if (chain__der_only(value, 0x04, &id) && id.len <= sizeof(c->ski)) {
		memcpy(c->ski, id.p, id.len);
		c->ski_len = id.len;
	}
}

/* ExtKeyUsageSyntax ::= SEQUENCE OF KeyPurposeId, as dotted OIDs. */
static int read_eku_value(chain__cert *c, chain__slice value)
{
	chain__slice seq, oid;
	unsigned char tag;
	char text[128];

	if (!chain__der_only(value, 0x30, &seq))
		return OTHER;
	for (chain__reader r = chain__reader_of(seq); !chain__reader_done(&r);) {
		if (!chain__reader_tlv(&r, &tag, &oid) || tag != 0x06 ||
		    !chain__oid_text(oid, text, sizeof(text)))
			return OTHER;
		if (chain__grow(&c->eku, &c->cap_eku, c->n_eku, sizeof(*c->eku)) < 0 ||
		    !(c->eku[c->n_eku] = strdup(text)))
			return CHAIN_ENOMEM;
		c->n_eku++;
		c->has_eku = true;
	}
	return CHAIN_OK;
}

static bool printable_ascii(chain__slice v)
{
	for (size_t i = 0; i < v.len; i++)
		if (v.p[i] < 0x21 || v.p[i] > 0x7e)
			return false;
	return v.len > 0;
}

/* GeneralNames of the kinds the checks read, each plainly encoded: GnuTLS
 * decodes the subjectAltName at import, and anything unusual is its call. */
static bool plain_general_names(chain__slice value)
{
	chain__slice seq, name;
	unsigned char tag;

	if (!chain__der_only(value, 0x30, &seq) || seq.len == 0)
		return false;
	for (chain__reader r = chain__reader_of(seq); !chain__reader_done(&r);) {
		if (!chain__reader_tlv(&r, &tag, &name))
			return false;
		switch (tag) {
		case 0x81: case 0x82: case 0x86: /* rfc822Name, dNSName, URI: IA5String */
			if (!printable_ascii(name))
				return false;
			break;
		case 0x87: /* iPAddress */
			if (name.len != 4 && name.len != 16)
				return false;
			break;
		default: /* directoryName too: GnuTLS formats it at import, and refuses some */
			return false;
		}
	}
	return true;
}

/* Decode the contents of the known extensions, in cert.c's order. */
static int read_known(chain__cert *c)
{
	if (CHAIN__HAS(c, CHAIN__EXT_BC) && !read_basic_constraints(c, c->ext[CHAIN__EXT_BC]))
		return OTHER;
	if (CHAIN__HAS(c, CHAIN__EXT_KU) && !read_key_usage(c, c->ext[CHAIN__EXT_KU]))
		return OTHER;
	if (CHAIN__HAS(c, CHAIN__EXT_SAN) && !plain_general_names(c->ext[CHAIN__EXT_SAN]))
		return OTHER;
	if (CHAIN__HAS(c, CHAIN__EXT_SKI))
		read_ski(c, c->ext[CHAIN__EXT_SKI]);
	if (CHAIN__HAS(c, CHAIN__EXT_AKI))
		chain__read_aki(c, c->ext[CHAIN__EXT_AKI]);
	if (CHAIN__HAS(c, CHAIN__EXT_NC)) {
		char *problem = NULL;
		if (chain__nc_parse(&c->nc, c->ext[CHAIN__EXT_NC], CHAIN__CRITICAL(c, CHAIN__EXT_NC),
		                    &problem) < 0)
			return CHAIN_ENOMEM;
		c->malformed = problem;
	}
	return CHAIN__HAS(c, CHAIN__EXT_EKU) ? read_eku_value(c, c->ext[CHAIN__EXT_EKU]) : CHAIN_OK;
}

static int note_extension_der(chain__cert *c, chain__slice oid, bool critical, chain__slice value)
{
	for (size_t i = 0; i < CHAIN__EXT_COUNT; i++) {
		const chain__known_ext *k = &chain__known_extensions[i];
		if (oid.len == k->der_len && memcmp(oid.p, k->der, k->der_len) == 0) {
			c->ext_present |= 1u << k->bit;
			c->ext_critical |= (unsigned int)critical << k->bit;
			c->ext[k->bit] = value;
			if (!critical || k->handled)
				return CHAIN_OK;
			break;
		}
	}
	if (IS(oid, oid_ian))
		return OTHER;
	char text[128];
	if (!chain__oid_text(oid, text, sizeof(text)))
		return OTHER;
	if (critical && !c->unknown_critical && !(c->unknown_critical = strdup(text)))
		return CHAIN_ENOMEM;
	return CHAIN_OK;
}

/* Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension, each at most once. */
static int read_extensions(chain__cert *c, chain__slice explicit)
{
	chain__slice list, ext, oid, v, value, seen[64];
	unsigned char tag;
	size_t n = 0;

	if (!chain__der_only(explicit, 0x30, &list) || list.len == 0)
		return OTHER;
	for (chain__reader r = chain__reader_of(list); !chain__reader_done(&r);) {
		if (!chain__reader_tlv(&r, &tag, &ext) || tag != 0x30 || n == 64)
			return OTHER;
		chain__reader e = chain__reader_of(ext);
		bool critical = false;
		if (!chain__reader_tlv(&e, &tag, &oid) || tag != 0x06 || !chain__reader_tlv(&e, &tag, &v))
			return OTHER;
		if (tag == 0x01) {
			if (!true_boolean(v) || !chain__reader_tlv(&e, &tag, &v))
				return OTHER;
			critical = true;
		}
		if (tag != 0x04 || !chain__reader_done(&e))
			return OTHER;
		value = v;
		for (size_t i = 0; i < n; i++)
			if (chain__same_slice(seen[i], oid))
				return OTHER; /* a duplicate: GnuTLS's reading names it */
		seen[n++] = oid;
		int ret = note_extension_der(c, oid, critical, value);
		if (ret != CHAIN_OK)
			return ret;
	}
	return read_known(c);
}

/* ---- the certificate ------------------------------------------------------ */

/* The outer signatureAlgorithm, which follows the TBS in the DER. */
static bool outer_algorithm(const chain__cert *c, chain__slice *tlv)
{
	const unsigned char *p = c->parts.tbs.p + c->parts.tbs.len, *end = c->der + c->der_len;
	chain__slice content;
	unsigned char tag;
	return chain__der_read(&p, end, &tag, tlv, &content) && tag == 0x30;
}

static bool serial_ok(chain__slice v)
{
	/* Minimal two's complement, as strict DER wants (negative ones too:
	 * conform.c refuses those, with a reason). */
	return v.len > 0 && !(v.len > 1 && ((v.p[0] == 0 && !(v.p[1] & 0x80)) ||
	                                    (v.p[0] == 0xff && (v.p[1] & 0x80))));
}

int chain__x509_read(chain__cert *c)
{
	chain__slice tbs, f, tlv, outer, alg, validity;
	unsigned char tag;

	if (!chain__der_only(c->parts.tbs, 0x30, &tbs) || !outer_algorithm(c, &outer))
		return OTHER;
	chain__reader r = chain__reader_of(tbs);
	/* version [0] EXPLICIT INTEGER v3 */
	if (!chain__reader_tlv(&r, &tag, &f) || tag != 0xa0 || f.len != 3 ||
	    memcmp(f.p, "\x02\x01\x02", 3) != 0)
		return OTHER;
	c->version = 3;
	if (!chain__reader_tlv(&r, &tag, &f) || tag != 0x02 || !serial_ok(f))
		return OTHER;
	/* signature: the same AlgorithmIdentifier as outside (RFC 5280 4.1.1.2) */
	if (!chain__der_read(&r.p, r.end, &tag, &tlv, &alg) || tag != 0x30 ||
	    !chain__same_slice(tlv, outer) || read_signature_algorithm(c, alg) != CHAIN_OK)
		return OTHER;
	if (!chain__der_read(&r.p, r.end, &tag, &tlv, &f) || !chain__same_slice(tlv, c->parts.issuer) ||
	    !plain_name(tlv))
		return OTHER;
	if (!chain__reader_tlv(&r, &tag, &validity) || tag != 0x30)
		return OTHER;
	chain__reader v = chain__reader_of(validity);
	if (!chain__der_time(&v, &c->not_before) || !chain__der_time(&v, &c->not_after) || !chain__reader_done(&v))
		return OTHER;
	if (!chain__der_read(&r.p, r.end, &tag, &tlv, &f) || !chain__same_slice(tlv, c->parts.subject) ||
	    !plain_name(tlv))
		return OTHER;
	if (!chain__der_read(&r.p, r.end, &tag, &tlv, &f) || !chain__same_slice(tlv, c->parts.spki) ||
	    read_public_key(c) != CHAIN_OK)
		return OTHER;
	c->self_issued = chain__same_slice(c->parts.subject, c->parts.issuer);
	if (chain__reader_done(&r))
		return CHAIN_OK;
	/* issuerUniqueID [1] and subjectUniqueID [2] are left to GnuTLS. */
	if (!chain__reader_tlv(&r, &tag, &f) || tag != 0xa3 || !chain__reader_done(&r))
		return OTHER;
	return read_extensions(c, f);
}
