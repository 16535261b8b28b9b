/*
 * t_lines.c: tests lib/lines.c and lib/dial.c on the receiver loop over
 * loopback sockets: a listener's client's lines whole across writes, CR
 * kept, the cap, the last line without LF; datagrams' lines; a dialed
 * server down, then up, then gone, and what is news of it.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"
#include "check.h"

static struct ds_recv rv;
static struct ds_writer out;
static struct ds_lines lines;
static struct ds_buf got;	/* the lines, each followed by '|' */
static char	events[256];	/* each event: a letter, then its values */
static char	peer[128];	/* the last LONG or JOINED event's peer */
static int	client = -1, server = -1, listener = -1;
static char	port[DS_PORT_MAX];
static int	timedout;

static int	on_line(void *, const char *, size_t);
static int	on_event(void *, const struct ds_lines_event *);
static int	on_deadline(void *);
static int	on_rest(void *);
static int	on_dial_event(void *, const struct ds_lines_event *);
static void	start(void);
static void	finish(void);
static int	bound(int, int);
static void	test_listen(void);
static void	test_dgram(void);
static void	test_dial(void);

int
main(void)
{
	test_listen();
	test_dgram();
	test_dial();
	return done();
}

static int
on_line(void *arg, const char *p, size_t len)
{
	(void)arg;
	if (ds_buf_append(&got, p, len) == -1 ||
	    ds_buf_append(&got, "|", 1) == -1)
		return -1;
	/* The datagrams' last line. */
	if (len == 1 && *p == 'w')
		ds_recv_stop(&rv);
	return 0;
}

static int
on_event(void *arg, const struct ds_lines_event *e)
{
	char one[64];

	(void)arg;
	switch (e->what) {
	case DS_LINES_UP:
		snprintf(one, sizeof(one), "U%d,", e->news);
		break;
	case DS_LINES_DOWN:
		snprintf(one, sizeof(one), "D%s%d,", e->err == 0 ? "closed" :
		    e->err == ECONNREFUSED ? "refused" : strerror(e->err),
		    e->news);
		break;
	case DS_LINES_JOINED:
		snprintf(peer, sizeof(peer), "%s", e->peer);
		snprintf(one, sizeof(one), "J,");
		break;
	case DS_LINES_LEFT:
		snprintf(one, sizeof(one), "L%d,", e->err);
		ds_recv_stop(&rv);
		break;
	case DS_LINES_LONG:
		snprintf(peer, sizeof(peer), "%s", e->peer);
		snprintf(one, sizeof(one), "G%llu,",
		    (unsigned long long)e->lineno);
		break;
	default:
		snprintf(one, sizeof(one), "?%d,", e->what);
		break;
	}
	strlcat(events, one, sizeof(events));
	return 0;
}

static int
on_deadline(void *arg)
{
	(void)arg;
	timedout = 1;
	ds_recv_stop(&rv);
	return 0;
}

/* A loop with no batch end in sight and a deadline of 5 s. */
static void
start(void)
{
	int fd, id;

	CHECK((fd = open("/dev/null", O_WRONLY)) != -1);
	CHECK(ds_writer_init(&out, fd) == 0);
	CHECK(ds_recv_init(&rv, &out, 3600000) == 0);
	CHECK((id = ds_recv_timer(&rv, on_deadline, NULL)) >= 0);
	ds_recv_timer_set(&rv, id, ds_now_ms() + 5000);
	memset(&lines, 0, sizeof(lines));
	lines.maxline = 16;
	lines.line = on_line;
	lines.event = on_event;
	got.len = 0;
	events[0] = '\0';
	peer[0] = '\0';
	timedout = 0;
}

static void
finish(void)
{
	CHECK(!timedout);
	ds_lines_free(&lines);
	ds_recv_free(&rv);
	close(out.fd);
	ds_writer_close(&out);
}

/* The port of socket fd; with connect, a client of it. */
static int
bound(int fd, int socktype)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int c;

	CHECK(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	snprintf(port, sizeof(port), "%d", ntohs(sin.sin_port));
	CHECK((c = socket(AF_INET, socktype, 0)) != -1);
	CHECK(connect(c, (struct sockaddr *)&sin, len) == 0);
	return c;
}

/* The rest of the client's partial line, once the loop has read some. */
static int
on_rest(void *arg)
{
	(void)arg;
	CHECK(write(client, "tial\nend", 8) == 8);
	CHECK(shutdown(client, SHUT_WR) == 0);
	return 0;
}

static void
test_listen(void)
{
	const char sent[] = "a\r\nbb\n0123456789abcdefXYZ\npar";
	char want[64];
	int gaierr, fd, id;

	start();
	CHECK((fd = ds_listen("127.0.0.1", "0", SOCK_STREAM, &gaierr)) != -1);
	CHECK(ds_lines_listen(&lines, &rv, fd, SOCK_STREAM, "here") == 0);
	client = bound(fd, SOCK_STREAM);
	CHECK(write(client, sent, sizeof(sent) - 1) ==
	    (ssize_t)sizeof(sent) - 1);
	CHECK((id = ds_recv_timer(&rv, on_rest, NULL)) >= 0);
	ds_recv_timer_set(&rv, id, ds_now_ms() + 50);
	CHECK(ds_recv_run(&rv) == 0);
	/* CR kept (the program drops it), 19 bytes over 16 skipped. */
	CHECK(got.len == 18 &&
	    memcmp(got.data, "a\r|bb|partial|end|", 18) == 0);
	CHECK(strcmp(events, "J,G3,L0,") == 0);
	CHECK(lines.nskipped == 1);
	snprintf(want, sizeof(want), "127.0.0.1:");
	CHECK(strncmp(peer, want, strlen(want)) == 0);
	close(client);
	finish();
	close(fd);
}

static void
test_dgram(void)
{
	const char longer[] = "0123456789abcdefXYZ\nw";
	int gaierr, fd;

	start();
	CHECK((fd = ds_listen("127.0.0.1", "0", SOCK_DGRAM, &gaierr)) != -1);
	CHECK(ds_lines_listen(&lines, &rv, fd, SOCK_DGRAM, "here") == 0);
	client = bound(fd, SOCK_DGRAM);
	CHECK(send(client, "x\ny\n", 4, 0) == 4);
	CHECK(send(client, "", 0, 0) == 0);
	CHECK(send(client, longer, sizeof(longer) - 1, 0) ==
	    (ssize_t)sizeof(longer) - 1);
	CHECK(ds_recv_run(&rv) == 0);
	CHECK(got.len == 6 && memcmp(got.data, "x|y|w|", 6) == 0);
	CHECK(strcmp(events, "G0,") == 0);
	CHECK(strncmp(peer, "127.0.0.1:", 10) == 0);
	close(client);
	finish();
	close(fd);
}

/*
 * The dialed server: refused twice (news once), then listening; once
 * connected it sends a line and closes, and the outage is news again.
 */
static int
on_dial_event(void *arg, const struct ds_lines_event *e)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int gaierr;

	on_event(arg, e);
	if (e->what == DS_LINES_DOWN && e->err != 0 && e->news == 0) {
		CHECK((listener = ds_listen("127.0.0.1", port, SOCK_STREAM,
		    &gaierr)) != -1);
	} else if (e->what == DS_LINES_UP) {
		/* The connect is done: the kernel has queued it. */
		CHECK((server = accept(listener, (struct sockaddr *)&ss,
		    &len)) != -1);
		CHECK(write(server, "hello\n", 6) == 6);
		close(server);
		close(listener);
	} else if (e->what == DS_LINES_DOWN && e->err == 0)
		ds_recv_stop(&rv);
	return 0;
}

static void
test_dial(void)
{
	int gaierr, fd;

	start();
	/* A port nothing listens on, for now. */
	CHECK((fd = ds_listen("127.0.0.1", "0", SOCK_STREAM, &gaierr)) != -1);
	close(bound(fd, SOCK_STREAM));
	close(fd);
	lines.event = on_dial_event;
	CHECK(ds_lines_dial(&lines, &rv, "127.0.0.1", port, 20, "there") ==
	    0);
	CHECK(ds_recv_run(&rv) == 0);
	CHECK(strcmp(events, "Drefused1,Drefused0,U1,Dclosed1,") == 0);
	CHECK(got.len == 6 && memcmp(got.data, "hello|", 6) == 0);
	CHECK(lines.dial.nconnects == 1);
	CHECK(strcmp(lines.dial.outage.delaystr, "20ms") == 0);
	finish();
	ds_buf_free(&got);
}
