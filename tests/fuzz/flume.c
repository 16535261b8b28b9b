/*
 * flume.c: fuzz Flume's protocol as a client's bytes reach it: Netty
 * frames, cut where the input says, each a request of one connection;
 * whatever decodes must give its events and headers and a reply that
 * frames back with the request's serial.
 */

#include <stdlib.h>
#include <string.h>

#include "ds.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
serve(struct ds_flume_conn *c, const struct ds_netty *n)
{
	struct ds_flume_event e;
	struct ds_flume_header h;
	struct ds_buf out = { 0 }, js = { 0 };
	struct ds_netty back;
	const char *p;
	size_t i, j, len;

	if (ds_flume_request(c, n->msg.data, n->msg.len) == -1)
		return;
	for (i = 0; i < ds_flume_nevents(c); i++) {
		if (ds_flume_event(c, i, &e) == -1)
			abort();
		for (j = 0; j < e.nheader; j++)
			if (ds_flume_header(c, i, j, &h) == -1)
				abort();
		js.len = 0;
		if (ds_flume_headers_json(c, i, &js) == -1 || js.len < 2)
			abort();
	}
	if (ds_flume_reply(c, n->serial, DS_FLUME_OK, &out) == -1)
		abort();
	ds_netty_init(&back, out.len);
	p = out.data;
	len = out.len;
	if (ds_netty_take(&back, &p, &len) != 1 || len != 0 ||
	    back.serial != n->serial)
		abort();
	ds_netty_free(&back);
	ds_buf_free(&out);
	ds_buf_free(&js);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds_flume *flume;
	struct ds_flume_conn *c;
	struct ds_netty n;
	const char *p;
	size_t len, step;

	if (size < 1)
		return 0;
	if ((flume = ds_flume_new()) == NULL)
		abort();
	/* The first byte sets the size of the reads. */
	step = 1 + data[0] % 64;
	data++;
	size--;
	if ((c = ds_flume_conn_new(flume)) == NULL)
		abort();
	ds_netty_init(&n, 1 << 20);
	while (size > 0) {
		p = (const char *)data;
		len = size < step ? size : step;
		data += len;
		size -= len;
		while (len > 0) {
			int rc = ds_netty_take(&n, &p, &len);

			if (rc == -1)
				goto out;
			if (rc == 1)
				serve(c, &n);
		}
	}
out:
	ds_netty_free(&n);
	ds_flume_conn_free(c);
	ds_flume_free(flume);
	return 0;
}
