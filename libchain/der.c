/* Minimal DER reading: GnuTLS 3.7 has no getter for the TBS bytes or the
 * SubjectPublicKeyInfo, and byte slices of the raw names let the issuer index
 * compare without calling GnuTLS. Only definite lengths and low tag numbers
 * occur in a certificate's outer structure; anything else is refused. */
#include "internal.h"

#include <string.h>

/* Read one TLV at *p (bounded by end). On success, *tlv covers the whole
 * element, *content its value, and *p moves past it. */
bool chain__der_read(const unsigned char **p, const unsigned char *end, unsigned char *tag,
                     chain__slice *tlv, chain__slice *content)
{
	const unsigned char *start = *p, *q = *p;
	size_t len = 0;

	if (end - q < 2)
		return false;
	*tag = *q++;
	if ((*tag & 0x1f) == 0x1f)
		return false;
	unsigned char first = *q++;
	if (first < 0x80) {
		len = first;
	} else {
		unsigned int n = first & 0x7f;
		/* 0x80 is BER's indefinite length; more than 4 octets is never a certificate. */
		if (n == 0 || n > 4 || (size_t)(end - q) < n)
			return false;
		for (unsigned int i = 0; i < n; i++)
			len = (len << 8) | *q++;
		if (len < 0x80 || (n > 1 && (len >> ((n - 1) * 8)) == 0))
			return false; /* not minimal: DER allows one encoding only */
	}
	if ((size_t)(end - q) < len)
		return false;
	content->p = q;
	content->len = len;
	tlv->p = start;
	tlv->len = (size_t)(q - start) + len;
	*p = q + len;
	return true;
}

int chain__der_children(const unsigned char *der, size_t len, chain__slice *out, size_t max,
                        size_t *n)
{
	const unsigned char *p = der, *end = der + len;
	chain__slice whole, body, tlv, content;
	unsigned char tag;

	*n = 0;
	if (!chain__der_read(&p, end, &tag, &whole, &body) || tag != 0x30 || p != end)
		return CHAIN_EPARSE;
	for (p = body.p, end = body.p + body.len; p < end;) {
		if (!chain__der_read(&p, end, &tag, &tlv, &content))
			return CHAIN_EPARSE;
		if (*n < max)
			out[*n] = tlv;
		(*n)++;
	}
	return CHAIN_OK;
}

int chain__der_split(chain__der_parts *out, const unsigned char *der, size_t len)
{
	const unsigned char *p = der, *end = der + len;
	chain__slice whole, body, tbs_body, skip, skip_body;
	unsigned char tag;

	if (!chain__der_read(&p, end, &tag, &whole, &body) || tag != 0x30 || p != end)
		return CHAIN_EPARSE; /* trailing bytes after the certificate are refused */
	p = body.p;
	end = body.p + body.len;
	if (!chain__der_read(&p, end, &tag, &out->tbs, &tbs_body) || tag != 0x30)
		return CHAIN_EPARSE;
	if (!chain__der_read(&p, end, &tag, &skip, &skip_body) || tag != 0x30) /* signatureAlgorithm */
		return CHAIN_EPARSE;
	if (!chain__der_read(&p, end, &tag, &skip, &skip_body) || tag != 0x03 || p != end ||
	    skip_body.len < 2 || skip_body.p[0] != 0)
		return CHAIN_EPARSE; /* signatureValue: a BIT STRING with whole octets */
	out->signature.p = skip_body.p + 1;
	out->signature.len = skip_body.len - 1;

	p = tbs_body.p;
	end = tbs_body.p + tbs_body.len;
	/* [0] EXPLICIT version is optional (absent in v1 certificates). */
	if (p < end && *p == 0xa0 && !chain__der_read(&p, end, &tag, &skip, &skip_body))
		return CHAIN_EPARSE;
	chain__slice *fields[] = {&out->serial, NULL, &out->issuer, NULL, &out->subject, &out->spki};
	/* serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo */
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		chain__slice *dst = fields[i] ? fields[i] : &skip;
		if (!chain__der_read(&p, end, &tag, dst, &skip_body))
			return CHAIN_EPARSE;
		if ((i == 0 && tag != 0x02) || (i != 0 && tag != 0x30))
			return CHAIN_EPARSE;
	}
	return CHAIN_OK;
}

chain__reader chain__reader_of(chain__slice s)
{
	return (chain__reader){s.p, s.len ? s.p + s.len : s.p}; /* no arithmetic on NULL */
}

bool chain__reader_done(const chain__reader *r)
{
	return r->p == r->end;
}

bool chain__reader_tlv(chain__reader *r, unsigned char *tag, chain__slice *content)
{
	chain__slice whole;
	return chain__der_read(&r->p, r->end, tag, &whole, content);
}

bool chain__der_only(chain__slice s, unsigned char tag, chain__slice *content)
{
	chain__reader r = chain__reader_of(s);
	unsigned char t;
	return chain__reader_tlv(&r, &t, content) && t == tag && chain__reader_done(&r);
}

bool chain__same_slice(chain__slice a, chain__slice b)
{
	return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

chain__slice chain__der_value(chain__slice tlv)
{
	size_t header = 2 + ((tlv.p[1] & 0x80) ? (tlv.p[1] & 0x7f) : 0);
	return (chain__slice){tlv.p + header, tlv.len - header};
}

/* @arc in decimal at the end of @out's @used bytes, with @sep before it when
 * not 0; false when that and a NUL do not fit @cap. Not snprintf: parsing a
 * certificate turns a score of OIDs into text, and snprintf's "%llu" was
 * 0.8 % of a unique chain's instructions in a bulk scan. */
static bool put_arc(char *out, size_t cap, size_t *used, char sep, uint64_t arc)
{
	char digits[20];
	size_t n = 0;
	do {
		digits[n++] = (char)('0' + arc % 10);
		arc /= 10;
	} while (arc);
	size_t need = (sep != 0) + n;
	if (need >= cap - *used)
		return false;
	char *w = out + *used;
	if (sep)
		*w++ = sep;
	while (n)
		*w++ = digits[--n];
	*w = '\0';
	*used += need;
	return true;
}

bool chain__oid_text(chain__slice oid, char *out, size_t cap)
{
	size_t used = 0;
	uint64_t arc = 0;
	bool first = true;

	if (oid.len == 0 || (oid.p[oid.len - 1] & 0x80))
		return false;
	for (size_t i = 0; i < oid.len; i++) {
		if (arc == 0 && oid.p[i] == 0x80)
			return false; /* a leading 0x80 octet: not minimal */
		if (arc >> 57)
			return false; /* would not fit 64 bits */
		arc = (arc << 7) | (oid.p[i] & 0x7f);
		if (oid.p[i] & 0x80)
			continue;
		if (first) {
			unsigned int top = arc < 40 ? 0 : arc < 80 ? 1 : 2;
			if (!put_arc(out, cap, &used, 0, top) ||
			    !put_arc(out, cap, &used, '.', arc - 40u * top))
				return false;
			first = false;
		} else if (!put_arc(out, cap, &used, '.', arc)) {
			return false;
		}
		arc = 0;
	}
	return true;
}

static bool two_digits(const unsigned char *p, int *out)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return false;
	*out = (p[0] - '0') * 10 + (p[1] - '0');
	return true;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

/* RFC 5280 4.1.2.5: UTCTime YYMMDDHHMMSSZ or GeneralizedTime
 * YYYYMMDDHHMMSSZ, nothing else. Years before 1970 are left to GnuTLS
 * (whose error value is -1, one second before 1970). */
bool chain__der_time(chain__reader *r, int64_t *out)
{
	chain__slice v;
	unsigned char tag;
	int hi = 19, lo, mo, d, h, mi, s;

	if (!chain__reader_tlv(r, &tag, &v))
		return false;
	const unsigned char *p = v.p;
	if (tag == 0x17 && v.len == 13) {
		if (!two_digits(p, &lo))
			return false;
		hi = lo >= 50 ? 19 : 20;
		p += 2;
	} else if (tag == 0x18 && v.len == 15) {
		if (!two_digits(p, &hi) || !two_digits(p + 2, &lo))
			return false;
		p += 4;
	} else {
		return false;
	}
	if (!two_digits(p, &mo) || !two_digits(p + 2, &d) || !two_digits(p + 4, &h) ||
	    !two_digits(p + 6, &mi) || !two_digits(p + 8, &s) || p[10] != 'Z')
		return false;
	int year = hi * 100 + lo;
	if (year < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(year, mo) || h > 23 ||
	    mi > 59 || s > 59)
		return false;
	*out = days_from_civil(year, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return true;
}
