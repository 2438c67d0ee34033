/* The verification time as verification sees it: two predicates that also
 * record, in [lo, hi], how far the time could move without changing their
 * answers. A verdict reached at `now` is then known to hold for every time
 * in [lo, hi], which is the time window the verdict cache keys on. */
#include "internal.h"

chain__clock chain__clock_at(int64_t now)
{
	return (chain__clock){now, INT64_MIN, INT64_MAX};
}

bool chain__clock_reached(chain__clock *c, int64_t t)
{
	if (c->now >= t) {
		if (t > c->lo)
			c->lo = t;
		return true;
	}
	/* t > now >= INT64_MIN, so t - 1 does not overflow. */
	if (t - 1 < c->hi)
		c->hi = t - 1;
	return false;
}

bool chain__clock_not_past(chain__clock *c, int64_t t)
{
	if (c->now <= t) {
		if (t < c->hi)
			c->hi = t;
		return true;
	}
	/* t < now <= INT64_MAX, so t + 1 does not overflow. */
	if (t + 1 > c->lo)
		c->lo = t + 1;
	return false;
}
