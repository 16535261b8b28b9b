/*
 * ds-kafka: read Kafka topics into batches on the batch clock, Spark's
 * KafkaUtils.createDirectStream: a consumer group, or partitions assigned
 * by hand; with -c, each batch's offset ranges logged before it ends, and
 * replayed after a crash.
 */

/* pipe2(2) */
#define _GNU_SOURCE

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
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
static rd_kafka_queue_t	*queue;		/* the consumer's, to wake us */
static const char	*brokers = "localhost:9092";
static const char	*group;
static const char	*dir;		/* -c */
static int		 mflag, vflag;
static long long	 batchcap;	/* -R's messages a batch, 0: none */
static struct ds_kafka_voice voice;
static struct ds_writer	 out;
static struct ds_recv	 rv;

static struct ds_kafka_parts parts;
static struct ds_kafka_spans spans;	/* the open batch's, with -c */
static rd_kafka_topic_partition_list_t *wanted;	/* without a group */
static int		 assigned, wakepipe[2];
static atomic_int	 joining;	/* the group's join state is not
					   steady (librdkafka's threads) */

/* -c: the log, and the positions of batches the pipeline has not done. */
static struct ds_writer	 ranges;
static struct ds_kafka_pending pending;

static void	say(const char *);
static __dead void die(const char *);
static void	on_rebalance(rd_kafka_t *, rd_kafka_resp_err_t,
		    rd_kafka_topic_partition_list_t *, void *);
static int	on_wake(void *, short);
static int	on_assign_timer(void *);
static int	on_poll_timer(void *);
static int	on_closing(void *, int64_t);
static int	on_written(void *, int64_t);
static int	on_idle(void *);
static int	emit(const rd_kafka_message_t *);
static void	take(const rd_kafka_message_t *);
static void	start_log(void);
static void	replay_from(const struct ds_kafka_spans *, size_t);
static void	commit(rd_kafka_topic_partition_list_t *, int);
static void	commit_last(rd_kafka_topic_partition_list_t *);
static void	watch_joins(rd_kafka_conf_t *);
static void	on_debug(const char *, const char *);
static int64_t	pipeline_done(void);

int
main(int argc, char *argv[])
{
	rd_kafka_conf_t *conf;
	rd_kafka_topic_partition_list_t *topics;
	const char *reset = "latest", *errstr;
	char why[512], **xopt;
	struct ds_source_opts opt;
	int64_t interval;
	long long maxrate = 0;
	size_t nx = 0, i;
	int ch, timer, polltimer;

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
	if ((topics = rd_kafka_topic_partition_list_new(argc)) == NULL ||
	    (wanted = rd_kafka_topic_partition_list_new(argc)) == NULL)
		err(1, NULL);
	for (i = 0; i < (size_t)argc; i++)
		if (ds_kafka_operand(argv[i], group != NULL ? topics : wanted,
		    wanted, why, sizeof(why)) == -1)
			errx(2, "%s", why);
	if (topics->cnt > 0 && wanted->cnt > 0)
		errx(2, "a group either subscribes to topics or has "
		    "partitions assigned, not both");

	voice.brokers = brokers;
	voice.outage = "batches go on empty until they are back";
	voice.say = say;
	voice.fatal = die;
	voice.debug = on_debug;
	if ((conf = ds_kafka_conf_new(&voice, why, sizeof(why))) == NULL ||
	    ds_kafka_conf_set(conf, "enable.auto.commit=false", why,
	    sizeof(why)) == -1 ||
	    rd_kafka_conf_set(conf, "auto.offset.reset", reset, why,
	    sizeof(why)) != RD_KAFKA_CONF_OK ||
	    /* librdkafka's consumer queue needs one; only -g commits. */
	    rd_kafka_conf_set(conf, "group.id", group != NULL ? group :
	    "ds-kafka", why, sizeof(why)) != RD_KAFKA_CONF_OK ||
	    /* The others keep their partitions while one comes or goes. */
	    rd_kafka_conf_set(conf, "partition.assignment.strategy",
	    "cooperative-sticky", why, sizeof(why)) != RD_KAFKA_CONF_OK)
		errx(1, "%s", why);
	for (i = 0; i < nx; i++)
		if (ds_kafka_conf_set(conf, xopt[i], why, sizeof(why)) == -1)
			errx(2, "-X %s", why);
	free(xopt);
	if (group != NULL)
		watch_joins(conf);
	rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
	if ((rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why))) ==
	    NULL)
		errx(2, "%s", why);
	rd_kafka_poll_set_consumer(rk);

	if (fcntl(STDOUT_FILENO, F_GETFL) == -1)
		err(1, "stdout");
	if (ds_writer_init(&out, STDOUT_FILENO) == -1 ||
	    ds_recv_init(&rv, &out, interval) == -1 ||
	    pipe2(wakepipe, O_NONBLOCK | O_CLOEXEC) == -1)
		err(1, NULL);
	rv.closing = on_closing;
	rv.written = on_written;
	rv.idle = on_idle;
	if (ds_write_header(&out) == -1 || ds_writer_flush(&out) == -1)
		ds_source_write_failed_die(&out);
	if (dir != NULL)
		start_log();

	/* librdkafka writes a byte when its queue goes from empty to not. */
	queue = rd_kafka_queue_get_consumer(rk);
	rd_kafka_queue_io_event_enable(queue, wakepipe[1], "1", 1);
	if (ds_recv_watch(&rv, wakepipe[0], POLLIN, 0, on_wake, NULL) == -1 ||
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
		commit_last(pending.p[pending.n - 1].l);
	rd_kafka_queue_destroy(queue);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	rd_kafka_topic_partition_list_destroy(wanted);
	if (ds_writer_close(&out) == -1)
		ds_source_write_failed_die(&out);
	return 0;
}

static void
say(const char *line)
{
	warnx("%s", line);
}

static __dead void
die(const char *line)
{
	errx(1, "%s", line);
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
	rd_kafka_error_t *ke = NULL;
	struct ds_buf b = { NULL, 0, 0 };
	const char *proto;
	int coop;

	(void)opaque;
	proto = group != NULL ? rd_kafka_rebalance_protocol(k) : NULL;
	coop = proto != NULL && strcmp(proto, "COOPERATIVE") == 0;
	if (vflag && l->cnt > 0) {
		if (ds_kafka_parts_format(&b, l) == -1)
			err(1, NULL);
		warnx("%s %.*s", e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ?
		    "assigned" : "revoked", (int)b.len, b.data);
		ds_buf_free(&b);
	}
	if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		if (ds_kafka_parts_assign(&parts, l, dir == NULL) == -1)
			err(1, NULL);
		if (coop)
			ke = rd_kafka_incremental_assign(k, l);
		else
			rd_kafka_assign(k, l);
		/* -R may have paused it while it was ours before. */
		rd_kafka_resume_partitions(k, l);
	} else {
		ds_kafka_pending_drop(&pending, l);
		if ((c = ds_kafka_parts_revoke(&parts, l, dir == NULL)) ==
		    NULL)
			err(1, NULL);
		if (dir == NULL)
			commit(c, 0);
		rd_kafka_topic_partition_list_destroy(c);
		if (coop)
			ke = rd_kafka_incremental_unassign(k, l);
		else
			rd_kafka_assign(k, NULL);
	}
	if (ke != NULL)
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
	assigned = 1;
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

/*
 * What librdkafka has, batch ends in between as their time comes.  It
 * wakes us only when its queue was empty: if we stop before, we wake
 * ourselves.
 */
static int
on_wake(void *arg, short revents)
{
	rd_kafka_message_t *m;
	char drain[64];
	int n;

	(void)arg;
	(void)revents;
	while (read(wakepipe[0], drain, sizeof(drain)) > 0)
		;
	for (n = 0; n < POLL_MAX; n++) {
		if ((n & 255) == 255 && ds_recv_tick(&rv) != 0)
			break;
		if ((m = rd_kafka_consumer_poll(rk, 0)) == NULL)
			return 0;
		take(m);
		rd_kafka_message_destroy(m);
	}
	(void)write(wakepipe[1], "1", 1);
	return 0;
}

/* A message as a record.  0, or -1 after a write error (out says). */
static int
emit(const rd_kafka_message_t *m)
{
	const char *topic = rd_kafka_topic_name(m->rkt);
	char num[DS_NUM_MAX];
	int64_t ts;

	rv.filled = 1;
	if (mflag) {
		ts = rd_kafka_message_timestamp(m, NULL);
		ds_write_field(&out, m->key, m->key != NULL ? m->key_len : 0);
		ds_write_field(&out, m->payload, m->len);
		ds_write_field(&out, topic, strlen(topic));
		ds_write_field(&out, num, ds_int_format(m->partition, num));
		ds_write_field(&out, num, ds_int_format(m->offset, num));
		ds_write_field(&out, num, ts == -1 ? 0 :
		    ds_int_format(ts, num));
	} else
		ds_write_field(&out, m->payload, m->len);
	return ds_write_end(&out);
}

/* A message, or an event librdkafka passes as one. */
static void
take(const rd_kafka_message_t *m)
{
	const char *topic = m->rkt != NULL ? rd_kafka_topic_name(m->rkt) : "";
	rd_kafka_topic_partition_list_t *l;
	struct ds_kafka_part *p;
	ssize_t i;

	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
		return;
	if (m->err != 0) {
		if (ds_kafka_topic_gone(m->err))
			errx(1, "topic %s: %s", topic,
			    rd_kafka_message_errstr(m));
		warnx("topic %s: %s", topic, rd_kafka_message_errstr(m));
		return;
	}
	if ((i = ds_kafka_part(&parts, topic, m->partition)) == -1)
		err(1, NULL);
	p = &parts.p[i];
	/* Fetched before its batch filled (-R), or before a seek. */
	if (p->paused || (p->pos != -1 && m->offset < p->pos))
		return;
	if (emit(m) == -1)
		ds_source_write_failed_die(&out);
	if (dir != NULL && ds_kafka_span(&spans, i, m->offset,
	    m->offset + 1) == -1)
		err(1, NULL);
	p->pos = m->offset + 1;
	if (batchcap != 0 && ++p->n >= batchcap) {
		if ((l = rd_kafka_topic_partition_list_new(1)) == NULL)
			err(1, NULL);
		rd_kafka_topic_partition_list_add(l, topic, m->partition);
		rd_kafka_pause_partitions(rk, l);
		rd_kafka_topic_partition_list_destroy(l);
		p->paused = 1;
	}
}

/* -c: the batch's ranges are in the log, synced, before its end leaves. */
static int
on_closing(void *arg, int64_t t)
{
	(void)arg;
	if (dir == NULL)
		return 0;
	if (ds_kafka_span(&spans, -1, t, t) == -1)
		return -1;
	if (ds_kafka_log_write(&ranges, &parts, &spans, 0) == -1 ||
	    ds_writer_flush(&ranges) == -1 || fsync(ranges.fd) == -1)
		err(1, "%s/%s", dir, LOG_NAME);
	spans.n = 0;
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
	rd_kafka_error_t *e;
	size_t i;

	(void)arg;
	if ((l = ds_kafka_parts_list(&parts, 1)) == NULL)
		return -1;
	if (l->cnt > 0) {
		rd_kafka_resume_partitions(rk, l);
		if ((e = rd_kafka_seek_partitions(rk, l, -1)) != NULL)
			rd_kafka_error_destroy(e);
	}
	rd_kafka_topic_partition_list_destroy(l);
	for (i = 0; i < parts.n; i++)
		parts.p[i].paused = parts.p[i].n = 0;
	if (group == NULL)
		return 0;
	if (ds_kafka_pending_push(&pending, t, &parts) == -1)
		return -1;
	if ((l = ds_kafka_pending_done(&pending, dir != NULL ?
	    pipeline_done() : t)) != NULL && !atomic_load(&joining))
		commit(l, 1);
	return 0;
}

/*
 * What was read goes out before a wait: a long batch's records need not
 * wait for its end, and a kill mid-batch loses only what is in a pipe.
 */
static int
on_idle(void *arg)
{
	(void)arg;
	return ds_writer_flush(&out);
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
 * The commit of a member that stops: refused while the group rebalances
 * (another member coming or going), it is made again once the rebalance
 * is over, so that the partitions' next owners start after what went
 * out.  Messages fetched meanwhile are dropped: they were not written.
 */
static void
commit_last(rd_kafka_topic_partition_list_t *l)
{
	rd_kafka_message_t *m;
	rd_kafka_resp_err_t e;
	int64_t deadline = ds_now_ms() + LAST_WAIT;

	while ((e = rd_kafka_commit(rk, l, 0)) ==
	    RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS &&
	    ds_now_ms() < deadline) {
		do
			if ((m = rd_kafka_consumer_poll(rk, 100)) != NULL)
				rd_kafka_message_destroy(m);
		while (atomic_load(&joining) && ds_now_ms() < deadline);
	}
	if (e != 0 && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
		warnx("commit: %s", rd_kafka_err2str(e));
}

/*
 * librdkafka 2.0 takes a commit that was sent while the member rejoins
 * the group, and that the broker refuses for its old generation, as the
 * loss of all of the member's partitions, which their next owners then
 * read again from the last commit (librdkafka's issue 4059, mended in
 * 2.10).  It says nothing of its join state but in its debug lines: batch
 * ends commit only while it is steady, and the next commit carries what
 * was skipped, since each holds every partition.
 */
static void
watch_joins(rd_kafka_conf_t *conf)
{
	char have[512], want[520], why[512];
	size_t n = sizeof(have);

	if (rd_kafka_conf_get(conf, "debug", have, &n) != RD_KAFKA_CONF_OK)
		have[0] = '\0';
	if (strstr(have, "cgrp") != NULL || strstr(have, "all") != NULL)
		return;
	snprintf(want, sizeof(want), "%s%scgrp", have, have[0] != '\0' ?
	    "," : "");
	if (rd_kafka_conf_set(conf, "debug", want, why, sizeof(why)) !=
	    RD_KAFKA_CONF_OK)
		errx(1, "%s", why);
}

/* "Group "g" changed join state wait-join -> wait-metadata (state up)" */
static void
on_debug(const char *fac, const char *line)
{
	const char *to;

	if (strcmp(fac, "CGRPJOINSTATE") != 0 ||
	    (to = strstr(line, " -> ")) == NULL)
		return;
	to += 4;
	atomic_store(&joining, strncmp(to, "steady", 6) != 0 ||
	    (to[6] != ' ' && to[6] != '\0'));
}

/*
 * The oldest batch the stages of $DS_CHECKPOINT have committed (-1:
 * none); without it, the batch just written: what went out was taken.
 */
static int64_t
pipeline_done(void)
{
	struct ds_ckpt c;
	const char *pdir;
	int64_t t;

	if ((pdir = ds_pipeline_dir()) == NULL)
		return INT64_MAX;
	switch (ds_commit_oldest(pdir, NULL, &t, &c)) {
	case -1:
		if (errno == EBADMSG)
			errx(1, "%s/%s: %s", pdir, c.name, c.why);
		err(1, "%s", pdir);
	case DS_CKPT_PREVIOUS:
		warnx("%s/%s: %s; the previous one is used", pdir, c.name,
		    c.why);
		break;
	}
	return t;
}

/*
 * -c: the log keeps what the pipeline has done as positions only, then
 * the batches it has not, which go out again as they went the first time.
 */
static void
start_log(void)
{
	struct ds_kafka_spans all = { NULL, 0, 0 };
	char why[1024];
	int64_t last;
	size_t from;

	if (ds_kafka_log_open(dir, LOG_NAME, pipeline_done(), &parts, &all,
	    &from, &last, &ranges, why, sizeof(why)) == -1) {
		if (errno == EBADMSG)
			errx(1, "%s", why);
		err(1, "%s", why);
	}
	replay_from(&all, from);
	if (last != -1 && rv.next <= last)
		rv.next = ds_batch_after(last, rv.interval);
	free(all.s);
}

/*
 * Write the batches of spans from from on as they went out, each span's
 * messages fetched again.
 */
static void
replay_from(const struct ds_kafka_spans *v, size_t from)
{
	const struct ds_kafka_span *s;
	char why[512];

	for (; from < v->n; from++) {
		s = &v->s[from];
		if (s->part == -1) {
			if (ds_write_batch(&out, s->from) == -1 ||
			    ds_writer_flush(&out) == -1)
				ds_source_write_failed_die(&out);
		} else if (ds_kafka_fetch(rk, parts.p[s->part].topic,
		    parts.p[s->part].partition, s->from, s->until, emit, why,
		    sizeof(why)) == -1) {
			if (errno == ENOENT)
				errx(1, "%s", why);
			ds_source_write_failed_die(&out);
		}
	}
	rv.filled = 0;
}
