/* chain_cache (libchain/cache.c): cached verdicts follow every change of
 * what decides them (store, pool, CRLs, distrust dates, policy), the kinds
 * can be chosen, memory stays under the bound by aging entries out, and
 * results outlive the store and the cache they came from. Every result is
 * compared with an uncached chain_verify() field for field. (test_cases.c
 * checks cached verdicts across validity and CRL time boundaries.) */
#include "fixtures.h"
#include "tap.h"

#include <chain/chain.h>

#include <stdlib.h>
#include <string.h>

#define T_2030 1893456000

static const char *data_dir;
static chain_cache *cache;
static size_t mismatches;

typedef struct {
	test_chain chain;
	const char *host;
} row;

/* Verify @r through a one-item batch with the cache, compare with an
 * uncached call, and return the cached result's reason. */
static chain_reason check(const chain_store *store, const chain_pool *pool, const row *r,
                          int64_t t)
{
	chain_policy *p = NULL;
	chain_batch *b = NULL;
	chain_result *plain = NULL;
	char why[256];

	chain_policy_new(&p);
	chain_policy_set_time(p, t);
	chain_policy_set_hostname(p, r->host);
	chain_batch_new(&b);
	chain_batch_set_cache(b, cache);
	chain_batch_add(b, (const unsigned char *const *)r->chain.ders, r->chain.lens, r->chain.n, p);
	chain_batch_run(b, store, pool, 1);
	int ret = chain_verify(&plain, store, p, (const unsigned char *const *)r->chain.ders,
	                       r->chain.lens, r->chain.n, pool);
	const chain_result *cached = chain_batch_result(b, 0);
	chain_reason reason = chain_result_reason(cached);
	if (ret != chain_batch_status(b, 0) || test_results_differ(plain, cached, why, sizeof(why))) {
		printf("# %s at %lld: cached and uncached differ: %s\n", r->host, (long long)t, why);
		mismatches++;
	}
	chain_result_free(plain);
	chain_batch_free(b);
	chain_policy_free(p);
	return reason;
}

static uint64_t stat(chain_cache_stat_kind kind)
{
	return chain_cache_stat(cache, kind);
}

static int load_file(void *set, const char *name, int is_store)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	return is_store ? chain_store_add_file(set, path, 0, NULL)
	                : chain_pool_add_file(set, path, 0, NULL);
}

static void test_store_changes(const row *a, const row *leaf_only)
{
	chain_store *store = NULL;
	chain_pool *pool = NULL;
	chain_store_new(&store);
	chain_pool_new(&pool);

	chain_reason r0 = check(store, NULL, a, T_2030);
	chain_reason r0b = check(store, NULL, a, T_2030);
	load_file(store, "pki/root-a.pem", 1);
	chain_reason r1 = check(store, NULL, a, T_2030);
	CHECK(r0 != CHAIN_REASON_OK && r0b == r0 && r1 == CHAIN_REASON_OK,
	      "adding an anchor to the store is seen at once (%s, then %s)", chain_reason_str(r0),
	      chain_reason_str(r1));

	chain_reason p0 = check(store, pool, leaf_only, T_2030);
	load_file(pool, "pki/pool-a.pem", 0);
	chain_reason p1 = check(store, pool, leaf_only, T_2030);
	CHECK(p0 == CHAIN_REASON_MISSING_ISSUER && p1 == CHAIN_REASON_OK,
	      "adding to the pool is seen at once (%s, then %s)", chain_reason_str(p0),
	      chain_reason_str(p1));

	/* Distrust root-a for leaves issued from 1970 on, then from 2100 on. */
	size_t len = 0;
	chain_result *res = NULL;
	unsigned char sha[32];
	chain_verify(&res, store, NULL, (const unsigned char *const *)a->chain.ders, a->chain.lens,
	             a->chain.n, NULL);
	const char *hex = chain_result_cert_fingerprint(res, chain_result_cert_count(res) - 1);
	for (size_t i = 0; i < 32; i++) {
		unsigned int byte = 0;
		sscanf(hex + 2 * i, "%2x", &byte);
		sha[i] = (unsigned char)byte;
	}
	chain_result_free(res);
	chain_store_set_distrust_after(store, sha, 0);
	chain_reason d0 = check(store, NULL, a, T_2030);
	chain_store_set_distrust_after(store, sha, 4102444800);
	chain_reason d1 = check(store, NULL, a, T_2030);
	CHECK(d0 == CHAIN_REASON_DISTRUSTED && d1 == CHAIN_REASON_OK,
	      "changing a distrust-after date is seen at once (%s, then %s)", chain_reason_str(d0),
	      chain_reason_str(d1));

	char *crl = test_read_file(data_dir, "pki/int-a-revokes-leaf.crl", &len);
	chain_store_add_crl(store, crl, len, 0, NULL);
	free(crl);
	chain_reason c1 = check(store, NULL, a, T_2030);
	CHECK(c1 == CHAIN_REASON_REVOKED, "adding a CRL is seen at once (%s)", chain_reason_str(c1));

	chain_pool_free(pool);
	chain_store_free(store);
}

static void test_policy_in_key(const chain_store *store, row *a)
{
	const char *hosts[] = {"www.example.com", "other.example.com", "WWW.EXAMPLE.COM"};
	chain_reason got[3];
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < 3; i++) {
			a->host = hosts[i];
			got[i] = check(store, NULL, a, T_2030);
		}
	a->host = "www.example.com";
	CHECK(got[0] == CHAIN_REASON_OK && got[1] == CHAIN_REASON_HOSTNAME_MISMATCH &&
	      got[2] == CHAIN_REASON_OK, "one chain under several hostnames: one verdict each");
}

static void test_kinds(const chain_store *store, const row *a)
{
	chain_cache *saved = cache;
	CHECK(chain_cache_set_kinds(NULL, 0) == CHAIN_EINVAL &&
	      chain_cache_set_kinds(cache, 8) == CHAIN_EINVAL, "set_kinds refuses NULL and unknown bits");

	chain_cache_new(&cache, 0);
	chain_cache_set_kinds(cache, 0);
	check(store, NULL, a, T_2030);
	check(store, NULL, a, T_2030);
	CHECK(stat(CHAIN_CACHE_ENTRIES) == 0 && stat(CHAIN_CACHE_VERDICT_HITS) == 0 &&
	      stat(CHAIN_CACHE_EDGE_HITS) == 0, "kinds 0: nothing cached, nothing used");
	chain_cache_free(cache);

	chain_cache_new(&cache, 0);
	chain_cache_set_kinds(cache, CHAIN_CACHE_VERDICTS);
	check(store, NULL, a, T_2030);
	check(store, NULL, a, T_2030 + 86400);
	CHECK(stat(CHAIN_CACHE_ENTRIES) == 1 && stat(CHAIN_CACHE_VERDICT_HITS) == 1 &&
	      stat(CHAIN_CACHE_CERT_MISSES) == 0 && stat(CHAIN_CACHE_EDGE_MISSES) == 0,
	      "verdicts only: one entry, and a day later it answers (entries %llu, hits %llu)",
	      (unsigned long long)stat(CHAIN_CACHE_ENTRIES),
	      (unsigned long long)stat(CHAIN_CACHE_VERDICT_HITS));
	chain_cache_free(cache);

	chain_cache_new(&cache, 0);
	chain_cache_set_kinds(cache, CHAIN_CACHE_CERTS | CHAIN_CACHE_EDGES);
	check(store, NULL, a, T_2030);
	check(store, NULL, a, T_2030);
	CHECK(stat(CHAIN_CACHE_VERDICT_HITS) == 0 && stat(CHAIN_CACHE_VERDICT_MISSES) == 0 &&
	      stat(CHAIN_CACHE_EDGE_HITS) > 0, "without verdicts: edges answer the second call");
	chain_cache_free(cache);
	cache = saved;
}

/* A verdict is stored without its certificates' names (most chains of a
 * scan are seen once) and made whole on its first hit; every hit's result
 * still equals the uncached one (check()). */
static void test_lean_then_whole(const chain_store *store, const row *a)
{
	chain_cache *saved = cache;
	chain_cache_new(&cache, 0);
	chain_cache_set_kinds(cache, CHAIN_CACHE_VERDICTS);
	check(store, NULL, a, T_2030);
	uint64_t lean = stat(CHAIN_CACHE_BYTES);
	check(store, NULL, a, T_2030);
	uint64_t whole = stat(CHAIN_CACHE_BYTES);
	check(store, NULL, a, T_2030);
	CHECK(stat(CHAIN_CACHE_VERDICT_HITS) == 2 && stat(CHAIN_CACHE_ENTRIES) == 1 &&
	              whole > lean && stat(CHAIN_CACHE_BYTES) == whole,
	      "a verdict grows by its names on its first hit only (%llu, %llu, then %llu bytes)",
	      (unsigned long long)lean, (unsigned long long)whole,
	      (unsigned long long)stat(CHAIN_CACHE_BYTES));
	chain_cache_free(cache);
	cache = saved;
}

/* Many distinct (chain, host) rows, at several times, through a small
 * cache: each row twice in a row (the second is a hit), then all again. */
static void test_bound(const chain_store *store, const chain_pool *pool, row *rows, size_t n)
{
	const size_t bound = 64 * 1024;
	chain_cache *saved = cache;
	uint64_t peak = 0;
	char host[64];
	chain_cache_new(&cache, bound);
	for (int round = 0; round < 2; round++)
		for (int h = 0; h < 60; h++)
			for (size_t i = 0; i < n; i++)
				for (int again = 0; again < 2; again++) {
					row r = rows[i];
					snprintf(host, sizeof(host), "h%d.example.com", h);
					r.host = h ? host : "www.example.com";
					check(store, pool, &r, T_2030 - 400 * 86400 + h * 20 * 86400);
					if (stat(CHAIN_CACHE_BYTES) > peak)
						peak = stat(CHAIN_CACHE_BYTES);
				}
	CHECK(peak <= bound && stat(CHAIN_CACHE_EVICTIONS) > 0 && stat(CHAIN_CACHE_VERDICT_HITS) > 0,
	      "a 64 KiB cache stays under its bound by aging entries out (peak %llu bytes, %llu "
	      "evicted, %llu verdict hits)",
	      (unsigned long long)peak, (unsigned long long)stat(CHAIN_CACHE_EVICTIONS),
	      (unsigned long long)stat(CHAIN_CACHE_VERDICT_HITS));
	chain_cache_free(cache);
	cache = saved;
}

/* Results made from cached verdicts borrow store certificates: they must
 * outlive the store and the cache. */
static void test_results_outlive(const row *a)
{
	chain_store *store = NULL;
	chain_cache *own = NULL;
	chain_batch *b = NULL;
	chain_store_new(&store);
	load_file(store, "pki/root-a.pem", 1);
	chain_cache_new(&own, 0);
	chain_batch_new(&b);
	chain_batch_set_cache(b, own);
	for (int i = 0; i < 2; i++)
		chain_batch_add(b, (const unsigned char *const *)a->chain.ders, a->chain.lens,
		                a->chain.n, NULL);
	chain_batch_run(b, store, NULL, 1);
	chain_result *first = chain_batch_take_result(b, 0), *second = chain_batch_take_result(b, 1);
	int hit = chain_cache_stat(own, CHAIN_CACHE_VERDICT_HITS) == 1;
	chain_batch_free(b);
	chain_cache_free(own);
	chain_store_free(store);
	size_t n = chain_result_cert_count(second), len1 = 0, len2 = 0;
	const unsigned char *d1 = chain_result_cert_der(first, n - 1, &len1);
	const unsigned char *d2 = chain_result_cert_der(second, n - 1, &len2);
	CHECK(hit && n == 3 && len1 == len2 && memcmp(d1, d2, len1) == 0 &&
	      chain_result_cert_source(second, n - 1) == CHAIN_SOURCE_STORE &&
	      chain_result_cert_subject(second, n - 1) != NULL,
	      "a cached result's anchor is readable after the store and cache are freed");
	chain_result_free(first);
	chain_result_free(second);
}

/* A result's names of shared certificates (the store's anchor, an
 * intermediate the cache keeps) are formatted once per certificate, not
 * once per result: a scan names the anchor and the leaf's issuer on every
 * row. Two rows of one chain (two host names: no verdict hit) give the
 * same text at the same address; the leaf's issuer is its issuer's
 * subject; and the results outlive the cache and the store. */
static void test_names_formatted_once(const row *a)
{
	chain_store *store = NULL;
	chain_cache *own = NULL;
	chain_result *res[2] = {NULL, NULL};
	chain_store_new(&store);
	load_file(store, "pki/root-a.pem", 1);
	chain_cache_new(&own, 0);
	for (int i = 0; i < 2; i++) {
		chain_policy *p = NULL;
		chain_batch *b = NULL;
		chain_policy_new(&p);
		chain_policy_set_time(p, T_2030);
		chain_policy_set_hostname(p, i ? "example.com" : "www.example.com");
		chain_batch_new(&b);
		chain_batch_set_cache(b, own);
		chain_batch_add(b, (const unsigned char *const *)a->chain.ders, a->chain.lens,
		                a->chain.n, p);
		chain_batch_run(b, store, NULL, 1);
		res[i] = chain_batch_take_result(b, 0);
		chain_batch_free(b);
		chain_policy_free(p);
	}
	size_t n = chain_result_cert_count(res[1]);
	CHECK(n == 3 && chain_cache_stat(own, CHAIN_CACHE_VERDICT_HITS) == 0 &&
	              chain_result_cert_source(res[1], 1) == CHAIN_SOURCE_SERVED,
	      "two rows of one served chain, verified apart");
	const char *anchor0 = chain_result_cert_subject(res[0], n - 1);
	const char *anchor1 = chain_result_cert_subject(res[1], n - 1);
	CHECK(anchor0 && anchor0 == anchor1, "the anchor's subject text is formatted once: %s",
	      anchor1 ? anchor1 : "(null)");
	const char *issuer = chain_result_cert_issuer(res[1], 0);
	const char *inter = chain_result_cert_subject(res[1], 1);
	CHECK(issuer && inter && issuer == inter && issuer == chain_result_cert_issuer(res[0], 0),
	      "the leaf's issuer is the cached intermediate's subject, formatted once: %s",
	      issuer ? issuer : "(null)");
	CHECK(strcmp(chain_result_cert_issuer(res[1], 1), anchor1) == 0 &&
	              strcmp(chain_result_cert_issuer(res[1], 2), anchor1) == 0,
	      "the intermediate's and the self-issued anchor's issuer is the anchor's subject");
	chain_cache_free(own);
	chain_store_free(store);
	size_t len = 0;
	CHECK(strcmp(chain_result_cert_subject(res[0], 1), inter) == 0 &&
	              chain_result_cert_der(res[0], 1, &len) && len == a->chain.lens[1] &&
	              memcmp(chain_result_cert_der(res[0], 1, &len), a->chain.ders[1], len) == 0,
	      "the results outlive the cache and the store, the served intermediate's DER too");
	chain_result_free(res[0]);
	chain_result_free(res[1]);
}

/* chain_verify_cached(): one call at a time through a cache gives
 * chain_verify()'s results, and the second time answers from verdicts. */
static void test_verify_cached(const chain_store *store, const chain_pool *pool, row *rows,
                               size_t n)
{
	chain_cache *own = NULL;
	chain_policy *p = NULL;
	size_t differ = 0;
	char why[256];

	chain_cache_new(&own, 0);
	chain_policy_new(&p);
	chain_policy_set_time(p, 1893456000);
	chain_policy_set_hostname(p, "www.example.com");
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < n; i++) {
			chain_result *plain = NULL, *cached = NULL;
			const unsigned char *const *d = (const unsigned char *const *)rows[i].chain.ders;
			int a = chain_verify(&plain, store, p, d, rows[i].chain.lens, rows[i].chain.n, pool);
			int b = chain_verify_cached(&cached, store, p, d, rows[i].chain.lens,
			                            rows[i].chain.n, pool, own);
			differ += a != b || test_results_differ(plain, cached, why, sizeof(why));
			chain_result_free(plain);
			chain_result_free(cached);
		}
	CHECK(differ == 0 && chain_cache_stat(own, CHAIN_CACHE_VERDICT_HITS) == n &&
	              chain_cache_stat(own, CHAIN_CACHE_VERDICT_MISSES) == n,
	      "chain_verify_cached: %zu of %zu results differ from chain_verify(); the second "
	      "round came from verdicts", differ, 2 * n);
	chain_result *res = NULL;
	CHECK(chain_verify_cached(&res, store, p, (const unsigned char *const *)rows[0].chain.ders,
	                          rows[0].chain.lens, rows[0].chain.n, pool, NULL) == CHAIN_OK &&
	              chain_result_ok(res),
	      "chain_verify_cached with no cache is chain_verify");
	chain_result_free(res);
	chain_policy_free(p);
	chain_cache_free(own);
}

int main(int argc, char **argv)
{
	static const char *const files[] = {"pki/chain-a.pem", "pki/chain-a-leaf.pem",
	                                    "pki/chain-expired.pem", "pki/chain-cross.pem",
	                                    "pki/chain-bad-sig.pem", "pki/chain-wildcard.pem"};
	row rows[6];
	chain_store *store = NULL;
	chain_pool *pool = NULL;

	data_dir = argc > 1 ? argv[1] : "tests/data";
	for (size_t i = 0; i < 6; i++) {
		rows[i].host = "www.example.com";
		CHECK(test_load_chain(&rows[i].chain, data_dir, files[i]) == 0, "loaded %s", files[i]);
	}
	chain_cache_new(&cache, 0);
	chain_store_new(&store);
	chain_pool_new(&pool);
	load_file(store, "pki/root-a.pem", 1);
	load_file(store, "pki/root-r0.pem", 1);
	load_file(pool, "pki/pool-a.pem", 0);

	test_store_changes(&rows[0], &rows[1]);
	test_policy_in_key(store, &rows[0]);
	test_kinds(store, &rows[0]);
	test_lean_then_whole(store, &rows[0]);
	test_bound(store, pool, rows, 6);
	test_results_outlive(&rows[0]);
	test_names_formatted_once(&rows[0]);
	test_verify_cached(store, pool, rows, 6);
	CHECK(mismatches == 0, "every cached result equals the uncached one (%zu differ)", mismatches);

	chain_cache_free(cache);
	chain_pool_free(pool);
	chain_store_free(store);
	for (size_t i = 0; i < 6; i++)
		test_chain_free(&rows[i].chain);
	return tap_done();
}
