/*
 * t_wal.c: tests the write-ahead log of lib/wal.c: what a restart
 * replays after each kind of commit, a torn last line, a batch a crash
 * left open, trimming, the lock and bad specs and segments.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"
#include "check.h"

static char	dir[64];
static char	outpath[96];

static void	put(const char *, const char *);
static char	*slurp(const char *);
static char	*replay(int64_t, int64_t *);
static void	test_replay(void);
static void	test_run(void);
static void	test_errors(void);

int
main(void)
{
	char tmpl[] = "/tmp/t_wal.XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/w", tmpl);
	snprintf(outpath, sizeof(outpath), "%s/out", tmpl);
	test_replay();
	test_run();
	test_errors();
	return done();
}

/* Write segment name of the log with contents s. */
static void
put(const char *name, const char *s)
{
	char path[128];
	FILE *f;

	mkdir(dir, 0777);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		exit(1);
	fputs(s, f);
	fclose(f);
}

static char *
slurp(const char *path)
{
	static char buf[4096];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY)) == -1)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

/* Open the log, replay after confirmed, close; what was written. */
static char *
replay(int64_t confirmed, int64_t *last)
{
	struct ds_writer w;
	struct ds_wal wal;
	int fd, rc;

	fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	ds_writer_init(&w, fd);
	rc = ds_wal_open(&wal, dir);
	CHECK(rc == 0);
	rc = ds_wal_replay(&wal, confirmed, 100, &w, last);
	CHECK(rc == 0);
	ds_wal_close(&wal);
	ds_writer_close(&w);
	close(fd);
	return slurp(outpath);
}

static void
test_replay(void)
{
	char seg[128];
	int64_t last;

	/* Nothing committed: everything again, oldest segment first. */
	put("00000000000000001000.ds", "#ds1\na\n%1000\nb\tc\n%1100\n");
	put("00000000000000002000.ds", "#ds1\n%2000\nd\n%2100\n");
	CHECK(strcmp(replay(-1, &last), "a\n%1000\nb\tc\n%1100\n%2000\nd\n"
	    "%2100\n") == 0);
	CHECK(last == 2100);
	/* After a commit: what follows it. */
	CHECK(strcmp(replay(1100, &last), "%2000\nd\n%2100\n") == 0);
	CHECK(strcmp(replay(2000, &last), "d\n%2100\n") == 0);
	/* Every batch ended, taken: nothing. */
	CHECK(strcmp(replay(DS_WAL_ENDED, &last), "") == 0);
	CHECK(last == 2100);

	/*
	 * A torn line is cut, and the batch a crash left open is ended one
	 * interval after the one before it, in the log too.
	 */
	put("00000000000000003000.ds", "#ds1\ne\n%3000\nf\ng\\t\nhalf a li");
	CHECK(strcmp(replay(DS_WAL_ENDED, &last), "f\ng\\t\n%3100\n") == 0);
	CHECK(last == 3100);
	snprintf(seg, sizeof(seg), "%s/00000000000000003000.ds", dir);
	CHECK(strcmp(slurp(seg), "#ds1\ne\n%3000\nf\ng\\t\n%3100\n") == 0);
	/* Replayed again, the same. */
	CHECK(strcmp(replay(3000, &last), "f\ng\\t\n%3100\n") == 0);
	/* Open from the start: the segment's name is its time. */
	put("00000000000000004000.ds", "#ds1\nx\n");
	CHECK(strcmp(replay(3100, &last), "x\n%4000\n") == 0);
	CHECK(last == 4000);
	/* Killed before it logged a thing: removed, its name free. */
	put("00000000000000006000.ds", "#ds1\n");
	CHECK(strcmp(replay(3100, &last), "x\n%4000\n") == 0);
	CHECK(last == 4000);
	snprintf(seg, sizeof(seg), "%s/00000000000000006000.ds", dir);
	CHECK(access(seg, F_OK) == -1 && errno == ENOENT);
}

static void
test_run(void)
{
	struct ds_writer w;
	struct ds_wal wal;
	char seg[128];
	int64_t last;
	int fd;

	/* A run: records and batch ends, then trimmed behind a commit. */
	CHECK(ds_wal_open(&wal, dir) == 0);
	/* Segments not read yet are not trimmed. */
	CHECK(ds_wal_trim(&wal, INT64_MAX) == 0);
	snprintf(seg, sizeof(seg), "%s/00000000000000002000.ds", dir);
	CHECK(access(seg, F_OK) == 0);
	fd = open("/dev/null", O_WRONLY);
	ds_writer_init(&w, fd);
	CHECK(ds_wal_replay(&wal, DS_WAL_ENDED, 100, &w, &last) == 0);
	CHECK(w.len == 0 && last == 4000);
	ds_writer_close(&w);
	close(fd);
	CHECK(ds_wal_start(&wal, 5000, 100) == 0);
	CHECK(ds_write_field(&wal.w, "y", 1) == 0);
	CHECK(ds_write_end(&wal.w) == 0);
	CHECK(ds_wal_batch(&wal, 5000) == 0);
	CHECK(ds_wal_batch(&wal, 5100) == 0);
	CHECK(ds_write_field(&wal.w, "z", 1) == 0);
	CHECK(ds_write_end(&wal.w) == 0);
	CHECK(ds_wal_flush(&wal) == 0);
	snprintf(seg, sizeof(seg), "%s/00000000000000005000.ds", dir);
	CHECK(strcmp(slurp(seg), "#ds1\ny\n%5000\n%5100\nz\n") == 0);
	CHECK(ds_wal_trim(&wal, 3100) == 0);
	snprintf(seg, sizeof(seg), "%s/00000000000000002000.ds", dir);
	CHECK(access(seg, F_OK) == -1 && errno == ENOENT);
	snprintf(seg, sizeof(seg), "%s/00000000000000004000.ds", dir);
	CHECK(access(seg, F_OK) == 0);
	/* The open segment stays, whatever the commit. */
	CHECK(ds_wal_trim(&wal, INT64_MAX) == 0);
	CHECK(access(seg, F_OK) == -1);
	snprintf(seg, sizeof(seg), "%s/00000000000000005000.ds", dir);
	CHECK(access(seg, F_OK) == 0);

	/* One process at a time. */
	{
		struct ds_wal other;

		CHECK(ds_wal_open(&other, dir) == -1 && errno == EWOULDBLOCK);
	}
	CHECK(ds_wal_close(&wal) == 0);
	CHECK(strcmp(replay(5000, &last), "%5100\nz\n%5200\n") == 0);
}

static void
test_errors(void)
{
	struct ds_wal wal;
	struct ds_writer w;
	int64_t last;
	int fd;

	CHECK(ds_wal_open(&wal, "x:sync=often") == -1 && errno == EINVAL);
	CHECK(strcmp(wal.why,
	    "sync=often: not batch, none or a positive duration") == 0);
	CHECK(ds_wal_open(&wal, ":sync=none") == -1 && errno == EINVAL);
	CHECK(ds_wal_open(&wal, "x:sync=0s") == -1 && errno == EINVAL);

	/* A segment that is not a ds stream is refused, naming it. */
	put("00000000000000009000.ds", "not a stream\n");
	fd = open(outpath, O_WRONLY | O_TRUNC);
	ds_writer_init(&w, fd);
	CHECK(ds_wal_open(&wal, dir) == 0);
	CHECK(ds_wal_replay(&wal, -1, 100, &w, &last) == -1 &&
	    errno == EBADMSG);
	CHECK(strcmp(wal.why, "00000000000000009000.ds:1: not a ds stream")
	    == 0);
	ds_wal_close(&wal);
	ds_writer_close(&w);
	close(fd);

	CHECK(ds_wal_open(&wal, "/nonexistent/dir/w:sync=1s") == -1 &&
	    errno == ENOENT);
}
