/* Explain mode (chain_policy_set_explain()): every path tried, with its
 * certificates, edges and end; the accepted path is the last attempt and
 * equals the result's path; verdicts do not change; the bound holds; the
 * cache's answers are marked; off, nothing is recorded. Fixtures of
 * tests/data/pki (make-certs.py), verified at the time the test started. */
#include <chain/chain.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixtures.h"
#include "tap.h"

static const char *data_dir;
/* One time for every verification (taken once): a run under valgrind takes
 * seconds, and results made at different times differ in their time. */
static int64_t now;

static chain_store *load_store(const char *name)
{
	char path[4096];
	chain_store *s = NULL;
	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	chain_store_new(&s);
	chain_store_add_file(s, path, 0, NULL);
	return s;
}

static chain_pool *load_pool(const char *name)
{
	char path[4096];
	chain_pool *p = NULL;
	if (!name)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	chain_pool_new(&p);
	chain_pool_add_file(p, path, 0, NULL);
	return p;
}

typedef struct {
	const char *store, *chain, *pool, *host;
	unsigned int max_depth; /* 0: the default */
} scenario;

/* Verify @sc with explain mode bounded at @max (0: off) through @cache. */
static chain_result *run(const scenario *sc, size_t max, chain_cache *cache)
{
	chain_store *store = load_store(sc->store);
	chain_pool *pool = load_pool(sc->pool);
	chain_policy *p = NULL;
	test_chain tc;
	chain_result *r = NULL;

	chain_policy_new(&p);
	chain_policy_set_time(p, now);
	if (sc->host)
		chain_policy_set_hostname(p, sc->host);
	if (sc->max_depth)
		chain_policy_set_max_depth(p, sc->max_depth == 99 ? 0 : sc->max_depth);
	chain_policy_set_explain(p, max);
	if (test_load_chain(&tc, data_dir, sc->chain) == 0) {
		chain_verify_cached(&r, store, p, (const unsigned char *const *)tc.ders, tc.lens, tc.n,
		                    pool, cache);
		test_chain_free(&tc);
	}
	chain_policy_free(p);
	chain_pool_free(pool);
	chain_store_free(store);
	return r;
}

static int has_end(const chain_result *r, chain_attempt_end end)
{
	for (size_t a = 0; a < chain_result_attempt_count(r); a++)
		if (chain_result_attempt_end(r, a) == end)
			return 1;
	return 0;
}

static int attempt_has_reason(const chain_result *r, size_t a, chain_reason reason)
{
	for (size_t k = 0; k < chain_result_attempt_reason_count(r, a); k++)
		if (chain_result_attempt_reason(r, a, k) == reason)
			return 1;
	return 0;
}

/* The verdict with explain mode is the verdict without it. */
static void same_verdict(const scenario *sc, const char *name)
{
	chain_result *plain = run(sc, 0, NULL), *explained = run(sc, CHAIN_EXPLAIN_DEFAULT, NULL);
	char why[512] = "";
	CHECK(plain && explained && !test_results_differ(plain, explained, why, sizeof(why)),
	      "%s: explain mode changes nothing in the result %s", name, why);
	CHECK(!chain_result_explained(plain) && chain_result_attempt_count(plain) == 0,
	      "%s: off, nothing is recorded", name);
	CHECK(chain_result_explained(explained), "%s: explained", name);
	chain_result_free(plain);
	chain_result_free(explained);
}

static void test_trusted_path_is_the_last_attempt(void)
{
	scenario sc = {"pki/root-a.pem", "pki/chain-a.pem", NULL, "www.example.com", 0};
	chain_result *r = run(&sc, CHAIN_EXPLAIN_DEFAULT, NULL);
	size_t n = chain_result_attempt_count(r);
	CHECK(chain_result_ok(r) && n >= 1, "ok_rsa: trusted, %zu attempt(s)", n);
	size_t last = n - 1, len = chain_result_attempt_length(r, last);
	CHECK(chain_result_attempt_end(r, last) == CHAIN_ATTEMPT_TRUSTED &&
	          len == chain_result_cert_count(r),
	      "the last attempt is the trusted path (%zu certificates)", len);
	int same = 1;
	for (size_t j = 0; j < len; j++) {
		same &= strcmp(chain_result_attempt_cert_fingerprint(r, last, j),
		               chain_result_cert_fingerprint(r, j)) == 0;
		same &= strcmp(chain_result_attempt_cert_subject(r, last, j),
		               chain_result_cert_subject(r, j)) == 0;
		same &= strcmp(chain_result_attempt_cert_issuer(r, last, j),
		               chain_result_cert_issuer(r, j)) == 0;
		same &= chain_result_attempt_cert_source(r, last, j) == chain_result_cert_source(r, j);
		same &= chain_result_attempt_cert_input_index(r, last, j) ==
		        chain_result_cert_input_index(r, j);
	}
	CHECK(same, "its certificates are the result's, source and input index included");
	int good = 1;
	for (size_t j = 0; j + 1 < len; j++)
		good &= chain_result_attempt_edge(r, last, j) == CHAIN_EDGE_GOOD &&
		        !chain_result_attempt_edge_cached(r, last, j);
	CHECK(good, "every edge good, none from a cache (no cache given)");
	CHECK(chain_result_attempt_edge_key_id(r, last, 0) == 1, "the leaf's AKI matches its issuer's SKI");
	CHECK(chain_result_attempt_reason_count(r, last) == 0 &&
	          chain_result_attempt_cert_source(r, last, len - 1) == CHAIN_SOURCE_STORE,
	      "no reason; the anchor comes from the store");
	CHECK(chain_result_attempt_edge(r, last, len - 1) == CHAIN_EDGE_NOT_CHECKED &&
	          chain_result_attempt_cert_subject(r, last, len) == NULL &&
	          chain_result_attempt_length(r, n) == 0 && chain_result_attempt_reason(r, n, 0) == 0,
	      "out of range: NOT_CHECKED, NULL, 0");
	chain_result_free(r);
	same_verdict(&sc, "ok_rsa");
}

static void test_failures(void)
{
	scenario missing = {"pki/root-a.pem", "pki/chain-a-leaf.pem", NULL, NULL, 0};
	chain_result *r = run(&missing, CHAIN_EXPLAIN_DEFAULT, NULL);
	CHECK(chain_result_attempt_count(r) == 1 &&
	          chain_result_attempt_end(r, 0) == CHAIN_ATTEMPT_NO_ISSUER &&
	          chain_result_attempt_length(r, 0) == 1 &&
	          attempt_has_reason(r, 0, CHAIN_REASON_MISSING_ISSUER) &&
	          chain_result_attempt_reason_depth(r, 0, 0) == 0 &&
	          chain_result_attempt_reason_message(r, 0, 0) != NULL,
	      "missing issuer: one attempt, the leaf alone, no issuer, with the reason");
	chain_result_free(r);
	same_verdict(&missing, "missing_issuer");

	scenario untrusted = {"pki/root-a.pem", "pki/chain-b-full.pem", NULL, NULL, 0};
	r = run(&untrusted, CHAIN_EXPLAIN_DEFAULT, NULL);
	CHECK(has_end(r, CHAIN_ATTEMPT_NO_ISSUER) &&
	          attempt_has_reason(r, chain_result_attempt_count(r) - 1, CHAIN_REASON_UNTRUSTED_ROOT),
	      "untrusted root: the path ends at the served root, reason untrusted_root");
	chain_result_free(r);

	scenario depth = {"pki/root-a.pem", "pki/chain-a.pem", NULL, NULL, 99};
	r = run(&depth, CHAIN_EXPLAIN_DEFAULT, NULL);
	CHECK(has_end(r, CHAIN_ATTEMPT_DEPTH), "max_depth 0: the attempt ends at the depth bound");
	chain_result_free(r);
	same_verdict(&depth, "depth_zero");

	scenario loop = {"pki/root-a.pem", "pki/chain-loop.pem", NULL, NULL, 0};
	r = run(&loop, CHAIN_EXPLAIN_DEFAULT, NULL);
	CHECK(has_end(r, CHAIN_ATTEMPT_LOOP), "a loop in the served chain: an attempt ends in a loop");
	chain_result_free(r);
	same_verdict(&loop, "loop_in_chain");

	scenario cross = {"pki/root-r0.pem", "pki/chain-cross.pem", NULL, NULL, 0};
	r = run(&cross, CHAIN_EXPLAIN_DEFAULT, NULL);
	size_t n = chain_result_attempt_count(r);
	CHECK(chain_result_ok(r) && n >= 1 &&
	          chain_result_attempt_end(r, n - 1) == CHAIN_ATTEMPT_TRUSTED,
	      "cross-signed: trusted, the last of %zu attempt(s)", n);
	chain_result_free(r);
	same_verdict(&cross, "backtrack_cross_sign");
}

static void test_budget_and_bound(void)
{
	scenario lattice = {"pki/root-a.pem", "pki/chain-lattice-leaf.pem", "pki/pool-lattice.pem",
	                    NULL, 16};
	chain_result *r = run(&lattice, 100000, NULL);
	size_t n = chain_result_attempt_count(r);
	CHECK(chain_result_reason(r) == CHAIN_REASON_BUDGET_EXCEEDED && n > 1 &&
	          chain_result_attempt_end(r, n - 1) == CHAIN_ATTEMPT_BUDGET &&
	          chain_result_attempts_dropped(r) == 0,
	      "a lattice: %zu attempts, the last where the budget ran out", n);
	chain_result_free(r);
	r = run(&lattice, 3, NULL);
	CHECK(chain_result_attempt_count(r) == 3 && chain_result_attempts_dropped(r) == n - 3,
	      "bounded at 3: 3 kept, %zu dropped", chain_result_attempts_dropped(r));
	chain_result_free(r);
	same_verdict(&lattice, "budget_exceeded");
}

static void test_cache(void)
{
	scenario sc = {"pki/root-a.pem", "pki/chain-a.pem", NULL, "www.example.com", 0};
	chain_cache *cache = NULL;
	chain_cache_new(&cache, 0);
	chain_result *plain = run(&sc, 0, cache); /* fills the cache, verdict included */
	chain_result *r = run(&sc, CHAIN_EXPLAIN_DEFAULT, cache);
	size_t n = chain_result_attempt_count(r);
	CHECK(chain_result_explained(r) && n >= 1, "explained past a cached verdict");
	int cached = 1;
	for (size_t j = 0; n && j + 1 < chain_result_attempt_length(r, n - 1); j++)
		cached &= chain_result_attempt_edge_cached(r, n - 1, j);
	CHECK(cached, "the edges say the cache answered them");
	char why[512] = "";
	CHECK(!test_results_differ(plain, r, why, sizeof(why)), "the same result %s", why);
	chain_result_free(plain);
	chain_result_free(r);
	chain_cache_free(cache);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
		return 2;
	}
	data_dir = argv[1];
	now = (int64_t)time(NULL);
	test_trusted_path_is_the_last_attempt();
	test_failures();
	test_budget_and_bound();
	test_cache();
	CHECK(chain_policy_set_explain(NULL, 1) == CHAIN_EINVAL && chain_result_attempt_count(NULL) == 0 &&
	          chain_result_explained(NULL) == 0 && chain_result_attempt_edge_key_id(NULL, 0, 0) == -1,
	      "NULL: EINVAL, 0, -1");
	return tap_done();
}
