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

#endif /* DS_KINESIS_H */
