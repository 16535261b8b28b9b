/*
 * kept.c: a stateful stage's output of the batches downstream has not
 * committed, to be written again on replay.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

static struct ds_kept_batch *append(struct ds_kept *);

static struct ds_kept_batch *
append(struct ds_kept *k)
{
	struct ds_kept_batch *p;
	size_t cap;

	if (k->n == k->cap) {
		cap = k->cap != 0 ? k->cap * 2 : 16;
		if ((p = reallocarray(k->batch, cap, sizeof(*p))) == NULL)
			return NULL;
		k->batch = p;
		k->cap = cap;
	}
	p = &k->batch[k->n++];
	memset(p, 0, sizeof(*p));
	return p;
}

int
ds_kept_open(struct ds_kept *k)
{
	if (append(k) == NULL)
		return -1;
	k->open = 1;
	return 0;
}

int
ds_kept_record(struct ds_kept *k, struct ds_writer *w,
    const struct ds_field *f, size_t n)
{
	struct ds_buf *b;
	size_t from;

	if (!k->open)
		return ds_write_record(w, f, n);
	b = &k->batch[k->n - 1].lines;
	from = b->len;
	/* Escaped once, for the stream and for keeping alike. */
	if (ds_escape_record(b, f, n) == -1)
		return -1;
	if (ds_write_escaped(w, b->data + from, b->len - from) == -1 ||
	    ds_write_end(w) == -1)
		return -1;
	return ds_buf_append(b, "\n", 1);
}

void
ds_kept_close(struct ds_kept *k, int64_t t)
{
	if (!k->open)
		return;
	k->batch[k->n - 1].t = t;
	k->open = 0;
}

int
ds_kept_add(struct ds_kept *k, int64_t t, const char *lines, size_t len)
{
	struct ds_kept_batch *p;

	if ((k->n > 0 && t <= k->batch[k->n - 1].t) ||
	    (len > 0 && lines[len - 1] != '\n')) {
		errno = EINVAL;
		return -1;
	}
	if ((p = append(k)) == NULL)
		return -1;
	p->t = t;
	if (ds_buf_append(&p->lines, lines, len) == -1) {
		k->n--;
		return -1;
	}
	return 0;
}

void
ds_kept_trim(struct ds_kept *k, int64_t t)
{
	size_t i, last = k->n - (k->open ? 1 : 0);

	for (i = 0; i < last && k->batch[i].t <= t; i++)
		ds_buf_free(&k->batch[i].lines);
	memmove(k->batch, k->batch + i, (k->n - i) * sizeof(*k->batch));
	k->n -= i;
}

int
ds_kept_replay(const struct ds_kept *k, int64_t t, struct ds_writer *w)
{
	const struct ds_kept_batch *b = NULL;
	const char *p, *end, *lf;
	size_t i;

	for (i = 0; i < k->n; i++)
		if (k->batch[i].t == t && !(k->open && i == k->n - 1))
			b = &k->batch[i];
	if (b == NULL)
		return 0;
	p = b->lines.data;
	end = p + b->lines.len;
	for (; p < end; p = lf + 1) {
		lf = memchr(p, '\n', end - p);
		if (ds_write_escaped(w, p, lf - p) == -1 ||
		    ds_write_end(w) == -1)
			return -1;
	}
	if (ds_write_batch(w, t) == -1)
		return -1;
	return 1;
}

int
ds_kept_save(const struct ds_kept *k, struct ds_writer *w)
{
	char num[DS_NUM_MAX];
	size_t i, last = k->n - (k->open ? 1 : 0);

	for (i = 0; i < last; i++)
		if (ds_write_field(w, num, ds_int_format(k->batch[i].t,
		    num)) == -1 ||
		    ds_write_field(w, k->batch[i].lines.data != NULL ?
		    k->batch[i].lines.data : "", k->batch[i].lines.len) == -1 ||
		    ds_write_end(w) == -1)
			return -1;
	return 0;
}

void
ds_kept_free(struct ds_kept *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		ds_buf_free(&k->batch[i].lines);
	free(k->batch);
	memset(k, 0, sizeof(*k));
}
