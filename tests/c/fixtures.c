#include "fixtures.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <stdarg.h>
#include <stdbool.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *test_read_file(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)size + 1);
	if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[size] = '\0';
		*len = (size_t)size;
	}
	return buf;
}

static int push(test_chain *c, const unsigned char *der, size_t len)
{
	unsigned char **ders = realloc(c->ders, (c->n + 1) * sizeof(*ders));
	size_t *lens = realloc(c->lens, (c->n + 1) * sizeof(*lens));
	if (ders)
		c->ders = ders;
	if (lens)
		c->lens = lens;
	if (!ders || !lens || !(c->ders[c->n] = malloc(len ? len : 1)))
		return -1;
	memcpy(c->ders[c->n], der, len);
	c->lens[c->n++] = len;
	return 0;
}

/* Tests link only the public library, so PEM blocks are split here with
 * GnuTLS's decoder, independently of libchain's own loader. */
int test_load_chain(test_chain *out, const char *dir, const char *name)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----", end[] = "-----END CERTIFICATE-----";
	size_t len;
	char *pem = test_read_file(dir, name, &len);
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!pem)
		return -1;
	for (char *p = strstr(pem, begin); p && ret == 0; p = strstr(p, begin)) {
		char *stop = strstr(p, end);
		if (!stop)
			break;
		stop += sizeof(end) - 1;
		gnutls_datum_t in = {(unsigned char *)p, (unsigned int)(stop - p)}, der = {NULL, 0};
		static const unsigned char garbage[1] = {0x04};
		/* A block that does not decode becomes a one-byte non-certificate. */
		if (gnutls_pem_base64_decode2("CERTIFICATE", &in, &der) < 0)
			ret = push(out, garbage, sizeof(garbage));
		else
			ret = push(out, der.data, der.size);
		gnutls_free(der.data);
		p = stop;
	}
	free(pem);
	return ret == 0 && out->n > 0 ? 0 : -1;
}

void test_chain_free(test_chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->ders[i]);
	free(c->ders);
	free(c->lens);
	memset(c, 0, sizeof(*c));
}

static int differ(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int differ(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return 1;
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int test_results_differ(const chain_result *a, const chain_result *b, char *why, size_t size)
{
	if (!a || !b)
		return a != b ? differ(why, size, "one result is missing") : 0;
	if (chain_result_ok(a) != chain_result_ok(b) || chain_result_reason(a) != chain_result_reason(b) ||
	    chain_result_anchored(a) != chain_result_anchored(b) ||
	    chain_result_order_repaired(a) != chain_result_order_repaired(b) ||
	    chain_result_time(a) != chain_result_time(b))
		return differ(why, size, "verdict: ok %d/%d, %s/%s, time %lld/%lld",
		              chain_result_ok(a), chain_result_ok(b),
		              chain_reason_str(chain_result_reason(a)),
		              chain_reason_str(chain_result_reason(b)), (long long)chain_result_time(a),
		              (long long)chain_result_time(b));
	if (chain_result_error_index(a) != chain_result_error_index(b) ||
	    !same_str(chain_result_error_message(a), chain_result_error_message(b)))
		return differ(why, size, "input error");
	if (chain_result_problem_count(a) != chain_result_problem_count(b))
		return differ(why, size, "%zu vs %zu problems", chain_result_problem_count(a),
		              chain_result_problem_count(b));
	for (size_t i = 0; i < chain_result_problem_count(a); i++)
		if (chain_result_problem_reason(a, i) != chain_result_problem_reason(b, i) ||
		    chain_result_problem_depth(a, i) != chain_result_problem_depth(b, i) ||
		    chain_result_problem_input_index(a, i) != chain_result_problem_input_index(b, i) ||
		    !same_str(chain_result_problem_message(a, i), chain_result_problem_message(b, i)))
			return differ(why, size, "problem %zu: %s / %s", i,
			              chain_result_problem_message(a, i), chain_result_problem_message(b, i));
	if (chain_result_cert_count(a) != chain_result_cert_count(b))
		return differ(why, size, "path of %zu vs %zu", chain_result_cert_count(a),
		              chain_result_cert_count(b));
	for (size_t i = 0; i < chain_result_cert_count(a); i++) {
		size_t la, lb;
		const unsigned char *da = chain_result_cert_der(a, i, &la);
		const unsigned char *db = chain_result_cert_der(b, i, &lb);
		if (la != lb || !da || !db || memcmp(da, db, la) != 0 ||
		    !same_str(chain_result_cert_subject(a, i), chain_result_cert_subject(b, i)) ||
		    !same_str(chain_result_cert_issuer(a, i), chain_result_cert_issuer(b, i)) ||
		    !same_str(chain_result_cert_serial(a, i), chain_result_cert_serial(b, i)) ||
		    !same_str(chain_result_cert_fingerprint(a, i), chain_result_cert_fingerprint(b, i)) ||
		    chain_result_cert_not_before(a, i) != chain_result_cert_not_before(b, i) ||
		    chain_result_cert_not_after(a, i) != chain_result_cert_not_after(b, i) ||
		    chain_result_cert_source(a, i) != chain_result_cert_source(b, i) ||
		    chain_result_cert_input_index(a, i) != chain_result_cert_input_index(b, i))
			return differ(why, size, "path certificate %zu", i);
	}
	return 0;
}

size_t test_cert_times(const unsigned char *der, size_t len, int64_t out[2])
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = {(unsigned char *)der, (unsigned int)len};
	size_t n = 0;
	if (gnutls_x509_crt_init(&crt) < 0)
		return 0;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) >= 0) {
		out[n++] = gnutls_x509_crt_get_activation_time(crt);
		out[n++] = gnutls_x509_crt_get_expiration_time(crt);
	}
	gnutls_x509_crt_deinit(crt);
	return n;
}

size_t test_crl_times(const char *data, size_t len, int64_t *out, size_t max)
{
	gnutls_x509_crl_t crl;
	gnutls_datum_t d = {(unsigned char *)data, (unsigned int)len};
	size_t n = 0;
	if (gnutls_x509_crl_init(&crl) < 0)
		return 0;
	if (gnutls_x509_crl_import(crl, &d, GNUTLS_X509_FMT_PEM) >= 0 ||
	    gnutls_x509_crl_import(crl, &d, GNUTLS_X509_FMT_DER) >= 0) {
		if (n < max)
			out[n++] = gnutls_x509_crl_get_this_update(crl);
		if (n < max)
			out[n++] = gnutls_x509_crl_get_next_update(crl);
		int count = gnutls_x509_crl_get_crt_count(crl);
		for (int i = 0; i < count && n < max; i++) {
			unsigned char serial[64];
			size_t size = sizeof(serial);
			time_t when;
			if (gnutls_x509_crl_get_crt_serial(crl, i, serial, &size, &when) >= 0)
				out[n++] = when;
		}
	}
	gnutls_x509_crl_deinit(crl);
	return n;
}

size_t test_der_header(unsigned char out[6], unsigned char tag, size_t len)
{
	size_t h = 0;
	out[h++] = tag;
	if (len < 0x80) {
		out[h++] = (unsigned char)len;
	} else {
		size_t octets = len > 0xffffff ? 4 : len > 0xffff ? 3 : len > 0xff ? 2 : 1;
		out[h++] = (unsigned char)(0x80 | octets);
		for (size_t i = octets; i > 0; i--)
			out[h++] = (unsigned char)(len >> (8 * (i - 1)));
	}
	return h;
}
