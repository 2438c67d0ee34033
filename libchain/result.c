/* Results: the verdict, the problems and the reported path, packed in one
 * allocation, with the accessors of result.h. Knows nothing of GnuTLS: the
 * path's certificates are kept and their strings formatted on first use by
 * result_cert.c; the problems are problems.c's list. */
#include "internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static size_t room(size_t bytes);
static size_t text_room(const char *s);
static char *put_text(char **w, const char *s);

/* The result of a verification in ONE allocation, as copy_result() packs
 * a copy: the result, its certificates (the served ones' DER copied in),
 * its problems and their messages. A unique chain's result is made and
 * freed once per row of a scan; its half-dozen blocks, freed a batch at a
 * time among the cache's long-lived entries, were a measured share of
 * malloc's work there. */
int chain__result_from_path(chain_result **out, const chain__path *path,
                            const chain__problems *ps, int64_t now)
{
	size_t n_certs = path ? path->len : 0;
	size_t bytes = room(sizeof(chain_result)) + room(n_certs * sizeof(chain__result_cert)) +
	               room(ps->n * sizeof(chain__result_problem));
	for (size_t i = 0; i < n_certs; i++)
		if (!chain__result_cert_refers(&path->nodes[i]))
			bytes += path->nodes[i].cert->der_len;
	for (size_t i = 0; i < ps->n; i++)
		bytes += text_room(ps->v[i].message);
	char *block = malloc(bytes);
	if (!block)
		return CHAIN_ENOMEM;
	chain_result *r = (chain_result *)block;
	char *w = block + room(sizeof(*r));
	*r = (chain_result){.time = now, .error_index = -1, .block_bytes = bytes};
	if (n_certs) {
		r->certs = (chain__result_cert *)w;
		w += room(n_certs * sizeof(*r->certs));
	}
	if (ps->n) {
		r->problems = (chain__result_problem *)w;
		w += room(ps->n * sizeof(*r->problems));
	}
	for (size_t i = 0; i < n_certs; i++) {
		w += chain__result_cert_fill(&r->certs[i], &path->nodes[i], (unsigned char *)w);
		r->n_certs++;
	}
	for (size_t i = 0; i < ps->n; i++) {
		chain__result_problem *p = &r->problems[i];
		int d = ps->v[i].depth;
		*p = (chain__result_problem){0};
		p->reason = ps->v[i].reason;
		p->depth = d;
		p->input_index = (d >= 0 && (size_t)d < r->n_certs) ? r->certs[d].input_index : -1;
		p->message = put_text(&w, ps->v[i].message);
		r->n_problems++;
	}
	r->anchored = path && path->end == CHAIN__END_ANCHOR;
	r->reason = chain__primary_reason(ps);
	r->ok = r->anchored && ps->n == 0;
	*out = r;
	return CHAIN_OK;
}

int chain__result_input_error(chain_result **out, chain_reason reason, int index,
                              const char *message, int64_t now)
{
	chain__problems ps = {NULL, 0, 0};
	int ret = chain__problems_add(&ps, reason, -1, "%s", message);
	if (ret == CHAIN_OK)
		ret = chain__result_from_path(out, NULL, &ps, now);
	if (ret == CHAIN_OK) {
		(*out)->error_index = index;
		if (!((*out)->error_message = strdup(message))) {
			chain_result_free(*out);
			*out = NULL;
			ret = CHAIN_ENOMEM;
		}
	}
	chain__problems_clear(&ps);
	free(ps.v);
	return ret;
}

int chain_result_new_input_error(chain_result **out, const chain_policy *policy,
                                 chain_reason reason, int index, const char *message)
{
	if (out)
		*out = NULL;
	if (!out || !message || (reason != CHAIN_REASON_MALFORMED && reason != CHAIN_REASON_INPUT_LIMIT))
		return CHAIN_EINVAL;
	int64_t when = chain__verification_time(policy ? policy : &chain__default_policy);
	return chain__result_input_error(out, reason, index < -1 ? -1 : index, message, when);
}

/* Room in a packed result (copy_result()), in 8-byte steps: certificates
 * and problems hold 64-bit fields. */
static size_t room(size_t bytes)
{
	return (bytes + 7) & ~(size_t)7;
}

static size_t text_room(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* A string @s copied to *@w in the block (NULL stays NULL). */
static char *put_text(char **w, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *copy = memcpy(*w, s, n);
	*w += n;
	return copy;
}

/* The DER the caller served for @s (by its input index), or NULL. */
static const unsigned char *served_der(const chain__result_cert *s, const unsigned char *const *ders,
                                       const size_t *lens, size_t n)
{
	bool ok = ders && s->input_index >= 0 && (size_t)s->input_index < n &&
	          lens[s->input_index] == s->der_len;
	return ok ? ders[s->input_index] : NULL;
}

/* A copy of @src at @now, in ONE allocation: the result, its certificates,
 * problems, messages, the strings @src has formatted, and the served
 * certificates' DER, from @ders (by their input index), or left out when
 * @ders is NULL. A verdict-cache hit is this copy, once per row of a scan:
 * one malloc instead of a dozen was a quarter of a hit's cost. */
static int copy_result(chain_result **out, const chain_result *src, const unsigned char *const *ders,
                 const size_t *lens, size_t n, int64_t now)
{
	/* The served DER of each certificate first: a mismatch is an error. */
	size_t bytes = room(sizeof(chain_result)) + room(src->n_certs * sizeof(chain__result_cert)) +
	               room(src->n_problems * sizeof(chain__result_problem)) +
	               text_room(src->error_message);
	for (size_t i = 0; i < src->n_certs; i++) {
		const chain__result_cert *s = &src->certs[i];
		const unsigned char *der = served_der(s, ders, lens, n);
		if (ders && !der && s->source == CHAIN_SOURCE_SERVED)
			return CHAIN_ERROR; /* not the served chain the template was made from */
		bytes += (der ? s->der_len : 0) + text_room(s->subject_str) +
		         text_room(s->issuer_str) + text_room(s->serial_str);
	}
	for (size_t i = 0; i < src->n_problems; i++)
		bytes += text_room(src->problems[i].message);

	char *block = malloc(bytes);
	if (!block)
		return CHAIN_ENOMEM;
	chain_result *r = (chain_result *)block;
	char *w = block + room(sizeof(*r));
	*r = (chain_result){.ok = src->ok, .anchored = src->anchored,
	                    .order_repaired = src->order_repaired, .reason = src->reason,
	                    .time = now, .error_index = src->error_index, .block_bytes = bytes};
	if (src->n_certs) {
		r->certs = (chain__result_cert *)w;
		w += room(src->n_certs * sizeof(*r->certs));
	}
	if (src->n_problems) {
		r->problems = (chain__result_problem *)w;
		w += room(src->n_problems * sizeof(*r->problems));
	}
	r->error_message = put_text(&w, src->error_message);
	for (size_t i = 0; i < src->n_certs; i++) {
		const chain__result_cert *s = &src->certs[i];
		chain__result_cert *d = &r->certs[i];
		*d = *s;
		d->der = NULL;
		d->borrowed = 0; /* its text is copied into the block */
		d->subject_str = put_text(&w, s->subject_str);
		d->issuer_str = put_text(&w, s->issuer_str);
		d->serial_str = put_text(&w, s->serial_str);
		const unsigned char *der = served_der(s, ders, lens, n);
		if (s->cert && s->source != CHAIN_SOURCE_SERVED) {
			d->cert = chain__cert_ref(s->cert);
			d->der = s->cert->der;
		} else if (der) {
			d->cert = NULL;
			d->der = memcpy(w, der, s->der_len);
			w += s->der_len;
		} else {
			d->cert = NULL;
		}
		r->n_certs++;
	}
	for (size_t i = 0; i < src->n_problems; i++) {
		r->problems[i] = src->problems[i];
		r->problems[i].message = put_text(&w, src->problems[i].message);
		r->n_problems++;
	}
	*out = r;
	return CHAIN_OK;
}

int chain__result_template(chain_result **out, const chain_result *result, bool with_text)
{
	/* With @with_text the strings are formatted now, from @result's DER, so
	 * that every later copy copies the text instead of formatting it again
	 * (a template keeps no served DER to format from). NULL (a name with no
	 * text form, or no memory) leaves that string to be formatted by each
	 * copy. Without it, only what @result has formatted already is kept. */
	for (size_t i = 0; with_text && i < result->n_certs; i++) {
		chain_result_cert_subject(result, i);
		chain_result_cert_issuer(result, i);
		chain_result_cert_fingerprint(result, i);
	}
	return copy_result(out, result, NULL, NULL, 0, result->time);
}

int chain__result_instantiate(chain_result **out, const chain_result *tmpl,
                              const unsigned char *const *ders, const size_t *lens, size_t n,
                              int64_t now)
{
	return copy_result(out, tmpl, ders, lens, n, now);
}

/* What malloc adds to each block (header and rounding), on average: the
 * cache's bound is about real memory, and a result is many small blocks. */
#define MALLOC_OVERHEAD 24u

/* The bytes of @p when it is a block of its own (not in @r's). */
static size_t own_bytes(const chain_result *r, const void *p, size_t len)
{
	return p && !chain__result_in_block(r, p) ? len + MALLOC_OVERHEAD : 0;
}

size_t chain__result_footprint(const chain_result *r)
{
	size_t bytes = r->block_bytes + MALLOC_OVERHEAD +
	               own_bytes(r, r->certs, r->n_certs * sizeof(*r->certs)) +
	               own_bytes(r, r->problems, r->n_problems * sizeof(*r->problems)) +
	               own_bytes(r, r->error_message, text_room(r->error_message));
	for (size_t i = 0; i < r->n_certs; i++) {
		const chain__result_cert *c = &r->certs[i];
		if (!c->cert)
			bytes += own_bytes(r, c->der, c->der_len);
		if (!(c->borrowed & CHAIN__BORROWED_SUBJECT))
			bytes += own_bytes(r, c->subject_str, text_room(c->subject_str));
		if (!(c->borrowed & CHAIN__BORROWED_ISSUER))
			bytes += own_bytes(r, c->issuer_str, text_room(c->issuer_str));
		bytes += own_bytes(r, c->serial_str, text_room(c->serial_str));
	}
	for (size_t i = 0; i < r->n_problems; i++)
		bytes += own_bytes(r, r->problems[i].message, text_room(r->problems[i].message));
	return bytes;
}

void chain_result_free(chain_result *r)
{
	if (!r)
		return;
	chain__explain_free(r->explain);
	for (size_t i = 0; i < r->n_certs; i++)
		chain__result_cert_release(r, &r->certs[i]);
	for (size_t i = 0; i < r->n_problems; i++)
		chain__result_free_part(r, r->problems[i].message);
	chain__result_free_part(r, r->certs);
	chain__result_free_part(r, r->problems);
	chain__result_free_part(r, r->error_message);
	free(r->ocsp_message);
	free(r);
}

chain_ocsp_status chain_result_ocsp_status(const chain_result *r)
{
	return r ? r->ocsp : CHAIN_OCSP_NONE;
}

const char *chain_result_ocsp_message(const chain_result *r)
{
	return r ? r->ocsp_message : NULL;
}

int chain_result_ok(const chain_result *r)
{
	return r && r->ok;
}

chain_reason chain_result_reason(const chain_result *r)
{
	return r ? r->reason : CHAIN_REASON_MALFORMED;
}

int64_t chain_result_time(const chain_result *r)
{
	return r ? r->time : 0;
}

size_t chain_result_problem_count(const chain_result *r)
{
	return r ? r->n_problems : 0;
}

static const chain__result_problem *problem_at(const chain_result *r, size_t i)
{
	return r && i < r->n_problems ? &r->problems[i] : NULL;
}

chain_reason chain_result_problem_reason(const chain_result *r, size_t i)
{
	const chain__result_problem *p = problem_at(r, i);
	return p ? p->reason : CHAIN_REASON_OK;
}

int chain_result_problem_depth(const chain_result *r, size_t i)
{
	const chain__result_problem *p = problem_at(r, i);
	return p ? p->depth : -1;
}

int chain_result_problem_input_index(const chain_result *r, size_t i)
{
	const chain__result_problem *p = problem_at(r, i);
	return p ? p->input_index : -1;
}

const char *chain_result_problem_message(const chain_result *r, size_t i)
{
	const chain__result_problem *p = problem_at(r, i);
	return p ? p->message : NULL;
}

int chain_result_error_index(const chain_result *r)
{
	return r ? r->error_index : -1;
}

const char *chain_result_error_message(const chain_result *r)
{
	return r ? r->error_message : NULL;
}

size_t chain_result_cert_count(const chain_result *r)
{
	return r ? r->n_certs : 0;
}

int chain_result_order_repaired(const chain_result *r)
{
	return r && r->order_repaired;
}

int chain_result_anchored(const chain_result *r)
{
	return r && r->anchored;
}

/* Accessors take a const result but fill per-certificate strings lazily: a
 * result belongs to one thread at a time (result.h), so this is safe. */
static chain__result_cert *cert_at(const chain_result *r, size_t i)
{
	return r && i < r->n_certs ? (chain__result_cert *)&r->certs[i] : NULL;
}

const unsigned char *chain_result_cert_der(const chain_result *r, size_t i, size_t *len)
{
	chain__result_cert *c = cert_at(r, i);
	if (len)
		*len = c ? c->der_len : 0;
	return c ? c->der : NULL;
}

const char *chain_result_cert_subject(const chain_result *r, size_t i)
{
	return chain__result_cert_subject(cert_at(r, i));
}

const char *chain_result_cert_issuer(const chain_result *r, size_t i)
{
	return chain__result_cert_issuer(cert_at(r, i), cert_at(r, i + 1));
}

const char *chain_result_cert_serial(const chain_result *r, size_t i)
{
	return chain__result_cert_serial(cert_at(r, i));
}

const char *chain_result_cert_fingerprint(const chain_result *r, size_t i)
{
	return chain__result_cert_fingerprint(cert_at(r, i));
}

int64_t chain_result_cert_not_before(const chain_result *r, size_t i)
{
	chain__result_cert *c = cert_at(r, i);
	return c ? c->not_before : 0;
}

int64_t chain_result_cert_not_after(const chain_result *r, size_t i)
{
	chain__result_cert *c = cert_at(r, i);
	return c ? c->not_after : 0;
}

chain_source chain_result_cert_source(const chain_result *r, size_t i)
{
	chain__result_cert *c = cert_at(r, i);
	return c ? c->source : CHAIN_SOURCE_SERVED;
}

int chain_result_cert_input_index(const chain_result *r, size_t i)
{
	chain__result_cert *c = cert_at(r, i);
	return c ? c->input_index : -1;
}
