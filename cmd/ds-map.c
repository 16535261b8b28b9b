/*
 * ds-map: one record in, one record out, Spark's map(): fields picked with
 * -f and constants added with -a, or a Lua expression's values.
 */

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] = "ds-map [-W] [-a text] [-f list] [expr]";

/* A range of -f: fields lo to hi, hi 0 for the last. */
struct range {
	size_t	lo;
	size_t	hi;
};

static void	parse_list(const char *);
static size_t	field_number(const char *, const char *, const char *);
static void	add_field(const char *, size_t);
static void	pick(const struct ds_reader *);
static void	lua_failed(struct ds_reader *, struct ds_lua *);

static struct range	*range;
static size_t		 nrange;
static struct ds_field	*constant;	/* -a, in order */
static size_t		 nconstant;
static struct ds_field	*out;		/* the record being made */
static size_t		 nout, outcap;
static int		 Wflag;		/* a Lua error drops the record */
static unsigned long long ndropped;

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_writer w;
	struct ds_lua *lua = NULL;
	struct ds_field *f, *p;
	size_t n;
	int ch, rc, fflag = 0;

	while ((ch = getopt(argc, argv, "a:f:hW")) != -1) {
		switch (ch) {
		case 'a':
			p = reallocarray(constant, nconstant + 1,
			    sizeof(*constant));
			if (p == NULL)
				err(1, NULL);
			constant = p;
			constant[nconstant].data = optarg;
			constant[nconstant++].len = strlen(optarg);
			break;
		case 'f':
			parse_list(optarg);
			fflag = 1;
			break;
		case 'W':
			Wflag = 1;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || (argc == 1) == (fflag || nconstant > 0))
		ds_usage_exit(synopsis, 0);
	if (argc == 1)
		lua = ds_lua_new_or_die(argv[0], NULL);

	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&w, STDOUT_FILENO) == -1)
		err(1, NULL);
	r.flush = &w;
	if (ds_write_header(&w) == -1)
		ds_write_failed_die(&w);
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (rc == DS_BATCH) {
			if (ds_write_batch(&w, r.time) == -1)
				ds_write_failed_die(&w);
			continue;
		}
		if (lua == NULL) {
			if (fflag)
				pick(&r);
			else {
				nout = 0;
				for (n = 0; n < r.nfield; n++)
					add_field(r.field[n].data,
					    r.field[n].len);
			}
			for (n = 0; n < nconstant; n++)
				add_field(constant[n].data, constant[n].len);
			f = out;
			n = nout;
		} else {
			ds_lua_set_record(lua, r.field, r.nfield, r.rec,
			    r.reclen);
			if (ds_lua_fields(lua, &f, &n) == -1) {
				lua_failed(&r, lua);
				continue;
			}
		}
		if (ds_write_record(&w, f, n) == -1)
			ds_write_failed_die(&w);
	}
	ds_writer_close_or_die(&w);
	ds_reader_free(&r);
	ds_lua_free(lua);
	if (ndropped > 0)
		warnx("records dropped after Lua errors: %llu", ndropped);
	exit(0);
}

/* A list as cut(1) takes it: N, N-M, N- and -M, separated by commas. */
static void
parse_list(const char *list)
{
	const char *s = list, *end, *dash;
	struct range *p;
	size_t lo, hi;

	for (;;) {
		end = s + strcspn(s, ",");
		if ((dash = memchr(s, '-', end - s)) == NULL)
			lo = hi = field_number(list, s, end);
		else {
			if (dash == s && dash + 1 == end)
				errx(2, "-f %s: not a list of fields", list);
			lo = dash == s ? 1 : field_number(list, s, dash);
			hi = dash + 1 == end ? 0 :
			    field_number(list, dash + 1, end);
			if (hi != 0 && hi < lo)
				errx(2, "-f %s: decreasing range", list);
		}
		p = reallocarray(range, nrange + 1, sizeof(*range));
		if (p == NULL)
			err(1, NULL);
		range = p;
		range[nrange].lo = lo;
		range[nrange++].hi = hi;
		if (*end == '\0')
			break;
		s = end + 1;
	}
}

static size_t
field_number(const char *list, const char *s, const char *end)
{
	const char *errstr;
	char num[16];
	size_t n;

	if (end == s || (size_t)(end - s) >= sizeof(num))
		errx(2, "-f %s: not a list of fields", list);
	memcpy(num, s, end - s);
	num[end - s] = '\0';
	n = strtonum(num, 1, INT_MAX, &errstr);
	if (errstr != NULL)
		errx(2, "-f %s: field number %s is %s", list, num, errstr);
	return n;
}

static void
add_field(const char *p, size_t len)
{
	struct ds_field *f;
	size_t ncap;

	if (nout == outcap) {
		ncap = outcap != 0 ? outcap * 2 : 16;
		if ((f = reallocarray(out, ncap, sizeof(*f))) == NULL)
			err(1, NULL);
		out = f;
		outcap = ncap;
	}
	out[nout].data = (char *)p;
	out[nout++].len = len;
}

/* The fields of -f, in its order; a field the record lacks is left out. */
static void
pick(const struct ds_reader *r)
{
	size_t i, j, hi;

	nout = 0;
	for (i = 0; i < nrange; i++) {
		hi = range[i].hi == 0 || range[i].hi > r->nfield ?
		    r->nfield : range[i].hi;
		for (j = range[i].lo; j <= hi; j++)
			add_field(r->field[j - 1].data, r->field[j - 1].len);
	}
}

static void
lua_failed(struct ds_reader *r, struct ds_lua *lua)
{
	if (errno == ENOMEM)
		err(1, NULL);
	if (!Wflag)
		ds_record_die(r, "lua: %s", ds_lua_error(lua));
	warnx("%s:%llu: lua: %s", r->name, (unsigned long long)r->lineno,
	    ds_lua_error(lua));
	ndropped++;
}
