/*
 * ds-reducebykey: aggregate each batch's values by key, Spark's
 * reduceByKey (reduceByKeyAndWindow with -w): one record per key and
 * batch, keys in order of first appearance.
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] = "ds-reducebykey [-aI] [-f field] "
    "[-i interval] [-k field] [-o op] [-s slide] [-w length] [lua]";

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_writer w;
	struct ds_keyed k;
	const struct ds_field *key;
	struct ds_agg *a;
	unsigned long long nskipped = 0;
	struct ds_window_opts wo = { 0 };
	size_t kf = 1, vf = 2;
	int ch, rc, op = DS_OP_SUM, Iflag = 0, oflag = 0;

	while ((ch = getopt(argc, argv, "af:hIi:k:o:s:w:")) != -1) {
		switch (ch) {
		case 'f':
			vf = ds_field_arg_or_die("-f", optarg);
			break;
		case 'I':
			Iflag = 1;
			break;
		case 'a':
		case 'i':
		case 's':
		case 'w':
			ds_window_opt_or_die(&wo, ch, optarg);
			break;
		case 'k':
			kf = ds_field_arg_or_die("-k", optarg);
			break;
		case 'o':
			if ((op = ds_op_parse(optarg)) == -1)
				errx(2, "-o %s: unknown operation", optarg);
			oflag = 1;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		ds_usage_exit(synopsis, 0);
	op = ds_reducer_arg_or_die(op, oflag, argc == 1 ? argv[0] : NULL);

	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&w, STDOUT_FILENO) == -1)
		err(1, NULL);
	ds_keyed_init_or_die(&k, op, DS_KEY_FIELD, &w, &wo);
	r.flush = &w;
	if (ds_write_header(&w) == -1)
		ds_write_failed_die(&w);
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (rc == DS_BATCH) {
			ds_keyed_batch_or_die(&k, &r);
			continue;
		}
		if (kf > r.nfield)
			ds_record_die(&r, "no field %zu", kf);
		key = &r.field[kf - 1];
		if ((a = ds_keyed_agg_field(&k, key)) == NULL)
			err(1, NULL);
		if (ds_agg_add_or_die(&r, a, op, vf, Iflag) == -1) {
			nskipped++;
			ds_keyed_forget(&k, key->data, key->len);
		}
	}
	ds_keyed_end(&k);
	ds_writer_close_or_die(&w);
	if (nskipped > 0)
		warnx("values skipped, not numbers: %llu", nskipped);
	exit(0);
}
