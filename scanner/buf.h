/* scanner: a growable byte buffer and the JSON and CSV text written into it.
 *
 * Output rows are built here, in C, one batch at a time, and handed to
 * Python as one bytes object. JSON strings are written as Python's
 * json.dumps(ensure_ascii=True) writes them (the output the scanner has
 * always produced): every byte outside printable ASCII becomes \uXXXX
 * (UTF-16, surrogate pairs above U+FFFF), with \" \\ \n \r \t \b \f short.
 * Input that is not valid UTF-8 is written as U+FFFD per bad byte, so the
 * output is always RFC 8259 JSON.
 *
 * Errors: allocation failure sets buf->failed; every writer is then a
 * no-op, and the caller checks failed once at the end.
 * Threads: a buffer belongs to one thread at a time.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef SCANNER_BUF_H
#define SCANNER_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
	char *data;
	size_t len, cap;
	bool failed;
} scan_buf;

void scan_buf_free(scan_buf *b);
/* Make room for @n more bytes; false (and failed set) when it cannot.
 * (scan_buf_grow() is its slow path: a new allocation.) */
bool scan_buf_grow(scan_buf *b, size_t n);
static inline bool scan_buf_reserve(scan_buf *b, size_t n)
{
	return !b->failed && n <= b->cap - b->len ? true : scan_buf_grow(b, n);
}

/* put, puts and putc are inline: a row is written in some fifty pieces, and
 * inline, strlen() of a literal is a constant. */
static inline void scan_buf_put(scan_buf *b, const void *data, size_t n)
{
	if (n && scan_buf_reserve(b, n)) {
		memcpy(b->data + b->len, data, n);
		b->len += n;
	}
}

static inline void scan_buf_puts(scan_buf *b, const char *s)
{
	scan_buf_put(b, s, strlen(s));
}

static inline void scan_buf_putc(scan_buf *b, char c)
{
	if (scan_buf_reserve(b, 1))
		b->data[b->len++] = c;
}

void scan_buf_int(scan_buf *b, int64_t v);
void scan_buf_uint(scan_buf *b, uint64_t v);

/* A JSON string (quotes included) of the UTF-8 text @s of @n bytes. */
void scan_buf_json_string(scan_buf *b, const char *s, size_t n);
/* A JSON string, or null when @s is NULL. */
void scan_buf_json_cstr(scan_buf *b, const char *s);

/* A JSON string of text that needs no escaping by its nature (hex
 * fingerprints, libchain's reason codes, the scan's flags, RFC 3339 times:
 * printable ASCII without '"' or '\\'), copied between quotes unscanned:
 * most of a row's strings. The caller guarantees the nature
 * (test_scan_codecs checks every reason code). */
static inline void scan_buf_json_plain(scan_buf *b, const char *s)
{
	size_t n = strlen(s);
	if (scan_buf_reserve(b, n + 2)) {
		char *p = b->data + b->len;
		p[0] = '"';
		memcpy(p + 1, s, n);
		p[n + 1] = '"';
		b->len += n + 2;
	}
}

/* One CSV field as Python's csv module writes it (QUOTE_MINIMAL, doubled
 * quotes): quoted when it holds a comma, a quote, CR or LF. The scanner's
 * fields never hold CR or LF (scan_buf_csv_text replaces them). */
void scan_buf_csv_field(scan_buf *b, const char *s, size_t n);
/* Text for a CSV field: CR and LF become spaces, invalid UTF-8 bytes U+FFFD. */
void scan_buf_csv_text(scan_buf *b, const char *s, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* SCANNER_BUF_H */
