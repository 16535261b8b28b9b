/*
 * time.c: the wall clock in milliseconds, the times users write, the
 * times records carry, and the local calendar.
 */

/* strptime(3) is X/Open's. */
#define _XOPEN_SOURCE	700

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds.h"

static int	number(const char **, int, int *);
static int	days_in(int, int);
static int	epoch(const char *, int, int64_t *);
static int	strf(const char *, const char *, int64_t *);
static int64_t	midnight(int64_t, int, int64_t *);

int64_t
ds_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read exactly width digits at *s. */
static int
number(const char **s, int width, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < width; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return -1;
		*v = *v * 10 + ((*s)[i] - '0');
	}
	*s += width;
	return 0;
}

/* Days in month mo (1 to 12) of year y, in the Gregorian calendar. */
static int
days_in(int y, int mo)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[mo - 1];
}

int
ds_time_parse(const char *s, int64_t *ms)
{
	struct tm tm;
	const char *p = s;
	time_t t;
	int64_t frac = 0, scale = 100, v;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, zone = 0, off = 0;

	if (*p >= '0' && *p <= '9' && p[strspn(p, "0123456789")] == '\0') {
		for (v = 0; *p != '\0'; p++) {
			if (v > (INT64_MAX - (*p - '0')) / 10)
				goto bad;
			v = v * 10 + (*p - '0');
		}
		*ms = v;
		return 0;
	}
	if (number(&p, 4, &y) == -1 || *p++ != '-' ||
	    number(&p, 2, &mo) == -1 || *p++ != '-' ||
	    number(&p, 2, &d) == -1)
		goto bad;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (number(&p, 2, &h) == -1 || *p++ != ':' ||
		    number(&p, 2, &mi) == -1)
			goto bad;
		if (*p == ':') {
			p++;
			if (number(&p, 2, &sec) == -1)
				goto bad;
			if (*p == '.' || *p == ',') {
				for (p++; *p >= '0' && *p <= '9'; p++) {
					frac += (*p - '0') * scale;
					scale /= 10;
				}
			}
		}
	}
	if (*p == 'Z') {
		zone = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		zone = 1;
		off = *p++ == '-' ? -1 : 1;
		if (number(&p, 2, &oh) == -1)
			goto bad;
		if (*p == ':')
			p++;
		if (number(&p, 2, &om) == -1 || oh > 23 || om > 59)
			goto bad;
		off *= oh * 3600 + om * 60;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo) ||
	    h > 23 || mi > 59 || sec > 60)
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	t = zone ? timegm(&tm) - off : mktime(&tm);
	*ms = (int64_t)t * 1000 + frac;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int
ds_timefmt_parse(struct ds_timefmt *f, const char *spec)
{
	f->strf = NULL;
	if (spec == NULL || strcmp(spec, "auto") == 0)
		f->kind = DS_TIME_AUTO;
	else if (strcmp(spec, "s") == 0)
		f->kind = DS_TIME_S;
	else if (strcmp(spec, "ms") == 0)
		f->kind = DS_TIME_MS;
	else if (strcmp(spec, "iso") == 0)
		f->kind = DS_TIME_ISO;
	else if (strchr(spec, '%') != NULL) {
		f->kind = DS_TIME_STRF;
		f->strf = spec;
	} else {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/*
 * Digits, with a fraction of a second after a point when unit is
 * seconds: "1700000000.25".  Auto takes an integer below 10^11 for
 * seconds (up to the year 5138) and a larger one for milliseconds (from
 * March 1973 on).
 */
static int
epoch(const char *s, int kind, int64_t *ms)
{
	int64_t v = 0, frac = 0, scale = 100;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (INT64_MAX - (*p - '0')) / 10) {
			errno = ERANGE;
			return -1;
		}
		v = v * 10 + (*p - '0');
	}
	if (p == s) {
		errno = EINVAL;
		return -1;
	}
	if (*p == '.' && kind != DS_TIME_MS) {
		if (kind == DS_TIME_AUTO)
			kind = DS_TIME_S;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (kind == DS_TIME_AUTO)
		kind = v < 100000000000LL ? DS_TIME_S : DS_TIME_MS;
	if (kind == DS_TIME_S) {
		if (v > (INT64_MAX - 999) / 1000) {
			errno = ERANGE;
			return -1;
		}
		v = v * 1000 + frac;
	}
	*ms = v;
	return 0;
}

/*
 * strptime's format, all of s consumed.  A %z gives the offset; without
 * one the time is local, as TZ says.
 */
static int
strf(const char *s, const char *fmt, int64_t *ms)
{
	struct tm tm;
	const char *end;
	long off;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 70;
	tm.tm_mday = 1;
	if ((end = strptime(s, fmt, &tm)) == NULL || *end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (strstr(fmt, "%z") != NULL) {
		/* Read before timegm, which clears it. */
		off = tm.tm_gmtoff;
		t = timegm(&tm) - off;
	} else {
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	/* %s reads any number of seconds. */
	if (t > INT64_MAX / 1000 || t < INT64_MIN / 1000) {
		errno = ERANGE;
		return -1;
	}
	*ms = (int64_t)t * 1000;
	return 0;
}

int
ds_time_field(const struct ds_timefmt *f, const char *p, size_t len,
    int64_t *ms)
{
	char s[64];
	int64_t v;
	int rc;

	/* No time is that long; a NUL would end it early. */
	if (len >= sizeof(s) || memchr(p, '\0', len) != NULL) {
		errno = EINVAL;
		return -1;
	}
	memcpy(s, p, len);
	s[len] = '\0';
	switch (f->kind) {
	case DS_TIME_STRF:
		rc = strf(s, f->strf, &v);
		break;
	case DS_TIME_ISO:
		/* Not the bare milliseconds that ds_time_parse also reads. */
		rc = len > 4 && s[4] == '-' ? ds_time_parse(s, &v) : -1;
		if (rc == -1)
			errno = EINVAL;
		break;
	case DS_TIME_AUTO:
		if (len > 4 && s[4] == '-') {
			rc = ds_time_parse(s, &v);
			break;
		}
		/* FALLTHROUGH */
	default:
		rc = epoch(s, f->kind, &v);
	}
	if (rc == -1)
		return -1;
	if (v < 0) {
		errno = ERANGE;
		return -1;
	}
	*ms = v;
	return 0;
}

int
ds_calendar_ok(int64_t d)
{
	return d > 0 && (d % DS_DAY_MS == 0 || DS_DAY_MS % d == 0);
}

/*
 * The local midnight that starts the day of time t, days days later,
 * and (when next is not NULL) the one after it.  mktime settles what
 * the zone's rules make of the date, 23 or 25 hours being a day.
 */
static int64_t
midnight(int64_t t, int days, int64_t *next)
{
	struct tm tm;
	time_t s;

	s = (time_t)(t >= 0 ? t / 1000 : (t - 999) / 1000);
	localtime_r(&s, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday += days;
	tm.tm_isdst = -1;
	s = mktime(&tm);
	if (next != NULL) {
		tm.tm_mday++;
		tm.tm_isdst = -1;
		*next = (int64_t)mktime(&tm) * 1000;
	}
	return (int64_t)s * 1000;
}

int64_t
ds_calendar_next(int64_t t, int64_t step)
{
	struct tm tm;
	time_t s;
	int64_t m0, m1, n, b;
	int k;

	if (step % DS_DAY_MS != 0) {
		/* A step that divides a day: from local midnight on. */
		m0 = midnight(t, 0, &m1);
		b = m0 + ((t - m0) / step + 1) * step;
		return b < m1 ? b : m1;
	}
	/* Whole days: the midnights of the days numbered a multiple. */
	n = step / DS_DAY_MS;
	for (k = 0;; k++) {
		b = midnight(t, k, NULL);
		if (b <= t)
			continue;
		s = (time_t)(b / 1000);
		localtime_r(&s, &tm);
		/* The day's number since 1970-01-01, by its date alone. */
		tm.tm_hour = 12;
		tm.tm_isdst = 0;
		if (((int64_t)timegm(&tm) / 86400) % n == 0)
			return b;
	}
}

int64_t
ds_calendar_back(int64_t t, int64_t length)
{
	struct tm tm;
	time_t s;
	int64_t ms;

	if (length % DS_DAY_MS != 0)
		return t - length;
	/* The same local time of day, length's days before. */
	s = (time_t)(t >= 0 ? t / 1000 : (t - 999) / 1000);
	ms = t - (int64_t)s * 1000;
	localtime_r(&s, &tm);
	tm.tm_mday -= (int)(length / DS_DAY_MS);
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000 + ms;
}
