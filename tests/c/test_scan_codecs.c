/* The scanner's codecs. Its base64 decoder (scanner/base64.c): the AVX2 path
 * against the scalar one, byte for byte, on every byte value at every
 * position of a vector block and on random text, and both against known
 * vectors. Its JSON strings (scanner/buf.c), which pass over text 8 bytes
 * at a time: against a byte-by-byte reference, every special byte at every
 * position of a word; and the strings written unscanned (json_plain).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <chain/chain.h>

#include "base64.h"
#include "buf.h"
#include "tap.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

typedef struct {
	bool ok;
	size_t len;
	const char *why;
	unsigned char out[4096];
} decoded;

static void decode(const char *in, size_t n, bool avx2, decoded *d)
{
	memset(d, 0, sizeof(*d));
	d->ok = scan_base64_decode_with(in, n, d->out, &d->len, &d->why, avx2);
}

/* Both paths agree on @in: verdict, reason, length and bytes. */
static bool agree(const char *in, size_t n)
{
	static decoded a, b;
	decode(in, n, false, &a);
	decode(in, n, true, &b);
	if (a.ok != b.ok || (!a.ok && strcmp(a.why, b.why)))
		return false;
	return !a.ok || (a.len == b.len && !memcmp(a.out, b.out, a.len));
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

static size_t encode(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
		             (i + 2 < n ? in[i + 2] : 0);
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
	}
	return o;
}

/* The JSON string of ASCII text @s, byte by byte, as Python's json.dumps
 * writes it (the reference for scan_buf_json_string on ASCII). */
static void json_reference(scan_buf *b, const unsigned char *s, size_t n)
{
	scan_buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		const char *sh = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
		                 : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b"
		                 : c == '\f' ? "\\f" : NULL;
		char u[7];
		if (sh)
			scan_buf_puts(b, sh);
		else if (c < 0x20 || c == 0x7f)
			scan_buf_put(b, u, (size_t)snprintf(u, sizeof(u), "\\u%04x", c));
		else
			scan_buf_putc(b, (char)c);
	}
	scan_buf_putc(b, '"');
}

static bool json_agrees(const unsigned char *s, size_t n)
{
	scan_buf got = {0}, want = {0};
	scan_buf_json_string(&got, (const char *)s, n);
	json_reference(&want, s, n);
	bool same = !got.failed && !want.failed && got.len == want.len &&
	            !memcmp(got.data, want.data, got.len);
	scan_buf_free(&got);
	scan_buf_free(&want);
	return same;
}

/* scan_buf_json_plain(@s) writes what scan_buf_json_string writes. */
static bool json_plain_agrees(const char *s)
{
	scan_buf plain = {0}, scanned = {0};
	scan_buf_json_plain(&plain, s);
	scan_buf_json_string(&scanned, s, strlen(s));
	bool same = !plain.failed && !scanned.failed && plain.len == scanned.len &&
	            !memcmp(plain.data, scanned.data, plain.len);
	scan_buf_free(&plain);
	scan_buf_free(&scanned);
	return same;
}

static void test_json_strings(void)
{
	/* Every ASCII byte at every position of three words of plain text, alone
	 * and next to a second special byte. */
	unsigned char text[24];
	bool each = true;
	for (int c = 0; c < 128 && each; c++)
		for (size_t k = 0; k < sizeof(text) && each; k++)
			for (size_t k2 = 0; k2 <= sizeof(text) && each; k2 += 5) {
				for (size_t i = 0; i < sizeof(text); i++)
					text[i] = (unsigned char)('a' + i % 26);
				text[k] = (unsigned char)c;
				if (k2 < sizeof(text))
					text[k2] = '"';
				for (size_t n = k; n <= sizeof(text) && each; n += 7)
					each = json_agrees(text, n);
			}
	CHECK(each, "JSON strings: every ASCII byte at every position of a word is written as "
	            "json.dumps writes it");

	/* Non-ASCII in the middle of a word goes to the byte-by-byte writer:
	 * U+00E9 and U+1F600 (a surrogate pair), and a bad byte (U+FFFD). */
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"abcdefg\xc3\xa9hijklmnop", "\"abcdefg\\u00e9hijklmnop\""},
	    {"0123456789abcdef\xf0\x9f\x98\x80", "\"0123456789abcdef\\ud83d\\ude00\""},
	    {"01234567\xff" "89abcdef", "\"01234567\\ufffd89abcdef\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		scan_buf b = {0};
		scan_buf_json_string(&b, cases[i].in, strlen(cases[i].in));
		CHECK(b.len == strlen(cases[i].out) && !memcmp(b.data, cases[i].out, b.len),
		      "JSON strings: non-ASCII case %zu", i);
		scan_buf_free(&b);
	}

	bool random_ok = true;
	for (int iter = 0; iter < 20000 && random_ok; iter++) {
		unsigned char buf[100];
		size_t n = next() % sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = next() % 9 ? (unsigned char)(0x20 + next() % 95) : (unsigned char)(next() % 128);
		random_ok = json_agrees(buf, n);
	}
	CHECK(random_ok, "JSON strings: 20,000 random ASCII texts agree with the reference");
}

/* scan_buf_json_plain copies text unscanned: the text it is given must be
 * written as json.dumps would write it. Every reason code libchain can name
 * (and "unknown"), a fingerprint's hex and an RFC 3339 time are. */
static void test_plain_strings(void)
{
	static const char *const others[] = {
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "2099-12-31T23:59:59Z"};
	bool plain = true;
	for (int r = 0; r < 128 && plain; r++)
		plain = json_plain_agrees(chain_reason_str((chain_reason)r));
	CHECK(plain, "JSON strings: every reason code needs no escaping (scan_buf_json_plain)");
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		CHECK(json_plain_agrees(others[i]), "JSON strings: %s needs no escaping", others[i]);
}

int main(void)
{
	test_json_strings();
	test_plain_strings();
	printf("# AVX2 path %s on this CPU\n", scan_base64_avx2_available() ? "runs" : "does not run");

	/* RFC 4648, section 10, and a block-sized vector. */
	static const char *const vectors[][2] = {
	    {"", ""}, {"Zg==", "f"}, {"Zm8=", "fo"}, {"Zm9v", "foo"}, {"Zm9vYg==", "foob"},
	    {"Zm9vYmE=", "fooba"}, {"Zm9vYmFy", "foobar"},
	    {"VGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcyBvdmVyIHRoZSBsYXp5IGRvZy4=",
	     "The quick brown fox jumps over the lazy dog."},
	};
	for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++)
		for (int simd = 0; simd < 2; simd++) {
			static decoded d;
			decode(vectors[v][0], strlen(vectors[v][0]), simd, &d);
			CHECK(d.ok && d.len == strlen(vectors[v][1]) &&
			          !memcmp(d.out, vectors[v][1], d.len),
			      "RFC 4648 vector %zu decodes (%s path)", v, simd ? "AVX2" : "scalar");
		}

	/* Random bytes of every length up to 3 blocks and some, encoded then
	 * decoded: both paths give back the bytes. */
	bool roundtrip = true;
	for (size_t n = 0; n < 200 && roundtrip; n++)
		for (int rep = 0; rep < 20 && roundtrip; rep++) {
			unsigned char raw[200];
			char text[280];
			for (size_t i = 0; i < n; i++)
				raw[i] = (unsigned char)next();
			size_t t = encode(raw, n, text);
			for (int simd = 0; simd < 2; simd++) {
				static decoded d;
				decode(text, t, simd, &d);
				roundtrip = roundtrip && d.ok && d.len == n && !memcmp(d.out, raw, n);
			}
		}
	CHECK(roundtrip, "random bytes of 0-199 bytes come back from both paths");

	/* Every byte value at every position of the first and second 32-byte
	 * block of valid text: the vector classification is exact. */
	char text[96];
	bool exact = true;
	size_t first_bad = 0;
	for (int b = 0; b < 256 && exact; b++)
		for (size_t k = 0; k < 64 && exact; k++) {
			for (size_t i = 0; i < sizeof(text); i++)
				text[i] = alphabet[(i * 7 + 3) % 64];
			text[k] = (char)b;
			exact = agree(text, sizeof(text));
			first_bad = (size_t)b << 8 | k;
		}
	CHECK(exact, "every byte value at every position of two blocks: the paths agree%s",
	      exact ? "" : " (first disagreement recorded)");
	if (!exact)
		printf("# byte 0x%02zx at position %zu\n", first_bad >> 8, first_bad & 255);

	/* Random text, mostly alphabet, with whitespace, '=' and other bytes
	 * mixed in at several rates: verdicts, reasons and bytes agree. */
	static const char extra[] = " \t\r\n=-_.\"\\\x80\xff";
	bool random_ok = true;
	for (int iter = 0; iter < 100000 && random_ok; iter++) {
		char buf[300];
		size_t n = next() % sizeof(buf);
		uint32_t rate = 1 + next() % 400; /* 1 in rate characters is not alphabet */
		for (size_t i = 0; i < n; i++)
			buf[i] = next() % rate ? alphabet[next() % 64]
			                       : extra[next() % (sizeof(extra) - 1)];
		random_ok = agree(buf, n);
	}
	CHECK(random_ok, "100,000 random texts with whitespace, padding and bad bytes: the paths "
	                 "agree");
	return tap_done();
}
