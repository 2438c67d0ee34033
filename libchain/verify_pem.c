/* chain_verify_pem(): PEM text to a DER list, then chain_verify(). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	unsigned char **ders;
	size_t *lens;
	size_t n, cap_ders, cap_lens;
	long bad_block; /* first block that did not decode, 1-based; 0 if none */
	uint64_t bytes, max_bytes;
} der_list;

static int push(void *ctx, size_t index, const unsigned char *der, size_t len)
{
	der_list *l = ctx;
	if (!der) {
		if (!l->bad_block)
			l->bad_block = (long)index + 1;
		der = (const unsigned char *)"";
	}
	/* Bound memory on hostile input: past the chain limit, stop copying;
	 * chain_verify() will report input_limit from the lengths alone. */
	l->bytes += len;
	if (chain__grow(&l->ders, &l->cap_ders, l->n, sizeof(*l->ders)) < 0 ||
	    chain__grow(&l->lens, &l->cap_lens, l->n, sizeof(*l->lens)) < 0)
		return CHAIN_ENOMEM;
	unsigned char *copy = malloc(len && l->bytes <= l->max_bytes ? len : 1);
	if (!copy)
		return CHAIN_ENOMEM;
	if (l->bytes <= l->max_bytes)
		memcpy(copy, der, len);
	else
		copy[0] = 0;
	l->ders[l->n] = copy;
	l->lens[l->n++] = len;
	return CHAIN_OK;
}

int chain_verify_pem(chain_result **out, const chain_store *store, const chain_policy *policy,
                     const char *pem, size_t len, const chain_pool *pool)
{
	const chain_policy *p = policy ? policy : &chain__default_policy;
	der_list l = {.max_bytes = p->limits[CHAIN_LIMIT_CHAIN_BYTES]};
	int ret;

	if (!out)
		return CHAIN_EINVAL;
	*out = NULL;
	if (!store || !pem)
		return CHAIN_EINVAL;
	long blocks = chain_pem_foreach(pem, len, push, &l);
	int64_t now = chain__verification_time(p);
	if (blocks < 0) {
		ret = (int)blocks;
	} else if (l.n == 0) {
		ret = chain__result_input_error(out, CHAIN_REASON_MALFORMED, -1,
		                                "no PEM CERTIFICATE block", now);
		ret = ret < 0 ? ret : CHAIN_EPARSE;
	} else if (l.bad_block) {
		ret = chain__result_input_error(out, CHAIN_REASON_MALFORMED, (int)l.bad_block - 1,
		                                "base64 does not decode", now);
		ret = ret < 0 ? ret : CHAIN_EPARSE;
	} else {
		ret = chain_verify(out, store, policy, (const unsigned char *const *)l.ders, l.lens,
		                   l.n, pool);
	}
	for (size_t i = 0; i < l.n; i++)
		free(l.ders[i]);
	free(l.ders);
	free(l.lens);
	return ret;
}
