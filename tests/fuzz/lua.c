/*
 * lua.c: fuzz the Lua paths with records: any record through the
 * expressions of ds-map, ds-filter and ds-flatmap must give fields or an
 * error, never a crash.
 */

#include <stdlib.h>
#include <string.h>

#include "ds.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct ds_lua *map, *filter, *flat;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds_field f[8], *out;
	char msg[256], *copy;
	size_t n = 0, i, start = 0, nout;

	if (map == NULL) {
		map = ds_lua_new("k, tonumber(v) and v * 2, #r, f[3]", NULL,
		    msg, sizeof(msg));
		filter = ds_lua_new("r:find(k or '', 1, true) and #f > 1",
		    NULL, msg, sizeof(msg));
		flat = ds_lua_new("r:gmatch('[^,]+')", NULL, msg, sizeof(msg));
		if (map == NULL || filter == NULL || flat == NULL)
			abort();
	}
	if ((copy = malloc(size + 1)) == NULL)
		abort();
	memcpy(copy, data, size);
	for (i = 0; i <= size && n < 8; i++)
		if (i == size || copy[i] == '\t') {
			f[n].data = copy + start;
			f[n++].len = i - start;
			start = i + 1;
		}
	ds_lua_set_record(map, f, n, copy, size);
	(void)ds_lua_fields(map, &out, &nout);
	ds_lua_set_record(filter, f, n, copy, size);
	(void)ds_lua_bool(filter);
	ds_lua_set_record(flat, f, n, copy, size);
	if (ds_lua_records(flat) == 0)
		while (ds_lua_next(flat, &out, &nout) == 1)
			;
	free(copy);
	return 0;
}
