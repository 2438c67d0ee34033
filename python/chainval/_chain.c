/* A Python chain argument (a list of DER/PEM items, or one PEM bundle, or
 * one DER certificate) as DER pointers for libchain. DER bytes are borrowed
 * from the Python objects (kept alive in `keep`); PEM is decoded once. A
 * PEM item or block that does not decode becomes an empty entry, so that
 * libchain reports it as an unparsable certificate at its position. */
#include "_chainval.h"

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

static int pem_block(void *ctx, size_t index, const unsigned char *der, size_t len)
{
	chainval_ders *d = ctx;
	unsigned char *copy;
	(void)index;
	if (!der)
		return push(d, (const unsigned char *)"", 0) < 0 ? CHAIN_ENOMEM : 0;
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

/* One item: DER (first byte 0x30) or PEM with one or more blocks. */
static int add_item(chainval_ders *d, PyObject *item)
{
	const char *buf;
	Py_ssize_t len;

	if (PyUnicode_Check(item)) {
		if (!(buf = PyUnicode_AsUTF8AndSize(item, &len)))
			return -1;
	} else if (PyBytes_Check(item)) {
		buf = PyBytes_AS_STRING(item);
		len = PyBytes_GET_SIZE(item);
		if (len > 0 && (unsigned char)buf[0] == 0x30) {
			d->bytes += (size_t)len;
			if (PyList_Append(d->keep, item) < 0)
				return -1;
			return push(d, (const unsigned char *)buf, (size_t)len) < 0 ? (PyErr_NoMemory(), -1) : 0;
		}
	} else {
		PyErr_Format(PyExc_TypeError,
		             "a certificate must be bytes (DER or PEM) or str (PEM), not %.100s",
		             Py_TYPE(item)->tp_name);
		return -1;
	}
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
	if (blocks == 0 && push(d, (const unsigned char *)"", 0) < 0)
		return PyErr_NoMemory(), -1; /* neither DER nor PEM: unparsable at this position */
	return 0;
}

int chainval_ders_from(chainval_ders *d, PyObject *chain, uint64_t max_bytes)
{
	memset(d, 0, sizeof(*d));
	d->max_bytes = max_bytes;
	if (!(d->keep = PyList_New(0)))
		return -1;
	if (PyBytes_Check(chain) || PyUnicode_Check(chain))
		return add_item(d, chain);
	if (!PyList_Check(chain) && !PyTuple_Check(chain)) {
		PyErr_Format(PyExc_TypeError,
		             "chain must be a list of certificates or one PEM/DER value, not %.100s",
		             Py_TYPE(chain)->tp_name);
		return -1;
	}
	PyObject *seq = PySequence_Fast(chain, "chain must be a sequence");
	if (!seq)
		return -1;
	Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
	int ret = 0;
	if (n == 0) {
		PyErr_SetString(PyExc_ValueError, "chain is empty: it needs at least the leaf");
		ret = -1;
	}
	for (Py_ssize_t i = 0; i < n && ret == 0 && d->bytes <= d->max_bytes; i++)
		ret = add_item(d, PySequence_Fast_GET_ITEM(seq, i));
	Py_DECREF(seq);
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
