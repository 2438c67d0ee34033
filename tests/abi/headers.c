/* Every public header must compile on its own, as strict C99 and as C++
 * (this file is compiled both ways), and leave no GnuTLS type visible. */
#include <chain/batch.h>
#include <chain/cache.h>
#include <chain/common.h>
#include <chain/error.h>
#include <chain/pem.h>
#include <chain/policy.h>
#include <chain/result.h>
#include <chain/store.h>
#include <chain/verify.h>
#include <chain/version.h>
#include <chain/chain.h>

#ifdef GNUTLS_GNUTLS_H
#error "a public header pulled in GnuTLS"
#endif

#if !CHAIN_VERSION_CHECK(0, 1, 0)
#error "CHAIN_VERSION_CHECK is wrong"
#endif

int main(void)
{
	chain_store *store = 0;
	int ret = chain_store_new(&store);
	chain_store_free(store);
	/* The runtime and compile-time versions agree in this build. */
	return ret != CHAIN_OK || chain_version_number() != CHAIN_VERSION_NUMBER;
}
