/*
 * progress.c: the words of a progress line, as pv(1) shows one: how much
 * of how much, how fast, and how long is left.
 */

#include <stdio.h>

#include "ds.h"

/* Bytes in 1024 multiples, three significant digits: 12.3MiB. */
static void
bytes(char *s, size_t size, double v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (v >= 1000 && u < sizeof(unit) / sizeof(unit[0]) - 1) {
		v /= 1024;
		u++;
	}
	snprintf(s, size, u == 0 ? "%.0f%s" : v < 9.995 ? "%.2f%s" :
	    v < 99.95 ? "%.1f%s" : "%.0f%s", v, unit[u]);
}

size_t
ds_progress_format(char *buf, size_t size, const struct ds_progress *p,
    int64_t now)
{
	char done[16], all[16], rate[16], left[80] = "";
	int64_t ms = now - p->start, secs;
	double r = ms > 0 ? p->bytes * 1000.0 / ms : 0;
	int n;

	bytes(done, sizeof(done), p->bytes);
	bytes(rate, sizeof(rate), r);
	if (p->total > 0 && p->bytes <= p->total &&
	    (r > 0 || p->bytes == p->total)) {
		secs = p->bytes == p->total ? 0 :
		    (int64_t)((p->total - p->bytes) / r + 0.5);
		snprintf(left, sizeof(left), ", %lld:%02lld:%02lld left",
		    (long long)(secs / 3600), (long long)(secs / 60 % 60),
		    (long long)(secs % 60));
	}
	if (p->total > 0) {
		bytes(all, sizeof(all), p->total);
		n = snprintf(buf, size, "%s of %s (%.0f%%), %llu lines, %s/s%s",
		    done, all, p->bytes <= p->total ?
		    p->bytes * 100.0 / p->total : 100.0,
		    (unsigned long long)p->lines, rate, left);
	} else
		n = snprintf(buf, size, "%s, %llu lines, %s/s", done,
		    (unsigned long long)p->lines, rate);
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}
