/*
 * ds-reduce: one aggregate of each batch's values, Spark's reduce(): a
 * record per batch, none for an empty batch.
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] = "ds-reduce [-I] [-f field] [-o op]";

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_writer w;
	struct ds_agg a = { 0 };
	unsigned long long nskipped = 0;
	const char *v;
	char num[DS_NUM_MAX];
	size_t field = 1, vlen;
	int ch, rc, op = DS_OP_SUM, Iflag = 0;

	while ((ch = getopt(argc, argv, "f:hIo:")) != -1) {
		switch (ch) {
		case 'f':
			field = ds_field_arg_or_die("-f", optarg);
			break;
		case 'I':
			Iflag = 1;
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
	    ds_writer_init(&w, STDOUT_FILENO) == -1)
		err(1, NULL);
	r.flush = &w;
	if (ds_write_header(&w) == -1)
		ds_write_failed_die(&w);
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (rc == DS_RECORD) {
			if (ds_agg_add_or_die(&r, &a, op, field, Iflag) == -1)
				nskipped++;
			continue;
		}
		if (a.count > 0) {
			v = ds_agg_result(&a, op, num, &vlen);
			if (ds_write_field(&w, v, vlen) == -1 ||
			    ds_write_end(&w) == -1)
				ds_write_failed_die(&w);
			ds_agg_free(&a);
		}
		if (ds_write_batch(&w, r.time) == -1)
			ds_write_failed_die(&w);
	}
	ds_writer_close_or_die(&w);
	if (nskipped > 0)
		warnx("values skipped, not numbers: %llu", nskipped);
	return 0;
}
