/*
 * buf.c: growable byte buffers for data of any length.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

int
ds_buf_reserve(struct ds_buf *b, size_t extra)
{
	char *p;
	size_t ncap;

	if (extra <= b->cap - b->len)
		return 0;
	if (extra > SIZE_MAX - b->len) {
		errno = EOVERFLOW;
		return -1;
	}
	ncap = b->cap != 0 ? b->cap : 256;
	while (ncap - b->len < extra)
		ncap = ncap > SIZE_MAX / 2 ? b->len + extra : ncap * 2;
	if ((p = realloc(b->data, ncap)) == NULL)
		return -1;
	b->data = p;
	b->cap = ncap;
	return 0;
}

int
ds_buf_append(struct ds_buf *b, const void *p, size_t len)
{
	if (ds_buf_reserve(b, len) == -1)
		return -1;
	if (len > 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

void
ds_buf_free(struct ds_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int
ds_buf_drain(struct ds_buf *b, size_t *off, int fd)
{
	ssize_t n;

	while (*off < b->len) {
		n = write(fd, b->data + *off, b->len - *off);
		if (n > 0)
			*off += n;
		else if (errno == EAGAIN)
			break;
		else if (errno != EINTR)
			return -1;
	}
	if (*off == b->len) {
		b->len = *off = 0;
		return 0;
	}
	/* What is left moves to the front once it is the smaller part. */
	if (*off >= b->len / 2) {
		memmove(b->data, b->data + *off, b->len - *off);
		b->len -= *off;
		*off = 0;
	}
	return 1;
}
