/*
 * t_time.c: tests the wall clock and the time syntax of lib/time.c.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds.h"
#include "check.h"

static int	parses(const char *, int64_t);
static int	fails(const char *);
static void	test_epoch_ms(void);
static void	test_iso(void);
static void	test_local(void);
static void	test_bad(void);
static void	test_now(void);
static int	field_is(const char *, const char *, int64_t);
static void	test_field(void);
static void	test_calendar(void);

int
main(void)
{
	setenv("TZ", "UTC0", 1);
	tzset();
	test_epoch_ms();
	test_iso();
	test_local();
	test_bad();
	test_now();
	test_field();
	test_calendar();
	return done();
}

static int
parses(const char *s, int64_t want)
{
	int64_t ms = -12345;

	if (ds_time_parse(s, &ms) == 0 && ms == want)
		return 1;
	printf("# \"%s\": %lld, want %lld\n", s, (long long)ms,
	    (long long)want);
	return 0;
}

static int
fails(const char *s)
{
	int64_t ms = -12345;

	errno = 0;
	return ds_time_parse(s, &ms) == -1 && errno == EINVAL && ms == -12345;
}

static void
test_epoch_ms(void)
{
	CHECK(parses("0", 0));
	CHECK(parses("1653400284000", 1653400284000));
	CHECK(parses("0001653400284000", 1653400284000));
	CHECK(parses("9223372036854775807", INT64_MAX));
	CHECK(fails("9223372036854775808"));
	CHECK(fails("-1"));
	CHECK(fails("+1"));
	CHECK(fails("1.5"));
	CHECK(fails(" 0"));
	CHECK(fails("0 "));
	CHECK(fails("12a"));
}

static void
test_iso(void)
{
	CHECK(parses("2022-05-24T13:51:24Z", 1653400284000));
	CHECK(parses("2022-05-24 13:51:24Z", 1653400284000));
	CHECK(parses("2022-05-24T13:51Z", 1653400260000));
	CHECK(parses("2022-05-24Z", 1653350400000));
	CHECK(parses("1970-01-01T00:00:00Z", 0));
	CHECK(parses("1969-12-31T23:59:59Z", -1000));
	CHECK(parses("2000-02-29T00:00:00Z", 951782400000));
	CHECK(parses("2038-01-19T03:14:08Z", 2147483648000));
	CHECK(parses("2016-12-31T23:59:60Z", 1483228800000));

	/* Fractions of a second: milliseconds kept, the rest dropped. */
	CHECK(parses("2022-05-24T13:51:24.5Z", 1653400284500));
	CHECK(parses("2022-05-24T13:51:24.05Z", 1653400284050));
	CHECK(parses("2022-05-24T13:51:24.123Z", 1653400284123));
	CHECK(parses("2022-05-24T13:51:24.999999Z", 1653400284999));
	CHECK(parses("2022-05-24T13:51:24,25Z", 1653400284250));

	/* Offsets east are earlier in UTC, offsets west later. */
	CHECK(parses("2022-05-24T15:51:24+02:00", 1653400284000));
	CHECK(parses("2022-05-24T15:51:24+0200", 1653400284000));
	CHECK(parses("2022-05-24T12:21:24-0130", 1653400284000));
	CHECK(parses("2022-05-24T12:21:24-01:30", 1653400284000));
	CHECK(parses("2022-05-24T13:51:24+00:00", 1653400284000));
	CHECK(parses("2022-05-24T13:51:24.5-00:00", 1653400284500));
	CHECK(parses("2022-05-25T03:51:24+14:00", 1653400284000));
}

static void
test_local(void)
{
	/* No zone is local time: TZ is UTC0 here. */
	CHECK(parses("2022-05-24", 1653350400000));
	CHECK(parses("2022-05-24T13:51:24", 1653400284000));
	CHECK(parses("2022-05-24T13:51:24.5", 1653400284500));

	/* Five hours west of Greenwich, without DST. */
	setenv("TZ", "EST5", 1);
	tzset();
	CHECK(parses("2022-05-24", 1653350400000 + 5 * 3600000));
	CHECK(parses("2022-05-24T08:51:24", 1653400284000));
	/* An explicit zone ignores TZ. */
	CHECK(parses("2022-05-24T13:51:24Z", 1653400284000));
	setenv("TZ", "UTC0", 1);
	tzset();
}

static void
test_bad(void)
{
	CHECK(fails(""));
	CHECK(fails("abc"));
	CHECK(fails("2022-13-01"));
	CHECK(fails("2022-00-10"));
	CHECK(fails("2022-05-00"));
	CHECK(fails("2022-05-32"));
	/* Days past the end of their month. */
	CHECK(fails("2022-02-29"));
	CHECK(fails("2022-02-30"));
	CHECK(fails("2022-04-31"));
	CHECK(fails("2100-02-29"));
	CHECK(parses("2024-02-29Z", 1709164800000));
	CHECK(parses("2022-01-31Z", 1643587200000));
	CHECK(fails("2022-05-24T25:00"));
	CHECK(fails("2022-05-24T24:00"));
	CHECK(fails("2022-05-24T13:60"));
	CHECK(fails("2022-05-24T13:51:61"));
	CHECK(fails("2022-05-24Tx"));
	CHECK(fails("2022-05-24T"));
	CHECK(fails("2022-05-24T13"));
	CHECK(fails("2022-05-24T13:5"));
	CHECK(fails("2022-05-24T1:05"));
	CHECK(fails("2022-05-24T13:51:2"));
	CHECK(fails("2022-05-24X13:51"));
	CHECK(fails("2022-5-24"));
	CHECK(fails("22-05-24"));
	CHECK(fails("2022/05/24"));
	CHECK(fails("2022-05"));
	CHECK(parses("2022", 2022));	/* all digits: milliseconds */
	CHECK(fails("2022-05-24T13:51:24+02"));
	CHECK(fails("2022-05-24T13:51:24+2:00"));
	CHECK(fails("2022-05-24T13:51:24+02:0"));
	CHECK(fails("2022-05-24T13:51:24+02:60"));
	CHECK(fails("2022-05-24T13:51:24+24:00"));
	CHECK(fails("2022-05-24T13:51:24ZZ"));
	CHECK(fails("2022-05-24T13:51:24Z "));
	CHECK(fails("2022-05-24T13:51:24 "));
	CHECK(fails(" 2022-05-24"));
}

static void
test_now(void)
{
	int64_t before, now, after;

	/* time(2) may lag the fine clock by a tick: allow a second. */
	before = (int64_t)time(NULL) * 1000;
	now = ds_now_ms();
	after = (int64_t)time(NULL) * 1000;
	CHECK(now >= before - 1000 && now < after + 2000);
	CHECK(now > 1600000000000);
	CHECK(ds_now_ms() - now < 1000);
}

/* ds_time_field of s in format spec gives want, or fails when want < 0. */
static int
field_is(const char *spec, const char *s, int64_t want)
{
	struct ds_timefmt f;
	int64_t ms = -12345;
	int rc;

	if (ds_timefmt_parse(&f, spec) == -1)
		return 0;
	rc = ds_time_field(&f, s, strlen(s), &ms);
	if (want < 0)
		return rc == -1 && ms == -12345;
	if (rc == 0 && ms == want)
		return 1;
	printf("# %s \"%s\": %lld, want %lld\n", spec, s, (long long)ms,
	    (long long)want);
	return 0;
}

static void
test_field(void)
{
	struct ds_timefmt f;

	CHECK(field_is("auto", "1700000000", 1700000000000));
	CHECK(field_is("auto", "99999999999", 99999999999000));
	CHECK(field_is("auto", "100000000000", 100000000000));
	CHECK(field_is("auto", "1700000000.5", 1700000000500));
	CHECK(field_is("auto", "0", 0));
	CHECK(field_is("auto", "2022-05-24T13:51:24Z", 1653400284000));
	CHECK(field_is("s", "5", 5000));
	CHECK(field_is("s", "5.25", 5250));
	CHECK(field_is("ms", "5", 5));
	CHECK(field_is("ms", "5.5", -1));
	CHECK(field_is("iso", "5", -1));
	CHECK(field_is("iso", "2022-05-24Z", 1653350400000));
	CHECK(field_is("auto", "", -1));
	CHECK(field_is("auto", "1e3", -1));
	CHECK(field_is("auto", "-5", -1));
	CHECK(field_is("auto", "1969-12-31T23:59:59Z", -1));
	CHECK(field_is("s", "9223372036854775807", -1));
	CHECK(field_is("%Y%m%d%H%M%S", "20220524135124", 1653400284000));
	CHECK(field_is("%Y-%m-%d %H:%M:%S %z", "2022-05-24 15:51:24 +0200",
	    1653400284000));
	CHECK(field_is("%Y-%m-%d", "2022-05-24x", -1));
	CHECK(field_is("%s", "1653400284", 1653400284000));
	CHECK(field_is("%s", "9223372036854775807", -1));
	CHECK(ds_timefmt_parse(&f, "nope") == -1 && errno == EINVAL);
	/* A NUL inside the field is not the end of the time. */
	CHECK(ds_timefmt_parse(&f, "ms") == 0 &&
	    ds_time_field(&f, "12\0003", 4, &(int64_t){ 0 }) == -1);
}

static void
test_calendar(void)
{
	const int64_t h = 3600000;
	/* Europe/Berlin: 2026-03-29 is 23 hours, 2026-10-25 25. */
	const int64_t mar28 = 1774652400000, mar29 = 1774738800000;
	const int64_t mar30 = 1774821600000;

	CHECK(ds_calendar_ok(DS_DAY_MS));
	CHECK(ds_calendar_ok(7 * (int64_t)DS_DAY_MS));
	CHECK(ds_calendar_ok(h));
	CHECK(ds_calendar_ok(15 * 60000));
	CHECK(!ds_calendar_ok(7 * h));
	CHECK(!ds_calendar_ok(36 * h));
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	CHECK(ds_calendar_next(mar28, DS_DAY_MS) == mar29);
	CHECK(ds_calendar_next(mar28 - 1, DS_DAY_MS) == mar28);
	CHECK(ds_calendar_next(mar29, DS_DAY_MS) == mar30);
	CHECK(mar30 - mar29 == 23 * h);
	CHECK(ds_calendar_back(mar30, DS_DAY_MS) == mar29);
	CHECK(ds_calendar_back(mar30 + 5, DS_DAY_MS) == mar29 + 5);
	/* Hours count from midnight; the day has 23 of them. */
	CHECK(ds_calendar_next(mar29, h) == mar29 + h);
	CHECK(ds_calendar_next(mar30 - 1, h) == mar30);
	CHECK(ds_calendar_next(mar30 - h - 1, 2 * h) == mar30 - h);
	CHECK(ds_calendar_next(mar30 - h, 2 * h) == mar30);
	CHECK(ds_calendar_back(mar30, h) == mar30 - h);
	setenv("TZ", "UTC0", 1);
	tzset();
	CHECK(ds_calendar_next(0, DS_DAY_MS) == DS_DAY_MS);
	CHECK(ds_calendar_next(0, 2 * (int64_t)DS_DAY_MS) ==
	    2 * (int64_t)DS_DAY_MS);
	CHECK(ds_calendar_next(2 * (int64_t)DS_DAY_MS, 2 * (int64_t)DS_DAY_MS)
	    == 4 * (int64_t)DS_DAY_MS);
}
