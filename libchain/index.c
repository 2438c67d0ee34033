/* An open-addressing multimap from 64-bit hashes to certificate positions:
 * stores and pools are indexed once as they are filled, so issuer lookup
 * costs a hash and a few byte comparisons however large they grow. */
#include "internal.h"

#include <stdlib.h>

uint64_t chain__hash_bytes(const unsigned char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static int grow(chain__index *idx)
{
	size_t cap = idx->cap ? idx->cap * 2 : 64;
	uint64_t *hashes = calloc(cap, sizeof(*hashes));
	uint32_t *vals = calloc(cap, sizeof(*vals));

	if (!hashes || !vals) {
		free(hashes);
		free(vals);
		return CHAIN_ENOMEM;
	}
	for (size_t i = 0; i < idx->cap; i++) {
		if (!idx->vals[i])
			continue;
		size_t pos = idx->hashes[i] & (cap - 1);
		while (vals[pos])
			pos = (pos + 1) & (cap - 1);
		hashes[pos] = idx->hashes[i];
		vals[pos] = idx->vals[i];
	}
	free(idx->hashes);
	free(idx->vals);
	idx->hashes = hashes;
	idx->vals = vals;
	idx->cap = cap;
	return CHAIN_OK;
}

int chain__index_add(chain__index *idx, uint64_t hash, uint32_t val)
{
	/* Keep the load under one half so probe sequences stay short. */
	if ((idx->n + 1) * 2 > idx->cap && grow(idx) < 0)
		return CHAIN_ENOMEM;
	size_t pos = hash & (idx->cap - 1);
	while (idx->vals[pos])
		pos = (pos + 1) & (idx->cap - 1);
	idx->hashes[pos] = hash;
	idx->vals[pos] = val + 1;
	idx->n++;
	return CHAIN_OK;
}

bool chain__index_next(const chain__index *idx, uint64_t hash, size_t *pos, uint32_t *val)
{
	if (!idx->cap)
		return false;
	size_t mask = idx->cap - 1;
	size_t p = *pos == SIZE_MAX ? hash & mask : (*pos + 1) & mask;
	for (; idx->vals[p]; p = (p + 1) & mask) {
		if (idx->hashes[p] == hash) {
			*pos = p;
			*val = idx->vals[p] - 1;
			return true;
		}
	}
	return false;
}

void chain__index_free(chain__index *idx)
{
	free(idx->hashes);
	free(idx->vals);
	idx->hashes = NULL;
	idx->vals = NULL;
	idx->cap = idx->n = 0;
}
