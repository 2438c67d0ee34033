/* Name constraints (libchain/nc.c) through the public API, beyond the
 * verdicts of tests/data/nc/cases.tsv: the reason each invalid extension
 * reports, and hostile octets inside the nameConstraints and subjectAltName
 * values (every octet of each flipped) that must end in a verdict, never a
 * crash or an out-of-bounds read (run it under ASan). Output is TAP. */
#include "fixtures.h"
#include "tap.h"

#include <chain/chain.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define T 1893456000 /* 2030-01-01T00:00:00Z, as make-nc-certs.py */

static const char *data_dir;

/* Verify a served chain whose anchor is @anchor (an intermediate is enough:
 * every store certificate is trusted). */
static chain_result *verify(const test_chain *served, size_t n,
                            const unsigned char *anchor, size_t anchor_len)
{
	chain_store *store = NULL;
	chain_policy *policy = NULL;
	chain_result *res = NULL;

	if (chain_store_new(&store) == CHAIN_OK && chain_policy_new(&policy) == CHAIN_OK &&
	    chain_policy_set_time(policy, T) == CHAIN_OK &&
	    chain_store_add_der(store, anchor, anchor_len, 0) == CHAIN_OK)
		chain_verify(&res, store, policy, (const unsigned char *const *)served->ders,
		             served->lens, n, NULL);
	chain_policy_free(policy);
	chain_store_free(store);
	return res;
}

static const char *problem_message(const chain_result *r, chain_reason reason, int depth)
{
	for (size_t i = 0; r && i < chain_result_problem_count(r); i++)
		if (chain_result_problem_reason(r, i) == reason && chain_result_problem_depth(r, i) == depth)
			return chain_result_problem_message(r, i);
	return NULL;
}

/* What each invalid extension of make-nc-certs.py reports, on the
 * intermediate (depth 1). */
static void test_invalid_extensions(void)
{
	static const struct {
		const char *file, *message;
	} cases[] = {
		{"nc_noncritical.pem", "not critical"},
		{"nc_empty.pem", "neither permitted nor excluded subtrees"},
		{"nc_empty_lists.pem", "neither permitted nor excluded subtrees"},
		{"nc_minimum_nonzero.pem", "minimum is not 0"},
		{"nc_maximum_present.pem", "maximum is present"},
		{"nc_dns_leading_period.pem", "invalid dNSName subtree"},
		{"nc_dns_wildcard.pem", "invalid dNSName subtree"},
		{"nc_ip_without_mask.pem", "iPAddress subtree"},
		{"nc_ip_noncontiguous_mask.pem", "iPAddress subtree"},
		{"nc_email_two_at.pem", "invalid rfc822Name subtree"},
		{"nc_truncated.pem", "malformed NameConstraints"},
		{"nc_lists_swapped.pem", "malformed NameConstraints"},
		{"nc_unknown_type.pem", "malformed GeneralSubtree base"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[256];
		test_chain c;
		snprintf(name, sizeof(name), "nc/%s", cases[i].file);
		chain_result *r = NULL;
		if (test_load_chain(&c, data_dir, name) == 0 && c.n == 2)
			r = verify(&c, 1, c.ders[1], c.lens[1]);
		const char *msg = problem_message(r, CHAIN_REASON_MALFORMED, 1);
		CHECK(msg && strstr(msg, cases[i].message) && !chain_result_ok(r), "%s: %s", cases[i].file,
		      msg ? msg : "(no malformed@1)");
		chain_result_free(r);
		test_chain_free(&c);
	}
}

static void test_end_entity(void)
{
	test_chain c;
	chain_result *r = NULL;
	if (test_load_chain(&c, data_dir, "nc/nc_in_end_entity.pem") == 0 && c.n == 2)
		r = verify(&c, 1, c.ders[1], c.lens[1]);
	const char *msg = problem_message(r, CHAIN_REASON_NAME_CONSTRAINTS, 0);
	CHECK(msg && strstr(msg, "end-entity"), "nameConstraints in a leaf: %s", msg ? msg : "-");
	chain_result_free(r);
	test_chain_free(&c);
}

/* The value of extension @oid_last (2.5.29.@oid_last) inside @der: the
 * OCTET STRING's content. */
static bool find_extension(const unsigned char *der, size_t len, unsigned char oid_last,
                           size_t *start, size_t *size)
{
	const unsigned char oid[] = {0x06, 0x03, 0x55, 0x1d, oid_last};
	for (size_t i = 0; i + sizeof(oid) + 4 < len; i++) {
		if (memcmp(der + i, oid, sizeof(oid)) != 0)
			continue;
		size_t p = i + sizeof(oid);
		if (der[p] == 0x01) /* critical BOOLEAN */
			p += 3;
		if (der[p] != 0x04)
			return false;
		size_t n = der[p + 1], header = 2;
		if (n & 0x80) {
			header += n & 0x7f;
			n = 0;
			for (size_t k = 2; k < header; k++)
				n = (n << 8) | der[p + k];
		}
		*start = p + header;
		*size = n;
		return *start + n <= len;
	}
	return false;
}

/* Flip every octet of one extension value of served[which] (with three
 * masks) and verify each copy; returns how many verifications ran. With
 * which == 1 the mutated certificate is the anchor, whose own signature is
 * not checked, so its constraints are parsed and applied to the leaf. */
static size_t mutate(const char *file, size_t which, unsigned char oid_last, size_t *tried)
{
	static const unsigned char masks[] = {0x01, 0x80, 0xff};
	test_chain c;
	size_t start, size, ran = 0;

	*tried = 0;
	if (test_load_chain(&c, data_dir, file) != 0 || c.n < 2 ||
	    !find_extension(c.ders[which], c.lens[which], oid_last, &start, &size))
		return 0;
	unsigned char *orig = malloc(c.lens[which]);
	memcpy(orig, c.ders[which], c.lens[which]);
	for (size_t i = start; i < start + size; i++) {
		for (size_t m = 0; m < sizeof(masks); m++) {
			memcpy(c.ders[which], orig, c.lens[which]);
			c.ders[which][i] ^= masks[m];
			(*tried)++;
			chain_result *r = verify(&c, 1, c.ders[1], c.lens[1]);
			ran += r != NULL;
			chain_result_free(r);
		}
	}
	free(orig);
	test_chain_free(&c);
	return ran;
}

static void test_hostile(void)
{
	/* Constraints of each type, and leaves carrying each kind of name. */
	static const struct {
		const char *file;
		size_t which;
		unsigned char oid_last;
	} cases[] = {
		{"nc/dns_excluded_wins.pem", 1, 30},
		{"nc/ipv6_permitted.pem", 1, 30},
		{"nc/email_host.pem", 1, 30},
		{"nc/uri_domain.pem", 1, 30},
		{"nc/dir_excluded_san.pem", 1, 30},
		{"nc/othername_constraint_applies.pem", 1, 30},
		{"nc/othername_constraint_applies.pem", 0, 17},
		{"nc/invalid_ip_san.pem", 0, 17},
		{"nc/email_domain.pem", 0, 17},
		{"nc/uri_domain_userinfo_port.pem", 0, 17},
		{"nc/dir_excluded_san.pem", 0, 17},
		{"nc/wildcard_meets_excluded.pem", 0, 17},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t tried, ran = mutate(cases[i].file, cases[i].which, cases[i].oid_last, &tried);
		/* A mutated anchor may no longer parse (no result is fine: the
		 * store refused it); every mutated leaf must get a verdict. */
		CHECK(tried > 0 && (cases[i].which == 1 || ran == tried),
		      "%s: %zu flipped %s values, %zu verdicts", cases[i].file, tried,
		      cases[i].oid_last == 30 ? "nameConstraints" : "subjectAltName", ran);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
		return 2;
	}
	data_dir = argv[1];
	test_invalid_extensions();
	test_end_entity();
	test_hostile();
	return tap_done();
}
