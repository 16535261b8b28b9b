/*
 * ds-reducebykey: aggregate each batch's values by key, Spark's
 * reduceByKey: one record per key and batch, keys in order of first
 * appearance.
 */

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] =
    "ds-reducebykey [-I] [-f field] [-k field] [-o op]";

static void	add(struct ds_reader *, struct ds_table *, size_t, size_t);
static void	flush_batch(struct ds_writer *, struct ds_table *, int64_t);
static size_t	field_number(const char *, const char *);

static int		op = DS_OP_SUM;
static int		Iflag;		/* skip values that are not numbers */
static unsigned long long nskipped;

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_writer w;
	struct ds_table t;
	size_t key = 1, val = 2;
	int ch, rc;

	while ((ch = getopt(argc, argv, "f:hIk:o:")) != -1) {
		switch (ch) {
		case 'f':
			val = field_number("-f", optarg);
			break;
		case 'I':
			Iflag = 1;
			break;
		case 'k':
			key = field_number("-k", optarg);
			break;
		case 'o':
			if ((op = ds_op_parse(optarg)) == -1)
				errx(2, "-o %s: unknown operation", optarg);
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	if (argc != optind)
		ds_usage_exit(synopsis, 0);

	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&w, STDOUT_FILENO) == -1 ||
	    ds_table_init(&t, sizeof(struct ds_agg)) == -1)
		err(1, NULL);
	r.flush = &w;
	if (ds_write_header(&w) == -1)
		ds_write_failed_die(&w);
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (rc == DS_BATCH)
			flush_batch(&w, &t, r.time);
		else
			add(&r, &t, key, val);
	}
	ds_writer_close_or_die(&w);
	if (nskipped > 0)
		warnx("values skipped, not numbers: %llu", nskipped);
	return 0;
}

static size_t
field_number(const char *opt, const char *s)
{
	const char *errstr;
	size_t n;

	n = strtonum(s, 1, INT_MAX, &errstr);
	if (errstr != NULL)
		errx(2, "%s %s: field number is %s", opt, s, errstr);
	return n;
}

static void
add(struct ds_reader *r, struct ds_table *t, size_t key, size_t val)
{
	const struct ds_field *k, *v;
	struct ds_agg *a;
	char q[64];
	int isnew;

	if (key > r->nfield)
		ds_record_die(r, "no field %zu (the key)", key);
	if (val > r->nfield && op != DS_OP_COUNT)
		ds_record_die(r, "no field %zu (the value)", val);
	k = &r->field[key - 1];
	v = &r->field[val - 1];
	if ((a = ds_table_upsert(t, k->data, k->len, &isnew)) == NULL)
		err(1, NULL);
	if (ds_agg_add(a, op, v->data, v->len) == 0)
		return;
	if (errno == EINVAL && Iflag) {
		nskipped++;
		if (isnew)
			ds_table_remove(t, k->data, k->len);
		return;
	}
	ds_quote(q, sizeof(q), v->data, v->len);
	if (errno == EINVAL)
		ds_record_die(r, "field %zu: not a number: \"%s\"", val, q);
	if (errno == ERANGE)
		ds_record_die(r, "field %zu: number out of range: \"%s\"",
		    val, q);
	if (errno == EOVERFLOW)
		ds_record_die(r, "field %zu: the sum overflows at \"%s\"",
		    val, q);
	err(1, NULL);
}

static void
flush_batch(struct ds_writer *w, struct ds_table *t, int64_t time)
{
	struct ds_agg *a;
	const char *k, *v;
	char num[DS_NUM_MAX];
	size_t i, klen, vlen;

	for (i = 0; i < ds_table_end(t); i++) {
		if ((a = ds_table_value(t, i)) == NULL)
			continue;
		k = ds_table_key(t, i, &klen);
		v = ds_agg_result(a, op, num, &vlen);
		if (ds_write_field(w, k, klen) == -1 ||
		    ds_write_field(w, v, vlen) == -1 ||
		    ds_write_end(w) == -1)
			ds_write_failed_die(w);
		ds_agg_free(a);
	}
	ds_table_clear(t);
	if (ds_write_batch(w, time) == -1)
		ds_write_failed_die(w);
}
