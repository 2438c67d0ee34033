/* A Python chain argument (a list of DER/PEM items, or one PEM bundle, or
 * one DER certificate) as DER pointers for libchain. DER bytes are borrowed
 * from bytes objects (kept alive in `keep`) and copied from other buffers;
 * PEM is decoded once. An item that holds no certificate, or a PEM block
 * that does not decode, makes the whole chain unreadable (d->bad, with the
 * position and why): never a shorter chain verified in its place. */
#include "_chainval.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Double an array when full (element pointers copied as bytes: see
 * libchain/util.c for why). */
static int grow(void *array, size_t *cap, size_t n, size_t elem)
{
	void *old, *grown;
	if (n < *cap)
		return 0;
	size_t want = *cap ? *cap * 2 : 8;
	memcpy(&old, array, sizeof(old));
	if (!(grown = realloc(old, want * elem)))
		return -1;
	memcpy(array, &grown, sizeof(grown));
	*cap = want;
	return 0;
}

static int push(chainval_ders *d, const unsigned char *der, size_t len)
{
	if (grow(&d->ders, &d->cap_ders, d->n, sizeof(*d->ders)) < 0 ||
	    grow(&d->lens, &d->cap_lens, d->n, sizeof(*d->lens)) < 0)
		return -1;
	d->ders[d->n] = der;
	d->lens[d->n++] = len;
	return 0;
}

/* pem_block()'s answer once the chain limit is passed: chain_pem_foreach()
 * stops, and libchain reports input_limit from the lengths alone. */
#define STOP 1

/* An entry that only carries a length over the chain limit: libchain
 * refuses the chain from the lengths before it reads a byte. */
static int push_over_limit(chainval_ders *d, size_t len)
{
	return push(d, (const unsigned char *)"", len) < 0 ? CHAIN_ENOMEM : STOP;
}

/* The chain cannot be read: say why and where (a malformed result, or
 * ParseError for verify()); nothing more is read. */
static int bad(chainval_ders *d, const char *fmt, ...)
{
	va_list ap;
	if (d->lenient) /* a pool: an empty entry, which libchain lists as rejected */
		return push(d, (const unsigned char *)"", 0) < 0 ? CHAIN_ENOMEM : 0;
	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	d->bad = true;
	d->bad_index = (int)d->n;
	return 0;
}

static int pem_block(void *ctx, size_t index, const unsigned char *der, size_t len)
{
	chainval_ders *d = ctx;
	unsigned char *copy;
	if (!der) {
		int ret = bad(d, "item %zd: PEM block %zu does not decode (bad base64)", d->item, index);
		return ret < 0 ? ret : d->bad ? STOP : 0;
	}
	d->bytes += len;
	if (d->bytes > d->max_bytes)
		return push_over_limit(d, len);
	if (grow(&d->owned, &d->cap_owned, d->n_owned, sizeof(*d->owned)) < 0 ||
	    !(copy = malloc(len ? len : 1)))
		return CHAIN_ENOMEM;
	memcpy(copy, der, len);
	d->owned[d->n_owned++] = copy;
	return push(d, copy, len) < 0 ? CHAIN_ENOMEM : 0;
}

/* Text that is only base64 (what a JSONL dataset holds): a common mistake
 * worth naming. */
static bool looks_like_base64(const char *p, Py_ssize_t len)
{
	Py_ssize_t n = 0;
	for (Py_ssize_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch == '\n' || ch == '\r' || ch == ' ')
			continue;
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '+' || ch == '/' || ch == '='))
			return false;
		n++;
	}
	return n >= 16 && n % 4 == 0;
}

/* No certificate in the bytes or text of one item: what was seen instead. */
static int nothing_readable(chainval_ders *d, const char *buf, Py_ssize_t len, bool text)
{
	if (len == 0)
		return bad(d, "item %zd is empty", d->item);
	if (looks_like_base64(buf, len))
		return bad(d, "item %zd looks like base64 text: decode it (base64.b64decode) or wrap "
		              "it in a PEM CERTIFICATE block", d->item);
	if (text)
		return bad(d, "item %zd: no PEM CERTIFICATE block in the text", d->item);
	return bad(d, "item %zd is not DER (first byte 0x%02x) and has no PEM CERTIFICATE block",
	           d->item, (unsigned char)buf[0]);
}

/* DER bytes kept by reference (@owner stays alive in d->keep) or, when
 * @owner is NULL, copied (a bytearray may change while libchain reads). */
static int add_der(chainval_ders *d, const char *buf, Py_ssize_t len, PyObject *owner)
{
	unsigned char *copy = NULL;
	d->bytes += (size_t)len;
	if (d->bytes > d->max_bytes)
		return push_over_limit(d, (size_t)len) < 0 ? (PyErr_NoMemory(), -1) : 0;
	if (owner && PyList_Append(d->keep, owner) < 0)
		return -1;
	if (!owner) {
		if (grow(&d->owned, &d->cap_owned, d->n_owned, sizeof(*d->owned)) < 0 ||
		    !(copy = malloc((size_t)len)))
			return PyErr_NoMemory(), -1;
		memcpy(copy, buf, (size_t)len);
		d->owned[d->n_owned++] = copy;
	}
	const unsigned char *der = copy ? copy : (const unsigned char *)buf;
	return push(d, der, (size_t)len) < 0 ? (PyErr_NoMemory(), -1) : 0;
}

/* PEM text with one or more CERTIFICATE blocks. */
static int add_pem(chainval_ders *d, const char *buf, Py_ssize_t len, bool text)
{
	/* As chain_verify_pem(): a text over twice the limit plus 64 KiB is not
	 * read at all. */
	uint64_t max_text = d->max_bytes > (UINT64_MAX - 65536) / 2 ? UINT64_MAX
	                                                             : 2 * d->max_bytes + 65536;
	if ((uint64_t)len > max_text) {
		d->bytes += (size_t)len;
		return push_over_limit(d, (size_t)len) < 0 ? (PyErr_NoMemory(), -1) : 0;
	}
	long blocks = chain_pem_foreach(buf, (size_t)len, pem_block, d);
	if (blocks < 0)
		return PyErr_NoMemory(), -1;
	return blocks == 0 ? nothing_readable(d, buf, len, text) : 0;
}

static int add_bytes(chainval_ders *d, const char *buf, Py_ssize_t len, PyObject *owner)
{
	if (len > 0 && (unsigned char)buf[0] == 0x30)
		return add_der(d, buf, len, owner);
	return add_pem(d, buf, len, false);
}

PyObject *chainval_der_of_object(PyObject *obj)
{
	PyObject *module = PyObject_GetAttrString((PyObject *)Py_TYPE(obj), "__module__");
	const char *name = module && PyUnicode_Check(module) ? PyUnicode_AsUTF8(module) : NULL;
	bool pyca = name && strncmp(name, "cryptography.", 13) == 0;
	Py_XDECREF(module);
	PyErr_Clear();
	PyObject *der = NULL;
	if (pyca && PyObject_HasAttrString(obj, "public_bytes")) {
		/* cryptography is loaded already: its object is here. */
		PyObject *ser = PyImport_ImportModule("cryptography.hazmat.primitives.serialization");
		PyObject *enc = ser ? PyObject_GetAttrString(ser, "Encoding") : NULL;
		PyObject *fmt = enc ? PyObject_GetAttrString(enc, "DER") : NULL;
		der = fmt ? PyObject_CallMethod(obj, "public_bytes", "O", fmt) : NULL;
		Py_XDECREF(ser);
		Py_XDECREF(enc);
		Py_XDECREF(fmt);
	} else if (!PyUnicode_Check(obj) && PyObject_HasAttrString(obj, "der")) {
		der = PyObject_GetAttrString(obj, "der"); /* chainval.testing's Cert, and the like */
	} else {
		return NULL;
	}
	if (der && !PyBytes_Check(der)) {
		PyErr_Format(PyExc_TypeError, "%.100s gave its DER as %.100s, not bytes",
		             Py_TYPE(obj)->tp_name, Py_TYPE(der)->tp_name);
		Py_CLEAR(der);
	}
	return der;
}

/* A certificate object (chainval_der_of_object()): 0 when added, -1 with an
 * exception, 1 when @obj is no certificate object (nothing raised). */
static int add_object(chainval_ders *d, PyObject *obj)
{
	PyObject *der = chainval_der_of_object(obj);
	if (!der)
		return PyErr_Occurred() ? -1 : 1;
	int ret = add_der(d, PyBytes_AS_STRING(der), PyBytes_GET_SIZE(der), der);
	Py_DECREF(der);
	return ret;
}

/* One item: DER (first byte 0x30) or PEM with one or more blocks, as bytes,
 * any bytes-like object, or str. -1 with an exception for a caller's
 * mistake (a type that is no certificate); 0 otherwise, d->bad telling
 * whether the chain could be read. */
static int add_item(chainval_ders *d, PyObject *item)
{
	Py_ssize_t len;

	if (PyBytes_Check(item))
		return add_bytes(d, PyBytes_AS_STRING(item), PyBytes_GET_SIZE(item), item);
	if (PyUnicode_Check(item)) {
		const char *buf = PyUnicode_AsUTF8AndSize(item, &len);
		if (!buf) {
			if (!PyErr_ExceptionMatches(PyExc_UnicodeError))
				return -1;
			PyErr_Clear();
			return bad(d, "item %zd is not valid text (it holds a lone surrogate), so not PEM",
			           d->item);
		}
		return add_pem(d, buf, len, true);
	}
	if (PyObject_CheckBuffer(item)) {
		Py_buffer view;
		if (PyObject_GetBuffer(item, &view, PyBUF_SIMPLE) < 0)
			return -1;
		int ret = add_bytes(d, view.buf, view.len, NULL);
		PyBuffer_Release(&view);
		return ret;
	}
	int ret = add_object(d, item);
	if (ret <= 0)
		return ret;
	PyErr_Format(PyExc_TypeError,
	             "item %zd: a certificate is bytes, bytearray or memoryview (DER or PEM), str "
	             "(PEM) or a cryptography.x509.Certificate, not %.100s", d->item,
	             Py_TYPE(item)->tp_name);
	return -1;
}

int chainval_ders_from(chainval_ders *d, PyObject *chain, uint64_t max_bytes, bool lenient)
{
	memset(d, 0, sizeof(*d));
	d->max_bytes = max_bytes;
	d->lenient = lenient;
	d->bad_index = -1;
	if (!(d->keep = PyList_New(0)))
		return -1;
	if (PyBytes_Check(chain) || PyUnicode_Check(chain) || PyByteArray_Check(chain) ||
	    PyMemoryView_Check(chain))
		return add_item(d, chain);
	if (!PyList_Check(chain) && !PyTuple_Check(chain)) {
		int ret = add_object(d, chain); /* one certificate object: the leaf */
		if (ret <= 0)
			return ret;
		PyErr_Format(PyExc_TypeError,
		             "chain must be a list of certificates or one certificate (PEM/DER "
		             "value or certificate object), not %.100s", Py_TYPE(chain)->tp_name);
		return -1;
	}
	/* A tuple of the items as they are now: reading an item may run Python
	 * code (a `der` property) that changes the caller's list. */
	PyObject *items = PySequence_Tuple(chain);
	if (!items)
		return -1;
	Py_ssize_t n = PyTuple_GET_SIZE(items);
	if (n == 0) {
		Py_DECREF(items);
		d->bad = true;
		snprintf(d->why, sizeof(d->why), "chain is empty: it needs at least the leaf");
		return 0;
	}
	int ret = 0;
	for (Py_ssize_t i = 0; i < n && ret == 0; i++) {
		PyObject *item = PyTuple_GET_ITEM(items, i);
		d->item = i;
		if (!d->bad && d->bytes <= d->max_bytes)
			ret = add_item(d, item);
		else if (!PyBytes_Check(item) && !PyUnicode_Check(item) && !PyObject_CheckBuffer(item))
			ret = add_item(d, item); /* past the end of reading, a wrong type is still a mistake */
	}
	/* The items stay alive with the chain (bytes are borrowed from them). */
	if (PyList_Append(d->keep, items) < 0)
		ret = -1;
	Py_DECREF(items);
	return ret;
}

void chainval_ders_free(chainval_ders *d)
{
	for (size_t i = 0; i < d->n_owned; i++)
		free(d->owned[i]);
	free(d->owned);
	free(d->ders);
	free(d->lens);
	Py_CLEAR(d->keep);
	memset(d, 0, sizeof(*d));
}
