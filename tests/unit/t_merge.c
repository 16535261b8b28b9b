/*
 * t_merge.c: tests lib/merge.c, several streams read side by side over
 * pipes and handed over batch by batch.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"
#include "check.h"

#define NIN	3

struct rig {
	struct ds_reader	 in[NIN];
	struct ds_merge		 m;
	int			 wfd[NIN];	/* the pipes' write ends */
	char			 pending[NIN][64]; /* records, batch open */
	char			 log[256];	/* what was handed over */
};

static void	rig_open(struct rig *, size_t);
static void	rig_close(struct rig *, size_t);
static void	feed(struct rig *, size_t, const char *);
static int	step(struct rig *);
static int	run(struct rig *);
static void	test_aligned(void);
static void	test_no_stall(void);
static void	test_ended(void);
static void	test_error(void);

int
main(void)
{
	/* A merge that waits where it should not fails by the alarm. */
	alarm(10);
	test_aligned();
	test_no_stall();
	test_ended();
	test_error();
	return done();
}

static void
rig_open(struct rig *g, size_t n)
{
	size_t i;
	int p[2];

	memset(g, 0, sizeof(*g));
	for (i = 0; i < n; i++) {
		if (pipe(p) == -1 ||
		    ds_reader_init(&g->in[i], p[0], "pipe", DS_AUTO) == -1)
			abort();
		g->wfd[i] = p[1];
	}
	if (ds_merge_init(&g->m, g->in, n) == -1)
		abort();
}

static void
rig_close(struct rig *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		ds_reader_free(&g->in[i]);
		close(g->in[i].fd);
		if (g->wfd[i] != -1)
			close(g->wfd[i]);
	}
	ds_merge_free(&g->m);
}

/* Write s into input i's pipe; NULL closes it. */
static void
feed(struct rig *g, size_t i, const char *s)
{
	if (s == NULL) {
		close(g->wfd[i]);
		g->wfd[i] = -1;
	} else if (write(g->wfd[i], s, strlen(s)) != (ssize_t)strlen(s))
		abort();
}

/*
 * One ds_merge_next, kept as ds-union would: a record joins its input's
 * pending records; a batch logs "T:" and the pending records of the
 * inputs at T, in input order, and forgets those only.
 */
static int
step(struct rig *g)
{
	char item[80];
	size_t i;
	int rc;

	rc = ds_merge_next(&g->m, &i);
	if (rc == DS_RECORD) {
		strncat(g->pending[i], g->in[i].field[0].data,
		    g->in[i].field[0].len);
		return rc;
	}
	if (rc != DS_BATCH)
		return rc;
	snprintf(item, sizeof(item), "%lld:", (long long)g->m.time);
	strlcat(g->log, item, sizeof(g->log));
	for (i = 0; i < g->m.nin; i++) {
		if (!ds_merge_at(&g->m, i))
			continue;
		snprintf(item, sizeof(item), "[%s]", g->pending[i]);
		strlcat(g->log, item, sizeof(g->log));
		g->pending[i][0] = '\0';
	}
	strlcat(g->log, " ", sizeof(g->log));
	return rc;
}

/* Step to the end of every input; DS_EOF, or the failure's -1. */
static int
run(struct rig *g)
{
	int rc;

	while ((rc = step(g)) == DS_RECORD || rc == DS_BATCH)
		;
	return rc;
}

/*
 * Times on both sides, on one side only, and an empty batch: every time
 * once, in order, each with the records of the inputs that have it.
 */
static void
test_aligned(void)
{
	struct rig g;

	rig_open(&g, 3);
	feed(&g, 0, "#ds1\na\nb\n%1\nc\n%3\n%4\n");
	feed(&g, 1, "#ds1\nx\n%1\ny\n%2\nz\n%4\n");
	feed(&g, 2, "");
	feed(&g, 0, NULL);
	feed(&g, 1, NULL);
	feed(&g, 2, NULL);
	CHECK(run(&g) == DS_EOF);
	CHECK(strcmp(g.log, "1:[ab][x] 2:[y] 3:[c] 4:[][z] ") == 0);
	CHECK(g.in[0].nowait && g.in[1].nowait && g.in[2].nowait);
	rig_close(&g, 3);
}

/*
 * An input with nothing to say stalls nobody's records, only the batch
 * times it may still have.
 */
static void
test_no_stall(void)
{
	struct rig g;
	size_t i = 99;

	rig_open(&g, 2);
	feed(&g, 1, "#ds1\nx\n%5\n");
	CHECK(ds_merge_next(&g.m, &i) == DS_RECORD && i == 1);
	/* Input 0 is open and silent: batch 5 waits for it. */
	feed(&g, 0, "#ds1\na\n%5\n");
	feed(&g, 0, NULL);
	feed(&g, 1, NULL);
	CHECK(step(&g) == DS_RECORD);
	CHECK(step(&g) == DS_BATCH);
	CHECK(g.m.time == 5);
	CHECK(ds_merge_at(&g.m, 0) && ds_merge_at(&g.m, 1));
	CHECK(run(&g) == DS_EOF);
	rig_close(&g, 2);
}

/* An input that ended holds nobody back; raw input is one batch. */
static void
test_ended(void)
{
	struct rig g;
	int64_t before = ds_now_ms();

	rig_open(&g, 2);
	feed(&g, 0, "#ds1\n%1\n");
	feed(&g, 0, NULL);
	feed(&g, 1, "#ds1\nx\n%1\ny\n%2\n");
	CHECK(step(&g) == DS_RECORD);
	CHECK(step(&g) == DS_BATCH && g.m.time == 1);
	CHECK(step(&g) == DS_RECORD);
	CHECK(step(&g) == DS_BATCH && g.m.time == 2);
	CHECK(!ds_merge_at(&g.m, 0) && ds_merge_at(&g.m, 1));
	feed(&g, 1, NULL);
	CHECK(run(&g) == DS_EOF);
	rig_close(&g, 2);

	rig_open(&g, 2);
	feed(&g, 0, "r\n");
	feed(&g, 0, NULL);
	feed(&g, 1, "#ds1\nx\n%1\n");
	feed(&g, 1, NULL);
	CHECK(run(&g) == DS_EOF);
	CHECK(strncmp(g.log, "1:[x] ", 6) == 0);
	CHECK(strtoll(g.log + 6, NULL, 10) >= before);
	CHECK(strcmp(strchr(g.log + 6, ':'), ":[r] ") == 0);
	rig_close(&g, 2);
}

/* A malformed input fails the merge, naming the input. */
static void
test_error(void)
{
	struct rig g;

	rig_open(&g, 2);
	feed(&g, 0, "#ds1\na\n%1\n");
	feed(&g, 1, "#ds1\n\\q\n");
	feed(&g, 0, NULL);
	feed(&g, 1, NULL);
	errno = 0;
	CHECK(run(&g) == -1);
	CHECK(errno == EBADMSG);
	CHECK(g.m.failed == 1);
	CHECK(g.in[1].lineno == 2);
	rig_close(&g, 2);
}
