/*
 * reader.c: fuzz the stream reader: any bytes, as a ds stream or raw,
 * must give records, batch ends, a clean end or an error, never a crash;
 * and every record must be its fields joined by TAB.
 */

#define _GNU_SOURCE
#include <sys/mman.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds_reader r;
	size_t i, len;
	int fd, rc;

	if ((fd = memfd_create("fuzz", 0)) == -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	if (ds_reader_init(&r, fd, "fuzz", DS_AUTO) == -1)
		abort();
	r.maxline = size > 0 ? data[0] * 4 : 0;	/* exercise the limit too */
	while ((rc = ds_read(&r)) != DS_EOF) {
		if (rc == -1) {
			if (errno == EMSGSIZE)
				continue;
			if (errno != EBADMSG)
				abort();
			break;
		}
		if (rc != DS_RECORD)
			continue;
		len = r.nfield - 1;
		for (i = 0; i < r.nfield; i++)
			len += r.field[i].len;
		if (len != r.reclen)
			abort();
	}
	ds_reader_free(&r);
	close(fd);
	return 0;
}
