/* Text from certificates: whether a DER string holds what its type says
 * (X.690 8.23: UTF8String is UTF-8, BMPString UCS-2, UniversalString
 * UCS-4), and making any text safe to hand out: results promise valid
 * UTF-8, and a hostile name must not smuggle control characters into a
 * terminal or a log. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* Length of the well-formed UTF-8 sequence at @p (RFC 3629: shortest form,
 * no surrogates, at most U+10FFFF), or 0: common/utf8.h's, which the
 * scanner's JSON and CSV writers use too. */
static size_t utf8_sequence(const unsigned char *p, size_t len)
{
	uint32_t cp;
	return chainval_utf8_next(p, len, &cp);
}

bool chain__utf8_valid(const unsigned char *p, size_t len)
{
	for (size_t i = 0, n; i < len; i += n)
		if (!(n = utf8_sequence(p + i, len - i)))
			return false;
	return true;
}

static bool code_point_valid(uint32_t cp)
{
	return cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
}

bool chain__string_valid(unsigned char tag, chain__slice v)
{
	switch (tag) {
	case 0x0c: /* UTF8String */
		return chain__utf8_valid(v.p, v.len);
	case 0x1e: /* BMPString: UCS-2, so no surrogate halves */
		if (v.len % 2)
			return false;
		for (size_t i = 0; i < v.len; i += 2)
			if (!code_point_valid((uint32_t)v.p[i] << 8 | v.p[i + 1]))
				return false;
		return true;
	case 0x1c: /* UniversalString: UCS-4 */
		if (v.len % 4)
			return false;
		for (size_t i = 0; i < v.len; i += 4)
			if (!code_point_valid((uint32_t)v.p[i] << 24 | (uint32_t)v.p[i + 1] << 16 |
			                      (uint32_t)v.p[i + 2] << 8 | v.p[i + 3]))
				return false;
		return true;
	default:
		return true;
	}
}

/* A byte that goes out as RFC 4514's \XX: one that starts no valid UTF-8
 * sequence, the C0 and C1 controls and DEL, and the bytes of the Unicode
 * controls that reorder text on screen (U+200E/F, U+202A-202E, U+2066-2069):
 * a name must not hide or rearrange what a terminal or a report shows. */
static size_t safe_run(const unsigned char *p, size_t len)
{
	if (p[0] < 0x20 || p[0] == 0x7f)
		return 0;
	size_t n = utf8_sequence(p, len);
	if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) /* U+0080..U+009F */
		return 0;
	if (n == 3 && p[0] == 0xe2 && p[1] == 0x80 &&
	    (p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae)))
		return 0;
	if (n == 3 && p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
		return 0;
	return n;
}

void chain__hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		*out++ = digits[p[i] >> 4];
		*out++ = digits[p[i] & 15];
	}
	*out = '\0';
}

char *chain__text_safe(char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len, escapes = 0;

	if (!text)
		return NULL;
	len = strlen(text);
	for (size_t i = 0, n; i < len; i += n ? n : 1)
		escapes += !(n = safe_run(s + i, len - i));
	if (!escapes)
		return text;
	char *out = malloc(len + 2 * escapes + 1), *w = out;
	for (size_t i = 0, n; out && i < len; i += n ? n : 1) {
		if ((n = safe_run(s + i, len - i))) {
			memcpy(w, s + i, n);
			w += n;
		} else {
			static const char hex[] = "0123456789ABCDEF";
			*w++ = '\\';
			*w++ = hex[s[i] >> 4];
			*w++ = hex[s[i] & 15];
		}
	}
	if (out)
		*w = '\0';
	free(text);
	return out;
}
