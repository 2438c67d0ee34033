/* chain_cache: parsed CA certificates, verified signature edges and whole
 * verdicts, shared by concurrent verifications.
 *
 * Each table is split in shards with a mutex each, so threads rarely wait
 * on one another. Entries are immutable once added (certificates and
 * verdicts are reference-counted), so a lookup hands out a reference or a
 * copy and lets go of the lock at once.
 *
 * Memory is bounded by two generations per shard: new entries go to the
 * current one; when it holds half the shard's share of the bound, the old
 * generation is dropped and the current one becomes old. A hit in the old
 * generation copies the entry into the current one, so what keeps being
 * used (the intermediates of a scan) stays, and what was seen once (the
 * leaves of a scan of unique chains) ages out: a long scan runs at a flat
 * memory ceiling instead of growing until the bound and then caching
 * nothing new.
 *
 * A verdict is stored lean (its certificates' names not formatted) and
 * made whole on its first hit: most chains of a scan are seen only once,
 * and formatting their names for a copy nobody asks for cost 2 % of a
 * unique row's CPU, and memory besides; a chain seen twice is likely seen
 * again, and its later hits copy the text instead of formatting it. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define SHARDS 16
#define DEFAULT_MAX_BYTES (256u * 1024u * 1024u)
/* What a parsed certificate costs besides its DER: the struct, its strings
 * and the issuer key. (The GnuTLS certificate object, ~25 KB, is made only
 * for RSA-PSS and CRL signatures and certificates x509.c leaves to GnuTLS.) */
#define CERT_OVERHEAD 4096u
/* An entry's share of its table's growth slack and index slots (arrays
 * double, the index stays under half full), on top of the entry itself. */
#define SLOT_BYTES 48u
#define EDGE_BYTES (sizeof(edge_entry) + SLOT_BYTES)

typedef struct {
	unsigned char issuer_key[CHAIN__SHA256_LEN]; /* SHA-256 of the issuer's SPKI */
	unsigned char subject[CHAIN__SHA256_LEN];    /* SHA-256 of the subject's DER */
	chain__edge result;
} edge_entry;

/* A verdict and the times it holds for (verify.c builds the key). */
typedef struct {
	atomic_uint refs;
	unsigned char key[CHAIN__SHA256_LEN];
	int64_t lo, hi;
	chain_result *tmpl;
	size_t bytes;
	bool with_text; /* tmpl's names are formatted (after its first hit) */
} verdict;

typedef struct {
	chain__cert **certs;
	size_t n_certs, cap_certs;
	chain__index cert_index;
	edge_entry *edges;
	size_t n_edges, cap_edges;
	chain__index edge_index;
	verdict **verdicts;
	size_t n_verdicts, cap_verdicts;
	chain__index verdict_index;
	size_t bytes, entries;
} generation;

typedef struct {
	pthread_mutex_t lock;
	generation gen[2];
	unsigned int cur; /* gen[cur] takes new entries, gen[!cur] is the old one */
} shard;

struct chain_cache {
	size_t max_bytes;
	unsigned int kinds;
	atomic_size_t bytes, entries;
	atomic_uint_fast64_t stat[CHAIN_CACHE_EVICTIONS + 1];
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
	c->kinds = CHAIN_CACHE_ALL;
	for (size_t i = 0; i < SHARDS; i++)
		pthread_mutex_init(&c->shards[i].lock, NULL);
	*out = c;
	return CHAIN_OK;
}

int chain_cache_set_kinds(chain_cache *c, unsigned int kinds)
{
	if (!c || (kinds & ~(unsigned int)CHAIN_CACHE_ALL))
		return CHAIN_EINVAL;
	c->kinds = kinds;
	return CHAIN_OK;
}

static void verdict_unref(verdict *v)
{
	if (v && atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) == 1) {
		chain_result_free(v->tmpl);
		free(v);
	}
}

/* Empty a generation; returns how many entries it held. */
static size_t drop(chain_cache *c, generation *g)
{
	size_t entries = g->entries;
	for (size_t k = 0; k < g->n_certs; k++)
		chain__cert_unref(g->certs[k]);
	for (size_t k = 0; k < g->n_verdicts; k++)
		verdict_unref(g->verdicts[k]);
	free(g->certs);
	free(g->edges);
	free(g->verdicts);
	chain__index_free(&g->cert_index);
	chain__index_free(&g->edge_index);
	chain__index_free(&g->verdict_index);
	atomic_fetch_sub(&c->bytes, g->bytes);
	atomic_fetch_sub(&c->entries, g->entries);
	memset(g, 0, sizeof(*g));
	return entries;
}

void chain_cache_free(chain_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < SHARDS; i++) {
		drop(c, &c->shards[i].gen[0]);
		drop(c, &c->shards[i].gen[1]);
		pthread_mutex_destroy(&c->shards[i].lock);
	}
	free(c);
}

uint64_t chain_cache_stat(const chain_cache *c, chain_cache_stat_kind kind)
{
	chain_cache *m = (chain_cache *)c; /* atomics are read, never written here */
	if (!c)
		return 0;
	switch (kind) {
	case CHAIN_CACHE_BYTES: return atomic_load(&m->bytes);
	case CHAIN_CACHE_ENTRIES: return atomic_load(&m->entries);
	case CHAIN_CACHE_CERT_HITS:
	case CHAIN_CACHE_CERT_MISSES:
	case CHAIN_CACHE_EDGE_HITS:
	case CHAIN_CACHE_EDGE_MISSES:
	case CHAIN_CACHE_VERDICT_HITS:
	case CHAIN_CACHE_VERDICT_MISSES:
	case CHAIN_CACHE_EVICTIONS: return atomic_load(&m->stat[kind]);
	default: return 0;
	}
}

static void count(chain_cache *c, chain_cache_stat_kind kind)
{
	atomic_fetch_add_explicit(&c->stat[kind], 1, memory_order_relaxed);
}

/* The shard's current generation with room for @size more bytes, rotating
 * generations when it is full; NULL when one entry alone is too big.
 * Called with the shard locked; charge() the entry once it is added. */
static generation *make_room(chain_cache *c, shard *s, size_t size)
{
	size_t half = c->max_bytes / SHARDS / 2;
	if (size > half)
		return NULL;
	if (s->gen[s->cur].bytes + size > half) {
		s->cur = !s->cur;
		size_t dropped = drop(c, &s->gen[s->cur]);
		atomic_fetch_add_explicit(&c->stat[CHAIN_CACHE_EVICTIONS], dropped,
		                          memory_order_relaxed);
	}
	return &s->gen[s->cur];
}

static void charge(chain_cache *c, generation *g, size_t size)
{
	g->bytes += size;
	g->entries++;
	atomic_fetch_add(&c->bytes, size);
	atomic_fetch_add(&c->entries, 1);
}

/* ---- certificates -------------------------------------------------------- */

static chain__cert *find_cert(const generation *g, const unsigned char sha256[32])
{
	size_t pos = SIZE_MAX;
	uint32_t i;
	while (chain__index_next(&g->cert_index, chain__hash_digest(sha256), &pos, &i))
		if (i < g->n_certs && memcmp(g->certs[i]->sha256, sha256, CHAIN__SHA256_LEN) == 0)
			return g->certs[i];
	return NULL;
}

static void add_cert(chain_cache *c, shard *s, chain__cert *cert)
{
	size_t size = cert->der_len + CERT_OVERHEAD + SLOT_BYTES;
	generation *g = make_room(c, s, size);
	if (!g)
		return;
	if (chain__grow(&g->certs, &g->cap_certs, g->n_certs, sizeof(*g->certs)) == CHAIN_OK &&
	    chain__index_add(&g->cert_index, chain__hash_digest(cert->sha256),
	                     (uint32_t)g->n_certs) == CHAIN_OK) {
		g->certs[g->n_certs++] = chain__cert_ref(cert);
		charge(c, g, size);
	}
}

chain__cert *chain__cache_get_cert(chain_cache *c, const unsigned char sha256[32])
{
	if (!(c->kinds & CHAIN_CACHE_CERTS))
		return NULL;
	shard *s = &c->shards[sha256[31] % SHARDS];
	pthread_mutex_lock(&s->lock);
	chain__cert *found = find_cert(&s->gen[s->cur], sha256);
	if (found) {
		chain__cert_ref(found);
	} else if ((found = find_cert(&s->gen[!s->cur], sha256))) {
		chain__cert_ref(found); /* before add_cert() may drop the old generation */
		add_cert(c, s, found);
	}
	pthread_mutex_unlock(&s->lock);
	count(c, found ? CHAIN_CACHE_CERT_HITS : CHAIN_CACHE_CERT_MISSES);
	return found;
}

void chain__cache_put_cert(chain_cache *c, chain__cert *cert)
{
	if (!(c->kinds & CHAIN_CACHE_CERTS))
		return;
	shard *s = &c->shards[cert->sha256[31] % SHARDS];
	pthread_mutex_lock(&s->lock);
	/* A racing thread may have added it: a duplicate only wastes a slot. */
	add_cert(c, s, cert);
	pthread_mutex_unlock(&s->lock);
}

/* ---- signature edges ------------------------------------------------------ */

static shard *edge_shard(chain_cache *c, const chain__cert *issuer, const chain__cert *subject)
{
	return &c->shards[(issuer->spki_sha256[30] ^ subject->sha256[30]) % SHARDS];
}

/* The first 8 bytes of both digests, hashed at once (one keyed hash, not two). */
static uint64_t edge_key(const unsigned char *issuer_key, const unsigned char *subject)
{
	unsigned char both[16];
	memcpy(both, issuer_key, 8);
	memcpy(both + 8, subject, 8);
	return chain__hash_bytes(both, sizeof(both));
}

static const edge_entry *find_edge(const generation *g, const chain__cert *issuer,
                                   const chain__cert *subject)
{
	size_t pos = SIZE_MAX;
	uint32_t i;
	while (chain__index_next(&g->edge_index, edge_key(issuer->spki_sha256, subject->sha256),
	                         &pos, &i)) {
		const edge_entry *e = i < g->n_edges ? &g->edges[i] : NULL;
		if (e && memcmp(e->issuer_key, issuer->spki_sha256, CHAIN__SHA256_LEN) == 0 &&
		    memcmp(e->subject, subject->sha256, CHAIN__SHA256_LEN) == 0)
			return e;
	}
	return NULL;
}

static void add_edge(chain_cache *c, shard *s, const edge_entry *e)
{
	generation *g = make_room(c, s, EDGE_BYTES);
	if (!g)
		return;
	if (chain__grow(&g->edges, &g->cap_edges, g->n_edges, sizeof(*g->edges)) == CHAIN_OK &&
	    chain__index_add(&g->edge_index, edge_key(e->issuer_key, e->subject),
	                     (uint32_t)g->n_edges) == CHAIN_OK) {
		g->edges[g->n_edges++] = *e;
		charge(c, g, EDGE_BYTES);
	}
}

bool chain__cache_get_edge(chain_cache *c, const chain__cert *issuer, const chain__cert *subject,
                           chain__edge *out)
{
	if (!(c->kinds & CHAIN_CACHE_EDGES))
		return false;
	shard *s = edge_shard(c, issuer, subject);
	pthread_mutex_lock(&s->lock);
	const edge_entry *e = find_edge(&s->gen[s->cur], issuer, subject);
	bool found = e != NULL;
	if (e) {
		*out = e->result;
	} else if ((e = find_edge(&s->gen[!s->cur], issuer, subject))) {
		edge_entry copy = *e; /* add_edge() may drop the old generation */
		*out = copy.result;
		found = true;
		add_edge(c, s, &copy);
	}
	pthread_mutex_unlock(&s->lock);
	count(c, found ? CHAIN_CACHE_EDGE_HITS : CHAIN_CACHE_EDGE_MISSES);
	return found;
}

void chain__cache_put_edge(chain_cache *c, const chain__cert *issuer, const chain__cert *subject,
                           chain__edge result)
{
	/* Only the mathematical facts (the caller leaves out edges that depend on
	 * more: chain__edge_cacheable()); "unsupported" may depend on GnuTLS state. */
	if (!(c->kinds & CHAIN_CACHE_EDGES) || result == CHAIN__EDGE_UNSUPPORTED)
		return;
	edge_entry e;
	memcpy(e.issuer_key, issuer->spki_sha256, CHAIN__SHA256_LEN);
	memcpy(e.subject, subject->sha256, CHAIN__SHA256_LEN);
	e.result = result;
	shard *s = edge_shard(c, issuer, subject);
	pthread_mutex_lock(&s->lock);
	add_edge(c, s, &e);
	pthread_mutex_unlock(&s->lock);
}

/* ---- verdicts -------------------------------------------------------------- */

static verdict *find_verdict(const generation *g, const unsigned char key[32], int64_t now)
{
	size_t pos = SIZE_MAX;
	uint32_t i;
	while (chain__index_next(&g->verdict_index, chain__hash_digest(key), &pos, &i)) {
		verdict *v = i < g->n_verdicts ? g->verdicts[i] : NULL;
		if (v && memcmp(v->key, key, CHAIN__SHA256_LEN) == 0 && v->lo <= now && now <= v->hi)
			return v;
	}
	return NULL;
}

/* Takes a new reference to @v when it is added. */
static void add_verdict(chain_cache *c, shard *s, verdict *v)
{
	generation *g = make_room(c, s, v->bytes);
	if (!g)
		return;
	if (chain__grow(&g->verdicts, &g->cap_verdicts, g->n_verdicts, sizeof(*g->verdicts)) ==
	            CHAIN_OK &&
	    chain__index_add(&g->verdict_index, chain__hash_digest(v->key),
	                     (uint32_t)g->n_verdicts) == CHAIN_OK) {
		atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
		g->verdicts[g->n_verdicts++] = v;
		charge(c, g, v->bytes);
	}
}

static verdict *verdict_new(const unsigned char key[32], int64_t lo, int64_t hi,
                            const chain_result *result, bool with_text)
{
	verdict *v = calloc(1, sizeof(*v));
	if (!v || chain__result_template(&v->tmpl, result, with_text) < 0) {
		free(v);
		return NULL; /* caching is an optimisation only */
	}
	atomic_init(&v->refs, 1);
	memcpy(v->key, key, CHAIN__SHA256_LEN);
	v->lo = lo;
	v->hi = hi;
	v->with_text = with_text;
	v->bytes = sizeof(*v) + chain__result_footprint(v->tmpl) + SLOT_BYTES;
	return v;
}

/* Put @whole in @lean's place in the shard's current generation, when
 * @lean is still there and the generation has room for the difference
 * (else @lean stays: its hits format the names themselves). Called with
 * the shard locked. */
static void replace_verdict(chain_cache *c, shard *s, verdict *lean, verdict *whole)
{
	generation *g = &s->gen[s->cur];
	size_t half = c->max_bytes / SHARDS / 2;
	size_t pos = SIZE_MAX;
	uint32_t i;
	while (chain__index_next(&g->verdict_index, chain__hash_digest(lean->key), &pos, &i)) {
		if (i >= g->n_verdicts || g->verdicts[i] != lean)
			continue;
		if (whole->bytes > lean->bytes && g->bytes + (whole->bytes - lean->bytes) > half)
			return;
		atomic_fetch_add_explicit(&whole->refs, 1, memory_order_relaxed);
		g->verdicts[i] = whole;
		g->bytes = g->bytes - lean->bytes + whole->bytes;
		atomic_fetch_add(&c->bytes, whole->bytes);
		atomic_fetch_sub(&c->bytes, lean->bytes);
		verdict_unref(lean); /* the generation's reference */
		return;
	}
}

/* @v's first hit: the same verdict with its names formatted, from @copy
 * (the caller's result, which has the served DER to format from). */
static void make_whole(chain_cache *c, shard *s, verdict *v, const chain_result *copy)
{
	verdict *whole = verdict_new(v->key, v->lo, v->hi, copy, true);
	if (!whole)
		return;
	pthread_mutex_lock(&s->lock);
	replace_verdict(c, s, v, whole);
	pthread_mutex_unlock(&s->lock);
	verdict_unref(whole);
}

int chain__cache_get_verdict(chain_cache *c, const unsigned char key[32], int64_t now,
                             const unsigned char *const *ders, const size_t *lens, size_t n,
                             chain_result **out)
{
	*out = NULL;
	if (!(c->kinds & CHAIN_CACHE_VERDICTS))
		return CHAIN_OK;
	shard *s = &c->shards[key[31] % SHARDS];
	pthread_mutex_lock(&s->lock);
	verdict *v = find_verdict(&s->gen[s->cur], key, now);
	if (v) {
		atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
	} else if ((v = find_verdict(&s->gen[!s->cur], key, now))) {
		atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
		add_verdict(c, s, v);
	}
	pthread_mutex_unlock(&s->lock);
	count(c, v ? CHAIN_CACHE_VERDICT_HITS : CHAIN_CACHE_VERDICT_MISSES);
	if (!v)
		return CHAIN_OK;
	/* The copy is made outside the lock, from our own reference. */
	int ret = chain__result_instantiate(out, v->tmpl, ders, lens, n, now);
	if (ret == CHAIN_OK && !v->with_text)
		make_whole(c, s, v, *out);
	verdict_unref(v);
	return ret;
}

void chain__cache_put_verdict(chain_cache *c, const unsigned char key[32],
                              const chain__clock *clock, const chain_result *result)
{
	if (!(c->kinds & CHAIN_CACHE_VERDICTS))
		return;
	verdict *v = verdict_new(key, clock->lo, clock->hi, result, false);
	if (!v)
		return;
	shard *s = &c->shards[key[31] % SHARDS];
	pthread_mutex_lock(&s->lock);
	add_verdict(c, s, v);
	pthread_mutex_unlock(&s->lock);
	verdict_unref(v);
}
