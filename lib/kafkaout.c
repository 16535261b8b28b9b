/*
 * kafkaout.c: what ds-kafka-out knows of the messages it wrote, so that a
 * batch it sent in part before a crash is completed, not sent twice.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kafka.h"

#define TAG	"ds-kafka-out"

static int	end_at(struct ds_kafka_sent *, int32_t, int64_t, int);
static int	note(struct ds_kafka_sent *, const rd_kafka_message_t *,
		    int64_t);
static int	header_int(rd_kafka_headers_t *, const char *, int64_t *);
static int	by_batch(const void *, const void *);
static int64_t	now_ms(void);

/* An integer field of the checkpoint, at least min: 0, or -1. */
static int
int_of(const struct ds_field *f, int64_t min, int64_t *v)
{
	struct ds_num n;

	if (ds_num_parse(f->data, f->len, &n) == -1 || n.isfloat || n.i < min)
		return -1;
	*v = n.i;
	return 0;
}

int
ds_kafka_sent_load(const char *dir, const char *topic,
    struct ds_kafka_sent *s, struct ds_ckpt *c, char *why, size_t whysize)
{
	struct ds_reader r;
	int64_t p, off;
	size_t tlen = strlen(topic);
	int rc, status, line = 0;

	memset(s, 0, sizeof(*s));
	s->t = -1;
	if ((status = ds_ckpt_open(dir, DS_KAFKA_SENT, c)) == -1) {
		if (errno == EBADMSG)
			snprintf(why, whysize, "%s", c->why);
		return -1;
	}
	if (status == DS_CKPT_NONE) {
		/* A new writer: nothing of the topic is its own yet. */
		uint64_t id;

		arc4random_buf(&id, sizeof(id));
		snprintf(s->writer, sizeof(s->writer), "%016llx",
		    (unsigned long long)id);
		return status;
	}
	s->saved = 1;
	if (ds_reader_init(&r, c->fd, DS_KAFKA_SENT, DS_AUTO) == -1) {
		close(c->fd);
		return -1;
	}
	r.replayed = 0;
	while ((rc = ds_read(&r)) == DS_RECORD) {
		if (line++ == 0) {
			if (r.nfield != 4 || r.field[0].len != strlen(TAG) ||
			    memcmp(r.field[0].data, TAG, strlen(TAG)) != 0 ||
			    r.field[1].len != DS_KAFKA_WRITER_LEN ||
			    int_of(&r.field[2], -1, &s->t) == -1)
				goto bad;
			if (r.field[3].len != tlen ||
			    memcmp(r.field[3].data, topic, tlen) != 0) {
				snprintf(why, whysize, "of topic %.*s, not %s",
				    (int)(r.field[3].len < 200 ?
				    r.field[3].len : 200), r.field[3].data,
				    topic);
				goto refused;
			}
			memcpy(s->writer, r.field[1].data, DS_KAFKA_WRITER_LEN);
			continue;
		}
		if (r.nfield != 2 || int_of(&r.field[0], 0, &p) == -1 ||
		    p > INT32_MAX || int_of(&r.field[1], 0, &off) == -1)
			goto bad;
		if (end_at(s, p, off, 0) == -1)
			goto fail;
	}
	if (rc == -1 && errno != EBADMSG)
		goto fail;
	if (rc == -1 || line == 0)
		goto bad;
	ds_reader_free(&r);
	close(c->fd);
	return status;
bad:
	snprintf(why, whysize, "line %llu: not a checkpoint of "
	    TAG, (unsigned long long)r.lineno + 1);
refused:
	errno = EBADMSG;
fail:
	rc = errno;
	ds_reader_free(&r);
	close(c->fd);
	ds_kafka_sent_free(s);
	errno = rc;
	return -1;
}

int
ds_kafka_sent_save(const char *dir, const char *topic,
    const struct ds_kafka_sent *s)
{
	struct ds_writer w;
	char num[DS_NUM_MAX];
	size_t i;
	int fd;

	if ((fd = ds_ckpt_create(dir, DS_KAFKA_SENT)) == -1)
		return -1;
	if (ds_writer_init(&w, fd) == -1) {
		ds_ckpt_abandon(dir, DS_KAFKA_SENT, fd);
		return -1;
	}
	ds_write_header(&w);
	ds_write_field(&w, TAG, strlen(TAG));
	ds_write_field(&w, s->writer, DS_KAFKA_WRITER_LEN);
	ds_write_field(&w, num, ds_int_format(s->t, num));
	ds_write_field(&w, topic, strlen(topic));
	ds_write_end(&w);
	for (i = 0; i < s->nend; i++) {
		if (s->end[i] < 0)
			continue;
		ds_write_field(&w, num, ds_int_format(i, num));
		ds_write_field(&w, num, ds_int_format(s->end[i], num));
		ds_write_end(&w);
	}
	if (ds_writer_close(&w) == -1) {
		ds_ckpt_abandon(dir, DS_KAFKA_SENT, fd);
		return -1;
	}
	return ds_ckpt_commit(dir, DS_KAFKA_SENT, fd);
}

/*
 * Partition p's end is off, or the later of the two with later set.  0,
 * or -1 with errno ENOMEM.
 */
static int
end_at(struct ds_kafka_sent *s, int32_t p, int64_t off, int later)
{
	int64_t *e;
	size_t n;

	if ((size_t)p >= s->nend) {
		n = (size_t)p + 1 > s->nend * 2 ? (size_t)p + 1 : s->nend * 2;
		if ((e = reallocarray(s->end, n, sizeof(*e))) == NULL)
			return -1;
		while (s->nend < n)
			e[s->nend++] = -1;
		s->end = e;
	}
	if (!later || off > s->end[p])
		s->end[p] = off;
	return 0;
}

int
ds_kafka_sent_delivered(struct ds_kafka_sent *s, int32_t partition,
    int64_t offset)
{
	if (partition < 0 || offset < 0)
		return 0;
	return end_at(s, partition, offset + 1, 1);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A header's value as a non-negative decimal integer: 0, or -1. */
static int
header_int(rd_kafka_headers_t *h, const char *name, int64_t *v)
{
	const void *val;
	size_t len;
	struct ds_num n;

	if (rd_kafka_header_get_last(h, name, &val, &len) != 0 ||
	    val == NULL || ds_num_parse(val, len, &n) == -1 || n.isfloat ||
	    n.i < 0)
		return -1;
	*v = n.i;
	return 0;
}

/* Keep message m when it is this writer's, of a batch after after. */
static int
note(struct ds_kafka_sent *s, const rd_kafka_message_t *m, int64_t after)
{
	struct ds_kafka_seen *p;
	rd_kafka_headers_t *h;
	const void *val;
	size_t len, cap;
	int64_t t, i;

	if (rd_kafka_message_headers(m, &h) != 0 ||
	    rd_kafka_header_get_last(h, DS_KAFKA_HDR_WRITER, &val, &len) !=
	    0 || len != DS_KAFKA_WRITER_LEN ||
	    memcmp(val, s->writer, len) != 0 ||
	    header_int(h, DS_KAFKA_HDR_BATCH, &t) == -1 || t <= after ||
	    header_int(h, DS_KAFKA_HDR_INDEX, &i) == -1)
		return 0;
	if (s->nseen == s->capseen) {
		cap = s->capseen != 0 ? s->capseen * 2 : 64;
		if ((p = reallocarray(s->seen, cap, sizeof(*p))) == NULL)
			return -1;
		s->seen = p;
		s->capseen = cap;
	}
	p = &s->seen[s->nseen++];
	p->t = t;
	p->index = i;
	p->hit = 0;
	return 0;
}

static int
by_batch(const void *a, const void *b)
{
	const struct ds_kafka_seen *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

int
ds_kafka_sent_readback(rd_kafka_t *rk, const char *topic,
    struct ds_kafka_sent *s, int64_t after, int ms, char *why,
    size_t whysize)
{
	const struct rd_kafka_metadata *md = NULL;
	const struct rd_kafka_metadata_topic *mt;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_message_t *m;
	rd_kafka_topic_t *rkt;
	rd_kafka_resp_err_t e;
	int64_t deadline = now_ms() + ms, off;
	char *done;
	int i, left, rc = 0, saved;

	/* Partitions are numbered from 0: done is indexed by them. */
	if ((rkt = rd_kafka_topic_new(rk, topic, NULL)) == NULL)
		return -1;
	/* Until the brokers answer, or the deadline. */
	while ((e = rd_kafka_metadata(rk, 0, rkt, &md, 1000)) != 0) {
		if (now_ms() >= deadline) {
			rd_kafka_topic_destroy(rkt);
			snprintf(why, whysize, "%s", rd_kafka_err2str(e));
			errno = ETIMEDOUT;
			return -1;
		}
	}
	rd_kafka_topic_destroy(rkt);
	mt = md->topic_cnt == 1 ? &md->topics[0] : NULL;
	/* No topic yet: nothing in it. */
	if (mt == NULL || mt->err != 0 || mt->partition_cnt == 0) {
		rd_kafka_metadata_destroy(md);
		return 0;
	}
	if ((l = rd_kafka_topic_partition_list_new(mt->partition_cnt)) ==
	    NULL || (done = calloc(mt->partition_cnt, 1)) == NULL) {
		if (l != NULL)
			rd_kafka_topic_partition_list_destroy(l);
		rd_kafka_metadata_destroy(md);
		return -1;
	}
	/*
	 * From where this writer's messages after its checkpoint can begin;
	 * a partition it has no end of, from its start when a checkpoint is
	 * there (it may have written there since), else from its end.
	 */
	for (i = 0; i < mt->partition_cnt; i++) {
		off = s->saved ? RD_KAFKA_OFFSET_BEGINNING :
		    RD_KAFKA_OFFSET_END;
		if ((size_t)mt->partitions[i].id < s->nend &&
		    s->end[mt->partitions[i].id] >= 0)
			off = s->end[mt->partitions[i].id];
		rd_kafka_topic_partition_list_add(l, topic,
		    mt->partitions[i].id)->offset = off;
	}
	left = mt->partition_cnt;
	rd_kafka_metadata_destroy(md);
	if ((e = rd_kafka_assign(rk, l)) != 0) {
		rd_kafka_topic_partition_list_destroy(l);
		free(done);
		snprintf(why, whysize, "%s", rd_kafka_err2str(e));
		errno = EIO;
		return -1;
	}
	while (left > 0 && rc == 0) {
		if ((m = rd_kafka_consumer_poll(rk, 100)) == NULL) {
			if (now_ms() >= deadline) {
				snprintf(why, whysize, "no answer in %d ms",
				    ms);
				errno = ETIMEDOUT;
				rc = -1;
			}
			continue;
		}
		deadline = now_ms() + ms;
		i = m->partition;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			/* Where the next messages, all new, will go. */
			if (i >= 0 && i < l->cnt && !done[i]) {
				done[i] = 1;
				left--;
			}
			if (end_at(s, m->partition, m->offset, 0) == -1)
				rc = -1;
		} else if (m->err != 0 && ds_kafka_topic_gone(m->err)) {
			snprintf(why, whysize, "%s",
			    rd_kafka_message_errstr(m));
			errno = ENOENT;
			rc = -1;
		} else if (m->err == 0 && note(s, m, after) == -1)
			rc = -1;
		rd_kafka_message_destroy(m);
	}
	saved = errno;
	rd_kafka_assign(rk, NULL);
	rd_kafka_topic_partition_list_destroy(l);
	free(done);
	if (s->nseen > 1)
		qsort(s->seen, s->nseen, sizeof(*s->seen), by_batch);
	errno = saved;
	return rc;
}

int
ds_kafka_sent_seen(struct ds_kafka_sent *s, int64_t t, uint64_t index)
{
	struct ds_kafka_seen *p;

	while (s->next < s->nseen && (s->seen[s->next].t < t ||
	    (s->seen[s->next].t == t && s->seen[s->next].index < index)))
		s->next++;
	if (s->next == s->nseen)
		return 0;
	p = &s->seen[s->next];
	if (p->t != t || p->index != index)
		return 0;
	p->hit = 1;
	return 1;
}

size_t
ds_kafka_sent_forget(struct ds_kafka_sent *s, int64_t t)
{
	size_t i, missed = 0;

	for (i = 0; i < s->nseen && s->seen[i].t <= t; i++)
		if (!s->seen[i].hit)
			missed++;
	if (i == 0)
		return 0;
	memmove(s->seen, s->seen + i, (s->nseen - i) * sizeof(*s->seen));
	s->nseen -= i;
	s->next = s->next > i ? s->next - i : 0;
	return missed;
}

void
ds_kafka_sent_free(struct ds_kafka_sent *s)
{
	free(s->end);
	free(s->seen);
	s->end = NULL;
	s->seen = NULL;
	s->nend = s->nseen = s->capseen = s->next = 0;
}

rd_kafka_t *
ds_kafka_sent_reader(const struct ds_kafka_voice *v, char *const *xopt,
    size_t nx, int committed, char *why, size_t whysize)
{
	static const char *const fixed[] = {
		"group.id=ds-kafka-out",	/* assigned, never committed */
		"enable.auto.commit=false",
		"enable.partition.eof=true",
		"auto.offset.reset=earliest",
		/* A partition's end is known once a fetch answers. */
		"fetch.wait.max.ms=10",
		/* The producer's statistics say the outages. */
		"statistics.interval.ms=0",
		/* Not a warning for each producer's property of -X. */
		"log_level=3",
	};
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	size_t i;

	if ((conf = ds_kafka_conf_new(v, why, whysize)) == NULL)
		return NULL;
	/* -X holds how to reach the cluster: TLS, SASL. */
	for (i = 0; i < nx; i++)
		(void)ds_kafka_conf_set(conf, xopt[i], why, whysize);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (ds_kafka_conf_set(conf, fixed[i], why, whysize) == -1)
			goto fail;
	if (ds_kafka_conf_set(conf, committed ?
	    "isolation.level=read_committed" :
	    "isolation.level=read_uncommitted", why, whysize) == -1)
		goto fail;
	if ((rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, whysize)) ==
	    NULL)
		goto fail;
	rd_kafka_poll_set_consumer(rk);
	return rk;
fail:
	rd_kafka_conf_destroy(conf);
	errno = EINVAL;
	return NULL;
}

rd_kafka_headers_t *
ds_kafka_sent_headers(const struct ds_kafka_sent *s, int64_t t,
    uint64_t index)
{
	rd_kafka_headers_t *h;
	char num[DS_NUM_MAX];

	if ((h = rd_kafka_headers_new(3)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	rd_kafka_header_add(h, DS_KAFKA_HDR_WRITER, -1, s->writer,
	    DS_KAFKA_WRITER_LEN);
	rd_kafka_header_add(h, DS_KAFKA_HDR_BATCH, -1, num,
	    ds_int_format(t, num));
	rd_kafka_header_add(h, DS_KAFKA_HDR_INDEX, -1, num,
	    ds_int_format(index, num));
	return h;
}

/* How a message is held: this, then its key's bytes and its value's. */
struct held {
	uint64_t	 lineno;
	size_t		 klen;
	size_t		 vlen;
	int		 haskey;
};

int
ds_kafka_hold(struct ds_buf *b, const struct ds_kafka_msg *m)
{
	struct held h;

	h.lineno = m->lineno;
	h.klen = m->klen;
	h.vlen = m->vlen;
	h.haskey = m->key != NULL;
	if (ds_buf_reserve(b, sizeof(h) + m->klen + m->vlen) == -1)
		return -1;
	memcpy(b->data + b->len, &h, sizeof(h));
	b->len += sizeof(h);
	if (m->klen > 0)
		memcpy(b->data + b->len, m->key, m->klen);
	b->len += m->klen;
	if (m->vlen > 0)
		memcpy(b->data + b->len, m->val, m->vlen);
	b->len += m->vlen;
	return 0;
}

int
ds_kafka_held(const struct ds_buf *b, size_t *at, struct ds_kafka_msg *m)
{
	struct held h;

	if (*at >= b->len)
		return 0;
	/* Copied out: the buffer keeps no alignment. */
	memcpy(&h, b->data + *at, sizeof(h));
	*at += sizeof(h);
	m->lineno = h.lineno;
	m->key = h.haskey ? b->data + *at : NULL;
	m->klen = h.klen;
	m->val = b->data + *at + h.klen;
	m->vlen = h.vlen;
	*at += h.klen + h.vlen;
	return 1;
}
