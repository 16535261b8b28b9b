/*
 * clilua.c: main()'s conveniences for Lua expressions, apart from cli.c
 * so that only the programs that use Lua link it.  These exit: 2 for an
 * expression that does not compile, 1 when memory runs out.
 */

#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

static int	reduce(struct ds_reducer *, struct ds_agg *, const struct ds_agg *);

struct ds_lua *
ds_lua_new_or_die(const char *expr, const char *const names[])
{
	struct ds_lua *x;
	char msg[512];

	if ((x = ds_lua_new(expr, names, msg, sizeof(msg))) == NULL) {
		if (errno == EINVAL)
			errx(2, "lua: %s", msg);
		err(1, NULL);
	}
	return x;
}

/* Bind a and b, run, and keep the value in a. */
static int
reduce(struct ds_reducer *rd, struct ds_agg *a, const struct ds_agg *b)
{
	struct ds_lua *x = rd->ctx;
	struct ds_num n;
	const char *p;
	size_t len;
	int rc;

	if ((a->isstr ? ds_lua_set_string(x, 0, a->str.data, a->str.len) :
	    ds_lua_set_num(x, 0, &a->num)) == -1 ||
	    (b->isstr ? ds_lua_set_string(x, 1, b->str.data, b->str.len) :
	    ds_lua_set_num(x, 1, &b->num)) == -1 ||
	    (rc = ds_lua_value(x, &n, &p, &len)) == -1) {
		rd->why = ds_lua_error(x);
		return -1;
	}
	if (rc == 1) {
		a->num = n;
		a->isstr = 0;
		return 0;
	}
	a->str.len = 0;
	a->isstr = 1;
	if (ds_buf_append(&a->str, p, len) == -1) {
		rd->why = "out of memory";
		return -1;
	}
	return 0;
}

void
ds_lua_reducer_or_die(const char *expr)
{
	static const char *const names[] = { "a", "b", NULL };
	static struct ds_reducer rd;

	rd.fn = reduce;
	rd.ctx = ds_lua_new_or_die(expr, names);
	ds_agg_set_reducer(&rd);
}

int
ds_reducer_arg_or_die(int op, int oflag, const char *expr)
{
	if (expr == NULL)
		return op;
	if (oflag)
		errx(2, "-o and a Lua reducer exclude each other");
	ds_lua_reducer_or_die(expr);
	return DS_OP_FN;
}

/* The values are kept in the aggregate's bytes, each its length first. */
void
ds_lua_values_add_or_die(struct ds_table *batch, struct ds_reader *r,
    size_t kfield, size_t vfield)
{
	const struct ds_field *v;
	struct ds_agg *a;
	int isnew;

	a = ds_batch_agg_or_die(batch, r, kfield, &isnew);
	if (vfield > r->nfield)
		ds_record_die(r, "no field %zu", vfield);
	v = &r->field[vfield - 1];
	if (ds_buf_append(&a->str, &v->len, sizeof(v->len)) == -1 ||
	    ds_buf_append(&a->str, v->data, v->len) == -1)
		err(1, NULL);
	a->count++;
}

int
ds_lua_update_or_die(struct ds_lua *x, struct ds_reader *r,
    const struct ds_agg *values, struct ds_agg *state)
{
	static struct ds_field *vals;
	static size_t cap;
	struct ds_field *p;
	struct ds_num n;
	const char *s, *end;
	size_t i, len;
	int rc;

	if ((size_t)values->count > cap) {
		if ((p = reallocarray(vals, values->count,
		    sizeof(*p))) == NULL)
			err(1, NULL);
		vals = p;
		cap = values->count;
	}
	s = values->str.data;
	end = s + values->str.len;
	for (i = 0; s < end; i++) {
		memcpy(&len, s, sizeof(len));
		vals[i].data = (char *)s + sizeof(len);
		vals[i].len = len;
		s += sizeof(len) + len;
	}
	ds_lua_set_list(x, 0, vals, i);
	if (state->count == 0)
		ds_lua_set_nil(x, 1);
	else if (state->isstr)
		ds_lua_set_string(x, 1, state->str.data, state->str.len);
	else
		ds_lua_set_num(x, 1, &state->num);
	if ((rc = ds_lua_state(x, &n, &s, &len)) == -1) {
		if (errno == ENOMEM)
			err(1, NULL);
		ds_record_die(r, "lua: %s", ds_lua_error(x));
	}
	if (rc == 2)
		return 1;
	if (rc == 1) {
		state->num = n;
		state->isstr = 0;
	} else {
		state->str.len = 0;
		state->isstr = 1;
		if (ds_buf_append(&state->str, s, len) == -1)
			err(1, NULL);
	}
	state->count += values->count;
	return 0;
}
