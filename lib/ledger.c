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

#define TMP_PREFIX	"."
#define TMP_SUFFIX	".tmp"

int
ds_ledger_open(struct ds_ledger *l, const char *dir, const char *name)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->name = name;
	l->where = name;
	if (snprintf(l->tmp, sizeof(l->tmp), TMP_PREFIX "%s" TMP_SUFFIX,
	    name) >= (int)sizeof(l->tmp)) {
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

static int
add(struct ds_table *t, const char *key, size_t len)
{
	int isnew;

	return ds_table_upsert(t, key, len, &isnew) == NULL ? -1 : 0;
}

/* One line; -1 with errno EBADMSG when malformed, ENOMEM. */
static int
parse_line(struct ds_ledger *l, struct ds_table *done, const char *s,
    size_t len)
{
	const char *tab;
	char *key;
	int64_t t;
	size_t i, n;
	void *p;

	if (len > 0 && s[0] == '#')
		return 0;
	if (len > 0 && s[0] == '%') {
		if (parse_time(s + 1, len - 1, &t) == -1)
			goto bad;
		for (i = 0; i < l->npend; i++) {
			if (add(done, l->pend[i].key, l->pend[i].len) == -1)
				return -1;
			free(l->pend[i].key);
		}
		l->npend = 0;
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
	l->pend[l->npend].len = n;
	l->pend[l->npend++].key = key;
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}

int
ds_ledger_load(struct ds_ledger *l, struct ds_table *done)
{
	struct ds_buf b = { NULL, 0, 0 };
	const char *p, *end, *lf;
	ssize_t n;
	int fd, saved;

	l->where = l->name;
	if ((fd = openat(l->dirfd, l->name, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
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
	/* A last line without LF was cut by a stop and does not count. */
	end = b.data + b.len;
	l->lineno = 0;
	for (p = b.data; p < end && (lf = memchr(p, '\n', end - p)) != NULL;
	    p = lf + 1) {
		l->lineno++;
		if (parse_line(l, done, p, lf - p) == -1)
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

/* Append tag TAB key (or tag alone); not synced. */
static int
append(struct ds_ledger *l, const char *tag, const char *key, size_t len)
{
	const char *p;
	size_t left;
	ssize_t w;

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
	l->where = l->name;
	/* A stop cuts at most the last line, which then does not count. */
	for (p = l->line.data, left = l->line.len; left > 0; p += w,
	    left -= w) {
		if ((w = write(l->fd, p, left)) == -1) {
			if (errno != EINTR)
				return -1;
			w = 0;
		}
	}
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
	l->where = l->name;
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
	char tag[24];
	size_t i, len;
	int fd, saved;

	l->where = l->tmp;
	if ((fd = openat(l->dirfd, l->tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0666)) == -1)
		return -1;
	if (ds_writer_init(&w, fd) == -1)
		goto fail;
	for (i = 0; i < ds_table_end(done); i++) {
		if (ds_table_value(done, i) == NULL)
			continue;
		key = ds_table_key(done, i, &len);
		l->line.len = 0;
		if (ds_buf_reserve(&l->line, 2 * len + 3) == -1)
			goto fail;
		l->line.data[l->line.len++] = '0';
		l->line.data[l->line.len++] = '\t';
		l->line.len += ds_escape(l->line.data + l->line.len, key, len);
		l->line.data[l->line.len++] = '\n';
		if (ds_write_bytes(&w, l->line.data, l->line.len) == -1)
			break;
	}
	snprintf(tag, sizeof(tag), "%%%lld\n", (long long)l->last);
	if (ds_write_bytes(&w, tag, strlen(tag)) == -1 ||
	    ds_writer_close(&w) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	/* A stop leaves the old journal or the new one, whole. */
	l->where = l->name;
	if (renameat(l->dirfd, l->tmp, l->dirfd, l->name) == -1)
		return -1;
	if (fsync(l->dirfd) == -1 && errno != EINVAL)
		return -1;
	if (l->fd != -1)
		close(l->fd);
	if ((l->fd = openat(l->dirfd, l->name, O_WRONLY | O_APPEND |
	    O_CLOEXEC)) == -1)
		return -1;
	l->appended = 0;
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	(void)unlinkat(l->dirfd, l->tmp, 0);
	errno = saved;
	return -1;
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
