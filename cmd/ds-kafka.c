/*
 * ds-kafka: read Kafka topics into batches on the batch clock, Spark's
 * KafkaUtils.createDirectStream: a consumer group, or partitions assigned
 * by hand; with -c, each batch's offset ranges logged before it ends, and
 * replayed after a crash.
 */

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"
#include "kafka.h"

static const char synopsis[] = "ds-kafka [-mv] [-b brokers] [-c dir] "
    "[-g group] [-i interval] [-o earliest|latest] [-R max-rate] "
    "[-X property=value]... topic ...";

#define LOG_NAME	"kafka-ranges.ds"
#define POLL_MAX	4096	/* messages a wakeup, between clock checks */
#define POLL_EVERY	100	/* ms: librdkafka's wakeups are not always */
#define LAST_WAIT	10000	/* ms a last commit waits out a rebalance */

static rd_kafka_t	*rk;
static struct ds_kafka_wake wake;	/* the consumer's queue's */
static const char	*brokers = "localhost:9092";
static const char	*group;
static const char	*dir;		/* -c */
static int		 mflag, vflag;
static long long	 batchcap;	/* -R's messages a batch, 0: none */
static struct ds_writer	 out;
static struct ds_recv	 rv;

static struct ds_kafka_parts parts;
static struct ds_kafka_spans spans;	/* the open batch's, with -c */
static rd_kafka_topic_partition_list_t *wanted;	/* without a group */

/* -c: the log, and the positions of batches the pipeline has not done. */
static struct ds_ranges	 ranges;
static struct ds_kafka_pending pending;

static void	on_rebalance(rd_kafka_t *, rd_kafka_resp_err_t,
		    rd_kafka_topic_partition_list_t *, void *);
static int	on_wake(void *, short);
static int	on_assign_timer(void *);
static int	on_poll_timer(void *);
static int	on_closing(void *, int64_t);
static int	on_written(void *, int64_t);
static void	take(const rd_kafka_message_t *);
static void	start_log(void);
static void	commit(rd_kafka_topic_partition_list_t *, int);

static struct ds_kafka_voice voice = { NULL,
    "batches go on empty until they are back", ds_line_warn, ds_line_die };

int
main(int argc, char *argv[])
{
	rd_kafka_topic_partition_list_t *topics;
	const char *reset = "latest", *errstr;
	char why[512], **xopt;
	struct ds_source_opts opt;
	int64_t interval;
	long long maxrate = 0;
	size_t nx = 0;
	int ch, timer, polltimer;
	rd_kafka_resp_err_t e;

	if ((xopt = calloc(argc, sizeof(*xopt))) == NULL)
		err(1, NULL);
	ds_source_opts_init(&opt);
	while ((ch = getopt(argc, argv, "b:c:g:hi:mo:R:vX:")) != -1) {
		if (ds_source_opt_or_die(&opt, "civ", ch, optarg))
			continue;
		switch (ch) {
		case 'b':
			brokers = optarg;
			break;
		case 'g':
			group = optarg;
			break;
		case 'm':
			mflag = 1;
			break;
		case 'o':
			if (strcmp(optarg, "earliest") != 0 &&
			    strcmp(optarg, "latest") != 0)
				errx(2, "-o %s: not earliest or latest",
				    optarg);
			reset = optarg;
			break;
		case 'R':
			maxrate = strtonum(optarg, 1, INT32_MAX, &errstr);
			if (errstr != NULL)
				errx(2, "-R %s: %s", optarg, errstr);
			break;
		case 'X':
			xopt[nx++] = optarg;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	dir = opt.checkpoint;
	vflag = opt.verbose;
	interval = opt.interval;
	argc -= optind;
	argv += optind;
	if (argc == 0)
		ds_usage_exit(synopsis, 0);
	/* Spark's maxRatePerPartition times the interval, at least one. */
	if (maxrate != 0 && (batchcap = maxrate * interval / 1000) == 0)
		batchcap = 1;

	/* topic, or topic:partition[,partition]... to assign by hand. */
	if (ds_kafka_operands(argc, argv, group != NULL, &topics, &wanted,
	    why, sizeof(why)) == -1)
		errx(errno == EINVAL ? 2 : 1, "%s", why);
	voice.brokers = brokers;
	if ((rk = ds_kafka_consumer_new(&voice, group, reset, xopt, nx,
	    on_rebalance, why, sizeof(why))) == NULL)
		errx(errno == EINVAL ? 2 : 1, "%s", why);
	free(xopt);

	if (fcntl(STDOUT_FILENO, F_GETFL) == -1)
		err(1, "stdout");
	if (ds_writer_init(&out, STDOUT_FILENO) == -1 ||
	    ds_recv_init(&rv, &out, interval) == -1)
		err(1, NULL);
	rv.closing = on_closing;
	rv.written = on_written;
	rv.flushidle = 1;
	if (ds_write_header(&out) == -1 || ds_writer_flush(&out) == -1)
		ds_source_write_failed_die(&out);
	if (dir != NULL)
		start_log();

	if (ds_kafka_wake_open(&wake, rk) == -1 ||
	    ds_recv_watch(&rv, wake.fd[0], POLLIN, 0, on_wake, NULL) == -1 ||
	    (timer = ds_recv_timer(&rv, on_assign_timer, &timer)) == -1 ||
	    (polltimer = ds_recv_timer(&rv, on_poll_timer, &polltimer)) == -1)
		err(1, NULL);
	ds_recv_timer_set(&rv, polltimer, 0);
	if (topics->cnt > 0 && rd_kafka_subscribe(rk, topics) != 0)
		errx(1, "subscribe failed");
	rd_kafka_topic_partition_list_destroy(topics);
	if (wanted->cnt > 0)
		ds_recv_timer_set(&rv, timer, 0);
	ds_recv_run_or_die(&rv);

	/* A signal: what the batches that went out hold is committed. */
	if (pending.n > 0)
		if ((e = ds_kafka_commit_last(rk, pending.p[pending.n - 1].l,
		    LAST_WAIT)) != 0)
			warnx("commit: %s", rd_kafka_err2str(e));
	ds_kafka_wake_close(&wake);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	rd_kafka_topic_partition_list_destroy(wanted);
	if (ds_writer_close(&out) == -1)
		ds_source_write_failed_die(&out);
	return 0;
}

/*
 * A group's partitions change: under the cooperative protocol l is what
 * is added or taken away, the rest staying ours through the rebalance;
 * under the eager one, every partition is taken away and then given
 * anew.  Those it gets start where this process has read them to (-c),
 * else at the group's commit; of those it loses, what went out is
 * committed first, so that their next owner starts after it (unless the
 * pipeline has yet to finish it, with -c).
 */
static void
on_rebalance(rd_kafka_t *k, rd_kafka_resp_err_t e,
    rd_kafka_topic_partition_list_t *l, void *opaque)
{
	rd_kafka_topic_partition_list_t *c;
	rd_kafka_error_t *ke;
	struct ds_buf b = { NULL, 0, 0 };
	int assign = e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;

	(void)opaque;
	if (vflag && l->cnt > 0) {
		if (ds_kafka_parts_format(&b, l) == -1)
			err(1, NULL);
		warnx("%s %.*s", assign ? "assigned" : "revoked", (int)b.len,
		    b.data);
		ds_buf_free(&b);
	}
	if (assign) {
		if (ds_kafka_parts_assign(&parts, l, dir == NULL) == -1)
			err(1, NULL);
	} else {
		ds_kafka_pending_drop(&pending, l);
		if ((c = ds_kafka_parts_revoke(&parts, l, dir == NULL)) ==
		    NULL)
			err(1, NULL);
		if (dir == NULL)
			commit(c, 0);
		rd_kafka_topic_partition_list_destroy(c);
	}
	if ((ke = ds_kafka_rebalanced(k, l, assign, group != NULL)) != NULL)
		errx(1, "rebalance: %s", rd_kafka_error_string(ke));
}

/* Without a group: assign once the cluster says what the topics hold. */
static int
on_assign_timer(void *arg)
{
	rd_kafka_topic_partition_list_t *l;
	char why[512];

	if (ds_kafka_expand(rk, wanted, ds_ms_until(rv.next, ds_now_ms()) / 2,
	    &l, why, sizeof(why)) == -1) {
		if (errno == ENOENT)
			errx(1, "%s", why);
		if (errno != EAGAIN)
			err(1, NULL);
		/* Down: empty batches meanwhile, and again at the next. */
		ds_recv_timer_set(&rv, *(int *)arg, rv.next);
		return 0;
	}
	on_rebalance(rk, RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS, l, NULL);
	rd_kafka_topic_partition_list_destroy(l);
	return 0;
}

/*
 * The queue's wakeup can be missed (a fetch moved into it whole, it
 * seems), so it is also looked at every POLL_EVERY.
 */
static int
on_poll_timer(void *arg)
{
	ds_recv_timer_set(&rv, *(int *)arg, ds_now_ms() + POLL_EVERY);
	return on_wake(NULL, 0);
}

/* What librdkafka has, batch ends in between as their time comes. */
static int
on_wake(void *arg, short revents)
{
	(void)arg;
	(void)revents;
	ds_kafka_wake_poll(&wake, rk, &rv, POLL_MAX, take);
	return 0;
}

/* A message, or an event librdkafka passes as one. */
static void
take(const rd_kafka_message_t *m)
{
	const char *topic = m->rkt != NULL ? rd_kafka_topic_name(m->rkt) : "";
	ssize_t i;
	int new;

	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
		return;
	if (m->err != 0) {
		if (ds_kafka_topic_gone(m->err))
			errx(1, "topic %s: %s", topic,
			    rd_kafka_message_errstr(m));
		warnx("topic %s: %s", topic, rd_kafka_message_errstr(m));
		return;
	}
	if ((new = ds_kafka_parts_take(&parts, m, &i)) == -1)
		err(1, NULL);
	if (!new)
		return;
	rv.filled = 1;
	if (ds_kafka_message_write(&out, m, mflag) == -1)
		ds_source_write_failed_die(&out);
	if (dir != NULL && ds_kafka_span(&spans, i, m->offset,
	    m->offset + 1) == -1)
		err(1, NULL);
	if (batchcap != 0 && parts.p[i].n >= batchcap &&
	    ds_kafka_pause(rk, &parts.p[i]) == -1)
		err(1, NULL);
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
	if (dir == NULL)
		return 0;
	if ((rc = ds_kafka_log_batch(&ranges, &parts, &spans, t)) == -1 ||
	    (rc == 1 && ds_kafka_log_trim(&ranges, ds_committed_or_die(),
	    &parts) == -1))
		ds_ranges_die(&ranges);
	return 0;
}

/*
 * The batch has gone out: the partitions that filled it start again where
 * they stopped, and offsets are committed, with -c those of the batches
 * the pipeline has finished ($DS_CHECKPOINT), else those written.
 */
static int
on_written(void *arg, int64_t t)
{
	rd_kafka_topic_partition_list_t *l;

	(void)arg;
	if (ds_kafka_parts_resume(rk, &parts) == -1)
		return -1;
	if (group == NULL)
		return 0;
	if (ds_kafka_pending_push(&pending, t, &parts) == -1)
		return -1;
	if ((l = ds_kafka_pending_done(&pending, dir != NULL ?
	    ds_committed_or_die() : t)) != NULL && !ds_kafka_rejoining())
		commit(l, 1);
	return 0;
}

static void
commit(rd_kafka_topic_partition_list_t *l, int async)
{
	rd_kafka_resp_err_t e;

	if (l == NULL)
		err(1, NULL);
	if (l->cnt > 0 && (e = rd_kafka_commit(rk, l, async)) != 0)
		warnx("commit: %s", rd_kafka_err2str(e));
}

/*
 * -c: the log keeps what the pipeline has done as positions only, then
 * the batches it has not, which go out again as they went the first time.
 */
static void
start_log(void)
{
	char why[512];

	if (ds_kafka_log_open(&ranges, dir, LOG_NAME, ds_committed_or_die(),
	    &parts) == -1)
		ds_ranges_die(&ranges);
	if (ds_kafka_replay(rk, &parts, &ranges, &out, mflag, why,
	    sizeof(why)) == -1) {
		if (errno == ENOENT)
			errx(1, "%s", why);
		if (errno == EIO)
			ds_source_write_failed_die(&out);
		err(1, NULL);
	}
	rv.filled = 0;
	if (ranges.last != -1 && rv.next <= ranges.last)
		rv.next = ds_batch_after(ranges.last, rv.interval);
}
