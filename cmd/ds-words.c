/*
 * ds-words: split records into words, each becoming the pair (word, 1):
 * Spark's flatMap(lambda l: l.split(" ")).map(lambda w: (w, 1)).
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] = "ds-words [-1l] [-d chars]";

/* What a byte of a record is, to the word loop. */
enum {
	PLAIN,		/* part of a word, written as it is */
	SEP,		/* a separator */
	ESCAPE,		/* part of a word, escaped in ds(5) */
	UPPER		/* part of a word, lowercased (-l) */
};

static void	split(struct ds_writer *, char *, size_t);

static unsigned char	 class[256];
/* Every byte that is not PLAIN is below '!' or a backslash. */
static int		 swar;
/* Copied four bytes at a time (a constant-size memcpy is one store). */
static char		 suffix[4] = "\t1\n";
static size_t		 suffixlen = 3;

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_writer w;
	const unsigned char *s;
	int c, ch, rc, lflag = 0;
	const char *seps = " \t\n\r\v\f";

	while ((ch = getopt(argc, argv, "1d:hl")) != -1) {
		switch (ch) {
		case '1':
			memcpy(suffix, "\n", 2);
			suffixlen = 1;
			break;
		case 'd':
			if (*optarg == '\0')
				errx(2, "-d: no separator characters");
			seps = optarg;
			break;
		case 'l':
			lflag = 1;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	if (argc != optind)
		ds_usage_exit(synopsis, 0);
	for (c = 0; c < 256; c++)
		class[c] = ds_escape_needed[c] ? ESCAPE :
		    lflag && c >= 'A' && c <= 'Z' ? UPPER : PLAIN;
	for (s = (const unsigned char *)seps; *s != '\0'; s++)
		class[*s] = SEP;
	swar = 1;
	for (c = '!'; c < 256; c++)
		if (class[c] != PLAIN && c != '\\')
			swar = 0;

	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&w, STDOUT_FILENO) == -1)
		err(1, NULL);
	r.flush = &w;
	if (ds_write_header(&w) == -1)
		ds_write_failed_die(&w);
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (rc == DS_BATCH) {
			if (ds_write_batch(&w, r.time) == -1)
				ds_write_failed_die(&w);
		} else
			split(&w, r.rec, r.reclen);
	}
	ds_writer_close_or_die(&w);
	ds_reader_free(&r);
	exit(0);
}

/*
 * Write a line for each word of the record: this loop is the hot path of
 * a word count, so it escapes and lowercases by table, straight into the
 * writer's buffer.  With the default separators it copies eight bytes at a
 * time up to the first byte that may not be PLAIN, which the table then
 * decides.
 */
static void
split(struct ds_writer *w, char *rec, size_t len)
{
	const unsigned char *p = (const unsigned char *)rec, *end = p + len;
	unsigned char *q;
	size_t n;
	int k;

	for (;;) {
		while (p < end && class[*p] == SEP)
			p++;
		if (p == end)
			break;
		/* Room for the rest escaped, a backslash and the suffix. */
		if (w->cap - w->len < 2 * (size_t)(end - p) + 4 &&
		    ds_writer_room(w, 2 * (size_t)(end - p) + 4) == -1)
			ds_write_failed_die(w);
		q = (unsigned char *)w->buf + w->len;
		if (*p == '#' || *p == '%')
			*q++ = '\\';
		for (;;) {
			if (swar && end - p >= 8) {
				n = ds_copy8_plain((char *)q, (const char *)p,
				    '!');
				q += n;
				p += n;
				if (n == 8)
					continue;
			} else if (p == end)
				break;
			if ((k = class[*p]) == SEP)
				break;
			if (k == PLAIN)
				*q++ = *p;
			else if (k == UPPER)
				*q++ = *p + ('a' - 'A');
			else {
				*q++ = '\\';
				*q++ = ds_escape_needed[*p];
			}
			p++;
		}
		memcpy(q, suffix, sizeof(suffix));
		w->len = (char *)q + suffixlen - w->buf;
	}
}
