/* Structural conformance of the path's certificates: the MUSTs of RFC 5280
 * that a well-formed certificate meets, and, when the purpose is TLS server
 * authentication, the CA/Browser Forum Baseline Requirements' profile of
 * subscriber and root certificates. Applied under a strict policy (the
 * default; chain_policy_set_strict()). Each rule names its section. */
#include "internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <libpsl.h>
#include <string.h>
#include <strings.h>

typedef struct {
	chain__problems *out;
	const chain__path *path;
	const chain_policy *policy;
	int ret;
} conf;

#define FLAG(k, reason, depth, ...)                                                       \
	do {                                                                              \
		if ((k)->ret == CHAIN_OK)                                                 \
			(k)->ret = chain__problems_add((k)->out, reason, (int)(depth),    \
			                               __VA_ARGS__);                      \
	} while (0)
#define NONCONFORMING(k, depth, ...) FLAG(k, CHAIN_REASON_NONCONFORMING, depth, __VA_ARGS__)

static const chain__cert *at(const conf *k, size_t i)
{
	return k->path->nodes[i].cert;
}

static bool is_anchor(const conf *k, size_t i)
{
	return k->path->end == CHAIN__END_ANCHOR && i + 1 == k->path->len;
}

static bool empty_name(chain__slice name)
{
	return name.len == 2; /* SEQUENCE {} */
}

/* RFC 5280 4.1.2.2: a positive INTEGER of at most 20 octets. */
static void check_serial(conf *k, size_t i)
{
	chain__slice s = chain__der_value(at(k, i)->parts.serial);
	const unsigned char *v = s.p;
	size_t len = s.len;
	bool zero = true;

	for (size_t j = 0; j < len; j++)
		zero = zero && v[j] == 0;
	if (len == 0 || (v[0] & 0x80))
		NONCONFORMING(k, i, "serial number is negative (RFC 5280 4.1.2.2)");
	else if (zero)
		NONCONFORMING(k, i, "serial number is zero (RFC 5280 4.1.2.2)");
	else if (len - (v[0] == 0) > 20)
		NONCONFORMING(k, i, "serial number longer than 20 octets (RFC 5280 4.1.2.2)");
}

static void check_key_ids(conf *k, size_t i)
{
	const chain__cert *c = at(k, i);
	if (!c->self_issued && !c->aki_len && !is_anchor(k, i))
		NONCONFORMING(k, i, "no authorityKeyIdentifier key identifier (RFC 5280 4.2.1.1)");
	if (CHAIN__CRITICAL(c, CHAIN__EXT_AKI))
		NONCONFORMING(k, i, "authorityKeyIdentifier is critical (RFC 5280 4.2.1.1)");
	if (c->bc_ca && !c->ski_len)
		NONCONFORMING(k, i, "CA certificate without subjectKeyIdentifier (RFC 5280 4.2.1.2)");
	if (CHAIN__CRITICAL(c, CHAIN__EXT_SKI))
		NONCONFORMING(k, i, "subjectKeyIdentifier is critical (RFC 5280 4.2.1.2)");
}

static void check_ca_structure(conf *k, size_t i)
{
	const chain__cert *c = at(k, i);
	if (c->bc_ca && !CHAIN__CRITICAL(c, CHAIN__EXT_BC))
		NONCONFORMING(k, i, "basicConstraints of a CA certificate is not critical (RFC 5280 4.2.1.9)");
	if (c->has_ku && (c->ku & GNUTLS_KEY_KEY_CERT_SIGN) && !c->bc_ca)
		FLAG(k, CHAIN_REASON_KEY_USAGE, i, "keyCertSign without basicConstraints cA (RFC 5280 4.2.1.3)");
	if (empty_name(c->parts.subject)) {
		if (c->bc_ca)
			NONCONFORMING(k, i, "CA certificate with an empty subject (RFC 5280 4.1.2.6)");
		else if (!CHAIN__HAS(c, CHAIN__EXT_SAN) || !CHAIN__CRITICAL(c, CHAIN__EXT_SAN))
			NONCONFORMING(k, i, "empty subject without a critical subjectAltName (RFC 5280 4.2.1.6)");
	}
	if (CHAIN__HAS(c, CHAIN__EXT_EKU) && c->n_eku == 0)
		NONCONFORMING(k, i, "extKeyUsage lists no purpose (RFC 5280 4.2.1.12)");
	if (CHAIN__HAS(c, CHAIN__EXT_PC) && !CHAIN__CRITICAL(c, CHAIN__EXT_PC))
		NONCONFORMING(k, i, "policyConstraints is not critical (RFC 5280 4.2.1.11)");
	if (CHAIN__CRITICAL(c, CHAIN__EXT_AIA))
		NONCONFORMING(k, i, "authorityInfoAccess is critical (RFC 5280 4.2.2.1)");
}

/* RFC 5280 4.2.2.1: AuthorityInfoAccessSyntax is SEQUENCE SIZE (1..MAX) OF
 * AccessDescription (itself a SEQUENCE). */
static void check_aia(conf *k, size_t i)
{
	const chain__cert *c = at(k, i);
	chain__slice aia = c->ext[CHAIN__EXT_AIA], kids[16];
	size_t n = 0;

	if (!CHAIN__HAS(c, CHAIN__EXT_AIA))
		return;
	if (chain__der_children(aia.p, aia.len, kids, 16, &n) < 0 || n == 0) {
		NONCONFORMING(k, i, "malformed authorityInfoAccess (RFC 5280 4.2.2.1)");
		return;
	}
	for (size_t j = 0; j < n && j < 16; j++)
		if (kids[j].p[0] != 0x30) {
			NONCONFORMING(k, i, "malformed authorityInfoAccess (RFC 5280 4.2.2.1)");
			return;
		}
}

/* RFC 5280 4.2.1.6 / RFC 1034 preferred name syntax, with a leading "*." allowed. */
static bool valid_dns_name(const char *s, size_t len)
{
	if (len >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		len -= 2;
	}
	if (len == 0 || len > 253)
		return false;
	size_t label = 0;
	for (size_t j = 0; j < len; j++) {
		char ch = s[j];
		if (ch == '.') {
			if (label == 0 || s[j - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		          (ch == '-' && label > 0);
		if (!ok || ++label > 63)
			return false;
	}
	return label > 0 && s[len - 1] != '-';
}

/* Call @fn for each SAN entry of @c until it returns true. */
static bool san_any(const chain__cert *c, bool (*fn)(unsigned int type, const char *v, size_t len,
                                                     const void *arg),
                    const void *arg)
{
	chain__reader r = chain__san_reader(c);
	chain__slice value;
	unsigned int type;

	while (chain__san_next(&r, &type, &value))
		if (fn(type, (const char *)value.p, value.len, arg))
			return true;
	return false;
}

static bool invalid_dns(unsigned int type, const char *v, size_t len, const void *arg)
{
	(void)arg;
	return type == GNUTLS_SAN_DNSNAME && !valid_dns_name(v, len);
}

static void check_leaf_names(conf *k)
{
	if (san_any(at(k, 0), invalid_dns, NULL))
		NONCONFORMING(k, 0, "subjectAltName dNSName is not a valid host name (RFC 5280 4.2.1.6)");
}

/* A common name, and the host name or address it denotes, if any. */
typedef struct {
	const char *text;
	size_t len;
	char host[256]; /* A-label, lower case; "" when not a DNS name */
	unsigned char ip[16];
	size_t ip_len;
	bool exact; /* set when a SAN entry is a byte-for-byte copy */
} common_name;

static bool cn_vs_san(unsigned int type, const char *v, size_t len, const void *arg)
{
	common_name *cn = (common_name *)arg;
	char text[INET6_ADDRSTRLEN];
	if (type == GNUTLS_SAN_DNSNAME) {
		if (len == cn->len && memcmp(v, cn->text, len) == 0)
			return cn->exact = true;
		return cn->host[0] && strlen(cn->host) == len && strncasecmp(v, cn->host, len) == 0;
	}
	if (type == GNUTLS_SAN_IPADDRESS && (len == 4 || len == 16)) {
		if (inet_ntop(len == 4 ? AF_INET : AF_INET6, v, text, sizeof(text)) &&
		    strlen(text) == cn->len && memcmp(text, cn->text, cn->len) == 0)
			return cn->exact = true;
		return cn->ip_len == len && memcmp(cn->ip, v, len) == 0;
	}
	return false;
}

/* What name a CN denotes: an address in any notation inet_aton/inet_pton
 * read, or a DNS name, mapped to A-labels. */
static void interpret_cn(common_name *cn)
{
	char buf[256];
	struct in_addr v4;

	memcpy(buf, cn->text, cn->len);
	buf[cn->len] = '\0';
	if (inet_pton(AF_INET6, buf, cn->ip) == 1) {
		cn->ip_len = 16;
	} else if (inet_aton(buf, &v4)) { /* also "0xC0A80101" and "192.168.001.001" */
		memcpy(cn->ip, &v4, 4);
		cn->ip_len = 4;
	} else {
		gnutls_datum_t out = {NULL, 0};
		if (gnutls_idna_map(buf, (unsigned int)cn->len, &out, 0) >= 0 && out.size < sizeof(cn->host)) {
			memcpy(cn->host, out.data, out.size);
			cn->host[out.size] = '\0';
		}
		gnutls_free(out.data);
	}
}

/* CABF BR 7.1.4.3: the CN is "a character-for-character copy" of a SAN
 * entry. libchain enforces the part that matters when CNs are never
 * matched (the default): a CN naming the same host or address as a SAN
 * entry in another spelling (case, IDNA U-label, IPv4 hex or leading zeros,
 * non-RFC 5952 IPv6) is refused. A free-form CN naming nothing in the SAN
 * is tolerated (docs/conformance.md explains the trade-off). */
static void check_cn_in_san(conf *k)
{
	for (unsigned int idx = 0;; idx++) {
		char text[256];
		size_t size = sizeof(text) - 1;
		int ret = chain__cert_cn(at(k, 0), idx, text, &size);
		if (ret == CHAIN__CN_END)
			return;
		if (ret == CHAIN__CN_SKIP)
			continue;
		common_name cn = {.text = text, .len = size};
		interpret_cn(&cn);
		if (san_any(at(k, 0), cn_vs_san, &cn) && !cn.exact) {
			NONCONFORMING(k, 0, "subject common name is not a character-for-character copy of "
			                    "the subjectAltName entry it names (CABF BR 7.1.4.3)");
			return;
		}
	}
}

/* The newest Public Suffix List on the system (the publicsuffix package),
 * else libpsl's built-in copy; loaded once, then only read. */
static const psl_ctx_t *suffixes;
static pthread_once_t suffixes_once = PTHREAD_ONCE_INIT;

static void load_suffixes(void)
{
	suffixes = psl_latest(NULL);
	if (!suffixes)
		suffixes = psl_builtin();
}

static bool wildcard_over_suffix(unsigned int type, const char *v, size_t len, const void *arg)
{
	char rest[256];
	(void)arg;
	if (type != GNUTLS_SAN_DNSNAME || len < 3 || v[0] != '*' || v[1] != '.' || len - 2 >= sizeof(rest))
		return false;
	/* As hostname.c matches it: any case, one trailing dot dropped. */
	size_t n = len - 2;
	if (n > 1 && v[len - 1] == '.')
		n--;
	for (size_t i = 0; i < n; i++)
		rest[i] = (char)tolower((unsigned char)v[2 + i]);
	rest[n] = '\0';
	/* The ICANN section: registry-controlled suffixes. The PRIVATE section
	 * lists names whose owner may hold wildcards (*.s3.amazonaws.com). */
	return suffixes && psl_is_public_suffix2(suffixes, rest, PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE);
}

/* CABF BR 7.1.2.7: subscriber certificates for TLS servers. */
static void check_subscriber(conf *k)
{
	const chain__cert *c = at(k, 0);
	/* An absent EKU is not refused: RFC 5280 4.2.1.12 reads it as any
	 * purpose, and browsers accept it (docs/conformance.md). */
	if (chain__cert_has_eku(c, "2.5.29.37.0"))
		NONCONFORMING(k, 0, "subscriber certificate with anyExtendedKeyUsage (CABF BR 7.1.2.7.10)");
	if (CHAIN__CRITICAL(c, CHAIN__EXT_EKU))
		NONCONFORMING(k, 0, "extKeyUsage is critical (CABF BR 7.1.2.7.6)");
	if (c->bc_ca)
		NONCONFORMING(k, 0, "subscriber certificate is a CA (CABF BR 7.1.2.7.8)");
	pthread_once(&suffixes_once, load_suffixes);
	if (san_any(c, wildcard_over_suffix, NULL))
		NONCONFORMING(k, 0, "wildcard over a public suffix (CABF BR 3.2.2.6)");
	if (CHAIN__CRITICAL(c, CHAIN__EXT_SAN) && !empty_name(c->parts.subject))
		NONCONFORMING(k, 0, "subjectAltName is critical although the subject is not empty "
		                    "(CABF BR 7.1.2.7.12)");
}

/* CABF BR 7.1.2.1: a root carries no extKeyUsage, and its AKI, if any, is
 * only a key identifier equal to its SKI. */
static void check_root(conf *k, size_t i)
{
	const chain__cert *c = at(k, i);
	if (CHAIN__HAS(c, CHAIN__EXT_EKU))
		NONCONFORMING(k, i, "root certificate with extKeyUsage (CABF BR 7.1.2.1.2)");
	if (!CHAIN__HAS(c, CHAIN__EXT_AKI))
		return;
	if (!c->aki_len || c->aki_has_issuer_serial ||
	    c->aki_len != c->ski_len || memcmp(c->aki, c->ski, c->aki_len) != 0)
		NONCONFORMING(k, i, "root authorityKeyIdentifier is not exactly its key identifier "
		                    "(CABF BR 7.1.2.1.3)");
}

/* Key rules that hold for every certificate, the anchor included: a weak
 * anchor key forges anything below it. */
static void check_key(conf *k, size_t i)
{
	const chain__cert *c = at(k, i);
	bool anchor = is_anchor(k, i);
	switch (c->pk_algo) {
	case GNUTLS_PK_RSA:
	case GNUTLS_PK_RSA_PSS:
		if (c->pk_bits % 8)
			FLAG(k, CHAIN_REASON_INSECURE_ALGORITHM, i,
			     "RSA modulus of %u bits is not a whole number of octets (CABF BR 6.1.5)", c->pk_bits);
		if (anchor && c->pk_bits < k->policy->min_rsa_bits)
			FLAG(k, CHAIN_REASON_INSECURE_ALGORITHM, i, "anchor RSA key of %u bits", c->pk_bits);
		break;
	case GNUTLS_PK_ECDSA:
		if (anchor && c->pk_bits < 256)
			FLAG(k, CHAIN_REASON_INSECURE_ALGORITHM, i, "anchor EC key of %u bits", c->pk_bits);
		break;
	case GNUTLS_PK_DSA:
		if (anchor)
			FLAG(k, CHAIN_REASON_INSECURE_ALGORITHM, i, "anchor DSA key");
		break;
	default:
		break;
	}
}

/* X.690 8.23: each string of the subject holds what its type allows (a
 * UTF8String is UTF-8, a BMPString UCS-2). OpenSSL and Go refuse such a
 * certificate at parse time: so it is malformed here, under strict. */
static void check_name_strings(conf *k, size_t i)
{
	chain__slice rdns, rdn, atv, oid, value;
	unsigned char tag;

	if (!chain__der_only(at(k, i)->parts.subject, 0x30, &rdns))
		return; /* its own reader refused it already */
	for (chain__reader r = chain__reader_of(rdns); !chain__reader_done(&r);) {
		if (!chain__reader_tlv(&r, &tag, &rdn))
			return;
		for (chain__reader a = chain__reader_of(rdn); !chain__reader_done(&a);) {
			if (!chain__reader_tlv(&a, &tag, &atv))
				return;
			chain__reader f = chain__reader_of(atv);
			if (chain__reader_tlv(&f, &tag, &oid) && chain__reader_tlv(&f, &tag, &value) &&
			    !chain__string_valid(tag, value)) {
				FLAG(k, CHAIN_REASON_MALFORMED, i,
				     "subject holds a %s that is not valid %s (X.690 8.23)",
				     tag == 0x0c ? "UTF8String" : tag == 0x1e ? "BMPString" : "UniversalString",
				     tag == 0x0c ? "UTF-8" : tag == 0x1e ? "UCS-2" : "UCS-4");
				return;
			}
		}
	}
}

int chain__check_conformance(chain__problems *out, const chain__path *path,
                             const chain_policy *policy)
{
	conf k = {out, path, policy, CHAIN_OK};
	bool webpki = policy->purpose && strcmp(policy->purpose, CHAIN_PURPOSE_TLS_SERVER) == 0;

	if (!policy->strict)
		return CHAIN_OK;
	for (size_t i = 0; i < path->len; i++) {
		/* An anchor is trusted as configured (RFC 5280 6.1.1 d): its serial
		 * and issuer linkage are not checked; its own structure is. */
		if (!is_anchor(&k, i)) {
			check_serial(&k, i);
			check_name_strings(&k, i);
		}
		check_key_ids(&k, i);
		check_ca_structure(&k, i);
		check_aia(&k, i);
		check_key(&k, i);
		if (webpki && is_anchor(&k, i) && at(&k, i)->self_issued && i > 0)
			check_root(&k, i);
	}
	check_leaf_names(&k);
	if (webpki && !is_anchor(&k, 0)) {
		check_subscriber(&k);
		check_cn_in_san(&k);
	}
	return k.ret;
}
