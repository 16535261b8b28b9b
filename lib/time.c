/*
 * time.c: the wall clock in milliseconds, and the times users write.
 */

#include <errno.h>
#include <string.h>
#include <time.h>

#include "ds.h"

static int	number(const char **, int, int *);
static int	days_in(int, int);

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
