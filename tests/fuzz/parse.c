/*
 * parse.c: fuzz what users type and data holds: durations, times and
 * numbers; a number that parses must format and parse back to itself,
 * and a record's time, in each format, is never before the epoch.
 */

#include <stdlib.h>
#include <string.h>

#include "ds.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fmt[] = {
		"auto", "s", "ms", "iso", "%Y-%m-%d %H:%M:%S %z"
	};
	struct ds_timefmt f;
	struct ds_num n, back;
	char *s, buf[DS_NUM_MAX];
	int64_t ms;
	size_t len, i;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	(void)ds_duration_parse(s, &ms);
	(void)ds_time_parse(s, &ms);
	for (i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		if (ds_timefmt_parse(&f, fmt[i]) == -1)
			abort();
		if (ds_time_field(&f, (const char *)data, size, &ms) == 0 &&
		    ms < 0)
			abort();
	}
	if (ds_num_parse((const char *)data, size, &n) == 0) {
		len = ds_num_format(&n, buf);
		if (len >= DS_NUM_MAX || ds_num_parse(buf, len, &back) == -1 ||
		    back.isfloat != n.isfloat ||
		    (n.isfloat ? memcmp(&back.d, &n.d, sizeof(n.d)) != 0 &&
		    n.d == n.d : back.i != n.i))
			abort();
	}
	free(s);
	return 0;
}
