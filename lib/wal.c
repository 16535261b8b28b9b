/*
 * wal.c: the write-ahead log of a receiver: segments of ds(5) streams in
 * a directory, replayed after a crash and trimmed behind what downstream
 * has committed.
 */

/* memrchr(3) */
#define _GNU_SOURCE

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

#define NAMELEN	23		/* 20 digits, ".ds" */

struct ds_wal_seg {
	int64_t	 first;		/* its name: the time of its first batch */
	int64_t	 last;		/* its last batch end, or INT64_MIN */
	int	 known;		/* last is known: replayed, or ours */
};

static void
seg_name(char *buf, int64_t t)
{
	snprintf(buf, NAMELEN + 1, "%020lld.ds", (long long)t);
}

static int
cmp_seg(const void *a, const void *b)
{
	const struct ds_wal_seg *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

static int
add_seg(struct ds_wal *wal, int64_t first)
{
	void *p;

	if (wal->nseg == wal->segcap) {
		if ((p = reallocarray(wal->seg, wal->segcap + 16,
		    sizeof(*wal->seg))) == NULL)
			return -1;
		wal->seg = p;
		wal->segcap += 16;
	}
	wal->seg[wal->nseg].first = first;
	wal->seg[wal->nseg].known = 0;
	wal->seg[wal->nseg++].last = INT64_MIN;
	return 0;
}

/* "sync=batch", "sync=none" or "sync=DURATION". */
static int
parse_sync(struct ds_wal *wal, const char *s)
{
	if (strcmp(s, "batch") == 0)
		wal->sync = DS_WAL_SYNC_BATCH;
	else if (strcmp(s, "none") == 0)
		wal->sync = DS_WAL_SYNC_NONE;
	else if (ds_duration_parse(s, &wal->syncevery) == 0 &&
	    wal->syncevery > 0)
		wal->sync = DS_WAL_SYNC_EVERY;
	else {
		snprintf(wal->why, sizeof(wal->why),
		    "sync=%s: not batch, none or a positive duration", s);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* The segments there: files of 20 digits and ".ds", oldest first. */
static int
scan(struct ds_wal *wal)
{
	struct dirent *de;
	const char *e;
	char digits[NAMELEN - 2];
	int64_t t;
	DIR *d;
	int fd;

	if ((fd = dup(wal->dirfd)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != NAMELEN ||
		    strcmp(de->d_name + NAMELEN - 3, ".ds") != 0 ||
		    strspn(de->d_name, "0123456789") != NAMELEN - 3)
			continue;
		memcpy(digits, de->d_name, NAMELEN - 3);
		digits[NAMELEN - 3] = '\0';
		t = strtonum(digits, 0, INT64_MAX, &e);
		if (e == NULL && add_seg(wal, t) == -1)
			break;
	}
	closedir(d);
	if (errno != 0)
		return -1;
	if (wal->nseg > 1)
		qsort(wal->seg, wal->nseg, sizeof(*wal->seg), cmp_seg);
	return 0;
}

int
ds_wal_open(struct ds_wal *wal, const char *spec)
{
	const char *colon;
	size_t n;

	memset(wal, 0, sizeof(*wal));
	wal->dirfd = wal->fd = -1;
	wal->w.fd = -1;
	n = strlen(spec);
	if ((colon = strrchr(spec, ':')) != NULL &&
	    strncmp(colon + 1, "sync=", 5) == 0) {
		if (parse_sync(wal, colon + 6) == -1)
			return -1;
		n = colon - spec;
	}
	if (n == 0) {
		snprintf(wal->why, sizeof(wal->why), "no directory");
		errno = EINVAL;
		return -1;
	}
	if ((wal->dir = strndup(spec, n)) == NULL)
		return -1;
	if ((mkdir(wal->dir, 0777) == -1 && errno != EEXIST) ||
	    (wal->dirfd = open(wal->dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || flock(wal->dirfd, LOCK_EX | LOCK_NB) == -1 ||
	    scan(wal) == -1) {
		int saved = errno;

		ds_wal_close(wal);
		errno = saved;
		return -1;
	}
	return 0;
}

int
ds_cut_torn_line(int fd)
{
	struct stat st;
	char buf[4096];
	off_t end, at;
	ssize_t n;
	char *lf;

	if (fstat(fd, &st) == -1)
		return -1;
	for (end = st.st_size; end > 0; end = at) {
		at = end > (off_t)sizeof(buf) ? end - (off_t)sizeof(buf) : 0;
		if ((n = pread(fd, buf, end - at, at)) != end - at) {
			if (n != -1)
				errno = EIO;
			return -1;
		}
		if ((lf = memrchr(buf, '\n', n)) != NULL) {
			end = at + (lf - buf) + 1;
			break;
		}
	}
	if (end < st.st_size && ftruncate(fd, end) == -1)
		return -1;
	return 0;
}

/*
 * One pass over segment s: with out NULL, count its batch ends at or
 * before confirmed into *nskip and note its last; else write what
 * follows the first *nskip batches to out, and the time of a batch left
 * without its end into *tail (INT64_MIN when none).
 */
static int
pass(struct ds_wal *wal, int fd, struct ds_wal_seg *s, int64_t confirmed,
    int64_t interval, struct ds_writer *out, size_t *nskip, int64_t *tail)
{
	struct ds_reader r;
	char name[NAMELEN + 1];
	size_t ends = 0;
	int rc;

	seg_name(name, s->first);
	if (lseek(fd, 0, SEEK_SET) == -1 ||
	    ds_reader_init(&r, fd, name, DS_AUTO) == -1)
		return -1;
	r.replayed = 0;		/* the log's torn batch is ours to end */
	*tail = INT64_MIN;
	while ((rc = ds_read(&r)) != DS_EOF) {
		if (rc == -1 || r.mode != DS_STREAM) {
			if (rc != -1 || errno == EBADMSG)
				snprintf(wal->why, sizeof(wal->why),
				    "%s:%llu: %s", name,
				    (unsigned long long)r.lineno, rc != -1 ?
				    "not a ds stream" : r.why);
			ds_reader_free(&r);
			if (rc != -1)
				errno = EBADMSG;
			return -1;
		}
		if (rc == DS_BATCH && r.synthetic) {
			/* The batch a crash cut short: the one after. */
			*tail = s->last != INT64_MIN ? s->last + interval :
			    s->first;
			if (out == NULL && *tail <= confirmed &&
			    confirmed != DS_WAL_ENDED)
				(*nskip)++;
			if (out != NULL && ends++ >= *nskip &&
			    ds_write_batch(out, *tail) == -1)
				break;
		} else if (rc == DS_BATCH) {
			s->last = r.time;
			if (out == NULL && r.time <= confirmed)
				(*nskip)++;
			if (out != NULL && ends++ >= *nskip &&
			    (ds_write_batch(out, r.time) == -1 ||
			    ds_writer_flush(out) == -1))
				break;
		} else if (out != NULL && ends >= *nskip &&
		    ds_write_record(out, r.field, r.nfield) == -1)
			break;
	}
	ds_reader_free(&r);
	return rc == DS_EOF ? 0 : -1;
}

int
ds_wal_replay(struct ds_wal *wal, int64_t confirmed, int64_t interval,
    struct ds_writer *out, int64_t *last)
{
	struct ds_wal_seg *s;
	struct ds_writer w;
	char name[NAMELEN + 1];
	size_t i, nskip;
	int64_t tail;
	int fd;

	*last = INT64_MIN;
	for (i = 0; i < wal->nseg; i++) {
		s = &wal->seg[i];
		seg_name(name, s->first);
		if ((fd = openat(wal->dirfd, name, O_RDWR | O_APPEND |
		    O_CLOEXEC)) == -1)
			return -1;
		nskip = 0;
		s->last = INT64_MIN;
		if (ds_cut_torn_line(fd) == -1 ||
		    pass(wal, fd, s, confirmed, interval, NULL, &nskip,
		    &tail) == -1 ||
		    pass(wal, fd, s, confirmed, interval, out, &nskip,
		    &tail) == -1 || ds_writer_flush(out) == -1)
			goto fail;
		/* That batch is ended in the log too, for the next replay. */
		if (tail != INT64_MIN) {
			if (ds_writer_init(&w, fd) == -1)
				goto fail;
			if (ds_write_batch(&w, tail) == -1 ||
			    ds_writer_close(&w) == -1 || fsync(fd) == -1) {
				(void)ds_writer_close(&w);
				goto fail;
			}
			s->last = tail;
		}
		close(fd);
		s->known = 1;
		if (s->last > *last)
			*last = s->last;
		/*
		 * Killed before it logged anything: nothing to keep, and its
		 * name is free for the next run, which may start at its time.
		 */
		if (s->last == INT64_MIN) {
			if (unlinkat(wal->dirfd, name, 0) == -1)
				return -1;
			memmove(s, s + 1, (wal->nseg - i - 1) * sizeof(*s));
			wal->nseg--;
			i--;
		}
	}
	return 0;
fail:
	close(fd);
	return -1;
}

/* Open segment t for this run's records. */
static int
open_seg(struct ds_wal *wal, int64_t t)
{
	char name[NAMELEN + 1];

	seg_name(name, t);
	if ((wal->fd = openat(wal->dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_APPEND | O_CLOEXEC, 0666)) == -1)
		return -1;
	if (add_seg(wal, t) == -1)
		return -1;
	wal->seg[wal->nseg - 1].known = 1;
	if (ds_writer_init(&wal->w, wal->fd) == -1 ||
	    ds_write_header(&wal->w) == -1 || ds_writer_flush(&wal->w) == -1 ||
	    fsync(wal->fd) == -1 || fsync(wal->dirfd) == -1)
		return -1;
	wal->size = 5;
	wal->endmark = wal->size;
	return 0;
}

int
ds_wal_start(struct ds_wal *wal, int64_t t, int64_t interval)
{
	wal->interval = interval;
	wal->lastsync = ds_now_ms();
	return open_seg(wal, t);
}

int
ds_wal_flush(struct ds_wal *wal)
{
	size_t n = wal->w.len;

	if (ds_writer_flush(&wal->w) == -1)
		return -1;
	wal->size += n;
	return 0;
}

/* Sync the segment now, if anything was logged since the last time. */
static int
sync_now(struct ds_wal *wal)
{
	if (!wal->dirty)
		return 0;
	if (fdatasync(wal->fd) == -1)
		return -1;
	wal->dirty = 0;
	wal->lastsync = ds_now_ms();
	return 0;
}

int
ds_wal_batch(struct ds_wal *wal, int64_t t)
{
	int64_t next;

	/* Bytes since the last batch end are records: the batch held some. */
	if (wal->size + wal->w.len > wal->endmark)
		wal->dirty = 1;
	if (ds_write_batch(&wal->w, t) == -1 || ds_wal_flush(wal) == -1)
		return -1;
	wal->endmark = wal->size;
	wal->seg[wal->nseg - 1].last = t;
	if ((wal->sync == DS_WAL_SYNC_BATCH || (wal->sync ==
	    DS_WAL_SYNC_EVERY && ds_now_ms() - wal->lastsync >=
	    wal->syncevery)) && sync_now(wal) == -1)
		return -1;
	if (wal->size < DS_WAL_SEGMENT)
		return 0;
	/* A new segment, so that the old one can go once committed. */
	if (sync_now(wal) == -1 || ds_writer_close(&wal->w) == -1 ||
	    close(wal->fd) == -1)
		return -1;
	wal->fd = -1;
	next = t > INT64_MAX - wal->interval ? INT64_MAX : t + wal->interval;
	return open_seg(wal, next) == -1 ? -1 : 1;
}

int
ds_wal_trim(struct ds_wal *wal, int64_t confirmed)
{
	char name[NAMELEN + 1];
	size_t i, j, gone = 0;

	for (i = j = 0; i < wal->nseg; i++) {
		/*
		 * The open segment stays, and those not wholly committed or
		 * not yet read.
		 */
		if ((i == wal->nseg - 1 && wal->fd != -1) ||
		    !wal->seg[i].known || (wal->seg[i].last != INT64_MIN &&
		    wal->seg[i].last > confirmed)) {
			wal->seg[j++] = wal->seg[i];
			continue;
		}
		seg_name(name, wal->seg[i].first);
		if (unlinkat(wal->dirfd, name, 0) == -1 && errno != ENOENT)
			return -1;
		gone++;
	}
	wal->nseg = j;
	if (gone > 0 && fsync(wal->dirfd) == -1)
		return -1;
	return 0;
}

int
ds_wal_close(struct ds_wal *wal)
{
	int rc = 0;

	if (wal->fd != -1) {
		if (ds_wal_flush(wal) == -1 || (wal->sync != DS_WAL_SYNC_NONE &&
		    sync_now(wal) == -1))
			rc = -1;
		if (ds_writer_close(&wal->w) == -1 || close(wal->fd) == -1)
			rc = -1;
		wal->fd = -1;
	}
	if (wal->dirfd != -1)
		close(wal->dirfd);
	wal->dirfd = -1;
	free(wal->dir);
	free(wal->seg);
	wal->dir = NULL;
	wal->seg = NULL;
	wal->nseg = wal->segcap = 0;
	return rc;
}
