/* chain_verify(): input bounds, parsing, the search, and choosing what to
 * report. Each step is a function of its own so that the bulk engine puts
 * its caches in front of them: whole verdicts before parsing, parsed CA
 * certificates in parsing, signature edges in the search (path.c). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most plausible failing path seen so far, and the scratch space in
 * which each new path is evaluated. */
typedef struct {
	const chain_policy *policy;
	const chain__set *store;
	chain__clock clock;
	chain__problems scratch, best;
	chain__node nodes[CHAIN__MAX_PATH];
	chain__edge edges[CHAIN__MAX_PATH];
	chain__path best_path;
	bool has_best;
	chain__crl_checks crl_checks;
	chain__explain *explain; /* explain mode: every path tried, else NULL */
	int error;
} evaluation;

/* An anchored path beats an unanchored one; among anchored paths the one
 * with fewest problems (then the shorter) wins, among unanchored ones the
 * one that got furthest (then fewer problems). */
static bool better(const evaluation *e, const chain__path *p)
{
	const chain__path *b = &e->best_path;
	bool pa = p->end == CHAIN__END_ANCHOR, ba = b->end == CHAIN__END_ANCHOR;

	if (!e->has_best || pa != ba)
		return !e->has_best || pa;
	if (pa) {
		if (e->scratch.n != e->best.n)
			return e->scratch.n < e->best.n;
		return p->len < b->len;
	}
	if (p->len != b->len)
		return p->len > b->len;
	return e->scratch.n < e->best.n;
}

static bool evaluate(void *ctx, const chain__path *p)
{
	evaluation *e = ctx;

	if (p->end == CHAIN__END_BUDGET) { /* explain mode only: where the search stopped */
		int ret = chain__explain_add(e->explain, p, NULL, false);
		if (ret < 0)
			e->error = ret;
		return false;
	}
	chain__problems_clear(&e->scratch);
	int ret = chain__check_path(&e->scratch, p, e->policy, &e->clock);
	if (ret == CHAIN_OK && e->store->n_crls)
		ret = chain__check_revocation(&e->scratch, p, &e->clock, e->store, &e->crl_checks);
	if (ret == CHAIN_OK && e->store->n_distrust)
		ret = chain__check_distrust(&e->scratch, p, e->store);
	if (ret < 0) {
		e->error = ret;
		return true;
	}
	bool trusted = p->end == CHAIN__END_ANCHOR && e->scratch.n == 0;
	if (e->explain && (ret = chain__explain_add(e->explain, p, &e->scratch, trusted)) < 0) {
		e->error = ret;
		return true;
	}
	if (trusted || better(e, p)) {
		chain__problems tmp = e->best;
		e->best = e->scratch;
		e->scratch = tmp;
		memcpy(e->nodes, p->nodes, p->len * sizeof(*p->nodes));
		if (p->len > 1)
			memcpy(e->edges, p->edges, (p->len - 1) * sizeof(*p->edges));
		e->best_path = (chain__path){e->nodes, e->edges, p->len, p->end, NULL, false};
		e->has_best = true;
	}
	return trusted;
}

/* Parsed served certificates, de-duplicated by SHA-256 before parsing so
 * that repeated copies cost one hash each, not one parse. */
typedef struct {
	chain__cert **certs; /* certs[k] is served index index_of[k] */
	int *index_of;
	size_t n;
} served_set;

static void served_free(served_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		chain__cert_unref(s->certs[i]);
	free(s->certs);
	free(s->index_of);
}

static int input_error(chain_result **out, int err, chain_reason reason, int index,
                       const char *why, int64_t now)
{
	char msg[256];
	if (index >= 0)
		snprintf(msg, sizeof(msg), "certificate %d: %s", index, why);
	else
		snprintf(msg, sizeof(msg), "%s", why);
	int ret = chain__result_input_error(out, reason, index, msg, now);
	return ret < 0 ? ret : err;
}

static int check_sizes(chain_result **out, const chain_policy *p, const size_t *lens, size_t n,
                       int64_t now)
{
	uint64_t total = 0;
	char why[128];

	for (size_t i = 0; i < n; i++) {
		if (lens[i] > p->limits[CHAIN_LIMIT_CERT_BYTES]) {
			snprintf(why, sizeof(why), "%zu bytes, over the limit of %llu", lens[i],
			         (unsigned long long)p->limits[CHAIN_LIMIT_CERT_BYTES]);
			return input_error(out, CHAIN_ELIMIT, CHAIN_REASON_INPUT_LIMIT, (int)i, why, now);
		}
		total += lens[i];
	}
	if (total > p->limits[CHAIN_LIMIT_CHAIN_BYTES]) {
		snprintf(why, sizeof(why), "served chain of %llu bytes, over the limit of %llu",
		         (unsigned long long)total,
		         (unsigned long long)p->limits[CHAIN_LIMIT_CHAIN_BYTES]);
		return input_error(out, CHAIN_ELIMIT, CHAIN_REASON_INPUT_LIMIT, -1, why, now);
	}
	return CHAIN_OK;
}

/* Parse one served certificate, through the cache for CAs (never the leaf:
 * leaves rarely repeat and would crowd the cache out). */
static int parse_one(chain__cert **out, const unsigned char *der, size_t len,
                     const unsigned char sha[CHAIN__SHA256_LEN], bool leaf, chain_cache *cache,
                     const char **why)
{
	if (cache && !leaf && (*out = chain__cache_get_cert(cache, sha)))
		return CHAIN_OK;
	int ret = chain__cert_parse_with(out, der, len, sha, why, true);
	if (ret == CHAIN_OK && cache && !leaf && (*out)->bc_ca) {
		(*out)->cached = true; /* before another thread can see it */
		chain__cache_put_cert(cache, *out);
	}
	return ret;
}

typedef unsigned char sha256_t[CHAIN__SHA256_LEN];

static int hash_served(sha256_t **out, const unsigned char *const *ders, const size_t *lens,
                       size_t n)
{
	sha256_t *sha = malloc(n * sizeof(*sha));
	if (!sha)
		return CHAIN_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (gnutls_hash_fast(GNUTLS_DIG_SHA256, ders[i], lens[i], sha[i]) < 0) {
			free(sha);
			return CHAIN_EBACKEND;
		}
	}
	*out = sha;
	return CHAIN_OK;
}

static int parse_served(served_set *s, chain_result **out, const chain_policy *p,
                        const unsigned char *const *ders, const size_t *lens,
                        const sha256_t *sha, size_t n, int64_t now, chain_cache *cache)
{
	int ret = CHAIN_OK;

	s->certs = calloc(n, sizeof(*s->certs));
	s->index_of = calloc(n, sizeof(*s->index_of));
	if (!s->certs || !s->index_of)
		return CHAIN_ENOMEM;
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = memcmp(sha[j], sha[i], CHAIN__SHA256_LEN) == 0;
		if (seen)
			continue;
		if (++distinct > p->limits[CHAIN_LIMIT_CERTS]) {
			char why[96];
			snprintf(why, sizeof(why), "more than %llu distinct certificates",
			         (unsigned long long)p->limits[CHAIN_LIMIT_CERTS]);
			return input_error(out, CHAIN_ELIMIT, CHAIN_REASON_INPUT_LIMIT, -1, why, now);
		}
		const char *why = NULL;
		ret = parse_one(&s->certs[s->n], ders[i], lens[i], sha[i], i == 0, cache, &why);
		if (ret == CHAIN_EPARSE)
			return input_error(out, CHAIN_EPARSE, CHAIN_REASON_MALFORMED, (int)i, why, now);
		if (ret < 0)
			return ret;
		s->index_of[s->n++] = (int)i;
	}
	return CHAIN_OK;
}

/* Leaf detection for rows not in served order: the leaf is the one
 * certificate that issues none of the others and is not a CA; with none or
 * several, the first stays. Returns whether the order was changed. */
static bool repair_order(served_set *s)
{
	size_t leaf = SIZE_MAX;
	for (size_t k = 0; k < s->n; k++) {
		bool issues = s->certs[k]->bc_ca;
		for (size_t j = 0; j < s->n && !issues; j++)
			issues = j != k && chain__same_slice(s->certs[j]->parts.issuer,
			                                     s->certs[k]->parts.subject);
		if (issues)
			continue;
		if (leaf != SIZE_MAX)
			return false; /* several candidates: keep the served order */
		leaf = k;
	}
	if (leaf == SIZE_MAX || leaf == 0)
		return false;
	chain__cert *c = s->certs[0];
	int idx = s->index_of[0];
	s->certs[0] = s->certs[leaf];
	s->index_of[0] = s->index_of[leaf];
	s->certs[leaf] = c;
	s->index_of[leaf] = idx;
	return true;
}

/* Served certificates that the store already holds are dropped: the search
 * finds them there, as anchors. */
static int make_nodes(chain__search *search, chain__node **nodes, const served_set *s,
                      const chain__set *store)
{
	const chain__cert *in_store = chain__set_find(store, s->certs[0]->sha256);

	search->leaf = in_store ? (chain__node){(chain__cert *)in_store, CHAIN_SOURCE_STORE, -1}
	                        : (chain__node){s->certs[0], CHAIN_SOURCE_SERVED, s->index_of[0]};
	*nodes = calloc(s->n, sizeof(**nodes));
	if (!*nodes)
		return CHAIN_ENOMEM;
	search->n_served = 0;
	for (size_t k = 1; k < s->n; k++)
		if (!chain__set_find(store, s->certs[k]->sha256))
			(*nodes)[search->n_served++] =
				(chain__node){s->certs[k], CHAIN_SOURCE_SERVED, s->index_of[k]};
	search->served = *nodes;
	return CHAIN_OK;
}

int chain_verify(chain_result **out, const chain_store *store, const chain_policy *policy,
                 const unsigned char *const *ders, const size_t *lens, size_t n,
                 const chain_pool *pool)
{
	return chain__verify(out, store, policy, ders, lens, n, pool, NULL, NULL, 0);
}

int chain_verify_cached(chain_result **out, const chain_store *store, const chain_policy *policy,
                        const unsigned char *const *ders, const size_t *lens, size_t n,
                        const chain_pool *pool, chain_cache *cache)
{
	return chain__verify(out, store, policy, ders, lens, n, pool, cache, NULL, 0);
}

int chain_verify_stapled(chain_result **out, const chain_store *store, const chain_policy *policy,
                         const unsigned char *const *ders, const size_t *lens, size_t n,
                         const chain_pool *pool, chain_cache *cache, const unsigned char *ocsp,
                         size_t ocsp_len)
{
	return chain__verify(out, store, policy, ders, lens, n, pool, cache, ocsp, ocsp_len);
}

/* The verdict cache's key: everything that decides a result except the
 * time, which the cached verdict's window covers. */
static int verdict_key(unsigned char out[CHAIN__SHA256_LEN], const chain_store *store,
                       const chain_pool *pool, const chain_policy *p, const sha256_t *sha,
                       size_t n)
{
	gnutls_hash_hd_t h;
	const uint64_t head[3] = {store->set.version, pool ? pool->set.version : 0, n};

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return CHAIN_EBACKEND;
	int ret = chain__policy_digest(p, h);
	if (ret == CHAIN_OK && (gnutls_hash(h, "chain verdict 1", 15) < 0 ||
	                        gnutls_hash(h, head, sizeof(head)) < 0 ||
	                        gnutls_hash(h, sha, n * sizeof(*sha)) < 0))
		ret = CHAIN_EBACKEND;
	gnutls_hash_deinit(h, out);
	return ret;
}

/* The search proper over parsed served certificates, and its result. */
static int search_and_report(chain_result **out, evaluation *e, served_set *served,
                             const chain_store *store, const chain_pool *pool,
                             chain_cache *cache, const unsigned char *ocsp, size_t ocsp_len)
{
	chain__ocsp stapled;
	const chain_policy *p = e->policy;
	chain__node *nodes = NULL;
	chain__search_stats stats;
	int ret;

	chain__search search = {
		.pool = pool ? &pool->set : NULL,
		.store = &store->set,
		.clock = &e->clock,
		.max_depth = p->max_depth,
		.partial_chain = p->partial_chain,
		.max_sig_checks = p->limits[CHAIN_LIMIT_SIG_CHECKS],
		.max_candidates = p->limits[CHAIN_LIMIT_CANDIDATES],
		.on_path = evaluate,
		.ctx = e,
		.cache = cache,
		.explain = e->explain != NULL,
	};
	/* CRL signature checks draw on the search's signature budget. */
	e->crl_checks.sig_checks = &stats.sig_checks;
	e->crl_checks.max_sig_checks = search.max_sig_checks;
	bool repaired = p->repair_order && served->n > 1 && repair_order(served);
	if ((ret = make_nodes(&search, &nodes, served, &store->set)) < 0)
		goto cleanup;
	if ((ret = chain__path_search(&search, &stats)) < 0 || (ret = e->error) < 0)
		goto cleanup;
	if (stats.budget_exceeded && !stats.found &&
	    !chain__problems_has(&e->best, CHAIN_REASON_BUDGET_EXCEEDED) &&
	    (ret = chain__problems_add(&e->best, CHAIN_REASON_BUDGET_EXCEEDED, -1,
	                               "search stopped after %llu signature checks and %llu "
	                               "candidates",
	                               (unsigned long long)stats.sig_checks,
	                               (unsigned long long)stats.candidates)) < 0)
		goto cleanup;
	if ((ret = chain__check_ocsp(&stapled, &e->best, e->has_best ? &e->best_path : NULL,
	                             &e->clock, ocsp, ocsp_len)) < 0)
		goto cleanup;
	ret = chain__result_from_path(out, e->has_best ? &e->best_path : NULL, &e->best,
	                              e->clock.now);
	if (ret == CHAIN_OK)
		(*out)->order_repaired = repaired;
	if (ret == CHAIN_OK && stapled.status != CHAIN_OCSP_NONE) {
		(*out)->ocsp = stapled.status;
		if (!((*out)->ocsp_message = strdup(stapled.message))) {
			chain_result_free(*out);
			*out = NULL;
			ret = CHAIN_ENOMEM;
		}
	}
cleanup:
	free(nodes);
	return ret;
}

int chain__verify(chain_result **out, const chain_store *store, const chain_policy *policy,
                  const unsigned char *const *ders, const size_t *lens, size_t n,
                  const chain_pool *pool, chain_cache *cache, const unsigned char *ocsp,
                  size_t ocsp_len)
{
	const chain_policy *p = policy ? policy : &chain__default_policy;
	evaluation e = {.policy = p, .store = store ? &store->set : NULL};
	served_set served = {NULL, NULL, 0};
	sha256_t *sha = NULL;
	unsigned char key[CHAIN__SHA256_LEN];
	int ret;

	if (!out)
		return CHAIN_EINVAL;
	*out = NULL;
	if (!store || !ders || !lens || n == 0)
		return CHAIN_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!ders[i])
			return CHAIN_EINVAL;
	e.clock = chain__clock_at(chain__verification_time(p));
	if (p->explain && !(e.explain = chain__explain_new(p->explain)))
		return CHAIN_ENOMEM;
	/* An explained or stapled verdict holds what a cached one lacks (attempts,
	 * the response's verdict): no verdict cache for them. */
	chain_cache *verdicts = e.explain || ocsp ? NULL : cache;
	if (ocsp && ocsp_len > p->limits[CHAIN_LIMIT_CHAIN_BYTES]) {
		ret = input_error(out, CHAIN_ELIMIT, CHAIN_REASON_INPUT_LIMIT, -1,
		                  "stapled OCSP response over the chain size limit", e.clock.now);
		goto cleanup;
	}
	if ((ret = check_sizes(out, p, lens, n, e.clock.now)) != CHAIN_OK)
		goto cleanup;
	if ((ret = hash_served(&sha, ders, lens, n)) < 0)
		goto cleanup;
	if (verdicts) {
		if ((ret = verdict_key(key, store, pool, p, sha, n)) < 0 ||
		    (ret = chain__cache_get_verdict(verdicts, key, e.clock.now, ders, lens, n, out)) < 0 ||
		    *out)
			goto cleanup;
	}
	ret = parse_served(&served, out, p, ders, lens, sha, n, e.clock.now, cache);
	if (ret == CHAIN_OK)
		ret = search_and_report(out, &e, &served, store, pool, cache, ocsp, ocsp_len);
	/* Input errors (CHAIN_EPARSE, CHAIN_ELIMIT) are not cached: they are
	 * found before any work worth saving. */
	if (ret == CHAIN_OK && verdicts)
		chain__cache_put_verdict(verdicts, key, &e.clock, *out);
cleanup:
	if (*out && e.explain) { /* input errors too: explained, with no attempt */
		(*out)->explain = e.explain;
		e.explain = NULL;
	}
	chain__explain_free(e.explain);
	chain__problems_clear(&e.scratch);
	chain__problems_clear(&e.best);
	free(e.scratch.v);
	free(e.best.v);
	chain__crl_checks_free(&e.crl_checks);
	served_free(&served);
	free(sha);
	return ret;
}
