/* An open-addressing multimap from 64-bit hashes to certificate positions:
 * stores and pools are indexed once as they are filled, so issuer lookup
 * costs a hash and a few byte comparisons however large they grow. */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>

#include "siphash.h"

/* One key for the process, drawn before the first hash: sets built in one
 * thread are read in others, so every thread must hash alike. */
static uint64_t hash_key[2];
static pthread_once_t hash_key_once = PTHREAD_ONCE_INIT;

static void draw_hash_key(void)
{
	chainval_siphash_key(hash_key);
}

/* Keyed (common/siphash.h): subject names come from input (a pool, a served
 * chain), and under FNV-1a, unkeyed, input could choose names that share
 * one slot and make every lookup walk them all. */
uint64_t chain__hash_bytes(const unsigned char *p, size_t len)
{
	pthread_once(&hash_key_once, draw_hash_key);
	return chainval_siphash13(hash_key, p, len);
}

/* A digest's first 8 bytes, keyed too: SHA-256 cannot be aimed at a value,
 * but its low bits can, by trying certificates (2^16 tries per certificate
 * for a 65,536-slot table), and those bits chose the slot before. */
uint64_t chain__hash_digest(const unsigned char *sha256)
{
	return chain__hash_bytes(sha256, 8);
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
	/* Values under one hash come back in the order they were added (the
	 * order candidate issuers are tried in, so a verdict under a signature
	 * budget must not depend on the hash's key). In a table they lie in
	 * that order along their probe sequence, which may wrap past the last
	 * slot: the old table is walked from just after an empty slot (it is at
	 * most half full), so that every run of slots is walked from its start. */
	size_t start = 0;
	while (idx->cap && idx->vals[start])
		start++;
	for (size_t k = 1; k <= idx->cap; k++) {
		size_t i = (start + k) & (idx->cap - 1);
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
	size_t pos = hash & (idx->cap - 1), probes = 1;
	for (; idx->vals[pos]; probes++)
		pos = (pos + 1) & (idx->cap - 1);
	if (probes > idx->max_probe)
		idx->max_probe = probes;
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
	idx->cap = idx->n = idx->max_probe = 0;
}
