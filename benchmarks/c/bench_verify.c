/* bench_verify: single-core verification throughput of libchain's
 * chain_verify() against raw GnuTLS gnutls_x509_trust_list_verify_crt2() and
 * raw OpenSSL X509_verify_cert() on the same served chains, in the same run.
 *
 *   bench_verify CORPUS_DIR [--seconds S] [--repeat R] [--pin CPU] [--show K]
 *                [--threads N] [--clock wall|cpu] [--sides LIST] [--no-references]
 *                [--explain N] [--cache-mib N] [--batch-items N] [--trials-on-stdin]
 *                [--first-round-only]
 *
 * CORPUS_DIR holds roots.pem and chains.txt as written by
 * benchmarks/make-corpus.py (an optional fifth column, unix seconds, sets that
 * chain's verification time instead of T; "-" in the third column: no
 * expected verdict). Everything is loaded and base64-decoded before
 * any timing; the per-chain libchain policies (time, serverAuth, hostname)
 * are prepared up front too. A first, untimed pass records the three
 * verdicts and their reasons (and warms the CPU caches). Then each trial
 * rotates libchain, GnuTLS and OpenSSL rounds over the whole corpus (the
 * order rotates every round) until each side has run for at least S seconds.
 * Parsing the served DER is part of the measured work on every side; no side
 * keeps anything between calls (the GnuTLS trust list and the OpenSSL
 * X509_STORE hold the roots, built once). Then, as references, the signature
 * checks of the paths alone are timed (keys imported beforehand): the floor
 * any uncached verifier pays; and "parse the served chain + check only the
 * leaf's signature" with GnuTLS/nettle and with OpenSSL: the floor of a
 * verifier whose caches answer everything but the leaf; and each library's
 * parse alone (d2i_X509 / gnutls_x509_crt_import of every served DER). Last, the bulk
 * engine (chain_batch with a chain_cache), on one thread and, with
 * --threads N > 1, on N threads (the process is then unpinned).
 *
 * --clock cpu times every single-thread round with the process's CPU time
 * (CLOCK_PROCESS_CPUTIME_ID) instead of the monotonic wall clock, so that
 * other work on a shared machine does not count; the N-thread pass is timed
 * on the wall clock either way (it measures scaling). --sides picks the sides
 * of the rotation (comma-separated: libchain, gnutls, openssl, bulk; default
 * all four); without openssl the untimed pass does not run OpenSSL either.
 * --no-references skips the reference floors (signatures alone, parse + leaf
 * signature, parse only). benchmarks/python/bench_scan_table.py runs
 * "--clock cpu --sides gnutls,bulk --no-references" for its raw GnuTLS baseline.
 * --explain N turns on libchain's explain mode (chain_policy_set_explain(),
 * up to N attempts kept per verification) in the policies of the libchain
 * and bulk sides, to measure what it costs when on; the default, 0, leaves it
 * off (the policies are then those of earlier versions). An explained
 * verification neither reads nor fills the verdict cache, so with N > 0 the
 * bulk engine's "rows already seen" figure redoes the path search.
 * --cache-mib N bounds the bulk side's caches (chain_cache_new) to N MiB
 * instead of libchain's default (256 MiB): bench_scan_table.py gives the
 * scan's default, so that both sides keep the same verdicts.
 * --batch-items N runs the bulk side's round as batches of N chains, each
 * freed (its results too) before the next, as chainval scan does (--batch,
 * 2,000 by default); without it a round is one batch of the whole corpus,
 * whose results are all held until the round ends (at a million chains,
 * a million results).
 * --first-round-only times one round of the bulk engine (1 thread, a fresh
 * cache) before anything else has run in the process, prints it and exits:
 * the engine in fresh memory, as a scan's process meets it, where the trials
 * measure it in memory that earlier rounds have used.
 * --trials-on-stdin makes each trial wait for a line on standard input (it
 * prints "ready for trial K" first), and the end of input ends the trials
 * (--repeat is then their maximum): bench_scan_table.py runs its scans
 * between the trials, so that the machine's drift falls on both sides alike.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <chain/chain.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_config.h"

#define BENCH_T ((time_t)1893456000) /* 2030-01-01T00:00:00Z, as make-corpus.py */
#define MAX_SERVED 16                /* verify_crt2 in GnuTLS 3.7.9 overflows beyond 16 */

typedef struct {
	char *host;
	const unsigned char **ders;
	size_t *lens;
	size_t n;
	int expect_ok; /* 1 ok, 0 fail, -1 not given */
	char *label;
	time_t when; /* verification time: T, or the line's fifth column */
	chain_policy *policy; /* base policy + this chain's hostname */
	/* For the leaf-signature floor: the served certificate that issued the
	 * leaf on libchain's reported path (-1: none served), and the leaf's
	 * TBS and signature, located in ders[0] beforehand. */
	int leaf_issuer;
	gnutls_datum_t leaf_tbs, leaf_sig;
} bench_chain;

typedef struct {
	bench_chain *v;
	size_t n, cap;
} corpus;

/* ------------------------------------------------------------------------ */
/* Utilities */

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("bench_verify: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

/* CLOCK_MONOTONIC, or CLOCK_PROCESS_CPUTIME_ID with --clock cpu. */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(bench_clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* GnuTLS's clock: the verification time of the chain being verified (set
 * by verify_gnutls before each call). */
static time_t gnutls_now = BENCH_T;

static time_t pinned_time(time_t *t)
{
	if (t)
		*t = gnutls_now;
	return gnutls_now;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ------------------------------------------------------------------------ */
/* Machine and build description */

static void cpu_model(char *out, size_t size)
{
	snprintf(out, size, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10) && strncmp(line, "Hardware", 8) &&
		    strncmp(line, "cpu model", 9))
			continue;
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(out, size, "%s", colon);
		break;
	}
	fclose(f);
}

static void git_commit(char *out, size_t size)
{
	snprintf(out, size, "unknown");
	const char *src = BENCH_SOURCE_DIR;
	if (strchr(src, '\''))
		return;
	char cmd[4200];
	snprintf(cmd, sizeof(cmd),
	         "git -C '%s' describe --always --dirty --abbrev=12 2>/dev/null", src);
	FILE *p = popen(cmd, "r");
	if (!p)
		return;
	char buf[128];
	if (fgets(buf, sizeof(buf), p)) {
		buf[strcspn(buf, "\n")] = '\0';
		if (buf[0])
			snprintf(out, size, "%s", buf);
	}
	pclose(p);
}

/* ------------------------------------------------------------------------ */
/* Corpus loading */

static void corpus_push(corpus *c, bench_chain ch)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		bench_chain *v = realloc(c->v, c->cap * sizeof(*v));
		if (!v)
			die("out of memory");
		c->v = v;
	}
	c->v[c->n++] = ch;
}

static void parse_line(corpus *c, char *line, size_t lineno, const char *path)
{
	char *save = NULL;
	char *host = strtok_r(line, "\t", &save);
	char *certs = strtok_r(NULL, "\t", &save);
	char *expect = strtok_r(NULL, "\t", &save);
	char *label = strtok_r(NULL, "\t", &save);
	char *when = strtok_r(NULL, "\t", &save);
	if (!host || !certs)
		die("%s:%zu: expected hostname<TAB>certificates", path, lineno);

	bench_chain ch = {0};
	ch.host = xstrdup(host);
	ch.ders = xmalloc(MAX_SERVED * sizeof(*ch.ders));
	ch.lens = xmalloc(MAX_SERVED * sizeof(*ch.lens));
	ch.expect_ok = !expect ? -1 : !strcmp(expect, "ok") ? 1 : !strcmp(expect, "fail") ? 0 : -1;
	if (expect && ch.expect_ok < 0 && strcmp(expect, "-"))
		die("%s:%zu: third column must be ok, fail or -, not '%s'", path, lineno, expect);
	ch.when = BENCH_T;
	if (when) {
		char *end = NULL;
		long long w = strtoll(when, &end, 10);
		if (*end || end == when || w < 0)
			die("%s:%zu: fifth column must be unix seconds, not '%s'", path, lineno, when);
		ch.when = (time_t)w;
	}
	ch.label = xstrdup(label ? label : "-");

	char *save2 = NULL;
	for (char *b64 = strtok_r(certs, " ", &save2); b64; b64 = strtok_r(NULL, " ", &save2)) {
		if (ch.n == MAX_SERVED)
			die("%s:%zu: more than %d certificates", path, lineno, MAX_SERVED);
		gnutls_datum_t in = {(unsigned char *)b64, (unsigned int)strlen(b64)}, der;
		int ret = gnutls_base64_decode2(&in, &der);
		if (ret < 0)
			die("%s:%zu: certificate %zu: bad base64 (%s)", path, lineno, ch.n,
			    gnutls_strerror(ret));
		unsigned char *copy = xmalloc(der.size);
		memcpy(copy, der.data, der.size);
		gnutls_free(der.data);
		ch.ders[ch.n] = copy;
		ch.lens[ch.n] = der.size;
		ch.n++;
	}
	if (ch.n == 0)
		die("%s:%zu: no certificate", path, lineno);
	corpus_push(c, ch);
}

static void load_corpus(corpus *c, const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/chains.txt", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot open %s: %s", path, strerror(errno));
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		parse_line(c, line, lineno, path);
	}
	free(line);
	fclose(f);
	if (c->n == 0)
		die("%s: no chains", path);
}

static gnutls_x509_trust_list_t load_gnutls_roots(const char *pem_path, unsigned int *count)
{
	gnutls_datum_t pem;
	int ret = gnutls_load_file(pem_path, &pem);
	if (ret < 0)
		die("cannot read %s: %s", pem_path, gnutls_strerror(ret));
	gnutls_x509_crt_t *cas = NULL;
	unsigned int n = 0;
	ret = gnutls_x509_crt_list_import2(&cas, &n, &pem, GNUTLS_X509_FMT_PEM, 0);
	gnutls_free(pem.data);
	if (ret < 0 || n == 0)
		die("%s: no certificates for GnuTLS (%s)", pem_path, gnutls_strerror(ret));

	gnutls_x509_trust_list_t tl;
	if ((ret = gnutls_x509_trust_list_init(&tl, 0)) < 0)
		die("gnutls_x509_trust_list_init: %s", gnutls_strerror(ret));
	/* The list takes the certificates (freed by trust_list_deinit(tl, 1));
	 * the array is ours. */
	ret = gnutls_x509_trust_list_add_cas(tl, cas, n, 0);
	if (ret < 0 || (unsigned int)ret != n)
		die("gnutls_x509_trust_list_add_cas: %d of %u added", ret, n);
	gnutls_free(cas);
	*count = n;
	return tl;
}

/* OpenSSL: one X509_STORE holding the roots, built once. */
static X509_STORE *load_openssl_roots(const char *pem_path, unsigned int *count)
{
	X509_STORE *st = X509_STORE_new();
	BIO *bio = BIO_new_file(pem_path, "r");
	if (!st || !bio)
		die("cannot read %s with OpenSSL", pem_path);
	unsigned int n = 0;
	X509 *x;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(st, x) != 1)
			die("X509_STORE_add_cert failed for certificate %u of %s", n, pem_path);
		X509_free(x); /* the store holds its own reference */
		n++;
	}
	ERR_clear_error(); /* the end of the file reads as a PEM error */
	BIO_free(bio);
	if (n == 0)
		die("%s: no certificates for OpenSSL", pem_path);
	*count = n;
	return st;
}

/* ------------------------------------------------------------------------ */
/* One verification on each side */

static const char *const SERVER_AUTH = GNUTLS_KP_TLS_WWW_SERVER;

/* Attempts recorded by explain mode (--explain N) in the untimed pass. */
static size_t explain_attempts, explain_dropped;

/* libchain: returns 1 trusted, 0 rejected, -1 call error. With @why, writes
 * the reasons as libchain reports them. */
static int verify_libchain(const chain_store *store, const bench_chain *ch, char *why,
                           size_t why_size, const char **primary)
{
	chain_result *res = NULL;
	int ret = chain_verify(&res, store, ch->policy, ch->ders, ch->lens, ch->n, NULL);
	int ok = res ? chain_result_ok(res) : -1;

	if (primary)
		*primary = res ? chain_reason_str(chain_result_reason(res)) : "call_error";
	if (why) {
		size_t used = 0;
		why[0] = '\0';
#define APPEND(...)                                                                           \
	do {                                                                                  \
		if (used < why_size) {                                                        \
			int w_ = snprintf(why + used, why_size - used, __VA_ARGS__);          \
			if (w_ > 0)                                                           \
				used += (size_t)w_;                                           \
		}                                                                             \
	} while (0)
		if (!res) {
			APPEND("call failed: %s (%d)", chain_error_str(ret), ret);
		} else if (ok) {
			APPEND("ok (path of %zu certificates)", chain_result_cert_count(res));
		} else {
			APPEND("%s", chain_reason_str(chain_result_reason(res)));
			if (chain_result_error_message(res))
				APPEND(" [certificate %d: %s]", chain_result_error_index(res),
				       chain_result_error_message(res));
			size_t np = chain_result_problem_count(res);
			for (size_t i = 0; i < np; i++)
				APPEND("; %s at depth %d: %s",
				       chain_reason_str(chain_result_problem_reason(res, i)),
				       chain_result_problem_depth(res, i),
				       chain_result_problem_message(res, i));
		}
#undef APPEND
	}
	if (res && why) { /* the untimed pass: what explain mode recorded */
		explain_attempts += chain_result_attempt_count(res);
		explain_dropped += chain_result_attempts_dropped(res);
	}
	chain_result_free(res);
	return ok;
}

/* GnuTLS: returns 1 trusted, 0 rejected (including unparsable input), -1 on
 * a call error. With @why, writes GnuTLS's own description. */
static int verify_gnutls(gnutls_x509_trust_list_t tl, const bench_chain *ch, char *why,
                         size_t why_size, unsigned int *status_out)
{
	gnutls_x509_crt_t crts[MAX_SERVED];
	unsigned int status = 0;
	size_t parsed = 0;
	int ret = 0, result;

	gnutls_now = ch->when;
	for (; parsed < ch->n; parsed++) {
		gnutls_datum_t d = {(unsigned char *)ch->ders[parsed], (unsigned int)ch->lens[parsed]};
		if ((ret = gnutls_x509_crt_init(&crts[parsed])) < 0)
			break;
		if ((ret = gnutls_x509_crt_import(crts[parsed], &d, GNUTLS_X509_FMT_DER)) < 0) {
			gnutls_x509_crt_deinit(crts[parsed]);
			break;
		}
	}
	if (ret < 0) {
		result = 0;
		if (why)
			snprintf(why, why_size, "certificate %zu does not parse: %s", parsed,
			         gnutls_strerror(ret));
		goto out;
	}
	gnutls_typed_vdata_st vdata[2] = {
		{GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)ch->host, (unsigned int)strlen(ch->host)},
		{GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)SERVER_AUTH, 0},
	};
	ret = gnutls_x509_trust_list_verify_crt2(tl, crts, (unsigned int)ch->n, vdata, 2, 0,
	                                         &status, NULL);
	if (ret < 0) {
		result = -1;
		if (why)
			snprintf(why, why_size, "call failed: %s", gnutls_strerror(ret));
	} else {
		result = status == 0;
		if (why) {
			gnutls_datum_t txt = {NULL, 0};
			if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &txt,
			                                                 0) >= 0) {
				snprintf(why, why_size, "status 0x%x: %s", status, (char *)txt.data);
				gnutls_free(txt.data);
			} else {
				snprintf(why, why_size, "status 0x%x", status);
			}
		}
	}
out:
	if (status_out)
		*status_out = ret < 0 ? (result == 0 ? ~1u : ~0u) : status; /* ~1u: parse error */
	for (size_t i = 0; i < parsed; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return result;
}

/* OpenSSL: returns 1 trusted, 0 rejected (including unparsable input), -1 on
 * a call error. The whole per-chain cost is here: d2i_X509 of every served
 * DER, a fresh X509_STORE_CTX over the shared store with the leaf and a stack
 * of the other served certificates, its X509_VERIFY_PARAM set to T, the
 * hostname and the SSL-server purpose, X509_verify_cert(), and freeing it
 * all. *err_out gets X509_STORE_CTX_get_error() (X509_V_OK when trusted;
 * -1 when a certificate does not parse, -2 on a call error). */
static int verify_openssl(X509_STORE *st, const bench_chain *ch, char *why, size_t why_size,
                          int *err_out)
{
	X509 *crts[MAX_SERVED];
	size_t parsed = 0;
	int result = -1, err = -2;
	STACK_OF(X509) *rest = NULL;
	X509_STORE_CTX *ctx = NULL;

	for (; parsed < ch->n; parsed++) {
		const unsigned char *p = ch->ders[parsed];
		crts[parsed] = d2i_X509(NULL, &p, (long)ch->lens[parsed]);
		if (!crts[parsed])
			break;
		if (p != ch->ders[parsed] + ch->lens[parsed]) { /* trailing bytes */
			X509_free(crts[parsed]);
			break;
		}
	}
	if (parsed < ch->n) {
		result = 0;
		err = -1;
		if (why)
			snprintf(why, why_size, "certificate %zu does not parse (d2i_X509)", parsed);
		goto out;
	}
	rest = sk_X509_new_reserve(NULL, (int)ch->n);
	ctx = X509_STORE_CTX_new();
	if (!rest || !ctx)
		goto call_error;
	for (size_t i = 1; i < ch->n; i++)
		if (!sk_X509_push(rest, crts[i]))
			goto call_error;
	if (X509_STORE_CTX_init(ctx, st, crts[0], rest) != 1)
		goto call_error;
	X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(vp, ch->when);
	if (X509_VERIFY_PARAM_set1_host(vp, ch->host, 0) != 1 ||
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER) != 1)
		goto call_error;
	int r = X509_verify_cert(ctx);
	if (r < 0)
		goto call_error;
	result = r == 1;
	err = X509_STORE_CTX_get_error(ctx);
	if (why) {
		if (result)
			snprintf(why, why_size, "ok (chain of %d certificates)",
			         sk_X509_num(X509_STORE_CTX_get0_chain(ctx)));
		else
			snprintf(why, why_size, "error %d at depth %d: %s", err,
			         X509_STORE_CTX_get_error_depth(ctx), X509_verify_cert_error_string(err));
	}
	goto out;
call_error:
	result = -1;
	err = -2;
	if (why)
		snprintf(why, why_size, "call failed (OpenSSL setup or X509_verify_cert < 0)");
out:
	if (result != 1)
		ERR_clear_error();
	if (err_out)
		*err_out = err;
	X509_STORE_CTX_free(ctx);
	sk_X509_free(rest); /* the certificates are freed below, once */
	for (size_t i = 0; i < parsed; i++)
		X509_free(crts[i]);
	return result;
}

/* Short name of an OpenSSL verification outcome. */
static const char *openssl_err_name(int err)
{
	if (err == -1)
		return "parse_error";
	if (err == -2)
		return "call_error";
	if (err == X509_V_OK)
		return "ok";
	return X509_verify_cert_error_string(err);
}

/* Short names of GnuTLS verification status bits, "|"-joined ("ok" for 0). */
static void gnutls_status_names(unsigned int status, char *out, size_t size)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = {
		{GNUTLS_CERT_INVALID, "invalid"},
		{GNUTLS_CERT_REVOKED, "revoked"},
		{GNUTLS_CERT_SIGNER_NOT_FOUND, "signer_not_found"},
		{GNUTLS_CERT_SIGNER_NOT_CA, "signer_not_ca"},
		{GNUTLS_CERT_INSECURE_ALGORITHM, "insecure_algorithm"},
		{GNUTLS_CERT_NOT_ACTIVATED, "not_activated"},
		{GNUTLS_CERT_EXPIRED, "expired"},
		{GNUTLS_CERT_SIGNATURE_FAILURE, "signature_failure"},
		{GNUTLS_CERT_UNEXPECTED_OWNER, "unexpected_owner"},
		{GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, "signer_constraints_failure"},
		{GNUTLS_CERT_MISMATCH, "mismatch"},
		{GNUTLS_CERT_PURPOSE_MISMATCH, "purpose_mismatch"},
		{GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS, "unknown_crit_extensions"},
	};
	size_t used = 0;
	unsigned int rest = status;

	out[0] = '\0';
	if (status == ~1u) {
		snprintf(out, size, "parse_error");
		return;
	}
	if (status == ~0u) {
		snprintf(out, size, "call_error");
		return;
	}
	if (status == 0) {
		snprintf(out, size, "ok");
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(status & names[i].bit))
			continue;
		rest &= ~names[i].bit;
		int w = snprintf(out + used, used < size ? size - used : 0, "%s%s",
		                 used ? "|" : "", names[i].name);
		if (w > 0)
			used += (size_t)w;
	}
	if (rest && used < size)
		snprintf(out + used, size - used, "%s0x%x", used ? "|" : "", rest);
}

/* Outcome classes of the untimed pass: label x libchain reason x GnuTLS
 * status x OpenSSL error. */
typedef struct {
	const char *label;
	const char *l_reason;
	unsigned int g_status;
	int o_err;
	size_t count;
} outcome;

static void outcome_add(outcome *v, size_t *n, size_t cap, const char *label,
                        const char *l_reason, unsigned int g_status, int o_err)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(v[i].label, label) && !strcmp(v[i].l_reason, l_reason) &&
		    v[i].g_status == g_status && v[i].o_err == o_err) {
			v[i].count++;
			return;
		}
	if (*n < cap)
		v[(*n)++] = (outcome){label, l_reason, g_status, o_err, 1};
}

static int cmp_outcome(const void *a, const void *b)
{
	const outcome *x = a, *y = b;
	int c = strcmp(x->label, y->label);
	if (c)
		return c;
	return (x->count < y->count) - (x->count > y->count);
}

/* ------------------------------------------------------------------------ */
/* Reference floor: only the signature checks of each chain's path (the edges
 * of the path libchain reports: leaf <- intermediate <- root), with the
 * issuer keys imported and the TBS/signature located before timing. No
 * parsing, no search, no policy: what any verifier must pay per call without
 * caches. Both sides above verify exactly these edges (neither checks the
 * root's self-signature). */

typedef struct {
	gnutls_pubkey_t key; /* issuer key */
	gnutls_sign_algorithm_t algo;
	gnutls_datum_t tbs, sig; /* into der */
	unsigned char *der;      /* copy of the subject certificate */
	size_t cls;              /* index in key_classes */
} sig_edge;

/* Issuer key classes ("RSA-2048", "EC/ECDSA-384"), for the per-algorithm
 * cost of one signature check. */
enum { MAX_KEY_CLASSES = 16 };
static struct {
	char name[32];
	size_t edges;   /* edges of this class per round */
	double seconds; /* time spent on them over all rounds */
} key_classes[MAX_KEY_CLASSES];
static size_t n_key_classes;

static size_t key_class(gnutls_pubkey_t key)
{
	unsigned int bits = 0;
	int pk = gnutls_pubkey_get_pk_algorithm(key, &bits);
	char name[32];
	snprintf(name, sizeof(name), "%s-%u", gnutls_pk_get_name((gnutls_pk_algorithm_t)pk), bits);
	for (size_t i = 0; i < n_key_classes; i++)
		if (!strcmp(key_classes[i].name, name))
			return i;
	if (n_key_classes == MAX_KEY_CLASSES)
		die("too many issuer key classes");
	snprintf(key_classes[n_key_classes].name, sizeof(key_classes[0].name), "%s", name);
	return n_key_classes++;
}

typedef struct {
	sig_edge *v;
	size_t n, cap;
} edge_list;

/* One DER TLV at p[0..len): header length and content length. */
static bool der_tlv(const unsigned char *p, size_t len, size_t *hdr, size_t *body)
{
	if (len < 2)
		return false;
	size_t h = 2, b = p[1];
	if (b & 0x80) {
		size_t k = b & 0x7f;
		if (k == 0 || k > 4 || len < 2 + k)
			return false;
		b = 0;
		for (size_t i = 0; i < k; i++)
			b = (b << 8) | p[2 + i];
		h += k;
	}
	if (b > len - h)
		return false;
	*hdr = h;
	*body = b;
	return true;
}

/* The TBS and signature bits of a certificate's DER (slices of @der). */
static bool locate_signed(const unsigned char *der, size_t len, gnutls_datum_t *tbs,
                          gnutls_datum_t *sig)
{
	size_t h, b, th, tb, ah, ab, sh, sb;
	if (!der_tlv(der, len, &h, &b))
		return false;
	const unsigned char *t = der + h;
	size_t left = b;
	if (!der_tlv(t, left, &th, &tb))
		return false;
	const unsigned char *alg = t + th + tb;
	left -= th + tb;
	if (!der_tlv(alg, left, &ah, &ab))
		return false;
	const unsigned char *bits = alg + ah + ab;
	left -= ah + ab;
	if (!der_tlv(bits, left, &sh, &sb) || bits[0] != 0x03 || sb < 2)
		return false;
	tbs->data = (unsigned char *)t;
	tbs->size = (unsigned int)(th + tb);
	sig->data = (unsigned char *)bits + sh + 1;
	sig->size = (unsigned int)(sb - 1);
	return true;
}

static bool edge_make(sig_edge *e, const unsigned char *subject, size_t subject_len,
                      const unsigned char *issuer, size_t issuer_len)
{
	gnutls_datum_t tbs, sig;
	memset(e, 0, sizeof(*e));
	if (!locate_signed(subject, subject_len, &tbs, &sig))
		return false;

	gnutls_x509_crt_t sc, ic;
	gnutls_datum_t sd = {(unsigned char *)subject, (unsigned int)subject_len};
	gnutls_datum_t id = {(unsigned char *)issuer, (unsigned int)issuer_len};
	if (gnutls_x509_crt_init(&sc) < 0)
		return false;
	if (gnutls_x509_crt_init(&ic) < 0) {
		gnutls_x509_crt_deinit(sc);
		return false;
	}
	bool ok = gnutls_x509_crt_import(sc, &sd, GNUTLS_X509_FMT_DER) >= 0 &&
	          gnutls_x509_crt_import(ic, &id, GNUTLS_X509_FMT_DER) >= 0 &&
	          gnutls_pubkey_init(&e->key) >= 0;
	if (ok && gnutls_pubkey_import_x509(e->key, ic, 0) < 0)
		ok = false;
	if (ok) {
		int algo = gnutls_x509_crt_get_signature_algorithm(sc);
		ok = algo > 0;
		e->algo = (gnutls_sign_algorithm_t)(algo > 0 ? algo : 0);
	}
	gnutls_x509_crt_deinit(sc);
	gnutls_x509_crt_deinit(ic);
	if (!ok) {
		if (e->key)
			gnutls_pubkey_deinit(e->key);
		e->key = NULL;
		return false;
	}
	e->der = xmalloc(subject_len);
	memcpy(e->der, subject, subject_len);
	/* the same slices, in the edge's own copy of the DER */
	e->tbs.data = e->der + (tbs.data - subject);
	e->tbs.size = tbs.size;
	e->sig.data = e->der + (sig.data - subject);
	e->sig.size = sig.size;
	e->cls = key_class(e->key);
	key_classes[e->cls].edges++;
	return true;
}

static void edge_push(edge_list *l, sig_edge e)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		sig_edge *v = realloc(l->v, l->cap * sizeof(*v));
		if (!v)
			die("out of memory");
		l->v = v;
	}
	l->v[l->n++] = e;
}

static void edge_list_free(edge_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		gnutls_pubkey_deinit(l->v[i].key);
		free(l->v[i].der);
	}
	free(l->v);
}

/* The edges of the path libchain reports for each chain: edge 0 (leaf) goes
 * to @leaf, the others to @upper. Returns the number of chains without one. */
static size_t collect_edges(const chain_store *store, const corpus *c, edge_list *leaf,
                            edge_list *upper)
{
	size_t failed = 0;
	for (size_t i = 0; i < c->n; i++) {
		const bench_chain *ch = &c->v[i];
		chain_result *res = NULL;
		chain_verify(&res, store, ch->policy, ch->ders, ch->lens, ch->n, NULL);
		size_t k = chain_result_cert_count(res);
		for (size_t j = 0; j + 1 < k; j++) {
			size_t sl, il;
			const unsigned char *s = chain_result_cert_der(res, j, &sl);
			const unsigned char *is = chain_result_cert_der(res, j + 1, &il);
			sig_edge e;
			if (!s || !is || !edge_make(&e, s, sl, is, il)) {
				failed++;
				break;
			}
			edge_push(j == 0 ? leaf : upper, e);
		}
		chain_result_free(res);
	}
	return failed;
}

static double round_edges(const edge_list *l, size_t *bad)
{
	size_t b = 0;
	double t0 = now_seconds(), t = t0;
	for (size_t i = 0; i < l->n; i++) {
		const sig_edge *e = &l->v[i];
		b += gnutls_pubkey_verify_data2(e->key, e->algo, 0, &e->tbs, &e->sig) < 0;
		double t2 = now_seconds();
		key_classes[e->cls].seconds += t2 - t;
		t = t2;
	}
	*bad = b;
	return t - t0;
}

/* ------------------------------------------------------------------------ */
/* Second reference: "parse the served chain + check only the leaf's
 * signature", per chain, everything else skipped: what a verifier pays per
 * unique chain when its caches answer for every certificate and edge but the
 * leaf (it still parses what it is served). The leaf's issuer is the served
 * certificate libchain's path uses (found beforehand); chains served without
 * it are parsed only. Timed: the parse of every served DER, the issuer key
 * (gnutls_pubkey_import_x509; OpenSSL decodes it in d2i_X509), the check of
 * the leaf's signature, the frees. */


/* Fills leaf_issuer/leaf_tbs/leaf_sig; returns how many chains have a served issuer. */
static size_t find_leaf_issuers(const chain_store *store, corpus *c)
{
	size_t found = 0;
	for (size_t i = 0; i < c->n; i++) {
		bench_chain *ch = &c->v[i];
		chain_result *res = NULL;
		ch->leaf_issuer = -1;
		if (!locate_signed(ch->ders[0], ch->lens[0], &ch->leaf_tbs, &ch->leaf_sig))
			continue;
		chain_verify(&res, store, ch->policy, ch->ders, ch->lens, ch->n, NULL);
		size_t il = 0;
		const unsigned char *is =
		        res && chain_result_cert_count(res) > 1 ? chain_result_cert_der(res, 1, &il) : NULL;
		for (size_t j = 1; is && j < ch->n; j++)
			if (ch->lens[j] == il && !memcmp(ch->ders[j], is, il)) {
				ch->leaf_issuer = (int)j;
				found++;
				break;
			}
		chain_result_free(res);
	}
	return found;
}

/* Parse only: every served DER, parsed and freed (no verification). */
static double round_parse_gnutls(const corpus *c, size_t *bad)
{
	size_t b = 0;
	double t0 = now_seconds();
	for (size_t i = 0; i < c->n; i++)
		for (size_t j = 0; j < c->v[i].n; j++) {
			gnutls_x509_crt_t crt;
			gnutls_datum_t d = {(unsigned char *)c->v[i].ders[j],
			                    (unsigned int)c->v[i].lens[j]};
			if (gnutls_x509_crt_init(&crt) < 0)
				die("out of memory");
			b += gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0;
			gnutls_x509_crt_deinit(crt);
		}
	*bad = b;
	return now_seconds() - t0;
}

static double round_parse_openssl(const corpus *c, size_t *bad)
{
	size_t b = 0;
	double t0 = now_seconds();
	for (size_t i = 0; i < c->n; i++)
		for (size_t j = 0; j < c->v[i].n; j++) {
			const unsigned char *p = c->v[i].ders[j];
			X509 *x = d2i_X509(NULL, &p, (long)c->v[i].lens[j]);
			b += !x;
			X509_free(x);
		}
	*bad = b;
	return now_seconds() - t0;
}

static double round_leafsig_gnutls(const corpus *c, size_t *bad)
{
	size_t b = 0;
	double t0 = now_seconds();
	for (size_t i = 0; i < c->n; i++) {
		const bench_chain *ch = &c->v[i];
		gnutls_x509_crt_t crts[MAX_SERVED];
		size_t parsed = 0;
		for (; parsed < ch->n; parsed++) {
			gnutls_datum_t d = {(unsigned char *)ch->ders[parsed],
			                    (unsigned int)ch->lens[parsed]};
			if (gnutls_x509_crt_init(&crts[parsed]) < 0)
				break;
			if (gnutls_x509_crt_import(crts[parsed], &d, GNUTLS_X509_FMT_DER) < 0) {
				gnutls_x509_crt_deinit(crts[parsed]);
				break;
			}
		}
		if (parsed == ch->n && ch->leaf_issuer > 0) {
			gnutls_pubkey_t key;
			int algo = gnutls_x509_crt_get_signature_algorithm(crts[0]);
			if (gnutls_pubkey_init(&key) < 0)
				die("out of memory");
			b += gnutls_pubkey_import_x509(key, crts[ch->leaf_issuer], 0) < 0 ||
			     gnutls_pubkey_verify_data2(key, (gnutls_sign_algorithm_t)algo, 0,
			                                &ch->leaf_tbs, &ch->leaf_sig) < 0;
			gnutls_pubkey_deinit(key);
		} else if (parsed < ch->n) {
			b++;
		}
		for (size_t j = 0; j < parsed; j++)
			gnutls_x509_crt_deinit(crts[j]);
	}
	*bad = b;
	return now_seconds() - t0;
}

static double round_leafsig_openssl(const corpus *c, size_t *bad)
{
	size_t b = 0;
	double t0 = now_seconds();
	for (size_t i = 0; i < c->n; i++) {
		const bench_chain *ch = &c->v[i];
		X509 *crts[MAX_SERVED];
		size_t parsed = 0;
		for (; parsed < ch->n; parsed++) {
			const unsigned char *p = ch->ders[parsed];
			if (!(crts[parsed] = d2i_X509(NULL, &p, (long)ch->lens[parsed])))
				break;
		}
		if (parsed == ch->n && ch->leaf_issuer > 0) {
			EVP_PKEY *key = X509_get0_pubkey(crts[ch->leaf_issuer]);
			b += !key || X509_verify(crts[0], key) != 1;
		} else if (parsed < ch->n) {
			b++;
		}
		for (size_t j = 0; j < parsed; j++)
			X509_free(crts[j]);
	}
	if (b)
		ERR_clear_error();
	*bad = b;
	return now_seconds() - t0;
}

/* ------------------------------------------------------------------------ */
/* Timed rounds: the whole corpus once. The accepted count goes to *accepted
 * so the work cannot be optimised away and can be checked. */

static double round_libchain(const chain_store *store, const corpus *c, size_t *accepted)
{
	size_t acc = 0;
	double t0 = now_seconds();
	for (size_t i = 0; i < c->n; i++)
		acc += verify_libchain(store, &c->v[i], NULL, 0, NULL) == 1;
	double t1 = now_seconds();
	*accepted = acc;
	return t1 - t0;
}

/* --cache-mib: the bound of the bulk side's caches (0: libchain's default). */
static size_t cache_bytes;
/* --batch-items: chains per chain_batch in a bulk round (0: the whole corpus). */
static size_t batch_items;

/* The bulk engine: one chain_batch over the corpus on @threads threads. With
 * @cache NULL a fresh cache is made for the round (so every leaf edge is
 * computed: unique chains, only intermediates and roots repeat); with a
 * cache, it is reused (rows already seen). */
static double round_batch(const chain_store *store, const corpus *c, chain_cache *cache,
                          unsigned int threads, size_t *accepted)
{
	chain_cache *own = NULL;
	size_t acc = 0, step = batch_items ? batch_items : c->n;
	double t0 = now_seconds();
	if (!cache && chain_cache_new(&own, cache_bytes) < 0)
		die("out of memory");
	for (size_t first = 0; first < c->n; first += step) {
		size_t end = c->n - first < step ? c->n : first + step;
		chain_batch *b = NULL;
		if (chain_batch_new(&b) < 0)
			die("out of memory");
		chain_batch_set_cache(b, cache ? cache : own);
		for (size_t i = first; i < end; i++)
			chain_batch_add(b, c->v[i].ders, c->v[i].lens, c->v[i].n, c->v[i].policy);
		chain_batch_run(b, store, NULL, threads);
		for (size_t i = 0; i < end - first; i++)
			acc += chain_result_ok(chain_batch_result(b, i)) == 1;
		chain_batch_free(b);
	}
	chain_cache_free(own);
	double t1 = now_seconds();
	*accepted = acc;
	return t1 - t0;
}

static double round_gnutls(gnutls_x509_trust_list_t tl, const corpus *c, size_t *accepted)
{
	size_t acc = 0;
	double t0 = now_seconds();
	for (size_t i = 0; i < c->n; i++)
		acc += verify_gnutls(tl, &c->v[i], NULL, 0, NULL) == 1;
	double t1 = now_seconds();
	*accepted = acc;
	return t1 - t0;
}

static double round_openssl(X509_STORE *st, const corpus *c, size_t *accepted)
{
	size_t acc = 0;
	double t0 = now_seconds();
	for (size_t i = 0; i < c->n; i++)
		acc += verify_openssl(st, &c->v[i], NULL, 0, NULL) == 1;
	double t1 = now_seconds();
	*accepted = acc;
	return t1 - t0;
}

/* ------------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
	        "usage: bench_verify CORPUS_DIR [--seconds S] [--repeat R] [--pin CPU] [--show K]\n"
	        "                    [--threads N] [--clock wall|cpu] [--sides LIST] [--no-references]\n"
	        "                    [--explain N] [--cache-mib N] [--batch-items N]\n"
	        "                    [--trials-on-stdin]\n"
	        "                    [--first-round-only]\n"
	        "  --seconds S  minimum time per side and trial (default 3)\n"
	        "  --repeat R   number of trials (default 1); the summary gives medians\n"
	        "  --pin CPU    pin the process to one CPU (default: not pinned)\n"
	        "  --show K     disagreements printed in full (default 10)\n"
	        "  --threads N  also time the bulk engine on N threads, unpinned (default 1: not)\n"
	        "  --clock C    wall (default) or cpu: time single-thread rounds in process CPU time\n"
	        "  --sides LIST rotation sides, comma-separated: libchain,gnutls,openssl,bulk (default all)\n"
	        "  --no-references  skip the reference floors\n"
	        "  --explain N  libchain explain mode, up to N attempts per verification, on the\n"
	        "               libchain and bulk sides (default 0: off)\n"
	        "  --cache-mib N  bound of the bulk side's caches (default: libchain's, 256 MiB)\n"
	        "  --batch-items N  bulk rounds as batches of N chains (default: one batch)\n"
	        "  --trials-on-stdin  each trial waits for a line on stdin; its end ends them\n"
	        "  --first-round-only  time one bulk round in this fresh process, then exit\n");
	exit(2);
}

/* The bulk engine (one thread, a fresh cache per round: unique chains) is a
 * side of the rotation too, so its ratio to GnuTLS is measured under the
 * same conditions, round by round. */
enum { SIDE_LIBCHAIN, SIDE_GNUTLS, SIDE_OPENSSL, SIDE_BULK, N_SIDES };

int main(int argc, char **argv)
{
	const char *dir = NULL;
	double seconds = 3.0;
	long repeat = 1, show = 10, pin = -1, threads = 1, explain = 0;
	bool side_on[4] = {true, true, true, true}; /* enum order: libchain gnutls openssl bulk */
	bool references = true, cpu_clock = false, trials_on_stdin = false, first_round_only = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end = NULL;
		if (!strcmp(a, "--seconds") && i + 1 < argc) {
			seconds = strtod(argv[++i], &end);
			if (*end || !(seconds > 0))
				usage();
		} else if (!strcmp(a, "--repeat") && i + 1 < argc) {
			repeat = strtol(argv[++i], &end, 10);
			if (*end || repeat < 1 || repeat > 1000)
				usage();
		} else if (!strcmp(a, "--pin") && i + 1 < argc) {
			pin = strtol(argv[++i], &end, 10);
			if (*end || pin < 0 || pin >= CPU_SETSIZE)
				usage();
		} else if (!strcmp(a, "--show") && i + 1 < argc) {
			show = strtol(argv[++i], &end, 10);
			if (*end || show < 0)
				usage();
		} else if (!strcmp(a, "--threads") && i + 1 < argc) {
			threads = strtol(argv[++i], &end, 10);
			if (*end || threads < 1 || threads > 256)
				usage();
		} else if (!strcmp(a, "--clock") && i + 1 < argc) {
			const char *v = argv[++i];
			if (!strcmp(v, "cpu"))
				cpu_clock = true;
			else if (strcmp(v, "wall"))
				usage();
		} else if (!strcmp(a, "--sides") && i + 1 < argc) {
			static const char *const names[] = {"libchain", "gnutls", "openssl", "bulk"};
			char *list = xstrdup(argv[++i]), *save = NULL;
			memset(side_on, 0, sizeof(side_on));
			for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				size_t k = 0;
				while (k < 4 && strcmp(tok, names[k]))
					k++;
				if (k == 4)
					usage();
				side_on[k] = true;
			}
			free(list);
			if (!side_on[0] && !side_on[1] && !side_on[2] && !side_on[3])
				usage();
		} else if (!strcmp(a, "--explain") && i + 1 < argc) {
			explain = strtol(argv[++i], &end, 10);
			if (*end || explain < 0 || explain > 1000000)
				usage();
		} else if (!strcmp(a, "--no-references")) {
			references = false;
		} else if (!strcmp(a, "--cache-mib") && i + 1 < argc) {
			long mib = strtol(argv[++i], &end, 10);
			if (*end || mib < 1 || mib > 65536)
				usage();
			cache_bytes = (size_t)mib << 20;
		} else if (!strcmp(a, "--batch-items") && i + 1 < argc) {
			long items = strtol(argv[++i], &end, 10);
			if (*end || items < 1 || items > 100000000)
				usage();
			batch_items = (size_t)items;
		} else if (!strcmp(a, "--first-round-only")) {
			first_round_only = true;
		} else if (!strcmp(a, "--trials-on-stdin")) {
			trials_on_stdin = true;
		} else if (a[0] == '-' || dir) {
			usage();
		} else {
			dir = a;
		}
	}
	if (!dir)
		usage();

	cpu_set_t initial_set;
	if (sched_getaffinity(0, sizeof(initial_set), &initial_set) != 0)
		die("sched_getaffinity: %s", strerror(errno));
	if (pin >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET((int)pin, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0)
			die("cannot pin to CPU %ld: %s", pin, strerror(errno));
	}

	/* GnuTLS has no per-call verification time; pin its clock to T. */
	gnutls_global_set_time_function(pinned_time);

	char cpu[256], commit[128];
	cpu_model(cpu, sizeof(cpu));
	git_commit(commit, sizeof(commit));
	printf("bench_verify: single-thread chain verification throughput\n");
	printf("  libchain     %s (headers %s), git %s\n", chain_version_string(),
	       CHAIN_VERSION_STRING, commit);
	printf("  GnuTLS       %s (headers %s)\n", gnutls_check_version(NULL), GNUTLS_VERSION);
	printf("  OpenSSL      %s (headers %s)\n", OpenSSL_version(OPENSSL_VERSION),
	       OPENSSL_VERSION_TEXT);
	printf("  build        %s, %s\n", BENCH_BUILDTYPE, BENCH_COMPILER);
	printf("  CPU          %s (%ld online)%s\n", cpu, sysconf(_SC_NPROCESSORS_ONLN),
	       pin >= 0 ? ", pinned" : "");
	printf("  verify time  %lld (2030-01-01T00:00:00Z), purpose serverAuth, hostname per chain\n",
	       (long long)BENCH_T);
	printf("  clock        %s\n", cpu_clock ? "process CPU time (single-thread rounds; the "
	                                           "N-thread pass on the wall clock)"
	                                         : "monotonic wall clock");
	if (cpu_clock)
		bench_clock = CLOCK_PROCESS_CPUTIME_ID;

	/* Load everything before timing. */
	corpus c = {0};
	load_corpus(&c, dir);
	char roots[4096];
	snprintf(roots, sizeof(roots), "%s/roots.pem", dir);

	chain_store *store = NULL;
	size_t added = 0;
	int ret;
	if ((ret = chain_store_new(&store)) != CHAIN_OK)
		die("chain_store_new: %s", chain_error_str(ret));
	if ((ret = chain_store_add_file(store, roots, 0, &added)) != CHAIN_OK)
		die("chain_store_add_file(%s): %s", roots, chain_error_str(ret));
	unsigned int gnutls_roots = 0, openssl_roots = 0;
	gnutls_x509_trust_list_t tl = load_gnutls_roots(roots, &gnutls_roots);
	X509_STORE *ost = load_openssl_roots(roots, &openssl_roots);

	chain_policy *base = NULL;
	if ((ret = chain_policy_new(&base)) != CHAIN_OK ||
	    (ret = chain_policy_set_time(base, (int64_t)BENCH_T)) != CHAIN_OK ||
	    (ret = chain_policy_set_purpose(base, CHAIN_PURPOSE_TLS_SERVER)) != CHAIN_OK)
		die("base policy: %s", chain_error_str(ret));
	/* Off (0) by default: the policy is left as earlier versions made it. */
	if (explain > 0 && (ret = chain_policy_set_explain(base, (size_t)explain)) != CHAIN_OK)
		die("chain_policy_set_explain: %s", chain_error_str(ret));
	if (explain > 0)
		printf("  explain      on: up to %ld attempts kept per verification (libchain and bulk "
		       "sides; no verdict cache)\n",
		       explain);
	size_t n_certs = 0, n_bytes = 0, n_expect_ok = 0, n_expect = 0, n_own_time = 0;
	for (size_t i = 0; i < c.n; i++) {
		bench_chain *ch = &c.v[i];
		if ((ret = chain_policy_copy(&ch->policy, base)) != CHAIN_OK)
			die("chain_policy_copy: %s", chain_error_str(ret));
		if ((ret = chain_policy_set_hostname(ch->policy, ch->host)) != CHAIN_OK)
			die("chain %zu: chain_policy_set_hostname(%s): %s", i, ch->host,
			    chain_error_str(ret));
		if (ch->when != BENCH_T &&
		    (ret = chain_policy_set_time(ch->policy, (int64_t)ch->when)) != CHAIN_OK)
			die("chain %zu: chain_policy_set_time: %s", i, chain_error_str(ret));
		n_own_time += ch->when != BENCH_T;
		n_certs += ch->n;
		for (size_t j = 0; j < ch->n; j++)
			n_bytes += ch->lens[j];
		n_expect += ch->expect_ok >= 0;
		n_expect_ok += ch->expect_ok == 1;
	}
	printf("  corpus       %s: %zu chains, %zu certificates (%.2f per chain, %zu DER bytes), "
	       "%zu roots (libchain %zu, GnuTLS %u, OpenSSL %u); expected %zu ok / %zu fail\n",
	       dir, c.n, n_certs, (double)n_certs / (double)c.n, n_bytes, added,
	       chain_store_count(store), gnutls_roots, openssl_roots, n_expect_ok,
	       n_expect - n_expect_ok);
	if (n_own_time)
		printf("  own times    %zu chains are verified at the time in their fifth column\n",
		       n_own_time);

	/* --first-round-only: one round of the bulk engine in memory that nothing
	 * has used yet, as a fresh process (a scan) meets it; then exit (the
	 * process's memory goes with it). */
	if (first_round_only) {
		size_t acc;
		double t = round_batch(store, &c, NULL, 1, &acc);
		printf("  bulk engine, first round in this process  %9.0f chains/s  %7.2f us/chain  "
		       "(%zu accepted)\n",
		       (double)c.n / t, t / (double)c.n * 1e6, acc);
		fflush(stdout);
		exit(0);
	}

	/* Untimed pass: verdicts, reasons, agreement. */
	enum { WHY = 2048 };
	char why_l[WHY], why_g[WHY], why_o[WHY];
	size_t disagree = 0, disagree_o = 0, disagree_go = 0, shown = 0;
	size_t l_match = 0, g_match = 0, o_match = 0, l_ok = 0, g_ok = 0, o_ok = 0;
	size_t l_err = 0, g_err = 0, o_err = 0, both_wrong = 0, n_outcomes = 0;
	enum { MAX_OUTCOMES = 64 };
	outcome outcomes[MAX_OUTCOMES];
	printf("\nverdicts (untimed pass)\n");
	for (size_t i = 0; i < c.n; i++) {
		const bench_chain *ch = &c.v[i];
		const char *l_reason = NULL;
		unsigned int g_status = 0;
		int o_code = 0;
		int vl = verify_libchain(store, ch, why_l, sizeof(why_l), &l_reason);
		int vg = verify_gnutls(tl, ch, why_g, sizeof(why_g), &g_status);
		int vo = side_on[SIDE_OPENSSL] ? verify_openssl(ost, ch, why_o, sizeof(why_o), &o_code)
		                               : vl;
		if (!side_on[SIDE_OPENSSL])
			snprintf(why_o, sizeof(why_o), "not run (--sides)");
		outcome_add(outcomes, &n_outcomes, MAX_OUTCOMES, ch->label, l_reason, g_status,
		            o_code);
		l_ok += vl == 1;
		g_ok += vg == 1;
		o_ok += vo == 1;
		l_err += vl < 0;
		g_err += vg < 0;
		o_err += vo < 0;
		l_match += ch->expect_ok >= 0 && (vl == 1) == (ch->expect_ok == 1);
		g_match += ch->expect_ok >= 0 && (vg == 1) == (ch->expect_ok == 1);
		o_match += ch->expect_ok >= 0 && (vo == 1) == (ch->expect_ok == 1);
		bool differ = (vl == 1) != (vg == 1);
		bool differ_o = (vl == 1) != (vo == 1);
		bool wrong = ch->expect_ok >= 0 && !differ && !differ_o &&
		             (vl == 1) != (ch->expect_ok == 1);
		disagree += differ;
		disagree_o += differ_o;
		disagree_go += (vg == 1) != (vo == 1);
		both_wrong += wrong;
		if ((differ || differ_o || wrong) && shown < (size_t)show) {
			shown++;
			printf("  %s chain %zu (line %zu of data), host %s, %zu certs, label %s, "
			       "expected %s\n",
			       differ || differ_o ? "DISAGREE" : "ALL-UNEXPECTED", i, i + 1, ch->host,
			       ch->n, ch->label,
			       ch->expect_ok < 0 ? "?" : ch->expect_ok ? "ok" : "fail");
			printf("    libchain: %s\n    GnuTLS:   %s\n    OpenSSL:  %s\n", why_l, why_g,
			       why_o);
		}
	}
	qsort(outcomes, n_outcomes, sizeof(outcomes[0]), cmp_outcome);
	printf("  %-26s %6s  %-20s %-34s %s\n", "label", "chains", "libchain reason",
	       "GnuTLS status", "OpenSSL error");
	for (size_t i = 0; i < n_outcomes; i++) {
		char g[256];
		gnutls_status_names(outcomes[i].g_status, g, sizeof(g));
		printf("  %-26s %6zu  %-20s %-34s %s\n", outcomes[i].label, outcomes[i].count,
		       outcomes[i].l_reason, g, openssl_err_name(outcomes[i].o_err));
	}
	if (n_outcomes == MAX_OUTCOMES)
		printf("  (more outcome classes not listed)\n");
	printf("  libchain accepted %zu, GnuTLS accepted %zu (of %zu)\n", l_ok, g_ok, c.n);
	if (side_on[SIDE_OPENSSL])
		printf("  OpenSSL accepted %zu (of %zu)\n", o_ok, c.n);
	else
		printf("  OpenSSL not run (--sides): its counts below repeat libchain's\n");
	printf("  disagreements (accept/reject): %zu\n", disagree);
	printf("  disagreements libchain/OpenSSL (accept/reject): %zu; GnuTLS/OpenSSL: %zu\n",
	       disagree_o, disagree_go);
	if (n_expect)
		printf("  match the expected column: libchain %zu/%zu, GnuTLS %zu/%zu, OpenSSL "
		       "%zu/%zu; all three differ from it: %zu\n",
		       l_match, n_expect, g_match, n_expect, o_match, n_expect, both_wrong);
	if (explain > 0)
		printf("  explain mode recorded %zu attempts (%.2f per chain), %zu dropped\n",
		       explain_attempts, (double)explain_attempts / (double)c.n, explain_dropped);
	if (l_err || g_err || o_err)
		printf("  call errors: libchain %zu, GnuTLS %zu, OpenSSL %zu\n", l_err, g_err, o_err);

	/* Timed trials. */
	static const char *const side_name[N_SIDES] = {"libchain", "GnuTLS", "OpenSSL", "bulk"};
	int sides[N_SIDES], n_sides = 0;
	for (int k = 0; k < N_SIDES; k++)
		if (side_on[k])
			sides[n_sides++] = k;
	printf("\ntiming: at least %.1f s per side per trial, %ld trial(s), rounds of %zu chains, "
	       "rotating:",
	       seconds, repeat, c.n);
	for (int j = 0; j < n_sides; j++)
		printf(" %s", side_name[sides[j]]);
	printf("\n");
	double *rate[N_SIDES], *best[N_SIDES];
	for (int k = 0; k < N_SIDES; k++) {
		rate[k] = xmalloc((size_t)repeat * sizeof(double));
		best[k] = xmalloc((size_t)repeat * sizeof(double));
	}
	double *ratio = xmalloc((size_t)repeat * sizeof(double));
	double *ratio_o = xmalloc((size_t)repeat * sizeof(double));
	double *ratio_b = xmalloc((size_t)repeat * sizeof(double));
	const size_t expect_acc[N_SIDES] = {l_ok, g_ok, o_ok, l_ok};
	bool count_mismatch = false;
	for (long r = 0; r < repeat; r++) {
		if (trials_on_stdin) {
			char line[64];
			printf("bench_verify: ready for trial %ld\n", r + 1);
			fflush(stdout);
			if (!fgets(line, sizeof(line), stdin)) {
				if (r == 0)
					die("--trials-on-stdin: input ended before the first trial");
				repeat = r; /* the medians below are over the trials run */
				break;
			}
		}
		double sum[N_SIDES] = {0}, tmin[N_SIDES] = {1e30, 1e30, 1e30, 1e30};
		size_t rounds = 0, acc;
		for (;;) {
			bool enough = true;
			for (int j = 0; j < n_sides; j++)
				enough &= sum[sides[j]] >= seconds;
			if (enough)
				break;
			for (int j = 0; j < n_sides; j++) {
				/* rotate the order */
				int k = sides[(rounds + (size_t)j) % (size_t)n_sides];
				double t = k == SIDE_LIBCHAIN ? round_libchain(store, &c, &acc)
				           : k == SIDE_GNUTLS ? round_gnutls(tl, &c, &acc)
				           : k == SIDE_OPENSSL ? round_openssl(ost, &c, &acc)
				                               : round_batch(store, &c, NULL, 1, &acc);
				sum[k] += t;
				tmin[k] = t < tmin[k] ? t : tmin[k];
				count_mismatch |= acc != expect_acc[k];
			}
			rounds++;
		}
		double total = (double)rounds * (double)c.n;
		for (int k = 0; k < N_SIDES; k++) {
			rate[k][r] = side_on[k] ? total / sum[k] : 0;
			best[k][r] = side_on[k] ? (double)c.n / tmin[k] : 0;
		}
		ratio[r] = rate[SIDE_LIBCHAIN][r] / rate[SIDE_GNUTLS][r];
		ratio_o[r] = rate[SIDE_LIBCHAIN][r] / rate[SIDE_OPENSSL][r];
		ratio_b[r] = rate[SIDE_BULK][r] / rate[SIDE_GNUTLS][r];
		printf("  trial %ld: %zu rounds (%.0f chains per side)\n", r + 1, rounds, total);
		if (side_on[SIDE_LIBCHAIN])
			printf("    libchain chain_verify()                  %9.0f chains/s  %7.2f us/chain"
			       "  (best round %9.0f chains/s)\n",
			       rate[0][r], 1e6 / rate[0][r], best[0][r]);
		if (side_on[SIDE_GNUTLS])
			printf("    GnuTLS trust_list_verify_crt2() + parse  %9.0f chains/s  %7.2f us/chain"
			       "  (best round %9.0f chains/s)\n",
			       rate[1][r], 1e6 / rate[1][r], best[1][r]);
		if (side_on[SIDE_OPENSSL])
			printf("    OpenSSL X509_verify_cert() + parse       %9.0f chains/s  %7.2f us/chain"
			       "  (best round %9.0f chains/s)\n",
			       rate[2][r], 1e6 / rate[2][r], best[2][r]);
		if (side_on[SIDE_LIBCHAIN] && side_on[SIDE_GNUTLS])
			printf("    ratio libchain/GnuTLS (throughput)       %9.3f  (best rounds %.3f)\n",
			       ratio[r], best[0][r] / best[1][r]);
		if (side_on[SIDE_BULK])
			printf("    bulk engine, 1 thread, fresh cache      %9.0f chains/s  %7.2f us/chain"
			       "  (best round %9.0f chains/s)\n",
			       rate[3][r], 1e6 / rate[3][r], best[3][r]);
		if (side_on[SIDE_LIBCHAIN] && side_on[SIDE_OPENSSL])
			printf("    ratio libchain/OpenSSL (throughput)      %9.3f  (best rounds %.3f)\n",
			       ratio_o[r], best[0][r] / best[2][r]);
		if (side_on[SIDE_BULK] && side_on[SIDE_GNUTLS])
			printf("    ratio bulk engine/GnuTLS (throughput)    %9.3f  (best rounds %.3f)\n",
			       ratio_b[r], best[3][r] / best[1][r]);
		fflush(stdout);
	}
	if (count_mismatch)
		printf("  WARNING: a timed round accepted a different number of chains than the "
		       "untimed pass\n");

	/* Reference floor: the path signatures alone. */
	edge_list leaf_edges = {0}, upper_edges = {0};
	double us_leaf = 0, us_upper = 0, rate_lg = 0, rate_lo = 0;
	if (!references)
		goto bulk;
	size_t no_edges = collect_edges(store, &c, &leaf_edges, &upper_edges);
	double t_leaf = 0, t_upper = 0;
	size_t floor_rounds = 0, bad_sigs = 0;
	while (t_leaf + t_upper < seconds) {
		size_t bad;
		t_leaf += round_edges(&leaf_edges, &bad);
		bad_sigs += bad;
		t_upper += round_edges(&upper_edges, &bad);
		bad_sigs += bad;
		floor_rounds++;
	}
	us_leaf = t_leaf / (double)floor_rounds / (double)c.n * 1e6;
	us_upper = t_upper / (double)floor_rounds / (double)c.n * 1e6;
	printf("  reference: signature checks alone (%zu leaf + %zu upper edges of the reported "
	       "paths, keys pre-imported), %zu rounds\n",
	       leaf_edges.n, upper_edges.n, floor_rounds);
	printf("    per chain: %.2f us (leaf edge %.2f us, intermediate<-root edge %.2f us)%s\n",
	       us_leaf + us_upper, us_leaf, us_upper,
	       bad_sigs || no_edges ? "  WARNING: some edges failed or could not be prepared" : "");
	for (size_t i = 0; i < n_key_classes; i++)
		printf("    issuer key %-14s %8.2f us per check (%zu checks per round)\n",
		       key_classes[i].name,
		       key_classes[i].seconds / (double)floor_rounds /
		               (double)key_classes[i].edges * 1e6,
		       key_classes[i].edges);

	/* Second reference: parse the served chain + the leaf's signature only. */
	size_t with_issuer = find_leaf_issuers(store, &c);
	double t_lg = 0, t_lo = 0;
	size_t ls_rounds = 0, ls_bad = 0;
	while (t_lg < seconds || t_lo < seconds) {
		size_t bad;
		if (ls_rounds % 2 == 0) {
			t_lg += round_leafsig_gnutls(&c, &bad);
			ls_bad += bad;
			t_lo += round_leafsig_openssl(&c, &bad);
		} else {
			t_lo += round_leafsig_openssl(&c, &bad);
			ls_bad += bad;
			t_lg += round_leafsig_gnutls(&c, &bad);
		}
		ls_bad += bad;
		ls_rounds++;
	}
	rate_lg = (double)ls_rounds * (double)c.n / t_lg;
	rate_lo = (double)ls_rounds * (double)c.n / t_lo;
	printf("  reference: parse the served chain + check the leaf's signature only "
	       "(%zu of %zu chains serve the leaf's issuer; the rest are parsed only), %zu rounds\n",
	       with_issuer, c.n, ls_rounds);
	printf("    GnuTLS import + nettle verify           %9.0f chains/s  %7.2f us/chain%s\n",
	       rate_lg, 1e6 / rate_lg, ls_bad ? "  WARNING: some checks failed" : "");
	printf("    OpenSSL d2i_X509 + X509_verify          %9.0f chains/s  %7.2f us/chain\n",
	       rate_lo, 1e6 / rate_lo);
	double t_pg = 0, t_po = 0;
	size_t p_rounds = 0, p_bad = 0;
	while (t_pg + t_po < seconds) {
		size_t bad;
		t_pg += round_parse_gnutls(&c, &bad);
		p_bad += bad;
		t_po += round_parse_openssl(&c, &bad);
		p_bad += bad;
		p_rounds++;
	}
	double per_cert = (double)p_rounds * (double)n_certs;
	printf("  reference: parse only (every served certificate parsed and freed), %zu rounds\n",
	       p_rounds);
	printf("    GnuTLS gnutls_x509_crt_init + import     %7.2f us/certificate  %7.2f us/chain%s\n",
	       t_pg / per_cert * 1e6, t_pg / (double)p_rounds / (double)c.n * 1e6,
	       p_bad ? "  WARNING: some certificates did not parse" : "");
	printf("    OpenSSL d2i_X509                         %7.2f us/certificate  %7.2f us/chain\n",
	       t_po / per_cert * 1e6, t_po / (double)p_rounds / (double)c.n * 1e6);

	/* The bulk engine with its caches, against the medians above. */
bulk:;
	double rate_cold = 0, rate_warm = 0, rate_cold_n = 0, rate_warm_n = 0;
	bool batch_mismatch = false;
	for (int pass = 0; pass < (threads > 1 ? 2 : 1); pass++) {
		unsigned int nt = pass == 0 ? 1 : (unsigned int)threads;
		if (pass == 1 && sched_setaffinity(0, sizeof(initial_set), &initial_set) != 0)
			die("cannot unpin: %s", strerror(errno));
		if (pass == 1)
			bench_clock = CLOCK_MONOTONIC; /* scaling: wall clock */
		double t_cold = 0, t_warm = 0;
		size_t cold_rounds = 0, warm_rounds = 0, acc_b;
		while (t_cold < seconds) {
			t_cold += round_batch(store, &c, NULL, nt, &acc_b);
			batch_mismatch |= acc_b != l_ok;
			cold_rounds++;
		}
		chain_cache *warm = NULL;
		if (chain_cache_new(&warm, cache_bytes) < 0)
			die("out of memory");
		round_batch(store, &c, warm, nt, &acc_b); /* fill it */
		while (t_warm < seconds) {
			t_warm += round_batch(store, &c, warm, nt, &acc_b);
			batch_mismatch |= acc_b != l_ok;
			warm_rounds++;
		}
		chain_cache_free(warm);
		double cold = (double)cold_rounds * (double)c.n / t_cold;
		double hot = (double)warm_rounds * (double)c.n / t_warm;
		if (pass == 0) {
			rate_cold = cold;
			rate_warm = hot;
		} else {
			rate_cold_n = cold;
			rate_warm_n = hot;
		}
	}

	double ml = median(rate[0], (size_t)repeat), mg = median(rate[1], (size_t)repeat);
	double mo = median(rate[2], (size_t)repeat);
	double mr = median(ratio, (size_t)repeat);
	double rmin = ratio[0], rmax = ratio[(size_t)repeat - 1]; /* sorted by median() */
	double mro = median(ratio_o, (size_t)repeat);
	double romin = ratio_o[0], romax = ratio_o[(size_t)repeat - 1];
	double mb = median(rate[3], (size_t)repeat), mrb = median(ratio_b, (size_t)repeat);
	double rbmin = ratio_b[0], rbmax = ratio_b[(size_t)repeat - 1];
	printf("\nsummary (median of %ld trial(s))\n", repeat);
	if (side_on[SIDE_LIBCHAIN])
		printf("  libchain  %9.0f chains/s  %7.2f us/chain\n", ml, 1e6 / ml);
	if (side_on[SIDE_GNUTLS])
		printf("  GnuTLS    %9.0f chains/s  %7.2f us/chain\n", mg, 1e6 / mg);
	if (side_on[SIDE_OPENSSL])
		printf("  OpenSSL   %9.0f chains/s  %7.2f us/chain\n", mo, 1e6 / mo);
	if (side_on[SIDE_LIBCHAIN] && side_on[SIDE_GNUTLS])
		printf("  ratio libchain/GnuTLS = %.3f (trials %.3f .. %.3f): libchain %s\n", mr, rmin,
		       rmax, mr >= 1 ? "is faster" : "is slower");
	if (side_on[SIDE_LIBCHAIN] && side_on[SIDE_OPENSSL])
		printf("  ratio libchain/OpenSSL = %.3f (trials %.3f .. %.3f): libchain %s\n", mro,
		       romin, romax, mro >= 1 ? "is faster" : "is slower");
	if (side_on[SIDE_BULK] && side_on[SIDE_GNUTLS])
		printf("  bulk engine (1 thread, fresh cache per round) %9.0f chains/s  %7.2f us/chain: "
		       "ratio to GnuTLS = %.3f (trials %.3f .. %.3f), in the same rotation\n",
		       mb, 1e6 / mb, mrb, rbmin, rbmax);
	if (references) {
		if (side_on[SIDE_LIBCHAIN] && side_on[SIDE_GNUTLS])
			printf("  signature checks alone: %.2f us/chain; beyond them libchain spends %.2f "
			       "us/chain, GnuTLS %.2f us/chain\n",
			       us_leaf + us_upper, 1e6 / ml - (us_leaf + us_upper),
			       1e6 / mg - (us_leaf + us_upper));
		printf("  parse + leaf signature only: GnuTLS/nettle %.0f chains/s (%.2f us/chain), "
		       "OpenSSL %.0f chains/s (%.2f us/chain)\n",
		       rate_lg, 1e6 / rate_lg, rate_lo, 1e6 / rate_lo);
	}
	printf("  verdict disagreements: %zu of %zu chains\n", disagree, c.n);
	if (side_on[SIDE_OPENSSL])
		printf("  verdict disagreements libchain/OpenSSL: %zu of %zu chains (agreement %.2f "
		       "%%)\n",
		       disagree_o, c.n, 100.0 * (double)(c.n - disagree_o) / (double)c.n);
	printf("  bulk engine (chain_batch, 1 thread, caches):\n");
	printf("    unique chains (fresh cache per round) %9.0f chains/s  %7.2f us/chain  = %.2fx "
	       "GnuTLS, %.2fx OpenSSL\n",
	       rate_cold, 1e6 / rate_cold, side_on[SIDE_GNUTLS] ? rate_cold / mg : 0,
	       side_on[SIDE_OPENSSL] ? rate_cold / mo : 0);
	printf("    rows already seen (warm cache)        %9.0f chains/s  %7.2f us/chain  = %.2fx "
	       "GnuTLS, %.2fx OpenSSL\n",
	       rate_warm, 1e6 / rate_warm, side_on[SIDE_GNUTLS] ? rate_warm / mg : 0,
	       side_on[SIDE_OPENSSL] ? rate_warm / mo : 0);
	if (threads > 1) {
		printf("  bulk engine (chain_batch, %ld threads, unpinned, caches):\n", threads);
		printf("    unique chains (fresh cache per round) %9.0f chains/s  %7.2f us/chain  "
		       "= %.2fx 1 thread\n",
		       rate_cold_n, 1e6 / rate_cold_n, rate_cold_n / rate_cold);
		printf("    rows already seen (warm cache)        %9.0f chains/s  %7.2f us/chain  "
		       "= %.2fx 1 thread\n",
		       rate_warm_n, 1e6 / rate_warm_n, rate_warm_n / rate_warm);
	}
	if (batch_mismatch)
		printf("  WARNING: a cached round accepted a different number of chains\n");
	edge_list_free(&leaf_edges);
	edge_list_free(&upper_edges);

	for (size_t i = 0; i < c.n; i++) {
		bench_chain *ch = &c.v[i];
		for (size_t j = 0; j < ch->n; j++)
			free((void *)ch->ders[j]);
		free(ch->ders);
		free(ch->lens);
		free(ch->host);
		free(ch->label);
		chain_policy_free(ch->policy);
	}
	free(c.v);
	for (int k = 0; k < N_SIDES; k++) {
		free(rate[k]);
		free(best[k]);
	}
	free(ratio);
	free(ratio_o);
	free(ratio_b);
	chain_policy_free(base);
	chain_store_free(store);
	gnutls_x509_trust_list_deinit(tl, 1);
	X509_STORE_free(ost);
	return 0;
}
