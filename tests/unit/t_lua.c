/*
 * t_lua.c: tests the Lua expressions of lib/lua.c: compiling, binding a
 * record or named values, and each way of reading the results.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"
#include "check.h"

static struct ds_field rec[4];
static size_t	nrec;
static char	recbuf[256];
static size_t	reclen;
static char	msg[256];

static void	record(const char *, ...);
static struct ds_lua *compile(const char *);
static int	fields_are(struct ds_lua *, const char *);
static int	fields_fail(const char *, const char *);
static int	compile_fails(const char *, const char *);
static int	records_are(const char *, const char *);
static void	test_compile(void);
static void	test_fields(void);
static void	test_bool(void);
static void	test_records(void);
static void	test_params(void);
static void	test_reuse(void);

int
main(void)
{
	test_compile();
	test_fields();
	test_bool();
	test_records();
	test_params();
	test_reuse();
	return done();
}

/* Bind the fields given, NULL-terminated, as the current record. */
static void
record(const char *first, ...)
{
	va_list ap;
	const char *s;
	size_t len;

	nrec = 0;
	reclen = 0;
	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *)) {
		len = strlen(s);
		if (nrec > 0)
			recbuf[reclen++] = '\t';
		memcpy(recbuf + reclen, s, len);
		rec[nrec].data = recbuf + reclen;
		rec[nrec].len = len;
		reclen += len;
		nrec++;
	}
	va_end(ap);
}

static struct ds_lua *
compile(const char *expr)
{
	struct ds_lua *x;

	if ((x = ds_lua_new(expr, NULL, msg, sizeof(msg))) == NULL)
		printf("# %s: %s\n", expr, msg);
	return x;
}

/* The fields of a run, joined by '|', are want. */
static int
fields_are(struct ds_lua *x, const char *want)
{
	struct ds_field *f;
	char got[512];
	size_t i, n, len = 0;

	ds_lua_set_record(x, rec, nrec, recbuf, reclen);
	if (ds_lua_fields(x, &f, &n) == -1) {
		printf("# error: %s\n", ds_lua_error(x));
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			got[len++] = '|';
		memcpy(got + len, f[i].data, f[i].len);
		len += f[i].len;
	}
	got[len] = '\0';
	if (strcmp(got, want) != 0)
		printf("# got \"%s\", want \"%s\"\n", got, want);
	return strcmp(got, want) == 0;
}

static int
fields_fail(const char *expr, const char *want)
{
	struct ds_lua *x;
	struct ds_field *f;
	size_t n;
	int ok;

	if ((x = compile(expr)) == NULL)
		return 0;
	ds_lua_set_record(x, rec, nrec, recbuf, reclen);
	ok = ds_lua_fields(x, &f, &n) == -1 && errno == EINVAL &&
	    strcmp(ds_lua_error(x), want) == 0;
	if (!ok)
		printf("# got \"%s\"\n", ds_lua_error(x));
	ds_lua_free(x);
	return ok;
}

static int
compile_fails(const char *expr, const char *want)
{
	struct ds_lua *x;

	errno = 0;
	x = ds_lua_new(expr, NULL, msg, sizeof(msg));
	if (x != NULL) {
		ds_lua_free(x);
		return 0;
	}
	if (strcmp(msg, want) != 0)
		printf("# got \"%s\"\n", msg);
	return errno == EINVAL && strcmp(msg, want) == 0;
}

/* The records of a flatMap run, fields joined by '|', records by ';'. */
static int
records_are(const char *expr, const char *want)
{
	struct ds_lua *x;
	struct ds_field *f;
	char got[512];
	size_t i, n, len = 0;
	int rc, nr = 0;

	if ((x = compile(expr)) == NULL)
		return 0;
	ds_lua_set_record(x, rec, nrec, recbuf, reclen);
	if (ds_lua_records(x) == -1) {
		printf("# error: %s\n", ds_lua_error(x));
		ds_lua_free(x);
		return 0;
	}
	while ((rc = ds_lua_next(x, &f, &n)) == 1) {
		if (nr++ > 0)
			got[len++] = ';';
		for (i = 0; i < n; i++) {
			if (i > 0)
				got[len++] = '|';
			memcpy(got + len, f[i].data, f[i].len);
			len += f[i].len;
		}
	}
	got[len] = '\0';
	if (rc == -1)
		printf("# error: %s\n", ds_lua_error(x));
	else if (strcmp(got, want) != 0)
		printf("# got \"%s\", want \"%s\"\n", got, want);
	ds_lua_free(x);
	return rc == 0 && strcmp(got, want) == 0;
}

static void
test_compile(void)
{
	const char *bad[] = { "a-b", NULL };
	const char *names[] = { "a", "b", NULL };
	struct ds_lua *x;

	CHECK(compile_fails("f[1] +",
	    "[string \"f[1] +\"]:1: unexpected symbol near <eof>"));
	CHECK(compile_fails("x = 1",
	    "[string \"x = 1\"]:1: <eof> expected near '='"));
	/* The expression cannot end the chunk and add statements. */
	CHECK(compile_fails("1; os.exit(3)",
	    "[string \"1; os.exit(3)\"]:1: <eof> expected near 'os'"));
	/* Line numbers are the expression's own. */
	CHECK(compile_fails("k,\nv +",
	    "[string \"k,...\"]:2: unexpected symbol near <eof>"));
	CHECK(compile_fails("", "empty expression"));
	CHECK(compile_fails(" \t\n", "empty expression"));
	errno = 0;
	CHECK(ds_lua_new("a", bad, msg, sizeof(msg)) == NULL &&
	    errno == EINVAL && strcmp(msg, "not a name: \"a-b\"") == 0);
	CHECK((x = ds_lua_new("a + b", names, msg, sizeof(msg))) != NULL);
	ds_lua_free(x);
	ds_lua_free(NULL);
}

static void
test_fields(void)
{
	struct ds_lua *x;
	struct ds_field *f;
	size_t n;

	record("hi", "2", "x y", NULL);
	CHECK((x = compile("f[2], f[1]")) != NULL && fields_are(x, "2|hi"));
	ds_lua_free(x);
	CHECK((x = compile("k, v * 2")) != NULL && fields_are(x, "hi|4"));
	ds_lua_free(x);
	CHECK((x = compile("r")) != NULL && fields_are(x, "hi\t2\tx y"));
	ds_lua_free(x);
	CHECK((x = compile("#f, #r")) != NULL && fields_are(x, "3|8"));
	ds_lua_free(x);
	/* Numbers as Lua's tostring, booleans by name, nil as no field. */
	CHECK((x = compile("3, 3.0, 1e20, 2^53, -0.0, 1/0, 7 // 2, 7 / 2"))
	    != NULL && fields_are(x, "3|3.0|1e+20|9.007199254741e+15|-0.0|"
	    "inf|3|3.5"));
	ds_lua_free(x);
	CHECK((x = compile("true, false, nil, f[9], k")) != NULL &&
	    fields_are(x, "true|false|hi"));
	ds_lua_free(x);
	/* Tables are spliced: f itself copies the record. */
	CHECK((x = compile("f")) != NULL && fields_are(x, "hi|2|x y"));
	ds_lua_free(x);
	CHECK((x = compile("{v, k}, \"c\", {}")) != NULL &&
	    fields_are(x, "2|hi|c"));
	ds_lua_free(x);
	CHECK((x = compile("table.unpack(f, 2)")) != NULL &&
	    fields_are(x, "2|x y"));
	ds_lua_free(x);
	/* No value at all: a record of no field. */
	CHECK((x = compile("nil")) != NULL && fields_are(x, ""));
	ds_lua_free(x);
	/* Strings hold any byte. */
	CHECK((x = compile("'a\\0b', #'a\\0b'")) != NULL);
	ds_lua_set_record(x, rec, nrec, recbuf, reclen);
	CHECK(ds_lua_fields(x, &f, &n) == 0 && n == 2 && f[0].len == 3 &&
	    memcmp(f[0].data, "a\0b", 3) == 0 && f[1].len == 1 &&
	    f[1].data[0] == '3');
	ds_lua_free(x);

	CHECK(fields_fail("k + 1", "[string \"k + 1\"]:1: attempt to add a "
	    "'string' with a 'number'"));
	CHECK(fields_fail("nil .. k", "[string \"nil .. k\"]:1: attempt to "
	    "concatenate a nil value"));
	CHECK(fields_fail("print", "value 1 is a function"));
	CHECK(fields_fail("k, {k, {}}", "value 2, element 2 is a table"));
	CHECK(fields_fail("error('boom', 0)", "boom"));
	CHECK(fields_fail("error({})", "(error object is a table value)"));
	CHECK(fields_fail("error()", "(error object is a nil value)"));

	/* A missing field is nil: k and v of a one-field record. */
	record("solo", NULL);
	CHECK((x = compile("k, v, f[2]")) != NULL && fields_are(x, "solo"));
	ds_lua_free(x);
}

static void
test_bool(void)
{
	struct ds_lua *x;

	record("a", "10", NULL);
	CHECK((x = compile("tonumber(v) > 5")) != NULL);
	ds_lua_set_record(x, rec, nrec, recbuf, reclen);
	CHECK(ds_lua_bool(x) == 1);
	record("a", "1", NULL);
	ds_lua_set_record(x, rec, nrec, recbuf, reclen);
	CHECK(ds_lua_bool(x) == 0);
	record("a", NULL);
	ds_lua_set_record(x, rec, nrec, recbuf, reclen);
	CHECK(ds_lua_bool(x) == -1 && errno == EINVAL &&
	    strcmp(ds_lua_error(x), "[string \"tonumber(v) > 5\"]:1: attempt "
	    "to compare number with nil") == 0);
	ds_lua_free(x);

	/* Lua's truth: only nil and false are false. */
	CHECK((x = compile("0, false")) != NULL);
	ds_lua_set_record(x, rec, nrec, recbuf, reclen);
	CHECK(ds_lua_bool(x) == 1);
	ds_lua_free(x);
	CHECK((x = compile("nil")) != NULL);
	ds_lua_set_record(x, rec, nrec, recbuf, reclen);
	CHECK(ds_lua_bool(x) == 0);
	ds_lua_free(x);
	CHECK((x = compile("r:find('x', 1, true)")) != NULL);
	record("abxc", NULL);
	ds_lua_set_record(x, rec, nrec, recbuf, reclen);
	CHECK(ds_lua_bool(x) == 1);
	record("abc", NULL);
	ds_lua_set_record(x, rec, nrec, recbuf, reclen);
	CHECK(ds_lua_bool(x) == 0);
	ds_lua_free(x);
}

static void
test_records(void)
{
	struct ds_lua *x;
	struct ds_field *f;
	size_t n;

	record("k1", "a,b,,c", NULL);
	CHECK(records_are("{1, 'two', {k, v}, nil, {}, true}",
	    "1;two;k1|a,b,,c;;true"));
	CHECK(records_are("{f, f}", "k1|a,b,,c;k1|a,b,,c"));
	/* An iterator: Python's split(","), empty pieces kept. */
	CHECK(records_are("(v .. ','):gmatch('(.-),')", "a;b;;c"));
	/* Each call's values are the fields of a record. */
	CHECK(records_are("('a=1 b=2'):gmatch('(%w+)=(%w+)')", "a|1;b|2"));
	CHECK(records_are("ipairs({'x', 'y'})", "1|x;2|y"));
	CHECK(records_are("nil", ""));
	CHECK(records_are("{}", ""));
	CHECK(records_are("(function () local t = {} for p in "
	    "(v .. ','):gmatch('(.-),') do t[#t + 1] = {k, p} end "
	    "return t end)()", "k1|a;k1|b;k1|;k1|c"));

	CHECK((x = compile("'abc'")) != NULL);
	ds_lua_set_record(x, rec, nrec, recbuf, reclen);
	CHECK(ds_lua_records(x) == -1 && errno == EINVAL &&
	    strcmp(ds_lua_error(x),
	    "the value is a string, not a table or a function") == 0);
	CHECK(ds_lua_next(x, &f, &n) == 0);
	ds_lua_free(x);

	CHECK((x = compile("{'a', print}")) != NULL);
	ds_lua_set_record(x, rec, nrec, recbuf, reclen);
	CHECK(ds_lua_records(x) == 0);
	CHECK(ds_lua_next(x, &f, &n) == 1 && n == 1 && f[0].len == 1);
	CHECK(ds_lua_next(x, &f, &n) == -1 &&
	    strcmp(ds_lua_error(x), "record 2 is a function") == 0);
	CHECK(ds_lua_next(x, &f, &n) == 0);
	ds_lua_free(x);

	CHECK((x = compile("{{'a', {}}}")) != NULL);
	ds_lua_set_record(x, rec, nrec, recbuf, reclen);
	CHECK(ds_lua_records(x) == 0 && ds_lua_next(x, &f, &n) == -1 &&
	    strcmp(ds_lua_error(x), "record 1, element 2 is a table") == 0);
	ds_lua_free(x);

	/* An iterator that fails on its second call. */
	CHECK((x = compile("function (_, i) if i then error('late', 0) end "
	    "return 1 end")) != NULL);
	ds_lua_set_record(x, rec, nrec, recbuf, reclen);
	CHECK(ds_lua_records(x) == 0 && ds_lua_next(x, &f, &n) == 1 &&
	    ds_lua_next(x, &f, &n) == -1 &&
	    strcmp(ds_lua_error(x), "late") == 0);
	ds_lua_free(x);

	/* A new run restarts the iteration. */
	CHECK((x = compile("{k}")) != NULL);
	ds_lua_set_record(x, rec, nrec, recbuf, reclen);
	CHECK(ds_lua_records(x) == 0 && ds_lua_records(x) == 0 &&
	    ds_lua_next(x, &f, &n) == 1 && ds_lua_next(x, &f, &n) == 0);
	ds_lua_free(x);
}

static void
test_params(void)
{
	const char *names[] = { "a", "b", NULL };
	struct ds_lua *x;
	struct ds_num num, two = { 0, 2, 0 }, half = { 1, 0, 0.5 };
	const char *p;
	size_t len;

	x = ds_lua_new("a + b", names, msg, sizeof(msg));
	CHECK(x != NULL);
	CHECK(ds_lua_set_value(x, 0, "40", 2) == 0 &&
	    ds_lua_set_num(x, 1, &two) == 0);
	CHECK(ds_lua_value(x, &num, &p, &len) == 1 && !num.isfloat &&
	    num.i == 42);
	CHECK(ds_lua_set_num(x, 1, &half) == 0);
	CHECK(ds_lua_value(x, &num, &p, &len) == 1 && num.isfloat &&
	    num.d == 40.5);
	/* A float argument stays a float, exactly. */
	CHECK(ds_lua_set_value(x, 0, "0.1", 3) == 0 &&
	    ds_lua_set_value(x, 1, "0.2", 3) == 0);
	CHECK(ds_lua_value(x, &num, &p, &len) == 1 && num.isfloat &&
	    num.d == 0.1 + 0.2);
	CHECK(ds_lua_set_string(x, 2, "x", 1) == -1 && errno == EINVAL);
	CHECK(ds_lua_set_string(x, -1, "x", 1) == -1 && errno == EINVAL);
	ds_lua_free(x);

	/* Values that are not numbers stay strings. */
	x = ds_lua_new("a < b and a or b", names, msg, sizeof(msg));
	CHECK(x != NULL);
	CHECK(ds_lua_set_value(x, 0, "pear", 4) == 0 &&
	    ds_lua_set_value(x, 1, "apple", 5) == 0);
	CHECK(ds_lua_value(x, &num, &p, &len) == 0 && len == 5 &&
	    memcmp(p, "apple", 5) == 0);
	/* Numbers compare as numbers, not as text. */
	CHECK(ds_lua_set_value(x, 0, "10", 2) == 0 &&
	    ds_lua_set_value(x, 1, "9", 1) == 0);
	CHECK(ds_lua_value(x, &num, &p, &len) == 1 && num.i == 9);
	ds_lua_free(x);

	x = ds_lua_new("a .. b, a == nil", names, msg, sizeof(msg));
	CHECK(x != NULL);
	CHECK(ds_lua_set_string(x, 0, "1", 1) == 0 &&
	    ds_lua_set_string(x, 1, "2", 1) == 0);
	CHECK(ds_lua_value(x, &num, &p, &len) == 0 && len == 2 &&
	    memcmp(p, "12", 2) == 0);
	ds_lua_free(x);

	x = ds_lua_new("a", names, msg, sizeof(msg));
	CHECK(x != NULL);
	CHECK(ds_lua_value(x, &num, &p, &len) == -1 &&
	    strcmp(ds_lua_error(x), "no value") == 0);
	CHECK(ds_lua_set_string(x, 0, "t", 1) == 0);
	CHECK(ds_lua_value(x, &num, &p, &len) == 0 && len == 1);
	ds_lua_free(x);

	x = ds_lua_new("{}", names, msg, sizeof(msg));
	CHECK(x != NULL && ds_lua_value(x, &num, &p, &len) == -1 &&
	    strcmp(ds_lua_error(x), "the value is a table") == 0);
	ds_lua_free(x);

	/* No names at all. */
	x = ds_lua_new("6 * 7", (const char *[]){ NULL }, msg, sizeof(msg));
	CHECK(x != NULL && ds_lua_value(x, &num, &p, &len) == 1 &&
	    num.i == 42);
	ds_lua_free(x);

	/* A record expression takes no named values. */
	x = compile("k");
	CHECK(x != NULL && ds_lua_set_string(x, 0, "a", 1) == -1);
	ds_lua_free(x);
}

/* The table f is refilled for each record: no field outlives its record. */
static void
test_reuse(void)
{
	struct ds_lua *x;
	char want[32];
	int i, ok = 1;

	CHECK((x = compile("#f, f[3], f[4]")) != NULL);
	record("a", "b", "c", "d", NULL);
	CHECK(fields_are(x, "4|c|d"));
	record("a", NULL);
	CHECK(fields_are(x, "1"));
	record("a", "b", "c", NULL);
	CHECK(fields_are(x, "3|c"));
	ds_lua_free(x);

	/* Fields the expression itself adds go too. */
	CHECK((x = compile("#f, (function () f[#f + 1] = 'z' end)()")) !=
	    NULL);
	record("a", "b", NULL);
	CHECK(fields_are(x, "2"));
	CHECK(fields_are(x, "2"));
	ds_lua_free(x);

	/* Many runs: nothing accumulates. */
	CHECK((x = compile("k .. v, #f")) != NULL);
	for (i = 0; i < 100000 && ok; i++) {
		snprintf(want, sizeof(want), "%d", i);
		record("n", want, NULL);
		snprintf(want, sizeof(want), "n%d|2", i);
		ok = fields_are(x, want);
	}
	CHECK(ok);
	ds_lua_free(x);
}
