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
static void	add_repr(const char *, size_t);
static int	printable(uint32_t);
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
 * Whether Python's str.isprintable() holds for a code point above ASCII:
 * false for controls, format characters, separators other than the space,
 * surrogates and private use.  Unassigned code points count as printable.
 */
static int
printable(uint32_t c)
{
	static const uint32_t nonprint[][2] = {
		{ 0x80, 0xa0 }, { 0xad, 0xad }, { 0x600, 0x605 },
		{ 0x61c, 0x61c }, { 0x6dd, 0x6dd }, { 0x70f, 0x70f },
		{ 0x8e2, 0x8e2 }, { 0x1680, 0x1680 }, { 0x180e, 0x180e },
		{ 0x2000, 0x200f }, { 0x2028, 0x202f }, { 0x205f, 0x2064 },
		{ 0x2066, 0x206f }, { 0x3000, 0x3000 }, { 0xd800, 0xf8ff },
		{ 0xfeff, 0xfeff }, { 0xfff9, 0xfffb }, { 0x110bd, 0x110bd },
		{ 0x110cd, 0x110cd }, { 0x13430, 0x1343f },
		{ 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a },
		{ 0xe0001, 0xe0001 }, { 0xe0020, 0xe007f },
		{ 0xf0000, 0x10ffff }
	};
	size_t i;

	for (i = 0; i < sizeof(nonprint) / sizeof(nonprint[0]); i++)
		if (c >= nonprint[i][0] && c <= nonprint[i][1])
			return 0;
	return 1;
}

/*
 * Python's repr() of a str: single quotes unless the text holds a single
 * quote and no double one.  Bytes that are not UTF-8 print as \xNN.
 */
static void
add_repr(const char *p, size_t len)
{
	const char *end = p + len;
	char q, esc[12];
	uint32_t c;
	int n;

	q = memchr(p, '\'', len) != NULL && memchr(p, '"', len) == NULL ?
	    '"' : '\'';
	add(&q, 1);
	while (p < end) {
		if ((n = ds_utf8_decode(p, end - p, &c)) == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x",
			    (unsigned char)*p++);
			add(esc, 4);
			continue;
		}
		if (c == (uint32_t)q || c == '\\') {
			esc[0] = '\\';
			esc[1] = c;
			add(esc, 2);
		} else if (c == '\t')
			add("\\t", 2);
		else if (c == '\n')
			add("\\n", 2);
		else if (c == '\r')
			add("\\r", 2);
		else if (c < 0x20 || c == 0x7f || (c > 0x7f && !printable(c)))
			add(esc, snprintf(esc, sizeof(esc),
			    c < 0x100 ? "\\x%02x" : c < 0x10000 ? "\\u%04x" :
			    "\\U%08x", c));
		else
			add(p, n);
		p += n;
	}
	add(&q, 1);
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
			add_repr(f->data, f->len);
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
