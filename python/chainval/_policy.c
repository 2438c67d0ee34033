/* Policy: an immutable Python object holding a chain_policy. Its fields are
 * kept as a tuple too, for ==, hash() and repr(). */
#include "_chainval.h"

#include <math.h>
#include <string.h>

static const char *const field_names[] = {
	"hostname", "ip", "purpose", "at", "max_depth", "partial_chain", "cn_fallback",
	"allow_sha1", "strict", "repair_order", "precertificate", "min_rsa_bits", "max_sig_checks",
	"max_candidates", "max_certs", "max_chain_bytes", "max_cert_bytes", "explain",
};
enum { F_HOSTNAME, F_IP, F_PURPOSE, F_AT, F_MAX_DEPTH, F_PARTIAL, F_CN, F_SHA1, F_STRICT, F_REPAIR,
       F_PRECERT, F_RSA, F_SIG, F_CAND, F_CERTS, F_CHAIN_BYTES, F_CERT_BYTES, F_EXPLAIN, N_FIELDS };

static const chain_limit limit_of[N_FIELDS] = {
	[F_SIG] = CHAIN_LIMIT_SIG_CHECKS, [F_CAND] = CHAIN_LIMIT_CANDIDATES,
	[F_CERTS] = CHAIN_LIMIT_CERTS, [F_CHAIN_BYTES] = CHAIN_LIMIT_CHAIN_BYTES,
	[F_CERT_BYTES] = CHAIN_LIMIT_CERT_BYTES,
};

/* An int that is not a bool, within [lo, hi]; -1 with an exception otherwise. */
static int get_int(PyObject *v, const char *name, long long lo, long long hi, long long *out)
{
	if (!PyLong_Check(v) || PyBool_Check(v)) {
		PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s", name, Py_TYPE(v)->tp_name);
		return -1;
	}
	int overflow = 0;
	*out = PyLong_AsLongLongAndOverflow(v, &overflow);
	if (*out == -1 && PyErr_Occurred())
		return -1;
	if (overflow || *out < lo || *out > hi) {
		PyErr_Format(PyExc_ValueError, "%s must be between %lld and %lld", name, lo, hi);
		return -1;
	}
	return 0;
}

/* `at`: None, an int (unix seconds), or a datetime (naive means UTC).
 * Returns a new reference to None or an int. */
PyObject *chainval_time_arg(chainval_state *st, PyObject *at)
{
	long long t;

	if (at == Py_None)
		return Py_NewRef(at);
	if (PyLong_Check(at) && !PyBool_Check(at))
		return get_int(at, "at", INT64_MIN, INT64_MAX, &t) < 0 ? NULL : Py_NewRef(at);
	if (PyFloat_Check(at)) { /* unix seconds; the fraction is dropped (towards zero) */
		double v = PyFloat_AS_DOUBLE(at);
		if (!isfinite(v) || v >= 9223372036854775808.0 || v < -9223372036854775808.0)
			return PyErr_Format(PyExc_ValueError, "at must be a finite number of seconds");
		return PyLong_FromLongLong((long long)v);
	}
	int is_dt = PyObject_IsInstance(at, st->datetime);
	if (is_dt <= 0)
		return is_dt < 0 ? NULL
		                 : PyErr_Format(PyExc_TypeError,
		                                "at must be an int or float (unix seconds), a datetime or "
		                                "None, "
		                                "not %.100s", Py_TYPE(at)->tp_name);
	/* Naive by Python's rules (no tzinfo, or one whose utcoffset() is None)
	 * means UTC: subtract the naive epoch; aware, the aware epoch. */
	PyObject *offset = PyObject_CallMethod(at, "utcoffset", NULL);
	if (!offset)
		return NULL;
	PyObject *delta, *days = NULL, *secs = NULL, *out = NULL;
	if (offset == Py_None) {
		PyObject *replace = PyObject_GetAttrString(at, "replace"), *args = PyTuple_New(0);
		PyObject *kw = Py_BuildValue("{s:O}", "tzinfo", Py_None), *naive = NULL;
		if (replace && args && kw)
			naive = PyObject_Call(replace, args, kw);
		delta = naive ? PyNumber_Subtract(naive, st->naive_epoch) : NULL;
		Py_XDECREF(replace);
		Py_XDECREF(args);
		Py_XDECREF(kw);
		Py_XDECREF(naive);
	} else {
		delta = PyNumber_Subtract(at, st->epoch);
	}
	Py_DECREF(offset);
	/* timedelta keeps 0 <= seconds < 86400, so days*86400 + seconds floors. */
	if (delta && (days = PyObject_GetAttrString(delta, "days")) &&
	    (secs = PyObject_GetAttrString(delta, "seconds")))
		out = PyLong_FromLongLong(PyLong_AsLongLong(days) * 86400 + PyLong_AsLongLong(secs));
	Py_XDECREF(delta);
	Py_XDECREF(days);
	Py_XDECREF(secs);
	return out;
}

/* UTF-8 of a str field; a NUL inside would silently cut the value short. */
static const char *text_of(PyObject *v, const char *name)
{
	Py_ssize_t len;
	const char *s = PyUnicode_AsUTF8AndSize(v, &len);
	if (s && (size_t)len != strlen(s)) {
		PyErr_Format(PyExc_ValueError, "%s must not contain NUL characters", name);
		return NULL;
	}
	return s;
}

static int set_limit(chain_policy *p, chain_limit which, PyObject *v, const char *name)
{
	long long n;
	if (v == Py_None)
		return 0;
	if (get_int(v, name, 1, INT64_MAX, &n) < 0)
		return -1;
	return chain_policy_set_limit(p, which, (uint64_t)n);
}

static const char *purpose_oid(const char *purpose)
{
	if (strcmp(purpose, "server") == 0)
		return CHAIN_PURPOSE_TLS_SERVER;
	if (strcmp(purpose, "client") == 0)
		return CHAIN_PURPOSE_TLS_CLIENT;
	if (strcmp(purpose, "any") == 0)
		return NULL;
	return purpose;
}

/* Apply the (already type-checked) fields to a fresh chain_policy. */
static int configure(chainval_state *st, chain_policy *p, PyObject **f)
{
	long long n;
	const char *s;

	if (f[F_HOSTNAME] != Py_None) {
		if (!(s = text_of(f[F_HOSTNAME], "hostname")))
			return -1;
		if (chain_policy_set_hostname(p, s) < 0) {
			PyErr_Format(PyExc_ValueError, "invalid hostname %R (DNS names as A-labels, or an IP address)",
			             f[F_HOSTNAME]);
			return -1;
		}
	}
	if (f[F_IP] != Py_None) {
		if (!(s = text_of(f[F_IP], "ip")))
			return -1;
		if (chain_policy_set_ip(p, s) < 0) {
			PyErr_Format(PyExc_ValueError, "invalid IP address %R", f[F_IP]);
			return -1;
		}
	}
	if (!(s = text_of(f[F_PURPOSE], "purpose")))
		return -1;
	if (chain_policy_set_purpose(p, purpose_oid(s)) < 0) {
		PyErr_Format(PyExc_ValueError,
		             "purpose must be 'server', 'client', 'any' or a dotted OID, not %R",
		             f[F_PURPOSE]);
		return -1;
	}
	if (f[F_AT] != Py_None) {
		if (get_int(f[F_AT], "at", INT64_MIN, INT64_MAX, &n) < 0)
			return -1;
		chain_policy_set_time(p, (int64_t)n);
	}
	if (f[F_MAX_DEPTH] != Py_None) {
		if (get_int(f[F_MAX_DEPTH], "max_depth", 0, 64, &n) < 0)
			return -1;
		chain_policy_set_max_depth(p, (unsigned int)n);
	}
	if (f[F_RSA] != Py_None) {
		if (get_int(f[F_RSA], "min_rsa_bits", 0, 16384, &n) < 0)
			return -1;
		chain_policy_set_min_rsa_bits(p, (unsigned int)n);
	}
	chain_policy_set_partial_chain(p, f[F_PARTIAL] == Py_True);
	chain_policy_set_cn_fallback(p, f[F_CN] == Py_True);
	chain_policy_set_allow_sha1(p, f[F_SHA1] == Py_True);
	chain_policy_set_strict(p, f[F_STRICT] == Py_True);
	chain_policy_set_repair_order(p, f[F_REPAIR] == Py_True);
	chain_policy_set_precertificate(p, f[F_PRECERT] == Py_True);
	for (int i = F_SIG; i <= F_CERT_BYTES; i++)
		if (set_limit(p, limit_of[i], f[i], field_names[i]) < 0)
			return -1;
	n = 0;
	if (f[F_EXPLAIN] != Py_False && get_int(f[F_EXPLAIN], "explain", 1, 1 << 20, &n) < 0)
		return -1;
	chain_policy_set_explain(p, (size_t)n);
	(void)st;
	return 0;
}

static int check_types(PyObject **f)
{
	static const int strings[] = {F_HOSTNAME, F_IP, F_PURPOSE};
	static const int flags[] = {F_PARTIAL, F_CN, F_SHA1, F_STRICT, F_REPAIR, F_PRECERT};
	for (size_t i = 0; i < 3; i++) {
		PyObject *v = f[strings[i]];
		if (v != Py_None && !PyUnicode_Check(v)) {
			PyErr_Format(PyExc_TypeError, "%s must be a str, not %.100s", field_names[strings[i]],
			             Py_TYPE(v)->tp_name);
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (!PyBool_Check(f[flags[i]])) {
			PyErr_Format(PyExc_TypeError, "%s must be a bool", field_names[flags[i]]);
			return -1;
		}
	}
	if (f[F_PURPOSE] == Py_None) {
		PyErr_SetString(PyExc_TypeError, "purpose must be a str ('server', 'client', 'any' or an OID)");
		return -1;
	}
	if (f[F_HOSTNAME] != Py_None && f[F_IP] != Py_None) {
		PyErr_SetString(PyExc_ValueError, "give hostname or ip, not both");
		return -1;
	}
	return 0;
}

static PyObject *policy_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
	static char *kw[N_FIELDS + 1];
	PyObject *f[N_FIELDS];
	chainval_state *st = state_of_type(type);

	if (!st)
		return NULL;
	for (int i = 0; i < N_FIELDS; i++) {
		kw[i] = (char *)field_names[i];
		f[i] = Py_None;
	}
	f[F_PURPOSE] = NULL;
	f[F_PARTIAL] = f[F_CN] = f[F_SHA1] = f[F_REPAIR] = f[F_PRECERT] = Py_False;
	f[F_STRICT] = Py_True;
	f[F_EXPLAIN] = Py_False;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|$OOOOOOOOOOOOOOOOOO:Policy", kw, &f[0], &f[1],
	                                 &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9],
	                                 &f[10], &f[11], &f[12], &f[13], &f[14], &f[15], &f[16],
	                                 &f[17]))
		return NULL;
	PyObject *server = NULL;
	if (!f[F_PURPOSE] && !(f[F_PURPOSE] = server = PyUnicode_FromString("server")))
		return NULL;
	PyObject *at = NULL, *key = NULL, *addresses[2] = {NULL, NULL}, *explain = NULL;
	PolicyObject *self = NULL;
	/* ipaddress.IPv4Address / IPv6Address for ip= or hostname=: their text
	 * (recognised by module, so ipaddress is not imported otherwise). */
	const int address_fields[2] = {F_IP, F_HOSTNAME};
	for (int i = 0; i < 2; i++) {
		PyObject *v = f[address_fields[i]];
		if (v == Py_None || PyUnicode_Check(v))
			continue;
		PyObject *mod = PyObject_GetAttrString((PyObject *)Py_TYPE(v), "__module__");
		bool is_address = mod && PyUnicode_Check(mod) &&
		                  PyUnicode_CompareWithASCIIString(mod, "ipaddress") == 0;
		Py_XDECREF(mod);
		PyErr_Clear();
		if (is_address && !(f[address_fields[i]] = addresses[i] = PyObject_Str(v)))
			goto done;
	}
	/* explain: False (off), True (the default bound) or a bound; kept as
	 * False or an int, so that equal policies compare equal. */
	if (f[F_EXPLAIN] == Py_True) {
		if (!(f[F_EXPLAIN] = explain = PyLong_FromLong(CHAIN_EXPLAIN_DEFAULT)))
			goto done;
	} else if (PyLong_CheckExact(f[F_EXPLAIN]) && PyLong_AsLong(f[F_EXPLAIN]) == 0) {
		f[F_EXPLAIN] = Py_False;
	}
	if (check_types(f) < 0 || !(at = chainval_time_arg(st, f[F_AT])))
		goto done;
	f[F_AT] = at;
	if (!(key = PyTuple_New(N_FIELDS)))
		goto done;
	for (int i = 0; i < N_FIELDS; i++)
		PyTuple_SET_ITEM(key, i, Py_NewRef(f[i]));
	if (!(self = (PolicyObject *)type->tp_alloc(type, 0)))
		goto done;
	self->key = Py_NewRef(key);
	int ret = chain_policy_new(&self->policy);
	if (ret < 0) {
		chainval_raise(st, ret, "Policy");
		Py_CLEAR(self);
	} else if (configure(st, self->policy, f) < 0) {
		Py_CLEAR(self);
	}
done:
	Py_XDECREF(server);
	Py_XDECREF(explain);
	Py_XDECREF(addresses[0]);
	Py_XDECREF(addresses[1]);
	Py_XDECREF(at);
	Py_XDECREF(key);
	return (PyObject *)self;
}

PyObject *chainval_policy_new_default(chainval_state *st)
{
	PyObject *args = PyTuple_New(0);
	PyObject *p = args ? policy_new(st->policy_type, args, NULL) : NULL;
	Py_XDECREF(args);
	return p;
}

static void policy_dealloc(PolicyObject *self)
{
	PyTypeObject *tp = Py_TYPE(self);
	chain_policy_free(self->policy);
	Py_XDECREF(self->key);
	tp->tp_free(self);
	Py_DECREF(tp);
}

static PyObject *policy_field(PolicyObject *self, void *closure)
{
	return Py_NewRef(PyTuple_GET_ITEM(self->key, (Py_ssize_t)closure));
}

/* max_depth and min_rsa_bits read as the library's effective value. */
static PyObject *policy_max_depth(PolicyObject *self, void *closure)
{
	(void)closure;
	PyObject *v = PyTuple_GET_ITEM(self->key, F_MAX_DEPTH);
	return v == Py_None ? PyLong_FromLong(8) : Py_NewRef(v);
}

static PyObject *policy_repr(PolicyObject *self)
{
	PyObject *parts = PyList_New(0), *out = NULL, *sep = NULL;
	if (!parts)
		return NULL;
	for (int i = 0; i < N_FIELDS; i++) {
		PyObject *v = PyTuple_GET_ITEM(self->key, i);
		bool is_default = v == Py_None || (v == Py_False && i != F_STRICT) ||
		                  (v == Py_True && i == F_STRICT);
		if (i == F_PURPOSE)
			is_default = false;
		if (is_default)
			continue;
		PyObject *item = PyUnicode_FromFormat("%s=%R", field_names[i], v);
		if (!item || PyList_Append(parts, item) < 0) {
			Py_XDECREF(item);
			goto done;
		}
		Py_DECREF(item);
	}
	if ((sep = PyUnicode_FromString(", "))) {
		PyObject *joined = PyUnicode_Join(sep, parts);
		if (joined)
			out = PyUnicode_FromFormat("Policy(%U)", joined);
		Py_XDECREF(joined);
	}
done:
	Py_XDECREF(sep);
	Py_DECREF(parts);
	return out;
}

static PyObject *policy_richcompare(PyObject *a, PyObject *b, int op)
{
	if (Py_TYPE(a) != Py_TYPE(b) || (op != Py_EQ && op != Py_NE))
		Py_RETURN_NOTIMPLEMENTED;
	return PyObject_RichCompare(((PolicyObject *)a)->key, ((PolicyObject *)b)->key, op);
}

static Py_hash_t policy_hash(PolicyObject *self)
{
	return PyObject_Hash(self->key);
}

#define FIELD(name, idx, doc) {name, (getter)policy_field, NULL, doc, (void *)(Py_ssize_t)(idx)}
/* The fields as given (None where not), in field_names order: what
 * pickling needs to make the same Policy again (chainval/__init__.py). */
static PyObject *policy_given(PolicyObject *self, void *closure)
{
	(void)closure;
	PyObject *d = PyDict_New();
	for (int i = 0; d && i < N_FIELDS; i++) {
		PyObject *v = PyTuple_GET_ITEM(self->key, i);
		if (v != Py_None && PyDict_SetItemString(d, field_names[i], v) < 0)
			Py_CLEAR(d);
	}
	return d;
}

static PyGetSetDef policy_getset[] = {
	{"_given", (getter)policy_given, NULL, "The keyword arguments that make this Policy again.",
	 NULL},
	FIELD("hostname", F_HOSTNAME, "DNS name or IP literal the leaf must match, or None."),
	FIELD("ip", F_IP, "IP address the leaf must match, or None."),
	FIELD("purpose", F_PURPOSE, "'server', 'client', 'any' or a dotted EKU OID."),
	FIELD("at", F_AT, "Verification time in unix seconds, or None for now."),
	{"max_depth", (getter)policy_max_depth, NULL, "Maximum intermediates between leaf and anchor.", NULL},
	FIELD("partial_chain", F_PARTIAL, "Whether any store certificate may be an anchor."),
	FIELD("cn_fallback", F_CN, "Whether the subject CN is matched when the leaf has no SAN."),
	FIELD("allow_sha1", F_SHA1, "Whether SHA-1 signatures are accepted."),
	FIELD("strict", F_STRICT, "Whether RFC 5280 / CA/B Forum structural rules apply."),
	FIELD("repair_order", F_REPAIR, "Whether the leaf is detected when not served first."),
	FIELD("precertificate", F_PRECERT, "Whether the leaf is verified as a CT precertificate."),
	FIELD("min_rsa_bits", F_RSA, "Smallest RSA key accepted, or None for the default (2048)."),
	FIELD("max_sig_checks", F_SIG, "Signature-check budget, or None (100)."),
	FIELD("max_candidates", F_CAND, "Candidate budget, or None (2000)."),
	FIELD("max_certs", F_CERTS, "Distinct served certificates allowed, or None (32)."),
	FIELD("max_chain_bytes", F_CHAIN_BYTES, "Served chain size bound, or None (1 MiB)."),
	FIELD("max_cert_bytes", F_CERT_BYTES, "Certificate size bound, or None (64 KiB)."),
	FIELD("explain", F_EXPLAIN, "False, or how many tried paths results keep (Result.attempts)."),
	{NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot policy_slots[] = {
	{Py_tp_new, policy_new},
	{Py_tp_dealloc, policy_dealloc},
	{Py_tp_getset, policy_getset},
	{Py_tp_repr, policy_repr},
	{Py_tp_richcompare, policy_richcompare},
	{Py_tp_hash, policy_hash},
	{Py_tp_doc, "Policy(*, hostname=None, ip=None, purpose='server', at=None, max_depth=None, "
	            "partial_chain=False, cn_fallback=False, allow_sha1=False, strict=True, repair_order=False, "
	            "precertificate=False, min_rsa_bits=None, "
	            "max_sig_checks=None, max_candidates=None, max_certs=None, max_chain_bytes=None, "
	            "max_cert_bytes=None, explain=False)\n--\n\n"
	            "What a chain must satisfy. Immutable, hashable, shareable between threads.\n"
	            "explain: True (keep up to 64 tried paths), a number of them, or False: "
	            "Result.attempts. "
	            "purpose: 'server', 'client', 'any' or a dotted EKU OID. at: unix seconds (int), "
	            "a datetime (naive means UTC) or None (the clock at each verification). "
	            "max_depth: intermediates between leaf and anchor (None: 8). precertificate: verify "
	            "the leaf as an RFC 6962 precertificate (its poison extension accepted, a "
	            "Precertificate Signing Certificate as its issuer). An IP literal given "
	            "as hostname is checked as an address; hostname and ip together are a ValueError."},
	{0, NULL},
};

static PyType_Spec policy_spec = {"chainval.Policy", sizeof(PolicyObject), 0,
                                  Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE, policy_slots};

int chainval_exec_policy(PyObject *m)
{
	chainval_state *st = state_of_module(m);
	st->policy_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &policy_spec, NULL);
	if (!st->policy_type || PyModule_AddType(m, st->policy_type) < 0)
		return -1;
	return 0;
}
