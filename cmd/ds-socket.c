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
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

#define MAXLINE_DEFAULT	(64 * 1024 * 1024)
#define DGRAM_MAX	65536		/* more than any UDP payload */
#define DGRAMS_A_WAKE	64

static const char synopsis[] =
    "ds-socket [-luv] [-i interval] [-m size] [-N batches] [-r delay] "
    "[-W dir] [host]:port";

/* A TCP peer: the server we connect to, or one client of -l. */
struct client {
	int		 fd;
	int		 watch;
	struct ds_reader r;
	char		 name[NI_MAXHOST + NI_MAXSERV + 4];
};

static int	lflag;		/* listen for TCP clients */
static int	uflag;		/* bind a UDP socket */
static struct ds_source_opts opt;
static size_t	maxline = MAXLINE_DEFAULT;

static const char *host;
static char	port[DS_PORT_MAX];
static char	place[NI_MAXHOST + NI_MAXSERV + 4];	/* host:port */

static struct ds_writer out;
static struct ds_recv rv;
static unsigned long long nskipped;	/* over-long lines */
static struct ds_wal wal;	/* -W */
static int	logging;

/* The client mode: the server, connected, being connected, or down. */
static struct client *conn;
static struct ds_connect connecting;
static int	connwatch = -1;
static int	retrytimer;
static struct ds_outage outage;

/* -l and -u: the bound socket. */
static int	sfd = -1;
static int	sfdwatch;
static char	*dgram;

static struct client *client_new(int, const char *);
static void	client_free(struct client *);
static int	client_read(struct client *);
static void	put_line(const char *, size_t, const char *, uint64_t);
static void	put_field(const char *, size_t, int);
static void	open_log(void);
static int	on_closing(void *, int64_t);
static int	on_idle(void *);
static int	on_retry(void *);
static int	on_connect(void *, short);
static void	connected(int, int);
static int	on_server(void *, short);
static int	on_accept(void *, short);
static int	on_client(void *, short);
static int	on_datagrams(void *, short);
static int	on_written(void *, int64_t);

int
main(int argc, char *argv[])
{
	uint64_t size;
	int ch;

	ds_source_opts_init(&opt);
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
			maxline = size;
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
	ds_outage_init(&outage, opt.delay);

	/* A closed stdout, before a socket can take its descriptor. */
	if (fcntl(STDOUT_FILENO, F_GETFL) == -1)
		err(1, "stdout");
	if (ds_writer_init(&out, STDOUT_FILENO) == -1 ||
	    ds_recv_init(&rv, &out, opt.interval) == -1)
		err(1, NULL);
	rv.maxbatches = opt.maxbatches;
	rv.written = on_written;

	if (lflag || uflag) {
		sfd = ds_bind_or_die(host, port, uflag ? SOCK_DGRAM :
		    SOCK_STREAM, opt.verbose, place);
		if ((sfdwatch = ds_recv_watch(&rv, sfd, POLLIN, 0,
		    uflag ? on_datagrams : on_accept, NULL)) == -1)
			err(1, NULL);
	} else {
		if ((retrytimer = ds_recv_timer(&rv, on_retry, NULL)) == -1)
			err(1, NULL);
		ds_recv_timer_set(&rv, retrytimer, 0);
	}
	if (uflag && (dgram = malloc(DGRAM_MAX)) == NULL)
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
	if (nskipped > 0)
		errx(1, "over-long lines skipped: %llu", nskipped);
	exit(0);
}

static struct client *
client_new(int fd, const char *name)
{
	struct client *c;

	if ((c = malloc(sizeof(*c))) == NULL)
		err(1, NULL);
	c->fd = fd;
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (ds_reader_init(&c->r, fd, c->name, DS_RAW) == -1 ||
	    (c->watch = ds_recv_watch(&rv, fd, POLLIN, 0,
	    lflag ? on_client : on_server, c)) == -1)
		err(1, NULL);
	c->r.nowait = 1;
	c->r.maxline = maxline;
	ds_metrics_count(DS_RECV_CONNECTIONS, 1);
	return c;
}

static void
client_free(struct client *c)
{
	ds_recv_unwatch(&rv, c->watch);
	close(c->fd);
	ds_reader_free(&c->r);
	free(c);
}

/*
 * Take the complete lines a readable peer has sent, and no more than one
 * line's reading past what is buffered, so that no peer holds up the
 * clock or the others.  A partial line stays in the reader until its LF
 * comes.  Returns 0, or -1 when the connection has ended: errno is 0 at
 * EOF (a last line without LF counts, as readLine has it).
 */
static int
client_read(struct client *c)
{
	int rc;

	do {
		if ((rc = ds_read(&c->r)) == DS_RECORD)
			put_line(c->r.rec, c->r.reclen, c->name, c->r.lineno);
		else if (rc == DS_EOF) {
			errno = 0;
			return -1;
		} else if (rc == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno != EMSGSIZE)
				return -1;
			put_line(NULL, SIZE_MAX, c->name, c->r.lineno);
		}
		/* DS_BATCH is the reader closing its input: not ours. */
	} while (c->r.eof || rc == DS_BATCH || ds_reader_buffered(&c->r));
	return 0;
}

/*
 * One line as a record, TAB-split like every raw line, without the CR of
 * a CRLF.  A line longer than -m is reported with the peer's name and
 * its line number (0 for a datagram's), counted and skipped.
 */
static void
put_line(const char *p, size_t len, const char *name, uint64_t lineno)
{
	const char *end, *tab;

	if (len > maxline) {
		nskipped++;
		if (lineno != 0)
			warnx("%s:%llu: line longer than %zu bytes, skipped",
			    name, (unsigned long long)lineno, maxline);
		else
			warnx("%s: line longer than %zu bytes, skipped", name,
			    maxline);
		return;
	}
	if (len > 0 && p[len - 1] == '\r')
		len--;
	end = p + len;
	while ((tab = memchr(p, '\t', end - p)) != NULL) {
		put_field(p, tab - p, 0);
		p = tab + 1;
	}
	put_field(p, end - p, 1);
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

/* The client mode: the delay has passed, or it is the start: connect. */
static int
on_retry(void *arg)
{
	int rc;

	(void)arg;
	rc = ds_connect_start(&connecting, host, port);
	connected(rc, errno);
	return 0;
}

static int
on_connect(void *arg, short revents)
{
	int rc;

	(void)arg;
	(void)revents;
	ds_recv_unwatch(&rv, connwatch);
	connwatch = -1;
	rc = ds_connect_check(&connecting);
	connected(rc, errno);
	return 0;
}

/* Where a connect attempt stands: up, still in progress, or failed. */
static void
connected(int rc, int e)
{
	static int ever;

	if (rc == 1) {
		conn = client_new(connecting.fd, place);
		ds_outage_up_warn(&outage, place, opt.verbose);
		if (ever++)
			ds_metrics_count(DS_RECV_RECONNECTS, 1);
	} else if (rc == 0) {
		if ((connwatch = ds_recv_watch(&rv, connecting.fd, POLLOUT,
		    DS_RECV_CONTROL, on_connect, NULL)) == -1)
			err(1, NULL);
	} else {
		ds_outage_down_warn(&outage, place, connecting.gaierr != 0 &&
		    connecting.gaierr != EAI_SYSTEM ?
		    gai_strerror(connecting.gaierr) : strerror(e));
		ds_recv_timer_set(&rv, retrytimer, outage.retry_at);
	}
}

/* The server's lines; once it has gone, retry after the delay. */
static int
on_server(void *arg, short revents)
{
	(void)revents;
	if (client_read(arg) == 0)
		return 0;
	ds_outage_down_warn(&outage, place, errno == 0 ? "connection closed" :
	    strerror(errno));
	ds_recv_timer_set(&rv, retrytimer, outage.retry_at);
	client_free(conn);
	conn = NULL;
	return 0;
}

static int
on_accept(void *arg, short revents)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char name[sizeof(place)];
	int fd;

	(void)arg;
	(void)revents;
	for (;;) {
		len = sizeof(ss);
		if ((fd = accept(sfd, (struct sockaddr *)&ss, &len)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ECONNABORTED)
				return 0;
			if (errno != EMFILE && errno != ENFILE &&
			    errno != ENOBUFS && errno != ENOMEM)
				err(1, "%s: accept", place);
			/* Until a client leaves or the next batch. */
			warn("%s: accept", place);
			ds_recv_watch_set(&rv, sfdwatch, sfd, 0);
			return 0;
		}
		if (ds_nonblock(fd) == -1)
			err(1, "fcntl");
		ds_addr_format((struct sockaddr *)&ss, len, name,
		    sizeof(name));
		(void)client_new(fd, name);
		if (opt.verbose)
			warnx("%s: connected", name);
	}
}

/* -l's clients; one that leaves makes room for another. */
static int
on_client(void *arg, short revents)
{
	struct client *c = arg;

	(void)revents;
	if (client_read(c) == 0)
		return 0;
	if (errno != 0)
		warn("%s", c->name);
	else if (opt.verbose)
		warnx("%s: closed", c->name);
	client_free(c);
	ds_recv_watch_set(&rv, sfdwatch, sfd, POLLIN);
	return 0;
}

/*
 * -u: each datagram's lines are records, the last one needing no LF.
 * A bounded number a wakeup, so that a flood cannot hold up the clock.
 */
static int
on_datagrams(void *arg, short revents)
{
	struct sockaddr_storage ss;
	socklen_t len;
	ssize_t n;
	char name[sizeof(place)], *p, *end, *lf;
	int i;

	(void)arg;
	(void)revents;
	for (i = 0; i < DGRAMS_A_WAKE; i++) {
		len = sizeof(ss);
		if ((n = recvfrom(sfd, dgram, DGRAM_MAX, 0,
		    (struct sockaddr *)&ss, &len)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return 0;
			/* An ICMP error for an earlier datagram, say. */
			warn("%s", place);
			return 0;
		}
		ds_metrics_count(DS_RECV_DATAGRAMS, 1);
		for (p = dgram, end = dgram + n; p < end; p = lf + 1) {
			if ((lf = memchr(p, '\n', end - p)) == NULL)
				lf = end;
			if (lf - p > (ptrdiff_t)maxline)
				ds_addr_format((struct sockaddr *)&ss, len,
				    name, sizeof(name));
			put_line(p, lf - p, name, 0);
		}
	}
	return 0;
}

/* A batch has gone: -l accepts again if it had to pause. */
static int
on_written(void *arg, int64_t t)
{
	(void)arg;
	(void)t;
	if (lflag)
		ds_recv_watch_set(&rv, sfdwatch, sfd, POLLIN);
	return 0;
}
