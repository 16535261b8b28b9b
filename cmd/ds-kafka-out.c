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
static rd_kafka_topic_t	*rkt;
static const char	*topic;
static const char	*brokers = "localhost:9092";
static struct ds_kafka_voice voice;
static size_t		 kfield = 1;	/* 0: no key */
static size_t		 vfield = 2;	/* 0: the whole record */
static int		 txn;		/* transactional.id is set */
static int		 intxn;		/* a transaction is open */
static int		 timeout = 300000; /* message.timeout.ms */

/* The open batch's messages not yet reported, and the first failure. */
static unsigned long long outstanding;
static rd_kafka_resp_err_t failure;
static int32_t		 failpart;
static int64_t		 failline;

/*
 * Under $DS_CHECKPOINT: what is known of the messages in the topic, the
 * batch time committed, and the open batch's records, sent at its end
 * once its time is known.
 */
static const char	*pipedir;
static struct ds_kafka_sent sent;
static int64_t		 committed = -1;
static struct ds_buf	 batch;

static void	say(const char *);
static __dead void die(const char *);
static void	delivered(rd_kafka_t *, const rd_kafka_message_t *, void *);
static void	record(struct ds_reader *);
static void	produce(struct ds_reader *, const struct ds_kafka_msg *,
		    int64_t, uint64_t);
static size_t	send_batch(struct ds_reader *, int64_t);
static void	end_batch(struct ds_reader *, int64_t);
static void	txn_die(rd_kafka_error_t *, int64_t);
static void	start_sink(char **, size_t);
static void	commit_batch(int64_t, size_t);
static size_t	field_opt(const char *, const char *);

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_writer out;
	rd_kafka_conf_t *conf;
	rd_kafka_error_t *e;
	char why[512];
	char **xopt;
	size_t nx = 0, i, n;
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
	n = sizeof(why);
	txn = rd_kafka_conf_get(conf, "transactional.id", why, &n) ==
	    RD_KAFKA_CONF_OK && why[0] != '\0';
	/* The read-back waits for the brokers as long as a delivery. */
	n = sizeof(why);
	if (rd_kafka_conf_get(conf, "message.timeout.ms", why, &n) ==
	    RD_KAFKA_CONF_OK && strtonum(why, 1, INT_MAX, NULL) > 0)
		timeout = strtonum(why, 1, INT_MAX, NULL);
	rd_kafka_conf_set_dr_msg_cb(conf, delivered);
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why))) ==
	    NULL)
		errx(2, "%s", why);
	/*
	 * Known before the first metadata request, the topic is in it: a
	 * topic first named later waits for librdkafka's next scan, a second.
	 */
	if ((rkt = rd_kafka_topic_new(rk, topic, NULL)) == NULL)
		err(1, "topic %s", topic);
	/* A producer of the same id before us is fenced, its batch aborted. */
	if (txn && (e = rd_kafka_init_transactions(rk, timeout)) != NULL)
		txn_die(e, -1);
	if ((pipedir = ds_pipeline_dir()) != NULL)
		start_sink(xopt, nx);
	free(xopt);

	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&out, STDOUT_FILENO) == -1)
		err(1, NULL);
	r.flush = &out;
	if (ds_write_header(&out) == -1)
		ds_write_failed_die(&out);
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (rc == DS_RECORD) {
			record(&r);
			if (ds_write_record(&out, r.field, r.nfield) == -1)
				ds_write_failed_die(&out);
			continue;
		}
		/* The batch goes on only once Kafka has all of it. */
		n = send_batch(&r, r.time);
		end_batch(&r, r.time);
		if (pipedir != NULL)
			commit_batch(r.time, n);
		if (ds_write_batch(&out, r.time) == -1)
			ds_write_failed_die(&out);
		ds_writer_mark(&out);
	}
	/* A torn batch was held, never sent: the replay has it whole. */
	if (r.torn)
		warnx("stdin: the stream ends inside a batch: not sent, "
		    "left to the replay");
	end_batch(&r, -1);
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
	ds_reader_free(&r);
	ds_buf_free(&batch);
	ds_kafka_sent_free(&sent);
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
	if (m->err == 0 && pipedir != NULL &&
	    ds_kafka_sent_delivered(&sent, m->partition, m->offset) == -1)
		err(1, NULL);
}

/* Send the record read, or hold it for its batch end. */
static void
record(struct ds_reader *r)
{
	struct ds_kafka_msg m = { r->lineno, NULL, 0, r->rec, r->reclen };

	if (kfield > r->nfield || vfield > r->nfield)
		ds_record_die(r, "no field %zu",
		    kfield > r->nfield ? kfield : vfield);
	if (kfield != 0) {
		m.key = r->field[kfield - 1].data;
		m.klen = r->field[kfield - 1].len;
	}
	if (vfield != 0) {
		m.val = r->field[vfield - 1].data;
		m.vlen = r->field[vfield - 1].len;
	}
	if (pipedir == NULL)
		produce(r, &m, -1, 0);
	else if (ds_kafka_hold(&batch, &m) == -1)
		err(1, NULL);
}

/*
 * Send message m; with t not -1, as message index of batch t, with the
 * headers that say so.
 */
static void
produce(struct ds_reader *r, const struct ds_kafka_msg *m, int64_t t,
    uint64_t index)
{
	rd_kafka_headers_t *h = NULL;
	rd_kafka_resp_err_t e;
	rd_kafka_error_t *te;

	if (txn && !intxn) {
		if ((te = rd_kafka_begin_transaction(rk)) != NULL)
			txn_die(te, t);
		intxn = 1;
	}
	if (t != -1 && (h = ds_kafka_sent_headers(&sent, t, index)) == NULL)
		err(1, NULL);
	for (;;) {
		/* The message owns the headers once it is queued. */
		e = rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_KEY(m->key, m->klen),
		    RD_KAFKA_V_VALUE((void *)m->val, m->vlen),
		    RD_KAFKA_V_OPAQUE((void *)(intptr_t)m->lineno),
		    RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		/* librdkafka's queue is full: wait for deliveries. */
		if (r->flush != NULL && ds_writer_flush(r->flush) == -1)
			ds_write_failed_die(r->flush);
		rd_kafka_poll(rk, 100);
	}
	if (e != 0) {
		if (h != NULL)
			rd_kafka_headers_destroy(h);
		r->lineno = m->lineno;
		ds_record_die(r, "topic %s: %s", topic, rd_kafka_err2str(e));
	}
	outstanding++;
	rd_kafka_poll(rk, 0);
}

/*
 * Send the kept records of batch t, but those already in the topic: the
 * whole batch when it is committed, those the read-back found of a batch
 * sent in part.  Returns how many were sent.
 */
static size_t
send_batch(struct ds_reader *r, int64_t t)
{
	struct ds_kafka_msg m;
	size_t at = 0, n = 0;
	uint64_t i;

	for (i = 0; t > committed && ds_kafka_held(&batch, &at, &m); i++)
		if (!ds_kafka_sent_seen(&sent, t, i)) {
			produce(r, &m, t, i);
			n++;
		}
	batch.len = 0;
	return n;
}

/*
 * Wait for every delivery report of the batch (t), or of what is left at
 * the end (-1), librdkafka retrying until message.timeout.ms, and commit
 * its transaction.
 */
static void
end_batch(struct ds_reader *r, int64_t t)
{
	char why[512], where[32] = "";
	rd_kafka_error_t *e;

	if (r->flush != NULL && ds_writer_flush(r->flush) == -1)
		ds_write_failed_die(r->flush);
	while (outstanding > 0 && failure == 0)
		rd_kafka_flush(rk, 1000);
	if (failure == 0) {
		if (intxn && (e = rd_kafka_commit_transaction(rk, -1)) != NULL)
			txn_die(e, t);
		intxn = 0;
		return;
	}
	if (intxn)
		rd_kafka_error_destroy(rd_kafka_abort_transaction(rk, 5000));
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

/* A transaction failed (batch t, or -1 at the start): abort it, exit 1. */
static void
txn_die(rd_kafka_error_t *e, int64_t t)
{
	char why[512];

	snprintf(why, sizeof(why), "%s", rd_kafka_error_string(e));
	if (rd_kafka_error_txn_requires_abort(e))
		rd_kafka_error_destroy(rd_kafka_abort_transaction(rk, 5000));
	rd_kafka_error_destroy(e);
	if (t != -1)
		errx(1, "topic %s: batch %lld: %s", topic, (long long)t, why);
	errx(1, "topic %s: %s", topic, why);
}

/*
 * Take part in the exactly-once protocol of ds(7): learn what was
 * committed, and read back from the topic what was sent after it, with a
 * consumer of the same -X options.
 */
static void
start_sink(char **xopt, size_t nx)
{
	rd_kafka_t *c;
	struct ds_ckpt ck;
	char why[512];
	int rc;

	if (ds_commit_load(pipedir, "ds-kafka-out", &committed, &ck) == -1) {
		if (errno == EBADMSG)
			errx(1, "%s/%s: %s", pipedir, ck.name, ck.why);
		err(1, "%s/%s", pipedir, ck.name);
	}
	if (ck.status == DS_CKPT_PREVIOUS)
		warnx("%s/%s: %s; using its previous", pipedir, ck.name, ck.why);
	if ((rc = ds_kafka_sent_load(pipedir, topic, &sent, &ck, why,
	    sizeof(why))) == -1) {
		if (errno == EBADMSG)
			errx(1, "%s/%s: %s", pipedir, DS_KAFKA_SENT, why);
		err(1, "%s/%s", pipedir, DS_KAFKA_SENT);
	}
	if (rc == DS_CKPT_PREVIOUS)
		warnx("%s/%s: %s; using its previous", pipedir, DS_KAFKA_SENT,
		    ck.why);
	/* Saved after its batch was delivered, but not yet committed. */
	if (sent.t > committed) {
		if (ds_commit_save(pipedir, "ds-kafka-out", sent.t) == -1)
			err(1, "%s/ds-kafka-out.commit", pipedir);
		committed = sent.t;
	}

	if ((c = ds_kafka_sent_reader(&voice, xopt, nx, txn, why,
	    sizeof(why))) == NULL)
		errx(1, "%s", why);
	if (ds_kafka_sent_readback(c, topic, &sent, committed, timeout, why,
	    sizeof(why)) == -1) {
		if (errno == ENOMEM)
			err(1, NULL);
		errx(1, "topic %s: reading back: %s", topic, why);
	}
	rd_kafka_destroy(c);
	/* Its id, before any message carries it. */
	if (!sent.saved && ds_kafka_sent_save(pipedir, topic, &sent) == -1)
		err(1, "%s/%s", pipedir, DS_KAFKA_SENT);
}

/*
 * Batch t is in the topic: save where its messages end (when n of them
 * went out), then commit it.
 */
static void
commit_batch(int64_t t, size_t n)
{
	size_t missed;

	if (t <= committed)
		return;
	if (n > 0) {
		sent.t = t;
		if (ds_kafka_sent_save(pipedir, topic, &sent) == -1)
			err(1, "%s/%s", pipedir, DS_KAFKA_SENT);
	}
	if (ds_commit_save(pipedir, "ds-kafka-out", t) == -1)
		err(1, "%s/ds-kafka-out.commit", pipedir);
	committed = t;
	if ((missed = ds_kafka_sent_forget(&sent, t)) > 0)
		warnx("topic %s: %zu messages of a batch at or before %lld "
		    "were in the topic, but their batch did not come again",
		    topic, missed, (long long)t);
}

/* A field number, or 0. */
static size_t
field_opt(const char *opt, const char *s)
{
	if (strcmp(s, "0") == 0)
		return 0;
	return ds_field_arg_or_die(opt, s);
}
