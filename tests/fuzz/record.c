/*
 * record.c: fuzz the wire both ways, with the round trip as the property:
 * records of any bytes written by the writer and read back by the reader
 * are the same records, in the same batch.  The input is cut into records
 * at each byte 0xfe and into fields at each byte 0xff; every other byte,
 * TAB, LF, backslash, '#' and '%' included, is field content.
 */

#define _GNU_SOURCE
#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The length of the field or record at data[off], up to stop or end. */
static size_t
piece(const uint8_t *data, size_t off, size_t end, uint8_t stop)
{
	size_t i;

	for (i = off; i < end && data[i] != stop; i++)
		continue;
	return i - off;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds_writer w;
	struct ds_reader r;
	size_t rec, rlen, f, flen, i;
	int fd;

	if ((fd = memfd_create("fuzz", 0)) == -1 ||
	    ds_writer_init(&w, fd) == -1 || ds_write_header(&w) == -1)
		abort();
	for (rec = 0; rec <= size; rec += rlen + 1) {
		rlen = piece(data, rec, size, 0xfe);
		for (f = rec; f <= rec + rlen; f += flen + 1) {
			flen = piece(data, f, rec + rlen, 0xff);
			if (ds_write_field(&w, data + f, flen) == -1)
				abort();
		}
		if (ds_write_end(&w) == -1)
			abort();
	}
	if (ds_write_batch(&w, 1) == -1 || ds_writer_close(&w) == -1)
		abort();

	lseek(fd, 0, SEEK_SET);
	if (ds_reader_init(&r, fd, "fuzz", DS_AUTO) == -1)
		abort();
	for (rec = 0; rec <= size; rec += rlen + 1) {
		rlen = piece(data, rec, size, 0xfe);
		if (ds_read(&r) != DS_RECORD)
			abort();
		i = 0;
		for (f = rec; f <= rec + rlen; f += flen + 1, i++) {
			flen = piece(data, f, rec + rlen, 0xff);
			if (i >= r.nfield || r.field[i].len != flen ||
			    memcmp(r.field[i].data, data + f, flen) != 0)
				abort();
		}
		if (i != r.nfield)
			abort();
	}
	if (ds_read(&r) != DS_BATCH || r.time != 1 || r.synthetic ||
	    ds_read(&r) != DS_EOF)
		abort();
	ds_reader_free(&r);
	close(fd);
	return 0;
}
