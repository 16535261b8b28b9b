/*
 * ds-join: join pair records on their key, batch by batch: the standard
 * input with another stream, Spark's join, leftOuterJoin, rightOuterJoin
 * and fullOuterJoin, or with a table file, Spark's transform with a join
 * against a static RDD.
 */

#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] =
    "ds-join [-Flr] [-e marker] [-t table] [stream]";

static void	run_streams(const char *);
static void	run_table(const char *);
static void	need_value(struct ds_reader *);
static void	side_init(struct ds_join_side *);
static void	table_load(const char *, struct ds_join_side *, struct stat *);
static void	joined(int);

static struct ds_join	 j;
static struct ds_writer	 out;

int
main(int argc, char *argv[])
{
	const char *table = NULL;
	int ch;

	j.marker = "None";	/* a missing side */
	while ((ch = getopt(argc, argv, "Fe:hlrt:")) != -1) {
		switch (ch) {
		case 'F':
			j.outer = DS_JOIN_LEFT | DS_JOIN_RIGHT;
			break;
		case 'e':
			j.marker = optarg;
			break;
		case 'l':
			j.outer |= DS_JOIN_LEFT;
			break;
		case 'r':
			j.outer |= DS_JOIN_RIGHT;
			break;
		case 't':
			table = optarg;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if ((table == NULL) == (argc == 0) || argc > 1)
		ds_usage_exit(synopsis, 0);
	if (table == NULL && strcmp(argv[0], "-") == 0)
		errx(2, "-: stdin is the left stream already");

	j.markerlen = strlen(j.marker);
	j.out = &out;

	if (ds_writer_init(&out, STDOUT_FILENO) == -1)
		err(1, NULL);
	if (table != NULL)
		run_table(table);
	else
		run_streams(argv[0]);
	ds_writer_close_or_die(&out);
	exit(0);
}

/*
 * Join the standard input with the stream at path, batch by batch: both
 * are read as they come (ds_merge), and batch T is joined once both have
 * passed T or ended; a side with no batch at T is an empty batch.
 */
static void
run_streams(const char *path)
{
	struct ds_reader in[2];
	struct ds_merge m;
	struct ds_join_left left;
	struct ds_join_side right;
	size_t i;
	int fd, rc, lat, rat;

	if ((fd = open(path, O_RDONLY)) == -1)
		err(1, "%s", path);
	if (ds_reader_init(&in[0], STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_reader_init(&in[1], fd, path, DS_AUTO) == -1 ||
	    ds_merge_init(&m, in, 2) == -1)
		err(1, NULL);
	ds_catch_interrupt();
	in[0].flush = in[1].flush = m.flush = &out;
	memset(&left, 0, sizeof(left));
	side_init(&right);
	if (ds_write_header(&out) == -1)
		ds_write_failed_die(&out);
	while ((rc = ds_merge_next(&m, &i)) != DS_EOF) {
		if (rc == -1) {
			if (m.failed < 2)
				ds_reader_die(&in[m.failed]);
			if (out.error != 0)
				ds_write_failed_die(&out);
			err(1, "poll");
		}
		if (rc == DS_RECORD) {
			need_value(&in[i]);
			if ((i == 0 ? ds_join_left_add(&left, &in[0].field[0],
			    &in[0].field[1], in[0].nfield - 1) :
			    ds_join_side_add(&right, &in[1].field[0],
			    &in[1].field[1], in[1].nfield - 1)) == -1)
				err(1, NULL);
			continue;
		}
		lat = ds_merge_at(&m, 0);
		rat = ds_merge_at(&m, 1);
		if (lat)
			joined(ds_join_batch(&j, &left, rat ? &right : NULL));
		if (rat)
			joined(ds_join_rest(&j, &right));
		if (lat)
			ds_join_left_clear(&left);
		if (rat)
			ds_join_side_clear(&right);
		joined(ds_write_batch(&out, m.time));
	}
	ds_merge_free(&m);
	ds_reader_free(&in[0]);
	ds_reader_free(&in[1]);
	(void)close(fd);
	ds_join_left_free(&left);
	ds_join_side_free(&right);
}

/*
 * Join the standard input with the table file at path, record by record,
 * reloading the table at the start of a batch when the file has changed.
 */
static void
run_table(const char *path)
{
	struct ds_reader r;
	struct ds_join_side table, fresh;
	struct ds_buf lval;
	struct stat id;
	int rc, changed, check = 1;

	side_init(&table);
	table_load(path, &table, &id);
	memset(&lval, 0, sizeof(lval));
	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1)
		err(1, NULL);
	r.flush = &out;
	if (ds_write_header(&out) == -1)
		ds_write_failed_die(&out);
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		/* Checked when a batch's first item arrives, not before. */
		if (check && (changed = ds_join_changed(path, &id)) != 0) {
			if (changed == -1)
				err(1, "%s", path);
			side_init(&fresh);
			table_load(path, &fresh, &id);
			ds_join_side_free(&table);
			table = fresh;
		}
		check = 0;
		if (rc == DS_RECORD) {
			need_value(&r);
			lval.len = 0;
			if (ds_escape_record(&lval, &r.field[1],
			    r.nfield - 1) == -1)
				err(1, NULL);
			joined(ds_join_one(&j, r.field[0].data, r.field[0].len,
			    lval.data, lval.len, &table));
			continue;
		}
		joined(ds_join_rest(&j, &table));
		joined(ds_write_batch(&out, r.time));
		check = 1;
	}
	ds_reader_free(&r);
	ds_buf_free(&lval);
	ds_join_side_free(&table);
}

static void
need_value(struct ds_reader *r)
{
	if (r->nfield < 2)
		ds_record_die(r, "no field 2 (the value)");
}

static void
side_init(struct ds_join_side *s)
{
	if (ds_join_side_init(s) == -1)
		err(1, NULL);
}

/*
 * Read the table at path into t, each line a key, a TAB and the value's
 * fields, taken literally; id gets what identifies the file's version.
 */
static void
table_load(const char *path, struct ds_join_side *t, struct stat *id)
{
	struct ds_reader r;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, id) == -1)
		err(1, "%s", path);
	if (ds_reader_init(&r, fd, path, DS_RAW) == -1)
		err(1, NULL);
	r.flush = &out;
	/* As ds_read_or_die would: an interrupt is a stop from now on. */
	ds_catch_interrupt();
	if (ds_join_load(t, &r) == -1) {
		if (errno == EDOM)
			need_value(&r);
		if (errno == ENOMEM)
			err(1, NULL);
		ds_reader_die(&r);
	}
	ds_reader_free(&r);
	(void)close(fd);
}

/* The result of a write to stdout. */
static void
joined(int rc)
{
	if (rc == -1)
		ds_write_failed_die(&out);
}
