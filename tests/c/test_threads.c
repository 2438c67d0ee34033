/* One store, pool and policy shared by several threads verifying at once
 * must give every thread the answers a single thread gets. */
#include "fixtures.h"
#include "tap.h"

#include <chain/chain.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define THREADS 4
/* Rounds per thread; CHAIN_TEST_ROUNDS lowers it where code runs slowly
 * (meson test --setup valgrind). */
static int rounds = 50;

static const char *const chains[] = {
	"pki/chain-a.pem", "pki/chain-expired.pem", "pki/chain-bad-sig.pem",
	"pki/chain-many-leaf.pem", "pki/chain-lattice-leaf.pem", "pki/chain-cross.pem",
	"pki/chain-nc-violation.pem", "pki/chain-a-leaf.pem",
};
#define N_CHAINS (sizeof(chains) / sizeof(chains[0]))

static chain_store *store;
static chain_pool *pool;
static chain_policy *policy;
static test_chain inputs[N_CHAINS];
static chain_reason expected[N_CHAINS];
static size_t expected_len[N_CHAINS];

static int verify_one(size_t i, chain_reason *reason, size_t *len)
{
	chain_result *res = NULL;
	int ret = chain_verify(&res, store, policy, (const unsigned char *const *)inputs[i].ders,
	                       inputs[i].lens, inputs[i].n, pool);
	*reason = chain_result_reason(res);
	*len = chain_result_cert_count(res);
	/* Touch the lazily formatted strings too: they must be per result. */
	for (size_t k = 0; k < *len; k++)
		if (!chain_result_cert_subject(res, k) || !chain_result_cert_fingerprint(res, k))
			ret = -100;
	chain_result_free(res);
	return ret;
}

static void *worker(void *arg)
{
	long mismatches = 0;
	size_t offset = (size_t)(long)arg;
	for (int r = 0; r < rounds; r++) {
		for (size_t k = 0; k < N_CHAINS; k++) {
			size_t i = (k + offset) % N_CHAINS; /* threads hit different chains at once */
			chain_reason reason;
			size_t len;
			if (verify_one(i, &reason, &len) < 0 || reason != expected[i] ||
			    len != expected_len[i])
				mismatches++;
		}
	}
	return (void *)mismatches;
}

static int load(const char *dir)
{
	char path[4096];
	const char *stores[] = {"pki/root-a.pem", "pki/root-r0.pem", "pki/root-ec.pem"};
	const char *pools[] = {"pki/pool-a.pem", "pki/pool-many.pem", "pki/pool-lattice.pem"};

	if (chain_store_new(&store) || chain_pool_new(&pool) || chain_policy_new(&policy))
		return -1;
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, stores[i]);
		if (chain_store_add_file(store, path, 0, NULL) < 0)
			return -1;
		snprintf(path, sizeof(path), "%s/%s", dir, pools[i]);
		if (chain_pool_add_file(pool, path, 0, NULL) < 0)
			return -1;
	}
	chain_policy_set_time(policy, 1893456000);
	chain_policy_set_max_depth(policy, 16);
	for (size_t i = 0; i < N_CHAINS; i++)
		if (test_load_chain(&inputs[i], dir, chains[i]) < 0)
			return -1;
	return 0;
}

/* chain_batch gives each item exactly what chain_verify() gives it. */
static void test_batch(unsigned int threads, chain_cache *cache)
{
	const int COPIES = rounds / 2 > 2 ? rounds / 2 : 2;
	chain_batch *b = NULL;
	size_t mismatches = 0;

	chain_batch_new(&b);
	chain_batch_set_cache(b, cache);
	for (int c = 0; c < COPIES; c++)
		for (size_t i = 0; i < N_CHAINS; i++)
			chain_batch_add(b, (const unsigned char *const *)inputs[i].ders, inputs[i].lens,
			                inputs[i].n, policy);
	chain_batch_add(b, NULL, NULL, 0, policy); /* a misuse item fails alone */
	int ret = chain_batch_run(b, store, pool, threads);
	char why[256];
	for (size_t k = 0; k + 1 < chain_batch_count(b); k++) {
		const chain_result *r = chain_batch_result(b, k);
		size_t i = k % N_CHAINS;
		/* Copies hit verdicts that another thread may be making whole
		 * (cache.c): each must equal the first copy field for field. */
		if (chain_batch_status(b, k) != CHAIN_OK || chain_result_reason(r) != expected[i] ||
		    chain_result_cert_count(r) != expected_len[i] ||
		    test_results_differ(r, chain_batch_result(b, i), why, sizeof(why)))
			mismatches++;
	}
	size_t last = chain_batch_count(b) - 1;
	CHECK(ret == CHAIN_OK && mismatches == 0 &&
	      chain_batch_count(b) == (size_t)COPIES * N_CHAINS + 1 &&
	      chain_batch_status(b, last) == CHAIN_EINVAL && chain_batch_result(b, last) == NULL,
	      "batch on %u threads%s agrees with chain_verify (%zu mismatches)", threads,
	      cache ? " with a cache" : "", mismatches);
	chain_result *taken = chain_batch_take_result(b, 0);
	CHECK(taken && chain_batch_result(b, 0) == NULL && chain_batch_run(b, store, pool, 1) == CHAIN_EINVAL,
	      "results can be taken; a batch runs once");
	chain_result_free(taken);
	chain_batch_free(b);
}

/* chain_batch_cancel() from another thread while the batch runs: the run
 * returns CHAIN_ECANCELED soon, every item either has the result
 * chain_verify() gives it or status CHAIN_ECANCELED and no result, and
 * cancelling before the run leaves every item unverified. */
typedef struct {
	chain_batch *batch;
	int started; /* set by the main thread once the run is about to start (atomics) */
} cancel_arg;

static void *cancel_soon(void *arg)
{
	cancel_arg *c = arg;
	while (!__atomic_load_n(&c->started, __ATOMIC_ACQUIRE))
		;
	struct timespec pause = {0, 2 * 1000 * 1000}; /* 2 ms into the run */
	nanosleep(&pause, NULL);
	chain_batch_cancel(c->batch);
	return NULL;
}

static void test_cancel(void)
{
	enum { ITEMS = 20000 };
	chain_batch *b = NULL;
	chain_batch_new(&b);
	for (size_t k = 0; k < ITEMS; k++)
		chain_batch_add(b, (const unsigned char *const *)inputs[k % N_CHAINS].ders,
		                inputs[k % N_CHAINS].lens, inputs[k % N_CHAINS].n, policy);
	cancel_arg c = {b, 0};
	pthread_t t;
	pthread_create(&t, NULL, cancel_soon, &c);
	__atomic_store_n(&c.started, 1, __ATOMIC_SEQ_CST);
	int ret = chain_batch_run(b, store, pool, 2);
	pthread_join(t, NULL);
	size_t done = 0, canceled = 0, wrong = 0;
	for (size_t k = 0; k < ITEMS; k++) {
		const chain_result *r = chain_batch_result(b, k);
		int status = chain_batch_status(b, k);
		if (status == CHAIN_ECANCELED && !r) {
			canceled++;
		} else if (r) {
			done++;
			wrong += chain_result_reason(r) != expected[k % N_CHAINS];
		} else {
			wrong++;
		}
	}
	CHECK(ret == CHAIN_ECANCELED && canceled > 0 && done + canceled == ITEMS && wrong == 0,
	      "cancel from another thread: run returns ECANCELED, %zu verified as chain_verify(), "
	      "%zu left unverified, %zu wrong", done, canceled, wrong);
	chain_batch_free(b);

	chain_batch_new(&b);
	chain_batch_add(b, (const unsigned char *const *)inputs[0].ders, inputs[0].lens, inputs[0].n,
	                policy);
	chain_batch_cancel(b);
	CHECK(chain_batch_run(b, store, pool, 1) == CHAIN_ECANCELED &&
	          chain_batch_status(b, 0) == CHAIN_ECANCELED && !chain_batch_result(b, 0),
	      "cancel before the run: nothing is verified");
	chain_batch_free(b);
	chain_batch_cancel(NULL);
	CHECK(strcmp(chain_error_str(CHAIN_ECANCELED), "canceled") == 0, "CHAIN_ECANCELED's text");
}

/* chain_batch_set_ocsp(): a stapled item gets what chain_verify_stapled()
 * gives it, the others what chain_verify() gives; misuse is refused. (Real
 * good and revoked responses, which need an OCSP signer, are tested through
 * the scanner: tests/python/test_scan_ocsp.py.) */
static void test_batch_ocsp(chain_cache *cache)
{
	static const unsigned char junk[] = {0x30, 0x03, 0x0a, 0x01, 0x00};
	chain_batch *b = NULL;
	chain_batch_new(&b);
	CHECK(chain_batch_set_ocsp(b, 0, junk, sizeof(junk)) == CHAIN_EINVAL,
	      "set_ocsp refuses an item that is not there");
	for (size_t i = 0; i < N_CHAINS; i++)
		chain_batch_add(b, (const unsigned char *const *)inputs[i].ders, inputs[i].lens,
		                inputs[i].n, policy);
	CHECK(chain_batch_set_ocsp(NULL, 0, junk, sizeof(junk)) == CHAIN_EINVAL &&
	          chain_batch_set_ocsp(b, 0, NULL, 5) == CHAIN_EINVAL &&
	          chain_batch_set_ocsp(b, N_CHAINS, junk, sizeof(junk)) == CHAIN_EINVAL,
	      "set_ocsp refuses NULL, a length without bytes, an index out of range");
	CHECK(chain_batch_set_ocsp(b, 0, junk, sizeof(junk)) == CHAIN_OK &&
	          chain_batch_set_ocsp(b, 2, junk, sizeof(junk)) == CHAIN_OK &&
	          chain_batch_set_ocsp(b, 2, NULL, 0) == CHAIN_OK,
	      "set_ocsp on items 0 and 2, then removed from 2");
	chain_batch_set_cache(b, cache);
	uint64_t hits = chain_cache_stat(cache, CHAIN_CACHE_VERDICT_HITS);
	uint64_t misses = chain_cache_stat(cache, CHAIN_CACHE_VERDICT_MISSES);
	uint64_t entries = chain_cache_stat(cache, CHAIN_CACHE_ENTRIES);
	int ret = chain_batch_run(b, store, pool, 2);
	/* The other N_CHAINS - 1 items were verified (and cached) by test_batch():
	 * each is one verdict hit; the stapled item neither looks nor adds. */
	CHECK(chain_cache_stat(cache, CHAIN_CACHE_VERDICT_HITS) - hits == N_CHAINS - 1 &&
	          chain_cache_stat(cache, CHAIN_CACHE_VERDICT_MISSES) == misses &&
	          chain_cache_stat(cache, CHAIN_CACHE_ENTRIES) == entries,
	      "the stapled item neither reads nor fills the cache's verdicts");
	size_t differ = 0;
	char why[256] = "";
	for (size_t i = 0; i < N_CHAINS; i++) {
		chain_result *want = NULL;
		chain_verify_stapled(&want, store, policy, (const unsigned char *const *)inputs[i].ders,
		                     inputs[i].lens, inputs[i].n, pool, NULL, i == 0 ? junk : NULL,
		                     i == 0 ? sizeof(junk) : 0);
		differ += test_results_differ(chain_batch_result(b, i), want, why, sizeof(why)) != 0;
		chain_result_free(want);
	}
	CHECK(ret == CHAIN_OK && differ == 0, "a batch with a stapled item agrees with "
	      "chain_verify_stapled item for item (%zu differ%s%s)", differ, *why ? ": " : "", why);
	CHECK(chain_result_ocsp_status(chain_batch_result(b, 0)) == CHAIN_OCSP_UNUSABLE &&
	          chain_result_ocsp_message(chain_batch_result(b, 0)) != NULL &&
	          chain_result_ocsp_status(chain_batch_result(b, 1)) == CHAIN_OCSP_NONE &&
	          chain_result_ocsp_status(chain_batch_result(b, 2)) == CHAIN_OCSP_NONE,
	      "the stapled item's response is reported unusable; the others have none");
	CHECK(chain_batch_set_ocsp(b, 0, junk, sizeof(junk)) == CHAIN_EINVAL,
	      "set_ocsp after the run is refused");
	chain_batch_free(b);
}

int main(int argc, char **argv)
{
	if (getenv("CHAIN_TEST_ROUNDS"))
		rounds = atoi(getenv("CHAIN_TEST_ROUNDS")) > 0 ? atoi(getenv("CHAIN_TEST_ROUNDS")) : 1;
	pthread_t t[THREADS];
	long total = 0;

	CHECK(load(argc > 1 ? argv[1] : "tests/data") == 0, "fixtures loaded");
	for (size_t i = 0; i < N_CHAINS; i++)
		verify_one(i, &expected[i], &expected_len[i]);
	int kinds = 0;
	for (size_t i = 0; i < N_CHAINS; i++)
		kinds += expected[i] == CHAIN_REASON_OK;
	CHECK(kinds >= 2 && kinds < (int)N_CHAINS, "reference run has both trusted and rejected chains");
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < THREADS; i++) {
		void *m;
		pthread_join(t[i], &m);
		total += (long)m;
	}
	CHECK(total == 0, "%d threads x %d rounds agree with the single-threaded run (%ld mismatches)",
	      THREADS, rounds, total);
	test_batch(1, NULL);
	test_cancel();
	test_batch(2, NULL);
	test_batch(0, NULL);
	/* A cache changes speed, never a verdict: cold, then warm, on 2 threads. */
	chain_cache *cache = NULL;
	CHECK(chain_cache_new(&cache, 0) == CHAIN_OK, "cache created");
	test_batch(2, cache);
	test_batch_ocsp(cache); /* its stapled item neither reads nor fills the verdicts */
	uint64_t cold_misses = chain_cache_stat(cache, CHAIN_CACHE_EDGE_MISSES);
	uint64_t cold_verdicts = chain_cache_stat(cache, CHAIN_CACHE_VERDICT_MISSES);
	test_batch(2, cache);
	CHECK(chain_cache_stat(cache, CHAIN_CACHE_EDGE_HITS) > 0 &&
	      chain_cache_stat(cache, CHAIN_CACHE_CERT_HITS) > 0 &&
	      chain_cache_stat(cache, CHAIN_CACHE_EDGE_MISSES) == cold_misses &&
	      chain_cache_stat(cache, CHAIN_CACHE_VERDICT_MISSES) == cold_verdicts,
	      "the warm run is answered from the cache (edge hits %llu, cert hits %llu, verdict "
	      "hits %llu)",
	      (unsigned long long)chain_cache_stat(cache, CHAIN_CACHE_EDGE_HITS),
	      (unsigned long long)chain_cache_stat(cache, CHAIN_CACHE_CERT_HITS),
	      (unsigned long long)chain_cache_stat(cache, CHAIN_CACHE_VERDICT_HITS));
	chain_cache_free(cache);
	/* A cache too small to hold anything still gives the same verdicts. */
	CHECK(chain_cache_new(&cache, 1) == CHAIN_OK, "tiny cache created");
	test_batch(2, cache);
	CHECK(chain_cache_stat(cache, CHAIN_CACHE_ENTRIES) == 0, "a full cache adds nothing");
	chain_cache_free(cache);
	for (size_t i = 0; i < N_CHAINS; i++)
		test_chain_free(&inputs[i]);
	chain_policy_free(policy);
	chain_pool_free(pool);
	chain_store_free(store);
	return tap_done();
}
