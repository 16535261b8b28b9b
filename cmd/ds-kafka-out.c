/*
 * ds-kafka-out: write each record of a stream to a Kafka topic as a
 * message, batch by batch, and pass the stream on: Spark's foreachRDD
 * with a KafkaProducer, which Kafka's own writers do the same way.
 */

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"
#include "kafka.h"

static const char synopsis[] = "ds-kafka-out [-b brokers] [-k field] "
    "[-f field] [-X property=value]... topic";

static rd_kafka_t	*rk;
static const char	*topic;
static const char	*brokers = "localhost:9092";
static struct ds_kafka_voice voice;
static size_t		 kfield = 1;	/* 0: no key */
static size_t		 vfield = 2;	/* 0: the whole record */

/* The open batch's messages not yet reported, and the first failure. */
static unsigned long long outstanding;
static rd_kafka_resp_err_t failure;
static int32_t		 failpart;
static int64_t		 failline;

static void	say(const char *);
static __dead void die(const char *);
static void	delivered(rd_kafka_t *, const rd_kafka_message_t *, void *);
static void	produce(struct ds_reader *);
static void	end_batch(struct ds_reader *, int64_t);
static size_t	field_opt(const char *, const char *);

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_writer out;
	rd_kafka_conf_t *conf;
	char why[512];
	char **xopt;
	size_t nx = 0, i;
	int ch, rc;

	if ((xopt = calloc(argc, sizeof(*xopt))) == NULL)
		err(1, NULL);
	while ((ch = getopt(argc, argv, "b:f:hk:X:")) != -1) {
		switch (ch) {
		case 'b':
			brokers = optarg;
			break;
		case 'f':
			vfield = field_opt("-f", optarg);
			break;
		case 'k':
			kfield = field_opt("-k", optarg);
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
	if (argc != 1 || argv[0][0] == '\0')
		ds_usage_exit(synopsis, 0);
	topic = argv[0];

	/*
	 * Java's partitioner (murmur2 of the key; no key, any partition),
	 * and no duplicate or reordering on a retry; -X may say otherwise.
	 */
	voice.brokers = brokers;
	voice.say = say;
	voice.fatal = die;
	if ((conf = ds_kafka_conf_new(&voice, why, sizeof(why))) == NULL ||
	    ds_kafka_conf_set(conf, "partitioner=murmur2_random", why,
	    sizeof(why)) == -1 ||
	    ds_kafka_conf_set(conf, "enable.idempotence=true", why,
	    sizeof(why)) == -1)
		errx(1, "%s", why);
	for (i = 0; i < nx; i++)
		if (ds_kafka_conf_set(conf, xopt[i], why, sizeof(why)) == -1)
			errx(2, "-X %s", why);
	free(xopt);
	rd_kafka_conf_set_dr_msg_cb(conf, delivered);
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why))) ==
	    NULL)
		errx(2, "%s", why);

	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&out, STDOUT_FILENO) == -1)
		err(1, NULL);
	r.flush = &out;
	if (ds_write_header(&out) == -1)
		ds_write_failed_die(&out);
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (rc == DS_RECORD) {
			produce(&r);
			if (ds_write_record(&out, r.field, r.nfield) == -1)
				ds_write_failed_die(&out);
			continue;
		}
		/* The batch goes on only once Kafka has all of it. */
		end_batch(&r, r.time);
		if (ds_write_batch(&out, r.time) == -1)
			ds_write_failed_die(&out);
		ds_writer_mark(&out);
	}
	end_batch(&r, -1);
	rd_kafka_destroy(rk);
	ds_reader_free(&r);
	ds_writer_close_or_die(&out);
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

/* Served by rd_kafka_poll and rd_kafka_flush, on this thread. */
static void
delivered(rd_kafka_t *k, const rd_kafka_message_t *m, void *opaque)
{
	(void)k;
	(void)opaque;
	outstanding--;
	if (m->err != 0 && failure == 0) {
		failure = m->err;
		failpart = m->partition;
		failline = (int64_t)(intptr_t)m->_private;
	}
}

static void
produce(struct ds_reader *r)
{
	const char *key = NULL, *val;
	size_t klen = 0, vlen;
	rd_kafka_resp_err_t e;

	if (kfield > r->nfield || vfield > r->nfield)
		ds_record_die(r, "no field %zu",
		    kfield > r->nfield ? kfield : vfield);
	if (kfield != 0) {
		key = r->field[kfield - 1].data;
		klen = r->field[kfield - 1].len;
	}
	if (vfield != 0) {
		val = r->field[vfield - 1].data;
		vlen = r->field[vfield - 1].len;
	} else {
		val = r->rec;
		vlen = r->reclen;
	}
	for (;;) {
		e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_KEY(key, klen),
		    RD_KAFKA_V_VALUE((void *)val, vlen),
		    RD_KAFKA_V_OPAQUE((void *)(intptr_t)r->lineno),
		    RD_KAFKA_V_END);
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		/* librdkafka's queue is full: wait for deliveries. */
		if (r->flush != NULL && ds_writer_flush(r->flush) == -1)
			ds_write_failed_die(r->flush);
		rd_kafka_poll(rk, 100);
	}
	if (e != 0)
		ds_record_die(r, "topic %s: %s", topic, rd_kafka_err2str(e));
	outstanding++;
	rd_kafka_poll(rk, 0);
}

/*
 * Wait for every delivery report of the batch (t), or of what is left at
 * the end (-1); librdkafka retries until message.timeout.ms.
 */
static void
end_batch(struct ds_reader *r, int64_t t)
{
	char why[512], where[32] = "";

	if (r->flush != NULL && ds_writer_flush(r->flush) == -1)
		ds_write_failed_die(r->flush);
	while (outstanding > 0 && failure == 0)
		rd_kafka_flush(rk, 1000);
	if (failure == 0)
		return;
	if (failure == RD_KAFKA_RESP_ERR__FATAL)
		rd_kafka_fatal_error(rk, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "%s", rd_kafka_err2str(failure));
	if (failpart != RD_KAFKA_PARTITION_UA)
		snprintf(where, sizeof(where), " partition %d:", (int)failpart);
	if (t != -1)
		errx(1, "topic %s: batch %lld: stdin:%lld:%s %s", topic,
		    (long long)t, (long long)failline, where, why);
	errx(1, "topic %s: stdin:%lld:%s %s", topic, (long long)failline,
	    where, why);
}

/* A field number, or 0. */
static size_t
field_opt(const char *opt, const char *s)
{
	if (strcmp(s, "0") == 0)
		return 0;
	return ds_field_arg_or_die(opt, s);
}
