/*
 * num.c: exact integers and shortest round-trip floats for aggregates.
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

static size_t	digits(const char *, size_t, size_t);
static int	cmp_int_double(int64_t, double);
static int	next_up_reads_back(char *, double);

static size_t
digits(const char *p, size_t i, size_t len)
{
	while (i < len && p[i] >= '0' && p[i] <= '9')
		i++;
	return i;
}

int
ds_num_syntax(const char *p, size_t len)
{
	size_t i = 0, j;
	int kind = DS_NUM_INT;

	if (i < len && (p[i] == '+' || p[i] == '-'))
		i++;
	j = digits(p, i, len);
	if (j < len && p[j] == '.') {
		kind = DS_NUM_FLOAT;
		j = digits(p, j + 1, len);
		if (j == i + 1)		/* a lone "." */
			return 0;
	} else if (j == i)
		return 0;
	if (j < len && (p[j] == 'e' || p[j] == 'E')) {
		kind = DS_NUM_FLOAT;
		i = j + 1;
		if (i < len && (p[i] == '+' || p[i] == '-'))
			i++;
		j = digits(p, i, len);
		if (j == i)
			return 0;
	}
	return j == len ? kind : 0;
}

int
ds_num_parse_slow(const char *p, size_t len, struct ds_num *n)
{
	char small[64], *s;
	size_t i = 0;
	int kind, neg = 0;
	int64_t v = 0, d;

	if ((kind = ds_num_syntax(p, len)) == 0) {
		errno = EINVAL;
		return -1;
	}
	if (kind == DS_NUM_INT) {
		if (p[0] == '+' || p[0] == '-')
			neg = p[i++] == '-';
		for (; i < len; i++) {
			d = p[i] - '0';
			/* Accumulate negatively: INT64_MIN has no positive twin. */
			if (v < (INT64_MIN + d) / 10) {
				errno = ERANGE;
				return -1;
			}
			v = v * 10 - d;
		}
		if (!neg && v == INT64_MIN) {
			errno = ERANGE;
			return -1;
		}
		n->isfloat = 0;
		n->i = neg ? v : -v;
		return 0;
	}
	s = len < sizeof(small) ? small : malloc(len + 1);
	if (s == NULL)
		return -1;
	memcpy(s, p, len);
	s[len] = '\0';
	n->isfloat = 1;
	n->d = strtod(s, NULL);
	if (s != small)
		free(s);
	if (isinf(n->d)) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

double
ds_num_double(const struct ds_num *n)
{
	return n->isfloat ? n->d : (double)n->i;
}

int
ds_num_add(struct ds_num *acc, const struct ds_num *x)
{
	int64_t r;

	/* On overflow *acc stays as it was: never a wrapped value. */
	if (!acc->isfloat && !x->isfloat) {
		if (__builtin_add_overflow(acc->i, x->i, &r)) {
			errno = ERANGE;
			return -1;
		}
		acc->i = r;
		return 0;
	}
	acc->d = ds_num_double(acc) + ds_num_double(x);
	acc->isfloat = 1;
	return 0;
}

int
ds_num_sub(struct ds_num *acc, const struct ds_num *x)
{
	int64_t r;

	if (!acc->isfloat && !x->isfloat) {
		if (__builtin_sub_overflow(acc->i, x->i, &r)) {
			errno = ERANGE;
			return -1;
		}
		acc->i = r;
		return 0;
	}
	acc->d = ds_num_double(acc) - ds_num_double(x);
	acc->isfloat = 1;
	return 0;
}

/*
 * Compare exactly, as Python does: an int64 past 2^53 need not survive
 * the conversion to double.  NaN compares equal to everything.
 */
static int
cmp_int_double(int64_t i, double d)
{
	int64_t t;
	double frac;

	if (isnan(d))
		return 0;
	if (d >= 0x1p63)
		return -1;
	if (d < -0x1p63)
		return 1;
	t = (int64_t)d;		/* d truncated, which fits */
	if (i != t)
		return (i > t) - (i < t);
	frac = d - (double)t;	/* exact */
	return (frac < 0) - (frac > 0);
}

int
ds_num_cmp(const struct ds_num *a, const struct ds_num *b)
{
	if (!a->isfloat && !b->isfloat)
		return (a->i > b->i) - (a->i < b->i);
	if (!a->isfloat)
		return cmp_int_double(a->i, b->d);
	if (!b->isfloat)
		return -cmp_int_double(b->i, a->d);
	return (a->d > b->d) - (a->d < b->d);
}

size_t
ds_num_format(const struct ds_num *n, char *buf)
{
	if (n->isfloat)
		return ds_double_format(n->d, buf);
	return ds_int_format(n->i, buf);
}

/* printf's %lld is slow to set up for the one number of a record. */
size_t
ds_int_format(int64_t v, char *buf)
{
	char tmp[DS_NUM_MAX], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	size_t n;

	do
		*--p = '0' + u % 10;
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	n = tmp + sizeof(tmp) - p;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return n;
}

/*
 * %.*e rounds to the nearest decimal, but at a power of two the doubles
 * below lie twice as close as those above, so the nearest may not read
 * back when the next decimal up does; Python's repr takes that one.
 * Replace e by it when it reads back as d.
 */
static int
next_up_reads_back(char *e, double d)
{
	char up[32];
	size_t i;

	memcpy(up, e, sizeof(up));
	for (i = strcspn(up, "e"); i > 0; i--) {
		if (up[i - 1] == '.')
			continue;
		if (up[i - 1] < '0' || up[i - 1] > '9')
			return 0;	/* all nines: 10^n was tried shorter */
		if (up[i - 1] != '9') {
			up[i - 1]++;
			break;
		}
		up[i - 1] = '0';
	}
	if (i == 0 || strtod(up, NULL) != d)
		return 0;
	memcpy(e, up, sizeof(up));
	return 1;
}

/*
 * Python's repr of a float: the shortest digits that read back the same,
 * positional when the exponent is in [-4, 16), else d.ddde+XX.
 */
size_t
ds_double_format(double d, char *buf)
{
	char e[32], dig[20], *p = buf;
	int prec, exp, bexp, n, i;

	if (isnan(d))
		return snprintf(buf, DS_NUM_MAX, "nan");
	if (isinf(d))
		return snprintf(buf, DS_NUM_MAX, d < 0 ? "-inf" : "inf");
	for (prec = 1; prec <= 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec - 1, d);
		if (strtod(e, NULL) == d)
			break;
		if (fabs(frexp(d, &bexp)) == 0.5 && next_up_reads_back(e, d))
			break;
	}
	/* e is [-]D[.DDD]e[+-]XX */
	i = 0;
	if (e[i] == '-')
		*p++ = e[i++];
	for (n = 0; e[i] != 'e'; i++)
		if (e[i] != '.')
			dig[n++] = e[i];
	exp = atoi(e + i + 1);
	while (n > 1 && dig[n - 1] == '0')
		n--;
	if (exp >= -4 && exp < 16) {
		if (exp < 0) {
			*p++ = '0';
			*p++ = '.';
			for (i = -1; i > exp; i--)
				*p++ = '0';
			memcpy(p, dig, n);
			p += n;
		} else {
			for (i = 0; i <= exp; i++)
				*p++ = i < n ? dig[i] : '0';
			*p++ = '.';
			if (n > exp + 1) {
				memcpy(p, dig + exp + 1, n - exp - 1);
				p += n - exp - 1;
			} else
				*p++ = '0';
		}
		*p = '\0';
		return p - buf;
	}
	*p++ = dig[0];
	if (n > 1) {
		*p++ = '.';
		memcpy(p, dig + 1, n - 1);
		p += n - 1;
	}
	p += snprintf(p, 8, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	return p - buf;
}
