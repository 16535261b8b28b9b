/*
 * ds-flatmap: one record in, zero or more out, Spark's flatMap(): a field
 * split on a delimiter as Python's str.split does, or the records of a
 * Lua expression.
 */

#define _GNU_SOURCE		/* memmem(3) on glibc */

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] = "ds-flatmap [-W] [-d delim] [-f field] [expr]";

static void	split(struct ds_writer *, struct ds_reader *);
static void	expand(struct ds_writer *, struct ds_reader *);
static void	lua_failed(struct ds_reader *);

static const char	*delim;		/* -d */
static size_t		 delimlen;
static size_t		 field = 1;	/* -f */
static struct ds_lua	*lua;
static int		 Wflag;		/* a Lua error drops the record */
static unsigned long long ndropped;

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_writer w;
	int ch, rc, fflag = 0;

	while ((ch = getopt(argc, argv, "d:f:hW")) != -1) {
		switch (ch) {
		case 'd':
			if (*optarg == '\0')
				errx(2, "-d: empty delimiter");
			delim = optarg;
			delimlen = strlen(optarg);
			break;
		case 'f':
			field = ds_field_arg_or_die("-f", optarg);
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
	if (argc > 1 || (argc == 1) == (delim != NULL) ||
	    (fflag && delim == NULL))
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
		} else if (lua != NULL)
			expand(&w, &r);
		else
			split(&w, &r);
	}
	ds_writer_close_or_die(&w);
	ds_reader_free(&r);
	ds_lua_free(lua);
	if (ndropped > 0)
		warnx("records dropped after Lua errors: %llu", ndropped);
	exit(0);
}

/*
 * A copy of the record for each piece of the field, the piece in its
 * place: Python's str.split(delim), so n delimiters make n + 1 pieces,
 * empty ones included.
 */
static void
split(struct ds_writer *w, struct ds_reader *r)
{
	const char *p, *end, *d;
	size_t i;
	int rc;

	if (field > r->nfield)
		ds_record_die(r, "no field %zu", field);
	p = r->field[field - 1].data;
	end = p + r->field[field - 1].len;
	for (;;) {
		if ((d = memmem(p, end - p, delim, delimlen)) == NULL)
			d = end;
		for (i = 0, rc = 0; i < r->nfield && rc == 0; i++)
			rc = i == field - 1 ? ds_write_field(w, p, d - p) :
			    ds_write_field(w, r->field[i].data,
			    r->field[i].len);
		if (rc == -1 || ds_write_end(w) == -1)
			ds_write_failed_die(w);
		if (d == end)
			break;
		p = d + delimlen;
	}
}

/*
 * The records of the expression.  They are kept, escaped, until the last
 * one, so that an error under -W drops them all, not only the rest.
 */
static void
expand(struct ds_writer *w, struct ds_reader *r)
{
	static struct ds_buf lines;
	static size_t *ends, nends, endcap;
	struct ds_field *f;
	size_t i, n, from, *p;
	int rc;

	lines.len = 0;
	nends = 0;
	ds_lua_set_record(lua, r->field, r->nfield, r->rec, r->reclen);
	if (ds_lua_records(lua) == -1) {
		lua_failed(r);
		return;
	}
	while ((rc = ds_lua_next(lua, &f, &n)) == 1) {
		if (nends == endcap) {
			endcap = endcap != 0 ? endcap * 2 : 64;
			if ((p = reallocarray(ends, endcap, sizeof(*p))) ==
			    NULL)
				err(1, NULL);
			ends = p;
		}
		if (ds_escape_record(&lines, f, n) == -1)
			err(1, NULL);
		ends[nends++] = lines.len;
	}
	if (rc == -1) {
		lua_failed(r);
		return;
	}
	for (i = 0, from = 0; i < nends; from = ends[i++])
		if (ds_write_escaped(w, lines.data + from, ends[i] - from) ==
		    -1 || ds_write_end(w) == -1)
			ds_write_failed_die(w);
}

static void
lua_failed(struct ds_reader *r)
{
	if (errno == ENOMEM)
		err(1, NULL);
	if (!Wflag)
		ds_record_die(r, "lua: %s", ds_lua_error(lua));
	warnx("%s:%llu: lua: %s", r->name, (unsigned long long)r->lineno,
	    ds_lua_error(lua));
	ndropped++;
}
