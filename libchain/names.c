/* A certificate's names as hostname.c and conform.c read them: the
 * subjectAltName entries and the subject's common names, from the DER. */
#include "internal.h"

#include <string.h>

/* GeneralName context tags (RFC 5280 4.2.1.6) and the GnuTLS names for them. */
static unsigned int san_type(unsigned char tag)
{
	switch (tag) {
	case 0xa0: return GNUTLS_SAN_OTHERNAME;
	case 0x81: return GNUTLS_SAN_RFC822NAME;
	case 0x82: return GNUTLS_SAN_DNSNAME;
	case 0xa4: return GNUTLS_SAN_DN;
	case 0x86: return GNUTLS_SAN_URI;
	case 0x87: return GNUTLS_SAN_IPADDRESS;
	case 0x88: return GNUTLS_SAN_REGISTERED_ID;
	default: return 0;
	}
}

chain__reader chain__san_reader(const chain__cert *c)
{
	chain__slice names = {NULL, 0};
	if (CHAIN__HAS(c, CHAIN__EXT_SAN) && !chain__der_only(c->ext[CHAIN__EXT_SAN], 0x30, &names))
		names = (chain__slice){NULL, 0};
	return chain__reader_of(names);
}

bool chain__san_next(chain__reader *r, unsigned int *type, chain__slice *value)
{
	unsigned char tag;
	if (chain__reader_done(r) || !chain__reader_tlv(r, &tag, value))
		return false;
	*type = san_type(tag);
	return true;
}

/* id-at-commonName */
static const unsigned char oid_cn[] = {0x55, 0x04, 0x03};

/* A value GnuTLS's getter hands back byte for byte: a UTF8String or
 * PrintableString (the 8-bit choices of X520CommonName) of printable ASCII
 * that its RFC 4514 escaping leaves alone (no ,+"\<>; anywhere, no # or
 * space first, no space last). Anything else goes through GnuTLS itself. */
static bool plain_text(unsigned char tag, chain__slice v)
{
	if ((tag != 0x0c && tag != 0x13) || v.len == 0)
		return false;
	for (size_t i = 0; i < v.len; i++)
		if (v.p[i] < 0x20 || v.p[i] > 0x7e || chain__dn_escaped(v, i))
			return false;
	return true;
}

static int cn_from_gnutls(const chain__cert *c, unsigned int idx, char *buf, size_t *size)
{
	gnutls_x509_crt_t crt;
	chain__cert_crt_acquire(c, NULL, &crt, NULL);
	/* No object: out of memory (GnuTLS imports every certificate read here). */
	int ret = crt ? gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, idx, 0, buf,
	                                              size)
	              : GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE;
	chain__cert_crt_release(c, NULL);
	if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return CHAIN__CN_END;
	return ret < 0 ? CHAIN__CN_SKIP : CHAIN__CN_OK;
}

int chain__cert_cn(const chain__cert *c, unsigned int idx, char *buf, size_t *size)
{
	chain__slice rdns, rdn, atv, oid, value;
	unsigned char tag;
	unsigned int seen = 0;

	if (!chain__der_only(c->parts.subject, 0x30, &rdns))
		return cn_from_gnutls(c, idx, buf, size);
	for (chain__reader r = chain__reader_of(rdns); !chain__reader_done(&r);) {
		if (!chain__reader_tlv(&r, &tag, &rdn) || tag != 0x31)
			return cn_from_gnutls(c, idx, buf, size);
		for (chain__reader a = chain__reader_of(rdn); !chain__reader_done(&a);) {
			if (!chain__reader_tlv(&a, &tag, &atv) || tag != 0x30)
				return cn_from_gnutls(c, idx, buf, size);
			chain__reader f = chain__reader_of(atv);
			if (!chain__reader_tlv(&f, &tag, &oid) || tag != 0x06 ||
			    !chain__reader_tlv(&f, &tag, &value))
				return cn_from_gnutls(c, idx, buf, size);
			if (oid.len != sizeof(oid_cn) || memcmp(oid.p, oid_cn, sizeof(oid_cn)) != 0 ||
			    seen++ != idx)
				continue;
			if (!plain_text(tag, value))
				return cn_from_gnutls(c, idx, buf, size);
			if (value.len + 1 > *size)
				return CHAIN__CN_SKIP;
			memcpy(buf, value.p, value.len);
			buf[value.len] = '\0';
			*size = value.len;
			return CHAIN__CN_OK;
		}
	}
	return CHAIN__CN_END;
}
