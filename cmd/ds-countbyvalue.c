/*
 * ds-countbyvalue: each distinct record of a batch and how often it came,
 * Spark's countByValue() (countByValueAndWindow with -w).
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] =
    "ds-countbyvalue [-a] [-i interval] [-s slide] [-w length]";

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_writer w;
	struct ds_keyed k;
	struct ds_buf key = { 0 };
	struct ds_field line;
	struct ds_agg *a;
	struct ds_window_opts wo = { 0 };
	int ch, rc;

	while ((ch = getopt(argc, argv, "ahi:s:w:")) != -1) {
		switch (ch) {
		case 'a':
		case 'i':
		case 's':
		case 'w':
			ds_window_opt_or_die(&wo, ch, optarg);
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
	ds_keyed_init_or_die(&k, DS_OP_COUNT, DS_KEY_ESCAPED, &w, &wo);
	r.flush = &w;
	if (ds_write_header(&w) == -1)
		ds_write_failed_die(&w);
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (rc == DS_BATCH) {
			ds_keyed_batch_or_die(&k, &r);
			continue;
		}
		/*
		 * Two records are one value when their escaped lines are; a
		 * clean record's line is its own, read in place.
		 */
		if (ds_record_clean(&r)) {
			line.data = r.rec;
			line.len = r.reclen;
			a = ds_keyed_agg_field(&k, &line);
		} else {
			key.len = 0;
			a = ds_escape_record(&key, r.field, r.nfield) == -1 ?
			    NULL : ds_keyed_agg(&k, key.data, key.len);
		}
		if (a == NULL)
			err(1, NULL);
		a->count++;
	}
	ds_keyed_end(&k);
	ds_writer_close_or_die(&w);
	exit(0);
}
