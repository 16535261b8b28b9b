/*
 * ds-reducebykey: aggregate each batch's values by key, Spark's
 * reduceByKey: one record per key and batch, keys in order of first
 * appearance.
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] =
    "ds-reducebykey [-I] [-f field] [-k field] [-o op]";

static void	flush_batch(struct ds_writer *, struct ds_table *, int64_t);

static int	op = DS_OP_SUM;

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_writer w;
	struct ds_table t;
	const struct ds_field *k;
	struct ds_agg *a;
	unsigned long long nskipped = 0;
	size_t key = 1, val = 2;
	int ch, rc, isnew, Iflag = 0;

	while ((ch = getopt(argc, argv, "f:hIk:o:")) != -1) {
		switch (ch) {
		case 'f':
			val = ds_field_arg_or_die("-f", optarg);
			break;
		case 'I':
			Iflag = 1;
			break;
		case 'k':
			key = ds_field_arg_or_die("-k", optarg);
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
		if (rc == DS_BATCH) {
			flush_batch(&w, &t, r.time);
			continue;
		}
		if (key > r.nfield)
			ds_record_die(&r, "no field %zu", key);
		k = &r.field[key - 1];
		if ((a = ds_table_upsert(&t, k->data, k->len, &isnew)) == NULL)
			err(1, NULL);
		if (ds_agg_add_or_die(&r, a, op, val, Iflag) == -1) {
			nskipped++;
			if (isnew)
				ds_table_remove(&t, k->data, k->len);
		}
	}
	ds_writer_close_or_die(&w);
	if (nskipped > 0)
		warnx("values skipped, not numbers: %llu", nskipped);
	return 0;
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
