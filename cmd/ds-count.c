/*
 * ds-count: the number of records of each batch, Spark's count(): a
 * record per batch, 0 for an empty one.
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] = "ds-count";

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_writer w;
	unsigned long long n = 0;
	char num[32];
	int ch, rc, len;

	while ((ch = getopt(argc, argv, "h")) != -1)
		ds_usage_exit(synopsis, ch == 'h');
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
			n++;
			continue;
		}
		len = snprintf(num, sizeof(num), "%llu", n);
		if (ds_write_field(&w, num, len) == -1 ||
		    ds_write_end(&w) == -1 ||
		    ds_write_batch(&w, r.time) == -1)
			ds_write_failed_die(&w);
		n = 0;
	}
	ds_writer_close_or_die(&w);
	return 0;
}
