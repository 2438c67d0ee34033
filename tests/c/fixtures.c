#include "fixtures.h"

#include <gnutls/gnutls.h>

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
