/*
 * ds-countbyvalue: each distinct record of a batch and how often it came,
 * Spark's countByValue().
 */

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] = "ds-countbyvalue";

static void	escape_record(const struct ds_reader *, struct ds_buf *);

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_writer w;
	struct ds_table t;
	struct ds_buf key = { 0 };
	uint64_t *n;
	const char *k;
	char num[32];
	size_t i, klen;
	int ch, rc, isnew, len;

	while ((ch = getopt(argc, argv, "h")) != -1)
		ds_usage_exit(synopsis, ch == 'h');
	if (argc != optind)
		ds_usage_exit(synopsis, 0);

	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&w, STDOUT_FILENO) == -1 ||
	    ds_table_init(&t, sizeof(*n)) == -1)
		err(1, NULL);
	r.flush = &w;
	if (ds_write_header(&w) == -1)
		ds_write_failed_die(&w);
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (rc == DS_RECORD) {
			escape_record(&r, &key);
			if ((n = ds_table_upsert(&t, key.data, key.len,
			    &isnew)) == NULL)
				err(1, NULL);
			(*n)++;
			continue;
		}
		for (i = 0; i < ds_table_end(&t); i++) {
			if ((n = ds_table_value(&t, i)) == NULL)
				continue;
			k = ds_table_key(&t, i, &klen);
			len = snprintf(num, sizeof(num), "%llu",
			    (unsigned long long)*n);
			if (ds_write_escaped(&w, k, klen) == -1 ||
			    ds_write_field(&w, num, len) == -1 ||
			    ds_write_end(&w) == -1)
				ds_write_failed_die(&w);
		}
		ds_table_clear(&t);
		if (ds_write_batch(&w, r.time) == -1)
			ds_write_failed_die(&w);
	}
	ds_writer_close_or_die(&w);
	return 0;
}

/*
 * The record's escaped form is its key: two records are the same value
 * exactly when their escaped lines are the same.
 */
static void
escape_record(const struct ds_reader *r, struct ds_buf *b)
{
	size_t i;

	b->len = 0;
	if (ds_buf_reserve(b, 2 * r->reclen + 1) == -1)
		err(1, NULL);
	for (i = 0; i < r->nfield; i++) {
		if (i > 0)
			b->data[b->len++] = '\t';
		b->len += ds_escape(b->data + b->len, r->field[i].data,
		    r->field[i].len);
	}
}
