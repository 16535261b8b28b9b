/*
 * t_buf.c: tests the growable byte buffer of lib/buf.c.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"
#include "check.h"

static void	test_empty(void);
static void	test_growth(void);
static void	test_nul(void);
static void	test_overflow(void);
static void	test_free_reuse(void);

int
main(void)
{
	test_empty();
	test_growth();
	test_nul();
	test_overflow();
	test_free_reuse();
	return done();
}

static void
test_empty(void)
{
	struct ds_buf b = { 0 };

	/* Nothing asked, nothing allocated. */
	CHECK(ds_buf_reserve(&b, 0) == 0);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
	CHECK(ds_buf_append(&b, NULL, 0) == 0);
	CHECK(ds_buf_append(&b, "", 0) == 0);
	CHECK(b.len == 0);

	CHECK(ds_buf_append(&b, "x", 1) == 0);
	CHECK(b.len == 1 && b.cap >= 1 && b.data[0] == 'x');
	/* A zero-length append leaves the contents alone. */
	CHECK(ds_buf_append(&b, "y", 0) == 0);
	CHECK(b.len == 1 && b.data[0] == 'x');
	ds_buf_free(&b);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
}

static void
test_growth(void)
{
	struct ds_buf b = { 0 };
	char *want, chunk[1000];
	size_t i, n, total = 0, step;
	int bad = 0, roomy = 1;
	char *before;

	if ((want = malloc(1 << 20)) == NULL)
		abort();
	/* Appends of every size from 0 to 999, each checked for room. */
	for (step = 0; total + step <= (1 << 20) && step < 1000; step++) {
		for (i = 0; i < step; i++)
			chunk[i] = want[total + i] = (char)(total + i * 7);
		if (ds_buf_append(&b, chunk, step) == -1)
			bad++;
		total += step;
		if (b.len != total || b.cap < b.len)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(b.len == total && total == 999 * 1000 / 2);
	CHECK(memcmp(b.data, want, total) == 0);

	/* After reserve(n) the next n bytes fit without moving. */
	for (n = 1; n <= (1 << 18); n *= 3) {
		if (ds_buf_reserve(&b, n) == -1 || b.cap - b.len < n)
			roomy = 0;
		before = b.data;
		memset(chunk, 'r', sizeof(chunk));
		for (i = 0; i < n; i += sizeof(chunk))
			if (ds_buf_append(&b, chunk, n - i < sizeof(chunk) ?
			    n - i : sizeof(chunk)) == -1 || b.data != before)
				roomy = 0;
	}
	CHECK(roomy);
	/* Reserving what is already there changes nothing. */
	before = b.data;
	n = b.cap;
	CHECK(ds_buf_reserve(&b, b.cap - b.len) == 0);
	CHECK(b.data == before && b.cap == n);
	CHECK(memcmp(b.data, want, total) == 0);

	/* A million one-byte appends. */
	ds_buf_free(&b);
	for (i = 0; i < (1 << 20); i++) {
		want[i] = (char)(i ^ (i >> 8));
		if (ds_buf_append(&b, want + i, 1) == -1)
			break;
	}
	CHECK(i == (1 << 20) && b.len == (1 << 20));
	CHECK(memcmp(b.data, want, 1 << 20) == 0);
	ds_buf_free(&b);
	free(want);
}

static void
test_nul(void)
{
	struct ds_buf b = { 0 };
	char all[256];
	int i;

	CHECK(ds_buf_append(&b, "a\0b", 3) == 0);
	CHECK(b.len == 3 && memcmp(b.data, "a\0b", 3) == 0);
	CHECK(ds_buf_append(&b, "\0", 1) == 0);
	CHECK(b.len == 4 && memcmp(b.data, "a\0b\0", 4) == 0);
	ds_buf_free(&b);

	for (i = 0; i < 256; i++)
		all[i] = (char)i;
	CHECK(ds_buf_append(&b, all, 256) == 0);
	CHECK(ds_buf_append(&b, all, 256) == 0);
	CHECK(b.len == 512);
	CHECK(memcmp(b.data, all, 256) == 0 &&
	    memcmp(b.data + 256, all, 256) == 0);
	ds_buf_free(&b);
}

static void
test_overflow(void)
{
	struct ds_buf b = { 0 };

	CHECK(ds_buf_append(&b, "abc", 3) == 0);
	errno = 0;
	CHECK(ds_buf_reserve(&b, SIZE_MAX) == -1 && errno == EOVERFLOW);
	errno = 0;
	CHECK(ds_buf_reserve(&b, SIZE_MAX - 2) == -1 && errno == EOVERFLOW);
	errno = 0;
	CHECK(ds_buf_append(&b, "abc", SIZE_MAX) == -1 && errno == EOVERFLOW);
	/* A failure leaves the buffer as it was. */
	CHECK(b.len == 3 && memcmp(b.data, "abc", 3) == 0);
	CHECK(ds_buf_append(&b, "d", 1) == 0);
	CHECK(b.len == 4 && memcmp(b.data, "abcd", 4) == 0);
	ds_buf_free(&b);
}

static void
test_free_reuse(void)
{
	struct ds_buf b = { 0 };

	CHECK(ds_buf_append(&b, "first", 5) == 0);
	ds_buf_free(&b);
	ds_buf_free(&b);	/* twice is harmless */
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
	CHECK(ds_buf_append(&b, "again", 5) == 0);
	CHECK(b.len == 5 && memcmp(b.data, "again", 5) == 0);
	ds_buf_free(&b);
}
