/* Parsing a certificate once into chain__cert: everything the search and the
 * checks need is read here, so the hot loop never calls a GnuTLS getter.
 * libchain's own reader (x509.c) takes the common shapes; whatever it does
 * not take, GnuTLS reads here into the same fields, so GnuTLS decides every
 * certificate outside them exactly as before the reader existed. */
#include "internal.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Record a known extension; returns whether it may be critical. */
static bool note_extension(chain__cert *c, const char *oid, bool critical)
{
	for (size_t i = 0; i < CHAIN__EXT_COUNT; i++) {
		if (strcmp(oid, chain__known_extensions[i].oid) == 0) {
			c->ext_present |= 1u << chain__known_extensions[i].bit;
			if (critical)
				c->ext_critical |= 1u << chain__known_extensions[i].bit;
			return chain__known_extensions[i].handled;
		}
	}
	return false;
}

/* Walk the extension list: note which known ones are there, find the first
 * unhandled critical one and refuse duplicates (RFC 5280 4.2: an extension
 * appears at most once). What is wrong with the list goes to *problem: it
 * ranks after the problems of the extensions' contents. */
static int read_extension_list(chain__cert *c, char **problem)
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
			*problem = strdup("unreadable extension list");
			return *problem ? CHAIN_OK : CHAIN_ENOMEM;
		}
		for (size_t j = 0; j < n; j++) {
			if (strcmp(oids[j], oid) == 0 && !*problem) {
				char msg[192];
				snprintf(msg, sizeof(msg), "extension %s appears twice", oid);
				if (!(*problem = strdup(msg)))
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
		if (ret < 0) /* the first problem found is the one reported */
			return c->malformed || (c->malformed = strdup("unreadable extended key usage"))
			               ? CHAIN_OK
			               : CHAIN_ENOMEM;
		if (chain__grow(&c->eku, &c->cap_eku, c->n_eku, sizeof(*c->eku)) < 0 ||
		    !(c->eku[c->n_eku] = strdup(oid)))
			return CHAIN_ENOMEM;
		c->n_eku++;
		c->has_eku = true;
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

	/* The checks read the names from the DER (names.c), GnuTLS through
	 * libtasn1: a list that is not DER is malformed rather than read two ways.
	 * (The own reader takes only plain, well-formed lists: x509.c.) */
	if (CHAIN__HAS(c, CHAIN__EXT_SAN) && !c->malformed &&
	    !chain__san_well_formed(c->ext[CHAIN__EXT_SAN]) &&
	    !(c->malformed = strdup("malformed subjectAltName")))
		return CHAIN_ENOMEM;

	char *problem = NULL;
	if (CHAIN__HAS(c, CHAIN__EXT_NC) &&
	    chain__nc_parse(&c->nc, c->ext[CHAIN__EXT_NC], CHAIN__CRITICAL(c, CHAIN__EXT_NC),
	                    &problem) < 0)
		return CHAIN_ENOMEM;
	if (problem && !c->malformed)
		c->malformed = problem;
	else
		free(problem);
	return read_eku(c);
}

/* The values of the known extensions present, as the checks read them
 * (c->ext[]); GnuTLS hands out copies. */
static int copy_extensions(chain__cert *c)
{
	for (size_t i = 0; i < CHAIN__EXT_COUNT; i++) {
		unsigned int bit = chain__known_extensions[i].bit;
		gnutls_datum_t *d = &c->ext_copy[bit];
		if (!CHAIN__HAS(c, bit))
			continue;
		int ret = gnutls_x509_crt_get_extension_by_oid2(c->crt, chain__known_extensions[i].oid, 0, d,
		                                                NULL);
		if (ret == GNUTLS_E_MEMORY_ERROR)
			return CHAIN_ENOMEM;
		if (ret >= 0)
			c->ext[bit] = (chain__slice){d->data, d->size};
	}
	return CHAIN_OK;
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
	char *problem = NULL;
	int ret = read_extension_list(c, &problem);
	if (ret == CHAIN_OK)
		ret = copy_extensions(c);
	if (ret == CHAIN_OK)
		ret = read_constraints(c);
	if (!c->malformed) {
		c->malformed = problem;
		problem = NULL;
	}
	free(problem);
	if (CHAIN__HAS(c, CHAIN__EXT_AKI))
		chain__read_aki(c, c->ext[CHAIN__EXT_AKI]);
	return ret;
}

/* What a reader filled in, undone (x509.c stops part way when it meets a
 * shape it does not read). */
static void clear_fields(chain__cert *c)
{
	chain__nc_free(c->nc);
	for (size_t i = 0; i < c->n_eku; i++)
		free(c->eku[i]);
	free(c->eku);
	free(c->unknown_critical);
	free(c->malformed);
	for (size_t i = 0; i < CHAIN__EXT_COUNT; i++)
		gnutls_free(c->ext_copy[i].data);
	size_t start = offsetof(chain__cert, ext);
	memset((char *)c + start, 0, offsetof(chain__cert, key_lock) - start);
	c->path_len = -1;
}

/* c->crt, imported on first use; key_lock is held (or the certificate is
 * not shared yet: while it is parsed). */
static gnutls_x509_crt_t crt_locked(chain__cert *c)
{
	if (!c->crt && !c->crt_err) {
		gnutls_datum_t d = {c->der, (unsigned int)c->der_len};
		gnutls_x509_crt_t crt;
		if (gnutls_x509_crt_init(&crt) < 0) {
			/* out of memory: not remembered, a later call may succeed */
		} else if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crt);
			c->crt_err = true;
		} else {
			c->crt = crt;
		}
	}
	return c->crt;
}

static int read_with_gnutls(chain__cert *c, const char **why)
{
	clear_fields(c);
	if (!crt_locked(c)) {
		if (!c->crt_err)
			return CHAIN_ENOMEM;
		*why = "GnuTLS cannot parse the certificate";
		return CHAIN_EPARSE;
	}
	int ret = read_fields(c);
	if (ret == CHAIN_EPARSE)
		*why = "unreadable validity period";
	return ret;
}

int chain__cert_parse(chain__cert **out, const unsigned char *der, size_t len,
                      const char **why)
{
	return chain__cert_parse_with(out, der, len, NULL, why, true);
}

int chain__cert_parse_with(chain__cert **out, const unsigned char *der, size_t len,
                           const unsigned char *sha256, const char **why, bool own_reader)
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
	atomic_init(&c->subject_text, NULL);
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
	if (sha256)
		memcpy(c->sha256, sha256, CHAIN__SHA256_LEN);
	if ((!sha256 && gnutls_hash_fast(GNUTLS_DIG_SHA256, c->der, len, c->sha256) < 0) ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, c->parts.spki.p, c->parts.spki.len,
	                     c->spki_sha256) < 0) {
		ret = CHAIN_EBACKEND;
		goto fail;
	}
	ret = own_reader ? chain__x509_read(c) : CHAIN_EPARSE;
	c->own_reader = ret == CHAIN_OK;
	if (ret == CHAIN_EPARSE)
		ret = read_with_gnutls(c, why);
	if (ret < 0)
		goto fail;
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

const char *chain__cert_subject_text(chain__cert *cert)
{
	char *text = atomic_load_explicit(&cert->subject_text, memory_order_acquire);
	if (text)
		return text;
	if (!(text = chain__dn_string(cert->parts.subject)))
		return NULL;
	/* Two threads may format it at once: the first to store wins. */
	char *none = NULL;
	if (atomic_compare_exchange_strong_explicit(&cert->subject_text, &none, text,
	                                            memory_order_acq_rel, memory_order_acquire))
		return text;
	free(text);
	return none;
}

void chain__cert_unref(chain__cert *c)
{
	if (!c || atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
		return;
	free(atomic_load_explicit(&c->subject_text, memory_order_relaxed));
	clear_fields(c);
	gnutls_x509_crt_deinit(c->crt);
	if (c->pubkey)
		gnutls_pubkey_deinit(c->pubkey);
	free(c->der);
	pthread_mutex_destroy(&c->key_lock);
	free(c);
}

gnutls_x509_crt_t chain__cert_crt(const chain__cert *cert)
{
	/* The lazily made objects are the only mutable part of a certificate,
	 * and key_lock guards them. */
	chain__cert *c = (chain__cert *)cert;
	pthread_mutex_lock(&c->key_lock);
	gnutls_x509_crt_t crt = crt_locked(c);
	pthread_mutex_unlock(&c->key_lock);
	return crt;
}

/* Two certificates' locks are taken in address order, so that two threads
 * checking A->B and B->A cannot wait on each other. */
static void order(const chain__cert **a, const chain__cert **b)
{
	if (*b == *a)
		*b = NULL;
	if (*b && (uintptr_t)*b < (uintptr_t)*a) {
		const chain__cert *t = *a;
		*a = *b;
		*b = t;
	}
}

void chain__cert_crt_acquire(const chain__cert *a, const chain__cert *b, gnutls_x509_crt_t *crt_a,
                             gnutls_x509_crt_t *crt_b)
{
	const chain__cert *first = a, *second = b;
	order(&first, &second);
	pthread_mutex_lock(&((chain__cert *)first)->key_lock);
	if (second)
		pthread_mutex_lock(&((chain__cert *)second)->key_lock);
	*crt_a = crt_locked((chain__cert *)a);
	if (crt_b)
		*crt_b = b ? crt_locked((chain__cert *)b) : NULL;
}

void chain__cert_crt_release(const chain__cert *a, const chain__cert *b)
{
	const chain__cert *first = a, *second = b;
	order(&first, &second);
	if (second)
		pthread_mutex_unlock(&((chain__cert *)second)->key_lock);
	pthread_mutex_unlock(&((chain__cert *)first)->key_lock);
}

/* The key from the SubjectPublicKeyInfo alone (GnuTLS decodes it with the
 * same code as from a certificate, and signature checks read nothing else
 * of it), so an issuer needs no GnuTLS certificate object (~25 KB); from
 * the certificate object if that fails. */
static gnutls_pubkey_t import_key(chain__cert *c)
{
	gnutls_datum_t spki = {(unsigned char *)c->parts.spki.p, (unsigned int)c->parts.spki.len};
	gnutls_pubkey_t key;
	gnutls_x509_crt_t crt;

	if (gnutls_pubkey_init(&key) < 0)
		return NULL;
	if (gnutls_pubkey_import(key, &spki, GNUTLS_X509_FMT_DER) >= 0)
		return key;
	if ((crt = crt_locked(c)) && gnutls_pubkey_import_x509(key, crt, 0) >= 0)
		return key;
	gnutls_pubkey_deinit(key);
	return NULL;
}

gnutls_pubkey_t chain__cert_pubkey(chain__cert *c)
{
	pthread_mutex_lock(&c->key_lock);
	if (!c->pubkey && !c->pubkey_err) {
		c->pubkey = import_key(c);
		c->pubkey_err = !c->pubkey;
	}
	gnutls_pubkey_t key = c->pubkey;
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

/* The serialNumber INTEGER's content as lower-case hex, leading zero
 * octets dropped (but at least one digit pair). */
char *chain__serial_hex(chain__slice serial)
{
	chain__slice v = chain__der_value(serial);
	const unsigned char *p = v.p, *end = v.p + v.len;

	if (v.len == 0)
		return strdup("");
	for (; p + 1 < end && *p == 0; p++)
		;
	char *hex = malloc(2 * (size_t)(end - p) + 1);
	if (hex)
		chain__hex(p, (size_t)(end - p), hex);
	return hex;
}
