/* scanner: records from CSV input (read_csv.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "read_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

#define MAX_COLUMNS 256

enum { COL_OTHER, COL_ID, COL_HOST, COL_TIME, COL_CHAIN, COL_OCSP };

struct scan_csv_reader {
	uint32_t input;
	size_t max_record;
	uint64_t line;        /* physical lines consumed */
	bool skipping;        /* inside a record over max_record */
	uint64_t skip;        /* records still to pass over unread (scan_csv_skip) */
	scan_host_from host_from;
	bool skip_quoted, skip_field_start, skip_after_quote;
	bool stop_after_skip; /* a skipped (--resume) record is the over-long one being passed */
	uint64_t last_start;  /* the line where the last record read or passed over began */
	bool have_header;
	const char *header_error;
	size_t ncols;
	unsigned char role[MAX_COLUMNS]; /* COL_* of each header column (the last of a name wins) */
	/* One record's fields, unquoted, NUL-separated in text. */
	char *text;
	size_t text_cap;
	size_t field_start[MAX_COLUMNS + 1], field_len[MAX_COLUMNS + 1];
	size_t nfields;
	bool too_many;
};

scan_csv_reader *scan_csv_reader_new(uint32_t input, size_t max_record, scan_host_from host_from)
{
	scan_csv_reader *r = calloc(1, sizeof(*r));
	if (r) {
		r->input = input;
		r->max_record = max_record;
		r->host_from = host_from;
	}
	return r;
}

void scan_csv_reader_free(scan_csv_reader *r)
{
	if (r)
		free(r->text);
	free(r);
}

/* Where the record starting at @pos ends: the index of its '\n' (or @len
 * at the end of the data), its newlines in *lines; the fields into r->text.
 * Returns false when the data ends inside the record and more may come. */
static bool split(scan_csv_reader *r, const char *d, size_t pos, size_t len, bool final,
                  size_t *end, uint64_t *lines)
{
	size_t need = len - pos + 1;
	if (need > r->text_cap) {
		char *t = realloc(r->text, need);
		if (!t)
			return false;
		r->text = t;
		r->text_cap = need;
	}
	size_t o = 0;
	/* Where the field's unquoted bytes begin in text: a CR before the newline
	 * is the CRLF's only when it was not quoted ("a\r" keeps its CR). */
	size_t plain_from = 0;
	bool quoted = false, field_start = true;
	r->nfields = 0;
	r->too_many = false;
	r->field_start[0] = 0;
	*lines = 0;
	for (size_t i = pos; i < len; i++) {
		char c = d[i];
		if (quoted) {
			if (c == '"') {
				if (i + 1 == len && !final)
					return false; /* "" or the closing quote: decided by the next byte */
				if (i + 1 < len && d[i + 1] == '"') {
					r->text[o++] = '"';
					i++;
				} else {
					quoted = false;
					plain_from = o;
				}
				continue;
			}
			if (c == '\n')
				++*lines;
			r->text[o++] = c;
			continue;
		}
		if (c == '"' && field_start) {
			quoted = true;
			field_start = false;
			continue;
		}
		if (c == ',' || c == '\n') {
			if (c == '\n' && o > r->field_start[r->nfields] && o > plain_from &&
			    r->text[o - 1] == '\r')
				o--; /* CRLF */
			if (r->nfields < MAX_COLUMNS) {
				r->field_len[r->nfields] = o - r->field_start[r->nfields];
				r->nfields++;
				r->field_start[r->nfields] = o;
			} else {
				r->too_many = true;
			}
			field_start = true;
			plain_from = o;
			if (c == '\n') {
				++*lines;
				*end = i;
				return true;
			}
			continue;
		}
		field_start = false;
		r->text[o++] = c;
	}
	if (!final)
		return false;
	if (r->nfields < MAX_COLUMNS) {
		r->field_len[r->nfields] = o - r->field_start[r->nfields];
		r->nfields++;
	} else {
		r->too_many = true;
	}
	*end = len;
	return true;
}

/* Past an over-long record: the bytes of @d up to its end (quotes
 * respected, across calls); true when the record ended. */
static bool skip(scan_csv_reader *r, const char *d, size_t len, size_t *pos)
{
	for (size_t i = *pos; i < len; i++) {
		char c = d[i];
		if (c == '\n')
			r->line++;
		if (r->skip_quoted) {
			if (c == '"') {
				r->skip_quoted = false;
				r->skip_after_quote = true; /* a quote next is a doubled one */
			}
			continue;
		}
		if (r->skip_after_quote) {
			r->skip_after_quote = false;
			if (c == '"') {
				r->skip_quoted = true;
				continue;
			}
		}
		if (c == '"' && r->skip_field_start) {
			r->skip_quoted = true;
			r->skip_field_start = false;
		} else if (c == ',') {
			r->skip_field_start = true;
		} else if (c == '\n') {
			*pos = i + 1;
			return true;
		} else {
			r->skip_field_start = false;
		}
	}
	*pos = len;
	return false;
}

static const char *field(const scan_csv_reader *r, size_t i, size_t *n)
{
	*n = r->field_len[i];
	return r->text + r->field_start[i];
}

static bool blank(const scan_csv_reader *r)
{
	if (r->nfields != 1)
		return false;
	size_t n;
	const char *s = field(r, 0, &n);
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v')
			return false;
	return true;
}

static bool name_is(const char *s, size_t n, const char *name)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	size_t k = strlen(name);
	if (n != k)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
		if (c != name[i])
			return false;
	}
	return true;
}

static void read_header(scan_csv_reader *r)
{
	static const char *const names[] = {NULL, "id", "host", "time", "chain", "ocsp"};
	bool chain = false;
	r->ncols = r->nfields;
	for (size_t i = 0; i < r->nfields; i++) {
		size_t n;
		const char *s = field(r, i, &n);
		if (i == 0 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3, n -= 3; /* a BOM */
		r->role[i] = COL_OTHER;
		for (int k = COL_ID; k <= COL_OCSP; k++)
			if (name_is(s, n, names[k]))
				r->role[i] = (unsigned char)k;
		chain = chain || r->role[i] == COL_CHAIN;
	}
	if (!chain || r->too_many)
		r->header_error = "CSV input without a header naming a 'chain' column";
}

/* The last column with @role, or -1. */
static long column(const scan_csv_reader *r, int role)
{
	for (size_t i = r->ncols; i-- > 0;)
		if (r->role[i] == role)
			return (long)i;
	return -1;
}

static void read_record(scan_csv_reader *r, scan_record *rec, scan_arena *arena)
{
	if (r->header_error) {
		scan_fail(rec, arena, "csv_header", "%s", r->header_error);
		return;
	}
	if (r->too_many || r->nfields != r->ncols) {
		scan_fail(rec, arena, "csv_fields", "CSV: expected %zu fields, got %s%zu", r->ncols,
		          r->too_many ? "more than " : "", r->nfields);
		return;
	}
	size_t n;
	const char *s;
	long c;
	if ((c = column(r, COL_ID)) >= 0 && (s = field(r, (size_t)c, &n), n)) {
		rec->id = scan_arena_strndup(arena, s, n);
		rec->id_len = n;
		rec->id_is_text = true;
	}
	if (r->host_from != SCAN_HOST_NONE && (c = column(r, COL_HOST)) >= 0) {
		s = field(r, (size_t)c, &n);
		if (!scan_set_host(rec, arena, s, n))
			return;
	}
	if ((c = column(r, COL_TIME)) >= 0 && (s = field(r, (size_t)c, &n), n) &&
	    !scan_set_time_text(rec, arena, s, n, "time"))
		return;
	if ((c = column(r, COL_OCSP)) >= 0 && (s = field(r, (size_t)c, &n), n) &&
	    !scan_set_ocsp(rec, arena, s, n))
		return;
	s = field(r, (size_t)column(r, COL_CHAIN), &n);
	scan_ders d = {0};
	size_t item = 0;
	for (size_t i = 0; i <= n;) {
		size_t j = i;
		while (j < n && s[j] != ';')
			j++;
		size_t a = i, b = j;
		while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r' || s[a] == '\n'))
			a++;
		while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r' || s[b - 1] == '\n'))
			b--;
		if (b > a) {
			scan_item_name what = {"chain", (long)item++, NULL};
			if (!scan_add_item(rec, arena, s + a, b - a, false, what, &d)) {
				scan_ders_free(&d);
				return;
			}
		}
		i = j + 1;
	}
	if (d.n == 0) {
		scan_ders_free(&d);
		scan_fail(rec, arena, "chain_empty", "chain: empty");
		return;
	}
	scan_set_chain(rec, arena, &d);
}

size_t scan_csv_read(scan_csv_reader *r, const char *data, size_t len, bool final,
                     size_t limit, scan_records *recs, scan_arena *arena)
{
	size_t pos = 0, first = recs->n;
	while (pos < len) {
		/* The bytes of an over-long record are passed over before the limit
		 * is checked: a call that gave that record as its last (with @limit
		 * 1, its only) one still consumes them, so that a call which gives
		 * records always takes bytes (a caller stops feeding when none are). */
		if (r->skipping) {
			if (!skip(r, data, len, &pos))
				break;
			r->skipping = false;
			if (r->stop_after_skip) { /* --resume's last record: return after it */
				r->stop_after_skip = false;
				return pos;
			}
			continue;
		}
		if (limit && recs->n - first >= limit)
			break;
		size_t end;
		uint64_t lines;
		bool complete = split(r, data, pos, len, final, &end, &lines);
		if (!complete && len - pos <= r->max_record)
			break; /* more data may complete it */
		if (!complete || end - pos > r->max_record) {
			/* A row even before the header (which is then the next record):
			 * one of the records to pass over. */
			bool skipped = r->skip > 0;
			r->last_start = r->line + 1;
			scan_record *rec = skipped ? (r->skip--, NULL)
			                           : scan_records_push(recs, r->line + 1, r->input);
			if (rec)
				scan_fail(rec, arena, "too_long", "record longer than %zu bytes", r->max_record);
			r->skipping = true;
			r->skip_quoted = false;
			r->skip_after_quote = false;
			r->skip_field_start = true;
			r->stop_after_skip = skipped && r->skip == 0;
			continue; /* skip() counts its lines from pos; the record ends there */
		}
		uint64_t start_line = r->line + 1;
		r->line += lines + (end == len); /* a last record without its newline */
		r->last_start = start_line;
		pos = end < len ? end + 1 : len;
		if (blank(r))
			continue;
		if (!r->have_header) {
			r->have_header = true;
			read_header(r);
			if (!r->header_error)
				continue;
		}
		if (r->skip) {
			/* --resume: a record already in the output; the call returns
			 * after the last one (scan_csv_lines says where it ended). */
			if (--r->skip == 0)
				return pos;
			continue;
		}
		scan_record *rec = scan_records_push(recs, start_line, r->input);
		if (rec)
			read_record(r, rec, arena);
	}
	return pos;
}

void scan_csv_skip(scan_csv_reader *r, uint64_t records)
{
	r->skip = records;
}

uint64_t scan_csv_skip_left(const scan_csv_reader *r)
{
	return r->skip;
}

uint64_t scan_csv_lines(const scan_csv_reader *r)
{
	return r->line;
}

uint64_t scan_csv_last_start(const scan_csv_reader *r)
{
	return r->last_start;
}
