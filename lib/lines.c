/*
 * lines.c: the text lines of a socket source on the receiver loop, from
 * the server it dials, from the many clients of a TCP listener, or from
 * UDP datagrams, each peer's lines whole and none longer than the cap.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

#define DGRAM_MAX	65536		/* more than any UDP payload */
#define DGRAMS_A_WAKE	64

/* A TCP peer: the server dialed, or one client of the listener. */
struct ds_lines_peer {
	int		 fd;
	int		 watch;
	struct ds_reader r;
	struct ds_lines	*l;
	struct ds_lines_peer *prev, *next;
	char		 name[NI_MAXHOST + NI_MAXSERV + 4];
};

static void	init(struct ds_lines *, struct ds_recv *, const char *);
static struct ds_lines_peer *peer_new(struct ds_lines *, int, const char *);
static void	peer_free(struct ds_lines_peer *);
static int	peer_read(struct ds_lines_peer *);
static int	tell(struct ds_lines *, int, const char *, int);
static int	too_long(struct ds_lines *, const char *, uint64_t);
static int	on_up(void *, int, int);
static int	on_down(void *, int, int, int);
static int	on_server(void *, short);
static int	on_accept(void *, short);
static int	on_client(void *, short);
static int	on_resume(void *);
static int	on_datagrams(void *, short);

int
ds_lines_dial(struct ds_lines *l, struct ds_recv *rv, const char *host,
    const char *port, int64_t delay, const char *place)
{
	init(l, rv, place);
	l->dial.up = on_up;
	l->dial.down = on_down;
	l->dial.arg = l;
	return ds_dial_start(&l->dial, rv, host, port, delay);
}

int
ds_lines_listen(struct ds_lines *l, struct ds_recv *rv, int fd,
    int socktype, const char *place)
{
	init(l, rv, place);
	l->fd = fd;
	if (socktype == SOCK_DGRAM) {
		if ((l->dgram = malloc(DGRAM_MAX)) == NULL ||
		    (l->watch = ds_recv_watch(rv, fd, POLLIN, 0, on_datagrams,
		    l)) == -1)
			return -1;
		return 0;
	}
	if ((l->timer = ds_recv_timer(rv, on_resume, l)) == -1 ||
	    (l->watch = ds_recv_watch(rv, fd, POLLIN, 0, on_accept, l)) == -1)
		return -1;
	return 0;
}

void
ds_lines_free(struct ds_lines *l)
{
	while (l->peers != NULL)
		peer_free(l->peers);
	if (l->watch != -1)
		ds_recv_unwatch(l->rv, l->watch);
	if (l->timer != -1)
		ds_recv_timer_free(l->rv, l->timer);
	l->watch = l->timer = -1;
	if (l->dial.rv != NULL)
		ds_dial_free(&l->dial);
	free(l->dgram);
	l->dgram = NULL;
}

static void
init(struct ds_lines *l, struct ds_recv *rv, const char *place)
{
	l->nskipped = 0;
	l->rv = rv;
	l->place = place;
	memset(&l->dial, 0, sizeof(l->dial));
	l->peers = NULL;
	l->fd = l->watch = l->timer = -1;
	l->dgram = NULL;
}

static struct ds_lines_peer *
peer_new(struct ds_lines *l, int fd, const char *name)
{
	struct ds_lines_peer *c;

	if ((c = malloc(sizeof(*c))) == NULL)
		return NULL;
	c->fd = fd;
	c->l = l;
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (ds_reader_init(&c->r, fd, c->name, DS_RAW) == -1) {
		free(c);
		return NULL;
	}
	if ((c->watch = ds_recv_watch(l->rv, fd, POLLIN, 0,
	    l->dial.rv != NULL ? on_server : on_client, c)) == -1) {
		ds_reader_free(&c->r);
		free(c);
		return NULL;
	}
	c->r.nowait = 1;
	c->r.maxline = l->maxline;
	c->prev = NULL;
	if ((c->next = l->peers) != NULL)
		c->next->prev = c;
	l->peers = c;
	ds_metrics_count(DS_RECV_CONNECTIONS, 1);
	return c;
}

static void
peer_free(struct ds_lines_peer *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->l->peers = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ds_recv_unwatch(c->l->rv, c->watch);
	close(c->fd);
	ds_reader_free(&c->r);
	free(c);
}

/*
 * Take the complete lines a readable peer has sent, and no more than one
 * line's reading past what is buffered, so that no peer holds up the
 * clock or the others.  A partial line stays in the reader until its LF
 * comes.  Returns 0, 1 when the connection has ended (errno 0 at EOF: a
 * last line without LF counts, as Spark's readLine has it, or the
 * error), or -1 as a callback.
 */
static int
peer_read(struct ds_lines_peer *c)
{
	struct ds_lines *l = c->l;
	int rc;

	do {
		if ((rc = ds_read(&c->r)) == DS_RECORD) {
			if (l->line(l->arg, c->r.rec, c->r.reclen) == -1)
				return -1;
		} else if (rc == DS_EOF) {
			errno = 0;
			return 1;
		} else if (rc == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno != EMSGSIZE)
				return 1;
			if (too_long(l, c->name, c->r.lineno) == -1)
				return -1;
		}
		/* DS_BATCH is the reader closing its input: not ours. */
	} while (c->r.eof || rc == DS_BATCH || ds_reader_buffered(&c->r));
	return 0;
}

/* An event of what, about peer, with error e: to the program. */
static int
tell(struct ds_lines *l, int what, const char *peer, int e)
{
	struct ds_lines_event ev = { .what = what, .peer = peer, .err = e };

	return l->event(l->arg, &ev);
}

/* A line over the cap, line lineno of peer (0: of a datagram), skipped. */
static int
too_long(struct ds_lines *l, const char *peer, uint64_t lineno)
{
	struct ds_lines_event ev = { .what = DS_LINES_LONG, .peer = peer,
	    .lineno = lineno };

	l->nskipped++;
	return l->event(l->arg, &ev);
}

/* The dialed server is up: its lines are read. */
static int
on_up(void *arg, int fd, int news)
{
	struct ds_lines *l = arg;
	struct ds_lines_event ev = { .what = DS_LINES_UP, .peer = l->place,
	    .news = news };

	if (peer_new(l, fd, l->place) == NULL) {
		close(fd);
		return -1;
	}
	return l->event(l->arg, &ev);
}

static int
on_down(void *arg, int e, int gaierr, int news)
{
	struct ds_lines *l = arg;
	struct ds_lines_event ev = { .what = DS_LINES_DOWN, .peer = l->place,
	    .err = e, .gaierr = gaierr, .news = news };

	return l->event(l->arg, &ev);
}

/* The server's lines; once it has gone, the dial tries again. */
static int
on_server(void *arg, short revents)
{
	struct ds_lines_peer *c = arg;
	struct ds_lines *l = c->l;
	int rc, e;

	(void)revents;
	if ((rc = peer_read(c)) != 1)
		return rc;
	e = errno;
	peer_free(c);
	return on_down(l, e, 0, ds_dial_lost(&l->dial));
}

static int
on_accept(void *arg, short revents)
{
	struct ds_lines *l = arg;
	char name[NI_MAXHOST + NI_MAXSERV + 4];
	int fd, e;

	(void)revents;
	for (;;) {
		if ((fd = ds_accept(l->fd, name, sizeof(name))) == -1) {
			if ((e = errno) == EAGAIN)
				return 0;
			if (e != EMFILE && e != ENFILE && e != ENOBUFS &&
			    e != ENOMEM) {
				if (tell(l, DS_LINES_ACCEPT, l->place, e) == 0)
					errno = e;
				return -1;
			}
			/* Until a client leaves or the next batch. */
			ds_recv_watch_set(l->rv, l->watch, l->fd, 0);
			ds_recv_timer_set(l->rv, l->timer, l->rv->next);
			return tell(l, DS_LINES_FULL, l->place, e);
		}
		if (peer_new(l, fd, name) == NULL) {
			close(fd);
			return -1;
		}
		if (tell(l, DS_LINES_JOINED, name, 0) == -1)
			return -1;
	}
}

/* The listener's clients; one that leaves makes room for another. */
static int
on_client(void *arg, short revents)
{
	struct ds_lines_peer *c = arg;
	struct ds_lines *l = c->l;
	int rc;

	(void)revents;
	if ((rc = peer_read(c)) != 1)
		return rc;
	rc = tell(l, DS_LINES_LEFT, c->name, errno);
	peer_free(c);
	ds_recv_watch_set(l->rv, l->watch, l->fd, POLLIN);
	return rc;
}

static int
on_resume(void *arg)
{
	struct ds_lines *l = arg;

	ds_recv_watch_set(l->rv, l->watch, l->fd, POLLIN);
	return 0;
}

/*
 * Each datagram's lines, the last one needing no LF.  A bounded number
 * a wakeup, so that a flood cannot hold up the clock.
 */
static int
on_datagrams(void *arg, short revents)
{
	struct ds_lines *l = arg;
	struct sockaddr_storage ss;
	socklen_t len;
	ssize_t n;
	char name[NI_MAXHOST + NI_MAXSERV + 4], *p, *end, *lf;
	int i;

	(void)revents;
	for (i = 0; i < DGRAMS_A_WAKE; i++) {
		len = sizeof(ss);
		if ((n = recvfrom(l->fd, l->dgram, DGRAM_MAX, 0,
		    (struct sockaddr *)&ss, &len)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return 0;
			/* An ICMP error for an earlier datagram, say. */
			return tell(l, DS_LINES_RECV, l->place, errno);
		}
		ds_metrics_count(DS_RECV_DATAGRAMS, 1);
		for (p = l->dgram, end = l->dgram + n; p < end; p = lf + 1) {
			if ((lf = memchr(p, '\n', end - p)) == NULL)
				lf = end;
			if ((size_t)(lf - p) <= l->maxline) {
				if (l->line(l->arg, p, lf - p) == -1)
					return -1;
				continue;
			}
			ds_addr_format((struct sockaddr *)&ss, len, name,
			    sizeof(name));
			if (too_long(l, name, 0) == -1)
				return -1;
		}
	}
	return 0;
}
