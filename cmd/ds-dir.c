/*
 * ds-dir: textFileStream: the lines of the files that arrive in a
 * directory, as lib/dirwatch.c tells them, in batches on the wall clock;
 * with -c, each file goes out in one batch across restarts, replayed with
 * its own time if a stop cut that batch short.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

#define GROUP_MAX	64	/* files opened, logged and synced together */
#define STATE		"ds-dir.state"

static const char synopsis[] =
    "ds-dir [-a] [-c dir] [-i interval] directory";

static struct ds_writer	 out;
static struct ds_recv	 rv;
static int		 status;

static struct ds_dirwatch dw;		/* seen: the names not to take (read,
					   taken, or there at the start), each
					   with the time of its batch (0:
					   committed, or not read) */

static const char	*statedir;	/* -c, or NULL */
static struct ds_ledger	 state;		/* with -c, where state.last is the
					   last batch recorded */

static int	 open_state(void);
static void	 replay(void);
static void	 start(int);
static void	 take(char **, size_t, int);
static void	 read_file(int, const char *);
static void	 unreadable(const char *);
static int	 drain(void *, short);
static void	 rescan(void);
static void	 record_gone(const char *);
static void	 tick(void);
static int	 on_written(void *, int64_t);

int
main(int argc, char *argv[])
{
	struct ds_source_opts opt;
	int64_t now;
	int aflag = 0, ch, existed = 0;

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
	statedir = opt.checkpoint;

	/* The watch comes first: a file is then seen twice, never missed. */
	if (ds_dirwatch_open(&dw, argv[0]) == -1)
		err(1, "%s", argv[0]);
	if (statedir != NULL)
		existed = open_state();

	/* SIGINT and SIGTERM end the open batch, if it holds a file. */
	if (ds_writer_init(&out, STDOUT_FILENO) == -1 ||
	    ds_recv_init(&rv, &out, opt.interval) == -1 ||
	    ds_recv_watch(&rv, dw.fd, POLLIN, 0, drain, NULL) == -1)
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

/*
 * Create the state directory if need be, hold it and load the names
 * seen: 1 when there was a state, 0 at a first start.
 */
static int
open_state(void)
{
	struct stat st, cst;

	ds_ledger_open_or_die(&state, statedir, STATE);
	state.confirmed = ds_committed_or_die();
	if (stat(dw.dir, &st) == -1)
		err(1, "%s", dw.dir);
	if (stat(statedir, &cst) == -1)
		err(1, "%s", statedir);
	if (st.st_dev == cst.st_dev && st.st_ino == cst.st_ino)
		errx(2, "-c %s: the directory watched", statedir);
	return ds_ledger_load_or_die(&state, &dw.seen);
}

/*
 * Write again, with their own times, the batches downstream has not
 * committed, and those a stop cut short: a program downstream that keeps
 * batches by time, as ds-save does, ends up with each of them once.
 * Files gone since are left out.
 */
static void
replay(void)
{
	size_t i, j, n;
	char **names;

	if (state.npend == 0)
		return;
	if ((names = reallocarray(NULL, state.npend, sizeof(*names))) == NULL)
		err(1, NULL);
	for (i = 0; (n = ds_ledger_replay(&state, i, &rv.next)) > 0; i += n) {
		for (j = 0; j < n; j++) {
			names[j] = state.pend[i + j].key;
			if (ds_dirwatch_see(&dw, names[j], rv.next) == -1)
				err(1, NULL);
		}
		take(names, n, 0);
		if (rv.filled) {
			if (ds_write_batch(&out, rv.next) == -1 ||
			    ds_writer_flush(&out) == -1)
				ds_source_write_failed_die(&out);
			if (rv.next > state.last)
				state.last = rv.next;
		}
		rv.filled = 0;
	}
	free(names);
}

/*
 * The files there at the start: those not seen go into the first batch
 * when takeall is set, and are seen without being read when not.  Names
 * seen but gone are forgotten, the others keep their order and times, and
 * the state is rewritten.
 */
static void
start(int takeall)
{
	if (ds_dirwatch_scan(&dw) == -1)
		err(1, "%s", dw.dir);
	if (!takeall && ds_dirwatch_see_fresh(&dw) == -1)
		err(1, NULL);
	if (statedir != NULL && ds_ledger_rewrite(&state, &dw.seen) == -1)
		ds_ledger_die(&state);
	if (takeall) {
		if (ds_dirwatch_see_fresh(&dw) == -1)
			err(1, NULL);
		take(dw.fresh, dw.nfresh, 1);
	}
	ds_dirwatch_scan_free(&dw);
}

/*
 * Read the files names[0..n) into the open batch, all of them already
 * seen.  With log set (and -c), a group of them is opened, then recorded
 * and synced as taken into the batch, then read: a stop after that
 * replays the batch.  A file that cannot be read is no longer seen.
 */
static void
take(char **names, size_t n, int log)
{
	int fd[GROUP_MAX];
	size_t i, j, k, m;

	log = log && statedir != NULL;
	for (i = 0; i < n; i += m) {
		m = n - i < GROUP_MAX ? n - i : GROUP_MAX;
		for (j = k = 0; j < m; j++) {
			if ((fd[j] = ds_dirwatch_open_file(&dw,
			    names[i + j])) == -1) {
				/* Gone, or not a regular file: quietly. */
				if (errno != ENOENT)
					unreadable(names[i + j]);
				(void)ds_dirwatch_forget(&dw, names[i + j]);
				continue;
			}
			if (log && (ds_dirwatch_see(&dw, names[i + j],
			    rv.next) == -1 || ds_ledger_take(&state, rv.next,
			    names[i + j], strlen(names[i + j])) == -1))
				ds_ledger_die(&state);
			k++;
		}
		if (k > 0 && log && ds_ledger_sync(&state) == -1)
			ds_ledger_die(&state);
		for (j = 0; j < m; j++) {
			if (fd[j] == -1)
				continue;
			read_file(fd[j], names[i + j]);
			close(fd[j]);
			rv.filled = 1;
		}
	}
}

/* Each line of the file is a record, as ds-lines makes it. */
static void
read_file(int fd, const char *name)
{
	struct ds_reader r;
	const char *path;
	int rc;

	if ((path = ds_dirwatch_path(&dw, name)) == NULL ||
	    ds_reader_init(&r, fd, path, DS_RAW) == -1)
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

/* A file that cannot be read is reported; the others are still read. */
static void
unreadable(const char *name)
{
	const char *path;
	int saved = errno;

	if (saved == ENOMEM || (path = ds_dirwatch_path(&dw, name)) == NULL)
		err(1, NULL);
	errno = saved;
	warn("%s", path);
	status = 1;
}

/*
 * Take what the events say, in their order: the files that arrived, a
 * group at a time, and those that left, which are forgotten.
 */
static int
drain(void *arg, short revents)
{
	const char *name;
	int rc, lost = 0, gone = 0;

	(void)arg;
	(void)revents;
	while ((rc = ds_dirwatch_next(&dw, &name)) > 0) {
		if (rc == DS_DIRWATCH_ARRIVED) {
			tick();
			take(dw.fresh, dw.nfresh, 1);
		} else if (rc == DS_DIRWATCH_LEFT)
			record_gone(name);
		else if (rc == DS_DIRWATCH_LOST)
			lost = 1;
		else
			gone = 1;
	}
	if (rc == -1)
		err(1, "inotify");
	if (gone) {
		if (rv.filled && ds_recv_end(&rv, rv.next) == -1)
			ds_source_write_failed_die(&out);
		errx(1, "%s: directory gone", dw.dir);
	}
	if (lost)
		rescan();
	return 0;
}

/*
 * Events were lost: list the directory, take what is not seen and forget
 * what is gone.  A file still being written may be taken too early.
 */
static void
rescan(void)
{
	size_t i;

	warnx("%s: events lost, listing the directory", dw.dir);
	if (ds_dirwatch_scan(&dw) == -1)
		err(1, "%s", dw.dir);
	if (ds_dirwatch_see_fresh(&dw) == -1)
		err(1, NULL);
	for (i = 0; i < dw.ngone; i++)
		record_gone(dw.gone[i]);
	tick();
	take(dw.fresh, dw.nfresh, 1);
	ds_dirwatch_scan_free(&dw);
}

/* A file seen has left the directory: a new one of its name is new. */
static void
record_gone(const char *name)
{
	if (statedir != NULL &&
	    ds_ledger_forget(&state, name, strlen(name)) == -1)
		ds_ledger_die(&state);
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
	if (statedir != NULL && rv.filled && (ds_ledger_written(&state, t) ==
	    -1 || (ds_ledger_grown(&state, ds_table_count(&dw.seen)) &&
	    ds_ledger_rewrite(&state, &dw.seen) == -1)))
		ds_ledger_die(&state);
	return 0;
}
