/*
 * clock.c: Spark's batch clock, batch times being multiples of the
 * interval since the epoch.
 */

#include <limits.h>

#include "ds.h"

int64_t
ds_batch_of(int64_t now, int64_t interval)
{
	int64_t t = now / interval * interval;

	return t < now ? t + interval : t;
}

int64_t
ds_batch_after(int64_t now, int64_t interval)
{
	/* Not (now / interval + 1) * interval: division truncates toward 0. */
	return ds_batch_of(now + 1, interval);
}

int
ds_ms_until(int64_t t, int64_t now)
{
	if (t <= now)
		return 0;
	return t - now > INT_MAX ? INT_MAX : (int)(t - now);
}
