/*
 * kafka.h: what ds-kafka and ds-kafka-out share over librdkafka; its
 * objects (KAFKA_OBJ) are linked into those two programs only.  As
 * everywhere in lib/, nothing here prints or exits: messages go to the
 * program's say() function.
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
 * Take message m into its partition's batch (*ip its index, added if
 * new): 1, and its pos moves past m and its n goes up; 0 when m is to be
 * skipped, fetched while the partition was paused or before a seek back;
 * -1 with errno ENOMEM.
 */
int	ds_kafka_parts_take(struct ds_kafka_parts *,
	    const rd_kafka_message_t *m, ssize_t *ip);
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
 * The operands of ds-kafka into two new lists: topic, added to topics as
 * partition RD_KAFKA_PARTITION_UA (every partition) with a group, else to
 * assign, and topic:partition[,partition]..., each added to assign; a
 * group cannot have both.  0, or -1 with errno EINVAL (why says what is
 * wrong) or ENOMEM.  The operands are changed (each colon cut).
 */
int	ds_kafka_operands(int argc, char **argv, int group,
	    rd_kafka_topic_partition_list_t **topics,
	    rd_kafka_topic_partition_list_t **assign, char *why,
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
 * The offset ranges of a batch, in the order its messages went out:
 * spans of a partition's offsets [from, until).  ds-kafka -c logs them
 * (ranges.c) before each batch end, a record of topic, partition, from
 * and until a span, and replays a batch by fetching its spans again.
 */
struct ds_kafka_span {
	ssize_t		 part;		/* into a ds_kafka_parts, or -1 */
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
 * An entry of the log as a span of parts (its partition added if new,
 * whose pos becomes the span's until), or part -1 and from its time for
 * a batch end.  0, or -1 with errno EBADMSG (not a span) or ENOMEM.
 */
int	ds_kafka_range(struct ds_kafka_parts *, const struct ds_ranges_entry *,
	    struct ds_kafka_span *);
/*
 * -c at the start: open the log name in dir (ds_ranges_open; lg->last is
 * the last batch logged), set each partition's pos where the log's spans
 * end, and rewrite the log as those positions and the batches after
 * committed.  0, or -1 with errno and lg->why.
 */
int	ds_kafka_log_open(struct ds_ranges *lg, const char *dir,
	    const char *name, int64_t committed, struct ds_kafka_parts *);
/*
 * Then write to w again the batches of lg->ent: each
 * span's messages fetched again in order, by assigning its partition
 * alone at its start (nothing else may be assigned; a gap, compaction or
 * retention, ends a span early), then its batch end, flushed.  0, or -1
 * with errno EIO (w failed; its error is w->error), ENOENT (a topic
 * cannot be read; why says so) or ENOMEM.
 */
int	ds_kafka_replay(rd_kafka_t *, struct ds_kafka_parts *,
	    const struct ds_ranges *lg, struct ds_writer *w, int meta,
	    char *why, size_t whysize);
/*
 * Log the open batch's spans, then its end at t, synced; spans is
 * emptied.  0, 1 when it is time to trim, or -1 with errno and lg->why
 * (as ds_ranges_batch).
 */
int	ds_kafka_log_batch(struct ds_ranges *lg, const struct ds_kafka_parts *,
	    struct ds_kafka_spans *spans, int64_t t);
/*
 * Trim the log behind committed: rewritten as the partitions' positions
 * and the batches after committed.  0, or -1 with errno and lg->why.
 */
int	ds_kafka_log_trim(struct ds_ranges *lg, int64_t committed,
	    const struct ds_kafka_parts *);

/*
 * Write message m to w as a record: its value, or with meta its key,
 * value, topic, partition, offset and timestamp (0 when it has none).
 * 0, or -1 as the writer.
 */
int	ds_kafka_message_write(struct ds_writer *w, const rd_kafka_message_t *m,
	    int meta);

/*
 * A consumer of ds_kafka_conf_new(v), committing only when told, reading
 * from reset (earliest or latest) where nothing is committed, in group
 * (or ds-kafka's own, which a consumer needs), with the -X properties
 * xopt[0..nx) and rebalance as its rebalance callback; its messages
 * polled through its consumer queue.  The assignor is cooperative-sticky
 * unless -X says otherwise, so that members keep their partitions while
 * another comes or goes; with a group, librdkafka's join state is
 * watched for ds_kafka_rejoining.  NULL with errno EINVAL (why says what
 * was refused, a -X property as "-X NAME: ...") or ENOMEM.
 */
rd_kafka_t *ds_kafka_consumer_new(const struct ds_kafka_voice *v,
	    const char *group, const char *reset, char *const *xopt,
	    size_t nx, void (*rebalance)(rd_kafka_t *, rd_kafka_resp_err_t,
	    rd_kafka_topic_partition_list_t *, void *), char *why,
	    size_t whysize);

/*
 * Take the partitions of l (assign) or give them up, as a rebalance
 * callback must: under the cooperative protocol l is what is added or
 * taken away, under the eager one (and without a group, !grouped) every
 * partition is given anew.  Partitions taken are resumed, since a pause
 * outlives their being ours.  NULL, or librdkafka's error.
 */
rd_kafka_error_t *ds_kafka_rebalanced(rd_kafka_t *rk,
	    rd_kafka_topic_partition_list_t *l, int assign, int grouped);

/*
 * The consumer is rejoining its group: a commit sent now would be taken
 * by librdkafka 2.0 as the loss of every partition (its issue 4059), so
 * batch ends commit only when this is 0, the next commit carrying what
 * was skipped.
 */
int	ds_kafka_rejoining(void);

/*
 * A stopping member's synchronous commit of l: refused while the group
 * rebalances, it is made again once the rebalance is over, for at most
 * wait ms, so that the partitions' next owners start after what went
 * out (messages fetched meanwhile are dropped: they were not written).
 * librdkafka's error, 0 when it succeeded or there was nothing to commit.
 */
rd_kafka_resp_err_t ds_kafka_commit_last(rd_kafka_t *rk,
	    rd_kafka_topic_partition_list_t *l, int64_t wait);
/*
 * The partitions paused because their batch was full start again where
 * they stopped, and every partition's count for the batch goes to 0.
 * 0, or -1 with errno ENOMEM.
 */
int	ds_kafka_parts_resume(rd_kafka_t *, struct ds_kafka_parts *);
/* Pause p until ds_kafka_parts_resume.  0, or -1 with errno ENOMEM. */
int	ds_kafka_pause(rd_kafka_t *, struct ds_kafka_part *p);

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
 * The consumer's wakeup for a poll loop: librdkafka writes a byte to
 * fd[1] when its consumer queue goes from empty to not, so fd[0] turns
 * readable.  Open: 0, or -1 with errno from pipe2(2).
 */
struct ds_kafka_wake {
	rd_kafka_queue_t *queue;
	int		 fd[2];
};

int	ds_kafka_wake_open(struct ds_kafka_wake *, rd_kafka_t *);
/*
 * Drain the wakeup, then hand what the queue holds, up to max messages,
 * to take, ticking rv's clock every 256 (ds_recv_tick) so that batch
 * ends come in between on time; stopped before the queue is empty, wake
 * fd[0] again.
 */
void	ds_kafka_wake_poll(struct ds_kafka_wake *, rd_kafka_t *,
	    struct ds_recv *rv, int max,
	    void (*take)(const rd_kafka_message_t *));
void	ds_kafka_wake_close(struct ds_kafka_wake *);

/*
 * kafkaout.c: what ds-kafka-out knows of the messages it wrote, for the
 * exactly-once protocol of ds(7).  Under $DS_CHECKPOINT each message
 * carries three headers: the writer's id (16 hex digits, made at its
 * first start), its batch time and its index in the batch (from 0), both
 * in decimal.  The checkpoint DS_KAFKA_SENT holds the id, the topic, and
 * per partition the offset from which the writer's messages of the
 * batches after time t can lie; a read-back from there notes those of
 * them that are in the topic, so that a batch sent in part before a crash
 * is completed when it comes again, not sent twice.
 */
#define DS_KAFKA_SENT		"ds-kafka-out.sent"
#define DS_KAFKA_HDR_WRITER	"ds.writer"
#define DS_KAFKA_HDR_BATCH	"ds.batch"
#define DS_KAFKA_HDR_INDEX	"ds.index"
#define DS_KAFKA_WRITER_LEN	16

struct ds_kafka_seen {
	int64_t		 t;		/* its batch time */
	uint64_t	 index;		/* in the batch */
	int		 hit;		/* the batch came again with it */
};

struct ds_kafka_sent {
	char		 writer[DS_KAFKA_WRITER_LEN + 1];
	int64_t		 t;		/* the batch the ends are after, or -1 */
	int		 saved;		/* a checkpoint was loaded */
	int64_t		*end;		/* by partition, or -1: unknown */
	size_t		 nend;
	struct ds_kafka_seen *seen;	/* of the read-back, in order */
	size_t		 nseen, capseen, next;
};

/*
 * Load the checkpoint of dir for topic into s: DS_CKPT_NONE (s is a new
 * writer, with a fresh id), DS_CKPT_GOOD or DS_CKPT_PREVIOUS (c says why),
 * or -1 with errno: EBADMSG when refused (why says why: a checkpoint of
 * another topic is), or as ds_ckpt_open.
 */
int	ds_kafka_sent_load(const char *dir, const char *topic,
	    struct ds_kafka_sent *s, struct ds_ckpt *c, char *why,
	    size_t whysize);
/* Save s as the checkpoint of dir.  0, or -1 as ds_ckpt_save. */
int	ds_kafka_sent_save(const char *dir, const char *topic,
	    const struct ds_kafka_sent *s);
/* A message was delivered at offset.  0, or -1 with errno ENOMEM. */
int	ds_kafka_sent_delivered(struct ds_kafka_sent *s, int32_t partition,
	    int64_t offset);
/*
 * Read every partition of topic with rk, a consumer assigned nothing
 * whose enable.partition.eof is set, from s's end to the partition's
 * end, which becomes its new end; note the messages of s's writer of
 * batches after time after.  A partition without an end is read from its
 * start when s was loaded, else from its end.  Gives up after ms without
 * an answer.  0, or -1 with errno and why: ETIMEDOUT, ENOENT (the topic
 * cannot be read), EIO; or ENOMEM.
 */
int	ds_kafka_sent_readback(rd_kafka_t *rk, const char *topic,
	    struct ds_kafka_sent *s, int64_t after, int ms, char *why,
	    size_t whysize);
/*
 * Nonzero when message index of batch t was found by the read-back; asked
 * in increasing order of t and index.
 */
int	ds_kafka_sent_seen(struct ds_kafka_sent *s, int64_t t,
	    uint64_t index);
/*
 * Forget the messages found of the batches at or before t; returns how
 * many of them were never asked for (their batch did not come again
 * whole).
 */
size_t	ds_kafka_sent_forget(struct ds_kafka_sent *s, int64_t t);
void	ds_kafka_sent_free(struct ds_kafka_sent *s);
/*
 * The headers of message index of batch t, for s's writer; NULL with errno
 * ENOMEM.
 */
rd_kafka_headers_t *ds_kafka_sent_headers(const struct ds_kafka_sent *s,
	    int64_t t, uint64_t index);

/*
 * A message to send, from a record of line lineno: a batch's are held in
 * a buffer, copied, until the batch end gives their time.
 */
struct ds_kafka_msg {
	uint64_t	 lineno;
	const char	*key;		/* or NULL: none */
	size_t		 klen;
	const char	*val;
	size_t		 vlen;
};

/* Append a copy of m to b.  0, or -1 with errno ENOMEM. */
int	ds_kafka_hold(struct ds_buf *b, const struct ds_kafka_msg *m);
/*
 * The message held at *at in b into m (its bytes in b), *at moved past
 * it: 1, or 0 past the last one.
 */
int	ds_kafka_held(const struct ds_buf *b, size_t *at,
	    struct ds_kafka_msg *m);

/*
 * A consumer for ds_kafka_sent_readback, of the nx properties of xopt (a
 * producer's, whose own are ignored), seeing only the transactions
 * committed when committed is set, else every message.  NULL with errno
 * EINVAL or ENOMEM, why saying what.
 */
rd_kafka_t *ds_kafka_sent_reader(const struct ds_kafka_voice *,
	    char *const *xopt, size_t nx, int committed, char *why,
	    size_t whysize);

/*
 * kafkasink.c: ds-kafka-out's producer, its transactions (one a batch
 * when transactional.id is set) and, under $DS_CHECKPOINT, its part in
 * the exactly-once protocol of ds(7).  Each function fails as -1 with
 * errno and why, a whole message for the program to print as it is; an
 * empty why (errno EIO) means that the flush writer failed, its error
 * being its own.
 */
struct ds_kafka_sink {
	rd_kafka_t	*rk;
	rd_kafka_topic_t *rkt;
	const char	*topic;
	const char	*input;		/* the records' input, for messages */
	const struct ds_kafka_voice *voice; /* says the warnings */
	struct ds_writer *flush;	/* flushed before a wait, or NULL */
	const char	*dir;		/* $DS_CHECKPOINT, or NULL */
	struct ds_kafka_sent sent;
	int64_t		 committed;	/* the batch time committed, or -1 */
	struct ds_buf	 batch;		/* under dir: the open batch, held */
	int		 txn;		/* transactional.id is set */
	int		 intxn;		/* a transaction is open */
	int		 timeout;	/* message.timeout.ms */
	int		 nomem;		/* a delivery could not be noted */
	/* The open batch's messages not yet reported, and the first failure. */
	unsigned long long outstanding;
	rd_kafka_resp_err_t failure;
	int32_t		 failpart;
	int64_t		 failline;
};

/*
 * A producer of conf (which s owns from now on) writing to topic, the
 * records coming from input; s->voice and s->flush are set after.  Under
 * transactional.id, a producer of the same id before it is fenced.  0,
 * or -1: with errno EINVAL and s->rk NULL when librdkafka refuses conf.
 */
int	ds_kafka_sink_open(struct ds_kafka_sink *s, rd_kafka_conf_t *conf,
	    const char *topic, const char *input, char *why, size_t whysize);
/*
 * Take part in the protocol under dir: learn what was committed, and read
 * back from the topic what was sent after it, with a consumer of the
 * producer's nx -X options xopt.  A checkpoint that fell back to its
 * previous one is said.  0, or -1.
 */
int	ds_kafka_sink_start(struct ds_kafka_sink *s, const char *dir,
	    char *const *xopt, size_t nx, char *why, size_t whysize);
/*
 * Send message m, in the open transaction; with t not -1, as message
 * index of batch t, with the headers that say so.  0, or -1.
 */
int	ds_kafka_sink_send(struct ds_kafka_sink *s,
	    const struct ds_kafka_msg *m, int64_t t, uint64_t index,
	    char *why, size_t whysize);
/* Send m, or under dir hold it for its batch end.  0, or -1. */
int	ds_kafka_sink_record(struct ds_kafka_sink *s,
	    const struct ds_kafka_msg *m, char *why, size_t whysize);
/*
 * Batch t ended: send what was held of it but what is in the topic
 * already, wait for every delivery (librdkafka retrying until
 * message.timeout.ms), commit the transaction, and under dir save where
 * the messages end and commit t.  0, or -1.
 */
int	ds_kafka_sink_batch(struct ds_kafka_sink *s, int64_t t, char *why,
	    size_t whysize);
/* The end of the stream: wait for what is left and commit it.  0, or -1. */
int	ds_kafka_sink_end(struct ds_kafka_sink *s, char *why, size_t whysize);
void	ds_kafka_sink_close(struct ds_kafka_sink *s);

#endif /* DS_KAFKA_H */
