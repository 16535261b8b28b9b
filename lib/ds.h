/*
 * ds.h: the shared library of the ds programs, the one place that knows
 * the stream format of ds(5).
 *
 * Nothing in lib/ prints or exits, except the functions of cli.c whose
 * names end in _or_die.  Everything else returns -1 (or a negative status)
 * with errno set and leaves the words to the program.
 */
#ifndef DS_H
#define DS_H

#include <sys/types.h>

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>
#include <string.h>

#ifndef __dead
#define __dead	__attribute__((__noreturn__))
#endif

/*
 * buf.c: a growable byte buffer.  data may hold any bytes, NUL included;
 * it is not NUL-terminated unless the user appends one.
 */
struct ds_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

/* Make room for extra more bytes.  0, or -1 with errno ENOMEM/EOVERFLOW. */
int	ds_buf_reserve(struct ds_buf *, size_t extra);
/* Append len bytes.  0, or -1 with errno as ds_buf_reserve. */
int	ds_buf_append(struct ds_buf *, const void *, size_t len);
/* Release the memory; the buffer is empty and reusable afterwards. */
void	ds_buf_free(struct ds_buf *);
/*
 * Write the bytes from *off on to fd, a non-blocking one: as many as it
 * takes now.  Returns 0 when none is left (the buffer is then empty), 1
 * when some are, or -1 with errno from write(2).
 */
int	ds_buf_drain(struct ds_buf *, size_t *off, int fd);

/*
 * A record is an array of fields, each a pointer and a length into
 * memory the record's producer owns.
 */
struct ds_field {
	char	*data;
	size_t	 len;
};

/*
 * Copy the eight bytes at src to dst, and say how many of them, from the
 * first, are neither below b (at most 0x80) nor a backslash: 8 when all
 * of them are.  The hot loops of escaping and splitting copy text this
 * way.  In the masks the high bit of a byte is set when it matches; only
 * the lowest is exact (a borrow may flag bytes above it), and it comes
 * first, the bytes being loaded little-endian.
 */
static inline size_t
ds_copy8_plain(char *dst, const char *src, unsigned char b)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	uint64_t x, bs, m;

	memcpy(&x, src, sizeof(x));
	memcpy(dst, src, sizeof(x));
	bs = x ^ '\\' * ones;
	m = ((x - b * ones) & ~x & highs) | ((bs - ones) & ~bs & highs);
	return m == 0 ? 8 : (size_t)__builtin_ctzll(m) >> 3;
}

/*
 * escape.c: the field escapes of ds(5).  Inside a field, backslash, TAB,
 * LF and CR are written \\, \t, \n and \r; a record line that would begin
 * with '#' or '%' gets a leading backslash.
 */

/* Nonzero when byte c must be escaped inside a field. */
extern const unsigned char ds_escape_needed[256];

/*
 * Write the escaped form of len bytes at src to dst, which has room for
 * 2 * len bytes; returns the length written.  The leading '#'/'%' rule
 * is the writer's, since only it knows where a line starts.
 */
size_t	ds_escape(char *dst, const char *src, size_t len);

/*
 * Append n fields to b escaped and joined by TAB: a record line but for
 * the leading '#'/'%' rule and the LF.  0, or -1 with errno ENOMEM.
 */
int	ds_escape_record(struct ds_buf *, const struct ds_field *, size_t n);
/*
 * Append n fields to b as a whole record line of ds(5): escaped, joined
 * by TAB, with the leading '#'/'%' rule and the LF.  0, or -1/ENOMEM.
 */
int	ds_escape_line(struct ds_buf *, const struct ds_field *, size_t n);

/*
 * Append the record a reader has just returned as ds_escape_record
 * appends it: its line as read, in one copy, when ds_record_clean says
 * that is the same, else its fields escaped.  0, or -1 with errno ENOMEM.
 */
struct ds_reader;
int	ds_escape_read(struct ds_buf *, const struct ds_reader *);

/*
 * Quote len bytes for a message: C-style escapes for what is not
 * printable ASCII, cut with "..." to fit size bytes (NUL included, size
 * at least 16).  Returns dst.
 */
char	*ds_quote(char *dst, size_t size, const char *src, size_t len);

/*
 * Unescape len bytes at src into dst, which may be src itself or lie
 * before it.  Stores the result's length in *out and returns 0, or
 * returns -1 with errno EBADMSG and the offset of the offending
 * backslash in *out.
 */
int	ds_unescape(char *dst, const char *src, size_t len, size_t *out);

/*
 * reader.c: reads a ds stream (or a raw text stream, see ds(5)) from a
 * file descriptor, never holding more than the current line.
 */
enum {
	DS_EOF = 0,		/* clean end of the stream */
	DS_RECORD = 1,		/* a record is in r->field[0..nfield-1] */
	DS_BATCH = 2		/* a batch ended; its time is r->time */
};

/* Reader modes, for ds_reader_init. */
#define DS_AUTO		0	/* ds stream if the first line is #ds1, else raw */
#define DS_RAW		1	/* always raw: lines as records, no escapes */
#define DS_STREAM	2	/* set by the reader: a ds stream */
#define DS_AUTO_LINES	3	/* ds stream if the first line is #ds1,
				   else record lines */
#define DS_LINES	4	/* set by the reader: every line a record
				   line of ds(5), escapes undone, no batch
				   ends */

/*
 * Bytes that may be read past the start of any field a reader returns,
 * its end included: the field's line lies in the reader's buffer, which
 * has this many more bytes past its end.
 */
#define DS_READ_PAD	16

struct ds_writer;

struct ds_reader {
	int		 fd;
	const char	*name;		/* for messages: "stdin", a path */
	int		 mode;		/* DS_AUTO turns into DS_RAW or
					   DS_STREAM at the first line,
					   DS_AUTO_LINES into DS_LINES or
					   DS_STREAM */
	int		 started;	/* the first line has been seen */
	int		 eof;		/* read(2) returned 0 */
	int		 inbatch;	/* records since the last batch end */

	char		*buf;		/* unread bytes are buf[start..end) */
	size_t		 cap;
	size_t		 start;
	size_t		 end;
	size_t		 scanned;	/* bytes after start known to hold
					   no LF */
	size_t		 maxline;	/* 0: no limit */
	int		 skipping;	/* discarding the rest of a line
					   longer than maxline */

	uint64_t	 lineno;	/* the line just returned, 1-based */
	int64_t		 time;		/* after DS_BATCH: the batch time */
	int64_t		 lasttime;	/* the previous batch time, or -1 */
	int		 synthetic;	/* the last batch end was made up at
					   EOF, not read */
	int		 torn;		/* after DS_EOF: the stream ended
					   inside a batch, left to replay */
	int		 replayed;	/* $DS_CHECKPOINT is set: a torn
					   batch is the replay's, not ours */

	char		*rec;		/* the record, fields joined by TAB,
					   unescaped (not NUL-terminated) */
	size_t		 reclen;
	int		 unescaped;	/* escapes were undone in rec: a
					   TAB there may be a field's */
	struct ds_field	*field;
	size_t		 nfield;
	size_t		 fieldcap;

	struct ds_writer *flush;	/* flushed before a read would wait */
	uint64_t	 nread;		/* bytes read(2), for the metrics */
	uint64_t	 nonrecords;	/* lines that were no record */
	uint64_t	 mrecords;	/* records and bytes already added */
	uint64_t	 mbytes;	/* to ds_metrics */
	int		 unmetered;	/* not the stage's input: left out
					   of the metrics */
	int		 nowait;	/* fail with EAGAIN rather than wait */
	char		 why[96];	/* after EBADMSG: what was wrong */
};

/*
 * Set (by a program's signal handler, see ds_read_or_die) to ask every
 * reader for a graceful stop: a ds stream then ends at its next batch
 * boundary, a raw input at the end of what was already read.
 */
extern volatile sig_atomic_t ds_interrupted;

/*
 * Prepare r to read fd.  name is kept (not copied) for messages.  mode is
 * DS_AUTO, DS_AUTO_LINES or DS_RAW.  Returns 0, or -1 with errno ENOMEM.
 */
int	ds_reader_init(struct ds_reader *, int fd, const char *name, int mode);
void	ds_reader_free(struct ds_reader *);

/*
 * Read the next item.  Returns DS_RECORD, DS_BATCH or DS_EOF, or -1 with
 * errno set:
 *	EBADMSG		malformed stream; r->why says how, r->lineno where
 *	EMSGSIZE	a line longer than r->maxline (when nonzero); the
 *			line is discarded up to its LF and reading goes on
 *	EAGAIN		r->nowait is set (or fd is non-blocking) and no
 *			complete line is there yet; call again when fd is
 *			readable (nothing is lost)
 *	anything else	from read(2) or malloc(3)
 * A record's fields point into the reader's buffer and stay valid until
 * the next call.  At EOF after records with no batch end, a final batch
 * is closed (DS_BATCH with r->synthetic set): its time is the clock's,
 * or one millisecond after the previous batch's if that is later.  But
 * a ds stream read with $DS_CHECKPOINT set ends there (DS_EOF with
 * r->torn set): the stage before died, and the source will replay the
 * batch whole, with its true time, which a made-up end would hide from
 * every stage after this one.  A last line without LF is a line, but
 * there: it is what the stage before left of a line it died writing
 * ("%1000" of "%100000"), dropped, and the batch torn.
 */
int	ds_read(struct ds_reader *);

/* Nonzero when a complete line is already buffered (no read(2) needed). */
int	ds_reader_buffered(const struct ds_reader *);
/*
 * The words for a failed ds_read whose errno was e, into buf: "NAME:LINE:
 * what was wrong" for a malformed stream or a line too long, else "NAME:
 * strerror".  Returns buf.
 */
char	*ds_reader_error(const struct ds_reader *, int e, char *buf,
	    size_t size);
/*
 * Append the record just read to b as a record line of ds(5), LF
 * included: its line as read, in one copy, when ds_record_verbatim says
 * that is the same, else its fields escaped.  0, or -1/ENOMEM.
 */
int	ds_reader_line(const struct ds_reader *, struct ds_buf *);

/*
 * Nonzero when no field of the record just read holds a byte that a
 * writer escapes (TAB, LF, CR, backslash): rec, whose TABs then all
 * separate fields, is the record's line as ds_write_record writes it,
 * but for the leading '#'/'%' rule, which ds_write_escaped applies.
 * Zero when one may: any line whose escapes were undone.  A program
 * passing records through writes a clean one as it is, the rest field
 * by field.
 */
int	ds_record_clean(const struct ds_reader *);
/*
 * Nonzero when the record just read is clean and its line does not begin
 * with '#' or '%': rec is then its whole record line of ds(5) but for the
 * LF.
 */
int	ds_record_verbatim(const struct ds_reader *);

/*
 * writer.c: buffered output of a ds stream (or of plain bytes) to a file
 * descriptor.  Every function returns 0, or -1 with errno from write(2)
 * or malloc(3); after an error the writer keeps failing.
 */
struct ds_writer {
	int	 fd;
	char	*buf;
	size_t	 len;
	size_t	 cap;
	size_t	 nfield;	/* fields written into the current record */
	int	 pending;	/* a finished batch is in buf */
	int	 error;		/* errno of the first failure, or 0 */
};

int	ds_writer_init(struct ds_writer *, int fd);
/* Flush and release the buffer; does not close fd. */
int	ds_writer_close(struct ds_writer *);
int	ds_writer_flush(struct ds_writer *);
/* Write the #ds1 stream header. */
int	ds_write_header(struct ds_writer *);
/* Append one field to the current record, escaped. */
int	ds_write_field(struct ds_writer *, const void *, size_t);
/* End the current record (a record of no field is one empty field). */
int	ds_write_end(struct ds_writer *);
/*
 * Append a field that is already escaped (as ds_escape writes it); only
 * the separator and the leading '#'/'%' rule are added.  Its bytes may
 * hold several fields joined by TAB.
 */
int	ds_write_escaped(struct ds_writer *, const void *, size_t);
/* Write a whole record. */
int	ds_write_record(struct ds_writer *, const struct ds_field *, size_t);
/* Write a batch end of time ms, and mark the batch finished. */
int	ds_write_batch(struct ds_writer *, int64_t ms);
/* Write bytes as they are (for programs that leave the ds format). */
int	ds_write_bytes(struct ds_writer *, const void *, size_t);
/*
 * Mark a finished unit of output (a batch).  A reader whose flush member
 * points here flushes it before a read that would wait, so a finished
 * batch never sits in the buffer while back-to-back batches still leave
 * in large writes.
 */
void	ds_writer_mark(struct ds_writer *);
/*
 * Make room for n more bytes at w->buf + w->len, flushing first (n may
 * exceed the buffer): for a program that builds its lines in place, then
 * adds their length to w->len.
 */
int	ds_writer_room(struct ds_writer *, size_t n);

/*
 * metrics.c: each program's report of the batches it closes, fed by the
 * reader and the writer of stdout, sent as datagrams (ds-ui(1) has the
 * format) to $DS_METRICS, or by default to the socket that
 * ds_metrics_default names; DS_METRICS=off sends nothing.  Sending never
 * waits: a missing listener or a full socket loses the report, nothing
 * else.  A datagram leaves at most every DS_METRICS_EVERY ms, holding the
 * first DS_METRICS_ITEMS batches closed since the last one by one, and
 * the count of the others.
 */
#define DS_METRICS_EVERY	100
#define DS_METRICS_ITEMS	64

/* What sources received, besides the lines and bytes their readers count. */
enum {
	DS_RECV_DATAGRAMS,
	DS_RECV_CONNECTIONS,
	DS_RECV_RECONNECTS,
	DS_RECV_LONG,		/* lines over the limit, dropped */
	DS_RECV_LATE,		/* records behind the watermark */
	DS_RECV_N
};

/* The state the reader and the writer update; the hot paths read on. */
struct ds_metrics {
	int		 on;		/* 1 reporting, -1 not, 0 unknown yet */
	int		 pending;	/* batches not sent yet */
	int		 full;		/* the datagram itemizes no more, or
					   the metrics are off: only count */
	int64_t		 start;		/* when the program started */
	int64_t		 now;		/* the clock at the last read(2) */
	int64_t		 first;		/* the first read since the last
					   batch closed, or 0 */
	int64_t		 endread;	/* when the last batch end was read,
					   or 0 */
	int64_t		 intime;	/* the last batch time read */
	uint64_t	 records;	/* records read, all readers */
	uint64_t	 bytes;		/* bytes of them */
	uint64_t	 batches;	/* batch ends written to stdout */
	uint64_t	 marks;		/* batches closed with no batch end
					   line (ds_writer_mark) */
	uint64_t	 outnonrec;	/* header lines written to stdout */
	uint64_t	 recv[DS_RECV_N];
};
extern struct ds_metrics ds_metrics;

/* Decide from the environment whether to report (once; cheap after). */
void	ds_metrics_init(void);
/*
 * The default socket: $XDG_RUNTIME_DIR/ds/metrics when XDG_RUNTIME_DIR
 * is set, else /tmp/ds-UID/metrics.  0, or -1 with errno ENAMETOOLONG.
 */
int	ds_metrics_default(char *, size_t);
/*
 * A batch of time t has been closed on stdout through w, its batch end
 * line written when line is set.  Past the batches a datagram itemizes,
 * it is only counted: this runs for every batch.
 */
void	ds_metrics_item(struct ds_writer *, int64_t t);
static inline void
ds_metrics_batch(struct ds_writer *w, int64_t t, int line)
{
	if (line)
		ds_metrics.batches++;
	else
		ds_metrics.marks++;
	if (!ds_metrics.full)
		ds_metrics_item(w, t);
}
/* Bytes written to stdout, from w's buffer or past it. */
void	ds_metrics_wrote(struct ds_writer *, const char *, size_t);
/*
 * Read the clock and send if due: after a read(2), which brought data
 * when got is set, or before one that would wait.
 */
void	ds_metrics_tick(int got);
/* A source received n more of what (DS_RECV_...). */
void	ds_metrics_count(int what, uint64_t n);

/*
 * monitor.c: the listener of the metrics (ds-ui, ds-top): datagrams of
 * the user's own processes only (SO_PASSCRED), the last ringcap batches
 * of each stage, stages chained into pipelines by their pipes.
 */
struct ds_mon_batch {
	int64_t		 time;
	uint64_t	 rin, bin, rout, bout;
	int64_t		 sched, proc, total;	/* ms */
};

#define DS_MON_NBOUNDS	12
/* The processing time histogram's upper bounds, ms (and +Inf). */
extern const int64_t ds_mon_bounds[DS_MON_NBOUNDS];

struct ds_mon_stage {
	pid_t		 pid;
	long		 pgid;
	int64_t		 start;		/* the stage's, by its clock */
	int64_t		 last;		/* its last datagram's time */
	int64_t		 seen;		/* when that came, by ours */
	int		 ended;
	int		 gone;		/* private: being expired */
	long		 pipe;		/* index in the last ds_mon_pipes */
	char		 prog[64];	/* argv[0]'s base name */
	char		*cmd;		/* the command line, for people */
	char		 in[48], out[48];	/* DEV:INO of the pipes, or - */
	uint64_t	 seq, lost;	/* datagrams lost on the way */
	uint64_t	 batches, rin, bin, rout, bout;
	uint64_t	 unitemized;	/* batches counted only */
	uint64_t	 recv[DS_RECV_N];
	uint64_t	 hist[DS_MON_NBOUNDS + 1];	/* processing times */
	int64_t		 histsum;
	uint64_t	 histcount;
	struct ds_mon_batch *ring;	/* oldest at head */
	size_t		 ringcap, head, nring;
};

struct ds_mon {
	int		 fd;
	char		 path[108];
	size_t		 ringcap;	/* batches kept a stage */
	int64_t		 keep;		/* ms an ended pipeline stays */
	struct ds_mon_stage **stage;
	size_t		 nstage;
	uint64_t	 datagrams, refused, malformed;
	char		*buf;
};

/* A pipeline: its stages in the data's order; id is the first's pid. */
struct ds_mon_pipe {
	char		 id[24];
	struct ds_mon_stage **stage;
	size_t		 n;
	int		 ended;
	int64_t		 start, end;	/* end: the last datagram's time */
};

/* A pipeline's batch (see ds_mon_pipe_batches). */
struct ds_mon_pbatch {
	int64_t		 time;
	uint64_t	 records;
	int64_t		 sched, proc, total;
	int		 known;		/* the first stage's batch is kept */
};

struct ds_mon_summary {
	int64_t		 interval;	/* the smallest step, ms; 0 unknown */
	uint64_t	 batches, records, retained, inrecords;
	double		 rate;		/* records a second, retained */
	int64_t		 sched, proc, total;	/* their means, ms */
};

/*
 * Bind the socket path (mon->ringcap and keep set first); at the default
 * place, its directory is made mode 0700 or must be so.  -1 with errno:
 * EADDRINUSE when a listener has it, EPERM for a directory not ours.
 */
int	ds_mon_open(struct ds_mon *, const char *path, int isdefault);
void	ds_mon_close(struct ds_mon *);
/* Take every datagram waiting.  0, or -1 with errno from recvmsg(2). */
int	ds_mon_receive(struct ds_mon *, int64_t now);
/*
 * Take one datagram (ds-ui(1) has the format) of len bytes at s, which
 * is changed and has a NUL at s[len], from process pid.  0, or -1 when
 * it is malformed or memory ran out (what it held so far is kept).
 */
int	ds_mon_parse(struct ds_mon *, char *s, size_t len, pid_t pid,
	    int64_t now);
/* Forget pipelines ended more than mon->keep ago. */
void	ds_mon_expire(struct ds_mon *, int64_t now);
/* The pipelines, into *out (ds_mon_pipes_free); their count. */
size_t	ds_mon_pipes(struct ds_mon *, struct ds_mon_pipe **out);
void	ds_mon_pipes_free(struct ds_mon_pipe *, size_t);
/* The i-th batch kept of a stage, from the oldest. */
const struct ds_mon_batch *ds_mon_batch_at(const struct ds_mon_stage *,
	    size_t i);
/* The pipeline's last batches, at most max, oldest first; their count. */
size_t	ds_mon_pipe_batches(const struct ds_mon_pipe *,
	    struct ds_mon_pbatch *, size_t max);
void	ds_mon_summary(const struct ds_mon_pipe *, struct ds_mon_summary *);

/*
 * climon.c: main()'s conveniences for the listeners; they exit 1.  The
 * socket to listen on, into path (size bytes): $DS_METRICS, or the
 * default one (ds_metrics_default), for which it returns 1, else 0;
 * DS_METRICS=off is an error.
 */
int	ds_mon_path_or_die(char *path, size_t size);
/* ds_mon_open, saying so when another listener has the socket. */
void	ds_mon_open_or_die(struct ds_mon *, const char *path, int isdefault);

/*
 * progress.c: a progress line for long work, as pv(1) shows one.
 */
struct ds_progress {
	int64_t		 start;		/* ms */
	uint64_t	 bytes, lines;
	uint64_t	 total;		/* bytes in all, 0 unknown */
};

/*
 * Write into buf (NUL-terminated) "12.3MiB of 100MiB (12%), 12345 lines,
 * 45.6MiB/s, 0:00:02 left", or without the total when it is unknown;
 * returns the length.
 */
size_t	ds_progress_format(char *, size_t, const struct ds_progress *,
	    int64_t now);

/*
 * merge.c: reads several streams at once and lines their batches up on
 * batch time, for the programs that combine streams (union, join).  An
 * input is read only when it can be without waiting, so a slow input
 * never stalls the others; an input whose batch has ended is not read
 * again until that batch's time has been handed over, so at most one
 * batch of each input is pending.  Batch T is handed over once every
 * input still running has ended a batch at T or later, in increasing
 * time order; an input that ended no longer holds the others back.
 *
 *	ds_merge_init(&m, in, n);
 *	while ((rc = ds_merge_next(&m, &i)) != DS_EOF)
 *		if rc is DS_RECORD, keep in[i]'s record with input i's batch;
 *		if DS_BATCH, write batch m.time from the inputs for which
 *		ds_merge_at(&m, i), and forget what was kept of those only
 *
 * ds_merge_keep and ds_merge_write do that keeping and writing for a
 * program that writes the inputs' records as they are, input by input.
 */
struct ds_merge_slot;
struct pollfd;

struct ds_merge {
	struct ds_reader	*in;	/* the caller's array of inputs */
	size_t			 nin;
	struct ds_writer	*flush;	/* flushed before a wait, or NULL */
	int64_t			 time;	/* after DS_BATCH: the batch time */
	size_t			 failed; /* after -1: the input whose read
					   failed, or SIZE_MAX when poll(2)
					   or the flush did */
	struct ds_merge_slot	*slot;	/* private: each input's state */
	struct pollfd		*pfd;
	size_t			 cur;	/* the input read last */
	int			 handed; /* batch time was handed over */
	int			 nowait; /* fail with EAGAIN, not wait */
	size_t			 npoll;	/* after EAGAIN: pfd[0..npoll) are
					   what to wait for */
};

/*
 * Prepare m to read the n inputs in[0..n-1], already initialized with
 * ds_reader_init; their nowait is set.  Returns 0, or -1 with errno
 * ENOMEM.
 */
int	ds_merge_init(struct ds_merge *, struct ds_reader *in, size_t n);
void	ds_merge_free(struct ds_merge *);
/*
 * Wait for the next item.  Returns DS_RECORD with *which the input whose
 * record it is (in in[*which], valid until the next call; it belongs to
 * that input's current batch), DS_BATCH when batch time m->time is
 * complete, or DS_EOF when every input has ended.  Returns -1 with errno
 * set and m->failed saying where: a malformed input leaves EBADMSG as
 * ds_read does, for ds_reader_die.  m->flush is flushed before any wait.
 * With m->nowait set it returns -1 with errno EAGAIN instead of waiting,
 * m->pfd[0..m->npoll) then being the descriptors to poll(2) for (events
 * set), so that a program can wait on those and its own at once.
 */
int	ds_merge_next(struct ds_merge *, size_t *which);
/*
 * After DS_BATCH: nonzero when input i's pending batch is the one of time
 * m->time, zero when i has no batch at that time (it has ended, or it is
 * at a later time and its records must be kept).
 */
int	ds_merge_at(const struct ds_merge *, size_t i);
/*
 * After DS_RECORD: keep input *which's record, a ds(5) line, for its batch.
 * 0, or -1 with errno ENOMEM.
 */
int	ds_merge_keep(struct ds_merge *, size_t i);
/*
 * After DS_BATCH: write batch m->time, the records kept of the inputs at
 * that time, input by input, then its batch end, and forget them.  0, or
 * -1 with the writer's errno.
 */
int	ds_merge_write(struct ds_merge *, struct ds_writer *);

/*
 * fanout.c: one stream to several non-blocking pipes (ds_spawn's), each
 * through a queue of its own, for a poll loop that feeds several
 * processes and reads them too.  A queue of DS_FANOUT_MAX bytes or more
 * is full: the program then stops reading its input until the queue has
 * drained, so memory stays bounded and a slow reader slows the input.
 * An output whose reader has stopped reading (EPIPE), as head(1) does, is
 * closed and gets nothing more.  Every function returns 0, or -1 with
 * errno ENOMEM or from write(2), unless it says otherwise.
 *
 *	ds_fanout_init(&f, fd, n);
 *	for each record: if ds_fanout_record(&f, i, ...) is 1, wait;
 *	for each batch end: ds_fanout_batch(&f, t);
 *	when an output can take more: ds_fanout_flush(&f, i);
 *	at the end of the input: ds_fanout_end(&f), and flush on.
 */
#define DS_FANOUT_MAX	(64 * 1024)	/* what a pipe holds */

struct ds_fanout_out;

struct ds_fanout {
	struct ds_fanout_out	*out;
	size_t			 n;
	int			 ending; /* ds_fanout_end was called */
};

/* Take over the n descriptors fd[0..n-1]. */
int	ds_fanout_init(struct ds_fanout *, const int *fd, size_t n);
/* Close the outputs and release the memory. */
void	ds_fanout_free(struct ds_fanout *);
/*
 * Queue the record r has just read for output i, as ds_reader_line writes
 * it (nothing once the output is closed).  Returns 1 when its queue is
 * still full after writing what it takes.
 */
int	ds_fanout_record(struct ds_fanout *, size_t i,
	    const struct ds_reader *);
/* Queue bytes as they are for output i. */
int	ds_fanout_bytes(struct ds_fanout *, size_t i, const void *, size_t);
/* Queue a batch end of time t for every output. */
int	ds_fanout_batch(struct ds_fanout *, int64_t t);
/* Write what output i takes now; after ds_fanout_end, close it once empty. */
int	ds_fanout_flush(struct ds_fanout *, size_t i);
/* No more is queued: each output is closed once its queue has drained. */
void	ds_fanout_end(struct ds_fanout *);
/* Close output i now, dropping what it was yet to get. */
void	ds_fanout_close(struct ds_fanout *, size_t i);
/* Nonzero when output i is open, or when its queue is full. */
int	ds_fanout_open(const struct ds_fanout *, size_t i);
int	ds_fanout_full(const struct ds_fanout *, size_t i);
/* Nonzero when any queue is full: the input is not to be read. */
int	ds_fanout_blocked(const struct ds_fanout *);
/*
 * Fill pfd with the outputs that have bytes queued, for POLLOUT; returns
 * how many (at most n).
 */
size_t	ds_fanout_pollfds(const struct ds_fanout *, struct pollfd *);

/*
 * partition.c: the hash of ds-partition(1), XXH64 with seed 0 of the
 * key's bytes, and the copy of n (from 0) that a key goes to: the hash
 * modulo n.  Fixed: the test vectors of ds-partition(1) pin it.
 */
uint64_t ds_partition_hash(const void *, size_t);
size_t	ds_partition_of(const void *, size_t, size_t n);

/*
 * spawn.c: run a command with pipes to its standard input and from its
 * standard output, our ends of them non-blocking and close-on-exec.  The
 * command is found in PATH, runs with no shell, and gets SIGPIPE at its
 * default and no signal blocked; its standard error is ours.
 */
struct ds_child {
	pid_t	 pid;
	int	 in;		/* its standard input, for us to write */
	int	 out;		/* its standard output, for us to read */
};

#define DS_SPAWN_NOINT	1	/* it starts with SIGINT ignored */

/*
 * Start argv[0] with the arguments argv (NULL-terminated) and the
 * environment envp (NULL: ours).  0, or -1 with errno from pipe(2) or
 * posix_spawnp(3): ENOENT when no such command is found, EACCES when it
 * cannot be run.
 */
int	ds_spawn(struct ds_child *, char *const argv[], char *const envp[],
	    int flags);
/*
 * A pool of n processes of one command, the copies of a partitioned
 * stage: process i is started as ds_spawn starts it, with i in the
 * environment variable DS_PARTITION and n in DS_PARTITIONS.
 */
struct ds_pool {
	size_t		 n;	/* started */
	struct ds_child	*child;
	int		*done;	/* reaped */
};

/*
 * Start the n processes.  0, or -1 with errno as ds_spawn's, n then
 * saying how many were started.
 */
int	ds_pool_start(struct ds_pool *, char *const argv[], size_t n,
	    int flags);
/*
 * Reap process i: 1 with its wait(2) status in *status when it has exited
 * (waiting for that when block is set), 0 when it runs on or was reaped
 * already, -1 with errno.
 */
int	ds_pool_reap(struct ds_pool *, size_t i, int block, int *status);
/*
 * The exit status a shell gives a command it could not start with errno
 * e (as ds_spawn left it): 127 not found, 126 not runnable, else 1.
 */
int	ds_spawn_status(int e);
/* Send sig to every process not yet reaped. */
void	ds_pool_kill(struct ds_pool *, int sig);
/* Release the memory (the processes are the caller's to have reaped). */
void	ds_pool_free(struct ds_pool *);
/*
 * The pool's pipes as streams: out[i] (an array of p->n) a reader of
 * process i's standard output, DS_AUTO, named name; in a fanout to their
 * standard inputs, which it takes over, each begun with a ds stream's
 * header.  0, or -1 with errno ENOMEM and nothing made.
 */
int	ds_pool_streams(struct ds_pool *, struct ds_reader *out,
	    struct ds_fanout *in, const char *name);
/*
 * A copy of the environment env with the NAME=value strings of set
 * (NULL-terminated) in place of env's of those names; the strings are
 * not copied, the array is for free(3).  NULL with errno ENOMEM.
 */
char	**ds_env_set(char *const env[], char *const set[]);
/*
 * The words for a wait(2) status that is not a success, into buf:
 * "exited with status 3", "killed by signal 9".  Returns buf.
 */
char	*ds_status_text(char *buf, size_t size, int status);

/*
 * wake.c: signals for a poll loop, on the one self-pipe of the process
 * (receiver.c's too).  ds_wake_on makes sig write its number to the pipe
 * and returns the pipe's end to poll(2) for (the same for every signal),
 * or -1 with errno.  Its handler does nothing else but for DS_WAKE_STOP,
 * and interrupts blocking calls (no SA_RESTART).  ds_wake_next returns
 * the next signal that came, or 0 when none is left.
 */
#define DS_WAKE_STOP	0x1	/* the signal also sets ds_wake_stop */
#define DS_WAKE_ONCE	0x2	/* SA_RESETHAND: a second one does what
				   it did before, killing by default */
#define DS_WAKE_UNIGNORED 0x4	/* not when ignored: an interrupt a
				   shell has us ignore stays ignored */
/*
 * The last DS_WAKE_STOP signal that came, or 0: for a loop that looks
 * between callbacks without reading the pipe.
 */
extern volatile sig_atomic_t ds_wake_stop;
int	ds_wake_on(int sig, int flags);
int	ds_wake_next(void);

/*
 * num.c: numbers of aggregates.  An integer is [+-]?[0-9]+ and must fit
 * int64; a float is a decimal with a '.' or an exponent.  Integer
 * arithmetic is exact; overflow is an error, never a wrap.
 */
struct ds_num {
	int	 isfloat;
	int64_t	 i;
	double	 d;
};

#define DS_NUM_MAX	32	/* room for any formatted number, with NUL */

/*
 * Parse len bytes.  0 on success; -1 with errno EINVAL (not a number) or
 * ERANGE (an integer outside int64, or a float that overflows).
 */
int	ds_num_parse_slow(const char *, size_t, struct ds_num *);

/*
 * The common case inline: a few plain digits, which cannot overflow.
 * Nonzero, with the value in *v, when len bytes are 1 to 18 digits.
 */
static inline int
ds_num_small(const char *p, size_t len, int64_t *v)
{
	int64_t x = 0;
	size_t i;

	if (len == 0 || len > 18)
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		x = x * 10 + (p[i] - '0');
	}
	*v = x;
	return 1;
}

static inline int
ds_num_parse(const char *p, size_t len, struct ds_num *n)
{
	if (ds_num_small(p, len, &n->i)) {
		n->isfloat = 0;
		return 0;
	}
	return ds_num_parse_slow(p, len, n);
}
/*
 * DS_NUM_INT or DS_NUM_FLOAT when len bytes read as a decimal number
 * (no range check), else 0.
 */
#define DS_NUM_INT	1
#define DS_NUM_FLOAT	2
int	ds_num_syntax(const char *, size_t);
/* *acc += *x; a float on either side makes a float.  -1/ERANGE. */
int	ds_num_add(struct ds_num *acc, const struct ds_num *x);
/* *acc -= *x.  -1/ERANGE. */
int	ds_num_sub(struct ds_num *acc, const struct ds_num *x);
/* <0, 0, >0 as a compares to b. */
int	ds_num_cmp(const struct ds_num *, const struct ds_num *);
/* The value as a double. */
double	ds_num_double(const struct ds_num *);
/*
 * Format into buf (DS_NUM_MAX bytes): integers in decimal, floats as
 * the shortest string that reads back to the same double, as Python's
 * repr prints them (1.0, 0.1, 1e+16, inf, nan).  Returns the length.
 */
size_t	ds_num_format(const struct ds_num *, char *);
size_t	ds_double_format(double, char *);
/* Format an integer in decimal into buf (DS_NUM_MAX bytes). */
size_t	ds_int_format(int64_t, char *);

/*
 * agg.c: the aggregate operations shared by the keyed and windowed
 * programs: reduceByKey's function for the common cases.
 */
enum ds_op {
	DS_OP_SUM,
	DS_OP_COUNT,
	DS_OP_MIN,
	DS_OP_MAX,
	DS_OP_MEAN,
	DS_OP_FIRST,
	DS_OP_LAST,
	DS_OP_FN		/* the reducer of ds_agg_set_reducer */
};

struct ds_agg {
	int64_t		 count;		/* values added */
	struct ds_num	 num;		/* sum, min or max */
	struct ds_buf	 str;		/* first, last: the value's bytes */
	int		 isstr;		/* DS_OP_FN: the value is str */
};

/*
 * A user's reduce function, for DS_OP_FN: fn folds b into a (b being the
 * later), each a number or, with isstr, bytes.  It returns 0, or -1
 * setting why.  ds_agg_add and ds_agg_merge then fail with ECANCELED.
 */
struct ds_reducer {
	int		(*fn)(struct ds_reducer *, struct ds_agg *a,
			    const struct ds_agg *b);
	void		*ctx;
	const char	*why;
};

/* Set the reducer of DS_OP_FN (one a process). */
void	ds_agg_set_reducer(struct ds_reducer *);
/* The reducer set, or NULL. */
struct ds_reducer *ds_agg_reducer(void);

/* The op named s (sum, count, ...), or -1 with errno EINVAL. */
int	ds_op_parse(const char *);
/* The name of op. */
const char *ds_op_name(int op);
/* Nonzero when op reads its values as numbers. */
int	ds_op_numeric(int op);
/*
 * Add a value (ds_agg_add below is the way in).  Returns 0, or -1 with
 * errno EINVAL (not a number), ERANGE (a number out of range), EOVERFLOW
 * (the sum overflows) or ENOMEM.
 */
int	ds_agg_add_slow(struct ds_agg *, int op, const char *, size_t);

/* Add a value as ds_agg_add_slow does; counts and integer sums inline. */
static inline int
ds_agg_add(struct ds_agg *a, int op, const char *p, size_t len)
{
	int64_t v, sum;

	if (op == DS_OP_COUNT) {
		a->count++;
		return 0;
	}
	if (op == DS_OP_SUM && ds_num_small(p, len, &v)) {
		if (a->count == 0) {
			a->num.isfloat = 0;
			a->num.i = v;
			a->count = 1;
			return 0;
		}
		if (!a->num.isfloat &&
		    !__builtin_add_overflow(a->num.i, v, &sum)) {
			a->num.i = sum;
			a->count++;
			return 0;
		}
	}
	return ds_agg_add_slow(a, op, p, len);
}
/* Fold the aggregate from into into (from is later); -1/EOVERFLOW. */
int	ds_agg_merge(struct ds_agg *into, const struct ds_agg *from, int op);
/*
 * The result as text: into buf (DS_NUM_MAX bytes) for numbers, or a
 * pointer to the aggregate's own bytes; *len gets the length.
 */
const char *ds_agg_result(const struct ds_agg *, int op, char *buf,
	    size_t *len);
/* Release the memory of first/last; the aggregate is zeroed. */
void	ds_agg_free(struct ds_agg *);

/*
 * duration.c: durations as ds(7) spells them: an integer followed by ms,
 * s, m, h or d; a bare integer is seconds.  Stores milliseconds in *ms.
 * Returns 0, or -1 with errno EINVAL (bad syntax) or ERANGE.
 */
int	ds_duration_parse(const char *, int64_t *ms);

/*
 * time.c: wall-clock times in milliseconds since the Unix epoch.
 */
int64_t	ds_now_ms(void);
/*
 * Parse a time: milliseconds since the epoch, or ISO 8601
 * (YYYY-MM-DD[Thh:mm[:ss[.fff]]][Z|+hh:mm|-hh:mm]; no zone means local
 * time; a space may stand for the T).  0, or -1 with errno EINVAL.
 */
int	ds_time_parse(const char *, int64_t *ms);

/*
 * The time of a record's field, as a format says: DS_TIME_AUTO (epoch
 * seconds or milliseconds by magnitude, or ISO 8601), epoch seconds (a
 * fraction allowed), epoch milliseconds, ISO 8601 only, or a strptime(3)
 * format (local time unless it has %z).
 */
#define DS_TIME_AUTO	0
#define DS_TIME_S	1
#define DS_TIME_MS	2
#define DS_TIME_ISO	3
#define DS_TIME_STRF	4

struct ds_timefmt {
	int		 kind;
	const char	*strf;		/* DS_TIME_STRF: the format, kept */
};

/*
 * The format spec names: auto (or NULL), s, ms, iso, or any text with a
 * %, for strptime.  0, or -1 with errno EINVAL.
 */
int	ds_timefmt_parse(struct ds_timefmt *, const char *spec);
/*
 * Read len bytes as a time in milliseconds.  0, or -1 with errno EINVAL
 * (not a time in the format) or ERANGE (before the epoch, or beyond
 * what milliseconds in an int64 hold).
 */
int	ds_time_field(const struct ds_timefmt *, const char *, size_t,
	    int64_t *ms);

/*
 * The local calendar of TZ, for windows aligned to it.  A calendar step
 * is a whole number of days, or divides a day.
 */
#define DS_DAY_MS	86400000
/* Nonzero when d is a calendar step. */
int	ds_calendar_ok(int64_t d);
/*
 * The first boundary of step strictly after t: for days, a local
 * midnight whose day (numbered from 1970-01-01) is a multiple of the
 * days; else local midnight plus a multiple of step, before the next
 * midnight.  A day of a daylight-saving change is 23 or 25 hours.
 */
int64_t	ds_calendar_next(int64_t t, int64_t step);
/*
 * t minus length: whole days back to the same local time of day, or
 * plainly minus length when it is shorter than a day.
 */
int64_t	ds_calendar_back(int64_t t, int64_t length);

/*
 * clock.c: the batch clock of Spark Streaming.  Batch times are
 * multiples of the interval since the epoch, and batch T holds what
 * arrived in (T - interval, T].
 */
/* The batch an arrival at time now belongs to: the first multiple >= now. */
int64_t	ds_batch_of(int64_t now, int64_t interval);
/* The first batch time strictly after now (Spark's first batch). */
int64_t	ds_batch_after(int64_t now, int64_t interval);
/* Milliseconds from now until time t, 0 if t has passed, capped at INT_MAX. */
int	ds_ms_until(int64_t t, int64_t now);

/*
 * receiver.c: the loop of a source, Spark's receiver.  The loop keeps the
 * batch clock (batch ends written on the multiples of the interval, to
 * the nanosecond with ppoll(2), empty or not, never late), watches the
 * program's descriptors and timers and calls back when one is due, stops
 * on SIGINT or SIGTERM, after maxbatches batches, or when asked, and
 * keeps a slow downstream from being buried: while the writer's
 * descriptor does not poll writable, the inputs are not watched, so TCP
 * (or Kafka's own flow control) holds the senders back.  A downstream
 * that has gone (EPIPE, or POLLERR on the descriptor) is a quiet end.
 * The program's callbacks read their inputs and write records to out;
 * the loop writes the batch ends.  One loop a process (it owns the
 * handlers of SIGINT and SIGTERM, and ignores SIGPIPE).
 *
 *	ds_recv_init(&rv, &out, interval);
 *	id = ds_recv_watch(&rv, fd, POLLIN, 0, on_readable, ctx);
 *	if (ds_recv_run(&rv) == -1)
 *		(a callback's error, or out->error; see ds_recv_run)
 *
 * Callbacks return 0, or -1 with errno set to end ds_recv_run with that
 * error; they may add, change and remove watches and timers, and call
 * ds_recv_tick, ds_recv_end and ds_recv_stop.  A callback that reads for
 * long (a file, a flood) calls ds_recv_tick between pieces so that no
 * batch leaves late.  Times are milliseconds of ds_now_ms.
 */
#define DS_RECV_NEVER	INT64_MAX	/* a timer that is not armed */

/* Flags of a watch. */
#define DS_RECV_CONTROL	0x1	/* watched even while downstream blocks:
				   a connect in progress, a wakeup pipe;
				   not data */

/* Why ds_recv_run returned 0 (rv->why). */
#define DS_RECV_SIGNAL	1	/* SIGINT or SIGTERM (rv->signo) */
#define DS_RECV_COUNT	2	/* maxbatches batches were written */
#define DS_RECV_STOPPED	3	/* a callback called ds_recv_stop */
#define DS_RECV_GONE	4	/* the reader of out has gone */

struct ds_recv;
struct ds_recv_watch;
struct ds_recv_timer;

struct ds_recv {
	struct ds_writer *out;		/* the stream; the program writes its
					   header (and any replay) first */
	int64_t		 interval;	/* 0: no clock, the program ends
					   batches with ds_recv_end (event
					   time) */
	int64_t		 next;		/* the open batch's time; set by init,
					   the program may move it later
					   before ds_recv_run */
	long long	 maxbatches;	/* stop after so many batch ends
					   (-N); 0: never */
	long long	 nbatches;	/* batch ends written by the loop */
	int		 filled;	/* the open batch holds something: the
					   program sets it, the loop clears
					   it at each batch end */
	int		 stopempty;	/* a stop closes the open batch even
					   when not filled (set by init) */
	/*
	 * Called with the time of a batch about to end, before its batch
	 * end is written (a write-ahead log records the boundary here),
	 * and once it is written and flushed (a sink of acknowledgements
	 * answers here: Flume's calls, Kafka's commits); filled still says
	 * whether the batch held anything.  Either may be NULL; both
	 * return 0 or -1 as a callback does.
	 */
	int		(*closing)(void *arg, int64_t t);
	int		(*written)(void *arg, int64_t t);
	void		*arg;		/* theirs */
	/*
	 * Called before the loop waits: to flush what a wait would hold
	 * (a log's buffer).  May be NULL.
	 */
	int		(*idle)(void *arg);
	int		 flushidle;	/* flush out too before a wait: what
					   was read goes out before its batch
					   ends, and a kill mid-batch loses
					   only what is in a pipe */
	int		 why;		/* after ds_recv_run: DS_RECV_* */
	int		 signo;		/* after DS_RECV_SIGNAL */

	/* Private to receiver.c. */
	struct ds_recv_watch *watch;
	size_t		 nwatch, watchcap;
	struct ds_recv_timer *timer;
	size_t		 ntimer, timercap;
	struct pollfd	*pfd;
	size_t		*pfdwatch;
	size_t		 pfdcap;
	int		 blocked;	/* out did not poll writable */
	int		 stopping;	/* ds_recv_stop, or -N reached */
};

/*
 * Prepare rv for writing to out with batches of interval ms (0: no
 * clock), the open batch the first after now; install the handlers of
 * SIGINT and SIGTERM (wake.c's, DS_WAKE_STOP and DS_WAKE_ONCE, so that a
 * second signal kills even while a write blocks) and ignore SIGPIPE.
 * The loop drains wake.c's pipe: a program that runs it learns of other
 * signals by a flag of its own.  0, or -1 with errno (pipe(2),
 * sigaction(2)).
 */
int	ds_recv_init(struct ds_recv *, struct ds_writer *out,
	    int64_t interval);
/* Free what init and the watches took; closes no descriptor of theirs. */
void	ds_recv_free(struct ds_recv *);
/*
 * Watch fd for events (POLLIN, POLLOUT) and call fn with poll(2)'s
 * revents when some come (POLLERR and POLLHUP included).  flags:
 * DS_RECV_CONTROL.  Returns an id for the calls below, or -1 with errno
 * ENOMEM.
 */
int	ds_recv_watch(struct ds_recv *, int fd, short events, int flags,
	    int (*fn)(void *arg, short revents), void *arg);
/* Change what watch id waits for; fd -1 or events 0 pause it. */
void	ds_recv_watch_set(struct ds_recv *, int id, int fd, short events);
/* Forget watch id (the descriptor stays open); its id may be reused. */
void	ds_recv_unwatch(struct ds_recv *, int id);
/*
 * A timer, not armed: fn is called once when the time it is set to has
 * come (a retry, an idle timeout, a poll of a remote API).  Returns an id,
 * or -1 with errno ENOMEM.
 */
int	ds_recv_timer(struct ds_recv *, int (*fn)(void *arg), void *arg);
/* Arm timer id for time at (DS_RECV_NEVER: disarm). */
void	ds_recv_timer_set(struct ds_recv *, int id, int64_t at);
/* Forget timer id. */
void	ds_recv_timer_free(struct ds_recv *, int id);
/*
 * Run until a stop: SIGINT or SIGTERM (the open batch is ended, when
 * filled or stopempty, and there is a clock: without one the program
 * ends it after the return), maxbatches batch ends, ds_recv_stop, or the
 * reader of out gone.  Returns 0 with rv->why saying which (out is
 * flushed but not closed), or -1 with errno: a callback's error, poll(2)'s,
 * or a write error on out (then out->error is set; EPIPE is not an error
 * but DS_RECV_GONE).
 */
int	ds_recv_run(struct ds_recv *);
/*
 * End every batch whose time has come, each with its own time, in order.
 * Returns 0, 1 when the loop is to stop (maxbatches reached: the caller
 * writes nothing more), or -1 as ds_recv_end.
 */
int	ds_recv_tick(struct ds_recv *);
/*
 * End the open batch now with time t (with a clock, rv->next; the next
 * batch then opens one interval later): closing, the batch end, a flush,
 * written.  0, or -1 with errno (a hook's, or out's error).
 */
int	ds_recv_end(struct ds_recv *, int64_t t);
/*
 * Make ds_recv_run end the open batch (when filled or stopempty, as a
 * signal does) and return.
 */
void	ds_recv_stop(struct ds_recv *);
/*
 * The time from now to t as ppoll(2) takes it, zero when t has passed:
 * for a program with a wait of its own.
 */
struct timespec;
void	ds_recv_until(int64_t t, struct timespec *);

/*
 * source.c: what the sources share besides the loop: the outage of a
 * remote peer (reported once, retried every -r, as Spark's
 * receiverRestartDelay) and the options of ds(7) that every source
 * spells the same: -i interval, -N batches, -r delay, -c dir, -W log, -v.
 */
struct ds_outage {
	int64_t		 delay;		/* between attempts, ms */
	int64_t		 retry_at;	/* the next attempt, or 0 */
	int		 down;		/* reported and not over */
	char		 delaystr[32];	/* the delay as ds(7) spells it */
};

/* Prepare for retries every delay ms. */
void	ds_outage_init(struct ds_outage *, int64_t delay);
/*
 * The peer is down (a failed connect, a lost connection): the next
 * attempt is one delay after now.  Returns 1 when the outage is new and
 * is to be reported, 0 when it was already.
 */
int	ds_outage_down(struct ds_outage *, int64_t now);
/* The peer is up again.  Returns 1 when an outage has ended. */
int	ds_outage_up(struct ds_outage *);
/*
 * Spell a duration of ms for a message: whole seconds ("2s", "60s") or
 * milliseconds ("1500ms"), into buf; returns buf.
 */
char	*ds_duration_format(int64_t ms, char *buf, size_t size);

/*
 * net.c: the sockets of the sources.
 */
struct sockaddr;
struct addrinfo;

/* Make fd non-blocking and close-on-exec.  0, or -1 with errno. */
int	ds_nonblock(int fd);
/*
 * Spell an address for a message, numerically: "127.0.0.1:9999",
 * "[::1]:9999", or "unknown address".
 */
void	ds_addr_format(const struct sockaddr *, unsigned int len, char *buf,
	    size_t size);
/*
 * Bind a non-blocking socket of socktype (SOCK_STREAM listens) to the
 * first address of host and port (a number) that takes.  Returns it, or
 * -1: with *gaierr getaddrinfo(3)'s error when the lookup failed, else
 * with *gaierr 0 and errno the last address's error.
 */
int	ds_listen(const char *host, const char *port, int socktype,
	    int *gaierr);
/*
 * Accept a client of the listening socket lfd, non-blocking, its address
 * spelled into name (as ds_addr_format).  Returns its descriptor, or -1
 * with errno: EAGAIN when none is waiting (one that gave up waiting
 * included), EMFILE, ENFILE, ENOBUFS or ENOMEM when out of descriptors
 * or memory (those waiting can wait), anything else from accept(2).
 */
int	ds_accept(int lfd, char *name, size_t size);
/*
 * A TCP connect that does not block: the host is looked up afresh each
 * time, as Spark does, and its addresses are tried in turn.
 */
struct ds_connect {
	int		 fd;		/* connected, or in progress */
	int		 gaierr;	/* after -1: the lookup's error, or 0 */
	int		 err;		/* the error worth reporting */
	struct addrinfo	*addrs, *addr;	/* private */
};
/*
 * Start connecting to host and port: 1 when connected (c->fd), 0 when in
 * progress (poll c->fd for POLLOUT, then ds_connect_check), -1 when every
 * address failed (errno, or c->gaierr for the lookup).
 */
int	ds_connect_start(struct ds_connect *, const char *host,
	    const char *port);
/* After POLLOUT: as ds_connect_start, trying the next address if need be. */
int	ds_connect_check(struct ds_connect *);
/* Drop the addresses left (the descriptor is the caller's). */
void	ds_connect_free(struct ds_connect *);

/*
 * dial.c: a source's connection to its server, kept up on the receiver
 * loop: the host is looked up and connected to without blocking, and
 * after a failed attempt or a lost connection, again every delay (-r,
 * Spark's receiverRestartDelay) for as long as the loop runs.  The
 * outage says whether a failure is news (the first of an outage) and an
 * attempt's success (the end of one): the program words them.
 *
 *	d.up = on_up; d.down = on_down; d.arg = ctx;
 *	ds_dial_start(&d, &rv, host, port, delay);
 *	on_up(ctx, fd, news): read fd; once it ends, ds_dial_lost(&d)
 */
struct ds_dial {
	/*
	 * Connected: fd, non-blocking, is the callee's; news when an
	 * outage has ended.  0, or -1 as a receiver's callback.
	 */
	int		(*up)(void *arg, int fd, int news);
	/*
	 * An attempt failed: err is errno, or gaierr getaddrinfo(3)'s
	 * error (0 when not the lookup's); news when the outage is new.
	 * The next attempt is at outage.retry_at.  0, or -1.
	 */
	int		(*down)(void *arg, int err, int gaierr, int news);
	void		*arg;
	struct ds_outage outage;	/* its delaystr, for the words */
	long long	 nconnects;	/* connections made (reconnections
					   are counted in the metrics) */
	/* private */
	struct ds_recv	*rv;
	const char	*host, *port;
	struct ds_connect c;
	int		 watch, timer;
};
/*
 * Make the first attempt the loop's first deed, and the next ones every
 * delay ms after a failure, on rv, whose watch and timer it takes.
 * host and port are kept, not copied.  0, or -1 with errno ENOMEM.
 */
int	ds_dial_start(struct ds_dial *, struct ds_recv *, const char *host,
	    const char *port, int64_t delay);
/*
 * The connection up() gave has ended (the caller closes it): the next
 * attempt is one delay from now.  Returns 1 when that is news (the
 * outage is new), else 0.
 */
int	ds_dial_lost(struct ds_dial *);
/* Forget the watch and the timer, and close an attempt under way. */
void	ds_dial_free(struct ds_dial *);

/*
 * lines.c: the text lines of a socket source (ds-socket) on the receiver
 * loop, from a server it dials (ds_dial), from the many clients of a TCP
 * listener, or from UDP datagrams.  Each line goes to line() without its
 * LF, its other bytes as sent (a CR too); the last line of a connection
 * or of a datagram needs no LF.  A TCP peer's partial line waits in its
 * reader for the rest, and no peer is read for more than one line past
 * what is buffered at a time, so that none holds up the clock or the
 * others.  A line longer than maxline is skipped and counted.  What
 * happens to the peers is told to event() for the program to word.
 * A datagram counts in the metrics as DS_RECV_DATAGRAMS, a connection
 * as DS_RECV_CONNECTIONS.
 */
/* What happened (ds_lines_event.what). */
#define DS_LINES_UP	1	/* the server dialed is connected; news
				   when an outage has ended */
#define DS_LINES_DOWN	2	/* a dial failed (err, gaierr) or the
				   server's connection ended (err, 0 when
				   it closed); news when the outage is
				   new; dialed again every delay */
#define DS_LINES_JOINED	3	/* a client of the listener connected */
#define DS_LINES_LEFT	4	/* a client left: err, 0 when it closed */
#define DS_LINES_LONG	5	/* a line over maxline was skipped: its
				   lineno, 0 in a datagram */
#define DS_LINES_FULL	6	/* accept(2) wanted descriptors or memory
				   (err): clients wait until one leaves
				   or the next batch */
#define DS_LINES_ACCEPT	7	/* accept(2) failed otherwise (err): the
				   loop ends with that error */
#define DS_LINES_RECV	8	/* recvfrom(2) failed (err): an ICMP error
				   for an earlier datagram, say */

struct ds_lines_event {
	int		 what;		/* DS_LINES_* */
	const char	*peer;		/* its address, or the place of the
					   server dialed, or of the socket */
	int		 err;		/* errno, or 0 */
	int		 gaierr;	/* DS_LINES_DOWN: the lookup's error */
	int		 news;		/* DS_LINES_UP, DS_LINES_DOWN */
	uint64_t	 lineno;	/* DS_LINES_LONG */
};

struct ds_lines_peer;

struct ds_lines {
	/* Set by the program before ds_lines_dial or ds_lines_listen. */
	size_t		 maxline;	/* the longest line taken */
	/* Callbacks return 0, or -1 as a receiver's callback. */
	int		(*line)(void *arg, const char *, size_t len);
	int		(*event)(void *arg, const struct ds_lines_event *);
	void		*arg;

	uint64_t	 nskipped;	/* lines over maxline */
	struct ds_dial	 dial;		/* the server dialed, if one is */
	/* private */
	struct ds_recv	*rv;
	const char	*place;
	struct ds_lines_peer *peers;
	int		 fd, watch, timer;
	char		*dgram;
};

/*
 * Take the lines of the server at host and port (port a number), dialed
 * on rv and dialed again every delay ms while it is down.  place names
 * it in the events; it and host and port are kept, not copied.  0, or
 * -1 with errno ENOMEM.
 */
int	ds_lines_dial(struct ds_lines *, struct ds_recv *, const char *host,
	    const char *port, int64_t delay, const char *place);
/*
 * Take the lines that come to fd, bound and non-blocking (ds_listen):
 * those of every client it accepts when socktype is SOCK_STREAM, of each
 * datagram when SOCK_DGRAM.  place names fd in the events.  0, or -1
 * with errno ENOMEM.
 */
int	ds_lines_listen(struct ds_lines *, struct ds_recv *, int fd,
	    int socktype, const char *place);
/* Close the peers and forget the watches and timers (not fd). */
void	ds_lines_free(struct ds_lines *);

/*
 * wal.c: the write-ahead log of a receiver (Spark's
 * spark.streaming.receiver.writeAheadLog.enable): every record a source
 * takes in is appended to the log before its batch leaves, with the batch
 * ends, so that a restart can write again, with their own times, the
 * batches downstream may not have finished.  The log is a directory of
 * segments, each a ds(5) stream named by the time of its first batch (20
 * digits, then ".ds"); each run starts one, and a segment grown past
 * DS_WAL_SEGMENT is followed by a new one at a batch end.  The directory
 * is locked while open.
 *
 *	ds_wal_open(&wal, "dir:sync=1s");
 *	ds_wal_replay(&wal, confirmed, interval, &out, &last);
 *	ds_wal_start(&wal, first batch time, interval);
 *	per record: ds_write_field(&wal.w, ...), ds_write_end(&wal.w)
 *	per batch end (before the stream's): ds_wal_batch(&wal, t)
 *	before a wait: ds_wal_flush(&wal)
 *	as downstream confirms: ds_wal_trim(&wal, confirmed)
 */
#define DS_WAL_SEGMENT	(64 * 1024 * 1024)
/*
 * A confirmed time for ds_wal_replay and ds_wal_trim when no stage
 * confirms: every batch that was ended is taken to have been taken.
 */
#define DS_WAL_ENDED	INT64_MAX

/* When the log is fsync'd (sync= of the spec). */
#define DS_WAL_SYNC_BATCH	0	/* at each batch end after records
					   (sync=batch, the default) */
#define DS_WAL_SYNC_NONE	1	/* never (sync=none): a crash of the
					   process loses nothing, one of the
					   machine may */
#define DS_WAL_SYNC_EVERY	2	/* at a batch end once syncevery ms
					   have passed (sync=DURATION) */

struct ds_wal_seg;

struct ds_wal {
	struct ds_writer w;		/* the open segment; records go here */
	int		 sync;		/* DS_WAL_SYNC_* */
	int64_t		 syncevery;	/* ms, for DS_WAL_SYNC_EVERY */
	char		 why[160];	/* after EINVAL or EBADMSG: what */

	/* Private to wal.c. */
	char		*dir;
	int		 dirfd;
	int		 fd;		/* the open segment, or -1 */
	int64_t		 interval;
	int64_t		 lastsync;
	int		 dirty;		/* records since the last fsync */
	size_t		 size;		/* of the open segment */
	size_t		 endmark;	/* its size after the last batch end */
	struct ds_wal_seg *seg;		/* the segments, oldest first */
	size_t		 nseg, segcap;
};

/*
 * Open the log of spec, "dir" or "dir:sync=batch|none|DURATION", creating
 * dir if need be, and lock it.  0, or -1 with errno: EINVAL (a bad spec,
 * wal->why says how), EWOULDBLOCK (another process holds the log), or
 * mkdir(2)'s, open(2)'s.
 */
int	ds_wal_open(struct ds_wal *, const char *spec);
/*
 * Write to out the batches the log holds after time confirmed (with
 * DS_WAL_ENDED: none but those a crash cut short), records and batch
 * ends, oldest first; a batch a crash left without its end is
 * ended with the time one interval after the batch before it (or its
 * segment's first time), in out and in the log, and the torn last line
 * of a segment is cut off.  Stores the last batch time the log holds in
 * *last (INT64_MIN when none).  0, or -1 with errno: EBADMSG (a segment
 * that is not a ds stream, why says where), or from reading, writing.
 */
int	ds_wal_replay(struct ds_wal *, int64_t confirmed, int64_t interval,
	    struct ds_writer *out, int64_t *last);
/* Start this run's segment, whose first batch is t.  0, or -1 with errno. */
int	ds_wal_start(struct ds_wal *, int64_t t, int64_t interval);
/*
 * The batch of time t ends: its end is appended, the buffer written, and
 * the segment synced as the schedule says; call it before the batch end
 * goes downstream.  0, 1 when a new segment was started (a time to trim),
 * or -1 with errno.
 */
int	ds_wal_batch(struct ds_wal *, int64_t t);
/* Write what is buffered (before a wait, so a kill loses less). */
int	ds_wal_flush(struct ds_wal *);
/*
 * Remove the segments whose batches are all at or before confirmed, but
 * the open one and those ds_wal_replay has not read.  0, or -1 with errno.
 */
int	ds_wal_trim(struct ds_wal *, int64_t confirmed);
/* Flush, sync and close; the lock goes.  0, or -1 with errno. */
int	ds_wal_close(struct ds_wal *);

/*
 * Cut a torn last line (one without its LF: a kill in the middle of a
 * write) off the file open read-write as fd, so that what is read or
 * appended is whole lines.  0, or -1 with errno.
 */
int	ds_cut_torn_line(int fd);

/*
 * ranges.c: the log of a source that can fetch again what it has read
 * (Kafka's offsets, Kinesis's sequence numbers), as Spark's direct
 * stream keeps its offset ranges in its checkpoint.  Before a batch end
 * goes out, the entries saying where its records came from are appended
 * and synced, then the batch end; on a restart the log hands every
 * entry, with its batch's time, to the source (which learns its
 * positions), and keeps those of the batches after the pipeline's commit,
 * which the source fetches again and writes with their times.  Entries
 * are records whose fields are the source's own: the log knows batches,
 * not what a range is.  The log is then
 * rewritten as one batch of the source's positions (the first batch of
 * a log, never replayed) and the batches after the commit: what is
 * behind the commit goes.  The file DIR/NAME is a ds(5) stream: the
 * header, the line "#ranges KIND" naming its source, then per batch its
 * entries and its end.  A batch a crash left without its end does not
 * count, nor does a torn last line.
 *
 *	ds_ranges_open(&lg, dir, name, kind, committed, take, arg);
 *	the source's positions: entries written to lg.w
 *	ds_ranges_rewrite(&lg);
 *	each lg.ent[i]: fetch again, or a batch end
 *	per batch: its entries to lg.w, then ds_ranges_batch(&lg, t);
 *	    when it returns 1: ds_ranges_trim(&lg, committed), the
 *	    positions to lg.w, ds_ranges_rewrite(&lg)
 *	ds_ranges_close(&lg);
 */
#define DS_RANGES_GROWN	(1024 * 1024)	/* bytes appended, at least, that
					   make a time to trim */

struct ds_ranges_entry {
	int64_t		 t;		/* its batch's time */
	struct ds_field	*field;		/* NUL-terminated as well */
	size_t		 nfield;	/* 0: the batch end at t */
	uint64_t	 lineno;	/* in the log */
};

struct ds_ranges {
	struct ds_writer w;		/* after open: the source's entries */
	struct ds_ranges_entry *ent;	/* those of the batches after the
					   commit, to replay */
	size_t		 nent;
	int64_t		 last;		/* the last batch logged, or -1 */
	char		 why[320];	/* after -1: the file, and with
					   EBADMSG what is wrong */

	/* Private to ranges.c. */
	char		*dir, *path, *tmp;
	const char	*kind;
	int		 fd;
	off_t		 kept;		/* the size of the last rewrite */
	int64_t		 base;		/* the positions' batch time */
	size_t		 entcap;
};

/*
 * Open the log name of kind in dir (made if need be) for a restart: read
 * it, hand each entry of a batch that ended, in order, to take(arg, e)
 * (the source learns its positions; -1 with errno, EBADMSG when e is not
 * one of its entries), keep in lg->ent those of the batches after time
 * committed, and start the log's rewrite, lg->w open on it with the
 * header written.  0, or -1 with errno and lg->why: EBADMSG for a log of
 * another kind or not a log, a malformed one, or an entry refused.
 */
int	ds_ranges_open(struct ds_ranges *, const char *dir, const char *name,
	    const char *kind, int64_t committed,
	    int (*take)(void *, const struct ds_ranges_entry *), void *arg);
/*
 * The entries written to lg->w since open are the positions: end them as
 * a batch, append the batches of lg->ent as they were, sync, and
 * put the new log in place of the old one, lg->w left open on it for the
 * batches to come.  0, or -1 with errno and lg->why.
 */
int	ds_ranges_rewrite(struct ds_ranges *);
/*
 * The entries written to lg->w since the last are batch t's: its end is
 * appended and the log synced; call it before the batch end goes out.
 * 0, 1 when the log has grown since its last rewrite by its size then
 * and DS_RANGES_GROWN (a time to trim), or -1 with errno and lg->why.
 */
int	ds_ranges_batch(struct ds_ranges *, int64_t t);
/*
 * While running: read the log again as ds_ranges_open does (the source
 * knows its positions: nothing is handed to a take), and begin its
 * rewrite, so that the positions written to lg->w, then
 * ds_ranges_rewrite, leave only the batches after committed.  lg->ent
 * holds those, and lg->last is as after open.  0, or -1 with errno and
 * lg->why.
 */
int	ds_ranges_trim(struct ds_ranges *, int64_t committed);
/* Close the log and free the entries. */
void	ds_ranges_close(struct ds_ranges *);

/*
 * table.c: the hash table every keyed program shares.  Keys are byte
 * strings (short ones hashed as two words, longer ones with XXH3-64),
 * kept with the entry when short; each entry carries a value of the fixed
 * size given at init, zeroed on insertion.  Iteration is in insertion
 * order, so output order never depends on the hash.  Values may move
 * when the table grows: do not keep a value pointer across an insert.
 */
struct ds_table {
	size_t		 valsize;
	size_t		 entsize;	/* bytes per entry record */
	char		*ent;		/* entries in insertion order */
	size_t		 nent;		/* used entries, dead included */
	size_t		 entcap;
	size_t		 nlive;
	uint64_t	*slot;		/* open addressing: the hash's
					   high 32 bits above entry
					   index + 1; 0 empty, UINT32_MAX
					   deleted */
	size_t		 nslot;		/* a power of two */
	size_t		 nused;		/* slots not empty (live + deleted) */
	struct ds_buf	 keys;		/* key bytes, entries hold offsets */
};

int	ds_table_init(struct ds_table *, size_t valsize);
void	ds_table_free(struct ds_table *);
/* Forget every entry, keeping the memory for reuse. */
void	ds_table_clear(struct ds_table *);
/*
 * The value of key, inserted (zeroed) when absent; *isnew says which.
 * NULL with errno ENOMEM (or E2BIG past 2^32 - 2 entries).
 */
void	*ds_table_upsert(struct ds_table *, const void *, size_t, int *isnew);
/*
 * The same, for a key followed by at least DS_READ_PAD readable bytes (a
 * reader's field): a short key is then read in one load.
 */
void	*ds_table_upsert_padded(struct ds_table *, const void *, size_t,
	    int *isnew);
/* The value of key, or NULL when absent. */
void	*ds_table_find(struct ds_table *, const void *, size_t);
/* Remove key; 0, or -1 with errno ENOENT when absent. */
int	ds_table_remove(struct ds_table *, const void *, size_t);
/* Live entries. */
size_t	ds_table_count(const struct ds_table *);
/*
 * Iterate in insertion order: i runs from 0 to ds_table_end(t) - 1, and
 * ds_table_value returns NULL for removed entries.
 */
size_t	ds_table_end(const struct ds_table *);
void	*ds_table_value(struct ds_table *, size_t i);
const char *ds_table_key(const struct ds_table *, size_t i, size_t *len);

/*
 * join.c: the join of pair records on their key, Spark's join and its
 * outer forms, for ds-join.  The right side is a set of values by key, a
 * batch of a stream or a table, each key's in arrival order; the left
 * side's batch is its records in arrival order.  A value is a record's
 * fields after the key, escaped; a joined record is the key, the left
 * value and the right value, a missing side being the marker.
 *
 *	for each right record: ds_join_side_add(&right, key, fields, n);
 *	for each left record: ds_join_one(&j, ..., &right), or keep it
 *	with ds_join_left_add and ds_join_batch(&j, &left, &right) once
 *	the right side's batch is complete;
 *	at the batch end: ds_join_rest(&j, &right), then clear the sides.
 */
#define DS_JOIN_LEFT	1	/* left outer: unmatched left records */
#define DS_JOIN_RIGHT	2	/* right outer: unmatched right values */

struct ds_join {
	struct ds_writer *out;
	int		 outer;		/* DS_JOIN_LEFT, DS_JOIN_RIGHT */
	const char	*marker;	/* written for a missing side */
	size_t		 markerlen;
};

struct ds_join_value;
struct ds_join_rec;

struct ds_join_side {
	struct ds_table	 keys;		/* key -> its values, marked when a
					   left record had the key */
	struct ds_buf	 bytes;		/* the values */
	struct ds_join_value *val;	/* in arrival order */
	size_t		 nval, valcap;
};

struct ds_join_left {
	struct ds_buf	 bytes;		/* raw keys and escaped values */
	struct ds_join_rec *rec;
	size_t		 nrec, reccap;
};

/* Every function returns 0, or -1 with errno ENOMEM (or as it says). */
int	ds_join_side_init(struct ds_join_side *);
/* Forget the values, keeping the memory. */
void	ds_join_side_clear(struct ds_join_side *);
void	ds_join_side_free(struct ds_join_side *);
/* Add the value of the n fields at f under key k, after k's others. */
int	ds_join_side_add(struct ds_join_side *, const struct ds_field *k,
	    const struct ds_field *f, size_t n);
/*
 * Read r to its end into s, each record a key and its value's fields.
 * -1 with errno as ds_read's, or EDOM for a record of no value (r's
 * current record, for ds_record_die).
 */
int	ds_join_load(struct ds_join_side *, struct ds_reader *r);
/*
 * Whether the file at path is another version than the one fstat(2) saw
 * as id: another inode, size or modification time.  1 or 0, or -1 with
 * errno from stat(2).
 */
struct stat;
int	ds_join_changed(const char *path, const struct stat *id);
/* Keep a left record: key k and the n fields of its value at f. */
int	ds_join_left_add(struct ds_join_left *, const struct ds_field *k,
	    const struct ds_field *f, size_t n);
void	ds_join_left_clear(struct ds_join_left *);
void	ds_join_left_free(struct ds_join_left *);
/*
 * Write the joins of one left record, key k and escaped value lv, with
 * the right side's values of k, in their order (right NULL: an empty
 * batch); with none, the record and the marker when left outer.  -1
 * with the writer's errno.
 */
int	ds_join_one(const struct ds_join *, const char *k, size_t klen,
	    const char *lv, size_t lvlen, struct ds_join_side *right);
/* ds_join_one for each record kept of the left side, in order. */
int	ds_join_batch(const struct ds_join *, const struct ds_join_left *,
	    struct ds_join_side *right);
/*
 * When right outer: write the right values whose key no left record had
 * since the last call, keys in order of first appearance, and forget
 * which had.  -1 with the writer's errno.
 */
int	ds_join_rest(const struct ds_join *, struct ds_join_side *right);

/*
 * ledger.c: the state of a source that takes named things into batches
 * (ds-dir's files) in a directory held locked: a snapshot, the
 * checkpoint NAME of the store (checkpoint.c), and the journal
 * NAME.journal of what happened since.  Their lines: TIME TAB KEY, KEY
 * taken into batch TIME; %TIME, every batch up to TIME written whole;
 * - TAB KEY, KEY forgotten; #gen N, the generation a journal goes with
 * its snapshot by; other # lines are comments.  Keys are names (not
 * empty, no NUL, no '/'), escaped as ds(5) fields.  Journal lines are
 * appended as things are taken and batches written; a stop cuts at most
 * the last, which then does not count.  A rewrite saves the keys done, as
 * taken into batch 0, and the last batch as a new snapshot, then starts a
 * journal of its generation.
 */
struct ds_ledger_entry {
	int64_t	 time;
	int	 written;	/* its batch was written (not committed) */
	char	*key;		/* NUL-terminated */
	size_t	 len;
};

struct ds_ledger {
	int64_t		 confirmed;	/* set before load: the batches
					   downstream has committed, at or
					   before it (INT64_MAX, the default:
					   every batch written) */
	int64_t		 last;		/* the last batch recorded written */
	struct ds_ledger_entry *pend;	/* after load: taken into batches
					   not written, in order */
	size_t		 npend, pendcap;
	uint64_t	 lineno;	/* after a load's EBADMSG: the line, or
					   0 when the store refused the file
					   (why says how) */
	const char	*where;		/* after -1: the file's name */
	int		 previous;	/* after load: the snapshot was the
					   previous one (why says why) */
	char		 why[96];
	const char	*dir;		/* as opened, kept */
	const char	*name;

	/* Private to ledger.c. */
	char		 journal[80];
	char		 tmp[88];
	int64_t		 gen;
	int		 dirfd;
	int		 fd;		/* open to append after a rewrite */
	size_t		 appended;	/* lines since the rewrite */
	struct ds_buf	 line;
};

/*
 * Create dir if need be, open it and lock it for journal name.  0, or -1
 * with errno: EWOULDBLOCK when another process holds it, or mkdir(2)'s,
 * open(2)'s.
 */
int	ds_ledger_open(struct ds_ledger *, const char *dir, const char *name);
/*
 * Read the snapshot and its journal: the keys done go into done (a table
 * of int64_t, the time of the key's batch when after confirmed, else 0),
 * those of batches not written or not committed into pend in the order
 * taken, the last batch into last.  0 when there is no snapshot yet, 1
 * when read, -1 with errno (EBADMSG: a malformed line of where, lineno,
 * or a file the store refused, why).
 */
int	ds_ledger_load(struct ds_ledger *, struct ds_table *done);
/*
 * Save the keys of done (each with its time when after confirmed, else 0)
 * and last as a new snapshot, and start its journal (the first rewrite
 * comes before any append).  0, or -1 with errno (where names the file).
 */
int	ds_ledger_rewrite(struct ds_ledger *, struct ds_table *done);
/* Append: key taken into batch t; not synced.  0, or -1 with errno. */
int	ds_ledger_take(struct ds_ledger *, int64_t t, const char *, size_t);
/* Sync what was appended.  0, or -1 with errno. */
int	ds_ledger_sync(struct ds_ledger *);
/* Append: every batch up to t written; last becomes t. */
int	ds_ledger_written(struct ds_ledger *, int64_t t);
/* Append: key forgotten. */
int	ds_ledger_forget(struct ds_ledger *, const char *, size_t);
/* Nonzero when the journal has grown past twice what live keys need. */
int	ds_ledger_grown(const struct ds_ledger *, size_t live);
/*
 * After load: the batch to write again that starts at pend[i], as the
 * number of its entries (0 when i is npend), and in *t its time: its own,
 * or one after last for a batch never written and not after it, so that
 * no batch time goes out twice (the caller moves last on as it writes).
 */
size_t	ds_ledger_replay(const struct ds_ledger *, size_t i, int64_t *t);
/* Free what load took and close; the lock goes. */
void	ds_ledger_close(struct ds_ledger *);
/*
 * cliledger.c, for main(): ds_ledger_open, exiting 1 with "DIR: in use by
 * another PROGRAM" or the error; ds_ledger_load, exiting 1 naming the
 * file, and its line when one is malformed, warning when the snapshot
 * gave way to its previous; and the exit of any other failed call,
 * naming its file.
 */
void	ds_ledger_open_or_die(struct ds_ledger *, const char *dir,
	    const char *name);
int	ds_ledger_load_or_die(struct ds_ledger *, struct ds_table *done);
__dead void ds_ledger_die(const struct ds_ledger *);

/*
 * dirwatch.c: the files that arrive in a directory, as Spark's
 * textFileStream takes them, told from the names already seen.  The
 * rules: a file arrives when it is moved in, or when it is closed after
 * being opened for writing there, so that one still being written is not
 * taken before its writer closes it; a name that starts with a dot (a
 * file a writer has yet to move in) and what is in subdirectories never
 * arrive; what is not a regular file (a symbolic link to one counts as
 * one) is never listed, nor opened.  A name seen does not arrive again
 * while it stays: appending to its file, writing it again or moving
 * another file over it are updates, ignored as Spark ignores them.  A
 * name seen that is removed or moved out leaves and is forgotten: a file
 * arriving under it later (a log rotated) is new.  A listing takes names
 * in their byte order.  The directory is named by its path, never held
 * by a descriptor, which would keep it alive once removed, and the
 * kernel's word of its removal with it.
 *
 *	ds_dirwatch_open(&dw, dir);	(before any listing)
 *	ds_dirwatch_scan(&dw);		(what is there: dw.fresh)
 *	when dw.fd polls readable:
 *		while ((rc = ds_dirwatch_next(&dw, &name)) > 0)
 *			take dw.fresh (ARRIVED), ...
 */
#define DS_DIRWATCH_ARRIVED	1	/* files not seen: in fresh, now
					   seen */
#define DS_DIRWATCH_LEFT	2	/* a file seen has left: forgotten */
#define DS_DIRWATCH_LOST	3	/* the kernel's queue overflowed:
					   events were lost (ds_dirwatch_scan
					   finds what they said) */
#define DS_DIRWATCH_GONE	4	/* the directory was removed, moved or
					   unmounted */
#define DS_DIRWATCH_GROUP	64	/* files at most in one ARRIVED */

struct ds_dirwatch {
	const char	*dir;		/* kept, not copied */
	int		 fd;		/* inotify(7)'s, to poll for POLLIN */
	struct ds_table	 seen;		/* the names seen, each with an
					   int64_t of the program's (ds-dir:
					   the time of the file's batch) */
	char		**fresh;	/* after a scan: the names there not
					   seen, in byte order (not made
					   seen); after ARRIVED: the names
					   that arrived */
	size_t		 nfresh;
	char		**gone;		/* after a scan: the names seen that
					   are not there, now forgotten */
	size_t		 ngone;

	/* Private to dirwatch.c. */
	char		*ev;		/* events read, not yet returned */
	size_t		 evlen, evoff;
	size_t		 freshcap, gonecap;
	struct ds_buf	 path;
};

/*
 * Watch dir.  Before listing it: a file arriving in between is then seen
 * twice, and taken once, rather than never.  0, or -1 with errno
 * (inotify_add_watch(2)'s: ENOENT, ENOTDIR, EACCES ...; or ENOMEM).
 */
int	ds_dirwatch_open(struct ds_dirwatch *, const char *dir);
/*
 * The next change of what the kernel has reported, DS_DIRWATCH_*, in the
 * order they happened: ARRIVED with fresh the files that arrived in a
 * row, in that order, up to DS_DIRWATCH_GROUP of them, for the program
 * to take before the next call (which empties fresh), so that batches
 * due in between can end; LEFT with the file's name in *name (valid
 * until the next call); LOST or GONE.  0 when no more is waiting, -1
 * with errno (read(2)'s, or ENOMEM).
 */
int	ds_dirwatch_next(struct ds_dirwatch *, const char **name);
/*
 * List the directory against seen: fresh and gone as above, valid until
 * the next scan or ds_dirwatch_scan_free.  0, or -1 with errno
 * (opendir(3)'s, readdir(3)'s, or ENOMEM; seen is then as it was).
 */
int	ds_dirwatch_scan(struct ds_dirwatch *);
/* Free fresh and gone, once taken: a listing may be long. */
void	ds_dirwatch_scan_free(struct ds_dirwatch *);
/* Name seen, with value v.  0, or -1 with errno ENOMEM. */
int	ds_dirwatch_see(struct ds_dirwatch *, const char *name, int64_t v);
/* The names of fresh seen, with value 0.  0, or -1 with errno ENOMEM. */
int	ds_dirwatch_see_fresh(struct ds_dirwatch *);
/* Name no longer seen.  0, or -1 with errno ENOENT when it was not. */
int	ds_dirwatch_forget(struct ds_dirwatch *, const char *name);
/*
 * Open file name of the directory to read it: a regular file only, never
 * a FIFO or a device, which could block or act on being opened.  A
 * descriptor (non-blocking, close-on-exec), or -1 with errno: ENOENT
 * when no regular file has the name now (gone, or replaced by something
 * else), else open(2)'s, stat(2)'s or ENOMEM.
 */
int	ds_dirwatch_open_file(struct ds_dirwatch *, const char *name);
/*
 * The path of name in the directory, for messages, in a buffer valid
 * until the next call (or ds_dirwatch_open_file); NULL with errno ENOMEM.
 */
const char *ds_dirwatch_path(struct ds_dirwatch *, const char *name);
/* Stop watching (the descriptor is closed) and free the memory. */
void	ds_dirwatch_close(struct ds_dirwatch *);

/*
 * window.c: the clock of windowed streams, Spark's rules: LENGTH and
 * SLIDE are multiples of the batch interval; zero time is one interval
 * before the first batch; a window is due at every t where t - zero is a
 * multiple of SLIDE and holds the batches in (t - LENGTH, t]; a gap in
 * batch times counts as empty batches.  The program supplies push (batch
 * t, just read, enters) and emit (write the window of time t, after
 * dropping the batches at or before t - length).
 */
struct ds_window {
	int64_t	 length;
	int64_t	 slide;		/* 0: the interval */
	int64_t	 interval;	/* 0: learned from the first two batches */
	int64_t	 zero;		/* INT64_MIN until the clock is known */
	int64_t	 next;		/* the next window time */
	int64_t	 first;		/* the first batch's time, or -1 */
	int64_t	 last;		/* the last batch's time, or -1 */
	int	 calendar;	/* aligned to the local calendar */
	int64_t	 from;		/* in emit: the window holds (from, t] */
	void	(*push)(void *, int64_t);
	void	(*emit)(void *, int64_t);
	void	*arg;
	char	 why[160];	/* after an error: what was wrong */
};

/*
 * Set up; interval and slide may be 0 (learned, the interval).  Returns
 * 0, or -1 with errno EINVAL and why set when the durations break
 * Spark's rules.
 */
int	ds_window_init(struct ds_window *, int64_t length, int64_t slide,
	    int64_t interval);
/*
 * The same, for windows aligned to the calendar of TZ (see
 * ds_calendar_next): they are due at the boundaries of slide (0: the
 * length) and hold the batches of (ds_calendar_back(t, length), t],
 * whatever the interval.  0, or -1 with errno EINVAL and why set when
 * the durations are not calendar steps.
 */
int	ds_window_init_calendar(struct ds_window *, int64_t length,
	    int64_t slide, int64_t interval);
/*
 * Batch t has ended: push it and emit the windows due.  Returns 0, or -1
 * with errno EINVAL (learned interval breaks the rules) or EDOM (t is not
 * on the interval grid), why set.
 */
int	ds_window_batch(struct ds_window *, int64_t t);
/*
 * The time to give a last batch the input did not close, which the
 * reader timed t by the clock (ds_read's synthetic batch): one interval
 * after the last batch once the clock is known; after a lone first batch,
 * with no interval to learn, the interval becomes the largest the
 * window's durations allow (their greatest common divisor).
 */
int64_t	ds_window_unclosed(struct ds_window *, int64_t t);
/* The input ended: emit what a lone first batch still owes. */
void	ds_window_end(struct ds_window *);

/*
 * swag.c: keyed aggregation over a sliding window with the two-stacks
 * scheme, each element a batch's table of aggregates (struct ds_agg
 * values).  A batch costs the same whatever the window's length (the
 * distinct keys of the window, amortized over the flips); results are
 * exact (nothing is subtracted) and keys come in order of first
 * appearance within the window.  Memory: a suffix table per batch of the
 * window, each holding the keys of that batch and the newer ones, so at
 * most distinct keys times batches.
 */
struct ds_swag_item;

struct ds_swag {
	int			 op;
	struct ds_swag_item	*item;	/* ring, oldest at head */
	size_t			 head;
	size_t			 n;
	size_t			 cap;
	size_t			 nfront; /* items with a suffix table */
	struct ds_table		 back;	/* the newer items merged */
};

int	ds_swag_init(struct ds_swag *, int op);
void	ds_swag_free(struct ds_swag *);
/*
 * Batch time t enters with its aggregates; the swag takes the table over
 * (the caller re-inits its own).  0, or -1 with errno ENOMEM/EOVERFLOW.
 */
int	ds_swag_push(struct ds_swag *, int64_t t, struct ds_table *);
/* Drop the batches of time <= until.  0, or -1 as ds_swag_push. */
int	ds_swag_evict(struct ds_swag *, int64_t until);
/*
 * Call fn for every key of the window with its aggregate, in order of
 * first appearance.  0, or -1 (errno from the merge, or fn's -1).
 */
int	ds_swag_each(struct ds_swag *,
	    int (*fn)(void *, const char *, size_t, const struct ds_agg *),
	    void *);
/* Free the aggregates of a table of struct ds_agg, then clear it. */
void	ds_agg_table_clear(struct ds_table *);

/*
 * keyed.c: what the aggregating programs share: a batch's aggregates by
 * key, written out at its end, or over a window when windowed.  Output
 * goes to a writer; a write error stays in it (check out->error).
 */
#define DS_KEY_FIELD	0	/* the key is written as a field */
#define DS_KEY_ESCAPED	1	/* the key is escaped fields: as it is */
#define DS_KEY_NONE	2	/* only the result is written */

struct ds_keyed {
	int		 op;
	int		 keymode;
	int		 zero;		/* write 0 for an empty batch (count);
					   the caller sets it */
	struct ds_writer *out;
	struct ds_table	 cur;		/* the open batch's aggregates */
	int		 windowed;
	struct ds_window win;
	struct ds_swag	 swag;
	size_t		 nput;		/* records in the output batch */
	int		 error;		/* errno of a failed merge, or 0 */
};

/*
 * Set up; length 0 means per batch, else a window of length and slide
 * (0: the interval) over batches of interval (0: learned).  0, or -1
 * with errno ENOMEM or EINVAL (k->win.why says why).
 */
int	ds_keyed_init(struct ds_keyed *, int op, int keymode,
	    struct ds_writer *out, int64_t length, int64_t slide,
	    int64_t interval);
/* The open batch's aggregate of key, created empty; NULL on ENOMEM. */
static inline struct ds_agg *
ds_keyed_agg(struct ds_keyed *k, const char *key, size_t len)
{
	int isnew;

	return ds_table_upsert(&k->cur, key, len, &isnew);
}
/* The same for a field a reader returned. */
static inline struct ds_agg *
ds_keyed_agg_field(struct ds_keyed *k, const struct ds_field *f)
{
	int isnew;

	return ds_table_upsert_padded(&k->cur, f->data, f->len, &isnew);
}
/* Forget key in the open batch (a value that was skipped). */
void	ds_keyed_forget(struct ds_keyed *, const char *, size_t);
/*
 * The batch of time t has ended.  0, or -1 with errno EINVAL or EDOM
 * (the window's rules, k->win.why) or EOVERFLOW (a window's sum).
 */
int	ds_keyed_batch(struct ds_keyed *, int64_t t);
/* The input has ended. */
void	ds_keyed_end(struct ds_keyed *);

/*
 * repr.c: append Python's repr() of the str that len bytes hold: quoted
 * with ' unless the text holds ' and no ", escapes for the quote, the
 * backslash, TAB, LF, CR and what Python does not print, and \xNN for
 * bytes that are not UTF-8.  0, or -1 with errno ENOMEM.
 */
int	ds_repr(struct ds_buf *, const char *, size_t);

/*
 * utf8.c: strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
 * Returns the length (1 to 4) of the sequence at p and stores its code
 * point in *cp, or returns 0 when the bytes at p do not start one.
 */
int	ds_utf8_decode(const char *, size_t, uint32_t *cp);

/*
 * checkpoint.c: the checkpoint store, the one way a program keeps durable
 * state.  A checkpoint is a payload of any bytes saved under a name in a
 * directory, as the file DIR/NAME of ds-checkpoint(5): a header line with
 * the format's version, the name, the payload's length and its XXH64,
 * then the payload.  A save writes DIR/.NAME.tmp, fsyncs it, keeps the
 * checkpoint it replaces as DIR/NAME.prev, renames the new one over
 * DIR/NAME and fsyncs the directory, so that a crash at any moment leaves
 * the new checkpoint or the old one, and the one before beside it.  A
 * load verifies the header, the length and the checksum: a torn, corrupt
 * or foreign file is refused, never taken for an empty state; only a
 * newest that is torn, corrupt or missing gives way to a good previous
 * one, and the caller is told so it can warn.
 *
 * A name is 1 to DS_CKPT_NAME_MAX bytes of letters, digits, '.', '_' and
 * '-', not starting with '.' and not ending in ".prev" or ".tmp".
 */
#define DS_CKPT_VERSION		1	/* the format this build writes */
#define DS_CKPT_NAME_MAX	64

/* What a load found (struct ds_ckpt's status and newest). */
enum {
	DS_CKPT_NONE = 0,	/* no checkpoint of the name: a first start */
	DS_CKPT_GOOD,		/* the newest checkpoint, verified */
	DS_CKPT_PREVIOUS,	/* the newest was torn, corrupt or missing;
				   the previous one is verified and used */
	DS_CKPT_TORN,		/* shorter than its header says */
	DS_CKPT_FOREIGN,	/* not a checkpoint, or one of another name */
	DS_CKPT_OLD,		/* a version this build does not read */
	DS_CKPT_CORRUPT		/* the bytes do not match the checksum */
};

struct ds_ckpt {
	int	 status;	/* DS_CKPT_*: of the file used, or when
				   refused of the newest */
	int	 newest;	/* after DS_CKPT_PREVIOUS: what was wrong
				   with the newest (DS_CKPT_NONE: missing) */
	int	 fd;		/* after ds_ckpt_open: at the payload's first
				   byte, its last being at EOF; else -1 */
	uint64_t len;		/* the payload's length */
	char	 name[DS_CKPT_NAME_MAX + 1]; /* the checkpoint's name */
	char	 why[96];	/* after a refusal or DS_CKPT_PREVIOUS: the
				   newest's problem in words, such as
				   "checksum mismatch" */
};

/*
 * Save len bytes as checkpoint name in dir, creating dir (one level) if
 * need be.  0, or -1 with errno: EINVAL (a bad name), or from the file
 * system (ENOSPC, EIO ...), in which case the checkpoints are as they
 * were and the temporary file is gone.
 */
int	ds_ckpt_save(const char *dir, const char *name, const void *,
	    size_t len);
/*
 * The same in steps, for a payload written as it is made (by write(2) or
 * a ds_writer): ds_ckpt_create returns the descriptor of the temporary
 * file, positioned for the payload, or -1 with errno as ds_ckpt_save;
 * ds_ckpt_commit makes what was written the checkpoint and closes fd (0
 * or -1 as ds_ckpt_save); ds_ckpt_abandon closes fd and removes the
 * temporary file instead, keeping errno.
 */
int	ds_ckpt_create(const char *dir, const char *name);
int	ds_ckpt_commit(const char *dir, const char *name, int fd);
void	ds_ckpt_abandon(const char *dir, const char *name, int fd);
/*
 * Load checkpoint name of dir into b (replacing its contents).  Returns
 * DS_CKPT_NONE (nothing there, b empty), DS_CKPT_GOOD, or DS_CKPT_PREVIOUS
 * (the program warns with c->why); or -1 with errno EBADMSG when refused
 * (c->status says why, c->why in words), EINVAL for a bad name, or errno
 * of the file system or malloc(3).  Nothing is ever written.
 */
int	ds_ckpt_load(const char *dir, const char *name, struct ds_buf *b,
	    struct ds_ckpt *c);
/*
 * The same, leaving the verified payload to be read from c->fd (for
 * ds_reader_init; the caller closes it).  Line n of the payload is line
 * n + 1 of the file.
 */
int	ds_ckpt_open(const char *dir, const char *name, struct ds_ckpt *c);

/*
 * commit.c: the committed batches of a pipeline, the record that makes it
 * exactly-once (ds(7), EXACTLY ONCE).  The stages of a pipeline share a
 * checkpoint directory, $DS_CHECKPOINT.  There, a stage that needs the
 * batches after time t replayed after a crash keeps t as the checkpoint
 * "STAGE.commit": a sink, t the last batch it has made durable; a
 * stateful stage, t the batch its own checkpoint holds.  A source
 * restarting replays, with their original times, the batches after the
 * oldest of these, and may forget the batches at or before it.  STAGE is
 * the program's name (ds-save, ds-kafka-out, ds-state): one of each to a
 * directory.
 */
#define DS_CHECKPOINT_ENV	"DS_CHECKPOINT"

/* $DS_CHECKPOINT, or NULL when it is unset or empty. */
const char *ds_pipeline_dir(void);
/* Record that stage has done every batch up to time t.  As ds_ckpt_save. */
int	ds_commit_save(const char *dir, const char *stage, int64_t t);
/*
 * The time stage has committed, into *t.  Returns as ds_ckpt_load (with
 * DS_CKPT_NONE, *t is -1); a payload that is not a time is refused as
 * DS_CKPT_CORRUPT.
 */
int	ds_commit_load(const char *dir, const char *stage, int64_t *t,
	    struct ds_ckpt *c);
/*
 * The oldest time committed in dir by any stage but except (NULL: all),
 * into *t: what a source replays after.  Returns DS_CKPT_NONE (no stage
 * has committed; *t is -1), DS_CKPT_GOOD, or DS_CKPT_PREVIOUS when a
 * stage's newest record gave way to its previous one (c->name says
 * which); or -1 as ds_ckpt_load, c->name naming the record refused.
 */
int	ds_commit_oldest(const char *dir, const char *except, int64_t *t,
	    struct ds_ckpt *c);

/*
 * kept.c: the output a stateful stage keeps until the stages after it
 * have committed it, to write again when a replayed batch comes that its
 * checkpoint already holds (ds(7), EXACTLY ONCE).  Batches are kept in
 * increasing time, each as the escaped record lines written for it.
 */
struct ds_kept_batch {
	int64_t		 t;
	struct ds_buf	 lines;		/* escaped records, each ending LF */
};

struct ds_kept {
	struct ds_kept_batch *batch;	/* oldest first */
	size_t		 n;
	size_t		 cap;
	int		 open;		/* the last batch is being written */
};

/* Start keeping the batch being written.  0, or -1 with errno ENOMEM. */
int	ds_kept_open(struct ds_kept *);
/*
 * Write a record to w, and keep it when a batch is open.  0, or -1 with
 * errno ENOMEM or w's error.
 */
int	ds_kept_record(struct ds_kept *, struct ds_writer *w,
	    const struct ds_field *, size_t n);
/* The open batch has ended, at time t (later than the batches kept). */
void	ds_kept_close(struct ds_kept *, int64_t t);
/*
 * Keep batch t as lines (escaped records, each ending LF), as a
 * checkpoint gives it back.  0, or -1 with errno EINVAL (t not after the
 * last batch, lines not ending LF) or ENOMEM.
 */
int	ds_kept_add(struct ds_kept *, int64_t t, const char *lines,
	    size_t len);
/* Forget the batches at or before t. */
void	ds_kept_trim(struct ds_kept *, int64_t t);
/*
 * Write batch t's kept output again to w, its batch end included: 1, or
 * 0 when batch t is not kept, or -1 with w's errno.
 */
int	ds_kept_replay(const struct ds_kept *, int64_t t, struct ds_writer *w);
/*
 * Write the kept batches to w as records of two fields, the batch time
 * and the lines, for a checkpoint.  0, or -1 with w's errno.
 */
int	ds_kept_save(const struct ds_kept *, struct ds_writer *w);
void	ds_kept_free(struct ds_kept *);

/*
 * stateful.c: a stateful stage's part in the exactly-once protocol
 * (ds(7), EXACTLY ONCE), a no-op without $DS_CHECKPOINT: it commits the
 * time of its own checkpoint, keeps the output of the batches after what
 * the stages after it have committed (kept, written by ds_kept_record),
 * and writes it again when a replayed batch comes that its checkpoint
 * already holds.
 */
struct ds_stateful {
	const char	*dir;		/* $DS_CHECKPOINT; NULL: no protocol */
	const char	*stage;		/* its STAGE.commit */
	int64_t		 committed;	/* the stages after it, at the start */
	struct ds_kept	 kept;
	struct ds_ckpt	 ck;		/* after DS_CKPT_PREVIOUS, or -1 with
					   EBADMSG: the record (ck.name) */
};
/*
 * Join as stage: learn what the other stages have committed.  Returns
 * as ds_commit_oldest (DS_CKPT_NONE too without $DS_CHECKPOINT).
 */
int	ds_stateful_join(struct ds_stateful *, const char *stage);
/*
 * The stage's checkpoint now holds every batch up to t (-1: none, the
 * source replays everything).  0, or -1 as ds_ckpt_save.
 */
int	ds_stateful_commit(struct ds_stateful *, int64_t t);
/*
 * Batch t, at or before the stage's checkpoint, comes again: its kept
 * output goes to w unless the stages after it committed it at the start.
 * 1 when written, 0 when not, -1 with w's errno.
 */
int	ds_stateful_replay(struct ds_stateful *, int64_t t,
	    struct ds_writer *w);
/* Keep the output of the batch now written.  0, or -1/ENOMEM. */
int	ds_stateful_open(struct ds_stateful *);
/* Keep batch t as a checkpoint gives it back: as ds_kept_add. */
int	ds_stateful_keep(struct ds_stateful *, int64_t t, const char *lines,
	    size_t len);
/*
 * Before a checkpoint: forget the kept output the stages after it have
 * committed.  0, or -1 as ds_commit_oldest.
 */
int	ds_stateful_trim(struct ds_stateful *);

/*
 * statefile.c: the keys of a stateful program as its checkpoint holds
 * them: a ds stream, "#ds1", then "#PROGRAM 1 OP", a record a key, and
 * one batch end, the time of the last batch the state holds.
 */
/* Write the two header lines.  0, or -1 with w's errno or EINVAL. */
int	ds_statefile_begin(struct ds_writer *w, const char *program,
	    const char *op);
/*
 * The same into checkpoint name of dir in the store: w is set on its
 * temporary file, whose descriptor is returned, or -1 with errno as
 * ds_ckpt_create.  ds_statefile_commit ends it with the batch end t and
 * makes it the checkpoint: 0, or -1 with errno, the checkpoints being as
 * they were.
 */
int	ds_statefile_create(struct ds_writer *w, const char *dir,
	    const char *name, const char *program, const char *op);
int	ds_statefile_commit(struct ds_writer *w, const char *dir,
	    const char *name, int fd, int64_t t);
/*
 * Check the header at fd's offset and make r read the file from there.
 * 0, or -1 with errno EBADMSG (not program's checkpoint for op), ENOMEM
 * or from read(2).
 */
int	ds_statefile_open(struct ds_reader *r, int fd, const char *name,
	    const char *program, const char *op);
/*
 * The next record, DS_RECORD; DS_EOF after the batch end, the state's
 * time in r->lasttime; or -1 with errno ENODATA (the file ends before its
 * batch end: truncated), EBADMSG (r->why: malformed, or a record after
 * the batch end) or from ds_read.
 */
int	ds_statefile_read(struct ds_reader *);
/* Write an aggregate's value as a field: its bytes, or its number. */
int	ds_statefile_value(struct ds_writer *w, const struct ds_agg *, int op);
/*
 * Set a's value from a field ds_statefile_value wrote, and kind (NULL:
 * none) "string" or "number", which a Lua state holds.  0, or -1 with
 * errno EINVAL or ENOMEM.
 */
int	ds_statefile_agg(struct ds_agg *a, int op, const struct ds_field *value,
	    const struct ds_field *kind);

/*
 * recent.c: keyed entries, in a table in the order of first appearance
 * and in a list in the order of their last update, oldest first, so
 * that timeouts look at the head only (ds-state -t, ds-session).  An
 * entry is the program's struct, whose first member is a struct
 * ds_recent_entry; its key's bytes follow it.
 */
struct ds_recent_entry {
	struct ds_recent_entry *prev;
	struct ds_recent_entry *next;
	char		*key;		/* len bytes, not NUL-terminated */
	size_t		 len;
	int64_t		 t;		/* batch time of the last update */
	uint64_t	 seq;		/* order of the last updates */
};
struct ds_recent {
	struct ds_table	 table;		/* key -> struct ds_recent_entry * */
	struct ds_recent_entry *oldest;
	struct ds_recent_entry *newest;
	size_t		 size;		/* of the program's struct */
	uint64_t	 lastseq;	/* the newest's seq */
	struct ds_recent_entry *run;	/* see recent.c */
};
/* Entries of size bytes.  0, or -1/ENOMEM. */
int	ds_recent_init(struct ds_recent *, size_t size);
/* The key's entry, or NULL. */
void	*ds_recent_find(struct ds_recent *, const void *key, size_t len);
/*
 * The key's entry, created zeroed (*isnew set) and in no place of the
 * list yet; NULL/ENOMEM.
 */
void	*ds_recent_get(struct ds_recent *, const void *key, size_t len,
	    int *isnew);
/*
 * The entry was updated at t, no earlier than any entry's: it becomes the
 * newest, with the next seq.
 */
void	ds_recent_touch(struct ds_recent *, void *entry, int64_t t);
/*
 * The oldest entry when t, a batch time no earlier than any entry's, is
 * more than idle after its last update; else NULL.  It stays listed.
 */
void	*ds_recent_idle(struct ds_recent *, int64_t t, int64_t idle);
/*
 * The oldest entry updated at t or later, from which the list's next
 * pointers lead through the others, in the order of their updates, to
 * the newest; NULL when there is none.
 */
void	*ds_recent_since(struct ds_recent *, int64_t t);
/*
 * List every entry of the table in the order of the seq each was given
 * (as a checkpoint keeps them, with their t), oldest first.  0, or
 * -1/ENOMEM.
 */
int	ds_recent_sort(struct ds_recent *);
/* Take the entry out of the table and the list; the caller frees it. */
void	ds_recent_remove(struct ds_recent *, void *entry);
/* Entry i in the table's order, or NULL (removed); i < table end. */
void	*ds_recent_at(struct ds_recent *, size_t i);

/*
 * lua.c: Lua 5.4 expressions, Spark's lambdas: compiled once, run per
 * record inside the process.  An expression is an expression list, the
 * body of "return EXPR", and sees its parameters as locals.  A record
 * expression's parameters are f (the fields f[1]..f[n], as strings), k
 * and v (f[1] and f[2], or nil) and r (the fields joined by TAB).
 *
 * A run's values become fields thus: a string as it is; a number as
 * Lua's tostring writes it (3, 3.0, 1e+20); a boolean as true or false;
 * nil as no field; a table as its elements 1..#t, each one of those
 * (nil elements are no field).  Any other value is an error.
 *
 * Errors are returned, never printed: -1 with errno EINVAL (a Lua error;
 * ds_lua_error has Lua's message) or ENOMEM.  Lua's print writes to
 * stderr, stdout being the stream's.
 *
 *	x = ds_lua_new("k, v * 2", NULL, msg, sizeof(msg));
 *	ds_lua_set_record(x, r.field, r.nfield, r.rec, r.reclen);
 *	if (ds_lua_fields(x, &out, &n) == -1)
 *		ds_record_die(&r, "lua: %s", ds_lua_error(x));
 */
struct ds_lua;

/*
 * Compile expr with the parameter names names[] (NULL-terminated), or
 * with NULL the record's f, k, v, r.  Returns the handle, or NULL with
 * errno EINVAL (the expression does not compile, is empty, or a name is
 * not a Lua name: the message, Lua's for a syntax error, goes to msg) or
 * ENOMEM.
 */
struct ds_lua *ds_lua_new(const char *expr, const char *const names[],
	    char *msg, size_t msgsize);
void	ds_lua_free(struct ds_lua *);
/* The message of the last error: valid until the next run. */
const char *ds_lua_error(const struct ds_lua *);
/* Bind the record of a record expression; nothing is copied. */
void	ds_lua_set_record(struct ds_lua *, const struct ds_field *, size_t,
	    const char *rec, size_t reclen);
/*
 * Bind parameter i (from 0) of an expression compiled with names: as a
 * string, as a number, or as a number when the bytes read as one to
 * ds_num_parse, else a string.  Strings are not copied.  0, or -1 with
 * errno EINVAL (no such parameter).  An unbound parameter is nil.
 */
int	ds_lua_set_string(struct ds_lua *, int i, const char *, size_t);
int	ds_lua_set_num(struct ds_lua *, int i, const struct ds_num *);
int	ds_lua_set_value(struct ds_lua *, int i, const char *, size_t);
/* Bind parameter i as a table of n values, each as ds_lua_set_value. */
int	ds_lua_set_list(struct ds_lua *, int i, const struct ds_field *,
	    size_t n);
/* Bind parameter i as nil. */
int	ds_lua_set_nil(struct ds_lua *, int i);
/*
 * Run, and convert the values to fields, stored in *out and *n until the
 * next run.  0 or -1.
 */
int	ds_lua_fields(struct ds_lua *, struct ds_field **out, size_t *n);
/*
 * Run: 1 when the first value is true as Lua sees it (neither nil nor
 * false; 0 and "" are true), 0 when not, or -1.
 */
int	ds_lua_bool(struct ds_lua *);
/*
 * Run, for a reducer: 1 with the first value in *num when it is a number
 * (exactly: an integer, or a float), 0 with its text in *p and *len when
 * it is a string or a boolean (valid until the next run), or -1 (also
 * when it is nil or anything else).
 */
int	ds_lua_value(struct ds_lua *, struct ds_num *num, const char **p,
	    size_t *len);
/*
 * Run, for a state update: as ds_lua_value, but nil is a value too, for
 * which it returns 2.
 */
int	ds_lua_state(struct ds_lua *, struct ds_num *num, const char **p,
	    size_t *len);
/*
 * Run, for flatMap: the value is a table of records, each a table of
 * fields or one scalar field (nil elements are skipped), or an iterator
 * as a generic for takes it (a function, its state and its first
 * control value), each call's values making a record as
 * ds_lua_fields makes one; nil means no record.  0 or -1.  Then
 * ds_lua_next gives the records one at a time: 1 with the record in
 * *out and *n (valid until the next call), 0 after the last, or -1.
 */
int	ds_lua_records(struct ds_lua *);
int	ds_lua_next(struct ds_lua *, struct ds_field **out, size_t *n);

/*
 * clilua.c: main()'s conveniences for Lua; they exit 2 when the
 * expression does not compile.
 */
struct ds_lua *ds_lua_new_or_die(const char *expr, const char *const names[]);
/*
 * Make DS_OP_FN the Lua reducer expr, whose parameters a and b are the
 * value so far and the next: numbers when they read as numbers, else
 * strings.
 */
void	ds_lua_reducer_or_die(const char *expr);
/*
 * For a state update, updateStateByKey's function: add the record's
 * field vfield to the values of its key (field kfield) in batch, a table
 * of struct ds_agg holding each key's values; exits 1 naming the line
 * when a field is missing.
 */
void	ds_lua_values_add_or_die(struct ds_table *batch, struct ds_reader *,
	    size_t kfield, size_t vfield);
/*
 * Run update x on a key's values, as ds_lua_values_add_or_die gathered
 * them, bound to its first parameter, and its state (nil when count is
 * 0) to its second; the value is the new state, its count grown by the
 * values': 0, or 1 when it is nil and the key is to go.  A Lua error
 * exits 1 naming the line r read last.
 */
int	ds_lua_update_or_die(struct ds_lua *x, struct ds_reader *r,
	    const struct ds_agg *values, struct ds_agg *state);
/*
 * The reduction of a program that takes -o op or a Lua reducer operand:
 * op, or with expr (not NULL) DS_OP_FN made that reducer.  Exits 2 when
 * oflag says -o was given too.
 */
int	ds_reducer_arg_or_die(int op, int oflag, const char *expr);

/*
 * cli.c: conveniences for main(); these print with err(3) and exit 1.
 */
/* Make SIGINT set ds_interrupted (once; a second SIGINT kills). */
void	ds_catch_interrupt(void);
/* Report the error of a failed ds_read (errno as it left it) and exit 1. */
__dead void ds_reader_die(struct ds_reader *);
/*
 * ds_read, exiting with "NAME:LINE: problem" on a malformed stream.  It
 * makes SIGINT a graceful stop (ds_interrupted) before the first line is
 * read: the program finishes the batch it is reading and ends as at EOF;
 * a second SIGINT ends it at once.
 */
static inline int
ds_read_or_die(struct ds_reader *r)
{
	int rc;

	if (!r->started)
		ds_catch_interrupt();
	if ((rc = ds_read(r)) == -1)
		ds_reader_die(r);
	return rc;
}
/* Exit 1 with "NAME:LINE: " and the message, about the current record. */
__dead void ds_record_die(struct ds_reader *, const char *, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
/*
 * ds_statefile_open, exiting 1 with "NAME: not a PROGRAM checkpoint for
 * -o OP" or naming the error.
 */
void	ds_statefile_open_or_die(struct ds_reader *, int fd, const char *name,
	    const char *program, const char *op);
/* ds_statefile_read, exiting 1 with "NAME: truncated" or as ds_read_or_die. */
int	ds_statefile_read_or_die(struct ds_reader *);
/*
 * An integer field of a state record, at least min, and ds_statefile_agg;
 * exiting 1 with "NAME:LINE: not a checkpoint record" when it is none.
 */
int64_t	ds_statefile_int_or_die(struct ds_reader *, const struct ds_field *,
	    int64_t min);
void	ds_statefile_agg_or_die(struct ds_reader *, struct ds_agg *, int op,
	    const struct ds_field *value, const struct ds_field *kind);
/*
 * The set of names[] (NULL-terminated) that arg lists, comma-separated,
 * as bits (1 << i); exits 2 with "OPT ARG: not a list of A, B and C".
 */
int	ds_names_arg_or_die(const char *opt, const char *arg,
	    const char *const names[]);
/*
 * The aggregate, in batch (a table of struct ds_agg), of the record's key,
 * field kfield: created zeroed when *isnew.  Exits 1 naming the line when
 * the record has no such field.
 */
struct ds_agg *ds_batch_agg_or_die(struct ds_table *batch, struct ds_reader *,
	    size_t kfield, int *isnew);
/*
 * Add the record's field vfield to its key's aggregate in batch, as
 * ds_agg_add_or_die: 0, or -1 when skipped (skip set, not a number), the
 * key then left out of batch if it had no other value.
 */
int	ds_batch_add_or_die(struct ds_table *batch, struct ds_reader *, int op,
	    size_t kfield, size_t vfield, int skip);
/*
 * A field number given to option opt ("-k"): 1 to INT_MAX, else a usage
 * error, exit 2.
 */
size_t	ds_field_arg_or_die(const char *opt, const char *);
/*
 * ds_agg_add of field fieldno of the current record.  A field that is
 * missing or does not fit op exits 1 naming the line, except that a value
 * that is not a number returns -1 when skip is set.  Returns 0 when added.
 * The hot path is inline; ds_agg_add_failed has the words for the rest.
 */
int	ds_agg_add_failed(struct ds_reader *, size_t fieldno, int skip);

static inline int
ds_agg_add_or_die(struct ds_reader *r, struct ds_agg *a, int op,
    size_t fieldno, int skip)
{
	const struct ds_field *v;

	if (fieldno > r->nfield)
		return op == DS_OP_COUNT ? ds_agg_add(a, op, "", 0) :
		    ds_agg_add_failed(r, fieldno, skip);
	v = &r->field[fieldno - 1];
	if (ds_agg_add(a, op, v->data, v->len) == 0)
		return 0;
	return ds_agg_add_failed(r, fieldno, skip);
}
/* A duration given to option opt: positive, else exit 2. */
int64_t	ds_duration_arg_or_die(const char *opt, const char *);
/* The options -a, -i, -s and -w of the aggregating programs. */
struct ds_window_opts {
	int64_t	 length;	/* -w; 0: per batch */
	int64_t	 slide;		/* -s */
	int64_t	 interval;	/* -i */
	int	 align;		/* -a: to the calendar */
};
/*
 * Take option ch (a, i, s or w) and its duration (none for a); exits 2
 * on a bad one.
 */
void	ds_window_opt_or_die(struct ds_window_opts *, int ch, const char *);
/*
 * ds_keyed_init, exiting 2 when the window's durations break the rules
 * (or -s or -i come without -w).
 */
void	ds_keyed_init_or_die(struct ds_keyed *, int op, int keymode,
	    struct ds_writer *out, const struct ds_window_opts *);
/* ds_keyed_batch, exiting as its errors deserve (2 for the window rules). */
void	ds_keyed_batch_or_die(struct ds_keyed *, struct ds_reader *);
/* Flush and close the writer; exits 1 naming "stdout" on failure. */
void	ds_writer_close_or_die(struct ds_writer *);
/* Exits 1 with "stdout: strerror" after a failed write. */
__dead void ds_write_failed_die(const struct ds_writer *);
/*
 * The loop of a sink that passes its stream on (ds-kafka-out,
 * ds-kinesis-out): from r, the header, then each record to record() and
 * on to out; at a batch end, out flushed, batch() with its time, which
 * returns once the batch is out of the program's hands, then the end to
 * out, marked (r->flush is out).  Returns at EOF; exits as
 * ds_read_or_die, or 1 naming stdout.
 */
void	ds_sink_or_die(struct ds_reader *r, struct ds_writer *out,
	    void (*record)(struct ds_reader *), void (*batch)(int64_t));
/*
 * For a filter that ignores SIGPIPE to see EPIPE in its own loop:
 * ds_ignore_sigpipe ignores it, and ds_write_failed_pipe_die, after a
 * failed write, ends the program by SIGPIPE when its reader has gone, as
 * a plain filter ends, unless it was started with SIGPIPE ignored; else
 * as ds_write_failed_die.
 */
void	ds_ignore_sigpipe(void);
__dead void ds_write_failed_pipe_die(const struct ds_writer *);
/* The options of ds(7) that the sources share. */
struct ds_source_opts {
	int64_t		 interval;	/* -i, ms (1s) */
	long long	 maxbatches;	/* -N; 0: no end */
	int64_t		 delay;		/* -r, ms (2s) */
	const char	*checkpoint;	/* -c dir, or NULL */
	const char	*wal;		/* -W dir[:sync=...], or NULL */
	int		 verbose;	/* -v */
};
/* The defaults. */
void	ds_source_opts_init(struct ds_source_opts *);
/*
 * Take option ch and its argument when it is one of the shared letters
 * the program lists in letters ("iNrv"): returns 1, exiting 2 on a bad
 * value with a message naming the option; 0 when ch is not one of them.
 */
int	ds_source_opt_or_die(struct ds_source_opts *, const char *letters,
	    int ch, const char *arg);
/*
 * The oldest batch time the stages of $DS_CHECKPOINT have committed, -1
 * when none has, INT64_MAX without $DS_CHECKPOINT (what went downstream
 * is taken to be done): what a source replays after.  Warns when a
 * commit record gave way to its previous one; exits 1 when one is
 * refused.
 */
int64_t	ds_committed_or_die(void);
/*
 * ds_stateful_join, ds_stateful_trim and ds_stateful_commit, warning as
 * ds_committed_or_die does, and exiting 1 naming the record refused or
 * the directory.
 */
void	ds_stateful_join_or_die(struct ds_stateful *, const char *stage);
void	ds_stateful_trim_or_die(struct ds_stateful *);
void	ds_stateful_commit_or_die(struct ds_stateful *, int64_t t);
/*
 * ds_recv_run for main(): returns when the loop stopped (rv->why), out
 * flushed; exits 0 when the reader of out has gone, 1 naming stdout on a
 * write error, and 1 with the error of a callback or of poll(2).
 */
void	ds_recv_run_or_die(struct ds_recv *);
/*
 * A source's write error: exit 0 when the reader of out has gone (EPIPE),
 * as ds_write_failed_die otherwise.
 */
__dead void ds_source_write_failed_die(const struct ds_writer *);
/*
 * For a library's callback that has a line to say: warnx(3) it, or errx(3)
 * it and exit 1.
 */
void	ds_line_warn(const char *);
__dead void ds_line_die(const char *);
/* Exits 1 with lg->why, and strerror unless it says why (EBADMSG). */
__dead void ds_ranges_die(const struct ds_ranges *);
/*
 * Print "usage: SYNOPSIS" and exit: to stdout with status 0 when help
 * was asked for (-h), else to stderr with status 2.
 */
__dead void ds_usage_exit(const char *synopsis, int help);

/*
 * listen.c: a source's [host]:port operand, for main().  An IPv6 address
 * goes in brackets.
 */
#define DS_PORT_MAX	8	/* room for a port number, NUL included */
/*
 * Split arg (in place) into its host, returned, and port, written to
 * port (DS_PORT_MAX bytes), with "host:port" in place for messages.  No
 * host is 127.0.0.1 for a server, localhost for a client; a server may
 * ask for port 0, the kernel's choice.  Exits 2 on a bad operand.
 */
const char *ds_hostport_or_die(char *arg, int server, char *port,
	    char *place, size_t size);
/*
 * Bind socktype at host and port, say "listening on ADDRESS" on stderr
 * when verbose, and return the socket (non-blocking); exits 1 naming
 * place when it cannot.
 */
int	ds_bind_or_die(const char *host, const char *port, int socktype,
	    int verbose, const char *place);
/* Both: the listening socket of a server source's operand arg. */
int	ds_listen_or_die(char *arg, int socktype, int verbose, char *place,
	    size_t size);

/*
 * flume.c: the server side of Flume's AvroSourceProtocol over Avro IPC,
 * as a Flume avro sink speaks it, for ds-flume alone (it brings libavro,
 * libmd and jansson, which no other program links).
 *
 * Netty's framing: a frame is a serial and a count of buffers, then each
 * buffer as its length and its bytes, all integers four bytes
 * big-endian; the message is the buffers joined.  A reply carries the
 * request's serial.
 */
struct ds_netty {
	size_t		 max;		/* the largest frame: its buffers'
					   bytes and lengths */
	uint32_t	 serial;	/* after a frame: its serial */
	struct ds_buf	 msg;		/* after a frame: its message */
	char		 why[96];	/* after EMSGSIZE: how large */
	/* private */
	unsigned char	 hdr[8];
	size_t		 have;		/* bytes of hdr */
	int		 state;
	uint32_t	 nleft;		/* buffers still to come */
	size_t		 want;		/* bytes of this buffer to come */
	size_t		 size;		/* the frame's size so far */
};

void	ds_netty_init(struct ds_netty *, size_t max);
void	ds_netty_free(struct ds_netty *);
/*
 * Take bytes from *p (*len of them), advancing both, up to the end of
 * one frame.  Returns 1 when a frame is complete (serial and msg hold
 * it until the next call), 0 when the bytes ran out first, or -1 with
 * errno EMSGSIZE (the frame would pass max; why says so, and the stream
 * cannot be read further) or ENOMEM.
 */
int	ds_netty_take(struct ds_netty *, const char **p, size_t *len);
/* Nonzero when part of a frame has been taken: an EOF now tears it. */
int	ds_netty_partial(const struct ds_netty *);
/* Append a frame of serial whose message is len bytes.  0, or -1. */
int	ds_netty_frame(struct ds_buf *, uint32_t serial, const void *,
	    size_t len);

/*
 * The protocol: ds_flume holds the schemas and what the process has
 * learned of its clients' protocols; a ds_flume_conn is one connection,
 * whose first request carries Avro's handshake.  A request's events are
 * read into values the connections share, so they are to be taken
 * before any connection's next request is decoded.
 *
 *	c = ds_flume_conn_new(f);
 *	for each frame of the connection:
 *		ds_flume_request(c, frame.msg.data, frame.msg.len);
 *		for i in 0 .. ds_flume_nevents(c) - 1: ds_flume_event(c, i..)
 *		ds_flume_reply(c, frame.serial, DS_FLUME_OK, &out), once the
 *		events are safe, or at once when ds_flume_answered(c)
 *
 * or, from the bytes a connection reads, framing included:
 *
 *	while ((rc = ds_flume_take(c, &p, &len, &out)) > 0)
 *		DS_FLUME_REPLIED: send out before taking more;
 *		DS_FLUME_CALL: ds_flume_write(c, &w, ...), and once that
 *		batch is out, ds_flume_answer(c, DS_FLUME_OK, &out)
 */
struct ds_flume;
struct ds_flume_conn;

/* The symbols of the protocol's Status. */
#define DS_FLUME_OK		0
#define DS_FLUME_FAILED		1
#define DS_FLUME_UNKNOWN	2

/* What ds_flume_take found. */
#define DS_FLUME_REPLIED	1	/* a request the protocol answers */
#define DS_FLUME_CALL		2	/* a call, its events to be taken */

/* The largest frame a connection takes, unless ds_flume_set_max says. */
#define DS_FLUME_MAXFRAME	(64 * 1024 * 1024)

struct ds_flume_event {
	const char	*body;
	size_t		 bodylen;
	size_t		 nheader;
};

struct ds_flume_header {
	const char	*key;		/* up to a NUL it holds */
	size_t		 keylen;
	const char	*value;
	size_t		 valuelen;
};

/*
 * NULL with errno ENOMEM.  It gives libavro an allocator of its own, for
 * the whole process: one that refuses what no frame can need.
 */
struct ds_flume *ds_flume_new(void);
void	ds_flume_free(struct ds_flume *);
/* The protocol's text, the server's in the handshake, and its MD5. */
const char *ds_flume_protocol(const struct ds_flume *, unsigned char[16]);
/* The largest frame of the connections made from now on. */
void	ds_flume_set_max(struct ds_flume *, size_t max);
struct ds_flume_conn *ds_flume_conn_new(struct ds_flume *);
void	ds_flume_conn_free(struct ds_flume_conn *);
/*
 * Decode the request message of len bytes.  0, or -1 with errno EBADMSG
 * (ds_flume_why says what is wrong: the connection is best dropped) or
 * ENOMEM.  After 0 a reply is owed: ds_flume_answered says whether it is
 * the protocol's own (a handshake that failed or a ping, an unknown
 * message), to go at once; if not, the call's events are to be taken.
 */
int	ds_flume_request(struct ds_flume_conn *, const void *, size_t len);
int	ds_flume_answered(const struct ds_flume_conn *);
const char *ds_flume_why(const struct ds_flume_conn *);
/* The events of the call decoded last (0 when it was no call). */
size_t	ds_flume_nevents(const struct ds_flume_conn *);
/* Event i's body and header count.  0, or -1 with errno EINVAL. */
int	ds_flume_event(struct ds_flume_conn *, size_t i,
	    struct ds_flume_event *);
/* Header j of event i, in the order sent.  0, or -1 / EINVAL. */
int	ds_flume_header(struct ds_flume_conn *, size_t i, size_t j,
	    struct ds_flume_header *);
/*
 * Append event i's headers as a JSON object, compact, in the order
 * sent, the last of a repeated key winning; bytes that are not UTF-8
 * become U+FFFD.  0, or -1 with errno ENOMEM or EINVAL.
 */
int	ds_flume_headers_json(struct ds_flume_conn *, size_t i,
	    struct ds_buf *);
/*
 * Append the framed reply to the request decoded last, with its serial:
 * for a call, its Status.  0, or -1 with errno ENOMEM (or EINVAL: no
 * reply is owed).
 */
int	ds_flume_reply(struct ds_flume_conn *, uint32_t serial, int status,
	    struct ds_buf *);

/*
 * Take the bytes a connection read from *p (*len of them), advancing
 * both, up to the end of one request, and decode it.  Returns
 * DS_FLUME_REPLIED when the protocol answered it (a handshake that
 * failed, a ping, an unknown message), the reply appended to out;
 * DS_FLUME_CALL when it is a call, whose events are to be taken and
 * answered; 0 when the bytes ran out first; or -1 with errno EMSGSIZE
 * (a frame over the limit) or EBADMSG (ds_flume_why says what; the
 * connection is best dropped) or ENOMEM.
 */
int	ds_flume_take(struct ds_flume_conn *, const char **p, size_t *len,
	    struct ds_buf *out);
/* Nonzero when part of a request has been taken: an EOF now tears it. */
int	ds_flume_partial(const struct ds_flume_conn *);
/* Append the reply to the call ds_flume_take took last, as ds_flume_reply. */
int	ds_flume_answer(struct ds_flume_conn *, int status, struct ds_buf *);
/*
 * Write the call's events to w as records: the body, then with headers
 * set the headers as ds_flume_headers_json has them, then extra (extralen
 * bytes) when not NULL.  1 when there was an event, 0 when none, or -1
 * with errno ENOMEM or w's.
 */
int	ds_flume_write(struct ds_flume_conn *, struct ds_writer *w,
	    int headers, const char *extra, size_t extralen);

#endif /* DS_H */
