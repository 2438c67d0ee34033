/* scanner: base64 decoding of certificates (base64.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "base64.h"

#include <stdint.h>

/* 0..63: the value; BAD: not in the alphabet; WS: whitespace; PAD: '='. */
enum { BAD = 0xff, WS = 0xfe, PAD = 0xfd };

static const unsigned char table[256] = {
#define R8(x) x, x, x, x, x, x, x, x
	R8(BAD), BAD, WS, WS, WS, WS, WS, BAD, BAD,  /* 0x00-0x0f: \t \n \v \f \r */
	R8(BAD), BAD, BAD, BAD, BAD, WS, WS, WS, WS, /* 0x10-0x1f: 0x1c-0x1f split str too */
	WS, BAD, BAD, BAD, BAD, BAD, BAD, BAD,       /* ' ' */
	BAD, BAD, BAD, 62, BAD, BAD, BAD, 63,        /* + / */
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61,      /* 0-9 */
	BAD, BAD, BAD, PAD, BAD, BAD, BAD,           /* = */
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
	BAD, BAD, BAD, BAD, BAD, BAD,
	26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48,
	49, 50, 51,
	BAD, BAD, BAD, BAD, BAD,                     /* 0x7b-0x7f */
	R8(BAD), R8(BAD), R8(BAD), R8(BAD), R8(BAD), R8(BAD), R8(BAD), R8(BAD),
	R8(BAD), R8(BAD), R8(BAD), R8(BAD), R8(BAD), R8(BAD), R8(BAD), R8(BAD),
#undef R8
};

bool scan_base64_decode(const char *in, size_t n, unsigned char *out, size_t *outlen,
                        const char **why)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0, i = 0;
	/* The fast path: whole quads of alphabet characters. */
	while (i + 4 <= n) {
		uint32_t a = table[p[i]], b = table[p[i + 1]], c = table[p[i + 2]], d = table[p[i + 3]];
		if ((a | b | c | d) >= 64)
			break;
		uint32_t v = a << 18 | b << 12 | c << 6 | d;
		out[o] = (unsigned char)(v >> 16);
		out[o + 1] = (unsigned char)(v >> 8);
		out[o + 2] = (unsigned char)v;
		o += 3;
		i += 4;
	}
	/* The rest, one character at a time: whitespace, padding, errors. */
	uint32_t acc = 0;
	int have = 0, pads = 0;
	for (; i < n; i++) {
		unsigned char t = table[p[i]];
		if (t == WS)
			continue;
		if (t == BAD) {
			*why = "invalid base64 (a character outside the alphabet)";
			return false;
		}
		if (t == PAD) {
			pads++;
			continue;
		}
		if (pads) {
			*why = "invalid base64 (data after '=')";
			return false;
		}
		acc = acc << 6 | t;
		if (++have == 4) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
			have = 0;
		}
	}
	/* As Python's decoder: a last group of 2 or 3 characters takes exactly
	 * 2 or 1 '='; '=' after a whole group is ignored, unless nothing came
	 * before it. */
	if (have == 1 || (have == 2 && pads != 2) || (have == 3 && pads != 1) ||
	    (have == 0 && pads && o == 0)) {
		*why = have == 1 ? "invalid base64 (one character more than a multiple of 4)"
		                 : "invalid base64 (incorrect padding)";
		return false;
	}
	if (have == 2) {
		out[o++] = (unsigned char)(acc >> 4);
	} else if (have == 3) {
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
	}
	*outlen = o;
	return true;
}
