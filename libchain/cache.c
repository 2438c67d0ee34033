/* chain_cache: parsed CA certificates and verified signature edges, shared
 * by concurrent verifications. Each table is split in shards with a mutex
 * each, so threads rarely wait on one another; entries are immutable once
 * added (certificates are reference-counted), so a lookup hands out a
 * reference or a copy and lets go of the lock at once. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define SHARDS 16
#define DEFAULT_MAX_BYTES (256u * 1024u * 1024u)
/* What a parsed certificate costs besides its DER (GnuTLS object, key). */
#define CERT_OVERHEAD 32768u

typedef struct {
	unsigned char issuer_key[CHAIN__SHA256_LEN]; /* SHA-256 of the issuer's SPKI */
	unsigned char subject[CHAIN__SHA256_LEN];    /* SHA-256 of the subject's DER */
	chain__edge result;
} edge_entry;

typedef struct {
	pthread_mutex_t lock;
	chain__cert **certs;
	size_t n_certs, cap_certs;
	chain__index cert_index;
	edge_entry *edges;
	size_t n_edges, cap_edges;
	chain__index edge_index;
} shard;

struct chain_cache {
	size_t max_bytes;
	atomic_size_t bytes, entries;
	atomic_uint_fast64_t cert_hits, cert_misses, edge_hits, edge_misses;
	shard shards[SHARDS];
};

int chain_cache_new(chain_cache **out, size_t max_bytes)
{
	if (!out)
		return CHAIN_EINVAL;
	chain_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return CHAIN_ENOMEM;
	c->max_bytes = max_bytes ? max_bytes : DEFAULT_MAX_BYTES;
	for (size_t i = 0; i < SHARDS; i++)
		pthread_mutex_init(&c->shards[i].lock, NULL);
	*out = c;
	return CHAIN_OK;
}

void chain_cache_free(chain_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < SHARDS; i++) {
		shard *s = &c->shards[i];
		for (size_t k = 0; k < s->n_certs; k++)
			chain__cert_unref(s->certs[k]);
		free(s->certs);
		free(s->edges);
		chain__index_free(&s->cert_index);
		chain__index_free(&s->edge_index);
		pthread_mutex_destroy(&s->lock);
	}
	free(c);
}

uint64_t chain_cache_stat(const chain_cache *c, chain_cache_stat_kind kind)
{
	chain_cache *m = (chain_cache *)c; /* atomics are read, never written here */
	if (!c)
		return 0;
	switch (kind) {
	case CHAIN_CACHE_CERT_HITS: return atomic_load(&m->cert_hits);
	case CHAIN_CACHE_CERT_MISSES: return atomic_load(&m->cert_misses);
	case CHAIN_CACHE_EDGE_HITS: return atomic_load(&m->edge_hits);
	case CHAIN_CACHE_EDGE_MISSES: return atomic_load(&m->edge_misses);
	case CHAIN_CACHE_BYTES: return atomic_load(&m->bytes);
	case CHAIN_CACHE_ENTRIES: return atomic_load(&m->entries);
	default: return 0;
	}
}

static uint64_t key64(const unsigned char *sha)
{
	uint64_t h;
	memcpy(&h, sha, sizeof(h)); /* SHA-256 bytes are already uniform */
	return h;
}

/* Reserve room for @size more bytes; false when the cache is full. */
static bool reserve(chain_cache *c, size_t size)
{
	size_t now = atomic_load(&c->bytes);
	do {
		if (now + size > c->max_bytes)
			return false;
	} while (!atomic_compare_exchange_weak(&c->bytes, &now, now + size));
	atomic_fetch_add(&c->entries, 1);
	return true;
}

chain__cert *chain__cache_get_cert(chain_cache *c, const unsigned char sha256[32])
{
	shard *s = &c->shards[sha256[31] % SHARDS];
	chain__cert *found = NULL;
	size_t pos = SIZE_MAX;
	uint32_t i;

	pthread_mutex_lock(&s->lock);
	while (!found && chain__index_next(&s->cert_index, key64(sha256), &pos, &i))
		if (i < s->n_certs && memcmp(s->certs[i]->sha256, sha256, CHAIN__SHA256_LEN) == 0)
			found = chain__cert_ref(s->certs[i]);
	pthread_mutex_unlock(&s->lock);
	atomic_fetch_add(found ? &c->cert_hits : &c->cert_misses, 1);
	return found;
}

void chain__cache_put_cert(chain_cache *c, chain__cert *cert)
{
	shard *s = &c->shards[cert->sha256[31] % SHARDS];

	if (!reserve(c, cert->der_len + CERT_OVERHEAD))
		return;
	pthread_mutex_lock(&s->lock);
	/* A racing thread may have added it: a duplicate only wastes a slot. */
	if (chain__grow(&s->certs, &s->cap_certs, s->n_certs, sizeof(*s->certs)) == CHAIN_OK &&
	    chain__index_add(&s->cert_index, key64(cert->sha256), (uint32_t)s->n_certs) == CHAIN_OK)
		s->certs[s->n_certs++] = chain__cert_ref(cert);
	pthread_mutex_unlock(&s->lock);
}

static shard *edge_shard(chain_cache *c, const chain__cert *issuer, const chain__cert *subject)
{
	return &c->shards[(issuer->spki_sha256[30] ^ subject->sha256[30]) % SHARDS];
}

static uint64_t edge_key(const chain__cert *issuer, const chain__cert *subject)
{
	return key64(issuer->spki_sha256) ^ (key64(subject->sha256) * 0x9e3779b97f4a7c15ull);
}

bool chain__cache_get_edge(chain_cache *c, const chain__cert *issuer, const chain__cert *subject,
                           chain__edge *out)
{
	shard *s = edge_shard(c, issuer, subject);
	size_t pos = SIZE_MAX;
	uint32_t i;
	bool found = false;

	pthread_mutex_lock(&s->lock);
	while (!found && chain__index_next(&s->edge_index, edge_key(issuer, subject), &pos, &i)) {
		const edge_entry *e = &s->edges[i];
		if (i < s->n_edges &&
		    memcmp(e->issuer_key, issuer->spki_sha256, CHAIN__SHA256_LEN) == 0 &&
		    memcmp(e->subject, subject->sha256, CHAIN__SHA256_LEN) == 0) {
			*out = e->result;
			found = true;
		}
	}
	pthread_mutex_unlock(&s->lock);
	atomic_fetch_add(found ? &c->edge_hits : &c->edge_misses, 1);
	return found;
}

void chain__cache_put_edge(chain_cache *c, const chain__cert *issuer, const chain__cert *subject,
                           chain__edge result)
{
	shard *s = edge_shard(c, issuer, subject);

	/* Only the mathematical facts: "unsupported" may depend on GnuTLS state. */
	if (result == CHAIN__EDGE_UNSUPPORTED || !reserve(c, sizeof(edge_entry) + 16))
		return;
	pthread_mutex_lock(&s->lock);
	if (chain__grow(&s->edges, &s->cap_edges, s->n_edges, sizeof(*s->edges)) == CHAIN_OK &&
	    chain__index_add(&s->edge_index, edge_key(issuer, subject), (uint32_t)s->n_edges) ==
	            CHAIN_OK) {
		edge_entry *e = &s->edges[s->n_edges++];
		memcpy(e->issuer_key, issuer->spki_sha256, CHAIN__SHA256_LEN);
		memcpy(e->subject, subject->sha256, CHAIN__SHA256_LEN);
		e->result = result;
	}
	pthread_mutex_unlock(&s->lock);
}
