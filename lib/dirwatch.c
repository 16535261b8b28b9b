/*
 * dirwatch.c: the files arriving in a directory, from inotify(7) and from
 * listings, told from the names already seen.
 */

#include <sys/types.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

/*
 * IN_CLOSE_WRITE rather than IN_CREATE or IN_MODIFY: a file written in
 * place arrives when its writer is done with it.
 */
#define ARRIVAL		(IN_CLOSE_WRITE | IN_MOVED_TO)
#define DEPARTURE	(IN_DELETE | IN_MOVED_FROM)
#define SELF		(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | \
			    IN_UNMOUNT)
#define WATCH_MASK	(ARRIVAL | DEPARTURE | IN_DELETE_SELF | \
			    IN_MOVE_SELF | IN_ONLYDIR)
#define EVBUF		(64 * 1024)	/* a read of events */

/* A name being looked up in a listing: its bytes and length. */
struct name {
	const char	*s;
	size_t		 len;
};

static int	classify(struct ds_dirwatch *, const struct inotify_event *);
static int	list(struct ds_dirwatch *);
static int	cmp_names(const void *, const void *);
static int	cmp_name_key(const void *, const void *);
static void	free_names(char **, size_t *);
static int	push(char ***, size_t *, size_t *, char *);

int
ds_dirwatch_open(struct ds_dirwatch *dw, const char *dir)
{
	int saved;

	memset(dw, 0, sizeof(*dw));
	dw->dir = dir;
	if ((dw->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return -1;
	/* malloc(3)'s memory is aligned for struct inotify_event. */
	if (inotify_add_watch(dw->fd, dir, WATCH_MASK) == -1 ||
	    (dw->ev = malloc(EVBUF)) == NULL ||
	    ds_table_init(&dw->seen, sizeof(int64_t)) == -1) {
		saved = errno;
		close(dw->fd);
		free(dw->ev);
		dw->ev = NULL;
		dw->fd = -1;
		errno = saved;
		return -1;
	}
	return 0;
}

void
ds_dirwatch_close(struct ds_dirwatch *dw)
{
	if (dw->fd != -1)
		close(dw->fd);
	dw->fd = -1;
	free(dw->ev);
	dw->ev = NULL;
	ds_dirwatch_scan_free(dw);
	ds_table_free(&dw->seen);
	ds_buf_free(&dw->path);
}

int
ds_dirwatch_next(struct ds_dirwatch *dw, const char **name)
{
	const struct inotify_event *ev;
	ssize_t n;
	char *s;
	int what;

	free_names(dw->fresh, &dw->nfresh);
	for (;;) {
		if (dw->evoff >= dw->evlen) {
			dw->evoff = dw->evlen = 0;
			if ((n = read(dw->fd, dw->ev, EVBUF)) == -1) {
				if (errno == EINTR)
					continue;
				if (errno != EAGAIN)
					return -1;
				return dw->nfresh > 0 ? DS_DIRWATCH_ARRIVED : 0;
			}
			dw->evlen = n;
			continue;
		}
		ev = (const struct inotify_event *)(dw->ev + dw->evoff);
		what = classify(dw, ev);
		/* Left for the next call: the files that came before first. */
		if (what != 0 && what != DS_DIRWATCH_ARRIVED && dw->nfresh > 0)
			return DS_DIRWATCH_ARRIVED;
		dw->evoff += sizeof(*ev) + ev->len;
		switch (what) {
		case 0:
			break;
		case DS_DIRWATCH_ARRIVED:
			if (ds_dirwatch_see(dw, ev->name, 0) == -1 ||
			    (s = strdup(ev->name)) == NULL)
				return -1;
			if (push(&dw->fresh, &dw->nfresh, &dw->freshcap,
			    s) == -1) {
				free(s);
				return -1;
			}
			if (dw->nfresh == DS_DIRWATCH_GROUP)
				return DS_DIRWATCH_ARRIVED;
			break;
		case DS_DIRWATCH_LEFT:
			(void)ds_dirwatch_forget(dw, ev->name);
			*name = ev->name;
			return what;
		default:
			return what;
		}
	}
}

/* What an event says, DS_DIRWATCH_*, or 0 when nothing. */
static int
classify(struct ds_dirwatch *dw, const struct inotify_event *ev)
{
	int seen;

	if (ev->mask & IN_Q_OVERFLOW)
		return DS_DIRWATCH_LOST;
	if (ev->mask & SELF)
		return DS_DIRWATCH_GONE;
	if (ev->len == 0 || ev->name[0] == '.' || (ev->mask & IN_ISDIR))
		return 0;
	seen = ds_table_find(&dw->seen, ev->name, strlen(ev->name)) != NULL;
	if ((ev->mask & DEPARTURE) && seen)
		return DS_DIRWATCH_LEFT;
	if ((ev->mask & ARRIVAL) && !seen)
		return DS_DIRWATCH_ARRIVED;
	return 0;
}

int
ds_dirwatch_scan(struct ds_dirwatch *dw)
{
	struct name key;
	size_t i, n;
	char *s;

	free_names(dw->fresh, &dw->nfresh);
	free_names(dw->gone, &dw->ngone);
	if (list(dw) == -1)
		return -1;
	/* Gone is made whole first: seen changes once nothing can fail. */
	for (i = 0; i < ds_table_end(&dw->seen); i++) {
		if (ds_table_value(&dw->seen, i) == NULL)
			continue;
		key.s = ds_table_key(&dw->seen, i, &key.len);
		if (bsearch(&key, dw->fresh, dw->nfresh, sizeof(*dw->fresh),
		    cmp_name_key) != NULL)
			continue;
		/* Keys are not NUL-terminated; names hold no NUL. */
		if ((s = strndup(key.s, key.len)) == NULL ||
		    push(&dw->gone, &dw->ngone, &dw->gonecap, s) == -1) {
			free(s);
			free_names(dw->gone, &dw->ngone);
			free_names(dw->fresh, &dw->nfresh);
			return -1;
		}
	}
	for (i = 0; i < dw->ngone; i++)
		(void)ds_dirwatch_forget(dw, dw->gone[i]);
	for (i = n = 0; i < dw->nfresh; i++) {
		if (ds_table_find(&dw->seen, dw->fresh[i],
		    strlen(dw->fresh[i])) != NULL)
			free(dw->fresh[i]);
		else
			dw->fresh[n++] = dw->fresh[i];
	}
	dw->nfresh = n;
	return 0;
}

void
ds_dirwatch_scan_free(struct ds_dirwatch *dw)
{
	free_names(dw->fresh, &dw->nfresh);
	free_names(dw->gone, &dw->ngone);
	free(dw->fresh);
	free(dw->gone);
	dw->fresh = dw->gone = NULL;
	dw->freshcap = dw->gonecap = 0;
}

/* The names of the directory that may arrive, into fresh, sorted. */
static int
list(struct ds_dirwatch *dw)
{
	struct dirent *de;
	struct stat st;
	char *s;
	DIR *d;
	int saved;

	if ((d = opendir(dw->dir)) == NULL)
		return -1;
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		/* A symbolic link to a regular file counts as one. */
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN &&
		    de->d_type != DT_LNK)
			continue;
		if (de->d_type != DT_REG && (fstatat(dirfd(d), de->d_name,
		    &st, 0) == -1 || !S_ISREG(st.st_mode)))
			continue;
		if ((s = strdup(de->d_name)) == NULL ||
		    push(&dw->fresh, &dw->nfresh, &dw->freshcap, s) == -1) {
			free(s);
			break;
		}
	}
	saved = errno;
	closedir(d);
	if (saved != 0) {
		free_names(dw->fresh, &dw->nfresh);
		errno = saved;
		return -1;
	}
	if (dw->nfresh > 1)
		qsort(dw->fresh, dw->nfresh, sizeof(*dw->fresh), cmp_names);
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A key of seen against a name of the listing, in strcmp(3)'s order. */
static int
cmp_name_key(const void *k, const void *elem)
{
	const struct name *key = k;
	const char *s = *(char *const *)elem;
	size_t len = strlen(s);
	int c;

	if ((c = memcmp(key->s, s, key->len < len ? key->len : len)) != 0)
		return c;
	return key->len < len ? -1 : key->len > len;
}

/* Free the n names of v (not v, whose room is kept); n becomes 0. */
static void
free_names(char **v, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free(v[i]);
	*n = 0;
}

/* Append s to the array *v of *n names, whose room is *cap. */
static int
push(char ***v, size_t *n, size_t *cap, char *s)
{
	char **p;

	if (*n == *cap) {
		*cap = *cap != 0 ? *cap * 2 : 64;
		if ((p = reallocarray(*v, *cap, sizeof(**v))) == NULL)
			return -1;
		*v = p;
	}
	(*v)[(*n)++] = s;
	return 0;
}

int
ds_dirwatch_see(struct ds_dirwatch *dw, const char *name, int64_t v)
{
	int64_t *p;
	int isnew;

	if ((p = ds_table_upsert(&dw->seen, name, strlen(name), &isnew)) ==
	    NULL)
		return -1;
	*p = v;
	return 0;
}

int
ds_dirwatch_see_fresh(struct ds_dirwatch *dw)
{
	size_t i;

	for (i = 0; i < dw->nfresh; i++)
		if (ds_dirwatch_see(dw, dw->fresh[i], 0) == -1)
			return -1;
	return 0;
}

int
ds_dirwatch_forget(struct ds_dirwatch *dw, const char *name)
{
	return ds_table_remove(&dw->seen, name, strlen(name));
}

int
ds_dirwatch_open_file(struct ds_dirwatch *dw, const char *name)
{
	const char *path;
	struct stat st;
	int fd;

	if ((path = ds_dirwatch_path(dw, name)) == NULL)
		return -1;
	/* Checked before open(2), which a FIFO or a device would act on. */
	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = ENOENT;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1)
		return -1;
	/* Replaced in between. */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	return fd;
}

const char *
ds_dirwatch_path(struct ds_dirwatch *dw, const char *name)
{
	size_t n = strlen(dw->dir);

	dw->path.len = 0;
	if (ds_buf_append(&dw->path, dw->dir, n) == -1 ||
	    (n > 0 && dw->dir[n - 1] != '/' &&
	    ds_buf_append(&dw->path, "/", 1) == -1) ||
	    ds_buf_append(&dw->path, name, strlen(name) + 1) == -1)
		return NULL;
	return dw->path.data;
}
