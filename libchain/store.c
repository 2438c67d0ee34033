/* Public face of the trust store and the intermediate pool: both are a
 * chain__set; these wrappers only check arguments and pick the set. */
#include "internal.h"

#include <stdlib.h>

#define STORE_SET(s) ((s) ? &(s)->set : NULL)

static int add_der(chain__set *set, const unsigned char *der, size_t len, unsigned int flags)
{
	if (!set || !der || flags)
		return CHAIN_EINVAL;
	return chain__load_der(set, der, len, "der");
}

static int add_pem(chain__set *set, const char *pem, size_t len, unsigned int flags,
                   size_t *added)
{
	if (!set || !pem || flags)
		return CHAIN_EINVAL;
	return chain__load_pem(set, pem, len, "pem", added);
}

static int add_path(chain__set *set, const char *path, unsigned int flags, size_t *added,
                    int (*load)(chain__set *, const char *, size_t *))
{
	if (!set || !path || flags)
		return CHAIN_EINVAL;
	return load(set, path, added);
}

static const char *rejected_field(const chain__set *set, size_t i, bool reason)
{
	if (!set || i >= set->n_rejected)
		return NULL;
	return reason ? set->rejected[i].reason : set->rejected[i].source;
}

int chain_store_new(chain_store **out)
{
	if (!out)
		return CHAIN_EINVAL;
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return CHAIN_ENOMEM;
	(*out)->set.crl_limit = CHAIN_DEFAULT_CRL_BYTES;
	return CHAIN_OK;
}

void chain_store_free(chain_store *store)
{
	if (!store)
		return;
	chain__set_free(&store->set);
	free(store);
}

int chain_store_add_der(chain_store *store, const unsigned char *der, size_t len,
                        unsigned int flags)
{
	return add_der(STORE_SET(store), der, len, flags);
}

int chain_store_add_pem(chain_store *store, const char *pem, size_t len, unsigned int flags,
                        size_t *added)
{
	return add_pem(STORE_SET(store), pem, len, flags, added);
}

int chain_store_add_file(chain_store *store, const char *path, unsigned int flags,
                         size_t *added)
{
	return add_path(STORE_SET(store), path, flags, added, chain__load_file);
}

int chain_store_add_dir(chain_store *store, const char *path, unsigned int flags,
                        size_t *added)
{
	return add_path(STORE_SET(store), path, flags, added, chain__load_dir);
}

int chain_store_add_system(chain_store *store, unsigned int flags, size_t *added)
{
	if (!store || flags)
		return CHAIN_EINVAL;
	return chain__load_system(&store->set, added);
}

int chain_store_add_crl(chain_store *store, const char *data, size_t len, unsigned int flags,
                        size_t *added)
{
	if (added)
		*added = 0;
	if (!store || !data || flags)
		return CHAIN_EINVAL;
	return chain__load_crl(&store->set, data, len, added);
}

size_t chain_store_crl_count(const chain_store *store)
{
	return store ? store->set.n_crls : 0;
}

int chain_store_set_crl_limit(chain_store *store, size_t bytes)
{
	if (!store)
		return CHAIN_EINVAL;
	store->set.crl_limit = bytes;
	return CHAIN_OK;
}

size_t chain_store_crl_bytes(const chain_store *store)
{
	return store ? store->set.crl_bytes : 0;
}

size_t chain_store_count(const chain_store *store)
{
	return store ? store->set.n : 0;
}

size_t chain_store_rejected_count(const chain_store *store)
{
	return store ? store->set.n_rejected : 0;
}

const char *chain_store_rejected_source(const chain_store *store, size_t i)
{
	return rejected_field(STORE_SET(store), i, false);
}

const char *chain_store_rejected_reason(const chain_store *store, size_t i)
{
	return rejected_field(STORE_SET(store), i, true);
}

int chain_pool_new(chain_pool **out)
{
	if (!out)
		return CHAIN_EINVAL;
	*out = calloc(1, sizeof(**out));
	return *out ? CHAIN_OK : CHAIN_ENOMEM;
}

void chain_pool_free(chain_pool *pool)
{
	if (!pool)
		return;
	chain__set_free(&pool->set);
	free(pool);
}

int chain_pool_add_der(chain_pool *pool, const unsigned char *der, size_t len,
                       unsigned int flags)
{
	return add_der(STORE_SET(pool), der, len, flags);
}

int chain_pool_add_pem(chain_pool *pool, const char *pem, size_t len, unsigned int flags,
                       size_t *added)
{
	return add_pem(STORE_SET(pool), pem, len, flags, added);
}

int chain_pool_add_file(chain_pool *pool, const char *path, unsigned int flags, size_t *added)
{
	return add_path(STORE_SET(pool), path, flags, added, chain__load_file);
}

int chain_pool_add_dir(chain_pool *pool, const char *path, unsigned int flags, size_t *added)
{
	return add_path(STORE_SET(pool), path, flags, added, chain__load_dir);
}

size_t chain_pool_count(const chain_pool *pool)
{
	return pool ? pool->set.n : 0;
}

size_t chain_pool_rejected_count(const chain_pool *pool)
{
	return pool ? pool->set.n_rejected : 0;
}

const char *chain_pool_rejected_source(const chain_pool *pool, size_t i)
{
	return rejected_field(STORE_SET(pool), i, false);
}

const char *chain_pool_rejected_reason(const chain_pool *pool, size_t i)
{
	return rejected_field(STORE_SET(pool), i, true);
}
