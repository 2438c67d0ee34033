/* Path building: a depth-first search from the leaf towards an anchor over
 * the served certificates, the pool and the store, with backtracking, loop
 * detection, a depth cap and a work budget. It knows nothing of policy
 * beyond those bounds: every path it completes (anchored or stuck) goes to
 * the caller's on_path(), which decides whether the search may stop. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	chain__node node;
	int score;
	size_t order;
	chain__edge edge;
	bool cached; /* the cache answered edge */
} candidate;

typedef struct {
	const chain__cert *issuer, *subject;
	chain__edge result;
	bool cached;
} memo_entry;

typedef struct {
	const chain__search *s;
	chain__search_stats *stats;
	chain__node path[CHAIN__MAX_PATH];
	chain__edge edges[CHAIN__MAX_PATH];
	bool cached[CHAIN__MAX_PATH];
	size_t len;
	memo_entry *memo;
	size_t n_memo, cap_memo;
	bool stop, budget_reported;
	bool looped; /* explain mode: gather() skipped an issuer already on the path */
	int error;
} walk;

static bool is_anchor(const walk *w, const chain__node *n)
{
	return n->source == CHAIN_SOURCE_STORE && (n->cert->self_issued || w->s->partial_chain);
}

/* No certificate twice on a path, and no (subject, key) pair twice either:
 * a cross-sign cycle re-issues the same CA under other DER. */
static bool on_path(const walk *w, const chain__cert *c)
{
	for (size_t i = 0; i < w->len; i++) {
		const chain__cert *p = w->path[i].cert;
		if (memcmp(p->sha256, c->sha256, CHAIN__SHA256_LEN) == 0)
			return true;
		if (memcmp(p->spki_sha256, c->spki_sha256, CHAIN__SHA256_LEN) == 0 &&
		    chain__same_slice(p->parts.subject, c->parts.subject))
			return true;
	}
	return false;
}

static bool budget_spent(walk *w)
{
	const chain__search *s = w->s;
	if (w->stats->candidates > s->max_candidates || w->stats->sig_checks > s->max_sig_checks) {
		w->stats->budget_exceeded = true;
		w->stop = true;
	}
	return w->stop;
}

/* Order: anchors first, then an SKI matching the subject's AKI (or no key id
 * to compare), then valid at the verification time; ties keep the
 * gathering order (store, served, pool). */
static int score(const walk *w, const chain__cert *subject, const chain__node *cand)
{
	const chain__cert *c = cand->cert;
	int s = 0;

	if (is_anchor(w, cand))
		s += 8;
	if (subject->aki_len && c->ski_len)
		s += (subject->aki_len == c->ski_len && memcmp(subject->aki, c->ski, c->ski_len) == 0)
		             ? 4 : 0;
	else
		s += 2;
	if (chain__clock_reached(w->s->clock, c->not_before) &&
	    chain__clock_not_past(w->s->clock, c->not_after))
		s += 1;
	return s;
}

static int by_score(const void *a, const void *b)
{
	const candidate *x = a, *y = b;
	if (x->score != y->score)
		return y->score - x->score;
	return x->order < y->order ? -1 : x->order > y->order;
}

typedef struct {
	candidate *v;
	size_t n, cap;
} candidates;

static int push_candidate(walk *w, candidates *cs, const chain__cert *subject,
                          chain__cert *cert, chain_source source, int input_index)
{
	w->stats->candidates++;
	if (budget_spent(w))
		return CHAIN_OK;
	if (on_path(w, cert)) {
		/* Another certificate of the path, not the subject's own self-signature. */
		w->looped |= memcmp(cert->sha256, subject->sha256, CHAIN__SHA256_LEN) != 0;
		return CHAIN_OK;
	}
	if (chain__grow(&cs->v, &cs->cap, cs->n, sizeof(*cs->v)) < 0)
		return CHAIN_ENOMEM;
	candidate *c = &cs->v[cs->n];
	c->node = (chain__node){cert, source, input_index};
	/* Set by extend() before it is read; a candidate never checked (past
	 * the depth cap) is skipped in both passes. */
	c->edge = CHAIN__EDGE_UNSUPPORTED;
	c->cached = false;
	c->score = score(w, subject, &c->node);
	c->order = cs->n++;
	return CHAIN_OK;
}

static bool served_has(const chain__search *s, const chain__cert *c)
{
	for (size_t i = 0; i < s->n_served; i++)
		if (s->served[i].cert == c ||
		    memcmp(s->served[i].cert->sha256, c->sha256, CHAIN__SHA256_LEN) == 0)
			return true;
	return s->leaf.cert == c;
}

/* Every certificate whose subject is the issuer name of @subject. Served
 * and pool copies of store certificates were dropped by the caller / here,
 * so each certificate appears once, from its most trusted source. */
static int gather(walk *w, candidates *cs, const chain__cert *subject)
{
	const chain__search *s = w->s;
	chain__slice name = subject->parts.issuer;
	const chain__cert *c;
	size_t pos = SIZE_MAX;
	int ret = CHAIN_OK;

	while (!w->stop && ret == CHAIN_OK && (c = chain__set_next_subject(s->store, name, &pos)))
		ret = push_candidate(w, cs, subject, (chain__cert *)c, CHAIN_SOURCE_STORE, -1);
	for (size_t i = 0; !w->stop && ret == CHAIN_OK && i < s->n_served; i++)
		if (chain__same_slice(s->served[i].cert->parts.subject, name))
			ret = push_candidate(w, cs, subject, s->served[i].cert, CHAIN_SOURCE_SERVED,
			                     s->served[i].input_index);
	pos = SIZE_MAX;
	while (s->pool && !w->stop && ret == CHAIN_OK &&
	       (c = chain__set_next_subject(s->pool, name, &pos)))
		if (!served_has(s, c) && !chain__set_find(s->store, c->sha256))
			ret = push_candidate(w, cs, subject, (chain__cert *)c, CHAIN_SOURCE_POOL, -1);
	if (cs->n > 1)
		qsort(cs->v, cs->n, sizeof(*cs->v), by_score);
	return ret;
}

/* The signature of path[len-1] under @issuer's key, memoised per call: a
 * lattice reaches the same edge along many paths, and the budget counts
 * only real checks. */
static chain__edge check_edge(walk *w, chain__cert *issuer, const chain__cert *subject,
                              bool *cached)
{
	*cached = false;
	for (size_t i = 0; i < w->n_memo; i++)
		if (w->memo[i].issuer == issuer && w->memo[i].subject == subject) {
			*cached = w->memo[i].cached;
			return w->memo[i].result;
		}
	/* A cached edge counts against the budget as a computed one would: the
	 * cache may change speed, never a verdict. */
	w->stats->sig_checks++;
	if (budget_spent(w))
		return CHAIN__EDGE_UNSUPPORTED;
	chain__edge e;
	chain_cache *cache = chain__edge_cacheable(subject) ? w->s->cache : NULL;
	if (cache && chain__cache_get_edge(cache, issuer, subject, &e)) {
		*cached = true;
	} else {
		e = chain__edge_verify(issuer, subject);
		if (cache)
			chain__cache_put_edge(cache, issuer, subject, e);
	}
	if (chain__grow(&w->memo, &w->cap_memo, w->n_memo, sizeof(*w->memo)) < 0)
		return e; /* memoising is an optimisation only */
	w->memo[w->n_memo++] = (memo_entry){issuer, subject, e, *cached};
	return e;
}

static void report(walk *w, chain__end end, bool loop)
{
	bool explain = w->s->explain;
	chain__path p = {w->path, w->edges, w->len, end, explain ? w->cached : NULL, loop && explain};
	if (w->s->on_path(w->s->ctx, &p)) {
		w->stats->found = true;
		w->stop = true;
	}
}

static bool path_tainted(const walk *w)
{
	for (size_t i = 0; i + 1 < w->len; i++)
		if (w->edges[i] != CHAIN__EDGE_OK)
			return true;
	return false;
}

static void extend(walk *w);

static size_t logical_intermediates(const walk *w)
{
	size_t n = 0;
	for (size_t i = 1; i < w->len; i++)
		n += !w->path[i].cert->self_issued;
	return n;
}

static void descend(walk *w, const candidate *c)
{
	w->edges[w->len - 1] = c->edge;
	w->cached[w->len - 1] = c->cached;
	w->path[w->len++] = c->node;
	extend(w);
	w->len--;
}

static void extend(walk *w)
{
	const chain__node *top = &w->path[w->len - 1];
	candidates cs = {NULL, 0, 0};
	bool depth_hit = false, descended = false;

	if (is_anchor(w, top)) {
		report(w, CHAIN__END_ANCHOR, false);
		return;
	}
	w->looped = false;
	int ret = gather(w, &cs, top->cert);
	bool looped = w->looped;
	if (ret < 0) {
		w->error = ret;
		w->stop = true;
	}
	if (w->stop)
		goto cleanup;
	/* A path that already failed a signature cannot become valid: follow
	 * only its best candidate, to report a complete path cheaply. */
	bool tainted = path_tainted(w);
	/* Good signatures first (the search proper), then the failed ones, so
	 * that a failing path still reaches as far as it can for the report. */
	for (int pass = 0; pass < 2 && !w->stop; pass++) {
		for (size_t i = 0; i < cs.n && !w->stop; i++) {
			candidate *c = &cs.v[i];
			/* path[1..len-1] are intermediates; a non-anchor adds one more.
			 * Self-issued ones are not counted: as for pathLenConstraint
			 * (RFC 5280 4.2.1.9), they are one logical CA. */
			size_t intermediates = logical_intermediates(w) +
			                       (!is_anchor(w, &c->node) && !c->node.cert->self_issued);
			if (intermediates > w->s->max_depth || w->len >= CHAIN__MAX_PATH) {
				depth_hit = true;
				continue;
			}
			if (pass == 0)
				c->edge = check_edge(w, c->node.cert, top->cert, &c->cached);
			if (w->stop || (pass == 0) != (c->edge == CHAIN__EDGE_OK))
				continue;
			if (tainted && descended)
				break;
			descended = true;
			descend(w, c);
		}
	}
	if (!descended && !w->stop)
		report(w, depth_hit ? CHAIN__END_DEPTH : CHAIN__END_NO_ISSUER, !depth_hit && looped);
cleanup:
	/* Explain mode shows where the budget ran out: the path it was on. */
	if (w->s->explain && w->stats->budget_exceeded && !w->budget_reported && !w->error) {
		w->budget_reported = true;
		report(w, CHAIN__END_BUDGET, false);
	}
	free(cs.v);
}

int chain__path_search(const chain__search *search, chain__search_stats *stats)
{
	walk w = {.s = search, .stats = stats};

	memset(stats, 0, sizeof(*stats));
	w.path[0] = search->leaf;
	w.len = 1;
	extend(&w);
	free(w.memo);
	return w.error;
}
