#include "fixtures.h"

#include "internal.h"

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

static int on_block(void *ctx, const unsigned char *der, size_t len, size_t block)
{
	(void)block;
	return push(ctx, der, len);
}

static int on_bad(void *ctx, size_t block, const char *why)
{
	(void)block;
	(void)why;
	static const unsigned char garbage[1] = {0x04};
	return push(ctx, garbage, sizeof(garbage));
}

int test_load_chain(test_chain *out, const char *dir, const char *name)
{
	size_t len;
	char *pem = test_read_file(dir, name, &len);
	memset(out, 0, sizeof(*out));
	if (!pem)
		return -1;
	long blocks = chain__pem_split(pem, len, on_block, on_bad, out);
	free(pem);
	return blocks > 0 ? 0 : -1;
}

void test_chain_free(test_chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->ders[i]);
	free(c->ders);
	free(c->lens);
	memset(c, 0, sizeof(*c));
}
