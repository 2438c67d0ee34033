/* fuzz_store: filling a trust store and an intermediate pool from fuzzed
 * certificates, PEM, CRLs and distrust dates, then verifying against them.
 *
 * Input: up to 32 records, each a kind byte k, a big-endian u16 length and
 * that many bytes (the last record takes what is left). k % 8:
 *   0 chain_store_add_der   1 chain_pool_add_der   2 chain_store_add_crl
 *   3 chain_store_add_pem   4 chain_pool_add_pem
 *   5 chain_store_set_distrust_after(SHA-256 of the bytes, fuzz_times[k >> 4])
 *     (a record holding a certificate's DER distrusts that certificate)
 *   6 verify now (below)    7 both chain_store_add_der and chain_pool_add_der
 * A verification runs chain-a (leaf, Int A) and the DER records so far
 * (kinds 0, 1, 7; up to 8, in order) as served chains at 2030 for
 * www.example.com. After the records: a verification, then every
 * certificate record is added again, and a verification again.
 *
 * abort() on a crash, a leak or any of: a status outside the documented
 * ones; an add_der that is CHAIN_OK but neither adds one certificate nor
 * finds it present, or that is CHAIN_EPARSE without recording a rejection,
 * or that adds one while failing; CHAIN_ELIMIT other than for a certificate
 * over CHAIN_MAX_STORE_CERT_BYTES; a PEM add whose *added differs from the
 * count's growth; a CRL add whose *added differs from the CRL count's
 * growth or whose status disagrees with it; a result not of the documented
 * shape (fuzz_check_result()); adding everything again changing a count or
 * a verdict. Deterministic, no state across inputs. */
#include "fuzz_common.h"

#include <gnutls/crypto.h>

#include <stdlib.h>
#include <string.h>

#define MAX_RECORDS 32
#define MAX_SERVED 8

static chain_policy *policy;
static fuzz_chain chain_a;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (chain_policy_new(&policy) != CHAIN_OK)
		fuzz_die("init");
	chain_policy_set_time(policy, FUZZ_T);
	chain_policy_set_hostname(policy, "www.example.com");
	fuzz_chain_load(&chain_a, "pki/chain-a.pem");
	return 0;
}

typedef struct {
	uint8_t kind;
	const uint8_t *p;
	size_t len;
} record;

typedef struct {
	chain_store *store;
	chain_pool *pool;
	const unsigned char *served[MAX_SERVED];
	size_t served_lens[MAX_SERVED], n_served;
} state;

/* Verify chain-a and the served DER records; results go to @out (2 slots). */
static void verify(const state *s, chain_result **out, int *ret)
{
	ret[0] = chain_verify(&out[0], s->store, policy, (const unsigned char *const *)chain_a.ders,
	                      chain_a.lens, chain_a.n, s->pool);
	fuzz_check_result(ret[0], out[0], (const unsigned char *const *)chain_a.ders, chain_a.lens,
	                  chain_a.n, FUZZ_T);
	out[1] = NULL;
	ret[1] = CHAIN_OK;
	if (s->n_served) {
		ret[1] = chain_verify(&out[1], s->store, policy, s->served, s->served_lens, s->n_served,
		                      s->pool);
		fuzz_check_result(ret[1], out[1], s->served, s->served_lens, s->n_served, FUZZ_T);
	}
}

static void verify_and_free(const state *s)
{
	chain_result *r[2];
	int ret[2];
	verify(s, r, ret);
	chain_result_free(r[0]);
	chain_result_free(r[1]);
}

static void add_der(state *s, bool to_store, const record *rec)
{
	size_t before = to_store ? chain_store_count(s->store) : chain_pool_count(s->pool);
	size_t rejected = to_store ? chain_store_rejected_count(s->store)
	                           : chain_pool_rejected_count(s->pool);
	int ret = to_store ? chain_store_add_der(s->store, rec->p, rec->len, 0)
	                   : chain_pool_add_der(s->pool, rec->p, rec->len, 0);
	size_t after = to_store ? chain_store_count(s->store) : chain_pool_count(s->pool);
	size_t rejected_after = to_store ? chain_store_rejected_count(s->store)
	                                 : chain_pool_rejected_count(s->pool);
	const char *what = to_store ? "chain_store_add_der" : "chain_pool_add_der";

	if (ret == CHAIN_OK ? after != before && after != before + 1 : after != before)
		fuzz_die("%s: status %d, count %zu -> %zu", what, ret, before, after);
	if (ret == CHAIN_EPARSE && rejected_after != rejected + 1)
		fuzz_die("%s: CHAIN_EPARSE, rejections %zu -> %zu", what, rejected, rejected_after);
	if (ret == CHAIN_ELIMIT && rec->len <= CHAIN_MAX_STORE_CERT_BYTES)
		fuzz_die("%s: CHAIN_ELIMIT for %zu bytes", what, rec->len);
	if (ret != CHAIN_OK && ret != CHAIN_EPARSE && ret != CHAIN_ELIMIT)
		fuzz_die("%s returned %d", what, ret);
}

static void add_pem(state *s, bool to_store, const record *rec)
{
	size_t added = SIZE_MAX;
	size_t before = to_store ? chain_store_count(s->store) : chain_pool_count(s->pool);
	int ret = to_store ? chain_store_add_pem(s->store, (const char *)rec->p, rec->len, 0, &added)
	                   : chain_pool_add_pem(s->pool, (const char *)rec->p, rec->len, 0, &added);
	size_t after = to_store ? chain_store_count(s->store) : chain_pool_count(s->pool);
	if ((ret != CHAIN_OK && ret != CHAIN_EPARSE) || after != before + added ||
	    (ret == CHAIN_EPARSE && added != 0))
		fuzz_die("chain_%s_add_pem: status %d, added %zu, count %zu -> %zu",
		         to_store ? "store" : "pool", ret, added, before, after);
}

static void add_crl(state *s, const record *rec)
{
	size_t added = SIZE_MAX, before = chain_store_crl_count(s->store);
	int ret = chain_store_add_crl(s->store, (const char *)rec->p, rec->len, 0, &added);
	size_t after = chain_store_crl_count(s->store);
	if ((ret != CHAIN_OK && ret != CHAIN_EPARSE) || after != before + added ||
	    (ret == CHAIN_OK) != (added > 0))
		fuzz_die("chain_store_add_crl: status %d, added %zu, CRLs %zu -> %zu", ret, added, before,
		         after);
}

static void apply(state *s, const record *rec, bool replay)
{
	switch (rec->kind % 8) {
	case 0: add_der(s, true, rec); break;
	case 1: add_der(s, false, rec); break;
	case 2:
		if (!replay)
			add_crl(s, rec);
		break;
	case 3: add_pem(s, true, rec); break;
	case 4: add_pem(s, false, rec); break;
	case 5: {
		unsigned char sha[32];
		if (gnutls_hash_fast(GNUTLS_DIG_SHA256, rec->p, rec->len, sha) < 0)
			fuzz_die("gnutls_hash_fast");
		/* Setting the same date again replaces it: a no-op on replay. */
		if (chain_store_set_distrust_after(s->store, sha, fuzz_times[rec->kind >> 4]) != CHAIN_OK)
			fuzz_die("chain_store_set_distrust_after failed");
		break;
	}
	case 6:
		if (!replay)
			verify_and_free(s);
		break;
	default:
		add_der(s, true, rec);
		add_der(s, false, rec);
		break;
	}
	if (!replay && (rec->kind % 8 == 0 || rec->kind % 8 == 1 || rec->kind % 8 == 7) &&
	    s->n_served < MAX_SERVED) {
		s->served[s->n_served] = rec->len ? rec->p : (const unsigned char *)"";
		s->served_lens[s->n_served++] = rec->len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_in in = {data, size};
	record recs[MAX_RECORDS];
	size_t n = 0;
	state s = {0};

	while (in.n > 0 && n < MAX_RECORDS) {
		recs[n].kind = fuzz_u8(&in);
		size_t want = fuzz_u16(&in);
		recs[n].p = fuzz_bytes(&in, want, &recs[n].len);
		n++;
	}
	if (chain_store_new(&s.store) != CHAIN_OK || chain_pool_new(&s.pool) != CHAIN_OK)
		fuzz_die("chain_store_new / chain_pool_new");
	for (size_t i = 0; i < n; i++)
		apply(&s, &recs[i], false);

	chain_result *before[2], *after[2];
	int ret_before[2], ret_after[2];
	verify(&s, before, ret_before);
	size_t counts[3] = {chain_store_count(s.store), chain_pool_count(s.pool),
	                    chain_store_crl_count(s.store)};
	for (size_t i = 0; i < n; i++)
		apply(&s, &recs[i], true);
	if (chain_store_count(s.store) != counts[0] || chain_pool_count(s.pool) != counts[1] ||
	    chain_store_crl_count(s.store) != counts[2])
		fuzz_die("adding everything again: store %zu -> %zu, pool %zu -> %zu, CRLs %zu -> %zu",
		         counts[0], chain_store_count(s.store), counts[1], chain_pool_count(s.pool),
		         counts[2], chain_store_crl_count(s.store));
	verify(&s, after, ret_after);
	fuzz_check_same("chain-a after adding everything again", ret_before[0], before[0],
	                ret_after[0], after[0]);
	fuzz_check_same("the served records after adding everything again", ret_before[1],
	                before[1], ret_after[1], after[1]);
	for (int i = 0; i < 2; i++) {
		chain_result_free(before[i]);
		chain_result_free(after[i]);
	}
	chain_pool_free(s.pool);
	chain_store_free(s.store);
	return 0;
}
