/* fuzz_names: host names, IP addresses and purposes through the policy
 * setters, then name matching on a leaf: a fixture chain, or a leaf built
 * here with the input's subjectAltName entries and common names.
 *
 * Input: a flags byte f, a chain byte c, then lines ('\n'-separated, any
 * other byte allowed, NUL included):
 *   line 1  the name: chain_policy_set_hostname(), or set_ip() when f & 0x08
 *           (the C string ends at the first NUL)
 *   line 2  the purpose for chain_policy_set_purpose() when f & 0x10
 *   line 3+ (built leaf only) the leaf's names, by their first byte:
 *           'd' dNSName, 'i' iPAddress from an IP literal (else the raw
 *           bytes), 'r' iPAddress of the raw bytes, 'e' rfc822Name,
 *           'u' URI, 'c' a common name (UTF8String), 'x' a raw GeneralName
 *           (tag byte, then the content)
 *   f & 0x01 cn_fallback, f & 0x02 strict off, f & 0x04 the built leaf
 *   (else fixture chain c % count: every chain of tests/data/cases.tsv and
 *   nc/cases.tsv whose store is root-a, nc/root or nc/root-nc, in file
 *   order, duplicates dropped), f & 0x20 the built leaf is not in the store.
 * Time 2030-01-01. The built leaf is self-issued, with chain-a's leaf key
 * and a dummy signature; in the store it is its own anchor.
 *
 * abort() on a crash, a leak or any of:
 *  - a result not of the documented shape (fuzz_check_result());
 *  - a host name accepted by chain_policy_set_hostname() with a character
 *    outside letters, digits, '-', '_' and '.', or empty, or over 253
 *    characters (policy.h); a non-literal accepted by set_ip(); a
 *    hostname_mismatch problem after the setter refused the name;
 *  - the same name in other letter case, with a trailing dot added, or (an
 *    IP literal) through chain_policy_set_ip() instead of set_hostname():
 *    another setter status or another result;
 *  - on the built leaf (when no 'x' entry and no "malformed" problem): a
 *    hostname_mismatch problem exactly when the documented rules say the
 *    name does not match (policy.h, hostname.c's header): SAN dNSNames
 *    case-insensitively, one trailing dot ignored, a wildcard only as the
 *    whole leftmost label with at least two labels after it and standing
 *    for one non-empty label; IP addresses against iPAddress entries only;
 *    common names (no wildcard) only under cn_fallback, for a DNS name,
 *    when the leaf has no dNSName or iPAddress at all.
 * Deterministic, no state across inputs. */
#include "fuzz_common.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_CHAINS 256
#define MAX_LINES 24

static chain_store *roots;
static fuzz_chain chains[MAX_CHAINS];
static size_t n_chains;
static fuzz_chain leaf_template; /* chain-a: its leaf's key is reused */

static bool has_chain(const char *rel, char seen[][128], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(seen[i], rel) == 0)
			return true;
	return false;
}

static void load_cases(const char *index, char seen[][128])
{
	size_t len;
	char *tsv = fuzz_read(index, &len), *save = NULL;
	for (char *line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[4] = {line}, *p = line;
		for (int k = 1; k < 4 && (p = strchr(p, '\t')); k++) {
			*p++ = '\0';
			f[k] = p;
		}
		if (!f[3] || strcmp(f[0], "name") == 0)
			continue;
		char *tab = strchr(f[2], '\t');
		if (tab)
			*tab = '\0';
		if (strcmp(f[1], "pki/root-a.pem") != 0 && strcmp(f[1], "nc/root.pem") != 0 &&
		    strcmp(f[1], "nc/root-nc.pem") != 0)
			continue;
		if (n_chains == MAX_CHAINS || strlen(f[2]) >= 128 || has_chain(f[2], seen, n_chains))
			continue;
		strcpy(seen[n_chains], f[2]);
		fuzz_chain_load(&chains[n_chains++], f[2]);
	}
	free(tsv);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char seen[MAX_CHAINS][128];
	(void)argc;
	(void)argv;
	if (chain_store_new(&roots) != CHAIN_OK)
		fuzz_die("init");
	fuzz_store_file(roots, "pki/root-a.pem");
	fuzz_store_file(roots, "nc/root.pem");
	fuzz_store_file(roots, "nc/root-nc.pem");
	load_cases("cases.tsv", seen);
	load_cases("nc/cases.tsv", seen);
	fuzz_chain_load(&leaf_template, "pki/chain-a.pem");
	return 0;
}

/* ---- the built leaf ------------------------------------------------------ */

/* Wrap @inner in a TLV of @tag and free it. */
static void wrap(fuzz_buf *out, unsigned char tag, fuzz_buf *inner)
{
	fuzz_put_tlv(out, tag, inner->p, inner->n);
	free(inner->p);
	*inner = (fuzz_buf){0};
}

/* The SubjectPublicKeyInfo of chain-a's leaf: the 7th TBS field. */
static bool template_spki(const unsigned char **p, size_t *len)
{
	const unsigned char *d = leaf_template.ders[0], *end = d + leaf_template.lens[0];
	/* Certificate SEQUENCE, then TBS SEQUENCE: step into both. */
	for (int depth = 0; depth < 2; depth++) {
		if (end - d < 2 || d[0] != 0x30)
			return false;
		d += (d[1] & 0x80) ? 2 + (d[1] & 0x7f) : 2;
	}
	for (int field = 0; field < 7 && d + 2 <= end; field++) {
		size_t l = d[1], h = 2;
		if (l & 0x80) {
			size_t octets = l & 0x7f;
			l = 0;
			for (size_t i = 0; i < octets; i++)
				l = l << 8 | d[2 + i];
			h += octets;
		}
		if (field == 6) {
			*p = d;
			*len = h + l;
			return d + *len <= end;
		}
		d += h + l;
	}
	return false;
}

typedef struct {
	const uint8_t *p;
	size_t len;
} line;

/* DER of a self-issued leaf with these names (lines of the input). */
static void build_leaf(fuzz_buf *cert, const line *names, size_t n)
{
	static const unsigned char version[] = {0xa0, 0x03, 0x02, 0x01, 0x02};
	static const unsigned char serial[] = {0x02, 0x01, 0x2a};
	static const unsigned char alg[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
	                                    0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
	static const unsigned char validity[] = {
		0x30, 0x20, 0x17, 0x0d, '2', '0', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0',
		'Z',  0x18, 0x0f, '2', '0', '9', '9', '1', '2', '3', '1', '2', '3', '5', '9', '5', '9',
		'Z'};
	static const unsigned char org[] = {0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04,
	                                    0x0a, 0x0c, 0x04, 'F',  'u',  'z',  'z'};
	static const unsigned char exts_fixed[] = {
		/* basicConstraints critical CA:FALSE, keyUsage critical
		 * digitalSignature|keyEncipherment, extKeyUsage serverAuth */
		0x30, 0x0c, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x02, 0x30, 0x00,
		0x30, 0x0e, 0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01, 0xff, 0x04, 0x04, 0x03, 0x02,
		0x05, 0xa0, 0x30, 0x13, 0x06, 0x03, 0x55, 0x1d, 0x25, 0x04, 0x0c, 0x30, 0x0a, 0x06,
		0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
	static const unsigned char san_oid[] = {0x06, 0x03, 0x55, 0x1d, 0x11};
	fuzz_buf name = {0}, rdns = {0}, san = {0}, tmp = {0}, ext = {0}, exts = {0}, tbs = {0};
	fuzz_buf body = {0};
	const unsigned char *spki;
	size_t spki_len;

	if (!template_spki(&spki, &spki_len))
		fuzz_die("cannot find chain-a's leaf key");
	fuzz_put(&rdns, org, sizeof(org));
	for (size_t i = 0; i < n; i++) {
		const uint8_t *v = names[i].p + 1;
		size_t vl = names[i].len - 1;
		unsigned char ip[16];
		char text[64];
		switch (names[i].p[0]) {
		case 'd': fuzz_put_tlv(&san, 0x82, v, vl); break;
		case 'e': fuzz_put_tlv(&san, 0x81, v, vl); break;
		case 'u': fuzz_put_tlv(&san, 0x86, v, vl); break;
		case 'r': fuzz_put_tlv(&san, 0x87, v, vl); break;
		case 'i':
			if (vl < sizeof(text)) {
				memcpy(text, v, vl);
				text[vl] = '\0';
				if (inet_pton(AF_INET, text, ip) == 1) {
					fuzz_put_tlv(&san, 0x87, ip, 4);
					break;
				}
				if (inet_pton(AF_INET6, text, ip) == 1) {
					fuzz_put_tlv(&san, 0x87, ip, 16);
					break;
				}
			}
			fuzz_put_tlv(&san, 0x87, v, vl);
			break;
		case 'x':
			if (vl >= 1)
				fuzz_put_tlv(&san, v[0], v + 1, vl - 1);
			break;
		case 'c': {
			fuzz_buf atv = {0}, seq = {0};
			fuzz_put_tlv(&atv, 0x06, "\x55\x04\x03", 3);
			fuzz_put_tlv(&atv, 0x0c, v, vl);
			wrap(&seq, 0x30, &atv);
			wrap(&rdns, 0x31, &seq);
			break;
		}
		default: break;
		}
	}
	wrap(&name, 0x30, &rdns);

	fuzz_put(&exts, exts_fixed, sizeof(exts_fixed));
	if (san.n) {
		wrap(&tmp, 0x30, &san);
		fuzz_put(&ext, san_oid, sizeof(san_oid));
		wrap(&ext, 0x04, &tmp);
		wrap(&exts, 0x30, &ext);
	}
	fuzz_buf list = {0};
	wrap(&list, 0x30, &exts);
	fuzz_put(&tbs, version, sizeof(version));
	fuzz_put(&tbs, serial, sizeof(serial));
	fuzz_put(&tbs, alg, sizeof(alg));
	fuzz_put(&tbs, name.p, name.n); /* issuer = subject: self-issued */
	fuzz_put(&tbs, validity, sizeof(validity));
	fuzz_put(&tbs, name.p, name.n);
	fuzz_put(&tbs, spki, spki_len);
	wrap(&tbs, 0xa3, &list);
	wrap(&body, 0x30, &tbs);
	fuzz_put(&body, alg, sizeof(alg));
	unsigned char sig[257] = {0};
	fuzz_put_tlv(&body, 0x03, sig, sizeof(sig));
	wrap(cert, 0x30, &body);
	free(name.p);
	free(san.p);
	free(tmp.p);
	free(ext.p);
}

/* ---- the documented matching rules, for the built leaf -------------------- */

static bool ieq(const uint8_t *a, size_t la, const char *b)
{
	return la == strlen(b) && (la == 0 || strncasecmp((const char *)a, b, la) == 0);
}

/* A dNSName (or common name when !wildcards) against normalised @host. */
static bool dns_rule(const uint8_t *p, size_t len, const char *host, bool wildcards)
{
	if (len > 0 && p[len - 1] == '.')
		len--;
	if (len == 0 || len > 253 || memchr(p, '\0', len))
		return false;
	if (wildcards && len > 2 && p[0] == '*' && p[1] == '.') {
		const uint8_t *rest = p + 2;
		size_t rest_len = len - 2;
		const char *dot = strchr(host, '.');
		if (memchr(rest, '*', rest_len) || !memchr(rest, '.', rest_len) || !dot || dot == host)
			return false;
		return ieq(rest, rest_len, dot + 1);
	}
	if (memchr(p, '*', len))
		return false;
	return ieq(p, len, host);
}

typedef struct {
	bool is_ip, is_dns;
	unsigned char ip[16];
	size_t ip_len;
	char host[256];
} policy_name;

static bool expect_match(const policy_name *pn, const line *names, size_t n, bool cn_fallback)
{
	bool has_san_name = false;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *v = names[i].p + 1;
		size_t vl = names[i].len - 1;
		char text[64];
		unsigned char ip[16];
		size_t ip_len = 0;
		switch (names[i].p[0]) {
		case 'd':
			has_san_name = true;
			if (pn->is_dns && dns_rule(v, vl, pn->host, true))
				return true;
			break;
		case 'i':
			if (vl < sizeof(text)) {
				memcpy(text, v, vl);
				text[vl] = '\0';
				ip_len = inet_pton(AF_INET, text, ip) == 1    ? 4
				         : inet_pton(AF_INET6, text, ip) == 1 ? 16
				                                              : 0;
			}
			if (!ip_len) {
				ip_len = vl <= 16 ? vl : 0;
				memcpy(ip, v, ip_len);
				if (vl > 16) {
					has_san_name = true;
					break;
				}
			}
			has_san_name = true;
			if (pn->is_ip && ip_len == pn->ip_len && memcmp(ip, pn->ip, ip_len) == 0)
				return true;
			break;
		case 'r':
			has_san_name = true;
			if (pn->is_ip && vl == pn->ip_len && memcmp(v, pn->ip, vl) == 0)
				return true;
			break;
		default: break;
		}
	}
	if (!cn_fallback || !pn->is_dns || has_san_name)
		return false;
	for (size_t i = 0; i < n; i++)
		if (names[i].p[0] == 'c' && dns_rule(names[i].p + 1, names[i].len - 1, pn->host, false))
			return true;
	return false;
}

/* A dotted quad with one trailing dot ("192.0.2.1."): chain_policy_set_hostname
 * takes it as that IPv4 address (docs/changes.md, 0.2), not as a DNS name. */
static bool ipv4_with_dot(const char *text, unsigned char ip[4])
{
	char tmp[INET_ADDRSTRLEN + 1];
	size_t len = strlen(text);
	if (len < 2 || len > INET_ADDRSTRLEN || text[len - 1] != '.')
		return false;
	memcpy(tmp, text, len - 1);
	tmp[len - 1] = '\0';
	return inet_pton(AF_INET, tmp, ip) == 1;
}

/* What a setter that accepted @text put in the policy (documented rules). */
static policy_name expected_name(const char *text, bool via_ip)
{
	policy_name pn = {0};
	if (inet_pton(AF_INET, text, pn.ip) == 1 || (!via_ip && ipv4_with_dot(text, pn.ip))) {
		pn.is_ip = true, pn.ip_len = 4;
	} else if (inet_pton(AF_INET6, text, pn.ip) == 1) {
		pn.is_ip = true, pn.ip_len = 16;
	} else if (!via_ip) {
		size_t len = strlen(text);
		if (len > 0 && text[len - 1] == '.')
			len--;
		for (size_t i = 0; i < len && i < sizeof(pn.host) - 1; i++) {
			char c = text[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			      c == '-' || c == '_' || c == '.'))
				fuzz_die("chain_policy_set_hostname accepted \"%s\" (character 0x%02x)", text,
				         (unsigned char)c);
			pn.host[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
		}
		if (len == 0 || len > 253)
			fuzz_die("chain_policy_set_hostname accepted a name of %zu characters", len);
		pn.is_dns = true;
	} else {
		fuzz_die("chain_policy_set_ip accepted \"%s\", not an IP literal", text);
	}
	return pn;
}

static bool expected_name_is_ip(const char *text)
{
	unsigned char ip[16];
	/* (Not "192.0.2.1.": chain_policy_set_ip takes literals only.) */
	return inet_pton(AF_INET, text, ip) == 1 || inet_pton(AF_INET6, text, ip) == 1;
}

/* ---- one input ----------------------------------------------------------- */

typedef struct {
	const chain_store *store;
	const unsigned char *const *ders;
	const size_t *lens;
	size_t n;
	bool cn_fallback, strict;
	const char *purpose; /* NULL: not set */
} setup;

static int set_name(chain_policy *p, const char *name, bool via_ip)
{
	return via_ip ? chain_policy_set_ip(p, name) : chain_policy_set_hostname(p, name);
}

/* Verify under a policy with @name; *set gets the setter's status. */
static int run(const setup *s, const char *name, bool via_ip, int *set, chain_result **out)
{
	chain_policy *p = NULL;
	if (chain_policy_new(&p) != CHAIN_OK)
		fuzz_die("chain_policy_new");
	chain_policy_set_time(p, FUZZ_T);
	chain_policy_set_cn_fallback(p, s->cn_fallback);
	chain_policy_set_strict(p, s->strict);
	if (s->purpose)
		chain_policy_set_purpose(p, s->purpose);
	*set = set_name(p, name, via_ip);
	int ret = chain_verify(out, s->store, p, s->ders, s->lens, s->n, NULL);
	fuzz_check_result(ret, *out, s->ders, s->lens, s->n, FUZZ_T);
	chain_policy_free(p);
	return ret;
}

static bool has_problem(const chain_result *r, chain_reason reason)
{
	for (size_t i = 0; i < chain_result_problem_count(r); i++)
		if (chain_result_problem_reason(r, i) == reason)
			return true;
	return false;
}

/* The same verification with @variant instead of @name must agree. */
static void same_as(const setup *s, const char *what, const char *variant, bool via_ip,
                    int set0, int ret0, const chain_result *r0)
{
	chain_result *r = NULL;
	int set = 0;
	int ret = run(s, variant, via_ip, &set, &r);
	if (set != set0)
		fuzz_die("%s \"%s\": setter status %d, the original %d", what, variant, set, set0);
	fuzz_check_same(what, ret0, r0, ret, r);
	chain_result_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_in in = {data, size};
	uint8_t f = fuzz_u8(&in), c = fuzz_u8(&in);
	line lines[MAX_LINES];
	size_t n_lines = 0;
	while (in.n > 0 && n_lines < MAX_LINES) {
		const uint8_t *nl = memchr(in.p, '\n', in.n);
		size_t len = nl ? (size_t)(nl - in.p) : in.n;
		lines[n_lines++] = (line){in.p, len};
		in.p += len + (nl != NULL);
		in.n -= len + (nl != NULL);
	}
	/* Name and purpose as C strings (up to their first NUL). */
	char name[300] = "", purpose[160] = "", variant[302];
	if (n_lines > 0)
		memcpy(name, lines[0].p, lines[0].len < sizeof(name) - 1 ? lines[0].len : sizeof(name) - 1);
	if (n_lines > 1)
		memcpy(purpose, lines[1].p,
		       lines[1].len < sizeof(purpose) - 1 ? lines[1].len : sizeof(purpose) - 1);
	bool via_ip = f & 0x08, built = f & 0x04;

	/* The leaf's names: lines 3+, non-empty. */
	line names[MAX_LINES];
	size_t n_names = 0;
	bool raw_entry = false;
	for (size_t i = 2; i < n_lines; i++)
		if (lines[i].len > 0) {
			names[n_names++] = lines[i];
			raw_entry |= lines[i].p[0] == 'x';
		}

	fuzz_buf leaf = {0};
	chain_store *own = NULL;
	setup s = {.store = roots, .cn_fallback = f & 0x01, .strict = !(f & 0x02),
	           .purpose = (f & 0x10) ? purpose : NULL};
	const unsigned char *one[1];
	size_t one_len[1];
	if (built) {
		build_leaf(&leaf, names, n_names);
		one[0] = leaf.p;
		one_len[0] = leaf.n;
		s.ders = one;
		s.lens = one_len;
		s.n = 1;
		if (chain_store_new(&own) != CHAIN_OK)
			fuzz_die("chain_store_new");
		if (!(f & 0x20))
			chain_store_add_der(own, leaf.p, leaf.n, 0);
		s.store = own;
	} else {
		const fuzz_chain *fc = &chains[c % n_chains];
		s.ders = (const unsigned char *const *)fc->ders;
		s.lens = fc->lens;
		s.n = fc->n;
	}

	chain_result *r = NULL;
	int set = 0;
	int ret = run(&s, name, via_ip, &set, &r);

	/* Metamorphic variants of the name. */
	size_t len = strlen(name);
	bool is_ip = expected_name_is_ip(name);
	for (size_t i = 0; i <= len; i++) {
		char ch = name[i];
		variant[i] = (char)(ch >= 'a' && ch <= 'z' ? ch - 32 : ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	same_as(&s, "the name in other letter case", variant, via_ip, set, ret, r);
	if (!via_ip && !is_ip && len > 0 && len < 253 && name[len - 1] != '.') {
		memcpy(variant, name, len);
		memcpy(variant + len, ".", 2);
		same_as(&s, "the name with a trailing dot", variant, false, set, ret, r);
	}
	if (is_ip)
		same_as(&s, "the IP literal through the other setter", name, !via_ip, set, ret, r);

	if (set != CHAIN_OK && has_problem(r, CHAIN_REASON_HOSTNAME_MISMATCH))
		fuzz_die("the setter refused \"%s\" (%d), yet a name was checked", name, set);
	if (set == CHAIN_OK) {
		policy_name pn = expected_name(name, via_ip);
		if (built && !raw_entry && ret == CHAIN_OK && !has_problem(r, CHAIN_REASON_MALFORMED)) {
			bool match = expect_match(&pn, names, n_names, s.cn_fallback);
			if (match == has_problem(r, CHAIN_REASON_HOSTNAME_MISMATCH))
				fuzz_die("\"%s\" (%s): the rules say %s, the result %s hostname_mismatch", name,
				         pn.is_ip ? "IP" : "DNS", match ? "match" : "no match",
				         match ? "has" : "has no");
		}
	}
	chain_result_free(r);
	chain_store_free(own);
	free(leaf.p);
	return 0;
}
