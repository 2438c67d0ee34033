/* chain_verify_pem(): PEM text to a DER list, then chain_verify(). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* push()'s answer once the chain limit is passed: chain_pem_foreach() stops. */
#define STOP 1

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
	/* Hostile input: the block that passes the chain limit is the last one
	 * decoded (not copied: chain_verify() reports input_limit from the
	 * lengths alone), and the search for blocks stops there. */
	l->bytes += len;
	if (chain__grow(&l->ders, &l->cap_ders, l->n, sizeof(*l->ders)) < 0 ||
	    chain__grow(&l->lens, &l->cap_lens, l->n, sizeof(*l->lens)) < 0)
		return CHAIN_ENOMEM;
	bool over = l->bytes > l->max_bytes;
	unsigned char *copy = malloc(len && !over ? len : 1);
	if (!copy)
		return CHAIN_ENOMEM;
	if (!over)
		memcpy(copy, der, len);
	else
		copy[0] = 0;
	l->ders[l->n] = copy;
	l->lens[l->n++] = len;
	return over ? STOP : CHAIN_OK;
}

/* PEM text a served chain at the byte limit may take: base64 (4/3) with
 * line breaks and armour stays under twice the DER, and up to 64 KiB of
 * other text (a tool's output around the blocks) is allowed. */
static uint64_t text_limit(uint64_t chain_bytes)
{
	return chain_bytes > (UINT64_MAX - 65536) / 2 ? UINT64_MAX : 2 * chain_bytes + 65536;
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
	int64_t now = chain__verification_time(p);
	uint64_t max_text = text_limit(l.max_bytes);
	if (len > max_text) {
		char why[128];
		snprintf(why, sizeof(why), "PEM text of %zu bytes, over the limit of %llu (twice the "
		         "chain limit, plus 64 KiB)", len, (unsigned long long)max_text);
		ret = chain__result_input_error(out, CHAIN_REASON_INPUT_LIMIT, -1, why, now);
		return ret < 0 ? ret : CHAIN_ELIMIT;
	}
	long blocks = chain_pem_foreach(pem, len, push, &l);
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
