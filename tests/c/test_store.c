/* Loading trust stores and pools: PEM bundles with comments and broken
 * blocks, DER, files, hashed directories, the system store, rejections. */
#include "fixtures.h"
#include "tap.h"

#include <chain/chain.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *dir;

static char *cat3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);
	snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	fwrite(data, 1, len, f);
	fclose(f);
}

static void test_pem_bundle(void)
{
	size_t len, added = 99;
	char *root = test_read_file(dir, "pki/root-a.pem", &len);
	char *inter = test_read_file(dir, "pki/int-a.pem", &len);
	const char *broken = "-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n-----END CERTIFICATE-----\n";
	char *head = cat3("# certifi-style comment line\nSome Root Name\n=====\n", root, "\n");
	char *tail = cat3(broken, "trailing words\n", inter);
	char *bundle = cat3(head, tail, "\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
	chain_store *store = NULL;

	chain_store_new(&store);
	int ret = chain_store_add_pem(store, bundle, strlen(bundle), 0, &added);
	CHECK(ret == CHAIN_OK && added == 2 && chain_store_count(store) == 2,
	      "bundle with comments: 2 certificates added (got %zu)", added);
	CHECK(chain_store_rejected_count(store) == 1 &&
	      strstr(chain_store_rejected_source(store, 0), "block 2") &&
	      strstr(chain_store_rejected_reason(store, 0), "base64"),
	      "the broken block is rejected with its position and why");
	CHECK(chain_store_rejected_source(store, 1) == NULL && chain_store_rejected_reason(store, 7) == NULL,
	      "rejected index out of range");
	ret = chain_store_add_pem(store, root, strlen(root), 0, &added);
	CHECK(ret == CHAIN_OK && added == 0 && chain_store_count(store) == 2,
	      "a duplicate is not added twice");
	CHECK(chain_store_add_pem(store, root, strlen(root), 1, NULL) == CHAIN_EINVAL,
	      "reserved flags must be 0");
	const char *key_only = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
	CHECK(chain_store_add_pem(store, key_only, strlen(key_only), 0, &added) == CHAIN_EPARSE &&
	      added == 0, "PEM without a certificate is EPARSE");
	CHECK(chain_store_add_pem(store, broken, strlen(broken), 0, NULL) == CHAIN_EPARSE,
	      "nothing readable is EPARSE");
	chain_store_free(store);
	free(root);
	free(inter);
	free(head);
	free(tail);
	free(bundle);
}

static void test_der_and_files(const char *tmp)
{
	test_chain chain;
	chain_store *store = NULL;
	chain_pool *pool = NULL;
	size_t added = 0;
	char path[4096];

	test_load_chain(&chain, dir, "pki/root-a.pem");
	chain_store_new(&store);
	CHECK(chain_store_add_der(store, chain.ders[0], chain.lens[0], 0) == CHAIN_OK &&
	      chain_store_count(store) == 1, "add_der");
	const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	CHECK(chain_store_add_der(store, junk, sizeof(junk), 0) == CHAIN_EPARSE &&
	      chain_store_rejected_count(store) == 1, "add_der of junk is EPARSE and recorded");
	unsigned char *big = calloc(1, 70000);
	CHECK(chain_store_add_der(store, big, 70000, 0) == CHAIN_ELIMIT, "certificate over 64 KiB");
	free(big);
	CHECK(chain_store_add_der(store, NULL, 1, 0) == CHAIN_EINVAL, "add_der NULL");

	snprintf(path, sizeof(path), "%s/root.der", tmp);
	write_file(path, chain.ders[0], chain.lens[0]);
	chain_store_free(store);
	chain_store_new(&store);
	CHECK(chain_store_add_file(store, path, 0, &added) == CHAIN_OK && added == 1,
	      "a DER file loads");
	snprintf(path, sizeof(path), "%s/missing.pem", tmp);
	CHECK(chain_store_add_file(store, path, 0, &added) == CHAIN_EIO && added == 0,
	      "a missing file is EIO");
	snprintf(path, sizeof(path), "%s/text.txt", tmp);
	write_file(path, "hello\n", 6);
	CHECK(chain_store_add_file(store, path, 0, &added) == CHAIN_EPARSE,
	      "a text file is EPARSE");
	chain_store_free(store);

	chain_pool_new(&pool);
	snprintf(path, sizeof(path), "%s/pki/pool-many.pem", dir);
	CHECK(chain_pool_add_file(pool, path, 0, &added) == CHAIN_OK && added >= 8 &&
	      chain_pool_count(pool) == added, "a pool loads a bundle (%zu)", added);
	CHECK(chain_pool_add_pem(pool, "x", 1, 0, NULL) == CHAIN_EPARSE &&
	      chain_pool_rejected_count(pool) == 1 && chain_pool_rejected_reason(pool, 0),
	      "pool rejections");
	chain_pool_free(pool);
	test_chain_free(&chain);
}

static void test_directory(const char *tmp)
{
	char sub[1024], path[4096], target[4096];
	size_t added = 0, len;
	chain_store *store = NULL;

	snprintf(sub, sizeof(sub), "%s/certs", tmp);
	mkdir(sub, 0700);
	char *root = test_read_file(dir, "pki/root-a.pem", &len);
	snprintf(target, sizeof(target), "%s/root-a.pem", sub);
	write_file(target, root, len);
	free(root);
	root = test_read_file(dir, "pki/root-ec.pem", &len);
	snprintf(path, sizeof(path), "%s/ec.crt", sub);
	write_file(path, root, len);
	free(root);
	/* OpenSSL c_rehash layout: hash-named links to the same files. */
	snprintf(path, sizeof(path), "%s/1a2b3c4d.0", sub);
	CHECK(symlink("root-a.pem", path) == 0, "made a hashed link");
	snprintf(path, sizeof(path), "%s/README", sub);
	write_file(path, "not a certificate\n", 18);
	snprintf(path, sizeof(path), "%s/nested", sub);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/dangling.0", sub);
	CHECK(symlink("nowhere.pem", path) == 0, "made a dangling link");

	chain_store_new(&store);
	int ret = chain_store_add_dir(store, sub, 0, &added);
	CHECK(ret == CHAIN_OK && added == 2 && chain_store_count(store) == 2,
	      "hashed directory: 2 distinct certificates (got %zu)", added);
	int readme = 0;
	for (size_t i = 0; i < chain_store_rejected_count(store); i++)
		readme |= strstr(chain_store_rejected_source(store, i), "README") != NULL;
	CHECK(readme, "the README file is listed as rejected");
	snprintf(path, sizeof(path), "%s/none", tmp);
	CHECK(chain_store_add_dir(store, path, 0, &added) == CHAIN_EIO, "missing directory is EIO");
	chain_store_free(store);
}

static void test_system(void)
{
	chain_store *store = NULL;
	size_t added = 0;

	chain_store_new(&store);
	int ret = chain_store_add_system(store, 0, &added);
	if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0)
		CHECK(ret == CHAIN_OK && added > 50 && chain_store_count(store) == added,
		      "system store loads (%zu anchors)", added);
	else
		CHECK(ret == CHAIN_ENOTFOUND || (ret == CHAIN_OK && added > 0),
		      "system store: loaded or ENOTFOUND");
	chain_store_free(store);
}

int main(int argc, char **argv)
{
	char tmp[] = "/tmp/chain-test-XXXXXX";
	dir = argc > 1 ? argv[1] : "tests/data";
	if (!mkdtemp(tmp))
		return 2;
	test_pem_bundle();
	test_der_and_files(tmp);
	test_directory(tmp);
	test_system();
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		return 2;
	return tap_done();
}
