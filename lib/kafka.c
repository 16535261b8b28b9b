/*
 * kafka.c: the configuration and the outage reports that ds-kafka and
 * ds-kafka-out share.
 */

/* pipe2(2) */
#define _GNU_SOURCE

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>

#include "kafka.h"

/* The state of the link to the cluster, to say an outage once. */
struct link {
	int	 down;		/* said down, not yet said up */
	int	 up;		/* a broker connection is up */
	int	 failing;	/* a connection failed since the last
				   statistics */
	char	 why[256];	/* the outage's first error, librdkafka's */
};

static const struct ds_kafka_voice *voice;
static struct link link_state;
/* The group's join state is not steady; set from librdkafka's threads. */
static atomic_int joining;

static void	note_join(const char *);
static int	ask_join_state(rd_kafka_conf_t *, char *, size_t);
static int	link_error(struct link *, rd_kafka_resp_err_t, const char *);
static int	link_stats(struct link *, const char *, size_t);

/*
 * librdkafka logs each failed connection attempt; the outage report says
 * it once instead, and the programs report a failed commit themselves.
 * What else it says at warning level or worse (a
 * configuration property that does not apply, a TLS failure) goes on.
 */
static void
log_line(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	char line[1024];

	if (level == LOG_DEBUG && strcmp(fac, "CGRPJOINSTATE") == 0)
		note_join(buf);
	if (level > LOG_WARNING || strcmp(fac, "FAIL") == 0 ||
	    strcmp(fac, "ERROR") == 0 || strcmp(fac, "COMMITFAIL") == 0)
		return;
	(void)rk;
	snprintf(line, sizeof(line), "librdkafka: %s: %s", fac, buf);
	voice->say(line);
}

/* "Group "g" changed join state wait-join -> wait-metadata (state up)" */
static void
note_join(const char *line)
{
	const char *to;

	if ((to = strstr(line, " -> ")) == NULL)
		return;
	to += 4;
	atomic_store(&joining, strncmp(to, "steady", 6) != 0 ||
	    (to[6] != ' ' && to[6] != '\0'));
}

/*
 * librdkafka 2.0 takes a commit that was sent while the member rejoins
 * the group, and that the broker refuses for its old generation, as the
 * loss of all of the member's partitions, which their next owners then
 * read again from the last commit (librdkafka's issue 4059, mended in
 * 2.10).  It says its join state only in its debug lines of the cgrp
 * facility, which log_line reads and never prints.
 */
static int
ask_join_state(rd_kafka_conf_t *conf, char *why, size_t whysize)
{
	char have[512], want[520];
	size_t n = sizeof(have);

	if (rd_kafka_conf_get(conf, "debug", have, &n) != RD_KAFKA_CONF_OK)
		have[0] = '\0';
	if (strstr(have, "cgrp") != NULL || strstr(have, "all") != NULL)
		return 0;
	snprintf(want, sizeof(want), "%s%scgrp", have, have[0] != '\0' ?
	    "," : "");
	return rd_kafka_conf_set(conf, "debug", want, why, whysize) ==
	    RD_KAFKA_CONF_OK ? 0 : -1;
}

int
ds_kafka_rejoining(void)
{
	return atomic_load(&joining);
}

rd_kafka_resp_err_t
ds_kafka_commit_last(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *l,
    int64_t wait)
{
	rd_kafka_message_t *m;
	rd_kafka_resp_err_t e;
	int64_t deadline = ds_now_ms() + wait;

	while ((e = rd_kafka_commit(rk, l, 0)) ==
	    RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS &&
	    ds_now_ms() < deadline) {
		do
			if ((m = rd_kafka_consumer_poll(rk, 100)) != NULL)
				rd_kafka_message_destroy(m);
		while (atomic_load(&joining) && ds_now_ms() < deadline);
	}
	return e == RD_KAFKA_RESP_ERR__NO_OFFSET ? 0 : e;
}

static void
said_down(void)
{
	char line[1024];

	snprintf(line, sizeof(line), "%s: %s%s%s", voice->brokers,
	    link_state.why, voice->outage != NULL ? "; " : "",
	    voice->outage != NULL ? voice->outage : "");
	voice->say(line);
}

/*
 * Connection errors make one outage report; librdkafka reconnects.  A
 * fatal error (an idempotent producer's, a fenced member's) ends the
 * program.
 */
static void
on_error(rd_kafka_t *rk, int e, const char *reason, void *opaque)
{
	char why[512], line[1024];

	(void)opaque;
	if (e == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, why, sizeof(why));
		snprintf(line, sizeof(line), "%s: %s", voice->brokers, why);
		voice->fatal(line);
		return;
	}
	if (link_error(&link_state, e, reason))
		said_down();
	else if (e != RD_KAFKA_RESP_ERR__TRANSPORT &&
	    e != RD_KAFKA_RESP_ERR__RESOLVE &&
	    e != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		snprintf(line, sizeof(line), "%s: %s", voice->brokers, reason);
		voice->say(line);
	}
}

static int
on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	char line[1024];

	(void)rk;
	(void)opaque;
	switch (link_stats(&link_state, json, len)) {
	case 1:
		snprintf(line, sizeof(line), "%s: connected", voice->brokers);
		voice->say(line);
		break;
	case -1:
		said_down();
		break;
	}
	return 0;
}

rd_kafka_conf_t *
ds_kafka_conf_new(const struct ds_kafka_voice *v, char *why, size_t whysize)
{
	rd_kafka_conf_t *conf;

	if ((conf = rd_kafka_conf_new()) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (rd_kafka_conf_set(conf, "bootstrap.servers", v->brokers, why,
	    whysize) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "client.id", "ds", why, whysize) !=
	    RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "statistics.interval.ms", "1000", why,
	    whysize) != RD_KAFKA_CONF_OK ||
	    /* Back within 2s of the brokers, Spark's receiverRestartDelay. */
	    rd_kafka_conf_set(conf, "reconnect.backoff.max.ms", "2000", why,
	    whysize) != RD_KAFKA_CONF_OK) {
		rd_kafka_conf_destroy(conf);
		errno = EINVAL;
		return NULL;
	}
	/* One configuration a process: the callbacks have no argument. */
	voice = v;
	rd_kafka_conf_set_log_cb(conf, log_line);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_stats_cb(conf, on_stats);
	return conf;
}

int
ds_kafka_conf_set(rd_kafka_conf_t *conf, const char *arg, char *why,
    size_t whysize)
{
	const char *eq;
	char name[256], msg[512];

	if ((eq = strchr(arg, '=')) == NULL || eq == arg) {
		if (eq == NULL)
			snprintf(why, whysize, "%s: not property=value", arg);
		else
			snprintf(why, whysize, "not property=value");
		errno = EINVAL;
		return -1;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
	if (rd_kafka_conf_set(conf, name, eq + 1, msg, sizeof(msg)) !=
	    RD_KAFKA_CONF_OK) {
		snprintf(why, whysize, "%s: %s", name, msg);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* An error event: 1 when it begins an outage, 0 when not or not yet. */
static int
link_error(struct link *l, rd_kafka_resp_err_t e, const char *reason)
{
	if (e == RD_KAFKA_RESP_ERR__TRANSPORT ||
	    e == RD_KAFKA_RESP_ERR__RESOLVE) {
		if (!l->failing && !l->down)
			snprintf(l->why, sizeof(l->why), "%s", reason);
		l->failing = 1;
		return 0;
	}
	if (e != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		return 0;
	l->up = 0;
	if (l->down)
		return 0;
	snprintf(l->why, sizeof(l->why), "%s", reason);
	l->down = 1;
	return 1;
}

/*
 * A statistics event: 1 when it ends an outage, -1 when it begins one
 * (connections failed and no broker is up: brokers that never came up
 * raise no error of their own), else 0.  The statistics list every broker
 * with its state; one the client talks to (not librdkafka's internal
 * one) in state UP is a link.
 */
static int
link_stats(struct link *l, const char *json, size_t len)
{
	json_t *root, *brokers, *b, *state, *source;
	const char *name;
	int up = 0;

	if ((root = json_loadb(json, len, 0, NULL)) == NULL)
		return 0;
	brokers = json_object_get(root, "brokers");
	json_object_foreach(brokers, name, b) {
		state = json_object_get(b, "state");
		source = json_object_get(b, "source");
		if (json_is_string(state) &&
		    strcmp(json_string_value(state), "UP") == 0 &&
		    !(json_is_string(source) &&
		    strcmp(json_string_value(source), "internal") == 0))
			up = 1;
	}
	json_decref(root);
	l->up = up;
	if (!up && l->failing && !l->down) {
		l->down = 1;
		return -1;
	}
	if (up)
		l->failing = 0;
	if (!up || !l->down)
		return 0;
	l->down = 0;
	return 1;
}

ssize_t
ds_kafka_part(struct ds_kafka_parts *t, const char *topic, int32_t partition)
{
	struct ds_kafka_part *p;
	size_t i;

	if (t->last < t->n && t->p[t->last].partition == partition &&
	    strcmp(t->p[t->last].topic, topic) == 0)
		return t->last;
	for (i = 0; i < t->n; i++)
		if (t->p[i].partition == partition &&
		    strcmp(t->p[i].topic, topic) == 0)
			return t->last = i;
	if (t->n == t->cap) {
		if ((p = reallocarray(t->p, t->cap + 16, sizeof(*p))) == NULL)
			return -1;
		t->p = p;
		t->cap += 16;
	}
	p = &t->p[t->n];
	if ((p->topic = strdup(topic)) == NULL)
		return -1;
	p->partition = partition;
	p->pos = -1;
	p->n = 0;
	p->paused = 0;
	p->owned = 0;
	return t->last = t->n++;
}

int
ds_kafka_parts_take(struct ds_kafka_parts *t, const rd_kafka_message_t *m,
    ssize_t *ip)
{
	struct ds_kafka_part *p;

	if ((*ip = ds_kafka_part(t, rd_kafka_topic_name(m->rkt),
	    m->partition)) == -1)
		return -1;
	p = &t->p[*ip];
	/* Fetched before its batch filled (-R), or before a seek. */
	if (p->paused || (p->pos != -1 && m->offset < p->pos))
		return 0;
	p->pos = m->offset + 1;
	p->n++;
	return 1;
}

rd_kafka_topic_partition_list_t *
ds_kafka_parts_list(const struct ds_kafka_parts *t, int paused)
{
	rd_kafka_topic_partition_list_t *l;
	size_t i;

	if ((l = rd_kafka_topic_partition_list_new(t->n)) == NULL)
		return NULL;
	for (i = 0; i < t->n; i++)
		if (t->p[i].pos != -1 && t->p[i].owned &&
		    (!paused || t->p[i].paused))
			rd_kafka_topic_partition_list_add(l, t->p[i].topic,
			    t->p[i].partition)->offset = t->p[i].pos;
	return l;
}

int
ds_kafka_parts_assign(struct ds_kafka_parts *t,
    rd_kafka_topic_partition_list_t *l, int forget)
{
	struct ds_kafka_part *p;
	ssize_t j;
	int i;

	for (i = 0; i < l->cnt; i++) {
		if ((j = ds_kafka_part(t, l->elems[i].topic,
		    l->elems[i].partition)) == -1)
			return -1;
		p = &t->p[j];
		p->owned = 1;
		p->paused = 0;
		if (forget)
			p->pos = -1;
		else if (p->pos != -1)
			l->elems[i].offset = p->pos;
	}
	return 0;
}

rd_kafka_topic_partition_list_t *
ds_kafka_parts_revoke(struct ds_kafka_parts *t,
    const rd_kafka_topic_partition_list_t *l, int forget)
{
	rd_kafka_topic_partition_list_t *c;
	struct ds_kafka_part *p;
	ssize_t j;
	int i;

	if ((c = rd_kafka_topic_partition_list_new(l->cnt)) == NULL)
		return NULL;
	for (i = 0; i < l->cnt; i++) {
		if ((j = ds_kafka_part(t, l->elems[i].topic,
		    l->elems[i].partition)) == -1) {
			rd_kafka_topic_partition_list_destroy(c);
			return NULL;
		}
		p = &t->p[j];
		if (p->pos != -1 && p->owned)
			rd_kafka_topic_partition_list_add(c, p->topic,
			    p->partition)->offset = p->pos;
		p->owned = 0;
		if (forget)
			p->pos = -1;
	}
	return c;
}

int
ds_kafka_topic_gone(rd_kafka_resp_err_t e)
{
	return e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
	    e == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
	    e == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
	    e == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
	    e == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED;
}

int
ds_kafka_parts_format(struct ds_buf *b,
    const rd_kafka_topic_partition_list_t *l)
{
	char num[DS_NUM_MAX];
	const char *t;
	int i;

	for (i = 0; i < l->cnt; i++) {
		t = l->elems[i].topic;
		if (i == 0 || strcmp(t, l->elems[i - 1].topic) != 0) {
			if ((i > 0 && ds_buf_append(b, " ", 1) == -1) ||
			    ds_buf_append(b, t, strlen(t)) == -1 ||
			    ds_buf_append(b, ":", 1) == -1)
				return -1;
		} else if (ds_buf_append(b, ",", 1) == -1)
			return -1;
		if (ds_buf_append(b, num, ds_int_format(l->elems[i].partition,
		    num)) == -1)
			return -1;
	}
	return 0;
}

/* One operand into topics or assign, as ds_kafka_operands says. */
static int
operand(char *arg, rd_kafka_topic_partition_list_t *topics,
    rd_kafka_topic_partition_list_t *assign, char *why, size_t whysize)
{
	const char *errstr;
	char *colon, *p;
	long long n;

	if ((colon = strrchr(arg, ':')) == NULL) {
		if (arg[0] == '\0') {
			snprintf(why, whysize, "an empty topic name");
			errno = EINVAL;
			return -1;
		}
		rd_kafka_topic_partition_list_add(topics, arg,
		    RD_KAFKA_PARTITION_UA);
		return 0;
	}
	*colon++ = '\0';
	while ((p = strsep(&colon, ",")) != NULL) {
		n = strtonum(p, 0, INT32_MAX, &errstr);
		if (errstr != NULL) {
			snprintf(why, whysize, "%s: partition %s: %s", arg, p,
			    errstr);
			errno = EINVAL;
			return -1;
		}
		rd_kafka_topic_partition_list_add(assign, arg, n);
	}
	return 0;
}

int
ds_kafka_operands(int argc, char **argv, int group,
    rd_kafka_topic_partition_list_t **topics,
    rd_kafka_topic_partition_list_t **assign, char *why, size_t whysize)
{
	int i;

	if ((*topics = rd_kafka_topic_partition_list_new(argc)) == NULL ||
	    (*assign = rd_kafka_topic_partition_list_new(argc)) == NULL) {
		snprintf(why, whysize, "%s", strerror(ENOMEM));
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < argc; i++)
		if (operand(argv[i], group ? *topics : *assign, *assign, why,
		    whysize) == -1)
			return -1;
	if ((*topics)->cnt > 0 && (*assign)->cnt > 0) {
		snprintf(why, whysize, "a group either subscribes to topics "
		    "or has partitions assigned, not both");
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
ds_kafka_expand(rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *want,
    int ms, rd_kafka_topic_partition_list_t **out, char *why, size_t whysize)
{
	const struct rd_kafka_metadata *md = NULL;
	const struct rd_kafka_metadata_topic *mt;
	rd_kafka_topic_partition_list_t *l;
	int i, j;

	if ((l = rd_kafka_topic_partition_list_new(want->cnt)) == NULL)
		return -1;
	for (i = 0; i < want->cnt; i++) {
		if (want->elems[i].partition != RD_KAFKA_PARTITION_UA) {
			rd_kafka_topic_partition_list_add(l,
			    want->elems[i].topic,
			    want->elems[i].partition)->offset =
			    RD_KAFKA_OFFSET_INVALID;
			continue;
		}
		if (md == NULL &&
		    rd_kafka_metadata(rk, 1, NULL, &md, ms > 0 ? ms : 1) != 0) {
			rd_kafka_topic_partition_list_destroy(l);
			errno = EAGAIN;
			return -1;
		}
		for (j = 0, mt = NULL; j < md->topic_cnt; j++)
			if (strcmp(md->topics[j].topic,
			    want->elems[i].topic) == 0)
				mt = &md->topics[j];
		if (mt == NULL || mt->err != 0) {
			snprintf(why, whysize, "topic %s: %s",
			    want->elems[i].topic, rd_kafka_err2str(mt == NULL ?
			    RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART : mt->err));
			rd_kafka_metadata_destroy(md);
			rd_kafka_topic_partition_list_destroy(l);
			errno = ENOENT;
			return -1;
		}
		for (j = 0; j < mt->partition_cnt; j++)
			rd_kafka_topic_partition_list_add(l, mt->topic,
			    mt->partitions[j].id)->offset =
			    RD_KAFKA_OFFSET_INVALID;
	}
	if (md != NULL)
		rd_kafka_metadata_destroy(md);
	*out = l;
	return 0;
}

int
ds_kafka_span(struct ds_kafka_spans *v, ssize_t part, int64_t from,
    int64_t until)
{
	struct ds_kafka_span *s;

	if (part != -1 && v->n > 0 && v->s[v->n - 1].part == part &&
	    v->s[v->n - 1].until == from) {
		v->s[v->n - 1].until = until;
		return 0;
	}
	if (v->n == v->cap) {
		if ((s = reallocarray(v->s, v->cap + 64, sizeof(*s))) == NULL)
			return -1;
		v->s = s;
		v->cap += 64;
	}
	s = &v->s[v->n++];
	s->part = part;
	s->from = from;
	s->until = until;
	return 0;
}

/* A non-negative integer field of a log record, or -1. */
static int64_t
log_number(const struct ds_field *f)
{
	struct ds_num n;

	if (ds_num_parse(f->data, f->len, &n) == -1 || n.isfloat || n.i < 0)
		return -1;
	return n.i;
}

int
ds_kafka_range(struct ds_kafka_parts *parts, const struct ds_ranges_entry *e,
    struct ds_kafka_span *s)
{
	int64_t p;

	if (e->nfield == 0) {
		s->part = -1;
		s->from = s->until = e->t;
		return 0;
	}
	if (e->nfield != 4 || e->field[0].len == 0 ||
	    memchr(e->field[0].data, '\0', e->field[0].len) != NULL ||
	    (p = log_number(&e->field[1])) == -1 || p > INT32_MAX ||
	    (s->from = log_number(&e->field[2])) == -1 ||
	    (s->until = log_number(&e->field[3])) < s->from) {
		errno = EBADMSG;
		return -1;
	}
	if ((s->part = ds_kafka_part(parts, e->field[0].data, p)) == -1)
		return -1;
	parts->p[s->part].pos = s->until;
	return 0;
}

/* ds_kafka_range for ds_ranges_open: parts learns its positions. */
static int
range_take(void *parts, const struct ds_ranges_entry *e)
{
	struct ds_kafka_span s;

	return ds_kafka_range(parts, e, &s);
}

/* A log record: topic, partition, from and until. */
static int
log_range(struct ds_writer *w, const struct ds_kafka_part *p, int64_t from,
    int64_t until)
{
	char num[DS_NUM_MAX];

	if (ds_write_field(w, p->topic, strlen(p->topic)) == -1 ||
	    ds_write_field(w, num, ds_int_format(p->partition, num)) == -1 ||
	    ds_write_field(w, num, ds_int_format(from, num)) == -1 ||
	    ds_write_field(w, num, ds_int_format(until, num)) == -1)
		return -1;
	return ds_write_end(w);
}

int
ds_kafka_log_batch(struct ds_ranges *lg, const struct ds_kafka_parts *parts,
    struct ds_kafka_spans *spans, int64_t t)
{
	const struct ds_kafka_span *s;
	size_t i;

	for (i = 0; i < spans->n; i++) {
		s = &spans->s[i];
		if (log_range(&lg->w, &parts->p[s->part], s->from, s->until) ==
		    -1)
			return -1;
	}
	spans->n = 0;
	return ds_ranges_batch(lg, t);
}

int
ds_kafka_pending_push(struct ds_kafka_pending *q, int64_t t,
    const struct ds_kafka_parts *parts)
{
	struct ds_kafka_pend *p;

	if (q->n == q->cap) {
		if ((p = reallocarray(q->p, q->cap + 16, sizeof(*p))) == NULL)
			return -1;
		q->p = p;
		q->cap += 16;
	}
	if ((q->p[q->n].l = ds_kafka_parts_list(parts, 0)) == NULL)
		return -1;
	q->p[q->n++].t = t;
	return 0;
}

rd_kafka_topic_partition_list_t *
ds_kafka_pending_done(struct ds_kafka_pending *q, int64_t done)
{
	size_t i, j;

	for (i = 0; i < q->n && q->p[i].t <= done; i++)
		;
	if (i == 0)
		return NULL;
	for (j = 0; j < i - 1; j++)
		rd_kafka_topic_partition_list_destroy(q->p[j].l);
	memmove(q->p, q->p + i - 1, (q->n - i + 1) * sizeof(*q->p));
	q->n -= i - 1;
	return q->p[0].l;
}

void
ds_kafka_pending_drop(struct ds_kafka_pending *q,
    const rd_kafka_topic_partition_list_t *l)
{
	size_t i;
	int j;

	for (i = 0; i < q->n; i++)
		for (j = 0; j < l->cnt; j++)
			(void)rd_kafka_topic_partition_list_del(q->p[i].l,
			    l->elems[j].topic, l->elems[j].partition);
}

int
ds_kafka_message_write(struct ds_writer *w, const rd_kafka_message_t *m,
    int meta)
{
	const char *topic = rd_kafka_topic_name(m->rkt);
	char num[DS_NUM_MAX];
	int64_t ts;

	if (meta) {
		ts = rd_kafka_message_timestamp(m, NULL);
		ds_write_field(w, m->key, m->key != NULL ? m->key_len : 0);
		ds_write_field(w, m->payload, m->len);
		ds_write_field(w, topic, strlen(topic));
		ds_write_field(w, num, ds_int_format(m->partition, num));
		ds_write_field(w, num, ds_int_format(m->offset, num));
		ds_write_field(w, num, ts == -1 ? 0 : ds_int_format(ts, num));
	} else
		ds_write_field(w, m->payload, m->len);
	return ds_write_end(w);
}

/*
 * Fetch p's messages [from, until) again, in order, by assigning it alone
 * at from, and write them to w; a gap (compaction, retention) ends the
 * range early.  0, or -1 with errno EIO (w failed) or ENOENT (the topic
 * cannot be read; why says so).
 */
static int
fetch(rd_kafka_t *rk, const struct ds_kafka_part *p, int64_t from,
    int64_t until, struct ds_writer *w, int meta, char *why, size_t whysize)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_message_t *m;
	int64_t at;
	int rc = 0;

	if ((l = rd_kafka_topic_partition_list_new(1)) == NULL)
		return -1;
	rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset =
	    from;
	rd_kafka_assign(rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	for (at = from; at < until && rc == 0; ) {
		if ((m = rd_kafka_consumer_poll(rk, 1000)) == NULL)
			continue;
		if (m->err != 0 && ds_kafka_topic_gone(m->err)) {
			snprintf(why, whysize, "topic %s: %s", p->topic,
			    rd_kafka_message_errstr(m));
			errno = ENOENT;
			rc = -1;
		} else if (m->err == 0 && m->partition == p->partition &&
		    strcmp(rd_kafka_topic_name(m->rkt), p->topic) == 0 &&
		    m->offset >= at) {
			if (m->offset < until &&
			    ds_kafka_message_write(w, m, meta) == -1) {
				errno = EIO;
				rc = -1;
			}
			at = m->offset + 1;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_assign(rk, NULL);
	return rc;
}

int
ds_kafka_replay(rd_kafka_t *rk, struct ds_kafka_parts *parts,
    const struct ds_ranges *lg, struct ds_writer *w, int meta, char *why,
    size_t whysize)
{
	struct ds_kafka_span s;
	size_t i;

	for (i = 0; i < lg->nent; i++) {
		if (ds_kafka_range(parts, &lg->ent[i], &s) == -1)
			return -1;
		if (s.part == -1) {
			if (ds_write_batch(w, s.from) == -1 ||
			    ds_writer_flush(w) == -1) {
				errno = EIO;
				return -1;
			}
		} else if (fetch(rk, &parts->p[s.part], s.from, s.until, w,
		    meta, why, whysize) == -1)
			return -1;
	}
	return 0;
}

/*
 * Rewrite the log as the positions, an empty span a partition, and the
 * batches kept.
 */
static int
log_rewrite(struct ds_ranges *lg, const struct ds_kafka_parts *parts)
{
	size_t i;

	for (i = 0; i < parts->n; i++)
		if (parts->p[i].pos != -1 && log_range(&lg->w, &parts->p[i],
		    parts->p[i].pos, parts->p[i].pos) == -1)
			return -1;
	return ds_ranges_rewrite(lg);
}

int
ds_kafka_log_open(struct ds_ranges *lg, const char *dir, const char *name,
    int64_t committed, struct ds_kafka_parts *parts)
{
	if (ds_ranges_open(lg, dir, name, "ds-kafka", committed, range_take,
	    parts) == -1)
		return -1;
	return log_rewrite(lg, parts);
}

int
ds_kafka_log_trim(struct ds_ranges *lg, int64_t committed,
    const struct ds_kafka_parts *parts)
{
	if (ds_ranges_trim(lg, committed) == -1)
		return -1;
	return log_rewrite(lg, parts);
}

rd_kafka_t *
ds_kafka_consumer_new(const struct ds_kafka_voice *v, const char *group,
    const char *reset, char *const *xopt, size_t nx,
    void (*rebalance)(rd_kafka_t *, rd_kafka_resp_err_t,
    rd_kafka_topic_partition_list_t *, void *), char *why, size_t whysize)
{
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char msg[512];
	size_t i;

	if ((conf = ds_kafka_conf_new(v, why, whysize)) == NULL)
		return NULL;
	if (ds_kafka_conf_set(conf, "enable.auto.commit=false", why,
	    whysize) == -1 ||
	    rd_kafka_conf_set(conf, "auto.offset.reset", reset, why,
	    whysize) != RD_KAFKA_CONF_OK ||
	    /* librdkafka's consumer queue needs one; only -g commits. */
	    rd_kafka_conf_set(conf, "group.id", group != NULL ? group :
	    "ds-kafka", why, whysize) != RD_KAFKA_CONF_OK ||
	    /* The others keep their partitions while one comes or goes. */
	    rd_kafka_conf_set(conf, "partition.assignment.strategy",
	    "cooperative-sticky", why, whysize) != RD_KAFKA_CONF_OK)
		goto bad;
	for (i = 0; i < nx; i++)
		if (ds_kafka_conf_set(conf, xopt[i], msg, sizeof(msg)) == -1) {
			snprintf(why, whysize, "-X %s", msg);
			goto bad;
		}
	if (group != NULL && ask_join_state(conf, why, whysize) == -1)
		goto bad;
	rd_kafka_conf_set_rebalance_cb(conf, rebalance);
	if ((rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, whysize)) ==
	    NULL) {
		errno = EINVAL;
		return NULL;
	}
	rd_kafka_poll_set_consumer(rk);
	return rk;
bad:
	rd_kafka_conf_destroy(conf);
	errno = EINVAL;
	return NULL;
}

rd_kafka_error_t *
ds_kafka_rebalanced(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *l,
    int assign, int grouped)
{
	const char *proto;
	rd_kafka_error_t *e = NULL;
	int coop;

	proto = grouped ? rd_kafka_rebalance_protocol(rk) : NULL;
	coop = proto != NULL && strcmp(proto, "COOPERATIVE") == 0;
	if (assign) {
		if (coop)
			e = rd_kafka_incremental_assign(rk, l);
		else
			rd_kafka_assign(rk, l);
		/* -R may have paused it while it was ours before. */
		rd_kafka_resume_partitions(rk, l);
	} else if (coop)
		e = rd_kafka_incremental_unassign(rk, l);
	else
		rd_kafka_assign(rk, NULL);
	return e;
}

int
ds_kafka_parts_resume(rd_kafka_t *rk, struct ds_kafka_parts *parts)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_error_t *e;
	size_t i;

	if ((l = ds_kafka_parts_list(parts, 1)) == NULL)
		return -1;
	if (l->cnt > 0) {
		rd_kafka_resume_partitions(rk, l);
		if ((e = rd_kafka_seek_partitions(rk, l, -1)) != NULL)
			rd_kafka_error_destroy(e);
	}
	rd_kafka_topic_partition_list_destroy(l);
	for (i = 0; i < parts->n; i++)
		parts->p[i].paused = parts->p[i].n = 0;
	return 0;
}

int
ds_kafka_pause(rd_kafka_t *rk, struct ds_kafka_part *p)
{
	rd_kafka_topic_partition_list_t *l;

	if ((l = rd_kafka_topic_partition_list_new(1)) == NULL)
		return -1;
	rd_kafka_topic_partition_list_add(l, p->topic, p->partition);
	rd_kafka_pause_partitions(rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	p->paused = 1;
	return 0;
}

int
ds_kafka_wake_open(struct ds_kafka_wake *wk, rd_kafka_t *rk)
{
	if (pipe2(wk->fd, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	wk->queue = rd_kafka_queue_get_consumer(rk);
	rd_kafka_queue_io_event_enable(wk->queue, wk->fd[1], "1", 1);
	return 0;
}

void
ds_kafka_wake_poll(struct ds_kafka_wake *wk, rd_kafka_t *rk,
    struct ds_recv *rv, int max, void (*take)(const rd_kafka_message_t *))
{
	rd_kafka_message_t *m;
	char drain[64];
	int n;

	while (read(wk->fd[0], drain, sizeof(drain)) > 0)
		;
	for (n = 0; n < max; n++) {
		if ((n & 255) == 255 && ds_recv_tick(rv) != 0)
			break;
		if ((m = rd_kafka_consumer_poll(rk, 0)) == NULL)
			return;
		take(m);
		rd_kafka_message_destroy(m);
	}
	/* Stopped before the queue was empty: librdkafka would not wake us. */
	(void)write(wk->fd[1], "1", 1);
}

void
ds_kafka_wake_close(struct ds_kafka_wake *wk)
{
	rd_kafka_queue_destroy(wk->queue);
	close(wk->fd[0]);
	close(wk->fd[1]);
}
