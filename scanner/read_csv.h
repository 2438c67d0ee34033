/* scanner: records from CSV input (the `csv` format of chainval scan).
 *
 * RFC 4180: fields separated by commas, a field in double quotes may hold
 * commas, newlines and doubled quotes. The first record that is not blank
 * is the header; it names the columns (case and surrounding spaces
 * ignored): `chain` (required: certificates as base64 DER joined by `;`),
 * and optionally `id`, `host`, `time`. Each later record is one chain; its
 * `line` is the physical line where it starts. A header without a `chain`
 * column makes every record malformed, saying so.
 *
 * Why not a library: libcsv (Debian) buffers a field whole before handing
 * it over, so a record could not be bounded while it is read, and it does
 * not report where a record starts (its line); Python's csv module is per
 * row Python. The state machine is small and fuzzed (fuzz_scan).
 * Threads: a reader belongs to one thread at a time.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef SCANNER_READ_CSV_H
#define SCANNER_READ_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct scan_csv_reader scan_csv_reader;

/* A reader for input number @input; records over @max_record bytes are
 * refused (one malformed record, skipped without being held); with
 * SCAN_HOST_NONE the `host` column is not checked. */
scan_csv_reader *scan_csv_reader_new(uint32_t input, size_t max_record, scan_host_from host_from);
void scan_csv_reader_free(scan_csv_reader *r);

/* As scan_json_read(): records of the complete records of @data[0..@len)
 * (with @final, of the last one too); returns the bytes consumed. */
size_t scan_csv_read(scan_csv_reader *r, const char *data, size_t len, bool final,
                     size_t limit, scan_records *recs, scan_arena *arena);

/* Lines consumed so far. */
uint64_t scan_csv_lines(const scan_csv_reader *r);
/* The line where the last record read or passed over began (a quoted field
 * may hold newlines: --resume compares this with the last row's line). */
uint64_t scan_csv_last_start(const scan_csv_reader *r);

/* --resume: pass over the next @records records (after the header, which is
 * always read; an over-long record before it is a record, and counts)
 * without decoding them; as scan_json_skip(). */
void scan_csv_skip(scan_csv_reader *r, uint64_t records);
uint64_t scan_csv_skip_left(const scan_csv_reader *r);

#ifdef __cplusplus
}
#endif

#endif /* SCANNER_READ_CSV_H */
