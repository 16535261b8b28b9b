/*
 * escape.c: the four field escapes of ds(5), both ways.
 */

#include <errno.h>
#include <string.h>

#include "ds.h"

const unsigned char ds_escape_needed[256] = {
	['\t'] = 't', ['\n'] = 'n', ['\r'] = 'r', ['\\'] = '\\'
};

/*
 * Most fields need no escape: eight bytes at a time, copy what holds no
 * byte below 0x0e (TAB, LF, CR and a few controls) and no backslash, and
 * look at the first such byte alone.
 */
size_t
ds_escape(char *dst, const char *src, size_t len)
{
	const char *end = src + len;
	char *d = dst;
	size_t n;
	unsigned char e;

	while (src < end) {
		if (end - src >= 8) {
			/* dst has room: 2 * len covers these eight bytes. */
			n = ds_copy8_plain(d, src, 0x0e);
			d += n;
			src += n;
			if (n == 8)
				continue;
		}
		if ((e = ds_escape_needed[(unsigned char)*src]) != 0) {
			*d++ = '\\';
			*d++ = e;
		} else
			*d++ = *src;
		src++;
	}
	return d - dst;
}

int
ds_unescape(char *dst, const char *src, size_t len, size_t *out)
{
	const char *p, *end = src + len, *s = src;
	char *d = dst;
	size_t n;

	while ((p = memchr(s, '\\', end - s)) != NULL) {
		n = p - s;
		if (d != s)
			memmove(d, s, n);
		d += n;
		if (p + 1 == end)
			goto bad;
		switch (p[1]) {
		case '\\':
		case '#':
		case '%':
			*d++ = p[1];
			break;
		case 't':
			*d++ = '\t';
			break;
		case 'n':
			*d++ = '\n';
			break;
		case 'r':
			*d++ = '\r';
			break;
		default:
			goto bad;
		}
		s = p + 2;
	}
	n = end - s;
	if (d != s)
		memmove(d, s, n);
	*out = d + n - dst;
	return 0;
bad:
	*out = p - src;
	errno = EBADMSG;
	return -1;
}

int
ds_escape_record(struct ds_buf *b, const struct ds_field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (ds_buf_reserve(b, 2 * f[i].len + 1) == -1)
			return -1;
		if (i > 0)
			b->data[b->len++] = '\t';
		b->len += ds_escape(b->data + b->len, f[i].data, f[i].len);
	}
	return 0;
}

int
ds_escape_read(struct ds_buf *b, const struct ds_reader *r)
{
	if (ds_record_clean(r))
		return ds_buf_append(b, r->rec, r->reclen);
	return ds_escape_record(b, r->field, r->nfield);
}

int
ds_escape_line(struct ds_buf *b, const struct ds_field *f, size_t n)
{
	if (n > 0 && f[0].len > 0 && (f[0].data[0] == '#' ||
	    f[0].data[0] == '%') && ds_buf_append(b, "\\", 1) == -1)
		return -1;
	if (ds_escape_record(b, f, n) == -1)
		return -1;
	return ds_buf_append(b, "\n", 1);
}

char *
ds_quote(char *dst, size_t size, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char *d = dst, *end = dst + size - 4;	/* room for "..." and NUL */
	unsigned char c;
	size_t i;

	for (i = 0; i < len; i++) {
		c = src[i];
		if (d + (c >= ' ' && c < 0x7f && c != '"' && c != '\\' ?
		    1 : 4) > end) {
			memcpy(d, "...", 3);
			d += 3;
			break;
		}
		if (c >= ' ' && c < 0x7f && c != '"' && c != '\\')
			*d++ = c;
		else if (c == '"' || c == '\\') {
			*d++ = '\\';
			*d++ = c;
		} else {
			*d++ = '\\';
			*d++ = 'x';
			*d++ = hex[c >> 4];
			*d++ = hex[c & 15];
		}
	}
	*d = '\0';
	return dst;
}
