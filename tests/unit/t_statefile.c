/*
 * t_statefile.c: tests the state checkpoints of lib/statefile.c: what is
 * written is read back through the store, and a foreign, truncated or
 * overlong file is refused as such; aggregates come back as they went.
 */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"
#include "check.h"

static char	dir[1024];

static void	fatal(const char *);
static int	file(const char *);
static int	reads(const char *, const char *, int);

static void
fatal(const char *what)
{
	perror(what);
	exit(2);
}

/* A file in dir holding s, open for reading at its start. */
static int
file(const char *s)
{
	char path[1100];
	int fd;

	snprintf(path, sizeof(path), "%s/f", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0666)) == -1 ||
	    write(fd, s, strlen(s)) != (ssize_t)strlen(s) ||
	    lseek(fd, 0, SEEK_SET) == -1)
		fatal(path);
	return fd;
}

/*
 * Read s as a state of "prog" for sum: its records, then DS_EOF or the
 * error, compared with want, the records' first fields and "E<time>" or
 * "X<errno>".
 */
static int
reads(const char *s, const char *want, int err)
{
	struct ds_reader r;
	char got[256];
	size_t n = 0;
	int fd, rc;

	fd = file(s);
	if (ds_statefile_open(&r, fd, "f", "prog", "sum") == -1) {
		close(fd);
		return err == errno && *want == '\0';
	}
	while ((rc = ds_statefile_read(&r)) == DS_RECORD && n < 200)
		n += snprintf(got + n, sizeof(got) - n, "%.*s,",
		    (int)r.field[0].len, r.field[0].data);
	if (rc == DS_EOF)
		snprintf(got + n, sizeof(got) - n, "E%lld",
		    (long long)r.lasttime);
	else
		snprintf(got + n, sizeof(got) - n, "X");
	ds_reader_free(&r);
	close(fd);
	if (strcmp(got, want) != 0 || (rc == -1 && errno != err)) {
		printf("# got %s (errno %d)\n", got, rc == -1 ? errno : 0);
		return 0;
	}
	return 1;
}

int
main(void)
{
	struct ds_writer w;
	struct ds_reader r;
	struct ds_ckpt ck;
	struct ds_agg a = { 0 }, b = { 0 };
	struct ds_field v, k;
	char cmd[1100];
	const char *tmp;
	int fd;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/t_statefile.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");

	/* Written to the store, read back from it. */
	CHECK((fd = ds_statefile_create(&w, dir, "state", "prog",
	    "sum")) != -1);
	a.num.i = 42;
	a.count = 2;
	ds_write_field(&w, "k\t1", 3);
	CHECK(ds_statefile_value(&w, &a, DS_OP_SUM) == 0);
	ds_write_end(&w);
	CHECK(ds_statefile_commit(&w, dir, "state", fd, 5000) == 0);
	CHECK(ds_ckpt_open(dir, "state", &ck) == DS_CKPT_GOOD);
	CHECK(ds_statefile_open(&r, ck.fd, "state", "prog", "sum") == 0);
	CHECK(ds_statefile_read(&r) == DS_RECORD && r.nfield == 2 &&
	    r.field[0].len == 3 && memcmp(r.field[0].data, "k\t1", 3) == 0 &&
	    r.field[1].len == 2 && memcmp(r.field[1].data, "42", 2) == 0);
	CHECK(ds_statefile_read(&r) == DS_EOF && r.lasttime == 5000);
	ds_reader_free(&r);
	close(ck.fd);
	/* Another program's, or another op's, is refused. */
	CHECK(ds_ckpt_open(dir, "state", &ck) == DS_CKPT_GOOD);
	CHECK(ds_statefile_open(&r, ck.fd, "state", "prog", "max") == -1 &&
	    errno == EBADMSG);
	close(ck.fd);

	CHECK(reads("#ds1\n#prog 1 sum\na\t1\nb\t2\n%7\n", "a,b,E7", 0));
	CHECK(reads("#ds1\n#prog 1 sum\n%7\n", "E7", 0));
	CHECK(reads("#ds1\n#prog 1 max\n%7\n", "", EBADMSG));
	CHECK(reads("#ds1\n#prog 1 su", "", EBADMSG));
	CHECK(reads("#ds1\n#other 1 sum\n%7\n", "", EBADMSG));
	/* Truncated: no batch end, or one cut short. */
	CHECK(reads("#ds1\n#prog 1 sum\na\t1\n", "a,X", ENODATA));
	CHECK(reads("#ds1\n#prog 1 sum\n", "X", ENODATA));
	/* A record after the batch end is none of the state's. */
	CHECK(reads("#ds1\n#prog 1 sum\na\t1\n%7\nb\n", "a,X", EBADMSG));
	CHECK(reads("#ds1\n#prog 1 sum\na\t1\n%7\n%8\n", "a,E8", 0));

	/* Aggregates: numbers, Lua's infinities, strings by their kind. */
	v.data = "-inf";
	v.len = 4;
	CHECK(ds_statefile_agg(&b, DS_OP_FN, &v, NULL) == 0 &&
	    b.num.isfloat && isinf(b.num.d) && b.num.d < 0);
	v.data = "nan";
	v.len = 3;
	CHECK(ds_statefile_agg(&b, DS_OP_SUM, &v, NULL) == 0 &&
	    isnan(b.num.d));
	v.data = "007";
	k.data = "string";
	k.len = 6;
	CHECK(ds_statefile_agg(&b, DS_OP_FN, &v, &k) == 0 && b.isstr &&
	    b.str.len == 3 && memcmp(b.str.data, "007", 3) == 0);
	ds_agg_free(&b);
	k.data = "number";
	CHECK(ds_statefile_agg(&b, DS_OP_FN, &v, &k) == 0 && !b.isstr &&
	    !b.num.isfloat && b.num.i == 7);
	k.data = "thing";
	k.len = 5;
	CHECK(ds_statefile_agg(&b, DS_OP_FN, &v, &k) == -1 &&
	    errno == EINVAL);
	v.data = "x";
	v.len = 1;
	CHECK(ds_statefile_agg(&b, DS_OP_SUM, &v, NULL) == -1 &&
	    errno == EINVAL);
	CHECK(ds_statefile_agg(&b, DS_OP_LAST, &v, NULL) == 0 &&
	    b.str.len == 1);
	ds_agg_free(&b);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fatal("rm");
	return done();
}
