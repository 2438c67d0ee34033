/* Small helpers shared by the library's files. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

const char *chain__iso8601(int64_t t, char out[CHAIN__ISO8601_MAX])
{
	struct tm tm;
	time_t tt = (time_t)t;
	if ((int64_t)tt != t || !gmtime_r(&tt, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year < -1900)
		snprintf(out, CHAIN__ISO8601_MAX, "%lld (unix seconds)", (long long)t);
	else
		snprintf(out, CHAIN__ISO8601_MAX, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return out;
}
