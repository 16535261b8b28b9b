/*
 * t_reader.c: tests the ds stream and raw text reader of lib/reader.c
 * on temporary files and pipes.
 */

#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"
#include "check.h"

static struct ds_buf	got;
static int		replay;		/* transcript's r.replayed */

static void	 fatal(const char *);
static int	 open_data(const void *, size_t);
static int	 open_str(const char *);
static void	 put(const char *);
static void	 put_field(const char *, size_t);
static const char *transcript_fd(int, int, size_t);
static const char *transcript(const char *, int, size_t);
static void	 diag(const char *, const char *);
static int	 same(const char *, const char *);
static int	 reads(const char *, const char *);
static int	 why_has(const char *, const char *);
static void	 feed_slowly(int, const char *, size_t, size_t);
static void	 test_basics(void);
static void	 test_raw(void);
static void	 test_escapes(void);
static void	 test_comments_and_header(void);
static void	 test_batch_ends(void);
static void	 test_synthetic(void);
static void	 test_line_ends(void);
static void	 test_torn(void);
static void	 test_long_lines(void);
static void	 test_maxline(void);
static void	 test_pipe(void);
static void	 test_nowait(void);
static void	 test_flush(void);
static void	 test_buffered(void);
static void	 test_clean(void);
static void	 test_error(void);

int
main(void)
{
	test_basics();
	test_raw();
	test_escapes();
	test_comments_and_header();
	test_batch_ends();
	test_synthetic();
	test_line_ends();
	test_torn();
	test_long_lines();
	test_maxline();
	test_pipe();
	test_nowait();
	test_flush();
	test_buffered();
	test_clean();
	test_error();
	ds_buf_free(&got);
	return done();
}

static void
fatal(const char *what)
{
	perror(what);
	exit(2);
}

/* A temporary file holding the data, already unlinked, read from 0. */
static int
open_data(const void *data, size_t len)
{
	char path[1024];
	const char *dir;
	int fd;

	if ((dir = getenv("TMPDIR")) == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/t_reader.XXXXXX", dir);
	if ((fd = mkstemp(path)) == -1)
		fatal("mkstemp");
	if (unlink(path) == -1)
		fatal("unlink");
	if (len > 0 && write(fd, data, len) != (ssize_t)len)
		fatal("write");
	if (lseek(fd, 0, SEEK_SET) == -1)
		fatal("lseek");
	return fd;
}

static int
open_str(const char *s)
{
	return open_data(s, strlen(s));
}

static void
put(const char *s)
{
	if (ds_buf_append(&got, s, strlen(s)) == -1)
		fatal("ds_buf_append");
}

/* A field made visible: \t \n \r \\ \| \0 and \xHH for other bytes. */
static void
put_field(const char *p, size_t len)
{
	char hex[8];
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = p[i];
		if (c == '\t')
			put("\\t");
		else if (c == '\n')
			put("\\n");
		else if (c == '\r')
			put("\\r");
		else if (c == '\\')
			put("\\\\");
		else if (c == '|')
			put("\\|");
		else if (c == '\0')
			put("\\0");
		else if (c < ' ' || c >= 0x7f) {
			snprintf(hex, sizeof(hex), "\\x%02x", c);
			put(hex);
		} else if (ds_buf_append(&got, &c, 1) == -1)
			fatal("ds_buf_append");
	}
}

/*
 * Read fd to its end, a line per item: "R f1|f2" for a record, "B t" for
 * a batch end, "S" for one made up at EOF, "E" at EOF ("T" when torn,
 * left to the replay), "X ERRNO LINE" on
 * an error (which ends it, but for EMSGSIZE).  A record whose r->rec is
 * not its fields joined by TAB gets " !rec".
 */
static const char *
transcript_fd(int fd, int mode, size_t maxline)
{
	struct ds_reader r;
	struct ds_buf join = { 0 };
	char line[64];
	size_t i;
	int rc, n;

	got.len = 0;
	if (ds_reader_init(&r, fd, "test", mode) == -1)
		fatal("ds_reader_init");
	r.maxline = maxline;
	r.replayed = replay;
	for (n = 0; n < 100000; n++) {
		rc = ds_read(&r);
		if (rc == DS_EOF) {
			put(r.torn ? "T\n" : "E\n");
			break;
		}
		if (rc == DS_BATCH) {
			if (r.synthetic)
				snprintf(line, sizeof(line), "S\n");
			else
				snprintf(line, sizeof(line), "B %lld\n",
				    (long long)r.time);
			put(line);
			continue;
		}
		if (rc == -1) {
			snprintf(line, sizeof(line), "X %s %llu\n",
			    errno == EBADMSG ? "EBADMSG" :
			    errno == EMSGSIZE ? "EMSGSIZE" : strerror(errno),
			    (unsigned long long)r.lineno);
			put(line);
			if (errno == EMSGSIZE)
				continue;
			break;
		}
		put("R ");
		join.len = 0;
		for (i = 0; i < r.nfield; i++) {
			if (i > 0) {
				put("|");
				(void)ds_buf_append(&join, "\t", 1);
			}
			put_field(r.field[i].data, r.field[i].len);
			(void)ds_buf_append(&join, r.field[i].data,
			    r.field[i].len);
		}
		if (join.len != r.reclen || (join.len > 0 &&
		    memcmp(join.data, r.rec, join.len) != 0))
			put(" !rec");
		put("\n");
	}
	ds_reader_free(&r);
	ds_buf_free(&join);
	(void)ds_buf_append(&got, "", 1);
	return got.data;
}

static const char *
transcript(const char *data, int mode, size_t maxline)
{
	const char *s;
	int fd;

	fd = open_str(data);
	s = transcript_fd(fd, mode, maxline);
	close(fd);
	return s;
}

/* Print s as TAP comments, a line each. */
static void
diag(const char *label, const char *s)
{
	size_t n;

	printf("# %s:\n", label);
	while (*s != '\0') {
		n = strcspn(s, "\n");
		printf("#   %.*s\n", (int)n, s);
		s += n;
		if (*s == '\n')
			s++;
	}
}

static int
same(const char *have, const char *want)
{
	if (strcmp(have, want) == 0)
		return 1;
	diag("got", have);
	diag("want", want);
	return 0;
}

/* The stream in reads as want, in DS_AUTO mode with no line limit. */
static int
reads(const char *in, const char *want)
{
	return same(transcript(in, DS_AUTO, 0), want);
}

/* Reading in fails with EBADMSG, and r->why has the words needle. */
static int
why_has(const char *in, const char *needle)
{
	struct ds_reader r;
	int fd, rc, n = 0;

	fd = open_str(in);
	if (ds_reader_init(&r, fd, "test", DS_AUTO) == -1)
		fatal("ds_reader_init");
	while ((rc = ds_read(&r)) > 0 && n++ < 1000)
		;
	rc = rc == -1 && errno == EBADMSG && strstr(r.why, needle) != NULL;
	if (!rc)
		printf("# why: \"%s\"\n", r.why);
	ds_reader_free(&r);
	close(fd);
	return rc;
}

/* In a child: write data to fd chunk bytes at a time, then exit. */
static void
feed_slowly(int fd, const char *data, size_t len, size_t chunk)
{
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		if (write(fd, data + off, n) != (ssize_t)n)
			_exit(1);
	}
	_exit(0);
}

static void
test_basics(void)
{
	struct ds_reader r;
	int fd;

	/* An empty input ends at once, neither raw nor a stream. */
	CHECK(reads("", "E\n"));
	fd = open_str("");
	CHECK(ds_reader_init(&r, fd, "test", DS_AUTO) == 0);
	CHECK(ds_read(&r) == DS_EOF && r.lineno == 0 && r.mode == DS_AUTO);
	CHECK(ds_read(&r) == DS_EOF);
	ds_reader_free(&r);
	close(fd);

	CHECK(reads("#ds1\n", "E\n"));
	CHECK(reads("#ds1\na\tb\n%5\n", "R a|b\nB 5\nE\n"));
	CHECK(reads("#ds1\na\n%1\nb\nc\n%2\n%3\n",
	    "R a\nB 1\nR b\nR c\nB 2\nB 3\nE\n"));
	/* An empty line is a record of one empty field. */
	CHECK(reads("#ds1\n\n\t\n%1\n", "R \nR |\nB 1\nE\n"));
	CHECK(reads("#ds1\n\t\ta\t\n%1\n", "R ||a|\nB 1\nE\n"));

	/* The header is found and gone; lineno counts every line. */
	fd = open_str("#ds1\n# c\na\n\nb\tc\n%7\n");
	CHECK(ds_reader_init(&r, fd, "test", DS_AUTO) == 0);
	CHECK(ds_read(&r) == DS_RECORD && r.mode == DS_STREAM &&
	    r.lineno == 3 && r.nfield == 1 && r.field[0].len == 1 &&
	    r.field[0].data[0] == 'a');
	CHECK(ds_read(&r) == DS_RECORD && r.lineno == 4 && r.nfield == 1 &&
	    r.field[0].len == 0 && r.reclen == 0);
	CHECK(ds_read(&r) == DS_RECORD && r.lineno == 5 && r.nfield == 2 &&
	    r.reclen == 3 && memcmp(r.rec, "b\tc", 3) == 0);
	CHECK(ds_read(&r) == DS_BATCH && r.time == 7 && r.lasttime == 7 &&
	    !r.synthetic && r.lineno == 6);
	CHECK(ds_read(&r) == DS_EOF);
	ds_reader_free(&r);
	close(fd);

	/* More fields than the reader starts with room for. */
	CHECK(reads("#ds1\n0\t1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12\t13\t14\t"
	    "15\t16\t17\t18\t19\t20\n",
	    "R 0|1|2|3|4|5|6|7|8|9|10|11|12|13|14|15|16|17|18|19|20\nS\nE\n"));
}

static void
test_raw(void)
{
	struct ds_reader r;
	int fd;

	/* Not #ds1 first: lines as they are, split on TAB, one batch. */
	CHECK(reads("hello world\nx\ty\n#not a comment\n%5\na\\tb\n\\#\n",
	    "R hello world\nR x|y\nR #not a comment\nR %5\nR a\\\\tb\n"
	    "R \\\\#\nS\nE\n"));
	CHECK(reads("#ds2\nx\n", "R #ds2\nR x\nS\nE\n"));
	CHECK(reads("#ds1 \nx\n", "R #ds1 \nR x\nS\nE\n"));
	CHECK(reads("\n", "R \nS\nE\n"));
	CHECK(reads("a\\\n", "R a\\\\\nS\nE\n"));
	fd = open_str("a\tb\n");
	CHECK(ds_reader_init(&r, fd, "test", DS_AUTO) == 0);
	CHECK(ds_read(&r) == DS_RECORD && r.mode == DS_RAW &&
	    r.nfield == 2 && r.reclen == 3);
	CHECK(ds_read(&r) == DS_BATCH && r.synthetic);
	CHECK(ds_read(&r) == DS_EOF);
	ds_reader_free(&r);
	close(fd);

	/* DS_RAW forced: even #ds1 is a line, and nothing unescapes. */
	CHECK(same(transcript("#ds1\na\\tb\n%5\n#x\n", DS_RAW, 0),
	    "R #ds1\nR a\\\\tb\nR %5\nR #x\nS\nE\n"));
	CHECK(same(transcript("", DS_RAW, 0), "E\n"));

	/*
	 * DS_AUTO_LINES: every line a record line, escapes undone, # and %
	 * lines records too; or a stream, after #ds1.
	 */
	CHECK(same(transcript("#x\n%5\na\\tb\tc\n\\#y\n", DS_AUTO_LINES, 0),
	    "R #x\nR %5\nR a\\tb|c\nR #y\nS\nE\n"));
	CHECK(same(transcript("a\\q\n", DS_AUTO_LINES, 0), "X EBADMSG 1\n"));
	CHECK(same(transcript("#ds1\n#x\na\\tb\n%5\n", DS_AUTO_LINES, 0),
	    "R a\\tb\nB 5\nE\n"));
}

static void
test_escapes(void)
{
	CHECK(reads("#ds1\na\\tb\tc\\\\d\\ne\\rf\n%1\n",
	    "R a\\tb|c\\\\d\\ne\\rf\nB 1\nE\n"));
	CHECK(reads("#ds1\n\\#x\n\\%y\tz\n%1\n", "R #x\nR %y|z\nB 1\nE\n"));
	CHECK(reads("#ds1\n\\#\n\\%\n\\\\#\n%1\n",
	    "R #\nR %\nR \\\\#\nB 1\nE\n"));
	/* \# and \% are good anywhere, and # and % need none inside. */
	CHECK(reads("#ds1\na\\#b\ta%b\t#c\n%1\n", "R a#b|a%b|#c\nB 1\nE\n"));
	CHECK(reads("#ds1\n\\t\\t\t\\n\n", "R \\t\\t|\\n\nS\nE\n"));
	CHECK(reads("#ds1\nx\\\\\ty\n", "R x\\\\|y\nS\nE\n"));

	/* A bad escape stops the stream where it is. */
	CHECK(reads("#ds1\nok\na\\qb\nnever\n", "R ok\nX EBADMSG 3\n"));
	CHECK(reads("#ds1\nab\\\n", "X EBADMSG 2\n"));
	CHECK(reads("#ds1\na\\\tb\n", "X EBADMSG 2\n"));
	CHECK(reads("#ds1\nfine\tb\\x\n", "X EBADMSG 2\n"));
	CHECK(why_has("#ds1\na\\qb\n", "\"\\q\""));
	CHECK(why_has("#ds1\nab\\\n", "backslash at end of field"));
	CHECK(why_has("#ds1\na\\\tb\n", "backslash at end of field"));
	CHECK(why_has("#ds1\na\\\001b\n", "0x01"));
	CHECK(why_has("#ds1\na\\\"b\n", "0x22"));
}

static void
test_comments_and_header(void)
{
	CHECK(reads("#ds1\n# comment\n#\n#ds2\n#ds1x\na\n# mid\nb\n%1\n",
	    "R a\nR b\nB 1\nE\n"));
	/* #ds1 again at a batch boundary is fine, inside one it is not. */
	CHECK(reads("#ds1\na\n%1\n#ds1\nb\n%2\n#ds1\n",
	    "R a\nB 1\nR b\nB 2\nE\n"));
	CHECK(reads("#ds1\n#ds1\n#ds1\n", "E\n"));
	CHECK(reads("#ds1\na\n#ds1\nb\n", "R a\nX EBADMSG 3\n"));
	CHECK(why_has("#ds1\na\n#ds1\nb\n", "header inside a batch"));
	CHECK(reads("#ds1\n%1\n#ds1\n%2\n", "B 1\nB 2\nE\n"));
}

static void
test_batch_ends(void)
{
	CHECK(reads("#ds1\n%5 some text\n%6 \n%7 \t x\n",
	    "B 5\nB 6\nB 7\nE\n"));
	CHECK(reads("#ds1\n%0\n%1\n", "B 0\nB 1\nE\n"));
	CHECK(reads("#ds1\n%0009\n", "B 9\nE\n"));
	CHECK(reads("#ds1\n%9223372036854775807\n",
	    "B 9223372036854775807\nE\n"));

	/* Malformed. */
	CHECK(reads("#ds1\na\n%\n", "R a\nX EBADMSG 3\n"));
	CHECK(reads("#ds1\n%12x\n", "X EBADMSG 2\n"));
	CHECK(reads("#ds1\n%-1\n", "X EBADMSG 2\n"));
	CHECK(reads("#ds1\n%+1\n", "X EBADMSG 2\n"));
	CHECK(reads("#ds1\n% 1\n", "X EBADMSG 2\n"));
	CHECK(reads("#ds1\n%1\t\n", "X EBADMSG 2\n"));
	CHECK(reads("#ds1\n%0x10\n", "X EBADMSG 2\n"));
	CHECK(reads("#ds1\n%1.5\n", "X EBADMSG 2\n"));
	CHECK(reads("#ds1\n%1\n%x\n", "B 1\nX EBADMSG 3\n"));
	CHECK(reads("#ds1\n%9223372036854775808\n", "X EBADMSG 2\n"));
	CHECK(why_has("#ds1\n%12x\n", "malformed batch end"));
	CHECK(why_has("#ds1\n%\n", "malformed batch end"));
	CHECK(why_has("#ds1\n%99999999999999999999\n", "out of range"));

	/* Batch times must increase. */
	CHECK(reads("#ds1\n%5\n%5\n", "B 5\nX EBADMSG 3\n"));
	CHECK(reads("#ds1\n%5\na\n%4\n", "B 5\nR a\nX EBADMSG 4\n"));
	CHECK(reads("#ds1\n%5\n# c\n\\%4\n%0\n",
	    "B 5\nR %4\nX EBADMSG 5\n"));
	CHECK(why_has("#ds1\n%5\n%5\n", "5 does not follow 5"));
	CHECK(why_has("#ds1\n%10\n%3\n", "3 does not follow 10"));
}

static void
test_synthetic(void)
{
	struct ds_reader r;
	int64_t before, after;
	int fd;

	/* Records with no batch end: one is made up at EOF. */
	CHECK(reads("#ds1\n%1000\na\n", "B 1000\nR a\nS\nE\n"));
	CHECK(reads("#ds1\na\nb\n", "R a\nR b\nS\nE\n"));
	/* Nothing made up after a batch end or for no records. */
	CHECK(reads("#ds1\na\n%1\n# trailing\n", "R a\nB 1\nE\n"));

	/* Its time is the clock's ... */
	fd = open_str("#ds1\n%1000\na\n");
	CHECK(ds_reader_init(&r, fd, "test", DS_AUTO) == 0);
	before = ds_now_ms();
	CHECK(ds_read(&r) == DS_BATCH && r.time == 1000 && !r.synthetic);
	CHECK(ds_read(&r) == DS_RECORD);
	CHECK(ds_read(&r) == DS_BATCH && r.synthetic);
	after = ds_now_ms();
	CHECK(r.time > 1000 && r.time >= before && r.time <= after);
	CHECK(r.lasttime == r.time);
	CHECK(ds_read(&r) == DS_EOF);
	ds_reader_free(&r);
	close(fd);

	/* ... or a millisecond after the last batch's, when that is later. */
	fd = open_str("#ds1\n%4000000000000000\na\n");
	CHECK(ds_reader_init(&r, fd, "test", DS_AUTO) == 0);
	CHECK(ds_read(&r) == DS_BATCH && r.time == 4000000000000000);
	CHECK(ds_read(&r) == DS_RECORD);
	CHECK(ds_read(&r) == DS_BATCH && r.synthetic &&
	    r.time == 4000000000000001);
	CHECK(ds_read(&r) == DS_EOF);
	ds_reader_free(&r);
	close(fd);

	/* Raw input is one batch, at the clock's time. */
	fd = open_str("x\ny\n");
	CHECK(ds_reader_init(&r, fd, "test", DS_AUTO) == 0);
	before = ds_now_ms();
	CHECK(ds_read(&r) == DS_RECORD && ds_read(&r) == DS_RECORD);
	CHECK(ds_read(&r) == DS_BATCH && r.synthetic);
	after = ds_now_ms();
	CHECK(r.time >= before && r.time <= after);
	CHECK(ds_read(&r) == DS_EOF);
	ds_reader_free(&r);
	close(fd);
}

static void
test_line_ends(void)
{
	int fd;

	/* A last line without LF still counts. */
	CHECK(reads("#ds1\na\n%5", "R a\nB 5\nE\n"));
	CHECK(reads("#ds1\nabc", "R abc\nS\nE\n"));
	CHECK(reads("#ds1\n%5\nx\\ty", "B 5\nR x\\ty\nS\nE\n"));
	CHECK(reads("abc", "R abc\nS\nE\n"));
	CHECK(reads("#ds1", "E\n"));
	CHECK(reads("#ds1\n%5\n%4", "B 5\nX EBADMSG 3\n"));
	/* CR is data, in both modes. */
	CHECK(reads("#ds1\na\r\n", "R a\\r\nS\nE\n"));
	CHECK(reads("a\r\nb\r\n", "R a\\r\nR b\\r\nS\nE\n"));
	/* NUL too. */
	fd = open_data("#ds1\na\0b\t\0\n", 11);
	CHECK(same(transcript_fd(fd, DS_AUTO, 0), "R a\\0b|\\0\nS\nE\n"));
	close(fd);
}

static void
test_torn(void)
{
	/*
	 * In a pipeline that replays, the end of input inside a batch, or
	 * in a line (what a stage killed mid-write leaves), is torn: the
	 * batch, and the cut line, are the replay's.
	 */
	replay = 1;
	CHECK(reads("#ds1\na\n%5\nb\n", "R a\nB 5\nR b\nT\n"));
	CHECK(reads("#ds1\na\n%5\nb\n%50", "R a\nB 5\nR b\nT\n"));
	CHECK(reads("#ds1\na\n%5\n%50", "R a\nB 5\nT\n"));
	CHECK(reads("#ds1\na\n%5\n%", "R a\nB 5\nT\n"));
	CHECK(reads("#ds1\na\n%5\n%4", "R a\nB 5\nT\n"));
	CHECK(reads("#ds1\na\n%5\nbc", "R a\nB 5\nT\n"));
	CHECK(reads("#ds1\na\n%5\n", "R a\nB 5\nE\n"));
	CHECK(reads("#ds1\n", "E\n"));
	/* A raw input has no batches to replay: its last line counts. */
	CHECK(reads("x\ny", "R x\nR y\nS\nE\n"));
	replay = 0;
}

static void
test_long_lines(void)
{
	struct ds_reader r;
	char *field, *data, *p;
	size_t big = 5 * 1024 * 1024 + 17, i, len;
	int fd, pp[2], status;
	pid_t pid;

	/*
	 * A field of 5 MB, every byte value in it, escaped to more, then
	 * read back whole: the line outgrows the 128 KiB buffer many times.
	 */
	if ((field = malloc(big)) == NULL ||
	    (data = malloc(2 * big + 64)) == NULL)
		fatal("malloc");
	for (i = 0; i < big; i++)
		field[i] = (char)(i * 2654435761U >> 13);
	p = data;
	memcpy(p, "#ds1\nfirst\n", 11);
	p += 11;
	if (field[0] == '#' || field[0] == '%')
		*p++ = '\\';
	p += ds_escape(p, field, big);
	memcpy(p, "\tend\nlast\n%9\n", 13);
	p += 13;
	len = p - data;

	fd = open_data(data, len);
	CHECK(ds_reader_init(&r, fd, "test", DS_AUTO) == 0);
	CHECK(ds_read(&r) == DS_RECORD && r.nfield == 1 && r.lineno == 2);
	CHECK(ds_read(&r) == DS_RECORD && r.nfield == 2 && r.lineno == 3);
	CHECK(r.field[0].len == big &&
	    memcmp(r.field[0].data, field, big) == 0);
	CHECK(r.field[1].len == 3 && memcmp(r.field[1].data, "end", 3) == 0);
	CHECK(r.reclen == big + 4 && memcmp(r.rec, field, big) == 0 &&
	    memcmp(r.rec + big, "\tend", 4) == 0);
	CHECK(ds_read(&r) == DS_RECORD && r.nfield == 1 && r.lineno == 4 &&
	    r.field[0].len == 4 && memcmp(r.field[0].data, "last", 4) == 0);
	CHECK(ds_read(&r) == DS_BATCH && r.time == 9);
	CHECK(ds_read(&r) == DS_EOF);
	ds_reader_free(&r);
	close(fd);

	/* The same through a pipe, in pieces the reader must join. */
	if (pipe(pp) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(pp[0]);
		feed_slowly(pp[1], data, len, 100000);
	}
	close(pp[1]);
	CHECK(ds_reader_init(&r, pp[0], "pipe", DS_AUTO) == 0);
	CHECK(ds_read(&r) == DS_RECORD);
	CHECK(ds_read(&r) == DS_RECORD && r.nfield == 2 &&
	    r.field[0].len == big && memcmp(r.field[0].data, field, big) == 0);
	CHECK(ds_read(&r) == DS_RECORD && ds_read(&r) == DS_BATCH &&
	    ds_read(&r) == DS_EOF);
	ds_reader_free(&r);
	close(pp[0]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);

	/* A raw line as long, with no LF at the end. */
	memset(data, 'x', big);
	fd = open_data(data, big);
	CHECK(ds_reader_init(&r, fd, "test", DS_AUTO) == 0);
	CHECK(ds_read(&r) == DS_RECORD && r.mode == DS_RAW &&
	    r.nfield == 1 && r.field[0].len == big && r.lineno == 1 &&
	    r.field[0].data[big - 1] == 'x');
	CHECK(ds_read(&r) == DS_BATCH && r.synthetic);
	CHECK(ds_read(&r) == DS_EOF);
	ds_reader_free(&r);
	close(fd);
	free(field);
	free(data);
}

static void
test_maxline(void)
{
	char *data;
	size_t n;

	/* Too long: EMSGSIZE, and the next line is read. */
	CHECK(same(transcript("#ds1\nshort\nxxxxxxxxxxxxxxxxxxxx\nnext\n%1\n",
	    DS_AUTO, 10), "R short\nX EMSGSIZE 3\nR next\nB 1\nE\n"));
	/* Exactly the limit is fine; the LF does not count. */
	CHECK(same(transcript("#ds1\n0123456789\n01234567890\n%1\n", DS_AUTO,
	    10), "R 0123456789\nX EMSGSIZE 3\nB 1\nE\n"));
	CHECK(same(transcript("0123456789\n01234567890\nok\n", DS_RAW, 10),
	    "R 0123456789\nX EMSGSIZE 2\nR ok\nS\nE\n"));
	/* A too long last line with no LF. */
	CHECK(same(transcript("#ds1\na\nyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy",
	    DS_AUTO, 10), "R a\nX EMSGSIZE 3\nS\nE\n"));
	/* Several too long in a row. */
	CHECK(same(transcript("#ds1\nxxxxxxxxxxxx\nyyyyyyyyyyyy\nz\n", DS_AUTO,
	    10), "X EMSGSIZE 2\nX EMSGSIZE 3\nR z\nS\nE\n"));

	/* Longer than the reader's buffer: skipped as it comes in. */
	n = 3 * 128 * 1024;
	if ((data = malloc(n + 64)) == NULL)
		fatal("malloc");
	memcpy(data, "#ds1\na\n", 7);
	memset(data + 7, 'x', n);
	memcpy(data + 7 + n, "\nb\n%1\n", 7);
	CHECK(same(transcript(data, DS_AUTO, 1000),
	    "R a\nX EMSGSIZE 3\nR b\nB 1\nE\n"));
	/* The same line is fine with no limit. */
	data[7 + n + 1] = '\0';
	CHECK(strncmp(transcript(data, DS_AUTO, 0), "R a\nR xxxxxxxx", 14) ==
	    0);
	free(data);
}

static void
test_pipe(void)
{
	static const char stream[] =
	    "#ds1\nalpha\tbeta\n\\#x\ty\\tz\n%100\n# c\n\n"
	    "%200 t\nlong line long line long line long line\n";
	const char *want;
	char *copy;
	int p[2], status;
	pid_t pid;

	want = "R alpha|beta\nR #x|y\\tz\nB 100\nR \nB 200\n"
	    "R long line long line long line long line\nS\nE\n";
	CHECK(reads(stream, want));

	/* The same through a pipe, a few bytes per write. */
	if ((copy = strdup(want)) == NULL)
		fatal("strdup");
	if (pipe(p) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(p[0]);
		feed_slowly(p[1], stream, sizeof(stream) - 1, 3);
	}
	close(p[1]);
	CHECK(same(transcript_fd(p[0], DS_AUTO, 0), copy));
	close(p[0]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
	free(copy);
}

static void
test_nowait(void)
{
	struct ds_reader r;
	int p[2];

	if (pipe(p) == -1)
		fatal("pipe");
	CHECK(ds_reader_init(&r, p[0], "pipe", DS_AUTO) == 0);
	r.nowait = 1;
	errno = 0;
	CHECK(ds_read(&r) == -1 && errno == EAGAIN);
	errno = 0;
	CHECK(ds_read(&r) == -1 && errno == EAGAIN);

	/* A part of a line is kept until the rest comes. */
	CHECK(write(p[1], "#ds1\nab", 7) == 7);
	errno = 0;
	CHECK(ds_read(&r) == -1 && errno == EAGAIN);
	CHECK(r.mode == DS_STREAM);
	CHECK(write(p[1], "c\n", 2) == 2);
	CHECK(ds_read(&r) == DS_RECORD && r.nfield == 1 &&
	    r.field[0].len == 3 && memcmp(r.field[0].data, "abc", 3) == 0 &&
	    r.lineno == 2);
	errno = 0;
	CHECK(ds_read(&r) == -1 && errno == EAGAIN);
	CHECK(write(p[1], "%5\nd\n", 5) == 5);
	CHECK(ds_read(&r) == DS_BATCH && r.time == 5);
	CHECK(ds_read(&r) == DS_RECORD && r.field[0].data[0] == 'd');
	errno = 0;
	CHECK(ds_read(&r) == -1 && errno == EAGAIN);
	/* At the end of the pipe the batch is closed as usual. */
	close(p[1]);
	CHECK(ds_read(&r) == DS_BATCH && r.synthetic);
	CHECK(ds_read(&r) == DS_EOF);
	ds_reader_free(&r);
	close(p[0]);
}

/*
 * A finished batch in the linked writer is flushed before the reader
 * waits: the child answers on the input only once it has seen the batch,
 * so without the flush both would wait for ever (the alarm ends that).
 */
static void
test_flush(void)
{
	struct ds_reader r;
	struct ds_writer w;
	char buf[64];
	size_t have = 0;
	ssize_t n;
	int in[2], out[2], status;
	pid_t pid;

	if (pipe(in) == -1 || pipe(out) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(in[0]);
		close(out[1]);
		while (have < 8 && (n = read(out[0], buf + have,
		    sizeof(buf) - have)) > 0)
			have += n;
		if (have != 8 || memcmp(buf, "#ds1\n%7\n", 8) != 0)
			_exit(1);
		if (write(in[1], "x\n", 2) != 2)
			_exit(1);
		_exit(0);
	}
	close(in[1]);
	close(out[0]);
	alarm(10);
	CHECK(ds_writer_init(&w, out[1]) == 0);
	CHECK(ds_write_header(&w) == 0 && ds_write_batch(&w, 7) == 0);
	CHECK(w.pending && w.len == 8);
	CHECK(ds_reader_init(&r, in[0], "pipe", DS_AUTO) == 0);
	r.flush = &w;
	CHECK(ds_read(&r) == DS_RECORD && r.field[0].len == 1 &&
	    r.field[0].data[0] == 'x');
	CHECK(!w.pending && w.len == 0);
	CHECK(ds_read(&r) == DS_BATCH && r.synthetic);
	CHECK(ds_read(&r) == DS_EOF);
	alarm(0);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
	ds_reader_free(&r);
	(void)ds_writer_close(&w);
	close(in[0]);
	close(out[1]);
}

static void
test_buffered(void)
{
	struct ds_reader r;
	int fd;

	fd = open_str("a\nb\nc");
	CHECK(ds_reader_init(&r, fd, "test", DS_AUTO) == 0);
	CHECK(!ds_reader_buffered(&r));
	CHECK(ds_read(&r) == DS_RECORD);
	CHECK(ds_reader_buffered(&r));
	CHECK(ds_read(&r) == DS_RECORD && r.field[0].data[0] == 'b');
	/* "c" has no LF: not a complete line. */
	CHECK(!ds_reader_buffered(&r));
	CHECK(ds_read(&r) == DS_RECORD && r.field[0].data[0] == 'c');
	CHECK(!ds_reader_buffered(&r));
	ds_reader_free(&r);
	close(fd);
}

/*
 * Which records are clean, so that a pass-through may write rec as its
 * line: those with no field holding a byte a writer escapes.
 */
static void
test_clean(void)
{
	static const struct {
		const char	*data;
		int		 mode;
		int		 clean;
	} t[] = {
		{ "#ds1\na\tb\n", DS_AUTO, 1 },
		/* ds-filter's bug: an escaped TAB, alone. */
		{ "#ds1\na\\tb\tc\n", DS_AUTO, 0 },
		{ "#ds1\na\\\\b\n", DS_AUTO, 0 },
		{ "#ds1\na\\nb\n", DS_AUTO, 0 },
		{ "#ds1\na\rb\n", DS_AUTO, 0 },
		{ "#ds1\n\\#a\n", DS_AUTO, 0 },		/* not looked into */
		{ "a\\b\n", DS_AUTO, 0 },		/* raw: a backslash */
		{ "a\rb\n", DS_AUTO, 0 },
		/* Raw: the leading '#' rule is the writer's. */
		{ "#a\tb\n", DS_AUTO, 1 },
		{ "a\\tb\n", DS_AUTO_LINES, 0 },
		{ "a\tb\n", DS_AUTO_LINES, 1 },
	};
	struct ds_reader r;
	struct ds_buf a = { 0 }, b = { 0 };
	char buf[512];
	size_t i;
	int fd;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fd = open_str(t[i].data);
		CHECK(ds_reader_init(&r, fd, "test", t[i].mode) == 0);
		CHECK(ds_read(&r) == DS_RECORD &&
		    !ds_record_clean(&r) == !t[i].clean);
		/* Either way, ds_escape_read appends the escaped record. */
		a.len = b.len = 0;
		CHECK(ds_escape_read(&a, &r) == 0 &&
		    ds_escape_record(&b, r.field, r.nfield) == 0 &&
		    a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
		ds_reader_free(&r);
		close(fd);
	}
	ds_buf_free(&a);
	ds_buf_free(&b);
	/* A long line goes by the general path. */
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "#ds1\n", 5);
	memcpy(buf + 300, "\\t", 2);
	buf[sizeof(buf) - 1] = '\n';
	fd = open_data(buf, sizeof(buf));
	CHECK(ds_reader_init(&r, fd, "test", DS_AUTO) == 0);
	CHECK(ds_read(&r) == DS_RECORD && !ds_record_clean(&r));
	ds_reader_free(&r);
	close(fd);
	buf[301] = 'x';
	buf[300] = 'x';
	fd = open_data(buf, sizeof(buf));
	CHECK(ds_reader_init(&r, fd, "test", DS_AUTO) == 0);
	CHECK(ds_read(&r) == DS_RECORD && ds_record_clean(&r) &&
	    r.reclen == sizeof(buf) - 6);
	ds_reader_free(&r);
	close(fd);
}

/* The words for a failed read, as ds_reader_die says them. */
static void
test_error(void)
{
	struct ds_reader r;
	char buf[128];

	if (ds_reader_init(&r, open_str("#ds1\nok\na\\qb\n"), "in",
	    DS_AUTO) == -1)
		fatal("ds_reader_init");
	CHECK(ds_read(&r) == DS_RECORD);
	CHECK(ds_read(&r) == -1 && errno == EBADMSG);
	CHECK(strncmp(ds_reader_error(&r, EBADMSG, buf, sizeof(buf)),
	    "in:3: ", 6) == 0 && strcmp(buf + 6, r.why) == 0);
	r.maxline = 10;
	CHECK(strcmp(ds_reader_error(&r, EMSGSIZE, buf, sizeof(buf)),
	    "in:3: line longer than 10 bytes") == 0);
	CHECK(strcmp(ds_reader_error(&r, EIO, buf, sizeof(buf)),
	    "in: Input/output error") == 0);
	close(r.fd);
	ds_reader_free(&r);
}
