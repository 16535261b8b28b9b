/*
 * agg.c: sum, count, min, max, mean, first and last over values, with the
 * exact integer arithmetic of num.c.
 */

#include <errno.h>
#include <string.h>

#include "ds.h"

static const char *const opname[] = {
	[DS_OP_SUM] = "sum",
	[DS_OP_COUNT] = "count",
	[DS_OP_MIN] = "min",
	[DS_OP_MAX] = "max",
	[DS_OP_MEAN] = "mean",
	[DS_OP_FIRST] = "first",
	[DS_OP_LAST] = "last",
	[DS_OP_FN] = "lua"
};

static struct ds_reducer *reducer;

static int	add_fn(struct ds_agg *, const char *, size_t);
static int	copy(struct ds_agg *, const struct ds_agg *);

int
ds_op_parse(const char *s)
{
	size_t i;

	for (i = 0; i < DS_OP_FN; i++)
		if (strcmp(s, opname[i]) == 0)
			return i;
	errno = EINVAL;
	return -1;
}

const char *
ds_op_name(int op)
{
	return opname[op];
}

int
ds_op_numeric(int op)
{
	return op == DS_OP_SUM || op == DS_OP_MIN || op == DS_OP_MAX ||
	    op == DS_OP_MEAN;
}

void
ds_agg_set_reducer(struct ds_reducer *r)
{
	reducer = r;
}

struct ds_reducer *
ds_agg_reducer(void)
{
	return reducer;
}

/* A value that reads as a number is one; any other is its bytes. */
static int
add_fn(struct ds_agg *a, const char *p, size_t len)
{
	struct ds_agg v = { 0 };
	int rc;

	v.count = 1;
	if (ds_num_parse(p, len, &v.num) == -1) {
		v.isstr = 1;
		if (ds_buf_append(&v.str, p, len) == -1)
			return -1;
	}
	if (a->count == 0) {
		ds_agg_free(a);
		*a = v;
		return 0;
	}
	rc = ds_agg_merge(a, &v, DS_OP_FN);
	ds_agg_free(&v);
	return rc;
}

/* *into = *from, deeply. */
static int
copy(struct ds_agg *into, const struct ds_agg *from)
{
	into->num = from->num;
	into->isstr = from->isstr;
	into->str.len = 0;
	return from->isstr ? ds_buf_append(&into->str, from->str.data,
	    from->str.len) : 0;
}

int
ds_agg_add_slow(struct ds_agg *a, int op, const char *p, size_t len)
{
	struct ds_num n;

	switch (op) {
	case DS_OP_FN:
		return add_fn(a, p, len);
	case DS_OP_COUNT:
		break;
	case DS_OP_FIRST:
		if (a->count == 0 && ds_buf_append(&a->str, p, len) == -1)
			return -1;
		break;
	case DS_OP_LAST:
		a->str.len = 0;
		if (ds_buf_append(&a->str, p, len) == -1)
			return -1;
		break;
	default:
		if (ds_num_parse(p, len, &n) == -1)
			return -1;
		if (a->count == 0)
			a->num = n;
		else if (op == DS_OP_MIN) {
			if (ds_num_cmp(&n, &a->num) < 0)
				a->num = n;
		} else if (op == DS_OP_MAX) {
			if (ds_num_cmp(&n, &a->num) > 0)
				a->num = n;
		} else if (ds_num_add(&a->num, &n) == -1) {
			errno = EOVERFLOW;
			return -1;
		}
	}
	a->count++;
	return 0;
}

int
ds_agg_merge(struct ds_agg *into, const struct ds_agg *from, int op)
{
	if (from->count == 0)
		return 0;
	switch (op) {
	case DS_OP_FN:
		if (into->count == 0) {
			if (copy(into, from) == -1)
				return -1;
		} else if (reducer->fn(reducer, into, from) == -1) {
			errno = ECANCELED;
			return -1;
		}
		break;
	case DS_OP_COUNT:
		break;
	case DS_OP_FIRST:
		if (into->count > 0)
			break;
		/* FALLTHROUGH */
	case DS_OP_LAST:
		into->str.len = 0;
		if (ds_buf_append(&into->str, from->str.data,
		    from->str.len) == -1)
			return -1;
		break;
	default:
		if (into->count == 0)
			into->num = from->num;
		else if (op == DS_OP_MIN) {
			if (ds_num_cmp(&from->num, &into->num) < 0)
				into->num = from->num;
		} else if (op == DS_OP_MAX) {
			if (ds_num_cmp(&from->num, &into->num) > 0)
				into->num = from->num;
		} else if (ds_num_add(&into->num, &from->num) == -1) {
			errno = EOVERFLOW;
			return -1;
		}
	}
	if (__builtin_add_overflow(into->count, from->count, &into->count)) {
		errno = EOVERFLOW;
		return -1;
	}
	return 0;
}

const char *
ds_agg_result(const struct ds_agg *a, int op, char *buf, size_t *len)
{
	struct ds_num n;

	switch (op) {
	case DS_OP_COUNT:
		n.isfloat = 0;
		n.i = a->count;
		break;
	case DS_OP_FN:
		if (!a->isstr) {
			n = a->num;
			break;
		}
		/* FALLTHROUGH */
	case DS_OP_FIRST:
	case DS_OP_LAST:
		*len = a->str.len;
		return a->str.data != NULL ? a->str.data : "";
	case DS_OP_MEAN:
		n.isfloat = 1;
		n.d = ds_num_double(&a->num) / a->count;
		break;
	default:
		n = a->num;
	}
	*len = ds_num_format(&n, buf);
	return buf;
}

void
ds_agg_free(struct ds_agg *a)
{
	ds_buf_free(&a->str);
	memset(a, 0, sizeof(*a));
}
