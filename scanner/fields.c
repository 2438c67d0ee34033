/* scanner: the fields of a record (fields.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fields.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "base64.h"
#include "civil.h"

bool scan_fail(scan_record *rec, scan_arena *arena, const char *kind, const char *fmt, ...)
{
	char msg[480];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	rec->error = scan_arena_strndup(arena, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	if (!rec->error)
		rec->error = "out of memory";
	rec->error_kind = kind;
	return false;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool scan_set_host(scan_record *rec, scan_arena *arena, const char *s, size_t n)
{
	const char *raw = s;
	size_t raw_n = n;
	while (n && is_space(*s))
		s++, n--;
	while (n && is_space(s[n - 1]))
		n--;
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
		s++, n -= 2;
	if (n == 0)
		return true;
	if (memchr(s, '\0', n)) /* libchain takes a C string: "a.com\0.evil" must not be "a.com" */
		return scan_fail(rec, arena, "host", "host: contains a NUL character");
	bool ascii = true;
	for (size_t i = 0; i < n && ascii; i++)
		ascii = (unsigned char)s[i] < 0x80;
	if (ascii) {
		rec->host = scan_arena_strndup(arena, s, n);
		return rec->host || scan_fail(rec, arena, "memory", "out of memory");
	}
	gnutls_datum_t out = {0};
	if (n > 1024 || gnutls_idna_map(s, (unsigned)n, &out, 0) < 0)
		return scan_fail(rec, arena, "host", "host '%.*s': not a valid IDN",
		                 (int)(raw_n < 120 ? raw_n : 120), raw);
	rec->host = scan_arena_strndup(arena, (const char *)out.data, out.size);
	gnutls_free(out.data);
	return rec->host || scan_fail(rec, arena, "memory", "out of memory");
}

static bool push(scan_ders *d, const unsigned char *der, size_t len)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		const unsigned char **ders = realloc(d->ders, cap * sizeof(*ders));
		if (!ders)
			return false;
		d->ders = ders;
		size_t *lens = realloc(d->lens, cap * sizeof(*lens));
		if (!lens)
			return false;
		d->lens = lens;
		d->cap = cap;
	}
	d->ders[d->n] = der;
	d->lens[d->n++] = len;
	return true;
}

typedef struct {
	scan_ders *out;
	scan_arena *arena;
	bool bad, oom;
} pem_ctx;

static int pem_block(void *ctx, size_t index, const unsigned char *der, size_t len)
{
	(void)index;
	pem_ctx *c = ctx;
	if (!der) {
		c->bad = true; /* a block whose base64 does not decode */
		return 1;
	}
	unsigned char *copy = scan_arena_alloc(c->arena, len ? len : 1);
	if (!copy || !push(c->out, copy, len)) {
		c->oom = true;
		return 1;
	}
	memcpy(copy, der, len);
	return 0;
}

const char *scan_item_label(scan_item_name name, char buf[64])
{
	if (name.index < 0)
		snprintf(buf, 64, "%s%s", name.field, name.suffix ? name.suffix : "");
	else
		snprintf(buf, 64, "%s[%ld]%s", name.field, name.index, name.suffix ? name.suffix : "");
	return buf;
}

/* Whether an item is PEM text. Base64 has no '-', so one memchr over the
 * item usually answers; memmem only runs on text that has a dash. */
static bool has_pem_header(const char *s, size_t n)
{
	static const char begin[] = "-----BEGIN";
	const char *dash = memchr(s, '-', n);
	return dash && memmem(dash, n - (size_t)(dash - s), begin, sizeof(begin) - 1);
}

/* The @n characters of base64 at @s decoded into the arena (*@der, *@len);
 * false with @rec failed when they are not base64 (reason @kind, the message
 * naming @name) or the arena is out of memory. */
static bool base64_in_arena(scan_record *rec, scan_arena *arena, const char *s, size_t n,
                            const char *kind, scan_item_name name, unsigned char **der,
                            size_t *len)
{
	const char *why = NULL;
	char label[64];
	*len = 0;
	if (!(*der = scan_arena_alloc(arena, scan_base64_max(n))))
		return scan_fail(rec, arena, "memory", "out of memory");
	if (!scan_base64_decode(s, n, *der, len, &why))
		return scan_fail(rec, arena, kind, "%s: %s", scan_item_label(name, label), why);
	return true;
}

bool scan_add_item(scan_record *rec, scan_arena *arena, const char *s, size_t n, bool pem,
                   scan_item_name name, scan_ders *out)
{
	char what[64];
	if (pem && has_pem_header(s, n)) {
		pem_ctx ctx = {out, arena, false, false};
		size_t before = out->n;
		long found = chain_pem_foreach(s, n, pem_block, &ctx);
		if (ctx.oom)
			return scan_fail(rec, arena, "memory", "out of memory");
		if (found < 0 || ctx.bad)
			return scan_fail(rec, arena, "pem", "%s: invalid base64 in PEM text",
			                 scan_item_label(name, what));
		if (out->n == before)
			return scan_fail(rec, arena, "pem", "%s: no CERTIFICATE block in PEM text",
			                 scan_item_label(name, what));
		return true;
	}
	unsigned char *der;
	size_t len;
	if (!base64_in_arena(rec, arena, s, n, "base64", name, &der, &len))
		return false;
	if (len == 0)
		return scan_fail(rec, arena, "base64", "%s: empty", scan_item_label(name, what));
	if (!push(out, der, len))
		return scan_fail(rec, arena, "memory", "out of memory");
	return true;
}

void scan_ders_free(scan_ders *d)
{
	free(d->ders);
	free(d->lens);
	*d = (scan_ders){0};
}

bool scan_set_chain(scan_record *rec, scan_arena *arena, scan_ders *d)
{
	size_t n = d->n;
	const unsigned char **ders = scan_arena_alloc(arena, (n ? n : 1) * sizeof(*ders));
	size_t *lens = scan_arena_alloc(arena, (n ? n : 1) * sizeof(*lens));
	if (ders && lens && n) {
		memcpy(ders, d->ders, n * sizeof(*ders));
		memcpy(lens, d->lens, n * sizeof(*lens));
	}
	scan_ders_free(d);
	if (!ders || !lens)
		return scan_fail(rec, arena, "memory", "out of memory");
	rec->ders = ders;
	rec->lens = lens;
	rec->n = n;
	return true;
}

bool scan_set_ocsp(scan_record *rec, scan_arena *arena, const char *s, size_t n)
{
	unsigned char *der;
	size_t len;
	if (!base64_in_arena(rec, arena, s, n, "ocsp", (scan_item_name){"ocsp", -1, NULL}, &der,
	                     &len))
		return false;
	rec->ocsp = len ? der : NULL;
	rec->ocsp_len = len;
	return true;
}

bool scan_set_time_value(scan_record *rec, scan_arena *arena, int64_t t, const char *field)
{
	if (t < SCAN_TIME_MIN || t > SCAN_TIME_MAX)
		return scan_fail(rec, arena, "time", "%s: time outside the years 0001..9999", field);
	rec->has_time = true;
	rec->time = t;
	return true;
}

bool scan_set_time_text(scan_record *rec, scan_arena *arena, const char *s, size_t n,
                        const char *field)
{
	const char *why = NULL;
	int64_t t;
	if (!scan_parse_time(s, n, &t, &why))
		return scan_fail(rec, arena, "time", "%s: %s", field, why);
	rec->has_time = true;
	rec->time = t;
	return true;
}
