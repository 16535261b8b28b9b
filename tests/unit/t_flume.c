/*
 * t_flume.c: tests Netty's framing and the AvroSourceProtocol server of
 * lib/flume.c, on requests encoded here byte by byte from Avro's
 * specification.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"
#include "check.h"

static void	test_frame_split(void);
static void	test_frame_limit(void);
static void	test_frame_encode(void);
static void	test_handshake_both(void);
static void	test_handshake_none(void);
static void	test_batch(void);
static void	test_garbage(void);
static void	test_unknown(void);
static void	test_take(void);
static void	test_take_limit(void);
static void	put(struct ds_buf *, const void *, size_t);
static void	put_varint(struct ds_buf *, int64_t);
static void	put_str(struct ds_buf *, const char *, size_t);
static void	put_handshake(struct ds_buf *, const unsigned char *,
		    const char *, const unsigned char *);

static unsigned char	hash[16];
static const char	*text;

int
main(void)
{
	struct ds_flume *f;

	if ((f = ds_flume_new()) == NULL)
		return 1;
	text = ds_flume_protocol(f, hash);
	ds_flume_free(f);
	test_frame_split();
	test_frame_limit();
	test_frame_encode();
	test_handshake_both();
	test_handshake_none();
	test_batch();
	test_garbage();
	test_unknown();
	test_take();
	test_take_limit();
	return done();
}

static void
put(struct ds_buf *b, const void *p, size_t n)
{
	if (ds_buf_append(b, p, n) == -1)
		abort();
}

/* Avro's long: zigzag, then seven bits a byte, low first. */
static void
put_varint(struct ds_buf *b, int64_t v)
{
	uint64_t n = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	unsigned char c;

	while (n & ~0x7fULL) {
		c = (n & 0x7f) | 0x80;
		put(b, &c, 1);
		n >>= 7;
	}
	c = n;
	put(b, &c, 1);
}

static void
put_str(struct ds_buf *b, const char *s, size_t n)
{
	put_varint(b, n);
	put(b, s, n);
}

static void
put_handshake(struct ds_buf *b, const unsigned char *client,
    const char *proto, const unsigned char *server)
{
	put(b, client, 16);
	if (proto == NULL)
		put_varint(b, 0);
	else {
		put_varint(b, 1);
		put_str(b, proto, strlen(proto));
	}
	put(b, server, 16);
	put_varint(b, 0);		/* meta: null */
}

static void
test_frame_split(void)
{
	static const char wire[] =
	    "\0\0\0\7" "\0\0\0\3"
	    "\0\0\0\2" "ab" "\0\0\0\0" "\0\0\0\3" "c\0d"
	    "\0\0\1\0" "\0\0\0\0";
	struct ds_netty n;
	const char *p;
	size_t len, step, i;
	int ok = 1, rc, frames;

	/* Every cut of the bytes reads the same two frames. */
	for (step = 1; step <= sizeof(wire) - 1; step++) {
		ds_netty_init(&n, 1024);
		frames = 0;
		for (i = 0; i < sizeof(wire) - 1; i += step) {
			p = wire + i;
			len = sizeof(wire) - 1 - i < step ?
			    sizeof(wire) - 1 - i : step;
			while ((rc = ds_netty_take(&n, &p, &len)) == 1) {
				if (frames == 0)
					ok &= n.serial == 7 &&
					    n.msg.len == 5 &&
					    memcmp(n.msg.data, "abc\0d",
					    5) == 0;
				else
					ok &= n.serial == 256 &&
					    n.msg.len == 0;
				frames++;
			}
			ok &= rc == 0 && len == 0;
		}
		ok &= frames == 2 && !ds_netty_partial(&n);
		ds_netty_free(&n);
	}
	CHECK(ok);

	/* A frame cut short is partial. */
	ds_netty_init(&n, 1024);
	p = wire;
	len = 13;
	CHECK(ds_netty_take(&n, &p, &len) == 0 && ds_netty_partial(&n));
	ds_netty_free(&n);
	ds_netty_init(&n, 1024);
	p = wire;
	len = 3;
	CHECK(ds_netty_take(&n, &p, &len) == 0 && ds_netty_partial(&n));
	ds_netty_free(&n);
}

static void
test_frame_limit(void)
{
	static const char big[] = "\0\0\0\1" "\0\0\0\1" "\0\0\0\x11";
	static const char many[] = "GET / HTTP/1.1\r\n";
	static const char fits[] = "\0\0\0\1" "\0\0\0\1" "\0\0\0\x0c";
	struct ds_netty n;
	const char *p;
	size_t len;

	/* The limit counts the buffers' lengths too: 4 + 12 fits 16. */
	ds_netty_init(&n, 16);
	p = fits;
	len = sizeof(fits) - 1;
	CHECK(ds_netty_take(&n, &p, &len) == 0);
	ds_netty_free(&n);

	ds_netty_init(&n, 16);
	p = big;
	len = sizeof(big) - 1;
	errno = 0;
	CHECK(ds_netty_take(&n, &p, &len) == -1 && errno == EMSGSIZE);
	CHECK(strstr(n.why, "16 bytes") != NULL);
	ds_netty_free(&n);

	/* Text is read as a vast count of buffers, refused at once. */
	ds_netty_init(&n, 64 * 1024 * 1024);
	p = many;
	len = sizeof(many) - 1;
	errno = 0;
	CHECK(ds_netty_take(&n, &p, &len) == -1 && errno == EMSGSIZE);
	CHECK(strstr(n.why, "buffers") != NULL);
	ds_netty_free(&n);
}

static void
test_frame_encode(void)
{
	struct ds_buf b = { 0 };

	CHECK(ds_netty_frame(&b, 0x01020304, "xyz", 3) == 0);
	CHECK(b.len == 15 && memcmp(b.data,
	    "\1\2\3\4" "\0\0\0\1" "\0\0\0\3" "xyz", 15) == 0);
	b.len = 0;
	CHECK(ds_netty_frame(&b, 9, "", 0) == 0);
	CHECK(b.len == 8 && memcmp(b.data, "\0\0\0\x09" "\0\0\0\0", 8) == 0);
	ds_buf_free(&b);
}

/* The client knows our protocol: BOTH, and the call is read. */
static void
test_handshake_both(void)
{
	struct ds_flume *f = ds_flume_new();
	struct ds_flume_conn *c = ds_flume_conn_new(f);
	struct ds_flume_event e;
	struct ds_flume_header h;
	struct ds_buf req = { 0 }, out = { 0 }, js = { 0 };
	static const char want[] = "\0\0\0\5" "\0\0\0\1" "\0\0\0\7"
	    "\0\0\0\0" "\0\0\0";
	/* A NUL escaped, a byte that is not UTF-8 replaced. */
	static const char wantjs[] =
	    "{\"host\":\"h\\u0000\xef\xbf\xbd\",\"k\":\"v\\\"\"}";

	put_handshake(&req, hash, NULL, hash);
	put_varint(&req, 0);		/* call meta: empty map */
	put_str(&req, "append", 6);
	put_varint(&req, 2);		/* headers: a block of two */
	put_str(&req, "host", 4);
	put_str(&req, "h\0\xff", 3);
	put_str(&req, "k", 1);
	put_str(&req, "v\"", 2);
	put_varint(&req, 0);
	put_str(&req, "a\0\n\tb", 5);

	CHECK(ds_flume_request(c, req.data, req.len) == 0);
	CHECK(!ds_flume_answered(c));
	CHECK(ds_flume_nevents(c) == 1);
	CHECK(ds_flume_event(c, 0, &e) == 0);
	CHECK(e.bodylen == 5 && memcmp(e.body, "a\0\n\tb", 5) == 0);
	CHECK(e.nheader == 2);
	CHECK(ds_flume_header(c, 0, 1, &h) == 0);
	CHECK(h.keylen == 1 && h.key[0] == 'k' && h.valuelen == 2);
	CHECK(ds_flume_event(c, 1, &e) == -1 && errno == EINVAL);
	CHECK(ds_flume_headers_json(c, 0, &js) == 0);
	CHECK(js.len == sizeof(wantjs) - 1 &&
	    memcmp(js.data, wantjs, js.len) == 0);
	CHECK(ds_flume_reply(c, 5, DS_FLUME_OK, &out) == 0);
	CHECK(out.len == sizeof(want) - 1 &&
	    memcmp(out.data, want, out.len) == 0);
	/* Owed once. */
	CHECK(ds_flume_reply(c, 5, DS_FLUME_OK, &out) == -1);

	/* The next call has no handshake; FAILED is 1. */
	req.len = 0;
	put_varint(&req, 0);
	put_str(&req, "append", 6);
	put_varint(&req, 0);
	put_str(&req, "", 0);
	out.len = 0;
	CHECK(ds_flume_request(c, req.data, req.len) == 0);
	CHECK(ds_flume_event(c, 0, &e) == 0 && e.bodylen == 0 &&
	    e.nheader == 0);
	CHECK(ds_flume_reply(c, 6, DS_FLUME_FAILED, &out) == 0);
	CHECK(out.len == 15 && memcmp(out.data + 12, "\0\0\2", 3) == 0);

	ds_buf_free(&req);
	ds_buf_free(&out);
	ds_buf_free(&js);
	ds_flume_conn_free(c);
	ds_flume_free(f);
}

/*
 * A client of another hash: NONE with our protocol; it sends its text,
 * which is taken, and then a new connection of that hash is known.
 */
static void
test_handshake_none(void)
{
	struct ds_flume *f = ds_flume_new();
	struct ds_flume_conn *c = ds_flume_conn_new(f);
	struct ds_buf req = { 0 }, out = { 0 }, want = { 0 };
	unsigned char other[16];
	const char *spaced = "{\"protocol\": \"AvroSourceProtocol\", "
	    "\"namespace\": \"org.apache.flume.source.avro\", \"types\": ["
	    "{\"type\": \"enum\", \"name\": \"Status\", \"symbols\": "
	    "[\"OK\", \"FAILED\", \"UNKNOWN\"]}, {\"type\": \"record\", "
	    "\"name\": \"AvroFlumeEvent\", \"fields\": [{\"type\": {\"type\": "
	    "\"map\", \"values\": \"string\"}, \"name\": \"headers\"}, "
	    "{\"type\": \"bytes\", \"name\": \"body\"}]}], \"messages\": "
	    "{\"append\": {\"request\": [{\"type\": \"AvroFlumeEvent\", "
	    "\"name\": \"event\"}], \"response\": \"Status\", \"errors\": []}, "
	    "\"appendBatch\": {\"request\": [{\"type\": {\"type\": \"array\", "
	    "\"items\": \"org.apache.flume.source.avro.AvroFlumeEvent\"}, "
	    "\"name\": \"events\"}], \"response\": \"Status\"}}}";
	const char *wrong = "{\"protocol\": \"AvroSourceProtocol\", "
	    "\"types\": [{\"type\": \"enum\", \"name\": \"Status\", "
	    "\"symbols\": [\"OK\", \"FAILED\"]}], \"messages\": {}}";

	memset(other, 0x5a, sizeof(other));
	put_handshake(&req, other, NULL, other);
	put_varint(&req, 0);
	put_str(&req, "append", 6);
	put_varint(&req, 0);
	put_str(&req, "x", 1);
	CHECK(ds_flume_request(c, req.data, req.len) == 0);
	CHECK(ds_flume_answered(c) && ds_flume_nevents(c) == 0);
	CHECK(ds_flume_reply(c, 1, DS_FLUME_OK, &out) == 0);
	put_varint(&want, 2);		/* NONE */
	put_varint(&want, 1);
	put_str(&want, text, strlen(text));
	put_varint(&want, 1);
	put(&want, hash, 16);
	put_varint(&want, 0);
	CHECK(out.len == 12 + want.len &&
	    memcmp(out.data + 12, want.data, want.len) == 0);

	/* A protocol that is not Flume's is refused. */
	req.len = 0;
	put_handshake(&req, other, wrong, hash);
	CHECK(ds_flume_request(c, req.data, req.len) == -1 &&
	    errno == EBADMSG);
	CHECK(strstr(ds_flume_why(c), "differs") != NULL);

	/* Flume's in other words: BOTH, since it names our hash now. */
	req.len = 0;
	put_handshake(&req, other, spaced, hash);
	put_varint(&req, 0);
	put_str(&req, "append", 6);
	put_varint(&req, 0);
	put_str(&req, "x", 1);
	out.len = 0;
	CHECK(ds_flume_request(c, req.data, req.len) == 0);
	CHECK(!ds_flume_answered(c) && ds_flume_nevents(c) == 1);
	CHECK(ds_flume_reply(c, 2, DS_FLUME_OK, &out) == 0);
	CHECK(out.len == 19 && memcmp(out.data + 12, "\0\0\0\0\0\0\0",
	    7) == 0);
	ds_flume_conn_free(c);

	/* Known by its hash now; it still thinks ours is its own: CLIENT. */
	c = ds_flume_conn_new(f);
	req.len = 0;
	put_handshake(&req, other, NULL, other);
	put_varint(&req, 0);
	put_str(&req, "", 0);		/* a ping */
	out.len = 0;
	CHECK(ds_flume_request(c, req.data, req.len) == 0);
	CHECK(ds_flume_answered(c));
	CHECK(ds_flume_reply(c, 3, DS_FLUME_OK, &out) == 0);
	want.len = 0;
	put_varint(&want, 1);		/* CLIENT */
	put_varint(&want, 1);
	put_str(&want, text, strlen(text));
	put_varint(&want, 1);
	put(&want, hash, 16);
	put_varint(&want, 0);
	CHECK(out.len == 12 + want.len &&
	    memcmp(out.data + 12, want.data, want.len) == 0);

	ds_buf_free(&req);
	ds_buf_free(&out);
	ds_buf_free(&want);
	ds_flume_conn_free(c);
	ds_flume_free(f);
}

static void
test_batch(void)
{
	struct ds_flume *f = ds_flume_new();
	struct ds_flume_conn *c = ds_flume_conn_new(f);
	struct ds_flume_event e;
	struct ds_buf req = { 0 }, out = { 0 };
	char body[16];
	size_t i, n = 1000;
	int ok = 1;

	put_handshake(&req, hash, NULL, hash);
	put_varint(&req, 0);
	put_str(&req, "appendBatch", 11);
	/* Two blocks, the second with its byte count (a negative count). */
	put_varint(&req, 600);
	for (i = 0; i < n; i++) {
		if (i == 600) {
			put_varint(&req, -(int64_t)(n - 600));
			put_varint(&req, 0);	/* its size: not checked */
		}
		put_varint(&req, 0);
		snprintf(body, sizeof(body), "e%zu", i);
		put_str(&req, body, strlen(body));
	}
	put_varint(&req, 0);
	if (ds_flume_request(c, req.data, req.len) == 0) {
		CHECK(ds_flume_nevents(c) == n);
		for (i = 0; i < n; i++) {
			snprintf(body, sizeof(body), "e%zu", i);
			ok &= ds_flume_event(c, i, &e) == 0 &&
			    e.bodylen == strlen(body) &&
			    memcmp(e.body, body, e.bodylen) == 0;
		}
		CHECK(ok);
	} else
		CHECK(!"appendBatch decoded");
	CHECK(ds_flume_reply(c, 1, DS_FLUME_OK, &out) == 0);
	ds_buf_free(&req);
	ds_buf_free(&out);
	ds_flume_conn_free(c);
	ds_flume_free(f);
}

/* Cut anywhere, a request is malformed, never a crash. */
static void
test_garbage(void)
{
	struct ds_flume *f = ds_flume_new();
	struct ds_flume_conn *c;
	struct ds_buf req = { 0 };
	/* A block count, then a header count and a key's length. */
	static const int64_t lies[][3] = {
		{ 1, 1, -3 }, { 1, 1, 1LL << 40 }, { 1, -1, -2 },
		{ 1, 1, INT64_MIN }, { 1, 0, -7 }, { 1, 0, 1LL << 40 },
		{ INT64_MAX, 0, 0 }, { INT64_MIN, 3, 0 }, { -1, -1, 0 },
		{ 1, 1LL << 40, 1 },
	};
	size_t cut, i;
	int ok = 1;

	put_handshake(&req, hash, NULL, hash);
	put_varint(&req, 0);
	put_str(&req, "append", 6);
	put_varint(&req, 1);
	put_str(&req, "k", 1);
	put_str(&req, "v", 1);
	put_varint(&req, 0);
	put_str(&req, "body", 4);
	for (cut = 0; cut < req.len; cut++) {
		c = ds_flume_conn_new(f);
		ok &= ds_flume_request(c, req.data, cut) == -1 &&
		    errno == EBADMSG && ds_flume_why(c)[0] != '\0';
		ds_flume_conn_free(c);
	}
	CHECK(ok);

	/* Lengths and counts that lie: negative, or past the end. */
	for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		req.len = 0;
		put_handshake(&req, hash, NULL, hash);
		put_varint(&req, 0);
		put_str(&req, "appendBatch", 11);
		put_varint(&req, lies[i][0]);
		put_varint(&req, lies[i][1]);
		put_varint(&req, lies[i][2]);
		put(&req, "abcdefgh", 8);
		c = ds_flume_conn_new(f);
		CHECK(ds_flume_request(c, req.data, req.len) == -1 &&
		    errno == EBADMSG);
		ds_flume_conn_free(c);
	}
	ds_buf_free(&req);
	ds_flume_free(f);
}

/* An unknown message: Avro's error, and the connection goes on. */
static void
test_unknown(void)
{
	struct ds_flume *f = ds_flume_new();
	struct ds_flume_conn *c = ds_flume_conn_new(f);
	struct ds_buf req = { 0 }, out = { 0 }, want = { 0 };

	put_handshake(&req, hash, NULL, hash);
	put_varint(&req, 0);
	put_str(&req, "ping", 4);
	CHECK(ds_flume_request(c, req.data, req.len) == 0);
	CHECK(ds_flume_answered(c) && ds_flume_nevents(c) == 0);
	CHECK(ds_flume_reply(c, 4, DS_FLUME_OK, &out) == 0);
	put(&want, "\0\0\0\0" "\0" "\1" "\0", 7);
	put_str(&want, "unknown message \"ping\"", 22);
	CHECK(out.len == 12 + want.len &&
	    memcmp(out.data + 12, want.data, want.len) == 0);
	ds_buf_free(&req);
	ds_buf_free(&out);
	ds_buf_free(&want);
	ds_flume_conn_free(c);
	ds_flume_free(f);
}

/*
 * From the bytes of a connection, a byte at a time: a call after the
 * handshake, its events written as records and its answer with its
 * serial; then an unknown message, answered at once.
 */
static void
test_take(void)
{
	struct ds_flume *f = ds_flume_new();
	struct ds_flume_conn *c = ds_flume_conn_new(f);
	struct ds_buf req = { 0 }, wire = { 0 }, out = { 0 };
	struct ds_writer w;
	static const char want[] = "a\\tb\t{\"k\":\"v\"}\tme\n";
	const char *p;
	char got[64];
	size_t len, i;
	int rc, seen[3] = { 0, 0, 0 };
	FILE *tmp;

	put_handshake(&req, hash, NULL, hash);
	put_varint(&req, 0);
	put_str(&req, "append", 6);
	put_varint(&req, 1);
	put_str(&req, "k", 1);
	put_str(&req, "v", 1);
	put_varint(&req, 0);
	put_str(&req, "a\tb", 3);
	CHECK(ds_netty_frame(&wire, 7, req.data, req.len) == 0);
	req.len = 0;
	put_varint(&req, 0);
	put_str(&req, "ping", 4);
	CHECK(ds_netty_frame(&wire, 8, req.data, req.len) == 0);

	CHECK(!ds_flume_partial(c));
	for (i = 0; i < wire.len; i++) {
		p = wire.data + i;
		len = 1;
		rc = ds_flume_take(c, &p, &len, &out);
		if (rc < 0 || rc > 2 || len != 0)
			break;
		seen[rc]++;
		if (rc == DS_FLUME_CALL) {
			CHECK(seen[DS_FLUME_REPLIED] == 0 && out.len == 0);
			CHECK((tmp = tmpfile()) != NULL);
			CHECK(ds_writer_init(&w, fileno(tmp)) == 0);
			CHECK(ds_flume_write(c, &w, 1, "me", 2) == 1);
			CHECK(ds_writer_close(&w) == 0);
			CHECK(pread(fileno(tmp), got, sizeof(got), 0) ==
			    sizeof(want) - 1 &&
			    memcmp(got, want, sizeof(want) - 1) == 0);
			fclose(tmp);
			/*
			 * The answer carries the call's serial: the
			 * handshake's BOTH, then status OK.
			 */
			CHECK(ds_flume_answer(c, DS_FLUME_OK, &out) == 0);
			CHECK(out.len == 19 &&
			    memcmp(out.data, "\0\0\0\7", 4) == 0 &&
			    memcmp(out.data + 12, "\0\0\0\0\0\0\0", 7) == 0);
			out.len = 0;
			CHECK(ds_flume_partial(c) == 0);
		} else if (rc == 0 && i + 1 < wire.len && !ds_flume_partial(c))
			break;
	}
	CHECK(i == wire.len);
	CHECK(seen[DS_FLUME_CALL] == 1 && seen[DS_FLUME_REPLIED] == 1);
	/* The unknown message's error, serial 8. */
	CHECK(out.len > 12 && memcmp(out.data, "\0\0\0\10", 4) == 0 &&
	    out.data[12 + 1] == 1);
	/* Nothing is owed now. */
	CHECK(ds_flume_answer(c, DS_FLUME_OK, &out) == -1 && errno == EINVAL);
	ds_buf_free(&req);
	ds_buf_free(&wire);
	ds_buf_free(&out);
	ds_flume_conn_free(c);
	ds_flume_free(f);
}

/* A frame over the limit set: EMSGSIZE, with the words for it. */
static void
test_take_limit(void)
{
	struct ds_flume *f = ds_flume_new();
	struct ds_flume_conn *c;
	struct ds_buf out = { 0 };
	static const char head[] = "\0\0\0\1" "\0\0\0\1" "\0\0\0\x40";
	const char *p = head;
	size_t len = 6;

	ds_flume_set_max(f, 32);
	c = ds_flume_conn_new(f);
	CHECK(ds_flume_take(c, &p, &len, &out) == 0 && len == 0 &&
	    ds_flume_partial(c));
	len = sizeof(head) - 1 - 6;
	CHECK(ds_flume_take(c, &p, &len, &out) == -1 && errno == EMSGSIZE);
	CHECK(strstr(ds_flume_why(c), "over the limit") != NULL);
	CHECK(out.len == 0);
	ds_buf_free(&out);
	ds_flume_conn_free(c);
	ds_flume_free(f);
}
