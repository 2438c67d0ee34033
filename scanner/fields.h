/* scanner: the fields of a record, as every reader fills them.
 *
 * The rules the Python readers had (formats.py: _host, _b64, _chain_item,
 * parse_time), once, for the JSON and CSV readers: a host is stripped, its
 * [brackets] removed, a non-ASCII name mapped to IDNA A-labels; a chain
 * item is base64 DER or (where allowed) PEM text; a time is unix seconds or
 * RFC 3339. A field that cannot be read fails the record (error + kind).
 * Threads: no state; each call uses only its arguments.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef SCANNER_FIELDS_H
#define SCANNER_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The certificates of a record as they are decoded (DER in the arena). */
typedef struct {
	const unsigned char **ders;
	size_t *lens;
	size_t n, cap;
} scan_ders;

/* Fail @rec: @kind is the summary's key, the message is formatted (at most
 * 480 bytes) into the arena. Always returns false. */
bool scan_fail(scan_record *rec, scan_arena *arena, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* @rec->host from the text @s (@n bytes): stripped of whitespace and of
 * [brackets], non-ASCII mapped with gnutls_idna_map() (IDNA 2008); empty
 * leaves no host. False when it cannot be mapped. */
bool scan_set_host(scan_record *rec, scan_arena *arena, const char *s, size_t n);

/* A chain item's name in messages: {"chain", 2, NULL} is "chain[2]",
 * {"chain", 0, ".raw"} "chain[0].raw", {"certificate.raw", -1, NULL} just
 * that. Kept apart and formatted only when a message needs it (snprintf for
 * every item of every row cost more than decoding the item). */
typedef struct {
	const char *field;
	long index; /* < 0: none */
	const char *suffix;
} scan_item_name;

/* @name as text in @buf (cut at 64 bytes); returns @buf. */
const char *scan_item_label(scan_item_name name, char buf[64]);

/* Decode one chain item into @out: base64 DER, or (with @pem) PEM text
 * holding one or more CERTIFICATE blocks. @what names it in messages. */
bool scan_add_item(scan_record *rec, scan_arena *arena, const char *s, size_t n, bool pem,
                   scan_item_name what, scan_ders *out);
/* @rec's chain: the certificates of @d (copied into the arena); @d freed. */
bool scan_set_chain(scan_record *rec, scan_arena *arena, scan_ders *d);
void scan_ders_free(scan_ders *d);

/* @rec's stapled OCSP response from the base64 text @s (@n bytes; DER
 * OCSPResponse); empty text leaves none. False when it is not base64. */
bool scan_set_ocsp(scan_record *rec, scan_arena *arena, const char *s, size_t n);

/* @rec's time from text (scan_parse_time) or from a number; @field names
 * it in messages. */
bool scan_set_time_text(scan_record *rec, scan_arena *arena, const char *s, size_t n,
                        const char *field);
bool scan_set_time_value(scan_record *rec, scan_arena *arena, int64_t t, const char *field);

#ifdef __cplusplus
}
#endif

#endif /* SCANNER_FIELDS_H */
