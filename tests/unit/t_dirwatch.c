/*
 * t_dirwatch.c: tests the rules of lib/dirwatch.c: what a listing takes
 * and in which order; what arrives (moved in, closed after writing) and
 * what does not (dotfiles, subdirectories, a file still open, an update
 * to a name seen); a name that leaves and comes back; lost events; the
 * directory removed or moved; files that are not regular.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"
#include "check.h"

static char	top[128];

static __dead void fatal(const char *);
static char	*newdir(const char *);
static const char *at(const char *, const char *);
static void	put(const char *, const char *, const char *);
static char	*events(struct ds_dirwatch *);
static char	*fresh(const struct ds_dirwatch *);
static void	test_list(void);
static void	test_events(void);
static void	test_lost(void);
static void	test_gone(void);
static void	test_open_file(void);

int
main(void)
{
	char cmd[192];

	snprintf(top, sizeof(top), "%s/t_dirwatch.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(top) == NULL)
		fatal("mkdtemp");
	test_list();
	test_events();
	test_lost();
	test_gone();
	test_open_file();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fatal("rm");
	return done();
}

static __dead void
fatal(const char *what)
{
	perror(what);
	exit(2);
}

/* Make directory d of the test's top; its path, to keep. */
static char *
newdir(const char *d)
{
	size_t n = strlen(top) + strlen(d) + 2;
	char *p;

	if ((p = malloc(n)) == NULL)
		fatal("malloc");
	snprintf(p, n, "%s/%s", top, d);
	if (mkdir(p, 0777) == -1)
		fatal(d);
	return p;
}

/* The path of name in directory d of the test's top, for a moment. */
static const char *
at(const char *d, const char *name)
{
	static char p[2][512];
	static int k;

	k = !k;
	snprintf(p[k], sizeof(p[k]), "%s/%s%s%s", top, d, *name ? "/" : "",
	    name);
	return p[k];
}

/* Write s into file name of directory d, in place: open, write, close. */
static void
put(const char *d, const char *name, const char *s)
{
	int fd;

	if ((fd = open(at(d, name), O_WRONLY | O_CREAT | O_TRUNC, 0666)) ==
	    -1 || write(fd, s, strlen(s)) != (ssize_t)strlen(s) ||
	    close(fd) == -1)
		fatal(name);
}

/*
 * The changes waiting, as "A:name,name L:name LOST GONE ", then "END"; an
 * arrival is checked seen and a departure forgotten.
 */
static char *
events(struct ds_dirwatch *dw)
{
	static char buf[4096];
	static const char *const tag[] = { "", "A:", "L:", "LOST", "GONE" };
	const char *name;
	size_t i;
	int rc;

	buf[0] = '\0';
	while ((rc = ds_dirwatch_next(dw, &name)) > 0) {
		strlcat(buf, tag[rc], sizeof(buf));
		for (i = 0; rc == DS_DIRWATCH_ARRIVED && i < dw->nfresh; i++) {
			if (ds_table_find(&dw->seen, dw->fresh[i],
			    strlen(dw->fresh[i])) == NULL)
				strlcat(buf, "(not seen)", sizeof(buf));
			strlcat(buf, i > 0 ? "," : "", sizeof(buf));
			strlcat(buf, dw->fresh[i], sizeof(buf));
		}
		if (rc == DS_DIRWATCH_LEFT) {
			if (ds_table_find(&dw->seen, name, strlen(name)) !=
			    NULL)
				strlcat(buf, "(still seen)", sizeof(buf));
			strlcat(buf, name, sizeof(buf));
		}
		strlcat(buf, " ", sizeof(buf));
	}
	strlcat(buf, rc == 0 ? "END" : "ERROR", sizeof(buf));
	return buf;
}

/* The names of fresh, each followed by '|'. */
static char *
fresh(const struct ds_dirwatch *dw)
{
	static char buf[4096];
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < dw->nfresh; i++) {
		strlcat(buf, dw->fresh[i], sizeof(buf));
		strlcat(buf, "|", sizeof(buf));
	}
	return buf;
}

static void
test_list(void)
{
	struct ds_dirwatch dw;
	char *d = newdir("l");
	int64_t *v;
	size_t len;
	const char *k;

	if (mkdir(at("l", "sub"), 0777) == -1 ||
	    mkfifo(at("l", "fifo"), 0666) == -1 ||
	    symlink("a", at("l", "link")) == -1 ||
	    symlink("nowhere", at("l", "dangling")) == -1 ||
	    symlink("sub", at("l", "dirlink")) == -1)
		fatal("setup");
	put("l", "b", "b\n");
	put("l", "a", "a\n");
	put("l", ".hidden", "h\n");
	put("l", "Z", "z\n");
	put("l", "a b", "s\n");
	put("l", "a\tb", "t\n");
	put("l", "\xc3\xa9t\xc3\xa9", "u\n");
	put("l", "sub/inner", "i\n");

	CHECK(ds_dirwatch_open(&dw, d) == 0);
	/*
	 * Regular files and links to them, no dotfile, FIFO, directory or
	 * dangling link, in byte order; nothing is seen yet.
	 */
	CHECK(ds_dirwatch_scan(&dw) == 0);
	CHECK(strcmp(fresh(&dw), "Z|a|a\tb|a b|b|link|\xc3\xa9t\xc3\xa9|") ==
	    0);
	CHECK(dw.ngone == 0);
	CHECK(ds_table_count(&dw.seen) == 0);

	/* Seen: the same listing finds nothing fresh. */
	CHECK(ds_dirwatch_see_fresh(&dw) == 0);
	CHECK(ds_dirwatch_see(&dw, "a", 42) == 0);
	CHECK(ds_table_count(&dw.seen) == 7);
	CHECK(ds_dirwatch_scan(&dw) == 0);
	CHECK(dw.nfresh == 0 && dw.ngone == 0);

	/*
	 * A name seen that is gone is forgotten (gone lists it); a new one
	 * is fresh; the others keep their values and their order.
	 */
	CHECK(unlink(at("l", "b")) == 0);
	CHECK(unlink(at("l", "Z")) == 0);
	put("l", "c", "c\n");
	CHECK(ds_dirwatch_scan(&dw) == 0);
	CHECK(strcmp(fresh(&dw), "c|") == 0);
	CHECK(dw.ngone == 2 && strcmp(dw.gone[0], "Z") == 0 &&
	    strcmp(dw.gone[1], "b") == 0);
	CHECK(ds_table_count(&dw.seen) == 5);
	CHECK(ds_table_find(&dw.seen, "b", 1) == NULL);
	CHECK(ds_table_find(&dw.seen, "c", 1) == NULL);
	v = ds_table_find(&dw.seen, "a", 1);
	CHECK(v != NULL && *v == 42);
	k = ds_table_key(&dw.seen, ds_table_end(&dw.seen) - 1, &len);
	CHECK(len == 5 && memcmp(k, "\xc3\xa9t\xc3\xa9", 5) == 0);

	/* A link that now points at a directory is gone. */
	CHECK(unlink(at("l", "link")) == 0 &&
	    symlink("sub", at("l", "link")) == 0);
	CHECK(ds_dirwatch_scan(&dw) == 0);
	CHECK(dw.ngone == 1 && strcmp(dw.gone[0], "link") == 0);
	ds_dirwatch_scan_free(&dw);
	CHECK(dw.nfresh == 0 && dw.fresh == NULL && dw.ngone == 0);

	/* Forget and see by name. */
	CHECK(ds_dirwatch_forget(&dw, "a") == 0);
	CHECK(ds_dirwatch_forget(&dw, "a") == -1 && errno == ENOENT);
	ds_dirwatch_close(&dw);

	/* A directory that is not there, or not a directory. */
	CHECK(ds_dirwatch_open(&dw, at("l", "nosuch")) == -1 &&
	    errno == ENOENT);
	CHECK(ds_dirwatch_open(&dw, at("l", "a b")) == -1 && errno == ENOTDIR);
	free(d);
}

static void
test_events(void)
{
	struct ds_dirwatch dw;
	char nm[16], *d = newdir("e"), *stage = newdir("stage");
	const char *name;
	int fd, i;

	CHECK(ds_dirwatch_open(&dw, d) == 0);
	CHECK(strcmp(events(&dw), "END") == 0);

	/* Written in place, then moved in: both arrive, in order, seen. */
	put("e", "w", "1\n");
	put("stage", "m", "2\n");
	CHECK(rename(at("stage", "m"), at("e", "m")) == 0);
	CHECK(strcmp(events(&dw), "A:w,m END") == 0);
	CHECK(ds_table_count(&dw.seen) == 2);

	/* Updates to a name seen: written again, moved over. */
	put("e", "w", "again\n");
	put("stage", "w", "over\n");
	CHECK(rename(at("stage", "w"), at("e", "w")) == 0);
	CHECK(strcmp(events(&dw), "END") == 0);

	/* Dotfiles never arrive; one moved to a plain name does. */
	put("e", ".tmp", "3\n");
	CHECK(strcmp(events(&dw), "END") == 0);
	CHECK(rename(at("e", ".tmp"), at("e", "done")) == 0);
	CHECK(strcmp(events(&dw), "A:done END") == 0);

	/* A subdirectory and what is in it. */
	CHECK(mkdir(at("e", "sub"), 0777) == 0);
	put("e", "sub/x", "4\n");
	CHECK(rename(at("e", "sub"), at("e", "sub2")) == 0);
	CHECK(strcmp(events(&dw), "END") == 0);

	/* A file still being written arrives when its writer closes it. */
	if ((fd = open(at("e", "slow"), O_WRONLY | O_CREAT, 0666)) == -1 ||
	    write(fd, "5\n", 2) != 2)
		fatal("slow");
	CHECK(strcmp(events(&dw), "END") == 0);
	CHECK(close(fd) == 0);
	CHECK(strcmp(events(&dw), "A:slow END") == 0);

	/*
	 * A name seen that is removed leaves and is forgotten: a file of its
	 * name arrives again.  What arrived before a departure comes before
	 * it, and the group after it is another.
	 */
	put("e", "x1", "6\n");
	CHECK(unlink(at("e", "w")) == 0);
	put("e", "x2", "7\n");
	put("e", "w", "new\n");
	CHECK(strcmp(events(&dw), "A:x1 L:w A:x2,w END") == 0);

	/* Moved out, a log rotated: it leaves, and the new one arrives. */
	CHECK(rename(at("e", "m"), at("e", "m.1")) == 0);
	put("e", "m", "rotated\n");
	CHECK(strcmp(events(&dw), "L:m A:m.1,m END") == 0);

	/* Names never seen that leave are nothing to the program. */
	CHECK(link(at("e", "m"), at("e", "hard")) == 0);
	CHECK(unlink(at("e", "hard")) == 0);
	CHECK(strcmp(events(&dw), "END") == 0);

	/*
	 * A name taken but forgotten before its departure is read (its file
	 * could not be opened, say) is nothing to the program either.
	 */
	put("e", "y", "8\n");
	CHECK(unlink(at("e", "y")) == 0);
	CHECK(ds_dirwatch_next(&dw, &name) == DS_DIRWATCH_ARRIVED &&
	    dw.nfresh == 1 && strcmp(dw.fresh[0], "y") == 0);
	CHECK(ds_dirwatch_forget(&dw, "y") == 0);
	CHECK(strcmp(events(&dw), "END") == 0);

	/* Arrivals come in groups of DS_DIRWATCH_GROUP at most. */
	for (i = 0; i < DS_DIRWATCH_GROUP + 1; i++) {
		snprintf(nm, sizeof(nm), "g%03d", i);
		put("e", nm, "");
	}
	CHECK(ds_dirwatch_next(&dw, &name) == DS_DIRWATCH_ARRIVED &&
	    dw.nfresh == DS_DIRWATCH_GROUP &&
	    strcmp(dw.fresh[0], "g000") == 0);
	CHECK(ds_dirwatch_next(&dw, &name) == DS_DIRWATCH_ARRIVED &&
	    dw.nfresh == 1 && strcmp(dw.fresh[0], nm) == 0);
	CHECK(ds_dirwatch_next(&dw, &name) == 0 && dw.nfresh == 0);
	ds_dirwatch_close(&dw);
	free(d);
	free(stage);
}

/*
 * The kernel's queue overflows: LOST, and a listing finds what the events
 * lost said.  The queue is filled by closing two files in turn, which the
 * kernel does not merge as it does repeated events.
 */
static void
test_lost(void)
{
	struct ds_dirwatch dw;
	char *d = newdir("q");
	const char *s;
	long max = 16384, i, narrived = 0;
	int rc, fd, lost = 0;
	FILE *f;

	if ((f = fopen("/proc/sys/fs/inotify/max_queued_events", "r")) !=
	    NULL) {
		if (fscanf(f, "%ld", &max) != 1)
			max = 16384;
		fclose(f);
	}
	CHECK(ds_dirwatch_open(&dw, d) == 0);
	put("q", "a", "");
	put("q", "b", "");
	for (i = 0; i < max; i++)
		if ((fd = open(at("q", i % 2 ? "a" : "b"), O_WRONLY)) == -1 ||
		    close(fd) == -1)
			fatal("open");
	put("q", "late", "");
	while ((rc = ds_dirwatch_next(&dw, &s)) > 0) {
		if (rc == DS_DIRWATCH_ARRIVED)
			narrived += dw.nfresh;
		else if (rc == DS_DIRWATCH_LOST)
			lost++;
	}
	CHECK(rc == 0);
	CHECK(lost == 1);
	CHECK(narrived == 2);
	CHECK(ds_dirwatch_scan(&dw) == 0);
	CHECK(strcmp(fresh(&dw), "late|") == 0);
	ds_dirwatch_close(&dw);
	free(d);
}

/* The directory removed, or moved: GONE. */
static void
test_gone(void)
{
	struct ds_dirwatch dw;
	char *g = newdir("g"), *m = newdir("m");
	char *s;

	CHECK(ds_dirwatch_open(&dw, g) == 0);
	CHECK(rmdir(g) == 0);
	s = events(&dw);
	CHECK(strncmp(s, "GONE ", 5) == 0);
	ds_dirwatch_close(&dw);

	CHECK(ds_dirwatch_open(&dw, m) == 0);
	CHECK(rename(m, at("m2", "")) == 0);
	s = events(&dw);
	CHECK(strncmp(s, "GONE ", 5) == 0);
	ds_dirwatch_close(&dw);
	free(g);
	free(m);
}

static void
test_open_file(void)
{
	struct ds_dirwatch dw;
	char buf[16], *d = newdir("o"), *sub = newdir("o/sub/");
	const char *p;
	int fd;

	if (mkfifo(at("o", "fifo"), 0666) == -1 ||
	    symlink("f", at("o", "link")) == -1 ||
	    symlink("fifo", at("o", "fifolink")) == -1)
		fatal("setup");
	put("o", "f", "data\n");
	CHECK(ds_dirwatch_open(&dw, d) == 0);

	/* A regular file, or a link to one. */
	fd = ds_dirwatch_open_file(&dw, "f");
	CHECK(fd != -1 && read(fd, buf, sizeof(buf)) == 5 &&
	    memcmp(buf, "data\n", 5) == 0);
	close(fd);
	fd = ds_dirwatch_open_file(&dw, "link");
	CHECK(fd != -1 && (fcntl(fd, F_GETFL) & O_NONBLOCK) &&
	    (fcntl(fd, F_GETFD) & FD_CLOEXEC));
	close(fd);

	/* No regular file of the name: ENOENT, and a FIFO never opened. */
	CHECK(ds_dirwatch_open_file(&dw, "nosuch") == -1 && errno == ENOENT);
	CHECK(ds_dirwatch_open_file(&dw, "sub") == -1 && errno == ENOENT);
	CHECK(ds_dirwatch_open_file(&dw, "fifo") == -1 && errno == ENOENT);
	CHECK(ds_dirwatch_open_file(&dw, "fifolink") == -1 &&
	    errno == ENOENT);

	/* Paths for messages, with or without a slash after the directory. */
	p = ds_dirwatch_path(&dw, "f");
	CHECK(p != NULL && strcmp(p, at("o", "f")) == 0);
	ds_dirwatch_close(&dw);
	CHECK(ds_dirwatch_open(&dw, sub) == 0);
	p = ds_dirwatch_path(&dw, "x");
	CHECK(p != NULL && strcmp(p, at("o", "sub/x")) == 0);
	ds_dirwatch_close(&dw);
	free(sub);
	free(d);
	CHECK(ds_dirwatch_open(&dw, "") == -1 && errno == ENOENT);
}
