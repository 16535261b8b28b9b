/*
 * escape.c: fuzz the escapes with their round trip as the property:
 * unescape(escape(x)) == x for any bytes x, and unescaping any bytes
 * either fails cleanly or gives no more bytes than it read.
 */

#include <stdlib.h>
#include <string.h>

#include "ds.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *esc, *back;
	size_t n, m;

	if ((esc = malloc(2 * size + 1)) == NULL ||
	    (back = malloc(size + 1)) == NULL)
		abort();
	n = ds_escape(esc, (const char *)data, size);
	if (memchr(esc, '\t', n) != NULL || memchr(esc, '\n', n) != NULL)
		abort();
	if (ds_unescape(back, esc, n, &m) == -1 || m != size ||
	    memcmp(back, data, size) != 0)
		abort();
	memcpy(back, data, size);
	if (ds_unescape(back, back, size, &m) == 0 && m > size)
		abort();
	free(esc);
	free(back);
	return 0;
}
