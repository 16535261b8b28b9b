/*
 * clilua.c: main()'s conveniences for Lua expressions, apart from cli.c
 * so that only the programs that use Lua link it.  These exit: 2 for an
 * expression that does not compile, 1 when memory runs out.
 */

#include <err.h>
#include <errno.h>

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
