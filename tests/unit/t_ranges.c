/*
 * t_ranges.c: tests the ranges log of lib/ranges.c: what a restart hands
 * the source and replays after each kind of commit, a torn last entry and
 * a batch without its end, the rewrite that trims behind the commit, at
 * a restart and as the log grows, and logs of another source or malformed
 * refused.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"
#include "check.h"

#define NAME	"r.ds"

static char	dir[64], path[96];
static char	seen[4096];	/* what take was handed */

static void	put(const char *);
static void	note(const char *);
static char	*slurp(void);
static int	take(void *, const struct ds_ranges_entry *);
static int	open_log(struct ds_ranges *, int64_t);
static void	entry(struct ds_ranges *, const char *, const char *);
static char	*replayed(const struct ds_ranges *);
static void	test_fresh(void);
static void	test_restart(void);
static void	test_refused(void);
static void	test_trim(void);

int
main(void)
{
	char tmpl[] = "/tmp/t_ranges.XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/c", tmpl);
	snprintf(path, sizeof(path), "%s/%s", dir, NAME);
	test_fresh();
	test_restart();
	test_refused();
	test_trim();
	return done();
}

/* Make the log hold s. */
static void
put(const char *s)
{
	FILE *f;

	if ((f = fopen(path, "w")) == NULL)
		exit(1);
	fputs(s, f);
	fclose(f);
}

static char *
slurp(void)
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

/* Append to seen what fits of s. */
static void
note(const char *s)
{
	size_t n = strlen(seen);

	snprintf(seen + n, sizeof(seen) - n, "%s", s);
}

/* Note each entry as "T:field,field;" or "T%;"; "bad" is refused. */
static int
take(void *arg, const struct ds_ranges_entry *e)
{
	char t[32];
	size_t i;

	(void)arg;
	if (e->nfield > 0 && strcmp(e->field[0].data, "bad") == 0) {
		errno = EBADMSG;
		return -1;
	}
	snprintf(t, sizeof(t), "%lld%s", (long long)e->t,
	    e->nfield == 0 ? "%;" : ":");
	note(t);
	for (i = 0; i < e->nfield; i++) {
		if (i > 0)
			note(",");
		note(e->field[i].data);
	}
	if (e->nfield > 0)
		note(";");
	return 0;
}

static int
open_log(struct ds_ranges *lg, int64_t committed)
{
	seen[0] = '\0';
	return ds_ranges_open(lg, dir, NAME, "test", committed, take, NULL);
}

/* An entry of two fields to the log's writer. */
static void
entry(struct ds_ranges *lg, const char *a, const char *b)
{
	ds_write_field(&lg->w, a, strlen(a));
	ds_write_field(&lg->w, b, strlen(b));
	ds_write_end(&lg->w);
}

/* The entries to replay, as take notes them. */
static char *
replayed(const struct ds_ranges *lg)
{
	size_t i;

	seen[0] = '\0';
	for (i = 0; i < lg->nent; i++)
		take(NULL, &lg->ent[i]);
	return seen;
}

static void
test_fresh(void)
{
	struct ds_ranges lg;

	/* No log yet: nothing to take or replay; the directory is made. */
	CHECK(open_log(&lg, -1) == 0);
	CHECK(lg.nent == 0 && lg.last == -1);
	CHECK(strcmp(seen, "") == 0);
	entry(&lg, "p", "5");
	CHECK(ds_ranges_rewrite(&lg) == 0);
	CHECK(strcmp(slurp(), "#ds1\n#ranges test\np\t5\n%0\n") == 0);
	entry(&lg, "a", "1");
	entry(&lg, "b\tx", "2");
	CHECK(ds_ranges_batch(&lg, 1000) == 0);
	CHECK(lg.last == 1000);
	CHECK(ds_ranges_batch(&lg, 2000) == 0);
	entry(&lg, "c", "3");
	CHECK(ds_ranges_batch(&lg, 3000) == 0);
	ds_ranges_close(&lg);
	CHECK(strcmp(slurp(), "#ds1\n#ranges test\np\t5\n%0\n"
	    "a\t1\nb\\tx\t2\n%1000\n%2000\nc\t3\n%3000\n") == 0);
}

static void
test_restart(void)
{
	struct ds_ranges lg;
	static const char log[] = "#ds1\n#ranges test\np\t5\n%0\n"
	    "a\t1\nb\\tx\t2\n%1000\n%2000\nc\t3\n%3000\n";

	/* Without a pipeline every batch is done: all taken, none replayed. */
	put(log);
	CHECK(open_log(&lg, INT64_MAX) == 0);
	CHECK(strcmp(seen, "0:p,5;0%;1000:a,1;1000:b\tx,2;1000%;2000%;"
	    "3000:c,3;3000%;") == 0);
	CHECK(lg.nent == 0 && lg.last == 3000);
	entry(&lg, "p", "9");
	CHECK(ds_ranges_rewrite(&lg) == 0);
	CHECK(strcmp(slurp(), "#ds1\n#ranges test\np\t9\n%3000\n") == 0);
	ds_ranges_close(&lg);

	/* Committed 1000: the batches after it, in order, with their times. */
	put(log);
	CHECK(open_log(&lg, 1000) == 0);
	CHECK(strcmp(replayed(&lg), "2000%;3000:c,3;3000%;") == 0);
	entry(&lg, "p", "9");
	CHECK(ds_ranges_rewrite(&lg) == 0);
	CHECK(strcmp(slurp(), "#ds1\n#ranges test\np\t9\n%1000\n"
	    "%2000\nc\t3\n%3000\n") == 0);
	/* New batches follow, and a second restart sees the same. */
	CHECK(ds_ranges_batch(&lg, 4000) == 0);
	ds_ranges_close(&lg);
	CHECK(open_log(&lg, 1000) == 0);
	CHECK(strcmp(replayed(&lg), "2000%;3000:c,3;3000%;4000%;") == 0);
	CHECK(lg.last == 4000);
	ds_ranges_close(&lg);

	/* Nothing committed: all but the positions' batch, which is none. */
	put(log);
	CHECK(open_log(&lg, -1) == 0);
	CHECK(strcmp(replayed(&lg), "1000:a,1;1000:b\tx,2;1000%;2000%;"
	    "3000:c,3;3000%;") == 0);
	ds_ranges_close(&lg);

	/*
	 * A batch without its end and a torn last entry: neither counts,
	 * and the rewrite drops them.
	 */
	put("#ds1\n#ranges test\np\t5\n%0\na\t1\n%1000\nb\t2\nc\t3");
	CHECK(open_log(&lg, 0) == 0);
	CHECK(strcmp(seen, "0:p,5;0%;1000:a,1;1000%;") == 0);
	CHECK(strcmp(replayed(&lg), "1000:a,1;1000%;") == 0);
	CHECK(lg.last == 1000);
	CHECK(ds_ranges_rewrite(&lg) == 0);
	CHECK(strcmp(slurp(), "#ds1\n#ranges test\n%0\na\t1\n%1000\n") == 0);
	ds_ranges_close(&lg);

	/* A torn batch end is no batch end. */
	put("#ds1\n#ranges test\n%0\na\t1\n%1000\nb\t2\n%20");
	CHECK(open_log(&lg, 0) == 0);
	CHECK(strcmp(replayed(&lg), "1000:a,1;1000%;") == 0);
	ds_ranges_close(&lg);
}

static void
test_refused(void)
{
	struct ds_ranges lg;

	/* Another source's log, or none at all. */
	put("#ds1\n#ranges other\n%0\n");
	CHECK(open_log(&lg, -1) == -1 && errno == EBADMSG);
	CHECK(strstr(lg.why, "r.ds: not a log of ranges") != NULL);
	ds_ranges_close(&lg);
	put("");
	CHECK(open_log(&lg, -1) == -1 && errno == EBADMSG);
	ds_ranges_close(&lg);
	/* Refused, a file is left as it was, its last line too. */
	put("some\ttext\nno LF");
	CHECK(open_log(&lg, -1) == -1 && errno == EBADMSG);
	ds_ranges_close(&lg);
	CHECK(strcmp(slurp(), "some\ttext\nno LF") == 0);

	/* Malformed: an escape, batch times out of order, named by line. */
	put("#ds1\n#ranges test\n%0\na\\q\n%1000\n");
	CHECK(open_log(&lg, -1) == -1 && errno == EBADMSG);
	CHECK(strstr(lg.why, "r.ds:4: invalid escape") != NULL);
	ds_ranges_close(&lg);
	put("#ds1\n#ranges test\n%0\n%2000\n%1000\n");
	CHECK(open_log(&lg, -1) == -1 && errno == EBADMSG);
	CHECK(strstr(lg.why, "r.ds:5: ") != NULL);
	ds_ranges_close(&lg);

	/* An entry the source does not know. */
	put("#ds1\n#ranges test\n%0\nok\t1\nbad\t2\n%1000\n");
	CHECK(open_log(&lg, -1) == -1 && errno == EBADMSG);
	CHECK(strstr(lg.why, "r.ds:5: not an entry of the log") != NULL);
	ds_ranges_close(&lg);
}

static void
test_trim(void)
{
	struct ds_ranges lg;
	char *big;

	if ((big = malloc(DS_RANGES_GROWN + 2)) == NULL)
		exit(1);
	memset(big, 'x', DS_RANGES_GROWN + 1);
	big[DS_RANGES_GROWN + 1] = '\0';
	unlink(path);
	CHECK(open_log(&lg, -1) == 0);
	entry(&lg, "p", "0");
	CHECK(ds_ranges_rewrite(&lg) == 0);
	/* Grown by the least it takes: a time to trim, until trimmed. */
	CHECK(ds_ranges_batch(&lg, 500) == 0);
	entry(&lg, "big", big);
	CHECK(ds_ranges_batch(&lg, 1000) == 1);
	entry(&lg, "c", "3");
	CHECK(ds_ranges_batch(&lg, 2000) == 1);
	/* Trimmed behind 1000: the positions, then batch 2000. */
	CHECK(ds_ranges_trim(&lg, 1000) == 0);
	CHECK(lg.last == 2000);
	CHECK(strcmp(replayed(&lg), "2000:c,3;2000%;") == 0);
	entry(&lg, "p", "9");
	CHECK(ds_ranges_rewrite(&lg) == 0);
	CHECK(strcmp(slurp(), "#ds1\n#ranges test\np\t9\n%1000\nc\t3\n"
	    "%2000\n") == 0);
	CHECK(ds_ranges_batch(&lg, 3000) == 0);
	ds_ranges_close(&lg);
	CHECK(open_log(&lg, 1000) == 0);
	CHECK(strcmp(seen, "1000:p,9;1000%;2000:c,3;2000%;3000%;") == 0);
	ds_ranges_close(&lg);

	/* Nothing committed: nothing goes, and the next time is further. */
	unlink(path);
	CHECK(open_log(&lg, -1) == 0);
	CHECK(ds_ranges_rewrite(&lg) == 0);
	entry(&lg, "big", big);
	CHECK(ds_ranges_batch(&lg, 1000) == 1);
	CHECK(ds_ranges_trim(&lg, -1) == 0);
	CHECK(ds_ranges_rewrite(&lg) == 0);
	entry(&lg, "c", "3");
	CHECK(ds_ranges_batch(&lg, 2000) == 0);
	ds_ranges_close(&lg);
	CHECK(open_log(&lg, -1) == 0);
	CHECK(lg.nent == 4 && lg.ent[0].nfield == 2 &&
	    lg.ent[0].field[1].len == DS_RANGES_GROWN + 1);
	ds_ranges_close(&lg);
	free(big);
}
