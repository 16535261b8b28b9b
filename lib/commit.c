/*
 * commit.c: the batch times the stages of a pipeline have committed, each
 * a checkpoint "STAGE.commit" holding a time in decimal: the sinks ds-save
 * and ds-kafka-out, and ds-state.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

#define SUFFIX		".commit"
#define SUFFIXLEN	(sizeof(SUFFIX) - 1)
#define PREVSUFFIX	".commit.prev"

static int	record_name(char *, size_t, const char *);
static int	ends_with(const char *, size_t, const char *);

const char *
ds_pipeline_dir(void)
{
	const char *s = getenv(DS_CHECKPOINT_ENV);

	return s != NULL && s[0] != '\0' ? s : NULL;
}

static int
record_name(char *buf, size_t size, const char *stage)
{
	if ((size_t)snprintf(buf, size, "%s" SUFFIX, stage) >= size) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int
ends_with(const char *s, size_t len, const char *end)
{
	size_t n = strlen(end);

	return len > n && memcmp(s + len - n, end, n) == 0;
}

int
ds_commit_save(const char *dir, const char *stage, int64_t t)
{
	char name[DS_CKPT_NAME_MAX + 1], num[DS_NUM_MAX + 1];
	size_t n;

	if (record_name(name, sizeof(name), stage) == -1)
		return -1;
	n = ds_int_format(t, num);
	num[n++] = '\n';
	return ds_ckpt_save(dir, name, num, n);
}

int
ds_commit_load(const char *dir, const char *stage, int64_t *t,
    struct ds_ckpt *c)
{
	char name[DS_CKPT_NAME_MAX + 1];
	struct ds_buf b = { 0 };
	struct ds_num num;
	int rc;

	*t = -1;
	if (record_name(name, sizeof(name), stage) == -1)
		return -1;
	if ((rc = ds_ckpt_load(dir, name, &b, c)) <= DS_CKPT_NONE) {
		ds_buf_free(&b);
		return rc;
	}
	if (b.len < 2 || b.data[b.len - 1] != '\n' ||
	    ds_num_parse(b.data, b.len - 1, &num) == -1 || num.isfloat) {
		ds_buf_free(&b);
		c->status = DS_CKPT_CORRUPT;
		snprintf(c->why, sizeof(c->why), "not a batch time");
		errno = EBADMSG;
		return -1;
	}
	ds_buf_free(&b);
	*t = num.i;
	return rc;
}

int
ds_commit_oldest(const char *dir, const char *except, int64_t *t,
    struct ds_ckpt *c)
{
	char stage[DS_CKPT_NAME_MAX + 1], base[DS_CKPT_NAME_MAX + 1];
	struct ds_ckpt one, fell;
	struct dirent *e;
	DIR *d;
	size_t len;
	int64_t u;
	int rc, found = 0, saved;

	*t = -1;
	memset(c, 0, sizeof(*c));
	memset(&fell, 0, sizeof(fell));
	c->fd = -1;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? DS_CKPT_NONE : -1;
	while ((errno = 0, e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		/* A record whose newest is missing is found by its previous. */
		if (ends_with(e->d_name, len, PREVSUFFIX)) {
			len -= sizeof(".prev") - 1;
			if (len >= sizeof(base))
				continue;
			memcpy(base, e->d_name, len);
			base[len] = '\0';
			if (faccessat(dirfd(d), base, F_OK, 0) == 0)
				continue;
		} else if (!ends_with(e->d_name, len, SUFFIX))
			continue;
		len -= SUFFIXLEN;
		if (len >= sizeof(stage))
			continue;
		memcpy(stage, e->d_name, len);
		stage[len] = '\0';
		if (except != NULL && strcmp(stage, except) == 0)
			continue;
		if ((rc = ds_commit_load(dir, stage, &u, &one)) == -1) {
			saved = errno;
			*c = one;
			closedir(d);
			*t = -1;
			errno = saved;
			return -1;
		}
		if (rc == DS_CKPT_NONE)
			continue;
		if (rc == DS_CKPT_PREVIOUS)
			fell = one;
		if (!found || u < *t)
			*t = u;
		found = 1;
	}
	saved = errno;
	closedir(d);
	if (saved != 0) {
		*t = -1;
		errno = saved;
		return -1;
	}
	if (!found)
		return DS_CKPT_NONE;
	if (fell.status == DS_CKPT_PREVIOUS) {
		*c = fell;
		return DS_CKPT_PREVIOUS;
	}
	c->status = DS_CKPT_GOOD;
	return DS_CKPT_GOOD;
}
