/*
 * t_duration.c: tests the duration syntax of lib/duration.c (500ms, 1s).
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ds.h"
#include "check.h"

static int	parses(const char *, int64_t);
static int	fails(const char *, int);

int
main(void)
{
	CHECK(parses("500ms", 500));
	CHECK(parses("1ms", 1));
	CHECK(parses("0ms", 0));
	CHECK(parses("1s", 1000));
	CHECK(parses("2m", 120000));
	CHECK(parses("1h", 3600000));
	CHECK(parses("1d", 86400000));
	CHECK(parses("7d", 604800000));
	CHECK(parses("5", 5000));
	CHECK(parses("0", 0));
	CHECK(parses("0s", 0));
	CHECK(parses("007s", 7000));
	CHECK(parses("90m", 5400000));
	CHECK(parses("9223372036854775807ms", INT64_MAX));
	CHECK(parses("9223372036854775s", 9223372036854775000));
	CHECK(parses("106751991167d", 106751991167 * 86400000LL));

	CHECK(fails("", EINVAL));
	CHECK(fails("s", EINVAL));
	CHECK(fails("ms", EINVAL));
	CHECK(fails("1.5s", EINVAL));
	CHECK(fails(".5s", EINVAL));
	CHECK(fails("-1", EINVAL));
	CHECK(fails("+1", EINVAL));
	CHECK(fails("1x", EINVAL));
	CHECK(fails("1 s", EINVAL));
	CHECK(fails(" 1s", EINVAL));
	CHECK(fails("1s ", EINVAL));
	CHECK(fails("1S", EINVAL));
	CHECK(fails("1sec", EINVAL));
	CHECK(fails("1msx", EINVAL));
	CHECK(fails("1mss", EINVAL));
	CHECK(fails("1us", EINVAL));
	CHECK(fails("1s1", EINVAL));
	CHECK(fails("1h30m", EINVAL));

	/* Overflow in the digits, and in the unit's multiplication. */
	CHECK(fails("9223372036854775808ms", ERANGE));
	CHECK(fails("99999999999999999999999", ERANGE));
	CHECK(fails("9223372036854776s", ERANGE));
	CHECK(fails("9223372036854776", ERANGE));
	CHECK(fails("106751991168d", ERANGE));
	CHECK(fails("153722867280913m", ERANGE));
	CHECK(fails("2562047788016h", ERANGE));
	return done();
}

static int
parses(const char *s, int64_t want)
{
	int64_t ms = -12345;

	return ds_duration_parse(s, &ms) == 0 && ms == want;
}

/* Fails with err and leaves the result alone. */
static int
fails(const char *s, int err)
{
	int64_t ms = -12345;

	errno = 0;
	return ds_duration_parse(s, &ms) == -1 && errno == err &&
	    ms == -12345;
}
