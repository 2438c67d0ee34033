/* Cache: a chain_cache shared by verify_many() calls (and threads). */
#include "_chainval.h"

static PyObject *cache_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
	static char *kw[] = {"max_bytes", "certs", "edges", "verdicts", NULL};
	PyObject *max = Py_None;
	unsigned long long bytes = 0;
	int certs = 1, edges = 1, verdicts = 1;

	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|$Oppp:Cache", kw, &max, &certs, &edges,
	                                 &verdicts))
		return NULL;
	if (max != Py_None) {
		if (!PyLong_Check(max) || PyBool_Check(max))
			return PyErr_Format(PyExc_TypeError, "max_bytes must be an int or None");
		bytes = PyLong_AsUnsignedLongLong(max);
		if (PyErr_Occurred() || bytes == 0) {
			PyErr_Clear();
			return PyErr_Format(PyExc_ValueError, "max_bytes must be a positive int");
		}
	}
	CacheObject *self = (CacheObject *)type->tp_alloc(type, 0);
	if (!self)
		return NULL;
	int ret = chain_cache_new(&self->cache, (size_t)bytes);
	if (ret == CHAIN_OK)
		ret = chain_cache_set_kinds(self->cache, (certs ? CHAIN_CACHE_CERTS : 0) |
		                                         (edges ? CHAIN_CACHE_EDGES : 0) |
		                                         (verdicts ? CHAIN_CACHE_VERDICTS : 0));
	if (ret < 0) {
		Py_DECREF(self);
		return chainval_raise(state_of_type(type), ret, "Cache");
	}
	return (PyObject *)self;
}

static void cache_dealloc(CacheObject *self)
{
	PyTypeObject *tp = Py_TYPE(self);
	chain_cache_free(self->cache);
	tp->tp_free(self);
	Py_DECREF(tp);
}

static PyObject *cache_stats(CacheObject *self, PyObject *unused)
{
	(void)unused;
	return Py_BuildValue(
		"{sKsKsKsKsKsKsKsKsK}",
		"cert_hits", (unsigned long long)chain_cache_stat(self->cache, CHAIN_CACHE_CERT_HITS),
		"cert_misses", (unsigned long long)chain_cache_stat(self->cache, CHAIN_CACHE_CERT_MISSES),
		"edge_hits", (unsigned long long)chain_cache_stat(self->cache, CHAIN_CACHE_EDGE_HITS),
		"edge_misses", (unsigned long long)chain_cache_stat(self->cache, CHAIN_CACHE_EDGE_MISSES),
		"verdict_hits", (unsigned long long)chain_cache_stat(self->cache, CHAIN_CACHE_VERDICT_HITS),
		"verdict_misses",
		(unsigned long long)chain_cache_stat(self->cache, CHAIN_CACHE_VERDICT_MISSES),
		"evictions", (unsigned long long)chain_cache_stat(self->cache, CHAIN_CACHE_EVICTIONS),
		"bytes", (unsigned long long)chain_cache_stat(self->cache, CHAIN_CACHE_BYTES),
		"entries", (unsigned long long)chain_cache_stat(self->cache, CHAIN_CACHE_ENTRIES));
}

static PyMethodDef cache_methods[] = {
	{"stats", (PyCFunction)cache_stats, METH_NOARGS,
	 "stats() -> dict\n\nHits and misses of the certificate, signature-edge and verdict caches, "
	 "entries dropped as they aged out, and the estimated bytes and entries held."},
	{NULL, NULL, 0, NULL},
};

static PyType_Slot cache_slots[] = {
	{Py_tp_new, cache_new},
	{Py_tp_dealloc, cache_dealloc},
	{Py_tp_methods, cache_methods},
	{Py_tp_doc, "Cache(*, max_bytes=None, certs=True, edges=True, verdicts=True)\n--\n\n"
	            "Parsed CA certificates, verified signature edges and the results of chains "
	            "already seen, reused across verify_many() calls and threads (pass cache=). "
	            "Bounded to about max_bytes (None: 256 MiB): what is not used again ages out. "
	            "The flags choose what is kept. A cache changes speed, never a result."},
	{0, NULL},
};

static PyType_Spec cache_spec = {"chainval.Cache", sizeof(CacheObject), 0,
                                 Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE, cache_slots};

int chainval_exec_cache(PyObject *m)
{
	chainval_state *st = state_of_module(m);
	st->cache_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &cache_spec, NULL);
	if (!st->cache_type || PyModule_AddType(m, st->cache_type) < 0)
		return -1;
	return 0;
}
