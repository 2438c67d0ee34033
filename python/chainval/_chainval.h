/* chainval's extension module: shared declarations. The module is a thin
 * layer: it converts arguments, drops the GIL around libchain calls, and
 * turns results and errors into Python objects. All state lives in the
 * module state (no static PyObject globals). */
#ifndef CHAINVAL_H
#define CHAINVAL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <chain/chain.h>
#include <pthread.h>
#include <stdbool.h>

typedef struct {
	PyTypeObject *store_type, *pool_type, *policy_type, *result_type;
	PyTypeObject *problem_type, *certificate_type, *cache_type;
	PyTypeObject *attempt_type, *attempt_cert_type, *edge_type; /* _attempts.c */
	PyObject *error, *parse_error, *verification_error, *backend_error;
	PyObject *epoch;       /* datetime(1970, 1, 1, tzinfo=timezone.utc) */
	PyObject *naive_epoch; /* datetime(1970, 1, 1) */
	PyObject *datetime;  /* datetime.datetime */
	PyObject *utc;       /* datetime.timezone.utc */
	/* The datetime C API of this interpreter (its capsule's pointer: not the
	 * process-wide PyDateTimeAPI, which another interpreter may replace). */
	const void *datetime_api;
	PyObject *default_policy;
} chainval_state;

/* The state of the module that made @tp (one of this module's types: all
 * are made by PyType_FromModuleAndSpec and none can be subclassed, so the
 * type's own module is the one). Not a lookup by the PyModuleDef: that would
 * make every file depend on _module.c, which depends on them all. NULL with
 * an exception for any other type. */
static inline chainval_state *state_of_type(PyTypeObject *tp)
{
	return (chainval_state *)PyType_GetModuleState(tp);
}

static inline chainval_state *state_of_module(PyObject *m)
{
	return (chainval_state *)PyModule_GetState(m);
}

/* _errors.c: the single mapper from chain_error to exceptions. */
PyObject *chainval_raise(chainval_state *st, int err, const char *context);
/* Put "@fmt % i" before the message of the TypeError being raised (other
 * exceptions are left as they are). */
void chainval_prefix_error(const char *fmt, Py_ssize_t i);
PyObject *chainval_raise_parse(chainval_state *st, const char *message, int index);
int chainval_exec_errors(PyObject *m);

/* _store.c: TrustStore and Pool share one layout; exactly one of store/pool
 * is set. The rwlock lets Python threads add while others verify: adds
 * take it exclusively, verifications shared. */
typedef struct CertSetObject {
	PyObject_HEAD
	chain_store *store;
	chain_pool *pool;
	pthread_rwlock_t lock;
	struct CertSetObject *prev, *next; /* every live object, for fork() (_store.c) */
	/* Stores: the cache verify() and verify_many() use unless told otherwise
	 * (NULL: none); replaced only under the write lock. */
	chain_cache *cache;
} CertSetObject;
/* The default bound of a store's own cache (TrustStore.set_cache_size()). */
#define CHAINVAL_STORE_CACHE_BYTES (16u * 1024u * 1024u)
int chainval_exec_store(PyObject *m);
void chainval_set_rdlock(CertSetObject *set);
void chainval_set_unlock(CertSetObject *set);
/* A temporary pool from a list of certificates (verify's intermediates=[...]). */
CertSetObject *chainval_pool_from_list(chainval_state *st, PyObject *items);

/* _policy.c */
typedef struct {
	PyObject_HEAD
	chain_policy *policy;
	PyObject *key; /* tuple of every field, for ==, hash and repr */
} PolicyObject;
int chainval_exec_policy(PyObject *m);
PyObject *chainval_policy_new_default(chainval_state *st);
/* `at` arguments: None, int unix seconds, or datetime (naive = UTC) -> None or int. */
PyObject *chainval_time_arg(chainval_state *st, PyObject *at);

/* _chain.c: a Python chain argument as DER pointers for libchain. */
typedef struct {
	const unsigned char **ders;
	size_t *lens;
	size_t n, cap_ders, cap_lens;
	unsigned char **owned; /* decoded PEM, freed with the list */
	size_t n_owned, cap_owned;
	PyObject *keep; /* list of bytes objects whose buffers are borrowed */
	uint64_t bytes, max_bytes; /* DER so far; past max_bytes, nothing more is decoded */
	Py_ssize_t item;           /* the item being read */
	bool lenient;              /* unreadable items become empty entries (pools) */
	bool bad;                  /* the chain cannot be read: bad_index and why say where and why */
	int bad_index;
	char why[200];
} chainval_ders;
/* @max_bytes: the policy's CHAIN_LIMIT_CHAIN_BYTES (UINT64_MAX: no bound).
 * Past it the chain is cut short with an entry over the limit, so that
 * libchain reports input_limit without this decoding a 100 MB bundle.
 * Returns -1 with an exception for a caller's mistake (TypeError: no
 * certificate type), else 0; then out->bad says the chain is unreadable. */
int chainval_ders_from(chainval_ders *out, PyObject *chain, uint64_t max_bytes, bool lenient);
void chainval_ders_free(chainval_ders *d);
/* The DER bytes of a certificate object: a cryptography.x509.Certificate
 * (public_bytes(DER); cryptography is never imported for other objects),
 * or an object with a bytes `der` attribute (chainval.testing.Cert). NULL
 * without an exception when @obj is neither; NULL with one on failure. */
PyObject *chainval_der_of_object(PyObject *obj);

/* _cache.c */
typedef struct {
	PyObject_HEAD
	chain_cache *cache;
} CacheObject;
int chainval_exec_cache(PyObject *m);

/* _interrupt.c: run @fn(@arg) on a worker thread (kept for later calls) while this thread
 * (holding the GIL on entry and on return) runs Python's signal handlers
 * every 50 ms; when one raises, @cancel(@cancel_arg) is called and, once @fn
 * has returned, -1 is returned with the exception set. 0 otherwise. @fn must
 * not touch Python objects. */
int chainval_run_interruptible(void (*fn)(void *), void *arg, void (*cancel)(void *),
                               void *cancel_arg);

/* _scan.c: _ScanEngine and _Reader, the C engine of chainval scan */
int chainval_exec_scan(PyObject *m);
/* _parse_time(text) -> int: scanner/civil.c's reading of a time (unix
 * seconds or RFC 3339, years 0001..9999); ValueError otherwise. */
PyObject *chainval_parse_time(PyObject *module, PyObject *arg);
/* _one_malloc_arena() -> bool: every thread that has not allocated yet
 * allocates from glibc's main arena (M_ARENA_MAX 1); False where the C
 * library has no such setting. Process-wide: for chainval scan with one
 * verifying thread only, called before its threads start. */
PyObject *chainval_one_malloc_arena(PyObject *module, PyObject *unused);

/* _result.c */
int chainval_exec_result(PyObject *m);

/* _probe.c: _tls_handshake(fd, server_name=None, priority=None, timeout_ms=10000)
 * -> (served DER list, protocol version, session description, OCSP bytes or None). */
PyObject *chainval_tls_handshake(PyObject *module, PyObject *args, PyObject *kwargs);

/* _attempts.c: Result.attempts (explain mode) as a list of Attempt tuples. */
PyObject *chainval_make_attempts(chainval_state *st, const chain_result *r);
int chainval_is_attempt(chainval_state *st, PyObject *o);
int chainval_exec_attempts(PyObject *m);
/* _result_from_state(state): a Result again from a pickle (Result.__reduce__). */
PyObject *chainval_result_from_state(PyObject *module, PyObject *state);
PyObject *chainval_result_wrap(chainval_state *st, chain_result *res); /* takes res */

/* _verify.c */
PyObject *chainval_verify(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kwnames);
PyObject *chainval_verify_many(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kwnames);

#endif /* CHAINVAL_H */
