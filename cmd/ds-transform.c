/*
 * ds-transform: run a command on each batch, Spark's transform(): the
 * batch's records are its standard input, one escaped line each, and the
 * lines it prints are the records of the same batch.
 */

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] = "ds-transform command [argument ...]";

/* Input for the command is written in pieces of about this size. */
#define FEED_CHUNK	(64 * 1024)

static void	start(void);
static void	feed_all(void);
static ssize_t	write_child(const void *, size_t);
static void	read_output(void);
static void	append_line(struct ds_buf *, const struct ds_reader *);
static void	finish(int64_t);
static void	flush_out(void);

static char		**cmd;
static int		  running;	/* a command runs for the open batch */
static pid_t		  pid;
static int		  tochild = -1;	/* its stdin, -1 once closed */
static int		  fromchild = -1;
static int		  outeof;	/* its stdout has ended */
static struct ds_reader	  output;	/* what it prints */
static struct ds_buf	  feed;		/* records it has yet to get */
static struct ds_buf	  held;		/* the batch's records, escaped */
static struct ds_writer	  out;

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	int ch, rc;

	/* "+": the command's own options are not ours. */
	while ((ch = getopt(argc, argv, "+h")) != -1)
		ds_usage_exit(synopsis, ch == 'h');
	if (argc == optind)
		ds_usage_exit(synopsis, 0);
	cmd = argv + optind;
	/* An inherited SIG_IGN would reap the commands before waitpid. */
	signal(SIGCHLD, SIG_DFL);

	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&out, STDOUT_FILENO) == -1)
		err(1, NULL);
	r.flush = &out;
	/* A command a batch would report as a pipeline a batch. */
	(void)setenv("DS_METRICS", "off", 1);
	if (ds_write_header(&out) == -1)
		ds_write_failed_die(&out);
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (!running)
			start();
		if (rc == DS_BATCH) {
			finish(r.time);
			continue;
		}
		append_line(&feed, &r);
		if (feed.len >= FEED_CHUNK)
			feed_all();
	}
	ds_writer_close_or_die(&out);
	ds_reader_free(&r);
	exit(0);
}

/* Before an exit: the batches that did end still go out. */
static void
flush_out(void)
{
	int saved = errno;

	(void)ds_writer_flush(&out);
	errno = saved;
}

/* Start the command, with pipes for its stdin and stdout. */
static void
start(void)
{
	struct ds_child c;

	if (ds_spawn(&c, cmd, NULL, 0) == -1) {
		flush_out();
		err(1, "%s", cmd[0]);
	}
	pid = c.pid;
	tochild = c.in;
	fromchild = c.out;
	outeof = 0;
	if (ds_reader_init(&output, fromchild, cmd[0], DS_AUTO_LINES) == -1)
		err(1, NULL);
	output.nowait = 1;
	output.unmetered = 1;
	running = 1;
}

/*
 * Write what the command has yet to get, reading its output whenever it
 * cannot take more: it may be waiting for us to read before it reads on.
 */
static void
feed_all(void)
{
	struct pollfd pfd[2];
	size_t off = 0;
	ssize_t n;

	while (off < feed.len && tochild != -1) {
		if ((n = write_child(feed.data + off, feed.len - off)) > 0) {
			off += n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EPIPE) {
			/* It has read all it wants (head -5). */
			close(tochild);
			tochild = -1;
			break;
		}
		if (errno != EAGAIN) {
			flush_out();
			err(1, "%s: stdin", cmd[0]);
		}
		pfd[0].fd = tochild;
		pfd[0].events = POLLOUT;
		pfd[1].fd = outeof ? -1 : fromchild;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1 && errno != EINTR) {
			flush_out();
			err(1, "poll");
		}
		if (pfd[1].revents != 0)
			read_output();
	}
	feed.len = 0;
}

/*
 * write(2) to the command with SIGPIPE held back, so that a command that
 * stops reading is EPIPE here while a closed stdout still ends us quietly.
 */
static ssize_t
write_child(const void *p, size_t len)
{
	struct timespec zero = { 0, 0 };
	sigset_t pipe_only, old;
	ssize_t n;
	int saved;

	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_only, &old);
	n = write(tochild, p, len);
	saved = errno;
	if (n == -1 && errno == EPIPE)
		while (sigtimedwait(&pipe_only, NULL, &zero) == -1 &&
		    errno == EINTR)
			continue;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return n;
}

/* Take in the lines the command has printed so far. */
static void
read_output(void)
{
	int rc;

	while (!outeof) {
		rc = ds_read(&output);
		if (rc == DS_RECORD)
			append_line(&held, &output);
		else if (rc == DS_EOF)
			outeof = 1;
		else if (rc == -1 && errno == EAGAIN)
			return;
		else if (rc == -1) {
			flush_out();
			if (errno == EBADMSG)
				errx(1, "%s: output line %llu: %s", cmd[0],
				    (unsigned long long)output.lineno,
				    output.why);
			err(1, "%s: output", cmd[0]);
		}
		/* Its own batch ends, if it writes a stream, are not ours. */
	}
}

/*
 * Append a record as a line of ds(5): the command's input, and the
 * batch's records held until it has exited.
 */
static void
append_line(struct ds_buf *b, const struct ds_reader *r)
{
	if (ds_reader_line(r, b) == -1)
		err(1, NULL);
}

/*
 * The batch of time t has ended: the command gets the rest of its input
 * and an end of file, and once it has exited well its output goes out
 * as the batch.  A failed batch writes nothing.
 */
static void
finish(int64_t t)
{
	struct pollfd pfd;
	char why[64];
	int status;

	feed_all();
	if (tochild != -1)
		close(tochild);
	tochild = -1;
	for (;;) {
		read_output();
		if (outeof)
			break;
		pfd.fd = fromchild;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR) {
			flush_out();
			err(1, "poll");
		}
	}
	close(fromchild);
	fromchild = -1;
	ds_reader_free(&output);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			err(1, "waitpid");
	running = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		flush_out();
		errx(1, "batch %lld: %s %s", (long long)t, cmd[0],
		    ds_status_text(why, sizeof(why), status));
	}
	if ((held.len > 0 && ds_write_bytes(&out, held.data, held.len) == -1) ||
	    ds_write_batch(&out, t) == -1)
		ds_write_failed_die(&out);
	held.len = 0;
}
