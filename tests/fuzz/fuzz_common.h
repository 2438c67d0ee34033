/* Helpers shared by the libFuzzer targets of tests/fuzz: reading input
 * bytes, the fixtures (tests/data, found through FUZZ_DATA_DIR or the
 * CHAIN_FUZZ_DATA environment variable), a policy chosen by input bytes,
 * and checks of results that abort() on any violation.
 *
 * The policy header (FUZZ_POLICY_BYTES bytes, make-corpus.py writes it):
 *   b0  flags: 0x01 name (b1 bits 2-5), 0x02 purpose (b1 bits 6-7),
 *       0x04 strict OFF, 0x08 cn_fallback, 0x10 partial_chain,
 *       0x20 allow_sha1, 0x40 repair_order, 0x80 precertificate
 *   b1  bit 0 min_rsa_bits 1024, bit 1 the name through set_ip() rather
 *       than set_hostname(), bits 2-5 fuzz_names[], bits 6-7 fuzz_purposes[]
 *   b2  bit 7: max_depth = b2 & 0x1f (else the default)
 *   b3  bits 0-3 fuzz_times[], bits 4-5 unit of b4 (1 s, 1 h, 1 d, 365 d)
 *   b4  signed offset from the chosen time, in that unit
 *   b5  b5 % 8 in 1..5: set that chain_limit to the big-endian u16 b6 b7
 *       (0 included: the setter refuses it)
 * Missing bytes read as 0. */
#ifndef CHAIN_FUZZ_COMMON_H
#define CHAIN_FUZZ_COMMON_H

#include <chain/chain.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 2030-01-01T00:00:00Z: the fixtures' verification time. */
#define FUZZ_T INT64_C(1893456000)
#define FUZZ_POLICY_BYTES 8

typedef struct {
	const uint8_t *p;
	size_t n;
} fuzz_in;

uint8_t fuzz_u8(fuzz_in *in);
uint16_t fuzz_u16(fuzz_in *in); /* big-endian */
/* Up to @want bytes (fewer at the end of the input); *got says how many. */
const uint8_t *fuzz_bytes(fuzz_in *in, size_t want, size_t *got);

/* Print and abort(): a finding. */
void fuzz_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* tests/data/@rel, whole and NUL-terminated; aborts when missing. */
char *fuzz_read(const char *rel, size_t *len);
void fuzz_store_file(chain_store *store, const char *rel);
void fuzz_pool_file(chain_pool *pool, const char *rel);
void fuzz_store_crl(chain_store *store, const char *rel);
/* A fixture bundle as DER certificates (chain_pem_foreach); free with
 * fuzz_chain_free(). */
typedef struct {
	unsigned char **ders;
	size_t *lens, n;
} fuzz_chain;
void fuzz_chain_load(fuzz_chain *out, const char *rel);
void fuzz_chain_free(fuzz_chain *c);

/* A growing byte buffer for building DER. */
typedef struct {
	unsigned char *p;
	size_t n, cap;
} fuzz_buf;
void fuzz_put(fuzz_buf *b, const void *data, size_t len);
/* Append a TLV: @tag, the DER length of @len, @content. */
void fuzz_put_tlv(fuzz_buf *b, unsigned char tag, const void *content, size_t len);

/* The fuzz key: an Ed25519 key fixed here and in make-corpus.py (a test
 * key, nothing secret), whose SubjectPublicKeyInfo make-corpus.py puts in
 * the certificates it makes for signing. fuzz_sign() wraps @tbs (a
 * TBSCertificate or TBSCertList, whatever the bytes are) into
 * SEQUENCE { tbs, AlgorithmIdentifier Ed25519, BIT STRING signature } with
 * a valid signature by that key; free the result. */
unsigned char *fuzz_sign(const uint8_t *tbs, size_t len, size_t *out_len);

/* Saturating a + b. */
int64_t fuzz_add_time(int64_t a, int64_t b);
/* A new policy from the header at the start of @in (consumed); its time
 * goes to *time. */
chain_policy *fuzz_policy(fuzz_in *in, int64_t *time);
extern const char *const fuzz_names[16];
extern const char *const fuzz_purposes[4];
extern const int64_t fuzz_times[16];

/* Documented properties of any result of chain_verify() returning @ret
 * for the served certificates @ders/@lens (@n of them) at time @t
 * (result.h, verify.h): a result exactly for CHAIN_OK, CHAIN_EPARSE and
 * CHAIN_ELIMIT; the verdict agrees with the reason and the problems; every
 * path certificate has its DER, its fingerprint is that DER's SHA-256, and a
 * served one is the served DER at its input index; indices are in range;
 * out-of-range accessors give 0, -1 or NULL. */
void fuzz_check_result(int ret, const chain_result *r, const unsigned char *const *ders,
                       const size_t *lens, size_t n, int64_t t);
/* Two verifications of the same input must agree field for field. */
void fuzz_check_same(const char *what, int ra, const chain_result *a, int rb,
                     const chain_result *b);

#endif
