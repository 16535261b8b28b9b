/*
 * ds-session: session windows per key, Spark's session_window and
 * Flink's EventTimeSessionWindows: a key's records closer than a gap in
 * time form a session, which comes out as one record when it closes.
 */

#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] = "ds-session [-I] [-c dir] [-f field] -g gap "
    "[-k field] [-m length] [-o op] [lua]";

/* An open session, in the list by its last batch for closing. */
struct session {
	struct ds_recent_entry e;	/* e.t: batch time of the latest */
	int64_t		 start;		/* batch time of the first record */
	struct ds_agg	 agg;
};

static int		 op = DS_OP_SUM;
static int64_t		 gap, maxlen;		/* maxlen 0: no limit */
static struct ds_recent	 open_;			/* the open sessions */
static struct ds_table	 batch;			/* the batch's aggregates */
static struct ds_writer	 out;

static void	end_batch(struct ds_reader *, int64_t);
static struct session *begin(const char *, size_t, int64_t);
static void	finish(struct session *);
static void	checkpoint(const char *, int64_t);
static int64_t	restore(const char *);
static int64_t	end_of(const struct session *);

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	const char *dir = NULL;
	int64_t skipto = -1;
	unsigned long long nskipped = 0;
	size_t kfield = 1, vfield = 2;
	int ch, rc, Iflag = 0, oflag = 0;

	while ((ch = getopt(argc, argv, "c:f:g:hIk:m:o:")) != -1) {
		switch (ch) {
		case 'c':
			dir = optarg;
			break;
		case 'f':
			vfield = ds_field_arg_or_die("-f", optarg);
			break;
		case 'g':
			gap = ds_duration_arg_or_die("-g", optarg);
			break;
		case 'I':
			Iflag = 1;
			break;
		case 'k':
			kfield = ds_field_arg_or_die("-k", optarg);
			break;
		case 'm':
			maxlen = ds_duration_arg_or_die("-m", optarg);
			break;
		case 'o':
			if ((op = ds_op_parse(optarg)) == -1)
				errx(2, "-o %s: unknown operation", optarg);
			oflag = 1;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || gap == 0)
		ds_usage_exit(synopsis, 0);
	op = ds_reducer_arg_or_die(op, oflag, argc == 1 ? argv[0] : NULL);

	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&out, STDOUT_FILENO) == -1 ||
	    ds_recent_init(&open_, sizeof(struct session)) == -1 ||
	    ds_table_init(&batch, sizeof(struct ds_agg)) == -1)
		err(1, NULL);
	if (dir != NULL)
		skipto = restore(dir);
	r.flush = &out;
	if (ds_write_header(&out) == -1)
		ds_write_failed_die(&out);
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (rc == DS_BATCH) {
			if (r.time <= skipto) {
				/* Done before the crash: drop it. */
				ds_agg_table_clear(&batch);
				continue;
			}
			end_batch(&r, r.time);
			if (dir != NULL)
				checkpoint(dir, r.time);
			continue;
		}
		if (ds_batch_add_or_die(&batch, &r, op, kfield, vfield,
		    Iflag) == -1)
			nskipped++;
	}
	/* The sessions still open close at the end, in one last batch. */
	if (open_.newest != NULL) {
		if ((skipto = end_of((struct session *)open_.newest)) <=
		    r.lasttime) {
			(void)ds_writer_flush(&out);
			errx(1, "no batch time after %lld for the sessions "
			    "still open", (long long)r.lasttime);
		}
		while (open_.oldest != NULL)
			finish((struct session *)open_.oldest);
		if (ds_write_batch(&out, skipto) == -1)
			ds_write_failed_die(&out);
	}
	ds_writer_close_or_die(&out);
	if (nskipped > 0)
		warnx("values skipped, not numbers: %llu", nskipped);
	exit(0);
}

/*
 * Batch t has ended: the sessions silent for gap close, then the batch's
 * keys join theirs, or open one; a session that would run longer than
 * maxlen closes and a new one opens with the batch.
 */
static void
end_batch(struct ds_reader *r, int64_t t)
{
	struct session *s;
	struct ds_agg *a;
	const char *key;
	size_t i, len;

	while ((s = ds_recent_idle(&open_, t, gap - 1)) != NULL)
		finish(s);
	for (i = 0; i < ds_table_end(&batch); i++) {
		if ((a = ds_table_value(&batch, i)) == NULL)
			continue;
		key = ds_table_key(&batch, i, &len);
		s = ds_recent_find(&open_, key, len);
		if (s != NULL && maxlen != 0 && t - s->start >= maxlen) {
			finish(s);
			s = NULL;
		}
		if (s == NULL)
			s = begin(key, len, t);
		if (ds_agg_merge(&s->agg, a, op) == -1) {
			if (errno == ECANCELED)
				ds_record_die(r, "lua: %s",
				    ds_agg_reducer()->why);
			ds_record_die(r, "the aggregate of a session "
			    "overflows");
		}
		ds_recent_touch(&open_, s, t);
	}
	ds_agg_table_clear(&batch);
	if (ds_write_batch(&out, t) == -1)
		ds_write_failed_die(&out);
}

/* A new session of key, from batch t on, not yet in the list. */
static struct session *
begin(const char *key, size_t len, int64_t t)
{
	struct session *s;
	int isnew;

	if ((s = ds_recent_get(&open_, key, len, &isnew)) == NULL)
		err(1, NULL);
	s->start = s->e.t = t;
	return s;
}

/*
 * Write the session's record, key, start, end (the last record's time
 * plus the gap, as Spark and Flink end a session), count and aggregate,
 * and forget it.
 */
static void
finish(struct session *s)
{
	const char *v;
	char num[DS_NUM_MAX], times[3 * DS_NUM_MAX];
	size_t vlen;
	int n;

	v = ds_agg_result(&s->agg, op, num, &vlen);
	n = snprintf(times, sizeof(times), "%lld\t%lld\t%lld",
	    (long long)s->start, (long long)end_of(s),
	    (long long)s->agg.count);
	if (ds_write_field(&out, s->e.key, s->e.len) == -1 ||
	    ds_write_escaped(&out, times, n) == -1 ||
	    ds_write_field(&out, v, vlen) == -1 || ds_write_end(&out) == -1)
		ds_write_failed_die(&out);
	ds_recent_remove(&open_, s);
	ds_agg_free(&s->agg);
	free(s);
}

/* The session's end, its last batch plus the gap, as an int64 holds it. */
static int64_t
end_of(const struct session *s)
{
	int64_t t;

	return __builtin_add_overflow(s->e.t, gap, &t) ? INT64_MAX : t;
}

/*
 * Save the open sessions after batch t, in a state file as ds-state's
 * (statefile.c) but outside the store: a temporary file, fsynced and
 * renamed over the checkpoint, then the directory fsynced, so that a
 * crash leaves the old or the new one.  The
 * batch's output goes out first: after a crash a batch may come out
 * twice, never not at all.
 */
static void
checkpoint(const char *dir, int64_t t)
{
	struct ds_writer w;
	struct ds_recent_entry *e;
	struct session *s;
	char tmp[PATH_MAX], path[PATH_MAX], line[4 * DS_NUM_MAX];
	int fd, n;

	if (ds_writer_flush(&out) == -1)
		ds_write_failed_die(&out);
	if (snprintf(tmp, sizeof(tmp), "%s/.sessions.tmp", dir) >=
	    (int)sizeof(tmp) || snprintf(path, sizeof(path), "%s/sessions",
	    dir) >= (int)sizeof(path))
		errx(1, "%s: name too long", dir);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666)) == -1)
		err(1, "%s", tmp);
	if (ds_writer_init(&w, fd) == -1)
		err(1, NULL);
	ds_statefile_begin(&w, "ds-session", ds_op_name(op));
	/* Oldest first: the list comes back in the order it is read. */
	for (e = open_.oldest; e != NULL; e = e->next) {
		s = (struct session *)e;
		ds_write_field(&w, e->key, e->len);
		n = snprintf(line, sizeof(line), "%lld\t%lld\t%lld",
		    (long long)s->start, (long long)s->e.t,
		    (long long)s->agg.count);
		ds_write_escaped(&w, line, n);
		ds_statefile_value(&w, &s->agg, op);
		ds_write_field(&w, s->agg.isstr ? "string" : "number", 6);
		ds_write_end(&w);
	}
	ds_write_batch(&w, t);
	if (ds_writer_close(&w) == -1 || fsync(fd) == -1 || close(fd) == -1)
		err(1, "%s", tmp);
	if (rename(tmp, path) == -1)
		err(1, "%s", path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) == -1 || fsync(fd) == -1)
		err(1, "%s", dir);
	close(fd);
}

/*
 * Load the checkpoint in dir, if any; returns its batch time, or -1.  A
 * checkpoint that does not parse is an error, never replaced.
 */
static int64_t
restore(const char *dir)
{
	struct ds_reader r;
	struct ds_field *f;
	struct session *s;
	char path[PATH_MAX];
	int64_t t;
	int fd;

	if (mkdir(dir, 0777) == -1 && errno != EEXIST)
		err(1, "%s", dir);
	if (snprintf(path, sizeof(path), "%s/sessions", dir) >=
	    (int)sizeof(path))
		errx(1, "%s: name too long", dir);
	if ((fd = open(path, O_RDONLY)) == -1) {
		if (errno == ENOENT)
			return -1;
		err(1, "%s", path);
	}
	ds_statefile_open_or_die(&r, fd, path, "ds-session", ds_op_name(op));
	while (ds_statefile_read_or_die(&r) != DS_EOF) {
		f = r.field;
		if (r.nfield != 6 ||
		    ds_recent_find(&open_, f[0].data, f[0].len) != NULL)
			ds_record_die(&r, "not a checkpoint record");
		s = begin(f[0].data, f[0].len,
		    ds_statefile_int_or_die(&r, &f[1], 0));
		s->e.t = ds_statefile_int_or_die(&r, &f[2], 0);
		s->agg.count = ds_statefile_int_or_die(&r, &f[3], 0);
		ds_statefile_agg_or_die(&r, &s->agg, op, &f[4], &f[5]);
		ds_recent_touch(&open_, s, s->e.t);
	}
	t = r.lasttime;
	ds_reader_free(&r);
	close(fd);
	return t;
}
