/* UTF-8 decoding shared by libchain (text.c: certificate strings, safe
 * text) and the scanner (buf.c: JSON and CSV output).
 *
 * Header-only, static inline: libchain exports only the chain_* symbols of
 * libchain.map, and the scanner links libchain as a library (its public
 * API only), so a function shared between the two would have to be a new
 * exported symbol; a header each compiles in adds none.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CHAINVAL_COMMON_UTF8_H
#define CHAINVAL_COMMON_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length of the well-formed UTF-8 sequence at @s (1-4; RFC 3629:
 * shortest form, no surrogates, at most U+10FFFF), or 0 when the bytes
 * there are not one (overlong, surrogate, above U+10FFFF, cut short by @n).
 * @cp gets the code point. @n must be at least 1. */
static inline size_t chainval_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

#endif /* CHAINVAL_COMMON_UTF8_H */
