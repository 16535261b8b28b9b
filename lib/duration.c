/*
 * duration.c: durations as every ds program spells them (500ms, 1s, 2m).
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ds.h"

int
ds_duration_parse(const char *s, int64_t *ms)
{
	static const struct {
		const char	*suffix;
		int64_t		 ms;
	} unit[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "d", 86400000 }
	};
	int64_t v = 0;
	size_t i;

	if (*s < '0' || *s > '9') {
		errno = EINVAL;
		return -1;
	}
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (INT64_MAX - (*s - '0')) / 10) {
			errno = ERANGE;
			return -1;
		}
		v = v * 10 + (*s - '0');
	}
	for (i = 0; i < sizeof(unit) / sizeof(unit[0]); i++) {
		if (strcmp(s, unit[i].suffix) != 0)
			continue;
		if (v > INT64_MAX / unit[i].ms) {
			errno = ERANGE;
			return -1;
		}
		*ms = v * unit[i].ms;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

char *
ds_duration_format(int64_t ms, char *buf, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(buf, size, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, size, "%lldms", (long long)ms);
	return buf;
}
