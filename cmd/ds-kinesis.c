/*
 * ds-kinesis: read a Kinesis stream's shards into batches on the batch
 * clock, Spark's KinesisInputDStream: every open shard polled with
 * GetRecords, a closed shard read to its end before its children; with
 * -c, each batch's sequence ranges logged before it ends, and replayed
 * after a crash.
 */

#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"
#include "kinesis.h"

static const char synopsis[] = "ds-kinesis [-m] [-c dir] [-e endpoint] "
    "[-i interval] [-N batches] [-p trim-horizon|latest|at-timestamp:T] "
    "[-R region] stream";

#define LIST_EVERY	10000	/* ms between ListShards, for new shards */
#define READ_GAP	200	/* ms: at most 5 GetRecords a second */
#define CALL_TIMEOUT	5000	/* ms a call may take */

static struct ds_kinesis kin;
static struct ds_writer	 out;
static struct ds_recv	 rv;
static struct ds_kinesis_shards sh;
static struct ds_ranges	 lg;
static const char	*stream, *dir;
static const char	*start = "LATEST";
static double		 startts;	/* -p at-timestamp:, in seconds */
static int		 mflag, listed, listtimer, down;
static int64_t		 idle;		/* ms between polls of a shard that
					   is caught up */

static int	on_list(void *);
static int	on_shard(void *);
static int	on_closing(void *, int64_t);
static int	read_shard(struct ds_kinesis_shard *);
static int	emit(struct ds_kinesis_shard *, json_t *);
static void	put_record(const char *, json_t *, const char **);
static int	failed(struct ds_kinesis_shard *, const char *, int, int64_t *);
static void	replay(void);

int
main(int argc, char *argv[])
{
	struct ds_source_opts opt;
	const char *endpoint = NULL, *region = NULL;
	char why[512];
	int64_t t;
	int ch;

	ds_source_opts_init(&opt);
	while ((ch = getopt(argc, argv, "c:e:hi:mN:p:R:")) != -1) {
		if (ds_source_opt_or_die(&opt, "iN", ch, optarg))
			continue;
		switch (ch) {
		case 'c':
			dir = optarg;
			break;
		case 'e':
			endpoint = optarg;
			break;
		case 'm':
			mflag = 1;
			break;
		case 'p':
			if (strcmp(optarg, "trim-horizon") == 0)
				start = "TRIM_HORIZON";
			else if (strcmp(optarg, "latest") == 0)
				start = "LATEST";
			else if (strncmp(optarg, "at-timestamp:", 13) == 0 &&
			    ds_time_parse(optarg + 13, &t) == 0) {
				start = "AT_TIMESTAMP";
				startts = t / 1000.0;
			} else
				errx(2, "-p %s: not trim-horizon, latest or "
				    "at-timestamp:TIME", optarg);
			break;
		case 'R':
			region = optarg;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1 || argv[0][0] == '\0')
		ds_usage_exit(synopsis, 0);
	stream = argv[0];
	idle = opt.interval < READ_GAP ? READ_GAP : opt.interval > 1000 ?
	    1000 : opt.interval;
	if (ds_kinesis_open(&kin, endpoint, region, CALL_TIMEOUT, why,
	    sizeof(why)) == -1)
		errx(1, "%s", why);

	if (ds_writer_init(&out, STDOUT_FILENO) == -1 ||
	    ds_recv_init(&rv, &out, opt.interval) == -1)
		err(1, NULL);
	rv.maxbatches = opt.maxbatches;
	rv.closing = on_closing;
	rv.flushidle = 1;
	if (ds_write_header(&out) == -1 || ds_writer_flush(&out) == -1)
		ds_source_write_failed_die(&out);
	if (dir != NULL) {
		if (ds_kinesis_log_open(&lg, dir, ds_committed_or_die(), &sh) ==
		    -1)
			ds_ranges_die(&lg);
		replay();
		if (lg.last != -1 && rv.next <= lg.last)
			rv.next = ds_batch_after(lg.last, rv.interval);
	}
	if ((listtimer = ds_recv_timer(&rv, on_list, NULL)) == -1)
		err(1, NULL);
	ds_recv_timer_set(&rv, listtimer, 0);
	ds_recv_run_or_die(&rv);
	if (ds_writer_close(&out) == -1)
		ds_source_write_failed_die(&out);
	if (dir != NULL)
		ds_ranges_close(&lg);
	ds_kinesis_close(&kin);
	return 0;
}

/*
 * The stream's shards, page by page: new ones are added, and those whose
 * parents are done (or gone) start being read.
 */
static int
on_list(void *arg)
{
	struct ds_kinesis_shard *s;
	char why[512];
	int64_t wait;
	size_t i;

	(void)arg;
	if (ds_kinesis_list(&kin, stream, &sh, !listed, why, sizeof(why)) ==
	    -1) {
		if (failed(NULL, why, errno, &wait) == -1)
			return -1;
		ds_recv_timer_set(&rv, listtimer, ds_now_ms() + wait);
		return 0;
	}
	listed = 1;
	for (i = 0; i < sh.n; i++) {
		s = sh.s[i];
		if (s->state != DS_SHARD_WAIT || !ds_kinesis_shard_ready(&sh, s))
			continue;
		s->state = DS_SHARD_READ;
		if ((s->timer = ds_recv_timer(&rv, on_shard, s)) == -1)
			return -1;
		ds_recv_timer_set(&rv, s->timer, 0);
	}
	ds_recv_timer_set(&rv, listtimer, ds_now_ms() + LIST_EVERY);
	return 0;
}

/* A shard's turn: its iterator if need be, then one GetRecords. */
static int
on_shard(void *arg)
{
	struct ds_kinesis_shard *s = arg;
	const char *type;
	char why[512];
	int64_t wait;

	type = s->pos != NULL ? "AFTER_SEQUENCE_NUMBER" :
	    ds_kinesis_shard_child(&sh, s) || !s->initial ? "TRIM_HORIZON" :
	    start;
	if (s->iter == NULL && ds_kinesis_iterator(&kin, stream, s, type,
	    startts, why, sizeof(why)) == -1) {
		if (errno == ENOENT) {
			/* Trimmed away: nothing left to read. */
			s->state = DS_SHARD_DONE;
			ds_recv_timer_set(&rv, listtimer, 0);
			return 0;
		}
		if (failed(s, why, errno, &wait) == -1)
			return -1;
		ds_recv_timer_set(&rv, s->timer, ds_now_ms() + wait);
		return 0;
	}
	return read_shard(s);
}

static int
read_shard(struct ds_kinesis_shard *s)
{
	json_t *req, *resp, *recs, *e, *next;
	char why[512];
	int64_t wait, behind;
	size_t i;

	if ((req = json_pack("{s:s}", "ShardIterator", s->iter)) == NULL)
		return -1;
	if (ds_kinesis_call(&kin, "GetRecords", req, &resp, why,
	    sizeof(why)) == -1) {
		json_decref(req);
		if (errno == ESTALE || errno == ENOENT) {
			/* Expired: a new one from where it stopped. */
			free(s->iter);
			s->iter = NULL;
			ds_recv_timer_set(&rv, s->timer, ds_now_ms());
			return 0;
		}
		if (failed(s, why, errno, &wait) == -1)
			return -1;
		ds_recv_timer_set(&rv, s->timer, ds_now_ms() + wait);
		return 0;
	}
	json_decref(req);
	failed(s, NULL, 0, NULL);
	recs = json_object_get(resp, "Records");
	json_array_foreach(recs, i, e)
		if (emit(s, e) == -1) {
			json_decref(resp);
			return -1;
		}
	free(s->iter);
	s->iter = NULL;
	next = json_object_get(resp, "NextShardIterator");
	behind = json_integer_value(json_object_get(resp,
	    "MillisBehindLatest"));
	if (!json_is_string(next)) {
		/* Closed and read to its end: its children may start. */
		s->state = DS_SHARD_DONE;
		s->ended = 1;
		ds_recv_timer_free(&rv, s->timer);
		ds_recv_timer_set(&rv, listtimer, 0);
	} else if ((s->iter = strdup(json_string_value(next))) == NULL) {
		json_decref(resp);
		return -1;
	} else
		ds_recv_timer_set(&rv, s->timer, ds_now_ms() +
		    (json_array_size(recs) > 0 || behind > 0 ? READ_GAP :
		    idle));
	json_decref(resp);
	return 0;
}

/* A Kinesis record of s as a ds record of the open batch. */
static int
emit(struct ds_kinesis_shard *s, json_t *e)
{
	const char *seq = json_string_value(json_object_get(e,
	    "SequenceNumber"));

	if (seq != NULL && s->pos != NULL &&
	    ds_kinesis_seqcmp(seq, s->pos) <= 0)
		return 0;	/* replayed already */
	rv.filled = 1;
	put_record(s->id, e, &seq);
	return ds_kinesis_shard_took(&sh, s, seq);
}

/*
 * A call failed with errno e: an error that retrying cannot mend ends
 * the program; else *wait is the backoff, and an outage (not mere
 * throttling) is reported once.  With why NULL: a call went through.
 */
static int
failed(struct ds_kinesis_shard *s, const char *why, int e, int64_t *wait)
{
	int *tries = s != NULL ? &s->tries : &sh.listtries;

	if (why == NULL) {
		if (down)
			warnx("stream %s: %s: reachable again", stream,
			    kin.url);
		down = *tries = 0;
		return 0;
	}
	switch (e) {
	case EAGAIN:
		break;
	case ENOENT:
		errx(1, "stream %s: no such stream (%s)", stream, why);
	case ENOMEM:
		return -1;
	default:
		errx(1, "stream %s: %s", stream, why);
	}
	*wait = ds_kinesis_backoff((*tries)++, 100, 5000);
	if (kin.status == 0 || kin.status >= 500) {
		if (!down)
			warnx("stream %s: %s: %s; batches go on empty, "
			    "retrying", stream, kin.url, why);
		down = 1;
	}
	return 0;
}

/*
 * -c: the batch's ranges are in the log, synced, before its end leaves;
 * the log is trimmed behind the pipeline's commit as it grows.
 */
static int
on_closing(void *arg, int64_t t)
{
	int rc;

	(void)arg;
	if (dir != NULL && ((rc = ds_kinesis_log_batch(&lg, &sh, t)) == -1 ||
	    (rc == 1 && ds_kinesis_log_trim(&lg, ds_committed_or_die(),
	    &sh) == -1)))
		ds_ranges_die(&lg);
	return 0;
}

/*
 * -c: the batches the pipeline may not have finished go out again as
 * they did, each span's records fetched again, before anything new.
 */
static void
replay(void)
{
	char why[512];

	if (ds_kinesis_replay(&kin, stream, &lg, &out, mflag, why,
	    sizeof(why)) == -1) {
		if (errno == EIO)
			ds_source_write_failed_die(&out);
		errx(1, "stream %s: replay: %s", stream, why);
	}
}

/* A record of shard id to out; its sequence number into *seqp. */
static void
put_record(const char *id, json_t *e, const char **seqp)
{
	static struct ds_buf data;

	if (ds_kinesis_record_write(&out, id, e, mflag, &data, seqp) == 0)
		return;
	if (errno != EBADMSG)
		ds_source_write_failed_die(&out);
	errx(1, "stream %s: shard %s: record %s: no data, key, sequence "
	    "number or arrival time, or data not base64", stream, id,
	    *seqp != NULL ? *seqp : "?");
}
