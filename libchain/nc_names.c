/* Name constraints applied to a certificate: each of its names (subject,
 * subjectAltName entries, emailAddress attributes, and on a leaf the common
 * names a host name may be matched against) checked against a CA's parsed
 * constraints (nc.c). */
#include "internal.h"

#include <string.h>

#define MAX_DNS CHAIN__DNS_MAX
/* Names x subtrees: OpenSSL's bound. */
#define MAX_COMPARISONS (1u << 20)

enum { GN_EMAIL = CHAIN__GN_EMAIL, GN_DNS = CHAIN__GN_DNS, GN_DIR = CHAIN__GN_DIR };

/* The attribute types read from the subject, as DER OBJECT IDENTIFIER contents. */
static const chain__slice oid_common_name = {(const unsigned char *)"\x55\x04\x03", 3};
static const chain__slice oid_email_address = {
	(const unsigned char *)"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01", 9};

/* The GeneralNames of a subjectAltName (the SEQUENCE's content); an unknown
 * GeneralName tag or broken DER fails. */
static bool sans_permitted(const chain__nc *nc, chain__slice names, bool *has_dns)
{
	chain__slice name;
	unsigned char tag;

	for (chain__reader r = chain__reader_of(names); !chain__reader_done(&r);) {
		int type = chain__reader_tlv(&r, &tag, &name) ? chain__nc_gn_type(tag) : -1;
		*has_dns = *has_dns || type == GN_DNS;
		if (type < 0 || !chain__nc_name_permitted(nc, (unsigned int)type, name))
			return false;
	}
	return true;
}

/* An attribute value as ASCII: the 8-bit string types as they are, BMP and
 * Universal strings when every character is ASCII (GnuTLS would hand
 * hostname.c their UTF-8). False for anything else. */
static bool attr_text(unsigned char tag, chain__slice v, unsigned char *buf, size_t cap,
                      chain__slice *out)
{
	size_t width = tag == 0x1e ? 2 : tag == 0x1c ? 4 : 1;

	if (width == 1) {
		*out = v;
		return tag == 0x0c || tag == 0x13 || tag == 0x14 || tag == 0x16;
	}
	if (v.len % width || v.len / width > cap)
		return false;
	for (size_t i = 0; i < v.len / width; i++) {
		const unsigned char *ch = v.p + i * width;
		for (size_t k = 0; k + 1 < width; k++)
			if (ch[k])
				return false;
		if ((buf[i] = ch[width - 1]) >= 0x80)
			return false;
	}
	*out = (chain__slice){buf, v.len / width};
	return true;
}

/* The attributes of type @oid in one RDN as names of @type (see below). */
static bool rdn_permitted(const chain__nc *nc, chain__slice rdn, chain__slice oid,
                          unsigned int type)
{
	unsigned char buf[MAX_DNS + 2], tag;
	chain__slice atv, id, value, name;

	for (chain__reader a = chain__reader_of(rdn); !chain__reader_done(&a);) {
		if (!chain__reader_tlv(&a, &tag, &atv))
			return false;
		chain__reader f = chain__reader_of(atv);
		if (!chain__reader_tlv(&f, &tag, &id) || tag != 0x06 || !chain__reader_tlv(&f, &tag, &value))
			return false;
		if (!chain__same_slice(id, oid))
			continue;
		bool text = attr_text(tag, value, buf, sizeof(buf), &name);
		if (type == GN_DNS && (!text || !memchr(name.p, '.', name.len) ||
		                       !chain__nc_dns_name(name)))
			continue;
		if (!text || !chain__nc_name_permitted(nc, type, name))
			return false;
	}
	return true;
}

/* Subject attributes as names: emailAddress for rfc822Name subtrees (RFC
 * 5280 4.2.1.10), and on a leaf without dNSName SAN each common name that
 * looks like a DNS name (what cn_fallback may match: never intermediates).
 * Read from the DER: GnuTLS's getter rescans the DN for each index. */
static bool attrs_permitted(const chain__nc *nc, chain__slice rdns, chain__slice oid,
                            unsigned int type)
{
	chain__slice rdn;
	unsigned char tag;

	for (chain__reader r = chain__reader_of(rdns); !chain__reader_done(&r);)
		if (!chain__reader_tlv(&r, &tag, &rdn) || !rdn_permitted(nc, rdn, oid, type))
			return false;
	return true;
}

/* Under cn_fallback, hostname.c may match any common name of a leaf without
 * a DNS or IP SAN, dotted or not ("localhost"): each one it could match (as
 * it reads them, chain__cert_cn(); a valid host name once one trailing dot
 * is dropped) must lie within the DNS constraints. */
static bool fallback_cns_permitted(const chain__nc *nc, const chain__cert *cert)
{
	for (unsigned int i = 0;; i++) {
		char buf[MAX_DNS + 2];
		size_t size = sizeof(buf);
		int ret = chain__cert_cn(cert, i, buf, &size);
		if (ret == CHAIN__CN_END)
			return true;
		chain__slice cn = {(const unsigned char *)buf, size};
		/* hostname.c never matches a wildcard common name */
		if (ret == CHAIN__CN_OK && !memchr(buf, '*', size) && chain__nc_dns_name(cn) &&
		    !chain__nc_name_permitted(nc, GN_DNS, cn))
			return false;
	}
}

static size_t count_tlvs(chain__slice s)
{
	chain__slice content;
	unsigned char tag;
	size_t n = 0;

	for (chain__reader r = chain__reader_of(s); !chain__reader_done(&r) && chain__reader_tlv(&r, &tag, &content);)
		n++;
	return n;
}

/* Names x subtrees beyond OpenSSL's bound (2^20) fail rather than cost
 * quadratic time (x509-limbo pathological::nc-dos-*). */
static bool within_budget(const chain__nc *nc, chain__slice rdns, chain__slice names)
{
	return count_tlvs(rdns) + count_tlvs(names) <= MAX_COMPARISONS / chain__nc_count(nc);
}

bool chain__nc_permits(const chain__nc *nc, const chain__cert *cert, bool is_leaf,
                       bool cn_fallback)
{
	chain__slice rdns, names = {NULL, 0};
	bool has_dns = false;

	if (!nc)
		return true;
	bool has_san = CHAIN__HAS(cert, CHAIN__EXT_SAN);
	/* RFC 5280: directoryName subtrees apply to a non-empty subject. */
	bool ok = chain__der_only(cert->parts.subject, 0x30, &rdns) &&
	          (!has_san || chain__der_only(cert->ext[CHAIN__EXT_SAN], 0x30, &names)) &&
	          within_budget(nc, rdns, names) &&
	          (rdns.len == 0 || chain__nc_name_permitted(nc, GN_DIR, cert->parts.subject)) &&
	          sans_permitted(nc, names, &has_dns) &&
	          (!chain__nc_constrains(nc, GN_EMAIL) ||
	           attrs_permitted(nc, rdns, oid_email_address, GN_EMAIL)) &&
	          (!is_leaf || has_dns || !chain__nc_constrains(nc, GN_DNS) ||
	           (attrs_permitted(nc, rdns, oid_common_name, GN_DNS) &&
	            (!cn_fallback || fallback_cns_permitted(nc, cert))));
	return ok;
}
