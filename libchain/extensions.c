/* The extensions libchain knows (cert.c and x509.c record them), and the
 * shape of a subjectAltName: the checks read its names from the DER
 * (names.c), so a list that is not DER GeneralNames is malformed rather than
 * read one way by GnuTLS and another by libchain (cert.c). */
#include "internal.h"

#include <stdint.h>

/* Extensions libchain knows. `handled` ones may be critical (libchain
 * processes them, or deliberately accepts them: see docs/api.md); a critical
 * extension that is not handled makes a path fail. Presence and criticality
 * of each are recorded for the conformance checks (conform.c). */
#define EXT(dotted, der, bit, handled) \
	{dotted, (const unsigned char *)der, sizeof(der) - 1, bit, handled}
const chain__known_ext chain__known_extensions[CHAIN__EXT_COUNT] = {
	EXT("2.5.29.14", "\x55\x1d\x0e", CHAIN__EXT_SKI, true),
	EXT("2.5.29.15", "\x55\x1d\x0f", CHAIN__EXT_KU, true),
	EXT("2.5.29.17", "\x55\x1d\x11", CHAIN__EXT_SAN, true),
	EXT("2.5.29.19", "\x55\x1d\x13", CHAIN__EXT_BC, true),
	EXT("2.5.29.30", "\x55\x1d\x1e", CHAIN__EXT_NC, true),
	EXT("2.5.29.32", "\x55\x1d\x20", CHAIN__EXT_CP, true), /* accepted, policies not enforced */
	EXT("2.5.29.35", "\x55\x1d\x23", CHAIN__EXT_AKI, true),
	EXT("2.5.29.36", "\x55\x1d\x24", CHAIN__EXT_PC, false),
	EXT("2.5.29.37", "\x55\x1d\x25", CHAIN__EXT_EKU, true),
	EXT("1.3.6.1.5.5.7.1.1", "\x2b\x06\x01\x05\x05\x07\x01\x01", CHAIN__EXT_AIA, false),
	/* RFC 6962's precertificate poison: "handled" here so that it is not the
	 * unknown_critical OID; check.c refuses it unless the policy verifies a
	 * precertificate. */
	EXT("1.3.6.1.4.1.11129.2.4.3", "\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x03", CHAIN__EXT_CT_POISON,
	    true),
};

#define NOT_TLVS SIZE_MAX

/* How many TLVs @s holds one after another, filling it exactly; NOT_TLVS
 * when they do not. */
static size_t tlv_count(chain__slice s)
{
	chain__slice v;
	unsigned char tag;
	size_t n = 0;
	for (chain__reader r = chain__reader_of(s); !chain__reader_done(&r); n++)
		if (!chain__reader_tlv(&r, &tag, &v))
			return NOT_TLVS;
	return n;
}

/* One GeneralName's content, by its tag (RFC 5280 4.2.1.6; the module is
 * IMPLICIT, but ANY and CHOICE, Name here, stay explicit). */
static bool general_name_well_formed(unsigned char tag, chain__slice v)
{
	chain__reader r = chain__reader_of(v);
	chain__slice part;
	unsigned char t;

	switch (tag) {
	case 0xa0: /* otherName: type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY */
		return chain__reader_tlv(&r, &t, &part) && t == 0x06 && part.len > 0 &&
		       chain__reader_tlv(&r, &t, &part) && t == 0xa0 && tlv_count(part) == 1 &&
		       chain__reader_done(&r);
	case 0xa4: /* directoryName: [4] Name, one SEQUENCE filling it */
		return chain__der_only(v, 0x30, &part);
	case 0xa3: case 0xa5: /* x400Address, ediPartyName: a SEQUENCE's content */
		return tlv_count(v) != NOT_TLVS;
	case 0x88: /* registeredID: an OBJECT IDENTIFIER's content */
		return v.len > 0;
	case 0x81: case 0x82: case 0x86: case 0x87: /* IA5String, OCTET STRING contents */
		return true;
	default: /* another tag, or one of these in the other form */
		return false;
	}
}

bool chain__san_well_formed(chain__slice value)
{
	chain__slice names, name;
	unsigned char tag;

	if (!chain__der_only(value, 0x30, &names) || names.len == 0)
		return false;
	for (chain__reader r = chain__reader_of(names); !chain__reader_done(&r);)
		if (!chain__reader_tlv(&r, &tag, &name) || !general_name_well_formed(tag, name))
			return false;
	return true;
}
