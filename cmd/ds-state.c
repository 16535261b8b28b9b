/*
 * ds-state: a running aggregate per key across batches, Spark's
 * updateStateByKey and mapWithState, with timeouts and checkpoints that
 * survive a crash.
 */

#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] = "ds-state [-I] [-c dir] [-C interval] "
    "[-e output] [-f field] [-k field] [-o op] [-t timeout] [lua]";

/* -e: a bit a name, in the order ds_names_arg_or_die is given them */
#define EMIT_ALL	1
#define EMIT_CHANGED	2
#define EMIT_EXPIRED	4

/* Kept output past this many batches means no sink commits: warn. */
#define KEPT_WARN	1000

/* A key's state, in the list of updates for the timeouts. */
struct key {
	struct ds_recent_entry e;	/* e.t: batch time of the last value */
	struct ds_agg	 agg;
};

static int		 op = DS_OP_SUM;
static int		 emit = EMIT_ALL;
static int64_t		 timeout;		/* 0: none */
static struct ds_recent	 state;
static struct ds_table	 batch;			/* the open batch's, per key */
static struct ds_writer	 out;
static struct ds_lua	*update;		/* (values, state) -> state */
/*
 * Exactly-once (ds(7)): with -c and $DS_CHECKPOINT, the output of the
 * batches the stages downstream have not committed is kept, in memory
 * and in the checkpoint, to be written again when a restarted source
 * replays them.
 */
static struct ds_stateful st;

static struct key *lookup(const char *, size_t);
static void	apply_batch(struct ds_reader *);
static void	put(const struct key *, const char *);
static void	end_batch(int64_t);
static void	checkpoint(const char *, int64_t);
static int64_t	restore(const char *);

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	const char *dir = NULL;
	int64_t every = 0, skipto = -1, saved = -1;
	unsigned long long nskipped = 0;
	size_t kfield = 1, vfield = 2;
	int ch, rc, Iflag = 0, oflag = 0;

	while ((ch = getopt(argc, argv, "C:c:e:f:hIk:o:t:")) != -1) {
		switch (ch) {
		case 'I':
			Iflag = 1;
			break;
		case 'C':
			every = ds_duration_arg_or_die("-C", optarg);
			break;
		case 'c':
			dir = optarg;
			break;
		case 'e':
			emit = ds_names_arg_or_die("-e", optarg,
			    (const char *const []){ "all", "changed",
			    "expired", NULL });
			break;
		case 'f':
			vfield = ds_field_arg_or_die("-f", optarg);
			break;
		case 'k':
			kfield = ds_field_arg_or_die("-k", optarg);
			break;
		case 'o':
			if ((op = ds_op_parse(optarg)) == -1)
				errx(2, "-o %s: unknown operation", optarg);
			oflag = 1;
			break;
		case 't':
			timeout = ds_duration_arg_or_die("-t", optarg);
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		ds_usage_exit(synopsis, 0);
	if (argc == 1) {
		if (oflag)
			errx(2, "-o and a Lua update exclude each other");
		update = ds_lua_new_or_die(argv[0],
		    (const char *const []){ "values", "state", NULL });
		op = DS_OP_FN;
	}
	if (every != 0 && dir == NULL)
		errx(2, "-C needs -c");

	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&out, STDOUT_FILENO) == -1 ||
	    ds_recent_init(&state, sizeof(struct key)) == -1 ||
	    ds_table_init(&batch, sizeof(struct ds_agg)) == -1)
		err(1, NULL);
	if (dir != NULL) {
		ds_stateful_join_or_die(&st, "ds-state");
		saved = skipto = restore(dir);
	}
	/* Until a checkpoint of ours, the source replays what we hold. */
	ds_stateful_commit_or_die(&st, saved);
	r.flush = &out;
	if (ds_write_header(&out) == -1)
		ds_write_failed_die(&out);
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (rc == DS_BATCH) {
			if (r.synthetic && dir != NULL) {
				/*
				 * Checkpointed at the clock's time, it would
				 * hide the true batch when it is replayed.
				 */
				warnx("stdin: the input ends inside a batch: "
				    "left to the replay");
				break;
			}
			if (r.time <= skipto) {
				/*
				 * Done before the crash: drop it, but give
				 * downstream again what it has not committed.
				 */
				ds_agg_table_clear(&batch);
				if (ds_stateful_replay(&st, r.time, &out) == -1)
					ds_write_failed_die(&out);
				continue;
			}
			apply_batch(&r);
			end_batch(r.time);
			if (dir != NULL && (every == 0 || saved == -1 ||
			    r.time - saved >= every)) {
				checkpoint(dir, r.time);
				saved = r.time;
			}
			continue;
		}
		if (update != NULL)
			ds_lua_values_add_or_die(&batch, &r, kfield, vfield);
		else if (ds_batch_add_or_die(&batch, &r, op, kfield, vfield,
		    Iflag) == -1)
			nskipped++;
	}
	if (r.torn && dir != NULL)
		warnx("stdin: the input ends inside a batch: "
		    "left to the replay");
	ds_writer_close_or_die(&out);
	if (nskipped > 0)
		warnx("values skipped, not numbers: %llu", nskipped);
	exit(0);
}

/* The state of a key, created empty (and not yet in the update list). */
static struct key *
lookup(const char *name, size_t len)
{
	int isnew;

	return ds_recent_get(&state, name, len, &isnew);
}

/*
 * Fold the batch's aggregates into the state.  The batch is reduced on
 * its own first because its time, which decides whether a replayed batch
 * counts, comes only at its end.
 */
static void
apply_batch(struct ds_reader *r)
{
	struct ds_agg *a;
	struct key *k;
	const char *name;
	size_t i, len;

	for (i = 0; i < ds_table_end(&batch); i++) {
		if ((a = ds_table_value(&batch, i)) == NULL)
			continue;
		name = ds_table_key(&batch, i, &len);
		if ((k = lookup(name, len)) == NULL)
			err(1, NULL);
		if (update == NULL && ds_agg_merge(&k->agg, a, op) == -1)
			ds_record_die(r, "the state of a key overflows");
		if (update == NULL ||
		    ds_lua_update_or_die(update, r, a, &k->agg) == 0)
			ds_recent_touch(&state, k, r->time);
		else {
			/* The update gave nil: the key goes. */
			ds_recent_remove(&state, k);
			ds_agg_free(&k->agg);
			free(k);
		}
	}
	ds_agg_table_clear(&batch);
}

/* Write a key and its state, kept when the batch's output is. */
static void
put(const struct key *k, const char *mark)
{
	struct ds_field f[3];
	char num[DS_NUM_MAX];
	size_t n = 2;

	f[0].data = k->e.key;
	f[0].len = k->e.len;
	f[1].data = (char *)ds_agg_result(&k->agg, op, num, &f[1].len);
	if (mark != NULL) {
		f[2].data = (char *)mark;
		f[2].len = strlen(mark);
		n = 3;
	}
	if (ds_kept_record(&st.kept, &out, f, n) == -1) {
		if (errno == ENOMEM)
			err(1, NULL);
		ds_write_failed_die(&out);
	}
}

/*
 * The batch of time t has ended, its keys folded in: time out the idle
 * ones (a key last updated at u goes at the first batch t with t - u >
 * timeout), and write what -e asks for, the expired oldest first.
 */
static void
end_batch(int64_t t)
{
	struct ds_recent_entry *e, *gone = NULL, **last = &gone, *next;
	struct key *k;
	size_t i;

	if (ds_stateful_open(&st) == -1)
		err(1, NULL);
	while (timeout != 0 && (k = ds_recent_idle(&state, t,
	    timeout)) != NULL) {
		ds_recent_remove(&state, k);
		*last = &k->e;		/* chained through e.next, in order */
		last = &k->e.next;
	}
	if (emit & EMIT_ALL) {
		for (i = 0; i < ds_table_end(&state.table); i++)
			if ((k = ds_recent_at(&state, i)) != NULL)
				put(k, NULL);
	} else if (emit & EMIT_CHANGED) {
		/* The keys the batch updated are the newest. */
		for (e = ds_recent_since(&state, t); e != NULL; e = e->next)
			put((struct key *)e, NULL);
	}
	for (; gone != NULL; gone = next) {
		next = gone->next;
		k = (struct key *)gone;
		if (emit & EMIT_EXPIRED)
			put(k, "expired");
		ds_agg_free(&k->agg);
		free(k);
	}
	if (ds_write_batch(&out, t) == -1)
		ds_write_failed_die(&out);
	ds_kept_close(&st.kept, t);
	if (st.kept.n == KEPT_WARN)
		warnx("%s: nothing downstream has committed batch %lld; "
		    "keeping the output of %d batches", st.dir,
		    (long long)st.kept.batch[0].t, KEPT_WARN);
}

/*
 * Save the state after batch t, with the checkpoint store.  The batch's
 * output goes out first: after a crash a batch may come out twice, never
 * not at all.  Downstream's kept output follows the keys, as records of a
 * batch time and the batch's escaped lines; then the commit record says
 * what a restarted source must replay.
 */
static void
checkpoint(const char *dir, int64_t t)
{
	struct ds_writer w;
	char num[80];
	struct key *k;
	size_t i;
	int fd, n;

	if (ds_writer_flush(&out) == -1)
		ds_write_failed_die(&out);
	ds_stateful_trim_or_die(&st);
	if ((fd = ds_statefile_create(&w, dir, "state", "ds-state",
	    ds_op_name(op))) == -1)
		err(1, "%s/state", dir);
	for (i = 0; i < ds_table_end(&state.table); i++) {
		if ((k = ds_recent_at(&state, i)) == NULL)
			continue;
		ds_write_field(&w, k->e.key, k->e.len);
		ds_statefile_value(&w, &k->agg, op);
		n = snprintf(num, sizeof(num), "%lld\t%lld\t%llu",
		    (long long)k->agg.count, (long long)k->e.t,
		    (unsigned long long)k->e.seq);
		ds_write_escaped(&w, num, n);
		/*
		 * A Lua state says which it is: the string "007" must not
		 * come back as the number 7.
		 */
		if (op == DS_OP_FN)
			ds_write_field(&w, k->agg.isstr ? "string" : "number",
			    6);
		ds_write_end(&w);
	}
	ds_kept_save(&st.kept, &w);
	if (ds_statefile_commit(&w, dir, "state", fd, t) == -1)
		err(1, "%s/state", dir);
	ds_stateful_commit_or_die(&st, t);
}

/*
 * Load the checkpoint in dir, if any; returns its batch time, or -1.  A
 * checkpoint that does not parse is an error, never replaced; a newest
 * one that is torn gives way to the previous, with a warning.  A batch's
 * kept output, a time and its lines, follows the keys; without
 * $DS_CHECKPOINT it is of no use, and dropped.
 */
static int64_t
restore(const char *dir)
{
	struct ds_reader r;
	struct ds_ckpt ck;
	struct ds_field *f;
	struct key *k;
	char path[PATH_MAX];
	int64_t t;
	int rc;

	if (mkdir(dir, 0777) == -1 && errno != EEXIST)
		err(1, "%s", dir);
	if (snprintf(path, sizeof(path), "%s/state", dir) >= (int)sizeof(path))
		errx(1, "%s: name too long", dir);
	if ((rc = ds_ckpt_open(dir, "state", &ck)) == -1) {
		if (errno != EBADMSG)
			err(1, "%s", path);
		if (ck.status != DS_CKPT_FOREIGN)
			errx(1, "%s: %s", path, ck.why);
	}
	if (rc == DS_CKPT_NONE)
		return -1;
	if (rc == DS_CKPT_PREVIOUS)
		warnx("%s: %s; using %s.prev", path, ck.why, path);
	if (rc == -1)
		errx(1, "%s: not a ds-state checkpoint for -o %s", path,
		    ds_op_name(op));
	ds_statefile_open_or_die(&r, ck.fd, path, "ds-state", ds_op_name(op));
	r.lineno = 1;		/* the store's header line */
	while (ds_statefile_read_or_die(&r) != DS_EOF) {
		f = r.field;
		if (r.nfield == 2) {
			if (ds_stateful_keep(&st, ds_statefile_int_or_die(&r,
			    &f[0], INT64_MIN + 1), f[1].data, f[1].len) == -1) {
				if (errno == ENOMEM)
					err(1, NULL);
				ds_record_die(&r, "not a checkpoint record");
			}
			continue;
		}
		if (r.nfield != (op == DS_OP_FN ? 6 : 5))
			ds_record_die(&r, "not a checkpoint record");
		if ((k = lookup(f[0].data, f[0].len)) == NULL)
			err(1, NULL);
		ds_statefile_agg_or_die(&r, &k->agg, op, &f[1],
		    op == DS_OP_FN ? &f[5] : NULL);
		k->agg.count = ds_statefile_int_or_die(&r, &f[2], 1);
		k->e.t = ds_statefile_int_or_die(&r, &f[3], 0);
		k->e.seq = ds_statefile_int_or_die(&r, &f[4], 1);
	}
	t = r.lasttime;
	ds_reader_free(&r);
	close(ck.fd);

	if (ds_recent_sort(&state) == -1)
		err(1, NULL);
	return t;
}
