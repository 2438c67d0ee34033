/* Distrust-after dates: an anchor trusted only for leaves whose notBefore
 * is before a date (how Mozilla and Chrome retire a CA gradually). */
#include "internal.h"

#include <string.h>

int chain_store_set_distrust_after(chain_store *store, const unsigned char *sha256,
                                   int64_t unix_seconds)
{
	chain__set *set = store ? &store->set : NULL;
	if (!set || !sha256)
		return CHAIN_EINVAL;
	for (size_t i = 0; i < set->n_distrust; i++) {
		if (memcmp(set->distrust[i].sha256, sha256, CHAIN__SHA256_LEN) == 0) {
			set->distrust[i].after = unix_seconds;
			chain__set_changed(set);
			return CHAIN_OK;
		}
	}
	if (chain__grow(&set->distrust, &set->cap_distrust, set->n_distrust,
	                sizeof(*set->distrust)) < 0)
		return CHAIN_ENOMEM;
	memcpy(set->distrust[set->n_distrust].sha256, sha256, CHAIN__SHA256_LEN);
	set->distrust[set->n_distrust++].after = unix_seconds;
	chain__set_changed(set);
	return CHAIN_OK;
}

int chain__check_distrust(chain__problems *out, const chain__path *path, const chain__set *store)
{
	if (path->end != CHAIN__END_ANCHOR)
		return CHAIN_OK;
	const chain__cert *anchor = path->nodes[path->len - 1].cert, *leaf = path->nodes[0].cert;
	for (size_t i = 0; i < store->n_distrust; i++) {
		if (memcmp(store->distrust[i].sha256, anchor->sha256, CHAIN__SHA256_LEN) != 0)
			continue;
		char after[CHAIN__ISO8601_MAX], issued[CHAIN__ISO8601_MAX];
		if (leaf->not_before >= store->distrust[i].after)
			return chain__problems_add(out, CHAIN_REASON_DISTRUSTED, (int)path->len - 1,
			                           "anchor distrusted for certificates issued from %s "
			                           "(leaf notBefore %s)",
			                           chain__iso8601(store->distrust[i].after, after),
			                           chain__iso8601(leaf->not_before, issued));
	}
	return CHAIN_OK;
}
