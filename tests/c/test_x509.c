/* x509.c against GnuTLS: every certificate of the fixtures (and of any PEM
 * files named after DATA_DIR, e.g. x509-limbo's), and thousands of
 * mutations of their TBS bytes, are parsed twice: with libchain's own
 * reader first (falling back to GnuTLS where it declines) and with GnuTLS
 * alone. The reader must never accept what GnuTLS refuses, and every field
 * the checks read must come out the same; names.c's subjectAltName and
 * common-name readers and dn.c's name text are compared with GnuTLS's as
 * well. Linked
 * with libchain's objects, to reach the internal functions. */
#include "fixtures.h"
#include "internal.h"
#include "tap.h"
#include "x509_compare.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	unsigned char *der;
	size_t len;
} cert_der;

static cert_der *corpus;
static size_t n_corpus, cap_corpus;
static size_t parsed, own, refused_by_both, failures;
static char first_failure[512];

/* With CHAIN_TEST_DUMP=DIR, the first failing inputs are written there. */
static void dump(const unsigned char *der, size_t len)
{
	const char *dir = getenv("CHAIN_TEST_DUMP");
	char path[4096];
	if (!dir || failures > 20)
		return;
	snprintf(path, sizeof(path), "%s/x509-%zu.der", dir, failures);
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(der, 1, len, f);
		fclose(f);
	}
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	if (failures++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(first_failure, sizeof(first_failure), fmt, ap);
		va_end(ap);
	}
}

static int add_der(void *unused, size_t index, const unsigned char *der, size_t len)
{
	(void)unused;
	(void)index;
	for (size_t i = 0; i < n_corpus; i++)
		if (corpus[i].len == len && memcmp(corpus[i].der, der, len) == 0)
			return 0;
	if (n_corpus == cap_corpus) {
		cap_corpus = cap_corpus ? 2 * cap_corpus : 256;
		corpus = realloc(corpus, cap_corpus * sizeof(*corpus));
	}
	corpus[n_corpus].der = malloc(len);
	memcpy(corpus[n_corpus].der, der, len);
	corpus[n_corpus++].len = len;
	return 0;
}

static void add_file(const char *dir, const char *name)
{
	size_t len;
	char *pem = test_read_file(dir, name, &len);
	if (pem)
		chain_pem_foreach(pem, len, add_der, NULL);
	free(pem);
}

static void add_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > 4 && strcmp(e->d_name + n - 4, ".pem") == 0)
			add_file(dir, e->d_name);
	}
	if (d)
		closedir(d);
}

/* Parse @der both ways and compare. */
static void compare(const unsigned char *der, size_t len, const char *what)
{
	chain__cert *a = NULL, *b = NULL;
	const char *wa = NULL, *wb = NULL, *why;
	int ra = chain__cert_parse_with(&a, der, len, NULL, &wa, true);
	int rb = chain__cert_parse_with(&b, der, len, NULL, &wb, false);

	parsed++;
	if (ra == CHAIN_OK && a->own_reader)
		own++;
	size_t failures_before = failures;
	if (ra != rb) {
		fail("%s: own reader %d (%s), GnuTLS %d (%s)", what, ra, wa ? wa : "", rb, wb ? wb : "");
	} else if (ra != CHAIN_OK) {
		refused_by_both++;
	} else if ((why = x509_fields_differ(a, b))) {
		fail("%s: %s differs", what, why);
	} else if ((why = x509_names_differ(a, chain__cert_crt(b))) ||
	           (why = x509_dn_differs(a->parts.subject)) ||
	           (why = x509_dn_differs(a->parts.issuer))) {
		fail("%s: %s", what, why);
	}
	if (failures != failures_before)
		dump(der, len);
	chain__cert_unref(a);
	chain__cert_unref(b);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* One length-preserving change inside the TBS (where the reader works). */
static void mutate(unsigned char *der, size_t len)
{
	static const unsigned char interesting[] = {0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x0c, 0x13,
	                                            0x16, 0x17, 0x18, 0x1e, 0x30, 0x31, 0x7f, 0x80,
	                                            0x81, 0x82, 0x87, 0xa0, 0xa3, 0xff, '0', '9',
	                                            'Z', '.', '*', ' '};
	size_t start = len > 8 ? 4 : 0, pos = start + rng() % (len - start);
	switch (rng() % 4) {
	case 0: der[pos] ^= (unsigned char)(1u << (rng() % 8)); break;
	case 1: der[pos] = (unsigned char)rng(); break;
	case 2: der[pos] = interesting[rng() % sizeof(interesting)]; break;
	default: der[pos] += (rng() & 1) ? 1 : 0xff; break;
	}
}

/* ---- structure-aware variants: an extension's value replaced ---------------- */

typedef struct {
	unsigned char *p;
	size_t n, cap;
} buf;

static void put(buf *b, const void *data, size_t len)
{
	if (b->n + len > b->cap) {
		b->cap = (b->n + len) * 2 + 64;
		b->p = realloc(b->p, b->cap);
	}
	if (len)
		memcpy(b->p + b->n, data, len);
	b->n += len;
}

/* Append tag, DER length, content. */
static void put_tlv(buf *b, unsigned char tag, const unsigned char *content, size_t len)
{
	unsigned char head[6];
	put(b, head, test_der_header(head, tag, len));
	put(b, content, len);
}

static bool next_tlv(const unsigned char **p, const unsigned char *end, unsigned char *tag,
                     chain__slice *tlv, chain__slice *content)
{
	return chain__der_read(p, end, tag, tlv, content);
}

/* The TBS of @c and what follows it in the Certificate (the signature
 * algorithm and value). */
static bool split_cert(const cert_der *c, chain__slice *tbs, chain__slice *rest)
{
	chain__slice whole, cert;
	unsigned char tag;
	const unsigned char *p = c->der;

	if (!next_tlv(&p, c->der + c->len, &tag, &whole, &cert))
		return false;
	p = cert.p;
	if (!next_tlv(&p, cert.p + cert.len, &tag, &whole, tbs))
		return false;
	*rest = (chain__slice){p, (size_t)(cert.p + cert.len - p)};
	return true;
}

/* @c with its TBS field number @index (0: version) replaced by @tlv; every
 * enclosing length is re-encoded. */
static unsigned char *with_tbs_field(const cert_der *c, size_t index, const unsigned char *tlv,
                                     size_t tlv_len, size_t *out_len)
{
	chain__slice tbs, rest, f, content;
	unsigned char tag;
	buf tbsb = {0}, body = {0}, out = {0};

	if (!split_cert(c, &tbs, &rest))
		return NULL;
	const unsigned char *q = tbs.p;
	for (size_t i = 0; q < tbs.p + tbs.len && next_tlv(&q, tbs.p + tbs.len, &tag, &f, &content); i++)
		put(&tbsb, i == index ? tlv : f.p, i == index ? tlv_len : f.len);
	put_tlv(&body, 0x30, tbsb.p, tbsb.n);
	put(&body, rest.p, rest.len);
	put_tlv(&out, 0x30, body.p, body.n);
	free(tbsb.p);
	free(body.p);
	*out_len = out.n;
	return out.p;
}

/* @der with extension @oid's extnValue replaced by @value, its critical flag
 * encoded as @critical (0: absent, 1: TRUE, 2: explicit FALSE), and the
 * extension written twice when @twice; NULL when there is no such
 * extension. */
static unsigned char *with_extension(const cert_der *c, const unsigned char *oid, size_t oid_len,
                                     const unsigned char *value, size_t vlen, int critical,
                                     bool twice, size_t *out_len)
{
	chain__slice tbs, rest, f, exts, tlv, list, e, eoid;
	unsigned char tag;
	size_t index = 0;

	if (!split_cert(c, &tbs, &rest))
		return NULL;
	/* The [3] extensions field: its position and its list. */
	for (const unsigned char *q = tbs.p;; index++) {
		if (q >= tbs.p + tbs.len || !next_tlv(&q, tbs.p + tbs.len, &tag, &f, &exts))
			return NULL;
		if (tag == 0xa3)
			break;
	}
	const unsigned char *r = exts.p;
	if (!next_tlv(&r, exts.p + exts.len, &tag, &tlv, &list))
		return NULL;
	buf ext = {0}, seq = {0}, wrapped = {0}, field = {0};
	bool found = false;
	for (const unsigned char *s = list.p; s < list.p + list.len;) {
		if (!next_tlv(&s, list.p + list.len, &tag, &tlv, &e))
			break;
		const unsigned char *t = e.p;
		if (!next_tlv(&t, e.p + e.len, &tag, &f, &eoid) || eoid.len != oid_len ||
		    memcmp(eoid.p, oid, oid_len) != 0) {
			put(&seq, tlv.p, tlv.len);
			continue;
		}
		buf one = {0};
		put(&one, f.p, f.len);
		if (critical)
			put(&one, critical == 1 ? "\x01\x01\xff" : "\x01\x01\x00", 3);
		put_tlv(&one, 0x04, value, vlen);
		put_tlv(&ext, 0x30, one.p, one.n);
		free(one.p);
		put(&seq, ext.p, ext.n);
		if (twice)
			put(&seq, ext.p, ext.n);
		found = true;
	}
	unsigned char *result = NULL;
	if (found) {
		put_tlv(&wrapped, 0x30, seq.p, seq.n);
		put_tlv(&field, 0xa3, wrapped.p, wrapped.n);
		result = with_tbs_field(c, index, field.p, field.n, out_len);
	}
	free(ext.p);
	free(seq.p);
	free(wrapped.p);
	free(field.p);
	return result;
}

/* extnValue variants of known extensions: well-formed, edge and broken. */
static const struct {
	unsigned char oid_last; /* 2.5.29.x */
	size_t n;
	struct {
		const char *der;
		size_t len;
	} v[24];
} variants[] = {
#define X(s) {s, sizeof(s) - 1}
	{15, 14, {X("\x03\x01\x00"), X("\x03\x02\x07\x80"), X("\x03\x02\x00\xff"), X("\x03\x02\x01\x86"),
	          X("\x03\x03\x07\x86\x80"), X("\x03\x03\x00\xff\xff"), X("\x03\x04\x00\x01\x02\x03"),
	          X("\x03\x02\x08\x80"), X("\x04\x02\x07\x80"), X("\x03\x02\x05\xa0"), X("\x03\x00"),
	          X("\x03\x02\x07\x04"), X("\x03\x03\x00\x04\x00"), X("\x03\x02\x02\x06")}},
	{19, 17, {X("\x30\x00"), X("\x30\x03\x01\x01\xff"), X("\x30\x03\x01\x01\x00"),
	          X("\x30\x06\x01\x01\xff\x02\x01\x05"), X("\x30\x03\x02\x01\x05"),
	          X("\x30\x06\x01\x01\xff\x02\x01\x00"), X("\x30\x06\x01\x01\xff\x02\x01\x7f"),
	          X("\x30\x07\x01\x01\xff\x02\x02\x00\x80"), X("\x30\x09\x01\x01\xff\x02\x04\x7f\xff\xff\xff"),
	          X("\x30\x0a\x01\x01\xff\x02\x05\x00\x80\x00\x00\x00"), X("\x30\x06\x01\x01\xff\x02\x01\xff"),
	          X("\x30\x07\x01\x01\xff\x02\x02\x00\x05"), X("\x30\x03\x01\x01\x01"),
	          X("\x30\x06\x02\x01\x05\x01\x01\xff"), X("\x31\x03\x01\x01\xff"),
	          X("\x30\x09\x01\x01\xff\x02\x01\x05\x02\x01\x05"), X("\x30\x06\x01\x01\xff\x02\x01\x06")}},
	{14, 6, {X("\x04\x00"), X("\x04\x01\xaa"), X("\x03\x02\x00\xaa"),
	         X("\x04\x40" "0123456789012345678901234567890123456789012345678901234567890123"),
	         X("\x04\x41" "01234567890123456789012345678901234567890123456789012345678901234"),
	         X("\x04\x02\xaa")}},
	{37, 10, {X("\x30\x00"), X("\x30\x0a\x06\x08\x2b\x06\x01\x05\x05\x07\x03\x01"),
	          X("\x30\x14\x06\x08\x2b\x06\x01\x05\x05\x07\x03\x01\x06\x08\x2b\x06\x01\x05\x05\x07\x03\x02"),
	          X("\x30\x06\x06\x04\x55\x1d\x25\x00"), X("\x30\x05\x06\x03\x2b\x80\x01"),
	          X("\x30\x05\x06\x03\x2b\x06\x81"), X("\x30\x02\x05\x00"),
	          X("\x30\x0d\x06\x0b\x2b\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),
	          X("\x31\x0a\x06\x08\x2b\x06\x01\x05\x05\x07\x03\x01"), X("\x30\x03\x06\x01\x00")}},
	{17, 24, {X("\x30\x00"), X("\x30\x0d\x82\x0b" "example.com"), X("\x30\x0d\x82\x0b" "exa\x00ple.com"),
	          X("\x30\x0d\x82\x0b" "exa ple.com"), X("\x30\x0d\x82\x0b" "ex\xc3\xa9ple.co"),
	          X("\x30\x06\x87\x04\xc0\x00\x02\x01"), X("\x30\x07\x87\x05\xc0\x00\x02\x01\x01"),
	          X("\x30\x12\x87\x10\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"),
	          X("\x30\x0d\x81\x0b" "a@example.c"), X("\x30\x0f\x86\x0dhttps://a.b/c"),
	          X("\x30\x0f\xa4\x0d\x30\x0b\x31\x09\x30\x07\x06\x03\x55\x04\x03\x0c\x00"),
	          X("\x30\x0e\xa0\x0c\x06\x03\x2a\x03\x04\xa0\x05\x0c\x03" "abc"),
	          X("\x30\x0d\x82\x0b*.example.c"), X("\x30\x05\x88\x03\x2a\x03\x04"),
	          X("\x30\x02\x82\x00"), X("\x30\x0d\x16\x0b" "example.com"),
	          /* directoryName, registeredID, otherName (id-on-SmtpUTF8Mailbox); then
	           * the directoryName's length past its Name (26, 21) or short of it (9)
	           * (libtasn1 reads the names after it anyway: fuzz_x509's finding),
	           * otherName with a byte after its value or inside its [0], a
	           * constructed dNSName, an empty directoryName. */
	          X("\x30\x2a\xa4\x10\x30\x0e\x31\x0c\x30\x0a\x06\x03\x55\x04\x03\x0c\x03\x64\x69\x72\x88\x03\x2a\x03\x04\xa0\x11\x06\x08\x2b\x06\x01\x05\x05\x07\x08\x09\xa0\x05\x0c\x03\x61\x62\x63"),
	          X("\x30\x2a\xa4\x1a\x30\x0e\x31\x0c\x30\x0a\x06\x03\x55\x04\x03\x0c\x03\x64\x69\x72\x88\x03\x2a\x03\x04\xa0\x11\x06\x08\x2b\x06\x01\x05\x05\x07\x08\x09\xa0\x05\x0c\x03\x61\x62\x63"),
	          X("\x30\x2a\xa4\x15\x30\x0e\x31\x0c\x30\x0a\x06\x03\x55\x04\x03\x0c\x03\x64\x69\x72\x88\x03\x2a\x03\x04\xa0\x11\x06\x08\x2b\x06\x01\x05\x05\x07\x08\x09\xa0\x05\x0c\x03\x61\x62\x63"),
	          X("\x30\x2a\xa4\x09\x30\x0e\x31\x0c\x30\x0a\x06\x03\x55\x04\x03\x0c\x03\x64\x69\x72\x88\x03\x2a\x03\x04\xa0\x11\x06\x08\x2b\x06\x01\x05\x05\x07\x08\x09\xa0\x05\x0c\x03\x61\x62\x63"),
	          X("\x30\x15\xa0\x13\x06\x08\x2b\x06\x01\x05\x05\x07\x08\x09\xa0\x05\x0c\x03\x61\x62\x63\x05\x00"),
	          X("\x30\x15\xa0\x13\x06\x08\x2b\x06\x01\x05\x05\x07\x08\x09\xa0\x07\x0c\x03\x61\x62\x63\x05\x00"),
	          X("\x30\x0f\xa2\x0d\x04\x0b\x65\x78\x61\x6d\x70\x6c\x65\x2e\x63\x6f\x6d"),
	          X("\x30\x0f\xa4\x00\x82\x0b\x65\x78\x61\x6d\x70\x6c\x65\x2e\x63\x6f\x6d")}},
	{35, 8, {X("\x30\x00"), X("\x30\x06\x80\x04\x01\x02\x03\x04"), X("\x30\x04\x82\x02\x01\x02"),
	         X("\x30\x0a\x80\x04\x01\x02\x03\x04\x82\x02\x01\x02"), X("\x04\x02\x01\x02"),
	         X("\x30\x08\xa1\x02\x30\x00\x82\x02\x01\x02"), X("\x30\x02\x80\x00"), X("\x30\x03\x80\x01")}},
#undef X
};

/* Each variant of each known extension, in each certificate that has it,
 * with its criticality absent, TRUE and explicitly FALSE, and written twice. */
static int rounds = 50;

/* Visit about @certs certificates of the corpus at the default rounds
 * (every certificate when the corpus is smaller), fewer with fewer rounds. */
static size_t stride(size_t certs)
{
	size_t s = n_corpus * 50 / ((size_t)rounds * certs);
	return s ? s : 1;
}

static void structural_variants(void)
{
	for (size_t i = 0; i < n_corpus; i += stride(200))
		for (size_t k = 0; k < sizeof(variants) / sizeof(variants[0]); k++)
			for (size_t j = 0; j < variants[k].n; j++)
				for (int crit = 0; crit < 4; crit++) {
					unsigned char oid[3] = {0x55, 0x1d, variants[k].oid_last};
					size_t len;
					unsigned char *der = with_extension(
						&corpus[i], oid, 3, (const unsigned char *)variants[k].v[j].der,
						variants[k].v[j].len, crit % 3, crit == 3, &len);
					if (!der)
						break; /* the certificate lacks the extension */
					compare(der, len, "a certificate with a changed extension");
					free(der);
				}
}

/* Every digit of the validity's times set to every value, one at a time,
 * and the year of each time swept (UTCTime 00..99, GeneralizedTime
 * 1899..2101). */
static void time_variants(void)
{
	for (size_t i = 0; i < n_corpus; i += stride(40)) {
		cert_der *c = &corpus[i];
		unsigned char *copy = malloc(c->len);
		for (size_t pos = 0; pos + 15 < c->len; pos++) {
			bool utc = c->der[pos] == 0x17 && c->der[pos + 1] == 13;
			bool gen = c->der[pos] == 0x18 && c->der[pos + 1] == 15;
			if (!utc && !gen)
				continue;
			size_t digits = utc ? 12 : 14, at = pos + 2;
			for (size_t d = 0; d <= digits; d++)
				for (int v = 0; v < 12; v++) {
					memcpy(copy, c->der, c->len);
					copy[at + d] = (unsigned char)("0123456789Z."[v]);
					compare(copy, c->len, "a certificate with a changed time digit");
				}
			for (int y = utc ? 0 : 1899; y <= (utc ? 99 : 2101); y++) {
				memcpy(copy, c->der, c->len);
				if (utc) {
					copy[at] = (unsigned char)('0' + y / 10);
					copy[at + 1] = (unsigned char)('0' + y % 10);
				} else {
					for (int k = 0; k < 4; k++)
						copy[at + 3 - k] = (unsigned char)('0' + (y / (int[]){1, 10, 100, 1000}[k]) % 10);
				}
				compare(copy, c->len, "a certificate with another year");
			}
		}
		free(copy);
	}
}

/* Synthetic names: each attribute type of the usual ones under each string
 * type, with values that need escaping, alone and in two- and
 * three-RDN names and in a multi-valued RDN, against GnuTLS's text. */
static size_t name_variants(void)
{
	static const char *const oids[] = {
		"\x55\x04\x03", "\x55\x04\x0a", "\x55\x04\x0b", "\x55\x04\x07", "\x55\x04\x08",
		"\x55\x04\x06", "\x55\x04\x05", "\x55\x04\x09", "\x55\x04\x0c", "\x55\x04\x2a",
		"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19", "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x01",
		"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01", "\x2b\x06\x01\x04\x01\x82\x37\x3c\x02\x01\x03",
		"\x2a\x03\x04"};
	static const unsigned char tags[] = {0x13, 0x0c, 0x16, 0x14, 0x1e, 0x1a, 0x12};
	static const char *const values[] = {"abc", "Example Org, Inc.", " lead", "trail ", "#x",
	                                     "a+b=c;d<e>\\f\"g", "caf\xc3\xa9", "", "x", "US",
	                                     "a\x01b"};
	size_t checked = 0;
	for (size_t o = 0; o < sizeof(oids) / sizeof(oids[0]); o++)
		for (size_t t = 0; t < sizeof(tags); t++)
			for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++)
				for (int shape = 0; shape < 3; shape++) {
					buf atv = {0}, atv2 = {0}, set = {0}, rdns = {0}, name = {0}, tmp = {0};
					put_tlv(&atv, 0x06, (const unsigned char *)oids[o], strlen(oids[o]));
					put_tlv(&atv, tags[t], (const unsigned char *)values[v], strlen(values[v]));
					put_tlv(&tmp, 0x30, atv.p, atv.n);
					/* shape 0: one RDN; 1: C=US, the RDN, CN=x; 2: a multi-valued RDN */
					put_tlv(&atv2, 0x06, (const unsigned char *)"\x55\x04\x06", 3);
					put_tlv(&atv2, 0x13, (const unsigned char *)"US", 2);
					buf other = {0};
					put_tlv(&other, 0x30, atv2.p, atv2.n);
					if (shape == 2) {
						buf both = {0};
						put(&both, other.p, other.n);
						put(&both, tmp.p, tmp.n);
						put_tlv(&set, 0x31, both.p, both.n);
						free(both.p);
					} else {
						put_tlv(&set, 0x31, tmp.p, tmp.n);
					}
					if (shape == 1)
						put_tlv(&rdns, 0x31, other.p, other.n);
					put(&rdns, set.p, set.n);
					if (shape == 1)
						put_tlv(&rdns, 0x31, (const unsigned char *)"\x30\x08\x06\x03\x55\x04\x03\x0c\x01x",
						        10);
					put_tlv(&name, 0x30, rdns.p, rdns.n);
					const char *why = x509_dn_differs((chain__slice){name.p, name.n});
					if (why)
						fail("synthetic name %zu/%zu/%zu/%d: %s", o, t, v, shape, why);
					/* The same name as the subject of a real certificate: its
					 * common names read as GnuTLS reads them. */
					size_t len;
					unsigned char *der = with_tbs_field(&corpus[0], 5, name.p, name.n, &len);
					if (der)
						compare(der, len, "a certificate with a synthetic subject");
					free(der);
					checked++;
					free(atv.p), free(atv2.p), free(set.p), free(rdns.p), free(name.p);
					free(tmp.p), free(other.p);
				}
	return checked;
}

/* chain__oid_text as it was written with snprintf: the reference. */
static bool oid_text_reference(chain__slice oid, char *out, size_t cap)
{
	size_t used = 0;
	uint64_t arc = 0;
	bool first = true;
	if (oid.len == 0 || (oid.p[oid.len - 1] & 0x80))
		return false;
	for (size_t i = 0; i < oid.len; i++) {
		if ((arc == 0 && oid.p[i] == 0x80) || (arc >> 57))
			return false;
		arc = (arc << 7) | (oid.p[i] & 0x7f);
		if (oid.p[i] & 0x80)
			continue;
		int n;
		if (first) {
			unsigned int top = arc < 40 ? 0 : arc < 80 ? 1 : 2;
			n = snprintf(out + used, cap - used, "%u.%llu", top,
			             (unsigned long long)(arc - 40u * top));
			first = false;
		} else {
			n = snprintf(out + used, cap - used, ".%llu", (unsigned long long)arc);
		}
		if (n < 0 || (size_t)n >= cap - used)
			return false;
		used += (size_t)n;
		arc = 0;
	}
	return true;
}

/* Random OID contents: arcs of 1-10 base-128 octets (some too large for 64
 * bits, some with a leading 0x80, some cut short), read into buffers of
 * every size up to a little more than the text needs: the same verdict and
 * text as the reference. */
static size_t oid_text_cases(void)
{
	size_t checked = 0;
	for (int k = 0; k < 200000; k++) {
		unsigned char der[64];
		size_t len = 0, arcs = 1 + rng() % 6;
		for (size_t a = 0; a < arcs && len < sizeof(der) - 10; a++) {
			size_t octets = 1 + (rng() % 8 == 0 ? rng() % 10 : rng() % 3);
			for (size_t o = 0; o < octets; o++)
				der[len++] = (unsigned char)((rng() & 0x7f) | (o + 1 < octets ? 0x80 : 0));
			if (rng() % 50 == 0)
				der[len - octets] = 0x80; /* not minimal */
		}
		if (rng() % 50 == 0)
			der[len - 1] |= 0x80; /* cut short */
		chain__slice oid = {der, len};
		char want[256], got[256];
		bool ok_want = oid_text_reference(oid, want, sizeof(want));
		size_t need = ok_want ? strlen(want) + 1 : sizeof(want);
		for (size_t cap = 0; cap <= need + 1 && cap <= sizeof(got); cap++) {
			if (k % 16 && cap != need - 1 && cap != need && cap != sizeof(got))
				continue; /* every size for one case in 16; the edges for all */
			bool ok_ref = oid_text_reference(oid, want, cap);
			memset(got, 'x', sizeof(got));
			bool ok = chain__oid_text(oid, got, cap);
			checked++;
			if (ok != ok_ref || (ok && strcmp(got, want) != 0)) {
				if (!failures++)
					snprintf(first_failure, sizeof(first_failure),
					         "OID of %zu octets, room %zu: %s \"%s\", the reference %s \"%s\"",
					         len, cap, ok ? "read" : "refused", ok ? got : "",
					         ok_ref ? "read" : "refused", ok_ref ? want : "");
				return checked;
			}
		}
	}
	return checked;
}

/* One family of variants: none read differently, and the own reader took
 * some (else the family tested only GnuTLS against itself). */
static void run_variants(const char *what, void (*make)(void))
{
	size_t before = parsed, own_before = own;
	make();
	CHECK(failures == 0 && own > own_before,
	      "%zu certificates with %s: read the same both ways (own reader took %zu)%s%s",
	      parsed - before, what, own - own_before, failures ? ": " : "", first_failure);
}

int main(int argc, char **argv)
{
	const char *data_dir = argc > 1 ? argv[1] : "tests/data";
	char path[4096];

	if (getenv("CHAIN_TEST_ROUNDS") && atoi(getenv("CHAIN_TEST_ROUNDS")) > 0)
		rounds = atoi(getenv("CHAIN_TEST_ROUNDS"));
	snprintf(path, sizeof(path), "%s/pki", data_dir);
	add_dir(path);
	snprintf(path, sizeof(path), "%s/nc", data_dir);
	add_dir(path);
	size_t fixtures = n_corpus;
	for (int i = 2; i < argc; i++)
		add_file(argv[i][0] == '/' ? "" : ".", argv[i]);
	CHECK(fixtures > 100, "%zu fixture certificates, %zu from other files", fixtures,
	      n_corpus - fixtures);

	for (size_t i = 0; i < n_corpus; i++)
		compare(corpus[i].der, corpus[i].len, "a certificate as it is");
	CHECK(failures == 0 && own * 10 >= parsed * 9,
	      "unchanged certificates: the same fields both ways; the own reader took %zu of %zu%s%s",
	      own, parsed, failures ? ": " : "", first_failure);

	/* 1000 mutations per round, spread over the corpus (CHAIN_TEST_ROUNDS
	 * lowers the rounds under valgrind). */
	size_t before = parsed, own_before = own, both_before = refused_by_both;
	size_t per_cert = (1000u * (size_t)rounds) / n_corpus + 1;
	for (size_t i = 0; i < n_corpus; i++) {
		unsigned char *copy = malloc(corpus[i].len);
		for (size_t m = 0; m < per_cert; m++) {
			memcpy(copy, corpus[i].der, corpus[i].len);
			mutate(copy, corpus[i].len);
			if (rng() % 4 == 0)
				mutate(copy, corpus[i].len);
			compare(copy, corpus[i].len, "a mutated certificate");
		}
		free(copy);
	}
	CHECK(failures == 0 && own > own_before,
	      "%zu mutations: none accepted by the own reader alone, none read differently (own "
	      "reader took %zu, both refused %zu)%s%s",
	      parsed - before, own - own_before, refused_by_both - both_before,
	      failures ? ": " : "", first_failure);
	size_t oids = oid_text_cases();
	CHECK(failures == 0, "%zu OID contents and buffer sizes: the same dotted text as "
	      "snprintf's%s%s", oids, failures ? ": " : "", first_failure);
	size_t names = name_variants();
	CHECK(failures == 0, "%zu synthetic names: the same text as GnuTLS's%s%s", names,
	      failures ? ": " : "", first_failure);
	run_variants("other extension contents", structural_variants);
	run_variants("other validity times", time_variants);
	for (size_t i = 0; i < n_corpus; i++)
		free(corpus[i].der);
	free(corpus);
	return tap_done();
}
