/*
 * ds-groupbykey: each key of a batch with all its values, Spark's
 * groupByKey(): the key, then the values in arrival order.
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] = "ds-groupbykey [-k field]";

static void	append_values(const struct ds_reader *, size_t, struct ds_buf *);

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_writer w;
	struct ds_table t;
	const struct ds_field *k;
	struct ds_buf *vals;
	const char *kp;
	size_t key = 1, i, klen;
	int ch, rc, isnew;

	while ((ch = getopt(argc, argv, "hk:")) != -1) {
		switch (ch) {
		case 'k':
			key = ds_field_arg_or_die("-k", optarg);
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	if (argc != optind)
		ds_usage_exit(synopsis, 0);

	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&w, STDOUT_FILENO) == -1 ||
	    ds_table_init(&t, sizeof(*vals)) == -1)
		err(1, NULL);
	r.flush = &w;
	if (ds_write_header(&w) == -1)
		ds_write_failed_die(&w);
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (rc == DS_RECORD) {
			if (key > r.nfield)
				ds_record_die(&r, "no field %zu", key);
			k = &r.field[key - 1];
			if ((vals = ds_table_upsert(&t, k->data, k->len,
			    &isnew)) == NULL)
				err(1, NULL);
			append_values(&r, key, vals);
			continue;
		}
		for (i = 0; i < ds_table_end(&t); i++) {
			if ((vals = ds_table_value(&t, i)) == NULL)
				continue;
			kp = ds_table_key(&t, i, &klen);
			if (ds_write_field(&w, kp, klen) == -1 ||
			    (vals->len > 0 && ds_write_escaped(&w,
			    vals->data + 1, vals->len - 1) == -1) ||
			    ds_write_end(&w) == -1)
				ds_write_failed_die(&w);
			ds_buf_free(vals);
		}
		ds_table_clear(&t);
		if (ds_write_batch(&w, r.time) == -1)
			ds_write_failed_die(&w);
	}
	ds_writer_close_or_die(&w);
	exit(0);
}

/*
 * Keep every field but the key, escaped, each after a TAB, so that the
 * group is written out as it stands.
 */
static void
append_values(const struct ds_reader *r, size_t key, struct ds_buf *b)
{
	const struct ds_field *f;
	size_t i;

	for (i = 0; i < r->nfield; i++) {
		if (i == key - 1)
			continue;
		f = &r->field[i];
		if (ds_buf_reserve(b, 2 * f->len + 1) == -1)
			err(1, NULL);
		b->data[b->len++] = '\t';
		b->len += ds_escape(b->data + b->len, f->data, f->len);
	}
}
