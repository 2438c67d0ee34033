/* Distinguished names as RFC 4514 text, for results. GnuTLS's
 * gnutls_x509_rdn_get2() defines the text; it costs ~3-7 us a name (it
 * builds an ASN.1 tree each call), and a scan reports two names a row. The
 * common names, single-valued RDNs of the usual attribute types holding
 * printable ASCII, are formatted here the way GnuTLS formats them; any
 * other name goes to GnuTLS. tests/c/test_x509.c compares the two. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Attribute types formatted here: GnuTLS's LDAP name and the string types
 * it reads them as (DirectoryString's printable and UTF-8 choices; the
 * one type of the others). */
static const struct {
	unsigned char oid[10];
	size_t oid_len;
	const char *name;
	unsigned char tags[2];
} types[] = {
	{{0x55, 0x04, 0x03}, 3, "CN", {0x13, 0x0c}},
	{{0x55, 0x04, 0x0a}, 3, "O", {0x13, 0x0c}},
	{{0x55, 0x04, 0x0b}, 3, "OU", {0x13, 0x0c}},
	{{0x55, 0x04, 0x07}, 3, "L", {0x13, 0x0c}},
	{{0x55, 0x04, 0x08}, 3, "ST", {0x13, 0x0c}},
	{{0x55, 0x04, 0x06}, 3, "C", {0x13, 0x13}},
	{{0x55, 0x04, 0x05}, 3, "serialNumber", {0x13, 0x13}},
	{{0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19}, 10, "DC", {0x16, 0x16}},
};

static const char *type_name(chain__slice oid, unsigned char tag)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (oid.len == types[i].oid_len && memcmp(oid.p, types[i].oid, oid.len) == 0)
			return tag == types[i].tags[0] || tag == types[i].tags[1] ? types[i].name : NULL;
	return NULL;
}

bool chain__dn_escaped(chain__slice v, size_t i)
{
	char ch = (char)v.p[i];
	return (ch && strchr(",+\"\\<>;", ch)) || (i == 0 && (ch == '#' || ch == ' ')) ||
	       (i + 1 == v.len && ch == ' ');
}

static size_t escape(char *out, chain__slice v)
{
	size_t n = 0;
	for (size_t i = 0; i < v.len; i++) {
		if (chain__dn_escaped(v, i))
			out[n++] = '\\';
		out[n++] = (char)v.p[i];
	}
	return n;
}

/* The name formatted here, or NULL (with *fallback set) when it is one for
 * GnuTLS. RDNs come last first (RFC 4514 2.1). */
static char *format_plain(chain__slice name, bool *fallback)
{
	chain__slice rdns, rdn, atv, oid, value, list[64];
	unsigned char tag;
	size_t n = 0, size = 1;

	*fallback = true;
	if (!chain__der_only(name, 0x30, &rdns))
		return NULL;
	for (chain__reader r = chain__reader_of(rdns); !chain__reader_done(&r); n++) {
		if (n == 64 || !chain__reader_tlv(&r, &tag, &rdn) || tag != 0x31 ||
		    !chain__der_only(rdn, 0x30, &atv))
			return NULL;
		list[n] = atv;
	}
	if (n == 0)
		return NULL; /* GnuTLS gives no text for an empty name */
	for (size_t i = 0; i < n; i++) {
		chain__reader a = chain__reader_of(list[i]);
		if (!chain__reader_tlv(&a, &tag, &oid) || tag != 0x06 ||
		    !chain__reader_tlv(&a, &tag, &value) || !chain__reader_done(&a) ||
		    !type_name(oid, tag) || value.len == 0)
			return NULL;
		for (size_t k = 0; k < value.len; k++)
			if (value.p[k] < 0x20 || value.p[k] > 0x7e)
				return NULL;
		size += strlen(type_name(oid, tag)) + 2 + 2 * value.len;
	}
	*fallback = false;
	char *out = malloc(size), *w = out;
	for (size_t i = n; out && i-- > 0;) {
		chain__reader a = chain__reader_of(list[i]);
		chain__reader_tlv(&a, &tag, &oid);
		chain__reader_tlv(&a, &tag, &value);
		const char *type = type_name(oid, tag);
		if (w != out)
			*w++ = ',';
		memcpy(w, type, strlen(type));
		w += strlen(type);
		*w++ = '=';
		w += escape(w, value);
	}
	if (out)
		*w = '\0';
	return out;
}

static char *format_gnutls(chain__slice name)
{
	gnutls_datum_t in = {(unsigned char *)name.p, (unsigned int)name.len}, str = {NULL, 0};
	if (gnutls_x509_rdn_get2(&in, &str, 0) < 0)
		return NULL;
	char *s = malloc(str.size + 1);
	if (s) {
		memcpy(s, str.data, str.size);
		s[str.size] = '\0';
	}
	gnutls_free(str.data);
	return s;
}

/* GnuTLS passes string bytes through as they are (an invalid UTF8String,
 * a Teletex or control byte): chain__text_safe() escapes what is not text. */
char *chain__dn_string(chain__slice name)
{
	bool fallback;
	char *s = format_plain(name, &fallback);
	return fallback ? chain__text_safe(format_gnutls(name)) : s;
}

char *chain__dn_string_gnutls(chain__slice name)
{
	return chain__text_safe(format_gnutls(name));
}
