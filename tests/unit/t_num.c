/*
 * t_num.c: tests number syntax, parsing, exact arithmetic, comparison and
 * Python-style formatting in lib/num.c.
 */

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"
#include "check.h"

static uint64_t	rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t	rng(void);
static int	syntax(const char *);
static int	parses_int(const char *, int64_t);
static int	parses_float(const char *, double);
static int	fails(const char *, int);
static struct ds_num inum(int64_t);
static struct ds_num fnum(double);
static int	formats(double, const char *);
static void	test_syntax(void);
static void	test_parse(void);
static void	test_arith(void);
static void	test_cmp(void);
static void	test_format(void);
static void	test_format_round_trip(void);

int
main(void)
{
	test_syntax();
	test_parse();
	test_arith();
	test_cmp();
	test_format();
	test_format_round_trip();
	return done();
}

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
syntax(const char *s)
{
	return ds_num_syntax(s, strlen(s));
}

static int
parses_int(const char *s, int64_t want)
{
	struct ds_num n;

	memset(&n, 0xa5, sizeof(n));
	return ds_num_parse(s, strlen(s), &n) == 0 && !n.isfloat &&
	    n.i == want;
}

static int
parses_float(const char *s, double want)
{
	struct ds_num n;

	memset(&n, 0xa5, sizeof(n));
	return ds_num_parse(s, strlen(s), &n) == 0 && n.isfloat &&
	    n.d == want && signbit(n.d) == signbit(want);
}

static int
fails(const char *s, int err)
{
	struct ds_num n;

	errno = 0;
	return ds_num_parse(s, strlen(s), &n) == -1 && errno == err;
}

static struct ds_num
inum(int64_t i)
{
	struct ds_num n = { 0 };

	n.i = i;
	return n;
}

static struct ds_num
fnum(double d)
{
	struct ds_num n = { 0 };

	n.isfloat = 1;
	n.d = d;
	return n;
}

/* ds_double_format(d) is want, with the length returned. */
static int
formats(double d, const char *want)
{
	char buf[DS_NUM_MAX];
	size_t n;

	memset(buf, 'Z', sizeof(buf));
	n = ds_double_format(d, buf);
	if (n == strlen(want) && strcmp(buf, want) == 0)
		return 1;
	printf("# ds_double_format(%a): \"%s\", want \"%s\"\n", d, buf, want);
	return 0;
}

static void
test_syntax(void)
{
	CHECK(syntax("0") == DS_NUM_INT);
	CHECK(syntax("123") == DS_NUM_INT);
	CHECK(syntax("-5") == DS_NUM_INT);
	CHECK(syntax("+1") == DS_NUM_INT);
	CHECK(syntax("007") == DS_NUM_INT);
	CHECK(syntax("99999999999999999999999") == DS_NUM_INT);
	CHECK(syntax("1.5") == DS_NUM_FLOAT);
	CHECK(syntax(".5") == DS_NUM_FLOAT);
	CHECK(syntax("5.") == DS_NUM_FLOAT);
	CHECK(syntax("-.5") == DS_NUM_FLOAT);
	CHECK(syntax("+5.") == DS_NUM_FLOAT);
	CHECK(syntax("1e5") == DS_NUM_FLOAT);
	CHECK(syntax("1E5") == DS_NUM_FLOAT);
	CHECK(syntax("1e+5") == DS_NUM_FLOAT);
	CHECK(syntax("1e-5") == DS_NUM_FLOAT);
	CHECK(syntax("-1.5e-10") == DS_NUM_FLOAT);
	CHECK(syntax(".5e3") == DS_NUM_FLOAT);
	CHECK(syntax("5.e3") == DS_NUM_FLOAT);
	CHECK(syntax("1e999") == DS_NUM_FLOAT);

	CHECK(syntax("") == 0);
	CHECK(syntax("-") == 0);
	CHECK(syntax("+") == 0);
	CHECK(syntax(".") == 0);
	CHECK(syntax("-.") == 0);
	CHECK(syntax("1e") == 0);
	CHECK(syntax("1e+") == 0);
	CHECK(syntax("1e-") == 0);
	CHECK(syntax("e5") == 0);
	CHECK(syntax(".e5") == 0);
	CHECK(syntax("abc") == 0);
	CHECK(syntax(" 1") == 0);
	CHECK(syntax("1 ") == 0);
	CHECK(syntax("1.2.3") == 0);
	CHECK(syntax("--1") == 0);
	CHECK(syntax("+-1") == 0);
	CHECK(syntax("1x") == 0);
	CHECK(syntax("0x10") == 0);
	CHECK(syntax("inf") == 0);
	CHECK(syntax("nan") == 0);
	CHECK(syntax("1e5.5") == 0);
	CHECK(syntax("1,5") == 0);
	/* The length, not a NUL, ends the number. */
	CHECK(ds_num_syntax("12abc", 2) == DS_NUM_INT);
	CHECK(ds_num_syntax("1.5xyz", 3) == DS_NUM_FLOAT);
	CHECK(ds_num_syntax("1\0", 2) == 0);
	CHECK(ds_num_syntax("1", 0) == 0);
}

static void
test_parse(void)
{
	struct ds_num n;
	char big[200];

	CHECK(parses_int("0", 0));
	CHECK(parses_int("-0", 0));
	CHECK(parses_int("+1", 1));
	CHECK(parses_int("-42", -42));
	CHECK(parses_int("000000000000000000000000000007", 7));
	CHECK(parses_int("9223372036854775807", INT64_MAX));
	CHECK(parses_int("+9223372036854775807", INT64_MAX));
	CHECK(parses_int("-9223372036854775807", -INT64_MAX));
	CHECK(parses_int("-9223372036854775808", INT64_MIN));
	CHECK(fails("9223372036854775808", ERANGE));
	CHECK(fails("+9223372036854775808", ERANGE));
	CHECK(fails("-9223372036854775809", ERANGE));
	CHECK(fails("10000000000000000000", ERANGE));
	CHECK(fails("-99999999999999999999", ERANGE));

	CHECK(parses_float("0.1", 0.1));
	CHECK(parses_float(".5", 0.5));
	CHECK(parses_float("5.", 5.0));
	CHECK(parses_float("1e5", 1e5));
	CHECK(parses_float("-2.5E-3", -2.5e-3));
	CHECK(parses_float("-0.0", -0.0));
	CHECK(parses_float("1.7976931348623157e308", 1.7976931348623157e308));
	CHECK(parses_float("1e-999", 0.0));
	CHECK(fails("1e999", ERANGE));
	CHECK(fails("-1e999", ERANGE));
	CHECK(fails("1.8e308", ERANGE));

	CHECK(fails("", EINVAL));
	CHECK(fails("abc", EINVAL));
	CHECK(fails("-", EINVAL));
	CHECK(fails(" 1", EINVAL));
	CHECK(fails("1e", EINVAL));
	CHECK(fails("inf", EINVAL));
	CHECK(fails("nan", EINVAL));

	/* Bounded by the length: the bytes after are not looked at. */
	CHECK(ds_num_parse("12345", 3, &n) == 0 && !n.isfloat && n.i == 123);
	CHECK(ds_num_parse("2.5e1000", 3, &n) == 0 && n.isfloat &&
	    n.d == 2.5);
	/* Longer than the parser's stack copy. */
	memset(big, '0', sizeof(big));
	memcpy(big, "0.", 2);
	big[150] = '1';
	CHECK(ds_num_parse(big, 151, &n) == 0 && n.isfloat && n.d == 1e-149);
	memset(big, '0', sizeof(big));
	big[0] = '1';
	memcpy(big + 100, ".5", 2);
	CHECK(ds_num_parse(big, 102, &n) == 0 && n.isfloat && n.d == 1e99);
}

static void
test_arith(void)
{
	struct ds_num a, x;

	a = inum(2);
	x = inum(3);
	CHECK(ds_num_add(&a, &x) == 0 && !a.isfloat && a.i == 5);
	CHECK(ds_num_sub(&a, &x) == 0 && !a.isfloat && a.i == 2);
	a = inum(INT64_MAX);
	x = inum(INT64_MIN);
	CHECK(ds_num_add(&a, &x) == 0 && a.i == -1);

	/* Integer overflow is an error, and the sum is not wrapped. */
	a = inum(INT64_MAX);
	x = inum(1);
	errno = 0;
	CHECK(ds_num_add(&a, &x) == -1 && errno == ERANGE);
	CHECK(!a.isfloat && a.i == INT64_MAX);
	a = inum(INT64_MIN);
	x = inum(-1);
	errno = 0;
	CHECK(ds_num_add(&a, &x) == -1 && errno == ERANGE);
	CHECK(!a.isfloat && a.i == INT64_MIN);
	a = inum(INT64_MIN);
	x = inum(1);
	errno = 0;
	CHECK(ds_num_sub(&a, &x) == -1 && errno == ERANGE);
	CHECK(!a.isfloat && a.i == INT64_MIN);
	a = inum(0);
	x = inum(INT64_MIN);
	errno = 0;
	CHECK(ds_num_sub(&a, &x) == -1 && errno == ERANGE && a.i == 0);
	a = inum(INT64_MAX);
	x = inum(-1);
	errno = 0;
	CHECK(ds_num_sub(&a, &x) == -1 && errno == ERANGE);
	a = inum(-1);
	x = inum(INT64_MAX);
	CHECK(ds_num_sub(&a, &x) == 0 && a.i == INT64_MIN);

	/* A float on either side makes a float. */
	a = inum(1);
	x = fnum(0.5);
	CHECK(ds_num_add(&a, &x) == 0 && a.isfloat && a.d == 1.5);
	a = fnum(0.5);
	x = inum(2);
	CHECK(ds_num_add(&a, &x) == 0 && a.isfloat && a.d == 2.5);
	a = inum(1);
	x = fnum(0.25);
	CHECK(ds_num_sub(&a, &x) == 0 && a.isfloat && a.d == 0.75);
	a = fnum(0.1);
	x = fnum(0.2);
	CHECK(ds_num_add(&a, &x) == 0 && a.isfloat &&
	    a.d == 0.30000000000000004);
	/* Even a float that is whole. */
	a = inum(1);
	x = fnum(1.0);
	CHECK(ds_num_add(&a, &x) == 0 && a.isfloat && a.d == 2.0);

	a = inum(-7);
	CHECK(ds_num_double(&a) == -7.0);
	a = fnum(2.5);
	CHECK(ds_num_double(&a) == 2.5);
}

static void
test_cmp(void)
{
	struct ds_num a, b;

#define CMP(x, y)	(a = (x), b = (y), ds_num_cmp(&a, &b))
	CHECK(CMP(inum(1), inum(2)) < 0);
	CHECK(CMP(inum(2), inum(1)) > 0);
	CHECK(CMP(inum(5), inum(5)) == 0);
	CHECK(CMP(inum(INT64_MIN), inum(INT64_MAX)) < 0);
	CHECK(CMP(inum(INT64_MAX), inum(INT64_MAX - 1)) > 0);
	CHECK(CMP(fnum(0.1), fnum(0.2)) < 0);
	CHECK(CMP(fnum(-0.0), fnum(0.0)) == 0);
	CHECK(CMP(inum(1), fnum(1.0)) == 0);
	CHECK(CMP(fnum(1.0), inum(1)) == 0);
	CHECK(CMP(inum(1), fnum(1.5)) < 0);
	CHECK(CMP(inum(2), fnum(1.5)) > 0);
	CHECK(CMP(fnum(1.5), inum(2)) < 0);
	CHECK(CMP(inum(-1), fnum(-0.5)) < 0);
	CHECK(CMP(inum(-1), fnum(-1.5)) > 0);
	CHECK(CMP(inum(0), fnum(-0.0)) == 0);
	CHECK(CMP(inum(0), fnum(1e-300)) < 0);
	CHECK(CMP(inum(0), fnum(-1e-300)) > 0);
	/* Exact, as in Python: past 2^53 a double is not every integer. */
	CHECK(CMP(inum(9007199254740993), fnum(9007199254740992.0)) > 0);
	CHECK(CMP(fnum(9007199254740992.0), inum(9007199254740993)) < 0);
	CHECK(CMP(inum(INT64_MAX), fnum(0x1p63)) < 0);
	CHECK(CMP(inum(INT64_MIN), fnum(-0x1p63)) == 0);
	CHECK(CMP(inum(INT64_MIN), fnum(-1e19)) > 0);
	CHECK(CMP(inum(INT64_MAX), fnum(INFINITY)) < 0);
	CHECK(CMP(inum(INT64_MIN), fnum(-INFINITY)) > 0);
	CHECK(CMP(fnum(INFINITY), fnum(1e308)) > 0);
#undef CMP
}

static void
test_format(void)
{
	struct ds_num n;
	char buf[DS_NUM_MAX];

	CHECK(formats(0.0, "0.0"));
	CHECK(formats(-0.0, "-0.0"));
	CHECK(formats(1.0, "1.0"));
	CHECK(formats(-1.5, "-1.5"));
	CHECK(formats(100.0, "100.0"));
	CHECK(formats(0.1, "0.1"));
	CHECK(formats(0.1 + 0.2, "0.30000000000000004"));
	CHECK(formats(1 / 3.0, "0.3333333333333333"));
	CHECK(formats(123.456, "123.456"));
	CHECK(formats(123456789012345.6, "123456789012345.6"));
	CHECK(formats(1234567890123456.7, "1234567890123456.8"));
	/* Positional up to 1e16, exponent from there on. */
	CHECK(formats(1e15, "1000000000000000.0"));
	CHECK(formats(9999999999999998.0, "9999999999999998.0"));
	CHECK(formats(1e16, "1e+16"));
	CHECK(formats(12345678901234567.0, "1.2345678901234568e+16"));
	CHECK(formats(9007199254740993.0, "9007199254740992.0"));
	CHECK(formats(0x1p63, "9.223372036854776e+18"));
	CHECK(formats(1e22, "1e+22"));
	CHECK(formats(1e100, "1e+100"));
	/* Positional down to 1e-4, exponent below. */
	CHECK(formats(0.001, "0.001"));
	CHECK(formats(0.0001, "0.0001"));
	CHECK(formats(-0.0001, "-0.0001"));
	CHECK(formats(1e-5, "1e-05"));
	CHECK(formats(1.5e-05, "1.5e-05"));
	CHECK(formats(0.00001234, "1.234e-05"));
	CHECK(formats(1e-7, "1e-07"));
	CHECK(formats(2.5e-300, "2.5e-300"));
	CHECK(formats(5e-324, "5e-324"));
	CHECK(formats(2.2250738585072014e-308, "2.2250738585072014e-308"));
	CHECK(formats(1.7976931348623157e308, "1.7976931348623157e+308"));
	/*
	 * Powers of two, where the nearest decimal of a length need not read
	 * back but the next one up does.
	 */
	CHECK(formats(0x1p-24, "5.960464477539063e-08"));
	CHECK(formats(-0x1p-24, "-5.960464477539063e-08"));
	CHECK(formats(0x1p-44, "5.684341886080802e-14"));
	CHECK(formats(0x1p89, "6.189700196426902e+26"));
	CHECK(formats(0x1p-1017, "7.120236347223045e-307"));
	CHECK(formats(0x1p976, "6.386688990511104e+293"));
	CHECK(formats(INFINITY, "inf"));
	CHECK(formats(-INFINITY, "-inf"));
	CHECK(formats(NAN, "nan"));

	n = inum(INT64_MIN);
	CHECK(ds_num_format(&n, buf) == 20 &&
	    strcmp(buf, "-9223372036854775808") == 0);
	n = inum(INT64_MAX);
	CHECK(ds_num_format(&n, buf) == 19 &&
	    strcmp(buf, "9223372036854775807") == 0);
	n = inum(0);
	CHECK(ds_num_format(&n, buf) == 1 && strcmp(buf, "0") == 0);
	n = fnum(2.0);
	CHECK(ds_num_format(&n, buf) == 3 && strcmp(buf, "2.0") == 0);
	CHECK(ds_int_format(-1, buf) == 2 && strcmp(buf, "-1") == 0);
	CHECK(ds_int_format(10, buf) == 2 && strcmp(buf, "10") == 0);
	CHECK(ds_int_format(-1000000007, buf) == 11 &&
	    strcmp(buf, "-1000000007") == 0);
}

static void
test_format_round_trip(void)
{
	char buf[DS_NUM_MAX + 8];
	double d, back;
	uint64_t bits;
	size_t n;
	int i, bad = 0, badlen = 0, badsyntax = 0;

	for (i = 0; i < 200000; i++) {
		bits = rng();
		switch (i % 4) {
		case 0:		/* any finite double */
			memcpy(&d, &bits, sizeof(d));
			if (!isfinite(d))
				continue;
			break;
		case 1:		/* short decimals */
			d = (double)((int64_t)(bits % 2000001) - 1000000) /
			    pow(10, (double)((bits >> 40) % 9));
			break;
		case 2:		/* powers of two and their neighbours */
			d = ldexp(1.0, (int)(bits % 2098) - 1074);
			if (bits & (1ULL << 60))
				d = nextafter(d, INFINITY);
			if (bits & (1ULL << 61))
				d = -d;
			break;
		default:	/* integers near 2^53 */
			d = (double)(int64_t)((bits >> 8) % (1LL << 56));
			break;
		}
		memset(buf, 'Z', sizeof(buf));
		n = ds_double_format(d, buf);
		if (n >= DS_NUM_MAX || n != strlen(buf))
			badlen++;
		back = strtod(buf, NULL);
		if (memcmp(&back, &d, sizeof(d)) != 0) {
			if (bad++ < 5)
				printf("# %a formats as %s\n", d, buf);
		}
		/* What we print, we read back as a number. */
		if (ds_num_syntax(buf, n) != DS_NUM_FLOAT)
			badsyntax++;
	}
	CHECK(bad == 0);
	CHECK(badlen == 0);
	CHECK(badsyntax == 0);
}
