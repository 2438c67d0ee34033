/* The _chainval extension module: state, multi-phase initialisation, and
 * the module-level functions. */
#include "_chainval.h"

#include <gnutls/gnutls.h>

static int exec_datetime(PyObject *m)
{
	chainval_state *st = state_of_module(m);
	PyObject *mod = PyImport_ImportModule("datetime");
	if (!mod)
		return -1;
	PyObject *tz = PyObject_GetAttrString(mod, "timezone");
	st->utc = tz ? PyObject_GetAttrString(tz, "utc") : NULL;
	st->datetime = PyObject_GetAttrString(mod, "datetime");
	Py_XDECREF(tz);
	Py_DECREF(mod);
	if (!st->utc || !st->datetime)
		return -1;
	st->epoch = PyObject_CallFunction(st->datetime, "iiiiiiiO", 1970, 1, 1, 0, 0, 0, 0, st->utc);
	st->naive_epoch = PyObject_CallFunction(st->datetime, "iii", 1970, 1, 1);
	return st->epoch && st->naive_epoch ? 0 : -1;
}

static int exec_versions(PyObject *m)
{
	if (PyModule_AddStringConstant(m, "LIBCHAIN_VERSION", chain_version_string()) < 0 ||
	    PyModule_AddStringConstant(m, "LIBCHAIN_HEADER_VERSION", CHAIN_VERSION_STRING) < 0 ||
	    PyModule_AddStringConstant(m, "GNUTLS_VERSION", gnutls_check_version(NULL)) < 0)
		return -1;
	return 0;
}

/* Last: needs the Policy type. */
static int exec_default_policy(PyObject *m)
{
	chainval_state *st = state_of_module(m);
	return (st->default_policy = chainval_policy_new_default(st)) ? 0 : -1;
}

static int module_traverse(PyObject *m, visitproc visit, void *arg)
{
	chainval_state *st = state_of_module(m);
	Py_VISIT(st->store_type);
	Py_VISIT(st->pool_type);
	Py_VISIT(st->policy_type);
	Py_VISIT(st->result_type);
	Py_VISIT(st->problem_type);
	Py_VISIT(st->certificate_type);
	Py_VISIT(st->attempt_type);
	Py_VISIT(st->attempt_cert_type);
	Py_VISIT(st->edge_type);
	Py_VISIT(st->cache_type);
	Py_VISIT(st->error);
	Py_VISIT(st->parse_error);
	Py_VISIT(st->verification_error);
	Py_VISIT(st->backend_error);
	Py_VISIT(st->epoch);
	Py_VISIT(st->naive_epoch);
	Py_VISIT(st->datetime);
	Py_VISIT(st->utc);
	Py_VISIT(st->default_policy);
	return 0;
}

static int module_clear(PyObject *m)
{
	chainval_state *st = state_of_module(m);
	Py_CLEAR(st->store_type);
	Py_CLEAR(st->pool_type);
	Py_CLEAR(st->policy_type);
	Py_CLEAR(st->result_type);
	Py_CLEAR(st->problem_type);
	Py_CLEAR(st->certificate_type);
	Py_CLEAR(st->attempt_type);
	Py_CLEAR(st->attempt_cert_type);
	Py_CLEAR(st->edge_type);
	Py_CLEAR(st->cache_type);
	Py_CLEAR(st->error);
	Py_CLEAR(st->parse_error);
	Py_CLEAR(st->verification_error);
	Py_CLEAR(st->backend_error);
	Py_CLEAR(st->epoch);
	Py_CLEAR(st->naive_epoch);
	Py_CLEAR(st->datetime);
	Py_CLEAR(st->utc);
	Py_CLEAR(st->default_policy);
	return 0;
}

static void module_free(void *m)
{
	module_clear((PyObject *)m);
}

static PyMethodDef module_methods[] = {
	{"verify", (PyCFunction)(void (*)(void))chainval_verify, METH_FASTCALL | METH_KEYWORDS,
	 "verify($module, chain, /, *, store, policy=None, intermediates=None, cache=..., ocsp=None)\n--\n\n"
	 "Build and check a path for a served chain: a list of certificates (DER bytes or PEM "
	 "bytes/str), leaf first, the rest in any order; or one PEM bundle (leaf first); or one "
	 "DER certificate. intermediates: a Pool or a list of certificates. A rejected chain is "
	 "a Result with ok False, not an exception; an unparsable certificate raises ParseError "
	 "(with .index). The GIL is released during verification. cache: not given, the store's "
	 "own cache; None, none; a Cache, that one (a cache changes speed, never a result). ocsp: the "
	 "DER OCSP response the server stapled (Result.ocsp says what it said; 'revoked' makes the "
	 "chain untrusted, an unusable one is reported and otherwise ignored)."},
	{"verify_many", (PyCFunction)(void (*)(void))chainval_verify_many,
	 METH_FASTCALL | METH_KEYWORDS,
	 "verify_many($module, chains, /, *, store, policy=None, intermediates=None, threads=None, "
	 "cache=...)\n--\n\n"
	 "Verify an iterable of chains (each as for verify(), or a (chain, Policy) pair) on C "
	 "threads (threads=None: all cores) with the GIL released. Results come in input order "
	 "and equal verify()'s, except that an unparsable item gives a Result with code "
	 "'malformed' instead of raising. cache: as for verify()."},
	{"_parse_time", (PyCFunction)chainval_parse_time, METH_O,
	 "_parse_time(text) -> int\n\nchainval scan's reading of a time: unix seconds or RFC 3339."},
	{"_one_malloc_arena", chainval_one_malloc_arena, METH_NOARGS,
	 "_one_malloc_arena() -> bool\n\nchainval scan with one verifying thread: all threads "
	 "allocate from glibc's main arena (process-wide; True if set)."},
	{"_tls_handshake", (PyCFunction)(void (*)(void))chainval_tls_handshake,
	 METH_VARARGS | METH_KEYWORDS,
	 "_tls_handshake(fd, server_name=None, priority=None, timeout_ms=10000) -> (chain, version, "
	 "description, ocsp)\n\nchainval probe: a GnuTLS client handshake on a connected socket "
	 "that trusts nothing and verifies nothing; the certificates as served."},
	{"_result_from_state", (PyCFunction)chainval_result_from_state, METH_O,
	 "_result_from_state(state) -> Result\n\nUnpickling of Result (its __reduce__)."},
	{NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot module_slots[] = {
	{Py_mod_exec, exec_datetime},
	{Py_mod_exec, chainval_exec_errors},
	{Py_mod_exec, chainval_exec_store},
	{Py_mod_exec, chainval_exec_policy},
	{Py_mod_exec, chainval_exec_result},
	{Py_mod_exec, chainval_exec_attempts},
	{Py_mod_exec, chainval_exec_cache},
	{Py_mod_exec, chainval_exec_scan},
	{Py_mod_exec, exec_versions},
	{Py_mod_exec, exec_default_policy},
#ifdef Py_mod_multiple_interpreters
	/* Everything lives in module state and heap types; the process-wide C
	 * data (the fork list in _store.c) has its own mutex. (CPython 3.12+.) */
	{Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#ifdef Py_mod_gil
	/* Safe without the GIL (CPython 3.13t+): stores and pools have their own
	 * rwlocks, policies are immutable, chains are copied (PySequence_Tuple,
	 * bytearray contents) before the GIL is released, and a Result fills
	 * its lists with a compare-and-swap (_result.c cached()). */
	{Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
	{0, NULL},
};

static PyModuleDef chainval_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "chainval._chainval",
	.m_doc = "libchain bindings; use the chainval package.",
	.m_size = sizeof(chainval_state),
	.m_methods = module_methods,
	.m_slots = module_slots,
	.m_traverse = module_traverse,
	.m_clear = module_clear,
	.m_free = module_free,
};

PyMODINIT_FUNC PyInit__chainval(void)
{
	return PyModuleDef_Init(&chainval_module);
}
