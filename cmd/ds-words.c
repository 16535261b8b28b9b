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

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_writer w;
	unsigned char sep[256] = { 0 };
	const unsigned char *s;
	char *p, *end, *word;
	int ch, rc, oneflag = 0, lflag = 0;

	sep[' '] = sep['\t'] = sep['\n'] = sep['\r'] = 1;
	sep['\v'] = sep['\f'] = 1;
	while ((ch = getopt(argc, argv, "1d:hl")) != -1) {
		switch (ch) {
		case '1':
			oneflag = 1;
			break;
		case 'd':
			if (*optarg == '\0')
				errx(2, "-d: no separator characters");
			memset(sep, 0, sizeof(sep));
			for (s = (const unsigned char *)optarg; *s != '\0'; s++)
				sep[*s] = 1;
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
			continue;
		}
		p = r.rec;
		end = p + r.reclen;
		for (;;) {
			while (p < end && sep[(unsigned char)*p])
				p++;
			if (p == end)
				break;
			for (word = p; p < end && !sep[(unsigned char)*p]; p++)
				if (lflag && *p >= 'A' && *p <= 'Z')
					*p += 'a' - 'A';
			if (ds_write_field(&w, word, p - word) == -1 ||
			    (!oneflag && ds_write_field(&w, "1", 1) == -1) ||
			    ds_write_end(&w) == -1)
				ds_write_failed_die(&w);
		}
	}
	ds_writer_close_or_die(&w);
	return 0;
}
