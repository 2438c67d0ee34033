/* libchain: trust stores (anchors) and intermediate pools.
 *
 * chain_store holds the certificates a verification may end at. By default a
 * path must end at a self-issued store certificate (a root); a store
 * certificate that is not self-issued is used as a trusted intermediate on
 * the way to one, and becomes an anchor itself only under
 * chain_policy_set_partial_chain().
 *
 * chain_pool holds untrusted intermediates that may be used to complete a
 * served chain (e.g. all intermediates of a CT log). It is indexed once as it
 * is filled, so a large pool costs nothing per call beyond the lookups.
 *
 * Both are filled from PEM (one or many certificates; text outside
 * BEGIN/END CERTIFICATE blocks, like the comments in certifi's cacert.pem, is
 * ignored), DER, files and directories (bundles and OpenSSL-style hashed
 * directories). A certificate already present is not added twice. Inputs
 * that cannot be used are skipped and listed with the reason (see
 * chain_store_rejected_count()).
 *
 * Threads: the add functions need exclusive access to the object. A filled
 * store or pool is never modified by the library; any number of threads may
 * pass it to chain_verify() at once, provided none adds to it meanwhile.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CHAIN_STORE_H
#define CHAIN_STORE_H

#include "common.h"

CHAIN_BEGIN_DECLS

typedef struct chain_store chain_store;
typedef struct chain_pool chain_pool;

/* Largest single file the loaders read (bundles bigger than this are refused
 * with CHAIN_ELIMIT rather than read into memory). */
#define CHAIN_MAX_FILE_BYTES (64u * 1024u * 1024u)
/* Largest certificate the loaders accept (same default as the policy's
 * CHAIN_LIMIT_CERT_BYTES). */
#define CHAIN_MAX_STORE_CERT_BYTES (64u * 1024u)

/** Create an empty trust store. The caller owns *out and releases it with
 * chain_store_free(). Returns CHAIN_OK, CHAIN_EINVAL (out is NULL) or
 * CHAIN_ENOMEM. Since: 0.1 */
CHAIN_API int chain_store_new(chain_store **out);

/** Release a store and every certificate it holds. NULL is a no-op. Results
 * that still refer to its certificates stay valid (they hold references).
 * Since: 0.1 */
CHAIN_API void chain_store_free(chain_store *store);

/** Add one DER certificate; @der is copied. @flags is reserved and must be 0.
 * Returns CHAIN_OK (also when the certificate was already present),
 * CHAIN_EPARSE (not a certificate; recorded in the rejected list),
 * CHAIN_ELIMIT (over CHAIN_MAX_STORE_CERT_BYTES), CHAIN_EINVAL or
 * CHAIN_ENOMEM. Since: 0.1 */
CHAIN_API int chain_store_add_der(chain_store *store, const unsigned char *der,
                                  size_t len, unsigned int flags);

/** Add every certificate of a PEM text (@pem need not be NUL-terminated).
 * When @added is not NULL, the number of new certificates is written to it.
 * Blocks that do not decode or parse are skipped and recorded as rejected.
 * Returns CHAIN_OK when at least one certificate was read (new or
 * duplicate), CHAIN_EPARSE when none could be read, CHAIN_EINVAL or
 * CHAIN_ENOMEM. @flags is reserved and must be 0. Since: 0.1 */
CHAIN_API int chain_store_add_pem(chain_store *store, const char *pem, size_t len,
                                  unsigned int flags, size_t *added);

/** Add the certificates of a file: a PEM bundle or a single DER certificate
 * (detected from the content). Returns as chain_store_add_pem(), plus
 * CHAIN_EIO when the file cannot be read and CHAIN_ELIMIT when it is larger
 * than CHAIN_MAX_FILE_BYTES. Since: 0.1 */
CHAIN_API int chain_store_add_file(chain_store *store, const char *path,
                                   unsigned int flags, size_t *added);

/** Add every regular file of a directory (not recursive; symbolic links are
 * followed, so an OpenSSL hashed directory loads, its duplicates counted
 * once). Files without a certificate are recorded as rejected. Returns
 * CHAIN_OK when at least one certificate was read, CHAIN_EPARSE when none
 * was, CHAIN_EIO when the directory cannot be opened. Since: 0.1 */
CHAIN_API int chain_store_add_dir(chain_store *store, const char *path,
                                  unsigned int flags, size_t *added);

/** Add the operating system's trust store: the first readable of the usual
 * bundle files (/etc/ssl/certs/ca-certificates.crt, /etc/pki/tls/certs/
 * ca-bundle.crt, ...), else the /etc/ssl/certs directory. Returns as
 * chain_store_add_file(), or CHAIN_ENOTFOUND when none exists. Since: 0.1 */
CHAIN_API int chain_store_add_system(chain_store *store, unsigned int flags,
                                     size_t *added);

/* Default bound on the memory a store's CRLs take (chain_store_set_crl_limit()). */
#define CHAIN_DEFAULT_CRL_BYTES (256u * 1024u * 1024u)

/** Add certificate revocation lists: @data is DER (one CRL) or PEM text with
 * "X509 CRL" blocks. From then on every verification with this store checks
 * each path certificate against the CRLs of its issuer (same issuer name,
 * signed with the issuer's key) at the policy time: listed with a revocation
 * date not after that time gives reason "revoked"; a CRL of the issuer that
 * cannot be relied on (its issuer lacks cRLSign, no or critical cRLNumber,
 * an unsupported critical extension, not current at that time) gives
 * "revocation_unknown". Each CRL signature check costs the verification's
 * signature budget (CHAIN_LIMIT_SIG_CHECKS) one unit, once per CRL and issuer
 * (EdDSA and RSA-PSS CRLs, checked over their whole data, one more per
 * 64 KiB). The number of CRLs read goes to *added. Returns
 * CHAIN_OK, CHAIN_EPARSE when none could be read (rejections are listed),
 * CHAIN_ELIMIT when a CRL would take the store past its CRL memory limit
 * (that CRL and those after it in @data are not added; the CRL is listed as
 * rejected with the sizes), CHAIN_EINVAL or CHAIN_ENOMEM. @flags is reserved
 * and must be 0. Threads: as the other add functions. Since: 0.1 */
CHAIN_API int chain_store_add_crl(chain_store *store, const char *data, size_t len,
                                  unsigned int flags, size_t *added);

/** Trust the anchor whose DER has SHA-256 @sha256 (32 bytes) only for leaves
 * whose notBefore is before @unix_seconds: a path ending at it whose leaf was
 * issued at or after that time fails with reason "distrusted" (as Mozilla's
 * and Chrome's distrust-after dates). The anchor need not be in the store yet;
 * setting it again replaces the date. Returns CHAIN_OK, CHAIN_EINVAL or
 * CHAIN_ENOMEM. Since: 0.1 */
CHAIN_API int chain_store_set_distrust_after(chain_store *store, const unsigned char *sha256,
                                             int64_t unix_seconds);

/** Number of CRLs in the store. Since: 0.1 */
CHAIN_API size_t chain_store_crl_count(const chain_store *store);

/** Bound the memory the store's CRLs may take to @bytes (default
 * CHAIN_DEFAULT_CRL_BYTES, 256 MiB). A CRL costs its DER size, plus 24 bytes
 * per revoked entry, plus about 200 bytes (chain_store_crl_bytes() tells the
 * total); chain_store_add_crl() refuses one that would pass the bound. CRLs
 * already added stay. Returns CHAIN_OK or CHAIN_EINVAL (@store is NULL).
 * Threads: as the add functions (exclusive access). Since: 0.2 */
CHAIN_API int chain_store_set_crl_limit(chain_store *store, size_t bytes);

/** Bytes the store's CRLs take, as counted against the CRL limit. NULL gives 0.
 * Since: 0.2 */
CHAIN_API size_t chain_store_crl_bytes(const chain_store *store);

/** Number of distinct certificates in the store. NULL gives 0. Since: 0.1 */
CHAIN_API size_t chain_store_count(const chain_store *store);

/** Number of inputs rejected so far by the add functions. Since: 0.1 */
CHAIN_API size_t chain_store_rejected_count(const chain_store *store);

/** Where rejected input @i came from ("/etc/ssl/certs/x.pem", "pem block 3",
 * "der") and why it was rejected. Strings are borrowed from the store and
 * live until it is freed. Out-of-range @i gives NULL. Since: 0.1 */
CHAIN_API const char *chain_store_rejected_source(const chain_store *store, size_t i);
CHAIN_API const char *chain_store_rejected_reason(const chain_store *store, size_t i);

/* chain_pool: the same operations, for untrusted intermediates. */

/** Create an empty intermediate pool; free it with chain_pool_free(). Since: 0.1 */
CHAIN_API int chain_pool_new(chain_pool **out);
/** Release a pool. NULL is a no-op. Since: 0.1 */
CHAIN_API void chain_pool_free(chain_pool *pool);
/** As chain_store_add_der(). Since: 0.1 */
CHAIN_API int chain_pool_add_der(chain_pool *pool, const unsigned char *der,
                                 size_t len, unsigned int flags);
/** As chain_store_add_pem(). Since: 0.1 */
CHAIN_API int chain_pool_add_pem(chain_pool *pool, const char *pem, size_t len,
                                 unsigned int flags, size_t *added);
/** As chain_store_add_file(). Since: 0.1 */
CHAIN_API int chain_pool_add_file(chain_pool *pool, const char *path,
                                  unsigned int flags, size_t *added);
/** As chain_store_add_dir(). Since: 0.1 */
CHAIN_API int chain_pool_add_dir(chain_pool *pool, const char *path,
                                 unsigned int flags, size_t *added);
/** As chain_store_count(). Since: 0.1 */
CHAIN_API size_t chain_pool_count(const chain_pool *pool);
/** As chain_store_rejected_count(). Since: 0.1 */
CHAIN_API size_t chain_pool_rejected_count(const chain_pool *pool);
/** As chain_store_rejected_source() / chain_store_rejected_reason(). Since: 0.1 */
CHAIN_API const char *chain_pool_rejected_source(const chain_pool *pool, size_t i);
CHAIN_API const char *chain_pool_rejected_reason(const chain_pool *pool, size_t i);

CHAIN_END_DECLS

#endif /* CHAIN_STORE_H */
