/*
 * metrics.c: every program's report of the batches it closes, sent as
 * datagrams to whoever listens (ds-ui, ds-top), never waiting for them.
 *
 * The reader and the writer feed it; a program calls nothing.  Sending
 * is coalesced: a datagram at most every DS_METRICS_EVERY milliseconds
 * holds the batches closed since the last one, the first
 * DS_METRICS_ITEMS of them one by one and the rest summed, so that a
 * million batches a second cost no million system calls nor clock reads.
 * The format is ds-ui(1)'s.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ds.h"

struct ds_metrics	ds_metrics;

/* A batch reported one by one. */
struct item {
	int64_t		 time;
	uint64_t	 rin, bin, rout, bout;
	int64_t		 sched, proc, total;
};

/* Cumulative counts, to take differences of. */
struct counts {
	uint64_t	 rin, bin, rout, bout;
};

static struct {
	int		 fd;
	int		 ours;		/* the default place: check its dir */
	struct sockaddr_un to;
	socklen_t	 tolen;
	pid_t		 pid;
	int64_t		 due;		/* the next datagram's earliest time */
	uint64_t	 seq;
	uint64_t	 batches;	/* batches closed at the last send */
	struct ds_buf	 head;		/* the argv and pipe lines */
	struct ds_buf	 msg;
	struct item	 item[DS_METRICS_ITEMS];
	size_t		 nitem;
	struct counts	 last;		/* at the last batch itemized */
	uint64_t	 outlines;	/* LFs written to stdout */
	uint64_t	 outbytes;	/* bytes flushed to stdout */
	size_t		 counted;	/* bytes of the writer's buffer whose
					   LFs are in outlines */
	uint64_t	 cbatches;	/* batch end and header lines among */
	uint64_t	 cnonrec;	/* outlines */
} m;

static void	setup(void);
static int	place(void);
static void	describe(void);
static void	add_pipe(const char *, int);
static void	at_exit(void);
static void	send_now(const struct ds_writer *, int64_t, const char *);
static void	counts_now(const struct ds_writer *, struct counts *);
static void	put(const char *, ...)
		    __attribute__((__format__(__printf__, 1, 2)));

void
ds_metrics_init(void)
{
	if (ds_metrics.on == 0)
		setup();
}

static void
setup(void)
{
	const char *env = getenv("DS_METRICS");
	int fd;

	ds_metrics.on = -1;
	ds_metrics.full = 1;
	if (env != NULL && strcmp(env, "off") == 0)
		return;
	if (env != NULL && *env != '\0') {
		if (strlen(env) >= sizeof(m.to.sun_path))
			return;
		strlcpy(m.to.sun_path, env, sizeof(m.to.sun_path));
	} else if (ds_metrics_default(m.to.sun_path,
	    sizeof(m.to.sun_path)) == -1)
		return;
	else
		m.ours = 1;
	m.to.sun_family = AF_UNIX;
	m.tolen = sizeof(m.to);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return;
	/* With stdin or stdout closed, the socket must not take its place. */
	if (fd < 3) {
		m.fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		close(fd);
		if (m.fd == -1)
			return;
	} else
		m.fd = fd;
	m.pid = getpid();
	describe();
	if (atexit(at_exit) != 0) {
		close(m.fd);
		return;
	}
	ds_metrics.start = ds_metrics.now = ds_now_ms();
	ds_metrics.on = 1;
	ds_metrics.full = 0;
}

int
ds_metrics_default(char *path, size_t size)
{
	const char *run = getenv("XDG_RUNTIME_DIR");
	int n;

	if (run != NULL && run[0] == '/')
		n = snprintf(path, size, "%s/ds/metrics", run);
	else
		n = snprintf(path, size, "/tmp/ds-%lu/metrics",
		    (unsigned long)getuid());
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * At the default place, whose directory anyone might have made first,
 * send only into a directory of ours that no one else may enter, so that
 * the command lines reach no other user.
 */
static int
place(void)
{
	char dir[sizeof(m.to.sun_path)], *slash;
	struct stat st;

	if (!m.ours)
		return 0;
	strlcpy(dir, m.to.sun_path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) == NULL)
		return -1;
	*slash = '\0';
	if (lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != getuid() || (st.st_mode & 077) != 0)
		return -1;
	return 0;
}

static void
put(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)ds_buf_append(&m.msg, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1);
}

/*
 * The lines that do not change: the command line, from /proc where there
 * is one, and the pipes of stdin and stdout that chain the stages.
 */
static void
describe(void)
{
	struct ds_field f[1];
	char buf[4096];
	ssize_t n;
	size_t off = 0, i, start;
	int fd;

	(void)ds_buf_append(&m.head, "argv", 4);
	if ((fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC)) != -1) {
		while (off < sizeof(buf) &&
		    (n = read(fd, buf + off, sizeof(buf) - off)) > 0)
			off += n;
		close(fd);
	}
	if (off == 0) {
		strlcpy(buf, getprogname(), sizeof(buf));
		off = strlen(buf) + 1;
	}
	for (i = start = 0; i < off; i++) {
		if (buf[i] != '\0' && i + 1 < off)
			continue;
		f[0].data = buf + start;
		f[0].len = i - start + (buf[i] != '\0');
		(void)ds_buf_append(&m.head, "\t", 1);
		(void)ds_escape_record(&m.head, f, 1);
		start = i + 1;
	}
	(void)ds_buf_append(&m.head, "\npipe", 5);
	add_pipe("\t", STDIN_FILENO);
	add_pipe("\t", STDOUT_FILENO);
	(void)ds_buf_append(&m.head, "\n", 1);
}

static void
add_pipe(const char *sep, int fd)
{
	char s[64];
	struct stat st;
	int n;

	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		n = snprintf(s, sizeof(s), "%s%llu:%llu", sep,
		    (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino);
	else
		n = snprintf(s, sizeof(s), "%s-", sep);
	(void)ds_buf_append(&m.head, s, n);
}

/*
 * Count the LFs of len bytes, output being large: sixteen bytes at a
 * time, each match subtracting -1 from its byte's counter, which are
 * summed before they can wrap.
 */
static uint64_t
count_lf(const char *p, size_t len)
{
	uint64_t n = 0;
	size_t i = 0;
#ifdef __SSE2__
	const __m128i lf = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
	__m128i acc, sum;
	size_t k;

	while (i + 16 <= len) {
		acc = zero;
		for (k = 0; k < 255 && i + 16 <= len; k++, i += 16)
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128(
			    (const __m128i *)(const void *)(p + i)), lf));
		sum = _mm_sad_epu8(acc, zero);
		n += (uint64_t)_mm_cvtsi128_si32(sum) +
		    (uint64_t)_mm_cvtsi128_si32(_mm_srli_si128(sum, 8));
	}
#endif
	for (; i < len; i++)
		n += p[i] == '\n';
	return n;
}

/*
 * Bytes leave stdout's writer: its buffer, of which the first
 * m.counted bytes were counted already, or a large write past it.
 */
void
ds_metrics_wrote(struct ds_writer *w, const char *p, size_t len)
{
	if (p == w->buf) {
		m.outlines += count_lf(p + m.counted, len - m.counted);
		m.counted = 0;
		m.cbatches = ds_metrics.batches;
		m.cnonrec = ds_metrics.outnonrec;
	} else
		m.outlines += count_lf(p, len);
	m.outbytes += len;
}

/*
 * The counts so far: with w, its unflushed bytes counted first; without,
 * as of the last count, whose lines that were no record are known.
 */
static void
counts_now(const struct ds_writer *w, struct counts *c)
{
	if (w != NULL && w->len >= m.counted) {
		m.outlines += count_lf(w->buf + m.counted, w->len - m.counted);
		m.counted = w->len;
		m.cbatches = ds_metrics.batches;
		m.cnonrec = ds_metrics.outnonrec;
	}
	c->rin = ds_metrics.records;
	c->bin = ds_metrics.bytes;
	c->rout = m.outlines - m.cnonrec - m.cbatches;
	c->bout = m.outbytes + m.counted;
}

void
ds_metrics_item(struct ds_writer *w, int64_t t)
{
	struct item *it;
	struct counts c;
	int64_t now;

	now = ds_metrics.now = ds_now_ms();
	counts_now(w, &c);
	it = &m.item[m.nitem++];
	it->time = t;
	it->rin = c.rin - m.last.rin;
	it->bin = c.bin - m.last.bin;
	it->rout = c.rout - m.last.rout;
	it->bout = c.bout - m.last.bout;
	m.last = c;
	it->total = now - t;
	it->sched = (ds_metrics.endread != 0 ? ds_metrics.endread : now) - t;
	it->proc = now - (ds_metrics.first != 0 ? ds_metrics.first : now);
	ds_metrics.first = ds_metrics.endread = 0;
	ds_metrics.pending = 1;
	ds_metrics.full = m.nitem == DS_METRICS_ITEMS;
	if (now >= m.due)
		send_now(w, now, "run");
}

void
ds_metrics_tick(int got)
{
	ds_metrics.now = ds_now_ms();
	if (got && ds_metrics.first == 0)
		ds_metrics.first = ds_metrics.now;
	if (ds_metrics.pending && ds_metrics.now >= m.due)
		send_now(NULL, ds_metrics.now, "run");
}

void
ds_metrics_count(int what, uint64_t n)
{
	if (what >= 0 && what < DS_RECV_N)
		ds_metrics.recv[what] += n;
}

static void
send_now(const struct ds_writer *w, int64_t now, const char *state)
{
	struct counts c;
	size_t i;
	struct item *it;

	m.msg.len = 0;
	counts_now(w, &c);
	put("dsm1\t%ld\t%ld\t%llu\t%s\t%lld\t%lld\n", (long)m.pid,
	    (long)getpgrp(), (unsigned long long)m.seq++, state,
	    (long long)ds_metrics.start, (long long)now);
	(void)ds_buf_append(&m.msg, m.head.data, m.head.len);
	put("total\t%llu\t%llu\t%llu\t%llu\t%llu\n",
	    (unsigned long long)(ds_metrics.batches + ds_metrics.marks),
	    (unsigned long long)c.rin, (unsigned long long)c.bin, (unsigned long long)c.rout,
	    (unsigned long long)c.bout);
	put("recv\t%llu\t%llu\t%llu\t%llu\t%llu\n",
	    (unsigned long long)ds_metrics.recv[DS_RECV_DATAGRAMS],
	    (unsigned long long)ds_metrics.recv[DS_RECV_CONNECTIONS],
	    (unsigned long long)ds_metrics.recv[DS_RECV_RECONNECTS],
	    (unsigned long long)ds_metrics.recv[DS_RECV_LONG],
	    (unsigned long long)ds_metrics.recv[DS_RECV_LATE]);
	for (i = 0; i < m.nitem; i++) {
		it = &m.item[i];
		put("batch\t%lld\t%llu\t%llu\t%llu\t%llu\t%lld\t%lld\t%lld\n",
		    (long long)it->time, (unsigned long long)it->rin,
		    (unsigned long long)it->bin, (unsigned long long)it->rout,
		    (unsigned long long)it->bout, (long long)it->sched,
		    (long long)it->proc, (long long)it->total);
	}
	if (ds_metrics.batches + ds_metrics.marks > m.batches + m.nitem)
		put("more\t%llu\n", (unsigned long long)(ds_metrics.batches +
		    ds_metrics.marks - m.batches - m.nitem));
	m.batches = ds_metrics.batches + ds_metrics.marks;
	/* The batches not itemized are in the totals only. */
	m.last = c;
	m.nitem = 0;
	ds_metrics.full = 0;
	/* Reads while the datagram was full were not timed. */
	ds_metrics.first = ds_metrics.endread = 0;
	ds_metrics.pending = 0;
	m.due = now + DS_METRICS_EVERY;
	/* Nobody listening, or a full socket: the report is dropped. */
	if (place() == 0)
		(void)sendto(m.fd, m.msg.data, m.msg.len,
		    MSG_DONTWAIT | MSG_NOSIGNAL,
		    (const struct sockaddr *)&m.to, m.tolen);
}

static void
at_exit(void)
{
	/* A child that forked and did not exec is not the stage. */
	if (ds_metrics.on > 0 && getpid() == m.pid)
		send_now(NULL, ds_now_ms(), "end");
}
