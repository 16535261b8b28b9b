/*
 * checkpoint.c: durable state in files that are whole or refused, the
 * format of ds-checkpoint(5).
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "ds.h"

#define MAGIC		"ds-checkpoint "
#define MAGICLEN	(sizeof(MAGIC) - 1)
/* Longer than any header this build writes, and than a version field. */
#define HEADMAX		256
#define CHUNK		(64 * 1024)

static int	valid_name(const char *);
static int	header_len(const char *);
static int	file_name(char *, size_t, const char *, const char *,
		    const char *);
static int	open_dir(const char *, int);
static int	verify(int, const char *, struct ds_buf *, struct ds_ckpt *);
static int	refuse(struct ds_ckpt *, int, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
static int	plausible(int, const char *, const char *);
static int	pwrite_all(int, const void *, size_t, off_t);
static int	load(const char *, const char *, struct ds_buf *,
		    struct ds_ckpt *);

static int
valid_name(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > DS_CKPT_NAME_MAX || name[0] == '.' ||
	    (len >= 5 && strcmp(name + len - 5, ".prev") == 0) ||
	    (len >= 4 && strcmp(name + len - 4, ".tmp") == 0))
		return 0;
	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == '.' || name[i] == '_' || name[i] == '-'))
			return 0;
	return 1;
}

/*
 * The header's length for name: the length and checksum have fixed
 * widths, so that a payload written in steps gets its header last, in
 * place.
 */
static int
header_len(const char *name)
{
	return snprintf(NULL, 0, MAGIC "%d %s %020d %016d\n",
	    DS_CKPT_VERSION, name, 0, 0);
}

/* dir/[prefix]name[suffix] into buf, or -1 with ENAMETOOLONG. */
static int
file_name(char *buf, size_t size, const char *prefix, const char *name,
    const char *suffix)
{
	if ((size_t)snprintf(buf, size, "%s%s%s", prefix, name, suffix) >=
	    size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* The directory's descriptor, made first when create is set. */
static int
open_dir(const char *dir, int create)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1 ||
	    !create || errno != ENOENT)
		return fd;
	if (mkdir(dir, 0777) == -1 && errno != EEXIST)
		return -1;
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int
refuse(struct ds_ckpt *c, int status, const char *fmt, ...)
{
	va_list ap;

	c->status = status;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return status;
}

/*
 * Check the checkpoint open on fd against name: returns DS_CKPT_GOOD with
 * c->len set and fd at the payload's first byte (its bytes appended to b
 * when b is not NULL), a refusal's status with c->why set, or -1 with
 * errno.
 */
static int
verify(int fd, const char *name, struct ds_buf *b, struct ds_ckpt *c)
{
	char head[HEADMAX + 1], *p, *end, *lf;
	unsigned long long want, sum;
	XXH64_state_t *xs;
	struct stat st;
	ssize_t n;
	size_t hlen, got, namelen = strlen(name);
	off_t off;
	int rc = -1;

	if (fstat(fd, &st) == -1)
		return -1;
	if ((n = pread(fd, head, HEADMAX, 0)) == -1)
		return -1;
	head[n] = '\0';
	if ((size_t)n < MAGICLEN) {
		if (memcmp(head, MAGIC, n) == 0)
			return refuse(c, DS_CKPT_TORN, n == 0 ? "empty" :
			    "torn: the header is cut short");
		return refuse(c, DS_CKPT_FOREIGN, "not a checkpoint");
	}
	if (memcmp(head, MAGIC, MAGICLEN) != 0)
		return refuse(c, DS_CKPT_FOREIGN, "not a checkpoint");
	/* The version first: another version may lay its header out anew. */
	p = head + MAGICLEN;
	errno = 0;
	want = strtoull(p, &end, 10);
	if (end == p || *p < '0' || *p > '9' ||
	    (*end != ' ' && *end != '\0' && *end != '\n'))
		return refuse(c, DS_CKPT_CORRUPT, "a malformed header");
	if (*end == '\0' && (size_t)n < HEADMAX)
		return refuse(c, DS_CKPT_TORN, "torn: the header is cut short");
	if (want != DS_CKPT_VERSION || errno == ERANGE)
		return refuse(c, DS_CKPT_OLD, "format version %.*s, this "
		    "build reads version %d", (int)(end - p < 20 ? end - p :
		    20), p, DS_CKPT_VERSION);
	if ((lf = memchr(head, '\n', n)) == NULL)
		return refuse(c, (size_t)n < HEADMAX ? DS_CKPT_TORN :
		    DS_CKPT_CORRUPT, (size_t)n < HEADMAX ?
		    "torn: the header is cut short" : "a malformed header");
	hlen = lf - head + 1;
	p = end + 1;
	end = memchr(p, ' ', lf - p);
	if (end == NULL)
		return refuse(c, DS_CKPT_CORRUPT, "a malformed header");
	if ((size_t)(end - p) != namelen || memcmp(p, name, namelen) != 0)
		return refuse(c, DS_CKPT_FOREIGN, "the checkpoint of \"%.*s\"",
		    (int)(end - p < DS_CKPT_NAME_MAX ? end - p :
		    DS_CKPT_NAME_MAX), p);
	p = end + 1;
	if (lf - p != 20 + 1 + 16 || p[20] != ' ' ||
	    strspn(p, "0123456789") != 20 ||
	    strspn(p + 21, "0123456789abcdef") != 16)
		return refuse(c, DS_CKPT_CORRUPT, "a malformed header");
	want = strtoull(p, NULL, 10);
	sum = strtoull(p + 21, NULL, 16);
	if ((uint64_t)st.st_size < hlen + want)
		return refuse(c, DS_CKPT_TORN, "torn: %llu bytes of %llu",
		    (unsigned long long)(st.st_size - hlen), want);
	if ((uint64_t)st.st_size > hlen + want)
		return refuse(c, DS_CKPT_CORRUPT, "longer than its header says");

	/* The payload, hashed (and kept) a chunk at a time. */
	if ((xs = XXH64_createState()) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	XXH64_reset(xs, 0);
	if (b != NULL) {
		b->len = 0;
		if (want > SIZE_MAX - 1) {
			errno = ENOMEM;
			goto out;
		}
		if (ds_buf_reserve(b, want + 1) == -1)
			goto out;
	}
	for (off = hlen, got = 0; got < want; got += n, off += n) {
		char chunk[CHUNK], *to = chunk;
		size_t ask = want - got < CHUNK ? want - got : CHUNK;

		if (b != NULL)
			to = b->data + got;
		if ((n = pread(fd, to, ask, off)) == -1) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			goto out;
		}
		if (n == 0) {
			rc = refuse(c, DS_CKPT_TORN, "torn while read");
			goto out;
		}
		XXH64_update(xs, to, n);
	}
	if (XXH64_digest(xs) != sum) {
		rc = refuse(c, DS_CKPT_CORRUPT, "checksum mismatch");
		goto out;
	}
	if (lseek(fd, hlen, SEEK_SET) == -1)
		goto out;
	if (b != NULL)
		b->len = want;
	c->len = want;
	rc = DS_CKPT_GOOD;
out:
	XXH64_freeState(xs);
	return rc;
}

/*
 * Whether the file dir/name holds a checkpoint whole, as far as its
 * header and size tell without reading it all: a file that fails this
 * is never made the previous checkpoint.
 */
static int
plausible(int dirfd, const char *file, const char *name)
{
	char head[HEADMAX + 1], *lf, *sp;
	struct stat st;
	ssize_t n;
	int fd, ok = 0;

	if ((fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	if (fstat(fd, &st) == 0 && (n = pread(fd, head, HEADMAX, 0)) > 0) {
		head[n] = '\0';
		if ((lf = memchr(head, '\n', n)) != NULL &&
		    lf - head > 38 && (sp = lf - 38)[0] == ' ' &&
		    strncmp(head, MAGIC, MAGICLEN) == 0 &&
		    strspn(sp + 1, "0123456789") == 20 &&
		    (uint64_t)st.st_size == (uint64_t)(lf - head + 1) +
		    strtoull(sp + 1, NULL, 10) &&
		    (size_t)(sp - head) > strlen(name) &&
		    memcmp(sp - strlen(name), name, strlen(name)) == 0)
			ok = 1;
	}
	close(fd);
	return ok;
}

static int
pwrite_all(int fd, const void *p, size_t len, off_t off)
{
	ssize_t n;

	while (len > 0) {
		if ((n = pwrite(fd, p, len, off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p = (const char *)p + n;
		len -= n;
		off += n;
	}
	return 0;
}

int
ds_ckpt_create(const char *dir, const char *name)
{
	char tmp[DS_CKPT_NAME_MAX + 8];
	char head[HEADMAX];
	int dirfd, fd, n, saved;

	if (!valid_name(name)) {
		errno = EINVAL;
		return -1;
	}
	if ((dirfd = open_dir(dir, 1)) == -1)
		return -1;
	file_name(tmp, sizeof(tmp), ".", name, ".tmp");
	fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	saved = errno;
	close(dirfd);
	if (fd == -1) {
		errno = saved;
		return -1;
	}
	/* Room for the header, written by ds_ckpt_commit once known. */
	n = header_len(name);
	memset(head, ' ', n);
	if (pwrite_all(fd, head, n, 0) == -1 || lseek(fd, n, SEEK_SET) == -1) {
		ds_ckpt_abandon(dir, name, fd);
		return -1;
	}
	return fd;
}

void
ds_ckpt_abandon(const char *dir, const char *name, int fd)
{
	char tmp[DS_CKPT_NAME_MAX + 8];
	int dirfd, saved = errno;

	close(fd);
	if (valid_name(name) && (dirfd = open_dir(dir, 0)) != -1) {
		file_name(tmp, sizeof(tmp), ".", name, ".tmp");
		(void)unlinkat(dirfd, tmp, 0);
		close(dirfd);
	}
	errno = saved;
}

int
ds_ckpt_commit(const char *dir, const char *name, int fd)
{
	char tmp[DS_CKPT_NAME_MAX + 8], prev[DS_CKPT_NAME_MAX + 8];
	char prevtmp[DS_CKPT_NAME_MAX + 16];
	char head[HEADMAX], chunk[CHUNK];
	XXH64_state_t *xs = NULL;
	struct stat st;
	uint64_t len, got;
	ssize_t n;
	int dirfd = -1, hlen;

	if (!valid_name(name)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	hlen = header_len(name);
	if (fstat(fd, &st) == -1)
		goto fail;
	if (st.st_size < hlen) {
		errno = EINVAL;
		goto fail;
	}
	len = st.st_size - hlen;
	if ((xs = XXH64_createState()) == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	XXH64_reset(xs, 0);
	for (got = 0; got < len; got += n) {
		if ((n = pread(fd, chunk, len - got < CHUNK ? len - got :
		    CHUNK, hlen + got)) == -1) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			goto fail;
		}
		if (n == 0) {
			errno = EIO;
			goto fail;
		}
		XXH64_update(xs, chunk, n);
	}
	snprintf(head, sizeof(head), MAGIC "%d %s %020" PRIu64 " %016llx\n",
	    DS_CKPT_VERSION, name, len,
	    (unsigned long long)XXH64_digest(xs));
	XXH64_freeState(xs);
	xs = NULL;
	if (pwrite_all(fd, head, hlen, 0) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;

	if ((dirfd = open_dir(dir, 0)) == -1)
		goto fail;
	file_name(tmp, sizeof(tmp), ".", name, ".tmp");
	file_name(prev, sizeof(prev), "", name, ".prev");
	file_name(prevtmp, sizeof(prevtmp), ".", name, ".prev.tmp");
	/*
	 * The checkpoint replaced becomes the previous one, by a link so
	 * that name never stops existing; one that is not whole is not
	 * kept, lest it push out a previous one that is.
	 */
	if (plausible(dirfd, name, name)) {
		if ((unlinkat(dirfd, prevtmp, 0) == -1 && errno != ENOENT) ||
		    linkat(dirfd, name, dirfd, prevtmp, 0) == -1 ||
		    renameat(dirfd, prevtmp, dirfd, prev) == -1)
			goto fail;
	}
	if (renameat(dirfd, tmp, dirfd, name) == -1)
		goto fail;
	/* Some file systems cannot sync a directory: EINVAL. */
	if (fsync(dirfd) == -1 && errno != EINVAL) {
		n = errno;
		close(dirfd);
		errno = n;
		return -1;
	}
	close(dirfd);
	return 0;

fail:
	n = errno;
	XXH64_freeState(xs);
	if (fd != -1)
		close(fd);
	if (dirfd == -1)
		dirfd = open_dir(dir, 0);
	if (dirfd != -1) {
		file_name(tmp, sizeof(tmp), ".", name, ".tmp");
		(void)unlinkat(dirfd, tmp, 0);
		close(dirfd);
	}
	errno = n;
	return -1;
}

int
ds_ckpt_save(const char *dir, const char *name, const void *p, size_t len)
{
	ssize_t n;
	int fd;

	if ((fd = ds_ckpt_create(dir, name)) == -1)
		return -1;
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			ds_ckpt_abandon(dir, name, fd);
			return -1;
		}
		p = (const char *)p + n;
		len -= n;
	}
	return ds_ckpt_commit(dir, name, fd);
}

/*
 * The newest good checkpoint of name, as the contract of ds_ckpt_load
 * says; with b NULL, left open at its payload in c->fd.
 */
static int
load(const char *dir, const char *name, struct ds_buf *b, struct ds_ckpt *c)
{
	char prev[DS_CKPT_NAME_MAX + 8], why[sizeof(c->why)];
	char pwhy[sizeof(c->why)];
	int dirfd, fd, pfd, rc, prc, newest, saved;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (b != NULL)
		b->len = 0;
	if (!valid_name(name)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(c->name, name, strlen(name) + 1);
	if ((dirfd = open_dir(dir, 0)) == -1)
		return errno == ENOENT ? DS_CKPT_NONE : -1;
	file_name(prev, sizeof(prev), "", name, ".prev");
	rc = DS_CKPT_NONE;
	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC)) != -1)
		rc = verify(fd, name, b, c);
	else if (errno != ENOENT)
		rc = -1;
	if (rc == DS_CKPT_GOOD || rc == -1 || rc == DS_CKPT_FOREIGN ||
	    rc == DS_CKPT_OLD)
		goto done;

	/* Torn, corrupt or missing: the previous one, if good, stands in. */
	newest = rc;
	if (newest == DS_CKPT_NONE)
		snprintf(c->why, sizeof(c->why), "missing");
	memcpy(why, c->why, sizeof(why));
	if ((pfd = openat(dirfd, prev, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT) {
			rc = -1;
			goto done;
		}
		/* Neither: a first start, or a torn first checkpoint. */
		goto done;
	}
	prc = verify(pfd, name, b, c);
	if (prc == DS_CKPT_GOOD) {
		if (fd != -1)
			close(fd);
		fd = pfd;
		c->status = rc = DS_CKPT_PREVIOUS;
		c->newest = newest;
		memcpy(c->why, why, sizeof(why));
		goto done;
	}
	close(pfd);
	if (prc == -1) {
		rc = -1;
		goto done;
	}
	/* The previous is no good either: refuse, saying so. */
	if (newest == DS_CKPT_NONE)
		rc = prc;
	memcpy(pwhy, c->why, sizeof(pwhy));
	if (snprintf(c->why, sizeof(c->why), "%s (and %s.prev: %s)", why,
	    name, pwhy) >= (int)sizeof(c->why))
		memcpy(c->why + sizeof(c->why) - 4, "...", 4);
	c->status = rc;

done:
	saved = errno;
	close(dirfd);
	if (rc == DS_CKPT_GOOD || rc == DS_CKPT_PREVIOUS) {
		c->status = rc;
		if (b == NULL)
			c->fd = fd;
		else
			close(fd);
		return rc;
	}
	if (fd != -1)
		close(fd);
	if (b != NULL)
		b->len = 0;
	if (rc == -1) {
		errno = saved;
		return -1;
	}
	if (rc == DS_CKPT_NONE) {
		c->status = DS_CKPT_NONE;
		c->why[0] = '\0';
		return DS_CKPT_NONE;
	}
	c->status = rc;
	errno = EBADMSG;
	return -1;
}

int
ds_ckpt_load(const char *dir, const char *name, struct ds_buf *b,
    struct ds_ckpt *c)
{
	return load(dir, name, b, c);
}

int
ds_ckpt_open(const char *dir, const char *name, struct ds_ckpt *c)
{
	return load(dir, name, NULL, c);
}
