/*
 * t_join.c: tests the join of lib/join.c: values chained by key in
 * arrival order, the inner and outer joins, the marks of the right outer
 * join reset at each call, a table loaded from a file and its versions.
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

static struct ds_writer w;
static struct ds_join j;

static void	fatal(const char *);
static void	start(int);
static int	wrote(const char *, size_t);
static void	add(struct ds_join_side *, const char *, size_t,
		    const char *);
static void	test_inner(void);
static void	test_outer(void);
static void	test_left(void);
static void	test_load(void);

int
main(void)
{
	test_inner();
	test_outer();
	test_left();
	test_load();
	return done();
}

static void
fatal(const char *what)
{
	perror(what);
	exit(2);
}

/* A writer on a fresh temporary file, for a join of outer. */
static void
start(int outer)
{
	FILE *f;
	int fd;

	if ((f = tmpfile()) == NULL || (fd = dup(fileno(f))) == -1)
		fatal("tmpfile");
	fclose(f);
	if (ds_writer_init(&w, fd) == -1)
		fatal("ds_writer_init");
	j.out = &w;
	j.outer = outer;
	j.marker = "None";
	j.markerlen = 4;
}

/* Whether the join wrote exactly len bytes of want; closes the writer. */
static int
wrote(const char *want, size_t len)
{
	char buf[512];
	ssize_t n;
	int ok;

	if (ds_writer_close(&w) == -1)
		fatal("ds_writer_close");
	n = pread(w.fd, buf, sizeof(buf), 0);
	ok = n == (ssize_t)len && memcmp(buf, want, len) == 0;
	if (!ok)
		printf("# wrote \"%.*s\"\n", (int)(n > 0 ? n : 0), buf);
	close(w.fd);
	return ok;
}

/* Add the value v, TABs parting its fields, under the key k of klen. */
static void
add(struct ds_join_side *s, const char *k, size_t klen, const char *v)
{
	struct ds_field key, f[4];
	const char *p, *tab;
	size_t n = 0;

	key.data = (char *)k;
	key.len = klen;
	for (p = v; n < 4; p = tab + 1) {
		tab = strchr(p, '\t');
		f[n].data = (char *)p;
		f[n++].len = tab != NULL ? (size_t)(tab - p) : strlen(p);
		if (tab == NULL)
			break;
	}
	if (ds_join_side_add(s, &key, f, n) == -1)
		fatal("ds_join_side_add");
}

static void
test_inner(void)
{
	static const char want[] =
	    "a\tl1\tr1\na\tl1\tr2\\\\\tx\na\tl1\tr3\nk\0ey\tl2\tr4\n";
	struct ds_join_side s;

	CHECK(ds_join_side_init(&s) == 0);
	add(&s, "a", 1, "r1");
	add(&s, "k\0ey", 4, "r4");
	add(&s, "a", 1, "r2\\\tx");	/* a backslash, then two fields */
	add(&s, "a", 1, "r3");
	CHECK(s.nval == 4 && ds_table_count(&s.keys) == 2);
	start(0);
	/* A key's values in arrival order; no match, no record. */
	CHECK(ds_join_one(&j, "a", 1, "l1", 2, &s) == 0);
	CHECK(ds_join_one(&j, "b", 1, "l3", 2, &s) == 0);
	CHECK(ds_join_one(&j, "k\0ey", 4, "l2", 2, &s) == 0);
	CHECK(ds_join_one(&j, "k", 1, "l4", 2, &s) == 0);
	/* Not right outer: nothing more. */
	CHECK(ds_join_rest(&j, &s) == 0);
	CHECK(wrote(want, sizeof(want) - 1));

	/* Cleared, the side is empty and takes values again. */
	ds_join_side_clear(&s);
	CHECK(s.nval == 0 && ds_table_find(&s.keys, "a", 1) == NULL);
	add(&s, "c", 1, "r5");
	start(0);
	CHECK(ds_join_one(&j, "c", 1, "l5", 2, &s) == 0);
	CHECK(ds_join_one(&j, "a", 1, "l6", 2, &s) == 0);
	CHECK(wrote("c\tl5\tr5\n", 8));
	ds_join_side_free(&s);
}

static void
test_outer(void)
{
	static const char want1[] =
	    "a\tl1\tr1\nz\tl2\tNone\nb\tNone\tr2\nb\tNone\tr3\nc\tNone\tr4\n";
	static const char want2[] =
	    "b\tl3\tr2\nb\tl3\tr3\na\tNone\tr1\nc\tNone\tr4\n";
	struct ds_join_side s;

	CHECK(ds_join_side_init(&s) == 0);
	add(&s, "a", 1, "r1");
	add(&s, "b", 1, "r2");
	add(&s, "c", 1, "r4");
	add(&s, "b", 1, "r3");
	start(DS_JOIN_LEFT | DS_JOIN_RIGHT);
	CHECK(ds_join_one(&j, "a", 1, "l1", 2, &s) == 0);
	CHECK(ds_join_one(&j, "z", 1, "l2", 2, &s) == 0);
	/* The unmatched keys in order of first appearance. */
	CHECK(ds_join_rest(&j, &s) == 0);
	CHECK(wrote(want1, sizeof(want1) - 1));

	/* The marks went with that call: a is unmatched now. */
	start(DS_JOIN_RIGHT);
	CHECK(ds_join_one(&j, "b", 1, "l3", 2, &s) == 0);
	CHECK(ds_join_one(&j, "y", 1, "l4", 2, &s) == 0);
	CHECK(ds_join_rest(&j, &s) == 0);
	CHECK(wrote(want2, sizeof(want2) - 1));

	/* No batch on the right: the left records with the marker. */
	start(DS_JOIN_LEFT);
	j.marker = "-";
	j.markerlen = 1;
	CHECK(ds_join_one(&j, "a", 1, "l5", 2, NULL) == 0);
	CHECK(wrote("a\tl5\t-\n", 7));
	ds_join_side_free(&s);
}

static void
test_left(void)
{
	static const char want[] =
	    "b\t2\tx\nb\t2\ty\na\t1\\t\t3\tz\nb\t4\tx\nb\t4\ty\n";
	struct ds_join_left l = { 0 };
	struct ds_join_side s;
	struct ds_field f[3] = {
		{ "b", 1 }, { "2", 1 }, { "" , 0 }
	};

	CHECK(ds_join_side_init(&s) == 0);
	add(&s, "b", 1, "x");
	add(&s, "a", 1, "z");
	add(&s, "b", 1, "y");
	/* Kept as they came, the value escaped. */
	CHECK(ds_join_left_add(&l, &f[0], &f[1], 1) == 0);
	f[0].data = "a";
	f[1].data = "1\t";
	f[1].len = 2;
	f[2].data = "3";
	f[2].len = 1;
	CHECK(ds_join_left_add(&l, &f[0], &f[1], 2) == 0);
	f[0].data = "b";
	f[1].data = "4";
	f[1].len = 1;
	CHECK(ds_join_left_add(&l, &f[0], &f[1], 1) == 0);
	CHECK(l.nrec == 3);
	start(0);
	CHECK(ds_join_batch(&j, &l, &s) == 0);
	CHECK(wrote(want, sizeof(want) - 1));
	ds_join_left_clear(&l);
	CHECK(l.nrec == 0);
	start(DS_JOIN_LEFT);
	CHECK(ds_join_batch(&j, &l, &s) == 0);
	CHECK(wrote("", 0));
	ds_join_left_free(&l);
	ds_join_side_free(&s);
}

static void
test_load(void)
{
	struct ds_join_side s;
	struct ds_reader r;
	struct stat id;
	const char *dir;
	char path[1024];
	int fd;

	if ((dir = getenv("TMPDIR")) == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/t_join.XXXXXX", dir);
	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, "k1\tv\\1\tw\nk2\tv2\nk1\tv3\n", 21) != 21 ||
	    lseek(fd, 0, SEEK_SET) == -1 || fstat(fd, &id) == -1)
		fatal("mkstemp");
	CHECK(ds_join_side_init(&s) == 0);
	CHECK(ds_reader_init(&r, fd, path, DS_RAW) == 0);
	CHECK(ds_join_load(&s, &r) == 0);
	ds_reader_free(&r);
	/* Taken literally: the backslash is a byte of the value. */
	start(0);
	CHECK(ds_join_one(&j, "k1", 2, "l", 1, &s) == 0);
	CHECK(wrote("k1\tl\tv\\\\1\tw\nk1\tl\tv3\n", 20));
	CHECK(ds_join_changed(path, &id) == 0);

	/* A line of no value is EDOM, the reader at its line. */
	if (write(fd, "k3\n", 3) != 3 || lseek(fd, 0, SEEK_SET) == -1)
		fatal("write");
	CHECK(ds_join_changed(path, &id) == 1);
	ds_join_side_clear(&s);
	CHECK(ds_reader_init(&r, fd, path, DS_RAW) == 0);
	CHECK(ds_join_load(&s, &r) == -1 && errno == EDOM &&
	    r.lineno == 4);
	ds_reader_free(&r);
	close(fd);

	unlink(path);
	CHECK(ds_join_changed(path, &id) == -1 && errno == ENOENT);
	ds_join_side_free(&s);
}
