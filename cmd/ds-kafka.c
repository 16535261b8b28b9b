/*
 * ds-kafka: read Kafka topics into batches on the batch clock, Spark's
 * KafkaUtils.createDirectStream: a consumer group, or partitions assigned
 * by hand, offsets committed once their batch is out.
 */

/* ppoll(2): poll's milliseconds would let a batch leave up to one late. */
#define _GNU_SOURCE

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ds.h"
#include "kafka.h"

static const char synopsis[] = "ds-kafka [-mv] [-b brokers] "
    "[-g group] [-i interval] [-o earliest|latest] [-R max-rate] "
    "[-X property=value]... topic ...";

/* A partition being read: where its emitted records end, its batch. */
struct part {
	char		*topic;
	int32_t		 partition;
	int64_t		 next;		/* offset after the last emitted, or -1 */
	int64_t		 first;		/* the batch's first offset, or -1 */
	long long	 n;		/* records in the open batch */
	int		 paused;	/* -R: its batch is full */
};

static rd_kafka_t	*rk;
static const char	*brokers = "localhost:9092";
static const char	*group;
static int		 mflag;
static int		 vflag;		/* say what a group assigns */
static int64_t		 interval = 1000;
static long long	 batchcap;	/* -R's records a batch, 0: none */
static struct ds_kafka_link kafka;
static struct ds_writer	 out;
static int64_t		 next;		/* the open batch's time */

static struct part	*part;
static size_t		 npart, partcap;
static rd_kafka_topic_partition_list_t *wanted;	/* topics and partitions */
static int		 assigned;	/* without -g: wanted is assigned */
static int64_t		 retried;	/* the batch of the last try */

static volatile sig_atomic_t gotsig;
static int		 selfpipe[2], wakepipe[2];

static void	say(const char *);
static void	on_signal(int);
static void	on_error(rd_kafka_t *, int, const char *, void *);
static void	went_down(void);
static int	on_stats(rd_kafka_t *, char *, size_t, void *);
static void	on_rebalance(rd_kafka_t *, rd_kafka_resp_err_t,
		    rd_kafka_topic_partition_list_t *, void *);
static void	say_parts(const char *,
		    const rd_kafka_topic_partition_list_t *);
static struct part *part_of(const char *, int32_t);
static void	take(const rd_kafka_message_t *);
static void	assign_all(int);
static void	close_batch(int);
static void	until(int64_t, struct timespec *);
static void	commit(int);
static __dead void finish(void);
static void	out_failed(void);
static void	pipe_nonblock(int *);

int
main(int argc, char *argv[])
{
	rd_kafka_conf_t *conf;
	rd_kafka_topic_partition_list_t *topics;
	struct sigaction sa;
	const char *reset = "latest", *errstr;
	char why[512], *colon, *p, **xopt;
	size_t nx = 0, i;
	long long maxrate = 0;
	long n;
	int ch;

	signal(SIGPIPE, SIG_IGN);
	if ((xopt = calloc(argc, sizeof(*xopt))) == NULL)
		err(1, NULL);
	while ((ch = getopt(argc, argv, "b:g:hi:mo:R:vX:")) != -1) {
		switch (ch) {
		case 'b':
			brokers = optarg;
			break;
		case 'g':
			group = optarg;
			break;
		case 'i':
			interval = ds_duration_arg_or_die("-i", optarg);
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
		case 'v':
			vflag = 1;
			break;
		case 'X':
			xopt[nx++] = optarg;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
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
	for (i = 0; i < (size_t)argc; i++) {
		if ((colon = strrchr(argv[i], ':')) == NULL) {
			if (argv[i][0] == '\0')
				errx(2, "an empty topic name");
			rd_kafka_topic_partition_list_add(topics, argv[i],
			    RD_KAFKA_PARTITION_UA);
			continue;
		}
		*colon++ = '\0';
		while ((p = strsep(&colon, ",")) != NULL) {
			n = strtonum(p, 0, INT32_MAX, &errstr);
			if (errstr != NULL)
				errx(2, "%s: partition %s: %s", argv[i], p,
				    errstr);
			rd_kafka_topic_partition_list_add(wanted, argv[i],
			    n)->offset = RD_KAFKA_OFFSET_INVALID;
		}
	}
	if (group != NULL && wanted->cnt > 0 && topics->cnt > 0)
		errx(2, "a group either subscribes to topics or has "
		    "partitions assigned, not both");

	if ((conf = ds_kafka_conf_new(brokers, say, why, sizeof(why))) ==
	    NULL ||
	    ds_kafka_conf_set(conf, "enable.auto.commit=false", why,
	    sizeof(why)) == -1 ||
	    ds_kafka_conf_set(conf, "enable.auto.offset.store=false", why,
	    sizeof(why)) == -1 ||
	    rd_kafka_conf_set(conf, "auto.offset.reset", reset, why,
	    sizeof(why)) != RD_KAFKA_CONF_OK ||
	    /* librdkafka's consumer queue needs one; only -g commits. */
	    rd_kafka_conf_set(conf, "group.id", group != NULL ? group :
	    "ds-kafka", why, sizeof(why)) != RD_KAFKA_CONF_OK)
		errx(1, "%s", why);
	for (i = 0; i < nx; i++)
		if (ds_kafka_conf_set(conf, xopt[i], why, sizeof(why)) == -1)
			errx(2, "-X %s", why);
	free(xopt);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_stats_cb(conf, on_stats);
	if (group != NULL)
		rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
	if ((rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why))) ==
	    NULL)
		errx(2, "%s", why);
	rd_kafka_poll_set_consumer(rk);

	if (fcntl(STDOUT_FILENO, F_GETFL) == -1)
		err(1, "stdout");
	pipe_nonblock(selfpipe);
	pipe_nonblock(wakepipe);
	/* librdkafka writes a byte when its queue goes from empty to not. */
	rd_kafka_queue_io_event_enable(rd_kafka_queue_get_consumer(rk),
	    wakepipe[1], "1", 1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;	/* a second one kills */
	if (sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1)
		err(1, "sigaction");

	if (group != NULL && topics->cnt > 0) {
		if (rd_kafka_subscribe(rk, topics) != 0)
			errx(1, "subscribe failed");
		rd_kafka_topic_partition_list_destroy(topics);
		topics = NULL;
	} else {
		/* Bare topics: each of their partitions, once known. */
		for (i = 0; i < (size_t)topics->cnt; i++)
			rd_kafka_topic_partition_list_add(wanted,
			    topics->elems[i].topic, RD_KAFKA_PARTITION_UA);
		rd_kafka_topic_partition_list_destroy(topics);
	}

	if (ds_writer_init(&out, STDOUT_FILENO) == -1)
		err(1, NULL);
	if (ds_write_header(&out) == -1 || ds_writer_flush(&out) == -1)
		out_failed();
	next = ds_batch_after(ds_now_ms(), interval);
	for (;;) {
		struct pollfd pfd[3];
		struct timespec ts;
		rd_kafka_message_t *m;
		char drain[64];
		int k;

		if (gotsig)
			finish();
		if (ds_now_ms() >= next) {
			close_batch(0);
			continue;
		}
		/* Once a batch, while the brokers are away. */
		if (group == NULL && !assigned && retried != next) {
			retried = next;
			assign_all(ds_ms_until(next, ds_now_ms()) / 2);
		}
		/* What librdkafka has, up to the batch's time. */
		for (k = 0; (m = rd_kafka_consumer_poll(rk, 0)) != NULL; k++) {
			take(m);
			rd_kafka_message_destroy(m);
			if ((k & 255) == 255 && (ds_now_ms() >= next ||
			    gotsig))
				break;
		}
		if (m != NULL)
			continue;
		if (ds_writer_flush(&out) == -1)
			out_failed();
		pfd[0].fd = selfpipe[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = wakepipe[0];
		pfd[1].events = POLLIN;
		pfd[2].fd = STDOUT_FILENO;	/* POLLERR: its reader left */
		pfd[2].events = 0;
		until(next, &ts);
		if (ppoll(pfd, 3, &ts, NULL) == -1 && errno != EINTR)
			err(1, "poll");
		if (pfd[2].revents & (POLLERR | POLLHUP))
			exit(0);
		while (read(wakepipe[0], drain, sizeof(drain)) > 0)
			;
	}
}

static void
say(const char *line)
{
	warnx("%s", line);
}

static void
on_signal(int signo)
{
	int saved = errno;
	ssize_t n;

	gotsig = signo;
	n = write(selfpipe[1], "", 1);
	(void)n;
	errno = saved;
}

/* Connection errors make one outage report; librdkafka reconnects. */
static void
on_error(rd_kafka_t *k, int e, const char *reason, void *opaque)
{
	char why[512];

	(void)opaque;
	if (e == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(k, why, sizeof(why));
		errx(1, "%s: %s", brokers, why);
	}
	if (ds_kafka_link_error(&kafka, e, reason))
		went_down();
	else if (e != RD_KAFKA_RESP_ERR__TRANSPORT &&
	    e != RD_KAFKA_RESP_ERR__RESOLVE &&
	    e != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		warnx("%s: %s", brokers, reason);
}

static void
went_down(void)
{
	warnx("%s: %s; batches go on empty until they are back", brokers,
	    kafka.why);
}

static int
on_stats(rd_kafka_t *k, char *json, size_t len, void *opaque)
{
	(void)k;
	(void)opaque;
	switch (ds_kafka_link_stats(&kafka, json, len)) {
	case 1:
		warnx("%s: connected", brokers);
		break;
	case -1:
		went_down();
		break;
	}
	return 0;
}

/*
 * A group's partitions change: what was emitted of those it loses is
 * committed first, so that their next owner starts after it.
 */
static void
on_rebalance(rd_kafka_t *k, rd_kafka_resp_err_t e,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	(void)opaque;
	if (vflag)
		say_parts(e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ?
		    "assigned" : "revoked", parts);
	if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		rd_kafka_assign(k, parts);
		return;
	}
	commit(0);
	npart = 0;
	rd_kafka_assign(k, NULL);
}

/* -v: "assigned t6:0,1 t1:0", the partitions of each topic in a row. */
static void
say_parts(const char *what, const rd_kafka_topic_partition_list_t *l)
{
	struct ds_buf b = { NULL, 0, 0 };
	char num[DS_NUM_MAX];
	const char *t;
	int i;

	for (i = 0; i < l->cnt; i++) {
		t = l->elems[i].topic;
		if (i == 0 || strcmp(t, l->elems[i - 1].topic) != 0) {
			if (ds_buf_append(&b, " ", 1) == -1 ||
			    ds_buf_append(&b, t, strlen(t)) == -1 ||
			    ds_buf_append(&b, ":", 1) == -1)
				err(1, NULL);
		} else if (ds_buf_append(&b, ",", 1) == -1)
			err(1, NULL);
		if (ds_buf_append(&b, num, ds_int_format(
		    l->elems[i].partition, num)) == -1)
			err(1, NULL);
	}
	warnx("%s%.*s", what, (int)b.len, b.data != NULL ? b.data : "");
	ds_buf_free(&b);
}

static struct part *
part_of(const char *topic, int32_t partition)
{
	static size_t last;
	struct part *p;
	size_t i;

	if (last < npart && part[last].partition == partition &&
	    strcmp(part[last].topic, topic) == 0)
		return &part[last];
	for (i = 0; i < npart; i++)
		if (part[i].partition == partition &&
		    strcmp(part[i].topic, topic) == 0)
			return &part[last = i];
	if (npart == partcap) {
		if ((p = reallocarray(part, partcap + 16, sizeof(*p))) == NULL)
			err(1, NULL);
		part = p;
		partcap += 16;
	}
	p = &part[last = npart++];
	if ((p->topic = strdup(topic)) == NULL)
		err(1, NULL);
	p->partition = partition;
	p->next = p->first = -1;
	p->n = 0;
	p->paused = 0;
	return p;
}

/* A message, or an event librdkafka passes as one. */
static void
take(const rd_kafka_message_t *m)
{
	const char *topic = m->rkt != NULL ? rd_kafka_topic_name(m->rkt) : "";
	rd_kafka_topic_partition_list_t *l;
	struct part *p;
	char num[DS_NUM_MAX];
	int64_t ts;

	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
		return;
	if (m->err != 0) {
		if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
		    m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
		    m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
		    m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
		    m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED)
			errx(1, "topic %s: %s", topic, rd_kafka_message_errstr(m));
		warnx("topic %s: %s", topic, rd_kafka_message_errstr(m));
		return;
	}
	p = part_of(topic, m->partition);
	/* Fetched before its batch filled (-R): it is read again later. */
	if (p->paused)
		return;
	if (mflag) {
		ds_write_field(&out, m->key, m->key != NULL ? m->key_len : 0);
		ds_write_field(&out, m->payload, m->len);
		ds_write_field(&out, topic, strlen(topic));
		ds_write_field(&out, num, ds_int_format(m->partition, num));
		ds_write_field(&out, num, ds_int_format(m->offset, num));
		ts = rd_kafka_message_timestamp(m, NULL);
		ds_write_field(&out, num, ts == -1 ? 0 :
		    ds_int_format(ts, num));
	} else
		ds_write_field(&out, m->payload, m->len);
	if (ds_write_end(&out) == -1)
		out_failed();
	if (p->first == -1)
		p->first = m->offset;
	p->next = m->offset + 1;
	if (batchcap != 0 && ++p->n >= batchcap) {
		if ((l = rd_kafka_topic_partition_list_new(1)) == NULL)
			err(1, NULL);
		rd_kafka_topic_partition_list_add(l, topic, m->partition);
		rd_kafka_pause_partitions(rk, l);
		rd_kafka_topic_partition_list_destroy(l);
		p->paused = 1;
	}
}

/*
 * Without a group: the partitions of the bare topics, from the cluster's
 * metadata (waiting at most ms), and those named, all assigned at once.
 */
static void
assign_all(int ms)
{
	const struct rd_kafka_metadata *md;
	const struct rd_kafka_metadata_topic *mt;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;
	int i, j, k;

	if ((l = rd_kafka_topic_partition_list_new(wanted->cnt)) == NULL)
		err(1, NULL);
	for (i = 0; i < wanted->cnt; i++) {
		if (wanted->elems[i].partition != RD_KAFKA_PARTITION_UA) {
			rd_kafka_topic_partition_list_add(l,
			    wanted->elems[i].topic,
			    wanted->elems[i].partition)->offset =
			    group != NULL ? RD_KAFKA_OFFSET_STORED :
			    RD_KAFKA_OFFSET_INVALID;
			continue;
		}
		e = rd_kafka_metadata(rk, 1, NULL, &md, ms > 0 ? ms : 1);
		if (e != 0) {
			rd_kafka_topic_partition_list_destroy(l);
			return;		/* down: empty batches meanwhile */
		}
		for (j = 0, mt = NULL; j < md->topic_cnt; j++)
			if (strcmp(md->topics[j].topic,
			    wanted->elems[i].topic) == 0)
				mt = &md->topics[j];
		if (mt == NULL || mt->err != 0)
			errx(1, "topic %s: %s", wanted->elems[i].topic,
			    rd_kafka_err2str(mt == NULL ?
			    RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART : mt->err));
		for (k = 0; k < mt->partition_cnt; k++)
			rd_kafka_topic_partition_list_add(l, mt->topic,
			    mt->partitions[k].id)->offset =
			    RD_KAFKA_OFFSET_INVALID;
		rd_kafka_metadata_destroy(md);
	}
	if ((e = rd_kafka_assign(rk, l)) != 0)
		errx(1, "assign: %s", rd_kafka_err2str(e));
	rd_kafka_topic_partition_list_destroy(l);
	assigned = 1;
}

/*
 * The batch leaves, then its offsets are committed; the partitions that
 * filled their batch start again from where they stopped.
 */
static void
close_batch(int last)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_error_t *e;
	size_t i;

	if (ds_write_batch(&out, next) == -1 || ds_writer_flush(&out) == -1)
		out_failed();
	next += interval;
	commit(!last);
	if (last)
		return;
	if ((l = rd_kafka_topic_partition_list_new(npart)) == NULL)
		err(1, NULL);
	for (i = 0; i < npart; i++) {
		if (part[i].paused)
			rd_kafka_topic_partition_list_add(l, part[i].topic,
			    part[i].partition)->offset = part[i].next;
		part[i].paused = 0;
		part[i].n = 0;
		part[i].first = -1;
	}
	if (l->cnt > 0) {
		rd_kafka_resume_partitions(rk, l);
		if ((e = rd_kafka_seek_partitions(rk, l, 0)) != NULL)
			rd_kafka_error_destroy(e);
	}
	rd_kafka_topic_partition_list_destroy(l);
}

/* Commit the offsets after what was emitted, of a group only. */
static void
commit(int async)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;
	size_t i;

	if (group == NULL)
		return;
	if ((l = rd_kafka_topic_partition_list_new(npart)) == NULL)
		err(1, NULL);
	for (i = 0; i < npart; i++)
		if (part[i].next != -1)
			rd_kafka_topic_partition_list_add(l, part[i].topic,
			    part[i].partition)->offset = part[i].next;
	if (l->cnt > 0 && (e = rd_kafka_commit(rk, l, async)) != 0)
		warnx("commit: %s", rd_kafka_err2str(e));
	rd_kafka_topic_partition_list_destroy(l);
}

/* A signal: the open batch leaves with what was emitted, and is committed. */
static __dead void
finish(void)
{
	close_batch(1);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	if (ds_writer_close(&out) == -1)
		out_failed();
	exit(0);
}

/* A downstream that has gone ends us quietly, with nothing committed. */
static void
out_failed(void)
{
	if (out.error == EPIPE)
		_exit(0);
	ds_write_failed_die(&out);
}

/* The time from now to t, to the nanosecond, or zero when t has passed. */
static void
until(int64_t t, struct timespec *ts)
{
	struct timespec now;
	int64_t ns;

	clock_gettime(CLOCK_REALTIME, &now);
	ns = t * 1000000 - ((int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
	if (ns < 0)
		ns = 0;
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
}

static void
pipe_nonblock(int *fds)
{
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == -1)
		err(1, "pipe");
}
