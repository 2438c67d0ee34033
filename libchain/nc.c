/* Name constraints (RFC 5280 4.2.1.10): the extension read from its DER,
 * and whether one name lies within it (nc_names.c applies it to each name
 * of a certificate). Enforced here rather than by GnuTLS 3.7.9, which takes the subject CN of
 * any certificate without a dNSName SAN for a DNS name (so a SAN-less
 * intermediate fails under a permitted subtree), refuses a whole extension
 * over one subtree type it does not know, and never applies excluded subtrees
 * to wildcard SANs (CVE-2025-61727). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DNS CHAIN__DNS_MAX

/* GeneralName alternatives (internal.h), short. */
enum {
	GN_OTHER = CHAIN__GN_OTHER, GN_EMAIL = CHAIN__GN_EMAIL, GN_DNS = CHAIN__GN_DNS,
	GN_X400 = 3, GN_DIR = CHAIN__GN_DIR, GN_EDI = 5, GN_URI = 6, GN_IP = 7, GN_RID = 8,
	GN_COUNT = 9,
};
/* Their full tags: IMPLICIT strings and octets are primitive, the others
 * constructed ([4] is EXPLICIT: Name is a CHOICE). */
static const unsigned char gn_tags[GN_COUNT] = {
	0xa0, 0x81, 0x82, 0xa3, 0xa4, 0xa5, 0x86, 0x87, 0x88,
};
/* Types whose constraints libchain evaluates; a constraint of another type
 * fails any certificate that has a name of that type. */
#define PROCESSED ((1u << GN_EMAIL) | (1u << GN_DNS) | (1u << GN_DIR) | (1u << GN_URI) | \
                   (1u << GN_IP))

typedef struct {
	unsigned int type;
	bool excluded;
	chain__slice base; /* the GeneralName's content; for directoryName the Name TLV */
} subtree;

struct chain__nc {
	unsigned char *der; /* a copy of the extension value; bases point into it */
	subtree *v;
	size_t n;
	unsigned int types; /* one bit per GeneralName type that has a subtree */
};

int chain__nc_gn_type(unsigned char tag)
{
	for (int t = 0; t < GN_COUNT; t++)
		if (gn_tags[t] == tag)
			return t;
	return -1;
}

/* ---- name syntax ---------------------------------------------------------- */

static chain__slice tail(chain__slice s, size_t skip)
{
	return (chain__slice){s.p + skip, s.len - skip};
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool same_nocase(const unsigned char *a, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

/* Letters, digits, hyphens, and the underscore hostname.c also accepts:
 * non-empty labels of at most 63, at most 253 in all, no leading or
 * trailing dot. */
static bool dns_valid(chain__slice s)
{
	size_t label = 0;

	if (s.len == 0 || s.len > MAX_DNS)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = lower(s.p[i]);
		bool ldh = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
		if (c == '.' ? label == 0 : !ldh || label == 63)
			return false;
		label = c == '.' ? 0 : label + 1;
	}
	return label > 0;
}

static bool is_wildcard(chain__slice s)
{
	return s.len > 2 && s.p[0] == '*' && s.p[1] == '.';
}

/* One trailing dot is ignored, as hostname.c ignores it when matching. */
static chain__slice dns_trim(chain__slice s)
{
	if (s.len > 1 && s.p[s.len - 1] == '.')
		s.len--;
	return s;
}

/* local@domain with exactly one '@', a printable local part and a DNS domain. */
static bool email_split(chain__slice s, chain__slice *local, chain__slice *domain)
{
	const unsigned char *at = memchr(s.p, '@', s.len);

	if (!at || at == s.p || memchr(at + 1, '@', s.len - (size_t)(at + 1 - s.p)))
		return false;
	*local = (chain__slice){s.p, (size_t)(at - s.p)};
	*domain = tail(s, local->len + 1);
	for (size_t i = 0; i < local->len; i++)
		if (local->p[i] <= 0x20 || local->p[i] >= 0x7f)
			return false;
	return dns_valid(*domain);
}

/* RFC 3986 3.2: unreserved, pct-encoded, sub-delims, ':', '@', '[', ']'. */
static bool authority_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~%!$&'()*+,;=:@[]", c));
}

/* RFC 3986: scheme "://" [userinfo "@"] host [":" port] [path...]. A URI
 * without an authority, or whose host is an IP literal, has no DNS host. */
static bool uri_host(chain__slice uri, chain__slice *host)
{
	const unsigned char *colon = memchr(uri.p, ':', uri.len), *end = uri.p + uri.len;

	if (!colon || colon == uri.p || end - colon < 3 || colon[1] != '/' || colon[2] != '/')
		return false;
	const unsigned char *a = colon + 3, *ae = a;
	while (ae < end && *ae != '/' && *ae != '?' && *ae != '#')
		ae++;
	/* Only RFC 3986 authority characters, and at most one '@': WHATWG URL
	 * parsing reads "https://evil.com\\@good.com/" as host evil.com, this
	 * parser as good.com; a URI the two could read differently is refused
	 * (it then fails URI constraints: nothing shows it is allowed). */
	const unsigned char *at = NULL;
	for (const unsigned char *q = a; q < ae; q++) {
		if (!authority_char(*q) || (*q == '@' && at))
			return false;
		if (*q == '@')
			at = q;
	}
	if (at)
		a = at + 1;
	if (a < ae && *a == '[')
		return false;
	const unsigned char *he = memchr(a, ':', (size_t)(ae - a));
	*host = (chain__slice){a, (size_t)((he ? he : ae) - a)};
	return dns_valid(*host);
}

/* A Name TLV: a SEQUENCE of RelativeDistinguishedName SETs. */
static bool name_valid_der(chain__slice name)
{
	chain__slice rdns, rdn;
	unsigned char tag;

	if (!chain__der_only(name, 0x30, &rdns))
		return false;
	for (chain__reader r = chain__reader_of(rdns); !chain__reader_done(&r);)
		if (!chain__reader_tlv(&r, &tag, &rdn) || tag != 0x31 || rdn.len == 0)
			return false;
	return true;
}

/* A name of the certificate whose own syntax is broken cannot be shown to
 * lie inside any subtree, nor outside one. */
static bool name_valid(unsigned int type, chain__slice name)
{
	chain__slice a, b;

	switch (type) {
	case GN_DNS:
		return dns_valid(is_wildcard(name) ? tail(name, 2) : name);
	case GN_EMAIL:
		return email_split(name, &a, &b);
	case GN_URI:
		return uri_host(name, &a);
	case GN_IP:
		return name.len == 4 || name.len == 16;
	case GN_DIR:
		return name_valid_der(name);
	}
	return false;
}

/* ---- matching --------------------------------------------------------------- */

/* RFC 5280: "host.example.com" covers that host and every name built by
 * adding labels on the left; an empty base covers every name. */
static bool dns_within(chain__slice name, chain__slice base)
{
	if (base.len == 0)
		return true;
	if (name.len < base.len || !same_nocase(name.p + name.len - base.len, base.p, base.len))
		return false;
	return name.len == base.len || name.p[name.len - base.len - 1] == '.';
}

/* A wildcard SAN "*.R" stands for every "x.R" (x one label). It lies inside
 * a permitted base when R does; it meets an excluded base when R lies inside
 * it, or when the base itself is one label below R (CVE-2025-61727). */
static bool dns_matches(chain__slice base, chain__slice name, bool excluded)
{
	if (!is_wildcard(name))
		return dns_within(name, base);
	chain__slice rest = tail(name, 2);
	if (dns_within(rest, base))
		return true;
	return excluded && base.len > rest.len && dns_within(base, rest) &&
	       !memchr(base.p, '.', base.len - rest.len - 1);
}

/* URI hosts and mail domains: ".example.com" covers the hosts below
 * example.com, "host.example.com" that host only. */
static bool host_matches(chain__slice base, chain__slice host)
{
	if (base.len == 0)
		return true;
	if (base.p[0] == '.')
		return host.len > base.len &&
		       same_nocase(host.p + host.len - base.len, base.p, base.len);
	return host.len == base.len && same_nocase(host.p, base.p, base.len);
}

/* "user@host" is one mailbox (local part case-sensitive), anything else is
 * a host or domain for the part after the '@'. */
static bool email_matches(chain__slice base, chain__slice mailbox)
{
	chain__slice local, domain, base_local, base_domain;

	email_split(mailbox, &local, &domain);
	if (!memchr(base.p, '@', base.len))
		return host_matches(base, domain);
	email_split(base, &base_local, &base_domain);
	return local.len == base_local.len && memcmp(local.p, base_local.p, local.len) == 0 &&
	       domain.len == base_domain.len && same_nocase(domain.p, base_domain.p, domain.len);
}

/* base is address then mask; an IPv4 address never meets an IPv6 subtree. */
static bool ip_matches(chain__slice base, chain__slice addr)
{
	if (base.len != 2 * addr.len)
		return false;
	for (size_t i = 0; i < addr.len; i++)
		if ((addr.p[i] ^ base.p[i]) & base.p[addr.len + i])
			return false;
	return true;
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 2.5.5.2) is the
 * IPv4 address for IPv4 subtrees too, so that it cannot step round an
 * excluded IPv4 range; an empty slice for any other address. */
static chain__slice ipv4_mapped(chain__slice addr)
{
	static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (addr.len != 16 || memcmp(addr.p, prefix, sizeof(prefix)) != 0)
		return (chain__slice){NULL, 0};
	return (chain__slice){addr.p + 12, 4};
}

/* And the other way: an IPv4 address as ::ffff:a.b.c.d, for IPv6 subtrees
 * written in that form. */
static chain__slice as_ipv4_mapped(chain__slice addr, unsigned char out[16])
{
	if (addr.len != 4)
		return (chain__slice){NULL, 0};
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, addr.p, 4);
	return (chain__slice){out, 16};
}

/* The name's RDNs start with the base's RDNs, compared as DER bytes. */
static bool dir_matches(chain__slice base, chain__slice name)
{
	chain__slice brdns, nrdns, x, y;
	unsigned char tag;

	chain__der_only(base, 0x30, &brdns);
	chain__der_only(name, 0x30, &nrdns);
	chain__reader b = chain__reader_of(brdns), n = chain__reader_of(nrdns);
	while (!chain__reader_done(&b)) {
		const unsigned char *bs = b.p, *ns = n.p;
		chain__reader_tlv(&b, &tag, &x);
		if (!chain__reader_tlv(&n, &tag, &y) || b.p - bs != n.p - ns || memcmp(bs, ns, (size_t)(b.p - bs)))
			return false;
	}
	return true;
}

static bool subtree_matches(const subtree *s, chain__slice name)
{
	chain__slice host;

	switch (s->type) {
	case GN_DNS:
		return dns_matches(s->base, name, s->excluded);
	case GN_EMAIL:
		return email_matches(s->base, name);
	case GN_URI:
		return uri_host(name, &host) && host_matches(s->base, host);
	case GN_IP: {
		unsigned char mapped[16];
		return ip_matches(s->base, name) || ip_matches(s->base, ipv4_mapped(name)) ||
		       ip_matches(s->base, as_ipv4_mapped(name, mapped));
	}
	case GN_DIR:
		return dir_matches(s->base, name);
	}
	return false;
}

bool chain__nc_name_permitted(const chain__nc *nc, unsigned int type, chain__slice name)
{
	bool has_permitted = false, in_permitted = false;

	if (!(nc->types & (1u << type)))
		return true;
	if (type == GN_DNS)
		name = dns_trim(name);
	if (!(PROCESSED & (1u << type)) || !name_valid(type, name))
		return false; /* nothing shows that the name is allowed */
	for (size_t i = 0; i < nc->n; i++) {
		const subtree *s = &nc->v[i];
		if (s->type != type)
			continue;
		if (s->excluded && subtree_matches(s, name))
			return false;
		if (!s->excluded) {
			has_permitted = true;
			in_permitted = in_permitted || subtree_matches(s, name);
		}
	}
	return !has_permitted || in_permitted;
}

/* ---- parsing ---------------------------------------------------------------- */

static bool mask_contiguous(const unsigned char *mask, size_t len)
{
	bool zero_seen = false;
	for (size_t i = 0; i < len * 8; i++) {
		bool bit = mask[i / 8] & (0x80 >> (i % 8));
		if (bit && zero_seen)
			return false;
		zero_seen = zero_seen || !bit;
	}
	return true;
}

/* An rfc822Name or URI base: empty, a mailbox (rfc822Name only), a host, or
 * ".domain". */
static bool host_base_valid(chain__slice s, bool mailbox_ok)
{
	chain__slice local, domain;

	if (s.len == 0)
		return true;
	if (memchr(s.p, '@', s.len))
		return mailbox_ok && email_split(s, &local, &domain);
	return dns_valid(s.p[0] == '.' ? tail(s, 1) : s);
}

/* RFC 5280 4.2.1.10 on each base form. A dNSName base has no leading period
 * (that form is for URIs and mail domains) and no wildcard. */
static const char *base_problem(const subtree *s)
{
	switch (s->type) {
	case GN_DNS:
		return s->base.len == 0 || dns_valid(s->base) ? NULL : "invalid dNSName subtree";
	case GN_EMAIL:
		return host_base_valid(s->base, true) ? NULL : "invalid rfc822Name subtree";
	case GN_URI:
		return host_base_valid(s->base, false) ? NULL : "invalid uniformResourceIdentifier subtree";
	case GN_IP:
		return (s->base.len == 8 || s->base.len == 32) &&
		               mask_contiguous(s->base.p + s->base.len / 2, s->base.len / 2)
		       ? NULL
		       : "iPAddress subtree is not an address and a contiguous mask";
	case GN_DIR:
		return name_valid_der(s->base) ? NULL : "invalid directoryName subtree";
	}
	return NULL; /* kept: it fails only certificates with a name of its type */
}

/* GeneralSubtree ::= SEQUENCE { base, minimum [0] DEFAULT 0, maximum [1] OPTIONAL },
 * where RFC 5280 requires minimum 0 and no maximum. */
static const char *parse_subtree(subtree *s, chain__slice seq)
{
	chain__slice field;
	unsigned char tag;
	int type;
	chain__reader r = chain__reader_of(seq);

	if (!chain__reader_tlv(&r, &tag, &s->base) || (type = chain__nc_gn_type(tag)) < 0)
		return "malformed GeneralSubtree base";
	s->type = (unsigned int)type;
	if (!chain__reader_done(&r) && *r.p == 0x80 &&
	    (!chain__reader_tlv(&r, &tag, &field) || field.len != 1 || field.p[0] != 0))
		return "minimum is not 0";
	if (!chain__reader_done(&r) && *r.p == 0x81)
		return "maximum is present";
	if (!chain__reader_done(&r))
		return "malformed GeneralSubtree";
	return base_problem(s);
}

/* NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL,
 * excludedSubtrees [1] GeneralSubtrees OPTIONAL }; an empty list counts as
 * absent, and one of the two must be there. */
static const char *parse_value(chain__nc *nc, chain__slice value)
{
	chain__slice body, list, seq;
	unsigned char tag;
	int last = -1;

	if (!chain__der_only(value, 0x30, &body))
		return "malformed NameConstraints";
	for (chain__reader r = chain__reader_of(body); !chain__reader_done(&r);) {
		if (!chain__reader_tlv(&r, &tag, &list) || (tag != 0xa0 && tag != 0xa1) || (tag & 1) <= last)
			return "malformed NameConstraints";
		last = tag & 1;
		for (chain__reader items = chain__reader_of(list); !chain__reader_done(&items);) {
			if (!chain__reader_tlv(&items, &tag, &seq) || tag != 0x30)
				return "malformed GeneralSubtrees";
			subtree *s = &nc->v[nc->n++];
			s->excluded = last == 1;
			const char *why = parse_subtree(s, seq);
			if (why)
				return why;
			nc->types |= 1u << s->type;
		}
	}
	return nc->n ? NULL : "neither permitted nor excluded subtrees";
}

static int set_problem(char **problem, const char *why)
{
	char msg[160];
	snprintf(msg, sizeof(msg), "invalid nameConstraints: %s", why);
	return (*problem = strdup(msg)) ? CHAIN_OK : CHAIN_ENOMEM;
}

int chain__nc_parse(chain__nc **out, chain__slice value, bool critical, char **problem)
{
	chain__nc *nc = NULL;
	const char *why;
	subtree *v;
	int ret;

	*out = NULL;
	*problem = NULL;
	/* A GeneralSubtree takes at least 4 octets: room for all, trimmed below. */
	if (!(nc = calloc(1, sizeof(*nc))) || !(nc->v = calloc(value.len / 4 + 1, sizeof(*nc->v))) ||
	    !(nc->der = malloc(value.len ? value.len : 1))) {
		ret = CHAIN_ENOMEM;
		goto cleanup;
	}
	if (value.len)
		memcpy(nc->der, value.p, value.len);
	why = parse_value(nc, (chain__slice){nc->der, value.len});
	if (!why && !critical)
		why = "not critical (RFC 5280 4.2.1.10)";
	if (why) {
		ret = set_problem(problem, why);
		goto cleanup;
	}
	v = realloc(nc->v, nc->n * sizeof(*nc->v));
	nc->v = v ? v : nc->v;
	*out = nc;
	nc = NULL;
	ret = CHAIN_OK;
cleanup:
	chain__nc_free(nc);
	return ret;
}

void chain__nc_free(chain__nc *nc)
{
	if (!nc)
		return;
	free(nc->der);
	free(nc->v);
	free(nc);
}

bool chain__nc_constrains(const chain__nc *nc, unsigned int type)
{
	return (nc->types >> type) & 1u;
}

size_t chain__nc_count(const chain__nc *nc)
{
	return nc->n;
}

bool chain__nc_dns_name(chain__slice name)
{
	return name_valid(GN_DNS, dns_trim(name));
}
