/*
 * ds-print: print the first records of each batch under a header, as
 * PySpark's DStream.pprint() does, or Scala's print() with -S.
 */

#include <err.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] = "ds-print [-S] [-n num]";
static const char dashes[] = "-------------------------------------------\n";

static int	Sflag;		/* Scala's print() */

static struct ds_buf	shown;	/* the batch's first num records, printed */

static void	add(const void *, size_t);
static void	format_record(const struct ds_reader *);
static void	print_batch(struct ds_writer *, int64_t, long long, long long);

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_writer w;
	const char *errstr;
	long long num = 10, n = 0;
	int ch, rc;

	while ((ch = getopt(argc, argv, "hn:S")) != -1) {
		switch (ch) {
		case 'n':
			num = strtonum(optarg, 0, LLONG_MAX, &errstr);
			if (errstr != NULL)
				errx(2, "-n %s: %s", optarg, errstr);
			break;
		case 'S':
			Sflag = 1;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	if (argc != optind)
		ds_usage_exit(synopsis, 0);

	tzset();
	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&w, STDOUT_FILENO) == -1)
		err(1, NULL);
	r.flush = &w;
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (rc == DS_BATCH) {
			print_batch(&w, r.time, n, num);
			n = 0;
		} else if (n++ < num)
			format_record(&r);
	}
	ds_writer_close_or_die(&w);
	exit(0);
}

static void
add(const void *p, size_t len)
{
	if (ds_buf_append(&shown, p, len) == -1)
		err(1, NULL);
}

/*
 * One record as pprint shows it: a lone field as it is, several as a
 * Python tuple whose numeric fields print unquoted, as written.  -S
 * prints Scala's tuple instead.
 */
static void
format_record(const struct ds_reader *r)
{
	const struct ds_field *f;
	size_t i;

	if (r->nfield == 1) {
		add(r->rec, r->reclen);
		add("\n", 1);
		return;
	}
	add("(", 1);
	for (i = 0; i < r->nfield; i++) {
		f = &r->field[i];
		if (i > 0)
			add(Sflag ? "," : ", ", Sflag ? 1 : 2);
		if (Sflag || ds_num_syntax(f->data, f->len))
			add(f->data, f->len);
		else
			if (ds_repr(&shown, f->data, f->len) == -1)
				err(1, NULL);
	}
	add(")\n", 2);
}

static void
print_batch(struct ds_writer *w, int64_t ms, long long n, long long num)
{
	struct tm tm;
	time_t secs = ms / 1000;
	char line[80];
	size_t len;

	if (Sflag)
		len = snprintf(line, sizeof(line), "Time: %lld ms\n",
		    (long long)ms);
	else {
		if (localtime_r(&secs, &tm) == NULL)
			err(1, "localtime");
		len = strftime(line, sizeof(line), "Time: %Y-%m-%d %H:%M:%S",
		    &tm);
		if (ms % 1000 != 0)
			len += snprintf(line + len, sizeof(line) - len,
			    ".%06d", (int)(ms % 1000) * 1000);
		line[len++] = '\n';
	}
	if (ds_write_bytes(w, dashes, sizeof(dashes) - 1) == -1 ||
	    ds_write_bytes(w, line, len) == -1 ||
	    ds_write_bytes(w, dashes, sizeof(dashes) - 1) == -1 ||
	    ds_write_bytes(w, shown.data, shown.len) == -1 ||
	    (n > num && ds_write_bytes(w, "...\n", 4) == -1) ||
	    ds_write_bytes(w, "\n", 1) == -1)
		ds_write_failed_die(w);
	ds_writer_mark(w);
	shown.len = 0;
}
