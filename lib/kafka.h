/*
 * kafka.h: what ds-kafka and ds-kafka-out share over librdkafka; lib/kafka.o
 * is linked into those two programs only.  As everywhere in lib/, nothing
 * here prints or exits: messages go to the program's say() function.
 */
#ifndef DS_KAFKA_H
#define DS_KAFKA_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ds.h"

#include <librdkafka/rdkafka.h>

/*
 * What a program says about its link to the cluster: ds_kafka_conf_new
 * installs librdkafka's log, error and statistics callbacks, which call
 * say() with a line to print (a program passes a function that calls
 * warnx) and fatal() with one to print before exiting 1.  Only warnings
 * and worse of librdkafka's log reach say(), and not the broker
 * connection failures: an outage (every broker down) is said once, as
 * "BROKERS: WHY; OUTAGE", and its end as "BROKERS: connected".
 */
struct ds_kafka_voice {
	const char	*brokers;
	const char	*outage;	/* or NULL */
	void		(*say)(const char *);
	void		(*fatal)(const char *);
	/* librdkafka's debug lines, by facility; or NULL.  Called from
	   librdkafka's threads. */
	void		(*debug)(const char *fac, const char *line);
};

/*
 * A configuration with bootstrap.servers set to v->brokers, and the
 * callbacks above (statistics.interval.ms is set, for the outage's end;
 * one configuration a process).  NULL with errno ENOMEM or EINVAL (why
 * says what).
 */
rd_kafka_conf_t *ds_kafka_conf_new(const struct ds_kafka_voice *,
	    char *why, size_t whysize);

/*
 * Set property=value, the argument of an -X option.  0, or -1 with errno
 * EINVAL and why naming the property and librdkafka's complaint, never
 * the value (it may be a password).
 */
int	ds_kafka_conf_set(rd_kafka_conf_t *, const char *arg, char *why,
	    size_t whysize);

/*
 * The partitions a consumer reads, with where its emitted messages end:
 * a small table, looked up by topic and partition (the last one found is
 * tried first, messages coming in runs of one partition).
 */
struct ds_kafka_part {
	char		*topic;
	int32_t		 partition;
	int64_t		 pos;		/* offset after the last emitted, or
					   -1 */
	long long	 n;		/* messages in the open batch */
	int		 paused;	/* its batch is full (-R) */
	int		 owned;		/* assigned to this consumer */
};

struct ds_kafka_parts {
	struct ds_kafka_part *p;
	size_t		 n, cap, last;
};

/* The index of topic's partition, added if new; -1 with errno ENOMEM. */
ssize_t	ds_kafka_part(struct ds_kafka_parts *, const char *topic,
	    int32_t partition);
/*
 * A list of the partitions owned whose pos is known, with pos as offset
 * (only those with paused set, when paused is nonzero); NULL on ENOMEM.
 */
rd_kafka_topic_partition_list_t *ds_kafka_parts_list(
	    const struct ds_kafka_parts *, int paused);

/*
 * The partitions of l are assigned: owned, not paused, and each offset of
 * l set to the partition's pos when known; with forget, pos is forgotten
 * instead (the group's commit says where to start).  0, or -1 with errno
 * ENOMEM.
 */
int	ds_kafka_parts_assign(struct ds_kafka_parts *,
	    rd_kafka_topic_partition_list_t *, int forget);
/*
 * The partitions of l are taken away: the list of their known positions
 * (to commit), and with forget their pos forgotten.  NULL on ENOMEM.
 */
rd_kafka_topic_partition_list_t *ds_kafka_parts_revoke(
	    struct ds_kafka_parts *, const rd_kafka_topic_partition_list_t *,
	    int forget);

/*
 * Nonzero when a message's error means the topic cannot be read (it does
 * not exist, or the client may not read it), not a passing failure.
 */
int	ds_kafka_topic_gone(rd_kafka_resp_err_t);

/*
 * Append "topic:0,1 other:2", the partitions of l, to b.  0, or -1 with
 * errno ENOMEM.
 */
int	ds_kafka_parts_format(struct ds_buf *,
	    const rd_kafka_topic_partition_list_t *);

/*
 * An operand of ds-kafka: topic, added to topics as partition
 * RD_KAFKA_PARTITION_UA (every partition), or topic:partition[,partition]
 * ..., each added to assign.  0, or -1 with errno EINVAL and why saying
 * what is wrong.  arg is changed (the colon cut).
 */
int	ds_kafka_operand(char *arg, rd_kafka_topic_partition_list_t *topics,
	    rd_kafka_topic_partition_list_t *assign, char *why,
	    size_t whysize);

/*
 * Expand want, where a partition of RD_KAFKA_PARTITION_UA stands for
 * every partition of its topic, into *out (offsets
 * RD_KAFKA_OFFSET_INVALID), asking the cluster for at most ms.  0, or -1
 * with errno EAGAIN (no answer: the brokers are down) or ENOENT (a topic
 * is not there; why names it and says the broker's error), or ENOMEM.
 */
int	ds_kafka_expand(rd_kafka_t *, const rd_kafka_topic_partition_list_t
	    *want, int ms, rd_kafka_topic_partition_list_t **out, char *why,
	    size_t whysize);

/*
 * The offset ranges of batches, in the order their messages went out:
 * spans of a partition's offsets [from, until), and batch ends (part
 * -1, from the batch time).  ds-kafka -c logs them before each batch end
 * and replays a batch by fetching its spans again.
 */
struct ds_kafka_span {
	ssize_t		 part;		/* into a struct ds_kafka_parts, or -1 */
	int64_t		 from;		/* or the batch time */
	int64_t		 until;
};

struct ds_kafka_spans {
	struct ds_kafka_span *s;
	size_t		 n, cap;
};

/*
 * Add a span, or extend the last one when it is part's and ends at from.
 * 0, or -1 with errno ENOMEM.
 */
int	ds_kafka_span(struct ds_kafka_spans *, ssize_t part, int64_t from,
	    int64_t until);
/*
 * Read a log written by ds_kafka_log_write from fd (name for messages):
 * its spans into spans, the partitions into parts, each partition's pos
 * the end of its last span.  What follows the last batch end (a batch a
 * crash cut short) is dropped.  0, or -1 with errno: EBADMSG (why says
 * where), or from reading, malloc(3).
 */
int	ds_kafka_log_read(int fd, const char *name, struct ds_kafka_parts *,
	    struct ds_kafka_spans *, char *why, size_t whysize);
/*
 * Write spans[from..n) to w as the log has them: a record of topic,
 * partition, from and until for a span, a batch end for a batch end.
 * 0, or -1 as the writer.
 */
int	ds_kafka_log_write(struct ds_writer *, const struct ds_kafka_parts *,
	    const struct ds_kafka_spans *, size_t from);
/*
 * Open the log name in dir (made if need be) for a restart: read it, keep
 * the batches up to time done as each partition's position only, and
 * store in *replay the spans of those after it from index *from on, the
 * last batch time in *last (-1: none), and the rewritten log, synced and
 * renamed into place, as writer w for the batches to come (sync it at
 * each batch end).  0, or -1 with errno and why naming the file (EBADMSG:
 * why says what is wrong).
 */
int	ds_kafka_log_open(const char *dir, const char *name, int64_t done,
	    struct ds_kafka_parts *, struct ds_kafka_spans *replay,
	    size_t *from, int64_t *last, struct ds_writer *w, char *why,
	    size_t whysize);

/*
 * The positions after batches that went out but that the pipeline may
 * not have finished: a group commits a batch's positions only once it is
 * done.
 */
struct ds_kafka_pend {
	int64_t		 t;
	rd_kafka_topic_partition_list_t *l;
};

struct ds_kafka_pending {
	struct ds_kafka_pend *p;
	size_t		 n, cap;
};

/* Keep the positions of parts after batch t.  0, or -1 with errno ENOMEM. */
int	ds_kafka_pending_push(struct ds_kafka_pending *, int64_t t,
	    const struct ds_kafka_parts *);
/*
 * The positions after the newest batch at or before done (kept, as the
 * oldest, until a newer one is done), or NULL when none is; the older
 * ones are forgotten.
 */
rd_kafka_topic_partition_list_t *ds_kafka_pending_done(
	    struct ds_kafka_pending *, int64_t done);
/* Forget the positions of the partitions of l, which are no longer ours. */
void	ds_kafka_pending_drop(struct ds_kafka_pending *,
	    const rd_kafka_topic_partition_list_t *l);

/*
 * Fetch partition's messages [from, until) again, in order, by assigning
 * it alone at from (nothing else may be assigned), and hand each to fn; a
 * gap (compaction, retention) ends the range early.  0, or -1: fn's -1,
 * or errno ENOENT when the topic cannot be read (why says so).
 */
int	ds_kafka_fetch(rd_kafka_t *, const char *topic, int32_t partition,
	    int64_t from, int64_t until, int (*fn)(const rd_kafka_message_t *),
	    char *why, size_t whysize);

#endif /* DS_KAFKA_H */
