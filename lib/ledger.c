/*
 * ledger.c: the journal of a source that takes named things into batches
 * (ds-dir's files): appended as things are taken and batches written,
 * rewritten whole when it has grown, read back after a stop.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

#define JOURNAL		".journal"
#define GEN		"#gen "

int
ds_ledger_open(struct ds_ledger *l, const char *dir, const char *name)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->confirmed = INT64_MAX;
	l->dir = dir;
	l->name = name;
	l->where = name;
	if (snprintf(l->journal, sizeof(l->journal), "%s" JOURNAL, name) >=
	    (int)sizeof(l->journal) || snprintf(l->tmp, sizeof(l->tmp),
	    "." "%s" JOURNAL ".tmp", name) >= (int)sizeof(l->tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir(dir, 0777) == -1 && errno != EEXIST)
		return -1;
	if ((l->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (flock(l->dirfd, LOCK_EX | LOCK_NB) == -1) {
		int saved = errno;

		close(l->dirfd);
		l->dirfd = -1;
		errno = saved;
		return -1;
	}
	return 0;
}

/* Decimal milliseconds: 0, or -1 when not a time. */
static int
parse_time(const char *s, size_t len, int64_t *t)
{
	size_t i;

	if (len == 0)
		return -1;
	for (*t = 0, i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    *t > (INT64_MAX - (s[i] - '0')) / 10)
			return -1;
		*t = *t * 10 + (s[i] - '0');
	}
	return 0;
}

/* Key done, with the time of its batch (0 once committed). */
static int
add(struct ds_table *t, const char *key, size_t len, int64_t time)
{
	int64_t *v;
	int isnew;

	if ((v = ds_table_upsert(t, key, len, &isnew)) == NULL)
		return -1;
	*v = time;
	return 0;
}

/* One line; -1 with errno EBADMSG when malformed, ENOMEM. */
static int
parse_line(struct ds_ledger *l, struct ds_table *done, const char *s,
    size_t len)
{
	struct ds_ledger_entry *e;
	const char *tab;
	char *key;
	int64_t t;
	size_t i, j, n;
	void *p;

	if (len > sizeof(GEN) - 1 && memcmp(s, GEN, sizeof(GEN) - 1) == 0) {
		if (parse_time(s + sizeof(GEN) - 1, len - (sizeof(GEN) - 1),
		    &t) == -1)
			goto bad;
		l->gen = t;
		return 0;
	}
	if (len > 0 && s[0] == '#')
		return 0;
	if (len > 0 && s[0] == '%') {
		if (parse_time(s + 1, len - 1, &t) == -1)
			goto bad;
		/* Those of batches not committed stay, to be written again. */
		for (i = j = 0; i < l->npend; i++) {
			e = &l->pend[i];
			if (!e->written && add(done, e->key, e->len,
			    e->time > l->confirmed ? e->time : 0) == -1)
				return -1;
			e->written = 1;
			if (e->time > l->confirmed)
				l->pend[j++] = *e;
			else
				free(e->key);
		}
		l->npend = j;
		if (t > l->last)
			l->last = t;
		return 0;
	}
	if ((tab = memchr(s, '\t', len)) == NULL)
		goto bad;
	n = len - (tab + 1 - s);
	if ((key = malloc(n + 1)) == NULL)
		return -1;
	if (ds_unescape(key, tab + 1, n, &n) == -1 || n == 0 ||
	    memchr(key, '\0', n) != NULL || memchr(key, '/', n) != NULL) {
		free(key);
		goto bad;
	}
	key[n] = '\0';
	if (tab - s == 1 && s[0] == '-') {
		(void)ds_table_remove(done, key, n);
		for (i = j = 0; i < l->npend; i++) {
			if (l->pend[i].len == n &&
			    memcmp(l->pend[i].key, key, n) == 0)
				free(l->pend[i].key);
			else
				l->pend[j++] = l->pend[i];
		}
		l->npend = j;
		free(key);
		return 0;
	}
	if (parse_time(s, tab - s, &t) == -1) {
		free(key);
		goto bad;
	}
	if (l->npend == l->pendcap) {
		l->pendcap = l->pendcap != 0 ? l->pendcap * 2 : 16;
		if ((p = reallocarray(l->pend, l->pendcap,
		    sizeof(*l->pend))) == NULL) {
			free(key);
			return -1;
		}
		l->pend = p;
	}
	l->pend[l->npend].time = t;
	l->pend[l->npend].written = 0;
	l->pend[l->npend].len = n;
	l->pend[l->npend++].key = key;
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}

/*
 * The lines of len bytes at p, numbered from first; a last line without
 * LF was cut by a stop and does not count.
 */
static int
parse(struct ds_ledger *l, struct ds_table *done, const char *p, size_t len,
    uint64_t first)
{
	const char *end = p + len, *lf;

	for (l->lineno = first; p < end &&
	    (lf = memchr(p, '\n', end - p)) != NULL; p = lf + 1, l->lineno++)
		if (parse_line(l, done, p, lf - p) == -1)
			return -1;
	return 0;
}

int
ds_ledger_load(struct ds_ledger *l, struct ds_table *done)
{
	struct ds_buf b = { NULL, 0, 0 };
	struct ds_ckpt c;
	char line[32];
	int64_t gen;
	ssize_t n;
	int fd = -1, rc, saved;

	/* The snapshot: its payload's line n is line n + 1 of the file. */
	l->where = l->name;
	if ((rc = ds_ckpt_load(l->dir, l->name, &b, &c)) == -1) {
		if (errno == EBADMSG)
			snprintf(l->why, sizeof(l->why), "%s", c.why);
		goto fail;
	}
	if (rc == DS_CKPT_NONE) {
		ds_buf_free(&b);
		return 0;
	}
	l->previous = rc == DS_CKPT_PREVIOUS;
	if (l->previous)
		snprintf(l->why, sizeof(l->why), "%s", c.why);
	if (parse(l, done, b.data, b.len, 2) == -1)
		goto fail;
	/* The journal of that snapshot, not of one before it. */
	gen = l->gen;
	l->where = l->journal;
	b.len = 0;
	if ((fd = openat(l->dirfd, l->journal, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			goto fail;
	} else {
		for (;;) {
			if (ds_buf_reserve(&b, 64 * 1024) == -1)
				goto fail;
			n = read(fd, b.data + b.len, b.cap - b.len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1)
				goto fail;
			if (n == 0)
				break;
			b.len += n;
		}
		close(fd);
		fd = -1;
		/*
		 * A journal of an older generation is what a stop between
		 * a snapshot and its journal left: the snapshot has it all.
		 */
		n = snprintf(line, sizeof(line), GEN "%lld\n",
		    (long long)gen);
		if (b.len >= (size_t)n && memcmp(b.data, line, n) == 0 &&
		    parse(l, done, b.data, b.len, 1) == -1)
			goto fail;
	}
	ds_buf_free(&b);
	return 1;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	ds_buf_free(&b);
	errno = saved;
	return -1;
}

/* Write len bytes, whole. */
static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	for (; len > 0; p += w, len -= w)
		if ((w = write(fd, p, len)) == -1) {
			if (errno != EINTR)
				return -1;
			w = 0;
		}
	return 0;
}

/* Append tag TAB key (or tag alone) to the journal; not synced. */
static int
append(struct ds_ledger *l, const char *tag, const char *key, size_t len)
{
	l->line.len = 0;
	if (ds_buf_append(&l->line, tag, strlen(tag)) == -1)
		return -1;
	if (key != NULL) {
		if (ds_buf_reserve(&l->line, 2 * len + 2) == -1)
			return -1;
		l->line.data[l->line.len++] = '\t';
		l->line.len += ds_escape(l->line.data + l->line.len, key, len);
	}
	if (ds_buf_append(&l->line, "\n", 1) == -1)
		return -1;
	l->where = l->journal;
	/* A stop cuts at most the last line, which then does not count. */
	if (write_all(l->fd, l->line.data, l->line.len) == -1)
		return -1;
	l->appended++;
	return 0;
}

int
ds_ledger_take(struct ds_ledger *l, int64_t t, const char *key, size_t len)
{
	char tag[24];

	snprintf(tag, sizeof(tag), "%lld", (long long)t);
	return append(l, tag, key, len);
}

int
ds_ledger_sync(struct ds_ledger *l)
{
	l->where = l->journal;
	return fsync(l->fd);
}

int
ds_ledger_written(struct ds_ledger *l, int64_t t)
{
	char tag[24];

	snprintf(tag, sizeof(tag), "%%%lld", (long long)t);
	if (append(l, tag, NULL, 0) == -1)
		return -1;
	l->last = t;
	return 0;
}

int
ds_ledger_forget(struct ds_ledger *l, const char *key, size_t len)
{
	return append(l, "-", key, len);
}

int
ds_ledger_grown(const struct ds_ledger *l, size_t live)
{
	/* Keep the journal near the size of what it must hold. */
	return l->appended > 1024 && l->appended / 2 > live;
}

int
ds_ledger_rewrite(struct ds_ledger *l, struct ds_table *done)
{
	struct ds_writer w;
	const char *key;
	char tag[48];
	int64_t *v, t;
	size_t i, len;
	int fd, n;

	/*
	 * The snapshot, through the checkpoint store; then a journal of
	 * its generation, so that the old journal left by a stop in
	 * between is known for stale.
	 */
	l->where = l->name;
	if ((fd = ds_ckpt_create(l->dir, l->name)) == -1)
		return -1;
	if (ds_writer_init(&w, fd) == -1)
		goto abandon;
	n = snprintf(tag, sizeof(tag), GEN "%lld\n", (long long)++l->gen);
	if (ds_write_bytes(&w, tag, n) == -1)
		goto abandon;
	for (i = 0; i < ds_table_end(done); i++) {
		if ((v = ds_table_value(done, i)) == NULL)
			continue;
		key = ds_table_key(done, i, &len);
		t = *v > l->confirmed ? *v : 0;
		l->line.len = 0;
		if (ds_buf_reserve(&l->line, 2 * len + DS_NUM_MAX + 2) == -1)
			goto abandon;
		l->line.len += ds_int_format(t, l->line.data);
		l->line.data[l->line.len++] = '\t';
		l->line.len += ds_escape(l->line.data + l->line.len, key, len);
		l->line.data[l->line.len++] = '\n';
		if (ds_write_bytes(&w, l->line.data, l->line.len) == -1)
			break;
	}
	n = snprintf(tag, sizeof(tag), "%%%lld\n", (long long)l->last);
	if (ds_write_bytes(&w, tag, n) == -1 || ds_writer_close(&w) == -1)
		goto abandon;
	if (ds_ckpt_commit(l->dir, l->name, fd) == -1)
		return -1;

	l->where = l->tmp;
	n = snprintf(tag, sizeof(tag), GEN "%lld\n", (long long)l->gen);
	if ((fd = openat(l->dirfd, l->tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_APPEND | O_CLOEXEC, 0666)) == -1)
		return -1;
	if (write_all(fd, tag, n) == -1 || fsync(fd) == -1 ||
	    renameat(l->dirfd, l->tmp, l->dirfd, l->journal) == -1 ||
	    (fsync(l->dirfd) == -1 && errno != EINVAL)) {
		int saved = errno;

		close(fd);
		(void)unlinkat(l->dirfd, l->tmp, 0);
		errno = saved;
		return -1;
	}
	if (l->fd != -1)
		close(l->fd);
	l->fd = fd;
	l->where = l->journal;
	l->appended = 0;
	return 0;
abandon:
	ds_writer_close(&w);
	ds_ckpt_abandon(l->dir, l->name, fd);
	return -1;
}

size_t
ds_ledger_replay(const struct ds_ledger *l, size_t i, int64_t *t)
{
	const struct ds_ledger_entry *e = l->pend;
	size_t j;

	if (i >= l->npend)
		return 0;
	*t = e[i].written || e[i].time > l->last ? e[i].time : l->last + 1;
	for (j = i; j < l->npend && e[j].time == e[i].time &&
	    e[j].written == e[i].written; j++)
		;
	return j - i;
}

void
ds_ledger_close(struct ds_ledger *l)
{
	size_t i;

	for (i = 0; i < l->npend; i++)
		free(l->pend[i].key);
	free(l->pend);
	l->pend = NULL;
	l->npend = l->pendcap = 0;
	ds_buf_free(&l->line);
	if (l->fd != -1)
		close(l->fd);
	if (l->dirfd != -1)
		close(l->dirfd);
	l->fd = l->dirfd = -1;
}
