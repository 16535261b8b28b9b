/*
 * ds-partition: run a stage on every core, as Spark runs a stage on each
 * partition: records go to copies of a command by the hash of their key,
 * every batch end to every copy, and the copies' outputs are merged batch
 * by batch.  One poll loop feeds the copies and reads them, so that no
 * copy waits on another through us.
 */

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] =
    "ds-partition [-k field] [-n copies] command [argument ...]";

#define COPIES_MAX	1024

static void	spawn_all(char **, size_t);
static void	distribute(void);
static int	merge(void);
static __dead void write_failed(void);
static void	reap(int);
static void	input_failed(void);
static void	stop_input(void);
static int	complete(void);
static __dead void die(void);
static void	signals(void);
static void	kill_copies(void);
static void	wait_events(void);

static const char	*cmd;		/* for messages */
static struct ds_pool	 pool;		/* the copies */
static size_t		 ncopy;
static size_t		 keyfield = 1;
static struct ds_reader	 in;		/* stdin */
static struct ds_fanout	 fan;		/* the copies' inputs */
static struct ds_reader	*out;		/* the copies' outputs */
static struct ds_merge	 m;
static struct ds_writer	 w;
static int		 inend;		/* no more input for the copies */
static int		 wake = -1;	/* wakes the poll loop for signals */
static int		 stopping;	/* SIGINT or SIGTERM came */
static char		 fatal[256];	/* the error that ends the stage */
static int64_t		 upto = INT64_MAX; /* the last batch to write then */
static size_t		 failed = SIZE_MAX; /* the copy that failed */

int
main(int argc, char *argv[])
{
	const char *errstr;
	long online;
	size_t i;
	int ch;

	online = sysconf(_SC_NPROCESSORS_ONLN);
	ncopy = online < 1 ? 1 : online > COPIES_MAX ? COPIES_MAX : online;
	/* "+": the command's own options are not ours. */
	while ((ch = getopt(argc, argv, "+hk:n:")) != -1) {
		switch (ch) {
		case 'k':
			keyfield = ds_field_arg_or_die("-k", optarg);
			break;
		case 'n':
			ncopy = strtonum(optarg, 1, COPIES_MAX, &errstr);
			if (errstr != NULL)
				errx(2, "-n %s: %s", optarg, errstr);
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	if (argc == optind)
		ds_usage_exit(synopsis, 0);

	/* A closed stdout ends the copies first, then us by SIGPIPE. */
	ds_ignore_sigpipe();
	if ((wake = ds_wake_on(SIGINT, DS_WAKE_UNIGNORED)) == -1 ||
	    (wake = ds_wake_on(SIGTERM, 0)) == -1 ||
	    (wake = ds_wake_on(SIGCHLD, 0)) == -1)
		err(1, "signals");
	if (ds_reader_init(&in, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&w, STDOUT_FILENO) == -1)
		err(1, NULL);
	in.nowait = 1;
	in.flush = &w;
	atexit(kill_copies);
	cmd = argv[optind];
	spawn_all(argv + optind, ncopy);
	if (ds_merge_init(&m, out, ncopy) == -1)
		err(1, NULL);
	m.nowait = 1;
	if (ds_write_header(&w) == -1)
		ds_write_failed_die(&w);
	for (;;) {
		distribute();
		for (i = 0; i < ncopy; i++)
			if (ds_fanout_flush(&fan, i) == -1)
				err(1, "copy %zu (%s): stdin", i, cmd);
		if (merge())
			break;
		wait_events();
		signals();
	}
	reap(1);
	if (fatal[0] != '\0')
		die();
	if (ds_writer_flush(&w) == -1)
		write_failed();
	exit(0);
}

/*
 * Start the copies, with SIGINT ignored: the stop is ours to pass on, at
 * a batch boundary, by ending their input.
 */
static void
spawn_all(char **argv, size_t n)
{
	if ((out = calloc(n, sizeof(*out))) == NULL)
		err(1, NULL);
	if (ds_pool_start(&pool, argv, n, DS_SPAWN_NOINT) == -1)
		err(ds_spawn_status(errno), "%s", cmd);
	if (ds_pool_streams(&pool, out, &fan, cmd) == -1)
		err(1, NULL);
}

/* Read the input while every copy has room for more. */
static void
distribute(void)
{
	static const struct ds_field none;
	const struct ds_field *key;
	size_t i;
	int rc;

	if (ds_fanout_blocked(&fan))
		return;
	while (!inend) {
		/* Asked to stop, the input ends at its next batch end. */
		rc = stopping && !in.inbatch ? DS_EOF : ds_read(&in);
		if (rc == DS_RECORD) {
			key = keyfield <= in.nfield ?
			    &in.field[keyfield - 1] : &none;
			i = ds_partition_of(key->data, key->len, ncopy);
			if ((rc = ds_fanout_record(&fan, i, &in)) == 1)
				return;
			if (rc == -1 && errno == ENOMEM)
				err(1, NULL);
			if (rc == -1)
				err(1, "copy %zu (%s): stdin", i, cmd);
		} else if (rc == DS_BATCH) {
			if (ds_fanout_batch(&fan, in.time) == -1)
				err(1, NULL);
		} else if (rc == DS_EOF)
			stop_input();
		else if (errno == EAGAIN)
			return;
		else
			input_failed();
	}
}

/* The batches the input did close still go out, then the error. */
static void
input_failed(void)
{
	ds_reader_error(&in, errno, fatal, sizeof(fatal));
	/* The copies close the batch in progress at EOF: not that one. */
	upto = in.lasttime;
	stop_input();
}

/*
 * Take in what the copies have written and write the batches they have
 * all closed.  Returns nonzero when every copy's output has ended.
 */
static int
merge(void)
{
	size_t i;
	int rc;

	for (;;) {
		rc = ds_merge_next(&m, &i);
		if (rc == DS_RECORD) {
			if (out[i].mode == DS_RAW)
				errx(1, "copy %zu (%s): output is not a ds "
				    "stream", i, cmd);
			if (ds_merge_keep(&m, i) == -1)
				err(1, NULL);
			continue;
		}
		if (rc == DS_EOF)
			return 1;
		if (rc == -1 && errno == EAGAIN)
			return 0;
		if (rc == -1) {
			(void)ds_writer_flush(&w);
			if (errno == EBADMSG)
				errx(1, "copy %zu (%s): output line %llu: %s",
				    m.failed, cmd,
				    (unsigned long long)out[m.failed].lineno,
				    out[m.failed].why);
			err(1, "copy %zu (%s): output", m.failed, cmd);
		}
		/* A copy that ended may have died half-way through. */
		reap(0);
		if (!complete())
			die();
		if (ds_merge_write(&m, &w) == -1)
			write_failed();
	}
}

/*
 * A reader that has gone away ends the copies, then us: by SIGPIPE, as
 * any filter, unless we were started with it ignored.
 */
static void
write_failed(void)
{
	kill_copies();
	ds_write_failed_pipe_die(&w);
}

/*
 * Reap the copies that have exited; with wait, all of them.  A copy whose
 * output has ended is waited for, its stdin closed first.  A copy that
 * failed ends the stage, after the batches already complete.
 */
static void
reap(int wait)
{
	char why[64];
	size_t i;
	int st, block;

	for (i = 0; i < ncopy; i++) {
		if ((block = wait || out[i].eof))
			ds_fanout_close(&fan, i);
		if (ds_pool_reap(&pool, i, block, &st) != 1 ||
		    (WIFEXITED(st) && WEXITSTATUS(st) == 0) ||
		    fatal[0] != '\0')
			continue;
		failed = i;
		snprintf(fatal, sizeof(fatal), "copy %zu (%s) %s", i, cmd,
		    ds_status_text(why, sizeof(why), st));
		upto = in.lasttime;
		stop_input();
	}
}

/*
 * After an error, the input ends and the copies finish what they have:
 * the batches complete by then go out, and the stage ends with the error
 * at the first batch the input or the failed copy did not close.
 */
static void
stop_input(void)
{
	inend = 1;
	ds_fanout_end(&fan);
}

static int
complete(void)
{
	return fatal[0] == '\0' || (m.time <= upto && (failed == SIZE_MAX ||
	    (ds_merge_at(&m, failed) && !out[failed].synthetic)));
}

static __dead void
die(void)
{
	(void)ds_writer_flush(&w);
	errx(1, "%s", fatal);
}

/*
 * A first SIGINT or SIGTERM ends the input at its next batch end, and so
 * the copies' inputs, so that they close that batch and end as at the end
 * of their input.  A second ends the copies and us at once.
 */
static void
signals(void)
{
	int sig;

	while ((sig = ds_wake_next()) != 0) {
		if (sig == SIGCHLD)
			reap(0);
		else if (!stopping)
			stopping = sig;
		else {
			kill_copies();
			signal(sig, SIG_DFL);
			raise(sig);
		}
	}
}

/* At any exit but the end of every copy, the copies end too, once. */
static void
kill_copies(void)
{
	static int killed;

	if (!killed++)
		ds_pool_kill(&pool, SIGTERM);
}

/*
 * Wait until stdin (unless full or ended), a copy's stdin that has lines
 * to take, an output the merge reads or a signal can go on.  A finished
 * batch is written out first: it never waits on the input.
 */
static void
wait_events(void)
{
	static struct pollfd *pfd;
	size_t n = 0;

	if (pfd == NULL && (pfd = reallocarray(NULL, 2 * ncopy + 2,
	    sizeof(*pfd))) == NULL)
		err(1, NULL);
	pfd[n].fd = wake;
	pfd[n++].events = POLLIN;
	if (!inend && !ds_fanout_blocked(&fan)) {
		pfd[n].fd = STDIN_FILENO;
		pfd[n++].events = POLLIN;
	}
	n += ds_fanout_pollfds(&fan, pfd + n);
	memcpy(pfd + n, m.pfd, m.npoll * sizeof(*pfd));
	n += m.npoll;
	if (w.len > 0 && ds_writer_flush(&w) == -1)
		write_failed();
	if (poll(pfd, n, -1) == -1 && errno != EINTR)
		err(1, "poll");
}
