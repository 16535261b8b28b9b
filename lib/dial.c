/*
 * dial.c: a source's connection to its server, kept up on the receiver
 * loop: made without blocking, and made again one delay after a failed
 * attempt or a lost connection, for as long as the loop runs.
 */

#include <netdb.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

static int	on_retry(void *);
static int	on_connect(void *, short);
static int	connected(struct ds_dial *, int);

int
ds_dial_start(struct ds_dial *d, struct ds_recv *rv, const char *host,
    const char *port, int64_t delay)
{
	d->rv = rv;
	d->host = host;
	d->port = port;
	d->nconnects = 0;
	d->watch = -1;
	memset(&d->c, 0, sizeof(d->c));
	d->c.fd = -1;
	ds_outage_init(&d->outage, delay);
	if ((d->timer = ds_recv_timer(rv, on_retry, d)) == -1)
		return -1;
	/* The first attempt is the loop's first deed. */
	ds_recv_timer_set(rv, d->timer, 0);
	return 0;
}

int
ds_dial_lost(struct ds_dial *d)
{
	int isnew;

	isnew = ds_outage_down(&d->outage, ds_now_ms());
	ds_recv_timer_set(d->rv, d->timer, d->outage.retry_at);
	return isnew;
}

void
ds_dial_free(struct ds_dial *d)
{
	ds_recv_timer_free(d->rv, d->timer);
	if (d->watch != -1) {
		ds_recv_unwatch(d->rv, d->watch);
		d->watch = -1;
	}
	if (d->c.fd != -1 && d->c.addrs != NULL) {
		/* An attempt in progress: its descriptor is still ours. */
		(void)close(d->c.fd);
		d->c.fd = -1;
	}
	ds_connect_free(&d->c);
}

/* The delay has passed, or it is the start: look up and connect. */
static int
on_retry(void *arg)
{
	struct ds_dial *d = arg;

	return connected(d, ds_connect_start(&d->c, d->host, d->port));
}

static int
on_connect(void *arg, short revents)
{
	struct ds_dial *d = arg;

	(void)revents;
	ds_recv_unwatch(d->rv, d->watch);
	d->watch = -1;
	return connected(d, ds_connect_check(&d->c));
}

/* Where an attempt stands (rc of ds_connect_*): up, under way, failed. */
static int
connected(struct ds_dial *d, int rc)
{
	int e = errno;

	if (rc == 1) {
		if (d->nconnects++ > 0)
			ds_metrics_count(DS_RECV_RECONNECTS, 1);
		return d->up(d->arg, d->c.fd, ds_outage_up(&d->outage));
	}
	if (rc == 0) {
		/* Waiting on a connect is not reading data: no flow control. */
		if ((d->watch = ds_recv_watch(d->rv, d->c.fd, POLLOUT,
		    DS_RECV_CONTROL, on_connect, d)) == -1)
			return -1;
		return 0;
	}
	/* EAI_SYSTEM: the lookup's error is in errno. */
	if (d->c.gaierr == EAI_SYSTEM)
		d->c.gaierr = 0;
	return d->down(d->arg, e, d->c.gaierr, ds_dial_lost(d));
}
