/*
 * ds-socket: read lines of text from a TCP server, from TCP clients or
 * from UDP datagrams, and cut them into batches on the wall clock, as
 * Spark's socketTextStream does.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libutil.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

#define MAXLINE_DEFAULT	(64 * 1024 * 1024)

static const char synopsis[] =
    "ds-socket [-luv] [-i interval] [-m size] [-N batches] [-r delay] "
    "[-W dir] [host]:port";

static int	lflag;		/* listen for TCP clients */
static int	uflag;		/* bind a UDP socket */
static struct ds_source_opts opt;

static char	port[DS_PORT_MAX];
static char	place[NI_MAXHOST + NI_MAXSERV + 4];	/* host:port */

static struct ds_writer out;
static struct ds_recv rv;
static struct ds_lines lines;
static struct ds_wal wal;	/* -W */
static int	logging;

static int	on_line(void *, const char *, size_t);
static void	put_field(const char *, size_t, int);
static int	on_event(void *, const struct ds_lines_event *);
static void	open_log(void);
static int	on_closing(void *, int64_t);
static int	on_idle(void *);

int
main(int argc, char *argv[])
{
	const char *host;
	uint64_t size;
	int ch, fd, socktype;

	ds_source_opts_init(&opt);
	lines.maxline = MAXLINE_DEFAULT;
	lines.line = on_line;
	lines.event = on_event;
	while ((ch = getopt(argc, argv, "hi:lm:N:r:uvW:")) != -1) {
		if (ds_source_opt_or_die(&opt, "iNrvW", ch, optarg))
			continue;
		switch (ch) {
		case 'l':
			lflag = 1;
			break;
		case 'm':
			if (expand_number(optarg, &size) == -1 || size == 0 ||
			    size > SIZE_MAX / 2)
				errx(2, "-m %s: not a positive size", optarg);
			lines.maxline = size;
			break;
		case 'u':
			uflag = 1;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		ds_usage_exit(synopsis, 0);
	host = ds_hostport_or_die(argv[0], lflag || uflag, port, place,
	    sizeof(place));

	/* A closed stdout, before a socket can take its descriptor. */
	if (fcntl(STDOUT_FILENO, F_GETFL) == -1)
		err(1, "stdout");
	if (ds_writer_init(&out, STDOUT_FILENO) == -1 ||
	    ds_recv_init(&rv, &out, opt.interval) == -1)
		err(1, NULL);
	rv.maxbatches = opt.maxbatches;
	socktype = uflag ? SOCK_DGRAM : SOCK_STREAM;
	if (lflag || uflag) {
		fd = ds_bind_or_die(host, port, socktype, opt.verbose, place);
		if (ds_lines_listen(&lines, &rv, fd, socktype, place) == -1)
			err(1, NULL);
	} else if (ds_lines_dial(&lines, &rv, host, port, opt.delay,
	    place) == -1)
		err(1, NULL);

	/* The header goes out at once, so that the reader knows we are up. */
	if (ds_write_header(&out) == -1 || ds_writer_flush(&out) == -1)
		ds_source_write_failed_die(&out);
	if (opt.wal != NULL)
		open_log();
	ds_recv_run_or_die(&rv);
	if (ds_writer_close(&out) == -1)
		ds_source_write_failed_die(&out);
	if (logging && ds_wal_close(&wal) == -1)
		err(1, "%s", opt.wal);
	if (lines.nskipped > 0)
		errx(1, "over-long lines skipped: %llu",
		    (unsigned long long)lines.nskipped);
	exit(0);
}

/*
 * One line as a record, TAB-split like every raw line, without the CR of
 * a CRLF.
 */
static int
on_line(void *arg, const char *p, size_t len)
{
	const char *end, *tab;

	(void)arg;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	end = p + len;
	while ((tab = memchr(p, '\t', end - p)) != NULL) {
		put_field(p, tab - p, 0);
		p = tab + 1;
	}
	put_field(p, end - p, 1);
	return 0;
}

/* A field, the last of its record if end: downstream, and to -W's log. */
static void
put_field(const char *p, size_t len, int end)
{
	if (ds_write_field(&out, p, len) == -1 ||
	    (end && ds_write_end(&out) == -1))
		ds_source_write_failed_die(&out);
	if (logging && (ds_write_field(&wal.w, p, len) == -1 ||
	    (end && ds_write_end(&wal.w) == -1)))
		err(1, "%s", opt.wal);
}

/* The words for what happened to the peers. */
static int
on_event(void *arg, const struct ds_lines_event *e)
{
	(void)arg;
	errno = e->err;
	switch (e->what) {
	case DS_LINES_UP:
		if (e->news || opt.verbose)
			warnx("%s: connected", e->peer);
		break;
	case DS_LINES_DOWN:
		if (e->news)
			warnx("%s: %s; retrying every %s", e->peer,
			    e->gaierr != 0 ? gai_strerror(e->gaierr) :
			    e->err != 0 ? strerror(e->err) :
			    "connection closed", lines.dial.outage.delaystr);
		break;
	case DS_LINES_JOINED:
		if (opt.verbose)
			warnx("%s: connected", e->peer);
		break;
	case DS_LINES_LEFT:
		if (e->err != 0)
			warn("%s", e->peer);
		else if (opt.verbose)
			warnx("%s: closed", e->peer);
		break;
	case DS_LINES_LONG:
		if (e->lineno != 0)
			warnx("%s:%llu: line longer than %zu bytes, skipped",
			    e->peer, (unsigned long long)e->lineno,
			    lines.maxline);
		else
			warnx("%s: line longer than %zu bytes, skipped",
			    e->peer, lines.maxline);
		break;
	case DS_LINES_FULL:
		warn("%s: accept", e->peer);
		break;
	case DS_LINES_ACCEPT:
		err(1, "%s: accept", e->peer);
	case DS_LINES_RECV:
		warn("%s", e->peer);
		break;
	}
	return 0;
}

/*
 * -W: write again the batches downstream has not committed, with their
 * times, then log this run's from the batch after them.
 */
static void
open_log(void)
{
	int64_t last, now, confirmed;

	if (ds_wal_open(&wal, opt.wal) == -1) {
		if (errno == EINVAL)
			errx(2, "-W %s: %s", opt.wal, wal.why);
		if (errno == EWOULDBLOCK)
			errx(1, "%s: in use by another ds-socket", opt.wal);
		err(1, "%s", opt.wal);
	}
	confirmed = ds_committed_or_die();
	if (ds_wal_replay(&wal, confirmed, opt.interval, &out, &last) == -1) {
		if (out.error != 0)
			ds_source_write_failed_die(&out);
		if (errno == EBADMSG)
			errx(1, "%s/%s", opt.wal, wal.why);
		err(1, "%s", opt.wal);
	}
	now = ds_now_ms();
	rv.next = ds_batch_after(now > last ? now : last, opt.interval);
	if (ds_wal_start(&wal, rv.next, opt.interval) == -1 ||
	    ds_wal_trim(&wal, confirmed) == -1)
		err(1, "%s", opt.wal);
	logging = 1;
	rv.closing = on_closing;
	rv.idle = on_idle;
}

/* The log has the batch, boundary and all, before it goes downstream. */
static int
on_closing(void *arg, int64_t t)
{
	int rc;

	(void)arg;
	if ((rc = ds_wal_batch(&wal, t)) == -1)
		err(1, "%s", opt.wal);
	if (rc == 1 && ds_wal_trim(&wal, ds_committed_or_die()) == -1)
		err(1, "%s", opt.wal);
	return 0;
}

/* What came goes into the log before a wait, so a kill loses less. */
static int
on_idle(void *arg)
{
	(void)arg;
	if (ds_wal_flush(&wal) == -1)
		err(1, "%s", opt.wal);
	return 0;
}
