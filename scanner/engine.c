/* scanner: the engine of `chainval scan` (engine.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "engine.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"

/* Distinct keys the summary keeps per counter (issuers, anchors: CA names;
 * the rest are small fixed sets). Past it, counts go to "dropped". */
#define SUMMARY_MAX_KEYS 100000

typedef struct {
	uint64_t ok, failed;
	scan_counter codes;
} store_counts;

struct scan_engine {
	scan_config cfg;
	chain_policy *base; /* server purpose, repair_order on: every row's policy copies it */
	uint64_t rows, verdicts[4]; /* ok, failed, malformed, no_chain */
	scan_counter codes, flags, failing_issuers, anchors, malformed;
	store_counts *stores;
	/* scan_engine_cancel(): the batch running now, under cancel_lock. */
	pthread_mutex_t cancel_lock;
	chain_batch *running;
	bool canceled;
	/* Row policies, reused from batch to batch (make_policy() sets every
	 * field a row decides): a copy of the base made and freed per row was
	 * a measured share of the scan's own work. */
	chain_policy **row_policies;
	size_t n_row_policies;
};

static const char *const verdict_names[] = {"ok", "failed", "malformed", "no_chain"};
enum { V_OK, V_FAILED, V_MALFORMED, V_NO_CHAIN, N_VERDICTS };

int scan_engine_new(scan_engine **out, const scan_config *cfg)
{
	*out = NULL;
	if (!cfg || !cfg->n_stores || !cfg->stores || !cfg->store_names)
		return CHAIN_EINVAL;
	scan_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return CHAIN_ENOMEM;
	e->cfg = *cfg;
	pthread_mutex_init(&e->cancel_lock, NULL);
	scan_counter_init(&e->codes, SUMMARY_MAX_KEYS);
	scan_counter_init(&e->flags, SUMMARY_MAX_KEYS);
	scan_counter_init(&e->failing_issuers, SUMMARY_MAX_KEYS);
	scan_counter_init(&e->anchors, SUMMARY_MAX_KEYS);
	scan_counter_init(&e->malformed, SUMMARY_MAX_KEYS);
	if (!(e->stores = calloc(cfg->n_stores, sizeof(*e->stores))) ||
	    chain_policy_new(&e->base) < 0 || chain_policy_set_repair_order(e->base, 1) < 0) {
		scan_engine_free(e);
		return CHAIN_ENOMEM;
	}
	for (size_t k = 0; k < cfg->n_stores; k++)
		scan_counter_init(&e->stores[k].codes, SUMMARY_MAX_KEYS);
	*out = e;
	return CHAIN_OK;
}

void scan_engine_free(scan_engine *e)
{
	if (!e)
		return;
	chain_policy_free(e->base);
	for (size_t i = 0; i < e->n_row_policies; i++)
		chain_policy_free(e->row_policies[i]);
	free(e->row_policies);
	scan_counter_free(&e->codes);
	scan_counter_free(&e->flags);
	scan_counter_free(&e->failing_issuers);
	scan_counter_free(&e->anchors);
	scan_counter_free(&e->malformed);
	for (size_t k = 0; e->stores && k < e->cfg.n_stores; k++)
		scan_counter_free(&e->stores[k].codes);
	free(e->stores);
	pthread_mutex_destroy(&e->cancel_lock);
	free(e);
}

scan_record *scan_records_push(scan_records *r, uint64_t line, uint32_t input)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		scan_record *items = realloc(r->items, cap * sizeof(*items));
		if (!items) {
			r->failed = true;
			return NULL;
		}
		r->items = items;
		r->cap = cap;
	}
	scan_record *rec = &r->items[r->n++];
	*rec = (scan_record){.line = line, .input = input};
	return rec;
}

void scan_records_free(scan_records *r)
{
	free(r->items);
	*r = (scan_records){0};
}

/* ------------------------------------------------------------------------ */
/* Rows */

#define MAX_FLAGS 5

/* What a row says, from its record and its results (one per store):
 * worked out once per row (view()), then written (write_jsonl, write_csv)
 * and counted (count()) from here. */
typedef struct {
	const scan_record *rec;
	chain_result *const *results; /* NULL when the record is malformed before verifying */
	const chain_result *r;        /* the first store's result (the verdict), or NULL */
	const char *error;            /* the record's, or its policy's */
	const char *error_kind;
	const char *code;             /* the first store's code */
	const char *anchor, *issuer;  /* the first store's; NULL when none */
	const char *flags[MAX_FLAGS];
	size_t nflags;
} row_view;

static bool is_expiry(chain_reason r)
{
	return r == CHAIN_REASON_EXPIRED || r == CHAIN_REASON_NOT_YET_VALID;
}

/* What the first store's verification made of a stapled OCSP response. */
static const char *ocsp_flag(const chain_result *r)
{
	switch (chain_result_ocsp_status(r)) {
	case CHAIN_OCSP_GOOD: return "ocsp_good";
	case CHAIN_OCSP_REVOKED: return "ocsp_revoked";
	case CHAIN_OCSP_UNUSABLE: return "ocsp_unusable";
	case CHAIN_OCSP_NONE: break;
	}
	return NULL;
}

/* The row's flags, in the order the scanner has always written them (the
 * OCSP flag, new in 0.3, last). */
static size_t row_flags(const row_view *v, const char *out[MAX_FLAGS])
{
	size_t n = 0;
	if (v->rec->flags & SCAN_REC_PRECERT)
		out[n++] = "precertificate";
	if (!v->results)
		return n;
	const chain_result *r = v->results[0];
	size_t certs = chain_result_cert_count(r);
	bool pool = false;
	for (size_t i = 0; i < certs; i++)
		pool = pool || chain_result_cert_source(r, i) == CHAIN_SOURCE_POOL;
	if (chain_result_order_repaired(r))
		out[n++] = "order_repaired";
	if (pool)
		out[n++] = "pool_used";
	size_t problems = chain_result_problem_count(r);
	bool expiry_only = !chain_result_ok(r) && problems > 0;
	for (size_t i = 0; i < problems && expiry_only; i++)
		expiry_only = is_expiry(chain_result_problem_reason(r, i));
	if (expiry_only)
		out[n++] = "valid_apart_from_expiry";
	if ((out[n] = ocsp_flag(r)))
		n++;
	return n;
}

static const char *anchor_of(const chain_result *r)
{
	size_t n = chain_result_cert_count(r);
	return n && chain_result_anchored(r) ? chain_result_cert_subject(r, n - 1) : NULL;
}

/* A row's code: libchain's reason, or the scan's own "malformed" (no chain
 * could be read) and "no_chain" (the record says none was served). */
static const char *code_of(const row_view *v, size_t k)
{
	if (v->results)
		return chain_reason_str(chain_result_reason(v->results[k]));
	return v->rec->flags & SCAN_REC_NO_CHAIN ? "no_chain" : "malformed";
}

/* The row's error: the record's, else libchain's parse error, else the first
 * problem's message of a malformed verdict. */
static const char *error_of(const row_view *v)
{
	if (!v->results)
		return v->error;
	const chain_result *r = v->results[0];
	const char *msg = chain_result_error_message(r);
	if (msg && *msg)
		return msg;
	if (chain_result_reason(r) == CHAIN_REASON_MALFORMED && chain_result_problem_count(r))
		return chain_result_problem_message(r, 0);
	return NULL;
}

static bool row_time(const scan_engine *e, const row_view *v, int64_t *t)
{
	if (v->results) {
		*t = chain_result_time(v->results[0]);
		return true;
	}
	*t = e->cfg.has_at ? e->cfg.at : v->rec->time;
	return e->cfg.has_at || v->rec->has_time;
}

static void json_key(scan_buf *b, const char *key)
{
	scan_buf_putc(b, '"');
	scan_buf_puts(b, key);
	scan_buf_put(b, "\":", 2);
}

static void write_jsonl(const scan_engine *e, const row_view *v, scan_buf *b)
{
	const scan_record *rec = v->rec;
	const chain_result *r = v->r;
	scan_buf_put(b, "{\"id\":", 6);
	if (rec->id && rec->id_is_text)
		scan_buf_json_string(b, rec->id, rec->id_len);
	else if (rec->id)
		scan_buf_put(b, rec->id, rec->id_len);
	else
		scan_buf_puts(b, "null");
	if (e->cfg.with_source) {
		scan_buf_puts(b, ",\"source\":");
		scan_buf_json_cstr(b, rec->input < e->cfg.n_sources ? e->cfg.sources[rec->input] : NULL);
	}
	scan_buf_puts(b, ",\"line\":");
	scan_buf_uint(b, rec->line);
	scan_buf_puts(b, ",\"host\":");
	scan_buf_json_cstr(b, rec->host);
	scan_buf_puts(b, ",\"time\":");
	int64_t t;
	if (row_time(e, v, &t))
		scan_buf_int(b, t);
	else
		scan_buf_puts(b, "null");
	scan_buf_puts(b, r && chain_result_ok(r) ? ",\"ok\":true" : ",\"ok\":false");
	scan_buf_puts(b, ",\"code\":");
	scan_buf_json_plain(b, v->code);
	scan_buf_puts(b, ",\"reasons\":[");
	size_t problems = r ? chain_result_problem_count(r) : 0;
	for (size_t i = 0; i < problems; i++) {
		scan_buf_puts(b, i ? ",{\"code\":" : "{\"code\":");
		scan_buf_json_plain(b, chain_reason_str(chain_result_problem_reason(r, i)));
		scan_buf_puts(b, ",\"depth\":");
		scan_buf_int(b, chain_result_problem_depth(r, i));
		scan_buf_puts(b, ",\"message\":");
		scan_buf_json_cstr(b, chain_result_problem_message(r, i));
		scan_buf_putc(b, '}');
	}
	scan_buf_puts(b, "],\"path\":[");
	size_t certs = r ? chain_result_cert_count(r) : 0;
	for (size_t i = 0; i < certs; i++) {
		if (i)
			scan_buf_putc(b, ',');
		scan_buf_json_plain(b, chain_result_cert_fingerprint(r, i));
	}
	scan_buf_puts(b, "],\"anchor\":");
	scan_buf_json_cstr(b, v->anchor);
	scan_buf_puts(b, ",\"issuer\":");
	scan_buf_json_cstr(b, v->issuer);
	scan_buf_puts(b, ",\"not_after\":");
	char when[21];
	if (certs && scan_rfc3339(chain_result_cert_not_after(r, 0), when))
		scan_buf_json_plain(b, when);
	else
		scan_buf_puts(b, "null");
	scan_buf_puts(b, ",\"stores\":{");
	for (size_t k = 0; k < e->cfg.n_stores; k++) {
		if (k)
			scan_buf_putc(b, ',');
		scan_buf_json_cstr(b, e->cfg.store_names[k]);
		bool ok = v->results && chain_result_ok(v->results[k]);
		scan_buf_puts(b, ok ? ":{\"ok\":true,\"code\":" : ":{\"ok\":false,\"code\":");
		scan_buf_json_plain(b, code_of(v, k));
		scan_buf_puts(b, ",\"anchor\":");
		scan_buf_json_cstr(b, v->results ? anchor_of(v->results[k]) : NULL);
		scan_buf_putc(b, '}');
	}
	scan_buf_puts(b, "},\"flags\":[");
	for (size_t i = 0; i < v->nflags; i++) {
		if (i)
			scan_buf_putc(b, ',');
		scan_buf_json_plain(b, v->flags[i]);
	}
	scan_buf_puts(b, "],\"error\":");
	scan_buf_json_cstr(b, error_of(v));
	scan_buf_put(b, "}\n", 2);
}

/* ---- CSV: docs/scan.md's columns; lists joined with ';' ---- */

/* A field from text assembled in @tmp (cleared first by the caller). */
static void csv_put(scan_buf *b, scan_buf *tmp, bool comma)
{
	if (comma)
		scan_buf_putc(b, ',');
	if (tmp->failed)
		b->failed = true;
	else
		scan_buf_csv_field(b, tmp->data ? tmp->data : "", tmp->len);
	tmp->len = 0;
}

static void csv_text(scan_buf *tmp, const char *s)
{
	if (s)
		scan_buf_csv_text(tmp, s, strlen(s));
}

void scan_engine_csv_header(const scan_engine *e, scan_buf *out)
{
	scan_buf tmp = {0};
	static const char *const cols[] = {"line", "host", "time", "ok", "code", "reasons",
	                                   "messages", "path", "anchor", "issuer", "not_after"};
	scan_buf_puts(out, "id");
	if (e->cfg.with_source)
		scan_buf_puts(out, ",source");
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		scan_buf_putc(out, ',');
		scan_buf_puts(out, cols[i]);
	}
	for (size_t k = 0; k < e->cfg.n_stores; k++) {
		scan_buf_puts(&tmp, "store:");
		csv_text(&tmp, e->cfg.store_names[k]);
		csv_put(out, &tmp, true);
	}
	scan_buf_puts(out, ",flags,error\n");
	scan_buf_free(&tmp);
}

static void write_csv(const scan_engine *e, const row_view *v, scan_buf *b, scan_buf *tmp)
{
	const scan_record *rec = v->rec;
	const chain_result *r = v->r;
	/* The id column: a text id as it is, any other id as its JSON text. */
	if (rec->id)
		scan_buf_csv_text(tmp, rec->id, rec->id_len);
	csv_put(b, tmp, false);
	if (e->cfg.with_source) {
		csv_text(tmp, rec->input < e->cfg.n_sources ? e->cfg.sources[rec->input] : NULL);
		csv_put(b, tmp, true);
	}
	scan_buf_uint(tmp, rec->line);
	csv_put(b, tmp, true);
	csv_text(tmp, rec->host);
	csv_put(b, tmp, true);
	int64_t t;
	if (row_time(e, v, &t))
		scan_buf_int(tmp, t);
	csv_put(b, tmp, true);
	scan_buf_puts(tmp, r && chain_result_ok(r) ? "true" : "false");
	csv_put(b, tmp, true);
	csv_text(tmp, v->code);
	csv_put(b, tmp, true);
	size_t problems = r ? chain_result_problem_count(r) : 0;
	for (size_t i = 0; i < problems; i++) {
		if (i)
			scan_buf_putc(tmp, ';');
		csv_text(tmp, chain_reason_str(chain_result_problem_reason(r, i)));
		scan_buf_putc(tmp, '@');
		scan_buf_int(tmp, chain_result_problem_depth(r, i));
	}
	csv_put(b, tmp, true);
	for (size_t i = 0; i < problems; i++) {
		if (i)
			scan_buf_putc(tmp, ';');
		csv_text(tmp, chain_result_problem_message(r, i));
	}
	csv_put(b, tmp, true);
	size_t certs = r ? chain_result_cert_count(r) : 0;
	for (size_t i = 0; i < certs; i++) {
		if (i)
			scan_buf_putc(tmp, ';');
		csv_text(tmp, chain_result_cert_fingerprint(r, i));
	}
	csv_put(b, tmp, true);
	csv_text(tmp, v->anchor);
	csv_put(b, tmp, true);
	csv_text(tmp, v->issuer);
	csv_put(b, tmp, true);
	char when[21];
	if (certs && scan_rfc3339(chain_result_cert_not_after(r, 0), when))
		csv_text(tmp, when);
	csv_put(b, tmp, true);
	for (size_t k = 0; k < e->cfg.n_stores; k++) {
		csv_text(tmp, code_of(v, k));
		csv_put(b, tmp, true);
	}
	for (size_t i = 0; i < v->nflags; i++) {
		if (i)
			scan_buf_putc(tmp, ';');
		csv_text(tmp, v->flags[i]);
	}
	csv_put(b, tmp, true);
	csv_text(tmp, error_of(v));
	csv_put(b, tmp, true);
	scan_buf_putc(b, '\n');
}

/* ------------------------------------------------------------------------ */
/* The summary */

static void count(scan_engine *e, const row_view *v)
{
	const chain_result *r = v->r;
	int verdict = !r ? (v->rec->flags & SCAN_REC_NO_CHAIN ? V_NO_CHAIN : V_MALFORMED)
	              : chain_result_ok(r) ? V_OK
	              : chain_result_reason(r) == CHAIN_REASON_MALFORMED ? V_MALFORMED : V_FAILED;
	e->rows++;
	e->verdicts[verdict]++;
	scan_counter_add(&e->codes, v->code, strlen(v->code), 1);
	for (size_t k = 0; k < e->cfg.n_stores; k++) {
		bool ok = v->results && chain_result_ok(v->results[k]);
		const char *c = code_of(v, k);
		(ok ? &e->stores[k].ok : &e->stores[k].failed)[0]++;
		scan_counter_add(&e->stores[k].codes, c, strlen(c), 1);
	}
	for (size_t i = 0; i < v->nflags; i++)
		scan_counter_add(&e->flags, v->flags[i], strlen(v->flags[i]), 1);
	if (verdict != V_OK && v->issuer)
		scan_counter_add(&e->failing_issuers, v->issuer, strlen(v->issuer), 1);
	if (v->anchor)
		scan_counter_add(&e->anchors, v->anchor, strlen(v->anchor), 1);
	if (verdict == V_MALFORMED) {
		const char *kind = !r ? (v->error_kind ? v->error_kind : "unreadable")
		                      : chain_result_error_message(r) ? "certificate_parse" : "certificate";
		scan_counter_add(&e->malformed, kind, strlen(kind), 1);
	}
}

static void counter_json(scan_buf *b, const scan_counter *c)
{
	scan_count *sorted = scan_counter_sorted(c);
	if (c->used && !sorted) {
		b->failed = true;
		return;
	}
	scan_buf_putc(b, '{');
	for (size_t i = 0; i < c->used; i++) {
		if (i)
			scan_buf_putc(b, ',');
		scan_buf_json_string(b, sorted[i].key, sorted[i].len);
		scan_buf_putc(b, ':');
		scan_buf_uint(b, sorted[i].count);
	}
	scan_buf_putc(b, '}');
	free(sorted);
}

uint64_t scan_engine_rows(const scan_engine *e)
{
	return e->rows;
}

void scan_engine_summary_json(const scan_engine *e, scan_buf *b)
{
	scan_buf_puts(b, "{\"rows\":");
	scan_buf_uint(b, e->rows);
	scan_buf_puts(b, ",\"verdicts\":{");
	for (int i = 0; i < N_VERDICTS; i++) {
		if (i)
			scan_buf_putc(b, ',');
		json_key(b, verdict_names[i]);
		scan_buf_uint(b, e->verdicts[i]);
	}
	scan_buf_puts(b, "},\"codes\":");
	counter_json(b, &e->codes);
	scan_buf_puts(b, ",\"stores\":{");
	for (size_t k = 0; k < e->cfg.n_stores; k++) {
		if (k)
			scan_buf_putc(b, ',');
		scan_buf_json_cstr(b, e->cfg.store_names[k]);
		scan_buf_puts(b, ":{\"ok\":");
		scan_buf_uint(b, e->stores[k].ok);
		scan_buf_puts(b, ",\"failed\":");
		scan_buf_uint(b, e->stores[k].failed);
		scan_buf_puts(b, ",\"codes\":");
		counter_json(b, &e->stores[k].codes);
		scan_buf_putc(b, '}');
	}
	scan_buf_puts(b, "},\"flags\":");
	counter_json(b, &e->flags);
	scan_buf_puts(b, ",\"malformed\":");
	counter_json(b, &e->malformed);
	scan_buf_puts(b, ",\"failing_issuers\":");
	counter_json(b, &e->failing_issuers);
	scan_buf_puts(b, ",\"anchors\":");
	counter_json(b, &e->anchors);
	scan_buf_putc(b, '}');
}

/* ------------------------------------------------------------------------ */
/* Running a batch */

/* Row policies for a batch of @n records: the engine's, grown as needed. */
static int row_policies(scan_engine *e, size_t n)
{
	if (n <= e->n_row_policies)
		return CHAIN_OK;
	chain_policy **more = realloc(e->row_policies, n * sizeof(*more));
	if (!more)
		return CHAIN_ENOMEM;
	e->row_policies = more;
	for (; e->n_row_policies < n; e->n_row_policies++) {
		int ret = chain_policy_copy(&more[e->n_row_policies], e->base);
		if (ret < 0)
			return ret;
	}
	return CHAIN_OK;
}

/* Set @p, a copy of the base policy, for @rec: every field a row decides
 * (host name, time, precertificate) is set or cleared, so that nothing of
 * the row @p served before is left. CHAIN_EINVAL with *why when the row's
 * fields are refused. */
static int make_policy(const scan_engine *e, const scan_record *rec, chain_policy *p,
                       const char **why)
{
	if (chain_policy_set_hostname(p, rec->host) < 0) {
		*why = "invalid host name (DNS names as A-labels, or an IP address)";
		return CHAIN_EINVAL;
	}
	if (e->cfg.has_at)
		chain_policy_set_time(p, e->cfg.at);
	else if (rec->has_time)
		chain_policy_set_time(p, rec->time);
	else
		chain_policy_clear_time(p);
	if (chain_policy_set_precertificate(p, (rec->flags & SCAN_REC_PRECERT) != 0) < 0) {
		*why = "precertificates are not supported";
		return CHAIN_EINVAL;
	}
	return CHAIN_OK;
}

/* What the row of @rec says (row_view), worked out once. */
static void view(row_view *v, const scan_record *rec, chain_result *const *results,
                 const char *why)
{
	const chain_result *r = results ? results[0] : NULL;
	*v = (row_view){
		.rec = rec,
		.results = results,
		.r = r,
		.error = why,
		.error_kind = rec->error ? rec->error_kind : rec->n ? "policy" : "no_certificates",
		.anchor = r ? anchor_of(r) : NULL,
		.issuer = r && chain_result_cert_count(r) ? chain_result_cert_issuer(r, 0) : NULL,
	};
	v->code = code_of(v, 0);
	v->nflags = row_flags(v, v->flags);
}

void scan_engine_cancel(scan_engine *e)
{
	pthread_mutex_lock(&e->cancel_lock);
	e->canceled = true;
	if (e->running)
		chain_batch_cancel(e->running);
	pthread_mutex_unlock(&e->cancel_lock);
}

void scan_engine_clear_cancel(scan_engine *e)
{
	pthread_mutex_lock(&e->cancel_lock);
	e->canceled = false;
	pthread_mutex_unlock(&e->cancel_lock);
}

int scan_engine_run(scan_engine *e, const scan_record *recs, size_t n, scan_buf *out)
{
	size_t k_stores = e->cfg.n_stores;
	int ret = CHAIN_ENOMEM;
	chain_policy **policies = calloc(n ? n : 1, sizeof(*policies));
	const char **why = calloc(n ? n : 1, sizeof(*why));
	chain_result **results = calloc((n ? n : 1) * k_stores, sizeof(*results));
	chain_batch **batches = calloc(k_stores, sizeof(*batches));
	row_view *rows = calloc(n ? n : 1, sizeof(*rows));
	scan_buf tmp = {0};
	size_t start = out->len;
	if (!policies || !why || !results || !batches || !rows ||
	    (ret = row_policies(e, n)) < 0)
		goto done;

	/* policies[i]: the row's policy, NULL for a record not verified. */
	for (size_t i = 0; i < n; i++) {
		if (recs[i].error || !recs[i].n)
			why[i] = recs[i].error ? recs[i].error : "no certificates";
		else if (make_policy(e, &recs[i], e->row_policies[i], &why[i]) == CHAIN_OK)
			policies[i] = e->row_policies[i];
	}
	for (size_t k = 0; k < k_stores; k++) {
		if ((ret = chain_batch_new(&batches[k])) < 0)
			goto done;
		for (size_t i = 0; i < n; i++) {
			if (!policies[i])
				continue;
			/* The item just added is the batch's last (records without a
			 * policy are not items). */
			if ((ret = chain_batch_add(batches[k], recs[i].ders, recs[i].lens, recs[i].n,
			                           policies[i])) < 0 ||
			    (recs[i].ocsp &&
			     (ret = chain_batch_set_ocsp(batches[k], chain_batch_count(batches[k]) - 1,
			                                 recs[i].ocsp, recs[i].ocsp_len)) < 0))
				goto done;
		}
		chain_batch_set_cache(batches[k], e->cfg.cache);
		pthread_mutex_lock(&e->cancel_lock);
		bool canceled = e->canceled;
		e->running = canceled ? NULL : batches[k];
		pthread_mutex_unlock(&e->cancel_lock);
		ret = canceled ? CHAIN_ECANCELED
		               : chain_batch_run(batches[k], e->cfg.stores[k], e->cfg.pool, e->cfg.threads);
		pthread_mutex_lock(&e->cancel_lock);
		e->running = NULL;
		pthread_mutex_unlock(&e->cancel_lock);
		if (ret < 0)
			goto done;
		size_t j = 0;
		for (size_t i = 0; i < n; i++) {
			if (!policies[i])
				continue;
			results[i * k_stores + k] = chain_batch_take_result(batches[k], j);
			if (!results[i * k_stores + k]) {
				ret = chain_batch_status(batches[k], j);
				if (ret >= 0)
					ret = CHAIN_ERROR;
				goto done;
			}
			j++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		view(&rows[i], &recs[i], policies[i] ? &results[i * k_stores] : NULL, why[i]);
		if (e->cfg.format == SCAN_OUT_CSV)
			write_csv(e, &rows[i], out, &tmp);
		else
			write_jsonl(e, &rows[i], out);
	}
	if (out->failed || tmp.failed) {
		ret = CHAIN_ENOMEM;
		goto done;
	}
	/* Counted only once every row is written: a failed batch counts nothing. */
	for (size_t i = 0; i < n; i++)
		count(e, &rows[i]);
	ret = CHAIN_OK;
done:
	if (ret != CHAIN_OK && !out->failed)
		out->len = start;
	for (size_t i = 0; results && i < n * k_stores; i++)
		chain_result_free(results[i]);
	for (size_t k = 0; batches && k < k_stores; k++)
		chain_batch_free(batches[k]);
	free(policies);
	free(why);
	free(results);
	free(batches);
	free(rows);
	scan_buf_free(&tmp);
	return ret;
}
