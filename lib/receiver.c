/*
 * receiver.c: the loop every source runs: the batch clock, the program's
 * descriptors and timers, signals, and flow control from stdout.
 */

/* ppoll(2): poll's milliseconds would let a batch leave up to one late. */
#define _GNU_SOURCE

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds.h"

struct ds_recv_watch {
	int		 fd;
	short		 events;
	int		 flags;
	int		 used;
	int		 fresh;		/* added since the last poll */
	int		(*fn)(void *, short);
	void		*arg;
};

struct ds_recv_timer {
	int64_t		 at;
	int		 used;
	int		(*fn)(void *);
	void		*arg;
};

/* SIGINT and SIGTERM: ds_wake_stop, and a byte to wake ppoll (wake.c). */
static int	wakefd = -1;

int
ds_recv_init(struct ds_recv *rv, struct ds_writer *out, int64_t interval)
{
	memset(rv, 0, sizeof(*rv));
	rv->out = out;
	rv->interval = interval;
	rv->next = interval != 0 ? ds_batch_after(ds_now_ms(), interval) :
	    DS_RECV_NEVER;
	rv->stopempty = 1;
	/* A closed downstream is EPIPE, and a quiet end. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -1;
	/*
	 * A second one kills, even while a write to stdout blocks.  Both
	 * are caught even when the shell had us ignore SIGINT: a source
	 * started in the background must still stop gracefully.
	 */
	if ((wakefd = ds_wake_on(SIGINT, DS_WAKE_STOP | DS_WAKE_ONCE)) ==
	    -1 || ds_wake_on(SIGTERM, DS_WAKE_STOP | DS_WAKE_ONCE) == -1)
		return -1;
	return 0;
}

void
ds_recv_free(struct ds_recv *rv)
{
	free(rv->watch);
	free(rv->timer);
	free(rv->pfd);
	free(rv->pfdwatch);
	rv->watch = NULL;
	rv->timer = NULL;
	rv->pfd = NULL;
	rv->pfdwatch = NULL;
	rv->nwatch = rv->watchcap = rv->ntimer = rv->timercap = 0;
	rv->pfdcap = 0;
}

/* A free slot of an array of n of cap, grown by 16: its index, or -1. */
static int
slot(void **v, size_t *n, size_t *cap, size_t size, size_t usedoff)
{
	size_t i;
	void *p;

	for (i = 0; i < *n; i++)
		if (!*(int *)((char *)*v + i * size + usedoff))
			return i;
	if (*n == *cap) {
		if (*cap > (size_t)INT32_MAX - 16) {
			errno = ENOMEM;
			return -1;
		}
		if ((p = reallocarray(*v, *cap + 16, size)) == NULL)
			return -1;
		*v = p;
		*cap += 16;
	}
	return (*n)++;
}

int
ds_recv_watch(struct ds_recv *rv, int fd, short events, int flags,
    int (*fn)(void *, short), void *arg)
{
	struct ds_recv_watch *w;
	int id;

	if ((id = slot((void **)&rv->watch, &rv->nwatch, &rv->watchcap,
	    sizeof(*w), offsetof(struct ds_recv_watch, used))) == -1)
		return -1;
	w = &rv->watch[id];
	w->fd = fd;
	w->events = events;
	w->flags = flags;
	w->used = 1;
	w->fresh = 1;
	w->fn = fn;
	w->arg = arg;
	return id;
}

void
ds_recv_watch_set(struct ds_recv *rv, int id, int fd, short events)
{
	struct ds_recv_watch *w = &rv->watch[id];

	if (w->fd != fd)
		w->fresh = 1;
	w->fd = fd;
	w->events = events;
}

void
ds_recv_unwatch(struct ds_recv *rv, int id)
{
	rv->watch[id].used = 0;
	rv->watch[id].fd = -1;
}

int
ds_recv_timer(struct ds_recv *rv, int (*fn)(void *), void *arg)
{
	struct ds_recv_timer *t;
	int id;

	if ((id = slot((void **)&rv->timer, &rv->ntimer, &rv->timercap,
	    sizeof(*t), offsetof(struct ds_recv_timer, used))) == -1)
		return -1;
	t = &rv->timer[id];
	t->at = DS_RECV_NEVER;
	t->used = 1;
	t->fn = fn;
	t->arg = arg;
	return id;
}

void
ds_recv_timer_set(struct ds_recv *rv, int id, int64_t at)
{
	rv->timer[id].at = at;
}

void
ds_recv_timer_free(struct ds_recv *rv, int id)
{
	rv->timer[id].used = 0;
	rv->timer[id].at = DS_RECV_NEVER;
}

void
ds_recv_until(int64_t t, struct timespec *ts)
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

int
ds_recv_end(struct ds_recv *rv, int64_t t)
{
	if (rv->closing != NULL && rv->closing(rv->arg, t) == -1)
		return -1;
	if (ds_write_batch(rv->out, t) == -1 ||
	    ds_writer_flush(rv->out) == -1)
		return -1;
	/* written may want to know whether the batch held anything. */
	if (rv->written != NULL && rv->written(rv->arg, t) == -1)
		return -1;
	rv->filled = 0;
	if (rv->interval != 0 && t >= rv->next)
		rv->next = t > INT64_MAX - rv->interval ? DS_RECV_NEVER :
		    t + rv->interval;
	if (++rv->nbatches == rv->maxbatches) {
		rv->stopping = 1;
		rv->why = DS_RECV_COUNT;
	}
	return 0;
}

int
ds_recv_tick(struct ds_recv *rv)
{
	while (!rv->stopping && rv->interval != 0 &&
	    ds_now_ms() >= rv->next)
		if (ds_recv_end(rv, rv->next) == -1)
			return -1;
	return rv->stopping;
}

void
ds_recv_stop(struct ds_recv *rv)
{
	if (rv->stopping)
		return;
	rv->stopping = 1;
	rv->why = DS_RECV_STOPPED;
}

/*
 * A stop that ends the open batch: a signal, or ds_recv_stop.  Without a
 * clock the open batch has no time: the program ends it.
 */
static int
stop(struct ds_recv *rv, int why)
{
	rv->why = why;
	if (rv->interval != 0 && (rv->filled || rv->stopempty) &&
	    ds_recv_end(rv, rv->next) == -1)
		return -1;
	/* That batch end may have been the last of -N: a stop all the same. */
	rv->why = why;
	return 0;
}

/*
 * Whether the downstream can take more now: 1, 0 when its pipe is full,
 * or -1 when its reader has gone.
 */
static int
writable(int fd)
{
	struct pollfd p;

	p.fd = fd;
	p.events = POLLOUT;
	p.revents = 0;
	if (poll(&p, 1, 0) == -1)
		return 1;	/* the write will say */
	if (p.revents & (POLLERR | POLLHUP))
		return -1;
	return (p.revents & POLLOUT) != 0;
}

/* Call the timers whose time has come; 0, or -1 as a callback. */
static int
fire_timers(struct ds_recv *rv)
{
	struct ds_recv_timer *t;
	int64_t now = ds_now_ms();
	size_t i;

	for (i = 0; i < rv->ntimer && !ds_wake_stop && !rv->stopping; i++) {
		t = &rv->timer[i];
		if (!t->used || t->at > now)
			continue;
		t->at = DS_RECV_NEVER;
		if (t->fn(t->arg) == -1)
			return -1;
	}
	return 0;
}

/* Build the poll set; returns its size and the deadline in *deadline. */
static int
build(struct ds_recv *rv, size_t *np, int64_t *deadline)
{
	struct ds_recv_watch *w;
	size_t i, n;
	void *p;

	if (rv->pfdcap < rv->nwatch + 2) {
		if ((p = reallocarray(rv->pfd, rv->nwatch + 2,
		    sizeof(*rv->pfd))) == NULL)
			return -1;
		rv->pfd = p;
		if ((p = reallocarray(rv->pfdwatch, rv->nwatch + 2,
		    sizeof(*rv->pfdwatch))) == NULL)
			return -1;
		rv->pfdwatch = p;
		rv->pfdcap = rv->nwatch + 2;
	}
	rv->pfd[0].fd = wakefd;
	rv->pfd[0].events = POLLIN;
	rv->pfd[0].revents = 0;
	/* Without events: POLLERR alone says the reader has gone. */
	rv->pfd[1].fd = rv->out->fd;
	rv->pfd[1].events = rv->blocked ? POLLOUT : 0;
	rv->pfd[1].revents = 0;
	for (i = 0, n = 2; i < rv->nwatch; i++) {
		w = &rv->watch[i];
		w->fresh = 0;
		if (!w->used || w->fd == -1 || w->events == 0)
			continue;
		if (rv->blocked && !(w->flags & DS_RECV_CONTROL))
			continue;
		rv->pfd[n].fd = w->fd;
		rv->pfd[n].events = w->events;
		rv->pfd[n].revents = 0;
		rv->pfdwatch[n++] = i;
	}
	*np = n;
	*deadline = rv->next;
	for (i = 0; i < rv->ntimer; i++)
		if (rv->timer[i].used && rv->timer[i].at < *deadline)
			*deadline = rv->timer[i].at;
	return 0;
}

/* Call the watches that have events; 0, or -1 as a callback. */
static int
dispatch(struct ds_recv *rv, size_t n)
{
	struct ds_recv_watch *w;
	size_t i;
	int checked = 0, ok;

	for (i = 2; i < n && !ds_wake_stop && !rv->stopping; i++) {
		if (rv->pfd[i].revents == 0)
			continue;
		w = &rv->watch[rv->pfdwatch[i]];
		/* Gone, or another descriptor, since the poll. */
		if (!w->used || w->fresh || w->fd != rv->pfd[i].fd)
			continue;
		/* Reading more would only fill a pipe that is full. */
		if (!(w->flags & DS_RECV_CONTROL) && !checked) {
			checked = 1;
			if ((ok = writable(rv->out->fd)) == -1) {
				rv->stopping = 1;
				rv->why = DS_RECV_GONE;
				return 0;
			}
			if (!ok)
				rv->blocked = 1;
		}
		if (rv->blocked && !(w->flags & DS_RECV_CONTROL))
			continue;
		if (w->fn(w->arg, rv->pfd[i].revents) == -1)
			return -1;
	}
	return 0;
}

static int
loop(struct ds_recv *rv)
{
	struct timespec timeout;
	int64_t deadline;
	size_t n;

	for (;;) {
		/* A signal: the open batch ends with what came. */
		if (ds_wake_stop) {
			rv->signo = ds_wake_stop;
			return stop(rv, DS_RECV_SIGNAL);
		}
		if (rv->stopping)
			return rv->why == DS_RECV_STOPPED ?
			    stop(rv, DS_RECV_STOPPED) : 0;
		/* The batch's time has come: it leaves now, empty or not. */
		if (ds_recv_tick(rv) == -1)
			return -1;
		if (rv->stopping)
			continue;
		if (fire_timers(rv) == -1)
			return -1;
		if (ds_wake_stop || rv->stopping)
			continue;

		if (build(rv, &n, &deadline) == -1)
			return -1;
		if (rv->idle != NULL && rv->idle(rv->arg) == -1)
			return -1;
		if (rv->flushidle && ds_writer_flush(rv->out) == -1)
			return -1;
		ds_recv_until(deadline, &timeout);
		if (ppoll(rv->pfd, n, &timeout, NULL) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (rv->pfd[0].revents != 0) {
			while (ds_wake_next() != 0)
				;
			continue;
		}
		/* The reader of stdout has gone. */
		if (rv->pfd[1].revents & (POLLERR | POLLHUP)) {
			rv->why = DS_RECV_GONE;
			return 0;
		}
		if (rv->pfd[1].revents & POLLOUT)
			rv->blocked = 0;
		/* The clock first: what comes now is the next batch's. */
		if (ds_now_ms() >= rv->next)
			continue;
		if (dispatch(rv, n) == -1)
			return -1;
	}
}

int
ds_recv_run(struct ds_recv *rv)
{
	int rc;

	rv->why = 0;
	rv->stopping = 0;
	rc = loop(rv);
	if (rc == -1 && rv->out->error == EPIPE) {
		rv->why = DS_RECV_GONE;
		return 0;
	}
	if (rc == 0 && rv->why != DS_RECV_GONE &&
	    ds_writer_flush(rv->out) == -1) {
		if (rv->out->error == EPIPE) {
			rv->why = DS_RECV_GONE;
			return 0;
		}
		return -1;
	}
	return rc;
}
