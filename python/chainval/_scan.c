/* _ScanEngine: the C engine of `chainval scan` (scanner/engine.h) for
 * chainval.scan. Private: the scanner's Python layer is its only user.
 *
 * _ScanEngine(stores, pool, cache, threads, at, format, sources)
 *   stores: list of (name, TrustStore); pool: Pool or None; cache: Cache or
 *   None; threads: int or None; at: int or None; format: 'jsonl' or 'csv';
 *   sources: list of input names.
 * .csv_header() -> bytes
 * .run(records) -> bytes: the rows of records given as tuples
 *   (input, line, id, host, time, chain, precert, error, error_kind).
 * .run_block(reader, block, final, start=0, limit=0) -> (bytes, end): the
 *   rows of the complete records of block[start:] (at most limit of them; a
 *   _Reader keeps the line count) and the offset where they end; the caller
 *   passes the rest again (start=end), with more data once nothing is taken.
 * .run_file(reader, buffer, filled, start, limit, fd, offset, eof)
 *   -> (bytes, end, filled, offset, state, errno): the same for a regular file
 *   that the engine reads itself, into the bytearray buffer after its first
 *   filled bytes, a piece at a time as the records run out (pread() at
 *   offset: the file position is not used), moving what is not read yet
 *   to the buffer's front when it is full; state says why it returned:
 *   FILE_MORE (call again from end), FILE_FULL (one record fills the whole
 *   buffer: carry buffer[0:filled] into a bigger one) or FILE_END (the file's end was
 *   read; eof=True on the next call, until end == filled); errno, when not
 *   0, is why the file could not be read further (the rows of the records
 *   read before are returned: the caller reports the rest as damaged).
 * .summary() -> str: the summary's counters as JSON.
 * .rows: the rows written so far (a batch's count is the difference).
 *
 * _Reader(input, max_record, format, host_from='name'): the state of one input
 *   of a bulk format read in C: 'json' (jsonl and zgrab2 lines) or 'csv';
 *   host_from 'name', 'ip' or 'none' (--host-from).
 *
 * Locks: the stores' and the pool's read locks are taken with the GIL
 * released: the stores in address order, each once, then the pool (a
 * writer-preferring rwlock taken twice by one reader, or in different orders
 * by two threads, can deadlock behind queued writers). */
#include "_chainval.h"

#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <unistd.h>

#include "../../scanner/arena.h"
#include "../../scanner/civil.h"
#include "../../scanner/engine.h"
#include "../../scanner/read_csv.h"
#include "../../scanner/read_json.h"

typedef struct {
	PyObject_HEAD
	scan_engine *engine;
	PyObject *keep;        /* the stores, pool and cache: alive as long as the engine */
	CertSetObject **locks; /* every store and the pool, sorted by address, once each */
	size_t n_locks;
	const chain_store **stores;
	const char **names, **sources;
	scan_arena strings; /* the names above */
	bool busy;        /* running (the GIL released): another thread may not use it now */
	bool interrupted; /* a Ctrl-C came after a batch was done: its rows were returned */
	/* The rows of the last run, kept from run to run (emptied first): a
	 * buffer grown anew for every block cost reallocations and fresh pages
	 * each time. */
	scan_buf rows;
} ScanEngineObject;

static int by_address(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (CertSetObject *const *)a, y = (uintptr_t) * (CertSetObject *const *)b;
	return (x > y) - (x < y);
}

/* @s as UTF-8 in @arena; a str that holds surrogate escapes (a file name
 * that is not UTF-8) keeps its bytes, which the writers show as U+FFFD:
 * such a name must not stop a scan. NULL with an exception otherwise. */
static const char *utf8_copy(scan_arena *arena, PyObject *s, size_t *len, const char *what)
{
	if (!PyUnicode_Check(s)) {
		PyErr_Format(PyExc_TypeError, "%s must be str", what);
		return NULL;
	}
	PyObject *bytes = PyUnicode_AsEncodedString(s, "utf-8", "surrogateescape");
	if (!bytes)
		return NULL;
	char *copy = scan_arena_strndup(arena, PyBytes_AS_STRING(bytes),
	                                (size_t)PyBytes_GET_SIZE(bytes));
	if (len)
		*len = (size_t)PyBytes_GET_SIZE(bytes);
	Py_DECREF(bytes);
	return copy ? copy : (PyErr_NoMemory(), NULL);
}

static const char *arena_text(ScanEngineObject *self, PyObject *s, const char *what)
{
	return utf8_copy(&self->strings, s, NULL, what);
}

static PyObject *engine_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
	static char *kw[] = {"stores", "pool", "cache", "threads", "at", "format", "sources", NULL};
	chainval_state *st = state_of_type(type);
	PyObject *stores, *pool, *cache, *threads, *at, *sources;
	const char *format;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!OOOOsO!:_ScanEngine", kw, &PyList_Type,
	                                 &stores, &pool, &cache, &threads, &at, &format,
	                                 &PyList_Type, &sources))
		return NULL;
	Py_ssize_t n = PyList_GET_SIZE(stores), ns = PyList_GET_SIZE(sources);
	if (n < 1)
		return PyErr_Format(PyExc_ValueError, "at least one trust store is needed");
	if (pool != Py_None && !PyObject_TypeCheck(pool, st->pool_type))
		return PyErr_Format(PyExc_TypeError, "pool must be a Pool or None");
	if (cache != Py_None && !PyObject_TypeCheck(cache, st->cache_type))
		return PyErr_Format(PyExc_TypeError, "cache must be a Cache or None");
	scan_config cfg = {.n_stores = (size_t)n, .n_sources = (size_t)ns};
	if (strcmp(format, "jsonl") == 0)
		cfg.format = SCAN_OUT_JSONL;
	else if (strcmp(format, "csv") == 0)
		cfg.format = SCAN_OUT_CSV;
	else
		return PyErr_Format(PyExc_ValueError, "format must be 'jsonl' or 'csv'");
	cfg.with_source = ns > 1;
	if (threads != Py_None) {
		long t = PyLong_AsLong(threads);
		if (t == -1 && PyErr_Occurred())
			return NULL;
		if (t < 1 || t > 1024)
			return PyErr_Format(PyExc_ValueError, "threads must be between 1 and 1024");
		cfg.threads = (unsigned int)t;
	}
	if (at != Py_None) {
		long long t = PyLong_AsLongLong(at);
		if (t == -1 && PyErr_Occurred())
			return NULL;
		cfg.has_at = true;
		cfg.at = t;
	}

	ScanEngineObject *self = (ScanEngineObject *)type->tp_alloc(type, 0);
	if (!self)
		return NULL;
	/* A tuple of the stores kept: the caller's list may change, the engine's
	 * pointers into it may not. */
	PyObject *kept = PySequence_Tuple(stores);
	int kept_ok = kept && (self->keep = PyList_New(0)) && PyList_Append(self->keep, kept) == 0;
	Py_XDECREF(kept);
	if (!kept_ok ||
	    PyList_Append(self->keep, pool) < 0 || PyList_Append(self->keep, cache) < 0)
		goto fail;
	self->stores = PyMem_Calloc((size_t)n, sizeof(*self->stores));
	self->names = PyMem_Calloc((size_t)n, sizeof(*self->names));
	self->sources = PyMem_Calloc((size_t)ns + 1, sizeof(*self->sources));
	self->locks = PyMem_Calloc((size_t)n + 1, sizeof(*self->locks));
	if (!self->stores || !self->names || !self->sources || !self->locks) {
		PyErr_NoMemory();
		goto fail;
	}
	for (Py_ssize_t k = 0; k < n; k++) {
		PyObject *item = PyList_GET_ITEM(stores, k);
		if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2 ||
		    !PyObject_TypeCheck(PyTuple_GET_ITEM(item, 1), st->store_type)) {
			PyErr_Format(PyExc_TypeError, "stores must be (name, TrustStore) pairs");
			goto fail;
		}
		CertSetObject *store = (CertSetObject *)PyTuple_GET_ITEM(item, 1);
		if (!(self->names[k] = arena_text(self, PyTuple_GET_ITEM(item, 0), "a store name")))
			goto fail;
		self->stores[k] = store->store;
		self->locks[self->n_locks++] = store;
	}
	for (Py_ssize_t i = 0; i < ns; i++)
		if (!(self->sources[i] = arena_text(self, PyList_GET_ITEM(sources, i), "a source")))
			goto fail;
	/* The stores in address order, each once, then the pool: the order
	 * verify() and fork() take them in (stores before pools), so that no two
	 * threads wait for each other's locks behind queued writers. */
	qsort(self->locks, self->n_locks, sizeof(*self->locks), by_address);
	size_t unique = 0;
	for (size_t i = 0; i < self->n_locks; i++)
		if (!unique || self->locks[unique - 1] != self->locks[i])
			self->locks[unique++] = self->locks[i];
	self->n_locks = unique;
	if (pool != Py_None) {
		cfg.pool = ((CertSetObject *)pool)->pool;
		self->locks[self->n_locks++] = (CertSetObject *)pool;
	}
	cfg.cache = cache != Py_None ? ((CacheObject *)cache)->cache : NULL;
	cfg.stores = self->stores;
	cfg.store_names = self->names;
	cfg.sources = self->sources;
	int ret = scan_engine_new(&self->engine, &cfg);
	if (ret < 0) {
		chainval_raise(st, ret, "_ScanEngine");
		goto fail;
	}
	return (PyObject *)self;
fail:
	Py_DECREF(self);
	return NULL;
}

static void engine_dealloc(ScanEngineObject *self)
{
	PyTypeObject *tp = Py_TYPE(self);
	scan_engine_free(self->engine);
	scan_arena_free(&self->strings);
	PyMem_Free(self->stores);
	PyMem_Free(self->names);
	PyMem_Free(self->sources);
	PyMem_Free(self->locks);
	scan_buf_free(&self->rows);
	Py_XDECREF(self->keep);
	tp->tp_free(self);
	Py_DECREF(tp);
}

/* The engine's row buffer, emptied, for a job to write into (given back
 * with rows_to_bytes() or rows_drop()). */
static scan_buf rows_take(ScanEngineObject *self)
{
	scan_buf b = self->rows;
	self->rows = (scan_buf){0};
	b.len = 0;
	return b;
}

/* Rows past this size are not kept for the next run. */
#define ROWS_KEEP_BYTES (64u << 20)

static void rows_drop(ScanEngineObject *self, scan_buf *b)
{
	if (b->failed || b->cap > ROWS_KEEP_BYTES)
		scan_buf_free(b);
	scan_buf_free(&self->rows);
	self->rows = *b;
	*b = (scan_buf){0};
}

/* The text of @b as bytes (MemoryError when writing it ran out of memory). */
static PyObject *bytes_of(const scan_buf *b)
{
	return b->failed ? PyErr_NoMemory()
	                 : PyBytes_FromStringAndSize(b->data ? b->data : "", (Py_ssize_t)b->len);
}

static PyObject *rows_to_bytes(ScanEngineObject *self, scan_buf *b)
{
	PyObject *out = bytes_of(b);
	rows_drop(self, b);
	return out;
}

static PyObject *engine_csv_header(ScanEngineObject *self, PyObject *unused)
{
	(void)unused;
	scan_buf b = {0};
	scan_engine_csv_header(self->engine, &b);
	PyObject *out = bytes_of(&b);
	scan_buf_free(&b);
	return out;
}

static PyObject *engine_take_interrupt(ScanEngineObject *self, PyObject *unused)
{
	(void)unused;
	bool was = self->interrupted;
	self->interrupted = false;
	return PyBool_FromLong(was);
}

/* Whether another thread is running the engine (RuntimeError set): its
 * state is not to be read or run meanwhile. */
static bool engine_in_use(ScanEngineObject *self)
{
	if (self->busy)
		PyErr_SetString(PyExc_RuntimeError, "this scan engine is in use by another thread");
	return self->busy;
}

static PyObject *engine_summary(ScanEngineObject *self, PyObject *unused)
{
	(void)unused;
	if (engine_in_use(self))
		return NULL;
	scan_buf b = {0};
	scan_engine_summary_json(self->engine, &b);
	if (b.failed) {
		scan_buf_free(&b);
		return PyErr_NoMemory();
	}
	PyObject *out = PyUnicode_FromStringAndSize(b.data, (Py_ssize_t)b.len);
	scan_buf_free(&b);
	return out;
}

static PyObject *engine_rows(ScanEngineObject *self, void *unused)
{
	(void)unused;
	if (engine_in_use(self))
		return NULL;
	return PyLong_FromUnsignedLongLong(scan_engine_rows(self->engine));
}

/* The work of run() and run_block(), without the GIL, on a thread of its
 * own (chainval_run_interruptible): every store and the pool read-locked
 * while it reads (run_block) and verifies. */
enum { FILE_MORE = 0, FILE_FULL = 1, FILE_END = 2 };

typedef struct {
	ScanEngineObject *self;
	struct ReaderObject *reader; /* run_block: read data[0..len) first */
	const char *data;
	size_t len, consumed, limit;
	bool final;
	/* run_file: the records of buf[start..filled), the file read on into
	 * buf[filled..cap) from fd at offset (start is then where they ended);
	 * err: errno of a failed read. */
	char *buf;
	size_t start, filled, cap;
	int fd, state, err;
	int64_t offset;
	const scan_record *recs; /* run: the records given */
	size_t n;
	scan_buf out;
	int ret;
} scan_job;

static void run_job(void *arg);

static void cancel_job(void *arg)
{
	scan_engine_cancel(((scan_job *)arg)->self->engine);
}

/* Run @j; -1 with an exception (KeyboardInterrupt, or libchain's error). */
static int run_interruptible(chainval_state *st, scan_job *j)
{
	ScanEngineObject *self = j->self;
	if (engine_in_use(self))
		return -1;
	self->busy = true;
	scan_engine_clear_cancel(self->engine); /* a run canceled before is over */
	int r = chainval_run_interruptible(run_job, j, cancel_job, j);
	self->busy = false;
	if (r < 0) {
		/* A KeyboardInterrupt that came once the batch was done (its rows
		 * already counted): the rows are returned, so that what is counted
		 * is written, and take_interrupt() tells the caller to stop. */
		if (j->ret != CHAIN_OK || !PyErr_ExceptionMatches(PyExc_KeyboardInterrupt))
			return -1;
		PyErr_Clear();
		self->interrupted = true;
	}
	if (j->ret < 0) {
		chainval_raise(st, j->ret, "scan");
		return -1;
	}
	return 0;
}

/* One record tuple (input, line, id, host, time, chain, precert, error,
 * error_kind) as a scan_record; strings and DER borrowed from the tuple,
 * which the caller keeps alive; the id's text in @arena. */
static int record_of(PyObject *t, scan_record *r, scan_arena *arena)
{
	if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 9) {
		PyErr_SetString(PyExc_TypeError, "a record is a 9-tuple");
		return -1;
	}
	*r = (scan_record){0};
	unsigned long long input = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(t, 0));
	unsigned long long line = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(t, 1));
	if (PyErr_Occurred())
		return -1;
	r->input = (uint32_t)input;
	r->line = line;
	PyObject *id = PyTuple_GET_ITEM(t, 2);
	if (PyUnicode_Check(id)) {
		if (!(r->id = utf8_copy(arena, id, &r->id_len, "an id")))
			return -1;
		r->id_is_text = true;
	} else if (PyLong_Check(id) && !PyBool_Check(id)) {
		PyObject *s = PyObject_Str(id);
		Py_ssize_t n;
		const char *text = s ? PyUnicode_AsUTF8AndSize(s, &n) : NULL;
		r->id = text ? scan_arena_strndup(arena, text, (size_t)n) : NULL;
		r->id_len = text ? (size_t)n : 0;
		Py_XDECREF(s);
		if (!r->id)
			return PyErr_Occurred() ? -1 : (PyErr_NoMemory(), -1);
	} else if (id != Py_None) {
		PyErr_SetString(PyExc_TypeError, "a record's id is str, int or None");
		return -1;
	}
	PyObject *host = PyTuple_GET_ITEM(t, 3), *time = PyTuple_GET_ITEM(t, 4);
	if (host != Py_None && !(r->host = utf8_copy(arena, host, NULL, "a host")))
		return -1;
	if (time != Py_None) {
		r->time = PyLong_AsLongLong(time);
		if (r->time == -1 && PyErr_Occurred())
			return -1;
		r->has_time = true;
	}
	if (PyObject_IsTrue(PyTuple_GET_ITEM(t, 6)))
		r->flags |= SCAN_REC_PRECERT;
	PyObject *error = PyTuple_GET_ITEM(t, 7), *kind = PyTuple_GET_ITEM(t, 8);
	if (error != Py_None) {
		if (!(r->error = utf8_copy(arena, error, NULL, "an error")) ||
		    (kind != Py_None && !(r->error_kind = utf8_copy(arena, kind, NULL, "a kind"))))
			return -1;
		return 0;
	}
	PyObject *chain = PyTuple_GET_ITEM(t, 5);
	if (!PyTuple_Check(chain)) {
		PyErr_SetString(PyExc_TypeError, "a record's chain is a tuple of bytes");
		return -1;
	}
	size_t n = (size_t)PyTuple_GET_SIZE(chain);
	const unsigned char **ders = scan_arena_alloc(arena, (n ? n : 1) * sizeof(*ders));
	size_t *lens = scan_arena_alloc(arena, (n ? n : 1) * sizeof(*lens));
	if (!ders || !lens) {
		PyErr_NoMemory();
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		PyObject *der = PyTuple_GET_ITEM(chain, (Py_ssize_t)i);
		if (!PyBytes_Check(der)) {
			PyErr_SetString(PyExc_TypeError, "a record's chain is a tuple of bytes");
			return -1;
		}
		ders[i] = (const unsigned char *)PyBytes_AS_STRING(der);
		lens[i] = (size_t)PyBytes_GET_SIZE(der);
	}
	r->ders = ders;
	r->lens = lens;
	r->n = n;
	return 0;
}

static PyObject *engine_run(ScanEngineObject *self, PyObject *records)
{
	chainval_state *st = state_of_type(Py_TYPE(self));
	PyObject *items = PySequence_Tuple(records); /* a snapshot the caller cannot change */
	if (!items)
		return NULL;
	size_t n = (size_t)PyTuple_GET_SIZE(items);
	scan_record *recs = PyMem_Calloc(n ? n : 1, sizeof(*recs));
	scan_arena arena = {0};
	PyObject *ret = NULL;
	if (!recs) {
		PyErr_NoMemory();
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		if (record_of(PyTuple_GET_ITEM(items, (Py_ssize_t)i), &recs[i], &arena) < 0) {
			chainval_prefix_error("record %zd: ", (Py_ssize_t)i);
			goto done;
		}
	scan_job j = {.self = self, .recs = recs, .n = n, .out = rows_take(self)};
	if (run_interruptible(st, &j) < 0) {
		rows_drop(self, &j.out);
		goto done;
	}
	ret = rows_to_bytes(self, &j.out);
done:
	PyMem_Free(recs);
	scan_arena_free(&arena);
	Py_DECREF(items);
	return ret;
}

typedef struct ReaderObject {
	PyObject_HEAD
	scan_json_reader *json; /* one of the two */
	scan_csv_reader *csv;
	/* The records of one run_block() and their bytes, kept from call to
	 * call: allocating them per block cost page faults every time. */
	scan_records read;
	scan_arena arena;
	bool busy; /* in run_block, with the GIL released: not to be used by another thread */
	int64_t advised; /* run_file: the file is being read ahead up to here (advise_ahead) */
} ReaderObject;

static PyObject *reader_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
	static char *kw[] = {"input", "max_record", "format", "host_from", "first_line", NULL};
	unsigned int input;
	Py_ssize_t max_record;
	const char *format, *host = "name";
	unsigned long long first_line = 1;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Ins|sK:_Reader", kw, &input, &max_record,
	                                 &format, &host, &first_line))
		return NULL;
	scan_host_from host_from = strcmp(host, "name") == 0 ? SCAN_HOST_NAME
	                           : strcmp(host, "ip") == 0 ? SCAN_HOST_IP
	                           : strcmp(host, "none") == 0 ? SCAN_HOST_NONE : (scan_host_from)-1;
	if ((int)host_from < 0)
		return PyErr_Format(PyExc_ValueError, "host_from must be 'name', 'ip' or 'none'");
	if (max_record < 1)
		return PyErr_Format(PyExc_ValueError, "max_record must be positive");
	bool json = strcmp(format, "json") == 0;
	if (!json && strcmp(format, "csv") != 0)
		return PyErr_Format(PyExc_ValueError, "format must be 'json' or 'csv'");
	/* A CSV record may span lines: only JSON lines are read from the middle of a file. */
	if (first_line < 1 || (!json && first_line != 1))
		return PyErr_Format(PyExc_ValueError, "first_line must be 1, or above for JSON lines");
	ReaderObject *self = (ReaderObject *)type->tp_alloc(type, 0);
	if (!self)
		return NULL;
	if (json) {
		if ((self->json = scan_json_reader_new(input, (size_t)max_record, host_from)))
			scan_json_set_lines(self->json, first_line - 1);
	} else {
		self->csv = scan_csv_reader_new(input, (size_t)max_record, host_from);
	}
	if (!self->json && !self->csv) {
		Py_DECREF(self);
		return PyErr_NoMemory();
	}
	return (PyObject *)self;
}

static void reader_dealloc(ReaderObject *self)
{
	PyTypeObject *tp = Py_TYPE(self);
	scan_json_reader_free(self->json);
	scan_csv_reader_free(self->csv);
	scan_records_free(&self->read);
	scan_arena_free(&self->arena);
	tp->tp_free(self);
	Py_DECREF(tp);
}

/* Whether a run_block() on another thread is reading with it (RuntimeError set). */
static bool reader_in_use(ReaderObject *self)
{
	if (self->busy)
		PyErr_SetString(PyExc_RuntimeError, "this reader is in use by another thread");
	return self->busy;
}

static PyObject *reader_skip(ReaderObject *self, PyObject *arg)
{
	unsigned long long n = PyLong_AsUnsignedLongLong(arg);
	if (n == (unsigned long long)-1 && PyErr_Occurred())
		return NULL;
	if (reader_in_use(self))
		return NULL;
	if (self->json)
		scan_json_skip(self->json, n);
	else
		scan_csv_skip(self->csv, n);
	Py_RETURN_NONE;
}

/* Records of data[0..len) appended to the reader's batch: at most @limit (0: all). */
static size_t read_records(ReaderObject *r, const char *data, size_t len, bool final,
                           size_t limit)
{
	return r->json ? scan_json_read(r->json, data, len, final, limit, &r->read, &r->arena)
	               : scan_csv_read(r->csv, data, len, final, limit, &r->read, &r->arena);
}

static uint64_t records_to_skip(const ReaderObject *r)
{
	return r->json ? scan_json_skip_left(r->json) : scan_csv_skip_left(r->csv);
}

static PyObject *reader_skip_left(ReaderObject *self, void *c)
{
	(void)c;
	return PyLong_FromUnsignedLongLong(records_to_skip(self));
}

static PyMethodDef reader_methods[] = {
	{"skip", (PyCFunction)reader_skip, METH_O,
	 "skip(n): pass over the next n records unread (--resume)."},
	{NULL, NULL, 0, NULL},
};

static PyObject *reader_last_start(ReaderObject *self, void *c)
{
	(void)c;
	return PyLong_FromUnsignedLongLong(self->json ? scan_json_lines(self->json)
	                                              : scan_csv_last_start(self->csv));
}

static PyObject *reader_line(ReaderObject *self, void *c)
{
	(void)c;
	return PyLong_FromUnsignedLongLong(self->json ? scan_json_lines(self->json)
	                                              : scan_csv_lines(self->csv));
}

static PyGetSetDef reader_getset[] = {
	{"skip_left", (getter)reader_skip_left, NULL, "Records still to pass over.", NULL},
	{"line", (getter)reader_line, NULL, "Lines consumed so far.", NULL},
	{"last_start", (getter)reader_last_start, NULL,
	 "The line where the last record read or passed over began.", NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot reader_slots[] = {
	{Py_tp_methods, reader_methods},
	{Py_tp_getset, reader_getset},
	{Py_tp_new, reader_new},
	{Py_tp_dealloc, reader_dealloc},
	{Py_tp_doc, "The state of one input of chainval scan read in C (private)."},
	{0, NULL},
};

static PyType_Spec reader_spec = {"chainval._Reader", sizeof(ReaderObject), 0,
                                  Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE, reader_slots};

/* How much run_file() reads at a time: a piece that is still in the CPU's
 * cache when the reader parses it right after. A Python thread reading
 * 4 MiB blocks ahead instead copied them out of the page cache beside the
 * verifying thread, and the reader then found them in L3 or memory
 * (docs/performance.md, session 17). */
#define FILE_PIECE ((size_t)256 << 10)

/* The reading thread that read 4 MiB blocks ahead kept the disk busy while
 * the verifying threads worked; reading in the verifying thread instead,
 * ask the kernel to read the next FILE_AHEAD bytes in the background
 * (every FILE_AHEAD / 2), so that a file not in the page cache (or on NFS)
 * is not read piece by piece while the verifying threads wait. */
#define FILE_AHEAD ((int64_t)8 << 20)

static void advise_ahead(scan_job *j, ReaderObject *r)
{
	if (j->offset < r->advised - FILE_AHEAD / 2 && j->offset >= r->advised - FILE_AHEAD)
		return;
	(void)posix_fadvise(j->fd, (off_t)j->offset, (off_t)FILE_AHEAD, POSIX_FADV_WILLNEED);
	r->advised = j->offset + FILE_AHEAD;
}

/* run_file's reading: records of buf[start..filled), reading the file into
 * buf[filled..cap) a piece at a time whenever the complete records run out,
 * until @limit records, the end of passing over (--resume), a record that
 * fills the whole buffer (FILE_FULL) or the file's end (FILE_END, then
 * read once more as final). When the buffer is full, the record it cut is
 * moved to its front and the file read on behind it: a buffer of a few
 * pieces stays in the CPU's cache. The records read hold copies of their
 * bytes (in the reader's arena), so nothing points into what is moved.
 * Returns where the bytes not read yet start (they end at filled). */
static size_t read_file_records(scan_job *j, ReaderObject *r)
{
	size_t pos = j->start;
	bool skipping = records_to_skip(r) > 0;
	for (;;) {
		pos += read_records(r, j->buf + pos, j->filled - pos, j->state == FILE_END,
		                    j->limit ? j->limit - r->read.n : 0);
		if (r->read.failed || r->arena.failed || (j->limit && r->read.n >= j->limit) ||
		    (skipping && records_to_skip(r) == 0) || j->state == FILE_END)
			break;
		if (j->filled == j->cap) {
			if (pos == 0) {
				j->state = FILE_FULL;
				break;
			}
			memmove(j->buf, j->buf + pos, j->filled - pos);
			j->filled -= pos;
			pos = 0;
		}
		/* A piece, or as much as the record not complete yet holds: each try
		 * reads that record again from its start, so a record of many pieces
		 * (a CSV field of newlines, a long line) is tried log(n) times. */
		size_t want = j->filled - pos > FILE_PIECE ? j->filled - pos : FILE_PIECE;
		if (want > j->cap - j->filled)
			want = j->cap - j->filled;
		advise_ahead(j, r);
		ssize_t got;
		do
			got = pread(j->fd, j->buf + j->filled, want, (off_t)j->offset);
		while (got < 0 && errno == EINTR);
		if (got < 0) {
			j->err = errno;
			break;
		}
		if (got == 0)
			j->state = FILE_END; /* the last line need not end with a newline */
		j->filled += (size_t)got;
		j->offset += got;
	}
	return pos;
}

static void run_job(void *arg)
{
	scan_job *j = arg;
	ScanEngineObject *self = j->self;
	for (size_t i = 0; i < self->n_locks; i++)
		chainval_set_rdlock(self->locks[i]);
	const scan_record *recs = j->recs;
	size_t n = j->n;
	j->ret = CHAIN_OK;
	if (j->reader) {
		ReaderObject *r = (ReaderObject *)j->reader;
		r->read.n = 0;
		r->read.failed = false;
		scan_arena_reset(&r->arena);
		if (j->buf)
			j->start = read_file_records(j, r);
		else
			j->consumed = read_records(r, j->data, j->len, j->final, j->limit);
		recs = r->read.items;
		n = r->read.n;
		if (r->read.failed || r->arena.failed)
			j->ret = CHAIN_ENOMEM;
	}
	if (j->ret == CHAIN_OK)
		j->ret = scan_engine_run(self->engine, recs, n, &j->out);
	for (size_t i = self->n_locks; i-- > 0;)
		chainval_set_unlock(self->locks[i]);
}

/* Run @j, which reads with @reader from @data (released here), and return
 * its rows as bytes; NULL with an exception. */
static PyObject *run_reading(chainval_state *st, ReaderObject *reader, scan_job *j,
                             Py_buffer *data)
{
	reader->busy = true;
	int r = run_interruptible(st, j);
	reader->busy = false;
	PyBuffer_Release(data);
	if (r < 0) {
		rows_drop(j->self, &j->out);
		return NULL;
	}
	return rows_to_bytes(j->self, &j->out);
}

/* @arg as a _Reader not in use by another thread, or NULL with an exception. */
static ReaderObject *reader_arg(ScanEngineObject *self, PyObject *arg)
{
	PyObject *mod = PyType_GetModule(Py_TYPE(self)); /* borrowed */
	PyObject *reader_type = mod ? PyObject_GetAttrString(mod, "_Reader") : NULL;
	int is_reader = reader_type ? PyObject_TypeCheck(arg, (PyTypeObject *)reader_type) : -1;
	Py_XDECREF(reader_type);
	if (is_reader <= 0) {
		if (is_reader == 0)
			PyErr_SetString(PyExc_TypeError, "reader must be a _Reader");
		return NULL;
	}
	return reader_in_use((ReaderObject *)arg) ? NULL : (ReaderObject *)arg;
}

static PyObject *engine_run_block(ScanEngineObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	chainval_state *st = state_of_type(Py_TYPE(self));
	if (nargs < 3 || nargs > 5)
		return PyErr_Format(PyExc_TypeError,
		                    "run_block(reader, block: bytes-like, final: bool, start=0, limit=0)");
	Py_ssize_t start = nargs > 3 ? PyLong_AsSsize_t(args[3]) : 0;
	Py_ssize_t limit = nargs > 4 ? PyLong_AsSsize_t(args[4]) : 0;
	if ((start == -1 || limit == -1) && PyErr_Occurred())
		return NULL;
	ReaderObject *reader = reader_arg(self, args[0]);
	if (!reader)
		return NULL;
	int final = PyObject_IsTrue(args[2]);
	if (final < 0)
		return NULL;
	/* Any contiguous bytes (a bytearray the caller reads into again later
	 * too): held, so it cannot be resized, until the call is over. */
	Py_buffer block;
	if (PyObject_GetBuffer(args[1], &block, PyBUF_SIMPLE) < 0)
		return NULL;
	if (start < 0 || start > block.len || limit < 0) {
		PyBuffer_Release(&block);
		return PyErr_Format(PyExc_ValueError, "start must be within the block, limit >= 0");
	}
	scan_job j = {.self = self, .reader = (struct ReaderObject *)reader,
	              .data = (const char *)block.buf + start, .len = (size_t)(block.len - start),
	              .final = final, .limit = (size_t)limit, .out = rows_take(self)};
	PyObject *rows = run_reading(st, reader, &j, &block);
	return rows ? Py_BuildValue("(Nn)", rows, start + (Py_ssize_t)j.consumed) : NULL;
}

static PyObject *engine_run_file(ScanEngineObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	chainval_state *st = state_of_type(Py_TYPE(self));
	if (nargs != 8)
		return PyErr_Format(PyExc_TypeError, "run_file(reader, buffer: bytearray, filled, start, "
		                                     "limit, fd, offset, eof)");
	ReaderObject *reader = reader_arg(self, args[0]);
	if (!reader)
		return NULL;
	Py_ssize_t filled, start, limit;
	long fd;
	long long offset;
	int eof;
	/* One at a time: a conversion must not run with the last one's exception set. */
	if (((filled = PyLong_AsSsize_t(args[2])) == -1 && PyErr_Occurred()) ||
	    ((start = PyLong_AsSsize_t(args[3])) == -1 && PyErr_Occurred()) ||
	    ((limit = PyLong_AsSsize_t(args[4])) == -1 && PyErr_Occurred()) ||
	    ((fd = PyLong_AsLong(args[5])) == -1 && PyErr_Occurred()) ||
	    ((offset = PyLong_AsLongLong(args[6])) == -1 && PyErr_Occurred()) ||
	    (eof = PyObject_IsTrue(args[7])) < 0)
		return NULL;
	Py_buffer buffer;
	if (PyObject_GetBuffer(args[1], &buffer, PyBUF_WRITABLE) < 0)
		return NULL;
	if (filled < 0 || filled > buffer.len || start < 0 || start > filled || limit < 0 ||
	    fd < 0 || fd > INT_MAX || offset < 0) {
		PyBuffer_Release(&buffer);
		return PyErr_Format(PyExc_ValueError, "run_file: 0 <= start <= filled <= len(buffer), "
		                                      "limit >= 0, fd >= 0, offset >= 0");
	}
	scan_job j = {.self = self, .reader = (struct ReaderObject *)reader, .buf = buffer.buf,
	              .start = (size_t)start, .filled = (size_t)filled, .cap = (size_t)buffer.len,
	              .fd = (int)fd, .offset = offset, .state = eof ? FILE_END : FILE_MORE,
	              .limit = (size_t)limit, .out = rows_take(self)};
	PyObject *rows = run_reading(st, reader, &j, &buffer);
	return rows ? Py_BuildValue("(NnnLii)", rows, (Py_ssize_t)j.start,
	                            (Py_ssize_t)j.filled, (long long)j.offset, j.state, j.err)
	            : NULL;
}

static PyMethodDef engine_methods[] = {
	{"run_file", (PyCFunction)(void (*)(void))engine_run_file, METH_FASTCALL,
	 "run_file(reader, buffer, filled, start, limit, fd, offset, eof) -> "
	 "(bytes, end, filled, offset, state, errno)"},
	{"run_block", (PyCFunction)(void (*)(void))engine_run_block, METH_FASTCALL,
	 "run_block(reader, block, final, start=0, limit=0) -> (bytes, end)"},
	{"csv_header", (PyCFunction)engine_csv_header, METH_NOARGS, "The CSV header line."},
	{"run", (PyCFunction)engine_run, METH_O,
	 "run(records) -> bytes: the output rows of records (tuples: input, line, id, host, time, "
	 "chain, precert, error, error_kind)."},
	{"summary", (PyCFunction)engine_summary, METH_NOARGS, "The summary's counters as JSON text."},
	{"take_interrupt", (PyCFunction)engine_take_interrupt, METH_NOARGS,
	 "take_interrupt() -> bool: whether a Ctrl-C came after a batch whose rows were returned "
	 "(cleared by the call); the caller writes them, then stops."},
	{NULL, NULL, 0, NULL},
};

static PyGetSetDef engine_getset[] = {
	{"rows", (getter)engine_rows, NULL, "The rows written so far.", NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot engine_slots[] = {
	{Py_tp_new, engine_new},
	{Py_tp_getset, engine_getset},
	{Py_tp_dealloc, engine_dealloc},
	{Py_tp_methods, engine_methods},
	{Py_tp_doc, "The C engine of chainval scan (private)."},
	{0, NULL},
};

static PyType_Spec engine_spec = {"chainval._ScanEngine", sizeof(ScanEngineObject), 0,
                                  Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE, engine_slots};

PyObject *chainval_parse_time(PyObject *module, PyObject *arg)
{
	(void)module;
	Py_ssize_t n;
	const char *text = PyUnicode_Check(arg) ? PyUnicode_AsUTF8AndSize(arg, &n) : NULL;
	if (!text)
		return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_TypeError, "expected str");
	int64_t t;
	const char *why = NULL;
	if (!scan_parse_time(text, (size_t)n, &t, &why))
		return PyErr_Format(PyExc_ValueError, "%s: %R", why, arg);
	return PyLong_FromLongLong(t);
}

PyObject *chainval_one_malloc_arena(PyObject *module, PyObject *unused)
{
	(void)module;
	(void)unused;
#if defined(__GLIBC__) && defined(M_ARENA_MAX)
	/* glibc gives each thread that allocates an arena of its own, grows
	 * it a page at a time, each page an mprotect() (no M_TOP_PAD there),
	 * and trims it back often: 16,426 mprotect calls and 7,000 more page
	 * faults in a 100,000-row scan on one verifying thread, system time
	 * 0.21 -> 0.16 CPU-s without them (docs/performance.md, session 18).
	 * The main arena grows by M_TOP_PAD through brk instead. Threads that
	 * have an arena keep it, and glibc fixes the limit when it first
	 * makes a second arena: call this before any thread allocates. */
	if (mallopt(M_ARENA_MAX, 1) == 1)
		Py_RETURN_TRUE;
#endif
	Py_RETURN_FALSE;
}

int chainval_exec_scan(PyObject *m)
{
	PyObject *reader = PyType_FromModuleAndSpec(m, &reader_spec, NULL);
	if (!reader || PyModule_AddObjectRef(m, "_Reader", reader) < 0) {
		Py_XDECREF(reader);
		return -1;
	}
	Py_DECREF(reader);
	PyObject *type = PyType_FromModuleAndSpec(m, &engine_spec, NULL);
	if (!type)
		return -1;
	int ret = PyModule_AddObjectRef(m, "_ScanEngine", type);
	Py_DECREF(type);
	return ret;
}
