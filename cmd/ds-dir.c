/*
 * ds-dir: textFileStream: the lines of the files that arrive in a
 * directory, watched with inotify, in batches on the wall clock; with -c,
 * each file goes out in one batch across restarts, replayed with its own
 * time if a stop cut that batch short.
 */

#include <sys/types.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <dirent.h>
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

#define GROUP_MAX	64	/* files opened, logged and synced together */
#define STATE		"ds-dir.state"
#define WATCH_MASK	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | \
			    IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF | \
			    IN_ONLYDIR)

static const char synopsis[] =
    "ds-dir [-a] [-c dir] [-i interval] directory";

static struct ds_writer	out;
static struct ds_recv	rv;
static int		status;

/*
 * Files are opened by path: a descriptor of the directory would keep it
 * alive once removed, and IN_DELETE_SELF with it.
 */
static const char	*watchdir;
static struct ds_table	 done;		/* names not to take: read, taken,
					   or there at the start */

static const char	*statedir;	/* -c, or NULL */
static struct ds_ledger	 state;		/* with -c, where state.last is the
					   last batch recorded */

static void	 open_state(void);
static __dead void state_failed(void);
static void	 replay(void);
static void	 start(int);
static char	**scan(size_t *);
static int	 cmp_name(const void *, const void *);
static void	 take(char **, size_t, int);
static int	 open_file(const char *);
static void	 read_file(int, const char *);
static const char *path_of(const char *);
static void	 forget(const char *);
static int	 drain(void *, short);
static void	 rescan(void);
static void	 tick(void);
static int	 on_written(void *, int64_t);
static int	 add_done(const char *);

int
main(int argc, char *argv[])
{
	struct ds_source_opts opt;
	struct stat st, cst;
	int64_t now;
	int aflag = 0, ch, ifd, existed = 0;

	ds_source_opts_init(&opt);
	while ((ch = getopt(argc, argv, "ac:hi:")) != -1) {
		if (ds_source_opt_or_die(&opt, "ci", ch, optarg))
			continue;
		switch (ch) {
		case 'a':
			aflag = 1;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		ds_usage_exit(synopsis, 0);
	watchdir = argv[0];
	statedir = opt.checkpoint;

	/*
	 * The watch comes before the first listing, so that a file arriving
	 * in between is seen twice rather than never.
	 */
	if ((ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		err(1, "inotify_init1");
	if (inotify_add_watch(ifd, watchdir, WATCH_MASK) == -1)
		err(1, "%s", watchdir);
	if (ds_table_init(&done, 0) == -1)
		err(1, NULL);
	if (statedir != NULL) {
		open_state();
		if (stat(watchdir, &st) == -1)
			err(1, "%s", watchdir);
		if (stat(statedir, &cst) == -1)
			err(1, "%s", statedir);
		if (st.st_dev == cst.st_dev && st.st_ino == cst.st_ino)
			errx(2, "-c %s: the directory watched", statedir);
		if ((existed = ds_ledger_load(&state, &done)) == -1) {
			if (errno == EBADMSG)
				errx(1, "%s/%s:%llu: malformed state line",
				    statedir, STATE,
				    (unsigned long long)state.lineno);
			state_failed();
		}
	}

	/* SIGINT and SIGTERM end the open batch, if it holds a file. */
	if (ds_writer_init(&out, STDOUT_FILENO) == -1 ||
	    ds_recv_init(&rv, &out, opt.interval) == -1 ||
	    ds_recv_watch(&rv, ifd, POLLIN, 0, drain, &ifd) == -1)
		err(1, NULL);
	rv.stopempty = 0;
	rv.written = on_written;
	if (ds_write_header(&out) == -1)
		ds_source_write_failed_die(&out);
	replay();
	/* After a stop, new batches come after every batch recorded. */
	now = ds_now_ms();
	rv.next = ds_batch_after(now > state.last ? now : state.last,
	    opt.interval);
	start(existed || aflag);
	ds_recv_run_or_die(&rv);
	ds_writer_close_or_die(&out);
	exit(status);
}

/* Create the state directory if need be, and hold it. */
static void
open_state(void)
{
	if (ds_ledger_open(&state, statedir, STATE) == -1) {
		if (errno == EWOULDBLOCK)
			errx(1, "%s: in use by another ds-dir", statedir);
		err(1, "%s", statedir);
	}
}

static __dead void
state_failed(void)
{
	err(1, "%s/%s", statedir, state.where);
}

/*
 * Write again, with their own times, the batches a stop cut short: a
 * program downstream that keeps batches by time, as ds-save does, ends
 * up with each of them once.  Files gone since are left out.
 */
static void
replay(void)
{
	struct ds_ledger_entry *pend = state.pend;
	size_t i, j, npend = state.npend;
	char **names;

	if (npend == 0)
		return;
	if ((names = reallocarray(NULL, npend, sizeof(*names))) == NULL)
		err(1, NULL);
	for (i = 0; i < npend; i = j) {
		rv.next = pend[i].time > state.last ? pend[i].time :
		    state.last + 1;
		for (j = i; j < npend && pend[j].time == pend[i].time; j++) {
			names[j - i] = pend[j].key;
			if (add_done(pend[j].key) == -1)
				err(1, NULL);
		}
		take(names, j - i, 0);
		if (rv.filled) {
			if (ds_write_batch(&out, rv.next) == -1 ||
			    ds_writer_flush(&out) == -1)
				ds_source_write_failed_die(&out);
			state.last = rv.next;
		}
		rv.filled = 0;
	}
	free(names);
}

/*
 * The files there at the start: those not done go into the first batch
 * when takeall is set, and are done without being read when not.  Names
 * done but gone are forgotten, and the state is rewritten.
 */
static void
start(int takeall)
{
	struct ds_table was;
	char **names;
	size_t i, n, ntake = 0;

	names = scan(&n);
	was = done;
	if (ds_table_init(&done, 0) == -1)
		err(1, NULL);
	for (i = 0; i < n; i++) {
		if (ds_table_find(&was, names[i], strlen(names[i])) != NULL ||
		    !takeall) {
			if (add_done(names[i]) == -1)
				err(1, NULL);
			free(names[i]);
		} else
			names[ntake++] = names[i];
	}
	ds_table_free(&was);
	if (statedir != NULL && ds_ledger_rewrite(&state, &done) == -1)
		state_failed();
	for (i = 0; i < ntake; i++)
		if (add_done(names[i]) == -1)
			err(1, NULL);
	take(names, ntake, 1);
	for (i = 0; i < ntake; i++)
		free(names[i]);
	free(names);
}

/* The regular files of the directory but dotfiles, sorted by name. */
static char **
scan(size_t *np)
{
	struct dirent *de;
	struct stat st;
	char **v = NULL, **p;
	size_t n = 0, cap = 0;
	DIR *d;

	if ((d = opendir(watchdir)) == NULL)
		err(1, "%s", watchdir);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type != DT_REG && (de->d_type != DT_UNKNOWN &&
		    de->d_type != DT_LNK))
			continue;
		if (de->d_type != DT_REG && (fstatat(dirfd(d), de->d_name,
		    &st, 0) == -1 || !S_ISREG(st.st_mode)))
			continue;
		if (n == cap) {
			cap = cap != 0 ? cap * 2 : 64;
			if ((p = reallocarray(v, cap, sizeof(*v))) == NULL)
				err(1, NULL);
			v = p;
		}
		if ((v[n++] = strdup(de->d_name)) == NULL)
			err(1, NULL);
	}
	if (errno != 0)
		err(1, "%s", watchdir);
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_name);
	*np = n;
	return v;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Read the files names[0..n) into the open batch, all of them already in
 * done.  With log set (and -c), a group of them is opened, then recorded
 * and synced as taken into the batch, then read: a stop after that
 * replays the batch.  A file that cannot be read is left out of done.
 */
static void
take(char **names, size_t n, int log)
{
	int fd[GROUP_MAX];
	size_t i, j, k, m;

	for (i = 0; i < n; i += m) {
		m = n - i < GROUP_MAX ? n - i : GROUP_MAX;
		for (j = k = 0; j < m; j++) {
			if ((fd[j] = open_file(names[i + j])) == -1) {
				(void)ds_table_remove(&done, names[i + j],
				    strlen(names[i + j]));
				continue;
			}
			if (log && statedir != NULL &&
			    ds_ledger_take(&state, rv.next, names[i + j],
			    strlen(names[i + j])) == -1)
				state_failed();
			k++;
		}
		if (k > 0 && log && statedir != NULL &&
		    ds_ledger_sync(&state) == -1)
			state_failed();
		for (j = 0; j < m; j++) {
			if (fd[j] == -1)
				continue;
			read_file(fd[j], names[i + j]);
			close(fd[j]);
			rv.filled = 1;
		}
	}
}

/*
 * Open a regular file of the directory, or return -1: quietly for one
 * that is gone or is not a regular file, with a warning otherwise.
 */
static int
open_file(const char *name)
{
	struct stat st;
	int fd;

	/* Never open a FIFO or a device, which could block or act. */
	if (stat(path_of(name), &st) == -1) {
		if (errno == ENOENT)
			return -1;
		goto fail;
	}
	if (!S_ISREG(st.st_mode))
		return -1;
	if ((fd = open(path_of(name), O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return -1;
		goto fail;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
fail:
	warn("%s", path_of(name));
	status = 1;
	return -1;
}

/* Each line of the file is a record, as ds-lines makes it. */
static void
read_file(int fd, const char *name)
{
	struct ds_reader r;
	const char *path = path_of(name);
	int rc;

	if (ds_reader_init(&r, fd, path, DS_RAW) == -1)
		err(1, NULL);
	while ((rc = ds_read(&r)) != DS_EOF) {
		if (rc == -1) {
			warn("%s", path);
			status = 1;
			break;
		}
		if (rc == DS_RECORD &&
		    ds_write_record(&out, r.field, r.nfield) == -1)
			ds_source_write_failed_die(&out);
	}
	ds_reader_free(&r);
}

/* The path of a file for messages; valid until the next call. */
static const char *
path_of(const char *name)
{
	static struct ds_buf b;
	size_t n = strlen(watchdir);

	b.len = 0;
	if (ds_buf_append(&b, watchdir, n) == -1 ||
	    (n > 0 && watchdir[n - 1] != '/' && ds_buf_append(&b, "/", 1) ==
	    -1) || ds_buf_append(&b, name, strlen(name) + 1) == -1)
		err(1, NULL);
	return b.data;
}

/* A file done has left the directory: a new one of that name is new. */
static void
forget(const char *name)
{
	if (ds_table_remove(&done, name, strlen(name)) == -1)
		return;
	if (statedir != NULL &&
	    ds_ledger_forget(&state, name, strlen(name)) == -1)
		state_failed();
}

/*
 * Read the events there are.  A file is taken when it is closed after
 * writing or moved in, unless it is done; the files of one read are
 * taken together.
 */
static int
drain(void *arg, short revents)
{
	int ifd = *(int *)arg;
	char buf[64 * 1024]
	    __attribute__((__aligned__(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	char *group[GROUP_MAX];
	size_t i, n = 0;
	ssize_t len;
	char *p;
	int overflow = 0, gone = 0;

	(void)revents;
	for (;;) {
		if ((len = read(ifd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			err(1, "inotify");
		}
		for (p = buf; p < buf + len; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				overflow = 1;
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF |
			    IN_IGNORED | IN_UNMOUNT))
				gone = 1;
			if (ev->len == 0 || ev->name[0] == '.' ||
			    (ev->mask & IN_ISDIR) || !(ev->mask & (IN_DELETE |
			    IN_MOVED_FROM | IN_CLOSE_WRITE | IN_MOVED_TO)))
				continue;
			/* Take what came before first: events keep order. */
			if ((ev->mask & (IN_DELETE | IN_MOVED_FROM)) ||
			    n == GROUP_MAX) {
				tick();
				take(group, n, 1);
				for (i = 0; i < n; i++)
					free(group[i]);
				n = 0;
			}
			if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
				forget(ev->name);
			else if (ds_table_find(&done, ev->name,
			    strlen(ev->name)) == NULL) {
				if (add_done(ev->name) == -1 ||
				    (group[n++] = strdup(ev->name)) == NULL)
					err(1, NULL);
			}
		}
	}
	tick();
	take(group, n, 1);
	for (i = 0; i < n; i++)
		free(group[i]);
	if (gone) {
		if (rv.filled && ds_recv_end(&rv, rv.next) == -1)
			ds_source_write_failed_die(&out);
		errx(1, "%s: directory gone", watchdir);
	}
	if (overflow)
		rescan();
	return 0;
}

/*
 * Events were lost: list the directory, take what is not done and forget
 * what is gone.  A file still being written may be taken too early.
 */
static void
rescan(void)
{
	struct ds_table there;
	char **names;
	const char *name;
	size_t i, n, ntake = 0, len;
	int isnew;

	warnx("%s: events lost, listing the directory", watchdir);
	names = scan(&n);
	if (ds_table_init(&there, 0) == -1)
		err(1, NULL);
	for (i = 0; i < n; i++) {
		if (ds_table_upsert(&there, names[i], strlen(names[i]),
		    &isnew) == NULL)
			err(1, NULL);
		if (ds_table_find(&done, names[i], strlen(names[i])) == NULL) {
			if (add_done(names[i]) == -1)
				err(1, NULL);
			names[ntake++] = names[i];
		} else
			free(names[i]);
	}
	for (i = 0; i < ds_table_end(&done); i++) {
		if (ds_table_value(&done, i) == NULL)
			continue;
		name = ds_table_key(&done, i, &len);
		if (ds_table_find(&there, name, len) != NULL)
			continue;
		/* Keys are not NUL-terminated; names hold no NUL. */
		if ((name = strndup(name, len)) == NULL)
			err(1, NULL);
		forget(name);
		free((char *)name);
	}
	ds_table_free(&there);
	tick();
	take(names, ntake, 1);
	for (i = 0; i < ntake; i++)
		free(names[i]);
	free(names);
}

/* End every batch whose time has come, even in the middle of a read. */
static void
tick(void)
{
	if (ds_recv_tick(&rv) == -1)
		ds_source_write_failed_die(&out);
}

/*
 * The batch end has gone out and been flushed: now the state records the
 * batch written, so that a stop in between replays it.
 */
static int
on_written(void *arg, int64_t t)
{
	(void)arg;
	if (statedir != NULL && rv.filled) {
		if (ds_ledger_written(&state, t) == -1 ||
		    (ds_ledger_grown(&state, ds_table_count(&done)) &&
		    ds_ledger_rewrite(&state, &done) == -1))
			state_failed();
	}
	return 0;
}

static int
add_done(const char *name)
{
	int isnew;

	if (ds_table_upsert(&done, name, strlen(name), &isnew) == NULL)
		return -1;
	return 0;
}
