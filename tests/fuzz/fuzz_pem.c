/* fuzz_pem: PEM text through every PEM entry point of libchain. The input
 * is the text. abort() on a crash, a leak or any of:
 *  - chain_pem_foreach(): the callback sees indices 0, 1, 2..., a block
 *    reported without DER has length 0, the count returned is the number of
 *    calls, and a callback's non-zero value stops the walk and is returned;
 *  - chain_verify_pem() (fixture roots, time 2030, www.example.com) gives a
 *    result of the documented shape; with no block it is CHAIN_EPARSE at
 *    index -1; with an undecodable block it is an input error; otherwise it
 *    equals chain_verify() on the DER certificates chain_pem_foreach() gave;
 *  - chain_store_add_pem() into an empty store: CHAIN_OK exactly when it
 *    kept a certificate, *added equal to the store's count, at most one per
 *    block, every rejection with a source and a reason; adding the text
 *    again adds nothing and keeps the status; chain_pool_add_pem() keeps
 *    as many certificates as the store;
 *  - chain_store_add_crl() on the same text: CHAIN_OK exactly when it read
 *    a CRL, *added equal to the store's CRL count;
 *  - a verification of the fixture chain-a against that store and pool
 *    (whatever they hold) gives a result of the documented shape.
 * Deterministic, no state across inputs. */
#include "fuzz_common.h"

#include <stdlib.h>
#include <string.h>

#define MAX_BLOCKS 64

static chain_store *roots;
static chain_policy *policy;
static fuzz_chain chain_a;

typedef struct {
	const unsigned char *ders[MAX_BLOCKS];
	size_t lens[MAX_BLOCKS], n;
	bool undecodable, all_kept;
} blocks;

static int collect(void *ctx, size_t index, const unsigned char *der, size_t len)
{
	blocks *b = ctx;
	if (index != b->n)
		fuzz_die("chain_pem_foreach: index %zu after %zu blocks", index, b->n);
	if (!der && len != 0)
		fuzz_die("chain_pem_foreach: no DER but length %zu", len);
	if (!der)
		b->undecodable = true;
	if (b->n < MAX_BLOCKS && der) {
		/* Borrowed only for the call: keep a copy. */
		unsigned char *copy = malloc(len ? len : 1);
		if (!copy)
			fuzz_die("out of memory");
		if (len)
			memcpy(copy, der, len);
		b->ders[b->n] = copy;
		b->lens[b->n] = len;
	} else {
		b->all_kept = false;
		if (b->n < MAX_BLOCKS)
			b->ders[b->n] = NULL;
	}
	b->n++;
	return 0;
}

static int stop_at_first(void *ctx, size_t index, const unsigned char *der, size_t len)
{
	(void)der;
	(void)len;
	++*(size_t *)ctx;
	return index == 0 ? 7 : 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (chain_store_new(&roots) != CHAIN_OK || chain_policy_new(&policy) != CHAIN_OK)
		fuzz_die("init");
	fuzz_store_file(roots, "pki/root-a.pem");
	fuzz_store_file(roots, "pki/root-ec.pem");
	chain_policy_set_time(policy, FUZZ_T);
	chain_policy_set_hostname(policy, "www.example.com");
	fuzz_chain_load(&chain_a, "pki/chain-a.pem");
	return 0;
}

static void check_store(const char *pem, size_t size, size_t n_blocks)
{
	chain_store *store = NULL;
	chain_pool *pool = NULL;
	size_t added = SIZE_MAX, again = SIZE_MAX, pool_added = SIZE_MAX, crls = SIZE_MAX;

	if (chain_store_new(&store) != CHAIN_OK || chain_pool_new(&pool) != CHAIN_OK)
		fuzz_die("chain_store_new / chain_pool_new");
	int ret = chain_store_add_pem(store, pem, size, 0, &added);
	size_t count = chain_store_count(store);
	if (ret != CHAIN_OK && ret != CHAIN_EPARSE)
		fuzz_die("chain_store_add_pem returned %d", ret);
	if ((ret == CHAIN_OK) != (count > 0) || added != count || count > n_blocks)
		fuzz_die("chain_store_add_pem: status %d, added %zu, count %zu, %zu blocks", ret, added,
		         count, n_blocks);
	for (size_t i = 0; i < chain_store_rejected_count(store); i++)
		if (!chain_store_rejected_source(store, i) || !chain_store_rejected_reason(store, i))
			fuzz_die("rejection %zu without source or reason", i);
	if (chain_store_rejected_source(store, chain_store_rejected_count(store)))
		fuzz_die("a rejection past the end");
	int ret2 = chain_store_add_pem(store, pem, size, 0, &again);
	if (ret2 != ret || again != 0 || chain_store_count(store) != count)
		fuzz_die("chain_store_add_pem again: status %d (was %d), added %zu, count %zu (was %zu)",
		         ret2, ret, again, chain_store_count(store), count);
	int pret = chain_pool_add_pem(pool, pem, size, 0, &pool_added);
	if (pret != ret || pool_added != count || chain_pool_count(pool) != count)
		fuzz_die("chain_pool_add_pem: status %d, added %zu, count %zu; the store %d, %zu", pret,
		         pool_added, chain_pool_count(pool), ret, count);

	int cret = chain_store_add_crl(store, pem, size, 0, &crls);
	if (cret != CHAIN_OK && cret != CHAIN_EPARSE)
		fuzz_die("chain_store_add_crl returned %d", cret);
	if ((cret == CHAIN_OK) != (crls > 0) || crls != chain_store_crl_count(store))
		fuzz_die("chain_store_add_crl: status %d, added %zu, %zu CRLs", cret, crls,
		         chain_store_crl_count(store));

	if (count > 0 || crls > 0) {
		chain_result *r = NULL;
		int vret = chain_verify(&r, store, policy, (const unsigned char *const *)chain_a.ders,
		                        chain_a.lens, chain_a.n, pool);
		fuzz_check_result(vret, r, (const unsigned char *const *)chain_a.ders, chain_a.lens,
		                  chain_a.n, FUZZ_T);
		chain_result_free(r);
	}
	chain_pool_free(pool);
	chain_store_free(store);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *pem = (const char *)data;
	blocks b = {.all_kept = true};

	long n = chain_pem_foreach(pem, size, collect, &b);
	if (n < 0 || (size_t)n != b.n)
		fuzz_die("chain_pem_foreach returned %ld after %zu blocks", n, b.n);
	size_t calls = 0;
	long stopped = chain_pem_foreach(pem, size, stop_at_first, &calls);
	if (b.n > 0 ? (stopped != 7 || calls != 1) : (stopped != 0 || calls != 0))
		fuzz_die("a stopping callback: returned %ld after %zu calls (%zu blocks)", stopped,
		         calls, b.n);

	chain_result *r = NULL;
	int ret = chain_verify_pem(&r, roots, policy, pem, size, NULL);
	size_t kept = b.n < MAX_BLOCKS ? b.n : MAX_BLOCKS;
	if (b.n == 0) {
		if (ret != CHAIN_EPARSE || chain_result_error_index(r) != -1)
			fuzz_die("no block: status %d, error index %d", ret, chain_result_error_index(r));
		fuzz_check_result(ret, r, NULL, NULL, 0, FUZZ_T);
	} else if (b.undecodable) {
		if (ret != CHAIN_EPARSE && ret != CHAIN_ELIMIT)
			fuzz_die("an undecodable block: status %d", ret);
		fuzz_check_result(ret, r, NULL, NULL, b.n, FUZZ_T); /* an input error: no path */
	} else if (b.all_kept) {
		fuzz_check_result(ret, r, b.ders, b.lens, b.n, FUZZ_T);
		chain_result *d = NULL;
		int dret = chain_verify(&d, roots, policy, b.ders, b.lens, b.n, NULL);
		fuzz_check_same("chain_verify_pem vs chain_verify", ret, r, dret, d);
		chain_result_free(d);
	}
	chain_result_free(r);
	for (size_t i = 0; i < kept; i++)
		free((void *)b.ders[i]);

	check_store(pem, size, b.n);
	return 0;
}
