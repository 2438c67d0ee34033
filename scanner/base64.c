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

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_AVX2_PATH 1
#include <immintrin.h>
#include <string.h>

/* Whole blocks of 32 alphabet characters, 24 bytes each, with AVX2 (the
 * classification and packing of Muła and Lemire, "Faster Base64 Encoding
 * and Decoding using AVX2 Instructions", 2018). Returns how many characters
 * it decoded, a multiple of 32: it stops before the first block holding
 * anything but the 64 alphabet characters (whitespace, '=', an error), which
 * the scalar code then reads. A row's certificates are 2-5 KB of base64:
 * reading 100,000 rows of ~2.1 KB took 1.03 µs a row with it, 1.57 µs
 * without (docs/performance.md, "Reading rows in C"). */
__attribute__((target("avx2"))) static size_t decode_avx2(const unsigned char *in, size_t n,
                                                          unsigned char *out)
{
	/* A byte is in the alphabet when lut_hi[its high nibble] and
	 * lut_lo[its low nibble] share no bit: bit 0 stands for 0x2_ (only
	 * '+' and '/' valid), 1 for 0x3_ ('0'-'9'), 2 for 0x4_ and 0x6_ (not
	 * 0x_0), 3 for 0x5_ and 0x7_ (up to 0x_A), 4 for every other high
	 * nibble (none valid); lut_lo holds the classes a low nibble is
	 * invalid in. */
	const __m256i lut_lo = _mm256_setr_epi8(
	    0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b,
	    0x1a, 0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b,
	    0x1b, 0x1a);
	const __m256i lut_hi = _mm256_setr_epi8(
	    0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
	    0x10, 0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
	    0x10, 0x10);
	/* What to add to a character for its value, by high nibble ('/' one
	 * below '+': 0x2F - 1): '/' +16, '+' +19, digits +4, 'A'-'Z' -65,
	 * 'a'-'z' -71. */
	const __m256i lut_roll = _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0,
	                                          0, 0, 0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0,
	                                          0, 0, 0, 0);
	const __m256i nibble = _mm256_set1_epi8(0x0f), slash = _mm256_set1_epi8(0x2f);
	/* Four 6-bit values a b c d per 32-bit lane -> 24 bits, a first. */
	const __m256i pairs = _mm256_set1_epi32(0x01400140), quads = _mm256_set1_epi32(0x00011000);
	/* The 3 bytes of each lane, most significant first, packed to 12 per
	 * 128-bit half, then the halves joined: 24 bytes. */
	const __m256i order = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
	                                       2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
	const __m256i join = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
	size_t i = 0;
	unsigned char tmp[32];
	for (; i + 32 <= n; i += 32) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(in + i));
		__m256i hi = _mm256_and_si256(_mm256_srli_epi32(v, 4), nibble);
		__m256i lo = _mm256_and_si256(v, nibble);
		if (!_mm256_testz_si256(_mm256_shuffle_epi8(lut_lo, lo),
		                        _mm256_shuffle_epi8(lut_hi, hi)))
			break;
		__m256i roll = _mm256_shuffle_epi8(lut_roll,
		                                   _mm256_add_epi8(_mm256_cmpeq_epi8(v, slash), hi));
		v = _mm256_add_epi8(v, roll);
		v = _mm256_madd_epi16(_mm256_maddubs_epi16(v, pairs), quads);
		v = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, order), join);
		/* Through a buffer: a direct 32-byte store would need 8 bytes of
		 * room past the output's bound. */
		_mm256_storeu_si256((__m256i *)tmp, v);
		memcpy(out + i / 4 * 3, tmp, 24);
	}
	return i;
}
#endif

bool scan_base64_avx2_available(void)
{
#ifdef HAVE_AVX2_PATH
	return __builtin_cpu_supports("avx2"); /* a flag set once at start-up */
#else
	return false;
#endif
}

bool scan_base64_decode_with(const char *in, size_t n, unsigned char *out, size_t *outlen,
                             const char **why, bool avx2)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0, i = 0;
#ifdef HAVE_AVX2_PATH
	if (avx2 && scan_base64_avx2_available()) {
		i = decode_avx2(p, n, out);
		o = i / 4 * 3;
	}
#else
	(void)avx2;
#endif
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

bool scan_base64_decode(const char *in, size_t n, unsigned char *out, size_t *outlen,
                        const char **why)
{
	return scan_base64_decode_with(in, n, out, outlen, why, true);
}
