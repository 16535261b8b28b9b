/*
 * t_kept.c: tests the kept output of lib/kept.c: what is kept is what
 * went out, a replay writes it again byte for byte, and trimming and
 * saving leave the open batch alone.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"
#include "check.h"

static void	fatal(const char *);
static void	start(struct ds_writer *);
static int	wrote(struct ds_writer *, const char *);
static void	put(struct ds_kept *, struct ds_writer *, const char *,
		    const char *);

int
main(void)
{
	struct ds_kept k = { 0 };
	struct ds_writer w;

	/* Nothing open: records go out, nothing is kept. */
	start(&w);
	put(&k, &w, "a", "1");
	CHECK(wrote(&w, "a\t1\n") && k.n == 0);

	/* A kept batch goes out as ds_write_record writes it. */
	start(&w);
	CHECK(ds_kept_open(&k) == 0);
	put(&k, &w, "#k\tey", "2\n");
	put(&k, &w, "", "");
	ds_write_batch(&w, 1000);
	ds_kept_close(&k, 1000);
	CHECK(wrote(&w, "\\#k\\tey\t2\\n\n\t\n%1000\n"));
	CHECK(k.n == 1 && k.batch[0].t == 1000);
	CHECK(k.batch[0].lines.len == 13 &&
	    memcmp(k.batch[0].lines.data, "#k\\tey\t2\\n\n\t\n", 13) == 0);
	/* An empty batch is kept too. */
	CHECK(ds_kept_open(&k) == 0);
	ds_kept_close(&k, 2000);
	CHECK(k.n == 2 && k.batch[1].lines.len == 0);

	/* A replay is the same bytes, the batch end included. */
	start(&w);
	CHECK(ds_kept_replay(&k, 1000, &w) == 1);
	CHECK(ds_kept_replay(&k, 2000, &w) == 1);
	CHECK(ds_kept_replay(&k, 1500, &w) == 0);
	CHECK(wrote(&w, "\\#k\\tey\t2\\n\n\t\n%1000\n%2000\n"));

	/* Saved as records of a time and the lines; read back the same. */
	start(&w);
	CHECK(ds_kept_open(&k) == 0);	/* open: neither saved nor replayed */
	CHECK(ds_kept_replay(&k, 0, &w) == 0);
	CHECK(ds_kept_save(&k, &w) == 0);
	CHECK(wrote(&w, "1000\t#k\\\\tey\\t2\\\\n\\n\\t\\n\n2000\t\n"));
	ds_kept_close(&k, 3000);
	CHECK(ds_kept_add(&k, 3000, "x\n", 2) == -1 && errno == EINVAL);
	CHECK(ds_kept_add(&k, 4000, "x", 1) == -1 && errno == EINVAL);
	CHECK(ds_kept_add(&k, 4000, "x\ny\n", 4) == 0 && k.n == 4);

	/* Trimmed up to a commit, the open batch kept whatever its time. */
	ds_kept_trim(&k, 1000);
	CHECK(k.n == 3 && k.batch[0].t == 2000);
	CHECK(ds_kept_open(&k) == 0);
	ds_kept_trim(&k, INT64_MAX);
	CHECK(k.n == 1 && k.open);
	ds_kept_close(&k, 5000);
	CHECK(k.batch[0].t == 5000);
	ds_kept_trim(&k, 4999);
	CHECK(k.n == 1);
	ds_kept_trim(&k, 5000);
	CHECK(k.n == 0);
	ds_kept_free(&k);
	return done();
}

static void
fatal(const char *what)
{
	perror(what);
	exit(2);
}

/* A writer on a fresh temporary file. */
static void
start(struct ds_writer *w)
{
	FILE *f;
	int fd;

	if ((f = tmpfile()) == NULL || (fd = dup(fileno(f))) == -1)
		fatal("tmpfile");
	fclose(f);
	if (ds_writer_init(w, fd) == -1)
		fatal("ds_writer_init");
}

/* Whether w wrote exactly want; closes it. */
static int
wrote(struct ds_writer *w, const char *want)
{
	char buf[256];
	ssize_t n;
	int ok;

	if (ds_writer_close(w) == -1)
		fatal("ds_writer_close");
	n = pread(w->fd, buf, sizeof(buf), 0);
	ok = n == (ssize_t)strlen(want) && memcmp(buf, want, n) == 0;
	if (!ok)
		printf("# wrote \"%.*s\"\n", (int)(n > 0 ? n : 0), buf);
	close(w->fd);
	return ok;
}

static void
put(struct ds_kept *k, struct ds_writer *w, const char *key, const char *v)
{
	struct ds_field f[2];

	f[0].data = (char *)key;
	f[0].len = strlen(key);
	f[1].data = (char *)v;
	f[1].len = strlen(v);
	if (ds_kept_record(k, w, f, 2) == -1)
		fatal("ds_kept_record");
}
