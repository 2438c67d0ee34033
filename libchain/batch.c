/* chain_batch: many verifications on worker threads, results in order.
 * Workers take the next item from a shared atomic counter, so one slow
 * chain never holds up the others' thread. */
#include "internal.h"

#include <stdlib.h>
#include <unistd.h>

typedef struct {
	const unsigned char *const *ders;
	const size_t *lens;
	size_t n;
	const chain_policy *policy;
	const unsigned char *ocsp; /* the stapled response (chain_batch_set_ocsp), or NULL */
	size_t ocsp_len;
	int status;
	chain_result *result;
	bool done; /* verified (chain_batch_cancel() may leave items undone) */
} item;

struct chain_batch {
	item *items;
	size_t n, cap;
	bool ran;
	/* set for the duration of chain_batch_run() */
	const chain_store *store;
	const chain_pool *pool;
	chain_cache *cache;
	atomic_size_t next;
	atomic_bool canceled; /* chain_batch_cancel(): start no more items */
};

int chain_batch_new(chain_batch **out)
{
	if (!out)
		return CHAIN_EINVAL;
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return CHAIN_ENOMEM;
	atomic_init(&(*out)->canceled, false);
	return CHAIN_OK;
}

void chain_batch_free(chain_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		chain_result_free(b->items[i].result);
	free(b->items);
	free(b);
}

int chain_batch_add(chain_batch *b, const unsigned char *const *ders, const size_t *lens,
                    size_t n, const chain_policy *policy)
{
	if (!b || b->ran)
		return CHAIN_EINVAL;
	if (chain__grow(&b->items, &b->cap, b->n, sizeof(*b->items)) < 0)
		return CHAIN_ENOMEM;
	b->items[b->n++] = (item){ders, lens, n, policy, NULL, 0, CHAIN_EINVAL, NULL, false};
	return CHAIN_OK;
}

int chain_batch_set_ocsp(chain_batch *b, size_t i, const unsigned char *ocsp, size_t ocsp_len)
{
	if (!b || b->ran || i >= b->n || (!ocsp && ocsp_len))
		return CHAIN_EINVAL;
	b->items[i].ocsp = ocsp;
	b->items[i].ocsp_len = ocsp ? ocsp_len : 0;
	return CHAIN_OK;
}

int chain_batch_set_cache(chain_batch *b, chain_cache *cache)
{
	if (!b || b->ran)
		return CHAIN_EINVAL;
	b->cache = cache;
	return CHAIN_OK;
}

static void *worker(void *arg)
{
	chain_batch *b = arg;
	for (;;) {
		if (atomic_load_explicit(&b->canceled, memory_order_relaxed))
			return NULL;
		size_t i = atomic_fetch_add_explicit(&b->next, 1, memory_order_relaxed);
		if (i >= b->n)
			return NULL;
		item *it = &b->items[i];
		it->status = chain__verify(&it->result, b->store, it->policy, it->ders, it->lens, it->n,
		                           b->pool, b->cache, it->ocsp, it->ocsp_len);
		it->done = true;
	}
}

void chain_batch_cancel(chain_batch *b)
{
	if (b)
		atomic_store_explicit(&b->canceled, true, memory_order_relaxed);
}

static unsigned int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned int)n : 1;
}

int chain_batch_run(chain_batch *b, const chain_store *store, const chain_pool *pool,
                    unsigned int threads)
{
	pthread_t *tids = NULL;
	size_t started = 0;

	if (!b || !store || b->ran)
		return CHAIN_EINVAL;
	b->ran = true;
	b->store = store;
	b->pool = pool;
	atomic_init(&b->next, 0);
	if (threads == 0)
		threads = online_cpus();
	if (threads > b->n)
		threads = (unsigned int)b->n;
	/* The calling thread is a worker too: threads - 1 more are started. */
	if (threads > 1 && !(tids = calloc(threads - 1, sizeof(*tids))))
		return CHAIN_ENOMEM;
	for (; started + 1 < threads; started++)
		if (pthread_create(&tids[started], NULL, worker, b) != 0)
			break; /* fewer workers is slower, not wrong */
	worker(b);
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	b->store = NULL;
	b->pool = NULL;
	if (!atomic_load_explicit(&b->canceled, memory_order_relaxed))
		return CHAIN_OK;
	for (size_t i = 0; i < b->n; i++)
		if (!b->items[i].done)
			b->items[i].status = CHAIN_ECANCELED;
	return CHAIN_ECANCELED;
}

size_t chain_batch_count(const chain_batch *b)
{
	return b ? b->n : 0;
}

int chain_batch_status(const chain_batch *b, size_t i)
{
	return b && b->ran && i < b->n ? b->items[i].status : CHAIN_EINVAL;
}

const chain_result *chain_batch_result(const chain_batch *b, size_t i)
{
	return b && i < b->n ? b->items[i].result : NULL;
}

chain_result *chain_batch_take_result(chain_batch *b, size_t i)
{
	if (!b || i >= b->n)
		return NULL;
	chain_result *r = b->items[i].result;
	b->items[i].result = NULL;
	return r;
}
