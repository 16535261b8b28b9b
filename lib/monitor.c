/*
 * monitor.c: the listener's side of metrics.c: receives the stages'
 * datagrams, refuses other users', keeps the last batches of each stage
 * in a ring, and chains the stages into pipelines by their pipes.  For
 * ds-ui and ds-top; nothing here prints.
 */

/* struct ucred and SCM_CREDENTIALS are Linux's. */
#define _GNU_SOURCE

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

#define DGRAM_MAX	(256 * 1024)

/* Upper bounds of the processing time histogram, in ms. */
const int64_t ds_mon_bounds[DS_MON_NBOUNDS] = {
	1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};

static int	prepare_dir(const char *, int);
static struct ds_mon_stage *stage_of(struct ds_mon *, pid_t, int64_t);
static void	stage_free(struct ds_mon_stage *);
static int	split(char *, char **, int);
static int	num(const char *, int64_t *);
static int	set_argv(struct ds_mon_stage *, char **, int);
static void	add_batch(struct ds_mon *, struct ds_mon_stage *,
		    const struct ds_mon_batch *);

/*
 * The directory of a socket at the default place is ours alone; made
 * when missing.
 */
static int
prepare_dir(const char *path, int isdefault)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (!isdefault)
		return 0;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return -1;
	if (lstat(dir, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 077) != 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

int
ds_mon_open(struct ds_mon *mon, const char *path, int isdefault)
{
	struct sockaddr_un sun;
	int fd, on = 1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (prepare_dir(path, isdefault) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	/* A socket left by a listener that is gone is taken over. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(fd);
		errno = EADDRINUSE;
		return -1;
	}
	if (errno == ECONNREFUSED)
		(void)unlink(path);
	close(fd);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	(void)chmod(path, 0600);
	if ((mon->buf = malloc(DGRAM_MAX)) == NULL) {
		close(fd);
		(void)unlink(path);
		return -1;
	}
	mon->fd = fd;
	strlcpy(mon->path, path, sizeof(mon->path));
	return 0;
}

void
ds_mon_close(struct ds_mon *mon)
{
	size_t i;

	if (mon->fd >= 0) {
		close(mon->fd);
		(void)unlink(mon->path);
	}
	for (i = 0; i < mon->nstage; i++)
		stage_free(mon->stage[i]);
	free(mon->stage);
	free(mon->buf);
	mon->stage = NULL;
	mon->nstage = 0;
	mon->fd = -1;
}

int
ds_mon_receive(struct ds_mon *mon, int64_t now)
{
	union {
		struct cmsghdr	 h;
		char		 buf[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *c;
	struct ucred cred;
	ssize_t n;
	int got;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = mon->buf;
		iov.iov_len = DGRAM_MAX - 1;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		if ((n = recvmsg(mon->fd, &msg, MSG_DONTWAIT)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -1;
		}
		got = 0;
		for (c = CMSG_FIRSTHDR(&msg); c != NULL;
		    c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SCM_CREDENTIALS &&
			    c->cmsg_len == CMSG_LEN(sizeof(cred))) {
				memcpy(&cred, CMSG_DATA(c), sizeof(cred));
				got = 1;
			}
		if (!got || cred.uid != getuid()) {
			mon->refused++;
			continue;
		}
		mon->datagrams++;
		mon->buf[n] = '\0';
		if (ds_mon_parse(mon, mon->buf, n, cred.pid, now) == -1)
			mon->malformed++;
	}
}

/* Split s on TAB into at most max fields; returns the count. */
static int
split(char *s, char **f, int max)
{
	int n = 0;

	f[n++] = s;
	while (n < max && (s = strchr(s, '\t')) != NULL) {
		*s++ = '\0';
		f[n++] = s;
	}
	return n;
}

static int
num(const char *s, int64_t *v)
{
	const char *errstr;

	*v = strtonum(s, LLONG_MIN + 1, LLONG_MAX, &errstr);
	return errstr == NULL ? 0 : -1;
}

static struct ds_mon_stage *
stage_of(struct ds_mon *mon, pid_t pid, int64_t start)
{
	struct ds_mon_stage *st, **p;
	size_t i;

	for (i = 0; i < mon->nstage; i++)
		if (mon->stage[i]->pid == pid &&
		    mon->stage[i]->start == start)
			return mon->stage[i];
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	if ((st->ring = reallocarray(NULL, mon->ringcap,
	    sizeof(*st->ring))) == NULL) {
		free(st);
		return NULL;
	}
	if ((p = reallocarray(mon->stage, mon->nstage + 1,
	    sizeof(*p))) == NULL) {
		stage_free(st);
		return NULL;
	}
	mon->stage = p;
	mon->stage[mon->nstage++] = st;
	st->pid = pid;
	st->start = start;
	st->ringcap = mon->ringcap;
	return st;
}

static void
stage_free(struct ds_mon_stage *st)
{
	free(st->ring);
	free(st->cmd);
	free(st);
}

/*
 * The command line for people: the arguments unescaped and joined by
 * spaces, those that a shell would split quoted.
 */
static int
set_argv(struct ds_mon_stage *st, char **f, int n)
{
	struct ds_buf b = { NULL, 0, 0 };
	const char *p, *name;
	size_t len;
	uint32_t cp;
	int i, k, quote;

	for (i = 1; i < n; i++) {
		if (ds_unescape(f[i], f[i], strlen(f[i]), &len) == -1)
			goto fail;
		quote = len == 0 || strcspn(f[i], " \t\n'\"\\$`*?|&;<>()[]{}") <
		    len || memchr(f[i], '\0', len) != NULL;
		if ((i > 1 && ds_buf_append(&b, " ", 1) == -1) ||
		    (quote && ds_buf_append(&b, "'", 1) == -1))
			goto fail;
		for (p = f[i]; p < f[i] + len; p += k) {
			/* Text for people (and JSON): UTF-8, U+FFFD if not. */
			k = (unsigned char)*p < 0x80 ? 1 :
			    ds_utf8_decode(p, f[i] + len - p, &cp);
			if (k == 0 ? (k = 1, ds_buf_append(&b, "\xef\xbf\xbd",
			    3) == -1) : *p == '\'' ? ds_buf_append(&b,
			    "'\\''", 4) == -1 : ds_buf_append(&b, *p == '\0' ?
			    "?" : p, k) == -1)
				goto fail;
		}
		if (quote && ds_buf_append(&b, "'", 1) == -1)
			goto fail;
		if (i == 1) {
			/* The name as shown: the command's first word. */
			name = memrchr(b.data, '/', b.len);
			len = name != NULL ? b.len - (name + 1 - b.data) : b.len;
			if (len >= sizeof(st->prog))
				len = sizeof(st->prog) - 1;
			p = name != NULL ? name + 1 : b.data;
			/* Not in the middle of a character. */
			while (len > 0 && p + len < b.data + b.len &&
			    ((unsigned char)p[len] & 0xc0) == 0x80)
				len--;
			memcpy(st->prog, name != NULL ? name + 1 : b.data, len);
			st->prog[len] = '\0';
		}
	}
	if (ds_buf_append(&b, "", 1) == -1)
		goto fail;
	free(st->cmd);
	st->cmd = b.data;
	return 0;
fail:
	ds_buf_free(&b);
	return -1;
}

static void
add_batch(struct ds_mon *mon, struct ds_mon_stage *st,
    const struct ds_mon_batch *b)
{
	size_t i;

	if (st->nring > 0 && b->time <= ds_mon_batch_at(st,
	    st->nring - 1)->time)
		return;
	if (st->nring < mon->ringcap)
		st->ring[(st->head + st->nring++) % mon->ringcap] = *b;
	else {
		st->ring[st->head] = *b;
		st->head = (st->head + 1) % mon->ringcap;
	}
	for (i = 0; i < DS_MON_NBOUNDS && b->proc > ds_mon_bounds[i]; i++)
		;
	st->hist[i]++;
	st->histsum += b->proc;
	st->histcount++;
}

const struct ds_mon_batch *
ds_mon_batch_at(const struct ds_mon_stage *st, size_t i)
{
	return &st->ring[(st->head + i) % st->ringcap];
}

int
ds_mon_parse(struct ds_mon *mon, char *s, size_t len, pid_t pid, int64_t now)
{
	struct ds_mon_stage *st = NULL;
	struct ds_mon_batch b;
	char *line, *next, *f[16], **argv = NULL;
	int64_t v[9];
	int i, n, nargv = 0;

	if (memchr(s, '\0', len) != NULL)
		return -1;
	for (line = s; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, "argv\t", 5) == 0 && st != NULL) {
			for (nargv = 1, n = 0; line[n] != '\0'; n++)
				nargv += line[n] == '\t';
			if ((argv = reallocarray(NULL, nargv,
			    sizeof(*argv))) == NULL)
				return -1;
			nargv = split(line, argv, nargv);
			if (st->cmd == NULL && set_argv(st, argv, nargv) == -1) {
				free(argv);
				return -1;
			}
			free(argv);
			continue;
		}
		n = split(line, f, 16);
		for (i = 1; i < n && i <= 9; i++)
			if (strcmp(f[0], "pipe") != 0 && strcmp(f[0],
			    "dsm1") != 0 && num(f[i], &v[i - 1]) == -1)
				return -1;
		if (strcmp(f[0], "dsm1") == 0 && st == NULL && n == 7) {
			if (num(f[2], &v[0]) == -1 || num(f[5], &v[1]) == -1 ||
			    num(f[6], &v[2]) == -1 || num(f[3], &v[3]) == -1)
				return -1;
			if ((st = stage_of(mon, pid, v[1])) == NULL)
				return -1;
			st->pgid = v[0];
			if (st->seen && (uint64_t)v[3] > st->seq + 1)
				st->lost += v[3] - st->seq - 1;
			st->seq = v[3];
			st->last = v[2];
			st->seen = now;
			st->ended = strcmp(f[4], "end") == 0;
		} else if (st == NULL)
			return -1;
		else if (strcmp(f[0], "pipe") == 0 && n == 3) {
			strlcpy(st->in, f[1], sizeof(st->in));
			strlcpy(st->out, f[2], sizeof(st->out));
		} else if (strcmp(f[0], "total") == 0 && n == 6) {
			st->batches = v[0];
			st->rin = v[1];
			st->bin = v[2];
			st->rout = v[3];
			st->bout = v[4];
		} else if (strcmp(f[0], "recv") == 0 && n == DS_RECV_N + 1) {
			for (i = 0; i < DS_RECV_N; i++)
				st->recv[i] = v[i];
		} else if (strcmp(f[0], "batch") == 0 && n == 9) {
			b.time = v[0];
			b.rin = v[1];
			b.bin = v[2];
			b.rout = v[3];
			b.bout = v[4];
			b.sched = v[5];
			b.proc = v[6];
			b.total = v[7];
			add_batch(mon, st, &b);
		} else if (strcmp(f[0], "more") == 0 && n == 2)
			st->unitemized += v[0];
		else
			return -1;
	}
	return st != NULL ? 0 : -1;
}

/*
 * Forget the pipelines ended more than keep ms ago.  A stage that died
 * without its last datagram (killed) has ended when its pid is gone.
 */
void
ds_mon_expire(struct ds_mon *mon, int64_t now)
{
	struct ds_mon_pipe *pipes;
	size_t i, j, k, npipe;

	for (i = 0; i < mon->nstage; i++)
		if (!mon->stage[i]->ended && kill(mon->stage[i]->pid, 0) ==
		    -1 && errno == ESRCH) {
			mon->stage[i]->ended = 1;
			mon->stage[i]->last = now;
		}
	if ((npipe = ds_mon_pipes(mon, &pipes)) == 0)
		return;
	for (i = 0; i < npipe; i++) {
		if (!pipes[i].ended || now - pipes[i].end <= mon->keep)
			continue;
		for (j = 0; j < pipes[i].n; j++)
			pipes[i].stage[j]->gone = 1;
	}
	for (i = k = 0; i < mon->nstage; i++) {
		if (mon->stage[i]->gone)
			stage_free(mon->stage[i]);
		else
			mon->stage[k++] = mon->stage[i];
	}
	mon->nstage = k;
	ds_mon_pipes_free(pipes, npipe);
}

static int
linked(const struct ds_mon_stage *a, const struct ds_mon_stage *b)
{
	return strcmp(a->out, "-") != 0 && a->out[0] != '\0' &&
	    strcmp(a->out, b->in) == 0;
}

/*
 * Chain the stages: b follows a when a's stdout is b's stdin.  A
 * pipeline is a set of stages so joined, in the order of the data, the
 * first one whose stdin no other stage writes.
 */
size_t
ds_mon_pipes(struct ds_mon *mon, struct ds_mon_pipe **out)
{
	struct ds_mon_pipe *pipes = NULL, *p;
	struct ds_mon_stage *st, *cur;
	size_t i, j, k, npipe = 0, n = mon->nstage;
	int isfirst, found;

	*out = NULL;
	for (i = 0; i < n; i++)
		mon->stage[i]->pipe = -1;
	for (i = 0; i < n; i++) {
		st = mon->stage[i];
		if (st->pipe != -1)
			continue;
		isfirst = 1;
		for (j = 0; j < n && isfirst; j++)
			if (j != i && linked(mon->stage[j], st))
				isfirst = 0;
		if (!isfirst)
			continue;
		if ((p = reallocarray(pipes, npipe + 1, sizeof(*p))) == NULL)
			break;
		pipes = p;
		p = &pipes[npipe++];
		memset(p, 0, sizeof(*p));
		if ((p->stage = reallocarray(NULL, n, sizeof(*p->stage))) ==
		    NULL) {
			npipe--;
			break;
		}
		for (cur = st; cur != NULL && p->n < n;) {
			cur->pipe = npipe - 1;
			p->stage[p->n++] = cur;
			for (found = 0, k = 0; k < n && !found; k++)
				if (mon->stage[k]->pipe == -1 &&
				    linked(cur, mon->stage[k])) {
					cur = mon->stage[k];
					found = 1;
				}
			if (!found)
				cur = NULL;
		}
		snprintf(p->id, sizeof(p->id), "%ld", (long)st->pid);
		p->ended = 1;
		p->start = st->start;
		for (j = 0; j < p->n; j++) {
			if (!p->stage[j]->ended)
				p->ended = 0;
			if (p->stage[j]->last > p->end)
				p->end = p->stage[j]->last;
			if (p->stage[j]->start < p->start)
				p->start = p->stage[j]->start;
		}
	}
	*out = pipes;
	return npipe;
}

void
ds_mon_pipes_free(struct ds_mon_pipe *pipes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(pipes[i].stage);
	free(pipes);
}

/* The batch of time t in st's ring, or NULL. */
static const struct ds_mon_batch *
find(const struct ds_mon_stage *st, int64_t t)
{
	size_t lo = 0, hi = st->nring, mid;
	const struct ds_mon_batch *b;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		b = ds_mon_batch_at(st, mid);
		if (b->time == t)
			return b;
		if (b->time < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * The pipeline's view of its batches, Spark's: those the last stage
 * closed, their input the first stage's records; the scheduling delay is
 * how late the first stage closed the batch, the total delay how late
 * the last did, and the processing time what lies between.
 */
size_t
ds_mon_pipe_batches(const struct ds_mon_pipe *p, struct ds_mon_pbatch *out,
    size_t max)
{
	const struct ds_mon_stage *head, *tail;
	const struct ds_mon_batch *b, *h;
	size_t i, n = 0, from;

	if (p->n == 0)
		return 0;
	head = p->stage[0];
	tail = p->stage[p->n - 1];
	from = tail->nring > max ? tail->nring - max : 0;
	for (i = from; i < tail->nring; i++) {
		b = ds_mon_batch_at(tail, i);
		h = head == tail ? b : find(head, b->time);
		out[n].time = b->time;
		out[n].records = h != NULL ? h->rin : 0;
		out[n].total = b->total;
		out[n].sched = head == tail ? b->sched :
		    h != NULL ? h->total : 0;
		out[n].proc = b->total - out[n].sched;
		out[n].known = h != NULL;
		n++;
	}
	return n;
}

void
ds_mon_summary(const struct ds_mon_pipe *p, struct ds_mon_summary *s)
{
	struct ds_mon_pbatch *b;
	const struct ds_mon_stage *head, *tail;
	size_t i, n, cap;
	int64_t span, d;

	memset(s, 0, sizeof(*s));
	if (p->n == 0)
		return;
	head = p->stage[0];
	tail = p->stage[p->n - 1];
	s->batches = tail->batches;
	s->records = head->rin;
	s->retained = tail->nring;
	cap = tail->nring;
	if (cap == 0 || (b = reallocarray(NULL, cap, sizeof(*b))) == NULL)
		return;
	n = ds_mon_pipe_batches(p, b, cap);
	for (i = 0; i < n; i++) {
		s->sched += b[i].sched;
		s->proc += b[i].proc;
		s->total += b[i].total;
		s->inrecords += b[i].records;
		if (i > 0 && (d = b[i].time - b[i - 1].time) > 0 &&
		    (s->interval == 0 || d < s->interval))
			s->interval = d;
	}
	s->sched /= (int64_t)n;
	s->proc /= (int64_t)n;
	s->total /= (int64_t)n;
	span = n > 1 ? b[n - 1].time - b[0].time + s->interval : 0;
	s->rate = span > 0 ? s->inrecords * 1000.0 / span : 0;
	free(b);
}
