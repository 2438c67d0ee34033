/* Parsing a certificate once into chain__cert: everything the search and the
 * checks need is read here, so the hot loop never calls a GnuTLS getter. */
#include "internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Extensions libchain knows. `handled` ones may be critical (libchain
 * processes them, or deliberately accepts them: see docs/api.md); a critical
 * extension that is not handled makes a path fail. Presence and criticality
 * of each are recorded for the conformance checks (conform.c). */
static const struct {
	const char *oid;
	unsigned int bit;
	bool handled;
} known_extensions[] = {
	{"2.5.29.14", CHAIN__EXT_SKI, true},
	{"2.5.29.15", CHAIN__EXT_KU, true},
	{"2.5.29.17", CHAIN__EXT_SAN, true},
	{"2.5.29.19", CHAIN__EXT_BC, true},
	{"2.5.29.30", CHAIN__EXT_NC, true},
	{"2.5.29.32", CHAIN__EXT_CP, true}, /* accepted, policies not enforced */
	{"2.5.29.35", CHAIN__EXT_AKI, true},
	{"2.5.29.36", CHAIN__EXT_PC, false},
	{"2.5.29.37", CHAIN__EXT_EKU, true},
	{"1.3.6.1.5.5.7.1.1", CHAIN__EXT_AIA, false},
};

bool chain__same_slice(chain__slice a, chain__slice b)
{
	return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

/* Record a known extension; returns whether it may be critical. */
static bool note_extension(chain__cert *c, const char *oid, bool critical)
{
	for (size_t i = 0; i < sizeof(known_extensions) / sizeof(known_extensions[0]); i++) {
		if (strcmp(oid, known_extensions[i].oid) == 0) {
			c->ext_present |= 1u << known_extensions[i].bit;
			if (critical)
				c->ext_critical |= 1u << known_extensions[i].bit;
			return known_extensions[i].handled;
		}
	}
	return false;
}

/* Walk the extension list: find the first unhandled critical one and refuse
 * duplicates (RFC 5280 4.2: an extension appears at most once). */
static int read_extension_list(chain__cert *c)
{
	char oids[64][128];
	size_t n = 0;

	for (unsigned int i = 0;; i++) {
		char oid[128];
		size_t size = sizeof(oid);
		unsigned int critical = 0;
		int ret = gnutls_x509_crt_get_extension_info(c->crt, i, oid, &size, &critical);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (ret < 0) {
			c->malformed = strdup("unreadable extension list");
			return c->malformed ? CHAIN_OK : CHAIN_ENOMEM;
		}
		for (size_t j = 0; j < n; j++) {
			if (strcmp(oids[j], oid) == 0 && !c->malformed) {
				char msg[192];
				snprintf(msg, sizeof(msg), "extension %s appears twice", oid);
				if (!(c->malformed = strdup(msg)))
					return CHAIN_ENOMEM;
			}
		}
		if (n < sizeof(oids) / sizeof(oids[0]))
			memcpy(oids[n++], oid, sizeof(oid));
		bool handled = note_extension(c, oid, critical);
		if (critical && !c->unknown_critical && !handled &&
		    !(c->unknown_critical = strdup(oid)))
			return CHAIN_ENOMEM;
	}
	return CHAIN_OK;
}

static int read_eku(chain__cert *c)
{
	for (unsigned int i = 0;; i++) {
		char oid[128];
		size_t size = sizeof(oid);
		int ret = gnutls_x509_crt_get_key_purpose_oid(c->crt, i, oid, &size, NULL);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return CHAIN_OK;
		if (ret < 0)
			return (c->malformed = strdup("unreadable extended key usage")) ? CHAIN_OK
			                                                               : CHAIN_ENOMEM;
		if (chain__grow(&c->eku, &c->cap_eku, c->n_eku, sizeof(*c->eku)) < 0 ||
		    !(c->eku[c->n_eku] = strdup(oid)))
			return CHAIN_ENOMEM;
		c->n_eku++;
		c->has_eku = true;
	}
}

/* AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0], authorityCertIssuer
 * [1], authorityCertSerialNumber [2] }, read from the extension's DER in one
 * pass: the key id for issuer lookup, and whether the other two are there
 * for the conformance rules. (Cheaper than GnuTLS's getter, which decodes
 * the extension again.) An AKI without key id is absence, not damage. */
static void read_aki_fields(chain__cert *c)
{
	unsigned char buf[1024];
	size_t size = sizeof(buf), n = 0;
	chain__slice kids[4];

	if (!CHAIN__HAS(c, CHAIN__EXT_AKI) ||
	    gnutls_x509_crt_get_extension_by_oid(c->crt, "2.5.29.35", 0, buf, &size, NULL) < 0 ||
	    chain__der_children(buf, size, kids, 4, &n) < 0)
		return;
	for (size_t i = 0; i < n && i < 4; i++) {
		const unsigned char *p = kids[i].p;
		chain__slice tlv, id;
		unsigned char tag;
		if (p[0] == 0xa1 || p[0] == 0x82)
			c->aki_has_issuer_serial = true;
		else if (p[0] == 0x80 && chain__der_read(&p, kids[i].p + kids[i].len, &tag, &tlv, &id) &&
		         id.len <= sizeof(c->aki)) {
			memcpy(c->aki, id.p, id.len);
			c->aki_len = id.len;
		}
	}
}

/* Record the first malformed extension; absent ones are fine. */
static int note_malformed(chain__cert *c, int ret, const char *what)
{
	if (ret >= 0 || ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE || c->malformed)
		return CHAIN_OK;
	char msg[128];
	snprintf(msg, sizeof(msg), "malformed %s", what);
	return (c->malformed = strdup(msg)) ? CHAIN_OK : CHAIN_ENOMEM;
}

static int read_constraints(chain__cert *c)
{
	unsigned int critical = 0, ca = 0, ku = 0;
	int path_len = -1, ret;

	ret = gnutls_x509_crt_get_basic_constraints(c->crt, &critical, &ca, &path_len);
	c->has_bc = ret >= 0;
	c->bc_ca = ret > 0;
	c->path_len = (ret > 0 && path_len >= 0) ? path_len : -1;
	if (note_malformed(c, ret, "basicConstraints") < 0)
		return CHAIN_ENOMEM;

	ret = gnutls_x509_crt_get_key_usage(c->crt, &ku, &critical);
	c->has_ku = ret >= 0;
	c->ku = ret >= 0 ? ku : 0;
	if (note_malformed(c, ret, "keyUsage") < 0)
		return CHAIN_ENOMEM;

	size_t size = sizeof(c->ski);
	if (gnutls_x509_crt_get_subject_key_id(c->crt, c->ski, &size, &critical) >= 0)
		c->ski_len = size;

	char *problem = NULL;
	if (chain__nc_parse(&c->nc, c->crt, &problem) < 0)
		return CHAIN_ENOMEM;
	if (problem && !c->malformed)
		c->malformed = problem;
	else
		free(problem);
	return read_eku(c);
}

static int read_fields(chain__cert *c)
{
	time_t nb = gnutls_x509_crt_get_activation_time(c->crt);
	time_t na = gnutls_x509_crt_get_expiration_time(c->crt);
	if (nb == (time_t)-1 || na == (time_t)-1)
		return CHAIN_EPARSE; /* GnuTLS's only signal for an unreadable time */
	c->not_before = (int64_t)nb;
	c->not_after = (int64_t)na;
	c->version = gnutls_x509_crt_get_version(c->crt);
	int algo = gnutls_x509_crt_get_signature_algorithm(c->crt);
	c->sign_algo = algo > 0 ? (gnutls_sign_algorithm_t)algo : GNUTLS_SIGN_UNKNOWN;
	unsigned int bits = 0;
	int pk = gnutls_x509_crt_get_pk_algorithm(c->crt, &bits);
	c->pk_algo = pk > 0 ? (gnutls_pk_algorithm_t)pk : GNUTLS_PK_UNKNOWN;
	c->pk_bits = bits;
	c->self_issued = chain__same_slice(c->parts.subject, c->parts.issuer);
	int ret = read_constraints(c);
	if (ret == CHAIN_OK)
		ret = read_extension_list(c);
	read_aki_fields(c);
	return ret;
}

int chain__cert_parse(chain__cert **out, const unsigned char *der, size_t len,
                      const char **why)
{
	const char *dummy;
	chain__cert *c;
	int ret;

	if (!why)
		why = &dummy;
	*why = NULL;
	/* gnutls_datum_t sizes are unsigned int: refuse rather than truncate. */
	if (len > UINT_MAX || len == 0) {
		*why = "empty or oversized certificate";
		return CHAIN_EPARSE;
	}
	if (!(c = calloc(1, sizeof(*c))))
		return CHAIN_ENOMEM;
	atomic_init(&c->refs, 1);
	c->path_len = -1;
	pthread_mutex_init(&c->key_lock, NULL);
	if (!(c->der = malloc(len))) {
		ret = CHAIN_ENOMEM;
		goto fail;
	}
	memcpy(c->der, der, len);
	c->der_len = len;
	if (chain__der_split(&c->parts, c->der, len) < 0) {
		*why = "not a DER certificate (bad outer structure or trailing data)";
		ret = CHAIN_EPARSE;
		goto fail;
	}
	if (gnutls_x509_crt_init(&c->crt) < 0) {
		ret = CHAIN_ENOMEM;
		goto fail;
	}
	gnutls_datum_t d = {c->der, (unsigned int)len};
	if (gnutls_x509_crt_import(c->crt, &d, GNUTLS_X509_FMT_DER) < 0) {
		*why = "GnuTLS cannot parse the certificate";
		ret = CHAIN_EPARSE;
		goto fail;
	}
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, c->der, len, c->sha256) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, c->parts.spki.p, c->parts.spki.len,
	                     c->spki_sha256) < 0) {
		ret = CHAIN_EBACKEND;
		goto fail;
	}
	if ((ret = read_fields(c)) < 0) {
		if (ret == CHAIN_EPARSE)
			*why = "unreadable validity period";
		goto fail;
	}
	*out = c;
	return CHAIN_OK;
fail:
	chain__cert_unref(c);
	return ret;
}

chain__cert *chain__cert_ref(chain__cert *cert)
{
	atomic_fetch_add_explicit(&cert->refs, 1, memory_order_relaxed);
	return cert;
}

void chain__cert_unref(chain__cert *c)
{
	if (!c || atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
		return;
	gnutls_x509_crt_deinit(c->crt);
	chain__nc_free(c->nc);
	if (c->pubkey)
		gnutls_pubkey_deinit(c->pubkey);
	for (size_t i = 0; i < c->n_eku; i++)
		free(c->eku[i]);
	free(c->eku);
	free(c->unknown_critical);
	free(c->malformed);
	free(c->der);
	pthread_mutex_destroy(&c->key_lock);
	free(c);
}

gnutls_pubkey_t chain__cert_pubkey(chain__cert *c)
{
	gnutls_pubkey_t key;

	pthread_mutex_lock(&c->key_lock);
	if (!c->pubkey && !c->pubkey_err) {
		if (gnutls_pubkey_init(&key) < 0) {
			c->pubkey_err = 1;
		} else if (gnutls_pubkey_import_x509(key, c->crt, 0) < 0) {
			gnutls_pubkey_deinit(key);
			c->pubkey_err = 1;
		} else {
			c->pubkey = key;
		}
	}
	key = c->pubkey;
	pthread_mutex_unlock(&c->key_lock);
	return key;
}

bool chain__cert_has_eku(const chain__cert *c, const char *oid)
{
	for (size_t i = 0; i < c->n_eku; i++)
		if (strcmp(c->eku[i], oid) == 0)
			return true;
	return false;
}

/* gnutls_x509_rdn_get2 works on a datum, so it needs no parsed certificate
 * (and never touches a shared crt's DN cache: GNUTLS-NOTES 6). */
char *chain__dn_string(chain__slice name)
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

/* The serialNumber INTEGER's content as lower-case hex, leading zero
 * octets dropped (but at least one digit pair). */
char *chain__serial_hex(chain__slice serial)
{
	const unsigned char *p = serial.p, *end = serial.p + serial.len;
	size_t header = 2 + ((p[1] & 0x80) ? (p[1] & 0x7f) : 0);

	if (serial.len <= header)
		return strdup("");
	for (p += header; p + 1 < end && *p == 0; p++)
		;
	char *hex = malloc(2 * (size_t)(end - p) + 1), *w = hex;
	if (!hex)
		return NULL;
	for (; p < end; p++, w += 2)
		snprintf(w, 3, "%02x", *p);
	*w = '\0';
	return hex;
}
