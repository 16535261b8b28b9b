/*
 * kafkasink.c: ds-kafka-out's producer: its transactions, its delivery
 * reports, and its part in the exactly-once protocol of ds(7).
 */

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"

static void	delivered(rd_kafka_t *, const rd_kafka_message_t *, void *);
static int	txn_failed(struct ds_kafka_sink *, rd_kafka_error_t *,
		    int64_t, char *, size_t);
static int	sys_failed(const char *, const char *, char *, size_t);
static int	end(struct ds_kafka_sink *, int64_t, char *, size_t);

/* "topic T: " and, for a batch, "batch B: ", before what went wrong. */
static size_t
at_batch(const struct ds_kafka_sink *s, int64_t t, char *why, size_t whysize)
{
	int n;

	if (t != -1)
		n = snprintf(why, whysize, "topic %s: batch %lld: ", s->topic,
		    (long long)t);
	else
		n = snprintf(why, whysize, "topic %s: ", s->topic);
	/* A long topic name leaves the rest out, not past why's end. */
	return n < 0 ? 0 : (size_t)n >= whysize ? whysize - 1 : (size_t)n;
}

/* why is "dir/name: strerror"; -1 with errno kept. */
static int
sys_failed(const char *dir, const char *name, char *why, size_t whysize)
{
	int e = errno;

	snprintf(why, whysize, "%s/%s: %s", dir, name, strerror(e));
	errno = e;
	return -1;
}

/* A transaction failed (batch t, or -1 at the start): abort it. */
static int
txn_failed(struct ds_kafka_sink *s, rd_kafka_error_t *e, int64_t t,
    char *why, size_t whysize)
{
	size_t n = at_batch(s, t, why, whysize);

	snprintf(why + n, whysize - n, "%s", rd_kafka_error_string(e));
	if (rd_kafka_error_txn_requires_abort(e))
		rd_kafka_error_destroy(rd_kafka_abort_transaction(s->rk, 5000));
	rd_kafka_error_destroy(e);
	errno = EIO;
	return -1;
}

int
ds_kafka_sink_open(struct ds_kafka_sink *s, rd_kafka_conf_t *conf,
    const char *topic, const char *input, char *why, size_t whysize)
{
	rd_kafka_error_t *e;
	char v[512];
	size_t n = sizeof(v);

	memset(s, 0, sizeof(*s));
	s->topic = topic;
	s->input = input;
	s->committed = -1;
	s->timeout = 300000;
	s->txn = rd_kafka_conf_get(conf, "transactional.id", v, &n) ==
	    RD_KAFKA_CONF_OK && v[0] != '\0';
	/* The read-back waits for the brokers as long as a delivery. */
	n = sizeof(v);
	if (rd_kafka_conf_get(conf, "message.timeout.ms", v, &n) ==
	    RD_KAFKA_CONF_OK && strtonum(v, 1, INT_MAX, NULL) > 0)
		s->timeout = strtonum(v, 1, INT_MAX, NULL);
	rd_kafka_conf_set_dr_msg_cb(conf, delivered);
	rd_kafka_conf_set_opaque(conf, s);
	if ((s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, whysize)) ==
	    NULL) {
		rd_kafka_conf_destroy(conf);
		errno = EINVAL;
		return -1;
	}
	/*
	 * Known before the first metadata request, the topic is in it: a
	 * topic first named later waits for librdkafka's next scan, a second.
	 */
	if ((s->rkt = rd_kafka_topic_new(s->rk, topic, NULL)) == NULL) {
		snprintf(why, whysize, "topic %s: %s", topic, strerror(errno));
		return -1;
	}
	/* A producer of the same id before us is fenced, its batch aborted. */
	if (s->txn && (e = rd_kafka_init_transactions(s->rk, s->timeout)) !=
	    NULL)
		return txn_failed(s, e, -1, why, whysize);
	return 0;
}

/* Served by rd_kafka_poll and rd_kafka_flush, on this thread. */
static void
delivered(rd_kafka_t *k, const rd_kafka_message_t *m, void *opaque)
{
	struct ds_kafka_sink *s = opaque;

	(void)k;
	s->outstanding--;
	if (m->err != 0 && s->failure == 0) {
		s->failure = m->err;
		s->failpart = m->partition;
		s->failline = (int64_t)(intptr_t)m->_private;
	}
	/* Lost, the end is only older: the read-back reads a little more. */
	if (m->err == 0 && s->dir != NULL &&
	    ds_kafka_sent_delivered(&s->sent, m->partition, m->offset) == -1)
		s->nomem = 1;
}

int
ds_kafka_sink_start(struct ds_kafka_sink *s, const char *dir,
    char *const *xopt, size_t nx, char *why, size_t whysize)
{
	rd_kafka_t *c;
	struct ds_ckpt ck;
	char line[512];
	int rc;

	s->dir = dir;
	if (ds_commit_load(dir, "ds-kafka-out", &s->committed, &ck) == -1) {
		if (errno == EBADMSG)
			snprintf(why, whysize, "%s/%s: %s", dir, ck.name,
			    ck.why);
		else
			sys_failed(dir, ck.name, why, whysize);
		return -1;
	}
	if (ck.status == DS_CKPT_PREVIOUS) {
		snprintf(line, sizeof(line), "%s/%s: %s; using its previous",
		    dir, ck.name, ck.why);
		s->voice->say(line);
	}
	if ((rc = ds_kafka_sent_load(dir, s->topic, &s->sent, &ck, line,
	    sizeof(line))) == -1) {
		if (errno == EBADMSG)
			snprintf(why, whysize, "%s/%s: %s", dir,
			    DS_KAFKA_SENT, line);
		else
			sys_failed(dir, DS_KAFKA_SENT, why, whysize);
		return -1;
	}
	if (rc == DS_CKPT_PREVIOUS) {
		snprintf(line, sizeof(line), "%s/%s: %s; using its previous",
		    dir, DS_KAFKA_SENT, ck.why);
		s->voice->say(line);
	}
	/* Saved after its batch was delivered, but not yet committed. */
	if (s->sent.t > s->committed) {
		if (ds_commit_save(dir, "ds-kafka-out", s->sent.t) == -1)
			return sys_failed(dir, "ds-kafka-out.commit", why,
			    whysize);
		s->committed = s->sent.t;
	}

	if ((c = ds_kafka_sent_reader(s->voice, xopt, nx, s->txn, why,
	    whysize)) == NULL)
		return -1;
	rc = ds_kafka_sent_readback(c, s->topic, &s->sent, s->committed,
	    s->timeout, line, sizeof(line));
	rd_kafka_destroy(c);
	if (rc == -1) {
		if (errno == ENOMEM)
			snprintf(why, whysize, "%s", strerror(errno));
		else
			snprintf(why, whysize, "topic %s: reading back: %s",
			    s->topic, line);
		return -1;
	}
	/* Its id, before any message carries it. */
	if (!s->sent.saved && ds_kafka_sent_save(dir, s->topic, &s->sent) ==
	    -1)
		return sys_failed(dir, DS_KAFKA_SENT, why, whysize);
	return 0;
}

int
ds_kafka_sink_send(struct ds_kafka_sink *s, const struct ds_kafka_msg *m,
    int64_t t, uint64_t index, char *why, size_t whysize)
{
	rd_kafka_headers_t *h = NULL;
	rd_kafka_resp_err_t e;
	rd_kafka_error_t *te;

	if (s->txn && !s->intxn) {
		if ((te = rd_kafka_begin_transaction(s->rk)) != NULL)
			return txn_failed(s, te, t, why, whysize);
		s->intxn = 1;
	}
	if (t != -1 && (h = ds_kafka_sent_headers(&s->sent, t, index)) ==
	    NULL) {
		snprintf(why, whysize, "%s", strerror(errno));
		return -1;
	}
	for (;;) {
		/* The message owns the headers once it is queued. */
		e = rd_kafka_producev(s->rk, RD_KAFKA_V_RKT(s->rkt),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_KEY(m->key, m->klen),
		    RD_KAFKA_V_VALUE((void *)m->val, m->vlen),
		    RD_KAFKA_V_OPAQUE((void *)(intptr_t)m->lineno),
		    RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		/* librdkafka's queue is full: wait for deliveries. */
		if (s->flush != NULL && ds_writer_flush(s->flush) == -1) {
			if (h != NULL)
				rd_kafka_headers_destroy(h);
			why[0] = '\0';
			errno = EIO;
			return -1;
		}
		rd_kafka_poll(s->rk, 100);
	}
	if (e != 0) {
		if (h != NULL)
			rd_kafka_headers_destroy(h);
		snprintf(why, whysize, "%s:%llu: topic %s: %s", s->input,
		    (unsigned long long)m->lineno, s->topic,
		    rd_kafka_err2str(e));
		errno = EIO;
		return -1;
	}
	s->outstanding++;
	rd_kafka_poll(s->rk, 0);
	return 0;
}

int
ds_kafka_sink_record(struct ds_kafka_sink *s, const struct ds_kafka_msg *m,
    char *why, size_t whysize)
{
	if (s->dir == NULL)
		return ds_kafka_sink_send(s, m, -1, 0, why, whysize);
	if (ds_kafka_hold(&s->batch, m) == -1) {
		snprintf(why, whysize, "%s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Wait for every delivery report of the batch (t), or of what is left at
 * the end (-1), librdkafka retrying until message.timeout.ms, and commit
 * its transaction.
 */
static int
end(struct ds_kafka_sink *s, int64_t t, char *why, size_t whysize)
{
	char reason[512], where[32] = "";
	rd_kafka_error_t *e;
	size_t n;

	if (s->flush != NULL && ds_writer_flush(s->flush) == -1) {
		why[0] = '\0';
		errno = EIO;
		return -1;
	}
	while (s->outstanding > 0 && s->failure == 0)
		rd_kafka_flush(s->rk, 1000);
	if (s->nomem) {
		snprintf(why, whysize, "%s", strerror(ENOMEM));
		errno = ENOMEM;
		return -1;
	}
	if (s->failure == 0) {
		if (s->intxn &&
		    (e = rd_kafka_commit_transaction(s->rk, -1)) != NULL)
			return txn_failed(s, e, t, why, whysize);
		s->intxn = 0;
		return 0;
	}
	if (s->intxn)
		rd_kafka_error_destroy(rd_kafka_abort_transaction(s->rk, 5000));
	if (s->failure == RD_KAFKA_RESP_ERR__FATAL)
		rd_kafka_fatal_error(s->rk, reason, sizeof(reason));
	else
		snprintf(reason, sizeof(reason), "%s",
		    rd_kafka_err2str(s->failure));
	if (s->failpart != RD_KAFKA_PARTITION_UA)
		snprintf(where, sizeof(where), " partition %d:",
		    (int)s->failpart);
	n = at_batch(s, t, why, whysize);
	snprintf(why + n, whysize - n, "%s:%lld:%s %s", s->input,
	    (long long)s->failline, where, reason);
	errno = EIO;
	return -1;
}

int
ds_kafka_sink_batch(struct ds_kafka_sink *s, int64_t t, char *why,
    size_t whysize)
{
	struct ds_kafka_msg m;
	size_t at = 0, n = 0, missed;
	uint64_t i;

	/*
	 * The held records, but those already in the topic: the whole
	 * batch when it is committed, those the read-back found of a batch
	 * sent in part.
	 */
	for (i = 0; t > s->committed && ds_kafka_held(&s->batch, &at, &m);
	    i++)
		if (!ds_kafka_sent_seen(&s->sent, t, i)) {
			if (ds_kafka_sink_send(s, &m, t, i, why, whysize) ==
			    -1)
				return -1;
			n++;
		}
	s->batch.len = 0;
	if (end(s, t, why, whysize) == -1)
		return -1;
	if (s->dir == NULL || t <= s->committed)
		return 0;
	/* In the topic: save where its messages end, then commit it. */
	if (n > 0) {
		s->sent.t = t;
		if (ds_kafka_sent_save(s->dir, s->topic, &s->sent) == -1)
			return sys_failed(s->dir, DS_KAFKA_SENT, why, whysize);
	}
	if (ds_commit_save(s->dir, "ds-kafka-out", t) == -1)
		return sys_failed(s->dir, "ds-kafka-out.commit", why, whysize);
	s->committed = t;
	if ((missed = ds_kafka_sent_forget(&s->sent, t)) > 0) {
		snprintf(why, whysize, "topic %s: %zu messages of a batch at "
		    "or before %lld were in the topic, but their batch did "
		    "not come again", s->topic, missed, (long long)t);
		s->voice->say(why);
	}
	return 0;
}

int
ds_kafka_sink_end(struct ds_kafka_sink *s, char *why, size_t whysize)
{
	return end(s, -1, why, whysize);
}

void
ds_kafka_sink_close(struct ds_kafka_sink *s)
{
	if (s->rkt != NULL)
		rd_kafka_topic_destroy(s->rkt);
	if (s->rk != NULL)
		rd_kafka_destroy(s->rk);
	ds_buf_free(&s->batch);
	ds_kafka_sent_free(&s->sent);
}
