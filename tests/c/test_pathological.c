/* Pathological inputs for the path search (a security issue asked for
 * them): same-name issuer decoys, cross-sign lattices, issuer loops, deep
 * chains and an oversized PEM input. Every PKI is generated here with
 * GnuTLS (ECDSA P-256), so the test needs no committed fixtures.
 *
 * What is asserted is the verdict and the WORK, not the time: each
 * verification runs once through chain_verify() and once through a one-item
 * chain_batch with a fresh chain_cache, whose edge counters give the
 * signature checks the search made (misses: computed; hits + misses: what
 * the budget counts); the two results must agree field for field. The only
 * clock in it is a hang detector: a verification that takes longer than
 * CHAIN_TEST_TIME_LIMIT seconds (default 5; meson test --setup valgrind sets
 * 120) fails its check, and one that does not return in that time plus one
 * second ends the test with "Bail out!" and its name.
 *
 * Last, every case goes through one batch on 2 threads sharing one cache,
 * and through 2 threads calling chain_verify() at once, and must give the
 * single-threaded answers (scripts/test.sh --tsan runs this under
 * ThreadSanitizer). The big cases (1,000 decoys, a 10,000-certificate pool,
 * 100 MB of PEM, CRL-heavy stores) are in benchmarks/pathological.py. */
#include "fixtures.h"
#include "tap.h"

#include <chain/chain.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define T_2030 1893456000
#define NOT_BEFORE 1577836800 /* 2020-01-01T00:00:00Z */
#define NOT_AFTER 4102444799  /* 2099-12-31T23:59:59Z */

/* ---- generating certificates ---------------------------------------------- */

typedef struct {
	gnutls_datum_t *v;
	size_t n, cap;
} ders;

static void ders_push(ders *d, gnutls_datum_t der)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		d->v = realloc(d->v, d->cap * sizeof(*d->v));
		if (!d->v)
			abort();
	}
	d->v[d->n++] = der;
}

static void ders_free(ders *d)
{
	for (size_t i = 0; i < d->n; i++)
		gnutls_free(d->v[i].data);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* A CA identity: a name and a key. `self` is a self-signed certificate of
 * it: GnuTLS takes the issuer name from it when signing, and it is the
 * anchor when the identity is a root. */
typedef struct {
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t self;
	unsigned char id[20]; /* SHA-1 key id: SKI, and the AKI of what it signs */
	size_t id_len;
	bool owns_key;
} ca;

static void die(const char *what, int err)
{
	printf("Bail out! %s: %s\n", what, gnutls_strerror(err));
	fflush(stdout);
	exit(1);
}

#define TRY(call)                                                                          \
	do {                                                                               \
		int e_ = (call);                                                           \
		if (e_ < 0)                                                                \
			die(#call, e_);                                                    \
	} while (0)

enum kind { LEAF, CA_CERT };

/* A certificate for @dn / @key signed by @issuer (NULL: self-signed). @ski
 * overrides the subjectKeyIdentifier (decoys copy the real issuer's). */
static gnutls_x509_crt_t build(const ca *issuer, const char *dn, gnutls_x509_privkey_t key,
                               const unsigned char *ski, size_t ski_len, enum kind kind)
{
	gnutls_x509_crt_t crt;
	unsigned char serial[16], id[20];
	size_t id_len = sizeof(id);
	const char *err = NULL;

	TRY(gnutls_x509_crt_init(&crt));
	TRY(gnutls_x509_crt_set_version(crt, 3));
	TRY(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)));
	serial[0] = (serial[0] & 0x7f) | 0x10;
	TRY(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)));
	TRY(gnutls_x509_crt_set_activation_time(crt, (time_t)NOT_BEFORE));
	TRY(gnutls_x509_crt_set_expiration_time(crt, (time_t)NOT_AFTER));
	if (gnutls_x509_crt_set_dn(crt, dn, &err) < 0)
		die(dn, GNUTLS_E_PARSING_ERROR);
	TRY(gnutls_x509_crt_set_key(crt, key));
	if (kind == CA_CERT) {
		TRY(gnutls_x509_crt_set_basic_constraints(crt, 1, -1));
		TRY(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN));
	} else {
		TRY(gnutls_x509_crt_set_basic_constraints(crt, 0, -1));
		TRY(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE));
		TRY(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0));
		TRY(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "www.example.com",
		                                         15, GNUTLS_FSAN_SET));
	}
	if (!ski) {
		TRY(gnutls_x509_privkey_get_key_id(key, 0, id, &id_len));
		ski = id;
		ski_len = id_len;
	}
	TRY(gnutls_x509_crt_set_subject_key_id(crt, ski, ski_len));
	if (issuer) {
		TRY(gnutls_x509_crt_set_authority_key_id(crt, issuer->id, issuer->id_len));
		TRY(gnutls_x509_crt_sign2(crt, issuer->self, issuer->key, GNUTLS_DIG_SHA256, 0));
	} else {
		TRY(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0));
	}
	return crt;
}

static gnutls_datum_t der_of(gnutls_x509_crt_t crt)
{
	gnutls_datum_t out;
	TRY(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &out));
	return out;
}

static gnutls_datum_t dup_datum(gnutls_datum_t d)
{
	gnutls_datum_t out = {gnutls_malloc(d.size), d.size};
	if (!out.data)
		abort();
	memcpy(out.data, d.data, d.size);
	return out;
}

static gnutls_x509_privkey_t new_key(void)
{
	gnutls_x509_privkey_t key;
	TRY(gnutls_x509_privkey_init(&key));
	TRY(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	                                 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
	return key;
}

/* Loops and deep chains draw their keys from a few shared ones: names tell
 * their CAs apart, and a key pair costs as much as a signature (under
 * valgrind, most of the test's time). Decoys and lattices get keys of their
 * own, as in the attacks they stand for. */
#define SHARED_KEYS 8
static gnutls_x509_privkey_t shared[SHARED_KEYS];

static ca *ca_with(const char *dn, gnutls_x509_privkey_t key, bool owns_key)
{
	ca *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->key = key;
	c->owns_key = owns_key;
	c->id_len = sizeof(c->id);
	TRY(gnutls_x509_privkey_get_key_id(c->key, 0, c->id, &c->id_len));
	c->self = build(NULL, dn, c->key, NULL, 0, CA_CERT);
	return c;
}

static ca *ca_new(const char *dn)
{
	return ca_with(dn, new_key(), true);
}

static ca *ca_shared(const char *dn, size_t i)
{
	if (!shared[i % SHARED_KEYS])
		shared[i % SHARED_KEYS] = new_key();
	return ca_with(dn, shared[i % SHARED_KEYS], false);
}

static void ca_free(ca *c)
{
	if (!c)
		return;
	gnutls_x509_crt_deinit(c->self);
	if (c->owns_key)
		gnutls_x509_privkey_deinit(c->key);
	free(c);
}

/* @issuer certifies @subject's name and key (an intermediate or a
 * cross-certificate): its DER. */
static gnutls_datum_t certify(const ca *issuer, const char *dn, const ca *subject)
{
	gnutls_x509_crt_t crt = build(issuer, dn, subject->key, NULL, 0, CA_CERT);
	gnutls_datum_t der = der_of(crt);
	gnutls_x509_crt_deinit(crt);
	return der;
}

static gnutls_datum_t make_leaf(const ca *issuer)
{
	gnutls_x509_privkey_t key = new_key();
	gnutls_x509_crt_t crt = build(issuer, "CN=www.example.com", key, NULL, 0, LEAF);
	gnutls_datum_t der = der_of(crt);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return der;
}

/* ---- the cases ------------------------------------------------------------- */

/* Every case shares one store and one pool (distinct names per case), so
 * that the threaded part can run them all in one batch. */
static chain_store *store;
static chain_pool *pool;

static void store_add(gnutls_datum_t der)
{
	if (chain_store_add_der(store, der.data, der.size, 0) < 0)
		die("chain_store_add_der", GNUTLS_E_INTERNAL_ERROR);
}

static void pool_add(gnutls_datum_t der)
{
	if (chain_pool_add_der(pool, der.data, der.size, 0) < 0)
		die("chain_pool_add_der", GNUTLS_E_INTERNAL_ERROR);
}

typedef struct {
	char name[96];
	ders chain;        /* served, leaf first */
	char *pem;         /* when set: verified with chain_verify_pem() instead */
	size_t pem_len;
	chain_policy *policy;
	chain_reason want; /* expected verdict */
	int want_ret;      /* CHAIN_OK, or CHAIN_ELIMIT for input_limit */
	uint64_t max_checks; /* bound on signature checks (budget-counted) */
	size_t want_len;   /* path length, 0: not checked */
	chain_result *reference; /* the single-threaded result */
} pcase;

#define MAX_CASES 64
static pcase cases[MAX_CASES];
static size_t n_cases;

static pcase *add_case(const char *name, chain_reason want, uint64_t max_checks)
{
	if (n_cases == MAX_CASES)
		abort();
	pcase *c = &cases[n_cases++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->want = want;
	c->want_ret = CHAIN_OK;
	c->max_checks = max_checks;
	if (chain_policy_new(&c->policy) != CHAIN_OK ||
	    chain_policy_set_time(c->policy, T_2030) != CHAIN_OK)
		abort();
	return c;
}

/* ---- running one verification, with the hang detector ------------------- */

static double time_limit = 5.0;
/* Under valgrind (CHAIN_TEST_ROUNDS set, as test_threads.c): the threaded
 * part runs each case once, not five times. */
static bool slow;
static int copies = 3;
static const char *volatile running = "";

static void on_alarm(int sig)
{
	(void)sig;
	static const char a[] = "Bail out! hang detector: a verification did not return within "
	                        "CHAIN_TEST_TIME_LIMIT + 1 s: ";
	ssize_t r = write(1, a, sizeof(a) - 1);
	r = write(1, running, strlen(running));
	r = write(1, "\n", 1);
	(void)r;
	_exit(1);
}

static void arm_for(const char *name, double seconds)
{
	running = name;
	alarm((unsigned int)seconds + 1);
}

static void arm(const char *name)
{
	arm_for(name, time_limit);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int verify_case(chain_result **out, const pcase *c)
{
	if (c->pem)
		return chain_verify_pem(out, store, c->policy, c->pem, c->pem_len, pool);
	const unsigned char **d = malloc(c->chain.n * sizeof(*d));
	size_t *l = malloc(c->chain.n * sizeof(*l));
	if (!d || !l)
		abort();
	for (size_t i = 0; i < c->chain.n; i++) {
		d[i] = c->chain.v[i].data;
		l[i] = c->chain.v[i].size;
	}
	int ret = chain_verify(out, store, c->policy, d, l, c->chain.n, pool);
	free(d);
	free(l);
	return ret;
}

/* The served DER arrays of a case, kept alive for a batch. */
typedef struct {
	const unsigned char **d;
	size_t *l;
} arrays;

static arrays arrays_of(const pcase *c)
{
	arrays a = {malloc((c->chain.n + 1) * sizeof(*a.d)), malloc((c->chain.n + 1) * sizeof(*a.l))};
	if (!a.d || !a.l)
		abort();
	for (size_t i = 0; i < c->chain.n; i++) {
		a.d[i] = c->chain.v[i].data;
		a.l[i] = c->chain.v[i].size;
	}
	return a;
}

static void run_case(pcase *c)
{
	chain_result *res = NULL;
	char why[256] = "";

	arm(c->name);
	double t0 = now();
	int ret = verify_case(&res, c);
	double seconds = now() - t0;
	alarm(0);

	/* The same through a batch with a fresh cache: the edge counters are
	 * the search's signature checks. (PEM input has no batch form.) */
	uint64_t computed = 0, counted = 0;
	int differs = 0;
	if (!c->pem) {
		chain_cache *cache = NULL;
		chain_batch *b = NULL;
		arrays a = arrays_of(c);
		if (chain_cache_new(&cache, 0) != CHAIN_OK || chain_batch_new(&b) != CHAIN_OK ||
		    chain_batch_set_cache(b, cache) != CHAIN_OK ||
		    chain_batch_add(b, a.d, a.l, c->chain.n, c->policy) != CHAIN_OK)
			abort();
		arm(c->name);
		if (chain_batch_run(b, store, pool, 1) != CHAIN_OK)
			abort();
		alarm(0);
		computed = chain_cache_stat(cache, CHAIN_CACHE_EDGE_MISSES);
		counted = computed + chain_cache_stat(cache, CHAIN_CACHE_EDGE_HITS);
		differs = chain_batch_status(b, 0) != ret ||
		          test_results_differ(res, chain_batch_result(b, 0), why, sizeof(why));
		chain_batch_free(b);
		chain_cache_free(cache);
		free(a.d);
		free(a.l);
	}
	size_t len = chain_result_cert_count(res);
	chain_reason reason = chain_result_reason(res);
	bool pass = res && ret == c->want_ret && reason == c->want &&
	            counted <= c->max_checks && (!c->want_len || len == c->want_len);
	CHECK(pass, "%s: %s (want %s), path %zu, %llu signature checks (%llu computed, bound "
	      "%llu)", c->name, chain_reason_str(reason), chain_reason_str(c->want), len,
	      (unsigned long long)counted, (unsigned long long)computed,
	      (unsigned long long)c->max_checks);
	if (!pass)
		for (size_t i = 0; i < chain_result_problem_count(res); i++)
			printf("#   %s@%d: %s\n", chain_reason_str(chain_result_problem_reason(res, i)),
			       chain_result_problem_depth(res, i), chain_result_problem_message(res, i));
	if (!c->pem)
		CHECK(!differs, "%s: a cached batch gives chain_verify()'s result%s%s", c->name,
		      differs ? ": " : "", why);
	CHECK(seconds <= time_limit, "%s: returned in %.3f s (hang detector, limit %.0f s)",
	      c->name, seconds, time_limit);
	c->reference = res;
}

/* ---- building the cases ----------------------------------------------------- */

static ca *root;

static void base_case(void)
{
	ca *inter = ca_new("CN=Patho Base Int");
	pcase *c = add_case("baseline root-int-leaf", CHAIN_REASON_OK, 2);
	ders_push(&c->chain, make_leaf(inter));
	ders_push(&c->chain, certify(root, "CN=Patho Base Int", inter));
	c->want_len = 3;
	ca_free(inter);
}

/* @n certificates named like the leaf's issuer, all certified by the root,
 * in the pool; the real one is added last and every decoy carries its SKI
 * (an attacker chooses SKIs freely), so neither the name nor the AKI tells
 * them apart: each costs one signature check. */
static void decoys(size_t n, uint64_t budget)
{
	char dn[64], name[96];
	snprintf(dn, sizeof(dn), "CN=Patho Decoy Int %zu", n);
	ca *real = ca_new(dn);
	for (size_t i = 0; i + 1 < n; i++) {
		gnutls_x509_privkey_t key = new_key();
		gnutls_x509_crt_t crt = build(root, dn, key, real->id, real->id_len, CA_CERT);
		gnutls_datum_t der = der_of(crt);
		pool_add(der);
		gnutls_free(der.data);
		gnutls_x509_crt_deinit(crt);
		gnutls_x509_privkey_deinit(key);
	}
	gnutls_datum_t real_der = certify(root, dn, real);
	pool_add(real_der);
	gnutls_free(real_der.data);
	gnutls_datum_t leaf = make_leaf(real);

	/* n decoys + the real issuer's edge to the root. */
	snprintf(name, sizeof(name), "%zu same-name same-SKI issuers in the pool", n);
	pcase *c = add_case(name, n + 1 <= 100 ? CHAIN_REASON_OK : CHAIN_REASON_BUDGET_EXCEEDED,
	                    n + 1 <= 100 ? n + 1 : 100);
	ders_push(&c->chain, leaf);
	if (n + 1 > 100) {
		/* Over the default budget of 100: the search gives up. With the
		 * budget raised, it finds the real issuer after n checks. */
		snprintf(name, sizeof(name), "%zu same-name same-SKI issuers, budget %llu", n,
		         (unsigned long long)budget);
		pcase *more = add_case(name, CHAIN_REASON_OK, n + 1);
		ders_push(&more->chain, dup_datum(leaf));
		chain_policy_set_limit(more->policy, CHAIN_LIMIT_SIG_CHECKS, budget);
		more->want_len = 3;
	} else {
		c->want_len = 3;
	}
	ca_free(real);
}

/* @levels layers of @width CAs, a layer's CAs sharing one name; each CA of
 * layer k is certified by every CA of layer k+1 (width^2 certificates per
 * layer), and the top layer by a root that is in the store (@anchored) or
 * nowhere. Paths: width^levels. */
static void lattice(int levels, int width, bool anchored)
{
	char dn[64], name[96];
	ca *layer[16][8];
	ca *top = ca_new(anchored ? "CN=Patho Lattice Root A" : "CN=Patho Lattice Root U");
	if (anchored) {
		gnutls_datum_t d = der_of(top->self);
		store_add(d);
		gnutls_free(d.data);
	}
	for (int k = 0; k < levels; k++)
		for (int j = 0; j < width; j++) {
			snprintf(dn, sizeof(dn), "CN=Patho Lattice %c %d", anchored ? 'A' : 'U', k);
			layer[k][j] = ca_new(dn);
		}
	for (int k = 0; k < levels; k++)
		for (int j = 0; j < width; j++) {
			snprintf(dn, sizeof(dn), "CN=Patho Lattice %c %d", anchored ? 'A' : 'U', k);
			for (int u = 0; u < (k + 1 < levels ? width : 1); u++) {
				gnutls_datum_t d =
					certify(k + 1 < levels ? layer[k + 1][u] : top, dn, layer[k][j]);
				pool_add(d);
				gnutls_free(d.data);
			}
		}
	gnutls_datum_t leaf = make_leaf(layer[0][0]);
	if (anchored) {
		/* The AKI leads straight up: levels + 1 checks to the root. */
		snprintf(name, sizeof(name), "anchored lattice %d x %d, max_depth 16", levels, width);
		pcase *c = add_case(name, CHAIN_REASON_OK, (uint64_t)levels + 1);
		c->want_len = (size_t)levels + 2;
		chain_policy_set_max_depth(c->policy, 16);
		ders_push(&c->chain, dup_datum(leaf));
		/* Under the default max_depth of 8 there is no path: the search
		 * goes through the lattice below depth 8 until the budget ends it. */
		snprintf(name, sizeof(name), "anchored lattice %d x %d, default max_depth", levels,
		         width);
		c = add_case(name, CHAIN_REASON_BUDGET_EXCEEDED, 100);
		ders_push(&c->chain, leaf);
	} else {
		snprintf(name, sizeof(name), "unanchored lattice %d x %d, max_depth 16", levels, width);
		pcase *c = add_case(name, CHAIN_REASON_BUDGET_EXCEEDED, 100);
		chain_policy_set_max_depth(c->policy, 16);
		ders_push(&c->chain, leaf);
	}
	for (int k = 0; k < levels; k++)
		for (int j = 0; j < width; j++)
			ca_free(layer[k][j]);
	ca_free(top);
}

/* L1 <- L2 <- ... <- Ln <- L1: each certified by the next, the last by the
 * first; the leaf is issued by L1. No anchor is reachable. In the pool, or
 * served (n <= 30). */
static void loop(int n, bool served, unsigned int max_depth)
{
	char dn[64], name[96];
	ca **l = calloc((size_t)n, sizeof(*l));
	if (!l)
		abort();
	for (int i = 0; i < n; i++) {
		snprintf(dn, sizeof(dn), "CN=Patho Loop %d%s %d", n, served ? "s" : "p", i);
		l[i] = ca_shared(dn, (size_t)i);
	}
	/* Within max_depth the loop closes: no issuer left. Past it, the cap. */
	bool closes = (unsigned int)n <= max_depth;
	snprintf(name, sizeof(name), "loop of %d, %s, max_depth %u", n, served ? "served" : "pooled",
	         max_depth);
	pcase *c = add_case(name, closes ? CHAIN_REASON_MISSING_ISSUER : CHAIN_REASON_DEPTH_EXCEEDED,
	                    (uint64_t)n + 1);
	chain_policy_set_max_depth(c->policy, max_depth);
	ders_push(&c->chain, make_leaf(l[0]));
	for (int i = 0; i < n; i++) {
		snprintf(dn, sizeof(dn), "CN=Patho Loop %d%s %d", n, served ? "s" : "p", i);
		gnutls_datum_t d = certify(l[(i + 1) % n], dn, l[i]);
		if (served) {
			ders_push(&c->chain, d);
		} else {
			pool_add(d);
			gnutls_free(d.data);
		}
	}
	c->want_len = closes ? (size_t)n + 1 : (size_t)max_depth + 1;
	for (int i = 0; i < n; i++)
		ca_free(l[i]);
	free(l);
}

/* root <- D0 <- D1 <- ... <- D99, in the pool; served chains take their
 * intermediates from the same certificates (served copies win). */
#define DEEP 100
static ca *deep_ca[DEEP];
static gnutls_datum_t deep_der[DEEP]; /* D_i certified by D_(i-1) (D0 by the root) */

static void deep_chain(void)
{
	char dn[64];
	for (int i = 0; i < DEEP; i++) {
		snprintf(dn, sizeof(dn), "CN=Patho Deep %d", i);
		deep_ca[i] = ca_shared(dn, (size_t)i);
		deep_der[i] = certify(i ? deep_ca[i - 1] : root, dn, deep_ca[i]);
		pool_add(deep_der[i]);
	}
}

/* A leaf under D_(n-1): n intermediates to the root. */
static void deep(int n, bool served, unsigned int max_depth, size_t max_certs,
                 chain_reason want)
{
	char name[96];
	snprintf(name, sizeof(name), "%d intermediates, %s, max_depth %u", n,
	         served ? "served" : "pooled", max_depth);
	pcase *c = add_case(name, want, (uint64_t)n + 1);
	chain_policy_set_max_depth(c->policy, max_depth);
	if (max_certs)
		chain_policy_set_limit(c->policy, CHAIN_LIMIT_CERTS, max_certs);
	ders_push(&c->chain, make_leaf(deep_ca[n - 1]));
	for (int i = n - 1; served && i >= 0; i--)
		ders_push(&c->chain, dup_datum(deep_der[i]));
	if (want == CHAIN_REASON_OK)
		c->want_len = (size_t)n + 2;
	if (want == CHAIN_REASON_INPUT_LIMIT) {
		c->want_ret = CHAIN_ELIMIT;
		c->max_checks = 0;
	}
}

static char *pem_of(const gnutls_datum_t *der)
{
	gnutls_datum_t pem;
	TRY(gnutls_pem_base64_encode2("CERTIFICATE", der, &pem));
	char *s = malloc(pem.size + 1);
	if (!s)
		abort();
	memcpy(s, pem.data, pem.size);
	s[pem.size] = '\0';
	gnutls_free(pem.data);
	return s;
}

/* A PEM input of @mib MiB: the baseline chain, then its intermediate
 * repeated, over the 1 MiB served-chain bound. */
static void big_pem(size_t mib)
{
	char name[96];
	const pcase *base = &cases[0];
	char *leaf = pem_of(&base->chain.v[0]), *inter = pem_of(&base->chain.v[1]);
	size_t ll = strlen(leaf), il = strlen(inter), want = mib << 20, n = 0;
	char *buf = malloc(want + ll + il);
	if (!buf)
		abort();
	memcpy(buf, leaf, ll);
	n = ll;
	while (n < want) {
		memcpy(buf + n, inter, il);
		n += il;
	}
	snprintf(name, sizeof(name), "%zu MiB of PEM to chain_verify_pem", mib);
	pcase *c = add_case(name, CHAIN_REASON_INPUT_LIMIT, 0);
	c->pem = buf;
	c->pem_len = n;
	c->want_ret = CHAIN_ELIMIT;
	free(leaf);
	free(inter);
}

/* ---- several threads ---------------------------------------------------------- */

static size_t thread_mismatches(const pcase *c, const chain_result *r, int ret)
{
	char why[256];
	if (ret != c->want_ret || test_results_differ(c->reference, r, why, sizeof(why))) {
		printf("# %s: %s\n", c->name, why);
		return 1;
	}
	return 0;
}

static void *verifier(void *arg)
{
	size_t off = (size_t)arg, bad = 0;
	for (size_t r = 0; r < 2; r++)
		for (size_t k = 0; k < n_cases; k++) {
			const pcase *c = &cases[(k + off) % n_cases];
			chain_result *res = NULL;
			int ret = verify_case(&res, c);
			bad += thread_mismatches(c, res, ret);
			chain_result_free(res);
		}
	return (void *)bad;
}

static void test_threads(void)
{
	chain_cache *cache = NULL;
	chain_batch *b = NULL;
	arrays a[MAX_CASES];
	size_t slot[3 * MAX_CASES], n = 0, bad = 0;

	/* Each case runs up to 7 more times here: a generous bound for them all. */
	arm_for("the threaded part", 7 * time_limit * (double)n_cases);
	if (chain_cache_new(&cache, 0) != CHAIN_OK || chain_batch_new(&b) != CHAIN_OK ||
	    chain_batch_set_cache(b, cache) != CHAIN_OK)
		abort();
	for (size_t k = 0; k < n_cases; k++)
		a[k] = arrays_of(&cases[k]);
	for (int copy = 0; copy < copies; copy++)
		for (size_t k = 0; k < n_cases; k++)
			if (!cases[k].pem) {
				chain_batch_add(b, a[k].d, a[k].l, cases[k].chain.n, cases[k].policy);
				slot[n++] = k;
			}
	CHECK(chain_batch_run(b, store, pool, 2) == CHAIN_OK, "batch of %zu pathological items "
	      "on 2 threads with a shared cache ran", n);
	for (size_t i = 0; i < n; i++)
		bad += thread_mismatches(&cases[slot[i]], chain_batch_result(b, i),
		                         chain_batch_status(b, i));
	CHECK(bad == 0, "every item equals its single-threaded result (%zu mismatches)", bad);
	chain_batch_free(b);
	chain_cache_free(cache);
	for (size_t k = 0; k < n_cases; k++) {
		free(a[k].d);
		free(a[k].l);
	}

	if (slow)
		return; /* memcheck serialises threads anyway: the batch is enough there */
	pthread_t t[2];
	bad = 0;
	for (size_t i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, verifier, (void *)(i * n_cases / 2));
	for (size_t i = 0; i < 2; i++) {
		void *m;
		pthread_join(t[i], &m);
		bad += (size_t)m;
	}
	alarm(0);
	CHECK(bad == 0, "2 threads calling chain_verify() at once agree (%zu mismatches)", bad);
}

int main(void)
{
	const char *limit = getenv("CHAIN_TEST_TIME_LIMIT");
	if (limit && atof(limit) > 0)
		time_limit = atof(limit) > 5.0 ? atof(limit) : 5.0;
	setvbuf(stdout, NULL, _IOLBF, 0); /* TAP lines in order with valgrind's and TSan's */
	if (getenv("CHAIN_TEST_ROUNDS")) {
		slow = true;
		copies = 1;
	}
	signal(SIGALRM, on_alarm);
	if (chain_store_new(&store) != CHAIN_OK || chain_pool_new(&pool) != CHAIN_OK)
		abort();

	double t0 = now();
	root = ca_new("CN=Patho Root");
	gnutls_datum_t d = der_of(root->self);
	store_add(d);
	gnutls_free(d.data);

	base_case(); /* cases[0]: big_pem() reuses it */
	decoys(8, 0);
	decoys(150, 200);
	lattice(10, 4, false);
	lattice(10, 4, true);
	for (int n = 2; n <= 9; n++)
		loop(n, false, 8);
	loop(30, true, 64);
	loop(50, false, 64);
	deep_chain();
	deep(8, false, 8, 0, CHAIN_REASON_OK);
	deep(9, false, 8, 0, CHAIN_REASON_DEPTH_EXCEEDED);
	deep(9, true, 8, 0, CHAIN_REASON_DEPTH_EXCEEDED);
	deep(64, false, 64, 0, CHAIN_REASON_OK);
	deep(64, true, 64, 100, CHAIN_REASON_OK);
	deep(100, false, 64, 0, CHAIN_REASON_DEPTH_EXCEEDED);
	deep(100, true, 64, 0, CHAIN_REASON_INPUT_LIMIT);
	big_pem(2);
	printf("# %zu cases, %zu store and %zu pool certificates generated in %.2f s\n", n_cases,
	       chain_store_count(store), chain_pool_count(pool), now() - t0);

	for (size_t i = 0; i < n_cases; i++)
		run_case(&cases[i]);
	test_threads();

	for (size_t i = 0; i < n_cases; i++) {
		ders_free(&cases[i].chain);
		free(cases[i].pem);
		chain_policy_free(cases[i].policy);
		chain_result_free(cases[i].reference);
	}
	for (int i = 0; i < DEEP; i++) {
		ca_free(deep_ca[i]);
		gnutls_free(deep_der[i].data);
	}
	ca_free(root);
	for (size_t i = 0; i < SHARED_KEYS; i++)
		if (shared[i])
			gnutls_x509_privkey_deinit(shared[i]);
	chain_pool_free(pool);
	chain_store_free(store);
	return tap_done();
}
