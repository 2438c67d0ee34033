/* Result.attempts: the paths explain mode recorded (Policy(explain=...)),
 * as Attempt, AttemptCertificate and Edge tuples built from libchain's
 * chain_result_attempt_*() accessors. */
#include "_chainval.h"

static PyStructSequence_Field attempt_fields[] = {
	{"end", "How it ended: 'trusted', 'rule_failed', 'no_issuer', 'loop', 'depth' or 'budget'."},
	{"certificates", "Its certificates, leaf first, as AttemptCertificate tuples."},
	{"edges", "Edge i: certificate i checked with certificate i+1's key, as Edge tuples."},
	{"reasons", "Why it was rejected, as Problem tuples (depth on this attempt)."},
	{NULL, NULL},
};
static PyStructSequence_Desc attempt_desc = {
	"chainval.Attempt", "One path the builder tried (explain mode).", attempt_fields, 4};

static PyStructSequence_Field attempt_cert_fields[] = {
	{"subject", "Subject DN (RFC 4514)."},
	{"issuer", "Issuer DN (RFC 4514)."},
	{"fingerprint_sha256", "SHA-256 of the DER, lower-case hex."},
	{"source", "Where it came from: 'served', 'pool' or 'store'."},
	{"input_index", "Its index in the served chain, -1 if not served."},
	{NULL, NULL},
};
static PyStructSequence_Desc attempt_cert_desc = {
	"chainval.AttemptCertificate", "A certificate of an attempt.", attempt_cert_fields, 5};

static PyStructSequence_Field edge_fields[] = {
	{"signature", "'good', 'bad_signature', 'unsupported' or 'not_checked'."},
	{"key_id", "True when the subject's AKI matches the issuer's SKI, False when not, None "
	           "when one is absent."},
	{"cached", "True when the cache answered the signature check."},
	{NULL, NULL},
};
static PyStructSequence_Desc edge_desc = {
	"chainval.Edge", "A signature edge of an attempt.", edge_fields, 3};

static const char *const ends[] = {"trusted", "rule_failed", "no_issuer", "loop", "depth",
                                   "budget"};
static const char *const signatures[] = {"good", "bad_signature", "unsupported", "not_checked"};
static const char *const sources[] = {"served", "pool", "store"};

static PyObject *name_of(const char *const *names, size_t n, unsigned v)
{
	return PyUnicode_FromString(v < n ? names[v] : "unknown");
}

static PyObject *text(const char *s)
{
	return s ? PyUnicode_FromString(s) : Py_NewRef(Py_None);
}

static PyObject *certificates(chainval_state *st, const chain_result *r, size_t a)
{
	size_t n = chain_result_attempt_length(r, a);
	PyObject *list = PyList_New((Py_ssize_t)n);
	for (size_t j = 0; list && j < n; j++) {
		PyObject *c = PyStructSequence_New(st->attempt_cert_type);
		if (!c) {
			Py_CLEAR(list);
			break;
		}
		PyStructSequence_SetItem(c, 0, text(chain_result_attempt_cert_subject(r, a, j)));
		PyStructSequence_SetItem(c, 1, text(chain_result_attempt_cert_issuer(r, a, j)));
		PyStructSequence_SetItem(c, 2, text(chain_result_attempt_cert_fingerprint(r, a, j)));
		PyStructSequence_SetItem(c, 3, name_of(sources, 3, chain_result_attempt_cert_source(r, a, j)));
		PyStructSequence_SetItem(c, 4, PyLong_FromLong(chain_result_attempt_cert_input_index(r, a, j)));
		PyList_SET_ITEM(list, (Py_ssize_t)j, c);
	}
	return list;
}

static PyObject *edges(chainval_state *st, const chain_result *r, size_t a)
{
	size_t len = chain_result_attempt_length(r, a), n = len ? len - 1 : 0;
	PyObject *list = PyList_New((Py_ssize_t)n);
	for (size_t j = 0; list && j < n; j++) {
		PyObject *e = PyStructSequence_New(st->edge_type);
		if (!e) {
			Py_CLEAR(list);
			break;
		}
		int key_id = chain_result_attempt_edge_key_id(r, a, j);
		PyStructSequence_SetItem(e, 0, name_of(signatures, 4, chain_result_attempt_edge(r, a, j)));
		PyStructSequence_SetItem(e, 1, key_id < 0 ? Py_NewRef(Py_None) : PyBool_FromLong(key_id));
		PyStructSequence_SetItem(e, 2, PyBool_FromLong(chain_result_attempt_edge_cached(r, a, j)));
		PyList_SET_ITEM(list, (Py_ssize_t)j, e);
	}
	return list;
}

static PyObject *reasons(chainval_state *st, const chain_result *r, size_t a)
{
	size_t n = chain_result_attempt_reason_count(r, a);
	PyObject *list = PyList_New((Py_ssize_t)n);
	for (size_t k = 0; list && k < n; k++) {
		PyObject *p = PyStructSequence_New(st->problem_type);
		if (!p) {
			Py_CLEAR(list);
			break;
		}
		int depth = chain_result_attempt_reason_depth(r, a, k);
		int index = depth >= 0 ? chain_result_attempt_cert_input_index(r, a, (size_t)depth) : -1;
		PyStructSequence_SetItem(p, 0, PyUnicode_FromString(chain_reason_str(chain_result_attempt_reason(r, a, k))));
		PyStructSequence_SetItem(p, 1, PyLong_FromLong(depth));
		PyStructSequence_SetItem(p, 2, text(chain_result_attempt_reason_message(r, a, k)));
		PyStructSequence_SetItem(p, 3, PyLong_FromLong(index));
		PyList_SET_ITEM(list, (Py_ssize_t)k, p);
	}
	return list;
}

PyObject *chainval_make_attempts(chainval_state *st, const chain_result *r)
{
	size_t n = chain_result_attempt_count(r);
	PyObject *list = PyList_New((Py_ssize_t)n);
	for (size_t a = 0; list && a < n; a++) {
		PyObject *t = PyStructSequence_New(st->attempt_type);
		if (!t) {
			Py_CLEAR(list);
			break;
		}
		PyStructSequence_SetItem(t, 0, name_of(ends, 6, chain_result_attempt_end(r, a)));
		PyStructSequence_SetItem(t, 1, certificates(st, r, a));
		PyStructSequence_SetItem(t, 2, edges(st, r, a));
		PyStructSequence_SetItem(t, 3, reasons(st, r, a));
		PyList_SET_ITEM(list, (Py_ssize_t)a, t);
	}
	if (list && PyErr_Occurred()) /* an item that could not be made */
		Py_CLEAR(list);
	return list;
}

int chainval_is_attempt(chainval_state *st, PyObject *o)
{
	return PyObject_TypeCheck(o, st->attempt_type);
}

int chainval_exec_attempts(PyObject *m)
{
	chainval_state *st = state_of_module(m);
	st->attempt_type = PyStructSequence_NewType(&attempt_desc);
	st->attempt_cert_type = PyStructSequence_NewType(&attempt_cert_desc);
	st->edge_type = PyStructSequence_NewType(&edge_desc);
	if (!st->attempt_type || !st->attempt_cert_type || !st->edge_type)
		return -1;
	if (PyModule_AddType(m, st->attempt_type) < 0 || PyModule_AddType(m, st->attempt_cert_type) < 0 ||
	    PyModule_AddType(m, st->edge_type) < 0)
		return -1;
	return 0;
}
