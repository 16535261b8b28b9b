/*
 * flume.c: the server side of Flume's AvroSourceProtocol, as its avro
 * sink (NettyAvroRpcClient) speaks it: Avro IPC calls, each after a
 * handshake on a new connection, in Netty's frames.  The schemas and the
 * datums are libavro's; only the framing is written here.  Linked into
 * ds-flume alone, with libavro, libmd and jansson.
 */

#include <errno.h>
#include <md5.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <jansson.h>

#include "ds.h"

#define MD5_LEN		16
#define MAX_KNOWN	256	/* client protocols remembered by hash */
/*
 * No datum of a frame (4 GiB at most) needs more: what asks for more is
 * a negative length Avro C would take as a vast size.
 */
#define AVRO_ALLOC_MAX	((size_t)1 << 40)
#define KEEP_FRAME	(1024 * 1024)	/* a frame's memory kept between
					   requests */

/*
 * The protocol as Flume declares it, compact, in the order Avro's Java
 * writes a protocol out: its MD5 is what the handshake compares.  Avro's
 * Java (1.8) writes Flume's protocol as these very bytes, so a Flume
 * sink matches at its first call; one whose text differs is asked for
 * it and matches at its second.
 */
static const char protocol_text[] =
    "{\"protocol\":\"AvroSourceProtocol\","
    "\"namespace\":\"org.apache.flume.source.avro\","
    "\"types\":["
    "{\"type\":\"enum\",\"name\":\"Status\","
    "\"symbols\":[\"OK\",\"FAILED\",\"UNKNOWN\"]},"
    "{\"type\":\"record\",\"name\":\"AvroFlumeEvent\",\"fields\":["
    "{\"name\":\"headers\",\"type\":{\"type\":\"map\",\"values\":\"string\"}},"
    "{\"name\":\"body\",\"type\":\"bytes\"}]}],"
    "\"messages\":{"
    "\"append\":{\"request\":[{\"name\":\"event\","
    "\"type\":\"AvroFlumeEvent\"}],\"response\":\"Status\"},"
    "\"appendBatch\":{\"request\":[{\"name\":\"events\","
    "\"type\":{\"type\":\"array\",\"items\":\"AvroFlumeEvent\"}}],"
    "\"response\":\"Status\"}}}";

static const char status_json[] =
    "{\"type\":\"enum\",\"name\":\"Status\","
    "\"symbols\":[\"OK\",\"FAILED\",\"UNKNOWN\"]}";
static const char event_json[] =
    "{\"type\":\"record\",\"name\":\"AvroFlumeEvent\",\"fields\":["
    "{\"name\":\"headers\",\"type\":{\"type\":\"map\",\"values\":\"string\"}},"
    "{\"name\":\"body\",\"type\":\"bytes\"}]}";
static const char batch_json[] =
    "{\"type\":\"array\",\"items\":"
    "{\"type\":\"record\",\"name\":\"AvroFlumeEvent\",\"fields\":["
    "{\"name\":\"headers\",\"type\":{\"type\":\"map\",\"values\":\"string\"}},"
    "{\"name\":\"body\",\"type\":\"bytes\"}]}}";
/* Avro IPC's own records (the specification's HandshakeRequest...). */
static const char hsreq_json[] =
    "{\"type\":\"record\",\"name\":\"HandshakeRequest\","
    "\"namespace\":\"org.apache.avro.ipc\",\"fields\":["
    "{\"name\":\"clientHash\","
    "\"type\":{\"type\":\"fixed\",\"name\":\"MD5\",\"size\":16}},"
    "{\"name\":\"clientProtocol\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"serverHash\",\"type\":\"MD5\"},"
    "{\"name\":\"meta\",\"type\":[\"null\","
    "{\"type\":\"map\",\"values\":\"bytes\"}]}]}";
static const char hsresp_json[] =
    "{\"type\":\"record\",\"name\":\"HandshakeResponse\","
    "\"namespace\":\"org.apache.avro.ipc\",\"fields\":["
    "{\"name\":\"match\",\"type\":{\"type\":\"enum\","
    "\"name\":\"HandshakeMatch\",\"symbols\":[\"BOTH\",\"CLIENT\",\"NONE\"]}},"
    "{\"name\":\"serverProtocol\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"serverHash\",\"type\":[\"null\","
    "{\"type\":\"fixed\",\"name\":\"MD5\",\"size\":16}]},"
    "{\"name\":\"meta\",\"type\":[\"null\","
    "{\"type\":\"map\",\"values\":\"bytes\"}]}]}";
static const char meta_json[] = "{\"type\":\"map\",\"values\":\"bytes\"}";
static const char string_json[] = "\"string\"";

enum { MATCH_BOTH, MATCH_CLIENT, MATCH_NONE };

/* A schema, its generic class and one value of it, reused. */
struct datum {
	avro_schema_t		 schema;
	avro_value_iface_t	*iface;
	avro_value_t		 value;
	int			 live;
};

struct ds_flume {
	unsigned char	 hash[MD5_LEN];
	struct datum	 status, event, batch, hsreq, hsresp, meta, string;
	unsigned char	(*known)[MD5_LEN];	/* client hashes accepted */
	size_t		 nknown;
	size_t		 maxframe;	/* of the connections made next */
};

/* What the last request asks of its reply. */
enum { KIND_NONE, KIND_CALL, KIND_HANDSHAKE, KIND_ERROR };

struct ds_flume_conn {
	struct ds_flume	*f;
	int		 handshaken;
	int		 kind;
	int		 batch;		/* the events are an appendBatch's */
	size_t		 nevent;
	struct ds_buf	 prefix;	/* the handshake response, if any */
	struct ds_buf	 json;
	struct ds_netty	 frame;		/* the requests, as read */
	uint32_t	 serial;	/* the last request's */
	struct ds_buf	 headers;	/* an event's, as JSON */
	char		 why[160];
};

static void	*avro_alloc(void *, void *, size_t, size_t);
static int	datum_init(struct datum *, const char *, size_t);
static void	datum_free(struct datum *);
static int	read_datum(struct ds_flume_conn *, avro_reader_t *,
		    struct datum *, const char *);
static int	write_datum(struct ds_buf *, avro_value_t *);
static int	handshake(struct ds_flume_conn *, avro_reader_t *);
static int	known(const struct ds_flume *, const void *);
static void	remember(struct ds_flume *, const void *);
static int	client_protocol(struct ds_flume_conn *, const char *, size_t);
static int	same_type(struct ds_flume *, json_t *, const char *,
		    struct datum *);
static int	names(const char *, const char *);
static int	event_value(struct ds_flume_conn *, size_t, avro_value_t *);
static json_t	*json_text(struct ds_buf *, const char *, size_t);
static int	bad(struct ds_flume_conn *, const char *, ...)
		    __attribute__((__format__(__printf__, 2, 3)));
static int	put_u32(struct ds_buf *, uint32_t);
static uint32_t	get_u32(const unsigned char *);

/*
 * The Netty frame: serial and buffer count, then each buffer as its
 * length and bytes, every integer four bytes big-endian.
 */
enum { NETTY_HEAD, NETTY_LENGTH, NETTY_BYTES };

void
ds_netty_init(struct ds_netty *n, size_t max)
{
	memset(n, 0, sizeof(*n));
	n->max = max;
}

void
ds_netty_free(struct ds_netty *n)
{
	ds_buf_free(&n->msg);
}

int
ds_netty_partial(const struct ds_netty *n)
{
	return n->state != NETTY_HEAD || n->have > 0;
}

int
ds_netty_take(struct ds_netty *n, const char **p, size_t *len)
{
	size_t k, need;

	for (;;) {
		if (n->state == NETTY_BYTES) {
			k = *len < n->want ? *len : n->want;
			if (ds_buf_append(&n->msg, *p, k) == -1)
				return -1;
			*p += k;
			*len -= k;
			if ((n->want -= k) > 0)
				return 0;
			n->state = NETTY_LENGTH;
		}
		if (n->state == NETTY_LENGTH && n->nleft == 0) {
			n->state = NETTY_HEAD;
			return 1;
		}
		need = n->state == NETTY_HEAD ? 8 : 4;
		k = need - n->have < *len ? need - n->have : *len;
		memcpy(n->hdr + n->have, *p, k);
		n->have += k;
		*p += k;
		*len -= k;
		if (n->have < need)
			return 0;
		n->have = 0;
		if (n->state == NETTY_HEAD) {
			n->serial = get_u32(n->hdr);
			n->nleft = get_u32(n->hdr + 4);
			n->msg.len = 0;
			/* Each buffer costs its length's four bytes. */
			n->size = 0;
			if (n->nleft > n->max / 4) {
				snprintf(n->why, sizeof(n->why), "a frame of "
				    "%lu buffers is over the limit of %zu "
				    "bytes", (unsigned long)n->nleft, n->max);
				errno = EMSGSIZE;
				return -1;
			}
			n->size = (size_t)n->nleft * 4;
			n->state = NETTY_LENGTH;
			continue;
		}
		n->want = get_u32(n->hdr);
		n->nleft--;
		if (n->want > n->max - n->size) {
			snprintf(n->why, sizeof(n->why), "a frame of more "
			    "than %zu bytes is over the limit", n->max);
			errno = EMSGSIZE;
			return -1;
		}
		n->size += n->want;
		n->state = NETTY_BYTES;
	}
}

int
ds_netty_frame(struct ds_buf *out, uint32_t serial, const void *msg,
    size_t len)
{
	if (len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (put_u32(out, serial) == -1 || put_u32(out, len > 0) == -1)
		return -1;
	if (len > 0 && (put_u32(out, len) == -1 ||
	    ds_buf_append(out, msg, len) == -1))
		return -1;
	return 0;
}

static int
put_u32(struct ds_buf *b, uint32_t v)
{
	unsigned char c[4];

	c[0] = v >> 24;
	c[1] = v >> 16;
	c[2] = v >> 8;
	c[3] = v;
	return ds_buf_append(b, c, 4);
}

static uint32_t
get_u32(const unsigned char *c)
{
	return (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 |
	    (uint32_t)c[2] << 8 | c[3];
}

struct ds_flume *
ds_flume_new(void)
{
	struct ds_flume *f;
	MD5_CTX md5;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->maxframe = DS_FLUME_MAXFRAME;
	avro_set_allocator(avro_alloc, NULL);
	MD5Init(&md5);
	MD5Update(&md5, (const uint8_t *)protocol_text,
	    sizeof(protocol_text) - 1);
	MD5Final(f->hash, &md5);
	if (datum_init(&f->status, status_json, sizeof(status_json)) == -1 ||
	    datum_init(&f->event, event_json, sizeof(event_json)) == -1 ||
	    datum_init(&f->batch, batch_json, sizeof(batch_json)) == -1 ||
	    datum_init(&f->hsreq, hsreq_json, sizeof(hsreq_json)) == -1 ||
	    datum_init(&f->hsresp, hsresp_json, sizeof(hsresp_json)) == -1 ||
	    datum_init(&f->meta, meta_json, sizeof(meta_json)) == -1 ||
	    datum_init(&f->string, string_json, sizeof(string_json)) == -1) {
		ds_flume_free(f);
		errno = ENOMEM;
		return NULL;
	}
	return f;
}

void
ds_flume_free(struct ds_flume *f)
{
	if (f == NULL)
		return;
	datum_free(&f->status);
	datum_free(&f->event);
	datum_free(&f->batch);
	datum_free(&f->hsreq);
	datum_free(&f->hsresp);
	datum_free(&f->meta);
	datum_free(&f->string);
	free(f->known);
	free(f);
}

const char *
ds_flume_protocol(const struct ds_flume *f, unsigned char hash[16])
{
	memcpy(hash, f->hash, MD5_LEN);
	return protocol_text;
}

/*
 * Avro C's allocator, but for the sizes no frame can hold: a string or
 * bytes of negative length (which skipping lets by) is then a failed
 * read, not a crash under a sanitizer nor a wild allocation.
 */
static void *
avro_alloc(void *arg, void *p, size_t osize, size_t nsize)
{
	(void)arg;
	(void)osize;
	if (nsize == 0) {
		free(p);
		return NULL;
	}
	if (nsize > AVRO_ALLOC_MAX)
		return NULL;
	return realloc(p, nsize);
}

/* The JSON's size counts its NUL, as sizeof gives it. */
static int
datum_init(struct datum *d, const char *json, size_t size)
{
	if (avro_schema_from_json_length(json, size - 1, &d->schema) != 0)
		return -1;
	if ((d->iface = avro_generic_class_from_schema(d->schema)) == NULL)
		return -1;
	if (avro_generic_value_new(d->iface, &d->value) != 0)
		return -1;
	d->live = 1;
	return 0;
}

static void
datum_free(struct datum *d)
{
	if (d->live)
		avro_value_decref(&d->value);
	if (d->iface != NULL)
		avro_value_iface_decref(d->iface);
	if (d->schema != NULL)
		avro_schema_decref(d->schema);
	memset(d, 0, sizeof(*d));
}

struct ds_flume_conn *
ds_flume_conn_new(struct ds_flume *f)
{
	struct ds_flume_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->f = f;
	ds_netty_init(&c->frame, f->maxframe);
	return c;
}

void
ds_flume_set_max(struct ds_flume *f, size_t max)
{
	f->maxframe = max;
}

void
ds_flume_conn_free(struct ds_flume_conn *c)
{
	if (c == NULL)
		return;
	ds_buf_free(&c->prefix);
	ds_buf_free(&c->json);
	ds_buf_free(&c->headers);
	ds_netty_free(&c->frame);
	free(c);
}

const char *
ds_flume_why(const struct ds_flume_conn *c)
{
	return c->why;
}

static int
bad(struct ds_flume_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	errno = EBADMSG;
	return -1;
}

/*
 * The values the events are read into are the process's, shared by the
 * connections: a request's events are taken before the next is read.
 */
int
ds_flume_request(struct ds_flume_conn *c, const void *msg, size_t len)
{
	struct ds_flume *f = c->f;
	avro_reader_t r[2];
	const char *name;
	size_t size;
	int rc = -1;

	c->kind = KIND_NONE;
	c->nevent = 0;
	c->prefix.len = 0;
	if ((r[0] = avro_reader_memory(msg, len)) == NULL)
		goto nomem;
	if ((r[1] = avro_reader_memory(msg, len)) == NULL) {
		avro_reader_free(r[0]);
		goto nomem;
	}
	if (!c->handshaken) {
		if (handshake(c, r) == -1)
			goto out;
		if (!c->handshaken) {
			c->kind = KIND_HANDSHAKE;
			rc = 0;
			goto out;
		}
	}
	if (read_datum(c, r, &f->meta, "the call's metadata") == -1 ||
	    read_datum(c, r, &f->string, "the message name") == -1)
		goto out;
	if (avro_value_get_string(&f->string.value, &name, &size) != 0) {
		bad(c, "the message name: %s", avro_strerror());
		goto out;
	}
	size = size > 0 ? size - 1 : 0;		/* its NUL */
	if (size == 0) {
		/* A handshake alone, as Avro's Requestor pings. */
		c->kind = KIND_HANDSHAKE;
		rc = 0;
	} else if (size == 6 && memcmp(name, "append", 6) == 0) {
		if (read_datum(c, r, &f->event, "an append's event") == -1)
			goto out;
		c->kind = KIND_CALL;
		c->batch = 0;
		c->nevent = 1;
		rc = 0;
	} else if (size == 11 && memcmp(name, "appendBatch", 11) == 0) {
		if (read_datum(c, r, &f->batch, "an appendBatch's events") ==
		    -1 || avro_value_get_size(&f->batch.value, &c->nevent) !=
		    0)
			goto out;
		c->kind = KIND_CALL;
		c->batch = 1;
		rc = 0;
	} else {
		/* Avro's answer to it is an error, the connection lives. */
		ds_quote(c->why, sizeof(c->why), name, size);
		c->kind = KIND_ERROR;
		rc = 0;
	}
out:
	avro_reader_free(r[0]);
	avro_reader_free(r[1]);
	return rc;
nomem:
	errno = ENOMEM;
	return -1;
}

/*
 * r[0] and r[1] read the same bytes in step: the first skips each datum,
 * which allocates nothing, before the second reads it, since Avro C's
 * reading of a string or bytes cut short leaks what it took for them.
 */
static int
read_datum(struct ds_flume_conn *c, avro_reader_t *r, struct datum *d,
    const char *what)
{
	avro_set_error("%s", "");
	avro_value_reset(&d->value);
	if (avro_skip_data(r[0], d->schema) == 0 &&
	    avro_value_read(r[1], &d->value) == 0)
		return 0;
	return bad(c, "%s: %s", what, avro_strerror());
}

/*
 * Avro IPC's handshake, the responder's half: the client's protocol is
 * known by its hash (ours, or one it sent before) or from its text; the
 * match says whether the client must send its text (NONE) or learn ours
 * (CLIENT).  A connection is handshaken once it is not NONE.
 */
static int
handshake(struct ds_flume_conn *c, avro_reader_t *r)
{
	struct ds_flume *f = c->f;
	avro_value_t field, branch, *resp = &f->hsresp.value;
	const void *client, *server;
	const char *text;
	size_t size;
	int disc, match, have;

	if (read_datum(c, r, &f->hsreq, "the handshake") == -1)
		return -1;
	if (avro_value_get_by_name(&f->hsreq.value, "clientHash", &field,
	    NULL) != 0 ||
	    avro_value_get_fixed(&field, &client, &size) != 0 ||
	    avro_value_get_by_name(&f->hsreq.value, "serverHash", &field,
	    NULL) != 0 ||
	    avro_value_get_fixed(&field, &server, &size) != 0 ||
	    avro_value_get_by_name(&f->hsreq.value, "clientProtocol", &field,
	    NULL) != 0 ||
	    avro_value_get_discriminant(&field, &disc) != 0)
		return bad(c, "the handshake: %s", avro_strerror());
	have = memcmp(client, f->hash, MD5_LEN) == 0 || known(f, client);
	if (!have && disc == 1) {
		if (avro_value_get_current_branch(&field, &branch) != 0 ||
		    avro_value_get_string(&branch, &text, &size) != 0)
			return bad(c, "the handshake: %s", avro_strerror());
		if (client_protocol(c, text, size > 0 ? size - 1 : 0) == -1)
			return -1;
		remember(f, client);
		have = 1;
	}
	if (have && memcmp(server, f->hash, MD5_LEN) == 0)
		match = MATCH_BOTH;
	else
		match = have ? MATCH_CLIENT : MATCH_NONE;

	avro_value_reset(resp);
	if (avro_value_get_by_name(resp, "match", &field, NULL) != 0 ||
	    avro_value_set_enum(&field, match) != 0)
		goto fail;
	if (avro_value_get_by_name(resp, "serverProtocol", &field,
	    NULL) != 0 ||
	    avro_value_set_branch(&field, match != MATCH_BOTH, &branch) != 0 ||
	    (match != MATCH_BOTH && avro_value_set_string_len(&branch,
	    protocol_text, sizeof(protocol_text)) != 0))
		goto fail;
	if (avro_value_get_by_name(resp, "serverHash", &field, NULL) != 0 ||
	    avro_value_set_branch(&field, match != MATCH_BOTH, &branch) != 0 ||
	    (match != MATCH_BOTH && avro_value_set_fixed(&branch, f->hash,
	    MD5_LEN) != 0))
		goto fail;
	if (avro_value_get_by_name(resp, "meta", &field, NULL) != 0 ||
	    avro_value_set_branch(&field, 0, &branch) != 0)
		goto fail;
	if (write_datum(&c->prefix, resp) == -1)
		return -1;
	c->handshaken = match != MATCH_NONE;
	return 0;
fail:
	errno = ENOMEM;
	return -1;
}

static int
known(const struct ds_flume *f, const void *hash)
{
	size_t i;

	for (i = 0; i < f->nknown; i++)
		if (memcmp(f->known[i], hash, MD5_LEN) == 0)
			return 1;
	return 0;
}

/* Past the bound the client sends its text again: no harm. */
static void
remember(struct ds_flume *f, const void *hash)
{
	void *p;

	if (f->nknown == MAX_KNOWN || known(f, hash))
		return;
	if ((p = reallocarray(f->known, f->nknown + 1, MD5_LEN)) == NULL)
		return;
	f->known = p;
	memcpy(f->known[f->nknown++], hash, MD5_LEN);
}

/*
 * A client's protocol text is taken when its requests decode with ours:
 * the same Status and AvroFlumeEvent, append taking one event and
 * appendBatch an array of them, both answering a Status.
 */
static int
client_protocol(struct ds_flume_conn *c, const char *text, size_t len)
{
	struct ds_flume *f = c->f;
	json_t *p, *msgs, *m, *req, *t;
	json_error_t e;
	int ok = 0;

	if ((p = json_loadb(text, len, 0, &e)) == NULL)
		return bad(c, "the client's protocol: %s", e.text);
	msgs = json_object_get(p, "messages");
	if (!json_is_object(p) ||
	    !json_is_string(json_object_get(p, "protocol")) ||
	    strcmp(json_string_value(json_object_get(p, "protocol")),
	    "AvroSourceProtocol") != 0 || !json_is_object(msgs)) {
		json_decref(p);
		return bad(c, "the client's protocol is not "
		    "AvroSourceProtocol");
	}
	if (same_type(f, p, "Status", &f->status) &&
	    same_type(f, p, "AvroFlumeEvent", &f->event)) {
		ok = 1;
		m = json_object_get(msgs, "append");
		req = json_object_get(m, "request");
		t = json_object_get(json_array_get(req, 0), "type");
		ok &= json_array_size(req) == 1 && json_is_string(t) &&
		    names(json_string_value(t), "AvroFlumeEvent") &&
		    names(json_string_value(json_object_get(m, "response")),
		    "Status");
		m = json_object_get(msgs, "appendBatch");
		req = json_object_get(m, "request");
		t = json_object_get(json_array_get(req, 0), "type");
		ok &= json_array_size(req) == 1 &&
		    json_is_string(json_object_get(t, "type")) &&
		    strcmp(json_string_value(json_object_get(t, "type")),
		    "array") == 0 &&
		    names(json_string_value(json_object_get(t, "items")),
		    "AvroFlumeEvent") &&
		    names(json_string_value(json_object_get(m, "response")),
		    "Status");
	}
	json_decref(p);
	if (!ok)
		return bad(c, "the client's AvroSourceProtocol differs from "
		    "Flume's");
	return 0;
}

/* Nonzero when the protocol's type of that name has the schema of d. */
static int
same_type(struct ds_flume *f, json_t *p, const char *name, struct datum *d)
{
	avro_schema_t s;
	json_t *types, *t, *copy;
	size_t i;
	char *text;
	int eq = 0;

	(void)f;
	types = json_object_get(p, "types");
	for (i = 0; i < json_array_size(types); i++) {
		t = json_array_get(types, i);
		if (!names(json_string_value(json_object_get(t, "name")),
		    name))
			continue;
		/* Names are compared above; Avro C need not see spaces. */
		if ((copy = json_deep_copy(t)) == NULL)
			return 0;
		json_object_del(copy, "namespace");
		json_object_set_new(copy, "name", json_string(name));
		text = json_dumps(copy, JSON_COMPACT);
		json_decref(copy);
		if (text == NULL)
			return 0;
		if (avro_schema_from_json_length(text, strlen(text), &s) ==
		    0) {
			eq = avro_schema_equal(s, d->schema);
			avro_schema_decref(s);
		}
		free(text);
		return eq;
	}
	return 0;
}

/* Nonzero when full is name, alone or after a namespace. */
static int
names(const char *full, const char *name)
{
	const char *dot;

	if (full == NULL)
		return 0;
	if ((dot = strrchr(full, '.')) != NULL)
		full = dot + 1;
	return strcmp(full, name) == 0;
}

size_t
ds_flume_nevents(const struct ds_flume_conn *c)
{
	return c->kind == KIND_CALL ? c->nevent : 0;
}

static int
event_value(struct ds_flume_conn *c, size_t i, avro_value_t *ev)
{
	if (c->kind != KIND_CALL || i >= c->nevent) {
		errno = EINVAL;
		return -1;
	}
	if (!c->batch) {
		*ev = c->f->event.value;
		return 0;
	}
	if (avro_value_get_by_index(&c->f->batch.value, i, ev, NULL) != 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
ds_flume_event(struct ds_flume_conn *c, size_t i, struct ds_flume_event *e)
{
	avro_value_t ev, field;
	const void *p;
	size_t n;

	if (event_value(c, i, &ev) == -1)
		return -1;
	if (avro_value_get_by_index(&ev, 1, &field, NULL) != 0 ||
	    avro_value_get_bytes(&field, &p, &n) != 0 ||
	    avro_value_get_by_index(&ev, 0, &field, NULL) != 0 ||
	    avro_value_get_size(&field, &e->nheader) != 0) {
		errno = EINVAL;
		return -1;
	}
	e->body = p;
	e->bodylen = n;
	return 0;
}

int
ds_flume_header(struct ds_flume_conn *c, size_t i, size_t j,
    struct ds_flume_header *h)
{
	avro_value_t ev, map, v;
	const char *key, *s;
	size_t n;

	if (event_value(c, i, &ev) == -1)
		return -1;
	if (avro_value_get_by_index(&ev, 0, &map, NULL) != 0 ||
	    avro_value_get_by_index(&map, j, &v, &key) != 0 ||
	    avro_value_get_string(&v, &s, &n) != 0) {
		errno = EINVAL;
		return -1;
	}
	/* Avro C keeps keys NUL-terminated, cut at a NUL they hold. */
	h->key = key;
	h->keylen = strlen(key);
	h->value = s;
	h->valuelen = n > 0 ? n - 1 : 0;
	return 0;
}

/*
 * The bytes as a JSON string's: UTF-8 as it is, anything else as
 * U+FFFD, as Java decodes a header.
 */
static json_t *
json_text(struct ds_buf *b, const char *p, size_t len)
{
	uint32_t cp;
	size_t i;
	int k;

	b->len = 0;
	for (i = 0; i < len; i += k) {
		if ((k = ds_utf8_decode(p + i, len - i, &cp)) == 0) {
			if (ds_buf_append(b, "\xef\xbf\xbd", 3) == -1)
				return NULL;
			k = 1;
		} else if (ds_buf_append(b, p + i, k) == -1)
			return NULL;
	}
	return json_stringn(b->len > 0 ? b->data : "", b->len);
}

int
ds_flume_headers_json(struct ds_flume_conn *c, size_t i, struct ds_buf *out)
{
	struct ds_flume_event e;
	struct ds_flume_header h;
	struct ds_buf key = { 0 };
	json_t *o, *v;
	char *keyz, *s;
	size_t j;
	int rc = -1;

	if (ds_flume_event(c, i, &e) == -1)
		return -1;
	if ((o = json_object()) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (j = 0; j < e.nheader; j++) {
		if (ds_flume_header(c, i, j, &h) == -1)
			goto out;
		if ((v = json_text(&c->json, h.key, h.keylen)) == NULL)
			goto nomem;
		/* jansson takes keys NUL-terminated: the valid text's. */
		key.len = 0;
		if (ds_buf_append(&key, json_string_value(v),
		    json_string_length(v) + 1) == -1) {
			json_decref(v);
			goto nomem;
		}
		json_decref(v);
		keyz = key.data;
		if ((v = json_text(&c->json, h.value, h.valuelen)) == NULL ||
		    json_object_set_new(o, keyz, v) == -1)
			goto nomem;
	}
	if ((s = json_dumps(o, JSON_COMPACT)) == NULL)
		goto nomem;
	rc = ds_buf_append(out, s, strlen(s));
	free(s);
	goto out;
nomem:
	errno = ENOMEM;
out:
	ds_buf_free(&key);
	json_decref(o);
	return rc;
}

/*
 * The response message: the handshake's, then (but for a handshake
 * alone) the call's metadata, the error flag and the Status or the
 * error, Avro's system error being a union of one string.
 */
int
ds_flume_reply(struct ds_flume_conn *c, uint32_t serial, int status,
    struct ds_buf *out)
{
	struct ds_flume *f = c->f;
	struct ds_buf msg = { 0 };
	avro_value_t v;
	char text[200];
	int rc = -1;

	if (c->kind == KIND_NONE) {
		errno = EINVAL;
		return -1;
	}
	if (ds_buf_append(&msg, c->prefix.data, c->prefix.len) == -1)
		goto out;
	if (c->kind != KIND_HANDSHAKE) {
		avro_value_reset(&f->meta.value);
		if (write_datum(&msg, &f->meta.value) == -1)
			goto out;
	}
	if (c->kind == KIND_CALL) {
		if (ds_buf_append(&msg, "\0", 1) == -1)
			goto out;
		v = f->status.value;
		if (avro_value_set_enum(&v, status) != 0 ||
		    write_datum(&msg, &v) == -1)
			goto out;
	} else if (c->kind == KIND_ERROR) {
		/* True, then branch 0 of ["string"]. */
		if (ds_buf_append(&msg, "\1\0", 2) == -1)
			goto out;
		snprintf(text, sizeof(text), "unknown message \"%s\"", c->why);
		avro_value_set_string_len(&f->string.value, text,
		    strlen(text) + 1);
		if (write_datum(&msg, &f->string.value) == -1)
			goto out;
	}
	rc = ds_netty_frame(out, serial, msg.data, msg.len);
out:
	ds_buf_free(&msg);
	c->kind = KIND_NONE;
	return rc;
}

int
ds_flume_answered(const struct ds_flume_conn *c)
{
	return c->kind == KIND_HANDSHAKE || c->kind == KIND_ERROR;
}

int
ds_flume_take(struct ds_flume_conn *c, const char **p, size_t *len,
    struct ds_buf *out)
{
	int rc;

	if ((rc = ds_netty_take(&c->frame, p, len)) != 1) {
		if (rc == -1 && errno == EMSGSIZE)
			strlcpy(c->why, c->frame.why, sizeof(c->why));
		return rc;
	}
	c->serial = c->frame.serial;
	rc = ds_flume_request(c, c->frame.msg.data, c->frame.msg.len);
	/* The datums have what they need: a large frame's memory goes. */
	if (c->frame.msg.cap > KEEP_FRAME)
		ds_buf_free(&c->frame.msg);
	if (rc == -1)
		return -1;
	if (!ds_flume_answered(c))
		return DS_FLUME_CALL;
	if (ds_flume_reply(c, c->serial, DS_FLUME_OK, out) == -1)
		return -1;
	return DS_FLUME_REPLIED;
}

int
ds_flume_partial(const struct ds_flume_conn *c)
{
	return ds_netty_partial(&c->frame);
}

int
ds_flume_answer(struct ds_flume_conn *c, int status, struct ds_buf *out)
{
	return ds_flume_reply(c, c->serial, status, out);
}

int
ds_flume_write(struct ds_flume_conn *c, struct ds_writer *w, int headers,
    const char *extra, size_t extralen)
{
	struct ds_flume_event e;
	size_t i, n;

	n = ds_flume_nevents(c);
	for (i = 0; i < n; i++) {
		if (ds_flume_event(c, i, &e) == -1 ||
		    ds_write_field(w, e.body, e.bodylen) == -1)
			return -1;
		if (headers) {
			c->headers.len = 0;
			if (ds_flume_headers_json(c, i, &c->headers) == -1 ||
			    ds_write_field(w, c->headers.data,
			    c->headers.len) == -1)
				return -1;
		}
		if (extra != NULL && ds_write_field(w, extra, extralen) == -1)
			return -1;
		if (ds_write_end(w) == -1)
			return -1;
	}
	return n > 0;
}

static int
write_datum(struct ds_buf *b, avro_value_t *v)
{
	avro_writer_t w;
	size_t size;

	if (avro_value_sizeof(v, &size) != 0 ||
	    ds_buf_reserve(b, size) == -1) {
		errno = ENOMEM;
		return -1;
	}
	if (size == 0)
		return 0;
	if ((w = avro_writer_memory(b->data + b->len, size)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (avro_value_write(w, v) != 0) {
		avro_writer_free(w);
		errno = ENOMEM;
		return -1;
	}
	avro_writer_free(w);
	b->len += size;
	return 0;
}
