/* scanner: records from JSON lines (the `jsonl` and `zgrab` input formats).
 *
 * One JSON object per line: {"id", "host", "time", "chain": [base64 DER or
 * PEM text, ...]}, or a zgrab2 result (data.<module>.result.handshake_log.
 * server_certificates; the http module's result.response.request.tls_log
 * too), told apart per line by their keys as docs/scan.md says. Lines are
 * parsed with simdjson's On-Demand API (Debian's libsimdjson-dev): every
 * line is checked for UTF-8 and JSON structure, and the fields the scanner
 * reads are checked for their types; the values of other fields are skipped.
 *
 * A line that cannot be read is still a record: it carries error and
 * error_kind, and becomes a malformed row. Line numbers count every
 * physical line; blank lines give no record; a line longer than the bound
 * gives one malformed record and is skipped without being held.
 * Threads: a reader belongs to one thread at a time.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef SCANNER_READ_JSON_H
#define SCANNER_READ_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct scan_json_reader scan_json_reader;

/* A reader for input number @input; lines over @max_line bytes are refused;
 * @host_from says which name a record is checked against (a jsonl record's
 * "host"; a zgrab2 record's "domain", with SCAN_HOST_IP its "ip" when it has
 * none). NULL when out of memory. */
scan_json_reader *scan_json_reader_new(uint32_t input, size_t max_line, scan_host_from host_from);
void scan_json_reader_free(scan_json_reader *r);

/* Records of the complete lines of @data[0..@len) (with @final, of the last
 * line without its newline too), appended to @recs with their strings and
 * DER in @arena (both valid until the arena is reset); at most @limit
 * records (0: no limit). Returns how many bytes were consumed: the caller
 * passes the rest again, with more data. */
size_t scan_json_read(scan_json_reader *r, const char *data, size_t len, bool final,
                      size_t limit, scan_records *recs, scan_arena *arena);

/* Lines read so far (the number of the last line consumed). */
uint64_t scan_json_lines(const scan_json_reader *r);

/* Number lines as if @lines lines came before the data (a part of a file
 * read from a line boundary: `chainval scan --dask`); before any read. */
void scan_json_set_lines(scan_json_reader *r, uint64_t lines);

/* --resume: pass over the next @records records without reading them (no
 * JSON is parsed: a line counts unless it is blank), then read as before;
 * the call that passes over the last of them returns right after it.
 * scan_json_skip_left() says how many are still to pass over (the input may
 * end first). */
void scan_json_skip(scan_json_reader *r, uint64_t records);
uint64_t scan_json_skip_left(const scan_json_reader *r);

#ifdef __cplusplus
}
#endif

#endif /* SCANNER_READ_JSON_H */
