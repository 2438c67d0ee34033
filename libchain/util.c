/* Small helpers shared by the library's files. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int chain__grow(void *array, size_t *cap, size_t n, size_t elem)
{
	void *old, *grown;

	if (n < *cap)
		return CHAIN_OK;
	size_t want = *cap ? *cap * 2 : 8;
	if (want < *cap || want > SIZE_MAX / elem)
		return CHAIN_ENOMEM;
	/* The caller's pointer is a T *, not a void *: copy it in and out as
	 * bytes (POSIX guarantees one representation) to stay within the
	 * aliasing rules. */
	memcpy(&old, array, sizeof(old));
	if (!(grown = realloc(old, want * elem)))
		return CHAIN_ENOMEM;
	memcpy(array, &grown, sizeof(grown));
	*cap = want;
	return CHAIN_OK;
}
