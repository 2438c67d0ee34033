/* fuzz_verify: chain_verify() on a served chain of fuzzed DER certificates,
 * against the fixtures' trust stores and intermediate pool, under a policy
 * chosen by the input; the same chain through chain_batch with verdict
 * caches must give the same results, field for field.
 *
 * Input: the policy header of fuzz_common.h (8 bytes), then
 *   s  bits 0-1 the store: 0 the fixture roots; 1 the roots and CRLs of
 *      Test Int A (one revokes chain-a's leaf) and of the no-cRLSign CA;
 *      2 the roots, a stale and a number-less CRL of Int A, root-a
 *      distrusted after 2019; 3 root-a and int-a (a trusted intermediate),
 *      an empty CRL of Int A, root-a distrusted after 2021.
 *      bit 2: with the pool (pool-a, pool-loop, pool-many).
 *      bit 4: signed mode (below).
 *   d  a second time for the cache checks: the policy's time plus (int8)d
 *      seconds (days when s bit 3 is set)
 * then up to 40 certificates, each a big-endian u16 length and that many
 * bytes (the last one takes what is left), leaf first.
 *
 * Signed mode: the records are TBSCertificates, which the harness signs
 * with the fuzz key (fuzz_sign(): Ed25519, the key of the certificates
 * make-corpus.py makes for this mode), so that mutated certificates still
 * carry valid signatures and the search and the checks behind the signature
 * check are reached. The first record is the root, put alone in a new
 * store; the others are served, leaf first. A record whose length has its
 * top bit set (length & 0x7fff) is a TBSCertList instead: signed too and
 * added to the store as a CRL.
 *
 * Checks, abort() on any failure:
 *  - every result has the documented shape (fuzz_check_result());
 *  - through chain_batch with a cache (new for each input, bounded by s bits
 *    5-6: the default, 16 KiB, 256 KiB or 2 MiB, so entries age out), in
 *    this order: the chain; the chain without its leaf; the chain reversed
 *    (these two share parsed certificates and signature edges with the
 *    first, not verdicts); the chain with a copy of the policy (a cached
 *    verdict); the chain at the second time (a cached verdict when the time
 *    is in its window): each result equal, field for field, to chain_verify()
 *    without a cache.
 * Deterministic: no state across inputs; every policy carries a time. */
#include "fuzz_common.h"

#include <gnutls/crypto.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CERTS 40

static chain_store *stores[4];
static chain_pool *pool;

static void init(void)
{
	static const char *const roots[] = {"pki/root-a.pem", "pki/root-ec.pem",
	                                    "pki/root-ed25519.pem", "pki/root-pss-old.pem",
	                                    "pki/root-pss-new.pem", "pki/root-r0.pem",
	                                    "pki/root-sha1.pem", "nc/root.pem"};
	for (int i = 0; i < 4; i++) {
		if (chain_store_new(&stores[i]) != CHAIN_OK)
			fuzz_die("chain_store_new");
		for (size_t k = 0; k < sizeof(roots) / sizeof(roots[0]); k++)
			if (i != 3 || k == 0)
				fuzz_store_file(stores[i], roots[k]);
	}
	fuzz_store_crl(stores[1], "pki/int-a-revokes-leaf.crl");
	fuzz_store_crl(stores[1], "pki/no-crlsign.crl");
	fuzz_store_crl(stores[2], "pki/int-a-stale.crl");
	fuzz_store_crl(stores[2], "pki/int-a-no-number.crl");
	fuzz_store_file(stores[3], "pki/int-a.pem");
	fuzz_store_crl(stores[3], "pki/int-a-empty.crl");
	/* Distrust dates on root-a (2019-01-01 and 2021-01-01). */
	fuzz_chain root_a;
	unsigned char sha[32];
	fuzz_chain_load(&root_a, "pki/root-a.pem");
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, root_a.ders[0], root_a.lens[0], sha) < 0)
		fuzz_die("gnutls_hash_fast");
	chain_store_set_distrust_after(stores[2], sha, INT64_C(1546300800));
	chain_store_set_distrust_after(stores[3], sha, INT64_C(1609459200));
	fuzz_chain_free(&root_a);

	if (chain_pool_new(&pool) != CHAIN_OK)
		fuzz_die("chain_pool_new");
	fuzz_pool_file(pool, "pki/pool-a.pem");
	fuzz_pool_file(pool, "pki/pool-loop.pem");
	fuzz_pool_file(pool, "pki/pool-many.pem");
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	init();
	return 0;
}

/* One verification: a served chain, a policy, and the uncached reference. */
typedef struct {
	const char *what;
	const unsigned char *const *ders;
	const size_t *lens;
	size_t n;
	const chain_policy *policy;
	int64_t t;
	int ret;
	chain_result *plain;
} item;

/* The items, in order, through one batch with @cache: each result must
 * equal its uncached reference, field for field. */
static void through_batch(chain_cache *cache, const chain_store *store, const chain_pool *p,
                          const item *items, size_t n_items)
{
	chain_batch *b = NULL;
	if (chain_batch_new(&b) != CHAIN_OK || chain_batch_set_cache(b, cache) != CHAIN_OK)
		fuzz_die("chain_batch_new");
	for (size_t i = 0; i < n_items; i++)
		if (chain_batch_add(b, items[i].ders, items[i].lens, items[i].n, items[i].policy) !=
		    CHAIN_OK)
			fuzz_die("chain_batch_add");
	if (chain_batch_run(b, store, p, 1) != CHAIN_OK)
		fuzz_die("chain_batch_run");
	for (size_t i = 0; i < n_items; i++) {
		char what[160];
		snprintf(what, sizeof(what), "batch item %zu (%s) with a cache", i, items[i].what);
		fuzz_check_same(what, items[i].ret, items[i].plain, chain_batch_status(b, i),
		                chain_batch_result(b, i));
	}
	chain_batch_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char empty[1] = {0};
	fuzz_in in = {data, size};
	const unsigned char *ders[MAX_CERTS];
	size_t lens[MAX_CERTS], n = 0;
	int64_t t[3];
	chain_policy *policies[3];

	policies[0] = fuzz_policy(&in, &t[0]);
	uint8_t s = fuzz_u8(&in), d = fuzz_u8(&in);
	const chain_store *store = stores[s & 3];
	const chain_pool *p = (s & 4) ? pool : NULL;
	bool signed_mode = s & 0x10;
	chain_store *own = NULL;
	bool have_root = false;
	unsigned char *made[MAX_CERTS + 1] = {0};
	size_t n_made = 0;

	if (signed_mode) {
		if (chain_store_new(&own) != CHAIN_OK)
			fuzz_die("chain_store_new");
		store = own;
	}
	while (in.n > 0 && n < MAX_CERTS) {
		size_t want = fuzz_u16(&in), got;
		bool crl = signed_mode && (want & 0x8000);
		const uint8_t *bytes = fuzz_bytes(&in, crl ? want & 0x7fff : want, &got);
		if (!signed_mode) {
			ders[n] = got ? bytes : empty;
			lens[n++] = got;
			continue;
		}
		size_t len;
		unsigned char *der = fuzz_sign(bytes, got, &len);
		if (crl) {
			chain_store_add_crl(own, (const char *)der, len, 0, NULL);
			free(der);
		} else if (!have_root) {
			chain_store_add_der(own, der, len, 0);
			have_root = true;
			free(der);
		} else {
			made[n_made++] = der;
			ders[n] = der;
			lens[n++] = len;
		}
	}
	if (n == 0) {
		chain_policy_free(policies[0]);
		chain_store_free(own);
		return 0;
	}
	/* The same policy again (a copy: the cache must key on contents), and
	 * one at the second time. */
	if (chain_policy_copy(&policies[1], policies[0]) != CHAIN_OK ||
	    chain_policy_copy(&policies[2], policies[0]) != CHAIN_OK)
		fuzz_die("chain_policy_copy");
	t[1] = t[0];
	t[2] = fuzz_add_time(t[0], (int8_t)d * ((s & 8) ? 86400 : 1));
	chain_policy_set_time(policies[2], t[2]);
	const unsigned char *reversed[MAX_CERTS];
	size_t reversed_lens[MAX_CERTS];
	for (size_t i = 0; i < n; i++) {
		reversed[i] = ders[n - 1 - i];
		reversed_lens[i] = lens[n - 1 - i];
	}

	/* Verifications with their uncached references (the copy shares the
	 * original's). Other chains made of the same certificates share parsed
	 * certificates and signature edges in the cache, not verdicts. */
	item items[5] = {
		{"the chain", ders, lens, n, policies[0], t[0], 0, NULL},
		{"the chain without its leaf", ders + 1, lens + 1, n - 1, policies[0], t[0], 0, NULL},
		{"the chain reversed", reversed, reversed_lens, n, policies[0], t[0], 0, NULL},
		{"the chain with a copy of the policy", ders, lens, n, policies[1], t[1], 0, NULL},
		{"the chain at the second time", ders, lens, n, policies[2], t[2], 0, NULL},
	};
	size_t n_items = 0;
	item run[5];
	for (size_t i = 0; i < 5; i++) {
		if ((i == 1 && n < 2) || (i == 2 && n < 3))
			continue;
		item *it = &run[n_items++];
		*it = items[i];
		if (i == 3) {
			it->ret = run[0].ret;
			it->plain = run[0].plain;
			continue;
		}
		it->ret = chain_verify(&it->plain, store, it->policy, it->ders, it->lens, it->n, p);
		fuzz_check_result(it->ret, it->plain, it->ders, it->lens, it->n, it->t);
	}

	/* A new cache for this input alone (deterministic; a cache kept across
	 * inputs would leave every input with more mallocs than frees, which
	 * libFuzzer's leak detection then runs again), bounded by s bits 5-6:
	 * the default, 16 KiB, 256 KiB or 2 MiB, so entries age out. */
	static const size_t bounds[4] = {0, 16u << 10, 256u << 10, 2u << 20};
	chain_cache *cache = NULL;
	if (chain_cache_new(&cache, bounds[(s >> 5) & 3]) != CHAIN_OK)
		fuzz_die("chain_cache_new");
	through_batch(cache, store, p, run, n_items);
	chain_cache_free(cache);

	for (size_t i = 0; i < n_items; i++)
		if (i == 0 || run[i].plain != run[0].plain)
			chain_result_free(run[i].plain);
	for (int i = 0; i < 3; i++)
		chain_policy_free(policies[i]);
	for (size_t i = 0; i < n_made; i++)
		free(made[i]);
	chain_store_free(own);
	return 0;
}
