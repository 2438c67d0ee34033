/* Hostile input: every truncation and every single-bit flip of a valid
 * leaf, random garbage, oversized and malicious PEM. Each must end in an
 * error or a negative verdict, never a crash, and no tampered leaf may
 * ever be trusted. */
#include "fixtures.h"
#include "tap.h"

#include <chain/chain.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static chain_store *store;
static chain_policy *policy;

/* Verify [leaf, rest...]; returns the chain_verify code, *trusted the verdict. */
static int verify(const unsigned char *leaf, size_t leaf_len, const test_chain *rest, int *trusted)
{
	const unsigned char *ders[8] = {leaf};
	size_t lens[8] = {leaf_len}, n = 1;
	chain_result *res = NULL;

	for (size_t i = 1; rest && i < rest->n && n < 8; i++, n++) {
		ders[n] = rest->ders[i];
		lens[n] = rest->lens[i];
	}
	int ret = chain_verify(&res, store, policy, ders, lens, n, NULL);
	*trusted = chain_result_ok(res);
	if ((ret == CHAIN_OK || ret == CHAIN_EPARSE || ret == CHAIN_ELIMIT) && !res)
		ret = -1000; /* those codes promise a result */
	chain_result_free(res);
	return ret;
}

static void test_truncations(const test_chain *c)
{
	int crashes = 0, trusted_any = 0, trusted;
	for (size_t len = 0; len < c->lens[0]; len++) {
		int ret = verify(c->ders[0], len, c, &trusted);
		crashes += ret != CHAIN_EPARSE && ret != CHAIN_EINVAL;
		trusted_any |= trusted;
	}
	CHECK(crashes == 0 && !trusted_any, "all %zu truncations of the leaf are parse errors",
	      c->lens[0]);
	unsigned char *longer = malloc(c->lens[0] + 1);
	memcpy(longer, c->ders[0], c->lens[0]);
	longer[c->lens[0]] = 0;
	CHECK(verify(longer, c->lens[0] + 1, c, &trusted) == CHAIN_EPARSE && !trusted,
	      "a trailing byte after the certificate is refused");
	free(longer);
}

static void test_bit_flips(const test_chain *c)
{
	size_t len = c->lens[0], trusted_count = 0, bad = 0;
	unsigned char *copy = malloc(len);
	int trusted;

	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			memcpy(copy, c->ders[0], len);
			copy[i] ^= (unsigned char)(1u << bit);
			int ret = verify(copy, len, c, &trusted);
			bad += ret != CHAIN_OK && ret != CHAIN_EPARSE;
			trusted_count += trusted;
		}
	}
	CHECK(bad == 0, "bit flips give a verdict or a parse error (%zu other outcomes)", bad);
	CHECK(trusted_count == 0, "no bit-flipped leaf is trusted (%zu were)", trusted_count);
	free(copy);
}

static void test_garbage(void)
{
	unsigned char buf[2048];
	int failures = 0, trusted;
	srand(12345);
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(rand() % (int)sizeof(buf)) + 1;
		for (size_t i = 0; i < len; i++)
			buf[i] = (unsigned char)rand();
		buf[0] = 0x30; /* look like a SEQUENCE to get past the first check */
		if (len > 2) {
			buf[1] = 0x82;
			buf[2] = (unsigned char)((len - 4) >> 8);
			buf[3 % len] = (unsigned char)(len - 4);
		}
		failures += verify(buf, len, NULL, &trusted) != CHAIN_EPARSE || trusted;
	}
	CHECK(failures == 0, "2000 random buffers are parse errors");
}

static void test_too_many(const test_chain *c)
{
	/* 40 served copies with distinct bytes: over the 32-certificate bound. */
	enum { N = 40 };
	const unsigned char *ders[N];
	size_t lens[N];
	unsigned char *copies[N];
	chain_result *res = NULL;

	for (int i = 0; i < N; i++) {
		copies[i] = malloc(c->lens[0]);
		memcpy(copies[i], c->ders[0], c->lens[0]);
		copies[i][c->lens[0] - 1] ^= (unsigned char)i; /* distinct signature bytes */
		ders[i] = copies[i];
		lens[i] = c->lens[0];
	}
	int ret = chain_verify(&res, store, policy, ders, lens, N, NULL);
	CHECK(ret == CHAIN_ELIMIT && chain_result_reason(res) == CHAIN_REASON_INPUT_LIMIT,
	      "40 distinct served certificates hit input_limit");
	chain_result_free(res);
	/* 40 identical copies are one distinct certificate: not over the bound. */
	for (int i = 0; i < N; i++)
		ders[i] = c->ders[0];
	ret = chain_verify(&res, store, policy, ders, lens, N, NULL);
	CHECK(ret == CHAIN_OK && chain_result_reason(res) == CHAIN_REASON_MISSING_ISSUER,
	      "duplicates do not count toward the bound");
	chain_result_free(res);
	for (int i = 0; i < N; i++)
		free(copies[i]);
}

static void test_hostile_pem(void)
{
	chain_result *res = NULL;
	/* 70000 lines: under the text bound of the default chain limit. */
	size_t n = 70000;
	char *pem = malloc(n * 30 + 1), *w = pem;
	for (size_t i = 0; i < n; i++)
		w += sprintf(w, "-----BEGIN CERTIFICATE-----\n");
	int ret = chain_verify_pem(&res, store, policy, pem, (size_t)(w - pem), NULL);
	CHECK(ret == CHAIN_EPARSE && res, "70000 unterminated BEGIN lines: a parse error");
	chain_result_free(res);
	w = pem;
	for (size_t i = 0; i < 30000; i++) /* 62 bytes each: fits the buffer and the text bound */
		w += sprintf(w, "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n");
	ret = chain_verify_pem(&res, store, policy, pem, (size_t)(w - pem), NULL);
	CHECK((ret == CHAIN_ELIMIT || ret == CHAIN_EPARSE) && res,
	      "30000 tiny blocks end in an input error (%d)", ret);
	chain_result_free(res);
	const char binary[] = "\x00\xff-----BEGIN \x00\x01-----END";
	ret = chain_verify_pem(&res, store, policy, binary, sizeof(binary) - 1, NULL);
	CHECK(ret == CHAIN_EPARSE, "binary junk around PEM markers");
	chain_result_free(res);
	free(pem);
}

/* Finding 7: chain_verify_pem() stops decoding at the block that passes the
 * chain limit (before: it decoded every block, work proportional to the
 * input), and refuses unread a text over twice the limit plus 64 KiB. */
static void test_pem_stops_at_the_limit(const char *dir)
{
	size_t block_len, copies = 0;
	char *block = test_read_file(dir, "pki/chain-a-leaf.pem", &block_len);
	chain_policy *small = NULL;
	chain_result *res = NULL;
	unsigned long long reported = 0;

	chain_policy_copy(&small, policy);
	chain_policy_set_limit(small, CHAIN_LIMIT_CHAIN_BYTES, 20000);
	size_t cap = 2 * 20000 + 65536;
	char *pem = malloc(cap + 1), *w = pem;
	while ((size_t)(w - pem) + block_len <= cap) { /* just under the text bound */
		memcpy(w, block, block_len);
		w += block_len;
		copies++;
	}
	int ret = chain_verify_pem(&res, store, small, pem, (size_t)(w - pem), NULL);
	const char *msg = chain_result_error_message(res);
	if (msg)
		sscanf(msg, "served chain of %llu", &reported);
	CHECK(ret == CHAIN_ELIMIT && reported > 20000 && reported < 20000 + block_len,
	      "%zu blocks: decoding stopped at the block past the limit (%llu bytes seen)",
	      copies, reported);
	chain_result_free(res);
	memset(pem, '#', cap + 1);
	ret = chain_verify_pem(&res, store, small, pem, cap + 1, NULL);
	msg = chain_result_error_message(res);
	CHECK(ret == CHAIN_ELIMIT && msg && strstr(msg, "PEM text of"),
	      "a text over twice the chain limit + 64 KiB is refused unread: %s", msg ? msg : "-");
	chain_result_free(res);
	chain_policy_free(small);
	free(pem);
	free(block);
}

/* DER: tag, length, content (@v may overlap @out's end). */
static size_t tlv(unsigned char *out, unsigned char tag, const unsigned char *v, size_t n)
{
	unsigned char head[6];
	size_t h = test_der_header(head, tag, n);
	memmove(out + h, v, n);
	memcpy(out, head, h);
	return h + n;
}

/* A CRL whose revokedCertificates is present but empty (30 00), as
 * fuzz_verify found: it was qsort()ed as a NULL array (undefined; UBSan
 * reported it). Built here, unsigned: loading reads it before any
 * signature is checked. */
static void test_crl_with_empty_revoked_list(void)
{
	static const unsigned char alg[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
	                                    0x3d, 0x04, 0x03, 0x02}; /* ecdsa-with-SHA256 */
	unsigned char tbs[256], body[512], crl[600], t[64];
	size_t n = 0, m;
	n += tlv(tbs + n, 0x02, (const unsigned char *)"\x01", 1);                 /* v2 */
	memcpy(tbs + n, alg, sizeof(alg));
	n += sizeof(alg);
	n += tlv(tbs + n, 0x30, (const unsigned char *)"", 0);                     /* issuer */
	n += tlv(tbs + n, 0x17, (const unsigned char *)"200101000000Z", 13);       /* thisUpdate */
	n += tlv(tbs + n, 0x17, (const unsigned char *)"400101000000Z", 13);       /* nextUpdate */
	n += tlv(tbs + n, 0x30, (const unsigned char *)"", 0);                     /* no entries */
	static const unsigned char number[] = {0x30, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x1d,
	                                       0x14, 0x04, 0x02, 0x02, 0x00};      /* cRLNumber 0 */
	n += tlv(tbs + n, 0xa0, number, sizeof(number));
	m = tlv(body, 0x30, tbs, n);
	memcpy(body + m, alg, sizeof(alg));
	m += sizeof(alg);
	memset(t, 0, sizeof(t));
	m += tlv(body + m, 0x03, t, 9); /* a BIT STRING: 0 unused bits, 8 bytes of signature */
	size_t len = tlv(crl, 0x30, body, m);
	chain_store *s = NULL;
	size_t added = 0;
	chain_store_new(&s);
	int ret = chain_store_add_crl(s, (const char *)crl, len, 0, &added);
	CHECK(ret == CHAIN_OK && added == 1 && chain_store_crl_count(s) == 1,
	      "a CRL with an empty revokedCertificates list loads (%d)", ret);
	chain_store_free(s);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/data";
	char path[4096];
	test_chain c;

	snprintf(path, sizeof(path), "%s/pki/root-a.pem", dir);
	if (chain_store_new(&store) || chain_store_add_file(store, path, 0, NULL) ||
	    chain_policy_new(&policy) || test_load_chain(&c, dir, "pki/chain-a.pem"))
		return 2;
	chain_policy_set_time(policy, 1893456000);
	chain_policy_set_hostname(policy, "www.example.com");
	int trusted = 0;
	CHECK(verify(c.ders[0], c.lens[0], &c, &trusted) == CHAIN_OK && trusted,
	      "the untampered chain is trusted");
	test_truncations(&c);
	test_bit_flips(&c);
	test_garbage();
	test_too_many(&c);
	test_hostile_pem();
	test_pem_stops_at_the_limit(dir);
	test_crl_with_empty_revoked_list();
	test_chain_free(&c);
	chain_policy_free(policy);
	chain_store_free(store);
	return tap_done();
}
