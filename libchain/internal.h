/* libchain internals: shared between the library's files, never installed.
 * Names shared across files are chain__*; everything else is static. */
#ifndef CHAIN_INTERNAL_H
#define CHAIN_INTERNAL_H

#include <chain/chain.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

/* ---- util.c --------------------------------------------------------------- */

/* Make room for element n of the array *array (capacity *cap, elements of
 * @elem bytes), doubling it when full. */
int chain__grow(void *array, size_t *cap, size_t n, size_t elem);
/* @t as ISO 8601 UTC ("2024-04-26T23:59:59Z"), for messages; the number
 * with "(unix seconds)" outside years 0..9999. Returns @out. */
#define CHAIN__ISO8601_MAX 48
const char *chain__iso8601(int64_t t, char out[CHAIN__ISO8601_MAX]);

/* ---- clock.c --------------------------------------------------------------- */

/* The verification time, and the interval [lo, hi] around it over which
 * every time comparison made so far comes out the same. Verification reads
 * the time only through these two predicates, so its outcome at `now` holds
 * for any time in [lo, hi]: that is what lets the verdict cache answer a
 * row at another time (cache.c). */
typedef struct {
	int64_t now, lo, hi;
} chain__clock;

chain__clock chain__clock_at(int64_t now);
bool chain__clock_reached(chain__clock *clock, int64_t t);   /* now >= t */
bool chain__clock_not_past(chain__clock *clock, int64_t t);  /* now <= t */

/* ---- der.c: just enough DER to slice a certificate ---------------------- */

typedef struct {
	const unsigned char *p; /* the whole TLV (tag, length, content) */
	size_t len;
} chain__slice;

/* Slices of a certificate's DER that GnuTLS 3.7 offers no getter for. */
typedef struct {
	chain__slice tbs, serial, issuer, subject, spki;
	chain__slice signature; /* the BIT STRING's bits, without the unused-bits octet */
} chain__der_parts;

/* Read one TLV at *p (bounded by end): definite minimal lengths and low tag
 * numbers only. On success *tlv is the whole element, *content its value,
 * and *p moves past it. */
bool chain__der_read(const unsigned char **p, const unsigned char *end, unsigned char *tag,
                     chain__slice *tlv, chain__slice *content);
int chain__der_split(chain__der_parts *out, const unsigned char *der, size_t len);

/* A cursor over the TLVs of a slice (a SEQUENCE's or SET's content). */
typedef struct {
	const unsigned char *p, *end;
} chain__reader;

chain__reader chain__reader_of(chain__slice s);
bool chain__reader_done(const chain__reader *r);
/* The next TLV, with chain__der_read()'s rules; *content is its value. */
bool chain__reader_tlv(chain__reader *r, unsigned char *tag, chain__slice *content);
/* The content of a TLV that must fill @s exactly and carry @tag. */
bool chain__der_only(chain__slice s, unsigned char tag, chain__slice *content);
bool chain__same_slice(chain__slice a, chain__slice b); /* same bytes */
/* The content of @tlv, a well-formed TLV (a slice der.c cut). */
chain__slice chain__der_value(chain__slice tlv);
/* The next TLV as an RFC 5280 4.1.2.5 time: UTCTime YYMMDDHHMMSSZ or
 * GeneralizedTime YYYYMMDDHHMMSSZ, years 1970 and later; false otherwise. */
bool chain__der_time(chain__reader *r, int64_t *out);
/* An OBJECT IDENTIFIER's content as dotted text; false when it is not a
 * minimally encoded OID or does not fit @cap. */
bool chain__oid_text(chain__slice oid, char *out, size_t cap);
/* The elements of a DER SEQUENCE (whole TLVs, at most @max stored); *n
 * counts them all. CHAIN_EPARSE unless @der is exactly one SEQUENCE. */
int chain__der_children(const unsigned char *der, size_t len, chain__slice *out, size_t max,
                        size_t *n);

/* ---- text.c: strings from certificates ------------------------------------ */

/* Well-formed UTF-8 (RFC 3629: shortest forms, no surrogates, <= U+10FFFF). */
bool chain__utf8_valid(const unsigned char *p, size_t len);
/* Whether a DER string of type @tag holds what its type allows (UTF8String,
 * BMPString, UniversalString are checked; other types pass). */
bool chain__string_valid(unsigned char tag, chain__slice v);
/* @text (malloc'd, taken) as valid UTF-8 without control characters: each
 * byte that is neither becomes RFC 4514's "\XX". Returns @text itself when
 * nothing needed escaping, else a new string; NULL on allocation failure. */
char *chain__text_safe(char *text);
/* @n bytes as 2 * @n lower-case hex digits and a NUL, into @out. (By table:
 * a result's fingerprints are formatted once per row of a scan.) */
void chain__hex(const unsigned char *p, size_t n, char *out);

/* ---- cert.c: a parsed certificate, immutable and shared ------------------ */

typedef struct chain__nc chain__nc; /* nc.c: parsed name constraints, immutable */

#define CHAIN__KEYID_MAX 64

/* Bits of chain__cert.ext_present / ext_critical. */
enum {
	CHAIN__EXT_SKI, CHAIN__EXT_KU, CHAIN__EXT_SAN, CHAIN__EXT_BC, CHAIN__EXT_NC, CHAIN__EXT_CP,
	CHAIN__EXT_AKI, CHAIN__EXT_PC, CHAIN__EXT_EKU, CHAIN__EXT_AIA, CHAIN__EXT_CT_POISON,
	CHAIN__EXT_COUNT
};
/* The extensions libchain knows, indexed by CHAIN__EXT_*; `handled` ones
 * may be critical (the table: extensions.c). */
typedef struct {
	const char *oid;          /* dotted */
	const unsigned char *der; /* the OID's content octets */
	size_t der_len;
	unsigned int bit;
	bool handled;
} chain__known_ext;
extern const chain__known_ext chain__known_extensions[CHAIN__EXT_COUNT];

#define CHAIN__HAS(c, ext) (((c)->ext_present >> (ext)) & 1u)
#define CHAIN__CRITICAL(c, ext) (((c)->ext_critical >> (ext)) & 1u)
#define CHAIN__SHA256_LEN 32

/* Everything path building and policy checks read, extracted once at parse
 * time so the hot loop never calls a GnuTLS getter. Most certificates are
 * read by libchain's own reader (x509.c); the rest by GnuTLS (cert.c), into
 * the same fields. Immutable after chain__cert_parse() except for the
 * GnuTLS objects made on first use (crt, pubkey), which key_lock guards,
 * and the subject's text, set once atomically (chain__cert_subject_text());
 * reference-counted so threads and results share it. */
typedef struct chain__cert {
	atomic_uint refs;
	unsigned char *der;
	size_t der_len;
	chain__der_parts parts; /* slices into der */
	unsigned char sha256[CHAIN__SHA256_LEN];
	unsigned char spki_sha256[CHAIN__SHA256_LEN];
	/* The extnValue content of each known extension present: into der, or
	 * into ext_copy[] when GnuTLS read the certificate. */
	chain__slice ext[CHAIN__EXT_COUNT];
	gnutls_datum_t ext_copy[CHAIN__EXT_COUNT];

	int version;
	int64_t not_before, not_after;
	gnutls_sign_algorithm_t sign_algo;
	gnutls_pk_algorithm_t pk_algo;
	unsigned int pk_bits;
	bool self_issued; /* raw subject == raw issuer */

	bool has_bc, bc_ca;
	int path_len; /* -1 when absent */
	bool has_ku;
	unsigned int ku;
	bool has_eku;
	char **eku; /* dotted OIDs */
	size_t n_eku, cap_eku;
	unsigned char ski[CHAIN__KEYID_MAX], aki[CHAIN__KEYID_MAX];
	size_t ski_len, aki_len; /* 0 when absent */
	chain__nc *nc; /* NULL when absent or invalid */

	unsigned int ext_present, ext_critical; /* CHAIN__EXT_* bits */
	bool aki_has_issuer_serial;             /* authorityCertIssuer/SerialNumber present */
	char *unknown_critical; /* OID of the first unhandled critical extension */
	char *malformed;        /* why an extension could not be read, or NULL */

	pthread_mutex_t key_lock;
	gnutls_x509_crt_t crt;  /* imported on first use: chain__cert_crt() */
	gnutls_pubkey_t pubkey; /* imported on first use as an issuer */
	bool crt_err, pubkey_err;
	bool own_reader; /* read by x509.c, not by GnuTLS */
	/* Kept by a chain_cache (set before it is shared): results refer to it
	 * as to store and pool certificates instead of copying its DER. */
	bool cached;
	_Atomic(char *) subject_text; /* chain__cert_subject_text(), or NULL */
} chain__cert;

/* Parse @der (copied). On CHAIN_EPARSE, *why (if not NULL) is set to a static
 * description. The new certificate has one reference. */
int chain__cert_parse(chain__cert **out, const unsigned char *der, size_t len,
                      const char **why);
/* The same, with @der's SHA-256 already known (NULL: compute it), and
 * libchain's own reader tried first only when @own_reader (tests compare
 * the two readings). */
int chain__cert_parse_with(chain__cert **out, const unsigned char *der, size_t len,
                           const unsigned char *sha256, const char **why, bool own_reader);
chain__cert *chain__cert_ref(chain__cert *cert);
void chain__cert_unref(chain__cert *cert);
/* The subject as RFC 4514 text (chain__dn_string), formatted on the first
 * call and kept with the certificate: every result that reaches a store,
 * pool or cached certificate names it, once per row of a scan. NULL when
 * the name has no text form or memory ran out (not kept: a later call
 * tries again). Owned by @cert; thread-safe. */
const char *chain__cert_subject_text(chain__cert *cert);
/* The issuer's public key, imported once; NULL if it cannot be imported. */
gnutls_pubkey_t chain__cert_pubkey(chain__cert *cert);
/* The GnuTLS certificate object, imported on first use (for what libchain
 * leaves to GnuTLS: RSA-PSS and CRL signatures, unusual name strings);
 * NULL if GnuTLS cannot import it. Thread-safe. */
gnutls_x509_crt_t chain__cert_crt(const chain__cert *cert);
/* The GnuTLS objects of @a and of @b (NULL, or the same certificate, for
 * one), with their locks held until chain__cert_crt_release(a, b): GnuTLS
 * does not promise that even its getters may use one object from two
 * threads at once, so the library calls GnuTLS on a certificate object only
 * between these two (chain__cert_crt() alone is for single-threaded tests).
 * An object that cannot be imported is NULL. */
void chain__cert_crt_acquire(const chain__cert *a, const chain__cert *b, gnutls_x509_crt_t *crt_a,
                             gnutls_x509_crt_t *crt_b);
void chain__cert_crt_release(const chain__cert *a, const chain__cert *b);

/* ---- x509.c: libchain's reader of the common certificate shapes ---------- */

/* The signature algorithm of an AlgorithmIdentifier's content, for the
 * shapes read here (PKCS #1 v1.5 with NULL parameters, ECDSA, EdDSA);
 * GNUTLS_SIGN_UNKNOWN for anything else (RSA-PSS: GnuTLS reads those). */
gnutls_sign_algorithm_t chain__sign_algorithm(chain__slice alg);
/* Fill @c's fields from c->der and c->parts. CHAIN_EPARSE when the
 * certificate is outside the shapes read here (GnuTLS then reads it). */
int chain__x509_read(chain__cert *c);
/* keyIdentifier and the presence of issuer/serial, from an AKI value (for
 * the GnuTLS path too). */
void chain__read_aki(chain__cert *cert, chain__slice value);

/* ---- names.c: a certificate's names as the checks read them -------------- */

/* Iterate the subjectAltName entries: start with *r = chain__san_reader();
 * *type is a GNUTLS_SAN_* value (0 for types libchain does not name). */
chain__reader chain__san_reader(const chain__cert *cert);
bool chain__san_next(chain__reader *r, unsigned int *type, chain__slice *value);
/* extensions.c. Whether a subjectAltName's extnValue is GeneralNames in DER: one or more
 * GeneralNames filling a SEQUENCE, each of a known kind in its form, the
 * constructed ones filled exactly by what they hold. libtasn1 (GnuTLS) reads
 * some broken ones its own way (a directoryName's length ignored), so a name
 * list that is not well formed would read differently here and there. */
bool chain__san_well_formed(chain__slice value);
/* The subject's common name number @idx as text, in @buf (NUL-terminated,
 * *size its length on return): CHAIN__CN_OK, CHAIN__CN_SKIP (this one is
 * unreadable or too long) or CHAIN__CN_END (no more). */
enum { CHAIN__CN_OK, CHAIN__CN_SKIP, CHAIN__CN_END };
int chain__cert_cn(const chain__cert *cert, unsigned int idx, char *buf, size_t *size);
/* Newly allocated strings for results (NULL on failure), from DER slices. */
char *chain__dn_string(chain__slice name);   /* dn.c: RFC 4514 text */
char *chain__dn_string_gnutls(chain__slice name); /* the same, always by GnuTLS (tests) */
/* Whether GnuTLS's RFC 4514 escaping (str_escape in lib/x509/common.c)
 * puts a backslash before byte @i of attribute value @v: ,+"\<>; anywhere,
 * # and space first, space last. */
bool chain__dn_escaped(chain__slice v, size_t i);
char *chain__serial_hex(chain__slice serial);
bool chain__cert_has_eku(const chain__cert *cert, const char *oid);

/* ---- nc.c: name constraints (RFC 5280 4.2.1.10) ------------------------- */

#define CHAIN__DNS_MAX 253
/* GeneralName alternatives, by context-specific tag number (RFC 5280 4.2.1.6). */
enum { CHAIN__GN_OTHER = 0, CHAIN__GN_EMAIL = 1, CHAIN__GN_DNS = 2, CHAIN__GN_DIR = 4 };

/* Read a nameConstraints extension value (copied). When it is invalid,
 * *out is NULL and *problem a new string saying why (the caller frees it).
 * Returns CHAIN_OK or CHAIN_ENOMEM. */
int chain__nc_parse(chain__nc **out, chain__slice value, bool critical, char **problem);
void chain__nc_free(chain__nc *nc); /* NULL is a no-op */
/* The GeneralName type (CHAIN__GN_*, 0..8) of a GeneralName TLV's tag, or -1. */
int chain__nc_gn_type(unsigned char tag);
/* Whether @name (a GeneralName's content, of @type) lies within @nc: no
 * excluded subtree of its type matches it and, if there are permitted
 * subtrees of its type, one does. A name of a type with no subtree passes;
 * a syntactically invalid one of a constrained type fails. */
bool chain__nc_name_permitted(const chain__nc *nc, unsigned int type, chain__slice name);
bool chain__nc_constrains(const chain__nc *nc, unsigned int type); /* any subtree of @type */
size_t chain__nc_count(const chain__nc *nc);                       /* subtrees */
/* A valid DNS name (a leading "*." allowed) once one trailing dot is dropped. */
bool chain__nc_dns_name(chain__slice name);

/* ---- nc_names.c: name constraints on a certificate's names -------------- */

/* Are all names of @cert (subject, SANs; the leaf's dotted CNs when it has
 * no dNSName SAN, and with @cn_fallback every CN a host name could match)
 * allowed by @nc? NULL @nc allows everything. */
bool chain__nc_permits(const chain__nc *nc, const chain__cert *cert, bool is_leaf,
                       bool cn_fallback);

/* ---- index.c: a multimap from a 64-bit key hash to small integers -------- */

typedef struct {
	uint64_t *hashes;
	uint32_t *vals; /* value + 1; 0 marks an empty slot */
	size_t cap, n;
	size_t max_probe; /* the most slots one addition looked at (tests read it) */
} chain__index;

/* Index keys, hashed under a random key per process (SipHash-1-3): input
 * chooses the names and can try certificates until digests collide. */
uint64_t chain__hash_bytes(const unsigned char *p, size_t len);
/* The index key of a SHA-256 digest (its first 8 bytes, keyed likewise). */
uint64_t chain__hash_digest(const unsigned char *sha256);
int chain__index_add(chain__index *idx, uint64_t hash, uint32_t val);
void chain__index_free(chain__index *idx);
/* Iterate the values stored under @hash: start with *pos = SIZE_MAX; returns
 * false when there are no more. Callers compare the real keys. */
bool chain__index_next(const chain__index *idx, uint64_t hash, size_t *pos, uint32_t *val);

/* ---- set.c: an indexed, de-duplicated set of certificates --------------- */

typedef struct {
	char *source, *reason;
} chain__rejection;

typedef struct chain__crl chain__crl;

typedef struct chain__set {
	chain__cert **certs;
	size_t n, cap;
	chain__index by_subject; /* raw subject DN */
	chain__index by_sha256;  /* whole DER */
	chain__rejection *rejected;
	size_t n_rejected, cap_rejected;
	chain__crl **crls; /* stores only */
	size_t n_crls, cap_crls;
	size_t crl_bytes, crl_limit; /* stores only: chain__crl_cost() summed, and its bound */
	struct {
		unsigned char sha256[CHAIN__SHA256_LEN];
		int64_t after;
	} *distrust; /* stores only: anchors trusted for leaves issued before `after` */
	size_t n_distrust, cap_distrust;
	/* Changes whenever what the set holds changes, to a value no set has
	 * had before (0: empty, as every empty set behaves the same): the
	 * verdict cache keys on it. */
	uint64_t version;
} chain__set;

void chain__set_changed(chain__set *set);

void chain__set_free(chain__set *set);
/* Adds @cert (taking a new reference) unless present; *added tells which. */
int chain__set_add(chain__set *set, chain__cert *cert, bool *added);
int chain__set_reject(chain__set *set, const char *source, const char *reason);
const chain__cert *chain__set_find(const chain__set *set, const unsigned char sha256[32]);
/* Iterate certificates whose raw subject equals @name (start *pos at SIZE_MAX). */
const chain__cert *chain__set_next_subject(const chain__set *set, chain__slice name,
                                           size_t *pos);

/* ---- load.c: PEM/DER/file/directory input for a set ---------------------- */

int chain__load_der(chain__set *set, const unsigned char *der, size_t len,
                    const char *source);
int chain__load_pem(chain__set *set, const char *pem, size_t len, const char *source,
                    size_t *added);
int chain__load_file(chain__set *set, const char *path, size_t *added);
int chain__load_dir(chain__set *set, const char *path, size_t *added);
int chain__load_system(chain__set *set, size_t *added);
int chain__load_crl(chain__set *set, const char *data, size_t len, size_t *added);
long chain__pem_foreach_label(const char *pem, size_t len, const char *label, chain_pem_cb cb,
                              void *ctx);
struct chain_store {
	chain__set set;
};
struct chain_pool {
	chain__set set;
};

/* ---- policy.c ------------------------------------------------------------ */

struct chain_policy {
	bool has_time;
	int64_t time;
	char *hostname;            /* normalised DNS name (lower case, no trailing dot) */
	unsigned char ip[16];      /* when ip_len is 4 or 16 */
	size_t ip_len;
	char *purpose;             /* dotted OID or NULL for any */
	unsigned int max_depth;
	bool partial_chain, cn_fallback, allow_sha1, strict, repair_order, precertificate;
	unsigned int min_rsa_bits;
	size_t explain;            /* attempts kept in explain mode; 0: off */
	uint64_t limits[6];        /* indexed by chain_limit */
};

extern const chain_policy chain__default_policy;
/* The policy's time, or the wall clock when it has none. */
int64_t chain__verification_time(const chain_policy *p);
/* Parse an IPv4/IPv6 literal; returns 4, 16, or 0 when @text is not one. */
size_t chain__parse_ip(unsigned char out[16], const char *text);
/* Hash everything in @policy but its time into @h (the verdict cache's key). */
int chain__policy_digest(const chain_policy *policy, gnutls_hash_hd_t h);

/* ---- edge.c: does issuer I's key verify subject S's signature? ---------- */

typedef enum {
	CHAIN__EDGE_OK = 0,
	CHAIN__EDGE_BAD = 1,         /* the signature does not verify */
	CHAIN__EDGE_UNSUPPORTED = 2, /* algorithm or key unusable */
} chain__edge;

chain__edge chain__edge_verify(chain__cert *issuer, const chain__cert *subject);
/* Does @issuer's key verify @signature over @signed_data with @algo? The
 * mathematics only (also for CRLs, crl.c); not for RSA-PSS, whose
 * parameters need GnuTLS's full certificate or CRL check. */
chain__edge chain__signature_verify(chain__cert *issuer, gnutls_sign_algorithm_t algo,
                                    chain__slice signed_data, chain__slice signature, int *raw);
/* The same over a digest of the signed data made with @algo's hash (not for
 * EdDSA, which signs the data itself). */
chain__edge chain__signature_verify_hash(chain__cert *issuer, gnutls_sign_algorithm_t algo,
                                         chain__slice digest, chain__slice signature, int *raw);
/* (*raw, when not NULL, gets GnuTLS's own return: CRLs tell "signed by
 * another key" from "could not be checked" by it.) */
bool chain__sign_is_rsa_pss(gnutls_sign_algorithm_t algo);
/* Whether the edge's answer depends only on the issuer's key (and so may be
 * cached under it): not for RSA-PSS subjects. */
bool chain__edge_cacheable(const chain__cert *subject);

/* ---- verify.c ----------------------------------------------------------- */

/* chain_verify() with an optional cache (the batch engine's entry). */
int chain__verify(chain_result **out, const chain_store *store, const chain_policy *policy,
                  const unsigned char *const *ders, const size_t *lens, size_t n,
                  const chain_pool *pool, chain_cache *cache, const unsigned char *ocsp,
                  size_t ocsp_len);

/* ---- cache.c: what chain_cache holds --------------------------------------- */

/* A new reference to the cached certificate with this DER hash, or NULL. */
chain__cert *chain__cache_get_cert(chain_cache *cache, const unsigned char sha256[32]);
void chain__cache_put_cert(chain_cache *cache, chain__cert *cert);
bool chain__cache_get_edge(chain_cache *cache, const chain__cert *issuer,
                           const chain__cert *subject, chain__edge *out);
void chain__cache_put_edge(chain_cache *cache, const chain__cert *issuer,
                           const chain__cert *subject, chain__edge result);
/* The result of an earlier verification with this key (verify.c) whose
 * time window holds @now, instantiated for the served chain @ders; *out is
 * NULL on a miss. Returns CHAIN_OK or CHAIN_ENOMEM. */
int chain__cache_get_verdict(chain_cache *cache, const unsigned char key[32], int64_t now,
                             const unsigned char *const *ders, const size_t *lens, size_t n,
                             chain_result **out);
/* Remember @result for @key over the window of @clock. */
void chain__cache_put_verdict(chain_cache *cache, const unsigned char key[32],
                              const chain__clock *clock, const chain_result *result);

/* ---- problems: what check.c and the search report ----------------------- */

typedef struct {
	chain_reason reason;
	int depth; /* in the path, -1 for none */
	char *message;
} chain__problem;

typedef struct {
	chain__problem *v;
	size_t n, cap;
} chain__problems;

/* problems.c: the list a verification fills as it goes. */
int chain__problems_add(chain__problems *ps, chain_reason reason, int depth,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void chain__problems_clear(chain__problems *ps);
bool chain__problems_has(const chain__problems *ps, chain_reason reason);
/* The most significant of @problems (docs/reasons.md's order). */
chain_reason chain__primary_reason(const chain__problems *problems);

/* ---- path.c: depth-first path search ------------------------------------ */

#define CHAIN__MAX_DEPTH 64
#define CHAIN__MAX_PATH (CHAIN__MAX_DEPTH + 2)

typedef struct {
	chain__cert *cert;
	chain_source source;
	int input_index; /* served index, else -1 */
} chain__node;

typedef enum {
	CHAIN__END_ANCHOR = 0,    /* path[len-1] is a trust anchor */
	CHAIN__END_NO_ISSUER = 1, /* no usable issuer for path[len-1] */
	CHAIN__END_DEPTH = 2,     /* the next issuer would exceed max_depth */
	CHAIN__END_BUDGET = 3,    /* the budget ran out here (reported in explain mode only) */
} chain__end;

/* One candidate path handed to the evaluator. edges[i] is path[i]'s
 * signature checked with path[i+1]'s key. */
typedef struct {
	const chain__node *nodes;
	const chain__edge *edges; /* len - 1 entries */
	size_t len;
	chain__end end;
	/* Explain mode (chain__search.explain), else NULL and false: which
	 * edges the cache answered; an END_NO_ISSUER whose issuers were all on
	 * the path already. */
	const bool *cached;
	bool loop;
} chain__path;

/* Returns true to stop the search (a trusted path was found). */
typedef bool (*chain__path_cb)(void *ctx, const chain__path *path);

typedef struct {
	chain__node leaf;
	const chain__node *served; /* without the leaf, de-duplicated */
	size_t n_served;
	const chain__set *pool;  /* may be NULL */
	const chain__set *store;
	chain__clock *clock;
	unsigned int max_depth;
	bool partial_chain;
	uint64_t max_sig_checks, max_candidates;
	chain__path_cb on_path;
	void *ctx;
	chain_cache *cache; /* may be NULL */
	bool explain;       /* fill chain__path.cached and .loop; report END_BUDGET */
} chain__search;

typedef struct {
	bool found, budget_exceeded;
	uint64_t sig_checks, candidates;
} chain__search_stats;

int chain__path_search(const chain__search *search, chain__search_stats *stats);

/* ---- check.c: policy checks on one path --------------------------------- */

int chain__check_path(chain__problems *out, const chain__path *path,
                      const chain_policy *policy, chain__clock *clock);

/* ---- crl.c: revocation by CRLs held in the store ------------------------ */

/* Read a DER CRL (copied). On CHAIN_EPARSE *why says why. */
int chain__crl_parse(chain__crl **out, const unsigned char *der, size_t len, const char **why);
void chain__crl_free(chain__crl *crl);
/* Bytes the CRL holds in memory (what the store's CRL limit counts). */
size_t chain__crl_cost(const chain__crl *crl);

/* The CRL signature checks of one verification: each (CRL, issuer) pair is
 * charged once to the signature budget, which it shares with the search. */
typedef struct {
	chain__crl *crl;
	const chain__cert *issuer;
	int status;
} chain__crl_check;
typedef struct {
	chain__crl_check *v;
	size_t n, cap;
	uint64_t *sig_checks; /* the search's count (chain__search_stats) */
	uint64_t max_sig_checks;
} chain__crl_checks;
void chain__crl_checks_free(chain__crl_checks *checks);

int chain__check_revocation(chain__problems *out, const chain__path *path,
                            chain__clock *clock, const chain__set *store,
                            chain__crl_checks *checks);

/* ---- distrust.c ---------------------------------------------------------- */

int chain__check_distrust(chain__problems *out, const chain__path *path, const chain__set *store);

/* ---- conform.c: RFC 5280 / CABF structure, under a strict policy -------- */

int chain__check_conformance(chain__problems *out, const chain__path *path,
                             const chain_policy *policy);

/* ---- hostname.c ---------------------------------------------------------- */

/* 1 when @cert is valid for the policy's host or IP, 0 when not, <0 on error. */
int chain__check_name(const chain__cert *cert, const chain_policy *policy);
/* Lower-case, drop one trailing dot, validate. Returns a new string or NULL. */
char *chain__normalize_hostname(const char *name);

/* ---- result.c ------------------------------------------------------------ */

/* Where a field lies in a DER: offsets survive copying the DER elsewhere. */
typedef struct {
	size_t off, len;
} chain__span;

/* A path certificate as a result keeps it: the DER and the few fields
 * results report. A served certificate's DER is copied, not the parsed
 * certificate (whose GnuTLS object costs ~25 KB: a batch of results must
 * stay light); store and pool certificates live as long as their set
 * anyway, and so do served ones a chain_cache keeps (chain__cert.cached),
 * so the result takes a reference and borrows their DER, and their subject
 * text once formatted (chain__cert_subject_text()). A verdict cache
 * template (der NULL, cert NULL) keeps served certificates' fields but not
 * their DER, which the row that hits it supplies again. */
enum { CHAIN__BORROWED_SUBJECT = 1, CHAIN__BORROWED_ISSUER = 2 };
typedef struct {
	const unsigned char *der; /* own copy when cert is NULL */
	size_t der_len;
	chain__cert *cert;        /* store, pool and cached certificates: a reference */
	chain__span subject, issuer, serial;
	unsigned char sha256[CHAIN__SHA256_LEN];
	int64_t not_before, not_after;
	chain_source source;
	int input_index;
	char *subject_str, *issuer_str, *serial_str; /* formatted on first use */
	/* CHAIN__BORROWED_*: that text is a certificate's subject_text (of
	 * cert, or of the next path certificate's, which the same result
	 * holds), not the result's to free. */
	unsigned char borrowed;
	char fingerprint[2 * CHAIN__SHA256_LEN + 1]; /* "" until first use */
} chain__result_cert;

typedef struct {
	chain_reason reason;
	int depth, input_index;
	char *message;
} chain__result_problem;

typedef struct chain__explain chain__explain;

struct chain_result {
	bool ok, anchored, order_repaired;
	chain__explain *explain; /* explain mode: the attempts (explain.c), else NULL */
	chain_ocsp_status ocsp;  /* chain_verify_stapled(); never in the verdict cache */
	char *ocsp_message;      /* NULL for CHAIN_OCSP_NONE */
	chain_reason reason;
	int64_t time;
	chain__result_problem *problems;
	size_t n_problems;
	chain__result_cert *certs;
	size_t n_certs;
	int error_index;
	char *error_message;
	/* The bytes of the result's own allocation: a copy from the verdict
	 * cache holds its parts in it too (result.c, copy_result()). */
	size_t block_bytes;
};

/* Build a result from a path (may be NULL) and its problems; takes no
 * ownership of either (copies what it needs, references certificates). */
int chain__result_from_path(chain_result **out, const chain__path *path,
                            const chain__problems *problems, int64_t now);
/* A result for an input error (CHAIN_EPARSE / CHAIN_ELIMIT). */
int chain__result_input_error(chain_result **out, chain_reason reason, int index,
                              const char *message, int64_t now);
/* What the verdict cache keeps of a result: everything but the served
 * certificates' DER; the certificates' strings formatted first when
 * @with_text, else only those @result has formatted already. */
int chain__result_template(chain_result **out, const chain_result *result, bool with_text);
/* A result equal to the one @tmpl was made from, for a call with the same
 * served certificates (@ders, @lens: their DER is copied again) at @now. */
int chain__result_instantiate(chain_result **out, const chain_result *tmpl,
                              const unsigned char *const *ders, const size_t *lens, size_t n,
                              int64_t now);
/* An estimate of the bytes a result holds, for the cache's bound. */
size_t chain__result_footprint(const chain_result *result);
/* ---- result_cert.c: one certificate as results keep it ------------------
 * A result refers to @node's certificate instead of copying
 * its DER when the certificate outlives it: store and pool certificates live
 * as long as their set, and served ones a cache keeps are shared anyway (an
 * intermediate a scan's rows serve again and again); other served ones are
 * the caller's. fill() clears *@rc (releasing nothing it held) and sets it
 * from @node, its DER copied to @copy (der_len bytes) when it does not
 * refer; it returns the bytes it copied (0 when it refers). keep() is fill()
 * into a copy of its own, and leaves *@rc unchanged on CHAIN_ENOMEM. */
bool chain__result_cert_refers(const chain__node *node);
size_t chain__result_cert_fill(chain__result_cert *rc, const chain__node *node,
                               unsigned char *copy);
int chain__result_cert_keep(chain__result_cert *rc, const chain__node *node);
const char *chain__result_cert_subject(chain__result_cert *rc);
/* @next, the path certificate after @rc (or NULL), names the same name as
 * its subject when it issued @rc: its text is the same. */
const char *chain__result_cert_issuer(chain__result_cert *rc, chain__result_cert *next);
const char *chain__result_cert_serial(chain__result_cert *rc);
const char *chain__result_cert_fingerprint(chain__result_cert *rc);
/* Frees what @rc holds; its parts inside @owner's block (or NULL) go with it. */
void chain__result_cert_release(const chain_result *owner, chain__result_cert *rc);
/* Whether @p lies in @r's own block: a packed result's parts are freed with
 * it, not one by one; free_part() frees @p unless it does. */
bool chain__result_in_block(const chain_result *r, const void *p);
void chain__result_free_part(const chain_result *r, const void *p);

/* ---- ocsp.c: a stapled OCSP response ---------------------------------------- */

typedef struct {
	chain_ocsp_status status;
	char message[256];
} chain__ocsp;

/* Judge the response @der on @path's leaf (o->status; a "revoked" also goes
 * to @ps). A @path without the leaf's issuer makes it unusable. */
int chain__check_ocsp(chain__ocsp *o, chain__problems *ps, const chain__path *path,
                      chain__clock *clock, const unsigned char *der, size_t len);

/* ---- explain.c: the attempts of explain mode ------------------------------ */

/* Attempts recorded during one verification, at most @max kept. */
chain__explain *chain__explain_new(size_t max);
void chain__explain_free(chain__explain *x);
/* Record @path (its certificates, edges, end) with the problems the rules
 * found on it; @trusted when it is the accepted path. */
int chain__explain_add(chain__explain *x, const chain__path *path, const chain__problems *ps,
                       bool trusted);

#endif /* CHAIN_INTERNAL_H */
