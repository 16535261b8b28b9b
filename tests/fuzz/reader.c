/*
 * reader.c: fuzz the stream reader: any bytes, as a ds stream or raw,
 * must give records, batch ends, a clean end or an error, never a crash;
 * every record must be its fields joined by TAB; and the one-pass split
 * of short records must read exactly what the general path reads.
 */

#define _GNU_SOURCE
#include <sys/mman.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
put(struct ds_buf *b, const void *p, size_t len)
{
	if (ds_buf_append(b, p, len) == -1)
		abort();
}

/*
 * Read data in mode with line limit maxline (SIZE_MAX: none, but the
 * one-pass split is off, as for any limit), writing what was read into
 * log.
 */
static void
read_all(const uint8_t *data, size_t size, int mode, size_t maxline,
    struct ds_buf *log)
{
	struct ds_reader r;
	size_t i, len;
	int fd, rc;

	if ((fd = memfd_create("fuzz", 0)) == -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	if (ds_reader_init(&r, fd, "fuzz", mode) == -1)
		abort();
	r.maxline = maxline;
	while ((rc = ds_read(&r)) != DS_EOF) {
		put(log, &rc, sizeof(rc));
		put(log, &r.lineno, sizeof(r.lineno));
		if (rc == -1) {
			put(log, &errno, sizeof(errno));
			if (errno == EMSGSIZE)
				continue;
			if (errno != EBADMSG)
				abort();
			break;
		}
		if (rc == DS_BATCH) {
			/* A made-up time is the clock's, not the input's. */
			if (!r.synthetic)
				put(log, &r.time, sizeof(r.time));
			continue;
		}
		/* The record is its fields joined by TAB. */
		for (i = 0, len = 0; i < r.nfield; i++) {
			if (i > 0 && (len >= r.reclen || r.rec[len++] != '\t'))
				abort();
			if (r.field[i].data != r.rec + len)
				abort();
			len += r.field[i].len;
			put(log, &r.field[i].len, sizeof(r.field[i].len));
			put(log, r.field[i].data, r.field[i].len);
		}
		if (len != r.reclen)
			abort();
	}
	ds_reader_free(&r);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds_buf fast = { NULL, 0, 0 }, general = { NULL, 0, 0 };
	struct ds_buf limited = { NULL, 0, 0 };

	read_all(data, size, DS_AUTO, 0, &fast);
	read_all(data, size, DS_AUTO, SIZE_MAX, &general);
	if (fast.len != general.len ||
	    (fast.len > 0 && memcmp(fast.data, general.data, fast.len) != 0))
		abort();
	/* Exercise the line limit, and record lines (ds-transform's). */
	read_all(data, size, DS_AUTO, size > 0 ? data[0] * 4 : 0, &limited);
	limited.len = 0;
	read_all(data, size, DS_AUTO_LINES, 0, &limited);
	ds_buf_free(&fast);
	ds_buf_free(&general);
	ds_buf_free(&limited);
	return 0;
}
