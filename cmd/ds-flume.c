/*
 * ds-flume: an Avro source for Flume's avro sink: each event pushed is a
 * record, batched on the clock, as Spark's FlumeUtils.createStream
 * receives them; a call is answered only once its batch has gone out.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libutil.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

#define READ_SIZE		65536

static const char synopsis[] =
    "ds-flume [-Hmv] [-i interval] [-M size] [-N batches] [host]:port";

/* One Flume client: its frames in, its replies out. */
struct client {
	int			 fd;
	int			 watch;
	char			 name[NI_MAXHOST + NI_MAXSERV + 4];
	struct ds_flume_conn	*conn;
	char			*in;		/* read, not yet framed */
	size_t			 inlen;
	size_t			 inoff;
	struct ds_buf		 out;		/* replies not yet sent */
	size_t			 outoff;
	int			 waiting;	/* a call waits for its batch */
	struct client		*next;
};

static struct ds_source_opts opts;
static int	Hflag;		/* the headers as a JSON field */
static int	mflag;		/* the client's address as a field */

static char	place[NI_MAXHOST + NI_MAXSERV + 4];
static int	listenfd;
static int	acceptwatch;

static struct ds_writer out;
static struct ds_recv rv;
static struct ds_flume *flume;
static struct client *clients;

static int	on_accept(void *, short);
static int	on_client(void *, short);
static int	on_written(void *, int64_t);
static int	serve(struct client *);
static int	send_out(struct client *);
static void	rewatch(struct client *);
static void	cleanup(void);
static void	drop(struct client *, const char *, ...)
		    __attribute__((__format__(__printf__, 2, 3)));

int
main(int argc, char *argv[])
{
	uint64_t size, maxframe = DS_FLUME_MAXFRAME;
	int ch;

	ds_source_opts_init(&opts);
	while ((ch = getopt(argc, argv, "Hhi:mM:N:v")) != -1) {
		if (ds_source_opt_or_die(&opts, "iNv", ch, optarg))
			continue;
		switch (ch) {
		case 'H':
			Hflag = 1;
			break;
		case 'm':
			mflag = 1;
			break;
		case 'M':
			if (expand_number(optarg, &size) == -1 || size < 16 ||
			    size > (uint64_t)4 << 30)
				errx(2, "-M %s: not a size from 16 to 4G",
				    optarg);
			maxframe = size;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		ds_usage_exit(synopsis, 0);

	/* A closed stdout, before a socket can take its descriptor. */
	if (fcntl(STDOUT_FILENO, F_GETFL) == -1)
		err(1, "stdout");
	listenfd = ds_listen_or_die(argv[0], SOCK_STREAM, opts.verbose,
	    place, sizeof(place));
	if ((flume = ds_flume_new()) == NULL)
		err(1, NULL);
	ds_flume_set_max(flume, maxframe);
	/* However it exits, the answers owed go as far as they can. */
	atexit(cleanup);
	if (ds_writer_init(&out, STDOUT_FILENO) == -1 ||
	    ds_recv_init(&rv, &out, opts.interval) == -1)
		err(1, NULL);
	rv.maxbatches = opts.maxbatches;
	rv.written = on_written;
	if ((acceptwatch = ds_recv_watch(&rv, listenfd, POLLIN, 0, on_accept,
	    NULL)) == -1)
		err(1, NULL);
	/* The header goes out at once, so that the reader knows we are up. */
	if (ds_write_header(&out) == -1 || ds_writer_flush(&out) == -1)
		ds_source_write_failed_die(&out);
	ds_recv_run_or_die(&rv);
	if (ds_writer_close(&out) == -1)
		ds_source_write_failed_die(&out);
	exit(0);
}

static void
cleanup(void)
{
	while (clients != NULL)
		drop(clients, NULL);
	ds_flume_free(flume);
	ds_recv_free(&rv);
}

static int
on_accept(void *arg, short revents)
{
	struct client *c;
	char name[sizeof(c->name)];
	int fd;

	(void)arg;
	(void)revents;
	for (;;) {
		if ((fd = ds_accept(listenfd, name, sizeof(name))) == -1) {
			if (errno == EAGAIN)
				return 0;
			/*
			 * Out of descriptors: those waiting wait until a
			 * client leaves or a batch is out.
			 */
			warn("%s: accept", place);
			ds_recv_watch_set(&rv, acceptwatch, listenfd, 0);
			return 0;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL ||
		    (c->in = malloc(READ_SIZE)) == NULL ||
		    (c->conn = ds_flume_conn_new(flume)) == NULL)
			return -1;
		c->fd = fd;
		memcpy(c->name, name, sizeof(c->name));
		if ((c->watch = ds_recv_watch(&rv, fd, POLLIN, 0, on_client,
		    c)) == -1)
			return -1;
		c->next = clients;
		clients = c;
		if (opts.verbose)
			warnx("%s: connected", c->name);
	}
}

/*
 * Readable: what came is framed and served, a call at a time; writable:
 * replies go on.
 */
static int
on_client(void *arg, short revents)
{
	struct client *c = arg;
	ssize_t n;

	if (c->out.len > c->outoff) {
		if (send_out(c) == -1)
			return 0;
		rewatch(c);
		return 0;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	if ((n = read(c->fd, c->in, READ_SIZE)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		drop(c, "%s", strerror(errno));
		return 0;
	}
	if (n == 0) {
		if (ds_flume_partial(c->conn))
			drop(c, "closed in the middle of a frame");
		else
			drop(c, opts.verbose ? "closed" : NULL);
		return 0;
	}
	c->inlen = n;
	c->inoff = 0;
	return serve(c);
}

/*
 * Frame and serve what is read, up to a call that is to wait for its
 * batch (the rest stays read) or a reply that did not all go.  Returns
 * -1 only for an error of the program's (memory, output).
 */
static int
serve(struct client *c)
{
	const char *p;
	size_t len;
	int rc;

	while (!c->waiting && c->out.len == c->outoff &&
	    c->inoff < c->inlen) {
		p = c->in + c->inoff;
		len = c->inlen - c->inoff;
		rc = ds_flume_take(c->conn, &p, &len, &c->out);
		c->inoff = c->inlen - len;
		if (rc == 0)
			break;
		if (rc == -1) {
			if (errno != EMSGSIZE && errno != EBADMSG)
				return -1;
			drop(c, "%s", ds_flume_why(c->conn));
			return 0;
		}
		if (rc == DS_FLUME_REPLIED) {
			if (send_out(c) == -1)
				return 0;
			continue;
		}
		/* A call's events are records of the open batch. */
		if ((rc = ds_flume_write(c->conn, &out, Hflag,
		    mflag ? c->name : NULL, strlen(c->name))) == -1)
			return -1;
		if (rc == 1)
			rv.filled = 1;
		c->waiting = 1;
	}
	rewatch(c);
	return 0;
}

/* The batch is written and flushed: its calls are answered OK. */
static int
on_written(void *arg, int64_t t)
{
	struct client *c, *next;

	(void)t;
	(void)arg;
	ds_recv_watch_set(&rv, acceptwatch, listenfd, POLLIN);
	for (c = clients; c != NULL; c = next) {
		next = c->next;
		if (!c->waiting)
			continue;
		c->waiting = 0;
		if (ds_flume_answer(c->conn, DS_FLUME_OK, &c->out) == -1)
			return -1;
		if (send_out(c) == 0 && serve(c) == -1)
			return -1;
	}
	return 0;
}

/* Send what the socket takes.  -1 when the client was dropped. */
static int
send_out(struct client *c)
{
	ssize_t n;

	while (c->outoff < c->out.len) {
		n = send(c->fd, c->out.data + c->outoff,
		    c->out.len - c->outoff, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			drop(c, "%s", strerror(errno));
			return -1;
		}
		c->outoff += n;
	}
	c->out.len = c->outoff = 0;
	return 0;
}

/* Replies first; no reading while a call waits. */
static void
rewatch(struct client *c)
{
	short ev;

	if (c->out.len > c->outoff)
		ev = POLLOUT;
	else
		ev = c->waiting ? 0 : POLLIN;
	ds_recv_watch_set(&rv, c->watch, c->fd, ev);
}

/*
 * Close the connection, saying why when there is a why.  A call still
 * waiting stays unanswered: Flume's sink sends it again.
 */
static void
drop(struct client *c, const char *fmt, ...)
{
	struct client **pp;
	va_list ap;
	char why[256];

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
		warnx("%s: %s", c->name, why);
	} else if (c->out.len > c->outoff)
		(void)send(c->fd, c->out.data + c->outoff,
		    c->out.len - c->outoff, MSG_NOSIGNAL);
	for (pp = &clients; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	ds_recv_unwatch(&rv, c->watch);
	ds_recv_watch_set(&rv, acceptwatch, listenfd, POLLIN);
	close(c->fd);
	ds_flume_conn_free(c->conn);
	ds_buf_free(&c->out);
	free(c->in);
	free(c);
}
