/* TrustStore and Pool: one layout and one set of methods over chain_store or
 * chain_pool. Loading runs without the GIL, under the object's write lock,
 * so a store may grow while other threads verify with it. */
#include "_chainval.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef int (*add_der_fn)(CertSetObject *, const unsigned char *, size_t);

static bool is_store(CertSetObject *s)
{
	return s->store != NULL;
}

void chainval_set_rdlock(CertSetObject *s)
{
	pthread_rwlock_rdlock(&s->lock);
}

void chainval_set_unlock(CertSetObject *s)
{
	pthread_rwlock_unlock(&s->lock);
}

/* The one way this file takes an object's lock. The rule that keeps the
 * GIL and the lock from deadlocking: never wait for the lock while holding
 * the GIL, never wait for the GIL while holding the lock. So @fn runs with
 * the GIL released, between taking the lock and giving it back, and must
 * not touch a Python object: it copies what the caller needs into C data.
 * (_verify.c follows the same rule through chainval_set_rdlock().) */
static void under_lock(CertSetObject *s, bool write, void (*fn)(CertSetObject *, void *),
                       void *ctx)
{
	Py_BEGIN_ALLOW_THREADS
	if (write)
		pthread_rwlock_wrlock(&s->lock);
	else
		pthread_rwlock_rdlock(&s->lock);
	fn(s, ctx);
	pthread_rwlock_unlock(&s->lock);
	Py_END_ALLOW_THREADS
}

/* Without the lock: for callers that hold it. */
static size_t count_unlocked(CertSetObject *s)
{
	return is_store(s) ? chain_store_count(s->store) : chain_pool_count(s->pool);
}

static void read_count(CertSetObject *s, void *out)
{
	*(size_t *)out = count_unlocked(s);
}

static size_t count(CertSetObject *s)
{
	size_t n;
	under_lock(s, false, read_count, &n);
	return n;
}

/* fork(): a child inherits each lock in the state it had in the parent,
 * and a lock held by another thread would stay held for ever. So every
 * live store and pool is listed, and the fork waits until it holds all
 * their locks (their holders never wait for anything: under_lock()), so
 * that no store is half-changed in the child; then the parent releases them
 * and the child makes them anew. */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static CertSetObject *live;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void before_fork(void)
{
	pthread_mutex_lock(&live_lock);
	/* Stores before pools: the order a verification takes them in
	 * (_verify.c), or a verification holding its store and waiting for its
	 * pool would wait on this and this on it. */
	for (int pools = 0; pools < 2; pools++)
		for (CertSetObject *s = live; s; s = s->next)
			if ((s->pool != NULL) == pools)
				pthread_rwlock_wrlock(&s->lock);
}

static void init_lock(CertSetObject *s)
{
	pthread_rwlockattr_t attr;
	pthread_rwlockattr_init(&attr);
#ifdef __GLIBC__
	/* Writers must not starve behind a stream of verifications (glibc only:
	 * elsewhere the platform's default policy applies). */
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
	pthread_rwlock_init(&s->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
}

static void after_fork_parent(void)
{
	for (CertSetObject *s = live; s; s = s->next)
		pthread_rwlock_unlock(&s->lock);
	pthread_mutex_unlock(&live_lock);
}

/* In the child, unlocking is not enough: a lock may still count the
 * parent's threads that were waiting for it (glibc hands a released lock
 * to a queued writer), and those threads do not exist here. No thread of
 * the child uses the locks yet, so each is made anew. */
static void after_fork_child(void)
{
	for (CertSetObject *s = live; s; s = s->next)
		init_lock(s);
	pthread_mutex_init(&live_lock, NULL);
}

static void register_atfork(void)
{
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

static void make_live(CertSetObject *s)
{
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&live_lock);
	s->next = live;
	if (live)
		live->prev = s;
	live = s;
	pthread_mutex_unlock(&live_lock);
}

static void unmake_live(CertSetObject *s)
{
	pthread_mutex_lock(&live_lock);
	if (s->prev)
		s->prev->next = s->next;
	else if (live == s)
		live = s->next;
	if (s->next)
		s->next->prev = s->prev;
	pthread_mutex_unlock(&live_lock);
}

static CertSetObject *certset_alloc(PyTypeObject *type)
{
	CertSetObject *s = (CertSetObject *)type->tp_alloc(type, 0);
	if (!s)
		return NULL;
	init_lock(s);
	make_live(s);
	chainval_state *st = state_of_type(type);
	int ret = type == st->store_type ? chain_store_new(&s->store) : chain_pool_new(&s->pool);
	if (ret == CHAIN_OK && s->store)
		ret = chain_cache_new(&s->cache, CHAINVAL_STORE_CACHE_BYTES);
	if (ret < 0) {
		Py_DECREF(s);
		return (CertSetObject *)chainval_raise(st, ret, "cannot create");
	}
	return s;
}

static void certset_dealloc(CertSetObject *s)
{
	PyTypeObject *tp = Py_TYPE(s);
	unmake_live(s);
	chain_cache_free(s->cache);
	chain_store_free(s->store);
	chain_pool_free(s->pool);
	pthread_rwlock_destroy(&s->lock);
	tp->tp_free(s);
	Py_DECREF(tp);
}

/* Run one libchain add call without the GIL, under the write lock. */
typedef struct {
	enum { ADD_DER, ADD_PEM, ADD_FILE, ADD_DIR, ADD_SYSTEM, ADD_CRL } kind;
	const char *data;
	size_t len;
	size_t added;
	int ret;
	char why[256];
} add_op;

static size_t rejected_count(CertSetObject *s)
{
	return is_store(s) ? chain_store_rejected_count(s->store) : chain_pool_rejected_count(s->pool);
}

static const char *rejected_source(CertSetObject *s, size_t i)
{
	return is_store(s) ? chain_store_rejected_source(s->store, i)
	                   : chain_pool_rejected_source(s->pool, i);
}

static const char *rejected_reason(CertSetObject *s, size_t i)
{
	return is_store(s) ? chain_store_rejected_reason(s->store, i)
	                   : chain_pool_rejected_reason(s->pool, i);
}

static void do_add(CertSetObject *s, void *ctx)
{
	add_op *op = ctx;
	size_t before = count_unlocked(s), rejected_before = rejected_count(s);
	switch (op->kind) {
	case ADD_DER:
		op->ret = is_store(s)
		                  ? chain_store_add_der(s->store, (const unsigned char *)op->data, op->len, 0)
		                  : chain_pool_add_der(s->pool, (const unsigned char *)op->data, op->len, 0);
		break;
	case ADD_PEM:
		op->ret = is_store(s) ? chain_store_add_pem(s->store, op->data, op->len, 0, NULL)
		                      : chain_pool_add_pem(s->pool, op->data, op->len, 0, NULL);
		break;
	case ADD_FILE:
		op->ret = is_store(s) ? chain_store_add_file(s->store, op->data, 0, NULL)
		                      : chain_pool_add_file(s->pool, op->data, 0, NULL);
		break;
	case ADD_DIR:
		op->ret = is_store(s) ? chain_store_add_dir(s->store, op->data, 0, NULL)
		                      : chain_pool_add_dir(s->pool, op->data, 0, NULL);
		break;
	case ADD_SYSTEM:
		op->ret = is_store(s) ? chain_store_add_system(s->store, 0, NULL) : CHAIN_EINVAL;
		break;
	case ADD_CRL:
		before = chain_store_crl_count(s->store);
		op->ret = chain_store_add_crl(s->store, op->data, op->len, 0, NULL);
		break;
	}
	/* Why a failing call failed, from what it rejected, for the exception. */
	size_t now = rejected_count(s);
	if (op->ret < 0 && now > rejected_before)
		snprintf(op->why, sizeof(op->why), "%s%s%s%s",
		         op->kind == ADD_DIR ? rejected_source(s, rejected_before) : "",
		         op->kind == ADD_DIR ? ": " : "", rejected_reason(s, rejected_before),
		         now - rejected_before > 1 ? " (and more: see .rejected)" : "");
	op->added = (op->kind == ADD_CRL ? chain_store_crl_count(s->store) : count_unlocked(s)) - before;
}

static int run_add(CertSetObject *s, add_op *op)
{
	op->ret = CHAIN_EINVAL;
	op->why[0] = '\0';
	under_lock(s, true, do_add, op);
	return op->ret;
}

static PyObject *finish_add(CertSetObject *s, add_op *op, int ret, const char *what)
{
	/* Sized for a path cut at 700 bytes and the whole of op->why: a message
	 * never loses its reason to a long path. */
	char msg[700 + 2 + sizeof(op->why)];
	if (ret >= 0)
		return PyLong_FromSize_t(op->added);
	snprintf(msg, sizeof(msg), "%.700s%s%s", what, op->why[0] ? ": " : "", op->why);
	return chainval_raise(state_of_type(Py_TYPE(s)), ret, msg);
}

/* PEM text (bytes or str) or DER bytes, for add_pem() and add_crl(). */
static PyObject *add_text_op(CertSetObject *s, PyObject *data, add_op *op, const char *fail)
{
	Py_ssize_t len;
	if (PyUnicode_Check(data)) {
		op->data = PyUnicode_AsUTF8AndSize(data, &len);
	} else if (PyBytes_Check(data)) {
		op->data = PyBytes_AS_STRING(data);
		len = PyBytes_GET_SIZE(data);
	} else {
		return PyErr_Format(PyExc_TypeError, "needs bytes or str, not %.100s",
		                    Py_TYPE(data)->tp_name);
	}
	if (!op->data)
		return NULL;
	op->len = (size_t)len;
	Py_INCREF(data); /* the buffer is read without the GIL */
	int ret = run_add(s, op);
	Py_DECREF(data);
	return finish_add(s, op, ret, fail);
}

static PyObject *certset_add_pem(CertSetObject *s, PyObject *data)
{
	add_op op = {.kind = ADD_PEM};
	return add_text_op(s, data, &op, "no certificate could be read from the PEM data");
}

static PyObject *store_add_crl(CertSetObject *s, PyObject *data)
{
	add_op op = {.kind = ADD_CRL};
	PyObject *n = add_text_op(s, data, &op, "no CRL could be read");
	if (!n && op.ret == CHAIN_ELIMIT && op.why[0]) {
		PyErr_Clear(); /* say which limit, as the rejected list does */
		PyErr_Format(PyExc_ValueError, "add_crl: %s (TrustStore.set_crl_limit() raises the limit)",
		             op.why);
	}
	return n;
}

static void set_crl_limit(CertSetObject *s, void *bytes)
{
	chain_store_set_crl_limit(s->store, *(size_t *)bytes);
}

static PyObject *store_set_crl_limit(CertSetObject *s, PyObject *arg)
{
	size_t bytes = PyLong_AsSize_t(arg);
	if (bytes == (size_t)-1 && PyErr_Occurred())
		return NULL;
	under_lock(s, true, set_crl_limit, &bytes);
	Py_RETURN_NONE;
}

typedef struct {
	size_t bytes;
	chain_cache *old;
} cache_swap;

static void swap_cache(CertSetObject *s, void *ctx)
{
	cache_swap *c = ctx;
	chain_cache *new_cache = NULL;
	if (c->bytes && chain_cache_new(&new_cache, c->bytes) < 0)
		return; /* no room for a new one: the old one stays */
	c->old = s->cache;
	s->cache = new_cache;
}

static PyObject *store_set_cache_size(CertSetObject *s, PyObject *arg)
{
	cache_swap c = {PyLong_AsSize_t(arg), NULL};
	if (c.bytes == (size_t)-1 && PyErr_Occurred())
		return NULL;
	/* Under the write lock no verification is using the old cache. */
	under_lock(s, true, swap_cache, &c);
	chain_cache_free(c.old);
	Py_RETURN_NONE;
}

static void read_crl_bytes(CertSetObject *s, void *out)
{
	*(size_t *)out = chain_store_crl_bytes(s->store);
}

static PyObject *store_crl_bytes(CertSetObject *s, void *closure)
{
	size_t n;
	(void)closure;
	under_lock(s, false, read_crl_bytes, &n);
	return PyLong_FromSize_t(n);
}

static PyObject *certset_add_der(CertSetObject *s, PyObject *data);

/* add_cert(): a certificate object (cryptography.x509.Certificate,
 * chainval.testing.Cert) or DER bytes. */
static PyObject *certset_add_cert(CertSetObject *s, PyObject *cert)
{
	if (PyBytes_Check(cert))
		return certset_add_der(s, cert);
	PyObject *der = chainval_der_of_object(cert);
	if (!der)
		return PyErr_Occurred() ? NULL
		                        : PyErr_Format(PyExc_TypeError,
		                                       "add_cert() needs a cryptography.x509.Certificate "
		                                       "or DER bytes, not %.100s",
		                                       Py_TYPE(cert)->tp_name);
	PyObject *n = certset_add_der(s, der);
	Py_DECREF(der);
	return n;
}

static PyObject *certset_add_der(CertSetObject *s, PyObject *data)
{
	if (!PyBytes_Check(data))
		return PyErr_Format(PyExc_TypeError, "add_der() needs bytes, not %.100s",
		                    Py_TYPE(data)->tp_name);
	add_op op = {.kind = ADD_DER, .data = PyBytes_AS_STRING(data),
	             .len = (size_t)PyBytes_GET_SIZE(data)};
	Py_INCREF(data);
	int ret = run_add(s, &op);
	Py_DECREF(data);
	return finish_add(s, &op, ret, "not a DER certificate");
}

/* A file or directory libchain could not read: the OSError subclass and
 * errno the operating system gives for it (FileNotFoundError,
 * PermissionError, IsADirectoryError, ...), with the path. */
static PyObject *raise_unreadable(PyObject *path, PyObject *fs_path, bool want_dir)
{
	struct stat st;
	int err = EIO; /* when the system sees nothing wrong, libchain's own I/O failed */
	int fd = open(PyBytes_AS_STRING(fs_path), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
	} else {
		if (fstat(fd, &st) == 0 && want_dir != S_ISDIR(st.st_mode))
			err = want_dir ? ENOTDIR : EISDIR;
		close(fd);
	}
	errno = err;
	return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
}

static PyObject *add_path(CertSetObject *s, PyObject *path, int kind, const char *what)
{
	PyObject *bytes = NULL;
	if (!PyUnicode_FSConverter(path, &bytes))
		return NULL;
	add_op op = {.kind = kind, .data = PyBytes_AS_STRING(bytes)};
	int ret = run_add(s, &op);
	PyObject *out = NULL;
	if (ret == CHAIN_EIO) {
		raise_unreadable(path, bytes, kind == ADD_DIR);
	} else if (ret < 0) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s %s", what, PyBytes_AS_STRING(bytes));
		finish_add(s, &op, ret, msg);
	} else {
		out = PyLong_FromSize_t(op.added);
	}
	Py_DECREF(bytes);
	return out;
}

static PyObject *certset_add_file(CertSetObject *s, PyObject *path)
{
	return add_path(s, path, ADD_FILE, "cannot load certificates from file");
}

static PyObject *certset_add_dir(CertSetObject *s, PyObject *path)
{
	return add_path(s, path, ADD_DIR, "cannot load certificates from directory");
}

static Py_ssize_t certset_len(CertSetObject *s)
{
	return (Py_ssize_t)count(s);
}

/* The rejected list copied out under the lock (the strings live in the
 * store, which another thread may grow meanwhile). */
typedef struct {
	char **v; /* source, reason, source, reason, ... */
	size_t n;
	bool failed;
} rejected_copy;

static void copy_rejected(CertSetObject *s, void *ctx)
{
	rejected_copy *c = ctx;
	size_t n = rejected_count(s);
	if (n && !(c->v = calloc(2 * n, sizeof(*c->v)))) {
		c->failed = true;
		return;
	}
	for (size_t i = 0; i < n && !c->failed; i++) {
		c->failed = !(c->v[2 * i] = strdup(rejected_source(s, i))) ||
		            !(c->v[2 * i + 1] = strdup(rejected_reason(s, i)));
		c->n = i + 1;
	}
}

static PyObject *certset_rejected(CertSetObject *s, void *closure)
{
	rejected_copy c = {NULL, 0, false};
	(void)closure;
	under_lock(s, false, copy_rejected, &c);
	PyObject *list = c.failed ? PyErr_NoMemory() : PyList_New((Py_ssize_t)c.n);
	for (size_t i = 0; list && i < c.n; i++) {
		PyObject *t = Py_BuildValue("(ss)", c.v[2 * i], c.v[2 * i + 1]);
		if (!t) {
			Py_CLEAR(list);
			break;
		}
		PyList_SET_ITEM(list, (Py_ssize_t)i, t);
	}
	for (size_t i = 0; i < 2 * c.n; i++)
		free(c.v[i]);
	free(c.v);
	return list;
}

static PyObject *certset_repr(CertSetObject *s)
{
	return PyUnicode_FromFormat("<chainval.%s with %zu certificates>",
	                            is_store(s) ? "TrustStore" : "Pool", count(s));
}

static PyObject *store_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
	if (PyTuple_GET_SIZE(args) || (kwargs && PyDict_GET_SIZE(kwargs)))
		return PyErr_Format(PyExc_TypeError, "TrustStore() takes no arguments");
	return (PyObject *)certset_alloc(type);
}

static PyObject *store_system(PyTypeObject *cls, PyObject *unused)
{
	(void)unused;
	CertSetObject *s = certset_alloc(cls);
	if (!s)
		return NULL;
	add_op op = {.kind = ADD_SYSTEM};
	int ret = run_add(s, &op);
	if (ret < 0) {
		Py_DECREF(s);
		return chainval_raise(state_of_type(cls), ret, "cannot load the system trust store");
	}
	return (PyObject *)s;
}

static PyObject *store_from_pem(PyTypeObject *cls, PyObject *data)
{
	CertSetObject *s = certset_alloc(cls);
	if (!s)
		return NULL;
	PyObject *n = certset_add_pem(s, data);
	if (!n) {
		Py_DECREF(s);
		return NULL;
	}
	Py_DECREF(n);
	return (PyObject *)s;
}

static void add_ders(CertSetObject *s, void *ctx)
{
	chainval_ders *d = ctx;
	for (size_t i = 0; i < d->n; i++)
		chain_pool_add_der(s->pool, d->ders[i], d->lens[i], 0); /* rejections are recorded */
}

/* Items of a list: DER bytes, or PEM bytes/str (each may hold several). */
static int pool_add_items(CertSetObject *s, PyObject *items)
{
	chainval_ders d;
	if (chainval_ders_from(&d, items, UINT64_MAX, true) < 0)
		return -1;
	under_lock(s, true, add_ders, &d);
	chainval_ders_free(&d);
	return 0;
}

CertSetObject *chainval_pool_from_list(chainval_state *st, PyObject *items)
{
	CertSetObject *s = certset_alloc(st->pool_type);
	if (s && pool_add_items(s, items) < 0)
		Py_CLEAR(s);
	return s;
}

static PyObject *pool_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
	PyObject *certs = NULL;
	static char *kw[] = {"certs", NULL};
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:Pool", kw, &certs))
		return NULL;
	CertSetObject *s = certset_alloc(type);
	if (!s)
		return NULL;
	int ret = 0;
	if (PyList_Check(certs) || PyTuple_Check(certs)) {
		if (PySequence_Size(certs) > 0)
			ret = pool_add_items(s, certs);
	} else {
		PyObject *n = certset_add_pem(s, certs);
		ret = n ? 0 : -1;
		Py_XDECREF(n);
	}
	if (ret < 0)
		Py_CLEAR(s);
	return (PyObject *)s;
}

#define COMMON_METHODS                                                                       \
	{"add_pem", (PyCFunction)certset_add_pem, METH_O,                                    \
	 "add_pem(data) -> int\n\nAdd every certificate of a PEM text (bytes or str); text "  \
	 "outside CERTIFICATE blocks is ignored. Returns how many were new. Blocks that do "  \
	 "not parse are skipped and listed in .rejected; ParseError only when nothing could " \
	 "be read."},                                                                         \
	{"add_cert", (PyCFunction)certset_add_cert, METH_O,                                  \
	 "add_cert(cert) -> int\n\nAdd one certificate object (cryptography.x509.Certificate, " \
	 "chainval.testing.Cert) or DER bytes; returns 1, or 0 if already present."},         \
	{"add_der", (PyCFunction)certset_add_der, METH_O,                                    \
	 "add_der(data) -> int\n\nAdd one DER certificate; returns 1, or 0 if already present."}, \
	{"add_file", (PyCFunction)certset_add_file, METH_O,                                  \
	 "add_file(path) -> int\n\nAdd the certificates of a PEM bundle or DER file."},       \
	{"add_dir", (PyCFunction)certset_add_dir, METH_O,                                    \
	 "add_dir(path) -> int\n\nAdd every file of a directory (bundles, OpenSSL hashed "   \
	 "directories; duplicates counted once)."}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

typedef struct {
	const unsigned char *sha;
	long long when;
	int ret;
} distrust_op;

static void set_distrust(CertSetObject *s, void *ctx)
{
	distrust_op *op = ctx;
	op->ret = chain_store_set_distrust_after(s->store, op->sha, op->when);
}

/* distrust_after(fingerprint, at): fingerprint as 32 bytes or 64 hex digits
 * (colons allowed), at as for Policy(at=...). */
static PyObject *store_distrust_after(CertSetObject *s, PyObject *const *args, Py_ssize_t n)
{
	chainval_state *st = state_of_type(Py_TYPE(s));
	unsigned char sha[32];
	size_t got = 0;

	if (n != 2)
		return PyErr_Format(PyExc_TypeError, "distrust_after() takes (fingerprint, at)");
	if (PyBytes_Check(args[0]) && PyBytes_GET_SIZE(args[0]) == 32) {
		memcpy(sha, PyBytes_AS_STRING(args[0]), 32);
		got = 32;
	} else if (PyUnicode_Check(args[0])) {
		const char *hex = PyUnicode_AsUTF8(args[0]);
		if (!hex)
			return NULL;
		for (const char *p = hex; *p && got <= 32; p++) {
			if (*p == ':')
				continue;
			int hi = hex_value(p[0]), lo = p[1] ? hex_value(p[1]) : -1;
			if (hi < 0 || lo < 0 || got == 32) {
				got = 0;
				break;
			}
			sha[got++] = (unsigned char)(hi * 16 + lo);
			p++;
		}
	} else {
		return PyErr_Format(PyExc_TypeError, "fingerprint must be str (hex) or 32 bytes");
	}
	if (got != 32)
		return PyErr_Format(PyExc_ValueError, "fingerprint must be a SHA-256: 64 hex digits");
	PyObject *t = chainval_time_arg(st, args[1]);
	if (!t)
		return NULL;
	if (t == Py_None) {
		Py_DECREF(t);
		return PyErr_Format(PyExc_TypeError, "at must be an int or a datetime");
	}
	long long when = PyLong_AsLongLong(t);
	Py_DECREF(t);
	distrust_op op = {sha, when, CHAIN_OK};
	under_lock(s, true, set_distrust, &op);
	return op.ret < 0 ? chainval_raise(st, op.ret, "distrust_after") : Py_NewRef(Py_None);
}

static PyMethodDef store_methods[] = {
	COMMON_METHODS,
	{"add_crl", (PyCFunction)store_add_crl, METH_O,
	 "add_crl(data) -> int\n\nAdd certificate revocation lists (DER bytes, or PEM with X509 CRL "
	 "blocks). Verifications then check each path certificate against its issuer's CRLs at "
	 "the policy time: codes 'revoked' and 'revocation_unknown'. Returns how many were read. "
	 "ValueError when a CRL would pass the store's CRL memory limit (set_crl_limit())."},
	{"set_cache_size", (PyCFunction)store_set_cache_size, METH_O,
	 "set_cache_size(nbytes) -> None\n\nBound the store's own cache, which verify() and "
	 "verify_many() use unless given cache=: parsed CA certificates, checked signatures and "
	 "verdicts of chains already seen (default 16 MiB; 0 turns it off). The cache changes "
	 "speed, never a result. Starts a new, empty cache."},
	{"set_crl_limit", (PyCFunction)store_set_crl_limit, METH_O,
	 "set_crl_limit(nbytes) -> None\n\nBound the memory this store's CRLs may take (default "
	 "256 MiB; a CRL costs its DER size plus 24 bytes per revoked entry). add_crl() refuses "
	 "a CRL that would pass it."},
	{"distrust_after", (PyCFunction)(void (*)(void))store_distrust_after, METH_FASTCALL,
	 "distrust_after(fingerprint, at) -> None\n\nTrust the anchor with this SHA-256 "
	 "fingerprint (hex or 32 bytes) only for leaves whose notBefore is before `at` (unix "
	 "seconds or datetime, naive = UTC): later ones fail with code 'distrusted'."},
	{"system", (PyCFunction)store_system, METH_NOARGS | METH_CLASS,
	 "system() -> TrustStore\n\nA store with the operating system's trust anchors."},
	{"from_pem", (PyCFunction)store_from_pem, METH_O | METH_CLASS,
	 "from_pem(data) -> TrustStore\n\nA store with the certificates of a PEM text."},
	{NULL, NULL, 0, NULL},
};

static PyMethodDef pool_methods[] = {COMMON_METHODS, {NULL, NULL, 0, NULL}};

static PyGetSetDef certset_getset[] = {
	{"rejected", (getter)certset_rejected, NULL,
	 "Inputs that could not be used, as (source, reason) tuples.", NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

static PyGetSetDef store_getset[] = {
	{"rejected", (getter)certset_rejected, NULL,
	 "Inputs that could not be used, as (source, reason) tuples.", NULL},
	{"crl_bytes", (getter)store_crl_bytes, NULL,
	 "Bytes this store's CRLs take, as counted against set_crl_limit().", NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot store_slots[] = {
	{Py_tp_new, store_new},
	{Py_tp_dealloc, certset_dealloc},
	{Py_tp_methods, store_methods},
	{Py_tp_getset, store_getset},
	{Py_tp_repr, certset_repr},
	{Py_sq_length, certset_len},
	{Py_tp_doc, "TrustStore()\n--\n\nTrust anchors for verify(). Fill it with add_pem(), add_der(), "
	            "add_file(), add_dir(), or build it with TrustStore.system() / "
	            "TrustStore.from_pem(). Safe to share between threads; adding while other "
	            "threads verify is allowed (the add waits for running verifications)."},
	{0, NULL},
};

static PyType_Slot pool_slots[] = {
	{Py_tp_new, pool_new},
	{Py_tp_dealloc, certset_dealloc},
	{Py_tp_methods, pool_methods},
	{Py_tp_getset, certset_getset},
	{Py_tp_repr, certset_repr},
	{Py_sq_length, certset_len},
	{Py_tp_doc, "Pool(certs)\n--\n\nUntrusted intermediates, indexed once and reused across calls "
	            "and threads to complete served chains. certs: a PEM bundle (bytes or str) or a "
	            "list of DER/PEM certificates; unusable entries are listed in .rejected."},
	{0, NULL},
};

static PyType_Spec store_spec = {"chainval.TrustStore", sizeof(CertSetObject), 0,
                                 Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE, store_slots};
static PyType_Spec pool_spec = {"chainval.Pool", sizeof(CertSetObject), 0,
                                Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE, pool_slots};

int chainval_exec_store(PyObject *m)
{
	chainval_state *st = state_of_module(m);
	st->store_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &store_spec, NULL);
	st->pool_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &pool_spec, NULL);
	if (!st->store_type || !st->pool_type)
		return -1;
	if (PyModule_AddType(m, st->store_type) < 0 || PyModule_AddType(m, st->pool_type) < 0)
		return -1;
	return 0;
}
