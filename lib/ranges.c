/*
 * ranges.c: the log of the ranges each batch of a replaying source took
 * (ds-kafka's and ds-kinesis's -c), for a restart to fetch those batches
 * again with their times.
 */

/* asprintf(3) */
#define _GNU_SOURCE

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

static int	fail(struct ds_ranges *, const char *);
static int	bad(struct ds_ranges *, uint64_t, const char *);
static int	is_kind(struct ds_ranges *, int);
static int	add(struct ds_ranges *, int64_t, const struct ds_field *,
		    size_t, uint64_t);
static int	load(struct ds_ranges *, int, int64_t,
		    int (*)(void *, const struct ds_ranges_entry *), void *);
static int	start(struct ds_ranges *, int64_t,
		    int (*)(void *, const struct ds_ranges_entry *), void *);
static void	forget(struct ds_ranges *);
static void	drop(struct ds_ranges *, size_t);

/* -1 with errno kept, why naming what (NULL: the log). */
static int
fail(struct ds_ranges *lg, const char *what)
{
	snprintf(lg->why, sizeof(lg->why), "%s", what != NULL ? what :
	    lg->path != NULL ? lg->path : "ranges");
	return -1;
}

/* -1 with errno EBADMSG, why saying what is wrong at line lineno. */
static int
bad(struct ds_ranges *lg, uint64_t lineno, const char *what)
{
	if (lineno > 0)
		snprintf(lg->why, sizeof(lg->why), "%s:%llu: %s", lg->path,
		    (unsigned long long)lineno, what);
	else
		snprintf(lg->why, sizeof(lg->why), "%s: %s", lg->path, what);
	errno = EBADMSG;
	return -1;
}

/* Whether fd begins as a log of lg's kind does: 1, 0, or -1 with errno. */
static int
is_kind(struct ds_ranges *lg, int fd)
{
	char want[128], got[128];
	ssize_t n;
	int len;

	len = snprintf(want, sizeof(want), "#ds1\n#ranges %s\n", lg->kind);
	if (len < 0 || (size_t)len >= sizeof(want)) {
		errno = EINVAL;
		return -1;
	}
	if ((n = pread(fd, got, len, 0)) == -1)
		return -1;
	return n == len && memcmp(got, want, len) == 0;
}

/* Keep a copy of an entry: its fields and their bytes in one block. */
static int
add(struct ds_ranges *lg, int64_t t, const struct ds_field *f, size_t n,
    uint64_t lineno)
{
	struct ds_ranges_entry *e;
	size_t i, size = n * sizeof(*f);
	char *p;

	for (i = 0; i < n; i++)
		size += f[i].len + 1;
	if (lg->nent == lg->entcap) {
		if ((e = reallocarray(lg->ent, lg->entcap * 2 + 16,
		    sizeof(*e))) == NULL)
			return -1;
		lg->ent = e;
		lg->entcap = lg->entcap * 2 + 16;
	}
	e = &lg->ent[lg->nent];
	e->t = t;
	e->nfield = n;
	e->lineno = lineno;
	e->field = NULL;
	if (n > 0) {
		if ((e->field = malloc(size)) == NULL)
			return -1;
		p = (char *)(e->field + n);
		for (i = 0; i < n; i++) {
			memcpy(p, f[i].data, f[i].len);
			p[f[i].len] = '\0';
			e->field[i].data = p;
			e->field[i].len = f[i].len;
			p += f[i].len + 1;
		}
	}
	lg->nent++;
	return 0;
}

/* Free the entries from from on. */
static void
drop(struct ds_ranges *lg, size_t from)
{
	while (lg->nent > from)
		free(lg->ent[--lg->nent].field);
}

/*
 * Read the log, handing each batch's entries to take at its end (those of
 * a batch without an end never are), and keep those of the batches after
 * committed.  The first batch holds the positions of the last rewrite and
 * is never kept.
 */
static int
load(struct ds_ranges *lg, int fd, int64_t committed,
    int (*take)(void *, const struct ds_ranges_entry *), void *arg)
{
	struct ds_reader r;
	size_t ended = 0, i;
	int rc;

	/* Another's file is left as it is: refused before the cut. */
	if ((rc = is_kind(lg, fd)) != 1)
		return rc == -1 ? fail(lg, NULL) :
		    bad(lg, 0, "not a log of ranges of this source");
	if (ds_cut_torn_line(fd) == -1)
		return fail(lg, NULL);
	if (ds_reader_init(&r, fd, lg->path, DS_AUTO) == -1)
		return fail(lg, NULL);
	r.replayed = 0;		/* a batch without its end ends the log */
	while ((rc = ds_read(&r)) > 0) {
		if (rc == DS_RECORD) {
			if (add(lg, 0, r.field, r.nfield, r.lineno) == -1)
				break;
			continue;
		}
		if (r.synthetic)
			break;
		if (add(lg, r.time, NULL, 0, r.lineno) == -1)
			break;
		for (i = ended; i < lg->nent; i++) {
			lg->ent[i].t = r.time;
			if (take != NULL && take(arg, &lg->ent[i]) == -1) {
				rc = errno == EBADMSG ? bad(lg,
				    lg->ent[i].lineno, "not an entry of the "
				    "log") : fail(lg, NULL);
				ds_reader_free(&r);
				return rc;
			}
		}
		/* Done (times increase: all before are too), or positions. */
		if (lg->last == -1 || r.time <= committed) {
			drop(lg, 0);
			lg->base = r.time;
		}
		ended = lg->nent;
		lg->last = r.time;
	}
	if (rc == -1 && errno == EBADMSG)
		rc = bad(lg, r.lineno, r.why);
	else if (rc != DS_EOF && !r.synthetic)
		rc = fail(lg, NULL);
	else
		rc = 0;
	ds_reader_free(&r);
	drop(lg, ended);
	return rc;
}

int
ds_ranges_open(struct ds_ranges *lg, const char *dir, const char *name,
    const char *kind, int64_t committed,
    int (*take)(void *, const struct ds_ranges_entry *), void *arg)
{
	memset(lg, 0, sizeof(*lg));
	lg->w.fd = lg->fd = -1;
	lg->last = -1;
	lg->kind = kind;
	if (asprintf(&lg->path, "%s/%s", dir, name) == -1 ||
	    asprintf(&lg->tmp, "%s/.%s.tmp", dir, name) == -1 ||
	    (lg->dir = strdup(dir)) == NULL)
		return fail(lg, dir);
	if (mkdir(dir, 0777) == -1 && errno != EEXIST)
		return fail(lg, dir);
	return start(lg, committed, take, arg);
}

/* Read the log as it is, then begin its rewrite. */
static int
start(struct ds_ranges *lg, int64_t committed,
    int (*take)(void *, const struct ds_ranges_entry *), void *arg)
{
	int fd, rc, saved;

	if ((fd = open(lg->path, O_RDWR | O_CLOEXEC)) != -1) {
		rc = load(lg, fd, committed, take, arg);
		saved = errno;
		close(fd);
		errno = saved;
		if (rc == -1)
			return -1;
	} else if (errno != ENOENT)
		return fail(lg, NULL);
	if ((lg->fd = open(lg->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0666)) == -1 || ds_writer_init(&lg->w, lg->fd) == -1 ||
	    ds_write_header(&lg->w) == -1 ||
	    ds_write_bytes(&lg->w, "#ranges ", 8) == -1 ||
	    ds_write_bytes(&lg->w, lg->kind, strlen(lg->kind)) == -1 ||
	    ds_write_bytes(&lg->w, "\n", 1) == -1)
		return fail(lg, lg->tmp);
	/* Should the source's positions fail to be written. */
	(void)fail(lg, lg->tmp);
	return 0;
}

int
ds_ranges_rewrite(struct ds_ranges *lg)
{
	const struct ds_ranges_entry *e;
	size_t i;
	int dfd, rc;

	if (ds_write_batch(&lg->w, lg->base) == -1)
		return fail(lg, lg->tmp);
	for (i = 0; i < lg->nent; i++) {
		e = &lg->ent[i];
		if ((e->nfield == 0 ? ds_write_batch(&lg->w, e->t) :
		    ds_write_record(&lg->w, e->field, e->nfield)) == -1)
			return fail(lg, lg->tmp);
	}
	if (ds_writer_flush(&lg->w) == -1 || fsync(lg->fd) == -1 ||
	    rename(lg->tmp, lg->path) == -1)
		return fail(lg, lg->tmp);
	if ((dfd = open(lg->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return fail(lg, lg->dir);
	rc = fsync(dfd);
	close(dfd);
	if (rc == -1)
		return fail(lg, lg->dir);
	if ((lg->kept = lseek(lg->fd, 0, SEEK_CUR)) == -1)
		return fail(lg, NULL);
	/* Should a batch's entries fail to be written. */
	(void)fail(lg, NULL);
	return 0;
}

int
ds_ranges_batch(struct ds_ranges *lg, int64_t t)
{
	off_t size;

	if (ds_write_batch(&lg->w, t) == -1 || ds_writer_flush(&lg->w) == -1 ||
	    fsync(lg->fd) == -1 || (size = lseek(lg->fd, 0, SEEK_CUR)) == -1)
		return fail(lg, NULL);
	lg->last = t;
	/* Rewritten when it has doubled, so that rewrites cost little. */
	return size - lg->kept > (lg->kept > DS_RANGES_GROWN ? lg->kept :
	    DS_RANGES_GROWN);
}

/* Free the entries read, and forget what the log held. */
static void
forget(struct ds_ranges *lg)
{
	drop(lg, 0);
	lg->last = -1;
	lg->base = 0;
}

int
ds_ranges_trim(struct ds_ranges *lg, int64_t committed)
{
	int rc;

	rc = ds_writer_close(&lg->w);
	if (close(lg->fd) == -1)
		rc = -1;
	lg->fd = -1;
	if (rc == -1)
		return fail(lg, NULL);
	forget(lg);
	return start(lg, committed, NULL, NULL);
}

void
ds_ranges_close(struct ds_ranges *lg)
{
	if (lg->fd != -1) {
		(void)ds_writer_close(&lg->w);
		close(lg->fd);
	}
	forget(lg);
	free(lg->ent);
	free(lg->dir);
	free(lg->path);
	free(lg->tmp);
	memset(lg, 0, sizeof(*lg));
	lg->w.fd = lg->fd = -1;
}
