/* Revocation by CRL: CRLs are part of a trust store; each certificate on a
 * path is checked against the CRLs its issuer signed, at the policy time.
 * A CRL that names the issuer but was signed by another key is not this
 * issuer's and is skipped; one signed by an issuer not allowed to sign CRLs,
 * or not current, makes the status unknown, which fails the path: when the
 * caller supplied revocation data, silence is not a pass.
 *
 * Hostile stores and served chains must not turn CRLs into unbounded work
 * or memory (docs/security.md):
 * - a CRL is read once, at load: its revoked serials go into a sorted array
 *   of slices into its DER (any serial length), and GnuTLS's parsed object,
 *   which costs hundreds of bytes per entry, is not kept;
 * - the digest of what its signature covers is computed once, so checking
 *   it against an issuer's key is one signature operation; the answer is
 *   remembered in the CRL per issuer certificate (it depends on nothing
 *   else); per verification each (CRL, issuer) pair is charged once to the
 *   signature budget, whether or not the answer was remembered: the budget,
 *   and so the verdict, never depends on what earlier calls did. A CRL that
 *   cannot be checked over a digest (EdDSA, RSA-PSS) costs one unit more
 *   per 64 KiB;
 * - a store's CRLs are bounded in memory (chain_store_set_crl_limit()). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define OID_CRL_NUMBER "2.5.29.20"
#define OID_AKI "2.5.29.35"
/* Signature-budget units one CRL check costs: one, plus, when the check
 * hashes the whole CRL, one per 64 KiB (about a signature check's time at
 * SHA-256 speed). */
#define CRL_BYTES_PER_UNIT 65536
/* Issuer certificates whose answer a CRL remembers. */
#define CRL_MEMO 16

typedef struct {
	chain__slice serial; /* content, leading zero octets dropped; into der */
	int64_t revoked_at;
} crl_entry;

/* Why a CRL signature check failed, or 0. */
enum {
	SIG_OK = 0,
	SIG_OTHER_KEY,     /* another key's CRL under the same name: not this issuer's */
	SIG_NOT_CA,        /* the issuer is not a CA */
	SIG_NO_CRL_SIGN,   /* keyUsage without cRLSign */
	SIG_UNSUPPORTED,   /* the algorithm or key cannot be checked */
};

struct chain__crl {
	unsigned char *der;
	size_t der_len;
	chain__slice issuer, tbs, signature; /* into der */
	gnutls_sign_algorithm_t sign_algo;
	unsigned char digest[64]; /* of tbs, with sign_algo's hash; digest_len 0: none */
	size_t digest_len;
	int64_t this_update, next_update; /* next_update -1 when absent */
	crl_entry *entries;               /* sorted by serial */
	size_t n_entries;
	char *problem; /* why the CRL itself is unusable, or NULL */
	bool has_next_update;  /* the DER holds a nextUpdate */
	bool body_unread;      /* GnuTLS reads it, libchain's DER reader does not */
	unsigned char *issuer_copy; /* the issuer name, when body_unread */
	size_t cost;   /* bytes counted against the store's CRL limit */

	pthread_mutex_t memo_lock;
	struct {
		unsigned char issuer[CHAIN__SHA256_LEN];
		int status;
	} memo[CRL_MEMO];
	size_t n_memo;
};

void chain__crl_free(chain__crl *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->memo_lock);
	free(c->der);
	free(c->issuer_copy);
	free(c->entries);
	free(c->problem);
	free(c);
}

size_t chain__crl_cost(const chain__crl *c)
{
	return c->cost;
}

/* RFC 5280 5.2: cRLNumber MUST be present and non-critical; a critical
 * extension libchain does not process makes the CRL unusable. The rule,
 * fed one extension at a time by either reader (GnuTLS's or libchain's). */
typedef struct {
	bool has_number;
	const char *problem; /* the first one found */
} extension_rule;

static void extension_seen(extension_rule *k, bool is_number, bool is_aki, bool critical)
{
	if (k->problem)
		return;
	if (is_number && critical)
		k->problem = "cRLNumber is critical (RFC 5280 5.2.3)";
	else if (!is_number && !is_aki && critical)
		k->problem = "CRL has an unsupported critical extension";
	k->has_number = k->has_number || is_number;
}

static const char *extension_verdict(const extension_rule *k)
{
	return k->problem ? k->problem : k->has_number ? NULL : "CRL without cRLNumber (RFC 5280 5.2.3)";
}

static const char *extension_problem(gnutls_x509_crl_t crl)
{
	extension_rule k = {false, NULL};
	for (unsigned int i = 0; !k.problem; i++) {
		char oid[128];
		size_t size = sizeof(oid);
		unsigned int critical = 0;
		int ret = gnutls_x509_crl_get_extension_info(crl, i, oid, &size, &critical);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (ret < 0)
			return "unreadable CRL extensions";
		extension_seen(&k, strcmp(oid, OID_CRL_NUMBER) == 0, strcmp(oid, OID_AKI) == 0,
		               critical);
	}
	return extension_verdict(&k);
}

/* GnuTLS's object for the CRL, made anew each time it is needed (it is
 * never kept: see above). CHAIN_EPARSE when GnuTLS cannot read the CRL. */
static int import_crl(const chain__crl *c, gnutls_x509_crl_t *out)
{
	gnutls_datum_t d = {c->der, (unsigned int)c->der_len};
	if (gnutls_x509_crl_init(out) < 0)
		return CHAIN_ENOMEM;
	if (gnutls_x509_crl_import(*out, &d, GNUTLS_X509_FMT_DER) >= 0)
		return CHAIN_OK;
	gnutls_x509_crl_deinit(*out);
	return CHAIN_EPARSE;
}

/* The header by GnuTLS, for what read_body() leaves to it (times before
 * 1970 or in other forms, RSA-PSS parameters, BER in the extensions): the
 * dates, the extensions, the signature algorithm. GnuTLS builds a tree of
 * the whole CRL (hundreds of bytes per entry), dropped at once. */
static int read_header_gnutls(chain__crl *c, const char **why)
{
	gnutls_x509_crl_t crl;
	int ret = import_crl(c, &crl);
	if (ret == CHAIN_EPARSE)
		*why = "not a CRL";
	if (ret < 0)
		return ret;
	c->this_update = (int64_t)gnutls_x509_crl_get_this_update(crl);
	c->next_update = (int64_t)gnutls_x509_crl_get_next_update(crl);
	/* GnuTLS gives -1 for a time it cannot read: that is no date to judge
	 * currency by (absent only when the DER has none). */
	const char *unreadable = c->this_update == -1 ? "thisUpdate cannot be read"
	                         : c->has_next_update && c->next_update == -1
	                                 ? "nextUpdate cannot be read"
	                                 : NULL;
	if (unreadable && !c->problem && !(c->problem = strdup(unreadable)))
		ret = CHAIN_ENOMEM;
	int algo = gnutls_x509_crl_get_signature_algorithm(crl);
	c->sign_algo = algo < 0 ? GNUTLS_SIGN_UNKNOWN : (gnutls_sign_algorithm_t)algo;
	const char *problem = extension_problem(crl);
	if (problem && !c->problem && !(c->problem = strdup(problem)))
		ret = CHAIN_ENOMEM;
	gnutls_x509_crl_deinit(crl);
	return ret;
}

/* The serialNumber content without leading zero octets. */
static chain__slice serial_value(chain__slice s)
{
	while (s.len > 1 && *s.p == 0) {
		s.p++;
		s.len--;
	}
	return s;
}

static int compare_serials(chain__slice a, chain__slice b)
{
	if (a.len != b.len)
		return a.len < b.len ? -1 : 1;
	return memcmp(a.p, b.p, a.len);
}

static int by_serial(const void *a, const void *b)
{
	return compare_serials(((const crl_entry *)a)->serial, ((const crl_entry *)b)->serial);
}

/* revokedCertificates: SEQUENCE OF SEQUENCE { userCertificate INTEGER,
 * revocationDate Time, crlEntryExtensions OPTIONAL }. A date libchain cannot
 * read counts as the earliest possible: an entry is never dropped. */
static int read_entries(chain__crl *c, chain__slice list, const char **why)
{
	chain__slice entry, serial;
	unsigned char tag;
	size_t n = 0;

	for (chain__reader r = chain__reader_of(list); !chain__reader_done(&r); n++)
		if (!chain__reader_tlv(&r, &tag, &entry) || tag != 0x30) {
			*why = "revokedCertificates is not DER";
			return CHAIN_EPARSE;
		}
	if (n && !(c->entries = malloc(n * sizeof(*c->entries))))
		return CHAIN_ENOMEM;
	for (chain__reader r = chain__reader_of(list); !chain__reader_done(&r);) {
		chain__reader_tlv(&r, &tag, &entry);
		chain__reader f = chain__reader_of(entry);
		if (!chain__reader_tlv(&f, &tag, &serial) || tag != 0x02 || serial.len == 0) {
			*why = "a revoked entry without a serial number";
			return CHAIN_EPARSE;
		}
		crl_entry *e = &c->entries[c->n_entries++];
		e->serial = serial_value(serial);
		if (!chain__der_time(&f, &e->revoked_at))
			e->revoked_at = INT64_MIN;
	}
	if (c->n_entries > 1) /* an empty list has no array (qsort() wants one) */
		qsort(c->entries, c->n_entries, sizeof(*c->entries), by_serial);
	return CHAIN_OK;
}

/* crlExtensions ([0] EXPLICIT Extensions) by the rules of extension_problem();
 * false when they are not DER that libchain reads (GnuTLS then reads them). */
static bool read_extensions(chain__slice explicit, const char **problem)
{
	static const chain__slice crl_number = {(const unsigned char *)"\x55\x1d\x14", 3};
	static const chain__slice aki = {(const unsigned char *)"\x55\x1d\x23", 3};
	chain__slice list, ext, oid, field;
	unsigned char tag;
	extension_rule k = {false, NULL};

	if (!chain__der_only(explicit, 0x30, &list))
		return false;
	for (chain__reader r = chain__reader_of(list); !chain__reader_done(&r);) {
		if (!chain__reader_tlv(&r, &tag, &ext) || tag != 0x30)
			return false;
		chain__reader f = chain__reader_of(ext);
		bool critical = false;
		if (!chain__reader_tlv(&f, &tag, &oid) || tag != 0x06 || !chain__reader_tlv(&f, &tag, &field))
			return false;
		if (tag == 0x01) { /* DER: present only when TRUE */
			if (field.len != 1 || field.p[0] != 0xff || !chain__reader_tlv(&f, &tag, &field))
				return false;
			critical = true;
		}
		if (tag != 0x04 || !chain__reader_done(&f))
			return false;
		extension_seen(&k, chain__same_slice(oid, crl_number), chain__same_slice(oid, aki),
		               critical);
	}
	*problem = extension_verdict(&k);
	return true;
}

/* The next TLV if it is a Time, read into *out; *read false when its form
 * is not one libchain reads (GnuTLS then reads the header). */
static bool optional_time(chain__reader *r, int64_t *out, bool *read)
{
	if (chain__reader_done(r) || (*r->p != 0x17 && *r->p != 0x18))
		return false;
	chain__reader peek = *r;
	chain__slice skip;
	unsigned char tag;
	if (!chain__der_time(r, out)) {
		*read = false;
		*r = peek;
		return chain__reader_tlv(r, &tag, &skip);
	}
	return true;
}

/* CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm,
 * signatureValue }, tbsCertList ::= SEQUENCE { version OPTIONAL, signature,
 * issuer, thisUpdate, nextUpdate OPTIONAL, revokedCertificates OPTIONAL,
 * [0] crlExtensions OPTIONAL }. *complete says whether the header was read
 * too (else read_header_gnutls() reads it). */
static int read_body(chain__crl *c, const char **why, bool *complete)
{
	chain__slice whole = {c->der, c->der_len}, body, tbs_body, alg, inner_alg, sig, field;
	unsigned char tag;
	const char *problem = NULL;

	*why = "CRL is not DER";
	*complete = true;
	chain__reader outer;
	if (!chain__der_only(whole, 0x30, &body))
		return CHAIN_EPARSE;
	outer = chain__reader_of(body);
	c->tbs.p = outer.p;
	if (!chain__reader_tlv(&outer, &tag, &tbs_body) || tag != 0x30)
		return CHAIN_EPARSE;
	c->tbs.len = (size_t)(tbs_body.p + tbs_body.len - c->tbs.p);
	if (!chain__reader_tlv(&outer, &tag, &alg) || tag != 0x30 ||
	    !chain__reader_tlv(&outer, &tag, &sig) || tag != 0x03 || !chain__reader_done(&outer) ||
	    sig.len < 2 || sig.p[0] != 0)
		return CHAIN_EPARSE;
	c->signature = (chain__slice){sig.p + 1, sig.len - 1};
	c->sign_algo = chain__sign_algorithm(alg);
	*complete = c->sign_algo != GNUTLS_SIGN_UNKNOWN;

	chain__reader r = chain__reader_of(tbs_body);
	if (!chain__reader_done(&r) && *r.p == 0x02 && !chain__reader_tlv(&r, &tag, &field))
		return CHAIN_EPARSE;
	if (!chain__reader_tlv(&r, &tag, &inner_alg) || tag != 0x30)
		return CHAIN_EPARSE;
	if (!chain__same_slice(inner_alg, alg))
		problem = "the two signature algorithm fields differ (RFC 5280 5.1.1.2)";
	c->issuer.p = r.p;
	if (!chain__reader_tlv(&r, &tag, &field) || tag != 0x30)
		return CHAIN_EPARSE;
	c->issuer.len = (size_t)(field.p + field.len - c->issuer.p);
	if (!optional_time(&r, &c->this_update, complete))
		return CHAIN_EPARSE;
	c->next_update = -1;
	c->has_next_update = optional_time(&r, &c->next_update, complete);
	if (!chain__reader_done(&r) && *r.p == 0x30) {
		if (!chain__reader_tlv(&r, &tag, &field))
			return CHAIN_EPARSE;
		int ret = read_entries(c, field, why);
		if (ret < 0)
			return ret;
	}
	extension_rule none = {false, NULL};
	const char *ext_problem = extension_verdict(&none); /* no crlExtensions */
	if (!chain__reader_done(&r)) {
		if (!chain__reader_tlv(&r, &tag, &field) || tag != 0xa0 || !chain__reader_done(&r))
			return CHAIN_EPARSE;
		*complete = *complete && read_extensions(field, &ext_problem);
	}
	if (!problem && *complete)
		problem = ext_problem;
	if (problem && !(c->problem = strdup(problem)))
		return CHAIN_ENOMEM;
	*why = NULL;
	return CHAIN_OK;
}

/* The digest of tbsCertList that the signature covers, made once: checking
 * the CRL against another issuer key is then one signature operation, not
 * a pass over megabytes. EdDSA signs the data itself: no digest. */
static void digest_tbs(chain__crl *c)
{
	gnutls_digest_algorithm_t hash = gnutls_sign_get_hash_algorithm(c->sign_algo);
	gnutls_pk_algorithm_t pk = gnutls_sign_get_pk_algorithm(c->sign_algo);
	size_t len = gnutls_hash_get_len(hash);
	if ((pk != GNUTLS_PK_RSA && pk != GNUTLS_PK_ECDSA) || hash == GNUTLS_DIG_UNKNOWN || len == 0 ||
	    len > sizeof(c->digest) ||
	    gnutls_hash_fast(hash, c->tbs.p, c->tbs.len, c->digest) < 0)
		return;
	c->digest_len = len;
}

/* A CRL GnuTLS imports but libchain's DER reader refuses (BER lengths in
 * its entries, say): its entries cannot be looked up, and a CRL that may
 * list a certificate must not be dropped. It is kept, under its issuer's
 * name, as one that cannot be checked: its issuer's certificates get
 * revocation_unknown, never "not revoked". */
static int read_unread_body(chain__crl *c, const char **why)
{
	gnutls_x509_crl_t crl;
	gnutls_datum_t dn = {NULL, 0};

	free(c->entries);
	c->entries = NULL;
	c->n_entries = 0;
	free(c->problem);
	c->problem = NULL;
	int ret = import_crl(c, &crl);
	if (ret < 0)
		return ret;
	if (gnutls_x509_crl_get_raw_issuer_dn(crl, &dn) < 0)
		ret = CHAIN_EPARSE;
	else if (!(c->issuer_copy = malloc(dn.size ? dn.size : 1)) ||
	         !(c->problem = strdup("its entries are not DER that libchain reads")))
		ret = CHAIN_ENOMEM;
	if (ret == CHAIN_OK) {
		memcpy(c->issuer_copy, dn.data, dn.size);
		c->issuer = (chain__slice){c->issuer_copy, dn.size};
		c->body_unread = true;
		*why = NULL;
	}
	gnutls_free(dn.data);
	gnutls_x509_crl_deinit(crl);
	return ret;
}

int chain__crl_parse(chain__crl **out, const unsigned char *der, size_t len, const char **why)
{
	chain__crl *c = calloc(1, sizeof(*c));
	int ret;

	*why = "not a CRL";
	if (!c)
		return CHAIN_ENOMEM;
	pthread_mutex_init(&c->memo_lock, NULL);
	if (len == 0 || len > UINT_MAX) {
		ret = CHAIN_EPARSE;
		goto fail;
	}
	if (!(c->der = malloc(len))) {
		ret = CHAIN_ENOMEM;
		goto fail;
	}
	memcpy(c->der, der, len);
	c->der_len = len;
	bool complete;
	ret = read_body(c, why, &complete);
	if (ret == CHAIN_EPARSE)
		ret = read_unread_body(c, why); /* GnuTLS may still read it: fail closed */
	else if (ret == CHAIN_OK && !complete)
		ret = read_header_gnutls(c, why);
	if (ret < 0)
		goto fail;
	if (!c->body_unread)
		digest_tbs(c);
	c->cost = sizeof(*c) + len + c->n_entries * sizeof(*c->entries) +
	          (c->problem ? strlen(c->problem) + 1 : 0) + (c->issuer_copy ? c->issuer.len : 0);
	*out = c;
	return CHAIN_OK;
fail:
	chain__crl_free(c);
	return ret;
}

/* Is @cert listed with a revocation date reached at the clock's time? */
static bool lists(const chain__crl *crl, const chain__cert *cert, chain__clock *clock)
{
	chain__slice mine = serial_value(chain__der_value(cert->parts.serial));
	size_t lo = 0, hi = crl->n_entries;

	while (lo < hi) { /* the first entry not below mine */
		size_t mid = lo + (hi - lo) / 2;
		if (compare_serials(crl->entries[mid].serial, mine) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < crl->n_entries && compare_serials(crl->entries[i].serial, mine) == 0;
	     i++)
		if (chain__clock_reached(clock, crl->entries[i].revoked_at))
			return true;
	return false;
}

/* RSA-PSS: only GnuTLS's full CRL check matches the signature's parameters
 * against the issuer's key, so the CRL is imported again for it. */
static int pss_signature(const chain__crl *crl, const chain__cert *issuer)
{
	gnutls_x509_crt_t ca;
	gnutls_x509_crl_t obj;
	unsigned int status = 0;
	int ret = SIG_UNSUPPORTED;

	if (import_crl(crl, &obj) < 0)
		return SIG_UNSUPPORTED;
	chain__cert_crt_acquire(issuer, NULL, &ca, NULL);
	if (ca && gnutls_x509_crl_verify(obj, &ca, 1, GNUTLS_VERIFY_DISABLE_CA_SIGN, &status) >= 0) {
		/* Time bits are GnuTLS reading its own clock: currency is checked
		 * at the policy time instead. */
		status &= ~(unsigned int)(GNUTLS_CERT_INVALID |
		                          GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |
		                          GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE);
		/* GnuTLS also fails valid PSS signatures whose salt is not the
		 * hash's length (OpenSSL signs with the longest): a failure with
		 * an RSA issuer key is "not checked", never "another key's". */
		int pk = gnutls_x509_crt_get_pk_algorithm(ca, NULL);
		bool rsa_key = pk == GNUTLS_PK_RSA || pk == GNUTLS_PK_RSA_PSS;
		ret = status & GNUTLS_CERT_SIGNATURE_FAILURE ? (rsa_key ? SIG_UNSUPPORTED : SIG_OTHER_KEY)
		      : status                               ? SIG_UNSUPPORTED
		                                             : SIG_OK;
	}
	chain__cert_crt_release(issuer, NULL);
	gnutls_x509_crl_deinit(obj);
	return ret;
}

/* Did @issuer's key sign @crl? Only GnuTLS's "the signature does not
 * verify" (or a key of another type) means another key's CRL, to skip;
 * any other failure (memory, an internal error) is "not checked", which
 * fails closed (revocation_unknown) and is not remembered. */
static int key_signed(const chain__crl *crl, chain__cert *issuer)
{
	if (crl->body_unread)
		return SIG_UNSUPPORTED;
	if (chain__sign_is_rsa_pss(crl->sign_algo))
		return pss_signature(crl, issuer);
	chain__slice digest = {crl->digest, crl->digest_len};
	int raw = 0;
	chain__edge e = crl->digest_len
	                        ? chain__signature_verify_hash(issuer, crl->sign_algo, digest,
	                                                       crl->signature, &raw)
	                        : chain__signature_verify(issuer, crl->sign_algo, crl->tbs,
	                                                  crl->signature, &raw);
	if (e == CHAIN__EDGE_OK)
		return SIG_OK;
	if (raw == GNUTLS_E_PK_SIG_VERIFY_FAILED || raw == GNUTLS_E_INCOMPATIBLE_SIG_WITH_KEY ||
	    raw == GNUTLS_E_CONSTRAINT_ERROR)
		return SIG_OTHER_KEY;
	return SIG_UNSUPPORTED;
}

/* Did @issuer sign @crl, and may it sign CRLs? What gnutls_x509_crl_verify()
 * decides, without its clock; another key's signature first, so that a
 * same-name CRL of another CA is skipped whatever the issuer may do. */
static int signature_status(const chain__crl *crl, chain__cert *issuer)
{
	int status = key_signed(crl, issuer);
	if (status != SIG_OK)
		return status;
	if (!issuer->bc_ca)
		return SIG_NOT_CA;
	if (issuer->has_ku && !(issuer->ku & GNUTLS_KEY_CRL_SIGN))
		return SIG_NO_CRL_SIGN;
	return SIG_OK;
}

/* signature_status(), remembered per issuer certificate in the CRL. */
static int remembered_status(chain__crl *crl, chain__cert *issuer)
{
	int status = -1;

	pthread_mutex_lock(&crl->memo_lock);
	for (size_t i = 0; i < crl->n_memo && status < 0; i++)
		if (memcmp(crl->memo[i].issuer, issuer->sha256, CHAIN__SHA256_LEN) == 0)
			status = crl->memo[i].status;
	pthread_mutex_unlock(&crl->memo_lock);
	if (status >= 0)
		return status;
	status = signature_status(crl, issuer);
	if (status == SIG_UNSUPPORTED)
		return status; /* may be passing (memory): checked again next time */
	pthread_mutex_lock(&crl->memo_lock);
	size_t slot = crl->n_memo < CRL_MEMO ? crl->n_memo++ : (size_t)(issuer->sha256[0] % CRL_MEMO);
	memcpy(crl->memo[slot].issuer, issuer->sha256, CHAIN__SHA256_LEN);
	crl->memo[slot].status = status;
	pthread_mutex_unlock(&crl->memo_lock);
	return status;
}

/* The status of (crl, issuer) for this verification, charged to the budget
 * the first time the pair is met; -1 when the budget is spent. */
static int charged_status(chain__crl_checks *checks, chain__crl *crl, chain__cert *issuer)
{
	for (size_t i = 0; i < checks->n; i++)
		if (checks->v[i].crl == crl && checks->v[i].issuer == issuer)
			return checks->v[i].status;
	uint64_t units = 1 + (crl->digest_len ? 0 : crl->der_len / CRL_BYTES_PER_UNIT);
	if (*checks->sig_checks + units > checks->max_sig_checks) {
		*checks->sig_checks = checks->max_sig_checks + 1; /* the search stops too */
		return -1;
	}
	*checks->sig_checks += units;
	int status = remembered_status(crl, issuer);
	if (chain__grow(&checks->v, &checks->cap, checks->n, sizeof(*checks->v)) == 0)
		checks->v[checks->n++] = (chain__crl_check){crl, issuer, status};
	return status;
}

void chain__crl_checks_free(chain__crl_checks *checks)
{
	free(checks->v);
	checks->v = NULL;
	checks->n = checks->cap = 0;
}

static int check_one(chain__problems *out, const chain__crl *crl, int status, int depth,
                     const chain__cert *cert, chain__clock *clock)
{
	switch (status) {
	case SIG_OTHER_KEY:
		return CHAIN_OK;
	case SIG_NOT_CA:
		return chain__problems_add(out, CHAIN_REASON_REVOCATION_UNKNOWN, depth,
		                           "unusable CRL: its issuer is not a CA");
	case SIG_NO_CRL_SIGN:
		return chain__problems_add(out, CHAIN_REASON_REVOCATION_UNKNOWN, depth,
		                           "the CRL's issuer may not sign CRLs (keyUsage without "
		                           "cRLSign, RFC 5280 4.2.1.3)");
	case SIG_UNSUPPORTED:
		return chain__problems_add(out, CHAIN_REASON_REVOCATION_UNKNOWN, depth,
		                           "the CRL could not be checked against its issuer");
	}
	if (crl->problem)
		return chain__problems_add(out, CHAIN_REASON_REVOCATION_UNKNOWN, depth,
		                           "unusable CRL: %s", crl->problem);
	if (!chain__clock_reached(clock, crl->this_update) ||
	    (crl->next_update >= 0 && !chain__clock_not_past(clock, crl->next_update)))
		return chain__problems_add(out, CHAIN_REASON_REVOCATION_UNKNOWN, depth,
		                           "the issuer's CRL is not current at the verification time");
	if (lists(crl, cert, clock))
		return chain__problems_add(out, CHAIN_REASON_REVOKED, depth,
		                           "certificate revoked by its issuer's CRL");
	return CHAIN_OK;
}

int chain__check_revocation(chain__problems *out, const chain__path *path,
                            chain__clock *clock, const chain__set *store,
                            chain__crl_checks *checks)
{
	int ret = CHAIN_OK;

	for (size_t i = 0; i + 1 < path->len && ret == CHAIN_OK; i++) {
		const chain__cert *cert = path->nodes[i].cert;
		chain__cert *issuer = path->nodes[i + 1].cert;
		for (size_t k = 0; k < store->n_crls && ret == CHAIN_OK; k++) {
			chain__crl *crl = store->crls[k];
			if (!chain__same_slice(crl->issuer, cert->parts.issuer))
				continue;
			int status = charged_status(checks, crl, issuer);
			if (status < 0)
				return chain__problems_add(out, CHAIN_REASON_BUDGET_EXCEEDED, (int)i,
				                           "revocation not checked: the signature budget "
				                           "is spent");
			ret = check_one(out, crl, status, (int)i, cert, clock);
		}
	}
	return ret;
}
