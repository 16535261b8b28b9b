/*
 * kinesis.h: what ds-kinesis and ds-kinesis-out share, apart from ds.h
 * so that only they see libcurl and jansson: the Kinesis JSON API over
 * HTTP, signed by libcurl (SigV4), with credentials and the region found
 * as the AWS tools find them.  Nothing here prints or exits.
 */
#ifndef DS_KINESIS_H
#define DS_KINESIS_H

#include <curl/curl.h>
#include <jansson.h>

#define DS_KINESIS_TRIES	10	/* tries of a call before giving up,
					   where a program gives up */

struct ds_kinesis {
	CURL		*h;
	struct curl_slist *hd;		/* Content-Type, the session token */
	char		*url;		/* the endpoint */
	char		 sigv4[128];	/* "aws:amz:REGION:kinesis" */
	char		*userpwd;	/* key:secret, never in a message */
	char		 region[64];
	long		 status;	/* the last call's HTTP status, or 0 */
	char		 type[96];	/* its error's __type, or "" */
	struct ds_buf	 body;		/* its response */
};

/*
 * Find the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN; else the profile AWS_PROFILE, or "default", of
 * AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials), the region
 * (region, else AWS_REGION, AWS_DEFAULT_REGION, the profile's in
 * AWS_CONFIG_FILE or ~/.aws/config) and the endpoint (endpoint, else
 * AWS_ENDPOINT_URL, else https://kinesis.REGION.amazonaws.com), and
 * prepare the calls; timeout is a call's limit in ms.  0, or -1 with
 * errno (EINVAL: why says what is missing; ENOMEM).
 */
int	ds_kinesis_open(struct ds_kinesis *, const char *endpoint,
	    const char *region, long timeout, char *why, size_t whysize);
void	ds_kinesis_close(struct ds_kinesis *);
/*
 * POST req (not consumed) as Kinesis_20131202.action and parse the
 * answer into *resp (the caller's to json_decref).  0, or -1 with errno:
 * EAGAIN, worth retrying (the peer down or slow, a 5xx, throttling:
 * ProvisionedThroughputExceeded, LimitExceeded ...); ENOENT, no such
 * stream or shard; EACCES, credentials refused; ESTALE, the iterator has
 * expired; EINVAL, any other request refused; EBADMSG, an answer that is
 * not JSON; ENOMEM.  why says what happened, never with a secret.
 */
int	ds_kinesis_call(struct ds_kinesis *, const char *action,
	    json_t *req, json_t **resp, char *why, size_t whysize);
/*
 * The wait before try tries + 1 of a call: full jitter, uniform in
 * [0, min(cap, base * 2^tries)] ms, at least 1.
 */
int64_t	ds_kinesis_backoff(int tries, int64_t base, int64_t cap);
/* Compare two sequence numbers (decimal strings): <0, 0, >0. */
int	ds_kinesis_seqcmp(const char *, const char *);
/* Append the base64 of len bytes to b, NUL-terminated.  0, or -1 ENOMEM. */
int	ds_kinesis_b64_encode(struct ds_buf *, const void *, size_t len);
/*
 * Decode the base64 string s into b (replacing its contents).  0, or -1
 * with errno EBADMSG (not base64) or ENOMEM.
 */
int	ds_kinesis_b64_decode(struct ds_buf *, const char *s, size_t len);

/* A copy of the string member key of o, or NULL (ENOMEM, or EBADMSG). */
char	*ds_kinesis_strdup(json_t *o, const char *key);

/*
 * The shards of a stream, as ListShards gives them, and where each has
 * been read to.  A shard is read once its parents are done: read to the
 * end of a closed shard, or trimmed away, or not listed (gone).
 */
#define DS_SHARD_WAIT	0	/* for its parents */
#define DS_SHARD_READ	1
#define DS_SHARD_DONE	2	/* closed and read to its end */

struct ds_kinesis_shard {
	char	*id;
	char	*parent, *adjparent;	/* or NULL */
	char	*iter;			/* the next GetRecords's, or NULL */
	char	*pos;			/* the last sequence number taken */
	int	 state;			/* DS_SHARD_* */
	int	 initial;		/* in the first listing: its start is
					   the program's */
	int	 ended;			/* done and not yet logged so */
	int	 listed;		/* ListShards has named it */
	int	 tries;			/* calls failed in a row */
	int	 timer;			/* the loop's, once read */
};

struct ds_kinesis_span;

struct ds_kinesis_shards {
	struct ds_kinesis_shard **s;
	size_t	 n, cap;
	int	 listtries;		/* ListShards failed in a row */
	struct ds_kinesis_span *run;	/* what the open batch took, in the
					   order it was taken */
	size_t	 nrun, runcap;
};

/* The shard named id, or NULL. */
struct ds_kinesis_shard *ds_kinesis_shard_find(struct ds_kinesis_shards *,
	    const char *id);
/*
 * Take a shard of ListShards's answer: a new one is added (initial as
 * said), a known one gets its parents.  0, or -1 with errno ENOMEM or
 * EBADMSG (no ShardId).
 */
int	ds_kinesis_shard_add(struct ds_kinesis_shards *, json_t *,
	    int initial);
/* Whether s may be read: each of its parents done or unknown. */
int	ds_kinesis_shard_ready(struct ds_kinesis_shards *,
	    const struct ds_kinesis_shard *);
/*
 * Whether s starts at its beginning rather than where the program says:
 * it was born after the first listing, or a parent has been read.
 */
int	ds_kinesis_shard_child(struct ds_kinesis_shards *,
	    const struct ds_kinesis_shard *);
/*
 * List the shards of stream, every page of ListShards, into v as
 * ds_kinesis_shard_add (initial as said).  0, or -1 with errno and why as
 * ds_kinesis_call (EBADMSG also for a shard without its id); the shards
 * of the pages before a failure are kept.
 */
int	ds_kinesis_list(struct ds_kinesis *, const char *stream,
	    struct ds_kinesis_shards *v, int initial, char *why,
	    size_t whysize);
/*
 * Get s an iterator (into s->iter) of type, a ShardIteratorType: after
 * s->pos when it has one, at time ts (seconds) for AT_TIMESTAMP.  0, or
 * -1 with errno and why as ds_kinesis_call (ENOENT: the shard is gone,
 * trimmed away).
 */
int	ds_kinesis_iterator(struct ds_kinesis *, const char *stream,
	    struct ds_kinesis_shard *s, const char *type, double ts,
	    char *why, size_t whysize);
/* Record seq as taken from s into the open batch.  0, or -1 ENOMEM. */
int	ds_kinesis_shard_took(struct ds_kinesis_shards *,
	    struct ds_kinesis_shard *, const char *seq);

/*
 * The log of ds-kinesis -c, DIR/kinesis-ranges.ds, a log of ranges
 * (ranges.c): per batch, an entry "span SHARD FIRST LAST" for each run of
 * records it took from a shard, in the order taken, and "done SHARD" for
 * each shard read to its end in it.  Its positions are "pos SHARD LAST"
 * for each shard read from and "done SHARD" for each read to its end.
 */
struct ds_kinesis_span {
	char	*shard;
	char	*first, *last;
};

/*
 * Open the log in dir for a restart: the shards' positions after every
 * batch it holds go into shards, and the log is rewritten as them and the
 * batches after committed, to replay (ds_ranges_open, ds_ranges_rewrite).
 * 0, or -1 with errno and lg->why.
 */
int	ds_kinesis_log_open(struct ds_ranges *lg, const char *dir,
	    int64_t committed, struct ds_kinesis_shards *);
/*
 * Log the batch of time t: the shards' runs and ends since the last, then
 * its end, synced.  0, 1 when it is time to trim, or -1 with errno and
 * lg->why (as ds_ranges_batch).
 */
int	ds_kinesis_log_batch(struct ds_ranges *lg, struct ds_kinesis_shards *,
	    int64_t t);
/*
 * Trim the log behind committed: rewritten as the shards' positions and
 * the batches after committed.  0, or -1 with errno and lg->why.
 */
int	ds_kinesis_log_trim(struct ds_ranges *lg, int64_t committed,
	    const struct ds_kinesis_shards *);
/*
 * Write to w again the batches of lg->ent: each span's
 * records fetched again by sequence number (a call that fails for a while
 * is retried DS_KINESIS_TRIES times, with backoff) and written as
 * ds_kinesis_record_write does, each batch end flushed.  0, or -1 with
 * errno and why: EIO (w failed; its error is w->error), ENOENT (the
 * records are no longer there, or the stream), or as ds_kinesis_call.
 */
int	ds_kinesis_replay(struct ds_kinesis *, const char *stream,
	    const struct ds_ranges *lg, struct ds_writer *w, int meta,
	    char *why, size_t whysize);

/*
 * Write the GetRecords record e of shard to w: its data, or with meta its
 * partition key, data, shard, sequence number and arrival time in ms;
 * its sequence number into *seq (NULL when it has none).  scratch holds
 * the decoded data.  0, or -1 with errno EBADMSG (a member missing, data
 * not base64) or w's.
 */
int	ds_kinesis_record_write(struct ds_writer *w, const char *shard,
	    json_t *e, int meta, struct ds_buf *scratch, const char **seq);
#endif /* DS_KINESIS_H */
