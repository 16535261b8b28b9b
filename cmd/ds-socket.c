/*
 * ds-socket: read lines of text from a TCP server, from TCP clients or
 * from UDP datagrams, and cut them into batches on the wall clock, as
 * Spark's socketTextStream does.
 */

/* ppoll(2): poll's milliseconds would let a batch leave up to one late. */
#define _GNU_SOURCE

#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libutil.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ds.h"

#define MAXLINE_DEFAULT	(64 * 1024 * 1024)
#define DGRAM_MAX	65536		/* more than any UDP payload */
#define DGRAMS_A_WAKE	64

static const char synopsis[] =
    "ds-socket [-luv] [-i interval] [-m size] [-N batches] [-r delay] "
    "[host]:port";

/* A TCP peer: the server we connect to, or one client of -l. */
struct client {
	int		 fd;
	struct ds_reader r;
	char		 name[NI_MAXHOST + NI_MAXSERV + 4];
};

static int	lflag;		/* listen for TCP clients */
static int	uflag;		/* bind a UDP socket */
static int	vflag;		/* report addresses and connections */

static int64_t	interval = 1000;
static int64_t	delay = 2000;	/* -r: Spark's receiverRestartDelay */
static char	delaystr[32];
static size_t	maxline = MAXLINE_DEFAULT;
static long long maxbatches;	/* -N, 0: no end */

static const char *host;
static char	port[8];
static char	place[NI_MAXHOST + NI_MAXSERV + 4];	/* host:port */

static struct ds_writer out;
static int64_t	next;		/* the open batch's time */
static long long nbatches;
static unsigned long long nskipped;	/* over-long lines */

static volatile sig_atomic_t gotsig;
static int	selfpipe[2];

/* The client mode: one connection, up, in progress or down. */
static struct client *conn;
static int	connfd = -1;
static struct addrinfo *addrs, *addr;	/* addresses left to try */
static int64_t	retry_at;
static int	outage;		/* the outage is reported, not yet over */
static int	connerr;	/* the error to report of this attempt */

/* -l and -u: the bound socket, and -l's clients. */
static int	sfd = -1;
static int	acceptpaused;
static struct client **clients;
static size_t	nclients, clientcap;
static char	*dgram;

static void	parse_operand(char *);
static void	on_signal(int);
static void	nonblock(int);
static void	format_addr(const struct sockaddr *, socklen_t, char *,
		    size_t);
static void	format_duration(int64_t, char *, size_t);
static void	until(int64_t, struct timespec *);
static void	bind_socket(void);
static struct client *client_new(int, const char *);
static void	client_free(struct client *);
static int	client_read(struct client *);
static int	put_line(const char *, size_t);
static void	skipped(const char *, uint64_t);
static void	start_connect(void);
static void	connect_next(void);
static void	connect_failed(int);
static void	connect_check(void);
static void	connect_done(void);
static void	went_down(const char *);
static void	accept_clients(void);
static void	read_datagrams(void);
static void	close_batch(void);
static __dead void	finish(void);
static __dead void	out_failed(void);
static void	run(void);

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	uint64_t size;
	const char *errstr;
	int ch;

	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt(argc, argv, "hi:lm:N:r:uv")) != -1) {
		switch (ch) {
		case 'i':
			if (ds_duration_parse(optarg, &interval) == -1 ||
			    interval == 0)
				errx(2, "-i %s: not a positive duration",
				    optarg);
			break;
		case 'l':
			lflag = 1;
			break;
		case 'm':
			if (expand_number(optarg, &size) == -1 || size == 0 ||
			    size > SIZE_MAX / 2)
				errx(2, "-m %s: not a positive size", optarg);
			maxline = size;
			break;
		case 'N':
			maxbatches = strtonum(optarg, 1, LLONG_MAX, &errstr);
			if (errstr != NULL)
				errx(2, "-N %s: %s", optarg, errstr);
			break;
		case 'r':
			if (ds_duration_parse(optarg, &delay) == -1 ||
			    delay == 0)
				errx(2, "-r %s: not a positive duration",
				    optarg);
			break;
		case 'u':
			uflag = 1;
			break;
		case 'v':
			vflag = 1;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		ds_usage_exit(synopsis, 0);
	parse_operand(argv[0]);
	format_duration(delay, delaystr, sizeof(delaystr));

	/* A closed stdout, before a socket can take its descriptor. */
	if (fcntl(STDOUT_FILENO, F_GETFL) == -1)
		err(1, "stdout");
	if (pipe(selfpipe) == -1)
		err(1, "pipe");
	nonblock(selfpipe[0]);
	nonblock(selfpipe[1]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* A second one kills, even while a write to stdout blocks. */
	sa.sa_flags = SA_RESETHAND;
	if (sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1)
		err(1, "sigaction");

	if (lflag || uflag)
		bind_socket();
	if (uflag && (dgram = malloc(DGRAM_MAX)) == NULL)
		err(1, NULL);

	/* The header goes out at once, so that the reader knows we are up. */
	if (ds_writer_init(&out, STDOUT_FILENO) == -1)
		err(1, NULL);
	if (ds_write_header(&out) == -1 || ds_writer_flush(&out) == -1)
		out_failed();
	next = ds_batch_after(ds_now_ms(), interval);
	run();
	exit(0);
}

/*
 * [host]:port, with an IPv6 address in brackets.  Without a host the
 * client connects to localhost, and -l and -u bind the loopback address.
 */
static void
parse_operand(char *arg)
{
	const char *errstr;
	char *colon;
	int n;

	if (arg[0] == '[') {
		if ((colon = strchr(arg, ']')) == NULL || colon[1] != ':')
			errx(2, "%s: not [host]:port", arg);
		*colon++ = '\0';
		host = arg + 1;
	} else {
		if ((colon = strrchr(arg, ':')) == NULL)
			errx(2, "%s: not [host]:port", arg);
		*colon = '\0';
		host = arg;
	}
	n = strtonum(colon + 1, lflag || uflag ? 0 : 1, 65535, &errstr);
	if (errstr != NULL)
		errx(2, "port %s: %s", colon + 1, errstr);
	snprintf(port, sizeof(port), "%d", n);
	if (*host == '\0')
		host = lflag || uflag ? "127.0.0.1" : "localhost";
	snprintf(place, sizeof(place), strchr(host, ':') != NULL ?
	    "[%s]:%s" : "%s:%s", host, port);
}

/* Only a flag and a byte for poll: nothing else is safe here. */
static void
on_signal(int signo)
{
	int saved = errno;
	ssize_t n;

	gotsig = signo;
	n = write(selfpipe[1], "", 1);
	(void)n;
	errno = saved;
}

static void
nonblock(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		err(1, "fcntl");
}

static void
format_addr(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t size)
{
	char h[NI_MAXHOST], s[NI_MAXSERV];

	if (getnameinfo(sa, len, h, sizeof(h), s, sizeof(s),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(buf, size, "unknown address");
	else if (strchr(h, ':') != NULL)
		snprintf(buf, size, "[%s]:%s", h, s);
	else
		snprintf(buf, size, "%s:%s", h, s);
}

static void
format_duration(int64_t ms, char *buf, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(buf, size, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, size, "%lldms", (long long)ms);
}

/* The time from now to t, to the nanosecond, or zero when t has passed. */
static void
until(int64_t t, struct timespec *ts)
{
	struct timespec now;
	int64_t ns;

	if (t > INT64_MAX / 1000000)
		t = INT64_MAX / 1000000;	/* in 2262: as good as never */
	clock_gettime(CLOCK_REALTIME, &now);
	ns = t * 1000000 - ((int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
	if (ns < 0)
		ns = 0;
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
}

/* -l and -u: bind the first address that takes; -v says which. */
static void
bind_socket(void)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t len;
	char name[sizeof(place)];
	int e, on = 1, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = uflag ? SOCK_DGRAM : SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0)
		errx(1, "%s: %s", place, gai_strerror(e));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((sfd = socket(ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol)) == -1) {
			saved = errno;
			continue;
		}
		if ((uflag || setsockopt(sfd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == 0) &&
		    bind(sfd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    (uflag || listen(sfd, SOMAXCONN) == 0))
			break;
		saved = errno;
		close(sfd);
		sfd = -1;
	}
	freeaddrinfo(res);
	if (sfd == -1) {
		errno = saved;
		err(1, "%s", place);
	}
	nonblock(sfd);
	if (vflag) {
		len = sizeof(ss);
		if (getsockname(sfd, (struct sockaddr *)&ss, &len) == -1)
			err(1, "getsockname");
		format_addr((struct sockaddr *)&ss, len, name, sizeof(name));
		warnx("listening on %s", name);
	}
}

static struct client *
client_new(int fd, const char *name)
{
	struct client *c;

	if ((c = malloc(sizeof(*c))) == NULL)
		err(1, NULL);
	c->fd = fd;
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (ds_reader_init(&c->r, fd, c->name, DS_RAW) == -1)
		err(1, NULL);
	c->r.nowait = 1;
	c->r.maxline = maxline;
	ds_metrics_count(DS_RECV_CONNECTIONS, 1);
	return c;
}

static void
client_free(struct client *c)
{
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
		if ((rc = ds_read(&c->r)) == DS_RECORD) {
			if (put_line(c->r.rec, c->r.reclen) == -1)
				skipped(c->name, c->r.lineno);
		} else if (rc == DS_EOF) {
			errno = 0;
			return -1;
		} else if (rc == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno != EMSGSIZE)
				return -1;
			skipped(c->name, c->r.lineno);
		}
		/* DS_BATCH is the reader closing its input: not ours. */
	} while (c->r.eof || rc == DS_BATCH || ds_reader_buffered(&c->r));
	return 0;
}

/*
 * One line as a record, TAB-split like every raw line, without the CR of
 * a CRLF.  Returns -1, writing nothing, when it is longer than -m.
 */
static int
put_line(const char *p, size_t len)
{
	const char *end, *tab;

	if (len > maxline)
		return -1;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	end = p + len;
	while ((tab = memchr(p, '\t', end - p)) != NULL) {
		if (ds_write_field(&out, p, tab - p) == -1)
			out_failed();
		p = tab + 1;
	}
	if (ds_write_field(&out, p, end - p) == -1 ||
	    ds_write_end(&out) == -1)
		out_failed();
	return 0;
}

static void
skipped(const char *name, uint64_t lineno)
{
	nskipped++;
	if (lineno != 0)
		warnx("%s:%llu: line longer than %zu bytes, skipped", name,
		    (unsigned long long)lineno, maxline);
	else
		warnx("%s: line longer than %zu bytes, skipped", name,
		    maxline);
}

/*
 * The client mode: look the host up afresh each time, as Spark does, and
 * try its addresses in turn without blocking the clock.
 */
static void
start_connect(void)
{
	struct addrinfo hints;
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((e = getaddrinfo(host, port, &hints, &addrs)) != 0) {
		addrs = NULL;
		went_down(e == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(e));
		return;
	}
	addr = addrs;
	connerr = 0;
	connect_next();
}

/* Start a connect to the next address, or give up when none is left. */
static void
connect_next(void)
{
	for (; addr != NULL; addr = addr->ai_next) {
		if ((connfd = socket(addr->ai_family, addr->ai_socktype,
		    addr->ai_protocol)) == -1) {
			connect_failed(errno);
			continue;
		}
		nonblock(connfd);
		if (connect(connfd, addr->ai_addr, addr->ai_addrlen) == 0) {
			connect_done();
			return;
		}
		if (errno == EINPROGRESS || errno == EINTR)
			return;		/* poll says when, for POLLOUT */
		connect_failed(errno);
		close(connfd);
		connfd = -1;
	}
	freeaddrinfo(addrs);
	addrs = NULL;
	went_down(strerror(connerr));
}

/*
 * Keep the error worth reporting: the ::1 of localhost failing for want
 * of IPv6 says less than 127.0.0.1 refusing.
 */
static void
connect_failed(int e)
{
	if (connerr == 0 || (e != EAFNOSUPPORT && e != EADDRNOTAVAIL &&
	    e != ENETUNREACH))
		connerr = e;
}

/* POLLOUT on a connect in progress: done, or on to the next address. */
static void
connect_check(void)
{
	socklen_t len;
	int e = 0;

	len = sizeof(e);
	if (getsockopt(connfd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
		e = errno;
	if (e == 0) {
		connect_done();
		return;
	}
	connect_failed(e);
	close(connfd);
	connfd = -1;
	addr = addr->ai_next;
	connect_next();
}

static void
connect_done(void)
{
	freeaddrinfo(addrs);
	addrs = NULL;
	conn = client_new(connfd, place);
	connfd = -1;
	if (outage || vflag)
		warnx("%s: connected", place);
	outage = 0;
}

/* Say so once per outage, and try again after the delay. */
static void
went_down(const char *why)
{
	int64_t now;

	if (!outage)
		warnx("%s: %s; retrying every %s", place, why, delaystr);
	outage = 1;
	now = ds_now_ms();
	retry_at = delay > INT64_MAX - now ? INT64_MAX : now + delay;
}

static void
accept_clients(void)
{
	struct sockaddr_storage ss;
	struct client **p;
	socklen_t len;
	char name[sizeof(place)];
	int fd;

	for (;;) {
		len = sizeof(ss);
		if ((fd = accept(sfd, (struct sockaddr *)&ss, &len)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ECONNABORTED)
				return;
			if (errno != EMFILE && errno != ENFILE &&
			    errno != ENOBUFS && errno != ENOMEM)
				err(1, "%s: accept", place);
			/* Until a client leaves or the next batch. */
			warn("%s: accept", place);
			acceptpaused = 1;
			return;
		}
		nonblock(fd);
		if (nclients == clientcap) {
			if ((p = reallocarray(clients, clientcap + 16,
			    sizeof(*p))) == NULL)
				err(1, NULL);
			clients = p;
			clientcap += 16;
		}
		format_addr((struct sockaddr *)&ss, len, name, sizeof(name));
		clients[nclients++] = client_new(fd, name);
		if (vflag)
			warnx("%s: connected", name);
	}
}

/*
 * -u: each datagram's lines are records, the last one needing no LF.
 * A bounded number a wakeup, so that a flood cannot hold up the clock.
 */
static void
read_datagrams(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	ssize_t n;
	char name[sizeof(place)], *p, *end, *lf;
	int i;

	for (i = 0; i < DGRAMS_A_WAKE; i++) {
		len = sizeof(ss);
		if ((n = recvfrom(sfd, dgram, DGRAM_MAX, 0,
		    (struct sockaddr *)&ss, &len)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return;
			/* An ICMP error for an earlier datagram, say. */
			warn("%s", place);
			return;
		}
		for (p = dgram, end = dgram + n; p < end; p = lf + 1) {
			if ((lf = memchr(p, '\n', end - p)) == NULL)
				lf = end;
			if (put_line(p, lf - p) == -1) {
				format_addr((struct sockaddr *)&ss, len, name,
				    sizeof(name));
				skipped(name, 0);
			}
		}
	}
}

static void
close_batch(void)
{
	if (ds_write_batch(&out, next) == -1 || ds_writer_flush(&out) == -1)
		out_failed();
	next = next > INT64_MAX - interval ? INT64_MAX : next + interval;
	acceptpaused = 0;
	if (++nbatches == maxbatches)
		finish();
}

static __dead void
finish(void)
{
	if (ds_writer_close(&out) == -1)
		out_failed();
	if (nskipped > 0)
		errx(1, "over-long lines skipped: %llu", nskipped);
	exit(0);
}

/* A downstream that has gone (EPIPE) ends us quietly. */
static __dead void
out_failed(void)
{
	if (out.error == EPIPE)
		exit(0);
	ds_write_failed_die(&out);
}

/*
 * The nc loop: one poll on the self-pipe, stdout (for its reader going
 * away), the socket and -l's clients, with the batch's time (or the
 * retry's) as the timeout.  Records go to the writer as lines complete;
 * when stdout blocks, so does the loop, and TCP holds the senders back.
 */
static void
run(void)
{
	struct pollfd *pfd = NULL;
	size_t npfd = 0, npoll, i, j;
	struct timespec timeout;
	int64_t now, deadline;
	char drain[64];

	for (;;) {
		now = ds_now_ms();
		/* A signal: the open batch closes with what came. */
		if (gotsig) {
			close_batch();
			finish();
		}
		/* The batch's time has come: it leaves now, empty or not. */
		if (now >= next) {
			close_batch();
			continue;
		}
		/* The server is down and the delay has passed: try again. */
		if (!lflag && !uflag && conn == NULL && connfd == -1 &&
		    now >= retry_at) {
			start_connect();
			continue;
		}

		npoll = nclients;
		if (npfd < npoll + 3) {
			npfd = npoll + 3;
			if ((pfd = reallocarray(pfd, npfd, sizeof(*pfd))) ==
			    NULL)
				err(1, NULL);
		}
		memset(pfd, 0, (npoll + 3) * sizeof(*pfd));
		pfd[0].fd = selfpipe[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = STDOUT_FILENO;	/* no events: POLLERR only */
		pfd[2].fd = -1;
		deadline = next;
		if (lflag || uflag) {
			pfd[2].fd = acceptpaused ? -1 : sfd;
			pfd[2].events = POLLIN;
		} else if (conn != NULL) {
			pfd[2].fd = conn->fd;
			pfd[2].events = POLLIN;
		} else if (connfd != -1) {
			pfd[2].fd = connfd;
			pfd[2].events = POLLOUT;
		} else if (retry_at < deadline)
			deadline = retry_at;
		for (i = 0; i < npoll; i++) {
			pfd[3 + i].fd = clients[i]->fd;
			pfd[3 + i].events = POLLIN;
		}

		until(deadline, &timeout);
		if (ppoll(pfd, npoll + 3, &timeout, NULL) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (pfd[0].revents != 0) {
			while (read(selfpipe[0], drain, sizeof(drain)) > 0)
				;
			continue;
		}
		/* The reader of stdout has gone. */
		if (pfd[1].revents & (POLLERR | POLLHUP))
			exit(0);
		/* The clock first: what comes now is the next batch's. */
		if (ds_now_ms() >= next)
			continue;

		if (pfd[2].revents != 0) {
			if (uflag)
				read_datagrams();
			else if (lflag)
				accept_clients();
			else if (conn != NULL && client_read(conn) == -1) {
				went_down(errno == 0 ? "connection closed" :
				    strerror(errno));
				client_free(conn);
				conn = NULL;
			} else if (connfd != -1)
				connect_check();
		}
		/* -l's clients; those that left are dropped, in order. */
		for (i = j = 0; i < npoll; i++) {
			if (pfd[3 + i].revents != 0 &&
			    client_read(clients[i]) == -1) {
				if (errno != 0)
					warn("%s", clients[i]->name);
				else if (vflag)
					warnx("%s: closed", clients[i]->name);
				client_free(clients[i]);
				acceptpaused = 0;
				continue;
			}
			clients[j++] = clients[i];
		}
		for (; i < nclients; i++)
			clients[j++] = clients[i];
		nclients = j;
	}
}
