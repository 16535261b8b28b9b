/*
 * ds-lines: cut lines of text into batches, on the wall clock as Spark's
 * receivers do, or every count lines with synthetic times for replays.
 */

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] =
    "ds-lines [-P] [-i interval] [-n count] [-T start] [file ...]";

static struct ds_writer	out;
static int64_t		interval = 1000;
static long long	count;		/* -n: lines a batch, 0: clock */
static long long	inbatch;	/* lines in the open batch */
static int64_t		next;		/* the open batch's time, or -1
					   past the last an int64 holds */
static int		progress;	/* -P, or a terminal: show it */
static struct ds_progress meter;
static int64_t		shown;		/* when the meter was last shown */

static void	by_count(struct ds_reader *);
static void	by_clock(struct ds_reader *);
static void	put_record(const struct ds_reader *);
static int64_t	after(int64_t);
static void	close_batch(void);
static void	show(const struct ds_reader *, int);

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	const char *errstr, *name;
	int64_t start = -1;
	int ch, fd, i, status = 0;

	progress = isatty(STDERR_FILENO);
	while ((ch = getopt(argc, argv, "hi:n:PT:")) != -1) {
		switch (ch) {
		case 'P':
			progress = 2;
			break;
		case 'i':
			if (ds_duration_parse(optarg, &interval) == -1 ||
			    interval == 0)
				errx(2, "-i %s: not a positive duration",
				    optarg);
			break;
		case 'n':
			count = strtonum(optarg, 1, LLONG_MAX, &errstr);
			if (errstr != NULL)
				errx(2, "-n %s: %s", optarg, errstr);
			break;
		case 'T':
			if (ds_time_parse(optarg, &start) == -1 || start < 0)
				errx(2, "-T %s: not a time", optarg);
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if (start != -1 && count == 0)
		errx(2, "-T needs -n");
	/* A terminal shows the meter for files, of known size, only. */
	meter.start = ds_now_ms();
	for (i = 0; i < argc && progress; i++) {
		struct stat st;

		if (strcmp(argv[i], "-") != 0 && stat(argv[i], &st) == 0 &&
		    S_ISREG(st.st_mode))
			meter.total += st.st_size;
		else if (progress == 1)
			progress = 0;
	}
	if (argc == 0 && progress == 1)
		progress = 0;

	if (ds_writer_init(&out, STDOUT_FILENO) == -1)
		err(1, NULL);
	if (ds_write_header(&out) == -1)
		ds_write_failed_die(&out);
	/* -n: start + k * interval; the clock: Spark's first batch time. */
	if (start == -1)
		start = ds_batch_after(ds_now_ms(), interval);
	next = count != 0 ? after(start) : start;
	for (i = 0; (i < argc || (i == 0 && argc == 0)) && !ds_interrupted;
	    i++) {
		if (argc == 0 || strcmp(argv[i], "-") == 0) {
			name = "stdin";
			fd = STDIN_FILENO;
		} else if ((fd = open(name = argv[i], O_RDONLY)) == -1) {
			warn("%s", name);
			status = 1;
			continue;
		}
		if (ds_reader_init(&r, fd, name, DS_RAW) == -1)
			err(1, NULL);
		if (count != 0) {
			r.flush = &out;
			by_count(&r);
		} else {
			r.nowait = 1;
			by_clock(&r);
		}
		show(&r, 1);
		meter.bytes += r.nread;
		meter.lines += r.lineno;
		ds_reader_free(&r);
		if (fd != STDIN_FILENO)
			close(fd);
	}
	if (inbatch > 0)
		close_batch();
	if (progress)
		fputc('\n', stderr);
	ds_writer_close_or_die(&out);
	exit(status);
}

static void
put_record(const struct ds_reader *r)
{
	if (ds_write_record(&out, r->field, r->nfield) == -1)
		ds_write_failed_die(&out);
	inbatch++;
	if (progress && (r->lineno & 4095) == 0)
		show(r, 0);
}

/*
 * The progress line, pv's: redrawn in place at most five times a second,
 * and when a file is done.
 */
static void
show(const struct ds_reader *r, int now)
{
	struct ds_progress p = meter;
	char line[160];
	int64_t t = ds_now_ms();

	if (!progress || (!now && t - shown < 200))
		return;
	shown = t;
	p.bytes += r->nread;
	p.lines += r->lineno;
	ds_progress_format(line, sizeof(line), &p, t);
	fprintf(stderr, "\r%-70s", line);
}

/* The batch time after t, or -1 when an int64 cannot hold it. */
static int64_t
after(int64_t t)
{
	int64_t u;

	return __builtin_add_overflow(t, interval, &u) ? -1 : u;
}

static void
close_batch(void)
{
	if (next == -1) {
		(void)ds_writer_flush(&out);
		errx(1, "batch time out of range");
	}
	if (ds_write_batch(&out, next) == -1)
		ds_write_failed_die(&out);
	next = after(next);
	inbatch = 0;
}

/* A batch every count lines; the reader flushes before it waits. */
static void
by_count(struct ds_reader *r)
{
	int rc;

	while ((rc = ds_read_or_die(r)) != DS_EOF) {
		if (rc != DS_RECORD)
			continue;	/* the end of a raw input */
		put_record(r);
		if (inbatch == count)
			close_batch();
	}
}

/*
 * Batches on the wall clock: every batch time that passes closes a batch,
 * empty or not, and leaves at once.
 */
static void
by_clock(struct ds_reader *r)
{
	struct pollfd pfd;
	int64_t now;
	int rc;

	ds_catch_interrupt();
	pfd.fd = r->fd;
	pfd.events = POLLIN;
	for (;;) {
		if (ds_interrupted)
			return;		/* main closes the open batch */
		now = ds_now_ms();
		if (now >= next) {
			close_batch();
			if (ds_writer_flush(&out) == -1)
				ds_write_failed_die(&out);
			continue;
		}
		if ((rc = ds_read(r)) == DS_RECORD) {
			put_record(r);
			continue;
		}
		if (rc == DS_EOF)
			return;
		if (rc == DS_BATCH)
			continue;
		if (errno != EAGAIN)
			ds_reader_die(r);
		if (poll(&pfd, 1, ds_ms_until(next, now)) == -1 &&
		    errno != EINTR)
			err(1, "poll");
	}
}
