/*
 * source.c: the outage of a remote peer, reported once and retried on a
 * delay, as every source that connects somewhere keeps it.
 */

#include "ds.h"

void
ds_outage_init(struct ds_outage *o, int64_t delay)
{
	o->delay = delay;
	o->retry_at = 0;
	o->down = 0;
	ds_duration_format(delay, o->delaystr, sizeof(o->delaystr));
}

int
ds_outage_down(struct ds_outage *o, int64_t now)
{
	int isnew = !o->down;

	o->down = 1;
	o->retry_at = o->delay > INT64_MAX - now ? INT64_MAX : now + o->delay;
	return isnew;
}

int
ds_outage_up(struct ds_outage *o)
{
	int was = o->down;

	o->down = 0;
	return was;
}
