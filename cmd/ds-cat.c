/*
 * ds-cat: leave the ds format for the rest of Unix: one line per record,
 * fields TAB-separated and unescaped, or JSON Lines.
 */

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] = "ds-cat [-jt]";

static int	jflag;		/* JSON Lines */
static int	tflag;		/* batch time first */

static struct ds_writer out;
static struct ds_buf   *sink;	/* when set, put() appends here instead */
static struct ds_buf	held;	/* -t: the batch's lines, time unknown yet */
static size_t	       *heldend;
static size_t		nheld, heldcap;

static void	put(const void *, size_t);
static void	put_json_string(const char *, size_t);
static void	put_record(const struct ds_reader *);
static void	hold(const struct ds_reader *);
static void	release(int64_t);

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	int ch, rc;

	while ((ch = getopt(argc, argv, "hjt")) != -1) {
		switch (ch) {
		case 'j':
			jflag = 1;
			break;
		case 't':
			tflag = 1;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	if (argc != optind)
		ds_usage_exit(synopsis, 0);

	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&out, STDOUT_FILENO) == -1)
		err(1, NULL);
	r.flush = &out;
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (rc == DS_BATCH) {
			if (tflag)
				release(r.time);
			ds_writer_mark(&out);
		} else if (tflag)
			hold(&r);
		else
			put_record(&r);
	}
	ds_writer_close_or_die(&out);
	exit(0);
}

static void
put(const void *p, size_t len)
{
	if (sink != NULL) {
		if (ds_buf_append(sink, p, len) == -1)
			err(1, NULL);
	} else if (ds_write_bytes(&out, p, len) == -1)
		ds_write_failed_die(&out);
}

/* A JSON string; bytes that are not UTF-8 become U+FFFD. */
static void
put_json_string(const char *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const char *end = p + len, *run = p;
	char esc[6] = "\\u00";
	uint32_t cp;
	int n;

	put("\"", 1);
	while (p < end) {
		unsigned char c = *p;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0x80 && (n = ds_utf8_decode(p, end - p, &cp)) > 0) {
			p += n;
			continue;
		}
		put(run, p - run);
		if (c == '"' || c == '\\') {
			esc[1] = c;
			put(esc, 2);
		} else if (c == '\n')
			put("\\n", 2);
		else if (c == '\t')
			put("\\t", 2);
		else if (c == '\r')
			put("\\r", 2);
		else if (c < 0x20) {
			esc[1] = 'u';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			put(esc, 6);
		} else
			put("\xef\xbf\xbd", 3);
		run = ++p;
	}
	put(run, p - run);
	put("\"", 1);
}

/* Write the current record as a line; under -t it follows a time prefix. */
static void
put_record(const struct ds_reader *r)
{
	size_t i;

	if (!jflag) {
		/* A line read whole, with no escape, is followed by its LF. */
		if (r->rec[r->reclen] == '\n')
			put(r->rec, r->reclen + 1);
		else {
			put(r->rec, r->reclen);
			put("\n", 1);
		}
		return;
	}
	for (i = 0; i < r->nfield; i++) {
		put(i == 0 && !tflag ? "[" : ",", 1);
		put_json_string(r->field[i].data, r->field[i].len);
	}
	put("]\n", 2);
}

/*
 * -t needs the batch time, which follows the records: keep the batch's
 * formatted lines until its end.
 */
static void
hold(const struct ds_reader *r)
{
	size_t *p;

	if (nheld == heldcap) {
		heldcap = heldcap != 0 ? heldcap * 2 : 64;
		if ((p = reallocarray(heldend, heldcap, sizeof(*p))) == NULL)
			err(1, NULL);
		heldend = p;
	}
	sink = &held;
	put_record(r);
	sink = NULL;
	heldend[nheld++] = held.len;
}

static void
release(int64_t time)
{
	char prefix[32];
	size_t i, from = 0;
	int n;

	n = snprintf(prefix, sizeof(prefix), jflag ? "[%lld" : "%lld\t",
	    (long long)time);
	for (i = 0; i < nheld; i++) {
		put(prefix, n);
		put(held.data + from, heldend[i] - from);
		from = heldend[i];
	}
	nheld = 0;
	held.len = 0;
}
