/*
 * t_utf8.c: tests the strict UTF-8 decoder of lib/utf8.c.
 */

#include <stdint.h>
#include <string.h>

#include "ds.h"
#include "check.h"

static int	decodes(const char *, size_t, int, uint32_t);
static int	rejects(const char *, size_t);
static size_t	encode(uint32_t, unsigned char *);
static void	test_valid(void);
static void	test_invalid(void);
static void	test_exhaustive(void);

int
main(void)
{
	test_valid();
	test_invalid();
	test_exhaustive();
	return done();
}

static int
decodes(const char *s, size_t len, int n, uint32_t cp)
{
	uint32_t got = 0xdeadbeef;

	return ds_utf8_decode(s, len, &got) == n && got == cp;
}

/* Rejected, and *cp left alone. */
static int
rejects(const char *s, size_t len)
{
	uint32_t got = 0xdeadbeef;

	return ds_utf8_decode(s, len, &got) == 0 && got == 0xdeadbeef;
}

/* The reference encoder, for any code point up to 0x1fffff. */
static size_t
encode(uint32_t c, unsigned char *p)
{
	if (c < 0x80) {
		p[0] = c;
		return 1;
	}
	if (c < 0x800) {
		p[0] = 0xc0 | c >> 6;
		p[1] = 0x80 | (c & 0x3f);
		return 2;
	}
	if (c < 0x10000) {
		p[0] = 0xe0 | c >> 12;
		p[1] = 0x80 | (c >> 6 & 0x3f);
		p[2] = 0x80 | (c & 0x3f);
		return 3;
	}
	p[0] = 0xf0 | c >> 18;
	p[1] = 0x80 | (c >> 12 & 0x3f);
	p[2] = 0x80 | (c >> 6 & 0x3f);
	p[3] = 0x80 | (c & 0x3f);
	return 4;
}

static void
test_valid(void)
{
	CHECK(decodes("A", 1, 1, 'A'));
	CHECK(decodes("", 1, 1, 0));
	CHECK(decodes("\x7f", 1, 1, 0x7f));
	/* Only the first sequence counts. */
	CHECK(decodes("ab", 2, 1, 'a'));
	CHECK(decodes("\xc2\x80", 2, 2, 0x80));
	CHECK(decodes("\xc3\xa9", 2, 2, 0xe9));		/* é */
	CHECK(decodes("\xdf\xbf", 2, 2, 0x7ff));
	CHECK(decodes("\xe0\xa0\x80", 3, 3, 0x800));
	CHECK(decodes("\xe2\x82\xac", 3, 3, 0x20ac));	/* € */
	CHECK(decodes("\xed\x9f\xbf", 3, 3, 0xd7ff));
	CHECK(decodes("\xee\x80\x80", 3, 3, 0xe000));
	CHECK(decodes("\xef\xbb\xbf", 3, 3, 0xfeff));
	CHECK(decodes("\xef\xbf\xbf", 3, 3, 0xffff));
	CHECK(decodes("\xf0\x90\x80\x80", 4, 4, 0x10000));
	CHECK(decodes("\xf0\x9f\x98\x80", 4, 4, 0x1f600));	/* 😀 */
	CHECK(decodes("\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff));
	CHECK(decodes("\xe2\x82\xac" "x", 4, 3, 0x20ac));
}

static void
test_invalid(void)
{
	CHECK(rejects("", 0));
	CHECK(rejects("A", 0));
	/* Overlongs. */
	CHECK(rejects("\xc0\x80", 2));
	CHECK(rejects("\xc1\xbf", 2));
	CHECK(rejects("\xe0\x80\x80", 3));
	CHECK(rejects("\xe0\x9f\xbf", 3));
	CHECK(rejects("\xf0\x80\x80\x80", 4));
	CHECK(rejects("\xf0\x8f\xbf\xbf", 4));
	/* Surrogates. */
	CHECK(rejects("\xed\xa0\x80", 3));
	CHECK(rejects("\xed\xaf\xbf", 3));
	CHECK(rejects("\xed\xb0\x80", 3));
	CHECK(rejects("\xed\xbf\xbf", 3));
	/* Past U+10FFFF. */
	CHECK(rejects("\xf4\x90\x80\x80", 4));
	CHECK(rejects("\xf5\x80\x80\x80", 4));
	CHECK(rejects("\xf7\xbf\xbf\xbf", 4));
	CHECK(rejects("\xf8\x88\x80\x80\x80", 5));
	CHECK(rejects("\xfc\x84\x80\x80\x80\x80", 6));
	CHECK(rejects("\xfe", 1));
	CHECK(rejects("\xff", 1));
	/* Truncated: the length ends it, whatever follows. */
	CHECK(rejects("\xc3", 1));
	CHECK(rejects("\xc3\xa9", 1));
	CHECK(rejects("\xe2\x82", 2));
	CHECK(rejects("\xe2\x82\xac", 2));
	CHECK(rejects("\xe2", 1));
	CHECK(rejects("\xf0\x9f\x98", 3));
	CHECK(rejects("\xf0\x9f", 2));
	CHECK(rejects("\xf0", 1));
	/* A continuation byte missing in the middle. */
	CHECK(rejects("\xc3" "A", 2));
	CHECK(rejects("\xe2" "A\xac", 3));
	CHECK(rejects("\xe2\x82" "A", 3));
	CHECK(rejects("\xf0\x9f\x98" "A", 4));
	CHECK(rejects("\xf0\x9f\xc3\xa9", 4));
	/* Lone continuation bytes. */
	CHECK(rejects("\x80", 1));
	CHECK(rejects("\xbf", 1));
	CHECK(rejects("\x80\x80\x80", 3));
}

static void
test_exhaustive(void)
{
	unsigned char b[4];
	uint32_t c, got;
	size_t n;
	long two = 0, three = 0;
	int bad = 0, badhigh = 0, lead, x, y, r;

	/* Every code point reads back; no surrogate or one past the top. */
	for (c = 0; c <= 0x10ffff; c++) {
		n = encode(c, b);
		got = 0xdeadbeef;
		r = ds_utf8_decode((char *)b, n, &got);
		if (c >= 0xd800 && c <= 0xdfff)
			bad += r != 0;
		else
			bad += r != (int)n || got != c;
		/* One byte short never decodes. */
		if (n > 1)
			bad += ds_utf8_decode((char *)b, n - 1, &got) != 0;
	}
	CHECK(bad == 0);
	for (c = 0x110000; c <= 0x1fffff; c++) {
		n = encode(c, b);
		badhigh += ds_utf8_decode((char *)b, n, &got) != 0;
	}
	CHECK(badhigh == 0);

	/*
	 * Of all two- and three-byte strings, exactly the shortest forms
	 * of U+0080..U+07FF and U+0800..U+FFFF less surrogates decode.
	 */
	for (lead = 0x80; lead < 0x100; lead++) {
		for (x = 0; x < 256; x++) {
			b[0] = lead;
			b[1] = x;
			two += ds_utf8_decode((char *)b, 2, &got) == 2;
			for (y = 0; y < 256; y++) {
				b[2] = y;
				three += ds_utf8_decode((char *)b, 3, &got) ==
				    3;
			}
		}
	}
	CHECK(two == 0x800 - 0x80);
	CHECK(three == 0x10000 - 0x800 - 0x800);
}
