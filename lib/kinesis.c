/*
 * kinesis.c: the Kinesis JSON API over libcurl, signed by libcurl's
 * SigV4, with credentials and region found as the AWS tools find them.
 */

/* asprintf(3) */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <resolv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ds.h"
#include "kinesis.h"

#define TARGET	"X-Amz-Target: Kinesis_20131202."

static char	*ini_get(const char *path, const char *section,
		    const char *key);
static char	*dotaws(const char *env, const char *file);
static size_t	 collect(char *, size_t, size_t, void *);
static int	 classify(const char *type, long status);

int
ds_kinesis_open(struct ds_kinesis *k, const char *endpoint,
    const char *region, long timeout, char *why, size_t whysize)
{
	const char *profile, *id, *secret, *token;
	char *path = NULL, *cid = NULL, *csecret = NULL, *ctoken = NULL;
	char *cregion = NULL, section[160], hdr[4096];
	int n, rc = -1;

	memset(k, 0, sizeof(*k));
	if ((profile = getenv("AWS_PROFILE")) == NULL || *profile == '\0')
		profile = "default";
	id = getenv("AWS_ACCESS_KEY_ID");
	secret = getenv("AWS_SECRET_ACCESS_KEY");
	token = getenv("AWS_SESSION_TOKEN");
	if (id == NULL || *id == '\0' || secret == NULL || *secret == '\0') {
		if ((path = dotaws("AWS_SHARED_CREDENTIALS_FILE",
		    "credentials")) != NULL) {
			cid = ini_get(path, profile, "aws_access_key_id");
			csecret = ini_get(path, profile,
			    "aws_secret_access_key");
			ctoken = ini_get(path, profile, "aws_session_token");
		}
		free(path);
		path = NULL;
		if (cid == NULL || csecret == NULL) {
			snprintf(why, whysize, "no credentials: neither "
			    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY nor "
			    "profile %s in ~/.aws/credentials", profile);
			errno = EINVAL;
			goto out;
		}
		id = cid;
		secret = csecret;
		token = ctoken;
	}
	if (region == NULL || *region == '\0')
		region = getenv("AWS_REGION");
	if (region == NULL || *region == '\0')
		region = getenv("AWS_DEFAULT_REGION");
	if ((region == NULL || *region == '\0') &&
	    (path = dotaws("AWS_CONFIG_FILE", "config")) != NULL) {
		/* The config file spells its sections "profile NAME". */
		if (strcmp(profile, "default") == 0)
			snprintf(section, sizeof(section), "default");
		else
			snprintf(section, sizeof(section), "profile %s",
			    profile);
		region = cregion = ini_get(path, section, "region");
	}
	if (region == NULL || *region == '\0') {
		snprintf(why, whysize, "no region: neither -R, AWS_REGION, "
		    "AWS_DEFAULT_REGION nor a region in ~/.aws/config");
		errno = EINVAL;
		goto out;
	}
	if (strlen(region) >= sizeof(k->region) ||
	    strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
	    strlen(region)) {
		snprintf(why, whysize, "region %s: not a region name", region);
		errno = EINVAL;
		goto out;
	}
	snprintf(k->region, sizeof(k->region), "%s", region);
	snprintf(k->sigv4, sizeof(k->sigv4), "aws:amz:%s:kinesis", region);
	if (endpoint == NULL || *endpoint == '\0')
		endpoint = getenv("AWS_ENDPOINT_URL");
	if (endpoint != NULL && *endpoint != '\0')
		k->url = strdup(endpoint);
	else if (asprintf(&k->url, "https://kinesis.%s.amazonaws.com/",
	    region) == -1)
		k->url = NULL;
	if (k->url == NULL || asprintf(&k->userpwd, "%s:%s", id,
	    secret) == -1) {
		k->userpwd = NULL;
		goto nomem;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (k->h = curl_easy_init()) == NULL)
		goto nomem;
	k->hd = curl_slist_append(NULL,
	    "Content-Type: application/x-amz-json-1.1");
	if (k->hd == NULL)
		goto nomem;
	if (token != NULL && *token != '\0') {
		n = snprintf(hdr, sizeof(hdr), "X-Amz-Security-Token: %s",
		    token);
		if (n < 0 || (size_t)n >= sizeof(hdr)) {
			snprintf(why, whysize, "AWS_SESSION_TOKEN: too long");
			errno = EINVAL;
			goto out;
		}
		if (curl_slist_append(k->hd, hdr) == NULL)
			goto nomem;
		explicit_bzero(hdr, sizeof(hdr));
	}
	curl_easy_setopt(k->h, CURLOPT_URL, k->url);
	curl_easy_setopt(k->h, CURLOPT_AWS_SIGV4, k->sigv4);
	curl_easy_setopt(k->h, CURLOPT_USERPWD, k->userpwd);
	curl_easy_setopt(k->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k->h, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(k->h, CURLOPT_CONNECTTIMEOUT_MS,
	    timeout < 2000 ? timeout : 2000L);
	curl_easy_setopt(k->h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(k->h, CURLOPT_WRITEDATA, &k->body);
	curl_easy_setopt(k->h, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = 0;
	goto out;
nomem:
	snprintf(why, whysize, "%s", strerror(ENOMEM));
	errno = ENOMEM;
out:
	if (csecret != NULL)
		explicit_bzero(csecret, strlen(csecret));
	if (ctoken != NULL)
		explicit_bzero(ctoken, strlen(ctoken));
	free(cid);
	free(csecret);
	free(ctoken);
	free(cregion);
	free(path);
	if (rc == -1) {
		n = errno;
		ds_kinesis_close(k);
		errno = n;
	}
	return rc;
}

void
ds_kinesis_close(struct ds_kinesis *k)
{
	if (k->h != NULL) {
		curl_easy_cleanup(k->h);
		curl_global_cleanup();
	}
	curl_slist_free_all(k->hd);
	if (k->userpwd != NULL)
		explicit_bzero(k->userpwd, strlen(k->userpwd));
	free(k->userpwd);
	free(k->url);
	ds_buf_free(&k->body);
	memset(k, 0, sizeof(*k));
}

int
ds_kinesis_call(struct ds_kinesis *k, const char *action, json_t *req,
    json_t **resp, char *why, size_t whysize)
{
	struct curl_slist *hd, target;
	json_error_t jerr;
	json_t *j, *v;
	const char *type, *msg;
	char *body, tbuf[128];
	CURLcode c;
	int e;

	*resp = NULL;
	k->status = 0;
	k->type[0] = '\0';
	k->body.len = 0;
	if ((body = json_dumps(req, JSON_COMPACT)) == NULL) {
		errno = ENOMEM;
		snprintf(why, whysize, "%s", strerror(errno));
		return -1;
	}
	/* The action's header goes first, before the shared ones. */
	snprintf(tbuf, sizeof(tbuf), TARGET "%s", action);
	target.data = tbuf;
	target.next = k->hd;
	hd = &target;
	curl_easy_setopt(k->h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(k->h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(k->h, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)strlen(body));
	c = curl_easy_perform(k->h);
	curl_easy_setopt(k->h, CURLOPT_HTTPHEADER, NULL);
	free(body);
	if (c != CURLE_OK) {
		snprintf(why, whysize, "%s", curl_easy_strerror(c));
		errno = c == CURLE_OUT_OF_MEMORY ? ENOMEM : EAGAIN;
		return -1;
	}
	curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, &k->status);
	if (k->body.len == 0 && k->status == 200) {
		*resp = json_object();
		return *resp == NULL ? -1 : 0;
	}
	j = json_loadb(k->body.data != NULL ? k->body.data : "", k->body.len,
	    0, &jerr);
	if (k->status == 200) {
		if (j == NULL || !json_is_object(j)) {
			json_decref(j);
			snprintf(why, whysize, "an answer that is not JSON: "
			    "%s", jerr.text);
			errno = EBADMSG;
			return -1;
		}
		*resp = j;
		return 0;
	}
	type = msg = "";
	if (j != NULL) {
		if ((v = json_object_get(j, "__type")) != NULL &&
		    json_is_string(v))
			type = json_string_value(v);
		if (((v = json_object_get(j, "message")) != NULL ||
		    (v = json_object_get(j, "Message")) != NULL) &&
		    json_is_string(v))
			msg = json_string_value(v);
	}
	/* "com.amazon.coral.service#UnrecognizedClientException" */
	if (strrchr(type, '#') != NULL)
		type = strrchr(type, '#') + 1;
	snprintf(k->type, sizeof(k->type), "%s", type);
	if (*type == '\0')
		snprintf(why, whysize, "HTTP %ld", k->status);
	else if (*msg == '\0')
		snprintf(why, whysize, "%s (HTTP %ld)", type, k->status);
	else
		snprintf(why, whysize, "%s: %s (HTTP %ld)", type, msg,
		    k->status);
	e = classify(type, k->status);
	json_decref(j);
	errno = e;
	return -1;
}

/* The errno of an error answer: what the caller is to do about it. */
static int
classify(const char *type, long status)
{
	static const char *const retry[] = {
		"ProvisionedThroughputExceededException",
		"ThrottlingException", "LimitExceededException",
		"KMSThrottlingException", "InternalFailure",
		"ServiceUnavailable", "RequestExpired", NULL
	};
	static const char *const denied[] = {
		"UnrecognizedClientException", "InvalidSignatureException",
		"AccessDeniedException", "MissingAuthenticationToken",
		"MissingAuthenticationTokenException", "IncompleteSignature",
		"ExpiredTokenException", "InvalidClientTokenId",
		"AccessDenied", NULL
	};
	size_t i;

	for (i = 0; retry[i] != NULL; i++)
		if (strcmp(type, retry[i]) == 0)
			return EAGAIN;
	for (i = 0; denied[i] != NULL; i++)
		if (strcmp(type, denied[i]) == 0)
			return EACCES;
	if (strcmp(type, "ResourceNotFoundException") == 0)
		return ENOENT;
	if (strcmp(type, "ExpiredIteratorException") == 0)
		return ESTALE;
	if (status >= 500 || status == 429 || status == 408)
		return EAGAIN;
	if (status == 403)
		return EACCES;
	return EINVAL;
}

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	if (ds_buf_append(arg, p, n) == -1)
		return 0;	/* curl fails the transfer */
	(void)size;	/* always 1 */
	return n;
}

int64_t
ds_kinesis_backoff(int tries, int64_t base, int64_t cap)
{
	int64_t top = base;

	while (tries-- > 0 && top < cap)
		top *= 2;
	if (top > cap)
		top = cap;
	return 1 + (int64_t)arc4random_uniform((uint32_t)top);
}

int
ds_kinesis_seqcmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

int
ds_kinesis_b64_encode(struct ds_buf *b, const void *p, size_t len)
{
	size_t n = (len + 2) / 3 * 4 + 1;
	int m;

	if (ds_buf_reserve(b, n) == -1)
		return -1;
	if ((m = b64_ntop(p, len, b->data + b->len, n)) == -1) {
		errno = EINVAL;
		return -1;
	}
	b->len += (size_t)m + 1;	/* the NUL goes with it */
	return 0;
}

int
ds_kinesis_b64_decode(struct ds_buf *b, const char *s, size_t len)
{
	char *z;
	int m;

	b->len = 0;
	if (ds_buf_reserve(b, len / 4 * 3 + 3) == -1)
		return -1;
	/* b64_pton reads a NUL-terminated string; jansson's are. */
	z = (char *)s;
	if (strlen(z) != len ||
	    (m = b64_pton(z, (unsigned char *)b->data, len / 4 * 3 + 3)) ==
	    -1) {
		errno = EBADMSG;
		return -1;
	}
	b->len = (size_t)m;
	return 0;
}

/* The file of env, else ~/.aws/file; NULL when neither can be named. */
static char *
dotaws(const char *env, const char *file)
{
	const char *v, *home;
	char *p;

	if ((v = getenv(env)) != NULL && *v != '\0')
		return strdup(v);
	if ((home = getenv("HOME")) == NULL || *home == '\0')
		return NULL;
	if (asprintf(&p, "%s/.aws/%s", home, file) == -1)
		return NULL;
	return p;
}

/*
 * The value of key in [section] of an INI file as the AWS tools write
 * it (key = value, # and ; comments), or NULL.
 */
static char *
ini_get(const char *path, const char *section, const char *key)
{
	FILE *f;
	char *line = NULL, *p, *e, *val = NULL;
	size_t cap = 0, klen = strlen(key);
	int in = 0;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	while (getline(&line, &cap, f) != -1) {
		p = line + strspn(line, " \t");
		e = p + strcspn(p, "\r\n");
		*e = '\0';
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*p == '#' || *p == ';' || *p == '\0')
			continue;
		if (*p == '[') {
			p++;
			p += strspn(p, " \t");
			if ((e = strchr(p, ']')) == NULL)
				continue;
			while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			in = (size_t)(e - p) == strlen(section) &&
			    strncmp(p, section, e - p) == 0;
			continue;
		}
		if (!in || strncmp(p, key, klen) != 0)
			continue;
		p += klen;
		p += strspn(p, " \t");
		if (*p++ != '=')
			continue;
		p += strspn(p, " \t");
		free(val);
		val = strdup(p);
	}
	if (line != NULL)
		explicit_bzero(line, cap);
	free(line);
	fclose(f);
	return val;
}

char *
ds_kinesis_strdup(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v)) {
		errno = EBADMSG;
		return NULL;
	}
	return strdup(json_string_value(v));
}

struct ds_kinesis_shard *
ds_kinesis_shard_find(struct ds_kinesis_shards *v, const char *id)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->s[i]->id, id) == 0)
			return v->s[i];
	return NULL;
}

/* The shard id, added when new. */
static struct ds_kinesis_shard *
shard_get(struct ds_kinesis_shards *v, const char *id, int initial)
{
	struct ds_kinesis_shard *s, **p;

	if ((s = ds_kinesis_shard_find(v, id)) != NULL)
		return s;
	if (v->n == v->cap) {
		if ((p = reallocarray(v->s, v->cap * 2 + 8, sizeof(*p))) ==
		    NULL)
			return NULL;
		v->s = p;
		v->cap = v->cap * 2 + 8;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->id = strdup(id)) == NULL) {
		free(s);
		return NULL;
	}
	s->initial = initial;
	s->timer = -1;
	v->s[v->n++] = s;
	return s;
}

int
ds_kinesis_shard_add(struct ds_kinesis_shards *v, json_t *o, int initial)
{
	struct ds_kinesis_shard *s;
	json_t *id = json_object_get(o, "ShardId");

	if (!json_is_string(id)) {
		errno = EBADMSG;
		return -1;
	}
	if ((s = shard_get(v, json_string_value(id), initial)) == NULL)
		return -1;
	if (s->listed)
		return 0;
	s->listed = 1;
	s->initial = initial;
	if (json_is_string(json_object_get(o, "ParentShardId")) &&
	    (s->parent = ds_kinesis_strdup(o, "ParentShardId")) == NULL)
		return -1;
	if (json_is_string(json_object_get(o, "AdjacentParentShardId")) &&
	    (s->adjparent = ds_kinesis_strdup(o, "AdjacentParentShardId")) ==
	    NULL)
		return -1;
	return 0;
}

/* Parent id of s, when known and listed. */
static struct ds_kinesis_shard *
parent(struct ds_kinesis_shards *v, const char *id)
{
	struct ds_kinesis_shard *p;

	if (id == NULL || (p = ds_kinesis_shard_find(v, id)) == NULL ||
	    !p->listed)
		return NULL;
	return p;
}

int
ds_kinesis_shard_ready(struct ds_kinesis_shards *v,
    const struct ds_kinesis_shard *s)
{
	const struct ds_kinesis_shard *p;

	if ((p = parent(v, s->parent)) != NULL && p->state != DS_SHARD_DONE)
		return 0;
	if ((p = parent(v, s->adjparent)) != NULL &&
	    p->state != DS_SHARD_DONE)
		return 0;
	return 1;
}

int
ds_kinesis_shard_child(struct ds_kinesis_shards *v,
    const struct ds_kinesis_shard *s)
{
	const struct ds_kinesis_shard *p;

	if (!s->initial)
		return 1;
	if ((p = parent(v, s->parent)) != NULL && p->pos != NULL)
		return 1;
	if ((p = parent(v, s->adjparent)) != NULL && p->pos != NULL)
		return 1;
	return 0;
}

int
ds_kinesis_shard_took(struct ds_kinesis_shards *v, struct ds_kinesis_shard *s,
    const char *seq)
{
	struct ds_kinesis_span *r;
	char *p;

	if ((p = strdup(seq)) == NULL)
		return -1;
	free(s->pos);
	s->pos = p;
	r = v->nrun > 0 ? &v->run[v->nrun - 1] : NULL;
	if (r != NULL && strcmp(r->shard, s->id) == 0) {
		if ((p = strdup(seq)) == NULL)
			return -1;
		free(r->last);
		r->last = p;
		return 0;
	}
	if (v->nrun == v->runcap) {
		if ((r = reallocarray(v->run, v->runcap * 2 + 16,
		    sizeof(*r))) == NULL)
			return -1;
		v->run = r;
		v->runcap = v->runcap * 2 + 16;
	}
	r = &v->run[v->nrun];
	if ((r->shard = strdup(s->id)) == NULL)
		return -1;
	if ((r->first = strdup(seq)) == NULL ||
	    (r->last = strdup(seq)) == NULL) {
		free(r->first);
		free(r->shard);
		return -1;
	}
	v->nrun++;
	return 0;
}

int
ds_kinesis_list(struct ds_kinesis *k, const char *stream,
    struct ds_kinesis_shards *v, int initial, char *why, size_t whysize)
{
	json_t *req, *resp, *e;
	char *token = NULL;
	size_t i;
	int rc;

	for (;;) {
		req = token != NULL ? json_pack("{s:s}", "NextToken", token) :
		    json_pack("{s:s}", "StreamName", stream);
		free(token);
		token = NULL;
		if (req == NULL) {
			errno = ENOMEM;
			return -1;
		}
		rc = ds_kinesis_call(k, "ListShards", req, &resp, why, whysize);
		json_decref(req);
		if (rc == -1)
			return -1;
		json_array_foreach(json_object_get(resp, "Shards"), i, e)
			if ((rc = ds_kinesis_shard_add(v, e, initial)) == -1)
				break;
		e = json_object_get(resp, "NextToken");
		if (rc == 0 && json_is_string(e) &&
		    (token = strdup(json_string_value(e))) == NULL)
			rc = -1;
		json_decref(resp);
		if (rc == -1 && errno == EBADMSG)
			snprintf(why, whysize, "ListShards: a shard without "
			    "its ShardId");
		if (rc == -1 || token == NULL)
			return rc;
	}
}

int
ds_kinesis_iterator(struct ds_kinesis *k, const char *stream,
    struct ds_kinesis_shard *s, const char *type, double ts, char *why,
    size_t whysize)
{
	json_t *req, *resp;
	int rc;

	req = json_pack("{s:s, s:s, s:s}", "StreamName", stream, "ShardId",
	    s->id, "ShardIteratorType", type);
	if (req == NULL || (s->pos != NULL && json_object_set_new(req,
	    "StartingSequenceNumber", json_string(s->pos)) == -1) ||
	    (strcmp(type, "AT_TIMESTAMP") == 0 && json_object_set_new(req,
	    "Timestamp", json_real(ts)) == -1)) {
		json_decref(req);
		errno = ENOMEM;
		return -1;
	}
	rc = ds_kinesis_call(k, "GetShardIterator", req, &resp, why, whysize);
	json_decref(req);
	if (rc == -1)
		return -1;
	if ((s->iter = ds_kinesis_strdup(resp, "ShardIterator")) == NULL &&
	    errno == EBADMSG)
		snprintf(why, whysize, "GetShardIterator: no ShardIterator");
	json_decref(resp);
	return s->iter == NULL ? -1 : 0;
}

#define LOG_NAME	"kinesis-ranges.ds"

/* Whether field f of e is word w. */
static int
is_word(const struct ds_ranges_entry *e, size_t f, const char *w)
{
	return e->nfield > f && e->field[f].len == strlen(w) &&
	    memcmp(e->field[f].data, w, e->field[f].len) == 0;
}

/*
 * An entry of the log applied to the shards: "span SHARD FIRST LAST" and
 * "pos SHARD LAST" leave it at LAST, "done SHARD" read to its end.
 */
static int
log_take(void *arg, const struct ds_ranges_entry *e)
{
	struct ds_kinesis_shards *v = arg;
	struct ds_kinesis_shard *s;
	const char *last;
	size_t i;

	if (e->nfield == 0)
		return 0;
	if (!((e->nfield == 2 && is_word(e, 0, "done")) ||
	    (e->nfield == 3 && is_word(e, 0, "pos")) ||
	    (e->nfield == 4 && is_word(e, 0, "span"))))
		goto bad;
	for (i = 1; i < e->nfield; i++)
		if (e->field[i].len == 0 ||
		    memchr(e->field[i].data, '\0', e->field[i].len) != NULL)
			goto bad;
	if ((s = shard_get(v, e->field[1].data, 0)) == NULL)
		return -1;
	if (e->nfield == 2) {
		s->state = DS_SHARD_DONE;
		return 0;
	}
	last = e->field[e->nfield - 1].data;
	free(s->pos);
	return (s->pos = strdup(last)) == NULL ? -1 : 0;
bad:
	errno = EBADMSG;
	return -1;
}

/* Write an entry of the log. */
static int
log_write(struct ds_writer *w, const char *kind, const char *shard,
    const char *first, const char *last)
{
	ds_write_field(w, kind, strlen(kind));
	ds_write_field(w, shard, strlen(shard));
	if (first != NULL)
		ds_write_field(w, first, strlen(first));
	if (last != NULL)
		ds_write_field(w, last, strlen(last));
	return ds_write_end(w);
}

/*
 * Rewrite the log as the positions, "pos" and "done" a shard, and the
 * batches kept.
 */
static int
log_rewrite(struct ds_ranges *lg, const struct ds_kinesis_shards *v)
{
	const struct ds_kinesis_shard *s;
	size_t i;

	for (i = 0; i < v->n; i++) {
		s = v->s[i];
		if ((s->pos != NULL &&
		    log_write(&lg->w, "pos", s->id, NULL, s->pos) == -1) ||
		    (s->state == DS_SHARD_DONE &&
		    log_write(&lg->w, "done", s->id, NULL, NULL) == -1))
			return -1;
	}
	return ds_ranges_rewrite(lg);
}

int
ds_kinesis_log_open(struct ds_ranges *lg, const char *dir, int64_t committed,
    struct ds_kinesis_shards *v)
{
	if (ds_ranges_open(lg, dir, LOG_NAME, "ds-kinesis", committed,
	    log_take, v) == -1)
		return -1;
	return log_rewrite(lg, v);
}

int
ds_kinesis_log_trim(struct ds_ranges *lg, int64_t committed,
    const struct ds_kinesis_shards *v)
{
	if (ds_ranges_trim(lg, committed) == -1)
		return -1;
	return log_rewrite(lg, v);
}

int
ds_kinesis_log_batch(struct ds_ranges *lg, struct ds_kinesis_shards *v,
    int64_t t)
{
	struct ds_kinesis_shard *s;
	struct ds_kinesis_span *r;
	size_t i;

	for (i = 0; i < v->nrun; i++) {
		r = &v->run[i];
		log_write(&lg->w, "span", r->shard, r->first, r->last);
		free(r->shard);
		free(r->first);
		free(r->last);
	}
	v->nrun = 0;
	for (i = 0; i < v->n; i++) {
		s = v->s[i];
		if (s->ended)
			log_write(&lg->w, "done", s->id, NULL, NULL);
		s->ended = 0;
	}
	return ds_ranges_batch(lg, t);
}

int
ds_kinesis_record_write(struct ds_writer *w, const char *shard, json_t *e,
    int meta, struct ds_buf *data, const char **seqp)
{
	const char *seq, *key, *b64;
	char num[DS_NUM_MAX];
	double at;

	*seqp = json_string_value(json_object_get(e, "SequenceNumber"));
	if (json_unpack(e, "{s:s, s:s, s:s, s:F}", "SequenceNumber", &seq,
	    "PartitionKey", &key, "Data", &b64,
	    "ApproximateArrivalTimestamp", &at) == -1 ||
	    ds_kinesis_b64_decode(data, b64, strlen(b64)) == -1) {
		errno = EBADMSG;
		return -1;
	}
	if (meta) {
		ds_write_field(w, key, strlen(key));
		ds_write_field(w, data->data, data->len);
		ds_write_field(w, shard, strlen(shard));
		ds_write_field(w, seq, strlen(seq));
		ds_write_field(w, num, ds_int_format((int64_t)(at * 1000 +
		    0.5), num));
	} else
		ds_write_field(w, data->data, data->len);
	return ds_write_end(w);
}

/* A call, retried while it fails for a while; req is consumed. */
static json_t *
call_retry(struct ds_kinesis *k, const char *action, json_t *req, char *why,
    size_t whysize)
{
	struct timespec ts;
	json_t *resp;
	int64_t ms;
	int tries, e;

	if (req == NULL) {
		errno = ENOMEM;
		snprintf(why, whysize, "%s", strerror(errno));
		return NULL;
	}
	for (tries = 0; ds_kinesis_call(k, action, req, &resp, why,
	    whysize) == -1; tries++) {
		if (errno != EAGAIN || tries + 1 == DS_KINESIS_TRIES) {
			e = errno;
			json_decref(req);
			errno = e;
			return NULL;
		}
		ms = ds_kinesis_backoff(tries, 100, 5000);
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = ms % 1000 * 1000000;
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	json_decref(req);
	return resp;
}

/*
 * Fetch again the records of sp of stream (from its first sequence
 * number to its last, both included) and write them to w; a call that
 * fails for a while is retried DS_KINESIS_TRIES times, with backoff.  0,
 * or -1 as ds_kinesis_replay.
 */
static int
refetch(struct ds_kinesis *k, const char *stream,
    const struct ds_kinesis_span *sp, struct ds_writer *w, int meta,
    char *why, size_t whysize)
{
	struct ds_buf data = { NULL, 0, 0 };
	json_t *resp, *e, *recs;
	const char *seq;
	char *iter;
	size_t i;
	int rc = -1;

	resp = call_retry(k, "GetShardIterator", json_pack(
	    "{s:s, s:s, s:s, s:s}", "StreamName", stream, "ShardId",
	    sp->shard, "ShardIteratorType", "AT_SEQUENCE_NUMBER",
	    "StartingSequenceNumber", sp->first), why, whysize);
	while (resp != NULL) {
		if ((iter = ds_kinesis_strdup(resp, "ShardIterator")) == NULL &&
		    (iter = ds_kinesis_strdup(resp, "NextShardIterator")) ==
		    NULL)
			break;
		json_decref(resp);
		if ((resp = call_retry(k, "GetRecords", json_pack("{s:s}",
		    "ShardIterator", iter), why, whysize)) == NULL) {
			free(iter);
			goto out;
		}
		free(iter);
		recs = json_object_get(resp, "Records");
		/* Caught up without reaching the last: it is gone. */
		if (json_array_size(recs) == 0 && json_integer_value(
		    json_object_get(resp, "MillisBehindLatest")) == 0)
			break;
		json_array_foreach(recs, i, e) {
			seq = json_string_value(json_object_get(e,
			    "SequenceNumber"));
			if (seq == NULL || ds_kinesis_seqcmp(seq, sp->last) > 0)
				goto done;
			if (ds_kinesis_record_write(w, sp->shard, e, meta,
			    &data, &seq) == -1) {
				if (errno != EBADMSG)
					errno = EIO;
				snprintf(why, whysize, "shard %s: record %s: "
				    "not a record", sp->shard, seq);
				goto out;
			}
			if (ds_kinesis_seqcmp(seq, sp->last) == 0)
				goto done;
		}
	}
	if (resp == NULL)
		goto out;
	snprintf(why, whysize, "shard %s: records %s to %s are no longer "
	    "there", sp->shard, sp->first, sp->last);
	errno = ENOENT;
	goto out;
done:
	rc = 0;
out:
	json_decref(resp);
	ds_buf_free(&data);
	return rc;
}

int
ds_kinesis_replay(struct ds_kinesis *k, const char *stream,
    const struct ds_ranges *lg, struct ds_writer *w, int meta, char *why,
    size_t whysize)
{
	const struct ds_ranges_entry *e;
	struct ds_kinesis_span sp;
	size_t i;

	for (i = 0; i < lg->nent; i++) {
		e = &lg->ent[i];
		if (e->nfield == 0) {
			if (ds_write_batch(w, e->t) == -1 ||
			    ds_writer_flush(w) == -1) {
				snprintf(why, whysize, "%s",
				    strerror(w->error));
				errno = EIO;
				return -1;
			}
			continue;
		}
		if (!is_word(e, 0, "span"))
			continue;
		sp.shard = e->field[1].data;
		sp.first = e->field[2].data;
		sp.last = e->field[3].data;
		if (refetch(k, stream, &sp, w, meta, why, whysize) == -1)
			return -1;
	}
	return 0;
}
