/*
 * t_escape.c: tests the field escapes of lib/escape.c, both ways.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"
#include "check.h"

static uint64_t	rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t	rng(void);
static int	unescapes_to(const char *, const char *, size_t);
static int	rejects_at(const char *, size_t, size_t);
static void	test_escape_bytes(void);
static void	test_unescape_valid(void);
static void	test_unescape_invalid(void);
static void	test_in_place(void);
static void	test_round_trip(void);
static void	test_escape_record(void);
static void	test_quote(void);

int
main(void)
{
	test_escape_bytes();
	test_unescape_valid();
	test_unescape_invalid();
	test_in_place();
	test_round_trip();
	test_escape_record();
	test_quote();
	return done();
}

/* splitmix64: a fixed seed makes every run the same. */
static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The NUL-terminated src unescapes to want (wantlen bytes). */
static int
unescapes_to(const char *src, const char *want, size_t wantlen)
{
	char dst[64];
	size_t out = 12345;

	if (ds_unescape(dst, src, strlen(src), &out) != 0)
		return 0;
	return out == wantlen && memcmp(dst, want, wantlen) == 0;
}

/* len bytes at src fail with EBADMSG and the bad backslash at off. */
static int
rejects_at(const char *src, size_t len, size_t off)
{
	char dst[64];
	size_t out = 12345;

	errno = 0;
	if (ds_unescape(dst, src, len, &out) != -1)
		return 0;
	return errno == EBADMSG && out == off;
}

static void
test_escape_bytes(void)
{
	char src[256], dst[512], one[2];
	size_t n;
	int c, bad = 0, badtable = 0;

	/* Each byte alone: only the four specials change. */
	for (c = 0; c < 256; c++) {
		src[c] = (char)c;
		n = ds_escape(one, src + c, 1);
		switch (c) {
		case '\\':
			bad += n != 2 || memcmp(one, "\\\\", 2) != 0;
			break;
		case '\t':
			bad += n != 2 || memcmp(one, "\\t", 2) != 0;
			break;
		case '\n':
			bad += n != 2 || memcmp(one, "\\n", 2) != 0;
			break;
		case '\r':
			bad += n != 2 || memcmp(one, "\\r", 2) != 0;
			break;
		default:
			bad += n != 1 || one[0] != (char)c;
			break;
		}
		badtable += (ds_escape_needed[c] != 0) != (c == '\\' ||
		    c == '\t' || c == '\n' || c == '\r');
	}
	CHECK(bad == 0);
	CHECK(badtable == 0);
	CHECK(ds_escape_needed['\t'] == 't' && ds_escape_needed['\n'] == 'n' &&
	    ds_escape_needed['\r'] == 'r' && ds_escape_needed['\\'] == '\\');
	/* The leading '#'/'%' rule is the writer's, not ds_escape's. */
	CHECK(ds_escape(one, "#", 1) == 1 && one[0] == '#');
	CHECK(ds_escape(one, "%", 1) == 1 && one[0] == '%');
	CHECK(ds_escape(one, "", 1) == 1 && one[0] == '\0');

	/* All 256 at once: 260 bytes, no TAB, LF or CR left. */
	n = ds_escape(dst, src, 256);
	CHECK(n == 260);
	CHECK(memchr(dst, '\t', n) == NULL && memchr(dst, '\n', n) == NULL &&
	    memchr(dst, '\r', n) == NULL);
	CHECK(memcmp(dst, "\0\1\2\3\4\5\6\7\10\\t\\n\13\14\\r\16", 18) == 0);
	CHECK(memcmp(&dst['\\' + 3], "\\\\]", 3) == 0);
	CHECK((unsigned char)dst[259] == 0xff);
	CHECK(ds_escape(dst, src, 0) == 0);
	CHECK(ds_escape(dst, "a\\b\tc\nd\re", 9) == 13 &&
	    memcmp(dst, "a\\\\b\\tc\\nd\\re", 13) == 0);
}

static void
test_unescape_valid(void)
{
	char dst[8];
	size_t out = 99;

	CHECK(unescapes_to("\\\\", "\\", 1));
	CHECK(unescapes_to("\\t", "\t", 1));
	CHECK(unescapes_to("\\n", "\n", 1));
	CHECK(unescapes_to("\\r", "\r", 1));
	CHECK(unescapes_to("\\#", "#", 1));
	CHECK(unescapes_to("\\%", "%", 1));
	CHECK(unescapes_to("a\\tb\\\\c\\nd\\re\\#f\\%g", "a\tb\\c\nd\re#f%g",
	    13));
	CHECK(unescapes_to("\\\\\\\\", "\\\\", 2));
	CHECK(unescapes_to("\\\\t", "\\t", 2));
	CHECK(unescapes_to("plain", "plain", 5));
	/* '#' and '%' need no backslash inside a field. */
	CHECK(unescapes_to("#%#", "#%#", 3));
	CHECK(ds_unescape(dst, "", 0, &out) == 0 && out == 0);
	/* NUL is an ordinary byte. */
	CHECK(ds_unescape(dst, "a\0\\tb", 5, &out) == 0 && out == 4 &&
	    memcmp(dst, "a\0\tb", 4) == 0);
}

static void
test_unescape_invalid(void)
{
	CHECK(rejects_at("\\q", 2, 0));
	CHECK(rejects_at("ab\\q", 4, 2));
	CHECK(rejects_at("a\\tb\\qc", 7, 4));
	CHECK(rejects_at("\\", 1, 0));
	CHECK(rejects_at("abc\\", 4, 3));
	CHECK(rejects_at("\\\\\\", 3, 2));	/* \\ then a lone \ */
	CHECK(rejects_at("\\T", 2, 0));
	CHECK(rejects_at("\\N", 2, 0));
	CHECK(rejects_at("\\ ", 2, 0));
	CHECK(rejects_at("\\0", 2, 0));
	CHECK(rejects_at("x\\\0", 3, 1));
	CHECK(rejects_at("\\\t", 2, 0));
	CHECK(rejects_at("\\\n", 2, 0));
	CHECK(rejects_at("\\\"", 2, 0));
	/* The length bounds the input: a backslash cut off is at the end. */
	CHECK(rejects_at("ab\\t", 3, 2));
}

static void
test_in_place(void)
{
	char s[32];
	size_t out;

	memcpy(s, "a\\tb\\\\c\\#", 9);
	CHECK(ds_unescape(s, s, 9, &out) == 0 && out == 6 &&
	    memcmp(s, "a\tb\\c#", 6) == 0);
	/* dst may lie before src. */
	memcpy(s, "XXXXXx\\ny\\rz", 12);
	CHECK(ds_unescape(s, s + 5, 7, &out) == 0 && out == 5 &&
	    memcmp(s, "x\ny\rz", 5) == 0);
	memcpy(s, "XXXXXx\\ny\\rz", 12);
	CHECK(ds_unescape(s, s + 5, 5, &out) == -1 && out == 4);
}

static void
test_round_trip(void)
{
	static const char special[] = "\\\t\n\r#%\0";
	char src[600], esc[1200], back[600];
	size_t len, n, out, i, specials;
	int iter, bad = 0, badlen = 0, badplace = 0;

	for (iter = 0; iter < 20000; iter++) {
		len = rng() % (iter < 100 ? 8 : sizeof(src));
		specials = 0;
		for (i = 0; i < len; i++) {
			/* Half special bytes, half anything. */
			if (rng() & 1)
				src[i] = special[rng() % 7];
			else
				src[i] = (char)rng();
			specials += ds_escape_needed[(unsigned char)src[i]]
			    != 0;
		}
		n = ds_escape(esc, src, len);
		badlen += n != len + specials;
		if (ds_unescape(back, esc, n, &out) != 0 || out != len ||
		    memcmp(back, src, len) != 0)
			bad++;
		if (ds_unescape(esc, esc, n, &out) != 0 || out != len ||
		    memcmp(esc, src, len) != 0)
			badplace++;
	}
	CHECK(bad == 0);
	CHECK(badlen == 0);
	CHECK(badplace == 0);
}

static void
test_escape_record(void)
{
	struct ds_buf b = { 0 };
	struct ds_field f[3];

	f[0].data = "#a\tb";
	f[0].len = 4;
	f[1].data = "";
	f[1].len = 0;
	f[2].data = "c\\\n\0";
	f[2].len = 4;
	/* No leading rule and no LF: that is the writer's. */
	CHECK(ds_escape_record(&b, f, 3) == 0);
	CHECK(b.len == 13 && memcmp(b.data, "#a\\tb\t\tc\\\\\\n\0", 13) == 0);
	/* It appends. */
	CHECK(ds_escape_record(&b, f + 1, 1) == 0 && b.len == 13);
	CHECK(ds_escape_record(&b, f, 0) == 0 && b.len == 13);
	CHECK(ds_escape_record(&b, f + 2, 1) == 0 && b.len == 19 &&
	    memcmp(b.data + 13, "c\\\\\\n\0", 6) == 0);
	ds_buf_free(&b);
}

static void
test_quote(void)
{
	char q[64], src[64];
	size_t len, size, j;
	int i, bad = 0;

	CHECK(strcmp(ds_quote(q, sizeof(q), "abc", 3), "abc") == 0);
	CHECK(ds_quote(q, sizeof(q), "abc", 3) == q);
	CHECK(strcmp(ds_quote(q, sizeof(q), "", 0), "") == 0);
	CHECK(strcmp(ds_quote(q, sizeof(q), "a\"b\\c", 5),
	    "a\\\"b\\\\c") == 0);
	CHECK(strcmp(ds_quote(q, sizeof(q), "\t\n\0\x7f\xff", 5),
	    "\\x09\\x0a\\x00\\x7f\\xff") == 0);
	/* Cut with "..." to fit, the NUL included. */
	CHECK(strcmp(ds_quote(q, 16, "abcdefghijklmnopqrstuvwxyz", 26),
	    "abcdefghijkl...") == 0);
	CHECK(strcmp(ds_quote(q, 16, "abcdefghij\n", 11),
	    "abcdefghij...") == 0);
	/* Whatever the bytes, the result fits. */
	for (i = 0; i < 20000; i++) {
		len = rng() % sizeof(src);
		for (j = 0; j < len; j++)
			src[j] = rng() % 2 ? (char)rng() : 'a';
		memset(q, 'Z', sizeof(q));
		size = 16 + rng() % 48;
		(void)ds_quote(q, size, src, len);
		if (memchr(q, '\0', size) == NULL)
			bad++;
	}
	CHECK(bad == 0);
}
