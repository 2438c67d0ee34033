/* verify() and verify_many(): convert arguments, release the GIL, call
 * libchain (chain_verify or chain_batch), wrap the results. */
#include "_chainval.h"

#include <string.h>

typedef struct {
	PyObject *chain, *store, *policy, *intermediates, *threads, *cache, *ocsp;
} args_t;

/* Hand-parsed FASTCALL arguments: one positional, the rest keyword-only. */
static int parse_args(args_t *a, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                      const char *fname, bool with_threads)
{
	/* verify_many takes threads, verify takes ocsp (a response belongs to one connection). */
	static const char *const names[] = {"store", "policy", "intermediates", "cache", "threads",
	                                    "ocsp"};
	PyObject **slots[] = {&a->store, &a->policy, &a->intermediates, &a->cache, &a->threads,
	                      &a->ocsp};
	size_t n_names = 6, skip = with_threads ? 5 : 4;

	memset(a, 0, sizeof(*a));
	if (nargs != 1) {
		PyErr_Format(PyExc_TypeError, "%s() takes exactly one positional argument (%zd given)",
		             fname, nargs);
		return -1;
	}
	a->chain = args[0];
	Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
	for (Py_ssize_t i = 0; i < nkw; i++) {
		const char *k = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, i));
		size_t j = 0;
		if (!k)
			return -1;
		while (j < n_names && (j == skip || strcmp(k, names[j]) != 0))
			j++;
		if (j == n_names) {
			PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%s'", fname, k);
			return -1;
		}
		*slots[j] = args[nargs + i];
	}
	if (!a->store) {
		PyErr_Format(PyExc_TypeError, "%s() missing required keyword argument 'store'", fname);
		return -1;
	}
	return 0;
}

typedef struct {
	CertSetObject *store, *pool; /* pool may be NULL */
	PyObject *owned_pool;        /* a temporary Pool made from a list */
	PolicyObject *policy;
} targets;

static int resolve(chainval_state *st, const args_t *a, targets *t)
{
	memset(t, 0, sizeof(*t));
	if (!PyObject_TypeCheck(a->store, st->store_type)) {
		PyErr_Format(PyExc_TypeError, "store must be a chainval.TrustStore, not %.100s",
		             Py_TYPE(a->store)->tp_name);
		return -1;
	}
	t->store = (CertSetObject *)a->store;
	PyObject *policy = a->policy && a->policy != Py_None ? a->policy : st->default_policy;
	if (!PyObject_TypeCheck(policy, st->policy_type)) {
		PyErr_Format(PyExc_TypeError, "policy must be a chainval.Policy or None, not %.100s",
		             Py_TYPE(policy)->tp_name);
		return -1;
	}
	t->policy = (PolicyObject *)policy;
	PyObject *inter = a->intermediates;
	if (!inter || inter == Py_None)
		return 0;
	if (PyObject_TypeCheck(inter, st->pool_type)) {
		t->pool = (CertSetObject *)inter;
	} else if (PyList_Check(inter) || PyTuple_Check(inter)) {
		if (PySequence_Size(inter) == 0)
			return 0;
		if (!(t->pool = chainval_pool_from_list(st, inter)))
			return -1;
		t->owned_pool = (PyObject *)t->pool;
	} else {
		PyErr_Format(PyExc_TypeError,
		             "intermediates must be a chainval.Pool, a list of certificates or None, "
		             "not %.100s", Py_TYPE(inter)->tp_name);
		return -1;
	}
	return 0;
}

/* cache=: not given, the store's own (read under its lock: it may be
 * replaced); None, none; a Cache, that one. */
typedef struct {
	bool store_own;
	chain_cache *given;
} cache_choice;

static int resolve_cache(chainval_state *st, PyObject *arg, cache_choice *c)
{
	c->store_own = !arg;
	c->given = NULL;
	if (!arg || arg == Py_None)
		return 0;
	if (!PyObject_TypeCheck(arg, st->cache_type)) {
		PyErr_Format(PyExc_TypeError, "cache must be a chainval.Cache or None, not %.100s",
		             Py_TYPE(arg)->tp_name);
		return -1;
	}
	c->given = ((CacheObject *)arg)->cache;
	return 0;
}

/* The cache to use, with the targets locked. */
static chain_cache *chosen_cache(const cache_choice *c, const targets *t)
{
	return c->store_own ? t->store->cache : c->given;
}

static void lock_targets(const targets *t)
{
	chainval_set_rdlock(t->store);
	if (t->pool)
		chainval_set_rdlock(t->pool);
}

static void unlock_targets(const targets *t)
{
	if (t->pool)
		chainval_set_unlock(t->pool);
	chainval_set_unlock(t->store);
}

PyObject *chainval_verify(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kwnames)
{
	chainval_state *st = state_of_module(module);
	chain_result *res = NULL;
	chainval_ders d;
	targets t;
	args_t a;
	int ret;

	cache_choice cache;
	if (parse_args(&a, args, nargs, kwnames, "verify", false) < 0 ||
	    resolve_cache(st, a.cache, &cache) < 0 || resolve(st, &a, &t) < 0)
		return NULL;
	Py_buffer ocsp = {0};
	if (a.ocsp && a.ocsp != Py_None) {
		if (!PyBytes_Check(a.ocsp) && !PyByteArray_Check(a.ocsp) && !PyMemoryView_Check(a.ocsp)) {
			Py_XDECREF(t.owned_pool);
			return PyErr_Format(PyExc_TypeError, "ocsp must be bytes (a DER OCSPResponse) or "
			                    "None, not %.100s", Py_TYPE(a.ocsp)->tp_name);
		}
		if (PyObject_GetBuffer(a.ocsp, &ocsp, PyBUF_SIMPLE) < 0) {
			Py_XDECREF(t.owned_pool);
			return NULL;
		}
	}
	int read = chainval_ders_from(&d, a.chain, chain_policy_get_limit(t.policy->policy,
	                                                                 CHAIN_LIMIT_CHAIN_BYTES),
	                              false);
	if (read == 0 && d.bad)
		chainval_raise_parse(st, d.why, d.bad_index);
	if (read < 0 || d.bad) {
		chainval_ders_free(&d);
		Py_XDECREF(t.owned_pool);
		if (ocsp.obj)
			PyBuffer_Release(&ocsp);
		return NULL;
	}
	Py_BEGIN_ALLOW_THREADS
	lock_targets(&t);
	ret = chain_verify_stapled(&res, t.store->store, t.policy->policy, d.ders, d.lens, d.n,
	                           t.pool ? t.pool->pool : NULL, chosen_cache(&cache, &t),
	                           ocsp.obj ? ocsp.buf : NULL, ocsp.obj ? (size_t)ocsp.len : 0);
	unlock_targets(&t);
	Py_END_ALLOW_THREADS
	if (ocsp.obj)
		PyBuffer_Release(&ocsp);
	chainval_ders_free(&d);
	Py_XDECREF(t.owned_pool);
	if (ret == CHAIN_EPARSE) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", chain_result_error_message(res));
		int index = chain_result_error_index(res);
		chain_result_free(res);
		return chainval_raise_parse(st, msg, index);
	}
	if (!res) /* CHAIN_ELIMIT still has a result: a verdict, not an exception */
		return chainval_raise(st, ret, "verification failed");
	return chainval_result_wrap(st, res);
}

/* One verify_many item: a chain, or a (chain, Policy or None) pair; None
 * means the call's policy. */
static void split_item(chainval_state *st, PyObject *item, PyObject **chain, PolicyObject **policy)
{
	if (PyTuple_Check(item) && PyTuple_GET_SIZE(item) == 2 &&
	    (PyTuple_GET_ITEM(item, 1) == Py_None ||
	     PyObject_TypeCheck(PyTuple_GET_ITEM(item, 1), st->policy_type))) {
		*chain = PyTuple_GET_ITEM(item, 0);
		if (PyTuple_GET_ITEM(item, 1) != Py_None)
			*policy = (PolicyObject *)PyTuple_GET_ITEM(item, 1);
	} else {
		*chain = item;
	}
}

static int thread_count(PyObject *threads, unsigned int *out)
{
	*out = 0;
	if (!threads || threads == Py_None)
		return 0;
	if (!PyLong_Check(threads) || PyBool_Check(threads)) {
		PyErr_SetString(PyExc_TypeError, "threads must be an int or None");
		return -1;
	}
	int overflow = 0;
	long n = PyLong_AsLongAndOverflow(threads, &overflow);
	if (n == -1 && PyErr_Occurred())
		return -1;
	if (overflow || n < 1 || n > 1024) {
		PyErr_SetString(PyExc_ValueError, "threads must be between 1 and 1024");
		return -1;
	}
	*out = (unsigned int)n;
	return 0;
}

/* From this many items verify_many runs its batch on a worker thread, so
 * that Ctrl-C stops it between chains (_interrupt.c); a smaller batch ends
 * sooner than the hand-over to a worker and back. */
#define INTERRUPTIBLE_ITEMS 64

typedef struct {
	chain_batch *batch;
	targets *t;
	chain_cache *cache;
	unsigned int threads;
	int ret;
} batch_job;

/* Without the GIL: the store and pool read-locked for the run. */
static void run_batch(void *arg)
{
	batch_job *j = arg;
	lock_targets(j->t);
	chain_batch_set_cache(j->batch, j->cache);
	j->ret = chain_batch_run(j->batch, j->t->store->store, j->t->pool ? j->t->pool->pool : NULL,
	                         j->threads);
	unlock_targets(j->t);
}

static void cancel_batch(void *batch)
{
	chain_batch_cancel(batch);
}

PyObject *chainval_verify_many(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kwnames)
{
	chainval_state *st = state_of_module(module);
	PyObject *items = NULL, *out = NULL;
	chainval_ders *ders = NULL;
	PolicyObject **policies = NULL; /* each item's, borrowed from items */
	chain_batch *batch = NULL;
	Py_ssize_t n = 0;
	unsigned int threads;
	targets t = {0};
	args_t a;

	if (parse_args(&a, args, nargs, kwnames, "verify_many", true) < 0 ||
	    thread_count(a.threads, &threads) < 0 || resolve(st, &a, &t) < 0)
		return NULL;
	cache_choice cache;
	if (resolve_cache(st, a.cache, &cache) < 0)
		goto done;
	if (PyUnicode_Check(a.chain) || PyBytes_Check(a.chain) || PyByteArray_Check(a.chain)) {
		PyErr_Format(PyExc_TypeError,
		             "verify_many() takes a list of chains, not one %.50s: for one chain use "
		             "verify(), or pass [chain]", Py_TYPE(a.chain)->tp_name);
		goto done;
	}
	if (!(items = PySequence_List(a.chain)))
		goto done;
	n = PyList_GET_SIZE(items);
	if (!(ders = PyMem_Calloc((size_t)n + 1, sizeof(*ders))) ||
	    !(policies = PyMem_Calloc((size_t)n + 1, sizeof(*policies))) || chain_batch_new(&batch) < 0) {
		PyErr_NoMemory();
		goto done;
	}

	for (Py_ssize_t i = 0; i < n; i++) {
		PyObject *chain;
		PolicyObject *policy = t.policy;
		split_item(st, PyList_GET_ITEM(items, i), &chain, &policy);
		/* A type that is no chain is a caller's mistake, named with its
		 * index; a chain that cannot be read is a malformed row. */
		if (chainval_ders_from(&ders[i], chain,
		                       chain_policy_get_limit(policy->policy, CHAIN_LIMIT_CHAIN_BYTES),
		                       false) < 0) {
			chainval_prefix_error("verify_many() chain %zd: ", i);
			goto done;
		}
		policies[i] = policy;
		/* An unreadable chain gets an empty entry: its result is made below. */
		if (chain_batch_add(batch, ders[i].ders, ders[i].lens, ders[i].bad ? 0 : ders[i].n,
		                    policy->policy) < 0) {
			PyErr_NoMemory();
			goto done;
		}
	}
	batch_job job = {batch, &t, chosen_cache(&cache, &t), threads, CHAIN_OK};
	int ret;
	if (n >= INTERRUPTIBLE_ITEMS) {
		if (chainval_run_interruptible(run_batch, &job, cancel_batch, batch) < 0)
			goto done; /* KeyboardInterrupt (or what a signal handler raised) */
	} else {
		Py_BEGIN_ALLOW_THREADS
		run_batch(&job);
		Py_END_ALLOW_THREADS
	}
	ret = job.ret;
	if (ret < 0) {
		chainval_raise(st, ret, "verify_many");
		goto done;
	}
	if (!(out = PyList_New(n)))
		goto done;
	for (Py_ssize_t i = 0; i < n; i++) {
		chain_result *res = chain_batch_take_result(batch, (size_t)i);
		int status = chain_batch_status(batch, (size_t)i);
		if (ders[i].bad)
			status = chain_result_new_input_error(&res, policies[i]->policy,
			                                      CHAIN_REASON_MALFORMED, ders[i].bad_index,
			                                      ders[i].why);
		PyObject *r = res ? chainval_result_wrap(st, res) : chainval_raise(st, status, "verify_many");
		if (!r) {
			Py_CLEAR(out);
			goto done;
		}
		PyList_SET_ITEM(out, i, r);
	}
done:
	for (Py_ssize_t i = 0; ders && i < n; i++)
		chainval_ders_free(&ders[i]);
	PyMem_Free(ders);
	PyMem_Free(policies);
	chain_batch_free(batch);
	Py_XDECREF(items);
	Py_XDECREF(t.owned_pool);
	return out;
}
