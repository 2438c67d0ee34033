/* Helpers shared by the fuzz targets: see fuzz_common.h. */
#include "fuzz_common.h"

#include "fixtures.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_DATA_DIR
#define FUZZ_DATA_DIR "tests/data"
#endif

uint8_t fuzz_u8(fuzz_in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

uint16_t fuzz_u16(fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);
	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

const uint8_t *fuzz_bytes(fuzz_in *in, size_t want, size_t *got)
{
	const uint8_t *p = in->p;
	*got = want < in->n ? want : in->n;
	in->p += *got;
	in->n -= *got;
	return p;
}

void fuzz_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "FUZZ FINDING: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

static const char *data_dir(void)
{
	const char *env = getenv("CHAIN_FUZZ_DATA");
	return env && *env ? env : FUZZ_DATA_DIR;
}

char *fuzz_read(const char *rel, size_t *len)
{
	char *data = test_read_file(data_dir(), rel, len);
	if (!data)
		fuzz_die("cannot read fixture %s/%s (set CHAIN_FUZZ_DATA to tests/data)", data_dir(),
		         rel);
	return data;
}

void fuzz_store_file(chain_store *store, const char *rel)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", data_dir(), rel);
	if (chain_store_add_file(store, path, 0, NULL) != CHAIN_OK)
		fuzz_die("cannot load %s into a store", path);
}

void fuzz_pool_file(chain_pool *pool, const char *rel)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", data_dir(), rel);
	if (chain_pool_add_file(pool, path, 0, NULL) != CHAIN_OK)
		fuzz_die("cannot load %s into a pool", path);
}

void fuzz_store_crl(chain_store *store, const char *rel)
{
	size_t len;
	char *data = fuzz_read(rel, &len);
	if (chain_store_add_crl(store, data, len, 0, NULL) != CHAIN_OK)
		fuzz_die("cannot load CRL %s", rel);
	free(data);
}

static int push_der(void *ctx, size_t index, const unsigned char *der, size_t len)
{
	fuzz_chain *c = ctx;
	(void)index;
	c->ders = realloc(c->ders, (c->n + 1) * sizeof(*c->ders));
	c->lens = realloc(c->lens, (c->n + 1) * sizeof(*c->lens));
	if (!c->ders || !c->lens || !(c->ders[c->n] = malloc(len ? len : 1)))
		fuzz_die("out of memory");
	if (len)
		memcpy(c->ders[c->n], der, len);
	c->lens[c->n++] = len;
	return 0;
}

void fuzz_chain_load(fuzz_chain *out, const char *rel)
{
	size_t len;
	char *pem = fuzz_read(rel, &len);
	memset(out, 0, sizeof(*out));
	if (chain_pem_foreach(pem, len, push_der, out) <= 0)
		fuzz_die("no certificate in %s", rel);
	free(pem);
}

void fuzz_chain_free(fuzz_chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->ders[i]);
	free(c->ders);
	free(c->lens);
	memset(c, 0, sizeof(*c));
}

void fuzz_put(fuzz_buf *b, const void *data, size_t len)
{
	if (b->n + len > b->cap) {
		b->cap = (b->n + len) * 2 + 64;
		if (!(b->p = realloc(b->p, b->cap)))
			fuzz_die("out of memory");
	}
	if (len)
		memcpy(b->p + b->n, data, len);
	b->n += len;
}

void fuzz_put_tlv(fuzz_buf *b, unsigned char tag, const void *content, size_t len)
{
	unsigned char head[6];
	fuzz_put(b, head, test_der_header(head, tag, len));
	fuzz_put(b, content, len);
}

/* The fuzz key (make-corpus.py: FUZZ_KEY_SEED). */
static const unsigned char key_seed[32] = {
	0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
	0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f};
static const unsigned char key_public[32] = {
	0x25, 0x43, 0xb9, 0x2f, 0xf1, 0x09, 0x55, 0x11, 0x47, 0x6a, 0xdc, 0x83, 0x69, 0xdb, 0x6d, 0xdc,
	0x93, 0x36, 0x65, 0xa1, 0x19, 0x78, 0xdd, 0xa1, 0x40, 0x4e, 0xe1, 0x06, 0x6c, 0xa9, 0x55, 0x9d};

unsigned char *fuzz_sign(const uint8_t *tbs, size_t len, size_t *out_len)
{
	static gnutls_privkey_t key;
	static const unsigned char alg[] = {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70};
	if (!key) {
		gnutls_datum_t x = {(unsigned char *)key_public, 32}, k = {(unsigned char *)key_seed, 32};
		if (gnutls_privkey_init(&key) < 0 ||
		    gnutls_privkey_import_ecc_raw(key, GNUTLS_ECC_CURVE_ED25519, &x, NULL, &k) < 0)
			fuzz_die("cannot import the fuzz key");
	}
	gnutls_datum_t data = {(unsigned char *)tbs, (unsigned int)len}, sig = {NULL, 0};
	if (gnutls_privkey_sign_data2(key, GNUTLS_SIGN_EDDSA_ED25519, 0, &data, &sig) < 0)
		fuzz_die("cannot sign with the fuzz key");
	fuzz_buf body = {0}, bits = {0}, out = {0};
	fuzz_put(&body, tbs, len);
	fuzz_put(&body, alg, sizeof(alg));
	fuzz_put(&bits, "", 1); /* no unused bits */
	fuzz_put(&bits, sig.data, sig.size);
	fuzz_put_tlv(&body, 0x03, bits.p, bits.n);
	fuzz_put_tlv(&out, 0x30, body.p, body.n);
	gnutls_free(sig.data);
	free(body.p);
	free(bits.p);
	*out_len = out.n;
	return out.p;
}

int64_t fuzz_add_time(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

const char *const fuzz_names[16] = {
	"www.example.com", "other.example.com", "example.com", "192.0.2.1",
	"a.example.com", "a.b.example.com", "foo.example.com", "WWW.EXAMPLE.COM",
	"www.example.com.", "2001:db8::1", "2001:0db8:0:0:0:0:0:1", "192.0.2.2",
	"localhost", "xn--caf-dma.example.com", "*.example.com", "",
};

const char *const fuzz_purposes[4] = {
	CHAIN_PURPOSE_TLS_SERVER, CHAIN_PURPOSE_TLS_CLIENT, "1.3.6.1.5.5.7.3.3", NULL,
};

/* The fixtures' time, their CRL and distrust dates, validity bounds ±1 s,
 * the default PKI window's ends, and extremes. */
const int64_t fuzz_times[16] = {
	FUZZ_T, INT64_C(1735689599), INT64_C(1893456001), INT64_C(1893455999),
	INT64_C(1546300800), INT64_C(1609459200), INT64_C(1577836800), INT64_C(4102444799),
	INT64_C(4102444800), 0, -1, INT64_C(1700000000),
	INT64_C(253402300799), INT64_C(253402300800), INT64_MIN, INT64_MAX,
};

chain_policy *fuzz_policy(fuzz_in *in, int64_t *time)
{
	static const int64_t units[4] = {1, 3600, 86400, 365 * 86400};
	uint8_t b[FUZZ_POLICY_BYTES];
	chain_policy *p = NULL;

	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = fuzz_u8(in);
	if (chain_policy_new(&p) != CHAIN_OK)
		fuzz_die("chain_policy_new failed");
	/* Setter results are not checked: refusing a value is their job. */
	if (b[0] & 0x01) {
		const char *name = fuzz_names[(b[1] >> 2) & 15];
		if (b[1] & 0x02)
			chain_policy_set_ip(p, name);
		else
			chain_policy_set_hostname(p, name);
	}
	if (b[0] & 0x02)
		chain_policy_set_purpose(p, fuzz_purposes[b[1] >> 6]);
	chain_policy_set_strict(p, !(b[0] & 0x04));
	chain_policy_set_cn_fallback(p, b[0] & 0x08);
	chain_policy_set_partial_chain(p, b[0] & 0x10);
	chain_policy_set_allow_sha1(p, b[0] & 0x20);
	chain_policy_set_repair_order(p, b[0] & 0x40);
	chain_policy_set_precertificate(p, b[0] & 0x80);
	if (b[1] & 0x01)
		chain_policy_set_min_rsa_bits(p, 1024);
	if (b[2] & 0x80)
		chain_policy_set_max_depth(p, b[2] & 0x1f);
	*time = fuzz_add_time(fuzz_times[b[3] & 15], (int8_t)b[4] * units[(b[3] >> 4) & 3]);
	chain_policy_set_time(p, *time);
	if (b[5] % 8 >= 1 && b[5] % 8 <= 5)
		chain_policy_set_limit(p, (chain_limit)(b[5] % 8), (uint64_t)(b[6] << 8 | b[7]));
	return p;
}

static void hex(char *out, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

void fuzz_check_result(int ret, const chain_result *r, const unsigned char *const *ders,
                       const size_t *lens, size_t n, int64_t t)
{
	if (ret != CHAIN_OK && ret != CHAIN_EPARSE && ret != CHAIN_ELIMIT)
		fuzz_die("chain_verify returned %d (%s)", ret, chain_error_str(ret));
	if (!r)
		fuzz_die("chain_verify returned %d without a result", ret);
	int ok = chain_result_ok(r);
	chain_reason reason = chain_result_reason(r);
	size_t problems = chain_result_problem_count(r), certs = chain_result_cert_count(r);
	int error_index = chain_result_error_index(r);

	if (chain_result_time(r) != t)
		fuzz_die("result time %lld, policy time %lld", (long long)chain_result_time(r),
		         (long long)t);
	if (ok != (reason == CHAIN_REASON_OK))
		fuzz_die("ok %d with reason %s", ok, chain_reason_str(reason));
	if (ret != CHAIN_OK) {
		chain_reason want = ret == CHAIN_EPARSE ? CHAIN_REASON_MALFORMED : CHAIN_REASON_INPUT_LIMIT;
		if (ok || reason != want || certs != 0 || !chain_result_error_message(r) ||
		    error_index < -1 || error_index >= (int)n)
			fuzz_die("input error %d: ok %d, reason %s, %zu certificates, index %d, message %s",
			         ret, ok, chain_reason_str(reason), certs, error_index,
			         chain_result_error_message(r) ? chain_result_error_message(r) : "(null)");
	} else {
		if (error_index != -1 || chain_result_error_message(r))
			fuzz_die("error index %d / message on a verification that ran", error_index);
		if (ok && (problems != 0 || !chain_result_anchored(r)))
			fuzz_die("trusted with %zu problems, anchored %d", problems,
			         chain_result_anchored(r));
		if (!ok && problems == 0)
			fuzz_die("untrusted (%s) without a problem", chain_reason_str(reason));
		/* A search stopped by its budget may have completed no path yet. */
		if (certs == 0 && reason != CHAIN_REASON_BUDGET_EXCEEDED)
			fuzz_die("a verification that ran reports no path (reason %s)",
			         chain_reason_str(reason));
	}
	bool primary_listed = problems == 0;
	for (size_t i = 0; i < problems; i++) {
		int depth = chain_result_problem_depth(r, i), index = chain_result_problem_input_index(r, i);
		primary_listed |= chain_result_problem_reason(r, i) == reason;
		if (depth < -1 || depth >= (int)certs || index < -1 || index >= (int)n ||
		    !chain_result_problem_message(r, i) ||
		    chain_result_problem_reason(r, i) == CHAIN_REASON_OK)
			fuzz_die("problem %zu: reason %d depth %d index %d", i,
			         chain_result_problem_reason(r, i), depth, index);
	}
	if (!primary_listed)
		fuzz_die("primary reason %s is not among the problems", chain_reason_str(reason));
	for (size_t i = 0; i < certs; i++) {
		size_t len = 0;
		const unsigned char *der = chain_result_cert_der(r, i, &len);
		unsigned char sha[32];
		char want[65];
		const char *fp = chain_result_cert_fingerprint(r, i);
		chain_source source = chain_result_cert_source(r, i);
		int index = chain_result_cert_input_index(r, i);
		if (!der || len == 0)
			fuzz_die("path certificate %zu has no DER", i);
		if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der, len, sha) < 0)
			fuzz_die("gnutls_hash_fast failed");
		hex(want, sha, sizeof(sha));
		if (!fp || strcmp(fp, want) != 0)
			fuzz_die("path certificate %zu: fingerprint %s, SHA-256 of its DER %s", i,
			         fp ? fp : "(null)", want);
		if ((source == CHAIN_SOURCE_SERVED) != (index >= 0) || index >= (int)n ||
		    (source != CHAIN_SOURCE_SERVED && source != CHAIN_SOURCE_POOL &&
		     source != CHAIN_SOURCE_STORE))
			fuzz_die("path certificate %zu: source %d, input index %d of %zu", i, source,
			         index, n);
		if (index >= 0 && (lens[index] != len || memcmp(ders[index], der, len) != 0))
			fuzz_die("path certificate %zu is not served certificate %d", i, index);
		(void)chain_result_cert_subject(r, i);
		(void)chain_result_cert_issuer(r, i);
		(void)chain_result_cert_serial(r, i);
	}
	if (chain_result_anchored(r) &&
	    (certs == 0 || chain_result_cert_source(r, certs - 1) != CHAIN_SOURCE_STORE))
		fuzz_die("anchored, but the path does not end at a store certificate");
	/* Out of range: 0, -1 or NULL, never a crash. */
	if (chain_result_cert_der(r, certs, NULL) || chain_result_cert_subject(r, certs) ||
	    chain_result_cert_fingerprint(r, SIZE_MAX) || chain_result_problem_message(r, problems) ||
	    chain_result_problem_depth(r, problems) != -1 ||
	    chain_result_cert_input_index(r, certs) != -1 || chain_result_cert_not_after(r, certs) != 0)
		fuzz_die("an out-of-range accessor returned something");
}

void fuzz_check_same(const char *what, int ra, const chain_result *a, int rb,
                     const chain_result *b)
{
	char why[512];
	if (ra != rb)
		fuzz_die("%s: status %d vs %d", what, ra, rb);
	if (test_results_differ(a, b, why, sizeof(why)))
		fuzz_die("%s: results differ: %s", what, why);
}
