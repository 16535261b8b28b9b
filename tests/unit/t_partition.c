/*
 * t_partition.c: tests what ds-partition takes from lib/: the key hash
 * (partition.c), the bounded queues to several pipes (fanout.c), the
 * pool of processes and its environment (spawn.c) and the signals of a
 * poll loop (wake.c).
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ds.h"
#include "check.h"

static void	test_hash(void);
static void	test_env(void);
static void	test_fanout(void);
static void	test_pool(void);
static void	test_streams(void);
static void	test_wake(void);

int
main(void)
{
	alarm(10);
	signal(SIGPIPE, SIG_IGN);
	test_hash();
	test_env();
	test_fanout();
	test_pool();
	test_streams();
	test_wake();
	return done();
}

static void
test_hash(void)
{
	static const char x40[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

	/* The vectors of ds-partition(1): XXH64, seed 0. */
	CHECK(ds_partition_hash("", 0) == 0xef46db3751d8e999ULL);
	CHECK(ds_partition_hash("a", 1) == 0xd24ec4f1a98c6e5bULL);
	CHECK(ds_partition_hash("the", 3) == 0x4b1b03a21f8b5f26ULL);
	CHECK(ds_partition_hash("spark", 5) == 0xa1f5dfd97658502cULL);
	CHECK(ds_partition_hash("hello world", 11) == 0x45ab6734b21e6968ULL);
	CHECK(ds_partition_hash(x40, 40) == 0x926f564e1b3e18d5ULL);
	CHECK(ds_partition_of("the", 3, 4) == 2);
	CHECK(ds_partition_of("spark", 5, 16) == 12);
	CHECK(ds_partition_of("a", 1, 3) == 2);
	CHECK(ds_partition_of("a", 1, 1) == 0);
	/* Bytes, not strings: a NUL is part of the key. */
	CHECK(ds_partition_hash("a\0b", 3) != ds_partition_hash("a", 1));
}

static void
test_env(void)
{
	char *env[] = { "A=1", "DS_PARTITION=9", "DS_PARTITIONX=2", "B",
	    NULL };
	char *set[] = { "DS_PARTITION=0", "C=3", NULL };
	char **e;

	e = ds_env_set(env, set);
	CHECK(e != NULL);
	CHECK(strcmp(e[0], "A=1") == 0);
	/* Only the very name is replaced. */
	CHECK(strcmp(e[1], "DS_PARTITIONX=2") == 0);
	CHECK(strcmp(e[2], "B") == 0);
	CHECK(strcmp(e[3], "DS_PARTITION=0") == 0);
	CHECK(strcmp(e[4], "C=3") == 0);
	CHECK(e[5] == NULL);
	free(e);
}

static void
test_fanout(void)
{
	struct ds_fanout f;
	struct ds_reader r;
	struct pollfd pfd[2];
	char buf[256 * 1024];
	int p[2], q[2], fd[2], rc, n;
	ssize_t got;

	if (pipe(p) == -1 || pipe(q) == -1 ||
	    fcntl(p[1], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(q[1], F_SETFL, O_NONBLOCK) == -1 ||
	    ds_reader_init(&r, -1, "x", DS_AUTO) == -1)
		abort();
	fd[0] = p[1];
	fd[1] = q[1];
	CHECK(ds_fanout_init(&f, fd, 2) == 0);
	CHECK(ds_fanout_bytes(&f, 0, "#ds1\n", 5) == 0);
	CHECK(ds_fanout_pollfds(&f, pfd) == 1 && pfd[0].fd == p[1]);
	CHECK(ds_fanout_batch(&f, 1000) == 0);
	CHECK(ds_fanout_flush(&f, 0) == 0 && ds_fanout_flush(&f, 1) == 0);
	got = read(p[0], buf, sizeof(buf));
	CHECK(got == 11 && memcmp(buf, "#ds1\n%1000\n", 11) == 0);
	got = read(q[0], buf, sizeof(buf));
	CHECK(got == 6 && memcmp(buf, "%1000\n", 6) == 0);

	/* Nobody reads: the pipe fills, then the queue, then it says so. */
	r.rec = r.field[0].data = "#a record";
	r.reclen = r.field[0].len = 9;
	r.nfield = 1;
	rc = 0;
	for (n = 0; n < 100000 && rc == 0; n++)
		rc = ds_fanout_record(&f, 0, &r);
	CHECK(rc == 1);
	CHECK(ds_fanout_full(&f, 0) && !ds_fanout_full(&f, 1));
	CHECK(ds_fanout_blocked(&f));
	/* A pipe's worth went in, a queue's worth waits: no more. */
	CHECK(n * 11 > 64 * 1024 + DS_FANOUT_MAX - 11);
	CHECK(n * 11 < 4 * 64 * 1024 + DS_FANOUT_MAX + 11);
	got = read(p[0], buf, 11);
	CHECK(got == 11 && memcmp(buf, "\\#a record\n", 11) == 0);
	while (read(p[0], buf, sizeof(buf)) == sizeof(buf))
		continue;
	CHECK(ds_fanout_flush(&f, 0) == 0);

	/* At the end each closes once drained; a gone reader is closed. */
	ds_fanout_end(&f);
	CHECK(ds_fanout_open(&f, 1) == 0);
	close(p[0]);
	CHECK(ds_fanout_bytes(&f, 0, "x\n", 2) == 0);
	CHECK(ds_fanout_flush(&f, 0) == 0);
	CHECK(ds_fanout_open(&f, 0) == 0);
	CHECK(ds_fanout_record(&f, 0, &r) == 0);
	CHECK(read(q[0], buf, 1) == 0);
	ds_fanout_free(&f);
	ds_reader_free(&r);
	close(q[0]);
}

static void
test_pool(void)
{
	char *argv[] = { "sh", "-c",
	    "echo \"$DS_PARTITION/$DS_PARTITIONS\"; exit $DS_PARTITION", NULL };
	char *none[] = { "no-such-command-here", NULL };
	char why[64], buf[16];
	struct ds_pool p;
	size_t i;
	int st, flags;
	ssize_t n;

	CHECK(ds_pool_start(&p, argv, 3, 0) == 0);
	CHECK(p.n == 3);
	for (i = 0; i < 3; i++) {
		flags = fcntl(p.child[i].out, F_GETFL);
		CHECK(flags != -1 && (flags & O_NONBLOCK));
		close(p.child[i].in);
		CHECK(ds_pool_reap(&p, i, 1, &st) == 1);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == (int)i);
		CHECK(ds_pool_reap(&p, i, 1, &st) == 0);
		n = read(p.child[i].out, buf, sizeof(buf));
		CHECK(n == 4 && buf[0] == '0' + (int)i &&
		    memcmp(buf + 1, "/3\n", 3) == 0);
		close(p.child[i].out);
	}
	CHECK(strcmp(ds_status_text(why, sizeof(why), 2 << 8),
	    "exited with status 2") == 0);
	ds_pool_free(&p);
	CHECK(ds_pool_start(&p, none, 2, 0) == -1 && errno == ENOENT);
	CHECK(p.n == 0);
	CHECK(ds_spawn_status(errno) == 127);
	CHECK(ds_spawn_status(EACCES) == 126 && ds_spawn_status(ENOEXEC) ==
	    126 && ds_spawn_status(EAGAIN) == 1);
	ds_pool_free(&p);
}

/*
 * The pool's pipes as streams: each copy's input begins with the header,
 * so that cat(1) gives back a ds stream of what it was sent.
 */
static void
test_streams(void)
{
	char *argv[] = { "cat", NULL };
	struct ds_reader out[2];
	struct ds_fanout in;
	struct ds_pool p;
	struct pollfd pfd;
	size_t i;
	int rc, st;

	CHECK(ds_pool_start(&p, argv, 2, 0) == 0);
	CHECK(ds_pool_streams(&p, out, &in, "cat") == 0);
	CHECK(ds_fanout_batch(&in, 5) == 0);
	ds_fanout_end(&in);
	for (i = 0; i < 2; i++) {
		CHECK(ds_fanout_flush(&in, i) == 0 && !ds_fanout_open(&in, i));
		CHECK(strcmp(out[i].name, "cat") == 0);
		pfd.fd = out[i].fd;
		pfd.events = POLLIN;
		while ((rc = ds_read(&out[i])) == -1 && errno == EAGAIN)
			(void)poll(&pfd, 1, 1000);
		CHECK(rc == DS_BATCH && out[i].time == 5 &&
		    out[i].mode == DS_STREAM);
		while ((rc = ds_read(&out[i])) == -1 && errno == EAGAIN)
			(void)poll(&pfd, 1, 1000);
		CHECK(rc == DS_EOF);
		CHECK(ds_pool_reap(&p, i, 1, &st) == 1 && st == 0);
		close(out[i].fd);
		ds_reader_free(&out[i]);
	}
	ds_fanout_free(&in);
	ds_pool_free(&p);
}

static void
test_wake(void)
{
	struct sigaction sa;
	struct pollfd pfd;
	int fd;

	CHECK((fd = ds_wake_on(SIGUSR1, 0)) != -1);
	CHECK(ds_wake_on(SIGUSR2, 0) == fd);
	CHECK(ds_wake_next() == 0);
	raise(SIGUSR2);
	raise(SIGUSR1);
	pfd.fd = fd;
	pfd.events = POLLIN;
	CHECK(poll(&pfd, 1, 0) == 1);
	CHECK(ds_wake_next() == SIGUSR2);
	CHECK(ds_wake_next() == SIGUSR1);
	CHECK(ds_wake_next() == 0);
	CHECK(ds_wake_stop == 0);

	/* A stop sets the flag too; once, the handler is gone after it. */
	CHECK(ds_wake_on(SIGUSR1, DS_WAKE_STOP | DS_WAKE_ONCE) == fd);
	raise(SIGUSR1);
	CHECK(ds_wake_stop == SIGUSR1 && ds_wake_next() == SIGUSR1);
	CHECK(sigaction(SIGUSR1, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL);
	/* Taken back as no stop, it only wakes. */
	CHECK(ds_wake_on(SIGUSR1, 0) == fd);
	ds_wake_stop = 0;
	raise(SIGUSR1);
	CHECK(ds_wake_stop == 0 && ds_wake_next() == SIGUSR1);
	CHECK(sigaction(SIGUSR1, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL);
	CHECK(ds_wake_on(0, 0) == -1 && errno == EINVAL);

	/* What a shell has us ignore stays ignored. */
	signal(SIGUSR2, SIG_IGN);
	CHECK(ds_wake_on(SIGUSR2, DS_WAKE_UNIGNORED) == fd);
	CHECK(sigaction(SIGUSR2, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN);
	raise(SIGUSR2);
	CHECK(ds_wake_next() == 0);
}
