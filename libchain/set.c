/* An indexed, de-duplicated set of certificates: the body of both the trust
 * store and the intermediate pool. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

const chain__cert *chain__set_find(const chain__set *set, const unsigned char sha256[32])
{
	size_t pos = SIZE_MAX;
	uint32_t i;

	while (chain__index_next(&set->by_sha256, chain__hash_digest(sha256), &pos, &i))
		if (i < set->n && memcmp(set->certs[i]->sha256, sha256, 32) == 0)
			return set->certs[i];
	return NULL;
}

const chain__cert *chain__set_next_subject(const chain__set *set, chain__slice name,
                                           size_t *pos)
{
	uint32_t i;

	while (chain__index_next(&set->by_subject, chain__hash_bytes(name.p, name.len), pos, &i))
		if (i < set->n && chain__same_slice(set->certs[i]->parts.subject, name))
			return set->certs[i];
	return NULL;
}

void chain__set_changed(chain__set *set)
{
	static atomic_uint_fast64_t versions;
	set->version = atomic_fetch_add(&versions, 1) + 1;
}

int chain__set_add(chain__set *set, chain__cert *cert, bool *added)
{
	*added = false;
	if (chain__set_find(set, cert->sha256))
		return CHAIN_OK;
	if (set->n >= UINT32_MAX - 1)
		return CHAIN_ELIMIT;
	if (chain__grow(&set->certs, &set->cap, set->n, sizeof(*set->certs)) < 0)
		return CHAIN_ENOMEM;
	uint32_t i = (uint32_t)set->n;
	chain__slice subj = cert->parts.subject;
	if (chain__index_add(&set->by_sha256, chain__hash_digest(cert->sha256), i) < 0 ||
	    chain__index_add(&set->by_subject, chain__hash_bytes(subj.p, subj.len), i) < 0)
		return CHAIN_ENOMEM; /* a stale slot for i is harmless: lookups skip i >= n */
	set->certs[set->n++] = chain__cert_ref(cert);
	chain__set_changed(set);
	*added = true;
	return CHAIN_OK;
}

int chain__set_reject(chain__set *set, const char *source, const char *reason)
{
	if (chain__grow(&set->rejected, &set->cap_rejected, set->n_rejected,
	                sizeof(*set->rejected)) < 0)
		return CHAIN_ENOMEM;
	chain__rejection *r = &set->rejected[set->n_rejected];
	r->source = strdup(source);
	r->reason = strdup(reason);
	if (!r->source || !r->reason) {
		free(r->source);
		free(r->reason);
		return CHAIN_ENOMEM;
	}
	set->n_rejected++;
	return CHAIN_OK;
}

void chain__set_free(chain__set *set)
{
	for (size_t i = 0; i < set->n; i++)
		chain__cert_unref(set->certs[i]);
	for (size_t i = 0; i < set->n_rejected; i++) {
		free(set->rejected[i].source);
		free(set->rejected[i].reason);
	}
	for (size_t i = 0; i < set->n_crls; i++)
		chain__crl_free(set->crls[i]);
	free(set->crls);
	free(set->distrust);
	free(set->certs);
	free(set->rejected);
	chain__index_free(&set->by_subject);
	chain__index_free(&set->by_sha256);
	memset(set, 0, sizeof(*set));
}
