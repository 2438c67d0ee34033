/* Explain mode (chain_policy_set_explain()): every path the builder tried,
 * kept in the result with its certificates, its signature edges and how it
 * ended, and the chain_result_attempt_*() accessors of result.h. The search
 * (path.c) and the evaluator (verify.c) call chain__explain_add() only when
 * the policy asks for it, so a verification without it pays nothing. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	chain_edge_result result;
	signed char key_id; /* 1 match, 0 differ, -1 a key identifier is absent */
	bool cached;
} attempt_edge;

typedef struct {
	chain_attempt_end end;
	chain__result_cert *certs;
	attempt_edge *edges; /* n_certs - 1 */
	size_t n_certs;
	chain__result_problem *reasons;
	size_t n_reasons;
} attempt;

struct chain__explain {
	attempt *v;
	size_t n, cap, max, dropped;
};

chain__explain *chain__explain_new(size_t max)
{
	chain__explain *x = calloc(1, sizeof(*x));
	if (x)
		x->max = max;
	return x;
}

static void attempt_free(attempt *a)
{
	for (size_t i = 0; i < a->n_certs; i++)
		chain__result_cert_release(NULL, &a->certs[i]);
	for (size_t i = 0; i < a->n_reasons; i++)
		free(a->reasons[i].message);
	free(a->certs);
	free(a->edges);
	free(a->reasons);
}

void chain__explain_free(chain__explain *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n; i++)
		attempt_free(&x->v[i]);
	free(x->v);
	free(x);
}

static chain_attempt_end end_of(const chain__path *p, bool trusted)
{
	switch (p->end) {
	case CHAIN__END_ANCHOR:
		return trusted ? CHAIN_ATTEMPT_TRUSTED : CHAIN_ATTEMPT_RULE_FAILED;
	case CHAIN__END_DEPTH:
		return CHAIN_ATTEMPT_DEPTH;
	case CHAIN__END_BUDGET:
		return CHAIN_ATTEMPT_BUDGET;
	case CHAIN__END_NO_ISSUER:
		break;
	}
	return p->loop ? CHAIN_ATTEMPT_LOOP : CHAIN_ATTEMPT_NO_ISSUER;
}

static attempt_edge edge_of(const chain__path *p, size_t j)
{
	const chain__cert *subject = p->nodes[j].cert, *issuer = p->nodes[j + 1].cert;
	attempt_edge e = {CHAIN_EDGE_GOOD, -1, p->cached && p->cached[j]};
	switch (p->edges[j]) {
	case CHAIN__EDGE_OK:
		break;
	case CHAIN__EDGE_BAD:
		e.result = CHAIN_EDGE_BAD_SIGNATURE;
		break;
	case CHAIN__EDGE_UNSUPPORTED:
		e.result = CHAIN_EDGE_UNSUPPORTED;
		break;
	}
	if (subject->aki_len && issuer->ski_len)
		e.key_id = subject->aki_len == issuer->ski_len &&
		           memcmp(subject->aki, issuer->ski, issuer->ski_len) == 0;
	return e;
}

int chain__explain_add(chain__explain *x, const chain__path *p, const chain__problems *ps,
                       bool trusted)
{
	if (!x)
		return CHAIN_OK;
	if (x->n >= x->max) {
		x->dropped++;
		return CHAIN_OK;
	}
	if (chain__grow(&x->v, &x->cap, x->n, sizeof(*x->v)) < 0)
		return CHAIN_ENOMEM;
	attempt *a = &x->v[x->n];
	size_t n_reasons = ps ? ps->n : 0;
	memset(a, 0, sizeof(*a));
	a->end = end_of(p, trusted);
	a->certs = calloc(p->len, sizeof(*a->certs));
	a->edges = p->len > 1 ? calloc(p->len - 1, sizeof(*a->edges)) : NULL;
	a->reasons = n_reasons ? calloc(n_reasons, sizeof(*a->reasons)) : NULL;
	if (!a->certs || (p->len > 1 && !a->edges) || (n_reasons && !a->reasons))
		goto nomem;
	for (; a->n_certs < p->len; a->n_certs++)
		if (chain__result_cert_keep(&a->certs[a->n_certs], &p->nodes[a->n_certs]) < 0)
			goto nomem;
	for (size_t j = 0; j + 1 < p->len; j++)
		a->edges[j] = edge_of(p, j);
	for (; a->n_reasons < n_reasons; a->n_reasons++) {
		const chain__problem *q = &ps->v[a->n_reasons];
		chain__result_problem *r = &a->reasons[a->n_reasons];
		r->reason = q->reason;
		r->depth = q->depth;
		r->input_index = -1;
		if (!(r->message = strdup(q->message)))
			goto nomem;
	}
	x->n++;
	return CHAIN_OK;
nomem:
	attempt_free(a);
	return CHAIN_ENOMEM;
}

/* ---- accessors ------------------------------------------------------------ */

static attempt *attempt_at(const chain_result *r, size_t a)
{
	return r && r->explain && a < r->explain->n ? &r->explain->v[a] : NULL;
}

static chain__result_cert *cert_of(const chain_result *r, size_t a, size_t j)
{
	attempt *t = attempt_at(r, a);
	return t && j < t->n_certs ? &t->certs[j] : NULL;
}

static const attempt_edge *edge_at(const chain_result *r, size_t a, size_t j)
{
	attempt *t = attempt_at(r, a);
	return t && j + 1 < t->n_certs ? &t->edges[j] : NULL;
}

static const chain__result_problem *reason_at(const chain_result *r, size_t a, size_t k)
{
	attempt *t = attempt_at(r, a);
	return t && k < t->n_reasons ? &t->reasons[k] : NULL;
}

int chain_result_explained(const chain_result *r)
{
	return r && r->explain;
}

size_t chain_result_attempt_count(const chain_result *r)
{
	return r && r->explain ? r->explain->n : 0;
}

size_t chain_result_attempts_dropped(const chain_result *r)
{
	return r && r->explain ? r->explain->dropped : 0;
}

chain_attempt_end chain_result_attempt_end(const chain_result *r, size_t a)
{
	attempt *t = attempt_at(r, a);
	return t ? t->end : CHAIN_ATTEMPT_NO_ISSUER;
}

size_t chain_result_attempt_length(const chain_result *r, size_t a)
{
	attempt *t = attempt_at(r, a);
	return t ? t->n_certs : 0;
}

const char *chain_result_attempt_cert_subject(const chain_result *r, size_t a, size_t j)
{
	return chain__result_cert_subject(cert_of(r, a, j));
}

const char *chain_result_attempt_cert_issuer(const chain_result *r, size_t a, size_t j)
{
	return chain__result_cert_issuer(cert_of(r, a, j), NULL);
}

const char *chain_result_attempt_cert_fingerprint(const chain_result *r, size_t a, size_t j)
{
	return chain__result_cert_fingerprint(cert_of(r, a, j));
}

chain_source chain_result_attempt_cert_source(const chain_result *r, size_t a, size_t j)
{
	chain__result_cert *c = cert_of(r, a, j);
	return c ? c->source : CHAIN_SOURCE_SERVED;
}

int chain_result_attempt_cert_input_index(const chain_result *r, size_t a, size_t j)
{
	chain__result_cert *c = cert_of(r, a, j);
	return c ? c->input_index : -1;
}

chain_edge_result chain_result_attempt_edge(const chain_result *r, size_t a, size_t j)
{
	const attempt_edge *e = edge_at(r, a, j);
	return e ? e->result : CHAIN_EDGE_NOT_CHECKED;
}

int chain_result_attempt_edge_key_id(const chain_result *r, size_t a, size_t j)
{
	const attempt_edge *e = edge_at(r, a, j);
	return e ? e->key_id : -1;
}

int chain_result_attempt_edge_cached(const chain_result *r, size_t a, size_t j)
{
	const attempt_edge *e = edge_at(r, a, j);
	return e ? e->cached : 0;
}

size_t chain_result_attempt_reason_count(const chain_result *r, size_t a)
{
	attempt *t = attempt_at(r, a);
	return t ? t->n_reasons : 0;
}

chain_reason chain_result_attempt_reason(const chain_result *r, size_t a, size_t k)
{
	const chain__result_problem *p = reason_at(r, a, k);
	return p ? p->reason : CHAIN_REASON_OK;
}

int chain_result_attempt_reason_depth(const chain_result *r, size_t a, size_t k)
{
	const chain__result_problem *p = reason_at(r, a, k);
	return p ? p->depth : -1;
}

const char *chain_result_attempt_reason_message(const chain_result *r, size_t a, size_t k)
{
	const chain__result_problem *p = reason_at(r, a, k);
	return p ? p->message : NULL;
}
