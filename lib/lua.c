/*
 * lua.c: Lua 5.4 expressions, compiled once and run per record inside the
 * process: the lambdas of Spark's transformations.
 *
 * An expression list EXPR with parameter names P1, P2, ... is compiled as
 * the chunk "local P1, P2 = ...; return EXPR", so the names are locals
 * (the fastest a Lua function can read) and a run is one call.  Every Lua
 * operation of a run, binding the parameters and converting the results
 * included, happens inside one lua_pcall, so no error ever reaches Lua's
 * panic handler: each one comes back as text.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "ds.h"

/* Stack slots that live as long as the state. */
#define SLOT_FN		1	/* the compiled expression */
#define SLOT_FTAB	2	/* f, refilled for every record (or nil) */
#define SLOT_BASE	2	/* the results of a run start above this */
/* After ds_lua_records: the table or iterator, its state, its control. */
#define SLOT_ITER	(SLOT_BASE + 1)
#define SLOT_STATE	(SLOT_BASE + 2)
#define SLOT_CTL	(SLOT_BASE + 3)

/* The record names, in the order the chunk declares them. */
enum { NAME_F, NAME_K, NAME_V, NAME_R, NRECNAMES };
static const char *const recnames[NRECNAMES + 1] = { "f", "k", "v", "r",
    NULL };

/* What a run leaves behind. */
enum { WANT_FIELDS, WANT_BOOL, WANT_RECORDS, WANT_VALUE, WANT_STATE };

/* What ds_lua_next walks. */
enum { ITER_NONE, ITER_TABLE, ITER_FUNCTION };

enum { ARG_NIL, ARG_STRING, ARG_INT, ARG_FLOAT, ARG_LIST };

struct ds_lua_arg {
	int		 type;
	const char	*data;
	size_t		 len;
	const struct ds_field *list;	/* ARG_LIST, len elements */
	lua_Integer	 i;
	lua_Number	 d;
};

struct ds_lua {
	lua_State		*L;
	int			 record;	/* the names are f, k, v, r */
	int			 nname;
	int			 used[NRECNAMES]; /* the text mentions it */
	struct ds_lua_arg	*arg;		/* the other kind's values */

	const struct ds_field	*rfield;	/* the bound record */
	size_t			 rnfield;
	const char		*rec;
	size_t			 reclen;
	lua_Integer		 fmax;		/* f[1..fmax] may be set */

	int			 want;
	int			 truth;		/* WANT_BOOL */
	int			 isnum;		/* WANT_VALUE, WANT_STATE */
	int			 isnil;		/* WANT_STATE */
	struct ds_num		 num;
	int			 iter;
	lua_Integer		 next;		/* ITER_TABLE: next index */

	struct ds_buf		 text;		/* the result fields' bytes */
	size_t			*off;		/* where field i starts in text */
	struct ds_field		*field;
	size_t			 nfield;
	size_t			 fieldcap;

	char			*msg;		/* the last error, or NULL */
};

static struct ds_lua *handle(lua_State *);
static int	mentions(const char *, const char *);
static int	valid_name(const char *);
static int	print_stderr(lua_State *);
static int	run(lua_State *);
static int	step(lua_State *);
static int	call(struct ds_lua *, int, int);
static int	failed(struct ds_lua *, int);
static void	set_msg(struct ds_lua *, const char *, size_t);
static void	put_field(lua_State *, struct ds_lua *, const char *, size_t);
static int	put_scalar(lua_State *, struct ds_lua *, int);
static void	put_value(lua_State *, struct ds_lua *, int, const char *,
		    lua_Integer);
static void	put_values(lua_State *, struct ds_lua *, int);
static void	push_list(lua_State *, const struct ds_field *, size_t);
static void	finish_fields(struct ds_lua *, struct ds_field **, size_t *);

static struct ds_lua *
handle(lua_State *L)
{
	return *(struct ds_lua **)lua_getextraspace(L);
}

/*
 * Whether name occurs in s as an identifier.  Strings and comments are
 * not skipped: a false yes only costs binding a name nobody reads.
 */
static int
mentions(const char *s, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = s; (p = strstr(p, name)) != NULL; p += n) {
		if (p > s && (p[-1] == '_' || (p[-1] >= '0' && p[-1] <= '9') ||
		    ((p[-1] | 0x20) >= 'a' && (p[-1] | 0x20) <= 'z')))
			continue;
		if (p[n] == '_' || (p[n] >= '0' && p[n] <= '9') ||
		    ((p[n] | 0x20) >= 'a' && (p[n] | 0x20) <= 'z'))
			continue;
		return 1;
	}
	return 0;
}

static int
valid_name(const char *s)
{
	const char *p;

	if (*s == '\0' || (*s >= '0' && *s <= '9'))
		return 0;
	for (p = s; *p != '\0'; p++)
		if (*p != '_' && !(*p >= '0' && *p <= '9') &&
		    !((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'))
			return 0;
	return 1;
}

/* print, sent to stderr: stdout carries the stream and nothing else. */
static int
print_stderr(lua_State *L)
{
	const char *s;
	size_t len;
	int i, n = lua_gettop(L);

	for (i = 1; i <= n; i++) {
		s = luaL_tolstring(L, i, &len);
		if (i > 1)
			fputc('\t', stderr);
		fwrite(s, 1, len, stderr);
		lua_pop(L, 1);
	}
	fputc('\n', stderr);
	fflush(stderr);
	return 0;
}

struct ds_lua *
ds_lua_new(const char *expr, const char *const names[], char *msg,
    size_t msgsize)
{
	struct ds_lua *x;
	struct ds_buf chunk = { NULL, 0, 0 };
	const char *e, *m;
	size_t mlen;
	int i, rc;

	if (msgsize > 0)
		msg[0] = '\0';
	for (e = expr; *e == ' ' || (*e >= '\t' && *e <= '\r'); e++)
		continue;
	if (*e == '\0') {
		snprintf(msg, msgsize, "empty expression");
		errno = EINVAL;
		return NULL;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->record = names == NULL;
	if (x->record)
		names = recnames;
	for (i = 0; names[i] != NULL; i++) {
		if (!valid_name(names[i])) {
			snprintf(msg, msgsize, "not a name: \"%s\"", names[i]);
			free(x);
			errno = EINVAL;
			return NULL;
		}
		if (x->record)
			x->used[i] = mentions(expr, names[i]);
	}
	x->nname = i;
	if ((x->arg = calloc(x->nname + 1, sizeof(*x->arg))) == NULL)
		goto fail;

	/* One line, so Lua's line numbers are the expression's own. */
	for (i = 0; i < x->nname; i++)
		if (ds_buf_append(&chunk, i == 0 ? "local " : ",",
		    i == 0 ? 6 : 1) == -1 ||
		    ds_buf_append(&chunk, names[i], strlen(names[i])) == -1)
			goto fail;
	if ((x->nname > 0 && ds_buf_append(&chunk, "=...;", 5) == -1) ||
	    ds_buf_append(&chunk, "return ", 7) == -1 ||
	    ds_buf_append(&chunk, expr, strlen(expr)) == -1)
		goto fail;

	if ((x->L = luaL_newstate()) == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	*(struct ds_lua **)lua_getextraspace(x->L) = x;
	/* Most of what a run allocates dies young. */
	lua_gc(x->L, LUA_GCGEN, 0, 0);
	luaL_openlibs(x->L);
	lua_register(x->L, "print", print_stderr);
	/* The expression itself names the chunk in Lua's messages. */
	rc = luaL_loadbufferx(x->L, chunk.data, chunk.len, expr, "t");
	ds_buf_free(&chunk);
	if (rc != LUA_OK) {
		m = lua_tolstring(x->L, -1, &mlen);
		snprintf(msg, msgsize, "%.*s", (int)(m != NULL ? mlen : 0),
		    m != NULL ? m : "");
		errno = rc == LUA_ERRMEM ? ENOMEM : EINVAL;
		ds_lua_free(x);
		return NULL;
	}
	if (x->record && x->used[NAME_F])
		lua_createtable(x->L, 16, 0);
	else
		lua_pushnil(x->L);
	return x;
fail:
	ds_buf_free(&chunk);
	ds_lua_free(x);
	return NULL;
}

void
ds_lua_free(struct ds_lua *x)
{
	if (x == NULL)
		return;
	if (x->L != NULL)
		lua_close(x->L);
	ds_buf_free(&x->text);
	free(x->arg);
	free(x->off);
	free(x->field);
	free(x->msg);
	free(x);
}

const char *
ds_lua_error(const struct ds_lua *x)
{
	return x->msg != NULL ? x->msg : "";
}

void
ds_lua_set_record(struct ds_lua *x, const struct ds_field *f, size_t n,
    const char *rec, size_t reclen)
{
	x->rfield = f;
	x->rnfield = n;
	x->rec = rec;
	x->reclen = reclen;
}

int
ds_lua_set_string(struct ds_lua *x, int i, const char *p, size_t len)
{
	if (i < 0 || i >= x->nname || x->record) {
		errno = EINVAL;
		return -1;
	}
	x->arg[i].type = ARG_STRING;
	x->arg[i].data = p;
	x->arg[i].len = len;
	return 0;
}

int
ds_lua_set_num(struct ds_lua *x, int i, const struct ds_num *n)
{
	if (i < 0 || i >= x->nname || x->record) {
		errno = EINVAL;
		return -1;
	}
	if (n->isfloat) {
		x->arg[i].type = ARG_FLOAT;
		x->arg[i].d = n->d;
	} else {
		x->arg[i].type = ARG_INT;
		x->arg[i].i = n->i;
	}
	return 0;
}

int
ds_lua_set_list(struct ds_lua *x, int i, const struct ds_field *f, size_t n)
{
	if (i < 0 || i >= x->nname || x->record) {
		errno = EINVAL;
		return -1;
	}
	x->arg[i].type = ARG_LIST;
	x->arg[i].list = f;
	x->arg[i].len = n;
	return 0;
}

int
ds_lua_set_nil(struct ds_lua *x, int i)
{
	if (i < 0 || i >= x->nname || x->record) {
		errno = EINVAL;
		return -1;
	}
	x->arg[i].type = ARG_NIL;
	return 0;
}

/* A table of values, each a number when it reads as one, else a string. */
static void
push_list(lua_State *L, const struct ds_field *f, size_t n)
{
	struct ds_num v;
	size_t i;

	lua_createtable(L, n < INT_MAX ? (int)n : INT_MAX, 0);
	for (i = 0; i < n; i++) {
		if (ds_num_parse(f[i].data, f[i].len, &v) == -1)
			lua_pushlstring(L, f[i].data, f[i].len);
		else if (v.isfloat)
			lua_pushnumber(L, v.d);
		else
			lua_pushinteger(L, v.i);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

int
ds_lua_set_value(struct ds_lua *x, int i, const char *p, size_t len)
{
	struct ds_num n;

	if (ds_num_parse(p, len, &n) == 0)
		return ds_lua_set_num(x, i, &n);
	return ds_lua_set_string(x, i, p, len);
}

/*
 * The protected part of a run, called as run(fn, ftab): bind the names,
 * call the expression, and turn its values into what x->want asks for.
 */
static int
run(lua_State *L)
{
	struct ds_lua *x = handle(L);
	const struct ds_field *f = x->rfield;
	lua_Integer i, n = x->rnfield, top;
	int j;

	if (x->record) {
		if (x->used[NAME_F]) {
			for (i = 0; i < n; i++) {
				lua_pushlstring(L, f[i].data, f[i].len);
				lua_rawseti(L, 2, i + 1);
			}
			/* Forget the last record's extra fields. */
			top = (lua_Integer)lua_rawlen(L, 2);
			if (top < x->fmax)
				top = x->fmax;
			for (i = n + 1; i <= top; i++) {
				lua_pushnil(L);
				lua_rawseti(L, 2, i);
			}
			x->fmax = n;
		}
		lua_pushvalue(L, 1);
		if (x->used[NAME_F])
			lua_pushvalue(L, 2);
		else
			lua_pushnil(L);
		if (x->used[NAME_K] && n >= 1)
			lua_pushlstring(L, f[0].data, f[0].len);
		else
			lua_pushnil(L);
		if (x->used[NAME_V] && n >= 2)
			lua_pushlstring(L, f[1].data, f[1].len);
		else
			lua_pushnil(L);
		if (x->used[NAME_R])
			lua_pushlstring(L, x->rec, x->reclen);
		else
			lua_pushnil(L);
		lua_call(L, NRECNAMES, LUA_MULTRET);
	} else {
		luaL_checkstack(L, x->nname + 1, NULL);
		lua_pushvalue(L, 1);
		for (j = 0; j < x->nname; j++) {
			switch (x->arg[j].type) {
			case ARG_STRING:
				lua_pushlstring(L, x->arg[j].data,
				    x->arg[j].len);
				break;
			case ARG_INT:
				lua_pushinteger(L, x->arg[j].i);
				break;
			case ARG_FLOAT:
				lua_pushnumber(L, x->arg[j].d);
				break;
			case ARG_LIST:
				push_list(L, x->arg[j].list, x->arg[j].len);
				break;
			default:
				lua_pushnil(L);
			}
		}
		lua_call(L, x->nname, LUA_MULTRET);
	}
	/* The values are in slots 3 to top. */
	switch (x->want) {
	case WANT_FIELDS:
		put_values(L, x, 3);
		return 0;
	case WANT_BOOL:
		x->truth = lua_gettop(L) >= 3 && lua_toboolean(L, 3);
		return 0;
	case WANT_RECORDS:
		return lua_gettop(L) - 2;
	}
	/* WANT_VALUE, WANT_STATE */
	x->isnil = lua_gettop(L) < 3 || lua_isnil(L, 3);
	if (x->isnil && x->want == WANT_STATE)
		return 0;
	if (x->isnil)
		return luaL_error(L, "no value");
	if (lua_type(L, 3) == LUA_TNUMBER) {
		x->isnum = 1;
		if (lua_isinteger(L, 3)) {
			x->num.isfloat = 0;
			x->num.i = lua_tointeger(L, 3);
		} else {
			x->num.isfloat = 1;
			x->num.d = lua_tonumber(L, 3);
		}
		return 0;
	}
	x->isnum = 0;
	if (!put_scalar(L, x, 3))
		return luaL_error(L, "the value is a %s", luaL_typename(L, 3));
	return 0;
}

/*
 * One step of ds_lua_next, called as step(iter, state, control, index):
 * the next record's fields, and what follows it: the next index of a
 * table, the new control value of an iterator, or nil at the end.
 */
static int
step(lua_State *L)
{
	struct ds_lua *x = handle(L);
	lua_Integer i;

	if (x->iter == ITER_TABLE) {
		for (i = lua_tointeger(L, 4);
		    i <= (lua_Integer)lua_rawlen(L, 1); i++) {
			lua_rawgeti(L, 1, i);
			if (lua_isnil(L, -1)) {
				lua_pop(L, 1);
				continue;
			}
			put_value(L, x, lua_gettop(L), "record", i);
			lua_pushinteger(L, i + 1);
			return 1;
		}
		lua_pushnil(L);
		return 1;
	}
	/* A generic for's call: f(s, control), until the first value is nil. */
	lua_settop(L, 3);
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 2);
	lua_pushvalue(L, 3);
	lua_call(L, 2, LUA_MULTRET);
	if (lua_gettop(L) < 4 || lua_isnil(L, 4)) {
		lua_pushnil(L);
		return 1;
	}
	put_values(L, x, 4);
	lua_pushvalue(L, 4);
	return 1;
}

/*
 * Run the expression inside lua_pcall, its values adjusted to nret (or
 * LUA_MULTRET) above SLOT_BASE.  0, or -1 with the error kept.
 */
static int
call(struct ds_lua *x, int want, int nret)
{
	lua_State *L = x->L;
	int rc;

	lua_settop(L, SLOT_BASE);
	x->want = want;
	x->text.len = 0;
	x->nfield = 0;
	x->iter = ITER_NONE;
	lua_pushcfunction(L, run);
	lua_pushvalue(L, SLOT_FN);
	lua_pushvalue(L, SLOT_FTAB);
	if ((rc = lua_pcall(L, 2, nret, 0)) != LUA_OK)
		return failed(x, rc);
	return 0;
}

/* Keep the error on the stack's top as x->msg; returns -1. */
static int
failed(struct ds_lua *x, int rc)
{
	const char *m;
	size_t len;
	char buf[64];

	if ((m = lua_tolstring(x->L, -1, &len)) == NULL) {
		len = snprintf(buf, sizeof(buf), "(error object is a %s value)",
		    luaL_typename(x->L, -1));
		m = buf;
	}
	set_msg(x, m, len);
	lua_settop(x->L, SLOT_BASE);
	x->iter = ITER_NONE;
	errno = rc == LUA_ERRMEM ? ENOMEM : EINVAL;
	return -1;
}

static void
set_msg(struct ds_lua *x, const char *m, size_t len)
{
	char *p;

	if ((p = realloc(x->msg, len + 1)) == NULL) {
		free(x->msg);
		x->msg = NULL;
		return;
	}
	memcpy(p, m, len);
	p[len] = '\0';
	x->msg = p;
}

/* Append one field of the result; inside the protected call. */
static void
put_field(lua_State *L, struct ds_lua *x, const char *p, size_t len)
{
	size_t ncap, *o;
	struct ds_field *f;

	if (x->nfield == x->fieldcap) {
		ncap = x->fieldcap != 0 ? x->fieldcap * 2 : 16;
		if ((o = reallocarray(x->off, ncap, sizeof(*o))) == NULL)
			luaL_error(L, "not enough memory");
		x->off = o;
		if ((f = reallocarray(x->field, ncap, sizeof(*f))) == NULL)
			luaL_error(L, "not enough memory");
		x->field = f;
		x->fieldcap = ncap;
	}
	x->off[x->nfield] = x->text.len;
	x->field[x->nfield].len = len;
	x->nfield++;
	if (ds_buf_append(&x->text, p, len) == -1)
		luaL_error(L, "not enough memory");
}

/*
 * A string, number or boolean as one field; nil as none.  Returns 0 for
 * any other type, adding nothing.
 */
static int
put_scalar(lua_State *L, struct ds_lua *x, int idx)
{
	const char *s;
	size_t len;

	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		return 1;
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		put_field(L, x, s, len);
		return 1;
	case LUA_TNUMBER:
		/* A copy: lua_tolstring would turn the value into a string. */
		lua_pushvalue(L, idx);
		s = lua_tolstring(L, -1, &len);
		put_field(L, x, s, len);
		lua_pop(L, 1);
		return 1;
	case LUA_TBOOLEAN:
		if (lua_toboolean(L, idx))
			put_field(L, x, "true", 4);
		else
			put_field(L, x, "false", 5);
		return 1;
	}
	return 0;
}

/*
 * The value at idx, the n-th value or record (what says which, for the
 * messages): a scalar, or a table of them spliced in order.
 */
static void
put_value(lua_State *L, struct ds_lua *x, int idx, const char *what,
    lua_Integer n)
{
	lua_Integer i, len;

	if (put_scalar(L, x, idx))
		return;
	if (lua_type(L, idx) != LUA_TTABLE)
		luaL_error(L, "%s %I is a %s", what, n, luaL_typename(L, idx));
	len = lua_rawlen(L, idx);
	for (i = 1; i <= len; i++) {
		lua_rawgeti(L, idx, i);
		if (!put_scalar(L, x, -1))
			luaL_error(L, "%s %I, element %I is a %s", what, n, i,
			    luaL_typename(L, -1));
		lua_pop(L, 1);
	}
}

/* The values in slots from to top. */
static void
put_values(lua_State *L, struct ds_lua *x, int from)
{
	int i, top = lua_gettop(L);

	for (i = from; i <= top; i++)
		put_value(L, x, i, "value", i - from + 1);
}

static void
finish_fields(struct ds_lua *x, struct ds_field **out, size_t *n)
{
	size_t i;

	for (i = 0; i < x->nfield; i++)
		x->field[i].data = x->text.data + x->off[i];
	*out = x->field;
	*n = x->nfield;
}

int
ds_lua_fields(struct ds_lua *x, struct ds_field **out, size_t *n)
{
	if (call(x, WANT_FIELDS, 0) == -1)
		return -1;
	finish_fields(x, out, n);
	return 0;
}

int
ds_lua_bool(struct ds_lua *x)
{
	if (call(x, WANT_BOOL, 0) == -1)
		return -1;
	return x->truth;
}

int
ds_lua_value(struct ds_lua *x, struct ds_num *num, const char **p,
    size_t *len)
{
	if (call(x, WANT_VALUE, 0) == -1)
		return -1;
	if (x->isnum) {
		*num = x->num;
		return 1;
	}
	*p = x->text.data;
	*len = x->nfield > 0 ? x->field[0].len : 0;
	return 0;
}

int
ds_lua_state(struct ds_lua *x, struct ds_num *num, const char **p,
    size_t *len)
{
	if (call(x, WANT_STATE, 0) == -1)
		return -1;
	if (x->isnil)
		return 2;
	if (x->isnum) {
		*num = x->num;
		return 1;
	}
	*p = x->text.data;
	*len = x->nfield > 0 ? x->field[0].len : 0;
	return 0;
}

int
ds_lua_records(struct ds_lua *x)
{
	lua_State *L = x->L;
	char m[64];
	int n;

	if (call(x, WANT_RECORDS, 3) == -1)
		return -1;
	switch (lua_type(L, SLOT_ITER)) {
	case LUA_TNIL:
		return 0;
	case LUA_TTABLE:
		x->iter = ITER_TABLE;
		x->next = 1;
		return 0;
	case LUA_TFUNCTION:
		x->iter = ITER_FUNCTION;
		return 0;
	}
	n = snprintf(m, sizeof(m), "the value is a %s, not a table or "
	    "a function", luaL_typename(L, SLOT_ITER));
	set_msg(x, m, n);
	lua_settop(L, SLOT_BASE);
	errno = EINVAL;
	return -1;
}

int
ds_lua_next(struct ds_lua *x, struct ds_field **out, size_t *n)
{
	lua_State *L = x->L;
	int rc;

	if (x->iter == ITER_NONE)
		return 0;
	x->text.len = 0;
	x->nfield = 0;
	lua_settop(L, SLOT_CTL);
	lua_pushcfunction(L, step);
	lua_pushvalue(L, SLOT_ITER);
	lua_pushvalue(L, SLOT_STATE);
	lua_pushvalue(L, SLOT_CTL);
	lua_pushinteger(L, x->next);
	if ((rc = lua_pcall(L, 4, 1, 0)) != LUA_OK)
		return failed(x, rc);
	if (lua_isnil(L, -1)) {
		x->iter = ITER_NONE;
		lua_settop(L, SLOT_BASE);
		return 0;
	}
	if (x->iter == ITER_TABLE) {
		x->next = lua_tointeger(L, -1);
		lua_pop(L, 1);
	} else
		lua_replace(L, SLOT_CTL);
	finish_fields(x, out, n);
	return 1;
}
