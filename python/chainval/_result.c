/* Result: a read-only view of a chain_result. Lists (reasons, chain,
 * certificates) are built on first access and cached, so verify_many over
 * many chains pays only for what the caller reads. */
#include "_chainval.h"

#include "../../scanner/civil.h"

/* The datetime C API (a capsule of function pointers, kept in the module
 * state by chainval_exec_result): building a datetime through it costs
 * well under a microsecond, through timedelta arithmetic several. */
#include <datetime.h>

/* datetime.h defines a process-wide PyDateTimeAPI, unused here. */
static inline const void *process_datetime_api(void)
{
	return PyDateTimeAPI;
}

typedef struct {
	PyObject_HEAD
	chain_result *res;                        /* NULL for a result made again by unpickling */
	PyObject *reasons, *chain, *certificates, *attempts; /* caches, NULL until read */
	PyObject *state;                          /* unpickled: content(), below; else NULL */
} ResultObject;

/* The fields of content() (and of a pickled result), in order. */
enum { S_OK, S_CODE, S_REASONS, S_CERTIFICATES, S_ANCHORED, S_ORDER_REPAIRED, S_TIME,
       S_ERROR_INDEX, S_ERROR_MESSAGE, S_ATTEMPTS, S_DROPPED, S_OCSP, S_OCSP_MESSAGE, S_COUNT };
/* A pickle of 0.2 has no attempts: the fields before S_ATTEMPTS. */
#define S_COUNT_0_2 S_ATTEMPTS

/* Getters of an unpickled result read its state. */
#define FROM_STATE(r, i)                                            \
	do {                                                        \
		if (!(r)->res)                                      \
			return Py_NewRef(PyTuple_GET_ITEM((r)->state, (i))); \
	} while (0)

static PyStructSequence_Field problem_fields[] = {
	{"code", "Reason name, as chainval.Reason member names in lower case."},
	{"depth", "Depth of the certificate concerned in the path (0 = leaf), -1 for none."},
	{"message", "What is wrong, in English."},
	{"input_index", "Index of that certificate in the served chain, -1 if none or not served."},
	{NULL, NULL},
};
static PyStructSequence_Desc problem_desc = {
	"chainval.Problem", "One problem found on the reported path.", problem_fields, 4};

static PyStructSequence_Field cert_fields[] = {
	{"subject", "Subject DN (RFC 4514)."},
	{"issuer", "Issuer DN (RFC 4514)."},
	{"serial", "Serial number, lower-case hex."},
	{"not_before", "Start of validity (aware UTC datetime)."},
	{"not_after", "End of validity (aware UTC datetime)."},
	{"fingerprint_sha256", "SHA-256 of the DER, lower-case hex."},
	{"der", "The certificate, DER."},
	{"source", "Where it came from: 'served', 'pool' or 'store'."},
	{NULL, NULL},
};
static PyStructSequence_Desc cert_desc = {
	"chainval.Certificate", "A certificate of the reported path.", cert_fields, 8};

PyObject *chainval_result_wrap(chainval_state *st, chain_result *res)
{
	ResultObject *r = PyObject_New(ResultObject, st->result_type);
	if (!r) {
		chain_result_free(res);
		return NULL;
	}
	r->res = res;
	r->reasons = r->chain = r->certificates = r->attempts = r->state = NULL;
	return (PyObject *)r;
}

static void result_dealloc(ResultObject *r)
{
	PyTypeObject *tp = Py_TYPE(r);
	chain_result_free(r->res);
	Py_XDECREF(r->reasons);
	Py_XDECREF(r->chain);
	Py_XDECREF(r->certificates);
	Py_XDECREF(r->attempts);
	Py_XDECREF(r->state);
	PyObject_Free(r);
	Py_DECREF(tp);
}

/* libchain promises UTF-8 text; should a byte ever slip through, it shows
 * as \xNN rather than raising in the middle of a scan. */
static PyObject *str_or_none(const char *s)
{
	return s ? PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "backslashreplace")
	         : Py_NewRef(Py_None);
}

/* Unix seconds as an aware UTC datetime; None beyond years 1..9999. */
static PyObject *utc_datetime(chainval_state *st, int64_t t)
{
	scan_civil_time c;
	if (!scan_civil(t, &c))
		return Py_NewRef(Py_None);
	const PyDateTime_CAPI *api = st->datetime_api;
	return api->DateTime_FromDateAndTime(c.year, c.month, c.day, c.hour, c.minute, c.second, 0,
	                                     st->utc, api->DateTimeType);
}

/* Unix seconds as RFC 3339 text ("2030-01-01T00:00:00Z"); None beyond
 * years 1..9999. */
static PyObject *rfc3339(int64_t t)
{
	char text[21];
	return scan_rfc3339(t, text) ? PyUnicode_FromString(text) : Py_NewRef(Py_None);
}

static PyObject *make_problems(ResultObject *r)
{
	chainval_state *st = state_of_type(Py_TYPE(r));
	size_t n = chain_result_problem_count(r->res);
	PyObject *list = PyList_New((Py_ssize_t)n);
	for (size_t i = 0; list && i < n; i++) {
		PyObject *p = PyStructSequence_New(st->problem_type);
		if (!p) {
			Py_CLEAR(list);
			break;
		}
		PyStructSequence_SetItem(p, 0, PyUnicode_FromString(chain_reason_str(chain_result_problem_reason(r->res, i))));
		PyStructSequence_SetItem(p, 1, PyLong_FromLong(chain_result_problem_depth(r->res, i)));
		PyStructSequence_SetItem(p, 2, str_or_none(chain_result_problem_message(r->res, i)));
		PyStructSequence_SetItem(p, 3, PyLong_FromLong(chain_result_problem_input_index(r->res, i)));
		PyList_SET_ITEM(list, (Py_ssize_t)i, p);
		if (PyErr_Occurred())
			Py_CLEAR(list);
	}
	return list;
}

static PyObject *der_bytes(const chain_result *res, size_t i)
{
	size_t len = 0;
	const unsigned char *der = chain_result_cert_der(res, i, &len);
	return PyBytes_FromStringAndSize((const char *)der, (Py_ssize_t)len);
}

static PyObject *make_chain(ResultObject *r)
{
	size_t n = chain_result_cert_count(r->res);
	PyObject *list = PyList_New((Py_ssize_t)n);
	for (size_t i = 0; list && i < n; i++) {
		PyObject *b = der_bytes(r->res, i);
		if (!b) {
			Py_CLEAR(list);
			break;
		}
		PyList_SET_ITEM(list, (Py_ssize_t)i, b);
	}
	return list;
}

static PyObject *make_certificates(ResultObject *r)
{
	static const char *const sources[] = {"served", "pool", "store"};
	chainval_state *st = state_of_type(Py_TYPE(r));
	size_t n = chain_result_cert_count(r->res);
	PyObject *list = PyList_New((Py_ssize_t)n);
	for (size_t i = 0; list && i < n; i++) {
		PyObject *c = PyStructSequence_New(st->certificate_type);
		if (!c) {
			Py_CLEAR(list);
			break;
		}
		const chain_result *res = r->res;
		unsigned src = (unsigned)chain_result_cert_source(res, i);
		PyStructSequence_SetItem(c, 0, str_or_none(chain_result_cert_subject(res, i)));
		PyStructSequence_SetItem(c, 1, str_or_none(chain_result_cert_issuer(res, i)));
		PyStructSequence_SetItem(c, 2, str_or_none(chain_result_cert_serial(res, i)));
		PyStructSequence_SetItem(c, 3, utc_datetime(st, chain_result_cert_not_before(res, i)));
		PyStructSequence_SetItem(c, 4, utc_datetime(st, chain_result_cert_not_after(res, i)));
		PyStructSequence_SetItem(c, 5, str_or_none(chain_result_cert_fingerprint(res, i)));
		PyStructSequence_SetItem(c, 6, der_bytes(res, i));
		PyStructSequence_SetItem(c, 7, PyUnicode_FromString(src < 3 ? sources[src] : "unknown"));
		PyList_SET_ITEM(list, (Py_ssize_t)i, c);
		if (PyErr_Occurred())
			Py_CLEAR(list);
	}
	return list;
}

/* A fresh list each time (callers may mutate it), copied from the cache.
 * The cache is filled without the GIL's help (free-threaded CPython): two
 * threads may both build the list, one compare-and-swap keeps the first and
 * the other is dropped; the cached list is never changed after that. */
static PyObject *cached(ResultObject *r, PyObject **slot, PyObject *(*make)(ResultObject *))
{
	PyObject *list = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (!list) {
		PyObject *fresh = make(r);
		if (!fresh)
			return NULL;
		if (__atomic_compare_exchange_n(slot, &list, fresh, false, __ATOMIC_ACQ_REL,
		                                __ATOMIC_ACQUIRE))
			list = fresh;
		else
			Py_DECREF(fresh); /* another thread's list is in the slot, in list */
	}
	return PyList_GetSlice(list, 0, PyList_GET_SIZE(list));
}

static PyObject *get_reasons(ResultObject *r, void *c)
{
	(void)c;
	return cached(r, &r->reasons, make_problems);
}

static PyObject *get_chain(ResultObject *r, void *c)
{
	(void)c;
	return cached(r, &r->chain, make_chain);
}

static PyObject *get_certificates(ResultObject *r, void *c)
{
	(void)c;
	return cached(r, &r->certificates, make_certificates);
}

static PyObject *make_attempts(ResultObject *r)
{
	return chainval_make_attempts(state_of_type(Py_TYPE(r)), r->res);
}

static PyObject *get_attempts(ResultObject *r, void *c)
{
	(void)c;
	return cached(r, &r->attempts, make_attempts);
}

static PyObject *get_attempts_dropped(ResultObject *r, void *c)
{
	(void)c;
	FROM_STATE(r, S_DROPPED);
	return PyLong_FromSize_t(chain_result_attempts_dropped(r->res));
}

static PyObject *get_ocsp(ResultObject *r, void *c)
{
	static const char *const names[] = {NULL, "good", "revoked", "unusable"};
	(void)c;
	FROM_STATE(r, S_OCSP);
	unsigned s = (unsigned)chain_result_ocsp_status(r->res);
	return s && s < 4 ? PyUnicode_FromString(names[s]) : Py_NewRef(Py_None);
}

static PyObject *get_ocsp_message(ResultObject *r, void *c)
{
	(void)c;
	FROM_STATE(r, S_OCSP_MESSAGE);
	return str_or_none(chain_result_ocsp_message(r->res));
}

static PyObject *get_ok(ResultObject *r, void *c)
{
	(void)c;
	FROM_STATE(r, S_OK);
	return PyBool_FromLong(chain_result_ok(r->res));
}

static PyObject *get_code(ResultObject *r, void *c)
{
	(void)c;
	FROM_STATE(r, S_CODE);
	return PyUnicode_FromString(chain_reason_str(chain_result_reason(r->res)));
}

static PyObject *get_anchored(ResultObject *r, void *c)
{
	(void)c;
	FROM_STATE(r, S_ANCHORED);
	return PyBool_FromLong(chain_result_anchored(r->res));
}

static PyObject *get_order_repaired(ResultObject *r, void *c)
{
	(void)c;
	FROM_STATE(r, S_ORDER_REPAIRED);
	return PyBool_FromLong(chain_result_order_repaired(r->res));
}

static PyObject *get_time(ResultObject *r, void *c)
{
	(void)c;
	FROM_STATE(r, S_TIME);
	return PyLong_FromLongLong(chain_result_time(r->res));
}

static PyObject *get_error_index(ResultObject *r, void *c)
{
	(void)c;
	FROM_STATE(r, S_ERROR_INDEX);
	int i = chain_result_error_index(r->res);
	return i < 0 && !chain_result_error_message(r->res) ? Py_NewRef(Py_None) : PyLong_FromLong(i);
}

static PyObject *get_error_message(ResultObject *r, void *c)
{
	(void)c;
	FROM_STATE(r, S_ERROR_MESSAGE);
	return str_or_none(chain_result_error_message(r->res));
}

static int result_bool(ResultObject *r)
{
	return r->res ? chain_result_ok(r->res) : PyObject_IsTrue(PyTuple_GET_ITEM(r->state, S_OK));
}

static PyObject *result_repr(ResultObject *r)
{
	if (!r->res)
		return PyUnicode_FromFormat("<chainval.Result ok=%R code='%U' path=%zd>",
		                            PyTuple_GET_ITEM(r->state, S_OK),
		                            PyTuple_GET_ITEM(r->state, S_CODE),
		                            PyList_GET_SIZE(PyTuple_GET_ITEM(r->state, S_CERTIFICATES)));
	return PyUnicode_FromFormat("<chainval.Result ok=%s code='%s' path=%zu>",
	                            chain_result_ok(r->res) ? "True" : "False",
	                            chain_reason_str(chain_result_reason(r->res)),
	                            chain_result_cert_count(r->res));
}

static PyObject *raise_for_status(ResultObject *r, PyObject *unused)
{
	(void)unused;
	if (result_bool(r))
		Py_RETURN_NONE;
	chainval_state *st = state_of_type(Py_TYPE(r));
	PyObject *reasons = get_reasons(r, NULL), *code_str = get_code(r, NULL);
	PyObject *err = get_error_message(r, NULL);
	if (!reasons || !code_str || !err) {
		Py_XDECREF(reasons);
		Py_XDECREF(code_str);
		Py_XDECREF(err);
		return NULL;
	}
	const char *code = PyUnicode_AsUTF8(code_str);
	/* The message of the primary reason, which need not be listed first. */
	const char *msg = err != Py_None ? PyUnicode_AsUTF8(err) : NULL;
	for (Py_ssize_t i = 0; !msg && code && i < PyList_GET_SIZE(reasons); i++) {
		PyObject *p = PyList_GET_ITEM(reasons, i);
		if (PyUnicode_CompareWithASCIIString(PyStructSequence_GetItem(p, 0), code) == 0)
			msg = PyUnicode_AsUTF8(PyStructSequence_GetItem(p, 2));
	}
	if (!msg)
		msg = "not trusted";
	PyObject *exc = PyObject_CallFunction(st->verification_error, "s", msg);
	PyObject *code_obj = PyUnicode_FromString(code);
	if (exc && code_obj && PyObject_SetAttrString(exc, "result", (PyObject *)r) == 0 &&
	    PyObject_SetAttrString(exc, "code", code_obj) == 0)
		PyErr_SetObject(st->verification_error, exc);
	Py_XDECREF(exc);
	Py_XDECREF(code_obj);
	Py_DECREF(reasons);
	Py_DECREF(code_str);
	Py_DECREF(err);
	return NULL;
}

static PyGetSetDef result_getset[] = {
	{"ok", (getter)get_ok, NULL, "True when the chain is trusted under the policy.", NULL},
	{"code", (getter)get_code, NULL, "Primary reason name ('ok' when trusted).", NULL},
	{"reasons", (getter)get_reasons, NULL, "Every problem found, as Problem tuples.", NULL},
	{"chain", (getter)get_chain, NULL, "The reported path as DER bytes, leaf first.", NULL},
	{"certificates", (getter)get_certificates, NULL, "The reported path as Certificate tuples.", NULL},
	{"anchored", (getter)get_anchored, NULL, "True when the reported path ends at an anchor.", NULL},
	{"attempts", (getter)get_attempts, NULL, "Every path tried, as Attempt tuples, in the order tried (Policy(explain=...); else empty).", NULL},
	{"ocsp", (getter)get_ocsp, NULL, "The stapled OCSP response's verdict on the leaf: 'good', 'revoked', 'unusable' (reported, otherwise ignored), or None (none given).", NULL},
	{"ocsp_message", (getter)get_ocsp_message, NULL, "What the stapled OCSP response said (the revocation date and reason, or why it was unusable), or None.", NULL},
	{"attempts_dropped", (getter)get_attempts_dropped, NULL, "Paths tried but not kept in attempts (over Policy(explain=N)).", NULL},
	{"order_repaired", (getter)get_order_repaired, NULL, "True when Policy(repair_order=True) took another served certificate than the first as the leaf.", NULL},
	{"time", (getter)get_time, NULL, "The verification time used (unix seconds).", NULL},
	{"error_index", (getter)get_error_index, NULL, "For malformed/input_limit results: the offending certificate's index (-1: the whole chain); else None.", NULL},
	{"error_message", (getter)get_error_message, NULL, "For malformed/input_limit results: what was wrong; else None.", NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

/* What a chainval scan row reports of the path, without building the
 * Certificate objects (subject, issuer, serial, times and DER of each). */
static PyObject *row_fields(ResultObject *r, PyObject *unused)
{
	(void)unused;
	const chain_result *res = r->res;
	if (!res)
		return PyErr_Format(PyExc_TypeError, "_row_fields() needs a result made by this process");
	size_t n = chain_result_cert_count(res);
	bool pool = false;
	PyObject *fingerprints = PyList_New((Py_ssize_t)n);
	for (size_t i = 0; fingerprints && i < n; i++) {
		PyList_SET_ITEM(fingerprints, (Py_ssize_t)i, str_or_none(chain_result_cert_fingerprint(res, i)));
		pool = pool || chain_result_cert_source(res, i) == CHAIN_SOURCE_POOL;
	}
	if (!fingerprints || PyErr_Occurred()) {
		Py_XDECREF(fingerprints);
		return NULL;
	}
	PyObject *anchor = n && chain_result_anchored(res)
	                           ? str_or_none(chain_result_cert_subject(res, n - 1)) : Py_NewRef(Py_None);
	PyObject *issuer = n ? str_or_none(chain_result_cert_issuer(res, 0)) : Py_NewRef(Py_None);
	PyObject *not_after = n ? rfc3339(chain_result_cert_not_after(res, 0)) : Py_NewRef(Py_None);
	return Py_BuildValue("(NNNNO)", fingerprints, anchor, issuer, not_after,
	                     pool ? Py_True : Py_False);
}

static PyObject *content(ResultObject *r);

static PyObject *result_reduce(ResultObject *r, PyObject *unused)
{
	(void)unused;
	PyObject *module = PyType_GetModule(Py_TYPE(r)); /* borrowed */
	PyObject *state = module ? content(r) : NULL;
	PyObject *make = state ? PyObject_GetAttrString(module, "_result_from_state") : NULL;
	PyObject *out = make ? Py_BuildValue("(O(O))", make, state) : NULL;
	Py_XDECREF(make);
	Py_XDECREF(state);
	return out;
}

/* A Result again from content(): what unpickling calls. The state is
 * checked for its shape (a pickle is trusted input, but a wrong one should
 * fail here, not in a getter). */
PyObject *chainval_result_from_state(PyObject *module, PyObject *state)
{
	chainval_state *st = state_of_module(module);
	static const char *const what = "not a chainval.Result state";
	Py_ssize_t size = PyTuple_Check(state) ? PyTuple_GET_SIZE(state) : 0;
	if (size == S_COUNT_0_2) { /* a 0.2 pickle: no attempts, no OCSP */
		PyObject *more = Py_BuildValue("(NiOO)", PyList_New(0), 0, Py_None, Py_None);
		PyObject *full = more ? PySequence_Concat(state, more) : NULL;
		Py_XDECREF(more);
		PyObject *out = full ? chainval_result_from_state(module, full) : NULL;
		Py_XDECREF(full);
		return out;
	}
	if (size != S_COUNT ||
	    !PyBool_Check(PyTuple_GET_ITEM(state, S_OK)) ||
	    !PyUnicode_Check(PyTuple_GET_ITEM(state, S_CODE)) ||
	    !PyList_Check(PyTuple_GET_ITEM(state, S_REASONS)) ||
	    !PyList_Check(PyTuple_GET_ITEM(state, S_CERTIFICATES)) ||
	    !PyLong_Check(PyTuple_GET_ITEM(state, S_TIME)))
		return PyErr_Format(PyExc_TypeError, "%s", what);
	PyObject *reasons = PyTuple_GET_ITEM(state, S_REASONS);
	PyObject *certs = PyTuple_GET_ITEM(state, S_CERTIFICATES);
	PyObject *attempts = PyTuple_GET_ITEM(state, S_ATTEMPTS);
	PyObject *ocsp = PyTuple_GET_ITEM(state, S_OCSP), *ocsp_msg = PyTuple_GET_ITEM(state, S_OCSP_MESSAGE);
	if (!PyList_Check(attempts) || !PyLong_Check(PyTuple_GET_ITEM(state, S_DROPPED)) ||
	    (ocsp != Py_None && !PyUnicode_Check(ocsp)) ||
	    (ocsp_msg != Py_None && !PyUnicode_Check(ocsp_msg)))
		return PyErr_Format(PyExc_TypeError, "%s", what);
	for (Py_ssize_t i = 0; i < PyList_GET_SIZE(attempts); i++)
		if (!chainval_is_attempt(st, PyList_GET_ITEM(attempts, i)))
			return PyErr_Format(PyExc_TypeError, "%s", what);
	for (Py_ssize_t i = 0; i < PyList_GET_SIZE(reasons); i++)
		if (!PyObject_TypeCheck(PyList_GET_ITEM(reasons, i), st->problem_type))
			return PyErr_Format(PyExc_TypeError, "%s", what);
	PyObject *chain = PyList_New(PyList_GET_SIZE(certs));
	for (Py_ssize_t i = 0; chain && i < PyList_GET_SIZE(certs); i++) {
		PyObject *c = PyList_GET_ITEM(certs, i);
		if (!PyObject_TypeCheck(c, st->certificate_type)) {
			Py_CLEAR(chain);
			return PyErr_Format(PyExc_TypeError, "%s", what);
		}
		PyList_SET_ITEM(chain, i, Py_NewRef(PyStructSequence_GetItem(c, 6))); /* der */
	}
	ResultObject *r = chain ? PyObject_New(ResultObject, st->result_type) : NULL;
	if (!r) {
		Py_XDECREF(chain);
		return NULL;
	}
	r->res = NULL;
	r->state = Py_NewRef(state);
	r->reasons = Py_NewRef(reasons);
	r->certificates = Py_NewRef(certs);
	r->attempts = Py_NewRef(attempts);
	r->chain = chain;
	return (PyObject *)r;
}

static PyMethodDef result_methods[] = {
	{"__reduce__", (PyCFunction)result_reduce, METH_NOARGS, "Pickling: the result's content."},
	{"raise_for_status", (PyCFunction)raise_for_status, METH_NOARGS,
	 "raise_for_status() -> None\n\nRaise VerificationError (with .result and .code) unless ok."},
	{"_row_fields", (PyCFunction)row_fields, METH_NOARGS,
	 "_row_fields() -> (fingerprints, anchor, issuer, not_after, pool_used)\n\nFor chainval.scan: "
	 "the path's SHA-256 fingerprints, the anchor's subject (None when not anchored), the "
	 "leaf's issuer and notAfter (RFC 3339), and whether the pool supplied a certificate."},
	{NULL, NULL, 0, NULL},
};

/* Everything a Result says, for ==: two results are equal when they read
 * the same through every attribute. */
static PyObject *content(ResultObject *r)
{
	return Py_BuildValue("(NNNNNNNNNNNNN)", get_ok(r, NULL), get_code(r, NULL),
	                     get_reasons(r, NULL), get_certificates(r, NULL), get_anchored(r, NULL),
	                     get_order_repaired(r, NULL), get_time(r, NULL),
	                     get_error_index(r, NULL), get_error_message(r, NULL),
	                     get_attempts(r, NULL), get_attempts_dropped(r, NULL), get_ocsp(r, NULL),
	                     get_ocsp_message(r, NULL));
}

static PyObject *result_richcompare(PyObject *a, PyObject *b, int op)
{
	if ((op != Py_EQ && op != Py_NE) || Py_TYPE(a) != Py_TYPE(b))
		Py_RETURN_NOTIMPLEMENTED;
	PyObject *x = content((ResultObject *)a), *y = x ? content((ResultObject *)b) : NULL;
	PyObject *out = y ? PyObject_RichCompare(x, y, op) : NULL;
	Py_XDECREF(x);
	Py_XDECREF(y);
	return out;
}

static PyType_Slot result_slots[] = {
	{Py_tp_dealloc, result_dealloc},
	{Py_tp_getset, result_getset},
	{Py_tp_methods, result_methods},
	{Py_tp_repr, result_repr},
	{Py_tp_richcompare, result_richcompare},
	{Py_nb_bool, result_bool},
	{Py_tp_doc, "The outcome of one verification (made by verify() and verify_many() only).\n\n"
	            "bool(result) is result.ok. On failure, .chain and .certificates show the most "
	            "plausible failing path and .reasons every problem on it."},
	{0, NULL},
};

static PyType_Spec result_spec = {
	"chainval.Result", sizeof(ResultObject), 0,
	Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION, result_slots};

int chainval_exec_result(PyObject *m)
{
	chainval_state *st = state_of_module(m);
	if (!(st->datetime_api = PyCapsule_Import(PyDateTime_CAPSULE_NAME, 0)))
		return -1;
	st->result_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &result_spec, NULL);
	st->problem_type = PyStructSequence_NewType(&problem_desc);
	st->certificate_type = PyStructSequence_NewType(&cert_desc);
	if (!st->result_type || !st->problem_type || !st->certificate_type)
		return -1;
	if (PyModule_AddType(m, st->result_type) < 0 || PyModule_AddType(m, st->problem_type) < 0 ||
	    PyModule_AddType(m, st->certificate_type) < 0)
		return -1;
	return 0;
}
