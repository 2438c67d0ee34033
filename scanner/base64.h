/* scanner: base64 (RFC 4648, standard alphabet) decoding of certificates.
 *
 * Why not nettle's or GnuTLS's decoder: measured on a row of 2-3
 * certificates (4.7 KB of base64), nettle's base64_decode_update runs at
 * 416 MB/s (11 µs a row) and gnutls_base64_decode2 at 303 MB/s, which alone
 * exceed the scanner's budget for a row already seen (10 µs); a table
 * decoder of four characters at a time runs at ~1.9 GB/s, and on CPUs
 * with AVX2 (chosen at run time) whole blocks of 32 characters are decoded
 * with vector instructions first. No Debian 12 package offers a fast
 * decoder. (docs/performance.md, "Reading rows".)
 *
 * The rules are Python's base64.b64decode(validate=True) after removing
 * whitespace (what the scanner has always accepted): whitespace anywhere is
 * ignored; any other character outside the alphabet, a length that is not
 * a multiple of 4, or '=' anywhere but in the last one or two positions is
 * an error. Thread-safe (no state).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef SCANNER_BASE64_H
#define SCANNER_BASE64_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* At most how many bytes @n characters decode to. */
static inline size_t scan_base64_max(size_t n)
{
	return n / 4 * 3 + 3;
}

/* Decode @n characters of @in into @out (room for scan_base64_max(n)
 * bytes); the length in @outlen. False, with a reason in @why, on bad input. */
bool scan_base64_decode(const char *in, size_t n, unsigned char *out, size_t *outlen,
                        const char **why);

/* The same, with the AVX2 path allowed or not (when the CPU has AVX2):
 * the tests and fuzz_scan compare the two. */
bool scan_base64_decode_with(const char *in, size_t n, unsigned char *out, size_t *outlen,
                             const char **why, bool avx2);
/* Whether this CPU runs the AVX2 path. */
bool scan_base64_avx2_available(void);

#ifdef __cplusplus
}
#endif

#endif /* SCANNER_BASE64_H */
