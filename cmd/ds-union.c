/*
 * ds-union: merge several streams batch by batch on batch time, Spark's
 * union: batch T of the output holds the records of every input's batch
 * T, input by input in the order given.
 */

#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] = "ds-union stream ...";

static void	open_input(struct ds_reader *, const char *,
		    struct ds_writer *);

int
main(int argc, char *argv[])
{
	struct ds_reader *in;
	struct ds_writer w;
	struct ds_merge m;
	size_t i, n;
	int ch, rc, stdin_taken = 0;

	while ((ch = getopt(argc, argv, "h")) != -1) {
		switch (ch) {
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		ds_usage_exit(synopsis, 0);
	n = argc;
	for (i = 0; i < n; i++) {
		if (strcmp(argv[i], "-") != 0)
			continue;
		if (stdin_taken++)
			errx(2, "-: stdin given twice");
	}

	if ((in = reallocarray(NULL, n, sizeof(*in))) == NULL ||
	    ds_writer_init(&w, STDOUT_FILENO) == -1)
		err(1, NULL);
	for (i = 0; i < n; i++)
		open_input(&in[i], argv[i], &w);
	ds_catch_interrupt();
	if (ds_merge_init(&m, in, n) == -1)
		err(1, NULL);
	m.flush = &w;
	if (ds_write_header(&w) == -1)
		ds_write_failed_die(&w);
	while ((rc = ds_merge_next(&m, &i)) != DS_EOF) {
		if (rc == -1) {
			if (m.failed < n)
				ds_reader_die(&in[m.failed]);
			if (w.error != 0)
				ds_write_failed_die(&w);
			err(1, "poll");
		}
		if (rc == DS_RECORD) {
			if (ds_merge_keep(&m, i) == -1)
				err(1, NULL);
		} else if (ds_merge_write(&m, &w) == -1)
			ds_write_failed_die(&w);
	}
	ds_writer_close_or_die(&w);
	ds_merge_free(&m);
	for (i = 0; i < n; i++)
		ds_reader_free(&in[i]);
	free(in);
	exit(0);
}

/*
 * Opening a FIFO waits for its writer, so the inputs are opened one after
 * the other, in the order given, before anything is read.
 */
static void
open_input(struct ds_reader *r, const char *path, struct ds_writer *w)
{
	int fd;

	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
		path = "stdin";
	} else if ((fd = open(path, O_RDONLY)) == -1)
		err(1, "%s", path);
	if (ds_reader_init(r, fd, path, DS_AUTO) == -1)
		err(1, NULL);
	r->flush = w;
}
