/*
 * ds-eventtime: re-cut a stream into batches by each record's own time,
 * closing a batch when the watermark passes it: Flink's bounded
 * out-of-orderness, Structured Streaming's withWatermark.
 */

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] = "ds-eventtime [-S] [-F format] -f field "
    "[-I idle] [-i interval] [-L drop | emit | file] [-l lateness]";

#define LATE_DROP	0
#define LATE_EMIT	1
#define LATE_FILE	2

/*
 * The open batches, a ring of escaped record lines, the oldest (of time
 * first) at head.  Every batch from first to the newest record's is
 * there, empty or not.
 */
static struct ds_buf	*ring;
static size_t		 head, nopen, cap;
static int64_t		 first = -1;	/* the oldest open batch's time */
static int64_t		 maxtime = -1;	/* the largest event time seen */
static int64_t		 interval = 1000, lateness;
static int		 latemode = LATE_DROP;
static struct ds_writer	 out, late;	/* late: -L file */
static const char	*latefile;
static size_t		 latepending;	/* late records the next batch owes */
static unsigned long long nlate;

static void	add(const struct ds_reader *, int64_t);
static struct ds_buf *slot(int64_t);
static void	append(struct ds_buf *, const struct ds_reader *);
static void	close_oldest(void);
static void	close_through(int64_t);
static int64_t	event_time(struct ds_reader *, const struct ds_timefmt *,
		    size_t, int);

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_timefmt fmt;
	struct pollfd pfd;
	const char *fspec = NULL;
	int64_t idle = 0, deadline = 0, t, now;
	unsigned long long nskipped = 0;
	size_t field = 0;
	int ch, rc, fd, skip = 0;

	while ((ch = getopt(argc, argv, "F:f:hI:i:L:l:S")) != -1) {
		switch (ch) {
		case 'F':
			fspec = optarg;
			break;
		case 'f':
			field = ds_field_arg_or_die("-f", optarg);
			break;
		case 'I':
			idle = ds_duration_arg_or_die("-I", optarg);
			break;
		case 'i':
			interval = ds_duration_arg_or_die("-i", optarg);
			break;
		case 'L':
			if (strcmp(optarg, "drop") == 0)
				latemode = LATE_DROP;
			else if (strcmp(optarg, "emit") == 0)
				latemode = LATE_EMIT;
			else {
				latemode = LATE_FILE;
				latefile = optarg;
			}
			break;
		case 'l':
			/* 0 is allowed: records in order, none late. */
			if (ds_duration_parse(optarg, &lateness) == -1)
				errx(2, "-l %s: not a duration", optarg);
			break;
		case 'S':
			skip = 1;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	if (argc != optind || field == 0)
		ds_usage_exit(synopsis, 0);
	if (ds_timefmt_parse(&fmt, fspec) == -1)
		errx(2, "-F %s: not s, ms, iso, auto or a strptime format",
		    fspec);

	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&out, STDOUT_FILENO) == -1)
		err(1, NULL);
	if (latefile != NULL) {
		if ((fd = open(latefile, O_WRONLY | O_CREAT | O_APPEND,
		    0666)) == -1)
			err(1, "%s", latefile);
		if (ds_writer_init(&late, fd) == -1)
			err(1, NULL);
		if (ds_write_header(&late) == -1 || ds_writer_flush(&late) == -1)
			err(1, "%s", latefile);
	}
	r.flush = &out;
	/* With -I the clock is watched between reads. */
	r.nowait = idle != 0;
	pfd.fd = STDIN_FILENO;
	pfd.events = POLLIN;
	ds_catch_interrupt();
	if (ds_write_header(&out) == -1)
		ds_write_failed_die(&out);
	for (;;) {
		if ((rc = ds_read(&r)) == DS_EOF)
			break;
		if (rc == DS_RECORD) {
			if ((t = event_time(&r, &fmt, field, skip)) == -1) {
				nskipped++;
				continue;
			}
			add(&r, t);
			if (idle != 0)
				deadline = ds_now_ms() + idle;
			continue;
		}
		if (rc == DS_BATCH)
			continue;	/* arrival batches are not ours */
		if (errno != EAGAIN)
			ds_reader_die(&r);
		if (ds_writer_flush(&out) == -1)
			ds_write_failed_die(&out);
		now = ds_now_ms();
		rc = poll(&pfd, 1, first == -1 ? -1 : ds_ms_until(deadline, now));
		if (rc == -1 && errno != EINTR)
			err(1, "poll");
		if (rc != 0 || first == -1)
			continue;
		/*
		 * Silence for idle: the open batches close, and then one a
		 * batch interval while it lasts, the event clock going on as
		 * the wall clock does.
		 */
		close_through(ds_batch_of(maxtime, interval) > first ?
		    ds_batch_of(maxtime, interval) : first);
		deadline = ds_now_ms() + interval;
	}
	if (first != -1)
		close_through(ds_batch_of(maxtime, interval));
	while (latepending > 0)
		close_oldest();
	ds_writer_close_or_die(&out);
	if (latefile != NULL && ds_writer_close(&late) == -1)
		err(1, "%s", latefile);
	if (nskipped > 0)
		warnx("records skipped, time unreadable: %llu", nskipped);
	if (latemode == LATE_DROP && nlate > 0)
		warnx("late records dropped: %llu", nlate);
	exit(0);
}

/*
 * The event time of the current record, or -1 when it is skipped.  A
 * time must leave room for its batch times in an int64.
 */
static int64_t
event_time(struct ds_reader *r, const struct ds_timefmt *fmt, size_t field,
    int skip)
{
	const struct ds_field *f;
	char q[64];
	int64_t t;

	if (field > r->nfield)
		ds_record_die(r, "no field %zu", field);
	f = &r->field[field - 1];
	if (ds_time_field(fmt, f->data, f->len, &t) == 0 &&
	    t <= INT64_MAX / 2 - interval)
		return t;
	if (skip)
		return -1;
	ds_quote(q, sizeof(q), f->data, f->len);
	if (errno == EINVAL)
		ds_record_die(r, "field %zu: not a time: \"%s\"", field, q);
	ds_record_die(r, "field %zu: time out of range: \"%s\"", field, q);
}

/*
 * A record of event time t.  The watermark is the largest time seen less
 * the lateness, and batch T closes once it is past T; a record whose
 * batch has closed is late.
 */
static void
add(const struct ds_reader *r, int64_t t)
{
	int64_t b = ds_batch_of(t, interval);

	if (first == -1) {
		/* The batches before the first watermark never open. */
		first = ds_batch_of(t > lateness ? t - lateness : 0, interval);
		maxtime = t;
	} else if (t > maxtime) {
		maxtime = t;
		if (t - lateness > first)
			close_through(ds_batch_of(t - lateness, interval) -
			    interval);
	}
	if (b >= first) {
		append(slot(b), r);
		return;
	}
	nlate++;
	ds_metrics_count(DS_RECV_LATE, 1);
	if (latemode == LATE_EMIT) {
		append(slot(first), r);
		latepending++;
	} else if (latemode == LATE_FILE) {
		if (ds_write_record(&late, r->field, r->nfield) == -1)
			err(1, "%s", latefile);
		latepending++;
	}
}

/* The buffer of open batch b (at least first), made when new. */
static struct ds_buf *
slot(int64_t b)
{
	struct ds_buf *p;
	size_t i, idx, ncap;

	idx = (size_t)((b - first) / interval);
	while (idx >= nopen) {
		if (nopen == cap) {
			ncap = cap != 0 ? cap * 2 : 16;
			if ((p = reallocarray(NULL, ncap, sizeof(*p))) == NULL)
				err(1, NULL);
			for (i = 0; i < nopen; i++)
				p[i] = ring[(head + i) % cap];
			memset(p + nopen, 0, (ncap - nopen) * sizeof(*p));
			free(ring);
			ring = p;
			cap = ncap;
			head = 0;
		}
		ring[(head + nopen++) % cap].len = 0;
	}
	return &ring[(head + idx) % cap];
}

/* The record's line, escaped, with the backslash a leading # or % needs. */
static void
append(struct ds_buf *b, const struct ds_reader *r)
{
	const struct ds_field *f0 = &r->field[0];

	if (r->nfield > 0 && f0->len > 0 &&
	    (f0->data[0] == '#' || f0->data[0] == '%') &&
	    ds_buf_append(b, "\\", 1) == -1)
		err(1, NULL);
	if (ds_escape_record(b, r->field, r->nfield) == -1 ||
	    ds_buf_append(b, "\n", 1) == -1)
		err(1, NULL);
}

/* Write the oldest open batch, and the late records it owes to -L file. */
static void
close_oldest(void)
{
	struct ds_buf *b;

	if (latemode == LATE_FILE && latepending > 0 &&
	    (ds_write_batch(&late, first) == -1 ||
	    ds_writer_flush(&late) == -1))
		err(1, "%s", latefile);
	latepending = 0;
	if (nopen > 0) {
		b = &ring[head];
		if (ds_write_bytes(&out, b->data, b->len) == -1)
			ds_write_failed_die(&out);
		/* Keep a big batch's memory only once. */
		if (b->cap > 1 << 20)
			ds_buf_free(b);
		b->len = 0;
		head = (head + 1) % cap;
		nopen--;
	}
	if (ds_write_batch(&out, first) == -1)
		ds_write_failed_die(&out);
	first += interval;
}

/* Close every open batch up to time t. */
static void
close_through(int64_t t)
{
	while (first <= t)
		close_oldest();
}
