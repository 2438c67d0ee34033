/* The problems a verification finds, as it goes (chain__problems), and the
 * verdict's reason among them: every check adds to the list, results copy it. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most significant first: why the search failed, then how the path is
 * broken, then what the policy refuses. docs/reasons.md repeats this. */
static const chain_reason priority[] = {
	CHAIN_REASON_MALFORMED,         CHAIN_REASON_INPUT_LIMIT,
	CHAIN_REASON_BUDGET_EXCEEDED,   CHAIN_REASON_DEPTH_EXCEEDED,
	CHAIN_REASON_MISSING_ISSUER,    CHAIN_REASON_UNTRUSTED_ROOT,
	CHAIN_REASON_DISTRUSTED,
	CHAIN_REASON_BAD_SIGNATURE,     CHAIN_REASON_REVOKED,
	CHAIN_REASON_INSECURE_ALGORITHM, CHAIN_REASON_REVOCATION_UNKNOWN,
	CHAIN_REASON_NOT_CA,            CHAIN_REASON_KEY_USAGE,
	CHAIN_REASON_PATH_LENGTH,       CHAIN_REASON_NAME_CONSTRAINTS,
	CHAIN_REASON_UNKNOWN_CRITICAL_EXTENSION,
	CHAIN_REASON_EXPIRED,           CHAIN_REASON_NOT_YET_VALID,
	CHAIN_REASON_PURPOSE_MISMATCH,  CHAIN_REASON_HOSTNAME_MISMATCH,
	CHAIN_REASON_NONCONFORMING, /* last: what users act on comes first */
};

int chain__problems_add(chain__problems *ps, chain_reason reason, int depth, const char *fmt,
                        ...)
{
	char buf[512];
	va_list ap;

	if (chain__grow(&ps->v, &ps->cap, ps->n, sizeof(*ps->v)) < 0)
		return CHAIN_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	char *msg = strdup(buf);
	if (!msg)
		return CHAIN_ENOMEM;
	ps->v[ps->n++] = (chain__problem){reason, depth, msg};
	return CHAIN_OK;
}

void chain__problems_clear(chain__problems *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free(ps->v[i].message);
	ps->n = 0;
}

bool chain__problems_has(const chain__problems *ps, chain_reason reason)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->v[i].reason == reason)
			return true;
	return false;
}

chain_reason chain__primary_reason(const chain__problems *ps)
{
	for (size_t i = 0; i < sizeof(priority) / sizeof(priority[0]); i++)
		if (chain__problems_has(ps, priority[i]))
			return priority[i];
	return ps->n ? ps->v[0].reason : CHAIN_REASON_OK;
}
