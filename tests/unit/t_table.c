/*
 * t_table.c: tests the insertion-ordered hash table of lib/table.c.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"
#include "check.h"

static size_t	keyname(char *, long);
static int64_t	*put(struct ds_table *, const void *, size_t, int *);
static int	key_is(const struct ds_table *, size_t, const void *, size_t);
static int	allzero(const void *, size_t);
static void	test_basic(void);
static void	test_order(void);
static void	test_zeroed(void);
static void	test_odd_keys(void);
static void	test_million(void);
static void	test_remove(void);
static void	test_churn(void);
static void	test_clear(void);
static void	test_valsize(void);
static void	test_padded(void);

int
main(void)
{
	test_basic();
	test_order();
	test_zeroed();
	test_odd_keys();
	test_million();
	test_remove();
	test_churn();
	test_clear();
	test_valsize();
	test_padded();
	return done();
}

static size_t
keyname(char *buf, long i)
{
	return snprintf(buf, 32, "key%ld", i);
}

static int64_t *
put(struct ds_table *t, const void *key, size_t len, int *isnew)
{
	return ds_table_upsert(t, key, len, isnew);
}

static int
key_is(const struct ds_table *t, size_t i, const void *key, size_t len)
{
	const char *k;
	size_t klen;

	k = ds_table_key(t, i, &klen);
	return klen == len && (len == 0 || memcmp(k, key, len) == 0);
}

static int
allzero(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static void
test_basic(void)
{
	struct ds_table t;
	int64_t *v, *w;
	int isnew = -1;

	CHECK(ds_table_init(&t, sizeof(int64_t)) == 0);
	CHECK(ds_table_count(&t) == 0 && ds_table_end(&t) == 0);
	CHECK(ds_table_find(&t, "a", 1) == NULL);

	v = put(&t, "a", 1, &isnew);
	CHECK(v != NULL && isnew == 1 && *v == 0);
	*v = 41;
	w = put(&t, "a", 1, &isnew);
	CHECK(w == v && isnew == 0 && *w == 41);
	(*w)++;
	v = put(&t, "b", 1, &isnew);
	CHECK(v != NULL && isnew == 1 && *v == 0);
	*v = 7;
	CHECK(ds_table_count(&t) == 2 && ds_table_end(&t) == 2);
	v = ds_table_find(&t, "a", 1);
	CHECK(v != NULL && *v == 42);
	v = ds_table_find(&t, "b", 1);
	CHECK(v != NULL && *v == 7);
	CHECK(ds_table_find(&t, "c", 1) == NULL);
	CHECK(ds_table_find(&t, "ab", 2) == NULL);
	CHECK(ds_table_find(&t, "a", 0) == NULL);
	CHECK(key_is(&t, 0, "a", 1) && key_is(&t, 1, "b", 1));
	CHECK(*(int64_t *)ds_table_value(&t, 0) == 42);
	CHECK(*(int64_t *)ds_table_value(&t, 1) == 7);
	ds_table_free(&t);
}

static void
test_order(void)
{
	struct ds_table t;
	long perm[500], i, j, tmp;
	char key[32];
	size_t len;
	int64_t *v;
	int isnew, bad = 0;
	uint64_t seed = 12345;

	/* A shuffled insertion order comes back as it went in. */
	for (i = 0; i < 500; i++)
		perm[i] = i;
	for (i = 499; i > 0; i--) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		j = (long)((seed >> 33) % (uint64_t)(i + 1));
		tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
	}
	CHECK(ds_table_init(&t, sizeof(int64_t)) == 0);
	for (i = 0; i < 500; i++) {
		len = keyname(key, perm[i]);
		if ((v = put(&t, key, len, &isnew)) == NULL || !isnew)
			bad++;
		else
			*v = perm[i];
	}
	CHECK(bad == 0);
	/* Upserting old keys again does not move them. */
	for (i = 0; i < 500; i += 3) {
		len = keyname(key, i);
		if (put(&t, key, len, &isnew) == NULL || isnew)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(ds_table_end(&t) == 500 && ds_table_count(&t) == 500);
	for (i = 0; i < 500; i++) {
		len = keyname(key, perm[i]);
		v = ds_table_value(&t, i);
		if (v == NULL || *v != perm[i] || !key_is(&t, i, key, len))
			bad++;
	}
	CHECK(bad == 0);
	ds_table_free(&t);
}

static void
test_zeroed(void)
{
	struct ds_table t;
	unsigned char *v;
	char key[32];
	size_t len;
	int isnew, bad = 0;
	long i;

	CHECK(ds_table_init(&t, 40) == 0);
	v = ds_table_upsert(&t, "x", 1, &isnew);
	CHECK(v != NULL && allzero(v, 40));
	memset(v, 0xff, 40);
	v = ds_table_upsert(&t, "x", 1, &isnew);
	CHECK(v != NULL && !isnew && v[0] == 0xff && v[39] == 0xff);
	CHECK(ds_table_remove(&t, "x", 1) == 0);
	v = ds_table_upsert(&t, "x", 1, &isnew);
	CHECK(v != NULL && isnew && allzero(v, 40));

	/* Dirty every value, churn, and every new one is still zero. */
	for (i = 0; i < 3000; i++) {
		len = keyname(key, i % 700);
		v = ds_table_upsert(&t, key, len, &isnew);
		if (v == NULL || (isnew && !allzero(v, 40)))
			bad++;
		if (v != NULL)
			memset(v, 0xee, 40);
		if (i % 3 == 0) {
			len = keyname(key, (i * 7) % 700);
			(void)ds_table_remove(&t, key, len);
		}
	}
	CHECK(bad == 0);
	ds_table_free(&t);
}

static void
test_odd_keys(void)
{
	static const struct {
		const char	*key;
		size_t		 len;
	} k[] = {
		{ "", 0 }, { "\0", 1 }, { "\0\0", 2 }, { "a", 1 },
		{ "a\0", 2 }, { "a\0b", 3 }, { "a\0c", 3 }, { "\0a", 2 },
		{ "\xff\xfe", 2 }, { "a\tb\nc", 5 }
	};
	struct ds_table t;
	int64_t *v;
	size_t i, n = sizeof(k) / sizeof(k[0]);
	int isnew, bad = 0;

	/* The empty key first, into a table that holds no key bytes yet. */
	CHECK(ds_table_init(&t, sizeof(int64_t)) == 0);
	for (i = 0; i < n; i++) {
		if ((v = put(&t, k[i].key, k[i].len, &isnew)) == NULL ||
		    !isnew)
			bad++;
		else
			*v = 100 + i;
	}
	CHECK(bad == 0);
	CHECK(ds_table_count(&t) == n);
	for (i = 0; i < n; i++) {
		v = ds_table_find(&t, k[i].key, k[i].len);
		if (v == NULL || *v != (int64_t)(100 + i) ||
		    !key_is(&t, i, k[i].key, k[i].len))
			bad++;
	}
	CHECK(bad == 0);
	v = ds_table_find(&t, "", 0);
	CHECK(v != NULL && *v == 100);
	CHECK(ds_table_find(&t, "\0\0\0", 3) == NULL);
	CHECK(ds_table_find(&t, "b", 1) == NULL);
	CHECK(ds_table_remove(&t, "", 0) == 0);
	CHECK(ds_table_find(&t, "", 0) == NULL);
	CHECK(ds_table_find(&t, "\0", 1) != NULL);
	CHECK(ds_table_count(&t) == n - 1);
	ds_table_free(&t);

	/* Only the empty key, removed and put back many times. */
	CHECK(ds_table_init(&t, sizeof(int64_t)) == 0);
	for (i = 0; i < 100; i++) {
		if (put(&t, "", 0, &isnew) == NULL || !isnew ||
		    ds_table_find(&t, "", 0) == NULL ||
		    ds_table_remove(&t, "", 0) != 0)
			bad++;
	}
	CHECK(bad == 0 && ds_table_count(&t) == 0);
	ds_table_free(&t);
}

static void
test_million(void)
{
	struct ds_table t;
	char key[32];
	size_t len, i, n = 1000000;
	int64_t *v;
	int isnew, bad = 0;

	CHECK(ds_table_init(&t, sizeof(int64_t)) == 0);
	for (i = 0; i < n; i++) {
		len = keyname(key, i);
		if ((v = put(&t, key, len, &isnew)) == NULL || !isnew)
			bad++;
		else
			*v = i;
	}
	CHECK(bad == 0);
	CHECK(ds_table_count(&t) == n && ds_table_end(&t) == n);
	/* The load stays under 3/4, in a power of two of slots. */
	CHECK((t.nslot & (t.nslot - 1)) == 0 && t.nused * 4 <= t.nslot * 3);
	for (i = 0; i < n; i++) {
		len = keyname(key, i);
		v = ds_table_find(&t, key, len);
		if (v == NULL || *v != (int64_t)i)
			bad++;
	}
	CHECK(bad == 0);
	for (i = 0; i < n; i++) {
		len = keyname(key, i);
		v = ds_table_value(&t, i);
		if (v == NULL || *v != (int64_t)i || !key_is(&t, i, key, len))
			bad++;
	}
	CHECK(bad == 0);
	CHECK(ds_table_find(&t, "key1000000", 10) == NULL);
	CHECK(ds_table_find(&t, "key", 3) == NULL);
	ds_table_free(&t);
}

static void
test_remove(void)
{
	struct ds_table t;
	char key[32], order[16];
	size_t len, i, n;
	int64_t *v;
	int isnew;

	CHECK(ds_table_init(&t, sizeof(int64_t)) == 0);
	for (i = 0; i < 10; i++) {
		len = keyname(key, i);
		if ((v = put(&t, key, len, &isnew)) != NULL)
			*v = i;
	}
	CHECK(ds_table_remove(&t, "key3", 4) == 0);
	CHECK(ds_table_count(&t) == 9 && ds_table_end(&t) == 10);
	CHECK(ds_table_find(&t, "key3", 4) == NULL);
	CHECK(ds_table_value(&t, 3) == NULL);
	CHECK(*(int64_t *)ds_table_value(&t, 4) == 4);
	errno = 0;
	CHECK(ds_table_remove(&t, "key3", 4) == -1 && errno == ENOENT);
	errno = 0;
	CHECK(ds_table_remove(&t, "nokey", 5) == -1 && errno == ENOENT);
	errno = 0;
	CHECK(ds_table_remove(&t, "", 0) == -1 && errno == ENOENT);
	CHECK(ds_table_count(&t) == 9);
	CHECK(ds_table_remove(&t, "key0", 4) == 0);
	CHECK(ds_table_remove(&t, "key9", 4) == 0);

	/* Iteration skips the removed: 1 2 4 5 6 7 8. */
	n = 0;
	for (i = 0; i < ds_table_end(&t); i++)
		if ((v = ds_table_value(&t, i)) != NULL)
			order[n++] = '0' + *v;
	CHECK(n == 7 && memcmp(order, "1245678", 7) == 0);

	/* Put back, a removed key goes to the end, zeroed. */
	v = put(&t, "key3", 4, &isnew);
	CHECK(v != NULL && isnew && *v == 0);
	*v = 3;
	v = put(&t, "key0", 4, &isnew);
	CHECK(v != NULL && isnew && *v == 0);
	*v = 0;
	n = 0;
	for (i = 0; i < ds_table_end(&t); i++)
		if ((v = ds_table_value(&t, i)) != NULL)
			order[n++] = '0' + *v;
	CHECK(n == 9 && memcmp(order, "124567830", 9) == 0);
	CHECK(ds_table_count(&t) == 9);
	for (i = 0; i < ds_table_end(&t); i++)
		if (ds_table_value(&t, i) != NULL)
			break;
	CHECK(key_is(&t, i, "key1", 4));
	i = ds_table_end(&t) - 1;
	CHECK(ds_table_value(&t, i) != NULL && key_is(&t, i, "key0", 4));
	ds_table_free(&t);
}

static void
test_churn(void)
{
	struct ds_table t;
	char key[32];
	size_t len, i, maxent = 0, maxslot = 0, maxkeys = 0;
	int64_t *v;
	long round, k;
	int isnew, bad = 0;

	/* The same 1000 keys, all removed and put back, 300 times. */
	CHECK(ds_table_init(&t, sizeof(int64_t)) == 0);
	for (round = 0; round < 300; round++) {
		for (k = 0; k < 1000; k++) {
			len = keyname(key, k);
			if ((v = put(&t, key, len, &isnew)) == NULL || !isnew)
				bad++;
			else
				*v = round * 1000 + k;
		}
		if (t.entcap > maxent)
			maxent = t.entcap;
		if (t.nslot > maxslot)
			maxslot = t.nslot;
		if (t.keys.cap > maxkeys)
			maxkeys = t.keys.cap;
		if (round == 299)
			break;
		for (k = 0; k < 1000; k++) {
			len = keyname(key, k);
			if (ds_table_remove(&t, key, len) != 0)
				bad++;
		}
	}
	CHECK(bad == 0);
	CHECK(ds_table_count(&t) == 1000);
	CHECK(maxent <= 4096);
	CHECK(maxslot <= 4096);
	CHECK(maxkeys <= 65536);
	/* The survivors are the last round's, in its order. */
	for (i = 0, k = 0; i < ds_table_end(&t); i++) {
		if ((v = ds_table_value(&t, i)) == NULL)
			continue;
		len = keyname(key, k);
		if (*v != 299000 + k || !key_is(&t, i, key, len))
			bad++;
		k++;
	}
	CHECK(bad == 0 && k == 1000);
	ds_table_free(&t);

	/* One key in and out a hundred thousand times. */
	CHECK(ds_table_init(&t, sizeof(int64_t)) == 0);
	for (k = 0; k < 100000; k++)
		if (put(&t, "k", 1, &isnew) == NULL || !isnew ||
		    ds_table_remove(&t, "k", 1) != 0)
			bad++;
	CHECK(bad == 0 && ds_table_count(&t) == 0);
	CHECK(t.entcap <= 64 && t.nslot <= 64 && t.keys.cap <= 4096);
	ds_table_free(&t);

	/* A sliding window: key k in, key k - 1000 out, a million times. */
	CHECK(ds_table_init(&t, sizeof(int64_t)) == 0);
	maxent = maxslot = maxkeys = 0;
	for (k = 0; k < 1000000; k++) {
		len = keyname(key, k);
		if ((v = put(&t, key, len, &isnew)) == NULL || !isnew)
			bad++;
		else
			*v = k;
		if (k >= 1000) {
			len = keyname(key, k - 1000);
			if (ds_table_remove(&t, key, len) != 0)
				bad++;
		}
		if (t.entcap > maxent)
			maxent = t.entcap;
		if (t.nslot > maxslot)
			maxslot = t.nslot;
		if (t.keys.cap > maxkeys)
			maxkeys = t.keys.cap;
	}
	CHECK(bad == 0 && ds_table_count(&t) == 1000);
	CHECK(maxent <= 4096);
	CHECK(maxslot <= 4096);
	CHECK(maxkeys <= 65536);
	for (i = 0, k = 999000; i < ds_table_end(&t); i++) {
		if ((v = ds_table_value(&t, i)) == NULL)
			continue;
		len = keyname(key, k);
		if (*v != k || !key_is(&t, i, key, len))
			bad++;
		k++;
	}
	CHECK(bad == 0 && k == 1000000);
	ds_table_free(&t);
}

static void
test_clear(void)
{
	struct ds_table t;
	char key[32];
	size_t len, i;
	int64_t *v;
	int isnew, bad = 0;

	CHECK(ds_table_init(&t, sizeof(int64_t)) == 0);
	for (i = 0; i < 5000; i++) {
		len = keyname(key, i);
		if ((v = put(&t, key, len, &isnew)) != NULL)
			*v = -1;
	}
	ds_table_clear(&t);
	CHECK(ds_table_count(&t) == 0 && ds_table_end(&t) == 0);
	CHECK(ds_table_find(&t, "key0", 4) == NULL);
	CHECK(ds_table_find(&t, "key4999", 7) == NULL);
	errno = 0;
	CHECK(ds_table_remove(&t, "key1", 4) == -1 && errno == ENOENT);

	/* Reused: new keys in a fresh order, zeroed. */
	for (i = 0; i < 100; i++) {
		len = keyname(key, 1000 - i);
		v = put(&t, key, len, &isnew);
		if (v == NULL || !isnew || *v != 0)
			bad++;
		else
			*v = i;
	}
	CHECK(bad == 0);
	CHECK(ds_table_count(&t) == 100 && ds_table_end(&t) == 100);
	for (i = 0; i < 100; i++) {
		len = keyname(key, 1000 - i);
		v = ds_table_value(&t, i);
		if (v == NULL || *v != (int64_t)i || !key_is(&t, i, key, len) ||
		    ds_table_find(&t, key, len) != v)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(ds_table_find(&t, "key0", 4) == NULL);
	ds_table_clear(&t);
	ds_table_clear(&t);
	CHECK(ds_table_count(&t) == 0);
	CHECK(put(&t, "again", 5, &isnew) != NULL && isnew);
	ds_table_free(&t);
}

static void
test_valsize(void)
{
	struct ds_table t;
	void *a, *b;
	int isnew;

	CHECK(ds_table_init(&t, 0) == 0);
	a = ds_table_upsert(&t, "a", 1, &isnew);
	CHECK(a != NULL && isnew);
	CHECK(ds_table_upsert(&t, "a", 1, &isnew) != NULL && !isnew);
	CHECK(ds_table_count(&t) == 1);
	ds_table_free(&t);

	/* Odd sizes still give aligned values. */
	CHECK(ds_table_init(&t, 3) == 0);
	(void)ds_table_upsert(&t, "a", 1, &isnew);
	b = ds_table_upsert(&t, "bb", 2, &isnew);
	a = ds_table_find(&t, "a", 1);
	CHECK(a != NULL && b != NULL && (uintptr_t)a % 8 == 0 &&
	    (uintptr_t)b % 8 == 0);
	CHECK(allzero(a, 3) && allzero(b, 3));
	ds_table_free(&t);
}

/* ds_equal, which the table compares keys with: every length, every byte. */
/*
 * Keys of every length around the short-key limit, put from a buffer
 * with other bytes after them (as a reader's fields are) and looked up
 * from exact copies: the bytes past a key never count, any one byte of it
 * does, and keys stay found through the table's growth and compaction.
 */
static void
test_padded(void)
{
	struct ds_table t;
	char buf[64 + DS_READ_PAD], copy[64];
	int64_t *v, *w;
	size_t len, i, n = 0;
	int isnew, bad = 0;

	CHECK(ds_table_init(&t, sizeof(int64_t)) == 0);
	for (len = 0; len <= 40; len++) {
		memset(buf, 'x' + len % 2, sizeof(buf));
		for (i = 0; i < len; i++)
			buf[i] = (char)(0xc0 + i);
		if ((v = ds_table_upsert_padded(&t, buf, len, &isnew)) == NULL ||
		    !isnew)
			bad++;
		else
			*v = len;
		n++;
		memcpy(copy, buf, len);
		if ((w = ds_table_upsert(&t, copy, len, &isnew)) != v || isnew)
			bad++;
		/* A difference at any one byte is another key. */
		for (i = 0; i < len; i++) {
			buf[i] ^= 0x80;
			if (ds_table_find(&t, buf, len) != NULL)
				bad++;
			if (ds_table_upsert_padded(&t, buf, len, &isnew) == NULL ||
			    !isnew)
				bad++;
			n++;
			buf[i] ^= 0x80;
		}
	}
	CHECK(bad == 0);
	CHECK(ds_table_count(&t) == n);
	/* Remove the keys changed at their first byte, and grow the rest. */
	for (len = 1; len <= 40; len++) {
		for (i = 0; i < len; i++)
			copy[i] = (char)(0xc0 + i);
		copy[0] ^= 0x80;
		if (ds_table_remove(&t, copy, len) != 0)
			bad++;
		n--;
	}
	for (i = 0; i < 20000; i++) {
		len = keyname(copy, (long)i);
		if (ds_table_upsert_padded(&t, copy, len, &isnew) == NULL)
			bad++;
	}
	for (len = 0; len <= 40; len++) {
		for (i = 0; i < len; i++)
			copy[i] = (char)(0xc0 + i);
		if ((v = ds_table_find(&t, copy, len)) == NULL ||
		    *v != (int64_t)len)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(ds_table_count(&t) == n + 20000);
	ds_table_free(&t);
}
