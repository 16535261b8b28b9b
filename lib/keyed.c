/*
 * keyed.c: per-batch or windowed aggregation by key, and its output, for
 * ds-reducebykey, ds-reduce, ds-count and ds-countbyvalue.
 */

#include <errno.h>
#include <string.h>

#include "ds.h"

static int	put(void *, const char *, size_t, const struct ds_agg *);
static void	close_output(struct ds_keyed *, int64_t);
static void	push(void *, int64_t);
static void	emit(void *, int64_t);

int
ds_keyed_init(struct ds_keyed *k, int op, int keymode, struct ds_writer *out,
    int64_t length, int64_t slide, int64_t interval)
{
	memset(k, 0, sizeof(*k));
	k->op = op;
	k->keymode = keymode;
	k->out = out;
	if (ds_table_init(&k->cur, sizeof(struct ds_agg)) == -1)
		return -1;
	if (length == 0)
		return 0;
	k->windowed = 1;
	k->win.push = push;
	k->win.emit = emit;
	k->win.arg = k;
	if (ds_swag_init(&k->swag, op) == -1)
		return -1;
	return ds_window_init(&k->win, length, slide, interval);
}

void
ds_keyed_forget(struct ds_keyed *k, const char *key, size_t len)
{
	struct ds_agg *a;

	if ((a = ds_table_find(&k->cur, key, len)) != NULL && a->count == 0)
		ds_table_remove(&k->cur, key, len);
}

/* Write one result record; write errors stay in the writer. */
static int
put(void *arg, const char *key, size_t klen, const struct ds_agg *a)
{
	struct ds_keyed *k = arg;
	const char *v;
	char num[DS_NUM_MAX];
	size_t vlen;

	v = ds_agg_result(a, k->op, num, &vlen);
	if (k->keymode == DS_KEY_FIELD)
		(void)ds_write_field(k->out, key, klen);
	else if (k->keymode == DS_KEY_ESCAPED)
		(void)ds_write_escaped(k->out, key, klen);
	(void)ds_write_field(k->out, v, vlen);
	(void)ds_write_end(k->out);
	k->nput++;
	return 0;
}

static void
close_output(struct ds_keyed *k, int64_t t)
{
	if (k->nput == 0 && k->zero) {
		(void)ds_write_field(k->out, "0", 1);
		(void)ds_write_end(k->out);
	}
	(void)ds_write_batch(k->out, t);
	k->nput = 0;
}

static void
push(void *arg, int64_t t)
{
	struct ds_keyed *k = arg;

	if (ds_swag_push(&k->swag, t, &k->cur) == -1 && k->error == 0)
		k->error = errno;
}

static void
emit(void *arg, int64_t t)
{
	struct ds_keyed *k = arg;

	if ((ds_swag_evict(&k->swag, k->win.from) == -1 ||
	    ds_swag_each(&k->swag, put, k) == -1) && k->error == 0)
		k->error = errno;
	close_output(k, t);
}

int
ds_keyed_batch(struct ds_keyed *k, int64_t t)
{
	struct ds_agg *a;
	const char *key;
	size_t i, klen;

	if (!k->windowed) {
		for (i = 0; i < ds_table_end(&k->cur); i++) {
			if ((a = ds_table_value(&k->cur, i)) == NULL)
				continue;
			key = ds_table_key(&k->cur, i, &klen);
			put(k, key, klen, a);
		}
		close_output(k, t);
		ds_agg_table_clear(&k->cur);
		return 0;
	}
	if (ds_window_batch(&k->win, t) == -1)
		return -1;
	if (k->error != 0) {
		errno = k->error;
		return -1;
	}
	return 0;
}

void
ds_keyed_end(struct ds_keyed *k)
{
	if (k->windowed)
		ds_window_end(&k->win);
}
