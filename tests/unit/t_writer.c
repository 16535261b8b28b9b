/*
 * t_writer.c: tests the buffered ds stream writer of lib/writer.c, by
 * reading back what it wrote to temporary files and pipes.
 */

#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"
#include "check.h"

static struct ds_buf	file;
static uint64_t		rng_state = 0x853c49e6748fea9bULL;

static void	fatal(const char *);
static uint64_t	rng(void);
static int	tmpfd(void);
static int	start(struct ds_writer *);
static const char *finish(struct ds_writer *, size_t *);
static int	wrote(struct ds_writer *, const char *);
static int	wrote_bytes(struct ds_writer *, const char *, size_t);
static void	test_header_and_fields(void);
static void	test_leading(void);
static void	test_empty_records(void);
static void	test_batch(void);
static void	test_bytes(void);
static void	test_escaped(void);
static void	test_big(void);
static void	test_epipe(void);
static void	test_round_trip(void);

int
main(void)
{
	test_header_and_fields();
	test_leading();
	test_empty_records();
	test_batch();
	test_bytes();
	test_escaped();
	test_big();
	test_epipe();
	test_round_trip();
	ds_buf_free(&file);
	return done();
}

static void
fatal(const char *what)
{
	perror(what);
	exit(2);
}

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* An empty temporary file, already unlinked. */
static int
tmpfd(void)
{
	char path[1024];
	const char *dir;
	int fd;

	if ((dir = getenv("TMPDIR")) == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/t_writer.XXXXXX", dir);
	if ((fd = mkstemp(path)) == -1)
		fatal("mkstemp");
	if (unlink(path) == -1)
		fatal("unlink");
	return fd;
}

static int
start(struct ds_writer *w)
{
	return ds_writer_init(w, tmpfd());
}

/* Close the writer and its file; what it wrote, NUL-terminated. */
static const char *
finish(struct ds_writer *w, size_t *len)
{
	char chunk[65536];
	ssize_t n;
	int fd = w->fd;

	file.len = 0;
	if (ds_writer_close(w) == -1)
		fatal("ds_writer_close");
	if (lseek(fd, 0, SEEK_SET) == -1)
		fatal("lseek");
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (ds_buf_append(&file, chunk, n) == -1)
			fatal("ds_buf_append");
	if (n == -1)
		fatal("read");
	close(fd);
	if (ds_buf_append(&file, "", 1) == -1)
		fatal("ds_buf_append");
	*len = file.len - 1;
	return file.data;
}

static int
wrote_bytes(struct ds_writer *w, const char *want, size_t wantlen)
{
	const char *have;
	char q[256];
	size_t len;

	have = finish(w, &len);
	if (len == wantlen && memcmp(have, want, len) == 0)
		return 1;
	printf("# wrote \"%s\"\n", ds_quote(q, sizeof(q), have, len));
	printf("# want  \"%s\"\n", ds_quote(q, sizeof(q), want, wantlen));
	return 0;
}

/* Finish w: it wrote exactly the string want. */
static int
wrote(struct ds_writer *w, const char *want)
{
	return wrote_bytes(w, want, strlen(want));
}

static void
test_header_and_fields(void)
{
	struct ds_writer w;
	struct ds_field f[3];

	CHECK(start(&w) == 0);
	CHECK(ds_write_header(&w) == 0);
	CHECK(wrote(&w, "#ds1\n"));

	CHECK(start(&w) == 0);
	CHECK(ds_write_header(&w) == 0);
	CHECK(ds_write_field(&w, "a\tb", 3) == 0);
	CHECK(ds_write_field(&w, "c\\d\ne\rf", 7) == 0);
	CHECK(w.nfield == 2);
	CHECK(ds_write_end(&w) == 0 && w.nfield == 0);
	CHECK(ds_write_field(&w, "x", 1) == 0);
	CHECK(ds_write_end(&w) == 0);
	CHECK(wrote(&w, "#ds1\na\\tb\tc\\\\d\\ne\\rf\nx\n"));

	/* NUL and high bytes go as they are. */
	CHECK(start(&w) == 0);
	CHECK(ds_write_field(&w, "a\0b\xff", 4) == 0);
	CHECK(ds_write_end(&w) == 0);
	CHECK(wrote_bytes(&w, "a\0b\xff\n", 5));

	CHECK(start(&w) == 0);
	f[0].data = "k";
	f[0].len = 1;
	f[1].data = "v\t1";
	f[1].len = 3;
	f[2].data = "";
	f[2].len = 0;
	CHECK(ds_write_record(&w, f, 3) == 0);
	CHECK(ds_write_record(&w, f + 1, 1) == 0);
	CHECK(wrote(&w, "k\tv\\t1\t\nv\\t1\n"));
}

static void
test_leading(void)
{
	struct ds_writer w;

	/* Only a first field's first # or % gets a backslash. */
	CHECK(start(&w) == 0);
	CHECK(ds_write_field(&w, "#x", 2) == 0 && ds_write_end(&w) == 0);
	CHECK(ds_write_field(&w, "%y", 2) == 0 && ds_write_end(&w) == 0);
	CHECK(ds_write_field(&w, "a", 1) == 0 &&
	    ds_write_field(&w, "#b", 2) == 0 &&
	    ds_write_field(&w, "%c", 2) == 0 && ds_write_end(&w) == 0);
	CHECK(ds_write_field(&w, "a#%", 3) == 0 && ds_write_end(&w) == 0);
	CHECK(ds_write_field(&w, "##", 2) == 0 && ds_write_end(&w) == 0);
	CHECK(ds_write_field(&w, "", 0) == 0 &&
	    ds_write_field(&w, "#", 1) == 0 && ds_write_end(&w) == 0);
	CHECK(ds_write_field(&w, "\\#", 2) == 0 && ds_write_end(&w) == 0);
	CHECK(ds_write_field(&w, "#ds1", 4) == 0 && ds_write_end(&w) == 0);
	CHECK(ds_write_field(&w, "%5", 2) == 0 && ds_write_end(&w) == 0);
	CHECK(wrote(&w, "\\#x\n\\%y\na\t#b\t%c\na#%\n\\##\n\t#\n\\\\#\n"
	    "\\#ds1\n\\%5\n"));

	/* A batch end starts a new record too. */
	CHECK(start(&w) == 0);
	CHECK(ds_write_field(&w, "a", 1) == 0 && ds_write_end(&w) == 0);
	CHECK(ds_write_batch(&w, 1) == 0);
	CHECK(ds_write_field(&w, "#z", 2) == 0 && ds_write_end(&w) == 0);
	CHECK(wrote(&w, "a\n%1\n\\#z\n"));
}

static void
test_empty_records(void)
{
	struct ds_writer w;

	CHECK(start(&w) == 0);
	CHECK(ds_write_end(&w) == 0);
	CHECK(ds_write_end(&w) == 0);
	CHECK(ds_write_record(&w, NULL, 0) == 0);
	CHECK(ds_write_field(&w, "", 0) == 0 && ds_write_end(&w) == 0);
	CHECK(ds_write_field(&w, "", 0) == 0 &&
	    ds_write_field(&w, "", 0) == 0 && ds_write_end(&w) == 0);
	CHECK(wrote(&w, "\n\n\n\n\t\n"));
}

static void
test_batch(void)
{
	struct ds_writer w;
	struct stat st;

	CHECK(start(&w) == 0);
	CHECK(!w.pending);
	CHECK(ds_write_field(&w, "a", 1) == 0 && ds_write_end(&w) == 0);
	CHECK(!w.pending);
	CHECK(ds_write_batch(&w, 5) == 0);
	CHECK(w.pending);
	/* Buffered: nothing reaches the file before a flush. */
	CHECK(fstat(w.fd, &st) == 0 && st.st_size == 0);
	CHECK(ds_writer_flush(&w) == 0);
	CHECK(!w.pending && w.len == 0);
	CHECK(fstat(w.fd, &st) == 0 && st.st_size == 5);
	CHECK(ds_write_batch(&w, 6) == 0);
	CHECK(ds_write_batch(&w, 1653400284000) == 0);
	CHECK(ds_write_batch(&w, INT64_MAX) == 0);
	CHECK(ds_write_batch(&w, 0) == 0);
	CHECK(wrote(&w, "a\n%5\n%6\n%1653400284000\n%9223372036854775807\n"
	    "%0\n"));

	CHECK(start(&w) == 0);
	ds_writer_mark(&w);
	CHECK(w.pending);
	CHECK(ds_writer_flush(&w) == 0 && !w.pending);
	CHECK(wrote(&w, ""));
}

static void
test_bytes(void)
{
	struct ds_writer w;

	CHECK(start(&w) == 0);
	CHECK(ds_write_bytes(&w, "a\tb\\#\n", 6) == 0);
	CHECK(ds_write_bytes(&w, "", 0) == 0);
	CHECK(ds_write_bytes(&w, "%x", 2) == 0);
	CHECK(wrote(&w, "a\tb\\#\n%x"));
}

static void
test_escaped(void)
{
	struct ds_writer w;
	struct ds_buf b = { 0 };
	struct ds_field f[3];

	/* Escaped bytes go as they are, with the separator and # rule. */
	CHECK(start(&w) == 0);
	CHECK(ds_write_escaped(&w, "a\\tb", 4) == 0);
	CHECK(ds_write_escaped(&w, "#c\td", 4) == 0);
	CHECK(ds_write_end(&w) == 0);
	CHECK(ds_write_escaped(&w, "#c", 2) == 0 && ds_write_end(&w) == 0);
	CHECK(ds_write_escaped(&w, "%5", 2) == 0 && ds_write_end(&w) == 0);
	CHECK(ds_write_escaped(&w, "", 0) == 0 &&
	    ds_write_field(&w, "e\tf", 3) == 0 && ds_write_end(&w) == 0);
	CHECK(wrote(&w, "a\\tb\t#c\td\n\\#c\n\\%5\n\te\\tf\n"));

	/* What ds_escape_record makes, ds_write_escaped writes as a record. */
	f[0].data = "#k";
	f[0].len = 2;
	f[1].data = "v\n";
	f[1].len = 2;
	f[2].data = "\\";
	f[2].len = 1;
	CHECK(ds_escape_record(&b, f, 3) == 0);
	CHECK(start(&w) == 0);
	CHECK(ds_write_escaped(&w, b.data, b.len) == 0 &&
	    ds_write_end(&w) == 0);
	CHECK(ds_write_record(&w, f, 3) == 0);
	CHECK(wrote(&w, "\\#k\tv\\n\t\\\\\n\\#k\tv\\n\t\\\\\n"));
	ds_buf_free(&b);
}

static void
test_big(void)
{
	struct ds_writer w;
	const char *have;
	char *field, *want;
	size_t big = 300 * 1024 + 3, n, len, i;

	/* A field bigger than the buffer, escaped all the way. */
	if ((field = malloc(big)) == NULL ||
	    (want = malloc(2 * big + 8)) == NULL)
		fatal("malloc");
	for (i = 0; i < big; i++)
		field[i] = (char)(i * 2654435761U >> 11);
	field[0] = '%';
	field[big - 1] = '\n';
	want[0] = '\\';
	n = 1 + ds_escape(want + 1, field, big);
	want[n++] = '\t';
	want[n++] = 'z';
	want[n++] = '\n';
	CHECK(n > 2 * 128 * 1024);
	CHECK(start(&w) == 0);
	CHECK(ds_write_field(&w, field, big) == 0);
	CHECK(ds_write_field(&w, "z", 1) == 0);
	CHECK(ds_write_end(&w) == 0);
	have = finish(&w, &len);
	CHECK(len == n && memcmp(have, want, n) == 0);

	/* Bytes bigger than the buffer keep their place among the small. */
	CHECK(start(&w) == 0);
	CHECK(ds_write_bytes(&w, "<", 1) == 0);
	CHECK(ds_write_bytes(&w, field, big) == 0);
	CHECK(ds_write_bytes(&w, ">", 1) == 0);
	have = finish(&w, &len);
	CHECK(len == big + 2 && have[0] == '<' &&
	    memcmp(have + 1, field, big) == 0 && have[big + 1] == '>');

	/* Many small records, past the buffer many times over. */
	CHECK(start(&w) == 0);
	for (i = 0; i < 100000; i++)
		if (ds_write_field(&w, "0123456789", 10) == -1 ||
		    ds_write_end(&w) == -1)
			break;
	have = finish(&w, &len);
	CHECK(i == 100000 && len == 1100000);
	CHECK(memcmp(have + len - 22, "0123456789\n0123456789\n", 22) == 0);
	free(field);
	free(want);
}

static void
test_epipe(void)
{
	struct ds_writer w;
	struct ds_field f = { "x", 1 };
	char *big;
	int p[2];

	if ((big = calloc(1, 300 * 1024)) == NULL)
		fatal("calloc");
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	if (pipe(p) == -1)
		fatal("pipe");
	close(p[0]);
	CHECK(ds_writer_init(&w, p[1]) == 0);
	/* Buffered, so the first failure is at the flush ... */
	CHECK(ds_write_header(&w) == 0);
	CHECK(ds_write_field(&w, "a", 1) == 0 && ds_write_end(&w) == 0);
	errno = 0;
	CHECK(ds_writer_flush(&w) == -1 && errno == EPIPE);
	CHECK(w.error == EPIPE);
	/* ... and every call after it fails the same way. */
	errno = 0;
	CHECK(ds_writer_flush(&w) == -1 && errno == EPIPE);
	errno = 0;
	CHECK(ds_write_field(&w, "b", 1) == -1 && errno == EPIPE);
	errno = 0;
	CHECK(ds_write_end(&w) == -1 && errno == EPIPE);
	errno = 0;
	CHECK(ds_write_record(&w, &f, 1) == -1 && errno == EPIPE);
	errno = 0;
	CHECK(ds_write_batch(&w, 1) == -1 && errno == EPIPE);
	errno = 0;
	CHECK(ds_write_header(&w) == -1 && errno == EPIPE);
	errno = 0;
	CHECK(ds_write_bytes(&w, "c", 1) == -1 && errno == EPIPE);
	errno = 0;
	CHECK(ds_write_bytes(&w, big, 300 * 1024) == -1 && errno == EPIPE);
	errno = 0;
	CHECK(ds_write_escaped(&w, "d", 1) == -1 && errno == EPIPE);
	CHECK(w.error == EPIPE);
	errno = 0;
	CHECK(ds_writer_close(&w) == -1 && errno == EPIPE);

	/* A field too big for the buffer fails without a flush. */
	CHECK(ds_writer_init(&w, p[1]) == 0);
	errno = 0;
	CHECK(ds_write_field(&w, big, 300 * 1024) == -1 && errno == EPIPE);
	errno = 0;
	CHECK(ds_write_end(&w) == -1 && errno == EPIPE);
	(void)ds_writer_close(&w);

	/* Bytes too big for it go straight to write(2), and fail there. */
	CHECK(ds_writer_init(&w, p[1]) == 0);
	errno = 0;
	CHECK(ds_write_bytes(&w, big, 300 * 1024) == -1 && errno == EPIPE);
	errno = 0;
	CHECK(ds_write_bytes(&w, "e", 1) == -1 && errno == EPIPE);
	(void)ds_writer_close(&w);
	close(p[1]);
	free(big);

	/* Any error sticks, not only EPIPE. */
	CHECK(ds_writer_init(&w, -1) == 0);
	CHECK(ds_write_bytes(&w, "x", 1) == 0);
	errno = 0;
	CHECK(ds_writer_flush(&w) == -1 && errno == EBADF);
	errno = 0;
	CHECK(ds_write_bytes(&w, "x", 1) == -1 && errno == EBADF);
	errno = 0;
	CHECK(ds_writer_close(&w) == -1 && errno == EBADF);
	signal(SIGPIPE, SIG_DFL);
}

/*
 * Random records and batch ends, written and read back: the reader sees
 * exactly what went in.
 */
static void
test_round_trip(void)
{
	static const char special[] = "\\\t\n\r#%\0 x";
	struct ds_writer w;
	struct ds_reader r;
	struct ds_field f[8];
	struct ds_buf data = { 0 }, want = { 0 };
	size_t nrec = 0, nbatch = 0, i, j, k, len, off;
	size_t *wantoff = NULL, nwant = 0, wantcap = 0;
	int64_t t = 0;
	int fd, rc, bad = 0, item;
	char c;

	/*
	 * want holds each item as the reader should give it: a record as
	 * its field count, then each field's length and bytes; a batch end
	 * as count 0 and its time.
	 */
	CHECK(start(&w) == 0);
	fd = w.fd;
	CHECK(ds_write_header(&w) == 0);
	for (item = 0; item < 5000; item++) {
		if (nwant == wantcap) {
			wantcap = wantcap ? 2 * wantcap : 1024;
			wantoff = reallocarray(wantoff, wantcap,
			    sizeof(*wantoff));
			if (wantoff == NULL)
				fatal("reallocarray");
		}
		wantoff[nwant++] = want.len;
		if (rng() % 8 == 0) {
			t += 1 + rng() % 1000;
			k = 0;
			(void)ds_buf_append(&want, &k, sizeof(k));
			(void)ds_buf_append(&want, &t, sizeof(t));
			if (ds_write_batch(&w, t) == -1)
				bad++;
			nbatch++;
			continue;
		}
		k = 1 + rng() % 8;
		data.len = 0;
		for (i = 0; i < k; i++) {
			len = rng() % 5 == 0 ? 0 : rng() % 40;
			if (rng() % 500 == 0)
				len = 200000;
			f[i].len = len;
			for (j = 0; j < len; j++) {
				c = rng() % 3 == 0 ? special[rng() % 9] :
				    (char)rng();
				(void)ds_buf_append(&data, &c, 1);
			}
		}
		(void)ds_buf_append(&want, &k, sizeof(k));
		for (i = 0, off = 0; i < k; i++) {
			f[i].data = data.data + off;
			(void)ds_buf_append(&want, &f[i].len, sizeof(len));
			(void)ds_buf_append(&want, f[i].data, f[i].len);
			off += f[i].len;
		}
		if (ds_write_record(&w, f, k) == -1)
			bad++;
		nrec++;
	}
	CHECK(bad == 0);
	CHECK(nrec > 3000 && nbatch > 400);
	CHECK(ds_writer_flush(&w) == 0);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);

	CHECK(ds_reader_init(&r, fd, "round trip", DS_AUTO) == 0);
	for (i = 0; i < nwant; i++) {
		rc = ds_read(&r);
		memcpy(&k, want.data + wantoff[i], sizeof(k));
		off = wantoff[i] + sizeof(k);
		if (k == 0) {
			memcpy(&t, want.data + off, sizeof(t));
			if (rc != DS_BATCH || r.time != t || r.synthetic)
				bad++;
			continue;
		}
		if (rc != DS_RECORD || r.nfield != k) {
			bad++;
			continue;
		}
		for (j = 0; j < k; j++) {
			memcpy(&len, want.data + off, sizeof(len));
			off += sizeof(len);
			if (r.field[j].len != len || (len > 0 &&
			    memcmp(r.field[j].data, want.data + off, len) != 0))
				bad++;
			off += len;
		}
	}
	CHECK(bad == 0);
	/* The last record may be followed by a batch made up at EOF. */
	rc = ds_read(&r);
	if (rc == DS_BATCH && r.synthetic)
		rc = ds_read(&r);
	CHECK(rc == DS_EOF);
	ds_reader_free(&r);
	(void)ds_writer_close(&w);
	close(fd);
	ds_buf_free(&data);
	ds_buf_free(&want);
	free(wantoff);
}
