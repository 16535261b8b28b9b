/*
 * reader.c: reads the records and batch ends of a ds stream, or the lines
 * of a raw one, a line at a time from a growable buffer.
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ds.h"

#define READ_CHUNK	(128 * 1024)

volatile sig_atomic_t	ds_interrupted;
/*
 * Lines shorter than this are split in one pass by fast_record; longer
 * ones go through memchr, faster per byte when fields are long.
 */
#define FAST_LINE	256
/*
 * Bytes allocated past cap, so that a scan by 16 bytes may overread, and
 * a short field be read in one 16-byte load (DS_READ_PAD).
 */
#define SLACK		DS_READ_PAD

static int	bad(struct ds_reader *, const char *, ...)
		    __attribute__((__format__(__printf__, 2, 3)));
static int	fill(struct ds_reader *);
static int	next_line(struct ds_reader *, char **, size_t *);
static int	grow_fields(struct ds_reader *);
static int	add_field(struct ds_reader *, char *, size_t);
static int	fast_record(struct ds_reader *);
static int	read_item(struct ds_reader *) __attribute__((__noinline__));
static int	split_line(struct ds_reader *, char *, size_t);
static int	split_raw(struct ds_reader *, char *, size_t);
static int	split_escaped(struct ds_reader *, char *, size_t);
static int	batch_end(struct ds_reader *, const char *, size_t);
static inline void tell_metrics(struct ds_reader *);
static void	add_metrics(struct ds_reader *);

int
ds_reader_init(struct ds_reader *r, int fd, const char *name, int mode)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->name = name;
	r->mode = mode;
	r->lasttime = -1;
	r->replayed = ds_pipeline_dir() != NULL;
	r->cap = READ_CHUNK;
	ds_metrics_init();
	if ((r->buf = malloc(r->cap + SLACK)) == NULL)
		return -1;
	r->fieldcap = 16;
	if ((r->field = reallocarray(NULL, r->fieldcap,
	    sizeof(*r->field))) == NULL) {
		free(r->buf);
		return -1;
	}
	return 0;
}

void
ds_reader_free(struct ds_reader *r)
{
	free(r->buf);
	free(r->field);
	r->buf = NULL;
	r->field = NULL;
}

static int
bad(struct ds_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	errno = EBADMSG;
	return -1;
}

/*
 * Read more bytes after r->end, making room first.  A finished batch in
 * the linked writer is flushed before a read that would wait, so it never
 * waits on our input.  Returns the count read, 0 at EOF, -1 on error.
 */
static int
fill(struct ds_reader *r)
{
	struct pollfd pfd;
	ssize_t n;
	size_t ncap;
	char *p;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap) {
		if (r->cap > SIZE_MAX / 2) {
			errno = ENOMEM;
			return -1;
		}
		ncap = r->cap * 2;
		if ((p = realloc(r->buf, ncap + SLACK)) == NULL)
			return -1;
		r->buf = p;
		r->cap = ncap;
	}
	if ((r->flush != NULL && r->flush->pending) || r->nowait) {
		pfd.fd = r->fd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, 0);
		if (n == 0 || (n == -1 && errno == EINTR)) {
			if (r->nowait) {
				errno = EAGAIN;
				return -1;
			}
			(void)ds_writer_flush(r->flush);
			if (ds_metrics.pending)
				ds_metrics_tick(0);
		}
	}
	/*
	 * Asked to stop, a raw input (or one of record lines) ends here: what
	 * was read is kept, and a final batch closes it.  A ds stream reads
	 * on to its batch end, and ends here when it is between batches with
	 * nothing half read.
	 */
	for (;;) {
		if (ds_interrupted && (r->mode == DS_RAW ||
		    r->mode == DS_LINES ||
		    (!r->inbatch && r->end == r->start)))
			return 0;
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n != -1 || errno != EINTR)
			break;
	}
	if (n > 0) {
		r->end += n;
		r->nread += n;
	}
	if (ds_metrics.on > 0) {
		add_metrics(r);
		ds_metrics_tick(n > 0);
	}
	/* The scans by 16 bytes may look past the end: at zeros. */
	memset(r->buf + r->end, 0, SLACK);
	return n;
}

/*
 * Find the next line, without its LF; a last line with no LF counts, but
 * in a ds stream that replays (r->replayed), where it is what a stage
 * killed mid-write left of a line ("%1000" of "%100000"): there it is
 * dropped, and opens the batch that the replay sends again whole.
 * Returns 1, 0 at EOF, or -1.
 */
static int
next_line(struct ds_reader *r, char **line, size_t *len)
{
	char *lf;
	size_t avail;
	int n;

	for (;;) {
		avail = r->end - r->start;
		lf = memchr(r->buf + r->start + r->scanned, '\n',
		    avail - r->scanned);
		if (lf != NULL && r->skipping) {
			r->start = lf + 1 - r->buf;
			r->scanned = 0;
			r->skipping = 0;
			continue;
		}
		if (lf != NULL) {
			*line = r->buf + r->start;
			*len = lf - *line;
			r->start += *len + 1;
			r->scanned = 0;
			r->lineno++;
			/* A long line may arrive whole, with its LF. */
			if (r->maxline != 0 && *len > r->maxline) {
				r->nonrecords++;
				ds_metrics.recv[DS_RECV_LONG]++;
				errno = EMSGSIZE;
				return -1;
			}
			return 1;
		}
		r->scanned = avail;
		if (r->skipping) {
			r->start = r->end;
			r->scanned = 0;
		} else if (r->maxline != 0 && avail > r->maxline) {
			r->skipping = 1;
			r->start = r->end;
			r->scanned = 0;
			r->lineno++;
			r->nonrecords++;
			ds_metrics.recv[DS_RECV_LONG]++;
			errno = EMSGSIZE;
			return -1;
		}
		if (r->eof) {
			if (avail == 0 || r->skipping) {
				r->skipping = 0;
				return 0;
			}
			if (r->replayed && r->mode == DS_STREAM) {
				r->start = r->end;
				r->scanned = 0;
				r->inbatch = 1;
				return 0;
			}
			*line = r->buf + r->start;
			*len = avail;
			r->start = r->end;
			r->scanned = 0;
			r->lineno++;
			return 1;
		}
		if ((n = fill(r)) == -1)
			return -1;
		if (n == 0)
			r->eof = 1;
	}
}

static int
grow_fields(struct ds_reader *r)
{
	struct ds_field *f;
	size_t ncap = r->fieldcap * 2;

	if ((f = reallocarray(r->field, ncap, sizeof(*f))) == NULL)
		return -1;
	r->field = f;
	r->fieldcap = ncap;
	return 0;
}

static inline int
add_field(struct ds_reader *r, char *p, size_t len)
{
	if (r->nfield == r->fieldcap && grow_fields(r) == -1)
		return -1;
	r->field[r->nfield].data = p;
	r->field[r->nfield].len = len;
	r->nfield++;
	return 0;
}

/* A bit for each of the 16 bytes at p that is a TAB, an LF or a backslash. */
static inline unsigned
specials16(const char *p)
{
#ifdef __SSE2__
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);

	return _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
	    _mm_cmpeq_epi8(x, _mm_set1_epi8('\t')),
	    _mm_cmpeq_epi8(x, _mm_set1_epi8('\n'))),
	    _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
#else
	unsigned i, m = 0;

	for (i = 0; i < 16; i++)
		if (p[i] == '\t' || p[i] == '\n' || p[i] == '\\')
			m |= 1U << i;
	return m;
#endif
}

/*
 * The common case of a ds stream in one pass: a short record line with no
 * escape, whole in the buffer, of no more fields than r->field holds.
 * Sixteen bytes at a time, find its TABs and its LF (the scan may look up
 * to 15 bytes past the buffered bytes, at the SLACK).  Returns 1 with the
 * record split, or 0, having consumed nothing, for anything else, which
 * the general path then reads.
 */
static inline int
fast_record(struct ds_reader *r)
{
	char *line = r->buf + r->start, *end = r->buf + r->end;
	char *p, *q, *start = line;
	struct ds_field *f = r->field;
	size_t n = 0, cap = r->fieldcap;
	unsigned m;

	if (line == end || *line == '#' || *line == '%' || r->maxline != 0)
		return 0;
	for (p = line; p < end && p - line < FAST_LINE; p += 16) {
		for (m = specials16(p); m != 0; m &= m - 1) {
			q = p + __builtin_ctz(m);
			if (q >= end || *q == '\\' || n == cap)
				return 0;
			f[n].data = start;
			f[n].len = q - start;
			n++;
			start = q + 1;
			if (*q == '\n') {
				r->nfield = n;
				r->rec = line;
				r->reclen = q - line;
				r->unescaped = 0;
				r->start = start - r->buf;
				r->scanned = 0;
				r->lineno++;
				r->inbatch = 1;
				return 1;
			}
		}
	}
	return 0;
}

/*
 * Split a record line that fast_record did not take: an escaped one, a
 * long one, or one read under a line limit or as a record line.
 */
static int
split_line(struct ds_reader *r, char *line, size_t len)
{
	return memchr(line, '\\', len) == NULL ?
	    split_raw(r, line, len) : split_escaped(r, line, len);
}

/* Split a line with no escapes on TAB: the line is the record. */
static int
split_raw(struct ds_reader *r, char *line, size_t len)
{
	char *p = line, *end = line + len, *tab;

	r->nfield = 0;
	r->rec = line;
	r->reclen = len;
	r->unescaped = 0;
	while ((tab = memchr(p, '\t', end - p)) != NULL) {
		if (add_field(r, p, tab - p) == -1)
			return -1;
		p = tab + 1;
	}
	return add_field(r, p, end - p);
}

/*
 * Split an escaped record line.  Escaped TABs are two bytes, so every TAB
 * byte separates fields; each field is unescaped in place and moved down
 * so that the record stays one run of fields joined by TAB.
 */
static int
split_escaped(struct ds_reader *r, char *line, size_t len)
{
	char *s = line, *end = line + len, *w = line, *tab, *fe;
	size_t n;
	unsigned char c;

	r->nfield = 0;
	for (;;) {
		tab = memchr(s, '\t', end - s);
		fe = tab != NULL ? tab : end;
		if (ds_unescape(w, s, fe - s, &n) == -1) {
			if (s + n + 1 == fe)
				return bad(r, "backslash at end of field");
			c = s[n + 1];
			if (c > ' ' && c < 0x7f && c != '"')
				return bad(r, "invalid escape \"\\%c\"", c);
			return bad(r, "invalid escape: backslash and byte "
			    "0x%02x", c);
		}
		if (add_field(r, w, n) == -1)
			return -1;
		w += n;
		if (tab == NULL)
			break;
		*w++ = '\t';
		s = tab + 1;
	}
	r->rec = line;
	r->reclen = w - line;
	r->unescaped = 1;
	return 0;
}

static int
batch_end(struct ds_reader *r, const char *line, size_t len)
{
	size_t i;
	int64_t t = 0;

	for (i = 1; i < len && line[i] >= '0' && line[i] <= '9'; i++) {
		if (t > (INT64_MAX - (line[i] - '0')) / 10)
			return bad(r, "batch time out of range");
		t = t * 10 + (line[i] - '0');
	}
	if (i == 1 || (i < len && line[i] != ' '))
		return bad(r, "malformed batch end");
	if (t <= r->lasttime)
		return bad(r, "batch time %lld does not follow %lld",
		    (long long)t, (long long)r->lasttime);
	r->time = r->lasttime = t;
	r->inbatch = 0;
	r->synthetic = 0;
	tell_metrics(r);
	return DS_BATCH;
}

int
ds_read(struct ds_reader *r)
{
	if (r->mode == DS_STREAM && !ds_interrupted && fast_record(r))
		return DS_RECORD;
	return read_item(r);
}

/*
 * ds_read for everything but the common case, out of line so that the
 * common case needs no stack frame.
 */
static int
read_item(struct ds_reader *r)
{
	char *line;
	size_t len;
	int64_t now;
	int rc;

	for (;;) {
		/* Asked to stop, a ds stream ends at a batch boundary. */
		if (ds_interrupted && r->mode == DS_STREAM && !r->inbatch)
			return DS_EOF;
		if ((rc = next_line(r, &line, &len)) == -1)
			return -1;
		if (rc == 0) {
			add_metrics(r);
			if (!r->inbatch)
				return DS_EOF;
			if (r->replayed && r->mode == DS_STREAM) {
				r->inbatch = 0;
				r->torn = 1;
				return DS_EOF;
			}
			if (r->lasttime == INT64_MAX)
				return bad(r, "no batch time after %lld for "
				    "the last records", (long long)INT64_MAX);
			now = ds_now_ms();
			r->time = now > r->lasttime ? now : r->lasttime + 1;
			r->lasttime = r->time;
			r->inbatch = 0;
			r->synthetic = 1;
			ds_metrics.endread = ds_metrics.now;
			ds_metrics.intime = r->time;
			return DS_BATCH;
		}
		if (!r->started) {
			r->started = 1;
			if (len == 4 && memcmp(line, "#ds1", 4) == 0 &&
			    (r->mode == DS_AUTO || r->mode == DS_AUTO_LINES)) {
				r->mode = DS_STREAM;
				r->nonrecords++;
				continue;
			}
			if (r->mode == DS_AUTO)
				r->mode = DS_RAW;
			else if (r->mode == DS_AUTO_LINES)
				r->mode = DS_LINES;
		}
		if (r->mode == DS_RAW || r->mode == DS_LINES) {
			if ((r->mode == DS_RAW ? split_raw(r, line, len) :
			    split_line(r, line, len)) == -1)
				return -1;
			r->inbatch = 1;
			tell_metrics(r);
			return DS_RECORD;
		}
		r->nonrecords += len > 0 && (line[0] == '#' || line[0] == '%');
		if (len > 0 && line[0] == '#') {
			if (len == 4 && memcmp(line, "#ds1", 4) == 0 &&
			    r->inbatch)
				return bad(r, "stream header inside a batch");
			continue;
		}
		if (len > 0 && line[0] == '%')
			return batch_end(r, line, len);
		if (split_line(r, line, len) == -1)
			return -1;
		r->inbatch = 1;
		return DS_RECORD;
	}
}

int
ds_reader_buffered(const struct ds_reader *r)
{
	return memchr(r->buf + r->start + r->scanned, '\n',
	    r->end - r->start - r->scanned) != NULL;
}

/*
 * A line with no escape holds no backslash in a ds stream, but a raw one
 * may, and either may hold a CR, which a writer escapes.
 */
int
ds_record_clean(const struct ds_reader *r)
{
	return !r->unescaped && memchr(r->rec, '\r', r->reclen) == NULL &&
	    (r->mode != DS_RAW || memchr(r->rec, '\\', r->reclen) == NULL);
}

int
ds_record_verbatim(const struct ds_reader *r)
{
	return ds_record_clean(r) && (r->reclen == 0 ||
	    (r->rec[0] != '#' && r->rec[0] != '%'));
}

int
ds_reader_line(const struct ds_reader *r, struct ds_buf *b)
{
	if (!ds_record_verbatim(r))
		return ds_escape_line(b, r->field, r->nfield);
	if (ds_buf_reserve(b, r->reclen + 1) == -1)
		return -1;
	memcpy(b->data + b->len, r->rec, r->reclen);
	b->len += r->reclen;
	b->data[b->len++] = '\n';
	return 0;
}

/*
 * Add what r read since the last call to the metrics: records are the
 * lines that were none of the others, counted here rather than once a
 * record on the hot path.
 */
static void
add_metrics(struct ds_reader *r)
{
	uint64_t recs = r->lineno - r->nonrecords;
	uint64_t bytes = r->nread - (r->end - r->start);

	if (r->unmetered)
		return;
	ds_metrics.records += recs - r->mrecords;
	ds_metrics.bytes += bytes - r->mbytes;
	r->mrecords = recs;
	r->mbytes = bytes;
}

/*
 * A batch end or a raw record was read: what the next batch itemized
 * needs.  Past the batches a datagram itemizes, the counts wait for the
 * next read(2), which costs more than they do.
 */
static inline void
tell_metrics(struct ds_reader *r)
{
	if (ds_metrics.full || r->unmetered)
		return;
	add_metrics(r);
	if (ds_metrics.first == 0)
		ds_metrics.first = ds_metrics.now;
	if (r->mode == DS_STREAM && !r->inbatch) {
		ds_metrics.endread = ds_metrics.now;
		ds_metrics.intime = r->time;
	}
}

char *
ds_reader_error(const struct ds_reader *r, int e, char *buf, size_t size)
{
	if (e == EBADMSG)
		snprintf(buf, size, "%s:%llu: %s", r->name,
		    (unsigned long long)r->lineno, r->why);
	else if (e == EMSGSIZE)
		snprintf(buf, size, "%s:%llu: line longer than %zu bytes",
		    r->name, (unsigned long long)r->lineno, r->maxline);
	else
		snprintf(buf, size, "%s: %s", r->name, strerror(e));
	return buf;
}
