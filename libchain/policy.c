/* The policy object: plain fields with validating setters. */
#include "internal.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const chain_policy chain__default_policy = {
	.max_depth = 8,
	.strict = true,
	.min_rsa_bits = 2048,
	.limits = {
		[CHAIN_LIMIT_CHAIN_BYTES] = 1024 * 1024,
		[CHAIN_LIMIT_CERT_BYTES] = 64 * 1024,
		[CHAIN_LIMIT_CERTS] = 32,
		[CHAIN_LIMIT_SIG_CHECKS] = 100,
		[CHAIN_LIMIT_CANDIDATES] = 2000,
	},
};

int chain_policy_new(chain_policy **out)
{
	if (!out)
		return CHAIN_EINVAL;
	if (!(*out = malloc(sizeof(**out))))
		return CHAIN_ENOMEM;
	**out = chain__default_policy;
	return CHAIN_OK;
}

void chain_policy_free(chain_policy *policy)
{
	if (!policy)
		return;
	free(policy->hostname);
	free(policy->purpose);
	free(policy);
}

int chain_policy_copy(chain_policy **out, const chain_policy *policy)
{
	if (!out || !policy)
		return CHAIN_EINVAL;
	chain_policy *p = malloc(sizeof(*p));
	if (!p)
		return CHAIN_ENOMEM;
	*p = *policy;
	p->hostname = policy->hostname ? strdup(policy->hostname) : NULL;
	p->purpose = policy->purpose ? strdup(policy->purpose) : NULL;
	if ((policy->hostname && !p->hostname) || (policy->purpose && !p->purpose)) {
		chain_policy_free(p);
		return CHAIN_ENOMEM;
	}
	*out = p;
	return CHAIN_OK;
}

int chain_policy_set_explain(chain_policy *policy, size_t max_attempts)
{
	if (!policy)
		return CHAIN_EINVAL;
	policy->explain = max_attempts;
	return CHAIN_OK;
}

int chain_policy_set_time(chain_policy *policy, int64_t unix_seconds)
{
	if (!policy)
		return CHAIN_EINVAL;
	policy->has_time = true;
	policy->time = unix_seconds;
	return CHAIN_OK;
}

int chain_policy_clear_time(chain_policy *policy)
{
	if (!policy)
		return CHAIN_EINVAL;
	policy->has_time = false;
	policy->time = 0;
	return CHAIN_OK;
}

size_t chain__parse_ip(unsigned char out[16], const char *text)
{
	if (inet_pton(AF_INET, text, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, text, out) == 1)
		return 16;
	return 0;
}

static void clear_name(chain_policy *policy)
{
	free(policy->hostname);
	policy->hostname = NULL;
	policy->ip_len = 0;
}

int chain_policy_set_ip(chain_policy *policy, const char *ip)
{
	unsigned char addr[16];
	size_t len;

	if (!policy)
		return CHAIN_EINVAL;
	if (!ip) {
		clear_name(policy);
		return CHAIN_OK;
	}
	if (!(len = chain__parse_ip(addr, ip)))
		return CHAIN_EINVAL;
	clear_name(policy);
	memcpy(policy->ip, addr, len);
	policy->ip_len = len;
	return CHAIN_OK;
}

/* WHATWG URL "ends in a number": the last label is decimal digits or 0x
 * followed by hex digits, which makes the host an IPv4 address. */
static bool ends_in_a_number(const char *name)
{
	const char *label = strrchr(name, '.');
	label = label ? label + 1 : name;
	if ((label[0] == '0' && label[1] == 'x'))
		return label[2 + strspn(label + 2, "0123456789abcdef")] == '\0';
	return label[0] && label[strspn(label, "0123456789")] == '\0';
}

int chain_policy_set_hostname(chain_policy *policy, const char *dns_or_ip)
{
	unsigned char addr[16];

	if (!policy)
		return CHAIN_EINVAL;
	if (dns_or_ip && chain__parse_ip(addr, dns_or_ip))
		return chain_policy_set_ip(policy, dns_or_ip);
	if (!dns_or_ip) {
		clear_name(policy);
		return CHAIN_OK;
	}
	char *name = chain__normalize_hostname(dns_or_ip);
	if (name && ends_in_a_number(name)) {
		/* "192.0.2.1." is that address; other numeric forms ("127.1",
		 * "0x7f.0.0.1") are IPv4 addresses to URL parsers but not to
		 * inet_pton(): refused rather than matched as DNS names. */
		int ret = chain__parse_ip(addr, name) == 4 ? chain_policy_set_ip(policy, name)
		                                          : CHAIN_EINVAL;
		free(name);
		return ret;
	}
	if (!name)
		return CHAIN_EINVAL;
	clear_name(policy);
	policy->hostname = name;
	return CHAIN_OK;
}

static bool is_dotted_oid(const char *s)
{
	size_t arcs = 0;
	for (const char *p = s;; p++) {
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
		arcs++;
		if (*p == '\0')
			return arcs >= 2 && strlen(s) < 128;
		if (*p != '.')
			return false;
	}
}

int chain_policy_set_purpose(chain_policy *policy, const char *oid)
{
	char *copy = NULL;

	if (!policy || (oid && !is_dotted_oid(oid)))
		return CHAIN_EINVAL;
	if (oid && !(copy = strdup(oid)))
		return CHAIN_ENOMEM;
	free(policy->purpose);
	policy->purpose = copy;
	return CHAIN_OK;
}

int chain_policy_set_max_depth(chain_policy *policy, unsigned int intermediates)
{
	if (!policy || intermediates > CHAIN__MAX_DEPTH)
		return CHAIN_EINVAL;
	policy->max_depth = intermediates;
	return CHAIN_OK;
}

int chain_policy_set_partial_chain(chain_policy *policy, int enabled)
{
	if (!policy)
		return CHAIN_EINVAL;
	policy->partial_chain = enabled != 0;
	return CHAIN_OK;
}

int chain_policy_set_cn_fallback(chain_policy *policy, int enabled)
{
	if (!policy)
		return CHAIN_EINVAL;
	policy->cn_fallback = enabled != 0;
	return CHAIN_OK;
}

int chain_policy_set_repair_order(chain_policy *policy, int enabled)
{
	if (!policy)
		return CHAIN_EINVAL;
	policy->repair_order = enabled != 0;
	return CHAIN_OK;
}

int chain_policy_set_precertificate(chain_policy *policy, int enabled)
{
	if (!policy)
		return CHAIN_EINVAL;
	policy->precertificate = enabled != 0;
	return CHAIN_OK;
}

int chain_policy_set_strict(chain_policy *policy, int enabled)
{
	if (!policy)
		return CHAIN_EINVAL;
	policy->strict = enabled != 0;
	return CHAIN_OK;
}

int chain_policy_set_allow_sha1(chain_policy *policy, int enabled)
{
	if (!policy)
		return CHAIN_EINVAL;
	policy->allow_sha1 = enabled != 0;
	return CHAIN_OK;
}

int chain_policy_set_min_rsa_bits(chain_policy *policy, unsigned int bits)
{
	if (!policy || bits > 16384)
		return CHAIN_EINVAL;
	policy->min_rsa_bits = bits;
	return CHAIN_OK;
}

static bool limit_known(chain_limit which)
{
	return which >= CHAIN_LIMIT_CHAIN_BYTES && which <= CHAIN_LIMIT_CANDIDATES;
}

int chain_policy_set_limit(chain_policy *policy, chain_limit which, uint64_t value)
{
	if (!policy || !limit_known(which) || value == 0)
		return CHAIN_EINVAL;
	policy->limits[which] = value;
	return CHAIN_OK;
}

uint64_t chain_policy_get_limit(const chain_policy *policy, chain_limit which)
{
	return policy && limit_known(which) ? policy->limits[which] : 0;
}

/* Everything in a policy except its time, fed to @h: the verdict cache keys
 * on it (the time is handled by the cached verdict's window). A new policy
 * field must be added here, which the assertion below is a reminder of. */
int chain__policy_digest(const chain_policy *p, gnutls_hash_hd_t h)
{
#if defined(__x86_64__) || defined(__aarch64__)
	/* Not hashed: explain (an explained verification skips the verdict
	 * cache, and it changes no verdict). */
	_Static_assert(sizeof(struct chain_policy) == 128,
	               "chain_policy changed: add the new field to chain__policy_digest()");
#endif
	struct {
		uint64_t limits[6];
		uint32_t max_depth, min_rsa_bits;
		uint32_t hostname_len, purpose_len;
		uint8_t ip[16];
		uint8_t ip_len, partial_chain, cn_fallback, allow_sha1, strict, repair_order;
		uint8_t precertificate;
	} fixed;

	memset(&fixed, 0, sizeof(fixed)); /* padding too: it is hashed */
	memcpy(fixed.limits, p->limits, sizeof(fixed.limits));
	fixed.max_depth = p->max_depth;
	fixed.min_rsa_bits = p->min_rsa_bits;
	fixed.hostname_len = p->hostname ? (uint32_t)strlen(p->hostname) + 1 : 0;
	fixed.purpose_len = p->purpose ? (uint32_t)strlen(p->purpose) + 1 : 0;
	memcpy(fixed.ip, p->ip, p->ip_len);
	fixed.ip_len = (uint8_t)p->ip_len;
	fixed.partial_chain = p->partial_chain;
	fixed.cn_fallback = p->cn_fallback;
	fixed.allow_sha1 = p->allow_sha1;
	fixed.strict = p->strict;
	fixed.repair_order = p->repair_order;
	fixed.precertificate = p->precertificate;
	if (gnutls_hash(h, &fixed, sizeof(fixed)) < 0 ||
	    (p->hostname && gnutls_hash(h, p->hostname, fixed.hostname_len) < 0) ||
	    (p->purpose && gnutls_hash(h, p->purpose, fixed.purpose_len) < 0))
		return CHAIN_EBACKEND;
	return CHAIN_OK;
}

/* The policy's time, or now when it sets none. */
int64_t chain__verification_time(const chain_policy *p)
{
	return p->has_time ? p->time : (int64_t)time(NULL);
}
