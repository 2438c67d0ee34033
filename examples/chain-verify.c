/* chain-verify: verify a PEM chain against a PEM bundle of roots with
 * libchain, and print the verdict, every problem and the path.
 *
 *   cc chain-verify.c $(pkg-config --cflags --libs chain) -o chain-verify
 *   ./chain-verify [--host NAME] [--at UNIX_SECONDS] [--purpose server|client|any]
 *                  [--pool INTERMEDIATES.pem] ROOTS.pem CHAIN.pem
 *
 * Exit status: 0 trusted, 1 not trusted, 2 usage or input error. */
#include <chain/chain.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)size + 1)) && fread(buf, 1, (size_t)size, f) == (size_t)size) {
		*len = (size_t)size;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static int usage(void)
{
	fprintf(stderr, "usage: chain-verify [--host NAME] [--at UNIX_SECONDS] "
	                "[--purpose server|client|any] [--pool FILE] ROOTS.pem CHAIN.pem\n");
	return 2;
}

static void print_result(const chain_result *res)
{
	printf("verdict: %s (%s)\n", chain_result_ok(res) ? "trusted" : "NOT trusted",
	       chain_reason_str(chain_result_reason(res)));
	for (size_t i = 0; i < chain_result_problem_count(res); i++)
		printf("  problem: %s at depth %d: %s\n",
		       chain_reason_str(chain_result_problem_reason(res, i)),
		       chain_result_problem_depth(res, i), chain_result_problem_message(res, i));
	for (size_t i = 0; i < chain_result_cert_count(res); i++)
		printf("  [%zu] %s\n      issuer %s\n      serial %s sha256 %.16s...\n", i,
		       chain_result_cert_subject(res, i), chain_result_cert_issuer(res, i),
		       chain_result_cert_serial(res, i), chain_result_cert_fingerprint(res, i));
}

int main(int argc, char **argv)
{
	const char *host = NULL, *at = NULL, *purpose = "server", *pool_file = NULL;
	int i = 1, status = 2;

	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--host") == 0)
			host = argv[i + 1];
		else if (strcmp(argv[i], "--at") == 0)
			at = argv[i + 1];
		else if (strcmp(argv[i], "--purpose") == 0)
			purpose = argv[i + 1];
		else if (strcmp(argv[i], "--pool") == 0)
			pool_file = argv[i + 1];
		else
			return usage();
	}
	if (argc - i != 2)
		return usage();

	chain_store *store = NULL;
	chain_pool *pool = NULL;
	chain_policy *policy = NULL;
	chain_result *res = NULL;
	size_t len = 0, added = 0;
	char *pem = NULL;
	int ret;

	if (chain_store_new(&store) || chain_policy_new(&policy))
		goto cleanup;
	if ((ret = chain_store_add_file(store, argv[i], 0, &added)) < 0) {
		fprintf(stderr, "%s: %s\n", argv[i], chain_error_str(ret));
		goto cleanup;
	}
	if (pool_file && (chain_pool_new(&pool) || chain_pool_add_file(pool, pool_file, 0, NULL))) {
		fprintf(stderr, "%s: cannot load pool\n", pool_file);
		goto cleanup;
	}
	if ((host && chain_policy_set_hostname(policy, host)) ||
	    (at && chain_policy_set_time(policy, strtoll(at, NULL, 10))) ||
	    chain_policy_set_purpose(policy, strcmp(purpose, "server") == 0   ? CHAIN_PURPOSE_TLS_SERVER
	                                     : strcmp(purpose, "client") == 0 ? CHAIN_PURPOSE_TLS_CLIENT
	                                     : strcmp(purpose, "any") == 0    ? NULL
	                                                                      : purpose)) {
		fprintf(stderr, "invalid --host, --at or --purpose\n");
		goto cleanup;
	}
	if (!(pem = slurp(argv[i + 1], &len))) {
		fprintf(stderr, "%s: cannot read\n", argv[i + 1]);
		goto cleanup;
	}
	printf("libchain %s, %zu trust anchors\n", chain_version_string(), added);
	ret = chain_verify_pem(&res, store, policy, pem, len, pool);
	if (ret < 0 && !res) {
		fprintf(stderr, "verification failed: %s\n", chain_error_str(ret));
		goto cleanup;
	}
	if (ret < 0)
		fprintf(stderr, "input error at certificate %d: %s\n", chain_result_error_index(res),
		        chain_result_error_message(res));
	print_result(res);
	status = ret < 0 ? 2 : !chain_result_ok(res);
cleanup:
	free(pem);
	chain_result_free(res);
	chain_policy_free(policy);
	chain_pool_free(pool);
	chain_store_free(store);
	return status;
}
