/* Reading certificates into a set: PEM bundles, DER, files, directories and
 * the system store. Bad inputs are recorded as rejections and skipped, so a
 * bundle with one broken entry still loads the rest. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char pem_begin[] = "-----BEGIN ";
static const char pem_end[] = "-----END ";

static const char *find(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);
	for (; (size_t)(end - p) >= n; p++) {
		p = memchr(p, needle[0], (size_t)(end - p) - n + 1);
		if (!p)
			return NULL;
		if (memcmp(p, needle, n) == 0)
			return p;
	}
	return NULL;
}

/* The label of a BEGIN line ("CERTIFICATE"), bounded by the closing dashes. */
static bool block_label(const char *p, const char *end, const char **label, size_t *len,
                        const char **body)
{
	p += sizeof(pem_begin) - 1;
	const char *dashes = find(p, end, "-----");
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (!dashes || (nl && nl < dashes))
		return false;
	*label = p;
	*len = (size_t)(dashes - p);
	*body = dashes + 5;
	return true;
}

long chain_pem_foreach(const char *pem, size_t len, chain_pem_cb cb, void *ctx)
{
	return chain__pem_foreach_label(pem, len, "CERTIFICATE", cb, ctx);
}

long chain__pem_foreach_label(const char *pem, size_t len, const char *want, chain_pem_cb cb,
                              void *ctx)
{
	const char *p = pem, *end = pem + len;
	size_t want_len = strlen(want);
	long blocks = 0;

	if (!pem || !cb)
		return CHAIN_EINVAL;
	while ((p = find(p, end, pem_begin))) {
		const char *start = p, *label, *body;
		size_t label_len;
		int ret;
		if (!block_label(p, end, &label, &label_len, &body)) {
			p += sizeof(pem_begin) - 1;
			continue;
		}
		bool is_cert = label_len == want_len && memcmp(label, want, want_len) == 0;
		const char *stop = find(body, end, pem_end);
		if (!stop) {
			/* BEGIN without END: a broken certificate, and the end of the text. */
			if (is_cert && (ret = cb(ctx, (size_t)blocks++, NULL, 0)) != 0)
				return ret;
			break;
		}
		p = stop + sizeof(pem_end) - 1;
		if (!is_cert)
			continue; /* other block types (keys, TRUSTED CERTIFICATE, ...) */
		/* Let GnuTLS decode the base64 of exactly this block. */
		const char *block_end = find(p, end, "-----");
		block_end = block_end ? block_end + 5 : end;
		gnutls_datum_t in = {(unsigned char *)start, (unsigned int)(block_end - start)};
		gnutls_datum_t der = {NULL, 0};
		if ((size_t)(block_end - start) > UINT32_MAX ||
		    gnutls_pem_base64_decode2(want, &in, &der) < 0)
			ret = cb(ctx, (size_t)blocks, NULL, 0);
		else
			ret = cb(ctx, (size_t)blocks, der.data, der.size);
		gnutls_free(der.data);
		blocks++;
		if (ret != 0)
			return ret;
		p = block_end;
	}
	return blocks;
}

typedef struct {
	chain__set *set;
	const char *source;
	size_t added, read;
} load_ctx;

static int reject(chain__set *set, const char *source, size_t block, const char *why)
{
	char where[4096];
	if (block)
		snprintf(where, sizeof(where), "%s: block %zu", source, block);
	else
		snprintf(where, sizeof(where), "%s", source);
	return chain__set_reject(set, where, why);
}

static int add_one(load_ctx *lc, const unsigned char *der, size_t len, size_t block)
{
	chain__cert *cert = NULL;
	const char *why = NULL;
	bool added = false;

	if (len > CHAIN_MAX_STORE_CERT_BYTES)
		return reject(lc->set, lc->source, block, "certificate larger than 64 KiB");
	int ret = chain__cert_parse(&cert, der, len, &why);
	if (ret == CHAIN_EPARSE)
		return reject(lc->set, lc->source, block, why);
	if (ret < 0)
		return ret;
	ret = chain__set_add(lc->set, cert, &added);
	chain__cert_unref(cert);
	if (ret < 0)
		return ret;
	lc->read++;
	lc->added += added;
	return CHAIN_OK;
}

static int pem_block(void *ctx, size_t index, const unsigned char *der, size_t len)
{
	load_ctx *lc = ctx;
	if (!der)
		return reject(lc->set, lc->source, index + 1, "base64 does not decode");
	return add_one(lc, der, len, index + 1);
}

int chain__load_der(chain__set *set, const unsigned char *der, size_t len, const char *source)
{
	load_ctx lc = {set, source, 0, 0};

	if (len > CHAIN_MAX_STORE_CERT_BYTES) {
		int ret = reject(set, source, 0, "certificate larger than 64 KiB");
		return ret < 0 ? ret : CHAIN_ELIMIT;
	}
	int ret = add_one(&lc, der, len, 0);
	if (ret < 0)
		return ret;
	return lc.read ? CHAIN_OK : CHAIN_EPARSE;
}

int chain__load_pem(chain__set *set, const char *pem, size_t len, const char *source,
                    size_t *added)
{
	load_ctx lc = {set, source, 0, 0};
	long blocks = chain_pem_foreach(pem, len, pem_block, &lc);

	if (added)
		*added = lc.added;
	if (blocks < 0)
		return (int)blocks;
	if (blocks == 0) {
		int ret = reject(set, source, 0, "no PEM CERTIFICATE block");
		if (ret < 0)
			return ret;
	}
	return lc.read ? CHAIN_OK : CHAIN_EPARSE;
}

/* Read a whole regular file, refusing anything over CHAIN_MAX_FILE_BYTES. */
static int read_file(const char *path, char **out, size_t *len)
{
	struct stat st;
	FILE *f = fopen(path, "rb");
	int ret = CHAIN_OK;

	*out = NULL;
	if (!f)
		return CHAIN_EIO;
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		ret = CHAIN_EIO;
		goto cleanup;
	}
	if ((uint64_t)st.st_size > CHAIN_MAX_FILE_BYTES) {
		ret = CHAIN_ELIMIT;
		goto cleanup;
	}
	if (!(*out = malloc((size_t)st.st_size + 1))) {
		ret = CHAIN_ENOMEM;
		goto cleanup;
	}
	*len = fread(*out, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		free(*out);
		*out = NULL;
		ret = CHAIN_EIO;
	}
cleanup:
	fclose(f);
	return ret;
}

static bool looks_like_pem(const char *data, size_t len)
{
	return find(data, data + len, pem_begin) != NULL;
}

int chain__load_file(chain__set *set, const char *path, size_t *added)
{
	char *data = NULL;
	size_t len = 0;
	int ret;

	if (added)
		*added = 0;
	if ((ret = read_file(path, &data, &len)) < 0) {
		int r = reject(set, path, 0, ret == CHAIN_ELIMIT ? "file larger than 64 MiB"
		                                                 : "cannot read file");
		return r < 0 ? r : ret;
	}
	if (looks_like_pem(data, len)) {
		ret = chain__load_pem(set, data, len, path, added);
	} else if (len > 0 && (unsigned char)data[0] == 0x30) {
		size_t before = set->n;
		ret = chain__load_der(set, (unsigned char *)data, len, path);
		if (added)
			*added = set->n - before;
	} else {
		ret = reject(set, path, 0, "neither PEM nor DER");
		ret = ret < 0 ? ret : CHAIN_EPARSE;
	}
	free(data);
	return ret;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int chain__load_dir(chain__set *set, const char *path, size_t *added)
{
	DIR *dir = opendir(path);
	char **names = NULL;
	size_t n = 0, cap = 0, before = set->n;
	bool any = false;
	int ret = CHAIN_OK;

	if (added)
		*added = 0;
	if (!dir)
		return CHAIN_EIO;
	for (struct dirent *e; (e = readdir(dir));) {
		if (e->d_name[0] == '.')
			continue;
		if (chain__grow(&names, &cap, n, sizeof(*names)) < 0 ||
		    !(names[n] = strdup(e->d_name))) {
			ret = CHAIN_ENOMEM;
			goto cleanup;
		}
		n++;
	}
	/* Sorted, so that results do not depend on the file system's order. */
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		char full[4096];
		struct stat st;
		if (snprintf(full, sizeof(full), "%s/%s", path, names[i]) >= (int)sizeof(full))
			continue;
		if (stat(full, &st) < 0 || !S_ISREG(st.st_mode))
			continue; /* sub-directories and dangling links are not inputs */
		ret = chain__load_file(set, full, NULL);
		if (ret == CHAIN_ENOMEM)
			goto cleanup;
		any = any || ret == CHAIN_OK;
	}
	ret = any ? CHAIN_OK : CHAIN_EPARSE;
cleanup:
	if (added)
		*added = set->n - before;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dir);
	return ret;
}

int chain__load_system(chain__set *set, size_t *added)
{
	static const char *const bundles[] = {
		"/etc/ssl/certs/ca-certificates.crt", /* Debian, Ubuntu, Arch, Gentoo */
		"/etc/pki/tls/certs/ca-bundle.crt",   /* Fedora, RHEL */
		"/etc/ssl/ca-bundle.pem",             /* openSUSE */
		"/etc/ssl/cert.pem",                  /* Alpine, macOS, BSDs */
	};
	struct stat st;

	for (size_t i = 0; i < sizeof(bundles) / sizeof(bundles[0]); i++)
		if (stat(bundles[i], &st) == 0 && S_ISREG(st.st_mode))
			return chain__load_file(set, bundles[i], added);
	if (stat("/etc/ssl/certs", &st) == 0 && S_ISDIR(st.st_mode))
		return chain__load_dir(set, "/etc/ssl/certs", added);
	if (added)
		*added = 0;
	return CHAIN_ENOTFOUND;
}

/* CRLs, for stores: DER, or PEM "X509 CRL" blocks. A CRL that would take
 * the store past its CRL memory limit is refused (CHAIN_ELIMIT). */
/* Whether @cost more bytes of CRL fit the store's limit; if not, the CRL
 * is listed as rejected and CHAIN_ELIMIT returned through *ret. */
static bool crl_fits(chain__set *set, size_t cost, int *ret)
{
	if (cost <= set->crl_limit - set->crl_bytes && set->crl_bytes <= set->crl_limit)
		return true;
	char reason[160];
	snprintf(reason, sizeof(reason),
	         "CRL of %zu bytes in memory would pass the store's CRL limit of %zu bytes "
	         "(%zu in use)", cost, set->crl_limit, set->crl_bytes);
	*ret = chain__set_reject(set, "crl", reason);
	*ret = *ret < 0 ? *ret : CHAIN_ELIMIT;
	return false;
}

static int add_crl(chain__set *set, const unsigned char *der, size_t len, size_t *added)
{
	chain__crl *crl = NULL;
	const char *why = NULL;
	int ret;
	/* A CRL costs at least its DER: one that cannot fit is not even read. */
	if (!crl_fits(set, len, &ret))
		return ret;
	if ((ret = chain__crl_parse(&crl, der, len, &why)) < 0)
		return ret == CHAIN_EPARSE ? chain__set_reject(set, "crl", why) : ret;
	size_t cost = chain__crl_cost(crl);
	if (!crl_fits(set, cost, &ret)) {
		chain__crl_free(crl);
		return ret;
	}
	if (chain__grow(&set->crls, &set->cap_crls, set->n_crls, sizeof(*set->crls)) < 0) {
		chain__crl_free(crl);
		return CHAIN_ENOMEM;
	}
	set->crls[set->n_crls++] = crl;
	set->crl_bytes += cost;
	chain__set_changed(set);
	(*added)++;
	return CHAIN_OK;
}

typedef struct {
	chain__set *set;
	size_t added;
} crl_ctx;

static int crl_block(void *ctx, size_t index, const unsigned char *der, size_t len)
{
	crl_ctx *cc = ctx;
	(void)index;
	if (!der)
		return chain__set_reject(cc->set, "crl", "base64 does not decode");
	return add_crl(cc->set, der, len, &cc->added);
}

int chain__load_crl(chain__set *set, const char *data, size_t len, size_t *added)
{
	crl_ctx cc = {set, 0};
	long ret;

	if (looks_like_pem(data, len))
		ret = chain__pem_foreach_label(data, len, "X509 CRL", crl_block, &cc);
	else
		ret = add_crl(set, (const unsigned char *)data, len, &cc.added);
	if (added)
		*added = cc.added;
	if (ret < 0)
		return (int)ret;
	return cc.added ? CHAIN_OK : CHAIN_EPARSE;
}
