/* Matching the leaf against the policy's DNS name or IP address, with the
 * browsers' rules (CA/B Forum BR 7.1.2.7.12, RFC 6125 6.4): SAN only, a
 * wildcard only as the whole leftmost label of a name of three or more
 * labels, CN only when the policy asks and the leaf has no SAN name. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_NAME 253

static bool valid_dns_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
	       c == '.';
}

char *chain__normalize_hostname(const char *name)
{
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > MAX_NAME)
		return NULL;
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		label = c == '.' ? 0 : label + 1;
		/* Empty or over-long labels, and anything but LDH/underscore, are not names. */
		if (!valid_dns_char(c) || label > 63 || (c == '.' && (i == 0 || out[i - 1] == '.'))) {
			free(out);
			return NULL;
		}
		out[i] = (char)c;
	}
	out[len] = '\0';
	return out;
}

/* Does SAN dNSName @pattern (len bytes, not NUL-terminated) cover @host
 * (normalised: lower case, no trailing dot)? */
static bool dns_matches(const char *pattern, size_t len, const char *host)
{
	if (len > 0 && pattern[len - 1] == '.')
		len--;
	if (len == 0 || len > MAX_NAME || memchr(pattern, '\0', len))
		return false;
	if (len > 2 && pattern[0] == '*' && pattern[1] == '.') {
		const char *rest = pattern + 2;
		size_t rest_len = len - 2;
		/* "*.com" would cover a whole TLD: the rest needs two labels. */
		if (memchr(rest, '*', rest_len) || !memchr(rest, '.', rest_len))
			return false;
		const char *dot = strchr(host, '.');
		if (!dot || dot == host)
			return false; /* the wildcard stands for exactly one non-empty label */
		return strlen(dot + 1) == rest_len && strncasecmp(dot + 1, rest, rest_len) == 0;
	}
	if (memchr(pattern, '*', len))
		return false; /* partial wildcards ("f*.example.com") never match */
	return strlen(host) == len && strncasecmp(host, pattern, len) == 0;
}

/* Iterate the SAN entries of @cert; stops at the first that @fn accepts. */
static int san_any(const chain__cert *cert, bool (*fn)(const unsigned char *, size_t,
                                                       unsigned int, const chain_policy *),
                   const chain_policy *policy, bool *has_name)
{
	chain__reader r = chain__san_reader(cert);
	chain__slice value;
	unsigned int type;

	*has_name = false;
	while (chain__san_next(&r, &type, &value)) {
		if (type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_IPADDRESS)
			*has_name = true;
		if (fn(value.p, value.len, type, policy))
			return 1;
	}
	return 0;
}

static bool san_matches(const unsigned char *value, size_t len, unsigned int type,
                        const chain_policy *policy)
{
	if (policy->ip_len)
		return type == GNUTLS_SAN_IPADDRESS && len == policy->ip_len &&
		       memcmp(value, policy->ip, len) == 0;
	return type == GNUTLS_SAN_DNSNAME && dns_matches((const char *)value, len, policy->hostname);
}

/* Legacy: the subject's common names, each compared as a DNS name (no wildcard). */
static int cn_matches(const chain__cert *cert, const chain_policy *policy)
{
	for (unsigned int i = 0;; i++) {
		char buf[MAX_NAME + 2];
		size_t size = sizeof(buf);
		int ret = chain__cert_cn(cert, i, buf, &size);
		if (ret == CHAIN__CN_SKIP)
			continue;
		if (ret == CHAIN__CN_END)
			return 0;
		if (!memchr(buf, '*', size) && dns_matches(buf, size, policy->hostname))
			return 1;
	}
}

int chain__check_name(const chain__cert *cert, const chain_policy *policy)
{
	bool has_name;

	if (!policy->hostname && !policy->ip_len)
		return 1;
	if (san_any(cert, san_matches, policy, &has_name))
		return 1;
	if (policy->cn_fallback && !has_name && policy->hostname)
		return cn_matches(cert, policy);
	return 0;
}
