/*
 * t_checkpoint.c: tests the checkpoint store of lib/checkpoint.c and the
 * committed batches of lib/commit.c on files they wrote and files spoilt
 * on purpose: torn, foreign, of another version, not matching their
 * checksum, and the previous checkpoint standing in.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"
#include "check.h"

static char	dir[64];

static void	fatal(const char *);
static char	*path(const char *);
static void	put_file(const char *, const void *, size_t);
static size_t	get_file(const char *, char *, size_t);
static int	loads(const char *, const char *, int);
static void	test_round_trip(void);
static void	test_first_start(void);
static void	test_torn(void);
static void	test_foreign(void);
static void	test_old_version(void);
static void	test_checksum(void);
static void	test_previous(void);
static void	test_torn_not_kept(void);
static void	test_names(void);
static void	test_steps(void);
static void	test_commit(void);

int
main(void)
{
	char cmd[128];

	snprintf(dir, sizeof(dir), "%s/t_checkpoint.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");
	test_round_trip();
	test_first_start();
	test_torn();
	test_foreign();
	test_old_version();
	test_checksum();
	test_previous();
	test_torn_not_kept();
	test_names();
	test_steps();
	test_commit();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fatal("rm");
	return done();
}

static void
fatal(const char *what)
{
	perror(what);
	exit(2);
}

/* The file name of the test directory, in a static buffer. */
static char *
path(const char *name)
{
	static char buf[2][256];
	static int i;

	i = !i;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void
put_file(const char *name, const void *p, size_t len)
{
	FILE *f;

	if ((f = fopen(path(name), "w")) == NULL ||
	    fwrite(p, 1, len, f) != len || fclose(f) != 0)
		fatal(name);
}

static size_t
get_file(const char *name, char *p, size_t size)
{
	FILE *f;
	size_t n;

	if ((f = fopen(path(name), "r")) == NULL)
		fatal(name);
	n = fread(p, 1, size, f);
	fclose(f);
	return n;
}

/*
 * Whether checkpoint name loads with status rc (-1: refused as no name)
 * and payload want.
 */
static int
loads(const char *name, const char *want, int rc)
{
	struct ds_buf b = { 0 };
	struct ds_ckpt c;
	int got, ok;

	got = ds_ckpt_load(dir, name, &b, &c);
	if (rc == -1)		/* not a name */
		ok = got == -1 && errno == EINVAL;
	else
		ok = got == (rc <= DS_CKPT_PREVIOUS ? rc : -1) &&
		    c.status == rc;
	ok = ok && b.len == strlen(want) &&
	    memcmp(b.data != NULL ? b.data : "", want, b.len) == 0;
	if (!ok)
		printf("# %s: got %d status %d why \"%s\" payload \"%.*s\"\n",
		    name, got, c.status, c.why, (int)b.len,
		    b.data != NULL ? b.data : "");
	ds_buf_free(&b);
	return ok;
}

static void
test_round_trip(void)
{
	struct ds_buf b = { 0 };
	struct ds_ckpt c;
	char bin[] = "a\0b\nc\xff", head[256], *big;
	size_t i, n, len = 300 * 1024 + 7;

	CHECK(ds_ckpt_save(dir, "text", "#ds1\na\t1\n%1000\n", 15) == 0);
	CHECK(loads("text", "#ds1\na\t1\n%1000\n", DS_CKPT_GOOD));
	/* The header is a line a person reads, then the payload. */
	n = get_file("text", head, sizeof(head) - 1);
	head[n] = '\0';
	CHECK(strncmp(head, "ds-checkpoint 1 text 00000000000000000015 ",
	    42) == 0);
	CHECK(n == 42 + 17 + 15 && head[42 + 16] == '\n');
	CHECK(strcmp(head + 59, "#ds1\na\t1\n%1000\n") == 0);
	/* The checksum is XXH64 with seed 0, as xxhsum -H1 prints it. */
	CHECK(ds_ckpt_save(dir, "hello", "hello", 5) == 0);
	n = get_file("hello", head, sizeof(head) - 1);
	head[n] = '\0';
	CHECK(strcmp(head, "ds-checkpoint 1 hello 00000000000000000005 "
	    "26c7827d889f6da3\nhello") == 0);

	/* Any bytes; nothing; more than a read's chunk. */
	CHECK(ds_ckpt_save(dir, "bin", bin, sizeof(bin)) == 0);
	CHECK(ds_ckpt_load(dir, "bin", &b, &c) == DS_CKPT_GOOD &&
	    b.len == sizeof(bin) && memcmp(b.data, bin, sizeof(bin)) == 0);
	CHECK(ds_ckpt_save(dir, "empty", "", 0) == 0);
	CHECK(loads("empty", "", DS_CKPT_GOOD));
	if ((big = malloc(len)) == NULL)
		fatal("malloc");
	for (i = 0; i < len; i++)
		big[i] = (char)(i * 7 + i / 251);
	CHECK(ds_ckpt_save(dir, "big", big, len) == 0);
	CHECK(ds_ckpt_load(dir, "big", &b, &c) == DS_CKPT_GOOD &&
	    b.len == len && c.len == len && memcmp(b.data, big, len) == 0);
	free(big);
	ds_buf_free(&b);
	/* No temporary file is left behind. */
	CHECK(access(path(".text.tmp"), F_OK) == -1 && errno == ENOENT);
}

static void
test_first_start(void)
{
	struct ds_buf b = { 0 };
	struct ds_ckpt c;
	char sub[128];

	CHECK(ds_ckpt_load(dir, "never", &b, &c) == DS_CKPT_NONE &&
	    c.status == DS_CKPT_NONE && b.len == 0 && c.fd == -1);
	snprintf(sub, sizeof(sub), "%s/no/such", dir);
	CHECK(ds_ckpt_load(sub, "never", &b, &c) == DS_CKPT_NONE);
	/* A save makes its directory, one level. */
	snprintf(sub, sizeof(sub), "%s/made", dir);
	CHECK(ds_ckpt_save(sub, "x", "1", 1) == 0);
	CHECK(ds_ckpt_load(sub, "x", &b, &c) == DS_CKPT_GOOD && b.len == 1);
	ds_buf_free(&b);
}

static void
test_torn(void)
{
	char f[256];
	size_t n;

	CHECK(ds_ckpt_save(dir, "torn", "0123456789", 10) == 0);
	n = get_file("torn", f, sizeof(f));
	/* Cut anywhere, header or payload, it is torn, never empty. */
	put_file("torn", f, n - 1);
	CHECK(loads("torn", "", DS_CKPT_TORN));
	put_file("torn", f, 20);
	CHECK(loads("torn", "", DS_CKPT_TORN));
	put_file("torn", f, 5);
	CHECK(loads("torn", "", DS_CKPT_TORN));
	put_file("torn", "", 0);
	CHECK(loads("torn", "", DS_CKPT_TORN));
	CHECK(errno == EBADMSG);
}

static void
test_foreign(void)
{
	struct ds_ckpt c;
	struct ds_buf b = { 0 };
	char f[256];
	size_t n;

	put_file("foreign", "garbage\n", 8);
	CHECK(ds_ckpt_load(dir, "foreign", &b, &c) == -1 &&
	    errno == EBADMSG && c.status == DS_CKPT_FOREIGN &&
	    strcmp(c.why, "not a checkpoint") == 0);
	/* A good previous one does not stand in for a foreign file. */
	CHECK(ds_ckpt_save(dir, "foreign2", "old", 3) == 0);
	CHECK(ds_ckpt_save(dir, "foreign2", "new", 3) == 0);
	put_file("foreign2", "garbage\n", 8);
	CHECK(loads("foreign2", "", DS_CKPT_FOREIGN));
	/* Nor is the checkpoint of another name taken for this one's. */
	n = get_file("text", f, sizeof(f));
	put_file("copy", f, n);
	CHECK(ds_ckpt_load(dir, "copy", &b, &c) == -1 &&
	    c.status == DS_CKPT_FOREIGN &&
	    strcmp(c.why, "the checkpoint of \"text\"") == 0);
	ds_buf_free(&b);
}

static void
test_old_version(void)
{
	struct ds_ckpt c;
	struct ds_buf b = { 0 };
	char f[256];
	size_t n;

	CHECK(ds_ckpt_save(dir, "old", "x", 1) == 0);
	n = get_file("old", f, sizeof(f));
	f[14] = '0';
	put_file("old", f, n);
	CHECK(ds_ckpt_load(dir, "old", &b, &c) == -1 &&
	    c.status == DS_CKPT_OLD &&
	    strcmp(c.why, "format version 0, this build reads version 1") ==
	    0);
	f[14] = '2';
	put_file("old", f, n);
	CHECK(loads("old", "", DS_CKPT_OLD));
	/* Another version may lay out the rest anew: not torn, not corrupt. */
	put_file("old", "ds-checkpoint 7 whatever comes next\n", 36);
	CHECK(loads("old", "", DS_CKPT_OLD));
	ds_buf_free(&b);
}

static void
test_checksum(void)
{
	struct ds_ckpt c;
	struct ds_buf b = { 0 };
	char f[256];
	size_t n;

	CHECK(ds_ckpt_save(dir, "sum", "0123456789", 10) == 0);
	n = get_file("sum", f, sizeof(f));
	f[n - 3] ^= 1;
	put_file("sum", f, n);
	CHECK(ds_ckpt_load(dir, "sum", &b, &c) == -1 &&
	    c.status == DS_CKPT_CORRUPT &&
	    strcmp(c.why, "checksum mismatch") == 0);
	f[n - 3] ^= 1;
	f[n - 20] ^= 1;		/* a digit of the checksum */
	put_file("sum", f, n);
	CHECK(loads("sum", "", DS_CKPT_CORRUPT));
	f[n - 20] ^= 1;
	f[n] = 'x';
	put_file("sum", f, n + 1);
	CHECK(ds_ckpt_load(dir, "sum", &b, &c) == -1 &&
	    c.status == DS_CKPT_CORRUPT &&
	    strcmp(c.why, "longer than its header says") == 0);
	put_file("sum", f, n);
	CHECK(loads("sum", "0123456789", DS_CKPT_GOOD));
	ds_buf_free(&b);
}

static void
test_previous(void)
{
	struct ds_ckpt c;
	struct ds_buf b = { 0 };
	char f[256];
	size_t n;

	CHECK(ds_ckpt_save(dir, "p", "one", 3) == 0);
	CHECK(access(path("p.prev"), F_OK) == -1);
	CHECK(ds_ckpt_save(dir, "p", "two", 3) == 0);
	CHECK(ds_ckpt_save(dir, "p", "three", 5) == 0);
	CHECK(loads("p", "three", DS_CKPT_GOOD));
	CHECK(loads("p.prev", "", -1));		/* not a name */

	/* The newest torn: the previous, saying what was wrong. */
	n = get_file("p", f, sizeof(f));
	put_file("p", f, n - 2);
	CHECK(ds_ckpt_load(dir, "p", &b, &c) == DS_CKPT_PREVIOUS &&
	    c.status == DS_CKPT_PREVIOUS && c.newest == DS_CKPT_TORN &&
	    strcmp(c.why, "torn: 3 bytes of 5") == 0 &&
	    b.len == 3 && memcmp(b.data, "two", 3) == 0);
	/* Its checksum failing. */
	f[n - 1] ^= 1;
	put_file("p", f, n);
	CHECK(ds_ckpt_load(dir, "p", &b, &c) == DS_CKPT_PREVIOUS &&
	    c.newest == DS_CKPT_CORRUPT && b.len == 3);
	/* Gone. */
	CHECK(unlink(path("p")) == 0);
	CHECK(ds_ckpt_load(dir, "p", &b, &c) == DS_CKPT_PREVIOUS &&
	    c.newest == DS_CKPT_NONE && strcmp(c.why, "missing") == 0);
	/* Both bad: refused, naming both. */
	put_file("p", f, n - 2);
	n = get_file("p.prev", f, sizeof(f));
	put_file("p.prev", f, n - 1);
	CHECK(ds_ckpt_load(dir, "p", &b, &c) == -1 && errno == EBADMSG &&
	    c.status == DS_CKPT_TORN && strcmp(c.why,
	    "torn: 3 bytes of 5 (and p.prev: torn: 2 bytes of 3)") == 0);
	CHECK(b.len == 0);
	ds_buf_free(&b);
}

static void
test_torn_not_kept(void)
{
	char f[256];
	size_t n;

	/* A torn newest is replaced without pushing out a good previous. */
	CHECK(ds_ckpt_save(dir, "k", "1", 1) == 0);
	CHECK(ds_ckpt_save(dir, "k", "2", 1) == 0);
	n = get_file("k", f, sizeof(f));
	put_file("k", f, n - 1);
	CHECK(ds_ckpt_save(dir, "k", "3", 1) == 0);
	CHECK(loads("k", "3", DS_CKPT_GOOD));
	n = get_file("k", f, sizeof(f));
	put_file("k", f, n - 1);
	CHECK(loads("k", "1", DS_CKPT_PREVIOUS));
}

static void
test_names(void)
{
	struct ds_ckpt c;
	struct ds_buf b = { 0 };
	static const char *const bad[] = { "", ".hidden", "a/b", "x.prev",
	    "x.tmp", "sp ace", "tab\t",
	    "12345678901234567890123456789012345678901234567890123456789012345",
	    NULL };
	size_t i;

	for (i = 0; bad[i] != NULL; i++) {
		errno = 0;
		CHECK(ds_ckpt_save(dir, bad[i], "x", 1) == -1 &&
		    errno == EINVAL);
		CHECK(ds_ckpt_load(dir, bad[i], &b, &c) == -1 &&
		    errno == EINVAL);
	}
	CHECK(ds_ckpt_save(dir,
	    "1234567890123456789012345678901234567890123456789012345678901234",
	    "x", 1) == 0);
	CHECK(ds_ckpt_save(dir, "A-z_0.9", "x", 1) == 0);
	/* A save that fails leaves the checkpoint as it was. */
	put_file("file", "", 0);
	CHECK(ds_ckpt_save(path("file"), "x", "x", 1) == -1 &&
	    errno == ENOTDIR);
	ds_buf_free(&b);
}

static void
test_steps(void)
{
	struct ds_ckpt c;
	char buf[64];
	ssize_t n;
	int fd;

	CHECK((fd = ds_ckpt_create(dir, "steps")) != -1);
	CHECK(write(fd, "#ds1\n", 5) == 5 && write(fd, "a\n", 2) == 2);
	CHECK(access(path(".steps.tmp"), F_OK) == 0);
	CHECK(ds_ckpt_commit(dir, "steps", fd) == 0);
	CHECK(access(path(".steps.tmp"), F_OK) == -1);
	CHECK(loads("steps", "#ds1\na\n", DS_CKPT_GOOD));

	/* Open: the payload to EOF from c.fd. */
	CHECK(ds_ckpt_open(dir, "steps", &c) == DS_CKPT_GOOD && c.fd != -1 &&
	    c.len == 7);
	n = read(c.fd, buf, sizeof(buf));
	CHECK(n == 7 && memcmp(buf, "#ds1\na\n", 7) == 0);
	close(c.fd);
	CHECK(ds_ckpt_open(dir, "never", &c) == DS_CKPT_NONE && c.fd == -1);
	put_file("opened", "garbage", 7);
	CHECK(ds_ckpt_open(dir, "opened", &c) == -1 && c.fd == -1 &&
	    c.status == DS_CKPT_FOREIGN);

	/* Abandoned: nothing changes, nothing is left. */
	CHECK((fd = ds_ckpt_create(dir, "steps")) != -1);
	CHECK(write(fd, "b\n", 2) == 2);
	errno = EIO;
	ds_ckpt_abandon(dir, "steps", fd);
	CHECK(errno == EIO);
	CHECK(access(path(".steps.tmp"), F_OK) == -1);
	CHECK(loads("steps", "#ds1\na\n", DS_CKPT_GOOD));
}

static void
test_commit(void)
{
	struct ds_ckpt c;
	char sub[128];
	int64_t t;

	snprintf(sub, sizeof(sub), "%s/pipe", dir);
	CHECK(ds_commit_oldest(sub, NULL, &t, &c) == DS_CKPT_NONE && t == -1);
	CHECK(ds_commit_load(sub, "ds-save", &t, &c) == DS_CKPT_NONE &&
	    t == -1);
	CHECK(ds_commit_save(sub, "ds-save", 5000) == 0);
	CHECK(ds_commit_save(sub, "ds-save", 6000) == 0);
	CHECK(ds_commit_save(sub, "ds-state", 4000) == 0);
	CHECK(ds_commit_load(sub, "ds-save", &t, &c) == DS_CKPT_GOOD &&
	    t == 6000);
	CHECK(ds_commit_oldest(sub, NULL, &t, &c) == DS_CKPT_GOOD &&
	    t == 4000);
	CHECK(ds_commit_oldest(sub, "ds-state", &t, &c) == DS_CKPT_GOOD &&
	    t == 6000);
	CHECK(ds_commit_oldest(sub, "ds-save", &t, &c) == DS_CKPT_GOOD &&
	    t == 4000);
	/* Other files of the directory are no records. */
	CHECK(ds_ckpt_save(sub, "state", "x", 1) == 0);
	CHECK(ds_commit_oldest(sub, NULL, &t, &c) == DS_CKPT_GOOD &&
	    t == 4000);
	/* A record whose newest is gone is found by its previous. */
	snprintf(sub, sizeof(sub), "%s/pipe/ds-save.commit", dir);
	CHECK(unlink(sub) == 0);
	snprintf(sub, sizeof(sub), "%s/pipe", dir);
	CHECK(ds_commit_oldest(sub, "ds-state", &t, &c) ==
	    DS_CKPT_PREVIOUS && t == 5000 &&
	    strcmp(c.name, "ds-save.commit") == 0);
	/* A record that is not a time is refused, by name. */
	CHECK(ds_ckpt_save(sub, "x.commit", "soon\n", 5) == 0);
	CHECK(ds_commit_oldest(sub, NULL, &t, &c) == -1 && errno == EBADMSG &&
	    c.status == DS_CKPT_CORRUPT && strcmp(c.name, "x.commit") == 0 &&
	    strcmp(c.why, "not a batch time") == 0 && t == -1);
	CHECK(ds_commit_save(sub, "a/b", 1) == -1 && errno == EINVAL);
	/* The environment names the pipeline's directory. */
	setenv("DS_CHECKPOINT", "", 1);
	CHECK(ds_pipeline_dir() == NULL);
	setenv("DS_CHECKPOINT", sub, 1);
	CHECK(ds_pipeline_dir() != NULL && strcmp(ds_pipeline_dir(), sub) == 0);
	unsetenv("DS_CHECKPOINT");
	CHECK(ds_pipeline_dir() == NULL);
}
