/* Helpers shared by the C tests: reading fixture files and PEM chains. */
#ifndef CHAIN_TEST_FIXTURES_H
#define CHAIN_TEST_FIXTURES_H

#include <stddef.h>

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

#endif
