/* Runs every case of tests/data/cases.tsv (made by make-certs.py) through
 * chain_verify() and checks verdict, primary reason, required problems and
 * path length. Then the same case again through chain_batch with one cache
 * shared by every case, at each time where a verdict could change (every
 * served and path certificate's validity bounds and the CRLs' dates, each
 * ±1 s), in an order that makes later times meet cached verdicts of earlier
 * ones: each result must equal chain_verify()'s at that time, field for
 * field. Output is TAP, one line per case. */
#include "fixtures.h"

#include <chain/chain.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FIELDS 9

static const char *data_dir;
static int64_t default_time;
static chain_cache *shared_cache;

/* Times where the current case's verdict may change. */
#define MAX_TIMES 256
static int64_t times[MAX_TIMES];
static size_t n_times;

static void add_time(int64_t t)
{
	for (int64_t d = -1; d <= 1; d++)
		if (n_times < MAX_TIMES)
			times[n_times++] = t + d;
}

static int split(char *line, char sep, char **fields, int max)
{
	int n = 0;
	fields[n++] = line;
	for (char *p = line; *p && n < max; p++) {
		if (*p == sep) {
			*p = '\0';
			fields[n++] = p + 1;
		}
	}
	return n;
}

/* Comma-separated files into a store or pool via @add. */
static int load_files(char *list, void *obj, int (*add)(void *, const char *))
{
	if (strcmp(list, "-") == 0)
		return 0;
	char *save = NULL;
	for (char *f = strtok_r(list, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", data_dir, f);
		if (add(obj, path) < 0) {
			printf("# cannot load %s\n", path);
			return -1;
		}
	}
	return 0;
}

static int add_store(void *s, const char *path)
{
	return chain_store_add_file(s, path, 0, NULL);
}

static int add_pool(void *p, const char *path)
{
	return chain_pool_add_file(p, path, 0, NULL);
}

static const char *purpose_oid(const char *v)
{
	if (strcmp(v, "server") == 0)
		return CHAIN_PURPOSE_TLS_SERVER;
	if (strcmp(v, "client") == 0)
		return CHAIN_PURPOSE_TLS_CLIENT;
	if (strcmp(v, "any") == 0)
		return NULL;
	return v;
}

static int add_crl(chain_store *store, const char *file)
{
	size_t len;
	int64_t when[16];
	char *data = test_read_file(data_dir, file, &len);
	int ret = data ? chain_store_add_crl(store, data, len, 0, NULL) : -1;
	for (size_t i = 0, n = data ? test_crl_times(data, len, when, 16) : 0; i < n; i++)
		add_time(when[i]);
	free(data);
	return ret;
}

/* "<sha256 hex>@<unix seconds>" */
static int add_distrust(chain_store *store, const char *v)
{
	unsigned char sha[32];
	const char *at = strchr(v, '@');
	if (!at || at - v != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		unsigned int byte;
		if (sscanf(v + 2 * i, "%2x", &byte) != 1)
			return -1;
		sha[i] = (unsigned char)byte;
	}
	return chain_store_set_distrust_after(store, sha, strtoll(at + 1, NULL, 10));
}

static int apply_policy(chain_policy *p, chain_store *store, char *spec)
{
	static const struct {
		const char *key;
		chain_limit limit;
	} limits[] = {
		{"limit_certs", CHAIN_LIMIT_CERTS},
		{"limit_sig_checks", CHAIN_LIMIT_SIG_CHECKS},
		{"limit_candidates", CHAIN_LIMIT_CANDIDATES},
		{"limit_chain_bytes", CHAIN_LIMIT_CHAIN_BYTES},
		{"limit_cert_bytes", CHAIN_LIMIT_CERT_BYTES},
	};
	int ret = chain_policy_set_time(p, default_time);
	if (strcmp(spec, "-") == 0)
		return ret;
	char *save = NULL;
	for (char *kv = strtok_r(spec, ";", &save); kv && ret == 0;
	     kv = strtok_r(NULL, ";", &save)) {
		char *v = strchr(kv, '=');
		if (!v)
			return -1;
		*v++ = '\0';
		if (strcmp(kv, "time") == 0)
			ret = chain_policy_set_time(p, strtoll(v, NULL, 10));
		else if (strcmp(kv, "hostname") == 0)
			ret = chain_policy_set_hostname(p, v);
		else if (strcmp(kv, "ip") == 0)
			ret = chain_policy_set_ip(p, v);
		else if (strcmp(kv, "purpose") == 0)
			ret = chain_policy_set_purpose(p, purpose_oid(v));
		else if (strcmp(kv, "max_depth") == 0)
			ret = chain_policy_set_max_depth(p, (unsigned)atoi(v));
		else if (strcmp(kv, "partial_chain") == 0)
			ret = chain_policy_set_partial_chain(p, atoi(v));
		else if (strcmp(kv, "cn_fallback") == 0)
			ret = chain_policy_set_cn_fallback(p, atoi(v));
		else if (strcmp(kv, "crl") == 0)
			ret = add_crl(store, v);
		else if (strcmp(kv, "distrust") == 0)
			ret = add_distrust(store, v);
		else if (strcmp(kv, "repair_order") == 0)
			ret = chain_policy_set_repair_order(p, atoi(v));
		else if (strcmp(kv, "precertificate") == 0)
			ret = chain_policy_set_precertificate(p, atoi(v));
		else if (strcmp(kv, "strict") == 0)
			ret = chain_policy_set_strict(p, atoi(v));
		else if (strcmp(kv, "allow_sha1") == 0)
			ret = chain_policy_set_allow_sha1(p, atoi(v));
		else if (strcmp(kv, "min_rsa_bits") == 0)
			ret = chain_policy_set_min_rsa_bits(p, (unsigned)atoi(v));
		else {
			size_t i;
			for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
				if (strcmp(kv, limits[i].key) == 0)
					break;
			if (i == sizeof(limits) / sizeof(limits[0]))
				return -1;
			ret = chain_policy_set_limit(p, limits[i].limit, strtoull(v, NULL, 10));
		}
	}
	return ret;
}

static bool has_problem(const chain_result *r, const char *code, int depth)
{
	for (size_t i = 0; i < chain_result_problem_count(r); i++)
		if (strcmp(chain_reason_str(chain_result_problem_reason(r, i)), code) == 0 &&
		    chain_result_problem_depth(r, i) == depth)
			return true;
	return false;
}

static void describe(const chain_result *r)
{
	printf("#   got ok=%d code=%s path_len=%zu\n", chain_result_ok(r),
	       chain_reason_str(chain_result_reason(r)), chain_result_cert_count(r));
	for (size_t i = 0; i < chain_result_problem_count(r); i++)
		printf("#   problem %s@%d: %s\n", chain_reason_str(chain_result_problem_reason(r, i)),
		       chain_result_problem_depth(r, i), chain_result_problem_message(r, i));
	for (size_t i = 0; i < chain_result_cert_count(r); i++)
		printf("#   path[%zu] %s (source %d)\n", i, chain_result_cert_subject(r, i),
		       chain_result_cert_source(r, i));
}

static int by_value(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The case at every time of times[] (de-duplicated), through one batch with
 * the shared cache, in three rounds: odd positions, even ones, all again
 * backwards. 1 when every result equals chain_verify()'s at its time. */
static int check_cached(const chain_store *store, const chain_pool *pool,
                        const chain_policy *policy, const test_chain *chain)
{
	chain_policy *at[MAX_TIMES];
	chain_result *plain[MAX_TIMES];
	int status[MAX_TIMES];
	size_t slot[3 * MAX_TIMES], n = 0, m = 0;
	chain_batch *b = NULL;
	int pass = chain_batch_new(&b) == CHAIN_OK && chain_batch_set_cache(b, shared_cache) == CHAIN_OK;

	qsort(times, n_times, sizeof(*times), by_value);
	for (size_t i = 0; i < n_times; i++)
		if (m == 0 || times[i] != times[m - 1])
			times[m++] = times[i];
	for (size_t i = 0; i < m; i++) {
		at[i] = NULL;
		plain[i] = NULL;
		if (chain_policy_copy(&at[i], policy) != CHAIN_OK ||
		    chain_policy_set_time(at[i], times[i]) != CHAIN_OK)
			pass = 0;
		else
			status[i] = chain_verify(&plain[i], store, at[i],
			                         (const unsigned char *const *)chain->ders, chain->lens,
			                         chain->n, pool);
	}
	for (size_t round = 0; round < 3 && pass; round++)
		for (size_t k = 0; k < m && pass; k++) {
			size_t i = round == 2 ? m - 1 - k : 2 * k + (round == 0);
			if (i >= m)
				continue;
			slot[n++] = i;
			pass = chain_batch_add(b, (const unsigned char *const *)chain->ders, chain->lens,
			                       chain->n, at[i]) == CHAIN_OK;
		}
	pass = pass && chain_batch_run(b, store, pool, 2) == CHAIN_OK;
	for (size_t k = 0; k < n && pass; k++) {
		char why[256];
		size_t i = slot[k];
		if (status[i] != chain_batch_status(b, k) ||
		    test_results_differ(plain[i], chain_batch_result(b, k), why, sizeof(why))) {
			printf("# with the cache, at %lld: %s (status %d vs %d)\n", (long long)times[i],
			       why, status[i], chain_batch_status(b, k));
			pass = 0;
		}
	}
	for (size_t i = 0; i < m; i++) {
		chain_result_free(plain[i]);
		chain_policy_free(at[i]);
	}
	chain_batch_free(b);
	return pass;
}

/* Returns 1 when the case passes. */
static int run_case(char **f, double *seconds)
{
	chain_store *store = NULL;
	chain_pool *pool = NULL;
	chain_policy *policy = NULL;
	chain_result *res = NULL;
	test_chain chain;
	int pass = 0;

	if (chain_store_new(&store) || chain_pool_new(&pool) || chain_policy_new(&policy))
		goto cleanup;
	if (load_files(f[1], store, add_store) || load_files(f[3], pool, add_pool))
		goto cleanup;
	n_times = 0;
	if (apply_policy(policy, store, f[4]) != 0) {
		printf("# bad policy spec\n");
		goto cleanup;
	}
	if (test_load_chain(&chain, data_dir, f[2]) != 0) {
		printf("# cannot read chain %s\n", f[2]);
		goto cleanup;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int ret = chain_verify(&res, store, policy, (const unsigned char *const *)chain.ders,
	                       chain.lens, chain.n, pool);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!res) {
		printf("# chain_verify returned %d (%s) and no result\n", ret, chain_error_str(ret));
		test_chain_free(&chain);
		goto cleanup;
	}
	add_time(chain_result_time(res));
	for (size_t i = 0; i < chain.n; i++) {
		int64_t t[2];
		for (size_t k = 0, m = test_cert_times(chain.ders[i], chain.lens[i], t); k < m; k++)
			add_time(t[k]);
	}
	for (size_t i = 0; i < chain_result_cert_count(res); i++) {
		add_time(chain_result_cert_not_before(res, i));
		add_time(chain_result_cert_not_after(res, i));
	}
	int cached_ok = check_cached(store, pool, policy, &chain);
	test_chain_free(&chain);
	pass = chain_result_ok(res) == atoi(f[5]) &&
	       strcmp(chain_reason_str(chain_result_reason(res)), f[6]) == 0;
	if (strcmp(f[6], "malformed") == 0 && ret == CHAIN_EPARSE) /* else a malformed extension */
		pass = pass && chain_result_error_index(res) >= 0;
	else if (strcmp(f[6], "input_limit") == 0)
		pass = pass && ret == CHAIN_ELIMIT;
	else
		pass = pass && ret == CHAIN_OK;
	if (strcmp(f[8], "-") != 0)
		pass = pass && chain_result_cert_count(res) == (size_t)atoi(f[8]);
	if (strcmp(f[7], "-") != 0) {
		char *save = NULL;
		for (char *e = strtok_r(f[7], ",", &save); e; e = strtok_r(NULL, ",", &save)) {
			char *at = strchr(e, '@');
			if (!at)
				continue;
			*at = '\0';
			if (!has_problem(res, e, atoi(at + 1))) {
				printf("# missing problem %s@%s\n", e, at + 1);
				pass = 0;
			}
		}
	}
	if (!pass)
		describe(res);
	pass = pass && cached_ok;
cleanup:
	chain_result_free(res);
	chain_policy_free(policy);
	chain_pool_free(pool);
	chain_store_free(store);
	return pass;
}

int main(int argc, char **argv)
{
	size_t len;
	char *tsv;
	int failed = 0, n = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DATA_DIR [INDEX]\n", argv[0]);
		return 2;
	}
	data_dir = argv[1];
	/* Other indexes (nc/cases.tsv) name their files relative to DATA_DIR too. */
	const char *index = argc > 2 ? argv[2] : "cases.tsv";
	default_time = 1893456000; /* 2030-01-01T00:00:00Z, as make-certs.py */
	const char *limit = getenv("CHAIN_TEST_TIME_LIMIT");
	double time_limit = limit ? atof(limit) : 2.0;
	if (chain_cache_new(&shared_cache, 0) != CHAIN_OK)
		return 2;
	if (!(tsv = test_read_file(data_dir, index, &len))) {
		fprintf(stderr, "cannot read %s/%s\n", data_dir, index);
		return 2;
	}
	int cases = 0;
	for (char *p = tsv; *p; p++)
		cases += *p == '\n';
	printf("1..%d\n", cases - 1);
	char *save = NULL;
	strtok_r(tsv, "\n", &save); /* header */
	for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[MAX_FIELDS];
		double seconds = 0;
		n++;
		if (split(line, '\t', f, MAX_FIELDS) != MAX_FIELDS) {
			printf("not ok %d - malformed line\n", n);
			failed++;
			continue;
		}
		char name[256];
		snprintf(name, sizeof(name), "%s", f[0]);
		int pass = run_case(f, &seconds);
		/* Hostile inputs must end in bounded time, whatever the verdict
		 * (valgrind's setup raises the bound: it runs code ~50x slower). */
		if (seconds > time_limit) {
			printf("# took %.3f s\n", seconds);
			pass = 0;
		}
		printf("%s %d - %s (%.1f ms)\n", pass ? "ok" : "not ok", n, name, seconds * 1e3);
		failed += !pass;
	}
	free(tsv);
	printf("# cache: %llu verdict hits, %llu misses\n",
	       (unsigned long long)chain_cache_stat(shared_cache, CHAIN_CACHE_VERDICT_HITS),
	       (unsigned long long)chain_cache_stat(shared_cache, CHAIN_CACHE_VERDICT_MISSES));
	if (chain_cache_stat(shared_cache, CHAIN_CACHE_VERDICT_HITS) == 0) {
		printf("# the cache answered nothing: the comparison tested nothing\n");
		failed++;
	}
	chain_cache_free(shared_cache);
	return failed ? 1 : 0;
}
