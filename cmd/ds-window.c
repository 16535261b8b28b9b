/*
 * ds-window: Spark's window(): at each slide, one batch holding the
 * records of the batches in the last LENGTH of time.
 */

#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] = "ds-window [-a] [-i interval] length [slide]";

/* A batch of the window: its records as escaped lines, LF-terminated. */
struct batch {
	int64_t		time;
	struct ds_buf	lines;
};

static struct batch	*ring;		/* oldest at head */
static size_t		 head, nbatch, cap;
static struct ds_buf	 cur;		/* the open batch's lines */
static struct ds_writer	 out;
static struct ds_window	 win;

static void	push(void *, int64_t);
static void	emit(void *, int64_t);

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	int64_t interval = 0, length, slide = 0, t;
	int ch, rc, align = 0;

	while ((ch = getopt(argc, argv, "ahi:")) != -1) {
		switch (ch) {
		case 'a':
			align = 1;
			break;
		case 'i':
			interval = ds_duration_arg_or_die("-i", optarg);
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2)
		ds_usage_exit(synopsis, 0);
	length = ds_duration_arg_or_die("length", argv[0]);
	if (argc == 2)
		slide = ds_duration_arg_or_die("slide", argv[1]);

	win.push = push;
	win.emit = emit;
	if ((align ? ds_window_init_calendar(&win, length, slide, interval) :
	    ds_window_init(&win, length, slide, interval)) == -1)
		errx(2, "%s", win.why);
	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&out, STDOUT_FILENO) == -1)
		err(1, NULL);
	r.flush = &out;
	if (ds_write_header(&out) == -1)
		ds_write_failed_die(&out);
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (rc == DS_RECORD) {
			if (ds_escape_read(&cur, &r) == -1 ||
			    ds_buf_append(&cur, "\n", 1) == -1)
				err(1, NULL);
			continue;
		}
		t = r.synthetic ? ds_window_unclosed(&win, r.time) : r.time;
		if (ds_window_batch(&win, t) == -1) {
			if (errno == EDOM)
				ds_record_die(&r, "%s", win.why);
			(void)ds_writer_flush(&out);
			errx(2, "%s", win.why);
		}
		if (out.error != 0)
			ds_write_failed_die(&out);
	}
	ds_window_end(&win);
	ds_writer_close_or_die(&out);
	exit(0);
}

/* The open batch enters the window. */
static void
push(void *arg, int64_t t)
{
	struct batch *p;
	size_t i, ncap;

	(void)arg;
	if (nbatch == cap) {
		ncap = cap != 0 ? cap * 2 : 16;
		if ((p = reallocarray(NULL, ncap, sizeof(*p))) == NULL)
			err(1, NULL);
		for (i = 0; i < nbatch; i++)
			p[i] = ring[(head + i) % cap];
		free(ring);
		ring = p;
		cap = ncap;
		head = 0;
	}
	p = &ring[(head + nbatch++) % cap];
	p->time = t;
	p->lines = cur;
	memset(&cur, 0, sizeof(cur));
}

/* Drop what has left the window of time t, then write the rest. */
static void
emit(void *arg, int64_t t)
{
	struct batch *b;
	char *line, *lf, *end;
	size_t i;

	(void)arg;
	while (nbatch > 0 && ring[head].time <= win.from) {
		ds_buf_free(&ring[head].lines);
		head = (head + 1) % cap;
		nbatch--;
	}
	for (i = 0; i < nbatch; i++) {
		b = &ring[(head + i) % cap];
		end = b->lines.data + b->lines.len;
		for (line = b->lines.data; line < end; line = lf + 1) {
			lf = memchr(line, '\n', end - line);
			(void)ds_write_escaped(&out, line, lf - line);
			(void)ds_write_end(&out);
		}
	}
	(void)ds_write_batch(&out, t);
}
