/* The one place where libchain errors become Python exceptions. */
#include "_chainval.h"

PyObject *chainval_raise(chainval_state *st, int err, const char *context)
{
	const char *what = chain_error_str(err);
	switch (err) {
	case CHAIN_ENOMEM:
		return PyErr_NoMemory();
	case CHAIN_EINVAL:
		return PyErr_Format(PyExc_ValueError, "%s: %s", context, what);
	case CHAIN_EPARSE:
		return chainval_raise_parse(st, context, -1);
	case CHAIN_EIO:
		return PyErr_Format(PyExc_OSError, "%s: %s", context, what);
	case CHAIN_ELIMIT:
		return PyErr_Format(PyExc_ValueError, "%s: %s", context, what);
	case CHAIN_ENOTFOUND:
		return PyErr_Format(PyExc_FileNotFoundError, "%s: %s", context, what);
	default: /* CHAIN_ERROR, CHAIN_EBACKEND */
		return PyErr_Format(st->backend_error, "%s: %s", context, what);
	}
}

void chainval_prefix_error(const char *fmt, Py_ssize_t i)
{
	PyObject *type, *value, *tb;
	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	PyObject *prefix = PyUnicode_FromFormat(fmt, i);
	PyObject *text = value ? PyObject_Str(value) : NULL;
	if (prefix && text && PyErr_GivenExceptionMatches(type, PyExc_TypeError)) {
		PyErr_Format(type, "%U%U", prefix, text);
		Py_XDECREF(type);
		Py_XDECREF(value);
		Py_XDECREF(tb);
	} else {
		PyErr_Restore(type, value, tb); /* memory errors and the like, as they are */
	}
	Py_XDECREF(prefix);
	Py_XDECREF(text);
}

PyObject *chainval_raise_parse(chainval_state *st, const char *message, int index)
{
	PyObject *exc = PyObject_CallFunction(st->parse_error, "s", message);
	if (!exc)
		return NULL;
	PyObject *idx = PyLong_FromLong(index);
	if (idx && PyObject_SetAttrString(exc, "index", idx) == 0)
		PyErr_SetObject(st->parse_error, exc);
	Py_XDECREF(idx);
	Py_DECREF(exc);
	return NULL;
}

static PyObject *new_exception(PyObject *m, const char *name, PyObject *bases, const char *doc)
{
	PyObject *exc = PyErr_NewExceptionWithDoc(name, doc, bases, NULL);
	if (exc && PyModule_AddObjectRef(m, strrchr(name, '.') + 1, exc) < 0)
		Py_CLEAR(exc);
	return exc;
}

int chainval_exec_errors(PyObject *m)
{
	chainval_state *st = state_of_module(m);
	PyObject *bases = NULL;

	st->error = new_exception(m, "chainval.Error", NULL,
	                          "Base class of every exception chainval raises.");
	if (!st->error)
		return -1;
	if (!(bases = PyTuple_Pack(2, st->error, PyExc_ValueError)))
		return -1;
	st->parse_error = new_exception(m, "chainval.ParseError", bases,
	                                "Input is not a certificate (or not readable PEM/DER). "
	                                "`index` is the offending certificate's position, or -1.");
	Py_DECREF(bases);
	st->verification_error = new_exception(m, "chainval.VerificationError", st->error,
	                                       "Raised by Result.raise_for_status(); `result` is "
	                                       "the failing Result.");
	st->backend_error = new_exception(m, "chainval.BackendError", st->error,
	                                  "GnuTLS or libchain failed for a reason other than the "
	                                  "input.");
	return st->parse_error && st->verification_error && st->backend_error ? 0 : -1;
}
