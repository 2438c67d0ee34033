/* scanner: the engine of `chainval scan` in C.
 *
 * Records in (from the C readers of JSONL, zgrab2 and CSV input, or built by
 * the Python readers of the other formats), output rows out: each batch of
 * records is verified against every trust store with libchain's bulk engine
 * (chain_batch, its worker threads, the shared chain_cache), and each
 * record gives exactly one row, in order, written as JSONL or CSV into a
 * buffer. The summary's counters are kept here too, so nothing is done per
 * row in Python. The row schema is docs/scan.md's.
 *
 * The engine uses only libchain's public API.
 * Threads: an engine belongs to one thread at a time (it runs libchain's
 * workers itself); scan_engine_cancel() may come from any thread. The stores, pool and cache it is given must outlive it
 * and must not be modified while scan_engine_run() runs.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef SCANNER_ENGINE_H
#define SCANNER_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <chain/chain.h>

#include "buf.h"
#include "counter.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { SCAN_OUT_JSONL = 0, SCAN_OUT_CSV = 1 } scan_out_format;

/* Flags a reader sets on a record. PRECERT comes first in the row's "flags";
 * NO_CHAIN marks a record that says no chain was served (a zgrab2 connection
 * that failed): its row has code "no_chain", not "malformed". */
enum { SCAN_REC_PRECERT = 1u << 0, SCAN_REC_NO_CHAIN = 1u << 1 };

/* Which name a record is checked against (--host-from). */
typedef enum {
	SCAN_HOST_NAME = 0, /* the name the record says the client asked for (host, domain) */
	SCAN_HOST_IP = 1,   /* that name, else the record's IP address (zgrab2 "ip") */
	SCAN_HOST_NONE = 2, /* no name check */
} scan_host_from;

/* One input record: a served chain, or why there is none. Every pointer is
 * borrowed (usually from the reader's arena) until the batch is run. */
typedef struct {
	uint64_t line;   /* 1-based position in its input (docs/scan.md) */
	uint32_t input;  /* which input (an index into the engine's source names) */
	const char *id;  /* NULL: null; else id_len bytes of UTF-8 text (id_is_text) */
	size_t id_len;   /* or of JSON text (a number, ...), written as it is */
	bool id_is_text;
	const char *host; /* NUL-terminated, already normalised; NULL: no name check */
	bool has_time;
	int64_t time;     /* the record's own time (unix seconds) when has_time */
	unsigned flags;   /* SCAN_REC_* */
	const unsigned char *const *ders; /* the served chain, leaf first */
	const size_t *lens;
	size_t n;
	const unsigned char *ocsp; /* the OCSP response the server stapled (DER), or NULL */
	size_t ocsp_len;
	const char *error; /* NULL, or why the record is malformed (no chain then) */
	const char *error_kind; /* the summary's key for that reason ("invalid_json", ...) */
} scan_record;

/* A growing array of records (one batch). */
typedef struct {
	scan_record *items;
	size_t n, cap;
	bool failed; /* out of memory: a record could not be added */
} scan_records;

/* A new record at the end (zeroed, with @line and @input set), or NULL. */
scan_record *scan_records_push(scan_records *r, uint64_t line, uint32_t input);
void scan_records_free(scan_records *r);

typedef struct {
	const chain_store *const *stores; /* the first one decides a row's verdict */
	const char *const *store_names;
	size_t n_stores;
	const chain_pool *pool;  /* NULL: none */
	chain_cache *cache;      /* NULL: none */
	unsigned int threads;    /* 0: one per CPU */
	bool has_at;
	int64_t at;              /* every row verified at this time when has_at */
	scan_out_format format;
	const char *const *sources; /* input names; written as "source" when with_source */
	size_t n_sources;
	bool with_source;
} scan_config;

typedef struct scan_engine scan_engine;

/* A new engine for @cfg (copied; the strings and objects it points to are
 * borrowed). Returns CHAIN_OK, CHAIN_EINVAL or CHAIN_ENOMEM. */
int scan_engine_new(scan_engine **out, const scan_config *cfg);
void scan_engine_free(scan_engine *e);

/* The CSV header line (columns of docs/scan.md), appended to @out. */
void scan_engine_csv_header(const scan_engine *e, scan_buf *out);

/* Verify @n records and append their rows to @out, in order; the summary
 * counts them. Returns CHAIN_OK, CHAIN_ECANCELED after scan_engine_cancel(),
 * or CHAIN_ENOMEM / CHAIN_ERROR when the batch could not run (nothing is then
 * appended or counted). */
int scan_engine_run(scan_engine *e, const scan_record *recs, size_t n, scan_buf *out);

/* Stop a scan_engine_run() running on another thread, or the next one: the
 * batch running stops between chains (chain_batch_cancel) and the run
 * returns CHAIN_ECANCELED, appending and counting nothing; so does every
 * later run until scan_engine_clear_cancel(). Thread-safe. */
void scan_engine_cancel(scan_engine *e);
void scan_engine_clear_cancel(scan_engine *e);

/* The summary so far as a JSON object (docs/scan.md, "Summary"), appended
 * to @out: rows, verdicts, codes, stores, flags, malformed reasons,
 * failing issuers and anchors with their full counts. */
void scan_engine_summary_json(const scan_engine *e, scan_buf *out);

/* The rows written so far (the summary's "rows"), for a caller that counts
 * each batch's rows without scanning its bytes for line ends. */
uint64_t scan_engine_rows(const scan_engine *e);

#ifdef __cplusplus
}
#endif

#endif /* SCANNER_ENGINE_H */
