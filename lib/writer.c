/*
 * writer.c: buffered output of ds streams, escaping fields on the way.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

/*
 * What a Linux pipe holds by default.  A larger write into such a pipe
 * sleeps half-way until the reader has emptied it; in a pipeline of ds
 * programs on two cores, 128 KB writes made the word count 20% slower.
 */
#define WRITE_CAP	(64 * 1024)

/* Only what goes to stdout is a stage's output, to the metrics. */
#define MEASURED(w)	((w)->fd == STDOUT_FILENO && ds_metrics.on > 0)

int
ds_writer_init(struct ds_writer *w, int fd)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->cap = WRITE_CAP;
	ds_metrics_init();
	if ((w->buf = malloc(w->cap)) == NULL)
		return -1;
	return 0;
}

int
ds_writer_flush(struct ds_writer *w)
{
	size_t off = 0;
	ssize_t n;

	if (w->error != 0) {
		errno = w->error;
		return -1;
	}
	if (MEASURED(w))
		ds_metrics_wrote(w, w->buf, w->len);
	while (off < w->len) {
		n = write(w->fd, w->buf + off, w->len - off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			w->error = errno;
			return -1;
		}
		off += n;
	}
	w->len = 0;
	w->pending = 0;
	return 0;
}

int
ds_writer_close(struct ds_writer *w)
{
	int rc;

	rc = ds_writer_flush(w);
	free(w->buf);
	w->buf = NULL;
	w->cap = 0;
	return rc;
}

/* Make room for n more bytes, flushing first; n may exceed the buffer. */
int
ds_writer_room(struct ds_writer *w, size_t n)
{
	char *p;

	if (w->error != 0) {
		errno = w->error;
		return -1;
	}
	if (w->cap - w->len >= n)
		return 0;
	if (ds_writer_flush(w) == -1)
		return -1;
	if (w->cap >= n)
		return 0;
	if ((p = realloc(w->buf, n)) == NULL)
		return -1;
	w->buf = p;
	w->cap = n;
	return 0;
}

int
ds_write_bytes(struct ds_writer *w, const void *p, size_t len)
{
	if (len == 0)
		return w->error != 0 ? (errno = w->error, -1) : 0;
	if (len >= w->cap) {
		if (ds_writer_flush(w) == -1)
			return -1;
		if (MEASURED(w))
			ds_metrics_wrote(w, p, len);
		while (len > 0) {
			ssize_t n = write(w->fd, p, len);
			if (n == -1) {
				if (errno == EINTR)
					continue;
				w->error = errno;
				return -1;
			}
			p = (const char *)p + n;
			len -= n;
		}
		return 0;
	}
	if (ds_writer_room(w, len) == -1)
		return -1;
	memcpy(w->buf + w->len, p, len);
	w->len += len;
	return 0;
}

int
ds_write_header(struct ds_writer *w)
{
	if (MEASURED(w))
		ds_metrics.outnonrec++;
	return ds_write_bytes(w, "#ds1\n", 5);
}

int
ds_write_field(struct ds_writer *w, const void *data, size_t len)
{
	const char *p = data;
	size_t chunk;
	int fits;

	/* Most fields are short, and the buffer has room for them escaped. */
	fits = w->error == 0 && len < w->cap / 2 &&
	    w->cap - w->len > 2 * len;
	if (!fits && ds_writer_room(w, 2) == -1)
		return -1;
	if (w->nfield++ > 0)
		w->buf[w->len++] = '\t';
	else if (len > 0 && (p[0] == '#' || p[0] == '%'))
		w->buf[w->len++] = '\\';
	if (fits) {
		w->len += ds_escape(w->buf + w->len, p, len);
		return 0;
	}
	/* Escaping at most doubles a chunk; big fields go in pieces. */
	while (len > 0) {
		chunk = len < WRITE_CAP / 2 ? len : WRITE_CAP / 2;
		if (ds_writer_room(w, 2 * chunk) == -1)
			return -1;
		w->len += ds_escape(w->buf + w->len, p, chunk);
		p += chunk;
		len -= chunk;
	}
	return 0;
}

int
ds_write_escaped(struct ds_writer *w, const void *data, size_t len)
{
	const char *p = data;

	if (ds_writer_room(w, 2) == -1)
		return -1;
	if (w->nfield++ > 0)
		w->buf[w->len++] = '\t';
	else if (len > 0 && (p[0] == '#' || p[0] == '%'))
		w->buf[w->len++] = '\\';
	return ds_write_bytes(w, p, len);
}

int
ds_write_end(struct ds_writer *w)
{
	if (ds_writer_room(w, 1) == -1)
		return -1;
	w->buf[w->len++] = '\n';
	w->nfield = 0;
	return 0;
}

int
ds_write_record(struct ds_writer *w, const struct ds_field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ds_write_field(w, f[i].data, f[i].len) == -1)
			return -1;
	return ds_write_end(w);
}

int
ds_write_batch(struct ds_writer *w, int64_t ms)
{
	char line[DS_NUM_MAX + 2];
	size_t n;

	line[0] = '%';
	n = 1 + ds_int_format(ms, line + 1);
	line[n++] = '\n';
	if (ds_write_bytes(w, line, n) == -1)
		return -1;
	w->nfield = 0;
	w->pending = 1;
	if (MEASURED(w))
		ds_metrics_batch(w, ms, 1);
	return 0;
}

void
ds_writer_mark(struct ds_writer *w)
{
	w->pending = 1;
	if (MEASURED(w))
		ds_metrics_batch(w, ds_metrics.intime, 0);
}
