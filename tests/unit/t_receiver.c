/*
 * t_receiver.c: tests the loop of lib/receiver.c: batch ends on the
 * interval's multiples and on time, -N, watches and timers, the hooks'
 * order, a stop, and a reader of the output that has gone.
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"
#include "check.h"

static struct ds_recv rv;
static struct ds_writer out;
static int	pipefd[2], input[2];
static int64_t	times[16];
static int	early;
static char	order[64];
static int	ntimes, nfired, timer, wid;

static void	drain(char *, size_t);
static int	on_closing(void *, int64_t);
static int	on_written(void *, int64_t);
static int	on_timer(void *);
static int	on_input(void *, short);
static void	test_clock(void);
static void	test_watch(void);
static void	test_gone(void);
static void	test_signal(void);

int
main(void)
{
	test_clock();
	test_watch();
	test_gone();
	test_signal();
	return done();
}

/* What the loop wrote, without blocking. */
static void
drain(char *buf, size_t size)
{
	ssize_t n;

	n = read(pipefd[0], buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
}

static int
on_closing(void *arg, int64_t t)
{
	(void)arg;
	strcat(order, "c");
	if (ntimes < 16)
		times[ntimes++] = t;
	/* Never early: what comes before t is batch t's. */
	if (ds_now_ms() < t)
		early = 1;
	return 0;
}

static int
on_written(void *arg, int64_t t)
{
	(void)arg;
	(void)t;
	strcat(order, rv.filled ? "W" : "w");
	return 0;
}

static int
on_timer(void *arg)
{
	(void)arg;
	nfired++;
	return 0;
}

static void
test_clock(void)
{
	char buf[4096];
	int64_t t0, t1;
	int i;

	CHECK(pipe(pipefd) == 0);
	CHECK(ds_writer_init(&out, pipefd[1]) == 0);
	t0 = ds_now_ms();
	CHECK(ds_recv_init(&rv, &out, 20) == 0);
	t1 = ds_now_ms();
	CHECK(rv.next % 20 == 0 && rv.next > t0 && rv.next <= t1 + 20);
	rv.maxbatches = 5;
	rv.closing = on_closing;
	rv.written = on_written;
	CHECK((timer = ds_recv_timer(&rv, on_timer, NULL)) >= 0);
	ds_recv_timer_set(&rv, timer, ds_now_ms() + 30);
	CHECK(ds_recv_run(&rv) == 0);
	CHECK(rv.why == DS_RECV_COUNT);
	CHECK(ntimes == 5 && rv.nbatches == 5);
	for (i = 1; i < ntimes; i++)
		CHECK(times[i] == times[i - 1] + 20);
	CHECK(!early);
	CHECK(nfired == 1);
	CHECK(strcmp(order, "cwcwcwcwcw") == 0);
	drain(buf, sizeof(buf));
	CHECK(strlen(buf) == 5 * 15);
	CHECK(buf[0] == '%' && buf[14] == '\n');
}

static int
on_input(void *arg, short revents)
{
	char c;

	(void)arg;
	CHECK(revents & POLLIN);
	if (read(input[0], &c, 1) == 1 && c == 's') {
		ds_recv_stop(&rv);
		return 0;
	}
	rv.filled = 1;
	return ds_write_field(&out, &c, 1) == -1 ||
	    ds_write_end(&out) == -1 ? -1 : 0;
}

static void
test_watch(void)
{
	char buf[4096];
	int id;

	/* A record in, then a stop: the open batch, filled, ends. */
	CHECK(pipe(input) == 0);
	CHECK(write(input[1], "x", 1) == 1);
	CHECK((id = ds_recv_watch(&rv, input[0], POLLIN, 0, on_input,
	    NULL)) >= 0);
	rv.maxbatches = 0;
	rv.interval = 3600000;
	rv.next = ds_batch_after(ds_now_ms(), rv.interval);
	order[0] = '\0';
	ntimes = 0;
	CHECK(write(input[1], "s", 1) == 1);
	CHECK(ds_recv_run(&rv) == 0);
	CHECK(rv.why == DS_RECV_STOPPED);
	CHECK(strcmp(order, "cW") == 0);
	drain(buf, sizeof(buf));
	CHECK(buf[0] == 'x' && buf[1] == '\n' && buf[2] == '%');
	CHECK(ntimes == 1 && times[0] % 3600000 == 0);

	/* Not filled and stopempty clear: a stop writes nothing. */
	rv.stopempty = 0;
	order[0] = '\0';
	CHECK(write(input[1], "s", 1) == 1);
	CHECK(ds_recv_run(&rv) == 0);
	CHECK(order[0] == '\0');

	/* A paused watch is not called. */
	ds_recv_watch_set(&rv, id, input[0], 0);
	CHECK(write(input[1], "s", 1) == 1);
	rv.stopempty = 1;
	wid = id;
}

static void
test_signal(void)
{
	char buf[64];

	/* A signal stops as a stop does; the watch paused stays so. */
	CHECK(pipe(pipefd) == 0);
	ds_writer_close(&out);
	CHECK(ds_writer_init(&out, pipefd[1]) == 0);
	rv.interval = 3600000;
	rv.next = ds_batch_after(ds_now_ms(), rv.interval);
	order[0] = '\0';
	CHECK(kill(getpid(), SIGTERM) == 0);
	CHECK(ds_recv_run(&rv) == 0);
	CHECK(rv.why == DS_RECV_SIGNAL && rv.signo == SIGTERM);
	CHECK(strcmp(order, "cw") == 0);
	drain(buf, sizeof(buf));
	CHECK(buf[0] == '%');
	ds_recv_unwatch(&rv, wid);
	ds_recv_free(&rv);
	ds_writer_close(&out);
}

static void
test_gone(void)
{
	/* The reader of the output has gone: a quiet end. */
	close(pipefd[0]);
	rv.interval = 10;
	rv.next = ds_batch_after(ds_now_ms(), rv.interval);
	CHECK(ds_recv_run(&rv) == 0);
	CHECK(rv.why == DS_RECV_GONE);
}
