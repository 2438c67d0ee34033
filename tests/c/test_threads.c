/* One store, pool and policy shared by several threads verifying at once
 * must give every thread the answers a single thread gets. */
#include "fixtures.h"
#include "tap.h"

#include <chain/chain.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define ROUNDS 50

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
	for (int r = 0; r < ROUNDS; r++) {
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

int main(int argc, char **argv)
{
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
	      THREADS, ROUNDS, total);
	for (size_t i = 0; i < N_CHAINS; i++)
		test_chain_free(&inputs[i]);
	chain_policy_free(policy);
	chain_pool_free(pool);
	chain_store_free(store);
	return tap_done();
}
