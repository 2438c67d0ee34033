/* The public API's contract: argument checking, strings, policy setters and
 * result accessors, including on NULL and out-of-range inputs. */
#include "fixtures.h"
#include "tap.h"

#include <chain/chain.h>

#include <stdlib.h>
#include <string.h>

static const char *dir;

static void test_strings(void)
{
	static const chain_reason all[] = {
		CHAIN_REASON_OK, CHAIN_REASON_EXPIRED, CHAIN_REASON_NOT_YET_VALID,
		CHAIN_REASON_MISSING_ISSUER, CHAIN_REASON_UNTRUSTED_ROOT, CHAIN_REASON_NOT_CA,
		CHAIN_REASON_PATH_LENGTH, CHAIN_REASON_KEY_USAGE, CHAIN_REASON_NAME_CONSTRAINTS,
		CHAIN_REASON_DISTRUSTED,
		CHAIN_REASON_BAD_SIGNATURE, CHAIN_REASON_INSECURE_ALGORITHM, CHAIN_REASON_REVOKED,
		CHAIN_REASON_REVOCATION_UNKNOWN,
		CHAIN_REASON_HOSTNAME_MISMATCH, CHAIN_REASON_PURPOSE_MISMATCH,
		CHAIN_REASON_DEPTH_EXCEEDED, CHAIN_REASON_BUDGET_EXCEEDED, CHAIN_REASON_INPUT_LIMIT,
		CHAIN_REASON_MALFORMED, CHAIN_REASON_UNKNOWN_CRITICAL_EXTENSION,
		CHAIN_REASON_NONCONFORMING,
	};
	int roundtrip = 1;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		chain_reason back = (chain_reason)-1;
		const char *name = chain_reason_str(all[i]);
		roundtrip &= strcmp(name, "unknown") != 0 && chain_reason_from_str(&back, name) == 0 &&
		             back == all[i];
	}
	CHECK(roundtrip, "every reason has a name that maps back to it");
	CHECK(strcmp(chain_reason_str(CHAIN_REASON_MISSING_ISSUER), "missing_issuer") == 0,
	      "reason names are the documented ones");
	CHECK(strcmp(chain_reason_str((chain_reason)999), "unknown") == 0, "unknown reason");
	chain_reason r = CHAIN_REASON_OK;
	CHECK(chain_reason_from_str(&r, "nope") == CHAIN_EINVAL && r == CHAIN_REASON_OK,
	      "unknown reason name is EINVAL and leaves *out alone");
	CHECK(chain_reason_from_str(&r, NULL) == CHAIN_EINVAL, "NULL reason name");
	CHECK(strcmp(chain_error_str(CHAIN_EINVAL), "invalid argument") == 0, "error string");
	CHECK(strcmp(chain_error_str(-1000), "unknown error") == 0, "unknown error string");
	CHECK(strcmp(chain_version_string(), CHAIN_VERSION_STRING) == 0, "version string");
}

static void test_policy(void)
{
	chain_policy *p = NULL, *copy = NULL;

	CHECK(chain_policy_new(NULL) == CHAIN_EINVAL, "policy_new(NULL)");
	CHECK(chain_policy_new(&p) == CHAIN_OK && p, "policy_new");
	CHECK(chain_policy_get_limit(p, CHAIN_LIMIT_CERTS) == 32 &&
	      chain_policy_get_limit(p, CHAIN_LIMIT_CHAIN_BYTES) == 1024 * 1024 &&
	      chain_policy_get_limit(p, CHAIN_LIMIT_CERT_BYTES) == 64 * 1024 &&
	      chain_policy_get_limit(p, CHAIN_LIMIT_SIG_CHECKS) == 100 &&
	      chain_policy_get_limit(p, CHAIN_LIMIT_CANDIDATES) == 2000,
	      "documented default limits");
	CHECK(chain_policy_set_limit(p, CHAIN_LIMIT_CERTS, 0) == CHAIN_EINVAL, "limit 0 refused");
	CHECK(chain_policy_set_limit(p, (chain_limit)42, 1) == CHAIN_EINVAL, "unknown limit");
	CHECK(chain_policy_get_limit(p, (chain_limit)42) == 0, "unknown limit reads 0");
	CHECK(chain_policy_set_hostname(p, "") == CHAIN_EINVAL, "empty hostname");
	CHECK(chain_policy_set_hostname(p, "a..b") == CHAIN_EINVAL, "empty label");
	CHECK(chain_policy_set_hostname(p, "bad host") == CHAIN_EINVAL, "space in hostname");
	CHECK(chain_policy_set_hostname(p, "b\xc3\xbc" "cher.example") == CHAIN_EINVAL,
	      "U-labels are refused (A-labels only)");
	char long_name[300];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	CHECK(chain_policy_set_hostname(p, long_name) == CHAIN_EINVAL, "over-long hostname");
	CHECK(chain_policy_set_hostname(p, "Example.COM.") == CHAIN_OK, "mixed case, trailing dot");
	CHECK(chain_policy_set_hostname(p, "::1") == CHAIN_OK, "IPv6 literal as hostname");
	CHECK(chain_policy_set_ip(p, "www.example.com") == CHAIN_EINVAL, "set_ip needs an address");
	CHECK(chain_policy_set_ip(p, "192.0.2.1") == CHAIN_OK, "set_ip IPv4");
	CHECK(chain_policy_set_hostname(p, NULL) == CHAIN_OK, "clear name");
	CHECK(chain_policy_set_purpose(p, "server") == CHAIN_EINVAL, "purpose must be an OID");
	CHECK(chain_policy_set_purpose(p, "1.") == CHAIN_EINVAL, "truncated OID");
	CHECK(chain_policy_set_purpose(p, "1.3.6.1.5.5.7.3.3") == CHAIN_OK, "custom OID");
	CHECK(chain_policy_set_purpose(p, NULL) == CHAIN_OK, "any purpose");
	CHECK(chain_policy_set_max_depth(p, 65) == CHAIN_EINVAL, "max depth over 64");
	CHECK(chain_policy_set_max_depth(p, 0) == CHAIN_OK, "max depth 0");
	CHECK(chain_policy_set_time(NULL, 0) == CHAIN_EINVAL, "NULL policy");
	CHECK(chain_policy_set_hostname(p, "www.example.com") == 0 && chain_policy_copy(&copy, p) == 0,
	      "copy");
	chain_policy_free(p);
	CHECK(copy && chain_policy_set_time(copy, 1) == CHAIN_OK, "copy outlives the original");
	chain_policy_free(copy);
	chain_policy_free(NULL);
}

static void test_verify_misuse(void)
{
	chain_store *store = NULL;
	chain_result *res = (chain_result *)&res; /* must be reset to NULL */
	const unsigned char der[] = {0x30, 0x00};
	const unsigned char *ders[] = {der, NULL};
	size_t lens[] = {sizeof(der), 0};

	chain_store_new(&store);
	CHECK(chain_verify(NULL, store, NULL, ders, lens, 1, NULL) == CHAIN_EINVAL, "out NULL");
	CHECK(chain_verify(&res, NULL, NULL, ders, lens, 1, NULL) == CHAIN_EINVAL && res == NULL,
	      "store NULL gives EINVAL and *out NULL");
	CHECK(chain_verify(&res, store, NULL, ders, lens, 0, NULL) == CHAIN_EINVAL, "n == 0");
	CHECK(chain_verify(&res, store, NULL, ders, NULL, 1, NULL) == CHAIN_EINVAL, "lens NULL");
	CHECK(chain_verify(&res, store, NULL, ders, lens, 2, NULL) == CHAIN_EINVAL,
	      "a NULL certificate pointer");
	int ret = chain_verify(&res, store, NULL, ders, lens, 1, NULL);
	CHECK(ret == CHAIN_EPARSE && res && chain_result_reason(res) == CHAIN_REASON_MALFORMED &&
	      chain_result_error_index(res) == 0 && chain_result_error_message(res) &&
	      !chain_result_ok(res) && chain_result_cert_count(res) == 0,
	      "unparsable leaf: EPARSE with a malformed result naming index 0");
	chain_result_free(res);
	CHECK(chain_verify_pem(&res, store, NULL, "no pem here", 11, NULL) == CHAIN_EPARSE && res &&
	      chain_result_error_index(res) == -1, "PEM without blocks");
	chain_result_free(res);
	chain_store_free(store);
}

static void test_result_accessors(void)
{
	chain_store *store = NULL;
	chain_policy *policy = NULL;
	chain_result *res = NULL;
	size_t len;
	char *pem = test_read_file(dir, "pki/chain-a.pem", &len);
	char path[4096];

	snprintf(path, sizeof(path), "%s/pki/root-a.pem", dir);
	chain_store_new(&store);
	chain_policy_new(&policy);
	chain_store_add_file(store, path, 0, NULL);
	chain_policy_set_time(policy, 1893456000);
	chain_policy_set_hostname(policy, "www.example.com");
	int ret = chain_verify_pem(&res, store, policy, pem, len, NULL);
	CHECK(ret == CHAIN_OK && chain_result_ok(res) && chain_result_anchored(res) &&
	      chain_result_reason(res) == CHAIN_REASON_OK && chain_result_problem_count(res) == 0,
	      "trusted chain");
	CHECK(chain_result_time(res) == 1893456000, "result reports the policy time");
	CHECK(chain_result_cert_count(res) == 3, "path leaf, intermediate, root");
	CHECK(strcmp(chain_result_cert_subject(res, 0), "CN=www.example.com") == 0 &&
	      strcmp(chain_result_cert_issuer(res, 0), "CN=Test Int A") == 0,
	      "RFC 4514 subject and issuer");
	const char *fp = chain_result_cert_fingerprint(res, 0);
	CHECK(fp && strlen(fp) == 64 && strspn(fp, "0123456789abcdef") == 64, "fingerprint hex");
	const char *serial = chain_result_cert_serial(res, 1);
	CHECK(serial && strlen(serial) > 0 && strspn(serial, "0123456789abcdef") == strlen(serial),
	      "serial hex");
	CHECK(chain_result_cert_not_before(res, 0) < 1893456000 &&
	      chain_result_cert_not_after(res, 0) > 1893456000, "validity window");
	size_t der_len = 0;
	const unsigned char *der = chain_result_cert_der(res, 0, &der_len);
	CHECK(der && der_len > 100 && der[0] == 0x30, "leaf DER");
	CHECK(chain_result_cert_source(res, 0) == CHAIN_SOURCE_SERVED &&
	      chain_result_cert_input_index(res, 0) == 0 &&
	      chain_result_cert_source(res, 2) == CHAIN_SOURCE_STORE &&
	      chain_result_cert_input_index(res, 2) == -1, "sources and input indices");
	CHECK(chain_result_cert_subject(res, 3) == NULL && chain_result_cert_der(res, 3, &der_len) == NULL &&
	      der_len == 0 && chain_result_problem_message(res, 0) == NULL &&
	      chain_result_problem_depth(res, 0) == -1 && chain_result_cert_input_index(res, 9) == -1,
	      "out of range gives NULL/-1");
	CHECK(chain_result_ok(NULL) == 0 && chain_result_cert_count(NULL) == 0 &&
	      chain_result_reason(NULL) == CHAIN_REASON_MALFORMED && chain_result_error_index(NULL) == -1,
	      "NULL result is safe");
	/* The result holds its own references: freeing the store first is fine. */
	chain_store_free(store);
	CHECK(strcmp(chain_result_cert_subject(res, 2), "CN=Test Root A") == 0,
	      "result outlives its store");
	chain_result_free(res);
	chain_result_free(NULL);
	chain_policy_free(policy);
	free(pem);
}

/* chain_result_new_input_error(): a caller's own decoding failure as a result. */
static void test_input_error_result(void)
{
	chain_result *res = NULL;
	chain_policy *p = NULL;

	chain_policy_new(&p);
	chain_policy_set_time(p, 1893456000);
	CHECK(chain_result_new_input_error(&res, p, CHAIN_REASON_MALFORMED, 2, "item 2: not base64") ==
	              CHAIN_OK && res && !chain_result_ok(res) &&
	              chain_result_reason(res) == CHAIN_REASON_MALFORMED &&
	              chain_result_error_index(res) == 2 &&
	              strcmp(chain_result_error_message(res), "item 2: not base64") == 0 &&
	              chain_result_problem_count(res) == 1 &&
	              strcmp(chain_result_problem_message(res, 0), "item 2: not base64") == 0 &&
	              chain_result_time(res) == 1893456000 && chain_result_cert_count(res) == 0,
	      "an input-error result reads like chain_verify()'s for CHAIN_EPARSE");
	chain_result_free(res);
	CHECK(chain_result_new_input_error(&res, NULL, CHAIN_REASON_INPUT_LIMIT, -5, "too big") ==
	              CHAIN_OK && chain_result_error_index(res) == -1 &&
	              chain_result_reason(res) == CHAIN_REASON_INPUT_LIMIT,
	      "input_limit, default policy, index below -1 is -1");
	chain_result_free(res);
	CHECK(chain_result_new_input_error(&res, p, CHAIN_REASON_EXPIRED, 0, "x") == CHAIN_EINVAL &&
	              !res && chain_result_new_input_error(&res, p, CHAIN_REASON_MALFORMED, 0, NULL) ==
	                              CHAIN_EINVAL &&
	              chain_result_new_input_error(NULL, p, CHAIN_REASON_MALFORMED, 0, "x") ==
	                      CHAIN_EINVAL,
	      "other reasons and NULL arguments are CHAIN_EINVAL");
	chain_policy_free(p);
}

int main(int argc, char **argv)
{
	dir = argc > 1 ? argv[1] : "tests/data";
	test_strings();
	test_policy();
	test_verify_misuse();
	test_result_accessors();
	test_input_error_result();
	return tap_done();
}
