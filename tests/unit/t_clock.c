/*
 * t_clock.c: tests the batch clock arithmetic of lib/clock.c.
 */

#include <limits.h>
#include <stdint.h>

#include "ds.h"
#include "check.h"

static void	test_batch_of(void);
static void	test_batch_after(void);
static void	test_properties(void);
static void	test_ms_until(void);

int
main(void)
{
	test_batch_of();
	test_batch_after();
	test_properties();
	test_ms_until();
	return done();
}

static void
test_batch_of(void)
{
	/* Exact multiples stay; anything else goes up to the next one. */
	CHECK(ds_batch_of(0, 1000) == 0);
	CHECK(ds_batch_of(1, 1000) == 1000);
	CHECK(ds_batch_of(999, 1000) == 1000);
	CHECK(ds_batch_of(1000, 1000) == 1000);
	CHECK(ds_batch_of(1001, 1000) == 2000);
	CHECK(ds_batch_of(1999, 1000) == 2000);
	CHECK(ds_batch_of(2000, 1000) == 2000);
	CHECK(ds_batch_of(1653400284123, 1000) == 1653400285000);
	CHECK(ds_batch_of(1653400284000, 1000) == 1653400284000);
	CHECK(ds_batch_of(1653400284123, 60000) == 1653400320000);
	CHECK(ds_batch_of(12345, 1) == 12345);
	CHECK(ds_batch_of(10, 7) == 14);
	CHECK(ds_batch_of(14, 7) == 14);
	/* Before the epoch the multiples are negative. */
	CHECK(ds_batch_of(-1, 1000) == 0);
	CHECK(ds_batch_of(-999, 1000) == 0);
	CHECK(ds_batch_of(-1000, 1000) == -1000);
	CHECK(ds_batch_of(-1500, 1000) == -1000);
}

static void
test_batch_after(void)
{
	/* Always strictly after, even on a multiple. */
	CHECK(ds_batch_after(0, 1000) == 1000);
	CHECK(ds_batch_after(1, 1000) == 1000);
	CHECK(ds_batch_after(999, 1000) == 1000);
	CHECK(ds_batch_after(1000, 1000) == 2000);
	CHECK(ds_batch_after(1001, 1000) == 2000);
	CHECK(ds_batch_after(1653400284123, 1000) == 1653400285000);
	CHECK(ds_batch_after(1653400284000, 1000) == 1653400285000);
	CHECK(ds_batch_after(12345, 1) == 12346);
	CHECK(ds_batch_after(14, 7) == 21);
	CHECK(ds_batch_after(-1, 1000) == 0);
	CHECK(ds_batch_after(-999, 1000) == 0);
	CHECK(ds_batch_after(-1000, 1000) == 0);
	CHECK(ds_batch_after(-1001, 1000) == -1000);
}

static void
test_properties(void)
{
	static const int64_t iv[] = { 1, 2, 3, 7, 10, 250, 1000 };
	int64_t now, t, a;
	size_t k;
	int badof = 0, badafter = 0;

	for (k = 0; k < sizeof(iv) / sizeof(iv[0]); k++) {
		for (now = -3000; now <= 3000; now++) {
			t = ds_batch_of(now, iv[k]);
			if (t % iv[k] != 0 || t < now || t - now >= iv[k])
				badof++;
			a = ds_batch_after(now, iv[k]);
			if (a % iv[k] != 0 || a <= now || a - now > iv[k] ||
			    a != (t == now ? t + iv[k] : t))
				badafter++;
		}
	}
	CHECK(badof == 0);
	CHECK(badafter == 0);
}

static void
test_ms_until(void)
{
	CHECK(ds_ms_until(5, 3) == 2);
	CHECK(ds_ms_until(3, 3) == 0);
	CHECK(ds_ms_until(2, 3) == 0);
	CHECK(ds_ms_until(INT64_MIN, 0) == 0);
	CHECK(ds_ms_until(1653400285000, 1653400284123) == 877);
	CHECK(ds_ms_until(1653400284000, 1653400284123) == 0);
	CHECK(ds_ms_until((int64_t)INT_MAX - 1, 0) == INT_MAX - 1);
	CHECK(ds_ms_until(INT_MAX, 0) == INT_MAX);
	CHECK(ds_ms_until((int64_t)INT_MAX + 1, 0) == INT_MAX);
	CHECK(ds_ms_until(INT64_MAX, 0) == INT_MAX);
	CHECK(ds_ms_until(INT64_MAX, INT64_MAX - 10) == 10);
	CHECK(ds_ms_until(1653400284000 + 30 * 86400000LL, 1653400284000) ==
	    INT_MAX);
}
