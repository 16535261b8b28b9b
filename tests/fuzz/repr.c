/*
 * repr.c: fuzz Python's repr of a str: for any bytes, the result is
 * quoted, valid UTF-8, and holds no control character.
 */

#include <stdlib.h>
#include <string.h>

#include "ds.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds_buf b = { 0 };
	uint32_t c;
	size_t i;
	int n;

	if (ds_repr(&b, (const char *)data, size) == -1)
		abort();
	if (b.len < 2 || (b.data[0] != '\'' && b.data[0] != '"') ||
	    b.data[b.len - 1] != b.data[0])
		abort();
	for (i = 0; i < b.len; i += n) {
		if ((n = ds_utf8_decode(b.data + i, b.len - i, &c)) == 0)
			abort();
		if (c < 0x20 || c == 0x7f)
			abort();
	}
	ds_buf_free(&b);
	return 0;
}
