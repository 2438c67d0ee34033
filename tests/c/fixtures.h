/* Helpers shared by the C tests: reading fixture files and PEM chains. */
#ifndef CHAIN_TEST_FIXTURES_H
#define CHAIN_TEST_FIXTURES_H

#include <chain/chain.h>

#include <stddef.h>
#include <stdint.h>

typedef struct {
	unsigned char **ders;
	size_t *lens;
	size_t n;
} test_chain;

/* Read @dir/@name whole; NULL on failure. *len gets the size. */
char *test_read_file(const char *dir, const char *name, size_t *len);
/* Split a PEM file into DER certificates; a block that does not decode
 * becomes a one-byte garbage entry, so the library sees a malformed input. */
int test_load_chain(test_chain *out, const char *dir, const char *name);
void test_chain_free(test_chain *c);
/* 0 when @a and @b agree on every accessor of result.h; else 1 and a
 * description of the first difference in @why. */
int test_results_differ(const chain_result *a, const chain_result *b, char *why, size_t size);
/* notBefore and notAfter of a DER certificate (0 when it does not parse). */
size_t test_cert_times(const unsigned char *der, size_t len, int64_t out[2]);
/* thisUpdate, nextUpdate and revocation dates of a CRL (PEM or DER). */
size_t test_crl_times(const char *data, size_t len, int64_t *out, size_t max);

/* A DER tag and definite length for @len content bytes, into @out (at most
 * 6 bytes); returns how many it wrote. The tests' and fuzz targets' DER
 * writers share it. */
size_t test_der_header(unsigned char out[6], unsigned char tag, size_t len);

#endif
