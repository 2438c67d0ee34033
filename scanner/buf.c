/* scanner: the growable byte buffer and its JSON and CSV writers (buf.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "utf8.h"

void scan_buf_free(scan_buf *b)
{
	free(b->data);
	*b = (scan_buf){0};
}

bool scan_buf_grow(scan_buf *b, size_t n)
{
	if (b->failed)
		return false;
	if (n <= b->cap - b->len)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2) {
			b->failed = true;
			return false;
		}
		cap *= 2;
	}
	char *data = realloc(b->data, cap);
	if (!data) {
		b->failed = true;
		return false;
	}
	b->data = data;
	b->cap = cap;
	return true;
}


/* Decimal digits by hand: every row writes several numbers, and snprintf's
 * format machinery cost more than the rest of the row's writing. */
void scan_buf_uint(scan_buf *b, uint64_t v)
{
	char tmp[20], *p = tmp + sizeof(tmp);
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	scan_buf_put(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void scan_buf_int(scan_buf *b, int64_t v)
{
	if (v < 0) {
		scan_buf_putc(b, '-');
		scan_buf_uint(b, -(uint64_t)v); /* INT64_MIN too: unsigned negation is defined */
		return;
	}
	scan_buf_uint(b, (uint64_t)v);
}

static void put_u16(scan_buf *b, uint32_t u)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[6] = {'\\', 'u', hex[(u >> 12) & 15], hex[(u >> 8) & 15], hex[(u >> 4) & 15],
	               hex[u & 15]};
	scan_buf_put(b, tmp, sizeof(tmp));
}

/* Whether any of the 8 bytes of @w needs escaping: below 0x20, '"', '\\',
 * DEL or not ASCII. (x - 0x0101..) & ~x & 0x8080.. is non-zero exactly when
 * some byte of x is zero, and with 0x2020.. for 0x0101.. when some byte is
 * below 0x20: exact for the word as a whole, which is all that is asked.
 * Most of a row's text (fingerprints, names, messages) needs no escaping
 * and is passed over 8 bytes at a time. */
static inline bool needs_escape8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\'), del = w ^ (ones * 0x7f);
	uint64_t zero = ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) |
	                ((del - ones) & ~del);
	uint64_t control = (w - ones * 0x20) & ~w;
	return ((zero | control | w) & high) != 0;
}

void scan_buf_json_string(scan_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	scan_buf_putc(b, '"');
	size_t i = 0;
	while (i < n) {
		/* The run that needs no escaping, copied at once. */
		size_t j = i;
		for (uint64_t w; j + 8 <= n && (memcpy(&w, p + j, 8), !needs_escape8(w));)
			j += 8;
		while (j < n && p[j] >= 0x20 && p[j] < 0x7f && p[j] != '"' && p[j] != '\\')
			j++;
		scan_buf_put(b, p + i, j - i);
		if (j == n)
			break;
		i = j;
		unsigned char c = p[i];
		const char *sh = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
		                 : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b"
		                 : c == '\f' ? "\\f" : NULL;
		if (sh) {
			scan_buf_put(b, sh, 2);
			i++;
			continue;
		}
		uint32_t cp;
		size_t len = chainval_utf8_next(p + i, n - i, &cp);
		if (len == 0) {
			cp = 0xfffd;
			len = 1;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			put_u16(b, 0xd800 | (cp >> 10));
			put_u16(b, 0xdc00 | (cp & 0x3ff));
		} else {
			put_u16(b, cp);
		}
		i += len;
	}
	scan_buf_putc(b, '"');
}

void scan_buf_json_cstr(scan_buf *b, const char *s)
{
	if (s)
		scan_buf_json_string(b, s, strlen(s));
	else
		scan_buf_puts(b, "null");
}

void scan_buf_csv_field(scan_buf *b, const char *s, size_t n)
{
	bool quote = false;
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (!quote) {
		scan_buf_put(b, s, n);
		return;
	}
	scan_buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			scan_buf_putc(b, '"');
		scan_buf_putc(b, s[i]);
	}
	scan_buf_putc(b, '"');
}

void scan_buf_csv_text(scan_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = chainval_utf8_next(p + i, n - i, &cp);
		if (len == 0) {
			scan_buf_put(b, "\xef\xbf\xbd", 3);
			i++;
		} else if (p[i] == '\r' || p[i] == '\n') {
			scan_buf_putc(b, ' ');
			i++;
		} else {
			scan_buf_put(b, p + i, len);
			i += len;
		}
	}
}
