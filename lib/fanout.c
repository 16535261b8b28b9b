/*
 * fanout.c: one stream written to several non-blocking pipes, each
 * through a bounded queue of its own, so that a poll loop can feed
 * several processes while it does other work.
 */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

struct ds_fanout_out {
	int		 fd;	/* -1 once closed */
	struct ds_buf	 q;	/* bytes it has yet to get, from off */
	size_t		 off;
};

int
ds_fanout_init(struct ds_fanout *f, const int *fd, size_t n)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	if ((f->out = calloc(n, sizeof(*f->out))) == NULL)
		return -1;
	f->n = n;
	for (i = 0; i < n; i++)
		f->out[i].fd = fd[i];
	return 0;
}

void
ds_fanout_free(struct ds_fanout *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		ds_fanout_close(f, i);
		ds_buf_free(&f->out[i].q);
	}
	free(f->out);
	f->out = NULL;
	f->n = 0;
}

int
ds_fanout_open(const struct ds_fanout *f, size_t i)
{
	return f->out[i].fd != -1;
}

void
ds_fanout_close(struct ds_fanout *f, size_t i)
{
	struct ds_fanout_out *o = &f->out[i];

	if (o->fd != -1)
		close(o->fd);
	o->fd = -1;
	o->q.len = o->off = 0;
}

int
ds_fanout_full(const struct ds_fanout *f, size_t i)
{
	return f->out[i].q.len - f->out[i].off >= DS_FANOUT_MAX;
}

int
ds_fanout_blocked(const struct ds_fanout *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (ds_fanout_full(f, i))
			return 1;
	return 0;
}

int
ds_fanout_flush(struct ds_fanout *f, size_t i)
{
	struct ds_fanout_out *o = &f->out[i];
	int rc;

	if (o->fd == -1)
		return 0;
	if ((rc = ds_buf_drain(&o->q, &o->off, o->fd)) == -1) {
		if (errno != EPIPE)
			return -1;
		/* Its reader has stopped reading, as head(1) does. */
		ds_fanout_close(f, i);
		return 0;
	}
	if (rc == 0 && f->ending)
		ds_fanout_close(f, i);
	return 0;
}

int
ds_fanout_record(struct ds_fanout *f, size_t i, const struct ds_reader *r)
{
	struct ds_buf *q = &f->out[i].q;

	if (f->out[i].fd == -1)
		return 0;
	/* Most lines are copied as they were read, into room there is. */
	if (ds_record_verbatim(r) && q->cap - q->len > r->reclen) {
		memcpy(q->data + q->len, r->rec, r->reclen);
		q->len += r->reclen;
		q->data[q->len++] = '\n';
	} else if (ds_reader_line(r, q) == -1)
		return -1;
	if (q->len - f->out[i].off < DS_FANOUT_MAX)
		return 0;
	if (ds_fanout_flush(f, i) == -1)
		return -1;
	return ds_fanout_full(f, i);
}

int
ds_fanout_bytes(struct ds_fanout *f, size_t i, const void *p, size_t len)
{
	if (f->out[i].fd == -1)
		return 0;
	return ds_buf_append(&f->out[i].q, p, len);
}

int
ds_fanout_batch(struct ds_fanout *f, int64_t t)
{
	char line[DS_NUM_MAX + 2];
	size_t i, n;

	line[0] = '%';
	n = 1 + ds_int_format(t, line + 1);
	line[n++] = '\n';
	for (i = 0; i < f->n; i++)
		if (ds_fanout_bytes(f, i, line, n) == -1)
			return -1;
	return 0;
}

void
ds_fanout_end(struct ds_fanout *f)
{
	size_t i;

	f->ending = 1;
	for (i = 0; i < f->n; i++)
		if (f->out[i].q.len == 0)
			ds_fanout_close(f, i);
}

size_t
ds_fanout_pollfds(const struct ds_fanout *f, struct pollfd *pfd)
{
	size_t i, n = 0;

	for (i = 0; i < f->n; i++) {
		if (f->out[i].fd == -1 || f->out[i].q.len == 0)
			continue;
		pfd[n].fd = f->out[i].fd;
		pfd[n].events = POLLOUT;
		pfd[n].revents = 0;
		n++;
	}
	return n;
}
